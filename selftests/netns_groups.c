// SPDX-License-Identifier: GPL-2.0
/*
 * Two network namespaces side by side, sharing one bpffs, each with a server
 * on the same port: every pcbgroupctl command sees and changes only the
 * groups of its own namespace, and ids count from 1 in each.
 *
 *     this test (netns A, private mount ns + bpffs)
 *       |-- echo_server, 2 workers, :8080        group 1 of A
 *       `-- holder process (netns B, same mount ns)
 *             `-- echo_server, 3 workers, :8080  group 1 of B (nsenter -n)
 *
 * And `ip netns exec NS pcbgroupctl attach`, whose private mount namespace
 * has no bpffs, pins where a later command finds the group again.
 */
#include "lib.h"

/* TCG guests run these too, many times slower than the host */
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 300
#include <signal.h>
#include <sys/prctl.h>

#define OUT_SZ	65536

FIXTURE(two_ns) {
	pid_t holder;		/* sits in namespace B */
	pid_t server_a, server_b;
	char out[OUT_SZ];
	char err[OUT_SZ];
};

FIXTURE_SETUP(two_ns)
{
	char prefix[64];

	ASSERT_EQ(0, setup_namespaces());
	self->holder = hold_new_netns();
	ASSERT_LT(0, self->holder);
	self->server_a = start_echo_server("", NULL, NULL, "-t udp -w 2 -p 8080");
	ASSERT_LT(0, self->server_a);
	snprintf(prefix, sizeof(prefix), "nsenter -n -t %d", self->holder);
	self->server_b = start_echo_server(prefix, NULL, NULL, "-t udp -w 3 -p 8080");
	ASSERT_LT(0, self->server_b);
}

FIXTURE_TEARDOWN(two_ns)
{
	pid_t *pids[] = { &self->server_a, &self->server_b, &self->holder };

	for (size_t i = 0; i < ARRAY_SIZE(pids); i++)
		if (*pids[i] > 0)	/* a test may have stopped it: 0 */
			kill(*pids[i], SIGKILL);
	while (wait(NULL) > 0)
		;
}

/* pcbgroupctl in namespace A (this one) or B */
#define CTL_A(fmt, ...) \
	run_cmd(self->out, OUT_SZ, self->err, OUT_SZ, "%s/pcbgroupctl " fmt, \
		build_dir(), ##__VA_ARGS__)
#define CTL_B(fmt, ...) \
	run_cmd(self->out, OUT_SZ, self->err, OUT_SZ, "nsenter -n -t %d %s/pcbgroupctl " fmt, \
		self->holder, build_dir(), ##__VA_ARGS__)

static int count(const char *s, const char *what)
{
	int n = 0;

	while ((s = strstr(s, what))) {
		n++;
		s++;
	}
	return n;
}

TEST_F_TIMEOUT(two_ns, each_namespace_sees_and_changes_only_its_groups, 300)
{
	ASSERT_EQ(0, CTL_A("attach --pid %d", self->server_a)) TH_LOG("%s", self->err);
	EXPECT_NE(NULL, strstr(self->out, "group 1: udp 0.0.0.0:8080, 2 sockets"));
	ASSERT_EQ(0, CTL_B("attach --pid %d", self->server_b)) TH_LOG("%s", self->err);
	EXPECT_NE(NULL, strstr(self->out, "group 1: udp 0.0.0.0:8080, 3 sockets"))
		TH_LOG("%s", self->out);

	ASSERT_EQ(0, CTL_A("show -j"));
	EXPECT_EQ(1, count(self->out, "\"id\":")) TH_LOG("%s", self->out);
	EXPECT_NE(NULL, strstr(self->out, "\"id\":1,")) TH_LOG("%s", self->out);
	EXPECT_NE(NULL, strstr(self->out, "\"sockets\":2,")) TH_LOG("%s", self->out);
	ASSERT_EQ(0, CTL_B("show -j"));
	EXPECT_EQ(1, count(self->out, "\"id\":")) TH_LOG("%s", self->out);
	EXPECT_NE(NULL, strstr(self->out, "\"sockets\":3,")) TH_LOG("%s", self->out);

	if (access("/proc/sys/" PCBG_SYSCTL_PATH, F_OK)) {
		/* set in B leaves A's config alone */
		ASSERT_EQ(0, CTL_B("set algorithm=maglev"));
		ASSERT_EQ(0, CTL_A("show -j"));
		EXPECT_NE(NULL, strstr(self->out, "\"algorithm\":\"hash-threshold\""))
			TH_LOG("%s", self->out);
		ASSERT_EQ(0, CTL_B("show -j"));
		EXPECT_NE(NULL, strstr(self->out, "\"algorithm\":\"maglev\""));
	}

	/* detach --all in B leaves A's group steering */
	ASSERT_EQ(0, CTL_B("detach --all"));
	EXPECT_STREQ("group 1: detached\n", self->out);
	ASSERT_EQ(0, CTL_B("show -j"));
	EXPECT_STREQ("{\"groups\":[]}\n", self->out);
	ASSERT_EQ(0, CTL_A("show -j"));
	EXPECT_NE(NULL, strstr(self->out, "\"sockets\":2,")) TH_LOG("%s", self->out);
	EXPECT_EQ(0, run_cmd(NULL, 0, NULL, 0,
			     "%s/loadgen -q -t udp -p 8080 -n 100 | grep -q 'answered 100 '",
			     build_dir()));
	ASSERT_EQ(0, CTL_A("show -j"));
	EXPECT_NE(NULL, strstr(self->out, "\"selected\":100,")) TH_LOG("%s", self->out);
	EXPECT_EQ(1, CTL_B("detach 1"));
	EXPECT_STREQ("pcbgroupctl: detach: group 1: no such group\n", self->err);
}

/*
 * B's pins outlive B, and B's own gc cannot run any more: gc in A removes
 * them once B is gone, and not while B lives, even with B's group dead.
 */
TEST_F_TIMEOUT(two_ns, gc_removes_the_pins_of_a_namespace_that_is_gone, 300)
{
	char dir_b[PATH_MAX], *p, *end, want[PATH_MAX];

	ASSERT_EQ(0, CTL_A("attach --pid %d", self->server_a)) TH_LOG("%s", self->err);
	ASSERT_EQ(0, CTL_B("attach --pid %d", self->server_b)) TH_LOG("%s", self->err);
	/* "... pinned at ROOT/netnsCOOKIE/1" */
	p = strstr(self->out, "pinned at ");
	ASSERT_NE(NULL, p) TH_LOG("%s", self->out);
	snprintf(dir_b, sizeof(dir_b), "%s", p + 10);
	end = strrchr(dir_b, '/');
	ASSERT_NE(NULL, end);
	*end = '\0';

	/* B's group dead, B alive: its own gc's to remove */
	kill(self->server_b, SIGKILL);
	waitpid(self->server_b, NULL, 0);
	self->server_b = 0;
	ASSERT_EQ(0, CTL_A("gc")) TH_LOG("%s", self->err);
	EXPECT_STREQ("", self->out);
	EXPECT_EQ(0, access(dir_b, F_OK));

	/* B gone: nothing holds it any more */
	kill(self->holder, SIGKILL);
	waitpid(self->holder, NULL, 0);
	self->holder = 0;
	ASSERT_EQ(0, CTL_A("gc")) TH_LOG("%s", self->err);
	snprintf(want, sizeof(want), "%s: group 1: removed (its network namespace is gone)\n",
		 strrchr(dir_b, '/') + 1);
	EXPECT_STREQ(want, self->out);
	EXPECT_NE(0, access(dir_b, F_OK)) TH_LOG("%s is still there", dir_b);
	/* A's live group stays */
	ASSERT_EQ(0, CTL_A("show -j"));
	EXPECT_NE(NULL, strstr(self->out, "\"sockets\":2,")) TH_LOG("%s", self->out);
}

TEST(ip_netns_exec_pins_are_found_again)
{
	char out[OUT_SZ], err[OUT_SZ], prefix[64];
	pid_t server;

	ASSERT_EQ(0, setup_namespaces());
	/* ip netns add mounts under /run/netns: keep that in this test */
	mkdir("/run/netns", 0755);
	ASSERT_EQ(0, mount("tmpfs", "/run/netns", "tmpfs", 0, "mode=0755"));
	ASSERT_EQ(0, system("ip netns add pcbg-test && "
			    "ip netns exec pcbg-test ip link set lo up"));
	snprintf(prefix, sizeof(prefix), "ip netns exec pcbg-test");
	server = start_echo_server(prefix, NULL, NULL, "-t udp -w 2 -p 8080");
	ASSERT_LT(0, server);
#define RUN(fmt, ...) run_cmd(out, sizeof(out), err, sizeof(err), \
			      "ip netns exec pcbg-test %s/pcbgroupctl " fmt, \
			      build_dir(), ##__VA_ARGS__)
	ASSERT_EQ(0, RUN("attach --pid %d", server)) TH_LOG("%s", err);
	EXPECT_NE(NULL, strstr(out, "group 1: udp 0.0.0.0:8080, 2 sockets")) TH_LOG("%s", out);
	/* a later command, in its own private mount namespace, finds it */
	ASSERT_EQ(0, RUN("show -j"));
	EXPECT_NE(NULL, strstr(out, "\"id\":1,")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"sockets\":2,")) TH_LOG("%s", out);
	/* so does one entering only the network namespace */
	ASSERT_EQ(0, run_cmd(out, sizeof(out), err, sizeof(err),
			     "nsenter --net=/run/netns/pcbg-test %s/pcbgroupctl show -j",
			     build_dir()));
	EXPECT_NE(NULL, strstr(out, "\"sockets\":2,")) TH_LOG("%s", out);
	/* this namespace has none of them */
	ASSERT_EQ(0, run_cmd(out, sizeof(out), err, sizeof(err), "%s/pcbgroupctl show -j",
			     build_dir()));
	EXPECT_STREQ("{\"groups\":[]}\n", out);
	EXPECT_EQ(0, RUN("detach 1")) TH_LOG("%s", err);
	EXPECT_STREQ("group 1: detached\n", out);
#undef RUN
	kill(server, SIGKILL);
	while (wait(NULL) > 0)
		;
	system("ip netns del pcbg-test");
}

TEST_HARNESS_MAIN
