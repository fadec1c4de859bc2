/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A UDP datagram's flow key, for pcbgroup's flow table and for the bench
 * that measures other table layouts with the same key (bench/flow_layout).
 */
#ifndef PCBG_FLOW_KEY_H
#define PCBG_FLOW_KEY_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include "uapi/pcbgroup.h"

/*
 * The flow of a UDP datagram: addresses from the IP header, as addr_hash(),
 * ports from the UDP header at skb->data.  0, or -1 when the packet is too
 * short.
 */
static __noinline int flow_key(struct sk_reuseport_md *ctx, __u32 fields,
			       struct pcbg_flow_key *key)
{
	void *data_end = (void *)(long)ctx->data_end;
	__be16 *l4 = (void *)(long)ctx->data;
	__u32 words[2];

	if (ctx->eth_protocol == bpf_htons(ETH_P_IP)) {
		if (bpf_skb_load_bytes_relative(ctx, 12, words, 8, BPF_HDR_START_NET))
			return -1;
		key->saddr[0] = 0;
		key->saddr[1] = 0;
		key->saddr[2] = bpf_htonl(0xffff);
		key->saddr[3] = words[0];
		key->daddr[0] = 0;
		key->daddr[1] = 0;
		key->daddr[2] = bpf_htonl(0xffff);
		key->daddr[3] = words[1];
	} else if (bpf_skb_load_bytes_relative(ctx, 8, key, 32, BPF_HDR_START_NET)) {
		return -1;
	}
	key->sport = 0;
	key->dport = 0;
	if (fields == PCBG_HASH_2TUPLE)
		return 0;
	if ((void *)(l4 + 2) > data_end)
		return -1;
	key->sport = l4[0];
	key->dport = l4[1];
	return 0;
}

#endif
