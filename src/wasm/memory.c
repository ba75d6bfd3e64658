/*
 * memory.c — linear memory (Wasm 2.0 §4.2.8). A memory reserves its effective maximum once
 * (PROT_NONE, no swap reservation) and commits pages with mprotect as it grows, so its base
 * address never changes: compiled code and host pointers stay valid across memory.grow.
 * Accesses are bounds-checked explicitly by the interpreter (docs/WASM.md explains the
 * choice against guard regions). Linux/POSIX mmap; the only platform code of the runtime.
 */
#include "runtime_internal.h"

#include <pthread.h>
#include <string.h>
#include <sys/mman.h>

/* Resets up to this many bytes with memset; larger ranges are discarded (madvise), which
 * gives zero pages back lazily and is cheaper than touching every byte. */
#define MEMSET_LIMIT (256u * 1024u)

/* Process-wide cache of released reservations, so that creating and freeing instances in
 * a loop (one fresh instance per request) costs no mmap/munmap/mprotect system calls and no
 * page faults. A cached reservation is zero over its committed part and keeps at most
 * POOL_KEEP bytes committed. */
#define POOL_MAX 64
#define POOL_KEEP (1u << 20)
typedef struct pooled {
    uint8_t *base;
    size_t reserved, committed;
} pooled;
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static pooled pool[POOL_MAX];
static int npool;

static int pool_take(size_t reserved, pooled *out) {
    int found = 0;
    pthread_mutex_lock(&pool_lock);
    for (int i = npool - 1; i >= 0; i--) {
        if (pool[i].reserved != reserved) continue;
        *out = pool[i];
        pool[i] = pool[--npool];
        found = 1;
        break;
    }
    pthread_mutex_unlock(&pool_lock);
    return found;
}

/* Returns 1 when the pool took the reservation (already zeroed by the caller). */
static int pool_put(const pooled *p) {
    int taken = 0;
    pthread_mutex_lock(&pool_lock);
    if (npool < POOL_MAX) {
        pool[npool++] = *p;
        taken = 1;
    }
    pthread_mutex_unlock(&pool_lock);
    return taken;
}

int uw__mem_init(uw_memory *m, uint32_t pages, uint32_t max_pages, uint32_t decl_max) {
    memset(m, 0, sizeof *m);
    if (pages > max_pages) return UMBRA_EWASM_LIMIT;
    m->max_pages = max_pages;
    m->decl_max = decl_max;
    m->reserved = (size_t)max_pages * UW__PAGE_SIZE;
    pooled p;
    if (m->reserved && pool_take(m->reserved, &p)) {
        m->base = p.base;
        m->committed = p.committed;
        size_t want = (size_t)pages * UW__PAGE_SIZE;
        if (m->committed > want) {
            if (mprotect(m->base + want, m->committed - want, PROT_NONE) != 0) {
                m->committed = m->reserved; /* unknown state: do not reuse */
                uw__mem_destroy(m);
                return UMBRA_ENOMEM;
            }
            /* the tail is zero already; keep it resident for a later grow */
            m->committed = want;
        }
        if (pages && uw__mem_grow(m, pages) < 0) {
            uw__mem_destroy(m);
            return UMBRA_ENOMEM;
        }
        return 0;
    }
    if (m->reserved) {
        void *r = mmap(NULL, m->reserved, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                       -1, 0);
        if (r == MAP_FAILED) {
            m->reserved = 0;
            return UMBRA_ENOMEM;
        }
        m->base = r;
    }
    if (pages && uw__mem_grow(m, pages) < 0) {
        uw__mem_destroy(m);
        return UMBRA_ENOMEM;
    }
    return 0;
}

void uw__mem_destroy(uw_memory *m) {
    if (m->base && m->committed <= POOL_KEEP) {
        /* zero what the guest could have written, then cache the reservation */
        memset(m->base, 0, m->committed);
        pooled p = {m->base, m->reserved, m->committed};
        if (pool_put(&p)) m->base = NULL;
    }
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
