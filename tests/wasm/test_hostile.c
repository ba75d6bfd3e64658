/* test_hostile.c — hostile guests against umbra's sandbox limits (umbra/wasm.h).
 *
 * Each module in tests/wasm/hostile/NAME.wat (compiled by cmake/wasm_tests.cmake into
 * $UMBRA_BUILD_DIR/wasm-hostile/) tries to take the host down: infinite loops (also in the
 * start function), memory and table bombs, out-of-bounds accesses, deep recursion (also
 * through a host function that re-enters the guest), giant data segments, fuel burn; some
 * modules are built here in binary (pathological nesting, locals and br_table sizes).
 * Every test checks that the right limit stops it with the right trap kind, within a
 * bounded time, and that the host keeps working afterwards (all of it runs in this
 * process). Fuel must also be deterministic: the same program with the same fuel stops at
 * the same point with the same remaining fuel, run after run.
 */
#include "testutil.h"

#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "umbra/wasm.h"

/* Wall-clock bound for anything hostile (generous: sanitizer builds are ~10x slower). */
#define BOUND_NS (15ull * 1000 * 1000 * 1000)
#define MS(n) ((uint64_t)(n) * 1000 * 1000)

typedef struct fixture {
    uw_engine *engine;
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    assert_int_equal(uw_engine_new(NULL, &f->engine), 0);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    uw_engine_free(f->engine);
    free(f);
    return 0;
}

/* Loads $UMBRA_BUILD_DIR/wasm-hostile/NAME.wasm; skips the test if the build could not
 * make it (wat2wasm missing). */
static uw_module *load(fixture *f, const char *name) {
    char path[4096];
    const char *bd = getenv("UMBRA_BUILD_DIR");
    snprintf(path, sizeof path, "%s/wasm-hostile/%s.wasm", bd && *bd ? bd : ".", name);
    uint8_t *data = NULL;
    size_t n = 0;
    if (umbra_file_read(path, 1u << 20, &data, &n)) {
        print_message("hostile: %s missing (wat2wasm not installed? run scripts/bootstrap): skipped\n", path);
        skip();
    }
    uw_module *m = NULL;
    uw_error err;
    int rc = uw_module_new(f->engine, data, n, &m, &err);
    umbra_free(data);
    if (rc) fail_msg("%s: uw_module_new: %s: %s", name, umbra_errname(rc), err.message);
    return m;
}

static uw_instance *instantiate(uw_module *m, const uw_instance_config *cfg) {
    uw_instance *inst = NULL;
    uw_trap trap;
    int rc = uw_instance_new(m, NULL, cfg, &inst, &trap);
    if (rc) fail_msg("uw_instance_new: %s (%s)", umbra_errname(rc), trap.message);
    return inst;
}

/* Calls `name` expecting a trap of `kind` within BOUND_NS; returns the elapsed ns. */
static uint64_t expect_trap(uw_instance *inst, const char *name, const uw_val *args, size_t nargs,
                            size_t nres, int kind) {
    uw_val res[4];
    uw_trap trap;
    memset(&trap, 0, sizeof trap);
    uint64_t t0 = umbra_now_ns();
    int rc = uw_instance_call(inst, name, args, nargs, res, nres, &trap);
    uint64_t dt = umbra_now_ns() - t0;
    if (rc != UMBRA_EWASM_TRAP || trap.kind != kind)
        fail_msg("%s: expected trap '%s', got %s / '%s' (%s)", name, uw_trap_kind_text(kind),
                 umbra_errname(rc), uw_trap_kind_text(trap.kind), trap.message);
    if (dt > BOUND_NS) fail_msg("%s: took %.2f s to stop", name, (double)dt / 1e9);
    return dt;
}

static int32_t call_i32(uw_instance *inst, const char *name, const uw_val *args, size_t nargs) {
    uw_val res;
    uw_trap trap;
    int rc = uw_instance_call(inst, name, args, nargs, &res, 1, &trap);
    if (rc) fail_msg("%s: %s (%s: %s)", name, umbra_errname(rc), uw_trap_kind_text(trap.kind), trap.message);
    assert_int_equal(res.type, UW_I32);
    return res.of.i32;
}

/* The host is still alive and well: a fresh instance of a normal module computes. */
static void host_still_works(fixture *f) {
    uw_module *m = load(f, "recursion");
    uw_instance *inst = instantiate(m, NULL);
    uw_val a = uw_val_i32(100);
    assert_int_equal(call_i32(inst, "sum", &a, 1), 5050);
    uw_instance_free(inst);
    uw_module_free(m);
}

/* ---- Infinite loops ------------------------------------------------------------------------ */

static void test_loop_fuel(void **state) {
    fixture *f = *state;
    uw_module *m = load(f, "loop");
    uw_instance_config cfg = {.fuel = 1000000};
    uw_instance *inst = instantiate(m, &cfg);
    expect_trap(inst, "spin", NULL, 0, 0, UW_TRAP_OUT_OF_FUEL);
    /* Fuel stays exhausted across calls until the host refills it. */
    assert_int_equal(uw_instance_fuel(inst), 0);
    expect_trap(inst, "count", NULL, 0, 1, UW_TRAP_OUT_OF_FUEL);
    /* The loop made progress before the fuel ran out, and after a refill the instance is
     * usable again. */
    uw_val cnt;
    uw_trap trap;
    uw_instance_set_fuel(inst, 1000);
    assert_int_equal(uw_instance_call(inst, "count", NULL, 0, &cnt, 1, &trap), 0);
    assert_true(cnt.of.i64 > 0);
    assert_true(cnt.of.i64 < 1000000); /* each round costs at least one unit */
    uw_instance_set_fuel(inst, 500000);
    expect_trap(inst, "spin_empty", NULL, 0, 0, UW_TRAP_OUT_OF_FUEL);
    uw_instance_free(inst);
    uw_module_free(m);
    host_still_works(f);
}

static void test_loop_deadline(void **state) {
    fixture *f = *state;
    uw_module *m = load(f, "loop");
    uw_instance_config cfg = {.timeout_ns = MS(50)};
    uw_instance *inst = instantiate(m, &cfg);
    uint64_t dt = expect_trap(inst, "spin", NULL, 0, 0, UW_TRAP_DEADLINE);
    assert_true(dt >= MS(45)); /* not before the deadline (ticker granularity ~1 ms) */
    dt = expect_trap(inst, "spin_empty", NULL, 0, 0, UW_TRAP_DEADLINE);
    assert_true(dt >= MS(45));
    print_message("hostile: 50 ms deadline stopped an empty infinite loop after %.1f ms\n", (double)dt / 1e6);
    /* The deadline is per call: a later call gets a fresh budget and still works. */
    uw_val cnt;
    uw_trap trap;
    assert_int_equal(uw_instance_call(inst, "count", NULL, 0, &cnt, 1, &trap), 0);
    assert_true(cnt.of.i64 > 0);
    uw_instance_free(inst);
    uw_module_free(m);
    host_still_works(f);
}

static void test_start_loop(void **state) {
    fixture *f = *state;
    uw_module *m = load(f, "start_loop");
    uw_instance *inst = NULL;
    uw_trap trap;

    uw_instance_config cfg = {.timeout_ns = MS(50)};
    uint64_t t0 = umbra_now_ns();
    int rc = uw_instance_new(m, NULL, &cfg, &inst, &trap);
    assert_int_equal(rc, UMBRA_EWASM_TRAP);
    assert_int_equal(trap.kind, UW_TRAP_DEADLINE);
    assert_null(inst);
    assert_true(umbra_now_ns() - t0 < BOUND_NS);

    uw_instance_config cfg2 = {.fuel = 100000};
    rc = uw_instance_new(m, NULL, &cfg2, &inst, &trap);
    assert_int_equal(rc, UMBRA_EWASM_TRAP);
    assert_int_equal(trap.kind, UW_TRAP_OUT_OF_FUEL);
    assert_null(inst);
    uw_module_free(m);
    host_still_works(f);
}

/* ---- Memory --------------------------------------------------------------------------------- */

static void test_memory_bomb(void **state) {
    fixture *f = *state;
    uw_module *m = load(f, "memory_bomb");
    uw_instance_config cfg = {.max_memory_pages = 160, .fuel = 50000000}; /* 10 MiB */
    uw_instance *inst = instantiate(m, &cfg);
    uint64_t t0 = umbra_now_ns();
    int32_t pages = call_i32(inst, "grow_all", NULL, 0);
    assert_true(umbra_now_ns() - t0 < BOUND_NS);
    /* memory.grow failing is not a trap (Wasm 2.0 §4.4.7): it returns -1 at the cap. */
    assert_int_equal(pages, 160);
    assert_int_equal(uw_memory_pages(uw_instance_memory(inst)), 160);
    assert_int_equal(call_i32(inst, "touch_end", NULL, 0), 0x5a);
    uw_val big = uw_val_i32(65535);
    assert_int_equal(call_i32(inst, "grow_big", &big, 1), -1);
    big = uw_val_i32(-1); /* 0xffffffff pages: beyond any 32-bit memory */
    assert_int_equal(call_i32(inst, "grow_big", &big, 1), -1);
    /* A guest that ignores the failure and keeps growing is stopped by fuel. */
    uw_instance_set_fuel(inst, 1000000);
    expect_trap(inst, "grow_forever", NULL, 0, 0, UW_TRAP_OUT_OF_FUEL);
    assert_int_equal(uw_memory_pages(uw_instance_memory(inst)), 160);
    /* Reset gives the next request a fresh instance: one page again, zeroed, fuel back. */
    uw_trap trap;
    assert_int_equal(uw_instance_reset(inst, &trap), 0);
    assert_int_equal(uw_memory_pages(uw_instance_memory(inst)), 1);
    /* (uw_instance_set_fuel also sets the budget a reset refills to: 1,000,000 here.) */
    assert_int_equal(uw_instance_fuel(inst), 1000000);
    uw_instance_set_fuel(inst, 50000000);
    size_t msize = 0;
    uint8_t *mem = uw_memory_data(uw_instance_memory(inst), &msize);
    assert_int_equal(msize, 65536);
    assert_int_equal(mem[65535], 0);
    assert_int_equal(call_i32(inst, "touch_end", NULL, 0), 0x5a);
    assert_int_equal(call_i32(inst, "grow_all", NULL, 0), 160); /* and the cap still holds */
    uw_instance_free(inst);

    /* The same with a deadline instead of fuel. */
    uw_instance_config cfg2 = {.max_memory_pages = 32, .timeout_ns = MS(50)};
    inst = instantiate(m, &cfg2);
    expect_trap(inst, "grow_forever", NULL, 0, 0, UW_TRAP_DEADLINE);
    assert_true(uw_memory_pages(uw_instance_memory(inst)) <= 32);
    uw_instance_free(inst);
    uw_module_free(m);
    host_still_works(f);
}

static void test_memory_huge(void **state) {
    fixture *f = *state;
    uw_module *m = load(f, "memory_huge");
    uw_instance_config cfg = {.max_memory_pages = 160};
    uw_instance *inst = NULL;
    uw_trap trap;
    int rc = uw_instance_new(m, NULL, &cfg, &inst, &trap);
    assert_int_equal(rc, UMBRA_EWASM_LIMIT);
    assert_int_equal(trap.kind, UW_TRAP_LIMIT);
    assert_null(inst);
    uw_module_free(m);
    host_still_works(f);
}

static void test_memory_oob(void **state) {
    fixture *f = *state;
    uw_module *m = load(f, "oob");
    uw_instance *inst = instantiate(m, NULL);
    static const char *const names[] = {"load_wrap", "load_edge", "store_edge", "fill_huge", "copy_wrap", "init_past"};
    static const size_t nres[] = {1, 1, 0, 0, 0, 0};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        expect_trap(inst, names[i], NULL, 0, nres[i], UW_TRAP_MEMORY_OOB);
    /* A trapping access writes nothing, not even its in-bounds part (§4.4.7, bulk memory
     * checks bounds before writing). */
    for (int32_t a = 65520; a < 65536; a++) {
        uw_val addr = uw_val_i32(a);
        assert_int_equal(call_i32(inst, "byte", &addr, 1), 0);
    }
    uw_val one = uw_val_i32(1);
    assert_int_equal(call_i32(inst, "byte", &one, 1), 0);
    uw_instance_free(inst);
    uw_module_free(m);
    host_still_works(f);
}

/* ---- Recursion ------------------------------------------------------------------------------ */

static void test_recursion(void **state) {
    fixture *f = *state;
    uw_module *m = load(f, "recursion");
    uw_instance *inst = instantiate(m, NULL);
    uw_val a64 = uw_val_i64(0), a32 = uw_val_i32(0);
    expect_trap(inst, "down", &a64, 1, 1, UW_TRAP_STACK_EXHAUSTED);
    expect_trap(inst, "fat", &a32, 1, 1, UW_TRAP_STACK_EXHAUSTED);
    expect_trap(inst, "indirect", NULL, 0, 1, UW_TRAP_STACK_EXHAUSTED);
    /* After exhaustion the instance is usable and bounded recursion still works. */
    uw_val n = uw_val_i32(1000);
    assert_int_equal(call_i32(inst, "sum", &n, 1), 500500);
    uw_instance_free(inst);

    /* A lower per-instance depth limit applies. */
    uw_instance_config cfg = {.max_call_depth = 100};
    inst = instantiate(m, &cfg);
    n = uw_val_i32(50);
    assert_int_equal(call_i32(inst, "sum", &n, 1), 1275);
    n = uw_val_i32(200);
    expect_trap(inst, "sum", &n, 1, 1, UW_TRAP_STACK_EXHAUSTED);
    uw_instance_free(inst);
    uw_module_free(m);
    host_still_works(f);
}

/* ---- Recursion through the host ----------------------------------------------------------- */

static int reenter_deepest, reenter_inner_kind;

/* env.reenter(n): calls the calling instance's "go"(n) again — guest → host → guest ... */
static int host_reenter(uw_call *call, const uw_val *args, uw_val *results, void *ud) {
    (void)ud;
    uw_val a = uw_val_i32(args[0].of.i32), r;
    uw_trap t;
    memset(&t, 0, sizeof t);
    if (a.of.i32 > reenter_deepest) reenter_deepest = a.of.i32;
    int rc = uw_instance_call(uw_call_instance(call), "go", &a, 1, &r, 1, &t);
    if (rc) {
        if (reenter_inner_kind < 0) reenter_inner_kind = t.kind;
        return uw_call_trap(call, "nested call: %s", t.message);
    }
    results[0] = r;
    return 0;
}

/* Runs go(0) with the given depth limit (0 = engine default); returns 0 if it stopped as
 * it must: a trap whose innermost cause is "call stack exhausted". */
static int run_reenter(fixture *f, uint32_t max_depth, int *deepest) {
    static const uint8_t p[] = {UW_I32};
    uw_functype ft = {.params = p, .nparams = 1, .results = p, .nresults = 1};
    uw_module *m = load(f, "reenter");
    uw_linker *l = NULL;
    uw_instance *inst = NULL;
    uw_trap trap;
    int ok = -1;
    reenter_deepest = 0;
    reenter_inner_kind = -1;
    if (uw_linker_new(f->engine, &l) || uw_linker_define_func(l, "env", "reenter", &ft, host_reenter, NULL))
        goto done;
    uw_instance_config cfg = {.max_call_depth = max_depth};
    if (uw_instance_new(m, l, &cfg, &inst, &trap)) goto done;
    uw_val a = uw_val_i32(0), r;
    uint64_t t0 = umbra_now_ns();
    int rc = uw_instance_call(inst, "go", &a, 1, &r, 1, &trap);
    /* The outermost trap is the host function's (it turned the nested trap into its own);
     * the innermost must be the depth limit. */
    if (rc == UMBRA_EWASM_TRAP && (trap.kind == UW_TRAP_HOST || trap.kind == UW_TRAP_STACK_EXHAUSTED) &&
        reenter_inner_kind == UW_TRAP_STACK_EXHAUSTED && umbra_now_ns() - t0 < BOUND_NS)
        ok = 0;
done:
    *deepest = reenter_deepest;
    uw_instance_free(inst);
    uw_linker_free(l);
    uw_module_free(m);
    return ok;
}

struct reenter_thread_arg {
    fixture *f;
    int ok, deepest;
};

static void *reenter_thread(void *p) {
    struct reenter_thread_arg *a = p;
    a->ok = run_reenter(a->f, 0, &a->deepest);
    return NULL;
}

static void test_host_reentrancy(void **state) {
    fixture *f = *state;
    int deepest = 0;
    /* With a modest depth limit the re-entry chain stops at that depth. */
    assert_int_equal(run_reenter(f, 500, &deepest), 0);
    assert_true(deepest > 0 && deepest <= 501);

    /* With the engine's default limit the chain nests host C frames thousands deep: the
     * engine must stop it before the C stack overflows. Run it in a child process so a
     * crash is reported instead of taking the test runner down. */
    fflush(stdout);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        signal(SIGSEGV, SIG_DFL); /* cmocka's handler would hide the crash */
        signal(SIGBUS, SIG_DFL);
        signal(SIGABRT, SIG_DFL);
        _exit(run_reenter(f, 0, &deepest) == 0 ? 0 : 1);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    /* Host re-entry nests C frames; the engine bounds the C stack it may use (half the
     * thread's stack, at most 1 MiB), so this must end in a trap, never in a signal. */
    if (WIFSIGNALED(status)) fail_msg("host re-entrancy crashed the process (signal %d)", WTERMSIG(status));
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    host_still_works(f);

    /* The bound follows the thread's own stack: on a thread with a small (512 KiB) stack the
     * chain must also end in a trap. Run in a child too, so a crash is a failure, not the end. */
    fflush(stdout);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        signal(SIGSEGV, SIG_DFL);
        signal(SIGBUS, SIG_DFL);
        signal(SIGABRT, SIG_DFL);
        pthread_attr_t attr;
        pthread_t th;
        struct reenter_thread_arg a = {.f = f, .ok = -1};
        if (pthread_attr_init(&attr) || pthread_attr_setstacksize(&attr, 512u << 10) ||
            pthread_create(&th, &attr, reenter_thread, &a) || pthread_join(th, NULL))
            _exit(2);
        _exit(a.ok == 0 && a.deepest > 0 ? 0 : 1);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (WIFSIGNALED(status))
        fail_msg("host re-entrancy on a 512 KiB thread stack crashed the process (signal %d)", WTERMSIG(status));
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- Tables --------------------------------------------------------------------------------- */

static void test_table_bomb(void **state) {
    fixture *f = *state;
    uw_module *m = load(f, "table_bomb");
    /* With fuel on: a table.grow that fails costs nothing and returns -1 (a 0x7fffffff
     * request must not trap "out of fuel"); a successful grow is charged by its length. */
    uw_instance_config cfg = {.max_table_elems = 10000, .fuel = 1000000,
                              .timeout_ns = 10ull * 1000 * 1000 * 1000};
    uw_instance *inst = instantiate(m, &cfg);
    int32_t size = call_i32(inst, "grow_all", NULL, 0);
    /* 1 + k*1024 <= 10000: growth stops at 9217 entries when the next step would pass the cap. */
    assert_int_equal(size, 9217);
    uw_val big = uw_val_i32(0x7fffffff);
    assert_int_equal(call_i32(inst, "grow_big", &big, 1), -1);
    big = uw_val_i32(783); /* exactly up to the cap still works */
    assert_int_equal(call_i32(inst, "grow_big", &big, 1), 9217);
    big = uw_val_i32(1);
    int64_t before = uw_instance_fuel(inst);
    assert_int_equal(call_i32(inst, "grow_big", &big, 1), -1);
    big = uw_val_i32(0x7fffffff);
    assert_int_equal(call_i32(inst, "grow_big", &big, 1), -1);
    /* The two failed grows cost only their few instructions, not their lengths. */
    assert_true(before - uw_instance_fuel(inst) < 100);
    uw_instance_free(inst);
    uw_module_free(m);
    host_still_works(f);
}

static void test_table_huge(void **state) {
    fixture *f = *state;
    uw_module *m = load(f, "table_huge");
    uw_instance *inst = NULL;
    uw_trap trap;
    /* 100 million entries: above the engine default cap (10 million). */
    int rc = uw_instance_new(m, NULL, NULL, &inst, &trap);
    assert_int_equal(rc, UMBRA_EWASM_LIMIT);
    assert_int_equal(trap.kind, UW_TRAP_LIMIT);
    assert_null(inst);
    uw_module_free(m);
    host_still_works(f);
}

/* ---- Data segments -------------------------------------------------------------------------- */

static void test_data_oob(void **state) {
    fixture *f = *state;
    uw_module *m = load(f, "data_oob");
    uw_instance *inst = NULL;
    uw_trap trap;
    int rc = uw_instance_new(m, NULL, NULL, &inst, &trap);
    assert_int_equal(rc, UMBRA_EWASM_TRAP);
    assert_int_equal(trap.kind, UW_TRAP_MEMORY_OOB);
    assert_null(inst);
    uw_module_free(m);
    host_still_works(f);
}

/* A tiny binary writer for modules too big or too broken to keep as .wat. */
typedef struct wbuf {
    uint8_t *p;
    size_t n, cap;
} wbuf;

static void wb_byte(wbuf *b, uint8_t c) {
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 256;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
    b->p[b->n++] = c;
}
static void wb_bytes(wbuf *b, const void *p, size_t n) {
    for (size_t i = 0; i < n; i++) wb_byte(b, ((const uint8_t *)p)[i]);
}
static void wb_uleb(wbuf *b, uint64_t v) { /* Wasm 2.0 §5.2.2 LEB128 */
    do {
        uint8_t c = v & 0x7f;
        v >>= 7;
        wb_byte(b, (uint8_t)(c | (v ? 0x80 : 0)));
    } while (v);
}
static void wb_section_raw(wbuf *b, uint8_t id, const void *p, size_t n) {
    wb_byte(b, id);
    wb_uleb(b, n);
    wb_bytes(b, p, n);
}
static void wb_section(wbuf *b, uint8_t id, const wbuf *body) { wb_section_raw(b, id, body->p, body->n); }

/* Module: memory (min pages, no max), one active data segment at offset 0 of `seg_len`
 * bytes (the payload is `have` bytes of 0xAB — fewer than seg_len makes it truncated). */
static void build_data_module(wbuf *out, uint32_t pages, uint64_t seg_len, size_t have) {
    static const uint8_t hdr[8] = {0, 'a', 's', 'm', 1, 0, 0, 0};
    wbuf sec = {0};
    memset(out, 0, sizeof *out);
    wb_bytes(out, hdr, sizeof hdr);
    wb_uleb(&sec, 1); /* memory section (§5.5.8): one memory, limits flag 0 */
    wb_byte(&sec, 0);
    wb_uleb(&sec, pages);
    wb_section(out, 5, &sec);
    sec.n = 0;
    wb_uleb(&sec, 1); /* data section (§5.5.14): one active segment for memory 0 */
    wb_uleb(&sec, 0);
    wb_byte(&sec, 0x41); /* i32.const 0 end */
    wb_byte(&sec, 0x00);
    wb_byte(&sec, 0x0b);
    wb_uleb(&sec, seg_len);
    for (size_t i = 0; i < have; i++) wb_byte(&sec, 0xab);
    if (have < seg_len) {
        /* Truncated: the section claims what the segment claims, the file stops short. */
        wb_byte(out, 11);
        wb_uleb(out, sec.n + (seg_len - have));
        wb_bytes(out, sec.p, sec.n);
    } else {
        wb_section(out, 11, &sec);
    }
    free(sec.p);
}

static void test_giant_data_segment(void **state) {
    fixture *f = *state;
    wbuf b;
    uw_module *m = NULL;
    uw_instance *inst = NULL;
    uw_error err;
    uw_trap trap;

    /* 1. A segment claiming ~4 GiB in a 100-byte file: malformed, and nothing that size may
     *    be allocated on the way (ASan/RSS would notice). */
    build_data_module(&b, 1, 0xfffffff0u, 16);
    uint64_t t0 = umbra_now_ns();
    int rc = uw_module_new(f->engine, b.p, b.n, &m, &err);
    assert_int_equal(rc, UMBRA_EWASM_MALFORMED);
    assert_null(m);
    assert_true(umbra_now_ns() - t0 < BOUND_NS);
    free(b.p);

    /* 2. A real 8 MiB segment into a 1-page memory: decodes, then instantiation traps
     *    out of bounds (§4.5.4) without writing anything. */
    build_data_module(&b, 1, 8u << 20, 8u << 20);
    rc = uw_module_new(f->engine, b.p, b.n, &m, &err);
    if (rc) fail_msg("8 MiB data segment: %s: %s", umbra_errname(rc), err.message);
    rc = uw_instance_new(m, NULL, NULL, &inst, &trap);
    assert_int_equal(rc, UMBRA_EWASM_TRAP);
    assert_int_equal(trap.kind, UW_TRAP_MEMORY_OOB);
    assert_null(inst);
    uw_module_free(m);
    free(b.p);

    /* 3. The same segment into a memory that fits it (129 pages) but exceeds the
     *    instance's memory cap (64 pages): a limit error. */
    build_data_module(&b, 129, 8u << 20, 8u << 20);
    rc = uw_module_new(f->engine, b.p, b.n, &m, &err);
    if (rc) fail_msg("8 MiB data segment: %s: %s", umbra_errname(rc), err.message);
    uw_instance_config cfg = {.max_memory_pages = 64};
    rc = uw_instance_new(m, NULL, &cfg, &inst, &trap);
    assert_int_equal(rc, UMBRA_EWASM_LIMIT);
    assert_int_equal(trap.kind, UW_TRAP_LIMIT);
    assert_null(inst);

    /* 4. Within the cap it works and the bytes are there. */
    rc = uw_instance_new(m, NULL, NULL, &inst, &trap);
    if (rc) fail_msg("129 pages: %s (%s)", umbra_errname(rc), trap.message);
    size_t size = 0;
    uint8_t *mem = uw_memory_data(uw_instance_memory(inst), &size);
    assert_int_equal(size, 129u * 65536);
    assert_int_equal(mem[0], 0xab);
    assert_int_equal(mem[(8u << 20) - 1], 0xab);
    assert_int_equal(mem[8u << 20], 0);
    uw_instance_free(inst);
    uw_module_free(m);
    free(b.p);
    host_still_works(f);
}

/* Module: one exported function "f" () -> i32 with the given locals declaration and body
 * (an `end` is appended). */
static void build_func_module(wbuf *out, const wbuf *locals, const wbuf *body) {
    static const uint8_t hdr[8] = {0, 'a', 's', 'm', 1, 0, 0, 0};
    static const uint8_t type_sec[] = {0x01, 0x60, 0x00, 0x01, 0x7f};
    static const uint8_t func_sec[] = {0x01, 0x00};
    static const uint8_t export_sec[] = {0x01, 0x01, 'f', 0x00, 0x00};
    wbuf sec = {0}, fn = {0};
    memset(out, 0, sizeof *out);
    wb_bytes(out, hdr, sizeof hdr);
    wb_section_raw(out, 1, type_sec, sizeof type_sec);
    wb_section_raw(out, 3, func_sec, sizeof func_sec);
    wb_section_raw(out, 7, export_sec, sizeof export_sec);
    wb_bytes(&fn, locals->p, locals->n);
    wb_bytes(&fn, body->p, body->n);
    wb_byte(&fn, 0x0b);
    wb_uleb(&sec, 1);
    wb_uleb(&sec, fn.n);
    wb_bytes(&sec, fn.p, fn.n);
    wb_section(out, 10, &sec);
    free(sec.p);
    free(fn.p);
}

/* Loads and runs a pathological function; returns the uw_module_new code, and the call's
 * code in *call_rc (trap kind in *kind) when it loaded. Bounded in time. */
static int run_pathological(fixture *f, const wbuf *locals, const wbuf *body, int *call_rc, int *kind,
                            int32_t *result) {
    wbuf mod;
    uw_module *m = NULL;
    uw_instance *inst = NULL;
    uw_error err;
    uw_trap trap;
    build_func_module(&mod, locals, body);
    uint64_t t0 = umbra_now_ns();
    int rc = uw_module_new(f->engine, mod.p, mod.n, &m, &err);
    free(mod.p);
    *call_rc = 0;
    *kind = 0;
    if (rc == 0) {
        uw_instance_config cfg = {.fuel = 100000000};
        assert_int_equal(uw_instance_new(m, NULL, &cfg, &inst, &trap), 0);
        uw_val r = {0};
        memset(&trap, 0, sizeof trap);
        *call_rc = uw_instance_call(inst, "f", NULL, 0, &r, 1, &trap);
        *kind = trap.kind;
        *result = r.of.i32;
        uw_instance_free(inst);
        uw_module_free(m);
    }
    if (umbra_now_ns() - t0 > BOUND_NS) fail_msg("pathological module took %.1f s", (double)(umbra_now_ns() - t0) / 1e9);
    return rc;
}

static void test_pathological_code(void **state) {
    fixture *f = *state;
    wbuf locals = {0}, body = {0};
    int call_rc, kind;
    int32_t result = 0;

    /* 50,000 nested blocks: deep, but a valid module that must run (no recursion in the
     * validator or compiler may overflow the C stack). */
    wb_uleb(&locals, 0);
    for (int i = 0; i < 50000; i++) wb_bytes(&body, "\x02\x40", 2); /* block */
    for (int i = 0; i < 50000; i++) wb_byte(&body, 0x0b);
    wb_bytes(&body, "\x41\x07", 2); /* i32.const 7 */
    assert_int_equal(run_pathological(f, &locals, &body, &call_rc, &kind, &result), 0);
    assert_int_equal(call_rc, 0);
    assert_int_equal(result, 7);

    /* 1,000,000 nested if/else with results: refused (an implementation limit) or run — but
     * never a crash. */
    body.n = 0;
    for (int i = 0; i < 1000000; i++) wb_bytes(&body, "\x41\x01\x04\x7f", 4);
    wb_bytes(&body, "\x41\x07", 2);
    for (int i = 0; i < 1000000; i++) wb_bytes(&body, "\x05\x41\x00\x0b", 4);
    int rc = run_pathological(f, &locals, &body, &call_rc, &kind, &result);
    assert_true(rc == UMBRA_EWASM_LIMIT || (rc == 0 && call_rc == 0 && result == 7));

    /* 2^32-1 locals: refused at load time, without allocating them. */
    locals.n = 0;
    wb_uleb(&locals, 1);
    wb_uleb(&locals, 0xffffffffu);
    wb_byte(&locals, 0x7f);
    body.n = 0;
    wb_bytes(&body, "\x41\x07", 2);
    rc = run_pathological(f, &locals, &body, &call_rc, &kind, &result);
    assert_true(rc == UMBRA_EWASM_LIMIT || rc == UMBRA_EWASM_MALFORMED);

    /* Two groups of 2^31 locals (their sum overflows 32 bits): refused. */
    locals.n = 0;
    wb_uleb(&locals, 2);
    wb_uleb(&locals, 0x80000000u);
    wb_byte(&locals, 0x7f);
    wb_uleb(&locals, 0x80000000u);
    wb_byte(&locals, 0x7e);
    rc = run_pathological(f, &locals, &body, &call_rc, &kind, &result);
    assert_true(rc == UMBRA_EWASM_LIMIT || rc == UMBRA_EWASM_MALFORMED);

    /* Recursion with 40,000 i64 locals per frame: the value-stack limit (not the frame
     * count) is what runs out. */
    locals.n = 0;
    wb_uleb(&locals, 1);
    wb_uleb(&locals, 40000);
    wb_byte(&locals, 0x7e);
    body.n = 0;
    wb_bytes(&body, "\x10\x00", 2); /* call 0 */
    assert_int_equal(run_pathological(f, &locals, &body, &call_rc, &kind, &result), 0);
    assert_int_equal(call_rc, UMBRA_EWASM_TRAP);
    assert_int_equal(kind, UW_TRAP_STACK_EXHAUSTED);

    /* br_table with a million targets. */
    locals.n = 0;
    wb_uleb(&locals, 0);
    body.n = 0;
    wb_bytes(&body, "\x02\x40\x41\x00\x0e", 5); /* block, i32.const 0, br_table */
    wb_uleb(&body, 1000000);
    for (int i = 0; i < 1000000; i++) wb_byte(&body, 0);
    wb_byte(&body, 0);
    wb_byte(&body, 0x0b);
    wb_bytes(&body, "\x41\x07", 2);
    assert_int_equal(run_pathological(f, &locals, &body, &call_rc, &kind, &result), 0);
    assert_int_equal(call_rc, 0);
    assert_int_equal(result, 7);

    free(locals.p);
    free(body.p);
    host_still_works(f);
}

/* ---- Fuel ------------------------------------------------------------------------------------ */

typedef struct fuel_stop {
    int rc, kind;
    uint64_t remaining;
    uint32_t progress;
    uint64_t state;
} fuel_stop;

/* Runs work(n) on a fresh instance with `fuel`, returns where it stopped. */
static fuel_stop run_work(uw_module *m, uint64_t fuel, int32_t n, int use_reset) {
    uw_instance_config cfg = {.fuel = fuel};
    uw_instance *inst = instantiate(m, &cfg);
    fuel_stop s;
    uw_val a = uw_val_i32(n), r;
    uw_trap trap;
    memset(&s, 0, sizeof s);
    memset(&trap, 0, sizeof trap);
    if (use_reset) {
        /* Burn some fuel and dirty the memory first; the reset must undo both. */
        (void)uw_instance_call(inst, "work", &a, 1, &r, 1, &trap);
        assert_int_equal(uw_instance_reset(inst, &trap), 0);
        assert_int_equal(uw_instance_fuel(inst), fuel);
    }
    s.rc = uw_instance_call(inst, "work", &a, 1, &r, 1, &trap);
    s.kind = s.rc ? trap.kind : 0;
    s.remaining = uw_instance_fuel(inst);
    size_t size;
    uint8_t *mem = uw_memory_data(uw_instance_memory(inst), &size);
    assert_true(size >= 16);
    memcpy(&s.progress, mem, 4);
    memcpy(&s.state, mem + 8, 8);
    uw_instance_free(inst);
    return s;
}

static void test_fuel_determinism(void **state) {
    fixture *f = *state;
    uw_module *m = load(f, "fuel");
    static const uint64_t fuels[] = {1, 7, 100, 1001, 54321, 250000};
    for (size_t i = 0; i < sizeof fuels / sizeof fuels[0]; i++) {
        fuel_stop a = run_work(m, fuels[i], 1 << 30, 0);
        assert_int_equal(a.rc, UMBRA_EWASM_TRAP);
        assert_int_equal(a.kind, UW_TRAP_OUT_OF_FUEL);
        for (int rep = 0; rep < 3; rep++) {
            fuel_stop b = run_work(m, fuels[i], 1 << 30, rep == 2);
            assert_int_equal(b.rc, a.rc);
            assert_int_equal(b.kind, a.kind);
            assert_int_equal(b.progress, a.progress);
            assert_int_equal(b.state, a.state);
            assert_int_equal(b.remaining, a.remaining);
        }
        if (i == sizeof fuels / sizeof fuels[0] - 1)
            print_message("hostile: fuel %" PRIu64 " stops work() after %" PRIu32 " rounds, %" PRIu64
                          " fuel left, every run\n", fuels[i], a.progress, a.remaining);
    }
    /* More fuel never means less progress. */
    fuel_stop lo = run_work(m, 10000, 1 << 30, 0), hi = run_work(m, 20000, 1 << 30, 0);
    assert_true(hi.progress >= lo.progress);
    assert_true(hi.progress > 0);

    /* A run that completes leaves the same remaining fuel every time, and longer work
     * costs more. */
    fuel_stop c1 = run_work(m, 10000000, 1000, 0), c2 = run_work(m, 10000000, 1000, 0);
    fuel_stop c3 = run_work(m, 10000000, 2000, 0);
    assert_int_equal(c1.rc, 0);
    assert_int_equal(c1.progress, 1000);
    assert_int_equal(c1.remaining, c2.remaining);
    assert_int_equal(c1.state, c2.state);
    assert_true(c1.remaining < 10000000);
    assert_int_equal(c3.rc, 0);
    assert_true(10000000 - c3.remaining > 10000000 - c1.remaining);
    print_message("hostile: work(1000) costs %" PRIu64 " fuel, work(2000) %" PRIu64 "\n",
                  10000000 - c1.remaining, 10000000 - c3.remaining);
    uw_module_free(m);
}

static void test_fuel_bulk_memory(void **state) {
    fixture *f = *state;
    uw_module *m = load(f, "fuel");
    /* 1000 fills of 64 KiB = 64 MiB of writes with about 10 instructions per round: if
     * bulk operations are charged by length (as they must be), a 1,000,000 budget cannot
     * cover it; if they were charged as one instruction it would. */
    uw_instance_config cfg = {.fuel = 1000000};
    uw_instance *inst = instantiate(m, &cfg);
    uw_val a = uw_val_i32(1000);
    expect_trap(inst, "fill", &a, 1, 0, UW_TRAP_OUT_OF_FUEL);
    uw_instance_free(inst);
    /* Enough fuel for a few fills completes. */
    uw_instance_config cfg2 = {.fuel = 100000000};
    inst = instantiate(m, &cfg2);
    a = uw_val_i32(3);
    uw_trap trap;
    int rc = uw_instance_call(inst, "fill", &a, 1, NULL, 0, &trap);
    if (rc) fail_msg("fill(3): %s (%s)", umbra_errname(rc), trap.message);
    size_t size;
    uint8_t *mem = uw_memory_data(uw_instance_memory(inst), &size);
    assert_int_equal(mem[12345], 0xab);
    uw_instance_free(inst);
    uw_module_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_loop_fuel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_loop_deadline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_start_loop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_memory_bomb, setup, teardown),
        cmocka_unit_test_setup_teardown(test_memory_huge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_memory_oob, setup, teardown),
        cmocka_unit_test_setup_teardown(test_recursion, setup, teardown),
        cmocka_unit_test_setup_teardown(test_host_reentrancy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_table_bomb, setup, teardown),
        cmocka_unit_test_setup_teardown(test_table_huge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_data_oob, setup, teardown),
        cmocka_unit_test_setup_teardown(test_giant_data_segment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pathological_code, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fuel_determinism, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fuel_bulk_memory, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
