// SPDX-License-Identifier: GPL-2.0
/*
 * tail: tail latency of a server whose workers block, under constant-rate
 * open-loop load, for the kernel's pick, hash-threshold and least-loaded,
 * side by side in one interleaved run.
 *
 * The server (-S) is echo_server -s: W sync workers, each its own
 * SO_REUSEPORT listener, serving one connection at a time; a request
 * "S <us>" holds its worker that long.  Or -S gunicorn: W gunicorn masters
 * started one by one, as W systemd instances would be, each with one sync
 * worker and its own --reuse-port listener, serving bench/tail_app.py,
 * whose "GET /<us> HTTP/1.0" holds the worker that long.  pcbgroupd
 * (declared for the server's process name) makes the group and, for
 * least-loaded, samples the accept queues every -l ms.  The client opens a
 * new connection per request on a fixed schedule (1/rate apart), whatever
 * is still in flight, and measures each latency from the scheduled send to
 * the answer, so that a stalled client does not hide the server's delay.
 *
 * Work (nominal capacity C = W / the mean service time):
 *   uneven   1 request in K (-k, 400) holds its worker S us (-s, 100 ms;
 *            gunicorn 250 ms), the others F us (-f, 4 ms; gunicorn 10 ms,
 *            so that its own CPU per request, some 0.3 ms, stays small
 *            beside it); at 50 % and 80 % of C
 *   even     every request holds its worker the mean; at 110 % of C
 *            (saturated): the throughput is the server's capacity
 * Variants: kernel (tcp_reuseport_ext=0: the program steps aside),
 * hash-threshold, least-loaded.  Each (variant, work) cell gets a slice of
 * -d seconds per round, in an order shuffled anew every round (-r rounds);
 * the latencies of a cell's slices are pooled.  The same requests (which
 * are slow) are sent to every variant of a round.  Also: each slice's late
 * share (late_pct()), the daemon's CPU during the least-loaded slices, and
 * the cost of one sample.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <sys/epoll.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "common.h"

#define PORT		8200
#define MAX_INFLIGHT	16384
#define DRAIN_NS	(5ULL * 1000000000ULL)	/* answers awaited after a slice */
#define ECHO_NAME	"tail_echo"	/* the server's name for the declaration */
#define GUNICORN	"/usr/bin/gunicorn"
#define GUNICORN_APP	"tail_app"	/* bench/tail_app.py, beside this program */
#define NV		3
#define NW		3

enum { W_UNEVEN_50, W_UNEVEN_80, W_EVEN_110 };
static const char *const work_names[NW] = { "uneven 50%", "uneven 80%", "even 110%" };
static const double work_load[NW] = { 0.5, 0.8, 1.1 };
static const int variants[NV] = { BENCH_KERNEL, PCBG_ALGO_HASH_THRESHOLD,
				   PCBG_ALGO_LEAST_LOADED };

static char bin[256];
static char dir[64];
static int workers = 8, every = 400, slow_us = -1, fast_us = -1;
static int load_ms = PCBG_LOAD_INTERVAL_MS;

/**
 * struct server - a server of sync workers the bench can run (-S).
 * @name: its -S name.
 * @process: its processes' name (/proc/PID/comm): the declaration's process.
 * @out: the results' name: @out.csv, @out.log, the goals' area.
 * @fast_us: -f by default.
 * @slow_us: -s by default.
 * @stop: the signal that stops it at once (gunicorn: SIGQUIT; SIGTERM
 *	waits for the workers).
 * @http: requests are HTTP/1.0, the answer is complete at the server's close.
 * @start: start it, its pids into @pids; how many, or -1.
 */
struct server {
	const char *name;
	const char *process;
	const char *out;
	int fast_us;
	int slow_us;
	int stop;
	int http;
	int (*start)(pid_t *pids);
};

static int start_echo(pid_t *pids);
static int start_gunicorn(pid_t *pids);

static const struct server servers[] = {
	{ "echo", ECHO_NAME, "tail", 4000, 100000, SIGTERM, 0, start_echo },
	{ "gunicorn", "gunicorn", "tail_gunicorn", 10000, 250000, SIGQUIT, 1, start_gunicorn },
	{ }
};

static const struct server *srv = &servers[0];

#define MAX_ROUNDS	50

/*
 * A slice's latencies (@lat, ms) and counts; for a (variant, work) pair,
 * the quantiles (p50, p99, p99.9), throughput and late share (late_pct())
 * of each round's slice, and sums over them.
 */
struct cell {
	double *lat;
	long n, room;
	long sent, answered, failed;
	double secs;
	__u64 daemon_ns;	/* the daemon's CPU during the slices */
	double q[3][MAX_ROUNDS];
	double tput[MAX_ROUNDS];
	double late[MAX_ROUNDS];
};

static struct cell cells[NV][NW];

/* The group pcbgroupd made of the server's sockets, all of them, or NULL. */
static struct pcbg_group *open_group(void)
{
	struct pcbg_group *grp = bench_pinned_group(PORT, NULL, 0);
	struct pcbg_group_info info;
	__u32 slot;
	int live = 0;

	if (!grp || pcbg_group_info(grp, &info))
		return grp;
	for (slot = 0; slot < info.nr_slots; slot++)
		live += pcbg_group_slot_live(grp, slot) == 1;
	if (live == workers)
		return grp;
	pcbg_group_free(grp);
	return NULL;
}

/* The variant's knobs, then SIGHUP: the daemon looks at its groups' algorithms. */
static int use_variant(struct pcbg_group *grp, pid_t daemon, int variant)
{
	struct pcbg_config cfg;
	int err = pcbg_group_config(grp, &cfg);

	if (err)
		return err;
	cfg.tcp_reuseport_ext = variant != BENCH_KERNEL;
	cfg.algorithm = variant == BENCH_KERNEL ? PCBG_ALGO_HASH_THRESHOLD : variant;
	err = pcbg_group_set_config(grp, &cfg);
	kill(daemon, SIGHUP);
	usleep(100 * 1000);
	return err;
}

/* A request's mean service time, us: the capacity is workers / that. */
static double mean_us(void)
{
	return fast_us * (1.0 - 1.0 / every) + (double)slow_us / every;
}

static void cell_add(struct cell *c, double ms)
{
	if (c->n == c->room) {
		double *p = realloc(c->lat, (c->room * 2 + 4096) * sizeof(*p));

		if (!p)
			return;
		c->lat = p;
		c->room = c->room * 2 + 4096;
	}
	c->lat[c->n++] = ms;
}

struct req {
	int fd;
	int sent;
	__u64 sched;
	const char *msg;
	char head[12];	/* HTTP: the answer's first octets */
	int got;
};

/* The request that holds a worker @us microseconds. */
static void fmt_request(char *buf, size_t size, double us)
{
	snprintf(buf, size, srv->http ? "GET /%.0f HTTP/1.0\r\n\r\n" : "S %.0f\n", us);
}

/*
 * Read what came for @r: 1 the answer is complete (echo_server: its first
 * octets; HTTP: the server closed after a 200), 0 more to come, -1 failed.
 */
static int read_answer(struct req *r)
{
	char buf[512];
	ssize_t n = recv(r->fd, buf, sizeof(buf), 0);
	int k;

	if (!srv->http || n < 0)
		return n > 0 ? 1 : -1;
	if (n > 0) {
		for (k = 0; k < n && r->got < (int)sizeof(r->head); k++)
			r->head[r->got++] = buf[k];
		return 0;
	}
	return r->got == sizeof(r->head) && !memcmp(r->head, "HTTP/1.", 7) &&
	       !memcmp(r->head + 8, " 200", 4) ? 1 : -1;
}

/*
 * One slice: requests at @rate per second for @secs, the slow ones chosen
 * from @seed, answered ones' latencies into @c.
 */
static int slice(struct cell *c, int work, double rate, double secs, unsigned int seed)
{
	static struct req reqs[MAX_INFLIGHT];
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(PORT),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	char fast[48], slow[48], even[48];
	__u64 start, end, next, interval = 1e9 / rate, now, wait_ns;
	struct timespec ts;
	int ep = epoll_create1(0), inflight = 0, i, n;
	struct epoll_event evs[256];
	long answered0 = c->answered;

	fmt_request(fast, sizeof(fast), fast_us);
	fmt_request(slow, sizeof(slow), slow_us);
	fmt_request(even, sizeof(even), mean_us());
	for (i = 0; i < MAX_INFLIGHT; i++)
		reqs[i].fd = -1;
	start = bench_wall_ns();
	end = start + secs * 1e9;
	next = start;
	while ((now = bench_wall_ns()) < end || (inflight && now < end + DRAIN_NS)) {
		while (now >= next && next < end) {
			struct epoll_event ev = { .events = EPOLLOUT };
			int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

			next += interval;
			c->sent++;
			if (fd >= 0 && fd < MAX_INFLIGHT &&
			    connect(fd, (struct sockaddr *)&a, sizeof(a)) && errno != EINPROGRESS) {
				close(fd);
				fd = -1;
			}
			if (fd < 0 || fd >= MAX_INFLIGHT) {
				c->failed++;
				if (fd >= 0)
					close(fd);
				continue;
			}
			reqs[fd] = (struct req){ .fd = fd, .sched = next - interval };
			if (work == W_EVEN_110)
				reqs[fd].msg = even;
			else
				reqs[fd].msg = rand_r(&seed) % every ? fast : slow;
			ev.data.fd = fd;
			epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
			inflight++;
		}
		now = bench_wall_ns();
		/* until the next send, to the microsecond: no spinning */
		wait_ns = next > now && next < end ? next - now : 1000000;
		ts.tv_sec = wait_ns / 1000000000ULL;
		ts.tv_nsec = wait_ns % 1000000000ULL;
		n = epoll_pwait2(ep, evs, 256, &ts, NULL);
		for (i = 0; i < n; i++) {
			struct req *r = &reqs[evs[i].data.fd];
			int done = 0;

			if (!r->sent) {
				struct epoll_event ev = { .events = EPOLLIN, .data.fd = r->fd };

				if (send(r->fd, r->msg, strlen(r->msg), MSG_NOSIGNAL) < 0) {
					done = -1;
				} else {
					r->sent = 1;
					epoll_ctl(ep, EPOLL_CTL_MOD, r->fd, &ev);
				}
			} else {
				done = read_answer(r);
			}
			if (!done)
				continue;
			if (done > 0) {
				now = bench_wall_ns();
				cell_add(c, (now - r->sched) / 1e6);
				/* throughput: answers within the slice only */
				c->answered += now < end;
			} else {
				c->failed++;
			}
			close(r->fd);
			r->fd = -1;
			r->sent = 0;
			r->got = 0;
			inflight--;
		}
	}
	for (i = 0; i < MAX_INFLIGHT; i++)
		if (reqs[i].fd >= 0) {
			close(reqs[i].fd);
			reqs[i].fd = -1;
			reqs[i].sent = 0;
			c->failed++;
		}
	close(ep);
	c->secs += secs;
	fprintf(stderr, "tail: %ld answered in the slice\n", c->answered - answered0);
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double quantile(struct cell *c, double q)
{
	long k;

	if (!c->n)
		return -1;
	k = (long)(q * (c->n - 1) + 0.5);
	return c->lat[k];
}

/* The cost of one pcbg_group_sample_load() in this process, us (thread CPU). */
static double sample_cost_us(struct pcbg_group *grp, int n)
{
	__u64 t0 = bench_cpu_ns();
	int i;

	for (i = 0; i < n; i++)
		if (pcbg_group_sample_load(grp))
			return -1;
	return (bench_cpu_ns() - t0) / 1e3 / n;
}

/*
 * The share of a slice's answers, %, that took half a slow request or more:
 * the slow ones themselves (100 / K %) and those a stall held.  Where it
 * is near 1 %, p99 lands on either side of it from round to round.
 */
static double late_pct(const struct cell *c)
{
	long i, late = 0;

	for (i = 0; i < c->n; i++)
		late += c->lat[i] >= slow_us / 2e3;
	return c->n ? 100.0 * late / c->n : 0;
}

static const char *const q_names[3] = { "p50", "p99", "p99.9" };

/* "med [min, max]" of @v over @n rounds, with @fmt. */
static void fmt_rounds(char *buf, size_t size, const double *v, int n, const char *fmt)
{
	struct bench_stat st;

	bench_stat(v, n, &st);
	bench_fmt_stat(buf, size, &st, fmt);
}

/* 0, or 1 after saying how many requests failed: their latencies are not in the table. */
static int failures(const char *outdir)
{
	long n = 0;
	int v, w;

	for (v = 0; v < NV; v++)
		for (w = 0; w < NW; w++)
			n += cells[v][w].failed;
	if (!n)
		return 0;
	fprintf(stderr, "tail: %ld requests failed (no answer%s): see %s/%s.log\n", n,
		srv->http ? ", or not a 200" : "", outdir, srv->out);
	return 1;
}

/* The table, OUT.csv and the goals: medians over the rounds. */
static int report(const char *outdir, int rounds, double cap, double sample_us)
{
	char what[128], measured[160], a[64], b[64], c3[64], t[64], late[64];
	double ratio[MAX_ROUNDS];
	struct bench_stat st;
	int v, w, r, k;
	FILE *csv;

	snprintf(t, sizeof(t), "%s.csv", srv->out);
	csv = bench_open(outdir, t, "variant,work,rate,round,answered_per_s,"
			 "p50_ms,p99_ms,p999_ms,late_pct");
	if (!csv)
		return 1;
	printf("%s, %d workers; medians over %d rounds [min, max]\n", srv->name, workers,
	       rounds);
	printf("%-15s %-11s %6s %-22s %-22s %-22s %-24s %-20s %6s %8s\n", "variant", "work",
	       "rate", "answered/s", "p50_ms", "p99_ms", "p99.9_ms", "late%", "failed", "daemon%");
	for (w = 0; w < NW; w++) {
		for (v = 0; v < NV; v++) {
			struct cell *c = &cells[v][w];

			for (r = 0; r < rounds; r++)
				fprintf(csv, "%s,%s,%.0f,%d,%.1f,%.3f,%.3f,%.3f,%.3f\n",
					bench_variant_name(variants[v]), work_names[w],
					cap * work_load[w], r, c->tput[r], c->q[0][r], c->q[1][r],
					c->q[2][r], c->late[r]);
			fmt_rounds(t, sizeof(t), c->tput, rounds, "%.0f");
			fmt_rounds(a, sizeof(a), c->q[0], rounds, "%.1f");
			fmt_rounds(b, sizeof(b), c->q[1], rounds, "%.1f");
			fmt_rounds(c3, sizeof(c3), c->q[2], rounds, "%.1f");
			fmt_rounds(late, sizeof(late), c->late, rounds, "%.2f");
			printf("%-15s %-11s %6.0f %-22s %-22s %-22s %-24s %-20s %6ld %8.3f\n",
			       bench_variant_name(variants[v]), work_names[w],
			       cap * work_load[w], t, a, b, c3, late, c->failed,
			       100.0 * c->daemon_ns / (c->secs * 1e9));
		}
	}
	fclose(csv);
	printf("one sample (pcbg_group_sample_load, %d listeners): %.1f us of CPU; "
	       "every %d ms: %.3f %% of a CPU\n", workers, sample_us, load_ms,
	       sample_us / (load_ms * 10.0));
	/* p99 and p99.9 of least-loaded and hash-threshold over the kernel's, per round */
	for (w = 0; w < W_EVEN_110; w++) {
		for (k = 1; k < 3; k++) {
			for (v = 1; v < NV; v++) {
				for (r = 0; r < rounds; r++)
					ratio[r] = cells[v][w].q[k][r] / cells[0][w].q[k][r];
				bench_stat(ratio, rounds, &st);
				bench_fmt_stat(measured, sizeof(measured), &st, "%.2f");
				snprintf(what, sizeof(what), "%s %s / kernel, %s",
					 q_names[k], bench_variant_name(variants[v]),
					 work_names[w]);
				bench_goal(srv->out, what, measured,
					   k == 1 && v == 2 ? "<= 0.5" : "-",
					   k == 1 && v == 2 ? st.med <= 0.5 : BENCH_INFO);
			}
		}
	}
	for (r = 0; r < rounds; r++)
		ratio[r] = cells[2][W_EVEN_110].tput[r] / cells[1][W_EVEN_110].tput[r];
	bench_stat(ratio, rounds, &st);
	bench_fmt_stat(measured, sizeof(measured), &st, "%.3f");
	bench_goal(srv->out, "throughput least-loaded / hash-threshold, even work, saturated",
		   measured, ">= 0.99", st.med >= 0.99);
	for (w = 0; w < W_EVEN_110; w++) {
		struct cell *c = &cells[2][w];

		snprintf(measured, sizeof(measured), "%.3f %%",
			 100.0 * c->daemon_ns / (c->secs * 1e9));
		snprintf(what, sizeof(what),
			 "pcbgroupd CPU, least-loaded (TCP counted by its hooks, -l %d), %s",
			 load_ms, work_names[w]);
		bench_goal(srv->out, what, measured, "<= 0.5 %",
			   100.0 * c->daemon_ns / (c->secs * 1e9) <= 0.5);
	}
	return failures(outdir);
}

static void usage(const char *prog)
{
	fprintf(stderr, "usage: %s [-S echo|gunicorn] [-o DIR] [-r ROUNDS] [-d SECS] [-w WORKERS]"
		" [-k K] [-s US] [-f US] [-l MS]\n", prog);
	exit(2);
}

/* echo_server -s, under a name of its own so that only our declaration finds it. */
static int start_echo(pid_t *pids)
{
	char path[300], target[300], wk[16], port[8];
	char *const argv[] = { path, "-t", "tcp", "-s", "-w", wk, "-p", port, NULL };

	snprintf(target, sizeof(target), "%s/echo_server", bin);
	snprintf(path, sizeof(path), "%s/" ECHO_NAME, dir);
	if (symlink(target, path))
		return -1;
	snprintf(wk, sizeof(wk), "%d", workers);
	snprintf(port, sizeof(port), "%d", PORT);
	pids[0] = bench_spawn(dir, "echo.log", argv);
	return 1;
}

/*
 * W gunicorn masters, each with one sync worker and its own --reuse-port
 * listener: one reuseport group of W sockets.  One master of W workers
 * would make one socket that its workers share: nothing to steer.
 */
static int start_gunicorn(pid_t *pids)
{
	char app[300], bind[32];
	char *const argv[] = { GUNICORN, "--workers", "1", "--worker-class", "sync",
			       "--reuse-port", "-b", bind, "--chdir", app, GUNICORN_APP ":app",
			       NULL };
	int i;

	snprintf(app, sizeof(app), "%s/bench/" GUNICORN_APP ".py", bin);
	if (access(GUNICORN, X_OK) || access(app, R_OK)) {
		fprintf(stderr, "tail: %s: %s (scripts/deps.sh installs gunicorn, make bench-progs "
			"the app)\n", access(GUNICORN, X_OK) ? GUNICORN : app, strerror(errno));
		return -1;
	}
	snprintf(app, sizeof(app), "%s/bench", bin);
	snprintf(bind, sizeof(bind), "127.0.0.1:%d", PORT);
	for (i = 0; i < workers; i++)
		pids[i] = bench_spawn(dir, "gunicorn.log", argv);
	return workers;
}

/* -S NAME, or NULL. */
static const struct server *find_server(const char *name)
{
	const struct server *s;

	for (s = servers; s->name; s++)
		if (!strcmp(s->name, name))
			return s;
	return NULL;
}

int main(int argc, char **argv)
{
	const char *outdir = "build/bench", *server = "echo";
	int rounds = 3, v, w, r, order[NV * NW], k, failed = 0, nservers = 0;
	char path[700], lms[16];
	double secs = 4, cap, sample_us;
	unsigned int seed = 1;
	pid_t servers_pid[64], daemon = 0;
	struct pcbg_group *grp = NULL;
	__u64 d0;
	FILE *f;
	const struct bench_opt opts[] = {
		{ 'o', 's', &outdir }, { 'r', 'i', &rounds }, { 'd', 'd', &secs },
		{ 'w', 'i', &workers }, { 'k', 'i', &every }, { 's', 'i', &slow_us },
		{ 'f', 'i', &fast_us }, { 'l', 'i', &load_ms }, { 'S', 's', &server }, { }
	};

	if (bench_getopts(argc, argv, opts))
		usage(argv[0]);
	srv = find_server(server);
	if (!srv)
		usage(argv[0]);
	if (fast_us == -1)
		fast_us = srv->fast_us;
	if (slow_us == -1)
		slow_us = srv->slow_us;
	if (rounds < 1 || rounds > MAX_ROUNDS || secs < 0.5 ||
	    secs > 60 || workers < 2 || workers > 64 || every < 2 || slow_us < 1 ||
	    slow_us > 1000000 || fast_us < 0 || fast_us > 1000000 || load_ms < 1)
		usage(argv[0]);
	cap = 1e6 * workers / mean_us();
	if (bench_build_dir(bin, sizeof(bin)))
		return 1;
	if (bench_init(outdir, MAX_INFLIGHT + 256, -1)) {
		fprintf(stderr, "tail: namespaces: %s (root?)\n", strerror(errno));
		return 1;
	}
	f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "w");
	if (f) {
		fputs("1024 65000\n", f);
		fclose(f);
	}
	mkdir("/run/pcbgroupd", 0755);
	mount("tmpfs", "/run/pcbgroupd", "tmpfs", 0, "mode=0755");
	snprintf(dir, sizeof(dir), "/tmp/pcbg-tail.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/decl", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/decl/tail.conf", dir);
	f = fopen(path, "w");
	if (!f)
		return 1;
	fprintf(f, "port = %d\nproto = tcp\nprocess = %s\n", PORT, srv->process);
	fclose(f);
	nservers = srv->start(servers_pid);
	if (nservers < 0) {
		failed = 1;
		goto out;
	}
	snprintf(lms, sizeof(lms), "%d", load_ms);
	{
		char d[300], decl[128];
		char *const dargv[] = { d, "-c", decl, "-l", lms, NULL };

		usleep(300 * 1000);
		snprintf(d, sizeof(d), "%s/pcbgroupd", bin);
		snprintf(decl, sizeof(decl), "%s/decl", dir);
		daemon = bench_spawn(dir, "daemon.log", dargv);
	}
	/* gunicorn's masters take seconds to start side by side */
	for (k = 0; k < 300 && !(grp = open_group()); k++)
		usleep(100 * 1000);
	if (!grp) {
		fprintf(stderr, "tail: pcbgroupd made no group of %d sockets on port %d\n",
			workers, PORT);
		failed = 1;
		goto out;
	}
	fprintf(stderr, "tail: %s, %d workers, requests of %d us, 1 in %d of %d us: "
		"capacity %.0f/s\n", srv->name, workers, fast_us, every, slow_us, cap);
	for (k = 0; k < NV * NW; k++)
		order[k] = k;
	for (r = -1; r < rounds; r++) {
		bench_shuffle(order, NV * NW, &seed);
		for (k = 0; k < NV * NW; k++) {
			struct cell one = {}, *c;

			v = order[k] / NW;
			w = order[k] % NW;
			if (r < 0 && w != W_UNEVEN_50)
				continue;	/* a warm-up slice per variant */
			if (use_variant(grp, daemon, variants[v])) {
				failed = 1;
				goto out;
			}
			fprintf(stderr, "tail: round %d: %s, %s\n", r,
				bench_variant_name(variants[v]), work_names[w]);
			d0 = bench_proc_cpu_ns(daemon);
			slice(&one, w, cap * work_load[w], r < 0 ? 1 : secs, 1000 + r * NW + w);
			if (r >= 0) {
				c = &cells[v][w];
				c->daemon_ns += bench_proc_cpu_ns(daemon) - d0;
				qsort(one.lat, one.n, sizeof(double), cmp_double);
				c->q[0][r] = quantile(&one, 0.5);
				c->q[1][r] = quantile(&one, 0.99);
				c->q[2][r] = quantile(&one, 0.999);
				c->tput[r] = one.answered / one.secs;
				c->late[r] = late_pct(&one);
				c->failed += one.failed;
				c->secs += one.secs;
			}
			free(one.lat);
			usleep(200 * 1000);	/* the queues empty */
		}
	}
	sample_us = sample_cost_us(grp, 2000);
	failed |= report(outdir, rounds, cap, sample_us);
out:
	pcbg_group_free(grp);
	bench_stop(&daemon, SIGTERM);
	for (k = 0; k < nservers; k++)
		bench_stop(&servers_pid[k], srv->stop);
	snprintf(path, sizeof(path), "cat %s/*.log > %s/%s.log; rm -rf %s", dir, outdir, srv->out,
		 dir);
	if (system(path))
		failed = 1;
	return failed;
}
