// SPDX-License-Identifier: GPL-2.0
/*
 * What pcbgroupctl says when it refuses: one line, "pcbgroupctl: ...",
 * whatever the input; a user who may not see the groups is told so rather
 * than shown empty tables; a damaged group is named with what is damaged.
 */
#include "lib.h"
#include <pwd.h>
#include <signal.h>

#define OUT_SZ	8192

FIXTURE(msg) {
	char out[OUT_SZ];
	char err[OUT_SZ];
};

FIXTURE_SETUP(msg)
{
	ASSERT_EQ(0, setup_namespaces());
}

FIXTURE_TEARDOWN(msg)
{
}

#define CTL(fmt, ...) \
	run_cmd(self->out, OUT_SZ, self->err, OUT_SZ, "%s/pcbgroupctl " fmt, \
		build_dir(), ##__VA_ARGS__)

TEST_F(msg, bad_options_get_one_line)
{
	EXPECT_EQ(2, CTL("-x show"));
	EXPECT_STREQ("pcbgroupctl: -x: no such option (see pcbgroupctl -h)\n", self->err);
	EXPECT_STREQ("", self->out);
	EXPECT_EQ(2, CTL("--frobnicate"));
	EXPECT_STREQ("pcbgroupctl: --frobnicate: no such option (see pcbgroupctl -h)\n",
		     self->err);
	EXPECT_EQ(2, CTL(""));
	EXPECT_STREQ("pcbgroupctl: a COMMAND is required (see pcbgroupctl -h)\n", self->err);
	EXPECT_EQ(2, CTL("show --bogus"));
	EXPECT_STREQ("pcbgroupctl: show: --bogus: no such option (see pcbgroupctl -h)\n",
		     self->err);
	EXPECT_EQ(2, CTL("show -z"));
	EXPECT_STREQ("pcbgroupctl: show: -z: no such option (see pcbgroupctl -h)\n", self->err);
	EXPECT_EQ(2, CTL("set --group"));
	EXPECT_STREQ("pcbgroupctl: set: --group: needs a value (see pcbgroupctl -h)\n",
		     self->err);
	EXPECT_EQ(2, CTL("detach --all=1"));
	EXPECT_STREQ("pcbgroupctl: detach: --all=1: takes no value (see pcbgroupctl -h)\n",
		     self->err);
}

TEST_F(msg, values_are_echoed_escaped)
{
	EXPECT_EQ(1, CTL("set \"$(printf 'algorithm=x\\ny')\""));
	EXPECT_STREQ("pcbgroupctl: set: algorithm: invalid value 'x\\ny'\n", self->err);
	EXPECT_EQ(1, CTL("set $(printf 'colour\\033[31m=1')"));
	EXPECT_STREQ("pcbgroupctl: set: colour\\x1b[31m: no such knob\n", self->err);
	EXPECT_EQ(2, CTL("\"$(printf 'sh\\now')\""));
	EXPECT_STREQ("pcbgroupctl: sh\\now: no such command (see pcbgroupctl -h)\n", self->err);
}

/* As nobody: the pin root cannot be read, and show says so. */
TEST_F(msg, unprivileged_show_says_permission_denied)
{
	struct passwd *nobody = getpwnam("nobody");
	uid_t uid = nobody ? nobody->pw_uid : 65534;
	char cmd[PATH_MAX + 64];
	int status;
	pid_t pid;

	ASSERT_EQ(0, mkdir(PCBG_PIN_ROOT, 0700));
	snprintf(cmd, sizeof(cmd), "%s/pcbgroupctl show", build_dir());
	pid = fork();
	if (pid == 0) {
		if (setgid(uid) || setuid(uid))
			_exit(99);
		_exit(run_cmd(self->out, OUT_SZ, self->err, OUT_SZ, "%s", cmd) == 1 &&
		      !strncmp(self->err, "pcbgroupctl: show: " PCBG_PIN_ROOT,
			       strlen("pcbgroupctl: show: " PCBG_PIN_ROOT)) &&
		      strstr(self->err, ": Permission denied\n") &&
		      !strchr(self->err, '\n')[1] && !self->out[0] ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("as uid %u: %s %d", uid, "exit", WEXITSTATUS(status));
	/* root sees no group, and no error */
	EXPECT_EQ(0, CTL("show -j"));
	EXPECT_STREQ("{\"groups\":[]}\n", self->out);
}

/* A group directory with no pin in it: damaged, and detach removes it. */
TEST_F(msg, empty_group_directory_is_damaged_and_detachable)
{
	char dir[PATH_MAX];

	ASSERT_EQ(0, mkdir(PCBG_PIN_ROOT, 0700));
	ASSERT_EQ(0, mkdir(netns_pin_root(), 0700));
	group_pin_dir(dir, sizeof(dir), 4);
	ASSERT_EQ(0, mkdir(dir, 0700));
	EXPECT_EQ(1, CTL("show 4"));
	EXPECT_STREQ("pcbgroupctl: show: group 4: damaged: prog: missing\n", self->err);
	EXPECT_EQ(1, CTL("drain 4 0"));
	EXPECT_STREQ("pcbgroupctl: drain: group 4: damaged: prog: missing\n", self->err);
	EXPECT_EQ(0, CTL("detach --all"));
	EXPECT_STREQ("group 4: detached (damaged: prog: missing; "
		     "no socket of it found to take its program off)\n", self->out);
	EXPECT_NE(0, access(dir, F_OK));
	EXPECT_EQ(1, CTL("detach 4"));
	EXPECT_STREQ("pcbgroupctl: detach: group 4: no such group\n", self->err);
}

TEST_HARNESS_MAIN
