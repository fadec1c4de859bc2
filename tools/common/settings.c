// SPDX-License-Identifier: GPL-2.0
/*
 * A group's settings as KEY=VALUE, for pcbgroupctl set and pcbgroupd's
 * declarations: the knobs of its config (PCBG_KNOBS, whose one writer is
 * pcbgroup.ko's sysctls while it is loaded) and `samples`, which is the
 * group's own (pcbg_group_info, pcbg_group_set_samples()), whoever writes
 * the config.  This is the one place that tells the two apart.
 */
#include <errno.h>
#include <string.h>

#include "tools.h"

int settings_start(struct group_settings *s, const struct pcbg_group *grp)
{
	memset(s, 0, sizeof(*s));
	s->samples = -1;
	if (grp)
		return pcbg_group_config(grp, &s->cfg);
	pcbg_config_default(&s->cfg);
	return 0;
}

int settings_add(struct group_settings *s, const char *key, const char *value)
{
	int err;

	if (!strcmp(key, "samples")) {
		if (strcmp(value, "0") && strcmp(value, "1"))
			return -EINVAL;
		s->samples = value[0] == '1';
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
	return err;
}
