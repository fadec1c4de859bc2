// SPDX-License-Identifier: GPL-2.0
/*
 * One table describes the maps: PCBG_MAPS in include/uapi/pcbgroup.h.  The
 * library's checks of pinned maps, the module's of registered ones and the
 * tests' hand-made maps come from it; the program declares its maps in
 * bpf/pcbgroup.bpf.c, as libbpf wants them.  This holds the built program
 * to the table: every map it has is in the table, with the table's type,
 * key and value sizes and flags, and a group made by the library has each
 * map sized by the table's rule.  And docs/tables.md's list of the maps a
 * registration hands to the module says what the table says.
 */
#include <ctype.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "lib.h"
#include "internal.h"

static const struct {
	const char *name;
	__u32 type, key_size, value_size, flags;
	enum pcbg_entries_rule rule;
	int module;
} table[] = {
#define ROW(id, name, type, key, value, flags, entries, module) \
	{ name, BPF_MAP_TYPE_##type, sizeof(key), sizeof(value), flags, \
	  PCBG_ENTRIES_##entries, module },
	PCBG_MAPS(ROW)
#undef ROW
};

static struct bpf_object *open_program(void)
{
	char path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/pcbgroup.bpf.o", build_dir());
	return bpf_object__open_file(path, NULL);
}

TEST(the_program_has_the_tables_maps_and_no_other)
{
	struct bpf_object *obj = open_program();
	struct bpf_map *map;
	size_t i, found = 0;

	ASSERT_NE(NULL, obj) TH_LOG("%s/pcbgroup.bpf.o: %s", build_dir(), strerror(errno));
	bpf_object__for_each_map(map, obj) {
		const char *name = bpf_map__name(map);

		for (i = 0; i < ARRAY_SIZE(table) && strcmp(table[i].name, name); i++)
			;
		if (i == ARRAY_SIZE(table)) {
			/* libbpf's own maps (.rodata, .bss) hold the program's constants */
			EXPECT_EQ('.', name[0]) TH_LOG("map %s is not in PCBG_MAPS", name);
			continue;
		}
		found++;
		EXPECT_EQ(table[i].type, bpf_map__type(map)) TH_LOG("%s: type", name);
		EXPECT_EQ(table[i].key_size, bpf_map__key_size(map)) TH_LOG("%s: key", name);
		EXPECT_EQ(table[i].value_size, bpf_map__value_size(map)) TH_LOG("%s: value", name);
		EXPECT_EQ(table[i].flags, bpf_map__map_flags(map) & table[i].flags)
			TH_LOG("%s: flags %#x", name, bpf_map__map_flags(map));
	}
	EXPECT_EQ(ARRAY_SIZE(table), found) TH_LOG("maps of PCBG_MAPS not in the program");
	bpf_object__close(obj);
}

/* The ioctl's descriptors are the module's maps, in the table's order. */
TEST(the_modules_maps_come_first_in_the_order_of_struct_pcbg_register)
{
	static const size_t fd_field[] = {
		offsetof(struct pcbg_register, cfg_fd),
		offsetof(struct pcbg_register, group_fd),
		offsetof(struct pcbg_register, socks_fd),
		offsetof(struct pcbg_register, slots_fd),
		offsetof(struct pcbg_register, slot_cnt_fd),
		offsetof(struct pcbg_register, stats_fd),
		offsetof(struct pcbg_register, cpu_cnt_fd),
		offsetof(struct pcbg_register, cpu_slots_fd),
		offsetof(struct pcbg_register, load_fd),
	};
	size_t i;

	ASSERT_EQ(ARRAY_SIZE(fd_field), PCBG_M_MODULE_NR);
	for (i = 0; i < ARRAY_SIZE(table); i++)
		EXPECT_EQ(i < PCBG_M_MODULE_NR, table[i].module) TH_LOG("map %zu", i);
	for (i = 1; i < ARRAY_SIZE(fd_field); i++)
		EXPECT_LT(fd_field[i - 1], fd_field[i]);
}

/* A group made by the library: every map's entries by the table's rule. */
TEST(a_new_groups_maps_are_sized_by_the_rules)
{
	__u32 capacity = 40, ncpus = libbpf_num_possible_cpus();
	struct pcbg_group *grp;
	const char *dir = "/sys/fs/bpf/map_table";	/* the test's own bpffs */
	size_t i;

	ASSERT_EQ(0, setup_namespaces());
	ASSERT_EQ(0, pcbg_group_create(&grp, capacity));
	ASSERT_EQ(0, pcbg_group_pin(grp, dir));
	for (i = 0; i < ARRAY_SIZE(table); i++) {
		struct bpf_map_info info = {};
		__u32 len = sizeof(info);
		char path[PATH_MAX];
		__u64 want;
		int fd;

		snprintf(path, sizeof(path), "%s/%s", dir, table[i].name);
		fd = bpf_obj_get(path);
		ASSERT_LE(0, fd) TH_LOG("%s not pinned", path);
		ASSERT_EQ(0, bpf_obj_get_info_by_fd(fd, &info, &len));
		close(fd);
		want = pcbg_map_entries(table[i].rule, capacity, ncpus,
					pcbg_maglev_size(capacity));
		if (table[i].rule == PCBG_ENTRIES_FLOWS)
			want = pcbg_flows_size(capacity);
		EXPECT_EQ(want, info.max_entries) TH_LOG("%s", table[i].name);
		EXPECT_EQ(table[i].value_size, info.value_size) TH_LOG("%s", table[i].name);
	}
	EXPECT_EQ(0, pcbg_unpin(dir));
	pcbg_group_free(grp);
}

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
	{ "load_fd", PCBG_MAP_LOAD },
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
	{ "struct pcbg_slot_load", sizeof(struct pcbg_slot_load) },
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

TEST(registered_maps_in_the_docs_say_what_the_table_says)
{
	char *page = read_tree_file("docs/tables.md", text, sizeof(text));
	char *line, *save, *row, *fd, *type, *value, want[64];
	int rows = 0, wrong = 0, seen[ARRAY_SIZE(registered)] = { 0 };
	size_t i, k, m;

	ASSERT_NE(NULL, page) TH_LOG("docs/tables.md not found");
	page = strstr(page, "What the maps must be");
	ASSERT_NE(NULL, page) TH_LOG("docs/tables.md has no table of the maps");
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
		for (m = 0; m < ARRAY_SIZE(table) && strcmp(table[m].name, registered[i].map); m++)
			;
		ASSERT_GT(ARRAY_SIZE(table), m) TH_LOG("%s: no map %s", fd, registered[i].map);
		/* BPF_MAP_TYPE_PERCPU_ARRAY is "percpu_array" to libbpf */
		snprintf(want, sizeof(want), "%s", libbpf_bpf_map_type_str(table[m].type));
		for (k = 0; want[k]; k++)
			want[k] = toupper((unsigned char)want[k]);
		EXPECT_STREQ(want, type) TH_LOG("%s (%s): its type", fd, registered[i].map);
		EXPECT_EQ(table[m].value_size, value_size(value))
			TH_LOG("%s (%s): the page says %s", fd, registered[i].map, value);
	}
	for (i = 0; i < ARRAY_SIZE(registered); i++) {
		if (seen[i] != 1)
			TH_LOG("%s: listed %d times", registered[i].fd, seen[i]);
		wrong += seen[i] != 1;
	}
	EXPECT_EQ(0, wrong);
}

TEST_HARNESS_MAIN
