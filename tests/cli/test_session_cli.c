/* test_session_cli.c — end-to-end `umbra listen` / `umbra connect` over loopback: the
 * secure pipe both ways (UDP and TCP), a TCP port forward, and the error paths (wrong
 * key, unreachable peer, version mismatch) with their exit codes and messages. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "umbra/base.h"

extern char **environ;

static char g_dir[512];

static void write_random(const char *path, size_t n, unsigned seed) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    uint64_t st = seed * 2654435761u + 1;
    for (size_t i = 0; i < n; i++) {
        st = st * 6364136223846793005ull + 1442695040888963407ull;
        fputc((int)(st >> 56), f);
    }
    fclose(f);
}

static int files_equal(const char *a, const char *b) {
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "cmp -s '%s' '%s'", a, b);
    return system(cmd) == 0;
}

/* Spawns `umbra args...` with stdin/stdout/stderr redirected to files. */
static pid_t spawn(const char *in, const char *out, const char *err, char *const args[]) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, in, O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&fa, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    pid_t pid;
    int rc = posix_spawn(&pid, tu_umbra_binary(), &fa, NULL, args, environ);
    posix_spawn_file_actions_destroy(&fa);
    assert_int_equal(rc, 0);
    return pid;
}

/* Waits up to `secs` for pid; kills it on timeout. Returns the exit code (or -1). */
static int wait_exit(pid_t pid, int secs) {
    for (int i = 0; i < secs * 100; i++) {
        int st;
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid) return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
        usleep(10000);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return -1;
}

/* Whole file as a NUL-terminated string (malloc'd; cmocka's allocator when present). */
static char *slurp(const char *path) {
    uint8_t *d;
    size_t n;
    if (umbra_file_read(path, 1 << 20, &d, &n) != 0) n = 0;
    char *s = malloc(n + 1);
    assert_non_null(s);
    if (n) memcpy(s, d, n);
    s[n] = 0;
    if (n) umbra_free(d);
    return s;
}

static int free_port(int type) {
    int fd = socket(AF_INET, type, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, (struct sockaddr *)&a, sizeof a);
    socklen_t l = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &l);
    close(fd);
    return ntohs(a.sin_port);
}

static void path(char *out, size_t cap, const char *name) { snprintf(out, cap, "%s/%s", g_dir, name); }

/* `umbra listen 127.0.0.1:0` prints "listening on 127.0.0.1:PORT" once bound: wait for
 * it (no fixed sleeps, no port races) and write "127.0.0.1:PORT" into addr. */
static void wait_listening(const char *err_file, char *addr, size_t cap) {
    for (int i = 0; i < 2000; i++) {
        FILE *f = fopen(err_file, "r");
        char line[512];
        while (f && fgets(line, sizeof line, f)) {
            const char *p = strstr(line, "listening on 127.0.0.1:");
            if (p) {
                int port = atoi(p + strlen("listening on 127.0.0.1:"));
                fclose(f);
                assert_true(port > 0);
                snprintf(addr, cap, "127.0.0.1:%d", port);
                return;
            }
        }
        if (f) fclose(f);
        usleep(10000);
    }
    fail_msg("umbra listen did not start");
}

static int setup(void **st) {
    (void)st;
    snprintf(g_dir, sizeof g_dir, "%s", tu_tmpdir());
    char home[600];
    path(home, sizeof home, "home");
    setenv("UMBRA_HOME", home, 1);
    /* create the server identity */
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "'%s' id >/dev/null 2>&1", tu_umbra_binary());
    assert_int_equal(system(cmd), 0);
    return 0;
}

static void pipe_case_x(const char *leg, const char *extra, size_t cbytes, size_t sbytes) {
    char in_c[600], in_s[600], out_c[600], out_s[600], err_c[600], err_s[600], key[700], addr[64];
    path(in_c, sizeof in_c, "in_c");
    path(in_s, sizeof in_s, "in_s");
    path(out_c, sizeof out_c, "out_c");
    path(out_s, sizeof out_s, "out_s");
    path(err_c, sizeof err_c, "err_c");
    path(err_s, sizeof err_s, "err_s");
    snprintf(key, sizeof key, "@%s/home/identity.pub", g_dir);
    write_random(in_c, cbytes, 1);
    write_random(in_s, sbytes, 2);
    snprintf(addr, sizeof addr, "127.0.0.1:0");
    char *la[] = {"umbra", "listen", addr, (char *)leg, (char *)extra, NULL};
    pid_t ls = spawn(in_s, out_s, err_s, la);
    wait_listening(err_s, addr, sizeof addr);
    char *ca[] = {"umbra", "connect", addr, (char *)leg, "--peer-key", key, NULL};
    pid_t cs = spawn(in_c, out_c, err_c, ca);
    int rc_c = wait_exit(cs, 60);
    int rc_s = wait_exit(ls, 10);
    if (rc_c || rc_s) {
        char *e1 = slurp(err_c), *e2 = slurp(err_s);
        printf("connect rc=%d: %s\nlisten rc=%d: %s\n", rc_c, e1, rc_s, e2);
        free(e1);
        free(e2);
    }
    assert_int_equal(rc_c, 0);
    assert_int_equal(rc_s, 0);
    assert_true(files_equal(in_c, out_s));
    assert_true(files_equal(in_s, out_c));
}

static void pipe_case(const char *leg, size_t cbytes, size_t sbytes) { pipe_case_x(leg, NULL, cbytes, sbytes); }

static size_t cli_bytes(void) {
#ifdef UMBRA_SANITIZE
    return 1u << 20;
#else
    return 8u << 20;
#endif
}

static void test_pipe_udp(void **st) { (void)st; pipe_case("--udp", cli_bytes(), 300000); }
static void test_pipe_tcp(void **st) { (void)st; pipe_case("--tcp", cli_bytes(), 300000); }
static void test_pipe_udp_retry(void **st) { (void)st; pipe_case_x("--udp", "--retry", 100000, 1000); }

static void expect_failure(char *const args[], int want_rc, const char *want_msg) {
    char in[600], out[600], err[600];
    path(in, sizeof in, "in_s");
    path(out, sizeof out, "out_x");
    path(err, sizeof err, "err_x");
    write_random(in, 100, 3);
    pid_t p = spawn(in, out, err, args);
    int rc = wait_exit(p, 30);
    char *e = slurp(err);
    printf("%s", e);
    assert_int_equal(rc, want_rc);
    assert_non_null(strstr(e, want_msg));
    free(e);
}

static void test_wrong_key(void **st) {
    (void)st;
    /* a second identity's key */
    char other[600], cmd[1500], addr[64], key[700], in[600], out[600], err[600];
    path(other, sizeof other, "other");
    snprintf(cmd, sizeof cmd, "UMBRA_HOME='%s' '%s' id >/dev/null 2>&1", other, tu_umbra_binary());
    assert_int_equal(system(cmd), 0);
    snprintf(key, sizeof key, "@%s/identity.pub", other);
    snprintf(addr, sizeof addr, "127.0.0.1:0");
    path(in, sizeof in, "in_s");
    path(out, sizeof out, "out_s");
    path(err, sizeof err, "err_s");
    write_random(in, 10, 4);
    char *la[] = {"umbra", "listen", addr, NULL};
    pid_t ls = spawn(in, out, err, la);
    wait_listening(err, addr, sizeof addr);
    char *ca[] = {"umbra", "connect", addr, "--peer-key", key, NULL};
    expect_failure(ca, 3, "does not hold the pinned key");
    kill(ls, SIGTERM);
    wait_exit(ls, 5);
    /* a malformed key string */
    char *cb[] = {"umbra", "connect", addr, "--peer-key", "upk1.nonsense", NULL};
    expect_failure(cb, 3, "bad --peer-key");
}

static void test_unreachable(void **st) {
    (void)st;
    char addr[64], key[700];
    snprintf(key, sizeof key, "@%s/home/identity.pub", g_dir);
    snprintf(addr, sizeof addr, "127.0.0.1:%d", free_port(SOCK_DGRAM));
    char *ca[] = {"umbra", "connect", addr, "--peer-key", key, NULL};
    expect_failure(ca, 1, "unreachable");
    snprintf(addr, sizeof addr, "127.0.0.1:%d", free_port(SOCK_STREAM));
    char *cb[] = {"umbra", "connect", addr, "--tcp", "--peer-key", key, NULL};
    expect_failure(cb, 1, "unreachable");
}

/* A fake server that answers the ClientHello with VersionNegotiation listing version 2. */
static void *fake_vn(void *arg) {
    int fd = *(int *)arg;
    uint8_t buf[4096];
    struct sockaddr_in from;
    socklen_t fl = sizeof from;
    struct pollfd pfd = {fd, POLLIN, 0};
    if (poll(&pfd, 1, 10000) <= 0) return NULL;
    ssize_t n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
    if (n < 13 || (buf[0] != 0x01 && buf[0] != 0x03)) return NULL; /* ClientHello or its fragment */
    uint8_t vn[18] = {0x05, 0, 0, 0, 0};
    memcpy(vn + 5, buf + 5, 8);
    vn[13] = 1;
    vn[14] = 0, vn[15] = 0, vn[16] = 0, vn[17] = 2;
    sendto(fd, vn, sizeof vn, 0, (struct sockaddr *)&from, fl);
    return NULL;
}

static void test_version_mismatch(void **st) {
    (void)st;
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t l = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &l);
    pthread_t t;
    pthread_create(&t, NULL, fake_vn, &fd);
    char addr[64], key[700];
    snprintf(key, sizeof key, "@%s/home/identity.pub", g_dir);
    snprintf(addr, sizeof addr, "127.0.0.1:%d", ntohs(a.sin_port));
    char *ca[] = {"umbra", "connect", addr, "--peer-key", key, NULL};
    expect_failure(ca, 1, "version mismatch");
    pthread_join(t, NULL);
    close(fd);
}

/* listen --forward: the stream is bridged to a TCP target that answers "ok:<bytes>". */
static void *target(void *arg) {
    int lfd = *(int *)arg;
    for (int round = 0; round < 2; round++) {
        struct pollfd pfd = {lfd, POLLIN, 0};
        if (poll(&pfd, 1, 20000) <= 0) return NULL;
        int c = accept(lfd, NULL, NULL);
        if (c < 0) return NULL;
        char buf[65536];
        size_t total = 0;
        ssize_t n;
        while ((n = read(c, buf, sizeof buf)) > 0) total += (size_t)n;
        int k = snprintf(buf, sizeof buf, "ok:%zu", total);
        if (write(c, buf, (size_t)k) != k) total = 0;
        close(c);
    }
    return NULL;
}

static void test_forward(void **st) {
    (void)st;
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t l = sizeof a;
    getsockname(lfd, (struct sockaddr *)&a, &l);
    assert_int_equal(listen(lfd, 4), 0);
    pthread_t t;
    pthread_create(&t, NULL, target, &lfd);
    char addr[64], fwd[64], key[700], in[600], out[600], err[600], in_c[600], out_c[600], err_c[600];
    snprintf(fwd, sizeof fwd, "127.0.0.1:%d", ntohs(a.sin_port));
    snprintf(addr, sizeof addr, "127.0.0.1:0");
    snprintf(key, sizeof key, "@%s/home/identity.pub", g_dir);
    path(in, sizeof in, "in_f");
    path(out, sizeof out, "out_f");
    path(err, sizeof err, "err_f");
    path(in_c, sizeof in_c, "in_fc");
    path(out_c, sizeof out_c, "out_fc");
    path(err_c, sizeof err_c, "err_fc");
    write_random(in, 1, 5);
    write_random(in_c, 123456, 6);
    char *la[] = {"umbra", "listen", addr, "--forward", fwd, NULL};
    pid_t ls = spawn(in, out, err, la);
    wait_listening(err, addr, sizeof addr);
    char tk[600];
    path(tk, sizeof tk, "ticket");
    unlink(tk);
    char *ca[] = {"umbra", "connect", addr, "--peer-key", key, "--ticket", tk, NULL};
    pid_t cs = spawn(in_c, out_c, err_c, ca);
    int rc = wait_exit(cs, 30);
    /* again with the ticket the first session stored: 0-RTT against the same server */
    int rc2 = -1;
    char *o2 = NULL, *e2 = NULL;
    if (rc == 0) {
        char out2[600];
        path(out2, sizeof out2, "out_fc2");
        setenv("UMBRA_LOG", "debug", 1);
        pid_t cs2 = spawn(in_c, out2, err_c, ca);
        unsetenv("UMBRA_LOG");
        rc2 = wait_exit(cs2, 30);
        o2 = slurp(out2);
        e2 = slurp(err_c);
    }
    pthread_join(t, NULL);
    close(lfd);
    kill(ls, SIGTERM);
    wait_exit(ls, 5);
    char *o = slurp(out_c);
    if (rc != 0 || strcmp(o, "ok:123456") != 0) {
        char *e = slurp(err_c);
        printf("connect rc=%d out='%s' err=%s\n", rc, o, e);
        free(e);
    }
    assert_int_equal(rc, 0);
    assert_string_equal(o, "ok:123456");
    free(o);
    assert_int_equal(rc2, 0);
    assert_string_equal(o2, "ok:123456");
    if (!strstr(e2, "0-RTT accepted")) printf("second connect: %s\n", e2);
    assert_non_null(strstr(e2, "0-RTT accepted"));
    free(o2);
    free(e2);
}

/* listen --allow / connect --auth: an allowed client pipes; one without --auth is refused */
static void test_client_auth(void **st) {
    (void)st;
    char chome[600], cmd[1500], addr[64], key[700], allow[700], in[600], out[600], err[600];
    path(chome, sizeof chome, "client_home");
    snprintf(cmd, sizeof cmd, "UMBRA_HOME='%s' '%s' id >/dev/null 2>&1", chome, tu_umbra_binary());
    assert_int_equal(system(cmd), 0);
    snprintf(allow, sizeof allow, "@%s/identity.pub", chome);
    snprintf(key, sizeof key, "@%s/home/identity.pub", g_dir);
    for (int k = 0; k < 2; k++) {
        snprintf(addr, sizeof addr, "127.0.0.1:0");
        path(in, sizeof in, "in_a");
        path(out, sizeof out, "out_a");
        path(err, sizeof err, "err_a");
        write_random(in, 5000, 7);
        char *la[] = {"umbra", "listen", addr, "--allow", allow, NULL};
        pid_t ls = spawn(in, out, err, la);
        wait_listening(err, addr, sizeof addr);
        if (k == 0) {
            char in_c[600], out_c[600], err_c[600];
            path(in_c, sizeof in_c, "in_ac");
            path(out_c, sizeof out_c, "out_ac");
            path(err_c, sizeof err_c, "err_ac");
            write_random(in_c, 7000, 8);
            char *ca[] = {"umbra", "connect", addr, "--peer-key", key, "--auth", "--home", chome, NULL};
            pid_t cs = spawn(in_c, out_c, err_c, ca);
            int rc = wait_exit(cs, 30);
            int rs = wait_exit(ls, 10);
            if (rc || rs) {
                char *e = slurp(err_c);
                printf("connect --auth rc=%d listen rc=%d: %s\n", rc, rs, e);
                free(e);
            }
            assert_int_equal(rc, 0);
            assert_int_equal(rs, 0);
            assert_true(files_equal(in_c, out));
            assert_true(files_equal(in, out_c));
        } else {
            char *ca[] = {"umbra", "connect", addr, "--peer-key", key, NULL};
            expect_failure(ca, 1, "authorized client identity");
            kill(ls, SIGTERM);
            wait_exit(ls, 5);
        }
    }
}

static void test_help(void **st) {
    (void)st;
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "'%s' listen --help | grep -q forward && '%s' connect --help | grep -q peer-key",
             tu_umbra_binary(), tu_umbra_binary());
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "'%s' connect 127.0.0.1:1 >/dev/null 2>&1", tu_umbra_binary());
    assert_int_equal(WEXITSTATUS(system(cmd)), 2); /* no --peer-key: usage */
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_help),          cmocka_unit_test(test_pipe_udp),
        cmocka_unit_test(test_pipe_tcp),      cmocka_unit_test(test_pipe_udp_retry),
        cmocka_unit_test(test_wrong_key),
        cmocka_unit_test(test_unreachable),   cmocka_unit_test(test_version_mismatch),
        cmocka_unit_test(test_forward),       cmocka_unit_test(test_client_auth),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
