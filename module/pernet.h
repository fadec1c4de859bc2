/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pcbgroup: per network namespace state and the knobs of
 * /proc/sys/net/pcbgroup/.
 */
#ifndef _PCBGK_PERNET_H
#define _PCBGK_PERNET_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "pcbgroup_layout.h"

/**
 * struct pcbgk_knobs - one namespace's knobs, as the sysctls show them.
 * @v: the knobs in the order of PCBG_KNOBS (@v[PCBG_KNOB_INDEX_cpu_bits]
 *	is cpu_bits), each within its bounds; cpu_bits may be
 *	PCBG_CPU_BITS_AUTO.  The order of struct pcbg_config's fields too.
 *
 * Written by the sysctl handlers, read with READ_ONCE through
 * pcbgk_knobs_read().
 */
struct pcbgk_knobs {
	int v[PCBG_KNOB_COUNT];
};

/**
 * struct pcbgk_net - the module's state in one network namespace.
 * @lock: serialises everything that touches @groups: registration and
 *	unregistration, the sweep of dead groups, the config writes that
 *	follow a knob write, and the /proc/net/pcbgroup readers.  Taken in
 *	process context only, never on the packet path.
 * @groups: struct pcbgk_group.node, sorted by id.  Protected by @lock.
 * @nr_groups: entries in @groups.  Protected by @lock.
 * @knobs: the namespace's knobs.
 * @sysctl_hdr: /proc/sys/net/pcbgroup/ of this namespace.
 * @proc_dir: /proc/net/pcbgroup/ of this namespace.
 * @knobs_seq: knob writes so far (knobfile.c).
 * @knobs_wait: the pollers of /proc/net/pcbgroup/knobs (no-map mode).
 * @knobs_wake: wakes @knobs_wait after a knob write (knobfile.c).
 * @knobs_closing: taken for reading by a poller while it adds itself to
 *	@knobs_wait, for writing to set @knobs_gone.
 * @knobs_gone: the knobs file is going away: no poller may wait any more.
 *	Protected by @knobs_closing.
 */
struct pcbgk_net {
	struct mutex lock;	/* protects groups, nr_groups */
	struct list_head groups;
	unsigned int nr_groups;
	struct pcbgk_knobs knobs;
	struct ctl_table_header *sysctl_hdr;
	struct proc_dir_entry *proc_dir;
	atomic64_t knobs_seq;
	wait_queue_head_t knobs_wait;
	struct work_struct knobs_wake;
	struct rw_semaphore knobs_closing;
	bool knobs_gone;
};

struct seq_file;

extern unsigned int pcbgk_net_id;

static inline struct pcbgk_net *pcbgk_net(const struct net *net)
{
	return net_generic(net, pcbgk_net_id);
}

void pcbgk_knobs_read(struct pcbgk_net *pn, struct pcbgk_knobs *k);
const char *pcbgk_algorithm_name(unsigned int algorithm);
void pcbgk_knobs_show(struct seq_file *seq, struct pcbgk_knobs *k);

int pcbgk_pernet_init(void);
void pcbgk_pernet_exit(void);

#endif /* _PCBGK_PERNET_H */
