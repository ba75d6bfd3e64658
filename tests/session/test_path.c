/* test_path.c — path registry: add/find/recycle, validation with 32-byte challenges (match on
 * any path, retransmission with fresh data, give-up), anti-amplification (RFC 9000 §8.1),
 * RTT (RFC 9002 §5.3 numbers), scheduler choice, failover on loss / idle death, liveness
 * probes. All time is explicit. */
#include <string.h>

#include "testutil.h"
#include "path.h"
#include "umbra/crypto.h"

#define MS 1000000ull

static const uint8_t L1[] = {10, 0, 0, 1, 0x1f, 0x90}, P1[] = {10, 0, 0, 2, 0x1f, 0x90};
static const uint8_t L2[] = {192, 168, 1, 5, 0x30, 0x39}, P2[] = {10, 0, 0, 2, 0x1f, 0x91};
static const uint8_t L3[] = {172, 16, 0, 9, 0, 80};

static int setup(void **state) {
    (void)state;
    return uc_init();
}

static us__path_config cfg_fast(void) {
    us__path_config c;
    us__path_config_default(&c);
    c.challenge_timeout_ns = 100 * MS;
    c.max_retries = 2;
    c.dead_losses = 3;
    c.idle_timeout_ns = 1000 * MS;
    return c;
}

static void test_add_find_remove(void **state) {
    (void)state;
    us__paths r;
    us__paths_init(&r, NULL);
    assert_int_equal(r.cfg.amplification_factor, 3);
    int a = us__paths_add(&r, L1, sizeof L1, P1, sizeof P1, 0);
    assert_true(a >= 0);
    assert_int_equal(us__paths_add(&r, L1, sizeof L1, P1, sizeof P1, 5), a); /* same path */
    int b = us__paths_add(&r, L1, sizeof L1, P2, sizeof P2, 0);
    assert_true(b >= 0 && b != a);
    assert_int_equal(us__paths_find(&r, L1, sizeof L1, P2, sizeof P2), b);
    assert_int_equal(us__paths_find(&r, L2, sizeof L2, P2, sizeof P2), UMBRA_ENOENT);
    assert_int_equal(us__paths_get(&r, a)->state, US_PATH_UNVALIDATED);
    assert_int_equal(us__paths_add(&r, L1, 0, P1, sizeof P1, 0), UMBRA_EINVAL);
    uint8_t big[US_PATH_ADDR_MAX + 1] = {0};
    assert_int_equal(us__paths_add(&r, big, sizeof big, P1, sizeof P1, 0), UMBRA_EINVAL);
    assert_int_equal(us__paths_remove(&r, b), 0);
    assert_null(us__paths_get(&r, b));
    assert_int_equal(us__paths_remove(&r, b), UMBRA_EINVAL);
    assert_null(us__paths_get(&r, -1));
    assert_null(us__paths_get(&r, US_PATH_MAX));
}

static void test_full_recycles_failed(void **state) {
    (void)state;
    us__path_config c = cfg_fast();
    us__paths r;
    us__paths_init(&r, &c);
    uint8_t peer[4] = {1, 2, 3, 0};
    for (int i = 0; i < US_PATH_MAX; i++) {
        peer[3] = (uint8_t)i;
        assert_int_equal(us__paths_add(&r, L1, sizeof L1, peer, sizeof peer, 0), i);
    }
    peer[3] = 200;
    assert_int_equal(us__paths_add(&r, L1, sizeof L1, peer, sizeof peer, 0), UMBRA_ENOSPACE);
    /* Fail path 5 (validated then 3 losses) and path 2 later: 5 failed first → recycled. */
    us__path_event ev;
    assert_int_equal(us__paths_set_validated(&r, 5, 0), 0);
    assert_int_equal(us__paths_set_validated(&r, 2, 0), 0);
    for (int k = 0; k < 3; k++) us__paths_on_loss(&r, 5, 10);
    for (int k = 0; k < 3; k++) us__paths_on_loss(&r, 2, 20);
    assert_int_equal(us__paths_get(&r, 5)->state, US_PATH_FAILED);
    while (us__paths_poll(&r, 30, &ev) == 1) {
    }
    assert_int_equal(us__paths_add(&r, L1, sizeof L1, peer, sizeof peer, 40), 5);
    assert_int_equal(us__paths_get(&r, 5)->state, US_PATH_UNVALIDATED);
    peer[3] = 201;
    assert_int_equal(us__paths_add(&r, L1, sizeof L1, peer, sizeof peer, 40), 2);
}

static void test_validation_roundtrip(void **state) {
    (void)state;
    us__path_config c = cfg_fast();
    us__paths r;
    us__paths_init(&r, &c);
    int a = us__paths_add(&r, L1, sizeof L1, P1, sizeof P1, 0);
    int b = us__paths_add(&r, L2, sizeof L2, P2, sizeof P2, 0);
    uint8_t ca[32], cb[32], zero[32] = {0};
    assert_int_equal(us__paths_challenge(&r, a, 1000 * MS, ca), 0);
    assert_int_equal(us__paths_challenge(&r, b, 1000 * MS, cb), 0);
    assert_memory_not_equal(ca, cb, 32);
    assert_memory_not_equal(ca, zero, 32);
    assert_int_equal(us__paths_get(&r, a)->state, US_PATH_VALIDATING);
    assert_int_equal(us__paths_select(&r), UMBRA_ENOENT); /* nothing validated yet */
    /* A wrong response (one bit off) is rejected and changes nothing. */
    uint8_t bad[32];
    memcpy(bad, cb, 32);
    bad[31] ^= 1;
    assert_int_equal(us__paths_on_response(&r, bad, 1010 * MS), UMBRA_EAUTH);
    assert_int_equal(us__paths_on_response(&r, zero, 1010 * MS), UMBRA_EAUTH);
    /* b's response validates b (whatever path it arrived on) and yields its RTT. */
    assert_int_equal(us__paths_on_response(&r, cb, 1042 * MS), b);
    const us__path *pb = us__paths_get(&r, b);
    assert_int_equal(pb->state, US_PATH_VALIDATED);
    assert_int_equal(pb->has_rtt, 1);
    assert_int_equal(pb->smoothed_rtt_ns, 42 * MS);
    assert_int_equal(us__paths_get(&r, a)->state, US_PATH_VALIDATING);
    /* A response is good once. */
    assert_int_equal(us__paths_on_response(&r, cb, 1050 * MS), UMBRA_EAUTH);
    assert_int_equal(us__paths_select(&r), b);
    assert_int_equal(us__paths_on_response(&r, ca, 1100 * MS), a);
}

static void test_retransmit_and_give_up(void **state) {
    (void)state;
    us__path_config c = cfg_fast(); /* 100 ms, doubling, 2 retries */
    us__paths r;
    us__paths_init(&r, &c);
    int a = us__paths_add(&r, L1, sizeof L1, P1, sizeof P1, 0);
    uint8_t c0[32];
    us__path_event ev;
    assert_int_equal(us__paths_next_timeout(&r), UINT64_MAX);
    assert_int_equal(us__paths_challenge(&r, a, 0, c0), 0);
    assert_int_equal(us__paths_next_timeout(&r), 100 * MS);
    assert_int_equal(us__paths_poll(&r, 99 * MS, &ev), 0);
    assert_int_equal(us__paths_poll(&r, 100 * MS, &ev), 1);
    assert_int_equal(ev.kind, US_PATH_EV_SEND_CHALLENGE);
    assert_int_equal(ev.id, a);
    assert_memory_not_equal(ev.challenge, c0, 32); /* fresh data every time */
    uint8_t c1[32];
    memcpy(c1, ev.challenge, 32);
    assert_int_equal(us__paths_poll(&r, 100 * MS, &ev), 0);
    assert_int_equal(us__paths_next_timeout(&r), 300 * MS); /* 100 + 200 */
    assert_int_equal(us__paths_poll(&r, 300 * MS, &ev), 1);
    assert_int_equal(ev.kind, US_PATH_EV_SEND_CHALLENGE);
    assert_int_equal(us__paths_next_timeout(&r), 700 * MS); /* 300 + 400 */
    /* Retries exhausted at the next deadline: FAILED, reported once. */
    assert_int_equal(us__paths_poll(&r, 700 * MS, &ev), 1);
    assert_int_equal(ev.kind, US_PATH_EV_FAILED);
    assert_int_equal(ev.id, a);
    assert_int_equal(us__paths_poll(&r, 700 * MS, &ev), 0);
    assert_int_equal(us__paths_get(&r, a)->state, US_PATH_FAILED);
    /* Late responses for a failed path do not revive it. */
    assert_int_equal(us__paths_on_response(&r, c1, 710 * MS), UMBRA_EAUTH);
    assert_int_equal(us__paths_send_allowance(&r, a), 0);
    /* Restarting validation works; an older challenge of the same attempt is honoured
     * (US_PATH_CHALLENGES_KEPT), the RTT measured from ITS send time. */
    uint8_t d0[32];
    assert_int_equal(us__paths_challenge(&r, a, 1000 * MS, d0), 0);
    assert_int_equal(us__paths_poll(&r, 1100 * MS, &ev), 1);
    assert_int_equal(us__paths_on_response(&r, d0, 1130 * MS), a);
    assert_int_equal(us__paths_get(&r, a)->latest_rtt_ns, 130 * MS);
    assert_int_equal(us__paths_next_timeout(&r), UINT64_MAX);
}

static void test_anti_amplification(void **state) {
    (void)state;
    us__paths r;
    us__paths_init(&r, NULL);
    int a = us__paths_add(&r, L1, sizeof L1, P1, sizeof P1, 0);
    assert_int_equal(us__paths_send_allowance(&r, a), 0); /* nothing received yet */
    us__paths_on_recv(&r, a, 1200, 1);
    assert_int_equal(us__paths_send_allowance(&r, a), 3600);
    us__paths_on_sent(&r, a, 3000, 2);
    assert_int_equal(us__paths_send_allowance(&r, a), 600);
    us__paths_on_sent(&r, a, 600, 3);
    assert_int_equal(us__paths_send_allowance(&r, a), 0);
    us__paths_on_sent(&r, a, 100, 3); /* caller overshoot: no underflow */
    assert_int_equal(us__paths_send_allowance(&r, a), 0);
    us__paths_on_recv(&r, a, 100, 4);
    assert_int_equal(us__paths_send_allowance(&r, a), 3 * 1300 - 3700);
    assert_int_equal(us__paths_set_validated(&r, a, 5), 0);
    assert_int_equal(us__paths_send_allowance(&r, a), UINT64_MAX);
    assert_int_equal(us__paths_send_allowance(&r, 7), 0);
}

static void test_rtt_rfc9002(void **state) {
    (void)state;
    us__paths r;
    us__paths_init(&r, NULL);
    int a = us__paths_add(&r, L1, sizeof L1, P1, sizeof P1, 0);
    assert_int_equal(us__paths_on_rtt(&r, a, 0), UMBRA_EINVAL);
    assert_int_equal(us__paths_on_rtt(&r, a, 100 * MS), 0);
    const us__path *p = us__paths_get(&r, a);
    assert_int_equal(p->smoothed_rtt_ns, 100 * MS);
    assert_int_equal(p->rttvar_ns, 50 * MS);
    assert_int_equal(p->min_rtt_ns, 100 * MS);
    assert_int_equal(us__paths_on_rtt(&r, a, 200 * MS), 0);
    /* rttvar = 3/4·50 + 1/4·|100−200| = 62.5; srtt = 7/8·100 + 1/8·200 = 112.5 */
    assert_int_equal(p->rttvar_ns, 62500000);
    assert_int_equal(p->smoothed_rtt_ns, 112500000);
    assert_int_equal(p->min_rtt_ns, 100 * MS);
    assert_int_equal(us__paths_on_rtt(&r, a, 80 * MS), 0);
    assert_int_equal(p->min_rtt_ns, 80 * MS);
    assert_int_equal(p->latest_rtt_ns, 80 * MS);
}

static void test_scheduler_and_failover(void **state) {
    (void)state;
    us__path_config c = cfg_fast();
    us__paths r;
    us__paths_init(&r, &c);
    int a = us__paths_add(&r, L1, sizeof L1, P1, sizeof P1, 0);
    int b = us__paths_add(&r, L2, sizeof L2, P2, sizeof P2, 0);
    int d = us__paths_add(&r, L3, sizeof L3, P2, sizeof P2, 0);
    us__paths_set_validated(&r, a, 0);
    us__paths_set_validated(&r, b, 0);
    us__paths_set_primary(&r, a);
    /* No RTT yet: tie → the primary. */
    assert_int_equal(us__paths_select(&r), a);
    us__paths_on_rtt(&r, a, 50 * MS);
    us__paths_on_rtt(&r, b, 20 * MS);
    assert_int_equal(us__paths_select(&r), b); /* lowest smoothed RTT */
    r.cfg.prefer_primary = 1;
    assert_int_equal(us__paths_select(&r), a);
    r.cfg.prefer_primary = 0;
    assert_int_equal(us__paths_select(&r), b);
    /* d is unvalidated: never chosen even with a tiny RTT. */
    us__paths_on_rtt(&r, d, 1 * MS);
    assert_int_equal(us__paths_select(&r), b);
    /* Losses below the threshold, interrupted by an ACK, do not kill. */
    us__path_event ev;
    us__paths_on_loss(&r, b, 10);
    us__paths_on_loss(&r, b, 11);
    us__paths_on_ack(&r, b, 12);
    us__paths_on_loss(&r, b, 13);
    us__paths_on_loss(&r, b, 14);
    assert_int_equal(us__paths_poll(&r, 15, &ev), 0);
    us__paths_on_loss(&r, b, 16); /* third consecutive → dead */
    assert_int_equal(us__paths_next_timeout(&r), 0);
    assert_int_equal(us__paths_poll(&r, 17, &ev), 1);
    assert_int_equal(ev.kind, US_PATH_EV_FAILED);
    assert_int_equal(ev.id, b);
    assert_int_equal(us__paths_poll(&r, 17, &ev), 1);
    assert_int_equal(ev.kind, US_PATH_EV_FAILOVER);
    assert_int_equal(ev.prev, b);
    assert_int_equal(ev.id, a);
    assert_int_equal(us__paths_poll(&r, 18, &ev), 0);
    assert_int_equal(us__paths_select(&r), a);
    /* The last path dies too: failover to nothing. */
    for (int k = 0; k < 3; k++) us__paths_on_loss(&r, a, 20);
    assert_int_equal(us__paths_poll(&r, 21, &ev), 1);
    assert_int_equal(ev.kind, US_PATH_EV_FAILED);
    assert_int_equal(us__paths_poll(&r, 21, &ev), 1);
    assert_int_equal(ev.kind, US_PATH_EV_FAILOVER);
    assert_int_equal(ev.prev, a);
    assert_int_equal(ev.id, -1);
    assert_int_equal(us__paths_select(&r), UMBRA_ENOENT);
}

static void test_idle_death_and_probe(void **state) {
    (void)state;
    us__path_config c = cfg_fast(); /* idle 1 s */
    us__paths r;
    us__paths_init(&r, &c);
    int a = us__paths_add(&r, L1, sizeof L1, P1, sizeof P1, 0);
    int b = us__paths_add(&r, L2, sizeof L2, P2, sizeof P2, 0);
    us__paths_set_validated(&r, a, 0);
    us__paths_set_validated(&r, b, 0);
    us__paths_on_rtt(&r, a, 10 * MS);
    us__paths_on_rtt(&r, b, 30 * MS);
    assert_int_equal(us__paths_select(&r), a);
    us__path_event ev;
    /* Silence without anything outstanding is not death. */
    assert_int_equal(us__paths_poll(&r, 5000 * MS, &ev), 0);
    /* Sent at 5 s, nothing back: dead at 6 s; a receive in between re-arms. */
    us__paths_on_sent(&r, a, 1000, 5000 * MS);
    us__paths_on_sent(&r, a, 1000, 5500 * MS);
    assert_int_equal(us__paths_next_timeout(&r), 6000 * MS);
    us__paths_on_recv(&r, a, 50, 5900 * MS);
    assert_int_equal(us__paths_poll(&r, 6000 * MS, &ev), 0);
    us__paths_on_sent(&r, a, 1000, 6100 * MS);
    assert_int_equal(us__paths_poll(&r, 7099 * MS, &ev), 0);
    assert_int_equal(us__paths_poll(&r, 7100 * MS, &ev), 1);
    assert_int_equal(ev.kind, US_PATH_EV_FAILED);
    assert_int_equal(us__paths_poll(&r, 7100 * MS, &ev), 1);
    assert_int_equal(ev.kind, US_PATH_EV_FAILOVER);
    assert_int_equal(ev.id, b);
    /* A liveness probe keeps b usable while outstanding, and a missing answer kills it. */
    uint8_t ch[32];
    assert_int_equal(us__paths_challenge(&r, b, 8000 * MS, ch), 0);
    assert_int_equal(us__paths_get(&r, b)->state, US_PATH_VALIDATED);
    assert_int_equal(us__paths_select(&r), b);
    assert_int_equal(us__paths_poll(&r, 8100 * MS, &ev), 1);
    assert_int_equal(ev.kind, US_PATH_EV_SEND_CHALLENGE);
    assert_int_equal(us__paths_poll(&r, 8300 * MS, &ev), 1);
    assert_int_equal(ev.kind, US_PATH_EV_SEND_CHALLENGE);
    assert_int_equal(us__paths_poll(&r, 8700 * MS, &ev), 1);
    assert_int_equal(ev.kind, US_PATH_EV_FAILED);
    assert_int_equal(ev.id, b);
    assert_int_equal(us__paths_poll(&r, 8700 * MS, &ev), 1);
    assert_int_equal(ev.kind, US_PATH_EV_FAILOVER);
    assert_int_equal(ev.id, -1);
    /* Re-validating a failed path and answering brings it back as the active path. */
    assert_int_equal(us__paths_challenge(&r, a, 9000 * MS, ch), 0);
    assert_int_equal(us__paths_on_response(&r, ch, 9020 * MS), a);
    assert_int_equal(us__paths_select(&r), a);
    /* Removing the active path triggers a failover event. */
    assert_int_equal(us__paths_remove(&r, a), 0);
    assert_int_equal(us__paths_poll(&r, 9100 * MS, &ev), 1);
    assert_int_equal(ev.kind, US_PATH_EV_FAILOVER);
    assert_int_equal(ev.prev, a);
}

static void test_probe_answered(void **state) {
    (void)state;
    us__paths r;
    us__paths_init(&r, NULL);
    int a = us__paths_add(&r, L1, sizeof L1, P1, sizeof P1, 0);
    us__paths_set_validated(&r, a, 0);
    uint8_t ch[32];
    assert_int_equal(us__paths_challenge(&r, a, 100, ch), 0);
    assert_true(us__paths_next_timeout(&r) != UINT64_MAX);
    assert_int_equal(us__paths_on_response(&r, ch, 100 + 7 * MS), a);
    const us__path *p = us__paths_get(&r, a);
    assert_int_equal(p->state, US_PATH_VALIDATED);
    assert_int_equal(p->probing, 0);
    assert_int_equal(p->latest_rtt_ns, 7 * MS);
    assert_int_equal(us__paths_next_timeout(&r), UINT64_MAX);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_find_remove),       cmocka_unit_test(test_full_recycles_failed),
        cmocka_unit_test(test_validation_roundtrip),  cmocka_unit_test(test_retransmit_and_give_up),
        cmocka_unit_test(test_anti_amplification),    cmocka_unit_test(test_rtt_rfc9002),
        cmocka_unit_test(test_scheduler_and_failover), cmocka_unit_test(test_idle_death_and_probe),
        cmocka_unit_test(test_probe_answered),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
