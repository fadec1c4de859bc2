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

/* Entry @j to member @i if it is below its share; 1 if taken. */
static int take(__u32 *table, __u32 *cnt, const __u32 *share, const __u32 *members,
		__u32 j, __u32 i)
{
	if (i == NO_ENTRY || cnt[i] >= share[i])
		return 0;
	table[j] = members[i];
	cnt[i]++;
	return 1;
}

int pcbg_maglev_build_weighted(__u64 *words, const __u64 *old_words, __u32 m,
			       __u32 k, const __u32 *members, const __u32 *weights,
			       __u32 n, int changed)
{
	struct pcbg_share_hints h = { .pref_first = !weights, .favour = -1 };
	__u32 *home, *home_cnt, *idx, *have, *pref, *share, *cnt, *table, *needy;
	__u32 i, j, r, s, pass;
	int err = -ENOMEM;

	if (!n || !k || n > m)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (members[i] >= k || (i && members[i] <= members[i - 1]) ||
		    (weights && !weights[i]))
			return -EINVAL;	/* ascending, below k, weighing something */
	home = malloc(m * sizeof(*home));
	table = malloc(m * sizeof(*table));
	home_cnt = calloc(k, sizeof(*home_cnt));
	idx = malloc(k * sizeof(*idx));		/* slot -> member, or NO_ENTRY */
	have = calloc(n, sizeof(*have));
	pref = malloc(n * sizeof(*pref));
	share = calloc(n, sizeof(*share));
	cnt = calloc(n, sizeof(*cnt));
	needy = malloc(n * sizeof(*needy));
	if (!home || !table || !home_cnt || !idx || !have || !pref || !share ||
	    !cnt || !needy)
		goto out;
	err = pcbg_maglev_home(home, home_cnt, m, k);
	if (err)
		goto out;
	for (s = 0; s < k; s++)
		idx[s] = NO_ENTRY;
	for (i = 0; i < n; i++) {
		idx[members[i]] = i;
		pref[i] = home_cnt[members[i]];
	}
	for (j = 0; old_words && j < m; j++) {
		s = pcbg_maglev_entry(old_words, j);
		if (s < k && idx[s] != NO_ENTRY)
			have[idx[s]]++;
	}
	/*
	 * Without weights a share is never below the home entries: a socket
	 * back in its slot gets exactly its entries back.  With weights, the
	 * members holding more than their floor keep it first.
	 */
	h.have = old_words ? have : NULL;
	h.pref = pref;
	if (changed >= 0 && (__u32)changed < k && idx[changed] != NO_ENTRY)
		h.favour = idx[changed];
	err = pcbg_weight_shares(share, weights, n, m, &h);
	if (err)
		goto out;

	for (j = 0; j < m; j++)
		table[j] = NO_ENTRY;
	/*
	 * Without weights, home entries first: a socket back in its slot gets
	 * exactly its entries back.  With weights, what each member holds
	 * first (its home entries among them), so that only what a change of
	 * share asks for moves; then home entries.
	 */
	for (pass = 0; pass < 3; pass++) {
		int kind = weights ? weighted_order[pass] : plain_order[pass];

		for (j = 0; j < m && kind != NONE; j++) {
			if (table[j] != NO_ENTRY)
				continue;
			s = kind == HOME ? home[j] : pcbg_maglev_entry(old_words, j);
			if (s >= k || (kind == HELD_HOME && s != home[j]))
				continue;
			take(table, cnt, share, members, j, idx[s]);
		}
	}
	/* the rest round robin, so each needy member gets a like mix */
	for (i = 0, r = 0; i < n; i++)
		if (cnt[i] < share[i])
			needy[r++] = i;
	for (j = 0, i = 0; j < m; j++) {
		if (table[j] != NO_ENTRY)
			continue;
		if (!r) {	/* cannot be: the shares add up to m */
			err = -EFAULT;
			goto out;
		}
		i %= r;
		take(table, cnt, share, members, j, needy[i]);
		if (cnt[needy[i]] < share[needy[i]])
			i++;
		else	/* full: the last one takes its turn */
			needy[i] = needy[--r];
	}
	pcbg_maglev_pack(words, table, m);
out:
	free(home);
	free(table);
	free(home_cnt);
	free(idx);
	free(have);
	free(pref);
	free(share);
	free(cnt);
	free(needy);
	return err;
}
