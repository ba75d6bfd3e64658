/* tests for src/base/buf.c */
#include "testutil.h"
#include "umbra/base.h"

#include <string.h>

static void append_grow_and_terminate(void **state) {
    (void)state;
    umbra_buf b;
    umbra_buf_init(&b, 0);
    assert_null(b.data);
    assert_int_equal(umbra_buf_append(&b, NULL, 0), 0);
    for (int i = 0; i < 1000; i++) assert_int_equal(umbra_buf_append_byte(&b, (uint8_t)('a' + i % 26)), 0);
    assert_int_equal(b.len, 1000);
    assert_true(b.cap > b.len);
    assert_int_equal(b.data[1000], 0);
    assert_int_equal(b.data[26], 'a');
    assert_int_equal(umbra_buf_printf(&b, "|%d|%s|", 42, "x"), 0);
    assert_int_equal(b.len, 1006);
    assert_string_equal((char *)b.data + 1000, "|42|x|");
    /* Appending from the buffer's own storage is safe even when it grows. */
    size_t before = b.len;
    assert_int_equal(umbra_buf_append(&b, b.data, b.len), 0);
    assert_int_equal(b.len, 2 * before);
    assert_memory_equal(b.data, b.data + before, before);
    umbra_buf_free(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    umbra_buf_free(&b); /* twice is fine */
}

static void max_is_enforced(void **state) {
    (void)state;
    umbra_buf b;
    umbra_buf_init(&b, 10);
    assert_int_equal(umbra_buf_append(&b, "0123456789", 10), 0);
    assert_int_equal(umbra_buf_append_byte(&b, 'x'), UMBRA_ETOOBIG);
    assert_int_equal(umbra_buf_printf(&b, "%s", "y"), UMBRA_ETOOBIG);
    assert_int_equal(b.len, 10);
    assert_memory_equal(b.data, "0123456789", 10);
    assert_int_equal(umbra_buf_reserve(&b, SIZE_MAX), UMBRA_ETOOBIG);
    umbra_buf_consume(&b, 4);
    assert_int_equal(b.len, 6);
    assert_string_equal((char *)b.data, "456789");
    assert_int_equal(umbra_buf_append(&b, "abcd", 4), 0);
    assert_string_equal((char *)b.data, "456789abcd");
    umbra_buf_consume(&b, 100);
    assert_int_equal(b.len, 0);
    umbra_buf_free(&b);
}

static void shrink_reset_detach(void **state) {
    (void)state;
    umbra_buf b;
    umbra_buf_init(&b, 0);
    assert_int_equal(umbra_buf_reserve(&b, 1 << 20), 0);
    assert_true(b.cap > (1 << 20));
    assert_int_equal(umbra_buf_append(&b, "hello", 5), 0);
    umbra_buf_shrink(&b, 100);
    assert_int_equal(b.cap, 101);
    assert_string_equal((char *)b.data, "hello");
    umbra_buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_non_null(b.data);
    umbra_buf_shrink(&b, 0);
    assert_null(b.data);
    assert_int_equal(umbra_buf_printf(&b, "%s-%s", "a", "b"), 0);
    size_t n = 0;
    uint8_t *d = umbra_buf_detach(&b, &n);
    assert_int_equal(n, 3);
    assert_string_equal((char *)d, "a-b");
    assert_null(b.data);
    umbra_free(d);
    d = umbra_buf_detach(&b, &n);
    assert_non_null(d);
    assert_int_equal(n, 0);
    assert_int_equal(d[0], 0);
    umbra_free(d);
}

/* A secret buffer hands storage back only after wiping it: check through a custom
 * allocator that inspects every block it frees. */
static int g_freed_dirty;
static size_t g_last_size;
static void *spy_malloc(size_t n) {
    size_t *p = malloc(n + sizeof(size_t) * 2);
    if (!p) return NULL;
    p[0] = n;
    return p + 2;
}
static void *spy_calloc(size_t c, size_t s) {
    void *p = spy_malloc(c * s);
    if (p) memset(p, 0, c * s);
    return p;
}
static void spy_free(void *q) {
    if (!q) return;
    size_t *p = (size_t *)q - 2;
    g_last_size = p[0];
    for (size_t i = 0; i < p[0]; i++)
        if (((uint8_t *)q)[i] == 0xA5) g_freed_dirty++;
    free(p);
}
static void *spy_realloc(void *q, size_t n) {
    void *p = spy_malloc(n);
    if (!p) return NULL;
    if (q) {
        size_t old = ((size_t *)q - 2)[0];
        memcpy(p, q, old < n ? old : n);
        spy_free(q);
    }
    return p;
}

static void secret_buffers_are_wiped(void **state) {
    (void)state;
    assert_int_equal(umbra_replace_allocator(spy_malloc, spy_realloc, spy_calloc, spy_free), 0);
    uint8_t secret[200];
    memset(secret, 0xA5, sizeof secret);
    umbra_buf b;
    umbra_buf_init(&b, 0);
    b.secret = 1;
    g_freed_dirty = 0;
    for (int i = 0; i < 20; i++) assert_int_equal(umbra_buf_append(&b, secret, sizeof secret), 0); /* grows */
    umbra_buf_consume(&b, 1000);
    assert_int_equal(b.len, 3000);
    for (size_t i = b.len; i < b.len + 1000; i++) assert_int_not_equal(b.data[i], 0xA5);
    umbra_buf_shrink(&b, 0);
    umbra_buf_free(&b);
    assert_int_equal(g_freed_dirty, 0);
    /* Control: a non-secret buffer does leave its bytes behind (the spy can see them). */
    umbra_buf_init(&b, 0);
    assert_int_equal(umbra_buf_append(&b, secret, sizeof secret), 0);
    umbra_buf_free(&b);
    assert_true(g_freed_dirty > 0);
    assert_int_equal(umbra_replace_allocator(malloc, realloc, calloc, free), 0);
}

static void allocation_failures(void **state) {
    (void)state;
    umbra_buf b;
    umbra_buf_init(&b, 0);
    umbra_alloc_fail_after(1, 0);
    assert_int_equal(umbra_buf_append(&b, "abc", 3), UMBRA_ENOMEM);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(umbra_buf_append(&b, "abc", 3), 0);
    /* Failure during growth leaves the old contents intact. */
    static uint8_t big[4096];
    memset(big, 'q', sizeof big);
    umbra_alloc_fail_after(1, 1);
    assert_int_equal(umbra_buf_append(&b, big, sizeof big), UMBRA_ENOMEM);
    assert_int_equal(umbra_buf_printf(&b, "%4096s", "x"), UMBRA_ENOMEM);
    umbra_alloc_fail_after(0, 0);
    assert_int_equal(b.len, 3);
    assert_string_equal((char *)b.data, "abc");
    b.secret = 1; /* secret growth allocates a new block: must fail cleanly too */
    umbra_alloc_fail_after(1, 0);
    assert_int_equal(umbra_buf_append(&b, big, sizeof big), UMBRA_ENOMEM);
    assert_string_equal((char *)b.data, "abc");
    assert_int_equal(umbra_buf_append(&b, big, sizeof big), 0);
    assert_int_equal(b.len, 3 + sizeof big);
    umbra_buf_free(&b);
    /* Every allocation point of a growth sequence: fail the k-th, then recover. */
    for (unsigned long k = 1; k < 8; k++) {
        umbra_buf_init(&b, 0);
        umbra_alloc_fail_after(k, 0);
        int failed = 0;
        for (int i = 0; i < 64; i++)
            if (umbra_buf_append(&b, big, 256) != 0) failed++;
        umbra_alloc_fail_after(0, 0);
        assert_int_equal(failed, 1);
        assert_int_equal(b.len, 63 * 256);
        umbra_buf_free(&b);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(append_grow_and_terminate),
        cmocka_unit_test(max_is_enforced),
        cmocka_unit_test(shrink_reset_detach),
        cmocka_unit_test(secret_buffers_are_wiped),
        cmocka_unit_test(allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
