// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Connections in service, for least-loaded: a TCP group's PCBG_MAP_LOAD
 * entered, by its map id, in the hooks' HASH_OF_MAPS (pcbgroupd's
 * pcbgw_loads), and each listener given its slot (sk_storage pcbgw_slot,
 * cloned into each connection), so that the sockops program counts each
 * slot's connections in pcbg_slot_load.conns (bpf/conns.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <netinet/in.h>
#include <bpf/bpf.h>

#include "internal.h"

/* Every slot's load to 0: what the hooks count starts from nothing. */
static int reset_loads(int load_fd, __u32 capacity)
{
	struct pcbg_slot_load *zero = calloc(capacity, sizeof(*zero));
	__u32 *keys = calloc(capacity, sizeof(*keys)), i, n = capacity;
	int err = 0;

	if (!zero || !keys) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < capacity; i++)
		keys[i] = i;
	if (bpf_map_update_batch(load_fd, keys, zero, &n, NULL))
		for (i = 0; !err && i < capacity; i++)
			if (bpf_map_update_elem(load_fd, &i, &zero[i], BPF_ANY))
				err = -errno;
out:
	free(zero);
	free(keys);
	return err;
}

/* The group's load map entered in @loads_fd, reset the first time; its id. */
static int enter_loads(struct pcbg_group *grp, int loads_fd, __u32 *id)
{
	int load_fd = grp->map_fd[PCBG_M_LOAD], err;
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), inner;

	if (bpf_obj_get_info_by_fd(load_fd, &info, &len))
		return -errno;
	/* a group made before the hooks counted: its map cannot be an inner one */
	if (!(info.map_flags & BPF_F_INNER_MAP))
		return -EOPNOTSUPP;
	*id = info.id;
	if (!bpf_map_lookup_elem(loads_fd, id, &inner))
		return 0;	/* counted already: the count goes on */
	err = reset_loads(load_fd, info.max_entries);
	if (!err && bpf_map_update_elem(loads_fd, id, &load_fd, BPF_NOEXIST) &&
	    errno != EEXIST)
		err = -errno;
	return err;
}

int pcbg_group_count_conns(struct pcbg_group *grp, int loads_fd, int slot_fd,
			   const int *fds, int n, __u32 *load_id)
{
	struct pcbg_watch_slot w = {};
	struct pcbg_group_info info;
	int err, i, slot, tagged = 0;

	err = pcbg_group_info(grp, &info);
	if (err)
		return err;
	if (info.protocol != IPPROTO_TCP)
		return -EPROTOTYPE;
	if (n < 0 || (n && !fds))
		return -EINVAL;
	err = enter_loads(grp, loads_fd, &w.load_id);
	if (!err && load_id)
		*load_id = w.load_id;
	for (i = 0; !err && i < n; i++) {
		slot = pcbg_group_socket_slot(grp, fds[i]);
		if (slot < 0)
			continue;	/* not a member (any more) */
		w.slot = slot;
		if (bpf_map_update_elem(slot_fd, &fds[i], &w, BPF_ANY))
			err = -errno;
		else
			tagged++;
	}
	return err ? err : tagged;
}
