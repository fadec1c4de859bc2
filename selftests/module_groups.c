// SPDX-License-Identifier: GPL-2.0
/*
 * Groups registered with pcbgroup.ko: the namespace's knobs reach the
 * program at once, a sysctl write steers the next flow, /proc/net/pcbgroup
 * shows what the sockets received, each namespace sees only its own groups,
 * and wrong maps are refused.
 */
#include "modlib.h"
#include "knobs.h"

#define NSOCKS	4

FIXTURE(modgroup) {
	int fds[NSOCKS];
	int ep;
	int id;
	struct pcbg_group *grp;
	int receiver[4096];
};

FIXTURE_VARIANT(modgroup) {
	int family;
	int type;
	const char *local;
};

FIXTURE_VARIANT_ADD(modgroup, udp4) { AF_INET, SOCK_DGRAM, "127.0.0.1:8080" };
FIXTURE_VARIANT_ADD(modgroup, tcp6) { AF_INET6, SOCK_STREAM, "[::1]:8080" };

FIXTURE_SETUP(modgroup)
{
	int i;

	ASSERT_EQ(0, setup_namespaces());
	if (access(SYSCTL_DIR, F_OK))
		return;
	ASSERT_EQ(0, pcbg_group_create(&self->grp, 0));
	for (i = 0; i < NSOCKS; i++) {
		self->fds[i] = make_server(variant->family, variant->type, SERVER_PORT);
		ASSERT_LE(0, self->fds[i]);
		ASSERT_EQ(i, pcbg_group_add_socket(self->grp, self->fds[i], -1, 0));
	}
	self->id = pcbg_group_register(self->grp, 0);
	ASSERT_EQ(1, self->id);
	ASSERT_EQ(0, pcbg_group_attach(self->grp, self->fds[0]));
	self->ep = watch_servers(self->fds, NSOCKS);
	ASSERT_LE(0, self->ep);
}

FIXTURE_TEARDOWN(modgroup)
{
	pcbg_group_free(self->grp);
}

#define FLOWS(first, n) \
	run_flows(variant->family, variant->type, SERVER_PORT, self->fds, self->ep, \
		  first, n, self->receiver)

/* Each knob's write reaches the config at once (of the table: knobs.h). */
TEST_F(modgroup, knob_writes_reach_the_config_at_once)
{
	struct pcbg_group_info info;
	struct pcbg_config cfg;
	char d[16];
	size_t i;

	REQUIRE_MODULE();
	for (i = 0; i < KNOBS_NR; i++) {
		const struct knob *k = &knobs[i];
		int v = k->def == k->max ? k->min : k->max;	/* not the default */

		ASSERT_EQ(0, knob_write(k->name, knob_value(k, v, d, sizeof(d))));
		ASSERT_EQ(0, pcbg_group_config(self->grp, &cfg));
		EXPECT_EQ(v, (int)*(__u32 *)((char *)&cfg + k->offset)) TH_LOG("%s", k->name);
	}

	/* -1 is auto: the config holds the effective value */
	ASSERT_EQ(0, knob_write("cpu_bits", "-1"));
	ASSERT_EQ(0, pcbg_group_config(self->grp, &cfg));
	EXPECT_EQ(pcbg_cpu_bits_auto(), (int)cfg.cpu_bits);

	/* a refused write changes nothing: the last algorithm written stays */
	EXPECT_EQ(-EINVAL, knob_write("algorithm", "random"));
	ASSERT_EQ(0, pcbg_group_config(self->grp, &cfg));
	EXPECT_EQ(PCBG_ALGO_NR - 1, cfg.algorithm);
	ASSERT_EQ(0, pcbg_group_info(self->grp, &info));
	EXPECT_NE(0, info.hash_seed);	/* the tools' seed, in the tools' map */
}

/* sysctl -w, then the very next flows follow the new choice. */
TEST_F_TIMEOUT(modgroup, sysctl_steers_the_next_flow, 120)
{
	static const char *const algos[] = { "modulo", "hash-threshold" };
	const char *ext = variant->type == SOCK_STREAM ? "tcp_reuseport_ext" :
							 "udp_reuseport_ext";
	struct pcbg_sample samples[128];
	struct groups_row row;
	int a, k, ns, first = 0;
	__u64 stats[PCBG_STAT_NR];

	REQUIRE_MODULE();
	ASSERT_EQ(0, pcbg_group_set_samples(self->grp, 1));
	ASSERT_EQ(0, knob_write("cpu_bits", "0"));
	for (a = 0; a < 2; a++) {
		ASSERT_EQ(0, knob_write("algorithm", algos[a]));
		ASSERT_EQ(0, pcbg_group_reset_stats(self->grp));
		ASSERT_EQ(32, FLOWS(first, 32));
		ns = pcbg_group_samples(self->grp, samples, 128);
		ASSERT_EQ(32, ns);
		for (k = 0; k < ns; k++) {
			__u32 algo = a == 0 ? PCBG_ALGO_MODULO : PCBG_ALGO_HASH_THRESHOLD;

			EXPECT_EQ(algo, samples[k].algorithm);
			EXPECT_EQ(expected_slot(algo, samples[k].hash, 0, NSOCKS),
				  samples[k].slot);
			EXPECT_EQ(self->receiver[samples[k].sport - CLIENT_PORT_BASE],
				  (int)samples[k].slot);
		}
		first += 32;
	}

	/* the switch off: the kernel picks, the fallback column says so */
	ASSERT_EQ(0, pcbg_group_reset_stats(self->grp));
	ASSERT_EQ(0, knob_write(ext, "0"));
	ASSERT_EQ(50, FLOWS(first, 50));
	ASSERT_EQ(0, pcbg_group_stats(self->grp, stats));
	EXPECT_EQ(50, stats[PCBG_STAT_FALLBACK_OFF]);
	ASSERT_EQ(1, groups_rows(&row, 1));
	EXPECT_EQ(0, row.selected);
	EXPECT_EQ(50, row.fallbacks);
}

TEST_F_TIMEOUT(modgroup, tables_match_what_the_sockets_received, 120)
{
	struct sockets_row rows[NSOCKS + 1];
	long counts[NSOCKS] = {};
	struct groups_row g;
	int flows = 400, i;
	struct stat st;

	REQUIRE_MODULE();
	ASSERT_EQ(flows, FLOWS(0, flows));
	for (i = 0; i < flows; i++)
		counts[self->receiver[i]]++;

	ASSERT_EQ(1, groups_rows(&g, 1));
	EXPECT_EQ(self->id, g.id);
	EXPECT_STREQ(variant->type == SOCK_STREAM ? "tcp" : "udp", g.proto);
	EXPECT_STREQ(variant->local, g.local);
	EXPECT_EQ(NSOCKS, g.sockets);
	EXPECT_STREQ("hash-threshold", g.algorithm);
	EXPECT_EQ(pcbg_cpu_bits_auto(), (int)g.cpu_bits);
	EXPECT_EQ(flows, g.selected);
	EXPECT_EQ(0, g.fallbacks);

	ASSERT_EQ(NSOCKS, sockets_rows(rows, NSOCKS + 1));
	for (i = 0; i < NSOCKS; i++) {
		ASSERT_EQ(0, fstat(self->fds[i], &st));
		EXPECT_EQ(self->id, rows[i].group);
		EXPECT_EQ(i, rows[i].slot);
		EXPECT_EQ(st.st_ino, rows[i].inode);
		EXPECT_EQ(-1, rows[i].cpu);
		EXPECT_EQ(counts[i], rows[i].selected) TH_LOG("slot %d", i);
	}

	/* a closed socket: one socket fewer, its slot shows inode 0 */
	close(self->fds[2]);
	ASSERT_EQ(1, groups_rows(&g, 1));
	EXPECT_EQ(NSOCKS - 1, g.sockets);
	ASSERT_EQ(NSOCKS, sockets_rows(rows, NSOCKS + 1));
	EXPECT_EQ(0, rows[2].inode);
}

/*
 * Sample the queues until they hold what was sent (@want queued connections,
 * or any datagram): on loopback the last ACK or the datagram may still wait
 * in the backlog, for ksoftirqd, when send_flow() returns.  The sum, or -1.
 */
static long long sample_queued(struct pcbg_group *grp, int tcp, long long want)
{
	struct pcbg_slot_load load;
	long long sum = -1;
	int tries, i;

	for (tries = 0; tries < 100; tries++, usleep(50000)) {
		if (pcbg_group_sample_load(grp))
			return -1;
		for (sum = 0, i = 0; i < NSOCKS; i++) {
			if (pcbg_group_slot_load(grp, i, &load))
				return -1;
			sum += load.queue;
		}
		if (tcp ? sum == want : sum > 0)
			break;
	}
	return sum;
}

/*
 * least-loaded: the sockets table shows each slot's sampled queue and
 * counted connections, the groups table the picks that went to the second
 * candidate, as the group's maps hold them.
 */
TEST_F_TIMEOUT(modgroup, tables_show_the_loads_and_the_second_picks, 120)
{
	struct sockets_row rows[NSOCKS + 1];
	int held[64], i, n = 0, taken = 0, tcp = variant->type == SOCK_STREAM;
	struct pcbg_slot_load load;
	__u64 stats[PCBG_STAT_NR];
	unsigned long long sum = 0;
	struct groups_row g;
	long long q;

	REQUIRE_MODULE();
	ASSERT_EQ(0, knob_write("algorithm", "least-loaded"));
	/* queued: connections nobody accepts, datagrams nobody reads */
	for (i = 0; i < 32; i++) {
		held[n] = send_flow(variant->family, variant->type, CLIENT_PORT_BASE + i,
				    SERVER_PORT);
		ASSERT_LE(0, held[n++]);
	}
	q = sample_queued(self->grp, tcp, 32);
	ASSERT_TRUE(tcp ? q == 32 : q > 0) TH_LOG("queued: %lld", q);
	/* slot 0 emptied: the loads are uneven whatever the hash spread */
	while (take_one(self->fds[0], variant->type) >= 0)
		taken++;
	ASSERT_GT(32, taken);
	q = sample_queued(self->grp, tcp, 32 - taken);
	ASSERT_TRUE(tcp ? q == 32 - taken : q > 0) TH_LOG("queued: %lld", q);
	/* so some of the next connections take the second candidate */
	for (i = 32; i < 64; i++) {
		held[n] = send_flow(variant->family, variant->type, CLIENT_PORT_BASE + i,
				    SERVER_PORT);
		ASSERT_LE(0, held[n++]);
	}

	ASSERT_EQ(NSOCKS, sockets_rows(rows, NSOCKS + 1));
	for (i = 0; i < NSOCKS; i++) {
		ASSERT_EQ(0, pcbg_group_slot_load(self->grp, i, &load));
		EXPECT_EQ(load.queue, rows[i].queue) TH_LOG("slot %d", i);
		EXPECT_EQ(load.conns, rows[i].conns) TH_LOG("slot %d", i);
		sum += rows[i].queue;
	}
	EXPECT_EQ(0, rows[0].queue);
	/* an accept queue counts connections; a receive queue, bytes */
	EXPECT_TRUE(tcp ? sum == 32 - (unsigned int)taken : sum > 0) TH_LOG("queued: %llu", sum);
	ASSERT_EQ(0, pcbg_group_stats(self->grp, stats));
	ASSERT_EQ(1, groups_rows(&g, 1));
	EXPECT_EQ(stats[PCBG_STAT_LOAD_SECOND], g.second);
	/* UDP without the flow table is picked by hash-threshold */
	EXPECT_TRUE(!tcp || g.second > 0) TH_LOG("no second pick");
	for (i = 0; i < n; i++)
		close(held[i]);
}

TEST_F(modgroup, each_namespace_sees_only_its_groups)
{
	int status, pfd[2];
	char buf[64] = "";
	pid_t pid;

	REQUIRE_MODULE();
	ASSERT_EQ(0, pipe(pfd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct groups_row rows[4];
		struct pcbg_group *grp;
		int before, id = -1, after, fd;

		if (unshare(CLONE_NEWNET))
			_exit(1);
		before = groups_rows(rows, 4);
		fd = make_server(AF_INET, SOCK_DGRAM, SERVER_PORT);
		if (!pcbg_group_create(&grp, 0) && fd >= 0 &&
		    pcbg_group_add_socket(grp, fd, -1, 0) == 0)
			id = pcbg_group_register(grp, 5);
		after = groups_rows(rows, 4);
		dprintf(pfd[1], "%d %d %d %u", before, id, after, after == 1 ? rows[0].id : 0);
		_exit(0);
	}
	close(pfd[1]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	buf[read(pfd[0], buf, sizeof(buf) - 1)] = '\0';
	EXPECT_STREQ("0 5 1 5", buf);

	struct groups_row rows[4];

	ASSERT_EQ(1, groups_rows(rows, 4));
	EXPECT_EQ(self->id, rows[0].id);
}

TEST_F(modgroup, wrong_maps_and_fds_are_refused)
{
	struct groups_row rows[4];
	struct hand_maps m;
	int i, pipefd[2], sock;

	REQUIRE_MODULE();
	for (i = 0; i < HAND_MAPS; i++) {
		ASSERT_EQ(0, make_maps(&m, i));
		EXPECT_EQ(-EINVAL, register_maps(&m, PCBG_ABI_VERSION, 0)) TH_LOG("map %d", i);
	}
	ASSERT_EQ(0, make_maps(&m, -1));
	EXPECT_EQ(-EINVAL, register_maps(&m, PCBG_ABI_VERSION + 1, 0));
	ASSERT_EQ(0, pipe(pipefd));
	m.fd[2] = pipefd[0];
	EXPECT_EQ(-EINVAL, register_maps(&m, PCBG_ABI_VERSION, 0));
	m.fd[2] = 999;
	EXPECT_EQ(-EBADF, register_maps(&m, PCBG_ABI_VERSION, 0));
	EXPECT_EQ(-EEXIST, pcbg_group_register(self->grp, 0));
	ASSERT_EQ(1, groups_rows(rows, 4));

	/* right maps without a socket: no namespace to follow */
	ASSERT_EQ(0, make_maps(&m, -1));
	EXPECT_EQ(-ENOENT, register_maps(&m, PCBG_ABI_VERSION, 0));
	/* with one: not under a taken id, then under a free one */
	sock = make_server(AF_INET, SOCK_DGRAM, SERVER_PORT + 1);
	ASSERT_LE(0, sock);
	ASSERT_EQ(0, maps_add_socket(&m, 3, sock));
	EXPECT_EQ(-EADDRINUSE, register_maps(&m, PCBG_ABI_VERSION, self->id));
	EXPECT_EQ(2, register_maps(&m, PCBG_ABI_VERSION, 0));
}

/*
 * The cpus table: one row per (CPU, group) with the slots in that CPU's
 * table and its local hits, misses and selections, matching what each CPU
 * sent (one socket per CPU, senders pinned to each CPU in turn).
 */
TEST(cpus_table_matches_the_traffic)
{
	int ncpus = sysconf(_SC_NPROCESSORS_ONLN), fds[64], receiver[4096], ep, cpu, i, per = 24;
	struct cpus_row rows[64];
	struct pcbg_group *grp;
	char slot[16];

	REQUIRE_MODULE();
	ASSERT_EQ(0, setup_namespaces());
	ASSERT_GE(64, ncpus);
	ASSERT_EQ(0, knob_write("algorithm", "cpu"));
	ASSERT_EQ(0, pcbg_group_create(&grp, 0));
	for (i = 0; i < ncpus; i++) {
		fds[i] = make_server(AF_INET, SOCK_DGRAM, SERVER_PORT);
		ASSERT_EQ(i, pcbg_group_place_socket(grp, fds[i], i, 0));
	}
	ASSERT_EQ(0, pcbg_group_publish(grp));
	ASSERT_EQ(1, pcbg_group_register(grp, 0));
	ASSERT_EQ(0, pcbg_group_attach(grp, fds[0]));
	/* the last CPU's socket goes to no table: its traffic misses */
	ASSERT_EQ(0, pcbg_group_set_cpu(grp, ncpus - 1, -1));
	ep = watch_servers(fds, ncpus);
	for (cpu = 0; cpu < ncpus; cpu++) {
		ASSERT_EQ(0, pin_to_cpu(cpu));
		ASSERT_EQ(per, run_flows(AF_INET, SOCK_DGRAM, SERVER_PORT, fds, ep,
					 cpu * per, per, receiver));
	}
	ASSERT_EQ(ncpus, cpus_rows(rows, 64));
	for (i = 0; i < ncpus; i++) {
		int last = i == ncpus - 1;

		EXPECT_EQ(i, rows[i].cpu);
		EXPECT_EQ(1, rows[i].group);
		snprintf(slot, sizeof(slot), "%d", i);
		EXPECT_STREQ(last ? "-" : slot, rows[i].slots);
		EXPECT_EQ(last ? 0 : per, rows[i].local) TH_LOG("CPU %d", i);
		EXPECT_EQ(last ? per : 0, rows[i].misses) TH_LOG("CPU %d", i);
		EXPECT_EQ(per, rows[i].selected) TH_LOG("CPU %d", i);
	}
	pcbg_group_free(grp);
}

/* pcbgroupctl set defers to the sysctls while the module is loaded. */
TEST_F(modgroup, pcbgroupctl_set_points_to_sysctl)
{
	char out[256], err[512];

	REQUIRE_MODULE();
	EXPECT_EQ(1, run_cmd(out, sizeof(out), err, sizeof(err),
			     "%s/pcbgroupctl set algorithm=modulo", build_dir()));
	EXPECT_NE(NULL, strstr(err, "use sysctl -w net.pcbgroup.KNOB=VALUE")) TH_LOG("%s", err);
}

/*
 * The library itself keeps the one-writer rule: a server linking it cannot
 * write the config while the module's sysctls own it, and nothing changes.
 */
TEST_F(modgroup, the_library_refuses_a_second_config_writer)
{
	struct pcbg_config cfg, now;

	REQUIRE_MODULE();
	ASSERT_EQ(0, pcbg_group_config(self->grp, &cfg));
	cfg.algorithm = cfg.algorithm == PCBG_ALGO_MODULO ? PCBG_ALGO_CPU : PCBG_ALGO_MODULO;
	EXPECT_EQ(-EBUSY, pcbg_group_set_config(self->grp, &cfg));
	ASSERT_EQ(0, pcbg_group_config(self->grp, &now));
	EXPECT_NE(cfg.algorithm, now.algorithm);
}

/*
 * Every socket closed, the group still pinned: the module lists it as dead,
 * as pcbgroupctl show does, with no socket.
 */
TEST_F(modgroup, group_without_sockets_shows_dead)
{
	char dir[PATH_MAX], out[8192], line[64];
	struct groups_row row;
	int i;

	REQUIRE_MODULE();
	ASSERT_EQ(1, groups_rows(&row, 1));
	EXPECT_STREQ("live", row.state);
	ASSERT_EQ(0, mkdir(PCBG_PIN_ROOT, 0700) && errno != EEXIST ? -errno : 0);
	ASSERT_EQ(0, mkdir(netns_pin_root(), 0700) && errno != EEXIST ? -errno : 0);
	group_pin_dir(dir, sizeof(dir), self->id);
	ASSERT_EQ(0, pcbg_group_pin(self->grp, dir));
	for (i = 0; i < NSOCKS; i++)
		close(self->fds[i]);
	ASSERT_EQ(1, groups_rows(&row, 1));
	EXPECT_EQ(0, row.sockets);
	EXPECT_STREQ("dead", row.state);
	ASSERT_EQ(0, run_cmd(out, sizeof(out), NULL, 0, "%s/pcbgroupctl show | "
			     "awk 'NF == 0 { exit } $1 == %d { print $4, $10 }'",
			     build_dir(), self->id));
	snprintf(line, sizeof(line), "0 %s\n", row.state);
	EXPECT_STREQ(line, out);
}

/* A group whose program and sockets are gone is dropped by the module. */
TEST_F(modgroup, gone_group_is_dropped)
{
	struct groups_row rows[4];
	struct pcbg_group *grp;
	int fd;

	REQUIRE_MODULE();
	ASSERT_EQ(0, pcbg_group_create(&grp, 0));
	fd = make_server(AF_INET, SOCK_DGRAM, SERVER_PORT + 1);
	ASSERT_EQ(0, pcbg_group_add_socket(grp, fd, -1, 0));
	ASSERT_EQ(2, pcbg_group_register(grp, 0));
	ASSERT_EQ(2, groups_rows(rows, 4));
	pcbg_group_free(grp);
	close(fd);
	/* maps are freed by the kernel after the last reference: give it time */
	for (int i = 0; i < 50 && groups_rows(rows, 4) != 1; i++)
		usleep(100000);
	ASSERT_EQ(1, groups_rows(rows, 4));
	EXPECT_EQ(self->id, rows[0].id);
}

TEST_HARNESS_MAIN
