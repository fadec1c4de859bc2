// SPDX-License-Identifier: GPL-2.0
/*
 * pcbgroup.ko's unload promise, in the mode it is loaded in: rmmod succeeds
 * while unprivileged processes hold every one of its files open, three of
 * them asleep on the knobs file (no-map mode) in poll(), select() and
 * epoll_wait(); then each holder's next read fails cleanly, the sleepers
 * are back, the kernel log has no new warning, the traffic went on, and
 * the module loads again in the same mode.  Needs PCBG_KO.
 *
 *   netns (fresh): 4 UDP sockets on 127.0.0.1:8080 = group 1, pinned,
 *                  registered; flows before and after rmmod
 *   holders, each a process of nobody's: /proc/net/pcbgroup/{groups,
 *     sockets,cpus,control,knobs}, /proc/sys/net/pcbgroup/algorithm, and
 *     the knobs file's sleepers
 */
#include <grp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/poll.h>
#include <sys/prctl.h>
#include <sys/select.h>
#include "modlib.h"

#define NOBODY		65534
#define MAX_HOLDERS	16

/* How a holder waits for rmmod. */
enum wait_kind { HOLD, POLL, SELECT, EPOLL };

struct holder {
	const char *path;
	enum wait_kind how;
	pid_t pid;
	int go;		/* write end: go on after rmmod */
	int result;	/* read end: the holder's report */
};

FIXTURE(unload) {
	struct pinned_group pg;
	struct holder h[MAX_HOLDERS];
	int n;
	int nomap;
};

/* The mode pcbgroup.ko is loaded in: 1 no-map, 0 maps, -1 not loaded. */
static int loaded_nomap(void)
{
	char buf[8] = "";
	int fd = open("/sys/module/pcbgroup/parameters/maps", O_RDONLY);

	if (fd < 0)
		return -1;
	if (read(fd, buf, sizeof(buf) - 1) < 1)
		buf[0] = '?';
	close(fd);
	return buf[0] == 'N';
}

#define REQUIRE_KO() do { \
	if (!getenv("PCBG_KO") || access(getenv("PCBG_KO"), R_OK)) \
		SKIP(return, "PCBG_KO does not name a built pcbgroup.ko"); \
	REQUIRE_MODULE(); \
} while (0)

static int become_nobody(void)
{
	if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
	    setresuid(NOBODY, NOBODY, NOBODY))
		return -errno;
	return 0;
}

/* Sleep in the call @how names on @fd until rmmod or @go; the events seen. */
static int sleep_on(int fd, enum wait_kind how, int go)
{
	struct epoll_event ev = { .events = EPOLLPRI };
	struct pollfd pfd = { .fd = fd, .events = POLLPRI };
	fd_set ex;
	int ep, n;

	switch (how) {
	case POLL:
		return poll(&pfd, 1, -1) == 1 ? pfd.revents : -errno;
	case SELECT:
		FD_ZERO(&ex);
		FD_SET(fd, &ex);
		n = select(fd + 1, NULL, NULL, &ex, NULL);
		return n == 1 && FD_ISSET(fd, &ex) ? POLLPRI : -errno;
	case EPOLL:
		/*
		 * Woken or not (a detached epoll item reports nothing), it
		 * stays until @go; the close then must find nothing freed.
		 */
		ep = epoll_create1(0);
		if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev))
			return -errno;
		ev.events = EPOLLIN;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, go, &ev))
			return -errno;
		n = epoll_wait(ep, &ev, 1, -1);
		close(ep);
		return n < 0 ? -errno : 0;
	case HOLD:
		break;
	}
	return 0;
}

/*
 * A holder: opens @path (control as root, which only CAP_NET_ADMIN may
 * open), becomes nobody, reads it once, says "ready", sleeps as @how says,
 * then after "go" reads again.  Reports "WOKE READ" through its pipe:
 * what the sleep returned, and 0 or the errno of the second read.
 */
static int start_holder(struct holder *h)
{
	int go[2], res[2], fd, woke;
	char c, buf[4096];

	if (pipe(go) || pipe(res))
		return -errno;
	h->pid = fork();
	if (h->pid < 0)
		return -errno;
	if (h->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(go[1]);
		close(res[0]);
		fd = strstr(h->path, "/control") ? open(h->path, O_RDONLY) : -1;
		if (become_nobody())
			_exit(1);
		if (fd < 0)
			fd = open(h->path, O_RDONLY);
		if (fd < 0 || (!strstr(h->path, "/control") && read(fd, buf, sizeof(buf)) < 0))
			_exit(2);
		if (write(res[1], "r", 1) != 1)
			_exit(3);
		woke = sleep_on(fd, h->how, go[0]);
		if (read(go[0], &c, 1) != 1)
			_exit(4);
		lseek(fd, 0, SEEK_SET);
		dprintf(res[1], "%d %d\n", woke, read(fd, buf, sizeof(buf)) < 0 ? errno : 0);
		_exit(0);
	}
	close(go[0]);
	close(res[1]);
	h->go = go[1];
	h->result = res[0];
	/* opened and read once */
	return read(h->result, &c, 1) == 1 ? 0 : -EIO;
}

/* Wait up to 10 s for @pid to sleep in a poll(), select() or epoll call. */
static int asleep_in_poll(pid_t pid)
{
	/* x86_64: poll, select, epoll_wait, pselect6, ppoll, epoll_pwait(2) */
	static const long nrs[] = { 7, 23, 232, 270, 271, 281, 441 };
	char path[64], buf[64];
	long nr;
	int i, k, fd, n;

	snprintf(path, sizeof(path), "/proc/%d/syscall", pid);
	for (i = 0; i < 1000; i++) {
		fd = open(path, O_RDONLY);
		n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
		if (fd >= 0)
			close(fd);
		if (n > 0) {
			buf[n] = '\0';
			nr = strtol(buf, NULL, 10);
			for (k = 0; k < (int)ARRAY_SIZE(nrs); k++)
				if (nr == nrs[k])
					return 0;
		}
		usleep(10000);
	}
	return -1;
}

/* Lines of the kernel log that say something went wrong. */
static int kernel_complaints(void)
{
	return run_cmd(NULL, 0, NULL, 0, "exit $(dmesg | grep -v 'module verification failed' | "
		       "grep -cE 'WARNING|BUG|Oops|pcbgroup.*(error|fail)')");
}

FIXTURE_SETUP(unload)
{
	static const char *const files[] = {
		PROC_DIR "/groups", PROC_DIR "/sockets", PROC_DIR "/cpus",
		PROC_DIR "/" PCBG_PROC_CONTROL, SYSCTL_DIR "/algorithm",
	};
	int i;

	ASSERT_EQ(0, setup_namespaces());
	if (loaded_nomap() < 0 || !getenv("PCBG_KO"))
		return;
	self->nomap = loaded_nomap();
	ASSERT_EQ(0, make_pinned_group(&self->pg, AF_INET, SOCK_DGRAM, 1));
	for (i = 0; i < (int)ARRAY_SIZE(files); i++)
		self->h[self->n++] = (struct holder){ .path = files[i], .how = HOLD };
	if (self->nomap) {
		self->h[self->n++] = (struct holder){ PROC_DIR "/" PCBG_PROC_KNOBS, HOLD };
		self->h[self->n++] = (struct holder){ PROC_DIR "/" PCBG_PROC_KNOBS, POLL };
		self->h[self->n++] = (struct holder){ PROC_DIR "/" PCBG_PROC_KNOBS, SELECT };
		self->h[self->n++] = (struct holder){ PROC_DIR "/" PCBG_PROC_KNOBS, EPOLL };
	}
}

FIXTURE_TEARDOWN(unload)
{
	int i;

	for (i = 0; i < self->n; i++) {
		if (self->h[i].pid > 0) {
			kill(self->h[i].pid, SIGKILL);
			waitpid(self->h[i].pid, NULL, 0);
		}
	}
	if (self->pg.grp)
		pcbg_group_free(self->pg.grp);
}

TEST_F_TIMEOUT(unload, rmmod_succeeds_while_nobody_holds_every_file, 180)
{
	const char *ko = getenv("PCBG_KO");
	__u64 before[PCBG_STAT_NR], after[PCBG_STAT_NR];
	int receiver[256], complaints, i, got, woke, err;
	char out[512], line[64];
	struct groups_row row;
	FILE *f;

	REQUIRE_KO();
	complaints = kernel_complaints();
	for (i = 0; i < self->n; i++) {
		ASSERT_EQ(0, start_holder(&self->h[i])) TH_LOG("%s", self->h[i].path);
		if (self->h[i].how != HOLD)
			ASSERT_EQ(0, asleep_in_poll(self->h[i].pid)) TH_LOG("%s", self->h[i].path);
	}
	ASSERT_EQ(64, run_flows(AF_INET, SOCK_DGRAM, SERVER_PORT, self->pg.fds, self->pg.ep,
				0, 64, receiver));
	ASSERT_EQ(0, pcbg_group_stats(self->pg.grp, before));

	/* bounded: a refusal or a hang fails here rather than stopping the suite */
	ASSERT_EQ(0, run_cmd(out, sizeof(out), out, sizeof(out),
			     "timeout 60 rmmod pcbgroup")) TH_LOG("%s", out);
	EXPECT_NE(0, access(SYSCTL_DIR, F_OK));
	EXPECT_NE(0, access(PROC_DIR, F_OK));

	/* each holder: its sleep ended with an event, its next read fails */
	for (i = 0; i < self->n; i++) {
		struct holder *h = &self->h[i];

		ASSERT_EQ(1, write(h->go, "g", 1));
		f = fdopen(h->result, "r");
		ASSERT_NE(NULL, f);
		ASSERT_NE(NULL, fgets(line, sizeof(line), f)) TH_LOG("%s: no report", h->path);
		fclose(f);
		got = sscanf(line, "%d %d", &woke, &err);
		ASSERT_EQ(2, got);
		if (h->how == POLL || h->how == SELECT)
			EXPECT_TRUE(woke > 0 && (woke & (POLLPRI | POLLHUP | POLLERR)))
				TH_LOG("%s: the sleeper got %d", h->path, woke);
		/* -EIO from procfs; a sysctl's table is gone: -ENOENT */
		EXPECT_TRUE(err == EIO || err == ENOENT)
			TH_LOG("%s: the read after rmmod: %s", h->path, strerror(err));
		close(h->go);
		waitpid(h->pid, NULL, 0);
		h->pid = 0;
	}

	/* the traffic went on: the program, not the module, picks */
	ASSERT_EQ(64, run_flows(AF_INET, SOCK_DGRAM, SERVER_PORT, self->pg.fds, self->pg.ep,
				64, 64, receiver));
	ASSERT_EQ(0, pcbg_group_stats(self->pg.grp, after));
	EXPECT_EQ(64, after[PCBG_STAT_SELECTED] - before[PCBG_STAT_SELECTED]);
	EXPECT_EQ(complaints, kernel_complaints()) TH_LOG("new warnings in the kernel log");

	/* it loads again, in the same mode, and takes the group back */
	ASSERT_EQ(0, run_cmd(NULL, 0, out, sizeof(out), "insmod %s maps=%d", ko,
			     !self->nomap)) TH_LOG("%s", out);
	EXPECT_EQ(self->nomap, loaded_nomap());
	EXPECT_EQ(self->nomap, !access(PROC_DIR "/" PCBG_PROC_KNOBS, F_OK));
	EXPECT_EQ(0, run_cmd(NULL, 0, out, sizeof(out), "%s/pcbgroupctl register --all",
			     build_dir())) TH_LOG("%s", out);
	ASSERT_EQ(1, groups_rows(&row, 1));
	EXPECT_STREQ("live", row.state);
}

TEST_HARNESS_MAIN
