/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * conns: the TCP connections each listener of a group owns, counted in the
 * kernel as they come and go, for least-loaded (struct pcbg_slot_load.conns;
 * docs/design.md, "Connections in service").  Part of the bindwatch sockops
 * program, which pcbgroupd attaches at the cgroup v2 root.
 *
 *   pcbgroupd           gives each listener it places a pcbgw_slot (the
 *                       group's pcbg_load id, the slot) and enters the
 *                       group's pcbg_load in pcbgw_loads under that id
 *   the kernel          clones pcbgw_slot (BPF_F_CLONE) into each
 *                       connection the listener accepts, at its birth
 *   PASSIVE_ESTABLISHED the connection's copy names the slot: conns + 1,
 *                       and its state changes are reported from now on
 *   STATE_CB            it leaves ESTABLISHED and CLOSE_WAIT (the server
 *                       closed or shut down its side, or a reset): - 1
 *
 * A connection whose listener has no pcbgw_slot costs one NULL storage
 * lookup; its state changes are not reported.
 */
#ifndef PCBG_BPF_CONNS_H
#define PCBG_BPF_CONNS_H

/* Any group's pcbg_load: array maps of their own sizes (BPF_F_INNER_MAP). */
struct pcbgw_load_inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_INNER_MAP);
	__uint(max_entries, 1);
	/* sizes, not BTF types: see pcbg_load in pcbgroup.bpf.c */
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct pcbg_slot_load));
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, PCBGW_LOADS_MAX);
	__type(key, __u32);
	__array(values, struct pcbgw_load_inner);
} pcbgw_loads SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC | BPF_F_CLONE);
	__type(key, int);
	__type(value, struct pcbg_watch_slot);
} pcbgw_slot SEC(".maps");

/* Retries of a decrement that raced with another CPU's change. */
#define CONNS_CAS_TRIES	8

static __always_inline struct pcbg_slot_load *conns_of(const struct pcbg_watch_slot *w)
{
	void *load = bpf_map_lookup_elem(&pcbgw_loads, &w->load_id);

	return load ? bpf_map_lookup_elem(load, &w->slot) : NULL;
}

/* One less, never below 0 (a count the tools reset meanwhile). */
static __always_inline void conns_put(struct pcbg_slot_load *l)
{
	__u32 old = l->conns, seen;
	int i;

	for (i = 0; i < CONNS_CAS_TRIES && old; i++) {
		seen = __sync_val_compare_and_swap(&l->conns, old, old - 1);
		if (seen == old)
			return;
		old = seen;
	}
}

/* BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB or BPF_SOCK_OPS_STATE_CB. */
static __always_inline int conns_event(struct bpf_sock_ops *ops)
{
	struct pcbg_slot_load *l;
	struct pcbg_watch_slot *w;
	struct bpf_sock *sk = ops->sk;
	__u32 state;

	w = sk ? bpf_sk_storage_get(&pcbgw_slot, sk, NULL, 0) : NULL;
	if (!w)
		return 1;
	if (ops->op == BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB) {
		l = w->counted ? NULL : conns_of(w);
		if (!l)
			return 1;	/* its group is not counted (any more) */
		__sync_fetch_and_add(&l->conns, 1);
		w->counted = 1;
		bpf_sock_ops_cb_flags_set(ops, ops->bpf_sock_ops_cb_flags |
					  BPF_SOCK_OPS_STATE_CB_FLAG);
		return 1;
	}
	state = ops->args[1];
	if (!w->counted || state == BPF_TCP_ESTABLISHED || state == BPF_TCP_CLOSE_WAIT)
		return 1;
	w->counted = 0;
	l = conns_of(w);
	if (l)
		conns_put(l);
	return 1;
}

#endif
