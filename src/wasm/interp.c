/*
 * interp.c — the interpreter for the threaded slot code of compile.c (code_ops.h).
 *
 * Dispatch is direct threading with gcc's computed goto: every instruction starts with
 * its handler's address. pc, fp, fuel and the memory base/size live in locals so gcc
 * keeps them in registers. Wasm calls push onto a bounded frame array (never the C stack);
 * traps unwind by returning a trap kind, so guest behaviour can never crash the host.
 *
 * Numeric semantics follow Wasm 2.0 §4.3: f32/f64 values are kept as bit patterns in the
 * slots and only become C floats inside arithmetic (x86-64 SSE / aarch64 FP, no x87), so
 * loads, stores, reinterpretations, abs/neg/copysign and moves never touch NaN payloads.
 */
#include "runtime_internal.h"
#include "code_ops.h"
#include "umbra/base.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

/* Bulk operations charge one unit of fuel per this many bytes (rounded up). */
#define FUEL_BYTES_PER_UNIT 16

static inline float f32_of(uint64_t v) {
    uint32_t b = (uint32_t)v;
    float f;
    memcpy(&f, &b, 4);
    return f;
}
static inline uint64_t bits_f32(float f) {
    uint32_t b;
    memcpy(&b, &f, 4);
    return b;
}
static inline double f64_of(uint64_t v) {
    double d;
    memcpy(&d, &v, 8);
    return d;
}
static inline uint64_t bits_f64(double d) {
    uint64_t b;
    memcpy(&b, &d, 8);
    return b;
}

/* Wasm 2.0 §4.3.3 fmin/fmax: NaN if either is NaN; -0 < +0. */
static inline float wmin32(float a, float b) {
    if (a != a || b != b) return a + b;
    if (a == 0 && b == 0) return signbit(a) ? a : b;
    return a < b ? a : b;
}
static inline float wmax32(float a, float b) {
    if (a != a || b != b) return a + b;
    if (a == 0 && b == 0) return signbit(a) ? b : a;
    return a > b ? a : b;
}
static inline double wmin64(double a, double b) {
    if (a != a || b != b) return a + b;
    if (a == 0 && b == 0) return signbit(a) ? a : b;
    return a < b ? a : b;
}
static inline double wmax64(double a, double b) {
    if (a != a || b != b) return a + b;
    if (a == 0 && b == 0) return signbit(a) ? b : a;
    return a > b ? a : b;
}

static inline uint32_t rotl32(uint32_t x, uint32_t k) {
    k &= 31;
    return (x << k) | (x >> ((32 - k) & 31));
}
static inline uint32_t rotr32(uint32_t x, uint32_t k) {
    k &= 31;
    return (x >> k) | (x << ((32 - k) & 31));
}
static inline uint64_t rotl64(uint64_t x, uint64_t k) {
    k &= 63;
    return (x << k) | (x >> ((64 - k) & 63));
}
static inline uint64_t rotr64(uint64_t x, uint64_t k) {
    k &= 63;
    return (x >> k) | (x << ((64 - k) & 63));
}

static const _Atomic uint64_t zero_epoch;
/* Stand-in for instances without a memory: size 0, so every access traps. */
static uw_memory no_memory;

static inline uint64_t fuel_units(uint64_t n) {
    return (n + FUEL_BYTES_PER_UNIT - 1) / FUEL_BYTES_PER_UNIT;
}

int uw__op_memory_init(uw_instance *in, uint32_t seg, uint64_t d, uint64_t s, uint64_t n) {
    uw_memory *m = in->mem;
    uint64_t msize = m ? m->size : 0;
    if (seg >= in->ndata) return UW_TRAP_MEMORY_OOB;
    if (s + n > in->data_len[seg] || d + n > msize) return UW_TRAP_MEMORY_OOB;
    if (n) memcpy(m->base + d, uw__data_bytes(in, seg) + s, n);
    return 0;
}

int uw__op_table_init(uw_instance *in, uint32_t tab, uint32_t seg, uint64_t d, uint64_t s,
                      uint64_t n) {
    if (tab >= in->ntables || seg >= in->nelem) return UW_TRAP_TABLE_OOB;
    uw_table *t = in->tables[tab];
    if (s + n > in->elem_len[seg] || d + n > t->size) return UW_TRAP_TABLE_OOB;
    if (n) memcpy(t->elems + d, in->elem[seg] + s, n * sizeof(uint64_t));
    return 0;
}

uint64_t uw__val_to_slot(const uw_val *v) {
    switch (v->type) {
    case UW_I32: return v->of.u32;
    case UW_F32: return v->of.f32_bits;
    case UW_I64: return v->of.u64;
    case UW_F64: return v->of.f64_bits;
    case UW_FUNCREF: return (uint64_t)(uintptr_t)v->of.funcref;
    case UW_EXTERNREF: return (uint64_t)(uintptr_t)v->of.externref;
    default: return 0;
    }
}

void uw__slot_to_val(uint64_t s, uint8_t type, uw_val *v) {
    memset(v, 0, sizeof *v);
    v->type = type;
    switch (type) {
    case UW_I32: v->of.u32 = (uint32_t)s; break;
    case UW_F32: v->of.f32_bits = (uint32_t)s; break;
    case UW_I64: v->of.u64 = s; break;
    case UW_F64: v->of.f64_bits = s; break;
    case UW_FUNCREF: v->of.funcref = (uw_func *)(uintptr_t)s; break;
    case UW_EXTERNREF: v->of.externref = (void *)(uintptr_t)s; break;
    default: break;
    }
}

/* Calls a host function with arguments in slots[0..nparams); results go to slots[0..).
 * The value stack above the arguments is free for nested calls. */
static int call_host(uw__exec *ex, uw_instance *inst, uw_func *f, uint64_t *slots) {
    const uw__functype *t = f->type;
    uint32_t np = t->nparams, nr = t->nresults, nmax = np > nr ? np : nr;
    if (slots + nmax > ex->stack_end) return UW_TRAP_STACK_EXHAUSTED;
    uw_val sargs[16], sres[16];
    uw_val *args = sargs, *res = sres;
    if (np > 16) args = umbra_malloc(np * sizeof *args);
    if (nr > 16) res = umbra_malloc(nr * sizeof *res);
    int r = 0;
    if (!args || !res) {
        r = UW_TRAP_NOMEM;
        goto out;
    }
    for (uint32_t i = 0; i < np; i++) uw__slot_to_val(slots[i], t->types[i], &args[i]);
    for (uint32_t i = 0; i < nr; i++) uw__slot_to_val(0, t->types[np + i], &res[i]);
    uw_call call = {.inst = inst, .ex = ex, .trap = 0};
    uint64_t *save = ex->sp_base;
    ex->sp_base = slots + nmax;
    int rc = f->host(&call, args, res, f->host_ud);
    ex->sp_base = save;
    if (rc == 0) {
        for (uint32_t i = 0; i < nr; i++) {
            res[i].type = t->types[np + i];
            slots[i] = uw__val_to_slot(&res[i]);
        }
    } else if (call.trap) {
        r = call.trap;
    } else if (rc == UMBRA_EWASM_EXIT) {
        r = UW_TRAP_EXIT;
    } else {
        r = UW_TRAP_HOST;
        if (!ex->msg[0]) snprintf(ex->msg, sizeof ex->msg, "host function failed: %s", umbra_strerror(rc));
    }
out:
    if (args != sargs) umbra_free(args);
    if (res != sres) umbra_free(res);
    return r;
}

/* The interpreter proper. With ex == NULL it only publishes the handler table. */
static int run(uw__exec *ex, uw_func *entry, uint64_t *fp, const void *const **tbl_out) {
    static const void *const tbl[] = {
#define UW__X(n) &&L_##n,
#define UW__XI(n) &&L_##n, &&L_##n##_I,
#define UW__XF(n) &&L_BR_IF_##n, &&L_BR_IF_##n##_I,
#define UW__XA(n) &&L_##n##_A, &&L_##n##_AI,
#define UW__XL(n) &&L_BR_IF_##n##_L, &&L_BR_IF_##n##_I_L,
        UW__INT_BINOPS(UW__XI) UW__FLT_BINOPS(UW__X) UW__UNOPS(UW__X) UW__LOADS(UW__X)
        UW__STORES(UW__X) UW__MISC_OPS(UW__X) UW__FUSED_CMPS(UW__XF) UW__LOADS(UW__XA)
        UW__STORES(UW__XA) UW__FUSED_CMPS(UW__XL)
#undef UW__X
#undef UW__XI
#undef UW__XF
#undef UW__XA
#undef UW__XL
    };
    _Static_assert(sizeof tbl / sizeof tbl[0] == UW__OP_COUNT, "handler table out of sync");
    if (!ex) {
        *tbl_out = tbl;
        return 0;
    }

    uw__cell halt[1];
    halt[0].h = &&L_HALT;
    uw__frame *frames = ex->frames;
    uint32_t depth = ex->depth, depth0 = ex->depth;
    const uint32_t nframes = ex->nframes;
    const uint64_t *const stack_end = ex->stack_end;
    int64_t fuel = ex->fuel;
    const uint64_t deadline = ex->deadline;
    const _Atomic uint64_t *epoch = ex->epoch ? ex->epoch : &zero_epoch;
    uw_instance *inst = entry->inst;
    const uw__code *code0 = entry->rt;
    uw_memory *M;
    uint8_t *mbase;
    uint64_t msize;
    const uw__cell *pc;
    int trap = 0;

#define RELOAD_MEM()                                                                       \
    do {                                                                                   \
        M = inst->mem ? inst->mem : &no_memory;                                            \
        mbase = M->base;                                                                   \
        msize = M->size;                                                                   \
    } while (0)
#define NEXT goto *pc->h
#define TRAP(k)                                                                            \
    do {                                                                                   \
        trap = (k);                                                                        \
        goto trapped;                                                                      \
    } while (0)
#define S(k) fp[pc[k].u]

    if (depth >= nframes) {
        trap = UW_TRAP_STACK_EXHAUSTED;
        goto trapped;
    }
    frames[depth++] = (uw__frame){halt, fp, inst};
    RELOAD_MEM();
    pc = code0->cells;
    NEXT;

    /* ---- integer binary operators (reg/reg and reg/imm) ------------------------------- */
#define IBIN(NAME, T, EXPR)                                                                \
    L_##NAME : {                                                                           \
        T a = (T)S(2), b = (T)S(3);                                                        \
        uint64_t r_;                                                                       \
        EXPR;                                                                              \
        S(1) = r_;                                                                         \
        pc += 4;                                                                           \
        NEXT;                                                                              \
    }                                                                                      \
    L_##NAME##_I : {                                                                       \
        T a = (T)S(2), b = (T)pc[3].u;                                                     \
        uint64_t r_;                                                                       \
        EXPR;                                                                              \
        S(1) = r_;                                                                         \
        pc += 4;                                                                           \
        NEXT;                                                                              \
    }
    IBIN(I32_EQ, uint32_t, r_ = a == b)
    IBIN(I32_NE, uint32_t, r_ = a != b)
    IBIN(I32_LT_S, uint32_t, r_ = (int32_t)a < (int32_t)b)
    IBIN(I32_LT_U, uint32_t, r_ = a < b)
    IBIN(I32_GT_S, uint32_t, r_ = (int32_t)a > (int32_t)b)
    IBIN(I32_GT_U, uint32_t, r_ = a > b)
    IBIN(I32_LE_S, uint32_t, r_ = (int32_t)a <= (int32_t)b)
    IBIN(I32_LE_U, uint32_t, r_ = a <= b)
    IBIN(I32_GE_S, uint32_t, r_ = (int32_t)a >= (int32_t)b)
    IBIN(I32_GE_U, uint32_t, r_ = a >= b)
    IBIN(I64_EQ, uint64_t, r_ = a == b)
    IBIN(I64_NE, uint64_t, r_ = a != b)
    IBIN(I64_LT_S, uint64_t, r_ = (int64_t)a < (int64_t)b)
    IBIN(I64_LT_U, uint64_t, r_ = a < b)
    IBIN(I64_GT_S, uint64_t, r_ = (int64_t)a > (int64_t)b)
    IBIN(I64_GT_U, uint64_t, r_ = a > b)
    IBIN(I64_LE_S, uint64_t, r_ = (int64_t)a <= (int64_t)b)
    IBIN(I64_LE_U, uint64_t, r_ = a <= b)
    IBIN(I64_GE_S, uint64_t, r_ = (int64_t)a >= (int64_t)b)
    IBIN(I64_GE_U, uint64_t, r_ = a >= b)
    IBIN(I32_ADD, uint32_t, r_ = (uint32_t)(a + b))
    IBIN(I32_SUB, uint32_t, r_ = (uint32_t)(a - b))
    IBIN(I32_MUL, uint32_t, r_ = (uint32_t)(a * b))
    IBIN(I32_DIV_S, uint32_t, {
        if (UNLIKELY(b == 0)) TRAP(UW_TRAP_DIV_ZERO);
        if (UNLIKELY(a == 0x80000000u && b == 0xffffffffu)) TRAP(UW_TRAP_INT_OVERFLOW);
        r_ = (uint32_t)((int32_t)a / (int32_t)b);
    })
    IBIN(I32_DIV_U, uint32_t, {
        if (UNLIKELY(b == 0)) TRAP(UW_TRAP_DIV_ZERO);
        r_ = a / b;
    })
    IBIN(I32_REM_S, uint32_t, {
        if (UNLIKELY(b == 0)) TRAP(UW_TRAP_DIV_ZERO);
        r_ = b == 0xffffffffu ? 0 : (uint32_t)((int32_t)a % (int32_t)b);
    })
    IBIN(I32_REM_U, uint32_t, {
        if (UNLIKELY(b == 0)) TRAP(UW_TRAP_DIV_ZERO);
        r_ = a % b;
    })
    IBIN(I32_AND, uint32_t, r_ = a & b)
    IBIN(I32_OR, uint32_t, r_ = a | b)
    IBIN(I32_XOR, uint32_t, r_ = a ^ b)
    IBIN(I32_SHL, uint32_t, r_ = (uint32_t)(a << (b & 31)))
    IBIN(I32_SHR_S, uint32_t, r_ = (uint32_t)((int32_t)a >> (b & 31)))
    IBIN(I32_SHR_U, uint32_t, r_ = a >> (b & 31))
    IBIN(I32_ROTL, uint32_t, r_ = rotl32(a, b))
    IBIN(I32_ROTR, uint32_t, r_ = rotr32(a, b))
    IBIN(I64_ADD, uint64_t, r_ = a + b)
    IBIN(I64_SUB, uint64_t, r_ = a - b)
    IBIN(I64_MUL, uint64_t, r_ = a * b)
    IBIN(I64_DIV_S, uint64_t, {
        if (UNLIKELY(b == 0)) TRAP(UW_TRAP_DIV_ZERO);
        if (UNLIKELY(a == 0x8000000000000000ull && b == ~0ull)) TRAP(UW_TRAP_INT_OVERFLOW);
        r_ = (uint64_t)((int64_t)a / (int64_t)b);
    })
    IBIN(I64_DIV_U, uint64_t, {
        if (UNLIKELY(b == 0)) TRAP(UW_TRAP_DIV_ZERO);
        r_ = a / b;
    })
    IBIN(I64_REM_S, uint64_t, {
        if (UNLIKELY(b == 0)) TRAP(UW_TRAP_DIV_ZERO);
        r_ = b == ~0ull ? 0 : (uint64_t)((int64_t)a % (int64_t)b);
    })
    IBIN(I64_REM_U, uint64_t, {
        if (UNLIKELY(b == 0)) TRAP(UW_TRAP_DIV_ZERO);
        r_ = a % b;
    })
    IBIN(I64_AND, uint64_t, r_ = a & b)
    IBIN(I64_OR, uint64_t, r_ = a | b)
    IBIN(I64_XOR, uint64_t, r_ = a ^ b)
    IBIN(I64_SHL, uint64_t, r_ = a << (b & 63))
    IBIN(I64_SHR_S, uint64_t, r_ = (uint64_t)((int64_t)a >> (b & 63)))
    IBIN(I64_SHR_U, uint64_t, r_ = a >> (b & 63))
    IBIN(I64_ROTL, uint64_t, r_ = rotl64(a, b))
    IBIN(I64_ROTR, uint64_t, r_ = rotr64(a, b))
#undef IBIN

    /* ---- fused i32 compare + br_if ------------------------------------------------------ */
#define FUSED(NAME, COND)                                                                  \
    L_BR_IF_##NAME : {                                                                     \
        uint32_t a = (uint32_t)S(1), b = (uint32_t)S(2);                                   \
        if (COND) {                                                                        \
            pc += pc[3].i;                                                                 \
            NEXT;                                                                          \
        }                                                                                  \
        pc += 4;                                                                           \
        NEXT;                                                                              \
    }                                                                                      \
    L_BR_IF_##NAME##_I : {                                                                 \
        uint32_t a = (uint32_t)S(1), b = (uint32_t)pc[2].u;                                \
        if (COND) {                                                                        \
            pc += pc[3].i;                                                                 \
            NEXT;                                                                          \
        }                                                                                  \
        pc += 4;                                                                           \
        NEXT;                                                                              \
    }
    /* taken back-edge: the loop header's fuel charge and deadline check, then past it */
#define TAKE_LOOP(off)                                                                     \
    do {                                                                                   \
        const uw__cell *t_ = pc + (off);                                                   \
        fuel -= t_[1].i;                                                                   \
        if (UNLIKELY(fuel < 0)) TRAP(UW_TRAP_OUT_OF_FUEL);                                 \
        if (UNLIKELY(atomic_load_explicit(epoch, memory_order_relaxed) >= deadline))       \
            TRAP(UW_TRAP_DEADLINE);                                                        \
        pc = t_ + 2;                                                                       \
        NEXT;                                                                              \
    } while (0)
#define FUSED_L(NAME, COND)                                                                \
    L_BR_IF_##NAME##_L : {                                                                 \
        uint32_t a = (uint32_t)S(1), b = (uint32_t)S(2);                                   \
        if (COND) TAKE_LOOP(pc[3].i);                                                      \
        pc += 4;                                                                           \
        NEXT;                                                                              \
    }                                                                                      \
    L_BR_IF_##NAME##_I_L : {                                                               \
        uint32_t a = (uint32_t)S(1), b = (uint32_t)pc[2].u;                                \
        if (COND) TAKE_LOOP(pc[3].i);                                                      \
        pc += 4;                                                                           \
        NEXT;                                                                              \
    }
    FUSED_L(I32_EQ, a == b)
    FUSED_L(I32_NE, a != b)
    FUSED_L(I32_LT_S, (int32_t)a < (int32_t)b)
    FUSED_L(I32_LT_U, a < b)
    FUSED_L(I32_GT_S, (int32_t)a > (int32_t)b)
    FUSED_L(I32_GT_U, a > b)
    FUSED_L(I32_LE_S, (int32_t)a <= (int32_t)b)
    FUSED_L(I32_LE_U, a <= b)
    FUSED_L(I32_GE_S, (int32_t)a >= (int32_t)b)
    FUSED_L(I32_GE_U, a >= b)
#undef FUSED_L
L_BR_IF_I32_EQZ_L:
    if ((uint32_t)S(1) == 0) TAKE_LOOP(pc[2].i);
    pc += 3;
    NEXT;
L_BR_IF_L:
    if ((uint32_t)S(1)) TAKE_LOOP(pc[2].i);
    pc += 3;
    NEXT;
L_BR_L:
    TAKE_LOOP(pc[1].i);

    FUSED(I32_EQ, a == b)
    FUSED(I32_NE, a != b)
    FUSED(I32_LT_S, (int32_t)a < (int32_t)b)
    FUSED(I32_LT_U, a < b)
    FUSED(I32_GT_S, (int32_t)a > (int32_t)b)
    FUSED(I32_GT_U, a > b)
    FUSED(I32_LE_S, (int32_t)a <= (int32_t)b)
    FUSED(I32_LE_U, a <= b)
    FUSED(I32_GE_S, (int32_t)a >= (int32_t)b)
    FUSED(I32_GE_U, a >= b)
#undef FUSED
L_BR_IF_I32_EQZ:
    if ((uint32_t)S(1) == 0) {
        pc += pc[2].i;
        NEXT;
    }
    pc += 3;
    NEXT;

    /* ---- float binary operators ------------------------------------------------------- */
#define FBIN32(NAME, EXPR)                                                                 \
    L_##NAME : {                                                                           \
        float a = f32_of(S(2)), b = f32_of(S(3));                                          \
        S(1) = (EXPR);                                                                     \
        pc += 4;                                                                           \
        NEXT;                                                                              \
    }
#define FBIN64(NAME, EXPR)                                                                 \
    L_##NAME : {                                                                           \
        double a = f64_of(S(2)), b = f64_of(S(3));                                         \
        S(1) = (EXPR);                                                                     \
        pc += 4;                                                                           \
        NEXT;                                                                              \
    }
    FBIN32(F32_EQ, (uint64_t)(a == b))
    FBIN32(F32_NE, (uint64_t)(a != b))
    FBIN32(F32_LT, (uint64_t)(a < b))
    FBIN32(F32_GT, (uint64_t)(a > b))
    FBIN32(F32_LE, (uint64_t)(a <= b))
    FBIN32(F32_GE, (uint64_t)(a >= b))
    FBIN64(F64_EQ, (uint64_t)(a == b))
    FBIN64(F64_NE, (uint64_t)(a != b))
    FBIN64(F64_LT, (uint64_t)(a < b))
    FBIN64(F64_GT, (uint64_t)(a > b))
    FBIN64(F64_LE, (uint64_t)(a <= b))
    FBIN64(F64_GE, (uint64_t)(a >= b))
    FBIN32(F32_ADD, bits_f32(a + b))
    FBIN32(F32_SUB, bits_f32(a - b))
    FBIN32(F32_MUL, bits_f32(a * b))
    FBIN32(F32_DIV, bits_f32(a / b))
    FBIN32(F32_MIN, bits_f32(wmin32(a, b)))
    FBIN32(F32_MAX, bits_f32(wmax32(a, b)))
    FBIN64(F64_ADD, bits_f64(a + b))
    FBIN64(F64_SUB, bits_f64(a - b))
    FBIN64(F64_MUL, bits_f64(a * b))
    FBIN64(F64_DIV, bits_f64(a / b))
    FBIN64(F64_MIN, bits_f64(wmin64(a, b)))
    FBIN64(F64_MAX, bits_f64(wmax64(a, b)))
#undef FBIN32
#undef FBIN64
L_F32_COPYSIGN : {
    uint64_t a = S(2), b = S(3);
    S(1) = (a & 0x7fffffffu) | (b & 0x80000000u);
    pc += 4;
    NEXT;
}
L_F64_COPYSIGN : {
    uint64_t a = S(2), b = S(3);
    S(1) = (a & 0x7fffffffffffffffull) | (b & 0x8000000000000000ull);
    pc += 4;
    NEXT;
}

    /* ---- unary operators -------------------------------------------------------------- */
#define UN(NAME, T, GET, EXPR)                                                             \
    L_##NAME : {                                                                           \
        T a = GET(S(2));                                                                   \
        uint64_t r_;                                                                       \
        EXPR;                                                                              \
        S(1) = r_;                                                                         \
        pc += 3;                                                                           \
        NEXT;                                                                              \
    }
#define U32(x) ((uint32_t)(x))
#define U64(x) ((uint64_t)(x))
    UN(I32_EQZ, uint32_t, U32, r_ = a == 0)
    UN(I64_EQZ, uint64_t, U64, r_ = a == 0)
    UN(I32_CLZ, uint32_t, U32, r_ = a ? (uint64_t)__builtin_clz(a) : 32)
    UN(I32_CTZ, uint32_t, U32, r_ = a ? (uint64_t)__builtin_ctz(a) : 32)
    UN(I32_POPCNT, uint32_t, U32, r_ = (uint64_t)__builtin_popcount(a))
    UN(I64_CLZ, uint64_t, U64, r_ = a ? (uint64_t)__builtin_clzll(a) : 64)
    UN(I64_CTZ, uint64_t, U64, r_ = a ? (uint64_t)__builtin_ctzll(a) : 64)
    UN(I64_POPCNT, uint64_t, U64, r_ = (uint64_t)__builtin_popcountll(a))
    UN(F32_ABS, uint64_t, U64, r_ = a & 0x7fffffffu)
    UN(F32_NEG, uint64_t, U64, r_ = (a ^ 0x80000000u) & 0xffffffffu)
    UN(F32_CEIL, float, f32_of, r_ = bits_f32(a != a ? a + a : ceilf(a)))
    UN(F32_FLOOR, float, f32_of, r_ = bits_f32(a != a ? a + a : floorf(a)))
    UN(F32_TRUNC, float, f32_of, r_ = bits_f32(a != a ? a + a : truncf(a)))
    UN(F32_NEAREST, float, f32_of, r_ = bits_f32(a != a ? a + a : rintf(a))) /* ties-to-even mode */
    UN(F32_SQRT, float, f32_of, r_ = bits_f32(sqrtf(a)))
    UN(F64_ABS, uint64_t, U64, r_ = a & 0x7fffffffffffffffull)
    UN(F64_NEG, uint64_t, U64, r_ = a ^ 0x8000000000000000ull)
    UN(F64_CEIL, double, f64_of, r_ = bits_f64(a != a ? a + a : ceil(a)))
    UN(F64_FLOOR, double, f64_of, r_ = bits_f64(a != a ? a + a : floor(a)))
    UN(F64_TRUNC, double, f64_of, r_ = bits_f64(a != a ? a + a : trunc(a)))
    UN(F64_NEAREST, double, f64_of, r_ = bits_f64(a != a ? a + a : rint(a)))
    UN(F64_SQRT, double, f64_of, r_ = bits_f64(sqrt(a)))
    UN(I32_WRAP_I64, uint64_t, U64, r_ = (uint32_t)a)
    /* Wasm 2.0 §4.3.4 trunc: NaN -> invalid conversion, out of range -> integer overflow */
    UN(I32_TRUNC_F32_S, float, f32_of, {
        if (UNLIKELY(a != a)) TRAP(UW_TRAP_INVALID_CONVERSION);
        if (UNLIKELY(!(a >= -2147483648.0f && a < 2147483648.0f))) TRAP(UW_TRAP_INT_OVERFLOW);
        r_ = (uint32_t)(int32_t)a;
    })
    UN(I32_TRUNC_F32_U, float, f32_of, {
        if (UNLIKELY(a != a)) TRAP(UW_TRAP_INVALID_CONVERSION);
        if (UNLIKELY(!(a > -1.0f && a < 4294967296.0f))) TRAP(UW_TRAP_INT_OVERFLOW);
        r_ = (uint32_t)a;
    })
    UN(I32_TRUNC_F64_S, double, f64_of, {
        if (UNLIKELY(a != a)) TRAP(UW_TRAP_INVALID_CONVERSION);
        if (UNLIKELY(!(a > -2147483649.0 && a < 2147483648.0))) TRAP(UW_TRAP_INT_OVERFLOW);
        r_ = (uint32_t)(int32_t)a;
    })
    UN(I32_TRUNC_F64_U, double, f64_of, {
        if (UNLIKELY(a != a)) TRAP(UW_TRAP_INVALID_CONVERSION);
        if (UNLIKELY(!(a > -1.0 && a < 4294967296.0))) TRAP(UW_TRAP_INT_OVERFLOW);
        r_ = (uint32_t)a;
    })
    UN(I64_EXTEND_I32_S, uint64_t, U64, r_ = (uint64_t)(int64_t)(int32_t)(uint32_t)a)
    UN(I64_EXTEND_I32_U, uint64_t, U64, r_ = (uint32_t)a)
    UN(I64_TRUNC_F32_S, float, f32_of, {
        if (UNLIKELY(a != a)) TRAP(UW_TRAP_INVALID_CONVERSION);
        if (UNLIKELY(!(a >= -9223372036854775808.0f && a < 9223372036854775808.0f)))
            TRAP(UW_TRAP_INT_OVERFLOW);
        r_ = (uint64_t)(int64_t)a;
    })
    UN(I64_TRUNC_F32_U, float, f32_of, {
        if (UNLIKELY(a != a)) TRAP(UW_TRAP_INVALID_CONVERSION);
        if (UNLIKELY(!(a > -1.0f && a < 18446744073709551616.0f))) TRAP(UW_TRAP_INT_OVERFLOW);
        r_ = (uint64_t)a;
    })
    UN(I64_TRUNC_F64_S, double, f64_of, {
        if (UNLIKELY(a != a)) TRAP(UW_TRAP_INVALID_CONVERSION);
        if (UNLIKELY(!(a >= -9223372036854775808.0 && a < 9223372036854775808.0)))
            TRAP(UW_TRAP_INT_OVERFLOW);
        r_ = (uint64_t)(int64_t)a;
    })
    UN(I64_TRUNC_F64_U, double, f64_of, {
        if (UNLIKELY(a != a)) TRAP(UW_TRAP_INVALID_CONVERSION);
        if (UNLIKELY(!(a > -1.0 && a < 18446744073709551616.0))) TRAP(UW_TRAP_INT_OVERFLOW);
        r_ = (uint64_t)a;
    })
    UN(F32_CONVERT_I32_S, uint64_t, U64, r_ = bits_f32((float)(int32_t)(uint32_t)a))
    UN(F32_CONVERT_I32_U, uint64_t, U64, r_ = bits_f32((float)(uint32_t)a))
    UN(F32_CONVERT_I64_S, uint64_t, U64, r_ = bits_f32((float)(int64_t)a))
    UN(F32_CONVERT_I64_U, uint64_t, U64, r_ = bits_f32((float)a))
    UN(F32_DEMOTE_F64, double, f64_of, r_ = bits_f32((float)a))
    UN(F64_CONVERT_I32_S, uint64_t, U64, r_ = bits_f64((double)(int32_t)(uint32_t)a))
    UN(F64_CONVERT_I32_U, uint64_t, U64, r_ = bits_f64((double)(uint32_t)a))
    UN(F64_CONVERT_I64_S, uint64_t, U64, r_ = bits_f64((double)(int64_t)a))
    UN(F64_CONVERT_I64_U, uint64_t, U64, r_ = bits_f64((double)a))
    UN(F64_PROMOTE_F32, float, f32_of, r_ = bits_f64((double)a))
    UN(I32_EXTEND8_S, uint64_t, U64, r_ = (uint32_t)(int32_t)(int8_t)(uint8_t)a)
    UN(I32_EXTEND16_S, uint64_t, U64, r_ = (uint32_t)(int32_t)(int16_t)(uint16_t)a)
    UN(I64_EXTEND8_S, uint64_t, U64, r_ = (uint64_t)(int64_t)(int8_t)(uint8_t)a)
    UN(I64_EXTEND16_S, uint64_t, U64, r_ = (uint64_t)(int64_t)(int16_t)(uint16_t)a)
    UN(I64_EXTEND32_S, uint64_t, U64, r_ = (uint64_t)(int64_t)(int32_t)(uint32_t)a)
    /* §4.3.4 trunc_sat: NaN -> 0, saturate at the bounds */
    UN(I32_TRUNC_SAT_F32_S, float, f32_of, {
        if (a != a) r_ = 0;
        else if (a < -2147483648.0f) r_ = 0x80000000u;
        else if (a >= 2147483648.0f) r_ = 0x7fffffffu;
        else r_ = (uint32_t)(int32_t)a;
    })
    UN(I32_TRUNC_SAT_F32_U, float, f32_of, {
        if (a != a || a <= -1.0f) r_ = 0;
        else if (a >= 4294967296.0f) r_ = 0xffffffffu;
        else r_ = (uint32_t)a;
    })
    UN(I32_TRUNC_SAT_F64_S, double, f64_of, {
        if (a != a) r_ = 0;
        else if (a <= -2147483649.0) r_ = 0x80000000u;
        else if (a >= 2147483648.0) r_ = 0x7fffffffu;
        else r_ = (uint32_t)(int32_t)a;
    })
    UN(I32_TRUNC_SAT_F64_U, double, f64_of, {
        if (a != a || a <= -1.0) r_ = 0;
        else if (a >= 4294967296.0) r_ = 0xffffffffu;
        else r_ = (uint32_t)a;
    })
    UN(I64_TRUNC_SAT_F32_S, float, f32_of, {
        if (a != a) r_ = 0;
        else if (a < -9223372036854775808.0f) r_ = 0x8000000000000000ull;
        else if (a >= 9223372036854775808.0f) r_ = 0x7fffffffffffffffull;
        else r_ = (uint64_t)(int64_t)a;
    })
    UN(I64_TRUNC_SAT_F32_U, float, f32_of, {
        if (a != a || a <= -1.0f) r_ = 0;
        else if (a >= 18446744073709551616.0f) r_ = ~0ull;
        else r_ = (uint64_t)a;
    })
    UN(I64_TRUNC_SAT_F64_S, double, f64_of, {
        if (a != a) r_ = 0;
        else if (a < -9223372036854775808.0) r_ = 0x8000000000000000ull;
        else if (a >= 9223372036854775808.0) r_ = 0x7fffffffffffffffull;
        else r_ = (uint64_t)(int64_t)a;
    })
    UN(I64_TRUNC_SAT_F64_U, double, f64_of, {
        if (a != a || a <= -1.0) r_ = 0;
        else if (a >= 18446744073709551616.0) r_ = ~0ull;
        else r_ = (uint64_t)a;
    })
#undef UN

    /* ---- memory ----------------------------------------------------------------------- */
    /* effective address = u32 operand + u32 offset, computed in 64 bits (no wrap) */
#define LOAD(NAME, N, T, CONV)                                                             \
    L_##NAME : {                                                                           \
        uint64_t ea = (uint64_t)(uint32_t)S(2) + pc[3].u;                                  \
        if (UNLIKELY(ea + (N) > msize)) TRAP(UW_TRAP_MEMORY_OOB);                            \
        T v_;                                                                              \
        memcpy(&v_, mbase + ea, N);                                                        \
        S(1) = CONV(v_);                                                                   \
        pc += 4;                                                                           \
        NEXT;                                                                              \
    }                                                                                      \
    L_##NAME##_A : {                                                                       \
        uint64_t ea = (uint64_t)(uint32_t)((uint32_t)S(2) + (uint32_t)S(3)) + pc[4].u;     \
        if (UNLIKELY(ea + (N) > msize)) TRAP(UW_TRAP_MEMORY_OOB);                            \
        T v_;                                                                              \
        memcpy(&v_, mbase + ea, N);                                                        \
        S(1) = CONV(v_);                                                                   \
        pc += 5;                                                                           \
        NEXT;                                                                              \
    }                                                                                      \
    L_##NAME##_AI : {                                                                      \
        uint64_t ea = (uint64_t)(uint32_t)((uint32_t)S(2) + (uint32_t)pc[3].u) + pc[4].u;  \
        if (UNLIKELY(ea + (N) > msize)) TRAP(UW_TRAP_MEMORY_OOB);                            \
        T v_;                                                                              \
        memcpy(&v_, mbase + ea, N);                                                        \
        S(1) = CONV(v_);                                                                   \
        pc += 5;                                                                           \
        NEXT;                                                                              \
    }
    LOAD(I32_LOAD, 4, uint32_t, (uint64_t))
    LOAD(I64_LOAD, 8, uint64_t, (uint64_t))
    LOAD(I32_LOAD8_S, 1, int8_t, (uint32_t)(int32_t))
    LOAD(I32_LOAD8_U, 1, uint8_t, (uint64_t))
    LOAD(I32_LOAD16_S, 2, int16_t, (uint32_t)(int32_t))
    LOAD(I32_LOAD16_U, 2, uint16_t, (uint64_t))
    LOAD(I64_LOAD8_S, 1, int8_t, (uint64_t)(int64_t))
    LOAD(I64_LOAD8_U, 1, uint8_t, (uint64_t))
    LOAD(I64_LOAD16_S, 2, int16_t, (uint64_t)(int64_t))
    LOAD(I64_LOAD16_U, 2, uint16_t, (uint64_t))
    LOAD(I64_LOAD32_S, 4, int32_t, (uint64_t)(int64_t))
    LOAD(I64_LOAD32_U, 4, uint32_t, (uint64_t))
#undef LOAD
#define STORE(NAME, N, T)                                                                  \
    L_##NAME : {                                                                           \
        uint64_t ea = (uint64_t)(uint32_t)S(1) + pc[3].u;                                  \
        if (UNLIKELY(ea + (N) > msize)) TRAP(UW_TRAP_MEMORY_OOB);                            \
        T v_ = (T)S(2);                                                                    \
        memcpy(mbase + ea, &v_, N);                                                        \
        pc += 4;                                                                           \
        NEXT;                                                                              \
    }                                                                                      \
    L_##NAME##_A : {                                                                       \
        uint64_t ea = (uint64_t)(uint32_t)((uint32_t)S(1) + (uint32_t)S(2)) + pc[4].u;     \
        if (UNLIKELY(ea + (N) > msize)) TRAP(UW_TRAP_MEMORY_OOB);                            \
        T v_ = (T)S(3);                                                                    \
        memcpy(mbase + ea, &v_, N);                                                        \
        pc += 5;                                                                           \
        NEXT;                                                                              \
    }                                                                                      \
    L_##NAME##_AI : {                                                                      \
        uint64_t ea = (uint64_t)(uint32_t)((uint32_t)S(1) + (uint32_t)pc[2].u) + pc[4].u;  \
        if (UNLIKELY(ea + (N) > msize)) TRAP(UW_TRAP_MEMORY_OOB);                            \
        T v_ = (T)S(3);                                                                    \
        memcpy(mbase + ea, &v_, N);                                                        \
        pc += 5;                                                                           \
        NEXT;                                                                              \
    }
    STORE(I32_STORE, 4, uint32_t)
    STORE(I64_STORE, 8, uint64_t)
    STORE(I32_STORE8, 1, uint8_t)
    STORE(I32_STORE16, 2, uint16_t)
    STORE(I64_STORE8, 1, uint8_t)
    STORE(I64_STORE16, 2, uint16_t)
    STORE(I64_STORE32, 4, uint32_t)
#undef STORE

L_MEMORY_SIZE:
    S(1) = msize / UW__PAGE_SIZE;
    pc += 2;
    NEXT;
L_MEMORY_GROW : {
    uint32_t delta = (uint32_t)S(2);
    int64_t r = inst->mem ? uw__mem_grow(M, delta) : -1;
    RELOAD_MEM();
    S(1) = (uint32_t)r;
    pc += 3;
    NEXT;
}
L_MEMORY_INIT : {
    uint64_t d = (uint32_t)S(2), s = (uint32_t)S(3), n = (uint32_t)S(4);
    fuel -= (int64_t)fuel_units(n);
    if (UNLIKELY(fuel < 0)) TRAP(UW_TRAP_OUT_OF_FUEL);
    int r = uw__op_memory_init(inst, (uint32_t)pc[1].u, d, s, n);
    if (UNLIKELY(r)) TRAP(r);
    pc += 5;
    NEXT;
}
L_DATA_DROP:
    inst->data_len[pc[1].u] = 0;
    pc += 2;
    NEXT;
L_MEMORY_COPY : {
    uint64_t d = (uint32_t)S(1), s = (uint32_t)S(2), n = (uint32_t)S(3);
    /* Bounds first: fuel pays for work that is done (an out-of-bounds op traps anyway). */
    if (UNLIKELY(d + n > msize || s + n > msize)) TRAP(UW_TRAP_MEMORY_OOB);
    fuel -= (int64_t)fuel_units(n);
    if (UNLIKELY(fuel < 0)) TRAP(UW_TRAP_OUT_OF_FUEL);
    if (n) memmove(mbase + d, mbase + s, n);
    pc += 4;
    NEXT;
}
L_MEMORY_FILL : {
    uint64_t d = (uint32_t)S(1), n = (uint32_t)S(3);
    int v = (int)(uint8_t)S(2);
    if (UNLIKELY(d + n > msize)) TRAP(UW_TRAP_MEMORY_OOB);
    fuel -= (int64_t)fuel_units(n);
    if (UNLIKELY(fuel < 0)) TRAP(UW_TRAP_OUT_OF_FUEL);
    if (n) memset(mbase + d, v, n);
    pc += 4;
    NEXT;
}

    /* ---- tables ----------------------------------------------------------------------- */
L_TABLE_INIT : {
    uint64_t d = (uint32_t)S(3), s = (uint32_t)S(4), n = (uint32_t)S(5);
    fuel -= (int64_t)n;
    if (UNLIKELY(fuel < 0)) TRAP(UW_TRAP_OUT_OF_FUEL);
    int r = uw__op_table_init(inst, (uint32_t)pc[1].u, (uint32_t)pc[2].u, d, s, n);
    if (UNLIKELY(r)) TRAP(r);
    pc += 6;
    NEXT;
}
L_ELEM_DROP:
    inst->elem_len[pc[1].u] = 0;
    pc += 2;
    NEXT;
L_TABLE_COPY : {
    uw_table *td = inst->tables[pc[1].u], *ts = inst->tables[pc[2].u];
    uint64_t d = (uint32_t)S(3), s = (uint32_t)S(4), n = (uint32_t)S(5);
    if (UNLIKELY(d + n > td->size || s + n > ts->size)) TRAP(UW_TRAP_TABLE_OOB);
    fuel -= (int64_t)n;
    if (UNLIKELY(fuel < 0)) TRAP(UW_TRAP_OUT_OF_FUEL);
    if (n) memmove(td->elems + d, ts->elems + s, n * sizeof(uint64_t));
    pc += 6;
    NEXT;
}
L_TABLE_GROW : {
    uw_table *t = inst->tables[pc[2].u];
    uint64_t init = S(3);
    uint32_t n = (uint32_t)S(4);
    /* A grow that fails (cap, maximum) returns -1 as the spec says and costs nothing; a
     * grow that succeeds is charged by its length. */
    int64_t r = uw__tab_grow(t, n, init);
    S(1) = (uint32_t)r;
    if (r >= 0) {
        fuel -= (int64_t)n;
        if (UNLIKELY(fuel < 0)) TRAP(UW_TRAP_OUT_OF_FUEL);
    }
    pc += 5;
    NEXT;
}
L_TABLE_SIZE:
    S(1) = inst->tables[pc[2].u]->size;
    pc += 3;
    NEXT;
L_TABLE_FILL : {
    uw_table *t = inst->tables[pc[1].u];
    uint64_t i = (uint32_t)S(2), v = S(3), n = (uint32_t)S(4);
    if (UNLIKELY(i + n > t->size)) TRAP(UW_TRAP_TABLE_OOB);
    fuel -= (int64_t)n;
    if (UNLIKELY(fuel < 0)) TRAP(UW_TRAP_OUT_OF_FUEL);
    for (uint64_t k = 0; k < n; k++) t->elems[i + k] = v;
    pc += 5;
    NEXT;
}
L_TABLE_GET : {
    uw_table *t = inst->tables[pc[2].u];
    uint32_t i = (uint32_t)S(3);
    if (UNLIKELY(i >= t->size)) TRAP(UW_TRAP_TABLE_OOB);
    S(1) = t->elems[i];
    pc += 4;
    NEXT;
}
L_TABLE_SET : {
    uw_table *t = inst->tables[pc[1].u];
    uint32_t i = (uint32_t)S(2);
    if (UNLIKELY(i >= t->size)) TRAP(UW_TRAP_TABLE_OOB);
    t->elems[i] = S(3);
    pc += 4;
    NEXT;
}
L_REF_FUNC:
    S(1) = (uint64_t)(uintptr_t)inst->funcs[pc[2].u];
    pc += 3;
    NEXT;

    /* ---- variables -------------------------------------------------------------------- */
L_COPY:
    S(1) = S(2);
    pc += 3;
    NEXT;
L_CONST:
    S(1) = pc[2].u;
    pc += 3;
    NEXT;
L_SELECT : {
    uint64_t a = S(2), b = S(3);
    S(1) = (uint32_t)S(4) ? a : b;
    pc += 5;
    NEXT;
}
L_GLOBAL_GET:
    S(1) = inst->globals[pc[2].u]->v;
    pc += 3;
    NEXT;
L_GLOBAL_SET:
    inst->globals[pc[1].u]->v = S(2);
    pc += 3;
    NEXT;

    /* ---- control ---------------------------------------------------------------------- */
L_UNREACHABLE:
    TRAP(UW_TRAP_UNREACHABLE);
L_FUEL:
    fuel -= pc[1].i;
    if (UNLIKELY(fuel < 0)) TRAP(UW_TRAP_OUT_OF_FUEL);
    pc += 2;
    NEXT;
L_LOOP:
    fuel -= pc[1].i;
    if (UNLIKELY(fuel < 0)) TRAP(UW_TRAP_OUT_OF_FUEL);
    if (UNLIKELY(atomic_load_explicit(epoch, memory_order_relaxed) >= deadline))
        TRAP(UW_TRAP_DEADLINE);
    pc += 2;
    NEXT;
L_BR:
    pc += pc[1].i;
    NEXT;
L_BR_IF:
    if ((uint32_t)S(1)) {
        pc += pc[2].i;
        NEXT;
    }
    pc += 3;
    NEXT;
L_BR_UNLESS:
    if (!(uint32_t)S(1)) {
        pc += pc[2].i;
        NEXT;
    }
    pc += 3;
    NEXT;
L_BR_TABLE : {
    uint64_t i = (uint32_t)S(1), n = pc[2].u;
    if (i > n) i = n;
    pc += pc[3 + i].i;
    NEXT;
}
L_ENTER : {
    /* [frame_slots, zero_from, zero_n, fuel] */
    if (UNLIKELY(fp + pc[1].u > stack_end)) TRAP(UW_TRAP_STACK_EXHAUSTED);
    /* Zero the non-parameter locals. The empty asm keeps gcc from turning this loop into a
     * memset@plt call (spills + a library call on every wasm call; n is usually 0..8). */
    uint64_t *z = fp + pc[2].u, *const ze = z + pc[3].u;
    while (z < ze) {
        *z++ = 0;
        __asm__("" : "+r"(z));
    }
    fuel -= pc[4].i;
    if (UNLIKELY(fuel < 0)) TRAP(UW_TRAP_OUT_OF_FUEL);
    if (UNLIKELY(atomic_load_explicit(epoch, memory_order_relaxed) >= deadline))
        TRAP(UW_TRAP_DEADLINE);
    pc += 5;
    NEXT;
}
L_RET1:
    fp[0] = S(1);
    goto do_ret;
L_RETN : {
    uint64_t *src = fp + pc[1].u;
    for (uint64_t k = 0, n = pc[2].u; k < n; k++) fp[k] = src[k];
    goto do_ret;
}
L_RET0:
do_ret : {
    uw__frame *fr = &frames[--depth];
    pc = fr->ret_pc;
    fp = fr->fp;
    if (UNLIKELY(fr->inst != inst)) {
        inst = fr->inst;
        RELOAD_MEM();
    } else {
        msize = M->size; /* the callee may have grown the memory; the base never moves */
    }
    NEXT;
}
L_CALL : {
    uw_func *f = inst->funcs[pc[1].u];
    uint64_t *nfp = fp + pc[2].u;
    const uw__cell *ret = pc + 3;
    goto do_call;
L_CALL_INDIRECT:
    nfp = fp + pc[4].u;
    ret = pc + 5;
    {
        uint32_t ti = (uint32_t)pc[1].u;
        uw_table *t = inst->tables[ti];
        uint32_t i = (uint32_t)S(3);
        if (UNLIKELY(i >= t->size)) {
            ex->trap_index = i;
            TRAP(UW__TRAP_UNDEF_ELEM);
        }
        f = (uw_func *)(uintptr_t)t->elems[i];
        if (UNLIKELY(!f)) {
            ex->trap_index = i;
            TRAP(UW_TRAP_UNINIT_ELEM);
        }
        if (UNLIKELY(f->type_id != inst->type_ids[pc[2].u])) TRAP(UW_TRAP_INDIRECT_TYPE);
    }
do_call:
    if (UNLIKELY(f->host != NULL)) {
        ex->fuel = fuel;
        ex->depth = depth;
        int r = call_host(ex, inst, f, nfp);
        fuel = ex->fuel;
        RELOAD_MEM();
        if (UNLIKELY(r)) TRAP(r);
        pc = ret;
        NEXT;
    }
    if (UNLIKELY(depth >= nframes)) TRAP(UW_TRAP_STACK_EXHAUSTED);
    frames[depth++] = (uw__frame){ret, fp, inst};
    fp = nfp;
    if (f->inst != inst) {
        inst = f->inst;
        RELOAD_MEM();
    }
    pc = ((const uw__code *)f->rt)->cells;
    goto L_ENTER; /* every body starts with ENTER: a direct jump instead of a dispatch */
}
L_CALL_DEF : {
    /* [code, s argbase]: same frame push as CALL; callee in this instance, never host */
    const uw__code *cd = (const uw__code *)pc[1].h;
    if (UNLIKELY(depth >= nframes)) TRAP(UW_TRAP_STACK_EXHAUSTED);
    frames[depth++] = (uw__frame){pc + 3, fp, inst};
    fp += pc[2].u;
    pc = cd->cells;
    goto L_ENTER;
}
L_HALT:
    ex->fuel = fuel;
    ex->depth = depth;
    return 0;

trapped:
    ex->fuel = fuel < 0 ? 0 : fuel;
    ex->depth = depth0;
    return trap;
#undef S
#undef NEXT
#undef TRAP
#undef RELOAD_MEM
}

const void *const *uw__op_handlers(void) {
    const void *const *t = NULL;
    run(NULL, NULL, NULL, &t);
    return t;
}

/* ---- execution contexts ------------------------------------------------------------------ */
static _Thread_local uw__exec *tls_exec;

uw__exec *uw__current_exec(void) { return tls_exec; }

/* Released execution contexts are cached (process-wide, by size) so that one fresh
 * instance per request does not map and fault in a new value stack for its first call. */
#define EXEC_POOL_MAX 32
static pthread_mutex_t exec_pool_lock = PTHREAD_MUTEX_INITIALIZER;
static uw__exec *exec_pool[EXEC_POOL_MAX];
static int exec_npool;

static uw__exec *exec_new(uint32_t slots, uint32_t nfr) {
    uw__exec *ex = NULL;
    pthread_mutex_lock(&exec_pool_lock);
    for (int i = exec_npool - 1; i >= 0; i--) {
        uw__exec *c = exec_pool[i];
        if (c->stack_end - c->stack == (ptrdiff_t)slots && c->nframes == nfr + 1) {
            ex = c;
            exec_pool[i] = exec_pool[--exec_npool];
            break;
        }
    }
    pthread_mutex_unlock(&exec_pool_lock);
    if (ex) return ex;
    ex = umbra_calloc(1, sizeof *ex);
    if (!ex) return NULL;
    ex->stack = umbra_malloc((size_t)slots * sizeof(uint64_t));
    ex->frames = umbra_malloc(((size_t)nfr + 1) * sizeof(uw__frame));
    if (!ex->stack || !ex->frames) {
        umbra_free(ex->stack);
        umbra_free(ex->frames);
        umbra_free(ex);
        return NULL;
    }
    ex->stack_end = ex->stack + slots;
    ex->nframes = nfr + 1; /* + the entry frame */
    ex->sp_base = ex->stack;
    return ex;
}

void uw__exec_free(uw__exec *ex) {
    if (!ex) return;
    int cached = 0;
    pthread_mutex_lock(&exec_pool_lock);
    if (exec_npool < EXEC_POOL_MAX) {
        exec_pool[exec_npool++] = ex;
        cached = 1;
    }
    pthread_mutex_unlock(&exec_pool_lock);
    if (cached) return;
    umbra_free(ex->stack);
    umbra_free(ex->frames);
    umbra_free(ex);
}

/* Wasm calls never recurse on the C stack, but a host function that calls back into Wasm
 * (guest -> host -> guest ...) nests C frames at every level, so the call-depth limit alone
 * cannot protect the host stack. Nested entries are therefore refused with "call stack
 * exhausted" once they have used more than half of this thread's C stack, at most 1 MiB,
 * measured from the outermost entry. The budget is computed once per thread, on the first
 * nested entry, so plain calls never pay for it. */
#define CSTACK_BUDGET_MAX ((size_t)1 << 20)
static _Thread_local size_t tls_cstack_budget;

static size_t cstack_budget(void) {
    size_t size = 8u << 20; /* Linux default if the thread's attributes are unavailable */
    pthread_attr_t a;
    if (pthread_getattr_np(pthread_self(), &a) == 0) {
        void *lo;
        size_t sz;
        if (pthread_attr_getstack(&a, &lo, &sz) == 0 && sz > 0) size = sz;
        pthread_attr_destroy(&a);
    }
    size /= 2;
    return size < CSTACK_BUDGET_MAX ? size : CSTACK_BUDGET_MAX;
}

static int cstack_exhausted(const uw__exec *ex) {
    uintptr_t here = (uintptr_t)__builtin_frame_address(0);
    if (!tls_cstack_budget) tls_cstack_budget = cstack_budget();
    return ex->cstack_base > here && ex->cstack_base - here > tls_cstack_budget;
}

int uw__invoke(uw_instance *inst, uw_func *f, const uint64_t *args, uint64_t *results) {
    uw__exec *ex = tls_exec;
    int outer = ex == NULL;
    if (outer) {
        if (!inst->exec) {
            inst->exec = exec_new(inst->max_slots, inst->max_depth);
            if (!inst->exec) return UW_TRAP_NOMEM;
        }
        ex = inst->exec;
        ex->sp_base = ex->stack;
        ex->depth = 0;
        ex->fuel = inst->fuel_enabled ? inst->fuel : INT64_MAX;
        ex->deadline = UINT64_MAX;
        ex->epoch = &inst->engine->epoch;
        if (inst->timeout_ns) {
            uint64_t tick = (uint64_t)inst->engine->cfg.epoch_tick_us * 1000u;
            if (uw__engine_ensure_ticker(inst->engine) == 0)
                ex->deadline = atomic_load(&inst->engine->epoch) + inst->timeout_ns / tick + 1;
        }
        ex->exit_code = 0;
        ex->trap_index = -1;
        ex->msg[0] = 0;
        tls_exec = ex;
    }
    if (outer) {
        ex->cstack_base = (uintptr_t)__builtin_frame_address(0);
    } else if (cstack_exhausted(ex)) {
        /* guest -> host -> guest re-entry: each level nests host C frames. */
        snprintf(ex->msg, sizeof ex->msg, "call stack exhausted: host re-entry used %zu KiB of C stack",
                 (size_t)(ex->cstack_base - (uintptr_t)__builtin_frame_address(0)) / 1024);
        return UW_TRAP_STACK_EXHAUSTED;
    }
    uint32_t np = f->type->nparams, nr = f->type->nresults;
    uint32_t nmax = np > nr ? np : nr;
    uint64_t *fp = ex->sp_base;
    int r = 0;
    if (fp + nmax > ex->stack_end) {
        r = UW_TRAP_STACK_EXHAUSTED;
        goto out;
    }
    if (np) memcpy(fp, args, np * sizeof(uint64_t));
    if (f->host) {
        r = call_host(ex, inst, f, fp);
    } else {
        uint64_t *save = ex->sp_base;
        r = run(ex, f, fp, NULL);
        ex->sp_base = save;
    }
    if (!r && nr) memcpy(results, fp, nr * sizeof(uint64_t));
out:
    if (outer) {
        if (inst->fuel_enabled) inst->fuel = ex->fuel < 0 ? 0 : ex->fuel;
        tls_exec = NULL;
    }
    return r;
}
