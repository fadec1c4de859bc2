// SPDX-License-Identifier: GPL-2.0
/*
 * FreeBSD's PCBGROUP on Linux: with algorithm cpu a packet handled on CPU c
 * goes to a socket of CPU c's table.  Modelled on the kernel's
 * tools/testing/selftests/net/reuseport_bpf_cpu.c: one socket per CPU, the
 * sender pinned to each CPU in turn (loopback handles a packet on the CPU
 * that sent it), every datagram and connection must land on that CPU's
 * socket.  Then a CPU loses its socket, sockets are pinned and rebalanced,
 * and the 2-tuple hash keeps two hosts on one socket.
 */
#include "lib.h"

#define MAX_CPUS	64

FIXTURE(percpu) {
	int fds[2 * MAX_CPUS];
	int n;
	int ncpus;
	int ep;
	struct pcbg_group *grp;
	int receiver[4096];
};

FIXTURE_VARIANT(percpu) {
	int family;
	int type;
};

FIXTURE_VARIANT_ADD(percpu, udp4) { AF_INET, SOCK_DGRAM };
FIXTURE_VARIANT_ADD(percpu, udp6) { AF_INET6, SOCK_DGRAM };
FIXTURE_VARIANT_ADD(percpu, tcp4) { AF_INET, SOCK_STREAM };
FIXTURE_VARIANT_ADD(percpu, tcp6) { AF_INET6, SOCK_STREAM };

/* One socket per online CPU, socket i in CPU i's table. */
FIXTURE_SETUP(percpu)
{
	int i;

	ASSERT_EQ(0, setup_namespaces());
	self->ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	ASSERT_GE(MAX_CPUS, self->ncpus);
	ASSERT_EQ(self->ncpus, sysconf(_SC_NPROCESSORS_CONF))
		TH_LOG("the test wants CPUs 0..n-1 online");
	ASSERT_EQ(0, pcbg_group_create(&self->grp, 0));
	self->n = self->ncpus;
	for (i = 0; i < self->n; i++) {
		self->fds[i] = make_server(variant->family, variant->type, SERVER_PORT);
		ASSERT_LE(0, self->fds[i]);
		ASSERT_EQ(i, pcbg_group_add_socket(self->grp, self->fds[i], i, 0));
	}
	set_knob(_metadata, self->grp, "algorithm", "cpu");
	ASSERT_EQ(0, pcbg_group_attach(self->grp, self->fds[0]));
	self->ep = watch_servers(self->fds, self->n);
	ASSERT_LE(0, self->ep);
}

FIXTURE_TEARDOWN(percpu)
{
	pcbg_group_free(self->grp);
}

/* Send flows [first, first + count) from CPU @cpu; how many arrived. */
#define FLOWS_FROM_CPU(cpu, first, count) \
	(pin_to_cpu(cpu) ? -1 : run_flows(variant->family, variant->type, SERVER_PORT, \
					  self->fds, self->ep, first, count, self->receiver))

TEST_F(percpu, every_flow_lands_on_the_senders_cpu_socket)
{
	__u64 st[PCBG_STAT_NR];
	int cpu, i, per = 32;
	__u32 slots[4];

	for (cpu = 0; cpu < self->ncpus; cpu++) {
		ASSERT_EQ(1, pcbg_group_cpu_table(self->grp, cpu, slots, 4));
		EXPECT_EQ(cpu, slots[0]);
		ASSERT_EQ(per, FLOWS_FROM_CPU(cpu, cpu * per, per));
		for (i = cpu * per; i < (cpu + 1) * per; i++)
			EXPECT_EQ(cpu, self->receiver[i]) TH_LOG("flow %d from CPU %d", i, cpu);
	}
	for (cpu = 0; cpu < self->ncpus; cpu++) {
		ASSERT_EQ(0, pcbg_group_cpu_stats(self->grp, cpu, st));
		EXPECT_EQ(per, st[PCBG_STAT_CPU_LOCAL]) TH_LOG("CPU %d", cpu);
		EXPECT_EQ(0, st[PCBG_STAT_CPU_MISS]);
		EXPECT_EQ(per, st[PCBG_STAT_SELECTED]);
	}
}

/* A CPU whose table is emptied, or whose socket closed, falls back to the
 * whole group: nothing is lost and each flow counts as a miss.
 */
TEST_F(percpu, cpu_without_socket_falls_back_and_counts_misses)
{
	int last = self->ncpus - 1, per = 40, i, way;
	__u64 st[PCBG_STAT_NR];

	for (way = 0; way < 2; way++) {
		if (way == 0) {
			ASSERT_EQ(0, pcbg_group_set_cpu(self->grp, last, -1));
			ASSERT_EQ(0, pcbg_group_cpu_table(self->grp, last, NULL, 0));
		} else {
			/* the socket itself goes; its slot stays in the table */
			ASSERT_EQ(0, pcbg_group_set_cpu(self->grp, last, last));
			close(self->fds[last]);
			self->fds[last] = -1;
		}
		ASSERT_EQ(0, pcbg_group_reset_stats(self->grp));
		ASSERT_EQ(per, FLOWS_FROM_CPU(last, way * per, per));
		ASSERT_EQ(0, pcbg_group_cpu_stats(self->grp, last, st));
		EXPECT_EQ(0, st[PCBG_STAT_CPU_LOCAL]);
		EXPECT_EQ(per, st[PCBG_STAT_CPU_MISS]);
		for (i = way * per; way && i < (way + 1) * per; i++)
			EXPECT_NE(last, self->receiver[i]);
	}
}

TEST_F(percpu, pin_moves_the_next_flow)
{
	int per = 32, i, from;
	__u64 st[PCBG_STAT_NR];
	__u32 slots[4];

	if (self->ncpus < 2)
		SKIP(return, "needs two CPUs");
	/* socket 0 to CPU 1: CPU 1 has sockets 0 and 1, CPU 0 none */
	ASSERT_EQ(0, pcbg_group_set_cpu(self->grp, 0, 1));
	ASSERT_EQ(2, pcbg_group_cpu_table(self->grp, 1, slots, 4));
	ASSERT_EQ(0, pcbg_group_cpu_table(self->grp, 0, slots, 4));
	ASSERT_EQ(per, FLOWS_FROM_CPU(1, 0, per));
	for (i = 0; i < per; i++)
		EXPECT_TRUE(self->receiver[i] == 0 || self->receiver[i] == 1);
	ASSERT_EQ(per, FLOWS_FROM_CPU(0, per, per));
	ASSERT_EQ(0, pcbg_group_cpu_stats(self->grp, 0, st));
	EXPECT_EQ(per, st[PCBG_STAT_CPU_MISS]);
	ASSERT_EQ(0, pcbg_group_cpu_stats(self->grp, 1, st));
	EXPECT_EQ(per, st[PCBG_STAT_CPU_LOCAL]);

	/* and back: the very next flows from CPU 0 are local again */
	ASSERT_EQ(0, pcbg_group_set_cpu(self->grp, 0, 0));
	from = 2 * per;
	ASSERT_EQ(per, FLOWS_FROM_CPU(0, from, per));
	for (i = from; i < from + per; i++)
		EXPECT_EQ(0, self->receiver[i]);

	/* bad CPUs and slots are refused and change nothing */
	EXPECT_EQ(-EINVAL, pcbg_group_set_cpu(self->grp, 0, MAX_CPUS * 64));
	EXPECT_EQ(-EINVAL, pcbg_group_set_cpu(self->grp, 0, -2));
	EXPECT_EQ(-ERANGE, pcbg_group_set_cpu(self->grp, self->n, 0));
	ASSERT_EQ(1, pcbg_group_cpu_table(self->grp, 0, slots, 4));
	EXPECT_EQ(0, slots[0]);
}

TEST_F(percpu, rebalance_spreads_sockets_without_a_cpu)
{
	int extra = self->ncpus, i, cpu, per = 32, k;
	struct pcbg_slot s;
	__u32 slots[8];

	/* as many sockets again, none with a CPU: rebalance gives each CPU one */
	for (i = self->n; i < self->n + extra; i++) {
		self->fds[i] = make_server(variant->family, variant->type, SERVER_PORT);
		ASSERT_EQ(i, pcbg_group_add_socket(self->grp, self->fds[i], -1, 0));
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = i };

		ASSERT_EQ(0, epoll_ctl(self->ep, EPOLL_CTL_ADD, self->fds[i], &ev));
	}
	self->n += extra;
	EXPECT_EQ(extra, pcbg_group_rebalance(self->grp));
	EXPECT_EQ(0, pcbg_group_rebalance(self->grp));
	for (cpu = 0; cpu < self->ncpus; cpu++) {
		ASSERT_EQ(2, pcbg_group_cpu_table(self->grp, cpu, slots, 8)) TH_LOG("CPU %d", cpu);
		ASSERT_EQ(per, FLOWS_FROM_CPU(cpu, cpu * per, per));
		for (k = cpu * per; k < (cpu + 1) * per; k++) {
			ASSERT_EQ(0, pcbg_group_slot(self->grp, self->receiver[k], &s));
			EXPECT_EQ(cpu, s.cpu);
		}
	}
}

/* 2tuple: every flow between two hosts goes to one socket; 4tuple spreads. */
FIXTURE(hashfields) {
	int fds[8];
	int ep;
	struct pcbg_group *grp;
	int receiver[1024];
};

FIXTURE_SETUP(hashfields)
{
	int i;

	ASSERT_EQ(0, setup_namespaces());
	ASSERT_EQ(0, pcbg_group_create(&self->grp, 0));
	for (i = 0; i < 8; i++) {
		self->fds[i] = make_server(AF_INET, SOCK_DGRAM, SERVER_PORT);
		ASSERT_EQ(i, pcbg_group_add_socket(self->grp, self->fds[i], -1, 0));
	}
	ASSERT_EQ(0, pcbg_group_attach(self->grp, self->fds[0]));
	self->ep = watch_servers(self->fds, 8);
}

FIXTURE_TEARDOWN(hashfields)
{
	pcbg_group_free(self->grp);
}

/* Flows from 127.0.0.@host, each from its own port; returns the set of
 * the 8 sockets in @fds that got them, as a bit mask.
 */
static int flows_from_host(const int *fds, int host, int first, int count)
{
	int i, k, mask = 0, cfd, sport;

	for (i = first; i < first + count; i++) {
		cfd = send_flow_from(AF_INET, SOCK_DGRAM, host, CLIENT_PORT_BASE + i, SERVER_PORT);
		for (k = 0; k < 8; k++) {
			sport = take_one(fds[k], SOCK_DGRAM);
			if (sport == CLIENT_PORT_BASE + i)
				mask |= 1 << k;
		}
		if (cfd >= 0)
			close(cfd);
	}
	return mask;
}

TEST_F(hashfields, two_tuple_keeps_a_host_pair_on_one_socket)
{
	int host, mask, all = 0;

	set_knob(_metadata, self->grp, "hash_fields", "4tuple");
	mask = flows_from_host(self->fds, 1, 0, 64);
	EXPECT_LE(4, __builtin_popcount(mask)) TH_LOG("4tuple reached %#x", mask);

	set_knob(_metadata, self->grp, "hash_fields", "2tuple");
	for (host = 1; host <= 16; host++) {
		mask = flows_from_host(self->fds, host, 64 + host * 32, 32);
		EXPECT_EQ(1, __builtin_popcount(mask)) TH_LOG("host %d reached %#x", host, mask);
		all |= mask;
	}
	/* 16 hosts over 8 sockets: they do not all share one */
	EXPECT_LE(3, __builtin_popcount(all)) TH_LOG("hosts reached %#x", all);
}

TEST_F(hashfields, bad_value_is_refused)
{
	struct pcbg_config cfg, after;

	ASSERT_EQ(0, pcbg_group_config(self->grp, &cfg));
	EXPECT_EQ(PCBG_HASH_4TUPLE, cfg.hash_fields);
	EXPECT_EQ(-EINVAL, pcbg_config_set_knob(&cfg, "hash_fields", "3tuple"));
	cfg.hash_fields = PCBG_HASH_NR;
	EXPECT_EQ(-EINVAL, pcbg_group_set_config(self->grp, &cfg));
	ASSERT_EQ(0, pcbg_group_config(self->grp, &after));
	EXPECT_EQ(PCBG_HASH_4TUPLE, after.hash_fields);
}

TEST_HARNESS_MAIN
