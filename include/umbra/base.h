/*
 * umbra/base.h — error codes, allocation hook, byte buffers, encodings, files, clocks,
 * logging. Prefix: umbra_ (public), umbra__ (cross-file internals).
 *
 * Conventions used by every umbra header:
 *   - functions return int: 0 on success, a negative UMBRA_E* code on failure;
 *   - buffers travel as (ptr, len); fixed sizes are written into the parameter type;
 *   - on failure, out-parameters are set to NULL / 0;
 *   - library code never prints (except through umbra_log, which the CLI configures)
 *     and never exits.
 */
#ifndef UMBRA_BASE_H
#define UMBRA_BASE_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(UMBRA_BUILDING_LIBRARY)
#define UMBRA_API __attribute__((visibility("default")))
#else
#define UMBRA_API
#endif

/* ---- Error codes: the one table. X(NAME, value, "message") ------------------------------
 * Add new codes at the end of their group; values are stable once released. */
#define UMBRA_ERRNO_MAP(X)                                                           \
    X(OK, 0, "success")                                                              \
    X(NOMEM, -1, "out of memory")                                                    \
    X(INVAL, -2, "invalid argument")                                                 \
    X(RANGE, -3, "value out of range")                                               \
    X(IO, -4, "input/output error")                                                  \
    X(NOENT, -5, "no such file or directory")                                        \
    X(EXIST, -6, "already exists")                                                   \
    X(PERM, -7, "permission denied")                                                 \
    X(AGAIN, -8, "try again")                                                        \
    X(TIMEDOUT, -9, "timed out")                                                     \
    X(TRUNCATED, -10, "input truncated")                                             \
    X(MALFORMED, -11, "malformed input")                                             \
    X(TOOBIG, -12, "input too large")                                                \
    X(UNSUPPORTED, -13, "unsupported")                                               \
    X(STATE, -14, "operation not valid in this state")                               \
    X(CLOSED, -15, "closed")                                                         \
    X(NOSPACE, -16, "buffer too small")                                              \
    X(CORRUPT, -17, "corrupt data")                                                  \
    X(JSON, -18, "invalid JSON")                                                     \
    X(INTERNAL, -19, "internal error")                                               \
    /* crypto */                                                                     \
    X(CRYPTO, -100, "cryptographic operation failed")                                \
    X(AUTH, -101, "authentication failed")                                           \
    X(BADSIG, -102, "signature verification failed")                                 \
    X(BADKEY, -103, "invalid key")                                                   \
    X(WEAKKEY, -104, "weak or low-order key")                                        \
    X(RANDOM, -105, "random number generator failed")                                \
    /* wasm */                                                                       \
    X(WASM_MALFORMED, -200, "malformed WebAssembly module")                          \
    X(WASM_INVALID, -201, "invalid WebAssembly module")                              \
    X(WASM_LINK, -202, "WebAssembly link error")                                     \
    X(WASM_TRAP, -203, "WebAssembly trap")                                           \
    X(WASM_EXIT, -204, "WebAssembly program exited")                                 \
    X(WASM_NOTFOUND, -205, "WebAssembly export not found")                           \
    X(WASM_TYPE, -206, "WebAssembly type mismatch")                                  \
    X(WASM_LIMIT, -207, "WebAssembly resource limit exceeded")                       \
    /* session */                                                                    \
    X(PROTO, -300, "protocol violation")                                             \
    X(VERSION, -301, "unsupported protocol version")                                 \
    X(REPLAY, -302, "replayed packet")                                               \
    X(PEER_KEY, -303, "peer key does not match the pinned key")                      \
    X(HANDSHAKE, -304, "handshake failed")                                           \
    X(FLOW, -305, "flow control limit exceeded")                                     \
    X(REKEY, -306, "rekey required or failed")                                       \
    X(UNREACHABLE, -307, "peer unreachable")                                         \
    X(RESET, -308, "connection reset by peer")

enum umbra_err {
#define UMBRA_X_ENUM(name, value, msg) UMBRA_E##name = (value),
    UMBRA_ERRNO_MAP(UMBRA_X_ENUM)
#undef UMBRA_X_ENUM
};

/* Returns a static, never-NULL message for an umbra error code (unknown codes included). */
UMBRA_API const char *umbra_strerror(int code);
/* Returns the symbolic name ("UMBRA_EINVAL") of a code, or "UMBRA_E?" when unknown. */
UMBRA_API const char *umbra_errname(int code);
/* Maps an errno value to the closest umbra code (UMBRA_EIO when nothing is closer). */
UMBRA_API int umbra_from_errno(int err);

/* ---- Allocation hook ---------------------------------------------------------------------
 * All heap allocation in umbra goes through these. umbra_replace_allocator() must be called
 * before any other umbra function (or while no umbra allocation is live). */
typedef void *(*umbra_malloc_fn)(size_t);
typedef void *(*umbra_realloc_fn)(void *, size_t);
typedef void *(*umbra_calloc_fn)(size_t, size_t);
typedef void (*umbra_free_fn)(void *);
/* Installs the four hooks (all or none: UMBRA_EINVAL when any is NULL). Not thread-safe. */
UMBRA_API int umbra_replace_allocator(umbra_malloc_fn m, umbra_realloc_fn r, umbra_calloc_fn c,
                                      umbra_free_fn f);
/* The C library contracts, through the hooks: NULL on failure (including an injected one
 * and a count * size overflow in umbra_calloc), a zero size still gives a unique pointer
 * that umbra_free() accepts, umbra_realloc() leaves p valid when it fails, and
 * umbra_free(NULL) is a no-op. */
UMBRA_API void *umbra_malloc(size_t n);
UMBRA_API void *umbra_calloc(size_t count, size_t size);
UMBRA_API void *umbra_realloc(void *p, size_t n);
UMBRA_API void umbra_free(void *p);
/* Copy of s (NULL for s == NULL or out of memory); free with umbra_free(). */
UMBRA_API char *umbra_strdup(const char *s);
/* Failure injection for tests: the Nth allocation from now (1 = the next one) and, if
 * `sticky`, every later one fails. n = 0 disables. Thread-local. */
UMBRA_API void umbra_alloc_fail_after(unsigned long n, int sticky);
/* Number of allocations that umbra_alloc_fail_after made fail so far (thread-local). */
UMBRA_API unsigned long umbra_alloc_failures(void);

/* ---- Logging -----------------------------------------------------------------------------
 * Library code logs only through this; the default sink writes "umbra: level: msg" lines to
 * stderr for levels >= the threshold (default WARN; env UMBRA_LOG=debug|info|warn|error). */
enum umbra_log_level { UMBRA_LOG_DEBUG = 0, UMBRA_LOG_INFO, UMBRA_LOG_WARN, UMBRA_LOG_ERROR, UMBRA_LOG_OFF };
/* A sink receives the formatted message (at most 1023 bytes, no newline). Set it at startup
 * (before threads log); NULL restores the default stderr sink, which replaces control
 * characters with '?' so quoted input cannot inject terminal escapes. */
typedef void (*umbra_log_sink)(int level, const char *msg, void *ud);
/* Sets the threshold (UMBRA_LOG_*; UMBRA_LOG_OFF silences everything); any thread. */
UMBRA_API void umbra_log_set_level(int level);
/* The current threshold (read from UMBRA_LOG on first use). */
UMBRA_API int umbra_log_get_level(void);
/* Routes messages to sink(level, msg, ud) instead of stderr (NULL: back to stderr). */
UMBRA_API void umbra_log_set_sink(umbra_log_sink sink, void *ud);
/* Formats and emits one message when level >= the threshold (longer ones are truncated to
 * 1023 bytes). Never fails. */
UMBRA_API void umbra_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define umbra_debug(...) umbra_log(UMBRA_LOG_DEBUG, __VA_ARGS__)
#define umbra_info(...) umbra_log(UMBRA_LOG_INFO, __VA_ARGS__)
#define umbra_warn(...) umbra_log(UMBRA_LOG_WARN, __VA_ARGS__)
#define umbra_error(...) umbra_log(UMBRA_LOG_ERROR, __VA_ARGS__)

/* ---- Clocks ------------------------------------------------------------------------------ */
/* Monotonic time in nanoseconds (CLOCK_MONOTONIC); never goes backwards. */
UMBRA_API uint64_t umbra_now_ns(void);
/* Wall-clock time in nanoseconds since the Unix epoch (CLOCK_REALTIME). */
UMBRA_API uint64_t umbra_wall_ns(void);

/* ---- Byte buffers ------------------------------------------------------------------------
 * A growable buffer. Layout is public so it can live on the stack; do not touch fields
 * except to read data/len (and to set `secret` right after init). Start with
 * umbra_buf_init() (or a zeroed struct); umbra_buf_free() releases storage (and wipes it if
 * `secret`), after which the buffer is empty and reusable. Whenever data != NULL, data[len]
 * is a NUL byte (not counted in len), so text buffers are C strings. Growth past `max`
 * fails with UMBRA_ETOOBIG, allocation failure with UMBRA_ENOMEM; a failed call leaves the
 * contents unchanged. A secret buffer wipes every storage it gives up (growth copies
 * instead of realloc), and consume/reset wipe the bytes they drop. */
typedef struct umbra_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
    size_t max;   /* hard cap on len (0 = SIZE_MAX/2); growth past it fails with UMBRA_ETOOBIG */
    int secret;   /* wipe on realloc/free */
} umbra_buf;
/* Sets *b to an empty buffer whose length may grow up to `max` bytes (0 = no cap). */
UMBRA_API void umbra_buf_init(umbra_buf *b, size_t max);
/* Makes room for `extra` more bytes (and the NUL) without changing the contents. 0,
 * UMBRA_ETOOBIG (len + extra > max), UMBRA_ENOMEM. */
UMBRA_API int umbra_buf_reserve(umbra_buf *b, size_t extra);
/* Appends n bytes of p (which may point into b itself). 0, UMBRA_EINVAL (p NULL, n > 0),
 * UMBRA_ETOOBIG, UMBRA_ENOMEM; on failure b is unchanged. */
UMBRA_API int umbra_buf_append(umbra_buf *b, const void *p, size_t n);
/* Appends one byte; as umbra_buf_append(). */
UMBRA_API int umbra_buf_append_byte(umbra_buf *b, uint8_t c);
/* Appends printf-formatted text (without its NUL; data[len] stays NUL). 0, UMBRA_EINVAL
 * (formatting error), UMBRA_ETOOBIG, UMBRA_ENOMEM; on failure b is unchanged. */
UMBRA_API int umbra_buf_printf(umbra_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Drops the first n bytes (n <= len). */
UMBRA_API void umbra_buf_consume(umbra_buf *b, size_t n);
/* Releases storage beyond `keep` capacity if cap is larger (used after big frames). */
UMBRA_API void umbra_buf_shrink(umbra_buf *b, size_t keep);
/* Empties the buffer but keeps its storage (wiped first if secret). */
UMBRA_API void umbra_buf_reset(umbra_buf *b);
/* Releases the storage (wiped first if secret); b stays usable, empty. NULL is a no-op. */
UMBRA_API void umbra_buf_free(umbra_buf *b);
/* Hands the storage to the caller (free with umbra_free(), after umbra_wipe() if secret) and
 * leaves the buffer empty. *n (if n) gets the length; the data is NUL-terminated. An empty
 * buffer yields a fresh 1-byte "" allocation. Returns NULL only when that allocation fails. */
UMBRA_API uint8_t *umbra_buf_detach(umbra_buf *b, size_t *n);

/* ---- Encodings ---------------------------------------------------------------------------
 * Encoders write a NUL-terminated string into (out, out_cap) and return its length (>= 0),
 * or UMBRA_ENOSPACE (out NULL or too small; nothing written). Decoders write up to out_cap
 * bytes, return the decoded length, or UMBRA_EMALFORMED / UMBRA_ENOSPACE (checked before
 * anything is written). Both return UMBRA_EINVAL for in == NULL with n > 0 and
 * UMBRA_ETOOBIG when a result would exceed INT32_MAX. The *_len helpers give exact output
 * sizes (encoders: without the NUL; SIZE_MAX when that overflows). The hex, base32 and
 * base64 decoders map characters to values without branching on them, so they may carry
 * secrets; base58's big-number conversion is not constant time (it wipes its scratch, but
 * is meant for public data such as peer ids). */
UMBRA_API size_t umbra_hex_len(size_t n);
UMBRA_API int umbra_hex_encode(char *out, size_t out_cap, const uint8_t *in, size_t n);
UMBRA_API int umbra_hex_decode(uint8_t *out, size_t out_cap, const char *in, size_t n);
/* RFC 4648 base32, lower-case alphabet, no padding (as multibase 'b'); the decoder accepts
 * upper case too, rejects padding, impossible lengths and non-zero trailing bits. The hex
 * decoder likewise accepts both cases and rejects odd lengths. */
UMBRA_API size_t umbra_base32_len(size_t n);
UMBRA_API int umbra_base32_encode(char *out, size_t out_cap, const uint8_t *in, size_t n);
UMBRA_API int umbra_base32_decode(uint8_t *out, size_t out_cap, const char *in, size_t n);
/* base58btc (Bitcoin alphabet); leading zero bytes map to '1'. The encoder takes up to
 * 1 KiB of input and the decoder up to 2438 characters, else UMBRA_ETOOBIG (the conversion
 * is quadratic). Decoding is exact: encode(decode(s)) == s for every accepted s. */
UMBRA_API int umbra_base58_encode(char *out, size_t out_cap, const uint8_t *in, size_t n);
UMBRA_API int umbra_base58_decode(uint8_t *out, size_t out_cap, const char *in, size_t n);
/* RFC 4648 base64: url = 0 standard alphabet with '=' padding; url = 1 URL-safe, no padding.
 * The decoder is strict (canonical padding/trailing bits, no whitespace). */
UMBRA_API size_t umbra_base64_len(size_t n, int url);
UMBRA_API int umbra_base64_encode(char *out, size_t out_cap, const uint8_t *in, size_t n, int url);
UMBRA_API int umbra_base64_decode(uint8_t *out, size_t out_cap, const char *in, size_t n, int url);
/* Unsigned varint (multiformats unsigned-varint: LEB128, at most 9 bytes, minimal). Encode
 * returns bytes written (1..9), UMBRA_ERANGE for v >= 2^63 (not representable in 9 bytes)
 * or UMBRA_ENOSPACE (out NULL or too small); decode returns bytes consumed (trailing input is left alone), or
 * UMBRA_ETRUNCATED (input ends inside the varint) / UMBRA_EMALFORMED (non-minimal, > 63
 * bits). UMBRA_UVARINT_MAX is the longest encoding. */
#define UMBRA_UVARINT_MAX 9
UMBRA_API int umbra_uvarint_encode(uint8_t *out, size_t out_cap, uint64_t v);
UMBRA_API int umbra_uvarint_decode(const uint8_t *in, size_t n, uint64_t *v);

/* ---- Files --------------------------------------------------------------------------------
 * Errors of these: UMBRA_EINVAL (NULL / empty path, NULL data with n > 0, a directory
 * where a file is expected), and errno mapped by umbra_from_errno() (UMBRA_ENOENT,
 * UMBRA_EPERM, UMBRA_ENOSPACE for a full disk or file-size limit, UMBRA_ETOOBIG for a name
 * too long, UMBRA_EIO, ...). A path too long for the temp name ("<path>.tmp-XXXXXX" within
 * PATH_MAX) is UMBRA_ENOSPACE. */
/* Writes (data, n) to `path` atomically: temp file in the same directory, created 0600 and
 * only then given `mode` (exactly, umask aside), write, fsync, rename over `path`, fsync of
 * the directory. Either the old or the new content is visible afterwards, never a mix, and
 * no temp file is left behind on failure. */
UMBRA_API int umbra_file_write_atomic(const char *path, const void *data, size_t n, unsigned mode);
/* Like umbra_file_write_atomic() but never replaces an existing file: the complete temp file
 * is link()ed into place, so of two racing creators exactly one wins and the other gets
 * UMBRA_EEXIST (and readers never see a partial file). Used for keys created on first use. */
UMBRA_API int umbra_file_create_atomic(const char *path, const void *data, size_t n, unsigned mode);
/* Reads a whole file (at most `max` bytes, else UMBRA_ETOOBIG) into a new buffer that the
 * caller frees with umbra_free(). NUL-terminates the data (not counted in *n). Works for
 * files whose size stat cannot tell (/proc, pipes). On failure *data is NULL and *n 0;
 * UMBRA_ENOMEM when the buffer cannot be allocated. */
UMBRA_API int umbra_file_read(const char *path, size_t max, uint8_t **data, size_t *n);
/* mkdir -p with `mode` (minus the umask) for the directories it creates; existing ones
 * are left as they are. UMBRA_EINVAL (NULL, empty or longer than PATH_MAX), UMBRA_EEXIST
 * (path exists but is not a directory), errno codes from mkdir(). */
UMBRA_API int umbra_mkdirs(const char *path, unsigned mode);

/* ---- Secrets ------------------------------------------------------------------------------ */
/* Wipes n bytes in a way the compiler cannot elide. */
UMBRA_API void umbra_wipe(void *p, size_t n);
/* Constant-time comparison: 0 when equal, -1 otherwise. */
UMBRA_API int umbra_ct_equal(const void *a, const void *b, size_t n);

/* ---- JSON (helpers over jansson) -----------------------------------------------------------
 * A thin layer so every subsystem parses and writes JSON the same way: bounded input,
 * duplicate object keys rejected, errors as "line L, column C: reason" text for humans,
 * output into a umbra_buf. Values are plain jansson `json_t` (include <jansson.h> to use
 * them; release with json_decref()). jansson's allocations are routed through
 * umbra_malloc/umbra_free (installed at program start-up in every program that links these
 * helpers), so umbra_alloc_fail_after() reaches them too. `err` (may be NULL) receives a NUL-terminated
 * message on failure and "" on success. */
struct json_t;
#define UMBRA_JSON_ERR_LEN 256
/* Default cap for umbra_json_load_file() when max == 0. */
#define UMBRA_JSON_DEFAULT_MAX (16u << 20)
/* Parses (data, n), which must hold exactly one JSON value (object, array or scalar).
 * On success *out is a new reference. Errors: UMBRA_EJSON (syntax, duplicate key, bad
 * UTF-8, NUL byte), UMBRA_ETOOBIG (n > SIZE_MAX/2), UMBRA_ENOMEM. */
UMBRA_API int umbra_json_loadb(const void *data, size_t n, struct json_t **out, char *err, size_t errcap);
/* Reads `path` (at most `max` bytes; 0 = UMBRA_JSON_DEFAULT_MAX) and parses it. The error
 * message names the file: "<path>: line 3, column 7: ...". Errors: those of
 * umbra_file_read() (UMBRA_ENOENT, UMBRA_ETOOBIG, ...) and of umbra_json_loadb(). */
UMBRA_API int umbra_json_load_file(const char *path, size_t max, struct json_t **out, char *err,
                                   size_t errcap);
/* Appends the serialization of `j` to `out` (jansson dump `flags`, e.g. JSON_COMPACT or
 * JSON_INDENT(2) | JSON_SORT_KEYS; 0 = compact with sorted keys). The text is NUL-terminated
 * (see umbra_buf). On failure out is unchanged. Errors: UMBRA_EINVAL (j NULL or not
 * serializable), UMBRA_ENOMEM, UMBRA_ETOOBIG (out->max). */
UMBRA_API int umbra_json_dumps(const struct json_t *j, size_t flags, umbra_buf *out);
/* Serializes `j` (as umbra_json_dumps, plus a final newline) and writes it with
 * umbra_file_write_atomic(path, ..., mode). */
UMBRA_API int umbra_json_write_file(const char *path, const struct json_t *j, size_t flags, unsigned mode);
/* Member accessors for objects read from files: each returns UMBRA_EJSON (and a message
 * naming the key) when the member is missing or has the wrong type. get_hex decodes a hex
 * string member of exactly `len` bytes into out. The returned string stays owned by obj. */
UMBRA_API int umbra_json_get_string(const struct json_t *obj, const char *key, const char **out,
                                    char *err, size_t errcap);
UMBRA_API int umbra_json_get_int(const struct json_t *obj, const char *key, int64_t *out, char *err,
                                 size_t errcap);
UMBRA_API int umbra_json_get_hex(const struct json_t *obj, const char *key, uint8_t *out, size_t len,
                                 char *err, size_t errcap);

#ifdef __cplusplus
}
#endif
#endif
