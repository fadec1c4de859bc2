// SPDX-License-Identifier: GPL-2.0
/*
 * libpcbgroup's knobs (struct pcbg_config): their names, defaults, parsing
 * and bounds, and reading and writing a group's config.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "internal.h"

static const char *const algo_names[PCBG_ALGO_NR] = PCBG_ALGO_NAMES;
static const char *const stat_names[PCBG_STAT_NR] = PCBG_STAT_NAMES;
static const char *const hash_names[PCBG_HASH_NR] = PCBG_HASH_NAMES;

const char *const pcbg_knob_names[] = {
	"tcp_reuseport_ext", "udp_reuseport_ext", "algorithm", "cpu_bits",
	"max_group_size", "stats", "hash_fields", "migrate", "flow_table",
	"flow_timeout", NULL,
};

const char *pcbg_hash_fields_name(__u32 hash_fields)
{
	return hash_fields < PCBG_HASH_NR ? hash_names[hash_fields] : NULL;
}

const char *pcbg_algorithm_name(__u32 algorithm)
{
	return algorithm < PCBG_ALGO_NR ? algo_names[algorithm] : NULL;
}

const char *pcbg_stat_name(__u32 stat)
{
	return stat < PCBG_STAT_NR ? stat_names[stat] : NULL;
}

int pcbg_cpu_bits_auto(void)
{
	int ncpus = libbpf_num_possible_cpus(), bits = 0;

	if (ncpus < 0)
		return ncpus;
	while ((1 << bits) < ncpus && bits < PCBG_CPU_BITS_MAX)
		bits++;
	return bits;
}

void pcbg_config_default(struct pcbg_config *cfg)
{
	int bits = pcbg_cpu_bits_auto();

	memset(cfg, 0, sizeof(*cfg));
	cfg->tcp_reuseport_ext = 1;
	cfg->udp_reuseport_ext = 1;
	cfg->algorithm = PCBG_ALGO_HASH_THRESHOLD;
	cfg->cpu_bits = bits < 0 ? 0 : bits;
	cfg->max_group_size = PCBG_SLOTS_DEFAULT;
	cfg->stats = 1;
	cfg->migrate = 1;
	cfg->flow_timeout = PCBG_FLOW_TIMEOUT_DEFAULT;
}

static int parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* Set *@out to the index of @value in @names (@nr of them); -EINVAL if absent. */
static int parse_name(const char *value, const char *const *names, __u32 nr,
		      __u32 *out)
{
	__u32 i;

	for (i = 0; i < nr; i++) {
		if (!strcmp(value, names[i])) {
			*out = i;
			return 0;
		}
	}
	return -EINVAL;
}

int pcbg_config_set_knob(struct pcbg_config *cfg, const char *name,
			 const char *value)
{
	long v;
	int i;

	if (!strcmp(name, "algorithm"))
		return parse_name(value, algo_names, PCBG_ALGO_NR, &cfg->algorithm);
	if (!strcmp(name, "hash_fields"))
		return parse_name(value, hash_names, PCBG_HASH_NR, &cfg->hash_fields);
	if (!strcmp(name, "cpu_bits")) {
		if (parse_long(value, PCBG_CPU_BITS_AUTO, PCBG_CPU_BITS_MAX, &v))
			return -EINVAL;
		if (v == PCBG_CPU_BITS_AUTO)
			v = pcbg_cpu_bits_auto();
		if (v < 0)
			return v;
		cfg->cpu_bits = v;
		return 0;
	}
	if (!strcmp(name, "flow_timeout")) {
		if (parse_long(value, 1, PCBG_FLOW_TIMEOUT_MAX, &v))
			return -EINVAL;
		cfg->flow_timeout = v;
		return 0;
	}
	if (!strcmp(name, "max_group_size")) {
		if (parse_long(value, 1, PCBG_SLOTS_LIMIT, &v))
			return -EINVAL;
		cfg->max_group_size = v;
		return 0;
	}
	for (i = 0; pcbg_knob_names[i]; i++)
		if (!strcmp(name, pcbg_knob_names[i]))
			break;
	if (!pcbg_knob_names[i])
		return -ENOENT;
	if (parse_long(value, 0, 1, &v))
		return -EINVAL;
	if (!strcmp(name, "tcp_reuseport_ext"))
		cfg->tcp_reuseport_ext = v;
	else if (!strcmp(name, "udp_reuseport_ext"))
		cfg->udp_reuseport_ext = v;
	else if (!strcmp(name, "stats"))
		cfg->stats = v;
	else if (!strcmp(name, "flow_table"))
		cfg->flow_table = v;
	else
		cfg->migrate = v;
	return 0;
}

static int config_valid(const struct pcbg_config *cfg)
{
	return cfg->tcp_reuseport_ext <= 1 && cfg->udp_reuseport_ext <= 1 &&
	       cfg->algorithm < PCBG_ALGO_NR &&
	       cfg->cpu_bits <= PCBG_CPU_BITS_MAX &&
	       cfg->max_group_size >= 1 &&
	       cfg->max_group_size <= PCBG_SLOTS_LIMIT &&
	       cfg->stats <= 1 &&
	       cfg->hash_fields < PCBG_HASH_NR && cfg->migrate <= 1 &&
	       cfg->flow_table <= 1 && cfg->flow_timeout >= 1 &&
	       cfg->flow_timeout <= PCBG_FLOW_TIMEOUT_MAX;
}

int pcbg_group_config(const struct pcbg_group *grp, struct pcbg_config *cfg)
{
	__u32 zero = 0;

	if (bpf_map_lookup_elem(grp->map_fd[PCBG_M_CFG], &zero, cfg))
		return -errno;
	return pcbg_check_config(cfg);
}

int pcbg_group_set_config(struct pcbg_group *grp, const struct pcbg_config *cfg)
{
	__u32 zero = 0;
	int err;

	if (!config_valid(cfg))
		return -EINVAL;
	err = pcbg_group_lock(grp);
	if (err)
		return err;
	if (bpf_map_update_elem(grp->map_fd[PCBG_M_CFG], &zero, cfg, BPF_ANY))
		err = -errno;
	pcbg_group_unlock(grp);
	return err;
}
