// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The Maglev table with weights (maglev.c has it without): each member's
 * share is in proportion to its weight (pcbg_weight_shares()), and the
 * table is filled so that a change of one weight moves entries only to or
 * from that member, as Katran's weighted Maglev aims to (it repeats a
 * member's permutation by weight; here the shares are exact and what each
 * member keeps is chosen):
 *
 * - every member keeps, up to its share, the entries it has in the table in
 *   use: its home entries first (maglev.c), then the others it holds;
 * - an entry left goes to its home slot's member if that one is below its
 *   share;
 * - the rest are dealt round robin to the members below their share.
 *
 * A member whose share grows keeps all it has and takes only what others
 * give up; one whose share shrinks gives up only its excess.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "internal.h"

#define NO_ENTRY	UINT32_MAX

/* Which entries a member takes, in the order of the passes over the table. */
enum { NONE, HELD_HOME, HELD, HOME };
static const int weighted_order[3] = { HELD_HOME, HELD, HOME };
static const int plain_order[3] = { HOME, HELD, NONE };

/* What one build works with: arrays by entry, by slot and by member. */
struct build {
	__u32 m, k, n;
	const __u32 *members;
	__u32 *home;		/* entry -> its home slot (pcbg_maglev_home()) */
	__u32 *table;		/* entry -> its member's slot; NO_ENTRY: free */
	__u32 *home_cnt;	/* slot -> its home entries */
	__u32 *idx;		/* slot -> its member, or NO_ENTRY */
	__u32 *have;		/* member -> its entries in the table in use */
	__u32 *pref;		/* member -> its home entries */
	__u32 *share;		/* member -> the entries it gets */
	__u32 *cnt;		/* member -> the entries it has so far */
	__u32 *needy;		/* members below their share (deal_rest()) */
};

/* Entry @j to member @i if it is below its share; 1 if taken. */
static int take(struct build *b, __u32 j, __u32 i)
{
	if (i == NO_ENTRY || b->cnt[i] >= b->share[i])
		return 0;
	b->table[j] = b->members[i];
	b->cnt[i]++;
	return 1;
}

/* The arrays (one block, b->home), the home slots, the members' slots. */
static int build_start(struct build *b, __u32 m, __u32 k, const __u32 *members, __u32 n)
{
	__u32 i;
	int err;

	*b = (struct build){ .m = m, .k = k, .n = n, .members = members };
	b->home = calloc(2 * (size_t)m + 2 * (size_t)k + 5 * (size_t)n, sizeof(__u32));
	if (!b->home)
		return -ENOMEM;
	b->table = b->home + m;
	b->home_cnt = b->table + m;
	b->idx = b->home_cnt + k;
	b->have = b->idx + k;
	b->pref = b->have + n;
	b->share = b->pref + n;
	b->cnt = b->share + n;
	b->needy = b->cnt + n;
	err = pcbg_maglev_home(b->home, b->home_cnt, m, k);
	if (err)
		return err;
	for (i = 0; i < m; i++)
		b->table[i] = NO_ENTRY;
	for (i = 0; i < k; i++)
		b->idx[i] = NO_ENTRY;
	for (i = 0; i < n; i++) {
		b->idx[members[i]] = i;
		b->pref[i] = b->home_cnt[members[i]];
	}
	return 0;
}

/*
 * Each member's share (pcbg_weight_shares()).  Without weights a share is
 * never below the home entries: a socket back in its slot gets exactly its
 * entries back.  With weights, the members holding more than their floor
 * keep it first.
 */
static int member_shares(struct build *b, const __u64 *old_words, const __u32 *weights,
			 int changed)
{
	struct pcbg_share_hints h = { .pref_first = !weights, .favour = -1, .pref = b->pref };
	__u32 j, s;

	for (j = 0; old_words && j < b->m; j++) {
		s = pcbg_maglev_entry(old_words, j);
		if (s < b->k && b->idx[s] != NO_ENTRY)
			b->have[b->idx[s]]++;
	}
	h.have = old_words ? b->have : NULL;
	if (changed >= 0 && (__u32)changed < b->k && b->idx[changed] != NO_ENTRY)
		h.favour = b->idx[changed];
	return pcbg_weight_shares(b->share, weights, b->n, b->m, &h);
}

/*
 * Without weights, home entries first: a socket back in its slot gets
 * exactly its entries back.  With weights, what each member holds first
 * (its home entries among them), so that only what a change of share asks
 * for moves; then home entries.
 */
static void keep_entries(struct build *b, const __u64 *old_words, const __u32 *weights)
{
	__u32 j, s, pass;

	for (pass = 0; pass < 3; pass++) {
		int kind = weights ? weighted_order[pass] : plain_order[pass];

		for (j = 0; j < b->m && kind != NONE; j++) {
			if (b->table[j] != NO_ENTRY)
				continue;
			s = kind == HOME ? b->home[j] : pcbg_maglev_entry(old_words, j);
			if (s >= b->k || (kind == HELD_HOME && s != b->home[j]))
				continue;
			take(b, j, b->idx[s]);
		}
	}
}

/* The rest round robin, so each needy member gets a like mix. */
static int deal_rest(struct build *b)
{
	__u32 i, j, r;

	for (i = 0, r = 0; i < b->n; i++)
		if (b->cnt[i] < b->share[i])
			b->needy[r++] = i;
	for (j = 0, i = 0; j < b->m; j++) {
		if (b->table[j] != NO_ENTRY)
			continue;
		if (!r)		/* cannot be: the shares add up to m */
			return -EFAULT;
		i %= r;
		take(b, j, b->needy[i]);
		if (b->cnt[b->needy[i]] < b->share[b->needy[i]])
			i++;
		else	/* full: the last one takes its turn */
			b->needy[i] = b->needy[--r];
	}
	return 0;
}

int pcbg_maglev_build_weighted(__u64 *words, const __u64 *old_words, __u32 m,
			       __u32 k, const __u32 *members, const __u32 *weights,
			       __u32 n, int changed)
{
	struct build b;
	__u32 i;
	int err;

	if (!n || !k || n > m)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (members[i] >= k || (i && members[i] <= members[i - 1]) ||
		    (weights && !weights[i]))
			return -EINVAL;	/* ascending, below k, weighing something */
	err = build_start(&b, m, k, members, n);
	if (!err)
		err = member_shares(&b, old_words, weights, changed);
	if (!err) {
		keep_entries(&b, old_words, weights);
		err = deal_rest(&b);
	}
	if (!err)
		pcbg_maglev_pack(words, b.table, m);
	free(b.home);
	return err;
}
