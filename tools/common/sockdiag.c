// SPDX-License-Identifier: GPL-2.0
/*
 * The SO_REUSEPORT candidates of this network namespace, from sock_diag:
 * TCP listeners and unconnected UDP sockets with their local address, port
 * and inode.  One netlink dump per family and protocol lists them all,
 * whatever process holds them, at a cost that does not depend on how many
 * processes there are: how show finds the sockets a group is missing, and
 * how pcbgroupd notices that a group's sockets changed.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include "tools.h"

#define TCP_STATE_LISTEN	10	/* enum in include/net/tcp_states.h */
#define TCP_STATE_CLOSE		7	/* an unconnected UDP socket's */

static int dump_one(int family, int protocol,
		    int (*fn)(const struct diag_sock *s, void *arg), void *arg)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 req;
	} msg = {
		.nlh = {
			.nlmsg_len = sizeof(msg),
			.nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
		},
		.req = {
			.sdiag_family = family,
			.sdiag_protocol = protocol,
			.idiag_states = 1U << (protocol == IPPROTO_TCP ? TCP_STATE_LISTEN :
					       TCP_STATE_CLOSE),
		},
	};
	static char buf[32768] __attribute__((aligned(NLMSG_ALIGNTO)));
	int fd, err = 0, done = 0;

	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0)
		return -errno;
	if (send(fd, &msg, sizeof(msg), 0) < 0) {
		err = -errno;
		goto out;
	}
	while (!done && !err) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *h;

		if (n < 0) {
			err = -errno;
			break;
		}
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			struct inet_diag_msg *m = NLMSG_DATA(h);
			struct diag_sock s = {};

			if (h->nlmsg_type == NLMSG_DONE) {
				done = 1;
				break;
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);

				err = e->error ? e->error : -EIO;
				break;
			}
			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
				continue;
			/* unconnected UDP only: a connected one is no candidate */
			if (protocol == IPPROTO_UDP && m->id.idiag_dport)
				continue;
			s.family = m->idiag_family;
			s.protocol = protocol;
			s.port = ntohs(m->id.idiag_sport);
			memcpy(s.addr, m->id.idiag_src, family == AF_INET ? 4 : 16);
			s.inode = m->idiag_inode;
			s.uid = m->idiag_uid;
			if (fn(&s, arg)) {
				done = 1;
				break;
			}
		}
	}
out:
	close(fd);
	return err;
}

int diag_dump(int protocol, int (*fn)(const struct diag_sock *s, void *arg),
	      void *arg)
{
	int err = dump_one(AF_INET, protocol, fn, arg);

	/* a kernel without IPv6 has no AF_INET6 handler */
	if (!err) {
		err = dump_one(AF_INET6, protocol, fn, arg);
		if (err == -ENOENT || err == -EAFNOSUPPORT)
			err = 0;
	}
	return err;
}
