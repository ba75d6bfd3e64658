/* fuzz_wasm_code.c — libFuzzer target aimed at umbra's validator (§3.3 instructions),
 * compiler and interpreter. The input is one function body (locals + expression; a final
 * `end` byte is appended) placed in a fixed, valid module that gives the code something to
 * use: a memory with a passive data segment (plus data count, so memory.init/data.drop
 * validate), a funcref table holding two functions, mutable globals, a second function to
 * call directly or through the table. Unlike fuzz_wasm_module, almost every input gets past
 * the module header, so the fuzzer spends its time inside function bodies. Bodies that
 * validate are run twice (zero and non-trivial arguments) under a small fuel budget.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "umbra/wasm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_BODY 16384

typedef struct out {
    uint8_t *p;
    size_t n;
} out;

static void put(out *o, const void *p, size_t n) {
    memcpy(o->p + o->n, p, n);
    o->n += n;
}
static void put_u8(out *o, uint8_t b) { o->p[o->n++] = b; }
static void put_uleb(out *o, uint32_t v) { /* §5.2.2 */
    do {
        uint8_t c = v & 0x7f;
        v >>= 7;
        put_u8(o, (uint8_t)(c | (v ? 0x80 : 0)));
    } while (v);
}
static void put_section(out *o, uint8_t id, const uint8_t *body, size_t n) {
    put_u8(o, id);
    put_uleb(o, (uint32_t)n);
    put(o, body, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* Fixed sections (Wasm 2.0 §5.5). Type 0: (i32 i64 f32 f64) -> i32; type 1: i32 -> i32. */
    static const uint8_t hdr[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
    static const uint8_t types[] = {0x02, 0x60, 0x04, 0x7f, 0x7e, 0x7d, 0x7c, 0x01, 0x7f,
                                    0x60, 0x01, 0x7f, 0x01, 0x7f};
    static const uint8_t funcs[] = {0x02, 0x00, 0x01};
    static const uint8_t tables[] = {0x01, 0x70, 0x01, 0x04, 0x08};     /* funcref 4..8 */
    static const uint8_t mems[] = {0x01, 0x01, 0x01, 0x02};             /* 1..2 pages */
    static const uint8_t globals[] = {0x02, 0x7f, 0x01, 0x41, 0x00, 0x0b, /* mut i32 = 0 */
                                      0x7c, 0x01, 0x44, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0x0b}; /* mut f64 = 1.0 */
    static const uint8_t exports[] = {0x01, 0x01, 'f', 0x00, 0x00};
    static const uint8_t elems[] = {0x01, 0x00, 0x41, 0x00, 0x0b, 0x02, 0x01, 0x00}; /* [f1, f0] at 0 */
    static const uint8_t datacount[] = {0x01};
    static const uint8_t datas[] = {0x01, 0x01, 0x05, 'h', 'e', 'l', 'l', 'o'};  /* passive */
    static const uint8_t f1[] = {0x04, 0x00, 0x20, 0x00, 0x0b};                 /* local.get 0 */

    if (size > MAX_BODY) return 0;
    size_t cap = 256 + 2 * size;
    out o = {malloc(cap), 0};
    if (!o.p) return 0;
    put(&o, hdr, sizeof hdr);
    put_section(&o, 1, types, sizeof types);
    put_section(&o, 3, funcs, sizeof funcs);
    put_section(&o, 4, tables, sizeof tables);
    put_section(&o, 5, mems, sizeof mems);
    put_section(&o, 6, globals, sizeof globals);
    put_section(&o, 7, exports, sizeof exports);
    put_section(&o, 9, elems, sizeof elems);
    put_section(&o, 12, datacount, sizeof datacount);
    /* Code section: 2 bodies; the first is the input + `end`. */
    uint8_t len0[5];
    out l0 = {len0, 0};
    put_uleb(&l0, (uint32_t)size + 1);
    put_u8(&o, 10);
    put_uleb(&o, (uint32_t)(1 + l0.n + size + 1 + sizeof f1));
    put_u8(&o, 0x02);
    put(&o, len0, l0.n);
    put(&o, data, size);
    put_u8(&o, 0x0b);
    put(&o, f1, sizeof f1);
    put_section(&o, 11, datas, sizeof datas);

    uw_engine_config ecfg = {.max_memory_pages = 2, .max_table_elems = 64, .max_call_depth = 100,
                             .max_stack_slots = 65536};
    uw_engine *e = NULL;
    uw_module *m = NULL;
    uw_instance *inst = NULL;
    uw_error err;
    uw_trap trap;
    if (uw_engine_new(&ecfg, &e)) goto done;
    if (uw_module_new(e, o.p, o.n, &m, &err)) goto done;
    uw_instance_config cfg = {.fuel = 20000};
    if (uw_instance_new(m, NULL, &cfg, &inst, &trap)) goto done;
    uw_val args[4] = {uw_val_i32(0), uw_val_i64(0), uw_val_f32(0), uw_val_f64(0)}, res;
    (void)uw_instance_call(inst, "f", args, 4, &res, 1, &trap);
    args[0] = uw_val_i32(-1);
    args[1] = uw_val_i64(INT64_MIN);
    args[2] = uw_val_f32(NAN);
    args[3] = uw_val_f64(-0.0);
    uw_instance_set_fuel(inst, 20000);
    (void)uw_instance_call(inst, "f", args, 4, &res, 1, &trap);
done:
    uw_instance_free(inst);
    uw_module_free(m);
    uw_engine_free(e);
    free(o.p);
    return 0;
}
