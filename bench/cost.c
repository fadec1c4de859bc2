// SPDX-License-Identifier: GPL-2.0
/*
 * cost: nanoseconds per selection, read from the kernel's BPF run-time
 * statistics (run_time_ns / run_cnt of each program, as `bpftool prog
 * show` prints them with kernel.bpf_stats_enabled on).
 *
 * One group of N UDP sockets (then one of N TCP listeners) per group size;
 * the programs are the no-op SK_REUSEPORT program (bench/noop.bpf.c),
 * pcbgroup with each algorithm at its defaults, and for reference
 * bench/minimal.bpf.c, the floor of a program that selects (on a second
 * set of N sockets: a socket sits in one socket array at a time).  QUIC
 * connection-ID routing (quic_cid_len) is measured on datagrams whose
 * CIDs name the slots, scattered, and on datagrams whose CIDs name none (each
 * then parsed and picked by hash-threshold, as a client's first Initial).  The statistics are held
 * on with BPF_ENABLE_STATS while this runs (the sysctl, put back at exit,
 * where that command is refused).
 *
 * One interleaved run, as bench/rate.c: a repetition is a number of
 * rounds, and in each round every (N, program) pair gets one slice (256
 * datagrams or a few connections) in an order shuffled anew; around each
 * slice the active program's run_cnt and run_time_ns are read, and a
 * pair's figure in a repetition is the sum of its slices' run time over
 * the sum of their runs.  The program-specific cost is an algorithm's
 * figure minus the no-op's in the same repetition.  The report gives
 * median [min, max] over repetitions.
 *
 * The run time the kernel counts includes the clock reads around each run
 * (two sched_clock() calls): that is most of the no-op's figure, and why
 * the cost of a program is taken above it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "common.h"
#include "minimal.skel.h"
#include "pcbgroup_noflow.skel.h"

#define MAX_N		4
#define MAX_V		(8 + PCBG_ALGO_NR)
_Static_assert(MAX_V <= BENCH_MAX_V, "bench_opts holds every program");
#define MAX_REPS	BENCH_MAX_REPS
#define UDP_PORT	8200
#define TCP_PORT	9200
#define FLOW_SPACE	(16 * BENCH_PORTS)
#define GOAL_NS		40.0
#define GOAL_MAGLEV_NS	60.0
#define BENCH_MINIMAL	(-3)	/* bench/minimal.bpf.c */
/*
 * pcbgroup built without the flow table's and the QUIC routing's code
 * (-DPCBG_NO_FLOW_TABLE -DPCBG_NO_QUIC)
 */
#define BENCH_NOFLOW	(-4)
/* hash-threshold, flow_table=1: known flows (FLOWS_KNOWN of them, all hits) */
#define BENCH_FLOWS	(-5)
/* the same, every datagram a flow the table does not hold */
#define BENCH_FLOWS_NEW	(-6)
/* hash-threshold with slot 0 weighing twice the others: the weight table */
#define BENCH_WEIGHTED	(-9)
#define FLOWS_KNOWN	1024	/* all in the table after the warm-up */
#define GOAL_FLOWS_NS	60.0
/* hash-threshold with quic_cid_len: CIDs naming the slots, or none */
#define BENCH_QUIC	(-7)
#define BENCH_QUIC_MISS	(-8)
#define GOAL_QUIC_NS	20.0	/* above hash-threshold */
#define NO_PROGRAM	(-100)

/* One (N, program) pair in one repetition: sums over its slices. */
struct cell {
	__u64 run_ns;
	__u64 runs;
	long ops;
	long lost;
};

static struct cell cells[2][MAX_N][MAX_V][MAX_REPS];

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-o DIR] [-r REPS] [-R ROUNDS] [-t CONNS] [-n N,...] [-a PROG,...]\n"
		"          [-c CPU] [-p udp|tcp] [-g]\n"
		"  -o, --out DIR        results directory (build/bench)\n"
		"  -r, --reps REPS      repetitions (7)\n"
		"  -R, --rounds ROUNDS  rounds a repetition (16)\n"
		"  -t, --conns CONNS    connections a TCP slice (8); a UDP slice is %d datagrams\n"
		"  -n, --n N,...        group sizes (16,4096)\n"
		"  -a, --algos PROG,... programs (noop,minimal,hash-threshold,modulo,cpu,maglev,\n"
		"                       no-flow-code,flows,flows-new,least-loaded,quic-cid,\n"
		"                       quic-cid-miss,weighted)\n"
		"  -c, --cpu CPU        CPU to run on (the last one)\n"
		"  -p, --proto PROTO    only udp or only tcp\n"
		"  -g, --goals          write the goal rows into DIR/goals.tsv\n",
		prog, BENCH_BATCH);
	exit(2);
}

static int parse_programs(int c, const char *s, struct bench_opts *o)
{
	char *list = c == 'a' ? strdup(s) : NULL, *tok, *save = NULL;
	int a;

	if (!list)
		return -1;
	o->nv = 0;
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int v = !strcmp(tok, "noop") ? BENCH_NOOP :
			!strcmp(tok, "minimal") ? BENCH_MINIMAL :
			!strcmp(tok, "no-flow-code") ? BENCH_NOFLOW :
			!strcmp(tok, "flows") ? BENCH_FLOWS :
			!strcmp(tok, "flows-new") ? BENCH_FLOWS_NEW :
			!strcmp(tok, "quic-cid") ? BENCH_QUIC :
			!strcmp(tok, "quic-cid-miss") ? BENCH_QUIC_MISS :
			!strcmp(tok, "weighted") ? BENCH_WEIGHTED : NO_PROGRAM;

		for (a = 0; a < PCBG_ALGO_NR && v == NO_PROGRAM; a++)
			if (pcbg_algorithm_name(a) && !strcmp(tok, pcbg_algorithm_name(a)))
				v = a;
		for (a = 0; a < o->nv && v != NO_PROGRAM; a++)
			if (o->v[a] == v)
				v = NO_PROGRAM;
		if (v == NO_PROGRAM || o->nv == MAX_V) {
			fprintf(stderr, "cost: unknown or repeated program '%s'\n", tok);
			free(list);
			return -1;
		}
		o->v[o->nv++] = v;
	}
	free(list);
	return o->nv ? 0 : -1;
}

static const char *name(int v)
{
	return v == BENCH_MINIMAL ? "minimal" : v == BENCH_NOFLOW ? "no-flow-code" :
	       v == BENCH_FLOWS ? "flows" : v == BENCH_FLOWS_NEW ? "flows-new" :
	       v == BENCH_QUIC ? "quic-cid" : v == BENCH_QUIC_MISS ? "quic-cid-miss" :
	       v == BENCH_WEIGHTED ? "weighted" : bench_variant_name(v);
}

/* The map named @name among those program @prog_fd uses, or -ENOENT. */
static int prog_map_fd(int prog_fd, const char *name)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info), ids[32], i;
	int fd;

	memset(&info, 0, sizeof(info));
	info.nr_map_ids = 32;
	info.map_ids = (__u64)(unsigned long)ids;
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return -errno;
	for (i = 0; i < info.nr_map_ids && i < 32; i++) {
		struct bpf_map_info mi;
		__u32 mlen = sizeof(mi);

		fd = bpf_map_get_fd_by_id(ids[i]);
		if (fd < 0)
			continue;
		memset(&mi, 0, sizeof(mi));
		if (!bpf_obj_get_info_by_fd(fd, &mi, &mlen) && !strcmp(mi.name, name))
			return fd;
		close(fd);
	}
	return -ENOENT;
}

/*
 * pcbgroup's program built without the flow table and QUIC routing, on the
 * maps of the program @prog_fd of group @g: what flow_table=0 and
 * quic_cid_len=0 are measured against.
 */
static struct pcbgroup_noflow_bpf *noflow_load(int prog_fd)
{
	struct pcbgroup_noflow_bpf *p = pcbgroup_noflow_bpf__open();
	struct bpf_map *map;
	int err = p ? 0 : -errno, fd;

	if (!err) {
		bpf_object__for_each_map(map, p->obj) {
			fd = prog_map_fd(prog_fd, bpf_map__name(map));
			if (fd < 0)
				continue;	/* one the program does not use */
			err = bpf_map__reuse_fd(map, fd);
			close(fd);
			if (err)
				break;
		}
	}
	if (!err)
		err = pcbgroup_noflow_bpf__load(p);
	if (err) {
		pcbgroup_noflow_bpf__destroy(p);
		errno = -err;
		return NULL;
	}
	return p;
}

/* Put variant @v on group @gr: the program and the knobs it runs with. */
static int use_variant(struct bench_group *gr, int v, int noop_fd, int noflow_fd)
{
	int algo = v >= 0 ? v : PCBG_ALGO_HASH_THRESHOLD, err, weighted;

	if (v == BENCH_NOOP)
		return bench_group_use(gr, v, noop_fd);
	err = bench_group_use(gr, algo, noop_fd);
	if (!err)
		err = bench_set_knob(gr->grp, "flow_table",
				     v == BENCH_FLOWS || v == BENCH_FLOWS_NEW ? "1" : "0");
	/* a TCP group refuses any quic_cid_len, 0 too */
	if (!err && gr->proto == IPPROTO_UDP)
		err = pcbg_group_set_quic(gr->grp, v == BENCH_QUIC || v == BENCH_QUIC_MISS ?
					  BENCH_QUIC_CID_LEN : 0);
	/* slot 0's weight, published only when it changes: off the slices */
	weighted = v == BENCH_WEIGHTED;
	if (!err && gr->weighted != weighted) {
		err = pcbg_group_set_weight(gr->grp, 0, weighted ? 2 * PCBG_WEIGHT_DEFAULT :
						      PCBG_WEIGHT_DEFAULT);
		gr->weighted = weighted;
	}
	if (!err && v == BENCH_NOFLOW &&
	    setsockopt(gr->fds[0], SOL_SOCKET, SO_ATTACH_REUSEPORT_EBPF,
		       &noflow_fd, sizeof(noflow_fd)))
		err = -errno;
	return err;
}

/*
 * bench/minimal.bpf.c on group @g, its socket array holding the group's
 * sockets in order.
 */
static struct minimal_bpf *minimal_attach(struct bench_group *g)
{
	struct minimal_bpf *m = minimal_bpf__open();
	int i, err = m ? 0 : -errno, fd;
	__u64 sock;

	if (!err)
		err = bpf_map__set_max_entries(m->maps.minimal_socks, g->n);
	if (!err)
		err = minimal_bpf__load(m);
	for (i = 0; !err && i < g->n; i++) {
		sock = g->fds[i];
		if (bpf_map__update_elem(m->maps.minimal_socks, &i, sizeof(i),
					 &sock, sizeof(sock), BPF_ANY))
			err = -errno;
	}
	if (!err) {
		m->bss->nr_socks = g->n;
		fd = bpf_program__fd(m->progs.bench_minimal);
		if (setsockopt(g->fds[0], SOL_SOCKET, SO_ATTACH_REUSEPORT_EBPF,
			       &fd, sizeof(fd)))
			err = -errno;
	}
	if (err) {
		minimal_bpf__destroy(m);
		errno = -err;
		return NULL;
	}
	return m;
}

static double ns_per_run(int tcp, int ni, int vi, int r)
{
	const struct cell *c = &cells[tcp][ni][vi][r];

	return c->runs ? (double)c->run_ns / c->runs : 0;
}

/* The index of program @v in the list, or -1. */
static int index_of(const struct bench_opts *o, int v)
{
	int vi;

	for (vi = 0; vi < o->nv; vi++)
		if (o->v[vi] == v)
			return vi;
	return -1;
}

struct run {
	const struct bench_opts *o;
	int tcp, noop_fd;
	struct bench_group *g, *mg;
	const int *prog_fd, *minimal_fd, *noflow_fd;
	struct bench_tx *tx;
	__u32 next, next_known;
};

/* One slice of pair @pair (N and program), timed by the kernel's statistics. */
static int cost_slice(void *ctx, int pair, int rep)
{
	struct run *run = ctx;
	const struct bench_opts *o = run->o;
	int ni = pair / o->nv, vi = pair % o->nv, v = o->v[vi], err;
	int fd = v == BENCH_NOOP ? run->noop_fd : v == BENCH_MINIMAL ? run->minimal_fd[ni] :
		 v == BENCH_NOFLOW ? run->noflow_fd[ni] : run->prog_fd[ni];
	struct bench_group *gr = v == BENCH_MINIMAL ? &run->mg[ni] : &run->g[ni];
	struct cell *c = &cells[run->tcp][ni][vi][rep < 0 ? 0 : rep];
	__u64 runs0 = 0, ns0 = 0, runs1 = 0, ns1 = 0;
	int known = v == BENCH_FLOWS;
	struct bench_sample s;

	err = v == BENCH_MINIMAL ? 0 : use_variant(gr, v, run->noop_fd, run->noflow_fd[ni]);
	bench_tx_set_slots(run->tx, v == BENCH_QUIC ? gr->n : 0);
	if (!err)
		err = bench_prog_stats(fd, &runs0, &ns0);
	if (!err && run->tcp)
		err = bench_tcp_sample(gr, o->tcp_slice, &s);
	else if (!err)
		err = bench_udp_sample(run->tx, gr, BENCH_BATCH,
				       known ? FLOWS_KNOWN : FLOW_SPACE,
				       known ? &run->next_known : &run->next, &s);
	if (!err)
		err = bench_prog_stats(fd, &runs1, &ns1);
	if (err) {
		fprintf(stderr, "cost: N=%d %s: %s\n", o->n[ni], name(v), strerror(-err));
		return err;
	}
	if (s.ops && runs1 == runs0) {
		fprintf(stderr, "cost: N=%d %s: the kernel counted no run "
			"(BPF statistics off?)\n", o->n[ni], name(v));
		return -ENODATA;
	}
	if (rep < 0)
		return 0;
	c->runs += runs1 - runs0;
	c->run_ns += ns1 - ns0;
	c->ops += s.ops;
	c->lost += s.lost;
	return 0;
}

/* Every (N, program) pair a slice a round, shuffled; repetition -1 warms up. */
static int measure(const struct bench_opts *o, int tcp, struct bench_group *g,
		   struct bench_group *mg, const int *prog_fd,
		   const int *minimal_fd, const int *noflow_fd,
		   struct bench_tx *tx, int noop_fd)
{
	static struct run run;

	run = (struct run){ .o = o, .tcp = tcp, .noop_fd = noop_fd, .g = g, .mg = mg,
			    .prog_fd = prog_fd, .minimal_fd = minimal_fd,
			    .noflow_fd = noflow_fd, .tx = tx, .next = run.next,
			    .next_known = run.next_known };
	return bench_sweep(o->reps, o->rounds, o->nn * o->nv, 7 + tcp, 0, tcp ? "tcp" : "udp",
			   cost_slice, &run);
}

/*
 * ns per run of a pair over repetitions; with @base >= 0, minus that of
 * program @base in the same repetition.
 */
static void pair_stat(const struct bench_opts *o, int tcp, int ni, int vi, int base,
		      struct bench_stat *st)
{
	double d[MAX_REPS];
	int r;

	for (r = 0; r < o->reps; r++)
		d[r] = ns_per_run(tcp, ni, vi, r) -
		       (base < 0 ? 0 : ns_per_run(tcp, ni, base, r));
	bench_stat(d, o->reps, st);
}

static void report(const struct bench_opts *o, int tcp, FILE *sum, FILE *raw)
{
	int ni, vi, r, nop = index_of(o, BENCH_NOOP), min = index_of(o, BENCH_MINIMAL);
	struct bench_stat sa, sd, sm;
	char a[128], d[128], m[128];

	printf("\n%s: BPF run time per selection, ns (median [min, max] over %d "
	       "repetitions of one interleaved run)\n",
	       tcp ? "TCP, connections" : "UDP, datagrams", o->reps);
	printf("%-5s %-15s %-24s %-24s %-24s %s\n", "N", "program", "ns per run",
	       "ns above noop", "ns above minimal", "runs per op");
	for (ni = 0; ni < o->nn; ni++) {
		for (vi = 0; vi < o->nv; vi++) {
			const char *pname = name(o->v[vi]);
			__u64 runs = 0;
			long ops = 0, lost = 0;

			for (r = 0; r < o->reps; r++) {
				const struct cell *c = &cells[tcp][ni][vi][r];

				runs += c->runs;
				ops += c->ops;
				lost += c->lost;
				fprintf(raw, "%s,%d,%s,%d,%ld,%ld,%llu,%llu,%.2f\n",
					tcp ? "tcp" : "udp", o->n[ni], pname, r, c->ops,
					c->lost, (unsigned long long)c->runs,
					(unsigned long long)c->run_ns,
					ns_per_run(tcp, ni, vi, r));
			}
			pair_stat(o, tcp, ni, vi, -1, &sa);
			pair_stat(o, tcp, ni, vi, nop, &sd);
			pair_stat(o, tcp, ni, vi, min, &sm);
			bench_fmt_stat(a, sizeof(a), &sa, "%.1f");
			bench_fmt_stat(d, sizeof(d), &sd, "%+.1f");
			bench_fmt_stat(m, sizeof(m), &sm, "%+.1f");
			printf("%-5d %-15s %-24s %-24s %-24s %.3f%s\n", o->n[ni], pname, a,
			       nop < 0 || vi == nop ? "-" : d,
			       min < 0 || vi == min || vi == nop ? "-" : m,
			       ops ? (double)runs / ops : 0.0, lost ? " (some lost)" : "");
			fprintf(sum, "%s,%d,%s,%.2f,%.2f,%.2f,", tcp ? "tcp" : "udp",
				o->n[ni], pname, sa.med, sa.min, sa.max);
			if (nop >= 0)
				fprintf(sum, "%.2f,%.2f,%.2f,", sd.med, sd.min, sd.max);
			else
				fprintf(sum, ",,,");
			if (min >= 0)
				fprintf(sum, "%.2f,%.2f,%.2f,", sm.med, sm.min, sm.max);
			else
				fprintf(sum, ",,,");
			fprintf(sum, "%.4f,%ld\n", ops ? (double)runs / ops : 0.0, lost);
		}
	}
	if (min >= 0)
		printf("minimal: bench/minimal.bpf.c on a second set of N sockets; above noop it\n"
		       "is the floor of selecting at all, the chosen socket's first touch included\n");
}

/* " udp 1 2 tcp 3 4": medians of program @vi minus program @base. */
static void medians(const struct bench_opts *o, int vi, int base, char *buf, size_t len)
{
	struct bench_stat st;
	int t, ni;

	for (t = 0; t < 2; t++) {
		if (!bench_proto(o, t))
			continue;
		snprintf(buf + strlen(buf), len - strlen(buf), " %s", t ? "tcp" : "udp");
		for (ni = 0; ni < o->nn; ni++) {
			pair_stat(o, t, ni, vi, base, &st);
			snprintf(buf + strlen(buf), len - strlen(buf), " %.0f", st.med);
		}
	}
}

/*
 * One row per program over both protocols and every N: noop absolute,
 * every other program above noop (pcbgroup's algorithms against the goal,
 * and above minimal beside it).
 */
static void goals(const struct bench_opts *o)
{
	int vi, ni, t, nop = index_of(o, BENCH_NOOP), min = index_of(o, BENCH_MINIMAL);
	char what[160], meas[256], g[32];
	struct bench_stat st;

	for (vi = 0; vi < o->nv && nop >= 0; vi++) {
		int v = o->v[vi], pass = 1, info = v < 0;

		if (v == BENCH_NOFLOW || v == BENCH_FLOWS || v == BENCH_FLOWS_NEW ||
		    v == BENCH_QUIC || v == BENCH_QUIC_MISS)
			continue;	/* flow_goals(), quic_goals() */
		double limit = v == PCBG_ALGO_MAGLEV ? GOAL_MAGLEV_NS : GOAL_NS;

		snprintf(what, sizeof(what), "%s ns per selection%s, N=", name(v),
			 vi == nop ? " (most of it the statistics' clock reads)" : " above noop");
		for (ni = 0; ni < o->nn; ni++)
			snprintf(what + strlen(what), sizeof(what) - strlen(what), "%s%d",
				 ni ? "," : "", o->n[ni]);
		for (t = 0; t < 2; t++)
			for (ni = 0; ni < o->nn && bench_proto(o, t); ni++) {
				pair_stat(o, t, ni, vi, nop, &st);
				pass &= st.med <= limit;
			}
		meas[0] = '\0';
		medians(o, vi, vi == nop ? -1 : nop, meas, sizeof(meas));
		if (!info && min >= 0) {
			snprintf(meas + strlen(meas), sizeof(meas) - strlen(meas),
				 " (above minimal:");
			medians(o, vi, min, meas, sizeof(meas));
			snprintf(meas + strlen(meas), sizeof(meas) - strlen(meas), ")");
		}
		snprintf(g, sizeof(g), "<= %.0f", limit);
		bench_goal("cost", what, meas + 1, info ? "-" : g, info ? BENCH_INFO : pass);
	}
}

/*
 * The flow table's rows, UDP: flow_table=0 (hash-threshold) above the
 * program without the flow table's code (nor QUIC routing's: the cost of
 * both when off), and flow_table=1 above noop (and
 * above minimal beside it), for known flows and for new ones.
 */
static void flow_goals(const struct bench_opts *o)
{
	int ht = index_of(o, PCBG_ALGO_HASH_THRESHOLD), nf = index_of(o, BENCH_NOFLOW);
	int nop = index_of(o, BENCH_NOOP), min = index_of(o, BENCH_MINIMAL);
	int fl[2] = { index_of(o, BENCH_FLOWS), index_of(o, BENCH_FLOWS_NEW) };
	char what[160], meas[256], g[32], ns[64];
	struct bench_stat st;
	int ni, k, pass;

	if (!o->udp)
		return;
	ns[0] = '\0';
	for (ni = 0; ni < o->nn; ni++)
		snprintf(ns + strlen(ns), sizeof(ns) - strlen(ns), "%s%d", ni ? "," : "",
			 o->n[ni]);
	if (ht >= 0 && nf >= 0) {
		pass = 1;
		meas[0] = '\0';
		/* nothing measurable: no difference beyond the repetitions' spread */
		for (ni = 0; ni < o->nn; ni++) {
			pair_stat(o, 0, ni, ht, nf, &st);
			pass &= st.min <= 0 && st.max >= 0;
			snprintf(meas + strlen(meas), sizeof(meas) - strlen(meas),
				 "%s%+.1f [%+.1f, %+.1f]", ni ? ", " : "", st.med, st.min,
				 st.max);
		}
		snprintf(what, sizeof(what), "flow_table=0, quic_cid_len=0 ns per selection above "
			 "the program without their code, UDP, med [min, max], N=%s", ns);
		bench_goal("cost", what, meas, "0 within [min, max]", pass);
	}
	for (k = 0; k < 2 && nop >= 0; k++) {
		if (fl[k] < 0)
			continue;
		pass = 1;
		meas[0] = '\0';
		for (ni = 0; ni < o->nn; ni++) {
			pair_stat(o, 0, ni, fl[k], nop, &st);
			pass &= st.med <= GOAL_FLOWS_NS;
			snprintf(meas + strlen(meas), sizeof(meas) - strlen(meas),
				 "%s%.0f", ni ? " " : "", st.med);
			if (min >= 0) {
				pair_stat(o, 0, ni, fl[k], min, &st);
				snprintf(meas + strlen(meas), sizeof(meas) - strlen(meas),
					 " (above minimal: %.0f)", st.med);
			}
		}
		snprintf(what, sizeof(what), "flow_table=1 ns per selection above noop, UDP, "
			 "%s, N=%s", k ? "every datagram a new flow (LRU insert)" :
			 "known flows", ns);
		snprintf(g, sizeof(g), "<= %.0f", GOAL_FLOWS_NS);
		bench_goal("cost", what, meas, k ? "-" : g, k ? BENCH_INFO : pass);
	}
}

/*
 * QUIC connection-ID routing, UDP: above hash-threshold in the same
 * repetition, for CIDs that name a slot (the goal) and for CIDs that name
 * none (parsed, then picked by hash-threshold).
 */
static void quic_goals(const struct bench_opts *o)
{
	int ht = index_of(o, PCBG_ALGO_HASH_THRESHOLD);
	int q[2] = { index_of(o, BENCH_QUIC), index_of(o, BENCH_QUIC_MISS) };
	char what[160], meas[256], g[32];
	struct bench_stat st;
	int ni, k, pass;

	for (k = 0; k < 2 && o->udp && ht >= 0; k++) {
		if (q[k] < 0)
			continue;
		pass = 1;
		meas[0] = '\0';
		snprintf(what, sizeof(what), "quic_cid_len ns per datagram above hash-threshold, "
			 "UDP, %s, med [min, max], N=", k ? "CIDs naming no slot (fallback)" :
			 "CIDs naming the slots");
		for (ni = 0; ni < o->nn; ni++) {
			pair_stat(o, 0, ni, q[k], ht, &st);
			pass &= st.med <= GOAL_QUIC_NS;
			snprintf(meas + strlen(meas), sizeof(meas) - strlen(meas),
				 "%s%+.1f [%+.1f, %+.1f]", ni ? ", " : "", st.med, st.min,
				 st.max);
			snprintf(what + strlen(what), sizeof(what) - strlen(what), "%s%d",
				 ni ? "," : "", o->n[ni]);
		}
		snprintf(g, sizeof(g), "<= %+.0f", GOAL_QUIC_NS);
		bench_goal("cost", what, meas, k ? "-" : g, k ? BENCH_INFO : pass);
	}
}

int main(int argc, char **argv)
{
	struct bench_opts o = {
		.outdir = "build/bench", .reps = 7, .rounds = 16, .tcp_slice = 8,
		.nn = 2, .n = { 16, 4096 }, .nv = 13,
		.v = { BENCH_NOOP, BENCH_MINIMAL, PCBG_ALGO_HASH_THRESHOLD,
		       PCBG_ALGO_MODULO, PCBG_ALGO_CPU, PCBG_ALGO_MAGLEV,
		       BENCH_NOFLOW, BENCH_FLOWS, BENCH_FLOWS_NEW,
		       PCBG_ALGO_LEAST_LOADED, BENCH_QUIC, BENCH_QUIC_MISS, BENCH_WEIGHTED },
		.cpu = -1, .udp = 1, .tcp = 1,
	};
	struct pcbgroup_noflow_bpf *noflow[MAX_N];
	int noflow_fd[MAX_N];
	struct minimal_bpf *minimal[MAX_N];
	struct bench_group g[MAX_N], mg[MAX_N];
	int prog_fd[MAX_N], minimal_fd[MAX_N], ni, t, err;
	struct bench_run run;

	if (bench_parse(argc, argv, "o:r:R:t:n:a:c:p:gh", &o, MAX_N, parse_programs))
		usage(argv[0]);
	err = bench_run_open(&run, "cost", &o, BENCH_RUN_STATS,
			     "proto,n,program,rep,ops,lost,runs,run_time_ns,ns_per_run",
			     "proto,n,program,ns_med,ns_min,ns_max,above_noop_med,above_noop_min,above_noop_max,above_minimal_med,above_minimal_min,above_minimal_max,runs_per_op,lost");
	if (err)
		return 1;
	bench_banner("cost", &o);
	for (t = 0; t < 2; t++) {
		int proto = bench_proto(&o, t);

		if (!proto)
			continue;
		for (ni = 0; ni < o.nn; ni++) {
			int port = (t ? TCP_PORT : UDP_PORT) + 2 * ni;

			minimal[ni] = NULL;
			bench_group_init(&mg[ni]);
			err = bench_group_create(&g[ni], proto, port, o.n[ni], 0);
			prog_fd[ni] = err ? err : bench_group_prog_fd(&g[ni]);
			err = prog_fd[ni] < 0 ? prog_fd[ni] : 0;
			if (!err && index_of(&o, BENCH_MINIMAL) >= 0) {
				err = bench_group_create(&mg[ni], proto, port + 1, o.n[ni],
							 BENCH_NO_PCBG);
				minimal[ni] = err ? NULL : minimal_attach(&mg[ni]);
				if (!err && !minimal[ni])
					err = -errno;
				minimal_fd[ni] = err ? -1 :
					bpf_program__fd(minimal[ni]->progs.bench_minimal);
			}
			noflow[ni] = NULL;
			noflow_fd[ni] = -1;
			if (!err && index_of(&o, BENCH_NOFLOW) >= 0) {
				noflow[ni] = noflow_load(prog_fd[ni]);
				err = noflow[ni] ? 0 : -errno;
				if (!err)
					noflow_fd[ni] =
						bpf_program__fd(noflow[ni]->progs.pcbg_select);
			}
			if (err) {
				fprintf(stderr, "cost: group of %d: %s\n", o.n[ni],
					strerror(-err));
				return 1;
			}
		}
		err = measure(&o, t, g, mg, prog_fd, minimal_fd, noflow_fd, run.tx,
			      run.noop_fd);
		for (ni = 0; ni < o.nn; ni++) {
			close(prog_fd[ni]);
			bench_group_destroy(&g[ni]);
			bench_group_destroy(&mg[ni]);
			minimal_bpf__destroy(minimal[ni]);
			pcbgroup_noflow_bpf__destroy(noflow[ni]);
		}
		if (err)
			return 1;
		report(&o, t, run.sum, run.raw);
		fflush(stdout);
	}
	if (o.goals) {
		goals(&o);
		flow_goals(&o);
		quic_goals(&o);
	}
	bench_run_close(&run);
	return 0;
}
