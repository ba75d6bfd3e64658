/*
 * umbra/wasm.h — umbra's WebAssembly engine: decode → validate → compile → interpret, with
 * sandbox limits (fuel, wall-clock deadlines, memory/table caps, call depth, value stack).
 * Prefix: uw_ (public), uw__ (cross-file internals, src/wasm/wasm_internal.h).
 *
 * Level: WebAssembly 2.0 (https://www.w3.org/TR/wasm-core-2/) without SIMD: MVP,
 * sign-extension ops, non-trapping float-to-int, multi-value, bulk memory, reference types,
 * mutable-global import/export, multiple tables. Values and types already carry v128 so
 * SIMD can be added without an API change.
 *
 * Object model and lifetimes (what must outlive what):
 *
 *   uw_engine   configuration, the engine-wide host function registry, the epoch ticker
 *               used for deadlines. Outlives every module, linker and instance made with it.
 *   uw_module   a decoded, validated and compiled module. Immutable once created: one
 *               module may be instantiated concurrently from many threads. Outlives its
 *               instances. It keeps its own copy of the bytes.
 *   uw_linker   a name → extern map used to resolve imports (module name + field name).
 *               Mutable, not thread-safe while being defined; uw_instance_new() only reads
 *               it. It does NOT own what it refers to: every instance, memory, table,
 *               global and host function defined in it must outlive the instances that
 *               import them. The linker itself may be freed right after instantiation.
 *   uw_instance a module instance: its memories, tables, globals, function objects. Used
 *               by one thread at a time. Exported externs (uw_extern) and funcrefs it hands
 *               out stay valid until uw_instance_free(); uw_instance_reset() keeps them
 *               valid (same objects, fresh contents).
 *   uw_memory / uw_table / uw_global created by the host with uw_*_new(): owned by the
 *               caller, freed with uw_*_free() after every instance importing them is
 *               freed. Those exported by an instance belong to the instance (never free).
 *   uw_func     function objects: owned by their instance, or by the engine for host
 *               functions registered on the engine / linker-defined host functions (owned
 *               by the linker's engine, freed with the engine).
 *
 * Errors: functions return 0 or a negative UMBRA_E* code (umbra/base.h). Detail comes
 * through a uw_error (load time) or a uw_trap (link/run time) out-parameter, which may be
 * NULL when the caller does not want it. Library code never prints.
 */
#ifndef UMBRA_WASM_H
#define UMBRA_WASM_H

#include <stdbool.h>
#include "umbra/base.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Types and values ------------------------------------------------------------------- */

/* Value types. The numbers are the binary encodings (Wasm 2.0 §5.3.1–5.3.3). */
typedef enum uw_valtype {
    UW_I32 = 0x7F,
    UW_I64 = 0x7E,
    UW_F32 = 0x7D,
    UW_F64 = 0x7C,
    UW_V128 = 0x7B,
    UW_FUNCREF = 0x70,
    UW_EXTERNREF = 0x6F,
} uw_valtype;

/* Returns "i32", "funcref", ...; "?" for an unknown code. */
UMBRA_API const char *uw_valtype_name(int type);

typedef struct uw_engine uw_engine;
typedef struct uw_module uw_module;
typedef struct uw_linker uw_linker;
typedef struct uw_instance uw_instance;
typedef struct uw_func uw_func;
typedef struct uw_memory uw_memory;
typedef struct uw_table uw_table;
typedef struct uw_global uw_global;
typedef struct uw_call uw_call;

/* A value crossing the API. `type` is a uw_valtype. Floats can be read/written either as
 * C floats or as exact bit patterns (NaN payloads are preserved through the bit views).
 * A funcref is a uw_func* (NULL = ref.null func); an externref is an opaque host pointer
 * that the engine never dereferences (NULL = ref.null extern). */
typedef struct uw_val {
    uint8_t type;
    union {
        int32_t i32;
        int64_t i64;
        uint32_t u32;
        uint64_t u64;
        float f32;
        double f64;
        uint32_t f32_bits;
        uint64_t f64_bits;
        uw_func *funcref;
        void *externref;
        uint8_t v128[16];
    } of;
} uw_val;

/* Value constructors (convenience). */
static inline uw_val uw_val_i32(int32_t v) { uw_val x = {.type = UW_I32}; x.of.i32 = v; return x; }
static inline uw_val uw_val_i64(int64_t v) { uw_val x = {.type = UW_I64}; x.of.i64 = v; return x; }
static inline uw_val uw_val_f32(float v) { uw_val x = {.type = UW_F32}; x.of.f32 = v; return x; }
static inline uw_val uw_val_f64(double v) { uw_val x = {.type = UW_F64}; x.of.f64 = v; return x; }
static inline uw_val uw_val_funcref(uw_func *f) { uw_val x = {.type = UW_FUNCREF}; x.of.funcref = f; return x; }
static inline uw_val uw_val_externref(void *p) { uw_val x = {.type = UW_EXTERNREF}; x.of.externref = p; return x; }

/* A function signature. The arrays are borrowed: a uw_functype filled in by the engine
 * points into engine/module storage valid as long as that object. */
typedef struct uw_functype {
    const uint8_t *params;  /* uw_valtype codes */
    uint32_t nparams;
    const uint8_t *results; /* uw_valtype codes */
    uint32_t nresults;
} uw_functype;

/* Extern kinds; the numbers are the binary import/export descriptor tags (§5.5.5). */
typedef enum uw_extern_kind {
    UW_EXTERN_FUNC = 0,
    UW_EXTERN_TABLE = 1,
    UW_EXTERN_MEMORY = 2,
    UW_EXTERN_GLOBAL = 3,
} uw_extern_kind;

/* A reference to an importable/exportable object (§4.2.11 external values). Small, passed
 * by value; it does not own the object. */
typedef struct uw_extern {
    uint8_t kind; /* uw_extern_kind */
    union {
        uw_func *func;
        uw_table *table;
        uw_memory *memory;
        uw_global *global;
    } of;
} uw_extern;

/* ---- Diagnostics ---------------------------------------------------------------------------- */

/* Load-time error detail (uw_module_new). code: UMBRA_EWASM_MALFORMED (binary format, §5),
 * UMBRA_EWASM_INVALID (validation, §3), UMBRA_ENOMEM, UMBRA_EWASM_LIMIT (an implementation
 * limit such as more than 50,000 locals in a function), UMBRA_EUNSUPPORTED (v128 values,
 * i.e. SIMD, which this engine does not implement yet). offset is the byte offset in the module where the
 * problem was found. message is NUL-terminated and, where the spec test suite names a
 * reason ("unexpected end", "type mismatch", ...), starts with that text. */
typedef struct uw_error {
    int code;
    uint32_t offset;
    char message[192];
} uw_error;

/* Trap and link failure kinds. uw_trap_kind_text() returns the spec test suite's wording
 * ("integer divide by zero", ...) which uw_trap.message starts with. */
#define UW_TRAP_KIND_MAP(X)                                                             \
    X(NONE, "no trap")                                                                  \
    X(UNREACHABLE, "unreachable")                                                       \
    X(MEMORY_OOB, "out of bounds memory access")                                        \
    X(TABLE_OOB, "out of bounds table access")                                          \
    X(DIV_ZERO, "integer divide by zero")                                               \
    X(INT_OVERFLOW, "integer overflow")                                                 \
    X(INVALID_CONVERSION, "invalid conversion to integer")                              \
    X(INDIRECT_TYPE, "indirect call type mismatch")                                     \
    X(NULL_REF, "null reference")                                                       \
    X(UNINIT_ELEM, "uninitialized element")                                             \
    X(STACK_EXHAUSTED, "call stack exhausted")                                          \
    X(OUT_OF_FUEL, "out of fuel")                                                       \
    X(DEADLINE, "deadline exceeded")                                                    \
    X(HOST, "host function trapped")                                                    \
    X(EXIT, "program exited")                                                           \
    X(LINK, "link error")                                                               \
    X(LIMIT, "resource limit exceeded")                                                 \
    X(NOMEM, "out of memory")

typedef enum uw_trap_kind {
#define UW_X_TRAP(name, text) UW_TRAP_##name,
    UW_TRAP_KIND_MAP(UW_X_TRAP)
#undef UW_X_TRAP
    UW_TRAP__COUNT
} uw_trap_kind;

/* Returns the static text for a trap kind ("?" if unknown). */
UMBRA_API const char *uw_trap_kind_text(int kind);

/* Run-time failure detail. kind is a uw_trap_kind. For UW_TRAP_EXIT, exit_code is the
 * guest's proc_exit status. func_index/code_offset locate the trapping instruction when
 * known (UINT32_MAX otherwise; code_offset is a byte offset in the module). LINK: an
 * import was missing or did not match (message names module.field; "unknown import" or
 * "incompatible import type"). LIMIT: instantiation exceeded a memory/table cap. */
typedef struct uw_trap {
    int kind;
    int exit_code;
    uint32_t func_index;
    uint32_t code_offset;
    char message[192];
} uw_trap;

/* ---- Engine ----------------------------------------------------------------------------------- */

/* Engine-wide defaults; each instance may lower (never raise) them via uw_instance_config.
 * 0 in any field means "use the built-in default" (shown in brackets). */
typedef struct uw_engine_config {
    uint32_t max_memory_pages;  /* per memory, 64 KiB pages [65536 = 4 GiB] */
    uint32_t max_table_elems;   /* per table [10,000,000] */
    uint32_t max_call_depth;    /* wasm frames per call [10,000] */
    uint32_t max_stack_slots;   /* value-stack slots (locals + operands) [1,048,576] */
    uint32_t epoch_tick_us;     /* deadline granularity: ticker period in µs [1000] */
} uw_engine_config;

/* Creates an engine. cfg may be NULL for all defaults. The ticker thread (one per engine)
 * starts lazily on the first call that has a deadline and stops in uw_engine_free().
 * Returns 0, UMBRA_ENOMEM, UMBRA_EINVAL. *out is NULL on failure. */
UMBRA_API int uw_engine_new(const uw_engine_config *cfg, uw_engine **out);
/* Frees the engine and its host function registry. Every module/linker/instance made with
 * it must already be freed. NULL is a no-op. */
UMBRA_API void uw_engine_free(uw_engine *e);
/* The effective configuration (defaults filled in). */
UMBRA_API void uw_engine_get_config(const uw_engine *e, uw_engine_config *out);
/* Current epoch (ticks since the ticker started). */
UMBRA_API uint64_t uw_engine_epoch(const uw_engine *e);

/* ---- Host functions ------------------------------------------------------------------------- */

/* A host function. args has type->nparams values, results has room for type->nresults
 * values whose `type` fields are preset; the callback fills `of`. Return 0 on success, or
 * the value of uw_call_trap() / uw_call_exit() to stop the guest. The callback may call
 * back into the same instance (re-entrancy counts toward the call-depth limit). */
typedef int (*uw_host_fn)(uw_call *call, const uw_val *args, uw_val *results, void *ud);

/* Registers a host function on the engine under (module, field): every linker of this
 * engine falls back to this registry, so host APIs (WASI, edge host API) are built once
 * per engine, not per instance. The type arrays and the names are copied. Registering
 * before the engine is shared between threads is required (the registry is read without
 * locks). A second definition of the same (module, field) fails with UMBRA_EEXIST.
 * Returns 0, UMBRA_ENOMEM, UMBRA_EINVAL, UMBRA_EEXIST. */
UMBRA_API int uw_engine_define_func(uw_engine *e, const char *module, const char *field,
                                    const uw_functype *type, uw_host_fn fn, void *ud);
/* Creates a stand-alone host function object owned by the engine (freed with it). Useful
 * for linker definitions and funcref values. Returns 0, UMBRA_ENOMEM, UMBRA_EINVAL. */
UMBRA_API int uw_func_new_host(uw_engine *e, const uw_functype *type, uw_host_fn fn, void *ud,
                               uw_func **out);

/* ---- The call context a host function receives (valid only during the callback) --------- */

/* The instance whose code called the host function. */
UMBRA_API uw_instance *uw_call_instance(uw_call *call);
/* The caller instance's memory 0 (NULL if it has none). base/size are valid until the
 * guest runs again (memory.grow may move it). */
UMBRA_API uw_memory *uw_call_memory(uw_call *call);
/* The caller instance's host data (uw_instance_config.host_data). */
UMBRA_API void *uw_call_host_data(uw_call *call);
/* Records a UW_TRAP_HOST trap with a printf-style message and returns the code the host
 * function must return (UMBRA_EWASM_TRAP). */
UMBRA_API int uw_call_trap(uw_call *call, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Requests that the guest stop with UW_TRAP_EXIT and exit code `code` (WASI proc_exit);
 * returns the code the host function must return (UMBRA_EWASM_EXIT). */
UMBRA_API int uw_call_exit(uw_call *call, int code);
/* Charges `amount` units of fuel to the caller (host work proportional to guest input).
 * Returns 0, or UMBRA_EWASM_TRAP after recording UW_TRAP_OUT_OF_FUEL (return it). */
UMBRA_API int uw_call_consume_fuel(uw_call *call, uint64_t amount);

/* ---- Modules ---------------------------------------------------------------------------------- */

/* Decodes (§5), validates (§3) and compiles a module from (bytes, len). The bytes are
 * copied; the caller may free them afterwards. The module is immutable and may be shared
 * by threads. A malformed module is always reported as malformed, even if it is also
 * invalid. On failure returns UMBRA_EWASM_MALFORMED / UMBRA_EWASM_INVALID /
 * UMBRA_EWASM_LIMIT / UMBRA_EUNSUPPORTED / UMBRA_ENOMEM / UMBRA_EINVAL (e == NULL),
 * fills *err (if err) and sets *out = NULL. Memory use is linear in len. */
UMBRA_API int uw_module_new(uw_engine *e, const uint8_t *bytes, size_t len, uw_module **out,
                            uw_error *err);
/* Frees a module. All its instances must already be freed. NULL is a no-op. */
UMBRA_API void uw_module_free(uw_module *m);

/* Import/export descriptions. Names point into the module (valid for its lifetime), are
 * NUL-terminated, and may contain NUL bytes (use the _len). */
typedef struct uw_import_info {
    const char *module;
    size_t module_len;
    const char *name;
    size_t name_len;
    uint8_t kind; /* uw_extern_kind */
} uw_import_info;
typedef struct uw_export_info {
    const char *name;
    size_t name_len;
    uint8_t kind; /* uw_extern_kind */
    uint32_t index; /* in the module's index space of that kind */
} uw_export_info;
/* Counts, and the i-th import/export in module order (0 or UMBRA_ERANGE when i >= count). */
UMBRA_API uint32_t uw_module_import_count(const uw_module *m);
UMBRA_API int uw_module_import(const uw_module *m, uint32_t i, uw_import_info *out);
UMBRA_API uint32_t uw_module_export_count(const uw_module *m);
UMBRA_API int uw_module_export(const uw_module *m, uint32_t i, uw_export_info *out);
/* The signature of function `index` (imports first, §2.5.1 index spaces). UMBRA_ERANGE if
 * out of range. */
UMBRA_API int uw_module_func_type(const uw_module *m, uint32_t index, uw_functype *out);

/* The debug name of function `index` from the module's "name" custom section (for trap
 * reports: uw_trap.func_index). *name points into the module (valid for its lifetime) and
 * is NOT NUL-terminated: use *len. Returns 0 or UMBRA_ENOENT (no name; a malformed name
 * section is ignored, as custom sections never make a module invalid). */
UMBRA_API int uw_module_func_name(const uw_module *m, uint32_t index, const char **name, size_t *len);

/* ---- Linker ----------------------------------------------------------------------------------- */

/* Creates an empty linker for engine e. Returns 0 or UMBRA_ENOMEM. */
UMBRA_API int uw_linker_new(uw_engine *e, uw_linker **out);
/* Frees the linker (not the objects it refers to). NULL is a no-op. */
UMBRA_API void uw_linker_free(uw_linker *l);
/* Defines (module, field) → extern. Returns 0, UMBRA_ENOMEM, UMBRA_EINVAL, UMBRA_EEXIST
 * (already defined in this linker). */
UMBRA_API int uw_linker_define(uw_linker *l, const char *module, const char *field, uw_extern ext);
/* Shorthand: a host function (engine-owned object created on the fly). */
UMBRA_API int uw_linker_define_func(uw_linker *l, const char *module, const char *field,
                                    const uw_functype *type, uw_host_fn fn, void *ud);
/* Makes every export of `inst` importable as (name, export name) — the spec's `register`
 * (wast scripts). inst must outlive instances linked against it (or be re-registered
 * away before it is freed). It shadows field definitions made earlier under the same
 * module name; re-registering a name replaces the previous instance entirely. */
UMBRA_API int uw_linker_define_instance(uw_linker *l, const char *name, uw_instance *inst);
/* Looks up (module, field) in the linker, then the engine registry. Returns 0 or
 * UMBRA_ENOENT. */
UMBRA_API int uw_linker_get(const uw_linker *l, const char *module, size_t module_len,
                            const char *field, size_t field_len, uw_extern *out);

/* ---- Instances ------------------------------------------------------------------------------ */

/* Per-instance settings. 0 = engine default / unlimited as noted. Limits can only lower the
 * engine's caps. */
typedef struct uw_instance_config {
    uint64_t fuel;              /* instruction budget; 0 = unlimited. Consumed across calls
                                   until uw_instance_set_fuel() or reset refills it. */
    uint64_t timeout_ns;        /* wall-clock budget for each entry from the host (each
                                   uw_*_call and the start function); 0 = none. */
    uint32_t max_memory_pages;  /* 0 = engine default */
    uint32_t max_table_elems;   /* 0 = engine default */
    uint32_t max_call_depth;    /* 0 = engine default */
    uint32_t max_stack_slots;   /* 0 = engine default */
    void *host_data;            /* returned by uw_call_host_data() / uw_instance_host_data() */
} uw_instance_config;

/* Instantiates m (§4.5.4): resolves imports through l (may be NULL when m has none), checks
 * import types, allocates memories/tables/globals within the caps, initializes active
 * element and data segments, then runs the start function. cfg may be NULL.
 * Returns 0; UMBRA_EWASM_LINK (missing/mismatched import, trap->kind UW_TRAP_LINK);
 * UMBRA_EWASM_LIMIT (a cap; UW_TRAP_LIMIT); UMBRA_EWASM_TRAP (a segment was out of bounds
 * or start trapped; *trap says which); UMBRA_EWASM_EXIT; UMBRA_ENOMEM. On failure *out is
 * NULL — except that, as the spec requires, tables and memories imported from elsewhere
 * keep the segment writes done before a trap. */
UMBRA_API int uw_instance_new(uw_module *m, const uw_linker *l, const uw_instance_config *cfg,
                              uw_instance **out, uw_trap *trap);
/* Returns the instance to the state right after uw_instance_new (memories and tables
 * re-sized and re-initialized, globals re-evaluated, fuel refilled, start function run
 * again) without re-resolving imports, in far less time than a new instance. Imported
 * memories/tables/globals are not reset (they belong to someone else). Returns 0 or the
 * codes of uw_instance_new. On failure the instance is unusable except for free. */
UMBRA_API int uw_instance_reset(uw_instance *inst, uw_trap *trap);
/* Frees an instance. NULL is a no-op. */
UMBRA_API void uw_instance_free(uw_instance *inst);

UMBRA_API uw_module *uw_instance_module(const uw_instance *inst);
UMBRA_API void *uw_instance_host_data(const uw_instance *inst);
/* Finds export `name` (name_len bytes). Returns 0 or UMBRA_EWASM_NOTFOUND. */
UMBRA_API int uw_instance_export(const uw_instance *inst, const char *name, size_t name_len,
                                 uw_extern *out);
/* Memory 0 of the instance (imported or own), or NULL. */
UMBRA_API uw_memory *uw_instance_memory(const uw_instance *inst);

/* Calls exported function `name` with nargs args (types must match exactly, else
 * UMBRA_EWASM_TYPE) and writes nresults results (must equal the function's result count).
 * Returns 0, UMBRA_EWASM_NOTFOUND, UMBRA_EWASM_TYPE, UMBRA_EWASM_TRAP (*trap filled),
 * UMBRA_EWASM_EXIT (trap->exit_code). After a trap the instance stays usable (its state
 * is whatever the guest left), unless the trap was EXIT. */
UMBRA_API int uw_instance_call(uw_instance *inst, const char *name, const uw_val *args, size_t nargs,
                               uw_val *results, size_t nresults, uw_trap *trap);
/* Same for any function object (export, table element, host function). A function of
 * another instance runs with that instance's limits. */
UMBRA_API int uw_func_call(uw_func *f, const uw_val *args, size_t nargs, uw_val *results,
                           size_t nresults, uw_trap *trap);
/* The signature of a function object (valid as long as the function). */
UMBRA_API void uw_func_type(const uw_func *f, uw_functype *out);

/* Reads exported global `name`. Returns 0 or UMBRA_EWASM_NOTFOUND. */
UMBRA_API int uw_instance_get_global(const uw_instance *inst, const char *name, uw_val *out);
/* Remaining fuel (UINT64_MAX when unlimited). */
UMBRA_API uint64_t uw_instance_fuel(const uw_instance *inst);
/* Sets the remaining fuel (0 = unlimited) and the budget uw_instance_reset() refills to. */
UMBRA_API void uw_instance_set_fuel(uw_instance *inst, uint64_t fuel);
/* Sets the per-call wall-clock budget (0 = none). */
UMBRA_API void uw_instance_set_timeout(uw_instance *inst, uint64_t timeout_ns);

/* ---- Memories, tables, globals ----------------------------------------------------------- */

/* Host-created objects (for imports, e.g. the spec's `spectest` module). max = UINT32_MAX
 * means "no maximum". Owned by the caller; free after every importing instance. */
UMBRA_API int uw_memory_new(uw_engine *e, uint32_t min_pages, uint32_t max_pages, uw_memory **out);
UMBRA_API void uw_memory_free(uw_memory *m);
/* Base pointer and size in bytes; valid until the memory grows. */
UMBRA_API uint8_t *uw_memory_data(uw_memory *m, size_t *size);
UMBRA_API uint32_t uw_memory_pages(const uw_memory *m);
/* Grows by delta pages; *old_pages gets the previous size. UMBRA_EWASM_LIMIT if over the
 * max or cap, UMBRA_ENOMEM. */
UMBRA_API int uw_memory_grow(uw_memory *m, uint32_t delta, uint32_t *old_pages);

UMBRA_API int uw_table_new(uw_engine *e, uint8_t reftype, uint32_t min, uint32_t max, uw_val init,
                           uw_table **out);
UMBRA_API void uw_table_free(uw_table *t);
UMBRA_API uint32_t uw_table_size(const uw_table *t);
/* Element access; UMBRA_ERANGE when out of bounds, UMBRA_EWASM_TYPE on a wrong ref type. */
UMBRA_API int uw_table_get(const uw_table *t, uint32_t i, uw_val *out);
UMBRA_API int uw_table_set(uw_table *t, uint32_t i, uw_val v);

UMBRA_API int uw_global_new(uw_engine *e, uw_val init, bool mutable_, uw_global **out);
UMBRA_API void uw_global_free(uw_global *g);
UMBRA_API void uw_global_get(const uw_global *g, uw_val *out);
/* UMBRA_EWASM_TYPE if the type differs, UMBRA_EPERM if the global is immutable. */
UMBRA_API int uw_global_set(uw_global *g, uw_val v);

#ifdef __cplusplus
}
#endif
#endif
