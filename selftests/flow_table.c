// SPDX-License-Identifier: GPL-2.0
/*
 * UDP flows that survive a restart (flow_table=1): a datagram of a known
 * flow goes to the socket that served the flow first while that socket
 * lives, draining or not; new flows go to the members; a flow whose socket
 * is gone is picked again; idle flows expire; a full table evicts the
 * least recently used.  Real UDP sockets on loopback, 1,000 flows.
 */
#include "lib.h"
#include <pthread.h>
#include <stdatomic.h>

#define WORKERS		4
#define MAX_SOCKS	(2 * WORKERS + 12)
#define FLOWS		1000
#define FRESH		100	/* new flows started during each restart */
#define RESTARTS	10
#define LOAD_PORT	30000	/* background flows: outside the test's ports */
#define LOAD_FLOWS	64

FIXTURE(flows) {
	int clients[2 * FLOWS + RESTARTS * FRESH];	/* 0: not yet made */
	int fds[MAX_SOCKS];
	int slot_of[MAX_SOCKS];	/* slot of the socket at each index */
	int nfds;
	int ep;
	struct pcbg_group *grp;
	int before[2 * FLOWS + RESTARTS * FRESH];
	int after[2 * FLOWS + RESTARTS * FRESH];
};

FIXTURE_VARIANT(flows) {
	const char *algorithm;
	const char *hash_fields;
};

FIXTURE_VARIANT_ADD(flows, hash_threshold) { "hash-threshold", "4tuple" };
FIXTURE_VARIANT_ADD(flows, maglev) { "maglev", "4tuple" };

/*
 * Helpers take the fixture as FIXTURE_DATA(flows), spelt out: checkpatch
 * reads the macro form as a multiplication.
 */

/* A new server socket, watched; returns its index. */
static int add_server(struct __test_metadata *_metadata,
		      struct _test_data_flows *self)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int i = self->nfds, rcvbuf = 16 << 20;

	ASSERT_GT(MAX_SOCKS, i);
	self->fds[i] = make_server(AF_INET, SOCK_DGRAM, SERVER_PORT);
	ASSERT_LE(0, self->fds[i]);
	/* room for the background load while the test thread waits for a CPU */
	ASSERT_EQ(0, setsockopt(self->fds[i], SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
				sizeof(rcvbuf)));
	ev.data.u32 = i;
	ASSERT_EQ(0, epoll_ctl(self->ep, EPOLL_CTL_ADD, self->fds[i], &ev));
	self->slot_of[i] = -1;
	self->nfds++;
	return i;
}

/* Socket @i joins: placed now, seen by the program from the next publish. */
static void place(struct __test_metadata *_metadata,
		  struct _test_data_flows *self, int i)
{
	self->slot_of[i] = pcbg_group_place_socket(self->grp, self->fds[i], -1, 0);
	ASSERT_LE(0, self->slot_of[i]);
}

FIXTURE_SETUP(flows)
{
	int i;

	ASSERT_EQ(0, setup_namespaces());
	ASSERT_EQ(0, raise_nofile(4096));
	/* a small group keeps Maglev's rebuilds short; room for every flow */
	ASSERT_EQ(0, pcbg_group_create_flows(&self->grp, 64, 16384));
	self->ep = epoll_create1(0);
	ASSERT_LE(0, self->ep);
	for (i = 0; i < WORKERS; i++)
		place(_metadata, self, add_server(_metadata, self));
	ASSERT_EQ(0, pcbg_group_publish(self->grp));
	set_knob(_metadata, self->grp, "algorithm", variant->algorithm);
	set_knob(_metadata, self->grp, "hash_fields", variant->hash_fields);
	set_knob(_metadata, self->grp, "flow_table", "1");
	ASSERT_EQ(0, pcbg_group_attach(self->grp, self->fds[0]));
}

FIXTURE_TEARDOWN(flows)
{
	pcbg_group_free(self->grp);
}

/*
 * Flows [first, first + count), the same 4-tuples every time, from client
 * sockets kept open between calls: a datagram each, and in @receiver the
 * index of the server socket that got it (-1: none within a second).
 * Returns how many arrived.
 */
static int send_flows(struct _test_data_flows *self, int first, int count, int *receiver)
{
	struct sockaddr_storage src, dst;
	socklen_t dlen = make_addr(&dst, AF_INET, SERVER_PORT), slen;
	struct epoll_event evs[64];
	int i, got = 0, one = 1;

	for (i = first; i < first + count; i++) {
		receiver[i] = -1;
		if (self->clients[i] <= 0) {
			self->clients[i] = socket(AF_INET, SOCK_DGRAM, 0);
			slen = make_addr(&src, AF_INET, CLIENT_PORT_BASE + i);
			setsockopt(self->clients[i], SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
			if (bind(self->clients[i], (struct sockaddr *)&src, slen) ||
			    connect(self->clients[i], (struct sockaddr *)&dst, dlen))
				return -errno;
		}
		if (send(self->clients[i], "x", 1, 0) != 1)
			return -errno;
		if ((i - first) % 64 != 63 && i != first + count - 1)
			continue;
		/* every 64, take what arrived: the queues stay short */
		while (got < i + 1 - first) {
			int n = epoll_wait(self->ep, evs, 64, 1000), e, sport;

			if (n <= 0)
				break;
			for (e = 0; e < n; e++) {
				int idx = evs[e].data.u32;

				while ((sport = take_one(self->fds[idx], SOCK_DGRAM)) >= 0) {
					int flow = sport - CLIENT_PORT_BASE;

					if (flow >= first && flow < first + count &&
					    receiver[flow] < 0) {
						receiver[flow] = idx;
						got++;
					}
				}
			}
		}
	}
	return got;
}

static void stats(struct __test_metadata *_metadata, struct pcbg_group *grp,
		  __u64 st[PCBG_STAT_NR])
{
	ASSERT_EQ(0, pcbg_group_stats(grp, st));
}

/* Live flows of the slots of sockets [from, to), as show prints them. */
static __u32 live_flows(struct __test_metadata *_metadata,
			struct _test_data_flows *self, int from, int to)
{
	__u32 live[MAX_SOCKS] = {}, sum = 0;
	int i;

	EXPECT_LE(0, pcbg_group_flows(self->grp, live, MAX_SOCKS));
	for (i = from; i < to; i++)
		if (self->slot_of[i] >= 0)
			sum += live[self->slot_of[i]];
	return sum;
}

/* Flows [0, FLOWS) once (in before), then as many new workers join as drain. */
static void drain_and_join(struct __test_metadata *_metadata, struct _test_data_flows *self)
{
	int i;

	ASSERT_EQ(FLOWS, send_flows(self, 0, FLOWS, self->before));
	for (i = 0; i < WORKERS; i++)
		place(_metadata, self, add_server(_metadata, self));
	for (i = 0; i < WORKERS; i++)
		ASSERT_EQ(0, pcbg_group_drain(self->grp, self->slot_of[i], 1));
}

/*
 * The old workers drain while as many new ones join: every old flow stays
 * on its socket, every new flow goes to a new socket, and once the old
 * workers close, their flows are picked again among the new ones.
 */
TEST_F(flows, drain_and_join_hold_every_old_flow)
{
	int i, to_new = 0, moved = 0, new_to_old = 0;
	__u64 st[PCBG_STAT_NR];

	drain_and_join(_metadata, self);

	ASSERT_EQ(FLOWS, send_flows(self, 0, FLOWS, self->after));
	for (i = 0; i < FLOWS; i++) {
		to_new += self->after[i] >= WORKERS;
		moved += self->after[i] != self->before[i];
	}
	ASSERT_EQ(FLOWS, send_flows(self, FLOWS, FLOWS, self->after));
	for (i = FLOWS; i < 2 * FLOWS; i++)
		new_to_old += self->after[i] < WORKERS;
	TH_LOG("old flows on a new socket: %d, moved: %d; new flows on an old socket: %d",
	       to_new, moved, new_to_old);
	EXPECT_EQ(0, to_new);
	EXPECT_EQ(0, moved);
	EXPECT_EQ(0, new_to_old);
	/* a draining worker sees its live flows, and is done at 0 */
	EXPECT_EQ(FLOWS, live_flows(_metadata, self, 0, WORKERS));
	EXPECT_EQ(FLOWS, live_flows(_metadata, self, WORKERS, 2 * WORKERS));
	stats(_metadata, self->grp, st);
	EXPECT_EQ(2 * FLOWS, st[PCBG_STAT_FLOW_NEW]);
	EXPECT_EQ(FLOWS, st[PCBG_STAT_FLOW_HIT]);	/* one resend of each old one */
	EXPECT_EQ(0, st[PCBG_STAT_FLOW_REPICK]);
	EXPECT_EQ(0, st[PCBG_STAT_FLOW_EVICTED]);
	EXPECT_EQ(0, pcbg_fallbacks(st));

	/* the old workers finish: their flows go to the new ones, counted */
	for (i = 0; i < WORKERS; i++)
		close(self->fds[i]);
	EXPECT_EQ(0, live_flows(_metadata, self, 0, WORKERS));
	ASSERT_EQ(FLOWS, send_flows(self, 0, FLOWS, self->after));
	for (i = 0; i < FLOWS; i++)
		EXPECT_LE(WORKERS, self->after[i]);
	stats(_metadata, self->grp, st);
	EXPECT_EQ(FLOWS, st[PCBG_STAT_FLOW_REPICK]);
	EXPECT_EQ(2 * FLOWS, live_flows(_metadata, self, WORKERS, 2 * WORKERS));
	EXPECT_EQ(0, pcbg_fallbacks(st));
}

/* The same drain and join without the table moves every old flow. */
TEST_F(flows, without_the_table_a_drain_moves_the_flows)
{
	int i, to_new = 0;

	set_knob(_metadata, self->grp, "flow_table", "0");
	drain_and_join(_metadata, self);
	ASSERT_EQ(FLOWS, send_flows(self, 0, FLOWS, self->after));
	for (i = 0; i < FLOWS; i++)
		to_new += self->after[i] >= WORKERS;
	EXPECT_EQ(FLOWS, to_new);
	EXPECT_EQ(0, live_flows(_metadata, self, 0, 2 * WORKERS));
}

struct load {
	atomic_int stop;
	long sent;
};

/* Background datagrams on LOAD_FLOWS other flows, until told to stop. */
static void *send_load(void *arg)
{
	struct load *load = arg;
	struct sockaddr_storage dst;
	socklen_t dlen = make_addr(&dst, AF_INET, SERVER_PORT);
	int fds[LOAD_FLOWS], i;

	for (i = 0; i < LOAD_FLOWS; i++) {
		struct sockaddr_storage src;
		socklen_t slen = make_host_addr(&src, AF_INET, 2, LOAD_PORT + i);

		fds[i] = socket(AF_INET, SOCK_DGRAM, 0);
		if (fds[i] >= 0 && bind(fds[i], (struct sockaddr *)&src, slen)) {
			close(fds[i]);
			fds[i] = -1;
		}
	}
	while (!atomic_load(&load->stop)) {
		for (i = 0; i < LOAD_FLOWS; i++)
			if (fds[i] >= 0 && sendto(fds[i], "l", 1, 0,
						  (struct sockaddr *)&dst, dlen) == 1)
				load->sent++;
		usleep(5000);
	}
	for (i = 0; i < LOAD_FLOWS; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return NULL;
}

/*
 * Ten rolling restarts while datagrams flow: each time one worker drains
 * while its successor joins, and then leaves.  Between every step the 1,000
 * flows send again: a flow stays on its socket until that socket leaves,
 * then moves once; flows started during a drain never reach the draining
 * worker.
 */
TEST_F_TIMEOUT(flows, ten_rolling_restarts_hold_the_flows, 300)
{
	int owner[FLOWS], worker[WORKERS], r, i, w, old, succ;
	int strays = 0, held_moves = 0, leaver_flows = 0, fresh_on_old = 0;
	struct load load = {};
	__u64 st[PCBG_STAT_NR];
	pthread_t tid;

	/* 23,000 datagrams, 30 publishes: minutes in a TCG guest */
	if (getenv("PCBG_KO"))
		SKIP(return, "run on the host only: too slow in a virtme-ng guest");
	for (w = 0; w < WORKERS; w++)
		worker[w] = w;
	ASSERT_EQ(0, pthread_create(&tid, NULL, send_load, &load));
	ASSERT_EQ(FLOWS, send_flows(self, 0, FLOWS, owner));
	for (r = 0; r < RESTARTS; r++) {
		w = r % WORKERS;
		old = worker[w];
		succ = add_server(_metadata, self);
		place(_metadata, self, succ);
		ASSERT_EQ(0, pcbg_group_drain(self->grp, self->slot_of[old], 1));

		/* during the drain: the old flows stay; new ones avoid @old */
		ASSERT_EQ(FLOWS, send_flows(self, 0, FLOWS, self->after));
		for (i = 0; i < FLOWS; i++) {
			held_moves += self->after[i] != owner[i];
			leaver_flows += owner[i] == old;
		}
		ASSERT_EQ(FRESH, send_flows(self, FLOWS + r * FRESH, FRESH, self->after));
		for (i = FLOWS + r * FRESH; i < FLOWS + (r + 1) * FRESH; i++)
			fresh_on_old += self->after[i] == old;

		/* @old leaves: its flows move, once; the others stay */
		ASSERT_EQ(0, pcbg_group_remove_socket(self->grp, self->slot_of[old]));
		self->slot_of[old] = -1;
		worker[w] = succ;
		ASSERT_EQ(FLOWS, send_flows(self, 0, FLOWS, self->after));
		for (i = 0; i < FLOWS; i++) {
			if (owner[i] == old) {
				strays += self->after[i] == old;
				owner[i] = self->after[i];
			} else {
				held_moves += self->after[i] != owner[i];
			}
		}
	}
	atomic_store(&load.stop, 1);
	pthread_join(tid, NULL);
	stats(_metadata, self->grp, st);
	TH_LOG("%d restarts, %ld background datagrams: %d moves of held flows, %d leaver flows "
	       "(repicks %llu), %d new flows on a draining worker",
	       RESTARTS, load.sent, held_moves, leaver_flows,
	       (unsigned long long)st[PCBG_STAT_FLOW_REPICK], fresh_on_old);
	EXPECT_LT(0, load.sent);
	EXPECT_EQ(0, held_moves);
	EXPECT_EQ(0, strays);
	EXPECT_EQ(0, fresh_on_old);
	EXPECT_LE(leaver_flows, st[PCBG_STAT_FLOW_REPICK]);
	EXPECT_EQ(0, pcbg_fallbacks(st));
}

/* An idle flow expires after flow_timeout and is picked again. */
TEST_F(flows, idle_flows_expire)
{
	int i, on_drained = 0;
	__u64 st[PCBG_STAT_NR];

	set_knob(_metadata, self->grp, "flow_timeout", "1");
	ASSERT_EQ(FLOWS, send_flows(self, 0, FLOWS, self->before));
	ASSERT_EQ(0, pcbg_group_drain(self->grp, self->slot_of[0], 1));
	usleep(2100 * 1000);
	EXPECT_EQ(0, live_flows(_metadata, self, 0, WORKERS));
	ASSERT_EQ(FLOWS, send_flows(self, 0, FLOWS, self->after));
	for (i = 0; i < FLOWS; i++)
		on_drained += self->after[i] == 0;
	stats(_metadata, self->grp, st);
	EXPECT_EQ(FLOWS, st[PCBG_STAT_FLOW_EXPIRED]);
	EXPECT_EQ(0, st[PCBG_STAT_FLOW_HIT]);
	/* picked again as new ones: none on the draining worker */
	EXPECT_EQ(0, on_drained);
	EXPECT_EQ(FLOWS, live_flows(_metadata, self, 1, WORKERS));
}

/* A full table drops its least recently used flows, and counts them. */
TEST(full_table_evicts)
{
	int fds[WORKERS], ep, i, flows = 3 * PCBG_FLOWS_MIN;
	int *receiver = calloc(flows, sizeof(*receiver));
	struct pcbg_group *grp;
	__u64 st[PCBG_STAT_NR];
	int entries;

	ASSERT_NE(NULL, receiver);
	ASSERT_EQ(0, setup_namespaces());
	ASSERT_EQ(0, raise_nofile(4096));
	ASSERT_EQ(-E2BIG, pcbg_group_create_flows(&grp, 0, PCBG_FLOWS_MAX + 1));
	ASSERT_EQ(0, pcbg_group_create_flows(&grp, 0, PCBG_FLOWS_MIN));
	for (i = 0; i < WORKERS; i++) {
		fds[i] = make_server(AF_INET, SOCK_DGRAM, SERVER_PORT);
		ASSERT_EQ(i, pcbg_group_place_socket(grp, fds[i], -1, 0));
	}
	ASSERT_EQ(0, pcbg_group_publish(grp));
	set_knob(_metadata, grp, "flow_table", "1");
	ASSERT_EQ(0, pcbg_group_attach(grp, fds[0]));
	ep = watch_servers(fds, WORKERS);
	ASSERT_LE(0, ep);

	ASSERT_EQ(flows, run_flows(AF_INET, SOCK_DGRAM, SERVER_PORT, fds, ep, 0,
				   flows, receiver));
	entries = pcbg_group_flows(grp, NULL, 0);
	stats(_metadata, grp, st);
	TH_LOG("%d flows into %d entries: %d kept, %llu evicted", flows,
	       PCBG_FLOWS_MIN, entries, (unsigned long long)st[PCBG_STAT_FLOW_EVICTED]);
	EXPECT_GE(PCBG_FLOWS_MIN, entries);
	EXPECT_EQ(flows, st[PCBG_STAT_FLOW_NEW]);
	/* flow_new - the size: the evictions, or fewer by the LRU's free entries */
	EXPECT_EQ(flows - PCBG_FLOWS_MIN, st[PCBG_STAT_FLOW_EVICTED]);
	EXPECT_LE(st[PCBG_STAT_FLOW_EVICTED], flows - entries);

	/*
	 * The first flows again: each is a hit or, evicted, a new flow.  Which
	 * ones the kernel's LRU dropped depends on its per-CPU free lists.
	 */
	ASSERT_EQ(64, run_flows(AF_INET, SOCK_DGRAM, SERVER_PORT, fds, ep, 0, 64,
				receiver));
	stats(_metadata, grp, st);
	EXPECT_EQ(flows + 64, st[PCBG_STAT_FLOW_NEW] + st[PCBG_STAT_FLOW_HIT]);

	/* a reset starts the evictions again from 0 */
	ASSERT_EQ(0, pcbg_group_reset_stats(grp));
	stats(_metadata, grp, st);
	EXPECT_EQ(0, st[PCBG_STAT_FLOW_EVICTED]);
	pcbg_group_free(grp);
	free(receiver);
}

/* A group of WORKERS sockets with a flow table of @entries, flow_table=1. */
static struct pcbg_group *small_table_group(struct __test_metadata *_metadata,
					    int *fds, int *ep, __u32 entries)
{
	struct pcbg_group *grp;
	int i;

	ASSERT_EQ(0, setup_namespaces()) return NULL;
	ASSERT_EQ(0, raise_nofile(4096)) return NULL;
	ASSERT_EQ(0, pcbg_group_create_flows(&grp, 0, entries)) return NULL;
	for (i = 0; i < WORKERS; i++) {
		fds[i] = make_server(AF_INET, SOCK_DGRAM, SERVER_PORT);
		ASSERT_EQ(i, pcbg_group_place_socket(grp, fds[i], -1, 0)) return NULL;
	}
	ASSERT_EQ(0, pcbg_group_publish(grp)) return NULL;
	set_knob(_metadata, grp, "flow_table", "1");
	ASSERT_EQ(0, pcbg_group_attach(grp, fds[0])) return NULL;
	*ep = watch_servers(fds, WORKERS);
	ASSERT_LE(0, *ep) return NULL;
	return grp;
}

/*
 * flow_evicted only grows, and says the truth: every entry the table took
 * is a flow_new and it holds what was not evicted, so the evictions are
 * flow_new - the entries present, and the counter is that or fewer by at
 * most the kernel LRU's free entries per CPU.
 */
TEST(evictions_only_grow_and_are_honest)
{
	int fds[WORKERS], ep, i, chunk = 256, flows = 3 * PCBG_FLOWS_MIN;
	int *receiver = calloc(flows, sizeof(*receiver));
	__u64 st[PCBG_STAT_NR], last = 0, truth, slack;
	struct pcbg_group *grp;
	int present;

	ASSERT_NE(NULL, receiver);
	grp = small_table_group(_metadata, fds, &ep, PCBG_FLOWS_MIN);
	ASSERT_NE(NULL, grp);
	slack = (__u64)PCBG_FLOWS_LRU_SLACK * pcbg_group_nr_cpus(grp);
	for (i = 0; i < flows; i += chunk) {
		ASSERT_EQ(chunk, run_flows(AF_INET, SOCK_DGRAM, SERVER_PORT, fds, ep, i,
					   chunk, receiver));
		stats(_metadata, grp, st);
		present = pcbg_group_flows(grp, NULL, 0);
		ASSERT_LE(0, present);
		truth = st[PCBG_STAT_FLOW_NEW] - present;
		EXPECT_EQ(i + chunk, st[PCBG_STAT_FLOW_NEW]);
		EXPECT_LE(last, st[PCBG_STAT_FLOW_EVICTED]);
		EXPECT_LE(st[PCBG_STAT_FLOW_EVICTED], truth);
		EXPECT_GE(st[PCBG_STAT_FLOW_EVICTED] + slack, truth)
			TH_LOG("%d flows: %llu evicted, counter %llu", i + chunk,
			       (unsigned long long)truth,
			       (unsigned long long)st[PCBG_STAT_FLOW_EVICTED]);
		last = st[PCBG_STAT_FLOW_EVICTED];
	}
	EXPECT_EQ(flows - PCBG_FLOWS_MIN, last);

	/* flows picked again take no new entry: nothing more is evicted */
	set_knob(_metadata, grp, "flow_timeout", "1");
	usleep(1500000);
	ASSERT_EQ(chunk, run_flows(AF_INET, SOCK_DGRAM, SERVER_PORT, fds, ep, flows - chunk,
				   chunk, receiver));
	stats(_metadata, grp, st);
	EXPECT_EQ(chunk, st[PCBG_STAT_FLOW_EXPIRED] + st[PCBG_STAT_FLOW_NEW] - flows);
	EXPECT_EQ(present, pcbg_group_flows(grp, NULL, 0) -
		  (int)(st[PCBG_STAT_FLOW_NEW] - flows));
	EXPECT_EQ(st[PCBG_STAT_FLOW_NEW] - PCBG_FLOWS_MIN, st[PCBG_STAT_FLOW_EVICTED]);
	pcbg_group_free(grp);
	free(receiver);
}

#define CTL_OUT	65536

/* pcbgroupctl show ARGS of this namespace: its exit status, out and err. */
static int ctl(char *out, char *err, const char *args)
{
	return run_cmd(out, CTL_OUT, err, CTL_OUT, "%s/pcbgroupctl %s", build_dir(), args);
}

/*
 * show warns when the table evicts live flows (flows it dropped while
 * even its least recently seen entry is younger than flow_timeout), and
 * not before it is full nor when what it evicts is idle; JSON and the
 * Prometheus series say the same.
 */
TEST(show_warns_when_live_flows_are_evicted)
{
	static const char warning[] =
		"pcbgroupctl: show: group 1: the flow table is evicting live flows: ";
	int fds[WORKERS], ep, flows = 3 * PCBG_FLOWS_MIN, first = 1000;
	int *receiver = calloc(flows, sizeof(*receiver));
	static char out[CTL_OUT], err[CTL_OUT];
	char dir[PATH_MAX], series[128];
	struct pcbg_group *grp;
	__u64 st[PCBG_STAT_NR];

	ASSERT_NE(NULL, receiver);
	grp = small_table_group(_metadata, fds, &ep, PCBG_FLOWS_MIN);
	ASSERT_NE(NULL, grp);
	ASSERT_EQ(0, mkdir(PCBG_PIN_ROOT, 0700));
	ASSERT_EQ(0, mkdir(netns_pin_root(), 0700));
	group_pin_dir(dir, sizeof(dir), 1);
	ASSERT_EQ(0, pcbg_group_pin(grp, dir));

	/* room for them all: no warning */
	ASSERT_EQ(first, run_flows(AF_INET, SOCK_DGRAM, SERVER_PORT, fds, ep, 0, first,
				   receiver));
	ASSERT_EQ(0, ctl(out, err, "show"));
	EXPECT_EQ(NULL, strstr(err, warning)) TH_LOG("%s", err);
	ASSERT_EQ(0, ctl(out, err, "show -j"));
	EXPECT_NE(NULL, strstr(out, "\"flow_table\":{\"entries\":1024,")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"evicting_live\":false")) TH_LOG("%s", out);

	/* three times the table, all younger than flow_timeout */
	ASSERT_EQ(flows - first, run_flows(AF_INET, SOCK_DGRAM, SERVER_PORT, fds, ep, first,
					   flows - first, receiver));
	stats(_metadata, grp, st);
	ASSERT_EQ(flows - PCBG_FLOWS_MIN, st[PCBG_STAT_FLOW_EVICTED]);
	ASSERT_EQ(0, ctl(out, err, "show"));
	EXPECT_NE(NULL, strstr(err, warning)) TH_LOG("%s", err);
	EXPECT_NE(NULL, strstr(err, "2048 evicted")) TH_LOG("%s", err);
	EXPECT_NE(NULL, strstr(out, "flow_entries")) TH_LOG("%s", out);
	ASSERT_EQ(0, ctl(out, err, "show -j"));
	EXPECT_NE(NULL, strstr(out, "\"evicting_live\":true")) TH_LOG("%s", out);
	ASSERT_EQ(0, ctl(out, err, "show --prometheus"));
	snprintf(series, sizeof(series), "pcbgroup_flow_evicted_total{group=\"1\",proto=\"udp\"");
	EXPECT_NE(NULL, strstr(out, series)) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"} 2048\n")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "pcbgroup_flow_table_entries{group=\"1\"")) TH_LOG("%s", out);

	/* the same evictions, but what the table holds is idle now: no warning */
	set_knob(_metadata, grp, "flow_timeout", "1");
	usleep(1500000);
	ASSERT_EQ(0, ctl(out, err, "show"));
	EXPECT_EQ(NULL, strstr(err, warning)) TH_LOG("%s", err);
	pcbg_unpin(dir);
	pcbg_group_free(grp);
	free(receiver);
}

/*
 * The size of the flow table: a bad one is refused, by the library and by
 * pcbgroupctl attach, with the range, and no group is made; a good one is
 * the table's size, with its memory shown; unless told, a UDP group has
 * PCBG_FLOWS_UDP_DEFAULT entries if flow_table is on as it is made (by
 * pcbgroup.ko's sysctl), else PCBG_FLOWS_MIN: the table is preallocated.
 */
TEST(flow_entries_bad_sizes_are_refused)
{
	static const char *const bad[] = {
		"0", "1023", "4194305", "", "-1024", "+2048", " 2048", "2048 ", "12x",
		"0x800", "99999999999999999999",
	};
	static char out[CTL_OUT], err[CTL_OUT];
	char args[256], want[64];
	__u32 entries = 7;
	int port = 0, out_fd;
	pid_t server;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-EINVAL, pcbg_parse_flow_entries(bad[i], &entries))
			TH_LOG("'%s'", bad[i]);
		EXPECT_EQ(7, entries);
	}
	EXPECT_EQ(0, pcbg_parse_flow_entries("1024", &entries));
	EXPECT_EQ(PCBG_FLOWS_MIN, entries);
	EXPECT_EQ(0, pcbg_parse_flow_entries("4194304", &entries));
	EXPECT_EQ(PCBG_FLOWS_MAX, entries);

	ASSERT_EQ(0, setup_namespaces());
	server = start_echo_server("", &port, &out_fd, "-t udp -w 2 -p 0");
	ASSERT_LT(0, server);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		snprintf(args, sizeof(args), "attach --pid %d --proto udp --flow-entries '%s'",
			 server, bad[i]);
		EXPECT_EQ(2, ctl(out, err, args)) TH_LOG("'%s'", bad[i]);
		EXPECT_STREQ("pcbgroupctl: attach: --flow-entries: 1024-4194304 "
			     "(see pcbgroupctl -h)\n", err);
		ASSERT_EQ(0, ctl(out, err, "show -j"));
		EXPECT_STREQ("{\"groups\":[]}\n", out);
	}
	snprintf(args, sizeof(args), "attach --pid %d --proto udp --flow-entries 2048", server);
	ASSERT_EQ(0, ctl(out, err, args)) TH_LOG("%s", err);
	ASSERT_EQ(0, ctl(out, err, "show -j"));
	EXPECT_NE(NULL, strstr(out, "\"flow_table\":{\"entries\":2048,\"bytes\":"))
		TH_LOG("%s", out);
	ASSERT_EQ(0, ctl(out, err, "detach --all"));
	snprintf(args, sizeof(args), "attach --pid %d --proto udp", server);
	ASSERT_EQ(0, ctl(out, err, args)) TH_LOG("%s", err);
	ASSERT_EQ(0, ctl(out, err, "show -j"));
	snprintf(want, sizeof(want), "\"flow_table\":{\"entries\":%u,", PCBG_FLOWS_MIN);
	EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
	ASSERT_EQ(0, ctl(out, err, "detach --all"));
	if (pcbg_module_loaded()) {	/* flow_table on as the group is made */
		ASSERT_EQ(0, run_cmd(NULL, 0, NULL, 0, "sysctl -qw net.pcbgroup.flow_table=1"));
		ASSERT_EQ(0, ctl(out, err, args)) TH_LOG("%s", err);
		ASSERT_EQ(0, ctl(out, err, "show -j"));
		snprintf(want, sizeof(want), "\"flow_table\":{\"entries\":%u,",
			 PCBG_FLOWS_UDP_DEFAULT);
		EXPECT_NE(NULL, strstr(out, want)) TH_LOG("%s", out);
		ASSERT_EQ(0, ctl(out, err, "detach --all"));
		run_cmd(NULL, 0, NULL, 0, "sysctl -qw net.pcbgroup.flow_table=0");
	}
	kill_echo_server(server, out_fd);
}

TEST_HARNESS_MAIN
