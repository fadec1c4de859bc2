// SPDX-License-Identifier: GPL-2.0
/*
 * A real QUIC server, four aioquic workers on one UDP port behind pcbgroup,
 * each issuing the connection IDs libpcbgroup makes for its socket, and a
 * real QUIC client (aioquic) whose source port changes mid-connection, as
 * behind a NAT that rebinds, with and without a switch to a new CID (an
 * active migration).  With quic_cid_len the connection stays on its worker
 * through every move; without it, the 4-tuple hash sends a moved connection
 * to a worker that does not know it and the connection is lost.  The QUIC
 * software is the trixie root's (scripts/deps.sh), run with its own loader:
 * the host only (selftests/Makefile).
 */
#include "lib.h"

#define WORKERS		4
#define CID_LEN		12	/* no other length aioquic draws from os.urandom */
#define CIDS		256	/* made for each worker: room for many connections */
#define QUIC_PORT	4433
#define MOVES		10	/* a stay by chance without CIDs: 4^-10 */

FIXTURE(quic) {
	int fds[WORKERS];
	int slot_of[WORKERS];
	pid_t pids[WORKERS];
	struct pcbg_group *grp;
	char dir[64];
	char python[1024];	/* the trixie root's, as a command */
	char scripts[PATH_MAX];
};

FIXTURE_VARIANT(quic) {
	int cid_len;		/* the group's quic_cid_len */
	const char *client;	/* quic_client.py options */
};

FIXTURE_VARIANT_ADD(quic, cid_rebinding) { CID_LEN, "" };
FIXTURE_VARIANT_ADD(quic, cid_migration) { CID_LEN, "--new-cid" };
FIXTURE_VARIANT_ADD(quic, hash_rebinding) { 0, "" };
FIXTURE_VARIANT_ADD(quic, hash_migration) { 0, "--new-cid" };

/* "python3" of the trixie root, run with its loader and libraries; 0 or -1. */
static int trixie_python(char *buf, size_t size)
{
	const char *root = getenv("PCBG_TRIXIE_ROOT");
	char probe[PATH_MAX];

	if (!root)
		root = "/var/lib/pcbgroup-matrix/trixie-root";
	snprintf(probe, sizeof(probe), "%s/usr/lib/python3/dist-packages/aioquic", root);
	if (access(probe, R_OK))
		return -1;
	return snprintf(buf, size, "env -i PYTHONHOME=%s/usr %s/lib64/ld-linux-x86-64.so.2 "
			"--library-path %s/lib/x86_64-linux-gnu:%s/usr/lib/x86_64-linux-gnu "
			"%s/usr/bin/python3", root, root, root, root, root) < (int)size ? 0 : -1;
}

/* The CIDs libpcbgroup makes for worker @w's socket, in a file, hex. */
static int write_cids(struct _test_data_quic *self, int w, const char *path)
{
	FILE *f = fopen(path, "w");
	__u8 cid[CID_LEN];
	int i, b, err = 0;

	if (!f)
		return -errno;
	for (i = 0; !err && i < CIDS; i++) {
		err = pcbg_group_quic_cid(self->grp, self->fds[w], cid, sizeof(cid));
		for (b = 0; !err && b < CID_LEN; b++)
			fprintf(f, "%02x", cid[b]);
		fputc('\n', f);
	}
	return fclose(f) || err ? -1 : 0;
}

/* Start worker @w on its socket; its pid once it said "ready", or -1. */
static pid_t start_worker(struct _test_data_quic *self, int w)
{
	char cids[128], cmd[PATH_MAX + 1536], line[16];
	pid_t pid;

	snprintf(cids, sizeof(cids), "%s/cids%d", self->dir, w);
	if (write_cids(self, w, cids))
		return -1;
	snprintf(cmd, sizeof(cmd), "exec %s %.2000s/quic_worker.py --fd %d --slot %d "
		 "--cid-len %d --cids %s", self->python, self->scripts, self->fds[w],
		 self->slot_of[w], CID_LEN, cids);
	pid = start_cmd_line(cmd, line, sizeof(line), NULL);
	return pid > 0 && !strncmp(line, "ready", 5) ? pid : -1;
}

FIXTURE_SETUP(quic)
{
	const char *src = "selftests/quic_worker.py";
	int w;

	if (trixie_python(self->python, sizeof(self->python)))
		SKIP(return, "no aioquic in the trixie root: run scripts/deps.sh");
	snprintf(self->scripts, sizeof(self->scripts), "%s", "selftests");
	if (access(src, R_OK))
		snprintf(self->scripts, sizeof(self->scripts), "%.4000s/../selftests",
			 build_dir());
	ASSERT_EQ(0, setup_namespaces());
	snprintf(self->dir, sizeof(self->dir), "/tmp/pcbg-quic.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	ASSERT_EQ(0, pcbg_group_create(&self->grp, 16));
	for (w = 0; w < WORKERS; w++) {
		self->fds[w] = make_server(AF_INET, SOCK_DGRAM, QUIC_PORT);
		ASSERT_LE(0, self->fds[w]);
		self->slot_of[w] = pcbg_group_add_socket(self->grp, self->fds[w], -1, 0);
		ASSERT_LE(0, self->slot_of[w]);
	}
	ASSERT_EQ(0, pcbg_group_attach(self->grp, self->fds[0]));
	ASSERT_EQ(0, pcbg_group_set_quic(self->grp, variant->cid_len));
	for (w = 0; w < WORKERS; w++) {
		self->pids[w] = start_worker(self, w);
		ASSERT_LT(0, self->pids[w]);
	}
	/* the workers hold their sockets now */
	for (w = 0; w < WORKERS; w++)
		close(self->fds[w]);
}

FIXTURE_TEARDOWN(quic)
{
	char cmd[128];
	int w;

	for (w = 0; w < WORKERS && self->grp; w++) {
		if (self->pids[w] > 0) {
			kill(self->pids[w], SIGKILL);
			waitpid(self->pids[w], NULL, 0);
		}
	}
	pcbg_group_free(self->grp);
	if (self->dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", self->dir);
		system(cmd);
	}
}

/*
 * One client connection that moves MOVES times: the slot that answered
 * before the first move and each move's answer, in @slots (-1: lost).
 * Returns how many answers came.
 */
static int migrate(struct __test_metadata *_metadata, struct _test_data_quic *self,
		   const char *opts, int *slots)
{
	char out[4096], err[4096], *line;
	int n = 0, i, slot, pid, rc;

	for (i = 0; i <= MOVES; i++)
		slots[i] = -1;
	rc = run_cmd(out, sizeof(out), err, sizeof(err),
		     "%s %s/quic_client.py --port %d --moves %d %s", self->python,
		     self->scripts, QUIC_PORT, MOVES, opts);
	EXPECT_EQ(0, rc) TH_LOG("quic_client: %s", err);
	for (line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
		if (sscanf(line, "who %d %d %d", &i, &slot, &pid) == 3 &&
		    i >= 0 && i <= MOVES) {
			slots[i] = slot;
			n++;
		}
	}
	return n;
}

TEST_F(quic, connection_moves)
{
	int slots[MOVES + 1], i, n, stayed = 0;
	__u64 st[PCBG_STAT_NR];

	n = migrate(_metadata, self, variant->client, slots);
	ASSERT_LE(1, n);	/* the handshake and the first answer */
	for (i = 1; i <= MOVES; i++)
		stayed += slots[i] == slots[0];
	ASSERT_EQ(0, pcbg_group_stats(self->grp, st));
	if (variant->cid_len) {
		/* every move answered, by the worker that took the connection */
		EXPECT_EQ(MOVES, stayed);
		EXPECT_LT(0, st[PCBG_STAT_QUIC_ROUTED]);
		/* the client's first Initial carries its own random DCID */
		EXPECT_LT(0, st[PCBG_STAT_QUIC_FALLBACK]);
	} else {
		/* a move to another worker loses the connection */
		EXPECT_GT(MOVES, stayed);
		EXPECT_EQ(0, st[PCBG_STAT_QUIC_ROUTED]);
	}
	TH_LOG("answers %d, on the first worker after a move %d of %d", n, stayed, MOVES);
}

/* Many connections spread over the workers and each keeps its own. */
TEST_F(quic, many_clients_keep_their_workers)
{
	int slots[MOVES + 1], seen[16] = {}, c, i, spread = 0;

	if (!variant->cid_len)
		SKIP(return, "the connections move without CID routing");
	for (c = 0; c < 8; c++) {
		ASSERT_EQ(MOVES + 1, migrate(_metadata, self, variant->client, slots));
		for (i = 1; i <= MOVES; i++)
			ASSERT_EQ(slots[0], slots[i]);
		ASSERT_LE(0, slots[0]);
		ASSERT_GT(16, slots[0]);
		spread += !seen[slots[0]]++;
	}
	/* the first Initial is placed by the 4-tuple hash: not all on one */
	EXPECT_LT(1, spread);
}

TEST_HARNESS_MAIN
