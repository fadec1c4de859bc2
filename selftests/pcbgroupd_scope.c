// SPDX-License-Identifier: GPL-2.0
/*
 * pcbgroupd's scope (docs/design.md): a group holds the sockets of one
 * network namespace, of processes owned as the declaration allows.  Real
 * servers, a real daemon; the other tenants are real processes too: a
 * server of the same name and port in another network namespace (started
 * first, with its own group), another user's process renamed to the
 * declared name, seventy decoys of that name.  And one daemon serving an
 * `ip netns` namespace, whose group and pins go with it.
 *
 *     this test (own netns A, bpffs, tmpfs on /run/pcbgroupd and /run/netns)
 *       |-- echo_server x4 :8080            ours, in A
 *       |-- pcbgroupd -c DIR -i 100
 *       `-- holder (netns B)
 *             `-- echo_server -w 3 :8080    theirs
 */
#include "daemon.h"

#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 300
#include <grp.h>
#include <time.h>

#define OUT_SZ		65536
#define WORKERS		4
#define SLOW_MS		15000	/* a first start, a namespace gone: not a promise */
#define NOBODY		65534
#define DECOYS		70	/* more than the 64 pids one adoption takes */
#define NETNS_NAME	"pcbgd-scope"
/*
 * The servers run as "scope_echo" (echo_server through a symlink of that
 * name: the kernel names a process after the file it ran), so that the
 * daemons of other tests, declaring echo_server, never meet them.
 */
#define NAME		"scope_echo"

static char out[OUT_SZ], err[OUT_SZ];
static char runner[64];	/* "DIR/run": runs echo_server as NAME */

static void stop_pid(pid_t *pid)
{
	if (*pid <= 0)
		return;
	kill(*pid, SIGKILL);
	waitpid(*pid, NULL, 0);
	*pid = 0;
}

/*
 * Namespaces, a tmpfs for the daemon's state, the declaration @text in
 * *@dir, and there the runner start_echo_server() is given as its prefix:
 * it drops the echo_server path it is given and runs the symlink.
 */
static int setup(char *dir, const char *text)
{
	char path[128], link[PATH_MAX + 16], script[256];

	if (setup_namespaces())
		return -1;
	mkdir(PCBGD_RUN_DIR, 0755);
	if (mount("tmpfs", PCBGD_RUN_DIR, "tmpfs", 0, "mode=0755") || !mkdtemp(dir))
		return -1;
	snprintf(link, sizeof(link), "%s/echo_server", build_dir());
	snprintf(path, sizeof(path), "%s/" NAME, dir);
	snprintf(runner, sizeof(runner), "%s/run", dir);
	snprintf(script, sizeof(script), "#!/bin/sh\nshift\nexec %s \"$@\"\n", path);
	if (symlink(link, path) || write_file(dir, "run", script) || chmod(runner, 0755))
		return -1;
	chmod(dir, 0755);	/* the runner, for any user */
	return write_file(dir, "web.conf", text);
}

/* NAME with echo_server's @args, in the namespace @nsenter enters ("": ours). */
static pid_t start_server(const char *nsenter, const char *args)
{
	char prefix[256];

	snprintf(prefix, sizeof(prefix), "%s %s", nsenter, runner);
	return start_echo_server(prefix, NULL, NULL, "%s", args);
}

static void cleanup(const char *dir)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	system(cmd);
}

/* Run "@prefix pcbgroupctl show -j" until it holds every one of @needles. */
static int wait_show(const char *prefix, const char *const *needles, int n)
{
	long long t0 = now_ms();
	int i;

	for (;;) {
		if (!run_cmd(out, OUT_SZ, err, OUT_SZ, "%s %s/pcbgroupctl show -j", prefix,
			     build_dir())) {
			for (i = 0; i < n && strstr(out, needles[i]); i++)
				;
			if (i == n)
				return 0;
		}
		if (now_ms() - t0 > SLOW_MS)
			return -1;
		usleep(20 * 1000);
	}
}

struct impostor {
	const char *comm;
	uid_t uid;
	int netns_fd;
	int nsocks;
	int port;
};

static int become_impostor(void *arg)
{
	const struct impostor *im = arg;
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(im->port),
				     .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	int one = 1, i, fd;

	/* a change of user clears the death signal: set it again */
	if ((im->netns_fd >= 0 && setns(im->netns_fd, CLONE_NEWNET)) || setgroups(0, NULL) ||
	    setresgid(im->uid, im->uid, im->uid) || setresuid(im->uid, im->uid, im->uid) ||
	    prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() == 1)
		return -1;
	for (i = 0; i < im->nsocks; i++) {
		fd = socket(AF_INET6, SOCK_DGRAM, 0);
		if (fd < 0 ||
		    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) ||
		    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) ||
		    bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)))
			return -1;
	}
	return prctl(PR_SET_NAME, im->comm);
}

/*
 * A process of user @uid named @comm (PR_SET_NAME), in the network
 * namespace of @netns_fd (-1: ours), holding @nsocks UDP SO_REUSEPORT
 * sockets on [::1]:@port (IPv6 only: beside ours on 0.0.0.0); its pid once
 * they are bound.
 */
static pid_t start_impostor(const char *comm, uid_t uid, int netns_fd, int nsocks, int port)
{
	struct impostor im = { comm, uid, netns_fd, nsocks, port };

	return fork_waiting(become_impostor, &im);
}

static pid_t start_worker(int k)
{
	char args[64];

	snprintf(args, sizeof(args), "-t udp -w 1 -b %d -p %d", k, SERVER_PORT);
	return start_server("", args);
}

/* Every worker's pid in group 1's table (show -j in @out), and no other. */
static int only_workers(const pid_t *workers, int n)
{
	const char *p = out;
	int i, pid, slots = 0;

	while ((p = strstr(p, "\"pid\":"))) {
		pid = atoi(p + 6);
		p += 6;
		if (strstr(p, "\"live\":true") != strstr(p, "\"live\"") || !strstr(p, "\"live\""))
			continue;	/* a slot left by a closed socket */
		for (i = 0; i < n && workers[i] != pid; i++)
			;
		if (i == n)
			return -1;
		slots++;
	}
	return slots;
}

/* 100 flows answered inside "@prefix", and group 1 picked them all. */
static int flows_steered(const char *prefix)
{
	long long sel0, sel1, fb;

	if (run_cmd(out, OUT_SZ, err, OUT_SZ, "%s %s/pcbgroupctl show -j 1", prefix, build_dir()))
		return -1;
	sel0 = json_num(out, "\"counters\":{\"selected\":");
	if (run_cmd(NULL, 0, NULL, 0,
		    "%s %s/loadgen -q -t udp -p %d -n 100 | grep -q 'answered 100 '",
		    prefix, build_dir(), SERVER_PORT) ||
	    run_cmd(out, OUT_SZ, err, OUT_SZ, "%s %s/pcbgroupctl show -j 1", prefix, build_dir()))
		return -1;
	sel1 = json_num(out, "\"counters\":{\"selected\":");
	fb = json_num(out, "\"fallbacks\":");
	return sel0 >= 0 && sel1 - sel0 >= 100 && fb == 0 ? 0 : -1;
}

/* Our WORKERS workers, then the daemon; 0, or -1. */
static int start_service(pid_t *workers, const char *dir, pid_t *daemon)
{
	int k;

	for (k = 0; k < WORKERS; k++) {
		workers[k] = start_worker(k);
		if (workers[k] <= 0)
			return -1;
	}
	*daemon = start_pcbgroupd(dir, 0);
	return *daemon > 0 ? 0 : -1;
}

/* The daemon and our workers stopped, the test's directory gone. */
static void stop_service(pid_t *workers, pid_t *daemon, const char *dir)
{
	int k;

	stop_pid(daemon);
	for (k = 0; k < WORKERS; k++)
		stop_pid(&workers[k]);
	cleanup(dir);
}

static const char decl_text[] = "port = 8080\nproto = udp\nprocess = " NAME "\n";

/*
 * The same server in another network namespace, started first and with a
 * group of its own there: the daemon takes none of its sockets, makes no
 * group there, and steers ours (no "busy" in its log).
 */
TEST(server_of_another_namespace_started_first_is_never_adopted)
{
	char dir[] = "/tmp/pcbgd-scope.XXXXXX", prefix[64], log[256];
	pid_t holder, theirs, workers[WORKERS], daemon;
	static const char *const ours[] = { "\"sockets\":4,", "\"unsteered\":0,",
					    "\"daemon\":{\"name\":\"web\"" };

	ASSERT_EQ(0, setup(dir, decl_text));
	holder = hold_new_netns();
	ASSERT_LT(0, holder);
	snprintf(prefix, sizeof(prefix), "nsenter -n -t %d", holder);
	theirs = start_server(prefix, "-t udp -w 3 -p 8080");
	ASSERT_LT(0, theirs);
	ASSERT_EQ(0, run_cmd(out, OUT_SZ, err, OUT_SZ, "%s %s/pcbgroupctl attach --pid %d",
			     prefix, build_dir(), theirs)) TH_LOG("%s", err);
	ASSERT_EQ(0, start_service(workers, dir, &daemon));

	ASSERT_EQ(0, wait_show("", ours, 3)) TH_LOG("%s%s", out, err);
	EXPECT_EQ(WORKERS, only_workers(workers, WORKERS)) TH_LOG("%s", out);
	EXPECT_EQ(0, flows_steered(""));
	/* theirs: their one group, as they made it */
	ASSERT_EQ(0, run_cmd(out, OUT_SZ, err, OUT_SZ, "%s %s/pcbgroupctl show -j", prefix,
			     build_dir()));
	EXPECT_NE(NULL, strstr(out, "\"id\":1,")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"sockets\":3,")) TH_LOG("%s", out);
	EXPECT_EQ(NULL, strstr(out, "\"id\":2,")) TH_LOG("%s", out);
	EXPECT_EQ(NULL, strstr(out, "\"daemon\":{")) TH_LOG("%s", out);
	snprintf(log, sizeof(log), "grep -i busy %s/daemon.log", dir);
	EXPECT_NE(0, run_cmd(out, OUT_SZ, NULL, 0, "%s", log)) TH_LOG("%s", out);

	stop_pid(&theirs);
	stop_pid(&holder);
	stop_service(workers, &daemon, dir);
}

/*
 * Another user's process renamed to the declared name, bound to the port
 * on another address before ours: never in a group, not when the daemon
 * starts, not after our whole service restarts (the first socket found
 * would otherwise choose the group's address).
 */
TEST(another_users_process_renamed_to_the_name_is_never_adopted)
{
	char dir[] = "/tmp/pcbgd-scope.XXXXXX";
	static const char *const ours[] = { "\"sockets\":4,", "\"local\":\"0.0.0.0:8080\"",
					    "\"daemon\":{\"name\":\"web\"" };
	pid_t impostor, workers[WORKERS], daemon;
	int k, round;

	ASSERT_EQ(0, setup(dir, decl_text));
	impostor = start_impostor(NAME, NOBODY, -1, 3, SERVER_PORT);
	ASSERT_LT(0, impostor);
	ASSERT_EQ(0, start_service(workers, dir, &daemon));
	for (round = 0; round < 2; round++) {
		ASSERT_EQ(0, wait_show("", ours, 3)) TH_LOG("round %d: %s%s", round, out, err);
		EXPECT_EQ(WORKERS, only_workers(workers, WORKERS)) TH_LOG("%s", out);
		EXPECT_EQ(NULL, strstr(out, "[::1]:8080")) TH_LOG("%s", out);
		EXPECT_EQ(0, flows_steered(""));
		/* the whole service restarts: its group goes, a new one comes */
		for (k = 0; k < WORKERS; k++)
			stop_pid(&workers[k]);
		for (k = 0; k < WORKERS; k++) {
			workers[k] = start_worker(k);
			ASSERT_LT(0, workers[k]);
		}
	}
	stop_pid(&impostor);
	stop_service(workers, &daemon, dir);
}

/* `user = nobody`: that user's process is the service, root's are not. */
TEST(user_key_names_the_owners_taken)
{
	char dir[] = "/tmp/pcbgd-scope.XXXXXX";
	static const char *const theirs[] = { "\"sockets\":3,", "\"local\":\"[::1]:8080\"",
					      "\"daemon\":{\"name\":\"web\"" };
	pid_t impostor, workers[WORKERS], daemon;

	ASSERT_EQ(0, setup(dir, "port = 8080\nproto = udp\nprocess = " NAME "\nuser = nobody\n"));
	impostor = start_impostor(NAME, NOBODY, -1, 3, SERVER_PORT);
	ASSERT_LT(0, impostor);
	ASSERT_EQ(0, start_service(workers, dir, &daemon));
	ASSERT_EQ(0, wait_show("", theirs, 3)) TH_LOG("%s%s", out, err);
	EXPECT_EQ(NULL, strstr(out, "\"id\":2,")) TH_LOG("%s", out);
	EXPECT_EQ(-1, only_workers(workers, WORKERS)) TH_LOG("%s", out);

	stop_pid(&impostor);
	stop_service(workers, &daemon, dir);
}

/*
 * The same impostor binding while the daemon runs: its bind is an event
 * naming it as the binder, which the daemon checks by the binder's own
 * lineage (name, owner, namespace) rather than a walk of every process.
 * Refused; a worker restarted after it (an event behind its events) is
 * steered, and the group holds our workers only.
 */
TEST(another_users_process_binding_while_the_daemon_runs_is_never_adopted)
{
	char dir[] = "/tmp/pcbgd-scope.XXXXXX";
	static const char *const ours[] = { "\"sockets\":4,", "\"unsteered\":0,",
					    "\"daemon\":{\"name\":\"web\"" };
	pid_t impostor, workers[WORKERS], daemon;

	ASSERT_EQ(0, setup(dir, decl_text));
	ASSERT_EQ(0, start_service(workers, dir, &daemon));
	ASSERT_EQ(0, wait_show("", ours, 3)) TH_LOG("%s%s", out, err);
	impostor = start_impostor(NAME, NOBODY, -1, 3, SERVER_PORT);
	ASSERT_LT(0, impostor);
	stop_pid(&workers[0]);
	workers[0] = start_worker(0);
	ASSERT_LT(0, workers[0]);
	EXPECT_EQ(0, wait_show("", ours, 3)) TH_LOG("%s%s", out, err);
	EXPECT_EQ(WORKERS, only_workers(workers, WORKERS)) TH_LOG("%s", out);
	EXPECT_EQ(NULL, strstr(out, "[::1]:8080")) TH_LOG("%s", out);
	EXPECT_EQ(0, flows_steered(""));
	stop_pid(&impostor);
	stop_service(workers, &daemon, dir);
}

/*
 * Seventy processes of another user named as ours, and seventy of root's
 * in another namespace, holding no socket: a worker restarted after them
 * is still found (the filters come before the 64-process count).
 */
TEST(decoys_of_the_name_do_not_hide_a_restarted_worker)
{
	char dir[] = "/tmp/pcbgd-scope.XXXXXX", path[64];
	static const char *const ours[] = { "\"sockets\":4,", "\"unsteered\":0," };
	pid_t decoys[2 * DECOYS], workers[WORKERS], daemon, holder;
	int k, netns_fd;

	ASSERT_EQ(0, setup(dir, decl_text));
	ASSERT_EQ(0, start_service(workers, dir, &daemon));
	ASSERT_EQ(0, wait_show("", ours, 2)) TH_LOG("%s%s", out, err);
	holder = hold_new_netns();
	ASSERT_LT(0, holder);
	snprintf(path, sizeof(path), "/proc/%d/ns/net", holder);
	netns_fd = open(path, O_RDONLY);
	ASSERT_LE(0, netns_fd);
	for (k = 0; k < 2 * DECOYS; k++) {
		decoys[k] = k < DECOYS ? start_impostor(NAME, NOBODY, -1, 0, 0) :
			    start_impostor(NAME, 0, netns_fd, 0, 0);
		ASSERT_LT(0, decoys[k]);
	}
	close(netns_fd);
	stop_pid(&workers[0]);
	workers[0] = start_worker(0);
	ASSERT_LT(0, workers[0]);
	EXPECT_EQ(0, wait_show("", ours, 2)) TH_LOG("%s%s", out, err);
	EXPECT_EQ(WORKERS, only_workers(workers, WORKERS)) TH_LOG("%s", out);

	stop_pid(&daemon);
	for (k = 0; k < 2 * DECOYS; k++)
		stop_pid(&decoys[k]);
	for (k = 0; k < WORKERS; k++)
		stop_pid(&workers[k]);
	stop_pid(&holder);
	cleanup(dir);
}

/*
 * `netns = NAME`: the daemon, in its own namespace, steers a server inside
 * `ip netns` NAME (pins, state and metrics of that namespace), not the one
 * of the same name beside it; `ip netns del` takes the group and its pins.
 */
TEST(named_netns_is_served_and_its_pins_go_with_it)
{
	char dir[] = "/tmp/pcbgd-scope.XXXXXX", prefix[] = "ip netns exec " NETNS_NAME;
	char pins[PATH_MAX], label[256], buf[OUT_SZ] = "", *p;
	static const char *const inside[] = { "\"sockets\":3,", "\"unsteered\":0,",
					      "\"daemon\":{\"name\":\"web\"" };
	pid_t theirs, ours, daemon;
	unsigned long long cookie;
	long long t0;
	struct stat st;
	FILE *f;

	ASSERT_EQ(0, setup(dir, "port = 8080\nproto = udp\nprocess = " NAME "\n"
			   "netns = " NETNS_NAME "\n"));
	mkdir("/run/netns", 0755);
	ASSERT_EQ(0, mount("tmpfs", "/run/netns", "tmpfs", 0, "mode=0755"));
	ASSERT_EQ(0, run_cmd(NULL, 0, err, OUT_SZ, "ip netns add " NETNS_NAME " && "
			     "ip -n " NETNS_NAME " link set lo up")) TH_LOG("%s", err);
	theirs = start_server(prefix, "-t udp -w 3 -p 8080");
	ASSERT_LT(0, theirs);
	ours = start_server("", "-t udp -w 2 -p 8080");
	ASSERT_LT(0, ours);
	daemon = start_pcbgroupd(dir, 0);
	ASSERT_LT(0, daemon);

	ASSERT_EQ(0, wait_show(prefix, inside, 3)) TH_LOG("%s%s", out, err);
	p = strstr(out, "\"netns\":");
	ASSERT_NE(NULL, p);
	cookie = strtoull(p + 8, NULL, 10);
	EXPECT_EQ(0, flows_steered(prefix));
	ASSERT_EQ(0, run_cmd(out, OUT_SZ, err, OUT_SZ, "%s/pcbgroupctl show -j", build_dir()));
	EXPECT_STREQ("{\"groups\":[]}\n", out);
	/* the daemon's metrics: that namespace's group, labelled with it */
	usleep(1500 * 1000);
	snprintf(pins, sizeof(pins), "%s/pcbgroup.prom", dir);
	f = fopen(pins, "r");
	ASSERT_NE(NULL, f);
	fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	snprintf(label, sizeof(label), "local=\"0.0.0.0:8080\",netns=\"%llu\",declaration=\"web\"}",
		 cookie);
	EXPECT_NE(NULL, strstr(buf, label)) TH_LOG("%s", buf);

	/* the namespace's name goes (its server still in it): so do its pins */
	snprintf(pins, sizeof(pins), PCBG_PIN_ROOT "/netns%llu", cookie);
	ASSERT_EQ(0, stat(pins, &st));
	ASSERT_EQ(0, run_cmd(NULL, 0, err, OUT_SZ, "ip netns del " NETNS_NAME)) TH_LOG("%s", err);
	t0 = now_ms();
	while (!stat(pins, &st) && now_ms() - t0 < SLOW_MS)
		usleep(20 * 1000);
	EXPECT_NE(0, stat(pins, &st)) TH_LOG("%s still there", pins);
	snprintf(pins, sizeof(pins), PCBGD_RUN_DIR "/netns%llu", cookie);
	EXPECT_NE(0, stat(pins, &st)) TH_LOG("%s still there", pins);

	stop_pid(&daemon);
	stop_pid(&theirs);
	stop_pid(&ours);
	umount2("/run/netns", MNT_DETACH);
	cleanup(dir);
}

/*
 * A pid file naming a process of another namespace: its group is made
 * there; when the pid file names one of ours instead, that namespace's
 * group and pins go and ours comes.
 */
TEST(pidfile_serves_the_namespace_of_its_process)
{
	char dir[] = "/tmp/pcbgd-scope.XXXXXX", prefix[64], path[128], text[256];
	char pins[PATH_MAX], *p;
	static const char *const inside[] = { "\"sockets\":3,", "\"daemon\":{\"name\":\"web\"" };
	static const char *const here[] = { "\"sockets\":2,", "\"daemon\":{\"name\":\"web\"" };
	pid_t holder, theirs, ours, daemon;
	unsigned long long cookie;
	struct stat st;
	long long t0;

	ASSERT_EQ(0, setup(dir, ""));
	snprintf(path, sizeof(path), "%s/web.pid", dir);
	snprintf(text, sizeof(text), "port = 8080\nproto = udp\npidfile = %s\n", path);
	ASSERT_EQ(0, write_file(dir, "web.conf", text));
	holder = hold_new_netns();
	ASSERT_LT(0, holder);
	snprintf(prefix, sizeof(prefix), "nsenter -n -t %d", holder);
	theirs = start_server(prefix, "-t udp -w 3 -p 8080");
	ASSERT_LT(0, theirs);
	ours = start_server("", "-t udp -w 2 -p 8080");
	ASSERT_LT(0, ours);
	snprintf(text, sizeof(text), "%d\n", theirs);
	ASSERT_EQ(0, write_file(dir, "web.pid", text));
	daemon = start_pcbgroupd(dir, 0);
	ASSERT_LT(0, daemon);

	ASSERT_EQ(0, wait_show(prefix, inside, 2)) TH_LOG("%s%s", out, err);
	EXPECT_EQ(0, flows_steered(prefix));
	p = strstr(out, "\"netns\":");
	ASSERT_NE(NULL, p);
	cookie = strtoull(p + 8, NULL, 10);
	snprintf(pins, sizeof(pins), PCBG_PIN_ROOT "/netns%llu", cookie);

	/* the pid file names our server now */
	snprintf(text, sizeof(text), "%d\n", ours);
	ASSERT_EQ(0, write_file(dir, "web.pid", text));
	EXPECT_EQ(0, wait_show("", here, 2)) TH_LOG("%s%s", out, err);
	t0 = now_ms();
	while (!stat(pins, &st) && now_ms() - t0 < SLOW_MS)
		usleep(20 * 1000);
	EXPECT_NE(0, stat(pins, &st)) TH_LOG("%s still there", pins);

	stop_pid(&daemon);
	stop_pid(&theirs);
	stop_pid(&ours);
	stop_pid(&holder);
	cleanup(dir);
}

/* A server of @nworkers in a new namespace, moved into cgroup @cg (made). */
static pid_t start_in_cgroup(const char *cg, int nworkers, pid_t *holder)
{
	char prefix[64], text[32];
	pid_t pid;

	*holder = hold_new_netns();
	if (*holder <= 0 || (mkdir(cg, 0755) && errno != EEXIST))
		return -1;
	snprintf(prefix, sizeof(prefix), "nsenter -n -t %d", *holder);
	snprintf(text, sizeof(text), "-t udp -w %d -p 8080", nworkers);
	pid = start_server(prefix, text);
	snprintf(text, sizeof(text), "%d\n", pid);
	return pid > 0 && !write_file(cg, "cgroup.procs", text) ? pid : -1;
}

/*
 * `cgroup = PATTERN`, as for podman's containers: one daemon, a group per
 * matching cgroup, each in the namespace of its processes, labelled with
 * its cgroup; a cgroup gone takes its group and pins.
 */
TEST(cgroup_pattern_serves_each_cgroup_in_its_namespace)
{
	char dir[] = "/tmp/pcbgd-scope.XXXXXX", slice[64], cg[2][128], text[256];
	char prefix[2][64], want[2][192], pins[PATH_MAX], *p;
	pid_t holder[2], server[2], ours, daemon;
	unsigned long long cookie;
	struct stat st;
	long long t0;
	int k;

	snprintf(slice, sizeof(slice), "/sys/fs/cgroup/pcbgd-scope-%d.slice", getpid());
	snprintf(text, sizeof(text), "port = 8080\nproto = udp\ncgroup = %s/ct-*.scope\n",
		 slice + strlen("/sys/fs/cgroup/"));
	ASSERT_EQ(0, setup(dir, text));
	if (mount("cgroup2", "/sys/fs/cgroup", "cgroup2", 0, NULL))
		SKIP(return, "no cgroup v2 to make the cgroups in: %s", strerror(errno));
	ASSERT_EQ(0, mkdir(slice, 0755));
	for (k = 0; k < 2; k++) {
		snprintf(cg[k], sizeof(cg[k]), "%s/ct-%c.scope", slice, 'a' + k);
		server[k] = start_in_cgroup(cg[k], 2 + k, &holder[k]);
		ASSERT_LT(0, server[k]);
		snprintf(prefix[k], sizeof(prefix[k]), "nsenter -n -t %d", holder[k]);
		snprintf(want[k], sizeof(want[k]), "\"sockets\":%d,", 2 + k);
	}
	ours = start_server("", "-t udp -w 2 -p 8080");	/* in no such cgroup */
	ASSERT_LT(0, ours);
	daemon = start_pcbgroupd(dir, 0);
	ASSERT_LT(0, daemon);

	for (k = 0; k < 2; k++) {
		const char *needles[3];

		needles[0] = want[k];
		needles[1] = "\"unsteered\":0,";
		needles[2] = cg[k] + strlen("/sys/fs/cgroup/");	/* its label */
		ASSERT_EQ(0, wait_show(prefix[k], needles, 3)) TH_LOG("%d: %s%s", k, out, err);
		EXPECT_EQ(0, flows_steered(prefix[k]));
	}
	ASSERT_EQ(0, run_cmd(out, OUT_SZ, err, OUT_SZ, "%s/pcbgroupctl show -j", build_dir()));
	EXPECT_STREQ("{\"groups\":[]}\n", out);

	/* the second "container" goes: its group and pins go too, not the first's */
	ASSERT_EQ(0, run_cmd(out, OUT_SZ, err, OUT_SZ, "%s %s/pcbgroupctl show -j", prefix[1],
			     build_dir()));
	p = strstr(out, "\"netns\":");
	ASSERT_NE(NULL, p);
	cookie = strtoull(p + 8, NULL, 10);
	snprintf(pins, sizeof(pins), PCBG_PIN_ROOT "/netns%llu", cookie);
	stop_pid(&server[1]);
	rmdir(cg[1]);
	t0 = now_ms();
	while (!stat(pins, &st) && now_ms() - t0 < SLOW_MS)
		usleep(20 * 1000);
	EXPECT_NE(0, stat(pins, &st)) TH_LOG("%s still there", pins);
	ASSERT_EQ(0, run_cmd(out, OUT_SZ, err, OUT_SZ, "%s %s/pcbgroupctl show -j", prefix[0],
			     build_dir()));
	EXPECT_NE(NULL, strstr(out, "\"sockets\":2,")) TH_LOG("%s", out);

	stop_pid(&daemon);
	stop_pid(&ours);
	for (k = 0; k < 2; k++) {
		stop_pid(&server[k]);
		stop_pid(&holder[k]);
		rmdir(cg[k]);
	}
	rmdir(slice);
	cleanup(dir);
}

/* attach --pid of a process whose sockets are another namespace's: refused. */
TEST(attach_pid_of_another_namespace_is_refused)
{
	char dir[] = "/tmp/pcbgd-scope.XXXXXX", prefix[64];
	pid_t holder, theirs, ours;

	ASSERT_EQ(0, setup(dir, decl_text));
	holder = hold_new_netns();
	ASSERT_LT(0, holder);
	snprintf(prefix, sizeof(prefix), "nsenter -n -t %d", holder);
	theirs = start_server(prefix, "-t udp -w 2 -p 8080");
	ASSERT_LT(0, theirs);
	ours = start_server("", "-t udp -w 2 -p 8080");
	ASSERT_LT(0, ours);

	/* alone, or among ours (pidof's list on a container host) */
	EXPECT_EQ(1, run_cmd(out, OUT_SZ, err, OUT_SZ, "%s/pcbgroupctl attach --pid %d",
			     build_dir(), theirs));
	EXPECT_NE(NULL, strstr(err, "is in another network namespace")) TH_LOG("%s", err);
	EXPECT_EQ(1, run_cmd(out, OUT_SZ, err, OUT_SZ, "%s/pcbgroupctl attach --pid \"%d %d\"",
			     build_dir(), ours, theirs));
	EXPECT_NE(NULL, strstr(err, "is in another network namespace")) TH_LOG("%s", err);
	ASSERT_EQ(0, run_cmd(out, OUT_SZ, err, OUT_SZ, "%s/pcbgroupctl show -j", build_dir()));
	EXPECT_STREQ("{\"groups\":[]}\n", out);
	/* from its own namespace it is that namespace's group */
	EXPECT_EQ(0, run_cmd(out, OUT_SZ, err, OUT_SZ, "%s %s/pcbgroupctl attach --pid %d",
			     prefix, build_dir(), theirs)) TH_LOG("%s", err);

	stop_pid(&theirs);
	stop_pid(&ours);
	stop_pid(&holder);
	cleanup(dir);
}

/* The new keys are parsed strictly, as the others. */
TEST(scope_keys_are_checked)
{
	static const struct {
		const char *text, *error;
	} bad[] = {
		{ "user = no-such-user\n", "user: 'no-such-user' is not a list of users" },
		{ "netns = a/b\n", "netns: 'a/b' is not a name of /run/netns" },
		{ "cgroup = /machine.slice\n", "cgroup: '/machine.slice' is not a cgroup path" },
		{ "cgroup = a/../b\n", "cgroup: 'a/../b' is not a cgroup path" },
		{ "cgroup = machine.slice/*\nnetns = x\n",
		  "cgroup: goes with process only, not with netns" },
	};
	char dir[] = "/tmp/pcbgd-keys.XXXXXX", text[256];
	size_t i;

	ASSERT_NE(NULL, mkdtemp(dir));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		snprintf(text, sizeof(text), "port = 8080\nproto = udp\n%s%s", bad[i].text,
			 strncmp(bad[i].text, "cgroup", 6) ? "process = x\n" : "");
		ASSERT_EQ(0, write_file(dir, "web.conf", text));
		EXPECT_EQ(1, run_cmd(out, OUT_SZ, err, OUT_SZ, "%s/pcbgroupd --check -c %s",
				     build_dir(), dir));
		EXPECT_NE(NULL, strstr(err, bad[i].error)) TH_LOG("%zu: %s", i, err);
	}
	ASSERT_EQ(0, write_file(dir, "web.conf", "port = 8080\nproto = udp\n"
				"cgroup = machine.slice/libpod-*.scope\n"
				"process = nginx\nuser = root,65534\n"));
	EXPECT_EQ(0, run_cmd(out, OUT_SZ, err, OUT_SZ, "%s/pcbgroupd --check -c %s", build_dir(),
			     dir)) TH_LOG("%s", err);
	cleanup(dir);
}

TEST_HARNESS_MAIN
