// SPDX-License-Identifier: GPL-2.0
/*
 * pcbgroup: /proc/net/pcbgroup/ of each network namespace.
 *
 *   groups   one row per group (docs/tables.md)
 *   sockets  one row per slot of every group (docs/tables.md)
 *   cpus     one row per possible CPU of every group (docs/tables.md)
 *   control  ioctl(PCBG_IOC_REGISTER / PCBG_IOC_UNREGISTER, and
 *            PCBG_IOC_REPORT in no-map mode), for holders of
 *            CAP_NET_ADMIN over the namespace (opened read-only)
 *   knobs    no-map mode only, see knobfile.c
 *
 * The tables are seq_files: a header line with the column names, then rows
 * with whitespace between columns; the column order is stable, tools and
 * tests split on whitespace.  A read holds the namespace's lock from
 * ->start() to ->stop(), so each chunk sees a stable list; a read that spans
 * several chunks while groups come and go may skip or repeat rows.
 */
#include <linux/capability.h>
#include <linux/cpumask.h>
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/in.h>
#include <linux/kernel.h>
#include <linux/nsproxy.h>
#include <linux/proc_fs.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/socket.h>
#include <linux/uaccess.h>
#include <linux/user_namespace.h>
#include <net/net_namespace.h>

#include "uapi/pcbgroup.h"

#include "group.h"
#include "pernet.h"
#include "proc.h"

static const enum pcbg_stat pcbgk_fallback_stats[] = {
	PCBG_STAT_FALLBACK_OFF,
	PCBG_STAT_FALLBACK_EMPTY,
	PCBG_STAT_FALLBACK_MISS,
};

static const char *pcbgk_proto_name(u16 protocol)
{
	return protocol == IPPROTO_TCP ? "tcp" : protocol == IPPROTO_UDP ? "udp" : "?";
}

/* 0.0.0.0:8080 or [::1]:8080, as pcbgroupctl show prints it. */
static void pcbgk_format_local(char *buf, size_t size,
			       const struct pcbg_group_info *info)
{
	if (info->family == AF_INET)
		snprintf(buf, size, "%pI4:%u", info->addr, info->port);
	else if (info->family == AF_INET6)
		snprintf(buf, size, "[%pI6c]:%u", info->addr, info->port);
	else
		snprintf(buf, size, "?:%u", info->port);
}

/*
 * Every table's ->start() takes the namespace's lock, and sweeps dead
 * groups before the first row; its ->stop() releases it.
 */
static struct pcbgk_net *pcbgk_tables_lock(struct seq_file *seq, loff_t pos)
{
	struct pcbgk_net *pn = pcbgk_net(seq_file_net(seq));

	mutex_lock(&pn->lock);
	if (!pos)
		pcbgk_groups_sweep(pn);
	return pn;
}

static void pcbgk_tables_stop(struct seq_file *seq, void *v)
{
	mutex_unlock(&pcbgk_net(seq_file_net(seq))->lock);
}

/* groups: the list itself, its head standing for the header line. */

static void *pcbgk_groups_start(struct seq_file *seq, loff_t *pos)
{
	return seq_list_start_head(&pcbgk_tables_lock(seq, *pos)->groups, *pos);
}

static void *pcbgk_groups_next(struct seq_file *seq, void *v, loff_t *pos)
{
	return seq_list_next(v, &pcbgk_net(seq_file_net(seq))->groups, pos);
}

static int pcbgk_groups_show(struct seq_file *seq, void *v)
{
	struct pcbgk_net *pn = pcbgk_net(seq_file_net(seq));
	struct pcbg_group_info info;
	struct pcbg_config cfg;
	struct pcbgk_group *g;
	u64 fallbacks = 0;
	char local[64];
	u32 live;
	int i;

	if (v == &pn->groups) {
		seq_printf(seq, "%-4s %-5s %-24s %7s %-14s %8s %12s %12s %-5s %12s\n",
			   "id", "proto", "local", "sockets", "algorithm",
			   "cpu_bits", "selected", "fallbacks", "state", "second");
		return 0;
	}
	g = list_entry(v, struct pcbgk_group, node);
	g->ops->info(g, &info);
	g->ops->config(g, &cfg);
	pcbgk_format_local(local, sizeof(local), &info);
	for (i = 0; i < ARRAY_SIZE(pcbgk_fallback_stats); i++)
		fallbacks += g->ops->stat(g, pcbgk_fallback_stats[i]);
	live = g->ops->live_sockets(g);
	/* dead: no socket left, as pcbgroupctl show says */
	seq_printf(seq, "%-4u %-5s %-24s %7u %-14s %8u %12llu %12llu %-5s %12llu\n",
		   g->id, pcbgk_proto_name(info.protocol), local, live,
		   pcbgk_algorithm_name(cfg.algorithm) ?: "?", cfg.cpu_bits,
		   g->ops->stat(g, PCBG_STAT_SELECTED), fallbacks,
		   live ? "live" : "dead", g->ops->stat(g, PCBG_STAT_LOAD_SECOND));
	return 0;
}

static const struct seq_operations pcbgk_groups_seq_ops = {
	.start	= pcbgk_groups_start,
	.next	= pcbgk_groups_next,
	.stop	= pcbgk_tables_stop,
	.show	= pcbgk_groups_show,
};

/*
 * sockets and cpus: position 0 is the header, then the rows of each group
 * in id order: in sockets a row per slot, in cpus a row per possible CPU,
 * in CPU order (none for a group of no-map mode, whose per-CPU counters the
 * tools do not report).  The iterator only caches where the last row was;
 * ->start() finds the row again from the position, as the list may have
 * changed between two reads.
 */
struct pcbgk_rows_iter {
	struct seq_net_private p;	/* first: proc_create_net()'s state */
	u32 (*rows)(struct pcbgk_group *g);	/* the table's rows of a group */
	struct pcbgk_group *group;
	u32 row;
	u32 nr_rows;
};

static u32 pcbgk_socket_rows(struct pcbgk_group *g)
{
	return g->ops->nr_slots(g);
}

static u32 pcbgk_cpu_rows(struct pcbgk_group *g)
{
	return g->ops->cpu ? num_possible_cpus() : 0;
}

/* Row @n (from 0) of the rows of group @g and the groups after it, or NULL. */
static void *pcbgk_rows_seek(struct pcbgk_rows_iter *it, struct pcbgk_net *pn,
			     struct pcbgk_group *g, loff_t n)
{
	list_for_each_entry_from(g, &pn->groups, node) {
		it->nr_rows = it->rows(g);
		if (n < it->nr_rows) {
			it->group = g;
			it->row = n;
			return it;
		}
		n -= it->nr_rows;
	}
	return NULL;
}

static struct pcbgk_group *pcbgk_first_group(struct pcbgk_net *pn)
{
	return list_first_entry(&pn->groups, struct pcbgk_group, node);
}

static void *pcbgk_rows_start(struct seq_file *seq, loff_t *pos,
			      u32 (*rows)(struct pcbgk_group *g))
{
	struct pcbgk_net *pn = pcbgk_tables_lock(seq, *pos);
	struct pcbgk_rows_iter *it = seq->private;

	it->rows = rows;
	if (!*pos)
		return SEQ_START_TOKEN;
	return pcbgk_rows_seek(it, pn, pcbgk_first_group(pn), *pos - 1);
}

static void *pcbgk_rows_next(struct seq_file *seq, void *v, loff_t *pos)
{
	struct pcbgk_net *pn = pcbgk_net(seq_file_net(seq));
	struct pcbgk_rows_iter *it = seq->private;

	++*pos;
	if (v == SEQ_START_TOKEN)
		return pcbgk_rows_seek(it, pn, pcbgk_first_group(pn), 0);
	if (++it->row < it->nr_rows)
		return it;
	return pcbgk_rows_seek(it, pn, list_next_entry(it->group, node), 0);
}

static void *pcbgk_sockets_start(struct seq_file *seq, loff_t *pos)
{
	return pcbgk_rows_start(seq, pos, pcbgk_socket_rows);
}

static int pcbgk_sockets_show(struct seq_file *seq, void *v)
{
	struct pcbgk_rows_iter *it = v;
	struct pcbgk_slot_view view;

	if (v == SEQ_START_TOKEN) {
		seq_printf(seq, "%-5s %5s %10s %4s %12s %6s %6s %6s\n",
			   "group", "slot", "inode", "cpu", "selected", "weight",
			   "queue", "conns");
		return 0;
	}
	it->group->ops->slot(it->group, it->row, &view);
	seq_printf(seq, "%-5u %5u %10llu %4d %12llu %6u %6u %6u\n", it->group->id,
		   it->row, view.inode, view.cpu, view.selected, view.weight,
		   view.queue, view.conns);
	return 0;
}

static const struct seq_operations pcbgk_sockets_seq_ops = {
	.start	= pcbgk_sockets_start,
	.next	= pcbgk_rows_next,
	.stop	= pcbgk_tables_stop,
	.show	= pcbgk_sockets_show,
};

static void *pcbgk_cpus_start(struct seq_file *seq, loff_t *pos)
{
	return pcbgk_rows_start(seq, pos, pcbgk_cpu_rows);
}

/* "0,3,5", "-" when empty, ",..." after PCBGK_CPU_SLOTS_SHOWN of them. */
static void pcbgk_cpu_slots_show(struct seq_file *seq,
				 const struct pcbgk_cpu_view *view)
{
	u32 i;

	if (!view->nr) {
		seq_putc(seq, '-');
		return;
	}
	for (i = 0; i < view->nr && i < PCBGK_CPU_SLOTS_SHOWN; i++)
		seq_printf(seq, "%s%u", i ? "," : "", view->slots[i]);
	if (view->nr > PCBGK_CPU_SLOTS_SHOWN)
		seq_puts(seq, ",...");
}

static int pcbgk_cpus_show(struct seq_file *seq, void *v)
{
	struct pcbgk_rows_iter *it = v;
	struct pcbgk_cpu_view view;
	unsigned int cpu;

	if (v == SEQ_START_TOKEN) {
		seq_printf(seq, "%-4s %-5s %-16s %12s %12s %12s\n", "cpu",
			   "group", "slots", "local", "misses", "selected");
		return 0;
	}
	cpu = cpumask_nth(it->row, cpu_possible_mask);
	it->group->ops->cpu(it->group, cpu, &view);
	seq_printf(seq, "%-4u %-5u ", cpu, it->group->id);
	/* the slots column, padded as "%-16s" would */
	seq_setwidth(seq, 16);
	pcbgk_cpu_slots_show(seq, &view);
	seq_pad(seq, ' ');
	seq_printf(seq, "%12llu %12llu %12llu\n", view.local, view.misses,
		   view.selected);
	return 0;
}

static const struct seq_operations pcbgk_cpus_seq_ops = {
	.start	= pcbgk_cpus_start,
	.next	= pcbgk_rows_next,
	.stop	= pcbgk_tables_stop,
	.show	= pcbgk_cpus_show,
};

/*
 * control: the group belongs to the network namespace of the calling
 * process, whichever namespace's file it opened.  Who may use it is decided
 * by capability, not by the file's owner or mode: CAP_NET_ADMIN over the
 * user namespace owning the network namespace, when the file is opened, and
 * again at each ioctl for both the opener and the caller (so that a
 * descriptor handed to, or inherited by, another process gives nothing
 * more).  The file's owner could not say it: it is set when the namespace
 * is made, and "unshare -Urn" makes the network namespace before it maps
 * its root user.  So the file is 0444, opened read-only by the tools.
 */
static bool pcbgk_control_capable(const struct file *file, struct net *net)
{
	return ns_capable(net->user_ns, CAP_NET_ADMIN) &&
	       (!file || file_ns_capable(file, net->user_ns, CAP_NET_ADMIN));
}

static int pcbgk_control_open(struct inode *inode, struct file *file)
{
	if (!pcbgk_control_capable(NULL, current->nsproxy->net_ns))
		return -EPERM;
	return 0;
}

/* A group made for the caller: its id to the caller, or, failing, no group. */
static int pcbgk_control_tell_id(struct pcbgk_net *pn, u32 id, u32 __user *uid)
{
	if (!put_user(id, uid))
		return 0;
	pcbgk_group_unregister(pn, id);
	return -EFAULT;
}

static long pcbgk_control_ioctl(struct file *file, unsigned int cmd,
				unsigned long arg)
{
	struct net *net = current->nsproxy->net_ns;
	struct pcbg_register __user *ureq;
	struct pcbg_report __user *urep;
	struct pcbgk_net *pn = pcbgk_net(net);
	struct pcbg_register req;
	struct pcbg_report rep;
	u32 id;
	int err;

	if (!pcbgk_control_capable(file, net))
		return -EPERM;

	switch (cmd) {
	case PCBG_IOC_REGISTER:
		ureq = (void __user *)arg;
		if (copy_from_user(&req, ureq, sizeof(req)))
			return -EFAULT;
		err = pcbgk_group_register(net, &req);
		return err ?: pcbgk_control_tell_id(pn, req.id, &ureq->id);
	case PCBG_IOC_UNREGISTER:
		if (get_user(id, (u32 __user *)arg))
			return -EFAULT;
		return pcbgk_group_unregister(pn, id);
	case PCBG_IOC_REPORT:
		urep = (void __user *)arg;
		if (copy_from_user(&rep, urep, sizeof(rep)))
			return -EFAULT;
		id = rep.id;
		err = pcbgk_group_report(net, &rep);
		/* an id asked for is known to the caller, maybe a group's before */
		return err || id ? err : pcbgk_control_tell_id(pn, rep.id, &urep->id);
	}
	return -ENOTTY;
}

static const struct proc_ops pcbgk_control_proc_ops = {
	.proc_open		= pcbgk_control_open,
	.proc_ioctl		= pcbgk_control_ioctl,
#ifdef CONFIG_COMPAT
	.proc_compat_ioctl	= compat_ptr_ioctl,
#endif
	.proc_lseek		= noop_llseek,
};

static int __net_init pcbgk_proc_net_init(struct net *net)
{
	struct pcbgk_net *pn = pcbgk_net(net);

	pn->proc_dir = proc_net_mkdir(net, PCBG_PROC_DIR, net->proc_net);
	if (!pn->proc_dir)
		return -ENOMEM;
	if (!proc_create_net("groups", 0444, pn->proc_dir,
			     &pcbgk_groups_seq_ops,
			     sizeof(struct seq_net_private)))
		goto err_remove_dir;
	if (!proc_create_net("sockets", 0444, pn->proc_dir,
			     &pcbgk_sockets_seq_ops,
			     sizeof(struct pcbgk_rows_iter)))
		goto err_remove_dir;
	if (!proc_create_net("cpus", 0444, pn->proc_dir, &pcbgk_cpus_seq_ops,
			     sizeof(struct pcbgk_rows_iter)))
		goto err_remove_dir;
	/* anyone may try: pcbgk_control_capable() decides, see above */
	if (!proc_create(PCBG_PROC_CONTROL, 0444, pn->proc_dir,
			 &pcbgk_control_proc_ops))
		goto err_remove_dir;
	if (!pcbgk_maps && !proc_create_data(PCBG_PROC_KNOBS, 0444, pn->proc_dir,
					     &pcbgk_knobfile_proc_ops, net))
		goto err_remove_dir;
	return 0;

err_remove_dir:
	proc_remove(pn->proc_dir);
	return -ENOMEM;
}

/*
 * proc_remove() waits for the readers and ioctls running, none follows, and
 * releases the files still open (their next read fails with -EIO): no
 * reader holds the module.  The knobs file's pollers leave first.
 */
static void __net_exit pcbgk_proc_net_exit(struct net *net)
{
	struct pcbgk_net *pn = pcbgk_net(net);

	if (!pcbgk_maps)
		pcbgk_knobfile_remove(pn);
	proc_remove(pn->proc_dir);
}

/* Registered after pcbgk_net_ops (pernet.c): set up after, torn down before. */
static struct pernet_operations pcbgk_proc_net_ops = {
	.init = pcbgk_proc_net_init,
	.exit = pcbgk_proc_net_exit,
};

/**
 * pcbgk_proc_init() - create /proc/net/pcbgroup/ in every namespace, now and
 * in those created later.  Needs pcbgk_pernet_init() done.
 *
 * Return: 0 or a negative errno.
 */
int pcbgk_proc_init(void)
{
	return register_pernet_subsys(&pcbgk_proc_net_ops);
}

/**
 * pcbgk_proc_exit() - remove /proc/net/pcbgroup/ from every namespace.
 */
void pcbgk_proc_exit(void)
{
	unregister_pernet_subsys(&pcbgk_proc_net_ops);
}
