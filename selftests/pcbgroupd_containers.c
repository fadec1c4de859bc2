// SPDX-License-Identifier: GPL-2.0
/*
 * One host pcbgroupd steering real podman containers: two containers of the
 * image scripts/deps.sh made (Debian 12's minbase and nginx, imported,
 * nothing pulled) serve the same port with 4 workers, each in its own
 * network namespace (--network none: loopback only): Debian's nginx on TCP,
 * the project's echo_server (from the build directory, mounted read-only)
 * on UDP.  One declaration, "cgroup = ../pcbgtestPID/libpod-*", makes a
 * group per container, in that container's namespace (the containers of
 * each test have a cgroup parent of their own, so that another run beside
 * this one is out of its pattern):
 *
 *     host (this test, podman, runc)
 *       |-- pcbgroupd -c DIR     own mount namespace: its bpffs, /run/pcbgroupd
 *       |-- container a: netns A, cgroup pcbgtestPID/libpod-ID
 *       |     `-- nginx, 4 workers, :8080   group in A, pinned netnsCOOKIE(A)
 *       `-- container b: netns B, cgroup pcbgtestPID/libpod-ID
 *             `-- nginx, 4 workers, :8080   group in B, pinned netnsCOOKIE(B)
 *     pcbgroupctl show and the flows run in A or B (setns, nsenter) and see
 *     the daemon's pins through its mount namespace.
 *
 * Checked: each group holds exactly its own container's sockets (by their
 * socket cookies, taken with pidfd_getfd()), flows inside each container
 * are picked by the program (selected grows by the flows sent, no
 * fallback), a restarted container (a new namespace) is steered again and
 * its old namespace's pins are gone, a removed container's group and pins
 * are gone while the other's steers on.  How long steering takes is the
 * bench's; here the bound is generous.  Skipped only where podman cannot
 * run at all (not installed, or `podman info` fails).
 */
#include "daemon.h"

#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 300
#include <dirent.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/vfs.h>

#define IMAGE		"localhost/pcbgroup-bookworm-nginx"	/* scripts/deps.sh makes it */
#define PODMAN		"podman --runtime runc"
/*
 * runc: crun refuses the cgroup v2 tree of a hybrid host, where runc puts
 * the container in it too.  --ulimit: podman raises RLIMIT_NOFILE past the
 * caller's hard limit by default, which needs CAP_SYS_RESOURCE.
 */
#define RUN_OPTS	"--network none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024"
#define NAME_PREFIX	"pcbg-test-"	/* then the test's pid: pcbg-test-PID-a */
#define CGROUP_PARENT	"pcbgtest"	/* then the pid: each test's own cgroup parent */
#define WORKERS		4
#define FLOWS		200
#define FLOW_PORT	20000
#define OUT_SZ		65536
#define SLOW_MS		20000	/* not a promise (the bench times it): just bounded */
#define MAX_SOCKS	64
#define CGROUP2_MAGIC	0x63677270

#ifndef SO_COOKIE
#define SO_COOKIE	57
#endif

struct container {
	char name[64];
	pid_t pid;		/* its echo_server, as the host sees it */
	__u64 netns;		/* its network namespace's cookie */
	char cgroup[256];	/* under /sys/fs/cgroup, in the v2 tree */
	__u64 cookies[MAX_SOCKS];	/* its sockets on the port */
	int nr;
};

FIXTURE(pods) {
	struct container c[2];
	pid_t daemon;
	char dir[64];
	char pattern[256];	/* the declaration's cgroup = */
	char conf_dir[80];	/* the containers' /pcbg/conf */
	char parent[64];	/* the containers' --cgroup-parent */
	char skip[128];
	char out[OUT_SZ];
	char err[OUT_SZ];
};

FIXTURE_VARIANT(pods) {
	const char *proto;
	const char *server;	/* what each container runs, ARGS its options */
	int type;
};

/* the project's echo_server from the build directory: it needs only libc */
FIXTURE_VARIANT_ADD(pods, udp) {
	.proto = "udp",
	.server = "/pcbg/build/echo_server -t udp -w ARGS",
	.type = SOCK_DGRAM,
};

/* Debian's nginx from the image, four workers, a reuseport listener each */
FIXTURE_VARIANT_ADD(pods, tcp) {
	.proto = "tcp",
	.server = "nginx -c /pcbg/conf/nginx.conf -g ARGS",
	.type = SOCK_STREAM,
};

#define RUN(fmt, ...) \
	run_cmd(self->out, OUT_SZ, self->err, OUT_SZ, fmt, ##__VA_ARGS__)

/* pcbgroupctl in container @c's namespace, seeing the daemon's pins. */
#define CTL_IN(c, fmt, ...) \
	RUN("nsenter --net=/proc/%d/ns/net --mount=/proc/%d/ns/mnt %s/pcbgroupctl " fmt, \
	    (c)->pid, self->daemon, build_dir(), ##__VA_ARGS__)

/* Until @cond holds: 0, or -1 after SLOW_MS (checked every 50 ms). */
#define WAIT_UNTIL(cond) ({						\
	long long _t0 = now_ms();					\
	int _met;							\
									\
	while (!(_met = (cond)) && now_ms() - _t0 <= SLOW_MS)		\
		usleep(50 * 1000);					\
	_met ? 0 : -1;							\
})

/* Container @c's echo_server pid (its init), once podman says it runs. */
static int container_pid(struct _test_data_pods *self, struct container *c)
{
	if (RUN(PODMAN " inspect -f '{{.State.Pid}}' %s", c->name))
		return -1;
	c->pid = atoi(self->out);
	return c->pid > 0 ? 0 : -1;
}

/*
 * The cookies of @pid's sockets on @port (and their namespace's), taken
 * with pidfd_getfd(): the kernel's identity of each socket.  Returns how
 * many, or -1.
 */
static int socket_cookies(pid_t pid, int port, __u64 *cookies, int max, __u64 *netns)
{
	char path[64], link[64];
	struct sockaddr_storage ss;
	struct dirent *de;
	int pidfd, n = 0;
	DIR *dir;

	pidfd = syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	dir = opendir(path);
	while (dir && (de = readdir(dir)) && n < max) {
		socklen_t len = sizeof(ss), clen = sizeof(__u64);
		char lpath[320];
		ssize_t l;
		int fd;

		snprintf(lpath, sizeof(lpath), "%s/%s", path, de->d_name);
		l = readlink(lpath, link, sizeof(link) - 1);
		if (l <= 0 || strncmp(link, "socket:", 7))
			continue;
		fd = syscall(SYS_pidfd_getfd, pidfd, atoi(de->d_name), 0);
		if (fd < 0)
			continue;
		if (!getsockname(fd, (struct sockaddr *)&ss, &len) &&
		    ss.ss_family == AF_INET &&
		    ntohs(((struct sockaddr_in *)&ss)->sin_port) == port &&
		    !getsockopt(fd, SOL_SOCKET, SO_COOKIE, &cookies[n], &clen)) {
			clen = sizeof(__u64);
			getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, netns, &clen);
			n++;
		}
		close(fd);
	}
	if (dir)
		closedir(dir);
	close(pidfd);
	return n;
}

/* Container @c's pid, namespace and WORKERS sockets, if all are bound. */
static int all_bound(struct _test_data_pods *self, struct container *c)
{
	if (container_pid(self, c))
		return 0;
	c->nr = socket_cookies(c->pid, SERVER_PORT, c->cookies, MAX_SOCKS, &c->netns);
	return c->nr == WORKERS;
}

static int container_sockets(struct _test_data_pods *self, struct container *c)
{
	return WAIT_UNTIL(all_bound(self, c));
}

/*
 * nginx as the operators run it: a master and WORKERS workers,
 * each with its own SO_REUSEPORT socket; every answer names the worker.
 */
static const char nginx_conf[] =
	"daemon off;\n"
	"error_log stderr;\n"
	"pid /run/nginx.pid;\n"
	"events { worker_connections 64; }\n"
	"http {\n"
	"\taccess_log off;\n"
	"\tserver {\n"
	"\t\tlisten 8080 reuseport;\n"
	"\t\tlocation / { return 200 \"worker=$pid\\n\"; }\n"
	"\t}\n"
	"}\n";

/* Container @c running @server (ARGS: its worker count and port) from the image. */
static int start_container(struct _test_data_pods *self, struct container *c,
			   const char *server)
{
	char cmd[256], args[64];
	const char *at = strstr(server, "ARGS");

	if (strstr(server, "nginx"))
		snprintf(args, sizeof(args), "'worker_processes %d;'", WORKERS);
	else
		snprintf(args, sizeof(args), "%d -p %d", WORKERS, SERVER_PORT);
	snprintf(cmd, sizeof(cmd), "%.*s%s%s", (int)(at - server), server, args, at + 4);
	if (RUN(PODMAN " run -d --name %s --cgroup-parent %s " RUN_OPTS
		" -v %s:/pcbg/build:ro -v %s:/pcbg/conf:ro " IMAGE " %s", c->name, self->parent,
		build_dir(), self->conf_dir, cmd))
		return -1;
	return container_sockets(self, c);
}

/*
 * Container @c's cgroup in the v2 tree, as a path under /sys/fs/cgroup: on
 * a hybrid host (cgroup v1 controllers) that tree is /sys/fs/cgroup/unified.
 */
static int container_cgroup(struct container *c)
{
	char path[64], line[200] = "", *cg = NULL;
	const char *tree = "";
	struct statfs sf;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", c->pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (!cg && fgets(line, sizeof(line), f))
		if (!strncmp(line, "0::/", 4))
			cg = line + 4;
	fclose(f);
	if (!cg)
		return -1;
	cg[strcspn(cg, "\n")] = '\0';
	if (statfs("/sys/fs/cgroup", &sf) || sf.f_type != CGROUP2_MAGIC)
		tree = "unified/";
	snprintf(c->cgroup, sizeof(c->cgroup), "%s%s", tree, cg);
	return 0;
}

/*
 * The declaration's pattern: podman's glob, "libpod-*" (".scope" under
 * systemd), beside container @c's cgroup.
 */
static int cgroup_pattern(const struct container *c, char *buf, size_t size)
{
	const char *base = strrchr(c->cgroup, '/');

	if (!base || strncmp(base, "/libpod-", 8))
		return -1;	/* not in a container's own cgroup */
	snprintf(buf, size, "%.*s/libpod-*%s", (int)(base - c->cgroup), c->cgroup,
		 strstr(base, ".scope") ? ".scope" : "");
	return 0;
}

/* The cookies of the live slots in a `show -j` output; returns how many groups. */
static int shown(const char *json, __u64 *cookies, int max, int *nr)
{
	const char *p = json;
	int groups = 0;

	for (p = json; (p = strstr(p, "\"id\":")); p++)
		groups++;
	*nr = 0;
	for (p = json; (p = strstr(p, "\"cookie\":")); p++) {
		const char *end = strchr(p, '}');
		__u64 ck = strtoull(p + 9, NULL, 10);
		const char *live = strstr(p, "\"live\":true");

		if (live && end && live < end && *nr < max)
			cookies[(*nr)++] = ck;
	}
	return groups;
}

static int in_set(__u64 x, const __u64 *set, int n)
{
	while (n--)
		if (set[n] == x)
			return 1;
	return 0;
}

static int same_set(const __u64 *a, int na, const __u64 *b, int nb)
{
	int i;

	if (na != nb)
		return 0;
	for (i = 0; i < na; i++)
		if (!in_set(a[i], b, nb))
			return 0;
	return 1;
}

/*
 * Container @c's namespace shows one group holding exactly @c's sockets,
 * none unsteered, live, labelled with @c's namespace and cgroup.  0, or -1
 * (show's output left in self->out).
 */
static int steered(struct _test_data_pods *self, struct container *c)
{
	__u64 in_group[MAX_SOCKS];
	char label[300];
	int nr;

	if (CTL_IN(c, "show -j"))
		return -1;
	snprintf(label, sizeof(label), "\"cgroup\":\"%s\"", c->cgroup);
	if (shown(self->out, in_group, MAX_SOCKS, &nr) != 1 ||
	    !same_set(in_group, nr, c->cookies, c->nr) ||
	    json_num(self->out, "\"unsteered\":") != 0 ||
	    !strstr(self->out, "\"state\":\"live\"") ||
	    json_num(self->out, "\"netns\":") != (long long)c->netns ||
	    !strstr(self->out, label))
		return -1;
	return 0;
}

static int wait_steered(struct _test_data_pods *self, struct container *c)
{
	return WAIT_UNTIL(!steered(self, c));
}

/*
 * The daemon's metrics file says container @c's group has WORKERS sockets,
 * labelled with its namespace and cgroup.
 */
static int in_metrics(struct _test_data_pods *self, struct container *c)
{
	char want[400], line[1024];
	int found = 0;
	FILE *f;

	snprintf(want, sizeof(want), "netns=\"%llu\",cgroup=\"%s\"} %d\n",
		 (unsigned long long)c->netns, c->cgroup, WORKERS);
	snprintf(line, sizeof(line), "%s/pcbgroup.prom", self->dir);
	f = fopen(line, "r");
	while (f && !found && fgets(line, sizeof(line), f))
		found = !strncmp(line, "pcbgroup_sockets{", 17) && strstr(line, want);
	if (f)
		fclose(f);
	return found;
}

/* The daemon's pins for namespace @netns: 1 if its directory holds a group. */
static int has_pins(struct _test_data_pods *self, __u64 netns)
{
	char path[PATH_MAX];
	struct dirent *de;
	int groups = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/root" PCBG_PIN_ROOT "/netns%llu", self->daemon,
		 (unsigned long long)netns);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d)))
		groups += de->d_name[0] != '.';
	closedir(d);
	return groups > 0;
}

/* The answer to a flow on @fd: the worker named in it ("worker=N"), or -1. */
static int answer(int fd, int type)
{
	struct timeval tv = { .tv_sec = 1 };
	char buf[512], *w;
	ssize_t n, len = 0;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	/* a request nginx answers; echo_server answers anything */
	if (type == SOCK_STREAM && send(fd, "GET / HTTP/1.0\r\n\r\n", 18, MSG_NOSIGNAL) != 18)
		return -1;
	do {	/* TCP: to the end of the answer, whatever its segments */
		n = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);
		len += n > 0 ? n : 0;
	} while (type == SOCK_STREAM && n > 0 && len < (ssize_t)sizeof(buf) - 1);
	buf[len] = '\0';
	w = strstr(buf, "worker=");
	return w ? atoi(w + 7) : -1;
}

/*
 * FLOWS flows from 127.0.0.1:FLOW_PORT+i to the port, in container @c's
 * namespace (a child joins it): how many got an answer; *@workers gets how
 * many workers answered.
 */
static int flows_in(struct container *c, int type, int *workers)
{
	int *shared, status, answered;
	char path[64];
	pid_t child;

	/* [0] answered, [1] workers, then the workers seen */
	shared = mmap(NULL, (2 + FLOWS) * sizeof(int), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED)
		return -1;
	memset(shared, 0, (2 + FLOWS) * sizeof(int));
	child = fork();
	if (child == 0) {
		int fd, i, k, w;

		snprintf(path, sizeof(path), "/proc/%d/ns/net", c->pid);
		fd = open(path, O_RDONLY);
		if (fd < 0 || setns(fd, CLONE_NEWNET))
			_exit(1);
		for (i = 0; i < FLOWS; i++) {
			fd = send_flow(AF_INET, type, FLOW_PORT + i, SERVER_PORT);
			if (fd < 0)
				continue;
			w = answer(fd, type);
			close(fd);
			if (w < 0)
				continue;
			shared[0]++;
			for (k = 0; k < shared[1] && shared[2 + k] != w; k++)
				;
			if (k == shared[1])
				shared[2 + shared[1]++] = w;
		}
		_exit(0);
	}
	waitpid(child, &status, 0);
	answered = shared[0];
	*workers = shared[1];
	munmap(shared, (2 + FLOWS) * sizeof(int));
	return answered;
}

/*
 * Flows in container @c: every one answered, each picked by the program
 * (its group's selected grows by FLOWS, fallbacks stay), more than one
 * worker reached.
 */
static void check_flows(struct __test_metadata *_metadata, struct _test_data_pods *self,
			int type, struct container *c)
{
	long long sel0, fb0, sel1, fb1;
	int reached = 0;

	ASSERT_EQ(0, CTL_IN(c, "show -j")) TH_LOG("%s", self->err);
	sel0 = json_num(self->out, "\"counters\":{\"selected\":");
	fb0 = json_num(self->out, "\"fallbacks\":");
	EXPECT_EQ(FLOWS, flows_in(c, type, &reached))
		TH_LOG("%s: flows unanswered", c->name);
	ASSERT_EQ(0, CTL_IN(c, "show -j")) TH_LOG("%s", self->err);
	sel1 = json_num(self->out, "\"counters\":{\"selected\":");
	fb1 = json_num(self->out, "\"fallbacks\":");
	EXPECT_EQ(FLOWS, sel1 - sel0) TH_LOG("%s: flows not picked by the program", c->name);
	EXPECT_EQ(0, fb1 - fb0) TH_LOG("%s: flows that fell back to the kernel's pick", c->name);
	EXPECT_LT(1, reached) TH_LOG("%s: the flows reached %d worker", c->name, reached);
}

/*
 * The containers of test @pid and their cgroup parent (podman leaves it;
 * conmon's sub-cgroup too, with cgroupfs), in every hierarchy, once conmon
 * has left it (for 5 s at most).
 */
static void remove_containers_of(struct _test_data_pods *self, int pid)
{
	RUN(PODMAN " rm -f -i -t 0 " NAME_PREFIX "%d-a " NAME_PREFIX "%d-b; p=" CGROUP_PARENT "%d;"
	    " for i in $(seq 50); do left=;"
	    "  for d in /sys/fs/cgroup/$p /sys/fs/cgroup/$p.slice /sys/fs/cgroup/*/$p"
	    "   /sys/fs/cgroup/*/$p.slice; do"
	    "   [ -d \"$d\" ] && find \"$d\" -depth -type d -exec rmdir {} + 2>/dev/null;"
	    "   [ -d \"$d\" ] && left=1;"
	    "  done;"
	    "  [ -z \"$left\" ] && break; sleep 0.1;"
	    " done", pid, pid, pid);
}

/*
 * Those of tests that are gone (killed at their timeout); not those of a
 * run beside this one (another checkout's), whose daemon steers its own.
 */
static void remove_stale_containers(struct _test_data_pods *self)
{
	char *line, *save = NULL;
	int pid;

	if (RUN(PODMAN " ps -a --format '{{.Names}}'"))
		return;
	for (line = strtok_r(self->out, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (sscanf(line, NAME_PREFIX "%d-", &pid) == 1 && pid > 0 &&
		    kill(pid, 0) && errno == ESRCH)
			remove_containers_of(self, pid);
}

/* Everything the fixture made: the daemon, the containers, the declarations. */
static void remove_pods(struct _test_data_pods *self)
{
	char cmd[128];

	if (self->daemon > 0) {
		kill(self->daemon, SIGKILL);
		waitpid(self->daemon, NULL, 0);
		self->daemon = 0;
	}
	if (self->c[0].name[0])
		remove_containers_of(self, getpid());
	if (self->dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", self->dir);
		system(cmd);
		self->dir[0] = '\0';
	}
}

/* The two containers and the daemon, both steered; NULL, or what failed. */
static const char *start_pods(struct _test_data_pods *self, const char *proto,
			      const char *server)
{
	char conf[512];
	int i;

	if (RUN(PODMAN " image exists " IMAGE))
		return "no image " IMAGE ": scripts/deps.sh makes it";
	snprintf(self->dir, sizeof(self->dir), "/tmp/pcbg-pods.XXXXXX");
	if (!mkdtemp(self->dir))
		return "mkdtemp";
	/* the containers' configuration, apart from the daemon's *.conf */
	snprintf(self->conf_dir, sizeof(self->conf_dir), "%s/containers", self->dir);
	if (mkdir(self->conf_dir, 0755) || write_file(self->conf_dir, "nginx.conf", nginx_conf))
		return "writing nginx.conf";
	remove_stale_containers(self);
	/* a parent of its own: another run's containers are out of its pattern */
	if (RUN(PODMAN " info --format '{{.Host.CgroupManager}}'"))
		return "podman info";
	snprintf(self->parent, sizeof(self->parent), "%s" CGROUP_PARENT "%d%s",
		 strstr(self->out, "systemd") ? "" : "/", getpid(),
		 strstr(self->out, "systemd") ? ".slice" : "");
	for (i = 0; i < 2; i++) {
		snprintf(self->c[i].name, sizeof(self->c[i].name), NAME_PREFIX "%d-%c",
			 getpid(), 'a' + i);
		if (start_container(self, &self->c[i], server))
			return "a container did not start with its sockets";
	}
	if (self->c[0].netns == self->c[1].netns)
		return "the containers share a network namespace";
	for (i = 0; i < 2; i++)
		if (container_cgroup(&self->c[i]))
			return "no cgroup v2 line in the container's /proc/PID/cgroup";
	if (cgroup_pattern(&self->c[0], self->pattern, sizeof(self->pattern)))
		return "the container has no cgroup of its own in the cgroup v2 tree";
	snprintf(conf, sizeof(conf),
		 "# every podman container's echo_server, a group in each one's namespace\n"
		 "port = %d\n"
		 "proto = %s\n"
		 "cgroup = %s\n"
		 "algorithm = maglev\n"
		 "capacity = 16\n", SERVER_PORT, proto, self->pattern);
	if (write_file(self->dir, "pods.conf", conf))
		return "writing the declaration";
	self->daemon = start_pcbgroupd(self->dir, 1);
	if (self->daemon <= 0)
		return "fork";
	for (i = 0; i < 2; i++)
		if (wait_steered(self, &self->c[i]))
			return "a container is not steered";
	return NULL;
}

FIXTURE_SETUP(pods)
{
	const char *why;

	if (RUN("podman --version") || RUN(PODMAN " info")) {
		snprintf(self->skip, sizeof(self->skip), "podman cannot run here: %.80s",
			 self->err[0] ? self->err : "not installed (scripts/deps.sh installs it)");
		return;
	}
	why = start_pods(self, variant->proto, variant->server);
	if (why) {
		TH_LOG("%s (cgroup = %s): %s%s", why, self->pattern, self->out, self->err);
		if (self->dir[0])
			RUN("cat %s/daemon.log", self->dir);
		TH_LOG("daemon log: %s", self->out);
		remove_pods(self);
	}
	ASSERT_EQ(NULL, why);
}

FIXTURE_TEARDOWN(pods)
{
	remove_pods(self);
}

#define NEED_PODMAN() do { \
	if (self->skip[0]) \
		SKIP(return, "%s", self->skip); \
} while (0)

/* Each container's namespace has one group, of its own sockets only. */
TEST_F(pods, each_group_holds_only_its_own_containers_sockets)
{
	__u64 in_group[MAX_SOCKS];
	int i, k, nr;

	NEED_PODMAN();
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, steered(self, &self->c[i])) TH_LOG("%s", self->out);
		ASSERT_EQ(1, shown(self->out, in_group, MAX_SOCKS, &nr));
		ASSERT_EQ(WORKERS, nr);
		for (k = 0; k < nr; k++) {	/* the other container's: never */
			EXPECT_FALSE(in_set(in_group[k], self->c[!i].cookies, self->c[!i].nr))
				TH_LOG("%s's group holds a socket of %s", self->c[i].name,
				       self->c[!i].name);
		}
		EXPECT_TRUE(has_pins(self, self->c[i].netns))
			TH_LOG("%s: nothing pinned for its namespace", self->c[i].name);
		EXPECT_EQ(0, WAIT_UNTIL(in_metrics(self, &self->c[i])))
			TH_LOG("%s: no pcbgroup_sockets line for netns %llu, cgroup %s",
			       self->c[i].name, (unsigned long long)self->c[i].netns,
			       self->c[i].cgroup);
	}
	/* the host's own namespace: no group was made there */
	EXPECT_EQ(0, RUN("nsenter --mount=/proc/%d/ns/mnt %s/pcbgroupctl show -j", self->daemon,
			 build_dir()));
	EXPECT_EQ(NULL, strstr(self->out, "\"id\":")) TH_LOG("%s", self->out);
}

/* Flows inside each container are the program's picks. */
TEST_F(pods, flows_in_each_container_are_selected_by_the_program)
{
	NEED_PODMAN();
	check_flows(_metadata, self, variant->type, &self->c[0]);
	check_flows(_metadata, self, variant->type, &self->c[1]);
}

/*
 * podman restart: a new namespace and new sockets, steered again; the old
 * namespace's pins are gone; the other container's group is untouched.
 */
TEST_F(pods, restarted_container_is_steered_again)
{
	struct container *a = &self->c[0];
	__u64 old_netns = a->netns;
	pid_t old_pid = a->pid;

	NEED_PODMAN();
	ASSERT_EQ(0, RUN(PODMAN " restart -t 0 %s", a->name)) TH_LOG("%s", self->err);
	ASSERT_EQ(0, container_sockets(self, a));
	ASSERT_NE(old_pid, a->pid);
	ASSERT_NE(old_netns, a->netns);
	EXPECT_EQ(0, wait_steered(self, a)) TH_LOG("%s", self->out);
	EXPECT_EQ(0, WAIT_UNTIL(!has_pins(self, old_netns)))
		TH_LOG("the old namespace's pins are still there");
	EXPECT_EQ(0, steered(self, &self->c[1])) TH_LOG("%s", self->out);
	check_flows(_metadata, self, variant->type, a);
	check_flows(_metadata, self, variant->type, &self->c[1]);
}

/* podman rm: its group and pins go; the other container steers on. */
TEST_F(pods, removed_container_takes_its_group_and_pins)
{
	struct container *b = &self->c[1];

	NEED_PODMAN();
	ASSERT_EQ(0, RUN(PODMAN " rm -f -t 0 %s", b->name)) TH_LOG("%s", self->err);
	EXPECT_EQ(0, WAIT_UNTIL(!has_pins(self, b->netns)))
		TH_LOG("the removed container's pins are still there");
	EXPECT_EQ(0, steered(self, &self->c[0])) TH_LOG("%s", self->out);
	check_flows(_metadata, self, variant->type, &self->c[0]);
}

TEST_HARNESS_MAIN
