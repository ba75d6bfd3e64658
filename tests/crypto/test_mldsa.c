/* test_mldsa.c — ML-DSA-65 (FIPS 204) against every case of Wycheproof
 * mldsa_65_sign_seed_test.json (keygen from the 32-byte seed + deterministic / randomized
 * signing over msg with and without ctx, and over an external mu),
 * mldsa_65_sign_noseed_test.json (the same from the expanded sk, incl. out-of-range s1/s2)
 * and mldsa_65_verify_test.json, plus the NIST ACVP ML-DSA-65 keyGen, sigGen and sigVer
 * internal-projection files (internal interface: the message is M').
 * Every signing case runs twice: from sk, and through the precomputed key
 * (umbra__mldsa65_pre: FIPS 204 Algorithm 7 lines 1-5 done once, as uc_compsig_xsk
 * caches them) — both must give the expected bytes. Likewise every verification case runs
 * from pk and through the precomputed public key (umbra__mldsa65_vpre, as uc_compsig_xpk).
 *
 * Keys travel in fixed-size arrays, so a wrong-length seed / sk / pk cannot reach the API;
 * those cases are checked at the caller's boundary here and counted (printed) separately.
 * Signatures carry their length, so wrong-length signatures do reach uc_mldsa65_verify. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto_internal.h"
#include "helper_crypto.h"
#include "umbra/crypto.h"

static uint8_t g_pk[UC_MLDSA65_PK_LEN], g_sk[UC_MLDSA65_SK_LEN], g_sig[UC_MLDSA65_SIG_LEN];
static const uint8_t ZERO_RND[32];
/* The precomputed form of g_sk (static: ~48 KB); g_pre_rc is what pre_init returned. */
static _Alignas(16) uint8_t g_pre_buf[UC_MLDSA65_PRE_LEN];
#define G_PRE ((umbra__mldsa65_pre *)(void *)g_pre_buf)
static int g_pre_rc;
static _Alignas(16) uint8_t g_vpre_buf[UC_MLDSA65_VPRE_LEN];
#define G_VPRE ((umbra__mldsa65_vpre *)(void *)g_vpre_buf)

static long tcid(json_t *t) { return (long)json_integer_value(json_object_get(t, "tcId")); }

static void report_lengths(const char *set, int n) {
    if (n) printf("vectors: %s: %d invalid cases are wrong-length keys, rejected by the fixed-size API type\n", set, n);
}

/* One signing case with the key in g_sk / g_pk (pk may be unknown: have_pk 0). */
static int sign_case(json_t *t, int have_pk) {
    size_t mn, un, cn, rn, sn;
    uint8_t *msg = th_hex_opt(t, "msg", &mn), *mu = th_hex_opt(t, "mu", &un);
    uint8_t *ctx = th_hex_opt(t, "ctx", &cn), *rnd = th_hex_opt(t, "rnd", &rn);
    uint8_t *sig = th_hex_opt(t, "sig", &sn);
    const uint8_t *r = rnd ? rnd : ZERO_RND;
    int valid = th_result(t) == 1, ok = 1;
    assert_true(!rnd || rn == 32);
    if (msg) {
        int rc = uc_mldsa65_sign(g_sig, msg, mn, ctx, cn, r, g_sk);
        ok &= valid ? rc == 0 && th_same(g_sig, sizeof g_sig, sig, sn) : rc != 0;
        memset(g_sig, 0xa5, sizeof g_sig);
        rc = g_pre_rc ? g_pre_rc : umbra__mldsa65_sign_pre(g_sig, msg, mn, 1, ctx, cn, r, G_PRE);
        ok &= valid ? rc == 0 && th_same(g_sig, sizeof g_sig, sig, sn) : rc != 0;
        if (valid && have_pk) ok &= uc_mldsa65_verify(sig, sn, msg, mn, ctx, cn, g_pk) == 0;
    }
    if (mu) {
        assert_int_equal(un, 64);
        int rc = uc_mldsa65_sign_mu(g_sig, mu, r, g_sk);
        ok &= valid ? rc == 0 && th_same(g_sig, sizeof g_sig, sig, sn) : rc != 0;
        memset(g_sig, 0xa5, sizeof g_sig);
        rc = g_pre_rc ? g_pre_rc : umbra__mldsa65_sign_mu_pre(g_sig, mu, r, G_PRE);
        ok &= valid ? rc == 0 && th_same(g_sig, sizeof g_sig, sig, sn) : rc != 0;
        if (valid && have_pk) ok &= uc_mldsa65_verify_mu(sig, sn, mu, g_pk) == 0;
        if (msg && have_pk) {
            uint8_t mu2[64];
            ok &= uc_mldsa65_mu(mu2, g_pk, msg, mn, ctx, cn) == 0 && !memcmp(mu2, mu, 64);
        }
    }
    if (!msg && !mu) ok = 0;
    free(msg), free(mu), free(ctx), free(rnd), free(sig);
    return ok;
}

static void run_sign_file(const char *rel, const char *set, int seeded, int expect) {
    json_t *j = tu_load_shared_json(rel);
    int pass = 0, total = 0, bylen = 0;
    size_t gi, ti;
    json_t *g, *t;
    json_array_foreach(json_object_get(j, "testGroups"), gi, g) {
        size_t kn, pn;
        uint8_t *key = tu_hex_member(g, seeded ? "privateSeed" : "privateKey", &kn);
        uint8_t *pk = th_hex_opt(g, "publicKey", &pn);
        int keyok = 0;
        if (seeded && kn == 32) {
            keyok = uc_mldsa65_keypair_derand(g_pk, g_sk, key) == 0 && (!pk || th_same(g_pk, sizeof g_pk, pk, pn));
        } else if (!seeded && kn == UC_MLDSA65_SK_LEN) {
            memcpy(g_sk, key, kn);
            if (pk && pn == UC_MLDSA65_PK_LEN) memcpy(g_pk, pk, pn);
            keyok = 1;
        }
        /* out-of-range s1/s2 (noseed file) must be refused here already */
        if (keyok) g_pre_rc = umbra__mldsa65_pre_init(G_PRE, g_sk);
        json_array_foreach(json_object_get(g, "tests"), ti, t) {
            int ok;
            if (kn != (seeded ? 32u : (size_t)UC_MLDSA65_SK_LEN)) {
                ok = th_result(t) != 1;
                bylen += ok;
            } else {
                ok = keyok && sign_case(t, pk != NULL);
            }
            if (ok) pass++;
            else th_fail(set, tcid(t), th_str(t, "comment"));
            total++;
        }
        free(key), free(pk);
    }
    json_decref(j);
    assert_int_equal(total, expect);
    report_lengths(set, bylen);
    tu_report(set, pass, total);
}

static void test_wycheproof_sign_seed(void **state) {
    (void)state;
    th_init();
    run_sign_file("vectors/wycheproof/mldsa_65_sign_seed_test.json", "wycheproof mldsa_65_sign_seed", 1, 105);
}

static void test_wycheproof_sign_noseed(void **state) {
    (void)state;
    th_init();
    run_sign_file("vectors/wycheproof/mldsa_65_sign_noseed_test.json", "wycheproof mldsa_65_sign_noseed", 0, 78);
}

static void test_wycheproof_verify(void **state) {
    (void)state;
    th_init();
    json_t *j = tu_load_shared_json("vectors/wycheproof/mldsa_65_verify_test.json");
    int pass = 0, total = 0, bylen = 0;
    size_t gi, ti;
    json_t *g, *t;
    json_array_foreach(json_object_get(j, "testGroups"), gi, g) {
        size_t pn;
        uint8_t *pk = tu_hex_member(g, "publicKey", &pn);
        if (pn == UC_MLDSA65_PK_LEN) assert_int_equal(umbra__mldsa65_vpre_init(G_VPRE, pk), 0);
        json_array_foreach(json_object_get(g, "tests"), ti, t) {
            size_t mn, cn, sn;
            uint8_t *msg = tu_hex_member(t, "msg", &mn), *ctx = th_hex_opt(t, "ctx", &cn);
            uint8_t *sig = tu_hex_member(t, "sig", &sn);
            int valid = th_result(t) == 1, ok;
            if (pn != UC_MLDSA65_PK_LEN) {
                ok = !valid;
                bylen += ok;
            } else {
                int rc = uc_mldsa65_verify(sig, sn, msg, mn, ctx, cn, pk);
                ok = valid ? rc == 0 : rc != 0;
                rc = umbra__mldsa65_verify_vpre(sig, sn, msg, mn, 1, ctx, cn, G_VPRE);
                ok &= valid ? rc == 0 : rc != 0;
            }
            if (ok) pass++;
            else th_fail("mldsa_65_verify", tcid(t), th_str(t, "comment"));
            total++;
            free(msg), free(ctx), free(sig);
        }
        free(pk);
    }
    json_decref(j);
    assert_int_equal(total, 210);
    report_lengths("wycheproof mldsa_65_verify", bylen);
    tu_report("wycheproof mldsa_65_verify", pass, total);
}

static void test_acvp_keygen(void **state) {
    (void)state;
    th_init();
    json_t *j = tu_load_shared_json("vectors/acvp/ML-DSA-keyGen-FIPS204.ML-DSA-65.internalProjection.json");
    int pass = 0, total = 0;
    size_t gi, ti;
    json_t *g, *t;
    json_array_foreach(json_object_get(j, "testGroups"), gi, g) {
        json_array_foreach(json_object_get(g, "tests"), ti, t) {
            size_t sn, pn, kn;
            uint8_t *seed = tu_hex_member(t, "seed", &sn), *pk = tu_hex_member(t, "pk", &pn);
            uint8_t *sk = tu_hex_member(t, "sk", &kn);
            if (sn == 32 && uc_mldsa65_keypair_derand(g_pk, g_sk, seed) == 0 &&
                th_same(g_pk, sizeof g_pk, pk, pn) && th_same(g_sk, sizeof g_sk, sk, kn))
                pass++;
            else
                th_fail("acvp ML-DSA keyGen", tcid(t), "mismatch");
            total++;
            free(seed), free(pk), free(sk);
        }
    }
    json_decref(j);
    assert_int_equal(total, 25);
    tu_report("acvp ML-DSA-65 keyGen", pass, total);
}

static void test_acvp_siggen(void **state) {
    (void)state;
    th_init();
    json_t *j = tu_load_shared_json("vectors/acvp/ML-DSA-sigGen-FIPS204.ML-DSA-65.internalProjection.json");
    int pass = 0, total = 0;
    size_t gi, ti;
    json_t *g, *t;
    json_array_foreach(json_object_get(j, "testGroups"), gi, g) {
        int det = json_is_true(json_object_get(g, "deterministic"));
        json_array_foreach(json_object_get(g, "tests"), ti, t) {
            size_t kn, mn, rn, sn;
            uint8_t *sk = tu_hex_member(t, "sk", &kn), *m = tu_hex_member(t, "message", &mn);
            uint8_t *rnd = det ? NULL : tu_hex_member(t, "rnd", &rn), *sig = tu_hex_member(t, "signature", &sn);
            /* deterministic groups use rnd = 32 zero bytes (FIPS 204 Algorithm 2 line 8) */
            if (kn == UC_MLDSA65_SK_LEN && (det || rn == 32) &&
                uc_mldsa65_sign_internal(g_sig, m, mn, det ? ZERO_RND : rnd, sk) == 0 &&
                th_same(g_sig, sizeof g_sig, sig, sn) &&
                /* and through the precomputed key (internal interface: pure = 0) */
                (memset(g_sig, 0xa5, sizeof g_sig), umbra__mldsa65_pre_init(G_PRE, sk) == 0) &&
                umbra__mldsa65_sign_pre(g_sig, m, mn, 0, NULL, 0, det ? ZERO_RND : rnd, G_PRE) == 0 &&
                th_same(g_sig, sizeof g_sig, sig, sn))
                pass++;
            else
                th_fail("acvp ML-DSA sigGen", tcid(t), det ? "deterministic" : "hedged");
            total++;
            free(sk), free(m), free(rnd), free(sig);
        }
    }
    json_decref(j);
    assert_int_equal(total, 20);
    tu_report("acvp ML-DSA-65 sigGen (internal)", pass, total);
}

static void test_acvp_sigver(void **state) {
    (void)state;
    th_init();
    json_t *j = tu_load_shared_json("vectors/acvp/ML-DSA-sigVer-FIPS204.ML-DSA-65.internalProjection.json");
    int pass = 0, total = 0;
    size_t gi, ti;
    json_t *g, *t;
    json_array_foreach(json_object_get(j, "testGroups"), gi, g) {
        size_t pn;
        uint8_t *pk = tu_hex_member(g, "pk", &pn);
        assert_int_equal(pn, UC_MLDSA65_PK_LEN);
        assert_int_equal(umbra__mldsa65_vpre_init(G_VPRE, pk), 0);
        json_array_foreach(json_object_get(g, "tests"), ti, t) {
            size_t mn, sn;
            uint8_t *m = tu_hex_member(t, "message", &mn), *sig = tu_hex_member(t, "signature", &sn);
            int want = json_is_true(json_object_get(t, "testPassed"));
            int rc = uc_mldsa65_verify_internal(sig, sn, m, mn, pk);
            int rc2 = umbra__mldsa65_verify_vpre(sig, sn, m, mn, 0, NULL, 0, G_VPRE);
            if ((rc == 0) == want && (rc2 == 0) == want) pass++;
            else th_fail("acvp ML-DSA sigVer", tcid(t), th_str(t, "reason"));
            total++;
            free(m), free(sig);
        }
        free(pk);
    }
    json_decref(j);
    assert_int_equal(total, 15);
    tu_report("acvp ML-DSA-65 sigVer (internal)", pass, total);
}

static void test_roundtrip(void **state) {
    (void)state;
    th_init();
    static const uint8_t msg[] = "message";
    uint8_t ctx[256] = {7};
    assert_int_equal(uc_mldsa65_keypair(g_pk, g_sk), 0);
    assert_int_equal(uc_mldsa65_sign(g_sig, msg, sizeof msg, ctx, 3, NULL, g_sk), 0);
    assert_int_equal(uc_mldsa65_verify(g_sig, sizeof g_sig, msg, sizeof msg, ctx, 3, g_pk), 0);
    assert_int_equal(uc_mldsa65_verify(g_sig, sizeof g_sig, msg, sizeof msg, ctx, 2, g_pk), UMBRA_EBADSIG);
    assert_int_equal(uc_mldsa65_verify(g_sig, sizeof g_sig - 1, msg, sizeof msg, ctx, 3, g_pk), UMBRA_EBADSIG);
    assert_int_equal(uc_mldsa65_sign(g_sig, msg, sizeof msg, ctx, 256, NULL, g_sk), UMBRA_EINVAL);
    assert_int_equal(uc_mldsa65_verify(g_sig, sizeof g_sig, msg, sizeof msg, ctx, 256, g_pk), UMBRA_EINVAL);
    /* hedged signatures differ, deterministic ones repeat */
    uint8_t s2[UC_MLDSA65_SIG_LEN];
    assert_int_equal(uc_mldsa65_sign(s2, msg, sizeof msg, NULL, 0, NULL, g_sk), 0);
    assert_int_equal(uc_mldsa65_sign(g_sig, msg, sizeof msg, NULL, 0, NULL, g_sk), 0);
    assert_memory_not_equal(s2, g_sig, sizeof s2);
    assert_int_equal(uc_mldsa65_sign(s2, msg, sizeof msg, NULL, 0, ZERO_RND, g_sk), 0);
    assert_int_equal(uc_mldsa65_sign(g_sig, msg, sizeof msg, NULL, 0, ZERO_RND, g_sk), 0);
    assert_memory_equal(s2, g_sig, sizeof s2);
    /* the pure interface is the internal one over M' = 0 || len(ctx) || ctx || M */
    uint8_t mp[2 + 3 + sizeof msg] = {0, 3, 7, 0, 0};
    memcpy(mp + 5, msg, sizeof msg);
    assert_int_equal(uc_mldsa65_sign(g_sig, msg, sizeof msg, ctx, 3, ZERO_RND, g_sk), 0);
    assert_int_equal(uc_mldsa65_sign_internal(s2, mp, sizeof mp, ZERO_RND, g_sk), 0);
    assert_memory_equal(s2, g_sig, sizeof s2);
    assert_int_equal(uc_mldsa65_verify_internal(s2, sizeof s2, mp, sizeof mp, g_pk), 0);
    /* an s1 coefficient nibble of 15 (> 2*eta) is refused */
    uint8_t saved = g_sk[128];
    g_sk[128] |= 0x0f;
    assert_int_equal(uc_mldsa65_sign(g_sig, msg, sizeof msg, NULL, 0, NULL, g_sk), UMBRA_EBADKEY);
    /* refused signing calls zero the signature buffer (no stale signature survives) */
    static const uint8_t zero_sig[UC_MLDSA65_SIG_LEN];
    assert_memory_equal(g_sig, zero_sig, sizeof zero_sig);
    g_sk[128] = saved;
    static uint8_t ctx256[256];
    assert_int_equal(uc_mldsa65_sign(g_sig, msg, sizeof msg, NULL, 0, NULL, g_sk), 0);
    assert_int_equal(uc_mldsa65_sign(g_sig, msg, sizeof msg, ctx256, 256, NULL, g_sk), UMBRA_EINVAL);
    assert_memory_equal(g_sig, zero_sig, sizeof zero_sig);
    assert_int_equal(uc_mldsa65_sign(g_sig, msg, sizeof msg, ctx256, 255, NULL, g_sk), 0);
    assert_int_equal(uc_mldsa65_verify(g_sig, sizeof g_sig, msg, sizeof msg, ctx256, 255, g_pk), 0);
    assert_int_equal(uc_mldsa65_sign_internal(g_sig, NULL, 4, NULL, g_sk), UMBRA_EINVAL);
    assert_memory_equal(g_sig, zero_sig, sizeof zero_sig);
}

/* The precomputed key: hedged signatures verify, deterministic ones equal the sk path,
 * a bad sk is refused (and leaves no cache), errors zero the signature, wipe clears it. */
static void test_precomputed(void **state) {
    (void)state;
    th_init();
    static const uint8_t msg[] = "precomputed";
    static const uint8_t zero_pre[UC_MLDSA65_PRE_LEN], zero_sig[UC_MLDSA65_SIG_LEN];
    uint8_t ctx[3] = {1, 2, 3}, s2[UC_MLDSA65_SIG_LEN], mu[64];
    static uint8_t ctx256[256];
    assert_int_equal(uc_mldsa65_keypair(g_pk, g_sk), 0);
    assert_int_equal(umbra__mldsa65_pre_init(G_PRE, g_sk), 0);
    assert_memory_not_equal(g_pre_buf, zero_pre, sizeof zero_pre);
    for (int i = 0; i < 3; i++) { /* hedged */
        assert_int_equal(umbra__mldsa65_sign_pre(g_sig, msg, sizeof msg, 1, ctx, 3, NULL, G_PRE), 0);
        assert_int_equal(uc_mldsa65_verify(g_sig, sizeof g_sig, msg, sizeof msg, ctx, 3, g_pk), 0);
        assert_int_equal(uc_mldsa65_verify(g_sig, sizeof g_sig, msg, sizeof msg, ctx, 2, g_pk), UMBRA_EBADSIG);
    }
    assert_int_equal(umbra__mldsa65_sign_pre(g_sig, msg, sizeof msg, 1, ctx, 3, ZERO_RND, G_PRE), 0);
    assert_int_equal(uc_mldsa65_sign(s2, msg, sizeof msg, ctx, 3, ZERO_RND, g_sk), 0);
    assert_memory_equal(s2, g_sig, sizeof s2);
    assert_int_equal(umbra__mldsa65_sign_pre(g_sig, msg, sizeof msg, 0, NULL, 0, ZERO_RND, G_PRE), 0);
    assert_int_equal(uc_mldsa65_sign_internal(s2, msg, sizeof msg, ZERO_RND, g_sk), 0);
    assert_memory_equal(s2, g_sig, sizeof s2);
    assert_int_equal(uc_mldsa65_mu(mu, g_pk, msg, sizeof msg, NULL, 0), 0);
    assert_int_equal(umbra__mldsa65_sign_mu_pre(g_sig, mu, ZERO_RND, G_PRE), 0);
    assert_int_equal(uc_mldsa65_sign_mu(s2, mu, ZERO_RND, g_sk), 0);
    assert_memory_equal(s2, g_sig, sizeof s2);
    /* the precomputed public key verifies the same */
    assert_int_equal(umbra__mldsa65_vpre_init(G_VPRE, g_pk), 0);
    assert_int_equal(umbra__mldsa65_verify_mu_vpre(g_sig, sizeof g_sig, mu, G_VPRE), 0);
    assert_int_equal(umbra__mldsa65_verify_vpre(g_sig, sizeof g_sig, msg, sizeof msg, 1, NULL, 0, G_VPRE), 0);
    assert_int_equal(umbra__mldsa65_verify_vpre(g_sig, sizeof g_sig, msg, sizeof msg, 1, ctx, 1, G_VPRE), UMBRA_EBADSIG);
    assert_int_equal(umbra__mldsa65_verify_vpre(g_sig, sizeof g_sig - 1, msg, sizeof msg, 1, NULL, 0, G_VPRE), UMBRA_EBADSIG);
    assert_int_equal(umbra__mldsa65_verify_vpre(g_sig, sizeof g_sig, msg, sizeof msg, 0, ctx, 1, G_VPRE), UMBRA_EINVAL);
    assert_int_equal(umbra__mldsa65_verify_vpre(g_sig, sizeof g_sig, msg, 1, 1, ctx256, 256, G_VPRE), UMBRA_EINVAL);
    assert_int_equal(umbra__mldsa65_verify_vpre(g_sig, sizeof g_sig, msg, 1, 1, NULL, 0, NULL), UMBRA_EINVAL);
    assert_int_equal(umbra__mldsa65_vpre_init(G_VPRE, NULL), UMBRA_EINVAL);
    g_sig[200] ^= 1;
    assert_int_equal(umbra__mldsa65_verify_mu_vpre(g_sig, sizeof g_sig, mu, G_VPRE), UMBRA_EBADSIG);
    g_sig[200] ^= 1;
    /* errors: ctx on the internal interface, ctx > 255, NULL message with length */
    assert_int_equal(umbra__mldsa65_sign_pre(g_sig, msg, sizeof msg, 0, ctx, 3, NULL, G_PRE), UMBRA_EINVAL);
    assert_memory_equal(g_sig, zero_sig, sizeof zero_sig);
    assert_int_equal(umbra__mldsa65_sign_pre(g_sig, msg, 1, 1, ctx256, 256, NULL, G_PRE), UMBRA_EINVAL);
    assert_int_equal(umbra__mldsa65_sign_pre(g_sig, NULL, 4, 1, NULL, 0, NULL, G_PRE), UMBRA_EINVAL);
    assert_int_equal(umbra__mldsa65_sign_pre(g_sig, msg, 1, 1, NULL, 0, NULL, NULL), UMBRA_EINVAL);
    assert_int_equal(umbra__mldsa65_sign_mu_pre(g_sig, NULL, NULL, G_PRE), UMBRA_EINVAL);
    assert_memory_equal(g_sig, zero_sig, sizeof zero_sig);
    /* wipe clears A-hat, NTT(s1/s2/t0), tr and K */
    umbra__mldsa65_pre_wipe(G_PRE);
    assert_memory_equal(g_pre_buf, zero_pre, sizeof zero_pre);
    /* an s2 nibble out of range is refused at precompute time and leaves nothing behind */
    assert_int_equal(umbra__mldsa65_pre_init(G_PRE, g_sk), 0);
    g_sk[128 + 5 * 128] |= 0xf0;
    assert_int_equal(umbra__mldsa65_pre_init(G_PRE, g_sk), UMBRA_EBADKEY);
    assert_memory_equal(g_pre_buf, zero_pre, sizeof zero_pre);
    assert_int_equal(umbra__mldsa65_pre_init(G_PRE, NULL), UMBRA_EINVAL);
    assert_int_equal(umbra__mldsa65_pre_init(NULL, g_sk), UMBRA_EINVAL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wycheproof_sign_seed),
        cmocka_unit_test(test_wycheproof_sign_noseed),
        cmocka_unit_test(test_wycheproof_verify),
        cmocka_unit_test(test_acvp_keygen),
        cmocka_unit_test(test_acvp_siggen),
        cmocka_unit_test(test_acvp_sigver),
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_precomputed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
