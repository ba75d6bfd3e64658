/* decode.c — WebAssembly binary format (Wasm 2.0 §5) → uw_module.
 *
 * The decoder reports only "malformed" problems (UMBRA_EWASM_MALFORMED): everything that the
 * binary grammar of §5 rejects. Whatever the grammar accepts but §3 rejects (unknown
 * indices, types, non-constant initializers) is recorded and left to validate.c.
 * Function bodies are the exception that keeps loading fast: the decoder reads their
 * locals and skips the instructions, which the validator then decodes as it type-checks
 * them. Only when something fails is the syntax pass (uw__scan_code: opcodes, immediates,
 * block nesting, the data-count rule of §5.5.16) run over the bodies, so that a malformed
 * module is always reported as malformed, whatever else is wrong with it.
 *
 * Every count read from the input is checked against the bytes left before anything is
 * allocated for it (each item needs at least one byte), so memory use is linear in the
 * input size. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wasm_internal.h"

int uw__error(uw_error *err, int code, size_t offset, const char *fmt, ...) {
    if (err) {
        va_list ap;
        err->code = code;
        err->offset = offset > UINT32_MAX ? UINT32_MAX : (uint32_t)offset;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return code;
}

/* ---- LEB128 (§5.2.2) ---------------------------------------------------------------------- */

/* Unsigned LEB128 of at most `bits` bits. Returns length or 0; *too_long tells whether the
 * encoding had too many bytes (vs. bad unused bits or truncation). */
static size_t read_uleb(const uint8_t *p, const uint8_t *end, unsigned bits, uint64_t *out,
                        const char **why) {
    uint64_t v = 0;
    unsigned shift = 0;
    size_t maxlen = (bits + 6) / 7;
    for (size_t i = 0;; i++) {
        if (p + i >= end) {
            if (why) *why = "unexpected end";
            return 0;
        }
        uint8_t b = p[i];
        if (i == maxlen - 1) {
            /* Last permitted byte: no continuation, and the bits above `bits` must be 0. */
            if (b & 0x80) {
                if (why) *why = "integer representation too long";
                return 0;
            }
            unsigned used = bits - shift;
            if (used < 7 && (b >> used) != 0) {
                if (why) *why = "integer too large";
                return 0;
            }
            v |= (uint64_t)b << shift;
            *out = v;
            return i + 1;
        }
        v |= (uint64_t)(b & 0x7F) << shift;
        shift += 7;
        if (!(b & 0x80)) {
            *out = v;
            return i + 1;
        }
    }
}

/* Signed LEB128 of at most `bits` bits, sign-extended into *out. */
static size_t read_sleb(const uint8_t *p, const uint8_t *end, unsigned bits, int64_t *out,
                        const char **why) {
    uint64_t v = 0;
    unsigned shift = 0;
    size_t maxlen = (bits + 6) / 7;
    for (size_t i = 0;; i++) {
        if (p + i >= end) {
            if (why) *why = "unexpected end";
            return 0;
        }
        uint8_t b = p[i];
        if (i == maxlen - 1) {
            if (b & 0x80) {
                if (why) *why = "integer representation too long";
                return 0;
            }
            /* The unused bits (above bits-1-shift) must all equal the sign bit. */
            unsigned used = bits - shift; /* value bits in this byte, incl. sign */
            if (used < 7) {
                int8_t sb = (int8_t)(b << 1) >> 1; /* sign-extend the 7-bit group */
                int8_t hi = (int8_t)(sb >> (used - 1));
                if (hi != 0 && hi != -1) {
                    if (why) *why = "integer too large";
                    return 0;
                }
            }
            v |= (uint64_t)(b & 0x7F) << shift;
            shift += 7;
            if (shift < 64 && (b & 0x40)) v |= ~(uint64_t)0 << shift;
            *out = (int64_t)v;
            return i + 1;
        }
        v |= (uint64_t)(b & 0x7F) << shift;
        shift += 7;
        if (!(b & 0x80)) {
            if (shift < 64 && (b & 0x40)) v |= ~(uint64_t)0 << shift;
            *out = (int64_t)v;
            return i + 1;
        }
    }
}

size_t uw__read_u32(const uint8_t *p, const uint8_t *end, uint32_t *out) {
    uint64_t v;
    size_t n = read_uleb(p, end, 32, &v, NULL);
    if (n) *out = (uint32_t)v;
    return n;
}

size_t uw__read_s32(const uint8_t *p, const uint8_t *end, int32_t *out) {
    int64_t v;
    size_t n = read_sleb(p, end, 32, &v, NULL);
    if (n) *out = (int32_t)v;
    return n;
}

size_t uw__read_s33(const uint8_t *p, const uint8_t *end, int64_t *out) {
    return read_sleb(p, end, 33, out, NULL);
}

size_t uw__read_s64(const uint8_t *p, const uint8_t *end, int64_t *out) {
    return read_sleb(p, end, 64, out, NULL);
}

static bool is_valtype(uint8_t b) {
    return b == UW_I32 || b == UW_I64 || b == UW_F32 || b == UW_F64 || b == UW_V128 ||
           b == UW_FUNCREF || b == UW_EXTERNREF;
}

static bool is_reftype(uint8_t b) { return b == UW_FUNCREF || b == UW_EXTERNREF; }

size_t uw__read_blocktype(const uint8_t *p, const uint8_t *end, uw__blocktype *out) {
    if (p >= end) return 0;
    /* §5.4.1: 0x40 (empty), a value type, or a non-negative s33 type index. */
    if (*p == 0x40) {
        out->kind = 0;
        return 1;
    }
    if (is_valtype(*p)) {
        out->kind = 1;
        out->valtype = *p;
        return 1;
    }
    int64_t x;
    size_t n = read_sleb(p, end, 33, &x, NULL);
    if (!n || x < 0 || x > UINT32_MAX) return 0;
    out->kind = 2;
    out->type_index = (uint32_t)x;
    return n;
}

/* ---- Instructions (§5.4) ------------------------------------------------------------------ */

#define WHY(s)                   \
    do {                         \
        if (why) *why = (s);     \
        return 0;                \
    } while (0)

/* Reads a u32 immediate at q, advancing q; returns false on error (why set). */
static bool imm_u32(const uint8_t **q, const uint8_t *end, uint32_t *v, const char **why) {
    if (*q < end && **q < 0x80) { /* the common one-byte case */
        *v = *(*q)++;
        return true;
    }
    uint64_t x;
    size_t n = read_uleb(*q, end, 32, &x, why);
    if (!n) return false;
    *v = (uint32_t)x;
    *q += n;
    return true;
}

static bool imm_zero(const uint8_t **q, const uint8_t *end, const char **why) {
    if (*q >= end) {
        if (why) *why = "unexpected end";
        return false;
    }
    if (**q != 0) {
        if (why) *why = "zero byte expected";
        return false;
    }
    (*q)++;
    return true;
}

size_t uw__decode_instr(const uint8_t *p, const uint8_t *end, uw__instr *in, const char **why) {
    const uint8_t *q = p;
    if (q >= end) WHY("unexpected end");
    uint8_t op = *q++;
    in->op = op;
    in->a = in->b = 0;
    in->imm = 0;
    in->bt.kind = 0;
    in->labels = NULL;
    switch (op) {
    case 0x00: case 0x01: case 0x05: case 0x0B: case 0x0F: case 0x1A: case 0x1B: case 0xD1:
        break;
    case 0x02: case 0x03: case 0x04: {
        size_t n = uw__read_blocktype(q, end, &in->bt);
        if (!n) WHY(q >= end ? "unexpected end" : "integer too large");
        q += n;
        break;
    }
    case 0x0C: case 0x0D: case 0x10: case 0x20: case 0x21: case 0x22: case 0x23: case 0x24:
    case 0x25: case 0x26: case 0xD2:
        if (!imm_u32(&q, end, &in->a, why)) return 0;
        break;
    case 0x0E: {
        if (!imm_u32(&q, end, &in->a, why)) return 0;
        /* Each label takes at least one byte: bound the count by the bytes left. */
        if (in->a > (uint64_t)(end - q)) WHY("unexpected end");
        in->labels = q;
        for (uint64_t i = 0; i <= in->a; i++) {
            uint32_t l;
            if (!imm_u32(&q, end, &l, why)) return 0;
        }
        break;
    }
    case 0x11:
        if (!imm_u32(&q, end, &in->a, why) || !imm_u32(&q, end, &in->b, why)) return 0;
        break;
    case 0x1C: {
        if (!imm_u32(&q, end, &in->a, why)) return 0;
        if (in->a > (uint64_t)(end - q)) WHY("unexpected end");
        for (uint32_t i = 0; i < in->a; i++) {
            if (!is_valtype(*q)) WHY("malformed value type");
            if (i == 0) in->b = *q;
            q++;
        }
        break;
    }
    case 0x28: case 0x29: case 0x2A: case 0x2B: case 0x2C: case 0x2D: case 0x2E: case 0x2F:
    case 0x30: case 0x31: case 0x32: case 0x33: case 0x34: case 0x35: case 0x36: case 0x37:
    case 0x38: case 0x39: case 0x3A: case 0x3B: case 0x3C: case 0x3D: case 0x3E:
        if (!imm_u32(&q, end, &in->a, why)) return 0;
        /* Wasm 2.0 has one memory: bits 5 and up of the flags (the multi-memory bit 6 and
         * alignments >= 2^32) cannot be encoded. */
        if (in->a >= 32) WHY("malformed memop flags");
        if (!imm_u32(&q, end, &in->b, why)) return 0;
        break;
    case 0x3F: case 0x40:
        if (!imm_zero(&q, end, why)) return 0;
        break;
    case 0x41: {
        if (q < end && *q < 0x80) { /* one-byte constant: -64..63 */
            in->imm = (uint64_t)(int64_t)((int8_t)(*q << 1) >> 1);
            q++;
            break;
        }
        int64_t v;
        size_t n = read_sleb(q, end, 32, &v, why);
        if (!n) return 0;
        in->imm = (uint64_t)v;
        q += n;
        break;
    }
    case 0x42: {
        int64_t v;
        size_t n = read_sleb(q, end, 64, &v, why);
        if (!n) return 0;
        in->imm = (uint64_t)v;
        q += n;
        break;
    }
    case 0x43:
        if (end - q < 4) WHY("unexpected end");
        in->imm = (uint64_t)q[0] | (uint64_t)q[1] << 8 | (uint64_t)q[2] << 16 | (uint64_t)q[3] << 24;
        q += 4;
        break;
    case 0x44:
        if (end - q < 8) WHY("unexpected end");
        for (int i = 7; i >= 0; i--) in->imm = in->imm << 8 | q[i];
        q += 8;
        break;
    case 0xD0:
        if (q >= end) WHY("unexpected end");
        if (!is_reftype(*q)) WHY("malformed reference type");
        in->a = *q++;
        break;
    case 0xFC: {
        uint32_t sub;
        if (!imm_u32(&q, end, &sub, why)) return 0;
        in->op = UW__OP_FC | sub;
        switch (sub) {
        case 0: case 1: case 2: case 3: case 4: case 5: case 6: case 7:
            break;
        case 8: /* memory.init dataidx 0x00 */
            if (!imm_u32(&q, end, &in->a, why) || !imm_zero(&q, end, why)) return 0;
            break;
        case 9: case 13: case 15: case 16: case 17:
            if (!imm_u32(&q, end, &in->a, why)) return 0;
            break;
        case 10:
            if (!imm_zero(&q, end, why) || !imm_zero(&q, end, why)) return 0;
            break;
        case 11:
            if (!imm_zero(&q, end, why)) return 0;
            break;
        case 12: case 14:
            if (!imm_u32(&q, end, &in->a, why) || !imm_u32(&q, end, &in->b, why)) return 0;
            break;
        default:
            WHY("illegal opcode");
        }
        break;
    }
    default:
        if (op >= 0x45 && op <= 0xC4) break; /* numeric, incl. sign-extension (§5.4.7) */
        WHY("illegal opcode");
    }
    return (size_t)(q - p);
}

/* ---- Reader ------------------------------------------------------------------------------- */

typedef struct rd {
    const uint8_t *base;  /* module start (for offsets) */
    const uint8_t *p;
    const uint8_t *end;   /* end of the current section (or function body) */
    const uint8_t *mod_end;
    bool in_section;      /* reading a section's contents (not a section header) */
    uw_error *err;
} rd;

/* Running out of bytes inside a section is reported differently from running out of
 * module, as the reference interpreter (and so the test suite) does. */
static const char *end_reason(const rd *r, const char *why) {
    if (why && !strcmp(why, "unexpected end") && r->in_section) return "unexpected end of section or function";
    return why;
}

#define OFF(r) ((size_t)((r)->p - (r)->base))

static int fail(rd *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(rd *r, const char *fmt, ...) {
    if (r->err) {
        va_list ap;
        r->err->code = UMBRA_EWASM_MALFORMED;
        r->err->offset = (uint32_t)OFF(r);
        va_start(ap, fmt);
        vsnprintf(r->err->message, sizeof r->err->message, fmt, ap);
        va_end(ap);
    }
    return UMBRA_EWASM_MALFORMED;
}

static int nomem(rd *r) { return uw__error(r->err, UMBRA_ENOMEM, OFF(r), "out of memory"); }

#define TRY(x)                     \
    do {                           \
        int rc_ = (x);             \
        if (rc_) return rc_;       \
    } while (0)

static int rd_byte(rd *r, uint8_t *b) {
    *b = 0;
    if (r->p >= r->end) return fail(r, "%s", end_reason(r, "unexpected end"));
    *b = *r->p++;
    return 0;
}

static int rd_u32(rd *r, uint32_t *v) {
    const char *why = NULL;
    uint64_t x;
    size_t n = read_uleb(r->p, r->end, 32, &x, &why);
    if (!n) return fail(r, "%s", end_reason(r, why));
    r->p += n;
    *v = (uint32_t)x;
    return 0;
}

/* A vector count: each element needs at least `minsz` bytes, so a count that cannot fit
 * in the rest of the section is malformed (and never allocated for). minsz is 1 for
 * every vector (finer bounds would report "unexpected end" before the more specific
 * reason the test suite expects), so allocations stay proportional to the input. */
static int rd_count(rd *r, uint32_t *n, size_t minsz, uint32_t limit, const char *what) {
    TRY(rd_u32(r, n));
    if ((uint64_t)*n * minsz > (uint64_t)(r->end - r->p)) return fail(r, "%s", end_reason(r, "unexpected end"));
    if (*n > limit)
        return uw__error(r->err, UMBRA_EWASM_LIMIT, OFF(r), "too many %s (%u > %u)", what, *n, limit);
    return 0;
}

/* §5.2.4 names are UTF-8 (Unicode §3.9 well-formed: no overlongs, no surrogates,
 * at most U+10FFFF). */
static bool utf8_ok(const uint8_t *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        uint32_t cp, min;
        if ((c & 0xE0) == 0xC0) {
            len = 2, cp = c & 0x1F, min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3, cp = c & 0x0F, min = 0x800;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4, cp = c & 0x07, min = 0x10000;
        } else {
            return false;
        }
        if (n - i < len) return false;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return false;
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        i += len;
    }
    return true;
}

static int rd_name(rd *r, char **out, uint32_t *len) {
    uint32_t n;
    TRY(rd_u32(r, &n));
    if (n > (size_t)(r->end - r->p)) return fail(r, "length out of bounds");
    if (!utf8_ok(r->p, n)) return fail(r, "malformed UTF-8 encoding");
    if (out) {
        char *s = umbra_malloc((size_t)n + 1);
        if (!s) return nomem(r);
        memcpy(s, r->p, n);
        s[n] = 0;
        *out = s;
        *len = n;
    }
    r->p += n;
    return 0;
}

static int rd_valtype(rd *r, uint8_t *t) {
    TRY(rd_byte(r, t));
    if (!is_valtype(*t)) {
        r->p--;
        return fail(r, "malformed value type 0x%02x", *t);
    }
    return 0;
}

static int rd_reftype(rd *r, uint8_t *t) {
    TRY(rd_byte(r, t));
    if (!is_reftype(*t)) {
        r->p--;
        return fail(r, "malformed reference type 0x%02x", *t);
    }
    return 0;
}

/* §5.3.7 limits: 0x00 min | 0x01 min max. */
static int rd_limits(rd *r, uw__limits *l) {
    uint8_t flag = 0;
    TRY(rd_byte(r, &flag));
    if (flag & 0x80) {
        r->p--;
        return fail(r, "integer representation too long (limits flags 0x%02x)", flag);
    }
    if (flag > 1) {
        r->p--;
        return fail(r, "integer too large (limits flags 0x%02x)", flag);
    }
    TRY(rd_u32(r, &l->min));
    l->has_max = flag == 1;
    l->max = 0;
    if (l->has_max) TRY(rd_u32(r, &l->max));
    return 0;
}

static int rd_tabletype(rd *r, uw__tabletype *t) {
    TRY(rd_reftype(r, &t->reftype));
    return rd_limits(r, &t->lim);
}

static int rd_globaltype(rd *r, uw__globaltype *g) {
    uint8_t m = 0;
    TRY(rd_valtype(r, &g->type));
    TRY(rd_byte(r, &m));
    if (m > 1) {
        r->p--;
        return fail(r, "malformed mutability 0x%02x", m);
    }
    g->mut = m == 1;
    return 0;
}

/* A constant expression (§5.4.9 expr): instructions up to the matching `end`. The decoder
 * only enforces the grammar; whether the instructions are constant is recorded in ->bad. */
static int rd_constexpr(rd *r, uw__constexpr *ce) {
    uint32_t count = 0, depth = 0;
    memset(ce, 0, sizeof *ce);
    for (;;) {
        uw__instr in;
        const char *why = "unexpected end";
        size_t n = uw__decode_instr(r->p, r->end, &in, &why);
        if (!n) return fail(r, "%s", end_reason(r, why));
        r->p += n;
        if (in.op == 0x0B) {
            if (depth == 0) break;
            depth--;
            continue;
        }
        if (in.op == 0x02 || in.op == 0x03 || in.op == 0x04) depth++;
        count++;
        switch (in.op) {
        case 0x41: ce->type = UW_I32; ce->bits = (uint32_t)in.imm; break;
        case 0x42: ce->type = UW_I64; ce->bits = in.imm; break;
        case 0x43: ce->type = UW_F32; ce->bits = in.imm; break;
        case 0x44: ce->type = UW_F64; ce->bits = in.imm; break;
        case 0x23: ce->index = in.a; break;
        case 0xD0: ce->type = (uint8_t)in.a; break;
        case 0xD2: ce->type = UW_FUNCREF; ce->index = in.a; break;
        default: ce->bad = UW__CE_NONCONST; break;
        }
        if (count == 1 && !ce->bad) ce->op = (uint8_t)in.op;
    }
    if (!ce->bad && count != 1) ce->bad = UW__CE_ARITY;
    if (ce->bad) ce->op = 0;
    return 0;
}

/* ---- Sections (§5.5) ---------------------------------------------------------------------- */

static int sec_type(rd *r, uw_module *m) {
    uint32_t n;
    TRY(rd_count(r, &n, 1, UW__MAX_TYPES, "types"));
    m->types = umbra_calloc(n ? n : 1, sizeof *m->types);
    if (!m->types) return nomem(r);
    for (uint32_t i = 0; i < n; i++) {
        uw__functype *t = &m->types[i];
        uint8_t form = 0;
        uint32_t np, nr;
        TRY(rd_byte(r, &form));
        if (form != 0x60) {
            r->p--;
            return fail(r, "integer representation too long (malformed functype 0x%02x)", form);
        }
        TRY(rd_count(r, &np, 1, UW__MAX_PARAMS, "params"));
        const uint8_t *pp = r->p;
        for (uint32_t k = 0; k < np; k++) {
            uint8_t vt;
            TRY(rd_valtype(r, &vt));
        }
        TRY(rd_count(r, &nr, 1, UW__MAX_RESULTS, "results"));
        const uint8_t *rp = r->p;
        for (uint32_t k = 0; k < nr; k++) {
            uint8_t vt;
            TRY(rd_valtype(r, &vt));
        }
        t->types = umbra_malloc((size_t)np + nr + 1);
        if (!t->types) return nomem(r);
        memcpy(t->types, pp, np);
        memcpy(t->types + np, rp, nr);
        t->nparams = np;
        t->nresults = nr;
        m->ntypes = i + 1;
        uint32_t id = m->engine ? uw__engine_intern_type(m->engine, pp, np, rp, nr) : 0;
        if (id == UINT32_MAX) return nomem(r);
        t->id = id;
    }
    m->ntypes = n;
    return 0;
}

static int sec_import(rd *r, uw_module *m) {
    uint32_t n;
    TRY(rd_count(r, &n, 1, UW__MAX_IMPORTS, "imports"));
    m->imports = umbra_calloc(n ? n : 1, sizeof *m->imports);
    if (!m->imports) return nomem(r);
    for (uint32_t i = 0; i < n; i++) {
        uw__import *im = &m->imports[i];
        TRY(rd_name(r, &im->module, &im->module_len));
        m->nimports = i + 1;
        TRY(rd_name(r, &im->name, &im->name_len));
        TRY(rd_byte(r, &im->kind));
        switch (im->kind) {
        case UW_EXTERN_FUNC:
            TRY(rd_u32(r, &im->desc.type_index));
            im->index = m->nfunc_imports++;
            break;
        case UW_EXTERN_TABLE:
            TRY(rd_tabletype(r, &im->desc.table));
            im->index = m->ntable_imports++;
            break;
        case UW_EXTERN_MEMORY:
            TRY(rd_limits(r, &im->desc.mem.lim));
            im->index = m->nmem_imports++;
            break;
        case UW_EXTERN_GLOBAL:
            TRY(rd_globaltype(r, &im->desc.global));
            im->index = m->nglobal_imports++;
            break;
        default:
            r->p--;
            return fail(r, "malformed import kind 0x%02x", im->kind);
        }
    }
    return 0;
}

/* The function section only gives type indices; funcs[] is sized here for imports +
 * definitions and the import entries are filled from the import section. */
static int alloc_funcs(rd *r, uw_module *m, uint32_t ndefined) {
    uint64_t total = (uint64_t)m->nfunc_imports + ndefined;
    if (total > UW__MAX_FUNCS)
        return uw__error(r->err, UMBRA_EWASM_LIMIT, OFF(r), "too many functions");
    m->funcs = umbra_calloc(total ? total : 1, sizeof *m->funcs);
    if (!m->funcs) return nomem(r);
    m->nfuncs = (uint32_t)total;
    for (uint32_t i = 0; i < m->nimports; i++)
        if (m->imports[i].kind == UW_EXTERN_FUNC)
            m->funcs[m->imports[i].index].type_index = m->imports[i].desc.type_index;
    return 0;
}

static int sec_function(rd *r, uw_module *m, uint32_t *ndefined) {
    uint32_t n;
    TRY(rd_count(r, &n, 1, UW__MAX_FUNCS, "functions"));
    TRY(alloc_funcs(r, m, n));
    for (uint32_t i = 0; i < n; i++) TRY(rd_u32(r, &m->funcs[m->nfunc_imports + i].type_index));
    *ndefined = n;
    return 0;
}

static int sec_table(rd *r, uw_module *m) {
    uint32_t n;
    TRY(rd_count(r, &n, 1, UW__MAX_TABLES, "tables"));
    uint64_t total = (uint64_t)m->ntable_imports + n;
    if (total > UW__MAX_TABLES) return uw__error(r->err, UMBRA_EWASM_LIMIT, OFF(r), "too many tables");
    m->tables = umbra_calloc(total ? total : 1, sizeof *m->tables);
    if (!m->tables) return nomem(r);
    for (uint32_t i = 0; i < m->nimports; i++)
        if (m->imports[i].kind == UW_EXTERN_TABLE) m->tables[m->imports[i].index] = m->imports[i].desc.table;
    for (uint32_t i = 0; i < n; i++) TRY(rd_tabletype(r, &m->tables[m->ntable_imports + i]));
    m->ntables = (uint32_t)total;
    return 0;
}

static int sec_memory(rd *r, uw_module *m) {
    uint32_t n;
    TRY(rd_count(r, &n, 1, UW__MAX_TABLES, "memories"));
    uint64_t total = (uint64_t)m->nmem_imports + n;
    m->mems = umbra_calloc(total ? total : 1, sizeof *m->mems);
    if (!m->mems) return nomem(r);
    for (uint32_t i = 0; i < m->nimports; i++)
        if (m->imports[i].kind == UW_EXTERN_MEMORY) m->mems[m->imports[i].index] = m->imports[i].desc.mem;
    for (uint32_t i = 0; i < n; i++) TRY(rd_limits(r, &m->mems[m->nmem_imports + i].lim));
    m->nmems = (uint32_t)total;
    return 0;
}

static int alloc_globals(rd *r, uw_module *m, uint32_t n) {
    uint64_t total = (uint64_t)m->nglobal_imports + n;
    if (total > UW__MAX_GLOBALS) return uw__error(r->err, UMBRA_EWASM_LIMIT, OFF(r), "too many globals");
    m->globals = umbra_calloc(total ? total : 1, sizeof *m->globals);
    if (!m->globals) return nomem(r);
    for (uint32_t i = 0; i < m->nimports; i++)
        if (m->imports[i].kind == UW_EXTERN_GLOBAL)
            m->globals[m->imports[i].index].type = m->imports[i].desc.global;
    m->nglobals = (uint32_t)total;
    return 0;
}

static int sec_global(rd *r, uw_module *m) {
    uint32_t n;
    TRY(rd_count(r, &n, 1, UW__MAX_GLOBALS, "globals"));
    TRY(alloc_globals(r, m, n));
    for (uint32_t i = 0; i < n; i++) {
        uw__global *g = &m->globals[m->nglobal_imports + i];
        TRY(rd_globaltype(r, &g->type));
        TRY(rd_constexpr(r, &g->init));
    }
    return 0;
}

static int sec_export(rd *r, uw_module *m) {
    uint32_t n;
    TRY(rd_count(r, &n, 1, UW__MAX_EXPORTS, "exports"));
    m->exports = umbra_calloc(n ? n : 1, sizeof *m->exports);
    if (!m->exports) return nomem(r);
    for (uint32_t i = 0; i < n; i++) {
        uw__export *ex = &m->exports[i];
        TRY(rd_name(r, &ex->name, &ex->name_len));
        m->nexports = i + 1;
        TRY(rd_byte(r, &ex->kind));
        if (ex->kind > UW_EXTERN_GLOBAL) {
            r->p--;
            return fail(r, "malformed export kind 0x%02x", ex->kind);
        }
        TRY(rd_u32(r, &ex->index));
    }
    return 0;
}

static int sec_start(rd *r, uw_module *m) {
    TRY(rd_u32(r, &m->start));
    m->has_start = true;
    return 0;
}

static int func_init(rd *r, uw__constexpr *ce) {
    memset(ce, 0, sizeof *ce);
    ce->op = UW__CE_REF_FUNC;
    ce->type = UW_FUNCREF;
    return rd_u32(r, &ce->index);
}

static int sec_element(rd *r, uw_module *m) {
    uint32_t n;
    TRY(rd_count(r, &n, 1, UW__MAX_SEGMENTS, "element segments"));
    m->elems = umbra_calloc(n ? n : 1, sizeof *m->elems);
    if (!m->elems) return nomem(r);
    for (uint32_t i = 0; i < n; i++) {
        uw__elem *e = &m->elems[i];
        uint32_t flags;
        TRY(rd_u32(r, &flags));
        m->nelems = i + 1;
        /* §5.5.12: bit 0 passive/declarative, bit 1 explicit table (active) or
         * declarative (passive), bit 2 expressions instead of function indices. */
        if (flags > 7) return fail(r, "malformed elements segment kind %u", flags);
        e->reftype = UW_FUNCREF;
        if (flags & 1) {
            e->mode = (flags & 2) ? UW__SEG_DECLARATIVE : UW__SEG_PASSIVE;
        } else {
            e->mode = UW__SEG_ACTIVE;
            if (flags & 2) TRY(rd_u32(r, &e->table));
            TRY(rd_constexpr(r, &e->offset));
        }
        bool exprs = flags & 4;
        if (flags & 3) {
            if (exprs) {
                TRY(rd_reftype(r, &e->reftype));
            } else {
                uint8_t kind = 0;
                TRY(rd_byte(r, &kind));
                if (kind != 0x00) {
                    r->p--;
                    return fail(r, "malformed element kind 0x%02x", kind);
                }
            }
        }
        uint32_t k;
        TRY(rd_count(r, &k, 1, UW__MAX_ELEM_INIT, "element initializers"));
        e->init = umbra_calloc(k ? k : 1, sizeof *e->init);
        if (!e->init) return nomem(r);
        for (uint32_t j = 0; j < k; j++) {
            if (exprs)
                TRY(rd_constexpr(r, &e->init[j]));
            else
                TRY(func_init(r, &e->init[j]));
            e->ninit = j + 1;
        }
    }
    return 0;
}

static int sec_datacount(rd *r, uw_module *m) {
    TRY(rd_u32(r, &m->datacount));
    m->has_datacount = true;
    return 0;
}

/* Syntax pass over one function's instructions (§5.4): opcodes and immediates, block
 * nesting. Notes whether memory.init / data.drop occur (§5.5.16). The validator decodes
 * the same instructions, so this pass only runs when validation fails (uw__scan_code):
 * valid modules are read once. */
static int scan_code(rd *r, const uint8_t *sec_end, bool *uses_data) {
    uint32_t depth = 1;
    while (r->p < r->end) {
        uw__instr in;
        const char *why = "unexpected end";
        size_t n = uw__decode_instr(r->p, r->end, &in, &why);
        if (!n) return fail(r, "%s", end_reason(r, why));
        switch (in.op) {
        case 0x02: case 0x03: case 0x04:
            if (++depth > UW__MAX_BLOCK_DEPTH)
                return uw__error(r->err, UMBRA_EWASM_LIMIT, OFF(r), "blocks nested too deeply");
            break;
        case 0x0B:
            depth--;
            break;
        case UW__OP_FC | 8: case UW__OP_FC | 9:
            *uses_data = true;
            break;
        }
        r->p += n;
        if (depth == 0) {
            if (r->p != r->end) return fail(r, "section size mismatch (code after function end)");
            return 0;
        }
    }
    /* The body ran out before its final `end`. */
    return fail(r, r->end == sec_end ? "unexpected end of section or function" : "END opcode expected");
}

static int sec_code(rd *r, uw_module *m, uint32_t ndefined, uint32_t *nbodies) {
    uint32_t n;
    TRY(rd_count(r, &n, 1, UW__MAX_FUNCS, "function bodies"));
    /* More bodies than functions cannot be stored; fewer is reported after the last
     * section (a later out-of-order section is the better reason). */
    if (n > ndefined) return fail(r, "function and code section have inconsistent lengths");
    for (uint32_t i = 0; i < n; i++) {
        uw__func *f = &m->funcs[m->nfunc_imports + i];
        uint32_t size;
        TRY(rd_u32(r, &size));
        if (size > (size_t)(r->end - r->p)) return fail(r, "unexpected end of section or function");
        const uint8_t *sec_end = r->end;
        r->end = r->p + size;
        f->body_start = (uint32_t)OFF(r);
        f->body_end = (uint32_t)(r->end - r->base);
        uint32_t ngroups;
        TRY(rd_count(r, &ngroups, 1, UINT32_MAX, "local groups"));
        f->local_groups = umbra_calloc(ngroups ? ngroups : 1, sizeof *f->local_groups);
        if (!f->local_groups) return nomem(r);
        uint64_t total = 0;
        for (uint32_t g = 0; g < ngroups; g++) {
            TRY(rd_u32(r, &f->local_groups[g].count));
            TRY(rd_valtype(r, &f->local_groups[g].type));
            f->nlocal_groups = g + 1;
            total += f->local_groups[g].count;
            /* §5.5.13: the total number of locals must be < 2^32. */
            if (total > UINT32_MAX) return fail(r, "too many locals");
        }
        const uw__functype *t = f->type_index < m->ntypes ? &m->types[f->type_index] : NULL;
        if (total + (t ? t->nparams : 0) > UW__MAX_LOCALS)
            return uw__error(r->err, UMBRA_EWASM_LIMIT, OFF(r), "too many locals (%llu)",
                             (unsigned long long)total);
        f->nlocals = (uint32_t)total;
        f->code_start = (uint32_t)OFF(r);
        r->p = r->end; /* instructions: checked by the validator (and uw__scan_code) */
        r->end = sec_end;
        *nbodies = i + 1;
    }
    return 0;
}

/* Scans the first `count` function bodies (in order, so the first malformed one wins). */
static int scan_bodies(const uw_module *m, uint32_t count, uw_error *err) {
    bool uses_data = false;
    const uint8_t *sec_end = m->bytes + m->code_sec_end;
    for (uint32_t i = m->nfunc_imports; i < m->nfunc_imports + count; i++) {
        const uw__func *f = &m->funcs[i];
        rd r = {.base = m->bytes,
                .p = m->bytes + f->code_start,
                .end = m->bytes + f->body_end,
                .mod_end = m->bytes + m->len,
                .in_section = true,
                .err = err};
        TRY(scan_code(&r, sec_end, &uses_data));
    }
    /* §5.5.16: memory.init / data.drop need the data count section when a data section
     * exists (without one, the indices are simply unknown: a validation error, as the
     * reference interpreter has it). */
    if (uses_data && !m->has_datacount && m->has_data_section)
        return uw__error(err, UMBRA_EWASM_MALFORMED, m->code_sec_end, "data count section required");
    return 0;
}

int uw__scan_code(const uw_module *m, uw_error *err) { return scan_bodies(m, m->nfuncs - m->nfunc_imports, err); }

static int sec_data(rd *r, uw_module *m) {
    uint32_t n;
    TRY(rd_count(r, &n, 1, UW__MAX_SEGMENTS, "data segments"));
    if (m->has_datacount && n != m->datacount)
        return fail(r, "data count and data section have inconsistent lengths");
    m->datas = umbra_calloc(n ? n : 1, sizeof *m->datas);
    if (!m->datas) return nomem(r);
    for (uint32_t i = 0; i < n; i++) {
        uw__data *d = &m->datas[i];
        uint32_t flags, len;
        TRY(rd_u32(r, &flags));
        m->ndatas = i + 1;
        switch (flags) {
        case 0:
            d->mode = UW__SEG_ACTIVE;
            TRY(rd_constexpr(r, &d->offset));
            break;
        case 1:
            d->mode = UW__SEG_PASSIVE;
            break;
        case 2:
            d->mode = UW__SEG_ACTIVE;
            TRY(rd_u32(r, &d->memory));
            TRY(rd_constexpr(r, &d->offset));
            break;
        default:
            return fail(r, "malformed data segment kind %u", flags);
        }
        TRY(rd_u32(r, &len));
        if (len > (size_t)(r->end - r->p)) return fail(r, "unexpected end of section or function");
        d->start = (uint32_t)OFF(r);
        d->len = len;
        r->p += len;
    }
    return 0;
}

static int cmp_funcname(const void *a, const void *b) {
    const struct uw__funcname *x = a, *y = b;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* The "name" custom section (Wasm 2.0 §7.4): subsections (id, size, contents); id 1 is the
 * function name map, vec(funcidx name) with increasing indices. Anything malformed just
 * leaves the module without names; only ENOMEM is an error. */
static int read_names(rd *r, uw_module *m) {
    const uint8_t *p = r->p, *end = r->end;
    while (p < end) {
        uint8_t id = *p++;
        uint32_t size, n;
        size_t k = uw__read_u32(p, end, &size);
        if (!k || size > (size_t)(end - p - k)) return 0;
        p += k;
        const uint8_t *sub_end = p + size;
        if (id != 1) {
            p = sub_end;
            continue;
        }
        if (!(k = uw__read_u32(p, sub_end, &n)) || n > (size_t)(sub_end - p)) return 0;
        p += k;
        struct uw__funcname *v = umbra_calloc(n ? n : 1, sizeof *v);
        if (!v) return uw__error(r->err, UMBRA_ENOMEM, OFF(r), "out of memory");
        uint32_t got = 0;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t idx, len;
            if (!(k = uw__read_u32(p, sub_end, &idx))) break;
            p += k;
            if (!(k = uw__read_u32(p, sub_end, &len)) || len > (size_t)(sub_end - p - k)) break;
            p += k;
            if (utf8_ok(p, len)) {
                v[got].index = idx;
                v[got].start = (uint32_t)(p - r->base);
                v[got].len = len;
                got++;
            }
            p += len;
        }
        qsort(v, got, sizeof *v, cmp_funcname);
        m->func_names = v;
        m->nfunc_names = got;
        return 0;
    }
    return 0;
}

/* Sizes the index spaces whose sections were absent (they still hold the imports): an
 * empty section of each kind is decoded from a zero-length input. */
static int fill_index_spaces(rd *r, uw_module *m) {
    static const uint8_t zero[1] = {0};
    rd z = {.base = r->base, .p = zero, .end = zero + 1, .mod_end = zero + 1, .err = r->err};
    if (!m->funcs) TRY(alloc_funcs(r, m, 0));
    if (!m->tables) TRY(sec_table(&z, m));
    z.p = zero;
    if (!m->mems) TRY(sec_memory(&z, m));
    if (!m->globals) TRY(alloc_globals(r, m, 0));
    if (!m->types) {
        m->types = umbra_calloc(1, sizeof *m->types);
        if (!m->types) return nomem(r);
    }
    return 0;
}

/* Section order (§5.5.2): custom sections anywhere; the others at most once, in this order.
 * The data count section (12) sits between element (9) and code (10). */
static int section_rank(uint8_t id) {
    static const int8_t rank[13] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 10};
    return id <= 12 ? rank[id] : -1;
}

int uw__decode(uw_engine *e, uint8_t *bytes, size_t len, uw_module **out, uw_error *err) {
    *out = NULL;
    if (len > UINT32_MAX) {
        umbra_free(bytes);
        return uw__error(err, UMBRA_EWASM_LIMIT, 0, "module larger than 4 GiB");
    }
    uw_module *m = umbra_calloc(1, sizeof *m);
    if (!m) {
        umbra_free(bytes);
        return uw__error(err, UMBRA_ENOMEM, 0, "out of memory");
    }
    m->engine = e;
    m->bytes = bytes;
    m->len = len;
    rd r = {.base = bytes, .p = bytes, .end = bytes + len, .mod_end = bytes + len, .err = err};
    int rc = 0;
    uint32_t ndefined = 0, nbodies = 0;
    bool have_funcsec = false;
    int last = 0;

    static const uint8_t magic[4] = {0x00, 0x61, 0x73, 0x6D};
    if (len < 4 && memcmp(bytes, magic, len) == 0) {
        rc = fail(&r, "unexpected end (magic header)");
        goto out;
    }
    if (len < 4 || memcmp(bytes, magic, 4) != 0) {
        rc = fail(&r, "magic header not detected");
        goto out;
    }
    r.p += 4;
    if (len < 8) {
        rc = fail(&r, "unexpected end (unknown binary version)");
        goto out;
    }
    if (bytes[4] != 1 || bytes[5] || bytes[6] || bytes[7]) {
        rc = fail(&r, "unknown binary version");
        goto out;
    }
    r.p += 4;

    while (r.p < r.end) {
        const uint8_t *mod_end = bytes + len;
        uint8_t id = *r.p;
        int rank = section_rank(id);
        if (rank < 0) {
            rc = fail(&r, "malformed section id %u", id);
            goto out;
        }
        if (id != 0) {
            if (rank <= last) {
                rc = fail(&r, "unexpected content after last section (section %u out of order)", id);
                goto out;
            }
            last = rank;
        }
        r.p++;
        uint32_t size;
        if ((rc = rd_u32(&r, &size))) goto out;
        if (size > (size_t)(mod_end - r.p)) {
            rc = fail(&r, "section size mismatch: length out of bounds (unexpected end)");
            goto out;
        }
        r.end = r.p + size;
        r.in_section = true;
        switch (id) {
        case 0: {
            const uint8_t *name = r.p;
            if ((rc = rd_name(&r, NULL, NULL))) break;
            uint32_t nlen = 0;
            uw__read_u32(name, r.p, &nlen);
            if (nlen == 4 && !memcmp(r.p - 4, "name", 4) && !m->func_names && (rc = read_names(&r, m))) break;
            r.p = r.end;
            break;
        }
        case 1: rc = sec_type(&r, m); break;
        case 2: rc = sec_import(&r, m); break;
        case 3: rc = sec_function(&r, m, &ndefined); have_funcsec = true; break;
        case 4: rc = sec_table(&r, m); break;
        case 5: rc = sec_memory(&r, m); break;
        case 6: rc = sec_global(&r, m); break;
        case 7: rc = sec_export(&r, m); break;
        case 8: rc = sec_start(&r, m); break;
        case 9: rc = sec_element(&r, m); break;
        case 10:
            if (!have_funcsec && !m->funcs && (rc = alloc_funcs(&r, m, 0))) break;
            m->code_sec_end = (uint32_t)(r.end - bytes);
            rc = sec_code(&r, m, ndefined, &nbodies);
            break;
        case 11:
            m->has_data_section = true;
            rc = sec_data(&r, m);
            break;
        case 12: rc = sec_datacount(&r, m); break;
        }
        if (rc) goto out;
        if (r.p != r.end) {
            rc = fail(&r, "section size mismatch");
            goto out;
        }
        r.end = mod_end;
        r.in_section = false;
    }
    /* Index spaces of sections that were absent still include the imports. */
    if ((rc = fill_index_spaces(&r, m))) goto out;
    if (nbodies != ndefined) {
        rc = fail(&r, "function and code section have inconsistent lengths");
        goto out;
    }
    if (m->has_datacount && m->datacount != m->ndatas) {
        rc = fail(&r, "data count and data section have inconsistent lengths");
        goto out;
    }
out:
    if (rc && rc != UMBRA_ENOMEM && nbodies) {
        /* Bodies are only syntax-checked on demand; the ones read before this error come
         * first in the binary, so their problems are the ones to report. */
        uw_error serr;
        int src = scan_bodies(m, nbodies, &serr);
        if (src) {
            if (err) *err = serr;
            rc = src;
        }
    }
    if (rc) {
        uw__module_destroy(m);
        return rc;
    }
    *out = m;
    return 0;
}

void uw__module_destroy(uw_module *m) {
    if (!m) return;
    for (uint32_t i = 0; i < m->ntypes; i++) umbra_free(m->types[i].types);
    umbra_free(m->types);
    for (uint32_t i = 0; i < m->nimports; i++) {
        umbra_free(m->imports[i].module);
        umbra_free(m->imports[i].name);
    }
    umbra_free(m->imports);
    for (uint32_t i = 0; m->funcs && i < m->nfuncs; i++) umbra_free(m->funcs[i].local_groups);
    umbra_free(m->funcs);
    umbra_free(m->tables);
    umbra_free(m->mems);
    umbra_free(m->globals);
    for (uint32_t i = 0; i < m->nexports; i++) umbra_free(m->exports[i].name);
    umbra_free(m->exports);
    for (uint32_t i = 0; i < m->nelems; i++) umbra_free(m->elems[i].init);
    umbra_free(m->elems);
    umbra_free(m->datas);
    umbra_free(m->func_refs);
    umbra_free(m->func_names);
    umbra_free(m->bytes);
    umbra_free(m);
}
