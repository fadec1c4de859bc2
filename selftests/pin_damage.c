// SPDX-License-Identifier: GPL-2.0
/*
 * Damaged pins (80 kinds: a pin deleted, a map of another type, value size
 * or size in its place, maps swapped, another group's map, a program for a
 * map and back, a directory, every field of the group and config out of
 * bounds) on the middle one of three groups of real servers, with
 * pcbgroupctl built with ASan and UBSan (see fuzz.h).  Every command that
 * reads the group says "group 2: damaged: ...", exits 1 and changes no
 * group, not even "set" over all of them; none crashes or hangs; "detach 2"
 * removes it all; and its sockets can be attached again.
 */
#include "fuzz.h"

#define GROUPS		3
#define VICTIM		"2"
/* The damaged group's directory, in this network namespace's pin root. */
static const char *victim_dir(void)
{
	static char dir[PATH_MAX + 16];

	snprintf(dir, sizeof(dir), "%s/%s", netns_pin_root(), VICTIM);
	return dir;
}

#define VICTIM_DIR	victim_dir()
#define CAPACITY	"16"
#define SNAP_MAX	16384

enum kind {
	DELETE,		/* the pin is gone */
	OTHER_TYPE,	/* a map of another type, same sizes */
	VALUE_SIZE,	/* the type, a larger (or for the socket array, smaller) value */
	ENTRIES,	/* the type and sizes, 2n + 1 entries */
	NOT_MMAPABLE,	/* a table without BPF_F_MMAPABLE */
	SWAP,		/* two pins swapped */
	FOREIGN,	/* group 1's map of that name */
	PROG_IS_MAP,	/* pcbg_cfg pinned as the program */
	MAP_IS_PROG,	/* the program pinned as that map */
	DIRECTORY,	/* a directory in place of the pin */
	EMPTY_DIR,	/* every pin gone */
	INFO,		/* a pcbg_group_info field set to @value */
	CONFIG,		/* a pcbg_config field set to @value */
	CPU_COUNT,	/* the current generation's CPU 0 table size */
};

struct damage {
	enum kind kind;
	const char *pin;	/* or the field */
	const char *other;	/* SWAP: the other pin */
	__u32 value;
};

static const char *const maps[] = {
	PCBG_MAP_CFG, PCBG_MAP_GROUP, PCBG_MAP_SOCKS, PCBG_MAP_SLOTS,
	PCBG_MAP_SLOT_STATS, PCBG_MAP_STATS, PCBG_MAP_SAMPLES, PCBG_MAP_CPU_CNT,
	PCBG_MAP_CPU_SLOTS, PCBG_MAP_MEMBERS, PCBG_MAP_MAGLEV, PCBG_MAP_SYNC,
	PCBG_MAP_WTABLE,
};

/* Every map deleted, of another type, value size and size; and these. */
static const struct damage special[] = {
	{ DELETE, PCBG_PIN_PROG },
	{ NOT_MMAPABLE, PCBG_MAP_MEMBERS }, { NOT_MMAPABLE, PCBG_MAP_MAGLEV },
	{ NOT_MMAPABLE, PCBG_MAP_WTABLE },
	{ SWAP, PCBG_MAP_MEMBERS, PCBG_MAP_CPU_SLOTS }, { SWAP, PCBG_MAP_CFG, PCBG_MAP_GROUP },
	{ SWAP, PCBG_MAP_STATS, PCBG_MAP_SLOT_STATS }, { SWAP, PCBG_MAP_SOCKS, PCBG_MAP_SLOTS },
	{ FOREIGN, PCBG_MAP_CFG }, { FOREIGN, PCBG_MAP_SOCKS }, { FOREIGN, PCBG_MAP_GROUP },
	{ FOREIGN, PCBG_MAP_MEMBERS },
	{ PROG_IS_MAP, PCBG_PIN_PROG }, { MAP_IS_PROG, PCBG_MAP_STATS },
	{ DIRECTORY, PCBG_MAP_SLOTS }, { DIRECTORY, PCBG_PIN_PROG }, { EMPTY_DIR, "" },
	{ INFO, "nr_slots", NULL, 0xffffffff }, { INFO, "nr_slots", NULL, 17 },
	{ INFO, "capacity", NULL, 0 }, { INFO, "capacity", NULL, 0xffffffff },
	{ INFO, "nr_cpus", NULL, 0 }, { INFO, "nr_cpus", NULL, 0xffffffff },
	{ INFO, "gen", NULL, 2 }, { INFO, "gen", NULL, 0xffffffff },
	{ INFO, "nr_members0", NULL, 0xffffffff }, { INFO, "nr_members1", NULL, 3 },
	{ INFO, "maglev_stride", NULL, 0 }, { INFO, "maglev_size", NULL, 0xffffffff },
	{ INFO, "maglev_size1", NULL, 0xfffffff },
	{ INFO, "samples", NULL, 7 }, { INFO, "weighted", NULL, 4 },
	{ INFO, "family", NULL, 0xffff },
	{ INFO, "protocol", NULL, 0xffff },
	{ CONFIG, "algorithm", NULL, 0xffffffff }, { CONFIG, "cpu_bits", NULL, 99 },
	{ CONFIG, "max_group_size", NULL, 0 }, { CONFIG, "max_group_size", NULL, 0xffffffff },
	{ CONFIG, "hash_fields", NULL, 9 }, { CONFIG, "stats", NULL, 2 },
	{ CONFIG, "migrate", NULL, 3 }, { CONFIG, "tcp_reuseport_ext", NULL, 5 },
	{ CPU_COUNT, "", NULL, 0xffffffff },
};

/* The whole list: @out has room for all; returns how many. */
static int all_damages(struct damage *out)
{
	static const enum kind per_map[] = { DELETE, OTHER_TYPE, VALUE_SIZE, ENTRIES };
	size_t m, k;
	int n = 0;

	for (k = 0; k < ARRAY_SIZE(per_map); k++) {
		for (m = 0; m < ARRAY_SIZE(maps); m++) {
			/* an ARRAY_OF_MAPS of another value or size needs no test of its own */
			if (!strcmp(maps[m], PCBG_MAP_SYNC) && per_map[k] >= VALUE_SIZE)
				continue;
			out[n++] = (struct damage){ per_map[k], maps[m] };
		}
	}
	for (k = 0; k < ARRAY_SIZE(special); k++)
		out[n++] = special[k];
	return n;
}

static void path_of(char *buf, size_t size, const char *dir, const char *pin)
{
	snprintf(buf, size, "%s/%s", dir, pin);
}

/* Replace pin @pin of the victim by a new map of that shape. */
static int replace_map(const char *pin, __u32 type, __u32 key, __u32 value, __u32 entries,
		       __u32 flags)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = flags);
	char path[PATH_MAX];
	int fd, inner = -1, err;

	if (type == BPF_MAP_TYPE_ARRAY_OF_MAPS) {
		inner = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 4, 1, NULL);
		opts.inner_map_fd = inner;
	}
	path_of(path, sizeof(path), VICTIM_DIR, pin);
	fd = bpf_map_create(type, pin, key, value, entries, &opts);
	if (inner >= 0)
		close(inner);
	if (fd < 0)
		return -errno;
	unlink(path);
	err = bpf_obj_pin(fd, path) ? -errno : 0;
	close(fd);
	return err;
}

static int pinned_info(const char *dir, const char *pin, struct bpf_map_info *info)
{
	__u32 len = sizeof(*info);
	char path[PATH_MAX];
	int fd, err;

	path_of(path, sizeof(path), dir, pin);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	memset(info, 0, sizeof(*info));
	err = bpf_obj_get_info_by_fd(fd, info, &len) ? -errno : 0;
	close(fd);
	return err;
}

/* Pin the object at @from as @to (replacing it). */
static int repin(const char *from, const char *to)
{
	int fd = bpf_obj_get(from), err;

	if (fd < 0)
		return -errno;
	unlink(to);
	err = bpf_obj_pin(fd, to) ? -errno : 0;
	close(fd);
	return err;
}

/* Change one __u32 (or __u16) field of the single entry of map @pin. */
static int poke(const char *pin, size_t off, size_t width, __u32 value, size_t size)
{
	char path[PATH_MAX], val[256];
	__u32 zero = 0;
	int fd, err;

	path_of(path, sizeof(path), VICTIM_DIR, pin);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	err = bpf_map_lookup_elem(fd, &zero, val) ? -errno : 0;
	if (!err) {
		if (width == 2)
			*(__u16 *)(val + off) = value;
		else
			*(__u32 *)(val + off) = value;
		err = bpf_map_update_elem(fd, &zero, val, BPF_ANY) ? -errno : 0;
	}
	close(fd);
	(void)size;
	return err;
}

#define INFO_FIELD(f, w) { #f, offsetof(struct pcbg_group_info, f), w }
#define CFG_FIELD(f) { #f, offsetof(struct pcbg_config, f), 4 }

static int poke_field(int config, const char *field, __u32 value)
{
	static const struct { const char *name; size_t off, width; } info_fields[] = {
		INFO_FIELD(nr_slots, 4), INFO_FIELD(capacity, 4), INFO_FIELD(nr_cpus, 4),
		INFO_FIELD(gen, 4),
		{ "nr_members0", offsetof(struct pcbg_group_info, nr_members), 4 },
		{ "nr_members1", offsetof(struct pcbg_group_info, nr_members) + 4, 4 },
		{ "maglev_size", offsetof(struct pcbg_group_info, maglev_size), 4 },
		{ "maglev_size1", offsetof(struct pcbg_group_info, maglev_size) + 4, 4 },
		INFO_FIELD(maglev_stride, 4), INFO_FIELD(samples, 4), INFO_FIELD(weighted, 4),
		INFO_FIELD(family, 2),
		INFO_FIELD(protocol, 2),
	}, cfg_fields[] = {
		CFG_FIELD(tcp_reuseport_ext), CFG_FIELD(algorithm), CFG_FIELD(cpu_bits),
		CFG_FIELD(max_group_size), CFG_FIELD(stats), CFG_FIELD(hash_fields),
		CFG_FIELD(migrate),
	};
	size_t i;

	if (config) {
		for (i = 0; i < ARRAY_SIZE(cfg_fields); i++)
			if (!strcmp(field, cfg_fields[i].name))
				return poke(PCBG_MAP_CFG, cfg_fields[i].off, cfg_fields[i].width,
					    value, sizeof(struct pcbg_config));
	} else {
		for (i = 0; i < ARRAY_SIZE(info_fields); i++)
			if (!strcmp(field, info_fields[i].name))
				return poke(PCBG_MAP_GROUP, info_fields[i].off,
					    info_fields[i].width, value,
					    sizeof(struct pcbg_group_info));
	}
	return -ENOENT;
}

static int apply(const struct damage *d)
{
	char path[PATH_MAX], other[PATH_MAX], tmp[PATH_MAX];
	struct bpf_map_info mi;
	__u32 type, value, key;
	int err, i;

	path_of(path, sizeof(path), VICTIM_DIR, d->pin);
	switch (d->kind) {
	case DELETE:
		return unlink(path) ? -errno : 0;
	case OTHER_TYPE:
	case VALUE_SIZE:
	case ENTRIES:
	case NOT_MMAPABLE:
		err = pinned_info(VICTIM_DIR, d->pin, &mi);
		if (err)
			return err;
		type = mi.type;
		value = mi.value_size;
		if (d->kind == OTHER_TYPE) {
			type = type == BPF_MAP_TYPE_ARRAY ? BPF_MAP_TYPE_PERCPU_ARRAY :
							    BPF_MAP_TYPE_ARRAY;
			if (mi.type == BPF_MAP_TYPE_ARRAY_OF_MAPS)
				mi.map_flags = 0;
			mi.map_flags &= ~BPF_F_MMAPABLE;
		} else if (d->kind == VALUE_SIZE) {
			value = type == BPF_MAP_TYPE_REUSEPORT_SOCKARRAY ? 4 : 4096;
		} else if (d->kind == ENTRIES) {
			mi.max_entries = 2 * mi.max_entries + 1;
		} else {
			mi.map_flags &= ~BPF_F_MMAPABLE;
		}
		return replace_map(d->pin, type, mi.key_size, value, mi.max_entries,
				   mi.map_flags);
	case SWAP:
		path_of(other, sizeof(other), VICTIM_DIR, d->other);
		path_of(tmp, sizeof(tmp), VICTIM_DIR, "swap");
		if (rename(path, tmp) || rename(other, path) || rename(tmp, other))
			return -errno;
		return 0;
	case FOREIGN:
		char first[PATH_MAX];

		group_pin_dir(first, sizeof(first), 1);
		path_of(other, sizeof(other), first, d->pin);
		return repin(other, path);
	case PROG_IS_MAP:
		path_of(other, sizeof(other), VICTIM_DIR, PCBG_MAP_CFG);
		return repin(other, path);
	case MAP_IS_PROG:
		path_of(other, sizeof(other), VICTIM_DIR, PCBG_PIN_PROG);
		return repin(other, path);
	case DIRECTORY:
		if (unlink(path) || mkdir(path, 0700))
			return -errno;
		return 0;
	case EMPTY_DIR:
		for (i = 0; i < (int)ARRAY_SIZE(maps); i++) {
			path_of(path, sizeof(path), VICTIM_DIR, maps[i]);
			unlink(path);
		}
		path_of(path, sizeof(path), VICTIM_DIR, PCBG_PIN_PROG);
		return unlink(path) ? -errno : 0;
	case INFO:
	case CONFIG:
		return poke_field(d->kind == CONFIG, d->pin, d->value);
	case CPU_COUNT: {
		struct pcbg_group_info info;
		__u32 zero = 0;
		int fd;

		path_of(path, sizeof(path), VICTIM_DIR, PCBG_MAP_GROUP);
		fd = bpf_obj_get(path);
		if (fd < 0 || bpf_map_lookup_elem(fd, &zero, &info))
			return -errno;
		close(fd);
		key = info.gen * info.nr_cpus;
		path_of(path, sizeof(path), VICTIM_DIR, PCBG_MAP_CPU_CNT);
		fd = bpf_obj_get(path);
		if (fd < 0)
			return -errno;
		err = bpf_map_update_elem(fd, &key, &d->value, BPF_ANY) ? -errno : 0;
		close(fd);
		return err;
	}
	}
	return -EINVAL;
}

static const char *describe(const struct damage *d)
{
	static const char *const kinds[] = {
		"deleted", "of another type", "of another value size", "of another size",
		"not mmapable", "swapped with", "of group 1", "a map as the program",
		"the program as a map", "a directory", "every pin deleted", "field",
		"config field", "CPU 0 table size",
	};
	static char buf[128];

	snprintf(buf, sizeof(buf), "%s %s %s %#x", d->pin, kinds[d->kind],
		 d->other ? d->other : "", d->value);
	return buf;
}

/* The lines of @snap but the victim's. */
static void without_victim(char *out, size_t size, const char *snap)
{
	const char *line, *nl;
	size_t len = 0;

	out[0] = '\0';
	for (line = snap; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)
			break;
		if (strncmp(line, "group " VICTIM ":", 8) && len + (nl - line) + 2 < size) {
			memcpy(out + len, line, nl - line + 1);
			len += nl - line + 1;
			out[len] = '\0';
		}
	}
}

FIXTURE(damage) {
	pid_t servers[GROUPS];
	char pids[GROUPS][16];
	char healthy[SNAP_MAX], before[SNAP_MAX], after[SNAP_MAX], rest[SNAP_MAX];
	struct run run;
};

static int attach(struct run *run, char *pid)
{
	char *const argv[] = { "pcbgroupctl", "attach", "--pid", pid, "--capacity",
			       CAPACITY, NULL };

	ctl_run(run, argv, 0);
	return run->status;
}

/* Server @i: group 2's is TCP, the others UDP. */
static pid_t start(pid_t *server, char *pid, int i)
{
	*server = start_echo_server("", NULL, NULL, "-t %s -w 2 -p 0",
				    i == 1 ? "tcp" : "udp");
	snprintf(pid, 16, "%d", *server);
	return *server;
}

FIXTURE_SETUP(damage)
{
	int i;

	ASSERT_EQ(0, setup_namespaces());
	for (i = 0; i < GROUPS; i++) {
		ASSERT_LT(0, start(&self->servers[i], self->pids[i], i));
		ASSERT_EQ(0, attach(&self->run, self->pids[i])) TH_LOG("%s", self->run.err);
	}
}

FIXTURE_TEARDOWN(damage)
{
	int i;

	for (i = 0; i < GROUPS; i++) {
		if (self->servers[i] > 0) {
			kill(self->servers[i], SIGKILL);
			waitpid(self->servers[i], NULL, 0);
		}
	}
}

/* Commands that read group 2: each must say it is damaged and change nothing. */
static const char *const reads[][8] = {
	{ "pcbgroupctl", "show", NULL },
	{ "pcbgroupctl", "show", VICTIM, NULL },
	{ "pcbgroupctl", "show", "-j", NULL },
	{ "pcbgroupctl", "show", "--cpus", "--samples", VICTIM, NULL },
	{ "pcbgroupctl", "set", "algorithm=modulo", "cpu_bits=0", NULL },
	{ "pcbgroupctl", "set", "samples=1", NULL },
	{ "pcbgroupctl", "set", "--group", VICTIM, "stats=0", NULL },
	{ "pcbgroupctl", "drain", VICTIM, "0", NULL },
	{ "pcbgroupctl", "undrain", VICTIM, "1", NULL },
	{ "pcbgroupctl", "pin", VICTIM, "0", "0", NULL },
	{ "pcbgroupctl", "rebalance", VICTIM, NULL },
};

TEST_F_TIMEOUT(damage, every_command_refuses_and_detach_cleans_up, 900)
{
	static char *const detach[] = { "pcbgroupctl", "detach", VICTIM, NULL };
	struct damage damages[4 * ARRAY_SIZE(maps) + ARRAY_SIZE(special)];
	int d, c, bad = 0, runs = 0, err, nr = all_damages(damages);
	const char *why;

	snapshot(self->healthy, SNAP_MAX, 2);
	for (d = 0; d < nr && bad < 10; d++) {
		char *argv[8];

		err = apply(&damages[d]);
		ASSERT_EQ(0, err) TH_LOG("damage %s: %s", describe(&damages[d]), strerror(-err));
		snapshot(self->before, SNAP_MAX, 2);
		for (c = 0; c < (int)ARRAY_SIZE(reads); c++) {
			/* const dropped: the child copies it */
			memcpy(argv, reads[c], sizeof(argv));
			ctl_run(&self->run, argv, 0);
			runs++;
			why = judge_run(&self->run, 0);
			if (!why && self->run.status != 1)
				why = "exit status not 1";
			if (!why && !strstr(self->run.err, "group " VICTIM ": damaged: "))
				why = "not reported as damaged";
			snapshot(self->after, SNAP_MAX, 2);
			if (!why && strcmp(self->before, self->after))
				why = "a group changed";
			if (why) {
				bad++;
				TH_LOG("%s: %s: %s (exit %d, signal %d)", describe(&damages[d]),
				       show_argv(argv), why, self->run.status, self->run.signal);
				TH_LOG("stderr: %.1500s\nbefore: %s\nafter: %s", self->run.err,
				       self->before, self->after);
			}
		}
		/* every 4th detach is the ASan binary itself, with leak checks */
		ctl_run(&self->run, detach, d % 4 == 0);
		runs++;
		why = judge_run(&self->run, 0);
		if (!why && self->run.status)
			why = "detach failed";
		if (!why && strncmp(self->run.out, "group " VICTIM ": detached (damaged: ", 28))
			why = "detach did not say it was damaged";
		if (!why && !access(VICTIM_DIR, F_OK))
			why = "the pin directory is left";
		snapshot(self->after, SNAP_MAX, 2);
		without_victim(self->rest, SNAP_MAX, self->healthy);
		if (!why && strcmp(self->rest, self->after))
			why = "another group changed";
		if (damages[d].kind == EMPTY_DIR) {
			/* nothing left to reach its sockets: a new server */
			kill(self->servers[1], SIGKILL);
			waitpid(self->servers[1], NULL, 0);
			ASSERT_LT(0, start(&self->servers[1], self->pids[1], 1));
		}
		/* its sockets are free again */
		if (!why && attach(&self->run, self->pids[1]))
			why = "its sockets cannot be attached again";
		if (why) {
			bad++;
			TH_LOG("%s: detach: %s (exit %d, signal %d)", describe(&damages[d]), why,
			       self->run.status, self->run.signal);
			TH_LOG("stdout: %.500s\nstderr: %.1500s", self->run.out, self->run.err);
			if (access(VICTIM_DIR, F_OK))
				ASSERT_EQ(0, attach(&self->run, self->pids[1]))
					TH_LOG("%s", self->run.err);
		}
		snapshot(self->healthy, SNAP_MAX, 2);
	}
	TH_LOG("%d damages, %d runs, %d bad", d, runs, bad);
	EXPECT_EQ(0, bad);
	EXPECT_LE(25, d);
}

TEST_HARNESS_MAIN
