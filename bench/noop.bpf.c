// SPDX-License-Identifier: GPL-2.0
/*
 * The cost of running any SK_REUSEPORT program: this one selects nothing,
 * so the kernel picks by its own hash, as with no program at all.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("sk_reuseport")
int bench_noop(struct sk_reuseport_md *ctx)
{
	return SK_PASS;
}

char LICENSE[] SEC("license") = "GPL";
