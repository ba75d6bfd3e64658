/* test_mac.c — HMAC-SHA256: every case of Wycheproof hmac_sha256_test.json (full and
 * truncated tags, valid and modified), plus the verify contract. */
#include <stdlib.h>
#include <string.h>

#include "helper_crypto.h"
#include "umbra/crypto.h"

static void test_wycheproof(void **state) {
    (void)state;
    th_init();
    json_t *j = tu_load_shared_json("vectors/wycheproof/hmac_sha256_test.json");
    int pass = 0, total = 0;
    size_t gi, ti;
    json_t *g, *t;
    json_array_foreach(json_object_get(j, "testGroups"), gi, g) {
        json_array_foreach(json_object_get(g, "tests"), ti, t) {
            size_t kn, mn, tn;
            uint8_t *key = tu_hex_member(t, "key", &kn), *msg = tu_hex_member(t, "msg", &mn);
            uint8_t *tag = tu_hex_member(t, "tag", &tn);
            uint8_t mac[32];
            uc_hmac_sha256(mac, key, kn, msg, mn);
            int vrc = uc_hmac_sha256_verify(tag, tn, key, kn, msg, mn);
            int ok = th_result(t) == 1 ? (vrc == 0 && tn <= 32 && !memcmp(mac, tag, tn))
                                       : (vrc == UMBRA_EAUTH);
            if (ok) pass++;
            else th_fail("hmac_sha256", (long)json_integer_value(json_object_get(t, "tcId")), th_str(t, "comment"));
            total++;
            free(key), free(msg), free(tag);
        }
    }
    json_decref(j);
    assert_int_equal(total, 174);
    tu_report("wycheproof hmac_sha256", pass, total);
}

static void test_contract(void **state) {
    (void)state;
    th_init();
    uint8_t mac[32];
    uc_hmac_sha256(mac, NULL, 0, "", 0);
    /* RFC 4231-style empty key/empty message value */
    size_t n;
    uint8_t *want = tu_hex("b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad", &n);
    assert_memory_equal(mac, want, 32);
    free(want);
    assert_int_equal(uc_hmac_sha256_verify(mac, 0, NULL, 0, "", 0), UMBRA_EINVAL);
    assert_int_equal(uc_hmac_sha256_verify(mac, 33, NULL, 0, "", 0), UMBRA_EINVAL);
    assert_int_equal(uc_hmac_sha256_verify(mac, 1, NULL, 0, "", 0), 0);
    mac[0] ^= 1;
    assert_int_equal(uc_hmac_sha256_verify(mac, 1, NULL, 0, "", 0), UMBRA_EAUTH);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wycheproof),
        cmocka_unit_test(test_contract),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
