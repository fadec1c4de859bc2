// SPDX-License-Identifier: GPL-2.0
/*
 * pcbgroup: per network namespace state and the knobs of
 * /proc/sys/net/pcbgroup/.
 *
 * Every namespace gets its own knobs, set to the defaults when it is
 * created, as net.ipv4.* does.  The handlers parse and bound a write (out
 * of range or an unknown name: -EINVAL, the old value stays); a successful
 * write is then copied into the config map of every group of the
 * namespace, so the program sees it at the next packet.
 *
 * The table follows net/mptcp/ctrl.c: a template that init_net uses as is
 * and other namespaces kmemdup(), its data pointers re-pointed at the
 * namespace's struct pcbgk_net.  Permissions are those of every net.*
 * sysctl (net_ctl_permissions()): the files belong to the namespace's root,
 * and writing takes root or CAP_NET_ADMIN over the namespace; anyone reads.
 */
#include <linux/cpumask.h>
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysctl.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "uapi/pcbgroup.h"

#include "compat.h"
#include "group.h"
#include "pernet.h"
#include "proc.h"

unsigned int pcbgk_net_id __read_mostly;

static const char * const pcbgk_algorithm_names[] = PCBG_ALGO_NAMES;
static_assert(ARRAY_SIZE(pcbgk_algorithm_names) == PCBG_ALGO_NR);

/* Longer than any name of PCBG_ALGO_NAMES or PCBG_HASH_NAMES, with its NUL. */
#define PCBGK_KNOB_NAME_MAX	32

/**
 * pcbgk_algorithm_name() - the name of an enum pcbg_algorithm value.
 * @algorithm: the value.
 *
 * Return: the name, as PCBG_ALGO_NAMES spells it, or NULL if unknown.
 */
const char *pcbgk_algorithm_name(unsigned int algorithm)
{
	if (algorithm >= PCBG_ALGO_NR)
		return NULL;
	return pcbgk_algorithm_names[algorithm];
}

/* cpu_bits "auto": enough low hash bits to number every possible CPU. */
static unsigned int pcbgk_cpu_bits_auto(void)
{
	return min_t(unsigned int, order_base_2(num_possible_cpus()),
		     PCBG_CPU_BITS_MAX);
}

/*
 * The rules of a knob, from PCBG_KNOBS().  Its sysctl's extra1 and extra2
 * point at @min and @max (the sysctl API wants them writable).
 */
struct pcbgk_knob_rule {
	int min;
	int max;
	enum pcbg_knob_kind kind;
	const char * const *names;
};

/* In the order of PCBG_KNOBS(), as the sysctl table. */
static struct pcbgk_knob_rule pcbgk_knob_rules[] = {
#define PCBGK_KNOB_RULE(knob, type, lo, hi, def, list)			\
	{								\
		.min = (lo),						\
		.max = (hi),						\
		.kind = (type),						\
		.names = (const char * const [])list,			\
	},
	PCBG_KNOBS(PCBGK_KNOB_RULE)
#undef PCBGK_KNOB_RULE
};

#define PCBGK_KNOB_NR	ARRAY_SIZE(pcbgk_knob_rules)

static const struct pcbgk_knobs pcbgk_knobs_default = { .v = {
#define PCBGK_KNOB_DEFAULT(knob, type, lo, hi, def, list) (def),
	PCBG_KNOBS(PCBGK_KNOB_DEFAULT)
#undef PCBGK_KNOB_DEFAULT
} };

/**
 * pcbgk_knobs_read() - a snapshot of a namespace's knobs, as the program
 * wants them.
 * @pn: the namespace.
 * @k: filled in; its cpu_bits is the effective value ("auto" resolved).
 */
void pcbgk_knobs_read(struct pcbgk_net *pn, struct pcbgk_knobs *k)
{
	int *cpu_bits = &k->v[PCBG_KNOB_INDEX_cpu_bits];
	unsigned int i;

	for (i = 0; i < PCBGK_KNOB_NR; i++)
		k->v[i] = READ_ONCE(pn->knobs.v[i]);
	if (*cpu_bits < 0)
		*cpu_bits = pcbgk_cpu_bits_auto();
}

/*
 * A knob of kind PCBG_KNOB_NAME: read and written as one of @nr names,
 * stored as the name's index (an enum value) in the int at table->data.
 */
static int pcbgk_proc_names(PCBGK_CTL_CONST struct ctl_table *table,
			    int write, void *buffer, size_t *lenp, loff_t *ppos,
			   const char * const *names, int nr)
{
	int *value = table->data, cur = READ_ONCE(*value);
	char name[PCBGK_KNOB_NAME_MAX];
	struct ctl_table tmp = {
		.data = name,
		.maxlen = sizeof(name),
	};
	int ret;

	/*
	 * A write from the start replaces the name: an empty one is refused
	 * like any unknown name.  A later write of the same open file appends
	 * (sysctl_writes_strict), so it starts from the current name.
	 */
	name[0] = '\0';
	if (!write || *ppos)
		strscpy(name, cur >= 0 && cur < nr ? names[cur] : "",
			sizeof(name));
	ret = proc_dostring(&tmp, write, buffer, lenp, ppos);
	if (!write || ret)
		return ret;
	ret = match_string(names, nr, name);
	if (ret < 0)
		return -EINVAL;
	WRITE_ONCE(*value, ret);
	return 0;
}

/*
 * Every knob's handler: parse and bound the value (the standard handler
 * with extra1/extra2, or pcbgk_proc_names()); after a successful write,
 * push the knobs to every group of the namespace.
 */
static int pcbgk_proc_knob(PCBGK_CTL_CONST struct ctl_table *table, int write,
			   void *buffer, size_t *lenp, loff_t *ppos)
{
	const struct pcbgk_knob_rule *rule =
		container_of(table->extra1, struct pcbgk_knob_rule, min);
	int *knob0 = (int *)table->data - (rule - pcbgk_knob_rules);
	int ret;

	if (rule->kind == PCBG_KNOB_NAME)
		ret = pcbgk_proc_names(table, write, buffer, lenp, ppos,
				       rule->names, rule->max + 1);
	else
		ret = proc_dointvec_minmax(table, write, buffer, lenp, ppos);
	if (write && !ret)
		pcbgk_groups_sync(container_of(knob0, struct pcbgk_net, knobs.v[0]));
	return ret;
}

/*
 * The template: init_net registers it as is, other namespaces a copy.  The
 * data and bounds pointers are set at registration.  Below v6.6 the extra,
 * zeroed entry is the sentinel (see compat.h).
 */
static struct ctl_table
pcbgk_sysctl_template[PCBGK_KNOB_NR + PCBGK_SYSCTL_SENTINEL] = {
#define PCBGK_KNOB_SYSCTL(knob, type, lo, hi, def, list)		\
	{								\
		.procname	= #knob,				\
		.maxlen		= sizeof(int),				\
		.mode		= 0644,					\
		.proc_handler	= pcbgk_proc_knob,			\
	},
	PCBG_KNOBS(PCBGK_KNOB_SYSCTL)
#undef PCBGK_KNOB_SYSCTL
};

/**
 * pcbgk_knobs_show() - one "name value" line per knob, in the order of
 * PCBG_KNOBS(), a knob of names by its name.
 * @seq: where to print.
 * @k: the knobs, as pcbgk_knobs_read() gives them.
 */
void pcbgk_knobs_show(struct seq_file *seq, struct pcbgk_knobs *k)
{
	const struct pcbgk_knob_rule *rule;
	unsigned int i;
	int v;

	for (i = 0; i < PCBGK_KNOB_NR; i++) {
		rule = &pcbgk_knob_rules[i];
		v = k->v[i];
		if (rule->kind == PCBG_KNOB_NAME && v >= 0 && v <= rule->max)
			seq_printf(seq, "%s %s\n", pcbgk_sysctl_template[i].procname,
				   rule->names[v]);
		else
			seq_printf(seq, "%s %d\n", pcbgk_sysctl_template[i].procname, v);
	}
}

static int pcbgk_sysctl_register(struct net *net, struct pcbgk_net *pn)
{
	struct ctl_table *table = pcbgk_sysctl_template;
	unsigned int i;

	if (!net_eq(net, &init_net)) {
		table = kmemdup(table, sizeof(pcbgk_sysctl_template),
				GFP_KERNEL);
		if (!table)
			return -ENOMEM;
	}
	for (i = 0; i < PCBGK_KNOB_NR; i++) {
		table[i].data = &pn->knobs.v[i];
		table[i].extra1 = &pcbgk_knob_rules[i].min;
		table[i].extra2 = &pcbgk_knob_rules[i].max;
	}

	pn->sysctl_hdr = pcbgk_register_net_sysctl(net, PCBG_SYSCTL_PATH, table,
						   PCBGK_KNOB_NR);
	if (!pn->sysctl_hdr) {
		if (!net_eq(net, &init_net))
			kfree(table);
		return -ENOMEM;
	}
	return 0;
}

static void pcbgk_sysctl_unregister(struct net *net, struct pcbgk_net *pn)
{
	const struct ctl_table *table = pn->sysctl_hdr->ctl_table_arg;

	/* Waits for the handlers running, so none follows. */
	unregister_net_sysctl_table(pn->sysctl_hdr);
	if (!net_eq(net, &init_net))
		kfree(table);
}

static int __net_init pcbgk_net_init(struct net *net)
{
	struct pcbgk_net *pn = pcbgk_net(net);

	mutex_init(&pn->lock);
	INIT_LIST_HEAD(&pn->groups);
	init_waitqueue_head(&pn->knobs_wait);
	INIT_WORK(&pn->knobs_wake, pcbgk_knobfile_wake);
	init_rwsem(&pn->knobs_closing);
	pn->knobs = pcbgk_knobs_default;
	return pcbgk_sysctl_register(net, pn);
}

/*
 * /proc/net/pcbgroup/ is gone already (its pernet_operations were
 * registered later, so they exit first); with the sysctls gone too,
 * nothing else reaches the groups.
 */
static void __net_exit pcbgk_net_exit(struct net *net)
{
	struct pcbgk_net *pn = pcbgk_net(net);

	pcbgk_sysctl_unregister(net, pn);
	/* no knob write comes any more: none queues a wake-up */
	cancel_work_sync(&pn->knobs_wake);
	pcbgk_groups_release(pn);
	mutex_destroy(&pn->lock);
}

static struct pernet_operations pcbgk_net_ops = {
	.init = pcbgk_net_init,
	.exit = pcbgk_net_exit,
	.id = &pcbgk_net_id,
	.size = sizeof(struct pcbgk_net),
};

/**
 * pcbgk_pernet_init() - set up the per-namespace state and knobs, in every
 * namespace now and in those created later.
 *
 * Return: 0 or a negative errno.
 */
int pcbgk_pernet_init(void)
{
	return register_pernet_subsys(&pcbgk_net_ops);
}

/**
 * pcbgk_pernet_exit() - undo pcbgk_pernet_init(): every namespace's groups
 * are released and its knobs removed.
 */
void pcbgk_pernet_exit(void)
{
	unregister_pernet_subsys(&pcbgk_net_ops);
}
