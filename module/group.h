/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pcbgroup: the groups registered in a network namespace, and what the
 * module reads and writes in their maps.
 */
#ifndef _PCBG_GROUP_H
#define _PCBG_GROUP_H

#include <linux/bpf.h>
#include <linux/list.h>
#include <linux/types.h>

#include "uapi/pcbgroup.h"

struct net;
struct pcbgk_net;

/* Groups one namespace may register (more: -ENOSPC). */
#define PCBG_GROUPS_MAX		1024

/* Slots of a CPU's table /proc/net/pcbgroup/cpus lists; more: ",...". */
#define PCBG_CPU_SLOTS_SHOWN	64

/**
 * struct pcbgk_group - one registered group.
 * @node: in struct pcbgk_net.groups, under its lock.
 * @id: the group's id in its namespace, > 0.
 * @maps: the module's own reference on each map, indexed by
 *	enum pcbg_map (the first PCBG_M_MODULE_NR); held until the group is released.
 * @registered: @maps are in the registry of every registered map.
 * @report: in no-map mode, the tools' last report of the group, and no
 *	@maps; NULL otherwise.
 */
struct pcbgk_group {
	struct list_head node;
	u32 id;
	struct bpf_map *maps[PCBG_M_MODULE_NR];
	bool registered;
	struct pcbg_report *report;
};

/* maps=0 (main.c): no group holds maps, the tools report them. */
extern bool pcbgk_maps;

/**
 * struct pcbgk_slot_view - what /proc/net/pcbgroup/sockets shows of a slot.
 * @inode: inode of the socket in the slot now, 0 if none.
 * @cpu: the slot's CPU as the tools recorded it, -1 if none or if the slot
 *	holds no socket now.
 * @selected: selections of the slot, summed over the CPUs.
 */
struct pcbgk_slot_view {
	u64 inode;
	s32 cpu;
	u64 selected;
};

/**
 * struct pcbgk_cpu_view - what /proc/net/pcbgroup/cpus shows of one CPU of
 *	a group.
 * @nr: slots in the CPU's table of the generation in use.
 * @slots: the first min(@nr, PCBG_CPU_SLOTS_SHOWN) of them.
 * @local: PCBG_STAT_CPU_LOCAL on that CPU.
 * @misses: PCBG_STAT_CPU_MISS on that CPU.
 * @selected: PCBG_STAT_SELECTED on that CPU.
 */
struct pcbgk_cpu_view {
	u32 nr;
	u32 slots[PCBG_CPU_SLOTS_SHOWN];
	u64 local;
	u64 misses;
	u64 selected;
};

int pcbgk_group_register(struct net *net, struct pcbg_register *req);
int pcbgk_group_unregister(struct pcbgk_net *pn, u32 id);
int pcbgk_group_report(struct net *net, struct pcbg_report *rep);
void pcbgk_groups_sweep(struct pcbgk_net *pn);
void pcbgk_groups_sync(struct pcbgk_net *pn);
void pcbgk_groups_release(struct pcbgk_net *pn);
bool pcbgk_registry_empty(void);

void pcbgk_group_info(struct pcbgk_group *g, struct pcbg_group_info *info);
void pcbgk_group_config(struct pcbgk_group *g, struct pcbg_config *cfg);
u32 pcbgk_group_nr_slots(struct pcbgk_group *g);
u32 pcbgk_group_live_sockets(struct pcbgk_group *g);
u64 pcbgk_group_stat(struct pcbgk_group *g, enum pcbg_stat stat);
void pcbgk_group_slot(struct pcbgk_group *g, u32 slot,
		      struct pcbgk_slot_view *view);
void pcbgk_group_cpu(struct pcbgk_group *g, unsigned int cpu,
		     struct pcbgk_cpu_view *view);

#endif /* _PCBG_GROUP_H */
