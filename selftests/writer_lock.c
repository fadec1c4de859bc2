// SPDX-License-Identifier: GPL-2.0
/*
 * Two processes using libpcbgroup on one pinned group lose no update: the
 * library's writers take the group's lock (pcbg_group_lock()), and so can
 * a caller's read-modify-write.
 */
#include "lib.h"
#include <signal.h>

#define PIN_DIR		"/sys/fs/bpf/writer_lock"
#define ROUNDS		1000
#define SOCKETS		40	/* per process */

FIXTURE(lock) {
	struct pcbg_group *grp;
};

FIXTURE_SETUP(lock)
{
	ASSERT_EQ(0, setup_namespaces());
	ASSERT_EQ(0, pcbg_group_create(&self->grp, 128));
	ASSERT_EQ(0, pcbg_group_pin(self->grp, PIN_DIR));
}

FIXTURE_TEARDOWN(lock)
{
	pcbg_group_free(self->grp);
}

/* Fork @n children running @fn(i) on their own handle; 0 if all exit 0. */
static int in_children(int n, int (*fn)(struct pcbg_group *grp, int i, void *arg), void *arg)
{
	pid_t pids[2];
	int i, st, bad = 0;

	for (i = 0; i < n; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			struct pcbg_group *grp;

			if (pcbg_group_open_pinned(&grp, PIN_DIR))
				_exit(2);
			_exit(fn(grp, i, arg) ? 1 : 0);
		}
	}
	for (i = 0; i < n; i++)
		if (waitpid(pids[i], &st, 0) != pids[i] || !WIFEXITED(st) || WEXITSTATUS(st))
			bad++;
	return bad;
}

static int count_up(struct pcbg_group *grp, int i, void *arg)
{
	struct pcbg_config cfg;
	int r, err = 0;

	for (r = 0; r < ROUNDS && !err; r++) {
		err = pcbg_group_lock(grp);
		if (!err)
			err = pcbg_group_config(grp, &cfg);
		if (!err) {
			cfg.max_group_size++;
			err = pcbg_group_set_config(grp, &cfg);
		}
		pcbg_group_unlock(grp);
	}
	return err;
}

/* A read-modify-write under pcbg_group_lock() in two processes: no count lost. */
TEST_F(lock, read_modify_write_in_two_processes)
{
	struct pcbg_config cfg;

	ASSERT_EQ(0, pcbg_group_config(self->grp, &cfg));
	cfg.max_group_size = 1;
	ASSERT_EQ(0, pcbg_group_set_config(self->grp, &cfg));
	EXPECT_EQ(0, in_children(2, count_up, NULL));
	ASSERT_EQ(0, pcbg_group_config(self->grp, &cfg));
	EXPECT_EQ(1 + 2 * ROUNDS, cfg.max_group_size);
}

static int add_half(struct pcbg_group *grp, int i, void *arg)
{
	const int *fds = arg;
	int k, slot;

	for (k = 0; k < SOCKETS; k++) {
		slot = pcbg_group_add_socket(grp, fds[i * SOCKETS + k], -1, 0);
		if (slot < 0)
			return slot;
	}
	return 0;
}

/* The library's own writers, unlocked by the caller: every socket joins. */
TEST_F(lock, two_processes_add_sockets)
{
	struct pcbg_group_info info;
	int fds[2 * SOCKETS], i, live = 0;

	for (i = 0; i < 2 * SOCKETS; i++) {
		fds[i] = make_server(AF_INET, SOCK_DGRAM, SERVER_PORT);
		ASSERT_LE(0, fds[i]);
	}
	EXPECT_EQ(0, in_children(2, add_half, fds));
	ASSERT_EQ(0, pcbg_group_info(self->grp, &info));
	EXPECT_EQ(2 * SOCKETS, info.nr_slots);
	EXPECT_EQ(2 * SOCKETS, info.nr_members[info.gen]);
	for (i = 0; i < 2 * SOCKETS; i++)
		live += pcbg_group_slot_live(self->grp, i) == 1;
	EXPECT_EQ(2 * SOCKETS, live);
	EXPECT_EQ(0, pcbg_unpin(PIN_DIR));
}

TEST_HARNESS_MAIN
