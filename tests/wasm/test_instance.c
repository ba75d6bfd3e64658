/* test_instance.c — instances: imports of host functions through a linker (including
 * re-entrant calls back into the instance, host traps and exits), reset to the
 * just-instantiated state (memory contents and size, globals, tables, dropped segments),
 * exports, traps that leave the instance usable, and allocation failure during
 * instantiation (every failure is reported, nothing leaks — checked under ASan). */
#include "rt_util.h"

/*
 * (module
 *   (import "env" "add" (func $add (param i32 i32) (result i32)))
 *   (import "env" "reenter" (func $reenter (param i32) (result i32)))
 *   (import "env" "fail" (func $fail))
 *   (import "env" "bye" (func $bye))
 *   (memory (export "mem") 1 4)
 *   (global $g (export "g") (mut i32) (i32.const 42))
 *   (table $t 2 10 funcref)
 *   (elem (i32.const 0) $double)
 *   (data (i32.const 8) "init")
 *   (data $p "passive")
 *   (func $double (export "double") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2)))
 *   (func (export "call_add") (param i32 i32) (result i32) (call $add (local.get 0) (local.get 1)))
 *   (func (export "call_reenter") (param i32) (result i32) (call $reenter (local.get 0)))
 *   (func (export "call_fail") (call $fail))
 *   (func (export "call_bye") (call $bye))
 *   (func (export "mutate")
 *     (i32.store (i32.const 8) (i32.const 0x58585858))
 *     (i32.store (i32.const 1000) (i32.const 77))
 *     (global.set $g (i32.const 1))
 *     (drop (memory.grow (i32.const 2)))
 *     (drop (table.grow 0 (ref.null func) (i32.const 3)))
 *     (table.set 0 (i32.const 0) (ref.null func))
 *     (memory.init $p (i32.const 100) (i32.const 0) (i32.const 7))
 *     (data.drop $p))
 *   (func (export "state") (result i32 i32 i32 i32 i32)
 *     (i32.load (i32.const 8)) (i32.load (i32.const 1000)) (global.get $g) (memory.size) (table.size 0))
 *   (func (export "init_passive") (result i32)
 *     (memory.init $p (i32.const 100) (i32.const 0) (i32.const 7)) (i32.load8_u (i32.const 100)))
 *   (func (export "peek") (param i32) (result i32) (i32.load8_u (local.get 0)))
 *   (func (export "via_table") (param i32) (result i32)
 *     (call_indirect (param i32) (result i32) (local.get 0) (i32.const 0)))
 *   (func (export "oob") (result i32) (i32.load (i32.const 65535)))
 *   (func (export "unreach") unreachable)
 * )
 */
static const uint8_t k_inst[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x1b, 0x05, 0x60, 0x02, 0x7f, 0x7f, 0x01,
    0x7f, 0x60, 0x01, 0x7f, 0x01, 0x7f, 0x60, 0x00, 0x00, 0x60, 0x00, 0x05, 0x7f, 0x7f, 0x7f, 0x7f,
    0x7f, 0x60, 0x00, 0x01, 0x7f, 0x02, 0x2e, 0x04, 0x03, 0x65, 0x6e, 0x76, 0x03, 0x61, 0x64, 0x64,
    0x00, 0x00, 0x03, 0x65, 0x6e, 0x76, 0x07, 0x72, 0x65, 0x65, 0x6e, 0x74, 0x65, 0x72, 0x00, 0x01,
    0x03, 0x65, 0x6e, 0x76, 0x04, 0x66, 0x61, 0x69, 0x6c, 0x00, 0x02, 0x03, 0x65, 0x6e, 0x76, 0x03,
    0x62, 0x79, 0x65, 0x00, 0x02, 0x03, 0x0d, 0x0c, 0x01, 0x00, 0x01, 0x02, 0x02, 0x02, 0x03, 0x04,
    0x01, 0x01, 0x04, 0x02, 0x04, 0x05, 0x01, 0x70, 0x01, 0x02, 0x0a, 0x05, 0x04, 0x01, 0x01, 0x01,
    0x04, 0x06, 0x06, 0x01, 0x7f, 0x01, 0x41, 0x2a, 0x0b, 0x07, 0x88, 0x01, 0x0e, 0x03, 0x6d, 0x65,
    0x6d, 0x02, 0x00, 0x01, 0x67, 0x03, 0x00, 0x06, 0x64, 0x6f, 0x75, 0x62, 0x6c, 0x65, 0x00, 0x04,
    0x08, 0x63, 0x61, 0x6c, 0x6c, 0x5f, 0x61, 0x64, 0x64, 0x00, 0x05, 0x0c, 0x63, 0x61, 0x6c, 0x6c,
    0x5f, 0x72, 0x65, 0x65, 0x6e, 0x74, 0x65, 0x72, 0x00, 0x06, 0x09, 0x63, 0x61, 0x6c, 0x6c, 0x5f,
    0x66, 0x61, 0x69, 0x6c, 0x00, 0x07, 0x08, 0x63, 0x61, 0x6c, 0x6c, 0x5f, 0x62, 0x79, 0x65, 0x00,
    0x08, 0x06, 0x6d, 0x75, 0x74, 0x61, 0x74, 0x65, 0x00, 0x09, 0x05, 0x73, 0x74, 0x61, 0x74, 0x65,
    0x00, 0x0a, 0x0c, 0x69, 0x6e, 0x69, 0x74, 0x5f, 0x70, 0x61, 0x73, 0x73, 0x69, 0x76, 0x65, 0x00,
    0x0b, 0x04, 0x70, 0x65, 0x65, 0x6b, 0x00, 0x0c, 0x09, 0x76, 0x69, 0x61, 0x5f, 0x74, 0x61, 0x62,
    0x6c, 0x65, 0x00, 0x0d, 0x03, 0x6f, 0x6f, 0x62, 0x00, 0x0e, 0x07, 0x75, 0x6e, 0x72, 0x65, 0x61,
    0x63, 0x68, 0x00, 0x0f, 0x09, 0x07, 0x01, 0x00, 0x41, 0x00, 0x0b, 0x01, 0x04, 0x0c, 0x01, 0x02,
    0x0a, 0xa8, 0x01, 0x0c, 0x07, 0x00, 0x20, 0x00, 0x41, 0x02, 0x6c, 0x0b, 0x08, 0x00, 0x20, 0x00,
    0x20, 0x01, 0x10, 0x00, 0x0b, 0x06, 0x00, 0x20, 0x00, 0x10, 0x01, 0x0b, 0x04, 0x00, 0x10, 0x02,
    0x0b, 0x04, 0x00, 0x10, 0x03, 0x0b, 0x3b, 0x00, 0x41, 0x08, 0x41, 0xd8, 0xb0, 0xe1, 0xc2, 0x05,
    0x36, 0x02, 0x00, 0x41, 0xe8, 0x07, 0x41, 0xcd, 0x00, 0x36, 0x02, 0x00, 0x41, 0x01, 0x24, 0x00,
    0x41, 0x02, 0x40, 0x00, 0x1a, 0xd0, 0x70, 0x41, 0x03, 0xfc, 0x0f, 0x00, 0x1a, 0x41, 0x00, 0xd0,
    0x70, 0x26, 0x00, 0x41, 0xe4, 0x00, 0x41, 0x00, 0x41, 0x07, 0xfc, 0x08, 0x01, 0x00, 0xfc, 0x09,
    0x01, 0x0b, 0x14, 0x00, 0x41, 0x08, 0x28, 0x02, 0x00, 0x41, 0xe8, 0x07, 0x28, 0x02, 0x00, 0x23,
    0x00, 0x3f, 0x00, 0xfc, 0x10, 0x00, 0x0b, 0x13, 0x00, 0x41, 0xe4, 0x00, 0x41, 0x00, 0x41, 0x07,
    0xfc, 0x08, 0x01, 0x00, 0x41, 0xe4, 0x00, 0x2d, 0x00, 0x00, 0x0b, 0x07, 0x00, 0x20, 0x00, 0x2d,
    0x00, 0x00, 0x0b, 0x09, 0x00, 0x20, 0x00, 0x41, 0x00, 0x11, 0x01, 0x00, 0x0b, 0x09, 0x00, 0x41,
    0xff, 0xff, 0x03, 0x28, 0x02, 0x00, 0x0b, 0x03, 0x00, 0x00, 0x0b, 0x0b, 0x13, 0x02, 0x00, 0x41,
    0x08, 0x0b, 0x04, 0x69, 0x6e, 0x69, 0x74, 0x01, 0x07, 0x70, 0x61, 0x73, 0x73, 0x69, 0x76, 0x65,
};

static const uint8_t k_ii_i[] = {UW_I32, UW_I32, UW_I32};

static int host_add(uw_call *call, const uw_val *args, uw_val *results, void *ud) {
    (void)call, (void)ud;
    results[0].of.i32 = args[0].of.i32 + args[1].of.i32;
    return 0;
}

static int host_reenter(uw_call *call, const uw_val *args, uw_val *results, void *ud) {
    (void)ud;
    if (args[0].of.i32 <= 0) {
        results[0].of.i32 = 100;
        return 0;
    }
    uw_val a = uw_val_i32(args[0].of.i32 - 1), r;
    uw_trap t;
    int rc = uw_instance_call(uw_call_instance(call), "call_reenter", &a, 1, &r, 1, &t);
    if (rc) return uw_call_trap(call, "nested call failed: %s", t.message);
    results[0].of.i32 = r.of.i32 + 1;
    return 0;
}

static int host_fail(uw_call *call, const uw_val *args, uw_val *results, void *ud) {
    (void)args, (void)results, (void)ud;
    return uw_call_trap(call, "boom %d", 7);
}

static int host_bye(uw_call *call, const uw_val *args, uw_val *results, void *ud) {
    (void)args, (void)results, (void)ud;
    return uw_call_exit(call, 3);
}

typedef struct fixture {
    uw_engine *e;
    uw_module *m;
    uw_linker *l;
} fixture;

static void fx_open(fixture *f) {
    assert_int_equal(uw_engine_new(NULL, &f->e), 0);
    uw_error err;
    int rc = uw_module_new(f->e, k_inst, sizeof k_inst, &f->m, &err);
    if (rc) fail_msg("module: %s", err.message);
    assert_int_equal(uw_linker_new(f->e, &f->l), 0);
    uw_functype t_add = {k_ii_i, 2, k_ii_i + 2, 1};
    uw_functype t_i_i = {k_ii_i, 1, k_ii_i, 1};
    uw_functype t_v = {NULL, 0, NULL, 0};
    assert_int_equal(uw_linker_define_func(f->l, "env", "add", &t_add, host_add, NULL), 0);
    assert_int_equal(uw_linker_define_func(f->l, "env", "reenter", &t_i_i, host_reenter, NULL), 0);
    assert_int_equal(uw_linker_define_func(f->l, "env", "fail", &t_v, host_fail, NULL), 0);
    assert_int_equal(uw_linker_define_func(f->l, "env", "bye", &t_v, host_bye, NULL), 0);
}

static void fx_close(fixture *f) {
    uw_linker_free(f->l);
    uw_module_free(f->m);
    uw_engine_free(f->e);
}

static uw_instance *fx_inst(fixture *f) {
    uw_instance *in;
    uw_trap t;
    int rc = uw_instance_new(f->m, f->l, NULL, &in, &t);
    if (rc) fail_msg("instantiate: %s (%s)", umbra_strerror(rc), t.message);
    return in;
}

static void test_host_functions(void **state) {
    (void)state;
    fixture f;
    fx_open(&f);
    uw_instance *in = fx_inst(&f);
    uw_trap t;
    uw_val a[2] = {uw_val_i32(40), uw_val_i32(2)}, r;
    assert_int_equal(uw_instance_call(in, "call_add", a, 2, &r, 1, &t), 0);
    assert_int_equal(r.of.i32, 42);
    a[0] = uw_val_i32(5);
    assert_int_equal(uw_instance_call(in, "call_reenter", a, 1, &r, 1, &t), 0);
    assert_int_equal(r.of.i32, 105);
    assert_int_equal(uw_instance_call(in, "call_fail", NULL, 0, NULL, 0, &t), UMBRA_EWASM_TRAP);
    assert_int_equal(t.kind, UW_TRAP_HOST);
    assert_non_null(strstr(t.message, "boom 7"));
    assert_int_equal(uw_instance_call(in, "call_bye", NULL, 0, NULL, 0, &t), UMBRA_EWASM_EXIT);
    assert_int_equal(t.kind, UW_TRAP_EXIT);
    assert_int_equal(t.exit_code, 3);
    /* a missing import is a link error */
    uw_linker *empty;
    assert_int_equal(uw_linker_new(f.e, &empty), 0);
    uw_instance *bad = (uw_instance *)1;
    assert_int_equal(uw_instance_new(f.m, empty, NULL, &bad, &t), UMBRA_EWASM_LINK);
    assert_null(bad);
    uw_linker_free(empty);
    uw_instance_free(in);
    fx_close(&f);
}

static void expect_state(uw_instance *in, int32_t w8, int32_t w1000, int32_t g, int32_t pages,
                         int32_t tsize) {
    uw_val r[5];
    uw_trap t;
    assert_int_equal(uw_instance_call(in, "state", NULL, 0, r, 5, &t), 0);
    assert_int_equal(r[0].of.i32, w8);
    assert_int_equal(r[1].of.i32, w1000);
    assert_int_equal(r[2].of.i32, g);
    assert_int_equal(r[3].of.i32, pages);
    assert_int_equal(r[4].of.i32, tsize);
}

static void test_reset(void **state) {
    (void)state;
    fixture f;
    fx_open(&f);
    uw_instance *in = fx_inst(&f);
    uw_trap t;
    uw_val r, a = uw_val_i32(4);
    const int32_t init = 0x74696e69; /* "init" little-endian */
    for (int round = 0; round < 3; round++) {
        expect_state(in, init, 0, 42, 1, 2);
        assert_int_equal(uw_instance_call(in, "via_table", &a, 1, &r, 1, &t), 0);
        assert_int_equal(r.of.i32, 8);
        assert_int_equal(uw_instance_call(in, "mutate", NULL, 0, NULL, 0, &t), 0);
        expect_state(in, 0x58585858, 77, 1, 3, 5);
        assert_int_equal(uw_instance_call(in, "via_table", &a, 1, &r, 1, &t), UMBRA_EWASM_TRAP);
        assert_int_equal(t.kind, UW_TRAP_UNINIT_ELEM);
        /* the passive segment was dropped */
        assert_int_equal(uw_instance_call(in, "init_passive", NULL, 0, &r, 1, &t), UMBRA_EWASM_TRAP);
        assert_int_equal(t.kind, UW_TRAP_MEMORY_OOB);
        assert_int_equal(uw_instance_reset(in, &t), 0);
        uw_val p = uw_val_i32(100);
        assert_int_equal(uw_instance_call(in, "peek", &p, 1, &r, 1, &t), 0);
        assert_int_equal(r.of.i32, 0); /* memory.init's bytes are gone */
    }
    assert_int_equal(uw_instance_call(in, "init_passive", NULL, 0, &r, 1, &t), 0);
    assert_int_equal(r.of.i32, 'p');
    uw_instance_free(in);
    fx_close(&f);
}

static void test_exports_and_traps(void **state) {
    (void)state;
    fixture f;
    fx_open(&f);
    uw_instance *in = fx_inst(&f);
    uw_trap t;
    uw_extern x;
    assert_int_equal(uw_instance_export(in, "mem", 3, &x), 0);
    assert_int_equal(x.kind, UW_EXTERN_MEMORY);
    assert_ptr_equal(x.of.memory, uw_instance_memory(in));
    size_t size;
    uint8_t *base = uw_memory_data(x.of.memory, &size);
    assert_int_equal(size, 65536);
    assert_memory_equal(base + 8, "init", 4);
    uw_val g;
    assert_int_equal(uw_instance_get_global(in, "g", &g), 0);
    assert_int_equal(g.of.i32, 42);
    assert_int_equal(uw_instance_export(in, "double", 6, &x), 0);
    uw_val a = uw_val_i32(21), r;
    assert_int_equal(uw_func_call(x.of.func, &a, 1, &r, 1, &t), 0);
    assert_int_equal(r.of.i32, 42);
    assert_int_equal(uw_instance_call(in, "oob", NULL, 0, &r, 1, &t), UMBRA_EWASM_TRAP);
    assert_int_equal(t.kind, UW_TRAP_MEMORY_OOB);
    assert_string_equal(t.message, "out of bounds memory access");
    assert_int_equal(uw_instance_call(in, "unreach", NULL, 0, NULL, 0, &t), UMBRA_EWASM_TRAP);
    assert_int_equal(t.kind, UW_TRAP_UNREACHABLE);
    assert_int_equal(uw_func_call(x.of.func, &a, 1, &r, 1, &t), 0);
    uw_instance_free(in);
    fx_close(&f);
}

static void test_alloc_failures(void **state) {
    (void)state;
    fixture f;
    fx_open(&f);
    int ok = 0;
    for (unsigned long n = 1; n < 60; n++) {
        uw_instance *in = NULL;
        uw_trap t;
        umbra_alloc_fail_after(n, 1);
        int rc = uw_instance_new(f.m, f.l, NULL, &in, &t);
        uw_val a = uw_val_i32(1), r;
        int crc = rc == 0 ? uw_instance_call(in, "double", &a, 1, &r, 1, &t) : 0;
        umbra_alloc_fail_after(0, 0);
        if (rc == 0) {
            ok++;
            assert_true(crc == 0 || (crc == UMBRA_ENOMEM && t.kind == UW_TRAP_NOMEM));
            uw_instance_free(in);
        } else {
            assert_int_equal(rc, UMBRA_ENOMEM);
            assert_null(in);
        }
    }
    assert_true(ok > 0);
    fx_close(&f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_host_functions),
        cmocka_unit_test(test_reset),
        cmocka_unit_test(test_exports_and_traps),
        cmocka_unit_test(test_alloc_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
