// SPDX-License-Identifier: GPL-2.0
/*
 * pcbgroupctl attach on servers laid out as real ones are: a master holding
 * every worker's socket with one worker process per socket (nginx), or one
 * process with a thread per socket.  The group is the union of the sockets
 * of the pids named, each once, and each socket gets the CPU of the worker
 * that serves it, whichever pid was named first.
 */
#include "lib.h"

/* TCG guests run these too, many times slower than the host */
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 300
#include <signal.h>

#define OUT_SZ	65536
#define WORKERS	4

FIXTURE(server) {
	pid_t pid;
	pid_t workers[WORKERS];
	int out_fd;
	int ncpus;
	char out[OUT_SZ];
	char err[OUT_SZ];
};

FIXTURE_VARIANT(server) {
	const char *proto;
	int forked;	/* worker processes (-f) rather than threads */
};

FIXTURE_VARIANT_ADD(server, udp_processes) { "udp", 1 };
FIXTURE_VARIANT_ADD(server, tcp_processes) { "tcp", 1 };
FIXTURE_VARIANT_ADD(server, udp_threads) { "udp", 0 };
FIXTURE_VARIANT_ADD(server, tcp_threads) { "tcp", 0 };

#define CTL(fmt, ...) \
	run_cmd(self->out, OUT_SZ, self->err, OUT_SZ, "%s/pcbgroupctl " fmt, \
		build_dir(), ##__VA_ARGS__)

/* The worker processes of master @pid, in fork order (pids ascending). */
static int find_workers(pid_t master, pid_t *workers, int max)
{
	char out[4096], *p = out;
	int n = 0, off;

	if (run_cmd(out, sizeof(out), NULL, 0, "pgrep -P %d | sort -n", master))
		return 0;
	while (n < max && sscanf(p, "%d%n", &workers[n], &off) == 1) {
		n++;
		p += off;
	}
	return n;
}

FIXTURE_SETUP(server)
{
	ASSERT_EQ(0, setup_namespaces());
	self->ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	/* -A: workers pinned to CPU i % ncpus, SO_INCOMING_CPU unset */
	self->pid = start_echo_server("", NULL, &self->out_fd, "-t %s -w 4 -p 8080 -A%s",
				      variant->proto, variant->forked ? " -f" : "");
	ASSERT_LT(0, self->pid) TH_LOG("no ready line");
	if (variant->forked)
		ASSERT_EQ(WORKERS, find_workers(self->pid, self->workers, WORKERS));
	usleep(50 * 1000);	/* the workers reach their poll() */
}

FIXTURE_TEARDOWN(server)
{
	kill(self->pid, SIGKILL);
	waitpid(self->pid, NULL, 0);
	close(self->out_fd);
}

/* slot @slot's "cpu" and "pid" in show -j's output */
static int slot_field(const char *json, int slot, const char *field)
{
	char key[32];
	const char *p;

	snprintf(key, sizeof(key), "{\"slot\":%d,", slot);
	p = strstr(json, key);
	if (!p)
		return -100;
	snprintf(key, sizeof(key), "\"%s\":", field);
	p = strstr(p, key);
	return p ? atoi(p + strlen(key)) : -100;
}

/* All pids as `pidof` prints them: master first, then the workers. */
static void all_pids(pid_t master, const pid_t *workers, char *buf, size_t size,
		     const char *sep)
{
	int i, len = snprintf(buf, size, "%d", master);

	for (i = 0; i < WORKERS && workers[i]; i++)
		len += snprintf(buf + len, size - len, "%s%d", sep, workers[i]);
}

TEST_F(server, each_socket_gets_the_cpu_of_the_worker_serving_it)
{
	char pids[256];
	int i;

	all_pids(self->pid, self->workers, pids, sizeof(pids), " ");
	/* one argument holding every pid, the master first */
	ASSERT_EQ(0, CTL("attach --pid \"%s\"", pids)) TH_LOG("%s", self->err);
	EXPECT_NE(NULL, strstr(self->out, ", 4 sockets,")) TH_LOG("%s", self->out);
	ASSERT_EQ(0, CTL("show -j"));
	/* worker i has the i-th socket (inode order) and runs on CPU i % ncpus */
	for (i = 0; i < WORKERS; i++) {
		EXPECT_EQ(i % self->ncpus, slot_field(self->out, i, "cpu"))
			TH_LOG("slot %d: %s", i, self->out);
		EXPECT_EQ(variant->forked ? self->workers[i] : self->pid,
			  slot_field(self->out, i, "pid")) TH_LOG("slot %d", i);
	}
	EXPECT_EQ(-100, slot_field(self->out, WORKERS, "cpu"));
	EXPECT_EQ(0, run_cmd(NULL, 0, NULL, 0,
			     "%s/loadgen -q -t %s -p 8080 -n 200 | grep -q 'answered 200 '",
			     build_dir(), variant->proto));
}

TEST_F(server, unquoted_pidof_and_repeated_pids_adopt_each_socket_once)
{
	char pids[256];

	if (!variant->forked)
		SKIP(return, "one process");
	/* attach --pid $(pidof server): the other pids come as arguments */
	all_pids(self->pid, self->workers, pids, sizeof(pids), " ");
	ASSERT_EQ(0, CTL("attach --pid %s", pids)) TH_LOG("%s", self->err);
	EXPECT_NE(NULL, strstr(self->out, ", 4 sockets,")) TH_LOG("%s", self->out);
	ASSERT_EQ(0, CTL("detach 1"));

	/* master and one worker: the master's 4, the worker's counted once */
	ASSERT_EQ(0, CTL("attach --pid %d --pid %d", self->pid, self->workers[2]))
		TH_LOG("%s", self->err);
	EXPECT_NE(NULL, strstr(self->out, ", 4 sockets,")) TH_LOG("%s", self->out);
	ASSERT_EQ(0, CTL("show -j"));
	EXPECT_EQ(2 % self->ncpus, slot_field(self->out, 2, "cpu")) TH_LOG("%s", self->out);
	EXPECT_EQ(self->workers[2], slot_field(self->out, 2, "pid"));
	ASSERT_EQ(0, CTL("detach 1"));

	/* a comma list; the workers in reverse order change nothing */
	ASSERT_EQ(0, CTL("attach --pid %d,%d,%d,%d", self->workers[3], self->workers[2],
			 self->workers[1], self->workers[0])) TH_LOG("%s", self->err);
	ASSERT_EQ(0, CTL("show -j"));
	EXPECT_EQ(self->workers[0], slot_field(self->out, 0, "pid")) TH_LOG("%s", self->out);
	EXPECT_EQ(3 % self->ncpus, slot_field(self->out, 3, "cpu"));
}

TEST_F(server, pids_without_sockets_are_fine_unless_all_are)
{
	char msg[128];
	pid_t idle;

	idle = fork();
	if (idle == 0) {
		pause();
		_exit(0);
	}
	ASSERT_EQ(0, CTL("attach --pid \"%d %d\"", idle, self->pid)) TH_LOG("%s", self->err);
	EXPECT_NE(NULL, strstr(self->out, ", 4 sockets,")) TH_LOG("%s", self->out);
	ASSERT_EQ(0, CTL("detach 1"));
	EXPECT_EQ(1, CTL("attach --pid \"%d %d\"", idle, getpid()));
	snprintf(msg, sizeof(msg),
		 "pcbgroupctl: attach: pids %d...: no SO_REUSEPORT socket\n", idle);
	EXPECT_STREQ(msg, self->err);
	EXPECT_EQ(2, CTL("attach --pid \"%d x\"", idle));
	EXPECT_STREQ("pcbgroupctl: attach: --pid: not a process id (see pcbgroupctl -h)\n",
		     self->err);
	EXPECT_EQ(2, CTL("attach --pid \"\""));
	kill(idle, SIGKILL);
	waitpid(idle, NULL, 0);
}

TEST_HARNESS_MAIN
