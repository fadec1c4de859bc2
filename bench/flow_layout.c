// SPDX-License-Identifier: GPL-2.0
/*
 * flow_layout: the flow table's layouts side by side at 10k, 100k and 1M
 * live flows (-L), at equal memory: pcbgroup's LRU hash (the production
 * program, and the same map in bench/flow_layout.bpf.c's bare program)
 * against a direct-mapped array of 64-byte lines and 2-way and 4-way
 * set-associative arrays of the same lines.  bench/flow_scale's method:
 * BPF run-time statistics, interleaved, ns per datagram above the no-op
 * program in the same repetition; each table is warmed with every flow
 * once, then sees the L flows round robin, each table its own cursor.
 *
 * Memory: the LRU has the power of two at or above L + 1/16 entries (as
 * flow_scale's sized table); the arrays get as many lines as the LRU's
 * memlock holds (the bytes are printed, from the kernel's fdinfo).
 *
 * Correctness: after the timed run every pick is shifted to another slot
 * (as a group change does to a re-pick), and each layout sees every flow
 * once more: a flow its table still holds stays on its socket, one it lost
 * moves.  "moved %" is the share of the live flows that moved.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common.h"
#include "internal.h"
#include "flow_layout.skel.h"

#define MAX_REPS	BENCH_MAX_REPS
#define SOCKS		16
#define UDP_PORT	8440
#define LINE		64

enum variant { V_NOOP, V_NO_TABLE, V_PROD, V_NONE, V_LRU, V_DIRECT, V_2WAY, V_4WAY, V_NR };
/* as in flow_layout.bpf.c */
enum { L_LRU, L_DIRECT, L_2WAY, L_4WAY, L_NR };
enum { C_HIT, C_MISS, C_COLLISION, C_MOVED, C_NR };

static const char *const variant_names[V_NR] = {
	"noop", "no-table", "pcbgroup", "bare", "lru", "direct", "2-way", "4-way",
};

struct scale {
	__u32 live;
	struct bench_group g;	/* pcbgroup's */
	struct bench_group lg;	/* the layouts': a socket is in one socket array only */
	struct flow_layout_bpf *skel;
	int fd[V_NR];
	__u32 next[V_NR];
	__u64 bytes[V_NR];
	__u32 entries[V_NR];
	double moved[V_NR];
};

static struct bench_flow_cell cells[BENCH_MAX_L][V_NR][MAX_REPS];
static struct scale scales[BENCH_MAX_L];
static struct bench_run run;

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-o DIR] [-r REPS] [-R ROUNDS] [-L LIVE,...] [-c CPU]\n"
		"  -o, --out DIR        results directory (build/bench)\n"
		"  -r, --reps REPS      repetitions (5)\n"
		"  -R, --rounds ROUNDS  rounds a repetition (8)\n"
		"  -L LIVE,...          live flows (10000,100000,1000000), at most %d\n"
		"  -c, --cpu CPU        CPU to run on (the last one)\n",
		prog, PCBG_FLOWS_MAX);
	exit(2);
}

static int layout_of(enum variant v)
{
	return v - V_LRU;
}

static int is_layout(enum variant v)
{
	return v >= V_LRU;
}

static struct bench_group *group_of(struct scale *sc, enum variant v)
{
	return v >= V_NONE ? &sc->lg : &sc->g;
}

static int use(struct scale *sc, enum variant v)
{
	int err;

	if (v != V_NO_TABLE && v != V_PROD)
		return bench_group_use(group_of(sc, v), BENCH_NOOP, sc->fd[v]);
	err = bench_group_use(&sc->g, PCBG_ALGO_HASH_THRESHOLD, sc->fd[V_NOOP]);
	return err ? err : bench_set_knob(sc->g.grp, "flow_table", v == V_PROD ? "1" : "0");
}

static int counters(struct scale *sc, enum variant v, __u64 *c)
{
	__u64 st[PCBG_STAT_NR];
	int err = 0;

	memset(c, 0, C_NR * sizeof(*c));
	if (is_layout(v)) {
		memcpy(c, sc->skel->bss->counts[layout_of(v)], C_NR * sizeof(*c));
	} else if (v == V_PROD) {
		err = pcbg_group_stats(sc->g.grp, st);
		c[C_HIT] = st[PCBG_STAT_FLOW_HIT];
	}
	return err;
}

/* @count datagrams of the next flows, timed by program @fd unless -1, into @c. */
static int send_flows(struct scale *sc, enum variant v, long count, int fd,
		      struct bench_flow_cell *c)
{
	struct bench_sample s;
	int err = bench_udp_prog_sample(run.tx, group_of(sc, v), count, sc->live, &sc->next[v],
					fd, c, &s);

	if (!err && s.lost > count / 100)
		fprintf(stderr, "flow_layout: %u flows, %s: %ld of %ld lost\n", sc->live,
			variant_names[v], s.lost, count);
	return err;
}

static int slice(void *ctx, int pair, int rep)
{
	struct scale *sc = &scales[pair / V_NR];
	enum variant v = pair % V_NR;
	struct bench_flow_cell *cl = rep < 0 ? NULL : &cells[pair / V_NR][v][rep];
	int fd = v == V_PROD || v == V_NO_TABLE ? sc->fd[V_PROD] : sc->fd[v], err;
	__u64 c0[C_NR], c1[C_NR];

	(void)ctx;
	err = use(sc, v);
	if (!err)
		err = counters(sc, v, c0);
	if (!err)
		err = send_flows(sc, v, BENCH_BATCH, fd, cl);
	if (!err)
		err = counters(sc, v, c1);
	if (err) {
		fprintf(stderr, "flow_layout: %u flows, %s: %s\n", sc->live, variant_names[v],
			strerror(-err));
		return err;
	}
	if (cl) {
		cl->hits += c1[C_HIT] - c0[C_HIT];
		cl->collisions += c1[C_COLLISION] - c0[C_COLLISION];
	}
	return 0;
}

/* The layouts' program and tables, sized to @entries LRU entries' memory. */
static int load_layouts(struct scale *sc, __u32 entries)
{
	struct flow_layout_bpf *s = flow_layout_bpf__open();
	struct bpf_map *arrays[3];
	__u64 lru_bytes = 0, cookie;
	socklen_t len = sizeof(cookie);
	int i, err = s ? 0 : -errno;

	if (err)
		return err;
	sc->skel = s;
	arrays[0] = s->maps.layout_direct;
	arrays[1] = s->maps.layout_2way;
	arrays[2] = s->maps.layout_4way;
	err = bpf_map__set_max_entries(s->maps.layout_socks, SOCKS);
	if (!err)
		err = bpf_map__set_max_entries(s->maps.layout_cookies, SOCKS);
	if (!err)
		err = bpf_map__set_max_entries(s->maps.layout_lru, entries);
	/* the LRU's memory first, alone, to size the arrays by */
	if (!err) {
		int fd = bpf_map_create(BPF_MAP_TYPE_LRU_HASH, NULL, 36, 24, entries, NULL);

		if (fd < 0)
			return -errno;
		lru_bytes = pcbg_map_memlock(fd);
		close(fd);
	}
	for (i = 0; !err && i < 3; i++) {
		sc->entries[V_DIRECT + i] = lru_bytes / (LINE << (i == 2 ? 2 : i));
		err = bpf_map__set_max_entries(arrays[i], sc->entries[V_DIRECT + i]);
		s->bss->sets[L_DIRECT + i] = sc->entries[V_DIRECT + i];
	}
	if (!err)
		err = flow_layout_bpf__load(s);
	for (i = 0; !err && i < SOCKS; i++) {
		__u64 sock = sc->lg.fds[i];

		if (getsockopt(sc->lg.fds[i], SOL_SOCKET, SO_COOKIE, &cookie, &len) ||
		    bpf_map__update_elem(s->maps.layout_socks, &i, sizeof(i), &sock,
					 sizeof(sock), BPF_ANY) ||
		    bpf_map__update_elem(s->maps.layout_cookies, &i, sizeof(i), &cookie,
					 sizeof(cookie), BPF_ANY))
			err = -errno;
	}
	if (err)
		return err;
	s->bss->nr_socks = SOCKS;
	sc->fd[V_NONE] = bpf_program__fd(s->progs.flow_none);
	sc->fd[V_LRU] = bpf_program__fd(s->progs.flow_lru);
	sc->fd[V_DIRECT] = bpf_program__fd(s->progs.flow_direct);
	sc->fd[V_2WAY] = bpf_program__fd(s->progs.flow_2way);
	sc->fd[V_4WAY] = bpf_program__fd(s->progs.flow_4way);
	sc->entries[V_LRU] = entries;
	sc->bytes[V_LRU] = pcbg_map_memlock(bpf_map__fd(s->maps.layout_lru));
	for (i = 0; i < 3; i++)
		sc->bytes[V_DIRECT + i] = pcbg_map_memlock(bpf_map__fd(arrays[i]));
	return 0;
}

static int make_scale(struct scale *sc, int li, int noop_fd)
{
	__u32 entries = bench_flow_entries(sc->live);
	struct pcbg_flow_usage u;
	int err, v;

	err = bench_group_create_flows(&sc->g, IPPROTO_UDP, UDP_PORT + 2 * li, SOCKS, 0, entries);
	if (!err)
		err = bench_group_create(&sc->lg, IPPROTO_UDP, UDP_PORT + 2 * li + 1, SOCKS,
					 BENCH_NO_PCBG);
	sc->fd[V_NOOP] = noop_fd;
	sc->fd[V_PROD] = err ? -1 : bench_group_prog_fd(&sc->g);
	if (!err && sc->fd[V_PROD] < 0)
		err = sc->fd[V_PROD];
	sc->fd[V_NO_TABLE] = sc->fd[V_PROD];
	if (!err)
		err = pcbg_group_flow_usage(sc->g.grp, &u, 0);
	if (!err) {
		sc->entries[V_PROD] = u.size;
		sc->bytes[V_PROD] = u.bytes;
		err = bench_set_knob(sc->g.grp, "flow_timeout", "3600");
	}
	if (!err)
		err = load_layouts(sc, entries);
	/* every flow once into each table */
	for (v = V_PROD; v < V_NR && !err; v++) {
		if (v == V_NONE)
			continue;
		err = use(sc, v);
		if (!err)
			err = send_flows(sc, v, sc->live, -1, NULL);
	}
	return err;
}

/* Every pick shifted; each layout sees its L flows once more: the moved. */
static int moved_pass(struct scale *sc)
{
	__u64 c0[C_NR], c1[C_NR];
	int v, err = 0;

	sc->skel->bss->shift = 1;
	for (v = V_LRU; v < V_NR && !err; v++) {
		err = use(sc, v);
		if (!err)
			err = counters(sc, v, c0);
		if (!err)
			err = send_flows(sc, v, sc->live, -1, NULL);
		if (!err)
			err = counters(sc, v, c1);
		if (!err && c1[C_HIT] + c1[C_MISS] > c0[C_HIT] + c0[C_MISS])
			sc->moved[v] = 100.0 * (c1[C_MOVED] - c0[C_MOVED]) /
				       (c1[C_HIT] + c1[C_MISS] - c0[C_HIT] - c0[C_MISS]);
	}
	sc->skel->bss->shift = 0;
	return err;
}

/* Over repetitions: @figure, less ns per run of variant @above unless -1. */
static void stat_of(int li, int v, int above, enum bench_flow_figure figure,
		    const struct bench_opts *o, struct bench_stat *st)
{
	bench_flow_stat(cells[li][v], above >= 0 ? cells[li][above] : NULL, figure, o->reps, st);
}

static void report(const struct bench_opts *o, FILE *sum, FILE *raw)
{
	struct bench_stat up, bare, hit, col;
	char a[64], b[64], h[64], m[16];
	int li, v, r;

	printf("\nUDP, datagrams of L live flows, round robin: BPF run time per selection above "
	       "noop, ns, and table hits, %% (median [min, max] over %d repetitions)\n", o->reps);
	printf("%-8s %-9s %9s %8s %-22s %-22s %-22s %8s %s\n", "L", "program", "entries", "MiB",
	       "ns above noop", "ns above no-table/bare", "hits %", "coll. %", "moved %");
	for (li = 0; li < o->nl; li++) {
		struct scale *sc = &scales[li];

		for (v = V_NO_TABLE; v < V_NR; v++) {
			int table = v == V_PROD || is_layout(v);

			for (r = 0; r < o->reps; r++)
				fprintf(raw, "%u,%s,%d,%llu,%llu,%llu,%llu\n", sc->live,
					variant_names[v], r,
					(unsigned long long)cells[li][v][r].runs,
					(unsigned long long)cells[li][v][r].run_ns,
					(unsigned long long)cells[li][v][r].hits,
					(unsigned long long)cells[li][v][r].collisions);
			stat_of(li, v, V_NOOP, BENCH_FLOW_NS, o, &up);
			stat_of(li, v, v == V_PROD ? V_NO_TABLE : V_NONE, BENCH_FLOW_NS, o, &bare);
			stat_of(li, v, -1, BENCH_FLOW_HIT_PCT, o, &hit);
			stat_of(li, v, -1, BENCH_FLOW_COLLISION_PCT, o, &col);
			bench_fmt_stat(a, sizeof(a), &up, "%+.1f");
			bench_fmt_stat(b, sizeof(b), &bare, "%+.1f");
			bench_fmt_stat(h, sizeof(h), &hit, "%.2f");
			snprintf(m, sizeof(m), "%.2f", sc->moved[v]);
			printf("%-8u %-9s %9u %8.1f %-22s %-22s %-22s %8.2f %s\n", sc->live,
			       variant_names[v], sc->entries[v], sc->bytes[v] / 1048576.0, a,
			       table ? b : "-", table ? h : "-", col.med,
			       is_layout(v) ? m : "-");
			fprintf(sum, "%u,%s,%u,%llu,%.2f,%.2f,%.2f,%.2f,%.2f,%.2f,%.3f,%.3f,%.3f,"
				"%.3f,%.3f\n", sc->live, variant_names[v], sc->entries[v],
				(unsigned long long)sc->bytes[v], up.med, up.min, up.max,
				bare.med, bare.min, bare.max, hit.med, hit.min, hit.max, col.med,
				is_layout(v) ? sc->moved[v] : -1.0);
		}
	}
	printf("pcbgroup: the production program, flow_table=1 (above no-table: flow_table=0);\n"
	       "bare, lru, direct, 2-way, 4-way: bench/flow_layout.bpf.c (above bare: no table).\n"
	       "coll. %%: datagrams whose miss overwrote another live flow's line; moved %%: live\n"
	       "flows on another socket after every pick is shifted (one pass over all L).\n");
}

int main(int argc, char **argv)
{
	struct bench_opts o = {
		.outdir = "build/bench", .reps = 5, .rounds = 8, .tcp_slice = 1,
		.nn = 1, .n = { SOCKS }, .cpu = -1, .udp = 1,
		.nl = 3, .live = { 10000, 100000, 1000000 },
	};
	int li, err = 0;

	if (bench_parse(argc, argv, "o:r:R:L:c:h", &o, 1, NULL))
		usage(argv[0]);
	if (bench_run_open(&run, "flow_layout", &o, BENCH_RUN_STATS,
			   "live,program,rep,runs,run_time_ns,hits,collisions",
			   "live,program,entries,bytes,above_noop_med,above_noop_min,"
			   "above_noop_max,above_bare_med,above_bare_min,above_bare_max,hit_pct_med,"
			   "hit_pct_min,hit_pct_max,collision_pct_med,moved_pct"))
		return 1;
	printf("flow_layout: CPU %d of %d; %d repetitions of %d rounds; a slice is %d datagrams\n",
	       o.cpu, bench_ncpus(), o.reps, o.rounds, BENCH_BATCH);
	for (li = 0; li < o.nl && !err; li++) {
		scales[li].live = o.live[li];
		err = make_scale(&scales[li], li, run.noop_fd);
		if (err)
			fprintf(stderr, "flow_layout: %d flows: %s\n", o.live[li], strerror(-err));
	}
	if (!err)
		err = bench_sweep(o.reps, o.rounds, o.nl * V_NR, 13, 0, "flow_layout", slice, NULL);
	for (li = 0; li < o.nl && !err; li++)
		err = moved_pass(&scales[li]);
	if (!err)
		report(&o, run.sum, run.raw);
	for (li = 0; li < o.nl; li++) {
		if (scales[li].fd[V_PROD] > 0)
			close(scales[li].fd[V_PROD]);
		bench_group_destroy(&scales[li].g);
		bench_group_destroy(&scales[li].lg);
		flow_layout_bpf__destroy(scales[li].skel);
	}
	bench_run_close(&run);
	return err ? 1 : 0;
}
