/* test_frame.c — TCP leg framing: encoder, incremental reader split at every byte position,
 * caps (pre/post handshake), zero-length frames, slow-declared frames holding only what
 * arrived, buffer shrink after a large frame, allocation failure, sticky errors. */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "frame.h"

/* Feeds (p, n) through r in one call sequence; appends every frame (with a 0xFF separator
 * for checking boundaries) to out. Returns the first error or 0; *nframes counts frames. */
static int drain(us__frame_reader *r, const uint8_t *p, size_t n, uint8_t *out, size_t *outlen,
                 int *nframes) {
    while (n > 0) {
        size_t used;
        const uint8_t *f;
        size_t flen;
        int rc = us__frame_reader_feed(r, p, n, &used, &f, &flen);
        if (rc < 0) return rc;
        assert_true(used <= n);
        p += used;
        n -= used;
        if (rc == 1) {
            assert_true(flen >= 1);
            memcpy(out + *outlen, f, flen);
            *outlen += flen;
            out[(*outlen)++] = 0xFF;
            (*nframes)++;
        } else {
            assert_int_equal(n, 0);
        }
    }
    return 0;
}

/* A stream of three frames: 1 byte, 300 bytes, 70000 bytes (bigger than the grow step). */
static uint8_t *make_stream(size_t *n, uint8_t *expect, size_t *expect_len) {
    static const size_t sizes[] = {1, 300, 70000};
    size_t total = 0;
    for (int k = 0; k < 3; k++) total += 4 + sizes[k];
    uint8_t *s = malloc(total);
    assert_non_null(s);
    size_t off = 0, eo = 0;
    for (int k = 0; k < 3; k++) {
        uint8_t *payload = malloc(sizes[k]);
        for (size_t i = 0; i < sizes[k]; i++) payload[i] = (uint8_t)((i * 7 + (size_t)k) % 251);
        int w = us__frame_encode(s + off, total - off, payload, sizes[k], US_FRAME_MAX);
        assert_int_equal(w, (int)(sizes[k] + 4));
        off += (size_t)w;
        memcpy(expect + eo, payload, sizes[k]);
        eo += sizes[k];
        expect[eo++] = 0xFF;
        free(payload);
    }
    *n = total;
    *expect_len = eo;
    return s;
}

static void test_split_every_position(void **state) {
    (void)state;
    size_t n, elen;
    uint8_t *expect = malloc(80000), *out = malloc(80000);
    uint8_t *s = make_stream(&n, expect, &elen);
    /* Two chunks, split at every byte position (a step of 1 up to 400, then coarser over the
     * big frame, plus the boundaries around it). */
    for (size_t cut = 0; cut <= n; cut += (cut < 400 || cut > n - 70 ? 1 : 97)) {
        us__frame_reader r;
        us__frame_reader_init(&r, US_FRAME_MAX);
        size_t olen = 0;
        int frames = 0;
        assert_int_equal(drain(&r, s, cut, out, &olen, &frames), 0);
        assert_int_equal(drain(&r, s + cut, n - cut, out, &olen, &frames), 0);
        assert_int_equal(frames, 3);
        assert_int_equal(olen, elen);
        assert_memory_equal(out, expect, elen);
        assert_int_equal(us__frame_reader_pending(&r), 0);
        us__frame_reader_free(&r);
    }
    /* Byte by byte. */
    us__frame_reader r;
    us__frame_reader_init(&r, US_FRAME_MAX);
    size_t olen = 0;
    int frames = 0;
    for (size_t i = 0; i < n; i++) assert_int_equal(drain(&r, s + i, 1, out, &olen, &frames), 0);
    assert_int_equal(frames, 3);
    assert_memory_equal(out, expect, elen);
    assert_int_equal(r.frames, 3);
    us__frame_reader_free(&r);
    free(s);
    free(expect);
    free(out);
}

static void test_zero_copy_and_leftover(void **state) {
    (void)state;
    uint8_t buf[64];
    int a = us__frame_encode(buf, sizeof buf, (const uint8_t *)"hello", 5, 0);
    int b = us__frame_encode(buf + a, sizeof buf - (size_t)a, (const uint8_t *)"xy", 2, 0);
    assert_int_equal(a, 9);
    assert_int_equal(b, 6);
    us__frame_reader r;
    us__frame_reader_init(&r, 0);
    size_t used, flen;
    const uint8_t *f;
    assert_int_equal(us__frame_reader_feed(&r, buf, (size_t)(a + b), &used, &f, &flen), 1);
    assert_int_equal(used, 9);
    assert_ptr_equal(f, buf + 4); /* no copy */
    assert_int_equal(flen, 5);
    assert_int_equal(us__frame_reader_capacity(&r), 0);
    assert_int_equal(us__frame_reader_feed(&r, buf + used, (size_t)(a + b) - used, &used, &f, &flen), 1);
    assert_int_equal(flen, 2);
    assert_memory_equal(f, "xy", 2);
    assert_int_equal(us__frame_reader_feed(&r, NULL, 0, &used, &f, &flen), 0);
    assert_int_equal(used, 0);
    us__frame_reader_free(&r);
}

static void test_zero_length_rejected(void **state) {
    (void)state;
    uint8_t z[8] = {0, 0, 0, 0, 0, 0, 0, 1};
    us__frame_reader r;
    us__frame_reader_init(&r, 0);
    size_t used, flen;
    const uint8_t *f;
    assert_int_equal(us__frame_reader_feed(&r, z, 3, &used, &f, &flen), 0);
    assert_int_equal(us__frame_reader_feed(&r, z + 3, 5, &used, &f, &flen), UMBRA_EPROTO);
    assert_int_equal(used, 0);
    /* Sticky. */
    assert_int_equal(us__frame_reader_feed(&r, z + 4, 4, &used, &f, &flen), UMBRA_EPROTO);
    assert_int_equal(us__frame_reader_error(&r), UMBRA_EPROTO);
    us__frame_reader_reset(&r);
    assert_int_equal(us__frame_reader_error(&r), 0);
    uint8_t hdr[4];
    assert_int_equal(us__frame_encode_header(hdr, 0, 0), UMBRA_EPROTO);
    us__frame_reader_free(&r);
}

static void test_oversized_declared(void **state) {
    (void)state;
    us__frame_reader r;
    size_t used, flen;
    const uint8_t *f;
    /* Default pre-handshake cap: 17 KiB accepted (it must hold the largest session packet,
     * 16421 bytes), 17 KiB + 1 rejected at the prefix. */
    assert_true(US_FRAME_MAX_HANDSHAKE >= 21 + 16384 + 16);
    uint8_t hdr[4];
    assert_int_equal(us__frame_encode_header(hdr, US_FRAME_MAX_HANDSHAKE, US_FRAME_MAX_HANDSHAKE), 0);
    us__frame_reader_init(&r, 0);
    assert_int_equal(us__frame_reader_feed(&r, hdr, 4, &used, &f, &flen), 0);
    us__frame_reader_free(&r);
    assert_int_equal(us__frame_encode_header(hdr, US_FRAME_MAX_HANDSHAKE + 1, US_FRAME_MAX_HANDSHAKE),
                     UMBRA_ETOOBIG);
    uint8_t big[4] = {0, 0, 0x44, 0x01}; /* 17409 */
    us__frame_reader_init(&r, 0);
    assert_int_equal(us__frame_reader_feed(&r, big, 4, &used, &f, &flen), UMBRA_ETOOBIG);
    assert_int_equal(us__frame_reader_capacity(&r), 0); /* nothing was allocated */
    assert_int_equal(us__frame_reader_feed(&r, big, 4, &used, &f, &flen), UMBRA_ETOOBIG);
    us__frame_reader_free(&r);
    /* After the handshake: 4 MiB accepted, 4 MiB + 1 and 0xFFFFFFFF rejected. */
    us__frame_reader_init(&r, 0);
    assert_int_equal(us__frame_reader_set_max(&r, US_FRAME_MAX), 0);
    assert_int_equal(us__frame_reader_feed(&r, big, 4, &used, &f, &flen), 0);
    us__frame_reader_free(&r);
    uint8_t over[4] = {0, 0x40, 0, 1}, huge[4] = {0xFF, 0xFF, 0xFF, 0xFF};
    us__frame_reader_init(&r, US_FRAME_MAX);
    assert_int_equal(us__frame_reader_feed(&r, over, 4, &used, &f, &flen), UMBRA_ETOOBIG);
    us__frame_reader_free(&r);
    us__frame_reader_init(&r, US_FRAME_MAX);
    assert_int_equal(us__frame_reader_feed(&r, huge, 4, &used, &f, &flen), UMBRA_ETOOBIG);
    us__frame_reader_free(&r);
    assert_int_equal(us__frame_encode_header(hdr, US_FRAME_MAX + 1, 0), UMBRA_ETOOBIG);
    /* Lowering the cap below a frame already announced fails at once. */
    us__frame_reader_init(&r, US_FRAME_MAX);
    uint8_t mid[4] = {0, 0, 0x80, 0}; /* 32 KiB */
    assert_int_equal(us__frame_reader_feed(&r, mid, 4, &used, &f, &flen), 0);
    assert_int_equal(us__frame_reader_set_max(&r, 0), UMBRA_ETOOBIG);
    assert_int_equal(us__frame_reader_feed(&r, mid, 1, &used, &f, &flen), UMBRA_ETOOBIG);
    us__frame_reader_free(&r);
}

static void test_slow_declared_holds_only_received(void **state) {
    (void)state;
    us__frame_reader r;
    us__frame_reader_init(&r, US_FRAME_MAX);
    uint8_t hdr[4];
    assert_int_equal(us__frame_encode_header(hdr, US_FRAME_MAX, 0), 0);
    size_t used, flen;
    const uint8_t *f;
    assert_int_equal(us__frame_reader_feed(&r, hdr, 4, &used, &f, &flen), 0);
    assert_int_equal(us__frame_reader_capacity(&r), 0); /* declared 4 MiB, hold nothing */
    uint8_t *chunk = calloc(1, 100000);
    size_t received = 0;
    size_t steps[] = {1, 1000, 65535, 1, 100000, 3, 77777};
    for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++) {
        assert_int_equal(us__frame_reader_feed(&r, chunk, steps[k], &used, &f, &flen), 0);
        assert_int_equal(used, steps[k]);
        received += steps[k];
        size_t cap = us__frame_reader_capacity(&r);
        assert_true(cap >= received);
        assert_true(cap < received + US_FRAME_GROW); /* never more than one step ahead */
        assert_int_equal(us__frame_reader_pending(&r), received + 4);
    }
    /* Now the peer finishes the frame: exactly 4 MiB delivered, buffer == 4 MiB. */
    size_t left = US_FRAME_MAX - received;
    int got = 0;
    while (left > 0) {
        size_t c = left < 100000 ? left : 100000;
        int rc = us__frame_reader_feed(&r, chunk, c, &used, &f, &flen);
        assert_true(rc >= 0);
        assert_int_equal(used, c);
        left -= c;
        if (rc == 1) {
            assert_int_equal(left, 0);
            assert_int_equal(flen, US_FRAME_MAX);
            got = 1;
        }
    }
    assert_true(got);
    assert_int_equal(us__frame_reader_capacity(&r), US_FRAME_MAX);
    /* SHRINK: the next call (even an empty one) gives the big buffer back. */
    assert_int_equal(us__frame_reader_feed(&r, NULL, 0, &used, &f, &flen), 0);
    assert_int_equal(us__frame_reader_capacity(&r), 0);
    us__frame_reader_free(&r);
    free(chunk);
}

static void test_small_buffer_kept(void **state) {
    (void)state;
    us__frame_reader r;
    us__frame_reader_init(&r, 0);
    uint8_t fr[1004];
    uint8_t payload[1000];
    memset(payload, 0xAB, sizeof payload);
    assert_int_equal(us__frame_encode(fr, sizeof fr, payload, sizeof payload, 0), 1004);
    size_t used, flen;
    const uint8_t *f;
    for (int k = 0; k < 3; k++) {
        assert_int_equal(us__frame_reader_feed(&r, fr, 500, &used, &f, &flen), 0);
        assert_int_equal(us__frame_reader_feed(&r, fr + 500, 504, &used, &f, &flen), 1);
        assert_int_equal(flen, 1000);
        assert_memory_equal(f, payload, 1000);
        assert_true(us__frame_reader_capacity(&r) >= 1000);
    }
    /* A small buffer is reused, not freed, between frames. */
    assert_int_equal(us__frame_reader_feed(&r, fr, 10, &used, &f, &flen), 0);
    assert_true(us__frame_reader_capacity(&r) > 0);
    us__frame_reader_free(&r);
    assert_int_equal(us__frame_reader_capacity(&r), 0);
    us__frame_reader_free(NULL);
}

static void test_alloc_failure_sticky(void **state) {
    (void)state;
    us__frame_reader r;
    us__frame_reader_init(&r, 0);
    uint8_t fr[104], payload[100] = {1};
    assert_int_equal(us__frame_encode(fr, sizeof fr, payload, sizeof payload, 0), 104);
    size_t used, flen;
    const uint8_t *f;
    umbra_alloc_fail_after(1, 0);
    assert_int_equal(us__frame_reader_feed(&r, fr, 50, &used, &f, &flen), UMBRA_ENOMEM);
    umbra_alloc_fail_after(0, 0);
    assert_int_equal(used, 0);
    assert_int_equal(us__frame_reader_feed(&r, fr + 50, 54, &used, &f, &flen), UMBRA_ENOMEM);
    us__frame_reader_reset(&r);
    assert_int_equal(us__frame_reader_feed(&r, fr, 50, &used, &f, &flen), 0);
    assert_int_equal(us__frame_reader_feed(&r, fr + 50, 54, &used, &f, &flen), 1);
    assert_memory_equal(f, payload, 100);
    us__frame_reader_free(&r);
}

static void test_encode_errors_and_in_place(void **state) {
    (void)state;
    uint8_t out[16];
    assert_int_equal(us__frame_encode(out, 7, (const uint8_t *)"abcd", 4, 0), UMBRA_ENOSPACE);
    assert_int_equal(us__frame_encode(out, 8, (const uint8_t *)"abcd", 4, 0), 8);
    assert_memory_equal(out, "\0\0\0\4abcd", 8);
    assert_int_equal(us__frame_encode(out, 16, (const uint8_t *)"abcd", 4, 3), UMBRA_ETOOBIG);
    /* In place: payload at out[0..5), framed into out[0..9). */
    memcpy(out, "hello", 5);
    assert_int_equal(us__frame_encode(out, sizeof out, out, 5, 0), 9);
    assert_memory_equal(out, "\0\0\0\5hello", 9);
    uint8_t hdr[4];
    assert_int_equal(us__frame_encode_header(hdr, 0x01020304, 0xFFFFFFFFu), 0);
    assert_memory_equal(hdr, "\1\2\3\4", 4);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_every_position),
        cmocka_unit_test(test_zero_copy_and_leftover),
        cmocka_unit_test(test_zero_length_rejected),
        cmocka_unit_test(test_oversized_declared),
        cmocka_unit_test(test_slow_declared_holds_only_received),
        cmocka_unit_test(test_small_buffer_kept),
        cmocka_unit_test(test_alloc_failure_sticky),
        cmocka_unit_test(test_encode_errors_and_in_place),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
