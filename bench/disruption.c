// SPDX-License-Identifier: GPL-2.0
/*
 * disruption: how many flows change socket when one socket leaves the group
 * or one joins, and how many packets fall back to the kernel's pick while
 * the group changes.
 *
 * F flows (each a datagram from its own address and port) are sent before
 * and after the change and the receiving socket of each is compared.  The
 * kernel's own pick (no program): leave is close() of one socket, join a
 * new SO_REUSEPORT socket binding.  pcbgroup: leave is
 * pcbg_group_remove_socket(), join pcbg_group_add_socket(), and a second
 * thread sends datagrams from the other CPU throughout the change, so the
 * program's fallback counters see packets in flight.  Every position of the
 * leaving socket is tried (moved shares depend on it for hash-threshold),
 * then the group is put back as it was.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <bpf/bpf.h>

#include "common.h"

#define MAX_N		8
#define NV		4
#define PCBG_PORT	6000
#define KERNEL_PORT	6100
#define CHURN_TAG	0xc4c4c4c4
#define CHURN_FLOWS	65536
#define PIN_DIR		"/sys/fs/bpf/bench-disruption"

static const int variants[NV] = {
	BENCH_KERNEL, PCBG_ALGO_HASH_THRESHOLD, PCBG_ALGO_MODULO,
	PCBG_ALGO_MAGLEV,
};

/* flows for a join (-j); a leave's are bench_opts.flows (-f) */
static int join_flows = 100000;

/* Traffic from another thread while the group changes. */
struct churn {
	struct bench_tx *tx;
	int port;
	int cpu;
	long sent;
	volatile int stop;
	volatile int started;
};

/* What one change did. */
struct change {
	double moved;		/* share of all flows that changed socket */
	double moved_others;	/* leave: of those not on the leaver;
				 * join: share of all that moved between old sockets
				 */
	long fallbacks;		/* packets left to the kernel's pick */
	long in_flight;		/* packets sent while changing */
	long to_leaver;		/* leave: flows the leaver still got after */
	double table;		/* maglev: the same as moved, from the tables */
	double table_others;	/* maglev: the same as moved_others */
};

struct result {
	struct change *leave;	/* one per position */
	struct change join;
	double ht_se;		/* standard error of the mean leave share */
};

static struct result results[MAX_N][NV];

/*
 * Algorithm maglev: the table of the generation in use, one slot number an
 * entry, read through the pinned map.  The share of entries that change is
 * what a change moves for evenly spread hashes, free of sampling noise.
 */
struct table {
	__u16 *entry;
	__u32 m;
};

static int table_read(struct pcbg_group *grp, struct table *t)
{
	struct pcbg_group_info info;
	size_t words, len;
	__u64 *mem;
	__u32 j;
	int fd, err;

	err = pcbg_group_info(grp, &info);
	if (err)
		return err;
	fd = bpf_obj_get(PIN_DIR "/" PCBG_MAP_MAGLEV);
	if (fd < 0)
		return -errno;
	words = info.maglev_stride;
	len = 2 * words * sizeof(*mem);
	mem = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (mem == MAP_FAILED)
		return -errno;
	free(t->entry);
	t->m = info.maglev_size[info.gen & 1];
	t->entry = malloc(t->m * sizeof(*t->entry));
	if (t->entry) {
		for (j = 0; j < t->m; j++)
			t->entry[j] = mem[(info.gen & 1) * words + j / 4] >> (16 * (j % 4));
	}
	munmap(mem, len);
	return t->entry ? 0 : -ENOMEM;
}

/*
 * Entries that changed, as a share of all (into @c->table) and, of those
 * not held by @gone (a leave) or not now held by @new (a join), the share
 * that changed (into @c->table_others).
 */
static void table_diff(const struct table *a, const struct table *b, int gone,
		       int new, struct change *c)
{
	long changed = 0, others = 0, other_changed = 0;
	__u32 j;

	if (a->m != b->m || !a->entry || !b->entry)
		return;
	for (j = 0; j < a->m; j++) {
		int moved = a->entry[j] != b->entry[j];

		changed += moved;
		if (gone >= 0 && a->entry[j] != gone) {
			others++;
			other_changed += moved;
		}
		if (new >= 0 && moved && b->entry[j] != new)
			other_changed++;
	}
	c->table = (double)changed / a->m;
	if (gone >= 0)
		c->table_others = others ? (double)other_changed / others : 0;
	else
		c->table_others = (double)other_changed / a->m;
}

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-o DIR] [-f FLOWS] [-j FLOWS] [-n N,...]\n"
		"  -o DIR    results directory (build/bench)\n"
		"  -f FLOWS  flows for a leave (10000)\n"
		"  -j FLOWS  flows for a join (100000)\n"
		"  -n N,...  group sizes (4,16,64)\n", prog);
	exit(2);
}

static void *churn_run(void *arg)
{
	struct churn *c = arg;
	__u32 f = 0;
	int n;

	bench_pin(c->cpu);
	while (!c->stop) {
		n = bench_tx_send(c->tx, c->port, 0x40000000 + f, 64, CHURN_TAG);
		if (n > 0)
			c->sent += n;
		f = (f + 64) % CHURN_FLOWS;
		c->started = 1;
	}
	return NULL;
}

static int churn_start(struct churn *c, pthread_t *t, int port)
{
	c->port = port;
	c->sent = 0;
	c->stop = 0;
	c->started = 0;
	c->cpu = 0;	/* the measuring thread runs on the last CPU */
	if (pthread_create(t, NULL, churn_run, c))
		return -EAGAIN;
	while (!c->started)
		usleep(100);
	return 0;
}

static long churn_stop(struct churn *c, pthread_t t)
{
	usleep(2000);	/* and a little after the change */
	c->stop = 1;
	pthread_join(t, NULL);
	return c->sent;
}

/* Receiver of each flow, all of them or an error. */
static int pass(struct bench_tx *tx, struct bench_group *g, __u32 base,
		int flows, __u32 tag, int *where)
{
	long got;

	bench_drain(g, ~0U, 0, 0, NULL, NULL);	/* leftovers */
	memset(where, 0xff, flows * sizeof(*where));
	got = bench_flows(tx, g, base, flows, tag, where, NULL);
	if (got < 0)
		return got;
	if (got != flows) {
		fprintf(stderr, "disruption: %ld of %d flows arrived\n", got, flows);
		return -EIO;
	}
	return 0;
}

/*
 * Around a pcbgroup change: the stats start from 0, the churn thread sends
 * meanwhile, and for maglev the tables before and after are compared.
 */
struct watched_change {
	struct table before;
	pthread_t sender;
	int maglev;
};

static int change_begin(struct churn *ch, struct bench_group *g, int maglev,
			struct watched_change *w)
{
	int err;

	memset(w, 0, sizeof(*w));
	w->maglev = maglev;
	err = maglev ? table_read(g->grp, &w->before) : 0;
	if (!err)
		err = pcbg_group_reset_stats(g->grp);
	if (!err)
		err = churn_start(ch, &w->sender, g->port);
	if (err)
		free(w->before.entry);
	return err;
}

/* @err: what the change returned; @gone, @new: as for table_diff(). */
static int change_end(struct churn *ch, struct bench_group *g, struct watched_change *w,
		      int err, int gone, int new, struct change *c)
{
	struct table after = {};

	c->in_flight = churn_stop(ch, w->sender);
	if (!err && w->maglev) {
		err = table_read(g->grp, &after);
		if (!err)
			table_diff(&w->before, &after, gone, new, c);
	}
	free(w->before.entry);
	free(after.entry);
	return err;
}

/* The socket at @p leaves, measured, and comes back (kernel: a new group). */
static int leave(struct bench_tx *tx, struct churn *ch, struct bench_group *g,
		 int vi, int p, const struct bench_opts *o, __u32 base, int *before,
		 int *after, struct change *c, int *moved_by_flow)
{
	int f, err, others = 0, moved = 0, n = g->n;
	struct watched_change w;

	err = pass(tx, g, base, o->flows, 1, before);
	if (err)
		return err;
	memset(c, 0, sizeof(*c));
	if (variants[vi] == BENCH_KERNEL) {
		close(g->fds[p]);
		g->fds[p] = -1;
	} else {
		err = change_begin(ch, g, variants[vi] == PCBG_ALGO_MAGLEV, &w);
		if (err)
			return err;
		err = pcbg_group_remove_socket(g->grp, p);
		err = change_end(ch, g, &w, err, p, -1, c);
		if (err)
			return err;
	}
	err = pass(tx, g, base, o->flows, 2, after);
	if (err)
		return err;
	if (variants[vi] != BENCH_KERNEL)
		c->fallbacks = bench_fallbacks(g->grp);
	for (f = 0; f < o->flows; f++) {
		if (before[f] != after[f]) {
			moved++;
			moved_by_flow[f]++;
		}
		if (before[f] != p) {
			others++;
			c->moved_others += before[f] != after[f];
		}
		c->to_leaver += after[f] == p;
	}
	c->moved = (double)moved / o->flows;
	c->moved_others = others ? c->moved_others / others : 0;

	/* back as it was */
	if (variants[vi] == BENCH_KERNEL) {
		bench_group_destroy(g);
		return bench_group_create(g, IPPROTO_UDP, KERNEL_PORT, n, BENCH_NO_PCBG);
	}
	err = pcbg_group_add_socket(g->grp, g->fds[p], -1, 0);
	return err == p ? 0 : (err < 0 ? err : -EINVAL);
}

/* A new socket joins, measured, and leaves again. */
static int join(struct bench_tx *tx, struct churn *ch, struct bench_group *g,
		int vi, __u32 base, int *before, int *after, struct change *c)
{
	int f, err, idx, moved = 0, between = 0;
	struct watched_change w;

	err = pass(tx, g, base, join_flows, 3, before);
	if (err)
		return err;
	memset(c, 0, sizeof(*c));
	if (variants[vi] == BENCH_KERNEL) {
		idx = bench_group_grow(g);
		if (idx < 0)
			return idx;
	} else {
		err = change_begin(ch, g, variants[vi] == PCBG_ALGO_MAGLEV, &w);
		if (err)
			return err;
		idx = bench_group_grow(g);
		err = idx < 0 ? idx : pcbg_group_add_socket(g->grp, g->fds[idx], -1, 0);
		if (err >= 0)
			err = err == idx ? 0 : -EINVAL;	/* the slot is the new index */
		err = change_end(ch, g, &w, err, -1, idx, c);
		if (err)
			return err;
	}
	err = pass(tx, g, base, join_flows, 4, after);
	if (err)
		return err;
	if (variants[vi] != BENCH_KERNEL)
		c->fallbacks = bench_fallbacks(g->grp);
	for (f = 0; f < join_flows; f++) {
		if (before[f] == after[f])
			continue;
		moved++;
		between += after[f] != idx;
	}
	c->moved = (double)moved / join_flows;
	c->moved_others = (double)between / join_flows;

	if (variants[vi] != BENCH_KERNEL) {
		err = pcbg_group_remove_socket(g->grp, idx);
		if (err)
			return err;
	}
	bench_group_shrink(g);
	return 0;
}

static int measure(const struct bench_opts *o, struct bench_tx *tx, struct churn *ch,
		   int ni, __u32 *next)
{
	int n = o->n[ni], max = o->flows > join_flows ? o->flows : join_flows;
	int *before = calloc(max, sizeof(int)), *after = calloc(max, sizeof(int));
	int *moved_by_flow = calloc(o->flows, sizeof(int));
	struct bench_group kg, pg;
	int vi, p, f, err;

	if (!before || !after || !moved_by_flow)
		return -ENOMEM;
	err = bench_group_create(&kg, IPPROTO_UDP, KERNEL_PORT, n, BENCH_NO_PCBG);
	if (!err)
		err = bench_group_create(&pg, IPPROTO_UDP, PCBG_PORT, n, 0);
	if (!err)
		err = pcbg_group_pin(pg.grp, PIN_DIR);
	for (vi = 0; !err && vi < NV; vi++) {
		struct bench_group *g = variants[vi] == BENCH_KERNEL ? &kg : &pg;
		struct result *r = &results[ni][vi];
		double mean = 0, sq = 0;

		if (g == &pg) {
			err = bench_group_use(g, variants[vi], -1);
			if (err)
				break;
		}
		r->leave = calloc(n, sizeof(*r->leave));
		if (!r->leave) {
			err = -ENOMEM;
			break;
		}
		memset(moved_by_flow, 0, o->flows * sizeof(int));
		for (p = 0; !err && p < n; p++)
			err = leave(tx, ch, g, vi, p, o, *next, before, after,
				    &r->leave[p], moved_by_flow);
		/* the mean over positions is the mean over flows of this */
		for (f = 0; f < o->flows; f++) {
			double m = (double)moved_by_flow[f] / n;

			mean += m;
			sq += m * m;
		}
		mean /= o->flows;
		r->ht_se = sqrt((sq / o->flows - mean * mean) / o->flows);
		if (!err)
			err = join(tx, ch, g, vi, *next + o->flows, before, after,
				   &r->join);
		fprintf(stderr, "\r  disruption: N=%d %s done      ", n,
			bench_variant_name(variants[vi]));
	}
	fprintf(stderr, "\n");
	*next += o->flows + join_flows;
	pcbg_unpin(PIN_DIR);
	bench_group_destroy(&kg);
	bench_group_destroy(&pg);
	free(before);
	free(after);
	free(moved_by_flow);
	return err;
}

static void report(const struct bench_opts *o, FILE *raw, FILE *sum)
{
	double mv[4096], mo[4096];
	struct bench_stat sm, so;
	char what[128], meas[128], goal[64];
	int ni, vi, p;
	long stray = 0;

	printf("disruption: share of flows that changed socket\n"
	       "leave: %d flows, every position of the leaving socket (mean [min, max] over positions)\n"
	       "join: %d flows\n", o->flows, join_flows);
	printf("%-4s %-15s %-28s %-28s %-9s %-16s %-20s\n", "N", "variant",
	       "leave: moved/all", "leave: moved/not on leaver", "join: all",
	       "join: old->old", "fallbacks/in flight");
	for (ni = 0; ni < o->nn; ni++) {
		int n = o->n[ni];

		for (vi = 0; vi < NV; vi++) {
			const struct result *r = &results[ni][vi];
			double m = 0, mo_mean = 0;
			long fb = r->join.fallbacks, fl = r->join.in_flight;

			for (p = 0; p < n; p++) {
				const struct change *c = &r->leave[p];

				mv[p] = c->moved;
				mo[p] = c->moved_others;
				m += c->moved / n;
				mo_mean += c->moved_others / n;
				fb += c->fallbacks;
				fl += c->in_flight;
				fprintf(raw, "%d,%s,leave,%d,%d,%.6f,%.6f,%ld,%ld,%ld,%.6f,%.6f\n",
					n, bench_variant_name(variants[vi]), p, o->flows,
					c->moved, c->moved_others, c->fallbacks,
					c->in_flight, c->to_leaver, c->table,
					c->table_others);
				stray += c->to_leaver;
			}
			fprintf(raw, "%d,%s,join,%d,%d,%.6f,%.6f,%ld,%ld,0,%.6f,%.6f\n", n,
				bench_variant_name(variants[vi]), n, join_flows,
				r->join.moved, r->join.moved_others, r->join.fallbacks,
				r->join.in_flight, r->join.table, r->join.table_others);
			bench_stat(mv, n, &sm);
			bench_stat(mo, n, &so);
			snprintf(what, sizeof(what), "%.4f [%.4f, %.4f]", m, sm.min, sm.max);
			snprintf(meas, sizeof(meas), "%.4f [%.4f, %.4f]", mo_mean, so.min,
				 so.max);
			if (variants[vi] == BENCH_KERNEL)
				snprintf(goal, sizeof(goal), "n/a (no program)");
			else
				snprintf(goal, sizeof(goal), "%ld / %ld", fb, fl);
			printf("%-4d %-15s %-28s %-28s %-9.4f %-16.4f %-20s\n", n,
			       bench_variant_name(variants[vi]), what, meas,
			       r->join.moved, r->join.moved_others, goal);
			fprintf(sum, "%d,%s,%d,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,"
				"%d,%.6f,%.6f,%.6f,%ld,%ld\n",
				n, bench_variant_name(variants[vi]), o->flows, m, sm.min,
				sm.max, mo_mean, so.min, so.max, r->ht_se, join_flows,
				r->join.moved, r->join.moved_others, 1.0 / (n + 1),
				variants[vi] == BENCH_KERNEL ? -1 : fb,
				variants[vi] == BENCH_KERNEL ? -1 : fl);
		}
	}
	printf("flows that still reached a socket after it left: %ld\n", stray);

	printf("\nmaglev, from its tables (the expectation for evenly spread hashes)\n");
	printf("%-4s %-28s %-28s %-9s %s\n", "N", "leave: moved/all",
	       "leave: moved/not on leaver", "join: all", "join: old->old");
	for (ni = 0; ni < o->nn; ni++) {
		const struct result *r = &results[ni][3];
		int n = o->n[ni];
		double m = 0, mo_mean = 0;

		for (p = 0; p < n; p++) {
			mv[p] = r->leave[p].table;
			mo[p] = r->leave[p].table_others;
			m += mv[p] / n;
			mo_mean += mo[p] / n;
		}
		bench_stat(mv, n, &sm);
		bench_stat(mo, n, &so);
		snprintf(what, sizeof(what), "%.4f [%.4f, %.4f]", m, sm.min, sm.max);
		snprintf(meas, sizeof(meas), "%.4f [%.4f, %.4f]", mo_mean, so.min, so.max);
		printf("%-4d %-28s %-28s %-9.4f %.4f\n", n, what, meas, r->join.table,
		       r->join.table_others);
	}
}

/* "4,16,64" */
static const char *list(const struct bench_opts *o)
{
	static char buf[64];
	int ni;

	buf[0] = '\0';
	for (ni = 0; ni < o->nn; ni++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%d",
			 ni ? "," : "", o->n[ni]);
	return buf;
}

static void goals(const struct bench_opts *o)
{
	char what[160], meas[256], goal[128];
	int ni, vi, p, pass;

	/*
	 * maglev: judged on its tables, which give the expectation without
	 * sampling noise; the flows' figure is shown beside (flows/table).
	 * Leave: <= 1% of the flows not on the leaver, worst position.
	 */
	for (ni = 0, pass = 1, meas[0] = '\0'; ni < o->nn; ni++) {
		const struct result *r = &results[ni][3];
		double worst = 0, worst_t = 0;

		for (p = 0; p < o->n[ni]; p++) {
			if (r->leave[p].moved_others > worst)
				worst = r->leave[p].moved_others;
			if (r->leave[p].table_others > worst_t)
				worst_t = r->leave[p].table_others;
		}
		pass &= worst_t <= 0.01;
		snprintf(meas + strlen(meas), sizeof(meas) - strlen(meas), "%s%.4f/%.4f",
			 ni ? " " : "", worst, worst_t);
	}
	snprintf(what, sizeof(what), "maglev leave: worst moved/not on leaver (flows/table), N=%s",
		 list(o));
	bench_goal("disruption", what, meas, "<= 0.01", pass);

	/* maglev, join: <= 1.05 / (N + 1) of all flows */
	for (ni = 0, pass = 1, meas[0] = goal[0] = '\0'; ni < o->nn; ni++) {
		const struct change *c = &results[ni][3].join;
		double g = 1.05 / (o->n[ni] + 1);

		pass &= c->table <= g;
		snprintf(meas + strlen(meas), sizeof(meas) - strlen(meas), "%s%.4f/%.4f",
			 ni ? " " : "", c->moved, c->table);
		snprintf(goal + strlen(goal), sizeof(goal) - strlen(goal), "%s%.4f",
			 ni ? " " : "<= ", g);
	}
	snprintf(what, sizeof(what), "maglev join: moved/all (flows/table), N=%s", list(o));
	bench_goal("disruption", what, meas, goal, pass);

	/*
	 * hash-threshold, leave: the mean over positions of the moved share
	 * is (N + 1) / (3N) exactly for an ideal hash (RFC 2992), so a sample
	 * of flows lands on either side of it: within 2 standard errors passes.
	 */
	for (ni = 0, pass = 1, meas[0] = goal[0] = '\0'; ni < o->nn; ni++) {
		const struct result *r = &results[ni][1];
		double g = (o->n[ni] + 1) / (3.0 * o->n[ni]), m = 0;

		for (p = 0; p < o->n[ni]; p++)
			m += r->leave[p].moved / o->n[ni];
		pass &= m <= g + 2 * r->ht_se;
		snprintf(meas + strlen(meas), sizeof(meas) - strlen(meas),
			 "%s%.4f+-%.4f", ni ? " " : "", m, r->ht_se);
		snprintf(goal + strlen(goal), sizeof(goal) - strlen(goal), "%s%.4f",
			 ni ? " " : "<= ", g);
	}
	snprintf(what, sizeof(what),
		 "hash-threshold leave: mean moved/all +-SE (pass: within 2 SE), N=%s", list(o));
	bench_goal("disruption", what, meas, goal, pass);

	/* no packet falls back while the group changes */
	for (vi = 1; vi < NV; vi++) {
		long fb = 0, fl = 0;

		for (ni = 0; ni < o->nn; ni++) {
			const struct result *r = &results[ni][vi];

			fb += r->join.fallbacks;
			fl += r->join.in_flight;
			for (p = 0; p < o->n[ni]; p++) {
				fb += r->leave[p].fallbacks;
				fl += r->leave[p].in_flight;
			}
		}
		snprintf(what, sizeof(what), "%s: fallbacks during changes",
			 bench_variant_name(variants[vi]));
		snprintf(meas, sizeof(meas), "%ld of %ld packets", fb, fl);
		bench_goal("disruption", what, meas, "0", fb == 0);
	}
}

/* -j FLOWS */
static int own_option(int c, const char *arg, struct bench_opts *o)
{
	(void)o;
	if (c == 'j')
		join_flows = atoi(arg);
	return c != 'j';
}

int main(int argc, char **argv)
{
	struct bench_opts o = {
		.outdir = "build/bench", .reps = 1, .rounds = 1, .tcp_slice = 1,
		.flows = 10000, .nn = 3, .n = { 4, 16, 64 }, .cpu = -1, .udp = 1,
		.min_n = 2,
	};
	struct churn ch = {};
	struct bench_tx *tx;
	FILE *raw, *sum;
	__u32 next = 0;
	int ni, vi, err;

	if (bench_parse(argc, argv, "o:f:j:n:h", &o, MAX_N, own_option) ||
	    join_flows < 1)
		usage(argv[0]);
	err = bench_init(o.outdir, 8192, o.cpu);
	tx = err ? NULL : bench_tx_open();
	ch.tx = bench_tx_open();
	raw = bench_open(o.outdir, "disruption_raw.csv",
			 "n,variant,change,position,flows,moved,moved_others,fallbacks,in_flight,to_leaver,table_moved,table_others");
	sum = bench_open(o.outdir, "disruption.csv",
			 "n,variant,flows,leave_moved_mean,leave_moved_min,leave_moved_max,leave_others_mean,leave_others_min,leave_others_max,leave_mean_se,join_flows,join_moved,join_between_old,one_share,fallbacks,in_flight");
	if (!tx || !ch.tx || !raw || !sum)
		return bench_setup_failed("disruption", err);
	for (ni = 0; ni < o.nn; ni++) {
		err = measure(&o, tx, &ch, ni, &next);
		if (err) {
			fprintf(stderr, "disruption: N=%d: %s\n", o.n[ni], strerror(-err));
			return 1;
		}
	}
	report(&o, raw, sum);
	goals(&o);
	for (ni = 0; ni < o.nn; ni++)
		for (vi = 0; vi < NV; vi++)
			free(results[ni][vi].leave);
	fclose(raw);
	fclose(sum);
	bench_tx_close(tx);
	bench_tx_close(ch.tx);
	return 0;
}
