// SPDX-License-Identifier: GPL-2.0
/*
 * One table describes the maps: PCBG_MAPS in include/uapi/pcbgroup.h.  The
 * library's checks of pinned maps, the module's of registered ones and the
 * tests' hand-made maps come from it; the program declares its maps in
 * bpf/pcbgroup.bpf.c, as libbpf wants them.  This holds the built program
 * to the table: every map it has is in the table, with the table's type,
 * key and value sizes and flags, and a group made by the library has each
 * map sized by the table's rule.
 */
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

TEST_HARNESS_MAIN
