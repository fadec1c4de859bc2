// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The queues that algorithm least-loaded compares: each slot's socket's
 * idiag_rqueue from one sock_diag dump of the group's port (a listener's
 * accept queue, a UDP socket's receive queue in bytes), matched to the slot
 * by its cookie and written into PCBG_MAP_LOAD.  The program cannot read a
 * queue itself: see docs/design.md, "Least-loaded".
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <bpf/bpf.h>

#include "internal.h"

#define TCPF_LISTEN_	(1U << 10)	/* include/net/tcp_states.h */
#define DIAG_BUF	32768

/* The slot whose socket has @cookie, or -1 (n is small: a linear scan). */
static int slot_of(const __u64 *cookies, __u32 n, __u64 cookie)
{
	__u32 i;

	for (i = 0; i < n; i++)
		if (cookies[i] == cookie)
			return i;
	return -1;
}

/*
 * One dump of @family's sockets of @protocol on local port @port, each seen
 * one's idiag_rqueue into @load by slot; 0 or -errno.
 */
static int dump_queues(const struct pcbg_group_info *info, const __u64 *cookies,
		       struct pcbg_slot_load *load, __u64 now)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 req;
		struct nlattr bc_attr;
		struct inet_diag_bc_op bc[2];
	} msg = {
		.nlh = {
			.nlmsg_len = sizeof(msg),
			.nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
		},
		.req = {
			.sdiag_family = info->family,
			.sdiag_protocol = info->protocol,
			.idiag_states = info->protocol == IPPROTO_TCP ? TCPF_LISTEN_ : ~0U,
		},
		.bc_attr = {
			.nla_len = NLA_HDRLEN + sizeof(msg.bc),
			.nla_type = INET_DIAG_REQ_BYTECODE,
		},
		/* sport == port: on to the end (match), else past it (no) */
		.bc = {
			{ .code = INET_DIAG_BC_S_EQ, .yes = sizeof(msg.bc),
			  .no = sizeof(msg.bc) + 4 },
			{ .no = info->port },
		},
	};
	static char buf[DIAG_BUF] __attribute__((aligned(NLMSG_ALIGNTO)));
	int fd, err = 0, done = 0, slot;

	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0)
		return -errno;
	if (send(fd, &msg, sizeof(msg), 0) < 0)
		err = -errno;
	while (!done && !err) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *h;

		if (n < 0) {
			err = -errno;
			break;
		}
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			struct inet_diag_msg *m = NLMSG_DATA(h);
			__u64 cookie;

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
			cookie = (__u64)m->id.idiag_cookie[1] << 32 | m->id.idiag_cookie[0];
			slot = slot_of(cookies, info->nr_slots, cookie);
			if (slot < 0)
				continue;
			load[slot].queue = m->idiag_rqueue;
			load[slot].sampled_ns = now;
		}
	}
	close(fd);
	return err;
}

int pcbg_group_sample_load(struct pcbg_group *grp)
{
	struct pcbg_slot_load *load = NULL;
	struct pcbg_group_info info;
	__u64 *cookies = NULL;
	__u32 *keys = NULL, i, count;
	struct pcbg_slot s;
	struct timespec ts;
	int err;

	err = pcbg_group_info(grp, &info);
	if (err || !info.nr_slots)
		return err;
	count = info.nr_slots;
	load = calloc(count, sizeof(*load));
	cookies = calloc(count, sizeof(*cookies));
	keys = calloc(count, sizeof(*keys));
	if (!load || !cookies || !keys) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < count; i++) {
		keys[i] = i;
		err = pcbg_group_slot(grp, i, &s);
		if (err)
			goto out;
		/* no socket has cookie 0: an unused slot matches none */
		cookies[i] = s.flags & PCBG_SLOT_USED ? s.cookie : 0;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	err = dump_queues(&info, cookies, load, ts.tv_sec * 1000000000ULL + ts.tv_nsec);
	if (!err && bpf_map_update_batch(grp->map_fd[PCBG_M_LOAD], keys, load, &count, NULL))
		err = -errno;
out:
	free(load);
	free(cookies);
	free(keys);
	return err;
}

int pcbg_group_slot_load(const struct pcbg_group *grp, __u32 slot,
			 struct pcbg_slot_load *load)
{
	return bpf_map_lookup_elem(grp->map_fd[PCBG_M_LOAD], &slot, load) ? -errno : 0;
}
