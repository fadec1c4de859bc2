// SPDX-License-Identifier: GPL-2.0
/*
 * Least-loaded by connections in service, with pcbgroupd's hooks: a sync
 * worker busy on a slow request has an empty accept queue but owns one
 * connection, which the hooks count (pcbg_slot_load.conns); no new
 * connection goes to it while another worker is idle, and each slot's
 * count goes back to 0 once the server closed its connections.  A group
 * counted so is not sampled.
 *
 *     this test (own netns, bpffs, tmpfs on /run/pcbgroupd)
 *       |-- pcbg_connsrv -t tcp -s -w 4   (echo_server: 4 sync workers,
 *       |                                   a listener each, tcp :8080)
 *       |-- pcbgroupd -c DIR   (algorithm = least-loaded; hooks at the
 *       |                       cgroup v2 root)
 *       `-- connections to 127.0.0.1:8080, "S <us>" holds a worker
 */
#include "daemon.h"

#include <poll.h>
#include <sys/mount.h>

#define WORKERS		4
#define FAST		32	/* connections sent while one worker is blocked */
#define SLOW_US		8000000	/* the blocked worker's request: 8 s */
#define SETTLE_MS	60000	/* for the daemon and the counts (TCG guests) */
#define ANSWER_MS	3000	/* an idle worker answers at once */
#define HELD		6	/* connections held at once, more than the workers */
#define HOLD_US		1000000

/*
 * The servers run under a name of their own: other tests' daemons on the
 * host look at every process called echo_server, in every namespace.
 */
#define CONN_SERVER	"pcbg_connsrv"

FIXTURE(conns) {
	char dir[32];
	pid_t daemon, server;
	struct pcbg_group *grp;
};

/* A line of file @path that @match()es @arg, within SETTLE_MS; 0, or -1. */
static int until_line(const char *path, int (*match)(const char *line, const void *arg),
		      const void *arg)
{
	long long t0 = now_ms();
	char line[512];
	FILE *f;

	do {
		f = fopen(path, "r");
		while (f && fgets(line, sizeof(line), f)) {
			if (match(line, arg)) {
				fclose(f);
				return 0;
			}
		}
		if (f)
			fclose(f);
		usleep(20 * 1000);
	} while (now_ms() - t0 < SETTLE_MS);
	return -1;
}

static int holds(const char *line, const void *needle)
{
	return !!strstr(line, needle);
}

/* A line of the daemon's log holds @needle within SETTLE_MS; 0, or -1. */
static int logged(const char *dir, const char *needle)
{
	char log[64];

	snprintf(log, sizeof(log), "%s/daemon.log", dir);
	return until_line(log, holds, needle);
}

/* The daemon's log on the test's output, when something it does failed. */
static void show_log(const char *dir)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "sed 's/^/# daemon: /' %s/daemon.log", dir);
	system(cmd);
}

/* Group 1 with WORKERS live sockets, opened from its pins, or NULL. */
static struct pcbg_group *open_group(void)
{
	struct pcbg_group_info info;
	struct pcbg_group *grp;
	char dir[PATH_MAX];
	__u32 slot, live = 0;

	group_pin_dir(dir, sizeof(dir), 1);
	if (pcbg_group_open_pinned(&grp, dir))
		return NULL;
	for (slot = 0; !pcbg_group_info(grp, &info) && slot < info.nr_slots; slot++)
		live += pcbg_group_slot_live(grp, slot) == 1;
	if (live == WORKERS)
		return grp;
	pcbg_group_free(grp);
	return NULL;
}

/* Until @dir/@name is written again; 0, or -1 after SETTLE_MS. */
static int until_rewritten(const char *dir, const char *name)
{
	struct timespec now;
	char path[PATH_MAX];
	struct stat st;
	long long t0 = now_ms();

	/* the clock file times are taken from */
	clock_gettime(CLOCK_REALTIME_COARSE, &now);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	do {
		if (!stat(path, &st) &&
		    (st.st_mtim.tv_sec > now.tv_sec ||
		     (st.st_mtim.tv_sec == now.tv_sec && st.st_mtim.tv_nsec > now.tv_nsec)))
			return 0;
		usleep(20 * 1000);
	} while (now_ms() - t0 < SETTLE_MS);
	return -1;
}

/* Each slot's connections into @conns (WORKERS of them); their sum. */
static int read_conns(struct pcbg_group *grp, __u32 *conns)
{
	struct pcbg_slot_load load;
	int slot, sum = 0;

	for (slot = 0; slot < WORKERS; slot++) {
		if (pcbg_group_slot_load(grp, slot, &load))
			return -1;
		conns[slot] = load.conns;
		sum += load.conns;
	}
	return sum;
}

/* Until the slots' connections sum to @want; 0, or -1 after SETTLE_MS. */
static int until_conns(struct pcbg_group *grp, int want)
{
	long long t0 = now_ms();
	__u32 conns[WORKERS];

	do {
		if (read_conns(grp, conns) == want)
			return 0;
		usleep(2 * 1000);
	} while (now_ms() - t0 < SETTLE_MS);
	return -1;
}

/* A connection to the server with @msg sent; its fd, or -1. */
static int request(const char *msg)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(SERVER_PORT),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    send(fd, msg, strlen(msg), MSG_NOSIGNAL) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The answering worker's number within @ms, or -1. */
static int answer(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char buf[64];
	int n, k = -1;

	if (poll(&p, 1, ms) != 1)
		return -1;
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return sscanf(buf, "worker=%d", &k) == 1 ? k : -1;
}

/* What `pcbgroupctl show -j 1` says of @slot's conns, or -1. */
static long long shown_conns(int slot)
{
	static char out[65536];
	char needle[32];
	const char *p;

	if (run_cmd(out, sizeof(out), NULL, 0, "%s/pcbgroupctl show -j 1", build_dir()))
		return -1;
	snprintf(needle, sizeof(needle), "{\"slot\":%d,", slot);
	p = strstr(out, needle);
	return p ? json_num(p, "\"conns\":") : -1;
}

/* A pcbgroup_slot_conns line that ends as @tail does. */
static int conns_line(const char *line, const void *tail)
{
	size_t ll = strlen(line), lt = strlen(tail);

	return !strncmp(line, "pcbgroup_slot_conns{", 20) && ll > lt &&
	       !strcmp(line + ll - lt, tail);
}

/* The daemon's metrics (written every second) show @slot with @conns; 0, or -1. */
static int exported_conns(const char *dir, int slot, int conns)
{
	char path[64], tail[32];

	snprintf(path, sizeof(path), "%s/pcbgroup.prom", dir);
	snprintf(tail, sizeof(tail), ",slot=\"%d\"} %d\n", slot, conns);
	return until_line(path, conns_line, tail);
}

FIXTURE_SETUP(conns)
{
	char link[PATH_MAX + 32];
	int k;

	snprintf(link, sizeof(link), "%s/" CONN_SERVER, build_dir());
	ASSERT_TRUE(!symlink("echo_server", link) || errno == EEXIST);
	echo_server_name = CONN_SERVER;
	ASSERT_EQ(0, setup_namespaces());
	mkdir(PCBGD_RUN_DIR, 0755);
	ASSERT_EQ(0, mount("tmpfs", PCBGD_RUN_DIR, "tmpfs", 0, "mode=0755"));
	strcpy(self->dir, "/tmp/pcbg-conns.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	ASSERT_EQ(0, write_file(self->dir, "conns.conf", "port = 8080\nproto = tcp\n"
				"process = " CONN_SERVER "\nalgorithm = least-loaded\n"));
	self->daemon = start_pcbgroupd(self->dir, 0);
	ASSERT_LT(0, self->daemon);
	ASSERT_EQ(0, logged(self->dir, "pcbgroupd: started"));
	if (logged(self->dir, " and at every bind, listen and close\n"))
		SKIP(return, "pcbgroupd runs without its hooks here: no connection is counted");
	self->server = start_echo_server("", NULL, NULL, "-t tcp -s -w %d -p %d", WORKERS,
					 SERVER_PORT);
	ASSERT_LT(0, self->server);
	ASSERT_EQ(0, logged(self->dir, "group 1: connections counted"))
		show_log(self->dir);
	for (k = 0; k < SETTLE_MS / 20 && !(self->grp = open_group()); k++)
		usleep(20 * 1000);
	ASSERT_NE(NULL, self->grp);
	/*
	 * A socket is live in its slot before the daemon tags it for counting,
	 * later in the same turn: wait for a turn after this one (the metrics
	 * file, rewritten every second between turns).
	 */
	ASSERT_EQ(0, until_rewritten(self->dir, "pcbgroup.prom")) show_log(self->dir);
}

FIXTURE_TEARDOWN(conns)
{
	char cmd[64];

	if (!_metadata->passed)
		show_log(self->dir);
	pcbg_group_free(self->grp);
	if (self->server > 0)
		kill_echo_server(self->server, -1);
	if (self->daemon > 0) {
		kill(self->daemon, SIGTERM);
		waitpid(self->daemon, NULL, 0);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf %s", self->dir);
	system(cmd);
}

TEST_F(conns, busy_worker_gets_no_new_connection_while_another_is_idle)
{
	__u64 stats[PCBG_STAT_NR];
	__u32 conns[WORKERS];
	char slow[32];
	int slow_fd, fd, f, k, blocked = -1, slot;

	/* one worker holds a connection, its accept queue empty */
	snprintf(slow, sizeof(slow), "S %d\n", SLOW_US);
	slow_fd = request(slow);
	ASSERT_LE(0, slow_fd);
	ASSERT_EQ(0, until_conns(self->grp, 1)) TH_LOG("the held connection is not counted");
	ASSERT_EQ(1, read_conns(self->grp, conns));
	for (slot = 0; slot < WORKERS; slot++)
		if (conns[slot])
			blocked = slot;
	/* as the user sees it */
	EXPECT_EQ(1, shown_conns(blocked));
	EXPECT_EQ(0, exported_conns(self->dir, blocked, 1));
	ASSERT_EQ(0, pcbg_group_reset_stats(self->grp));

	/* every new connection is answered at once, by an idle worker */
	for (f = 0; f < FAST; f++) {
		fd = request("x\n");
		ASSERT_LE(0, fd);
		k = answer(fd, ANSWER_MS);
		EXPECT_LE(0, k) TH_LOG("connection %d: no answer in %d ms: it waits behind "
				       "the busy worker (slot %d)", f, ANSWER_MS, blocked);
		close(fd);
		/* served and closed: only the held one counts again */
		ASSERT_EQ(0, until_conns(self->grp, 1));
	}
	ASSERT_EQ(0, pcbg_group_stats(self->grp, stats));
	EXPECT_EQ(FAST, stats[PCBG_STAT_SELECTED]);
	/* hash-threshold would have sent about 1/WORKERS of them to it */
	EXPECT_LT(0, stats[PCBG_STAT_LOAD_SECOND]);
	EXPECT_EQ(0, pcbg_fallbacks(stats));
	close(slow_fd);
}

TEST_F(conns, conns_count_queued_and_served_and_return_to_zero)
{
	struct pcbg_slot_load load;
	int fds[HELD], i, slot;
	char hold[32];

	snprintf(hold, sizeof(hold), "S %d\n", HOLD_US);
	for (i = 0; i < HELD; i++) {
		fds[i] = request(hold);
		ASSERT_LE(0, fds[i]);
	}
	/* WORKERS served, the rest queued: all counted */
	EXPECT_EQ(0, until_conns(self->grp, HELD)) TH_LOG("not %d connections counted", HELD);
	for (i = 0; i < HELD; i++) {
		EXPECT_LE(0, answer(fds[i], SETTLE_MS));
		close(fds[i]);
	}
	EXPECT_EQ(0, until_conns(self->grp, 0)) TH_LOG("connections closed still counted");
	/* counted, so not sampled: the queues were never written */
	for (slot = 0; slot < WORKERS; slot++) {
		ASSERT_EQ(0, pcbg_group_slot_load(self->grp, slot, &load));
		EXPECT_EQ(0, load.sampled_ns) TH_LOG("slot %d was sampled", slot);
		EXPECT_EQ(0, load.queue);
	}
}

TEST_HARNESS_MAIN
