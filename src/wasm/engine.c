/* engine.c — uw_engine: configuration, canonical function types, the engine-wide host
 * function registry, host function objects and the epoch ticker used for deadlines. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "wasm_internal.h"

static const uw_engine_config k_defaults = {
    .max_memory_pages = UW__MAX_PAGES,
    .max_table_elems = 10000000u,
    .max_call_depth = 10000u,
    .max_stack_slots = 1u << 20,
    .epoch_tick_us = 1000u,
};

const char *uw_valtype_name(int type) {
    switch (type) {
    case UW_I32: return "i32";
    case UW_I64: return "i64";
    case UW_F32: return "f32";
    case UW_F64: return "f64";
    case UW_V128: return "v128";
    case UW_FUNCREF: return "funcref";
    case UW_EXTERNREF: return "externref";
    default: return "?";
    }
}

const char *uw_trap_kind_text(int kind) {
    static const char *const text[] = {
#define UW_X_TEXT(name, t) t,
        UW_TRAP_KIND_MAP(UW_X_TEXT)
#undef UW_X_TEXT
    };
    if (kind < 0 || kind >= UW_TRAP__COUNT) return "?";
    return text[kind];
}

int uw_engine_new(const uw_engine_config *cfg, uw_engine **out) {
    *out = NULL;
    uw_engine *e = umbra_calloc(1, sizeof *e);
    if (!e) return UMBRA_ENOMEM;
    e->cfg = k_defaults;
    if (cfg) {
        if (cfg->max_memory_pages > UW__MAX_PAGES) {
            umbra_free(e);
            return UMBRA_EINVAL;
        }
        if (cfg->max_memory_pages) e->cfg.max_memory_pages = cfg->max_memory_pages;
        if (cfg->max_table_elems) e->cfg.max_table_elems = cfg->max_table_elems;
        if (cfg->max_call_depth) e->cfg.max_call_depth = cfg->max_call_depth;
        if (cfg->max_stack_slots) e->cfg.max_stack_slots = cfg->max_stack_slots;
        if (cfg->epoch_tick_us) e->cfg.epoch_tick_us = cfg->epoch_tick_us;
    }
    if (pthread_mutex_init(&e->lock, NULL) != 0) {
        umbra_free(e);
        return UMBRA_ENOMEM;
    }
    atomic_init(&e->epoch, 0);
    atomic_init(&e->ticker_stop, 0);
    *out = e;
    return 0;
}

static void free_functype(uw__functype *t) {
    if (t) umbra_free(t->types);
}

void uw_engine_free(uw_engine *e) {
    if (!e) return;
    if (e->ticker_running) {
        atomic_store(&e->ticker_stop, 1);
        pthread_join(e->ticker, NULL);
    }
    for (uint32_t i = 0; i < e->nctypes; i++) {
        free_functype(e->ctypes[i]);
        umbra_free(e->ctypes[i]);
    }
    umbra_free(e->ctypes);
    umbra_free(e->ctype_hash);
    for (uint32_t i = 0; i < e->nhostdefs; i++) {
        umbra_free(e->hostdefs[i].module);
        umbra_free(e->hostdefs[i].field);
    }
    umbra_free(e->hostdefs);
    umbra_free(e->hostdef_hash);
    for (uint32_t i = 0; i < e->nhostfuncs; i++) {
        free_functype(&e->hostfuncs[i]->host_type);
        umbra_free(e->hostfuncs[i]);
    }
    umbra_free(e->hostfuncs);
    pthread_mutex_destroy(&e->lock);
    umbra_free(e);
}

void uw_engine_get_config(const uw_engine *e, uw_engine_config *out) { *out = e->cfg; }

uint64_t uw_engine_epoch(const uw_engine *e) {
    return atomic_load_explicit(&((uw_engine *)e)->epoch, memory_order_relaxed);
}

/* ---- Canonical function types ------------------------------------------------------------ */

static uint32_t hash_type(const uint8_t *params, uint32_t np, const uint8_t *results, uint32_t nr) {
    uint32_t h = 2166136261u ^ np;
    for (uint32_t i = 0; i < np; i++) h = (h ^ params[i]) * 16777619u;
    h = (h ^ 0xFFu ^ nr) * 16777619u;
    for (uint32_t i = 0; i < nr; i++) h = (h ^ results[i]) * 16777619u;
    return h;
}

static bool same_type(const uw__functype *t, const uint8_t *params, uint32_t np,
                      const uint8_t *results, uint32_t nr) {
    return t->nparams == np && t->nresults == nr && (!np || memcmp(t->types, params, np) == 0) &&
           (!nr || memcmp(t->types + np, results, nr) == 0);
}

/* Open addressing over ids+1 (0 = empty); capacity is a power of two, load <= 1/2. */
static void hash_insert(uint32_t *tab, uint32_t cap, uint32_t h, uint32_t id) {
    uint32_t i = h & (cap - 1);
    while (tab[i]) i = (i + 1) & (cap - 1);
    tab[i] = id + 1;
}

uint32_t uw__engine_intern_type(uw_engine *e, const uint8_t *params, uint32_t np,
                                const uint8_t *results, uint32_t nr) {
    uint32_t h = hash_type(params, np, results, nr), id = UINT32_MAX;
    pthread_mutex_lock(&e->lock);
    if (e->ctype_cap) {
        for (uint32_t i = h & (e->ctype_cap - 1); e->ctype_hash[i]; i = (i + 1) & (e->ctype_cap - 1)) {
            uw__functype *t = e->ctypes[e->ctype_hash[i] - 1];
            if (same_type(t, params, np, results, nr)) {
                id = t->id;
                goto done;
            }
        }
    }
    if (e->nctypes == UINT32_MAX - 1) goto done;
    if ((uint64_t)(e->nctypes + 1) * 2 > e->ctype_cap) {
        uint32_t ncap = e->ctype_cap ? e->ctype_cap * 2 : 64;
        uint32_t *nt = umbra_calloc(ncap, sizeof *nt);
        if (!nt) goto done;
        for (uint32_t i = 0; i < e->nctypes; i++) {
            const uw__functype *t = e->ctypes[i];
            hash_insert(nt, ncap, hash_type(t->types, t->nparams, t->types + t->nparams, t->nresults), i);
        }
        umbra_free(e->ctype_hash);
        e->ctype_hash = nt;
        e->ctype_cap = ncap;
    }
    if (e->nctypes == e->cap_ctypes) {
        uint32_t ncap = e->cap_ctypes ? e->cap_ctypes * 2 : 32;
        uw__functype **na = umbra_realloc(e->ctypes, (size_t)ncap * sizeof *na);
        if (!na) goto done;
        e->ctypes = na;
        e->cap_ctypes = ncap;
    }
    uw__functype *t = umbra_calloc(1, sizeof *t);
    if (!t) goto done;
    t->types = umbra_malloc((size_t)np + nr + 1);
    if (!t->types) {
        umbra_free(t);
        goto done;
    }
    if (np) memcpy(t->types, params, np);
    if (nr) memcpy(t->types + np, results, nr);
    t->nparams = np;
    t->nresults = nr;
    t->id = e->nctypes;
    e->ctypes[e->nctypes++] = t;
    hash_insert(e->ctype_hash, e->ctype_cap, h, t->id);
    id = t->id;
done:
    pthread_mutex_unlock(&e->lock);
    return id;
}

const uw__functype *uw__engine_type(uw_engine *e, uint32_t id) {
    pthread_mutex_lock(&e->lock);
    const uw__functype *t = id < e->nctypes ? e->ctypes[id] : NULL;
    pthread_mutex_unlock(&e->lock);
    return t;
}

/* ---- Host functions ---------------------------------------------------------------------- */

static bool valid_valtype(uint8_t t) {
    return t == UW_I32 || t == UW_I64 || t == UW_F32 || t == UW_F64 || t == UW_FUNCREF ||
           t == UW_EXTERNREF;
}

int uw_func_new_host(uw_engine *e, const uw_functype *type, uw_host_fn fn, void *ud, uw_func **out) {
    *out = NULL;
    if (!e || !type || !fn || (type->nparams && !type->params) || (type->nresults && !type->results) ||
        type->nparams > UW__MAX_PARAMS || type->nresults > UW__MAX_RESULTS)
        return UMBRA_EINVAL;
    for (uint32_t i = 0; i < type->nparams; i++)
        if (!valid_valtype(type->params[i])) return UMBRA_EINVAL;
    for (uint32_t i = 0; i < type->nresults; i++)
        if (!valid_valtype(type->results[i])) return UMBRA_EINVAL;
    uw_func *f = umbra_calloc(1, sizeof *f);
    if (!f) return UMBRA_ENOMEM;
    f->host_type.types = umbra_malloc((size_t)type->nparams + type->nresults + 1);
    if (!f->host_type.types) goto nomem;
    if (type->nparams) memcpy(f->host_type.types, type->params, type->nparams);
    if (type->nresults) memcpy(f->host_type.types + type->nparams, type->results, type->nresults);
    f->host_type.nparams = type->nparams;
    f->host_type.nresults = type->nresults;
    f->type_id = uw__engine_intern_type(e, type->params, type->nparams, type->results, type->nresults);
    if (f->type_id == UINT32_MAX) goto nomem;
    f->host_type.id = f->type_id;
    f->type = &f->host_type;
    f->host = fn;
    f->host_ud = ud;
    pthread_mutex_lock(&e->lock);
    if (e->nhostfuncs == e->cap_hostfuncs) {
        uint32_t ncap = e->cap_hostfuncs ? e->cap_hostfuncs * 2 : 16;
        uw_func **na = umbra_realloc(e->hostfuncs, (size_t)ncap * sizeof *na);
        if (!na) {
            pthread_mutex_unlock(&e->lock);
            goto nomem;
        }
        e->hostfuncs = na;
        e->cap_hostfuncs = ncap;
    }
    e->hostfuncs[e->nhostfuncs++] = f;
    pthread_mutex_unlock(&e->lock);
    *out = f;
    return 0;
nomem:
    umbra_free(f->host_type.types);
    umbra_free(f);
    return UMBRA_ENOMEM;
}

/* ---- Epoch ticker ------------------------------------------------------------------------ */

/* Sleeps to absolute tick boundaries and publishes the number of whole ticks elapsed since
 * start, so the epoch tracks wall time without drifting by the sleep latency, and a late
 * wake-up (loaded machine) catches up at once instead of stretching every deadline. */
static void *ticker_main(void *arg) {
    uw_engine *e = arg;
    const uint64_t tick_ns = (uint64_t)e->cfg.epoch_tick_us * 1000u;
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    const uint64_t t0 = (uint64_t)start.tv_sec * 1000000000u + (uint64_t)start.tv_nsec;
    uint64_t next = t0 + tick_ns;
    while (!atomic_load(&e->ticker_stop)) {
        struct timespec ts = {.tv_sec = (time_t)(next / 1000000000u), .tv_nsec = (long)(next % 1000000000u)};
        /* An interrupted or failed sleep is harmless: the epoch comes from the clock. */
        (void)clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        uint64_t t = (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
        uint64_t ticks = (t - t0) / tick_ns;
        if (ticks > atomic_load_explicit(&e->epoch, memory_order_relaxed))
            atomic_store_explicit(&e->epoch, ticks, memory_order_relaxed);
        next = t0 + (ticks + 1) * tick_ns;
    }
    return NULL;
}

int uw__engine_ensure_ticker(uw_engine *e) {
    int rc = 0;
    pthread_mutex_lock(&e->lock);
    if (!e->ticker_running) {
        if (pthread_create(&e->ticker, NULL, ticker_main, e) != 0)
            rc = UMBRA_EAGAIN;
        else
            e->ticker_running = true;
    }
    pthread_mutex_unlock(&e->lock);
    return rc;
}
