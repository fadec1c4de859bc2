// SPDX-License-Identifier: GPL-2.0
/*
 * Algorithm least-loaded on real sockets: one worker is blocked (it never
 * accepts or reads), the others serve at once.  Once the blocked socket's
 * queue shows in the sample (pcbg_group_sample_load(), what pcbgroupd does
 * every load interval), no new connection or new UDP flow goes to it while
 * another is idle; with even queues the picks are hash-threshold's; names
 * that are not an algorithm are refused and change nothing.
 */
#include <poll.h>

#include "lib.h"

#define MAX_SOCKS	8
#define MAX_FLOWS	256
#define BLOCKED		0	/* the blocked worker's socket */

FIXTURE(workers) {
	int fds[MAX_SOCKS];
	int clients[MAX_FLOWS];
	int nclients;
	int ep;		/* over the idle workers' sockets only */
	struct pcbg_group *grp;
};

FIXTURE_VARIANT(workers) {
	int family;
	int type;
	int nsocks;
};

FIXTURE_VARIANT_ADD(workers, tcp4_2_socks) { AF_INET, SOCK_STREAM, 2 };
FIXTURE_VARIANT_ADD(workers, tcp6_4_socks) { AF_INET6, SOCK_STREAM, 4 };
FIXTURE_VARIANT_ADD(workers, udp4_flows_3_socks) { AF_INET, SOCK_DGRAM, 3 };

FIXTURE_SETUP(workers)
{
	ASSERT_EQ(0, setup_namespaces());
	make_server_group(_metadata, &self->grp, self->fds, variant->nsocks, variant->family,
			  variant->type);
	set_knob(_metadata, self->grp, "algorithm", "least-loaded");
	/* UDP is steered by load only where the flow table keeps old flows */
	if (variant->type == SOCK_DGRAM)
		set_knob(_metadata, self->grp, "flow_table", "1");
	self->ep = watch_servers(self->fds + 1, variant->nsocks - 1);
	ASSERT_LE(0, self->ep);
	ASSERT_EQ(0, pcbg_group_sample_load(self->grp));
}

FIXTURE_TEARDOWN(workers)
{
	while (self->nclients)
		close(self->clients[--self->nclients]);
	pcbg_group_free(self->grp);
}

/*
 * Flow @f: sent, then taken by an idle worker if one got it within 200 ms.
 * Returns the idle worker's index, or BLOCKED when the blocked socket
 * holds it (it is readable and no idle worker got it).
 */
static int send_one(struct __test_metadata *_metadata, struct _test_data_workers *self,
		    const struct _fixture_variant_workers *variant, int f)
{
	struct pollfd blocked = { .fd = self->fds[BLOCKED], .events = POLLIN };
	struct epoll_event ev;
	int fd, sport;

	fd = send_flow(variant->family, variant->type, CLIENT_PORT_BASE + f, SERVER_PORT);
	ASSERT_LE(0, fd);
	self->clients[self->nclients++] = fd;
	while (epoll_wait(self->ep, &ev, 1, 200) == 1) {
		while ((sport = take_one(self->fds[1 + ev.data.u32], variant->type)) >= 0)
			if (sport == CLIENT_PORT_BASE + f)
				return 1 + ev.data.u32;
	}
	ASSERT_EQ(1, poll(&blocked, 1, 0)) TH_LOG("flow %d reached no socket", f);
	return BLOCKED;
}

/* What the blocked socket holds: connections or datagrams, taken now. */
static int drain_blocked(struct _test_data_workers *self,
			 const struct _fixture_variant_workers *variant)
{
	int n = 0;

	while (take_one(self->fds[BLOCKED], variant->type) >= 0)
		n++;
	return n;
}

TEST_F(workers, blocked_worker_gets_no_new_flow_while_another_is_idle)
{
	struct pcbg_slot_load load;
	__u64 stats[PCBG_STAT_NR];
	int f = 0, later = 64, moved;

	/* until a flow lands on the blocked worker, by the hash */
	while (send_one(_metadata, self, variant, f) != BLOCKED)
		ASSERT_GT(64, ++f) TH_LOG("no flow of 64 reached socket %d", BLOCKED);
	f++;
	ASSERT_EQ(0, pcbg_group_sample_load(self->grp));
	ASSERT_EQ(0, pcbg_group_slot_load(self->grp, BLOCKED, &load));
	ASSERT_LT(0, load.queue) TH_LOG("the blocked worker's queue does not show");
	ASSERT_NE(0, load.sampled_ns);
	ASSERT_EQ(0, pcbg_group_reset_stats(self->grp));

	/* from now on every new flow goes to an idle worker */
	for (moved = 0; moved < later; moved++, f++) {
		EXPECT_NE(BLOCKED, send_one(_metadata, self, variant, f))
			TH_LOG("flow %d went to the blocked worker, queue %u", f, load.queue);
		if (moved % 8 == 7)	/* as the daemon samples meanwhile */
			ASSERT_EQ(0, pcbg_group_sample_load(self->grp));
	}
	EXPECT_EQ(1, drain_blocked(self, variant));
	ASSERT_EQ(0, pcbg_group_stats(self->grp, stats));
	EXPECT_EQ(later, stats[PCBG_STAT_SELECTED]);
	/* hash-threshold would have sent about 1/n of them to the blocked one */
	EXPECT_LT(0, stats[PCBG_STAT_LOAD_SECOND]);
	EXPECT_EQ(0, pcbg_fallbacks(stats));
	/* emptied, it shows so at the next sample, and is picked again */
	ASSERT_EQ(0, pcbg_group_sample_load(self->grp));
	ASSERT_EQ(0, pcbg_group_slot_load(self->grp, BLOCKED, &load));
	EXPECT_EQ(0, load.queue);
}

/* Queues even (all empty): every pick is hash-threshold's, none second. */
TEST_F(workers, even_queues_pick_as_hash_threshold)
{
	struct pcbg_sample samples[64];
	__u64 stats[PCBG_STAT_NR];
	int f, k, ns, n = variant->nsocks;

	ASSERT_EQ(0, pcbg_group_set_samples(self->grp, 1));
	ASSERT_EQ(0, pcbg_group_reset_stats(self->grp));
	for (f = 0; f < 48; f++) {
		if (send_one(_metadata, self, variant, f) == BLOCKED)
			drain_blocked(self, variant);	/* served: no queue */
	}
	ns = pcbg_group_samples(self->grp, samples, 64);
	ASSERT_EQ(48, ns);
	for (k = 0; k < ns; k++) {
		EXPECT_EQ(PCBG_ALGO_LEAST_LOADED, samples[k].algorithm);
		EXPECT_EQ(expected_slot(PCBG_ALGO_HASH_THRESHOLD, samples[k].hash,
					samples[k].cpu_bits, n), samples[k].slot)
			TH_LOG("hash %#x", samples[k].hash);
	}
	ASSERT_EQ(0, pcbg_group_stats(self->grp, stats));
	EXPECT_EQ(0, stats[PCBG_STAT_LOAD_SECOND]);
}

/* A name that is not an algorithm is refused, and the config stays. */
TEST_F(workers, bad_algorithm_names_refused)
{
	static const char *const bad[] = { "least_loaded", "least-loaded ", "LEAST-LOADED",
					   "least", "5", "-1", "" };
	struct pcbg_config before, cfg;
	unsigned int i;

	ASSERT_EQ(0, pcbg_group_config(self->grp, &before));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		cfg = before;
		EXPECT_EQ(-EINVAL, pcbg_config_set_knob(&cfg, "algorithm", bad[i]))
			TH_LOG("\"%s\"", bad[i]);
		EXPECT_EQ(0, memcmp(&cfg, &before, sizeof(cfg)));
	}
	/* a config with an algorithm past the last is refused by the writer */
	cfg = before;
	cfg.algorithm = PCBG_ALGO_NR;
	EXPECT_EQ(-EINVAL, pcbg_group_set_config(self->grp, &cfg));
	ASSERT_EQ(0, pcbg_group_config(self->grp, &cfg));
	EXPECT_EQ(0, memcmp(&cfg, &before, sizeof(cfg)));
}

TEST_HARNESS_MAIN
