/* test_kdf.c — HKDF-SHA256 (RFC 5869): the RFC's appendix A.1-A.3 cases entered by hand,
 * and every case of Wycheproof hkdf_sha256_test.json (invalid = output size too large). */
#include <stdlib.h>
#include <string.h>

#include "helper_crypto.h"
#include "umbra/crypto.h"

static void hex_eq(const uint8_t *got, const char *hex) {
    size_t n;
    uint8_t *want = tu_hex(hex, &n);
    assert_memory_equal(got, want, n);
    free(want);
}

static void test_rfc5869(void **state) {
    (void)state;
    th_init();
    uint8_t ikm[80], salt[80], info[80], prk[32], okm[82];
    int pass = 0;
    /* A.1 Test Case 1: basic */
    memset(ikm, 0x0b, 22);
    for (int i = 0; i < 13; i++) salt[i] = (uint8_t)i;
    for (int i = 0; i < 10; i++) info[i] = (uint8_t)(0xf0 + i);
    uc_hkdf_extract(prk, salt, 13, ikm, 22);
    hex_eq(prk, "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5");
    assert_int_equal(uc_hkdf_expand(okm, 42, prk, info, 10), 0);
    hex_eq(okm, "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
    memset(okm, 0, sizeof okm);
    assert_int_equal(uc_hkdf(okm, 42, salt, 13, ikm, 22, info, 10), 0);
    hex_eq(okm, "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
    pass++;
    /* A.2 Test Case 2: longer inputs/outputs */
    for (int i = 0; i < 80; i++) {
        ikm[i] = (uint8_t)i;
        salt[i] = (uint8_t)(0x60 + i);
        info[i] = (uint8_t)(0xb0 + i);
    }
    uc_hkdf_extract(prk, salt, 80, ikm, 80);
    hex_eq(prk, "06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244");
    assert_int_equal(uc_hkdf(okm, 82, salt, 80, ikm, 80, info, 80), 0);
    hex_eq(okm, "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
                "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
                "cc30c58179ec3e87c14c01d5c1f3434f1d87");
    pass++;
    /* A.3 Test Case 3: zero-length salt and info */
    memset(ikm, 0x0b, 22);
    uc_hkdf_extract(prk, NULL, 0, ikm, 22);
    hex_eq(prk, "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04");
    assert_int_equal(uc_hkdf(okm, 42, NULL, 0, ikm, 22, NULL, 0), 0);
    hex_eq(okm, "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
    pass++;
    tu_report("hkdf RFC 5869 A.1-A.3", pass, 3);
}

static void test_limits(void **state) {
    (void)state;
    th_init();
    static uint8_t okm[255 * 32 + 1];
    uint8_t prk[32] = {1};
    assert_int_equal(uc_hkdf_expand(okm, 255 * 32, prk, NULL, 0), 0);
    assert_int_equal(uc_hkdf_expand(okm, 255 * 32 + 1, prk, NULL, 0), UMBRA_ERANGE);
    assert_int_equal(uc_hkdf(okm, 255 * 32 + 1, NULL, 0, prk, 32, NULL, 0), UMBRA_ERANGE);
    assert_int_equal(uc_hkdf_expand(okm, 0, prk, NULL, 0), 0);
    /* Output is a prefix-stable stream: a shorter okm is a prefix of a longer one. */
    uint8_t a[100], b[33];
    assert_int_equal(uc_hkdf_expand(a, sizeof a, prk, (const uint8_t *)"x", 1), 0);
    assert_int_equal(uc_hkdf_expand(b, sizeof b, prk, (const uint8_t *)"x", 1), 0);
    assert_memory_equal(a, b, sizeof b);
    /* Long info (4 KiB) is accepted. */
    static uint8_t info[4096];
    assert_int_equal(uc_hkdf_expand(a, sizeof a, prk, info, sizeof info), 0);
}

static void test_aliasing(void **state) {
    /* A rekey chain writes the next key over the current one: okm may alias prk, and prk
     * may alias salt or ikm. */
    (void)state;
    th_init();
    uint8_t k[64], want[64], prk[32];
    for (int i = 0; i < 64; i++) k[i] = (uint8_t)i;
    memcpy(prk, k, 32);
    assert_int_equal(uc_hkdf_expand(want, 64, prk, (const uint8_t *)"next", 4), 0);
    assert_int_equal(uc_hkdf_expand(k, 64, k, (const uint8_t *)"next", 4), 0);
    assert_memory_equal(k, want, 64);
    uint8_t salt[32] = {9}, ikm[32] = {7};
    uc_hkdf_extract(want, salt, 32, ikm, 32);
    uc_hkdf_extract(ikm, salt, 32, ikm, 32);
    assert_memory_equal(ikm, want, 32);
    memset(ikm, 7, 1);
    memset(ikm + 1, 0, 31);
    uc_hkdf_extract(salt, salt, 32, ikm, 32);
    assert_memory_equal(salt, want, 32);
}

static void test_wycheproof(void **state) {
    (void)state;
    th_init();
    json_t *j = tu_load_shared_json("vectors/wycheproof/hkdf_sha256_test.json");
    int pass = 0, total = 0;
    size_t gi, ti;
    json_t *g, *t;
    json_array_foreach(json_object_get(j, "testGroups"), gi, g) {
        json_array_foreach(json_object_get(g, "tests"), ti, t) {
            size_t ikmn, saltn, infon, okmn;
            uint8_t *ikm = tu_hex_member(t, "ikm", &ikmn), *salt = tu_hex_member(t, "salt", &saltn);
            uint8_t *info = tu_hex_member(t, "info", &infon), *okm = tu_hex_member(t, "okm", &okmn);
            size_t size = (size_t)json_integer_value(json_object_get(t, "size"));
            uint8_t *out = malloc(size + 1);
            int rc = uc_hkdf(out, size, salt, saltn, ikm, ikmn, info, infon);
            int ok = th_result(t) == 1 ? (rc == 0 && th_same(out, size, okm, okmn)) : (rc != 0);
            long id = (long)json_integer_value(json_object_get(t, "tcId"));
            if (ok) pass++;
            else th_fail("hkdf_sha256", id, th_str(t, "comment"));
            total++;
            free(ikm), free(salt), free(info), free(okm), free(out);
        }
    }
    json_decref(j);
    assert_int_equal(total, 86);
    tu_report("wycheproof hkdf_sha256", pass, total);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc5869),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_aliasing),
        cmocka_unit_test(test_wycheproof),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
