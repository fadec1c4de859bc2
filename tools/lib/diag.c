// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * One sock_diag dump (NETLINK_SOCK_DIAG, SOCK_DIAG_BY_FAMILY): the request
 * sent, every inet_diag_msg of the answer handed to a callback.  The
 * library's load sampling and the tools' socket listings share it.
 */
#include <errno.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include "internal.h"

int pcbg_diag_dump(void *req, size_t len,
		   int (*fn)(const struct inet_diag_msg *m, void *arg), void *arg)
{
	static char buf[32768] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct nlmsghdr *nlh = req;
	int fd, err = 0, done = 0;

	nlh->nlmsg_len = len;
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0)
		return -errno;
	if (send(fd, req, len, 0) < 0)
		err = -errno;
	while (!done && !err) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *h;

		if (n < 0) {
			err = -errno;
			break;
		}
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_DONE) {
				done = 1;
				break;
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);

				err = e->error ? e->error : -EIO;
				break;
			}
			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
				continue;
			if (fn(NLMSG_DATA(h), arg)) {
				done = 1;
				break;
			}
		}
	}
	close(fd);
	return err;
}
