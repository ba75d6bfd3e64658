/* test_init.c — uc_init() is idempotent and safe from many threads at once; uc_random()
 * gives distinct output; derandomized keygen is reproducible and does not disturb (or
 * get disturbed by) another thread's PQClean randomness script, which is thread-local. */
#include <pthread.h>
#include <string.h>

#include "crypto_internal.h"
#include "helper_crypto.h"
#include "umbra/crypto.h"

static void *init_thread(void *arg) {
    int *rc = arg;
    *rc = uc_init();
    return NULL;
}

static void test_concurrent_init(void **state) {
    (void)state;
    pthread_t t[8];
    int rc[8];
    for (int i = 0; i < 8; i++) assert_int_equal(pthread_create(&t[i], NULL, init_thread, &rc[i]), 0);
    for (int i = 0; i < 8; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(rc[i], 0);
    }
    assert_int_equal(uc_init(), 0);
}

static void test_random(void **state) {
    (void)state;
    th_init();
    uint8_t a[32], b[32], z[32] = {0};
    uc_random(a, sizeof a);
    uc_random(b, sizeof b);
    assert_memory_not_equal(a, b, 32);
    assert_memory_not_equal(a, z, 32);
    uc_random(NULL, 0);
}

struct kg {
    uint8_t seed[32];
    uint8_t pk[UC_MLDSA65_PK_LEN];
    uint8_t sk[UC_MLDSA65_SK_LEN];
    int rc;
};

static void *keygen_thread(void *arg) {
    struct kg *k = arg;
    for (int i = 0; i < 5 && k->rc == 0; i++) k->rc = uc_mldsa65_keypair_derand(k->pk, k->sk, k->seed);
    return NULL;
}

static void test_derand_threads(void **state) {
    (void)state;
    th_init();
    static struct kg k[4];
    static uint8_t pk[UC_MLDSA65_PK_LEN], sk[UC_MLDSA65_SK_LEN];
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        memset(k[i].seed, i + 1, 32);
        k[i].rc = 0;
        assert_int_equal(pthread_create(&t[i], NULL, keygen_thread, &k[i]), 0);
    }
    for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(k[i].rc, 0);
        assert_int_equal(uc_mldsa65_keypair_derand(pk, sk, k[i].seed), 0);
        assert_memory_equal(pk, k[i].pk, sizeof pk);
        assert_memory_equal(sk, k[i].sk, sizeof sk);
    }
    /* the script is always cleared afterwards */
    assert_int_equal(umbra__pq_rng_script_left(), 0);
}

int PQCLEAN_randombytes(uint8_t *output, size_t n);

/* The script accounting that makes derandomized keygen trustworthy: exact consumption is
 * recognized, and so are both a short and an over-long draw. */
static void test_rng_script_accounting(void **state) {
    (void)state;
    const uint8_t script[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    uint8_t out[12];
    assert_false(umbra__pq_rng_script_exact()); /* no script installed */
    umbra__pq_rng_script(script, 8);
    PQCLEAN_randombytes(out, 3);
    assert_false(umbra__pq_rng_script_exact());
    assert_int_equal(umbra__pq_rng_script_left(), 5);
    PQCLEAN_randombytes(out + 3, 5);
    assert_true(umbra__pq_rng_script_exact());
    assert_memory_equal(out, script, 8);
    PQCLEAN_randombytes(out, 1); /* one byte past the script */
    assert_false(umbra__pq_rng_script_exact());
    umbra__pq_rng_script(script, 8);
    PQCLEAN_randombytes(out, 12); /* longer than the script in one request */
    assert_false(umbra__pq_rng_script_exact());
    assert_memory_equal(out, script, 8);
    umbra__pq_rng_script(NULL, 0);
    assert_false(umbra__pq_rng_script_exact());
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_concurrent_init),
        cmocka_unit_test(test_random),
        cmocka_unit_test(test_derand_threads),
        cmocka_unit_test(test_rng_script_accounting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
