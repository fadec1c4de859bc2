// SPDX-License-Identifier: GPL-2.0
/*
 * The floor of a steering program: the group's size from global data,
 * RFC 2992 hash-threshold by a multiply-shift, and the one helper call that
 * selects, into a socket array the loader sized to the group.  What
 * pcbgroup's algorithms cost above this is what their own bookkeeping costs.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_REUSEPORT_SOCKARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} minimal_socks SEC(".maps");

__u32 nr_socks;

SEC("sk_reuseport")
int bench_minimal(struct sk_reuseport_md *ctx)
{
	__u32 slot = ((__u64)ctx->hash * nr_socks) >> 32;

	bpf_sk_select_reuseport(ctx, &minimal_socks, &slot, 0);
	return SK_PASS;
}

char LICENSE[] SEC("license") = "GPL";
