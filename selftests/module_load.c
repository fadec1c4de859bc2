// SPDX-License-Identifier: GPL-2.0
/*
 * pcbgroup.ko loads and unloads cleanly, twice, with and without live
 * groups, and is never on the packet path: steering goes on after rmmod,
 * and no flow is lost over 10 reloads under load.  After insmod, the
 * command its load message names brings pinned groups back under the
 * sysctls.  Needs PCBG_KO, the path of the module built for the running
 * kernel.
 */
#include "modlib.h"

static int modprobe(const char *verb)
{
	const char *ko = getenv("PCBG_KO");
	char err[512];

	if (!strcmp(verb, "insmod"))
		return run_cmd(NULL, 0, err, sizeof(err), "insmod %s", ko);
	return run_cmd(NULL, 0, err, sizeof(err), "rmmod pcbgroup");
}

static int loaded(void)
{
	return !access(SYSCTL_DIR, F_OK) && !access(PROC_DIR "/groups", F_OK);
}

#define REQUIRE_KO() do { \
	if (!getenv("PCBG_KO") || access(getenv("PCBG_KO"), R_OK)) \
		SKIP(return, "PCBG_KO does not name a built pcbgroup.ko"); \
	REQUIRE_MODULE(); \
} while (0)

TEST(reload_twice_without_groups)
{
	int i;

	REQUIRE_KO();
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, modprobe("rmmod"));
		EXPECT_FALSE(loaded());
		EXPECT_NE(0, access(PROC_DIR, F_OK));
		ASSERT_EQ(0, modprobe("insmod"));
		EXPECT_TRUE(loaded());
	}
}

/* With a live group in another namespace: rmmod, traffic goes on, insmod. */
TEST(reload_twice_with_live_groups)
{
	int fds[4], receiver[256], ep, i, round, id;
	__u64 stats[PCBG_STAT_NR];
	struct pcbg_group *grp;
	struct groups_row row;

	REQUIRE_KO();
	ASSERT_EQ(0, setup_namespaces());
	ASSERT_EQ(0, pcbg_group_create(&grp, 0));
	for (i = 0; i < 4; i++) {
		fds[i] = make_server(AF_INET, SOCK_DGRAM, SERVER_PORT);
		ASSERT_EQ(i, pcbg_group_add_socket(grp, fds[i], -1, 0));
	}
	ASSERT_EQ(0, pcbg_group_attach(grp, fds[0]));
	ep = watch_servers(fds, 4);
	for (round = 0; round < 2; round++) {
		id = pcbg_group_register(grp, 0);
		ASSERT_EQ(1, id);
		ASSERT_EQ(1, groups_rows(&row, 1));
		ASSERT_EQ(0, modprobe("rmmod"));
		EXPECT_FALSE(loaded());
		ASSERT_EQ(0, pcbg_group_reset_stats(grp));
		ASSERT_EQ(64, run_flows(AF_INET, SOCK_DGRAM, SERVER_PORT, fds, ep,
					round * 64, 64, receiver));
		ASSERT_EQ(0, pcbg_group_stats(grp, stats));
		EXPECT_EQ(64, stats[PCBG_STAT_SELECTED]);
		ASSERT_EQ(0, modprobe("insmod"));
		EXPECT_TRUE(loaded());
		EXPECT_EQ(0, groups_rows(&row, 1));
	}
	pcbg_group_free(grp);
}

/*
 * rmmod + insmod orphan the pinned group: the new module's knobs do not
 * reach it until "pcbgroupctl register --all", which the load message
 * names; then they do, in its config and in its traffic.
 */
TEST_F_TIMEOUT(netns, pinned_group_comes_back_after_reload, 180)
{
	char out[512], err[512], log[4096];
	struct pcbg_sample samples[64];
	struct pinned_group pg;
	struct pcbg_config cfg;
	struct groups_row row;
	int receiver[256], n, k;

	REQUIRE_KO();
	ASSERT_EQ(0, make_pinned_group(&pg, AF_INET, SOCK_DGRAM, 1));
	ASSERT_EQ(0, modprobe("rmmod"));
	ASSERT_EQ(0, run_cmd(NULL, 0, NULL, 0, "dmesg -C"));
	ASSERT_EQ(0, modprobe("insmod"));
	ASSERT_EQ(0, run_cmd(log, sizeof(log), NULL, 0, "dmesg"));
	EXPECT_NE(NULL, strstr(log, "pcbgroupctl register --all")) TH_LOG("%s", log);

	/* orphaned: the knob does not reach the group */
	EXPECT_EQ(0, groups_rows(&row, 1));
	ASSERT_EQ(0, knob_write("algorithm", "maglev"));
	ASSERT_EQ(0, pcbg_group_config(pg.grp, &cfg));
	EXPECT_EQ(PCBG_ALGO_HASH_THRESHOLD, cfg.algorithm);

	EXPECT_EQ(0, run_cmd(out, sizeof(out), err, sizeof(err),
			     "%s/pcbgroupctl register --all", build_dir())) TH_LOG("%s", err);
	EXPECT_STREQ("group 1: registered\n", out);
	ASSERT_EQ(1, groups_rows(&row, 1));
	EXPECT_EQ(1, row.id);
	EXPECT_STREQ("maglev", row.algorithm);
	/* twice is harmless */
	EXPECT_EQ(0, run_cmd(out, sizeof(out), err, sizeof(err),
			     "%s/pcbgroupctl register --all", build_dir())) TH_LOG("%s", err);
	EXPECT_STREQ("group 1: registered already\n", out);

	/* the next knob write reaches config and traffic */
	ASSERT_EQ(0, knob_write("algorithm", "modulo"));
	ASSERT_EQ(0, knob_write("cpu_bits", "0"));
	ASSERT_EQ(0, pcbg_group_config(pg.grp, &cfg));
	EXPECT_EQ(PCBG_ALGO_MODULO, cfg.algorithm);
	ASSERT_EQ(0, pcbg_group_set_samples(pg.grp, 1));
	ASSERT_EQ(32, run_flows(AF_INET, SOCK_DGRAM, SERVER_PORT, pg.fds, pg.ep, 0, 32,
				receiver));
	n = pcbg_group_samples(pg.grp, samples, 64);
	ASSERT_EQ(32, n);
	for (k = 0; k < n; k++) {
		EXPECT_EQ(PCBG_ALGO_MODULO, samples[k].algorithm);
		EXPECT_EQ(samples[k].hash % 4, samples[k].slot);
		EXPECT_EQ(receiver[samples[k].sport - CLIENT_PORT_BASE], (int)samples[k].slot);
	}
	pcbg_group_free(pg.grp);
}

#define RELOADS	10
#define BATCH	32
/*
 * Source ports are CLIENT_PORT_BASE + flow, reused after MAX_FLOWS flows; a
 * pause between batches keeps a port's last TCP connection far in the past.
 */
#define MAX_FLOWS 40000

/*
 * 10 rmmod + insmod + register --all in a child while UDP and TCP flows
 * run, in turn, without a pause: every flow reaches a socket, chosen by
 * the program, and both groups are the module's again at the end.
 */
TEST_F_TIMEOUT(netns, reloads_under_load_lose_no_flow, 600)
{
	static const int types[2] = { SOCK_DGRAM, SOCK_STREAM };
	static const char *const names[2] = { "udp", "tcp" };
	int pfd[2], status, sent[2] = {}, got[2] = {}, done = 0, n, t;
	static int receiver[MAX_FLOWS];
	struct pinned_group pg[2];
	__u64 stats[PCBG_STAT_NR];
	struct pcbg_config cfg;
	char err[512];
	pid_t pid;

	REQUIRE_KO();
	for (t = 0; t < 2; t++)
		ASSERT_EQ(0, make_pinned_group(&pg[t], AF_INET, types[t], t + 1));
	ASSERT_EQ(0, pipe(pfd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int i, bad = 0;

		for (i = 0; i < RELOADS && !bad; i++)
			bad = modprobe("rmmod") || modprobe("insmod") ||
			      run_cmd(NULL, 0, err, sizeof(err), "%s/pcbgroupctl register --all",
				      build_dir());
		_exit(bad ? 1 : 0);
	}
	while (!done) {
		done = waitpid(pid, &status, WNOHANG) == pid;
		for (t = 0; t < 2; t++) {
			n = run_flows(AF_INET, types[t], SERVER_PORT, pg[t].fds, pg[t].ep,
				      sent[t] % MAX_FLOWS, BATCH, receiver);
			EXPECT_EQ(BATCH, n) TH_LOG("%s flows %d..%d", names[t], sent[t],
						   sent[t] + BATCH - 1);
			sent[t] += BATCH;
			got[t] += n;
		}
		usleep(20000);
	}
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	ASSERT_EQ(0, knob_write("algorithm", "modulo"));
	for (t = 0; t < 2; t++) {
		TH_LOG("%d reloads: %d %s flows sent, %d received", RELOADS, sent[t], names[t],
		       got[t]);
		EXPECT_EQ(sent[t], got[t]);
		/* by the program: TCP may select twice for one connection (a SYN sent again) */
		ASSERT_EQ(0, pcbg_group_stats(pg[t].grp, stats));
		EXPECT_LE(sent[t], stats[PCBG_STAT_SELECTED]);
		EXPECT_GE(t ? UINT64_MAX : sent[t], stats[PCBG_STAT_SELECTED]);
		/* and the group is the module's again */
		ASSERT_EQ(0, pcbg_group_config(pg[t].grp, &cfg));
		EXPECT_EQ(PCBG_ALGO_MODULO, cfg.algorithm);
		pcbg_group_free(pg[t].grp);
	}
}

TEST_HARNESS_MAIN
