/*
 * umbra/crypto.h — misuse-resistant wrappers over libsodium, OpenSSL 3 and PQClean, plus
 * the hybrids written here (X-Wing, composite ML-DSA-65 + Ed25519), HKDF, the group
 * arithmetic PAKEs (SPAKE2, CPace) are built from, CIDv1. Implemented in src/crypto/.
 * Prefix: uc_ (public), uc__ / umbra__ (internals).
 *
 * Rules: umbra's code here never allocates; the only heap use is inside the backends
 * (OpenSSL EVP contexts, freed before return or in uc_aead_clear(); PQClean's SHAKE
 * states, which PQClean allocates with malloc() and on failure ends the process with
 * exit(111) — a limit of that backend, not something these wrappers can report). The
 * node identity (umbra/identity.h) lives in src/crypto/ too but is an object API that
 * does allocate. Every secret intermediate is wiped, every MAC/tag comparison is constant time.
 * Call uc_init() once before anything else (it is idempotent and thread-safe). Functions
 * return 0 or a negative UMBRA_E* code; fixed-size parameters are written in the types,
 * so callers check lengths of untrusted input before passing it.
 */
#ifndef UMBRA_CRYPTO_H
#define UMBRA_CRYPTO_H

#include "umbra/base.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Initializes libsodium, fetches the OpenSSL algorithms once and checks the RNG.
 * Idempotent, thread-safe. UMBRA_ERANDOM (no working RNG) / UMBRA_ECRYPTO (OpenSSL lacks
 * an algorithm). */
UMBRA_API int uc_init(void);
/* Fills buf with n cryptographically secure random bytes (libsodium). Never fails. */
UMBRA_API void uc_random(void *buf, size_t n);

/* ---- Hashes ------------------------------------------------------------------------------ */
#define UC_SHA256_LEN 32
#define UC_SHA512_LEN 64
#define UC_SHA3_256_LEN 32
/* One-shot hashes (FIPS 180-4, FIPS 202). They never fail: SHA-256/SHA3/SHAKE run on
 * OpenSSL and, should OpenSSL be unable to allocate its context, on libsodium/PQClean. */
UMBRA_API void uc_sha256(uint8_t out[32], const void *msg, size_t n);
UMBRA_API void uc_sha512(uint8_t out[64], const void *msg, size_t n);
UMBRA_API void uc_sha3_256(uint8_t out[32], const void *msg, size_t n);
/* SHAKE-256 with any output length. */
UMBRA_API void uc_shake256(uint8_t *out, size_t outlen, const void *msg, size_t n);

/* Incremental SHA-256 (libsodium state; layout public for stack use; do not touch fields):
 * init, any number of updates, final (which wipes the context). Never fail. */
typedef struct uc_sha256_ctx { uint64_t opaque[14]; } uc_sha256_ctx;
UMBRA_API void uc_sha256_init(uc_sha256_ctx *c);
UMBRA_API void uc_sha256_update(uc_sha256_ctx *c, const void *p, size_t n);
UMBRA_API void uc_sha256_final(uc_sha256_ctx *c, uint8_t out[32]); /* wipes c */

/* Incremental SHA-512 (libsodium state; layout public for stack use; do not touch). */
typedef struct uc_sha512_ctx { uint64_t opaque[26]; } uc_sha512_ctx;
UMBRA_API void uc_sha512_init(uc_sha512_ctx *c);
UMBRA_API void uc_sha512_update(uc_sha512_ctx *c, const void *p, size_t n);
UMBRA_API void uc_sha512_final(uc_sha512_ctx *c, uint8_t out[64]); /* wipes c */

/* ---- MAC and KDF ------------------------------------------------------------------------- */
/* RFC 2104 HMAC-SHA256 of (msg, n) under key (any length; NULL with keylen 0 is the empty
 * key). Never fails (libsodium computes it when OpenSSL cannot allocate). */
UMBRA_API void uc_hmac_sha256(uint8_t out[32], const uint8_t *key, size_t keylen,
                              const void *msg, size_t n);
/* Constant-time check of a (possibly truncated, taglen in 1..32) HMAC-SHA256 tag: 0,
 * UMBRA_EAUTH on mismatch, UMBRA_EINVAL for a taglen outside 1..32. */
UMBRA_API int uc_hmac_sha256_verify(const uint8_t *tag, size_t taglen, const uint8_t *key,
                                    size_t keylen, const void *msg, size_t n);
/* RFC 5869. extract: prk = HMAC(salt, ikm) (salt NULL/0 = 32 zero bytes). expand: okm of
 * outlen <= 255*32 bytes (else UMBRA_ERANGE; outlen 0 writes nothing). uc_hkdf = extract +
 * expand. Expand runs on OpenSSL's HKDF and fails only with UMBRA_ENOMEM/UMBRA_ECRYPTO
 * when OpenSSL cannot allocate (okm is then wiped). Outputs may alias inputs (okm over prk,
 * prk over salt or ikm), as a rekey chain needs. */
UMBRA_API void uc_hkdf_extract(uint8_t prk[32], const uint8_t *salt, size_t saltlen,
                               const uint8_t *ikm, size_t ikmlen);
UMBRA_API int uc_hkdf_expand(uint8_t *okm, size_t outlen, const uint8_t prk[32],
                             const uint8_t *info, size_t infolen);
UMBRA_API int uc_hkdf(uint8_t *okm, size_t outlen, const uint8_t *salt, size_t saltlen,
                      const uint8_t *ikm, size_t ikmlen, const uint8_t *info, size_t infolen);

/* ---- AEAD ---------------------------------------------------------------------------------
 * One context type for both ciphers (both on OpenSSL 3 EVP); the key schedule lives in
 * an OpenSSL context and is wiped by uc_aead_clear(). uc_aead_init() allocates that
 * context (UMBRA_ENOMEM); every successful init must be paired with uc_aead_clear()
 * (also safe after a failed init, and twice). Seal writes ptlen + 16 bytes to ct (ct may
 * equal pt). Open verifies the tag in constant time and returns UMBRA_EAUTH when it does
 * not match; no unauthenticated plaintext is ever released: on failure the ctlen - 16
 * bytes of pt are set to zero (OpenSSL decrypts while it authenticates) — with pt == ct
 * that destroys the ciphertext. A context is not thread-safe; use one per thread and
 * direction. Errors: UMBRA_EINVAL (NULL pointers, unknown alg), UMBRA_ESTATE (context not
 * initialized), UMBRA_ETOOBIG (seal: ptlen over the per-message limit of SP 800-38D
 * §5.2.1.1 / RFC 8439 §2.8), UMBRA_ECRYPTO (init: OpenSSL lacks the cipher; seal: OpenSSL
 * failure, ct is then wiped),
 * UMBRA_EAUTH (open: bad tag, ctlen < 16 or over the limit), UMBRA_ENOMEM (init). */
enum uc_aead_alg { UC_AEAD_AES256GCM = 1, UC_AEAD_CHACHA20POLY1305 = 2 };
#define UC_AEAD_KEY_LEN 32
#define UC_AEAD_NONCE_LEN 12
#define UC_AEAD_TAG_LEN 16
typedef struct uc_aead {
    int alg;
    void *evp; /* OpenSSL EVP_CIPHER_CTX (both ciphers), holding the key schedule */
} uc_aead; /* do not touch fields */
UMBRA_API int uc_aead_init(uc_aead *a, int alg, const uint8_t key[32]);
UMBRA_API void uc_aead_clear(uc_aead *a);
UMBRA_API int uc_aead_seal(uc_aead *a, uint8_t *ct, const uint8_t nonce[12], const uint8_t *aad,
                           size_t aadlen, const uint8_t *pt, size_t ptlen);
UMBRA_API int uc_aead_open(uc_aead *a, uint8_t *pt, const uint8_t nonce[12], const uint8_t *aad,
                           size_t aadlen, const uint8_t *ct, size_t ctlen);
/* One-shot variants with explicit nonce and tag lengths, for vector tests (AES-GCM accepts
 * 16/24/32-byte keys, nonce lengths 1..128 and tag lengths 4..16; ChaCha20-Poly1305 only
 * a 32-byte key, 12 and 16). Bad lengths give UMBRA_EINVAL, a nonce over 128 bytes
 * UMBRA_EUNSUPPORTED (OpenSSL's limit). ct/pt hold ptlen/ctlen bytes, tag taglen. */
UMBRA_API int uc_aead_seal_ex(int alg, const uint8_t *key, size_t keylen, const uint8_t *nonce,
                              size_t noncelen, const uint8_t *aad, size_t aadlen, const uint8_t *pt,
                              size_t ptlen, uint8_t *ct, uint8_t *tag, size_t taglen);
UMBRA_API int uc_aead_open_ex(int alg, const uint8_t *key, size_t keylen, const uint8_t *nonce,
                              size_t noncelen, const uint8_t *aad, size_t aadlen, const uint8_t *ct,
                              size_t ctlen, const uint8_t *tag, size_t taglen, uint8_t *pt);

/* ---- X25519 -------------------------------------------------------------------------------
 * uc_x25519 computes the raw shared secret and returns UMBRA_EWEAKKEY when it is all zero
 * (low-order peer point). Every caller that uses the result as a key MUST treat that as a
 * failure; only RFC 7748 conformance tests look at the value anyway (it is still written). */
/* pk = X25519(sk, 9) (RFC 7748 §6.1; sk is clamped inside). Never fails. */
UMBRA_API void uc_x25519_base(uint8_t pk[32], const uint8_t sk[32]);
/* ss = X25519(sk, peer_pk): 0, or UMBRA_EWEAKKEY with ss all zero (see above). */
UMBRA_API int uc_x25519(uint8_t ss[32], const uint8_t sk[32], const uint8_t peer_pk[32]);
/* A fresh random sk and its pk. Never fails. */
UMBRA_API void uc_x25519_keypair(uint8_t pk[32], uint8_t sk[32]);

/* ---- Ed25519 (RFC 8032, pure) --------------------------------------------------------------
 * sk is the 32-byte seed; the public key is derived. uc_ed25519_pk derives it; sign writes
 * the deterministic 64-byte signature of (msg, n). Neither fails; expanded keys are wiped. */
UMBRA_API void uc_ed25519_pk(uint8_t pk[32], const uint8_t seed[32]);
UMBRA_API void uc_ed25519_sign(uint8_t sig[64], const void *msg, size_t n, const uint8_t seed[32]);
/* 0 or UMBRA_EBADSIG. Rejects non-canonical S, small-order and non-canonical A/R. */
UMBRA_API int uc_ed25519_verify(const uint8_t sig[64], const void *msg, size_t n, const uint8_t pk[32]);

/* ---- Group arithmetic for PAKEs: ristretto255 (RFC 9496) and the Ed25519 group --------
 * Elements are 32-byte encodings; scalars are 32-byte little-endian integers mod
 * L = 2^252 + 27742317777372353535851937790883648493 (the same field for both groups).
 * Scalar-multiplication inputs should be reduced scalars (< L; bit 255 is ignored).
 * Element inputs are validated: UMBRA_EBADKEY for a non-canonical encoding / a point not
 * in the group (for Ed25519: also small-order or outside the prime-order subgroup);
 * UMBRA_EWEAKKEY when a product is the identity (zero scalar). The output (q, r) is
 * zeroed on every failure. Scalar functions (uc_sc25519_*) are libsodium's: add, sub, mul,
 * negate mod L; reduce a 64-byte little-endian number mod L; invert (UMBRA_EINVAL for 0);
 * random uniform in [1, L). */
UMBRA_API void uc_sc25519_random(uint8_t s[32]); /* uniform in [1, L) */
UMBRA_API void uc_sc25519_reduce(uint8_t s[32], const uint8_t wide[64]); /* wide (LE) mod L */
UMBRA_API void uc_sc25519_add(uint8_t z[32], const uint8_t x[32], const uint8_t y[32]);
UMBRA_API void uc_sc25519_sub(uint8_t z[32], const uint8_t x[32], const uint8_t y[32]);
UMBRA_API void uc_sc25519_mul(uint8_t z[32], const uint8_t x[32], const uint8_t y[32]);
UMBRA_API void uc_sc25519_negate(uint8_t n[32], const uint8_t s[32]);
UMBRA_API int uc_sc25519_invert(uint8_t r[32], const uint8_t s[32]); /* UMBRA_EINVAL for 0 */
UMBRA_API int uc_ristretto255_check(const uint8_t p[32]);
/* RFC 9496 §4.3.4 one-way map of 64 uniform bytes to an element. */
UMBRA_API void uc_ristretto255_from_hash(uint8_t p[32], const uint8_t h[64]);
UMBRA_API int uc_ristretto255_scalarmult(uint8_t q[32], const uint8_t s[32], const uint8_t p[32]);
UMBRA_API int uc_ristretto255_scalarmult_base(uint8_t q[32], const uint8_t s[32]);
UMBRA_API int uc_ristretto255_add(uint8_t r[32], const uint8_t p[32], const uint8_t q[32]);
UMBRA_API int uc_ristretto255_sub(uint8_t r[32], const uint8_t p[32], const uint8_t q[32]);
UMBRA_API int uc_ed25519_point_check(const uint8_t p[32]);
/* Unclamped (noclamp) products, as SPAKE2 needs them. */
UMBRA_API int uc_ed25519_point_scalarmult(uint8_t q[32], const uint8_t s[32], const uint8_t p[32]);
UMBRA_API int uc_ed25519_point_scalarmult_base(uint8_t q[32], const uint8_t s[32]);
UMBRA_API int uc_ed25519_point_add(uint8_t r[32], const uint8_t p[32], const uint8_t q[32]);
UMBRA_API int uc_ed25519_point_sub(uint8_t r[32], const uint8_t p[32], const uint8_t q[32]);

/* ---- ML-KEM-768 (FIPS 203) ----------------------------------------------------------------- */
#define UC_MLKEM768_PK_LEN 1184
#define UC_MLKEM768_SK_LEN 2400
#define UC_MLKEM768_CT_LEN 1088
#define UC_MLKEM_SS_LEN 32
/* Keygen from the 64-byte seed d || z (FIPS 203 ML-KEM.KeyGen_internal), or from fresh
 * randomness (ML-KEM.KeyGen). UMBRA_EINVAL for a NULL argument. */
UMBRA_API int uc_mlkem768_keypair_derand(uint8_t pk[1184], uint8_t sk[2400], const uint8_t dz[64]);
UMBRA_API int uc_mlkem768_keypair(uint8_t pk[1184], uint8_t sk[2400]);
/* Encapsulation to pk (with the 32-byte message m, or fresh randomness): ct and the shared
 * secret ss. Checks the encapsulation key first (FIPS 203 §7.2 modulus check):
 * UMBRA_EBADKEY, with ct and ss zeroed; UMBRA_EINVAL for a NULL argument. */
UMBRA_API int uc_mlkem768_encaps_derand(uint8_t ct[1088], uint8_t ss[32], const uint8_t pk[1184],
                                        const uint8_t m[32]);
UMBRA_API int uc_mlkem768_encaps(uint8_t ct[1088], uint8_t ss[32], const uint8_t pk[1184]);
/* Decaps (implicit rejection: a modified ciphertext yields a pseudo-random ss, not an
 * error). Checks the decapsulation key (FIPS 203 §7.3 hash check): UMBRA_EBADKEY, with ss
 * zeroed. */
UMBRA_API int uc_mlkem768_decaps(uint8_t ss[32], const uint8_t ct[1088], const uint8_t sk[2400]);
/* The two FIPS 203 input checks on their own: §7.2 modulus check of an encapsulation key,
 * §7.3 hash check of a decapsulation key. 0 or UMBRA_EBADKEY. */
UMBRA_API int uc_mlkem768_check_pk(const uint8_t pk[1184]);
UMBRA_API int uc_mlkem768_check_sk(const uint8_t sk[2400]);

/* ---- ML-DSA-65 (FIPS 204) ------------------------------------------------------------------ */
#define UC_MLDSA65_PK_LEN 1952
#define UC_MLDSA65_SK_LEN 4032
#define UC_MLDSA65_SIG_LEN 3309
/* Keygen from the 32-byte seed xi (FIPS 204 ML-DSA.KeyGen_internal) or fresh randomness;
 * sk is the 4032-byte expanded key. UMBRA_EINVAL for a NULL argument, UMBRA_EINTERNAL if
 * the backend drew other than 32 seed bytes (pk and sk are then zeroed). */
UMBRA_API int uc_mldsa65_keypair_derand(uint8_t pk[1952], uint8_t sk[4032], const uint8_t seed[32]);
UMBRA_API int uc_mldsa65_keypair(uint8_t pk[1952], uint8_t sk[4032]);
/* Pure ML-DSA with context (ctxlen <= 255, else UMBRA_EINVAL). rnd NULL = hedged (fresh
 * random), otherwise the given 32 bytes (all-zero = deterministic variant). Signing
 * rejects an sk whose s1/s2 coefficients are out of range (UMBRA_EBADKEY). Verify returns
 * 0 or UMBRA_EBADSIG (wrong siglen, malformed hints, norm violation, mismatch). Every
 * refused signing call zeroes sig; UMBRA_ECRYPTO if no signature was found within 1000
 * attempts (never happens with a valid key). */
UMBRA_API int uc_mldsa65_sign(uint8_t sig[3309], const uint8_t *msg, size_t n, const uint8_t *ctx,
                              size_t ctxlen, const uint8_t *rnd, const uint8_t sk[4032]);
UMBRA_API int uc_mldsa65_verify(const uint8_t *sig, size_t siglen, const uint8_t *msg, size_t n,
                                const uint8_t *ctx, size_t ctxlen, const uint8_t pk[1952]);
/* Internal interface (FIPS 204 Algorithms 7/8): sign/verify M' as given, no domain prefix
 * (what ACVP's "internal" vectors and pre-built M' need). */
UMBRA_API int uc_mldsa65_sign_internal(uint8_t sig[3309], const uint8_t *mprime, size_t n,
                                       const uint8_t *rnd, const uint8_t sk[4032]);
UMBRA_API int uc_mldsa65_verify_internal(const uint8_t *sig, size_t siglen, const uint8_t *mprime,
                                         size_t n, const uint8_t pk[1952]);
/* External mu (FIPS 204 §6.2/§6.3): mu = H(H(pk, 64) || 0 || ctxlen || ctx || msg, 64) is
 * computed by uc_mldsa65_mu (possibly elsewhere), then signed/verified directly. Errors as
 * for uc_mldsa65_sign / uc_mldsa65_verify; a failed signature is zeroed. */
UMBRA_API int uc_mldsa65_mu(uint8_t mu[64], const uint8_t pk[1952], const uint8_t *msg, size_t n,
                            const uint8_t *ctx, size_t ctxlen);
UMBRA_API int uc_mldsa65_sign_mu(uint8_t sig[3309], const uint8_t mu[64], const uint8_t *rnd,
                                 const uint8_t sk[4032]);
UMBRA_API int uc_mldsa65_verify_mu(const uint8_t *sig, size_t siglen, const uint8_t mu[64],
                                   const uint8_t pk[1952]);

/* ---- X-Wing KEM (draft-connolly-cfrg-xwing-kem-10) ----------------------------------------
 * sk is the 32-byte seed; pk = ML-KEM-768 ek || X25519 pk; ct = ML-KEM ct || X25519 ct;
 * ss = SHA3-256(ss_M || ss_X || ct_X || pk_X || XWingLabel). */
#define UC_XWING_PK_LEN 1216
#define UC_XWING_SK_LEN 32
#define UC_XWING_CT_LEN 1120
#define UC_XWING_SS_LEN 32
/* Errors: UMBRA_EINVAL (NULL), UMBRA_EBADKEY (encaps: pk_M fails the FIPS 203 modulus
 * check), UMBRA_EWEAKKEY (encaps: pk_X is a low-order X25519 point). Decapsulation never
 * fails on a bad ciphertext (implicit rejection gives an unrelated ss). keypair_derand
 * derives pk from a given seed sk, keypair draws sk; encaps(_derand) produce ct and ss
 * (both zeroed on a key error); decaps recovers ss from ct. Secret intermediates are
 * wiped in every path. */
UMBRA_API int uc_xwing_keypair_derand(uint8_t pk[1216], const uint8_t sk[32]);
UMBRA_API int uc_xwing_keypair(uint8_t pk[1216], uint8_t sk[32]);
UMBRA_API int uc_xwing_encaps_derand(uint8_t ct[1120], uint8_t ss[32], const uint8_t pk[1216],
                                     const uint8_t eseed[64]);
UMBRA_API int uc_xwing_encaps(uint8_t ct[1120], uint8_t ss[32], const uint8_t pk[1216]);
UMBRA_API int uc_xwing_decaps(uint8_t ss[32], const uint8_t ct[1120], const uint8_t sk[32]);
/* Expanded decapsulation key: uc_xwing_decaps() re-derives ML-KEM and X25519 keys from
 * the seed on every call; a long-lived receiver expands once (pk optional, may be NULL)
 * and decapsulates with uc_xwing_decaps_dk(). Secret: wipe with uc_xwing_dk_wipe(). */
typedef struct uc_xwing_dk {
    uint8_t mlkem_sk[2400];
    uint8_t x_sk[32];
    uint8_t x_pk[32];
} uc_xwing_dk; /* do not touch fields */
UMBRA_API int uc_xwing_dk_expand(uc_xwing_dk *dk, uint8_t pk[1216], const uint8_t sk[32]);
UMBRA_API int uc_xwing_decaps_dk(uint8_t ss[32], const uint8_t ct[1120], const uc_xwing_dk *dk);
UMBRA_API void uc_xwing_dk_wipe(uc_xwing_dk *dk);

/* ---- Composite signature id-MLDSA65-Ed25519-SHA512 (draft-ietf-lamps-pq-composite-sigs-19)
 * pk = ML-DSA-65 pk || Ed25519 pk (1984 bytes); sk = ML-DSA-65 seed || Ed25519 seed (64);
 * sig = ML-DSA-65 sig || Ed25519 sig (3373). Both components must verify. ctx <= 255 bytes
 * (else UMBRA_EINVAL). The ML-DSA half is hedged (randomized), so signatures differ from
 * call to call. keypair_derand derives pk from sk; keypair draws sk (UMBRA_EINVAL for
 * NULL). Sign zeroes sig on failure (UMBRA_EINVAL, or UMBRA_EBADKEY/UMBRA_ECRYPTO from
 * ML-DSA). Verify returns 0, UMBRA_EBADSIG, or UMBRA_EINVAL (NULL, ctxlen > 255). */
#define UC_COMPSIG_PK_LEN 1984
#define UC_COMPSIG_SK_LEN 64
#define UC_COMPSIG_SIG_LEN 3373
UMBRA_API int uc_compsig_keypair_derand(uint8_t pk[1984], const uint8_t sk[64]);
UMBRA_API int uc_compsig_keypair(uint8_t pk[1984], uint8_t sk[64]);
UMBRA_API int uc_compsig_sign(uint8_t sig[3373], const uint8_t *msg, size_t n, const uint8_t *ctx,
                              size_t ctxlen, const uint8_t sk[64]);
UMBRA_API int uc_compsig_verify(const uint8_t sig[3373], const uint8_t *msg, size_t n,
                                const uint8_t *ctx, size_t ctxlen, const uint8_t pk[1984]);
/* Expanded signing key: uc_compsig_sign() re-derives the ML-DSA-65 key from its seed on
 * every call (about a quarter of the signing time); a long-lived signer expands once (pk
 * optional, may be NULL) and signs with uc_compsig_sign_xsk(). The expanded key also
 * caches what FIPS 204 Algorithm 7 (ML-DSA.Sign_internal) lines 1-5 compute before the
 * rejection loop — A-hat = ExpandA(rho) and NTT(s1), NTT(s2), NTT(t0), tr, K — so
 * uc_compsig_sign_xsk() runs only the loop; signatures are the same as without the cache.
 * The struct is large (about 52 KB, UC_COMPSIG_XSK_SIZE): keep it in static or heap
 * storage (or an owning struct), not on a small thread stack. Caller-owned; secret: wipe
 * with uc_compsig_xsk_wipe(). Same errors as uc_compsig_sign(). */
#define UC_MLDSA65_PRE_LEN 48224 /* A-hat (6x5 polys) + NTT(s1, s2, t0) + tr + K */
typedef struct uc_compsig_xsk {
    uint8_t mldsa_sk[4032];
    uint8_t ed_sk[64]; /* libsodium form: seed || pk */
    _Alignas(16) uint8_t mldsa_pre[UC_MLDSA65_PRE_LEN]; /* ML-DSA-65 Algorithm 7 lines 1-5 */
} uc_compsig_xsk; /* do not touch fields */
#define UC_COMPSIG_XSK_SIZE (sizeof(uc_compsig_xsk))
UMBRA_API int uc_compsig_expand(uc_compsig_xsk *xsk, uint8_t pk[1984], const uint8_t sk[64]);
UMBRA_API int uc_compsig_sign_xsk(uint8_t sig[3373], const uint8_t *msg, size_t n, const uint8_t *ctx,
                                  size_t ctxlen, const uc_compsig_xsk *xsk);
UMBRA_API void uc_compsig_xsk_wipe(uc_compsig_xsk *xsk);
/* Expanded public key for a pinned peer: caches what FIPS 204 Algorithm 8
 * (ML-DSA.Verify_internal) computes from the ML-DSA-65 pk alone — A-hat = ExpandA(rho),
 * NTT(t1 * 2^d) and tr = H(pk, 64) — so uc_compsig_verify_xpk() skips them on every
 * verification; results are the same as uc_compsig_verify() with that pk. About 39 KB
 * (UC_COMPSIG_XPK_SIZE), caller-owned, public (no wipe needed). pk_expand: 0 or
 * UMBRA_EINVAL (NULL); every 1984-byte string is accepted, as uc_compsig_verify does.
 * verify_xpk: 0, UMBRA_EBADSIG, or UMBRA_EINVAL (NULL, ctxlen > 255). */
#define UC_MLDSA65_VPRE_LEN 36928 /* A-hat (6x5 polys) + NTT(t1 * 2^d) + tr */
typedef struct uc_compsig_xpk {
    uint8_t pk[1984];
    _Alignas(16) uint8_t mldsa_vpre[UC_MLDSA65_VPRE_LEN];
} uc_compsig_xpk; /* do not touch fields */
#define UC_COMPSIG_XPK_SIZE (sizeof(uc_compsig_xpk))
UMBRA_API int uc_compsig_pk_expand(uc_compsig_xpk *xpk, const uint8_t pk[1984]);
UMBRA_API int uc_compsig_verify_xpk(const uint8_t sig[3373], const uint8_t *msg, size_t n,
                                    const uint8_t *ctx, size_t ctxlen, const uc_compsig_xpk *xpk);

/* ---- CIDv1 (raw codec 0x55, sha2-256 multihash) --------------------------------------------
 * Binary CID = 0x01 0x55 0x12 0x20 || sha256(data) (36 bytes); string = 'b' + base32 lower,
 * no padding (59 chars + NUL). */
#define UC_CID_BIN_LEN 36
#define UC_CID_STR_LEN 60
/* The CID of (data, n) in binary form. Never fails. */
UMBRA_API void uc_cid_raw(uint8_t cid[36], const void *data, size_t n);
/* Writes the 59-character string of the CID of (data, n) and its NUL; returns 0, or
 * UMBRA_EINVAL (out NULL, or data NULL with n > 0). */
UMBRA_API int uc_cid_raw_string(char out[60], const void *data, size_t n);
/* Parses a 'b…' CIDv1 string into its 36-byte binary form (raw or any codec whose
 * multicodec varint is one byte, sha2-256). UMBRA_EMALFORMED (bad base32, non-canonical
 * trailing bits, wrong length), UMBRA_EUNSUPPORTED (other multibase, version, codec
 * width or hash). cid is zeroed on failure. */
UMBRA_API int uc_cid_parse(uint8_t cid[36], const char *s);

#ifdef __cplusplus
}
#endif
#endif
