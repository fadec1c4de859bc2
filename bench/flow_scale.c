// SPDX-License-Identifier: GPL-2.0
/*
 * flow_scale: the flow table at 10k, 100k and 1M live flows (-L): hits and
 * nanoseconds per datagram, with bench/cost's method (the kernel's BPF
 * run-time statistics, interleaved, above the no-op program in the same
 * repetition).
 *
 * For each count L of live flows, one UDP group of 16 sockets with a flow
 * table sized for them (the power of two at or above L + 1/16: the kernel
 * rounds the hash buckets up to one anyway), and one with the tools'
 * default table (PCBG_FLOWS_UDP_DEFAULT entries).  Every flow is entered
 * once before the run (flow_timeout is 3600 s, so that none expires while
 * the others warm up); then each datagram is of the next flow of the L,
 * round robin, so that the table's whole footprint is live.  The programs:
 *   noop      bench/noop.bpf.c, on the sized group
 *   no-table  pcbgroup, hash-threshold, flow_table=0, on the sized group
 *   sized     pcbgroup, flow_table=1, on the sized group
 *   default   pcbgroup, flow_table=1, on the default group
 * A repetition's figure is the sum of its slices' run time over their runs;
 * hits are the slices' flow_hit over their runs.  The report gives
 * median [min, max] over repetitions, and the memory the kernel charges
 * for each table (its memlock).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common.h"

#define MAX_REPS	BENCH_MAX_REPS
#define SOCKS		16
#define UDP_PORT	8400
#define TIMEOUT		"3600"

enum variant { V_NOOP, V_NO_TABLE, V_SIZED, V_DEFAULT, V_NR };

static const char *const variant_names[V_NR] = { "noop", "no-table", "sized", "default" };

/* One count of live flows: its two groups and where each is in its flows. */
struct scale {
	__u32 live;
	struct bench_group g[2];	/* sized, default */
	int prog_fd[2];
	__u32 next[2];
	struct pcbg_flow_usage usage[2];
};

static struct bench_flow_cell cells[BENCH_MAX_L][V_NR][MAX_REPS];
static struct scale scales[BENCH_MAX_L];
static struct bench_run run;

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-o DIR] [-r REPS] [-R ROUNDS] [-L LIVE,...] [-c CPU] [-g]\n"
		"  -o, --out DIR        results directory (build/bench)\n"
		"  -r, --reps REPS      repetitions (7)\n"
		"  -R, --rounds ROUNDS  rounds a repetition (16)\n"
		"  -L LIVE,...          live flows (10000,100000,1000000), at most %d\n"
		"  -c, --cpu CPU        CPU to run on (the last one)\n"
		"  -g, --goals          write the goal rows into DIR/goals.tsv\n",
		prog, PCBG_FLOWS_MAX);
	exit(2);
}

static int group_of(enum variant v)
{
	return v == V_DEFAULT;
}

static int use(struct scale *sc, enum variant v)
{
	struct bench_group *gr = &sc->g[group_of(v)];
	int err;

	if (v == V_NOOP)
		return bench_group_use(gr, BENCH_NOOP, run.noop_fd);
	err = bench_group_use(gr, PCBG_ALGO_HASH_THRESHOLD, run.noop_fd);
	return err ? err : bench_set_knob(gr->grp, "flow_table", v == V_NO_TABLE ? "0" : "1");
}

static int flow_hits(struct bench_group *gr, __u64 *hits)
{
	__u64 st[PCBG_STAT_NR];
	int err = pcbg_group_stats(gr->grp, st);

	*hits = st[PCBG_STAT_FLOW_HIT];
	return err;
}

/* One slice: BENCH_BATCH datagrams of the next flows of its group. */
static int slice(void *ctx, int pair, int rep)
{
	struct scale *sc = &scales[pair / V_NR];
	enum variant v = pair % V_NR;
	int gi = group_of(v), fd = v == V_NOOP ? run.noop_fd : sc->prog_fd[gi], err;
	struct bench_flow_cell *c = rep < 0 ? NULL : &cells[pair / V_NR][v][rep];
	__u64 hits0 = 0, hits1 = 0;
	struct bench_sample s;

	(void)ctx;
	err = use(sc, v);
	if (!err)
		err = flow_hits(&sc->g[gi], &hits0);
	if (!err)
		err = bench_udp_prog_sample(run.tx, &sc->g[gi], BENCH_BATCH, sc->live,
					    &sc->next[gi], fd, c, &s);
	if (!err)
		err = flow_hits(&sc->g[gi], &hits1);
	if (err) {
		fprintf(stderr, "flow_scale: %u flows, %s: %s\n", sc->live, variant_names[v],
			strerror(-err));
		return err;
	}
	if (c)
		c->hits += hits1 - hits0;
	return 0;
}

/* Every flow once, so that the run starts with the table holding what fits. */
static int warm_up(struct scale *sc, int gi)
{
	struct bench_sample s;
	int err = use(sc, gi ? V_DEFAULT : V_SIZED);

	if (!err)
		err = bench_set_knob(sc->g[gi].grp, "flow_timeout", TIMEOUT);
	if (!err)
		err = bench_udp_sample(run.tx, &sc->g[gi], sc->live, sc->live, &sc->next[gi], &s);
	if (!err && s.lost)
		fprintf(stderr, "flow_scale: %u flows: %ld lost in the warm-up\n", sc->live,
			s.lost);
	return err;
}

static int make_scale(struct scale *sc, int li)
{
	__u32 entries[2] = { bench_flow_entries(sc->live), PCBG_FLOWS_UDP_DEFAULT };
	int gi, err = 0;

	for (gi = 0; gi < 2 && !err; gi++) {
		err = bench_group_create_flows(&sc->g[gi], IPPROTO_UDP, UDP_PORT + 2 * li + gi,
					       SOCKS, 0, entries[gi]);
		sc->prog_fd[gi] = err ? -1 : bench_group_prog_fd(&sc->g[gi]);
		if (!err && sc->prog_fd[gi] < 0)
			err = sc->prog_fd[gi];
		if (!err)
			err = pcbg_group_flow_usage(sc->g[gi].grp, &sc->usage[gi], 0);
		if (!err)
			err = warm_up(sc, gi);
	}
	return err;
}

/* Over repetitions: @figure, or ns per run above noop with @above. */
static void stat_of(int li, int v, int above, enum bench_flow_figure figure,
		    const struct bench_opts *o, struct bench_stat *st)
{
	bench_flow_stat(cells[li][v], above ? cells[li][V_NOOP] : NULL, figure, o->reps, st);
}

static void report(const struct bench_opts *o, FILE *sum, FILE *raw)
{
	struct bench_stat ns, up, hit;
	char a[64], b[64], h[64];
	int li, v, r;

	printf("\nUDP, datagrams of L live flows, round robin: BPF run time per selection, "
	       "ns, and flow table hits, %% (median [min, max] over %d repetitions)\n", o->reps);
	printf("%-8s %-9s %8s %8s %-22s %-22s %s\n", "L", "program", "entries", "MiB",
	       "ns per run", "ns above noop", "hits %");
	for (li = 0; li < o->nl; li++) {
		struct scale *sc = &scales[li];

		for (v = 0; v < V_NR; v++) {
			const struct pcbg_flow_usage *u = &sc->usage[group_of(v)];
			int table = v == V_SIZED || v == V_DEFAULT;

			for (r = 0; r < o->reps; r++)
				fprintf(raw, "%u,%s,%d,%llu,%llu,%llu\n", sc->live,
					variant_names[v], r,
					(unsigned long long)cells[li][v][r].runs,
					(unsigned long long)cells[li][v][r].run_ns,
					(unsigned long long)cells[li][v][r].hits);
			stat_of(li, v, 0, BENCH_FLOW_NS, o, &ns);
			stat_of(li, v, 1, BENCH_FLOW_NS, o, &up);
			stat_of(li, v, 0, BENCH_FLOW_HIT_PCT, o, &hit);
			bench_fmt_stat(a, sizeof(a), &ns, "%.1f");
			bench_fmt_stat(b, sizeof(b), &up, "%+.1f");
			bench_fmt_stat(h, sizeof(h), &hit, "%.2f");
			printf("%-8u %-9s %8u %8.1f %-22s %-22s %s\n", sc->live, variant_names[v],
			       table ? u->size : 0, table ? u->bytes / 1048576.0 : 0.0, a,
			       v == V_NOOP ? "-" : b, table ? h : "-");
			fprintf(sum, "%u,%s,%u,%llu,%.2f,%.2f,%.2f,%.2f,%.2f,%.2f,%.3f,%.3f,%.3f\n",
				sc->live, variant_names[v], table ? u->size : 0,
				table ? (unsigned long long)u->bytes : 0ULL, ns.med, ns.min,
				ns.max, up.med, up.min, up.max, table ? hit.med : 0,
				table ? hit.min : 0, table ? hit.max : 0);
		}
	}
}

/* Hits >= 99 % at every L with the table sized for it; the costs, as figures. */
static void goals(const struct bench_opts *o)
{
	char what[160], meas[256] = "", cost[256] = "";
	struct bench_stat st;
	int li, pass = 1;

	for (li = 0; li < o->nl; li++) {
		stat_of(li, V_SIZED, 0, BENCH_FLOW_HIT_PCT, o, &st);
		pass &= st.min >= 99.0;
		snprintf(meas + strlen(meas), sizeof(meas) - strlen(meas),
			 "%s%u: %.2f %% (%u, %.0f MiB)", li ? ", " : "", scales[li].live,
			 st.min, scales[li].usage[0].size, scales[li].usage[0].bytes / 1048576.0);
		stat_of(li, V_SIZED, 1, BENCH_FLOW_NS, o, &st);
		snprintf(cost + strlen(cost), sizeof(cost) - strlen(cost), "%s%u: %.0f",
			 li ? ", " : "", scales[li].live, st.med);
	}
	bench_goal("flow_scale", "flow table hits, least over repetitions, live flows: %, "
		   "(entries, memory)", meas, ">= 99 %", pass);
	snprintf(what, sizeof(what), "flow_table=1 ns per datagram above noop, table sized "
		 "for the live flows, by live flows");
	bench_goal("flow_scale", what, cost, "-", BENCH_INFO);
}

int main(int argc, char **argv)
{
	struct bench_opts o = {
		.outdir = "build/bench", .reps = 7, .rounds = 16, .tcp_slice = 1,
		.nn = 1, .n = { SOCKS }, .cpu = -1, .udp = 1,
		.nl = 3, .live = { 10000, 100000, 1000000 },
	};
	int li, gi, err = 0;

	if (bench_parse(argc, argv, "o:r:R:L:c:gh", &o, 1, NULL))
		usage(argv[0]);
	if (bench_run_open(&run, "flow_scale", &o, BENCH_RUN_STATS,
			   "live,program,rep,runs,run_time_ns,hits",
			   "live,program,entries,bytes,ns_med,ns_min,ns_max,above_noop_med,"
			   "above_noop_min,above_noop_max,hit_pct_med,hit_pct_min,hit_pct_max"))
		return 1;
	printf("flow_scale: CPU %d of %d; %d repetitions of %d rounds; a slice is %d datagrams\n",
	       o.cpu, bench_ncpus(), o.reps, o.rounds, BENCH_BATCH);
	for (li = 0; li < o.nl && !err; li++) {
		scales[li].live = o.live[li];
		err = make_scale(&scales[li], li);
		if (err)
			fprintf(stderr, "flow_scale: %d flows: %s\n", o.live[li], strerror(-err));
	}
	if (!err)
		err = bench_sweep(o.reps, o.rounds, o.nl * V_NR, 11, 0, "flow_scale", slice, NULL);
	if (!err) {
		report(&o, run.sum, run.raw);
		if (o.goals)
			goals(&o);
	}
	for (li = 0; li < o.nl; li++)
		for (gi = 0; gi < 2; gi++) {
			if (scales[li].prog_fd[gi] > 0)
				close(scales[li].prog_fd[gi]);
			bench_group_destroy(&scales[li].g[gi]);
		}
	bench_run_close(&run);
	return err ? 1 : 0;
}
