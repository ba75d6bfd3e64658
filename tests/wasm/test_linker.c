/* tests for src/wasm/linker.c and module.c: the engine host registry, linker definitions,
 * whole-instance registration (shadowing, re-registration), import matching (§4.5.2:
 * kinds, function signatures, limits, global mutability) with its error reports, module
 * introspection and uw_module_new's error reporting. End to end through instantiation and
 * calls, so the runtime is exercised too; the spec suite's assert_unlinkable commands
 * (test_spec.c) cover further matching rules. */
#include "testutil.h"
#include "umbra/wasm.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- module builder ------------------------------------------------------------------------ */

static void put_hex(umbra_buf *b, const char *hex) {
    size_t n;
    uint8_t *p = tu_hex(hex, &n);
    assert_int_equal(umbra_buf_append(b, p, n), 0);
    free(p);
}

static void sec(umbra_buf *b, uint8_t id, const char *hex) {
    size_t n;
    uint8_t *p = tu_hex(hex, &n);
    assert_true(n < 128);
    assert_int_equal(umbra_buf_append_byte(b, id), 0);
    assert_int_equal(umbra_buf_append_byte(b, (uint8_t)n), 0);
    assert_int_equal(umbra_buf_append(b, p, n), 0);
    free(p);
}

static uw_module *compile(uw_engine *e, umbra_buf *b) {
    uw_module *m;
    uw_error err;
    int rc = uw_module_new(e, b->data, b->len, &m, &err);
    if (rc) fail_msg("uw_module_new: %s: %s @%u", umbra_errname(rc), err.message, err.offset);
    umbra_buf_free(b);
    return m;
}

static void begin(umbra_buf *b) {
    umbra_buf_init(b, 0);
    put_hex(b, "0061736d01000000");
}

/* (import "env" "add" (func (param i32 i32) (result i32)))
 * (func (export "run") (param i32 i32) (result i32) local.get 0 local.get 1 call 0) */
static uw_module *mod_add_importer(uw_engine *e) {
    umbra_buf b;
    begin(&b);
    sec(&b, 1, "0160027f7f017f");
    sec(&b, 2, "0103656e760361646400" "00");
    sec(&b, 3, "0100");
    sec(&b, 7, "010372756e0001");
    sec(&b, 10, "01" "08" "00200020011000" "0b");
    return compile(e, &b);
}

/* (func (export "f") (result i32) i32.const K) (global (export "g") i32 (i32.const 5)) */
static uw_module *mod_provider(uw_engine *e, int k) {
    umbra_buf b;
    char code[32];
    begin(&b);
    sec(&b, 1, "016000017f");
    sec(&b, 3, "0100");
    sec(&b, 6, "017f0041050b");
    sec(&b, 7, "02" "016600" "00" "016703" "00");
    snprintf(code, sizeof code, "01" "04" "0041%02x0b", k);
    sec(&b, 10, code);
    return compile(e, &b);
}

/* (import "D" "f" (func (result i32))) (func (export "run") (result i32) call 0) */
static uw_module *mod_f_importer(uw_engine *e) {
    umbra_buf b;
    begin(&b);
    sec(&b, 1, "016000017f");
    sec(&b, 2, "0101440166" "0000");
    sec(&b, 3, "0100");
    sec(&b, 7, "010372756e0001");
    sec(&b, 10, "01" "04" "0010000b");
    return compile(e, &b);
}

/* (import "env" "mem" (memory <limits hex>)) */
static uw_module *mod_mem_importer(uw_engine *e, const char *limits) {
    umbra_buf b;
    char imp[64];
    begin(&b);
    snprintf(imp, sizeof imp, "0103656e76036d656d02%s", limits);
    sec(&b, 2, imp);
    return compile(e, &b);
}

/* (import "env" "g" (global <type> <mut>)) */
static uw_module *mod_global_importer(uw_engine *e, const char *gt) {
    umbra_buf b;
    char imp[64];
    begin(&b);
    snprintf(imp, sizeof imp, "0103656e76016703%s", gt);
    sec(&b, 2, imp);
    return compile(e, &b);
}

static int host_add(uw_call *call, const uw_val *args, uw_val *results, void *ud) {
    (void)call;
    results[0].of.i32 = args[0].of.i32 + args[1].of.i32 + (int32_t)(intptr_t)ud;
    return 0;
}

static int host_const(uw_call *call, const uw_val *args, uw_val *results, void *ud) {
    (void)call;
    (void)args;
    results[0].of.i32 = (int32_t)(intptr_t)ud;
    return 0;
}

static const uint8_t k_ii[] = {UW_I32, UW_I32}, k_i[] = {UW_I32};
static const uw_functype k_add_type = {k_ii, 2, k_i, 1};
static const uw_functype k_void_i32 = {NULL, 0, k_i, 1};

static int32_t call_i32(uw_instance *in, const char *name, const uw_val *args, size_t nargs) {
    uw_val r;
    uw_trap trap;
    int rc = uw_instance_call(in, name, args, nargs, &r, 1, &trap);
    if (rc) fail_msg("call %s: %s: %s", name, umbra_errname(rc), trap.message);
    assert_int_equal(r.type, UW_I32);
    return r.of.i32;
}

/* ---- tests --------------------------------------------------------------------------------- */

static void engine_registry(void **state) {
    (void)state;
    uw_engine *e;
    assert_int_equal(uw_engine_new(NULL, &e), 0);
    /* Many registrations (the registry is hashed) plus the one the module needs. */
    char name[32];
    for (int i = 0; i < 300; i++) {
        snprintf(name, sizeof name, "fn%d", i);
        assert_int_equal(uw_engine_define_func(e, "env", name, &k_add_type, host_add, NULL), 0);
    }
    assert_int_equal(uw_engine_define_func(e, "env", "add", &k_add_type, host_add, (void *)(intptr_t)100), 0);
    assert_int_equal(uw_engine_define_func(e, "env", "add", &k_add_type, host_add, NULL), UMBRA_EEXIST);
    assert_int_equal(uw_engine_define_func(e, "env", "x", NULL, host_add, NULL), UMBRA_EINVAL);
    static const uint8_t bad[] = {0x42};
    const uw_functype badt = {bad, 1, NULL, 0};
    assert_int_equal(uw_engine_define_func(e, "env", "y", &badt, host_add, NULL), UMBRA_EINVAL);

    /* Resolution through the registry with no linker at all, and through an empty one. */
    uw_module *m = mod_add_importer(e);
    uw_instance *in;
    uw_trap trap;
    assert_int_equal(uw_instance_new(m, NULL, NULL, &in, &trap), 0);
    uw_val args[2] = {uw_val_i32(2), uw_val_i32(3)};
    assert_int_equal(call_i32(in, "run", args, 2), 105);
    uw_instance_free(in);

    uw_linker *l;
    assert_int_equal(uw_linker_new(e, &l), 0);
    uw_extern x;
    assert_int_equal(uw_linker_get(l, "env", 3, "fn299", 5, &x), 0);
    assert_int_equal(x.kind, UW_EXTERN_FUNC);
    assert_int_equal(uw_linker_get(l, "env", 3, "fn300", 5, &x), UMBRA_ENOENT);
    /* A linker definition takes precedence over the engine registry. */
    assert_int_equal(uw_linker_define_func(l, "env", "add", &k_add_type, host_add, (void *)(intptr_t)7), 0);
    assert_int_equal(uw_linker_define_func(l, "env", "add", &k_add_type, host_add, NULL), UMBRA_EEXIST);
    assert_int_equal(uw_instance_new(m, l, NULL, &in, &trap), 0);
    assert_int_equal(call_i32(in, "run", args, 2), 12);
    uw_instance_free(in);
    uw_linker_free(l);
    uw_module_free(m);
    uw_engine_free(e);
}

static void instance_registration(void **state) {
    (void)state;
    uw_engine *e;
    assert_int_equal(uw_engine_new(NULL, &e), 0);
    uw_module *p1 = mod_provider(e, 7), *p2 = mod_provider(e, 9), *imp = mod_f_importer(e);
    uw_instance *i1, *i2, *in;
    uw_trap trap;
    assert_int_equal(uw_instance_new(p1, NULL, NULL, &i1, &trap), 0);
    assert_int_equal(uw_instance_new(p2, NULL, NULL, &i2, &trap), 0);
    uw_linker *l;
    assert_int_equal(uw_linker_new(e, &l), 0);

    /* Unknown module name: a link error that names the import. */
    assert_int_equal(uw_instance_new(imp, l, NULL, &in, &trap), UMBRA_EWASM_LINK);
    assert_null(in);
    assert_int_equal(trap.kind, UW_TRAP_LINK);
    assert_non_null(strstr(trap.message, "unknown import"));
    assert_non_null(strstr(trap.message, "\"D\".\"f\""));

    assert_int_equal(uw_linker_define_instance(l, "D", i1), 0);
    assert_int_equal(uw_instance_new(imp, l, NULL, &in, &trap), 0);
    assert_int_equal(call_i32(in, "run", NULL, 0), 7);
    uw_instance_free(in);

    /* Re-registering the name replaces the instance. */
    assert_int_equal(uw_linker_define_instance(l, "D", i2), 0);
    assert_int_equal(uw_instance_new(imp, l, NULL, &in, &trap), 0);
    assert_int_equal(call_i32(in, "run", NULL, 0), 9);
    uw_instance_free(in);

    /* A later field definition shadows the registered instance's export. */
    assert_int_equal(uw_linker_define_func(l, "D", "f", &k_void_i32, host_const, (void *)(intptr_t)3), 0);
    assert_int_equal(uw_instance_new(imp, l, NULL, &in, &trap), 0);
    assert_int_equal(call_i32(in, "run", NULL, 0), 3);
    uw_instance_free(in);

    /* Exports of the wrong kind or signature are incompatible. */
    uw_linker *l2;
    assert_int_equal(uw_linker_new(e, &l2), 0);
    uw_extern g;
    assert_int_equal(uw_instance_export(i1, "g", 1, &g), 0);
    assert_int_equal(g.kind, UW_EXTERN_GLOBAL);
    assert_int_equal(uw_linker_define(l2, "D", "f", g), 0);
    assert_int_equal(uw_instance_new(imp, l2, NULL, &in, &trap), UMBRA_EWASM_LINK);
    assert_non_null(strstr(trap.message, "incompatible import type"));
    uw_linker_free(l2);
    assert_int_equal(uw_linker_new(e, &l2), 0);
    assert_int_equal(uw_linker_define_func(l2, "D", "f", &k_add_type, host_add, NULL), 0);
    assert_int_equal(uw_instance_new(imp, l2, NULL, &in, &trap), UMBRA_EWASM_LINK);
    assert_non_null(strstr(trap.message, "incompatible import type"));
    uw_linker_free(l2);

    uw_extern bad = {.kind = UW_EXTERN_FUNC};
    assert_int_equal(uw_linker_define(l, "D", "h", bad), UMBRA_EINVAL);
    uw_linker_free(l);
    uw_instance_free(i1);
    uw_instance_free(i2);
    uw_module_free(p1);
    uw_module_free(p2);
    uw_module_free(imp);
    uw_engine_free(e);
}

static void memory_and_global_matching(void **state) {
    (void)state;
    uw_engine *e;
    assert_int_equal(uw_engine_new(NULL, &e), 0);
    uw_memory *mem; /* 1 page now, at most 2 */
    assert_int_equal(uw_memory_new(e, 1, 2, &mem), 0);
    uw_global *gc, *gm;
    assert_int_equal(uw_global_new(e, uw_val_i32(5), false, &gc), 0);
    assert_int_equal(uw_global_new(e, uw_val_i32(6), true, &gm), 0);
    uw_linker *l;
    assert_int_equal(uw_linker_new(e, &l), 0);
    assert_int_equal(uw_linker_define(l, "env", "mem", (uw_extern){.kind = UW_EXTERN_MEMORY, .of.memory = mem}), 0);
    assert_int_equal(uw_linker_define(l, "env", "g", (uw_extern){.kind = UW_EXTERN_GLOBAL, .of.global = gc}), 0);

    /* §4.5.2 limits: have {1, 2} against want {min, max?}. */
    static const struct {
        const char *limits;
        int ok;
    } cases[] = {
        {"0001", 1},   /* {1}: 1 >= 1 */
        {"0002", 0},   /* {2}: current size 1 < 2 */
        {"010103", 1}, /* {1, 3}: max 2 <= 3 */
        {"010102", 1}, /* {1, 2} */
        {"010101", 0}, /* {1, 1}: max 2 > 1 */
        {"0000", 1},   /* {0} */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uw_module *m = mod_mem_importer(e, cases[i].limits);
        uw_instance *in;
        uw_trap trap;
        int rc = uw_instance_new(m, l, NULL, &in, &trap);
        if (cases[i].ok) {
            if (rc) fail_msg("limits %s: %s", cases[i].limits, trap.message);
            assert_true(uw_instance_memory(in) == mem);
            uw_instance_free(in);
        } else {
            assert_int_equal(rc, UMBRA_EWASM_LINK);
            assert_non_null(strstr(trap.message, "incompatible import type"));
        }
        uw_module_free(m);
    }
    /* A memory with no maximum does not match an import that demands one. */
    uw_memory *unbounded;
    assert_int_equal(uw_memory_new(e, 1, UINT32_MAX, &unbounded), 0);
    uw_linker *l2;
    assert_int_equal(uw_linker_new(e, &l2), 0);
    assert_int_equal(uw_linker_define(l2, "env", "mem", (uw_extern){.kind = UW_EXTERN_MEMORY, .of.memory = unbounded}), 0);
    uw_module *m = mod_mem_importer(e, "010105");
    uw_instance *in;
    uw_trap trap;
    assert_int_equal(uw_instance_new(m, l2, NULL, &in, &trap), UMBRA_EWASM_LINK);
    uw_module_free(m);
    uw_linker_free(l2);

    /* Globals: value type and mutability must both match. */
    static const struct {
        const char *gt;
        int ok;
    } gcases[] = {{"7f00", 1}, {"7f01", 0}, {"7e00", 0}};
    for (size_t i = 0; i < sizeof gcases / sizeof gcases[0]; i++) {
        m = mod_global_importer(e, gcases[i].gt);
        int rc = uw_instance_new(m, l, NULL, &in, &trap);
        if (gcases[i].ok) {
            assert_int_equal(rc, 0);
            uw_instance_free(in);
        } else {
            assert_int_equal(rc, UMBRA_EWASM_LINK);
        }
        uw_module_free(m);
    }
    assert_int_equal(uw_linker_new(e, &l2), 0);
    assert_int_equal(uw_linker_define(l2, "env", "g", (uw_extern){.kind = UW_EXTERN_GLOBAL, .of.global = gm}), 0);
    m = mod_global_importer(e, "7f01");
    assert_int_equal(uw_instance_new(m, l2, NULL, &in, &trap), 0);
    uw_instance_free(in);
    uw_module_free(m);
    uw_linker_free(l2);

    uw_linker_free(l);
    uw_memory_free(mem);
    uw_memory_free(unbounded);
    uw_global_free(gc);
    uw_global_free(gm);
    uw_engine_free(e);
}

static void module_api(void **state) {
    (void)state;
    uw_engine *e;
    assert_int_equal(uw_engine_new(NULL, &e), 0);
    uw_module *m = mod_add_importer(e);
    assert_int_equal(uw_module_import_count(m), 1);
    uw_import_info ii;
    assert_int_equal(uw_module_import(m, 0, &ii), 0);
    assert_string_equal(ii.module, "env");
    assert_int_equal(ii.name_len, 3);
    assert_int_equal(ii.kind, UW_EXTERN_FUNC);
    assert_int_equal(uw_module_import(m, 1, &ii), UMBRA_ERANGE);
    assert_int_equal(uw_module_export_count(m), 1);
    uw_export_info ei;
    assert_int_equal(uw_module_export(m, 0, &ei), 0);
    assert_string_equal(ei.name, "run");
    assert_int_equal(ei.index, 1);
    uw_functype ft;
    assert_int_equal(uw_module_func_type(m, ei.index, &ft), 0);
    assert_int_equal(ft.nparams, 2);
    assert_int_equal(ft.nresults, 1);
    assert_int_equal(ft.results[0], UW_I32);
    assert_int_equal(uw_module_func_type(m, 2, &ft), UMBRA_ERANGE);
    uw_module_free(m);
    uw_module_free(NULL);

    /* Errors: class in the return value and in err; err may be NULL. */
    static const uint8_t junk[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x0d, 0x00};
    uw_error err;
    assert_int_equal(uw_module_new(e, junk, sizeof junk, &m, &err), UMBRA_EWASM_MALFORMED);
    assert_null(m);
    assert_int_equal(err.code, UMBRA_EWASM_MALFORMED);
    assert_non_null(strstr(err.message, "malformed section id"));
    assert_int_equal(err.offset, 8);
    assert_int_equal(uw_module_new(e, junk, sizeof junk, &m, NULL), UMBRA_EWASM_MALFORMED);
    /* (func (result i32)) with an empty body: invalid. */
    umbra_buf b;
    begin(&b);
    sec(&b, 1, "016000017f");
    sec(&b, 3, "0100");
    sec(&b, 10, "0102000b");
    assert_int_equal(uw_module_new(e, b.data, b.len, &m, &err), UMBRA_EWASM_INVALID);
    assert_non_null(strstr(err.message, "type mismatch"));
    umbra_buf_free(&b);
    assert_int_equal(uw_module_new(e, NULL, 0, &m, &err), UMBRA_EWASM_MALFORMED);

    /* Function names from the "name" custom section (§7.4), and a broken one ignored. */
    begin(&b);
    sec(&b, 1, "01600000");
    sec(&b, 3, "020000");
    sec(&b, 10, "02" "02000b" "02000b");
    /* "name": module-name subsection 0 (skipped), function names {1: "bc", 0: "a"}. */
    sec(&b, 0, "046e616d65" "000201" "78" "0108" "02" "01026263" "000161");
    m = compile(e, &b);
    const char *nm;
    size_t nl;
    assert_int_equal(uw_module_func_name(m, 0, &nm, &nl), 0);
    assert_int_equal(nl, 1);
    assert_memory_equal(nm, "a", 1);
    assert_int_equal(uw_module_func_name(m, 1, &nm, &nl), 0);
    assert_int_equal(nl, 2);
    assert_memory_equal(nm, "bc", 2);
    assert_int_equal(uw_module_func_name(m, 2, &nm, &nl), UMBRA_ENOENT);
    assert_null(nm);
    uw_module_free(m);
    begin(&b);
    sec(&b, 1, "01600000");
    sec(&b, 3, "0100");
    sec(&b, 10, "0102000b");
    sec(&b, 0, "046e616d65" "01ff" "0100"); /* subsection larger than the section */
    sec(&b, 0, "046e616d65" "0105" "01" "0003c0af61"); /* second name section, bad UTF-8 */
    m = compile(e, &b);
    assert_int_equal(uw_module_func_name(m, 0, &nm, &nl), UMBRA_ENOENT);
    uw_module_free(m);
    uw_engine_free(e);
}

/* Every allocation on the load → link → instantiate → call path can fail cleanly: the
 * n-th allocation fails for n = 1, 2, ... until the whole sequence succeeds; each failure
 * must surface as UMBRA_ENOMEM (ASan checks that nothing leaks). */
static void allocation_failures(void **state) {
    (void)state;
    uw_engine *e;
    assert_int_equal(uw_engine_new(NULL, &e), 0);
    assert_int_equal(uw_engine_define_func(e, "env", "add", &k_add_type, host_add, NULL), 0);
    umbra_buf b;
    begin(&b);
    sec(&b, 1, "0160027f7f017f");
    sec(&b, 2, "0103656e760361646400" "00");
    sec(&b, 3, "0100");
    sec(&b, 5, "010001");
    sec(&b, 6, "017f0141070b");
    sec(&b, 7, "020372756e0001" "036d656d0200");
    sec(&b, 10, "01" "08" "00200020011000" "0b");
    sec(&b, 11, "0100410b0b026869");
    int rc = UMBRA_ENOMEM;
    unsigned long n;
    for (n = 1; n < 2000 && rc; n++) {
        uw_module *m = NULL;
        uw_instance *in = NULL;
        uw_linker *l = NULL;
        uw_trap trap;
        uw_val args[2] = {uw_val_i32(40), uw_val_i32(2)}, r;
        umbra_alloc_fail_after(n, 0);
        uw_error err;
        rc = uw_module_new(e, b.data, b.len, &m, &err);
        if (!rc) rc = uw_linker_new(e, &l);
        if (!rc) rc = uw_instance_new(m, l, NULL, &in, &trap);
        if (!rc) rc = uw_instance_call(in, "run", args, 2, &r, 1, &trap);
        umbra_alloc_fail_after(0, 0);
        if (rc && rc != UMBRA_ENOMEM && !(rc == UMBRA_EWASM_TRAP && trap.kind == UW_TRAP_NOMEM))
            fail_msg("allocation %lu: %s (%s / %s)", n, umbra_errname(rc), rc == UMBRA_EWASM_TRAP ? trap.message : "", err.message);
        if (!rc) assert_int_equal(r.of.i32, 42);
        uw_instance_free(in);
        uw_linker_free(l);
        uw_module_free(m);
    }
    assert_int_equal(rc, 0);
    assert_true(n > 5);
    umbra_buf_free(&b);
    uw_engine_free(e);
}

/* uw_module_new from many threads on one engine (type interning and the registry are
 * shared): every thread loads, instantiates through the registry and calls. */
typedef struct load_arg {
    uw_engine *e;
    int ok;
} load_arg;

static void *load_thread(void *p) {
    load_arg *a = p;
    static const uint8_t mod[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x07, 0x01, 0x60, 0x02, 0x7f,
                                  0x7f, 0x01, 0x7f, 0x02, 0x0b, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x03, 0x61, 0x64, 0x64,
                                  0x00, 0x00, 0x03, 0x02, 0x01, 0x00, 0x07, 0x07, 0x01, 0x03, 0x72, 0x75, 0x6e, 0x00,
                                  0x01, 0x0a, 0x0a, 0x01, 0x08, 0x00, 0x20, 0x00, 0x20, 0x01, 0x10, 0x00, 0x0b};
    for (int i = 0; i < 50; i++) {
        uw_module *m;
        uw_instance *in;
        uw_trap trap;
        uw_val args[2] = {uw_val_i32(i), uw_val_i32(1)}, r;
        if (uw_module_new(a->e, mod, sizeof mod, &m, NULL)) return NULL;
        int rc = uw_instance_new(m, NULL, NULL, &in, &trap);
        if (!rc) rc = uw_instance_call(in, "run", args, 2, &r, 1, &trap);
        if (!rc && r.of.i32 == i + 1) a->ok++;
        uw_instance_free(in);
        uw_module_free(m);
    }
    return NULL;
}

static void concurrent_loading(void **state) {
    (void)state;
    uw_engine *e;
    assert_int_equal(uw_engine_new(NULL, &e), 0);
    assert_int_equal(uw_engine_define_func(e, "env", "add", &k_add_type, host_add, NULL), 0);
    load_arg args[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        args[i].e = e;
        args[i].ok = 0;
        assert_int_equal(pthread_create(&th[i], NULL, load_thread, &args[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(args[i].ok, 50);
    }
    uw_engine_free(e);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(engine_registry),
        cmocka_unit_test(instance_registration),
        cmocka_unit_test(memory_and_global_matching),
        cmocka_unit_test(module_api),
        cmocka_unit_test(allocation_failures),
        cmocka_unit_test(concurrent_loading),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
