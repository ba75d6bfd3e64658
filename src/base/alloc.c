/* alloc.c — the one allocation hook (style.md: uv_replace_allocator, SQLite xMalloc) with
 * thread-local failure injection for tests. */
#include "umbra/base.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static umbra_malloc_fn g_malloc = malloc;
static umbra_realloc_fn g_realloc = realloc;
static umbra_calloc_fn g_calloc = calloc;
static umbra_free_fn g_free = free;

static _Thread_local unsigned long t_fail_countdown; /* 0 = off */
static _Thread_local int t_fail_sticky;
static _Thread_local int t_failing;
static _Thread_local unsigned long t_failures;

int umbra_replace_allocator(umbra_malloc_fn m, umbra_realloc_fn r, umbra_calloc_fn c, umbra_free_fn f) {
    if (!m || !r || !c || !f) return UMBRA_EINVAL;
    g_malloc = m;
    g_realloc = r;
    g_calloc = c;
    g_free = f;
    return 0;
}

void umbra_alloc_fail_after(unsigned long n, int sticky) {
    t_fail_countdown = n;
    t_fail_sticky = sticky;
    t_failing = 0;
}

unsigned long umbra_alloc_failures(void) { return t_failures; }

/* Returns nonzero when this allocation must fail. */
static int should_fail(void) {
    if (t_failing) {
        t_failures++;
        return 1;
    }
    if (t_fail_countdown == 0) return 0;
    if (--t_fail_countdown == 0) {
        t_failures++;
        t_failing = t_fail_sticky;
        return 1;
    }
    return 0;
}

void *umbra_malloc(size_t n) {
    if (should_fail()) return NULL;
    return g_malloc(n ? n : 1);
}

void *umbra_calloc(size_t count, size_t size) {
    if (should_fail()) return NULL;
    if (count == 0 || size == 0) count = size = 1;
    /* A replacement calloc may not check count * size itself. */
    if (count > SIZE_MAX / size) return NULL;
    return g_calloc(count, size);
}

void *umbra_realloc(void *p, size_t n) {
    if (should_fail()) return NULL;
    return g_realloc(p, n ? n : 1);
}

void umbra_free(void *p) {
    if (p) g_free(p);
}

char *umbra_strdup(const char *s) {
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    char *d = umbra_malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}
