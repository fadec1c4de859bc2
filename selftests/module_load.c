// SPDX-License-Identifier: GPL-2.0
/*
 * pcbgroup.ko loads and unloads cleanly, twice, with and without live
 * groups, and is never on the packet path: steering goes on after rmmod.
 * Needs PCBG_KO, the path of the module built for the running kernel.
 */
#include "modlib.h"

static int modprobe(const char *verb)
{
	const char *ko = getenv("PCBG_KO");
	char err[512];

	if (!strcmp(verb, "insmod"))
		return run_cmd(NULL, 0, err, sizeof(err), "insmod %s", ko);
	return run_cmd(NULL, 0, err, sizeof(err), "rmmod pcbgroup");
}

static int loaded(void)
{
	return !access(SYSCTL_DIR, F_OK) && !access(PROC_DIR "/groups", F_OK);
}

#define REQUIRE_KO() do { \
	if (!getenv("PCBG_KO") || access(getenv("PCBG_KO"), R_OK)) \
		SKIP(return, "PCBG_KO does not name a built pcbgroup.ko"); \
	REQUIRE_MODULE(); \
} while (0)

TEST(reload_twice_without_groups)
{
	int i;

	REQUIRE_KO();
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, modprobe("rmmod"));
		EXPECT_FALSE(loaded());
		EXPECT_NE(0, access(PROC_DIR, F_OK));
		ASSERT_EQ(0, modprobe("insmod"));
		EXPECT_TRUE(loaded());
	}
}

/* With a live group in another namespace: rmmod, traffic goes on, insmod. */
TEST(reload_twice_with_live_groups)
{
	int fds[4], receiver[256], ep, i, round, id;
	__u64 stats[PCBG_STAT_NR];
	struct pcbg_group *grp;
	struct groups_row row;

	REQUIRE_KO();
	ASSERT_EQ(0, setup_namespaces());
	ASSERT_EQ(0, pcbg_group_create(&grp, 0));
	for (i = 0; i < 4; i++) {
		fds[i] = make_server(AF_INET, SOCK_DGRAM, SERVER_PORT);
		ASSERT_EQ(i, pcbg_group_add_socket(grp, fds[i], -1, 0));
	}
	ASSERT_EQ(0, pcbg_group_attach(grp, fds[0]));
	ep = watch_servers(fds, 4);
	for (round = 0; round < 2; round++) {
		id = pcbg_group_register(grp, 0);
		ASSERT_EQ(1, id);
		ASSERT_EQ(1, groups_rows(&row, 1));
		ASSERT_EQ(0, modprobe("rmmod"));
		EXPECT_FALSE(loaded());
		ASSERT_EQ(0, pcbg_group_reset_stats(grp));
		ASSERT_EQ(64, run_flows(AF_INET, SOCK_DGRAM, SERVER_PORT, fds, ep,
					round * 64, 64, receiver));
		ASSERT_EQ(0, pcbg_group_stats(grp, stats));
		EXPECT_EQ(64, stats[PCBG_STAT_SELECTED]);
		ASSERT_EQ(0, modprobe("insmod"));
		EXPECT_TRUE(loaded());
		EXPECT_EQ(0, groups_rows(&row, 1));
	}
	pcbg_group_free(grp);
}

TEST_HARNESS_MAIN
