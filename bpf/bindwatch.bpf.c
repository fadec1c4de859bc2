// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * bindwatch: tell pcbgroupd the moment a socket joins or leaves the
 * SO_REUSEPORT group of a declared port, so that it is steered within
 * milliseconds of its bind() or listen() rather than at the next look.
 *
 * Attached at the cgroup v2 root, the hooks see every socket of the host;
 * each reports only the ports of pcbgw_ports, keyed by the socket's network
 * namespace, so that a socket elsewhere costs a hash lookup and nothing
 * more.  Where each hook runs (docs/design.md, "Learning sockets at bind
 * time"):
 *
 *   cgroup/post_bind4, 6  after inet_bind(): a UDP socket is then hashed,
 *                         in its reuseport group (udp_lib_get_port()): joined.
 *                         A TCP socket is only bound.  Either way the socket
 *                         gets a pcbg_watch_owner (sk_storage): who bound it,
 *                         and to which port; pcbgroupd gives one to a socket
 *                         it adopts that was bound before the hooks.
 *   sockops TCP_LISTEN_CB after inet_csk_listen_start() hashed the listener
 *                         into its reuseport group: joined.  Sockops runs
 *                         in no process context, so the owner noted at
 *                         bind is reported.
 *   sockops PASSIVE_ESTABLISHED_CB, STATE_CB: the connections of each
 *                         listener of a counted group, one more, one less
 *                         (conns.h)
 *   cgroup/sock_release   in inet_release(), before the protocol's close:
 *                         a TCP listener or unconnected UDP socket with a
 *                         pcbg_watch_owner leaves.  This hook may not read the
 *                         local port (__sock_filter_check_attach_type()),
 *                         hence the port kept with the owner; a socket
 *                         without one costs a NULL pointer test.
 */
#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include "pcbgroup_layout.h"
#include "conns.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PCBGW_PORTS_MAX);
	__type(key, struct pcbg_watch_key);
	__type(value, __u32);
} pcbgw_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, PCBGW_EVENTS_BYTES);
} pcbgw_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct pcbg_watch_owner);
} pcbgw_owner SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PCBGW_STAT_NR);
	__type(key, __u32);
	__type(value, __u64);
} pcbgw_stats SEC(".maps");

static __always_inline void count(__u32 stat)
{
	__u64 *cnt = bpf_map_lookup_elem(&pcbgw_stats, &stat);

	if (cnt)
		*cnt += 1;
}

/* Is this port declared in this namespace? */
static __always_inline int declared(__u64 netns, __u32 port, __u32 protocol)
{
	struct pcbg_watch_key key = {
		.netns_cookie = netns, .port = port, .protocol = protocol,
	};

	return port && bpf_map_lookup_elem(&pcbgw_ports, &key);
}

static __always_inline void emit(__u32 kind, __u64 netns, __u64 cookie,
				 __u32 port, __u32 protocol, __u32 family,
				 const struct pcbg_watch_owner *owner)
{
	struct pcbg_sock_event *e;

	e = bpf_ringbuf_reserve(&pcbgw_events, sizeof(*e), 0);
	if (!e) {
		count(PCBGW_STAT_LOST);	/* the sweep finds it instead */
		return;
	}
	e->time_ns = bpf_ktime_get_ns();
	e->netns_cookie = netns;
	e->sock_cookie = cookie;
	e->cgroup_id = owner ? owner->cgroup_id : 0;
	e->tgid = owner ? owner->tgid : 0;
	e->uid = owner ? owner->uid : (__u32)-1;
	e->port = port;
	e->protocol = protocol;
	e->family = family;
	e->kind = kind;
	e->__pad[0] = 0;
	e->__pad[1] = 0;
	e->__pad[2] = 0;
	bpf_ringbuf_submit(e, 0);
	count(PCBGW_STAT_EVENTS);
}

static __always_inline int post_bind(struct bpf_sock *sk)
{
	__u64 netns = bpf_get_netns_cookie(sk);
	struct pcbg_watch_owner *o;

	if (!declared(netns, sk->src_port, sk->protocol))
		return 1;
	o = bpf_sk_storage_get(&pcbgw_owner, sk, NULL, BPF_SK_STORAGE_GET_F_CREATE);
	if (!o)
		return 1;	/* no memory: the sweep finds it */
	o->cgroup_id = bpf_get_current_cgroup_id();
	o->tgid = bpf_get_current_pid_tgid() >> 32;
	o->uid = (__u32)bpf_get_current_uid_gid();
	o->port = sk->src_port;
	o->protocol = sk->protocol;
	o->family = sk->family;
	/* UDP is in its group once bound; TCP once it listens */
	if (sk->protocol == IPPROTO_UDP)
		emit(PCBG_SOCK_JOINED, netns, bpf_get_socket_cookie(sk),
		     o->port, IPPROTO_UDP, o->family, o);
	return 1;
}

SEC("cgroup/post_bind4")
int pcbgw_bind4(struct bpf_sock *sk)
{
	return post_bind(sk);
}

SEC("cgroup/post_bind6")
int pcbgw_bind6(struct bpf_sock *sk)
{
	return post_bind(sk);
}

SEC("sockops")
int pcbgw_listen(struct bpf_sock_ops *ops)
{
	struct pcbg_watch_owner *o;
	struct bpf_sock *sk;
	__u64 netns;

	/* a connection of a group's listener: counted (conns.h) */
	if (ops->op == BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB ||
	    ops->op == BPF_SOCK_OPS_STATE_CB)
		return conns_event(ops);
	if (ops->op != BPF_SOCK_OPS_TCP_LISTEN_CB)
		return 1;
	netns = bpf_get_netns_cookie(ops);
	if (!declared(netns, ops->local_port, IPPROTO_TCP))
		return 1;
	sk = ops->sk;
	o = sk ? bpf_sk_storage_get(&pcbgw_owner, sk, NULL, 0) : NULL;
	emit(PCBG_SOCK_JOINED, netns, bpf_get_socket_cookie(ops),
	     ops->local_port, IPPROTO_TCP, ops->family, o);
	return 1;
}

SEC("cgroup/sock_release")
int pcbgw_release(struct bpf_sock *sk)
{
	struct pcbg_watch_owner *o = bpf_sk_storage_get(&pcbgw_owner, sk, NULL, 0);

	/* bound to a declared port, and a group member: listening, or no peer */
	if (!o || (o->protocol == IPPROTO_TCP ? sk->state != BPF_TCP_LISTEN :
		   sk->dst_port))
		return 1;
	emit(PCBG_SOCK_LEFT, bpf_get_netns_cookie(sk), bpf_get_socket_cookie(sk),
	     o->port, o->protocol, o->family, o);
	return 1;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
