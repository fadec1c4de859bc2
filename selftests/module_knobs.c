// SPDX-License-Identifier: GPL-2.0
/*
 * pcbgroup.ko's knobs in /proc/sys/net/pcbgroup: each network namespace has
 * its own, with the defaults at creation; a bad write is refused with EINVAL
 * and keeps the old value; writing needs CAP_NET_ADMIN, reading does not.
 */
#include "modlib.h"
#include "knobs.h"

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

/* The table's defaults, bounds and names: include/uapi/pcbgroup.h. */
TEST_F(knobs, defaults_in_a_new_namespace)
{
	char buf[64], d[16];
	size_t i;

	REQUIRE_MODULE();
	for (i = 0; i < KNOBS_NR; i++) {
		ASSERT_EQ(0, knob_read(knobs[i].name, buf, sizeof(buf)));
		EXPECT_STREQ(knob_value(&knobs[i], knobs[i].def, d, sizeof(d)), buf)
			TH_LOG("%s", knobs[i].name);
	}
}

/*
 * Each bound, every name and the default stick; one past each bound, a
 * word and (for a name) nothing are refused, and the value stays.
 */
TEST_F(knobs, good_values_stick_bad_ones_are_refused)
{
	char buf[64], before[64], d[16], lo[16], hi[16];
	size_t i, j;
	int v;

	REQUIRE_MODULE();
	for (i = 0; i < KNOBS_NR; i++) {
		const struct knob *k = &knobs[i];
		const char *const bad[] = { knob_value(k, k->min - 1, lo, sizeof(lo)),
				      knob_value(k, k->max + 1, hi, sizeof(hi)),
				      "x", k->kind == PCBG_KNOB_NAME ? "" : "-" };

		for (v = k->min; v <= k->max + 1; v++) {
			const char *val;

			if (k->kind == PCBG_KNOB_INT && v > k->min && v < k->max)
				v = k->max;	/* min, max, then the default */
			val = knob_value(k, v > k->max ? k->def : v, d, sizeof(d));
			EXPECT_EQ(0, knob_write(k->name, val));
			ASSERT_EQ(0, knob_read(k->name, buf, sizeof(buf)));
			EXPECT_STREQ(val, buf) TH_LOG("%s", k->name);
		}
		ASSERT_EQ(0, knob_read(k->name, before, sizeof(before)));
		for (j = 0; j < ARRAY_SIZE(bad); j++) {
			EXPECT_EQ(-EINVAL, knob_write(k->name, bad[j]))
				TH_LOG("%s = '%s'", k->name, bad[j]);
			ASSERT_EQ(0, knob_read(k->name, buf, sizeof(buf)));
			EXPECT_STREQ(before, buf) TH_LOG("%s after '%s'", k->name, bad[j]);
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
