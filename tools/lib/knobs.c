// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The knobs of struct pcbg_config, by name: their defaults, parsing and
 * bounds, all from the table PCBG_KNOBS of include/uapi/pcbgroup.h; and the
 * names of the enums' values.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>

#include "internal.h"

static const char *const algo_names[PCBG_ALGO_NR] = PCBG_ALGO_NAMES;
static const char *const stat_names[PCBG_STAT_NR] = PCBG_STAT_NAMES;
static const char *const hash_names[PCBG_HASH_NR] = PCBG_HASH_NAMES;

static const struct knob_rule {
	const char *name;
	size_t offset;		/* in struct pcbg_config */
	enum pcbg_knob_kind kind;
	long min, max, def;
	const char *const *names;
} knobs[] = {
#define KNOB_RULE(knob, kind, min, max, def, names) \
	{ #knob, offsetof(struct pcbg_config, knob), kind, min, max, def, \
	  (const char *const[])names },
	PCBG_KNOBS(KNOB_RULE)
#undef KNOB_RULE
};

#define KNOB_NR ARRAY_SIZE(knobs)

const char *const pcbg_knob_names[] = {
#define KNOB_NAME(knob, kind, min, max, def, names) (#knob),
	PCBG_KNOBS(KNOB_NAME)
#undef KNOB_NAME
	NULL,
};

static __u32 *knob_field(const struct pcbg_config *cfg, const struct knob_rule *k)
{
	return (__u32 *)((const char *)cfg + k->offset);
}

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
	size_t i;

	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; i < KNOB_NR; i++)
		*knob_field(cfg, &knobs[i]) = knobs[i].def;
	cfg->cpu_bits = bits < 0 ? 0 : bits;
}

int pcbg_config_set_knob(struct pcbg_config *cfg, const char *name,
			 const char *value)
{
	const struct knob_rule *k;
	char *end;
	long v;

	for (k = knobs; k < knobs + KNOB_NR && strcmp(name, k->name); k++)
		;
	if (k == knobs + KNOB_NR)
		return -ENOENT;
	errno = 0;
	v = strtol(value, &end, 10);
	if (k->kind == PCBG_KNOB_NAME)	/* its index, or -1 */
		for (v = k->max; v >= 0 && strcmp(value, k->names[v]); v--)
			;
	else if (errno || end == value || *end)
		return -EINVAL;
	if (v < k->min || v > k->max)
		return -EINVAL;
	if (k->offset == offsetof(struct pcbg_config, cpu_bits) &&
	    v == PCBG_CPU_BITS_AUTO)
		v = pcbg_cpu_bits_auto();
	if (v < 0)
		return v;
	*knob_field(cfg, k) = v;
	return 0;
}

const char *pcbg_config_bad_knob(const struct pcbg_config *cfg, __u32 *value)
{
	size_t i;

	for (i = 0; i < KNOB_NR; i++) {
		__u32 v = *knob_field(cfg, &knobs[i]);

		/* cpu_bits holds the effective value: "auto" (-1) is out */
		if ((long)v < knobs[i].min || (long)v > knobs[i].max) {
			if (value)
				*value = v;
			return knobs[i].name;
		}
	}
	return NULL;
}
