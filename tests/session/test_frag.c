/* test_frag.c — HandshakeFragment datagrams and their bounded reassembly (PROTOCOL.md
 * §2.6): strict parsing, out-of-order / duplicate / overlapping fragments, and a flood of
 * fragments from many spoofed addresses that cannot grow the server's reassembly state. */
#include <stdlib.h>
#include <string.h>

#include "session_internal.h"
#include "testutil.h"

/* A patterned ClientHello image of n bytes with cid_c = cid (content need not be valid for
 * reassembly; only the type byte and cid matter). */
static void fake_hello(uint8_t *h, size_t n, uint8_t type, uint8_t cid_byte) {
    for (size_t i = 0; i < n; i++) h[i] = (uint8_t)(i * 7 + 3);
    h[0] = type;
    memset(h + 5, cid_byte, US_CID_LEN);
}

static void test_frag_encode_decode(void **st) {
    (void)st;
    uint8_t h[US_SERVER_HELLO_LEN], d[US_FRAG_DGRAM_MAX + 8];
    fake_hello(h, US_CLIENT_HELLO_MIN, US_PT_CLIENT_HELLO, 0x11);
    /* ClientHello: 3 fragments, every datagram exactly 1200 bytes (padded) */
    size_t off = 0, nfr = 0;
    while (off < US_CLIENT_HELLO_MIN) {
        int k = us__frag_encode(d, sizeof d, h, US_CLIENT_HELLO_MIN, off, US_FRAG_DGRAM_MAX);
        assert_int_equal(k, US_FRAG_DGRAM_MAX);
        us__frag f;
        assert_int_equal(us__frag_decode(&f, d, (size_t)k), 0);
        assert_int_equal(f.msg, US_PT_CLIENT_HELLO);
        assert_int_equal(f.total, US_CLIENT_HELLO_MIN);
        assert_int_equal(f.offset, off);
        assert_memory_equal(f.data, h + off, f.len);
        assert_memory_equal(f.cid, h + 5, US_CID_LEN);
        off += f.len;
        nfr++;
    }
    assert_int_equal(nfr, 3);
    /* ServerHello: 4 fragments of at most 1200 bytes, not padded */
    fake_hello(h, US_SERVER_HELLO_LEN, US_PT_SERVER_HELLO, 0x22);
    size_t bytes = 0;
    for (off = 0, nfr = 0; off < US_SERVER_HELLO_LEN; off += US_FRAG_DATA_MAX, nfr++) {
        int k = us__frag_encode(d, sizeof d, h, US_SERVER_HELLO_LEN, off, 0);
        assert_true(k > 0 && k <= US_FRAG_DGRAM_MAX);
        bytes += (size_t)k;
    }
    assert_int_equal(nfr, 4);
    /* anti-amplification (§2.6): the whole ServerHello fits in 3x the padded ClientHello */
    assert_true(bytes <= 3 * 3 * US_FRAG_DGRAM_MAX);
    assert_int_equal(us__frag_encode(d, 100, h, US_SERVER_HELLO_LEN, 0, 0), UMBRA_ENOSPACE);
    assert_int_equal(us__frag_encode(d, sizeof d, h, 100, 0, 0), UMBRA_EINVAL); /* bad total */
}

static void test_frag_parse_strict(void **st) {
    (void)st;
    uint8_t h[US_CLIENT_HELLO_MIN], d[US_FRAG_DGRAM_MAX + 8], x[US_FRAG_DGRAM_MAX + 8];
    fake_hello(h, sizeof h, US_PT_CLIENT_HELLO, 0x33);
    int k = us__frag_encode(d, sizeof d, h, sizeof h, 2 * US_FRAG_DATA_MAX, US_FRAG_DGRAM_MAX);
    assert_int_equal(k, US_FRAG_DGRAM_MAX);
    us__frag f;
    assert_int_equal(us__frag_decode(&f, d, (size_t)k), 0);
    assert_int_equal(f.len, US_CLIENT_HELLO_MIN - 2 * US_FRAG_DATA_MAX);
    /* ClientHello fragments must be padded to exactly 1200 bytes */
    assert_int_equal(us__frag_decode(&f, d, (size_t)k - 1), UMBRA_EMALFORMED);
    assert_int_equal(us__frag_decode(&f, d, (size_t)k + 1), UMBRA_EMALFORMED);
    /* padding must be zero */
    memcpy(x, d, (size_t)k);
    x[k - 1] = 1;
    assert_int_equal(us__frag_decode(&f, x, (size_t)k), UMBRA_EMALFORMED);
    /* wrong version: version and cid reported for VersionNegotiation */
    memcpy(x, d, (size_t)k);
    us__put32(x + 1, 7);
    assert_int_equal(us__frag_decode(&f, x, (size_t)k), UMBRA_EVERSION);
    assert_memory_equal(f.cid, h + 5, US_CID_LEN);
    /* total out of range, unknown msg, offset+len past total, len 0, len > 1180 */
    memcpy(x, d, (size_t)k);
    us__put16(x + 14, US_HELLO_MAX + 1);
    assert_int_equal(us__frag_decode(&f, x, (size_t)k), UMBRA_EMALFORMED);
    memcpy(x, d, (size_t)k);
    x[13] = 0x10;
    assert_int_equal(us__frag_decode(&f, x, (size_t)k), UMBRA_EMALFORMED);
    memcpy(x, d, (size_t)k);
    us__put16(x + 16, (uint16_t)(2 * US_FRAG_DATA_MAX + 1));
    assert_int_equal(us__frag_decode(&f, x, (size_t)k), UMBRA_EMALFORMED);
    memcpy(x, d, (size_t)k);
    us__put16(x + 18, 0);
    assert_int_equal(us__frag_decode(&f, x, (size_t)k), UMBRA_EMALFORMED);
    memcpy(x, d, (size_t)k);
    us__put16(x + 16, 0);
    us__put16(x + 18, US_FRAG_DATA_MAX + 1);
    assert_int_equal(us__frag_decode(&f, x, (size_t)k), UMBRA_EMALFORMED);
    /* a ServerHello fragment with a total other than 4548 */
    memcpy(x, d, (size_t)k);
    x[13] = US_PT_SERVER_HELLO;
    assert_int_equal(us__frag_decode(&f, x, (size_t)k), UMBRA_EMALFORMED);
    /* truncated / oversized datagrams */
    for (size_t n = 0; n < US_FRAG_HDR_LEN + 1; n++) assert_true(us__frag_decode(&f, d, n) < 0);
    memset(x, 0, sizeof x);
    memcpy(x, d, (size_t)k);
    assert_int_equal(us__frag_decode(&f, x, US_FRAG_DGRAM_MAX + 1), UMBRA_EMALFORMED);
}

/* Fragments of one ServerHello in a scrambled order, with duplicates and overlapping
 * (misaligned) pieces: the message comes out intact, exactly once. */
static void test_reasm_order_dup_overlap(void **st) {
    (void)st;
    uint8_t h[US_SERVER_HELLO_LEN], d[US_FRAG_DGRAM_MAX];
    fake_hello(h, sizeof h, US_PT_SERVER_HELLO, 0x44);
    us__reasm r;
    memset(&r, 0, sizeof r);
    /* pieces: [offset, len) chosen to overlap each other and the 1180-byte grid */
    static const size_t pieces[][2] = {{3000, 1000}, {4000, 548}, {500, 1180}, {3000, 1000},
                                       {1700, 1080}, {0, 700},    {2700, 400},  {1500, 200}};
    int done = 0;
    for (size_t i = 0; i < sizeof pieces / sizeof pieces[0]; i++) {
        /* hand-built fragment: the encoder always starts at a chosen offset with max length */
        size_t off = pieces[i][0], len = pieces[i][1];
        d[0] = US_PT_HS_FRAGMENT;
        us__put32(d + 1, US_VERSION);
        memcpy(d + 5, h + 5, US_CID_LEN);
        d[13] = US_PT_SERVER_HELLO;
        us__put16(d + 14, US_SERVER_HELLO_LEN);
        us__put16(d + 16, (uint16_t)off);
        us__put16(d + 18, (uint16_t)len);
        memcpy(d + US_FRAG_HDR_LEN, h + off, len);
        us__frag f;
        assert_int_equal(us__frag_decode(&f, d, US_FRAG_HDR_LEN + len), 0);
        if (!r.used) us__reasm_start(&r, &f, 1);
        int rc = us__reasm_add(&r, &f);
        assert_true(rc == 0 || rc == 1);
        if (rc == 1) {
            assert_int_equal(i, 7); /* the last piece fills the last hole */
            done = 1;
        }
    }
    assert_true(done);
    assert_memory_equal(r.buf, h, sizeof h);
    /* a fragment of another message does not mix in */
    us__frag g = {US_VERSION, {0}, US_PT_CLIENT_HELLO, US_CLIENT_HELLO_MIN, 0, 10, h};
    memcpy(g.cid, h + 5, US_CID_LEN);
    assert_int_equal(us__reasm_add(&r, &g), UMBRA_EMALFORMED);
}

static void feed_hello(us__reasm_table *t, const uint8_t *h, size_t n, const uint8_t *addr, size_t al,
                       uint64_t now, int reverse, int *completed) {
    uint8_t d[US_FRAG_DGRAM_MAX];
    size_t nfr = (n + US_FRAG_DATA_MAX - 1) / US_FRAG_DATA_MAX;
    for (size_t j = 0; j < nfr; j++) {
        size_t i = reverse ? nfr - 1 - j : j;
        int k = us__frag_encode(d, sizeof d, h, n, i * US_FRAG_DATA_MAX, US_FRAG_DGRAM_MAX);
        assert_int_equal(k, US_FRAG_DGRAM_MAX);
        const uint8_t *m;
        size_t ml;
        int rc = us__reasm_table_input(t, d, (size_t)k, addr, al, now, &m, &ml, NULL);
        assert_true(rc == 0 || rc == 1);
        if (rc == 1) {
            assert_int_equal(ml, n);
            assert_memory_equal(m, h, n);
            (*completed)++;
        }
    }
}

/* A flood: 20000 first fragments of hellos from 20000 spoofed (address, cid) pairs. The
 * table never holds more than its cap, allocates nothing after init, and a real client whose
 * fragments arrive together still completes; entries expire after US_REASM_TIMEOUT_NS. */
static void test_reasm_flood_bounded(void **st) {
    (void)st;
    us__reasm_table t;
    assert_int_equal(us__reasm_table_init(&t, 32), 0);
    uint8_t h[US_SERVER_HELLO_LEN], d[US_FRAG_DGRAM_MAX];
    fake_hello(h, US_CLIENT_HELLO_MIN, US_PT_CLIENT_HELLO, 0);
    uint64_t now = 1000;
    for (uint32_t i = 0; i < 20000; i++) {
        uint8_t addr[6] = {'A', 0, 0, 0, 0, 0};
        us__put32(addr + 1, i);
        us__put32(h + 5, i);  /* a fresh cid_c per spoofed source */
        int k = us__frag_encode(d, sizeof d, h, US_CLIENT_HELLO_MIN, (i % 2) * US_FRAG_DATA_MAX, US_FRAG_DGRAM_MAX);
        const uint8_t *m;
        size_t ml;
        assert_int_equal(us__reasm_table_input(&t, d, (size_t)k, addr, sizeof addr, now, &m, &ml, NULL), 0);
        assert_true(us__reasm_table_live(&t, now) <= 32);
        now += 1000; /* 1 µs apart: 20 ms in all, far below the 3 s timeout */
        if (i == 10000) {
            /* a genuine client in the middle of the flood, fragments back to back */
            int completed = 0;
            uint8_t g[US_HELLO_MAX];
            fake_hello(g, US_CLIENT_HELLO_MIN + 24, US_PT_CLIENT_HELLO, 0xee);
            us__put16(g + 2415, 24);
            feed_hello(&t, g, US_CLIENT_HELLO_MIN + 24, (const uint8_t *)"real", 4, now, 1, &completed);
            assert_int_equal(completed, 1);
        }
    }
    assert_int_equal(us__reasm_table_live(&t, now), 32);
    assert_true(t.evicted >= 20000 - 32);
    assert_int_equal(t.completed, 1);
    /* all half-open entries expire */
    assert_int_equal(us__reasm_table_live(&t, now + US_REASM_TIMEOUT_NS), 0);
    /* the same cid from another address is another attempt (no cross-address mixing) */
    int completed = 0;
    fake_hello(h, US_CLIENT_HELLO_MIN, US_PT_CLIENT_HELLO, 0x55);
    uint8_t first[US_FRAG_DGRAM_MAX];
    int k = us__frag_encode(first, sizeof first, h, US_CLIENT_HELLO_MIN, 0, US_FRAG_DGRAM_MAX);
    const uint8_t *m;
    size_t ml;
    assert_int_equal(us__reasm_table_input(&t, first, (size_t)k, "X", 1, now, &m, &ml, NULL), 0);
    for (size_t off = US_FRAG_DATA_MAX; off < US_CLIENT_HELLO_MIN; off += US_FRAG_DATA_MAX) {
        k = us__frag_encode(d, sizeof d, h, US_CLIENT_HELLO_MIN, off, US_FRAG_DGRAM_MAX);
        assert_int_equal(us__reasm_table_input(&t, d, (size_t)k, "Y", 1, now, &m, &ml, NULL), 0);
    }
    /* a retransmitted round from "X" completes it; duplicates are harmless */
    feed_hello(&t, h, US_CLIENT_HELLO_MIN, (const uint8_t *)"X", 1, now, 0, &completed);
    assert_int_equal(completed, 1);
    /* a ServerHello fragment is not accepted by the server's table */
    fake_hello(h, US_SERVER_HELLO_LEN, US_PT_SERVER_HELLO, 0x66);
    k = us__frag_encode(d, sizeof d, h, US_SERVER_HELLO_LEN, 0, 0);
    assert_int_equal(us__reasm_table_input(&t, d, (size_t)k, "X", 1, now, &m, &ml, NULL), UMBRA_EMALFORMED);
    us__reasm_table_free(&t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frag_encode_decode),
        cmocka_unit_test(test_frag_parse_strict),
        cmocka_unit_test(test_reasm_order_dup_overlap),
        cmocka_unit_test(test_reasm_flood_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
