/* rt_util.h — small helpers for the runtime tests (test_interp, test_limits,
 * test_instance): load a module from bytes, instantiate, call with typed values. Static
 * functions, so each test executable carries its own copy. */
#ifndef UMBRA_TESTS_WASM_RT_UTIL_H
#define UMBRA_TESTS_WASM_RT_UTIL_H

#include <string.h>

#include "testutil.h"
#include "umbra/wasm.h"

typedef struct rt {
    uw_engine *e;
    uw_module *m;
    uw_instance *in;
    uw_trap trap;
} rt;

/* Creates engine (cfg may be NULL), module and instance; fails the test on error. */
__attribute__((unused)) static void rt_open(rt *r, const uw_engine_config *ecfg, const uint8_t *wasm, size_t len,
                    const uw_instance_config *icfg) {
    memset(r, 0, sizeof *r);
    assert_int_equal(uw_engine_new(ecfg, &r->e), 0);
    uw_error err;
    int rc = uw_module_new(r->e, wasm, len, &r->m, &err);
    if (rc) fail_msg("module: %s", err.message);
    rc = uw_instance_new(r->m, NULL, icfg, &r->in, &r->trap);
    if (rc) fail_msg("instantiate: %s (%s)", umbra_strerror(rc), r->trap.message);
}

__attribute__((unused)) static void rt_close(rt *r) {
    uw_instance_free(r->in);
    uw_module_free(r->m);
    uw_engine_free(r->e);
    memset(r, 0, sizeof *r);
}

/* Calls `name`; returns the API code. */
__attribute__((unused)) static int rt_call(rt *r, const char *name, const uw_val *args, size_t nargs, uw_val *res,
                   size_t nres) {
    return uw_instance_call(r->in, name, args, nargs, res, nres, &r->trap);
}

__attribute__((unused)) static int32_t rt_i32(rt *r, const char *name, const uw_val *args, size_t nargs) {
    uw_val res;
    int rc = rt_call(r, name, args, nargs, &res, 1);
    if (rc) fail_msg("%s: %s (%s)", name, umbra_strerror(rc), r->trap.message);
    assert_int_equal(res.type, UW_I32);
    return res.of.i32;
}

__attribute__((unused)) static int64_t rt_i64(rt *r, const char *name, const uw_val *args, size_t nargs) {
    uw_val res;
    int rc = rt_call(r, name, args, nargs, &res, 1);
    if (rc) fail_msg("%s: %s (%s)", name, umbra_strerror(rc), r->trap.message);
    assert_int_equal(res.type, UW_I64);
    return res.of.i64;
}

/* Expects a trap of `kind` from `name`. */
__attribute__((unused)) static void rt_expect_trap(rt *r, const char *name, const uw_val *args, size_t nargs,
                           size_t nres, int kind) {
    uw_val res[4];
    int rc = rt_call(r, name, args, nargs, res, nres);
    if (rc != UMBRA_EWASM_TRAP)
        fail_msg("%s: expected trap %s, got %s", name, uw_trap_kind_text(kind), umbra_strerror(rc));
    if (r->trap.kind != kind)
        fail_msg("%s: expected trap %s, got %s", name, uw_trap_kind_text(kind), r->trap.message);
}

#endif
