// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * A group's counters (per slot, per reason, per CPU), its flow table, its
 * CPU tables and selection samples, as the program left them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>

#include "internal.h"

static int set_samples(struct pcbg_group_info *info, __u32 on)
{
	info->samples = on;
	return 0;
}

int pcbg_group_set_samples(struct pcbg_group *grp, int on)
{
	if (on != 0 && on != 1)
		return -EINVAL;
	return pcbg_group_edit_info(grp, set_samples, on);
}

/*
 * Add entry @key of per-CPU map @map, @size bytes of __u64 counters, over
 * every CPU (@cpu < 0) or one, to @sum; an entry past the map's end adds 0.
 */
static int add_percpu(const struct pcbg_group *grp, int map, __u32 key,
		      size_t size, int cpu, __u64 *sum)
{
	size_t words = size / sizeof(*sum), w;
	__u64 *vals = calloc(grp->ncpus, size);
	int c, err = 0;

	if (!vals)
		return -ENOMEM;
	if (bpf_map_lookup_elem(grp->map_fd[map], &key, vals))
		err = errno == ENOENT ? 0 : -errno;
	for (c = 0; !err && c < grp->ncpus; c++)
		for (w = 0; (cpu < 0 || cpu == c) && w < words; w++)
			sum[w] += vals[c * words + w];
	free(vals);
	return err;
}

int pcbg_group_slot_selected(const struct pcbg_group *grp, __u32 slot,
			     __u64 *selected)
{
	struct pcbg_slot_count c = {};
	int err = add_percpu(grp, PCBG_M_SLOT_CNT, slot, sizeof(c), -1, (__u64 *)&c);

	*selected = c.selected;
	return err;
}

int pcbg_group_cpu_stats(const struct pcbg_group *grp, int cpu,
			 __u64 stats[PCBG_STAT_NR])
{
	struct pcbg_slot_count c = {};
	struct pcbg_group_info info;
	__u32 i, size;
	int err;

	if (cpu >= grp->ncpus)
		return -EINVAL;
	memset(stats, 0, PCBG_STAT_NR * sizeof(*stats));
	err = pcbg_group_info(grp, &info);
	for (i = 0; !err && i < PCBG_STAT_NR; i++)
		err = add_percpu(grp, PCBG_M_STATS, i, sizeof(*stats), cpu, &stats[i]);
	/* a selection is counted in its slot only (see enum pcbg_stat) */
	for (i = 0; !err && i < info.nr_slots && i < info.capacity; i++)
		err = add_percpu(grp, PCBG_M_SLOT_CNT, i, sizeof(c), cpu, (__u64 *)&c);
	if (err)
		return err;
	stats[PCBG_STAT_SELECTED] = c.selected;
	stats[PCBG_STAT_CPU_LOCAL] = c.cpu_local;
	stats[PCBG_STAT_FLOW_HIT] = c.flow_hit;
	stats[PCBG_STAT_QUIC_ROUTED] = c.quic_routed;
	/*
	 * The program cannot see an eviction: every entry allocated is a
	 * flow_new, and the table holds at most its size (enum pcbg_stat).
	 */
	stats[PCBG_STAT_FLOW_EVICTED] = 0;
	if (cpu < 0) {
		size = pcbg_flow_table_size(grp);
		if (!size)
			return -errno;
		if (stats[PCBG_STAT_FLOW_NEW] > size)
			stats[PCBG_STAT_FLOW_EVICTED] = stats[PCBG_STAT_FLOW_NEW] - size;
	}
	return 0;
}

int pcbg_group_flows(const struct pcbg_group *grp, __u32 *live, __u32 nr_slots)
{
	return pcbg_flows_scan(grp, live, nr_slots, NULL);
}

int pcbg_flows_scan(const struct pcbg_group *grp, __u32 *live, __u32 nr_slots,
		    __u64 *oldest_ns)
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
	if (oldest_ns)
		*oldest_ns = 0;
	while (!bpf_map_get_next_key(grp->map_fd[PCBG_M_FLOWS], first ? NULL : &key,
				     &next)) {
		first = 0;
		key = next;
		if (bpf_map_lookup_elem(grp->map_fd[PCBG_M_FLOWS], &key, &f))
			continue;	/* evicted meanwhile */
		n++;
		if (oldest_ns && now > f.seen && now - f.seen > *oldest_ns)
			*oldest_ns = now - f.seen;
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
 * flow_evicted is flow_new - the table's size: flow_new restarts from the
 * entries present, not from 0, so that evictions restart from 0.
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

	err = pcbg_group_lock_info(grp, &info);
	if (err)
		return err;
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
