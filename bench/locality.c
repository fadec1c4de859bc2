// SPDX-License-Identifier: GPL-2.0
/*
 * locality: algorithm cpu keeps a flow on a socket of the CPU that handles
 * its packets (FreeBSD's PCBGROUP), and what that costs.
 *
 * One socket per CPU, each in its CPU's table (pcbg_group_add_socket(grp,
 * fd, cpu, 0)); for UDP and for TCP.  The sender is pinned to each CPU in
 * turn; on loopback a packet is handled on the CPU that sent it.  Reported:
 * cpu_local / selected from the program's per-CPU counters, and the share
 * of flows that reached that CPU's own socket.  Then the cost: one
 * interleaved run of cpu, hash-threshold and the kernel's own pick on the
 * same sockets, a slice at a time from each CPU in turn (see rate.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "common.h"

#define MAX_CPUS	64
#define MAX_REPS	64
#define NV		3
#define UDP_PORT	5000
#define TCP_PORT	5100
#define GOAL		0.99
#define SHARE_FLOWS	(1U << 24)	/* first flow id of the share runs */

static const int variants[NV] = {
	BENCH_KERNEL, PCBG_ALGO_HASH_THRESHOLD, PCBG_ALGO_CPU,
};

struct opts {
	const char *outdir;
	int flows;	/* UDP flows from each CPU */
	int conns;	/* TCP connections from each CPU */
	int reps;
	int rounds;
};

static struct bench_cell cells[2][NV][MAX_REPS];

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-o DIR] [-f FLOWS] [-t CONNS] [-r REPS] [-R ROUNDS]\n"
		"  -o DIR     results directory (build/bench)\n"
		"  -f FLOWS   UDP flows from each CPU (20000)\n"
		"  -t CONNS   TCP connections from each CPU (2000)\n"
		"  -r REPS    repetitions of the cost run (21)\n"
		"  -R ROUNDS  rounds a repetition (128)\n", prog);
	exit(2);
}

/* TCP connections from this CPU; counts[i]: accepted by listener i. */
static long connections(struct bench_group *g, int conns, long *counts)
{
	struct sockaddr_in dst = {
		.sin_family = AF_INET, .sin_port = htons(g->port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	struct epoll_event ev;
	long got = 0;
	int i, c, a;

	for (i = 0; i < conns; i++) {
		c = socket(AF_INET, SOCK_STREAM, 0);
		if (c < 0)
			return -errno;
		if (!connect(c, (struct sockaddr *)&dst, sizeof(dst)) &&
		    epoll_wait(g->ep, &ev, 1, 1000) == 1) {
			a = accept(g->fds[ev.data.u32], NULL, NULL);
			if (a >= 0) {
				counts[ev.data.u32]++;
				got++;
				close(a);
			}
		}
		close(c);
	}
	return got;
}

/* Share of local selections and of flows on the sender CPU's socket. */
static int shares(const struct opts *o, struct bench_tx *tx,
		  struct bench_group *g, int tcp, FILE *csv)
{
	int ncpus = bench_ncpus(), cpu, err, pass = 1;
	long counts[MAX_CPUS], got, sum_local = 0, sum_sel = 0, sum_own = 0, sum = 0;
	__u64 st[PCBG_STAT_NR];
	char meas[128], what[128];

	err = bench_group_use(g, PCBG_ALGO_CPU, -1);
	if (err)
		return err;
	for (cpu = 0; cpu < ncpus; cpu++) {
		err = bench_pin(cpu);
		if (!err)
			err = pcbg_group_reset_stats(g->grp);
		if (err)
			return err;
		memset(counts, 0, sizeof(counts));
		if (tcp)
			got = connections(g, o->conns, counts);
		else
			got = bench_flows(tx, g, SHARE_FLOWS + cpu * o->flows, o->flows,
					  5, NULL, counts);
		if (got < 0)
			return got;
		err = pcbg_group_cpu_stats(g->grp, cpu, st);
		if (err)
			return err;
		printf("%-4s CPU %-3d %7ld flows: selected %7llu, cpu_local %7llu (%.4f), "
		       "cpu_miss %llu, on CPU %d's socket %.4f\n",
		       tcp ? "tcp" : "udp", cpu, got,
		       (unsigned long long)st[PCBG_STAT_SELECTED],
		       (unsigned long long)st[PCBG_STAT_CPU_LOCAL],
		       st[PCBG_STAT_SELECTED] ?
		       (double)st[PCBG_STAT_CPU_LOCAL] / st[PCBG_STAT_SELECTED] : 0,
		       (unsigned long long)st[PCBG_STAT_CPU_MISS], cpu,
		       got ? (double)counts[cpu] / got : 0);
		fprintf(csv, "%s,%d,%ld,%llu,%llu,%llu,%ld\n", tcp ? "tcp" : "udp", cpu,
			got, (unsigned long long)st[PCBG_STAT_SELECTED],
			(unsigned long long)st[PCBG_STAT_CPU_LOCAL],
			(unsigned long long)st[PCBG_STAT_CPU_MISS], counts[cpu]);
		sum_local += st[PCBG_STAT_CPU_LOCAL];
		sum_sel += st[PCBG_STAT_SELECTED];
		sum_own += counts[cpu];
		sum += got;
		pass &= st[PCBG_STAT_SELECTED] &&
			st[PCBG_STAT_CPU_LOCAL] >= GOAL * st[PCBG_STAT_SELECTED];
	}
	snprintf(what, sizeof(what), "%s cpu_local / selected, %d CPUs (own socket got)",
		 tcp ? "tcp" : "udp", ncpus);
	snprintf(meas, sizeof(meas), "%.4f (%.4f)",
		 sum_sel ? (double)sum_local / sum_sel : 0,
		 sum ? (double)sum_own / sum : 0);
	bench_goal("locality", what, meas, ">= 0.99 on each CPU", pass);
	return 0;
}

struct run {
	int tcp;
	struct bench_group *g;
	struct bench_tx *tx;
	__u32 next;
};

/* One slice of variant @vi. */
static int cost_slice(void *ctx, int vi, int rep)
{
	struct run *run = ctx;
	struct bench_sample s;
	int err;

	err = bench_group_use(run->g, variants[vi], -1);
	if (!err && run->tcp)
		err = bench_tcp_sample(run->g, 8, &s);
	else if (!err)
		err = bench_udp_sample(run->tx, run->g, BENCH_BATCH, 16 * BENCH_PORTS,
				       &run->next, &s);
	if (!err && rep >= 0)
		bench_cell_add(&cells[run->tcp][vi][rep], &s);
	return err;
}

/* The interleaved cost run: every round from the next CPU. */
static int cost(const struct opts *o, struct bench_tx *tx,
		struct bench_group *g, int tcp)
{
	static struct run run;
	int rep, vi, err;

	for (vi = 0; vi < NV; vi++)
		for (rep = 0; rep < o->reps; rep++) {
			err = bench_cell_init(&cells[tcp][vi][rep], o->rounds);
			if (err)
				return err;
		}
	run = (struct run){ .tcp = tcp, .g = g, .tx = tx, .next = run.next };
	return bench_sweep(o->reps, o->rounds, NV, 11 + tcp, 1, NULL, cost_slice, &run);
}

static void cost_report(const struct opts *o, int tcp, FILE *csv)
{
	double v[MAX_REPS], a[MAX_REPS];
	struct bench_stat sv, sa;
	char meas[128], what[128];
	int vi, r;

	for (vi = 1; vi < NV; vi++) {
		for (r = 0; r < o->reps; r++) {
			double k = bench_cell_cost(&cells[tcp][0][r], 0);
			double x = bench_cell_cost(&cells[tcp][vi][r], 0);

			v[r] = k / x;
			a[r] = x - k;
		}
		bench_stat(v, o->reps, &sv);
		bench_stat(a, o->reps, &sa);
		printf("%s %-15s rate / kernel %.4f [%.4f, %.4f], ns added %+.1f [%+.1f, %+.1f]\n",
		       tcp ? "tcp" : "udp", bench_variant_name(variants[vi]),
		       sv.med, sv.min, sv.max, sa.med, sa.min, sa.max);
		fprintf(csv, "%s,%s,kernel,%.5f,%.5f,%.5f,%.2f,%.2f,%.2f\n",
			tcp ? "tcp" : "udp", bench_variant_name(variants[vi]),
			sv.med, sv.min, sv.max, sa.med, sa.min, sa.max);
	}
	/* cpu against hash-threshold, the same repetitions */
	for (r = 0; r < o->reps; r++) {
		double h = bench_cell_cost(&cells[tcp][1][r], 0);
		double c = bench_cell_cost(&cells[tcp][2][r], 0);

		v[r] = h / c;
		a[r] = c - h;
	}
	bench_stat(v, o->reps, &sv);
	bench_stat(a, o->reps, &sa);
	printf("%s cpu / hash-threshold rate %.4f [%.4f, %.4f], ns added %+.1f [%+.1f, %+.1f]\n",
	       tcp ? "tcp" : "udp", sv.med, sv.min, sv.max, sa.med, sa.min, sa.max);
	fprintf(csv, "%s,cpu,hash-threshold,%.5f,%.5f,%.5f,%.2f,%.2f,%.2f\n",
		tcp ? "tcp" : "udp", sv.med, sv.min, sv.max, sa.med, sa.min, sa.max);
	snprintf(what, sizeof(what), "%s rate of cpu / rate of hash-threshold",
		 tcp ? "tcp" : "udp");
	snprintf(meas, sizeof(meas), "%.4f [%.4f, %.4f]", sv.med, sv.min, sv.max);
	bench_goal("locality", what, meas, "-", BENCH_INFO);
}

/* Socket i in CPU i's table, added one by one as a server would. */
static int group(struct bench_group *g, int tcp)
{
	int i, err;

	err = bench_group_create(g, tcp ? IPPROTO_TCP : IPPROTO_UDP,
				 tcp ? TCP_PORT : UDP_PORT, bench_ncpus(),
				 BENCH_NO_PCBG);
	if (!err)
		err = pcbg_group_create(&g->grp, 0);
	for (i = 0; !err && i < g->n; i++) {
		err = pcbg_group_add_socket(g->grp, g->fds[i], i, 0);
		err = err == i ? 0 : (err < 0 ? err : -EINVAL);
	}
	return err;
}

int main(int argc, char **argv)
{
	struct opts o = {
		.outdir = "build/bench", .flows = 20000, .conns = 2000,
		.reps = 21, .rounds = 128,
	};
	struct bench_group g[2];
	struct bench_tx *tx;
	FILE *share, *costs;
	int t, err;
	const struct bench_opt opts[] = {
		{ 'o', 's', &o.outdir }, { 'f', 'i', &o.flows }, { 't', 'i', &o.conns },
		{ 'r', 'i', &o.reps }, { 'R', 'i', &o.rounds }, { }
	};

	if (bench_getopts(argc, argv, opts) || o.flows < 1 || o.conns < 1 || o.reps < 1 ||
	    o.reps > MAX_REPS || o.rounds < 1 || bench_ncpus() > MAX_CPUS)
		usage(argv[0]);

	err = bench_init(o.outdir, 8192, -1);
	tx = err ? NULL : bench_tx_open();
	share = bench_open(o.outdir, "locality.csv",
			   "proto,cpu,flows,selected,cpu_local,cpu_miss,on_own_socket");
	costs = bench_open(o.outdir, "locality_cost.csv",
			   "proto,variant,against,ratio_med,ratio_min,ratio_max,ns_added_med,ns_added_min,ns_added_max");
	if (!tx || !share || !costs)
		return bench_setup_failed("locality", err);
	printf("locality: algorithm cpu, one socket per CPU (%d CPUs), "
	       "sender pinned to each CPU in turn\n", bench_ncpus());
	for (t = 0; t < 2; t++) {
		err = group(&g[t], t);
		if (!err)
			err = shares(&o, tx, &g[t], t, share);
		if (err)
			break;
	}
	if (!err) {
		printf("\ncost, one interleaved run (median [min, max] over %d repetitions)\n",
		       o.reps);
		for (t = 0; t < 2 && !err; t++) {
			err = cost(&o, tx, &g[t], t);
			if (!err)
				cost_report(&o, t, costs);
		}
	}
	if (err) {
		fprintf(stderr, "locality: %s\n", strerror(-err));
		return 1;
	}
	bench_group_destroy(&g[0]);
	bench_group_destroy(&g[1]);
	fclose(share);
	fclose(costs);
	bench_tx_close(tx);
	return 0;
}
