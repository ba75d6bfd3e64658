/* bench_embed.c — embedding-API micro numbers for umbra's Wasm engine:
 *   compile      uw_module_new of a real WASI program (argv[1], e.g. bench_wasm/sha256.wasm)
 *   instantiate  uw_instance_new of that module with a fresh WASI ctx (per-request cost)
 *   reset        uw_instance_reset + uw_wasi_ctx_reset (the cheaper per-request path)
 *   host→wasm    uw_instance_call of a trivial export (i32) -> i32
 *   wasm→host    a guest loop calling an imported host function (per call)
 * Usage: bench_wasm_embed [MODULE.wasm]. Prints one line per number. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "umbra/base.h"
#include "umbra/wasi.h"
#include "umbra/wasm.h"

/* (module (type (func (param i32) (result i32))) (import "env" "h" (func (type 0)))
 *   (func (export "loop") (type 0) (local i32)   ;; calls h n times, threading a value
 *     block loop local.get 0 i32.eqz br_if 1 local.get 1 call 0 local.set 1
 *       local.get 0 i32.const 1 i32.sub local.set 0 br 0 end end local.get 1)
 *   (func (export "id") (type 0) local.get 0)) */
static const uint8_t calls_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,                         /* header */
    0x01, 0x06, 0x01, 0x60, 0x01, 0x7f, 0x01, 0x7f,                         /* types */
    0x02, 0x09, 0x01, 0x03, 'e', 'n', 'v', 0x01, 'h', 0x00, 0x00,           /* imports */
    0x03, 0x03, 0x02, 0x00, 0x00,                                           /* funcs */
    0x07, 0x0d, 0x02, 0x04, 'l', 'o', 'o', 'p', 0x00, 0x01, 0x02, 'i', 'd', 0x00, 0x02, /* exports */
    0x0a, 0x27, 0x02,                                                       /* code */
    0x20, 0x01, 0x01, 0x7f, 0x02, 0x40, 0x03, 0x40, 0x20, 0x00, 0x45, 0x0d, 0x01, 0x20, 0x01,
    0x10, 0x00, 0x21, 0x01, 0x20, 0x00, 0x41, 0x01, 0x6b, 0x21, 0x00, 0x0c, 0x00, 0x0b, 0x0b,
    0x20, 0x01, 0x0b,
    0x04, 0x00, 0x20, 0x00, 0x0b,
};

static int host_inc(uw_call *call, const uw_val *args, uw_val *results, void *ud) {
    (void)call;
    (void)ud;
    results[0].of.i32 = args[0].of.i32 + 1;
    return 0;
}

/* Each number is the best mean over BATCHES batches, so that a busy machine (other jobs
 * preempting us) disturbs it as little as possible. */
#define BATCHES 5

static int bench_instantiate(uw_module *m, unsigned n, double *best_us) {
    *best_us = 1e30;
    for (int b = 0; b < BATCHES; b++) {
        uint64_t t0 = umbra_now_ns();
        for (unsigned i = 0; i < n; i++) {
            uw_wasi_ctx *ctx = NULL;
            uw_instance *in = NULL;
            uw_trap trap;
            if (uw_wasi_ctx_new(&ctx)) return -1;
            uw_instance_config ic = {.host_data = ctx};
            int rc = uw_instance_new(m, NULL, &ic, &in, &trap);
            uw_instance_free(in);
            uw_wasi_ctx_free(ctx);
            if (rc) {
                fprintf(stderr, "bench_wasm_embed: instantiate: %s\n", trap.message);
                return -1;
            }
        }
        double us = (double)(umbra_now_ns() - t0) / n / 1e3;
        if (us < *best_us) *best_us = us;
    }
    return 0;
}

static int bench_reset(uw_module *m, unsigned n, double *best_us) {
    uw_wasi_ctx *ctx = NULL;
    uw_instance *in = NULL;
    uw_trap trap;
    int rc = -1;
    *best_us = 1e30;
    if (uw_wasi_ctx_new(&ctx)) return -1;
    uw_instance_config ic = {.host_data = ctx};
    if (uw_instance_new(m, NULL, &ic, &in, &trap) == 0) {
        rc = 0;
        for (int b = 0; b < BATCHES && !rc; b++) {
            uint64_t t0 = umbra_now_ns();
            for (unsigned i = 0; i < n && !rc; i++) {
                if (uw_instance_reset(in, &trap)) rc = -1;
                uw_wasi_ctx_reset(ctx);
            }
            double us = (double)(umbra_now_ns() - t0) / n / 1e3;
            if (us < *best_us) *best_us = us;
        }
    }
    uw_instance_free(in);
    uw_wasi_ctx_free(ctx);
    return rc;
}

/* mode 0: uw_instance_call("id") by name; 1: uw_func_call on the resolved export;
 * 2: one call of "loop" making n imported host calls. Returns ns per call or -1. */
static double bench_calls(uw_instance *ci, int mode, unsigned n) {
    double best = 1e30;
    uw_extern ex;
    uw_trap trap;
    if (uw_instance_export(ci, "id", 2, &ex)) return -1;
    for (int b = 0; b < BATCHES; b++) {
        uw_val a = uw_val_i32(0), res = {.type = UW_I32};
        uint64_t t0 = umbra_now_ns();
        if (mode == 2) {
            a.of.i32 = (int32_t)n;
            if (uw_instance_call(ci, "loop", &a, 1, &res, 1, &trap) || res.of.i32 != (int32_t)n) return -1;
        } else {
            for (unsigned i = 0; i < n; i++) {
                a.of.i32 = (int32_t)i;
                int rc = mode == 0 ? uw_instance_call(ci, "id", &a, 1, &res, 1, &trap)
                                   : uw_func_call(ex.of.func, &a, 1, &res, 1, &trap);
                if (rc || res.of.i32 != (int32_t)i) return -1;
            }
        }
        double ns = (double)(umbra_now_ns() - t0) / n;
        if (ns < best) best = ns;
    }
    return best;
}

int main(int argc, char **argv) {
    const char *path = argc > 1 ? argv[1] : "bench_wasm/sha256.wasm";
    uw_engine *e = NULL;
    if (uw_engine_new(NULL, &e) || uw_wasi_define(e, NULL)) {
        fprintf(stderr, "bench_wasm_embed: engine setup failed\n");
        return 1;
    }
    int status = 0;
    uint8_t *bytes = NULL;
    size_t n = 0;
    uw_module *m = NULL;
    uw_error err;
    memset(&err, 0, sizeof err);
    if (umbra_file_read(path, 64u << 20, &bytes, &n) == 0) {
        double best = 1e30;
        for (int b = 0; b < BATCHES; b++) {
            uw_module_free(m);
            m = NULL;
            uint64_t t0 = umbra_now_ns();
            if (uw_module_new(e, bytes, n, &m, &err)) {
                fprintf(stderr, "bench_wasm_embed: %s: %s\n", path, err.message);
                status = 1;
                break;
            }
            double us = (double)(umbra_now_ns() - t0) / 1e3;
            if (us < best) best = us;
        }
        if (m) {
            double us;
            printf("compile      %9.1f us  (decode+validate+compile %s, %zu bytes)\n", best, path, n);
            if (bench_instantiate(m, 200, &us) == 0)
                printf("instantiate  %9.2f us  (new WASI ctx + instance + free)\n", us);
            else
                status = 1;
            if (bench_reset(m, 200, &us) == 0)
                printf("reset        %9.2f us  (uw_instance_reset + uw_wasi_ctx_reset)\n", us);
            else
                status = 1;
        }
    } else {
        fprintf(stderr, "bench_wasm_embed: cannot read %s (compile/instantiate/reset skipped)\n", path);
    }
    uw_module_free(m);
    umbra_free(bytes);

    /* Call round trips. */
    uw_module *cm = NULL;
    uw_linker *l = NULL;
    uw_instance *ci = NULL;
    uw_trap trap;
    uint8_t p[1] = {UW_I32}, r[1] = {UW_I32};
    uw_functype ft = {p, 1, r, 1};
    if (uw_module_new(e, calls_wasm, sizeof calls_wasm, &cm, &err) || uw_linker_new(e, &l) ||
        uw_linker_define_func(l, "env", "h", &ft, host_inc, NULL) || uw_instance_new(cm, l, NULL, &ci, &trap)) {
        fprintf(stderr, "bench_wasm_embed: call module: %s\n", err.message);
        status = 1;
    } else {
        static const char *what[] = {"host->wasm   %9.1f ns  per uw_instance_call (export looked up by name)\n",
                                     "host->wasm   %9.1f ns  per uw_func_call (resolved export)\n",
                                     "wasm->host   %9.1f ns  per call of an imported host function\n"};
        for (int mode = 0; mode < 3; mode++) {
            double ns = bench_calls(ci, mode, mode == 2 ? 2000000u : 200000u);
            if (ns < 0) {
                fprintf(stderr, "bench_wasm_embed: call bench %d failed\n", mode);
                status = 1;
            } else {
                printf(what[mode], ns);
            }
        }
    }
    uw_instance_free(ci);
    uw_linker_free(l);
    uw_module_free(cm);
    uw_engine_free(e);
    return status;
}
