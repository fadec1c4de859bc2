// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * QUIC connection-ID routing: the group's setting, and the connection IDs
 * its servers issue, laid out as include/uapi/pcbgroup.h says at
 * PCBG_QUIC_CID_MIN (QUIC-LB's plaintext algorithm, the slot as server id).
 */
#include <errno.h>
#include <sys/random.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "internal.h"

int pcbg_quic_cid_len_bad(__u32 len)
{
	return len && (len < PCBG_QUIC_CID_MIN || len > PCBG_QUIC_CID_MAX);
}

static int set_quic(struct pcbg_group_info *info, __u32 cid_len)
{
	/* a group without a socket yet has no protocol; off is off anywhere */
	if (cid_len && info->nr_slots && info->protocol != IPPROTO_UDP)
		return -EPROTOTYPE;
	info->quic_cid_len = cid_len;
	return 0;
}

int pcbg_group_set_quic(struct pcbg_group *grp, __u32 cid_len)
{
	if (pcbg_quic_cid_len_bad(cid_len))
		return -EINVAL;
	return pcbg_group_edit_info(grp, set_quic, cid_len);
}

int pcbg_quic_cid(__u32 slot, void *cid, size_t len)
{
	__u8 *c = cid;

	if (pcbg_quic_cid_len_bad(len) || !len || slot >= PCBG_SLOTS_LIMIT)
		return -EINVAL;
	/* the nonce: random, so that CIDs of one socket are not linkable */
	if (getrandom(c, len, 0) != (ssize_t)len)
		return -errno;
	c[0] = len - 1;		/* config rotation 0, length self-encoded */
	c[PCBG_QUIC_SID_OFF] = slot >> 8;
	c[PCBG_QUIC_SID_OFF + 1] = slot & 0xff;
	return 0;
}

int pcbg_group_socket_slot(const struct pcbg_group *grp, int fd)
{
	struct pcbg_group_info info;
	socklen_t optlen = sizeof(__u64);
	__u64 cookie, held;
	__u32 slot;
	int err;

	if (getsockopt(fd, SOL_SOCKET, SO_COOKIE, &cookie, &optlen))
		return -errno;
	err = pcbg_group_info(grp, &info);
	for (slot = 0; !err && slot < info.nr_slots && slot < info.capacity; slot++) {
		err = pcbg_slot_cookie(grp, slot, &held);
		if (err == 1 && held == cookie)
			return slot;
		err = err < 0 ? err : 0;
	}
	return err ? err : -ENOENT;
}

int pcbg_group_quic_cid(const struct pcbg_group *grp, int fd, void *cid,
			size_t len)
{
	int slot = pcbg_group_socket_slot(grp, fd);

	return slot < 0 ? slot : pcbg_quic_cid(slot, cid, len);
}
