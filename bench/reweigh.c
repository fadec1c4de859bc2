// SPDX-License-Identifier: GPL-2.0
/*
 * reweigh: how many flows change socket when one socket's weight changes,
 * with maglev, hash-threshold and modulo, by bench/disruption's method: F
 * flows (each a datagram from its own address and port) are sent before and
 * after the change and the receiving socket of each is compared.
 *
 * On a group of N UDP sockets, the socket in slot 1 goes through the weights
 * of a canary's life: 100 (all even) -> 5 (a canary) -> 50 -> 100 (all even
 * again) -> 300 (a bigger worker) -> 0 (a drain) -> 100.  For each change
 * the report gives the flows that moved, those that moved between two other
 * sockets (the goal with maglev: none), the change of the slot's expected
 * share (what must move), and fallbacks to the kernel's pick.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "common.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif
#define MAX_N		8
#define PORT		6300
#define SLOT		1

static const __u32 steps[] = { 5, 50, PCBG_WEIGHT_DEFAULT, 300, 0, PCBG_WEIGHT_DEFAULT };
static const int algos[] = { PCBG_ALGO_MAGLEV, PCBG_ALGO_HASH_THRESHOLD, PCBG_ALGO_MODULO };

static void usage(const char *prog)
{
	fprintf(stderr, "usage: %s [-o DIR] [-f FLOWS] [-n N,...]\n"
		"  -o DIR    results directory (build/bench)\n"
		"  -f FLOWS  flows sent before and after each change (20000)\n"
		"  -n N,...  group sizes (4,16,64)\n", prog);
	exit(2);
}

/* The socket of each of @flows flows in @where, all of them or an error. */
static int pass(struct bench_tx *tx, struct bench_group *g, __u32 base, int flows,
		__u32 tag, int *where)
{
	long got;

	bench_drain(g, ~0U, 0, 0, NULL, NULL);
	memset(where, 0xff, flows * sizeof(*where));
	got = bench_flows(tx, g, base, flows, tag, where, NULL);
	if (got < 0)
		return got;
	return got == flows ? 0 : -EIO;
}

static double share(__u32 w, int n)
{
	return (double)w / (w + (n - 1) * PCBG_WEIGHT_DEFAULT);
}

/* One group size and algorithm: every step, a row each. */
static int measure(struct bench_tx *tx, int n, int algo, int flows, __u32 *base,
		   FILE *csv, long *strays)
{
	int *before = malloc(flows * sizeof(int)), *after = malloc(flows * sizeof(int));
	__u32 w_old = PCBG_WEIGHT_DEFAULT;
	struct bench_group g;
	size_t k;
	int err, f;

	err = before && after ? bench_group_create(&g, IPPROTO_UDP, PORT, n, 0) : -ENOMEM;
	if (!err)
		err = bench_group_use(&g, algo, -1);
	if (!err)
		err = pass(tx, &g, *base, flows, 1, before);
	for (k = 0; !err && k < ARRAY_SIZE(steps); k++) {
		long moved = 0, others = 0;
		__u64 fb0 = bench_fallbacks(g.grp);
		int *t;

		err = pcbg_group_set_weight(g.grp, SLOT, steps[k]);
		if (!err)
			err = pass(tx, &g, *base, flows, 2 + k, after);
		if (err)
			break;
		for (f = 0; f < flows; f++) {
			moved += before[f] != after[f];
			others += before[f] != after[f] && before[f] != SLOT && after[f] != SLOT;
		}
		printf("%-4d %-15s %5u -> %-5u %9.4f %9.4f %12.4f %9llu\n", n,
		       bench_variant_name(algo), w_old, steps[k], (double)moved / flows,
		       (double)others / flows, share(steps[k], n) - share(w_old, n),
		       (unsigned long long)(bench_fallbacks(g.grp) - fb0));
		fprintf(csv, "%d,%s,%u,%u,%d,%.6f,%.6f,%.6f,%llu\n", n, bench_variant_name(algo),
			w_old, steps[k], flows, (double)moved / flows, (double)others / flows,
			share(steps[k], n) - share(w_old, n),
			(unsigned long long)(bench_fallbacks(g.grp) - fb0));
		if (algo == PCBG_ALGO_MAGLEV)
			*strays += others;
		w_old = steps[k];
		t = before;
		before = after;
		after = t;
	}
	if (before && after)
		bench_group_destroy(&g);
	*base += flows;
	free(before);
	free(after);
	return err;
}

static int own_option(int c, const char *arg, struct bench_opts *o)
{
	(void)c;
	(void)arg;
	(void)o;
	return 1;
}

int main(int argc, char **argv)
{
	struct bench_opts o = {
		.outdir = "build/bench", .reps = 1, .rounds = 1, .tcp_slice = 1,
		.flows = 20000, .nn = 3, .n = { 4, 16, 64 }, .cpu = -1, .udp = 1,
		.min_n = 2,
	};
	struct bench_tx *tx;
	char meas[64];
	__u32 base = 0;
	long strays = 0;
	int ni, a, err;
	FILE *csv;

	if (bench_parse(argc, argv, "o:f:n:h", &o, MAX_N, own_option))
		usage(argv[0]);
	err = bench_init(o.outdir, 8192, o.cpu);
	tx = err ? NULL : bench_tx_open();
	csv = bench_open(o.outdir, "reweigh.csv",
			 "n,algorithm,weight_from,weight_to,flows,moved,moved_between_others,share_change,fallbacks");
	if (!tx || !csv)
		return bench_setup_failed("reweigh", err);
	printf("reweigh: slot %d's weight changes, the others weigh %d; %d flows\n", SLOT,
	       PCBG_WEIGHT_DEFAULT, o.flows);
	printf("%-4s %-15s %-14s %9s %9s %12s %9s\n", "N", "algorithm", "weight",
	       "moved", "others", "share_change", "fallbacks");
	for (ni = 0; ni < o.nn; ni++) {
		for (a = 0; a < (int)ARRAY_SIZE(algos); a++) {
			err = measure(tx, o.n[ni], algos[a], o.flows, &base, csv, &strays);
			if (err) {
				fprintf(stderr, "reweigh: N=%d: %s\n", o.n[ni], strerror(-err));
				return 1;
			}
		}
	}
	snprintf(meas, sizeof(meas), "%ld flows", strays);
	bench_goal("reweigh", "maglev: flows moved between two sockets whose weight stayed",
		   meas, "0", strays == 0);
	fclose(csv);
	bench_tx_close(tx);
	return 0;
}
