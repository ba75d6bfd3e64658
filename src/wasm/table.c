/*
 * table.c — tables of references (Wasm 2.0 §4.2.7). Elements are 64-bit slots holding a
 * uw_func* (funcref) or the host's pointer (externref); 0 is the null reference.
 */
#include "runtime_internal.h"

#include <string.h>

int uw__tab_init(uw_table *t, uint8_t reftype, uint32_t size, uint32_t max, uint32_t decl_max) {
    memset(t, 0, sizeof *t);
    if (size > max) return UMBRA_EWASM_LIMIT;
    t->reftype = reftype;
    t->max = max;
    t->decl_max = decl_max;
    t->cap = size ? size : 1;
    t->elems = umbra_calloc(t->cap, sizeof *t->elems);
    if (!t->elems) return UMBRA_ENOMEM;
    t->size = size;
    return 0;
}

void uw__tab_destroy(uw_table *t) {
    umbra_free(t->elems);
    t->elems = NULL;
    t->size = t->cap = 0;
}

int64_t uw__tab_grow(uw_table *t, uint32_t delta, uint64_t init) {
    uint32_t old = t->size;
    if (delta > t->max - old) return -1;
    uint32_t want = old + delta;
    if (want > t->cap) {
        uint64_t nc = (uint64_t)t->cap * 2;
        if (nc < want) nc = want;
        if (nc > t->max) nc = t->max;
        uint64_t *p = umbra_realloc(t->elems, (size_t)nc * sizeof *p);
        if (!p) return -1;
        t->elems = p;
        t->cap = (uint32_t)nc;
    }
    for (uint32_t i = old; i < want; i++) t->elems[i] = init;
    t->size = want;
    return old;
}
