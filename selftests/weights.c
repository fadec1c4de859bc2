// SPDX-License-Identifier: GPL-2.0
/*
 * Weights on real sockets: the share of new flows each socket gets follows
 * its weight (within the statistical floor of the flows sent), a weight of 0
 * gets no new flow, on Maglev a weight change moves only flows to or from
 * the socket weighed, and pcbgroupctl weight refuses bad input, changing
 * nothing, and shows what it set.
 */
#include "lib.h"

#define NSOCKS		4
#define FLOWS		4000
#define OUT_SZ		65536

FIXTURE(weighted) {
	int fds[NSOCKS];
	int ep;
	struct pcbg_group *grp;
	int before[FLOWS];
	int after[FLOWS];
};

FIXTURE_VARIANT(weighted) {
	const char *algorithm;
	int type;
};

FIXTURE_VARIANT_ADD(weighted, udp_hash_threshold) { "hash-threshold", SOCK_DGRAM };
FIXTURE_VARIANT_ADD(weighted, udp_modulo) { "modulo", SOCK_DGRAM };
FIXTURE_VARIANT_ADD(weighted, udp_maglev) { "maglev", SOCK_DGRAM };
FIXTURE_VARIANT_ADD(weighted, tcp_maglev) { "maglev", SOCK_STREAM };

FIXTURE_SETUP(weighted)
{
	int i;

	ASSERT_EQ(0, setup_namespaces());
	ASSERT_EQ(0, pcbg_group_create(&self->grp, 0));
	for (i = 0; i < NSOCKS; i++) {
		self->fds[i] = make_server(AF_INET, variant->type, SERVER_PORT);
		ASSERT_LE(0, self->fds[i]);
		ASSERT_EQ(i, pcbg_group_place_socket(self->grp, self->fds[i], -1, 0));
	}
	ASSERT_EQ(0, pcbg_group_publish(self->grp));
	set_knob(_metadata, self->grp, "algorithm", variant->algorithm);
	ASSERT_EQ(0, pcbg_group_attach(self->grp, self->fds[0]));
	self->ep = watch_servers(self->fds, NSOCKS);
	ASSERT_LE(0, self->ep);
}

FIXTURE_TEARDOWN(weighted)
{
	pcbg_group_free(self->grp);
}

/* The same FLOWS 4-tuples every time: a flow's socket can be compared. */
#define SEND_ALL(receiver) \
	run_flows(AF_INET, variant->type, SERVER_PORT, self->fds, self->ep, 0, FLOWS, \
		  receiver)

static __u64 fallbacks(struct pcbg_group *grp)
{
	__u64 st[PCBG_STAT_NR];

	return pcbg_group_stats(grp, st) ? ~0ULL : pcbg_fallbacks(st);
}

/*
 * How far a count of @total flows may be from its expected share @p: 4.5
 * standard deviations of the binomial (a fair spread fails about once in
 * 150,000 checks), plus two table entries of rounding (1/M each).
 */
static double allowed(double p, int total, __u32 m)
{
	return 4.5 * sqrt(total * p * (1 - p)) + 2.0 * total / m + 1;
}

static __u32 table_size(struct pcbg_group *grp)
{
	struct pcbg_group_info info;

	return pcbg_group_info(grp, &info) ? 1 : info.maglev_size[info.gen & 1];
}

TEST_F(weighted, each_socket_gets_its_weights_share)
{
	static const __u32 w[NSOCKS] = { 100, 300, 50, 0 };
	int got[NSOCKS] = {}, i;
	double total = 0;

	for (i = 0; i < NSOCKS; i++) {
		ASSERT_EQ(0, pcbg_group_set_weight(self->grp, i, w[i]));
		total += w[i];
	}
	ASSERT_EQ(FLOWS, SEND_ALL(self->after));
	for (i = 0; i < FLOWS; i++)
		got[self->after[i]]++;
	for (i = 0; i < NSOCKS; i++) {
		double p = w[i] / total, want = p * FLOWS;

		TH_LOG("%s: weight %u: %d of %d flows, %.0f expected", variant->algorithm,
		       w[i], got[i], FLOWS, want);
		EXPECT_GE(allowed(p, FLOWS, table_size(self->grp)), fabs(got[i] - want));
	}
	EXPECT_EQ(0, got[3]);
	EXPECT_EQ(0, fallbacks(self->grp));
}

TEST_F(weighted, weight_zero_gets_no_new_flow_and_comes_back)
{
	struct pcbg_slot s;
	int got = 0, i;

	ASSERT_EQ(0, pcbg_group_set_weight(self->grp, 1, 0));
	ASSERT_EQ(0, pcbg_group_slot(self->grp, 1, &s));
	EXPECT_TRUE(s.flags & PCBG_SLOT_USED);	/* still in the group */
	ASSERT_EQ(FLOWS, SEND_ALL(self->after));
	for (i = 0; i < FLOWS; i++)
		got += self->after[i] == 1;
	EXPECT_EQ(0, got);

	ASSERT_EQ(0, pcbg_group_set_weight(self->grp, 1, PCBG_WEIGHT_DEFAULT));
	ASSERT_EQ(FLOWS, SEND_ALL(self->after));
	for (i = 0, got = 0; i < FLOWS; i++)
		got += self->after[i] == 1;
	EXPECT_GE(allowed(0.25, FLOWS, table_size(self->grp)), fabs(got - FLOWS / 4.0));
	EXPECT_EQ(0, fallbacks(self->grp));
}

/*
 * Maglev: slot 2 weighed up, then down to a canary's share, then back:
 * every flow that moves comes from or goes to slot 2, and about its change
 * of share moves.
 */
TEST_F(weighted, maglev_weight_change_moves_only_the_changed_share)
{
	static const __u32 steps[] = { 300, 5, 0, PCBG_WEIGHT_DEFAULT };
	int *prev = self->before, *cur = self->after, *t, i, k, strays, moved;
	double p_old = 0.25, p_new;

	if (strcmp(variant->algorithm, "maglev"))
		SKIP(return, "only Maglev keeps the other flows where they are");
	ASSERT_EQ(FLOWS, SEND_ALL(prev));
	for (k = 0; k < (int)ARRAY_SIZE(steps); k++) {
		ASSERT_EQ(0, pcbg_group_set_weight(self->grp, 2, steps[k]));
		ASSERT_EQ(FLOWS, SEND_ALL(cur));
		for (i = 0, strays = 0, moved = 0; i < FLOWS; i++) {
			moved += prev[i] != cur[i];
			strays += prev[i] != cur[i] && prev[i] != 2 && cur[i] != 2;
		}
		p_new = steps[k] / (steps[k] + 300.0);
		TH_LOG("weight %u: %d of %d flows moved, %d of them between other slots",
		       steps[k], moved, FLOWS, strays);
		EXPECT_EQ(0, strays);
		EXPECT_GE(allowed(fabs(p_new - p_old), FLOWS, table_size(self->grp)),
			  fabs(moved - fabs(p_new - p_old) * FLOWS));
		p_old = p_new;
		t = prev;
		prev = cur;
		cur = t;
	}
	EXPECT_EQ(0, fallbacks(self->grp));
}

/*
 * The weight column of slot @slot of group 1 in show's table, whose columns
 * begin as /proc/net/pcbgroup/sockets's: "group slot inode cpu selected
 * weight"; -1 if not there.
 */
static int shown_weight(const char *out, unsigned int slot)
{
	const char *p = strstr(out, "selected weight"), *line;
	unsigned int g, sl, w;
	unsigned long long inode, sel;
	int cpu;

	for (line = p ? strchr(p, '\n') : NULL; line; line = strchr(line + 1, '\n'))
		if (sscanf(line + 1, "%u %u %llu %d %llu %u", &g, &sl, &inode, &cpu, &sel,
			   &w) == 6 && g == 1 && sl == slot)
			return w;
	return -1;
}

/* pcbgroupctl weight on a server it adopted: bad input changes nothing. */
TEST(pcbgroupctl_weight_refuses_bad_input_and_shows_weights)
{
	static const struct {
		const char *args;
		int status;
		const char *says;
	} bad[] = {
		{ "1 0 10001", 2, "'10001': not a weight (0-10000)" },
		{ "1 0 -1", 2, "'-1': not a weight (0-10000)" },
		{ "1 0 5x", 2, "'5x': not a weight (0-10000)" },
		{ "1 0 ''", 2, "'': not a weight (0-10000)" },
		{ "1 x 5", 2, "'x': not a slot number" },
		{ "1 9 5", 1, "group 1: no socket in slot 9" },
		{ "7 0 5", 1, "group 7" },
		{ "1 0", 2, "GROUP SLOT WEIGHT are required" },
	};
	char out[OUT_SZ], err[4096];
	int port = 0, server_out, i;
	pid_t server;

	ASSERT_EQ(0, setup_namespaces());
	server = start_echo_server("", &port, &server_out, "-t udp -w 2 -p 0");
	ASSERT_LT(0, server);
	ASSERT_EQ(0, run_cmd(out, sizeof(out), err, sizeof(err),
			     "%s/pcbgroupctl attach --pid %d", build_dir(), server))
		TH_LOG("%s", err);
	for (i = 0; i < (int)ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(bad[i].status, run_cmd(out, sizeof(out), err, sizeof(err),
						 "%s/pcbgroupctl weight %s", build_dir(),
						 bad[i].args)) TH_LOG("weight %s", bad[i].args);
		EXPECT_NE(NULL, strstr(err, bad[i].says)) TH_LOG("weight %s: %s", bad[i].args, err);
		EXPECT_EQ(NULL, strchr(err, '\n') == strrchr(err, '\n') ? NULL : err)
			TH_LOG("more than one line: %s", err);
	}
	ASSERT_EQ(0, run_cmd(out, sizeof(out), NULL, 0, "%s/pcbgroupctl show -j", build_dir()));
	EXPECT_EQ(NULL, strstr(out, "\"weight\":10000")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"weight\":100,")) TH_LOG("%s", out);

	ASSERT_EQ(0, run_cmd(out, sizeof(out), err, sizeof(err), "%s/pcbgroupctl weight 1 1 7",
			     build_dir())) TH_LOG("%s", err);
	ASSERT_EQ(0, run_cmd(out, sizeof(out), NULL, 0, "%s/pcbgroupctl show -j", build_dir()));
	EXPECT_NE(NULL, strstr(out, "{\"slot\":1,")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, "\"weight\":7,")) TH_LOG("%s", out);
	ASSERT_EQ(0, run_cmd(out, sizeof(out), NULL, 0, "%s/pcbgroupctl show", build_dir()));
	EXPECT_EQ(7, shown_weight(out, 1)) TH_LOG("%s", out);
	EXPECT_EQ(PCBG_WEIGHT_DEFAULT, shown_weight(out, 0)) TH_LOG("%s", out);
	ASSERT_EQ(0, run_cmd(out, sizeof(out), NULL, 0, "%s/pcbgroupctl show --prometheus",
			     build_dir()));
	EXPECT_NE(NULL, strstr(out, "# TYPE pcbgroup_weight gauge")) TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, ",slot=\"1\"} 7\n")) TH_LOG("%s", out);
	kill_echo_server(server, server_out);
}

TEST_HARNESS_MAIN
