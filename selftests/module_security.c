// SPDX-License-Identifier: GPL-2.0
/*
 * Who may register which group with pcbgroup.ko, and what the module then
 * writes and shows.
 *
 *   test netns A (init user ns)           netns B, new user ns ("unshare -Urn")
 *   +-------------------------------+     +--------------------------------+
 *   | maps + socket of A  --fds-->  | --> | root of A in B: EXDEV          |
 *   | registered as group 1 (A)     |     | nobody as its root: EXDEV      |
 *   | nobody in A: EPERM            |     | nobody's own group in B: ok    |
 *   +-------------------------------+     +--------------------------------+
 *
 * A group's maps are registered once across all namespaces, only by a
 * holder of CAP_NET_ADMIN over the namespace of the group's sockets; the
 * control file follows capability, not the file's owner, so "unshare -Urn"
 * can use it; a write-only map is not shown; a frozen config takes no knob.
 */
#include <grp.h>
#include <sys/prctl.h>
#include "modlib.h"

#define NOBODY	65534
/* in_child() result: this kernel lets no unprivileged user namespace be made */
#define NO_USERNS	1000

/* Run @fn in a child; its return value (an int) comes back through a pipe. */
static int in_child(int (*fn)(void *), void *arg)
{
	int pfd[2], status, ret = -EIO;
	pid_t pid;

	if (pipe(pfd))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int r = fn(arg);

		if (write(pfd[1], &r, sizeof(r)) != sizeof(r))
			_exit(1);
		_exit(0);
	}
	close(pfd[1]);
	if (read(pfd[0], &ret, sizeof(ret)) != sizeof(ret))
		ret = -EIO;
	close(pfd[0]);
	waitpid(pid, &status, 0);
	return ret;
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY), err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		err = -errno;
	close(fd);
	return err;
}

/* Become nobody, keeping the open fds; 0 or -errno. */
static int become_nobody(void)
{
	if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
	    setresuid(NOBODY, NOBODY, NOBODY))
		return -errno;
	/* as a login would be: its /proc/self files its own (uid_map) */
	return prctl(PR_SET_DUMPABLE, 1) ? -errno : 0;
}

/*
 * "unshare -Urn": a new user and network namespace at once, then root in
 * it mapped to the caller (the uid map is written after the network
 * namespace exists); loopback up.  0 or -errno.
 */
static int unshare_urn(void)
{
	char map[64];
	uid_t uid = getuid();
	gid_t gid = getgid();
	int err;

	if (unshare(CLONE_NEWUSER | CLONE_NEWNET))
		return -errno;
	snprintf(map, sizeof(map), "0 %u 1", uid);
	err = write_file("/proc/self/uid_map", map);
	if (!err)
		err = write_file("/proc/self/setgroups", "deny");
	snprintf(map, sizeof(map), "0 %u 1", gid);
	if (!err)
		err = write_file("/proc/self/gid_map", map);
	return err ?: loopback_up();
}

FIXTURE(owned) {
	struct hand_maps m;	/* a group of this namespace: socket in slot 0 */
	int sock;
};

FIXTURE_SETUP(owned)
{
	ASSERT_EQ(0, setup_namespaces());
	if (access(SYSCTL_DIR, F_OK))
		return;
	ASSERT_EQ(0, make_maps(&self->m, -1));
	self->sock = make_server(AF_INET, SOCK_DGRAM, SERVER_PORT);
	ASSERT_LE(0, self->sock);
	ASSERT_EQ(0, maps_add_socket(&self->m, 0, self->sock));
}

FIXTURE_TEARDOWN(owned)
{
}

static int register_in_new_netns(void *arg)
{
	if (unshare(CLONE_NEWNET))
		return -errno;
	return register_maps(arg, PCBG_ABI_VERSION, 0);
}

/* Root, moved to another network namespace, with fds to A's group's maps. */
TEST_F(owned, root_of_another_netns_is_refused)
{
	struct groups_row rows[2];

	REQUIRE_MODULE();
	EXPECT_EQ(-EXDEV, in_child(register_in_new_netns, &self->m));
	/* and the owner registers it: its knobs, its table */
	EXPECT_EQ(1, register_maps(&self->m, PCBG_ABI_VERSION, 0));
	EXPECT_EQ(1, groups_rows(rows, 2));
}

static int nobody_urn_registers(void *arg)
{
	int err = become_nobody();

	if (!err)
		err = unshare_urn();
	if (err)
		return err == -EPERM || err == -EINVAL ? NO_USERNS : err;
	return register_maps(arg, PCBG_ABI_VERSION, 0);
}

/* nobody in its own user and network namespace, given fds to A's maps. */
TEST_F(owned, nobody_in_its_own_namespaces_is_refused)
{
	int ret;

	REQUIRE_MODULE();
	ret = in_child(nobody_urn_registers, &self->m);
	if (ret == NO_USERNS)
		SKIP(return, "unprivileged user namespaces are disabled");
	EXPECT_EQ(-EXDEV, ret);
}

/*
 * nobody, "unshare -Urn", with its own socket in maps root made for it:
 * the namespace's root may use control (the file's owner, global root,
 * does not matter) and sees the group in its own table, not in ours.
 */
struct own_group {
	struct hand_maps m;
	char table[4096];
};

static int nobody_registers_own_group(void *arg)
{
	struct own_group *o = arg;
	struct groups_row rows[2];
	int err = become_nobody(), sock, id;

	if (!err)
		err = unshare_urn();
	if (err)
		return err == -EPERM || err == -EINVAL ? NO_USERNS : err;
	sock = make_server(AF_INET, SOCK_DGRAM, SERVER_PORT);
	if (sock < 0)
		return sock;
	err = maps_add_socket(&o->m, 0, sock);
	if (err)
		return err;
	id = register_maps(&o->m, PCBG_ABI_VERSION, 0);
	if (id < 0)
		return id;
	/* its knobs are its own to write, and reach its group */
	err = knob_write("algorithm", "maglev");
	if (err)
		return err;
	if (groups_rows(rows, 2) != 1 || strcmp(rows[0].algorithm, "maglev"))
		return -EPROTO;
	return id;
}

TEST_F(owned, nobody_uses_control_in_unshare_urn)
{
	struct groups_row rows[2];
	struct own_group o;
	int ret;

	REQUIRE_MODULE();
	ASSERT_EQ(0, make_maps(&o.m, -1));
	ret = in_child(nobody_registers_own_group, &o);
	if (ret == NO_USERNS)
		SKIP(return, "unprivileged user namespaces are disabled");
	EXPECT_EQ(1, ret);
	EXPECT_EQ(0, groups_rows(rows, 2));
}

static int nobody_opens_control(void *arg)
{
	int err = become_nobody(), fd;

	(void)arg;
	if (err)
		return err;
	fd = open(PROC_DIR "/" PCBG_PROC_CONTROL, O_RDONLY);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

/* Without CAP_NET_ADMIN over the namespace, control cannot even be opened. */
TEST_F(owned, nobody_without_capability_cannot_open_control)
{
	struct stat st;

	REQUIRE_MODULE();
	ASSERT_EQ(0, stat(PROC_DIR "/" PCBG_PROC_CONTROL, &st));
	EXPECT_EQ(0444, st.st_mode & 0777);
	EXPECT_EQ(-EPERM, in_child(nobody_opens_control, NULL));
}

/*
 * A control fd opened by root and handed to nobody gives nothing: the
 * opener and the caller both need the capability.
 */
static int nobody_uses_roots_fd(void *arg)
{
	int fd = *(int *)arg, err = become_nobody();
	__u32 id = 1;

	if (err)
		return err;
	return ioctl(fd, PCBG_IOC_UNREGISTER, &id) ? -errno : 0;
}

TEST_F(owned, control_fd_handed_to_nobody_is_refused)
{
	int fd;

	REQUIRE_MODULE();
	ASSERT_EQ(1, register_maps(&self->m, PCBG_ABI_VERSION, 0));
	fd = open(PROC_DIR "/" PCBG_PROC_CONTROL, O_RDONLY);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-EPERM, in_child(nobody_uses_roots_fd, &fd));
	EXPECT_EQ(0, unregister_group(1));
	close(fd);
}

/*
 * Registered once across all namespaces: a group registered here, whose
 * socket is then swapped for one of namespace B, cannot be registered in
 * B as well.
 */
static int swap_socket_and_register(void *arg)
{
	struct hand_maps *m = arg;
	int sock, err;

	if (unshare(CLONE_NEWNET))
		return -errno;
	sock = make_server(AF_INET, SOCK_DGRAM, SERVER_PORT);
	if (sock < 0)
		return sock;
	err = maps_add_socket(m, 0, sock);
	if (err)
		return err;
	return register_maps(m, PCBG_ABI_VERSION, 0);
}

TEST_F(owned, maps_are_registered_once_across_namespaces)
{
	struct hand_maps other;
	int sock;

	REQUIRE_MODULE();
	ASSERT_EQ(1, register_maps(&self->m, PCBG_ABI_VERSION, 0));
	EXPECT_EQ(-EEXIST, in_child(swap_socket_and_register, &self->m));
	/* a group sharing one map with it, in this namespace, neither */
	ASSERT_EQ(0, make_maps(&other, -1));
	sock = make_server(AF_INET, SOCK_DGRAM, SERVER_PORT + 1);
	ASSERT_EQ(0, maps_add_socket(&other, 0, sock));
	close(other.fd[5]);
	other.fd[5] = dup(self->m.fd[5]);
	EXPECT_EQ(-EEXIST, register_maps(&other, PCBG_ABI_VERSION, 0));
	/* once unregistered, the maps may go elsewhere */
	ASSERT_EQ(0, unregister_group(1));
	EXPECT_EQ(1, in_child(swap_socket_and_register, &self->m));
}

/* A group with sockets of two namespaces belongs to neither. */
TEST_F(owned, group_with_a_foreign_socket_is_refused)
{
	int here = open("/proc/self/ns/net", O_RDONLY), foreign;
	__u32 slot = 5;

	REQUIRE_MODULE();
	ASSERT_LE(0, here);
	ASSERT_EQ(0, unshare(CLONE_NEWNET));
	foreign = make_server(AF_INET, SOCK_DGRAM, SERVER_PORT);
	ASSERT_LE(0, foreign);
	ASSERT_EQ(0, setns(here, CLONE_NEWNET));
	ASSERT_EQ(0, maps_add_socket(&self->m, slot, foreign));
	EXPECT_EQ(-EXDEV, register_maps(&self->m, PCBG_ABI_VERSION, 0));
	ASSERT_EQ(0, bpf_map_delete_elem(self->m.fd[HAND_SOCKS], &slot));
	EXPECT_EQ(1, register_maps(&self->m, PCBG_ABI_VERSION, 0));
}

/* Maps the caller may only write are not shown in world-readable tables. */
TEST(write_only_maps_are_not_shown)
{
	struct groups_row rows[2];
	struct hand_maps m;
	int sock, i;

	REQUIRE_MODULE();
	ASSERT_EQ(0, setup_namespaces());
	for (i = 0; i < HAND_MAPS; i++) {
		if (i == HAND_SOCKS)	/* a socket array cannot be write-only */
			continue;
		/* a socket is in one socket array at a time: one each */
		sock = make_server(AF_INET, SOCK_DGRAM, SERVER_PORT);
		ASSERT_LE(0, sock);
		ASSERT_EQ(0, make_maps_flags(&m, -1, i, BPF_F_WRONLY)) TH_LOG("map %d", i);
		ASSERT_EQ(0, maps_add_socket(&m, 0, sock));
		EXPECT_EQ(-EPERM, register_maps(&m, PCBG_ABI_VERSION, 0)) TH_LOG("map %d", i);
		close_maps(&m);
	}
	/* the config may not be read-only: the module writes it */
	sock = make_server(AF_INET, SOCK_DGRAM, SERVER_PORT);
	ASSERT_LE(0, sock);
	ASSERT_EQ(0, make_maps_flags(&m, -1, 0, BPF_F_RDONLY));
	ASSERT_EQ(0, maps_add_socket(&m, 0, sock));
	EXPECT_EQ(-EPERM, register_maps(&m, PCBG_ABI_VERSION, 0));
	close_maps(&m);
	EXPECT_EQ(0, groups_rows(rows, 2));
}

/* A config frozen after registration keeps its values; the knob is taken. */
TEST_F(owned, frozen_config_takes_no_knob_writes)
{
	struct pcbg_config cfg;
	char log[4096];

	REQUIRE_MODULE();
	ASSERT_EQ(1, register_maps(&self->m, PCBG_ABI_VERSION, 0));
	ASSERT_EQ(0, knob_write("algorithm", "modulo"));
	ASSERT_EQ(0, maps_config(&self->m, &cfg));
	ASSERT_EQ(PCBG_ALGO_MODULO, cfg.algorithm);
	ASSERT_EQ(0, bpf_map_freeze(self->m.fd[0]));
	EXPECT_EQ(0, knob_write("algorithm", "maglev"));
	ASSERT_EQ(0, maps_config(&self->m, &cfg));
	EXPECT_EQ(PCBG_ALGO_MODULO, cfg.algorithm);
	ASSERT_EQ(0, run_cmd(log, sizeof(log), NULL, 0, "dmesg | grep 'config map frozen'"));
	EXPECT_NE(NULL, strstr(log, "group 1: config map frozen, knobs not written"));
}

TEST_HARNESS_MAIN
