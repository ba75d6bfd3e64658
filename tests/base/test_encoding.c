/* tests for src/base/encoding.c: RFC 4648 §10 vectors (base16/32/64), base58btc known
 * answers from draft-msporny-base58-03 §5, unsigned-varint examples from the multiformats
 * spec, strictness, and round trips over random inputs. */
#include "testutil.h"
#include "umbra/base.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* xorshift64*: deterministic inputs so a failure reproduces. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void) {
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dull;
}
static void rnd_bytes(uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)rnd();
    /* Bias toward leading zeros now and then: they are special in base58. */
    if (n && rnd() % 4 == 0) memset(p, 0, 1 + rnd() % n);
}

/* RFC 4648 §10 */
static const struct { const char *in, *b16, *b32, *b64, *b64url; } rfc4648[] = {
    {"", "", "", "", ""},
    {"f", "66", "my", "Zg==", "Zg"},
    {"fo", "666f", "mzxq", "Zm8=", "Zm8"},
    {"foo", "666f6f", "mzxw6", "Zm9v", "Zm9v"},
    {"foob", "666f6f62", "mzxw6yq", "Zm9vYg==", "Zm9vYg"},
    {"fooba", "666f6f6261", "mzxw6ytb", "Zm9vYmE=", "Zm9vYmE"},
    {"foobar", "666f6f626172", "mzxw6ytboi", "Zm9vYmFy", "Zm9vYmFy"},
};

static void rfc4648_vectors(void **state) {
    (void)state;
    char out[64];
    uint8_t bin[64];
    int passed = 0, total = 0;
    for (size_t i = 0; i < sizeof rfc4648 / sizeof rfc4648[0]; i++) {
        const uint8_t *in = (const uint8_t *)rfc4648[i].in;
        size_t n = strlen(rfc4648[i].in);
        const char *exp[4] = {rfc4648[i].b16, rfc4648[i].b32, rfc4648[i].b64, rfc4648[i].b64url};
        for (int k = 0; k < 4; k++) {
            int e, d;
            switch (k) {
            case 0: e = umbra_hex_encode(out, sizeof out, in, n); break;
            case 1: e = umbra_base32_encode(out, sizeof out, in, n); break;
            default: e = umbra_base64_encode(out, sizeof out, in, n, k == 3); break;
            }
            switch (k) {
            case 0: d = umbra_hex_decode(bin, sizeof bin, exp[k], strlen(exp[k])); break;
            case 1: d = umbra_base32_decode(bin, sizeof bin, exp[k], strlen(exp[k])); break;
            default: d = umbra_base64_decode(bin, sizeof bin, exp[k], strlen(exp[k]), k == 3); break;
            }
            total++;
            if (e == (int)strlen(exp[k]) && strcmp(out, exp[k]) == 0 && d == (int)n && memcmp(bin, in, n) == 0)
                passed++;
            else
                print_error("case %zu encoding %d: got '%s' (%d), decoded %d\n", i, k, out, e, d);
        }
        /* The RFC's own upper-case, padded base32 forms: case is accepted, padding is not. */
        char upper[32];
        size_t m = strlen(rfc4648[i].b32);
        for (size_t j = 0; j <= m; j++) upper[j] = (char)(rfc4648[i].b32[j] >= 'a' ? rfc4648[i].b32[j] - 32 : rfc4648[i].b32[j]);
        total++;
        if (umbra_base32_decode(bin, sizeof bin, upper, m) == (int)n && memcmp(bin, in, n) == 0) passed++;
        total++;
        if (n == 0 || umbra_base32_decode(bin, sizeof bin, "MY======", 8) == UMBRA_EMALFORMED) passed++;
        /* Upper-case hex decodes too. */
        total++;
        if (umbra_hex_decode(bin, sizeof bin, "666F6F", 6) == 3 && memcmp(bin, "foo", 3) == 0) passed++;
    }
    tu_report("RFC 4648 §10 base16/base32/base64", passed, total);
}

/* draft-msporny-base58-03 §5 examples. */
static void base58_known_answers(void **state) {
    (void)state;
    static const struct { const char *hex, *b58; } kat[] = {
        {"48656c6c6f20576f726c6421", "2NEpo7TZRRrLZSi2U"}, /* "Hello World!" */
        {"54686520717569636b2062726f776e20666f78206a756d7073206f76657220746865206c617a7920646f672e",
         "USm3fpXnKG5EUBx2ndxBDMPVciP5hGey2Jh4NDv6gmeo1LkMeiKrLJUUBk6Z"},
        {"0000287fb4cd", "11233QC4"},
        {"", ""},
        {"00", "1"},
        {"0000", "11"},
        {"01", "2"},
        {"39", "z"},   /* 57 */
        {"3a", "21"},  /* 58 */
    };
    int passed = 0, total = 0;
    for (size_t i = 0; i < sizeof kat / sizeof kat[0]; i++) {
        size_t n;
        uint8_t *in = tu_hex(kat[i].hex, &n);
        char out[128];
        uint8_t back[128];
        int e = umbra_base58_encode(out, sizeof out, in, n);
        int d = umbra_base58_decode(back, sizeof back, kat[i].b58, strlen(kat[i].b58));
        total++;
        if (e == (int)strlen(kat[i].b58) && !strcmp(out, kat[i].b58) && d == (int)n && !memcmp(back, in, n))
            passed++;
        else
            print_error("base58 case %zu: got '%s' (%d), decoded %d\n", i, out, e, d);
        free(in);
    }
    tu_report("base58btc draft-msporny-base58-03 §5", passed, total);
}

static void varint_spec_examples(void **state) {
    (void)state;
    /* github.com/multiformats/unsigned-varint README examples, plus the 63-bit maximum. */
    static const struct { uint64_t v; const char *hex; } ex[] = {
        {1, "01"}, {127, "7f"}, {128, "8001"}, {255, "ff01"}, {300, "ac02"}, {16384, "808001"},
        {0, "00"}, {0x7fffffffffffffffull, "ffffffffffffffff7f"},
    };
    int passed = 0, total = 0;
    for (size_t i = 0; i < sizeof ex / sizeof ex[0]; i++) {
        size_t n;
        uint8_t *want = tu_hex(ex[i].hex, &n);
        uint8_t out[UMBRA_UVARINT_MAX];
        uint64_t v = 1;
        int e = umbra_uvarint_encode(out, sizeof out, ex[i].v);
        int d = umbra_uvarint_decode(want, n, &v);
        total++;
        if (e == (int)n && !memcmp(out, want, n) && d == (int)n && v == ex[i].v) passed++;
        free(want);
    }
    tu_report("multiformats unsigned-varint examples", passed, total);
}

static void varint_strictness(void **state) {
    (void)state;
    uint64_t v = 5;
    uint8_t out[16];
    assert_int_equal(umbra_uvarint_encode(out, sizeof out, 1ull << 63), UMBRA_ERANGE);
    assert_int_equal(umbra_uvarint_encode(out, 1, 128), UMBRA_ENOSPACE);
    assert_int_equal(umbra_uvarint_decode(NULL, 0, &v), UMBRA_ETRUNCATED);
    assert_int_equal(v, 0);
    assert_int_equal(umbra_uvarint_decode((const uint8_t *)"\x80", 1, &v), UMBRA_ETRUNCATED);
    assert_int_equal(umbra_uvarint_decode((const uint8_t *)"\x81\x00", 2, &v), UMBRA_EMALFORMED);
    assert_int_equal(umbra_uvarint_decode((const uint8_t *)"\x80\x80\x00", 3, &v), UMBRA_EMALFORMED);
    /* 10 bytes / 64 bits are outside the spec even when the value fits. */
    assert_int_equal(umbra_uvarint_decode((const uint8_t *)"\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 10, &v),
                     UMBRA_EMALFORMED);
    assert_int_equal(umbra_uvarint_decode((const uint8_t *)"\xff\xff\xff\xff\xff\xff\xff\xff", 8, &v),
                     UMBRA_ETRUNCATED);
    /* Trailing bytes are not consumed. */
    assert_int_equal(umbra_uvarint_decode((const uint8_t *)"\xac\x02\xff", 3, &v), 2);
    assert_int_equal(v, 300);
}

static void strict_decoders(void **state) {
    (void)state;
    uint8_t b[64];
    /* base58: every one of the 256 byte values decodes as a 1-char string iff it is in the
     * alphabet, to the digit given by its position. */
    static const char b58a[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    for (int c = 0; c < 256; c++) {
        char in[2] = {(char)c, '2'};
        const char *pos = c ? strchr(b58a, c) : NULL;
        int d = umbra_base58_decode(b, sizeof b, in, 2); /* "<c>2" = 58*v + 1 */
        if (!pos) {
            assert_int_equal(d, UMBRA_EMALFORMED);
            continue;
        }
        unsigned v = (unsigned)(pos - b58a), got = 0;
        assert_true(d >= 1);
        for (int i = 0; i < d; i++) got = got * 256 + b[i];
        assert_int_equal(got, c == '1' ? 1 : 58 * v + 1);
    }
    /* hex, base32, base64 (both alphabets): every byte value as the first character of a
     * minimal string decodes iff it is in the alphabet, to the value its position gives. */
    static const char hexa[] = "0123456789abcdef", hexA[] = "0123456789ABCDEF";
    static const char b32l[] = "abcdefghijklmnopqrstuvwxyz234567", b32u[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    static const char b64s[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    static const char b64u[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for (int c = 0; c < 256; c++) {
        const char *p;
        char h[2] = {(char)c, '0'}, t[2] = {(char)c, 'a'}, u[2] = {(char)c, 'A'}, st[4] = {(char)c, 'A', '=', '='};
        int d = umbra_hex_decode(b, sizeof b, h, 2);
        p = c ? strchr(hexa, c) : NULL;
        if (!p && c) p = strchr(hexA, c) ? hexa + (strchr(hexA, c) - hexA) : NULL;
        if (p) assert_true(d == 1 && b[0] == (uint8_t)((p - hexa) << 4));
        else assert_int_equal(d, UMBRA_EMALFORMED);
        d = umbra_base32_decode(b, sizeof b, t, 2);
        p = c ? strchr(b32l, c) : NULL;
        if (!p && c) p = strchr(b32u, c) ? b32l + (strchr(b32u, c) - b32u) : NULL;
        if (p) assert_true(d == 1 && b[0] == (uint8_t)((p - b32l) << 3));
        else assert_int_equal(d, UMBRA_EMALFORMED);
        d = umbra_base64_decode(b, sizeof b, u, 2, 1);
        p = c ? strchr(b64u, c) : NULL;
        if (p) assert_true(d == 1 && b[0] == (uint8_t)((p - b64u) << 2));
        else assert_int_equal(d, UMBRA_EMALFORMED);
        d = umbra_base64_decode(b, sizeof b, st, 4, 0);
        p = c ? strchr(b64s, c) : NULL;
        if (p) assert_true(d == 1 && b[0] == (uint8_t)((p - b64s) << 2));
        else assert_int_equal(d, UMBRA_EMALFORMED);
    }
    /* hex */
    assert_int_equal(umbra_hex_decode(b, sizeof b, "abc", 3), UMBRA_EMALFORMED);
    assert_int_equal(umbra_hex_decode(b, sizeof b, "zz", 2), UMBRA_EMALFORMED);
    assert_int_equal(umbra_hex_decode(b, 1, "0011", 4), UMBRA_ENOSPACE);
    /* base32: impossible lengths, padding, bad chars, non-zero trailing bits */
    assert_int_equal(umbra_base32_decode(b, sizeof b, "m", 1), UMBRA_EMALFORMED);
    assert_int_equal(umbra_base32_decode(b, sizeof b, "mzx", 3), UMBRA_EMALFORMED);
    assert_int_equal(umbra_base32_decode(b, sizeof b, "mzxw6y", 6), UMBRA_EMALFORMED);
    assert_int_equal(umbra_base32_decode(b, sizeof b, "my==", 4), UMBRA_EMALFORMED);
    assert_int_equal(umbra_base32_decode(b, sizeof b, "m1", 2), UMBRA_EMALFORMED);
    assert_int_equal(umbra_base32_decode(b, sizeof b, "mz", 2), UMBRA_EMALFORMED); /* 'z' sets spare bits */
    assert_int_equal(umbra_base32_decode(b, 1, "mzxq", 4), UMBRA_ENOSPACE);
    /* base58 */
    assert_int_equal(umbra_base58_decode(b, sizeof b, "0", 1), UMBRA_EMALFORMED);
    assert_int_equal(umbra_base58_decode(b, sizeof b, "O", 1), UMBRA_EMALFORMED);
    assert_int_equal(umbra_base58_decode(b, sizeof b, "I", 1), UMBRA_EMALFORMED);
    assert_int_equal(umbra_base58_decode(b, sizeof b, "l", 1), UMBRA_EMALFORMED);
    assert_int_equal(umbra_base58_decode(b, sizeof b, "2N p", 4), UMBRA_EMALFORMED);
    assert_int_equal(umbra_base58_decode(b, 2, "2NEpo7TZRRrLZSi2U", 17), UMBRA_ENOSPACE);
    /* base64 standard: padding required and canonical; no whitespace or URL alphabet */
    assert_int_equal(umbra_base64_decode(b, sizeof b, "Zg", 2, 0), UMBRA_EMALFORMED);
    assert_int_equal(umbra_base64_decode(b, sizeof b, "Zh==", 4, 0), UMBRA_EMALFORMED);
    assert_int_equal(umbra_base64_decode(b, sizeof b, "Zm9=", 4, 0), UMBRA_EMALFORMED);
    assert_int_equal(umbra_base64_decode(b, sizeof b, "Z===", 4, 0), UMBRA_EMALFORMED);
    assert_int_equal(umbra_base64_decode(b, sizeof b, "Zg=A", 4, 0), UMBRA_EMALFORMED);
    assert_int_equal(umbra_base64_decode(b, sizeof b, "Zm9v\nYg==", 9, 0), UMBRA_EMALFORMED);
    assert_int_equal(umbra_base64_decode(b, sizeof b, "-_-_", 4, 0), UMBRA_EMALFORMED);
    assert_int_equal(umbra_base64_decode(b, sizeof b, "+/+/", 4, 0), 3);
    /* base64 url: no padding at all, own alphabet */
    assert_int_equal(umbra_base64_decode(b, sizeof b, "Zg==", 4, 1), UMBRA_EMALFORMED);
    assert_int_equal(umbra_base64_decode(b, sizeof b, "Z", 1, 1), UMBRA_EMALFORMED);
    assert_int_equal(umbra_base64_decode(b, sizeof b, "Zh", 2, 1), UMBRA_EMALFORMED);
    assert_int_equal(umbra_base64_decode(b, sizeof b, "+/+/", 4, 1), UMBRA_EMALFORMED);
    assert_int_equal(umbra_base64_decode(b, sizeof b, "-_-_", 4, 1), 3);
    assert_int_equal(umbra_base64_decode(b, 2, "Zm9v", 4, 1), UMBRA_ENOSPACE);
}

static void encoder_bounds(void **state) {
    (void)state;
    char out[16];
    const uint8_t in[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    /* Exactly len + 1 fits; len does not (no room for the NUL). */
    assert_int_equal(umbra_hex_encode(out, 9, in, 4), 8);
    assert_int_equal(umbra_hex_encode(out, 8, in, 4), UMBRA_ENOSPACE);
    assert_int_equal(umbra_base32_encode(out, 8, in, 5), UMBRA_ENOSPACE);
    assert_int_equal(umbra_base32_encode(out, 9, in, 5), 8);
    assert_int_equal(umbra_base64_encode(out, 8, in, 4, 0), UMBRA_ENOSPACE);
    assert_int_equal(umbra_base64_encode(out, 9, in, 4, 0), 8);
    assert_int_equal(umbra_base64_encode(out, 7, in, 4, 1), 6);
    assert_int_equal(umbra_base58_encode(out, 2, (const uint8_t *)"\0\0", 2), UMBRA_ENOSPACE);
    assert_int_equal(umbra_base58_encode(out, 3, (const uint8_t *)"\0\0", 2), 2);
    assert_int_equal(umbra_hex_encode(NULL, 0, in, 0), UMBRA_ENOSPACE);
    /* Length helpers agree with the encoders for every small size. */
    for (size_t n = 0; n < 40; n++) {
        assert_int_equal(umbra_hex_len(n), 2 * n);
        assert_int_equal(umbra_base32_len(n), (n * 8 + 4) / 5);
        assert_int_equal(umbra_base64_len(n, 0), (n + 2) / 3 * 4);
        assert_int_equal(umbra_base64_len(n, 1), (n * 8 + 5) / 6);
    }
    /* base58 size limits */
    static uint8_t big[1025];
    static char bigs[4096];
    memset(big, 0xff, sizeof big);
    assert_int_equal(umbra_base58_encode(bigs, sizeof bigs, big, 1025), UMBRA_ETOOBIG);
    int e = umbra_base58_encode(bigs, sizeof bigs, big, 1024);
    assert_true(e > 1024);
    static uint8_t back[1100];
    assert_int_equal(umbra_base58_decode(back, sizeof back, bigs, (size_t)e), 1024);
    assert_memory_equal(back, big, 1024);
    memset(bigs, 'z', 2439);
    assert_int_equal(umbra_base58_decode(back, sizeof back, bigs, 2439), UMBRA_ETOOBIG);
    /* The longest accepted string: all 'z' — value fits the scratch space (checked by ASan). */
    assert_int_equal(umbra_base58_decode(back, sizeof back, bigs, 2438), UMBRA_ENOSPACE);
}

/* Property: decode(encode(x)) == x and, for every encoding, encode(decode(s)) == s. */
static void round_trips_random(void **state) {
    (void)state;
    enum { ITER = 3000 };
    static uint8_t in[300], back[300];
    static char s[1024], s2[1024];
    for (int it = 0; it < ITER; it++) {
        size_t n = (size_t)(rnd() % (it < 200 ? 12 : sizeof in));
        rnd_bytes(in, n);
        int e, d;

        e = umbra_hex_encode(s, sizeof s, in, n);
        assert_int_equal(e, (int)umbra_hex_len(n));
        d = umbra_hex_decode(back, sizeof back, s, (size_t)e);
        assert_int_equal(d, (int)n);
        assert_memory_equal(back, in, n);

        e = umbra_base32_encode(s, sizeof s, in, n);
        assert_int_equal(e, (int)umbra_base32_len(n));
        d = umbra_base32_decode(back, sizeof back, s, (size_t)e);
        assert_int_equal(d, (int)n);
        assert_memory_equal(back, in, n);

        for (int url = 0; url < 2; url++) {
            e = umbra_base64_encode(s, sizeof s, in, n, url);
            assert_int_equal(e, (int)umbra_base64_len(n, url));
            d = umbra_base64_decode(back, sizeof back, s, (size_t)e, url);
            assert_int_equal(d, (int)n);
            assert_memory_equal(back, in, n);
        }

        e = umbra_base58_encode(s, sizeof s, in, n);
        assert_true(e >= 0);
        d = umbra_base58_decode(back, sizeof back, s, (size_t)e);
        assert_int_equal(d, (int)n);
        assert_memory_equal(back, in, n);

        uint64_t v = rnd() >> (rnd() % 63 + 1), w = 0;
        uint8_t vb[UMBRA_UVARINT_MAX];
        e = umbra_uvarint_encode(vb, sizeof vb, v);
        assert_true(e >= 1 && e <= 9);
        assert_int_equal(umbra_uvarint_decode(vb, (size_t)e, &w), e);
        assert_int_equal(w, v);
        for (int cut = 0; cut < e; cut++) assert_int_equal(umbra_uvarint_decode(vb, (size_t)cut, &w), UMBRA_ETRUNCATED);
    }
    /* Random strings over each alphabet: whatever decodes must re-encode to itself. */
    static const char b58a[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    static const char b32a[] = "abcdefghijklmnopqrstuvwxyz234567";
    static const char b64a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    int accepted32 = 0, accepted64 = 0;
    for (int it = 0; it < ITER; it++) {
        size_t n = (size_t)(rnd() % 60);
        for (size_t i = 0; i < n; i++) s[i] = b58a[rnd() % 58];
        int d = umbra_base58_decode(back, sizeof back, s, n);
        assert_true(d >= 0);
        assert_int_equal(umbra_base58_encode(s2, sizeof s2, back, (size_t)d), (int)n);
        assert_memory_equal(s2, s, n);

        for (size_t i = 0; i < n; i++) s[i] = b32a[rnd() % 32];
        d = umbra_base32_decode(back, sizeof back, s, n);
        if (d >= 0) {
            accepted32++;
            assert_int_equal(umbra_base32_encode(s2, sizeof s2, back, (size_t)d), (int)n);
            assert_memory_equal(s2, s, n);
        }
        for (size_t i = 0; i < n; i++) s[i] = b64a[rnd() % 64];
        d = umbra_base64_decode(back, sizeof back, s, n, 1);
        if (d >= 0) {
            accepted64++;
            assert_int_equal(umbra_base64_encode(s2, sizeof s2, back, (size_t)d, 1), (int)n);
            assert_memory_equal(s2, s, n);
        }
    }
    assert_true(accepted32 > ITER / 10);
    assert_true(accepted64 > ITER / 10);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rfc4648_vectors),
        cmocka_unit_test(base58_known_answers),
        cmocka_unit_test(varint_spec_examples),
        cmocka_unit_test(varint_strictness),
        cmocka_unit_test(strict_decoders),
        cmocka_unit_test(encoder_bounds),
        cmocka_unit_test(round_trips_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
