/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The knob table of include/uapi/pcbgroup.h (PCBG_KNOBS) as the tests read
 * it, and how a knob's values are spelled: by the sysctls, the help and
 * the docs.
 */
#ifndef PCBG_TEST_KNOBS_H
#define PCBG_TEST_KNOBS_H

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <uapi/pcbgroup.h>

struct knob {
	const char *name;
	size_t offset;		/* in struct pcbg_config */
	enum pcbg_knob_kind kind;
	int min, max, def;
	const char *const *names;
};

static const struct knob knobs[] = {
#define KNOB(knob, kind, min, max, def, names) \
	{ #knob, offsetof(struct pcbg_config, knob), kind, min, max, def, \
	  (const char *const[])names },
	PCBG_KNOBS(KNOB)
#undef KNOB
};

#define KNOBS_NR ARRAY_SIZE(knobs)

/* @v as the sysctl reads and takes it: a name (@v in range), or a number. */
static inline const char *knob_value(const struct knob *k, int v, char *buf,
				     size_t size)
{
	if (k->kind == PCBG_KNOB_NAME && v >= k->min && v <= k->max)
		return k->names[v];
	snprintf(buf, size, "%d", v);
	return buf;
}

/* "VALUES; default D": "0, 1", "1..32768" or "4tuple, 2tuple", as the docs
 * and the help give them.
 */
static inline const char *knob_rule(const struct knob *k, char *buf, size_t size)
{
	char d[16];
	size_t n = 0;
	int v;

	if (k->kind == PCBG_KNOB_INT)
		n = snprintf(buf, size, "%d..%d", k->min, k->max);
	for (v = k->min; k->kind != PCBG_KNOB_INT && v <= k->max && n < size; v++)
		n += snprintf(buf + n, size - n, "%s%s", v > k->min ? ", " : "",
			      knob_value(k, v, d, sizeof(d)));
	if (n < size)
		snprintf(buf + n, size - n, "; default %s",
			 knob_value(k, k->def, d, sizeof(d)));
	return buf;
}

static inline const struct knob *knob_find(const char *name)
{
	size_t i;

	for (i = 0; i < KNOBS_NR; i++)
		if (!strcmp(name, knobs[i].name))
			return &knobs[i];
	return NULL;
}

#endif /* PCBG_TEST_KNOBS_H */
