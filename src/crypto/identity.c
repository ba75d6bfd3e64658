/* identity.c — the node identity (include/umbra/identity.h, docs/IDENTITY.md).
 *
 * identity.key, version 1 (140 bytes, all fields fixed-size):
 *   0   8  magic "umbra-id"
 *   8   1  version (1)
 *   9   3  reserved, zero
 *   12  64 composite signature secret seed (ML-DSA-65 seed || Ed25519 seed)
 *   76  32 X-Wing secret seed
 *   108 32 SHA-256 of bytes 0..107
 * The public keys are re-derived from the seeds on every load, so a file cannot pair a
 * secret with someone else's public key. The format is binary on purpose: the seeds are
 * never copied into JSON strings or other buffers we cannot wipe. */
#include "umbra/identity.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FILE_MAGIC "umbra-id"
#define FILE_VERSION 1
#define OFF_VERSION 8
#define OFF_COMPSIG 12
#define OFF_XWING (OFF_COMPSIG + UC_COMPSIG_SK_LEN)
#define OFF_SUM (OFF_XWING + UC_XWING_SK_LEN)
_Static_assert(OFF_SUM + 32 == UMBRA_IDENTITY_FILE_LEN, "identity.key layout");
#define PEER_PAYLOAD_LEN (UC_COMPSIG_PK_LEN + UC_XWING_PK_LEN + 4)
_Static_assert(sizeof UMBRA_PEER_KEY_PREFIX - 1 + PEER_PAYLOAD_LEN / 3 * 4 == UMBRA_PEER_KEY_LEN,
               "peer key length");

struct umbra_identity {
    uint8_t compsig_sk[UC_COMPSIG_SK_LEN];
    uint8_t xwing_sk[UC_XWING_SK_LEN];
    /* The seeds expanded once (ML-DSA-65 key, X-Wing ML-KEM/X25519 keys), so sign and
     * decaps — once per handshake on a server — skip the key generation every call. */
    uc_compsig_xsk xsk;
    uc_xwing_dk dk;
    uint8_t compsig_pk[UC_COMPSIG_PK_LEN];
    uint8_t xwing_pk[UC_XWING_PK_LEN];
    char id[UMBRA_IDENTITY_ID_LEN + 1];
    char *key_path; /* NULL for in-memory identities */
    char *pub_path;
};

static void set_err(char *err, size_t errcap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errcap, const char *fmt, ...) {
    if (!err || !errcap) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errcap, fmt, ap);
    va_end(ap);
}

/* SHA-256(compsig_pk || xwing_pk): the id takes its first 20 bytes, the peer key checksum
 * its first 4. */
static void pk_hash(uint8_t h[32], const uint8_t *cpk, const uint8_t *xpk) {
    uc_sha256_ctx c;
    uc_sha256_init(&c);
    uc_sha256_update(&c, cpk, UC_COMPSIG_PK_LEN);
    uc_sha256_update(&c, xpk, UC_XWING_PK_LEN);
    uc_sha256_final(&c, h);
}

void umbra_identity_derive_id(const uint8_t compsig_pk[UC_COMPSIG_PK_LEN], const uint8_t xwing_pk[UC_XWING_PK_LEN],
                              char id_out[UMBRA_IDENTITY_ID_LEN + 1]) {
    uint8_t h[32];
    pk_hash(h, compsig_pk, xwing_pk);
    memcpy(id_out, UMBRA_IDENTITY_ID_PREFIX, 4);
    /* 20 bytes → exactly 32 base32 characters (no partial group). */
    (void)umbra_base32_encode(id_out + 4, UMBRA_IDENTITY_ID_LEN + 1 - 4, h, UMBRA_IDENTITY_ID_HASH_LEN);
}

static umbra_identity *identity_new(void) {
    umbra_identity *id = umbra_calloc(1, sizeof *id);
    return id;
}

void umbra_identity_free(umbra_identity *id) {
    if (!id) return;
    umbra_free(id->key_path);
    umbra_free(id->pub_path);
    umbra_wipe(id, sizeof *id);
    umbra_free(id);
}

/* Expands the seeds already in id into the signing / decapsulation keys and derives the
 * public keys and the id from them. */
static int derive_public(umbra_identity *id) {
    int rc = uc_compsig_expand(&id->xsk, id->compsig_pk, id->compsig_sk);
    if (rc == 0) rc = uc_xwing_dk_expand(&id->dk, id->xwing_pk, id->xwing_sk);
    if (rc) return rc < 0 ? rc : UMBRA_EBADKEY;
    umbra_identity_derive_id(id->compsig_pk, id->xwing_pk, id->id);
    return 0;
}

int umbra_identity_from_seeds(const uint8_t compsig_sk[UC_COMPSIG_SK_LEN], const uint8_t xwing_sk[UC_XWING_SK_LEN],
                              umbra_identity **out) {
    if (!out) return UMBRA_EINVAL;
    *out = NULL;
    if (!compsig_sk || !xwing_sk) return UMBRA_EINVAL;
    int rc = uc_init();
    if (rc) return rc;
    umbra_identity *id = identity_new();
    if (!id) return UMBRA_ENOMEM;
    memcpy(id->compsig_sk, compsig_sk, UC_COMPSIG_SK_LEN);
    memcpy(id->xwing_sk, xwing_sk, UC_XWING_SK_LEN);
    if ((rc = derive_public(id)) != 0) {
        umbra_identity_free(id);
        return rc;
    }
    *out = id;
    return 0;
}

int umbra_identity_generate(umbra_identity **out) {
    if (!out) return UMBRA_EINVAL;
    *out = NULL;
    int rc = uc_init();
    if (rc) return rc;
    umbra_identity *id = identity_new();
    if (!id) return UMBRA_ENOMEM;
    /* Fresh seeds, then the same derivation a load does (so both paths make the same keys
     * from the same seeds). */
    uc_random(id->compsig_sk, UC_COMPSIG_SK_LEN);
    uc_random(id->xwing_sk, UC_XWING_SK_LEN);
    if ((rc = derive_public(id)) != 0) {
        umbra_identity_free(id);
        return rc;
    }
    *out = id;
    return 0;
}

/* ---- files ------------------------------------------------------------------------------ */

/* *out = home + "/" + name (umbra_malloc'd). UMBRA_EINVAL when the path would not fit
 * PATH_MAX (a bad home, as for umbra_mkdirs), UMBRA_ENOMEM. */
static int join(char **out, const char *home, const char *name) {
    size_t n = strlen(home) + 1 + strlen(name) + 1;
    if (n > PATH_MAX) return UMBRA_EINVAL;
    *out = umbra_malloc(n);
    if (!*out) return UMBRA_ENOMEM;
    snprintf(*out, n, "%s/%s", home, name);
    return 0;
}

static int set_paths(umbra_identity *id, const char *home) {
    int rc = join(&id->key_path, home, UMBRA_IDENTITY_KEY_FILE);
    if (!rc) rc = join(&id->pub_path, home, UMBRA_IDENTITY_PUB_FILE);
    return rc;
}

static void encode_file(const umbra_identity *id, uint8_t f[UMBRA_IDENTITY_FILE_LEN]) {
    memset(f, 0, UMBRA_IDENTITY_FILE_LEN);
    memcpy(f, FILE_MAGIC, 8);
    f[OFF_VERSION] = FILE_VERSION;
    memcpy(f + OFF_COMPSIG, id->compsig_sk, UC_COMPSIG_SK_LEN);
    memcpy(f + OFF_XWING, id->xwing_sk, UC_XWING_SK_LEN);
    uc_sha256(f + OFF_SUM, f, OFF_SUM);
}

/* Reads the secret file into f (exactly UMBRA_IDENTITY_FILE_LEN bytes) after checking that
 * it is a regular file private to this user. Never allocates: the bytes are secret. */
static int read_key_file(const char *path, uint8_t f[UMBRA_IDENTITY_FILE_LEN], char *err, size_t errcap) {
    uint8_t extra[1];
    struct stat st;
    int rc = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0) {
        int e = errno;
        if (e == ELOOP) {
            set_err(err, errcap, "%s is a symbolic link; refusing to read a secret key through it", path);
            return UMBRA_EPERM;
        }
        rc = umbra_from_errno(e);
        set_err(err, errcap, "cannot open %s: %s", path, strerror(e));
        return rc;
    }
    if (fstat(fd, &st) != 0) {
        rc = umbra_from_errno(errno);
        set_err(err, errcap, "cannot stat %s: %s", path, strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        set_err(err, errcap, "%s is not a regular file", path);
        rc = UMBRA_EINVAL;
        goto out;
    }
    if (st.st_uid != geteuid()) {
        set_err(err, errcap, "%s is owned by uid %u, not by this user (uid %u); refusing to use it", path,
                (unsigned)st.st_uid, (unsigned)geteuid());
        rc = UMBRA_EPERM;
        goto out;
    }
    if (st.st_mode & 077) {
        set_err(err, errcap,
                "%s has mode %04o: the secret key is accessible to other users; refusing to use it. "
                "If nobody else could have read it, run: chmod 600 %s",
                path, (unsigned)(st.st_mode & 07777), path);
        rc = UMBRA_EPERM;
        goto out;
    }
    size_t got = 0;
    while (got < UMBRA_IDENTITY_FILE_LEN) {
        ssize_t r = read(fd, f + got, UMBRA_IDENTITY_FILE_LEN - got);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            rc = umbra_from_errno(errno);
            set_err(err, errcap, "cannot read %s: %s", path, strerror(errno));
            goto out;
        }
        if (r == 0) break;
        got += (size_t)r;
    }
    if (got < UMBRA_IDENTITY_FILE_LEN) {
        set_err(err, errcap, "%s is truncated (%zu of %d bytes); it was not modified — restore it from a backup "
                "or move it away to create a new identity", path, got, UMBRA_IDENTITY_FILE_LEN);
        rc = UMBRA_ECORRUPT;
        goto out;
    }
    ssize_t r;
    do r = read(fd, extra, 1);
    while (r < 0 && errno == EINTR);
    if (r != 0) {
        set_err(err, errcap, "%s is longer than %d bytes: not an umbra identity file", path, UMBRA_IDENTITY_FILE_LEN);
        rc = UMBRA_ECORRUPT;
    }
out:
    close(fd);
    return rc;
}

static int decode_file(umbra_identity *id, const uint8_t f[UMBRA_IDENTITY_FILE_LEN], const char *path, char *err,
                       size_t errcap) {
    uint8_t sum[32];
    if (memcmp(f, FILE_MAGIC, 8) != 0) {
        set_err(err, errcap, "%s is not an umbra identity file (bad magic); it was not modified", path);
        return UMBRA_ECORRUPT;
    }
    if (f[OFF_VERSION] != FILE_VERSION) {
        set_err(err, errcap, "%s has format version %u; this umbra reads version %d", path, f[OFF_VERSION],
                FILE_VERSION);
        return UMBRA_EUNSUPPORTED;
    }
    uc_sha256(sum, f, OFF_SUM);
    int sum_ok = umbra_ct_equal(sum, f + OFF_SUM, 32) == 0;
    umbra_wipe(sum, sizeof sum); /* a hash of the seeds: lets a guess be confirmed */
    if (!sum_ok) {
        set_err(err, errcap, "%s is corrupt (checksum mismatch); it was not modified — restore it from a backup "
                "or move it away to create a new identity", path);
        return UMBRA_ECORRUPT;
    }
    if (f[OFF_VERSION + 1] | f[OFF_VERSION + 2] | f[OFF_VERSION + 3]) {
        set_err(err, errcap, "%s is corrupt (reserved bytes 9-11 are not zero); it was not modified", path);
        return UMBRA_ECORRUPT;
    }
    memcpy(id->compsig_sk, f + OFF_COMPSIG, UC_COMPSIG_SK_LEN);
    memcpy(id->xwing_sk, f + OFF_XWING, UC_XWING_SK_LEN);
    int rc = derive_public(id);
    if (rc) set_err(err, errcap, "%s: the stored seeds were rejected: %s", path, umbra_strerror(rc));
    return rc;
}

int umbra_identity_load(const char *home, umbra_identity **out, char *err, size_t errcap) {
    uint8_t f[UMBRA_IDENTITY_FILE_LEN];
    set_err(err, errcap, "%s", "");
    if (!out) return UMBRA_EINVAL;
    *out = NULL;
    if (!home || !*home) {
        set_err(err, errcap, "no home directory given");
        return UMBRA_EINVAL;
    }
    int rc = uc_init();
    if (rc) {
        set_err(err, errcap, "crypto initialization failed: %s", umbra_strerror(rc));
        return rc;
    }
    umbra_identity *id = identity_new();
    if (!id) {
        set_err(err, errcap, "out of memory");
        return UMBRA_ENOMEM;
    }
    if ((rc = set_paths(id, home)) != 0) {
        set_err(err, errcap, "%s: %s", home, umbra_strerror(rc));
        goto out;
    }
    if ((rc = read_key_file(id->key_path, f, err, errcap)) != 0) goto out;
    rc = decode_file(id, f, id->key_path, err, errcap);
out:
    umbra_wipe(f, sizeof f);
    if (rc) {
        umbra_identity_free(id);
        return rc;
    }
    *out = id;
    return 0;
}

/* Makes sure identity.pub holds this identity's peer key; a missing or stale file is
 * rewritten (it is derived data). Failure only warns: the secret file is what counts. */
static void sync_pub_file(const umbra_identity *id) {
    enum { LINE = UMBRA_PEER_KEY_LEN + 1 }; /* key + "\n" */
    char *want = umbra_malloc(2 * (LINE + 1)), *have;
    if (!want) return;
    have = want + LINE + 1;
    if (umbra_identity_peer_key(id, want, LINE + 1) != UMBRA_PEER_KEY_LEN) goto out;
    want[UMBRA_PEER_KEY_LEN] = '\n';
    int fd = open(id->pub_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK); /* no FIFO stalls */
    if (fd >= 0) {
        ssize_t r = read(fd, have, LINE + 1);
        close(fd);
        if (r == LINE && memcmp(have, want, LINE) == 0) goto out;
        umbra_warn("%s does not match %s; rewriting it", id->pub_path, id->key_path);
    }
    int rc = umbra_file_write_atomic(id->pub_path, want, LINE, 0644);
    if (rc) umbra_warn("cannot write %s: %s", id->pub_path, umbra_strerror(rc));
out:
    umbra_free(want);
}

int umbra_identity_load_or_create(const char *home, umbra_identity **out, int *created, char *err, size_t errcap) {
    struct stat st;
    uint8_t f[UMBRA_IDENTITY_FILE_LEN];
    umbra_identity *id = NULL;
    set_err(err, errcap, "%s", "");
    if (created) *created = 0;
    if (!out) return UMBRA_EINVAL;
    *out = NULL;
    if (!home || !*home) {
        set_err(err, errcap, "no home directory given");
        return UMBRA_EINVAL;
    }
    int rc = umbra_mkdirs(home, 0700);
    if (rc) {
        set_err(err, errcap, "cannot create %s: %s", home, umbra_strerror(rc));
        return rc;
    }
    if (stat(home, &st) == 0 && (st.st_mode & 077)) {
        /* The directory only has to keep others from listing/creating files: narrowing it
         * is safe, unlike a key file that may already have been read. A home that stays
         * open (someone else's directory) would let others replace or remove our files. */
        if (chmod(home, 0700) != 0) {
            int e = errno;
            set_err(err, errcap, "%s has mode %04o and cannot be changed to 0700 (%s); refusing to keep keys there",
                    home, (unsigned)(st.st_mode & 07777), strerror(e));
            return UMBRA_EPERM;
        }
        umbra_warn("%s had mode %04o; changed it to 0700", home, (unsigned)(st.st_mode & 07777));
    }
    for (int attempt = 0; attempt < 2; attempt++) {
        rc = umbra_identity_load(home, &id, err, errcap);
        if (rc != UMBRA_ENOENT) break;
        /* First use: make a new identity and publish it exclusively. */
        if ((rc = umbra_identity_generate(&id)) != 0) {
            set_err(err, errcap, "cannot generate keys: %s", umbra_strerror(rc));
            break;
        }
        if ((rc = set_paths(id, home)) != 0) {
            set_err(err, errcap, "%s: %s", home, umbra_strerror(rc));
            break;
        }
        encode_file(id, f);
        rc = umbra_file_create_atomic(id->key_path, f, sizeof f, 0600);
        umbra_wipe(f, sizeof f);
        if (rc == UMBRA_EEXIST) { /* another process won the race: use its identity */
            umbra_identity_free(id);
            id = NULL;
            continue;
        }
        if (rc) {
            set_err(err, errcap, "cannot write %s: %s", id->key_path, umbra_strerror(rc));
            break;
        }
        set_err(err, errcap, "%s", "");
        if (created) *created = 1;
        umbra_info("created identity %s in %s", id->id, id->key_path);
        break;
    }
    if (rc == UMBRA_EEXIST) /* both attempts lost a race with a creator and then a remover */
        set_err(err, errcap, "%s/%s appeared and vanished again while creating it; try again", home,
                UMBRA_IDENTITY_KEY_FILE);
    if (rc) {
        umbra_identity_free(id);
        return rc;
    }
    sync_pub_file(id);
    *out = id;
    return 0;
}

/* ---- accessors and operations ------------------------------------------------------------ */

const uint8_t *umbra_identity_compsig_pk(const umbra_identity *id) { return id->compsig_pk; }
const uint8_t *umbra_identity_xwing_pk(const umbra_identity *id) { return id->xwing_pk; }
const char *umbra_identity_id(const umbra_identity *id) { return id->id; }
const char *umbra_identity_key_path(const umbra_identity *id) { return id->key_path; }
const char *umbra_identity_pub_path(const umbra_identity *id) { return id->pub_path; }

void umbra_identity_public(const umbra_identity *id, umbra_peer_key *out) {
    memcpy(out->compsig_pk, id->compsig_pk, UC_COMPSIG_PK_LEN);
    memcpy(out->xwing_pk, id->xwing_pk, UC_XWING_PK_LEN);
    memcpy(out->id, id->id, sizeof out->id);
}

int umbra_identity_sign(const umbra_identity *id, uint8_t sig[UC_COMPSIG_SIG_LEN], const uint8_t *msg, size_t n,
                        const uint8_t *ctx, size_t ctxlen) {
    if (!id) return UMBRA_EINVAL;
    return uc_compsig_sign_xsk(sig, msg, n, ctx, ctxlen, &id->xsk);
}

int umbra_identity_decaps(const umbra_identity *id, uint8_t ss[UC_XWING_SS_LEN], const uint8_t ct[UC_XWING_CT_LEN]) {
    if (!id) return UMBRA_EINVAL;
    return uc_xwing_decaps_dk(ss, ct, &id->dk);
}

/* ---- peer key strings --------------------------------------------------------------------- */

/* The peer key string of a pair of public keys (see identity.h); never allocates. */
static int format_peer_key(const uint8_t *cpk, const uint8_t *xpk, char *out, size_t out_cap) {
    static const size_t plen = sizeof UMBRA_PEER_KEY_PREFIX - 1;
    uint8_t payload[PEER_PAYLOAD_LEN], h[32];
    if (!out || out_cap < UMBRA_PEER_KEY_LEN + 1) return UMBRA_ENOSPACE;
    memcpy(payload, cpk, UC_COMPSIG_PK_LEN);
    memcpy(payload + UC_COMPSIG_PK_LEN, xpk, UC_XWING_PK_LEN);
    pk_hash(h, cpk, xpk);
    memcpy(payload + UC_COMPSIG_PK_LEN + UC_XWING_PK_LEN, h, 4);
    memcpy(out, UMBRA_PEER_KEY_PREFIX, plen);
    int rc = umbra_base64_encode(out + plen, out_cap - plen, payload, sizeof payload, 1);
    return rc < 0 ? rc : (int)plen + rc;
}

int umbra_identity_format_peer_key(const umbra_peer_key *pk, char *out, size_t out_cap) {
    if (!pk) return UMBRA_EINVAL;
    return format_peer_key(pk->compsig_pk, pk->xwing_pk, out, out_cap);
}

int umbra_identity_peer_key(const umbra_identity *id, char *out, size_t out_cap) {
    if (!id) return UMBRA_EINVAL;
    return format_peer_key(id->compsig_pk, id->xwing_pk, out, out_cap);
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

int umbra_identity_parse_peer_key(const char *s, umbra_peer_key *out, char *err, size_t errcap) {
    static const size_t plen = sizeof UMBRA_PEER_KEY_PREFIX - 1;
    uint8_t payload[PEER_PAYLOAD_LEN], h[32];
    set_err(err, errcap, "%s", "");
    if (!s || !out) return UMBRA_EINVAL;
    memset(out, 0, sizeof *out);
    size_t n = strlen(s);
    while (n && is_space(s[n - 1])) n--;
    while (n && is_space(*s)) s++, n--;
    if (n < plen || memcmp(s, UMBRA_PEER_KEY_PREFIX, plen) != 0) {
        set_err(err, errcap, "not an umbra peer key (expected it to start with \"%s\")", UMBRA_PEER_KEY_PREFIX);
        return UMBRA_EMALFORMED;
    }
    if (n != UMBRA_PEER_KEY_LEN) {
        set_err(err, errcap, "peer key has %zu characters, expected %d (truncated when copied?)", n,
                UMBRA_PEER_KEY_LEN);
        return UMBRA_EMALFORMED;
    }
    if (umbra_base64_decode(payload, sizeof payload, s + plen, n - plen, 1) != PEER_PAYLOAD_LEN) {
        set_err(err, errcap, "peer key contains characters outside the base64url alphabet");
        return UMBRA_EMALFORMED;
    }
    pk_hash(h, payload, payload + UC_COMPSIG_PK_LEN);
    if (umbra_ct_equal(h, payload + UC_COMPSIG_PK_LEN + UC_XWING_PK_LEN, 4) != 0) {
        set_err(err, errcap, "peer key checksum mismatch (the string was altered or mistyped)");
        return UMBRA_ECORRUPT;
    }
    memcpy(out->compsig_pk, payload, UC_COMPSIG_PK_LEN);
    memcpy(out->xwing_pk, payload + UC_COMPSIG_PK_LEN, UC_XWING_PK_LEN);
    umbra_identity_derive_id(out->compsig_pk, out->xwing_pk, out->id);
    return 0;
}
