// SPDX-License-Identifier: GPL-2.0
/*
 * pcbgroup: /proc/net/pcbgroup/knobs, the namespace's knobs for the tools
 * to copy into the groups' config maps, in no-map mode (maps=0), where the
 * module cannot write them itself.
 *
 * A read gives "seq N", N the knob writes so far, then "name value" per
 * knob, as pcbgk_knobs_read() gives them: the values the config holds.  N
 * is read first, with acquire, then the knobs, so a reader that saw N saw
 * every write counted in it.  poll() gives EPOLLPRI once a knob write
 * came after this open file's last read from its start (as /proc/mounts
 * does), so pcbgroupd waits on it rather than reading in a loop.
 *
 * Unprivileged readers pin nothing: an open file holds the namespace (its
 * seq_file shows it), not the module, and rmmod may come at any time.
 * procfs fences the file itself: proc_remove() waits for the calls in
 * flight, releases every open file for us and answers the later calls with
 * -EIO.  What procfs cannot fence is a poller sleeping on @knobs_wait, in
 * the module's memory: pcbgk_knobfile_remove() sends every one away first.
 *
 * A knob write costs root the same whatever the readers do: they take no
 * lock a writer takes, and the writer does not wake them itself, which
 * would cost it a wake-up per poller, as many as unprivileged users care
 * to open: it queues one work item, which wakes them all.
 */
#include <linux/atomic.h>
#include <linux/poll.h>
#include <linux/proc_fs.h>
#include <linux/rcupdate.h>
#include <linux/rwsem.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <net/net_namespace.h>

#include "uapi/pcbgroup.h"

#include "pernet.h"
#include "proc.h"

/**
 * pcbgk_knobfile_changed() - a knob was written: count it, and have the
 * pollers of the knobs file woken.
 * @pn: the namespace, its lock not held: the wake-ups come later, from
 *	pcbgk_knobfile_wake(), not from the writer.
 */
void pcbgk_knobfile_changed(struct pcbgk_net *pn)
{
	/* Paired with atomic64_read_acquire() in show and poll. */
	atomic64_inc_return_release(&pn->knobs_seq);
	/* Paired with the smp_mb() in poll: a new poller sees the count, or is seen. */
	if (wq_has_sleeper(&pn->knobs_wait))
		schedule_work(&pn->knobs_wake);
}

/**
 * pcbgk_knobfile_wake() - the work item of pcbgk_knobfile_changed().
 * @work: &pcbgk_net.knobs_wake.
 */
void pcbgk_knobfile_wake(struct work_struct *work)
{
	struct pcbgk_net *pn = container_of(work, struct pcbgk_net, knobs_wake);

	wake_up_interruptible_all(&pn->knobs_wait);
}

/*
 * The count first, then the knobs: a reader that saw N saw every write
 * counted in it (or a later value).  No lock: see the file's comment.
 */
static int pcbgk_knobfile_show(struct seq_file *seq, void *v)
{
	struct pcbgk_net *pn = pcbgk_net(seq->private);
	struct pcbgk_knobs k;
	s64 n;

	n = atomic64_read_acquire(&pn->knobs_seq);
	pcbgk_knobs_read(pn, &k);
	WRITE_ONCE(seq->poll_event, (int)n);
	seq_printf(seq, "seq %lld\n", n);
	pcbgk_knobs_show(seq, &k);
	return 0;
}

static int pcbgk_knobfile_open(struct inode *inode, struct file *file)
{
	struct net *net = maybe_get_net(pde_data(inode));
	int err;

	if (!net)
		return -ENXIO;
	err = single_open(file, pcbgk_knobfile_show, net);
	if (err)
		put_net(net);
	return err;
}

/* At the last close, or from proc_remove() for a file still open. */
static int pcbgk_knobfile_release(struct inode *inode, struct file *file)
{
	struct net *net = ((struct seq_file *)file->private_data)->private;

	single_release(inode, file);
	put_net(net);
	return 0;
}

/* Every event a poll(), select() or epoll waiter may wait for. */
#define PCBG_KNOBFILE_GONE	(EPOLLIN | EPOLLRDNORM | EPOLLPRI | EPOLLERR | EPOLLHUP)

static __poll_t pcbgk_knobfile_poll(struct file *file, poll_table *wait)
{
	struct seq_file *seq = file->private_data;
	struct pcbgk_net *pn = pcbgk_net(seq->private);
	__poll_t mask = EPOLLIN | EPOLLRDNORM;

	/* no new waiter once pcbgk_knobfile_remove() began */
	down_read(&pn->knobs_closing);
	if (pn->knobs_gone) {
		up_read(&pn->knobs_closing);
		return PCBG_KNOBFILE_GONE;
	}
	poll_wait(file, &pn->knobs_wait, wait);
	up_read(&pn->knobs_closing);
	/* Paired with wq_has_sleeper() in pcbgk_knobfile_changed(). */
	smp_mb();
	if (READ_ONCE(seq->poll_event) != (int)atomic64_read_acquire(&pn->knobs_seq))
		mask |= EPOLLPRI;
	return mask;
}

const struct proc_ops pcbgk_knobfile_proc_ops = {
	.proc_open	= pcbgk_knobfile_open,
	.proc_read	= seq_read,
	.proc_lseek	= seq_lseek,
	.proc_poll	= pcbgk_knobfile_poll,
	.proc_release	= pcbgk_knobfile_release,
};

/* No waiter left on @wq: none can touch it any more. */
static bool pcbgk_waitqueue_empty(struct wait_queue_head *wq)
{
	bool empty;

	spin_lock_irq(&wq->lock);
	empty = list_empty(&wq->head);
	spin_unlock_irq(&wq->lock);
	return empty;
}

/**
 * pcbgk_knobfile_remove() - before the knobs file is removed: send its
 * pollers away, so that none is left on @pn->knobs_wait when it is freed.
 * @pn: the namespace.
 *
 * From now on ->poll() adds no waiter and answers PCBG_KNOBFILE_GONE.  The
 * waiters there are woken with POLLFREE, as wake_up_pollfree() does: epoll,
 * aio and io_uring take their entry off at once; a task sleeping in poll()
 * or select() takes it off when its call returns, which it does as soon as
 * it runs, since ->poll() answers every event now (the file is still
 * there: proc_remove() comes after).  wake_up_pollfree() itself would warn
 * about the latter, still queued after its wake-up: hence the loop.
 * epoll may still hold the queue's address under rcu_read_lock(), so its
 * memory is freed a grace period later.
 */
void pcbgk_knobfile_remove(struct pcbgk_net *pn)
{
	bool woken = false;

	down_write(&pn->knobs_closing);
	pn->knobs_gone = true;
	up_write(&pn->knobs_closing);
	while (!pcbgk_waitqueue_empty(&pn->knobs_wait)) {
		__wake_up(&pn->knobs_wait, TASK_NORMAL, 0,
			  poll_to_key(EPOLLHUP | EPOLLPRI | POLLFREE));
		woken = true;
		schedule_timeout_uninterruptible(1);
	}
	if (woken)
		synchronize_rcu();
}
