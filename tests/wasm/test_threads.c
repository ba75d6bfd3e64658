/* test_threads.c — many threads share one engine and one compiled module (umbra/wasm.h
 * says a uw_module may be instantiated concurrently from many threads; each instance is
 * used by one thread at a time). Every thread creates, calls, resets and frees its own
 * instances many times; a host function registered on the engine is called from all of
 * them at once. Results are checked against the same computation done in C.
 */
#include "testutil.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "umbra/wasm.h"

/* The guest, compiled from this text with wat2wasm 1.0.32:
 *
 * (module
 *   (import "env" "add" (func $add (param i32 i32) (result i32)))
 *   (memory 1)
 *   (global $calls (mut i32) (i32.const 0))
 *   (func $fib (export "fib") (param $n i32) (result i32)
 *     (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
 *       (then (local.get $n))
 *       (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1)))
 *                      (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
 *   ;; Fills 256 words of memory with an LCG started at seed, then sums them through the
 *   ;; host's "add".
 *   (func (export "mix") (param $seed i32) (result i32)
 *     (local $i i32) (local $x i32) (local $sum i32)
 *     (local.set $x (local.get $seed))
 *     (loop $fill
 *       (local.set $x (i32.add (i32.mul (local.get $x) (i32.const 1103515245)) (i32.const 12345)))
 *       (i32.store (i32.shl (local.get $i) (i32.const 2)) (local.get $x))
 *       (local.set $i (i32.add (local.get $i) (i32.const 1)))
 *       (br_if $fill (i32.lt_u (local.get $i) (i32.const 256))))
 *     (local.set $i (i32.const 0))
 *     (loop $sum
 *       (local.set $sum (call $add (local.get $sum) (i32.load (i32.shl (local.get $i) (i32.const 2)))))
 *       (local.set $i (i32.add (local.get $i) (i32.const 1)))
 *       (br_if $sum (i32.lt_u (local.get $i) (i32.const 256))))
 *     (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
 *     (local.get $sum))
 *   (func (export "calls") (result i32) (global.get $calls)))
 */
static const uint8_t guest_wasm[] = {
      0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x10, 0x03, 0x60,
      0x02, 0x7f, 0x7f, 0x01, 0x7f, 0x60, 0x01, 0x7f, 0x01, 0x7f, 0x60, 0x00,
      0x01, 0x7f, 0x02, 0x0b, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x03, 0x61, 0x64,
      0x64, 0x00, 0x00, 0x03, 0x04, 0x03, 0x01, 0x01, 0x02, 0x05, 0x03, 0x01,
      0x00, 0x01, 0x06, 0x06, 0x01, 0x7f, 0x01, 0x41, 0x00, 0x0b, 0x07, 0x15,
      0x03, 0x03, 0x66, 0x69, 0x62, 0x00, 0x01, 0x03, 0x6d, 0x69, 0x78, 0x00,
      0x02, 0x05, 0x63, 0x61, 0x6c, 0x6c, 0x73, 0x00, 0x03, 0x0a, 0x85, 0x01,
      0x03, 0x1c, 0x00, 0x20, 0x00, 0x41, 0x02, 0x49, 0x04, 0x7f, 0x20, 0x00,
      0x05, 0x20, 0x00, 0x41, 0x01, 0x6b, 0x10, 0x01, 0x20, 0x00, 0x41, 0x02,
      0x6b, 0x10, 0x01, 0x6a, 0x0b, 0x0b, 0x61, 0x01, 0x03, 0x7f, 0x20, 0x00,
      0x21, 0x02, 0x03, 0x40, 0x20, 0x02, 0x41, 0xed, 0x9c, 0x99, 0x8e, 0x04,
      0x6c, 0x41, 0xb9, 0xe0, 0x00, 0x6a, 0x21, 0x02, 0x20, 0x01, 0x41, 0x02,
      0x74, 0x20, 0x02, 0x36, 0x02, 0x00, 0x20, 0x01, 0x41, 0x01, 0x6a, 0x21,
      0x01, 0x20, 0x01, 0x41, 0x80, 0x02, 0x49, 0x0d, 0x00, 0x0b, 0x41, 0x00,
      0x21, 0x01, 0x03, 0x40, 0x20, 0x03, 0x20, 0x01, 0x41, 0x02, 0x74, 0x28,
      0x02, 0x00, 0x10, 0x00, 0x21, 0x03, 0x20, 0x01, 0x41, 0x01, 0x6a, 0x21,
      0x01, 0x20, 0x01, 0x41, 0x80, 0x02, 0x49, 0x0d, 0x00, 0x0b, 0x23, 0x00,
      0x41, 0x01, 0x6a, 0x24, 0x00, 0x20, 0x03, 0x0b, 0x04, 0x00, 0x23, 0x00,
      0x0b
};

#define NTHREADS 8
#define ROUNDS 400

static atomic_ulong host_adds;

static int host_add(uw_call *call, const uw_val *args, uw_val *results, void *ud) {
    /* The registered user data comes back (no cmocka asserts off the main thread). */
    if (ud != &host_adds) return uw_call_trap(call, "wrong user data %p", ud);
    atomic_fetch_add_explicit(&host_adds, 1, memory_order_relaxed);
    results[0].of.u32 = args[0].of.u32 + args[1].of.u32;
    return 0;
}

static uint32_t c_mix(uint32_t seed) {
    uint32_t x = seed, sum = 0;
    for (int i = 0; i < 256; i++) {
        x = x * 1103515245u + 12345u;
        sum += x;
    }
    return sum;
}

typedef struct worker {
    uw_module *module;
    int id;
    int errors;
    char first_error[400];
} worker;

static void werr(worker *w, const char *what, int rc, const uw_trap *t) {
    if (!w->errors++)
        snprintf(w->first_error, sizeof w->first_error, "thread %d: %s: %s (%s)", w->id, what,
                 umbra_errname(rc), t ? t->message : "");
}

static int call1(worker *w, uw_instance *inst, const char *name, int32_t arg, int has_arg, uint32_t *out) {
    uw_val a = uw_val_i32(arg), r;
    uw_trap t;
    memset(&t, 0, sizeof t);
    int rc = uw_instance_call(inst, name, &a, has_arg ? 1 : 0, &r, 1, &t);
    if (rc) {
        werr(w, name, rc, &t);
        return -1;
    }
    *out = r.of.u32;
    return 0;
}

static void *worker_main(void *arg) {
    worker *w = arg;
    for (int round = 0; round < ROUNDS; round++) {
        uw_instance *inst = NULL;
        uw_trap t;
        /* A deadline makes every thread use the engine's shared epoch ticker too. */
        uw_instance_config cfg = {.timeout_ns = 30ull * 1000 * 1000 * 1000, .fuel = 10000000};
        int rc = uw_instance_new(w->module, NULL, &cfg, &inst, &t);
        if (rc) {
            werr(w, "uw_instance_new", rc, &t);
            return NULL;
        }
        uint32_t v = 0, seed = (uint32_t)(w->id * 100000 + round);
        if (!call1(w, inst, "fib", 12 + round % 5, 1, &v)) {
            static const uint32_t fib[] = {144, 233, 377, 610, 987};
            if (v != fib[round % 5]) werr(w, "fib: wrong result", 0, NULL);
        }
        if (!call1(w, inst, "mix", (int32_t)seed, 1, &v) && v != c_mix(seed)) werr(w, "mix: wrong result", 0, NULL);
        if (!call1(w, inst, "calls", 0, 0, &v) && v != 1) werr(w, "calls != 1", 0, NULL);
        if (round % 10 == 0) {
            /* Reset: globals back to their initial values, and still computing. */
            rc = uw_instance_reset(inst, &t);
            if (rc) werr(w, "uw_instance_reset", rc, &t);
            else {
                if (!call1(w, inst, "calls", 0, 0, &v) && v != 0) werr(w, "calls != 0 after reset", 0, NULL);
                if (!call1(w, inst, "mix", (int32_t)~seed, 1, &v) && v != c_mix(~seed))
                    werr(w, "mix after reset: wrong result", 0, NULL);
            }
        }
        uw_instance_free(inst);
    }
    return NULL;
}

static void test_threads_share_module(void **state) {
    (void)state;
    uw_engine *e = NULL;
    uw_module *m = NULL;
    uw_error err;
    static const uint8_t p[] = {UW_I32, UW_I32}, r[] = {UW_I32};
    uw_functype ft = {.params = p, .nparams = 2, .results = r, .nresults = 1};

    atomic_store(&host_adds, 0);
    assert_int_equal(uw_engine_new(NULL, &e), 0);
    /* Registered on the engine before any thread starts (the registry is read lock-free). */
    assert_int_equal(uw_engine_define_func(e, "env", "add", &ft, host_add, &host_adds), 0);
    int rc = uw_module_new(e, guest_wasm, sizeof guest_wasm, &m, &err);
    if (rc) fail_msg("uw_module_new: %s: %s", umbra_errname(rc), err.message);

    pthread_t th[NTHREADS];
    worker w[NTHREADS];
    uint64_t t0 = umbra_now_ns();
    for (int i = 0; i < NTHREADS; i++) {
        memset(&w[i], 0, sizeof w[i]);
        w[i].module = m;
        w[i].id = i;
        assert_int_equal(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
    }
    int errors = 0;
    for (int i = 0; i < NTHREADS; i++) {
        pthread_join(th[i], NULL);
        if (w[i].errors) print_message("%s (%d errors)\n", w[i].first_error, w[i].errors);
        errors += w[i].errors;
    }
    double secs = (double)(umbra_now_ns() - t0) / 1e9;
    unsigned long adds = atomic_load(&host_adds);
    print_message("threads: %d threads x %d rounds (instantiate, 3-5 calls, free) in %.2f s; %lu host calls\n",
                  NTHREADS, ROUNDS, secs, adds);
    assert_int_equal(errors, 0);
    /* Each round calls mix once (256 adds), plus once more after every 10th round's reset. */
    unsigned long per_thread = (unsigned long)ROUNDS * 256 + (unsigned long)((ROUNDS + 9) / 10) * 256;
    assert_int_equal(adds, per_thread * NTHREADS);
    uw_module_free(m);
    uw_engine_free(e);
}

/* Many threads compiling modules on one engine at once (the engine's shared type table is
 * written concurrently), each instantiating and running what it compiled. */
typedef struct compiler {
    uw_engine *engine;
    int id, errors;
} compiler;

static void *compiler_main(void *arg) {
    compiler *c = arg;
    for (int round = 0; round < 40; round++) {
        uw_module *m = NULL;
        uw_error err;
        if (uw_module_new(c->engine, guest_wasm, sizeof guest_wasm, &m, &err)) {
            c->errors++;
            continue;
        }
        worker w = {.module = m, .id = c->id};
        uw_instance *inst = NULL;
        uw_trap t;
        uint32_t v = 0;
        if (uw_instance_new(m, NULL, NULL, &inst, &t)) c->errors++;
        else {
            uint32_t seed = (uint32_t)(c->id * 7919 + round);
            if (call1(&w, inst, "mix", (int32_t)seed, 1, &v) || v != c_mix(seed)) c->errors++;
            if (call1(&w, inst, "fib", 10, 1, &v) || v != 55) c->errors++;
        }
        uw_instance_free(inst);
        uw_module_free(m);
    }
    return NULL;
}

static void test_threads_compile(void **state) {
    (void)state;
    uw_engine *e = NULL;
    static const uint8_t p[] = {UW_I32, UW_I32}, r[] = {UW_I32};
    uw_functype ft = {.params = p, .nparams = 2, .results = r, .nresults = 1};
    assert_int_equal(uw_engine_new(NULL, &e), 0);
    assert_int_equal(uw_engine_define_func(e, "env", "add", &ft, host_add, &host_adds), 0);
    pthread_t th[NTHREADS];
    compiler c[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        c[i] = (compiler){.engine = e, .id = i};
        assert_int_equal(pthread_create(&th[i], NULL, compiler_main, &c[i]), 0);
    }
    for (int i = 0; i < NTHREADS; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(c[i].errors, 0);
    }
    uw_engine_free(e);
}

/* Several engines at once, each with its own module and threads: no hidden global state. */
static void *engine_main(void *arg) {
    int *failed = arg;
    uw_engine *e = NULL;
    uw_module *m = NULL;
    uw_error err;
    static const uint8_t p[] = {UW_I32, UW_I32}, r[] = {UW_I32};
    uw_functype ft = {.params = p, .nparams = 2, .results = r, .nresults = 1};
    if (uw_engine_new(NULL, &e) || uw_engine_define_func(e, "env", "add", &ft, host_add, &host_adds) ||
        uw_module_new(e, guest_wasm, sizeof guest_wasm, &m, &err)) {
        *failed = 1;
        uw_engine_free(e);
        return NULL;
    }
    worker w = {.module = m, .id = 99};
    worker_main(&w);
    *failed = w.errors != 0;
    uw_module_free(m);
    uw_engine_free(e);
    return NULL;
}

static void test_threads_many_engines(void **state) {
    (void)state;
    pthread_t th[4];
    int failed[4] = {0};
    for (int i = 0; i < 4; i++) assert_int_equal(pthread_create(&th[i], NULL, engine_main, &failed[i]), 0);
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(failed[i], 0);
    }
}

/* A spinning guest (infinite loop counting in a global):
 * (module
 *   (global $n (mut i64) (i64.const 0))
 *   (func (export "spin") (loop $l (global.set $n (i64.add (global.get $n) (i64.const 1))) (br $l)))
 *   (func (export "count") (result i64) (global.get $n)))
 */
static const uint8_t spin_wasm[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x60, 0x00, 0x00, 0x60, 0x00,
    0x01, 0x7e, 0x03, 0x03, 0x02, 0x00, 0x01, 0x06, 0x06, 0x01, 0x7e, 0x01, 0x42, 0x00, 0x0b, 0x07,
    0x10, 0x02, 0x04, 0x73, 0x70, 0x69, 0x6e, 0x00, 0x00, 0x05, 0x63, 0x6f, 0x75, 0x6e, 0x74, 0x00,
    0x01, 0x0a, 0x15, 0x02, 0x0e, 0x00, 0x03, 0x40, 0x23, 0x00, 0x42, 0x01, 0x7c, 0x24, 0x00, 0x0c,
    0x00, 0x0b, 0x0b, 0x04, 0x00, 0x23, 0x00, 0x0b,
};

#define SPIN_ROUNDS 5
#define SPIN_FUEL 300000

typedef struct spinner {
    uw_module *module;
    int use_fuel;          /* else a 30 ms deadline */
    int errors;
    int64_t counts[SPIN_ROUNDS];
    uint64_t max_ns;
} spinner;

static void *spinner_main(void *arg) {
    spinner *s = arg;
    for (int r = 0; r < SPIN_ROUNDS; r++) {
        uw_instance_config cfg = {0};
        if (s->use_fuel) cfg.fuel = SPIN_FUEL;
        else cfg.timeout_ns = 30ull * 1000 * 1000;
        uw_instance *inst = NULL;
        uw_trap t;
        if (uw_instance_new(s->module, NULL, &cfg, &inst, &t)) {
            s->errors++;
            continue;
        }
        uint64_t t0 = umbra_now_ns();
        int rc = uw_instance_call(inst, "spin", NULL, 0, NULL, 0, &t);
        uint64_t dt = umbra_now_ns() - t0;
        if (dt > s->max_ns) s->max_ns = dt;
        if (rc != UMBRA_EWASM_TRAP || t.kind != (s->use_fuel ? UW_TRAP_OUT_OF_FUEL : UW_TRAP_DEADLINE)) s->errors++;
        uw_val c;
        uw_instance_set_fuel(inst, 0); /* unlimited, to read the counter */
        if (uw_instance_call(inst, "count", NULL, 0, &c, 1, &t)) s->errors++;
        else s->counts[r] = c.of.i64;
        uw_instance_free(inst);
    }
    return NULL;
}

/* Infinite loops on many threads at once: each stops by its own limit — the shared epoch
 * ticker for deadlines, the per-instance budget for fuel — and fuel stops every thread at
 * exactly the same point. */
static void test_threads_limits(void **state) {
    (void)state;
    uw_engine *e = NULL;
    uw_module *m = NULL;
    uw_error err;
    assert_int_equal(uw_engine_new(NULL, &e), 0);
    assert_int_equal(uw_module_new(e, spin_wasm, sizeof spin_wasm, &m, &err), 0);
    pthread_t th[NTHREADS];
    spinner s[NTHREADS];
    for (int i = 0; i < NTHREADS; i++) {
        memset(&s[i], 0, sizeof s[i]);
        s[i].module = m;
        s[i].use_fuel = i % 2;
        assert_int_equal(pthread_create(&th[i], NULL, spinner_main, &s[i]), 0);
    }
    uint64_t max_deadline_ns = 0;
    for (int i = 0; i < NTHREADS; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(s[i].errors, 0);
        if (!s[i].use_fuel && s[i].max_ns > max_deadline_ns) max_deadline_ns = s[i].max_ns;
    }
    for (int i = 1; i < NTHREADS; i += 2)
        for (int r = 0; r < SPIN_ROUNDS; r++) {
            assert_true(s[i].counts[r] > 0);
            assert_int_equal(s[i].counts[r], s[1].counts[0]);
        }
    for (int i = 0; i < NTHREADS; i += 2)
        for (int r = 0; r < SPIN_ROUNDS; r++) assert_true(s[i].counts[r] > 0);
    print_message("threads: %d spinning guests stopped; fuel %d → %" PRId64 " iterations on every thread; "
                  "slowest 30 ms deadline stop %.1f ms\n",
                  NTHREADS, SPIN_FUEL, s[1].counts[0], (double)max_deadline_ns / 1e6);
    assert_true(max_deadline_ns < 15ull * 1000 * 1000 * 1000);
    uw_module_free(m);
    uw_engine_free(e);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threads_share_module),
        cmocka_unit_test(test_threads_compile),
        cmocka_unit_test(test_threads_many_engines),
        cmocka_unit_test(test_threads_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
