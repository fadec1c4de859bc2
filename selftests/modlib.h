/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the tests of pcbgroup.ko (run in virtme-ng guests): sysctl and
 * /proc/net/pcbgroup access.
 */
#ifndef PCBG_SELFTESTS_MODLIB_H
#define PCBG_SELFTESTS_MODLIB_H

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "lib.h"

#define SYSCTL_DIR	"/proc/sys/" PCBG_SYSCTL_PATH
#define PROC_DIR	"/proc/net/" PCBG_PROC_DIR

/* Skip the test when the module is not loaded (the host cannot load it). */
#define REQUIRE_MODULE() do { \
	if (access(SYSCTL_DIR, F_OK)) \
		SKIP(return, "pcbgroup.ko is not loaded"); \
} while (0)

/* A fresh namespace and nothing else: for the tests that need TEST_F's timeouts. */
FIXTURE(netns) {
	int dummy;
};

FIXTURE_SETUP(netns)
{
	ASSERT_EQ(0, setup_namespaces());
}

FIXTURE_TEARDOWN(netns)
{
}

/* Read knob @name into @buf without the newline; 0 or -errno. */
static inline int knob_read(const char *name, char *buf, size_t size)
{
	char path[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), SYSCTL_DIR "/%s", name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return 0;
}

/* Write @value to knob @name; 0 or -errno of open() or write(). */
static inline int knob_write(const char *name, const char *value)
{
	char path[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), SYSCTL_DIR "/%s", name);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	n = write(fd, value, strlen(value));
	n = n < 0 ? -errno : 0;
	close(fd);
	return n;
}

/* The whole of /proc/net/pcbgroup/@table into @buf; length or -errno. */
static inline int proc_table(const char *table, char *buf, size_t size)
{
	char path[256];
	ssize_t n, len = 0;
	int fd;

	snprintf(path, sizeof(path), PROC_DIR "/%s", table);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	while (len < (ssize_t)size - 1 && (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += n;
	close(fd);
	buf[len] = '\0';
	return len;
}

/* A row of the groups table. */
struct groups_row {
	unsigned int id;
	char proto[8];
	char local[64];
	unsigned int sockets;
	char algorithm[32];
	unsigned int cpu_bits;
	unsigned long long selected;
	unsigned long long fallbacks;
	char state[8];
	unsigned long long second;
};

/* Parse the groups table: header, then rows; returns the rows or -1. */
static inline int groups_rows(struct groups_row *rows, int max)
{
	static char buf[65536];
	char *line, *save;
	int n = 0;

	if (proc_table("groups", buf, sizeof(buf)) < 0)
		return -1;
	line = strtok_r(buf, "\n", &save);
	if (!line || strncmp(line, "id", 2))
		return -1;
	while ((line = strtok_r(NULL, "\n", &save)) && n < max) {
		struct groups_row *r = &rows[n];

		if (sscanf(line, "%u %7s %63s %u %31s %u %llu %llu %7s %llu", &r->id, r->proto,
			   r->local, &r->sockets, r->algorithm, &r->cpu_bits,
			   &r->selected, &r->fallbacks, r->state, &r->second) != 10)
			return -1;
		n++;
	}
	return n;
}

/* A row of the sockets table. */
struct sockets_row {
	unsigned int group;
	unsigned int slot;
	unsigned long long inode;
	int cpu;
	unsigned long long selected;
	unsigned int weight;
	unsigned int queue;
	unsigned int conns;
};

/* A row of the cpus table. */
struct cpus_row {
	int cpu;
	unsigned int group;
	char slots[512];
	unsigned long long local;
	unsigned long long misses;
	unsigned long long selected;
};

static inline int cpus_rows(struct cpus_row *rows, int max)
{
	static char buf[1 << 16];
	char *line, *save;
	int n = 0;

	if (proc_table("cpus", buf, sizeof(buf)) < 0)
		return -1;
	line = strtok_r(buf, "\n", &save);
	if (!line || strncmp(line, "cpu", 3))
		return -1;
	while ((line = strtok_r(NULL, "\n", &save)) && n < max) {
		struct cpus_row *r = &rows[n];

		if (sscanf(line, "%d %u %511s %llu %llu %llu", &r->cpu, &r->group, r->slots,
			   &r->local, &r->misses, &r->selected) != 6)
			return -1;
		n++;
	}
	return n;
}

static inline int sockets_rows(struct sockets_row *rows, int max)
{
	static char buf[1 << 20];
	char *line, *save;
	int n = 0;

	if (proc_table("sockets", buf, sizeof(buf)) < 0)
		return -1;
	line = strtok_r(buf, "\n", &save);
	if (!line || strncmp(line, "group", 5))
		return -1;
	while ((line = strtok_r(NULL, "\n", &save)) && n < max) {
		struct sockets_row *r = &rows[n];

		if (sscanf(line, "%u %u %llu %d %llu %u %u %u", &r->group, &r->slot, &r->inode,
			   &r->cpu, &r->selected, &r->weight, &r->queue, &r->conns) != 8)
			return -1;
		n++;
	}
	return n;
}

/*
 * The maps a group is made of, made by hand so that each can be got wrong,
 * as the header's table (PCBG_MAPS) has them: the module's, in the order of
 * struct pcbg_register.  HAND_SOCKS is the socket array.
 */
#define HAND_MAPS	PCBG_M_MODULE_NR
#define HAND_SOCKS	PCBG_M_SOCKS
#define HAND_CAPACITY	16

struct hand_maps {
	int fd[HAND_MAPS];
};

/*
 * Make the maps; map @wrong (-1: none) of a wrong type or value size, and
 * map @flagged (-1: none) with @flags (BPF_F_WRONLY, BPF_F_RDONLY, ...).
 */
static inline int make_maps_flags(struct hand_maps *m, int wrong, int flagged,
				  __u32 flags)
{
	const struct {
		enum bpf_map_type type;
		__u32 key_size, value_size;
		enum pcbg_entries_rule rule;
	} spec[PCBG_M_NR] = {
#define HAND_SPEC(id, name, type, key, value, flags, entries, module) \
		[PCBG_M_##id] = { BPF_MAP_TYPE_##type, sizeof(key), sizeof(value), \
				  PCBG_ENTRIES_##entries },
		PCBG_MAPS(HAND_SPEC)
#undef HAND_SPEC
	};
	__u32 ncpus = libbpf_num_possible_cpus();
	int i;

	for (i = 0; i < HAND_MAPS; i++) {
		LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = i == flagged ? flags : 0);
		__u32 vs = spec[i].value_size;
		enum bpf_map_type t = spec[i].type;

		if (i == wrong)	/* a wrong type, and a wrong size */
			t == BPF_MAP_TYPE_ARRAY ? (vs += 8) : (t = BPF_MAP_TYPE_ARRAY);
		m->fd[i] = bpf_map_create(t, NULL, spec[i].key_size, vs,
					  pcbg_map_entries(spec[i].rule, HAND_CAPACITY, ncpus, 0),
					  &opts);
		if (m->fd[i] < 0) {
			int err = -errno;

			while (i--)
				close(m->fd[i]);
			return err;
		}
	}
	return 0;
}

static inline int make_maps(struct hand_maps *m, int wrong)
{
	return make_maps_flags(m, wrong, -1, 0);
}

static inline void close_maps(struct hand_maps *m)
{
	for (int i = 0; i < HAND_MAPS; i++)
		close(m->fd[i]);
}

/* Put socket @sock in slot @slot of the maps' socket array; 0 or -errno. */
static inline int maps_add_socket(const struct hand_maps *m, __u32 slot, int sock)
{
	__u64 value = sock;

	return bpf_map_update_elem(m->fd[HAND_SOCKS], &slot, &value, BPF_ANY) ? -errno : 0;
}

/* libpcbgroup's ioctl() on PROC_DIR/control (tools/lib/internal.h); 0 or -errno. */
int pcbg_control(unsigned long request, void *arg);

/* ioctl(PCBG_IOC_REGISTER) of the maps; the id or -errno. */
static inline int register_maps(const struct hand_maps *m, __u32 abi, __u32 id)
{
	struct pcbg_register reg = {
		.abi = abi, .cfg_fd = m->fd[0], .group_fd = m->fd[1],
		.socks_fd = m->fd[2], .slots_fd = m->fd[3],
		.slot_cnt_fd = m->fd[4], .stats_fd = m->fd[5], .id = id,
		.cpu_cnt_fd = m->fd[6], .cpu_slots_fd = m->fd[7], .load_fd = m->fd[8],
	};
	int err = pcbg_control(PCBG_IOC_REGISTER, &reg);

	return err ? err : (int)reg.id;
}

/* ioctl(PCBG_IOC_UNREGISTER); 0 or -errno. */
static inline int unregister_group(__u32 id)
{
	return pcbg_control(PCBG_IOC_UNREGISTER, &id);
}

/* The config the maps hold now; 0 or -errno. */
static inline int maps_config(const struct hand_maps *m, struct pcbg_config *cfg)
{
	__u32 key = 0;

	return bpf_map_lookup_elem(m->fd[0], &key, cfg) ? -errno : 0;
}

/* BPF maps in the whole system (needs CAP_SYS_ADMIN). */
static inline int bpf_map_count(void)
{
	__u32 id = 0;
	int n = 0;

	while (!bpf_map_get_next_id(id, &id))
		n++;
	return n;
}

/*
 * The number of BPF maps once the kernel has freed those going (it frees
 * a map after an RCU grace period and a work item): waits up to 10 s for
 * @want, returns the last count.
 */
static inline int bpf_map_count_settled(int want)
{
	int n = bpf_map_count();

	for (int i = 0; i < 100 && n != want; i++) {
		usleep(100000);
		n = bpf_map_count();
	}
	return n;
}

/*
 * The kernel log lines that say the kernel went wrong (none expected):
 * copied into @buf, empty if none.  0, or -1 if dmesg cannot be read.
 */
static inline int kernel_log_errors(char *buf, size_t size)
{
	int rc = run_cmd(buf, size, NULL, 0, "dmesg | grep -E "
			 "'WARNING|BUG|KASAN|UBSAN|Oops|general protection|refcount_t|"
			 "kmemleak|list_(add|del) corruption|lockdep|circular locking'");

	return rc == 0 || rc == 1 ? 0 : -1;
}

/*
 * A steering group of this process's 4 new sockets, made as an operator
 * makes one (pcbgroupctl attach --pid), expected as group @id, and opened.
 */
struct pinned_group {
	int fds[4];
	int ep;
	struct pcbg_group *grp;
};

static inline int make_pinned_group(struct pinned_group *pg, int family, int type,
				    unsigned int id)
{
	char dir[PATH_MAX], err[512];
	int i, rc;

	for (i = 0; i < 4; i++) {
		pg->fds[i] = make_server(family, type, SERVER_PORT);
		if (pg->fds[i] < 0)
			return pg->fds[i];
	}
	rc = run_cmd(NULL, 0, err, sizeof(err),
		     "%s/pcbgroupctl attach --pid %d --proto %s --port %d", build_dir(),
		     getpid(), type == SOCK_DGRAM ? "udp" : "tcp", SERVER_PORT);
	if (rc) {
		fprintf(stderr, "# pcbgroupctl attach: %d: %s\n", rc, err);
		return -EIO;
	}
	group_pin_dir(dir, sizeof(dir), id);
	rc = pcbg_group_open_pinned(&pg->grp, dir);
	if (rc < 0)
		return rc;
	pg->ep = watch_servers(pg->fds, 4);
	return pg->ep < 0 ? pg->ep : 0;
}

#endif
