// SPDX-License-Identifier: GPL-2.0
/*
 * incoming_cpu: the kernel's own pick with SO_INCOMING_CPU set on every
 * socket, against algorithm cpu with the same affinity, at scale.
 *
 * Since 6.0, reuseport_select_sock_by_hash() starts at the hash's position
 * in the group and walks on until it meets a socket whose SO_INCOMING_CPU
 * is the CPU running the selection.  Two socket orders:
 *
 *   interleaved  socket i on CPU i % C: the walk is at most C steps;
 *   contiguous   the first N/C sockets on CPU 0, the next on CPU 1, ...,
 *                as when each worker opens its sockets in turn: the walk
 *                runs up to N - N/C steps (N/2 on 2 CPUs).
 *
 * Algorithm cpu picks by hash-threshold among the sockets of the current
 * CPU's table, whatever the order.  Each group of N sockets carries both:
 * SO_INCOMING_CPU on every socket, and a pcbgroup group whose socket i has
 * the same CPU; switching is an attach or a detach, the sockets stay.
 *
 * First a check that both picks are CPU-local (UDP: the share of datagrams
 * sent from each CPU that reach a socket of that CPU).  Then one
 * interleaved run, as bench/rate.c: a repetition is a number of rounds,
 * each round pinned to the next CPU (on loopback the receive path, pick
 * included, runs on the sending CPU), and in each round every (group,
 * variant) pair gets one slice in a shuffled order.  A pair's cost in a
 * repetition is the lower quartile of its slices' thread CPU time per
 * operation; the figure is the kernel's cost over cpu's (the rate of cpu
 * over the rate of the kernel), median [min, max] over repetitions.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "common.h"

#define MAX_N		4
#define NG		(2 * MAX_N)	/* groups: N x order */
#define NV		2		/* variants: the kernel's pick, cpu */
#define MAX_REPS	BENCH_MAX_REPS
#define UDP_PORT	8300
#define TCP_PORT	9300
#define FLOW_SPACE	(16 * BENCH_PORTS)
#define CHECK_FLOWS	4096
#define CHECK_BASE	(2 * FLOW_SPACE)

static const int variants[NV] = { BENCH_KERNEL, PCBG_ALGO_CPU };
static const char *const order_names[2] = { "interleaved", "contiguous" };

static struct bench_cell cells[NG][NV][MAX_REPS];

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-o DIR] [-r REPS] [-R ROUNDS] [-t CONNS] [-n N,...] [-p udp|tcp] [-g]\n"
		"  -o DIR        results directory (build/bench)\n"
		"  -r REPS       repetitions (7)\n"
		"  -R ROUNDS     rounds a repetition, each on the next CPU (16)\n"
		"  -t CONNS      connections a TCP slice (8); a UDP slice is %d datagrams\n"
		"  -n N,...      group sizes (256,4096)\n"
		"  -p PROTO      only udp or only tcp\n"
		"  -g            write the goal rows into DIR/goals.tsv\n", prog, BENCH_BATCH);
	exit(2);
}

/* The CPU of socket @i of @n in order @contiguous. */
static int cpu_of(int i, int n, int contiguous)
{
	int ncpus = bench_ncpus();

	return contiguous ? (int)((long)i * ncpus / n) : i % ncpus;
}

/*
 * @n sockets on @port, each with SO_INCOMING_CPU, and a pcbgroup group
 * with the same CPUs, published once, not attached.
 */
static int group(struct bench_group *g, int proto, int port, int n, int contiguous)
{
	int i, cpu, err;

	err = bench_group_create(g, proto, port, n, BENCH_NO_PCBG);
	for (i = 0; !err && i < n; i++) {
		cpu = cpu_of(i, n, contiguous);
		if (setsockopt(g->fds[i], SOL_SOCKET, SO_INCOMING_CPU, &cpu, sizeof(cpu)))
			err = -errno;
	}
	if (!err)
		err = pcbg_group_create(&g->grp, 0);
	for (i = 0; !err && i < n; i++) {
		err = pcbg_group_place_socket(g->grp, g->fds[i], cpu_of(i, n, contiguous), 0);
		err = err == i ? 0 : (err < 0 ? err : -EINVAL);
	}
	if (!err)
		err = pcbg_group_publish(g->grp);
	if (!err && pcbg_module_loaded())
		err = pcbg_group_register(g->grp, 0) < 0 ? -EIO : 0;
	return err;
}

/*
 * UDP: the share of datagrams sent from each CPU that reach one of its
 * sockets, and the busiest socket's share of all.  The kernel's walk ends
 * at the first socket of the current CPU after the hash's position: with
 * contiguous order that is the first socket of the CPU's block for every
 * hash that falls in another CPU's block.
 */
static int locality(const struct bench_opts *o, struct bench_tx *tx,
		    struct bench_group *g, FILE *csv)
{
	int gi, vi, cpu, i, err, ncpus = bench_ncpus();
	long *counts, *total, got, local, sent, busiest;
	__u32 tag = 1;

	printf("\nudp: share of datagrams reaching a socket of the sending CPU (local), and\n"
	       "the busiest socket's share of all (%d flows from each CPU)\n", CHECK_FLOWS);
	for (gi = 0; gi < 2 * o->nn; gi++) {
		int n = o->n[gi / 2], contiguous = gi % 2;

		counts = calloc(n, sizeof(*counts));
		total = calloc(n, sizeof(*total));
		if (!counts || !total) {
			free(counts);
			free(total);
			return -ENOMEM;
		}
		printf("N=%-5d %-12s", n, order_names[contiguous]);
		for (vi = 0; vi < NV; vi++) {
			got = 0;
			local = 0;
			busiest = 0;
			memset(total, 0, n * sizeof(*total));
			err = bench_group_use(&g[gi], variants[vi], -1);
			for (cpu = 0; !err && cpu < ncpus; cpu++) {
				memset(counts, 0, n * sizeof(*counts));
				err = bench_pin(cpu);
				if (err)
					break;
				sent = bench_flows(tx, &g[gi], CHECK_BASE, CHECK_FLOWS, ++tag,
						   NULL, counts);
				if (sent < 0) {
					err = sent;
					break;
				}
				got += sent;
				for (i = 0; i < n; i++) {
					if (cpu_of(i, n, contiguous) == cpu)
						local += counts[i];
					total[i] += counts[i];
				}
			}
			if (err) {
				free(counts);
				free(total);
				return err;
			}
			for (i = 0; i < n; i++)
				busiest = total[i] > busiest ? total[i] : busiest;
			printf("  %-6s local %.4f busiest %.4f", bench_variant_name(variants[vi]),
			       got ? (double)local / got : 0, got ? (double)busiest / got : 0);
			fprintf(csv, "%d,%s,%s,%ld,%ld,%ld\n", n, order_names[contiguous],
				bench_variant_name(variants[vi]), got, local, busiest);
		}
		printf("\n");
		free(counts);
		free(total);
	}
	return 0;
}

struct run {
	const struct bench_opts *o;
	int tcp;
	struct bench_group *g;
	struct bench_tx *tx;
	__u32 next;
};

/* One slice of pair @pair: group (N and order) and variant. */
static int incoming_slice(void *ctx, int pair, int rep)
{
	struct run *run = ctx;
	int gi = pair / NV, vi = pair % NV, err;
	struct bench_sample s;

	err = bench_group_use(&run->g[gi], variants[vi], -1);
	if (!err && run->tcp)
		err = bench_tcp_sample(&run->g[gi], run->o->tcp_slice, &s);
	else if (!err)
		err = bench_udp_sample(run->tx, &run->g[gi], BENCH_BATCH, FLOW_SPACE,
				       &run->next, &s);
	if (err) {
		fprintf(stderr, "incoming_cpu: N=%d %s %s: %s\n", run->o->n[gi / 2],
			order_names[gi % 2], bench_variant_name(variants[vi]), strerror(-err));
		return err;
	}
	if (rep >= 0)
		bench_cell_add(&cells[gi][vi][rep], &s);
	return 0;
}

/* Every (group, variant) pair a slice a round, each round on the next CPU. */
static int measure(const struct bench_opts *o, int tcp, struct bench_group *g,
		   struct bench_tx *tx)
{
	static struct run run;
	int nc = 2 * o->nn * NV, rep, k, err;

	for (k = 0; k < nc; k++)
		for (rep = 0; rep < o->reps; rep++) {
			err = bench_cell_init(&cells[k / NV][k % NV][rep], o->rounds);
			if (err)
				return err;
		}
	run = (struct run){ .o = o, .tcp = tcp, .g = g, .tx = tx, .next = run.next };
	return bench_sweep(o->reps, o->rounds, nc, 23 + tcp, 1, tcp ? "tcp" : "udp",
			   incoming_slice, &run);
}

/*
 * The table, the CSV rows and the goal: cpu >= the kernel in every case
 * (median), and a clear win where the kernel walks (contiguous: every
 * repetition above 1).
 */
static void report(const struct bench_opts *o, int tcp, FILE *sum, FILE *raw)
{
	double ratio[MAX_REPS], added[MAX_REPS], kns[MAX_REPS], cns[MAX_REPS];
	char r[128], a[128], k[128], c[128], what[160], meas[200];
	struct bench_stat sr, sa, sk, sc;
	int gi, rep, pass = 1;
	long lost = 0;

	printf("\n%s: rate of cpu / rate of the kernel's pick with SO_INCOMING_CPU, and\n"
	       "CPU ns per %s (median [min, max] over %d repetitions of one interleaved run)\n",
	       tcp ? "TCP" : "UDP", tcp ? "connection" : "datagram", o->reps);
	printf("%-5s %-12s %-26s %-22s %-22s %s\n", "N", "order", "cpu / kernel",
	       "kernel ns per op", "cpu ns per op", "ns cpu - kernel");
	snprintf(what, sizeof(what), "%s cpu / kernel with SO_INCOMING_CPU, "
		 "interleaved|contiguous, N=", tcp ? "tcp" : "udp");
	meas[0] = '\0';
	for (gi = 0; gi < 2 * o->nn; gi++) {
		int n = o->n[gi / 2], contiguous = gi % 2;

		for (rep = 0; rep < o->reps; rep++) {
			kns[rep] = bench_cell_cost(&cells[gi][0][rep], 0);
			cns[rep] = bench_cell_cost(&cells[gi][1][rep], 0);
			ratio[rep] = kns[rep] / cns[rep];
			added[rep] = cns[rep] - kns[rep];
			lost += cells[gi][0][rep].sum.lost + cells[gi][1][rep].sum.lost;
			fprintf(raw, "%s,%d,%s,%d,%.2f,%.2f\n", tcp ? "tcp" : "udp", n,
				order_names[contiguous], rep, kns[rep], cns[rep]);
		}
		bench_stat(ratio, o->reps, &sr);
		bench_stat(added, o->reps, &sa);
		bench_stat(kns, o->reps, &sk);
		bench_stat(cns, o->reps, &sc);
		bench_fmt_stat(r, sizeof(r), &sr, "%.4f");
		bench_fmt_stat(a, sizeof(a), &sa, "%+.0f");
		bench_fmt_stat(k, sizeof(k), &sk, "%.0f");
		bench_fmt_stat(c, sizeof(c), &sc, "%.0f");
		printf("%-5d %-12s %-26s %-22s %-22s %s\n", n, order_names[contiguous],
		       r, k, c, a);
		fprintf(sum, "%s,%d,%s,%.5f,%.5f,%.5f,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f\n",
			tcp ? "tcp" : "udp", n, order_names[contiguous], sr.med, sr.min,
			sr.max, sk.med, sk.min, sk.max, sc.med, sc.min, sc.max);
		pass &= sr.med >= 1.0 && (!contiguous || sr.min > 1.0);
		if (!contiguous)
			snprintf(what + strlen(what), sizeof(what) - strlen(what), "%s%d",
				 gi ? "," : "", n);
		snprintf(meas + strlen(meas), sizeof(meas) - strlen(meas), "%s%.3f%s",
			 contiguous ? "|" : (gi ? " " : ""), sr.med,
			 contiguous ? (sr.min > 1.0 ? "" : "~") : "");
	}
	if (lost)
		printf("%ld operations lost (sent, never received)\n", lost);
	if (o->goals)
		bench_goal("incoming_cpu", what, meas,
			   ">= 1.000; contiguous: every rep > 1 (~: not)", pass);
}

int main(int argc, char **argv)
{
	struct bench_opts o = {
		.outdir = "build/bench", .reps = 7, .rounds = 16, .tcp_slice = 8,
		.nn = 2, .n = { 256, 4096 }, .udp = 1, .tcp = 1,
		.min_n = bench_ncpus(),		/* every CPU has a socket */
	};
	struct bench_group g[NG];
	struct bench_run run;
	FILE *share;
	int gi, t, err;

	if (bench_parse(argc, argv, "o:r:R:t:n:p:gh", &o, MAX_N, NULL))
		usage(argv[0]);
	err = bench_run_open(&run, "incoming_cpu", &o, BENCH_RUN_ANY_CPU,
			     "proto,n,order,rep,kernel_q25_ns_per_op,cpu_q25_ns_per_op",
			     "proto,n,order,ratio_med,ratio_min,ratio_max,kernel_ns_med,kernel_ns_min,kernel_ns_max,cpu_ns_med,cpu_ns_min,cpu_ns_max");
	if (err)
		return 1;
	share = bench_open(o.outdir, "incoming_cpu_local.csv",
			   "n,order,variant,datagrams,on_sending_cpu_socket,on_busiest_socket");
	if (!share)
		return bench_setup_failed("incoming_cpu", 0);
	printf("incoming_cpu: %d CPUs, rounds on each CPU in turn; %d repetitions of %d rounds; "
	       "a slice is %d datagrams or %ld connections\n", bench_ncpus(), o.reps,
	       o.rounds, BENCH_BATCH, o.tcp_slice);
	for (t = 0; t < 2; t++) {
		int proto = bench_proto(&o, t);

		if (!proto)
			continue;
		for (gi = 0; gi < 2 * o.nn; gi++) {
			err = group(&g[gi], proto, (t ? TCP_PORT : UDP_PORT) + gi, o.n[gi / 2],
				    gi % 2);
			if (err) {
				fprintf(stderr, "incoming_cpu: group of %d: %s\n",
					o.n[gi / 2], strerror(-err));
				return 1;
			}
		}
		err = t ? 0 : locality(&o, run.tx, g, share);
		if (!err)
			err = measure(&o, t, g, run.tx);
		for (gi = 0; gi < 2 * o.nn; gi++)
			bench_group_destroy(&g[gi]);
		if (err) {
			fprintf(stderr, "incoming_cpu: %s\n", strerror(-err));
			return 1;
		}
		report(&o, t, run.sum, run.raw);
		fflush(stdout);
	}
	fclose(share);
	bench_run_close(&run);
	return 0;
}
