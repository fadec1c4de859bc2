// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/*
 * The Maglev table (Eisenbud et al., NSDI 2016): M entries, M a prime, each
 * naming a member's slot; a packet's hash picks one entry.
 *
 * The entries are not filled by Maglev's own round robin over per-member
 * permutations: on a join that moves flows between old members too (0.15%
 * of all flows at N = 64, a tenth more than the joiner's share).  Instead:
 *
 * - Home slots, from the number of slots K alone: slot 0 has every entry,
 *   then each next slot s takes M / (s + 1) entries, one at a time from the
 *   slots that have most.  Every slot has M/K +- 1 entries, and one more slot
 *   moves entries only to itself.
 * - The table: an entry whose home slot is a member goes to that member.
 *   An orphan (its home slot left, died or drains) stays with the member
 *   that has it in the table in use while that member is below its share,
 *   else it goes to a member below its share.  Every member ends with
 *   M/N +- 1 entries.
 *
 * So a leave moves only the leaver's entries, a new slot takes only its
 * share, and a socket back in its slot gets exactly its entries back.
 * maglev_weights.c fills the table, with weights or without; this file has
 * the sizes, the home slots and the packing.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "internal.h"

#define NO_ENTRY	UINT32_MAX

static int is_prime(__u32 n)
{
	__u32 d;

	if (n < 2)
		return 0;
	for (d = 2; (__u64)d * d <= n; d++)
		if (n % d == 0)
			return 0;
	return 1;
}

__u32 pcbg_maglev_size(__u32 k)
{
	__u64 t = PCBG_MAGLEV_MIN_SLOTS, m;

	while (t < k)
		t *= 2;
	m = PCBG_MAGLEV_RATIO * t;
	if (m > PCBG_MAGLEV_MAX)
		m = PCBG_MAGLEV_MAX;
	while (!is_prime(m))
		m--;	/* below 2^20 there is a prime close by */
	return m;
}

__u32 pcbg_maglev_next_size(__u32 m_now, __u32 k)
{
	/* half the ratio: a table grows 4x at a time, not at every doubling */
	if (m_now && (__u64)k * PCBG_MAGLEV_RATIO / 2 <= m_now)
		return m_now;
	return pcbg_maglev_size(k);
}

static __u32 gcd(__u32 a, __u32 b)
{
	while (b) {
		__u32 t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/*
 * home[j], the home slot of entry j, and cnt[s], the entries of slot s,
 * for @k slots.  Each slot's entries are a stack (next[], top[]); a new slot
 * takes from the tops, so what it takes does not depend on what comes later.
 */
int pcbg_maglev_home(__u32 *home, __u32 *cnt, __u32 m, __u32 k)
{
	__u32 *next, *top, s, o, i, j, most;
	/* slot 0's stack in a scattered order: a stride coprime to m visits all */
	__u32 stride = (__u32)((__u64)m * 0x9e3779b9ULL >> 32) ?: 1;

	if (gcd(stride, m) != 1)
		stride = 1;	/* m is a prime unless the group info is damaged */

	next = malloc(m * sizeof(*next));
	top = malloc(k * sizeof(*top));
	if (!next || !top) {
		free(next);
		free(top);
		return -ENOMEM;
	}
	top[0] = NO_ENTRY;
	for (i = 0, j = 0; i < m; i++, j = (j + stride) % m) {
		next[j] = top[0];
		top[0] = j;
	}
	cnt[0] = m;
	for (s = 1; s < k; s++) {
		__u32 take = m / (s + 1);

		top[s] = NO_ENTRY;
		cnt[s] = 0;
		for (o = 0, most = 0; o < s; o++)
			most = cnt[o] > most ? cnt[o] : most;
		/* the others differ by at most one: take from the largest first */
		for (; cnt[s] < take; most--) {
			for (o = 0; o < s && cnt[s] < take; o++) {
				if (cnt[o] != most)
					continue;
				j = top[o];
				top[o] = next[j];
				cnt[o]--;
				next[j] = top[s];
				top[s] = j;
				cnt[s]++;
			}
		}
	}
	for (s = 0; s < k; s++)
		for (j = top[s]; j != NO_ENTRY; j = next[j])
			home[j] = s;
	free(next);
	free(top);
	return 0;
}

__u32 pcbg_maglev_entry(const __u64 *words, __u32 j)
{
	if (!words)
		return UINT32_MAX;
	return (words[j / 4] >> (16 * (j % 4))) & 0xffff;
}

void pcbg_maglev_pack(__u64 *words, const __u32 *table, __u32 m)
{
	__u32 i, s;

	/* four 16-bit slots a word, as the program reads them */
	for (i = 0; i < PCBG_MAGLEV_WORDS(m); i++) {
		__u64 w = 0;

		for (s = 0; s < 4 && 4 * i + s < m; s++)
			w |= (__u64)table[4 * i + s] << (16 * s);
		words[i] = w;
	}
}
