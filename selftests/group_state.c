// SPDX-License-Identifier: GPL-2.0
/*
 * What show says of a group whose sockets changed under it: a socket bound
 * to its address later (a worker added, a new server) is flagged as
 * unsteered at once; a group whose sockets are all gone is dead, never live,
 * and gc removes it while leaving live groups alone.
 */
#include "lib.h"

/* TCG guests run these too, many times slower than the host */
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 300

#define OUT_SZ	65536

static void stop(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

#define CTL(fmt, ...) run_cmd(out, sizeof(out), err, sizeof(err), "%s/pcbgroupctl " fmt, \
			      build_dir(), ##__VA_ARGS__)

TEST(late_socket_is_flagged_dead_group_is_dead_and_gc_removes_it)
{
	char out[OUT_SZ], err[OUT_SZ], line[512];
	pid_t first, second, other;

	ASSERT_EQ(0, setup_namespaces());
	first = start_echo_server("", NULL, NULL, "-t udp -w 2 -p 8080");
	other = start_echo_server("", NULL, NULL, "-t tcp -w 2 -p 9090");
	ASSERT_LT(0, first);
	ASSERT_LT(0, other);
	ASSERT_EQ(0, CTL("attach --pid %d", first)) TH_LOG("%s", err);
	ASSERT_EQ(0, CTL("attach --pid %d", other)) TH_LOG("%s", err);
	ASSERT_EQ(0, CTL("show -j"));
	EXPECT_NE(NULL, strstr(out, "\"unsteered\":0,\"state\":\"live\"")) TH_LOG("%s", out);
	EXPECT_STREQ("", err);

	/* a socket joins the SO_REUSEPORT group after the attach */
	second = start_echo_server("", NULL, NULL, "-t udp -w 1 -p 8080");
	ASSERT_LT(0, second);
	ASSERT_EQ(0, CTL("show"));
	EXPECT_STREQ("pcbgroupctl: show: group 1: 1 udp sockets on 0.0.0.0:8080 "
		     "are not in the group and get no new flows\n", err);
	EXPECT_NE(NULL, strstr(out, "        1 live    -\n")) TH_LOG("%s", out);
	ASSERT_EQ(0, CTL("show --prometheus"));
	snprintf(line, sizeof(line), "pcbgroup_unsteered_sockets{group=\"1\",proto=\"udp\","
		 "port=\"8080\",local=\"0.0.0.0:8080\",netns=\"%llu\"} 1\n", this_netns());
	EXPECT_NE(NULL, strstr(out, line)) TH_LOG("%s", out);

	/* the adopted server goes: its group is dead, the late one is unsteered */
	stop(first);
	ASSERT_EQ(0, CTL("show -j 1"));
	EXPECT_NE(NULL, strstr(out, "\"sockets\":0,")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"unsteered\":1,\"state\":\"dead\"")) TH_LOG("%s", out);
	EXPECT_EQ(NULL, strstr(out, "\"state\":\"live\"")) TH_LOG("%s", out);
	ASSERT_EQ(0, CTL("show"));
	EXPECT_NE(NULL, strstr(out, "        1 dead    -\n")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(err, "get no new flows from it\n")) TH_LOG("%s", err);

	/* gc takes the dead one only */
	ASSERT_EQ(0, CTL("gc"));
	EXPECT_STREQ("group 1: removed (no live socket)\n", out);
	ASSERT_EQ(0, CTL("show -j"));
	EXPECT_EQ(NULL, strstr(out, "\"id\":1,")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"id\":2,\"proto\":\"tcp\"")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"sockets\":2,")) TH_LOG("%s", out);
	ASSERT_EQ(0, CTL("gc"));
	EXPECT_STREQ("", out);
	EXPECT_EQ(2, CTL("gc 1"));

	/* the freed id is taken again, by the late server's socket */
	ASSERT_EQ(0, CTL("attach --pid %d", second)) TH_LOG("%s", err);
	EXPECT_NE(NULL, strstr(out, "group 1: udp 0.0.0.0:8080, 1 sockets")) TH_LOG("%s", out);
	stop(second);
	stop(other);
}

/* show --prometheus passes promtool's lint, the one fleets run */
TEST(prometheus_export_passes_promtool)
{
	char out[OUT_SZ], err[OUT_SZ], line[512];
	pid_t server;

	if (run_cmd(NULL, 0, NULL, 0, "command -v promtool"))
		SKIP(return, "no promtool (Debian package prometheus)");
	ASSERT_EQ(0, setup_namespaces());
	server = start_echo_server("", NULL, NULL, "-t udp -w 2 -p 8080");
	ASSERT_LT(0, server);
	ASSERT_EQ(0, CTL("attach --pid %d", server)) TH_LOG("%s", err);
	ASSERT_EQ(0, run_cmd(out, sizeof(out), err, sizeof(err),
			     "%s/pcbgroupctl show --prometheus | promtool check metrics",
			     build_dir())) TH_LOG("%s%s", out, err);
	EXPECT_STREQ("", err);
	ASSERT_EQ(0, CTL("show --prometheus"));
	snprintf(line, sizeof(line), "# TYPE pcbgroup_selected_total counter\n"
		 "pcbgroup_selected_total{group=\"1\",proto=\"udp\",port=\"8080\","
		 "local=\"0.0.0.0:8080\",netns=\"%llu\",slot=\"0\"} 0\n", this_netns());
	EXPECT_NE(NULL, strstr(out, line)) TH_LOG("%s", out);
	stop(server);
}

TEST_HARNESS_MAIN
