/* test_differential.c — differential testing of umbra's engine against node's V8.
 *
 * For each of N random modules made by binaryen (`wasm-opt -ttf SEED`, the features umbra
 * supports, `--denan` so float NaN payloads — which the spec leaves nondeterministic, Wasm
 * 2.0 §4.3.3 — cannot leak into integers; every third module also -O2 / -Oz), both engines instantiate the module with the
 * "fuzzing-support" logging imports and call every exported function with all-zero
 * arguments, printing each log call, result and trap in one text format
 * (tests/wasm/diff_driver.js is the V8 side). The two transcripts must be identical, and
 * umbra's must come out the same again after uw_instance_reset() (reset = fresh instance).
 *
 * The seeds come from a fixed PRNG, so a run is reproducible; on a mismatch the seed,
 * module and both transcripts are saved to $UMBRA_BUILD_DIR/wasm-diff-failures/.
 *
 * Environment: UMBRA_DIFF_COUNT (modules, default 30), UMBRA_DIFF_SEED (base seed, default
 * 1), UMBRA_DIFF_KEEP=1 (keep the temp dir). scripts/wasm-fuzz-diff runs a longer batch.
 * If node or wasm-opt is missing the test is skipped with a message.
 */
#include "testutil.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "umbra/wasm.h"

/* What umbra supports and binaryen 108 can generate without typed function references
 * (its reference-types output uses non-nullable (ref $t) types V8 rejects). */
#define WASM_OPT_FEATURES                                                                       \
    "--mvp-features --enable-sign-ext --enable-nontrapping-float-to-int --enable-bulk-memory " \
    "--enable-multivalue --enable-mutable-globals"

/* ---- A growable text transcript ------------------------------------------------------------- */

typedef struct text {
    char *p;
    size_t n, cap;
} text;

static void text_add(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void text_add(text *t, const char *fmt, ...) {
    va_list ap;
    for (;;) {
        size_t room = t->cap - t->n;
        va_start(ap, fmt);
        int k = vsnprintf(t->p ? t->p + t->n : NULL, room, fmt, ap);
        va_end(ap);
        if (k < 0) return;
        if ((size_t)k < room) {
            t->n += (size_t)k;
            return;
        }
        t->cap = (t->cap + (size_t)k + 1) * 2;
        t->p = realloc(t->p, t->cap);
        assert_non_null(t->p);
    }
}

/* ---- Formatting (must match diff_driver.js) ------------------------------------------------- */

static void add_value(text *t, const char *what, const uw_val *v) {
    switch (v->type) {
    case UW_I32: text_add(t, "%s i32 %" PRIu32 "\n", what, v->of.u32); break;
    case UW_I64: text_add(t, "%s i64 %" PRIu64 "\n", what, v->of.u64); break;
    case UW_F32:
        if ((v->of.f32_bits & 0x7f800000u) == 0x7f800000u && (v->of.f32_bits & 0x7fffffu))
            text_add(t, "%s f32 nan\n", what);
        else text_add(t, "%s f32 %08" PRIx32 "\n", what, v->of.f32_bits);
        break;
    case UW_F64:
        if ((v->of.f64_bits & 0x7ff0000000000000ull) == 0x7ff0000000000000ull &&
            (v->of.f64_bits & 0xfffffffffffffull))
            text_add(t, "%s f64 nan\n", what);
        else text_add(t, "%s f64 %016" PRIx64 "\n", what, v->of.f64_bits);
        break;
    default: text_add(t, "%s %s ?\n", what, uw_valtype_name(v->type)); break;
    }
}

/* The log imports write into whichever transcript is current (ud points at the pointer). */
static int log_fn(uw_call *call, const uw_val *args, uw_val *results, void *ud) {
    (void)call, (void)results;
    add_value(*(text **)ud, "log", &args[0]);
    return 0;
}

/* Calls every exported function (but binaryen's hang-limit reset, called before each) with
 * zero arguments, appending the transcript to out. Returns 0, or -1 with *why set. */
static int call_exports(uw_module *m, uw_instance *inst, text *out, char *why, size_t why_cap) {
    uw_extern hang;
    uw_trap trap;
    int have_hang = uw_instance_export(inst, "hangLimitInitializer", 20, &hang) == 0 && hang.kind == UW_EXTERN_FUNC;
    uint32_t nexp = uw_module_export_count(m);
    for (uint32_t i = 0; i < nexp; i++) {
        uw_export_info ei;
        uw_extern ext;
        if (uw_module_export(m, i, &ei) || ei.kind != UW_EXTERN_FUNC) continue;
        if (ei.name_len == 20 && !memcmp(ei.name, "hangLimitInitializer", 20)) continue;
        if (uw_instance_export(inst, ei.name, ei.name_len, &ext)) {
            snprintf(why, why_cap, "export %s listed but not found", ei.name);
            return -1;
        }
        text_add(out, "call %s\n", ei.name);
        if (have_hang && uw_func_call(hang.of.func, NULL, 0, NULL, 0, &trap)) {
            snprintf(why, why_cap, "hangLimitInitializer failed: %s", trap.message);
            return -1;
        }
        uw_functype ft;
        uw_func_type(ext.of.func, &ft);
        uw_val args[64], res[64];
        if (ft.nparams > 64 || ft.nresults > 64) {
            snprintf(why, why_cap, "export %s: too many params/results", ei.name);
            return -1;
        }
        memset(args, 0, sizeof args);
        for (uint32_t k = 0; k < ft.nparams; k++) args[k].type = ft.params[k];
        memset(&trap, 0, sizeof trap);
        int rc = uw_func_call(ext.of.func, args, ft.nparams, res, ft.nresults, &trap);
        if (rc == 0) {
            for (uint32_t k = 0; k < ft.nresults; k++) add_value(out, "result", &res[k]);
        } else if (rc == UMBRA_EWASM_TRAP && trap.kind == UW_TRAP_STACK_EXHAUSTED) {
            text_add(out, "exhaustion\n");
        } else if (rc == UMBRA_EWASM_TRAP && trap.kind != UW_TRAP_DEADLINE && trap.kind != UW_TRAP_OUT_OF_FUEL) {
            text_add(out, "trap\n");
        } else {
            snprintf(why, why_cap, "export %s: %s (%s)", ei.name, umbra_errname(rc), trap.message);
            return -1;
        }
    }
    return 0;
}

/* Runs a module in umbra and writes the transcript. Then resets the instance
 * (uw_instance_reset) and runs everything again: a reset instance must behave exactly like
 * a fresh one, so the second transcript must equal the first. Returns 0, or -1 with *why
 * set when umbra could not run it or the reset run differed. */
static int run_umbra(const uint8_t *wasm, size_t len, text *out, char *why, size_t why_cap) {
    uw_engine *e = NULL;
    uw_module *m = NULL;
    uw_linker *l = NULL;
    uw_instance *inst = NULL;
    uw_error err;
    uw_trap trap;
    text again = {0};
    text *sink = out;
    int ret = -1;
    static const uint8_t ti32[] = {UW_I32}, ti64[] = {UW_I64}, tf32[] = {UW_F32}, tf64[] = {UW_F64};
    static const struct {
        const char *name;
        const uint8_t *type;
    } logs[] = {{"log-i32", ti32}, {"log-i64", ti64}, {"log-f32", tf32}, {"log-f64", tf64}};

    assert_int_equal(uw_engine_new(NULL, &e), 0);
    int rc = uw_module_new(e, wasm, len, &m, &err);
    if (rc) {
        snprintf(why, why_cap, "umbra rejects the module: %s @%" PRIu32 ": %s", umbra_errname(rc), err.offset,
                 err.message);
        goto done;
    }
    assert_int_equal(uw_linker_new(e, &l), 0);
    for (size_t i = 0; i < 4; i++) {
        uw_functype ft = {.params = logs[i].type, .nparams = 1};
        assert_int_equal(uw_linker_define_func(l, "fuzzing-support", logs[i].name, &ft, log_fn, &sink), 0);
    }
    /* binaryen's hang limit bounds every loop and recursion; the deadline only guards
     * against an engine bug turning this test into a hang. */
    uw_instance_config cfg = {.timeout_ns = 20ull * 1000 * 1000 * 1000};
    rc = uw_instance_new(m, l, &cfg, &inst, &trap);
    if (rc) {
        text_add(out, "uninstantiable\n");
        ret = 0;
        goto done;
    }
    if (call_exports(m, inst, out, why, why_cap)) goto done;
    rc = uw_instance_reset(inst, &trap);
    if (rc) {
        snprintf(why, why_cap, "uw_instance_reset: %s (%s)", umbra_errname(rc), trap.message);
        goto done;
    }
    sink = &again;
    if (call_exports(m, inst, &again, why, why_cap)) goto done;
    text_add(&again, "%s", "");
    text_add(out, "%s", "");
    if (strcmp(out->p, again.p) != 0) {
        snprintf(why, why_cap, "after uw_instance_reset the run differs from the fresh instance's");
        goto done;
    }
    ret = 0;
done:
    free(again.p);
    uw_instance_free(inst);
    uw_linker_free(l);
    uw_module_free(m);
    uw_engine_free(e);
    return ret;
}

/* ---- Driving the external tools ------------------------------------------------------------- */

static int have_tool(const char *name) {
    char cmd[256];
    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", name);
    return system(cmd) == 0;
}

static uint64_t splitmix(uint64_t *s) {
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static int write_file(const char *path, const void *p, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = fwrite(p, 1, n, f);
    return fclose(f) == 0 && w == n ? 0 : -1;
}

static void save_failure(const char *tmp, uint64_t seed, const text *u) {
    char dir[2048], cmd[8400];
    const char *bd = getenv("UMBRA_BUILD_DIR");
    snprintf(dir, sizeof dir, "%s/wasm-diff-failures", bd && *bd ? bd : ".");
    mkdir(dir, 0755);
    snprintf(cmd, sizeof cmd, "cp %s/seed.bin %s/seed-%" PRIu64 ".bin && cp %s/m.wasm %s/seed-%" PRIu64
             ".wasm && cp %s/node.txt %s/seed-%" PRIu64 ".node.txt",
             tmp, dir, seed, tmp, dir, seed, tmp, dir, seed);
    if (system(cmd) != 0) print_message("diff: could not save the failing case\n");
    snprintf(cmd, sizeof cmd, "%s/seed-%" PRIu64 ".umbra.txt", dir, seed);
    write_file(cmd, u->p ? u->p : "", u->n);
    print_message("diff: saved seed, module and transcripts as %s/seed-%" PRIu64 ".*\n", dir, seed);
}

/* Prints the first differing line of two transcripts. */
static void show_diff(const char *a, const char *b) {
    int line = 1;
    while (*a && *b) {
        const char *ea = strchr(a, '\n'), *eb = strchr(b, '\n');
        size_t la = ea ? (size_t)(ea - a) : strlen(a), lb = eb ? (size_t)(eb - b) : strlen(b);
        if (la != lb || memcmp(a, b, la)) break;
        a += la + (ea ? 1 : 0);
        b += lb + (eb ? 1 : 0);
        line++;
    }
    print_message("diff: first difference at line %d:\n  v8:    %.*s\n  umbra: %.*s\n", line,
                  (int)strcspn(a, "\n"), a, (int)strcspn(b, "\n"), b);
}

static void test_differential_v8(void **state) {
    (void)state;
    if (!have_tool("node") || !have_tool("wasm-opt")) {
        print_message("diff: SKIPPED — node and/or wasm-opt (binaryen) not installed; run scripts/bootstrap\n");
        skip();
    }
    const char *cs = getenv("UMBRA_DIFF_COUNT"), *ss = getenv("UMBRA_DIFF_SEED");
    long count = cs && *cs ? strtol(cs, NULL, 10) : 30;
    uint64_t base = ss && *ss ? strtoull(ss, NULL, 10) : 1;
    char driver[4096];
    snprintf(driver, sizeof driver, "%s/tests/wasm/diff_driver.js", tu_source_dir());
    const char *tmp = tu_tmpdir();
    char path[4200], cmd[16384];
    long same = 0, differ = 0, v8_rejects = 0, tool_fail = 0, calls = 0;
    uint64_t t0 = umbra_now_ns();

    for (long i = 0; i < count; i++) {
        uint64_t seed = base + (uint64_t)i, s = seed * 0x2545f4914f6cdd1dull;
        /* Seed sizes from 1 to 16 KiB give modules from small to large; a third of them are
         * also optimized by binaryen, which reshapes the code (semantics preserved). */
        static uint8_t bytes[16384];
        size_t nbytes = 1024 + (size_t)(splitmix(&s) % 15) * 1024;
        static const char *const opts[3] = {"", "-O2", "-Oz"};
        const char *opt = opts[seed % 3];
        for (size_t k = 0; k < nbytes; k += 8) {
            uint64_t r = splitmix(&s);
            memcpy(bytes + k, &r, 8);
        }
        snprintf(path, sizeof path, "%s/seed.bin", tmp);
        assert_int_equal(write_file(path, bytes, nbytes), 0);
        snprintf(cmd, sizeof cmd, "wasm-opt -ttf %s/seed.bin " WASM_OPT_FEATURES " --denan %s -o %s/m.wasm 2>/dev/null",
                 tmp, opt, tmp);
        if (system(cmd) != 0) {
            tool_fail++;
            continue;
        }
        snprintf(cmd, sizeof cmd,
                 "timeout 60 node --experimental-wasm-type-reflection %s %s/m.wasm >%s/node.txt 2>%s/node.err",
                 driver, tmp, tmp, tmp);
        if (system(cmd) != 0) {
            print_message("diff: seed %" PRIu64 ": node failed (see %s/node.err)\n", seed, tmp);
            tool_fail++;
            continue;
        }
        uint8_t *wasm = NULL, *ref = NULL;
        size_t wlen = 0, rlen = 0;
        snprintf(path, sizeof path, "%s/m.wasm", tmp);
        assert_int_equal(umbra_file_read(path, 16u << 20, &wasm, &wlen), 0);
        snprintf(path, sizeof path, "%s/node.txt", tmp);
        assert_int_equal(umbra_file_read(path, 64u << 20, &ref, &rlen), 0);
        if (rlen >= 7 && !memcmp(ref, "invalid", 7)) {
            v8_rejects++;
            umbra_free(wasm);
            umbra_free(ref);
            continue;
        }
        text u = {0};
        char why[300] = "";
        int rc = run_umbra(wasm, wlen, &u, why, sizeof why);
        text_add(&u, "%s", ""); /* make sure u.p is a string */
        /* Compare without trailing newlines (console.log adds one; an empty transcript has none). */
        while (rlen && ref[rlen - 1] == '\n') ref[--rlen] = 0;
        while (u.n && u.p[u.n - 1] == '\n') u.p[--u.n] = 0;
        int equal = rc == 0 && strcmp((const char *)ref, u.p) == 0;
        for (const char *p = (const char *)ref; (p = strstr(p, "call ")); p++) calls++;
        if (equal) {
            same++;
        } else {
            differ++;
            print_message("diff: seed %" PRIu64 ": MISMATCH%s%s\n", seed, why[0] ? ": " : "", why);
            if (rc == 0) show_diff((const char *)ref, u.p);
            save_failure(tmp, seed, &u);
        }
        free(u.p);
        umbra_free(wasm);
        umbra_free(ref);
    }
    double secs = (double)(umbra_now_ns() - t0) / 1e9;
    print_message("diff: %ld modules (seeds %" PRIu64 "..%" PRIu64 "), %ld exports called: %ld identical, "
                  "%ld differ, %ld rejected by V8, %ld tool failures, %.1f s\n",
                  count, base, base + (uint64_t)count - 1, calls, same, differ, v8_rejects, tool_fail, secs);
    if (!getenv("UMBRA_DIFF_KEEP")) {
        snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
        if (system(cmd) != 0) print_message("diff: could not remove %s\n", tmp);
    }
    assert_int_equal(differ, 0);
    assert_true(tool_fail * 10 <= count); /* the tools themselves must mostly work */
    assert_true(same > 0 || count == 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_differential_v8),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
