/*
 * wasm_internal.h — the decoded module representation shared by every file of src/wasm/,
 * plus the hooks between the front end (decode/validate/link, owned by the engine lead)
 * and the runtime (compile/interp/instance/memory, runtime_internal.h). Never installed.
 *
 * Who implements what:
 *   decode.c    uw__decode()                      bytes → uw_module (§5 binary format)
 *   validate.c  uw__validate()                    §3 validation + appendix algorithm
 *   module.c    uw_module_new/free, uw_module_* introspection (incl. function names)
 *   engine.c    uw_engine_*, uw_func_new_host, epoch ticker, type interning
 *   linker.c    uw_linker_*, uw_engine_define_func (host registry), uw__resolve_imports()
 *               (§4.5.4 import matching)
 *   runtime     uw__compile(), uw__compile_free(), struct uw_instance/uw_memory/uw_table/
 *               uw_global, uw__memory_type(), uw__table_type(), uw__global_type(), and the
 *               instance / call / uw_call_* / memory / table / global public functions.
 */
#ifndef UMBRA_WASM_INTERNAL_H
#define UMBRA_WASM_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "umbra/base.h"
#include "umbra/wasm.h"

#define UW__PAGE_SIZE 65536u
#define UW__MAX_PAGES 65536u       /* 32-bit memories: 4 GiB (§2.5.5 / §4.2.8) */

/* Implementation limits (reported as UMBRA_EWASM_LIMIT / "too many ..."). Chosen like other
 * engines (V8 uses similar numbers); every spec-suite module fits. */
#define UW__MAX_TYPES 1000000u
#define UW__MAX_FUNCS 1000000u
#define UW__MAX_IMPORTS 100000u
#define UW__MAX_EXPORTS 100000u
#define UW__MAX_GLOBALS 1000000u
#define UW__MAX_TABLES 100000u
#define UW__MAX_SEGMENTS 100000u
#define UW__MAX_PARAMS 1000u
#define UW__MAX_RESULTS 1000u
#define UW__MAX_LOCALS 50000u      /* params + declared locals per function */
#define UW__MAX_BLOCK_DEPTH 100000u
#define UW__MAX_ELEM_INIT 10000000u
#define UW__MAX_BR_TABLE 1000000u

/* ---- Module representation ------------------------------------------------------------- */

/* Function type: types[0..nparams) are the params, types[nparams..nparams+nresults) the
 * results (uw_valtype codes). `id` is the engine-wide canonical id of the structural type
 * (two functypes are equal iff their ids are equal), used for call_indirect checks and
 * import matching across modules. */
typedef struct uw__functype {
    uint32_t nparams, nresults;
    uint8_t *types;
    uint32_t id;
} uw__functype;

static inline const uint8_t *uw__ft_params(const uw__functype *t) { return t->types; }
static inline const uint8_t *uw__ft_results(const uw__functype *t) { return t->types + t->nparams; }

/* Limits (§2.3.4). For memories min/max are in pages; for tables in elements. */
typedef struct uw__limits {
    uint32_t min;
    uint32_t max;    /* valid when has_max */
    bool has_max;
} uw__limits;

typedef struct uw__tabletype {
    uint8_t reftype; /* UW_FUNCREF / UW_EXTERNREF */
    uw__limits lim;
} uw__tabletype;

typedef struct uw__memtype {
    uw__limits lim;
} uw__memtype;

typedef struct uw__globaltype {
    uint8_t type;    /* uw_valtype */
    bool mut;
} uw__globaltype;

/* A constant expression (§3.3.10): in Wasm 2.0 exactly one of these instructions, then
 * `end`. */
enum uw__ce_op {
    UW__CE_I32 = 0x41,
    UW__CE_I64 = 0x42,
    UW__CE_F32 = 0x43,
    UW__CE_F64 = 0x44,
    UW__CE_GLOBAL_GET = 0x23,
    UW__CE_REF_NULL = 0xD0,
    UW__CE_REF_FUNC = 0xD2,
};
enum uw__ce_bad { UW__CE_OK = 0, UW__CE_NONCONST = 1, UW__CE_ARITY = 2 };
typedef struct uw__constexpr {
    uint8_t op;      /* uw__ce_op; 0 when `bad` (the decoder records, the validator rejects) */
    uint8_t bad;     /* uw__ce_bad: a non-constant instruction / not exactly one value */
    uint8_t type;    /* the result type (ref.null: its reftype) */
    uint32_t index;  /* global.get / ref.func index */
    uint64_t bits;   /* i32/i64 value (i32 zero-extended), f32/f64 bit pattern */
} uw__constexpr;

typedef struct uw__import {
    char *module;    /* NUL-terminated copy; may contain NULs, use module_len */
    uint32_t module_len;
    char *name;
    uint32_t name_len;
    uint8_t kind;    /* uw_extern_kind */
    uint32_t index;  /* index in the kind's index space (imports come first) */
    union {
        uint32_t type_index;     /* func: index into module->types */
        uw__tabletype table;
        uw__memtype mem;
        uw__globaltype global;
    } desc;
} uw__import;

/* Compressed locals: `count` locals of type `type`. */
typedef struct uw__localgroup {
    uint32_t count;
    uint8_t type;
} uw__localgroup;

/* A function in the index space. Imported ones (index < nfunc_imports) only have
 * type_index. For defined ones, the code bytes live in module->bytes:
 *   [body_start, body_end)  the whole function body (locals + expr, §5.5.13)
 *   [code_start, body_end)  the instruction sequence, ending with the final `end` (0x0B).
 * Filled by the validator: max_stack (max operand-stack height, in values) and
 * max_blocks (max control-stack depth incl. the function block). */
typedef struct uw__func {
    uint32_t type_index;
    uint32_t nlocals;            /* declared locals, excluding params */
    uint32_t nlocal_groups;
    uw__localgroup *local_groups;
    uint32_t body_start, code_start, body_end;
    uint32_t max_stack;
    uint32_t max_blocks;
    void *compiled;              /* runtime's per-function code (uw__compile) */
} uw__func;

typedef struct uw__global {
    uw__globaltype type;
    uw__constexpr init;          /* defined globals only */
} uw__global;

typedef struct uw__export {
    char *name;                  /* NUL-terminated copy; may contain NULs */
    uint32_t name_len;
    uint8_t kind;                /* uw_extern_kind */
    uint32_t index;
} uw__export;

enum uw__segmode { UW__SEG_ACTIVE = 0, UW__SEG_PASSIVE = 1, UW__SEG_DECLARATIVE = 2 };

/* Element segment (§2.5.8 / §5.5.12). Every initializer is a const expr (func-index forms
 * are stored as ref.func). */
typedef struct uw__elem {
    uint8_t mode;                /* uw__segmode */
    uint8_t reftype;
    uint32_t table;              /* active only */
    uw__constexpr offset;        /* active only */
    uint32_t ninit;
    uw__constexpr *init;
} uw__elem;

/* Data segment (§2.5.9 / §5.5.14): bytes are module->bytes[start, start+len). */
typedef struct uw__data {
    uint8_t mode;                /* UW__SEG_ACTIVE / UW__SEG_PASSIVE */
    uint32_t memory;
    uw__constexpr offset;
    uint32_t start, len;
} uw__data;

struct uw_module {
    uw_engine *engine;
    uint8_t *bytes;              /* owned copy of the binary */
    size_t len;

    uint32_t ntypes;
    uw__functype *types;

    uint32_t nimports;
    uw__import *imports;

    /* Index spaces: imported entries first (§2.5.1). */
    uint32_t nfuncs, nfunc_imports;
    uw__func *funcs;
    uint32_t ntables, ntable_imports;
    uw__tabletype *tables;
    uint32_t nmems, nmem_imports;
    uw__memtype *mems;
    uint32_t nglobals, nglobal_imports;
    uw__global *globals;

    uint32_t nexports;
    uw__export *exports;

    bool has_start;
    uint32_t start;

    uint32_t nelems;
    uw__elem *elems;

    uint32_t ndatas;
    uw__data *datas;
    bool has_datacount;
    uint32_t datacount;
    bool has_data_section;
    uint32_t code_sec_end;       /* end offset of the code section */

    /* C.refs (§3.4.10): bitmap of function indices that may appear in ref.func inside
     * function bodies (referenced outside function bodies: elems, globals, exports). */
    uint8_t *func_refs;

    /* Function names from the "name" custom section (subsection 1), sorted by index; the
     * names are module->bytes[start, start+len). Best effort: a malformed name section
     * is ignored, as custom sections do not affect validity (Wasm 2.0 §7.4.1). */
    struct uw__funcname {
        uint32_t index, start, len;
    } *func_names;
    uint32_t nfunc_names;

    void *compiled;              /* runtime's per-module data (uw__compile) */
};

/* ---- Front end ----------------------------------------------------------------------------- */

/* Formats an error into err (if non-NULL); returns code. */
int uw__error(uw_error *err, int code, size_t offset, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Decodes bytes into a freshly allocated module (module takes ownership of `bytes`, which
 * must have been allocated with umbra_malloc, also on failure). Returns 0,
 * UMBRA_EWASM_MALFORMED, UMBRA_EWASM_LIMIT or UMBRA_ENOMEM; *out NULL on failure. */
int uw__decode(uw_engine *e, uint8_t *bytes, size_t len, uw_module **out, uw_error *err);
/* Validates a decoded module (§3). Fills uw__func.max_stack/max_blocks. Returns 0,
 * UMBRA_EWASM_INVALID, UMBRA_EWASM_MALFORMED (the decoder leaves function bodies to the
 * validator, which reads them once; when validation fails, uw__scan_code runs so that a
 * malformed body anywhere is reported in preference to an invalid one), UMBRA_EWASM_LIMIT,
 * UMBRA_EUNSUPPORTED, UMBRA_ENOMEM. */
int uw__validate(uw_module *m, uw_error *err);
/* The syntax pass over every function body (§5.4 grammar, block nesting, §5.5.16 data
 * count rule). Returns 0 or UMBRA_EWASM_MALFORMED / UMBRA_EWASM_LIMIT with err filled. */
int uw__scan_code(const uw_module *m, uw_error *err);
/* Frees a module's decoded parts (not compiled data). */
void uw__module_destroy(uw_module *m);

/* Reads the LEB128 immediates of instructions; shared by validator and compiler so both
 * agree on the encoding. All return the number of bytes consumed, or 0 when malformed /
 * truncated (§5.2.2: at most ceil(N/7) bytes, unused bits of the last byte must be the
 * sign extension / zero). */
size_t uw__read_u32(const uint8_t *p, const uint8_t *end, uint32_t *out);
size_t uw__read_s32(const uint8_t *p, const uint8_t *end, int32_t *out);
size_t uw__read_s33(const uint8_t *p, const uint8_t *end, int64_t *out);
size_t uw__read_s64(const uint8_t *p, const uint8_t *end, int64_t *out);

/* Blocktype (§5.4.1): returns bytes consumed, 0 if malformed. Sets exactly one of: *empty,
 * *valtype (single result), *type_index (s33 >= 0). */
typedef struct uw__blocktype {
    uint8_t kind;                /* 0 empty, 1 single value type, 2 type index */
    uint8_t valtype;
    uint32_t type_index;
} uw__blocktype;
size_t uw__read_blocktype(const uint8_t *p, const uint8_t *end, uw__blocktype *out);

/* One decoded instruction (§5.4). Shared by the decoder's syntax pass, the validator and
 * the compiler, so all agree on the encoding. `op` is the opcode byte, or for the 0xFC
 * prefix UW__OP_FC | subopcode. Immediates:
 *   block/loop/if: bt;  br/br_if: a = label;  br_table: a = number of labels excluding
 *   the default, labels = first label LEB (read a+1 u32s with uw__read_u32);
 *   call: a = func;  call_indirect: a = type, b = table;  local.*: a;  global.*: a;
 *   table.get/set, table.grow/size/fill: a = table;  loads/stores: a = align exponent,
 *   b = offset;  i32/i64.const: imm (sign-extended to 64 bits);  f32/f64.const: imm bits;
 *   select t: a = number of types, b = the first type;  ref.null: a = reftype;
 *   ref.func: a = func;  memory.init: a = data;  data.drop: a = data;  table.init:
 *   a = elem, b = table;  elem.drop: a = elem;  table.copy: a = dst table, b = src table. */
#define UW__OP_FC 0xFC00u
typedef struct uw__instr {
    uint32_t op;
    uint32_t a, b;
    uint64_t imm;
    uw__blocktype bt;
    const uint8_t *labels;
} uw__instr;
/* Decodes the instruction at p (p < end). Returns its length, or 0 when malformed; then
 * *why (if non-NULL) is the spec test suite's reason ("illegal opcode", "zero byte
 * expected", "integer too large", "malformed memop flags", "unexpected end", ...). */
size_t uw__decode_instr(const uint8_t *p, const uint8_t *end, uw__instr *out, const char **why);

/* ---- Engine ------------------------------------------------------------------------------ */

/* A host function registered on the engine. */
typedef struct uw__hostdef {
    char *module;
    char *field;
    uint32_t mlen, flen;
    uint32_t hash;               /* uw__name_hash(module, field) */
    uw_func *func;
} uw__hostdef;

struct uw_engine {
    uw_engine_config cfg;

    pthread_mutex_t lock;        /* type interning, host object list, ticker start */

    /* Canonical function types (interned; index = id). Each entry is its own allocation,
     * so pointers to them stay valid while the array grows. */
    uw__functype **ctypes;
    uint32_t nctypes, cap_ctypes;
    uint32_t *ctype_hash;        /* open addressing: id + 1, 0 = empty */
    uint32_t ctype_cap;

    /* Host functions registered with uw_engine_define_func (lookup by name). */
    uw__hostdef *hostdefs;
    uint32_t nhostdefs, cap_hostdefs;
    uint32_t *hostdef_hash;      /* open addressing: index + 1, 0 = empty */
    uint32_t hostdef_hcap;

    /* Every host uw_func this engine owns (freed with the engine). */
    uw_func **hostfuncs;
    uint32_t nhostfuncs, cap_hostfuncs;

    /* Epoch ticker for deadlines: `epoch` is the number of whole cfg.epoch_tick_us periods
     * of monotonic time since the ticker started (never runs ahead of wall time). */
    _Atomic uint64_t epoch;
    _Atomic int ticker_stop;
    bool ticker_running;
    pthread_t ticker;
};

/* Interns a function type and returns its canonical id (UINT32_MAX on ENOMEM).
 * Thread-safe. */
uint32_t uw__engine_intern_type(uw_engine *e, const uint8_t *params, uint32_t nparams,
                                const uint8_t *results, uint32_t nresults);
/* The canonical type for an id; the pointer stays valid until uw_engine_free. Thread-safe. */
const uw__functype *uw__engine_type(uw_engine *e, uint32_t id);
/* FNV-1a over module, a separator and field: the key of the name → extern hash tables. */
uint32_t uw__name_hash(const char *module, size_t mlen, const char *field, size_t flen);
/* The host function registered on the engine as (module, field), or NULL. */
uw_func *uw__engine_find_host(const uw_engine *e, const char *module, size_t mlen, const char *field,
                              size_t flen);
/* Starts the epoch ticker if it is not running. Thread-safe. Returns 0 or UMBRA_E*. */
int uw__engine_ensure_ticker(uw_engine *e);

/* ---- Function objects ------------------------------------------------------------------- */

/* A function object. Wasm functions belong to an instance (inst != NULL, index = function
 * index in inst's module); host functions have inst == NULL and host != NULL. The runtime
 * may append fields (e.g. a direct pointer to compiled code). */
struct uw_func {
    uint32_t type_id;            /* canonical type id (uw__engine_intern_type) */
    const uw__functype *type;    /* for host funcs: owned copy in `host_type` */
    uw_instance *inst;
    uint32_t index;
    uw_host_fn host;
    void *host_ud;
    uw__functype host_type;
    void *rt;                    /* runtime's per-function data */
};

/* ---- Runtime hooks (implemented by the runtime files) ---------------------------------- */

/* Compiles every defined function of a validated module (m->funcs[i].compiled,
 * m->compiled). Called once by uw_module_new. Returns 0 or UMBRA_E* (err filled). */
int uw__compile(uw_module *m, uw_error *err);
/* Frees what uw__compile allocated. Must accept a module where compile failed midway. */
void uw__compile_free(uw_module *m);

/* Current type of host/instance objects, for import matching (§4.5.4 step 4 and §3.5
 * "import subtyping": limits compare the object's current size as min and its declared
 * max). */
void uw__memory_type(const uw_memory *m, uw__memtype *out);
void uw__table_type(const uw_table *t, uw__tabletype *out);
void uw__global_type(const uw_global *g, uw__globaltype *out);

/* ---- Linker ------------------------------------------------------------------------------- */

/* Resolves every import of m through l (may be NULL: then only the engine registry of
 * m->engine is consulted) and the engine registry, checking
 * kinds and types (§4.5.4 step 4, §3.5 import subtyping). out has m->nimports entries.
 * Returns 0 or UMBRA_EWASM_LINK with trap filled (kind UW_TRAP_LINK, message
 * "unknown import: mod.field" or "incompatible import type: mod.field"). */
int uw__resolve_imports(const uw_linker *l, const uw_module *m, uw_extern *out, uw_trap *trap);

#endif
