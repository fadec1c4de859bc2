// SPDX-License-Identifier: GPL-2.0
/*
 * Weights in the tables alone (tools/lib/weights.c, maglev_weights.c): no
 * root, no BPF, no socket.  Each member's share follows its weight, the
 * weight table gives each member one run of its share in slot order, and on
 * Maglev a change of one weight moves entries only to or from that slot.
 */
#include <stdlib.h>

#include "kselftest_harness.h"
#include "internal.h"

#define K	16

static __u32 entry(const __u64 *words, __u32 j)
{
	return (words[j / 4] >> (16 * (j % 4))) & 0xffff;
}

/* A reproducible weight in 1..PCBG_WEIGHT_MAX, often small, sometimes not. */
static __u32 some_weight(unsigned int *seed)
{
	__u32 r = rand_r(seed);

	return r % 4 ? 1 + r / 4 % 400 : 1 + r / 4 % PCBG_WEIGHT_MAX;
}

TEST(shares_follow_the_weights)
{
	__u32 w[K], share[K], m, n, i, round;
	unsigned int seed = 1;

	for (round = 0; round < 2000; round++) {
		double total = 0, exact;
		__u64 sum = 0;

		n = 1 + round % K;
		m = pcbg_maglev_size(n);
		for (i = 0; i < n; i++) {
			w[i] = round % 7 ? some_weight(&seed) : PCBG_WEIGHT_MAX * (i == 0) + 1;
			total += w[i];
		}
		ASSERT_EQ(0, pcbg_weight_shares(share, w, n, m, NULL));
		for (i = 0; i < n; i++) {
			exact = m * w[i] / total;
			sum += share[i];
			ASSERT_LE(1, share[i]);
			/* within an entry, but what the forced ones (< n) cost */
			ASSERT_GT(exact < 1 ? 2 : 1 + (exact > m / n ? n : 0),
				  share[i] > exact ? share[i] - exact : exact - share[i])
				TH_LOG("round %u: member %u weight %u: share %u of %u, exact %.2f",
				       round, i, w[i], share[i], m, exact);
		}
		ASSERT_EQ(m, sum);
	}
}

TEST(the_weight_table_is_one_run_per_member_in_slot_order)
{
	__u32 members[4] = { 1, 2, 5, 9 }, w[4] = { 100, 300, 5, 100 }, share[4];
	__u32 m = pcbg_maglev_size(10), j, i = 0, run = 0;
	__u64 *t = calloc(PCBG_MAGLEV_WORDS(m), sizeof(*t));

	ASSERT_NE(NULL, t);
	ASSERT_EQ(0, pcbg_weight_shares(share, w, 4, m, NULL));
	ASSERT_EQ(0, pcbg_weight_table(t, m, members, w, 4));
	for (j = 0; j < m; j++) {
		if (entry(t, j) != members[i]) {
			ASSERT_EQ(share[i], run) TH_LOG("member %u", i);
			i++;
			run = 0;
			ASSERT_GT(4, i);
			ASSERT_EQ(members[i], entry(t, j));
		}
		run++;
	}
	EXPECT_EQ(3, i);
	EXPECT_EQ(share[3], run);
	free(t);
}

/*
 * From equal weights, one slot at a time is weighed again (0 included: it
 * leaves), many times: what moves is the slot's change of share, to or from
 * it; between two other slots, only what rounding cannot place otherwise,
 * rarely (an entry in a thousand steps).
 */
TEST(a_weight_change_moves_entries_only_to_or_from_its_slot)
{
	__u32 m = pcbg_maglev_size(K), members[K], w[K], wk[K], n, i, j, x, step;
	__u32 moved, before_x, after_x, slack = 0, outside = 0, bad_steps = 0, counted;
	__u64 *t = calloc(PCBG_MAGLEV_WORDS(m), sizeof(*t));
	__u64 *u = calloc(PCBG_MAGLEV_WORDS(m), sizeof(*u));
	unsigned int seed = 7;

	ASSERT_NE(NULL, t);
	ASSERT_NE(NULL, u);
	for (i = 0; i < K; i++) {
		members[i] = i;
		w[i] = PCBG_WEIGHT_DEFAULT;
	}
	ASSERT_EQ(0, pcbg_maglev_build_weighted(t, NULL, m, K, members, NULL, K, -1));
	for (step = 0; step < 3000; step++) {
		x = rand_r(&seed) % K;
		w[x] = step % 5 == 0 ? PCBG_WEIGHT_DEFAULT : step % 11 == 0 ? 0 :
		       some_weight(&seed);
		for (i = 0, n = 0; i < K; i++) {
			if (!w[i])
				continue;
			members[n] = i;
			wk[n++] = w[i];
		}
		if (!n) {
			w[x] = PCBG_WEIGHT_DEFAULT;
			continue;
		}
		ASSERT_EQ(0, pcbg_maglev_build_weighted(u, t, m, K, members, wk, n, x));
		moved = 0;
		counted = 0;
		before_x = 0;
		after_x = 0;
		for (j = 0; j < m; j++) {
			before_x += entry(t, j) == x;
			after_x += entry(u, j) == x;
			if (entry(t, j) == entry(u, j))
				continue;
			moved++;
			if (!(entry(t, j) == x || entry(u, j) == x)) {
				outside++;
				bad_steps += !counted;
				counted = 1;
			}
		}
		/* what x gained or lost, and what the others' rounding asks */
		ASSERT_GE((before_x > after_x ? before_x - after_x : after_x - before_x) + n,
			  moved) TH_LOG("step %u", step);
		slack += moved - (before_x > after_x ? before_x - after_x : after_x - before_x);
		memcpy(t, u, PCBG_MAGLEV_WORDS(m) * sizeof(*t));
	}
	TH_LOG("entries moved beyond the changed slot's own change: %u in 3000 steps",
	       slack);
	TH_LOG("entries moved between two other slots: %u, in %u steps", outside, bad_steps);
	/* rounding's rare leftovers: 4 entries of 1021 in 3 of 3000 steps */
	EXPECT_GE(3000 / 300, outside);
	free(t);
	free(u);
}

TEST(bad_input_is_refused)
{
	__u32 members[3] = { 0, 1, 2 }, w[3] = { 1, 0, 1 }, share[3];
	__u64 t[PCBG_MAGLEV_WORDS(1021)];

	EXPECT_EQ(-EINVAL, pcbg_maglev_build_weighted(t, NULL, 1021, 3, members, w, 3, -1));
	EXPECT_EQ(-EINVAL, pcbg_weight_shares(share, w, 0, 1021, NULL));
	EXPECT_EQ(-EINVAL, pcbg_weight_shares(share, w, 3, 2, NULL));
}

TEST_HARNESS_MAIN
