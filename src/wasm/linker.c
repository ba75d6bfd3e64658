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
    uw_extern ext;
    uw_instance *inst;  /* whole-instance entry */
} lentry;

struct uw_linker {
    uw_engine *engine;
    lentry *v;
    uint32_t n, cap;
};

/* ---- Engine registry ---------------------------------------------------------------------- */

uw_func *uw__engine_find_host(const uw_engine *e, const char *module, size_t mlen, const char *field,
                              size_t flen) {
    for (uint32_t i = 0; i < e->nhostdefs; i++) {
        const uw__hostdef *d = &e->hostdefs[i];
        if (strlen(d->module) == mlen && strlen(d->field) == flen && memcmp(d->module, module, mlen) == 0 &&
            memcmp(d->field, field, flen) == 0)
            return d->func;
    }
    return NULL;
}

int uw_engine_define_func(uw_engine *e, const char *module, const char *field, const uw_functype *type,
                          uw_host_fn fn, void *ud) {
    if (!e || !module || !field || !type || !fn) return UMBRA_EINVAL;
    if (uw__engine_find_host(e, module, strlen(module), field, strlen(field))) return UMBRA_EEXIST;
    if (e->nhostdefs == e->cap_hostdefs) {
        uint32_t ncap = e->cap_hostdefs ? e->cap_hostdefs * 2 : 16;
        uw__hostdef *na = umbra_realloc(e->hostdefs, (size_t)ncap * sizeof *na);
        if (!na) return UMBRA_ENOMEM;
        e->hostdefs = na;
        e->cap_hostdefs = ncap;
    }
    uw__hostdef *d = &e->hostdefs[e->nhostdefs];
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
    umbra_free(l);
}

static int add_entry(uw_linker *l, const char *module, const char *field, uw_extern ext, uw_instance *inst) {
    if (l->n == l->cap) {
        uint32_t ncap = l->cap ? l->cap * 2 : 16;
        lentry *na = umbra_realloc(l->v, (size_t)ncap * sizeof *na);
        if (!na) return UMBRA_ENOMEM;
        l->v = na;
        l->cap = ncap;
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
    for (uint32_t i = 0; i < l->n; i++) {
        const lentry *en = &l->v[i];
        if (en->field && !strcmp(en->module, module) && !strcmp(en->field, field)) return UMBRA_EEXIST;
    }
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
    return add_entry(l, name, NULL, none, inst);
}

int uw_linker_get(const uw_linker *l, const char *module, size_t module_len, const char *field, size_t field_len,
                  uw_extern *out) {
    memset(out, 0, sizeof *out);
    /* Newest first, so a later definition or registration shadows an earlier one. */
    for (uint32_t i = l ? l->n : 0; i-- > 0;) {
        const lentry *en = &l->v[i];
        if (en->mlen != module_len || memcmp(en->module, module, module_len) != 0) continue;
        if (en->field) {
            if (en->flen == field_len && memcmp(en->field, field, field_len) == 0) {
                *out = en->ext;
                return 0;
            }
        } else if (uw_instance_export(en->inst, field, field_len, out) == 0) {
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
