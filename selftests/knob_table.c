// SPDX-License-Identifier: GPL-2.0
/*
 * One table drives the knobs: PCBG_KNOBS in include/uapi/pcbgroup.h.  The
 * library's defaults and bounds, pcbgroupctl -h, and every file that lists
 * the knobs (docs/knobs.md, pcbgroup(7), pcbgroupctl(8), the sysctl.d
 * example, the bash completion) must say what it says: names, values,
 * defaults.  The module's sysctls are held to it in a guest (module_knobs).
 */
#include <ctype.h>

#include "lib.h"
#include "knobs.h"

static char text[65536];

/* Source file @path, from the tree run_tests runs in, or next to $OUT. */
static char *read_source(const char *path)
{
	return read_tree_file(path, text, sizeof(text));
}

/* Without ` and \ (markdown's code, roff's \-) and trailing blanks. */
static char *clean(char *s)
{
	char *p, *q;

	for (p = q = s; *p; p++)
		if (*p != '`' && *p != '\\')
			*q++ = *p;
	while (q > s && q[-1] == ' ')
		q--;
	*q = '\0';
	return s;
}

/*
 * The knobs @where lists, in @text from a line starting with @from to one
 * starting with @to: one a line that @fmt scans as (name, values, default)
 * or (name, default).  Each knob of the table must be there (at most) once,
 * as the table says, and no other but the group's own settings.
 */
static void check_list(struct __test_metadata *_metadata, const char *where,
		       char *text, const char *from, const char *to,
		       const char *fmt, int all)
{
	char name[64], f[2][256], want[256], got[512], *line, *save;
	int seen[KNOBS_NR] = { 0 }, in = !from, n;
	const struct knob *k;
	size_t i;

	ASSERT_NE(NULL, text) TH_LOG("%s", where);
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (from && !strncmp(line, from, strlen(from)))
			in = 1;
		else if (to && !strncmp(line, to, strlen(to)))
			in = 0;
		n = 0;
		if (in)
			n = sscanf(line, fmt, name, f[0], f[1]);
		if (n < 2 || !strcmp(name, "samples") || !strcmp(name, "quic_cid_len"))
			continue;
		k = knob_find(name);
		EXPECT_NE(NULL, k) TH_LOG("%s: '%s' is not in PCBG_KNOBS", where, name);
		if (!k)
			continue;
		seen[k - knobs]++;
		knob_rule(k, want, sizeof(want));
		snprintf(got, sizeof(got), n == 3 ? "%s; default %s" : "default %s",
			 clean(f[0]), clean(f[1]));
		EXPECT_STREQ(n == 3 ? want : strstr(want, "default"), got)
			TH_LOG("%s: %s", where, name);
	}
	for (i = 0; i < KNOBS_NR; i++) {
		EXPECT_TRUE(all ? seen[i] == 1 : seen[i] <= 1)
			TH_LOG("%s: %s given %d times", where, knobs[i].name, seen[i]);
	}
}

TEST(library_follows_the_table)
{
	struct pcbg_config def, cfg;
	const char *s;
	char val[16];
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
	EXPECT_EQ(-ENOENT, pcbg_config_set_knob(&cfg, "no_such_knob", "1"));
}

TEST(help_follows_the_table)
{
	char err[1024];

	ASSERT_EQ(0, run_cmd(text, sizeof(text), err, sizeof(err), "%s/pcbgroupctl -h",
			     build_dir()));
	check_list(_metadata, "pcbgroupctl -h", text, "Knobs", "Examples",
		   "  %63[a-z_] %255[^;]; default %255[^\n]", 1);
}

TEST(docs_follow_the_table)
{
	check_list(_metadata, "docs/knobs.md", read_source("docs/knobs.md"), NULL,
		   NULL, "| `%63[a-z_]` | %255[^|]| %255[^|]|", 1);
	check_list(_metadata, "docs/pcbgroup.7", read_source("docs/pcbgroup.7"),
		   ".SH KNOBS", ".SH", ".BR %63[a-z_] \" (%255[^;]; default %255[^)]", 1);
	check_list(_metadata, "tools/pcbgroupctl.8", read_source("tools/pcbgroupctl.8"),
		   ".SH KNOBS", ".SH", ".BR %63[a-z_] \" (%255[^;]; default %255[^)]", 0);
	check_list(_metadata, "dist/sysctl.conf", read_source("dist/sysctl.conf"), NULL,
		   NULL, "#-net.pcbgroup.%63[a-z_] = %255s", 1);
}

/*
 * dist/pcbgroupctl.bash: "local knobs='... samples quic_cid_len'",
 * "-P algorithm= -W '...'"
 */
TEST(completion_follows_the_table)
{
	char want[512] = "local knobs='", pat[128], *p, *q;
	size_t i;
	int v;

	ASSERT_NE(NULL, read_source("dist/pcbgroupctl.bash"));
	for (p = q = text; *p; p++)	/* one line, one blank between words */
		if (!isspace(*p) || (q > text && q[-1] != ' '))
			*q++ = isspace(*p) ? ' ' : *p;
	*q = '\0';
	for (i = 0; i < KNOBS_NR; i++) {
		const struct knob *k = &knobs[i];

		snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s ", k->name);
		if (k->kind != PCBG_KNOB_NAME)
			continue;
		snprintf(pat, sizeof(pat), "-P %s= -W '", k->name);
		for (v = k->min; v <= k->max; v++)
			snprintf(pat + strlen(pat), sizeof(pat) - strlen(pat), "%s%s",
				 v > k->min ? " " : "", k->names[v]);
		EXPECT_NE(NULL, strstr(text, strcat(pat, "'"))) TH_LOG("no %s", pat);
	}
	/* then the group's own settings */
	EXPECT_NE(NULL, strstr(text, strcat(want, "samples quic_cid_len'"))) TH_LOG("no %s", want);
}

TEST_HARNESS_MAIN
