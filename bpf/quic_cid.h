/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The server id in a QUIC datagram's destination connection ID, for groups
 * with quic_cid_len (include/uapi/pcbgroup.h: PCBG_QUIC_CID_MIN has the
 * layout, QUIC-LB's plaintext one).  Only QUIC's version-independent
 * invariants are read (RFC 8999): bit 0x80 of the first octet tells a long
 * header, whose DCID length is octet 5 and its DCID from octet 6, from a
 * short one, whose DCID, of the length the group was given, is from octet 1.
 */
#ifndef PCBG_QUIC_CID_H
#define PCBG_QUIC_CID_H

#define QUIC_LONG_HEADER	0x80
#define QUIC_LONG_DCID_LEN	5	/* after the flags and the 4-octet version */
#define QUIC_UDP_HLEN		8	/* skb->data is at the UDP header */

/*
 * The slot named by the destination CID of @ctx's datagram, or -1: not a
 * CID of ours (a client's random first DCID, another length, another
 * config rotation), or too short to be QUIC.  A random CID passes the
 * first-octet check one time in 256.
 */
static __always_inline long quic_cid_slot(struct sk_reuseport_md *ctx,
					  __u32 cid_len)
{
	/* a long header's first 9 octets hold the CID's first 3 */
	__u8 h[QUIC_LONG_DCID_LEN + 1 + PCBG_QUIC_SID_OFF + PCBG_QUIC_SID_LEN];
	__u8 *cid = h + 1, *p = (void *)(long)ctx->data + QUIC_UDP_HLEN;

	/* in the skb's linear part as a rule; in its pages, by the helper */
	if ((void *)(p + sizeof(h)) <= (void *)(long)ctx->data_end)
		__builtin_memcpy(h, p, sizeof(h));
	else if (bpf_skb_load_bytes(ctx, QUIC_UDP_HLEN, h, sizeof(h)))
		return -1;
	if (h[0] & QUIC_LONG_HEADER) {
		if (h[QUIC_LONG_DCID_LEN] != cid_len)
			return -1;
		cid = h + QUIC_LONG_DCID_LEN + 1;
	}
	/* config rotation 0, length self-encoded */
	if (cid[0] != cid_len - 1)
		return -1;
	return (__u32)cid[PCBG_QUIC_SID_OFF] << 8 | cid[PCBG_QUIC_SID_OFF + 1];
}

#endif /* PCBG_QUIC_CID_H */
