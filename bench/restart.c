// SPDX-License-Identifier: GPL-2.0
/*
 * restart: the UDP flows a rolling restart moves, for the kernel's own pick
 * and for each algorithm with flow_table=0 and flow_table=1.
 *
 * N sockets (the workers) on one port, F flows that each send one datagram
 * a pass.  Worker w restarts in three steps, each followed by a pass:
 *   closed    its socket closes; the program still lists it, and picks its
 *             flows again (a second choice or the flow table's repick);
 *   left      pcbgroupd notices and publishes the members without it;
 *   rejoined  a new socket binds and pcbgroupd puts it into the freed slot
 *             (pcbg_group_add_socket(), which takes the first free slot).
 * The kernel's pick has no program, so no "left" step.  Workers restart one
 * after the other, 0 to N-1, and the new socket of worker w is worker w.
 *
 * A datagram moved when it reached another socket than the flow's previous
 * datagram while that socket was still open: what breaks a live flow (a
 * QUIC connection).  A datagram whose previous socket had closed must go
 * elsewhere: it is "forced", not moved.  A flow moved so before any socket
 * of its had closed is a bystander: a flow of a live worker that the
 * restart of another one moved.  "Back" counts the flows that end on the
 * worker they started on.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>

#include "common.h"

#define PORT		6400
#define NV		(1 + 2 * 4)
#define FLOW_TAG	0x5e5e0000
/* struct flows' state of a flow */
#define FORCED		1	/* a socket it was on closed */
#define MOVED_BYSTANDER	2	/* moved off an open socket, never forced before */
#define MOVED_DISPLACED	4	/* moved off an open socket after it was forced */

static const int algos[4] = {
	PCBG_ALGO_HASH_THRESHOLD, PCBG_ALGO_MODULO, PCBG_ALGO_CPU, PCBG_ALGO_MAGLEV,
};

struct result {
	int variant;
	int flow_table;
	long moved;		/* datagrams moved off an open socket */
	long bystanders;	/* flows moved so before any socket of theirs closed */
	long displaced;		/* flows moved so after one of theirs had closed */
	long forced;		/* datagrams whose previous socket had closed */
	long back;		/* flows on their first worker at the end */
	long passes;
};

/* Where each flow went last, and the socket (its worker's life) it was. */
struct flows {
	int n;
	int *where;	/* worker of each flow's last datagram */
	int *life;	/* life[f]: lives[where[f]] then */
	int *first;	/* worker of the first pass */
	char *state;	/* FORCED, MOVED_BYSTANDER, MOVED_DISPLACED */
	int *now;	/* this pass */
	int lives[];	/* per worker: sockets it has closed */
};

static void usage(const char *prog)
{
	fprintf(stderr, "usage: %s [-o DIR] [-f FLOWS] [-n N]\n"
		"  -o DIR    results directory (build/bench)\n"
		"  -f FLOWS  flows (2048)\n"
		"  -n N      workers (8)\n", prog);
	exit(2);
}

/* One datagram of every flow; each compared with the flow's previous one. */
static int pass(struct bench_tx *tx, struct bench_group *g, struct flows *fl,
		__u32 tag, struct result *r)
{
	long got;
	int f;

	bench_drain(g, ~0U, 0, 0, NULL, NULL);
	got = bench_flows(tx, g, 0, fl->n, tag, fl->now, NULL);
	if (got != fl->n) {
		fprintf(stderr, "restart: %ld of %d datagrams arrived\n", got, fl->n);
		return -EIO;
	}
	for (f = 0; f < fl->n; f++) {
		int w = fl->where[f], now = fl->now[f];

		if (w < 0) {
			fl->first[f] = now;
		} else if (fl->life[f] != fl->lives[w]) {
			r->forced++;
			fl->state[f] |= FORCED;
		} else if (now != w) {
			r->moved++;
			fl->state[f] |= fl->state[f] & FORCED ? MOVED_DISPLACED :
							   MOVED_BYSTANDER;
		}
		fl->where[f] = now;
		fl->life[f] = fl->lives[now];
	}
	r->passes++;
	return 0;
}

/* Worker @w's socket closes and a new one takes its place, as above. */
static int restart(struct bench_tx *tx, struct bench_group *g, struct flows *fl,
		   int w, struct result *r)
{
	int err, fd;

	close(g->fds[w]);
	g->fds[w] = -1;
	fl->lives[w]++;
	err = pass(tx, g, fl, FLOW_TAG | (w << 4) | 1, r);
	if (!err && g->grp) {
		err = pcbg_group_publish(g->grp);
		if (!err)
			err = pass(tx, g, fl, FLOW_TAG | (w << 4) | 2, r);
	}
	if (err)
		return err;
	fd = bench_socket(IPPROTO_UDP, g->port);
	if (fd < 0)
		return fd;
	g->fds[w] = fd;
	err = bench_group_watch(g, w);
	if (!err && g->grp) {
		err = pcbg_group_add_socket(g->grp, fd, w % bench_ncpus(), 0);
		if (err >= 0)
			err = err == w ? 0 : -EINVAL;	/* not the freed slot */
	}
	return err ? err : pass(tx, g, fl, FLOW_TAG | (w << 4) | 3, r);
}

static int run(struct bench_tx *tx, int n, int port, struct flows *fl, struct result *r)
{
	struct bench_group g;
	int err, w, f;

	err = bench_group_create(&g, IPPROTO_UDP, port, n,
				 r->variant == BENCH_KERNEL ? BENCH_NO_PCBG : 0);
	if (!err && r->variant != BENCH_KERNEL)
		err = bench_set_knob(g.grp, "flow_table", r->flow_table ? "1" : "0");
	if (!err && r->variant != BENCH_KERNEL)
		err = bench_group_use(&g, r->variant, -1);
	memset(fl->lives, 0, n * sizeof(int));
	memset(fl->state, 0, fl->n);
	for (f = 0; f < fl->n; f++)
		fl->where[f] = -1;
	if (!err)
		err = pass(tx, &g, fl, FLOW_TAG, r);
	for (w = 0; !err && w < n; w++)
		err = restart(tx, &g, fl, w, r);
	for (f = 0; !err && f < fl->n; f++) {
		r->back += fl->where[f] == fl->first[f];
		r->bystanders += !!(fl->state[f] & MOVED_BYSTANDER);
		r->displaced += !!(fl->state[f] & MOVED_DISPLACED);
	}
	bench_group_destroy(&g);
	return err;
}

/* "kernel 0.504, hash-threshold 1.000, ..." for the rows with @ft */
static void row_list(const struct result *res, int ft, long flows, char *buf, size_t len)
{
	int vi;

	buf[0] = '\0';
	for (vi = 0; vi < NV; vi++)
		if (res[vi].flow_table == ft)
			snprintf(buf + strlen(buf), len - strlen(buf), "%s%s %.3f",
				 buf[0] ? ", " : "", bench_variant_name(res[vi].variant),
				 (double)res[vi].bystanders / flows);
}

int main(int argc, char **argv)
{
	const char *outdir = "build/bench";
	struct result res[NV];
	char what[160], meas[512], meas1[512] = "";
	int flows = 2048, n = 8, vi, err, pass1 = 1;
	struct bench_tx *tx;
	struct flows *fl;
	FILE *sum;
	const struct bench_opt opts[] = {
		{ 'o', 's', &outdir }, { 'f', 'i', &flows }, { 'n', 'i', &n }, { }
	};

	/* a quarter of the flow table at the default capacity: no eviction */
	if (bench_getopts(argc, argv, opts) || flows < 1 || flows > PCBG_SLOTS_DEFAULT ||
	    n < 2 || n > 64)
		usage(argv[0]);
	fl = calloc(1, sizeof(*fl) + n * sizeof(int));
	if (fl) {
		fl->n = flows;
		fl->where = calloc(flows, sizeof(int));
		fl->life = calloc(flows, sizeof(int));
		fl->first = calloc(flows, sizeof(int));
		fl->now = calloc(flows, sizeof(int));
		fl->state = calloc(flows, 1);
	}
	err = bench_init(outdir, 1024, bench_ncpus() - 1);
	tx = err ? NULL : bench_tx_open();
	sum = bench_open(outdir, "restart.csv",
			 "variant,flow_table,n,flows,passes,moved_datagrams,bystander_flows,displaced_flows,forced_datagrams,back_flows");
	if (!fl || !fl->where || !fl->life || !fl->first || !fl->now || !fl->state ||
	    !tx || !sum)
		return bench_setup_failed("restart", err);
	memset(res, 0, sizeof(res));
	res[0].variant = BENCH_KERNEL;
	for (vi = 1; vi < NV; vi++) {
		res[vi].variant = algos[(vi - 1) % 4];
		res[vi].flow_table = vi > 4;
	}
	printf("restart: %d UDP flows, %d workers restarted one by one, a datagram of "
	       "every flow after each step\n", flows, n);
	printf("%-15s %-5s %-12s %-12s %-9s %-9s %s\n", "variant", "table", "bystanders",
	       "displaced", "moved", "forced", "back");
	for (vi = 0; vi < NV; vi++) {
		struct result *r = &res[vi];

		err = run(tx, n, PORT + vi, fl, r);
		if (err) {
			fprintf(stderr, "restart: %s flow_table=%d: %s\n",
				bench_variant_name(r->variant), r->flow_table, strerror(-err));
			return 1;
		}
		printf("%-15s %-5s %-12ld %-12ld %-9ld %-9ld %ld\n",
		       bench_variant_name(r->variant), r->variant == BENCH_KERNEL ? "-" :
		       r->flow_table ? "table" : "0", r->bystanders, r->displaced, r->moved,
		       r->forced, r->back);
		fprintf(sum, "%s,%d,%d,%d,%ld,%ld,%ld,%ld,%ld,%ld\n",
			bench_variant_name(r->variant), r->flow_table, n, flows, r->passes,
			r->moved, r->bystanders, r->displaced, r->forced, r->back);
		if (r->flow_table) {
			pass1 &= r->moved == 0;
			snprintf(meas1 + strlen(meas1), sizeof(meas1) - strlen(meas1),
				 "%s%s %ld/%ld", meas1[0] ? ", " : "",
				 bench_variant_name(r->variant), r->moved, r->back);
		}
	}
	printf("flows: bystanders moved off an open socket before any socket of theirs closed;\n"
	       "displaced moved off an open socket after one of theirs had closed.  Datagrams:\n"
	       "moved off an open socket; forced, their socket had closed.  Flows back on their\n"
	       "first worker at the end (a restarted worker's new socket is that worker)\n");

	snprintf(what, sizeof(what), "flow_table=0: share of flows moved off an open socket "
		 "before theirs restarted, rolling restart, UDP, N=%d, F=%d", n, flows);
	row_list(res, 0, flows, meas, sizeof(meas));
	bench_goal("restart", what, meas, "-", BENCH_INFO);
	snprintf(what, sizeof(what), "flow_table=1: datagrams moved off an open socket / flows "
		 "back on their first worker, rolling restart, UDP, N=%d, F=%d", n, flows);
	bench_goal("restart", what, meas1, "0 moved", pass1);
	fclose(sum);
	bench_tx_close(tx);
	return 0;
}
