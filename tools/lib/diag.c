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

int pcbg_diag_dump(int *keep, void *req, size_t len,
		   int (*fn)(const struct inet_diag_msg *m, void *arg), void *arg)
{
	static char buf[32768] __attribute__((aligned(NLMSG_ALIGNTO)));
	int fd = keep ? *keep : -1, err = 0, done = 0, stopped = 0;
	struct nlmsghdr *nlh = req;

	nlh->nlmsg_len = len;
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	if (fd < 0)
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
				stopped = 1;
				break;
			}
		}
	}
	/* kept only after a whole dump: nothing of it is left to read */
	if (keep && !err && !stopped) {
		*keep = fd;
		return 0;
	}
	if (keep)
		*keep = -1;
	close(fd);
	return err;
}
