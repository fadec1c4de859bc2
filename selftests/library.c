// SPDX-License-Identifier: GPL-2.0
/*
 * libpcbgroup refuses what it cannot steer, with an errno that says why, and
 * changes nothing when it does.
 */
#include "lib.h"

FIXTURE(lib) {
	struct pcbg_group *grp;
	int udp;
};

FIXTURE_SETUP(lib)
{
	ASSERT_EQ(0, setup_namespaces());
	ASSERT_EQ(0, pcbg_group_create(&self->grp, 0));
	self->udp = make_server(AF_INET, SOCK_DGRAM, SERVER_PORT);
	ASSERT_LE(0, self->udp);
	ASSERT_EQ(0, pcbg_group_add_socket(self->grp, self->udp, -1, 0));
}

FIXTURE_TEARDOWN(lib)
{
	pcbg_group_free(self->grp);
}

static void expect_nr_slots(struct __test_metadata *_metadata,
			    struct pcbg_group *grp, __u32 n)
{
	struct pcbg_group_info info;

	ASSERT_EQ(0, pcbg_group_info(grp, &info));
	EXPECT_EQ(n, info.nr_slots);
}

TEST_F(lib, wrong_sockets_are_refused)
{
	int pipefd[2], plain, tcp_unlistened, other_port, tcp, one = 1;
	struct sockaddr_storage ss;
	socklen_t len;

	ASSERT_EQ(0, pipe(pipefd));
	EXPECT_EQ(-ENOTSOCK, pcbg_group_add_socket(self->grp, pipefd[0], -1, 0));

	plain = socket(AF_INET, SOCK_DGRAM, 0);
	len = make_addr(&ss, AF_INET, SERVER_PORT + 1);
	ASSERT_EQ(0, bind(plain, (struct sockaddr *)&ss, len));
	EXPECT_EQ(-ENOPROTOOPT, pcbg_group_add_socket(self->grp, plain, -1, 0));

	tcp_unlistened = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT_EQ(0, setsockopt(tcp_unlistened, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)));
	EXPECT_EQ(-EDESTADDRREQ, pcbg_group_add_socket(self->grp, tcp_unlistened, -1, 0));
	ASSERT_EQ(0, bind(tcp_unlistened, (struct sockaddr *)&ss, len));
	EXPECT_EQ(-ENOTCONN, pcbg_group_add_socket(self->grp, tcp_unlistened, -1, 0));

	other_port = make_server(AF_INET, SOCK_DGRAM, SERVER_PORT + 2);
	ASSERT_LE(0, other_port);
	EXPECT_EQ(-EXDEV, pcbg_group_add_socket(self->grp, other_port, -1, 0));
	tcp = make_server(AF_INET, SOCK_STREAM, SERVER_PORT);
	ASSERT_LE(0, tcp);
	EXPECT_EQ(-EXDEV, pcbg_group_add_socket(self->grp, tcp, -1, 0));

	EXPECT_EQ(-EEXIST, pcbg_group_add_socket(self->grp, self->udp, -1, 0));
	EXPECT_EQ(-EINVAL, pcbg_group_add_socket(self->grp, other_port, 100000, 0));
	expect_nr_slots(_metadata, self->grp, 1);
}

TEST_F(lib, socket_of_another_group_is_busy)
{
	struct pcbg_group *other;

	ASSERT_EQ(0, pcbg_group_create(&other, 0));
	EXPECT_EQ(-EBUSY, pcbg_group_add_socket(other, self->udp, -1, 0));
	pcbg_group_free(other);
}

TEST_F(lib, max_group_size_is_enforced)
{
	struct pcbg_config cfg;
	int fd, i;

	ASSERT_EQ(0, pcbg_group_config(self->grp, &cfg));
	ASSERT_EQ(0, pcbg_config_set_knob(&cfg, "max_group_size", "3"));
	ASSERT_EQ(0, pcbg_group_set_config(self->grp, &cfg));
	for (i = 1; i < 3; i++) {
		fd = make_server(AF_INET, SOCK_DGRAM, SERVER_PORT);
		ASSERT_EQ(i, pcbg_group_add_socket(self->grp, fd, -1, 0));
	}
	fd = make_server(AF_INET, SOCK_DGRAM, SERVER_PORT);
	EXPECT_EQ(-E2BIG, pcbg_group_add_socket(self->grp, fd, -1, 0));
	expect_nr_slots(_metadata, self->grp, 3);
}

TEST_F(lib, bad_config_is_refused_and_kept)
{
	struct pcbg_config before, cfg, after;

	ASSERT_EQ(0, pcbg_group_config(self->grp, &before));
	EXPECT_EQ(1, before.tcp_reuseport_ext);
	EXPECT_EQ(1, before.udp_reuseport_ext);
	EXPECT_EQ(PCBG_ALGO_HASH_THRESHOLD, before.algorithm);
	EXPECT_EQ(pcbg_cpu_bits_auto(), (int)before.cpu_bits);
	EXPECT_EQ(PCBG_SLOTS_DEFAULT, before.max_group_size);
	EXPECT_EQ(1, before.stats);

	cfg = before;
	/* each knob's bounds: knob_table */
	EXPECT_EQ(-EINVAL, pcbg_config_set_knob(&cfg, "algorithm", "random"));
	EXPECT_EQ(-EINVAL, pcbg_config_set_knob(&cfg, "stats", "yes"));
	EXPECT_EQ(-ENOENT, pcbg_config_set_knob(&cfg, "no_such_knob", "1"));
	EXPECT_EQ(0, memcmp(&before, &cfg, sizeof(cfg)));

	cfg.algorithm = PCBG_ALGO_NR;
	EXPECT_EQ(-EINVAL, pcbg_group_set_config(self->grp, &cfg));
	cfg = before;
	cfg.cpu_bits = PCBG_CPU_BITS_MAX + 1;
	EXPECT_EQ(-EINVAL, pcbg_group_set_config(self->grp, &cfg));
	ASSERT_EQ(0, pcbg_group_config(self->grp, &after));
	EXPECT_EQ(0, memcmp(&before, &after, sizeof(after)));
}

/*
 * Placements up to a publish share one scan of the group: a socket placed
 * twice in one fill is still refused, and after a publish a new socket
 * takes the slot of one that was closed.
 */
TEST_F(lib, fill_refuses_twice_and_reuses_closed_slots)
{
	int fds[4], i;

	for (i = 0; i < 4; i++) {
		fds[i] = make_server(AF_INET, SOCK_DGRAM, SERVER_PORT);
		ASSERT_EQ(i + 1, pcbg_group_place_socket(self->grp, fds[i], -1, 0));
	}
	EXPECT_EQ(-EEXIST, pcbg_group_place_socket(self->grp, fds[2], -1, 0));
	ASSERT_EQ(0, pcbg_group_publish(self->grp));
	close(fds[1]);		/* slot 2: the kernel empties it */
	close(fds[3]);		/* slot 4 */
	EXPECT_EQ(0, pcbg_group_slot_live(self->grp, 2));
	fds[1] = make_server(AF_INET, SOCK_DGRAM, SERVER_PORT);
	fds[3] = make_server(AF_INET, SOCK_DGRAM, SERVER_PORT);
	EXPECT_EQ(2, pcbg_group_place_socket(self->grp, fds[1], -1, 0));
	EXPECT_EQ(4, pcbg_group_place_socket(self->grp, fds[3], -1, 0));
	expect_nr_slots(_metadata, self->grp, 5);
}

/*
 * Two writers on one pinned group: a slot one of them filled after the
 * other scanned is not overwritten: a scan holds only while its writer
 * holds the group's lock, so the other's next placement scans afresh.
 */
TEST_F(lib, second_writer_does_not_overwrite)
{
	struct pcbg_group *other;
	int fds[3], i;
	__u64 cookie_before, cookie_after;
	struct pcbg_slot s;

	for (i = 0; i < 3; i++) {
		fds[i] = make_server(AF_INET, SOCK_DGRAM, SERVER_PORT);
		ASSERT_EQ(i + 1, pcbg_group_add_socket(self->grp, fds[i], -1, 0));
	}
	close(fds[0]);		/* slots 1 and 2 are empty */
	close(fds[1]);
	ASSERT_EQ(0, pcbg_group_pin(self->grp, "/sys/fs/bpf/lib_writers"));
	ASSERT_EQ(0, pcbg_group_open_pinned(&other, "/sys/fs/bpf/lib_writers"));

	fds[0] = make_server(AF_INET, SOCK_DGRAM, SERVER_PORT);
	ASSERT_EQ(1, pcbg_group_place_socket(self->grp, fds[0], -1, 0));	/* scans */
	fds[1] = make_server(AF_INET, SOCK_DGRAM, SERVER_PORT);
	ASSERT_EQ(2, pcbg_group_place_socket(other, fds[1], -1, 0));
	ASSERT_EQ(0, pcbg_group_slot(other, 2, &s));
	cookie_before = s.cookie;

	fds[2] = make_server(AF_INET, SOCK_DGRAM, SERVER_PORT);
	EXPECT_EQ(4, pcbg_group_place_socket(self->grp, fds[2], -1, 0));
	ASSERT_EQ(0, pcbg_group_slot(self->grp, 2, &s));
	cookie_after = s.cookie;
	EXPECT_EQ(cookie_before, cookie_after);
	pcbg_group_free(other);
	EXPECT_EQ(0, pcbg_unpin("/sys/fs/bpf/lib_writers"));
}

TEST(capacity_over_limit_is_refused)
{
	struct pcbg_group *grp = NULL;

	EXPECT_EQ(-E2BIG, pcbg_group_create(&grp, PCBG_SLOTS_LIMIT + 1));
	EXPECT_EQ(NULL, grp);
}

TEST_HARNESS_MAIN
