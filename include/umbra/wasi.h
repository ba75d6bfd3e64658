/*
 * umbra/wasi.h — WASI preview 1 (`wasi_snapshot_preview1`) for umbra's Wasm engine.
 * Prefix: uw_wasi_ (public). Implementation: src/wasm/wasi.c.
 *
 * Specification: WASI preview 1 as written in the witx files of
 * github.com/WebAssembly/WASI (phases/snapshot/witx/wasi_snapshot_preview1.witx); numeric
 * values and memory layouts there (errno, rights, filestat, fdstat, dirent, subscription,
 * event) are what the guest sees.
 *
 * Model:
 *   - uw_wasi_define() registers every preview-1 function once on an engine (the
 *     engine-level host registry), so instances of that engine can import them without a
 *     per-instance linker.
 *   - Each instance gets its own uw_wasi_ctx (arguments, environment, stdio, preopened
 *     directories, the guest's open files, the exit status). By default the functions find
 *     it as the instance's host data (uw_instance_config.host_data = ctx); an embedder that
 *     needs host data for something else passes a getter to uw_wasi_define().
 *   - Capabilities: the guest reaches the host file system only below directories the
 *     embedder preopened, read-only unless UW_WASI_DIR_WRITE was given. Paths are resolved
 *     by the kernel beneath the preopen (openat2 RESOLVE_BENEATH); absolute paths, ".."
 *     above the preopen and symlinks that lead outside fail with ENOTCAPABLE. Writes in a
 *     read-only preopen fail with EROFS. Unsupported functions (sockets, proc_raise,
 *     links) return ENOSYS / ENOTSUP; they never trap.
 *   - Every guest pointer is checked against the current memory size; a bad pointer
 *     yields EFAULT, never a host fault. Bytes moved by fd_read/fd_write/random_get are
 *     charged as fuel (1 unit per 64 bytes) when the instance has a fuel budget.
 *
 * Threading: a ctx is used by one instance (one thread) at a time.
 */
#ifndef UMBRA_WASI_H
#define UMBRA_WASI_H

#include "umbra/wasm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The import module name of WASI preview 1. */
#define UW_WASI_MODULE "wasi_snapshot_preview1"

typedef struct uw_wasi_ctx uw_wasi_ctx;

/* Returns the ctx for the instance making `call` (NULL if none: every WASI call of that
 * instance then fails with ENOSYS-like errno, proc_exit still exits). */
typedef uw_wasi_ctx *(*uw_wasi_ctx_getter)(uw_call *call);

/* Registers all wasi_snapshot_preview1 functions on engine e. getter may be NULL: the
 * ctx is then uw_call_host_data(call). Call once per engine, before it is shared between
 * threads. Returns 0, UMBRA_ENOMEM, UMBRA_EEXIST (already registered and resolved). */
UMBRA_API int uw_wasi_define(uw_engine *e, uw_wasi_ctx_getter getter);

/* Creates an empty context: no args, no env, no preopens; stdin/stdout/stderr are the
 * host's fds 0/1/2 (not owned, never closed). Returns 0 or UMBRA_ENOMEM. */
UMBRA_API int uw_wasi_ctx_new(uw_wasi_ctx **out);
/* Frees the context and closes every host fd it owns (preopens, files the guest opened).
 * NULL is a no-op. */
UMBRA_API void uw_wasi_ctx_free(uw_wasi_ctx *ctx);

/* Sets argv (argv[0] is the program name the guest sees). Strings are copied. Replaces
 * earlier args. Returns 0, UMBRA_ENOMEM, UMBRA_EINVAL (argc < 0 or a NULL string). */
UMBRA_API int uw_wasi_ctx_set_args(uw_wasi_ctx *ctx, int argc, const char *const *argv);
/* Adds one environment variable. The name must be non-empty and contain no '='; the value
 * is copied. Returns 0, UMBRA_ENOMEM, UMBRA_EINVAL. */
UMBRA_API int uw_wasi_ctx_add_env(uw_wasi_ctx *ctx, const char *name, const char *value);
/* Same, from one "NAME=VALUE" string. */
UMBRA_API int uw_wasi_ctx_add_env_pair(uw_wasi_ctx *ctx, const char *name_eq_value);

/* Sets the host fds behind the guest's fds 0, 1, 2. -1 makes that guest fd closed (EBADF).
 * The fds are borrowed: the ctx never closes them, and guest fd_close only detaches them.
 * Must be called before the guest runs. Returns 0 or UMBRA_EINVAL. */
UMBRA_API int uw_wasi_ctx_set_stdio(uw_wasi_ctx *ctx, int in_fd, int out_fd, int err_fd);

/* Output sink: when set, writes to guest fd 1 and 2 go to fn(fd, data, len, ud) instead of
 * the host fds (for capture in tests, logs in the edge proxy). fn returns the number of
 * bytes accepted (< len stops the write) or a negative value for EIO. */
typedef long (*uw_wasi_write_fn)(int fd, const uint8_t *data, size_t len, void *ud);
UMBRA_API void uw_wasi_ctx_set_output(uw_wasi_ctx *ctx, uw_wasi_write_fn fn, void *ud);

/* Input source for guest fd 0 from memory: (data, len) is copied; reads return it and then
 * end-of-file. Replaces the host stdin fd. Returns 0 or UMBRA_ENOMEM. */
UMBRA_API int uw_wasi_ctx_set_stdin_bytes(uw_wasi_ctx *ctx, const uint8_t *data, size_t len);

/* Preopen flags. */
#define UW_WASI_DIR_READ 0u  /* read-only (the default) */
#define UW_WASI_DIR_WRITE 1u /* create, write, truncate, mkdir, unlink, rename */

/* Grants the guest the host directory `host_path` under the guest name `guest_path`
 * (e.g. "/data" or "."). The directory is opened now (O_DIRECTORY | O_CLOEXEC) and stays
 * open until the ctx is freed. Preopens get guest fds 3, 4, ... in call order. Returns 0,
 * UMBRA_ENOENT / UMBRA_EPERM / UMBRA_EIO (host open failed), UMBRA_EINVAL (empty names,
 * not a directory), UMBRA_ENOMEM, UMBRA_ETOOBIG (too many fds). */
UMBRA_API int uw_wasi_ctx_preopen(uw_wasi_ctx *ctx, const char *host_path, const char *guest_path,
                                  unsigned flags);

/* Bounds blocking: poll_oneoff never sleeps past `mono_ns` (umbra_now_ns() clock; 0 =
 * no bound), nor does a read/write on host stdio wait past it; either traps (UW_TRAP_HOST,
 * "deadline exceeded ...") when it would cross it.
 * The engine's own deadline only interrupts guest code, so an embedder with a timeout
 * sets both. */
UMBRA_API void uw_wasi_ctx_set_deadline(uw_wasi_ctx *ctx, uint64_t mono_ns);

/* Returns the ctx to its state before the guest ran: files the guest opened are closed,
 * preopens and stdio are back on their initial fds, the exit status is cleared, in-memory
 * stdin is rewound. Pair with uw_instance_reset() for a fresh run. */
UMBRA_API void uw_wasi_ctx_reset(uw_wasi_ctx *ctx);

/* If the guest called proc_exit, returns 1 and stores its status in *code; else 0. */
UMBRA_API int uw_wasi_ctx_exited(const uw_wasi_ctx *ctx, int *code);

/* Runs a WASI command: calls the export "_start" of inst (whose WASI calls must use ctx)
 * and turns the outcome into an exit status. Returns 0 with *exit_code set when the program
 * finished (returned from _start: 0, or proc_exit: its status); UMBRA_EWASM_TRAP with *trap
 * filled when it trapped (fuel, deadline and host traps included); UMBRA_EWASM_NOTFOUND if
 * there is no "_start"; UMBRA_EWASM_TYPE if "_start" is not () -> (). */
UMBRA_API int uw_wasi_run(uw_instance *inst, uw_wasi_ctx *ctx, int *exit_code, uw_trap *trap);

#ifdef __cplusplus
}
#endif
#endif
