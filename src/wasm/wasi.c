/*
 * wasi.c — WASI preview 1 (wasi_snapshot_preview1) host functions for umbra's engine.
 *
 * Layouts, numbers and semantics follow the preview-1 witx definitions
 * (WebAssembly/WASI phases/snapshot/witx/{typenames,wasi_snapshot_preview1}.witx); the
 * section names in comments ("witx: filestat") refer to the records defined there. Guest
 * memory is little-endian (Wasm 2.0 §4.2.8), so every field is stored byte by byte and
 * every pointer is bounds-checked against the memory size of the calling instance.
 *
 * Capability model: the guest reaches host files only through preopened directories.
 * Path resolution happens in the kernel beneath the preopen with openat2(RESOLVE_BENEATH
 * | RESOLVE_NO_MAGICLINKS); where openat2 is missing (ENOSYS, or refused by a seccomp
 * filter) a per-component walk with O_NOFOLLOW takes over, which tracks ".." lexically
 * and refuses to follow any symlink.
 */
#include "umbra/wasi.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h> /* renameat */
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "umbra/crypto.h"

#if defined(__linux__) && defined(SYS_openat2)
#include <linux/openat2.h>
#define UW_HAVE_OPENAT2 1
#else
#define UW_HAVE_OPENAT2 0
#endif

/* ---- WASI constants (witx: errno, filetype, rights, oflags, fdflags, ...) --------------- */
enum {
    E_SUCCESS = 0, E_2BIG = 1, E_ACCES = 2, E_AGAIN = 6, E_BADF = 8, E_BUSY = 10,
    E_EXIST = 20, E_FAULT = 21, E_FBIG = 22, E_ILSEQ = 25, E_INTR = 27, E_INVAL = 28,
    E_IO = 29, E_ISDIR = 31, E_LOOP = 32, E_MFILE = 33, E_MLINK = 34, E_NAMETOOLONG = 37,
    E_NFILE = 41, E_NODEV = 43, E_NOENT = 44, E_NOMEM = 48, E_NOSPC = 51, E_NOSYS = 52,
    E_NOTDIR = 54, E_NOTEMPTY = 55, E_NOTSUP = 58, E_NOTTY = 59, E_NXIO = 60,
    E_OVERFLOW = 61, E_PERM = 63, E_PIPE = 64, E_RANGE = 68, E_ROFS = 69, E_SPIPE = 70,
    E_TXTBSY = 74, E_XDEV = 75, E_NOTCAPABLE = 76,
};

enum {
    FT_UNKNOWN = 0, FT_BLOCK_DEVICE = 1, FT_CHARACTER_DEVICE = 2, FT_DIRECTORY = 3,
    FT_REGULAR_FILE = 4, FT_SOCKET_STREAM = 6, FT_SYMBOLIC_LINK = 7,
};

#define R(n) ((uint64_t)1 << (n))
#define R_FD_DATASYNC R(0)
#define R_FD_READ R(1)
#define R_FD_SEEK R(2)
#define R_FD_FDSTAT_SET_FLAGS R(3)
#define R_FD_SYNC R(4)
#define R_FD_TELL R(5)
#define R_FD_WRITE R(6)
#define R_FD_ADVISE R(7)
#define R_FD_ALLOCATE R(8)
#define R_PATH_CREATE_DIRECTORY R(9)
#define R_PATH_CREATE_FILE R(10)
#define R_PATH_LINK_SOURCE R(11)
#define R_PATH_LINK_TARGET R(12)
#define R_PATH_OPEN R(13)
#define R_FD_READDIR R(14)
#define R_PATH_READLINK R(15)
#define R_PATH_RENAME_SOURCE R(16)
#define R_PATH_RENAME_TARGET R(17)
#define R_PATH_FILESTAT_GET R(18)
#define R_PATH_FILESTAT_SET_SIZE R(19)
#define R_PATH_FILESTAT_SET_TIMES R(20)
#define R_FD_FILESTAT_GET R(21)
#define R_FD_FILESTAT_SET_SIZE R(22)
#define R_FD_FILESTAT_SET_TIMES R(23)
#define R_PATH_SYMLINK R(24)
#define R_PATH_REMOVE_DIRECTORY R(25)
#define R_PATH_UNLINK_FILE R(26)
#define R_POLL_FD_READWRITE R(27)
#define R_ALL (R(30) - 1)

/* Rights by object (what an fd of that kind can ever do). */
#define RIGHTS_FILE_READ (R_FD_READ | R_FD_SEEK | R_FD_TELL | R_FD_ADVISE | R_FD_FDSTAT_SET_FLAGS | \
                          R_FD_FILESTAT_GET | R_POLL_FD_READWRITE)
#define RIGHTS_FILE_WRITE (R_FD_WRITE | R_FD_DATASYNC | R_FD_SYNC | R_FD_ALLOCATE | \
                           R_FD_FILESTAT_SET_SIZE | R_FD_FILESTAT_SET_TIMES)
#define RIGHTS_DIR_READ (R_PATH_OPEN | R_FD_READDIR | R_PATH_READLINK | R_PATH_FILESTAT_GET | \
                         R_FD_FILESTAT_GET | R_FD_FDSTAT_SET_FLAGS)
#define RIGHTS_DIR_WRITE (R_PATH_CREATE_DIRECTORY | R_PATH_CREATE_FILE | R_PATH_LINK_SOURCE | \
                          R_PATH_LINK_TARGET | R_PATH_RENAME_SOURCE | R_PATH_RENAME_TARGET |     \
                          R_PATH_FILESTAT_SET_SIZE | R_PATH_FILESTAT_SET_TIMES | R_PATH_SYMLINK | \
                          R_PATH_REMOVE_DIRECTORY | R_PATH_UNLINK_FILE | R_FD_FILESTAT_SET_TIMES | \
                          R_FD_SYNC | R_FD_DATASYNC)

#define OFLAG_CREAT 1u
#define OFLAG_DIRECTORY 2u
#define OFLAG_EXCL 4u
#define OFLAG_TRUNC 8u
#define FDFLAG_APPEND 1u
#define FDFLAG_DSYNC 2u
#define FDFLAG_NONBLOCK 4u
#define FDFLAG_RSYNC 8u
#define FDFLAG_SYNC 16u
#define LOOKUP_SYMLINK_FOLLOW 1u
#define FST_ATIM 1u
#define FST_ATIM_NOW 2u
#define FST_MTIM 4u
#define FST_MTIM_NOW 8u

#define MAX_FDS 1024u
#define MAX_PATH 4096u
#define MAX_IOVS 1024u
#define WALK_MAX_DEPTH 128

/* ---- Context -------------------------------------------------------------------------------- */
enum { K_FREE = 0, K_STDIO, K_FILE, K_DIR };

struct wfd {
    uint8_t kind;
    uint8_t filetype;
    uint8_t owned;     /* host fd belongs to this entry (closed with it) */
    uint8_t dir_write; /* directory: the preopen it came from grants writes */
    uint16_t fdflags;
    int host;          /* host fd, -1 for a detached stdio entry */
    int stdio;         /* 0/1/2 for stdio entries */
    char *name;        /* preopen guest name (NULL if not a preopen) */
    uint64_t rights, inheriting;
    DIR *dir;          /* fd_readdir stream (own fd), position `dir_pos` entries in */
    uint64_t dir_pos;
};

struct uw_wasi_ctx {
    char **args;
    uint32_t nargs;
    size_t args_bytes;
    char **env;
    uint32_t nenv, cap_env;
    size_t env_bytes;
    struct wfd *fds;
    uint32_t nfds, cap_fds;
    struct wfd *init; /* stdio + preopens as configured (the preopen host fds live here) */
    uint32_t ninit;
    uw_wasi_write_fn out_fn;
    void *out_ud;
    uint8_t *in_data;
    size_t in_len, in_pos;
    int in_mem;
    uint64_t deadline_ns; /* monotonic; poll_oneoff never sleeps past it (0 = none) */
    int exited, exit_code;
};

/* Test hook: force the portable per-component walk instead of openat2. */
static int force_walk;
void uw__wasi_force_walk(int on);
void uw__wasi_force_walk(int on) { force_walk = on; }

static void entry_release(struct wfd *e) {
    if (e->dir) closedir(e->dir);
    if (e->owned && e->host >= 0) close(e->host);
    if (e->owned) umbra_free(e->name);
    memset(e, 0, sizeof *e);
    e->host = -1;
}

static struct wfd *get_fd(uw_wasi_ctx *c, uint32_t fd) {
    if (fd >= c->nfds || c->fds[fd].kind == K_FREE) return NULL;
    return &c->fds[fd];
}

static int grow_fds(uw_wasi_ctx *c, uint32_t need) {
    if (need <= c->cap_fds) return 0;
    uint32_t cap = c->cap_fds ? c->cap_fds : 8;
    while (cap < need) cap *= 2;
    struct wfd *n = umbra_realloc(c->fds, cap * sizeof *n);
    if (!n) return UMBRA_ENOMEM;
    for (uint32_t i = c->cap_fds; i < cap; i++) {
        memset(&n[i], 0, sizeof n[i]);
        n[i].host = -1;
    }
    c->fds = n;
    c->cap_fds = cap;
    return 0;
}

/* Lowest free guest fd (POSIX-like allocation). Returns -1 when the table is full. */
static int alloc_fd(uw_wasi_ctx *c) {
    for (uint32_t i = 0; i < c->nfds; i++)
        if (c->fds[i].kind == K_FREE) return (int)i;
    if (c->nfds >= MAX_FDS || grow_fds(c, c->nfds + 1)) return -1;
    return (int)c->nfds++;
}

static uint8_t filetype_of(mode_t m) {
    if (S_ISREG(m)) return FT_REGULAR_FILE;
    if (S_ISDIR(m)) return FT_DIRECTORY;
    if (S_ISCHR(m)) return FT_CHARACTER_DEVICE;
    if (S_ISBLK(m)) return FT_BLOCK_DEVICE;
    if (S_ISSOCK(m)) return FT_SOCKET_STREAM;
    if (S_ISLNK(m)) return FT_SYMBOLIC_LINK;
    return FT_UNKNOWN;
}

static void stdio_entry(uw_wasi_ctx *c, int i, int host) {
    struct wfd *e = &c->init[i];
    memset(e, 0, sizeof *e);
    e->kind = host >= 0 || (i == 0 && c->in_mem) || (i > 0 && c->out_fn) ? K_STDIO : K_FREE;
    e->host = host;
    e->stdio = i;
    e->rights = (i == 0 ? R_FD_READ : R_FD_WRITE) | R_POLL_FD_READWRITE | R_FD_FDSTAT_SET_FLAGS |
                R_FD_FILESTAT_GET;
    /* A terminal is a character device without seek/tell (that is how wasi-libc's isatty
     * decides); anything else we report by its host type (sinks as unknown). */
    struct stat st;
    e->filetype = FT_UNKNOWN;
    if (host >= 0 && !(i == 0 && c->in_mem) && !(i > 0 && c->out_fn) && fstat(host, &st) == 0)
        e->filetype = filetype_of(st.st_mode);
}

int uw_wasi_ctx_new(uw_wasi_ctx **out) {
    *out = NULL;
    uw_wasi_ctx *c = umbra_calloc(1, sizeof *c);
    if (!c) return UMBRA_ENOMEM;
    c->init = umbra_calloc(3, sizeof *c->init);
    if (!c->init) {
        umbra_free(c);
        return UMBRA_ENOMEM;
    }
    c->ninit = 3;
    for (int i = 0; i < 3; i++) stdio_entry(c, i, i);
    if (grow_fds(c, 3)) {
        umbra_free(c->init);
        umbra_free(c);
        return UMBRA_ENOMEM;
    }
    uw_wasi_ctx_reset(c);
    *out = c;
    return 0;
}

static void free_strv(char **v, uint32_t n) {
    for (uint32_t i = 0; i < n; i++) umbra_free(v[i]);
    umbra_free(v);
}

void uw_wasi_ctx_free(uw_wasi_ctx *c) {
    if (!c) return;
    for (uint32_t i = 0; i < c->nfds; i++) entry_release(&c->fds[i]);
    for (uint32_t i = 0; i < c->ninit; i++) {
        if (c->init[i].kind == K_DIR && c->init[i].host >= 0) close(c->init[i].host);
        umbra_free(c->init[i].name);
    }
    umbra_free(c->init);
    umbra_free(c->fds);
    free_strv(c->args, c->nargs);
    free_strv(c->env, c->nenv);
    umbra_free(c->in_data);
    umbra_free(c);
}

void uw_wasi_ctx_reset(uw_wasi_ctx *c) {
    for (uint32_t i = 0; i < c->nfds; i++) entry_release(&c->fds[i]);
    /* grow_fds cannot fail here: cap_fds >= ninit is kept by preopen(). */
    for (uint32_t i = 0; i < c->ninit; i++) c->fds[i] = c->init[i]; /* borrowed host fds */
    c->nfds = c->ninit;
    c->in_pos = 0;
    c->exited = 0;
    c->exit_code = 0;
}

int uw_wasi_ctx_set_args(uw_wasi_ctx *c, int argc, const char *const *argv) {
    if (argc < 0 || (argc > 0 && !argv)) return UMBRA_EINVAL;
    for (int i = 0; i < argc; i++)
        if (!argv[i]) return UMBRA_EINVAL;
    char **v = umbra_calloc((size_t)argc + 1, sizeof *v);
    if (!v) return UMBRA_ENOMEM;
    size_t bytes = 0;
    for (int i = 0; i < argc; i++) {
        v[i] = umbra_strdup(argv[i]);
        if (!v[i]) {
            free_strv(v, (uint32_t)i);
            return UMBRA_ENOMEM;
        }
        bytes += strlen(argv[i]) + 1;
    }
    free_strv(c->args, c->nargs);
    c->args = v;
    c->nargs = (uint32_t)argc;
    c->args_bytes = bytes;
    return 0;
}

int uw_wasi_ctx_add_env(uw_wasi_ctx *c, const char *name, const char *value) {
    if (!name || !*name || strchr(name, '=') || !value) return UMBRA_EINVAL;
    if (c->nenv == c->cap_env) {
        uint32_t cap = c->cap_env ? c->cap_env * 2 : 8;
        char **n = umbra_realloc(c->env, cap * sizeof *n);
        if (!n) return UMBRA_ENOMEM;
        c->env = n;
        c->cap_env = cap;
    }
    size_t nl = strlen(name), vl = strlen(value);
    char *s = umbra_malloc(nl + vl + 2);
    if (!s) return UMBRA_ENOMEM;
    memcpy(s, name, nl);
    s[nl] = '=';
    memcpy(s + nl + 1, value, vl + 1);
    c->env[c->nenv++] = s;
    c->env_bytes += nl + vl + 2;
    return 0;
}

int uw_wasi_ctx_add_env_pair(uw_wasi_ctx *c, const char *kv) {
    const char *eq = kv ? strchr(kv, '=') : NULL;
    if (!eq || eq == kv) return UMBRA_EINVAL;
    char name[256];
    size_t nl = (size_t)(eq - kv);
    if (nl >= sizeof name) return UMBRA_EINVAL;
    memcpy(name, kv, nl);
    name[nl] = 0;
    return uw_wasi_ctx_add_env(c, name, eq + 1);
}

int uw_wasi_ctx_set_stdio(uw_wasi_ctx *c, int in_fd, int out_fd, int err_fd) {
    if (in_fd < -1 || out_fd < -1 || err_fd < -1) return UMBRA_EINVAL;
    int h[3] = {in_fd, out_fd, err_fd};
    for (int i = 0; i < 3; i++) stdio_entry(c, i, h[i]);
    uw_wasi_ctx_reset(c);
    return 0;
}

void uw_wasi_ctx_set_output(uw_wasi_ctx *c, uw_wasi_write_fn fn, void *ud) {
    c->out_fn = fn;
    c->out_ud = ud;
    for (int i = 1; i < 3; i++) stdio_entry(c, i, c->init[i].host);
    uw_wasi_ctx_reset(c);
}

int uw_wasi_ctx_set_stdin_bytes(uw_wasi_ctx *c, const uint8_t *data, size_t len) {
    uint8_t *copy = umbra_malloc(len ? len : 1);
    if (!copy) return UMBRA_ENOMEM;
    if (len) memcpy(copy, data, len);
    umbra_free(c->in_data);
    c->in_data = copy;
    c->in_len = len;
    c->in_mem = 1;
    stdio_entry(c, 0, c->init[0].host);
    uw_wasi_ctx_reset(c);
    return 0;
}

void uw_wasi_ctx_set_deadline(uw_wasi_ctx *c, uint64_t mono_ns) { c->deadline_ns = mono_ns; }

int uw_wasi_ctx_preopen(uw_wasi_ctx *c, const char *host_path, const char *guest_path, unsigned flags) {
    if (!host_path || !*host_path || !guest_path || !*guest_path) return UMBRA_EINVAL;
    if (c->ninit >= MAX_FDS) return UMBRA_ETOOBIG;
    int fd = open(host_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return errno == ENOTDIR ? UMBRA_EINVAL : umbra_from_errno(errno);
    struct wfd *ni = umbra_realloc(c->init, (c->ninit + 1) * sizeof *ni);
    char *name = umbra_strdup(guest_path);
    int rc = ni ? grow_fds(c, c->ninit + 1) : UMBRA_ENOMEM;
    if (ni) c->init = ni;
    if (rc || !name) {
        close(fd);
        umbra_free(name);
        return UMBRA_ENOMEM;
    }
    /* The guest sees a trailing-slash-free name ("/data/" → "/data"), except "/" itself. */
    size_t nl = strlen(name);
    while (nl > 1 && name[nl - 1] == '/') name[--nl] = 0;
    /* Entries currently in use above the initial ones would be shadowed: the ctx is meant
     * to be configured before the guest runs, and reset() below restores the table. */
    struct wfd *e = &c->init[c->ninit];
    memset(e, 0, sizeof *e);
    e->kind = K_DIR;
    e->filetype = FT_DIRECTORY;
    e->host = fd;
    e->name = name;
    e->dir_write = (flags & UW_WASI_DIR_WRITE) != 0;
    e->rights = RIGHTS_DIR_READ | (e->dir_write ? RIGHTS_DIR_WRITE : 0);
    e->inheriting = R_ALL;
    c->ninit++;
    uw_wasi_ctx_reset(c);
    return 0;
}

int uw_wasi_ctx_exited(const uw_wasi_ctx *c, int *code) {
    if (!c->exited) return 0;
    if (code) *code = c->exit_code;
    return 1;
}

/* ---- errno mapping -------------------------------------------------------------------------- */
static int wasi_errno(int e) {
    switch (e) {
    case 0: return E_SUCCESS;
    case E2BIG: return E_2BIG;
    case EACCES: return E_ACCES;
    case EAGAIN: return E_AGAIN;
    case EBADF: return E_BADF;
    case EBUSY: return E_BUSY;
    case EEXIST: return E_EXIST;
    case EFAULT: return E_FAULT;
    case EFBIG: return E_FBIG;
    case EILSEQ: return E_ILSEQ;
    case EINTR: return E_INTR;
    case EINVAL: return E_INVAL;
    case EIO: return E_IO;
    case EISDIR: return E_ISDIR;
    case ELOOP: return E_LOOP;
    case EMFILE: return E_MFILE;
    case EMLINK: return E_MLINK;
    case ENAMETOOLONG: return E_NAMETOOLONG;
    case ENFILE: return E_NFILE;
    case ENODEV: return E_NODEV;
    case ENOENT: return E_NOENT;
    case ENOMEM: return E_NOMEM;
    case ENOSPC: return E_NOSPC;
    case ENOSYS: return E_NOSYS;
    case ENOTDIR: return E_NOTDIR;
    case ENOTEMPTY: return E_NOTEMPTY;
    case EOPNOTSUPP: return E_NOTSUP;
    case ENOTTY: return E_NOTTY;
    case ENXIO: return E_NXIO;
    case EOVERFLOW: return E_OVERFLOW;
    case EPERM: return E_PERM;
    case EPIPE: return E_PIPE;
    case ERANGE: return E_RANGE;
    case EROFS: return E_ROFS;
    case ESPIPE: return E_SPIPE;
    case ETXTBSY: return E_TXTBSY;
    case EXDEV: return E_NOTCAPABLE; /* RESOLVE_BENEATH: the path leaves the preopen */
    default: return E_IO;
    }
}

/* ---- Guest memory ---------------------------------------------------------------------------- */
struct mem {
    uint8_t *base;
    size_t size;
};

static void get_mem(uw_call *call, struct mem *m) {
    uw_memory *mm = uw_call_memory(call);
    m->base = NULL;
    m->size = 0;
    if (mm) m->base = uw_memory_data(mm, &m->size);
}

static int in_bounds(const struct mem *m, uint32_t ptr, uint64_t len) {
    return m->base && (uint64_t)ptr + len <= (uint64_t)m->size;
}

static void put16(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static void put32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static void put64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t get32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t get64(const uint8_t *p) { return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32; }

/* Stores a u32/u64 result at a guest pointer; EFAULT when out of bounds. */
static int store32(const struct mem *m, uint32_t ptr, uint32_t v) {
    if (!in_bounds(m, ptr, 4)) return E_FAULT;
    put32(m->base + ptr, v);
    return 0;
}
static int store64(const struct mem *m, uint32_t ptr, uint64_t v) {
    if (!in_bounds(m, ptr, 8)) return E_FAULT;
    put64(m->base + ptr, v);
    return 0;
}

/* Copies a guest path into a NUL-terminated host buffer. Embedded NULs are rejected. */
static int guest_path(const struct mem *m, uint32_t ptr, uint32_t len, char out[MAX_PATH + 1]) {
    if (len > MAX_PATH) return E_NAMETOOLONG;
    if (!in_bounds(m, ptr, len)) return E_FAULT;
    if (len && memchr(m->base + ptr, 0, len)) return E_INVAL;
    memcpy(out, m->base + ptr, len);
    out[len] = 0;
    return 0;
}

/* Builds a host iovec array for the guest's ciovec/iovec list (witx: iovec = {buf: u32,
 * buf_len: u32}). Returns 0 or a WASI errno; *total gets the sum of lengths. */
static int guest_iovs(const struct mem *m, uint32_t iovs, uint32_t n, struct iovec *out, uint32_t *nout,
                      uint64_t *total) {
    *total = 0;
    *nout = 0;
    if (n > MAX_IOVS) n = MAX_IOVS; /* a short transfer is allowed; the guest loops */
    if (!in_bounds(m, iovs, (uint64_t)n * 8)) return E_FAULT;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t buf = get32(m->base + iovs + 8 * i), len = get32(m->base + iovs + 8 * i + 4);
        if (!in_bounds(m, buf, len)) return E_FAULT;
        out[*nout].iov_base = m->base + buf;
        out[*nout].iov_len = len;
        (*nout)++;
        *total += len;
    }
    return 0;
}

/* ---- Registration glue ----------------------------------------------------------------------- */

/* Getter table: the registry `ud` must outlive the engine and cannot hold a function
 * pointer directly, so each distinct getter gets a static slot. */
struct getter_slot {
    uw_wasi_ctx_getter fn;
};
static struct getter_slot getter_slots[16];
static pthread_mutex_t getter_lock = PTHREAD_MUTEX_INITIALIZER;

static uw_wasi_ctx *ctx_of(uw_call *call, void *ud) {
    const struct getter_slot *s = ud;
    return s && s->fn ? s->fn(call) : uw_call_host_data(call);
}

#define RET(e) return (results[0].of.i32 = (int32_t)(e), 0)
#define PROLOGUE                                  \
    uw_wasi_ctx *c = ctx_of(call, ud);            \
    struct mem m;                                 \
    get_mem(call, &m);                            \
    (void)m;                                      \
    if (!c) RET(E_NOSYS)
#define A32(i) ((uint32_t)args[i].of.i32)
#define A64(i) ((uint64_t)args[i].of.i64)
#define HOSTFN(name) static int name(uw_call *call, const uw_val *args, uw_val *results, void *ud)

/* Charges fuel for bytes moved by the host (1 unit per 64 bytes). */
static int charge(uw_call *call, uint64_t bytes) {
    return bytes >= 64 ? uw_call_consume_fuel(call, bytes / 64) : 0;
}

/* ---- args / environ (witx: args_get, environ_get) -------------------------------------------- */
static int put_strv(const struct mem *m, char **v, uint32_t n, size_t bytes, uint32_t ptrs, uint32_t buf) {
    if (!in_bounds(m, ptrs, (uint64_t)n * 4) || !in_bounds(m, buf, bytes)) return E_FAULT;
    uint32_t off = 0;
    for (uint32_t i = 0; i < n; i++) {
        size_t l = strlen(v[i]) + 1;
        put32(m->base + ptrs + 4 * i, buf + off);
        memcpy(m->base + buf + off, v[i], l);
        off += (uint32_t)l;
    }
    return 0;
}

HOSTFN(w_args_get) {
    PROLOGUE;
    RET(put_strv(&m, c->args, c->nargs, c->args_bytes, A32(0), A32(1)));
}
HOSTFN(w_args_sizes_get) {
    PROLOGUE;
    int e = store32(&m, A32(0), c->nargs);
    RET(e ? e : store32(&m, A32(1), (uint32_t)c->args_bytes));
}
HOSTFN(w_environ_get) {
    PROLOGUE;
    RET(put_strv(&m, c->env, c->nenv, c->env_bytes, A32(0), A32(1)));
}
HOSTFN(w_environ_sizes_get) {
    PROLOGUE;
    int e = store32(&m, A32(0), c->nenv);
    RET(e ? e : store32(&m, A32(1), (uint32_t)c->env_bytes));
}

/* ---- clocks, random, sched, proc ------------------------------------------------------------- */
static int host_clock(uint32_t id, clockid_t *out) {
    switch (id) {
    case 0: *out = CLOCK_REALTIME; return 0;
    case 1: *out = CLOCK_MONOTONIC; return 0;
    case 2: *out = CLOCK_PROCESS_CPUTIME_ID; return 0;
    case 3: *out = CLOCK_THREAD_CPUTIME_ID; return 0;
    default: return E_INVAL;
    }
}

static uint64_t ts_ns(const struct timespec *t) { return (uint64_t)t->tv_sec * 1000000000u + (uint64_t)t->tv_nsec; }

HOSTFN(w_clock_res_get) {
    PROLOGUE;
    clockid_t id;
    struct timespec t;
    if (host_clock(A32(0), &id)) RET(E_INVAL);
    if (clock_getres(id, &t)) RET(wasi_errno(errno));
    RET(store64(&m, A32(1), ts_ns(&t)));
}
HOSTFN(w_clock_time_get) {
    PROLOGUE;
    clockid_t id;
    struct timespec t;
    if (host_clock(A32(0), &id)) RET(E_INVAL);
    if (clock_gettime(id, &t)) RET(wasi_errno(errno));
    RET(store64(&m, A32(2), ts_ns(&t)));
}
HOSTFN(w_random_get) {
    PROLOGUE;
    uint32_t buf = A32(0), len = A32(1);
    if (!in_bounds(&m, buf, len)) RET(E_FAULT);
    int rc = charge(call, len);
    if (rc) return rc;
    uc_random(m.base + buf, len);
    RET(0);
}
HOSTFN(w_sched_yield) {
    PROLOGUE;
    sched_yield();
    RET(0);
}
HOSTFN(w_proc_exit) {
    /* witx: proc_exit(rval: exitcode) — does not return. The status is kept even without
     * a ctx so the embedder always learns it through the trap. */
    uw_wasi_ctx *c = ctx_of(call, ud);
    (void)results;
    int code = args[0].of.i32;
    if (c) {
        c->exited = 1;
        c->exit_code = code;
    }
    return uw_call_exit(call, code);
}
HOSTFN(w_proc_raise) {
    PROLOGUE;
    RET(E_NOSYS);
}
HOSTFN(w_nosys) {
    PROLOGUE;
    RET(E_NOSYS);
}

/* ---- fd_* ------------------------------------------------------------------------------------ */
static long sink_write(uw_wasi_ctx *c, int fd, const struct iovec *iov, uint32_t n) {
    long total = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (!iov[i].iov_len) continue;
        long w = c->out_fn(fd, iov[i].iov_base, iov[i].iov_len, c->out_ud);
        if (w < 0) return total ? total : -1;
        total += w;
        if ((size_t)w < iov[i].iov_len) break;
    }
    return total;
}

/* Host stdio may block (a terminal, a pipe): with a deadline set, wait for readiness only
 * until the deadline, then trap, so a guest cannot outlive its time budget in a read. */
static int wait_stdio(uw_call *call, uw_wasi_ctx *c, int fd, short events) {
    if (!c->deadline_ns) return 0;
    for (;;) {
        uint64_t now = umbra_now_ns();
        if (now >= c->deadline_ns) return uw_call_trap(call, "deadline exceeded while blocked on stdio");
        uint64_t left = c->deadline_ns - now;
        struct timespec t = {(time_t)(left / 1000000000u), (long)(left % 1000000000u)};
        struct pollfd p = {fd, events, 0};
        int r = ppoll(&p, 1, &t, NULL);
        if (r > 0) return 0;
        if (r < 0 && errno != EINTR) return 0; /* let the read/write report the error */
    }
}

HOSTFN(w_fd_write) {
    PROLOGUE;
    struct wfd *e = get_fd(c, A32(0));
    if (!e) RET(E_BADF);
    if (!(e->rights & R_FD_WRITE)) RET(e->kind == K_DIR ? E_ISDIR : E_BADF);
    struct iovec iov[MAX_IOVS];
    uint32_t n;
    uint64_t total;
    int err = guest_iovs(&m, A32(1), A32(2), iov, &n, &total);
    if (err) RET(err);
    if (!in_bounds(&m, A32(3), 4)) RET(E_FAULT);
    int rc = charge(call, total);
    if (rc) return rc;
    ssize_t w;
    if (e->kind == K_STDIO && c->out_fn) {
        w = sink_write(c, e->stdio, iov, n);
        if (w < 0) RET(E_IO);
    } else {
        if (e->kind == K_STDIO && (rc = wait_stdio(call, c, e->host, POLLOUT))) return rc;
        do w = writev(e->host, iov, (int)n);
        while (w < 0 && errno == EINTR);
        if (w < 0) RET(wasi_errno(errno));
    }
    RET(store32(&m, A32(3), (uint32_t)w));
}

HOSTFN(w_fd_read) {
    PROLOGUE;
    struct wfd *e = get_fd(c, A32(0));
    if (!e) RET(E_BADF);
    if (!(e->rights & R_FD_READ)) RET(e->kind == K_DIR ? E_ISDIR : E_BADF);
    struct iovec iov[MAX_IOVS];
    uint32_t n;
    uint64_t total;
    int err = guest_iovs(&m, A32(1), A32(2), iov, &n, &total);
    if (err) RET(err);
    if (!in_bounds(&m, A32(3), 4)) RET(E_FAULT);
    int rc = charge(call, total);
    if (rc) return rc;
    ssize_t r = 0;
    if (e->kind == K_STDIO && c->in_mem) {
        for (uint32_t i = 0; i < n && c->in_pos < c->in_len; i++) {
            size_t k = c->in_len - c->in_pos < iov[i].iov_len ? c->in_len - c->in_pos : iov[i].iov_len;
            memcpy(iov[i].iov_base, c->in_data + c->in_pos, k);
            c->in_pos += k;
            r += (ssize_t)k;
        }
    } else {
        if (e->kind == K_STDIO && (rc = wait_stdio(call, c, e->host, POLLIN))) return rc;
        do r = readv(e->host, iov, (int)n);
        while (r < 0 && errno == EINTR);
        if (r < 0) RET(wasi_errno(errno));
    }
    RET(store32(&m, A32(3), (uint32_t)r));
}

/* fd_pread / fd_pwrite: positional I/O on files only. */
static int positional(uw_call *call, const uw_val *args, uw_val *results, void *ud, int write) {
    PROLOGUE;
    struct wfd *e = get_fd(c, A32(0));
    if (!e) RET(E_BADF);
    if (e->kind != K_FILE) RET(e->kind == K_DIR ? E_ISDIR : E_SPIPE);
    if (!(e->rights & (write ? R_FD_WRITE : R_FD_READ)) || !(e->rights & R_FD_SEEK)) RET(E_NOTCAPABLE);
    struct iovec iov[MAX_IOVS];
    uint32_t n;
    uint64_t total;
    int err = guest_iovs(&m, A32(1), A32(2), iov, &n, &total);
    if (err) RET(err);
    if (!in_bounds(&m, A32(4), 4)) RET(E_FAULT);
    if (A64(3) > INT64_MAX) RET(E_INVAL);
    int rc = charge(call, total);
    if (rc) return rc;
    ssize_t r;
    do r = write ? pwritev(e->host, iov, (int)n, (off_t)A64(3)) : preadv(e->host, iov, (int)n, (off_t)A64(3));
    while (r < 0 && errno == EINTR);
    if (r < 0) RET(wasi_errno(errno));
    RET(store32(&m, A32(4), (uint32_t)r));
}
HOSTFN(w_fd_pread) { return positional(call, args, results, ud, 0); }
HOSTFN(w_fd_pwrite) { return positional(call, args, results, ud, 1); }

HOSTFN(w_fd_close) {
    PROLOGUE;
    struct wfd *e = get_fd(c, A32(0));
    if (!e) RET(E_BADF);
    entry_release(e); /* preopen/stdio host fds are borrowed from init: only detached */
    RET(0);
}

HOSTFN(w_fd_seek) {
    PROLOGUE;
    struct wfd *e = get_fd(c, A32(0));
    if (!e) RET(E_BADF);
    if (e->kind == K_STDIO) RET(E_SPIPE);
    if (e->kind != K_FILE) RET(E_BADF);
    int64_t off = (int64_t)A64(1);
    uint32_t whence = A32(2);
    int hw = whence == 0 ? SEEK_SET : whence == 1 ? SEEK_CUR : whence == 2 ? SEEK_END : -1;
    if (hw < 0) RET(E_INVAL);
    if (!(e->rights & (off == 0 && whence == 1 ? R_FD_TELL : R_FD_SEEK))) RET(E_NOTCAPABLE);
    if (!in_bounds(&m, A32(3), 8)) RET(E_FAULT);
    off_t r = lseek(e->host, (off_t)off, hw);
    if (r < 0) RET(wasi_errno(errno));
    RET(store64(&m, A32(3), (uint64_t)r));
}

HOSTFN(w_fd_tell) {
    PROLOGUE;
    struct wfd *e = get_fd(c, A32(0));
    if (!e) RET(E_BADF);
    if (e->kind == K_STDIO) RET(E_SPIPE);
    if (e->kind != K_FILE) RET(E_BADF);
    if (!in_bounds(&m, A32(1), 8)) RET(E_FAULT);
    off_t r = lseek(e->host, 0, SEEK_CUR);
    if (r < 0) RET(wasi_errno(errno));
    RET(store64(&m, A32(1), (uint64_t)r));
}

/* witx: fdstat = {fs_filetype: u8 @0, fs_flags: u16 @2, fs_rights_base: u64 @8,
 * fs_rights_inheriting: u64 @16}, size 24. */
HOSTFN(w_fd_fdstat_get) {
    PROLOGUE;
    struct wfd *e = get_fd(c, A32(0));
    if (!e) RET(E_BADF);
    uint32_t p = A32(1);
    if (!in_bounds(&m, p, 24)) RET(E_FAULT);
    memset(m.base + p, 0, 24);
    m.base[p] = e->filetype;
    put16(m.base + p + 2, e->fdflags);
    put64(m.base + p + 8, e->rights);
    put64(m.base + p + 16, e->inheriting);
    RET(0);
}

HOSTFN(w_fd_fdstat_set_flags) {
    PROLOGUE;
    struct wfd *e = get_fd(c, A32(0));
    if (!e) RET(E_BADF);
    uint32_t fl = A32(1);
    if (fl & ~(uint32_t)(FDFLAG_APPEND | FDFLAG_DSYNC | FDFLAG_NONBLOCK | FDFLAG_RSYNC | FDFLAG_SYNC))
        RET(E_INVAL);
    if (!(e->rights & R_FD_FDSTAT_SET_FLAGS)) RET(E_NOTCAPABLE);
    if (e->kind == K_FILE) {
        /* Only APPEND and NONBLOCK can change after open (as with fcntl F_SETFL). */
        if ((fl & FDFLAG_APPEND) && !(e->rights & R_FD_WRITE)) RET(E_NOTCAPABLE);
        int hf = fcntl(e->host, F_GETFL);
        if (hf < 0) RET(wasi_errno(errno));
        hf &= ~(O_APPEND | O_NONBLOCK);
        if (fl & FDFLAG_APPEND) hf |= O_APPEND;
        if (fl & FDFLAG_NONBLOCK) hf |= O_NONBLOCK;
        if (fcntl(e->host, F_SETFL, hf) < 0) RET(wasi_errno(errno));
        e->fdflags = (uint16_t)((e->fdflags & ~(FDFLAG_APPEND | FDFLAG_NONBLOCK)) |
                                (fl & (FDFLAG_APPEND | FDFLAG_NONBLOCK)));
        RET(0);
    }
    /* Host stdio fds are shared with the embedder: their flags are never changed. Asking
     * for the flags they effectively have (none, or append on an output) succeeds. */
    if (e->kind == K_STDIO && !(fl & ~(uint32_t)FDFLAG_APPEND)) RET(0);
    RET(E_NOTSUP);
}

HOSTFN(w_fd_fdstat_set_rights) {
    PROLOGUE;
    struct wfd *e = get_fd(c, A32(0));
    if (!e) RET(E_BADF);
    uint64_t base = A64(1), inh = A64(2);
    /* Rights can only be dropped (witx: fd_fdstat_set_rights). */
    if ((base & ~e->rights) || (inh & ~e->inheriting)) RET(E_NOTCAPABLE);
    e->rights = base;
    e->inheriting = inh;
    RET(0);
}

/* witx: filestat = {dev u64 @0, ino u64 @8, filetype u8 @16, nlink u64 @24, size u64 @32,
 * atim u64 @40, mtim u64 @48, ctim u64 @56}, size 64. */
static int put_filestat(const struct mem *m, uint32_t p, const struct stat *st) {
    if (!in_bounds(m, p, 64)) return E_FAULT;
    uint8_t *b = m->base + p;
    memset(b, 0, 64);
    put64(b, (uint64_t)st->st_dev);
    put64(b + 8, (uint64_t)st->st_ino);
    b[16] = filetype_of(st->st_mode);
    put64(b + 24, (uint64_t)st->st_nlink);
    put64(b + 32, (uint64_t)st->st_size);
    put64(b + 40, ts_ns(&st->st_atim));
    put64(b + 48, ts_ns(&st->st_mtim));
    put64(b + 56, ts_ns(&st->st_ctim));
    return 0;
}

HOSTFN(w_fd_filestat_get) {
    PROLOGUE;
    struct wfd *e = get_fd(c, A32(0));
    if (!e) RET(E_BADF);
    if (!(e->rights & R_FD_FILESTAT_GET)) RET(E_NOTCAPABLE);
    struct stat st;
    if (e->kind == K_STDIO && e->host < 0) {
        memset(&st, 0, sizeof st);
        st.st_mode = S_IFCHR;
    } else if (fstat(e->host, &st)) {
        RET(wasi_errno(errno));
    }
    if (e->kind == K_STDIO && (c->out_fn || c->in_mem)) st.st_mode = S_IFCHR | (st.st_mode & 0777);
    RET(put_filestat(&m, A32(1), &st));
}

HOSTFN(w_fd_filestat_set_size) {
    PROLOGUE;
    struct wfd *e = get_fd(c, A32(0));
    if (!e) RET(E_BADF);
    if (e->kind != K_FILE || !(e->rights & R_FD_FILESTAT_SET_SIZE)) RET(E_NOTCAPABLE);
    if (A64(1) > INT64_MAX) RET(E_INVAL);
    if (ftruncate(e->host, (off_t)A64(1))) RET(wasi_errno(errno));
    RET(0);
}

static int times_of(uint64_t atim, uint64_t mtim, uint32_t fl, struct timespec ts[2]) {
    if ((fl & ~(uint32_t)15) || ((fl & FST_ATIM) && (fl & FST_ATIM_NOW)) || ((fl & FST_MTIM) && (fl & FST_MTIM_NOW)))
        return E_INVAL;
    ts[0].tv_sec = (time_t)(atim / 1000000000u), ts[0].tv_nsec = (long)(atim % 1000000000u);
    ts[1].tv_sec = (time_t)(mtim / 1000000000u), ts[1].tv_nsec = (long)(mtim % 1000000000u);
    if (!(fl & (FST_ATIM | FST_ATIM_NOW))) ts[0].tv_nsec = UTIME_OMIT;
    if (fl & FST_ATIM_NOW) ts[0].tv_nsec = UTIME_NOW;
    if (!(fl & (FST_MTIM | FST_MTIM_NOW))) ts[1].tv_nsec = UTIME_OMIT;
    if (fl & FST_MTIM_NOW) ts[1].tv_nsec = UTIME_NOW;
    return 0;
}

HOSTFN(w_fd_filestat_set_times) {
    PROLOGUE;
    struct wfd *e = get_fd(c, A32(0));
    if (!e) RET(E_BADF);
    if (e->kind == K_STDIO || !(e->rights & R_FD_FILESTAT_SET_TIMES)) RET(E_NOTCAPABLE);
    if (e->kind == K_DIR && !e->dir_write) RET(E_ROFS);
    struct timespec ts[2];
    int err = times_of(A64(1), A64(2), A32(3), ts);
    if (err) RET(err);
    if (futimens(e->host, ts)) RET(wasi_errno(errno));
    RET(0);
}

HOSTFN(w_fd_sync) {
    PROLOGUE;
    struct wfd *e = get_fd(c, A32(0));
    if (!e) RET(E_BADF);
    if (!(e->rights & R_FD_SYNC)) RET(E_NOTCAPABLE);
    if (e->kind != K_STDIO && fsync(e->host)) RET(wasi_errno(errno));
    RET(0);
}
HOSTFN(w_fd_datasync) {
    PROLOGUE;
    struct wfd *e = get_fd(c, A32(0));
    if (!e) RET(E_BADF);
    if (!(e->rights & R_FD_DATASYNC)) RET(E_NOTCAPABLE);
    if (e->kind != K_STDIO && fdatasync(e->host)) RET(wasi_errno(errno));
    RET(0);
}
HOSTFN(w_fd_advise) {
    PROLOGUE;
    struct wfd *e = get_fd(c, A32(0));
    if (!e) RET(E_BADF);
    if (A32(3) > 5) RET(E_INVAL); /* witx: advice normal..noreuse */
    if (e->kind != K_FILE) RET(e->kind == K_DIR ? E_ISDIR : E_SPIPE);
    RET(0); /* advisory only: nothing to do is a valid implementation */
}
HOSTFN(w_fd_allocate) {
    PROLOGUE;
    struct wfd *e = get_fd(c, A32(0));
    if (!e) RET(E_BADF);
    if (e->kind != K_FILE || !(e->rights & R_FD_ALLOCATE)) RET(E_NOTCAPABLE);
    if (A64(1) > INT64_MAX || A64(2) > INT64_MAX - A64(1)) RET(E_INVAL);
    int r = posix_fallocate(e->host, (off_t)A64(1), (off_t)A64(2));
    RET(r ? wasi_errno(r) : 0);
}

/* witx: prestat = {tag u8 @0 (0 = dir), pr_name_len u32 @4}, size 8. */
HOSTFN(w_fd_prestat_get) {
    PROLOGUE;
    struct wfd *e = get_fd(c, A32(0));
    if (!e || !e->name) RET(E_BADF);
    uint32_t p = A32(1);
    if (!in_bounds(&m, p, 8)) RET(E_FAULT);
    memset(m.base + p, 0, 8);
    put32(m.base + p + 4, (uint32_t)strlen(e->name));
    RET(0);
}
HOSTFN(w_fd_prestat_dir_name) {
    PROLOGUE;
    struct wfd *e = get_fd(c, A32(0));
    if (!e || !e->name) RET(E_BADF);
    size_t l = strlen(e->name);
    if (A32(2) < l) RET(E_NAMETOOLONG);
    if (!in_bounds(&m, A32(1), l)) RET(E_FAULT);
    memcpy(m.base + A32(1), e->name, l);
    RET(0);
}

HOSTFN(w_fd_renumber) {
    PROLOGUE;
    uint32_t from = A32(0), to = A32(1);
    struct wfd *a = get_fd(c, from), *b = get_fd(c, to);
    if (!a || !b) RET(E_BADF);
    if (from == to) RET(0);
    entry_release(b);
    *b = *a;
    memset(a, 0, sizeof *a);
    a->host = -1;
    RET(0);
}

/* witx: dirent = {d_next u64 @0, d_ino u64 @8, d_namlen u32 @16, d_type u8 @20}, size 24,
 * followed by the name. The cookie is the index of the next entry; a partially written
 * last entry tells the guest its buffer was too small (bufused == buf_len). */
HOSTFN(w_fd_readdir) {
    PROLOGUE;
    struct wfd *e = get_fd(c, A32(0));
    if (!e) RET(E_BADF);
    if (e->kind != K_DIR) RET(E_NOTDIR);
    if (!(e->rights & R_FD_READDIR)) RET(E_NOTCAPABLE);
    uint32_t buf = A32(1), len = A32(2), used_p = A32(4);
    uint64_t cookie = A64(3);
    if (!in_bounds(&m, buf, len) || !in_bounds(&m, used_p, 4)) RET(E_FAULT);
    if (!e->dir || cookie < e->dir_pos) {
        if (e->dir) {
            rewinddir(e->dir);
        } else {
            int dfd = openat(e->host, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (dfd < 0) RET(wasi_errno(errno));
            e->dir = fdopendir(dfd);
            if (!e->dir) {
                int err = errno;
                close(dfd);
                RET(wasi_errno(err));
            }
        }
        e->dir_pos = 0;
    }
    struct dirent *d;
    while (e->dir_pos < cookie) {
        errno = 0;
        if (!(d = readdir(e->dir))) {
            if (errno) RET(wasi_errno(errno));
            RET(store32(&m, used_p, 0));
        }
        e->dir_pos++;
    }
    uint32_t used = 0;
    int rc = charge(call, len);
    if (rc) return rc;
    while (used < len) {
        /* Remember where we are: an entry that does not fit is read again next call. */
        long where = telldir(e->dir);
        errno = 0;
        if (!(d = readdir(e->dir))) {
            if (errno) RET(wasi_errno(errno));
            break;
        }
        uint8_t ent[24];
        size_t nl = strlen(d->d_name);
        uint8_t t = FT_UNKNOWN;
        switch (d->d_type) {
        case DT_REG: t = FT_REGULAR_FILE; break;
        case DT_DIR: t = FT_DIRECTORY; break;
        case DT_LNK: t = FT_SYMBOLIC_LINK; break;
        case DT_CHR: t = FT_CHARACTER_DEVICE; break;
        case DT_BLK: t = FT_BLOCK_DEVICE; break;
        case DT_SOCK: t = FT_SOCKET_STREAM; break;
        default: break;
        }
        memset(ent, 0, sizeof ent);
        put64(ent, e->dir_pos + 1);
        put64(ent + 8, (uint64_t)d->d_ino);
        put32(ent + 16, (uint32_t)nl);
        ent[20] = t;
        uint32_t room = len - used;
        if (room < 24 + nl) {
            /* Partial entry: fill the buffer and rewind so the entry is delivered whole
             * next time (the guest retries with a larger buffer and the same cookie). */
            uint32_t k = room < 24 ? room : 24;
            memcpy(m.base + buf + used, ent, k);
            if (room > 24) memcpy(m.base + buf + used + 24, d->d_name, room - 24);
            used = len;
            seekdir(e->dir, where);
            break;
        }
        memcpy(m.base + buf + used, ent, 24);
        memcpy(m.base + buf + used + 24, d->d_name, nl);
        used += (uint32_t)(24 + nl);
        e->dir_pos++;
    }
    RET(store32(&m, used_p, used));
}

/* ---- Path resolution -------------------------------------------------------------------------
 * resolve_open() opens `path` relative to the directory `dirfd` without ever leaving it.
 * Returns a host fd or -errno (EXDEV meaning "escapes"). */
static int walk_open(int dirfd, const char *path, int flags, mode_t mode) {
    /* Portable fallback: walk component by component with O_NOFOLLOW; ".." pops a stack
     * of directory fds and fails when it would go above dirfd; symlinks are never
     * followed (ELOOP), so nothing outside can be reached. */
    int stack[WALK_MAX_DEPTH];
    int depth = 0, cur = dirfd, rc = -ENOENT;
    char comp[NAME_MAX + 1];
    const char *p = path;
    for (;;) {
        while (*p == '/') p++;
        const char *s = p;
        while (*p && *p != '/') p++;
        size_t l = (size_t)(p - s);
        while (*p == '/') p++;
        int last = *p == 0;
        if (l > NAME_MAX) {
            rc = -ENAMETOOLONG;
            break;
        }
        memcpy(comp, s, l);
        comp[l] = 0;
        if (l == 0) strcpy(comp, ".");
        if (!strcmp(comp, "..")) {
            if (depth == 0) {
                rc = -EXDEV;
                break;
            }
            close(stack[--depth]);
            cur = depth ? stack[depth - 1] : dirfd;
            if (last) strcpy(comp, ".");
            else continue;
        } else if (!strcmp(comp, ".") && !last) {
            continue;
        }
        if (last) {
            rc = openat(cur, comp, flags | O_NOFOLLOW, mode);
            if (rc < 0) rc = -errno;
            break;
        }
        if (depth == WALK_MAX_DEPTH) {
            rc = -ENAMETOOLONG;
            break;
        }
        int nfd = openat(cur, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (nfd < 0) {
            rc = errno == ENOTDIR || errno == ELOOP ? -ELOOP : -errno;
            /* A symlink component gives ENOTDIR with O_DIRECTORY|O_NOFOLLOW: report it as
             * a loop only when it really is a link. */
            struct stat st;
            if (errno == ENOTDIR && fstatat(cur, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISLNK(st.st_mode))
                rc = -ENOTDIR;
            break;
        }
        stack[depth++] = nfd;
        cur = nfd;
    }
    while (depth > 0) close(stack[--depth]);
    return rc;
}

static int resolve_open(int dirfd, const char *path, int flags, mode_t mode, int follow) {
    if (path[0] == '/') return -EXDEV;
    if (path[0] == 0) return -ENOENT;
    flags |= O_CLOEXEC;
    if (!follow) flags |= O_NOFOLLOW;
#if UW_HAVE_OPENAT2
    if (!force_walk) {
        struct open_how how;
        memset(&how, 0, sizeof how);
        how.flags = (uint64_t)flags;
        /* O_TMPFILE contains the O_DIRECTORY bit: test it as a whole. */
        how.mode = ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE) ? mode : 0;
        how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
        long r;
        do r = syscall(SYS_openat2, dirfd, path, &how, sizeof how);
        while (r < 0 && errno == EAGAIN);
        if (r >= 0) return (int)r;
        if (errno != ENOSYS && errno != EPERM) return -errno;
        /* ENOSYS: kernel < 5.6; EPERM: a seccomp filter refusing openat2. */
    }
#endif
    return walk_open(dirfd, path, flags, mode);
}

/* Splits `path` into its parent directory (opened beneath dirfd, O_PATH) and the last
 * component, for the *at() calls that act on a name (mkdir, unlink, rename ...). The last
 * component may not be "." or ".." (that would name the parent or the preopen's parent). */
static int resolve_parent(int dirfd, char *path, int *pfd, const char **name) {
    size_t l = strlen(path);
    while (l > 1 && path[l - 1] == '/') path[--l] = 0; /* "dir/" names "dir" */
    if (l == 0) return -ENOENT;
    char *slash = strrchr(path, '/');
    const char *last = slash ? slash + 1 : path;
    if (!*last || !strcmp(last, ".") || !strcmp(last, "..")) return -EINVAL;
    if (strlen(last) > NAME_MAX) return -ENAMETOOLONG;
    if (path[0] == '/') return -EXDEV;
    int fd;
    if (!slash) {
        fd = resolve_open(dirfd, ".", O_PATH | O_DIRECTORY, 0, 1);
    } else {
        *slash = 0;
        fd = resolve_open(dirfd, path, O_PATH | O_DIRECTORY, 0, 1);
        *slash = '/';
    }
    if (fd < 0) return fd;
    *pfd = fd;
    *name = last;
    return 0;
}

/* Common checks for path_* calls: the fd is a directory with `right`; copies the path. */
static int path_dir(uw_wasi_ctx *c, const struct mem *m, uint32_t fd, uint64_t right, uint32_t ptr,
                    uint32_t len, char path[MAX_PATH + 1], struct wfd **out) {
    struct wfd *e = get_fd(c, fd);
    if (!e) return E_BADF;
    if (e->kind != K_DIR) return E_NOTDIR;
    int err = guest_path(m, ptr, len, path);
    if (err) return err;
    if (!(e->rights & right)) return (right & RIGHTS_DIR_WRITE) && !e->dir_write ? E_ROFS : E_NOTCAPABLE;
    if (path[0] == '/') return E_NOTCAPABLE;
    *out = e;
    return 0;
}

/* witx: path_open(fd, dirflags, path, oflags, fs_rights_base, fs_rights_inheriting,
 * fdflags) -> fd. Write access (requested write rights, CREAT, TRUNC or APPEND) needs a
 * writable preopen; otherwise EROFS. */
HOSTFN(w_path_open) {
    PROLOGUE;
    char path[MAX_PATH + 1];
    struct wfd *d;
    int err = path_dir(c, &m, A32(0), R_PATH_OPEN, A32(2), A32(3), path, &d);
    if (err) RET(err);
    uint32_t dirflags = A32(1), oflags = A32(4), fdflags = A32(7), out_p = A32(8);
    uint64_t want = A64(5) & d->inheriting, want_inh = A64(6) & d->inheriting;
    if (!in_bounds(&m, out_p, 4)) RET(E_FAULT);
    if (oflags & ~(uint32_t)15) RET(E_INVAL);
    int writes = (want & (R_FD_WRITE | R_FD_ALLOCATE | R_FD_FILESTAT_SET_SIZE)) != 0 ||
                 (oflags & (OFLAG_CREAT | OFLAG_TRUNC)) || (fdflags & FDFLAG_APPEND);
    if (writes && !d->dir_write) RET(E_ROFS);
    int reads = (want & (R_FD_READ | R_FD_READDIR)) != 0;
    int flags = (oflags & OFLAG_DIRECTORY) ? O_RDONLY | O_DIRECTORY
                : writes ? (reads ? O_RDWR : O_WRONLY)
                         : O_RDONLY;
    if (oflags & OFLAG_CREAT) flags |= O_CREAT;
    if (oflags & OFLAG_EXCL) flags |= O_EXCL;
    if (oflags & OFLAG_TRUNC) flags |= O_TRUNC;
    if (fdflags & FDFLAG_APPEND) flags |= O_APPEND;
    if (fdflags & FDFLAG_NONBLOCK) flags |= O_NONBLOCK;
    if (fdflags & (FDFLAG_SYNC | FDFLAG_RSYNC)) flags |= O_SYNC;
    if (fdflags & FDFLAG_DSYNC) flags |= O_DSYNC;
    int slot = alloc_fd(c);
    if (slot < 0) RET(E_NFILE);
    int h = resolve_open(d->host, path, flags, 0666, (dirflags & LOOKUP_SYMLINK_FOLLOW) != 0);
    if (h == -EISDIR && !(oflags & OFLAG_DIRECTORY) && !writes) {
        h = resolve_open(d->host, path, O_RDONLY | O_DIRECTORY, 0, (dirflags & LOOKUP_SYMLINK_FOLLOW) != 0);
    }
    if (h < 0) {
        if (h == -ELOOP && !(dirflags & LOOKUP_SYMLINK_FOLLOW)) RET(E_LOOP);
        RET(wasi_errno(-h));
    }
    struct stat st;
    if (fstat(h, &st)) {
        int e2 = errno;
        close(h);
        RET(wasi_errno(e2));
    }
    struct wfd *e = &c->fds[slot];
    memset(e, 0, sizeof *e);
    e->host = h;
    e->owned = 1;
    e->filetype = filetype_of(st.st_mode);
    e->fdflags = (uint16_t)(fdflags & 31u);
    if (S_ISDIR(st.st_mode)) {
        e->kind = K_DIR;
        e->dir_write = d->dir_write;
        e->rights = want & (RIGHTS_DIR_READ | (d->dir_write ? RIGHTS_DIR_WRITE : 0));
        e->inheriting = want_inh;
    } else {
        e->kind = K_FILE;
        uint64_t allowed = RIGHTS_FILE_READ | (writes ? RIGHTS_FILE_WRITE : 0);
        if (!reads) allowed &= ~R_FD_READ;
        e->rights = want & allowed;
        e->inheriting = 0;
    }
    RET(store32(&m, out_p, (uint32_t)slot));
}

HOSTFN(w_path_filestat_get) {
    PROLOGUE;
    char path[MAX_PATH + 1];
    struct wfd *d;
    int err = path_dir(c, &m, A32(0), R_PATH_FILESTAT_GET, A32(2), A32(3), path, &d);
    if (err) RET(err);
    int h = resolve_open(d->host, path, O_PATH, 0, (A32(1) & LOOKUP_SYMLINK_FOLLOW) != 0);
    if (h < 0) RET(wasi_errno(-h));
    struct stat st;
    int r = fstat(h, &st);
    int e2 = errno;
    close(h);
    if (r) RET(wasi_errno(e2));
    RET(put_filestat(&m, A32(4), &st));
}

HOSTFN(w_path_filestat_set_times) {
    PROLOGUE;
    char path[MAX_PATH + 1];
    struct wfd *d;
    int err = path_dir(c, &m, A32(0), R_PATH_FILESTAT_SET_TIMES, A32(2), A32(3), path, &d);
    if (err) RET(err);
    struct timespec ts[2];
    if ((err = times_of(A64(4), A64(5), A32(6), ts))) RET(err);
    int pfd;
    const char *name;
    int r = resolve_parent(d->host, path, &pfd, &name);
    if (r) RET(wasi_errno(-r));
    r = utimensat(pfd, name, ts, AT_SYMLINK_NOFOLLOW);
    int e2 = errno;
    close(pfd);
    RET(r ? wasi_errno(e2) : 0);
}

/* One-name operations on a writable preopen: mkdir, unlink, rmdir, readlink. */
enum { OP_MKDIR, OP_UNLINK, OP_RMDIR };
static int name_op(uw_call *call, const uw_val *args, uw_val *results, void *ud, int op) {
    PROLOGUE;
    static const uint64_t right[] = {R_PATH_CREATE_DIRECTORY, R_PATH_UNLINK_FILE, R_PATH_REMOVE_DIRECTORY};
    char path[MAX_PATH + 1];
    struct wfd *d;
    int err = path_dir(c, &m, A32(0), right[op], A32(1), A32(2), path, &d);
    if (err) RET(err);
    int pfd;
    const char *name;
    int r = resolve_parent(d->host, path, &pfd, &name);
    if (r) RET(wasi_errno(-r));
    r = op == OP_MKDIR ? mkdirat(pfd, name, 0777) : unlinkat(pfd, name, op == OP_RMDIR ? AT_REMOVEDIR : 0);
    int e2 = errno;
    close(pfd);
    RET(r ? wasi_errno(e2) : 0);
}
HOSTFN(w_path_create_directory) { return name_op(call, args, results, ud, OP_MKDIR); }
HOSTFN(w_path_unlink_file) { return name_op(call, args, results, ud, OP_UNLINK); }
HOSTFN(w_path_remove_directory) { return name_op(call, args, results, ud, OP_RMDIR); }

HOSTFN(w_path_readlink) {
    PROLOGUE;
    char path[MAX_PATH + 1];
    struct wfd *d;
    int err = path_dir(c, &m, A32(0), R_PATH_READLINK, A32(1), A32(2), path, &d);
    if (err) RET(err);
    uint32_t buf = A32(3), len = A32(4), used_p = A32(5);
    if (!in_bounds(&m, buf, len) || !in_bounds(&m, used_p, 4)) RET(E_FAULT);
    int pfd;
    const char *name;
    int r = resolve_parent(d->host, path, &pfd, &name);
    if (r) RET(wasi_errno(-r));
    char tmp[MAX_PATH];
    ssize_t n = readlinkat(pfd, name, tmp, sizeof tmp);
    int e2 = errno;
    close(pfd);
    if (n < 0) RET(wasi_errno(e2));
    if ((size_t)n > len) n = len; /* witx: truncated to the buffer */
    memcpy(m.base + buf, tmp, (size_t)n);
    RET(store32(&m, used_p, (uint32_t)n));
}

/* Two-name operations (rename, link) between directories of this ctx. */
static int two_names(uw_call *call, const uw_val *args, uw_val *results, void *ud, int link) {
    PROLOGUE;
    /* rename(fd, old, old_len, new_fd, new, new_len);
     * link(old_fd, old_flags, old, old_len, new_fd, new, new_len) */
    int o = link ? 1 : 0;
    char p1[MAX_PATH + 1], p2[MAX_PATH + 1];
    struct wfd *d1, *d2;
    int err = path_dir(c, &m, A32(0), link ? R_PATH_LINK_SOURCE : R_PATH_RENAME_SOURCE, A32(1 + o), A32(2 + o),
                       p1, &d1);
    if (!err)
        err = path_dir(c, &m, A32(3 + o), link ? R_PATH_LINK_TARGET : R_PATH_RENAME_TARGET, A32(4 + o), A32(5 + o),
                       p2, &d2);
    if (err) RET(err);
    if (link && (A32(1) & LOOKUP_SYMLINK_FOLLOW)) RET(E_NOTSUP);
    int f1, f2;
    const char *n1, *n2;
    int r = resolve_parent(d1->host, p1, &f1, &n1);
    if (r) RET(wasi_errno(-r));
    r = resolve_parent(d2->host, p2, &f2, &n2);
    if (r) {
        close(f1);
        RET(wasi_errno(-r));
    }
    r = link ? linkat(f1, n1, f2, n2, 0) : renameat(f1, n1, f2, n2);
    int e2 = errno;
    close(f1);
    close(f2);
    RET(r ? wasi_errno(e2) : 0);
}
HOSTFN(w_path_rename) { return two_names(call, args, results, ud, 0); }
HOSTFN(w_path_link) { return two_names(call, args, results, ud, 1); }

/* path_symlink(old_path, old_len, fd, new_path, new_len). The link text is stored as is:
 * it cannot be used to escape, since resolution never follows a link out of a preopen. */
HOSTFN(w_path_symlink) {
    PROLOGUE;
    char target[MAX_PATH + 1], path[MAX_PATH + 1];
    struct wfd *d;
    int err = guest_path(&m, A32(0), A32(1), target);
    if (!err) err = path_dir(c, &m, A32(2), R_PATH_SYMLINK, A32(3), A32(4), path, &d);
    if (err) RET(err);
    int pfd;
    const char *name;
    int r = resolve_parent(d->host, path, &pfd, &name);
    if (r) RET(wasi_errno(-r));
    r = symlinkat(target, pfd, name);
    int e2 = errno;
    close(pfd);
    RET(r ? wasi_errno(e2) : 0);
}

/* ---- poll_oneoff ------------------------------------------------------------------------------
 * witx: subscription = {userdata u64 @0, u: {tag u8 @8, clock @16 = {id u32 @16, timeout u64
 * @24, precision u64 @32, flags u16 @40} | fd_readwrite @16 = {fd u32 @16}}}, size 48;
 * event = {userdata u64 @0, error u16 @8, type u8 @10, fd_readwrite @16 = {nbytes u64 @16,
 * flags u16 @24}}, size 32. */
#define MAX_SUBS 256u

HOSTFN(w_poll_oneoff) {
    PROLOGUE;
    uint32_t in = A32(0), out = A32(1), n = A32(2), nev_p = A32(3);
    if (n == 0) RET(E_INVAL);
    if (n > MAX_SUBS) RET(E_NOTSUP);
    if (!in_bounds(&m, in, (uint64_t)n * 48) || !in_bounds(&m, out, (uint64_t)n * 32) || !in_bounds(&m, nev_p, 4))
        RET(E_FAULT);
    struct pollfd pfd[MAX_SUBS];
    int pidx[MAX_SUBS]; /* subscription → pollfd index, -1 = clock or always ready */
    uint64_t due[MAX_SUBS];
    uint16_t early_err[MAX_SUBS];
    int npfd = 0, ready_now = 0;
    uint64_t now = umbra_now_ns(), wait = UINT64_MAX;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *s = m.base + in + 48 * i;
        uint8_t tag = s[8];
        pidx[i] = -1;
        due[i] = UINT64_MAX;
        early_err[i] = 0;
        if (tag == 0) { /* clock */
            uint32_t id = get32(s + 16);
            uint64_t timeout = get64(s + 24);
            uint16_t fl = get16(s + 40);
            clockid_t cid;
            if (host_clock(id, &cid)) {
                early_err[i] = E_INVAL;
                ready_now = 1;
                continue;
            }
            uint64_t rel = timeout;
            if (fl & 1) { /* SUBSCRIPTION_CLOCK_ABSTIME: relative to that clock's now */
                struct timespec t;
                clock_gettime(cid, &t);
                rel = timeout > ts_ns(&t) ? timeout - ts_ns(&t) : 0;
            }
            due[i] = rel > UINT64_MAX - now ? UINT64_MAX : now + rel;
            if (rel < wait) wait = rel;
        } else if (tag == 1 || tag == 2) { /* fd_read / fd_write */
            struct wfd *e = get_fd(c, get32(s + 16));
            if (!e) {
                early_err[i] = E_BADF;
                ready_now = 1;
            } else if (!(e->rights & (tag == 1 ? R_FD_READ : R_FD_WRITE))) {
                early_err[i] = E_NOTCAPABLE;
                ready_now = 1;
            } else if (e->kind == K_FILE || (e->kind == K_STDIO && ((tag == 1 && c->in_mem) || (tag == 2 && c->out_fn)))) {
                ready_now = 1; /* regular files and in-memory stdio never block */
                pidx[i] = -2;
            } else {
                pfd[npfd].fd = e->host;
                pfd[npfd].events = tag == 1 ? POLLIN : POLLOUT;
                pfd[npfd].revents = 0;
                pidx[i] = npfd++;
            }
        } else {
            RET(E_INVAL);
        }
    }
    if (ready_now) wait = 0;
    /* The embedder's deadline bounds any sleep: past it the call traps. */
    if (c->deadline_ns && wait > 0) {
        uint64_t left = c->deadline_ns > now ? c->deadline_ns - now : 0;
        if (wait > left) {
            if (npfd == 0) {
                struct timespec t = {(time_t)(left / 1000000000u), (long)(left % 1000000000u)};
                while (nanosleep(&t, &t) && errno == EINTR) {}
                return uw_call_trap(call, "deadline exceeded while sleeping in poll_oneoff");
            }
            wait = left;
        }
    }
    int pr = 0;
    if (npfd > 0 || wait > 0) {
        struct timespec t, *tp = NULL;
        if (wait != UINT64_MAX) {
            t.tv_sec = (time_t)(wait / 1000000000u);
            t.tv_nsec = (long)(wait % 1000000000u);
            tp = &t;
        }
        if (npfd == 0 && !tp) RET(E_INVAL); /* nothing could ever wake us */
        do pr = ppoll(pfd, (nfds_t)npfd, tp, NULL);
        while (pr < 0 && errno == EINTR && !(tp && umbra_now_ns() >= now + wait));
        if (pr < 0 && errno != EINTR) RET(wasi_errno(errno));
    }
    if (c->deadline_ns && umbra_now_ns() >= c->deadline_ns && pr == 0 && !ready_now)
        return uw_call_trap(call, "deadline exceeded while sleeping in poll_oneoff");
    uint64_t after = umbra_now_ns();
    uint32_t nev = 0;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *s = m.base + in + 48 * i;
        uint8_t tag = s[8];
        int fire = 0;
        uint16_t error = early_err[i];
        uint64_t nbytes = 0;
        uint16_t flags = 0;
        if (error) {
            fire = 1;
        } else if (tag == 0) {
            fire = after >= due[i];
        } else if (pidx[i] == -2) {
            fire = 1;
            struct wfd *e = get_fd(c, get32(s + 16));
            if (tag == 1 && e && e->kind == K_FILE) {
                struct stat st;
                off_t pos = lseek(e->host, 0, SEEK_CUR);
                if (fstat(e->host, &st) == 0 && pos >= 0 && st.st_size > pos) nbytes = (uint64_t)(st.st_size - pos);
            } else if (tag == 1 && e && e->kind == K_STDIO) {
                nbytes = c->in_len - c->in_pos;
            }
        } else if (pidx[i] >= 0 && pfd[pidx[i]].revents) {
            fire = 1;
            short rv = pfd[pidx[i]].revents;
            if (rv & POLLHUP) flags = 1; /* event_rwflags: fd_readwrite_hangup */
            if (rv & (POLLERR | POLLNVAL)) error = E_IO;
            nbytes = 1;
        }
        if (!fire) continue;
        uint8_t *ev = m.base + out + 32 * nev++;
        memset(ev, 0, 32);
        memcpy(ev, s, 8); /* userdata */
        put16(ev + 8, error);
        ev[10] = tag;
        if (tag != 0) {
            put64(ev + 16, nbytes);
            put16(ev + 24, flags);
        }
    }
    RET(store32(&m, nev_p, nev));
}

/* ---- Table of functions ---------------------------------------------------------------------- */
struct wasi_fn {
    const char *name;
    const char *params; /* 'i' = i32, 'I' = i64 */
    const char *results;
    uw_host_fn fn;
};

static const struct wasi_fn wasi_fns[] = {
    {"args_get", "ii", "i", w_args_get},
    {"args_sizes_get", "ii", "i", w_args_sizes_get},
    {"environ_get", "ii", "i", w_environ_get},
    {"environ_sizes_get", "ii", "i", w_environ_sizes_get},
    {"clock_res_get", "ii", "i", w_clock_res_get},
    {"clock_time_get", "iIi", "i", w_clock_time_get},
    {"fd_advise", "iIIi", "i", w_fd_advise},
    {"fd_allocate", "iII", "i", w_fd_allocate},
    {"fd_close", "i", "i", w_fd_close},
    {"fd_datasync", "i", "i", w_fd_datasync},
    {"fd_fdstat_get", "ii", "i", w_fd_fdstat_get},
    {"fd_fdstat_set_flags", "ii", "i", w_fd_fdstat_set_flags},
    {"fd_fdstat_set_rights", "iII", "i", w_fd_fdstat_set_rights},
    {"fd_filestat_get", "ii", "i", w_fd_filestat_get},
    {"fd_filestat_set_size", "iI", "i", w_fd_filestat_set_size},
    {"fd_filestat_set_times", "iIIi", "i", w_fd_filestat_set_times},
    {"fd_pread", "iiiIi", "i", w_fd_pread},
    {"fd_prestat_get", "ii", "i", w_fd_prestat_get},
    {"fd_prestat_dir_name", "iii", "i", w_fd_prestat_dir_name},
    {"fd_pwrite", "iiiIi", "i", w_fd_pwrite},
    {"fd_read", "iiii", "i", w_fd_read},
    {"fd_readdir", "iiiIi", "i", w_fd_readdir},
    {"fd_renumber", "ii", "i", w_fd_renumber},
    {"fd_seek", "iIii", "i", w_fd_seek},
    {"fd_sync", "i", "i", w_fd_sync},
    {"fd_tell", "ii", "i", w_fd_tell},
    {"fd_write", "iiii", "i", w_fd_write},
    {"path_create_directory", "iii", "i", w_path_create_directory},
    {"path_filestat_get", "iiiii", "i", w_path_filestat_get},
    {"path_filestat_set_times", "iiiiIIi", "i", w_path_filestat_set_times},
    {"path_link", "iiiiiii", "i", w_path_link},
    {"path_open", "iiiiiIIii", "i", w_path_open},
    {"path_readlink", "iiiiii", "i", w_path_readlink},
    {"path_remove_directory", "iii", "i", w_path_remove_directory},
    {"path_rename", "iiiiii", "i", w_path_rename},
    {"path_symlink", "iiiii", "i", w_path_symlink},
    {"path_unlink_file", "iii", "i", w_path_unlink_file},
    {"poll_oneoff", "iiii", "i", w_poll_oneoff},
    {"proc_exit", "i", "", w_proc_exit},
    {"proc_raise", "i", "i", w_proc_raise},
    {"sched_yield", "", "i", w_sched_yield},
    {"random_get", "ii", "i", w_random_get},
    /* Sockets need capabilities this layer does not grant (see the guest sockets API). */
    {"sock_accept", "iii", "i", w_nosys},
    {"sock_recv", "iiiiii", "i", w_nosys},
    {"sock_send", "iiiii", "i", w_nosys},
    {"sock_shutdown", "ii", "i", w_nosys},
};

int uw_wasi_define(uw_engine *eng, uw_wasi_ctx_getter getter) {
    void *ud = NULL;
    if (getter) {
        pthread_mutex_lock(&getter_lock);
        size_t i = 0, n = sizeof getter_slots / sizeof getter_slots[0];
        while (i < n && getter_slots[i].fn && getter_slots[i].fn != getter) i++;
        if (i < n) {
            getter_slots[i].fn = getter;
            ud = &getter_slots[i];
        }
        pthread_mutex_unlock(&getter_lock);
        if (!ud) return UMBRA_ENOMEM;
    }
    for (size_t i = 0; i < sizeof wasi_fns / sizeof wasi_fns[0]; i++) {
        const struct wasi_fn *f = &wasi_fns[i];
        uint8_t p[16], r[1];
        size_t np = strlen(f->params), nr = strlen(f->results);
        for (size_t k = 0; k < np; k++) p[k] = f->params[k] == 'I' ? UW_I64 : UW_I32;
        if (nr) r[0] = UW_I32;
        uw_functype t = {p, (uint32_t)np, r, (uint32_t)nr};
        int rc = uw_engine_define_func(eng, UW_WASI_MODULE, f->name, &t, f->fn, ud);
        if (rc) return rc;
    }
    return 0;
}

int uw_wasi_run(uw_instance *inst, uw_wasi_ctx *c, int *exit_code, uw_trap *trap) {
    uw_trap local;
    if (!trap) trap = &local;
    memset(trap, 0, sizeof *trap);
    *exit_code = 0;
    int rc = uw_instance_call(inst, "_start", NULL, 0, NULL, 0, trap);
    if (rc == 0) return 0;
    if (rc == UMBRA_EWASM_EXIT || (rc == UMBRA_EWASM_TRAP && trap->kind == UW_TRAP_EXIT)) {
        int code = trap->exit_code;
        if (c && c->exited) code = c->exit_code;
        *exit_code = code;
        return 0;
    }
    return rc;
}
