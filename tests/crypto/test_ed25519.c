/* test_ed25519.c — Ed25519 (RFC 8032): §7.1 TEST 1-3 signing entered by hand, and every
 * case of Wycheproof ed25519_test.json (verify only: malleability, non-canonical
 * encodings, truncated / padded signatures). Signatures whose length is not 64 cannot be
 * passed to uc_ed25519_verify (its type is sig[64]); they count as rejected by the API. */
#include <stdlib.h>
#include <string.h>

#include "helper_crypto.h"
#include "umbra/crypto.h"

static const struct {
    const char *seed, *pk, *msg, *sig;
} RFC8032[] = {
    {"9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"},
    {"4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"},
    {"c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"},
};

static void test_rfc8032_sign(void **state) {
    (void)state;
    th_init();
    int pass = 0;
    for (size_t i = 0; i < 3; i++) {
        size_t n, mn;
        uint8_t *seed = tu_hex(RFC8032[i].seed, &n), *pk = tu_hex(RFC8032[i].pk, &n);
        uint8_t *msg = tu_hex(RFC8032[i].msg, &mn), *sig = tu_hex(RFC8032[i].sig, &n);
        uint8_t mpk[32], msig[64];
        uc_ed25519_pk(mpk, seed);
        uc_ed25519_sign(msig, msg, mn, seed);
        if (!memcmp(mpk, pk, 32) && !memcmp(msig, sig, 64) && uc_ed25519_verify(sig, msg, mn, pk) == 0)
            pass++;
        else
            th_fail("ed25519 rfc8032", (long)i + 1, "mismatch");
        msig[0] ^= 1;
        assert_int_equal(uc_ed25519_verify(msig, msg, mn, pk), UMBRA_EBADSIG);
        free(seed), free(pk), free(msg), free(sig);
    }
    tu_report("ed25519 RFC 8032 7.1 TEST 1-3", pass, 3);
}

static void test_wycheproof(void **state) {
    (void)state;
    th_init();
    json_t *j = tu_load_shared_json("vectors/wycheproof/ed25519_test.json");
    int pass = 0, total = 0;
    size_t gi, ti;
    json_t *g, *t;
    json_array_foreach(json_object_get(j, "testGroups"), gi, g) {
        size_t pkn;
        uint8_t *pk = tu_hex_member(json_object_get(g, "publicKey"), "pk", &pkn);
        assert_int_equal(pkn, 32);
        json_array_foreach(json_object_get(g, "tests"), ti, t) {
            size_t mn, sn;
            uint8_t *msg = tu_hex_member(t, "msg", &mn), *sig = tu_hex_member(t, "sig", &sn);
            int accepted = sn == 64 && uc_ed25519_verify(sig, msg, mn, pk) == 0;
            if (accepted == (th_result(t) == 1)) pass++;
            else th_fail("ed25519", (long)json_integer_value(json_object_get(t, "tcId")), th_str(t, "comment"));
            total++;
            free(msg), free(sig);
        }
        free(pk);
    }
    json_decref(j);
    assert_int_equal(total, 151);
    tu_report("wycheproof ed25519 verify", pass, total);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc8032_sign),
        cmocka_unit_test(test_wycheproof),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
