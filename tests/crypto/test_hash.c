/* test_hash.c — SHA-256, SHA-512 (FIPS 180-4 examples: "abc", the two-block messages, one
 * million 'a'), SHA3-256 and SHAKE-256 (FIPS 202 examples: "" and "abc"), and that the
 * incremental contexts agree with the one-shot functions at every split point. */
#include <stdlib.h>
#include <string.h>

#include "helper_crypto.h"
#include "umbra/crypto.h"

static int eq_hex(const uint8_t *got, size_t n, const char *hex) {
    size_t wn;
    uint8_t *want = tu_hex(hex, &wn);
    int ok = wn == n && !memcmp(got, want, n);
    free(want);
    return ok;
}

static void test_known_answers(void **state) {
    (void)state;
    th_init();
    static const char *M448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    static const char *M896 = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
    uint8_t h[64], x[64];
    static uint8_t million[1000000];
    memset(million, 'a', sizeof million);
    int pass = 0, total = 0;
#define KAT(expr, n, hex)                                    \
    do {                                                     \
        expr;                                                \
        total++;                                             \
        if (eq_hex(h, n, hex)) pass++;                       \
        else th_fail("hash", total, #expr);                  \
    } while (0)
    KAT(uc_sha256(h, "", 0), 32, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    KAT(uc_sha256(h, "abc", 3), 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    KAT(uc_sha256(h, M448, strlen(M448)), 32, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    KAT(uc_sha256(h, million, sizeof million), 32, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    KAT(uc_sha512(h, "abc", 3), 64, "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
    KAT(uc_sha512(h, M896, strlen(M896)), 64, "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909");
    KAT(uc_sha3_256(h, "", 0), 32, "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a");
    KAT(uc_sha3_256(h, "abc", 3), 32, "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532");
    KAT(uc_shake256(h, 32, "", 0), 32, "46b9dd2b0ba88d13233b3feb743eeb243fcd52ea62b81b82b50c27646ed5762f");
    KAT(uc_shake256(h, 64, "abc", 3), 64, "483366601360a8771c6863080cc4114d8db44530f8f1e1ee4f94ea37e78b5739d5a15bef186a5386c75744c0527e1faa9f8726e462a12a4feb06bd8801e751e4");
#undef KAT
    /* SHAKE output is a stream: 17 bytes are the prefix of 64. */
    uc_shake256(x, 17, "abc", 3);
    uc_shake256(h, 64, "abc", 3);
    assert_memory_equal(x, h, 17);
    tu_report("FIPS 180-4 / FIPS 202 known answers", pass, total);
}

static void test_incremental(void **state) {
    (void)state;
    th_init();
    uint8_t msg[300], one[64], inc[64];
    for (size_t i = 0; i < sizeof msg; i++) msg[i] = (uint8_t)(i * 7 + 1);
    for (size_t split = 0; split <= sizeof msg; split += 13) {
        uc_sha256_ctx c;
        uc_sha256_init(&c);
        uc_sha256_update(&c, msg, split);
        uc_sha256_update(&c, msg + split, sizeof msg - split);
        uc_sha256_final(&c, inc);
        uc_sha256(one, msg, sizeof msg);
        assert_memory_equal(one, inc, 32);
        uc_sha512_ctx d;
        uc_sha512_init(&d);
        uc_sha512_update(&d, msg, split);
        uc_sha512_update(&d, msg + split, sizeof msg - split);
        uc_sha512_final(&d, inc);
        uc_sha512(one, msg, sizeof msg);
        assert_memory_equal(one, inc, 64);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_answers),
        cmocka_unit_test(test_incremental),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
