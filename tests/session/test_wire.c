/* test_wire.c — range sets and the strict hello / header / frame parsers (PROTOCOL.md §2,
 * §3): exact sizes, trailing bytes, unknown flags, truncation. */
#include <stdlib.h>
#include <string.h>

#include "session_internal.h"
#include "testutil.h"

static void test_ranges(void **st) {
    (void)st;
    us__ranges r;
    us__ranges_init(&r, 4);
    assert_int_equal(us__ranges_add(&r, 10, 20, 0), 0);
    assert_int_equal(us__ranges_add(&r, 30, 40, 0), 0);
    assert_int_equal(us__ranges_add(&r, 20, 30, 0), 0); /* bridges both */
    assert_int_equal(r.n, 1);
    assert_true(r.r[0].lo == 10 && r.r[0].hi == 40);
    assert_true(us__ranges_contains(&r, 12, 39));
    assert_false(us__ranges_contains(&r, 5, 12));
    assert_int_equal(us__ranges_remove(&r, 15, 25), 0); /* split */
    assert_int_equal(r.n, 2);
    uint64_t a, b;
    assert_int_equal(us__ranges_first_gap(&r, 10, 50, &a, &b), 1);
    assert_true(a == 15 && b == 25);
    us__ranges_trim_below(&r, 30);
    assert_true(r.n == 1 && r.r[0].lo == 30 && r.r[0].hi == 40);
    /* the bound: refuse, or drop the lowest */
    us__ranges_add(&r, 50, 51, 0);
    us__ranges_add(&r, 60, 61, 0);
    us__ranges_add(&r, 70, 71, 0);
    assert_int_equal(r.n, 4);
    assert_int_equal(us__ranges_add(&r, 80, 81, 0), UMBRA_ENOSPACE);
    assert_int_equal(us__ranges_add(&r, 80, 81, 1), 0);
    assert_true(r.n == 4 && r.r[0].lo == 50 && r.r[3].lo == 80);
    us__ranges_free(&r);
}

static void test_client_hello_parse(void **st) {
    (void)st;
    uint8_t h[US_CLIENT_HELLO_MIN + 8];
    memset(h, 0, sizeof h);
    h[0] = US_PT_CLIENT_HELLO;
    us__put32(h + 1, US_VERSION);
    h[2413] = 3;
    us__client_hello ch;
    assert_int_equal(us__client_hello_decode(&ch, h, US_CLIENT_HELLO_MIN), 0);
    assert_int_equal(us__client_hello_decode(&ch, h, US_CLIENT_HELLO_MIN + 1), UMBRA_EMALFORMED); /* trailing */
    assert_true(us__client_hello_decode(&ch, h, US_CLIENT_HELLO_MIN - 1) < 0);                  /* short */
    us__put16(h + 2415, 8);
    assert_int_equal(us__client_hello_decode(&ch, h, US_CLIENT_HELLO_MIN + 8), 0);
    assert_int_equal(ch.token_len, 8);
    h[2414] = 4; /* unknown flag */
    assert_int_equal(us__client_hello_decode(&ch, h, US_CLIENT_HELLO_MIN + 8), UMBRA_EMALFORMED);
    h[2414] = US_CH_TICKET; /* a ticket needs 72 token bytes */
    assert_int_equal(us__client_hello_decode(&ch, h, US_CLIENT_HELLO_MIN + 8), UMBRA_EMALFORMED);
    h[2414] = 0;
    h[2413] = 0; /* no AEAD */
    assert_int_equal(us__client_hello_decode(&ch, h, US_CLIENT_HELLO_MIN + 8), UMBRA_EMALFORMED);
    h[2413] = 1;
    us__put32(h + 1, 7);
    assert_int_equal(us__client_hello_decode(&ch, h, US_CLIENT_HELLO_MIN + 8), UMBRA_EVERSION);
    uint8_t vn[64], cid[8];
    uint32_t v[4];
    int n = us__version_neg_encode(vn, sizeof vn, ch.cid);
    assert_int_equal(n, 18);
    assert_int_equal(us__version_neg_decode(vn, (size_t)n, cid, v, 4), 1);
    assert_int_equal(v[0], US_VERSION);
    assert_true(us__version_neg_decode(vn, (size_t)n - 1, cid, v, 4) < 0);
}

static void test_server_hello_parse(void **st) {
    (void)st;
    uint8_t h[US_SERVER_HELLO_LEN + 1];
    memset(h, 0, sizeof h);
    h[0] = US_PT_SERVER_HELLO;
    us__put32(h + 1, US_VERSION);
    h[1173] = US_AEAD_CHACHA20POLY1305;
    us__server_hello sh;
    assert_int_equal(us__server_hello_decode(&sh, h, US_SERVER_HELLO_LEN), 0);
    assert_true(us__server_hello_decode(&sh, h, US_SERVER_HELLO_LEN + 1) < 0);
    assert_true(us__server_hello_decode(&sh, h, US_SERVER_HELLO_LEN - 1) < 0);
    h[1173] = 3;
    assert_true(us__server_hello_decode(&sh, h, US_SERVER_HELLO_LEN) < 0);
}

static void test_header_and_frames(void **st) {
    (void)st;
    us__hdr h = {US_PT_DATA, 1, 2, {1, 2, 3, 4, 5, 6, 7, 8}, 9, US_SEQ_MAX}, g;
    uint8_t b[64];
    assert_int_equal(us__hdr_encode(b, &h), 0);
    memset(b + US_HDR_LEN, 0, 17);
    assert_int_equal(us__hdr_decode(&g, b, US_HDR_LEN + 17), 0);
    assert_true(g.seq == US_SEQ_MAX && g.stream == 9 && g.epoch == 2 && g.path == 1);
    assert_true(us__hdr_decode(&g, b, US_HDR_LEN + 16) < 0); /* no payload byte */
    h.seq = US_SEQ_MAX + 1;
    assert_int_equal(us__hdr_encode(b, &h), UMBRA_ERANGE);
    /* ACK ranges must be descending and disjoint, 1..32 of them */
    us__ack_range r[2] = {{3, 5}, {7, 9}};
    int n = us__frame_ack(b, sizeof b, 0, 0, r, 2);
    us__frame f;
    assert_true(us__frame_decode(&f, b, (size_t)n) < 0);
    r[0].first = 10, r[0].last = 12, r[1].first = 3, r[1].last = 9; /* adjacent: not disjoint */
    n = us__frame_ack(b, sizeof b, 0, 0, r, 2);
    assert_true(us__frame_decode(&f, b, (size_t)n) < 0);
    r[1].last = 8;
    n = us__frame_ack(b, sizeof b, 0, 0, r, 2);
    assert_int_equal(us__frame_decode(&f, b, (size_t)n), n);
    b[0] = 0x7f; /* unknown frame type */
    assert_true(us__frame_decode(&f, b, 1) < 0);
    /* STREAM beyond 2^62 and a bad fin byte */
    n = us__frame_stream(b, sizeof b, 1, (1ull << 62), (const uint8_t *)"x", 1, 0);
    assert_true(us__frame_decode(&f, b, (size_t)n) < 0);
    n = us__frame_stream(b, sizeof b, 1, 0, (const uint8_t *)"x", 1, 0);
    b[15] = 2;
    assert_true(us__frame_decode(&f, b, (size_t)n) < 0);
}

/* CLIENT_AUTH_PART (§4.4): off:2 len:2 data, inside the 5357-byte body, len >= 1. */
static void test_client_auth_part_parse(void **st) {
    (void)st;
    uint8_t b[5 + 100];
    memset(b, 0x5a, sizeof b);
    b[0] = US_FT_CLIENT_AUTH_PART;
    us__put16(b + 1, US_CLIENT_AUTH_BODY - 100);
    us__put16(b + 3, 100);
    us__frame f;
    assert_int_equal(us__frame_decode(&f, b, sizeof b), (int)sizeof b);
    assert_int_equal(f.offset, US_CLIENT_AUTH_BODY - 100);
    assert_int_equal(f.len, 100);
    assert_true(us__frame_decode(&f, b, sizeof b - 1) < 0);           /* truncated */
    us__put16(b + 1, US_CLIENT_AUTH_BODY - 99);
    assert_true(us__frame_decode(&f, b, sizeof b) < 0);               /* past the body */
    us__put16(b + 1, 0);
    us__put16(b + 3, 0);
    assert_true(us__frame_decode(&f, b, sizeof b) < 0);               /* empty */
    for (size_t n = 0; n < 5; n++) assert_true(us__frame_decode(&f, b, n) < 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ranges),
        cmocka_unit_test(test_client_hello_parse),
        cmocka_unit_test(test_server_hello_parse),
        cmocka_unit_test(test_client_auth_part_parse),
        cmocka_unit_test(test_header_and_frames),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
