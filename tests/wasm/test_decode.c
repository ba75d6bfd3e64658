/* tests for src/wasm/decode.c (binary format, Wasm 2.0 §5), the validator's per-function
 * results, and src/wasm/engine.c type interning. The spec suite's malformed/invalid modules
 * are covered by test_validate.c; these tests pin down the details the suite does not
 * see: LEB128 edge cases, the shared instruction decoder, the decoded module layout, error
 * offsets, implementation limits, hostile inputs (truncation, mutation, allocation
 * failure) and thread-safe type interning. */
#include "testutil.h"
#include "umbra/wasm.h"
#include "wasm_internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- helpers ------------------------------------------------------------------------------ */

static void hex_append(umbra_buf *b, const char *hex) {
    size_t n;
    uint8_t *p = tu_hex(hex, &n);
    assert_int_equal(umbra_buf_append(b, p, n), 0);
    free(p);
}

static void leb_append(umbra_buf *b, uint32_t v) {
    do {
        uint8_t c = v & 0x7F;
        v >>= 7;
        if (v) c |= 0x80;
        assert_int_equal(umbra_buf_append_byte(b, c), 0);
    } while (v);
}

/* Appends a section: id, LEB length, content given as hex. */
static void sec(umbra_buf *b, uint8_t id, const char *hex) {
    size_t n;
    uint8_t *p = tu_hex(hex, &n);
    assert_int_equal(umbra_buf_append_byte(b, id), 0);
    leb_append(b, (uint32_t)n);
    assert_int_equal(umbra_buf_append(b, p, n), 0);
    free(p);
}

static void header(umbra_buf *b) {
    umbra_buf_init(b, 0);
    hex_append(b, "0061736d01000000");
}

/* Decodes + validates; returns the code, and the module in *out when out != NULL. */
static int load(uw_engine *e, const uint8_t *bytes, size_t len, uw_module **out, uw_error *err) {
    uint8_t *copy = umbra_malloc(len ? len : 1);
    if (!copy) return UMBRA_ENOMEM;
    if (len) memcpy(copy, bytes, len);
    uw_module *m = NULL;
    int rc = uw__decode(e, copy, len, &m, err);
    if (!rc) rc = uw__validate(m, err);
    if (rc || !out) {
        uw__module_destroy(m);
        m = NULL;
    }
    if (out) *out = m;
    return rc;
}

static uw_engine *engine(void) {
    uw_engine *e;
    assert_int_equal(uw_engine_new(NULL, &e), 0);
    return e;
}

/* The module that most tests use (see build_sample()). */
static void build_sample(umbra_buf *b) {
    header(b);
    sec(b, 1, "02" "600000" "60017f017f");              /* types: []->[], [i32]->[i32] */
    sec(b, 2, "01" "03656e76" "0166" "0001");            /* import env.f: func type 1 */
    sec(b, 3, "02" "00" "01");                           /* funcs 1 (type 0), 2 (type 1) */
    sec(b, 4, "01" "70" "00" "02");                      /* table funcref min 2 */
    sec(b, 5, "01" "01" "01" "02");                      /* memory min 1 max 2 */
    sec(b, 6, "01" "7f01" "412a0b");                     /* global mut i32 = 42 */
    sec(b, 7, "02" "0372756e" "0001" "036d656d" "0200"); /* export run=func 1, mem */
    sec(b, 8, "01");                                     /* start: func 1 */
    sec(b, 9, "01" "00" "41000b" "020102");              /* elem: table 0 @0 = [1, 2] */
    sec(b, 12, "01");                                    /* data count 1 */
    sec(b, 10, "02" "02000b" "0901027e200041016a0b");    /* bodies */
    sec(b, 11, "01" "00" "41080b" "03616263");           /* data: mem 0 @8 = "abc" */
}

/* ---- LEB128 ------------------------------------------------------------------------------- */

static void leb128_u32(void **state) {
    (void)state;
    static const struct {
        const char *hex;
        size_t len;
        uint32_t v;
    } cases[] = {
        {"00", 1, 0},
        {"7f", 1, 127},
        {"8001", 2, 128},
        {"e58e26", 3, 624485},
        {"8000", 2, 0},             /* non-minimal but within 5 bytes: allowed (§5.2.2) */
        {"ffffffff0f", 5, UINT32_MAX},
        {"ffffffff1f", 0, 0},       /* bit 32 set: too large */
        {"ffffffff8f", 0, 0},       /* continuation on 5th byte: too long */
        {"808080808000", 0, 0},     /* 6 bytes */
        {"80", 0, 0},               /* truncated */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n;
        uint8_t *p = tu_hex(cases[i].hex, &n);
        uint32_t v = 0xdeadbeef;
        size_t got = uw__read_u32(p, p + n, &v);
        assert_int_equal(got, cases[i].len);
        if (got) assert_int_equal(v, cases[i].v);
        free(p);
    }
}

static void leb128_signed(void **state) {
    (void)state;
    static const struct {
        const char *hex;
        int bits;
        size_t len;
        int64_t v;
    } cases[] = {
        {"7f", 32, 1, -1},
        {"3f", 32, 1, 63},
        {"40", 32, 1, -64},
        {"ffffffff07", 32, 5, INT32_MAX},
        {"8080808078", 32, 5, INT32_MIN},
        {"ffffffff7f", 32, 5, -1},      /* padded -1: unused bits are sign copies */
        {"ffffffff4f", 32, 0, 0},       /* unused bits disagree with the sign */
        {"8080808008", 32, 0, 0},       /* 2^31: positive overflow */
        {"8080808070", 32, 0, 0},
        {"808080808000", 32, 0, 0},     /* too long */
        {"ffffffffffffffffff00", 64, 10, INT64_MAX},
        {"8080808080808080807f", 64, 10, INT64_MIN},
        {"ffffffffffffffffff01", 64, 0, 0},
        {"ffffffffffffffffff41", 64, 0, 0},
        {"ffffffff0f", 33, 5, (int64_t)UINT32_MAX}, /* s33 block type index range */
        {"ffffffff1f", 33, 0, 0},
        {"40", 33, 1, -64},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n;
        uint8_t *p = tu_hex(cases[i].hex, &n);
        int64_t v = 12345;
        size_t got;
        if (cases[i].bits == 32) {
            int32_t v32 = 0;
            got = uw__read_s32(p, p + n, &v32);
            v = v32;
        } else if (cases[i].bits == 33) {
            got = uw__read_s33(p, p + n, &v);
        } else {
            got = uw__read_s64(p, p + n, &v);
        }
        if (got != cases[i].len) fail_msg("case %zu (%s): length %zu, want %zu", i, cases[i].hex, got, cases[i].len);
        if (got && v != cases[i].v) fail_msg("case %zu (%s): value %lld", i, cases[i].hex, (long long)v);
        free(p);
    }
}

/* ---- Instruction decoder ------------------------------------------------------------------- */

static void instr_decoder(void **state) {
    (void)state;
    static const struct {
        const char *hex;
        size_t len;
        uint32_t op;
        const char *why; /* expected reason when len == 0 */
    } cases[] = {
        {"41ffffffff07", 6, 0x41, NULL},
        {"0e020001020b", 5, 0x0E, NULL},             /* br_table [0 1] 2 */
        {"0e0500", 0, 0, "unexpected end"},          /* 5 labels, 1 byte left */
        {"1c017f", 3, 0x1C, NULL},
        {"1c0105", 0, 0, "malformed value type"},
        {"280210", 3, 0x28, NULL},
        {"284000", 0, 0, "malformed memop flags"},   /* multi-memory bit */
        {"282000", 0, 0, "malformed memop flags"},   /* alignment 2^32 */
        {"4000", 2, 0x40, NULL},
        {"4001", 0, 0, "zero byte expected"},
        {"3f8000", 0, 0, "zero byte expected"},      /* LEB-encoded zero is not the byte 0 */
        {"fc0800", 0, 0, "unexpected end"},
        {"fc080100", 4, UW__OP_FC | 8, NULL},
        {"fc0a0000", 4, UW__OP_FC | 10, NULL},
        {"fc8e0000", 0, 0, "unexpected end"},        /* table.copy (non-minimal 14) needs 2 indices */
        {"fc8e000102", 5, UW__OP_FC | 14, NULL},
        {"fc12", 0, 0, "illegal opcode"},
        {"fd0c", 0, 0, "illegal opcode"},            /* SIMD prefix: not supported */
        {"06", 0, 0, "illegal opcode"},
        {"c5", 0, 0, "illegal opcode"},
        {"c4", 1, 0xC4, NULL},
        {"d06f", 2, 0xD0, NULL},
        {"d07f", 0, 0, "malformed reference type"},
        {"4300008040", 5, 0x43, NULL},
        {"440000", 0, 0, "unexpected end"},
        {"027f", 2, 0x02, NULL},
        {"0280808080800f", 0, 0, NULL},              /* s33 too long */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n;
        uint8_t *p = tu_hex(cases[i].hex, &n);
        uw__instr in;
        const char *why = NULL;
        size_t got = uw__decode_instr(p, p + n, &in, &why);
        if (got != cases[i].len) fail_msg("case %zu (%s): length %zu, want %zu", i, cases[i].hex, got, cases[i].len);
        if (got) assert_int_equal(in.op, cases[i].op);
        if (!got && cases[i].why) assert_string_equal(why, cases[i].why);
        free(p);
    }
    /* Immediates land where the header says. */
    size_t n;
    uint8_t *p = tu_hex("4280808080807f", &n);
    uw__instr in;
    assert_int_equal(uw__decode_instr(p, p + n, &in, NULL), n);
    assert_int_equal((int64_t)in.imm, -((int64_t)1 << 35));
    free(p);
    p = tu_hex("2a0310", &n);
    assert_int_equal(uw__decode_instr(p, p + n, &in, NULL), 3);
    assert_int_equal(in.a, 3);
    assert_int_equal(in.b, 16);
    free(p);
    p = tu_hex("110502", &n);
    assert_int_equal(uw__decode_instr(p, p + n, &in, NULL), 3);
    assert_int_equal(in.a, 5);
    assert_int_equal(in.b, 2);
    free(p);
}

/* ---- Module layout ---------------------------------------------------------------------- */

static void sample_module_layout(void **state) {
    (void)state;
    uw_engine *e = engine();
    umbra_buf b;
    build_sample(&b);
    uw_module *m;
    uw_error err;
    int rc = load(e, b.data, b.len, &m, &err);
    if (rc) fail_msg("sample module: %s @%u", err.message, err.offset);

    assert_int_equal(m->ntypes, 2);
    assert_int_equal(m->types[1].nparams, 1);
    assert_int_equal(m->types[1].nresults, 1);
    assert_int_equal(uw__ft_results(&m->types[1])[0], UW_I32);
    assert_int_not_equal(m->types[0].id, m->types[1].id);

    assert_int_equal(m->nimports, 1);
    assert_string_equal(m->imports[0].module, "env");
    assert_string_equal(m->imports[0].name, "f");
    assert_int_equal(m->imports[0].kind, UW_EXTERN_FUNC);

    assert_int_equal(m->nfuncs, 3);
    assert_int_equal(m->nfunc_imports, 1);
    assert_int_equal(m->funcs[0].type_index, 1);
    assert_int_equal(m->funcs[1].type_index, 0);
    assert_int_equal(m->funcs[2].type_index, 1);
    assert_int_equal(m->funcs[2].nlocals, 2);
    assert_int_equal(m->funcs[2].nlocal_groups, 1);
    assert_int_equal(m->funcs[2].local_groups[0].type, UW_I64);
    /* Body ranges: locals then code, ending with `end`. */
    assert_int_equal(m->bytes[m->funcs[2].code_start], 0x20);
    assert_int_equal(m->bytes[m->funcs[2].body_end - 1], 0x0B);
    assert_int_equal(m->funcs[2].code_start - m->funcs[2].body_start, 3);
    /* Validator results: local.get; i32.const -> 2 operands; one control frame. */
    assert_int_equal(m->funcs[2].max_stack, 2);
    assert_int_equal(m->funcs[2].max_blocks, 1);

    assert_int_equal(m->ntables, 1);
    assert_int_equal(m->tables[0].reftype, UW_FUNCREF);
    assert_int_equal(m->tables[0].lim.min, 2);
    assert_false(m->tables[0].lim.has_max);
    assert_int_equal(m->nmems, 1);
    assert_true(m->mems[0].lim.has_max);
    assert_int_equal(m->mems[0].lim.max, 2);

    assert_int_equal(m->nglobals, 1);
    assert_true(m->globals[0].type.mut);
    assert_int_equal(m->globals[0].init.op, UW__CE_I32);
    assert_int_equal(m->globals[0].init.bits, 42);

    assert_int_equal(m->nexports, 2);
    assert_string_equal(m->exports[0].name, "run");
    assert_int_equal(m->exports[1].kind, UW_EXTERN_MEMORY);
    assert_true(m->has_start);
    assert_int_equal(m->start, 1);

    assert_int_equal(m->nelems, 1);
    assert_int_equal(m->elems[0].mode, UW__SEG_ACTIVE);
    assert_int_equal(m->elems[0].ninit, 2);
    assert_int_equal(m->elems[0].init[1].op, UW__CE_REF_FUNC);
    assert_int_equal(m->elems[0].init[1].index, 2);
    assert_int_equal(m->elems[0].offset.op, UW__CE_I32);

    assert_int_equal(m->ndatas, 1);
    assert_true(m->has_datacount);
    assert_int_equal(m->datas[0].offset.bits, 8);
    assert_int_equal(m->datas[0].len, 3);
    assert_memory_equal(m->bytes + m->datas[0].start, "abc", 3);

    /* C.refs: functions named in the element segment and exports. */
    assert_true(m->func_refs[0] & (1u << 1));
    assert_true(m->func_refs[0] & (1u << 2));
    assert_false(m->func_refs[0] & (1u << 0));

    uw__module_destroy(m);
    umbra_buf_free(&b);
    uw_engine_free(e);
}

/* ---- Errors: class, reason, offset -------------------------------------------------------- */

static void error_offsets(void **state) {
    (void)state;
    uw_engine *e = engine();
    uw_error err;
    umbra_buf b;

    static const uint8_t bad_magic[] = {0x00, 0x61, 0x73, 0x6e, 1, 0, 0, 0};
    assert_int_equal(load(e, bad_magic, sizeof bad_magic, NULL, &err), UMBRA_EWASM_MALFORMED);
    assert_string_equal(err.message, "magic header not detected");
    static const uint8_t bad_version[] = {0x00, 0x61, 0x73, 0x6d, 2, 0, 0, 0};
    assert_int_equal(load(e, bad_version, sizeof bad_version, NULL, &err), UMBRA_EWASM_MALFORMED);
    assert_string_equal(err.message, "unknown binary version");
    assert_int_equal(load(e, bad_version, 0, NULL, &err), UMBRA_EWASM_MALFORMED);

    /* Section out of order: the function section after the code section. */
    header(&b);
    sec(&b, 1, "01600000");
    sec(&b, 10, "00");
    sec(&b, 3, "00");
    assert_int_equal(load(e, b.data, b.len, NULL, &err), UMBRA_EWASM_MALFORMED);
    assert_non_null(strstr(err.message, "unexpected content after last section"));
    assert_int_equal(err.offset, 8 + 6 + 3); /* the section id */
    umbra_buf_free(&b);

    /* A type error points at the offending instruction. */
    header(&b);
    sec(&b, 1, "01600000");
    sec(&b, 3, "0100");
    sec(&b, 10, "01" "05" "00" "41006a" "0b"); /* i32.const 0; i32.add -> underflow */
    assert_int_equal(load(e, b.data, b.len, NULL, &err), UMBRA_EWASM_INVALID);
    assert_non_null(strstr(err.message, "type mismatch"));
    assert_int_equal(b.data[err.offset], 0x6a);
    umbra_buf_free(&b);

    /* Malformed outranks invalid, wherever they are: function 0 is invalid, function 1
     * has an illegal opcode (bodies are syntax-checked only when validation fails). */
    header(&b);
    sec(&b, 1, "01600000");
    sec(&b, 3, "020000");
    sec(&b, 10, "02" "050041006a0b" "0300060b");
    assert_int_equal(load(e, b.data, b.len, NULL, &err), UMBRA_EWASM_MALFORMED);
    assert_string_equal(err.message, "illegal opcode");
    assert_int_equal(b.data[err.offset], 0x06);
    umbra_buf_free(&b);
    /* ... also when the error that stops decoding comes after the code section. */
    header(&b);
    sec(&b, 1, "01600000");
    sec(&b, 3, "0100");
    sec(&b, 10, "01" "0300060b");
    hex_append(&b, "0e00");
    assert_int_equal(load(e, b.data, b.len, NULL, &err), UMBRA_EWASM_MALFORMED);
    assert_string_equal(err.message, "illegal opcode");
    umbra_buf_free(&b);
    /* memory.init with a data section but no data count section (§5.5.16). */
    header(&b);
    sec(&b, 1, "01600000");
    sec(&b, 3, "0100");
    sec(&b, 5, "010001");
    sec(&b, 10, "01" "0c00410041004100fc0800000b");
    sec(&b, 11, "01010100");
    assert_int_equal(load(e, b.data, b.len, NULL, &err), UMBRA_EWASM_MALFORMED);
    assert_string_equal(err.message, "data count section required");
    umbra_buf_free(&b);

    /* Non-UTF-8 export name. */
    header(&b);
    sec(&b, 7, "01" "02c0af" "0000");
    assert_int_equal(load(e, b.data, b.len, NULL, &err), UMBRA_EWASM_MALFORMED);
    assert_string_equal(err.message, "malformed UTF-8 encoding");
    umbra_buf_free(&b);

    /* Implementation limit: more locals than UW__MAX_LOCALS is a limit, not malformed. */
    header(&b);
    sec(&b, 1, "01600000");
    sec(&b, 3, "0100");
    sec(&b, 10, "01" "06" "01" "e0d403" "7f" "0b"); /* 60000 i32 locals */
    assert_int_equal(load(e, b.data, b.len, NULL, &err), UMBRA_EWASM_LIMIT);
    umbra_buf_free(&b);

    /* v128 is reserved for SIMD, which this engine does not implement yet. */
    header(&b);
    sec(&b, 1, "0160017b00");
    assert_int_equal(load(e, b.data, b.len, NULL, &err), UMBRA_EUNSUPPORTED);
    umbra_buf_free(&b);

    /* A huge vector count is rejected before anything is allocated for it. */
    header(&b);
    sec(&b, 1, "ffffffff0f");
    assert_int_equal(load(e, b.data, b.len, NULL, &err), UMBRA_EWASM_MALFORMED);
    assert_string_equal(err.message, "unexpected end of section or function");
    umbra_buf_free(&b);
    uw_engine_free(e);
}

/* ---- Hostile inputs ----------------------------------------------------------------------- */

static void truncation_and_mutation(void **state) {
    (void)state;
    uw_engine *e = engine();
    umbra_buf b;
    build_sample(&b);
    uw_error err;
    /* Every proper prefix is malformed (or, at a section boundary, valid but shorter — the
     * sample's sections are all needed, so a cut at a boundary may still validate). */
    for (size_t n = 0; n < b.len; n++) {
        int rc = load(e, b.data, n, NULL, &err);
        assert_true(rc == UMBRA_EWASM_MALFORMED || rc == UMBRA_EWASM_INVALID || rc == 0);
    }
    assert_int_equal(load(e, b.data, b.len, NULL, &err), 0);
    /* Random byte mutations never crash, and every failure has a class and a message. */
    uint8_t *copy = malloc(b.len);
    assert_non_null(copy);
    srand(12345);
    int rejected = 0;
    for (int iter = 0; iter < 20000; iter++) {
        memcpy(copy, b.data, b.len);
        int flips = 1 + rand() % 3;
        for (int k = 0; k < flips; k++) copy[8 + rand() % (int)(b.len - 8)] = (uint8_t)rand();
        int rc = load(e, copy, b.len, NULL, &err);
        if (rc) {
            rejected++;
            assert_true(rc == UMBRA_EWASM_MALFORMED || rc == UMBRA_EWASM_INVALID || rc == UMBRA_EWASM_LIMIT ||
                        rc == UMBRA_EUNSUPPORTED);
            assert_int_equal(err.code, rc);
            assert_true(err.message[0] != 0);
            assert_true(err.offset <= b.len);
        }
    }
    assert_true(rejected > 10000);
    free(copy);
    umbra_buf_free(&b);
    uw_engine_free(e);
}

static void allocation_failures(void **state) {
    (void)state;
    uw_engine *e = engine();
    umbra_buf b;
    build_sample(&b);
    uw_error err;
    /* Fail the n-th allocation for every n until loading succeeds: each failure must be a
     * clean UMBRA_ENOMEM (ASan checks that nothing leaks). Intern the types first so the
     * engine's own growth is not what fails. */
    assert_int_equal(load(e, b.data, b.len, NULL, &err), 0);
    int rc = UMBRA_ENOMEM;
    unsigned long n;
    for (n = 1; n < 500 && rc == UMBRA_ENOMEM; n++) {
        umbra_alloc_fail_after(n, 0);
        rc = load(e, b.data, b.len, NULL, &err);
        umbra_alloc_fail_after(0, 0);
        if (rc) assert_int_equal(rc, UMBRA_ENOMEM);
    }
    assert_int_equal(rc, 0);
    assert_true(n > 10);
    umbra_buf_free(&b);
    uw_engine_free(e);
}

/* ---- Engine: type interning ---------------------------------------------------------------- */

typedef struct intern_arg {
    uw_engine *e;
    uint32_t ids[200];
} intern_arg;

static void *intern_thread(void *p) {
    intern_arg *a = p;
    for (int i = 0; i < 200; i++) {
        uint8_t params[8];
        uint32_t np = (uint32_t)(i % 8);
        for (uint32_t k = 0; k < np; k++) params[k] = (k + (uint32_t)i) % 2 ? UW_I32 : UW_F64;
        uint8_t res = UW_I64;
        a->ids[i] = uw__engine_intern_type(a->e, params, np, &res, (uint32_t)(i / 8 % 2));
    }
    return NULL;
}

static void type_interning(void **state) {
    (void)state;
    uw_engine *e = engine();
    static const uint8_t i32 = UW_I32, i64 = UW_I64;
    uint32_t a = uw__engine_intern_type(e, &i32, 1, &i64, 1);
    uint32_t b2 = uw__engine_intern_type(e, &i32, 1, &i64, 1);
    uint32_t c = uw__engine_intern_type(e, &i64, 1, &i32, 1);
    uint32_t d = uw__engine_intern_type(e, NULL, 0, &i32, 1);
    uint32_t f = uw__engine_intern_type(e, &i32, 1, NULL, 0);
    assert_int_equal(a, b2);
    assert_int_not_equal(a, c);
    assert_int_not_equal(d, f); /* [] -> [i32] differs from [i32] -> [] */
    const uw__functype *t = uw__engine_type(e, c);
    assert_non_null(t);
    assert_int_equal(t->nparams, 1);
    assert_int_equal(t->types[0], UW_I64);
    assert_null(uw__engine_type(e, 999999));

    /* Concurrent interning from 4 threads agrees on every id. */
    intern_arg args[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        args[i].e = e;
        assert_int_equal(pthread_create(&th[i], NULL, intern_thread, &args[i]), 0);
    }
    for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
    for (int i = 1; i < 4; i++) assert_memory_equal(args[0].ids, args[i].ids, sizeof args[0].ids);

    /* Equal types in two modules get equal ids (call_indirect across modules). */
    umbra_buf b;
    build_sample(&b);
    uw_module *m1, *m2;
    uw_error err;
    assert_int_equal(load(e, b.data, b.len, &m1, &err), 0);
    assert_int_equal(load(e, b.data, b.len, &m2, &err), 0);
    assert_int_equal(m1->types[1].id, m2->types[1].id);
    uw__module_destroy(m1);
    uw__module_destroy(m2);
    umbra_buf_free(&b);

    assert_string_equal(uw_valtype_name(UW_EXTERNREF), "externref");
    assert_string_equal(uw_trap_kind_text(UW_TRAP_DIV_ZERO), "integer divide by zero");
    assert_string_equal(uw_trap_kind_text(UW_TRAP__COUNT), "?");
    uw_engine_free(e);
    uw_engine_free(NULL);
}

static void epoch_ticker(void **state) {
    (void)state;
    uw_engine_config cfg = {.epoch_tick_us = 200};
    uw_engine *e;
    assert_int_equal(uw_engine_new(&cfg, &e), 0);
    uw_engine_config got;
    uw_engine_get_config(e, &got);
    assert_int_equal(got.epoch_tick_us, 200);
    assert_int_equal(got.max_memory_pages, 65536);
    assert_int_equal(uw_engine_epoch(e), 0);
    assert_int_equal(uw__engine_ensure_ticker(e), 0);
    assert_int_equal(uw__engine_ensure_ticker(e), 0); /* idempotent */
    uint64_t start = umbra_now_ns();
    while (uw_engine_epoch(e) < 5 && umbra_now_ns() - start < 5000000000ull) {
        struct timespec ts = {0, 100000};
        nanosleep(&ts, NULL);
    }
    assert_true(uw_engine_epoch(e) >= 5);
    /* The epoch counts whole ticks of wall time since the ticker started, so it can never
     * run ahead of the time that has passed. */
    struct timespec ts = {0, 20000000};
    nanosleep(&ts, NULL);
    uint64_t ticks = uw_engine_epoch(e), elapsed_us = (umbra_now_ns() - start) / 1000;
    assert_true(ticks * 200 <= elapsed_us);
    assert_true(ticks >= 5);
    uw_engine_free(e); /* joins the ticker */
    cfg.max_memory_pages = 65537;
    assert_int_equal(uw_engine_new(&cfg, &e), UMBRA_EINVAL);
    assert_null(e);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(leb128_u32),
        cmocka_unit_test(leb128_signed),
        cmocka_unit_test(instr_decoder),
        cmocka_unit_test(sample_module_layout),
        cmocka_unit_test(error_offsets),
        cmocka_unit_test(truncation_and_mutation),
        cmocka_unit_test(allocation_failures),
        cmocka_unit_test(type_interning),
        cmocka_unit_test(epoch_ticker),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
