// SPDX-License-Identifier: GPL-2.0
/*
 * Flow table layouts side by side (bench/flow_layout.c), each in the same
 * bare program: hash-threshold over a socket array, a UDP flow remembered
 * by its full key (addresses and ports, as pcbgroup's pcbg_flow_key) with
 * the slot it went to and that slot's socket cookie, checked on a hit.
 *   flow_none   no table: the floor the layouts are measured above
 *   flow_lru    a BPF_MAP_TYPE_LRU_HASH, as pcbgroup's pcbg_flows
 *   flow_direct an array of 64-byte lines, one per flow, indexed by the
 *               flow hash; a miss overwrites the line (a collision when it
 *               held another flow) and the flow is picked again
 *   flow_2way   the same with sets of 2 lines, the oldest evicted
 *   flow_4way   sets of 4 lines
 * The arrays are mmapable for one reason: then the kernel starts their
 * values on a page, so that a line is a cache line (a plain array's values
 * start 312 bytes into its struct bpf_array on 6.18: every line would
 * straddle two).
 * Not the production program: a measurement of what each layout costs and
 * how many live flows it keeps.  @shift changes every pick (as a group
 * change would), so that a flow the table lost moves: counted as moved.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "../bpf/flow_key.h"

#define TIMEOUT_NS	(3600ULL * 1000000000ULL)

/* One cache line: the key, where the flow goes, when it was last seen. */
struct flow_line {
	struct pcbg_flow_key key;
	__u32 slot;
	__u64 cookie;
	__u64 seen;
	__u64 __pad;
} __attribute__((aligned(64)));

struct flow_lru_value {
	__u64 cookie;
	__u64 seen;
	__u32 slot;
	__u32 __pad;
};

struct flow_set2 {
	struct flow_line w[2];
};

struct flow_set4 {
	struct flow_line w[4];
};

struct {
	__uint(type, BPF_MAP_TYPE_REUSEPORT_SOCKARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} layout_socks SEC(".maps");

/* Each slot's socket cookie, as pcbgroup's pcbg_slots has it. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} layout_cookies SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1);
	__type(key, struct pcbg_flow_key);
	__type(value, struct flow_lru_value);
} layout_lru SEC(".maps");

/* An array of sets of lines; the loader sizes it. */
#define LINE_ARRAY(name, set)						\
	struct {							\
		__uint(type, BPF_MAP_TYPE_ARRAY);			\
		__uint(max_entries, 1);					\
		__uint(map_flags, BPF_F_MMAPABLE);	/* lines start on a page: aligned */ \
		__type(key, __u32);					\
		__type(value, set);					\
	} name SEC(".maps")

LINE_ARRAY(layout_direct, struct flow_line);
LINE_ARRAY(layout_2way, struct flow_set2);
LINE_ARRAY(layout_4way, struct flow_set4);

enum { L_LRU, L_DIRECT, L_2WAY, L_4WAY, L_NR };
/* per layout: lookups that found the flow, misses, collisions, moved */
enum { C_HIT, C_MISS, C_COLLISION, C_MOVED, C_NR };

__u32 nr_socks;
__u32 shift;
__u32 sets[L_NR];	/* lines (direct) or sets, as the loader sized them */
__u64 counts[L_NR][C_NR];

static __always_inline __u32 base_pick(struct sk_reuseport_md *ctx)
{
	return ((__u64)ctx->hash * nr_socks) >> 32;
}

/* The algorithm: hash-threshold, every pick moved by @shift. */
static __always_inline __u32 pick(struct sk_reuseport_md *ctx)
{
	__u32 slot = base_pick(ctx) ^ shift;

	return slot < nr_socks ? slot : base_pick(ctx);
}

static __always_inline __u64 slot_cookie(__u32 slot)
{
	__u64 *c = bpf_map_lookup_elem(&layout_cookies, &slot);

	return c ? *c : 0;
}

static __always_inline void count(int layout, int what)
{
	counts[layout & (L_NR - 1)][what]++;
}

static __always_inline void selected(struct sk_reuseport_md *ctx, int layout, __u32 slot)
{
	if (slot != base_pick(ctx))
		count(layout, C_MOVED);
}

static __always_inline int key_equal(const struct pcbg_flow_key *a, const struct pcbg_flow_key *b)
{
	const __u32 *x = (const __u32 *)a, *y = (const __u32 *)b;
	__u32 diff = 0;
	int i;

	for (i = 0; i < sizeof(*a) / 4; i++)
		diff |= x[i] ^ y[i];
	return !diff;
}

/* The same program without a table: what the layouts cost above it. */
SEC("sk_reuseport")
int flow_none(struct sk_reuseport_md *ctx)
{
	struct pcbg_flow_key key;
	__u32 slot;

	if (flow_key(ctx, PCBG_HASH_4TUPLE, &key))
		return SK_PASS;
	slot = pick(ctx);
	bpf_sk_select_reuseport(ctx, &layout_socks, &slot, 0);
	return SK_PASS;
}

SEC("sk_reuseport")
int flow_lru(struct sk_reuseport_md *ctx)
{
	__u64 now = bpf_ktime_get_coarse_ns();
	struct flow_lru_value *f, v = {};
	struct pcbg_flow_key key;
	__u32 slot;

	if (flow_key(ctx, PCBG_HASH_4TUPLE, &key))
		return SK_PASS;
	f = bpf_map_lookup_elem(&layout_lru, &key);
	if (f && now - f->seen <= TIMEOUT_NS && f->cookie == slot_cookie(f->slot)) {
		slot = f->slot;
		if (!bpf_sk_select_reuseport(ctx, &layout_socks, &slot, 0)) {
			count(L_LRU, C_HIT);
			selected(ctx, L_LRU, slot);
			return SK_PASS;
		}
	}
	count(L_LRU, C_MISS);
	slot = pick(ctx);
	if (bpf_sk_select_reuseport(ctx, &layout_socks, &slot, 0))
		return SK_PASS;
	selected(ctx, L_LRU, slot);
	v.slot = slot;
	v.seen = now;
	v.cookie = slot_cookie(slot);
	bpf_map_update_elem(&layout_lru, &key, &v, BPF_ANY);
	return SK_PASS;
}

/*
 * @set: @ways lines of the flow's set.  A line with the key and a live
 * socket selects it; else the algorithm picks and the empty or oldest line
 * takes the flow (a collision when it held another flow).
 */
static __always_inline int set_select(struct sk_reuseport_md *ctx, int layout,
				      struct flow_line *set, int ways,
				      const struct pcbg_flow_key *key, __u64 now)
{
	struct flow_line *line, *victim = &set[0];
	__u32 slot;
	int i;

	for (i = 0; i < ways; i++) {
		line = &set[i];
		if (!key_equal(&line->key, key) || now - line->seen > TIMEOUT_NS ||
		    line->cookie != slot_cookie(line->slot))
			continue;
		slot = line->slot;
		if (bpf_sk_select_reuseport(ctx, &layout_socks, &slot, 0))
			break;
		count(layout, C_HIT);
		selected(ctx, layout, slot);
		if (ways > 1 && line->seen != now)
			line->seen = now;	/* the set's age order */
		return SK_PASS;
	}
	count(layout, C_MISS);
	slot = pick(ctx);
	if (bpf_sk_select_reuseport(ctx, &layout_socks, &slot, 0))
		return SK_PASS;
	selected(ctx, layout, slot);
	for (i = 1; i < ways; i++)
		if (set[i].seen < victim->seen)
			victim = &set[i];
	if (victim->seen && !key_equal(&victim->key, key))
		count(layout, C_COLLISION);
	victim->key = *key;
	victim->slot = slot;
	victim->cookie = slot_cookie(slot);
	victim->seen = now;
	return SK_PASS;
}

/* The flow's set: multiply-shift of a mixed hash, any number of sets. */
static __always_inline __u32 set_index(struct sk_reuseport_md *ctx, int layout)
{
	return ((__u64)(ctx->hash * 0x9e3779b1U) * sets[layout & (L_NR - 1)]) >> 32;
}

/* The flow's set of @ways lines in array @map; any value is @ways lines. */
static __always_inline int array_select(struct sk_reuseport_md *ctx, int layout,
					void *map, int ways)
{
	__u32 idx = set_index(ctx, layout);
	struct flow_line *set;
	struct pcbg_flow_key key;

	if (flow_key(ctx, PCBG_HASH_4TUPLE, &key))
		return SK_PASS;
	set = bpf_map_lookup_elem(map, &idx);
	if (!set)
		return SK_PASS;
	return set_select(ctx, layout, set, ways, &key, bpf_ktime_get_coarse_ns());
}

SEC("sk_reuseport")
int flow_direct(struct sk_reuseport_md *ctx)
{
	return array_select(ctx, L_DIRECT, &layout_direct, 1);
}

SEC("sk_reuseport")
int flow_2way(struct sk_reuseport_md *ctx)
{
	return array_select(ctx, L_2WAY, &layout_2way, 2);
}

SEC("sk_reuseport")
int flow_4way(struct sk_reuseport_md *ctx)
{
	return array_select(ctx, L_4WAY, &layout_4way, 4);
}

char LICENSE[] SEC("license") = "GPL";
