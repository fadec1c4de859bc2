// SPDX-License-Identifier: GPL-2.0
/*
 * steer: how soon pcbgroupd steers a socket after its bind() or listen(),
 * and how many selections fall back to the kernel's pick meanwhile, with
 * real servers under load and the daemon's sweep too slow to matter
 * (-i 60000): what is measured is the bind-time path alone.
 *
 *   kill -9     echo_server, 4 one-worker processes on UDP, maglev: a worker
 *               killed and started again, 20 times
 *   nginx       4 workers (listen ... reuseport), reloaded to 6 workers and
 *               back to 4, 5 times: 2 listeners join, then 2 leave
 *   haproxy -sf a new haproxy binds its listener, tells the old one to go,
 *               10 times
 *   upgrade     nginx's binary upgrade (USR2, WINCH, QUIT to the old master),
 *               5 times: the listeners are inherited, none joins
 *   unbound     unbound restarted (2 threads, so-reuseport), 5 times: its
 *               sockets close, then 2 new ones join
 *   idle        100 declared UDP groups of 2 sockets, nothing happening:
 *               the daemon's CPU time over -d seconds (default 60)
 *
 * The time is taken from the kernel's side: the start is the join event's
 * bpf_ktime_get_ns() (this program runs its own bindwatch hooks, as the
 * daemon does), the end the first selection the program counts for the
 * socket's slot, read every 100 us while load runs (UDP datagrams from 64
 * source ports, or TCP connections reset at once).  Fallbacks are the
 * group's fallback counters across each event, until the group has settled.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <stdarg.h>
#include <sys/wait.h>
#include <bpf/bpf.h>

#include "common.h"
#include "bindwatch.h"

#define MAX_EVENTS	512
#define WAIT_NS		(3ULL * 1000000000ULL)	/* a step that does not happen */
#define SETTLE_US	(300 * 1000)	/* after an event, for late fallbacks */
#define UDP_PORT	8100
#define NGINX_PORT	8101
#define HAPROXY_PORT	8102
#define UNBOUND_PORT	8103
#define IDLE_PORT	9000
#define IDLE_GROUPS	100

static char bin[256];		/* where pcbgroupd and echo_server are */
static char dir[64];		/* declarations, configurations, logs */
static char logs[256];		/* -o: where the logs are kept */
static struct bindwatch *bw;
static int fifo;		/* -f: the daemon with --realtime (SCHED_FIFO 1) */

/* Join events seen and not yet used. */
static struct pcbg_sock_event joins[MAX_EVENTS];
static int njoins;

static void ignore_event(const struct pcbg_sock_event *e, void *arg)
{
	(void)e;
	(void)arg;
}

/* Forget the events so far: the next ones are of the next step. */
static void skip_events(void)
{
	bindwatch_drain(bw, ignore_event, NULL);
	njoins = 0;
}

static void on_event(const struct pcbg_sock_event *e, void *arg)
{
	(void)arg;
	if (e->kind == PCBG_SOCK_JOINED && njoins < MAX_EVENTS)
		joins[njoins++] = *e;
}

static int write_file(const char *name, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int write_file(const char *name, const char *fmt, ...)
{
	char path[128];
	va_list ap;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	return fclose(f) ? -errno : 0;
}

/* Run @argv with stdout and stderr into @log (under dir); its pid. */
static pid_t spawn(const char *log, char *const argv[])
{
	return bench_spawn(dir, log, argv);
}

static void remove_decl(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/decl/%s", dir, name);
	unlink(path);
}

/* How many times the daemons so far said they started. */
static int daemon_starts(void)
{
	char path[128], line[256];
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/daemon.log", dir);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		n += !!strstr(line, "pcbgroupd: started, pid");
	if (f)
		fclose(f);
	return n;
}

/*
 * pcbgroupd on dir/decl, looking every @interval ms (NULL: its default),
 * once it has started: its hooks attached, before the servers start.
 */
static pid_t start_daemon(const char *interval)
{
	char path[300], decl[128];
	char *argv[7] = { path, "-c", decl };
	int before = daemon_starts(), i, n = 3;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/pcbgroupd", bin);
	snprintf(decl, sizeof(decl), "%s/decl", dir);
	if (interval) {
		argv[n++] = "-i";
		argv[n++] = (char *)interval;
	}
	if (fifo)	/* the daemon's own option, as the package's options file has it */
		argv[n++] = "--realtime";
	pid = spawn("daemon.log", argv);
	for (i = 0; i < 500 && daemon_starts() == before; i++)
		usleep(10 * 1000);
	return pid;
}

/*
 * echo_server under a name of its own (a link), so that other daemons on
 * the host declared with process = echo_server leave it alone.
 */
#define ECHO_NAME	"steer_echo"

static pid_t start_echo(int k, int port)
{
	char path[300], b[16], p[16];

	snprintf(path, sizeof(path), "%s/" ECHO_NAME, dir);
	snprintf(b, sizeof(b), "%d", k);
	snprintf(p, sizeof(p), "%d", port);
	return spawn("echo.log", (char *[]){ path, "-t", "udp", "-w", "1", "-b", b, "-p", p,
					     NULL });
}

/* The member lists of the group open_group() found last (its pin). */
static int members_fd = -1;

/* The pinned group on @port (opened: the caller frees it), or NULL. */
static struct pcbg_group *open_group(int port)
{
	char path[400], pin[480];
	struct pcbg_group *grp = bench_pinned_group(port, path, sizeof(path));

	if (grp) {
		if (members_fd >= 0)
			close(members_fd);
		snprintf(pin, sizeof(pin), "%s/" PCBG_MAP_MEMBERS, path);
		members_fd = bpf_obj_get(pin);
	}
	return grp;
}

/* Live members of @grp in the generation in use. */
static int members(struct pcbg_group *grp)
{
	struct pcbg_group_info info;

	if (pcbg_group_info(grp, &info))
		return -1;
	return info.nr_members[info.gen & 1];
}

static __u64 fallbacks(struct pcbg_group *grp)
{
	__u64 st[PCBG_STAT_NR];

	return pcbg_group_stats(grp, st) ? 0 : pcbg_fallbacks(st);
}

/* The group on @port once it has @n members; NULL after @limit_ns. */
static struct pcbg_group *wait_group(int port, int n, __u64 limit_ns)
{
	__u64 t0 = bench_wall_ns();
	struct pcbg_group *grp = NULL;

	while (bench_wall_ns() - t0 < limit_ns) {
		if (!grp)
			grp = open_group(port);
		if (grp && members(grp) == n)
			return grp;
		usleep(10 * 1000);
	}
	pcbg_group_free(grp);
	return NULL;
}

/* Until @grp has @n members; 0, or -1 after @limit_ns. */
static int wait_members(struct pcbg_group *grp, int n, __u64 limit_ns)
{
	__u64 t0 = bench_wall_ns();

	while (members(grp) != n) {
		if (bench_wall_ns() - t0 > limit_ns)
			return -1;
		usleep(1000);
	}
	return 0;
}

/* Wait for @n join events on @port (and drop others); how many came. */
static int wait_joins(int port, int n, __u64 limit_ns)
{
	__u64 t0 = bench_wall_ns();
	int i, k, got;

	for (;;) {
		for (i = got = 0; i < njoins; i++)
			got += joins[i].port == port;
		if (got >= n || bench_wall_ns() - t0 > limit_ns)
			break;
		struct pollfd p = { .fd = bindwatch_fd(bw), .events = POLLIN };

		poll(&p, 1, 10);
		bindwatch_drain(bw, on_event, NULL);
	}
	for (i = k = 0; i < njoins; i++)
		if (joins[i].port == port)
			joins[k++] = joins[i];
	njoins = k;
	return got;
}

/* Is @slot in the member list of the generation in use? */
static int is_member(struct pcbg_group *grp, __u32 slot)
{
	struct pcbg_group_info info;
	__u32 i, key, m;

	if (pcbg_group_info(grp, &info))
		return 0;
	for (i = 0; i < info.nr_members[info.gen & 1]; i++) {
		key = (info.gen & 1) * info.capacity + i;
		if (!bpf_map_lookup_elem(members_fd, &key, &m) && m == slot)
			return 1;
	}
	return 0;
}

/*
 * The ms from the join event @e to the moment its socket is a member of
 * the generation in use (*@member_ms), and to the first selection counted
 * for its slot (*@sel_ms); -1 for what did not come within WAIT_NS.
 */
static void time_to_steer(struct pcbg_group *grp, const struct pcbg_sock_event *e,
			  double *member_ms, double *sel_ms)
{
	struct pcbg_group_info info;
	struct pcbg_slot s;
	__u64 sel0 = 0, sel, now;
	__u32 slot;
	int found = -1;

	*member_ms = *sel_ms = -1;
	while ((now = bench_wall_ns()) - e->time_ns < WAIT_NS) {
		if (found < 0 && !pcbg_group_info(grp, &info)) {
			for (slot = 0; slot < info.nr_slots && slot < info.capacity; slot++)
				if (!pcbg_group_slot(grp, slot, &s) &&
				    (s.flags & PCBG_SLOT_USED) && s.cookie == e->sock_cookie) {
					found = slot;
					/* a reused slot has counts of its last socket */
					pcbg_group_slot_selected(grp, slot, &sel0);
					break;
				}
		}
		if (found >= 0 && *member_ms < 0 && is_member(grp, found))
			*member_ms = (now - e->time_ns) / 1e6;
		if (found >= 0 && !pcbg_group_slot_selected(grp, found, &sel) && sel > sel0) {
			*sel_ms = (now - e->time_ns) / 1e6;
			if (*member_ms < 0)	/* in and selected between two looks */
				*member_ms = *sel_ms;
			return;
		}
		usleep(100);
	}
}

/* The load: datagrams from 64 source ports, or connections reset at once. */
struct load {
	pthread_t thread;
	int proto;
	int port;
	volatile int stop;
	long sent;
};

static void *load_run(void *arg)
{
	struct load *l = arg;
	struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(l->port),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	int fds[64], i, k;

	for (i = 0; l->proto == IPPROTO_UDP && i < 64; i++)
		fds[i] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	while (!l->stop) {
		for (k = 0; k < 8; k++) {
			if (l->proto == IPPROTO_UDP) {
				i = (l->sent + k) % 64;
				sendto(fds[i], "x", 1, 0, (struct sockaddr *)&dst, sizeof(dst));
			} else {
				int fd = socket(AF_INET, SOCK_STREAM, 0);

				setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
				connect(fd, (struct sockaddr *)&dst, sizeof(dst));
				close(fd);
			}
		}
		l->sent += 8;
		usleep(1000);	/* some 8,000 a second */
	}
	for (i = 0; l->proto == IPPROTO_UDP && i < 64; i++)
		close(fds[i]);
	return NULL;
}

static void load_start(struct load *l, int proto, int port)
{
	memset(l, 0, sizeof(*l));
	l->proto = proto;
	l->port = port;
	pthread_create(&l->thread, NULL, load_run, l);
}

static void load_stop(struct load *l)
{
	l->stop = 1;
	pthread_join(l->thread, NULL);
}

/*
 * The group of @port once it has @n members, then load on it, settled: the
 * start of every scenario.  NULL, the server and the daemon stopped, if the
 * group never comes.
 */
static struct pcbg_group *steady(const char *what, int port, int proto, int n,
				 struct load *l, pid_t *server, pid_t *daemon)
{
	struct pcbg_group *grp = wait_group(port, n, 10 * WAIT_NS);

	if (!grp) {
		fprintf(stderr, "steer: %s: the group never had %d members\n", what, n);
		bench_stop(server, SIGKILL);
		bench_stop(daemon, SIGKILL);
		return NULL;
	}
	load_start(l, proto, port);
	usleep(SETTLE_US);
	skip_events();
	return grp;
}

/* The end of a scenario, its servers stopped: the daemon, the group, @decl. */
static void finish(const char *what, struct load *l, pid_t *daemon, struct pcbg_group *grp,
		   const char *decl)
{
	bench_stop(daemon, SIGTERM);
	pcbg_group_free(grp);
	remove_decl(decl);
	fprintf(stderr, "steer: %s: %ld %s\n", what, l->sent,
		l->proto == IPPROTO_UDP ? "datagrams sent" : "connections made");
}

/* One scenario's figures. */
struct result {
	const char *name;
	double steer[MAX_EVENTS];	/* to member */
	double sel[MAX_EVENTS];		/* to first selection */
	int nsteer;
	int missed;		/* joins never steered within WAIT_NS */
	long fb[MAX_EVENTS];
	int nfb;
};

static void add_steer(struct result *r, double member_ms, double sel_ms)
{
	if (member_ms < 0 || sel_ms < 0) {
		r->missed++;
	} else if (r->nsteer < MAX_EVENTS) {
		r->steer[r->nsteer] = member_ms;
		r->sel[r->nsteer++] = sel_ms;
	}
}

/* Each new join on @port timed; @n expected. */
static void time_joins(struct result *r, struct pcbg_group *grp, int port, int n)
{
	int i, got = wait_joins(port, n, WAIT_NS);

	for (i = 0; i < got; i++) {
		double member_ms, sel_ms;

		time_to_steer(grp, &joins[i], &member_ms, &sel_ms);
		add_steer(r, member_ms, sel_ms);
	}
	r->missed += n > got ? n - got : 0;
	njoins = 0;
}

static int set_ports(int port, int proto)
{
	struct pcbg_watch_key k = { .port = port, .protocol = proto };
	socklen_t len = sizeof(k.netns_cookie);
	int fd = socket(AF_INET, SOCK_DGRAM, 0), err;

	err = getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &k.netns_cookie, &len) ? -errno : 0;
	close(fd);
	return err ? err : bindwatch_set_ports(bw, &k, 1);
}

static int run_kill(struct result *r, int rounds)
{
	char path[300], link[128];
	pid_t daemon, w[4];
	struct pcbg_group *grp;
	struct load l;
	__u64 fb0;
	int k, i;

	r->name = "kill -9 + respawn (udp)";
	snprintf(path, sizeof(path), "%s/echo_server", bin);
	snprintf(link, sizeof(link), "%s/" ECHO_NAME, dir);
	if (symlink(path, link) && errno != EEXIST)
		return -errno;
	write_file("decl/echo.conf", "port = %d\nproto = udp\nprocess = " ECHO_NAME "\n"
		   "algorithm = maglev\ncapacity = 16\n", UDP_PORT);
	set_ports(UDP_PORT, IPPROTO_UDP);
	daemon = start_daemon("60000");
	for (k = 0; k < 4; k++)
		w[k] = start_echo(k, UDP_PORT);
	grp = wait_group(UDP_PORT, 4, 10 * WAIT_NS);
	if (!grp) {
		fprintf(stderr, "steer: kill: the group never had 4 members\n");
		return -1;
	}
	load_start(&l, IPPROTO_UDP, UDP_PORT);
	usleep(SETTLE_US);
	skip_events();
	for (i = 0; i < rounds; i++) {
		k = i % 4;
		fb0 = fallbacks(grp);
		bench_stop(&w[k], SIGKILL);
		w[k] = start_echo(k, UDP_PORT);
		time_joins(r, grp, UDP_PORT, 1);
		wait_members(grp, 4, WAIT_NS);
		usleep(SETTLE_US);
		r->fb[r->nfb++] = fallbacks(grp) - fb0;
	}
	load_stop(&l);
	for (k = 0; k < 4; k++)
		bench_stop(&w[k], SIGKILL);
	bench_stop(&daemon, SIGTERM);
	pcbg_group_free(grp);
	remove_decl("echo.conf");
	fprintf(stderr, "steer: kill: %ld datagrams sent\n", l.sent);
	return 0;
}

/* @daemon: nginx takes USR2 (a binary upgrade) only once it daemonized */
static int nginx_conf_daemon(int workers, int daemon)
{
	return write_file("nginx.conf",
			  "daemon %s;\nmaster_process on;\nworker_processes %d;\nuser root;\n"
			  "pid %s/nginx.pid;\nerror_log %s/nginx.err;\n"
			  "events { worker_connections 1024; }\n"
			  "http { access_log off;\n"
			  "  server { listen 127.0.0.1:%d reuseport; return 200 \"ok\\n\"; } }\n",
			  daemon ? "on" : "off", workers, dir, dir, NGINX_PORT);
}

static int nginx_conf(int workers)
{
	return nginx_conf_daemon(workers, 0);
}

static int run_nginx(struct result *r, int cycles)
{
	char conf[128], *argv[] = { "/usr/sbin/nginx", "-c", conf, NULL };
	pid_t daemon, master;
	struct pcbg_group *grp;
	struct load l;
	__u64 fb0;
	int i, up;

	if (access(argv[0], X_OK)) {
		fprintf(stderr, "steer: no %s (scripts/deps.sh installs nginx-light)\n", argv[0]);
		return -1;
	}
	r->name = "nginx reload 4->6->4 (tcp)";
	snprintf(conf, sizeof(conf), "%s/nginx.conf", dir);
	write_file("decl/nginx.conf", "port = %d\nproto = tcp\nprocess = nginx\n", NGINX_PORT);
	set_ports(NGINX_PORT, IPPROTO_TCP);
	nginx_conf(4);
	daemon = start_daemon("60000");
	master = spawn("nginx.log", argv);
	grp = steady("nginx", NGINX_PORT, IPPROTO_TCP, 4, &l, &master, &daemon);
	if (!grp)
		return -1;
	for (i = 0; i < 2 * cycles; i++) {
		up = !(i % 2);
		fb0 = fallbacks(grp);
		nginx_conf(up ? 6 : 4);
		kill(master, SIGHUP);
		if (up)
			time_joins(r, grp, NGINX_PORT, 2);
		if (wait_members(grp, up ? 6 : 4, WAIT_NS))
			fprintf(stderr, "steer: nginx: reload %d: %d members, not %d\n", i,
				members(grp), up ? 6 : 4);
		usleep(SETTLE_US);
		r->fb[r->nfb++] = fallbacks(grp) - fb0;
	}
	load_stop(&l);
	bench_stop(&master, SIGQUIT);
	finish("nginx", &l, &daemon, grp, "nginx.conf");
	return 0;
}

/* The pid in nginx's pid file @name, or 0. */
static pid_t read_pid(const char *name)
{
	char path[128];
	long pid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%ld", &pid) != 1)
			pid = 0;
		fclose(f);
	}
	return pid;
}

/* Until the pid file @name names a process other than @not; 0 if never. */
static pid_t wait_pid_file(const char *name, pid_t not)
{
	pid_t pid = 0;
	int i;

	for (i = 0; i < 3000; i++) {
		pid = read_pid(name);
		if (pid > 0 && pid != not && !kill(pid, 0))
			return pid;
		usleep(1000);
	}
	return 0;
}

/*
 * nginx's binary upgrade: USR2 starts a new master on the inherited
 * listeners, WINCH stops the old workers, QUIT the old master.  No socket
 * joins: what counts is that none falls back while the processes change.
 */
static int run_upgrade(struct result *r, int times)
{
	char conf[128], *argv[] = { "/usr/sbin/nginx", "-c", conf, NULL };
	pid_t daemon, master, old;
	struct pcbg_group *grp;
	struct load l;
	__u64 fb0;
	int i;

	if (access(argv[0], X_OK))
		return -1;
	r->name = "nginx binary upgrade (tcp)";
	snprintf(conf, sizeof(conf), "%s/nginx.conf", dir);
	write_file("decl/nginx.conf", "port = %d\nproto = tcp\nprocess = nginx\n", NGINX_PORT);
	set_ports(NGINX_PORT, IPPROTO_TCP);
	nginx_conf_daemon(4, 1);
	daemon = start_daemon("60000");
	master = spawn("nginx.log", argv);
	waitpid(master, NULL, 0);	/* it daemonized */
	master = wait_pid_file("nginx.pid", 0);
	if (!master) {
		bench_stop(&daemon, SIGKILL);
		return -1;
	}
	grp = steady("upgrade", NGINX_PORT, IPPROTO_TCP, 4, &l, &master, &daemon);
	if (!grp)
		return -1;
	for (i = 0; i < times; i++) {
		fb0 = fallbacks(grp);
		old = read_pid("nginx.pid");
		if (old <= 0 || kill(old, SIGUSR2))
			break;	/* never a signal to pid 0, our own process group */
		master = wait_pid_file("nginx.pid", old);
		if (!master) {
			fprintf(stderr, "steer: upgrade %d: no new master\n", i);
			break;
		}
		usleep(SETTLE_US);	/* the new workers up */
		kill(old, SIGWINCH);
		usleep(SETTLE_US);
		kill(old, SIGQUIT);
		time_joins(r, grp, NGINX_PORT, 0);
		if (members(grp) != 4)
			fprintf(stderr, "steer: upgrade %d: %d members, not 4\n", i, members(grp));
		usleep(SETTLE_US);
		r->fb[r->nfb++] = fallbacks(grp) - fb0;
	}
	load_stop(&l);
	if (master > 0)
		kill(master, SIGQUIT);
	for (i = 0; i < 200 && master > 0 && !kill(master, 0); i++)
		usleep(10 * 1000);
	finish("upgrade", &l, &daemon, grp, "nginx.conf");
	return 0;
}

static pid_t start_unbound(void)
{
	char conf[128];

	snprintf(conf, sizeof(conf), "%s/unbound.conf", dir);
	return spawn("unbound.log", (char *[]){ "/usr/sbin/unbound", "-d", "-c", conf, NULL });
}

/*
 * unbound stopped and started again: its two sockets (one a thread) close,
 * then two new ones join a group that kept waiting for them.
 */
static int run_unbound(struct result *r, int restarts)
{
	pid_t daemon, ub;
	struct pcbg_group *grp;
	struct load l;
	__u64 fb0;
	int i;

	if (access("/usr/sbin/unbound", X_OK)) {
		fprintf(stderr, "steer: no unbound (scripts/deps.sh installs it)\n");
		return -1;
	}
	r->name = "unbound restart (udp)";
	write_file("unbound.conf", "server:\n  interface: 127.0.0.1\n  port: %d\n"
		   "  so-reuseport: yes\n  num-threads: 2\n  do-daemonize: no\n"
		   "  username: \"\"\n  chroot: \"\"\n  pidfile: \"\"\n  directory: \"%s\"\n"
		   "  use-syslog: no\n  do-ip6: no\n  do-tcp: no\n"
		   "  access-control: 127.0.0.0/8 allow\nremote-control:\n  control-enable: no\n",
		   UNBOUND_PORT, dir);
	write_file("decl/unbound.conf", "port = %d\nproto = udp\nprocess = unbound\n"
		   "keep_waiting = yes\n", UNBOUND_PORT);
	set_ports(UNBOUND_PORT, IPPROTO_UDP);
	daemon = start_daemon("60000");
	ub = start_unbound();
	grp = steady("unbound", UNBOUND_PORT, IPPROTO_UDP, 2, &l, &ub, &daemon);
	if (!grp)
		return -1;
	for (i = 0; i < restarts; i++) {
		fb0 = fallbacks(grp);
		bench_stop(&ub, SIGTERM);
		ub = start_unbound();
		time_joins(r, grp, UNBOUND_PORT, 2);
		wait_members(grp, 2, WAIT_NS);
		usleep(SETTLE_US);
		r->fb[r->nfb++] = fallbacks(grp) - fb0;
	}
	load_stop(&l);
	bench_stop(&ub, SIGTERM);
	finish("unbound", &l, &daemon, grp, "unbound.conf");
	return 0;
}

/* haproxy's configuration, its declaration, and the daemon started for it. */
static pid_t haproxy_daemon(void)
{
	write_file("haproxy.cfg", "global\n  nbthread 1\ndefaults\n  mode http\n"
		   "  timeout connect 1s\n  timeout client 2s\n  timeout server 2s\n"
		   "frontend fe\n  bind 127.0.0.1:%d\n  http-request return status 200\n",
		   HAPROXY_PORT);
	write_file("decl/haproxy.conf", "port = %d\nproto = tcp\nprocess = haproxy\n",
		   HAPROXY_PORT);
	set_ports(HAPROXY_PORT, IPPROTO_TCP);
	return start_daemon("60000");
}

static pid_t start_haproxy(pid_t old)
{
	char conf[128], pid[16];
	char *const argv[] = { "/usr/sbin/haproxy", "-db", "-f", conf, old ? "-sf" : NULL, pid,
			       NULL };

	snprintf(conf, sizeof(conf), "%s/haproxy.cfg", dir);
	snprintf(pid, sizeof(pid), "%d", old);
	return spawn("haproxy.log", argv);
}

static int run_haproxy(struct result *r, int reloads)
{
	pid_t daemon, cur, old;
	struct pcbg_group *grp;
	struct load l;
	__u64 fb0;
	int i;

	if (access("/usr/sbin/haproxy", X_OK)) {
		fprintf(stderr, "steer: no haproxy (scripts/deps.sh installs it)\n");
		return -1;
	}
	r->name = "haproxy -sf (tcp)";
	daemon = haproxy_daemon();
	cur = start_haproxy(0);
	grp = steady("haproxy", HAPROXY_PORT, IPPROTO_TCP, 1, &l, &cur, &daemon);
	if (!grp)
		return -1;
	for (i = 0; i < reloads; i++) {
		fb0 = fallbacks(grp);
		old = cur;
		cur = start_haproxy(old);
		time_joins(r, grp, HAPROXY_PORT, 1);
		waitpid(old, NULL, 0);	/* the old one is gone */
		wait_members(grp, 1, WAIT_NS);
		usleep(SETTLE_US);
		r->fb[r->nfb++] = fallbacks(grp) - fb0;
	}
	load_stop(&l);
	bench_stop(&cur, SIGKILL);
	finish("haproxy", &l, &daemon, grp, "haproxy.conf");
	return 0;
}

/* The pids of @pid's children, up to @max; how many. */
static int children(pid_t pid, pid_t *kids, int max)
{
	char path[64];
	int n = 0;
	long k;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", pid, pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (n < max && fscanf(f, "%ld", &k) == 1)
		kids[n++] = k;
	fclose(f);
	return n;
}

/* Until @master has a worker other than @old; 0 if never. */
static pid_t wait_worker(pid_t master, pid_t old)
{
	pid_t kids[8];
	int i, j, n;

	for (i = 0; i < 3000; i++) {
		n = children(master, kids, 8);
		for (j = 0; j < n; j++)
			if (kids[j] != old)
				return kids[j];
		usleep(1000);
	}
	return 0;
}

/*
 * haproxy in master-worker mode (-W, as Debian's unit runs it with -Ws),
 * reloaded with USR2 (`systemctl reload`): the master executes itself again
 * and its new worker takes the listeners of the old one over the master's
 * socket pair instead of binding new ones, so no socket joins or leaves.
 */
static int run_mworker(struct result *r, int reloads)
{
	char conf[128], *argv[] = { "/usr/sbin/haproxy", "-W", "-db", "-f", conf, NULL };
	pid_t daemon, master, worker, old;
	struct pcbg_group *grp;
	struct load l;
	__u64 fb0;
	int i, j;

	if (access(argv[0], X_OK)) {
		fprintf(stderr, "steer: no haproxy (scripts/deps.sh installs it)\n");
		return -1;
	}
	r->name = "haproxy -W reload (tcp)";
	snprintf(conf, sizeof(conf), "%s/haproxy.cfg", dir);
	daemon = haproxy_daemon();
	master = spawn("haproxy.log", argv);
	worker = wait_worker(master, 0);
	grp = worker ? steady("mworker", HAPROXY_PORT, IPPROTO_TCP, 1, &l, &master, &daemon) :
		       NULL;
	if (!grp) {
		bench_stop(&master, SIGKILL);
		bench_stop(&daemon, SIGKILL);
		return -1;
	}
	for (i = 0; i < reloads; i++) {
		fb0 = fallbacks(grp);
		old = worker;
		kill(master, SIGUSR2);
		worker = wait_worker(master, old);
		if (!worker) {
			fprintf(stderr, "steer: mworker %d: no new worker\n", i);
			break;
		}
		for (j = 0; j < 3000 && !kill(old, 0); j++)
			usleep(1000);	/* the old worker gone */
		time_joins(r, grp, HAPROXY_PORT, 0);
		usleep(SETTLE_US);
		r->fb[r->nfb++] = fallbacks(grp) - fb0;
	}
	load_stop(&l);
	bench_stop(&master, SIGTERM);
	finish("mworker", &l, &daemon, grp, "haproxy.conf");
	return 0;
}

/* The daemon's share of one CPU over @secs, 100 groups declared, idle. */
static int run_idle(int secs, double *share, int *groups)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fds[2 * IDLE_GROUPS], one = 1, i, k;
	pid_t daemon;
	__u64 c0, c1;
	char name[128];

	write_file("bench.pid", "%d\n", getpid());
	for (i = 0; i < 2 * IDLE_GROUPS; i++) {
		fds[i] = socket(AF_INET, SOCK_DGRAM, 0);
		setsockopt(fds[i], SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
		a.sin_port = htons(IDLE_PORT + i / 2);
		if (bind(fds[i], (struct sockaddr *)&a, sizeof(a)))
			return -errno;
	}
	for (i = 0; i < IDLE_GROUPS; i++) {
		snprintf(name, sizeof(name), "decl/idle%03d.conf", i);
		write_file(name, "port = %d\nproto = udp\npidfile = %s/bench.pid\n",
			   IDLE_PORT + i, dir);
	}
	daemon = start_daemon(NULL);	/* its default interval */
	/* idle from when every group is made (a group's maps take a while) */
	for (k = 0; k < 120; k++) {
		for (i = 0, *groups = 0; i < IDLE_GROUPS; i++) {
			struct pcbg_group *grp = open_group(IDLE_PORT + i);

			*groups += grp && members(grp) == 2;
			pcbg_group_free(grp);
		}
		if (*groups == IDLE_GROUPS)
			break;
		sleep(1);
	}
	sleep(1);
	c0 = bench_proc_cpu_ns(daemon);
	sleep(secs);
	c1 = bench_proc_cpu_ns(daemon);
	*share = 100.0 * (c1 - c0) / (secs * 1e9);
	bench_stop(&daemon, SIGTERM);
	for (i = 0; i < 2 * IDLE_GROUPS; i++)
		close(fds[i]);
	for (i = 0; i < IDLE_GROUPS; i++) {
		snprintf(name, sizeof(name), "%s/decl/idle%03d.conf", dir, i);
		unlink(name);
	}
	return 0;
}

static void report(FILE *csv, const struct result *r)
{
	char measured[128], what[160];
	double p50 = -1, p99 = -1, mean = 0;
	long fbmax = 0, fbsum = 0;
	int i;

	for (i = 0; i < r->nsteer; i++)
		fprintf(csv, "%s,member_ms,%.3f\n%s,selected_ms,%.3f\n", r->name, r->steer[i],
			r->name, r->sel[i]);
	for (i = 0; i < r->nfb; i++) {
		fprintf(csv, "%s,fallbacks,%ld\n", r->name, r->fb[i]);
		fbsum += r->fb[i];
		fbmax = r->fb[i] > fbmax ? r->fb[i] : fbmax;
	}
	if (r->nsteer) {
		p50 = bench_quantile(r->steer, r->nsteer, 0.5);
		p99 = bench_quantile(r->steer, r->nsteer, 0.99);
	}
	mean = r->nfb ? (double)fbsum / r->nfb : 0;
	printf("%-28s joins %3d (never steered %d)  time-to-steer p50 %7.2f ms  p99 %7.2f ms  "
	       "max %7.2f ms\n", r->name, r->nsteer, r->missed, p50, p99,
	       r->nsteer ? bench_quantile(r->steer, r->nsteer, 1.0) : -1);
	if (r->nsteer)
		printf("%-28s to the first selection: p50 %7.2f ms  p99 %7.2f ms\n", "",
		       bench_quantile(r->sel, r->nsteer, 0.5),
		       bench_quantile(r->sel, r->nsteer, 0.99));
	printf("%-28s events %2d  fallbacks per event: mean %.1f, max %ld, total %ld\n",
	       "", r->nfb, mean, fbmax, fbsum);
	snprintf(what, sizeof(what), "%s: time-to-steer p50 | p99 (%d joins)", r->name,
		 r->nsteer);
	snprintf(measured, sizeof(measured), "%.2f | %.2f ms", p50, p99);
	if (r->nsteer || r->missed)	/* an upgrade inherits its sockets: none joins */
		bench_goal("steer", what, measured, "p99 <= 10 ms",
			   r->nsteer && !r->missed && p99 <= 10.0);
	snprintf(what, sizeof(what), "%s: fallbacks per event, mean (max) over %d", r->name,
		 r->nfb);
	snprintf(measured, sizeof(measured), "%.1f (%ld)", mean, fbmax);
	bench_goal("steer", what, measured, "0", r->nfb && !fbsum);
}

/* The hooks' cost per run, from the kernel's BPF statistics. */
static void hook_cost(void)
{
	__u32 ids[8];
	int n = bindwatch_prog_ids(bw, ids, 8), i;

	for (i = 0; i < n; i++) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		char what[96], measured[64];
		int fd = bpf_prog_get_fd_by_id(ids[i]);

		if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len) || !info.run_cnt) {
			if (fd >= 0)
				close(fd);
			continue;
		}
		close(fd);
		snprintf(what, sizeof(what), "hook %s: ns per run (this run's sockets)", info.name);
		snprintf(measured, sizeof(measured), "%.0f ns over %llu runs",
			 (double)info.run_time_ns / info.run_cnt,
			 (unsigned long long)info.run_cnt);
		printf("%-40s %s\n", what, measured);
		bench_goal("steer", what, measured, "-", BENCH_INFO);
	}
}

static void usage(const char *prog)
{
	fprintf(stderr, "usage: %s [-o DIR] [-r ROUNDS] [-d SECONDS] [-s SCENARIOS]\n"
		"  -o DIR        results directory (build/bench)\n"
		"  -r ROUNDS     kill -9 rounds (20); nginx cycles and haproxy reloads scale\n"
		"  -d SECONDS    idle measurement (60)\n"
		"  -s SCENARIOS  some of kill,nginx,haproxy,mworker,upgrade,unbound,idle (all)\n"
		"  -f            the daemon with --realtime (SCHED_FIFO priority 1)\n", prog);
	exit(2);
}

int main(int argc, char **argv)
{
	const char *outdir = "build/bench";
	const char *only = "kill,nginx,haproxy,mworker,upgrade,unbound,idle";
	int rounds = 20, secs = 60, failed = 0, stats_fd, groups = 0;
	struct result *r = calloc(6, sizeof(*r));
	char path[700];
	double share = 0;
	FILE *csv;
	const struct bench_opt opts[] = {
		{ 'o', 's', &outdir }, { 'r', 'i', &rounds }, { 'd', 'i', &secs },
		{ 's', 's', &only }, { 'f', 'b', &fifo }, { }
	};

	if (bench_getopts(argc, argv, opts) || rounds < 2 || rounds > 200 || secs < 1 || !r)
		usage(argv[0]);
	if (bench_build_dir(bin, sizeof(bin)))
		return 1;
	if (bench_init(outdir, 4096, -1)) {
		fprintf(stderr, "steer: namespaces: %s (root?)\n", strerror(errno));
		return 1;
	}
	/* the daemon's state file: a private /run/pcbgroupd */
	mkdir("/run/pcbgroupd", 0755);
	mount("tmpfs", "/run/pcbgroupd", "tmpfs", 0, "mode=0755");
	snprintf(dir, sizeof(dir), "/tmp/pcbg-steer.XXXXXX");
	snprintf(logs, sizeof(logs), "%s", outdir);
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/decl", dir);
	mkdir(path, 0755);
	if (bindwatch_open(&bw)) {
		fprintf(stderr, "steer: bindwatch: %s\n", strerror(errno));
		return 1;
	}
	stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	csv = bench_open(outdir, "steer.csv", "scenario,what,value");
	if (!csv)
		return 1;
	if (strstr(only, "kill")) {
		failed |= run_kill(&r[0], rounds) < 0;
		report(csv, &r[0]);
	}
	if (strstr(only, "nginx")) {
		failed |= run_nginx(&r[1], rounds / 4 ? rounds / 4 : 1) < 0;
		report(csv, &r[1]);
	}
	if (strstr(only, "haproxy")) {
		failed |= run_haproxy(&r[2], rounds / 2) < 0;
		report(csv, &r[2]);
	}
	if (strstr(only, "mworker")) {
		failed |= run_mworker(&r[5], rounds / 2) < 0;
		report(csv, &r[5]);
	}
	if (strstr(only, "upgrade")) {
		failed |= run_upgrade(&r[3], rounds / 4 ? rounds / 4 : 1) < 0;
		report(csv, &r[3]);
	}
	if (strstr(only, "unbound")) {
		failed |= run_unbound(&r[4], rounds / 4 ? rounds / 4 : 1) < 0;
		report(csv, &r[4]);
	}
	hook_cost();
	if (stats_fd >= 0)
		close(stats_fd);
	bindwatch_close(bw);	/* the daemon's own hooks only, from here */
	if (strstr(only, "idle")) {
		char what[96], measured[64];

		if (run_idle(secs, &share, &groups)) {
			failed = 1;
		} else {
			printf("idle: %d groups steered, daemon CPU %.3f %% of one CPU over %d s\n",
			       groups, share, secs);
			fprintf(csv, "idle,cpu_percent,%.4f\n", share);
			snprintf(what, sizeof(what),
				 "idle: daemon CPU, %d UDP groups declared, %d s", groups, secs);
			snprintf(measured, sizeof(measured), "%.3f %%", share);
			bench_goal("steer", what, measured, "<= 0.1 %",
				   groups == IDLE_GROUPS && share <= 0.1);
		}
	}
	fclose(csv);
	/* what the daemon and the servers said, for a look afterwards */
	snprintf(path, sizeof(path), "cat %s/*.log > %s/steer.log; rm -rf %s", dir, logs, dir);
	if (system(path))
		failed = 1;
	return failed;
}
