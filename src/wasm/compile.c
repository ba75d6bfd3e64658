/*
 * compile.c — validated Wasm function body -> threaded slot code (code_ops.h).
 *
 * The Wasm operand stack is modelled at compile time: every entry is a positional frame
 * slot (nlocals + depth), a pending reference to a local, or a pending constant. Pending
 * entries are folded into the operands of the instruction that consumes them, so
 * `local.get` / `*.const` cost nothing at run time; they are materialized into their
 * positional slot only where a value must physically exist there (block boundaries, call
 * arguments, branch results, before the local they name is overwritten).
 *
 * Branches carry precomputed offsets; values a branch carries are copied to the target's
 * stack height by explicit COPY/CONST ops emitted on the taken path only. Fuel is charged
 * per straight-line region: every branch target (loop header, else, block/if end reached by
 * a branch) starts a region with a FUEL/LOOP op whose count is the number of Wasm
 * instructions until the next region (deterministic, Wasm 2.0 §4.4 semantics unaffected).
 */
#include "runtime_internal.h"
#include "code_ops.h"
#include "umbra/base.h"

#include <string.h>

enum { K_SLOT, K_LOCAL, K_CONST };
typedef struct ent {
    uint8_t k;
    uint32_t s;  /* K_SLOT: frame slot, K_LOCAL: local index (= slot) */
    uint64_t c;  /* K_CONST: value bits */
} ent;

enum { C_FUNC, C_BLOCK, C_LOOP, C_IF, C_ELSE };
typedef struct ctl {
    uint8_t kind, dead, unreachable, targeted;
    uint32_t height, np, nr;
    size_t loop_pc;
    size_t fix_head;            /* SIZE_MAX terminated list in fx */
    size_t else_at, else_cell;  /* BR_UNLESS of an `if`, SIZE_MAX if none */
} ctl;

typedef struct fix {
    size_t at, cell, next;
} fix;

/* Frame limit: keeps slot indices and frame sizes far from overflow. */
#define MAX_FRAME_SLOTS (1u << 20)

typedef struct comp {
    const uw_module *m;
    const void *const *H;
    uw__cell *code;
    size_t n, cap;
    ent *st;
    uint32_t sh, scap;
    ctl *cs;
    uint32_t ch, ccap;
    fix *fx;
    size_t nfx, fxcap;
    uint32_t nlocals, maxh, nresults;
    size_t fuel_cell;
    uint64_t fuel_count;
    size_t last_at, last_end; /* last single-destination instruction (peephole) */
    int err;
    const uint8_t *p, *end;
} comp;

/* ---- byte reading (the body is validated; checks only keep us in bounds) ---------------- */
/* LEB128 through the decoder's readers (decode.c, §5.2.2), so there is one implementation;
 * the body was validated, so a failure here means a corrupt module in memory. */
static uint64_t rd_uleb(comp *c, unsigned bits) {
    uint32_t v = 0;
    size_t n = bits == 32 ? uw__read_u32(c->p, c->end, &v) : 0;
    if (!n) {
        c->err = UMBRA_EWASM_MALFORMED;
        return 0;
    }
    c->p += n;
    return v;
}
static int64_t rd_sleb(comp *c, unsigned bits) {
    int64_t v = 0;
    int32_t v32 = 0;
    size_t n = 0;
    if (bits == 32) {
        n = uw__read_s32(c->p, c->end, &v32);
        v = v32;
    } else if (bits == 33) {
        n = uw__read_s33(c->p, c->end, &v);
    } else if (bits == 64) {
        n = uw__read_s64(c->p, c->end, &v);
    }
    if (!n) {
        c->err = UMBRA_EWASM_MALFORMED;
        return 0;
    }
    c->p += n;
    return v;
}
static uint8_t rd_u8(comp *c) {
    if (c->p >= c->end) {
        c->err = UMBRA_EWASM_MALFORMED;
        return 0;
    }
    return *c->p++;
}
static uint64_t rd_fixed(comp *c, unsigned n) {
    uint64_t v = 0;
    if ((size_t)(c->end - c->p) < n) {
        c->err = UMBRA_EWASM_MALFORMED;
        return 0;
    }
    memcpy(&v, c->p, n); /* little-endian host (x86-64 / aarch64) */
    c->p += n;
    return v;
}

/* ---- emission ------------------------------------------------------------------------- */
static int reserve(comp *c, size_t k) {
    if (c->err) return -1;
    if (c->n + k <= c->cap) return 0;
    size_t nc = c->cap ? c->cap * 2 : 256;
    while (nc < c->n + k) nc *= 2;
    uw__cell *p = umbra_realloc(c->code, nc * sizeof *p);
    if (!p) {
        c->err = UMBRA_ENOMEM;
        return -1;
    }
    c->code = p;
    c->cap = nc;
    return 0;
}
static size_t op(comp *c, int o) {
    if (reserve(c, 8)) return 0; /* every op is followed by <= 7 fixed cells */
    size_t at = c->n;
    c->code[c->n++].h = c->H[o];
    return at;
}
static void u(comp *c, uint64_t v) {
    if (c->err) return;
    c->code[c->n++].u = v;
}
static int op_is(comp *c, size_t at, int o) { return c->code[at].h == c->H[o]; }

/* ---- compile-time stack ---------------------------------------------------------------- */
static int grow_st(comp *c) {
    if (c->sh < c->scap) return 0;
    uint32_t nc = c->scap ? c->scap * 2 : 64;
    ent *p = umbra_realloc(c->st, nc * sizeof *p);
    if (!p) {
        c->err = UMBRA_ENOMEM;
        return -1;
    }
    c->st = p;
    c->scap = nc;
    return 0;
}
static uint32_t pos(comp *c, uint32_t i) { return c->nlocals + i; }
static void note_height(comp *c) {
    if (c->sh > c->maxh) c->maxh = c->sh;
    if ((uint64_t)c->nlocals + c->maxh + 4 > MAX_FRAME_SLOTS) c->err = UMBRA_EWASM_LIMIT;
}
static uint32_t push_slot(comp *c) {
    if (grow_st(c)) return 0;
    uint32_t i = c->sh++;
    c->st[i].k = K_SLOT;
    c->st[i].s = pos(c, i);
    note_height(c);
    return c->st[i].s;
}
static void push_local(comp *c, uint32_t x) {
    if (grow_st(c)) return;
    c->st[c->sh].k = K_LOCAL;
    c->st[c->sh].s = x;
    c->sh++;
    note_height(c);
}
static void push_const(comp *c, uint64_t v) {
    if (grow_st(c)) return;
    c->st[c->sh].k = K_CONST;
    c->st[c->sh].c = v;
    c->sh++;
    note_height(c);
}
/* Writes entry e into slot dst (nothing if already there). */
static void assign(comp *c, uint32_t dst, const ent *e) {
    if (e->k == K_CONST) {
        op(c, UW__OP_CONST);
        u(c, dst);
        u(c, e->c);
    } else if (e->s != dst) {
        op(c, UW__OP_COPY);
        u(c, dst);
        u(c, e->s);
    }
}
static void materialize(comp *c, uint32_t i) {
    ent *e = &c->st[i];
    if (e->k == K_SLOT) return;
    uint32_t d = pos(c, i);
    assign(c, d, e);
    e->k = K_SLOT;
    e->s = d;
}
/* Slot of entry i for use as an operand (constants get materialized). */
static uint32_t slot(comp *c, uint32_t i) {
    if (c->st[i].k == K_CONST) materialize(c, i);
    return c->st[i].s;
}
static void materialize_locals(comp *c) {
    for (uint32_t i = 0; i < c->sh; i++)
        if (c->st[i].k == K_LOCAL) materialize(c, i);
}
static void materialize_top(comp *c, uint32_t n) {
    for (uint32_t i = c->sh - n; i < c->sh; i++) materialize(c, i);
}
static void mark_last(comp *c, size_t at) {
    c->last_at = at;
    c->last_end = c->n;
}
static int last_valid(comp *c) { return !c->err && c->last_end == c->n && c->last_at != SIZE_MAX; }

/* ---- fuel regions ---------------------------------------------------------------------- */
static void fuel_point(comp *c, int o) {
    if (c->err) return;
    c->code[c->fuel_cell].u = c->fuel_count;
    size_t at = op(c, o);
    u(c, 0);
    c->fuel_cell = at + 1;
    c->fuel_count = 0;
    c->last_at = SIZE_MAX;
}

/* ---- control --------------------------------------------------------------------------- */
static ctl *push_ctl(comp *c, int kind, uint32_t np, uint32_t nr, int dead) {
    if (c->ch == c->ccap) {
        uint32_t nc = c->ccap ? c->ccap * 2 : 16;
        ctl *p = umbra_realloc(c->cs, nc * sizeof *p);
        if (!p) {
            c->err = UMBRA_ENOMEM;
            return NULL;
        }
        c->cs = p;
        c->ccap = nc;
    }
    ctl *t = &c->cs[c->ch++];
    memset(t, 0, sizeof *t);
    t->kind = (uint8_t)kind;
    t->dead = (uint8_t)dead;
    t->np = np;
    t->nr = nr;
    t->height = dead ? 0 : c->sh - np;
    t->fix_head = SIZE_MAX;
    t->else_at = t->else_cell = SIZE_MAX;
    return t;
}
static void add_fix(comp *c, ctl *t, size_t at, size_t cell) {
    if (c->err) return;
    if (c->nfx == c->fxcap) {
        size_t nc = c->fxcap ? c->fxcap * 2 : 64;
        fix *p = umbra_realloc(c->fx, nc * sizeof *p);
        if (!p) {
            c->err = UMBRA_ENOMEM;
            return;
        }
        c->fx = p;
        c->fxcap = nc;
    }
    c->fx[c->nfx] = (fix){at, cell, t->fix_head};
    t->fix_head = c->nfx++;
    t->targeted = 1;
}
static void patch_fixes(comp *c, ctl *t, size_t target) {
    if (c->err) return;
    for (size_t i = t->fix_head; i != SIZE_MAX; i = c->fx[i].next)
        c->code[c->fx[i].cell].i = (int64_t)target - (int64_t)c->fx[i].at;
    t->fix_head = SIZE_MAX;
}

static uint32_t arity(const ctl *t) { return t->kind == C_LOOP ? t->np : t->nr; }

/* True when carrying `n` top values to target height `th` needs copies. */
static int needs_copy(comp *c, uint32_t th, uint32_t n) {
    for (uint32_t i = 0; i < n; i++) {
        const ent *e = &c->st[c->sh - n + i];
        if (e->k != K_SLOT || e->s != pos(c, th + i)) return 1;
    }
    return 0;
}
static void emit_copies(comp *c, uint32_t th, uint32_t n) {
    /* ascending is safe: targets are never above their sources */
    for (uint32_t i = 0; i < n; i++) assign(c, pos(c, th + i), &c->st[c->sh - n + i]);
}
static void emit_return(comp *c) {
    uint32_t n = c->nresults;
    if (n == 0) {
        op(c, UW__OP_RET0);
    } else if (n == 1) {
        ent *e = &c->st[c->sh - 1];
        if (e->k == K_CONST) {
            assign(c, 0, e);
            op(c, UW__OP_RET0);
        } else {
            op(c, UW__OP_RET1);
            u(c, e->s);
        }
    } else {
        /* put the values in their positional slots without changing the compile-time
         * stack: this may be a branch stub that only some paths execute */
        for (uint32_t i = c->sh - n; i < c->sh; i++) assign(c, pos(c, i), &c->st[i]);
        op(c, UW__OP_RETN);
        u(c, pos(c, c->sh - n));
        u(c, n);
    }
}
/* Unconditional jump to label of ctl at depth d, values already copied. */
static void emit_jump(comp *c, uint32_t d) {
    ctl *t = &c->cs[c->ch - 1 - d];
    size_t at = op(c, t->kind == C_LOOP ? UW__OP_BR_L : UW__OP_BR);
    if (c->err) return;
    if (t->kind == C_LOOP) {
        u(c, (uint64_t)((int64_t)t->loop_pc - (int64_t)at));
    } else {
        u(c, 0);
        add_fix(c, t, at, at + 1);
    }
}
static void emit_br(comp *c, uint32_t d) {
    if (d == c->ch - 1) {
        emit_return(c);
        return;
    }
    ctl *t = &c->cs[c->ch - 1 - d];
    emit_copies(c, t->height, arity(t));
    emit_jump(c, d);
}
static void set_unreachable(comp *c) {
    ctl *t = &c->cs[c->ch - 1];
    t->unreachable = 1;
    c->sh = t->height;
}

static const int fused_op[][2] = {
#define UW__X(n) {UW__OP_##n, UW__OP_BR_IF_##n},
    UW__FUSED_CMPS(UW__X)
#undef UW__X
};
/* i32 comparison inverse, for `if` (branch when the condition is false). */
static int inverse_cmp(int o) {
    switch (o) {
    case UW__OP_I32_EQ: return UW__OP_I32_NE;
    case UW__OP_I32_NE: return UW__OP_I32_EQ;
    case UW__OP_I32_LT_S: return UW__OP_I32_GE_S;
    case UW__OP_I32_GE_S: return UW__OP_I32_LT_S;
    case UW__OP_I32_LT_U: return UW__OP_I32_GE_U;
    case UW__OP_I32_GE_U: return UW__OP_I32_LT_U;
    case UW__OP_I32_GT_S: return UW__OP_I32_LE_S;
    case UW__OP_I32_LE_S: return UW__OP_I32_GT_S;
    case UW__OP_I32_GT_U: return UW__OP_I32_LE_U;
    case UW__OP_I32_LE_U: return UW__OP_I32_GT_U;
    default: return -1;
    }
}

/* Emits a conditional branch on the popped top (cond != 0 when `when_true`). If the
 * previous instruction computed that condition with an i32 compare, fuses it. Returns the
 * instruction start; the offset cell is the last cell of the instruction (*cell). */
static size_t emit_cond_branch(comp *c, int when_true, size_t *cell) {
    ent cond = c->st[c->sh - 1];
    int fusable = cond.k == K_SLOT && cond.s == pos(c, c->sh - 1) && last_valid(c) &&
                  c->code[c->last_at + 1].u == cond.s;
    c->sh--;
    if (fusable) {
        size_t at = c->last_at;
        for (size_t k = 0; k < sizeof fused_op / sizeof fused_op[0]; k++) {
            for (int imm = 0; imm < 2; imm++) {
                int o = fused_op[k][0] + imm; /* _I follows its base op */
                if (!op_is(c, at, o)) continue;
                int base = fused_op[k][0];
                if (!when_true) base = inverse_cmp(base);
                int fo = UW__OP_BR_IF_I32_EQ;
                for (size_t j = 0; j < sizeof fused_op / sizeof fused_op[0]; j++)
                    if (fused_op[j][0] == base) fo = fused_op[j][1];
                /* [h, dst, a, b] -> [h, a, b, off] */
                c->code[at].h = c->H[fo + imm];
                c->code[at + 1] = c->code[at + 2];
                c->code[at + 2] = c->code[at + 3];
                c->code[at + 3].i = 0;
                *cell = at + 3;
                c->last_at = SIZE_MAX;
                return at;
            }
        }
        if (op_is(c, at, UW__OP_I32_EQZ)) { /* [h, dst, a] -> [h, a, off] */
            c->code[at].h = c->H[when_true ? UW__OP_BR_IF_I32_EQZ : UW__OP_BR_IF];
            c->code[at + 1] = c->code[at + 2];
            c->code[at + 2].i = 0;
            *cell = at + 2;
            c->last_at = SIZE_MAX;
            return at;
        }
    }
    uint32_t s;
    if (cond.k == K_CONST) {
        /* constant condition: materialize into its (now free) slot */
        op(c, UW__OP_CONST);
        u(c, pos(c, c->sh));
        u(c, cond.c);
        s = pos(c, c->sh);
    } else {
        s = cond.s;
    }
    size_t at = op(c, when_true ? UW__OP_BR_IF : UW__OP_BR_UNLESS);
    u(c, s);
    u(c, 0);
    *cell = at + 2;
    return at;
}

/* Turns the conditional branch at `at` (targeting a loop header) into its back-edge form. */
static void to_back_edge(comp *c, size_t at) {
    static const int plain[][2] = {
        {UW__OP_BR_IF, UW__OP_BR_IF_L},
        {UW__OP_BR_IF_I32_EQZ, UW__OP_BR_IF_I32_EQZ_L},
#define UW__X(n) {UW__OP_BR_IF_##n, UW__OP_BR_IF_##n##_L}, {UW__OP_BR_IF_##n##_I, UW__OP_BR_IF_##n##_I_L},
        UW__FUSED_CMPS(UW__X)
#undef UW__X
    };
    for (size_t k = 0; k < sizeof plain / sizeof plain[0]; k++)
        if (op_is(c, at, plain[k][0])) {
            c->code[at].h = c->H[plain[k][1]];
            return;
        }
}

static void read_blocktype(comp *c, uint32_t *np, uint32_t *nr) {
    if (c->p >= c->end) {
        c->err = UMBRA_EWASM_MALFORMED;
        return;
    }
    uint8_t b = *c->p;
    if (b == 0x40) {
        c->p++;
        *np = *nr = 0;
    } else if (b == UW_I32 || b == UW_I64 || b == UW_F32 || b == UW_F64 ||
               b == UW_V128 || b == UW_FUNCREF || b == UW_EXTERNREF) {
        c->p++;
        *np = 0;
        *nr = 1;
    } else {
        int64_t idx = rd_sleb(c, 33);
        if (idx < 0 || (uint64_t)idx >= c->m->ntypes) {
            c->err = UMBRA_EWASM_INVALID;
            *np = *nr = 0;
            return;
        }
        *np = c->m->types[idx].nparams;
        *nr = c->m->types[idx].nresults;
    }
}

/* ---- operators ------------------------------------------------------------------------- */
static void unop(comp *c, int o) {
    uint32_t a = slot(c, c->sh - 1);
    c->sh--;
    uint32_t d = push_slot(c);
    size_t at = op(c, o);
    u(c, d);
    u(c, a);
    mark_last(c, at);
}
static void binop(comp *c, int o, int has_imm) {
    ent b = c->st[c->sh - 1];
    uint32_t a = slot(c, c->sh - 2);
    size_t at;
    if (has_imm && b.k == K_CONST) {
        c->sh -= 2;
        uint32_t d = push_slot(c);
        at = op(c, o + 1);
        u(c, d);
        u(c, a);
        u(c, b.c);
    } else {
        uint32_t bs = slot(c, c->sh - 1);
        c->sh -= 2;
        uint32_t d = push_slot(c);
        at = op(c, o);
        u(c, d);
        u(c, a);
        u(c, bs);
    }
    mark_last(c, at);
}
/* Index of the fused-address variant of load/store op o (its _A form), or -1. */
static int addr_fused(int o) {
    switch (o) {
#define UW__X(n) case UW__OP_##n: return UW__OP_##n##_A;
        UW__LOADS(UW__X) UW__STORES(UW__X)
#undef UW__X
    default: return -1;
    }
}
/* If the last instruction is an i32.add that produced slot s (the address, consumed by the
 * memory access being compiled), returns its start, else SIZE_MAX. */
static size_t addr_producer(comp *c, uint32_t s) {
    if (!last_valid(c) || c->code[c->last_at + 1].u != s) return SIZE_MAX;
    if (!op_is(c, c->last_at, UW__OP_I32_ADD) && !op_is(c, c->last_at, UW__OP_I32_ADD_I))
        return SIZE_MAX;
    return c->last_at;
}

static void load(comp *c, int o) {
    rd_uleb(c, 32); /* align */
    uint64_t off = rd_uleb(c, 32);
    ent *top = &c->st[c->sh - 1];
    size_t pa = top->k == K_SLOT && top->s == pos(c, c->sh - 1) ? addr_producer(c, top->s)
                                                                 : SIZE_MAX;
    if (pa != SIZE_MAX && !reserve(c, 1)) {
        /* [h, d, a, b] (i32.add) -> [h, dst, a, b, off] */
        int imm = op_is(c, pa, UW__OP_I32_ADD_I);
        c->sh--;
        uint32_t d = push_slot(c);
        c->code[pa].h = c->H[addr_fused(o) + imm];
        c->code[pa + 1].u = d;
        u(c, off);
        mark_last(c, pa);
        return;
    }
    uint32_t a = slot(c, c->sh - 1);
    c->sh--;
    uint32_t d = push_slot(c);
    size_t at = op(c, o);
    u(c, d);
    u(c, a);
    u(c, off);
    mark_last(c, at);
}
static void store(comp *c, int o) {
    rd_uleb(c, 32);
    uint64_t off = rd_uleb(c, 32);
    ent *val = &c->st[c->sh - 1], *adr = &c->st[c->sh - 2];
    size_t pa = val->k == K_LOCAL && adr->k == K_SLOT && adr->s == pos(c, c->sh - 2)
                    ? addr_producer(c, adr->s)
                    : SIZE_MAX;
    if (pa != SIZE_MAX && !reserve(c, 1)) {
        /* [h, d, a, b] (i32.add) -> [h, a, b, v, off] */
        int imm = op_is(c, pa, UW__OP_I32_ADD_I);
        c->code[pa].h = c->H[addr_fused(o) + imm];
        c->code[pa + 1] = c->code[pa + 2];
        c->code[pa + 2] = c->code[pa + 3];
        c->code[pa + 3].u = val->s;
        u(c, off);
        c->sh -= 2;
        c->last_at = SIZE_MAX;
        return;
    }
    uint32_t v = slot(c, c->sh - 1);
    uint32_t a = slot(c, c->sh - 2);
    c->sh -= 2;
    op(c, o);
    u(c, a);
    u(c, v);
    u(c, off);
}
/* Pops n operands as slots into s[] (bottom first). */
static void pop_slots(comp *c, uint32_t n, uint32_t *s) {
    for (uint32_t i = 0; i < n; i++) s[i] = slot(c, c->sh - n + i);
    c->sh -= n;
}
static void set_local(comp *c, uint32_t x, int tee) {
    ent top = c->st[c->sh - 1];
    int refs = 0;
    for (uint32_t i = 0; i + 1 < c->sh; i++)
        if (c->st[i].k == K_LOCAL && c->st[i].s == x) refs = 1;
    if (!refs && top.k == K_SLOT && top.s == pos(c, c->sh - 1) && last_valid(c) &&
        c->code[c->last_at + 1].u == top.s && !op_is(c, c->last_at, UW__OP_GLOBAL_SET)) {
        c->code[c->last_at + 1].u = x; /* retarget the producer straight into the local */
        c->last_at = SIZE_MAX;
    } else {
        if (refs)
            for (uint32_t i = 0; i + 1 < c->sh; i++)
                if (c->st[i].k == K_LOCAL && c->st[i].s == x) materialize(c, i);
        assign(c, x, &top);
    }
    if (tee) {
        if (top.k != K_CONST) {
            c->st[c->sh - 1].k = K_LOCAL;
            c->st[c->sh - 1].s = x;
        }
    } else {
        c->sh--;
    }
}
static void call_common(comp *c, const uw__functype *ft, int o, uint64_t a, uint64_t b) {
    uint32_t np = ft->nparams, idx = 0;
    if (o == UW__OP_CALL_INDIRECT) pop_slots(c, 1, &idx);
    materialize_top(c, np);
    uint32_t base = pos(c, c->sh - np);
    op(c, o);
    u(c, a);
    if (o == UW__OP_CALL_INDIRECT) {
        u(c, b);
        u(c, idx);
    }
    u(c, base);
    c->sh -= np;
    for (uint32_t i = 0; i < ft->nresults; i++) push_slot(c);
    /* the callee frame sits over our argument slots: account for its results */
    c->last_at = SIZE_MAX;
}

static int skip_dead(comp *c, uint8_t opc);

static void compile_op(comp *c, uint8_t opc) {
    ctl *cur = &c->cs[c->ch - 1];
    if (opc == 0x05 && !cur->dead) { /* else */
        if (cur->kind != C_IF) {
            c->err = UMBRA_EWASM_MALFORMED;
            return;
        }
        if (!cur->unreachable) {
            c->fuel_count++;
            materialize_top(c, cur->nr);
            emit_jump(c, 0);
        }
        if (c->err) return;
        c->code[cur->else_cell].i = (int64_t)c->n - (int64_t)cur->else_at;
        cur->else_at = SIZE_MAX;
        fuel_point(c, UW__OP_FUEL);
        cur->kind = C_ELSE;
        cur->unreachable = 0;
        c->sh = cur->height;
        for (uint32_t i = 0; i < cur->np; i++) push_slot(c);
        return;
    }
    if (cur->unreachable || cur->dead) {
        skip_dead(c, opc);
        return;
    }
    c->fuel_count++;
    switch (opc) {
    case 0x00: /* unreachable */
        op(c, UW__OP_UNREACHABLE);
        set_unreachable(c);
        break;
    case 0x01: /* nop */
        break;
    case 0x02: /* block */
    case 0x03: /* loop */
    case 0x04: { /* if */
        uint32_t np, nr;
        read_blocktype(c, &np, &nr);
        if (c->err) return;
        size_t at = 0, cell = 0;
        if (opc == 0x04) {
            /* params (and pending locals) must sit in their slots on both paths, so they
             * are materialized before the condition branch (below the condition) */
            c->sh--;
            materialize_locals(c);
            materialize_top(c, np);
            c->sh++;
            at = emit_cond_branch(c, 0, &cell);
        } else {
            materialize_locals(c);
            materialize_top(c, np);
        }
        ctl *t = push_ctl(c, opc == 0x02 ? C_BLOCK : opc == 0x03 ? C_LOOP : C_IF, np, nr, 0);
        if (!t) return;
        if (opc == 0x03) {
            t->loop_pc = c->n;
            fuel_point(c, UW__OP_LOOP);
        } else if (opc == 0x04) {
            t->else_at = at;
            t->else_cell = cell;
        }
        break;
    }
    case 0x0c: { /* br */
        uint32_t d = (uint32_t)rd_uleb(c, 32);
        if (d >= c->ch) {
            c->err = UMBRA_EWASM_INVALID;
            return;
        }
        emit_br(c, d);
        set_unreachable(c);
        break;
    }
    case 0x0d: { /* br_if */
        uint32_t d = (uint32_t)rd_uleb(c, 32);
        if (d >= c->ch) {
            c->err = UMBRA_EWASM_INVALID;
            return;
        }
        ctl *t = &c->cs[c->ch - 1 - d];
        int is_ret = d == c->ch - 1;
        uint32_t n = arity(t);
        /* cond is on top: check copies against the stack below it */
        c->sh--;
        int copy = is_ret || needs_copy(c, t->height, n);
        c->sh++;
        size_t cell;
        if (!copy) {
            size_t at = emit_cond_branch(c, 1, &cell);
            if (c->err) return;
            if (t->kind == C_LOOP) {
                c->code[cell].i = (int64_t)t->loop_pc - (int64_t)at;
                to_back_edge(c, at);
            } else
                add_fix(c, t, at, cell);
        } else {
            size_t at = emit_cond_branch(c, 0, &cell);
            emit_br(c, d);
            if (c->err) return;
            c->code[cell].i = (int64_t)c->n - (int64_t)at;
        }
        c->last_at = SIZE_MAX;
        break;
    }
    case 0x0e: { /* br_table */
        uint32_t cnt = (uint32_t)rd_uleb(c, 32);
        if (c->err || cnt > (uint32_t)(c->end - c->p)) {
            c->err = UMBRA_EWASM_MALFORMED;
            return;
        }
        uint32_t idx = slot(c, c->sh - 1);
        c->sh--;
        if (reserve(c, (size_t)cnt + 8)) return;
        size_t at = op(c, UW__OP_BR_TABLE);
        u(c, idx);
        u(c, cnt);
        size_t first = c->n;
        uint32_t *depths = umbra_malloc(((size_t)cnt + 1) * sizeof *depths);
        if (!depths) {
            c->err = UMBRA_ENOMEM;
            return;
        }
        for (uint32_t i = 0; i <= cnt; i++) {
            depths[i] = (uint32_t)rd_uleb(c, 32);
            if (depths[i] >= c->ch) c->err = UMBRA_EWASM_INVALID;
            u(c, 0);
        }
        /* stubs: one per distinct depth that needs copies (or returns) */
        size_t *stub = umbra_malloc((size_t)c->ch * sizeof *stub);
        if (!stub) c->err = UMBRA_ENOMEM;
        for (uint32_t i = 0; !c->err && i < c->ch; i++) stub[i] = SIZE_MAX;
        for (uint32_t i = 0; !c->err && i <= cnt; i++) {
            uint32_t d = depths[i];
            ctl *t = &c->cs[c->ch - 1 - d];
            int is_ret = d == c->ch - 1;
            if (!is_ret && !needs_copy(c, t->height, arity(t))) {
                if (t->kind == C_LOOP)
                    c->code[first + i].i = (int64_t)t->loop_pc - (int64_t)at;
                else
                    add_fix(c, t, at, first + i);
                continue;
            }
            if (stub[d] == SIZE_MAX) {
                stub[d] = c->n;
                emit_br(c, d);
            }
            if (!c->err) c->code[first + i].i = (int64_t)stub[d] - (int64_t)at;
        }
        umbra_free(stub);
        umbra_free(depths);
        set_unreachable(c);
        break;
    }
    case 0x0f: /* return */
        emit_return(c);
        set_unreachable(c);
        break;
    case 0x10: { /* call */
        uint32_t f = (uint32_t)rd_uleb(c, 32);
        if (f >= c->m->nfuncs || c->m->funcs[f].type_index >= c->m->ntypes) {
            c->err = UMBRA_EWASM_INVALID;
            return;
        }
        const uw__functype *ft = &c->m->types[c->m->funcs[f].type_index];
        const uw__modrt *rt = c->m->compiled;
        if (f >= c->m->nfunc_imports && rt) /* rt->codes is allocated before any body */
            call_common(c, ft, UW__OP_CALL_DEF,
                        (uint64_t)(uintptr_t)&rt->codes[f - c->m->nfunc_imports], 0);
        else
            call_common(c, ft, UW__OP_CALL, f, 0);
        break;
    }
    case 0x11: { /* call_indirect */
        uint32_t ti = (uint32_t)rd_uleb(c, 32);
        uint32_t tab = (uint32_t)rd_uleb(c, 32);
        if (ti >= c->m->ntypes) {
            c->err = UMBRA_EWASM_INVALID;
            return;
        }
        call_common(c, &c->m->types[ti], UW__OP_CALL_INDIRECT, tab, ti);
        break;
    }
    case 0x1a: /* drop */
        c->sh--;
        break;
    case 0x1c: { /* select t* */
        uint32_t k = (uint32_t)rd_uleb(c, 32);
        for (uint32_t i = 0; i < k && !c->err; i++) rd_u8(c);
    }
        /* fall through */
    case 0x1b: { /* select */
        uint32_t s[3];
        pop_slots(c, 3, s);
        uint32_t d = push_slot(c);
        size_t at = op(c, UW__OP_SELECT);
        u(c, d);
        u(c, s[0]);
        u(c, s[1]);
        u(c, s[2]);
        mark_last(c, at);
        break;
    }
    case 0x20: /* local.get */
        push_local(c, (uint32_t)rd_uleb(c, 32));
        break;
    case 0x21: /* local.set */
    case 0x22: { /* local.tee */
        uint32_t x = (uint32_t)rd_uleb(c, 32);
        if (x >= c->nlocals) {
            c->err = UMBRA_EWASM_INVALID;
            return;
        }
        set_local(c, x, opc == 0x22);
        break;
    }
    case 0x23: { /* global.get */
        uint32_t g = (uint32_t)rd_uleb(c, 32);
        uint32_t d = push_slot(c);
        size_t at = op(c, UW__OP_GLOBAL_GET);
        u(c, d);
        u(c, g);
        mark_last(c, at);
        break;
    }
    case 0x24: { /* global.set */
        uint32_t g = (uint32_t)rd_uleb(c, 32);
        uint32_t s;
        pop_slots(c, 1, &s);
        op(c, UW__OP_GLOBAL_SET);
        u(c, g);
        u(c, s);
        break;
    }
    case 0x25: { /* table.get */
        uint32_t t = (uint32_t)rd_uleb(c, 32), s;
        pop_slots(c, 1, &s);
        uint32_t d = push_slot(c);
        size_t at = op(c, UW__OP_TABLE_GET);
        u(c, d);
        u(c, t);
        u(c, s);
        mark_last(c, at);
        break;
    }
    case 0x26: { /* table.set */
        uint32_t t = (uint32_t)rd_uleb(c, 32), s[2];
        pop_slots(c, 2, s);
        op(c, UW__OP_TABLE_SET);
        u(c, t);
        u(c, s[0]);
        u(c, s[1]);
        break;
    }
    case 0x28: load(c, UW__OP_I32_LOAD); break;
    case 0x29: load(c, UW__OP_I64_LOAD); break;
    case 0x2a: load(c, UW__OP_I32_LOAD); break; /* f32: same bits */
    case 0x2b: load(c, UW__OP_I64_LOAD); break; /* f64 */
    case 0x2c: load(c, UW__OP_I32_LOAD8_S); break;
    case 0x2d: load(c, UW__OP_I32_LOAD8_U); break;
    case 0x2e: load(c, UW__OP_I32_LOAD16_S); break;
    case 0x2f: load(c, UW__OP_I32_LOAD16_U); break;
    case 0x30: load(c, UW__OP_I64_LOAD8_S); break;
    case 0x31: load(c, UW__OP_I64_LOAD8_U); break;
    case 0x32: load(c, UW__OP_I64_LOAD16_S); break;
    case 0x33: load(c, UW__OP_I64_LOAD16_U); break;
    case 0x34: load(c, UW__OP_I64_LOAD32_S); break;
    case 0x35: load(c, UW__OP_I64_LOAD32_U); break;
    case 0x36: store(c, UW__OP_I32_STORE); break;
    case 0x37: store(c, UW__OP_I64_STORE); break;
    case 0x38: store(c, UW__OP_I32_STORE); break;
    case 0x39: store(c, UW__OP_I64_STORE); break;
    case 0x3a: store(c, UW__OP_I32_STORE8); break;
    case 0x3b: store(c, UW__OP_I32_STORE16); break;
    case 0x3c: store(c, UW__OP_I64_STORE8); break;
    case 0x3d: store(c, UW__OP_I64_STORE16); break;
    case 0x3e: store(c, UW__OP_I64_STORE32); break;
    case 0x3f: { /* memory.size */
        rd_u8(c);
        uint32_t d = push_slot(c);
        size_t at = op(c, UW__OP_MEMORY_SIZE);
        u(c, d);
        mark_last(c, at);
        break;
    }
    case 0x40: { /* memory.grow */
        rd_u8(c);
        uint32_t s;
        pop_slots(c, 1, &s);
        uint32_t d = push_slot(c);
        size_t at = op(c, UW__OP_MEMORY_GROW);
        u(c, d);
        u(c, s);
        mark_last(c, at);
        break;
    }
    case 0x41: push_const(c, (uint32_t)rd_sleb(c, 32)); break;
    case 0x42: push_const(c, (uint64_t)rd_sleb(c, 64)); break;
    case 0x43: push_const(c, rd_fixed(c, 4)); break;
    case 0x44: push_const(c, rd_fixed(c, 8)); break;
    case 0x45: unop(c, UW__OP_I32_EQZ); break;
    case 0x46: binop(c, UW__OP_I32_EQ, 1); break;
    case 0x47: binop(c, UW__OP_I32_NE, 1); break;
    case 0x48: binop(c, UW__OP_I32_LT_S, 1); break;
    case 0x49: binop(c, UW__OP_I32_LT_U, 1); break;
    case 0x4a: binop(c, UW__OP_I32_GT_S, 1); break;
    case 0x4b: binop(c, UW__OP_I32_GT_U, 1); break;
    case 0x4c: binop(c, UW__OP_I32_LE_S, 1); break;
    case 0x4d: binop(c, UW__OP_I32_LE_U, 1); break;
    case 0x4e: binop(c, UW__OP_I32_GE_S, 1); break;
    case 0x4f: binop(c, UW__OP_I32_GE_U, 1); break;
    case 0x50: unop(c, UW__OP_I64_EQZ); break;
    case 0x51: binop(c, UW__OP_I64_EQ, 1); break;
    case 0x52: binop(c, UW__OP_I64_NE, 1); break;
    case 0x53: binop(c, UW__OP_I64_LT_S, 1); break;
    case 0x54: binop(c, UW__OP_I64_LT_U, 1); break;
    case 0x55: binop(c, UW__OP_I64_GT_S, 1); break;
    case 0x56: binop(c, UW__OP_I64_GT_U, 1); break;
    case 0x57: binop(c, UW__OP_I64_LE_S, 1); break;
    case 0x58: binop(c, UW__OP_I64_LE_U, 1); break;
    case 0x59: binop(c, UW__OP_I64_GE_S, 1); break;
    case 0x5a: binop(c, UW__OP_I64_GE_U, 1); break;
    case 0x5b: binop(c, UW__OP_F32_EQ, 0); break;
    case 0x5c: binop(c, UW__OP_F32_NE, 0); break;
    case 0x5d: binop(c, UW__OP_F32_LT, 0); break;
    case 0x5e: binop(c, UW__OP_F32_GT, 0); break;
    case 0x5f: binop(c, UW__OP_F32_LE, 0); break;
    case 0x60: binop(c, UW__OP_F32_GE, 0); break;
    case 0x61: binop(c, UW__OP_F64_EQ, 0); break;
    case 0x62: binop(c, UW__OP_F64_NE, 0); break;
    case 0x63: binop(c, UW__OP_F64_LT, 0); break;
    case 0x64: binop(c, UW__OP_F64_GT, 0); break;
    case 0x65: binop(c, UW__OP_F64_LE, 0); break;
    case 0x66: binop(c, UW__OP_F64_GE, 0); break;
    case 0x67: unop(c, UW__OP_I32_CLZ); break;
    case 0x68: unop(c, UW__OP_I32_CTZ); break;
    case 0x69: unop(c, UW__OP_I32_POPCNT); break;
    case 0x6a: binop(c, UW__OP_I32_ADD, 1); break;
    case 0x6b: binop(c, UW__OP_I32_SUB, 1); break;
    case 0x6c: binop(c, UW__OP_I32_MUL, 1); break;
    case 0x6d: binop(c, UW__OP_I32_DIV_S, 1); break;
    case 0x6e: binop(c, UW__OP_I32_DIV_U, 1); break;
    case 0x6f: binop(c, UW__OP_I32_REM_S, 1); break;
    case 0x70: binop(c, UW__OP_I32_REM_U, 1); break;
    case 0x71: binop(c, UW__OP_I32_AND, 1); break;
    case 0x72: binop(c, UW__OP_I32_OR, 1); break;
    case 0x73: binop(c, UW__OP_I32_XOR, 1); break;
    case 0x74: binop(c, UW__OP_I32_SHL, 1); break;
    case 0x75: binop(c, UW__OP_I32_SHR_S, 1); break;
    case 0x76: binop(c, UW__OP_I32_SHR_U, 1); break;
    case 0x77: binop(c, UW__OP_I32_ROTL, 1); break;
    case 0x78: binop(c, UW__OP_I32_ROTR, 1); break;
    case 0x79: unop(c, UW__OP_I64_CLZ); break;
    case 0x7a: unop(c, UW__OP_I64_CTZ); break;
    case 0x7b: unop(c, UW__OP_I64_POPCNT); break;
    case 0x7c: binop(c, UW__OP_I64_ADD, 1); break;
    case 0x7d: binop(c, UW__OP_I64_SUB, 1); break;
    case 0x7e: binop(c, UW__OP_I64_MUL, 1); break;
    case 0x7f: binop(c, UW__OP_I64_DIV_S, 1); break;
    case 0x80: binop(c, UW__OP_I64_DIV_U, 1); break;
    case 0x81: binop(c, UW__OP_I64_REM_S, 1); break;
    case 0x82: binop(c, UW__OP_I64_REM_U, 1); break;
    case 0x83: binop(c, UW__OP_I64_AND, 1); break;
    case 0x84: binop(c, UW__OP_I64_OR, 1); break;
    case 0x85: binop(c, UW__OP_I64_XOR, 1); break;
    case 0x86: binop(c, UW__OP_I64_SHL, 1); break;
    case 0x87: binop(c, UW__OP_I64_SHR_S, 1); break;
    case 0x88: binop(c, UW__OP_I64_SHR_U, 1); break;
    case 0x89: binop(c, UW__OP_I64_ROTL, 1); break;
    case 0x8a: binop(c, UW__OP_I64_ROTR, 1); break;
    case 0x8b: unop(c, UW__OP_F32_ABS); break;
    case 0x8c: unop(c, UW__OP_F32_NEG); break;
    case 0x8d: unop(c, UW__OP_F32_CEIL); break;
    case 0x8e: unop(c, UW__OP_F32_FLOOR); break;
    case 0x8f: unop(c, UW__OP_F32_TRUNC); break;
    case 0x90: unop(c, UW__OP_F32_NEAREST); break;
    case 0x91: unop(c, UW__OP_F32_SQRT); break;
    case 0x92: binop(c, UW__OP_F32_ADD, 0); break;
    case 0x93: binop(c, UW__OP_F32_SUB, 0); break;
    case 0x94: binop(c, UW__OP_F32_MUL, 0); break;
    case 0x95: binop(c, UW__OP_F32_DIV, 0); break;
    case 0x96: binop(c, UW__OP_F32_MIN, 0); break;
    case 0x97: binop(c, UW__OP_F32_MAX, 0); break;
    case 0x98: binop(c, UW__OP_F32_COPYSIGN, 0); break;
    case 0x99: unop(c, UW__OP_F64_ABS); break;
    case 0x9a: unop(c, UW__OP_F64_NEG); break;
    case 0x9b: unop(c, UW__OP_F64_CEIL); break;
    case 0x9c: unop(c, UW__OP_F64_FLOOR); break;
    case 0x9d: unop(c, UW__OP_F64_TRUNC); break;
    case 0x9e: unop(c, UW__OP_F64_NEAREST); break;
    case 0x9f: unop(c, UW__OP_F64_SQRT); break;
    case 0xa0: binop(c, UW__OP_F64_ADD, 0); break;
    case 0xa1: binop(c, UW__OP_F64_SUB, 0); break;
    case 0xa2: binop(c, UW__OP_F64_MUL, 0); break;
    case 0xa3: binop(c, UW__OP_F64_DIV, 0); break;
    case 0xa4: binop(c, UW__OP_F64_MIN, 0); break;
    case 0xa5: binop(c, UW__OP_F64_MAX, 0); break;
    case 0xa6: binop(c, UW__OP_F64_COPYSIGN, 0); break;
    case 0xa7: unop(c, UW__OP_I32_WRAP_I64); break;
    case 0xa8: unop(c, UW__OP_I32_TRUNC_F32_S); break;
    case 0xa9: unop(c, UW__OP_I32_TRUNC_F32_U); break;
    case 0xaa: unop(c, UW__OP_I32_TRUNC_F64_S); break;
    case 0xab: unop(c, UW__OP_I32_TRUNC_F64_U); break;
    case 0xac: unop(c, UW__OP_I64_EXTEND_I32_S); break;
    case 0xad: unop(c, UW__OP_I64_EXTEND_I32_U); break;
    case 0xae: unop(c, UW__OP_I64_TRUNC_F32_S); break;
    case 0xaf: unop(c, UW__OP_I64_TRUNC_F32_U); break;
    case 0xb0: unop(c, UW__OP_I64_TRUNC_F64_S); break;
    case 0xb1: unop(c, UW__OP_I64_TRUNC_F64_U); break;
    case 0xb2: unop(c, UW__OP_F32_CONVERT_I32_S); break;
    case 0xb3: unop(c, UW__OP_F32_CONVERT_I32_U); break;
    case 0xb4: unop(c, UW__OP_F32_CONVERT_I64_S); break;
    case 0xb5: unop(c, UW__OP_F32_CONVERT_I64_U); break;
    case 0xb6: unop(c, UW__OP_F32_DEMOTE_F64); break;
    case 0xb7: unop(c, UW__OP_F64_CONVERT_I32_S); break;
    case 0xb8: unop(c, UW__OP_F64_CONVERT_I32_U); break;
    case 0xb9: unop(c, UW__OP_F64_CONVERT_I64_S); break;
    case 0xba: unop(c, UW__OP_F64_CONVERT_I64_U); break;
    case 0xbb: unop(c, UW__OP_F64_PROMOTE_F32); break;
    case 0xbc: /* reinterpretations keep the bits: nothing to do */
    case 0xbd:
    case 0xbe:
    case 0xbf:
        break;
    case 0xc0: unop(c, UW__OP_I32_EXTEND8_S); break;
    case 0xc1: unop(c, UW__OP_I32_EXTEND16_S); break;
    case 0xc2: unop(c, UW__OP_I64_EXTEND8_S); break;
    case 0xc3: unop(c, UW__OP_I64_EXTEND16_S); break;
    case 0xc4: unop(c, UW__OP_I64_EXTEND32_S); break;
    case 0xd0: /* ref.null t */
        rd_u8(c);
        push_const(c, 0);
        break;
    case 0xd1: unop(c, UW__OP_I64_EQZ); break; /* ref.is_null: null is 0 */
    case 0xd2: { /* ref.func */
        uint32_t f = (uint32_t)rd_uleb(c, 32);
        uint32_t d = push_slot(c);
        size_t at = op(c, UW__OP_REF_FUNC);
        u(c, d);
        u(c, f);
        mark_last(c, at);
        break;
    }
    case 0xfc: {
        uint32_t sub = (uint32_t)rd_uleb(c, 32);
        uint32_t s[3];
        switch (sub) {
        case 0: unop(c, UW__OP_I32_TRUNC_SAT_F32_S); break;
        case 1: unop(c, UW__OP_I32_TRUNC_SAT_F32_U); break;
        case 2: unop(c, UW__OP_I32_TRUNC_SAT_F64_S); break;
        case 3: unop(c, UW__OP_I32_TRUNC_SAT_F64_U); break;
        case 4: unop(c, UW__OP_I64_TRUNC_SAT_F32_S); break;
        case 5: unop(c, UW__OP_I64_TRUNC_SAT_F32_U); break;
        case 6: unop(c, UW__OP_I64_TRUNC_SAT_F64_S); break;
        case 7: unop(c, UW__OP_I64_TRUNC_SAT_F64_U); break;
        case 8: { /* memory.init */
            uint32_t seg = (uint32_t)rd_uleb(c, 32);
            rd_u8(c);
            pop_slots(c, 3, s);
            op(c, UW__OP_MEMORY_INIT);
            u(c, seg);
            u(c, s[0]);
            u(c, s[1]);
            u(c, s[2]);
            break;
        }
        case 9: /* data.drop */
            op(c, UW__OP_DATA_DROP);
            u(c, rd_uleb(c, 32));
            break;
        case 10: /* memory.copy */
            rd_u8(c);
            rd_u8(c);
            pop_slots(c, 3, s);
            op(c, UW__OP_MEMORY_COPY);
            u(c, s[0]);
            u(c, s[1]);
            u(c, s[2]);
            break;
        case 11: /* memory.fill */
            rd_u8(c);
            pop_slots(c, 3, s);
            op(c, UW__OP_MEMORY_FILL);
            u(c, s[0]);
            u(c, s[1]);
            u(c, s[2]);
            break;
        case 12: { /* table.init elem table */
            uint32_t seg = (uint32_t)rd_uleb(c, 32);
            uint32_t t = (uint32_t)rd_uleb(c, 32);
            pop_slots(c, 3, s);
            op(c, UW__OP_TABLE_INIT);
            u(c, t);
            u(c, seg);
            u(c, s[0]);
            u(c, s[1]);
            u(c, s[2]);
            break;
        }
        case 13: /* elem.drop */
            op(c, UW__OP_ELEM_DROP);
            u(c, rd_uleb(c, 32));
            break;
        case 14: { /* table.copy dst src */
            uint32_t td = (uint32_t)rd_uleb(c, 32);
            uint32_t ts = (uint32_t)rd_uleb(c, 32);
            pop_slots(c, 3, s);
            op(c, UW__OP_TABLE_COPY);
            u(c, td);
            u(c, ts);
            u(c, s[0]);
            u(c, s[1]);
            u(c, s[2]);
            break;
        }
        case 15: { /* table.grow */
            uint32_t t = (uint32_t)rd_uleb(c, 32);
            pop_slots(c, 2, s);
            uint32_t d = push_slot(c);
            size_t at = op(c, UW__OP_TABLE_GROW);
            u(c, d);
            u(c, t);
            u(c, s[0]);
            u(c, s[1]);
            mark_last(c, at);
            break;
        }
        case 16: { /* table.size */
            uint32_t t = (uint32_t)rd_uleb(c, 32);
            uint32_t d = push_slot(c);
            size_t at = op(c, UW__OP_TABLE_SIZE);
            u(c, d);
            u(c, t);
            mark_last(c, at);
            break;
        }
        case 17: { /* table.fill */
            uint32_t t = (uint32_t)rd_uleb(c, 32);
            pop_slots(c, 3, s);
            op(c, UW__OP_TABLE_FILL);
            u(c, t);
            u(c, s[0]);
            u(c, s[1]);
            u(c, s[2]);
            break;
        }
        default:
            c->err = UMBRA_EWASM_MALFORMED;
        }
        break;
    }
    default:
        c->err = UMBRA_EWASM_MALFORMED; /* includes 0xfd (SIMD): not supported yet */
    }
}

/* Dead code: parse immediates only, track nesting. */
static int skip_dead(comp *c, uint8_t opc) {
    switch (opc) {
    case 0x02:
    case 0x03:
    case 0x04: {
        uint32_t np, nr;
        read_blocktype(c, &np, &nr);
        push_ctl(c, C_BLOCK, np, nr, 1);
        break;
    }
    case 0x0c:
    case 0x0d:
    case 0x10:
    case 0x20:
    case 0x21:
    case 0x22:
    case 0x23:
    case 0x24:
    case 0x25:
    case 0x26:
    case 0xd2:
        rd_uleb(c, 32);
        break;
    case 0x0e: {
        uint32_t n = (uint32_t)rd_uleb(c, 32);
        for (uint32_t i = 0; i <= n && !c->err; i++) rd_uleb(c, 32);
        break;
    }
    case 0x11:
        rd_uleb(c, 32);
        rd_uleb(c, 32);
        break;
    case 0x1c: {
        uint32_t k = (uint32_t)rd_uleb(c, 32);
        for (uint32_t i = 0; i < k && !c->err; i++) rd_u8(c);
        break;
    }
    case 0x3f:
    case 0x40:
    case 0xd0:
        rd_u8(c);
        break;
    case 0x41: rd_sleb(c, 32); break;
    case 0x42: rd_sleb(c, 64); break;
    case 0x43: rd_fixed(c, 4); break;
    case 0x44: rd_fixed(c, 8); break;
    case 0xfc: {
        uint32_t sub = (uint32_t)rd_uleb(c, 32);
        switch (sub) {
        case 8: rd_uleb(c, 32); rd_u8(c); break;
        case 9: case 13: case 15: case 16: case 17: rd_uleb(c, 32); break;
        case 10: rd_u8(c); rd_u8(c); break;
        case 11: rd_u8(c); break;
        case 12: case 14: rd_uleb(c, 32); rd_uleb(c, 32); break;
        default: if (sub > 17) c->err = UMBRA_EWASM_MALFORMED;
        }
        break;
    }
    default:
        if (opc >= 0x28 && opc <= 0x3e) {
            rd_uleb(c, 32);
            rd_uleb(c, 32);
        }
        break;
    }
    return 0;
}

/* `end` of the innermost ctl; returns 1 when the function body ended. */
static int end_ctl(comp *c) {
    ctl *t = &c->cs[c->ch - 1];
    if (t->dead) {
        c->ch--;
        return 0;
    }
    int reach_fall = !t->unreachable;
    if (t->kind == C_FUNC) {
        if (reach_fall) emit_return(c);
        c->ch--;
        return 1;
    }
    if (reach_fall) materialize_top(c, t->nr);
    int targeted = t->targeted || t->else_at != SIZE_MAX;
    if (t->else_at != SIZE_MAX && !c->err) /* if without else: false path lands here */
        c->code[t->else_cell].i = (int64_t)c->n - (int64_t)t->else_at;
    if (t->kind != C_LOOP && targeted) {
        patch_fixes(c, t, c->n);
        fuel_point(c, UW__OP_FUEL);
    }
    uint32_t h = t->height, nr = t->nr;
    int live_after = reach_fall || (t->kind != C_LOOP && targeted);
    c->ch--;
    c->sh = h;
    for (uint32_t i = 0; i < nr; i++) push_slot(c);
    if (!live_after) set_unreachable(c);
    return 0;
}

int uw__compile_body(const uw_module *m, const uw__functype *type, const uint8_t *body,
                     size_t len, uw__code *out) {
    comp cc, *c = &cc;
    memset(c, 0, sizeof *c);
    memset(out, 0, sizeof *out);
    c->m = m;
    c->H = uw__op_handlers();
    c->p = body;
    c->end = body + len;
    c->last_at = SIZE_MAX;
    /* locals */
    uint64_t nl = type->nparams;
    uint32_t ngroups = (uint32_t)rd_uleb(c, 32);
    for (uint32_t i = 0; i < ngroups && !c->err; i++) {
        nl += rd_uleb(c, 32);
        rd_u8(c);
        if (nl > MAX_FRAME_SLOTS) c->err = UMBRA_EWASM_LIMIT;
    }
    if (c->err) return c->err;
    c->nlocals = (uint32_t)nl;
    c->nresults = type->nresults;
    size_t at = op(c, UW__OP_ENTER);
    u(c, 0); /* frame slots, patched */
    u(c, type->nparams);
    u(c, c->nlocals - type->nparams);
    u(c, 0); /* fuel */
    c->fuel_cell = at + 4;
    push_ctl(c, C_FUNC, 0, type->nresults, 0);
    int done = 0;
    while (!c->err && !done) {
        if (c->p >= c->end) {
            c->err = UMBRA_EWASM_MALFORMED;
            break;
        }
        uint8_t opc = *c->p++;
        if (opc == 0x0b) {
            ctl *t = &c->cs[c->ch - 1];
            if (!t->dead && !t->unreachable) c->fuel_count++;
            done = end_ctl(c);
        } else {
            compile_op(c, opc);
        }
    }
    if (!c->err && c->p != c->end) c->err = UMBRA_EWASM_MALFORMED;
    if (!c->err) {
        c->code[c->fuel_cell].u = c->fuel_count;
        c->code[at + 1].u = c->nlocals + c->maxh + 4;
    }
    umbra_free(c->st);
    umbra_free(c->cs);
    umbra_free(c->fx);
    if (c->err) {
        umbra_free(c->code);
        return c->err;
    }
    out->cells = c->code;
    out->ncells = c->n;
    out->nparams = type->nparams;
    out->nresults = type->nresults;
    out->nlocals = c->nlocals;
    out->frame_slots = c->nlocals + c->maxh + 4;
    return 0;
}

void uw__code_free(uw__code *c) {
    if (!c) return;
    umbra_free(c->cells);
    memset(c, 0, sizeof *c);
}

/* ---- whole-module hooks (wasm_internal.h) ------------------------------------------------ */
int uw__compile(uw_module *m, uw_error *err) {
    uint32_t ndef = m->nfuncs - m->nfunc_imports;
    uw__modrt *rt = umbra_calloc(1, sizeof *rt);
    if (!rt) return uw__error(err, UMBRA_ENOMEM, 0, "out of memory");
    rt->codes = umbra_calloc(ndef ? ndef : 1, sizeof *rt->codes);
    if (!rt->codes || pthread_mutex_init(&rt->lock, NULL) != 0) {
        umbra_free(rt->codes);
        umbra_free(rt);
        return uw__error(err, UMBRA_ENOMEM, 0, "out of memory");
    }
    m->compiled = rt;
    for (uint32_t i = 0; i < ndef; i++) {
        uw__func *f = &m->funcs[m->nfunc_imports + i];
        int rc = uw__compile_body(m, &m->types[f->type_index], m->bytes + f->body_start,
                                  f->body_end - f->body_start, &rt->codes[i]);
        if (rc)
            return uw__error(err, rc, f->body_start, "cannot compile function %u: %s",
                             m->nfunc_imports + i, umbra_strerror(rc));
        f->compiled = &rt->codes[i];
    }
    return 0;
}

void uw__instance_destroy(uw_instance *in);

void uw__compile_free(uw_module *m) {
    uw__modrt *rt = m->compiled;
    if (!rt) return;
    while (rt->zombies) {
        uw_instance *z = rt->zombies;
        rt->zombies = z->next_zombie;
        uw__instance_destroy(z);
    }
    for (uint32_t i = 0; i < m->nfuncs - m->nfunc_imports; i++) {
        uw__code_free(&rt->codes[i]);
        m->funcs[m->nfunc_imports + i].compiled = NULL;
    }
    pthread_mutex_destroy(&rt->lock);
    umbra_free(rt->codes);
    umbra_free(rt);
    m->compiled = NULL;
}
