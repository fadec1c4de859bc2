// SPDX-License-Identifier: GPL-2.0
/*
 * The Maglev table builder (tools/lib/maglev.c) alone, as katran unit-tests
 * its Maglev: no root, no BPF, no socket.  What the program relies on and
 * what the disruption bench measures under load, checked exactly: every
 * member holds M/N +- 1 entries, a leave moves only the leaver's entries, a
 * join moves entries only to the joiner, a socket back in its slot gets its
 * own entries back, and bad input is refused.
 */
#include <stdlib.h>

#include "kselftest_harness.h"
#include "internal.h"

#define K_MAX	64

static __u32 entry(const __u64 *words, __u32 j)
{
	return (words[j / 4] >> (16 * (j % 4))) & 0xffff;
}

/* The table without weights. */
static int maglev_build(__u64 *words, const __u64 *old_words, __u32 m, __u32 k,
			const __u32 *members, __u32 n)
{
	return pcbg_maglev_build_weighted(words, old_words, m, k, members, NULL, n, -1);
}

static __u64 *table_alloc(__u32 m)
{
	return calloc(PCBG_MAGLEV_WORDS(m), sizeof(__u64));
}

/* Members 0..k-1 but @gone (-1: none); returns how many. */
static __u32 members_but(__u32 *members, __u32 k, int gone)
{
	__u32 s, n = 0;

	for (s = 0; s < k; s++)
		if ((int)s != gone)
			members[n++] = s;
	return n;
}

/* Entries of the table that name each slot, into @cnt (k of them). */
static void count_entries(const __u64 *words, __u32 m, __u32 *cnt, __u32 k)
{
	__u32 j;

	memset(cnt, 0, k * sizeof(*cnt));
	for (j = 0; j < m; j++)
		if (entry(words, j) < k)
			cnt[entry(words, j)]++;
}

TEST(sizes_are_primes_with_room_for_every_slot)
{
	__u32 k, m, last = 0;

	for (k = 1; k <= PCBG_SLOTS_LIMIT; k += k < 64 ? 1 : k / 8) {
		__u32 d;

		m = pcbg_maglev_size(k);
		ASSERT_LE(m, PCBG_MAGLEV_MAX);
		ASSERT_LE(last, m) TH_LOG("k %u", k);	/* never shrinks */
		for (d = 2; (__u64)d * d <= m; d++)
			ASSERT_NE(0, m % d) TH_LOG("k %u: M %u is not a prime", k, m);
		if ((__u64)k * PCBG_MAGLEV_RATIO <= PCBG_MAGLEV_MAX / 2)
			EXPECT_LE((__u64)k * PCBG_MAGLEV_RATIO / 2, m) TH_LOG("k %u", k);
		last = m;
	}
}

TEST(every_member_holds_its_share_and_only_members_are_named)
{
	__u32 members[K_MAX], cnt[K_MAX], k, n, m, s;
	__u64 *t;

	for (k = 1; k <= K_MAX; k++) {
		m = pcbg_maglev_size(k);
		t = table_alloc(m);
		ASSERT_NE(NULL, t);
		for (int gone = -1; gone < (int)k && gone < 3; gone++) {
			n = members_but(members, k, gone);
			if (!n)
				continue;
			ASSERT_EQ(0, maglev_build(t, NULL, m, k, members, n));
			count_entries(t, m, cnt, k);
			for (s = 0; s < n; s++) {
				__u32 c = cnt[members[s]];

				EXPECT_LE(m / n, c) TH_LOG("k %u slot %u", k, members[s]);
				EXPECT_GE(m / n + 1, c) TH_LOG("k %u slot %u", k, members[s]);
			}
			if (gone >= 0)
				EXPECT_EQ(0, cnt[gone]) TH_LOG("k %u: left slot %d named", k, gone);
		}
		free(t);
	}
}

/* A leave moves the leaver's entries and no other; back, it gets them again. */
TEST(a_leave_moves_only_the_leavers_entries_and_a_return_restores_them)
{
	__u32 members[K_MAX], k = 16, m = pcbg_maglev_size(k), j, n, gone;
	__u64 *all = table_alloc(m), *left = table_alloc(m), *back = table_alloc(m);

	ASSERT_NE(NULL, all);
	ASSERT_NE(NULL, left);
	ASSERT_NE(NULL, back);
	n = members_but(members, k, -1);
	ASSERT_EQ(0, maglev_build(all, NULL, m, k, members, n));
	for (gone = 0; gone < k; gone++) {
		n = members_but(members, k, gone);
		ASSERT_EQ(0, maglev_build(left, all, m, k, members, n));
		for (j = 0; j < m; j++) {
			if (entry(all, j) == gone)
				continue;
			ASSERT_EQ(entry(all, j), entry(left, j)) TH_LOG("leave of %u", gone);
		}
		n = members_but(members, k, -1);
		ASSERT_EQ(0, maglev_build(back, left, m, k, members, n));
		ASSERT_EQ(0, memcmp(all, back, PCBG_MAGLEV_WORDS(m) * sizeof(__u64)))
			TH_LOG("slot %u back: not its own entries", gone);
	}
	free(all);
	free(left);
	free(back);
}

/* A new slot takes its share, from the others, and nothing moves between them. */
TEST(a_join_moves_entries_only_to_the_joiner)
{
	__u32 members[K_MAX], k, m, j, n, moved;
	__u64 *before, *after;

	for (k = 2; k <= 48; k++) {
		m = pcbg_maglev_size(k);
		if (m != pcbg_maglev_size(k - 1))
			continue;	/* the table grew: a resize moves most flows */
		before = table_alloc(m);
		after = table_alloc(m);
		ASSERT_NE(NULL, before);
		ASSERT_NE(NULL, after);
		n = members_but(members, k - 1, -1);
		ASSERT_EQ(0, maglev_build(before, NULL, m, k - 1, members, n));
		n = members_but(members, k, -1);
		ASSERT_EQ(0, maglev_build(after, before, m, k, members, n));
		for (j = 0, moved = 0; j < m; j++) {
			if (entry(before, j) == entry(after, j))
				continue;
			moved++;
			ASSERT_EQ(k - 1, entry(after, j))
				TH_LOG("k %u: entry %u moved between old slots", k, j);
		}
		EXPECT_GE(m / k + 1, moved) TH_LOG("k %u", k);
		EXPECT_LE(m / k, moved) TH_LOG("k %u", k);
		free(before);
		free(after);
	}
}

TEST(bad_input_is_refused)
{
	__u32 m = pcbg_maglev_size(4), up[] = { 0, 1, 2 }, down[] = { 2, 1 }, far[] = { 0, 4 };
	__u64 *t = table_alloc(m);

	ASSERT_NE(NULL, t);
	EXPECT_EQ(-EINVAL, maglev_build(t, NULL, m, 4, up, 0));	/* no member */
	EXPECT_EQ(-EINVAL, maglev_build(t, NULL, m, 0, up, 3));	/* no slot */
	EXPECT_EQ(-EINVAL, maglev_build(t, NULL, m, 4, down, 2));	/* not ascending */
	EXPECT_EQ(-EINVAL, maglev_build(t, NULL, m, 4, far, 2));	/* beyond k */
	EXPECT_EQ(-EINVAL, maglev_build(t, NULL, 2, 4, up, 3));	/* more than M */
	free(t);
}

TEST_HARNESS_MAIN
