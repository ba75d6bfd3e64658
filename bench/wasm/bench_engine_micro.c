/*
 * bench_engine_micro.c — engine-level numbers for docs/WASM.md:
 *
 *   bench_wasm_engine_micro kernels DIR [k1 k2 ...]
 *       For each bench kernel (DIR/NAME native binary + DIR/NAME.wasm, built by
 *       cmake/wasm_guests.cmake): native user CPU time (fork+exec, best of 3) vs umbra
 *       user CPU time of _start in-process (module compile and instantiation excluded, best
 *       of 3) without fuel and with a fuel budget, then the geometric-mean slowdown and fuel
 *       overhead. CPU time rather than wall time: the machine is shared.
 *   bench_wasm_engine_micro instance
 *       Instantiate / reset / call round trip of a one-page module with a data segment,
 *       a global, a table and an exported function (mean of many iterations).
 *
 * Output is a plain table on stdout. Exit status 0 unless a kernel fails to run.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include "umbra/base.h"
#include "umbra/wasi.h"
#include "umbra/wasm.h"

static double now_s(void) { return (double)umbra_now_ns() / 1e9; }

/* User CPU time of this process: on a shared machine it is far less noisy than wall time. */
static double cpu_s(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
}

static double time_native(const char *path) {
    double best = 1e30;
    for (int r = 0; r < 3; r++) {
        pid_t pid = fork();
        if (pid == 0) {
            int fd = open("/dev/null", O_WRONLY);
            if (fd >= 0) dup2(fd, 1);
            execl(path, path, (char *)NULL);
            _exit(127);
        }
        int st = 0;
        struct rusage ru;
        wait4(pid, &st, 0, &ru);
        double dt = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) return -1;
        if (dt < best) best = dt;
    }
    return best;
}

/* Runs _start of the module once per repetition on a fresh instance; returns best time of
 * the run itself (instantiate excluded). */
static double time_umbra(uw_engine *e, uw_module *m, uint64_t fuel) {
    double best = 1e30;
    for (int r = 0; r < 3; r++) {
        uw_wasi_ctx *ctx = NULL;
        if (uw_wasi_ctx_new(&ctx)) return -1;
        int devnull = open("/dev/null", O_WRONLY);
        uw_wasi_ctx_set_stdio(ctx, 0, devnull, 2);
        uw_instance_config cfg = {.fuel = fuel, .host_data = ctx};
        uw_instance *in = NULL;
        uw_trap trap;
        int rc = uw_instance_new(m, NULL, &cfg, &in, &trap);
        if (rc) {
            fprintf(stderr, "instantiate: %s %s\n", umbra_strerror(rc), trap.message);
            uw_wasi_ctx_free(ctx);
            close(devnull);
            return -1;
        }
        int code = -1;
        double t0 = cpu_s();
        rc = uw_wasi_run(in, ctx, &code, &trap);
        double dt = cpu_s() - t0;
        uw_instance_free(in);
        uw_wasi_ctx_free(ctx);
        close(devnull);
        (void)e;
        if (rc || code != 0) {
            fprintf(stderr, "run: %s (%s) exit %d\n", umbra_strerror(rc), trap.message, code);
            return -1;
        }
        if (dt < best) best = dt;
    }
    return best;
}

static int bench_kernels(const char *dir, int n, char **names) {
    static const char *def[] = {"fib", "sieve", "nbody", "matmul", "sha256", "lz", "waf", "json"};
    if (n == 0) {
        names = (char **)def;
        n = (int)(sizeof def / sizeof def[0]);
    }
    uw_engine *e;
    if (uw_engine_new(NULL, &e)) return 1;
    if (uw_wasi_define(e, NULL)) return 1;
    double lsum = 0, lfuel = 0;
    int cnt = 0, fail = 0;
    printf("%-8s %10s %10s %10s %9s %9s\n", "kernel", "native s", "umbra s", "fuel s", "slowdown",
           "fuel ovh");
    for (int i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        double tn = time_native(path);
        snprintf(path, sizeof path, "%s/%s.wasm", dir, names[i]);
        uint8_t *bytes;
        size_t len;
        if (umbra_file_read(path, 64u << 20, &bytes, &len)) {
            fprintf(stderr, "cannot read %s\n", path);
            fail = 1;
            continue;
        }
        uw_module *m = NULL;
        uw_error err;
        int rc = uw_module_new(e, bytes, len, &m, &err);
        umbra_free(bytes);
        if (rc) {
            fprintf(stderr, "%s: %s\n", path, err.message);
            fail = 1;
            continue;
        }
        double tu = time_umbra(e, m, 0);
        double tf = time_umbra(e, m, UINT64_MAX / 4);
        uw_module_free(m);
        if (tn <= 0 || tu <= 0 || tf <= 0) {
            printf("%-8s failed\n", names[i]);
            fail = 1;
            continue;
        }
        printf("%-8s %10.4f %10.4f %10.4f %8.2fx %8.1f%%\n", names[i], tn, tu, tf, tu / tn,
               (tf / tu - 1) * 100);
        lsum += log(tu / tn);
        lfuel += log(tf / tu);
        cnt++;
    }
    if (cnt)
        printf("geomean slowdown vs native: %.2fx   geomean fuel overhead: %.1f%%  (%d kernels)\n",
               exp(lsum / cnt), (exp(lfuel / cnt) - 1) * 100, cnt);
    uw_engine_free(e);
    return fail;
}

/* (module (memory 1 1) (data (i32.const 16) "hello, world")
 *   (global $g (mut i32) (i32.const 7)) (table 4 funcref) (elem (i32.const 0) $f)
 *   (func $f (export "f") (param i32) (result i32)
 *     (global.set $g (i32.add (global.get $g) (local.get 0)))
 *     (i32.store (i32.const 100) (global.get $g)) (global.get $g))) */
static const uint8_t k_module[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60, 0x01, 0x7f, 0x01,
    0x7f, 0x03, 0x02, 0x01, 0x00, 0x04, 0x04, 0x01, 0x70, 0x00, 0x04, 0x05, 0x04, 0x01, 0x01,
    0x01, 0x01, 0x06, 0x06, 0x01, 0x7f, 0x01, 0x41, 0x07, 0x0b, 0x07, 0x05, 0x01, 0x01, 0x66,
    0x00, 0x00, 0x09, 0x07, 0x01, 0x00, 0x41, 0x00, 0x0b, 0x01, 0x00, 0x0a, 0x15, 0x01, 0x13,
    0x00, 0x23, 0x00, 0x20, 0x00, 0x6a, 0x24, 0x00, 0x41, 0xe4, 0x00, 0x23, 0x00, 0x36, 0x02,
    0x00, 0x23, 0x00, 0x0b, 0x0b, 0x12, 0x01, 0x00, 0x41, 0x10, 0x0b, 0x0c, 0x68, 0x65, 0x6c,
    0x6c, 0x6f, 0x2c, 0x20, 0x77, 0x6f, 0x72, 0x6c, 0x64,
};

static int bench_instance(void) {
    uw_engine *e;
    if (uw_engine_new(NULL, &e)) return 1;
    uw_module *m;
    uw_error err;
    if (uw_module_new(e, k_module, sizeof k_module, &m, &err)) {
        fprintf(stderr, "module: %s\n", err.message);
        return 1;
    }
    const int N = 20000;
    uw_instance *in;
    uw_trap trap;
    /* warm up */
    for (int i = 0; i < 100; i++) {
        if (uw_instance_new(m, NULL, NULL, &in, &trap)) return 1;
        uw_instance_free(in);
    }
    double t0 = now_s();
    for (int i = 0; i < N; i++) {
        if (uw_instance_new(m, NULL, NULL, &in, &trap)) return 1;
        uw_instance_free(in);
    }
    double t_new = (now_s() - t0) / N;
    uw_val a0 = uw_val_i32(1), r0;
    double t3 = now_s();
    for (int i = 0; i < N; i++) {
        if (uw_instance_new(m, NULL, NULL, &in, &trap)) return 1;
        if (uw_instance_call(in, "f", &a0, 1, &r0, 1, &trap)) return 1;
        uw_instance_free(in);
    }
    double t_req = (now_s() - t3) / N;
    if (uw_instance_new(m, NULL, NULL, &in, &trap)) return 1;
    uw_val a = uw_val_i32(5), r;
    double t1 = now_s();
    for (int i = 0; i < N; i++)
        if (uw_instance_call(in, "f", &a, 1, &r, 1, &trap)) return 1;
    double t_call = (now_s() - t1) / N;
    double t2 = now_s();
    for (int i = 0; i < N; i++) {
        if (uw_instance_call(in, "f", &a, 1, &r, 1, &trap)) return 1;
        if (uw_instance_reset(in, &trap)) return 1;
    }
    double t_reset = (now_s() - t2) / N - t_call;
    uw_instance_call(in, "f", &a, 1, &r, 1, &trap);
    int ok = r.of.i32 == 12;
    uw_instance_free(in);
    uw_module_free(m);
    uw_engine_free(e);
    printf("one-page module: instantiate+free %.2f us, reset %.2f us, call %.3f us, "
           "instantiate+call+free %.2f us%s\n",
           t_new * 1e6, t_reset * 1e6, t_call * 1e6, t_req * 1e6, ok ? "" : "  (WRONG RESULT)");
    return ok ? 0 : 1;
}

int main(int argc, char **argv) {
    if (argc >= 3 && !strcmp(argv[1], "kernels")) return bench_kernels(argv[2], argc - 3, argv + 3);
    if (argc >= 2 && !strcmp(argv[1], "instance")) return bench_instance();
    fprintf(stderr, "usage: %s kernels DIR [names...] | instance\n", argv[0]);
    return 2;
}
