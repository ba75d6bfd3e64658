/* test_replay.c — anti-replay window: boundaries, huge jumps, bitmap wraparound, duplicates,
 * counters, and a randomized comparison with a naive reference model. */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "replay.h"

#define W ((uint64_t)US_REPLAY_WINDOW)

static void test_first_and_duplicates(void **state) {
    (void)state;
    us__replay w;
    us__replay_init(&w);
    int any = 1;
    assert_int_equal(us__replay_top(&w, &any), 0);
    assert_int_equal(any, 0);
    /* 0 is a valid first sequence number. */
    assert_int_equal(us__replay_check(&w, 0), 0);
    assert_int_equal(us__replay_commit(&w, 0), 0);
    assert_int_equal(us__replay_check(&w, 0), UMBRA_EREPLAY);
    assert_int_equal(us__replay_commit(&w, 0), UMBRA_EREPLAY);
    assert_int_equal(us__replay_accept(&w, 1), 0);
    assert_int_equal(us__replay_accept(&w, 1), UMBRA_EREPLAY);
    assert_int_equal(us__replay_accept(&w, 1), UMBRA_EREPLAY);
    assert_int_equal(us__replay_top(&w, &any), 1);
    assert_int_equal(any, 1);
    assert_int_equal(w.n_replayed, 3);
    assert_int_equal(w.n_too_old, 0);
    assert_int_equal(w.n_accepted, 2);
}

static void test_check_does_not_mark(void **state) {
    (void)state;
    us__replay w;
    us__replay_init(&w);
    /* AEAD-verified but then dropped by the caller: checking alone never marks. */
    for (int i = 0; i < 5; i++) assert_int_equal(us__replay_check(&w, 42), 0);
    assert_int_equal(us__replay_accept(&w, 42), 0);
    assert_int_equal(w.n_replayed, 0);
    assert_int_equal(w.n_accepted, 1);
}

static void test_window_boundary(void **state) {
    (void)state;
    us__replay w;
    us__replay_init(&w);
    uint64_t top = 10 * W + 17;
    assert_int_equal(us__replay_accept(&w, top), 0);
    /* top - (W-1) is the oldest number still inside the window. */
    assert_int_equal(us__replay_check(&w, top - (W - 1)), 0);
    assert_int_equal(us__replay_check(&w, top - W), UMBRA_ERANGE);
    assert_int_equal(us__replay_check(&w, 0), UMBRA_ERANGE);
    assert_int_equal(w.n_too_old, 2);
    assert_int_equal(us__replay_accept(&w, top - (W - 1)), 0);
    assert_int_equal(us__replay_accept(&w, top - (W - 1)), UMBRA_EREPLAY);
    /* Moving top by one pushes that number out of the window: now too old, not a replay. */
    assert_int_equal(us__replay_accept(&w, top + 1), 0);
    assert_int_equal(us__replay_check(&w, top - (W - 1)), UMBRA_ERANGE);
    /* Everything between is still acceptable exactly once. */
    for (uint64_t s = top - (W - 2); s < top; s++) assert_int_equal(us__replay_accept(&w, s), 0);
    for (uint64_t s = top - (W - 2); s <= top + 1; s++)
        assert_int_equal(us__replay_check(&w, s), UMBRA_EREPLAY);
}

static void test_huge_jump(void **state) {
    (void)state;
    us__replay w;
    us__replay_init(&w);
    for (uint64_t s = 0; s < 100; s++) assert_int_equal(us__replay_accept(&w, s), 0);
    uint64_t big = (uint64_t)1 << 62;
    assert_int_equal(us__replay_accept(&w, big), 0);
    /* The bitmap was emptied: numbers just below the new top were never seen. */
    for (uint64_t s = big - (W - 1); s < big; s++) assert_int_equal(us__replay_check(&w, s), 0);
    assert_int_equal(us__replay_check(&w, 99), UMBRA_ERANGE);
    assert_int_equal(us__replay_check(&w, big), UMBRA_EREPLAY);
    /* The very last sequence number works and everything is then below or equal. */
    assert_int_equal(us__replay_accept(&w, UINT64_MAX), 0);
    assert_int_equal(us__replay_accept(&w, UINT64_MAX), UMBRA_EREPLAY);
    assert_int_equal(us__replay_accept(&w, UINT64_MAX - 1), 0);
    assert_int_equal(us__replay_check(&w, UINT64_MAX - W), UMBRA_ERANGE);
    assert_int_equal(us__replay_top(&w, NULL), UINT64_MAX);
}

static void test_partial_jump_near_max(void **state) {
    (void)state;
    us__replay w;
    us__replay_init(&w);
    /* A jump smaller than W that ends at UINT64_MAX (exercises the word-clearing path). */
    uint64_t base = UINT64_MAX - W / 2 - 5;
    assert_int_equal(us__replay_accept(&w, base), 0);
    assert_int_equal(us__replay_accept(&w, UINT64_MAX), 0);
    for (uint64_t s = base + 1; s < UINT64_MAX; s++) assert_int_equal(us__replay_check(&w, s), 0);
    assert_int_equal(us__replay_check(&w, base), UMBRA_EREPLAY);
}

static void test_bitmap_wraparound(void **state) {
    (void)state;
    us__replay w;
    us__replay_init(&w);
    /* Walk the top through many multiples of W with gaps of various sizes (including ones
     * that straddle word and ring boundaries), leaving holes; holes stay acceptable. */
    uint64_t s = 5;
    assert_int_equal(us__replay_accept(&w, s), 0);
    uint64_t steps[] = {1, 63, 64, 65, 127, W - 1, W / 2 + 3, 2, 200};
    for (int round = 0; round < 40; round++) {
        uint64_t step = steps[round % (int)(sizeof steps / sizeof steps[0])];
        uint64_t prev = s;
        s += step;
        assert_int_equal(us__replay_accept(&w, s), 0);
        if (step < W) {
            assert_int_equal(us__replay_check(&w, prev), UMBRA_EREPLAY);
            for (uint64_t h = prev + 1; h < s; h++) assert_int_equal(us__replay_check(&w, h), 0);
        }
        assert_int_equal(us__replay_check(&w, s), UMBRA_EREPLAY);
    }
}

/* Reference: remember every committed number in a sorted-free array (small universe). */
#define UNIVERSE (W * 6)
static void test_random_against_model(void **state) {
    (void)state;
    uint8_t *seen = calloc((size_t)UNIVERSE, 1);
    assert_non_null(seen);
    us__replay w;
    us__replay_init(&w);
    uint64_t top = 0;
    int any = 0;
    uint64_t x = 0x9e3779b97f4a7c15ull;
    uint64_t cur = 0;
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        /* Mostly forward with reordering of up to ~1.5 W and occasional duplicates. */
        int64_t delta = (int64_t)(x % (3 * W / 2)) - (int64_t)(W * 3 / 4);
        if (x % 7 == 0) cur += 1;
        uint64_t seq = (uint64_t)((int64_t)cur + delta);
        if ((int64_t)seq < 0 || seq >= UNIVERSE) seq = cur % UNIVERSE;
        if (cur < UNIVERSE - W) cur++;
        int expect;
        if (!any || seq > top) expect = 0;
        else if (top - seq >= W) expect = UMBRA_ERANGE;
        else expect = seen[seq] ? UMBRA_EREPLAY : 0;
        int rc = us__replay_check(&w, seq);
        assert_int_equal(rc, expect);
        if (rc == 0 && (x >> 40) % 4 != 0) { /* sometimes the caller drops after check */
            assert_int_equal(us__replay_commit(&w, seq), 0);
            seen[seq] = 1;
            if (!any || seq > top) top = seq;
            any = 1;
        }
    }
    free(seen);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_and_duplicates), cmocka_unit_test(test_check_does_not_mark),
        cmocka_unit_test(test_window_boundary),      cmocka_unit_test(test_huge_jump),
        cmocka_unit_test(test_partial_jump_near_max), cmocka_unit_test(test_bitmap_wraparound),
        cmocka_unit_test(test_random_against_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
