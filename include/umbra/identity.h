/*
 * umbra/identity.h — the node identity: a composite signing key pair (ML-DSA-65 + Ed25519,
 * uc_compsig_*) and an X-Wing KEM key pair (uc_xwing_*), kept under $UMBRA_HOME, plus the
 * printable forms other nodes use to name and pin it. Prefix: umbra_identity_.
 * Format and derivations are specified in docs/IDENTITY.md.
 *
 * Files under the home directory (created 0700):
 *   identity.key  (0600) the secret seeds — binary, magic + version + SHA-256 checksum;
 *   identity.pub  (0644) the peer key string + "\n" — informational, rewritten from the
 *                        secret file when missing or stale.
 *
 * Node id:   "umb1" + base32(SHA-256(compsig_pk || xwing_pk)[0..20))   — 36 characters.
 * Peer key:  "upk1." + base64url(compsig_pk || xwing_pk || SHA-256(compsig_pk || xwing_pk)[0..4))
 *            — 4277 characters, what `umbra connect --peer-key` takes.
 *
 * Errors: 0 or a negative UMBRA_E* code. Functions with (err, errcap) write a one-line,
 * human-readable reason there on failure ("" on success); err may be NULL.
 */
#ifndef UMBRA_IDENTITY_H
#define UMBRA_IDENTITY_H

#include "umbra/base.h"
#include "umbra/crypto.h"

#ifdef __cplusplus
extern "C" {
#endif

#define UMBRA_IDENTITY_ID_PREFIX "umb1"
#define UMBRA_IDENTITY_ID_LEN 36      /* strlen of a node id */
#define UMBRA_IDENTITY_ID_HASH_LEN 20 /* bytes of SHA-256 encoded in the id */
#define UMBRA_PEER_KEY_PREFIX "upk1."
#define UMBRA_PEER_KEY_LEN 4277       /* strlen of a peer key string */
#define UMBRA_IDENTITY_KEY_FILE "identity.key"
#define UMBRA_IDENTITY_PUB_FILE "identity.pub"
#define UMBRA_IDENTITY_FILE_LEN 140   /* size of identity.key, version 1 */
#define UMBRA_IDENTITY_ERR_LEN 1024   /* enough for any message (they include paths) */

/* A node's secret identity (opaque). Holds the secret seeds and the signing/decapsulation
 * keys expanded from them once; umbra_identity_free() wipes all of it. Immutable once
 * made: any number of threads may use one identity at the same time. */
typedef struct umbra_identity umbra_identity;

/* The public half, as parsed from a peer key string (plain data: copy freely). */
typedef struct umbra_peer_key {
    uint8_t compsig_pk[UC_COMPSIG_PK_LEN];
    uint8_t xwing_pk[UC_XWING_PK_LEN];
    char id[UMBRA_IDENTITY_ID_LEN + 1];
} umbra_peer_key;

/* Loads the identity from `home`/identity.key, or creates one there on first use: creates
 * `home` (mkdir -p, 0700; an existing home open to group/others is narrowed to 0700 with a
 * warning, or refused with UMBRA_EPERM when that chmod fails), generates fresh keys, writes identity.key (0600, exclusively: a concurrent
 * creator's key wins and is loaded instead) and identity.pub. *created (may be NULL) is set
 * to 1 when a new identity was made. An existing but unreadable, corrupt or truncated file
 * is an error (never silently replaced). Errors: those of umbra_identity_load() and of
 * umbra_mkdirs(), UMBRA_EIO / UMBRA_EPERM / UMBRA_ENOSPACE from writing, UMBRA_ERANDOM,
 * UMBRA_EEXIST (the key file appeared and vanished again during both creation attempts).
 * On success the caller owns *out (free with umbra_identity_free()); on failure *out is
 * NULL, *created 0 and nothing is left half-written. */
UMBRA_API int umbra_identity_load_or_create(const char *home, umbra_identity **out, int *created,
                                            char *err, size_t errcap);
/* Loads an existing identity from `home`/identity.key; the caller owns *out (NULL on
 * failure). Errors: UMBRA_ENOENT (no identity.key), UMBRA_ECORRUPT (wrong
 * size, magic, reserved bytes or checksum — the message says which), UMBRA_EUNSUPPORTED
 * (a newer format version), UMBRA_EPERM (the file is readable or writable by group/others,
 * is not owned by this user, or is a symlink: refused, see docs/IDENTITY.md), UMBRA_EINVAL
 * (not a regular file; home NULL, empty or too long for PATH_MAX), UMBRA_EBADKEY (seeds
 * rejected by the key generators), UMBRA_ERANDOM / UMBRA_ECRYPTO (uc_init() failed),
 * UMBRA_ENOMEM, UMBRA_EIO. The file is never modified. */
UMBRA_API int umbra_identity_load(const char *home, umbra_identity **out, char *err, size_t errcap);
/* A fresh identity in memory only (no files; the path accessors return NULL). The caller
 * owns *out (NULL on failure). Errors: UMBRA_EINVAL (out NULL), UMBRA_ENOMEM, those of
 * uc_init(). */
UMBRA_API int umbra_identity_generate(umbra_identity **out);
/* An identity from known seeds (tests, vectors). The seeds are copied (the caller wipes
 * its own copy); the caller owns *out (NULL on failure). Errors: UMBRA_EINVAL (a NULL
 * argument), UMBRA_ENOMEM, UMBRA_EBADKEY, those of uc_init(). */
UMBRA_API int umbra_identity_from_seeds(const uint8_t compsig_sk[UC_COMPSIG_SK_LEN],
                                        const uint8_t xwing_sk[UC_XWING_SK_LEN], umbra_identity **out);
/* Wipes and releases. NULL is a no-op. */
UMBRA_API void umbra_identity_free(umbra_identity *id);

/* Accessors (id must not be NULL): pointers into `id`, valid until umbra_identity_free(id). */
UMBRA_API const uint8_t *umbra_identity_compsig_pk(const umbra_identity *id); /* 1984 bytes */
UMBRA_API const uint8_t *umbra_identity_xwing_pk(const umbra_identity *id);   /* 1216 bytes */
UMBRA_API const char *umbra_identity_id(const umbra_identity *id);            /* "umb1…" */
UMBRA_API const char *umbra_identity_key_path(const umbra_identity *id);      /* or NULL */
UMBRA_API const char *umbra_identity_pub_path(const umbra_identity *id);      /* or NULL */
/* Copies the public half (both public keys and the id) into *out. Neither may be NULL. */
UMBRA_API void umbra_identity_public(const umbra_identity *id, umbra_peer_key *out);

/* Operations with the secret keys, so they never leave the object. sign: hedged composite
 * signature over (msg, ctx) into sig, see uc_compsig_sign (UMBRA_EINVAL for a NULL
 * argument or ctxlen > 255; sig is zeroed on failure). decaps: X-Wing decapsulation of ct
 * into ss, see uc_xwing_decaps (a bad ct gives an unrelated ss, not an error; UMBRA_EINVAL
 * for a NULL argument). */
UMBRA_API int umbra_identity_sign(const umbra_identity *id, uint8_t sig[UC_COMPSIG_SIG_LEN],
                                  const uint8_t *msg, size_t n, const uint8_t *ctx, size_t ctxlen);
UMBRA_API int umbra_identity_decaps(const umbra_identity *id, uint8_t ss[UC_XWING_SS_LEN],
                                    const uint8_t ct[UC_XWING_CT_LEN]);

/* Writes the node id of a pair of public keys into id_out (36 characters and a NUL).
 * Never fails; no argument may be NULL. */
UMBRA_API void umbra_identity_derive_id(const uint8_t compsig_pk[UC_COMPSIG_PK_LEN],
                                        const uint8_t xwing_pk[UC_XWING_PK_LEN],
                                        char id_out[UMBRA_IDENTITY_ID_LEN + 1]);
/* Formats the NUL-terminated peer key string of `pk` (its id field is ignored) into out;
 * returns UMBRA_PEER_KEY_LEN, UMBRA_ENOSPACE (out NULL or out_cap < UMBRA_PEER_KEY_LEN + 1)
 * or UMBRA_EINVAL (pk NULL). Never allocates. */
UMBRA_API int umbra_identity_format_peer_key(const umbra_peer_key *pk, char *out, size_t out_cap);
/* The peer key string of this identity (as above; UMBRA_EINVAL for id NULL). */
UMBRA_API int umbra_identity_peer_key(const umbra_identity *id, char *out, size_t out_cap);
/* Parses a peer key string (surrounding ASCII whitespace ignored) into *out, including its
 * node id. Errors: UMBRA_EMALFORMED (wrong prefix, length or characters), UMBRA_ECORRUPT
 * (checksum mismatch: the string was altered or mistyped), UMBRA_EINVAL (NULL). *out is
 * zeroed on failure. */
UMBRA_API int umbra_identity_parse_peer_key(const char *s, umbra_peer_key *out, char *err, size_t errcap);

#ifdef __cplusplus
}
#endif
#endif
