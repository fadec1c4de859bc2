// SPDX-License-Identifier: GPL-2.0
/*
 * pcbgroup.ko in no-map mode (loaded with maps=0, or built without
 * bpf_map_get): the module holds no map, /proc/net/pcbgroup/knobs says what
 * the knobs are and wakes its pollers on a write, and the tools carry the
 * knobs into the groups and the counters into the tables.  Skipped unless
 * the module is loaded in that mode.
 *
 *   netns (fresh for each test)
 *     4 UDP sockets on 127.0.0.1:8080 = group 1, pinned, registered
 *     pcbgroupd -c DIR (no declaration), in the tests that want it
 */
#include <poll.h>
#include <signal.h>
#include <time.h>
#include <sys/prctl.h>
#include "modlib.h"

#define KNOBS	PROC_DIR "/" PCBG_PROC_KNOBS

#define REQUIRE_NOMAP() do { \
	if (access(KNOBS, F_OK)) \
		SKIP(return, "pcbgroup.ko is not loaded in no-map mode"); \
} while (0)

/* The value of @name in the knobs file (the "seq" line too), or "". */
static const char *knobs_value(const char *name)
{
	static char buf[4096], value[64];
	char *line, *save;
	size_t len = strlen(name);

	value[0] = '\0';
	if (proc_table(PCBG_PROC_KNOBS, buf, sizeof(buf)) < 0)
		return value;
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (!strncmp(line, name, len) && line[len] == ' ')
			snprintf(value, sizeof(value), "%s", line + len + 1);
	return value;
}

/* Wait up to 10 s for the group's config to hold @algorithm: ms, or -1. */
static int wait_algorithm(struct pcbg_group *grp, __u32 algorithm)
{
	struct pcbg_config cfg = {};
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 10000; i++) {
		if (!pcbg_group_config(grp, &cfg) && cfg.algorithm == algorithm) {
			clock_gettime(CLOCK_MONOTONIC, &t);
			return (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
		}
		usleep(1000);
	}
	return -1;
}

/* Wait up to 15 s (3 of the daemon's reports) for the row to match. */
static int wait_row(struct groups_row *row, unsigned long long selected,
		    const char *state)
{
	for (int i = 0; i < 150; i++) {
		if (groups_rows(row, 1) == 1 && row->selected == selected &&
		    !strcmp(row->state, state))
			return 0;
		usleep(100000);
	}
	return -1;
}

FIXTURE(nomap) {
	struct pinned_group pg;
	char dir[64];
	pid_t daemon;
	int receiver[64];
};

FIXTURE_SETUP(nomap)
{
	ASSERT_EQ(0, setup_namespaces());
	if (access(KNOBS, F_OK))
		return;
	ASSERT_EQ(0, knob_write("algorithm", "hash-threshold"));
	ASSERT_EQ(0, make_pinned_group(&self->pg, AF_INET, SOCK_DGRAM, 1));
	strcpy(self->dir, "/tmp/pcbg-nomap.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
}

FIXTURE_TEARDOWN(nomap)
{
	if (self->daemon > 0) {
		kill(self->daemon, SIGTERM);
		waitpid(self->daemon, NULL, 0);
	}
	if (self->dir[0])
		rmdir(self->dir);
	pcbg_group_free(self->pg.grp);
}

/* pcbgroupd with no declaration: it carries for every group of the netns. */
static pid_t start_daemon(const char *conf_dir)
{
	char path[PATH_MAX + 16];
	pid_t pid = fork();

	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		/* not the test's sockets: they must close when the test closes them */
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
		snprintf(path, sizeof(path), "%s/pcbgroupd", build_dir());
		execl(path, "pcbgroupd", "-c", conf_dir, "-i", "100",
		      (char *)NULL);
		_exit(127);
	}
	return pid;
}

TEST_F(nomap, knobs_file_follows_the_sysctls)
{
	unsigned long long seq;
	char want[16];

	REQUIRE_NOMAP();
	seq = strtoull(knobs_value("seq"), NULL, 10);
	EXPECT_STREQ("hash-threshold", knobs_value("algorithm"));
	ASSERT_EQ(0, knob_write("algorithm", "maglev"));
	ASSERT_EQ(0, knob_write("flow_timeout", "7"));
	EXPECT_EQ(seq + 2, strtoull(knobs_value("seq"), NULL, 10));
	EXPECT_STREQ("maglev", knobs_value("algorithm"));
	EXPECT_STREQ("7", knobs_value("flow_timeout"));
	/* a refused write is not counted */
	EXPECT_EQ(-EINVAL, knob_write("algorithm", "random"));
	EXPECT_EQ(seq + 2, strtoull(knobs_value("seq"), NULL, 10));
	/* cpu_bits "auto" as the config holds it */
	ASSERT_EQ(0, knob_write("cpu_bits", "-1"));
	snprintf(want, sizeof(want), "%d", pcbg_cpu_bits_auto());
	EXPECT_STREQ(want, knobs_value("cpu_bits"));
}

TEST_F(nomap, poll_wakes_on_a_knob_write)
{
	struct pollfd pfd = { .events = POLLPRI };
	char buf[1024];
	pid_t pid;

	REQUIRE_NOMAP();
	pfd.fd = open(KNOBS, O_RDONLY);
	ASSERT_LE(0, pfd.fd);
	ASSERT_LT(0, read(pfd.fd, buf, sizeof(buf)));
	EXPECT_EQ(0, poll(&pfd, 1, 0)) TH_LOG("nothing written since the read");
	/* a write from elsewhere, while this one waits */
	pid = fork();
	if (pid == 0) {
		usleep(200000);
		_exit(knob_write("stats", "0") ? 1 : 0);
	}
	EXPECT_EQ(1, poll(&pfd, 1, 10000));
	EXPECT_TRUE(pfd.revents & POLLPRI);
	waitpid(pid, NULL, 0);
	/* read from the start again: seen */
	ASSERT_EQ(0, lseek(pfd.fd, 0, SEEK_SET));
	ASSERT_LT(0, read(pfd.fd, buf, sizeof(buf)));
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	close(pfd.fd);
}

/* The module takes no map; registration by the tools still works. */
TEST_F(nomap, maps_are_refused_and_registration_carries_the_knobs)
{
	struct pcbg_group_info info;
	struct groups_row row;
	struct hand_maps m;
	struct pcbg_config cfg;
	char err[512];

	REQUIRE_NOMAP();
	ASSERT_EQ(0, make_maps(&m, -1));
	EXPECT_EQ(-EOPNOTSUPP, register_maps(&m, PCBG_ABI_VERSION, 0));
	close_maps(&m);

	/* the fixture's registration copied the knobs and reported the group */
	ASSERT_EQ(1, groups_rows(&row, 1));
	EXPECT_EQ(1, row.id);
	ASSERT_EQ(0, pcbg_group_info(self->pg.grp, &info));
	EXPECT_EQ(1, info.reg_id);	/* kept, for the unregistration at unpin */
	EXPECT_STREQ("udp", row.proto);
	EXPECT_STREQ("127.0.0.1:8080", row.local);
	EXPECT_EQ(4, row.sockets);
	EXPECT_STREQ("hash-threshold", row.algorithm);
	EXPECT_STREQ("live", row.state);

	/* with no daemon a write reaches the group at the next registration */
	ASSERT_EQ(0, knob_write("algorithm", "modulo"));
	ASSERT_EQ(0, pcbg_group_config(self->pg.grp, &cfg));
	EXPECT_EQ(PCBG_ALGO_HASH_THRESHOLD, cfg.algorithm);
	EXPECT_EQ(0, run_cmd(NULL, 0, err, sizeof(err), "%s/pcbgroupctl register --all",
			     build_dir())) TH_LOG("%s", err);
	ASSERT_EQ(0, pcbg_group_config(self->pg.grp, &cfg));
	EXPECT_EQ(PCBG_ALGO_MODULO, cfg.algorithm);
	ASSERT_EQ(1, groups_rows(&row, 1));
	EXPECT_STREQ("modulo", row.algorithm);

	/* sysctls stay the one source: pcbgroupctl set still points there */
	EXPECT_EQ(1, run_cmd(NULL, 0, err, sizeof(err), "%s/pcbgroupctl set algorithm=cpu",
			     build_dir()));
	EXPECT_NE(NULL, strstr(err, "use sysctl -w net.pcbgroup.KNOB=VALUE")) TH_LOG("%s", err);
}

/*
 * pcbgroupd carries a knob write into the group and the counters into the
 * table; a group with no socket left shows dead in both the table and
 * pcbgroupctl show, and gc takes it out of both.
 */
TEST_F_TIMEOUT(nomap, daemon_carries_knobs_and_counters, 120)
{
	char out[8192];
	struct groups_row row;
	int i, ms, ms2;

	REQUIRE_NOMAP();
	self->daemon = start_daemon(self->dir);
	ASSERT_LT(0, self->daemon);
	ASSERT_EQ(0, knob_write("algorithm", "maglev"));
	ms = wait_algorithm(self->pg.grp, PCBG_ALGO_MAGLEV);
	EXPECT_LE(0, ms);
	ASSERT_EQ(0, knob_write("algorithm", "modulo"));
	ms2 = wait_algorithm(self->pg.grp, PCBG_ALGO_MODULO);
	EXPECT_LE(0, ms2);
	/* not a timed assertion: what the docs quote, seen in the log */
	TH_LOG("a knob write reached the group %d ms and %d ms later", ms, ms2);

	ASSERT_EQ(20, run_flows(AF_INET, SOCK_DGRAM, SERVER_PORT, self->pg.fds, self->pg.ep,
				0, 20, self->receiver));
	EXPECT_EQ(0, wait_row(&row, 20, "live")) TH_LOG("selected %llu", row.selected);
	EXPECT_STREQ("modulo", row.algorithm);
	EXPECT_EQ(4, row.sockets);

	for (i = 0; i < 4; i++)
		close(self->pg.fds[i]);
	EXPECT_EQ(0, wait_row(&row, 20, "dead")) TH_LOG("state %s", row.state);
	EXPECT_EQ(0, row.sockets);
	ASSERT_EQ(0, run_cmd(out, sizeof(out), NULL, 0, "%s/pcbgroupctl show | "
			     "awk 'NF == 0 { exit } $1 == 1 { print $4, $10 }'", build_dir()));
	EXPECT_STREQ("0 dead\n", out);
	ASSERT_EQ(0, run_cmd(NULL, 0, NULL, 0, "%s/pcbgroupctl gc", build_dir()));
	EXPECT_EQ(0, groups_rows(&row, 1));
}

TEST_HARNESS_MAIN
