/* linker.c — import resolution (Wasm 2.0 §4.5.4 instantiation step 4 and the import
 * matching rules of §4.5.2 "External Typing"/"Import Matching"), the linker (name →
 * extern map, whole-instance registration as the spec runner's `register` needs) and the
 * engine-level host function registry. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "wasm_internal.h"

typedef struct lentry {
    char *module;
    size_t mlen;
    char *field;        /* NULL for a whole-instance entry */
    size_t flen;
    uint32_t hash;      /* uw__name_hash(module, field) for field entries */
    uw_extern ext;
    uw_instance *inst;  /* whole-instance entry */
} lentry;

/* Entries in definition order. Field entries are found through `index` (hash of
 * module+field → entry index + 1); whole-instance entries, usually few, are listed in
 * `insts` (entry indices, oldest first) and searched newest first, so that the newest
 * definition of a name wins. */
struct uw_linker {
    uw_engine *engine;
    lentry *v;
    uint32_t n, cap;
    uint32_t *index;
    uint32_t icap;
    uint32_t *insts;
    uint32_t ninsts;
};

/* ---- Engine registry ---------------------------------------------------------------------- */

uint32_t uw__name_hash(const char *module, size_t mlen, const char *field, size_t flen) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < mlen; i++) h = (h ^ (uint8_t)module[i]) * 16777619u;
    h = (h ^ 0xFFu) * 16777619u; /* 0xFF never occurs in UTF-8, so the split is unambiguous */
    for (size_t i = 0; i < flen; i++) h = (h ^ (uint8_t)field[i]) * 16777619u;
    return h;
}

static bool names_equal(const char *a, size_t alen, const char *b, size_t blen) {
    return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

/* The registry index: open addressing over hostdef indices + 1 (0 = empty), capacity a
 * power of two kept at least twice the entry count. */
uw_func *uw__engine_find_host(const uw_engine *e, const char *module, size_t mlen, const char *field,
                              size_t flen) {
    if (!e->hostdef_hcap) return NULL;
    uint32_t h = uw__name_hash(module, mlen, field, flen), mask = e->hostdef_hcap - 1;
    for (uint32_t i = h & mask; e->hostdef_hash[i]; i = (i + 1) & mask) {
        const uw__hostdef *d = &e->hostdefs[e->hostdef_hash[i] - 1];
        if (d->hash == h && names_equal(d->module, d->mlen, module, mlen) && names_equal(d->field, d->flen, field, flen))
            return d->func;
    }
    return NULL;
}

static int hostdef_index(uw_engine *e) {
    if ((uint64_t)(e->nhostdefs + 1) * 2 <= e->hostdef_hcap) return 0;
    uint32_t ncap = e->hostdef_hcap ? e->hostdef_hcap * 2 : 64;
    uint32_t *nt = umbra_calloc(ncap, sizeof *nt);
    if (!nt) return UMBRA_ENOMEM;
    for (uint32_t k = 0; k < e->nhostdefs; k++) {
        uint32_t i = e->hostdefs[k].hash & (ncap - 1);
        while (nt[i]) i = (i + 1) & (ncap - 1);
        nt[i] = k + 1;
    }
    umbra_free(e->hostdef_hash);
    e->hostdef_hash = nt;
    e->hostdef_hcap = ncap;
    return 0;
}

int uw_engine_define_func(uw_engine *e, const char *module, const char *field, const uw_functype *type,
                          uw_host_fn fn, void *ud) {
    if (!e || !module || !field || !type || !fn) return UMBRA_EINVAL;
    size_t mlen = strlen(module), flen = strlen(field);
    if (mlen > UINT32_MAX || flen > UINT32_MAX) return UMBRA_EINVAL;
    if (uw__engine_find_host(e, module, mlen, field, flen)) return UMBRA_EEXIST;
    if (hostdef_index(e)) return UMBRA_ENOMEM;
    if (e->nhostdefs == e->cap_hostdefs) {
        uint32_t ncap = e->cap_hostdefs ? e->cap_hostdefs * 2 : 16;
        uw__hostdef *na = umbra_realloc(e->hostdefs, (size_t)ncap * sizeof *na);
        if (!na) return UMBRA_ENOMEM;
        e->hostdefs = na;
        e->cap_hostdefs = ncap;
    }
    uw__hostdef *d = &e->hostdefs[e->nhostdefs];
    memset(d, 0, sizeof *d);
    d->module = umbra_strdup(module);
    d->field = umbra_strdup(field);
    int rc = d->module && d->field ? 0 : UMBRA_ENOMEM;
    /* The function object belongs to the engine (uw_func_new_host hands it over). */
    if (!rc) rc = uw_func_new_host(e, type, fn, ud, &d->func);
    if (rc) {
        umbra_free(d->module);
        umbra_free(d->field);
        return rc;
    }
    d->mlen = (uint32_t)mlen;
    d->flen = (uint32_t)flen;
    d->hash = uw__name_hash(module, mlen, field, flen);
    uint32_t mask = e->hostdef_hcap - 1, i = d->hash & mask;
    while (e->hostdef_hash[i]) i = (i + 1) & mask;
    e->hostdef_hash[i] = e->nhostdefs + 1;
    e->nhostdefs++;
    return 0;
}

/* ---- Linker ------------------------------------------------------------------------------- */

int uw_linker_new(uw_engine *e, uw_linker **out) {
    *out = NULL;
    if (!e) return UMBRA_EINVAL;
    uw_linker *l = umbra_calloc(1, sizeof *l);
    if (!l) return UMBRA_ENOMEM;
    l->engine = e;
    *out = l;
    return 0;
}

void uw_linker_free(uw_linker *l) {
    if (!l) return;
    for (uint32_t i = 0; i < l->n; i++) {
        umbra_free(l->v[i].module);
        umbra_free(l->v[i].field);
    }
    umbra_free(l->v);
    umbra_free(l->index);
    umbra_free(l->insts);
    umbra_free(l);
}

/* The field entry for (module, field), or -1. */
static int64_t find_field(const uw_linker *l, const char *module, size_t mlen, const char *field, size_t flen,
                          uint32_t h) {
    if (!l->icap) return -1;
    uint32_t mask = l->icap - 1;
    for (uint32_t i = h & mask; l->index[i]; i = (i + 1) & mask) {
        const lentry *en = &l->v[l->index[i] - 1];
        if (en->hash == h && names_equal(en->module, en->mlen, module, mlen) && names_equal(en->field, en->flen, field, flen))
            return l->index[i] - 1;
    }
    return -1;
}

static int index_reserve(uw_linker *l) {
    if ((uint64_t)(l->n + 1) * 2 <= l->icap) return 0;
    uint32_t ncap = l->icap ? l->icap * 2 : 32;
    uint32_t *nt = umbra_calloc(ncap, sizeof *nt);
    if (!nt) return UMBRA_ENOMEM;
    for (uint32_t k = 0; k < l->n; k++) {
        if (!l->v[k].field) continue;
        uint32_t i = l->v[k].hash & (ncap - 1);
        while (nt[i]) i = (i + 1) & (ncap - 1);
        nt[i] = k + 1;
    }
    umbra_free(l->index);
    l->index = nt;
    l->icap = ncap;
    return 0;
}

static int add_entry(uw_linker *l, const char *module, const char *field, uw_extern ext, uw_instance *inst) {
    if (index_reserve(l)) return UMBRA_ENOMEM;
    if (l->n == l->cap) {
        uint32_t ncap = l->cap ? l->cap * 2 : 16;
        lentry *na = umbra_realloc(l->v, (size_t)ncap * sizeof *na);
        if (!na) return UMBRA_ENOMEM;
        l->v = na;
        l->cap = ncap;
    }
    if (!field) {
        uint32_t *ni = umbra_realloc(l->insts, ((size_t)l->ninsts + 1) * sizeof *ni);
        if (!ni) return UMBRA_ENOMEM;
        l->insts = ni;
    }
    lentry *en = &l->v[l->n];
    memset(en, 0, sizeof *en);
    en->module = umbra_strdup(module);
    en->field = field ? umbra_strdup(field) : NULL;
    if (!en->module || (field && !en->field)) {
        umbra_free(en->module);
        umbra_free(en->field);
        return UMBRA_ENOMEM;
    }
    en->mlen = strlen(module);
    en->flen = field ? strlen(field) : 0;
    en->ext = ext;
    en->inst = inst;
    if (field) {
        en->hash = uw__name_hash(module, en->mlen, field, en->flen);
        uint32_t mask = l->icap - 1, i = en->hash & mask;
        while (l->index[i]) i = (i + 1) & mask;
        l->index[i] = l->n + 1;
    } else {
        l->insts[l->ninsts++] = l->n;
    }
    l->n++;
    return 0;
}

static bool extern_ok(uw_extern ext) {
    switch (ext.kind) {
    case UW_EXTERN_FUNC: return ext.of.func != NULL;
    case UW_EXTERN_TABLE: return ext.of.table != NULL;
    case UW_EXTERN_MEMORY: return ext.of.memory != NULL;
    case UW_EXTERN_GLOBAL: return ext.of.global != NULL;
    default: return false;
    }
}

int uw_linker_define(uw_linker *l, const char *module, const char *field, uw_extern ext) {
    if (!l || !module || !field || !extern_ok(ext)) return UMBRA_EINVAL;
    size_t mlen = strlen(module), flen = strlen(field);
    if (find_field(l, module, mlen, field, flen, uw__name_hash(module, mlen, field, flen)) >= 0) return UMBRA_EEXIST;
    return add_entry(l, module, field, ext, NULL);
}

int uw_linker_define_func(uw_linker *l, const char *module, const char *field, const uw_functype *type,
                          uw_host_fn fn, void *ud) {
    if (!l) return UMBRA_EINVAL;
    uw_extern ext = {.kind = UW_EXTERN_FUNC};
    int rc = uw_func_new_host(l->engine, type, fn, ud, &ext.of.func);
    if (rc) return rc;
    return uw_linker_define(l, module, field, ext);
}

int uw_linker_define_instance(uw_linker *l, const char *name, uw_instance *inst) {
    if (!l || !name || !inst) return UMBRA_EINVAL;
    uw_extern none = {0};
    int rc = add_entry(l, name, NULL, none, inst);
    if (rc) return rc;
    /* Like the spec's `register`, the name now means this instance only: older
     * registrations under the same name stop resolving (field entries are kept). */
    size_t nlen = strlen(name);
    for (uint32_t k = 0; k + 1 < l->ninsts; k++) {
        lentry *en = &l->v[l->insts[k]];
        if (names_equal(en->module, en->mlen, name, nlen)) en->inst = NULL;
    }
    return 0;
}

int uw_linker_get(const uw_linker *l, const char *module, size_t module_len, const char *field, size_t field_len,
                  uw_extern *out) {
    memset(out, 0, sizeof *out);
    if (l) {
        int64_t fi = find_field(l, module, module_len, field, field_len,
                                uw__name_hash(module, module_len, field, field_len));
        /* Whole-instance entries newer than the field entry shadow it. */
        for (uint32_t k = l->ninsts; k-- > 0;) {
            const lentry *en = &l->v[l->insts[k]];
            if ((int64_t)l->insts[k] < fi) break;
            if (en->inst && names_equal(en->module, en->mlen, module, module_len) &&
                uw_instance_export(en->inst, field, field_len, out) == 0)
                return 0;
        }
        if (fi >= 0) {
            *out = l->v[fi].ext;
            return 0;
        }
    }
    const uw_engine *e = l ? l->engine : NULL;
    if (e) {
        uw_func *f = uw__engine_find_host(e, module, module_len, field, field_len);
        if (f) {
            out->kind = UW_EXTERN_FUNC;
            out->of.func = f;
            return 0;
        }
    }
    memset(out, 0, sizeof *out);
    return UMBRA_ENOENT;
}

/* ---- Import matching ---------------------------------------------------------------------- */

/* §4.5.2 limits matching: {n1, m1?} matches {n2, m2?} iff n1 >= n2 and, when m2 is
 * present, m1 is present and m1 <= m2. */
static bool limits_match(const uw__limits *have, const uw__limits *want) {
    if (have->min < want->min) return false;
    if (!want->has_max) return true;
    return have->has_max && have->max <= want->max;
}

static int link_error(uw_trap *trap, const uw__import *im, const char *what, const char *detail) {
    if (trap) {
        memset(trap, 0, sizeof *trap);
        trap->kind = UW_TRAP_LINK;
        trap->func_index = UINT32_MAX;
        trap->code_offset = UINT32_MAX;
        snprintf(trap->message, sizeof trap->message, "%s: \"%s\".\"%s\"%s%s", what, im->module, im->name,
                 detail ? ": " : "", detail ? detail : "");
    }
    return UMBRA_EWASM_LINK;
}

static int match_import(const uw_module *m, const uw__import *im, const uw_extern *ext, uw_trap *trap) {
    static const char *const kinds[] = {"function", "table", "memory", "global"};
    if (ext->kind != im->kind || !extern_ok(*ext)) {
        char d[64];
        snprintf(d, sizeof d, "expected a %s, got a %s", kinds[im->kind], ext->kind <= 3 ? kinds[ext->kind] : "?");
        return link_error(trap, im, "incompatible import type", d);
    }
    switch (im->kind) {
    case UW_EXTERN_FUNC: {
        const uw__functype *want = &m->types[im->desc.type_index];
        uw_functype have;
        uw_func_type(ext->of.func, &have);
        if (have.nparams != want->nparams || have.nresults != want->nresults ||
            (want->nparams && memcmp(have.params, uw__ft_params(want), want->nparams) != 0) ||
            (want->nresults && memcmp(have.results, uw__ft_results(want), want->nresults) != 0))
            return link_error(trap, im, "incompatible import type", "function signature differs");
        return 0;
    }
    case UW_EXTERN_TABLE: {
        uw__tabletype have;
        uw__table_type(ext->of.table, &have);
        if (have.reftype != im->desc.table.reftype)
            return link_error(trap, im, "incompatible import type", "table element type differs");
        if (!limits_match(&have.lim, &im->desc.table.lim))
            return link_error(trap, im, "incompatible import type", "table limits do not match");
        return 0;
    }
    case UW_EXTERN_MEMORY: {
        uw__memtype have;
        uw__memory_type(ext->of.memory, &have);
        if (!limits_match(&have.lim, &im->desc.mem.lim))
            return link_error(trap, im, "incompatible import type", "memory limits do not match");
        return 0;
    }
    case UW_EXTERN_GLOBAL: {
        uw__globaltype have;
        uw__global_type(ext->of.global, &have);
        if (have.type != im->desc.global.type || have.mut != im->desc.global.mut)
            return link_error(trap, im, "incompatible import type", "global type or mutability differs");
        return 0;
    }
    }
    return link_error(trap, im, "incompatible import type", NULL);
}

int uw__resolve_imports(const uw_linker *l, const uw_module *m, uw_extern *out, uw_trap *trap) {
    for (uint32_t i = 0; i < m->nimports; i++) {
        const uw__import *im = &m->imports[i];
        int rc;
        if (l) {
            rc = uw_linker_get(l, im->module, im->module_len, im->name, im->name_len, &out[i]);
        } else {
            uw_func *f = m->engine ? uw__engine_find_host(m->engine, im->module, im->module_len, im->name,
                                                          im->name_len)
                                   : NULL;
            out[i].kind = UW_EXTERN_FUNC;
            out[i].of.func = f;
            rc = f ? 0 : UMBRA_ENOENT;
        }
        if (rc) return link_error(trap, im, "unknown import", NULL);
        if ((rc = match_import(m, im, &out[i], trap))) return rc;
    }
    return 0;
}
