/* test_group25519.c — ristretto255 and Ed25519 group arithmetic against outside vectors:
 * the CPace draft-irtf-cfrg-cpace-21 ristretto255 run (generator from the SHA-512 hash,
 * Ya/Yb, K both ways, the scalar_mult_vfy point cases; ../shared/vectors/cpace/), and the
 * python-spake2 (magic-wormhole) Ed25519 runs (../shared/vectors/spake2/): the SPAKE2
 * messages x*B + pw*M, y*B + pw*N and the shared K = x*(msgB - pw*N) = y*(msgA - pw*M),
 * plus the symmetric mode with S. */
#include <stdlib.h>
#include <string.h>

#include "helper_crypto.h"
#include "umbra/crypto.h"

static uint8_t *hexs(json_t *o, const char *k, size_t want) {
    size_t n;
    uint8_t *p = tu_hex_member(o, k, &n);
    assert_int_equal(n, want);
    return p;
}

static void test_cpace_ristretto255(void **state) {
    (void)state;
    th_init();
    int pass = 0, total = 0;
    /* draft -21 "calculate_generator": generator_string -> SHA-512 -> one-way map */
    size_t n;
    uint8_t *gs = tu_hex("11435061636552697374726574746f3235350850617373776f726464"
                         "00000000000000000000000000000000000000000000000000000000"
                         "00000000000000000000000000000000000000000000000000000000"
                         "00000000000000000000000000000000000000000000000000000000"
                         "00000000000000000000000000000000180b415f696e69746961746f"
                         "720b425f726573706f6e646572107e4b4791d6a8ef019b936c79fb7f"
                         "2c57", &n);
    assert_int_equal(n, 170);
    uint8_t *hash = tu_hex("da6d3ddc8802fca9058755ffd3ebde08a9c2c74945901a258482a288"
                           "b6663af06bf645c93cd1c51512307199c80e84908916d983b34af772"
                           "05f90851a657ee27", &n);
    uint8_t h[64], g[32], ya_pub[32], yb_pub[32], k1[32], k2[32];
    uc_sha512(h, gs, 170);
    total++;
    if (!memcmp(h, hash, 64)) pass++;
    else th_fail("cpace", 1, "generator hash");

    json_t *j = tu_load_shared_json("vectors/cpace/testvectors.ristretto255.json");
    json_t *run = json_object_get(j, "G_Coffee25519");
    uint8_t *G = hexs(run, "g", 32), *ya = hexs(run, "ya", 32), *yb = hexs(run, "yb", 32);
    uint8_t *Ya = hexs(run, "Ya", 32), *Yb = hexs(run, "Yb", 32), *K = hexs(run, "K", 32);
    uc_ristretto255_from_hash(g, h);
    total++;
    if (!memcmp(g, G, 32) && uc_ristretto255_check(g) == 0) pass++;
    else th_fail("cpace", 2, "generator g");
    total++;
    if (uc_ristretto255_scalarmult(ya_pub, ya, g) == 0 && !memcmp(ya_pub, Ya, 32) &&
        uc_ristretto255_scalarmult(yb_pub, yb, g) == 0 && !memcmp(yb_pub, Yb, 32))
        pass++;
    else
        th_fail("cpace", 3, "Ya / Yb");
    total++;
    if (uc_ristretto255_scalarmult(k1, ya, Yb) == 0 && uc_ristretto255_scalarmult(k2, yb, Ya) == 0 &&
        !memcmp(k1, K, 32) && !memcmp(k2, K, 32))
        pass++;
    else
        th_fail("cpace", 4, "K");

    json_t *pts = json_object_get(j, "G_Coffee25519_points");
    json_t *valid = json_object_get(pts, "Valid");
    uint8_t *s = hexs(valid, "s", 32), *X = hexs(valid, "X", 32);
    uint8_t *sX = hexs(valid, "G.scalar_mult_vfy(s,X)", 32);
    size_t y1n, y2n;
    uint8_t *y1 = tu_hex(json_string_value(json_object_get(pts, "Invalid Y1")), &y1n);
    uint8_t *y2 = tu_hex(json_string_value(json_object_get(pts, "Invalid Y2")), &y2n);
    total++;
    if (uc_ristretto255_scalarmult(k1, s, X) == 0 && !memcmp(k1, sX, 32)) pass++;
    else th_fail("cpace", 5, "valid point");
    total++; /* non-canonical encoding */
    if (uc_ristretto255_check(y1) == UMBRA_EBADKEY && uc_ristretto255_scalarmult(k1, s, y1) == UMBRA_EBADKEY) pass++;
    else th_fail("cpace", 6, "invalid Y1");
    total++; /* the identity: a valid encoding, but scalar_mult_vfy must fail */
    if (uc_ristretto255_scalarmult(k1, s, y2) == UMBRA_EWEAKKEY) pass++;
    else th_fail("cpace", 7, "invalid Y2");
    free(gs), free(hash), free(G), free(ya), free(yb), free(Ya), free(Yb), free(K);
    free(s), free(X), free(sX), free(y1), free(y2);
    json_decref(j);
    tu_report("cpace-21 ristretto255", pass, total);
}

/* blind = x*B + pw*P */
static int blind(uint8_t out[32], const uint8_t x[32], const uint8_t pw[32], const uint8_t P[32]) {
    uint8_t a[32], b[32];
    if (uc_ed25519_point_scalarmult_base(a, x) || uc_ed25519_point_scalarmult(b, pw, P)) return -1;
    return uc_ed25519_point_add(out, a, b);
}

/* K = x*(peer - pw*P) */
static int unblind(uint8_t k[32], const uint8_t x[32], const uint8_t pw[32], const uint8_t P[32],
                   const uint8_t peer[32]) {
    uint8_t t[32], u[32];
    if (uc_ed25519_point_scalarmult(t, pw, P) || uc_ed25519_point_sub(u, peer, t)) return -1;
    return uc_ed25519_point_scalarmult(k, x, u);
}

static void test_spake2_ed25519(void **state) {
    (void)state;
    th_init();
    json_t *j = tu_load_shared_json("vectors/spake2/python-spake2-ed25519-kat.json");
    uint8_t *M = hexs(j, "M", 32), *N = hexs(j, "N", 32), *S = hexs(j, "S", 32);
    int pass = 0, total = 0;
    uint8_t m1[32], m2[32], k1[32], k2[32];

    json_t *a = json_object_get(j, "asymmetric");
    uint8_t *pw = hexs(a, "pw_scalar", 32), *x = hexs(a, "x_scalar", 32), *y = hexs(a, "y_scalar", 32);
    uint8_t *ma = hexs(a, "msgA_with_side_byte", 33), *mb = hexs(a, "msgB_with_side_byte", 33);
    uint8_t *K = hexs(a, "K_bytes", 32);
    total++;
    if (uc_ed25519_point_check(M) == 0 && uc_ed25519_point_check(N) == 0 && uc_ed25519_point_check(S) == 0)
        pass++;
    else
        th_fail("spake2", 1, "M/N/S not valid group elements");
    total++;
    if (blind(m1, x, pw, M) == 0 && !memcmp(m1, ma + 1, 32) && blind(m2, y, pw, N) == 0 && !memcmp(m2, mb + 1, 32))
        pass++;
    else
        th_fail("spake2", 2, "asymmetric messages");
    total++;
    if (unblind(k1, x, pw, N, mb + 1) == 0 && unblind(k2, y, pw, M, ma + 1) == 0 && !memcmp(k1, K, 32) &&
        !memcmp(k2, K, 32))
        pass++;
    else
        th_fail("spake2", 3, "asymmetric K");
    free(pw), free(x), free(y), free(ma), free(mb), free(K);

    json_t *sy = json_object_get(j, "symmetric");
    pw = hexs(sy, "pw_scalar", 32);
    x = hexs(sy, "xy_scalar_1", 32);
    y = hexs(sy, "xy_scalar_2", 32);
    ma = hexs(sy, "msg1_with_side_byte", 33);
    mb = hexs(sy, "msg2_with_side_byte", 33);
    K = hexs(sy, "K_bytes", 32);
    total++;
    if (blind(m1, x, pw, S) == 0 && !memcmp(m1, ma + 1, 32) && blind(m2, y, pw, S) == 0 && !memcmp(m2, mb + 1, 32))
        pass++;
    else
        th_fail("spake2", 4, "symmetric messages");
    total++;
    if (unblind(k1, x, pw, S, mb + 1) == 0 && unblind(k2, y, pw, S, ma + 1) == 0 && !memcmp(k1, K, 32) &&
        !memcmp(k2, K, 32))
        pass++;
    else
        th_fail("spake2", 5, "symmetric K");
    free(pw), free(x), free(y), free(ma), free(mb), free(K);
    free(M), free(N), free(S);
    json_decref(j);
    tu_report("python-spake2 Ed25519 group operations", pass, total);
}

static void test_scalars_and_errors(void **state) {
    (void)state;
    th_init();
    uint8_t a[32], b[32], c[32], d[32], inv[32], one[32] = {1}, zero[32] = {0}, q[32];
    uc_sc25519_random(a);
    uc_sc25519_random(b);
    /* (a + b) - b = a; a * a^-1 = 1; a + (-a) = 0 */
    uc_sc25519_add(c, a, b);
    uc_sc25519_sub(d, c, b);
    assert_memory_equal(d, a, 32);
    assert_int_equal(uc_sc25519_invert(inv, a), 0);
    uc_sc25519_mul(c, a, inv);
    assert_memory_equal(c, one, 32);
    uc_sc25519_negate(c, a);
    uc_sc25519_add(d, a, c);
    assert_memory_equal(d, zero, 32);
    assert_int_equal(uc_sc25519_invert(inv, zero), UMBRA_EINVAL);
    /* reduce: L itself (little-endian) reduces to 0 */
    uint8_t wide[64] = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
                        [31] = 0x10};
    uc_sc25519_reduce(c, wide);
    assert_memory_equal(c, zero, 32);
    /* zero scalar -> identity -> EWEAKKEY; (a*b)*B = a*(b*B) */
    assert_int_equal(uc_ristretto255_scalarmult_base(q, zero), UMBRA_EWEAKKEY);
    assert_int_equal(uc_ed25519_point_scalarmult_base(q, zero), UMBRA_EWEAKKEY);
    uint8_t bB[32], abB[32], ab[32];
    assert_int_equal(uc_ristretto255_scalarmult_base(bB, b), 0);
    assert_int_equal(uc_ristretto255_scalarmult(abB, a, bB), 0);
    uc_sc25519_mul(ab, a, b);
    assert_int_equal(uc_ristretto255_scalarmult_base(q, ab), 0);
    assert_memory_equal(q, abB, 32);
    assert_int_equal(uc_ed25519_point_scalarmult_base(bB, b), 0);
    assert_int_equal(uc_ed25519_point_scalarmult(abB, a, bB), 0);
    assert_int_equal(uc_ed25519_point_scalarmult_base(q, ab), 0);
    assert_memory_equal(q, abB, 32);
    /* Ed25519: the identity (y = 1) and other small-order points are refused as inputs */
    uint8_t ident[32] = {1};
    assert_int_equal(uc_ed25519_point_check(ident), UMBRA_EBADKEY);
    assert_int_equal(uc_ed25519_point_scalarmult(q, a, ident), UMBRA_EBADKEY);
    assert_int_equal(uc_ed25519_point_add(q, ident, bB), UMBRA_EBADKEY);
    /* ristretto: add/sub round trip */
    uint8_t p1[32], p2[32], s1[32], s2[32];
    assert_int_equal(uc_ristretto255_scalarmult_base(p1, a), 0);
    assert_int_equal(uc_ristretto255_scalarmult_base(p2, b), 0);
    assert_int_equal(uc_ristretto255_add(s1, p1, p2), 0);
    assert_int_equal(uc_ristretto255_sub(s2, s1, p2), 0);
    assert_memory_equal(s2, p1, 32);
    memset(p2, 0xff, 32);
    assert_int_equal(uc_ristretto255_add(s1, p1, p2), UMBRA_EBADKEY);
    /* Every refused operation zeroes its output (q starts dirty each time). */
    assert_memory_equal(s1, zero, 32);
#define REFUSED(call, want)             \
    do {                                \
        memset(q, 0xaa, 32);            \
        assert_int_equal(call, want);   \
        assert_memory_equal(q, zero, 32); \
    } while (0)
    REFUSED(uc_ristretto255_sub(q, p2, p1), UMBRA_EBADKEY);
    REFUSED(uc_ed25519_point_add(q, ident, bB), UMBRA_EBADKEY);
    REFUSED(uc_ed25519_point_sub(q, bB, ident), UMBRA_EBADKEY);
    REFUSED(uc_ristretto255_scalarmult(q, a, p2), UMBRA_EBADKEY);
    REFUSED(uc_ristretto255_scalarmult_base(q, zero), UMBRA_EWEAKKEY);
    REFUSED(uc_ed25519_point_scalarmult_base(q, zero), UMBRA_EWEAKKEY);
    REFUSED(uc_ed25519_point_scalarmult(q, a, ident), UMBRA_EBADKEY);
#undef REFUSED
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cpace_ristretto255),
        cmocka_unit_test(test_spake2_ed25519),
        cmocka_unit_test(test_scalars_and_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
