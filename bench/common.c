// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers of the bench/ programs (see common.h).  Everything runs in a
 * network namespace of its own on loopback, where a datagram sent is
 * received, socket lookup and reuseport pick included, before the send call
 * returns: so the sender's CPU time covers the receive path being measured.
 */
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "common.h"
#include "netns.h"
#include "noop.skel.h"

#define UDP_RCVBUF	(1 << 20)

/*
 * What every datagram carries: a QUIC short header's first octets, whose
 * destination connection ID (BENCH_QUIC_CID_LEN octets, the flow and tag
 * its nonce) names a slot when bench_tx_set_slots() asked for it; its flow
 * and the pass it belongs to.
 */
struct bench_payload {
	__u8 quic[4];
	__u32 flow;
	__u32 tag;
};

struct bench_pkt {
	struct iphdr ip;
	struct udphdr udp;
	struct bench_payload data;
};

_Static_assert(sizeof(struct bench_pkt) == 40, "IPv4 + UDP + payload, no padding");

struct bench_tx {
	int fd;
	__u32 slots;	/* CIDs name one of slots 0..slots-1; 0: no CID of ours */
	struct sockaddr_in dst;
	struct bench_pkt pkt[BENCH_BATCH];
	struct iovec iov[BENCH_BATCH];
	struct mmsghdr msg[BENCH_BATCH];
};

static const char *const algo_names[] = PCBG_ALGO_NAMES;
static char goals_path[4096];
static int stats_fd = -1;	/* BPF_ENABLE_STATS held, or -1 */
static int stats_sysctl_was = -1;	/* the sysctl before bench_stats_on(), or -1 */

/*
 * Own network and mount namespace with loopback up and a bpffs of its own;
 * more descriptors; with @cpu >= 0, run on that CPU only.
 */
int bench_init(const char *outdir, int nofile, int cpu)
{
	struct rlimit rl;
	char dir[4096], *p;
	int err;

	/* the results directory and its parents, as mkdir -p */
	snprintf(dir, sizeof(dir), "%s/", outdir);
	for (p = strchr(dir + 1, '/'); p; p = strchr(p + 1, '/')) {
		*p = '\0';
		mkdir(dir, 0755);	/* EEXIST, or the first fopen() says why not */
		*p = '/';
	}
	snprintf(goals_path, sizeof(goals_path), "%s/goals.tsv", outdir);
	err = setup_namespaces();
	if (err)
		return err;
	/* as many as asked for, within the hard limit (no CAP_SYS_RESOURCE) */
	if (getrlimit(RLIMIT_NOFILE, &rl))
		return -errno;
	rl.rlim_cur = (rlim_t)nofile < rl.rlim_max ? (rlim_t)nofile : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		return -errno;
	return cpu >= 0 ? bench_pin(cpu) : 0;
}

/* Say why @name could not start (-@err, or errno if @err is 0); 1, its exit status. */
int bench_setup_failed(const char *name, int err)
{
	fprintf(stderr, "%s: setup: %s\n", name, strerror(err ? -err : errno));
	return 1;
}

/* The first line of a run on one CPU with UDP and TCP slices. */
void bench_banner(const char *name, const struct bench_opts *o)
{
	printf("%s: CPU %d of %d; %d repetitions of %d rounds; "
	       "a slice is %d datagrams or %ld connections\n",
	       name, o->cpu, bench_ncpus(), o->reps, o->rounds, BENCH_BATCH, o->tcp_slice);
}

#define STATS_SYSCTL	"/proc/sys/kernel/bpf_stats_enabled"

static int sysctl_stats(int on)
{
	char buf[16] = "";
	FILE *f = fopen(STATS_SYSCTL, "r+");
	int err = 0;

	if (!f)
		return -errno;
	if (on) {
		if (!fgets(buf, sizeof(buf), f))
			err = -EIO;
		stats_sysctl_was = atoi(buf);
		rewind(f);
	}
	if (!err && fprintf(f, "%d\n", on) < 0)
		err = -EIO;
	if (fclose(f) && !err)
		err = -errno;
	return err;
}

static void stats_off(void)
{
	if (stats_fd >= 0)
		close(stats_fd);
	if (stats_sysctl_was == 0)
		sysctl_stats(0);
}

/*
 * BPF run-time statistics on for as long as this process runs: with
 * BPF_ENABLE_STATS they go off by themselves when its descriptor closes,
 * whatever happens; the sysctl, the fallback, is put back at exit.
 */
int bench_stats_on(void)
{
	stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (stats_fd < 0 && sysctl_stats(1))
		return stats_fd;
	atexit(stats_off);
	return 0;
}

/*
 * The setup a run starts with: bench_init() (pinned to @o->cpu unless
 * BENCH_RUN_ANY_CPU), with BENCH_RUN_STATS bench_stats_on(), the no-op
 * program, the raw sender, and @name_raw.csv and @name.csv in @o->outdir
 * with their header lines.  0, or 1 (the exit status) after saying why.
 */
int bench_run_open(struct bench_run *r, const char *name, const struct bench_opts *o,
		   int flags, const char *raw_header, const char *sum_header)
{
	char file[256];
	int err;

	memset(r, 0, sizeof(*r));
	err = bench_init(o->outdir, 65536, flags & BENCH_RUN_ANY_CPU ? -1 : o->cpu);
	if (!err && (flags & BENCH_RUN_STATS))
		err = bench_stats_on();
	if (err)
		return bench_setup_failed(name, err);
	r->noop = noop_bpf__open_and_load();
	r->noop_fd = r->noop ? bpf_program__fd(r->noop->progs.bench_noop) : -1;
	r->tx = bench_tx_open();
	snprintf(file, sizeof(file), "%s_raw.csv", name);
	r->raw = bench_open(o->outdir, file, raw_header);
	snprintf(file, sizeof(file), "%s.csv", name);
	r->sum = bench_open(o->outdir, file, sum_header);
	if (!r->noop || !r->tx || !r->raw || !r->sum)
		return bench_setup_failed(name, 0);
	return 0;
}

void bench_run_close(struct bench_run *r)
{
	fclose(r->raw);
	fclose(r->sum);
	bench_tx_close(r->tx);
	noop_bpf__destroy(r->noop);
}

int bench_pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

int bench_ncpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n;
}

static __u64 clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

__u64 bench_cpu_ns(void)
{
	return clock_ns(CLOCK_THREAD_CPUTIME_ID);
}

__u64 bench_wall_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

const char *bench_variant_name(int variant)
{
	if (variant == BENCH_KERNEL)
		return "kernel";
	if (variant == BENCH_NOOP)
		return "noop";
	if (variant >= 0 && variant < PCBG_ALGO_NR)
		return algo_names[variant];
	return "?";
}

/* "2,16,256" into @out; returns how many, or -1. */
int bench_parse_list(const char *s, int *out, int max)
{
	int n = 0;
	char *end;

	while (*s && n < max) {
		out[n++] = strtol(s, &end, 10);
		if (end == s || (*end && *end != ','))
			return -1;
		s = *end ? end + 1 : end;
	}
	return *s ? -1 : n;
}

/* -L LIVE,...: counts of live flows, each 1..PCBG_FLOWS_MAX; how many, or -1. */
int bench_parse_flow_counts(const char *s, int *out, int max)
{
	int i, n = bench_parse_list(s, out, max);

	for (i = 0; i < n; i++)
		if (out[i] < 1 || out[i] > (int)PCBG_FLOWS_MAX)
			return -1;
	return n;
}

/* A flow table for @live flows: a power of two, with room for 1/16 more. */
__u32 bench_flow_entries(__u32 live)
{
	__u64 want = live + live / 16, n = PCBG_FLOWS_MIN;

	while (n < want && n < PCBG_FLOWS_MAX)
		n <<= 1;
	return n;
}

/* getopt() over @opts, which end with { 0 }: 0, or -1 on an option not among them. */
int bench_getopts(int argc, char **argv, const struct bench_opt *opts)
{
	const struct bench_opt *p;
	char optstring[64] = "";
	size_t len = 0;
	int c;

	for (p = opts; p->c && len + 2 < sizeof(optstring); p++) {
		optstring[len++] = p->c;
		if (p->type != 'b')
			optstring[len++] = ':';
	}
	while ((c = getopt(argc, argv, optstring)) != -1) {
		for (p = opts; p->c && p->c != c; p++)
			;
		switch (p->c ? p->type : 0) {
		case 's':
			*(const char **)p->p = optarg;
			break;
		case 'i':
			*(int *)p->p = atoi(optarg);
			break;
		case 'd':
			*(double *)p->p = atof(optarg);
			break;
		case 'b':
			*(int *)p->p = 1;
			break;
		default:
			return -1;
		}
	}
	return 0;
}

/*
 * getopt over @optstring (a subset of "o:r:R:t:n:c:p:L:gh", plus the letters
 * @own takes: 0, or -1 for a bad value), then checks the values.  0 or -1.
 */
int bench_parse(int argc, char **argv, const char *optstring, struct bench_opts *o,
		int max_n, int (*own)(int c, const char *arg, struct bench_opts *o))
{
	static const struct option longopts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "reps", required_argument, NULL, 'r' },
		{ "rounds", required_argument, NULL, 'R' },
		{ "conns", required_argument, NULL, 't' },
		{ "flows", required_argument, NULL, 'f' },
		{ "n", required_argument, NULL, 'n' },
		{ "algos", required_argument, NULL, 'a' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "proto", required_argument, NULL, 'p' },
		{ "goals", no_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ }
	};
	int c, i, err = 0;

	while (!err && (c = getopt_long(argc, argv, optstring, longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			o->outdir = optarg;
			break;
		case 'r':
			o->reps = atoi(optarg);
			break;
		case 'R':
			o->rounds = atoi(optarg);
			break;
		case 't':
			o->tcp_slice = atol(optarg);
			break;
		case 'f':
			o->flows = atoi(optarg);
			break;
		case 'n':
			o->nn = bench_parse_list(optarg, o->n, max_n);
			break;
		case 'c':
			o->cpu = atoi(optarg);
			err = o->cpu < 0;
			break;
		case 'p':
			o->udp = !strcmp(optarg, "udp");
			o->tcp = !strcmp(optarg, "tcp");
			break;
		case 'g':
			o->goals = 1;
			break;
		case 'L':
			o->nl = bench_parse_flow_counts(optarg, o->live, BENCH_MAX_L);
			err = o->nl < 1;
			break;
		default:
			err = !own || c == 'h' || c == '?' || own(c, optarg, o);
		}
	}
	if (err || optind < argc || o->reps < 1 || o->reps > BENCH_MAX_REPS || o->nn < 1 ||
	    o->rounds < 1 || o->tcp_slice < 1 || (!o->udp && !o->tcp) || o->cpu >= bench_ncpus())
		return -1;
	for (i = 0; i < o->nn; i++)
		if (o->n[i] < (o->min_n ? o->min_n : 1) || o->n[i] > PCBG_SLOTS_DEFAULT)
			return -1;
	if (o->cpu < 0)
		o->cpu = bench_ncpus() - 1;
	return 0;
}

static void loopback(struct sockaddr_in *sin, int port)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
}

/*
 * A non-blocking SO_REUSEPORT socket on 127.0.0.1:@port: UDP with a
 * receive buffer that holds a batch, or a TCP listener whose accepted
 * sockets close with a reset (SO_LINGER 0 is inherited), so that no
 * TIME_WAIT piles up over thousands of connections.
 */
int bench_socket(int proto, int port)
{
	int type = proto == IPPROTO_TCP ? SOCK_STREAM : SOCK_DGRAM;
	struct linger lin = { 1, 0 };
	int fd, one = 1, buf = UDP_RCVBUF;
	struct sockaddr_in sin;

	loopback(&sin, port);
	fd = socket(AF_INET, type | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)))
		goto err;
	if (type == SOCK_DGRAM &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)))
		goto err;
	if (type == SOCK_STREAM &&
	    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lin, sizeof(lin)))
		goto err;
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)))
		goto err;
	if (type == SOCK_STREAM && listen(fd, 4096))
		goto err;
	return fd;
err:
	one = -errno;
	close(fd);
	return one;
}

int bench_group_watch(struct bench_group *g, int idx)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = idx };

	return epoll_ctl(g->ep, EPOLL_CTL_ADD, g->fds[idx], &ev) ? -errno : 0;
}

/*
 * @n sockets on @port and, unless @capacity is BENCH_NO_PCBG, a pcbgroup
 * group of that capacity (0: the default) holding them, socket i on CPU
 * i % CPUs, filled with one publish and not attached yet.  The group starts
 * as BENCH_KERNEL.
 */
int bench_group_create(struct bench_group *g, int proto, int port, int n,
		       int capacity)
{
	return bench_group_create_flows(g, proto, port, n, capacity, 0);
}

/* The same, with a flow table of @flows entries (0: the library's default). */
int bench_group_create_flows(struct bench_group *g, int proto, int port, int n,
			     int capacity, __u32 flows)
{
	int i, err, ncpus = bench_ncpus();

	memset(g, 0, sizeof(*g));
	g->proto = proto;
	g->port = port;
	g->variant = BENCH_KERNEL;
	g->fds = calloc(n, sizeof(*g->fds));
	g->ep = epoll_create1(0);
	if (!g->fds || g->ep < 0)
		return -ENOMEM;
	for (g->n = 0; g->n < n; g->n++) {
		g->fds[g->n] = bench_socket(proto, port);
		if (g->fds[g->n] < 0)
			return g->fds[g->n];
		err = bench_group_watch(g, g->n);
		if (err)
			return err;
	}
	if (capacity == BENCH_NO_PCBG)
		return 0;
	err = pcbg_group_create_flows(&g->grp, capacity, flows);
	for (i = 0; !err && i < n; i++) {
		err = pcbg_group_place_socket(g->grp, g->fds[i], i % ncpus, 0);
		if (err == i)
			err = 0;
		else if (err >= 0)
			err = -EINVAL;
	}
	if (!err)
		err = pcbg_group_publish(g->grp);
	/* with pcbgroup.ko loaded, a group is registered, as pcbgroupctl does */
	if (!err && pcbg_module_loaded())
		err = pcbg_group_register(g->grp, 0) < 0 ? -EIO : 0;
	return err;
}

/* One more socket on the group's port, last; returns its index. */
int bench_group_grow(struct bench_group *g)
{
	int *fds = realloc(g->fds, (g->n + 1) * sizeof(*fds)), err;

	if (!fds)
		return -ENOMEM;
	g->fds = fds;
	fds[g->n] = bench_socket(g->proto, g->port);
	if (fds[g->n] < 0)
		return fds[g->n];
	err = bench_group_watch(g, g->n);
	if (err) {
		close(fds[g->n]);
		return err;
	}
	return g->n++;
}

/* Close the last socket, the one bench_group_grow() made. */
void bench_group_shrink(struct bench_group *g)
{
	if (g->n && g->fds[g->n - 1] >= 0)
		close(g->fds[g->n - 1]);
	if (g->n)
		g->n--;
}

void bench_group_destroy(struct bench_group *g)
{
	int i;

	if (g->grp) {
		pcbg_group_remove_sockets(g->grp);
		pcbg_group_free(g->grp);
	}
	for (i = 0; i < g->n; i++)
		if (g->fds[i] >= 0)
			close(g->fds[i]);
	if (g->ep >= 0)
		close(g->ep);
	free(g->fds);
	bench_group_init(g);
}

/* An empty group, as bench_group_destroy() leaves one and takes one. */
void bench_group_init(struct bench_group *g)
{
	memset(g, 0, sizeof(*g));
	g->ep = -1;
}

/* Slices of kind @t (0 UDP, 1 TCP): their protocol if -p chose them, else 0. */
int bench_proto(const struct bench_opts *o, int t)
{
	if (!(t ? o->tcp : o->udp))
		return 0;
	return t ? IPPROTO_TCP : IPPROTO_UDP;
}

int bench_set_knob(struct pcbg_group *grp, const char *name, const char *value)
{
	struct pcbg_config cfg;
	int err;

	err = pcbg_group_config(grp, &cfg);
	if (!err)
		err = pcbg_config_set_knob(&cfg, name, value);
	return err ? err : pcbg_group_set_config(grp, &cfg);
}

/* run_cnt and run_time_ns of program @fd (kernel.bpf_stats_enabled on). */
int bench_prog_stats(int fd, __u64 *runs, __u64 *run_ns)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	*runs = info.run_cnt;
	*run_ns = info.run_time_ns;
	return 0;
}

/*
 * bench_udp_sample() into @s; with @prog_fd >= 0 timed by that program's
 * run-time statistics, its runs and their time added to @c unless NULL.
 */
int bench_udp_prog_sample(struct bench_tx *tx, struct bench_group *g, long count, __u32 space,
			  __u32 *next, int prog_fd, struct bench_flow_cell *c,
			  struct bench_sample *s)
{
	__u64 runs0 = 0, ns0 = 0, runs1 = 0, ns1 = 0;
	int err = prog_fd < 0 ? 0 : bench_prog_stats(prog_fd, &runs0, &ns0);

	if (!err)
		err = bench_udp_sample(tx, g, count, space, next, s);
	if (!err && prog_fd >= 0)
		err = bench_prog_stats(prog_fd, &runs1, &ns1);
	if (!err && c) {
		c->runs += runs1 - runs0;
		c->run_ns += ns1 - ns0;
	}
	return err;
}

/* Packets the program left to the kernel's pick, whatever the reason. */
__u64 bench_fallbacks(struct pcbg_group *grp)
{
	__u64 st[PCBG_STAT_NR];

	return pcbg_group_stats(grp, st) ? ~0ULL : pcbg_fallbacks(st);
}

/*
 * A descriptor of the group's program, for bpf_obj_get_info_by_fd(): the
 * library's public API hands it out only as a pin, so pin the group in the
 * private bpffs of bench_init(), open the program and unpin.
 */
int bench_group_prog_fd(struct bench_group *g)
{
	char dir[64], path[96];
	int fd, err;

	if (!g->grp)
		return -EINVAL;
	snprintf(dir, sizeof(dir), "/sys/fs/bpf/bench-%d-%d", getpid(), g->port);
	snprintf(path, sizeof(path), "%s/%s", dir, PCBG_PIN_PROG);
	err = pcbg_group_pin(g->grp, dir);
	if (err)
		return err;
	fd = bpf_obj_get(path);
	err = fd < 0 ? -errno : 0;
	pcbg_unpin(dir);
	return err ? err : fd;
}

/* Let @variant pick for the group from the next packet on. */
int bench_group_use(struct bench_group *g, int variant, int noop_fd)
{
	int i, fd = -1, err = 0;

	for (i = 0; i < g->n && fd < 0; i++)
		fd = g->fds[i];
	if (fd < 0)
		return -EBADF;
	if (variant == BENCH_KERNEL) {
		err = pcbg_detach(fd);
		if (err == -ENOENT)
			err = 0;
	} else if (variant == BENCH_NOOP) {
		if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_EBPF,
			       &noop_fd, sizeof(noop_fd)))
			err = -errno;
	} else if (!g->grp || variant >= PCBG_ALGO_NR) {
		err = -EINVAL;
	} else {
		err = bench_set_knob(g->grp, "algorithm", algo_names[variant]);
		if (!err)
			err = pcbg_group_attach(g->grp, fd);
	}
	if (!err)
		g->variant = variant;
	return err;
}

/* A raw IPv4 socket that writes whole UDP datagrams, many at a call. */
struct bench_tx *bench_tx_open(void)
{
	struct bench_tx *tx = calloc(1, sizeof(*tx));
	int i;

	if (!tx)
		return NULL;
	tx->fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (tx->fd < 0) {
		free(tx);
		return NULL;
	}
	loopback(&tx->dst, 0);
	for (i = 0; i < BENCH_BATCH; i++) {
		struct bench_pkt *p = &tx->pkt[i];

		p->ip.version = 4;
		p->ip.ihl = 5;
		p->ip.ttl = 64;
		p->ip.protocol = IPPROTO_UDP;
		p->ip.tot_len = htons(sizeof(*p));
		p->ip.daddr = htonl(INADDR_LOOPBACK);
		p->udp.len = htons(sizeof(p->udp) + sizeof(p->data));
		tx->iov[i].iov_base = p;
		tx->iov[i].iov_len = sizeof(*p);
		tx->msg[i].msg_hdr.msg_iov = &tx->iov[i];
		tx->msg[i].msg_hdr.msg_iovlen = 1;
		tx->msg[i].msg_hdr.msg_name = &tx->dst;
		tx->msg[i].msg_hdr.msg_namelen = sizeof(tx->dst);
	}
	return tx;
}

void bench_tx_close(struct bench_tx *tx)
{
	if (!tx)
		return;
	close(tx->fd);
	free(tx);
}

void bench_tx_set_slots(struct bench_tx *tx, __u32 slots)
{
	tx->slots = slots;
}

/* Flows [@first, @first + @count) to 127.0.0.1:@dport, one datagram each. */
int bench_tx_send(struct bench_tx *tx, int dport, __u32 first, int count,
		  __u32 tag)
{
	int i, sent = 0, n;

	if (count > BENCH_BATCH)
		count = BENCH_BATCH;
	for (i = 0; i < count; i++) {
		struct bench_pkt *p = &tx->pkt[i];
		__u32 f = first + i;
		/* flows scattered over the slots, as a hash spreads them */
		__u32 slot = ((__u64)(f * 0x9e3779b9U) * tx->slots) >> 32;

		p->ip.saddr = htonl(0x7f000000 | (2 + f / BENCH_PORTS));
		p->udp.source = htons(1024 + f % BENCH_PORTS);
		p->udp.dest = htons(dport);
		p->data.flow = f;
		p->data.tag = tag;
		/* short header, fixed bit; the CID's first octets (PCBG_QUIC_CID_MIN) */
		p->data.quic[0] = 0x40;
		p->data.quic[1] = tx->slots ? BENCH_QUIC_CID_LEN - 1 : 0;
		p->data.quic[2] = slot >> 8;
		p->data.quic[3] = slot & 0xff;
	}
	while (sent < count) {
		n = sendmmsg(tx->fd, tx->msg + sent, count - sent, 0);
		if (n <= 0)
			return sent ? sent : -errno;
		sent += n;
	}
	return sent;
}

/*
 * Receive all that is queued on the group's sockets.  Datagrams of pass
 * @tag for flows [@base, @base + @nflows) are counted: where[flow - base]
 * gets the socket's index, counts[index] one more.  Returns how many.
 */
long bench_drain(struct bench_group *g, __u32 tag, __u32 base, __u32 nflows,
		 int *where, long *counts)
{
	struct bench_payload buf[64];
	struct epoll_event evs[512];
	struct mmsghdr msg[64];
	struct iovec iov[64];
	long got = 0;
	int i, n, e, r;

	for (i = 0; i < 64; i++) {
		iov[i].iov_base = &buf[i];
		iov[i].iov_len = sizeof(buf[i]);
		memset(&msg[i], 0, sizeof(msg[i]));
		msg[i].msg_hdr.msg_iov = &iov[i];
		msg[i].msg_hdr.msg_iovlen = 1;
	}
	while ((n = epoll_wait(g->ep, evs, 512, 0)) > 0) {
		for (e = 0; e < n; e++) {
			int idx = evs[e].data.u32;

			do {
				r = recvmmsg(g->fds[idx], msg, 64, MSG_DONTWAIT, NULL);
				for (i = 0; i < r; i++) {
					__u32 f = buf[i].flow - base;

					if (msg[i].msg_len != sizeof(buf[i]) ||
					    buf[i].tag != tag || f >= nflows)
						continue;
					if (where)
						where[f] = idx;
					if (counts)
						counts[idx]++;
					got++;
				}
			} while (r == 64);
		}
	}
	return got;
}

/*
 * Send flows [@base, @base + @nflows) a batch at a time, receiving each
 * batch.  Returns how many of them arrived.
 */
long bench_flows(struct bench_tx *tx, struct bench_group *g, __u32 base,
		 __u32 nflows, __u32 tag, int *where, long *counts)
{
	long got = 0;
	__u32 i;
	int n;

	for (i = 0; i < nflows; i += BENCH_BATCH) {
		n = nflows - i < BENCH_BATCH ? nflows - i : BENCH_BATCH;
		n = bench_tx_send(tx, g->port, base + i, n, tag);
		if (n < 0)
			return n;
		got += bench_drain(g, tag, base, nflows, where, counts);
	}
	return got;
}

/*
 * @count datagrams to group @g, cycling over flows [0, @space) from *@next.
 * Timed: the sendmmsg() calls, in which loopback runs the receive path up to
 * the socket's queue.  The receiver's draining between batches is not
 * timed, so its cost, the same for every variant, does not dilute the ratio.
 */
int bench_udp_sample(struct bench_tx *tx, struct bench_group *g, long count,
		     __u32 space, __u32 *next, struct bench_sample *s)
{
	__u64 loop0 = bench_cpu_ns(), c0, w0;
	long sent = 0;
	int n, batch;

	memset(s, 0, sizeof(*s));
	while (sent < count) {
		batch = count - sent < BENCH_BATCH ? count - sent : BENCH_BATCH;
		if (*next + batch > space)
			*next = 0;
		w0 = bench_wall_ns();
		c0 = bench_cpu_ns();
		n = bench_tx_send(tx, g->port, *next, batch, 0);
		s->cpu_ns += bench_cpu_ns() - c0;
		s->wall_ns += bench_wall_ns() - w0;
		if (n < 0)
			return n;
		*next += n;
		sent += n;
		s->ops += bench_drain(g, 0, 0, space, NULL, NULL);
	}
	s->loop_ns = bench_cpu_ns() - loop0;
	s->lost = sent - s->ops;
	return 0;
}

/*
 * @count connections to group @g, one at a time: connect (loopback
 * completes the handshake, listener pick included, inside connect()), wait
 * for the one listener that got it, accept, close both.  One at a time, the
 * work per connection is the same whichever listener gets it and however
 * many there are.  All of it is timed.
 */
int bench_tcp_sample(struct bench_group *g, long count,
		     struct bench_sample *s)
{
	__u64 c0 = bench_cpu_ns(), w0 = bench_wall_ns();
	struct sockaddr_in dst;
	struct epoll_event ev;
	int c, a;
	long i;

	memset(s, 0, sizeof(*s));
	loopback(&dst, g->port);
	for (i = 0; i < count; i++) {
		c = socket(AF_INET, SOCK_STREAM, 0);
		if (c < 0)
			return -errno;
		a = -1;
		if (!connect(c, (struct sockaddr *)&dst, sizeof(dst)) &&
		    epoll_wait(g->ep, &ev, 1, 1000) == 1)
			a = accept4(g->fds[ev.data.u32], NULL, NULL, SOCK_NONBLOCK);
		if (a >= 0) {
			close(a);
			s->ops++;
		} else {
			s->lost++;
		}
		close(c);
	}
	s->cpu_ns = bench_cpu_ns() - c0;
	s->wall_ns = bench_wall_ns() - w0;
	s->loop_ns = s->cpu_ns;
	return 0;
}

/* Room for @slices slices; whatever the cell held is dropped. */
int bench_cell_init(struct bench_cell *c, int slices)
{
	free(c->t);
	free(c->l);
	memset(c, 0, sizeof(*c));
	c->t = calloc(slices, sizeof(*c->t));
	c->l = calloc(slices, sizeof(*c->l));
	c->room = slices;
	return c->t && c->l ? 0 : -ENOMEM;
}

void bench_cell_add(struct bench_cell *c, const struct bench_sample *s)
{
	c->sum.ops += s->ops;
	c->sum.cpu_ns += s->cpu_ns;
	c->sum.wall_ns += s->wall_ns;
	c->sum.loop_ns += s->loop_ns;
	c->sum.lost += s->lost;
	if (s->ops && c->slices < c->room) {
		c->t[c->slices] = (double)s->cpu_ns / s->ops;
		c->l[c->slices] = (double)s->loop_ns / s->ops;
		c->slices++;
	}
}

/*
 * CPU ns per operation of a cell (@loop: draining included): the lower
 * quartile of its slices.  Disturbances (other work in the guest or on the
 * host, interrupts) only ever add time to a slice; the lower quartile is the
 * undisturbed cost, and it is the same statistic for every variant.
 */
double bench_cell_cost(const struct bench_cell *c, int loop)
{
	return bench_quantile(loop ? c->l : c->t, c->slices, 0.25);
}

void bench_shuffle(int *v, int n, unsigned int *seed)
{
	int i, j, t;

	for (i = n - 1; i > 0; i--) {
		j = rand_r(seed) % (i + 1);
		t = v[i];
		v[i] = v[j];
		v[j] = t;
	}
}

int bench_sweep(int reps, int rounds, int n, unsigned int seed, int pin, const char *what,
		int (*slice)(void *ctx, int pair, int rep), void *ctx)
{
	int order[BENCH_MAX_PAIRS], ncpus = bench_ncpus(), rep, round, k, err;

	if (n > BENCH_MAX_PAIRS)
		return -E2BIG;
	for (k = 0; k < n; k++)
		order[k] = k;
	for (rep = -1; rep < reps; rep++) {
		for (round = 0; round < rounds; round++) {
			err = pin ? bench_pin(round % ncpus) : 0;
			if (err)
				return err;
			bench_shuffle(order, n, &seed);
			for (k = 0; k < n; k++) {
				err = slice(ctx, order[k], rep);
				if (err)
					return err;
			}
		}
		if (what)
			fprintf(stderr, "\r  %s: repetition %d/%d", what, rep + 1, reps);
	}
	if (what)
		fprintf(stderr, "\n");
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

void bench_stat(const double *v, int n, struct bench_stat *st)
{
	double *s;

	memset(st, 0, sizeof(*st));
	if (n <= 0)
		return;
	s = malloc(n * sizeof(*s));
	if (!s)
		return;
	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	st->min = s[0];
	st->max = s[n - 1];
	st->med = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	free(s);
}

/* The @q quantile (0..1) of @v, by the nearest rank below. */
double bench_quantile(const double *v, int n, double q)
{
	double *s, x;

	if (n <= 0)
		return 0;
	s = malloc(n * sizeof(*s));
	if (!s)
		return 0;
	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	x = s[(int)(q * (n - 1))];
	free(s);
	return x;
}

static double flow_figure(const struct bench_flow_cell *c, enum bench_flow_figure figure)
{
	if (!c->runs)
		return 0;
	return figure == BENCH_FLOW_HIT_PCT ? 100.0 * c->hits / c->runs :
	       figure == BENCH_FLOW_COLLISION_PCT ? 100.0 * c->collisions / c->runs :
	       (double)c->run_ns / c->runs;
}

/*
 * @figure of repetitions @c[0..@reps), less @above's ns per run in the same
 * repetition if @above is not NULL: median, minimum, maximum.
 */
void bench_flow_stat(const struct bench_flow_cell *c, const struct bench_flow_cell *above,
		     enum bench_flow_figure figure, int reps, struct bench_stat *st)
{
	double d[BENCH_MAX_REPS];
	int r;

	for (r = 0; r < reps; r++)
		d[r] = flow_figure(&c[r], figure) -
		       (above ? flow_figure(&above[r], BENCH_FLOW_NS) : 0);
	bench_stat(d, reps, st);
}

/* "MED [MIN, MAX]", each printed with @fmt. */
void bench_fmt_stat(char *buf, size_t len, const struct bench_stat *st, const char *fmt)
{
	char a[32], b[32], c[32];

	snprintf(a, sizeof(a), fmt, st->med);
	snprintf(b, sizeof(b), fmt, st->min);
	snprintf(c, sizeof(c), fmt, st->max);
	snprintf(buf, len, "%s [%s, %s]", a, b, c);
}

/* @outdir/@name for writing, with the CSV header line. */
FILE *bench_open(const char *outdir, const char *name, const char *header)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", outdir, name);
	f = fopen(path, "w");
	if (f)
		fprintf(f, "%s\n", header);
	return f;
}

/* One row of the summary bench.sh prints: result 1 PASS, 0 MISS, BENCH_INFO. */
void bench_goal(const char *area, const char *what, const char *measured,
		const char *goal, int result)
{
	FILE *f = fopen(goals_path, "a");

	if (!f)
		return;
	fprintf(f, "%s\t%s\t%s\t%s\t%s\n", area, what, measured, goal,
		result == BENCH_INFO ? "info" : result ? "PASS" : "MISS");
	fclose(f);
}

int bench_build_dir(char *buf, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", buf, size - 1);
	int k;

	if (n < 0)
		return -errno;
	buf[n] = '\0';
	for (k = 0; k < 2; k++) {	/* build/bench/NAME -> build */
		char *slash = strrchr(buf, '/');

		if (slash)
			*slash = '\0';
	}
	return 0;
}

pid_t bench_spawn(const char *dir, const char *log, char *const argv[])
{
	char path[256];
	pid_t pid;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, log);
	pid = fork();
	if (pid)
		return pid;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
	dup2(fd, 1);
	dup2(fd, 2);
	execv(argv[0], argv);
	_exit(127);
}

void bench_stop(pid_t *pid, int sig)
{
	if (*pid <= 0)
		return;
	kill(*pid, sig);
	waitpid(*pid, NULL, 0);
	*pid = 0;
}

__u64 bench_proc_cpu_ns(pid_t pid)
{
	unsigned long long ns = 0;
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/schedstat", pid);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%llu", &ns) != 1)
			ns = 0;
		fclose(f);
	}
	return ns;
}

struct pcbg_group *bench_pinned_group(int port, char *dir, size_t size)
{
	char root[128], path[400];
	socklen_t len = sizeof(__u64);
	struct pcbg_group *grp;
	struct dirent *de;
	__u64 cookie;
	DIR *d;
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0)
		return NULL;
	if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len)) {
		close(fd);
		return NULL;
	}
	close(fd);
	snprintf(root, sizeof(root), PCBG_PIN_ROOT "/netns%llu", (unsigned long long)cookie);
	d = opendir(root);
	while (d && (de = readdir(d))) {
		struct pcbg_group_info info;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "%s/%s", root, de->d_name);
		if (pcbg_group_open_pinned(&grp, path))
			continue;
		if (!pcbg_group_info(grp, &info) && info.port == port) {
			closedir(d);
			if (dir)
				snprintf(dir, size, "%s", path);
			return grp;
		}
		pcbg_group_free(grp);
	}
	if (d)
		closedir(d);
	return NULL;
}
