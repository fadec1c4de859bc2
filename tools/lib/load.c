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
#include <time.h>
#include <netinet/in.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <bpf/bpf.h>

#include "internal.h"

#define TCPF_LISTEN_	(1U << 10)	/* include/net/tcp_states.h */

/* The slot whose socket has @cookie, or -1 (n is small: a linear scan). */
static int slot_of(const __u64 *cookies, __u32 n, __u64 cookie)
{
	__u32 i;

	for (i = 0; i < n; i++)
		if (cookies[i] == cookie)
			return i;
	return -1;
}

struct queues {
	struct pcbg_group *grp;	/* its netlink socket is kept */
	const __u64 *cookies;	/* of each slot's socket, 0 none */
	__u32 nr_slots;
	struct pcbg_slot_load *load;
	__u64 now;
};

static int note_queue(const struct inet_diag_msg *m, void *arg)
{
	struct queues *q = arg;
	__u64 cookie = (__u64)m->id.idiag_cookie[1] << 32 | m->id.idiag_cookie[0];
	int slot = slot_of(q->cookies, q->nr_slots, cookie);

	if (slot >= 0) {
		q->load[slot].queue = m->idiag_rqueue;
		q->load[slot].sampled_ns = q->now;
	}
	return 0;
}

/*
 * One dump of the group's family and protocol, filtered by the kernel to
 * its port; each socket seen's idiag_rqueue into @q by slot.  0 or -errno.
 */
static int dump_queues(const struct pcbg_group_info *info, struct queues *q)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 req;
		struct nlattr bc_attr;
		struct inet_diag_bc_op bc[2];
	} msg = {
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

	return pcbg_diag_dump(&q->grp->diag_fd, &msg, sizeof(msg), note_queue, q);
}

/* Slots 0..@count-1 in one batch (a system call), else one by one. */
static int read_slots(struct pcbg_group *grp, struct pcbg_slot *slots, __u32 count)
{
	__u32 out, n = count, i;
	__u32 *keys = calloc(count, sizeof(*keys));
	int err = 0;

	if (keys && !bpf_map_lookup_batch(grp->map_fd[PCBG_M_SLOTS], NULL, &out, keys,
					  slots, &n, NULL) && n == count) {
		free(keys);
		return 0;
	}
	free(keys);
	for (i = 0; !err && i < count; i++)
		err = pcbg_group_slot(grp, i, &slots[i]);
	return err;
}

int pcbg_group_sample_load(struct pcbg_group *grp)
{
	struct pcbg_slot_load *load = NULL;
	struct pcbg_group_info info;
	__u64 *cookies = NULL;
	__u32 *keys = NULL, i, count;
	struct pcbg_slot *slots = NULL;
	struct timespec ts;
	struct queues q;
	int err;

	err = pcbg_group_info(grp, &info);
	if (err || !info.nr_slots)
		return err;
	count = info.nr_slots;
	load = calloc(count, sizeof(*load));
	cookies = calloc(count, sizeof(*cookies));
	keys = calloc(count, sizeof(*keys));
	slots = calloc(count, sizeof(*slots));
	if (!load || !cookies || !keys || !slots) {
		err = -ENOMEM;
		goto out;
	}
	err = read_slots(grp, slots, count);
	if (err)
		goto out;
	for (i = 0; i < count; i++) {
		keys[i] = i;
		/* no socket has cookie 0: an unused slot matches none */
		cookies[i] = slots[i].flags & PCBG_SLOT_USED ? slots[i].cookie : 0;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	q = (struct queues){ .grp = grp, .cookies = cookies, .nr_slots = count, .load = load,
			     .now = ts.tv_sec * 1000000000ULL + ts.tv_nsec };
	err = dump_queues(&info, &q);
	if (!err && bpf_map_update_batch(grp->map_fd[PCBG_M_LOAD], keys, load, &count, NULL))
		err = -errno;
out:
	free(load);
	free(cookies);
	free(keys);
	free(slots);
	return err;
}

int pcbg_group_slot_load(const struct pcbg_group *grp, __u32 slot,
			 struct pcbg_slot_load *load)
{
	return bpf_map_lookup_elem(grp->map_fd[PCBG_M_LOAD], &slot, load) ? -errno : 0;
}
