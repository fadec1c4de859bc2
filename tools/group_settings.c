// SPDX-License-Identifier: GPL-2.0
/*
 * The group's own settings, which are not knobs: no sysctl has them and
 * pcbgroup.ko never writes them, whoever writes the config.  pcbgroupctl set
 * and pcbgroupd's declarations take them beside the knobs, as NAME=VALUE.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pcbgroupctl.h"

/* @value as a decimal number @min..@max, or -EINVAL */
static int parse_number(const char *value, long min, long max, long *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(value, &end, 10);
	if (errno || end == value || *end || n < min || n > max)
		return -EINVAL;
	*out = n;
	return 0;
}

static int parse(const char *name, const char *value, long *out)
{
	if (!strcmp(name, "samples"))
		return parse_number(value, 0, 1, out);
	if (!strcmp(name, "quic_cid_len")) {
		if (parse_number(value, 0, PCBG_QUIC_CID_MAX, out))
			return -EINVAL;
		return *out && *out < PCBG_QUIC_CID_MIN ? -EINVAL : 0;
	}
	return -ENOENT;
}

int group_setting_check(const char *name, const char *value)
{
	long v;

	return parse(name, value, &v);
}

int group_setting_apply(struct pcbg_group *grp, const char *name, const char *value)
{
	long v;
	int err = parse(name, value, &v);

	if (err)
		return err;
	if (!strcmp(name, "samples"))
		return pcbg_group_set_samples(grp, v);
	return pcbg_group_set_quic(grp, v);
}
