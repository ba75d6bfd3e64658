/* test_compsig.c — composite signature id-MLDSA65-Ed25519-SHA512
 * (draft-ietf-lamps-pq-composite-sigs-19) against the draft's vectors in
 * ../shared/vectors/composite-mldsa/: the composite key (pk from the 64-byte sk, both
 * signatures s / sWithContext verify) and the pure ML-DSA-65 component entry. */
#include <stdlib.h>
#include <string.h>

#include "helper_crypto.h"
#include "umbra/crypto.h"

static void test_composite_vectors(void **state) {
    (void)state;
    th_init();
    json_t *j = tu_load_shared_json("vectors/composite-mldsa/testvectors_MLDSA65-Ed25519-SHA512.json");
    size_t mn, cn;
    uint8_t *m = th_b64(th_str(j, "m"), &mn), *ctx = th_b64(th_str(j, "ctx"), &cn);
    int pass = 0, total = 0;
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(j, "tests"), i, t) {
        size_t pkn, skn, sn, swn;
        uint8_t *pk = th_b64(th_str(t, "pk"), &pkn), *sk = th_b64(th_str(t, "sk"), &skn);
        uint8_t *s = th_b64(th_str(t, "s"), &sn), *sw = th_b64(th_str(t, "sWithContext"), &swn);
        assert_string_equal(th_str(t, "tcId"), "id-MLDSA65-Ed25519-SHA512");
        uint8_t mpk[UC_COMPSIG_PK_LEN];
        /* case 1: keygen from the 64-byte seed pair reproduces pk */
        total++;
        if (pkn == UC_COMPSIG_PK_LEN && skn == UC_COMPSIG_SK_LEN &&
            uc_compsig_keypair_derand(mpk, sk) == 0 && !memcmp(mpk, pk, pkn))
            pass++;
        else
            th_fail("compsig", 1, "keygen");
        /* case 2: s (empty ctx) verifies; case 3: sWithContext verifies with ctx */
        total++;
        if (sn == UC_COMPSIG_SIG_LEN && uc_compsig_verify(s, m, mn, NULL, 0, pk) == 0) pass++;
        else th_fail("compsig", 2, "s");
        total++;
        if (swn == UC_COMPSIG_SIG_LEN && uc_compsig_verify(sw, m, mn, ctx, cn, pk) == 0) pass++;
        else th_fail("compsig", 3, "sWithContext");
        /* cases 4-7: each signature must fail with the other context, a flipped byte in
         * either component, or another message */
        total++;
        if (uc_compsig_verify(s, m, mn, ctx, cn, pk) == UMBRA_EBADSIG &&
            uc_compsig_verify(sw, m, mn, NULL, 0, pk) == UMBRA_EBADSIG) pass++;
        else th_fail("compsig", 4, "ctx swap accepted");
        total++;
        s[100] ^= 1;
        if (uc_compsig_verify(s, m, mn, NULL, 0, pk) == UMBRA_EBADSIG) pass++;
        else th_fail("compsig", 5, "ML-DSA half flip accepted");
        s[100] ^= 1;
        total++;
        s[UC_COMPSIG_SIG_LEN - 40] ^= 1;
        if (uc_compsig_verify(s, m, mn, NULL, 0, pk) == UMBRA_EBADSIG) pass++;
        else th_fail("compsig", 6, "Ed25519 half flip accepted");
        s[UC_COMPSIG_SIG_LEN - 40] ^= 1;
        total++;
        if (uc_compsig_verify(s, m, mn - 1, NULL, 0, pk) == UMBRA_EBADSIG) pass++;
        else th_fail("compsig", 7, "other message accepted");
        /* case 8: our own signature with the vector key verifies (hedged, so only
         * verification can be compared) */
        uint8_t sig[UC_COMPSIG_SIG_LEN];
        total++;
        if (uc_compsig_sign(sig, m, mn, ctx, cn, sk) == 0 &&
            uc_compsig_verify(sig, m, mn, ctx, cn, pk) == 0 &&
            uc_compsig_verify(sig, m, mn, NULL, 0, pk) == UMBRA_EBADSIG) pass++;
        else th_fail("compsig", 8, "own signature");
        /* case 9: the expanded key (with its cached ML-DSA A-hat, NTT(s1/s2/t0)) gives the
         * vector pk and signs so that the vector pk verifies */
        static uc_compsig_xsk vx;
        total++;
        if (uc_compsig_expand(&vx, mpk, sk) == 0 && !memcmp(mpk, pk, UC_COMPSIG_PK_LEN) &&
            uc_compsig_sign_xsk(sig, m, mn, ctx, cn, &vx) == 0 &&
            uc_compsig_verify(sig, m, mn, ctx, cn, pk) == 0 &&
            uc_compsig_verify(sig, m, mn, NULL, 0, pk) == UMBRA_EBADSIG &&
            uc_compsig_sign_xsk(sig, m, mn, NULL, 0, &vx) == 0 &&
            uc_compsig_verify(sig, m, mn, NULL, 0, pk) == 0) pass++;
        else th_fail("compsig", 9, "expanded-key signature");
        uc_compsig_xsk_wipe(&vx);
        /* case 10: the expanded public key gives the same verdicts on s, sWithContext and
         * their ctx swap / flipped-byte variants */
        static uc_compsig_xpk xp;
        total++;
        int ok10 = uc_compsig_pk_expand(&xp, pk) == 0 &&
                   uc_compsig_verify_xpk(s, m, mn, NULL, 0, &xp) == 0 &&
                   uc_compsig_verify_xpk(sw, m, mn, ctx, cn, &xp) == 0 &&
                   uc_compsig_verify_xpk(s, m, mn, ctx, cn, &xp) == UMBRA_EBADSIG &&
                   uc_compsig_verify_xpk(sw, m, mn, NULL, 0, &xp) == UMBRA_EBADSIG &&
                   uc_compsig_verify_xpk(s, m, mn - 1, NULL, 0, &xp) == UMBRA_EBADSIG;
        s[100] ^= 1;
        ok10 &= uc_compsig_verify_xpk(s, m, mn, NULL, 0, &xp) == UMBRA_EBADSIG;
        s[100] ^= 1;
        s[UC_COMPSIG_SIG_LEN - 40] ^= 1;
        ok10 &= uc_compsig_verify_xpk(s, m, mn, NULL, 0, &xp) == UMBRA_EBADSIG;
        s[UC_COMPSIG_SIG_LEN - 40] ^= 1;
        if (ok10) pass++;
        else th_fail("compsig", 10, "expanded-pk verification");
        free(pk), free(sk), free(s), free(sw);
    }
    free(m), free(ctx);
    json_decref(j);
    tu_report("composite MLDSA65-Ed25519-SHA512 (draft-19)", pass, total);
}

static void test_component_vectors(void **state) {
    /* The draft's pure ML-DSA-65 debug entry: sk is the 32-byte seed, s is signed with
     * an empty ctx over m, sWithContext with ctx. */
    (void)state;
    th_init();
    json_t *j = tu_load_shared_json("vectors/composite-mldsa/testvectors_ML-DSA-65_component.json");
    size_t mn, cn;
    uint8_t *m = th_b64(th_str(j, "m"), &mn), *ctx = th_b64(th_str(j, "ctx"), &cn);
    int pass = 0, total = 0;
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(j, "tests"), i, t) {
        size_t pkn, skn, sn, swn;
        uint8_t *pk = th_b64(th_str(t, "pk"), &pkn), *sk = th_b64(th_str(t, "sk"), &skn);
        uint8_t *s = th_b64(th_str(t, "s"), &sn), *sw = th_b64(th_str(t, "sWithContext"), &swn);
        static uint8_t mpk[UC_MLDSA65_PK_LEN], msk[UC_MLDSA65_SK_LEN];
        total++;
        if (pkn == UC_MLDSA65_PK_LEN && skn == 32 && uc_mldsa65_keypair_derand(mpk, msk, sk) == 0 &&
            !memcmp(mpk, pk, pkn)) pass++;
        else th_fail("mldsa component", 1, "keygen");
        total++;
        if (uc_mldsa65_verify(s, sn, m, mn, NULL, 0, pk) == 0) pass++;
        else th_fail("mldsa component", 2, "s");
        total++;
        if (uc_mldsa65_verify(sw, swn, m, mn, ctx, cn, pk) == 0 &&
            uc_mldsa65_verify(sw, swn, m, mn, NULL, 0, pk) == UMBRA_EBADSIG) pass++;
        else th_fail("mldsa component", 3, "sWithContext");
        free(pk), free(sk), free(s), free(sw);
    }
    free(m), free(ctx);
    json_decref(j);
    tu_report("composite draft-19 ML-DSA-65 component", pass, total);
}

static void test_roundtrip_and_errors(void **state) {
    (void)state;
    th_init();
    uint8_t pk[UC_COMPSIG_PK_LEN], sk[64], sig[UC_COMPSIG_SIG_LEN];
    static const uint8_t msg[] = "hello composite";
    uint8_t ctx[256] = {0};
    assert_int_equal(uc_compsig_keypair(pk, sk), 0);
    assert_int_equal(uc_compsig_sign(sig, msg, sizeof msg, ctx, 255, sk), 0);
    assert_int_equal(uc_compsig_verify(sig, msg, sizeof msg, ctx, 255, pk), 0);
    assert_int_equal(uc_compsig_sign(sig, msg, sizeof msg, ctx, 256, sk), UMBRA_EINVAL);
    assert_int_equal(uc_compsig_verify(sig, msg, sizeof msg, ctx, 256, pk), UMBRA_EINVAL);
    /* Empty message is a message like any other. */
    assert_int_equal(uc_compsig_sign(sig, NULL, 0, NULL, 0, sk), 0);
    assert_int_equal(uc_compsig_verify(sig, NULL, 0, NULL, 0, pk), 0);
    /* The expanded key signs the same way and gives the same pk. */
    static uc_compsig_xsk xsk; /* ~52 KB */
    uint8_t xpk[UC_COMPSIG_PK_LEN];
    assert_int_equal(uc_compsig_expand(&xsk, xpk, sk), 0);
    assert_memory_equal(xpk, pk, sizeof pk);
    assert_int_equal(uc_compsig_sign_xsk(sig, msg, sizeof msg, ctx, 7, &xsk), 0);
    assert_int_equal(uc_compsig_verify(sig, msg, sizeof msg, ctx, 7, pk), 0);
    assert_int_equal(uc_compsig_sign_xsk(sig, msg, sizeof msg, ctx, 256, &xsk), UMBRA_EINVAL);
    /* A refused signing call leaves no stale signature behind. */
    static const uint8_t zero_sig[UC_COMPSIG_SIG_LEN];
    assert_memory_equal(sig, zero_sig, sizeof sig);
    assert_int_equal(uc_compsig_sign_xsk(sig, NULL, 5, NULL, 0, &xsk), UMBRA_EINVAL);
    assert_int_equal(uc_compsig_sign_xsk(sig, msg, sizeof msg, NULL, 0, NULL), UMBRA_EINVAL);
    /* the expanded public key (pinned peer) verifies the same */
    static uc_compsig_xpk xp;
    assert_int_equal(uc_compsig_pk_expand(&xp, pk), 0);
    assert_int_equal(uc_compsig_sign_xsk(sig, msg, sizeof msg, ctx, 7, &xsk), 0);
    assert_int_equal(uc_compsig_verify_xpk(sig, msg, sizeof msg, ctx, 7, &xp), 0);
    assert_int_equal(uc_compsig_verify_xpk(sig, msg, sizeof msg, ctx, 6, &xp), UMBRA_EBADSIG);
    assert_int_equal(uc_compsig_verify_xpk(sig, msg, sizeof msg, ctx, 256, &xp), UMBRA_EINVAL);
    assert_int_equal(uc_compsig_verify_xpk(sig, NULL, 3, NULL, 0, &xp), UMBRA_EINVAL);
    assert_int_equal(uc_compsig_verify_xpk(sig, msg, sizeof msg, ctx, 7, NULL), UMBRA_EINVAL);
    assert_int_equal(uc_compsig_pk_expand(NULL, pk), UMBRA_EINVAL);
    assert_int_equal(uc_compsig_pk_expand(&xp, NULL), UMBRA_EINVAL);
    /* hedged: repeated signatures differ and all verify */
    uint8_t sig2[UC_COMPSIG_SIG_LEN];
    assert_int_equal(uc_compsig_sign_xsk(sig, NULL, 0, NULL, 0, &xsk), 0);
    assert_int_equal(uc_compsig_sign_xsk(sig2, NULL, 0, NULL, 0, &xsk), 0);
    assert_memory_not_equal(sig, sig2, sizeof sig);
    assert_int_equal(uc_compsig_verify(sig, NULL, 0, NULL, 0, pk), 0);
    assert_int_equal(uc_compsig_verify(sig2, NULL, 0, NULL, 0, pk), 0);
    /* the wipe clears every byte, the cached secrets (NTT(s1/s2/t0), K) included */
    uc_compsig_xsk_wipe(&xsk);
    static const uc_compsig_xsk zero_xsk;
    assert_memory_equal(&xsk, &zero_xsk, sizeof xsk);
    assert_int_equal(uc_compsig_sign(sig, NULL, 0, NULL, 0, sk), 0);
    /* Wrong key. */
    uint8_t pk2[UC_COMPSIG_PK_LEN], sk2[64];
    assert_int_equal(uc_compsig_keypair(pk2, sk2), 0);
    assert_int_equal(uc_compsig_verify(sig, NULL, 0, NULL, 0, pk2), UMBRA_EBADSIG);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_composite_vectors),
        cmocka_unit_test(test_component_vectors),
        cmocka_unit_test(test_roundtrip_and_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
