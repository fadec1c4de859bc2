// SPDX-License-Identifier: GPL-2.0
/*
 * fairness: how evenly F flows spread over N sockets, per algorithm and
 * for the kernel's own pick, counted on real sockets.
 *
 * A set is F flows, each a datagram from its own (address, port); each CPU
 * sends an equal share of the set, so the per-CPU tables of algorithm cpu
 * see equal loads.  Every variant gets the same set, in an order shuffled
 * anew for each set.  Per set: the coefficient of variation of the
 * sockets' counts (CV), max/mean and Jain's index.  A perfectly random pick
 * gives E[CV^2] = (N - 1) / F, the floor; one set's CV scatters around it
 * (by about 1/sqrt(2(N - 1)) of it), so the goal, CV within 1.1 times the
 * floor, is checked on the root mean square of CV over many sets.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>

#include "common.h"

#define MAX_N		8
#define MAX_SETS	400
#define NV		(1 + PCBG_ALGO_NR)
#define PORT		7000
#define GOAL		1.10

static const int variants[NV] = {
	BENCH_KERNEL, PCBG_ALGO_HASH_THRESHOLD, PCBG_ALGO_MODULO,
	PCBG_ALGO_CPU, PCBG_ALGO_MAGLEV,
};

/* sets are added until sets * (N - 1) >= dof, and at least min_sets */
static int dof = 480, min_sets = 10;

struct spread {
	double cv;
	double max_mean;
	double jain;
};

static struct spread results[MAX_N][NV][MAX_SETS];

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-o DIR] [-f FLOWS] [-d DOF] [-s SETS] [-n N,...]\n"
		"  -o DIR    results directory (build/bench)\n"
		"  -f FLOWS  flows a set (10000)\n"
		"  -d DOF    sets until sets * (N - 1) >= DOF (480)\n"
		"  -s SETS   at least this many sets (10)\n"
		"  -n N,...  group sizes (4,16,64)\n", prog);
	exit(2);
}

static void spread_of(const long *counts, int n, long total, struct spread *s)
{
	double mean = (double)total / n, var = 0, sq = 0, max = 0;
	int i;

	for (i = 0; i < n; i++) {
		var += (counts[i] - mean) * (counts[i] - mean);
		sq += (double)counts[i] * counts[i];
		if (counts[i] > max)
			max = counts[i];
	}
	s->cv = sqrt(var / n) / mean;
	s->max_mean = max / mean;
	s->jain = (double)total * total / (n * sq);
}

/* Flows [@base, @base + @flows): an equal share from each CPU. */
static long send_set(const struct bench_opts *o, struct bench_tx *tx,
		     struct bench_group *g, __u32 base, __u32 tag, long *counts)
{
	int ncpus = bench_ncpus(), c, err;
	__u32 share = o->flows / ncpus, first;
	long got = 0, r;

	for (c = 0; c < ncpus; c++) {
		err = bench_pin(c);
		if (err)
			return err;
		first = c * share;
		r = bench_flows(tx, g, base + first,
				c == ncpus - 1 ? o->flows - first : share, tag,
				NULL, counts);
		if (r < 0)
			return r;
		got += r;
	}
	return got;
}

static int sets_for(int n)
{
	int sets = (dof + n - 2) / (n - 1);

	if (sets < min_sets)
		sets = min_sets;
	return sets > MAX_SETS ? MAX_SETS : sets;
}

static int measure(const struct bench_opts *o, struct bench_tx *tx, int ni,
		   __u32 *next)
{
	int order[NV], sets = sets_for(o->n[ni]), s, k, err;
	unsigned int seed = 7 + ni;
	struct bench_group g;
	long *counts, got;

	err = bench_group_create(&g, IPPROTO_UDP, PORT + ni, o->n[ni], 0);
	counts = calloc(o->n[ni], sizeof(*counts));
	if (err || !counts)
		return err ? err : -ENOMEM;
	for (k = 0; k < NV; k++)
		order[k] = k;
	for (s = 0; s < sets; s++, *next += o->flows) {
		bench_shuffle(order, NV, &seed);
		for (k = 0; k < NV; k++) {
			int vi = order[k];

			err = bench_group_use(&g, variants[vi], -1);
			if (err)
				goto out;
			memset(counts, 0, o->n[ni] * sizeof(*counts));
			got = send_set(o, tx, &g, *next, s + 1, counts);
			if (got != o->flows) {
				fprintf(stderr, "fairness: N=%d %s: %ld of %d flows arrived\n",
					o->n[ni], bench_variant_name(variants[vi]), got,
					o->flows);
				err = got < 0 ? got : -EIO;
				goto out;
			}
			spread_of(counts, o->n[ni], got, &results[ni][vi][s]);
		}
	}
out:
	free(counts);
	bench_group_destroy(&g);
	return err;
}

static void report(const struct bench_opts *o, FILE *raw, FILE *sum)
{
	double cv[MAX_SETS], mm[MAX_SETS], jn[MAX_SETS], rms[MAX_N][NV];
	struct bench_stat sc, sm, sj;
	char what[128], meas[128];
	int ni, vi, s, sets;

	printf("fairness: %d flows a set over N sockets; median [min, max] over the sets\n",
	       o->flows);
	printf("%-4s %-5s %-15s %-26s %-7s %-7s %-6s %-24s %s\n", "N", "sets",
	       "variant", "CV", "CV rms", "floor", "rms/fl", "max/mean", "Jain");
	for (ni = 0; ni < o->nn; ni++) {
		double floor = sqrt((double)(o->n[ni] - 1) / o->flows);

		sets = sets_for(o->n[ni]);
		for (vi = 0; vi < NV; vi++) {
			double sq = 0;

			for (s = 0; s < sets; s++) {
				const struct spread *r = &results[ni][vi][s];

				cv[s] = r->cv;
				mm[s] = r->max_mean;
				jn[s] = r->jain;
				sq += r->cv * r->cv;
				fprintf(raw, "%d,%s,%d,%d,%.6f,%.6f,%.6f\n", o->n[ni],
					bench_variant_name(variants[vi]), s, o->flows,
					r->cv, r->max_mean, r->jain);
			}
			rms[ni][vi] = sqrt(sq / sets);
			bench_stat(cv, sets, &sc);
			bench_stat(mm, sets, &sm);
			bench_stat(jn, sets, &sj);
			printf("%-4d %-5d %-15s %.4f [%.4f, %.4f]   %.4f  %.4f  %.3f  "
			       "%.3f [%.3f, %.3f]  %.5f [%.5f, %.5f]\n",
			       o->n[ni], sets, bench_variant_name(variants[vi]),
			       sc.med, sc.min, sc.max, rms[ni][vi], floor,
			       rms[ni][vi] / floor, sm.med, sm.min, sm.max,
			       sj.med, sj.min, sj.max);
			fprintf(sum, "%d,%s,%d,%d,%.6f,%.6f,%.6f,%.6f,%.6f,%.4f,"
				"%.5f,%.5f,%.5f,%.6f,%.6f,%.6f\n",
				o->n[ni], bench_variant_name(variants[vi]), sets,
				o->flows, sc.med, sc.min, sc.max, rms[ni][vi], floor,
				rms[ni][vi] / floor, sm.med, sm.min, sm.max,
				sj.med, sj.min, sj.max);
		}
	}
	for (vi = 0; vi < NV; vi++) {
		int pass = 1;

		meas[0] = '\0';
		snprintf(what, sizeof(what), "%s CV rms / floor, N=",
			 bench_variant_name(variants[vi]));
		for (ni = 0; ni < o->nn; ni++) {
			double floor = sqrt((double)(o->n[ni] - 1) / o->flows);

			pass &= rms[ni][vi] <= GOAL * floor;
			snprintf(meas + strlen(meas), sizeof(meas) - strlen(meas),
				 "%s%.3f", ni ? " " : "", rms[ni][vi] / floor);
			snprintf(what + strlen(what), sizeof(what) - strlen(what),
				 "%s%d", ni ? "," : "", o->n[ni]);
		}
		bench_goal("fairness", what, meas, "<= 1.10", pass);
	}
}

/* -d DOF, -s SETS */
static int own_option(int c, const char *arg, struct bench_opts *o)
{
	(void)o;
	if (c == 'd')
		dof = atoi(arg);
	else if (c == 's')
		min_sets = atoi(arg);
	return c != 'd' && c != 's';
}

int main(int argc, char **argv)
{
	struct bench_opts o = {
		.outdir = "build/bench", .reps = 1, .rounds = 1, .tcp_slice = 1,
		.flows = 10000, .nn = 3, .n = { 4, 16, 64 }, .cpu = -1, .udp = 1,
		.min_n = 2,
	};
	struct bench_tx *tx;
	FILE *raw, *sum;
	__u32 next = 0;
	int ni, err;

	if (bench_parse(argc, argv, "o:f:d:s:n:h", &o, MAX_N, own_option) ||
	    o.flows < 2 || min_sets < 1)
		usage(argv[0]);
	err = bench_init(o.outdir, 8192, -1);
	tx = err ? NULL : bench_tx_open();
	raw = bench_open(o.outdir, "fairness_raw.csv", "n,variant,set,flows,cv,max_mean,jain");
	sum = bench_open(o.outdir, "fairness.csv",
			 "n,variant,sets,flows,cv_med,cv_min,cv_max,cv_rms,floor,rms_over_floor,maxmean_med,maxmean_min,maxmean_max,jain_med,jain_min,jain_max");
	if (!tx || !raw || !sum)
		return bench_setup_failed("fairness", err);
	for (ni = 0; ni < o.nn; ni++) {
		err = measure(&o, tx, ni, &next);
		if (err) {
			fprintf(stderr, "fairness: N=%d: %s\n", o.n[ni], strerror(-err));
			return 1;
		}
	}
	report(&o, raw, sum);
	fclose(raw);
	fclose(sum);
	bench_tx_close(tx);
	return 0;
}
