// SPDX-License-Identifier: GPL-2.0
/*
 * Membership changes without loss: sockets keep their slots while others
 * leave and join, a change moves few flows (Maglev) and sends none to the
 * kernel's pick, a drained socket gets no new flow but keeps its
 * connections, and a closing TCP listener's pending connections go to
 * another listener instead of being reset (modelled on the kernel's
 * migrate_reuseport BPF selftest).
 */
#include "lib.h"
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>

#define NSOCKS		8
#define FLOWS		4000

FIXTURE(members) {
	int fds[NSOCKS + 1];
	int ep;
	struct pcbg_group *grp;
	int before[FLOWS];
	int after[FLOWS];
};

FIXTURE_VARIANT(members) {
	const char *algorithm;
};

FIXTURE_VARIANT_ADD(members, maglev) { "maglev" };
FIXTURE_VARIANT_ADD(members, hash_threshold) { "hash-threshold" };

FIXTURE_SETUP(members)
{
	int i;

	ASSERT_EQ(0, setup_namespaces());
	ASSERT_EQ(0, pcbg_group_create(&self->grp, 0));
	for (i = 0; i <= NSOCKS; i++)
		self->fds[i] = make_server(AF_INET, SOCK_DGRAM, SERVER_PORT);
	for (i = 0; i < NSOCKS; i++)
		ASSERT_EQ(i, pcbg_group_place_socket(self->grp, self->fds[i], -1, 0));
	ASSERT_EQ(0, pcbg_group_publish(self->grp));
	set_knob(_metadata, self->grp, "algorithm", variant->algorithm);
	ASSERT_EQ(0, pcbg_group_attach(self->grp, self->fds[0]));
	self->ep = watch_servers(self->fds, NSOCKS + 1);
	ASSERT_LE(0, self->ep);
}

FIXTURE_TEARDOWN(members)
{
	pcbg_group_free(self->grp);
}

/* The same FLOWS 4-tuples every time: a flow's socket can be compared. */
#define SEND_ALL(receiver) \
	run_flows(AF_INET, SOCK_DGRAM, SERVER_PORT, self->fds, self->ep, 0, FLOWS, receiver)

static __u64 fallbacks(struct pcbg_group *grp)
{
	__u64 st[PCBG_STAT_NR];

	return pcbg_group_stats(grp, st) ? ~0ULL : pcbg_fallbacks(st);
}

TEST_F(members, leave_moves_only_the_leavers_flows)
{
	struct pcbg_slot before[NSOCKS], s;
	int i, leaver = 3, moved = 0, others = 0;

	for (i = 0; i < NSOCKS; i++)
		ASSERT_EQ(0, pcbg_group_slot(self->grp, i, &before[i]));
	ASSERT_EQ(FLOWS, SEND_ALL(self->before));
	ASSERT_EQ(0, pcbg_group_remove_socket(self->grp, leaver));
	ASSERT_EQ(FLOWS, SEND_ALL(self->after));

	for (i = 0; i < FLOWS; i++) {
		EXPECT_NE(leaver, self->after[i]);
		if (self->before[i] == leaver)
			continue;
		others++;
		moved += self->before[i] != self->after[i];
	}
	/* the others keep their slots */
	for (i = 0; i < NSOCKS; i++) {
		if (i == leaver)
			continue;
		ASSERT_EQ(0, pcbg_group_slot(self->grp, i, &s));
		EXPECT_EQ(before[i].inode, s.inode);
	}
	EXPECT_EQ(0, fallbacks(self->grp));
	TH_LOG("%s: %d of %d flows not on the leaver moved", variant->algorithm, moved, others);
	if (!strcmp(variant->algorithm, "maglev")) {
		EXPECT_EQ(0, moved);	/* only the leaver's entries change */
	} else {	/* RFC 2992: hash-threshold moves up to half of all flows */
		EXPECT_LE(moved * 2, FLOWS);
	}
}

/*
 * A restarted worker takes its slot back, and with it its flows; the
 * slot's count goes on from its last socket's, so the group's counters
 * never go down (Prometheus would take that for a reset).
 */
TEST_F(members, rejoin_takes_the_slot_and_the_flows_back)
{
	__u64 st[PCBG_STAT_NR], in_slot, in_slot_after;
	int i, changed = 0;

	ASSERT_EQ(FLOWS, SEND_ALL(self->before));
	ASSERT_EQ(0, pcbg_group_slot_selected(self->grp, 5, &in_slot));
	ASSERT_LT(0, in_slot);
	ASSERT_EQ(0, pcbg_group_remove_socket(self->grp, 5));
	close(self->fds[5]);
	self->fds[5] = make_server(AF_INET, SOCK_DGRAM, SERVER_PORT);
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 5 };

	ASSERT_EQ(0, epoll_ctl(self->ep, EPOLL_CTL_ADD, self->fds[5], &ev));
	ASSERT_EQ(5, pcbg_group_add_socket(self->grp, self->fds[5], -1, 0));
	ASSERT_EQ(FLOWS, SEND_ALL(self->after));
	for (i = 0; i < FLOWS; i++)
		changed += self->before[i] != self->after[i];
	EXPECT_EQ(0, changed);
	EXPECT_EQ(0, fallbacks(self->grp));
	ASSERT_EQ(0, pcbg_group_stats(self->grp, st));
	EXPECT_EQ(2 * FLOWS, st[PCBG_STAT_SELECTED]);
	ASSERT_EQ(0, pcbg_group_slot_selected(self->grp, 5, &in_slot_after));
	EXPECT_EQ(2 * in_slot, in_slot_after);
}

/*
 * A new member takes about its share, 1/(N+1), from the others, and with
 * Maglev nothing moves between the others.  The goal, 1.05/(N+1), is on the
 * mean; a sample of FLOWS flows adds binomial noise, allowed for at 4 sigma.
 */
TEST_F(members, join_moves_about_one_share)
{
	double share = (double)FLOWS / (NSOCKS + 1);
	int i, moved = 0, between_others = 0;

	ASSERT_EQ(FLOWS, SEND_ALL(self->before));
	ASSERT_EQ(NSOCKS, pcbg_group_add_socket(self->grp, self->fds[NSOCKS], -1, 0));
	ASSERT_EQ(FLOWS, SEND_ALL(self->after));
	for (i = 0; i < FLOWS; i++) {
		if (self->before[i] == self->after[i])
			continue;
		moved++;
		between_others += self->after[i] != NSOCKS;
	}
	TH_LOG("%s: %d of %d flows moved, %d of them between old members",
	       variant->algorithm, moved, FLOWS, between_others);
	if (!strcmp(variant->algorithm, "maglev")) {
		EXPECT_LE(moved, 1.05 * share + 4 * sqrt(share));
		EXPECT_EQ(0, between_others);
	}
	EXPECT_EQ(0, fallbacks(self->grp));
}

/*
 * Two workers restart one after the other: at the end every flow is where
 * it started, and with Maglev each step moves only the flows of the socket
 * that left or came back.
 */
TEST_F(members, restarts_move_only_the_restarted_flows)
{
	static const struct {
		int slot, leave;
	} steps[] = { { 3, 1 }, { 5, 1 }, { 3, 0 }, { 5, 0 } };
	int *prev = self->before, *cur = self->after, *t, i, k, strays;
	int start[FLOWS], maglev = !strcmp(variant->algorithm, "maglev");

	ASSERT_EQ(FLOWS, SEND_ALL(prev));
	memcpy(start, prev, sizeof(start));
	for (k = 0; k < (int)ARRAY_SIZE(steps); k++) {
		int slot = steps[k].slot, leave = steps[k].leave;

		/* a leave returns 0, a join the slot */
		ASSERT_EQ(leave ? 0 : slot,
			  leave ? pcbg_group_remove_socket(self->grp, slot) :
				  pcbg_group_add_socket(self->grp, self->fds[slot], -1, 0));
		ASSERT_EQ(FLOWS, SEND_ALL(cur));
		/* a flow that moved came from or went to the changed socket */
		for (i = 0, strays = 0; i < FLOWS; i++)
			strays += prev[i] != cur[i] && prev[i] != slot && cur[i] != slot;
		if (maglev)
			EXPECT_EQ(0, strays)
				TH_LOG("step %d: %s slot %d", k, leave ? "leave" : "join", slot);
		t = prev;
		prev = cur;
		cur = t;
	}
	for (i = 0, strays = 0; i < FLOWS; i++)
		strays += start[i] != prev[i];
	EXPECT_EQ(0, strays);
	EXPECT_EQ(0, fallbacks(self->grp));
}

TEST_F(members, drained_socket_gets_no_new_flow)
{
	int i, drained = 2, got = 0;
	struct pcbg_slot s;

	ASSERT_EQ(0, pcbg_group_drain(self->grp, drained, 1));
	ASSERT_EQ(0, pcbg_group_slot(self->grp, drained, &s));
	EXPECT_TRUE(s.flags & PCBG_SLOT_DRAINING);
	ASSERT_EQ(FLOWS, SEND_ALL(self->after));
	for (i = 0; i < FLOWS; i++)
		EXPECT_NE(drained, self->after[i]);
	ASSERT_EQ(0, pcbg_group_drain(self->grp, drained, 0));
	ASSERT_EQ(FLOWS, SEND_ALL(self->after));
	for (i = 0; i < FLOWS; i++)
		got += self->after[i] == drained;
	EXPECT_LT(0, got);
	EXPECT_EQ(-ERANGE, pcbg_group_drain(self->grp, 99, 1));
	EXPECT_EQ(0, fallbacks(self->grp));
}

static __u32 generation(struct pcbg_group *grp)
{
	struct pcbg_group_info info;

	return pcbg_group_info(grp, &info) ? ~0U : info.gen;
}

/*
 * A publish that would change nothing switches nothing: pcbgroupd publishes
 * again when it learns that a member closed, often after a join already
 * left it out, and a switch for nothing would cost the next join a grace
 * period.  A closed member, then a join, still switch; flows keep going
 * to members, none falls back.
 */
TEST_F(members, unchanged_membership_is_not_published_again)
{
	__u32 gen = generation(self->grp), i;

	ASSERT_EQ(0, pcbg_group_publish(self->grp));
	EXPECT_EQ(gen, generation(self->grp));
	ASSERT_EQ(0, pcbg_group_set_cpu(self->grp, 1, 0));	/* a CPU table changes */
	EXPECT_NE(gen, generation(self->grp));
	gen = generation(self->grp);

	close(self->fds[3]);	/* out of the socket array, still listed */
	ASSERT_EQ(0, pcbg_group_publish(self->grp));
	EXPECT_NE(gen, generation(self->grp));
	gen = generation(self->grp);
	ASSERT_EQ(0, pcbg_group_publish(self->grp));
	EXPECT_EQ(gen, generation(self->grp));

	self->fds[3] = make_server(AF_INET, SOCK_DGRAM, SERVER_PORT);
	ASSERT_EQ(3, pcbg_group_add_socket(self->grp, self->fds[3], -1, 0));
	EXPECT_NE(gen, generation(self->grp));
	close(self->ep);
	self->ep = watch_servers(self->fds, NSOCKS + 1);
	ASSERT_LE(0, self->ep);
	ASSERT_EQ(FLOWS, SEND_ALL(self->after));
	for (i = 0; i < FLOWS; i++)
		EXPECT_GE(self->after[i], 0);
	EXPECT_EQ(0, fallbacks(self->grp));
}

/* Senders keep going while members leave and join: nothing is lost and
 * nothing falls back to the kernel's pick.
 */
struct churn {
	struct pcbg_group *grp;
	const int *fds;
	int sent;
	int rounds;
	int err;
	volatile int done;
};

/* Sends a datagram from a new port at a time until the changes are done. */
static void *send_and_change(void *arg)
{
	struct churn *c = arg;
	struct sockaddr_storage dst;
	socklen_t dlen = make_addr(&dst, AF_INET, SERVER_PORT);
	int fd, i;

	for (c->rounds = 0; c->rounds < 20 && !c->err; c->rounds++) {
		int slot = 1 + c->rounds % (NSOCKS - 1);

		for (i = 0; i < 500; i++) {
			fd = socket(AF_INET, SOCK_DGRAM, 0);
			if (fd < 0)
				break;
			if (sendto(fd, "x", 1, 0, (struct sockaddr *)&dst, dlen) == 1)
				c->sent++;
			close(fd);
			if (i == 100)
				c->err = pcbg_group_remove_socket(c->grp, slot);
			if (i == 300 && !c->err &&
			    pcbg_group_add_socket(c->grp, c->fds[slot], -1, 0) != slot)
				c->err = -1;
		}
	}
	c->done = 1;
	return NULL;
}

TEST_F_TIMEOUT(members, changes_under_load_lose_nothing, 120)
{
	struct churn c = { .grp = self->grp, .fds = self->fds };
	int got = 0, n, e, idle = 0, rcvbuf = 16 << 20;
	struct epoll_event evs[16];
	pthread_t thread;
	char buf[16];

	/* room for every datagram: a receiver starved on a busy machine loses none */
	for (n = 0; n <= NSOCKS; n++)
		ASSERT_EQ(0, setsockopt(self->fds[n], SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
					sizeof(rcvbuf)));
	ASSERT_EQ(0, pthread_create(&thread, NULL, send_and_change, &c));
	while (!c.done || idle < 3) {
		n = epoll_wait(self->ep, evs, 16, 100);
		if (n <= 0) {
			idle += c.done;
			continue;
		}
		for (e = 0; e < n; e++)
			while (recv(self->fds[evs[e].data.u32], buf, sizeof(buf), MSG_DONTWAIT) > 0)
				got++;
	}
	pthread_join(thread, NULL);
	ASSERT_EQ(0, c.err);
	TH_LOG("%d datagrams sent during %d leave/join rounds, %d received", c.sent, c.rounds,
	       got);
	EXPECT_EQ(20 * 500, c.sent);
	EXPECT_EQ(c.sent, got);
	EXPECT_EQ(0, fallbacks(self->grp));
}

/*
 * Listener migration: four listeners, connections queued on each (accepted
 * queue) or half open (TCP_DEFER_ACCEPT keeps them in SYN_RECV until data
 * comes), then listener 0 closes.
 */
#define LISTENERS	4
#define CONNS		64

FIXTURE(migration) {
	int lfd[LISTENERS];
	int cfd[CONNS];
	struct pcbg_group *grp;
};

FIXTURE_VARIANT(migration) {
	int defer_accept;	/* connections wait in SYN_RECV */
	int migrate;
};

FIXTURE_VARIANT_ADD(migration, accept_queue) { 0, 1 };
FIXTURE_VARIANT_ADD(migration, syn_recv) { 1, 1 };
FIXTURE_VARIANT_ADD(migration, accept_queue_no_migrate) { 0, 0 };

FIXTURE_SETUP(migration)
{
	int i, defer = 30;

	ASSERT_EQ(0, setup_namespaces());
	ASSERT_EQ(0, pcbg_group_create(&self->grp, 0));
	for (i = 0; i < LISTENERS; i++) {
		self->lfd[i] = make_server(AF_INET, SOCK_STREAM, SERVER_PORT);
		ASSERT_LE(0, self->lfd[i]);
		if (variant->defer_accept)
			ASSERT_EQ(0, setsockopt(self->lfd[i], IPPROTO_TCP, TCP_DEFER_ACCEPT,
						&defer, sizeof(defer)));
		ASSERT_EQ(i, pcbg_group_place_socket(self->grp, self->lfd[i], -1, 0));
	}
	ASSERT_EQ(0, pcbg_group_publish(self->grp));
	set_knob(_metadata, self->grp, "migrate", variant->migrate ? "1" : "0");
	ASSERT_EQ(0, pcbg_group_attach(self->grp, self->lfd[0]));
}

FIXTURE_TEARDOWN(migration)
{
	pcbg_group_free(self->grp);
}

/* Accept all that is queued on the listeners; returns how many. */
static int accept_all(const int *lfd, int n, int *accepted, int max)
{
	int i, c, got = 0, rounds;

	for (rounds = 0; rounds < 20 && got < max; rounds++) {
		for (i = 0; i < n; i++) {
			if (lfd[i] < 0)
				continue;
			while (got < max && (c = accept(lfd[i], NULL, NULL)) >= 0)
				accepted[got++] = c;
		}
		if (got < max)
			usleep(50000);
	}
	return got;
}

TEST_F_TIMEOUT(migration, closing_listener_hands_over_its_connections, 60)
{
	int i, accepted[CONNS], got, ok = 0, reset = 0;
	__u64 st[PCBG_STAT_NR], queued_on_0;
	char buf[8];

	for (i = 0; i < CONNS; i++) {
		self->cfd[i] = send_flow(AF_INET, SOCK_STREAM, CLIENT_PORT_BASE + i,
					 SERVER_PORT);
		ASSERT_LE(0, self->cfd[i]);
		if (!variant->defer_accept)
			ASSERT_EQ(1, send(self->cfd[i], "q", 1, 0));
	}
	ASSERT_EQ(0, pcbg_group_stats(self->grp, st));
	ASSERT_EQ(CONNS, st[PCBG_STAT_SELECTED]);
	ASSERT_EQ(0, pcbg_group_slot_selected(self->grp, 0, &queued_on_0));
	ASSERT_LT(0, queued_on_0);

	close(self->lfd[0]);
	self->lfd[0] = -1;
	if (variant->defer_accept)	/* now the data completes the handshakes */
		for (i = 0; i < CONNS; i++)
			ASSERT_EQ(1, send(self->cfd[i], "q", 1, 0));

	got = accept_all(self->lfd, LISTENERS, accepted, CONNS);
	for (i = 0; i < got; i++) {
		send(accepted[i], "ok", 2, MSG_NOSIGNAL);
		close(accepted[i]);
	}
	for (i = 0; i < CONNS; i++) {
		struct pollfd pfd = { .fd = self->cfd[i], .events = POLLIN };
		int n = poll(&pfd, 1, 1000) > 0 ? recv(self->cfd[i], buf, sizeof(buf), 0) : 0;

		if (n == 2)
			ok++;
		else if (n < 0 && errno == ECONNRESET)
			reset++;
	}
	ASSERT_EQ(0, pcbg_group_stats(self->grp, st));
	TH_LOG("%d connections, %llu on the closed listener: %d accepted, %d answered, "
	       "%d reset, migrated %llu, refused %llu", CONNS,
	       (unsigned long long)queued_on_0, got, ok, reset,
	       (unsigned long long)st[PCBG_STAT_MIGRATED],
	       (unsigned long long)st[PCBG_STAT_MIGRATE_REFUSED]);
	if (variant->migrate) {
		EXPECT_EQ(CONNS, got);
		EXPECT_EQ(CONNS, ok);
		EXPECT_EQ(0, reset);
		EXPECT_EQ(queued_on_0, st[PCBG_STAT_MIGRATED]);
	} else {
		EXPECT_EQ(CONNS - queued_on_0, got);
		EXPECT_EQ(queued_on_0, reset);
		EXPECT_EQ(queued_on_0, st[PCBG_STAT_MIGRATE_REFUSED]);
	}
}

TEST_HARNESS_MAIN
