// SPDX-License-Identifier: GPL-2.0
/*
 * A group's settings as KEY=VALUE, for pcbgroupctl set and pcbgroupd's
 * declarations: the knobs of its config (PCBG_KNOBS, whose one writer is
 * pcbgroup.ko's sysctls while it is loaded) and the group's own settings,
 * samples and quic_cid_len (pcbg_group_info), which no sysctl has and
 * pcbgroup.ko never writes, whoever writes the config.  This is the one
 * place that tells the two apart.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tools.h"

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

int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno || end == s || *end || *s == '-' || *out > max ? -1 : 0;
}

int settings_start(struct group_settings *s, const struct pcbg_group *grp)
{
	memset(s, 0, sizeof(*s));
	s->samples = -1;
	s->quic_cid_len = -1;
	if (grp)
		return pcbg_group_config(grp, &s->cfg);
	pcbg_config_default(&s->cfg);
	return 0;
}

int settings_add(struct group_settings *s, const char *key, const char *value)
{
	int err;

	if (!strcmp(key, "samples"))
		return parse_number(value, 0, 1, &s->samples);
	if (!strcmp(key, "quic_cid_len")) {
		if (parse_number(value, 0, PCBG_QUIC_CID_MAX, &s->quic_cid_len) ||
		    (s->quic_cid_len && s->quic_cid_len < PCBG_QUIC_CID_MIN)) {
			s->quic_cid_len = -1;
			return -EINVAL;
		}
		return 0;
	}
	err = pcbg_config_set_knob(&s->cfg, key, value);
	if (!err)
		s->knobs = 1;
	return err;
}

int settings_write(const struct group_settings *s, struct pcbg_group *grp,
		   int config_too)
{
	int err = 0;

	if (s->knobs && config_too)
		err = pcbg_group_set_config(grp, &s->cfg);
	if (!err && s->samples >= 0)
		err = pcbg_group_set_samples(grp, s->samples);
	if (!err && s->quic_cid_len >= 0)
		err = pcbg_group_set_quic(grp, s->quic_cid_len);
	return err;
}
