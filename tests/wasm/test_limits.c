/* test_limits.c — sandbox limits of the runtime: deterministic fuel charged per basic block
 * (and by length for bulk operations), out-of-fuel traps, wall-clock deadlines through the
 * engine epoch (an infinite loop always stops, also inside a start function), memory and
 * table caps (grow returns -1, instantiation over a cap fails), call-depth and value-stack
 * bounds (deep recursion traps instead of overflowing the host stack). */
#include "rt_util.h"

/*
 * (module
 *   (memory 1 100)
 *   (table 1 1000 funcref)
 *   (func (export "spin") (loop (br 0)))
 *   (func (export "count") (param i32) (result i32) (local i32)
 *     (block (loop
 *       (br_if 1 (i32.eqz (local.get 0)))
 *       (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
 *       (local.set 1 (i32.add (local.get 1) (i32.const 1)))
 *       (br 0)))
 *     (local.get 1))
 *   (func $rec (export "rec") (param i32) (result i32)
 *     (i32.add (call $rec (i32.add (local.get 0) (i32.const 1))) (i32.const 1)))
 *   (func $fat (export "fat") (param i32) (result i32) (local i64 ... 2000 times)
 *     (i32.add (call $fat (local.get 0)) (i32.const 1)))
 *   (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
 *   (func (export "tgrow") (param i32) (result i32) (table.grow 0 (ref.null func) (local.get 0)))
 *   (func (export "fill") (param i32) (memory.fill (i32.const 0) (i32.const 1) (local.get 0)))
 * )
 */
static const uint8_t k_limits[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x0d, 0x03, 0x60, 0x00, 0x00, 0x60, 0x01,
    0x7f, 0x01, 0x7f, 0x60, 0x01, 0x7f, 0x00, 0x03, 0x08, 0x07, 0x00, 0x01, 0x01, 0x01, 0x01, 0x01,
    0x02, 0x04, 0x06, 0x01, 0x70, 0x01, 0x01, 0xe8, 0x07, 0x05, 0x04, 0x01, 0x01, 0x01, 0x64, 0x07,
    0x32, 0x07, 0x04, 0x73, 0x70, 0x69, 0x6e, 0x00, 0x00, 0x05, 0x63, 0x6f, 0x75, 0x6e, 0x74, 0x00,
    0x01, 0x03, 0x72, 0x65, 0x63, 0x00, 0x02, 0x03, 0x66, 0x61, 0x74, 0x00, 0x03, 0x04, 0x67, 0x72,
    0x6f, 0x77, 0x00, 0x04, 0x05, 0x74, 0x67, 0x72, 0x6f, 0x77, 0x00, 0x05, 0x04, 0x66, 0x69, 0x6c,
    0x6c, 0x00, 0x06, 0x0a, 0x62, 0x07, 0x07, 0x00, 0x03, 0x40, 0x0c, 0x00, 0x0b, 0x0b, 0x21, 0x01,
    0x01, 0x7f, 0x02, 0x40, 0x03, 0x40, 0x20, 0x00, 0x45, 0x0d, 0x01, 0x20, 0x00, 0x41, 0x01, 0x6b,
    0x21, 0x00, 0x20, 0x01, 0x41, 0x01, 0x6a, 0x21, 0x01, 0x0c, 0x00, 0x0b, 0x0b, 0x20, 0x01, 0x0b,
    0x0c, 0x00, 0x20, 0x00, 0x41, 0x01, 0x6a, 0x10, 0x02, 0x41, 0x01, 0x6a, 0x0b, 0x0c, 0x01, 0xd0,
    0x0f, 0x7e, 0x20, 0x00, 0x10, 0x03, 0x41, 0x01, 0x6a, 0x0b, 0x06, 0x00, 0x20, 0x00, 0x40, 0x00,
    0x0b, 0x09, 0x00, 0xd0, 0x70, 0x20, 0x00, 0xfc, 0x0f, 0x00, 0x0b, 0x0b, 0x00, 0x41, 0x00, 0x41,
    0x01, 0x20, 0x00, 0xfc, 0x0b, 0x00, 0x0b,
};
/*
 * (module (func $s (loop (br 0))) (start $s))
 */
static const uint8_t k_start_spin[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02,
    0x01, 0x00, 0x08, 0x01, 0x00, 0x0a, 0x09, 0x01, 0x07, 0x00, 0x03, 0x40, 0x0c, 0x00, 0x0b, 0x0b,
};
/*
 * (module (memory 5))
 */
static const uint8_t k_big_mem[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x05, 0x03, 0x01, 0x00, 0x05,
};

static uint64_t fuel_used_by_count(int32_t n) {
    rt r;
    uw_instance_config ic = {.fuel = 10000000};
    rt_open(&r, NULL, k_limits, sizeof k_limits, &ic);
    uw_val a = uw_val_i32(n);
    assert_int_equal(rt_i32(&r, "count", &a, 1), n);
    uint64_t used = 10000000 - uw_instance_fuel(r.in);
    rt_close(&r);
    return used;
}

static void test_fuel_deterministic(void **state) {
    (void)state;
    uint64_t u0 = fuel_used_by_count(0), u1 = fuel_used_by_count(1000);
    uint64_t u1b = fuel_used_by_count(1000), u2 = fuel_used_by_count(2000);
    assert_true(u0 > 0);
    assert_true(u1 == u1b);           /* same work, same charge */
    assert_true(u1 - u0 >= 1000 * 5); /* >= the 5+ instructions of each iteration */
    assert_true(u2 - u1 == u1 - u0);  /* linear in the iteration count */
}

static void test_out_of_fuel(void **state) {
    (void)state;
    rt r;
    uw_instance_config ic = {.fuel = 10000};
    rt_open(&r, NULL, k_limits, sizeof k_limits, &ic);
    rt_expect_trap(&r, "spin", NULL, 0, 0, UW_TRAP_OUT_OF_FUEL);
    assert_true(uw_instance_fuel(r.in) == 0);
    /* refuelled, the instance works again */
    uw_instance_set_fuel(r.in, 1000000);
    uw_val a = uw_val_i32(10);
    assert_int_equal(rt_i32(&r, "count", &a, 1), 10);
    assert_true(uw_instance_fuel(r.in) < 1000000);
    /* bulk memory is charged by length */
    uint64_t f0 = uw_instance_fuel(r.in);
    a = uw_val_i32(0);
    assert_int_equal(rt_call(&r, "fill", &a, 1, NULL, 0), 0);
    uint64_t f1 = uw_instance_fuel(r.in);
    a = uw_val_i32(65536);
    assert_int_equal(rt_call(&r, "fill", &a, 1, NULL, 0), 0);
    uint64_t f2 = uw_instance_fuel(r.in);
    assert_true((f1 - f2) - (f0 - f1) >= 65536 / 64);
    /* unlimited */
    uw_instance_set_fuel(r.in, 0);
    assert_true(uw_instance_fuel(r.in) == UINT64_MAX);
    rt_close(&r);
}

static void test_deadline(void **state) {
    (void)state;
    rt r;
    uw_engine_config ec = {.epoch_tick_us = 1000};
    uw_instance_config ic = {.timeout_ns = 20 * 1000 * 1000};
    rt_open(&r, &ec, k_limits, sizeof k_limits, &ic);
    uint64_t t0 = umbra_now_ns();
    rt_expect_trap(&r, "spin", NULL, 0, 0, UW_TRAP_DEADLINE);
    uint64_t dt = umbra_now_ns() - t0;
    assert_true(dt >= 15 * 1000 * 1000ull);
    assert_true(dt < 5ull * 1000 * 1000 * 1000); /* generous: shared CI machines */
    /* each call gets a fresh budget */
    uw_val a = uw_val_i32(100);
    assert_int_equal(rt_i32(&r, "count", &a, 1), 100);
    rt_expect_trap(&r, "spin", NULL, 0, 0, UW_TRAP_DEADLINE);
    rt_close(&r);
}

static void test_start_function_stops(void **state) {
    (void)state;
    uw_engine *e;
    uw_engine_config ec = {.epoch_tick_us = 1000};
    assert_int_equal(uw_engine_new(&ec, &e), 0);
    uw_module *m;
    uw_error err;
    assert_int_equal(uw_module_new(e, k_start_spin, sizeof k_start_spin, &m, &err), 0);
    uw_instance *in = (uw_instance *)1;
    uw_trap trap;
    uw_instance_config ic = {.timeout_ns = 10 * 1000 * 1000};
    assert_int_equal(uw_instance_new(m, NULL, &ic, &in, &trap), UMBRA_EWASM_TRAP);
    assert_null(in);
    assert_int_equal(trap.kind, UW_TRAP_DEADLINE);
    uw_instance_config fc = {.fuel = 50000};
    assert_int_equal(uw_instance_new(m, NULL, &fc, &in, &trap), UMBRA_EWASM_TRAP);
    assert_int_equal(trap.kind, UW_TRAP_OUT_OF_FUEL);
    uw_module_free(m);
    uw_engine_free(e);
}

static void test_memory_table_caps(void **state) {
    (void)state;
    rt r;
    uw_instance_config ic = {.max_memory_pages = 3, .max_table_elems = 10};
    rt_open(&r, NULL, k_limits, sizeof k_limits, &ic);
    uw_val a = uw_val_i32(1);
    assert_int_equal(rt_i32(&r, "grow", &a, 1), 1);
    assert_int_equal(rt_i32(&r, "grow", &a, 1), 2);
    assert_int_equal(rt_i32(&r, "grow", &a, 1), -1);
    assert_int_equal(uw_memory_pages(uw_instance_memory(r.in)), 3);
    a = uw_val_i32(9);
    assert_int_equal(rt_i32(&r, "tgrow", &a, 1), 1);
    a = uw_val_i32(1);
    assert_int_equal(rt_i32(&r, "tgrow", &a, 1), -1);
    rt_close(&r);

    uw_engine *e;
    assert_int_equal(uw_engine_new(NULL, &e), 0);
    uw_module *m;
    uw_error err;
    assert_int_equal(uw_module_new(e, k_big_mem, sizeof k_big_mem, &m, &err), 0);
    uw_instance *in;
    uw_trap trap;
    assert_int_equal(uw_instance_new(m, NULL, &ic, &in, &trap), UMBRA_EWASM_LIMIT);
    assert_int_equal(trap.kind, UW_TRAP_LIMIT);
    uw_module_free(m);
    uw_engine_free(e);
}

static void test_call_depth(void **state) {
    (void)state;
    rt r;
    rt_open(&r, NULL, k_limits, sizeof k_limits, NULL); /* engine default depth */
    uw_val a = uw_val_i32(0);
    rt_expect_trap(&r, "rec", &a, 1, 1, UW_TRAP_STACK_EXHAUSTED);
    assert_int_equal(rt_i32(&r, "count", &a, 1), 0);
    rt_close(&r);
    uw_instance_config ic = {.max_call_depth = 100};
    rt_open(&r, NULL, k_limits, sizeof k_limits, &ic);
    rt_expect_trap(&r, "rec", &a, 1, 1, UW_TRAP_STACK_EXHAUSTED);
    rt_close(&r);
}

static void test_value_stack_bound(void **state) {
    (void)state;
    rt r;
    /* frames of 2000+ slots: the value stack runs out long before the frame limit */
    uw_instance_config ic = {.max_stack_slots = 100000, .max_call_depth = 100000};
    rt_open(&r, NULL, k_limits, sizeof k_limits, &ic);
    uw_val a = uw_val_i32(0);
    rt_expect_trap(&r, "fat", &a, 1, 1, UW_TRAP_STACK_EXHAUSTED);
    a = uw_val_i32(7);
    assert_int_equal(rt_i32(&r, "count", &a, 1), 7);
    rt_close(&r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fuel_deterministic), cmocka_unit_test(test_out_of_fuel),
        cmocka_unit_test(test_deadline),           cmocka_unit_test(test_start_function_stops),
        cmocka_unit_test(test_memory_table_caps),  cmocka_unit_test(test_call_depth),
        cmocka_unit_test(test_value_stack_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
