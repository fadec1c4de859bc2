// SPDX-License-Identifier: GPL-2.0
/*
 * pcbgroup: a group as the tools report it (no-map mode).
 *
 * In no-map mode (maps=0, or a module built without bpf_map_get()) a group
 * is only the tools' last report of it (PCBG_IOC_REPORT): the module holds
 * no map, writes none, shows what the report says (no slot and no CPU
 * table), and drops the group when the tools unregister it.  The report is
 * the caller's own word: the module cannot check it.
 */
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <net/net_namespace.h>

#include "group.h"
#include "pernet.h"

/**
 * struct pcbgk_report_group - a group in no-map mode.
 * @g: the group.
 * @rep: the tools' last report of it.
 */
struct pcbgk_report_group {
	struct pcbgk_group g;
	struct pcbg_report rep;
};

static const struct pcbg_report *pcbgk_report(struct pcbgk_group *g)
{
	return &container_of(g, struct pcbgk_report_group, g)->rep;
}

static void pcbgk_report_info(struct pcbgk_group *g, struct pcbg_group_info *info)
{
	*info = pcbgk_report(g)->info;
}

static void pcbgk_report_config(struct pcbgk_group *g, struct pcbg_config *cfg)
{
	*cfg = pcbgk_report(g)->cfg;
}

/* The report has no slot: the sockets table shows none. */
static u32 pcbgk_report_nr_slots(struct pcbgk_group *g)
{
	return 0;
}

static u32 pcbgk_report_live_sockets(struct pcbgk_group *g)
{
	return pcbgk_report(g)->live;
}

static u64 pcbgk_report_stat(struct pcbgk_group *g, enum pcbg_stat stat)
{
	return pcbgk_report(g)->stats[stat];
}

static void pcbgk_report_free(struct pcbgk_group *g)
{
	kfree(container_of(g, struct pcbgk_report_group, g));
}

static const struct pcbgk_group_ops pcbgk_report_ops = {
	.info		= pcbgk_report_info,
	.config		= pcbgk_report_config,
	.nr_slots	= pcbgk_report_nr_slots,
	.live_sockets	= pcbgk_report_live_sockets,
	.stat		= pcbgk_report_stat,
	.free		= pcbgk_report_free,
};

/**
 * pcbgk_group_report() - in no-map mode, enter or replace the tools' report
 * of a group.
 * @net: the namespace, the caller's.
 * @rep: the report; @rep->id is set to the group's id on success.
 *
 * Return: 0; -EOPNOTSUPP unless in no-map mode; -EINVAL for a wrong abi or
 * padding; -ENOSPC past PCBGK_GROUPS_MAX; -ENOMEM.
 */
int pcbgk_group_report(struct net *net, struct pcbg_report *rep)
{
	struct pcbgk_net *pn = pcbgk_net(net);
	struct pcbgk_report_group *rg;
	struct pcbgk_group *g;
	int err = 0;

	if (pcbgk_maps)
		return -EOPNOTSUPP;
	if (rep->abi != PCBG_ABI_VERSION || rep->__pad)
		return -EINVAL;
	/* allocated before the lock, freed after it if not needed */
	rg = kzalloc(sizeof(*rg), GFP_KERNEL_ACCOUNT);
	if (!rg)
		return -ENOMEM;
	rg->g.ops = &pcbgk_report_ops;
	rg->rep = *rep;
	mutex_lock(&pn->lock);
	list_for_each_entry(g, &pn->groups, node) {
		if (g->id == rep->id) {
			/* a known id: its report is replaced, whole */
			swap(container_of(g, struct pcbgk_report_group, g)->rep, rg->rep);
			goto out_unlock;
		}
	}
	err = pcbgk_group_insert(pn, &rg->g, rep->id);
	if (!err) {
		rep->id = rg->g.id;
		rg = NULL;
	}
out_unlock:
	mutex_unlock(&pn->lock);
	kfree(rg);
	return err;
}
