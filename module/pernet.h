/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pcbgroup: per network namespace state and the knobs of
 * /proc/sys/net/pcbgroup/.
 */
#ifndef _PCBG_PERNET_H
#define _PCBG_PERNET_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

/**
 * struct pcbg_knobs - one namespace's knobs, as the sysctls show them.
 * @tcp_reuseport_ext: 0 or 1.
 * @udp_reuseport_ext: 0 or 1.
 * @algorithm: an enum pcbg_algorithm.
 * @cpu_bits: PCBG_CPU_BITS_AUTO or 0..PCBG_CPU_BITS_MAX.
 * @max_group_size: 1..PCBG_SLOTS_LIMIT.
 * @stats: 0 or 1.
 * @hash_fields: an enum pcbg_hash_fields.
 * @migrate: 0 or 1.
 * @flow_table: 0 or 1.
 * @flow_timeout: seconds, 1..PCBG_FLOW_TIMEOUT_MAX.
 *
 * Written by the sysctl handlers (WRITE_ONCE), read with READ_ONCE through
 * pcbg_knobs_read().
 */
struct pcbg_knobs {
	unsigned int tcp_reuseport_ext;
	unsigned int udp_reuseport_ext;
	unsigned int algorithm;
	int cpu_bits;
	unsigned int max_group_size;
	unsigned int stats;
	unsigned int hash_fields;
	unsigned int migrate;
	unsigned int flow_table;
	unsigned int flow_timeout;
};

/**
 * struct pcbg_net - the module's state in one network namespace.
 * @lock: serialises everything that touches @groups: registration and
 *	unregistration, the sweep of dead groups, the config writes that
 *	follow a knob write, and the /proc/net/pcbgroup readers.  Taken in
 *	process context only, never on the packet path.
 * @groups: struct pcbg_group.node, sorted by id.  Protected by @lock.
 * @nr_groups: entries in @groups.  Protected by @lock.
 * @knobs: the namespace's knobs.
 * @sysctl_hdr: /proc/sys/net/pcbgroup/ of this namespace.
 * @proc_dir: /proc/net/pcbgroup/ of this namespace.
 * @knobs_seq: knob writes so far.  Protected by @lock.
 * @knobs_wait: the pollers of /proc/net/pcbgroup/knobs (no-map mode).
 */
struct pcbg_net {
	struct mutex lock;	/* protects groups, nr_groups */
	struct list_head groups;
	unsigned int nr_groups;
	struct pcbg_knobs knobs;
	struct ctl_table_header *sysctl_hdr;
	struct proc_dir_entry *proc_dir;
	u64 knobs_seq;
	wait_queue_head_t knobs_wait;
};

extern unsigned int pcbg_net_id;

static inline struct pcbg_net *pcbg_net(const struct net *net)
{
	return net_generic(net, pcbg_net_id);
}

void pcbg_knobs_read(struct pcbg_net *pn, struct pcbg_knobs *k);
const char *pcbg_algorithm_name(unsigned int algorithm);
const char *pcbg_hash_fields_name(unsigned int hash_fields);

int pcbg_pernet_init(void);
void pcbg_pernet_exit(void);

#endif /* _PCBG_PERNET_H */
