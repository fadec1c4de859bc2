// SPDX-License-Identifier: GPL-2.0
/*
 * pcbgroupctl on an unmodified server started as its own process: adoption,
 * steering whose counters match what the workers saw, set, detach, and the
 * errors a user gets for bad pids and bad arguments (changing nothing).
 */
#include "lib.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>

#define OUT_SZ	65536
#define WORKERS	4

FIXTURE(ctl) {
	pid_t server;
	int server_out;		/* the server's stdout, a pipe */
	int port;
	char out[OUT_SZ];
	char err[OUT_SZ];
};

FIXTURE_VARIANT(ctl) {
	const char *proto;
	int v6;
};

FIXTURE_VARIANT_ADD(ctl, udp4) { "udp", 0 };
FIXTURE_VARIANT_ADD(ctl, udp6) { "udp", 1 };
FIXTURE_VARIANT_ADD(ctl, tcp4) { "tcp", 0 };
FIXTURE_VARIANT_ADD(ctl, tcp6) { "tcp", 1 };

/* Start echo_server with @workers workers; returns its port. */
static int start_server(const char *proto, int v6, int workers, int port, pid_t *pid,
			int *out_fd)
{
	int got = 0;

	*pid = start_echo_server("", &got, out_fd, "-t %s -w %d -p %d%s", proto, workers,
				 port, v6 ? " -6" : "");
	return got;
}

/* Stop the server; read its "worker inode cpu received" table into @out. */
static void stop_server(pid_t pid, int out_fd, char *out, size_t size)
{
	ssize_t n, len = 0;

	kill(pid, SIGTERM);
	while (len < (ssize_t)size - 1 && (n = read(out_fd, out + len, size - 1 - len)) > 0)
		len += n;
	out[len] = '\0';
	waitpid(pid, NULL, 0);
	close(out_fd);
}

FIXTURE_SETUP(ctl)
{
	ASSERT_EQ(0, setup_namespaces());
	self->port = start_server(variant->proto, variant->v6, WORKERS, 0,
				  &self->server, &self->server_out);
	ASSERT_LT(0, self->port);
}

FIXTURE_TEARDOWN(ctl)
{
	if (self->server > 0) {
		kill(self->server, SIGKILL);
		waitpid(self->server, NULL, 0);
	}
}

/* pcbgroupctl ARGS, its output in self->out and self->err */
#define CTL(fmt, ...) \
	run_cmd(self->out, OUT_SZ, self->err, OUT_SZ, "%s/pcbgroupctl " fmt, \
		build_dir(), ##__VA_ARGS__)

/* Flows answered by the server, of @flows sent by loadgen. */
static int loadgen(const char *proto, int v6, int port, int flows)
{
	char out[4096], *p;

	if (run_cmd(out, sizeof(out), NULL, 0, "%s/loadgen -t %s %s -p %d -n %d",
		    build_dir(), proto, v6 ? "-6" : "", port, flows) < 0)
		return -1;
	p = strstr(out, "answered ");
	return p ? atoi(p + 9) : -1;
}

#define LOADGEN(flows) loadgen(variant->proto, variant->v6, self->port, flows)

/* inode -> selected, from show's "group slot inode cpu selected" table */
static int slot_counts(const char *show, unsigned long long *inode,
		       unsigned long long *selected, int max)
{
	const char *p = strstr(show, "\ngroup ");
	unsigned int g, slot;
	int cpu, n = 0;

	if (!p)
		return -1;
	p = strchr(p + 1, '\n');
	while (p && n < max &&
	       sscanf(p + 1, "%u %u %llu %d %llu", &g, &slot, &inode[n], &cpu,
		      &selected[n]) == 5) {
		n++;
		p = strchr(p + 1, '\n');
	}
	return n;
}

TEST_F(ctl, attach_steers_and_counters_match_workers)
{
	unsigned long long inode[WORKERS], sel[WORKERS], w_inode, w_recv, sum = 0;
	char expect[PATH_MAX + 128], table[OUT_SZ], dir[PATH_MAX];
	int n, i, k, w, cpu, matched = 0;
	const char *p;

	ASSERT_EQ(0, CTL("attach --pid %d", self->server)) TH_LOG("%s", self->err);
	group_pin_dir(dir, sizeof(dir), 1);
	snprintf(expect, sizeof(expect), "group 1: %s %s:%d, %d sockets, pinned at %s",
		 variant->proto, variant->v6 ? "[::]" : "0.0.0.0", self->port, WORKERS, dir);
	EXPECT_NE(NULL, strstr(self->out, expect)) TH_LOG("%s", self->out);

	EXPECT_EQ(400, LOADGEN(400));

	ASSERT_EQ(0, CTL("show"));
	n = slot_counts(self->out, inode, sel, WORKERS);
	ASSERT_EQ(WORKERS, n) TH_LOG("%s", self->out);
	for (i = 0; i < n; i++) {
		sum += sel[i];
		if (i)	/* slots follow the order of the inode numbers */
			EXPECT_LT(inode[i - 1], inode[i]);
	}
	EXPECT_EQ(400, sum);

	stop_server(self->server, self->server_out, table, sizeof(table));
	self->server = 0;
	p = strstr(table, "worker inode cpu received\n");
	ASSERT_NE(NULL, p) TH_LOG("%s", table);
	p = strchr(p, '\n');
	while (p && sscanf(p + 1, "%d %llu %d %llu", &w, &w_inode, &cpu, &w_recv) == 4) {
		for (k = 0; k < n; k++) {
			if (inode[k] != w_inode)
				continue;
			EXPECT_EQ(w_recv, sel[k]) TH_LOG("worker %d inode %llu", w, w_inode);
			matched++;
		}
		p = strchr(p + 1, '\n');
	}
	EXPECT_EQ(WORKERS, matched);
}

TEST_F(ctl, set_changes_config_and_refuses_bad_values)
{
	if (!access("/proc/sys/" PCBG_SYSCTL_PATH, F_OK))
		SKIP(return, "pcbgroup.ko loaded: set defers to sysctl");
	ASSERT_EQ(0, CTL("attach --pid %d", self->server));
	EXPECT_EQ(0, CTL("set algorithm=modulo cpu_bits=0"));
	ASSERT_EQ(0, CTL("show -j"));
	EXPECT_NE(NULL, strstr(self->out, "\"algorithm\":\"modulo\",\"cpu_bits\":0"))
		TH_LOG("%s", self->out);

	EXPECT_EQ(1, CTL("set algorithm=hash-threshold cpu_bits=99"));
	EXPECT_STREQ("pcbgroupctl: set: cpu_bits: invalid value '99'\n", self->err);
	EXPECT_EQ(1, CTL("set algorithm=random"));
	EXPECT_STREQ("pcbgroupctl: set: algorithm: invalid value 'random'\n", self->err);
	EXPECT_EQ(1, CTL("set colour=blue"));
	EXPECT_STREQ("pcbgroupctl: set: colour: no such knob\n", self->err);
	EXPECT_EQ(1, CTL("set --group 7 stats=0"));
	EXPECT_STREQ("pcbgroupctl: set: group 7: no such group\n", self->err);
	EXPECT_EQ(2, CTL("set algorithm"));
	ASSERT_EQ(0, CTL("show -j"));
	EXPECT_NE(NULL, strstr(self->out, "\"algorithm\":\"modulo\",\"cpu_bits\":0"))
		TH_LOG("%s", self->out);

	/* the switch off: the kernel picks and every flow still arrives */
	EXPECT_EQ(0, CTL("set %s_reuseport_ext=0", variant->proto));
	EXPECT_EQ(100, LOADGEN(100));
	ASSERT_EQ(0, CTL("show -j"));
	EXPECT_NE(NULL, strstr(self->out, "\"selected\":0,\"fallback_off\":100,"))
		TH_LOG("%s", self->out);
}

/* quic_cid_len: the group's own, with or without the module; UDP only */
TEST_F(ctl, set_quic_cid_len)
{
	int udp = !strcmp(variant->proto, "udp");

	ASSERT_EQ(0, CTL("attach --pid %d", self->server));
	EXPECT_EQ(1, CTL("set quic_cid_len=3"));
	EXPECT_STREQ("pcbgroupctl: set: quic_cid_len: invalid value '3'\n", self->err);
	EXPECT_EQ(1, CTL("set quic_cid_len=21"));
	EXPECT_EQ(udp ? 0 : 1, CTL("set quic_cid_len=8"));
	if (!udp) {
		EXPECT_NE(NULL, strstr(self->err, "group 1: Protocol wrong type for socket"))
			TH_LOG("%s", self->err);
		return;
	}
	ASSERT_EQ(0, CTL("show -j"));
	EXPECT_NE(NULL, strstr(self->out, "\"quic_cid_len\":8,")) TH_LOG("%s", self->out);
	/* datagrams that are not QUIC are picked as before, and counted */
	EXPECT_EQ(100, LOADGEN(100));
	ASSERT_EQ(0, CTL("show -j"));
	EXPECT_NE(NULL, strstr(self->out, "\"quic_routed\":0,\"quic_fallback\":100}"))
		TH_LOG("%s", self->out);
	EXPECT_EQ(0, CTL("set quic_cid_len=0"));
	ASSERT_EQ(0, CTL("show"));
	EXPECT_EQ(NULL, strstr(self->out, "QUIC")) TH_LOG("%s", self->out);
}

TEST_F(ctl, detach_gives_the_group_back_to_the_kernel)
{
	char dir[PATH_MAX];
	struct stat st;

	ASSERT_EQ(0, CTL("attach --pid %d", self->server));
	group_pin_dir(dir, sizeof(dir), 1);
	EXPECT_EQ(0, stat(dir, &st));
	EXPECT_EQ(0, CTL("detach 1"));
	EXPECT_STREQ("group 1: detached\n", self->out);
	EXPECT_NE(0, stat(dir, &st));
	/* the sockets are free again at once: a new attach takes them */
	EXPECT_EQ(0, CTL("attach --pid %d", self->server)) TH_LOG("%s", self->err);
	EXPECT_EQ(0, CTL("detach 1"));
	EXPECT_EQ(100, LOADGEN(100));
	ASSERT_EQ(0, CTL("show -j"));
	EXPECT_STREQ("{\"groups\":[]}\n", self->out);
	EXPECT_EQ(1, CTL("detach 9"));
	EXPECT_STREQ("pcbgroupctl: detach: group 9: no such group\n", self->err);
}

TEST_F(ctl, two_processes_form_one_group)
{
	pid_t second;
	int out_fd;

	ASSERT_EQ(self->port, start_server(variant->proto, variant->v6, 2,
					   self->port, &second, &out_fd));
	EXPECT_EQ(0, CTL("attach --pid %d --pid %d --proto %s --port %d",
			 self->server, second, variant->proto, self->port))
		TH_LOG("%s", self->err);
	EXPECT_NE(NULL, strstr(self->out, ", 6 sockets,")) TH_LOG("%s", self->out);
	EXPECT_EQ(200, LOADGEN(200));
	kill(second, SIGKILL);
	waitpid(second, NULL, 0);
	close(out_fd);
}

/*
 * A worker process is killed (SIGKILL) under sustained load: its listener's
 * queued and half-open connections migrate, its datagrams' flows go to the
 * others; lost can only be what it had already taken in hand, one per
 * worker thread.
 */
TEST_F_TIMEOUT(ctl, killed_worker_loses_only_what_it_had_taken, 120)
{
	int out_fd, pfd[2], lost = -1, flows = 3000;
	char out[512] = "", *p;
	pid_t second, gen;
	ssize_t n;

	ASSERT_EQ(self->port, start_server(variant->proto, variant->v6, 2,
					   self->port, &second, &out_fd));
	ASSERT_EQ(0, CTL("attach --pid %d --pid %d", self->server, second))
		TH_LOG("%s", self->err);
	ASSERT_EQ(0, pipe(pfd));
	gen = fork();
	if (gen == 0) {
		char path[PATH_MAX + 16], port[16], nflows[16];

		dup2(pfd[1], 1);
		snprintf(path, sizeof(path), "%s/loadgen", build_dir());
		snprintf(port, sizeof(port), "%d", self->port);
		snprintf(nflows, sizeof(nflows), "%d", flows);
		execl(path, "loadgen", "-q", "-t", variant->proto, "-p", port, "-n", nflows,
		      variant->v6 ? "-6" : NULL, (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	usleep(100000);
	kill(second, SIGKILL);
	waitpid(second, NULL, 0);
	close(out_fd);
	n = read(pfd[0], out, sizeof(out) - 1);
	out[n > 0 ? n : 0] = '\0';
	waitpid(gen, NULL, 0);
	p = strstr(out, "lost ");
	if (p)
		lost = atoi(p + 5);
	EXPECT_LE(0, lost) TH_LOG("loadgen said: %s", out);
	EXPECT_GE(2, lost) TH_LOG("loadgen said: %s", out);
}

TEST_F(ctl, bad_pids_and_arguments_change_nothing)
{
	char msg[256];
	pid_t idle;

	EXPECT_EQ(1, CTL("attach --pid 999999"));
	EXPECT_STREQ("pcbgroupctl: attach: pid 999999: No such process\n", self->err);

	idle = fork();
	if (idle == 0) {
		pause();
		_exit(0);
	}
	EXPECT_EQ(1, CTL("attach --pid %d", idle));
	snprintf(msg, sizeof(msg), "pcbgroupctl: attach: pid %d: no SO_REUSEPORT socket\n", idle);
	EXPECT_STREQ(msg, self->err);
	kill(idle, SIGKILL);
	waitpid(idle, NULL, 0);

	EXPECT_EQ(1, CTL("attach --pid %d --port 1", self->server));
	snprintf(msg, sizeof(msg),
		 "pcbgroupctl: attach: pid %d: no SO_REUSEPORT socket on port 1\n",
		 self->server);
	EXPECT_STREQ(msg, self->err);
	EXPECT_EQ(1, CTL("attach --pid %d --proto %s", self->server,
			 strcmp(variant->proto, "tcp") ? "tcp" : "udp"));

	EXPECT_EQ(2, CTL("attach --pid %d --proto sctp", self->server));
	EXPECT_STREQ("pcbgroupctl: attach: --proto: tcp or udp (see pcbgroupctl -h)\n", self->err);
	EXPECT_EQ(2, CTL("attach --pid abc"));
	EXPECT_EQ(2, CTL("attach --port 80"));
	EXPECT_STREQ("pcbgroupctl: attach: --pid is required (see pcbgroupctl -h)\n", self->err);
	EXPECT_EQ(2, CTL("frobnicate"));
	EXPECT_EQ(2, CTL(""));

	/* nothing was created */
	ASSERT_EQ(0, CTL("show -j"));
	EXPECT_STREQ("{\"groups\":[]}\n", self->out);

	/* and a second attach of adopted sockets is refused, keeping the first */
	ASSERT_EQ(0, CTL("attach --pid %d", self->server));
	EXPECT_EQ(1, CTL("attach --pid %d", self->server));
	EXPECT_NE(NULL, strstr(self->err, "socket is already in a group")) TH_LOG("%s", self->err);
	ASSERT_EQ(0, CTL("show -j"));
	EXPECT_EQ(NULL, strstr(self->out, "\"id\":2")) TH_LOG("%s", self->out);
}

/* Adoption gives each socket its SO_INCOMING_CPU; pin and rebalance act on
 * the CPU tables and refuse bad input.
 */
TEST(cpus_from_incoming_cpu_pin_and_rebalance)
{
	char out[OUT_SZ], err[1024], expect[64];
	int ncpus = sysconf(_SC_NPROCESSORS_ONLN), i;
	pid_t server;

	ASSERT_EQ(0, setup_namespaces());
	server = start_echo_server("", NULL, NULL, "-t udp -w 4 -p 8080 -c");
	ASSERT_LT(0, server);

#define RUN(fmt, ...) run_cmd(out, sizeof(out), err, sizeof(err), "%s/pcbgroupctl " fmt, \
			      build_dir(), ##__VA_ARGS__)
	ASSERT_EQ(0, RUN("attach --pid %d", server)) TH_LOG("%s", err);
	ASSERT_EQ(0, RUN("show -j"));
	/* worker i, pinned to CPU i % ncpus, has the i-th inode, so slot i */
	for (i = 0; i < 4; i++) {
		char *entry;

		snprintf(expect, sizeof(expect), "{\"slot\":%d,", i);
		entry = strstr(out, expect);
		ASSERT_NE(NULL, entry);
		entry = strstr(entry, "\"cpu\":");
		ASSERT_NE(NULL, entry);
		EXPECT_EQ(i % ncpus, atoi(entry + 6)) TH_LOG("slot %d", i);
	}
	EXPECT_EQ(0, RUN("pin 1 0 none"));
	EXPECT_EQ(0, RUN("rebalance 1"));
	EXPECT_STREQ("group 1: 1 sockets given a CPU\n", out);
	EXPECT_EQ(0, RUN("show --cpus"));
	EXPECT_NE(NULL, strstr(out, "cpu  group slots")) TH_LOG("%s", out);

	EXPECT_EQ(1, RUN("pin 1 9 0"));
	EXPECT_STREQ("pcbgroupctl: pin: group 1: no socket in slot 9\n", err);
	EXPECT_EQ(1, RUN("pin 1 0 4096"));
	snprintf(expect, sizeof(expect), "CPU 4096 is not a possible CPU (0-%d)\n",
		 (int)sysconf(_SC_NPROCESSORS_CONF) - 1);
	EXPECT_NE(NULL, strstr(err, expect)) TH_LOG("%s", err);
	EXPECT_EQ(2, RUN("pin 1 0 minus-one"));
	EXPECT_EQ(2, RUN("pin 1 0"));
	EXPECT_EQ(1, RUN("rebalance 3"));
	EXPECT_STREQ("pcbgroupctl: rebalance: group 3: no such group\n", err);
#undef RUN
	kill_echo_server(server, -1);
}

/*
 * A second command that changes a group waits for the first: while another
 * writer holds the group's pin directory locked, drain does not happen;
 * it does as soon as the lock goes.
 */
TEST(second_writer_waits_for_the_first)
{
	char out[OUT_SZ], err[1024], path[PATH_MAX + 16];
	int server_out, lock, status;
	pid_t server, drain;

	ASSERT_EQ(0, setup_namespaces());
	ASSERT_LT(0, start_server("udp", 0, 2, 0, &server, &server_out));
	ASSERT_EQ(0, run_cmd(out, sizeof(out), err, sizeof(err), "%s/pcbgroupctl attach --pid %d",
			     build_dir(), server)) TH_LOG("%s", err);

	group_pin_dir(path, sizeof(path), 1);
	lock = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_LE(0, lock);
	ASSERT_EQ(0, flock(lock, LOCK_EX));
	snprintf(path, sizeof(path), "%s/pcbgroupctl", build_dir());
	drain = fork();
	if (drain == 0) {
		execl(path, "pcbgroupctl", "drain", "1", "0", (char *)NULL);
		_exit(127);
	}
	usleep(500 * 1000);
	EXPECT_EQ(0, waitpid(drain, &status, WNOHANG));		/* still waiting */
	ASSERT_EQ(0, run_cmd(out, sizeof(out), NULL, 0, "%s/pcbgroupctl show -j", build_dir()));
	EXPECT_EQ(NULL, strstr(out, "\"draining\":true")) TH_LOG("%s", out);

	close(lock);
	ASSERT_EQ(drain, waitpid(drain, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ASSERT_EQ(0, run_cmd(out, sizeof(out), NULL, 0, "%s/pcbgroupctl show -j", build_dir()));
	EXPECT_NE(NULL, strstr(out, "{\"slot\":0,")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"draining\":true")) TH_LOG("%s", out);
	kill_echo_server(server, server_out);
}

TEST_HARNESS_MAIN
