/*
 * runtime_internal.h — execution side of the umbra Wasm engine: the compiled code format,
 * the instance layout (memory, tables, globals, functions), traps, limits and the
 * interpreter entry. Never installed. Builds on wasm_internal.h (the decoded module).
 *
 * Design (docs/WASM.md has the long form and the measurements):
 *   - Every validated function body is compiled once per module into "threaded" code: an
 *     array of 64-bit cells, each instruction = one cell holding the handler address
 *     (gcc computed goto) followed by operand cells. Operands are frame slot indices
 *     resolved at compile time: the Wasm operand stack has a static height at every
 *     instruction, so stack entry i lives in slot nlocals + i of the frame and no runtime
 *     stack pointer exists. local.get and constants are folded into their users' operands
 *     (no copy), results are written straight into locals when a local.set follows, i32
 *     compares feeding br_if/if are fused into one compare-and-branch.
 *   - A frame is a window of uint64_t slots on one value stack: locals first (params at
 *     slot 0..), then operand slots. A call places the callee frame over the caller's
 *     argument slots, so calls copy nothing; results land in the same place. Wasm calls
 *     never recurse on the C stack: return addresses live in a bounded frame array.
 *   - One slot is 64 bits; i32/f32 use the low 32 bits (upper bits zero), references are
 *     pointers (0 = null: funcref = uw_func*, externref = the host's pointer). A future
 *     v128 takes two consecutive slots.
 *   - Linear memory is reserved once at its maximum size (PROT_NONE) and committed with
 *     mprotect on growth, so its base never moves; every access is bounds-checked
 *     explicitly against the current byte size.
 */
#ifndef UMBRA_WASM_RUNTIME_INTERNAL_H
#define UMBRA_WASM_RUNTIME_INTERNAL_H

#include "wasm_internal.h"

/* ---- Trap codes: the public uw_trap_kind values plus internal refinements ---------------- */
#define UW__TRAP_UNDEF_ELEM 100 /* call_indirect index >= table size: kind TABLE_OOB,
                                   message "undefined element" (spec test wording) */
/* Maps an internal trap code to its public kind and message. */
int uw__trap_kind(int code);
const char *uw__trap_text(int code);

/* ---- Compiled code ----------------------------------------------------------------------- */
typedef union uw__cell {
    const void *h; /* handler address */
    uint64_t u;
    int64_t i;
} uw__cell;

typedef struct uw__code {
    uw__cell *cells;       /* owned (umbra_malloc) */
    size_t ncells;
    uint32_t nparams, nresults, nlocals; /* nlocals includes params */
    uint32_t frame_slots;  /* locals + max operand height + slack */
} uw__code;

/* Compiles one validated body (the bytes [body_start, body_end) of uw__func: local
 * declarations + expression) of type `type` in module m. On success *out owns its cells.
 * Returns 0, UMBRA_ENOMEM, UMBRA_EWASM_MALFORMED/INVALID on bytes the compiler cannot
 * follow (never for a body the validator accepted), UMBRA_EWASM_LIMIT when the frame
 * would exceed the implementation limit. */
int uw__compile_body(const uw_module *m, const uw__functype *type, const uint8_t *body,
                     size_t len, uw__code *out);
void uw__code_free(uw__code *c);

/* The runtime's per-module data (uw_module.compiled). */
typedef struct uw__modrt {
    uw__code *codes;          /* one per defined function */
    pthread_mutex_t lock;     /* guards zombies */
    uw_instance *zombies;     /* instances whose instantiation failed after segments were
                                 written into imported tables (their functions stay
                                 callable from there, §4.5.4); freed with the module */
} uw__modrt;

/* ---- Runtime objects (the public opaque types) ------------------------------------------ */
struct uw_memory {
    uint8_t *base;             /* reservation start; never moves */
    uint64_t size;             /* accessible bytes = pages * 64 KiB */
    uint32_t pages;
    uint32_t max_pages;        /* effective maximum: declared max and caps */
    uint32_t decl_max;         /* declared maximum, UINT32_MAX = none */
    size_t reserved;           /* bytes reserved (mmap) */
    size_t committed;          /* bytes currently readable/writable */
};

struct uw_table {
    uint64_t *elems;           /* refs: uw_func* for funcref, host pointer for externref */
    uint32_t size, max;        /* max: effective (declared max and caps) */
    uint32_t decl_max;         /* UINT32_MAX = none */
    uint32_t cap;              /* allocated elements */
    uint8_t reftype;
};

struct uw_global {
    uint64_t v;                /* value bits (i32/f32 zero-extended) */
    uint64_t v_hi;             /* reserved for v128 */
    uint8_t type;
    bool mut;
};

/* One entry of the return stack. */
typedef struct uw__frame {
    const uw__cell *ret_pc;
    uint64_t *fp;
    uw_instance *inst;
} uw__frame;

/* Execution context: the value stack and frame array of the thread currently running an
 * instance (nested host -> wasm calls reuse it). */
typedef struct uw__exec {
    uint64_t *stack, *stack_end, *sp_base; /* sp_base: first free slot for a new entry */
    uw__frame *frames;
    uint32_t nframes, depth;
    int64_t fuel;             /* remaining fuel while running */
    uint64_t deadline;        /* epoch value at which execution stops (UINT64_MAX = none) */
    const _Atomic uint64_t *epoch;
    int exit_code;            /* UW_TRAP_EXIT detail */
    int64_t trap_index;       /* element index of UNINIT_ELEM/UNDEF_ELEM traps, -1 = none */
    uintptr_t cstack_base;    /* C frame address of the outermost uw__invoke on this thread */
    char msg[192];            /* host trap message ("" = none) */
} uw__exec;

/* Host call context (uw_call). */
struct uw_call {
    uw_instance *inst;
    uw__exec *ex;
    int trap;                 /* kind recorded by uw_call_trap / _exit / _consume_fuel */
};

typedef struct uw__segstate {
    uint32_t len;             /* current length (0 after drop) */
} uw__segstate;

struct uw_instance {
    uw_module *module;
    uw_engine *engine;
    uw_func **funcs;           /* all functions incl. imports */
    uint32_t nfuncs;
    uw_func *own_funcs;        /* defined functions (index nfunc_imports + i) */
    const uint32_t *type_ids;  /* canonical id of each module type (call_indirect) */
    uw_memory *mem;            /* memory 0 or NULL */
    uw_memory *own_mem;        /* memory 0 when defined here */
    uw_table **tables;
    uw_table *own_tables;      /* defined tables (index ntable_imports + i) */
    uint32_t ntables;
    uw_global **globals;
    uw_global *own_globals;
    uint32_t nglobals;
    uint32_t *data_len;        /* per data segment: current length (0 after data.drop) */
    uint32_t ndata;
    uint64_t **elem;           /* per element segment: resolved refs */
    uint32_t *elem_len;        /* current length (0 after elem.drop) */
    uint32_t nelem;
    uw_extern *imports;        /* resolved imports, kept for reset */
    uw__exec *exec;            /* value stack, allocated at the first call */
    /* limits */
    uint32_t max_pages, max_table, max_depth, max_slots;
    int64_t fuel;              /* remaining fuel */
    bool fuel_enabled;
    uint64_t fuel_initial;
    uint64_t timeout_ns;
    void *host_data;
    uw_instance *next_zombie;
};

/* Data bytes of segment i. */
static inline const uint8_t *uw__data_bytes(const uw_instance *in, uint32_t i) {
    return in->module->bytes + in->module->datas[i].start;
}

/* ---- Memory (memory.c) ------------------------------------------------------------------- */
/* Initializes *m with `pages` pages, effective maximum `max_pages` and declared maximum
 * `decl_max` (UINT32_MAX = none), reserving max_pages so the base never moves. Returns 0,
 * UMBRA_ENOMEM. */
int uw__mem_init(uw_memory *m, uint32_t pages, uint32_t max_pages, uint32_t decl_max);
void uw__mem_destroy(uw_memory *m);
/* memory.grow: returns the old page count or -1 (cap, max, or commit failure). */
int64_t uw__mem_grow(uw_memory *m, uint32_t delta);
/* Back to `pages` pages, all zero (zeroes at most the first `dirty` bytes by memset, the
 * rest by discarding pages). Returns 0 or UMBRA_ENOMEM. */
int uw__mem_reset(uw_memory *m, uint32_t pages, uint64_t dirty);

/* ---- Tables (table.c) -------------------------------------------------------------------- */
int uw__tab_init(uw_table *t, uint8_t reftype, uint32_t size, uint32_t max, uint32_t decl_max);
void uw__tab_destroy(uw_table *t);
/* table.grow: returns the old size or -1. */
int64_t uw__tab_grow(uw_table *t, uint32_t delta, uint64_t init);

/* ---- Interpreter (interp.c) -------------------------------------------------------------- */
/* Handler address table, indexed by enum uw__op (code_ops.h). */
const void *const *uw__op_handlers(void);

/* Calls `f` with args in args[0..nparams) (slot encoding); results are written to
 * results[0..nresults). `inst` is the instance whose limits and fuel apply when this is the
 * outermost call on the thread. Returns 0 or a trap code (never crashes on guest
 * behaviour); exit code / host message are left in inst->exec. */
int uw__invoke(uw_instance *inst, uw_func *f, const uint64_t *args, uint64_t *results);
/* The current thread's execution context while a call runs (NULL otherwise). */
uw__exec *uw__current_exec(void);
void uw__exec_free(uw__exec *ex);

/* Bulk helpers shared by instantiation and the interpreter. Each returns 0 or a trap code,
 * and checks bounds before writing anything (Wasm 2.0 semantics). */
int uw__op_memory_init(uw_instance *in, uint32_t seg, uint64_t d, uint64_t s, uint64_t n);
int uw__op_table_init(uw_instance *in, uint32_t tab, uint32_t seg, uint64_t d, uint64_t s,
                      uint64_t n);

/* Slot <-> uw_val conversion. */
uint64_t uw__val_to_slot(const uw_val *v);
void uw__slot_to_val(uint64_t s, uint8_t type, uw_val *v);

#endif
