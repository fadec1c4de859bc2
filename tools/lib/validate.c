// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Nothing pinned is trusted: whoever can write under the pin root can put a
 * map of another type or size in a group's place, or any value in its
 * fields.  Before a handle opened from pins is used, every map is checked
 * (type, key and value size, flags, entries against the group's capacity
 * and CPU count) and so is the program (its type, and that it is the one
 * using these maps); every read of pcbg_group_info and pcbg_config is
 * checked against the bounds its readers rely on.  What fails is -EUCLEAN,
 * with one line saying what is damaged (pcbg_strerror()).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <bpf/bpf.h>

#include "internal.h"

/* What the last -EUCLEAN of this thread found. */
static __thread char damage[160];

int pcbg_damaged(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(damage, sizeof(damage), fmt, ap);
	va_end(ap);
	return -EUCLEAN;
}

const char *pcbg_strerror(int err)
{
	static __thread char buf[sizeof(damage) + 16];

	if (err == -EUCLEAN && damage[0]) {
		snprintf(buf, sizeof(buf), "damaged: %s", damage);
		return buf;
	}
	return strerror(err < 0 ? -err : err);
}

static const struct map_shape {
	const char *name;
	__u32 type;
	__u32 key_size;
	__u32 value_size;
	__u32 flags;		/* that must be set */
	enum pcbg_entries_rule entries;
} shapes[PCBG_M_NR] = {
#define MAP_SHAPE(id, name, type, key, value, flags, entries, module) \
	[PCBG_M_##id] = { name, BPF_MAP_TYPE_##type, sizeof(key), sizeof(value), \
			  flags, PCBG_ENTRIES_##entries },
	PCBG_MAPS(MAP_SHAPE)
#undef MAP_SHAPE
};

const char *pcbg_map_name(int map)
{
	return map >= 0 && map < PCBG_M_NR ? shapes[map].name : PCBG_PIN_PROG;
}

enum pcbg_entries_rule pcbg_map_rule(int map)
{
	return shapes[map].entries;
}

/* Type, key and value size and flags of map @map (fd @fd): its own shape. */
int pcbg_check_map_shape(int map, int fd, struct bpf_map_info *info)
{
	const struct map_shape *s = &shapes[map];
	__u32 len = sizeof(*info);

	memset(info, 0, sizeof(*info));
	if (bpf_obj_get_info_by_fd(fd, info, &len))
		return errno == EINVAL ? pcbg_damaged("%s: not a map", s->name) : -errno;
	if (info->type != s->type)
		return pcbg_damaged("%s: map type %u, expected %u", s->name,
				    info->type, s->type);
	if (info->key_size != s->key_size)
		return pcbg_damaged("%s: key size %u, expected %u", s->name,
				    info->key_size, s->key_size);
	if (info->value_size != s->value_size)
		return pcbg_damaged("%s: value size %u, expected %u", s->name,
				    info->value_size, s->value_size);
	if ((info->map_flags & s->flags) != s->flags)
		return pcbg_damaged("%s: flags %#x, expected %#x", s->name,
				    info->map_flags, s->flags);
	return 0;
}

/* The program is pcbg_select, and every map it uses under our names is the pinned one. */
static int check_prog(int prog_fd, const __u32 ids[PCBG_M_NR])
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info), map_ids[64], i;
	int m;

	/* the kernel says how many maps it uses, and fills in at most 64 ids */
	info.nr_map_ids = 64;
	info.map_ids = (__u64)(unsigned long)map_ids;
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return errno == EINVAL ? pcbg_damaged("prog: not a program") : -errno;
	if (info.type != BPF_PROG_TYPE_SK_REUSEPORT)
		return pcbg_damaged("prog: program type %u, expected %u", info.type,
				    BPF_PROG_TYPE_SK_REUSEPORT);
	if (strncmp(info.name, PCBG_PROG_NAME, sizeof(info.name)))
		return pcbg_damaged("prog: program %.16s, expected %s", info.name,
				    PCBG_PROG_NAME);
	if (info.nr_map_ids > 64)
		return pcbg_damaged("prog: uses %u maps", info.nr_map_ids);
	for (i = 0; i < info.nr_map_ids; i++) {
		struct bpf_map_info mi = {};
		__u32 mlen = sizeof(mi);
		int fd = bpf_map_get_fd_by_id(map_ids[i]);

		if (fd < 0)
			continue;	/* gone meanwhile: not one of ours, pinned */
		if (bpf_obj_get_info_by_fd(fd, &mi, &mlen)) {
			close(fd);
			return -errno;
		}
		close(fd);
		for (m = 0; m < PCBG_M_NR; m++)
			if (!strncmp(mi.name, shapes[m].name, sizeof(mi.name)) &&
			    mi.id != ids[m])
				return pcbg_damaged("%s: not the map of the group's program",
						    shapes[m].name);
	}
	return 0;
}

int pcbg_check_config(const struct pcbg_config *c)
{
	const char *knob;
	__u32 v;

	knob = pcbg_config_bad_knob(c, &v);
	return knob ? pcbg_damaged("pcbg_cfg: %s %u", knob, v) : 0;
}

/* The group's fields against the geometry of the handle's maps. */
int pcbg_check_info(const struct pcbg_group *grp, const struct pcbg_group_info *in)
{
	int g;

	if (in->capacity != grp->capacity)
		return pcbg_damaged("pcbg_group: capacity %u, the maps hold %u",
				    in->capacity, grp->capacity);
	if (in->nr_slots > in->capacity)
		return pcbg_damaged("pcbg_group: nr_slots %u, above capacity %u",
				    in->nr_slots, in->capacity);
	if (in->nr_cpus != (__u32)grp->ncpus)
		return pcbg_damaged("pcbg_group: nr_cpus %u, the system has %d",
				    in->nr_cpus, grp->ncpus);
	if (in->gen > 1)
		return pcbg_damaged("pcbg_group: gen %u, expected 0 or 1", in->gen);
	for (g = 0; g < 2; g++)
		if (in->nr_members[g] > in->nr_slots)
			return pcbg_damaged("pcbg_group: nr_members[%d] %u, above nr_slots %u",
					    g, in->nr_members[g], in->nr_slots);
	if (in->maglev_stride != PCBG_MAGLEV_WORDS(grp->maglev_size))
		return pcbg_damaged("pcbg_group: maglev_stride %u, expected %u",
				    in->maglev_stride, PCBG_MAGLEV_WORDS(grp->maglev_size));
	for (g = 0; g < 2; g++)
		if (PCBG_MAGLEV_WORDS((__u64)in->maglev_size[g]) > in->maglev_stride)
			return pcbg_damaged("pcbg_group: maglev_size[%d] %u, above %u words",
					    g, in->maglev_size[g], in->maglev_stride);
	if (in->samples > 1)
		return pcbg_damaged("pcbg_group: samples %u, expected 0 or 1", in->samples);
	if (in->weighted > 3)
		return pcbg_damaged("pcbg_group: weighted %#x, expected bits 0 and 1 only",
				    in->weighted);
	if (pcbg_quic_cid_len_bad(in->quic_cid_len))
		return pcbg_damaged("pcbg_group: quic_cid_len %u, expected 0 or %d-%d",
				    in->quic_cid_len, PCBG_QUIC_CID_MIN, PCBG_QUIC_CID_MAX);
	if (in->nr_slots && in->family != AF_INET && in->family != AF_INET6)
		return pcbg_damaged("pcbg_group: family %u, not AF_INET or AF_INET6",
				    in->family);
	if (in->nr_slots && in->protocol != IPPROTO_TCP && in->protocol != IPPROTO_UDP)
		return pcbg_damaged("pcbg_group: protocol %u, not TCP or UDP", in->protocol);
	return 0;
}

/* The current generation's per-CPU table sizes: each at most capacity. */
static int check_cpu_counts(const struct pcbg_group *grp)
{
	int cpu, n = 0;

	for (cpu = 0; n >= 0 && cpu < grp->ncpus; cpu++)
		n = pcbg_group_cpu_table(grp, cpu, NULL, 0);
	return n < 0 ? n : 0;
}

int pcbg_group_validate(struct pcbg_group *grp)
{
	struct bpf_map_info mi[PCBG_M_NR];
	struct pcbg_group_info info;
	struct pcbg_config cfg;
	__u32 ids[PCBG_M_NR];
	__u64 want;
	int m, err;

	damage[0] = '\0';
	for (m = 0; m < PCBG_M_NR; m++) {
		err = pcbg_check_map_shape(m, grp->map_fd[m], &mi[m]);
		if (err)
			return err;
		ids[m] = mi[m].id;
	}
	grp->capacity = mi[PCBG_M_SLOTS].max_entries;
	if (!grp->capacity || grp->capacity > PCBG_SLOTS_LIMIT)
		return pcbg_damaged("pcbg_slots: %u entries, expected 1-%u",
				    grp->capacity, PCBG_SLOTS_LIMIT);
	grp->maglev_size = pcbg_maglev_size(grp->capacity);
	for (m = 0; m < PCBG_M_NR; m++) {
		want = pcbg_map_entries(shapes[m].entries, grp->capacity, grp->ncpus,
					grp->maglev_size);
		if (shapes[m].entries == PCBG_ENTRIES_FLOWS) {
			if (mi[m].max_entries < PCBG_FLOWS_MIN ||
			    mi[m].max_entries > PCBG_FLOWS_MAX)
				return pcbg_damaged("%s: %u entries, expected %u-%u",
						    shapes[m].name, mi[m].max_entries,
						    PCBG_FLOWS_MIN, PCBG_FLOWS_MAX);
			continue;
		}
		if (mi[m].max_entries != want)
			return pcbg_damaged("%s: %u entries, expected %llu", shapes[m].name,
					    mi[m].max_entries, (unsigned long long)want);
	}
	err = check_prog(grp->prog_fd, ids);
	if (!err)
		err = pcbg_group_info(grp, &info);	/* checks the fields */
	if (!err)
		err = pcbg_group_config(grp, &cfg);
	if (!err)
		err = check_cpu_counts(grp);
	return err;
}
