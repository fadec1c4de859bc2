// SPDX-License-Identifier: GPL-2.0
/*
 * bindwatch: loads bpf/bindwatch.bpf.c, attaches its hooks at the cgroup v2
 * root with bpf_link (so nothing stays behind when the daemon goes), keeps
 * the declared ports in its map and hands the ring buffer's events over.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/vfs.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/magic.h>

#include "bindwatch.h"
#include "tools.h"
#include "bindwatch.skel.h"

#define NR_LINKS	4

struct bindwatch {
	struct bindwatch_bpf *skel;
	struct bpf_program *progs[NR_LINKS];
	struct bpf_link *links[NR_LINKS];
	struct ring_buffer *rb;
	void (*fn)(const struct pcbg_sock_event *e, void *arg);
	void *arg;
};

static int is_cgroup2(const char *path)
{
	struct statfs st;

	return !statfs(path, &st) && st.f_type == CGROUP2_SUPER_MAGIC;
}

/* The cgroup v2 hierarchy's root: where systemd mounts it, else any mount. */
static int cgroup2_root(char *buf, size_t size)
{
	static const char *const known[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };
	struct mntent *m;
	size_t i;
	FILE *f;

	for (i = 0; i < ARRAY_SIZE(known); i++) {
		if (is_cgroup2(known[i])) {
			snprintf(buf, size, "%s", known[i]);
			return 0;
		}
	}
	f = setmntent("/proc/self/mounts", "r");
	if (!f)
		return -errno;
	while ((m = getmntent(f))) {
		if (!strcmp(m->mnt_type, "cgroup2") && is_cgroup2(m->mnt_dir)) {
			snprintf(buf, size, "%s", m->mnt_dir);
			endmntent(f);
			return 0;
		}
	}
	endmntent(f);
	return -ENOENT;
}

static int on_sample(void *ctx, void *data, size_t size)
{
	struct bindwatch *bw = ctx;

	if (size >= sizeof(struct pcbg_sock_event) && bw->fn)
		bw->fn(data, bw->arg);
	return 0;
}

int bindwatch_open(struct bindwatch **bwp)
{
	char root[256];
	struct bindwatch *bw;
	int cg = -1, err, i;

	*bwp = NULL;
	err = cgroup2_root(root, sizeof(root));
	if (err)
		return err;
	bw = calloc(1, sizeof(*bw));
	if (!bw)
		return -ENOMEM;
	bw->skel = bindwatch_bpf__open_and_load();
	if (!bw->skel) {
		err = -errno;
		goto err;
	}
	cg = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg < 0) {
		err = -errno;
		goto err;
	}
	bw->progs[0] = bw->skel->progs.pcbgw_bind4;
	bw->progs[1] = bw->skel->progs.pcbgw_bind6;
	bw->progs[2] = bw->skel->progs.pcbgw_listen;
	bw->progs[3] = bw->skel->progs.pcbgw_release;
	for (i = 0; i < NR_LINKS; i++) {
		bw->links[i] = bpf_program__attach_cgroup(bw->progs[i], cg);
		if (!bw->links[i]) {
			err = -errno;
			goto err;
		}
	}
	close(cg);
	cg = -1;
	bw->rb = ring_buffer__new(bpf_map__fd(bw->skel->maps.pcbgw_events), on_sample, bw,
				  NULL);
	if (!bw->rb) {
		err = -errno;
		goto err;
	}
	*bwp = bw;
	return 0;
err:
	if (cg >= 0)
		close(cg);
	bindwatch_close(bw);
	return err ? err : -EINVAL;
}

void bindwatch_close(struct bindwatch *bw)
{
	int i;

	if (!bw)
		return;
	ring_buffer__free(bw->rb);
	for (i = 0; i < NR_LINKS; i++)
		bpf_link__destroy(bw->links[i]);
	bindwatch_bpf__destroy(bw->skel);
	free(bw);
}

int bindwatch_fd(const struct bindwatch *bw)
{
	return ring_buffer__epoll_fd(bw->rb);
}

/*
 * Every key of map @fd but the @n of @keys (@size bytes each, at most a
 * struct pcbg_watch_key) out; how many went.
 */
static int keep_only(int fd, const void *keys, int n, size_t size)
{
	struct pcbg_watch_key k = {}, next = {};
	int more, gone = 0, i;

	more = !bpf_map_get_next_key(fd, NULL, &k);
	while (more) {
		more = !bpf_map_get_next_key(fd, &k, &next);
		for (i = 0; i < n && memcmp(&k, (const char *)keys + i * size, size); i++)
			;
		if (i == n && !bpf_map_delete_elem(fd, &k))
			gone++;
		k = next;
	}
	return gone;
}

int bindwatch_set_ports(struct bindwatch *bw, const struct pcbg_watch_key *keys, int n)
{
	int fd = bpf_map__fd(bw->skel->maps.pcbgw_ports), i;
	__u32 one = 1;

	if (n < 0 || n > PCBGW_PORTS_MAX)
		return -E2BIG;
	/* the new ports first, then the old ones out: no declared port is missed */
	for (i = 0; i < n; i++)
		if (bpf_map_update_elem(fd, &keys[i], &one, BPF_ANY))
			return -errno;
	keep_only(fd, keys, n, sizeof(*keys));
	return 0;
}

int bindwatch_adopt(struct bindwatch *bw, int fd, pid_t pid, int port, int protocol,
		    int family)
{
	struct pcbg_watch_owner o = {
		.tgid = pid, .uid = (__u32)-1, .port = port, .protocol = protocol,
		.family = family,
	};

	if (!bpf_map_update_elem(bpf_map__fd(bw->skel->maps.pcbgw_owner), &fd, &o,
				 BPF_NOEXIST) || errno == EEXIST)
		return 0;
	return -errno;
}

int bindwatch_drain(struct bindwatch *bw,
		    void (*fn)(const struct pcbg_sock_event *e, void *arg), void *arg)
{
	int n;

	bw->fn = fn;
	bw->arg = arg;
	n = ring_buffer__consume(bw->rb);
	bw->fn = NULL;
	return n;
}

int bindwatch_stats(const struct bindwatch *bw, __u64 stats[PCBGW_STAT_NR])
{
	int fd = bpf_map__fd(bw->skel->maps.pcbgw_stats), ncpus = libbpf_num_possible_cpus();
	__u32 key;
	__u64 *v;
	int c;

	if (ncpus <= 0)
		return ncpus ? ncpus : -EINVAL;
	v = calloc(ncpus, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (key = 0; key < PCBGW_STAT_NR; key++) {
		stats[key] = 0;
		if (bpf_map_lookup_elem(fd, &key, v)) {
			free(v);
			return -errno;
		}
		for (c = 0; c < ncpus; c++)
			stats[key] += v[c];
	}
	free(v);
	return 0;
}

void bindwatch_print_prometheus(const struct bindwatch *bw)
{
	__u64 st[PCBGW_STAT_NR];

	if (bindwatch_stats(bw, st))
		return;
	printf("# HELP pcbgroupd_hook_events_total Joins and leaves the bind-time hooks "
	       "reported since the daemon started.\n"
	       "# TYPE pcbgroupd_hook_events_total counter\n"
	       "pcbgroupd_hook_events_total %llu\n"
	       "# HELP pcbgroupd_hook_events_lost_total Events dropped on a full ring "
	       "buffer: the next sweep finds those sockets.\n"
	       "# TYPE pcbgroupd_hook_events_lost_total counter\n"
	       "pcbgroupd_hook_events_lost_total %llu\n",
	       (unsigned long long)st[PCBGW_STAT_EVENTS],
	       (unsigned long long)st[PCBGW_STAT_LOST]);
}

int bindwatch_prog_ids(const struct bindwatch *bw, __u32 *ids, int max)
{
	struct bpf_prog_info info;
	int i, n = 0;

	for (i = 0; i < NR_LINKS && n < max; i++) {
		__u32 len = sizeof(info);

		memset(&info, 0, sizeof(info));
		if (!bpf_obj_get_info_by_fd(bpf_program__fd(bw->progs[i]), &info, &len))
			ids[n++] = info.id;
	}
	return n;
}

int bindwatch_count_conns(struct bindwatch *bw, struct pcbg_group *grp, const int *fds,
			  int n, __u32 *load_id)
{
	return pcbg_group_count_conns(grp, bpf_map__fd(bw->skel->maps.pcbgw_loads),
				      bpf_map__fd(bw->skel->maps.pcbgw_slot), fds, n, load_id);
}

int bindwatch_keep_loads(struct bindwatch *bw, const __u32 *ids, int n)
{
	return keep_only(bpf_map__fd(bw->skel->maps.pcbgw_loads), ids, n, sizeof(*ids));
}
