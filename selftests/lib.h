/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for pcbgroup's harness tests: a fresh network and mount namespace
 * per test (netns.h), reuseport server sockets, flows from chosen source
 * ports, and finding which server socket got each flow.
 */
#ifndef PCBG_SELFTESTS_LIB_H
#define PCBG_SELFTESTS_LIB_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "netns.h"
#include "pcbgroup.h"

/*
 * The harness gives a test 30 s; in a TCG guest on a shared 2-CPU machine
 * the same test can take several times its host time.  A hang still ends.
 */
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT	120

#define SERVER_PORT	8080
#define CLIENT_PORT_BASE 10000	/* flow i comes from port CLIENT_PORT_BASE + i */

static inline int raise_nofile(rlim_t n)
{
	struct rlimit rl = { n, n };

	return setrlimit(RLIMIT_NOFILE, &rl) ? -errno : 0;
}

/* 127.0.0.@host (IPv4; 1 is the usual one) or ::1 (IPv6), port @port */
static inline socklen_t make_host_addr(struct sockaddr_storage *ss, int family,
				       int host, int port)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK - 1 + host);
		return sizeof(*sin);
	}
	((struct sockaddr_in6 *)ss)->sin6_family = AF_INET6;
	((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
	((struct sockaddr_in6 *)ss)->sin6_addr = in6addr_loopback;
	return sizeof(struct sockaddr_in6);
}

static inline socklen_t make_addr(struct sockaddr_storage *ss, int family, int port)
{
	return make_host_addr(ss, family, 1, port);
}

/* Run on CPU @cpu only, as the kernel's reuseport_bpf_cpu.c does. */
static inline int pin_to_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

/* A server socket on loopback:@port with SO_REUSEPORT, listening if TCP. */
static inline int make_server(int family, int type, int port)
{
	struct sockaddr_storage ss;
	socklen_t len = make_addr(&ss, family, port);
	int fd, one = 1;

	fd = socket(family, type | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&ss, len) ||
	    (type == SOCK_STREAM && listen(fd, 4096))) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* A flow from 127.0.0.@host:@sport (or [::1]) to loopback:@dport. */
static inline int send_flow_from(int family, int type, int host, int sport, int dport)
{
	struct sockaddr_storage src, dst;
	socklen_t slen = make_host_addr(&src, family, host, sport);
	socklen_t dlen = make_addr(&dst, family, dport);
	int fd, one = 1;

	fd = socket(family, type, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&src, slen) ||
	    connect(fd, (struct sockaddr *)&dst, dlen) ||
	    (type == SOCK_DGRAM && send(fd, "x", 1, 0) != 1)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* A flow from loopback:@sport to loopback:@dport; returns the client fd. */
static inline int send_flow(int family, int type, int sport, int dport)
{
	return send_flow_from(family, type, 1, sport, dport);
}

/* Source port of what a server socket has queued: a datagram or a connection. */
static inline int take_one(int fd, int type)
{
	struct sockaddr_storage peer;
	socklen_t plen = sizeof(peer);
	char buf[16];
	int c;

	if (type == SOCK_DGRAM) {
		if (recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT,
			     (struct sockaddr *)&peer, &plen) < 0)
			return -1;
	} else {
		c = accept(fd, (struct sockaddr *)&peer, &plen);
		if (c < 0)
			return -1;
		close(c);
	}
	return ntohs(((struct sockaddr_in *)&peer)->sin_port);
}

/* An epoll set over the server sockets; event data is the socket's index. */
static inline int watch_servers(const int *fds, int n)
{
	int ep = epoll_create1(0), i;

	for (i = 0; ep >= 0 && i < n; i++) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = i };

		if (fds[i] >= 0 && epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev))
			return -errno;
	}
	return ep;
}

/*
 * Send flows [first, first + count) and record in receiver[flow] the index of
 * the server socket that got each (-1: none within a second).  Returns how
 * many arrived.  Batches keep every receive queue far from full.
 */
static inline int run_flows(int family, int type, int dport, const int *fds,
			    int ep, int first, int count, int *receiver)
{
	struct epoll_event evs[64];
	int i, k, got = 0, pending, cfd[64];

	for (i = first; i < first + count; i += 64) {
		int batch = first + count - i < 64 ? first + count - i : 64;

		for (k = 0; k < batch; k++) {
			receiver[i + k] = -1;
			cfd[k] = send_flow(family, type, CLIENT_PORT_BASE + i + k, dport);
		}
		for (pending = batch; pending > 0;) {
			int n = epoll_wait(ep, evs, 64, 1000), e;

			if (n <= 0)
				break;
			for (e = 0; e < n; e++) {
				int idx = evs[e].data.u32, sport;

				while ((sport = take_one(fds[idx], type)) >= 0) {
					int flow = sport - CLIENT_PORT_BASE;

					if (flow >= i && flow < i + batch &&
					    receiver[flow] < 0) {
						receiver[flow] = idx;
						pending--;
						got++;
					}
				}
			}
		}
		for (k = 0; k < batch; k++)
			if (cfd[k] >= 0)
				close(cfd[k]);
	}
	return got;
}

/*
 * Pearson's chi-square of @counts against uniform, and the critical value
 * at p = 1e-6 (Wilson-Hilferty): a fair spread fails once in a million runs.
 */
static inline int chi_square_uniform(const long *counts, int n, long total,
				     double *chi2, double *crit)
{
	double expect = (double)total / n, df = n - 1, z = 4.753, t;
	int i;

	*chi2 = 0;
	for (i = 0; i < n; i++)
		*chi2 += (counts[i] - expect) * (counts[i] - expect) / expect;
	t = 1 - 2 / (9 * df) + z * sqrt(2 / (9 * df));
	*crit = df * t * t * t;
	return *chi2 <= *crit;
}

/* The spec's formulas (the issue's, not the program's code). */
static inline __u32 expected_slot(__u32 algorithm, __u32 hash, __u32 cpu_bits,
				  __u32 n)
{
	if (algorithm == PCBG_ALGO_MODULO)
		return (hash >> cpu_bits) % n;
	return ((__u64)(hash & ~((1U << cpu_bits) - 1)) * n) >> 32;
}

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

/* This network namespace's cookie (SO_NETNS_COOKIE). */
static inline unsigned long long this_netns(void)
{
	socklen_t len = sizeof(__u64);
	__u64 cookie = 0;
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);

	getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len);
	close(fd);
	return cookie;
}

/* This network namespace's pin root, as the tools use it (mkdir -p). */
static inline const char *netns_pin_root(void)
{
	static char root[PATH_MAX];

	snprintf(root, sizeof(root), PCBG_PIN_ROOT "/netns%llu", this_netns());
	return root;
}

/* Where pcbgroupctl pins group @id of this network namespace. */
static inline void group_pin_dir(char *buf, size_t size, unsigned int id)
{
	snprintf(buf, size, PCBG_PIN_ROOT "/netns%llu/%u", this_netns(), id);
}

/* Set one knob of @grp's config, as pcbgroupctl set does. */
static inline void set_knob(struct __test_metadata *_metadata,
			    struct pcbg_group *grp, const char *name,
			    const char *value)
{
	struct pcbg_config cfg;

	ASSERT_EQ(0, pcbg_group_config(grp, &cfg));
	ASSERT_EQ(0, pcbg_config_set_knob(&cfg, name, value));
	ASSERT_EQ(0, pcbg_group_set_config(grp, &cfg));
}

/*
 * A new group of @n servers (@family, @type) on SERVER_PORT in *@grp, server
 * @fds[i] in slot i, published and attached.
 */
static inline void make_server_group(struct __test_metadata *_metadata, struct pcbg_group **grp,
				     int *fds, int n, int family, int type)
{
	int i;

	ASSERT_EQ(0, pcbg_group_create(grp, 0));
	for (i = 0; i < n; i++) {
		fds[i] = make_server(family, type, SERVER_PORT);
		ASSERT_LE(0, fds[i]);
		ASSERT_EQ(i, pcbg_group_place_socket(*grp, fds[i], -1, 0));
	}
	ASSERT_EQ(0, pcbg_group_publish(*grp));
	ASSERT_EQ(0, pcbg_group_attach(*grp, fds[0]));
}

/* The build directory, from this test's own path (build/selftests/NAME). */
static inline const char *build_dir(void)
{
	static char dir[PATH_MAX];
	char *slash;
	ssize_t n;

	if (dir[0])
		return dir;
	n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
	if (n < 0)
		return ".";
	dir[n] = '\0';
	for (int i = 0; i < 2 && (slash = strrchr(dir, '/')); i++)
		*slash = '\0';
	return dir;
}

/*
 * File @path of the source tree, from the tree the tests run in, or next
 * to $OUT, into @buf (NUL ended, cut to its size): @buf, or NULL.
 */
static inline char *read_tree_file(const char *path, char *buf, size_t size)
{
	char full[PATH_MAX];
	FILE *f = fopen(path, "r");

	snprintf(full, sizeof(full), "%.2000s/../%.2000s", build_dir(), path);
	if (!f)
		f = fopen(full, "r");
	if (!f)
		return NULL;
	buf[fread(buf, 1, size - 1, f)] = '\0';
	fclose(f);
	return buf;
}

/*
 * The name echo_server is started by: a link to it under another name in
 * the build directory gives its processes that name (their comm).
 */
static const char *echo_server_name = "echo_server";

/*
 * Start shell command @cmd, which dies with the test, and read its first
 * line (up to a newline, or what fits) into @line.  Returns its pid, -1 if
 * it could not start or said nothing; its stdout stays open in *@out_fd if
 * not NULL.
 */
static inline pid_t start_cmd_line(const char *cmd, char *line, size_t size, int *out_fd)
{
	ssize_t n, len = 0;
	int pfd[2];
	pid_t pid;

	line[0] = '\0';
	if (pipe(pfd))
		return -1;
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(pfd[1], 1);
		close(pfd[0]);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	while (pid > 0 && len < (ssize_t)size - 1 && !strchr(line, '\n')) {
		n = read(pfd[0], line + len, size - 1 - len);
		if (n <= 0)
			break;
		len += n;
		line[len] = '\0';
	}
	if (out_fd)
		*out_fd = pfd[0];
	else
		close(pfd[0]);
	return pid > 0 && len ? pid : -1;
}

/* Kill a server start_echo_server() started, reap it, close its stdout (if >= 0). */
static inline void kill_echo_server(pid_t pid, int out_fd)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	if (out_fd >= 0)
		close(out_fd);
}

/*
 * Start "@prefix build/echo_server ARGS", ARGS made from @fmt (@prefix: ""
 * or a command that runs it elsewhere, as nsenter does), and wait for its
 * "ready pid P port N workers W" line.  Returns P, or -1; *@port gets N and
 * *@out_fd its stdout, where it prints its table on exit (if not NULL: the
 * pipe stays open either way).  The server dies with the test.
 */
static inline pid_t start_echo_server(const char *prefix, int *port, int *out_fd,
				      const char *fmt, ...)
{
	char args[256], cmd[PATH_MAX + 512], line[128];
	int pid = -1, got = 0, fd;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "exec %s %s/%s %s", prefix, build_dir(), echo_server_name,
		 args);
	if (start_cmd_line(cmd, line, sizeof(line), &fd) < 0 ||
	    sscanf(line, "ready pid %d port %d", &pid, &got) != 2)
		return -1;
	if (port)
		*port = got;
	if (out_fd)
		*out_fd = fd;
	return pid;
}

/*
 * A child that runs @setup(@arg) and, once it returned 0, waits to be
 * killed (it dies with the test too); its pid when set up, or -1.
 */
static inline pid_t fork_waiting(int (*setup)(void *arg), void *arg)
{
	int pfd[2];
	pid_t pid;
	char c;

	if (pipe(pfd))
		return -1;
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(pfd[0]);
		if (setup(arg) || write(pfd[1], "r", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(pfd[1]);
	if (pid > 0 && read(pfd[0], &c, 1) != 1) {
		waitpid(pid, NULL, 0);
		pid = -1;
	}
	close(pfd[0]);
	return pid;
}

static inline int enter_new_netns(void *arg)
{
	return unshare(CLONE_NEWNET) || loopback_up();
}

/* A process of its own in a new network namespace, lo up; its pid. */
static inline pid_t hold_new_netns(void)
{
	return fork_waiting(enter_new_netns, NULL);
}

/*
 * Run a shell command; stdout and stderr land in @out and @err (NUL ended,
 * truncated to their size).  Returns the exit status, or -1.
 */
static inline int run_cmd(char *out, size_t out_sz, char *err, size_t err_sz,
			  const char *fmt, ...)
{
	char cmd[4096], path_out[] = "/tmp/pcbg-out.XXXXXX", path_err[] = "/tmp/pcbg-err.XXXXXX";
	int fo = mkstemp(path_out), fe = mkstemp(path_err), status = -1;
	va_list ap;
	pid_t pid;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (fo < 0 || fe < 0)
		goto out;
	pid = fork();
	if (pid == 0) {
		dup2(fo, 1);
		dup2(fe, 2);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	if (pid > 0 && waitpid(pid, &status, 0) == pid)
		status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	if (out) {
		ssize_t n = pread(fo, out, out_sz - 1, 0);

		out[n > 0 ? n : 0] = '\0';
	}
	if (err) {
		ssize_t n = pread(fe, err, err_sz - 1, 0);

		err[n > 0 ? n : 0] = '\0';
	}
out:
	if (fo >= 0) {
		close(fo);
		unlink(path_out);
	}
	if (fe >= 0) {
		close(fe);
		unlink(path_err);
	}
	return status;
}

#endif
