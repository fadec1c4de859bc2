// SPDX-License-Identifier: GPL-2.0
/*
 * The data plane on real sockets: a group of SO_REUSEPORT sockets on
 * loopback, in a fresh network namespace, steered by pcbg_select through
 * libpcbgroup.  Each flow comes from a known source port, so the test knows
 * which socket got it and checks that against the program's counters and the
 * spec's formula for the hash the kernel handed the program.
 */
#include "lib.h"

#define MAX_SOCKS	PCBG_SLOTS_DEFAULT
#define MAX_FLOWS	(4 * MAX_SOCKS + 64)

FIXTURE(group) {
	int fds[MAX_SOCKS];
	int n;
	int ep;
	struct pcbg_group *grp;
	int receiver[MAX_FLOWS];
};

FIXTURE_VARIANT(group) {
	int family;
	int type;
	int nsocks;
};

/* 10 and more UDP sockets take a different lookup path (net/reuseport_bpf.c) */
FIXTURE_VARIANT_ADD(group, udp4_2_socks) { AF_INET, SOCK_DGRAM, 2 };
FIXTURE_VARIANT_ADD(group, udp4_11_socks) { AF_INET, SOCK_DGRAM, 11 };
FIXTURE_VARIANT_ADD(group, udp6_16_socks) { AF_INET6, SOCK_DGRAM, 16 };
FIXTURE_VARIANT_ADD(group, udp4_64_socks) { AF_INET, SOCK_DGRAM, 64 };
FIXTURE_VARIANT_ADD(group, tcp4_4_socks) { AF_INET, SOCK_STREAM, 4 };
FIXTURE_VARIANT_ADD(group, tcp6_16_socks) { AF_INET6, SOCK_STREAM, 16 };
FIXTURE_VARIANT_ADD(group, tcp4_64_socks) { AF_INET, SOCK_STREAM, 64 };

FIXTURE_SETUP(group)
{
	ASSERT_EQ(0, setup_namespaces());
	ASSERT_EQ(0, raise_nofile(2 * MAX_SOCKS + 1024));
	self->n = variant->nsocks;
	make_server_group(_metadata, &self->grp, self->fds, self->n, variant->family,
			  variant->type);
	self->ep = watch_servers(self->fds, self->n);
	ASSERT_LE(0, self->ep);
}

FIXTURE_TEARDOWN(group)
{
	pcbg_group_free(self->grp);
}

static int flows_for(int nsocks)
{
	return nsocks * 64 < 512 ? 512 : nsocks * 64;
}

/* Every flow reaches one socket, the spread passes chi-square, and the
 * program's per-slot counters equal what each socket received.
 */
TEST_F_TIMEOUT(group, spread_is_uniform_and_counted, 120)
{
	int flows = flows_for(variant->nsocks), i;
	long counts[MAX_SOCKS] = {};
	__u64 stats[PCBG_STAT_NR], sel;
	double chi2, crit;

	ASSERT_EQ(flows, run_flows(variant->family, variant->type, SERVER_PORT,
				   self->fds, self->ep, 0, flows, self->receiver));
	for (i = 0; i < flows; i++)
		counts[self->receiver[i]]++;
	EXPECT_TRUE(chi_square_uniform(counts, self->n, flows, &chi2, &crit))
		TH_LOG("chi2 %.1f > %.1f over %d sockets", chi2, crit, self->n);
	ASSERT_EQ(0, pcbg_group_stats(self->grp, stats));
	EXPECT_EQ(flows, stats[PCBG_STAT_SELECTED]);
	EXPECT_EQ(0, pcbg_fallbacks(stats));
	for (i = 0; i < self->n; i++) {
		ASSERT_EQ(0, pcbg_group_slot_selected(self->grp, i, &sel));
		EXPECT_EQ(counts[i], sel) TH_LOG("slot %d", i);
	}
}

/* For each algorithm and cpu_bits, the slot picked for a hash is the one the
 * formula gives, and that slot's socket is the one that got the flow.
 */
TEST_F_TIMEOUT(group, slot_matches_formula, 120)
{
	static const char *const algos[] = { "hash-threshold", "modulo" };
	static const char *const bits[] = { "0", "1", "4" };
	struct pcbg_sample samples[256];
	int a, b, k, ns, first = 0, flows = 48;

	ASSERT_EQ(0, pcbg_group_set_samples(self->grp, 1));
	for (a = 0; a < 2; a++) {
		for (b = 0; b < 3; b++) {
			set_knob(_metadata, self->grp, "algorithm", algos[a]);
			set_knob(_metadata, self->grp, "cpu_bits", bits[b]);
			ASSERT_EQ(0, pcbg_group_reset_stats(self->grp));
			ASSERT_EQ(flows, run_flows(variant->family, variant->type,
						   SERVER_PORT, self->fds, self->ep,
						   first, flows, self->receiver));
			ns = pcbg_group_samples(self->grp, samples, 256);
			ASSERT_EQ(flows, ns);
			for (k = 0; k < ns; k++) {
				struct pcbg_sample *s = &samples[k];
				int flow = s->sport - CLIENT_PORT_BASE;

				EXPECT_EQ(a, s->algorithm);
				EXPECT_EQ(atoi(bits[b]), s->cpu_bits);
				EXPECT_EQ(self->n, s->nr_slots);
				EXPECT_EQ(SERVER_PORT, s->dport);
				EXPECT_EQ(expected_slot(a, s->hash, s->cpu_bits, self->n),
					  s->slot)
					TH_LOG("%s cpu_bits %s hash %#x", algos[a],
					       bits[b], s->hash);
				ASSERT_TRUE(flow >= first && flow < first + flows);
				EXPECT_EQ(self->receiver[flow], (int)s->slot)
					TH_LOG("flow from port %u", s->sport);
			}
			first += flows;
		}
	}
}

/* With the switch off for the packet's protocol the kernel picks, nothing
 * is lost, and the fallback counter says so; the other switch changes nothing.
 */
TEST_F_TIMEOUT(group, ext_off_falls_back_to_kernel, 120)
{
	int tcp = variant->type == SOCK_STREAM;
	const char *mine = tcp ? "tcp_reuseport_ext" : "udp_reuseport_ext";
	const char *other = tcp ? "udp_reuseport_ext" : "tcp_reuseport_ext";
	int flows = 256;
	__u64 stats[PCBG_STAT_NR];

	set_knob(_metadata, self->grp, mine, "0");
	ASSERT_EQ(flows, run_flows(variant->family, variant->type, SERVER_PORT,
				   self->fds, self->ep, 0, flows, self->receiver));
	ASSERT_EQ(0, pcbg_group_stats(self->grp, stats));
	EXPECT_EQ(flows, stats[PCBG_STAT_FALLBACK_OFF]);
	EXPECT_EQ(0, stats[PCBG_STAT_SELECTED]);

	set_knob(_metadata, self->grp, mine, "1");
	set_knob(_metadata, self->grp, other, "0");
	ASSERT_EQ(flows, run_flows(variant->family, variant->type, SERVER_PORT,
				   self->fds, self->ep, flows, flows, self->receiver));
	ASSERT_EQ(0, pcbg_group_stats(self->grp, stats));
	EXPECT_EQ(flows, stats[PCBG_STAT_FALLBACK_OFF]);
	EXPECT_EQ(flows, stats[PCBG_STAT_SELECTED]);
}

/* A socket that closes before the tools take it out loses nothing: its
 * flows go to the other members by a second hash (counted as repick), and
 * no flow falls back to the kernel's pick.
 */
TEST_F_TIMEOUT(group, closed_socket_loses_no_flow, 120)
{
	int flows = 512, i, closed = 1;
	__u64 stats[PCBG_STAT_NR];

	ASSERT_EQ(1, pcbg_group_slot_live(self->grp, closed));
	close(self->fds[closed]);
	self->fds[closed] = -1;
	ASSERT_EQ(0, pcbg_group_slot_live(self->grp, closed));

	ASSERT_EQ(flows, run_flows(variant->family, variant->type, SERVER_PORT,
				   self->fds, self->ep, 0, flows, self->receiver));
	for (i = 0; i < flows; i++)
		EXPECT_NE(closed, self->receiver[i]);
	ASSERT_EQ(0, pcbg_group_stats(self->grp, stats));
	EXPECT_LT(0, stats[PCBG_STAT_REPICK]);
	EXPECT_EQ(flows, stats[PCBG_STAT_SELECTED]);
	EXPECT_EQ(0, stats[PCBG_STAT_FALLBACK_EMPTY] + stats[PCBG_STAT_FALLBACK_MISS]);
}

/*
 * The first half of the members closes before the tools republish, as an
 * old generation does when the new one is in the group: the flows that
 * picked a closed member all reach a live one (the program's second
 * choices scan the list after their hashes), and none falls back.
 */
TEST_F_TIMEOUT(group, closed_half_of_the_members_loses_no_flow, 120)
{
	int flows = 1024, i, half = self->n / 2;
	__u64 stats[PCBG_STAT_NR];

	if (self->n < 2)
		SKIP(return, "one socket");
	for (i = 0; i < half; i++) {
		close(self->fds[i]);
		self->fds[i] = -1;
	}
	ASSERT_EQ(flows, run_flows(variant->family, variant->type, SERVER_PORT,
				   self->fds, self->ep, 0, flows, self->receiver));
	for (i = 0; i < flows; i++)
		EXPECT_LE(half, self->receiver[i]);
	ASSERT_EQ(0, pcbg_group_stats(self->grp, stats));
	TH_LOG("%llu of %d flows placed by a second choice",
	       (unsigned long long)stats[PCBG_STAT_REPICK], flows);
	EXPECT_EQ(flows, stats[PCBG_STAT_SELECTED]);
	EXPECT_EQ(0, stats[PCBG_STAT_FALLBACK_EMPTY] + stats[PCBG_STAT_FALLBACK_MISS])
		TH_LOG("flows that fell back to the kernel's pick");
}

/* A full group of 4096 UDP sockets: the next socket is refused, the spread
 * and the formula hold, in O(1) per packet.
 */
FIXTURE(big_group) {
	int fds[MAX_SOCKS + 1];
	int ep;
	struct pcbg_group *grp;
	int receiver[MAX_FLOWS];
};

FIXTURE_SETUP(big_group)
{
	int i;

	ASSERT_EQ(0, setup_namespaces());
	ASSERT_EQ(0, raise_nofile(2 * MAX_SOCKS + 1024));
	ASSERT_EQ(0, pcbg_group_create(&self->grp, 0));
	for (i = 0; i <= MAX_SOCKS; i++) {
		self->fds[i] = make_server(AF_INET, SOCK_DGRAM, SERVER_PORT);
		ASSERT_LE(0, self->fds[i]);
	}
	for (i = 0; i < MAX_SOCKS; i++)
		ASSERT_EQ(i, pcbg_group_place_socket(self->grp, self->fds[i], -1, 0));
	ASSERT_EQ(0, pcbg_group_publish(self->grp));
	ASSERT_EQ(0, pcbg_group_attach(self->grp, self->fds[0]));
	self->ep = watch_servers(self->fds, MAX_SOCKS);
	ASSERT_LE(0, self->ep);
}

FIXTURE_TEARDOWN(big_group)
{
	pcbg_group_free(self->grp);
}

TEST_F_TIMEOUT(big_group, full_group_steers_and_refuses_more, 300)
{
	static long counts[MAX_SOCKS];
	struct pcbg_group_info info;
	struct pcbg_sample samples[256];
	int flows = 4 * MAX_SOCKS, i, ns;
	__u64 stats[PCBG_STAT_NR];
	double chi2, crit;

	EXPECT_EQ(-E2BIG, pcbg_group_add_socket(self->grp, self->fds[MAX_SOCKS], -1, 0));
	ASSERT_EQ(0, pcbg_group_info(self->grp, &info));
	EXPECT_EQ(MAX_SOCKS, info.nr_slots);

	ASSERT_EQ(flows, run_flows(AF_INET, SOCK_DGRAM, SERVER_PORT, self->fds,
				   self->ep, 0, flows, self->receiver));
	for (i = 0; i < flows; i++)
		counts[self->receiver[i]]++;
	EXPECT_TRUE(chi_square_uniform(counts, MAX_SOCKS, flows, &chi2, &crit))
		TH_LOG("chi2 %.1f > %.1f", chi2, crit);
	ASSERT_EQ(0, pcbg_group_stats(self->grp, stats));
	EXPECT_EQ(flows, stats[PCBG_STAT_SELECTED]);

	struct pcbg_config cfg;

	ASSERT_EQ(0, pcbg_group_config(self->grp, &cfg));
	ASSERT_EQ(0, pcbg_group_set_samples(self->grp, 1));
	ASSERT_EQ(64, run_flows(AF_INET, SOCK_DGRAM, SERVER_PORT, self->fds,
				self->ep, flows, 64, self->receiver));
	ns = pcbg_group_samples(self->grp, samples, 256);
	ASSERT_EQ(64, ns);
	for (i = 0; i < ns; i++) {
		EXPECT_EQ(expected_slot(cfg.algorithm, samples[i].hash, cfg.cpu_bits,
					MAX_SOCKS), samples[i].slot);
		EXPECT_EQ(self->receiver[samples[i].sport - CLIENT_PORT_BASE],
			  (int)samples[i].slot);
	}
}

TEST_HARNESS_MAIN
