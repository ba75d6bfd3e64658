/* test_cid.c — CIDv1 raw / sha2-256, base32 'b' strings.
 *
 * Known answers produced with the npm package multiformats 13.4.2 (the reference JS
 * implementation), outside the repo:
 *   mkdir /tmp/cidgen && cd /tmp/cidgen && npm init -y && npm install multiformats@13
 *   node gen.mjs   # for each input s:
 *     CID.create(1, raw.code, await sha256.digest(Buffer.from(s, 'latin1'))).toString()
 *   and CID.create(1, 0x70, ...) (dag-pb) of "umbra" for the parser's other-codec case. */
#include <string.h>

#include "helper_crypto.h"
#include "umbra/crypto.h"

static const struct {
    const char *in;
    size_t n;
    const char *cid;
} KAT[] = {
    {"", 0, "bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku"},
    {"hello world\n", 12, "bafkreifjjcie6lypi6ny7amxnfftagclbuxndqonfipmb64f2km2devei4"},
    {"umbra", 5, "bafkreifcmwnx424af6ttvv3kyz3erwixasqechuldq6dplpjxtwyodkauy"},
    {"The quick brown fox jumps over the lazy dog", 43,
     "bafkreigxvd53gb6xqckgtsu2xsyaqlsprvlfdzdnhtnxmlic2c7tpspfsi"},
    {"\x00\x01\x02\xff", 4, "bafkreib5d5l4tbexr34yugbxrsawnqolr3pafqb65nvo47rpcio753r6ky"},
};

static void test_known_answers(void **state) {
    (void)state;
    th_init();
    int pass = 0, total = 0;
    for (size_t i = 0; i < sizeof KAT / sizeof *KAT; i++) {
        char s[UC_CID_STR_LEN];
        uint8_t bin[36], parsed[36];
        uc_cid_raw(bin, KAT[i].in, KAT[i].n);
        int ok = uc_cid_raw_string(s, KAT[i].in, KAT[i].n) == 0 && strlen(s) == 59 &&
                 !strcmp(s, KAT[i].cid) && uc_cid_parse(parsed, KAT[i].cid) == 0 &&
                 !memcmp(parsed, bin, 36) && bin[0] == 1 && bin[1] == 0x55 && bin[2] == 0x12 && bin[3] == 0x20;
        if (ok) pass++;
        else th_fail("cid", (long)i, KAT[i].cid);
        total++;
    }
    tu_report("CIDv1 raw sha2-256 (multiformats 13.4.2)", pass, total);
}

static void test_parse(void **state) {
    (void)state;
    th_init();
    uint8_t cid[36], raw[36];
    /* dag-pb (0x70) CIDv1 of "umbra" parses: same digest, codec 0x70 */
    assert_int_equal(uc_cid_parse(cid, "bafybeifcmwnx424af6ttvv3kyz3erwixasqechuldq6dplpjxtwyodkauy"), 0);
    uc_cid_raw(raw, "umbra", 5);
    assert_int_equal(cid[1], 0x70);
    assert_memory_equal(cid + 2, raw + 2, 34);
    /* errors */
    assert_int_equal(uc_cid_parse(cid, ""), UMBRA_EUNSUPPORTED);
    assert_int_equal(uc_cid_parse(cid, "QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG"), UMBRA_EUNSUPPORTED);
    assert_int_equal(uc_cid_parse(cid, "bafkreifcmwnx424af6ttvv3kyz3erwixasqechuldq6dplpjxtwyodkau"), UMBRA_EMALFORMED);
    assert_int_equal(uc_cid_parse(cid, "bafkreifcmwnx424af6ttvv3kyz3erwixasqechuldq6dplpjxtwyodkauyy"), UMBRA_EMALFORMED);
    assert_int_equal(uc_cid_parse(cid, "bafkreifcmwnx424af6ttvv3kyz3erwixasqechuldq6dplpjxtwyodkau1"), UMBRA_EMALFORMED);
    assert_int_equal(uc_cid_parse(cid, "BAFKREIFCMWNX424AF6TTVV3KYZ3ERWIXASQECHULDQ6DPLPJXTWYODKAUY"), UMBRA_EUNSUPPORTED);
    assert_int_equal(uc_cid_parse(cid, "bafkreifcmwnx424af6ttvv3kyz3erwixasqechuldq6dplpjxtwyodkaUy"), UMBRA_EMALFORMED);
    /* a CIDv1 whose codec needs a two-byte varint (dag-json 0x0129; multiformats: CID.create(1, 0x0129, sha256("umbra"))) cannot fit 36 bytes */
    assert_int_equal(uc_cid_parse(cid, "baguqeeraujszw7tlqax2oowxnldhmsgzc4ckaqi6rmodyn5n5g6o3bynicta"), UMBRA_EUNSUPPORTED);
    /* non-zero trailing bits: last char 'y' (24 = 11000b) -> 'z' (25 = 11001b) */
    assert_int_equal(uc_cid_parse(cid, "bafkreifcmwnx424af6ttvv3kyz3erwixasqechuldq6dplpjxtwyodkauz"), UMBRA_EMALFORMED);
    for (int i = 0; i < 36; i++) assert_int_equal(cid[i], 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_answers),
        cmocka_unit_test(test_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
