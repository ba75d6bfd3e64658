/*
 * instance.c — instantiation (Wasm 2.0 §4.5.4), reset, the call API, host call context
 * (uw_call_*), and the public memory / table / global objects.
 */
#include "runtime_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---- traps ------------------------------------------------------------------------------ */
int uw__trap_kind(int code) {
    if (code == UW__TRAP_UNDEF_ELEM) return UW_TRAP_TABLE_OOB;
    if (code < 0 || code >= UW_TRAP__COUNT) return UW_TRAP_HOST;
    return code;
}

const char *uw__trap_text(int code) {
    if (code == UW__TRAP_UNDEF_ELEM) return "undefined element";
    return uw_trap_kind_text(uw__trap_kind(code));
}

static void trap_clear(uw_trap *t) {
    if (!t) return;
    memset(t, 0, sizeof *t);
    t->func_index = UINT32_MAX;
    t->code_offset = UINT32_MAX;
}

/* Fills *t for trap `code` and returns the API error code. */
static int trap_fill(uw_trap *t, int code, const uw__exec *ex) {
    int kind = uw__trap_kind(code);
    if (t) {
        trap_clear(t);
        t->kind = kind;
        if (ex && kind == UW_TRAP_EXIT) t->exit_code = ex->exit_code;
        if (ex && ex->msg[0] && (kind == UW_TRAP_HOST || kind == UW_TRAP_EXIT))
            snprintf(t->message, sizeof t->message, "%s: %.160s", uw__trap_text(code), ex->msg);
        else if (ex && ex->trap_index >= 0 &&
                 (code == UW_TRAP_UNINIT_ELEM || code == UW__TRAP_UNDEF_ELEM))
            snprintf(t->message, sizeof t->message, "%s %lld", uw__trap_text(code),
                     (long long)ex->trap_index);
        else
            snprintf(t->message, sizeof t->message, "%s", uw__trap_text(code));
    }
    if (kind == UW_TRAP_EXIT) return UMBRA_EWASM_EXIT;
    if (kind == UW_TRAP_NOMEM) return UMBRA_ENOMEM;
    return UMBRA_EWASM_TRAP;
}

static int limit_fail(uw_trap *t, const char *what) {
    if (t) {
        trap_clear(t);
        t->kind = UW_TRAP_LIMIT;
        snprintf(t->message, sizeof t->message, "%s: %s", uw_trap_kind_text(UW_TRAP_LIMIT), what);
    }
    return UMBRA_EWASM_LIMIT;
}

static uint32_t lower(uint32_t engine_cap, uint32_t want) {
    return want && want < engine_cap ? want : engine_cap;
}

/* §3.3.10 constant expressions (Wasm 2.0: one instruction). */
static uint64_t eval_const(const uw_instance *in, const uw__constexpr *ce) {
    switch (ce->op) {
    case UW__CE_I32:
        return (uint32_t)ce->bits;
    case UW__CE_F32:
        return (uint32_t)ce->bits;
    case UW__CE_I64:
    case UW__CE_F64:
        return ce->bits;
    case UW__CE_GLOBAL_GET:
        return ce->index < in->nglobals ? in->globals[ce->index]->v : 0;
    case UW__CE_REF_FUNC:
        return ce->index < in->nfuncs ? (uint64_t)(uintptr_t)in->funcs[ce->index] : 0;
    default:
        return 0; /* ref.null */
    }
}

/* ---- instantiation ------------------------------------------------------------------------ */
static void eval_globals(uw_instance *in) {
    const uw_module *m = in->module;
    for (uint32_t i = m->nglobal_imports; i < m->nglobals; i++)
        in->globals[i]->v = eval_const(in, &m->globals[i].init);
}

/* Active element then data segments (§4.5.4 steps 12-13, as table.init/memory.init +
 * drop), declarative segments dropped. Returns 0 or a trap code. */
static int apply_segments(uw_instance *in) {
    const uw_module *m = in->module;
    for (uint32_t i = 0; i < m->nelems; i++) {
        const uw__elem *e = &m->elems[i];
        in->elem_len[i] = e->ninit;
        if (e->mode == UW__SEG_ACTIVE) {
            uint64_t off = (uint32_t)eval_const(in, &e->offset);
            int r = uw__op_table_init(in, e->table, i, off, 0, e->ninit);
            if (r) return r;
        }
        if (e->mode != UW__SEG_PASSIVE) in->elem_len[i] = 0;
    }
    for (uint32_t i = 0; i < m->ndatas; i++) {
        const uw__data *d = &m->datas[i];
        in->data_len[i] = d->len;
        if (d->mode == UW__SEG_ACTIVE) {
            uint64_t off = (uint32_t)eval_const(in, &d->offset);
            int r = uw__op_memory_init(in, i, off, 0, d->len);
            if (r) return r;
            in->data_len[i] = 0;
        }
    }
    return 0;
}

static int run_start(uw_instance *in) {
    const uw_module *m = in->module;
    if (!m->has_start) return 0;
    return uw__invoke(in, in->funcs[m->start], NULL, NULL);
}

void uw__instance_destroy(uw_instance *in);
void uw__instance_destroy(uw_instance *in) {
    if (!in) return;
    const uw_module *m = in->module;
    if (in->own_mem) {
        uw__mem_destroy(in->own_mem);
        umbra_free(in->own_mem);
    }
    if (in->own_tables)
        for (uint32_t i = 0; i < m->ntables - m->ntable_imports; i++)
            uw__tab_destroy(&in->own_tables[i]);
    if (in->elem)
        for (uint32_t i = 0; i < in->nelem; i++) umbra_free(in->elem[i]);
    uw__exec_free(in->exec);
    umbra_free(in->elem);
    umbra_free(in->elem_len);
    umbra_free(in->data_len);
    umbra_free(in->own_tables);
    umbra_free(in->tables);
    umbra_free(in->own_globals);
    umbra_free(in->globals);
    umbra_free(in->own_funcs);
    umbra_free(in->funcs);
    umbra_free((void *)in->type_ids);
    umbra_free(in->imports);
    umbra_free(in);
}

void uw_instance_free(uw_instance *in) { uw__instance_destroy(in); }

/* A failed instantiation that may have written its functions into imported tables stays
 * alive until its module is freed (the spec keeps such functions callable). */
static void make_zombie(uw_instance *in) {
    uw__modrt *rt = in->module->compiled;
    uw__exec_free(in->exec);
    in->exec = NULL;
    pthread_mutex_lock(&rt->lock);
    in->next_zombie = rt->zombies;
    rt->zombies = in;
    pthread_mutex_unlock(&rt->lock);
}

int uw_instance_new(uw_module *m, const uw_linker *l, const uw_instance_config *cfg,
                    uw_instance **out, uw_trap *trap) {
    *out = NULL;
    trap_clear(trap);
    if (!m) return UMBRA_EINVAL;
    const uw_engine_config *ec = &m->engine->cfg;
    uw_instance *in = umbra_calloc(1, sizeof *in);
    if (!in) return UMBRA_ENOMEM;
    int rc = UMBRA_ENOMEM;
    in->module = m;
    in->engine = m->engine;
    in->max_pages = lower(ec->max_memory_pages, cfg ? cfg->max_memory_pages : 0);
    in->max_table = lower(ec->max_table_elems, cfg ? cfg->max_table_elems : 0);
    in->max_depth = lower(ec->max_call_depth, cfg ? cfg->max_call_depth : 0);
    in->max_slots = lower(ec->max_stack_slots, cfg ? cfg->max_stack_slots : 0);
    in->fuel_initial = cfg ? cfg->fuel : 0;
    in->fuel_enabled = in->fuel_initial != 0;
    in->fuel = in->fuel_enabled ? (in->fuel_initial > INT64_MAX ? INT64_MAX : (int64_t)in->fuel_initial) : 0;
    in->timeout_ns = cfg ? cfg->timeout_ns : 0;
    in->host_data = cfg ? cfg->host_data : NULL;

    uint32_t ndef_f = m->nfuncs - m->nfunc_imports;
    uint32_t ndef_t = m->ntables - m->ntable_imports;
    uint32_t ndef_g = m->nglobals - m->nglobal_imports;
    in->nfuncs = m->nfuncs;
    in->ntables = m->ntables;
    in->nglobals = m->nglobals;
    in->nelem = m->nelems;
    in->ndata = m->ndatas;
    in->imports = umbra_calloc(m->nimports ? m->nimports : 1, sizeof *in->imports);
    in->funcs = umbra_calloc(m->nfuncs ? m->nfuncs : 1, sizeof *in->funcs);
    in->own_funcs = umbra_calloc(ndef_f ? ndef_f : 1, sizeof *in->own_funcs);
    uint32_t *tids = umbra_calloc(m->ntypes ? m->ntypes : 1, sizeof *tids);
    in->type_ids = tids;
    in->tables = umbra_calloc(m->ntables ? m->ntables : 1, sizeof *in->tables);
    in->own_tables = umbra_calloc(ndef_t ? ndef_t : 1, sizeof *in->own_tables);
    in->globals = umbra_calloc(m->nglobals ? m->nglobals : 1, sizeof *in->globals);
    in->own_globals = umbra_calloc(ndef_g ? ndef_g : 1, sizeof *in->own_globals);
    in->elem = umbra_calloc(m->nelems ? m->nelems : 1, sizeof *in->elem);
    in->elem_len = umbra_calloc(m->nelems ? m->nelems : 1, sizeof *in->elem_len);
    in->data_len = umbra_calloc(m->ndatas ? m->ndatas : 1, sizeof *in->data_len);
    if (!in->imports || !in->funcs || !in->own_funcs || !tids || !in->tables || !in->own_tables ||
        !in->globals || !in->own_globals || !in->elem || !in->elem_len || !in->data_len)
        goto fail;
    for (uint32_t i = 0; i < m->ntypes; i++) tids[i] = m->types[i].id;

    /* imports (§4.5.4 steps 3-4) */
    if (m->nimports) {
        rc = uw__resolve_imports(l, m, in->imports, trap);
        if (rc) goto fail;
    }
    for (uint32_t i = 0; i < m->nimports; i++) {
        const uw__import *im = &m->imports[i];
        const uw_extern *x = &in->imports[i];
        switch (im->kind) {
        case UW_EXTERN_FUNC: in->funcs[im->index] = x->of.func; break;
        case UW_EXTERN_TABLE: in->tables[im->index] = x->of.table; break;
        case UW_EXTERN_MEMORY:
            if (im->index == 0) in->mem = x->of.memory;
            break;
        case UW_EXTERN_GLOBAL: in->globals[im->index] = x->of.global; break;
        default: break;
        }
    }
    /* functions */
    for (uint32_t i = 0; i < ndef_f; i++) {
        uint32_t idx = m->nfunc_imports + i;
        uw_func *f = &in->own_funcs[i];
        const uw__func *df = &m->funcs[idx];
        f->type = &m->types[df->type_index];
        f->type_id = f->type->id;
        f->inst = in;
        f->index = idx;
        f->rt = df->compiled;
        in->funcs[idx] = f;
    }
    /* globals (imported globals are visible to the initializers) */
    for (uint32_t i = 0; i < ndef_g; i++) {
        uint32_t idx = m->nglobal_imports + i;
        in->own_globals[i].type = m->globals[idx].type.type;
        in->own_globals[i].mut = m->globals[idx].type.mut;
        in->globals[idx] = &in->own_globals[i];
    }
    eval_globals(in);
    /* memory 0 */
    if (m->nmems > m->nmem_imports) {
        const uw__limits *lim = &m->mems[m->nmem_imports].lim;
        uint32_t dmax = lim->has_max ? lim->max : UW__MAX_PAGES;
        uint32_t emax = dmax < in->max_pages ? dmax : in->max_pages;
        if (lim->min > emax) {
            rc = limit_fail(trap, "memory minimum exceeds the memory cap");
            goto fail;
        }
        in->own_mem = umbra_calloc(1, sizeof *in->own_mem);
        if (!in->own_mem) goto fail;
        rc = uw__mem_init(in->own_mem, lim->min, emax, lim->has_max ? lim->max : UINT32_MAX);
        if (rc) {
            umbra_free(in->own_mem);
            in->own_mem = NULL;
            goto fail;
        }
        in->mem = in->own_mem;
    }
    /* tables */
    for (uint32_t i = 0; i < ndef_t; i++) {
        const uw__tabletype *tt = &m->tables[m->ntable_imports + i];
        uint32_t dmax = tt->lim.has_max ? tt->lim.max : UINT32_MAX;
        uint32_t emax = dmax < in->max_table ? dmax : in->max_table;
        if (tt->lim.min > emax) {
            rc = limit_fail(trap, "table minimum exceeds the table cap");
            goto fail;
        }
        rc = uw__tab_init(&in->own_tables[i], tt->reftype, tt->lim.min, emax, dmax);
        if (rc) goto fail;
        in->tables[m->ntable_imports + i] = &in->own_tables[i];
    }
    /* element segments: resolve references once (they only depend on imports) */
    for (uint32_t i = 0; i < m->nelems; i++) {
        const uw__elem *e = &m->elems[i];
        in->elem[i] = umbra_malloc((e->ninit ? e->ninit : 1) * sizeof(uint64_t));
        if (!in->elem[i]) goto fail;
        for (uint32_t k = 0; k < e->ninit; k++) in->elem[i][k] = eval_const(in, &e->init[k]);
    }
    int t = apply_segments(in);
    if (!t) t = run_start(in);
    if (t) {
        rc = trap_fill(trap, t, in->exec);
        if (m->ntable_imports) {
            make_zombie(in);
            return rc;
        }
        goto fail;
    }
    *out = in;
    return 0;
fail:
    uw_instance_free(in);
    return rc ? rc : UMBRA_ENOMEM;
}

int uw_instance_reset(uw_instance *in, uw_trap *trap) {
    trap_clear(trap);
    const uw_module *m = in->module;
    eval_globals(in);
    if (in->own_mem) {
        const uw__limits *lim = &m->mems[m->nmem_imports].lim;
        if (uw__mem_reset(in->own_mem, lim->min, in->own_mem->size)) return UMBRA_ENOMEM;
    }
    for (uint32_t i = 0; i < m->ntables - m->ntable_imports; i++) {
        uw_table *t = &in->own_tables[i];
        uint32_t min = m->tables[m->ntable_imports + i].lim.min;
        memset(t->elems, 0, (size_t)(t->size > min ? t->size : min) * sizeof *t->elems);
        t->size = min;
    }
    in->fuel = in->fuel_enabled ? (in->fuel_initial > INT64_MAX ? INT64_MAX : (int64_t)in->fuel_initial) : 0;
    int t = apply_segments(in);
    if (!t) t = run_start(in);
    if (t) return trap_fill(trap, t, in->exec);
    return 0;
}

uw_module *uw_instance_module(const uw_instance *in) { return in->module; }
void *uw_instance_host_data(const uw_instance *in) { return in->host_data; }
uw_memory *uw_instance_memory(const uw_instance *in) { return in->mem; }

int uw_instance_export(const uw_instance *in, const char *name, size_t name_len, uw_extern *out) {
    const uw_module *m = in->module;
    memset(out, 0, sizeof *out);
    for (uint32_t i = 0; i < m->nexports; i++) {
        const uw__export *x = &m->exports[i];
        if (x->name_len != name_len || memcmp(x->name, name, name_len) != 0) continue;
        out->kind = x->kind;
        switch (x->kind) {
        case UW_EXTERN_FUNC: out->of.func = in->funcs[x->index]; break;
        case UW_EXTERN_TABLE: out->of.table = in->tables[x->index]; break;
        case UW_EXTERN_MEMORY: out->of.memory = in->mem; break;
        case UW_EXTERN_GLOBAL: out->of.global = in->globals[x->index]; break;
        default: return UMBRA_EWASM_NOTFOUND;
        }
        return 0;
    }
    return UMBRA_EWASM_NOTFOUND;
}

/* ---- calls ---------------------------------------------------------------------------------- */
#define MAX_INLINE_VALS 16

static int call_func(uw_instance *ctx, uw_func *f, const uw_val *args, size_t nargs,
                     uw_val *results, size_t nresults, uw_trap *trap) {
    trap_clear(trap);
    const uw__functype *t = f->type;
    if (nargs != t->nparams || nresults != t->nresults) return UMBRA_EWASM_TYPE;
    for (size_t i = 0; i < nargs; i++)
        if (args[i].type != t->types[i]) return UMBRA_EWASM_TYPE;
    uint64_t sa[MAX_INLINE_VALS], sr[MAX_INLINE_VALS];
    uint64_t *a = sa, *r = sr;
    if (nargs > MAX_INLINE_VALS) a = umbra_malloc(nargs * sizeof *a);
    if (nresults > MAX_INLINE_VALS) r = umbra_malloc(nresults * sizeof *r);
    int rc = 0;
    if (!a || !r) {
        rc = UMBRA_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < nargs; i++) a[i] = uw__val_to_slot(&args[i]);
    int tr;
    if (!ctx) {
        /* a host function called directly with no instance around */
        uw_val sv[MAX_INLINE_VALS];
        uw_val *res = nresults > MAX_INLINE_VALS ? umbra_calloc(nresults, sizeof *res) : sv;
        if (!res) {
            rc = UMBRA_ENOMEM;
            goto out;
        }
        for (size_t i = 0; i < nresults; i++) uw__slot_to_val(0, t->types[t->nparams + i], &res[i]);
        uw_call call = {0};
        int hr = f->host(&call, args, res, f->host_ud);
        if (hr == 0)
            for (size_t i = 0; i < nresults; i++) {
                res[i].type = t->types[t->nparams + i];
                results[i] = res[i];
            }
        if (res != sv) umbra_free(res);
        if (hr) rc = trap_fill(trap, call.trap ? call.trap : hr == UMBRA_EWASM_EXIT ? UW_TRAP_EXIT : UW_TRAP_HOST, NULL);
        goto out;
    }
    tr = uw__invoke(ctx, f, a, r);
    if (tr) {
        uw__exec *cur = uw__current_exec();
        rc = trap_fill(trap, tr, cur ? cur : ctx->exec);
        goto out;
    }
    for (size_t i = 0; i < nresults; i++) uw__slot_to_val(r[i], t->types[t->nparams + i], &results[i]);
out:
    if (a != sa) umbra_free(a);
    if (r != sr) umbra_free(r);
    return rc;
}

int uw_instance_call(uw_instance *in, const char *name, const uw_val *args, size_t nargs,
                     uw_val *results, size_t nresults, uw_trap *trap) {
    uw_extern x;
    trap_clear(trap);
    int rc = uw_instance_export(in, name, strlen(name), &x);
    if (rc) return rc;
    if (x.kind != UW_EXTERN_FUNC) return UMBRA_EWASM_NOTFOUND;
    return call_func(in, x.of.func, args, nargs, results, nresults, trap);
}

int uw_func_call(uw_func *f, const uw_val *args, size_t nargs, uw_val *results, size_t nresults,
                 uw_trap *trap) {
    if (!f) return UMBRA_EINVAL;
    uw_instance *ctx = f->inst;
    if (!ctx) {
        uw__exec *cur = uw__current_exec();
        (void)cur;
    }
    return call_func(ctx, f, args, nargs, results, nresults, trap);
}

void uw_func_type(const uw_func *f, uw_functype *out) {
    out->params = f->type->types;
    out->nparams = f->type->nparams;
    out->results = f->type->types + f->type->nparams;
    out->nresults = f->type->nresults;
}

int uw_instance_get_global(const uw_instance *in, const char *name, uw_val *out) {
    uw_extern x;
    int rc = uw_instance_export(in, name, strlen(name), &x);
    if (rc) return rc;
    if (x.kind != UW_EXTERN_GLOBAL) return UMBRA_EWASM_NOTFOUND;
    uw_global_get(x.of.global, out);
    return 0;
}

uint64_t uw_instance_fuel(const uw_instance *in) {
    if (!in->fuel_enabled) return UINT64_MAX;
    uw__exec *cur = uw__current_exec();
    if (cur && cur == in->exec) return cur->fuel < 0 ? 0 : (uint64_t)cur->fuel;
    return in->fuel < 0 ? 0 : (uint64_t)in->fuel;
}

void uw_instance_set_fuel(uw_instance *in, uint64_t fuel) {
    in->fuel_enabled = fuel != 0;
    in->fuel_initial = fuel;
    in->fuel = fuel > INT64_MAX ? INT64_MAX : (int64_t)fuel;
    /* called from a host function while this instance runs: the live counter is the
     * execution context's */
    uw__exec *cur = uw__current_exec();
    if (cur && cur == in->exec) cur->fuel = in->fuel_enabled ? in->fuel : INT64_MAX;
}

void uw_instance_set_timeout(uw_instance *in, uint64_t timeout_ns) { in->timeout_ns = timeout_ns; }

/* ---- host call context ------------------------------------------------------------------- */
uw_instance *uw_call_instance(uw_call *call) { return call->inst; }
uw_memory *uw_call_memory(uw_call *call) { return call->inst ? call->inst->mem : NULL; }
void *uw_call_host_data(uw_call *call) { return call->inst ? call->inst->host_data : NULL; }

int uw_call_trap(uw_call *call, const char *fmt, ...) {
    call->trap = UW_TRAP_HOST;
    if (call->ex) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(call->ex->msg, sizeof call->ex->msg, fmt, ap);
        va_end(ap);
    }
    return UMBRA_EWASM_TRAP;
}

int uw_call_exit(uw_call *call, int code) {
    call->trap = UW_TRAP_EXIT;
    if (call->ex) call->ex->exit_code = code;
    return UMBRA_EWASM_EXIT;
}

int uw_call_consume_fuel(uw_call *call, uint64_t amount) {
    if (!call->ex || !call->inst || !call->inst->fuel_enabled) return 0;
    if (amount > (uint64_t)(call->ex->fuel < 0 ? 0 : call->ex->fuel)) {
        call->ex->fuel = 0;
        call->trap = UW_TRAP_OUT_OF_FUEL;
        return UMBRA_EWASM_TRAP;
    }
    call->ex->fuel -= (int64_t)amount;
    return 0;
}

/* ---- host-created memories, tables, globals ---------------------------------------------- */
int uw_memory_new(uw_engine *e, uint32_t min_pages, uint32_t max_pages, uw_memory **out) {
    *out = NULL;
    if (!e || min_pages > max_pages) return UMBRA_EINVAL;
    uint32_t cap = e->cfg.max_memory_pages;
    uint32_t emax = max_pages < cap ? max_pages : cap;
    if (min_pages > emax) return UMBRA_EWASM_LIMIT;
    uw_memory *m = umbra_calloc(1, sizeof *m);
    if (!m) return UMBRA_ENOMEM;
    int rc = uw__mem_init(m, min_pages, emax, max_pages);
    if (rc) {
        umbra_free(m);
        return rc;
    }
    *out = m;
    return 0;
}

void uw_memory_free(uw_memory *m) {
    if (!m) return;
    uw__mem_destroy(m);
    umbra_free(m);
}

uint8_t *uw_memory_data(uw_memory *m, size_t *size) {
    if (size) *size = (size_t)m->size;
    return m->base;
}

uint32_t uw_memory_pages(const uw_memory *m) { return m->pages; }

int uw_memory_grow(uw_memory *m, uint32_t delta, uint32_t *old_pages) {
    int64_t r = uw__mem_grow(m, delta);
    if (r < 0) return UMBRA_EWASM_LIMIT;
    if (old_pages) *old_pages = (uint32_t)r;
    return 0;
}

void uw__memory_type(const uw_memory *m, uw__memtype *out) {
    out->lim.min = m->pages;
    out->lim.has_max = m->decl_max != UINT32_MAX;
    out->lim.max = out->lim.has_max ? m->decl_max : 0;
}

int uw_table_new(uw_engine *e, uint8_t reftype, uint32_t min, uint32_t max, uw_val init,
                 uw_table **out) {
    *out = NULL;
    if (!e || min > max || (reftype != UW_FUNCREF && reftype != UW_EXTERNREF) ||
        init.type != reftype)
        return UMBRA_EINVAL;
    uint32_t cap = e->cfg.max_table_elems;
    uint32_t emax = max < cap ? max : cap;
    if (min > emax) return UMBRA_EWASM_LIMIT;
    uw_table *t = umbra_calloc(1, sizeof *t);
    if (!t) return UMBRA_ENOMEM;
    int rc = uw__tab_init(t, reftype, min, emax, max);
    if (rc) {
        umbra_free(t);
        return rc;
    }
    uint64_t v = uw__val_to_slot(&init);
    for (uint32_t i = 0; i < min; i++) t->elems[i] = v;
    *out = t;
    return 0;
}

void uw_table_free(uw_table *t) {
    if (!t) return;
    uw__tab_destroy(t);
    umbra_free(t);
}

uint32_t uw_table_size(const uw_table *t) { return t->size; }

int uw_table_get(const uw_table *t, uint32_t i, uw_val *out) {
    if (i >= t->size) return UMBRA_ERANGE;
    uw__slot_to_val(t->elems[i], t->reftype, out);
    return 0;
}

int uw_table_set(uw_table *t, uint32_t i, uw_val v) {
    if (i >= t->size) return UMBRA_ERANGE;
    if (v.type != t->reftype) return UMBRA_EWASM_TYPE;
    t->elems[i] = uw__val_to_slot(&v);
    return 0;
}

void uw__table_type(const uw_table *t, uw__tabletype *out) {
    out->reftype = t->reftype;
    out->lim.min = t->size;
    out->lim.has_max = t->decl_max != UINT32_MAX;
    out->lim.max = out->lim.has_max ? t->decl_max : 0;
}

int uw_global_new(uw_engine *e, uw_val init, bool mutable_, uw_global **out) {
    *out = NULL;
    if (!e) return UMBRA_EINVAL;
    uw_global *g = umbra_calloc(1, sizeof *g);
    if (!g) return UMBRA_ENOMEM;
    g->type = init.type;
    g->mut = mutable_;
    g->v = uw__val_to_slot(&init);
    *out = g;
    return 0;
}

void uw_global_free(uw_global *g) { umbra_free(g); }

void uw_global_get(const uw_global *g, uw_val *out) { uw__slot_to_val(g->v, g->type, out); }

int uw_global_set(uw_global *g, uw_val v) {
    if (v.type != g->type) return UMBRA_EWASM_TYPE;
    if (!g->mut) return UMBRA_EPERM;
    g->v = uw__val_to_slot(&v);
    return 0;
}

void uw__global_type(const uw_global *g, uw__globaltype *out) {
    out->type = g->type;
    out->mut = g->mut;
}
