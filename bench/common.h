/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the bench/ programs: a private network namespace on loopback,
 * SO_REUSEPORT groups (UDP sockets or TCP listeners) that switch between the
 * kernel's own pick, a no-op program and each pcbgroup algorithm, a raw
 * sender that makes every datagram its own flow, samples timed in thread
 * CPU time, order statistics, and the goal rows scripts/bench.sh prints.
 */
#ifndef PCBG_BENCH_COMMON_H
#define PCBG_BENCH_COMMON_H

#include <stdio.h>
#include <sys/types.h>
#include <linux/types.h>

#include "pcbgroup.h"

/* A variant is a pcbgroup algorithm (enum pcbg_algorithm) or one of these. */
#define BENCH_KERNEL		(-2)	/* no program: the kernel's own pick */
#define BENCH_NOOP		(-1)	/* a program that returns SK_PASS only */

/* bench_group_create() capacity: sockets only, no pcbgroup group. */
#define BENCH_NO_PCBG		(-1)

/* Datagrams per sendmmsg() of the raw sender. */
#define BENCH_BATCH		256
/* Flow f comes from 127.0.0.(2 + f / BENCH_PORTS) port 1024 + f % BENCH_PORTS. */
#define BENCH_PORTS		64512

/**
 * struct bench_group - one SO_REUSEPORT group on 127.0.0.1:@port.
 * @proto: IPPROTO_UDP or IPPROTO_TCP.
 * @port: local port.
 * @n: sockets in @fds (some may be -1, closed).
 * @fds: the sockets, index = the socket's number in the results.
 * @ep: epoll over @fds, event data = index.
 * @grp: the pcbgroup group of @fds, or NULL.
 * @variant: what picks now (BENCH_KERNEL, BENCH_NOOP or an algorithm).
 */
struct bench_group {
	int proto;
	int port;
	int n;
	int *fds;
	int ep;
	struct pcbg_group *grp;
	int variant;
	int weighted;		/* slot 0 weighs more (bench/cost's weighted) */
};

/**
 * struct bench_sample - one timed measurement.
 * @ops: datagrams received, or connections accepted.
 * @cpu_ns: thread CPU time of the timed part (UDP: the sendmmsg() calls,
 *	which run the whole receive path on loopback; TCP: everything).
 * @wall_ns: wall-clock time of the same part.
 * @loop_ns: thread CPU time of the whole loop (UDP: also draining).
 * @lost: sent but never received.
 */
struct bench_sample {
	long ops;
	__u64 cpu_ns;
	__u64 wall_ns;
	__u64 loop_ns;
	long lost;
};

/**
 * struct bench_cell - one (group, variant) pair in one repetition of an
 * interleaved run: the sum of its slices and each slice's CPU time per
 * operation (@t), and per operation with draining included (@l).
 */
struct bench_cell {
	struct bench_sample sum;
	double *t;
	double *l;
	int slices;
	int room;
};

#define BENCH_MAX_N	8	/* group sizes of a run */
#define BENCH_MAX_L	4	/* counts of live flows of a run (-L) */
#define BENCH_MAX_V	16	/* variants of a run */
#define BENCH_QUIC_CID_LEN	8	/* the datagrams' QUIC connection IDs */
#define BENCH_MAX_REPS	64

/**
 * struct bench_opts - the options of an interleaved run (bench_parse()).
 * @outdir: -o, where the results go.
 * @reps: -r, repetitions, 1..BENCH_MAX_REPS.
 * @rounds: -R, rounds of a repetition.
 * @tcp_slice: -t, connections of a TCP slice.
 * @flows: -f, flows (a program's own meaning).
 * @nn: how many group sizes in @n (-n N,...), each @min_n..PCBG_SLOTS_DEFAULT.
 * @min_n: the smallest group size the program takes (0: 1).
 * @n: the group sizes.
 * @nv: how many variants in @v (a program's own option).
 * @v: the variants.
 * @nl: how many counts of live flows in @live (-L LIVE,...).
 * @live: the counts, each 1..PCBG_FLOWS_MAX.
 * @cpu: -c, the CPU to run on; -1: the last one.
 * @udp: run UDP (-p udp: UDP only).
 * @tcp: run TCP (-p tcp: TCP only).
 * @goals: -g, write the goal rows.
 */
struct bench_opts {
	const char *outdir;
	int reps;
	int rounds;
	long tcp_slice;
	int flows;
	int nn;
	int min_n;
	int n[BENCH_MAX_N];
	int nv;
	int v[BENCH_MAX_V];
	int nl;
	int live[BENCH_MAX_L];
	int cpu;
	int udp;
	int tcp;
	int goals;
};

/**
 * struct bench_opt - an option of a bench that parses its own (bench_getopts()).
 * @c: its letter.
 * @type: 's' a string (const char *), 'i' an int, 'd' a double, 'b' a flag
 *	without argument (an int set to 1).
 * @p: where its value goes.
 */
struct bench_opt {
	char c;
	char type;
	void *p;
};

/**
 * struct bench_run - what a run opens before its groups (bench_run_open()).
 * @noop: the no-op program, bench/noop.bpf.c.
 * @noop_fd: its descriptor.
 * @tx: the raw sender.
 * @raw: NAME_raw.csv, every repetition's figures.
 * @sum: NAME.csv, the summary.
 */
struct bench_run {
	struct noop_bpf *noop;
	int noop_fd;
	struct bench_tx *tx;
	FILE *raw;
	FILE *sum;
};

/* bench_run_open() flags */
#define BENCH_RUN_STATS		1	/* the kernel's BPF run-time statistics on */
#define BENCH_RUN_ANY_CPU	2	/* not pinned to -c: the rounds move */

/**
 * struct bench_flow_cell - one program's slices in one repetition of a
 * flow table run (bench/flow_scale, bench/flow_layout): its runs and their
 * run time (BPF run-time statistics), of the runs the table's hits and the
 * misses that overwrote another live flow.
 */
struct bench_flow_cell {
	__u64 runs;
	__u64 run_ns;
	__u64 hits;
	__u64 collisions;
};

/* What bench_flow_stat() gives of a cell. */
enum bench_flow_figure { BENCH_FLOW_NS, BENCH_FLOW_HIT_PCT, BENCH_FLOW_COLLISION_PCT };

/* Median, minimum and maximum. */
struct bench_stat {
	double med;
	double min;
	double max;
};

struct bench_tx;

int bench_init(const char *outdir, int nofile, int cpu);
int bench_setup_failed(const char *name, int err);
int bench_stats_on(void);
int bench_run_open(struct bench_run *r, const char *name, const struct bench_opts *o,
		   int flags, const char *raw_header, const char *sum_header);
void bench_run_close(struct bench_run *r);
void bench_banner(const char *name, const struct bench_opts *o);
int bench_pin(int cpu);
int bench_ncpus(void);
__u64 bench_cpu_ns(void);
__u64 bench_wall_ns(void);
const char *bench_variant_name(int variant);
int bench_parse_list(const char *s, int *out, int max);
int bench_getopts(int argc, char **argv, const struct bench_opt *opts);
int bench_parse_flow_counts(const char *s, int *out, int max);
__u32 bench_flow_entries(__u32 live);
int bench_parse(int argc, char **argv, const char *optstring, struct bench_opts *o,
		int max_n, int (*own)(int c, const char *arg, struct bench_opts *o));

int bench_socket(int proto, int port);
int bench_group_create(struct bench_group *g, int proto, int port, int n,
		       int capacity);
int bench_group_create_flows(struct bench_group *g, int proto, int port, int n,
			     int capacity, __u32 flows);
int bench_prog_stats(int fd, __u64 *runs, __u64 *run_ns);
void bench_group_destroy(struct bench_group *g);
void bench_group_init(struct bench_group *g);
int bench_proto(const struct bench_opts *o, int t);
int bench_group_grow(struct bench_group *g);
void bench_group_shrink(struct bench_group *g);
int bench_group_watch(struct bench_group *g, int idx);
int bench_group_use(struct bench_group *g, int variant, int noop_fd);
int bench_set_knob(struct pcbg_group *grp, const char *name, const char *value);
__u64 bench_fallbacks(struct pcbg_group *grp);
int bench_group_prog_fd(struct bench_group *g);

struct bench_tx *bench_tx_open(void);
void bench_tx_close(struct bench_tx *tx);
/*
 * From now on the datagrams' QUIC connection IDs name one of slots
 * 0..@slots-1, a flow's always the same, scattered as a hash would, for a
 * group with quic_cid_len BENCH_QUIC_CID_LEN; 0: none.
 */
void bench_tx_set_slots(struct bench_tx *tx, __u32 slots);
int bench_tx_send(struct bench_tx *tx, int dport, __u32 first, int count,
		  __u32 tag);
long bench_drain(struct bench_group *g, __u32 tag, __u32 base, __u32 nflows,
		 int *where, long *counts);
long bench_flows(struct bench_tx *tx, struct bench_group *g, __u32 base,
		 __u32 nflows, __u32 tag, int *where, long *counts);

int bench_udp_sample(struct bench_tx *tx, struct bench_group *g, long count,
		     __u32 space, __u32 *next, struct bench_sample *s);
int bench_tcp_sample(struct bench_group *g, long count,
		     struct bench_sample *s);

int bench_cell_init(struct bench_cell *c, int slices);
void bench_cell_add(struct bench_cell *c, const struct bench_sample *s);
double bench_cell_cost(const struct bench_cell *c, int loop);
void bench_shuffle(int *v, int n, unsigned int *seed);
/*
 * An interleaved run: repetition -1 warms up, then @reps repetitions of
 * @rounds rounds; in each round every one of the @n pairs, in an order
 * shuffled anew from @seed, gets one slice, @slice(@ctx, pair, rep) (rep
 * -1: not counted).  With @pin, each round runs on the next CPU.  @what
 * names the run in a progress line on stderr (NULL: none).  0, or the first
 * error of @slice.
 */
#define BENCH_MAX_PAIRS	256
int bench_sweep(int reps, int rounds, int n, unsigned int seed, int pin, const char *what,
		int (*slice)(void *ctx, int pair, int rep), void *ctx);

int bench_udp_prog_sample(struct bench_tx *tx, struct bench_group *g, long count, __u32 space,
			  __u32 *next, int prog_fd, struct bench_flow_cell *c,
			  struct bench_sample *s);
void bench_flow_stat(const struct bench_flow_cell *c, const struct bench_flow_cell *above,
		     enum bench_flow_figure figure, int reps, struct bench_stat *st);

void bench_stat(const double *v, int n, struct bench_stat *st);
double bench_quantile(const double *v, int n, double q);
void bench_fmt_stat(char *buf, size_t len, const struct bench_stat *st, const char *fmt);
FILE *bench_open(const char *outdir, const char *name, const char *header);
void bench_goal(const char *area, const char *what, const char *measured,
		const char *goal, int result);

#define BENCH_INFO	(-1)	/* bench_goal() result: no goal, a figure */

/*
 * Programs run beside a bench (servers, pcbgroupd): the build directory
 * this program runs from (build/bench/NAME -> build) into @buf; @argv
 * started with its output appended to @dir/@log, killed when we die;
 * stopped with @sig and reaped (*@pid becomes 0); the CPU time of a
 * process so far, ns; the pinned group on local @port of this namespace,
 * opened (NULL if none), its pin directory into @dir if not NULL.
 */
int bench_build_dir(char *buf, size_t size);
pid_t bench_spawn(const char *dir, const char *log, char *const argv[]);
void bench_stop(pid_t *pid, int sig);
__u64 bench_proc_cpu_ns(pid_t pid);
struct pcbg_group *bench_pinned_group(int port, char *dir, size_t size);

#endif /* PCBG_BENCH_COMMON_H */
