// SPDX-License-Identifier: GPL-2.0
/*
 * pcbgroup.ko's knobs in /proc/sys/net/pcbgroup: each network namespace has
 * its own, with the defaults at creation; a bad write is refused with EINVAL
 * and keeps the old value; writing needs CAP_NET_ADMIN, reading does not.
 */
#include "modlib.h"

struct knob_case {
	const char *name;
	const char *deflt;	/* NULL: cpu_bits, checked apart */
	const char *good[3];
	const char *bad[4];
};

static const struct knob_case knobs[] = {
	{ "tcp_reuseport_ext", "1", { "0", "1" }, { "2", "-1", "x" } },
	{ "udp_reuseport_ext", "1", { "0", "1" }, { "2", "-1", "x" } },
	{ "algorithm", "hash-threshold", { "modulo", "cpu", "hash-threshold" },
	  { "random", "", "modulo2" } },
	{ "cpu_bits", "-1", { "0", "16", "-1" }, { "17", "-2", "x" } },
	{ "max_group_size", "4096", { "1", "32768", "4096" }, { "0", "32769", "-1" } },
	{ "stats", "1", { "0", "1" }, { "2", "-1" } },
	{ "hash_fields", "4tuple", { "2tuple", "4tuple" }, { "3tuple", "" } },
	{ "migrate", "1", { "0", "1" }, { "2", "-1" } },
	{ "flow_table", "0", { "1", "0" }, { "2", "-1", "x" } },
	{ "flow_timeout", "30", { "1", "86400", "30" }, { "0", "86401", "-1" } },
};

FIXTURE(knobs) {
	int dummy;
};

FIXTURE_SETUP(knobs)
{
	ASSERT_EQ(0, setup_namespaces());
}

FIXTURE_TEARDOWN(knobs)
{
}

TEST_F(knobs, defaults_in_a_new_namespace)
{
	char buf[64];
	size_t i;

	REQUIRE_MODULE();
	for (i = 0; i < ARRAY_SIZE(knobs); i++) {
		ASSERT_EQ(0, knob_read(knobs[i].name, buf, sizeof(buf)));
		EXPECT_STREQ(knobs[i].deflt, buf) TH_LOG("%s", knobs[i].name);
	}
}

TEST_F(knobs, good_values_stick_bad_ones_are_refused)
{
	char buf[64], before[64];
	size_t i, k;

	REQUIRE_MODULE();
	for (i = 0; i < ARRAY_SIZE(knobs); i++) {
		const struct knob_case *c = &knobs[i];

		for (k = 0; k < 3 && c->good[k]; k++) {
			EXPECT_EQ(0, knob_write(c->name, c->good[k]));
			ASSERT_EQ(0, knob_read(c->name, buf, sizeof(buf)));
			EXPECT_STREQ(c->good[k], buf) TH_LOG("%s", c->name);
		}
		ASSERT_EQ(0, knob_read(c->name, before, sizeof(before)));
		for (k = 0; k < 4 && c->bad[k]; k++) {
			EXPECT_EQ(-EINVAL, knob_write(c->name, c->bad[k]))
				TH_LOG("%s = '%s'", c->name, c->bad[k]);
			ASSERT_EQ(0, knob_read(c->name, buf, sizeof(buf)));
			EXPECT_STREQ(before, buf) TH_LOG("%s after '%s'", c->name, c->bad[k]);
		}
	}
}

/* A knob changed here is not changed in another namespace, new or old. */
TEST_F(knobs, namespaces_are_independent)
{
	int status, pfd[2];
	char buf[64];
	pid_t pid;

	REQUIRE_MODULE();
	ASSERT_EQ(0, knob_write("algorithm", "modulo"));
	ASSERT_EQ(0, knob_write("udp_reuseport_ext", "0"));
	ASSERT_EQ(0, pipe(pfd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char a[64] = "?", u[64] = "?";

		if (unshare(CLONE_NEWNET) == 0) {
			knob_read("algorithm", a, sizeof(a));
			knob_read("udp_reuseport_ext", u, sizeof(u));
			/* and a change there leaves ours alone */
			knob_write("algorithm", "hash-threshold");
		}
		dprintf(pfd[1], "%s %s", a, u);
		_exit(0);
	}
	close(pfd[1]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	buf[read(pfd[0], buf, sizeof(buf) - 1)] = '\0';
	EXPECT_STREQ("hash-threshold 1", buf);
	ASSERT_EQ(0, knob_read("algorithm", buf, sizeof(buf)));
	EXPECT_STREQ("modulo", buf);
}

/* Without CAP_NET_ADMIN: reads work, writes are refused. */
TEST_F(knobs, unprivileged_writes_are_refused)
{
	char buf[64];
	int status;
	pid_t pid;

	REQUIRE_MODULE();
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int err;

		if (setgid(65534) || setuid(65534))
			_exit(10);
		if (knob_read("algorithm", buf, sizeof(buf)))
			_exit(11);
		err = knob_write("algorithm", "modulo");
		_exit(err == -EACCES || err == -EPERM ? 0 : 12);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WEXITSTATUS(status));
	ASSERT_EQ(0, knob_read("algorithm", buf, sizeof(buf)));
	EXPECT_STREQ("hash-threshold", buf);
}

TEST_HARNESS_MAIN
