/* test_mlkem.c — ML-KEM-768 (FIPS 203) against every case of the Wycheproof files
 * mlkem_768_test.json (seed keygen + decaps incl. implicit rejection), _encaps_test.json
 * (encapsulation with m, §7.2 modulus check), _keygen_seed_test.json and
 * _semi_expanded_decaps_test.json (§7.3 dk checks), and the NIST ACVP ML-KEM-768 keyGen
 * and encapDecap internal-projection files.
 *
 * uc_mlkem768_* take fixed-size arrays, so a wrong-length seed / ek / dk / ciphertext
 * cannot reach them; such vector cases are checked here, at the boundary where a caller
 * must check lengths, and counted as rejected (the number is printed separately). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helper_crypto.h"
#include "umbra/crypto.h"

static uint8_t g_ek[UC_MLKEM768_PK_LEN], g_dk[UC_MLKEM768_SK_LEN], g_ct[UC_MLKEM768_CT_LEN];

static long tcid(json_t *t) { return (long)json_integer_value(json_object_get(t, "tcId")); }

static void report_lengths(const char *set, int n) {
    if (n) printf("vectors: %s: %d invalid cases are wrong-length inputs, rejected by the fixed-size API type\n", set, n);
}

static void test_wycheproof_decaps(void **state) {
    (void)state;
    th_init();
    json_t *j = tu_load_shared_json("vectors/wycheproof/mlkem_768_test.json");
    int pass = 0, total = 0, bylen = 0;
    size_t gi, ti;
    json_t *g, *t;
    json_array_foreach(json_object_get(j, "testGroups"), gi, g) {
        json_array_foreach(json_object_get(g, "tests"), ti, t) {
            size_t sn, en, cn, kn;
            uint8_t *seed = tu_hex_member(t, "seed", &sn), *ek = th_hex_opt(t, "ek", &en);
            uint8_t *c = tu_hex_member(t, "c", &cn), *k = th_hex_opt(t, "K", &kn);
            uint8_t ss[32];
            int valid = th_result(t) == 1, ok;
            if (sn != 64 || cn != UC_MLKEM768_CT_LEN) {
                ok = !valid;
                bylen += ok;
            } else {
                ok = uc_mlkem768_keypair_derand(g_ek, g_dk, seed) == 0 &&
                     (!ek || th_same(g_ek, sizeof g_ek, ek, en));
                int rc = uc_mlkem768_decaps(ss, c, g_dk);
                ok = ok && (valid ? rc == 0 && th_same(ss, 32, k, kn) : rc != 0);
            }
            if (ok) pass++;
            else th_fail("mlkem_768", tcid(t), th_str(t, "comment"));
            total++;
            free(seed), free(ek), free(c), free(k);
        }
    }
    json_decref(j);
    assert_int_equal(total, 193);
    report_lengths("wycheproof mlkem_768", bylen);
    tu_report("wycheproof mlkem_768", pass, total);
}

static void test_wycheproof_encaps(void **state) {
    (void)state;
    th_init();
    json_t *j = tu_load_shared_json("vectors/wycheproof/mlkem_768_encaps_test.json");
    int pass = 0, total = 0, bylen = 0;
    size_t gi, ti;
    json_t *g, *t;
    json_array_foreach(json_object_get(j, "testGroups"), gi, g) {
        json_array_foreach(json_object_get(g, "tests"), ti, t) {
            size_t en, mn, cn, kn;
            uint8_t *ek = tu_hex_member(t, "ek", &en), *m = tu_hex_member(t, "m", &mn);
            uint8_t *c = tu_hex_member(t, "c", &cn), *k = tu_hex_member(t, "K", &kn);
            uint8_t ss[32];
            int valid = th_result(t) == 1, ok;
            if (en != UC_MLKEM768_PK_LEN || mn != 32) {
                ok = !valid;
                bylen += ok;
            } else {
                int rc = uc_mlkem768_encaps_derand(g_ct, ss, ek, m);
                ok = valid ? rc == 0 && th_same(g_ct, sizeof g_ct, c, cn) && th_same(ss, 32, k, kn)
                           : rc == UMBRA_EBADKEY && uc_mlkem768_check_pk(ek) == UMBRA_EBADKEY;
            }
            if (ok) pass++;
            else th_fail("mlkem_768_encaps", tcid(t), th_str(t, "comment"));
            total++;
            free(ek), free(m), free(c), free(k);
        }
    }
    json_decref(j);
    assert_int_equal(total, 265);
    report_lengths("wycheproof mlkem_768_encaps", bylen);
    tu_report("wycheproof mlkem_768_encaps", pass, total);
}

static void test_wycheproof_keygen(void **state) {
    (void)state;
    th_init();
    json_t *j = tu_load_shared_json("vectors/wycheproof/mlkem_768_keygen_seed_test.json");
    int pass = 0, total = 0;
    size_t gi, ti;
    json_t *g, *t;
    json_array_foreach(json_object_get(j, "testGroups"), gi, g) {
        json_array_foreach(json_object_get(g, "tests"), ti, t) {
            size_t sn, en, dn;
            uint8_t *seed = tu_hex_member(t, "seed", &sn), *ek = tu_hex_member(t, "ek", &en);
            uint8_t *dk = tu_hex_member(t, "dk", &dn);
            int ok = th_result(t) == 1 && sn == 64 && uc_mlkem768_keypair_derand(g_ek, g_dk, seed) == 0 &&
                     th_same(g_ek, sizeof g_ek, ek, en) && th_same(g_dk, sizeof g_dk, dk, dn) &&
                     uc_mlkem768_check_sk(g_dk) == 0 && uc_mlkem768_check_pk(g_ek) == 0;
            if (ok) pass++;
            else th_fail("mlkem_768_keygen_seed", tcid(t), th_str(t, "comment"));
            total++;
            free(seed), free(ek), free(dk);
        }
    }
    json_decref(j);
    assert_int_equal(total, 100);
    tu_report("wycheproof mlkem_768_keygen_seed", pass, total);
}

static void test_wycheproof_semi_expanded(void **state) {
    (void)state;
    th_init();
    json_t *j = tu_load_shared_json("vectors/wycheproof/mlkem_768_semi_expanded_decaps_test.json");
    int pass = 0, total = 0, bylen = 0;
    size_t gi, ti;
    json_t *g, *t;
    json_array_foreach(json_object_get(j, "testGroups"), gi, g) {
        json_array_foreach(json_object_get(g, "tests"), ti, t) {
            size_t dn, cn, kn;
            uint8_t *dk = tu_hex_member(t, "dk", &dn), *c = tu_hex_member(t, "c", &cn);
            uint8_t *k = th_hex_opt(t, "K", &kn);
            uint8_t ss[32];
            int valid = th_result(t) == 1, ok;
            if (dn != UC_MLKEM768_SK_LEN || cn != UC_MLKEM768_CT_LEN) {
                ok = !valid;
                bylen += ok;
            } else {
                int rc = uc_mlkem768_decaps(ss, c, dk);
                ok = valid ? rc == 0 && th_same(ss, 32, k, kn) : rc == UMBRA_EBADKEY;
            }
            if (ok) pass++;
            else th_fail("mlkem_768_semi_expanded", tcid(t), th_str(t, "comment"));
            total++;
            free(dk), free(c), free(k);
        }
    }
    json_decref(j);
    assert_int_equal(total, 9);
    report_lengths("wycheproof mlkem_768_semi_expanded_decaps", bylen);
    tu_report("wycheproof mlkem_768_semi_expanded_decaps", pass, total);
}

static void test_acvp_keygen(void **state) {
    (void)state;
    th_init();
    json_t *j = tu_load_shared_json("vectors/acvp/ML-KEM-keyGen-FIPS203.ML-KEM-768.internalProjection.json");
    int pass = 0, total = 0;
    size_t gi, ti;
    json_t *g, *t;
    json_array_foreach(json_object_get(j, "testGroups"), gi, g) {
        json_array_foreach(json_object_get(g, "tests"), ti, t) {
            size_t dn, zn, en, kn;
            uint8_t *d = tu_hex_member(t, "d", &dn), *z = tu_hex_member(t, "z", &zn);
            uint8_t *ek = tu_hex_member(t, "ek", &en), *dk = tu_hex_member(t, "dk", &kn);
            uint8_t dz[64];
            assert_true(dn == 32 && zn == 32);
            memcpy(dz, d, 32);
            memcpy(dz + 32, z, 32);
            if (uc_mlkem768_keypair_derand(g_ek, g_dk, dz) == 0 && th_same(g_ek, sizeof g_ek, ek, en) &&
                th_same(g_dk, sizeof g_dk, dk, kn))
                pass++;
            else
                th_fail("acvp ML-KEM keyGen", tcid(t), "mismatch");
            total++;
            free(d), free(z), free(ek), free(dk);
        }
    }
    json_decref(j);
    assert_int_equal(total, 25);
    tu_report("acvp ML-KEM-768 keyGen", pass, total);
}

static void test_acvp_encap_decap(void **state) {
    (void)state;
    th_init();
    json_t *j = tu_load_shared_json("vectors/acvp/ML-KEM-encapDecap-FIPS203.ML-KEM-768.internalProjection.json");
    int pass = 0, total = 0;
    size_t gi, ti;
    json_t *g, *t;
    json_array_foreach(json_object_get(j, "testGroups"), gi, g) {
        int enc = !strcmp(th_str(g, "function"), "encapsulation");
        size_t gdn = 0;
        uint8_t *gdk = enc ? NULL : tu_hex_member(g, "dk", &gdn);
        json_array_foreach(json_object_get(g, "tests"), ti, t) {
            size_t cn, kn, en, mn;
            uint8_t *c = tu_hex_member(t, "c", &cn), *k = tu_hex_member(t, "k", &kn), ss[32];
            int ok;
            if (enc) {
                uint8_t *ek = tu_hex_member(t, "ek", &en), *m = tu_hex_member(t, "m", &mn);
                ok = en == UC_MLKEM768_PK_LEN && mn == 32 && uc_mlkem768_encaps_derand(g_ct, ss, ek, m) == 0 &&
                     th_same(g_ct, sizeof g_ct, c, cn) && th_same(ss, 32, k, kn);
                free(ek), free(m);
            } else {
                /* "modify ciphertext" cases expect the implicit-rejection key */
                ok = gdn == UC_MLKEM768_SK_LEN && cn == UC_MLKEM768_CT_LEN &&
                     uc_mlkem768_decaps(ss, c, gdk) == 0 && th_same(ss, 32, k, kn);
            }
            if (ok) pass++;
            else th_fail("acvp ML-KEM encapDecap", tcid(t), th_str(t, "reason"));
            total++;
            free(c), free(k);
        }
        free(gdk);
    }
    json_decref(j);
    assert_int_equal(total, 35);
    tu_report("acvp ML-KEM-768 encapDecap", pass, total);
}

static void test_roundtrip(void **state) {
    (void)state;
    th_init();
    uint8_t ss1[32], ss2[32];
    assert_int_equal(uc_mlkem768_keypair(g_ek, g_dk), 0);
    assert_int_equal(uc_mlkem768_encaps(g_ct, ss1, g_ek), 0);
    assert_int_equal(uc_mlkem768_decaps(ss2, g_ct, g_dk), 0);
    assert_memory_equal(ss1, ss2, 32);
    g_ct[0] ^= 1;
    assert_int_equal(uc_mlkem768_decaps(ss2, g_ct, g_dk), 0);
    assert_memory_not_equal(ss1, ss2, 32);
    g_dk[1152 + 7] ^= 1; /* the ek embedded in dk no longer matches H(ek) */
    assert_int_equal(uc_mlkem768_decaps(ss2, g_ct, g_dk), UMBRA_EBADKEY);
    assert_int_equal(uc_mlkem768_check_sk(g_dk), UMBRA_EBADKEY);
    /* refused calls leave zeros, not a stale secret or ciphertext */
    static const uint8_t zero[UC_MLKEM768_CT_LEN];
    assert_memory_equal(ss2, zero, 32);
    g_ek[0] = 0xff; /* first coefficient 0x?ff with high nibble: >= q */
    g_ek[1] |= 0x0f;
    assert_int_equal(uc_mlkem768_encaps(g_ct, ss1, g_ek), UMBRA_EBADKEY);
    assert_memory_equal(g_ct, zero, UC_MLKEM768_CT_LEN);
    assert_memory_equal(ss1, zero, 32);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wycheproof_decaps),
        cmocka_unit_test(test_wycheproof_encaps),
        cmocka_unit_test(test_wycheproof_keygen),
        cmocka_unit_test(test_wycheproof_semi_expanded),
        cmocka_unit_test(test_acvp_keygen),
        cmocka_unit_test(test_acvp_encap_decap),
        cmocka_unit_test(test_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
