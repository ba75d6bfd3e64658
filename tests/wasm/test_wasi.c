/* test_wasi.c — WASI preview 1 and `umbra run`.
 *
 * Differential: the C programs in tests/wasm/guests/ are built natively (gcc) and to
 * wasm32-wasi (clang-19, wasi-libc) by cmake/wasm_guests.cmake; each is run both ways and
 * stdout and exit status must match — through the embedding API (uw_wasi_*) and through
 * the `umbra run` binary. Capability tests: a guest trying every way out of its preopen
 * must be refused (with openat2 and with the portable per-component walk), writes need
 * --dir-rw. Edge cases of the ABI (bad guest pointers, bad fds, unsupported calls,
 * proc_exit, poll_oneoff sleeping and deadline) use small modules written in WAT and
 * assembled with wat2wasm (wabt) at test time.
 *
 * Needs: $UMBRA_BUILD_DIR/wasm_guests (built with the tests), $UMBRA_BINARY, wat2wasm.
 * When the guests are missing (no clang-19/wasi-libc) the guest tests are skipped with a
 * message; when the engine cannot run the smallest module yet, likewise. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "umbra/base.h"
#include "umbra/wasi.h"
#include "umbra/wasm.h"

void uw__wasi_force_walk(int on); /* wasi.c test hook */

/* Temporary directories made by this test are removed at the end (tu_tmpdir keeps them). */
static char *made_dirs[256];
static int nmade;
static const char *wasi_tmpdir(void) {
    const char *d = tu_tmpdir();
    if (nmade < 256) made_dirs[nmade++] = strdup(d);
    return d;
}
#define tu_tmpdir() wasi_tmpdir()
static void remove_tmpdirs(void) {
    for (int i = 0; i < nmade; i++) {
        char cmd[400];
        if (strncmp(made_dirs[i], "/tmp/", 5) == 0 || getenv("TMPDIR")) {
            snprintf(cmd, sizeof cmd, "rm -rf '%s'", made_dirs[i]);
            if (system(cmd) != 0) fprintf(stderr, "test_wasi: could not remove %s\n", made_dirs[i]);
        }
        free(made_dirs[i]);
    }
    nmade = 0;
}

/* ---- helpers ---------------------------------------------------------------------------------- */
static char guest_dir[1024];

static const char *guest_path(const char *name, int wasm) {
    static char buf[4][1200];
    static int k;
    char *b = buf[k++ % 4];
    snprintf(b, sizeof buf[0], "%s/%s%s", guest_dir, name, wasm ? ".wasm" : "");
    return b;
}

static int have_guests(void) {
    const char *bd = getenv("UMBRA_BUILD_DIR");
    if (!bd) return 0;
    snprintf(guest_dir, sizeof guest_dir, "%s/wasm_guests", bd);
    return access(guest_path("hello", 1), R_OK) == 0 && access(guest_path("hello", 0), X_OK) == 0;
}

/* Writes a test file (no fsync: these are scratch files, and fsync is slow on a busy disk). */
static int put_file(const char *path, const void *data, size_t n, unsigned mode) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) return -1;
    ssize_t w = write(fd, data, n);
    close(fd);
    return w == (ssize_t)n ? 0 : -1;
}

struct proc_out {
    char *out; /* stdout, NUL-terminated (malloc) */
    size_t out_len;
    char *err; /* stderr */
    int status;  /* exit status, or 128+signal */
    double secs;
};

static void proc_free(struct proc_out *p) {
    free(p->out);
    free(p->err);
    memset(p, 0, sizeof *p);
}

static char *slurp_fd(int fd, size_t *n) {
    size_t cap = 4096, len = 0;
    char *b = malloc(cap);
    for (;;) {
        if (len + 1 >= cap) b = realloc(b, cap *= 2);
        ssize_t r = read(fd, b + len, cap - len - 1);
        if (r <= 0) break;
        len += (size_t)r;
    }
    b[len] = 0;
    if (n) *n = len;
    return b;
}

/* Runs argv (argv[0] is a path) with optional stdin text, environment additions ("K=V",
 * NULL-terminated) and captures stdout/stderr. stderr goes to a temp file so that big
 * outputs on both never deadlock. */
static void run_proc(const char *const *argv, const char *stdin_text, const char *const *env, struct proc_out *p) {
    memset(p, 0, sizeof *p);
    int out[2], in[2];
    assert_int_equal(pipe(out), 0);
    assert_int_equal(pipe(in), 0);
    char errname[] = "/tmp/umbra-wasi-err-XXXXXX";
    int errfd = mkstemp(errname);
    assert_true(errfd >= 0);
    unlink(errname);
    uint64_t t0 = umbra_now_ns();
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        dup2(errfd, 2);
        close(in[1]);
        close(out[0]);
        unsetenv("WASI_TEST_A");
        unsetenv("WASI_TEST_B");
        for (int i = 0; env && env[i]; i++) putenv((char *)env[i]);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    if (stdin_text) {
        ssize_t w = write(in[1], stdin_text, strlen(stdin_text));
        (void)w;
    }
    close(in[1]);
    p->out = slurp_fd(out[0], &p->out_len);
    close(out[0]);
    int st = 0;
    waitpid(pid, &st, 0);
    p->secs = (double)(umbra_now_ns() - t0) / 1e9;
    p->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    lseek(errfd, 0, SEEK_SET);
    p->err = slurp_fd(errfd, NULL);
    close(errfd);
}

/* Output sink for the embedding API: guest stdout into a umbra_buf, stderr dropped. */
static long capture(int fd, const uint8_t *data, size_t len, void *ud) {
    if (fd == 1 && umbra_buf_append((umbra_buf *)ud, data, len)) return -1;
    return (long)len;
}

static uw_engine *engine(void) {
    uw_engine *e = NULL;
    assert_int_equal(uw_engine_new(NULL, &e), 0);
    assert_int_equal(uw_wasi_define(e, NULL), 0);
    return e;
}

static uw_module *load(uw_engine *e, const char *path) {
    uint8_t *bytes = NULL;
    size_t n = 0;
    assert_int_equal(umbra_file_read(path, 64u << 20, &bytes, &n), 0);
    uw_module *m = NULL;
    uw_error err;
    int rc = uw_module_new(e, bytes, n, &m, &err);
    umbra_free(bytes);
    if (rc) fail_msg("%s: %s (%s at %u)", path, umbra_strerror(rc), err.message, err.offset);
    return m;
}

/* Assembles WAT text with wat2wasm into a temp file; returns its path (static). With
 * `check` 0 the module is not validated (to make invalid modules). */
static const char *wat_opt(const char *text, int check);
static const char *wat(const char *text) { return wat_opt(text, 1); }
static const char *wat_opt(const char *text, int check) {
    static char path[8][300];
    static int k;
    char *p = path[k++ % 8];
    const char *dir = tu_tmpdir();
    char src[300];
    snprintf(src, sizeof src, "%s/m.wat", dir);
    snprintf(p, sizeof path[0], "%s/m.wasm", dir);
    FILE *f = fopen(src, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    char cmd[800];
    snprintf(cmd, sizeof cmd, "wat2wasm --enable-all %s '%s' -o '%s' 2>&1", check ? "" : "--no-check", src, p);
    if (system(cmd) != 0) fail_msg("wat2wasm failed for:\n%s", text);
    return p;
}

static int have_wat2wasm(void) { return system("wat2wasm --version >/dev/null 2>&1") == 0; }

/* The engine can run code once a trivial export returns its constant. */
static int engine_ready(void) {
    /* (module (func (export "f") (result i32) i32.const 7)), assembled by hand so that the
     * probe does not need wabt. */
    static const uint8_t probe[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01,
                                    0x60, 0x00, 0x01, 0x7f, 0x03, 0x02, 0x01, 0x00, 0x07, 0x05, 0x01,
                                    0x01, 0x66, 0x00, 0x00, 0x0a, 0x06, 0x01, 0x04, 0x00, 0x41, 0x07,
                                    0x0b};
    static int ready = -1;
    if (ready >= 0) return ready;
    ready = 0;
    uw_engine *e = engine();
    uw_module *m = NULL;
    uw_instance *in = NULL;
    if (uw_module_new(e, probe, sizeof probe, &m, NULL) == 0 && uw_instance_new(m, NULL, NULL, &in, NULL) == 0) {
        uw_val r = {.type = UW_I32};
        ready = uw_instance_call(in, "f", NULL, 0, &r, 1, NULL) == 0 && r.of.i32 == 7;
    }
    uw_instance_free(in);
    uw_module_free(m);
    uw_engine_free(e);
    if (!ready) print_message("test_wasi: the engine cannot run a trivial module yet: guest tests skipped\n");
    return ready;
}

/* Tests built from WAT need wabt's wat2wasm (scripts/bootstrap installs it). */
#define NEED_WAT()                                                               \
    do {                                                                         \
        if (!engine_ready()) skip();                                             \
        if (!have_wat2wasm()) {                                                  \
            print_message("test_wasi: wat2wasm (wabt) missing: WAT tests skipped\n"); \
            skip();                                                              \
        }                                                                        \
    } while (0)

#define NEED_GUESTS()                                                                          \
    do {                                                                                       \
        if (!have_guests()) {                                                                  \
            print_message("test_wasi: no wasm guests in $UMBRA_BUILD_DIR/wasm_guests: skip\n"); \
            skip();                                                                            \
        }                                                                                      \
        if (!engine_ready()) skip();                                                           \
    } while (0)

struct dir_grant {
    const char *host, *guest;
    unsigned flags;
};

/* Runs a guest through the embedding API: returns the exit status (or -1 on trap, with
 * *trap filled), stdout in *out (umbra_buf, caller frees). */
static int run_api(const char *name, const char *const *args, int nargs, const struct dir_grant *dirs, int ndirs,
                   const char *stdin_text, const char *const *env, umbra_buf *out, uw_trap *trap) {
    uw_engine *e = engine();
    uw_module *m = load(e, guest_path(name, 1));
    uw_wasi_ctx *c = NULL;
    assert_int_equal(uw_wasi_ctx_new(&c), 0);
    const char *argv[32];
    argv[0] = name;
    for (int i = 0; i < nargs; i++) argv[i + 1] = args[i];
    assert_int_equal(uw_wasi_ctx_set_args(c, nargs + 1, argv), 0);
    for (int i = 0; env && env[i]; i++) assert_int_equal(uw_wasi_ctx_add_env_pair(c, env[i]), 0);
    for (int i = 0; i < ndirs; i++) assert_int_equal(uw_wasi_ctx_preopen(c, dirs[i].host, dirs[i].guest, dirs[i].flags), 0);
    if (stdin_text) assert_int_equal(uw_wasi_ctx_set_stdin_bytes(c, (const uint8_t *)stdin_text, strlen(stdin_text)), 0);
    umbra_buf_init(out, 64u << 20);
    uw_wasi_ctx_set_output(c, capture, out);
    uw_instance_config ic = {.host_data = c};
    uw_instance *in = NULL;
    uw_trap t;
    memset(&t, 0, sizeof t);
    int code = -1;
    int rc = uw_instance_new(m, NULL, &ic, &in, &t);
    if (rc) fail_msg("%s: instantiate: %s (%s)", name, umbra_strerror(rc), t.message);
    rc = uw_wasi_run(in, c, &code, &t);
    if (rc) {
        if (trap) *trap = t;
        code = -1;
    }
    uw_instance_free(in);
    uw_wasi_ctx_free(c);
    uw_module_free(m);
    uw_engine_free(e);
    return code;
}

/* Compares a guest run through the API with the native build (same args, env, stdin). */
static void differential(const char *name, const char *const *nat_args, const char *const *wasm_args, int nargs,
                         const struct dir_grant *dirs, int ndirs, const char *stdin_text, const char *const *env) {
    const char *argv[34];
    argv[0] = guest_path(name, 0);
    for (int i = 0; i < nargs; i++) argv[i + 1] = nat_args[i];
    argv[nargs + 1] = NULL;
    struct proc_out nat;
    run_proc(argv, stdin_text, env, &nat);
    umbra_buf out;
    uw_trap t;
    int code = run_api(name, wasm_args, nargs, dirs, ndirs, stdin_text, env, &out, &t);
    if (code < 0) fail_msg("%s trapped: %s: %s", name, uw_trap_kind_text(t.kind), t.message);
    if (nat.status != code || nat.out_len != out.len || memcmp(nat.out, out.data ? (char *)out.data : "", out.len))
        fail_msg("%s: native (status %d):\n%s\n--- wasm (status %d):\n%s", name, nat.status, nat.out, code,
                 out.data ? (char *)out.data : "");
    umbra_buf_free(&out);
    proc_free(&nat);
}

/* ---- ctx API (no engine needed) ------------------------------------------------------------- */
static void test_ctx_api(void **state) {
    (void)state;
    uw_wasi_ctx *c = NULL;
    assert_int_equal(uw_wasi_ctx_new(&c), 0);
    const char *argv[] = {"prog", "a"};
    assert_int_equal(uw_wasi_ctx_set_args(c, 2, argv), 0);
    assert_int_equal(uw_wasi_ctx_set_args(c, -1, argv), UMBRA_EINVAL);
    assert_int_equal(uw_wasi_ctx_add_env(c, "A", "1"), 0);
    assert_int_equal(uw_wasi_ctx_add_env(c, "", "1"), UMBRA_EINVAL);
    assert_int_equal(uw_wasi_ctx_add_env(c, "A=B", "1"), UMBRA_EINVAL);
    assert_int_equal(uw_wasi_ctx_add_env_pair(c, "B=2=3"), 0);
    assert_int_equal(uw_wasi_ctx_add_env_pair(c, "=x"), UMBRA_EINVAL);
    assert_int_equal(uw_wasi_ctx_add_env_pair(c, "noequals"), UMBRA_EINVAL);
    assert_int_equal(uw_wasi_ctx_preopen(c, "/nonexistent/umbra/dir", "/x", 0), UMBRA_ENOENT);
    assert_int_equal(uw_wasi_ctx_preopen(c, "/etc/hostname", "/x", 0) != 0, 1);
    assert_int_equal(uw_wasi_ctx_preopen(c, "", "/x", 0), UMBRA_EINVAL);
    assert_int_equal(uw_wasi_ctx_preopen(c, tu_tmpdir(), "/data/", UW_WASI_DIR_WRITE), 0);
    assert_int_equal(uw_wasi_ctx_set_stdio(c, -1, 1, 2), 0);
    assert_int_equal(uw_wasi_ctx_set_stdio(c, -2, 1, 2), UMBRA_EINVAL);
    int code = 5;
    assert_int_equal(uw_wasi_ctx_exited(c, &code), 0);
    assert_int_equal(code, 5);
    uw_wasi_ctx_reset(c);
    uw_wasi_ctx_free(c);
    uw_wasi_ctx_free(NULL);

    /* Allocation failures surface as UMBRA_ENOMEM, never a crash or a leak. */
    for (unsigned long k = 1; k < 12; k++) {
        uw_wasi_ctx *d = NULL;
        umbra_alloc_fail_after(k, 0);
        int rc = uw_wasi_ctx_new(&d);
        if (rc == 0) rc = uw_wasi_ctx_set_args(d, 2, argv);
        if (rc == 0) rc = uw_wasi_ctx_add_env(d, "K", "V");
        umbra_alloc_fail_after(0, 0);
        assert_true(rc == 0 || rc == UMBRA_ENOMEM);
        uw_wasi_ctx_free(d);
    }
}

/* ---- differential guests through the API ---------------------------------------------------- */
static void test_guests_stdout(void **state) {
    (void)state;
    NEED_GUESTS();
    differential("hello", NULL, NULL, 0, NULL, 0, NULL, NULL);
    differential("alloc", NULL, NULL, 0, NULL, 0, NULL, NULL);
    differential("compute", NULL, NULL, 0, NULL, 0, NULL, NULL);
    const char *env[] = {"WASI_TEST_A=alpha beta", "WASI_TEST_B=", NULL};
    const char *args[] = {"one", "two words", "", "$WASI_TEST_A", "$WASI_TEST_B", "$WASI_TEST_C"};
    differential("argsenv", args, args, 6, NULL, 0, NULL, env);
    differential("stdin_echo", NULL, NULL, 0, NULL, 0, "line one\nline two\n", NULL);
    differential("stdin_echo", NULL, NULL, 0, NULL, 0, "", NULL);
    differential("pollsleep", NULL, NULL, 0, NULL, 0, "abc", NULL);
}

static void test_guests_exit_codes(void **state) {
    (void)state;
    NEED_GUESTS();
    const char *cases[][2] = {{"ret", "0"}, {"ret", "3"}, {"exit", "7"}, {"exit", "0"}, {"buffered", "5"}, {"ret", "255"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) differential("exitcode", cases[i], cases[i], 2, NULL, 0, NULL, NULL);
}

/* A directory tree for file tests:  root/outside.txt, root/d/{inside.txt, f.txt, sub/,
 * link-out → ../outside.txt, dirlink → .., link-in → inside.txt}. Returns root. */
static const char *make_tree(char d_out[512]) {
    const char *root = tu_tmpdir();
    char p[600], q[600];
    snprintf(d_out, 512, "%s/d", root);
    assert_int_equal(mkdir(d_out, 0755), 0);
    snprintf(p, sizeof p, "%s/sub", d_out);
    assert_int_equal(mkdir(p, 0755), 0);
    snprintf(p, sizeof p, "%s/outside.txt", root);
    assert_int_equal(put_file(p, "secret\n", 7, 0644), 0);
    snprintf(p, sizeof p, "%s/inside.txt", d_out);
    assert_int_equal(put_file(p, "hi\n", 3, 0644), 0);
    /* A file bigger than any stdio buffer, with a few lines. */
    umbra_buf b;
    umbra_buf_init(&b, 1 << 20);
    for (int i = 0; i < 3000; i++) umbra_buf_printf(&b, "line %d: the quick brown fox %d\n", i, i * 7);
    snprintf(p, sizeof p, "%s/f.txt", d_out);
    assert_int_equal(put_file(p, b.data, b.len, 0644), 0);
    umbra_buf_free(&b);
    snprintf(q, sizeof q, "%s/link-out", d_out);
    assert_int_equal(symlink("../outside.txt", q), 0);
    snprintf(q, sizeof q, "%s/dirlink", d_out);
    assert_int_equal(symlink("..", q), 0);
    snprintf(q, sizeof q, "%s/link-in", d_out);
    assert_int_equal(symlink("inside.txt", q), 0);
    return root;
}

static void test_guest_readfile(void **state) {
    (void)state;
    NEED_GUESTS();
    char d[512], f1[600], f2[600], sub[600];
    make_tree(d);
    snprintf(f1, sizeof f1, "%s/f.txt", d);
    snprintf(f2, sizeof f2, "%s/inside.txt", d);
    snprintf(sub, sizeof sub, "%s/sub", d);
    const char *nat[] = {f1, f2, "-l", d, "-l", sub};
    const char *was[] = {"/data/f.txt", "/data/inside.txt", "-l", "/data", "-l", "/data/sub"};
    struct dir_grant g = {d, "/data", UW_WASI_DIR_READ};
    differential("readfile", nat, was, 6, &g, 1, NULL, NULL);
    /* The same with the preopen named "." and relative paths. */
    const char *rel[] = {"f.txt", "./inside.txt", "-l", ".", "-l", "sub/"};
    struct dir_grant g2 = {d, ".", UW_WASI_DIR_READ};
    differential("readfile", nat, rel, 6, &g2, 1, NULL, NULL);
    /* A missing file fails cleanly (exit 1, message) in both. */
    char miss[600];
    snprintf(miss, sizeof miss, "%s/missing.txt", d);
    const char *nm[] = {miss};
    const char *wm[] = {"/data/missing.txt"};
    differential("readfile", nm, wm, 1, &g, 1, NULL, NULL);
}

/* Whether the kernel offers openat2 (Linux 5.6+, not filtered by seccomp). */
static int have_openat2(void) {
#ifdef SYS_openat2
    struct {
        uint64_t flags, mode, resolve;
    } how = {O_PATH | O_CLOEXEC, 0, 0x08 /* RESOLVE_BENEATH */};
    long fd = syscall(SYS_openat2, AT_FDCWD, ".", &how, sizeof how);
    if (fd >= 0) close((int)fd);
    return fd >= 0;
#else
    return 0;
#endif
}

static void check_escape(int walk, unsigned flags) {
    char d[512];
    const char *root = make_tree(d);
    uw__wasi_force_walk(walk);
    struct dir_grant g = {d, "/data", flags};
    const char *args[] = {"/data"};
    umbra_buf out;
    uw_trap t;
    int code = run_api("escape", args, 1, &g, 1, NULL, NULL, &out, &t);
    uw__wasi_force_walk(0);
    assert_int_equal(code, 0);
    const char *s = (const char *)out.data;
    assert_non_null(strstr(s, "inside: ok\n"));
    const char *denied[] = {"dotdot", "sub-dotdot", "absolute", "symlink-file", "symlink-dir"};
    for (size_t i = 0; i < sizeof denied / sizeof denied[0]; i++) {
        char want[64];
        snprintf(want, sizeof want, "\n%s: denied ", denied[i]);
        if (!strstr(s, want)) fail_msg("escape (%s, %s): %s not denied:\n%s", walk ? "walk" : "openat2",
                                       flags ? "rw" : "ro", denied[i], s);
    }
    /* A symlink that stays inside is followed with openat2; the walk never follows links
     * (and is what runs everywhere when the kernel has no openat2). */
    assert_non_null(strstr(s, walk || !have_openat2() ? "symlink-inside: denied ELOOP" : "symlink-inside: ok"));
    if (flags & UW_WASI_DIR_WRITE) {
        assert_non_null(strstr(s, "create: ok\n"));
        assert_non_null(strstr(s, "write: ok\n"));
    } else {
        assert_non_null(strstr(s, "create: denied EROFS\n"));
        assert_non_null(strstr(s, "write: denied EROFS\n"));
    }
    /* Nothing outside changed. */
    char p[600];
    snprintf(p, sizeof p, "%s/new.txt", root);
    assert_int_equal(access(p, F_OK), -1);
    umbra_buf_free(&out);
}

static void test_guest_escape(void **state) {
    (void)state;
    NEED_GUESTS();
    check_escape(0, UW_WASI_DIR_READ);
    check_escape(0, UW_WASI_DIR_WRITE);
    check_escape(1, UW_WASI_DIR_READ);
    check_escape(1, UW_WASI_DIR_WRITE);
}

static void test_guest_writefile(void **state) {
    (void)state;
    NEED_GUESTS();
    const char *dir = tu_tmpdir();
    const char *args[] = {"/out"};
    struct dir_grant g = {dir, "/out", UW_WASI_DIR_WRITE};
    umbra_buf out;
    uw_trap t;
    assert_int_equal(run_api("writefile", args, 1, &g, 1, NULL, NULL, &out, &t), 0);
    assert_string_equal((const char *)out.data,
                        "read: line 0\nread: line 1\nread: line 2\nread: appended\nclock ok random ok\n");
    umbra_buf_free(&out);
    char p[600];
    uint8_t *data;
    size_t n;
    snprintf(p, sizeof p, "%s/out.txt", dir);
    assert_int_equal(umbra_file_read(p, 1 << 20, &data, &n), 0);
    assert_string_equal((const char *)data, "line 0\nline 1\nline 2\nappended\n");
    umbra_free(data);
    /* Read-only grant: the create fails, the guest reports it and exits 1. */
    const char *dir2 = tu_tmpdir();
    struct dir_grant g2 = {dir2, "/out", UW_WASI_DIR_READ};
    assert_int_equal(run_api("writefile", args, 1, &g2, 1, NULL, NULL, &out, &t), 1);
    assert_string_equal((const char *)out.data, "create failed\n");
    umbra_buf_free(&out);
    snprintf(p, sizeof p, "%s/out.txt", dir2);
    assert_int_equal(access(p, F_OK), -1);
}


/* File-system operations in a writable grant (mkdir, pwrite/pread, ftruncate, rename,
 * symlink/readlink, hard links, utimensat, unlink, rmdir and their errors) behave as on
 * the host: same output as the native build run in its own directory. */
static void test_guest_fsops(void **state) {
    (void)state;
    NEED_GUESTS();
    const char *nd = tu_tmpdir(), *wd = tu_tmpdir();
    const char *nat[] = {nd};
    const char *was[] = {"/w"};
    struct dir_grant g = {wd, "/w", UW_WASI_DIR_WRITE};
    differential("fsops", nat, was, 1, &g, 1, NULL, NULL);
    /* Read-only: every modification is refused and nothing is created. */
    const char *rd = tu_tmpdir();
    struct dir_grant r = {rd, "/w", UW_WASI_DIR_READ};
    umbra_buf out;
    uw_trap t;
    assert_int_equal(run_api("fsops", was, 1, &r, 1, NULL, NULL, &out, &t), 1);
    assert_string_equal((const char *)out.data, "mkdir a: EROFS\nmkdir a again: EROFS\nmkdir a/b: EROFS\n"
                                                "mkdir x/y: EROFS\ncreate: fail\n");
    umbra_buf_free(&out);
    char p[600];
    snprintf(p, sizeof p, "%s/a", rd);
    assert_int_equal(access(p, F_OK), -1);
}

/* Many entries with long names: fd_readdir fills wasi-libc's buffer several times over and
 * hits the partial-entry path; the listing must equal the native one. */
static void test_guest_readdir_many(void **state) {
    (void)state;
    NEED_GUESTS();
    const char *dir = tu_tmpdir();
    char name[400], p[700];
    for (int i = 0; i < 300; i++) {
        int n = snprintf(name, sizeof name, "f%03d-", i);
        memset(name + n, 'a' + i % 26, (size_t)(40 + (i * 37) % 200));
        name[n + 40 + (i * 37) % 200] = 0;
        snprintf(p, sizeof p, "%s/%s", dir, name);
        assert_int_equal(put_file(p, "x", 1, 0644), 0);
    }
    const char *nat[] = {"-l", dir};
    const char *was[] = {"-l", "/big"};
    struct dir_grant g = {dir, "/big", UW_WASI_DIR_READ};
    differential("readfile", nat, was, 2, &g, 1, NULL, NULL);
}

static int count_fds(void) {
    int n = 0;
    char p[64];
    for (int fd = 0; fd < 4096; fd++) {
        snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
        if (access(p, F_OK) == 0) n++;
    }
    return n;
}

/* One instance and one ctx serve several runs through uw_instance_reset() +
 * uw_wasi_ctx_reset() (the per-request path); files the guest left open are closed by the
 * reset and by uw_wasi_ctx_free (no host fd leaks). */
static void test_reset_reuse(void **state) {
    (void)state;
    NEED_GUESTS();
    char d[512];
    make_tree(d);
    int fds_before = count_fds();
    uw_engine *e = engine();
    uw_module *m = load(e, guest_path("readfile", 1));
    uw_wasi_ctx *c = NULL;
    assert_int_equal(uw_wasi_ctx_new(&c), 0);
    const char *argv[] = {"readfile", "/data/inside.txt", "-l", "/data/sub"};
    assert_int_equal(uw_wasi_ctx_set_args(c, 4, argv), 0);
    assert_int_equal(uw_wasi_ctx_preopen(c, d, "/data", 0), 0);
    umbra_buf out;
    umbra_buf_init(&out, 1 << 20);
    uw_wasi_ctx_set_output(c, capture, &out);
    uw_instance_config ic = {.host_data = c};
    uw_instance *in = NULL;
    uw_trap t;
    assert_int_equal(uw_instance_new(m, NULL, &ic, &in, &t), 0);
    char *first = NULL;
    for (int run = 0; run < 5; run++) {
        if (run) {
            assert_int_equal(uw_instance_reset(in, &t), 0);
            uw_wasi_ctx_reset(c);
        }
        umbra_buf_reset(&out);
        int code = -1;
        assert_int_equal(uw_wasi_run(in, c, &code, &t), 0);
        assert_int_equal(code, 0);
        if (!first) first = strdup((const char *)out.data);
        else assert_string_equal((const char *)out.data, first);
    }
    assert_non_null(strstr(first, "file 1: size 3 lines 1"));
    free(first);
    uw_instance_free(in);
    uw_wasi_ctx_free(c);
    uw_module_free(m);
    uw_engine_free(e);
    umbra_buf_free(&out);
    assert_int_equal(count_fds(), fds_before);
}

/* With a getter, the ctx comes from the embedder's own host data. */
struct embedder_state {
    int magic;
    uw_wasi_ctx *wasi;
};
static uw_wasi_ctx *get_ctx(uw_call *call) {
    struct embedder_state *s = uw_call_host_data(call);
    return s && s->magic == 0x5eed ? s->wasi : NULL;
}

static void test_custom_getter(void **state) {
    (void)state;
    NEED_GUESTS();
    uw_engine *e = NULL;
    assert_int_equal(uw_engine_new(NULL, &e), 0);
    assert_int_equal(uw_wasi_define(e, get_ctx), 0);
    uw_module *m = load(e, guest_path("argsenv", 1));
    struct embedder_state st = {0x5eed, NULL};
    assert_int_equal(uw_wasi_ctx_new(&st.wasi), 0);
    const char *argv[] = {"argsenv", "via-getter"};
    assert_int_equal(uw_wasi_ctx_set_args(st.wasi, 2, argv), 0);
    umbra_buf out;
    umbra_buf_init(&out, 1 << 20);
    uw_wasi_ctx_set_output(st.wasi, capture, &out);
    uw_instance_config ic = {.host_data = &st};
    uw_instance *in = NULL;
    uw_trap t;
    assert_int_equal(uw_instance_new(m, NULL, &ic, &in, &t), 0);
    int code = -1;
    assert_int_equal(uw_wasi_run(in, st.wasi, &code, &t), 0);
    assert_int_equal(code, 0);
    assert_string_equal((const char *)out.data, "argc 2\nargv[1] = [via-getter]\n");
    uw_instance_free(in);
    uw_wasi_ctx_free(st.wasi);
    uw_module_free(m);
    uw_engine_free(e);
    umbra_buf_free(&out);
}

/* ---- ABI edge cases with hand-written modules ------------------------------------------------ */
static const char *abi_wat =
    "(module\n"
    "  (import \"wasi_snapshot_preview1\" \"fd_write\" (func $fd_write (param i32 i32 i32 i32) (result i32)))\n"
    "  (import \"wasi_snapshot_preview1\" \"args_sizes_get\" (func $args_sizes (param i32 i32) (result i32)))\n"
    "  (import \"wasi_snapshot_preview1\" \"random_get\" (func $random (param i32 i32) (result i32)))\n"
    "  (import \"wasi_snapshot_preview1\" \"clock_time_get\" (func $clock (param i32 i64 i32) (result i32)))\n"
    "  (import \"wasi_snapshot_preview1\" \"sock_accept\" (func $accept (param i32 i32 i32) (result i32)))\n"
    "  (import \"wasi_snapshot_preview1\" \"path_open\" (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))\n"
    "  (import \"wasi_snapshot_preview1\" \"fd_prestat_get\" (func $prestat (param i32 i32) (result i32)))\n"
    "  (import \"wasi_snapshot_preview1\" \"poll_oneoff\" (func $poll (param i32 i32 i32 i32) (result i32)))\n"
    "  (import \"wasi_snapshot_preview1\" \"proc_exit\" (func $exit (param i32)))\n"
    "  (memory (export \"memory\") 1)\n"
    "  (data (i32.const 100) \"/etc/passwd\")\n"
    "  (data (i32.const 200) \"../x\")\n"
    "  (func (export \"bad_iov\") (result i32) (call $fd_write (i32.const 1) (i32.const 65532) (i32.const 1) (i32.const 0)))\n"
    "  (func (export \"bad_buf\") (result i32)\n"
    "    (i32.store (i32.const 0) (i32.const 65000)) (i32.store (i32.const 4) (i32.const 1000))\n"
    "    (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 16)))\n"
    "  (func (export \"bad_fd\") (result i32) (call $fd_write (i32.const 99) (i32.const 0) (i32.const 0) (i32.const 16)))\n"
    "  (func (export \"args_oob\") (result i32) (call $args_sizes (i32.const 65534) (i32.const 0)))\n"
    "  (func (export \"random_oob\") (result i32) (call $random (i32.const 0) (i32.const 65537)))\n"
    "  (func (export \"random_ok\") (result i32) (call $random (i32.const 1000) (i32.const 64)))\n"
    "  (func (export \"clock_bad\") (result i32) (call $clock (i32.const 99) (i64.const 0) (i32.const 0)))\n"
    "  (func (export \"nosys\") (result i32) (call $accept (i32.const 3) (i32.const 0) (i32.const 0)))\n"
    "  (func (export \"prestat_none\") (result i32) (call $prestat (i32.const 3) (i32.const 0)))\n"
    "  (func (export \"open_abs\") (result i32)\n"
    "    (call $open (i32.const 3) (i32.const 1) (i32.const 100) (i32.const 11) (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 0)))\n"
    "  (func (export \"open_up\") (result i32)\n"
    "    (call $open (i32.const 3) (i32.const 1) (i32.const 200) (i32.const 4) (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 0)))\n"
    "  (func (export \"open_path_oob\") (result i32)\n"
    "    (call $open (i32.const 3) (i32.const 1) (i32.const 65530) (i32.const 100) (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 0)))\n"
    /* one relative clock subscription of $ns nanoseconds: returns errno*1000 + nevents */
    "  (func (export \"sleep\") (param $ns i64) (result i32) (local $e i32)\n"
    "    (i64.store (i32.const 300) (i64.const 77)) (i32.store8 (i32.const 308) (i32.const 0))\n"
    "    (i32.store (i32.const 316) (i32.const 1)) (i64.store (i32.const 324) (local.get $ns))\n"
    "    (i64.store (i32.const 332) (i64.const 0)) (i32.store16 (i32.const 340) (i32.const 0))\n"
    "    (local.set $e (call $poll (i32.const 300) (i32.const 400) (i32.const 1) (i32.const 496)))\n"
    "    (i32.add (i32.mul (local.get $e) (i32.const 1000)) (i32.load (i32.const 496))))\n"
    "  (func (export \"event_userdata\") (result i64) (i64.load (i32.const 400)))\n"
    "  (func (export \"exit42\") (call $exit (i32.const 42)))\n"
    ")\n";

static int call_i32(uw_instance *in, const char *name) {
    uw_val r = {.type = UW_I32};
    uw_trap t;
    int rc = uw_instance_call(in, name, NULL, 0, &r, 1, &t);
    if (rc) fail_msg("%s: %s (%s)", name, umbra_strerror(rc), t.message);
    return r.of.i32;
}

static void test_abi_edges(void **state) {
    (void)state;
    NEED_WAT();
    uw_engine *e = engine();
    uw_module *m = load(e, wat(abi_wat));
    uw_wasi_ctx *c = NULL;
    assert_int_equal(uw_wasi_ctx_new(&c), 0);
    const char *dir = tu_tmpdir();
    assert_int_equal(uw_wasi_ctx_preopen(c, dir, "/sandbox", 0), 0);
    umbra_buf out;
    umbra_buf_init(&out, 1 << 20);
    uw_wasi_ctx_set_output(c, capture, &out);
    uw_instance_config ic = {.host_data = c};
    uw_instance *in = NULL;
    uw_trap t;
    assert_int_equal(uw_instance_new(m, NULL, &ic, &in, &t), 0);
    assert_int_equal(call_i32(in, "bad_iov"), 21);    /* EFAULT: iovec array past the end */
    assert_int_equal(call_i32(in, "bad_buf"), 21);    /* EFAULT: buffer past the end */
    assert_int_equal(call_i32(in, "bad_fd"), 8);      /* EBADF */
    assert_int_equal(call_i32(in, "args_oob"), 21);
    assert_int_equal(call_i32(in, "random_oob"), 21);
    assert_int_equal(call_i32(in, "random_ok"), 0);
    assert_int_equal(call_i32(in, "clock_bad"), 28);  /* EINVAL */
    assert_int_equal(call_i32(in, "nosys"), 52);      /* ENOSYS */
    assert_int_equal(call_i32(in, "prestat_none"), 0); /* fd 3 is the preopen */
    assert_int_equal(call_i32(in, "open_abs"), 76);   /* ENOTCAPABLE */
    assert_int_equal(call_i32(in, "open_up"), 76);
    assert_int_equal(call_i32(in, "open_path_oob"), 21);
    assert_int_equal(out.len, 0);

    /* poll_oneoff: a 30 ms clock subscription sleeps about that long, one event. */
    uw_val a = uw_val_i64(30000000), r = {.type = UW_I32};
    uint64_t t0 = umbra_now_ns();
    assert_int_equal(uw_instance_call(in, "sleep", &a, 1, &r, 1, &t), 0);
    uint64_t dt = umbra_now_ns() - t0;
    assert_int_equal(r.of.i32, 1);
    assert_true(dt >= 30000000u);
    uw_val ud = {.type = UW_I64};
    assert_int_equal(uw_instance_call(in, "event_userdata", NULL, 0, &ud, 1, &t), 0);
    assert_int_equal(ud.of.i64, 77);
    /* With a deadline, a 10 s sleep traps at the deadline instead. */
    uw_wasi_ctx_set_deadline(c, umbra_now_ns() + 50000000u);
    a = uw_val_i64(10000000000ll);
    t0 = umbra_now_ns();
    assert_int_equal(uw_instance_call(in, "sleep", &a, 1, &r, 1, &t), UMBRA_EWASM_TRAP);
    assert_true(umbra_now_ns() - t0 < 5000000000ull);
    assert_int_equal(t.kind, UW_TRAP_HOST);
    assert_non_null(strstr(t.message, "deadline"));
    uw_wasi_ctx_set_deadline(c, 0);

    /* proc_exit: the call stops with EXIT and the status. */
    memset(&t, 0, sizeof t);
    int rc = uw_instance_call(in, "exit42", NULL, 0, NULL, 0, &t);
    assert_true(rc == UMBRA_EWASM_EXIT || (rc == UMBRA_EWASM_TRAP && t.kind == UW_TRAP_EXIT));
    assert_int_equal(t.exit_code, 42);
    int code = 0;
    assert_int_equal(uw_wasi_ctx_exited(c, &code), 1);
    assert_int_equal(code, 42);
    uw_wasi_ctx_reset(c);
    assert_int_equal(uw_wasi_ctx_exited(c, &code), 0);

    uw_instance_free(in);
    uw_wasi_ctx_free(c);
    uw_module_free(m);
    uw_engine_free(e);
    umbra_buf_free(&out);
}

/* Hostile arguments: every WASI function (except proc_exit and poll_oneoff, which stop or
 * sleep by design) is called thousands of times with pseudo-random arguments — pointers
 * in and around the one-page memory, small and huge lengths, random fds, flags and
 * offsets. Every call must return an errno in 0..76; nothing may trap or crash, and the
 * granted (read-only) directory must stay unchanged. */
/* Argument kinds: 'i' any i32, 'I' any i64, 'f' an fd (mostly the preopen, 3), 'p' a path
 * pointer (mostly one of the prepared paths), 'l' a path length (mostly theirs, 12), 'x' an
 * fd other than the preopen (4..11: closing it or dropping its rights would end the
 * path work for the round; both are tested elsewhere). */
static const struct {
    const char *name, *params;
} wasi_sigs[] = {
    {"args_get", "ii"}, {"args_sizes_get", "ii"}, {"environ_get", "ii"}, {"environ_sizes_get", "ii"},
    {"clock_res_get", "ii"}, {"clock_time_get", "iIi"}, {"fd_advise", "fIIi"}, {"fd_allocate", "fII"},
    {"fd_close", "x"}, {"fd_datasync", "x"}, {"fd_fdstat_get", "fi"}, {"fd_fdstat_set_flags", "fi"},
    {"fd_fdstat_set_rights", "xII"}, {"fd_filestat_get", "fi"}, {"fd_filestat_set_size", "fI"},
    {"fd_filestat_set_times", "fIIi"}, {"fd_pread", "fiiIi"}, {"fd_prestat_get", "fi"},
    {"fd_prestat_dir_name", "fii"}, {"fd_pwrite", "fiiIi"}, {"fd_read", "fiii"}, {"fd_readdir", "fiiIi"},
    {"fd_renumber", "xx"}, {"fd_seek", "fIii"}, {"fd_sync", "x"}, {"fd_tell", "fi"}, {"fd_write", "iiii"},
    {"path_create_directory", "fpl"}, {"path_filestat_get", "fipli"}, {"path_filestat_set_times", "fiplIIi"},
    {"path_link", "fiplfpl"}, {"path_open", "fipliIIii"}, {"path_readlink", "fpliii"},
    {"path_remove_directory", "fpl"}, {"path_rename", "fplfpl"}, {"path_symlink", "plfpl"},
    {"path_unlink_file", "fpl"}, {"proc_raise", "i"}, {"sched_yield", ""}, {"random_get", "ii"},
    {"sock_accept", "iii"}, {"sock_recv", "iiiiii"}, {"sock_send", "iiiii"}, {"sock_shutdown", "ii"},
};

/* Builds the hostile module: one export "fuzz(n)" that calls every function in
 * wasi_sigs n times with arguments from a xorshift generator. An i32 argument is one of: a
 * pointer in and around the one-page memory, a small number (fds, flags), any value, a
 * length up to 300, a pointer to one of eight 12-byte paths at 1024 (escapes through "..",
 * an absolute path, a path through a symlink the guest may have made), or 12 (their
 * length). fuzz(n, seed) returns how many calls gave an errno outside 0..76. */
static const char *hostile_wat(void) {
    static const char *paths[8] = {"./././././x1", "./././../out", "./././././d1", "./d1/../../o",
                                   "/etc//passwd", "./././d1/lnk", "././lnk/../z", "./././././.."};
    umbra_buf w;
    umbra_buf_init(&w, 1 << 20);
    umbra_buf_printf(&w, "(module\n");
    size_t nf = sizeof wasi_sigs / sizeof wasi_sigs[0];
    for (size_t i = 0; i < nf; i++) {
        umbra_buf_printf(&w, "  (import \"wasi_snapshot_preview1\" \"%s\" (func $f%zu", wasi_sigs[i].name, i);
        if (*wasi_sigs[i].params) {
            umbra_buf_printf(&w, " (param");
            for (const char *c = wasi_sigs[i].params; *c; c++) umbra_buf_printf(&w, " %s", *c == 'I' ? "i64" : "i32");
            umbra_buf_printf(&w, ")");
        }
        umbra_buf_printf(&w, " (result i32)))\n");
    }
    umbra_buf_printf(&w, "  (memory (export \"memory\") 1)\n");
    for (int k = 0; k < 8; k++) umbra_buf_printf(&w, "  (data (i32.const %d) \"%s\")\n", 1024 + 16 * k, paths[k]);
    umbra_buf_printf(&w,
                     "  (global $s (mut i64) (i64.const 88172645463325252))\n"
                     "  (global $bad (mut i32) (i32.const 0))\n"
                     "  (func $r (result i64)\n"
                     "    (global.set $s (i64.xor (global.get $s) (i64.shl (global.get $s) (i64.const 13))))\n"
                     "    (global.set $s (i64.xor (global.get $s) (i64.shr_u (global.get $s) (i64.const 7))))\n"
                     "    (global.set $s (i64.xor (global.get $s) (i64.shl (global.get $s) (i64.const 17))))\n"
                     "    (global.get $s))\n"
                     "  (func $a (result i32) (local $v i64) (local.set $v (call $r))\n"
                     "    (block $o (block $p (block $d (block $c (block $b (block $z\n"
                     "      (br_table $z $b $c $d $p $o $o (i32.wrap_i64 (i64.rem_u (local.get $v) (i64.const 7)))))\n"
                     "      (return (i32.wrap_i64 (i64.rem_u (i64.shr_u (local.get $v) (i64.const 8)) (i64.const 70000)))))\n"
                     "      (return (i32.wrap_i64 (i64.rem_u (i64.shr_u (local.get $v) (i64.const 8)) (i64.const 8)))))\n"
                     "      (return (i32.wrap_i64 (i64.shr_u (local.get $v) (i64.const 16)))))\n"
                     "      (return (i32.wrap_i64 (i64.rem_u (i64.shr_u (local.get $v) (i64.const 8)) (i64.const 300)))))\n"
                     "      (return (i32.add (i32.const 1024) (i32.mul (i32.const 16)\n"
                     "        (i32.wrap_i64 (i64.rem_u (i64.shr_u (local.get $v) (i64.const 8)) (i64.const 8)))))))\n"
                     "    (i32.const 12))\n"
                     "  (func $A (result i64) (local $v i64) (local.set $v (call $r))\n"
                     "    (if (result i64) (i64.eqz (i64.and (local.get $v) (i64.const 1)))\n"
                     "      (then (i64.rem_u (local.get $v) (i64.const 1000))) (else (local.get $v))))\n"
                     "  (func $f (result i32) (local $v i64) (local.set $v (call $r))\n"
                     "    (if (result i32) (i64.lt_u (i64.rem_u (local.get $v) (i64.const 4)) (i64.const 2))\n"
                     "      (then (i32.const 3))\n"
                     "      (else (i32.wrap_i64 (i64.rem_u (i64.shr_u (local.get $v) (i64.const 8)) (i64.const 8))))))\n"
                     "  (func $p (result i32) (local $v i64) (local.set $v (call $r))\n"
                     "    (if (result i32) (i64.lt_u (i64.rem_u (local.get $v) (i64.const 10)) (i64.const 7))\n"
                     "      (then (i32.add (i32.const 1024) (i32.mul (i32.const 16)\n"
                     "        (i32.wrap_i64 (i64.rem_u (i64.shr_u (local.get $v) (i64.const 8)) (i64.const 8))))))\n"
                     "      (else (call $a))))\n"
                     "  (func $x (result i32)\n"
                     "    (i32.add (i32.const 4) (i32.wrap_i64 (i64.rem_u (call $r) (i64.const 8)))))\n"
                     "  (func $l (result i32)\n"
                     "    (if (result i32) (i64.lt_u (i64.rem_u (call $r) (i64.const 10)) (i64.const 7))\n"
                     "      (then (i32.const 12)) (else (call $a))))\n"
                     "  (func $check (param $e i32) (if (i32.gt_u (local.get $e) (i32.const 76))\n"
                     "    (then (global.set $bad (i32.add (global.get $bad) (i32.const 1))))))\n"
                     "  (func (export \"fuzz\") (param $n i32) (param $seed i64) (result i32)\n"
                     "    (global.set $s (local.get $seed))\n"
                     "    (loop $l\n");
    for (size_t i = 0; i < nf; i++) {
        umbra_buf_printf(&w, "      (call $check (call $f%zu", i);
        for (const char *c = wasi_sigs[i].params; *c; c++) umbra_buf_printf(&w, " (call $%c)", *c == 'i' ? 'a' : *c == 'I' ? 'A' : *c);
        umbra_buf_printf(&w, "))\n");
    }
    umbra_buf_printf(&w,
                     "      (local.set $n (i32.sub (local.get $n) (i32.const 1)))\n"
                     "      (br_if $l (local.get $n)))\n"
                     "    (global.get $bad)))\n");
    const char *path = wat((const char *)w.data);
    umbra_buf_free(&w);
    return path;
}

/* Runs the hostile module against a grant `root/g` (read-only or writable, openat2 or the
 * walk). Afterwards nothing may exist in root besides g (and, read-only, g keeps exactly
 * its one file). */
static void hostile_run(const char *module_path, unsigned flags, int walk) {
    const char *root = tu_tmpdir();
    char g[600], f[700], cmd[800];
    snprintf(g, sizeof g, "%s/g", root);
    assert_int_equal(mkdir(g, 0755), 0);
    snprintf(f, sizeof f, "%s/keep.txt", g);
    assert_int_equal(put_file(f, "keep\n", 5, 0644), 0);
    uw_engine *e = engine();
    uw_module *m = load(e, module_path);
    uw_wasi_ctx *c = NULL;
    assert_int_equal(uw_wasi_ctx_new(&c), 0);
    const char *argv[] = {"fuzz", "a", "bb"};
    assert_int_equal(uw_wasi_ctx_set_args(c, 3, argv), 0);
    assert_int_equal(uw_wasi_ctx_add_env(c, "K", "V"), 0);
    assert_int_equal(uw_wasi_ctx_preopen(c, g, "/g", flags), 0);
    assert_int_equal(uw_wasi_ctx_set_stdin_bytes(c, (const uint8_t *)"input", 5), 0);
    umbra_buf out;
    umbra_buf_init(&out, 1 << 20);
    uw_wasi_ctx_set_output(c, capture, &out);
    uw_instance_config ic = {.host_data = c};
    uw_instance *in = NULL;
    uw_trap t;
    assert_int_equal(uw_instance_new(m, NULL, &ic, &in, &t), 0);
    uw__wasi_force_walk(walk);
    for (int round = 0; round < 6; round++) {
        uw_val a[2] = {uw_val_i32(300), uw_val_i64(0x9E3779B97F4A7C15ll * (round + 1))}, r = {.type = UW_I32};
        int rc = uw_instance_call(in, "fuzz", a, 2, &r, 1, &t);
        if (rc) {
            uw__wasi_force_walk(0);
            fail_msg("round %d: %s: %s", round, uw_trap_kind_text(t.kind), t.message);
        }
        assert_int_equal(r.of.i32, 0); /* no errno out of range */
        /* Fresh memory (the prepared paths again) and fds; the file system keeps what the
         * earlier rounds made, so later rounds meet their links and directories. */
        assert_int_equal(uw_instance_reset(in, &t), 0);
        uw_wasi_ctx_reset(c);
    }
    uw__wasi_force_walk(0);
    uw_instance_free(in);
    uw_wasi_ctx_free(c);
    uw_module_free(m);
    uw_engine_free(e);
    umbra_buf_free(&out);
    snprintf(cmd, sizeof cmd, "test \"$(ls -A '%s')\" = g", root);
    if (system(cmd) != 0) fail_msg("something was created next to the grant in %s", root);
    if (!(flags & UW_WASI_DIR_WRITE)) {
        uint8_t *data;
        size_t len;
        assert_int_equal(umbra_file_read(f, 1 << 20, &data, &len), 0);
        assert_string_equal((const char *)data, "keep\n");
        umbra_free(data);
        snprintf(cmd, sizeof cmd, "test \"$(ls -A '%s')\" = keep.txt", g);
        assert_int_equal(system(cmd), 0);
    }
}

static void test_hostile_arguments(void **state) {
    (void)state;
    NEED_WAT();
    const char *mod = hostile_wat();
    char path[300];
    snprintf(path, sizeof path, "%s", mod);
    hostile_run(path, UW_WASI_DIR_READ, 0);
    hostile_run(path, UW_WASI_DIR_WRITE, 0);
    hostile_run(path, UW_WASI_DIR_READ, 1);
    hostile_run(path, UW_WASI_DIR_WRITE, 1);
}

/* ---- umbra run --------------------------------------------------------------------------------- */
static void umbra_run(const char *const *args, const char *stdin_text, struct proc_out *p) {
    const char *argv[40];
    argv[0] = tu_umbra_binary();
    argv[1] = "run";
    int n = 2;
    for (int i = 0; args[i]; i++) argv[n++] = args[i];
    argv[n] = NULL;
    run_proc(argv, stdin_text, NULL, p);
}

static void test_cli_basics(void **state) {
    (void)state;
    struct proc_out p;
    const char *help[] = {"--help", NULL};
    umbra_run(help, NULL, &p);
    assert_int_equal(p.status, 0);
    assert_non_null(strstr(p.out, "--max-memory"));
    proc_free(&p);
    const char *none[] = {NULL};
    umbra_run(none, NULL, &p);
    assert_int_equal(p.status, 2);
    proc_free(&p);
    const char *badopt[] = {"--fuel", "lots", "x.wasm", NULL};
    umbra_run(badopt, NULL, &p);
    assert_int_equal(p.status, 2);
    assert_non_null(strstr(p.err, "--fuel"));
    proc_free(&p);
    const char *badmem[] = {"--max-memory", "12parsecs", "x.wasm", NULL};
    umbra_run(badmem, NULL, &p);
    assert_int_equal(p.status, 2);
    proc_free(&p);
    const char *missing[] = {"/nonexistent/x.wasm", NULL};
    umbra_run(missing, NULL, &p);
    assert_int_equal(p.status, 1);
    proc_free(&p);
    /* Not a module: one line, exit 3. */
    char junk[300];
    snprintf(junk, sizeof junk, "%s/junk.wasm", tu_tmpdir());
    assert_int_equal(put_file(junk, "\0asm\x02\0\0\0garbage", 16, 0644), 0);
    const char *bad[] = {junk, NULL};
    umbra_run(bad, NULL, &p);
    assert_int_equal(p.status, 3);
    assert_non_null(strstr(p.err, "malformed"));
    char *nl = strchr(p.err, '\n');
    assert_true(nl && nl[1] == 0);
    proc_free(&p);
}

static void test_cli_modules(void **state) {
    (void)state;
    NEED_WAT();
    struct proc_out p;
    /* --invoke with values and results. */
    const char *add = wat("(module (func (export \"add\") (param i32 i64) (result i64)\n"
                          "  (i64.add (i64.extend_i32_s (local.get 0)) (local.get 1))))");
    const char *inv[] = {"--invoke", "add", add, "-5", "0x10", NULL};
    umbra_run(inv, NULL, &p);
    assert_int_equal(p.status, 0);
    assert_string_equal(p.out, "11\n");
    proc_free(&p);
    const char *inv2[] = {add, "--invoke", "add", "1", NULL};
    umbra_run(inv2, NULL, &p);
    assert_int_equal(p.status, 2); /* wrong number of values */
    proc_free(&p);
    /* A trap: kind on stderr, exit 134. */
    const char *trap = wat("(module (func (export \"_start\") unreachable))");
    const char *tr[] = {trap, NULL};
    umbra_run(tr, NULL, &p);
    assert_int_equal(p.status, 134);
    assert_non_null(strstr(p.err, "unreachable"));
    proc_free(&p);
    /* Fuel and timeout stop an infinite loop. */
    const char *loop = wat("(module (func (export \"_start\") (loop $l (br $l))))");
    const char *fu[] = {"--fuel", "100000", loop, NULL};
    umbra_run(fu, NULL, &p);
    assert_int_equal(p.status, 134);
    assert_non_null(strstr(p.err, "fuel"));
    proc_free(&p);
    const char *to[] = {"--timeout", "200ms", loop, NULL};
    umbra_run(to, NULL, &p);
    assert_int_equal(p.status, 134);
    assert_non_null(strstr(p.err, "deadline"));
    assert_true(p.secs < 10.0);
    proc_free(&p);
    /* A memory cap below the module's minimum. */
    const char *big = wat("(module (memory 20) (func (export \"_start\")))");
    const char *mm[] = {"--max-memory", "1MiB", big, NULL};
    umbra_run(mm, NULL, &p);
    assert_int_equal(p.status, 134);
    proc_free(&p);
    const char *mm2[] = {"--max-memory", "20pages", big, NULL};
    umbra_run(mm2, NULL, &p);
    assert_int_equal(p.status, 0);
    proc_free(&p);
    /* An invalid (well-formed, but ill-typed) module: one line, exit 3. */
    const char *inval = wat_opt("(module (func (export \"_start\") (result i32) i64.const 1))", 0);
    const char *iv[] = {inval, NULL};
    umbra_run(iv, NULL, &p);
    assert_int_equal(p.status, 3);
    assert_non_null(strstr(p.err, "invalid module"));
    assert_true(strchr(p.err, '\n') == p.err + strlen(p.err) - 1);
    proc_free(&p);
    /* A module without _start needs --invoke. */
    const char *lib = wat("(module (func (export \"f\")))");
    const char *li[] = {lib, NULL};
    umbra_run(li, NULL, &p);
    assert_int_equal(p.status, 3);
    assert_non_null(strstr(p.err, "_start"));
    proc_free(&p);
    /* An import umbra does not provide: exit 3, named. */
    const char *imp = wat("(module (import \"env\" \"nope\" (func)) (func (export \"_start\")))");
    const char *im[] = {imp, NULL};
    umbra_run(im, NULL, &p);
    assert_int_equal(p.status, 3);
    assert_non_null(strstr(p.err, "nope"));
    proc_free(&p);
}

static void test_cli_guests(void **state) {
    (void)state;
    NEED_GUESTS();
    struct proc_out w, n;
    const char *hello[] = {guest_path("hello", 1), NULL};
    umbra_run(hello, NULL, &w);
    const char *nh[] = {guest_path("hello", 0), NULL};
    run_proc(nh, NULL, NULL, &n);
    assert_int_equal(w.status, 0);
    assert_string_equal(w.out, n.out);
    assert_non_null(strstr(w.err, "this goes to stderr"));
    proc_free(&w);
    proc_free(&n);

    const char *ex[] = {guest_path("exitcode", 1), "exit", "7", NULL};
    umbra_run(ex, NULL, &w);
    assert_int_equal(w.status, 7);
    assert_string_equal(w.out, "mode exit code 7\natexit ran\n");
    proc_free(&w);

    const char *ae[] = {"--env", "WASI_TEST_A=from cli", guest_path("argsenv", 1), "-x", "$WASI_TEST_A", "$HOME", "--help", NULL};
    umbra_run(ae, NULL, &w);
    assert_int_equal(w.status, 0);
    assert_string_equal(w.out, "argc 5\nargv[1] = [-x]\nargv[2] = [$WASI_TEST_A]\n  env WASI_TEST_A = [from cli]\n"
                               "argv[3] = [$HOME]\n  env HOME = (unset)\nargv[4] = [--help]\n");
    proc_free(&w);

    char d[512], spec[600], f[600];
    make_tree(d);
    snprintf(spec, sizeof spec, "%s::/data", d);
    snprintf(f, sizeof f, "%s/f.txt", d);
    const char *rf[] = {"--dir", spec, guest_path("readfile", 1), "--", "/data/f.txt", NULL};
    umbra_run(rf, NULL, &w);
    const char *nr[] = {guest_path("readfile", 0), f, NULL};
    run_proc(nr, NULL, NULL, &n);
    assert_int_equal(w.status, 0);
    assert_string_equal(w.out, n.out);
    proc_free(&w);
    proc_free(&n);
    /* Without --dir the guest cannot see the file. */
    const char *nodir[] = {guest_path("readfile", 1), "/data/f.txt", NULL};
    umbra_run(nodir, NULL, &w);
    assert_int_equal(w.status, 1);
    proc_free(&w);
    /* --dir is read-only; --dir-rw writes. */
    const char *wr[] = {"--dir", spec, guest_path("writefile", 1), "/data", NULL};
    umbra_run(wr, NULL, &w);
    assert_int_equal(w.status, 1);
    proc_free(&w);
    const char *wr2[] = {"--dir-rw", spec, guest_path("writefile", 1), "/data", NULL};
    umbra_run(wr2, NULL, &w);
    assert_int_equal(w.status, 0);
    proc_free(&w);
    /* stdin passes through. */
    const char *si[] = {guest_path("stdin_echo", 1), NULL};
    umbra_run(si, "abc", &w);
    assert_string_equal(w.out, "ABC\n3 bytes\n");
    proc_free(&w);
    /* poll() on a host pipe that becomes readable later (ppoll path), then sleeps. */
    char pcmd[1500];
    snprintf(pcmd, sizeof pcmd, "(sleep 0.3; printf xyz) | '%s' run '%s'", tu_umbra_binary(), guest_path("pollsleep", 1));
    const char *psh[] = {"/bin/sh", "-c", pcmd, NULL};
    run_proc(psh, NULL, NULL, &w);
    assert_int_equal(w.status, 0);
    assert_string_equal(w.out, "poll 1 readable 1\nread 3 [xyz]\nnanosleep ok\nabs sleep ok\n");
    proc_free(&w);
    /* A guest blocked reading an idle stdin is stopped by --timeout too. */
    char cmd[1500];
    snprintf(cmd, sizeof cmd, "sleep 2 | '%s' run --timeout 200ms '%s'", tu_umbra_binary(), guest_path("stdin_echo", 1));
    const char *sh[] = {"/bin/sh", "-c", cmd, NULL};
    run_proc(sh, NULL, NULL, &w);
    assert_int_equal(w.status, 134);
    assert_non_null(strstr(w.err, "deadline"));
    proc_free(&w);
    /* A WASI reactor: _initialize runs first, then the export, whose output and result
     * both reach stdout. */
    const char *re[] = {"--invoke", "square_sum", guest_path("reactor", 1), "4", "-100", NULL};
    umbra_run(re, NULL, &w);
    assert_int_equal(w.status, 0);
    assert_string_equal(w.out, "square_sum(4)\n-86\n");
    proc_free(&w);
    /* A guest that runs out of fuel traps with 134. */
    const char *fu[] = {"--fuel", "1000", guest_path("compute", 1), NULL};
    umbra_run(fu, NULL, &w);
    assert_int_equal(w.status, 134);
    assert_non_null(strstr(w.err, "fuel"));
    proc_free(&w);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ctx_api),
        cmocka_unit_test(test_cli_basics),
        cmocka_unit_test(test_abi_edges),
        cmocka_unit_test(test_hostile_arguments),
        cmocka_unit_test(test_cli_modules),
        cmocka_unit_test(test_guests_stdout),
        cmocka_unit_test(test_guests_exit_codes),
        cmocka_unit_test(test_guest_readfile),
        cmocka_unit_test(test_guest_escape),
        cmocka_unit_test(test_guest_writefile),
        cmocka_unit_test(test_guest_fsops),
        cmocka_unit_test(test_guest_readdir_many),
        cmocka_unit_test(test_reset_reuse),
        cmocka_unit_test(test_custom_getter),
        cmocka_unit_test(test_cli_guests),
    };
    signal(SIGPIPE, SIG_IGN);
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    remove_tmpdirs();
    return failed;
}
