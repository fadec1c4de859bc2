// SPDX-License-Identifier: GPL-2.0
/*
 * The library's knob parsing and checks (tools/lib/knobs.c) alone: no root,
 * no BPF.  Every knob of the header's table takes its bounds and names and
 * refuses what lies beyond them, leaving the config as it was; the default
 * config is the table's; a config out of range is named by its knob.
 */
#include "kselftest_harness.h"
#include "internal.h"
#include "knobs.h"

static __u32 field(const struct pcbg_config *cfg, const struct knob *k)
{
	return *(const __u32 *)((const char *)cfg + k->offset);
}

TEST(the_default_config_is_the_tables)
{
	struct pcbg_config cfg;
	size_t i;

	pcbg_config_default(&cfg);
	for (i = 0; i < KNOBS_NR; i++) {
		int want = knobs[i].def;

		if (knobs[i].offset == offsetof(struct pcbg_config, cpu_bits))
			want = pcbg_cpu_bits_auto();	/* "auto", resolved */
		EXPECT_EQ(want, (int)field(&cfg, &knobs[i])) TH_LOG("%s", knobs[i].name);
	}
	EXPECT_EQ(NULL, pcbg_config_bad_knob(&cfg, NULL));
}

TEST(each_knob_takes_its_bounds_and_refuses_beyond_them)
{
	struct pcbg_config cfg, before;
	char buf[32];
	size_t i;

	for (i = 0; i < KNOBS_NR; i++) {
		const struct knob *k = &knobs[i];

#define VALUE(v) knob_value(k, v, buf, sizeof(buf))
		pcbg_config_default(&cfg);
		ASSERT_EQ(0, pcbg_config_set_knob(&cfg, k->name, VALUE(k->max)));
		EXPECT_EQ(k->max, (int)field(&cfg, k)) TH_LOG("%s", k->name);
		ASSERT_EQ(0, pcbg_config_set_knob(&cfg, k->name, VALUE(k->min)));
		if (k->min >= 0)	/* cpu_bits' -1 is "auto", stored resolved */
			EXPECT_EQ(k->min, (int)field(&cfg, k)) TH_LOG("%s", k->name);

		before = cfg;
		EXPECT_EQ(-EINVAL, pcbg_config_set_knob(&cfg, k->name, VALUE(k->max + 1)))
			TH_LOG("%s=%s", k->name, buf);
		EXPECT_EQ(-EINVAL, pcbg_config_set_knob(&cfg, k->name, VALUE(k->min - 1)))
			TH_LOG("%s=%s", k->name, buf);
#undef VALUE
		EXPECT_EQ(-EINVAL, pcbg_config_set_knob(&cfg, k->name, ""));
		EXPECT_EQ(-EINVAL, pcbg_config_set_knob(&cfg, k->name, "1x"));
		EXPECT_EQ(-EINVAL, pcbg_config_set_knob(&cfg, k->name, "99999999999999999999"));
		EXPECT_EQ(0, memcmp(&before, &cfg, sizeof(cfg))) TH_LOG("%s changed", k->name);
	}
}

TEST(unknown_knobs_are_not_found)
{
	struct pcbg_config cfg;

	pcbg_config_default(&cfg);
	EXPECT_EQ(-ENOENT, pcbg_config_set_knob(&cfg, "algorithms", "modulo"));
	EXPECT_EQ(-ENOENT, pcbg_config_set_knob(&cfg, "", "1"));
	/* the group's, not a knob */
	EXPECT_EQ(-ENOENT, pcbg_config_set_knob(&cfg, "samples", "1"));
}

TEST(a_config_out_of_range_is_named_by_its_knob)
{
	struct pcbg_config cfg;
	__u32 v = 0;
	size_t i;

	for (i = 0; i < KNOBS_NR; i++) {
		pcbg_config_default(&cfg);
		*(__u32 *)((char *)&cfg + knobs[i].offset) = knobs[i].max + 1;
		const char *bad = pcbg_config_bad_knob(&cfg, &v);

		EXPECT_STREQ(knobs[i].name, bad ? bad : "(none)");
		EXPECT_EQ((__u32)knobs[i].max + 1, v);
	}
}

TEST_HARNESS_MAIN
