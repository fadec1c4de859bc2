// SPDX-License-Identifier: GPL-2.0
/*
 * rate: what steering costs per datagram and per connection.
 *
 * One group of N UDP sockets (then one of N TCP listeners) per group size,
 * all set up first; then one interleaved run.  The variants are the
 * kernel's own pick (no program; measured twice, the second time as a
 * check of the noise), a no-op program and pcbgroup with each algorithm:
 * switching is an attach, a detach or a knob write, the sockets stay.
 *
 *   raw sender --sendmmsg--> lo --> UDP lookup --> pick --> socket queue
 *   connect() --> lo --> SYN --> listener pick --> accept() --> close
 *
 * A repetition is a number of rounds; in each round every (N, variant)
 * pair gets one slice (a sendmmsg() of 256 datagrams, or a few
 * connections) in an order shuffled anew each round.  Time is the thread's
 * CPU time: on loopback the receive path, lookup and pick included, runs
 * inside the sending call on the sending CPU.  Disturbances (other work
 * in the guest or on the host, interrupts) only ever add time, so a pair's
 * cost in a repetition is the lower quartile of its slices' time per
 * operation.  Every figure is a ratio of two pairs in the same repetition;
 * the report gives the median, minimum and maximum over repetitions.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <bpf/libbpf.h>

#include "common.h"

#define MAX_N		8
#define MAX_REPS	BENCH_MAX_REPS
#define NV		(5 + PCBG_ALGO_NR)
#define SMALL		(NV - 2)	/* maglev in a group of capacity N */
#define SMALL_BASE	(NV - 1)	/* the kernel's pick in that group */
#define UDP_PORT	8000
#define TCP_PORT	9000
/* UDP: within this of the no-op program's ratio; TCP: at least this */
#define UDP_SLACK	0.01
#define TCP_GOAL	0.99
/* maglev / hash-threshold, the rate of the cold table against none */
#define MAGLEV_GOAL	0.98
#define SCALE_GOAL	0.98
#define FLOW_SPACE	(16 * BENCH_PORTS)

/*
 * The kernel twice: the second, against the first, shows the noise.  The
 * last two, maglev and the kernel, run on a second set of N sockets whose
 * group was created with capacity N instead of the default (N < 4096
 * only): the Maglev table is sized by the group either way, so the two
 * maglev rows should agree.  That group gets fewer slices, so its sockets
 * are colder in the caches: maglev there is compared with the kernel's
 * pick there.
 */
static const int variants[NV] = {
	BENCH_KERNEL, BENCH_KERNEL, BENCH_NOOP, PCBG_ALGO_HASH_THRESHOLD,
	PCBG_ALGO_MODULO, PCBG_ALGO_CPU, PCBG_ALGO_MAGLEV, PCBG_ALGO_MAGLEV,
	BENCH_KERNEL,
};

static struct bench_cell cells[MAX_N][NV][MAX_REPS];

static const char *name(int vi)
{
	if (vi == 1)
		return "kernel-again";
	if (vi == SMALL)
		return "maglev-capN";
	if (vi == SMALL_BASE)
		return "kernel-capN";
	return bench_variant_name(variants[vi]);
}

/* Is the pair measured? */
static int valid(const struct bench_opts *o, int ni, int vi)
{
	return vi < SMALL || o->n[ni] < PCBG_SLOTS_DEFAULT;
}

/* The kernel's pick on the same sockets. */
static int base(int vi)
{
	return vi == SMALL ? SMALL_BASE : 0;
}

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-o DIR] [-r REPS] [-R ROUNDS] [-t CONNS] [-n N,...] [-c CPU] [-p udp|tcp]\n"
		"  -o DIR        results directory (build/bench)\n"
		"  -r REPS       repetitions (21)\n"
		"  -R ROUNDS     rounds a repetition (64)\n"
		"  -t CONNS      connections a TCP slice (8); a UDP slice is %d datagrams\n"
		"  -n N,...      group sizes (2,16,256,4096)\n"
		"  -c CPU        CPU to run on (the last one)\n"
		"  -p PROTO      only udp or only tcp\n", prog, BENCH_BATCH);
	exit(2);
}

static int alloc_cells(const struct bench_opts *o)
{
	int ni, vi, r, err;

	for (ni = 0; ni < o->nn; ni++)
		for (vi = 0; vi < NV; vi++)
			for (r = 0; r < o->reps; r++) {
				err = bench_cell_init(&cells[ni][vi][r], o->rounds);
				if (err)
					return err;
			}
	return 0;
}

struct run {
	const struct bench_opts *o;
	int tcp, noop_fd, pairs[MAX_N * NV];
	struct bench_group *g, *small;
	struct bench_tx *tx;
	__u32 next;
};

/* One slice of pair @pair (an index of run->pairs: N and variant). */
static int rate_slice(void *ctx, int pair, int rep)
{
	struct run *run = ctx;
	int ni = run->pairs[pair] / NV, vi = run->pairs[pair] % NV, err;
	struct bench_group *gr = vi >= SMALL ? &run->small[ni] : &run->g[ni];
	struct bench_sample s;

	err = bench_group_use(gr, variants[vi], run->noop_fd);
	if (err) {
		fprintf(stderr, "rate: N=%d: %s: %s\n", run->o->n[ni], name(vi), strerror(-err));
		return err;
	}
	if (run->tcp)
		err = bench_tcp_sample(gr, run->o->tcp_slice, &s);
	else
		err = bench_udp_sample(run->tx, gr, BENCH_BATCH, FLOW_SPACE, &run->next, &s);
	if (err) {
		fprintf(stderr, "rate: sample: %s\n", strerror(-err));
		return err;
	}
	if (rep >= 0)
		bench_cell_add(&cells[ni][vi][rep], &s);
	return 0;
}

/* Every (N, variant) pair a slice a round, shuffled; repetition -1 warms up. */
static int measure(const struct bench_opts *o, int tcp, struct bench_group *g,
		   struct bench_group *small, struct bench_tx *tx, int noop_fd)
{
	static struct run run;
	int k, nc = 0, err;

	err = alloc_cells(o);
	if (err)
		return err;
	run = (struct run){ .o = o, .tcp = tcp, .noop_fd = noop_fd, .g = g, .small = small,
			    .tx = tx, .next = run.next };
	for (k = 0; k < o->nn * NV; k++)
		if (valid(o, k / NV, k % NV))
			run.pairs[nc++] = k;
	return bench_sweep(o->reps, o->rounds, nc, 42 + tcp, 0, tcp ? "tcp" : "udp",
			   rate_slice, &run);
}

/* CPU ns per operation of a pair in a repetition (@loop: with draining). */
static double cost(int ni, int vi, int r, int loop)
{
	return bench_cell_cost(&cells[ni][vi][r], loop);
}

static void ratio_stat(const struct bench_opts *o, int ni, int vi, int base_ni,
		       int base_vi, int loop, struct bench_stat *st)
{
	double v[MAX_REPS];
	int r;

	for (r = 0; r < o->reps; r++)
		v[r] = cost(base_ni, base_vi, r, loop) / cost(ni, vi, r, loop);
	bench_stat(v, o->reps, st);
}

static void write_raw(const struct bench_opts *o, int tcp, FILE *raw)
{
	int ni, vi, r;

	for (ni = 0; ni < o->nn; ni++) {
		for (vi = 0; vi < NV; vi++) {
			for (r = 0; valid(o, ni, vi) && r < o->reps; r++) {
				const struct bench_sample *s = &cells[ni][vi][r].sum;

				fprintf(raw, "%s,%d,%s,%d,%ld,%llu,%llu,%llu,%ld,%.2f,%.2f\n",
					tcp ? "tcp" : "udp", o->n[ni], name(vi), r,
					s->ops, (unsigned long long)s->cpu_ns,
					(unsigned long long)s->wall_ns,
					(unsigned long long)s->loop_ns, s->lost,
					cost(ni, vi, r, 0), cost(ni, vi, r, 1));
			}
		}
	}
}

/* The table of one protocol: every pair against the kernel's pick. */
static void table(const struct bench_opts *o, int tcp, FILE *sum)
{
	double added[MAX_REPS], kns[MAX_REPS];
	struct bench_stat sr, sa, se, sk;
	char m[128], a[128], e[128];
	int ni, vi, r;
	long lost = 0;

	printf("\n%s: %s; rate / the kernel's pick, and time added per %s\n"
	       "(median [min, max] over %d repetitions of one interleaved run)\n",
	       tcp ? "TCP" : "UDP",
	       tcp ? "connect + accept + close" : "datagrams through the receive path",
	       tcp ? "connection" : "datagram", o->reps);
	printf("%-5s %-14s %-26s %-26s %s\n", "N", "variant", "rate / kernel",
	       "ns added per op", tcp ? "" : "rate / kernel, recv included");
	for (ni = 0; ni < o->nn; ni++) {
		for (r = 0; r < o->reps; r++)
			kns[r] = cost(ni, 0, r, 0);
		bench_stat(kns, o->reps, &sk);
		printf("%-5d %-14s %.0f ns per op [%.0f, %.0f] (CPU time)\n", o->n[ni],
		       "kernel", sk.med, sk.min, sk.max);
		for (vi = 1; vi < NV; vi++) {
			if (!valid(o, ni, vi))
				continue;
			for (r = 0; r < o->reps; r++) {
				added[r] = cost(ni, vi, r, 0) - cost(ni, base(vi), r, 0);
				lost += cells[ni][vi][r].sum.lost;
			}
			bench_stat(added, o->reps, &sa);
			ratio_stat(o, ni, vi, ni, base(vi), 0, &sr);
			ratio_stat(o, ni, vi, ni, base(vi), 1, &se);
			bench_fmt_stat(m, sizeof(m), &sr, "%.4f");
			bench_fmt_stat(a, sizeof(a), &sa, "%+.1f");
			bench_fmt_stat(e, sizeof(e), &se, "%.4f");
			printf("%-5d %-14s %-26s %-26s %s\n", o->n[ni], name(vi), m, a,
			       tcp ? "" : e);
			fprintf(sum, "%s,%d,%s,%.5f,%.5f,%.5f,%.2f,%.2f,%.2f,"
				"%.5f,%.5f,%.5f,%.1f\n",
				tcp ? "tcp" : "udp", o->n[ni], name(vi), sr.med, sr.min,
				sr.max, sa.med, sa.min, sa.max, se.med, se.min, se.max,
				sk.med);
		}
	}
	if (lost)
		printf("%ld operations lost (sent, never received)\n", lost);
	printf("maglev-capN: against kernel-capN, the kernel's pick on the same sockets, a\n"
	       "second set in a group of capacity N; kernel-capN against kernel shows what\n"
	       "fewer slices (colder caches) cost that set\n");
}

/* The index of @variant among the variants. */
static int variant_index(int variant)
{
	int vi;

	for (vi = 2; vi < SMALL; vi++)
		if (variants[vi] == variant)
			return vi;
	return -1;
}

/*
 * Goal rows: each variant against the kernel, over every N.  UDP: each
 * algorithm at least the no-op program's ratio less UDP_SLACK, the cost of
 * running any program being the kernel's; TCP: TCP_GOAL.  Then maglev
 * against hash-threshold.
 */
static void goals(const struct bench_opts *o, int tcp)
{
	int noop = variant_index(BENCH_NOOP), ht = variant_index(PCBG_ALGO_HASH_THRESHOLD);
	int mag = variant_index(PCBG_ALGO_MAGLEV);
	char what[160], meds[160], g[32];
	struct bench_stat sr, sn;
	int ni, vi, pass;

	if (tcp)
		snprintf(g, sizeof(g), ">= %.3f", TCP_GOAL);
	else
		snprintf(g, sizeof(g), ">= noop - %.3f", UDP_SLACK);
	for (vi = 1; vi < NV; vi++) {
		int info = variants[vi] < 0 || vi >= SMALL;

		pass = 1;
		meds[0] = '\0';
		snprintf(what, sizeof(what), "%s %s / %s, N=", tcp ? "tcp" : "udp",
			 name(vi), name(base(vi)));
		for (ni = 0; ni < o->nn; ni++) {
			if (!valid(o, ni, vi))
				continue;
			ratio_stat(o, ni, vi, ni, base(vi), 0, &sr);
			ratio_stat(o, ni, noop, ni, 0, 0, &sn);
			pass &= sr.med >= (tcp ? TCP_GOAL : sn.med - UDP_SLACK);
			snprintf(meds + strlen(meds), sizeof(meds) - strlen(meds),
				 "%s%.3f", ni ? " " : "", sr.med);
			snprintf(what + strlen(what), sizeof(what) - strlen(what),
				 "%s%d", ni ? "," : "", o->n[ni]);
		}
		bench_goal("rate", what, meds, info ? "-" : g, info ? BENCH_INFO : pass);
	}

	pass = 1;
	meds[0] = '\0';
	snprintf(what, sizeof(what), "%s maglev / hash-threshold, N=", tcp ? "tcp" : "udp");
	for (ni = 0; ni < o->nn; ni++) {
		ratio_stat(o, ni, mag, ni, ht, 0, &sr);
		pass &= sr.med >= MAGLEV_GOAL;
		snprintf(meds + strlen(meds), sizeof(meds) - strlen(meds),
			 "%s%.3f", ni ? " " : "", sr.med);
		snprintf(what + strlen(what), sizeof(what) - strlen(what),
			 "%s%d", ni ? "," : "", o->n[ni]);
	}
	snprintf(g, sizeof(g), ">= %.2f", MAGLEV_GOAL);
	bench_goal("rate", what, meds, g, pass);
}

/*
 * Rate at N=4096 over rate at N=16, per variant; and that over the same
 * ratio of the kernel's pick, which separates what pcbgroup adds from what
 * 4096 sockets cost the kernel itself.
 */
static void scaling(const struct bench_opts *o, int tcp, FILE *scale)
{
	char m[128], k[128], row[256], g[32];
	double v[MAX_REPS], own;
	int i16 = -1, i4096 = -1, ni, vi, r, pass = 1;
	struct bench_stat sr, sk;

	for (ni = 0; ni < o->nn; ni++) {
		if (o->n[ni] == 16)
			i16 = ni;
		if (o->n[ni] == 4096)
			i4096 = ni;
	}
	if (i16 < 0 || i4096 < 0)
		return;
	printf("\n%s: rate at N=4096 / rate at N=16 (median [min, max]); "
	       "the same over the kernel's own ratio\n", tcp ? "tcp" : "udp");
	row[0] = '\0';
	for (vi = 0; vi < SMALL; vi++) {
		ratio_stat(o, i4096, vi, i16, vi, 0, &sr);
		for (r = 0; r < o->reps; r++) {
			own = cost(i4096, 0, r, 0) / cost(i16, 0, r, 0);
			v[r] = cost(i16, vi, r, 0) / cost(i4096, vi, r, 0) * own;
		}
		bench_stat(v, o->reps, &sk);
		bench_fmt_stat(m, sizeof(m), &sr, "%.4f");
		bench_fmt_stat(k, sizeof(k), &sk, "%.4f");
		printf("%-14s %-26s %s\n", name(vi), m, vi ? k : "");
		fprintf(scale, "%s,%s,%.5f,%.5f,%.5f,%.5f,%.5f,%.5f\n",
			tcp ? "tcp" : "udp", name(vi), sr.med, sr.min, sr.max,
			sk.med, sk.min, sk.max);
		if (vi == 1)
			continue;
		if (variants[vi] >= 0)
			pass &= sr.med >= SCALE_GOAL;
		snprintf(row + strlen(row), sizeof(row) - strlen(row), "%s%s %.3f",
			 row[0] ? ", " : "", name(vi), sr.med);
	}
	snprintf(m, sizeof(m), "%s rate N=4096 / N=16 (kernel, noop for reference)",
		 tcp ? "tcp" : "udp");
	snprintf(g, sizeof(g), ">= %.2f", SCALE_GOAL);
	bench_goal("rate", m, row, g, pass);
}

/*
 * The groups of slices of kind @t: @g[ni] of each size, and where SMALL is
 * measured, @small[ni] with room for its sockets only.  0 or -errno.
 */
static int make_groups(const struct bench_opts *o, int t, struct bench_group *g,
		       struct bench_group *small)
{
	int ni, proto = bench_proto(o, t), err = 0;

	for (ni = 0; ni < o->nn && !err; ni++) {
		int port = (t ? TCP_PORT : UDP_PORT) + 2 * ni;

		bench_group_init(&small[ni]);
		err = bench_group_create(&g[ni], proto, port, o->n[ni], 0);
		if (!err && valid(o, ni, SMALL))
			err = bench_group_create(&small[ni], proto, port + 1, o->n[ni], o->n[ni]);
		if (err)
			fprintf(stderr, "rate: group of %d: %s\n", o->n[ni], strerror(-err));
	}
	return err;
}

int main(int argc, char **argv)
{
	struct bench_opts o = {
		.outdir = "build/bench", .reps = 21, .rounds = 64,
		.tcp_slice = 8, .nn = 4, .n = { 2, 16, 256, 4096 },
		.cpu = -1, .udp = 1, .tcp = 1,
	};
	struct bench_group g[MAX_N], small[MAX_N];
	struct bench_run run;
	FILE *scale;
	int ni, t, err;

	if (bench_parse(argc, argv, "o:r:R:t:n:c:p:h", &o, MAX_N, NULL))
		usage(argv[0]);
	err = bench_run_open(&run, "rate", &o, 0,
			     "proto,n,variant,rep,ops,cpu_ns,wall_ns,loop_cpu_ns,lost,q25_ns_per_op,q25_loop_ns_per_op",
			     "proto,n,variant,ratio_med,ratio_min,ratio_max,ns_added_med,ns_added_min,ns_added_max,recv_ratio_med,recv_ratio_min,recv_ratio_max,kernel_ns_per_op");
	if (err)
		return 1;
	scale = bench_open(o.outdir, "rate_scale.csv",
			   "proto,variant,ratio_med,ratio_min,ratio_max,over_kernel_med,over_kernel_min,over_kernel_max");
	if (!scale)
		return bench_setup_failed("rate", 0);
	bench_banner("rate", &o);
	for (t = 0; t < 2; t++) {
		if (!bench_proto(&o, t))
			continue;
		if (make_groups(&o, t, g, small))
			return 1;
		err = measure(&o, t, g, small, run.tx, run.noop_fd);
		for (ni = 0; ni < o.nn; ni++) {
			bench_group_destroy(&g[ni]);
			bench_group_destroy(&small[ni]);
		}
		if (err)
			return 1;
		write_raw(&o, t, run.raw);
		table(&o, t, run.sum);
		goals(&o, t);
		scaling(&o, t, scale);
		fflush(stdout);
	}
	fclose(scale);
	bench_run_close(&run);
	return 0;
}
