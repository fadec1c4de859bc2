/* SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause */
/*
 * The layout of include/uapi/pcbgroup.h's structs, asserted once for the
 * program, the library, the module and the tests, which all include this.
 * The structs only grow at their end: a change here is an ABI change.
 */
#ifndef _PCBGROUP_LAYOUT_H
#define _PCBGROUP_LAYOUT_H

#include "uapi/pcbgroup.h"

#define PCBG_OFFSET(s, f, off) \
	_Static_assert(__builtin_offsetof(struct s, f) == (off), #s "." #f)
#define PCBG_SIZE(s, size) _Static_assert(sizeof(struct s) == (size), #s)

/* pcbg_config is the knobs, a __u32 each, in the order of PCBG_KNOBS */
#define PCBG_KNOB_INDEX(name, ...) PCBG_KNOB_INDEX_##name,
enum { PCBG_KNOBS(PCBG_KNOB_INDEX) PCBG_KNOB_COUNT };
#define PCBG_KNOB_OFFSET(name, ...) \
	PCBG_OFFSET(pcbg_config, name, 4 * PCBG_KNOB_INDEX_##name);
PCBG_KNOBS(PCBG_KNOB_OFFSET)
PCBG_SIZE(pcbg_config, 40);
_Static_assert(4 * PCBG_KNOB_COUNT == 40, "pcbg_config: a field a knob");

PCBG_SIZE(pcbg_group_info, 80);
PCBG_OFFSET(pcbg_group_info, nr_slots, 0);
PCBG_OFFSET(pcbg_group_info, capacity, 4);
PCBG_OFFSET(pcbg_group_info, family, 8);
PCBG_OFFSET(pcbg_group_info, protocol, 10);
PCBG_OFFSET(pcbg_group_info, port, 12);
PCBG_OFFSET(pcbg_group_info, addr, 16);
PCBG_OFFSET(pcbg_group_info, nr_cpus, 32);
PCBG_OFFSET(pcbg_group_info, gen, 36);
PCBG_OFFSET(pcbg_group_info, weighted, 68);
PCBG_OFFSET(pcbg_group_info, quic_cid_len, 72);

PCBG_SIZE(pcbg_slot, 32);
PCBG_OFFSET(pcbg_slot, inode, 0);
PCBG_OFFSET(pcbg_slot, cookie, 8);
PCBG_OFFSET(pcbg_slot, cpu, 16);
PCBG_OFFSET(pcbg_slot, flags, 24);
PCBG_OFFSET(pcbg_slot, weight, 28);

PCBG_SIZE(pcbg_slot_count, 32);
PCBG_OFFSET(pcbg_slot_count, selected, 0);
PCBG_OFFSET(pcbg_slot_count, cpu_local, 8);
PCBG_OFFSET(pcbg_slot_count, flow_hit, 16);
PCBG_OFFSET(pcbg_slot_count, quic_routed, 24);

PCBG_SIZE(pcbg_flow_key, 36);
PCBG_SIZE(pcbg_flow, 24);
PCBG_SIZE(pcbg_sample, 32);
PCBG_SIZE(pcbg_register, 64);
PCBG_SIZE(pcbg_slot_load, 16);
PCBG_OFFSET(pcbg_slot_load, queue, 0);
PCBG_OFFSET(pcbg_slot_load, conns, 4);
PCBG_OFFSET(pcbg_slot_load, sampled_ns, 8);

/* bindwatch (bpf/bindwatch.bpf.c and pcbgroupd) */
PCBG_SIZE(pcbg_watch_key, 16);
PCBG_OFFSET(pcbg_watch_key, port, 8);
PCBG_SIZE(pcbg_watch_owner, 24);
PCBG_SIZE(pcbg_watch_slot, 16);
PCBG_SIZE(pcbg_sock_event, 48);
PCBG_OFFSET(pcbg_sock_event, tgid, 32);
PCBG_OFFSET(pcbg_sock_event, port, 40);

#endif
