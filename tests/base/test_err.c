/* tests for src/base/err.c and src/base/alloc.c */
#include "testutil.h"
#include "umbra/base.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void strerror_covers_table(void **state) {
    (void)state;
#define X(name, value, msg) assert_string_equal(umbra_strerror(value), msg); \
    assert_string_equal(umbra_errname(value), "UMBRA_E" #name);
    UMBRA_ERRNO_MAP(X)
#undef X
    assert_string_equal(umbra_strerror(-99999), "unknown error");
    assert_string_equal(umbra_errname(12345), "UMBRA_E?");
}

static void errno_mapping(void **state) {
    (void)state;
    assert_int_equal(umbra_from_errno(0), UMBRA_EOK);
    assert_int_equal(umbra_from_errno(ENOENT), UMBRA_ENOENT);
    assert_int_equal(umbra_from_errno(EACCES), UMBRA_EPERM);
    assert_int_equal(umbra_from_errno(EEXIST), UMBRA_EEXIST);
    assert_int_equal(umbra_from_errno(ENOSPC), UMBRA_ENOSPACE);
    assert_int_equal(umbra_from_errno(EFBIG), UMBRA_ENOSPACE);
    assert_int_equal(umbra_from_errno(ENAMETOOLONG), UMBRA_ETOOBIG);
    assert_int_equal(umbra_from_errno(ECONNREFUSED), UMBRA_EUNREACHABLE);
    assert_int_equal(umbra_from_errno(EPIPE), UMBRA_ERESET);
    assert_int_equal(umbra_from_errno(ENOTCONN), UMBRA_ECLOSED);
    assert_int_equal(umbra_from_errno(EIO), UMBRA_EIO);
    assert_int_equal(umbra_from_errno(12345), UMBRA_EIO);
    /* Every mapping lands on a code the table knows. */
    for (int e = 0; e < 200; e++) assert_string_not_equal(umbra_errname(umbra_from_errno(e)), "UMBRA_E?");
    assert_null(umbra_strdup(NULL));
}

static void alloc_failure_injection(void **state) {
    (void)state;
    void *a = umbra_malloc(8);
    assert_non_null(a);
    unsigned long before = umbra_alloc_failures();
    umbra_alloc_fail_after(2, 0);
    void *b = umbra_malloc(8);
    assert_non_null(b);
    assert_null(umbra_malloc(8));
    void *c = umbra_malloc(8); /* not sticky: works again */
    assert_non_null(c);
    umbra_alloc_fail_after(1, 1);
    assert_null(umbra_malloc(1));
    assert_null(umbra_calloc(1, 1));
    assert_null(umbra_strdup("x"));
    umbra_alloc_fail_after(0, 0);
    assert_int_equal(umbra_alloc_failures() - before, 4);
    umbra_free(a);
    umbra_free(b);
    umbra_free(c);
    umbra_free(NULL);
}

/* A replacement calloc that trusts count * size, as a minimal custom allocator might. */
static int naive_calls;
static void *naive_calloc(size_t c, size_t s) {
    naive_calls++;
    void *p = malloc(c * s);
    if (p) memset(p, 0, c * s);
    return p;
}

static void calloc_overflow_never_reaches_the_hook(void **state) {
    (void)state;
    assert_int_equal(umbra_replace_allocator(malloc, realloc, naive_calloc, free), 0);
    naive_calls = 0;
    assert_null(umbra_calloc(SIZE_MAX / 2 + 2, 2)); /* wraps to 2 bytes in the hook */
    assert_null(umbra_calloc((size_t)1 << 33, (size_t)1 << 33));
    assert_int_equal(naive_calls, 0);
    void *p = umbra_calloc(3, 5);
    assert_non_null(p);
    assert_int_equal(naive_calls, 1);
    umbra_free(p);
    assert_int_equal(umbra_replace_allocator(malloc, realloc, calloc, free), 0);
    assert_int_equal(umbra_replace_allocator(NULL, realloc, calloc, free), UMBRA_EINVAL);
}

static void ct_equal_and_wipe(void **state) {
    (void)state;
    uint8_t x[33], y[33];
    memset(x, 7, sizeof x);
    memcpy(y, x, sizeof y);
    assert_int_equal(umbra_ct_equal(x, y, sizeof x), 0);
    y[32] ^= 0x80;
    assert_int_equal(umbra_ct_equal(x, y, sizeof x), -1);
    /* Any single differing bit anywhere is seen; zero length is equal. */
    for (size_t i = 0; i < sizeof x; i++)
        for (int bit = 0; bit < 8; bit++) {
            memcpy(y, x, sizeof y);
            y[i] ^= (uint8_t)(1u << bit);
            assert_int_equal(umbra_ct_equal(x, y, sizeof x), -1);
        }
    assert_int_equal(umbra_ct_equal(x, y, 0), 0);
    umbra_wipe(x, sizeof x);
    for (size_t i = 0; i < sizeof x; i++) assert_int_equal(x[i], 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(strerror_covers_table),
        cmocka_unit_test(errno_mapping),
        cmocka_unit_test(alloc_failure_injection),
        cmocka_unit_test(calloc_overflow_never_reaches_the_hook),
        cmocka_unit_test(ct_equal_and_wipe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
