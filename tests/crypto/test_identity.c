/* tests for src/crypto/identity.c — node identity files, id and peer key strings. */
#include "testutil.h"
#include "umbra/identity.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char peer_key_buf[UMBRA_PEER_KEY_LEN + 1];

static void path_in(char *out, size_t cap, const char *home, const char *name) {
    snprintf(out, cap, "%s/%s", home, name);
}

static uint8_t *read_all(const char *path, size_t *n) {
    uint8_t *d;
    assert_int_equal(umbra_file_read(path, 1 << 20, &d, n), 0);
    return d;
}

static int mode_of(const char *path) {
    struct stat st;
    assert_int_equal(lstat(path, &st), 0);
    return (int)(st.st_mode & 07777);
}

/* The id is "umb1" + base32(SHA-256(compsig_pk || xwing_pk)[0..20)) — recomputed here from
 * the primitives, independently of identity.c. */
static void id_derivation(void **state) {
    (void)state;
    uint8_t cs[UC_COMPSIG_SK_LEN], xs[UC_XWING_SK_LEN];
    for (size_t i = 0; i < sizeof cs; i++) cs[i] = (uint8_t)i;
    for (size_t i = 0; i < sizeof xs; i++) xs[i] = (uint8_t)(0x80 + i);
    umbra_identity *a, *b;
    assert_int_equal(umbra_identity_from_seeds(cs, xs, &a), 0);
    assert_int_equal(umbra_identity_from_seeds(cs, xs, &b), 0);
    assert_string_equal(umbra_identity_id(a), umbra_identity_id(b));
    assert_null(umbra_identity_key_path(a));

    uint8_t pk[UC_COMPSIG_PK_LEN], xpk[UC_XWING_PK_LEN];
    assert_int_equal(uc_compsig_keypair_derand(pk, cs), 0);
    assert_int_equal(uc_xwing_keypair_derand(xpk, xs), 0);
    assert_memory_equal(pk, umbra_identity_compsig_pk(a), sizeof pk);
    assert_memory_equal(xpk, umbra_identity_xwing_pk(a), sizeof xpk);
    static uint8_t cat[UC_COMPSIG_PK_LEN + UC_XWING_PK_LEN];
    memcpy(cat, pk, sizeof pk);
    memcpy(cat + sizeof pk, xpk, sizeof xpk);
    uint8_t h[32];
    uc_sha256(h, cat, sizeof cat);
    char want[64] = "umb1";
    assert_int_equal(umbra_base32_encode(want + 4, sizeof want - 4, h, 20), 32);
    assert_string_equal(umbra_identity_id(a), want);
    assert_int_equal(strlen(want), UMBRA_IDENTITY_ID_LEN);

    /* Another seed gives another id. */
    xs[0] ^= 1;
    umbra_identity *c;
    assert_int_equal(umbra_identity_from_seeds(cs, xs, &c), 0);
    assert_string_not_equal(umbra_identity_id(a), umbra_identity_id(c));
    umbra_identity_free(a);
    umbra_identity_free(b);
    umbra_identity_free(c);
    umbra_identity_free(NULL);
}

static void peer_key_round_trip_and_errors(void **state) {
    (void)state;
    umbra_identity *id;
    assert_int_equal(umbra_identity_generate(&id), 0);
    assert_int_equal(umbra_identity_peer_key(id, peer_key_buf, sizeof peer_key_buf), UMBRA_PEER_KEY_LEN);
    assert_int_equal(strlen(peer_key_buf), UMBRA_PEER_KEY_LEN);
    assert_memory_equal(peer_key_buf, "upk1.", 5);
    assert_int_equal(umbra_identity_peer_key(id, peer_key_buf, UMBRA_PEER_KEY_LEN), UMBRA_ENOSPACE);
    assert_int_equal(umbra_identity_peer_key(id, peer_key_buf, sizeof peer_key_buf), UMBRA_PEER_KEY_LEN);

    static umbra_peer_key pk;
    char err[UMBRA_IDENTITY_ERR_LEN];
    assert_int_equal(umbra_identity_parse_peer_key(peer_key_buf, &pk, err, sizeof err), 0);
    assert_string_equal(err, "");
    assert_memory_equal(pk.compsig_pk, umbra_identity_compsig_pk(id), UC_COMPSIG_PK_LEN);
    assert_memory_equal(pk.xwing_pk, umbra_identity_xwing_pk(id), UC_XWING_PK_LEN);
    assert_string_equal(pk.id, umbra_identity_id(id));

    /* Surrounding whitespace (e.g. a line read from identity.pub) is fine. */
    static char spaced[UMBRA_PEER_KEY_LEN + 8];
    snprintf(spaced, sizeof spaced, "  %s\n", peer_key_buf);
    assert_int_equal(umbra_identity_parse_peer_key(spaced, &pk, err, sizeof err), 0);

    /* Wrong prefix, truncated, foreign characters, one character changed. */
    static char bad[UMBRA_PEER_KEY_LEN + 1];
    memcpy(bad, peer_key_buf, sizeof bad);
    bad[0] = 'x';
    assert_int_equal(umbra_identity_parse_peer_key(bad, &pk, err, sizeof err), UMBRA_EMALFORMED);
    assert_non_null(strstr(err, "upk1."));
    memcpy(bad, peer_key_buf, sizeof bad);
    bad[UMBRA_PEER_KEY_LEN - 1] = 0;
    assert_int_equal(umbra_identity_parse_peer_key(bad, &pk, err, sizeof err), UMBRA_EMALFORMED);
    assert_non_null(strstr(err, "characters"));
    memcpy(bad, peer_key_buf, sizeof bad);
    bad[100] = '+';
    assert_int_equal(umbra_identity_parse_peer_key(bad, &pk, err, sizeof err), UMBRA_EMALFORMED);
    memcpy(bad, peer_key_buf, sizeof bad);
    bad[2000] = bad[2000] == 'A' ? 'B' : 'A';
    assert_int_equal(umbra_identity_parse_peer_key(bad, &pk, err, sizeof err), UMBRA_ECORRUPT);
    assert_non_null(strstr(err, "checksum"));
    assert_int_equal(umbra_identity_parse_peer_key("", &pk, NULL, 0), UMBRA_EMALFORMED);
    assert_int_equal(umbra_identity_parse_peer_key(NULL, &pk, NULL, 0), UMBRA_EINVAL);
    /* The public-only formatter gives the same string; NULL inputs are named errors. */
    static char again[UMBRA_PEER_KEY_LEN + 1];
    umbra_identity_public(id, &pk);
    assert_int_equal(umbra_identity_format_peer_key(&pk, again, sizeof again), UMBRA_PEER_KEY_LEN);
    assert_string_equal(again, peer_key_buf);
    assert_int_equal(umbra_identity_format_peer_key(NULL, again, sizeof again), UMBRA_EINVAL);
    assert_int_equal(umbra_identity_format_peer_key(&pk, NULL, sizeof again), UMBRA_ENOSPACE);
    assert_int_equal(umbra_identity_peer_key(NULL, again, sizeof again), UMBRA_EINVAL);
    /* Every single-character change of the payload is caught (checksum or alphabet). */
    for (size_t i = 5; i < UMBRA_PEER_KEY_LEN; i += 97) {
        memcpy(bad, peer_key_buf, sizeof bad);
        bad[i] = bad[i] == 'A' ? 'B' : 'A';
        int rc = umbra_identity_parse_peer_key(bad, &pk, NULL, 0);
        assert_true(rc == UMBRA_ECORRUPT || rc == UMBRA_EMALFORMED);
    }
    umbra_identity_free(id);
}

/* The identity signs and decapsulates with keys expanded once at load; the results must be
 * those of the plain seed-based primitives. */
static void identity_ops_match_seed_primitives(void **state) {
    (void)state;
    uint8_t cs[UC_COMPSIG_SK_LEN], xs[UC_XWING_SK_LEN];
    for (size_t i = 0; i < sizeof cs; i++) cs[i] = (uint8_t)(3 * i + 1);
    for (size_t i = 0; i < sizeof xs; i++) xs[i] = (uint8_t)(0xa0 ^ i);
    umbra_identity *id;
    assert_int_equal(umbra_identity_from_seeds(cs, xs, &id), 0);
    static uint8_t ct[UC_XWING_CT_LEN], sig[UC_COMPSIG_SIG_LEN];
    uint8_t ss_enc[32], ss_id[32], ss_seed[32];
    assert_int_equal(uc_xwing_encaps(ct, ss_enc, umbra_identity_xwing_pk(id)), 0);
    assert_int_equal(umbra_identity_decaps(id, ss_id, ct), 0);
    assert_int_equal(uc_xwing_decaps(ss_seed, ct, xs), 0);
    assert_memory_equal(ss_id, ss_enc, 32);
    assert_memory_equal(ss_id, ss_seed, 32);
    /* A modified ciphertext: implicit rejection, still the same value both ways. */
    ct[7] ^= 1;
    assert_int_equal(umbra_identity_decaps(id, ss_id, ct), 0);
    assert_int_equal(uc_xwing_decaps(ss_seed, ct, xs), 0);
    assert_memory_equal(ss_id, ss_seed, 32);
    assert_memory_not_equal(ss_id, ss_enc, 32);
    const uint8_t msg[] = "transcript";
    assert_int_equal(umbra_identity_sign(id, sig, msg, sizeof msg, NULL, 0), 0);
    uint8_t pk[UC_COMPSIG_PK_LEN];
    assert_int_equal(uc_compsig_keypair_derand(pk, cs), 0);
    assert_int_equal(uc_compsig_verify(sig, msg, sizeof msg, NULL, 0, pk), 0);
    static uint8_t big_ctx[256];
    assert_int_equal(umbra_identity_sign(id, sig, msg, sizeof msg, big_ctx, 256), UMBRA_EINVAL);
    assert_int_equal(umbra_identity_sign(NULL, sig, msg, sizeof msg, NULL, 0), UMBRA_EINVAL);
    assert_int_equal(umbra_identity_decaps(NULL, ss_id, ct), UMBRA_EINVAL);
    umbra_identity_free(id);
}

static void sign_and_decaps_with_identity(void **state) {
    (void)state;
    umbra_identity *id;
    assert_int_equal(umbra_identity_generate(&id), 0);
    static uint8_t sig[UC_COMPSIG_SIG_LEN];
    const uint8_t msg[] = "handshake transcript";
    assert_int_equal(umbra_identity_sign(id, sig, msg, sizeof msg, (const uint8_t *)"umbra", 5), 0);
    assert_int_equal(uc_compsig_verify(sig, msg, sizeof msg, (const uint8_t *)"umbra", 5, umbra_identity_compsig_pk(id)), 0);
    assert_int_not_equal(uc_compsig_verify(sig, msg, sizeof msg - 1, (const uint8_t *)"umbra", 5, umbra_identity_compsig_pk(id)), 0);
    static uint8_t ct[UC_XWING_CT_LEN];
    uint8_t ss1[32], ss2[32];
    assert_int_equal(uc_xwing_encaps(ct, ss1, umbra_identity_xwing_pk(id)), 0);
    assert_int_equal(umbra_identity_decaps(id, ss2, ct), 0);
    assert_memory_equal(ss1, ss2, 32);
    umbra_identity_free(id);
}

static void create_load_and_modes(void **state) {
    (void)state;
    char home[512], key[600], pub[600], err[UMBRA_IDENTITY_ERR_LEN];
    snprintf(home, sizeof home, "%s/nested/home", tu_tmpdir());
    path_in(key, sizeof key, home, UMBRA_IDENTITY_KEY_FILE);
    path_in(pub, sizeof pub, home, UMBRA_IDENTITY_PUB_FILE);
    umbra_identity *a, *b, *c;
    assert_int_equal(umbra_identity_load(home, &a, err, sizeof err), UMBRA_ENOENT);
    assert_null(a);
    int created = -1;
    umask(022);
    assert_int_equal(umbra_identity_load_or_create(home, &a, &created, err, sizeof err), 0);
    assert_int_equal(created, 1);
    assert_string_equal(umbra_identity_key_path(a), key);
    assert_string_equal(umbra_identity_pub_path(a), pub);
    assert_int_equal(mode_of(home), 0700);
    assert_int_equal(mode_of(key), 0600);
    assert_int_equal(mode_of(pub), 0644);
    size_t n;
    uint8_t *d = read_all(key, &n);
    assert_int_equal(n, UMBRA_IDENTITY_FILE_LEN);
    assert_memory_equal(d, "umbra-id\x01\0\0\0", 12);
    umbra_free(d);
    d = read_all(pub, &n);
    assert_int_equal(n, UMBRA_PEER_KEY_LEN + 1);
    assert_int_equal(umbra_identity_peer_key(a, peer_key_buf, sizeof peer_key_buf), UMBRA_PEER_KEY_LEN);
    assert_memory_equal(d, peer_key_buf, UMBRA_PEER_KEY_LEN);
    umbra_free(d);

    /* Stable: a second run loads the same keys. */
    assert_int_equal(umbra_identity_load_or_create(home, &b, &created, err, sizeof err), 0);
    assert_int_equal(created, 0);
    assert_string_equal(umbra_identity_id(a), umbra_identity_id(b));
    assert_memory_equal(umbra_identity_compsig_pk(a), umbra_identity_compsig_pk(b), UC_COMPSIG_PK_LEN);
    assert_memory_equal(umbra_identity_xwing_pk(a), umbra_identity_xwing_pk(b), UC_XWING_PK_LEN);
    assert_int_equal(umbra_identity_load(home, &c, err, sizeof err), 0);
    assert_string_equal(umbra_identity_id(a), umbra_identity_id(c));
    umbra_identity_free(b);
    umbra_identity_free(c);

    /* identity.pub is derived: a stale or missing one is rewritten. */
    assert_int_equal(umbra_file_write_atomic(pub, "stale\n", 6, 0644), 0);
    umbra_log_set_level(UMBRA_LOG_OFF);
    assert_int_equal(umbra_identity_load_or_create(home, &b, NULL, err, sizeof err), 0);
    umbra_log_set_level(UMBRA_LOG_WARN);
    umbra_identity_free(b);
    d = read_all(pub, &n);
    assert_int_equal(n, UMBRA_PEER_KEY_LEN + 1);
    umbra_free(d);
    unlink(pub);
    assert_int_equal(umbra_identity_load_or_create(home, &b, NULL, err, sizeof err), 0);
    umbra_identity_free(b);
    assert_int_equal(access(pub, F_OK), 0);

    /* A home open to others is narrowed to 0700 (with a warning). */
    assert_int_equal(chmod(home, 0755), 0);
    umbra_log_set_level(UMBRA_LOG_OFF);
    assert_int_equal(umbra_identity_load_or_create(home, &b, NULL, err, sizeof err), 0);
    umbra_log_set_level(UMBRA_LOG_WARN);
    assert_int_equal(mode_of(home), 0700);
    assert_string_equal(umbra_identity_id(a), umbra_identity_id(b));
    umbra_identity_free(b);
    umbra_identity_free(a);
}

/* Writes `f` over the key file (mode 0600) and checks that load and load_or_create both fail
 * with `want`, a message containing `needle`, and leave the file byte-for-byte untouched. */
static void expect_refused(const char *home, const uint8_t *f, size_t n, int want, const char *needle) {
    char key[600], err[UMBRA_IDENTITY_ERR_LEN];
    path_in(key, sizeof key, home, UMBRA_IDENTITY_KEY_FILE);
    assert_int_equal(umbra_file_write_atomic(key, f, n, 0600), 0);
    umbra_identity *id = (umbra_identity *)1;
    assert_int_equal(umbra_identity_load(home, &id, err, sizeof err), want);
    assert_null(id);
    if (!strstr(err, needle)) fail_msg("message '%s' lacks '%s'", err, needle);
    assert_non_null(strstr(err, key));
    int created = -1;
    assert_int_equal(umbra_identity_load_or_create(home, &id, &created, err, sizeof err), want);
    assert_int_equal(created, 0);
    size_t m;
    uint8_t *d = read_all(key, &m);
    assert_int_equal(m, n);
    if (n) assert_memory_equal(d, f, n);
    umbra_free(d);
}

static void corrupt_files_are_refused(void **state) {
    (void)state;
    const char *home = tu_tmpdir();
    char key[600], err[UMBRA_IDENTITY_ERR_LEN];
    path_in(key, sizeof key, home, UMBRA_IDENTITY_KEY_FILE);
    umbra_identity *id;
    assert_int_equal(umbra_identity_load_or_create(home, &id, NULL, err, sizeof err), 0);
    umbra_identity_free(id);
    size_t n;
    uint8_t *good = read_all(key, &n);
    uint8_t f[UMBRA_IDENTITY_FILE_LEN + 1];

    expect_refused(home, good, 100, UMBRA_ECORRUPT, "truncated (100 of 140 bytes)");
    expect_refused(home, good, 0, UMBRA_ECORRUPT, "truncated (0 of 140 bytes)");
    memcpy(f, good, n);
    f[n] = 0;
    expect_refused(home, f, n + 1, UMBRA_ECORRUPT, "longer than");
    memcpy(f, good, n);
    f[50] ^= 0x01; /* a flipped bit in a seed */
    expect_refused(home, f, n, UMBRA_ECORRUPT, "checksum mismatch");
    memcpy(f, good, n);
    f[n - 1] ^= 0x80; /* in the checksum itself */
    expect_refused(home, f, n, UMBRA_ECORRUPT, "checksum mismatch");
    memcpy(f, good, n);
    f[0] = 'U';
    expect_refused(home, f, n, UMBRA_ECORRUPT, "bad magic");
    /* A newer version (self-consistent checksum) is "unsupported", not "corrupt". */
    memcpy(f, good, n);
    f[8] = 2;
    uc_sha256(f + 108, f, 108);
    expect_refused(home, f, n, UMBRA_EUNSUPPORTED, "version 2");
    /* Non-zero reserved bytes. */
    memcpy(f, good, n);
    f[10] = 1;
    uc_sha256(f + 108, f, 108);
    expect_refused(home, f, n, UMBRA_ECORRUPT, "reserved bytes");

    /* Restoring the good file makes it load again (nothing was regenerated meanwhile). */
    assert_int_equal(umbra_file_write_atomic(key, good, n, 0600), 0);
    assert_int_equal(umbra_identity_load(home, &id, err, sizeof err), 0);
    umbra_identity_free(id);
    umbra_free(good);
}

static void unsafe_permissions_are_refused(void **state) {
    (void)state;
    const char *home = tu_tmpdir();
    char key[600], link_home[600], link_key[700], err[UMBRA_IDENTITY_ERR_LEN];
    path_in(key, sizeof key, home, UMBRA_IDENTITY_KEY_FILE);
    umbra_identity *id;
    assert_int_equal(umbra_identity_load_or_create(home, &id, NULL, err, sizeof err), 0);
    umbra_identity_free(id);
    assert_int_equal(chmod(key, 0644), 0);
    assert_int_equal(umbra_identity_load(home, &id, err, sizeof err), UMBRA_EPERM);
    assert_non_null(strstr(err, "mode 0644"));
    assert_non_null(strstr(err, "chmod 600"));
    assert_int_equal(umbra_identity_load_or_create(home, &id, NULL, err, sizeof err), UMBRA_EPERM);
    assert_int_equal(mode_of(key), 0644); /* not silently "fixed" */
    assert_int_equal(chmod(key, 0640), 0);
    assert_int_equal(umbra_identity_load(home, &id, err, sizeof err), UMBRA_EPERM);
    assert_int_equal(chmod(key, 0400), 0);
    assert_int_equal(umbra_identity_load(home, &id, err, sizeof err), 0);
    umbra_identity_free(id);
    /* A symlinked key file is refused. */
    snprintf(link_home, sizeof link_home, "%s", tu_tmpdir());
    path_in(link_key, sizeof link_key, link_home, UMBRA_IDENTITY_KEY_FILE);
    assert_int_equal(symlink(key, link_key), 0);
    assert_int_equal(umbra_identity_load(link_home, &id, err, sizeof err), UMBRA_EPERM);
    assert_non_null(strstr(err, "symbolic link"));
    /* A directory in its place. */
    assert_int_equal(unlink(link_key), 0);
    assert_int_equal(mkdir(link_key, 0700), 0);
    assert_int_equal(umbra_identity_load(link_home, &id, err, sizeof err), UMBRA_EINVAL);
}

/* Several processes creating the identity at once all end up with the same one: exactly one
 * key file wins (umbra_file_create_atomic) and the others load it. */
static void concurrent_first_use_agrees(void **state) {
    (void)state;
    enum { N = 4 };
    char home[600];
    snprintf(home, sizeof home, "%s/race", tu_tmpdir());
    int fds[N][2];
    pid_t pids[N];
    for (int i = 0; i < N; i++) {
        assert_int_equal(pipe(fds[i]), 0);
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0) {
            umbra_identity *id;
            int created = 0;
            char line[64] = {0};
            if (umbra_identity_load_or_create(home, &id, &created, NULL, 0) != 0) _exit(1);
            snprintf(line, sizeof line, "%d %s", created, umbra_identity_id(id));
            umbra_identity_free(id);
            if (write(fds[i][1], line, sizeof line) != (ssize_t)sizeof line) _exit(2);
            _exit(0);
        }
        close(fds[i][1]);
    }
    char first[64] = {0};
    int creators = 0;
    for (int i = 0; i < N; i++) {
        char line[64];
        int st;
        assert_int_equal(read(fds[i][0], line, sizeof line), (ssize_t)sizeof line);
        close(fds[i][0]);
        assert_int_equal(waitpid(pids[i], &st, 0), pids[i]);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        creators += line[0] == '1';
        if (i == 0) memcpy(first, line + 2, sizeof line - 2);
        else assert_string_equal(first, line + 2);
    }
    assert_int_equal(creators, 1);
    umbra_identity *id;
    assert_int_equal(umbra_identity_load(home, &id, NULL, 0), 0);
    assert_string_equal(umbra_identity_id(id), first);
    umbra_identity_free(id);
}

static void allocation_failures(void **state) {
    (void)state;
    const char *home = tu_tmpdir();
    char err[UMBRA_IDENTITY_ERR_LEN];
    umbra_identity *id;
    assert_int_equal(umbra_identity_load_or_create(home, &id, NULL, err, sizeof err), 0);
    umbra_identity_free(id);
    int ok = 0;
    for (unsigned long k = 1; k < 12; k++) {
        umbra_alloc_fail_after(k, 1);
        int rc = umbra_identity_load(home, &id, err, sizeof err);
        umbra_alloc_fail_after(0, 0);
        if (rc == 0) {
            ok++;
            umbra_identity_free(id);
        } else {
            assert_int_equal(rc, UMBRA_ENOMEM);
            assert_null(id);
        }
    }
    assert_true(ok > 0);
    /* First use under allocation failure at every point: a named error, *out NULL, no
     * leak (ASan), and no half-made identity — once it succeeds, the next run loads it. */
    const char *base = tu_tmpdir();
    int created_ok = 0;
    for (unsigned long k = 1; k < 16; k++) {
        char home2[600];
        snprintf(home2, sizeof home2, "%s/fresh%lu", base, k);
        int created = -1;
        id = (umbra_identity *)1;
        umbra_alloc_fail_after(k, 1);
        int rc = umbra_identity_load_or_create(home2, &id, &created, err, sizeof err);
        umbra_alloc_fail_after(0, 0);
        if (rc != 0) {
            assert_int_equal(rc, UMBRA_ENOMEM);
            assert_null(id);
            assert_int_equal(created, 0);
            assert_true(err[0] != 0);
            continue;
        }
        created_ok++;
        assert_int_equal(created, 1);
        umbra_identity *again;
        assert_int_equal(umbra_identity_load(home2, &again, err, sizeof err), 0);
        assert_string_equal(umbra_identity_id(again), umbra_identity_id(id));
        umbra_identity_free(again);
        umbra_identity_free(id);
    }
    assert_true(created_ok > 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(id_derivation),
        cmocka_unit_test(peer_key_round_trip_and_errors),
        cmocka_unit_test(sign_and_decaps_with_identity),
        cmocka_unit_test(identity_ops_match_seed_primitives),
        cmocka_unit_test(create_load_and_modes),
        cmocka_unit_test(corrupt_files_are_refused),
        cmocka_unit_test(unsafe_permissions_are_refused),
        cmocka_unit_test(concurrent_first_use_agrees),
        cmocka_unit_test(allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
