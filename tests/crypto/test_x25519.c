/* test_x25519.c — X25519 (RFC 7748): the §6.1 Diffie-Hellman example entered by hand and
 * every case of Wycheproof x25519_test.json (valid and "acceptable": low-order and
 * non-canonical public keys, twist points). Our contract: the raw RFC 7748 value is always
 * written; an all-zero result (low-order peer) returns UMBRA_EWEAKKEY. */
#include <stdlib.h>
#include <string.h>

#include "helper_crypto.h"
#include "umbra/crypto.h"

static void test_rfc7748_6_1(void **state) {
    (void)state;
    th_init();
    size_t n;
    uint8_t *ask = tu_hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a", &n);
    uint8_t *apk = tu_hex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a", &n);
    uint8_t *bsk = tu_hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb", &n);
    uint8_t *bpk = tu_hex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f", &n);
    uint8_t *k = tu_hex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742", &n);
    uint8_t pk[32], ss1[32], ss2[32];
    uc_x25519_base(pk, ask);
    assert_memory_equal(pk, apk, 32);
    uc_x25519_base(pk, bsk);
    assert_memory_equal(pk, bpk, 32);
    assert_int_equal(uc_x25519(ss1, ask, bpk), 0);
    assert_int_equal(uc_x25519(ss2, bsk, apk), 0);
    assert_memory_equal(ss1, k, 32);
    assert_memory_equal(ss2, k, 32);
    free(ask), free(apk), free(bsk), free(bpk), free(k);
    tu_report("x25519 RFC 7748 6.1", 1, 1);
}

static void test_wycheproof(void **state) {
    (void)state;
    th_init();
    json_t *j = tu_load_shared_json("vectors/wycheproof/x25519_test.json");
    int pass = 0, total = 0, weak = 0;
    size_t gi, ti;
    json_t *g, *t;
    static const uint8_t zero[32];
    json_array_foreach(json_object_get(j, "testGroups"), gi, g) {
        json_array_foreach(json_object_get(g, "tests"), ti, t) {
            size_t pn, sn, kn;
            uint8_t *pub = tu_hex_member(t, "public", &pn), *priv = tu_hex_member(t, "private", &sn);
            uint8_t *shared = tu_hex_member(t, "shared", &kn);
            uint8_t ss[32];
            memset(ss, 0xee, sizeof ss);
            int ok = pn == 32 && sn == 32 && kn == 32 && th_result(t) != 0;
            if (ok) {
                int rc = uc_x25519(ss, priv, pub);
                if (!memcmp(shared, zero, 32)) {
                    ok = rc == UMBRA_EWEAKKEY && !memcmp(ss, zero, 32);
                    weak++;
                } else {
                    ok = rc == 0 && !memcmp(ss, shared, 32);
                }
            }
            if (ok) pass++;
            else th_fail("x25519", (long)json_integer_value(json_object_get(t, "tcId")), th_str(t, "comment"));
            total++;
            free(pub), free(priv), free(shared);
        }
    }
    json_decref(j);
    assert_int_equal(total, 518);
    assert_true(weak > 0);
    tu_report("wycheproof x25519", pass, total);
}

static void test_keypair(void **state) {
    (void)state;
    th_init();
    uint8_t apk[32], ask[32], bpk[32], bsk[32], s1[32], s2[32], pk[32];
    uc_x25519_keypair(apk, ask);
    uc_x25519_keypair(bpk, bsk);
    uc_x25519_base(pk, ask);
    assert_memory_equal(pk, apk, 32);
    assert_int_equal(uc_x25519(s1, ask, bpk), 0);
    assert_int_equal(uc_x25519(s2, bsk, apk), 0);
    assert_memory_equal(s1, s2, 32);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc7748_6_1),
        cmocka_unit_test(test_wycheproof),
        cmocka_unit_test(test_keypair),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
