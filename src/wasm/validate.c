/* validate.c — WebAssembly 2.0 validation (§3), function bodies checked with the algorithm
 * of the spec's appendix A.3 ("Validation Algorithm"): an operand stack of value types
 * (with an "unknown" type for stack-polymorphic code after unconditional branches) and a
 * control stack of frames.
 *
 * Messages start with the wording the spec test suite expects ("type mismatch",
 * "unknown local", ...), followed by detail. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasm_internal.h"

#define UNK 0 /* the "Unknown" operand type of A.3 */

typedef struct ctrl {
    uint32_t op; /* 0x02 block, 0x03 loop, 0x04 if, 0x05 else, 0 function */
    const uint8_t *start_types;
    uint32_t nstart;
    const uint8_t *end_types;
    uint32_t nend;
    uint32_t height;
    bool unreachable;
} ctrl;

typedef struct vctx {
    uw_module *m;
    uw_error *err;
    size_t off;         /* offset of the current instruction (for messages) */
    uint8_t *vals;
    uint32_t nvals, capvals, maxvals;
    ctrl *ctrls;
    uint32_t nctrls, capctrls, maxctrls;
    uint8_t *locals;    /* params then declared locals */
    uint32_t nlocals;
} vctx;

/* k_single[t] == t: the one-element result list of a `block (result t)`. */
#define S4(n) (n), (n) + 1, (n) + 2, (n) + 3
#define S16(n) S4(n), S4((n) + 4), S4((n) + 8), S4((n) + 12)
#define S64(n) S16(n), S16((n) + 16), S16((n) + 32), S16((n) + 48)
static const uint8_t k_single[256] = {S64(0), S64(64), S64(128), S64(192)};
#undef S4
#undef S16
#undef S64

static int verr(vctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int verr(vctx *c, const char *fmt, ...) {
    if (c->err) {
        va_list ap;
        c->err->code = UMBRA_EWASM_INVALID;
        c->err->offset = (uint32_t)c->off;
        va_start(ap, fmt);
        vsnprintf(c->err->message, sizeof c->err->message, fmt, ap);
        va_end(ap);
    }
    return UMBRA_EWASM_INVALID;
}

#define TRY(x)                     \
    do {                           \
        int rc_ = (x);             \
        if (rc_) return rc_;       \
    } while (0)

static bool is_num(uint8_t t) {
    return t == UW_I32 || t == UW_I64 || t == UW_F32 || t == UW_F64 || t == UW_V128;
}
static bool is_ref(uint8_t t) { return t == UW_FUNCREF || t == UW_EXTERNREF; }

/* ---- Operand and control stacks (A.3) ----------------------------------------------------- */

static int push_val(vctx *c, uint8_t t) {
    if (c->nvals == c->capvals) {
        uint32_t ncap = c->capvals ? c->capvals * 2 : 64;
        uint8_t *n = umbra_realloc(c->vals, ncap);
        if (!n) return uw__error(c->err, UMBRA_ENOMEM, c->off, "out of memory");
        c->vals = n;
        c->capvals = ncap;
    }
    c->vals[c->nvals++] = t;
    if (c->nvals > c->maxvals) c->maxvals = c->nvals;
    return 0;
}

static int pop_val(vctx *c, uint8_t *out) {
    *out = UNK;
    ctrl *f = &c->ctrls[c->nctrls - 1];
    if (c->nvals == f->height) {
        if (f->unreachable) {
            *out = UNK;
            return 0;
        }
        return verr(c, "type mismatch: operand stack underflow");
    }
    *out = c->vals[--c->nvals];
    return 0;
}

static int pop_expect(vctx *c, uint8_t want) {
    uint8_t t;
    TRY(pop_val(c, &t));
    if (t != want && t != UNK && want != UNK)
        return verr(c, "type mismatch: expected %s, got %s", uw_valtype_name(want), uw_valtype_name(t));
    return 0;
}

static int pop_vals(vctx *c, const uint8_t *types, uint32_t n) {
    for (uint32_t i = n; i-- > 0;) TRY(pop_expect(c, types[i]));
    return 0;
}

static int push_vals(vctx *c, const uint8_t *types, uint32_t n) {
    for (uint32_t i = 0; i < n; i++) TRY(push_val(c, types[i]));
    return 0;
}

static int push_ctrl(vctx *c, uint32_t op, const uint8_t *in, uint32_t nin, const uint8_t *out, uint32_t nout) {
    if (c->nctrls == c->capctrls) {
        uint32_t ncap = c->capctrls ? c->capctrls * 2 : 16;
        ctrl *n = umbra_realloc(c->ctrls, (size_t)ncap * sizeof *n);
        if (!n) return uw__error(c->err, UMBRA_ENOMEM, c->off, "out of memory");
        c->ctrls = n;
        c->capctrls = ncap;
    }
    if (c->nctrls >= UW__MAX_BLOCK_DEPTH)
        return uw__error(c->err, UMBRA_EWASM_LIMIT, c->off, "blocks nested too deeply");
    ctrl *f = &c->ctrls[c->nctrls++];
    if (c->nctrls > c->maxctrls) c->maxctrls = c->nctrls;
    f->op = op;
    f->start_types = in;
    f->nstart = nin;
    f->end_types = out;
    f->nend = nout;
    f->height = c->nvals;
    f->unreachable = false;
    return push_vals(c, in, nin);
}

static int pop_ctrl(vctx *c, ctrl *out) {
    if (c->nctrls == 0) return verr(c, "type mismatch: control stack underflow");
    ctrl *f = &c->ctrls[c->nctrls - 1];
    TRY(pop_vals(c, f->end_types, f->nend));
    if (c->nvals != f->height) return verr(c, "type mismatch: values remain at end of block");
    *out = *f;
    c->nctrls--;
    return 0;
}

static void label_types(const ctrl *f, const uint8_t **types, uint32_t *n) {
    if (f->op == 0x03) {
        *types = f->start_types;
        *n = f->nstart;
    } else {
        *types = f->end_types;
        *n = f->nend;
    }
}

static void set_unreachable(vctx *c) {
    ctrl *f = &c->ctrls[c->nctrls - 1];
    c->nvals = f->height;
    f->unreachable = true;
}

/* ---- Instruction signatures -------------------------------------------------------------- */

/* Numeric instructions (§3.3.1, 0x45..0xC4 and 0xFC 0..7): p1 [p2] -> r. */
static bool numeric_sig(uint32_t op, uint8_t *p1, uint8_t *p2, uint8_t *r) {
    const uint8_t I = UW_I32, L = UW_I64, F = UW_F32, D = UW_F64;
    *p2 = 0;
#define UN(a, res) (*p1 = (a), *r = (res), true)
#define BI(a, res) (*p1 = (a), *p2 = (a), *r = (res), true)
    if (op == 0x45) return UN(I, I);
    if (op >= 0x46 && op <= 0x4F) return BI(I, I);
    if (op == 0x50) return UN(L, I);
    if (op >= 0x51 && op <= 0x5A) return BI(L, I);
    if (op >= 0x5B && op <= 0x60) return BI(F, I);
    if (op >= 0x61 && op <= 0x66) return BI(D, I);
    if (op >= 0x67 && op <= 0x69) return UN(I, I);
    if (op >= 0x6A && op <= 0x78) return BI(I, I);
    if (op >= 0x79 && op <= 0x7B) return UN(L, L);
    if (op >= 0x7C && op <= 0x8A) return BI(L, L);
    if (op >= 0x8B && op <= 0x91) return UN(F, F);
    if (op >= 0x92 && op <= 0x98) return BI(F, F);
    if (op >= 0x99 && op <= 0x9F) return UN(D, D);
    if (op >= 0xA0 && op <= 0xA6) return BI(D, D);
    switch (op) {
    case 0xA7: return UN(L, I);
    case 0xA8: case 0xA9: return UN(F, I);
    case 0xAA: case 0xAB: return UN(D, I);
    case 0xAC: case 0xAD: return UN(I, L);
    case 0xAE: case 0xAF: return UN(F, L);
    case 0xB0: case 0xB1: return UN(D, L);
    case 0xB2: case 0xB3: return UN(I, F);
    case 0xB4: case 0xB5: return UN(L, F);
    case 0xB6: return UN(D, F);
    case 0xB7: case 0xB8: return UN(I, D);
    case 0xB9: case 0xBA: return UN(L, D);
    case 0xBB: return UN(F, D);
    case 0xBC: return UN(F, I);
    case 0xBD: return UN(D, L);
    case 0xBE: return UN(I, F);
    case 0xBF: return UN(L, D);
    case 0xC0: case 0xC1: return UN(I, I);
    case 0xC2: case 0xC3: case 0xC4: return UN(L, L);
    case UW__OP_FC | 0: case UW__OP_FC | 1: return UN(F, I);
    case UW__OP_FC | 2: case UW__OP_FC | 3: return UN(D, I);
    case UW__OP_FC | 4: case UW__OP_FC | 5: return UN(F, L);
    case UW__OP_FC | 6: case UW__OP_FC | 7: return UN(D, L);
    }
#undef UN
#undef BI
    return false;
}

/* Loads/stores 0x28..0x3E: value type and natural alignment exponent (§3.3.7). */
typedef struct memop {
    uint8_t type, align, store;
} memop;
static const memop k_memop[] = {
    {UW_I32, 2, 0}, {UW_I64, 3, 0}, {UW_F32, 2, 0}, {UW_F64, 3, 0},                 /* 28-2B */
    {UW_I32, 0, 0}, {UW_I32, 0, 0}, {UW_I32, 1, 0}, {UW_I32, 1, 0},                 /* 2C-2F */
    {UW_I64, 0, 0}, {UW_I64, 0, 0}, {UW_I64, 1, 0}, {UW_I64, 1, 0},                 /* 30-33 */
    {UW_I64, 2, 0}, {UW_I64, 2, 0},                                                 /* 34-35 */
    {UW_I32, 2, 1}, {UW_I64, 3, 1}, {UW_F32, 2, 1}, {UW_F64, 3, 1},                 /* 36-39 */
    {UW_I32, 0, 1}, {UW_I32, 1, 1}, {UW_I64, 0, 1}, {UW_I64, 1, 1}, {UW_I64, 2, 1}, /* 3A-3E */
};

/* ---- Helpers over the module ------------------------------------------------------------- */

static int need_mem(vctx *c, uint32_t idx) {
    if (idx >= c->m->nmems) return verr(c, "unknown memory %u", idx);
    return 0;
}

static int need_table(vctx *c, uint32_t idx) {
    if (idx >= c->m->ntables) return verr(c, "unknown table %u", idx);
    return 0;
}

static int need_elem(vctx *c, uint32_t idx) {
    if (idx >= c->m->nelems) return verr(c, "unknown elem segment %u", idx);
    return 0;
}

static int need_data(vctx *c, uint32_t idx) {
    if (!c->m->has_datacount && c->m->has_data_section)
        return uw__error(c->err, UMBRA_EWASM_MALFORMED, c->off, "data count section required");
    /* §3.3.7: memory.init / data.drop check against C.datas, whose length the data count
     * section gives (the decoder demands that section when a data section follows). */
    uint32_t n = c->m->has_datacount ? c->m->datacount : c->m->ndatas;
    if (idx >= n) return verr(c, "unknown data segment %u", idx);
    return 0;
}

/* The parameter and result lists of a block type (§3.2.? block types / §3.3.8). */
static int block_sig(vctx *c, const uw__blocktype *bt, const uint8_t **in, uint32_t *nin, const uint8_t **out,
                     uint32_t *nout) {
    *in = NULL;
    *nin = 0;
    *out = NULL;
    *nout = 0;
    if (bt->kind == 1) {
        if (bt->valtype == UW_V128) return uw__error(c->err, UMBRA_EUNSUPPORTED, c->off, "v128 is not supported");
        *out = &k_single[bt->valtype];
        *nout = 1;
    } else if (bt->kind == 2) {
        if (bt->type_index >= c->m->ntypes) return verr(c, "unknown type %u", bt->type_index);
        const uw__functype *t = &c->m->types[bt->type_index];
        *in = uw__ft_params(t);
        *nin = t->nparams;
        *out = uw__ft_results(t);
        *nout = t->nresults;
    }
    return 0;
}

/* ---- Function bodies --------------------------------------------------------------------- */

static int check_branch_label(vctx *c, uint32_t l) {
    if (l >= c->nctrls) return verr(c, "unknown label %u", l);
    return 0;
}

static int validate_instr(vctx *c, const uw__instr *in) {
    uw_module *m = c->m;
    uint8_t t = 0, t1 = 0, t2 = 0, p1 = 0, p2 = 0, r = 0;
    ctrl f;
    const uint8_t *types;
    uint32_t n;

    if (in->op >= 0x28 && in->op <= 0x3E) {
        const memop *mo = &k_memop[in->op - 0x28];
        TRY(need_mem(c, 0));
        if (in->a > mo->align) return verr(c, "alignment must not be larger than natural");
        if (mo->store) {
            TRY(pop_expect(c, mo->type));
            return pop_expect(c, UW_I32);
        }
        TRY(pop_expect(c, UW_I32));
        return push_val(c, mo->type);
    }
    if (numeric_sig(in->op, &p1, &p2, &r)) {
        if (p2) TRY(pop_expect(c, p2));
        TRY(pop_expect(c, p1));
        return push_val(c, r);
    }

    switch (in->op) {
    case 0x00: /* unreachable */
        set_unreachable(c);
        return 0;
    case 0x01: /* nop */
        return 0;
    case 0x02: case 0x03: case 0x04: { /* block, loop, if */
        const uint8_t *bin, *bout;
        uint32_t nin, nout;
        TRY(block_sig(c, &in->bt, &bin, &nin, &bout, &nout));
        if (in->op == 0x04) TRY(pop_expect(c, UW_I32));
        TRY(pop_vals(c, bin, nin));
        return push_ctrl(c, in->op, bin, nin, bout, nout);
    }
    case 0x05: /* else */
        if (c->nctrls == 0 || c->ctrls[c->nctrls - 1].op != 0x04)
            return verr(c, "type mismatch: else without if");
        TRY(pop_ctrl(c, &f));
        return push_ctrl(c, 0x05, f.start_types, f.nstart, f.end_types, f.nend);
    case 0x0B: /* end */
        TRY(pop_ctrl(c, &f));
        /* An `if` without `else` behaves as if the else branch passed its inputs through. */
        if (f.op == 0x04 && (f.nstart != f.nend || (f.nend && memcmp(f.start_types, f.end_types, f.nend) != 0)))
            return verr(c, "type mismatch: if without else must have matching param and result types");
        return push_vals(c, f.end_types, f.nend);
    case 0x0C: /* br */
        TRY(check_branch_label(c, in->a));
        label_types(&c->ctrls[c->nctrls - 1 - in->a], &types, &n);
        TRY(pop_vals(c, types, n));
        set_unreachable(c);
        return 0;
    case 0x0D: /* br_if */
        TRY(check_branch_label(c, in->a));
        TRY(pop_expect(c, UW_I32));
        label_types(&c->ctrls[c->nctrls - 1 - in->a], &types, &n);
        TRY(pop_vals(c, types, n));
        return push_vals(c, types, n);
    case 0x0E: { /* br_table */
        const uint8_t *q = in->labels, *end = m->bytes + m->len;
        uint32_t def, arity;
        const uint8_t *dtypes;
        TRY(pop_expect(c, UW_I32));
        /* The default label comes last in the encoding. */
        const uint8_t *s = q;
        for (uint32_t i = 0; i < in->a; i++) {
            uint32_t l;
            s += uw__read_u32(s, end, &l);
        }
        uw__read_u32(s, end, &def);
        TRY(check_branch_label(c, def));
        label_types(&c->ctrls[c->nctrls - 1 - def], &dtypes, &arity);
        for (uint32_t i = 0; i < in->a; i++) {
            uint32_t l;
            q += uw__read_u32(q, end, &l);
            TRY(check_branch_label(c, l));
            label_types(&c->ctrls[c->nctrls - 1 - l], &types, &n);
            if (n != arity) return verr(c, "type mismatch: br_table labels have different arities");
            /* A.3 push_vals(pop_vals(label)): check the operands without consuming them.
             * Restoring the height restores the same actual types (Unknowns popped below
             * an unreachable frame's height reappear when popped again). */
            uint32_t save = c->nvals;
            TRY(pop_vals(c, types, n));
            c->nvals = save;
        }
        TRY(pop_vals(c, dtypes, arity));
        set_unreachable(c);
        return 0;
    }
    case 0x0F: /* return */
        TRY(pop_vals(c, c->ctrls[0].end_types, c->ctrls[0].nend));
        set_unreachable(c);
        return 0;
    case 0x10: { /* call */
        if (in->a >= m->nfuncs) return verr(c, "unknown function %u", in->a);
        const uw__functype *ft = &m->types[m->funcs[in->a].type_index];
        TRY(pop_vals(c, uw__ft_params(ft), ft->nparams));
        return push_vals(c, uw__ft_results(ft), ft->nresults);
    }
    case 0x11: { /* call_indirect */
        TRY(need_table(c, in->b));
        if (m->tables[in->b].reftype != UW_FUNCREF) return verr(c, "type mismatch: call_indirect on a non-funcref table");
        if (in->a >= m->ntypes) return verr(c, "unknown type %u", in->a);
        const uw__functype *ft = &m->types[in->a];
        TRY(pop_expect(c, UW_I32));
        TRY(pop_vals(c, uw__ft_params(ft), ft->nparams));
        return push_vals(c, uw__ft_results(ft), ft->nresults);
    }
    case 0x1A: /* drop */
        return pop_val(c, &t);
    case 0x1B: /* select (numeric/vector operands only, §3.3.4) */
        TRY(pop_expect(c, UW_I32));
        TRY(pop_val(c, &t1));
        TRY(pop_val(c, &t2));
        if ((t1 != UNK && !is_num(t1)) || (t2 != UNK && !is_num(t2)))
            return verr(c, "type mismatch: select without type on reference operands");
        if (t1 != t2 && t1 != UNK && t2 != UNK) return verr(c, "type mismatch: select operands differ");
        return push_val(c, t1 == UNK ? t2 : t1);
    case 0x1C: /* select t */
        if (in->a != 1) return verr(c, "invalid result arity");
        if (in->b == UW_V128) return uw__error(c->err, UMBRA_EUNSUPPORTED, c->off, "v128 is not supported");
        TRY(pop_expect(c, UW_I32));
        TRY(pop_expect(c, (uint8_t)in->b));
        TRY(pop_expect(c, (uint8_t)in->b));
        return push_val(c, (uint8_t)in->b);
    case 0x20: /* local.get */
        if (in->a >= c->nlocals) return verr(c, "unknown local %u", in->a);
        return push_val(c, c->locals[in->a]);
    case 0x21: /* local.set */
        if (in->a >= c->nlocals) return verr(c, "unknown local %u", in->a);
        return pop_expect(c, c->locals[in->a]);
    case 0x22: /* local.tee */
        if (in->a >= c->nlocals) return verr(c, "unknown local %u", in->a);
        TRY(pop_expect(c, c->locals[in->a]));
        return push_val(c, c->locals[in->a]);
    case 0x23: /* global.get */
        if (in->a >= m->nglobals) return verr(c, "unknown global %u", in->a);
        return push_val(c, m->globals[in->a].type.type);
    case 0x24: /* global.set */
        if (in->a >= m->nglobals) return verr(c, "unknown global %u", in->a);
        if (!m->globals[in->a].type.mut) return verr(c, "global is immutable");
        return pop_expect(c, m->globals[in->a].type.type);
    case 0x25: /* table.get */
        TRY(need_table(c, in->a));
        TRY(pop_expect(c, UW_I32));
        return push_val(c, m->tables[in->a].reftype);
    case 0x26: /* table.set */
        TRY(need_table(c, in->a));
        TRY(pop_expect(c, m->tables[in->a].reftype));
        return pop_expect(c, UW_I32);
    case 0x3F: /* memory.size */
        TRY(need_mem(c, 0));
        return push_val(c, UW_I32);
    case 0x40: /* memory.grow */
        TRY(need_mem(c, 0));
        TRY(pop_expect(c, UW_I32));
        return push_val(c, UW_I32);
    case 0x41: return push_val(c, UW_I32);
    case 0x42: return push_val(c, UW_I64);
    case 0x43: return push_val(c, UW_F32);
    case 0x44: return push_val(c, UW_F64);
    case 0xD0: /* ref.null t */
        return push_val(c, (uint8_t)in->a);
    case 0xD1: /* ref.is_null */
        TRY(pop_val(c, &t));
        if (t != UNK && !is_ref(t)) return verr(c, "type mismatch: ref.is_null on %s", uw_valtype_name(t));
        return push_val(c, UW_I32);
    case 0xD2: /* ref.func */
        if (in->a >= m->nfuncs) return verr(c, "unknown function %u", in->a);
        if (!(m->func_refs[in->a / 8] & (1u << (in->a % 8))))
            return verr(c, "undeclared function reference %u", in->a);
        return push_val(c, UW_FUNCREF);
    case UW__OP_FC | 8: /* memory.init */
        TRY(need_mem(c, 0));
        TRY(need_data(c, in->a));
        goto three_i32;
    case UW__OP_FC | 9: /* data.drop */
        return need_data(c, in->a);
    case UW__OP_FC | 10: /* memory.copy */
    case UW__OP_FC | 11: /* memory.fill */
        TRY(need_mem(c, 0));
        goto three_i32;
    case UW__OP_FC | 12: /* table.init elem table */
        TRY(need_table(c, in->b));
        TRY(need_elem(c, in->a));
        if (m->elems[in->a].reftype != m->tables[in->b].reftype)
            return verr(c, "type mismatch: element segment and table types differ");
        goto three_i32;
    case UW__OP_FC | 13: /* elem.drop */
        return need_elem(c, in->a);
    case UW__OP_FC | 14: /* table.copy dst src */
        TRY(need_table(c, in->a));
        TRY(need_table(c, in->b));
        if (m->tables[in->a].reftype != m->tables[in->b].reftype)
            return verr(c, "type mismatch: table.copy between different reference types");
        goto three_i32;
    case UW__OP_FC | 15: /* table.grow */
        TRY(need_table(c, in->a));
        TRY(pop_expect(c, UW_I32));
        TRY(pop_expect(c, m->tables[in->a].reftype));
        return push_val(c, UW_I32);
    case UW__OP_FC | 16: /* table.size */
        TRY(need_table(c, in->a));
        return push_val(c, UW_I32);
    case UW__OP_FC | 17: /* table.fill */
        TRY(need_table(c, in->a));
        TRY(pop_expect(c, UW_I32));
        TRY(pop_expect(c, m->tables[in->a].reftype));
        return pop_expect(c, UW_I32);
    default:
        return uw__error(c->err, UMBRA_EWASM_MALFORMED, c->off, "illegal opcode 0x%x", in->op);
    }
three_i32:
    /* memory.fill pops (i32 dest, i32 value, i32 len): all three are i32 as well. */
    TRY(pop_expect(c, UW_I32));
    TRY(pop_expect(c, UW_I32));
    return pop_expect(c, UW_I32);
}

static int validate_func(vctx *c, uint32_t fi) {
    uw_module *m = c->m;
    uw__func *fn = &m->funcs[fi];
    c->off = fn->body_start;
    if (fn->type_index >= m->ntypes) return verr(c, "unknown type %u", fn->type_index);
    const uw__functype *ft = &m->types[fn->type_index];
    uint64_t nl = (uint64_t)ft->nparams + fn->nlocals;
    c->locals = umbra_malloc(nl ? nl : 1);
    if (!c->locals) return uw__error(c->err, UMBRA_ENOMEM, c->off, "out of memory");
    memcpy(c->locals, ft->types, ft->nparams);
    uint32_t k = ft->nparams;
    for (uint32_t g = 0; g < fn->nlocal_groups; g++) {
        if (fn->local_groups[g].type == UW_V128)
            return uw__error(c->err, UMBRA_EUNSUPPORTED, c->off, "v128 is not supported");
        memset(c->locals + k, fn->local_groups[g].type, fn->local_groups[g].count);
        k += fn->local_groups[g].count;
    }
    c->nlocals = (uint32_t)nl;
    c->nvals = c->nctrls = c->maxvals = c->maxctrls = 0;
    TRY(push_ctrl(c, 0, NULL, 0, uw__ft_results(ft), ft->nresults));

    const uint8_t *p = m->bytes + fn->code_start, *end = m->bytes + fn->body_end;
    while (p < end) {
        uw__instr in;
        const char *why = "unexpected end";
        c->off = (size_t)(p - m->bytes);
        size_t n = uw__decode_instr(p, end, &in, &why);
        if (!n) return uw__error(c->err, UMBRA_EWASM_MALFORMED, c->off, "%s", why);
        TRY(validate_instr(c, &in));
        p += n;
        if (c->nctrls == 0) break;
    }
    if (c->nctrls != 0 || p != end)
        return uw__error(c->err, UMBRA_EWASM_MALFORMED, c->off, "END opcode expected");
    fn->max_stack = c->maxvals;
    fn->max_blocks = c->maxctrls;
    return 0;
}

/* ---- Module level (§3.4) ------------------------------------------------------------------ */

/* §3.3.10 constant expressions; `nglobals` is how many globals they may read (C' for global
 * initializers: imported ones only). */
static int check_constexpr(vctx *c, const uw__constexpr *ce, uint8_t want, uint32_t nglobals) {
    uw_module *m = c->m;
    uint8_t t = ce->type;
    if (ce->bad == UW__CE_NONCONST) return verr(c, "constant expression required");
    if (ce->bad == UW__CE_ARITY) return verr(c, "type mismatch: constant expression must produce one value");
    if (ce->op == UW__CE_GLOBAL_GET) {
        if (ce->index >= nglobals || ce->index >= m->nglobals) return verr(c, "unknown global %u", ce->index);
        if (m->globals[ce->index].type.mut) return verr(c, "constant expression required (mutable global)");
        t = m->globals[ce->index].type.type;
    } else if (ce->op == UW__CE_REF_FUNC) {
        if (ce->index >= m->nfuncs) return verr(c, "unknown function %u", ce->index);
    }
    if (t != want) return verr(c, "type mismatch: constant expression of type %s, expected %s",
                               uw_valtype_name(t), uw_valtype_name(want));
    return 0;
}

static int check_limits(vctx *c, const uw__limits *l, uint64_t range, const char *what) {
    if (l->min > range || (l->has_max && l->max > range)) {
        if (range == UW__MAX_PAGES) return verr(c, "memory size must be at most 65536 pages (4GiB)");
        return verr(c, "%s size must be at most %llu", what, (unsigned long long)range);
    }
    if (l->has_max && l->min > l->max) return verr(c, "size minimum must not be greater than maximum");
    return 0;
}

static bool has_v128(const uint8_t *t, uint32_t n) {
    for (uint32_t i = 0; i < n; i++)
        if (t[i] == UW_V128) return true;
    return false;
}

static void declare_ref(uw_module *m, const uw__constexpr *ce) {
    if (ce->op == UW__CE_REF_FUNC && ce->index < m->nfuncs) m->func_refs[ce->index / 8] |= 1u << (ce->index % 8);
}

static int cmp_export(const void *a, const void *b) {
    const uw__export *x = *(const uw__export *const *)a;
    const uw__export *y = *(const uw__export *const *)b;
    if (x->name_len != y->name_len) return x->name_len < y->name_len ? -1 : 1;
    return memcmp(x->name, y->name, x->name_len);
}

static int check_exports(vctx *c) {
    uw_module *m = c->m;
    static const char *const what[] = {"function", "table", "memory", "global"};
    for (uint32_t i = 0; i < m->nexports; i++) {
        const uw__export *ex = &m->exports[i];
        uint32_t limit = ex->kind == UW_EXTERN_FUNC ? m->nfuncs
                         : ex->kind == UW_EXTERN_TABLE ? m->ntables
                         : ex->kind == UW_EXTERN_MEMORY ? m->nmems
                                                        : m->nglobals;
        if (ex->index >= limit) return verr(c, "unknown %s %u", what[ex->kind], ex->index);
    }
    if (m->nexports < 2) return 0;
    /* Names must be distinct (§3.4.10): sort indices by name, compare neighbours. */
    const uw__export **idx = umbra_malloc((size_t)m->nexports * sizeof *idx);
    if (!idx) return uw__error(c->err, UMBRA_ENOMEM, 0, "out of memory");
    for (uint32_t i = 0; i < m->nexports; i++) idx[i] = &m->exports[i];
    qsort(idx, m->nexports, sizeof *idx, cmp_export);
    int rc = 0;
    for (uint32_t i = 1; i < m->nexports && !rc; i++) {
        const uw__export *x = idx[i - 1], *y = idx[i];
        if (x->name_len == y->name_len && memcmp(x->name, y->name, x->name_len) == 0)
            rc = verr(c, "duplicate export name \"%s\"", y->name);
    }
    umbra_free(idx);
    return rc;
}

static int validate_module(vctx *c) {
    uw_module *m = c->m;
    for (uint32_t i = 0; i < m->ntypes; i++)
        if (has_v128(m->types[i].types, m->types[i].nparams + m->types[i].nresults))
            return uw__error(c->err, UMBRA_EUNSUPPORTED, 0, "v128 is not supported");
    for (uint32_t i = 0; i < m->nfuncs; i++)
        if (m->funcs[i].type_index >= m->ntypes) return verr(c, "unknown type %u", m->funcs[i].type_index);
    for (uint32_t i = 0; i < m->ntables; i++) TRY(check_limits(c, &m->tables[i].lim, UINT32_MAX, "table"));
    for (uint32_t i = 0; i < m->nmems; i++) TRY(check_limits(c, &m->mems[i].lim, UW__MAX_PAGES, "memory"));
    if (m->nmems > 1) return verr(c, "multiple memories");
    for (uint32_t i = 0; i < m->nglobals; i++)
        if (m->globals[i].type.type == UW_V128)
            return uw__error(c->err, UMBRA_EUNSUPPORTED, 0, "v128 is not supported");

    /* C.refs (§3.4.10): functions referenced outside function bodies. */
    m->func_refs = umbra_calloc((size_t)m->nfuncs / 8 + 1, 1);
    if (!m->func_refs) return uw__error(c->err, UMBRA_ENOMEM, 0, "out of memory");
    for (uint32_t i = m->nglobal_imports; i < m->nglobals; i++) declare_ref(m, &m->globals[i].init);
    for (uint32_t i = 0; i < m->nelems; i++)
        for (uint32_t j = 0; j < m->elems[i].ninit; j++) declare_ref(m, &m->elems[i].init[j]);
    for (uint32_t i = 0; i < m->nexports; i++)
        if (m->exports[i].kind == UW_EXTERN_FUNC && m->exports[i].index < m->nfuncs)
            m->func_refs[m->exports[i].index / 8] |= 1u << (m->exports[i].index % 8);

    for (uint32_t i = m->nglobal_imports; i < m->nglobals; i++)
        TRY(check_constexpr(c, &m->globals[i].init, m->globals[i].type.type, m->nglobal_imports));

    for (uint32_t i = 0; i < m->nelems; i++) {
        const uw__elem *e = &m->elems[i];
        if (e->mode == UW__SEG_ACTIVE) {
            TRY(need_table(c, e->table));
            TRY(check_constexpr(c, &e->offset, UW_I32, m->nglobal_imports));
            if (m->tables[e->table].reftype != e->reftype)
                return verr(c, "type mismatch: element segment of %s for a %s table", uw_valtype_name(e->reftype),
                            uw_valtype_name(m->tables[e->table].reftype));
        }
        for (uint32_t j = 0; j < e->ninit; j++) TRY(check_constexpr(c, &e->init[j], e->reftype, m->nglobal_imports));
    }
    for (uint32_t i = 0; i < m->ndatas; i++) {
        const uw__data *d = &m->datas[i];
        if (d->mode == UW__SEG_ACTIVE) {
            TRY(need_mem(c, d->memory));
            TRY(check_constexpr(c, &d->offset, UW_I32, m->nglobal_imports));
        }
    }
    if (m->has_start) {
        if (m->start >= m->nfuncs) return verr(c, "unknown function %u", m->start);
        const uw__functype *ft = &m->types[m->funcs[m->start].type_index];
        if (ft->nparams || ft->nresults) return verr(c, "start function must have type [] -> []");
    }
    TRY(check_exports(c));
    for (uint32_t i = m->nfunc_imports; i < m->nfuncs; i++) {
        int rc = validate_func(c, i);
        umbra_free(c->locals);
        c->locals = NULL;
        if (rc) return rc;
    }
    return 0;
}

int uw__validate(uw_module *m, uw_error *err) {
    vctx c = {.m = m, .err = err};
    int rc = validate_module(&c);
    if (rc && rc != UMBRA_ENOMEM) {
        /* A malformed body anywhere outranks whatever validation found first. */
        uw_error serr;
        int src = uw__scan_code(m, &serr);
        if (src) {
            if (err) *err = serr;
            rc = src;
        }
    }
    umbra_free(c.vals);
    umbra_free(c.ctrls);
    umbra_free(c.locals);
    return rc;
}
