/* test_interp.c — the interpreter's numeric and control semantics on a hand-written module
 * (Wasm 2.0 §4.3 numerics, §4.4 control), focused on what the spec suite covers only
 * indirectly: NaN payloads kept bit-exact through moves/loads/stores/reinterpret/neg/
 * copysign, quieting by arithmetic, fmin/fmax signed zeros, ties-to-even, trapping vs
 * saturating truncation, u64 -> f32 without double rounding, and the compiler's own
 * transformations (operands folded from local.get, producers retargeted into locals,
 * fused compare-and-branch, branch value copies, multi-value returns). The spec suite
 * (test_spec) remains the conformance check. */
#include <math.h>

#include "rt_util.h"

/*
 * (module
 *   (memory 1)
 *   (table 2 funcref)
 *   (elem (i32.const 0) $sq)
 *   (type $t_ii (func (param i32) (result i32)))
 *   (func $sq (type $t_ii) (i32.mul (local.get 0) (local.get 0)))
 *   (func (export "reinterp32") (param i32) (result i32)
 *     (i32.reinterpret_f32 (f32.reinterpret_i32 (local.get 0))))
 *   (func (export "neg32") (param i32) (result i32)
 *     (i32.reinterpret_f32 (f32.neg (f32.reinterpret_i32 (local.get 0)))))
 *   (func (export "copysign64") (param i64 i64) (result i64)
 *     (i64.reinterpret_f64 (f64.copysign (f64.reinterpret_i64 (local.get 0)) (f64.reinterpret_i64 (local.get 1)))))
 *   (func (export "memf32") (param i32) (result i32)
 *     (i32.store (i32.const 0) (local.get 0))
 *     (f32.store (i32.const 8) (f32.load (i32.const 0)))
 *     (i32.load (i32.const 8)))
 *   (func (export "add32nan") (param i32) (result i32)
 *     (i32.reinterpret_f32 (f32.add (f32.reinterpret_i32 (local.get 0)) (f32.const 1))))
 *   (func (export "min64") (param f64 f64) (result f64) (f64.min (local.get 0) (local.get 1)))
 *   (func (export "max32") (param f32 f32) (result f32) (f32.max (local.get 0) (local.get 1)))
 *   (func (export "nearest64") (param f64) (result f64) (f64.nearest (local.get 0)))
 *   (func (export "div_s") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
 *   (func (export "rem_s64") (param i64 i64) (result i64) (i64.rem_s (local.get 0) (local.get 1)))
 *   (func (export "trunc_s") (param f64) (result i32) (i32.trunc_f64_s (local.get 0)))
 *   (func (export "trunc_sat_u64") (param f32) (result i64) (i64.trunc_sat_f32_u (local.get 0)))
 *   (func (export "rotl") (param i32 i32) (result i32) (i32.rotl (local.get 0) (local.get 1)))
 *   (func (export "clz64") (param i64) (result i64) (i64.clz (local.get 0)))
 *   (func (export "shl") (param i32 i32) (result i32) (i32.shl (local.get 0) (local.get 1)))
 *   (func (export "ext8") (param i32) (result i32) (i32.extend8_s (local.get 0)))
 *   (func (export "u64_to_f32") (param i64) (result f32) (f32.convert_i64_u (local.get 0)))
 *   (func (export "sum") (param i32) (result i32) (local i32 i32)
 *     (block (loop
 *       (br_if 1 (i32.ge_s (local.get 1) (local.get 0)))
 *       (local.set 2 (i32.add (local.get 2) (local.get 1)))
 *       (local.set 1 (i32.add (local.get 1) (i32.const 1)))
 *       (br 0)))
 *     (local.get 2))
 *   (func (export "swap") (param i32 i32) (result i32 i32) (local.get 1) (local.get 0))
 *   (func (export "swap_ret") (param i32 i32) (result i32 i32) (local.get 1) (local.get 0) (return))
 *   (func (export "hazard_set") (param i32) (result i32)
 *     (local.get 0) (local.set 0 (i32.const 9)) (local.get 0) (i32.sub))
 *   (func (export "hazard_retarget") (param i32) (result i32)
 *     (local.get 0)
 *     (local.set 0 (i32.add (local.get 0) (i32.const 1)))
 *     (i32.mul (local.get 0)))
 *   (func (export "tee") (param i32) (result i32)
 *     (i32.add (local.get 0) (local.tee 0 (i32.const 5))))
 *   (func (export "brtable") (param i32) (result i32)
 *     (block (result i32)
 *       (block (result i32)
 *         (block (result i32)
 *           (br_table 0 1 2 (i32.const 10) (local.get 0)))
 *         (i32.add (i32.const 100)))
 *       (i32.add (i32.const 1000))))
 *   (func (export "ifelse") (param i32 i32) (result i32)
 *     (if (result i32) (i32.lt_u (local.get 0) (local.get 1))
 *       (then (i32.sub (local.get 1) (local.get 0)))
 *       (else (i32.sub (local.get 0) (local.get 1)))))
 *   (func (export "multi_block") (param i32) (result i32)
 *     (local.get 0) (i32.const 3)
 *     (block (param i32 i32) (result i32 i32) (br_if 0 (local.get 0)) (drop) (drop) (i32.const 7) (i32.const 8))
 *     (i32.mul))
 *   (func (export "indirect") (param i32 i32) (result i32)
 *     (call_indirect (type $t_ii) (local.get 0) (local.get 1)))
 *   (func (export "select") (param i32 i32 i32) (result i32) (select (local.get 0) (local.get 1) (local.get 2)))
 *   (func $fac (export "fac") (param i64) (result i64)
 *     (if (result i64) (i64.eqz (local.get 0)) (then (i64.const 1))
 *       (else (i64.mul (local.get 0) (call $fac (i64.sub (local.get 0) (i64.const 1)))))))
 *   (func (export "bulk") (result i32)
 *     (memory.fill (i32.const 100) (i32.const 0xab) (i32.const 10))
 *     (memory.copy (i32.const 200) (i32.const 98) (i32.const 6))
 *     (i32.load (i32.const 201)))
 * )
 */
static const uint8_t k_interp[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x49, 0x0d, 0x60, 0x01, 0x7f, 0x01, 0x7f,
    0x60, 0x02, 0x7e, 0x7e, 0x01, 0x7e, 0x60, 0x02, 0x7c, 0x7c, 0x01, 0x7c, 0x60, 0x02, 0x7d, 0x7d,
    0x01, 0x7d, 0x60, 0x01, 0x7c, 0x01, 0x7c, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f, 0x60, 0x01, 0x7c,
    0x01, 0x7f, 0x60, 0x01, 0x7d, 0x01, 0x7e, 0x60, 0x01, 0x7e, 0x01, 0x7e, 0x60, 0x01, 0x7e, 0x01,
    0x7d, 0x60, 0x02, 0x7f, 0x7f, 0x02, 0x7f, 0x7f, 0x60, 0x03, 0x7f, 0x7f, 0x7f, 0x01, 0x7f, 0x60,
    0x00, 0x01, 0x7f, 0x03, 0x20, 0x1f, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x02, 0x03, 0x04, 0x05,
    0x01, 0x06, 0x07, 0x05, 0x08, 0x05, 0x00, 0x09, 0x00, 0x0a, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x05,
    0x00, 0x05, 0x0b, 0x08, 0x0c, 0x04, 0x04, 0x01, 0x70, 0x00, 0x02, 0x05, 0x03, 0x01, 0x00, 0x01,
    0x07, 0xa7, 0x02, 0x1e, 0x0a, 0x72, 0x65, 0x69, 0x6e, 0x74, 0x65, 0x72, 0x70, 0x33, 0x32, 0x00,
    0x01, 0x05, 0x6e, 0x65, 0x67, 0x33, 0x32, 0x00, 0x02, 0x0a, 0x63, 0x6f, 0x70, 0x79, 0x73, 0x69,
    0x67, 0x6e, 0x36, 0x34, 0x00, 0x03, 0x06, 0x6d, 0x65, 0x6d, 0x66, 0x33, 0x32, 0x00, 0x04, 0x08,
    0x61, 0x64, 0x64, 0x33, 0x32, 0x6e, 0x61, 0x6e, 0x00, 0x05, 0x05, 0x6d, 0x69, 0x6e, 0x36, 0x34,
    0x00, 0x06, 0x05, 0x6d, 0x61, 0x78, 0x33, 0x32, 0x00, 0x07, 0x09, 0x6e, 0x65, 0x61, 0x72, 0x65,
    0x73, 0x74, 0x36, 0x34, 0x00, 0x08, 0x05, 0x64, 0x69, 0x76, 0x5f, 0x73, 0x00, 0x09, 0x07, 0x72,
    0x65, 0x6d, 0x5f, 0x73, 0x36, 0x34, 0x00, 0x0a, 0x07, 0x74, 0x72, 0x75, 0x6e, 0x63, 0x5f, 0x73,
    0x00, 0x0b, 0x0d, 0x74, 0x72, 0x75, 0x6e, 0x63, 0x5f, 0x73, 0x61, 0x74, 0x5f, 0x75, 0x36, 0x34,
    0x00, 0x0c, 0x04, 0x72, 0x6f, 0x74, 0x6c, 0x00, 0x0d, 0x05, 0x63, 0x6c, 0x7a, 0x36, 0x34, 0x00,
    0x0e, 0x03, 0x73, 0x68, 0x6c, 0x00, 0x0f, 0x04, 0x65, 0x78, 0x74, 0x38, 0x00, 0x10, 0x0a, 0x75,
    0x36, 0x34, 0x5f, 0x74, 0x6f, 0x5f, 0x66, 0x33, 0x32, 0x00, 0x11, 0x03, 0x73, 0x75, 0x6d, 0x00,
    0x12, 0x04, 0x73, 0x77, 0x61, 0x70, 0x00, 0x13, 0x08, 0x73, 0x77, 0x61, 0x70, 0x5f, 0x72, 0x65,
    0x74, 0x00, 0x14, 0x0a, 0x68, 0x61, 0x7a, 0x61, 0x72, 0x64, 0x5f, 0x73, 0x65, 0x74, 0x00, 0x15,
    0x0f, 0x68, 0x61, 0x7a, 0x61, 0x72, 0x64, 0x5f, 0x72, 0x65, 0x74, 0x61, 0x72, 0x67, 0x65, 0x74,
    0x00, 0x16, 0x03, 0x74, 0x65, 0x65, 0x00, 0x17, 0x07, 0x62, 0x72, 0x74, 0x61, 0x62, 0x6c, 0x65,
    0x00, 0x18, 0x06, 0x69, 0x66, 0x65, 0x6c, 0x73, 0x65, 0x00, 0x19, 0x0b, 0x6d, 0x75, 0x6c, 0x74,
    0x69, 0x5f, 0x62, 0x6c, 0x6f, 0x63, 0x6b, 0x00, 0x1a, 0x08, 0x69, 0x6e, 0x64, 0x69, 0x72, 0x65,
    0x63, 0x74, 0x00, 0x1b, 0x06, 0x73, 0x65, 0x6c, 0x65, 0x63, 0x74, 0x00, 0x1c, 0x03, 0x66, 0x61,
    0x63, 0x00, 0x1d, 0x04, 0x62, 0x75, 0x6c, 0x6b, 0x00, 0x1e, 0x09, 0x07, 0x01, 0x00, 0x41, 0x00,
    0x0b, 0x01, 0x00, 0x0a, 0x88, 0x03, 0x1f, 0x07, 0x00, 0x20, 0x00, 0x20, 0x00, 0x6c, 0x0b, 0x06,
    0x00, 0x20, 0x00, 0xbe, 0xbc, 0x0b, 0x07, 0x00, 0x20, 0x00, 0xbe, 0x8c, 0xbc, 0x0b, 0x0a, 0x00,
    0x20, 0x00, 0xbf, 0x20, 0x01, 0xbf, 0xa6, 0xbd, 0x0b, 0x18, 0x00, 0x41, 0x00, 0x20, 0x00, 0x36,
    0x02, 0x00, 0x41, 0x08, 0x41, 0x00, 0x2a, 0x02, 0x00, 0x38, 0x02, 0x00, 0x41, 0x08, 0x28, 0x02,
    0x00, 0x0b, 0x0c, 0x00, 0x20, 0x00, 0xbe, 0x43, 0x00, 0x00, 0x80, 0x3f, 0x92, 0xbc, 0x0b, 0x07,
    0x00, 0x20, 0x00, 0x20, 0x01, 0xa4, 0x0b, 0x07, 0x00, 0x20, 0x00, 0x20, 0x01, 0x97, 0x0b, 0x05,
    0x00, 0x20, 0x00, 0x9e, 0x0b, 0x07, 0x00, 0x20, 0x00, 0x20, 0x01, 0x6d, 0x0b, 0x07, 0x00, 0x20,
    0x00, 0x20, 0x01, 0x81, 0x0b, 0x05, 0x00, 0x20, 0x00, 0xaa, 0x0b, 0x06, 0x00, 0x20, 0x00, 0xfc,
    0x05, 0x0b, 0x07, 0x00, 0x20, 0x00, 0x20, 0x01, 0x77, 0x0b, 0x05, 0x00, 0x20, 0x00, 0x79, 0x0b,
    0x07, 0x00, 0x20, 0x00, 0x20, 0x01, 0x74, 0x0b, 0x05, 0x00, 0x20, 0x00, 0xc0, 0x0b, 0x05, 0x00,
    0x20, 0x00, 0xb5, 0x0b, 0x23, 0x01, 0x02, 0x7f, 0x02, 0x40, 0x03, 0x40, 0x20, 0x01, 0x20, 0x00,
    0x4e, 0x0d, 0x01, 0x20, 0x02, 0x20, 0x01, 0x6a, 0x21, 0x02, 0x20, 0x01, 0x41, 0x01, 0x6a, 0x21,
    0x01, 0x0c, 0x00, 0x0b, 0x0b, 0x20, 0x02, 0x0b, 0x06, 0x00, 0x20, 0x01, 0x20, 0x00, 0x0b, 0x07,
    0x00, 0x20, 0x01, 0x20, 0x00, 0x0f, 0x0b, 0x0b, 0x00, 0x20, 0x00, 0x41, 0x09, 0x21, 0x00, 0x20,
    0x00, 0x6b, 0x0b, 0x0e, 0x00, 0x20, 0x00, 0x20, 0x00, 0x41, 0x01, 0x6a, 0x21, 0x00, 0x20, 0x00,
    0x6c, 0x0b, 0x09, 0x00, 0x20, 0x00, 0x41, 0x05, 0x22, 0x00, 0x6a, 0x0b, 0x1c, 0x00, 0x02, 0x7f,
    0x02, 0x7f, 0x02, 0x7f, 0x41, 0x0a, 0x20, 0x00, 0x0e, 0x02, 0x00, 0x01, 0x02, 0x0b, 0x41, 0xe4,
    0x00, 0x6a, 0x0b, 0x41, 0xe8, 0x07, 0x6a, 0x0b, 0x0b, 0x15, 0x00, 0x20, 0x00, 0x20, 0x01, 0x49,
    0x04, 0x7f, 0x20, 0x01, 0x20, 0x00, 0x6b, 0x05, 0x20, 0x00, 0x20, 0x01, 0x6b, 0x0b, 0x0b, 0x14,
    0x00, 0x20, 0x00, 0x41, 0x03, 0x02, 0x0a, 0x20, 0x00, 0x0d, 0x00, 0x1a, 0x1a, 0x41, 0x07, 0x41,
    0x08, 0x0b, 0x6c, 0x0b, 0x09, 0x00, 0x20, 0x00, 0x20, 0x01, 0x11, 0x00, 0x00, 0x0b, 0x09, 0x00,
    0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0x1b, 0x0b, 0x15, 0x00, 0x20, 0x00, 0x50, 0x04, 0x7e, 0x42,
    0x01, 0x05, 0x20, 0x00, 0x20, 0x00, 0x42, 0x01, 0x7d, 0x10, 0x1d, 0x7e, 0x0b, 0x0b, 0x1f, 0x00,
    0x41, 0xe4, 0x00, 0x41, 0xab, 0x01, 0x41, 0x0a, 0xfc, 0x0b, 0x00, 0x41, 0xc8, 0x01, 0x41, 0xe2,
    0x00, 0x41, 0x06, 0xfc, 0x0a, 0x00, 0x00, 0x41, 0xc9, 0x01, 0x28, 0x02, 0x00, 0x0b,
};

static rt R;

static int setup(void **state) {
    (void)state;
    rt_open(&R, NULL, k_interp, sizeof k_interp, NULL);
    return 0;
}
static int teardown(void **state) {
    (void)state;
    rt_close(&R);
    return 0;
}

static uw_val I32(int32_t v) { return uw_val_i32(v); }
static uw_val I64(int64_t v) { return uw_val_i64(v); }
static uw_val F32(float v) { return uw_val_f32(v); }
static uw_val F64(double v) { return uw_val_f64(v); }

static void test_nan_bits(void **state) {
    (void)state;
    uw_val a = I32(0x7fa00001); /* signalling NaN with payload */
    assert_int_equal((uint32_t)rt_i32(&R, "reinterp32", &a, 1), 0x7fa00001u);
    assert_int_equal((uint32_t)rt_i32(&R, "neg32", &a, 1), 0xffa00001u);
    a = I32(0x7f800001);
    assert_int_equal((uint32_t)rt_i32(&R, "memf32", &a, 1), 0x7f800001u);
    uw_val c[2] = {I64((int64_t)0x7ff4000000000001ull), I64((int64_t)0x8000000000000000ull)};
    assert_true((uint64_t)rt_i64(&R, "copysign64", c, 2) == 0xfff4000000000001ull);
    /* arithmetic on a signalling NaN yields a quiet (arithmetic) NaN */
    a = I32(0x7fa00000);
    uint32_t q = (uint32_t)rt_i32(&R, "add32nan", &a, 1);
    assert_int_equal(q & 0x7fc00000u, 0x7fc00000u);
}

static void test_minmax_nearest(void **state) {
    (void)state;
    uw_val a[2] = {F64(-0.0), F64(0.0)}, r;
    assert_int_equal(rt_call(&R, "min64", a, 2, &r, 1), 0);
    assert_true(r.of.f64 == 0 && signbit(r.of.f64));
    uw_val b[2] = {F32(-0.0f), F32(0.0f)};
    assert_int_equal(rt_call(&R, "max32", b, 2, &r, 1), 0);
    assert_true(r.of.f32 == 0 && !signbit(r.of.f32));
    uw_val n[2] = {F64(NAN), F64(1.0)};
    assert_int_equal(rt_call(&R, "min64", n, 2, &r, 1), 0);
    assert_true(isnan(r.of.f64));
    const double in[] = {2.5, 3.5, -0.5, -2.5, 0.49999999999999994};
    const double want[] = {2.0, 4.0, -0.0, -2.0, 0.0};
    for (size_t i = 0; i < 5; i++) {
        uw_val x = F64(in[i]);
        assert_int_equal(rt_call(&R, "nearest64", &x, 1, &r, 1), 0);
        assert_true(r.of.f64 == want[i] && signbit(r.of.f64) == signbit(want[i]));
    }
}

static void test_integer_edges(void **state) {
    (void)state;
    uw_val a[2] = {I32(INT32_MIN), I32(-1)};
    rt_expect_trap(&R, "div_s", a, 2, 1, UW_TRAP_INT_OVERFLOW);
    a[1] = I32(0);
    rt_expect_trap(&R, "div_s", a, 2, 1, UW_TRAP_DIV_ZERO);
    a[0] = I32(-7), a[1] = I32(2);
    assert_int_equal(rt_i32(&R, "div_s", a, 2), -3);
    uw_val b[2] = {I64(INT64_MIN), I64(-1)};
    assert_true(rt_i64(&R, "rem_s64", b, 2) == 0);
    uw_val c[2] = {I32((int32_t)0x80000001u), I32(33)};
    assert_int_equal((uint32_t)rt_i32(&R, "rotl", c, 2), 3u);
    c[0] = I32(1);
    assert_int_equal(rt_i32(&R, "shl", c, 2), 2); /* shift count mod 32 */
    uw_val z = I64(0);
    assert_true(rt_i64(&R, "clz64", &z, 1) == 64);
    z = I64(1);
    assert_true(rt_i64(&R, "clz64", &z, 1) == 63);
    uw_val e = I32(0x80);
    assert_int_equal(rt_i32(&R, "ext8", &e, 1), -128);
}

static void test_conversions(void **state) {
    (void)state;
    uw_val x = F64(2147483648.0), r;
    rt_expect_trap(&R, "trunc_s", &x, 1, 1, UW_TRAP_INT_OVERFLOW);
    x = F64(NAN);
    rt_expect_trap(&R, "trunc_s", &x, 1, 1, UW_TRAP_INVALID_CONVERSION);
    x = F64(-2147483648.9);
    assert_int_equal(rt_i32(&R, "trunc_s", &x, 1), INT32_MIN);
    uw_val f = F32(-5.0f);
    assert_true(rt_i64(&R, "trunc_sat_u64", &f, 1) == 0);
    f = F32(1e30f);
    assert_true((uint64_t)rt_i64(&R, "trunc_sat_u64", &f, 1) == UINT64_MAX);
    f = F32(NAN);
    assert_true(rt_i64(&R, "trunc_sat_u64", &f, 1) == 0);
    /* 2^63 + 2^39 + 1 must round up to 2^63 + 2^40 (0x5f000001); rounding through double
     * first would give 2^63 (0x5f000000) */
    uw_val u = I64((int64_t)(0x8000000000000000ull + (1ull << 39) + 1));
    assert_int_equal(rt_call(&R, "u64_to_f32", &u, 1, &r, 1), 0);
    assert_int_equal(r.of.f32_bits, 0x5f000001u);
    u = I64(-1);
    assert_int_equal(rt_call(&R, "u64_to_f32", &u, 1, &r, 1), 0);
    assert_int_equal(r.of.f32_bits, 0x5f800000u);
}

static void test_control_and_locals(void **state) {
    (void)state;
    uw_val n = I32(100);
    assert_int_equal(rt_i32(&R, "sum", &n, 1), 4950);
    uw_val p[2] = {I32(1), I32(2)}, r[2];
    assert_int_equal(rt_call(&R, "swap", p, 2, r, 2), 0);
    assert_int_equal(r[0].of.i32, 2);
    assert_int_equal(r[1].of.i32, 1);
    assert_int_equal(rt_call(&R, "swap_ret", p, 2, r, 2), 0);
    assert_int_equal(r[0].of.i32, 2);
    assert_int_equal(r[1].of.i32, 1);
    uw_val x = I32(20);
    assert_int_equal(rt_i32(&R, "hazard_set", &x, 1), 11);
    x = I32(5);
    assert_int_equal(rt_i32(&R, "hazard_retarget", &x, 1), 30);
    x = I32(3);
    assert_int_equal(rt_i32(&R, "tee", &x, 1), 8);
    const int32_t bt_in[] = {0, 1, 2, 99, -1};
    const int32_t bt_out[] = {1110, 1010, 10, 10, 10};
    for (size_t i = 0; i < 5; i++) {
        x = I32(bt_in[i]);
        assert_int_equal(rt_i32(&R, "brtable", &x, 1), bt_out[i]);
    }
    uw_val q[2] = {I32(3), I32(10)};
    assert_int_equal(rt_i32(&R, "ifelse", q, 2), 7);
    q[0] = I32(10), q[1] = I32(3);
    assert_int_equal(rt_i32(&R, "ifelse", q, 2), 7);
    x = I32(2);
    assert_int_equal(rt_i32(&R, "multi_block", &x, 1), 6);
    x = I32(0);
    assert_int_equal(rt_i32(&R, "multi_block", &x, 1), 56);
    uw_val s[3] = {I32(1), I32(2), I32(0)};
    assert_int_equal(rt_i32(&R, "select", s, 3), 2);
    s[2] = I32(5);
    assert_int_equal(rt_i32(&R, "select", s, 3), 1);
    uw_val f = I64(20);
    assert_true(rt_i64(&R, "fac", &f, 1) == 2432902008176640000ll);
    assert_int_equal((uint32_t)rt_i32(&R, "bulk", NULL, 0), 0xababab00u);
}

static void test_indirect(void **state) {
    (void)state;
    uw_val a[2] = {I32(7), I32(0)};
    assert_int_equal(rt_i32(&R, "indirect", a, 2), 49);
    a[1] = I32(1);
    rt_expect_trap(&R, "indirect", a, 2, 1, UW_TRAP_UNINIT_ELEM);
    a[1] = I32(5);
    rt_expect_trap(&R, "indirect", a, 2, 1, UW_TRAP_TABLE_OOB);
    assert_string_equal(R.trap.message, "undefined element 5");
    /* the instance stays usable after traps */
    a[1] = I32(0);
    assert_int_equal(rt_i32(&R, "indirect", a, 2), 49);
}

static void test_api_type_checks(void **state) {
    (void)state;
    uw_val a = I64(1), r;
    assert_int_equal(rt_call(&R, "sum", &a, 1, &r, 1), UMBRA_EWASM_TYPE);
    a = I32(1);
    assert_int_equal(rt_call(&R, "sum", &a, 1, &r, 0), UMBRA_EWASM_TYPE);
    assert_int_equal(rt_call(&R, "nope", &a, 1, &r, 1), UMBRA_EWASM_NOTFOUND);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nan_bits),        cmocka_unit_test(test_minmax_nearest),
        cmocka_unit_test(test_integer_edges),   cmocka_unit_test(test_conversions),
        cmocka_unit_test(test_control_and_locals), cmocka_unit_test(test_indirect),
        cmocka_unit_test(test_api_type_checks),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
