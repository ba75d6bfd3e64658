/* tests for src/base/file.c */
#include "testutil.h"
#include "umbra/base.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

/* Number of entries in dir (besides . and ..): temp files must never be left behind. */
static int count_entries(const char *dir) {
    DIR *d = opendir(dir);
    int n = 0;
    assert_non_null(d);
    for (struct dirent *e; (e = readdir(d));)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(d);
    return n;
}

static void write_read_and_mode(void **state) {
    (void)state;
    const char *dir = tu_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/f", dir);
    umask(022);
    assert_int_equal(umbra_file_write_atomic(path, "hello", 5, 0600), 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    /* The mode is exact (umask does not apply) and replaces the old one. */
    assert_int_equal(umbra_file_write_atomic(path, "bye", 3, 0644), 0);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0644);
    uint8_t *data;
    size_t n;
    assert_int_equal(umbra_file_read(path, 100, &data, &n), 0);
    assert_int_equal(n, 3);
    assert_string_equal((char *)data, "bye");
    umbra_free(data);
    /* Empty files and exact caps. */
    assert_int_equal(umbra_file_write_atomic(path, NULL, 0, 0600), 0);
    assert_int_equal(umbra_file_read(path, 0, &data, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(data[0], 0);
    umbra_free(data);
    static uint8_t big[10000];
    for (size_t i = 0; i < sizeof big; i++) big[i] = (uint8_t)(i * 7);
    assert_int_equal(umbra_file_write_atomic(path, big, sizeof big, 0600), 0);
    assert_int_equal(umbra_file_read(path, sizeof big, &data, &n), 0);
    assert_int_equal(n, sizeof big);
    assert_memory_equal(data, big, sizeof big);
    umbra_free(data);
    assert_int_equal(umbra_file_read(path, sizeof big - 1, &data, &n), UMBRA_ETOOBIG);
    assert_null(data);
    assert_int_equal(n, 0);
    assert_int_equal(umbra_file_read(path, SIZE_MAX, &data, &n), 0);
    umbra_free(data);
    assert_int_equal(count_entries(dir), 1);
}

static void read_errors_and_unsized_files(void **state) {
    (void)state;
    uint8_t *data;
    size_t n;
    char path[512];
    const char *dir = tu_tmpdir();
    snprintf(path, sizeof path, "%s/missing", dir);
    assert_int_equal(umbra_file_read(path, 10, &data, &n), UMBRA_ENOENT);
    assert_int_equal(umbra_file_read(dir, 10, &data, &n), UMBRA_EINVAL);
    /* /proc files report size 0: the cap must still hold. */
    assert_int_equal(umbra_file_read("/proc/self/status", 1 << 20, &data, &n), 0);
    assert_true(n > 10);
    assert_int_equal(strlen((char *)data), n);
    umbra_free(data);
    assert_int_equal(umbra_file_read("/proc/self/status", 10, &data, &n), UMBRA_ETOOBIG);
    /* Allocation failure is reported, not a crash. */
    umbra_alloc_fail_after(1, 0);
    assert_int_equal(umbra_file_read("/proc/self/status", 1 << 20, &data, &n), UMBRA_ENOMEM);
    umbra_alloc_fail_after(0, 0);
}

/* A write that fails half way (file size limit → EFBIG) leaves the old content and mode and
 * no temp file. */
static void failed_write_keeps_old_content(void **state) {
    (void)state;
    const char *dir = tu_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/keep", dir);
    assert_int_equal(umbra_file_write_atomic(path, "old content", 11, 0640), 0);
    static uint8_t big[1 << 16];
    memset(big, 'N', sizeof big);
    struct rlimit old, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    lim = old;
    lim.rlim_cur = 4096;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    int rc = umbra_file_write_atomic(path, big, sizeof big, 0600);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, prev);
    assert_int_equal(rc, UMBRA_ENOSPACE);
    uint8_t *data;
    size_t n;
    assert_int_equal(umbra_file_read(path, 100, &data, &n), 0);
    assert_int_equal(n, 11);
    assert_memory_equal(data, "old content", 11);
    umbra_free(data);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0640);
    assert_int_equal(count_entries(dir), 1);
    /* Renaming over a directory fails: the directory stays, no temp file is left. */
    char sub[600];
    snprintf(sub, sizeof sub, "%s/sub", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    char inner[700];
    snprintf(inner, sizeof inner, "%s/x", sub);
    assert_int_equal(umbra_file_write_atomic(inner, "x", 1, 0600), 0);
    assert_true(umbra_file_write_atomic(sub, "new", 3, 0600) < 0);
    assert_int_equal(stat(sub, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(count_entries(dir), 2);
    /* No such directory. */
    snprintf(inner, sizeof inner, "%s/nodir/x", dir);
    assert_int_equal(umbra_file_write_atomic(inner, "x", 1, 0600), UMBRA_ENOENT);
}

static void create_is_exclusive(void **state) {
    (void)state;
    const char *dir = tu_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/key", dir);
    assert_int_equal(umbra_file_create_atomic(path, "first", 5, 0600), 0);
    assert_int_equal(umbra_file_create_atomic(path, "second", 6, 0644), UMBRA_EEXIST);
    uint8_t *data;
    size_t n;
    assert_int_equal(umbra_file_read(path, 100, &data, &n), 0);
    assert_string_equal((char *)data, "first");
    umbra_free(data);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_equal(st.st_nlink, 1); /* the temp name is gone */
    assert_int_equal(count_entries(dir), 1);
    assert_int_equal(umbra_file_create_atomic("", "x", 1, 0600), UMBRA_EINVAL);
    assert_int_equal(umbra_file_create_atomic(path, NULL, 1, 0600), UMBRA_EINVAL);
    /* Links are never followed: an exclusive create over a dangling symlink fails without
     * creating its target, and a replacing write swaps the link itself, leaving the file
     * it pointed to alone. */
    char link[600], target[600];
    snprintf(link, sizeof link, "%s/link", dir);
    snprintf(target, sizeof target, "%s/target", dir);
    assert_int_equal(symlink(target, link), 0);
    assert_int_equal(umbra_file_create_atomic(link, "s", 1, 0600), UMBRA_EEXIST);
    assert_int_not_equal(access(target, F_OK), 0);
    assert_int_equal(umbra_file_write_atomic(target, "old", 3, 0644), 0);
    assert_int_equal(umbra_file_write_atomic(link, "new", 3, 0600), 0);
    assert_int_equal(lstat(link, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(umbra_file_read(target, 100, &data, &n), 0);
    assert_string_equal((char *)data, "old");
    umbra_free(data);
    assert_int_equal(count_entries(dir), 3);
    /* A path that leaves no room for the temp name's suffix. */
    static char longp[PATH_MAX];
    memset(longp, 'a', sizeof longp - 1);
    longp[0] = '/';
    longp[sizeof longp - 1] = 0;
    assert_int_equal(umbra_file_write_atomic(longp, "x", 1, 0600), UMBRA_ENOSPACE);
}

static void mkdirs_modes(void **state) {
    (void)state;
    const char *dir = tu_tmpdir();
    char p[512];
    snprintf(p, sizeof p, "%s/a/b/c", dir);
    umask(022);
    assert_int_equal(umbra_mkdirs(p, 0700), 0);
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0700);
    assert_int_equal(umbra_mkdirs(p, 0700), 0); /* existing is fine */
    snprintf(p, sizeof p, "%s/a/file", dir);
    assert_int_equal(umbra_file_write_atomic(p, "x", 1, 0600), 0);
    assert_int_equal(umbra_mkdirs(p, 0700), UMBRA_EEXIST);
    snprintf(p, sizeof p, "%s/a/file/sub", dir);
    assert_true(umbra_mkdirs(p, 0700) < 0);
    assert_int_equal(umbra_mkdirs("", 0700), UMBRA_EINVAL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(write_read_and_mode),
        cmocka_unit_test(read_errors_and_unsized_files),
        cmocka_unit_test(failed_write_keeps_old_content),
        cmocka_unit_test(create_is_exclusive),
        cmocka_unit_test(mkdirs_modes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
