// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * Weights: each member's share of a table of M entries, and the weight
 * table hash-threshold and modulo read when the members do not all weigh
 * the same (struct pcbg_group_info.weighted).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "internal.h"

int pcbg_weights_uniform(const __u32 *w, __u32 n)
{
	__u32 i;

	for (i = 1; w && i < n; i++)
		if (w[i] != w[0])
			return 0;
	return 1;
}

/*
 * Who gets one of the entries rounding leaves, best first: by @key, the
 * tier (see pcbg_weight_shares()) and the caller's preference in the
 * caller's order, then by @rem, the fraction of an entry its exact share
 * lost.
 */
struct extra_rank {
	__u64 key;
	__u64 rem;
	__u32 i;
};

static int by_extra(const void *a, const void *b)
{
	const struct extra_rank *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	if (x->rem != y->rem)
		return x->rem > y->rem ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* By share, the largest first: who gives up the entries forced ones cost. */
static int by_share(const void *a, const void *b)
{
	const struct extra_rank *x = a, *y = b;

	return x->rem > y->rem ? -1 : x->rem < y->rem;
}

/*
 * Who takes the next step of the sum, for band_shares(): by @order (1:
 * changes anyway the way the step goes, 2: the other way, 3: keeps what it
 * has), then by @key, the farthest from its exact share the way of the
 * step.
 */
struct band_rank {
	__u32 order;
	__u32 i;
	__s64 key;
};

static int by_band(const void *a, const void *b)
{
	const struct band_rank *x = a, *y = b;

	if (x->order != y->order)
		return x->order < y->order ? -1 : 1;
	if (x->key != y->key)
		return x->key > y->key ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* A member's bounds in band_shares(): within two entries of its exact share. */
static void band(__u64 q, __u64 total, __u32 *lo, __u32 *hi)
{
	__u32 f = q / total;

	*lo = f > 2 ? f - 1 : 1;
	*hi = f + 1;
}

/*
 * Shares with what each member holds (@have) as the first choice: a member
 * keeps what it has while that is within two entries of its exact share
 * (floor - 1 to floor + 1), so that when one weight changes the others keep
 * theirs even where their exact shares cross a whole entry.  The sum is
 * then made @m by stepping first the members that give or take entries
 * anyway.  0, -ENOMEM, or -ERANGE if the bounds cannot make @m (entries
 * forced to 1 go over): the caller rounds without @have.
 */
static int band_shares(__u32 *share, const __u32 *w, const __u32 *have,
		       __u32 n, __u32 m, __u64 total, int favour)
{
	struct band_rank *rank = malloc(n * sizeof(*rank));
	__u32 i, k, lo, hi, pass;
	__s64 d = m;
	__u64 q;

	if (!rank)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		band((__u64)m * (w ? w[i] : 1), total, &lo, &hi);
		share[i] = have[i] < lo ? lo : have[i] > hi ? hi : have[i];
		d -= share[i];
	}
	/* the member whose weight changed takes or gives it all, if it can */
	if (favour >= 0 && (__u32)favour < n) {
		__s64 to = (__s64)share[favour] + d;

		band((__u64)m * (w ? w[favour] : 1), total, &lo, &hi);
		to = to < lo ? lo : to > hi ? hi : to;
		d -= to - share[favour];
		share[favour] = to;
	}
	for (pass = 0; d && pass < 4; pass++) {
		for (i = 0; i < n; i++) {
			q = (__u64)m * (w ? w[i] : 1);
			rank[i].i = i;
			rank[i].key = (__s64)(q - (__u64)share[i] * total) * (d > 0 ? 1 : -1);
			/* up: givers give less first; down: takers take less */
			rank[i].order = share[i] == have[i] ? 3 :
					(share[i] < have[i]) == (d > 0) ? 1 : 2;
		}
		qsort(rank, n, sizeof(*rank), by_band);
		for (i = 0; d && i < n; i++) {
			k = rank[i].i;
			band((__u64)m * (w ? w[k] : 1), total, &lo, &hi);
			if (d > 0 && share[k] < hi) {
				share[k]++;
				d--;
			} else if (d < 0 && share[k] > lo) {
				share[k]--;
				d++;
			}
		}
	}
	free(rank);
	return d ? -ERANGE : 0;
}

int pcbg_weight_shares(__u32 *share, const __u32 *w, __u32 n, __u32 m,
		       const struct pcbg_share_hints *h)
{
	const __u32 *have = h ? h->have : NULL, *pref = h ? h->pref : NULL;
	int pref_first = h && h->pref_first;
	__u64 total = 0, q, tier, back, sum = 0;
	struct extra_rank *rank;
	__u32 i, k;
	int err;

	if (!n || n > m)
		return -EINVAL;
	rank = malloc(n * sizeof(*rank));
	if (!rank)
		return -ENOMEM;
	for (i = 0; i < n; i++)
		total += w ? w[i] : 1;
	if (have && !pref_first) {
		err = band_shares(share, w, have, n, m, total, h->favour);
		if (err != -ERANGE) {
			free(rank);
			return err;
		}
	}
	for (i = 0; i < n; i++) {
		q = (__u64)m * (w ? w[i] : 1);
		share[i] = q / total;
		rank[i].rem = q % total;
		if (!share[i]) {	/* a weight above 0 never rounds to nothing */
			share[i] = 1;
			rank[i].rem = 0;
		}
		sum += share[i];
		rank[i].i = i;
		/*
		 * An extra entry keeps it where it is (0), or lessens what it
		 * gives up (1) or what it takes (2), or has it take one (3).
		 */
		tier = !have ? 3 : have[i] == share[i] + 1 ? 0 : have[i] > share[i] ? 1 :
		       have[i] < share[i] ? 2 : 3;
		back = pref ? UINT32_MAX - pref[i] : 0;	/* the highest first */
		rank[i].key = pref_first ? back << 2 | tier : (__u64)tier << 32 | back;
	}
	if (sum <= m) {
		/* the m - sum < n entries the floors lost, one each */
		qsort(rank, n, sizeof(*rank), by_extra);
		for (i = 0; i < m - sum; i++)
			share[rank[i].i]++;
	} else {
		/* the forced entries, from the largest shares, one each in turn */
		for (i = 0; i < n; i++)
			rank[i].rem = share[rank[i].i];
		qsort(rank, n, sizeof(*rank), by_share);
		for (i = 0, k = 0; sum > m; i = (i + 1) % n) {
			if (share[rank[i].i] > 1) {
				share[rank[i].i]--;
				sum--;
				k = 0;
			} else if (++k > n) {
				break;	/* cannot be: n <= m */
			}
		}
	}
	free(rank);
	return 0;
}

/*
 * Runs in slot order, as hash-threshold's ranges of the member list: a
 * change of weight moves the boundaries after it, as a join or a leave
 * moves them without weights.
 */
int pcbg_weight_table(__u64 *words, __u32 m, const __u32 *members,
		      const __u32 *w, __u32 n)
{
	__u32 *share = malloc(n * sizeof(*share)), *table = malloc(m * sizeof(*table));
	__u32 i, j = 0, e;
	int err = -ENOMEM;

	if (share && table)
		err = pcbg_weight_shares(share, w, n, m, NULL);
	for (i = 0; !err && i < n; i++)
		for (e = 0; e < share[i]; e++)
			table[j++] = members[i];
	if (!err)
		pcbg_maglev_pack(words, table, m);
	free(share);
	free(table);
	return err;
}
