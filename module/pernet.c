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
 * namespace's struct pcbg_net.  Permissions are those of every net.*
 * sysctl (net_ctl_permissions()): the files belong to the namespace's root,
 * and writing takes root or CAP_NET_ADMIN over the namespace; anyone reads.
 */
#include <linux/cpumask.h>
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysctl.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "uapi/pcbgroup.h"

#include "compat.h"
#include "group.h"
#include "pernet.h"

unsigned int pcbg_net_id __read_mostly;

static const char * const pcbg_algorithm_names[] = PCBG_ALGO_NAMES;
static_assert(ARRAY_SIZE(pcbg_algorithm_names) == PCBG_ALGO_NR);

static const char * const pcbg_hash_fields_names[] = PCBG_HASH_NAMES;
static_assert(ARRAY_SIZE(pcbg_hash_fields_names) == PCBG_HASH_NR);

/* Longer than any name of PCBG_ALGO_NAMES or PCBG_HASH_NAMES, with its NUL. */
#define PCBG_KNOB_NAME_MAX	32

/**
 * pcbg_algorithm_name() - the name of an enum pcbg_algorithm value.
 * @algorithm: the value.
 *
 * Return: the name, as PCBG_ALGO_NAMES spells it, or NULL if unknown.
 */
const char *pcbg_algorithm_name(unsigned int algorithm)
{
	if (algorithm >= PCBG_ALGO_NR)
		return NULL;
	return pcbg_algorithm_names[algorithm];
}

/**
 * pcbg_hash_fields_name() - the name of an enum pcbg_hash_fields value.
 * @hash_fields: the value.
 *
 * Return: the name, as PCBG_HASH_NAMES spells it, or NULL if unknown.
 */
const char *pcbg_hash_fields_name(unsigned int hash_fields)
{
	if (hash_fields >= PCBG_HASH_NR)
		return NULL;
	return pcbg_hash_fields_names[hash_fields];
}

/* cpu_bits "auto": enough low hash bits to number every possible CPU. */
static unsigned int pcbg_cpu_bits_auto(void)
{
	return min_t(unsigned int, order_base_2(num_possible_cpus()),
		     PCBG_CPU_BITS_MAX);
}

/**
 * pcbg_knobs_read() - a snapshot of a namespace's knobs, as the program
 * wants them.
 * @pn: the namespace.
 * @k: filled in; @k->cpu_bits is the effective value ("auto" resolved).
 */
void pcbg_knobs_read(struct pcbg_net *pn, struct pcbg_knobs *k)
{
	k->tcp_reuseport_ext = READ_ONCE(pn->knobs.tcp_reuseport_ext);
	k->udp_reuseport_ext = READ_ONCE(pn->knobs.udp_reuseport_ext);
	k->algorithm = READ_ONCE(pn->knobs.algorithm);
	k->cpu_bits = READ_ONCE(pn->knobs.cpu_bits);
	if (k->cpu_bits < 0)
		k->cpu_bits = pcbg_cpu_bits_auto();
	k->max_group_size = READ_ONCE(pn->knobs.max_group_size);
	k->stats = READ_ONCE(pn->knobs.stats);
	k->hash_fields = READ_ONCE(pn->knobs.hash_fields);
	k->migrate = READ_ONCE(pn->knobs.migrate);
	k->flow_table = READ_ONCE(pn->knobs.flow_table);
	k->flow_timeout = READ_ONCE(pn->knobs.flow_timeout);
}

static void pcbg_knobs_init(struct pcbg_knobs *k)
{
	k->tcp_reuseport_ext = 1;
	k->udp_reuseport_ext = 1;
	k->algorithm = PCBG_ALGO_HASH_THRESHOLD;
	k->cpu_bits = PCBG_CPU_BITS_AUTO;
	k->max_group_size = PCBG_SLOTS_DEFAULT;
	k->stats = 1;
	k->hash_fields = PCBG_HASH_4TUPLE;
	k->migrate = 1;
	k->flow_table = 0;
	k->flow_timeout = PCBG_FLOW_TIMEOUT_DEFAULT;
}

/* After a handler: on a successful write, push the knobs to every group. */
static int pcbg_knob_done(struct pcbg_net *pn, int write, int ret)
{
	if (write && !ret)
		pcbg_groups_sync(pn);
	return ret;
}

/*
 * One small handler per knob: container_of() needs the member's name to
 * find the namespace from the data pointer.  The handler named does the
 * parsing and the bounds: a standard one with extra1/extra2, or, for a knob
 * set by name, pcbg_proc_names() with the list of names.
 */
#define PCBG_KNOB_HANDLER(member, handler)				\
static int pcbg_proc_##member(PCBG_CTL_CONST struct ctl_table *table,	\
			      int write, void *buffer, size_t *lenp,	\
			      loff_t *ppos)				\
{									\
	struct pcbg_net *pn = container_of(table->data, struct pcbg_net, \
					   knobs.member);		\
	int ret = handler(table, write, buffer, lenp, ppos);		\
									\
	return pcbg_knob_done(pn, write, ret);				\
}

PCBG_KNOB_HANDLER(tcp_reuseport_ext, proc_douintvec_minmax)
PCBG_KNOB_HANDLER(udp_reuseport_ext, proc_douintvec_minmax)
PCBG_KNOB_HANDLER(cpu_bits, proc_dointvec_minmax)
PCBG_KNOB_HANDLER(max_group_size, proc_douintvec_minmax)
PCBG_KNOB_HANDLER(stats, proc_douintvec_minmax)
PCBG_KNOB_HANDLER(migrate, proc_douintvec_minmax)
PCBG_KNOB_HANDLER(flow_table, proc_douintvec_minmax)
PCBG_KNOB_HANDLER(flow_timeout, proc_douintvec_minmax)

/*
 * A knob read and written as one of @nr names, stored as the name's index
 * (an enum value) in the unsigned int at table->data.
 */
static int pcbg_proc_names(PCBG_CTL_CONST struct ctl_table *table,
			   int write, void *buffer, size_t *lenp, loff_t *ppos,
			   const char * const *names, unsigned int nr)
{
	unsigned int *value = table->data, cur = READ_ONCE(*value);
	char name[PCBG_KNOB_NAME_MAX];
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
		strscpy(name, cur < nr ? names[cur] : "", sizeof(name));
	ret = proc_dostring(&tmp, write, buffer, lenp, ppos);
	if (!write || ret)
		return ret;
	ret = match_string(names, nr, name);
	if (ret < 0)
		return -EINVAL;
	WRITE_ONCE(*value, ret);
	return 0;
}

/* algorithm: a name of PCBG_ALGO_NAMES, stored as its enum value. */
static int pcbg_algorithm_handler(PCBG_CTL_CONST struct ctl_table *table,
				  int write, void *buffer, size_t *lenp,
				  loff_t *ppos)
{
	return pcbg_proc_names(table, write, buffer, lenp, ppos,
			       pcbg_algorithm_names, PCBG_ALGO_NR);
}

/* hash_fields: a name of PCBG_HASH_NAMES, stored as its enum value. */
static int pcbg_hash_fields_handler(PCBG_CTL_CONST struct ctl_table *table,
				    int write, void *buffer, size_t *lenp,
				    loff_t *ppos)
{
	return pcbg_proc_names(table, write, buffer, lenp, ppos,
			       pcbg_hash_fields_names, PCBG_HASH_NR);
}

PCBG_KNOB_HANDLER(algorithm, pcbg_algorithm_handler)
PCBG_KNOB_HANDLER(hash_fields, pcbg_hash_fields_handler)

enum {
	PCBG_KNOB_TCP_REUSEPORT_EXT,
	PCBG_KNOB_UDP_REUSEPORT_EXT,
	PCBG_KNOB_ALGORITHM,
	PCBG_KNOB_CPU_BITS,
	PCBG_KNOB_MAX_GROUP_SIZE,
	PCBG_KNOB_STATS,
	PCBG_KNOB_HASH_FIELDS,
	PCBG_KNOB_MIGRATE,
	PCBG_KNOB_FLOW_TABLE,
	PCBG_KNOB_FLOW_TIMEOUT,
	PCBG_KNOB_NR,
};

/* Bounds for extra1/extra2, which the sysctl API wants non-const. */
static int pcbg_cpu_bits_min = PCBG_CPU_BITS_AUTO;
static int pcbg_cpu_bits_max = PCBG_CPU_BITS_MAX;
static unsigned int pcbg_group_size_max = PCBG_SLOTS_LIMIT;
static unsigned int pcbg_flow_timeout_max = PCBG_FLOW_TIMEOUT_MAX;

/*
 * The template: init_net registers it as is, other namespaces a copy.  The
 * data pointers are set at registration.  Below v6.6 the extra, zeroed
 * entry is the sentinel (see compat.h).
 */
static struct ctl_table
pcbg_sysctl_template[PCBG_KNOB_NR + PCBG_SYSCTL_SENTINEL] = {
	[PCBG_KNOB_TCP_REUSEPORT_EXT] = {
		.procname	= "tcp_reuseport_ext",
		.maxlen		= sizeof(unsigned int),
		.mode		= 0644,
		.proc_handler	= pcbg_proc_tcp_reuseport_ext,
		.extra1		= SYSCTL_ZERO,
		.extra2		= SYSCTL_ONE,
	},
	[PCBG_KNOB_UDP_REUSEPORT_EXT] = {
		.procname	= "udp_reuseport_ext",
		.maxlen		= sizeof(unsigned int),
		.mode		= 0644,
		.proc_handler	= pcbg_proc_udp_reuseport_ext,
		.extra1		= SYSCTL_ZERO,
		.extra2		= SYSCTL_ONE,
	},
	[PCBG_KNOB_ALGORITHM] = {
		.procname	= "algorithm",
		.maxlen		= sizeof(unsigned int),
		.mode		= 0644,
		.proc_handler	= pcbg_proc_algorithm,
	},
	[PCBG_KNOB_CPU_BITS] = {
		.procname	= "cpu_bits",
		.maxlen		= sizeof(int),
		.mode		= 0644,
		.proc_handler	= pcbg_proc_cpu_bits,
		.extra1		= &pcbg_cpu_bits_min,
		.extra2		= &pcbg_cpu_bits_max,
	},
	[PCBG_KNOB_MAX_GROUP_SIZE] = {
		.procname	= "max_group_size",
		.maxlen		= sizeof(unsigned int),
		.mode		= 0644,
		.proc_handler	= pcbg_proc_max_group_size,
		.extra1		= SYSCTL_ONE,
		.extra2		= &pcbg_group_size_max,
	},
	[PCBG_KNOB_STATS] = {
		.procname	= "stats",
		.maxlen		= sizeof(unsigned int),
		.mode		= 0644,
		.proc_handler	= pcbg_proc_stats,
		.extra1		= SYSCTL_ZERO,
		.extra2		= SYSCTL_ONE,
	},
	[PCBG_KNOB_HASH_FIELDS] = {
		.procname	= "hash_fields",
		.maxlen		= sizeof(unsigned int),
		.mode		= 0644,
		.proc_handler	= pcbg_proc_hash_fields,
	},
	[PCBG_KNOB_MIGRATE] = {
		.procname	= "migrate",
		.maxlen		= sizeof(unsigned int),
		.mode		= 0644,
		.proc_handler	= pcbg_proc_migrate,
		.extra1		= SYSCTL_ZERO,
		.extra2		= SYSCTL_ONE,
	},
	[PCBG_KNOB_FLOW_TABLE] = {
		.procname	= "flow_table",
		.maxlen		= sizeof(unsigned int),
		.mode		= 0644,
		.proc_handler	= pcbg_proc_flow_table,
		.extra1		= SYSCTL_ZERO,
		.extra2		= SYSCTL_ONE,
	},
	[PCBG_KNOB_FLOW_TIMEOUT] = {
		.procname	= "flow_timeout",
		.maxlen		= sizeof(unsigned int),
		.mode		= 0644,
		.proc_handler	= pcbg_proc_flow_timeout,
		.extra1		= SYSCTL_ONE,
		.extra2		= &pcbg_flow_timeout_max,
	},
};

static int pcbg_sysctl_register(struct net *net, struct pcbg_net *pn)
{
	struct ctl_table *table = pcbg_sysctl_template;

	if (!net_eq(net, &init_net)) {
		table = kmemdup(table, sizeof(pcbg_sysctl_template),
				GFP_KERNEL);
		if (!table)
			return -ENOMEM;
	}
	table[PCBG_KNOB_TCP_REUSEPORT_EXT].data = &pn->knobs.tcp_reuseport_ext;
	table[PCBG_KNOB_UDP_REUSEPORT_EXT].data = &pn->knobs.udp_reuseport_ext;
	table[PCBG_KNOB_ALGORITHM].data = &pn->knobs.algorithm;
	table[PCBG_KNOB_CPU_BITS].data = &pn->knobs.cpu_bits;
	table[PCBG_KNOB_MAX_GROUP_SIZE].data = &pn->knobs.max_group_size;
	table[PCBG_KNOB_STATS].data = &pn->knobs.stats;
	table[PCBG_KNOB_HASH_FIELDS].data = &pn->knobs.hash_fields;
	table[PCBG_KNOB_MIGRATE].data = &pn->knobs.migrate;
	table[PCBG_KNOB_FLOW_TABLE].data = &pn->knobs.flow_table;
	table[PCBG_KNOB_FLOW_TIMEOUT].data = &pn->knobs.flow_timeout;

	pn->sysctl_hdr = pcbg_register_net_sysctl(net, PCBG_SYSCTL_PATH, table,
						  PCBG_KNOB_NR);
	if (!pn->sysctl_hdr) {
		if (!net_eq(net, &init_net))
			kfree(table);
		return -ENOMEM;
	}
	return 0;
}

static void pcbg_sysctl_unregister(struct net *net, struct pcbg_net *pn)
{
	const struct ctl_table *table = pn->sysctl_hdr->ctl_table_arg;

	/* Waits for the handlers running, so none follows. */
	unregister_net_sysctl_table(pn->sysctl_hdr);
	if (!net_eq(net, &init_net))
		kfree(table);
}

static int __net_init pcbg_net_init(struct net *net)
{
	struct pcbg_net *pn = pcbg_net(net);

	mutex_init(&pn->lock);
	INIT_LIST_HEAD(&pn->groups);
	init_waitqueue_head(&pn->knobs_wait);
	pcbg_knobs_init(&pn->knobs);
	return pcbg_sysctl_register(net, pn);
}

/*
 * /proc/net/pcbgroup/ is gone already (its pernet_operations were
 * registered later, so they exit first); with the sysctls gone too,
 * nothing else reaches the groups.
 */
static void __net_exit pcbg_net_exit(struct net *net)
{
	struct pcbg_net *pn = pcbg_net(net);

	pcbg_sysctl_unregister(net, pn);
	pcbg_groups_release(pn);
	mutex_destroy(&pn->lock);
}

static struct pernet_operations pcbg_net_ops = {
	.init = pcbg_net_init,
	.exit = pcbg_net_exit,
	.id = &pcbg_net_id,
	.size = sizeof(struct pcbg_net),
};

/**
 * pcbg_pernet_init() - set up the per-namespace state and knobs, in every
 * namespace now and in those created later.
 *
 * Return: 0 or a negative errno.
 */
int pcbg_pernet_init(void)
{
	return register_pernet_subsys(&pcbg_net_ops);
}

/**
 * pcbg_pernet_exit() - undo pcbg_pernet_init(): every namespace's groups
 * are released and its knobs removed.
 */
void pcbg_pernet_exit(void)
{
	unregister_pernet_subsys(&pcbg_net_ops);
}
