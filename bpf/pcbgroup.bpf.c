// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * pcbg_select: the SK_REUSEPORT program that picks the socket of one
 * SO_REUSEPORT group, as DragonFly's SO_REUSEPORT extension does: the low
 * hash bits that pick a CPU are ignored and a slot is chosen by
 * hash-threshold (RFC 2992), or modulo-N for comparison.
 *
 * With algorithm cpu it first looks in the table of the CPU it runs on, as
 * FreeBSD's PCBGROUP does, and falls back to the whole group on a miss; with
 * maglev it reads a Maglev table the tools build.  It picks among members:
 * sockets keep their slots, and the tools publish a new member list, per-CPU
 * tables and Maglev table together by flipping one generation number.
 *
 * Loaded as sk_reuseport/migrate, it also places the pending connections of
 * a closing TCP listener on another listener (or refuses them: migrate=0).
 *
 * O(1) per packet whatever the group size.  It never drops: on any miss it
 * returns SK_PASS without a selection, the kernel picks by its own hash, and
 * a per-reason counter says why.
 */
#include <linux/bpf.h>
#include <linux/errno.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include "pcbgroup_layout.h"
#include "flow_key.h"
#include "quic_cid.h"

#define likely(x)	__builtin_expect(!!(x), 1)
#define unlikely(x)	__builtin_expect(!!(x), 0)

/* Per-slot maps are resized by the loader to the group's capacity. */
struct {
	__uint(type, BPF_MAP_TYPE_REUSEPORT_SOCKARRAY);
	__uint(max_entries, PCBG_SLOTS_DEFAULT);
	__type(key, __u32);
	__type(value, __u64);
} pcbg_socks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PCBG_SLOTS_DEFAULT);
	__type(key, __u32);
	__type(value, struct pcbg_slot_count);
} pcbg_slot_cnt SEC(".maps");

/*
 * What the tools know of each slot; the program reads only the cookie, to
 * know whether the socket a flow remembers is still the slot's.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PCBG_SLOTS_DEFAULT);
	__type(key, __u32);
	__type(value, struct pcbg_slot);
} pcbg_slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pcbg_config);
} pcbg_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pcbg_group_info);
} pcbg_group SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PCBG_STAT_NR);
	__type(key, __u32);
	__type(value, __u64);
} pcbg_stats SEC(".maps");

/*
 * Two generations of per-CPU tables, member lists and Maglev tables; the
 * loader sizes them (see the header) and fills them through mmap().
 */
#define GENERATIONS_TABLE(name, value_type)		\
	struct {					\
		__uint(type, BPF_MAP_TYPE_ARRAY);	\
		__uint(map_flags, BPF_F_MMAPABLE);	\
		__uint(max_entries, 2);			\
		__type(key, __u32);			\
		__type(value, value_type);		\
	} name SEC(".maps")

GENERATIONS_TABLE(pcbg_cpu_cnt, __u32);
GENERATIONS_TABLE(pcbg_cpu_slots, __u32);
GENERATIONS_TABLE(pcbg_members, __u32);
GENERATIONS_TABLE(pcbg_maglev, __u64);

/* Weighted tables for hash-threshold and modulo, laid out as pcbg_maglev. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} pcbg_wtable SEC(".maps");

/*
 * Never read by the program: an update of an ARRAY_OF_MAPS from user space
 * returns only after every program run that started before it has ended
 * (an RCU grace period), which is what the tools wait for after switching
 * generations.  Its one entry is any map like this inner one.
 */
struct pcbg_sync_inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct pcbg_sync_inner);
} pcbg_sync SEC(".maps");

/*
 * The flows of a UDP group with flow_table=1, least recently used out
 * first; the loader sizes it.  Preallocated, as every LRU map is: its
 * memory is taken at load, whether flow_table is on or not.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, PCBG_FLOWS_MIN);
	__type(key, struct pcbg_flow_key);
	__type(value, struct pcbg_flow);
} pcbg_flows SEC(".maps");

/*
 * Each slot's load, for least-loaded: the queue the tools sample
 * (sock_diag), the connections pcbgroupd's sockops program counts.  An
 * inner map of that program's pcbgw_loads (which holds groups of every
 * capacity): its lookups are calls, not inlined, on least-loaded's path
 * only.  Sizes, not BTF types, as that map's template (bpf/conns.h): 6.1
 * admits an inner map only if its timer_off equals the template's, which
 * is -ENOENT for a map with a BTF value and -EINVAL for one without.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_INNER_MAP);
	__uint(max_entries, PCBG_SLOTS_DEFAULT);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct pcbg_slot_load));
} pcbg_load SEC(".maps");

/* Entries 0..PCBG_SAMPLES_NR-1 are a ring; the last entry's seq counts. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PCBG_SAMPLES_NR + 1);
	__type(key, __u32);
	__type(value, struct pcbg_sample);
} pcbg_samples SEC(".maps");

/*
 * The outcomes other than a plain selection: rare, so subprograms, called
 * off the straight line of the hot path.
 */
static __noinline void count(__u32 stat)
{
	__u64 *cnt = bpf_map_lookup_elem(&pcbg_stats, &stat);

	if (cnt)
		*cnt += 1;
}

static __noinline int fallback(const struct pcbg_config *cfg, __u32 stat)
{
	if (!cfg || cfg->stats)
		count(stat);
	return SK_PASS;
}

static __always_inline __u32 pick_slot(__u32 algorithm, __u32 hash,
				       __u32 cpu_bits, __u32 n)
{
	if (cpu_bits > PCBG_CPU_BITS_MAX)
		cpu_bits = PCBG_CPU_BITS_MAX;
	if (algorithm == PCBG_ALGO_MODULO)
		return (hash >> cpu_bits) % n;
	/* hash-threshold: N equal, contiguous ranges of the hash space */
	return ((__u64)(hash & ~((1U << cpu_bits) - 1)) * n) >> 32;
}

static __always_inline __u32 rol32(__u32 w, unsigned int s)
{
	return (w << s) | (w >> (32 - s));
}

/* One round of murmur3 over a 32-bit word. */
static __always_inline __u32 mix(__u32 h, __u32 w)
{
	w *= 0xcc9e2d51;
	w = rol32(w, 15);
	w *= 0x1b873593;
	h ^= w;
	return rol32(h, 13) * 5 + 0xe6546b64;
}

/* murmur3 of the source and destination addresses (2 or 8 words), or -1. */
static __noinline long addr_hash(struct sk_reuseport_md *ctx, __u32 seed)
{
	__u32 words[8], n, i, h = seed;

	if (ctx->eth_protocol == bpf_htons(ETH_P_IP)) {
		n = 2;	/* saddr, daddr at offset 12 of the IPv4 header */
		if (bpf_skb_load_bytes_relative(ctx, 12, words, 8, BPF_HDR_START_NET))
			return -1;
	} else {
		n = 8;	/* saddr, daddr at offset 8 of the IPv6 header */
		if (bpf_skb_load_bytes_relative(ctx, 8, words, 32, BPF_HDR_START_NET))
			return -1;
	}
	for (i = 0; i < 8; i++) {
		if (i == n)
			break;
		h = mix(h, words[i]);
	}
	h ^= n * 4;
	h ^= h >> 16;
	h *= 0x85ebca6b;
	h ^= h >> 13;
	h *= 0xc2b2ae35;
	return h ^ (h >> 16);
}

/*
 * Algorithm cpu: a slot from the table of the CPU running us, or -1 when
 * that table is empty (PCBGROUP's "fall back to the normal lookup").
 */
static __always_inline long pick_cpu_slot(const struct pcbg_group_info *grp,
					  __u32 gen, __u32 hash, __u32 cpu_bits)
{
	__u32 cpu = bpf_get_smp_processor_id(), t, key;
	__u32 *cnt, *slot;

	if (cpu >= grp->nr_cpus)
		return -1;
	t = gen * grp->nr_cpus + cpu;
	cnt = bpf_map_lookup_elem(&pcbg_cpu_cnt, &t);
	if (!cnt || !*cnt || *cnt > grp->capacity)
		return -1;
	key = t * grp->capacity + pick_slot(PCBG_ALGO_HASH_THRESHOLD, hash,
					    cpu_bits, *cnt);
	slot = bpf_map_lookup_elem(&pcbg_cpu_slots, &key);
	return slot ? *slot : -1;
}

/* The slot of member @i of generation @gen, or -1. */
static __always_inline long member_slot(const struct pcbg_group_info *grp,
					__u32 gen, __u32 i)
{
	__u32 key = gen * grp->capacity + i, *slot;

	slot = bpf_map_lookup_elem(&pcbg_members, &key);
	return slot ? *slot : -1;
}

/*
 * The slot in entry j of a generation's table of 16-bit slots, four to a
 * word: the Maglev table, or the weighted table of hash-threshold and
 * modulo (see pcbg_group_info.weighted), j picked by @algorithm over its
 * m entries; -1 if the table is not there.  (gen & 1 again, though gen is
 * 0 or 1: clang 14 then allocates registers on the default path as it did
 * before weights.)
 */
static __always_inline long table_slot(void *table, const struct pcbg_config *cfg,
				       const struct pcbg_group_info *grp,
				       __u32 gen, __u32 algorithm, __u32 hash)
{
	__u32 m = grp->maglev_size[gen & 1], j, key;
	__u64 *word;

	if (!m || PCBG_MAGLEV_WORDS(m) > grp->maglev_stride)
		return -1;
	j = pick_slot(algorithm, hash, cfg->cpu_bits, m);
	key = (gen & 1) * grp->maglev_stride + j / 4;
	word = bpf_map_lookup_elem(table, &key);
	return word ? (*word >> (16 * (j % 4))) & 0xffff : -1;
}

/* A slot among the members, by the configured algorithm, or -1. */
static __always_inline long pick_member(const struct pcbg_config *cfg,
					const struct pcbg_group_info *grp,
					__u32 gen, __u32 hash, __u32 n)
{
	if (cfg->algorithm == PCBG_ALGO_MAGLEV)
		return table_slot(&pcbg_maglev, cfg, grp, gen,
				  PCBG_ALGO_HASH_THRESHOLD, hash);
	/* members of unequal weights: hash-threshold or modulo over a table */
	if (unlikely(grp->weighted >> gen & 1))
		return table_slot(&pcbg_wtable, cfg, grp, gen, cfg->algorithm, hash);
	return member_slot(grp, gen, pick_slot(cfg->algorithm, hash,
					       cfg->cpu_bits, n));
}

/* Second choices tried when the member picked has closed. */
#define REPICK_TRIES	4

/*
 * The member picked closed before the tools took it out (a crash, or a
 * listener whose requests migrate): its flows go to other members by
 * independent second hashes, and no other flow moves.  Returns the slot
 * selected, or the selection's error.
 */
static __noinline long repick(struct sk_reuseport_md *ctx,
			      const struct pcbg_group_info *grp, __u32 gen,
			      __u32 hash, __u32 n)
{
	long err = -ENOENT, pick;
	__u32 t, slot;

	for (t = 1; n > 1 && t <= REPICK_TRIES; t++) {
		pick = member_slot(grp, gen, pick_slot(PCBG_ALGO_HASH_THRESHOLD,
						       mix(hash, t), 0, n));
		if (pick < 0)
			break;
		slot = pick;
		err = bpf_sk_select_reuseport(ctx, &pcbg_socks, &slot, 0);
		if (!err)
			return slot;
		if (err != -ENOENT)
			break;
	}
	return err;
}

/* What least-loaded compares: one of the two is kept, the other is 0. */
static __always_inline __u32 slot_load(const struct pcbg_slot_load *l)
{
	return l->queue + l->conns;
}

/* Salt of least-loaded's second hash: not one of repick()'s 1..REPICK_TRIES. */
#define SECOND_CHOICE_SALT	0x2c

/*
 * Algorithm least-loaded, given @first, the hash-threshold pick (member i):
 * a second member, another one, by an independent hash of the same flow
 * (as repick()), and of the two the one with the lower load (slot_load()).  A
 * tie keeps @first: with even load the picks are hash-threshold's.  The
 * two are never the same member, so that one blocked socket among idle
 * ones gets no new flow at all.
 */
static __noinline long second_choice(const struct pcbg_config *cfg,
				     const struct pcbg_group_info *grp,
				     __u32 gen, __u32 hash, __u32 first)
{
	__u32 n = grp->nr_members[gen & 1], i, second;
	struct pcbg_slot_load *a, *b;
	long pick;

	if (n < 2 || n > grp->capacity)
		return first;
	i = pick_slot(PCBG_ALGO_HASH_THRESHOLD, hash, cfg->cpu_bits, n) + 1 +
	    pick_slot(PCBG_ALGO_HASH_THRESHOLD, mix(hash, SECOND_CHOICE_SALT), 0,
		      n - 1);
	if (i >= n)
		i -= n;
	pick = member_slot(grp, gen, i);
	if (pick < 0 || pick == first)
		return first;
	second = pick;
	a = bpf_map_lookup_elem(&pcbg_load, &first);
	b = bpf_map_lookup_elem(&pcbg_load, &second);
	if (!a || !b || slot_load(b) >= slot_load(a))
		return first;
	if (cfg->stats)
		count(PCBG_STAT_LOAD_SECOND);
	return second;
}

/* flow_select(): the flow is not in the table; in it, but to be picked again */
#define FLOW_ABSENT	(-1)
#define FLOW_STALE	(-2)

/*
 * A datagram of a flow in the table: selects the socket that serves it and
 * returns its slot.  FLOW_ABSENT when the flow is new, FLOW_STALE when it
 * was idle for flow_timeout or its socket is gone: the caller picks, then
 * flow_enter() remembers the pick.
 */
static __noinline long flow_select(struct sk_reuseport_md *ctx,
				   const struct pcbg_config *cfg,
				   const struct pcbg_flow_key *key, __u64 now)
{
	struct pcbg_slot *rec;
	struct pcbg_flow *f;
	__u32 slot;

	f = bpf_map_lookup_elem(&pcbg_flows, key);
	if (!f)
		return FLOW_ABSENT;
	if (now - f->seen > (__u64)cfg->flow_timeout * 1000000000ULL) {
		if (cfg->stats)
			count(PCBG_STAT_FLOW_EXPIRED);
		return FLOW_STALE;
	}
	slot = f->slot;
	rec = bpf_map_lookup_elem(&pcbg_slots, &slot);
	if (!rec || rec->cookie != f->cookie ||
	    bpf_sk_select_reuseport(ctx, &pcbg_socks, &slot, 0)) {
		if (cfg->stats)
			count(PCBG_STAT_FLOW_REPICK);
		return FLOW_STALE;
	}
	if (now - f->seen >= PCBG_FLOW_TOUCH_NS)
		f->seen = now;
	return slot;
}

/*
 * A known flow's entry, rewritten in place: an update would take a new
 * entry from the LRU (which may evict another flow) without a FLOW_NEW.
 * 0, or -1 when the entry has gone meanwhile.
 */
static __always_inline int flow_rewrite(const struct pcbg_flow_key *key,
					const struct pcbg_flow *f)
{
	struct pcbg_flow *old = bpf_map_lookup_elem(&pcbg_flows, key);

	if (!old)
		return -1;
	old->cookie = f->cookie;
	old->slot = f->slot;
	old->seen = f->seen;
	return 0;
}

/*
 * Remember that @slot's socket now serves the flow of @key; @stale: the
 * flow has an entry (FLOW_STALE).  Every entry the table allocates counts
 * one FLOW_NEW: the tools derive the evictions from it.
 */
static __noinline void flow_enter(const struct pcbg_config *cfg,
				  const struct pcbg_flow_key *key, __u32 slot,
				  __u64 now, int stale)
{
	struct pcbg_flow f = { .slot = slot, .seen = now };
	struct pcbg_slot *rec;

	rec = bpf_map_lookup_elem(&pcbg_slots, &slot);
	if (!rec)
		return;
	f.cookie = rec->cookie;
	if (stale && !flow_rewrite(key, &f))
		return;
	if (!bpf_map_update_elem(&pcbg_flows, key, &f, BPF_NOEXIST)) {
		if (cfg->stats)
			count(PCBG_STAT_FLOW_NEW);
		return;
	}
	flow_rewrite(key, &f);	/* another CPU entered it first */
}

/*
 * quic_cid_len: selects the socket of the slot the datagram's QUIC
 * destination connection ID names, draining or not, and returns the slot;
 * -1 (counted) when it names none alive: the algorithm picks.
 */
static __noinline long quic_select(struct sk_reuseport_md *ctx,
				   const struct pcbg_config *cfg,
				   const struct pcbg_group_info *grp)
{
	long pick = quic_cid_slot(ctx, grp->quic_cid_len);
	__u32 slot = pick;

	if (pick < 0 || slot >= grp->capacity ||
	    bpf_sk_select_reuseport(ctx, &pcbg_socks, &slot, 0)) {
		if (cfg->stats)
			count(PCBG_STAT_QUIC_FALLBACK);
		return -1;
	}
	return slot;
}

static __noinline void record_sample(struct sk_reuseport_md *ctx,
				     const struct pcbg_config *cfg,
				     __u32 hash, __u32 slot, __u32 n)
{
	__u32 head_key = PCBG_SAMPLES_NR, key;
	void *data_end = (void *)(long)ctx->data_end;
	__u8 *l4 = (void *)(long)ctx->data;
	struct pcbg_sample *head, *s;

	head = bpf_map_lookup_elem(&pcbg_samples, &head_key);
	if (!head)
		return;
	key = head->seq % PCBG_SAMPLES_NR;
	s = bpf_map_lookup_elem(&pcbg_samples, &key);
	if (!s)
		return;
	head->seq++;
	s->cpu = bpf_get_smp_processor_id();
	s->seq = head->seq;
	s->hash = hash;
	s->slot = slot;
	s->nr_slots = n;
	s->algorithm = cfg->algorithm;
	s->cpu_bits = cfg->cpu_bits;
	/* skb->data is at the TCP or UDP header: the ports come first */
	if (l4 + 4 <= (__u8 *)data_end) {
		s->sport = (__u16)l4[0] << 8 | l4[1];
		s->dport = (__u16)l4[2] << 8 | l4[3];
	} else {
		s->sport = 0;
		s->dport = 0;
	}
}

/*
 * The hot path, for a packet of a group with the default knobs: two
 * single-entry maps (knobs, group), one member or Maglev entry, the
 * selection, and one per-CPU counter line, that of the slot picked.
 * Everything else (2-tuple hash, CPU tables, second choices, migration,
 * samples, the other counters) is off the straight line.
 */
SEC("sk_reuseport/migrate")
int pcbg_select(struct sk_reuseport_md *ctx)
{
	const struct pcbg_group_info *grp;
	const struct pcbg_config *cfg;
	__u32 zero = 0, n, gen, slot, hash, ext, local = 0, hit = 0;
	int migrating = !!ctx->migrating_sk, flow = 0, stale = 0, routed = 0;
	struct pcbg_slot_count *cnt;
	struct pcbg_flow_key key;
	long pick = -1, err;
	__u64 now = 0;

	cfg = bpf_map_lookup_elem(&pcbg_cfg, &zero);
	grp = bpf_map_lookup_elem(&pcbg_group, &zero);
	if (unlikely(!cfg || !grp))
		return fallback(cfg, PCBG_STAT_FALLBACK_MISS);

	if (unlikely(migrating) && !cfg->migrate) {
		if (cfg->stats)
			count(PCBG_STAT_MIGRATE_REFUSED);
		return SK_DROP;	/* the closing listener's requests are reset */
	}

	/* the group's protocol, which the tools fixed: no socket to read */
	ext = grp->protocol == IPPROTO_TCP ? cfg->tcp_reuseport_ext :
					     cfg->udp_reuseport_ext;
	if (unlikely(!ext))
		return fallback(cfg, PCBG_STAT_FALLBACK_OFF);

	/*
	 * Once: all that follows is of this generation (see pcbg_group_info);
	 * after barrier_var() the compiler cannot load grp->gen again.
	 */
	gen = grp->gen & 1;
	barrier_var(gen);
	/* a migrating request may come without a packet: its hash is the one */
	hash = ctx->hash;
#ifndef PCBG_NO_QUIC	/* bench/cost measures the program without */
	/* a QUIC connection stays on the socket whose CID it carries */
	if (unlikely(grp->quic_cid_len) && grp->protocol == IPPROTO_UDP) {
		pick = quic_select(ctx, cfg, grp);
		if (pick >= 0) {
			slot = pick;
			routed = 1;
			n = 0;
			goto selected;
		}
	}
#endif
#ifndef PCBG_NO_FLOW_TABLE	/* bench/cost measures the program without */
	/*
	 * A UDP flow the table knows goes where it went before, even when
	 * every member drains.
	 */
	if (unlikely(cfg->flow_table) && grp->protocol == IPPROTO_UDP &&
	    !flow_key(ctx, cfg->hash_fields, &key)) {
		flow = 1;
		now = bpf_ktime_get_coarse_ns();
		pick = flow_select(ctx, cfg, &key, now);
		if (pick >= 0) {
			slot = pick;
			hit = 1;
			n = 0;
			goto selected;
		}
		stale = pick == FLOW_STALE;
		pick = -1;
	}
#endif
	n = grp->nr_members[gen];
	if (unlikely(!n || n > grp->capacity))
		return fallback(cfg, PCBG_STAT_FALLBACK_MISS);

	if (unlikely(cfg->hash_fields == PCBG_HASH_2TUPLE) && !migrating) {
		pick = addr_hash(ctx, grp->hash_seed);
		if (pick < 0)
			return fallback(cfg, PCBG_STAT_FALLBACK_MISS);
		hash = pick;
		pick = -1;
	}

	if (unlikely(cfg->algorithm == PCBG_ALGO_CPU)) {
		pick = pick_cpu_slot(grp, gen, hash, cfg->cpu_bits);
		if (pick >= 0) {
			slot = pick;
			if (bpf_sk_select_reuseport(ctx, &pcbg_socks, &slot, 0))
				pick = -1;	/* its socket closed: a miss */
		}
		local = pick >= 0;
		if (!local && cfg->stats)
			count(PCBG_STAT_CPU_MISS);
	}
	if (likely(pick < 0)) {
		pick = pick_member(cfg, grp, gen, hash, n);
		if (unlikely(pick < 0))
			return fallback(cfg, PCBG_STAT_FALLBACK_MISS);
		/* by load: TCP connections, and only new flows of UDP */
		if (unlikely(cfg->algorithm == PCBG_ALGO_LEAST_LOADED) &&
		    (grp->protocol == IPPROTO_TCP || flow))
			pick = second_choice(cfg, grp, gen, hash, pick);
		slot = pick;
		err = bpf_sk_select_reuseport(ctx, &pcbg_socks, &slot, 0);
		if (unlikely(err == -ENOENT)) {
			pick = repick(ctx, grp, gen, hash, n);
			err = pick < 0 ? pick : 0;
			if (!err) {
				slot = pick;
				if (cfg->stats)
					count(PCBG_STAT_REPICK);
			}
		}
		if (unlikely(err))	/* closed, and so was the second choice */
			return fallback(cfg, err == -ENOENT ?
				PCBG_STAT_FALLBACK_EMPTY :
				PCBG_STAT_FALLBACK_MISS);	/* another group's */
	}
#ifndef PCBG_NO_FLOW_TABLE
	if (unlikely(flow))
		flow_enter(cfg, &key, slot, now, stale);
#endif

selected:
	if (likely(cfg->stats)) {
		cnt = bpf_map_lookup_elem(&pcbg_slot_cnt, &slot);
		if (likely(cnt)) {
			cnt->selected++;
			cnt->cpu_local += local;
#ifndef PCBG_NO_FLOW_TABLE
			if (unlikely(hit))
				cnt->flow_hit++;
#endif
#ifndef PCBG_NO_QUIC
			if (unlikely(routed))
				cnt->quic_routed++;
#endif
		}
		if (unlikely(migrating))
			count(PCBG_STAT_MIGRATED);
	}
	if (unlikely(grp->samples))
		record_sample(ctx, cfg, hash, slot, n);
	return SK_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
