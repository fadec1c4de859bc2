// SPDX-License-Identifier: GPL-2.0
/*
 * libpcbgroup: load the pcbg_select program for one SO_REUSEPORT group, fill
 * its socket array, attach it, pin it, and read its counters.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "internal.h"
#include "pcbgroup.skel.h"

_Static_assert(sizeof(struct pcbg_config) == 40, "pcbg_config layout");
_Static_assert(sizeof(struct pcbg_group_info) == 72, "pcbg_group_info layout");
_Static_assert(sizeof(struct pcbg_slot_count) == 24, "pcbg_slot_count layout");
_Static_assert(sizeof(struct pcbg_flow_key) == 36, "pcbg_flow_key layout");
_Static_assert(sizeof(struct pcbg_flow) == 24, "pcbg_flow layout");
_Static_assert(sizeof(struct pcbg_slot) == 32, "pcbg_slot layout");
_Static_assert(sizeof(struct pcbg_sample) == 32, "pcbg_sample layout");

#ifndef SO_DETACH_REUSEPORT_BPF
#define SO_DETACH_REUSEPORT_BPF 68
#endif

static const char *const map_names[PCBG_M_NR] = {
	[PCBG_M_CFG] = PCBG_MAP_CFG,
	[PCBG_M_GROUP] = PCBG_MAP_GROUP,
	[PCBG_M_SOCKS] = PCBG_MAP_SOCKS,
	[PCBG_M_SLOTS] = PCBG_MAP_SLOTS,
	[PCBG_M_SLOT_CNT] = PCBG_MAP_SLOT_STATS,
	[PCBG_M_STATS] = PCBG_MAP_STATS,
	[PCBG_M_SAMPLES] = PCBG_MAP_SAMPLES,
	[PCBG_M_CPU_CNT] = PCBG_MAP_CPU_CNT,
	[PCBG_M_CPU_SLOTS] = PCBG_MAP_CPU_SLOTS,
	[PCBG_M_MEMBERS] = PCBG_MAP_MEMBERS,
	[PCBG_M_MAGLEV] = PCBG_MAP_MAGLEV,
	[PCBG_M_SYNC] = PCBG_MAP_SYNC,
	[PCBG_M_FLOWS] = PCBG_MAP_FLOWS,
};

static const char *const algo_names[PCBG_ALGO_NR] = PCBG_ALGO_NAMES;
static const char *const stat_names[PCBG_STAT_NR] = PCBG_STAT_NAMES;
static const char *const hash_names[PCBG_HASH_NR] = PCBG_HASH_NAMES;

const char *const pcbg_knob_names[] = {
	"tcp_reuseport_ext", "udp_reuseport_ext", "algorithm", "cpu_bits",
	"max_group_size", "stats", "hash_fields", "migrate", "flow_table",
	"flow_timeout", NULL,
};

const char *pcbg_hash_fields_name(__u32 hash_fields)
{
	return hash_fields < PCBG_HASH_NR ? hash_names[hash_fields] : NULL;
}

const char *pcbg_algorithm_name(__u32 algorithm)
{
	return algorithm < PCBG_ALGO_NR ? algo_names[algorithm] : NULL;
}

const char *pcbg_stat_name(__u32 stat)
{
	return stat < PCBG_STAT_NR ? stat_names[stat] : NULL;
}

int pcbg_cpu_bits_auto(void)
{
	int ncpus = libbpf_num_possible_cpus(), bits = 0;

	if (ncpus < 0)
		return ncpus;
	while ((1 << bits) < ncpus && bits < PCBG_CPU_BITS_MAX)
		bits++;
	return bits;
}

void pcbg_config_default(struct pcbg_config *cfg)
{
	int bits = pcbg_cpu_bits_auto();

	memset(cfg, 0, sizeof(*cfg));
	cfg->tcp_reuseport_ext = 1;
	cfg->udp_reuseport_ext = 1;
	cfg->algorithm = PCBG_ALGO_HASH_THRESHOLD;
	cfg->cpu_bits = bits < 0 ? 0 : bits;
	cfg->max_group_size = PCBG_SLOTS_DEFAULT;
	cfg->stats = 1;
	cfg->migrate = 1;
	cfg->flow_timeout = PCBG_FLOW_TIMEOUT_DEFAULT;
}

static int parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* Set *@out to the index of @value in @names (@nr of them); -EINVAL if absent. */
static int parse_name(const char *value, const char *const *names, __u32 nr,
		      __u32 *out)
{
	__u32 i;

	for (i = 0; i < nr; i++) {
		if (!strcmp(value, names[i])) {
			*out = i;
			return 0;
		}
	}
	return -EINVAL;
}

int pcbg_config_set_knob(struct pcbg_config *cfg, const char *name,
			 const char *value)
{
	long v;
	int i;

	if (!strcmp(name, "algorithm"))
		return parse_name(value, algo_names, PCBG_ALGO_NR, &cfg->algorithm);
	if (!strcmp(name, "hash_fields"))
		return parse_name(value, hash_names, PCBG_HASH_NR, &cfg->hash_fields);
	if (!strcmp(name, "cpu_bits")) {
		if (parse_long(value, PCBG_CPU_BITS_AUTO, PCBG_CPU_BITS_MAX, &v))
			return -EINVAL;
		if (v == PCBG_CPU_BITS_AUTO)
			v = pcbg_cpu_bits_auto();
		if (v < 0)
			return v;
		cfg->cpu_bits = v;
		return 0;
	}
	if (!strcmp(name, "flow_timeout")) {
		if (parse_long(value, 1, PCBG_FLOW_TIMEOUT_MAX, &v))
			return -EINVAL;
		cfg->flow_timeout = v;
		return 0;
	}
	if (!strcmp(name, "max_group_size")) {
		if (parse_long(value, 1, PCBG_SLOTS_LIMIT, &v))
			return -EINVAL;
		cfg->max_group_size = v;
		return 0;
	}
	for (i = 0; pcbg_knob_names[i]; i++)
		if (!strcmp(name, pcbg_knob_names[i]))
			break;
	if (!pcbg_knob_names[i])
		return -ENOENT;
	if (parse_long(value, 0, 1, &v))
		return -EINVAL;
	if (!strcmp(name, "tcp_reuseport_ext"))
		cfg->tcp_reuseport_ext = v;
	else if (!strcmp(name, "udp_reuseport_ext"))
		cfg->udp_reuseport_ext = v;
	else if (!strcmp(name, "stats"))
		cfg->stats = v;
	else if (!strcmp(name, "flow_table"))
		cfg->flow_table = v;
	else
		cfg->migrate = v;
	return 0;
}

static int config_valid(const struct pcbg_config *cfg)
{
	return cfg->tcp_reuseport_ext <= 1 && cfg->udp_reuseport_ext <= 1 &&
	       cfg->algorithm < PCBG_ALGO_NR &&
	       cfg->cpu_bits <= PCBG_CPU_BITS_MAX &&
	       cfg->max_group_size >= 1 &&
	       cfg->max_group_size <= PCBG_SLOTS_LIMIT &&
	       cfg->stats <= 1 &&
	       cfg->hash_fields < PCBG_HASH_NR && cfg->migrate <= 1 &&
	       cfg->flow_table <= 1 && cfg->flow_timeout >= 1 &&
	       cfg->flow_timeout <= PCBG_FLOW_TIMEOUT_MAX;
}

static int sockopt_int(int fd, int name, int *val)
{
	socklen_t len = sizeof(*val);

	return getsockopt(fd, SOL_SOCKET, name, val, &len) ? -errno : 0;
}

int pcbg_socket_describe(int fd, struct pcbg_socket_desc *desc)
{
	struct sockaddr_storage ss;
	socklen_t len;
	struct stat st;
	int err;

	memset(desc, 0, sizeof(*desc));
	if (fstat(fd, &st))
		return -errno;
	if (!S_ISSOCK(st.st_mode))
		return -ENOTSOCK;
	desc->inode = st.st_ino;

	if (sockopt_int(fd, SO_INCOMING_CPU, &desc->incoming_cpu))
		desc->incoming_cpu = -1;
	err = sockopt_int(fd, SO_DOMAIN, &desc->family);
	if (!err)
		err = sockopt_int(fd, SO_TYPE, &desc->type);
	if (!err)
		err = sockopt_int(fd, SO_PROTOCOL, &desc->protocol);
	if (!err)
		err = sockopt_int(fd, SO_REUSEPORT, &desc->reuseport);
	if (!err)
		err = sockopt_int(fd, SO_ACCEPTCONN, &desc->listening);
	if (err)
		return err;
	len = sizeof(desc->cookie);
	if (getsockopt(fd, SOL_SOCKET, SO_COOKIE, &desc->cookie, &len))
		return -errno;
	if (desc->family != AF_INET && desc->family != AF_INET6)
		return 0;

	len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return -errno;
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		desc->port = ntohs(sin->sin_port);
		memcpy(desc->addr, &sin->sin_addr, 4);
	} else if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		desc->port = ntohs(sin6->sin6_port);
		memcpy(desc->addr, &sin6->sin6_addr, 16);
	}
	return 0;
}

static struct pcbg_group *group_alloc(void)
{
	struct pcbg_group *grp = calloc(1, sizeof(*grp));
	int i;

	if (!grp)
		return NULL;
	grp->prog_fd = -1;
	grp->sync_inner_fd = -1;
	grp->lock_fd = -1;
	for (i = 0; i < PCBG_M_NR; i++)
		grp->map_fd[i] = -1;
	grp->ncpus = libbpf_num_possible_cpus();
	return grp;
}

void pcbg_group_free(struct pcbg_group *grp)
{
	int i;

	if (!grp)
		return;
	pcbg_fill_forget(grp);
	if (grp->sync_inner_fd >= 0)
		close(grp->sync_inner_fd);
	if (grp->lock_fd >= 0)
		close(grp->lock_fd);	/* and with it the lock */
	if (grp->skel) {
		pcbgroup_bpf__destroy(grp->skel);
	} else {
		if (grp->prog_fd >= 0)
			close(grp->prog_fd);
		for (i = 0; i < PCBG_M_NR; i++)
			if (grp->map_fd[i] >= 0)
				close(grp->map_fd[i]);
	}
	free(grp);
}

__u32 pcbg_flows_size(__u32 capacity)
{
	__u64 n = (__u64)capacity * PCBG_FLOWS_PER_SLOT;

	return n < PCBG_FLOWS_MIN ? PCBG_FLOWS_MIN :
	       n > PCBG_FLOWS_MAX ? PCBG_FLOWS_MAX : n;
}

static int set_capacity(struct pcbgroup_bpf *skel, __u32 capacity, __u32 flows,
			int ncpus)
{
	struct bpf_map *maps[] = {
		skel->maps.pcbg_socks, skel->maps.pcbg_slots,
		skel->maps.pcbg_slot_cnt,
	};
	size_t i;
	int err;

	for (i = 0; i < ARRAY_SIZE(maps); i++) {
		err = bpf_map__set_max_entries(maps[i], capacity);
		if (err)
			return err;
	}
	/* two generations of each derived table (see pcbg_group_info) */
	err = bpf_map__set_max_entries(skel->maps.pcbg_cpu_cnt, 2 * ncpus);
	if (!err)
		err = bpf_map__set_max_entries(skel->maps.pcbg_cpu_slots,
					       2 * ncpus * capacity);
	if (!err)
		err = bpf_map__set_max_entries(skel->maps.pcbg_members, 2 * capacity);
	if (!err)
		err = bpf_map__set_max_entries(skel->maps.pcbg_maglev,
					       2 * PCBG_MAGLEV_WORDS(pcbg_maglev_size(capacity)));
	if (!err)
		err = bpf_map__set_max_entries(skel->maps.pcbg_flows, flows);
	return err;
}

int pcbg_group_create(struct pcbg_group **grpp, __u32 capacity)
{
	return pcbg_group_create_flows(grpp, capacity, 0);
}

int pcbg_group_create_flows(struct pcbg_group **grpp, __u32 capacity,
			    __u32 flows)
{
	struct pcbg_group_info info = {};
	struct pcbg_config cfg;
	struct pcbg_group *grp;
	__u32 zero = 0;
	int err, i;

	if (!capacity)
		capacity = PCBG_SLOTS_DEFAULT;
	if (capacity > PCBG_SLOTS_LIMIT || flows > PCBG_FLOWS_MAX)
		return -E2BIG;
	if (!flows)
		flows = pcbg_flows_size(capacity);
	grp = group_alloc();
	if (!grp)
		return -ENOMEM;
	if (grp->ncpus < 0) {
		err = grp->ncpus;
		goto err_free;
	}
	grp->skel = pcbgroup_bpf__open();
	if (!grp->skel) {
		err = -errno;
		goto err_free;
	}
	err = set_capacity(grp->skel, capacity, flows, grp->ncpus);
	if (err)
		goto err_free;
	err = pcbgroup_bpf__load(grp->skel);
	if (err)
		goto err_free;

	grp->prog_fd = bpf_program__fd(grp->skel->progs.pcbg_select);
	for (i = 0; i < PCBG_M_NR; i++) {
		struct bpf_map *map;

		map = bpf_object__find_map_by_name(grp->skel->obj, map_names[i]);
		if (!map) {
			err = -ENOENT;
			goto err_free;
		}
		grp->map_fd[i] = bpf_map__fd(map);
	}

	pcbg_config_default(&cfg);
	if (getrandom(&info.hash_seed, sizeof(info.hash_seed), 0) != sizeof(info.hash_seed)) {
		err = -errno;
		goto err_free;
	}
	grp->capacity = capacity;
	grp->maglev_size = pcbg_maglev_size(capacity);
	info.capacity = capacity;
	info.nr_cpus = grp->ncpus;
	info.maglev_stride = PCBG_MAGLEV_WORDS(grp->maglev_size);
	if (bpf_map_update_elem(grp->map_fd[PCBG_M_CFG], &zero, &cfg, BPF_ANY) ||
	    bpf_map_update_elem(grp->map_fd[PCBG_M_GROUP], &zero, &info, BPF_ANY)) {
		err = -errno;
		goto err_free;
	}
	*grpp = grp;
	return 0;

err_free:
	pcbg_group_free(grp);
	return err;
}

static int pin_path(char *buf, size_t size, const char *dir, const char *name)
{
	int n = snprintf(buf, size, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int pcbg_fd_is(int fd, const char *kind)
{
	char path[64], link[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return 0;
	link[n] = '\0';
	return !strncmp(link, "anon_inode:", 11) && !strcmp(link + 11, kind);
}

/* A descriptor of pin @name under @dir, checked to be of @kind; -EUCLEAN if not. */
int pcbg_open_pin(const char *dir, const char *name, const char *kind)
{
	char path[PATH_MAX];
	struct stat st;
	int fd, err;

	err = pin_path(path, sizeof(path), dir, name);
	if (err)
		return err;
	fd = bpf_obj_get(path);
	if (fd < 0) {
		err = -errno;
		if (lstat(path, &st))
			return errno == ENOENT ? pcbg_damaged("%s: missing", name) : -errno;
		if (!S_ISREG(st.st_mode))
			return pcbg_damaged("%s: not a pinned object", name);
		return err;
	}
	if (!pcbg_fd_is(fd, kind)) {
		close(fd);
		return pcbg_damaged("%s: not a %s", name,
				    strcmp(kind, "bpf-map") ? "program" : "map");
	}
	return fd;
}

int pcbg_group_open_pinned(struct pcbg_group **grpp, const char *dir)
{
	struct pcbg_group *grp;
	int err, i, fd;

	grp = group_alloc();
	if (!grp)
		return -ENOMEM;
	if (grp->ncpus < 0) {
		err = grp->ncpus;
		goto err_free;
	}
	grp->lock_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (grp->lock_fd < 0) {
		err = -errno;
		goto err_free;
	}
	for (i = -1; i < PCBG_M_NR; i++) {
		fd = pcbg_open_pin(dir, i < 0 ? PCBG_PIN_PROG : map_names[i],
				   i < 0 ? "bpf-prog" : "bpf-map");
		if (fd < 0) {
			err = fd;
			goto err_free;
		}
		if (i < 0)
			grp->prog_fd = fd;
		else
			grp->map_fd[i] = fd;
	}
	err = pcbg_group_validate(grp);
	if (err)
		goto err_free;
	*grpp = grp;
	return 0;

err_free:
	pcbg_group_free(grp);
	return err;
}

int pcbg_group_pin(struct pcbg_group *grp, const char *dir)
{
	char path[PATH_MAX];
	int err, i;

	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	for (i = -1; i < PCBG_M_NR; i++) {
		err = pin_path(path, sizeof(path), dir,
			       i < 0 ? PCBG_PIN_PROG : map_names[i]);
		if (err)
			goto err_unpin;
		if (bpf_obj_pin(i < 0 ? grp->prog_fd : grp->map_fd[i], path)) {
			err = -errno;
			goto err_unpin;
		}
	}
	if (grp->lock_fd < 0) {
		grp->lock_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (grp->lock_fd < 0) {
			err = -errno;
			goto err_unpin;
		}
	}
	return 0;

err_unpin:
	pcbg_unpin(dir);
	return err;
}

int pcbg_unpin(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int i;

	for (i = -1; i < PCBG_M_NR; i++) {
		if (pin_path(path, sizeof(path), dir,
			     i < 0 ? PCBG_PIN_PROG : map_names[i]))
			return -ENAMETOOLONG;
		if (unlink(path) && errno != ENOENT && errno != EISDIR)
			return -errno;
	}
	/* whatever else is there (a damaged group's strays): the directory is ours */
	d = opendir(dir);
	while (d && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (!pin_path(path, sizeof(path), dir, de->d_name) && unlink(path))
			rmdir(path);	/* an empty directory; else rmdir(dir) says */
	}
	if (d)
		closedir(d);
	if (rmdir(dir) && errno != ENOENT)
		return -errno;
	return 0;
}

int pcbg_group_config(const struct pcbg_group *grp, struct pcbg_config *cfg)
{
	__u32 zero = 0;

	if (bpf_map_lookup_elem(grp->map_fd[PCBG_M_CFG], &zero, cfg))
		return -errno;
	return pcbg_check_config(cfg);
}

int pcbg_group_set_config(struct pcbg_group *grp, const struct pcbg_config *cfg)
{
	__u32 zero = 0;
	int err;

	if (!config_valid(cfg))
		return -EINVAL;
	err = pcbg_group_lock(grp);
	if (err)
		return err;
	if (bpf_map_update_elem(grp->map_fd[PCBG_M_CFG], &zero, cfg, BPF_ANY))
		err = -errno;
	pcbg_group_unlock(grp);
	return err;
}

int pcbg_group_set_samples(struct pcbg_group *grp, int on)
{
	struct pcbg_group_info info;
	__u32 zero = 0;
	int err;

	if (on != 0 && on != 1)
		return -EINVAL;
	err = pcbg_group_lock(grp);
	if (err)
		return err;
	err = pcbg_group_info(grp, &info);
	if (!err) {
		info.samples = on;
		if (bpf_map_update_elem(grp->map_fd[PCBG_M_GROUP], &zero, &info, BPF_ANY))
			err = -errno;
	}
	pcbg_group_unlock(grp);
	return err;
}

/*
 * flock() is held per open file description: the handle's own descriptor
 * of the pin directory.  A group not pinned yet has no other writer.
 */
int pcbg_group_lock(struct pcbg_group *grp)
{
	if (grp->lock_depth++ || grp->lock_fd < 0)
		return 0;
	if (flock(grp->lock_fd, LOCK_EX)) {
		grp->lock_depth--;
		return -errno;
	}
	return 0;
}

void pcbg_group_unlock(struct pcbg_group *grp)
{
	if (grp->lock_depth && !--grp->lock_depth && grp->lock_fd >= 0)
		flock(grp->lock_fd, LOCK_UN);
}

/* Checked at every read: another writer may have put anything there. */
int pcbg_group_info(const struct pcbg_group *grp, struct pcbg_group_info *info)
{
	__u32 zero = 0;

	if (bpf_map_lookup_elem(grp->map_fd[PCBG_M_GROUP], &zero, info))
		return -errno;
	return pcbg_check_info(grp, info);
}

int pcbg_group_slot(const struct pcbg_group *grp, __u32 slot, struct pcbg_slot *s)
{
	return bpf_map_lookup_elem(grp->map_fd[PCBG_M_SLOTS], &slot, s) ? -errno : 0;
}

int pcbg_slot_cookie(const struct pcbg_group *grp, __u32 slot, __u64 *cookie)
{
	/* From user space a REUSEPORT_SOCKARRAY lookup returns the cookie. */
	if (!bpf_map_lookup_elem(grp->map_fd[PCBG_M_SOCKS], &slot, cookie))
		return 1;
	return errno == ENOENT ? 0 : -errno;
}

int pcbg_group_slot_live(const struct pcbg_group *grp, __u32 slot)
{
	__u64 cookie;

	return pcbg_slot_cookie(grp, slot, &cookie);
}

/* The value of @key for every CPU (@cpu < 0), or for one CPU. */
static int read_percpu(const struct pcbg_group *grp, int map, __u32 key,
		       int cpu, __u64 *out)
{
	__u64 *vals = calloc(grp->ncpus, sizeof(*vals));
	int i, err = 0;

	if (!vals)
		return -ENOMEM;
	*out = 0;
	if (bpf_map_lookup_elem(grp->map_fd[map], &key, vals))
		err = -errno;
	for (i = 0; !err && i < grp->ncpus; i++)
		if (cpu < 0 || cpu == i)
			*out += vals[i];
	free(vals);
	return err;
}

/*
 * The counters of @slot, for every CPU (@cpu < 0) or one; a slot past the
 * map's end reads as zero.
 */
static int slot_count(const struct pcbg_group *grp, __u32 slot, int cpu,
		      struct pcbg_slot_count *out)
{
	struct pcbg_slot_count *vals = calloc(grp->ncpus, sizeof(*vals));
	int i, err = 0;

	if (!vals)
		return -ENOMEM;
	memset(out, 0, sizeof(*out));
	if (bpf_map_lookup_elem(grp->map_fd[PCBG_M_SLOT_CNT], &slot, vals))
		err = errno == ENOENT ? 0 : -errno;
	for (i = 0; !err && i < grp->ncpus; i++) {
		if (cpu < 0 || cpu == i) {
			out->selected += vals[i].selected;
			out->cpu_local += vals[i].cpu_local;
			out->flow_hit += vals[i].flow_hit;
		}
	}
	free(vals);
	return err;
}

int pcbg_group_slot_selected(const struct pcbg_group *grp, __u32 slot,
			     __u64 *selected)
{
	struct pcbg_slot_count c;
	int err = slot_count(grp, slot, -1, &c);

	*selected = c.selected;
	return err;
}

int pcbg_group_cpu_stats(const struct pcbg_group *grp, int cpu,
			 __u64 stats[PCBG_STAT_NR])
{
	struct pcbg_group_info info;
	struct pcbg_slot_count c;
	__u32 i;
	int err;

	if (cpu >= grp->ncpus)
		return -EINVAL;
	for (i = 0; i < PCBG_STAT_NR; i++) {
		err = read_percpu(grp, PCBG_M_STATS, i, cpu, &stats[i]);
		if (err)
			return err;
	}
	/* a selection is counted in its slot only (see enum pcbg_stat) */
	err = pcbg_group_info(grp, &info);
	if (err)
		return err;
	stats[PCBG_STAT_SELECTED] = 0;
	stats[PCBG_STAT_CPU_LOCAL] = 0;
	stats[PCBG_STAT_FLOW_HIT] = 0;
	for (i = 0; i < info.nr_slots && i < info.capacity; i++) {
		err = slot_count(grp, i, cpu, &c);
		if (err)
			return err;
		stats[PCBG_STAT_SELECTED] += c.selected;
		stats[PCBG_STAT_CPU_LOCAL] += c.cpu_local;
		stats[PCBG_STAT_FLOW_HIT] += c.flow_hit;
	}
	/* the program cannot see an eviction: entered and no longer there */
	stats[PCBG_STAT_FLOW_EVICTED] = 0;
	if (cpu < 0) {
		err = pcbg_group_flows(grp, NULL, 0);
		if (err < 0)
			return err;
		if (stats[PCBG_STAT_FLOW_NEW] > (__u64)err)
			stats[PCBG_STAT_FLOW_EVICTED] = stats[PCBG_STAT_FLOW_NEW] - err;
	}
	return 0;
}

int pcbg_group_flows(const struct pcbg_group *grp, __u32 *live, __u32 nr_slots)
{
	struct pcbg_flow_key key, next;
	struct pcbg_config cfg;
	struct pcbg_flow f;
	struct timespec ts;
	__u64 now, *cookies = NULL;
	__u32 slot;
	int err, n = 0, first = 1;

	if (live) {
		memset(live, 0, nr_slots * sizeof(*live));
		err = pcbg_group_config(grp, &cfg);
		if (err)
			return err;
		cookies = calloc(nr_slots + 1, sizeof(*cookies));
		if (!cookies)
			return -ENOMEM;
		/* the socket in each slot now; 0: none */
		for (slot = 0; slot < nr_slots; slot++) {
			err = pcbg_slot_cookie(grp, slot, &cookies[slot]);
			if (err < 0)
				goto out;
			if (!err)
				cookies[slot] = 0;
		}
	}
	/* the program's clock: ktime_get_coarse_ns() is CLOCK_MONOTONIC_COARSE */
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	now = (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
	err = 0;
	while (!bpf_map_get_next_key(grp->map_fd[PCBG_M_FLOWS], first ? NULL : &key,
				     &next)) {
		first = 0;
		key = next;
		if (bpf_map_lookup_elem(grp->map_fd[PCBG_M_FLOWS], &key, &f))
			continue;	/* evicted meanwhile */
		n++;
		if (!live || f.slot >= nr_slots || !cookies[f.slot] ||
		    cookies[f.slot] != f.cookie ||
		    (now > f.seen && now - f.seen > (__u64)cfg.flow_timeout * 1000000000ULL))
			continue;
		live[f.slot]++;
	}
	if (errno != ENOENT)
		err = -errno;
out:
	free(cookies);
	return err ? err : n;
}

int pcbg_group_stats(const struct pcbg_group *grp, __u64 stats[PCBG_STAT_NR])
{
	return pcbg_group_cpu_stats(grp, -1, stats);
}

__u64 pcbg_fallbacks(const __u64 stats[PCBG_STAT_NR])
{
	return stats[PCBG_STAT_FALLBACK_OFF] + stats[PCBG_STAT_FALLBACK_EMPTY] +
	       stats[PCBG_STAT_FALLBACK_MISS];
}

int pcbg_group_nr_cpus(const struct pcbg_group *grp)
{
	return grp->ncpus;
}

int pcbg_group_cpu_table(const struct pcbg_group *grp, int cpu, __u32 *slots,
			 size_t max)
{
	struct pcbg_group_info info;
	__u32 t, n, i, key;
	int err;

	if (cpu < 0 || cpu >= grp->ncpus)
		return -EINVAL;
	err = pcbg_group_info(grp, &info);
	if (err)
		return err;
	t = (info.gen & 1) * info.nr_cpus + cpu;
	if (bpf_map_lookup_elem(grp->map_fd[PCBG_M_CPU_CNT], &t, &n))
		return -errno;
	if (n > info.capacity)
		return pcbg_damaged("pcbg_cpu_cnt: CPU %d has %u slots, above capacity %u",
				    cpu, n, info.capacity);
	for (i = 0; i < n && i < max; i++) {
		key = t * info.capacity + i;
		if (bpf_map_lookup_elem(grp->map_fd[PCBG_M_CPU_SLOTS], &key, &slots[i]))
			return -errno;
	}
	return n;
}

static int clear_percpu(const struct pcbg_group *grp, int map, __u32 nr,
			size_t value_size)
{
	void *zeros = calloc(grp->ncpus, value_size);
	int err = 0;
	__u32 key;

	if (!zeros)
		return -ENOMEM;
	for (key = 0; key < nr && !err; key++)
		if (bpf_map_update_elem(grp->map_fd[map], &key, zeros, BPF_ANY))
			err = -errno;
	free(zeros);
	return err;
}

/*
 * flow_evicted is flow_new - the entries in the table: flow_new restarts
 * from those entries, not from 0, so that evictions restart from 0.
 */
static int restart_flow_new(struct pcbg_group *grp)
{
	__u32 key = PCBG_STAT_FLOW_NEW;
	__u64 *vals;
	int n, err = 0;

	n = pcbg_group_flows(grp, NULL, 0);
	if (n <= 0)
		return n;
	vals = calloc(grp->ncpus, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	vals[0] = n;
	if (bpf_map_update_elem(grp->map_fd[PCBG_M_STATS], &key, vals, BPF_ANY))
		err = -errno;
	free(vals);
	return err;
}

int pcbg_group_reset_stats(struct pcbg_group *grp)
{
	struct pcbg_group_info info;
	int err;

	err = pcbg_group_lock(grp);
	if (err)
		return err;
	err = pcbg_group_info(grp, &info);
	if (!err)
		err = clear_percpu(grp, PCBG_M_SLOT_CNT, info.capacity,
				   sizeof(struct pcbg_slot_count));
	if (!err)
		err = clear_percpu(grp, PCBG_M_STATS, PCBG_STAT_NR, sizeof(__u64));
	if (!err)
		err = clear_percpu(grp, PCBG_M_SAMPLES, PCBG_SAMPLES_NR + 1,
				   sizeof(struct pcbg_sample));
	if (!err)
		err = restart_flow_new(grp);
	pcbg_group_unlock(grp);
	return err;
}

int pcbg_group_samples(const struct pcbg_group *grp, struct pcbg_sample *out,
		       size_t max)
{
	struct pcbg_sample *ring;
	size_t n = 0;
	__u32 key;
	int cpu;

	ring = calloc((size_t)grp->ncpus * (PCBG_SAMPLES_NR + 1), sizeof(*ring));
	if (!ring)
		return -ENOMEM;
	for (key = 0; key <= PCBG_SAMPLES_NR; key++) {
		if (bpf_map_lookup_elem(grp->map_fd[PCBG_M_SAMPLES], &key,
					&ring[(size_t)key * grp->ncpus])) {
			free(ring);
			return -errno;
		}
	}
	for (cpu = 0; cpu < grp->ncpus; cpu++) {
		__u32 count = ring[(size_t)PCBG_SAMPLES_NR * grp->ncpus + cpu].seq;
		__u32 first = count > PCBG_SAMPLES_NR ? count - PCBG_SAMPLES_NR : 0;
		__u32 seq;

		for (seq = first; seq < count && n < max; seq++)
			out[n++] = ring[(size_t)(seq % PCBG_SAMPLES_NR) * grp->ncpus + cpu];
	}
	free(ring);
	return n;
}

int pcbg_group_attach(struct pcbg_group *grp, int fd)
{
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_EBPF, &grp->prog_fd,
		       sizeof(grp->prog_fd)))
		return -errno;
	return 0;
}

int pcbg_detach(int fd)
{
	int dummy = 0;

	if (setsockopt(fd, SOL_SOCKET, SO_DETACH_REUSEPORT_BPF, &dummy,
		       sizeof(dummy)))
		return -errno;
	return 0;
}

static const char control_path[] = "/proc/net/" PCBG_PROC_DIR "/" PCBG_PROC_CONTROL;

int pcbg_module_loaded(void)
{
	return access(control_path, F_OK) == 0;
}

int pcbg_group_register(struct pcbg_group *grp, __u32 id)
{
	struct pcbg_register reg = {
		.abi = PCBG_ABI_VERSION,
		.cfg_fd = grp->map_fd[PCBG_M_CFG],
		.group_fd = grp->map_fd[PCBG_M_GROUP],
		.socks_fd = grp->map_fd[PCBG_M_SOCKS],
		.slots_fd = grp->map_fd[PCBG_M_SLOTS],
		.slot_cnt_fd = grp->map_fd[PCBG_M_SLOT_CNT],
		.stats_fd = grp->map_fd[PCBG_M_STATS],
		.cpu_cnt_fd = grp->map_fd[PCBG_M_CPU_CNT],
		.cpu_slots_fd = grp->map_fd[PCBG_M_CPU_SLOTS],
		.id = id,
	};
	int fd, err = 0;

	/* 0444: the module checks CAP_NET_ADMIN itself (unshare -Urn too) */
	fd = open(control_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, PCBG_IOC_REGISTER, &reg))
		err = -errno;
	close(fd);
	return err ? err : (int)reg.id;
}
