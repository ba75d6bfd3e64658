/* tests for the umbra binary ($UMBRA_BINARY): global options, exit codes, `umbra id`. Each
 * test runs the real binary in a child process with its own temporary UMBRA_HOME. */
#include "testutil.h"
#include "umbra/identity.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

struct run {
    int code;
    char *out; /* malloc'd, NUL-terminated */
    char *err;
};

static char *slurp(const char *path) {
    uint8_t *d;
    size_t n;
    assert_int_equal(umbra_file_read(path, 1 << 22, &d, &n), 0);
    char *s = strdup((char *)d);
    umbra_free(d);
    return s;
}

/* Runs umbra with args (NULL-terminated) and UMBRA_HOME=home (unset when NULL). */
static struct run run_umbra(const char *home, const char *const *args) {
    static char dir[300];
    char outp[600], errp[600];
    if (!dir[0]) snprintf(dir, sizeof dir, "%s", tu_tmpdir()); /* one scratch dir per process */
    snprintf(outp, sizeof outp, "%s/stdout", dir);
    snprintf(errp, sizeof errp, "%s/stderr", dir);
    const char *argv[32];
    int argc = 0;
    argv[argc++] = tu_umbra_binary();
    for (; args[argc - 1] && argc < 31; argc++) argv[argc] = args[argc - 1];
    argv[argc] = NULL;
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int o = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int e = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (o < 0 || e < 0) _exit(120);
        dup2(o, 1);
        dup2(e, 2);
        if (home) setenv("UMBRA_HOME", home, 1);
        else unsetenv("UMBRA_HOME");
        unsetenv("UMBRA_LOG");
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    struct run r;
    r.code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    r.out = slurp(outp);
    r.err = slurp(errp);
    return r;
}

static void run_free(struct run *r) {
    free(r->out);
    free(r->err);
}

#define RUN(home, ...) run_umbra(home, (const char *const[]){__VA_ARGS__, NULL})

static int mode_of(const char *path) {
    struct stat st;
    assert_int_equal(lstat(path, &st), 0);
    return (int)(st.st_mode & 07777);
}

static void global_options_and_exit_codes(void **state) {
    (void)state;
    const char *home = tu_tmpdir();
    struct run r = RUN(home, "--help");
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, "usage: umbra <command>"));
    assert_non_null(strstr(r.out, "  id "));
    run_free(&r);
    r = RUN(home, "--version");
    assert_int_equal(r.code, 0);
    assert_true(strncmp(r.out, "umbra ", 6) == 0);
    run_free(&r);
    r = run_umbra(home, (const char *const[]){NULL});
    assert_int_equal(r.code, 2);
    assert_non_null(strstr(r.err, "usage"));
    run_free(&r);
    r = RUN(home, "no-such-command");
    assert_int_equal(r.code, 2);
    assert_non_null(strstr(r.err, "unknown command 'no-such-command'"));
    run_free(&r);
    r = RUN(home, "help", "no-such-command");
    assert_int_equal(r.code, 2);
    run_free(&r);
    r = RUN(home, "help", "id");
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, "usage: umbra id"));
    run_free(&r);
}

static void id_help_and_usage_errors(void **state) {
    (void)state;
    char home[600];
    snprintf(home, sizeof home, "%s/h", tu_tmpdir());
    struct run r = RUN(home, "id", "--help");
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.out, "--peer-key"));
    run_free(&r);
    r = RUN(home, "id", "--bogus");
    assert_int_equal(r.code, 2);
    assert_non_null(strstr(r.err, "umbra id: unknown or incomplete option '--bogus'"));
    run_free(&r);
    r = RUN(home, "id", "--json", "--peer-key");
    assert_int_equal(r.code, 2);
    assert_non_null(strstr(r.err, "exclude each other"));
    run_free(&r);
    /* --home needs a value; an empty one is refused; positional arguments are not taken. */
    r = RUN(home, "id", "--home");
    assert_int_equal(r.code, 2);
    assert_non_null(strstr(r.err, "'--home'"));
    run_free(&r);
    r = RUN(home, "id", "--home=");
    assert_int_equal(r.code, 2);
    assert_non_null(strstr(r.err, "bad --home"));
    run_free(&r);
    r = RUN(home, "id", "extra");
    assert_int_equal(r.code, 2);
    assert_string_equal(r.out, "");
    run_free(&r);
    /* --no-create on an empty home fails and creates nothing. */
    r = RUN(home, "id", "--no-create");
    assert_int_equal(r.code, 1);
    assert_non_null(strstr(r.err, "no identity"));
    assert_int_not_equal(access(home, F_OK), 0);
    run_free(&r);
}

static void id_creates_once_and_is_stable(void **state) {
    (void)state;
    char home[600], key[700], pub[700];
    snprintf(home, sizeof home, "%s/state/umbra", tu_tmpdir());
    snprintf(key, sizeof key, "%s/identity.key", home);
    snprintf(pub, sizeof pub, "%s/identity.pub", home);
    struct run r = RUN(home, "id");
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.err, "created a new identity"));
    assert_true(strncmp(r.out, "id:         umb1", 16) == 0);
    assert_non_null(strstr(r.out, key));
    assert_non_null(strstr(r.out, "sha256:"));
    assert_int_equal(mode_of(home), 0700);
    assert_int_equal(mode_of(key), 0600);
    assert_int_equal(mode_of(pub), 0644);
    char id[UMBRA_IDENTITY_ID_LEN + 1];
    memcpy(id, r.out + 12, UMBRA_IDENTITY_ID_LEN);
    id[UMBRA_IDENTITY_ID_LEN] = 0;
    char *first = strdup(r.out);
    run_free(&r);

    r = RUN(home, "id");
    assert_int_equal(r.code, 0);
    assert_string_equal(r.out, first); /* same identity, same output */
    assert_null(strstr(r.err, "created"));
    run_free(&r);
    free(first);

    r = RUN(home, "id", "--json");
    assert_int_equal(r.code, 0);
    json_error_t je;
    json_t *j = json_loads(r.out, 0, &je);
    if (!j) fail_msg("--json output does not parse: %s", je.text);
    assert_string_equal(json_string_value(json_object_get(j, "id")), id);
    assert_string_equal(json_string_value(json_object_get(j, "key_file")), key);
    assert_string_equal(json_string_value(json_object_get(j, "pub_file")), pub);
    assert_true(json_is_false(json_object_get(j, "created")));
    assert_int_equal(strlen(json_string_value(json_object_get(j, "signing_fingerprint"))), 7 + 64);
    const char *pk_json = json_string_value(json_object_get(j, "peer_key"));
    assert_non_null(pk_json);

    /* --peer-key prints what umbra_identity_parse_peer_key() reads back to the same id. */
    struct run p = RUN(home, "id", "--peer-key");
    assert_int_equal(p.code, 0);
    assert_int_equal(strlen(p.out), UMBRA_PEER_KEY_LEN + 1);
    static umbra_peer_key pk;
    char err[UMBRA_IDENTITY_ERR_LEN];
    assert_int_equal(umbra_identity_parse_peer_key(p.out, &pk, err, sizeof err), 0);
    assert_string_equal(pk.id, id);
    assert_memory_equal(p.out, pk_json, UMBRA_PEER_KEY_LEN);
    /* identity.pub holds the same line. */
    char *pubtxt = slurp(pub);
    assert_string_equal(pubtxt, p.out);
    free(pubtxt);
    run_free(&p);
    json_decref(j);
    run_free(&r);
}

static void truncated_identity_exits_3_and_is_untouched(void **state) {
    (void)state;
    char home[600], key[700];
    snprintf(home, sizeof home, "%s/h", tu_tmpdir());
    snprintf(key, sizeof key, "%s/identity.key", home);
    struct run r = RUN(home, "id");
    assert_int_equal(r.code, 0);
    run_free(&r);
    uint8_t *d;
    size_t n;
    assert_int_equal(umbra_file_read(key, 1024, &d, &n), 0);
    assert_int_equal(n, UMBRA_IDENTITY_FILE_LEN);
    assert_int_equal(umbra_file_write_atomic(key, d, 77, 0600), 0);
    for (int i = 0; i < 2; i++) { /* twice: a failed run must not "repair" anything */
        r = RUN(home, "id");
        assert_int_equal(r.code, 3);
        assert_string_equal(r.out, "");
        assert_non_null(strstr(r.err, "umbra id: "));
        assert_non_null(strstr(r.err, "truncated (77 of 140 bytes)"));
        assert_non_null(strstr(r.err, key));
        run_free(&r);
        uint8_t *now;
        size_t m;
        assert_int_equal(umbra_file_read(key, 1024, &now, &m), 0);
        assert_int_equal(m, 77);
        assert_memory_equal(now, d, 77);
        umbra_free(now);
    }
    /* A flipped bit is "corrupt", same exit code. */
    d[40] ^= 4;
    assert_int_equal(umbra_file_write_atomic(key, d, n, 0600), 0);
    r = RUN(home, "id", "--json");
    assert_int_equal(r.code, 3);
    assert_non_null(strstr(r.err, "checksum mismatch"));
    run_free(&r);
    umbra_free(d);
}

/* --home=DIR beats $UMBRA_HOME; the first run reports created: true in JSON; a home open to
 * others is narrowed to 0700 (with a warning on stderr). */
static void id_home_option_json_created_and_narrowing(void **state) {
    (void)state;
    char env_home[600], opt_home[600], opt[700], key[700];
    snprintf(env_home, sizeof env_home, "%s/env", tu_tmpdir());
    snprintf(opt_home, sizeof opt_home, "%s/opt", tu_tmpdir());
    snprintf(opt, sizeof opt, "--home=%s", opt_home);
    snprintf(key, sizeof key, "%s/identity.key", opt_home);
    struct run r = RUN(env_home, "id", opt, "--json");
    assert_int_equal(r.code, 0);
    json_error_t je;
    json_t *j = json_loads(r.out, 0, &je);
    if (!j) fail_msg("--json output does not parse: %s", je.text);
    assert_true(json_is_true(json_object_get(j, "created")));
    assert_string_equal(json_string_value(json_object_get(j, "home")), opt_home);
    assert_string_equal(json_string_value(json_object_get(j, "key_file")), key);
    json_decref(j);
    run_free(&r);
    assert_int_not_equal(access(env_home, F_OK), 0); /* $UMBRA_HOME was not touched */
    assert_int_equal(mode_of(key), 0600);
    assert_int_equal(chmod(opt_home, 0755), 0);
    r = RUN(env_home, "id", "--home", opt_home, "--no-create");
    assert_int_equal(r.code, 0); /* loading alone does not change the directory */
    run_free(&r);
    r = RUN(env_home, "id", "--home", opt_home);
    assert_int_equal(r.code, 0);
    assert_non_null(strstr(r.err, "changed it to 0700"));
    assert_int_equal(mode_of(opt_home), 0700);
    run_free(&r);
}

static void world_readable_key_is_refused(void **state) {
    (void)state;
    char home[600], key[700];
    snprintf(home, sizeof home, "%s/h", tu_tmpdir());
    snprintf(key, sizeof key, "%s/identity.key", home);
    struct run r = RUN(home, "id");
    assert_int_equal(r.code, 0);
    run_free(&r);
    assert_int_equal(chmod(key, 0644), 0);
    r = RUN(home, "id");
    assert_int_equal(r.code, 1);
    assert_non_null(strstr(r.err, "chmod 600"));
    run_free(&r);
    assert_int_equal(mode_of(key), 0644);
    assert_int_equal(chmod(key, 0600), 0);
    r = RUN(home, "id");
    assert_int_equal(r.code, 0);
    run_free(&r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(global_options_and_exit_codes),
        cmocka_unit_test(id_help_and_usage_errors),
        cmocka_unit_test(id_creates_once_and_is_stable),
        cmocka_unit_test(truncated_identity_exits_3_and_is_untouched),
        cmocka_unit_test(id_home_option_json_created_and_narrowing),
        cmocka_unit_test(world_readable_key_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
