// SPDX-License-Identifier: GPL-2.0
/*
 * One table drives the knobs: PCBG_KNOBS in include/uapi/pcbgroup.h.  The
 * library's defaults and bounds, pcbgroupctl -h, and every file that lists
 * the knobs (docs/knobs.md, pcbgroup(7), pcbgroupctl(8), the sysctl.d
 * example, the bash completion) must say what it says: names, values,
 * defaults.  The module's sysctls are held to it in a guest (module_knobs).
 */
#include "lib.h"
#include "knobs.h"

#define FILE_SZ	65536

/* Source file @path, from the tree run_tests runs in, or next to $OUT. */
static char *read_source(const char *path)
{
	static char buf[FILE_SZ];
	char full[PATH_MAX];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f) {
		snprintf(full, sizeof(full), "%.2000s/../%.2000s", build_dir(), path);
		f = fopen(full, "r");
	}
	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* A knob as @where gives it, "VALUES; default D": a knob of the table, as
 * the table says; "samples" is the group's, not one of the table.
 */
static void check_knob(struct __test_metadata *_metadata, const char *where,
		       const char *name, const char *rule, int *seen)
{
	const struct knob *k = knob_find(name);
	char want[256];

	if (!strcmp(name, "samples"))
		return;
	EXPECT_NE(NULL, k) TH_LOG("%s: '%s' is not in PCBG_KNOBS", where, name);
	if (!k)
		return;
	seen[k - knobs]++;
	if (rule)
		EXPECT_STREQ(knob_rule(k, want, sizeof(want)), rule)
			TH_LOG("%s: %s", where, name);
}

/* Each knob of the table given once (or, if not @all, at most once). */
static void check_seen(struct __test_metadata *_metadata, const char *where,
		       const int *seen, int all)
{
	size_t i;

	for (i = 0; i < KNOBS_NR; i++)
		EXPECT_TRUE(all ? seen[i] == 1 : seen[i] <= 1)
			TH_LOG("%s: %s given %d times", where,
			       knobs[i].name ?: "?", seen[i]);
}

TEST(library_follows_the_table)
{
	struct pcbg_config def, cfg;
	char val[16];
	const char *s;
	size_t i;
	int v;

	pcbg_config_default(&def);
	for (i = 0; i < KNOBS_NR; i++) {
		const struct knob *k = &knobs[i];
		__u32 *field = (__u32 *)((char *)&cfg + k->offset);

		EXPECT_STREQ(k->name, pcbg_knob_names[i]);
		cfg = def;	/* a negative default is "auto": cpu_bits */
		EXPECT_EQ(k->def < 0 ? pcbg_cpu_bits_auto() : k->def, (int)*field)
			TH_LOG("%s: default", k->name);
		for (v = k->min - 1; v <= k->max + 1; v++) {
			int in = v >= k->min && v <= k->max;

			if (k->kind == PCBG_KNOB_INT && v > k->min && v < k->max)
				v = k->max;	/* each side of each bound */
			s = knob_value(k, v, val, sizeof(val));
			EXPECT_EQ(in ? 0 : -EINVAL, pcbg_config_set_knob(&cfg, k->name, s))
				TH_LOG("%s = %s", k->name, s);
			if (in)
				EXPECT_EQ(v < 0 ? pcbg_cpu_bits_auto() : v, (int)*field);
		}
	}
	EXPECT_EQ(NULL, pcbg_knob_names[KNOBS_NR]);
}

TEST(help_follows_the_table)
{
	static char out[FILE_SZ], err[1024];
	char name[64], rule[256], *line, *save;
	int seen[KNOBS_NR] = { 0 }, in = 0;

	ASSERT_EQ(0, run_cmd(out, sizeof(out), err, sizeof(err), "%s/pcbgroupctl -h",
			     build_dir()));
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] != ' ')
			in = !strncmp(line, "Knobs", 5);
		else if (in && sscanf(line, " %63s %255[^\n]", name, rule) == 2)
			check_knob(_metadata, "pcbgroupctl -h", name, rule, seen);
	}
	check_seen(_metadata, "pcbgroupctl -h", seen, 1);
}

/* docs/knobs.md: "| `knob` | values | default | meaning |" */
TEST(knobs_md_follows_the_table)
{
	char *text = read_source("docs/knobs.md"), *line, *save, *p, *q;
	char rule[256], *cell[4];
	int seen[KNOBS_NR] = { 0 }, c;

	ASSERT_NE(NULL, text);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "| `", 3))
			continue;
		for (p = q = line; *p; p++)	/* without the backquotes */
			if (*p != '`')
				*q++ = *p;
		*q = '\0';
		strsep(&line, "|");
		for (c = 0; c < 4 && line; c++) {
			cell[c] = strsep(&line, "|");
			cell[c] += strspn(cell[c], " ");
			cell[c][strcspn(cell[c], "|") - (*cell[c] ? 1 : 0)] = '\0';
		}
		ASSERT_EQ(4, c);
		snprintf(rule, sizeof(rule), "%s; default %s", cell[1], cell[2]);
		check_knob(_metadata, "docs/knobs.md", cell[0], rule, seen);
	}
	check_seen(_metadata, "docs/knobs.md", seen, 1);
}

/* The KNOBS section of a man page: '.BR knob " (values; default D)"' */
static void check_man(struct __test_metadata *_metadata, const char *path, int all)
{
	char *text = read_source(path), *line, *save, *p, *q;
	char name[64], rule[256];
	int seen[KNOBS_NR] = { 0 }, in = 0;

	ASSERT_NE(NULL, text);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, ".SH", 3))
			in = !strcmp(line, ".SH KNOBS");
		if (!in || sscanf(line, ".BR %63s \" (%255[^\"]", name, rule) != 2)
			continue;
		for (p = q = rule; *p; p++)	/* \- is a minus */
			if (p[0] != '\\' || p[1] != '-')
				*q++ = *p;
		q[-1] = '\0';	/* the ')' */
		check_knob(_metadata, path, name, rule, seen);
	}
	check_seen(_metadata, path, seen, all);
}

TEST(man_pages_follow_the_table)
{
	check_man(_metadata, "docs/pcbgroup.7", 1);
	check_man(_metadata, "tools/pcbgroupctl.8", 0);
}

/* dist/sysctl.conf: "#-net.pcbgroup.knob = default" */
TEST(sysctl_conf_follows_the_table)
{
	char *text = read_source("dist/sysctl.conf"), *line, *save;
	char name[64], value[64], d[16];
	int seen[KNOBS_NR] = { 0 };

	ASSERT_NE(NULL, text);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const struct knob *k;

		if (sscanf(line, "#-net.pcbgroup.%63[^ =] = %63s", name, value) != 2)
			continue;
		check_knob(_metadata, "dist/sysctl.conf", name, NULL, seen);
		k = knob_find(name);
		if (k)
			EXPECT_STREQ(knob_value(k, k->def, d, sizeof(d)), value)
				TH_LOG("dist/sysctl.conf: %s", name);
	}
	check_seen(_metadata, "dist/sysctl.conf", seen, 1);
}

/* dist/pcbgroupctl.bash: "local knobs='...'", "-P algorithm= -W '...'" */
TEST(completion_follows_the_table)
{
	char *text = read_source("dist/pcbgroupctl.bash"), *list, *word, *save;
	char pat[64], want[256], got[256];
	int seen[KNOBS_NR] = { 0 };
	size_t i;
	int v;

	ASSERT_NE(NULL, text);
	for (i = 0; i < KNOBS_NR; i++) {
		const struct knob *k = &knobs[i];

		if (k->kind != PCBG_KNOB_NAME)
			continue;
		snprintf(pat, sizeof(pat), "-P %s= -W '", k->name);
		list = strstr(text, pat);
		ASSERT_NE(NULL, list) TH_LOG("no values of %s", k->name);
		snprintf(got, sizeof(got), "%.*s", (int)strcspn(list + strlen(pat), "'"),
			 list + strlen(pat));
		for (v = k->min, want[0] = '\0'; v <= k->max; v++)
			snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s%s",
				 v > k->min ? " " : "", k->names[v]);
		EXPECT_STREQ(want, got);
	}
	list = strstr(text, "local knobs='");
	ASSERT_NE(NULL, list);
	list = strtok_r(list + strlen("local knobs='"), "'", &save);
	for (word = strtok_r(list, " \t\n", &save); word; word = strtok_r(NULL, " \t\n", &save))
		check_knob(_metadata, "dist/pcbgroupctl.bash", word, NULL, seen);
	check_seen(_metadata, "dist/pcbgroupctl.bash", seen, 1);
}

TEST_HARNESS_MAIN
