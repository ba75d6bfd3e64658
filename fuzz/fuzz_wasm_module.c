/* fuzz_wasm_module.c — libFuzzer target over umbra's whole Wasm pipeline: decode (§5),
 * validate (§3), compile, instantiate (§4.5.4) and run. Every function import is satisfied
 * by a host stub of the right type (it returns zeros), so modules get past linking; then
 * every exported function is called with zero arguments under a small fuel budget, tight
 * memory/table caps and a shallow call-depth limit, so no input can make a run slow or big.
 * Then the instance is reset and everything runs again: the replay must match exactly.
 * Any crash, sanitizer report, hang, unbounded allocation or replay difference is a bug in
 * the engine.
 * Seeds: fuzz/corpus/fuzz_wasm_module/ (small valid modules).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "umbra/wasm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUEL_PER_CALL 20000
#define MAX_CALLS 64

/* Host stub: results are preset with their types; give them zero values. */
static int stub(uw_call *call, const uw_val *args, uw_val *results, void *ud) {
    (void)call, (void)args;
    const uw_functype *ft = ud;
    for (uint32_t i = 0; i < ft->nresults; i++) memset(&results[i].of, 0, sizeof results[i].of);
    return 0;
}

/* FNV-1a over a run's observable outcome. */
static void mix(uint64_t *h, const void *p, size_t n) {
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) *h = (*h ^ b[i]) * 0x100000001b3ull;
}

/* Calls up to MAX_CALLS exported functions with zero arguments and FUEL_PER_CALL fuel each;
 * folds every return code, trap kind, result and remaining fuel into *digest. Returns -1
 * if the instance exited (WASI-style) and cannot be used further. */
static int run_exports(uw_module *m, uw_instance *inst, uint64_t *digest, int *timed_out) {
    uint32_t nexp = uw_module_export_count(m), calls = 0;
    *digest = 0xcbf29ce484222325ull;
    for (uint32_t i = 0; i < nexp && calls < MAX_CALLS; i++) {
        uw_export_info ei;
        uw_extern ext;
        uw_functype ft;
        uw_trap trap;
        uw_val args[32], res[32];
        if (uw_module_export(m, i, &ei) || ei.kind != UW_EXTERN_FUNC) continue;
        if (uw_instance_export(inst, ei.name, ei.name_len, &ext)) continue;
        uw_func_type(ext.of.func, &ft);
        if (ft.nparams > 32 || ft.nresults > 32) continue;
        memset(args, 0, sizeof args);
        memset(res, 0, sizeof res);
        memset(&trap, 0, sizeof trap);
        for (uint32_t k = 0; k < ft.nparams; k++) args[k].type = ft.params[k];
        uw_instance_set_fuel(inst, FUEL_PER_CALL);
        calls++;
        int rc = uw_func_call(ext.of.func, args, ft.nparams, res, ft.nresults, &trap);
        if (rc == UMBRA_EWASM_EXIT) return -1;
        if (rc == UMBRA_EWASM_TRAP && trap.kind == UW_TRAP_DEADLINE) *timed_out = 1;
        uint64_t left = uw_instance_fuel(inst);
        mix(digest, &rc, sizeof rc);
        mix(digest, &trap.kind, sizeof trap.kind);
        mix(digest, &left, sizeof left);
        for (uint32_t k = 0; rc == 0 && k < ft.nresults; k++) {
            /* References are host pointers (function objects stay the same across a
             * reset), numbers are compared bit for bit. */
            uint64_t bits = 0;
            switch (res[k].type) {
            case UW_I32: bits = res[k].of.u32; break;
            case UW_I64: bits = res[k].of.u64; break;
            case UW_F32: bits = res[k].of.f32_bits; break;
            case UW_F64: bits = res[k].of.f64_bits; break;
            case UW_FUNCREF: bits = (uintptr_t)res[k].of.funcref; break;
            case UW_EXTERNREF: bits = (uintptr_t)res[k].of.externref; break;
            default: break;
            }
            mix(digest, &bits, sizeof bits);
        }
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uw_engine_config ecfg = {
        .max_memory_pages = 32, /* 2 MiB */
        .max_table_elems = 10000,
        .max_call_depth = 200,
        .max_stack_slots = 65536,
    };
    uw_engine *e = NULL;
    uw_module *m = NULL;
    uw_linker *l = NULL;
    uw_instance *inst = NULL;
    uw_functype types[64];
    uw_error err;
    uw_trap trap;

    if (uw_engine_new(&ecfg, &e)) return 0;
    if (uw_module_new(e, data, size, &m, &err)) goto done;
    if (uw_linker_new(e, &l)) goto done;

    /* Imports: functions get stubs (function imports come first in the function index
     * space, §2.5.1, so the k-th function import is function k). Memories, tables and
     * globals are left unresolved: instantiation then fails with a link error, which is a
     * path worth fuzzing too. */
    uint32_t nimp = uw_module_import_count(m), nfunc = 0;
    for (uint32_t i = 0; i < nimp; i++) {
        uw_import_info ii;
        if (uw_module_import(m, i, &ii) || ii.kind != UW_EXTERN_FUNC) continue;
        if (nfunc >= sizeof types / sizeof types[0]) goto done;
        if (uw_module_func_type(m, nfunc, &types[nfunc])) goto done;
        /* Names may contain NUL bytes (then the C-string view is shorter); a duplicate
         * (module, field) pair is simply defined once. */
        (void)uw_linker_define_func(l, ii.module, ii.name, &types[nfunc], stub, &types[nfunc]);
        nfunc++;
    }

    uw_instance_config cfg = {.fuel = FUEL_PER_CALL, .timeout_ns = 2ull * 1000 * 1000 * 1000};
    if (uw_instance_new(m, l, &cfg, &inst, &trap)) goto done;

    /* Run every export, reset, run them all again: a reset instance must replay exactly
     * (same results, same traps, same fuel left). A difference is an engine bug: abort so
     * libFuzzer records the input. A wall-clock deadline is the only legitimate source of
     * nondeterminism, so a run that hit one is not compared. */
    uint64_t first = 0, second = 0;
    int timed_out = 0;
    if (run_exports(m, inst, &first, &timed_out) == 0 && uw_instance_reset(inst, &trap) == 0 &&
        run_exports(m, inst, &second, &timed_out) == 0 && !timed_out && first != second)
        abort();
done:
    uw_instance_free(inst);
    uw_linker_free(l);
    uw_module_free(m);
    uw_engine_free(e);
    return 0;
}
