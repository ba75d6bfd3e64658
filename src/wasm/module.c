/* module.c — uw_module lifecycle (decode → validate → compile, once) and introspection.
 * A module is immutable after uw_module_new, so instances on many threads share it. */
#include <string.h>

#include "wasm_internal.h"

int uw_module_new(uw_engine *e, const uint8_t *bytes, size_t len, uw_module **out, uw_error *err) {
    uw_error scratch;
    if (!err) err = &scratch;
    memset(err, 0, sizeof *err);
    *out = NULL;
    if (!e || (!bytes && len)) return uw__error(err, UMBRA_EINVAL, 0, "invalid argument");
    uint8_t *copy = umbra_malloc(len ? len : 1);
    if (!copy) return uw__error(err, UMBRA_ENOMEM, 0, "out of memory");
    if (len) memcpy(copy, bytes, len);
    uw_module *m = NULL;
    int rc = uw__decode(e, copy, len, &m, err); /* owns copy from here on */
    if (rc) return rc;
    if ((rc = uw__validate(m, err)) || (rc = uw__compile(m, err))) {
        uw_module_free(m);
        return rc;
    }
    *out = m;
    return 0;
}

void uw_module_free(uw_module *m) {
    if (!m) return;
    uw__compile_free(m);
    uw__module_destroy(m);
}

uint32_t uw_module_import_count(const uw_module *m) { return m->nimports; }

int uw_module_import(const uw_module *m, uint32_t i, uw_import_info *out) {
    memset(out, 0, sizeof *out);
    if (i >= m->nimports) return UMBRA_ERANGE;
    const uw__import *im = &m->imports[i];
    out->module = im->module;
    out->module_len = im->module_len;
    out->name = im->name;
    out->name_len = im->name_len;
    out->kind = im->kind;
    return 0;
}

uint32_t uw_module_export_count(const uw_module *m) { return m->nexports; }

int uw_module_export(const uw_module *m, uint32_t i, uw_export_info *out) {
    memset(out, 0, sizeof *out);
    if (i >= m->nexports) return UMBRA_ERANGE;
    const uw__export *ex = &m->exports[i];
    out->name = ex->name;
    out->name_len = ex->name_len;
    out->kind = ex->kind;
    out->index = ex->index;
    return 0;
}

int uw_module_func_type(const uw_module *m, uint32_t index, uw_functype *out) {
    memset(out, 0, sizeof *out);
    if (index >= m->nfuncs) return UMBRA_ERANGE;
    const uw__functype *t = &m->types[m->funcs[index].type_index];
    out->params = uw__ft_params(t);
    out->nparams = t->nparams;
    out->results = uw__ft_results(t);
    out->nresults = t->nresults;
    return 0;
}

int uw_module_func_name(const uw_module *m, uint32_t index, const char **name, size_t *len) {
    *name = NULL;
    *len = 0;
    uint32_t lo = 0, hi = m->nfunc_names;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        const struct uw__funcname *f = &m->func_names[mid];
        if (f->index == index) {
            *name = (const char *)m->bytes + f->start;
            *len = f->len;
            return 0;
        }
        if (f->index < index)
            lo = mid + 1;
        else
            hi = mid;
    }
    return UMBRA_ENOENT;
}
