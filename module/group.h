/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pcbgroup: the groups registered in a network namespace, and what the
 * module reads and writes in their maps.
 */
#ifndef _PCBGK_GROUP_H
#define _PCBGK_GROUP_H

#include <linux/bpf.h>
#include <linux/list.h>
#include <linux/types.h>

#include "uapi/pcbgroup.h"

struct net;
struct pcbgk_net;

/* Groups one namespace may register (more: -ENOSPC). */
#define PCBGK_GROUPS_MAX		1024

/* Slots of a CPU's table /proc/net/pcbgroup/cpus lists; more: ",...". */
#define PCBGK_CPU_SLOTS_SHOWN	64

/* maps=0 (main.c): no group holds maps, the tools report them. */
extern bool pcbgk_maps;

/**
 * struct pcbgk_slot_view - what /proc/net/pcbgroup/sockets shows of a slot.
 * @inode: inode of the socket in the slot now, 0 if none.
 * @cpu: the slot's CPU as the tools recorded it, -1 if none or if the slot
 *	holds no socket now.
 * @selected: selections of the slot, summed over the CPUs.
 * @weight: the socket's weight (pcbg_slot_weight()), 0 if the slot holds
 *	no socket now.
 * @queue: the slot's queue as the tools last sampled it (least-loaded).
 * @conns: the connections the daemon's hooks count for the slot.
 */
struct pcbgk_slot_view {
	u64 inode;
	s32 cpu;
	u64 selected;
	u32 weight;
	u32 queue;
	u32 conns;
};

/**
 * struct pcbgk_cpu_view - what /proc/net/pcbgroup/cpus shows of one CPU of
 *	a group.
 * @nr: slots in the CPU's table of the generation in use.
 * @slots: the first min(@nr, PCBGK_CPU_SLOTS_SHOWN) of them.
 * @local: PCBG_STAT_CPU_LOCAL on that CPU.
 * @misses: PCBG_STAT_CPU_MISS on that CPU.
 * @selected: PCBG_STAT_SELECTED on that CPU.
 */
struct pcbgk_cpu_view {
	u32 nr;
	u32 slots[PCBGK_CPU_SLOTS_SHOWN];
	u64 local;
	u64 misses;
	u64 selected;
};

struct pcbgk_group;
struct pcbgk_knobs;

/**
 * struct pcbgk_group_ops - a group as one of the module's two modes holds
 *	it: its maps (group_maps.c) or the tools' last report (group_report.c).
 *	What the tables show of a group comes through these only.
 * @info: a copy of the group's struct pcbg_group_info (zeroed if none).
 * @config: a copy of its struct pcbg_config (zeroed if none).
 * @nr_slots: the slots the tables list, at most the socket array's size.
 * @live_sockets: the slots holding a socket now.
 * @stat: one of the program's counters, summed over the CPUs.
 * @slot: what /proc/net/pcbgroup/sockets shows of a slot below @nr_slots.
 * @cpu: what /proc/net/pcbgroup/cpus shows of one CPU; NULL: no CPU table.
 * @dead: no one but the module holds the group; NULL: never (the tools
 *	unregister it).
 * @write_config: write the namespace's knobs into the group's config;
 *	NULL: the module writes no config.
 * @free: release what the group holds, and the group.
 */
struct pcbgk_group_ops {
	void (*info)(struct pcbgk_group *g, struct pcbg_group_info *info);
	void (*config)(struct pcbgk_group *g, struct pcbg_config *cfg);
	u32 (*nr_slots)(struct pcbgk_group *g);
	u32 (*live_sockets)(struct pcbgk_group *g);
	u64 (*stat)(struct pcbgk_group *g, enum pcbg_stat stat);
	void (*slot)(struct pcbgk_group *g, u32 slot, struct pcbgk_slot_view *view);
	void (*cpu)(struct pcbgk_group *g, unsigned int cpu,
		    struct pcbgk_cpu_view *view);
	bool (*dead)(struct pcbgk_group *g);
	void (*write_config)(struct pcbgk_group *g, const struct pcbgk_knobs *k);
	void (*free)(struct pcbgk_group *g);
};

/**
 * struct pcbgk_group - one group of a namespace, embedded in its mode's.
 * @node: in struct pcbgk_net.groups, under its lock.
 * @id: the group's id in its namespace, > 0.
 * @ops: its mode.
 */
struct pcbgk_group {
	struct list_head node;
	u32 id;
	const struct pcbgk_group_ops *ops;
};

/* group.c: the groups of a namespace, whatever their mode */
int pcbgk_group_insert(struct pcbgk_net *pn, struct pcbgk_group *g, u32 want);
int pcbgk_group_unregister(struct pcbgk_net *pn, u32 id);
void pcbgk_groups_sweep(struct pcbgk_net *pn);
void pcbgk_groups_sync(struct pcbgk_net *pn);
void pcbgk_groups_release(struct pcbgk_net *pn);

/* group_maps.c: registration of a group's maps (maps mode) */
int pcbgk_group_register(struct net *net, struct pcbg_register *req);
/* group_report.c: a group as the tools report it (no-map mode) */
int pcbgk_group_report(struct net *net, struct pcbg_report *rep);

/* registry.c: every registered map, in every namespace (maps mode) */
int pcbgk_registry_add(struct bpf_map *const *maps, void *owner);
void pcbgk_registry_del(struct bpf_map *const *maps);
bool pcbgk_registry_empty(void);

#endif /* _PCBGK_GROUP_H */
