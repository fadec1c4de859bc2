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
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>

#include "tools.h"
#include "internal.h"

#define TCP_STATE_LISTEN	10	/* enum in include/net/tcp_states.h */
#define TCP_STATE_CLOSE		7	/* an unconnected UDP socket's */

struct listing {
	int protocol;
	int (*fn)(const struct diag_sock *s, void *arg);
	void *arg;
};

static int note_socket(const struct inet_diag_msg *m, void *arg)
{
	struct listing *l = arg;
	struct diag_sock s = {};

	/* unconnected UDP only: a connected one is no candidate */
	if (l->protocol == IPPROTO_UDP && m->id.idiag_dport)
		return 0;
	s.family = m->idiag_family;
	s.protocol = l->protocol;
	s.port = ntohs(m->id.idiag_sport);
	memcpy(s.addr, m->id.idiag_src, s.family == AF_INET ? 4 : 16);
	s.inode = m->idiag_inode;
	s.uid = m->idiag_uid;
	return l->fn(&s, l->arg);
}

static int dump_one(int family, int protocol,
		    int (*fn)(const struct diag_sock *s, void *arg), void *arg)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 req;
	} msg = {
		.req = {
			.sdiag_family = family,
			.sdiag_protocol = protocol,
			.idiag_states = 1U << (protocol == IPPROTO_TCP ? TCP_STATE_LISTEN :
					       TCP_STATE_CLOSE),
		},
	};
	struct listing l = { protocol, fn, arg };

	return pcbg_diag_dump(NULL, &msg, sizeof(msg), note_socket, &l);
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
