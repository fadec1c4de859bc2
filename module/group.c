// SPDX-License-Identifier: GPL-2.0
/*
 * pcbgroup: the groups of each network namespace, whatever their mode.
 *
 * The module holds a group in one of two modes, each in a file of its own
 * behind struct pcbgk_group_ops: its maps, handed over by PCBG_IOC_REGISTER
 * (group_maps.c), or, in no-map mode (maps=0), only the tools' last report
 * of it, PCBG_IOC_REPORT (group_report.c).  Here: the namespace's list,
 * sorted by id, and what happens to every group of it: an id, a knob write,
 * the lazy sweep of dead groups, unregistering, release with the namespace.
 *
 * Dead groups are dropped lazily, with no timer: pcbgk_groups_sweep() runs at
 * every registration, every knob write and every /proc/net/pcbgroup/ read,
 * under the namespace's lock.  Until a sweep sees a group dead (its mode
 * says when), the group stays listed.
 */
#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/mutex.h>

#include "group.h"
#include "pernet.h"
#include "proc.h"

/**
 * pcbgk_group_insert() - give a group an id and put it in the list.
 * @pn: the namespace, its lock held.
 * @g: the group.
 * @want: the id wanted, or 0 for the smallest id unused.
 *
 * The list stays sorted by id.
 *
 * Return: 0; -EADDRINUSE if @want is taken; -ENOSPC past PCBGK_GROUPS_MAX.
 */
int pcbgk_group_insert(struct pcbgk_net *pn, struct pcbgk_group *g, u32 want)
{
	struct pcbgk_group *it;
	u32 id = want ?: 1;

	lockdep_assert_held(&pn->lock);
	if (pn->nr_groups >= PCBGK_GROUPS_MAX)
		return -ENOSPC;
	list_for_each_entry(it, &pn->groups, node) {
		if (it->id < id)
			continue;
		if (it->id > id)
			break;
		if (want)
			return -EADDRINUSE;
		id++;
	}
	g->id = id;
	/* before @it, or at the tail if the walk ended at the head */
	list_add_tail(&g->node, &it->node);
	pn->nr_groups++;
	return 0;
}

/**
 * pcbgk_groups_sweep() - release the groups no one but the module holds.
 * @pn: the namespace, its lock held.
 */
void pcbgk_groups_sweep(struct pcbgk_net *pn)
{
	struct pcbgk_group *g, *tmp;

	lockdep_assert_held(&pn->lock);
	list_for_each_entry_safe(g, tmp, &pn->groups, node) {
		if (!g->ops->dead || !g->ops->dead(g))
			continue;
		list_del(&g->node);
		pn->nr_groups--;
		g->ops->free(g);
	}
}

/**
 * pcbgk_group_unregister() - drop a group and what the module holds of it.
 * @pn: the namespace.
 * @id: the group's id.
 *
 * Return: 0, or -ENOENT if the namespace has no such group.
 */
int pcbgk_group_unregister(struct pcbgk_net *pn, u32 id)
{
	struct pcbgk_group *g, *found = NULL;

	mutex_lock(&pn->lock);
	list_for_each_entry(g, &pn->groups, node) {
		if (g->id == id) {
			found = g;
			list_del(&g->node);
			pn->nr_groups--;
			break;
		}
	}
	mutex_unlock(&pn->lock);
	if (!found)
		return -ENOENT;
	found->ops->free(found);
	return 0;
}

/**
 * pcbgk_groups_sync() - after a knob write: write the knobs into the config
 * map of every group of the namespace whose mode has one.
 * @pn: the namespace.
 *
 * The knobs are read under the lock, so the last writer to take it writes
 * the latest values of all of them.
 */
void pcbgk_groups_sync(struct pcbgk_net *pn)
{
	struct pcbgk_knobs k;
	struct pcbgk_group *g;

	mutex_lock(&pn->lock);
	pcbgk_groups_sweep(pn);
	pcbgk_knobs_read(pn, &k);
	list_for_each_entry(g, &pn->groups, node)
		if (g->ops->write_config)
			g->ops->write_config(g, &k);
	mutex_unlock(&pn->lock);
	pcbgk_knobfile_changed(pn);
}

/**
 * pcbgk_groups_release() - drop every group of a namespace that is going
 * away (or of every namespace, at module unload).
 * @pn: the namespace.
 */
void pcbgk_groups_release(struct pcbgk_net *pn)
{
	struct pcbgk_group *g, *tmp;
	LIST_HEAD(groups);

	mutex_lock(&pn->lock);
	list_splice_init(&pn->groups, &groups);
	pn->nr_groups = 0;
	mutex_unlock(&pn->lock);
	list_for_each_entry_safe(g, tmp, &groups, node)
		g->ops->free(g);
}
