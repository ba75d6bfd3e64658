/*
 * memory.c — linear memory (Wasm 2.0 §4.2.8). A memory reserves its effective maximum once
 * (PROT_NONE, no swap reservation) and commits pages with mprotect as it grows, so its base
 * address never changes: compiled code and host pointers stay valid across memory.grow.
 * Accesses are bounds-checked explicitly by the interpreter (docs/WASM.md explains the
 * choice against guard regions). Linux/POSIX mmap; the only platform code of the runtime.
 */
#include "runtime_internal.h"

#include <string.h>
#include <sys/mman.h>

/* Resets up to this many bytes with memset; larger ranges are discarded (madvise), which
 * gives zero pages back lazily and is cheaper than touching every byte. */
#define MEMSET_LIMIT (256u * 1024u)

int uw__mem_init(uw_memory *m, uint32_t pages, uint32_t max_pages, uint32_t decl_max) {
    memset(m, 0, sizeof *m);
    if (pages > max_pages) return UMBRA_EWASM_LIMIT;
    m->max_pages = max_pages;
    m->decl_max = decl_max;
    m->reserved = (size_t)max_pages * UW__PAGE_SIZE;
    if (m->reserved) {
        void *p = mmap(NULL, m->reserved, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                       -1, 0);
        if (p == MAP_FAILED) {
            m->reserved = 0;
            return UMBRA_ENOMEM;
        }
        m->base = p;
    }
    if (pages && uw__mem_grow(m, pages) < 0) {
        uw__mem_destroy(m);
        return UMBRA_ENOMEM;
    }
    return 0;
}

void uw__mem_destroy(uw_memory *m) {
    if (m->base) munmap(m->base, m->reserved);
    m->base = NULL;
    m->reserved = m->committed = 0;
    m->size = 0;
    m->pages = 0;
}

int64_t uw__mem_grow(uw_memory *m, uint32_t delta) {
    uint32_t old = m->pages;
    if (delta > m->max_pages - old) return -1;
    size_t want = (size_t)(old + delta) * UW__PAGE_SIZE;
    if (want > m->committed) {
        if (mprotect(m->base + m->committed, want - m->committed, PROT_READ | PROT_WRITE) != 0)
            return -1;
        m->committed = want;
    }
    m->pages = old + delta;
    m->size = want;
    return old;
}

int uw__mem_reset(uw_memory *m, uint32_t pages, uint64_t dirty) {
    size_t keep = (size_t)pages * UW__PAGE_SIZE;
    if (m->committed > keep) {
        /* drop the grown tail: contents discarded, access revoked */
        madvise(m->base + keep, m->committed - keep, MADV_DONTNEED);
        if (mprotect(m->base + keep, m->committed - keep, PROT_NONE) != 0) return UMBRA_ENOMEM;
        m->committed = keep;
    } else if (m->committed < keep) {
        if (mprotect(m->base + m->committed, keep - m->committed, PROT_READ | PROT_WRITE) != 0)
            return UMBRA_ENOMEM;
        m->committed = keep;
    }
    m->pages = pages;
    m->size = keep;
    if (dirty > keep) dirty = keep;
    if (dirty <= MEMSET_LIMIT) {
        memset(m->base, 0, dirty);
    } else if (madvise(m->base, dirty, MADV_DONTNEED) != 0) {
        memset(m->base, 0, dirty);
    }
    return 0;
}
