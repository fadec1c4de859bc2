// SPDX-License-Identifier: GPL-2.0
/*
 * docs/tables.md's table of the maps a registration hands to the module
 * ("What the maps must be") says what the program defines: for each
 * descriptor of struct pcbg_register, the map's type and value size as
 * bpf/pcbgroup.bpf.c's object has them (its skeleton, opened, not loaded).
 * The module checks a registration against the same definitions, in the
 * guests; this keeps the page from drifting on the host.
 */
#include <ctype.h>
#include <bpf/libbpf.h>

#include "lib.h"
#include "pcbgroup.skel.h"

/* Each descriptor of struct pcbg_register and the program's map it takes. */
static const struct {
	const char *fd;
	const char *map;
} registered[] = {
	{ "cfg_fd", PCBG_MAP_CFG },
	{ "group_fd", PCBG_MAP_GROUP },
	{ "socks_fd", PCBG_MAP_SOCKS },
	{ "slots_fd", PCBG_MAP_SLOTS },
	{ "slot_cnt_fd", PCBG_MAP_SLOT_STATS },
	{ "stats_fd", PCBG_MAP_STATS },
	{ "cpu_cnt_fd", PCBG_MAP_CPU_CNT },
	{ "cpu_slots_fd", PCBG_MAP_CPU_SLOTS },
};

/* The UAPI structs the page may name as a value. */
static const struct {
	const char *name;
	size_t size;
} structs[] = {
	{ "struct pcbg_config", sizeof(struct pcbg_config) },
	{ "struct pcbg_group_info", sizeof(struct pcbg_group_info) },
	{ "struct pcbg_slot", sizeof(struct pcbg_slot) },
	{ "struct pcbg_slot_count", sizeof(struct pcbg_slot_count) },
};

static char text[1 << 17];

/* A cell of a markdown table row, without blanks and backquotes. */
static char *cell(char **row)
{
	char *c = strsep(row, "|"), *q, *p;

	if (!c)
		return NULL;
	for (p = q = c; *p; p++)
		if (*p != '`')
			*q++ = *p;
	*q = '\0';
	while (isspace((unsigned char)*c))
		c++;
	for (q = c + strlen(c); q > c && isspace((unsigned char)q[-1]); q--)
		q[-1] = '\0';
	return c;
}

/*
 * The size a value cell says: a number of bytes, or a struct, maybe with
 * its size in parentheses, which must be right too; 0 if neither.
 */
static size_t value_size(const char *v)
{
	const char *paren;
	size_t i, len;

	if (isdigit((unsigned char)v[0]))
		return strtoul(v, NULL, 10);
	for (i = 0; i < ARRAY_SIZE(structs); i++) {
		len = strlen(structs[i].name);
		if (strncmp(v, structs[i].name, len) || (v[len] && v[len] != ' '))
			continue;
		paren = strchr(v + len, '(');
		if (paren && strtoul(paren + 1, NULL, 10) != structs[i].size)
			return 0;
		return structs[i].size;
	}
	return 0;
}

TEST(registered_maps_table_says_what_the_program_defines)
{
	char *page = read_tree_file("docs/tables.md", text, sizeof(text));
	char *line, *save, *row, *fd, *type, *value, want[64];
	struct pcbgroup_bpf *skel;
	const struct bpf_map *map;
	int rows = 0, wrong = 0, seen[ARRAY_SIZE(registered)] = { 0 };
	size_t i, k;

	ASSERT_NE(NULL, page) TH_LOG("docs/tables.md not found");
	page = strstr(page, "What the maps must be");
	ASSERT_NE(NULL, page) TH_LOG("docs/tables.md has no table of the maps");
	skel = pcbgroup_bpf__open();
	ASSERT_NE(NULL, skel);
	for (line = strtok_r(page, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] != '|') {
			if (rows)
				break;	/* the table's end */
			continue;
		}
		row = line + 1;
		fd = cell(&row);
		type = cell(&row);
		value = cell(&row);
		if (!fd || !type || !value || !strstr(fd, "_fd"))
			continue;	/* the header and its rule */
		rows++;
		for (i = 0; i < ARRAY_SIZE(registered) && strcmp(fd, registered[i].fd); i++)
			;
		EXPECT_GT(ARRAY_SIZE(registered), i)
			TH_LOG("%s: no such descriptor in struct pcbg_register", fd);
		if (i == ARRAY_SIZE(registered))
			continue;
		seen[i]++;
		map = bpf_object__find_map_by_name(skel->obj, registered[i].map);
		ASSERT_NE(NULL, map) TH_LOG("%s: no map %s", fd, registered[i].map);
		/* BPF_MAP_TYPE_PERCPU_ARRAY is "percpu_array" to libbpf */
		snprintf(want, sizeof(want), "%s", libbpf_bpf_map_type_str(bpf_map__type(map)));
		for (k = 0; want[k]; k++)
			want[k] = toupper((unsigned char)want[k]);
		EXPECT_STREQ(want, type) TH_LOG("%s (%s): its type", fd, registered[i].map);
		EXPECT_EQ(bpf_map__value_size(map), value_size(value))
			TH_LOG("%s (%s): the page says %s", fd, registered[i].map, value);
	}
	for (i = 0; i < ARRAY_SIZE(registered); i++) {
		if (seen[i] != 1)
			TH_LOG("%s: listed %d times", registered[i].fd, seen[i]);
		wrong += seen[i] != 1;
	}
	EXPECT_EQ(0, wrong);
	pcbgroup_bpf__destroy(skel);
}

TEST_HARNESS_MAIN
