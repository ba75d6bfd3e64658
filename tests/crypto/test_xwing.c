/* test_xwing.c — X-Wing KEM (draft-connolly-cfrg-xwing-kem-10) against the draft's three
 * vectors (../shared/vectors/xwing/test-vectors.json), plus round trips and the error
 * contract. */
#include <stdlib.h>
#include <string.h>

#include "helper_crypto.h"
#include "umbra/crypto.h"

static void test_draft_vectors(void **state) {
    (void)state;
    th_init();
    json_t *j = tu_load_shared_json("vectors/xwing/test-vectors.json");
    assert_true(json_is_array(j));
    int pass = 0, total = 0;
    size_t i;
    json_t *v;
    json_array_foreach(j, i, v) {
        size_t skn, pkn, esn, ctn, ssn, seedn;
        uint8_t *seed = tu_hex_member(v, "seed", &seedn), *sk = tu_hex_member(v, "sk", &skn);
        uint8_t *pk = tu_hex_member(v, "pk", &pkn), *es = tu_hex_member(v, "eseed", &esn);
        uint8_t *ct = tu_hex_member(v, "ct", &ctn), *ss = tu_hex_member(v, "ss", &ssn);
        uint8_t mpk[UC_XWING_PK_LEN], mct[UC_XWING_CT_LEN], mss[32], dss[32], kss[32];
        uc_xwing_dk dk;
        int ok = skn == 32 && pkn == UC_XWING_PK_LEN && esn == 64 && ctn == UC_XWING_CT_LEN &&
                 ssn == 32 && th_same(seed, seedn, sk, skn);
        ok = ok && uc_xwing_keypair_derand(mpk, sk) == 0 && !memcmp(mpk, pk, pkn);
        ok = ok && uc_xwing_encaps_derand(mct, mss, pk, es) == 0 && !memcmp(mct, ct, ctn) &&
             !memcmp(mss, ss, 32);
        ok = ok && uc_xwing_decaps(dss, ct, sk) == 0 && !memcmp(dss, ss, 32);
        memset(mpk, 0, sizeof mpk);
        ok = ok && uc_xwing_dk_expand(&dk, mpk, sk) == 0 && !memcmp(mpk, pk, pkn) &&
             uc_xwing_decaps_dk(kss, ct, &dk) == 0 && !memcmp(kss, ss, 32);
        uc_xwing_dk_wipe(&dk);
        if (ok)
            pass++;
        else
            th_fail("xwing", (long)i, "mismatch");
        total++;
        free(seed), free(sk), free(pk), free(es), free(ct), free(ss);
    }
    json_decref(j);
    assert_int_equal(total, 3);
    tu_report("xwing draft-10", pass, total);
}

static void test_roundtrip_and_rejection(void **state) {
    (void)state;
    th_init();
    uint8_t pk[UC_XWING_PK_LEN], sk[32], ct[UC_XWING_CT_LEN], ss1[32], ss2[32];
    assert_int_equal(uc_xwing_keypair(pk, sk), 0);
    assert_int_equal(uc_xwing_encaps(ct, ss1, pk), 0);
    assert_int_equal(uc_xwing_decaps(ss2, ct, sk), 0);
    assert_memory_equal(ss1, ss2, 32);

    /* Implicit rejection: a modified ML-KEM ciphertext yields another secret, no error. */
    ct[5] ^= 1;
    assert_int_equal(uc_xwing_decaps(ss2, ct, sk), 0);
    assert_memory_not_equal(ss1, ss2, 32);
    ct[5] ^= 1;
    /* A modified X25519 ciphertext changes ss too (ct_X is bound by the combiner). */
    ct[UC_XWING_CT_LEN - 1] ^= 0x40;
    assert_int_equal(uc_xwing_decaps(ss2, ct, sk), 0);
    assert_memory_not_equal(ss1, ss2, 32);

    /* Low-order pk_X (u = 0): encapsulation refuses with EWEAKKEY. */
    uint8_t bad[UC_XWING_PK_LEN];
    memcpy(bad, pk, sizeof bad);
    memset(bad + UC_MLKEM768_PK_LEN, 0, 32);
    assert_int_equal(uc_xwing_encaps(ct, ss1, bad), UMBRA_EWEAKKEY);
    /* pk_M coefficient >= q (0xfff in the first 12 bits): FIPS 203 modulus check. */
    memcpy(bad, pk, sizeof bad);
    bad[0] = 0xff;
    bad[1] |= 0x0f;
    assert_int_equal(uc_xwing_encaps(ct, ss1, bad), UMBRA_EBADKEY);
    /* A refused encapsulation leaves neither a ciphertext nor a secret behind. */
    static const uint8_t zero[UC_XWING_CT_LEN];
    assert_memory_equal(ct, zero, sizeof ct);
    assert_memory_equal(ss1, zero, 32);
    /* Decapsulation is total: a low-order ct_X still gives a (ML-KEM-bound) secret. */
    assert_int_equal(uc_xwing_encaps(ct, ss1, pk), 0);
    memset(ct + UC_MLKEM768_CT_LEN, 0, 32);
    assert_int_equal(uc_xwing_decaps(ss2, ct, sk), 0);
    assert_memory_not_equal(ss2, zero, 32);
    assert_memory_not_equal(ss2, ss1, 32);
    assert_int_equal(uc_xwing_decaps(NULL, ct, sk), UMBRA_EINVAL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_draft_vectors),
        cmocka_unit_test(test_roundtrip_and_rejection),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
