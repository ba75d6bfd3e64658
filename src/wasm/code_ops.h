/*
 * code_ops.h — the internal instruction set that compile.c emits and interp.c runs.
 * Operands in brackets are cells after the handler cell; "s" = frame slot index,
 * "off" = branch offset in cells relative to the instruction's first cell, "imm" = value.
 * Never installed.
 */
#ifndef UMBRA_WASM_CODE_OPS_H
#define UMBRA_WASM_CODE_OPS_H

/* Integer binary operations that have a register-register and a register-immediate form
 * (X(name) -> OP_name [s dst, s a, s b] and OP_name_I [s dst, s a, imm b]). */
#define UW__INT_BINOPS(X)                                                                    \
    X(I32_EQ) X(I32_NE) X(I32_LT_S) X(I32_LT_U) X(I32_GT_S) X(I32_GT_U) X(I32_LE_S)          \
    X(I32_LE_U) X(I32_GE_S) X(I32_GE_U)                                                      \
    X(I64_EQ) X(I64_NE) X(I64_LT_S) X(I64_LT_U) X(I64_GT_S) X(I64_GT_U) X(I64_LE_S)          \
    X(I64_LE_U) X(I64_GE_S) X(I64_GE_U)                                                      \
    X(I32_ADD) X(I32_SUB) X(I32_MUL) X(I32_DIV_S) X(I32_DIV_U) X(I32_REM_S) X(I32_REM_U)     \
    X(I32_AND) X(I32_OR) X(I32_XOR) X(I32_SHL) X(I32_SHR_S) X(I32_SHR_U) X(I32_ROTL)         \
    X(I32_ROTR)                                                                              \
    X(I64_ADD) X(I64_SUB) X(I64_MUL) X(I64_DIV_S) X(I64_DIV_U) X(I64_REM_S) X(I64_REM_U)     \
    X(I64_AND) X(I64_OR) X(I64_XOR) X(I64_SHL) X(I64_SHR_S) X(I64_SHR_U) X(I64_ROTL)         \
    X(I64_ROTR)

/* Float binary operations [s dst, s a, s b]. */
#define UW__FLT_BINOPS(X)                                                                    \
    X(F32_EQ) X(F32_NE) X(F32_LT) X(F32_GT) X(F32_LE) X(F32_GE)                              \
    X(F64_EQ) X(F64_NE) X(F64_LT) X(F64_GT) X(F64_LE) X(F64_GE)                              \
    X(F32_ADD) X(F32_SUB) X(F32_MUL) X(F32_DIV) X(F32_MIN) X(F32_MAX) X(F32_COPYSIGN)        \
    X(F64_ADD) X(F64_SUB) X(F64_MUL) X(F64_DIV) X(F64_MIN) X(F64_MAX) X(F64_COPYSIGN)

/* Unary operations [s dst, s a]. */
#define UW__UNOPS(X)                                                                         \
    X(I32_EQZ) X(I64_EQZ) X(I32_CLZ) X(I32_CTZ) X(I32_POPCNT) X(I64_CLZ) X(I64_CTZ)          \
    X(I64_POPCNT)                                                                            \
    X(F32_ABS) X(F32_NEG) X(F32_CEIL) X(F32_FLOOR) X(F32_TRUNC) X(F32_NEAREST) X(F32_SQRT)   \
    X(F64_ABS) X(F64_NEG) X(F64_CEIL) X(F64_FLOOR) X(F64_TRUNC) X(F64_NEAREST) X(F64_SQRT)   \
    X(I32_WRAP_I64) X(I32_TRUNC_F32_S) X(I32_TRUNC_F32_U) X(I32_TRUNC_F64_S)                 \
    X(I32_TRUNC_F64_U) X(I64_EXTEND_I32_S) X(I64_EXTEND_I32_U) X(I64_TRUNC_F32_S)            \
    X(I64_TRUNC_F32_U) X(I64_TRUNC_F64_S) X(I64_TRUNC_F64_U) X(F32_CONVERT_I32_S)            \
    X(F32_CONVERT_I32_U) X(F32_CONVERT_I64_S) X(F32_CONVERT_I64_U) X(F32_DEMOTE_F64)         \
    X(F64_CONVERT_I32_S) X(F64_CONVERT_I32_U) X(F64_CONVERT_I64_S) X(F64_CONVERT_I64_U)      \
    X(F64_PROMOTE_F32)                                                                       \
    X(I32_EXTEND8_S) X(I32_EXTEND16_S) X(I64_EXTEND8_S) X(I64_EXTEND16_S) X(I64_EXTEND32_S)  \
    X(I32_TRUNC_SAT_F32_S) X(I32_TRUNC_SAT_F32_U) X(I32_TRUNC_SAT_F64_S)                     \
    X(I32_TRUNC_SAT_F64_U) X(I64_TRUNC_SAT_F32_S) X(I64_TRUNC_SAT_F32_U)                     \
    X(I64_TRUNC_SAT_F64_S) X(I64_TRUNC_SAT_F64_U)

/* Loads [s dst, s addr, imm offset] and stores [s addr, s value, imm offset]. */
#define UW__LOADS(X)                                                                         \
    X(I32_LOAD) X(I64_LOAD) X(I32_LOAD8_S) X(I32_LOAD8_U) X(I32_LOAD16_S) X(I32_LOAD16_U)    \
    X(I64_LOAD8_S) X(I64_LOAD8_U) X(I64_LOAD16_S) X(I64_LOAD16_U) X(I64_LOAD32_S)            \
    X(I64_LOAD32_U)
#define UW__STORES(X) X(I32_STORE) X(I64_STORE) X(I32_STORE8) X(I32_STORE16) X(I64_STORE8)   \
    X(I64_STORE16) X(I64_STORE32)

/* Everything else. */
#define UW__MISC_OPS(X)                                                                      \
    X(UNREACHABLE)      /* [] */                                                             \
    X(ENTER)            /* [imm frame_slots, s zero_from, imm zero_n, imm fuel] */           \
    X(FUEL)             /* [imm n] */                                                        \
    X(LOOP)             /* [imm n]: fuel + deadline check (loop header) */                   \
    X(BR)               /* [off] */                                                          \
    X(BR_IF)            /* [s cond, off] */                                                  \
    X(BR_UNLESS)        /* [s cond, off] */                                                  \
    X(BR_TABLE)         /* [s idx, imm n, off * (n + 1)] */                                  \
    X(RET0)             /* [] */                                                             \
    X(RET1)             /* [s src] */                                                        \
    X(RETN)             /* [s src, imm n] */                                                 \
    X(CALL)             /* [imm func, s argbase] */                                          \
    X(CALL_INDIRECT)    /* [imm table, imm type, s idx, s argbase] */                        \
    X(COPY)             /* [s dst, s src] */                                                 \
    X(CONST)            /* [s dst, imm bits] */                                              \
    X(SELECT)           /* [s dst, s a, s b, s cond] */                                      \
    X(GLOBAL_GET)       /* [s dst, imm idx] */                                               \
    X(GLOBAL_SET)       /* [imm idx, s src] */                                               \
    X(MEMORY_SIZE)      /* [s dst] */                                                        \
    X(MEMORY_GROW)      /* [s dst, s delta] */                                               \
    X(MEMORY_INIT)      /* [imm seg, s d, s s, s n] */                                       \
    X(DATA_DROP)        /* [imm seg] */                                                      \
    X(MEMORY_COPY)      /* [s d, s s, s n] */                                                \
    X(MEMORY_FILL)      /* [s d, s v, s n] */                                                \
    X(TABLE_INIT)       /* [imm table, imm seg, s d, s s, s n] */                            \
    X(ELEM_DROP)        /* [imm seg] */                                                      \
    X(TABLE_COPY)       /* [imm dst table, imm src table, s d, s s, s n] */                  \
    X(TABLE_GROW)       /* [s dst, imm table, s init, s n] */                                \
    X(TABLE_SIZE)       /* [s dst, imm table] */                                             \
    X(TABLE_FILL)       /* [imm table, s i, s v, s n] */                                     \
    X(TABLE_GET)        /* [s dst, imm table, s i] */                                        \
    X(TABLE_SET)        /* [imm table, s i, s v] */                                          \
    X(REF_FUNC)         /* [s dst, imm func] */                                              \
    X(BR_IF_I32_EQZ)    /* [s a, off]: fused i32.eqz + br_if */                              \
    X(HALT)             /* [] end of an entry trampoline */                                  \
    X(BR_L)             /* [off] back-edge: off points at a LOOP op, see below */            \
    X(BR_IF_L)          /* [s cond, off] */                                                  \
    X(BR_IF_I32_EQZ_L)  /* [s a, off] */                                                \
    X(CALL_DEF)         /* [code, s argbase]: call of a function defined in this module */

/* CALL_DEF's first operand is the callee's uw__code (module-owned, stable address): the
 * callee always runs in the caller's instance and is never a host function, so the call
 * skips the uw_func lookup, the host check and the instance switch of CALL. */

/* Fused i32 compare + br_if: OP_BR_IF_<name> [s a, s b, off], OP_BR_IF_<name>_I [s a, imm b,
 * off]; the instruction has the same size as the compare it replaces. */
#define UW__FUSED_CMPS(X)                                                                    \
    X(I32_EQ) X(I32_NE) X(I32_LT_S) X(I32_LT_U) X(I32_GT_S) X(I32_GT_U) X(I32_LE_S)          \
    X(I32_LE_U) X(I32_GE_S) X(I32_GE_U)

/* Loads/stores whose address is a fused i32.add (ea = (u32)(a + b) + offset, the same
 * wrapping semantics as the two instructions): OP_<load>_A [s dst, s a, s b, imm off],
 * OP_<load>_AI [s dst, s a, imm b, imm off], OP_<store>_A [s a, s b, s v, imm off],
 * OP_<store>_AI [s a, imm b, s v, imm off]. */

/* Back-edges: the _L forms of the branches jump to a loop header. When taken they do the
 * header's work themselves (charge the fuel count stored in the LOOP op's cell, check the
 * deadline) and continue after the LOOP op, saving one dispatch per iteration.
 * OP_BR_IF_<cmp>_L [s a, s b, off], OP_BR_IF_<cmp>_I_L [s a, imm b, off]. */

enum uw__op {
#define UW__X(n) UW__OP_##n,
#define UW__XI(n) UW__OP_##n, UW__OP_##n##_I,
    UW__INT_BINOPS(UW__XI) UW__FLT_BINOPS(UW__X) UW__UNOPS(UW__X) UW__LOADS(UW__X)
    UW__STORES(UW__X) UW__MISC_OPS(UW__X)
#define UW__XF(n) UW__OP_BR_IF_##n, UW__OP_BR_IF_##n##_I,
    UW__FUSED_CMPS(UW__XF)
#undef UW__XF
#define UW__XA(n) UW__OP_##n##_A, UW__OP_##n##_AI,
    UW__LOADS(UW__XA) UW__STORES(UW__XA)
#undef UW__XA
#define UW__XL(n) UW__OP_BR_IF_##n##_L, UW__OP_BR_IF_##n##_I_L,
    UW__FUSED_CMPS(UW__XL)
#undef UW__XL
#undef UW__X
#undef UW__XI
    UW__OP_COUNT
};

#endif
