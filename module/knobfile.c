// SPDX-License-Identifier: GPL-2.0
/*
 * pcbgroup: /proc/net/pcbgroup/knobs, the namespace's knobs for the tools
 * to copy into the groups' config maps, in no-map mode (maps=0), where the
 * module cannot write them itself.
 *
 * A read gives "seq N", N the knob writes so far, then "name value" per
 * knob, as pcbgk_knobs_read() gives them: the values the config holds.  The
 * same is read under the namespace's lock, with N, so a reader that saw N
 * saw every write counted in it.  poll() gives EPOLLPRI once a knob write
 * came after this open file's last read from its start (as /proc/mounts
 * does), so pcbgroupd waits on it rather than reading in a loop.
 *
 * An open file holds the namespace and the module: the pollers' wait queue
 * is the namespace's, and it must outlive them.  So neither the namespace's
 * proc entries nor the module go away while the file is open (rmmod says
 * the module is in use): the release then always comes from the last
 * close, when no poller is left.
 */
#include <linux/lockdep.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/wait.h>
#include <net/net_namespace.h>

#include "uapi/pcbgroup.h"

#include "pernet.h"
#include "proc.h"

/**
 * pcbgk_knobfile_changed() - a knob was written: count it and wake the
 * pollers of the knobs file.
 * @pn: the namespace, its lock held.
 */
void pcbgk_knobfile_changed(struct pcbgk_net *pn)
{
	lockdep_assert_held(&pn->lock);
	pn->knobs_seq++;
	wake_up_interruptible_all(&pn->knobs_wait);
}

static int pcbgk_knobfile_show(struct seq_file *seq, void *v)
{
	struct pcbgk_net *pn = pcbgk_net(seq->private);
	struct pcbgk_knobs k;
	u64 n;

	mutex_lock(&pn->lock);
	n = pn->knobs_seq;
	pcbgk_knobs_read(pn, &k);
	mutex_unlock(&pn->lock);
	seq->poll_event = n;
	seq_printf(seq, "seq %llu\n", n);
	pcbgk_knobs_show(seq, &k);
	return 0;
}

static int pcbgk_knobfile_open(struct inode *inode, struct file *file)
{
	struct net *net = maybe_get_net(pde_data(inode));
	int err = -ENXIO;

	if (!net)
		return err;
	if (!try_module_get(THIS_MODULE))
		goto err_put_net;
	err = single_open(file, pcbgk_knobfile_show, net);
	if (err)
		goto err_put_module;
	return 0;

err_put_module:
	module_put(THIS_MODULE);
err_put_net:
	put_net(net);
	return err;
}

static int pcbgk_knobfile_release(struct inode *inode, struct file *file)
{
	struct net *net = ((struct seq_file *)file->private_data)->private;

	single_release(inode, file);
	put_net(net);
	module_put(THIS_MODULE);
	return 0;
}

static __poll_t pcbgk_knobfile_poll(struct file *file, poll_table *wait)
{
	struct seq_file *seq = file->private_data;
	struct pcbgk_net *pn = pcbgk_net(seq->private);
	__poll_t mask = EPOLLIN | EPOLLRDNORM;

	poll_wait(file, &pn->knobs_wait, wait);
	mutex_lock(&pn->lock);
	if (seq->poll_event != pn->knobs_seq)
		mask |= EPOLLPRI;
	mutex_unlock(&pn->lock);
	return mask;
}

static const struct proc_ops pcbgk_knobfile_proc_ops = {
	.proc_open	= pcbgk_knobfile_open,
	.proc_read	= seq_read,
	.proc_lseek	= seq_lseek,
	.proc_poll	= pcbgk_knobfile_poll,
	.proc_release	= pcbgk_knobfile_release,
};

/**
 * pcbgk_knobfile_create() - create the knobs file of a namespace.
 * @net: the namespace.
 * @dir: its /proc/net/pcbgroup/.
 *
 * Return: 0 or -ENOMEM.
 */
int pcbgk_knobfile_create(struct net *net, struct proc_dir_entry *dir)
{
	if (!proc_create_data(PCBG_PROC_KNOBS, 0444, dir,
			      &pcbgk_knobfile_proc_ops, net))
		return -ENOMEM;
	return 0;
}
