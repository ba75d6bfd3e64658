/* crypto_internal.h — private to src/crypto/ and its tests. Never installed. */
#ifndef UMBRA_CRYPTO_INTERNAL_H
#define UMBRA_CRYPTO_INTERNAL_H
#include <stddef.h>
#include <stdint.h>

/* Installs a thread-local byte script that PQClean's randombytes() consumes before it
 * falls back to libsodium. Pass (NULL, 0) to clear. */
void umbra__pq_rng_script(const uint8_t *bytes, size_t n);
/* Bytes of the current script not yet consumed. */
size_t umbra__pq_rng_script_left(void);
/* 1 when a script is installed and randombytes() consumed exactly its bytes — no more (an
 * over-long request is completed from the system RNG, which would make a "derandomized"
 * result random) and no fewer. */
int umbra__pq_rng_script_exact(void);

/* OpenSSL algorithm objects fetched once (explicit fetch avoids the per-call implicit
 * fetch of EVP_sha256() & co.). Never NULL after a successful uc__ossl(); callers treat a
 * NULL as UMBRA_ECRYPTO. The returned pointers are owned by the cache (never freed). */
struct evp_md_st;
struct evp_cipher_st;
struct evp_kdf_st;
typedef struct uc__ossl_algs {
    struct evp_md_st *sha256, *sha3_256, *shake256;
    struct evp_cipher_st *aes128gcm, *aes192gcm, *aes256gcm, *chacha20poly1305;
    struct evp_kdf_st *hkdf;
} uc__ossl_algs;
/* Returns the fetched algorithms, or NULL when OpenSSL could not provide them. */
const uc__ossl_algs *uc__ossl(void);

/* ML-DSA-65 signing key with FIPS 204 Algorithm 7 lines 1-5 done once: A-hat, NTT(s1),
 * NTT(s2), NTT(t0), tr and K (mldsa.c). UC_MLDSA65_PRE_LEN bytes, 16-byte alignment is
 * enough; secret — wipe with umbra__mldsa65_pre_wipe. Signatures equal those of
 * uc_mldsa65_sign / _sign_internal / _sign_mu on the same sk, message and rnd. */
typedef struct umbra__mldsa65_pre umbra__mldsa65_pre;
/* Fills pre from a 4032-byte sk. 0; UMBRA_EINVAL (NULL); UMBRA_EBADKEY (s1/s2 out of
 * range). pre is zeroed on failure. */
int umbra__mldsa65_pre_init(umbra__mldsa65_pre *pre, const uint8_t sk[4032]);
void umbra__mldsa65_pre_wipe(umbra__mldsa65_pre *pre);
/* pure = 1: ML-DSA.Sign (Algorithm 2, M' = 0 || |ctx| || ctx || msg); pure = 0:
 * Sign_internal on M' = msg (ctxlen must be 0). rnd: 32 bytes, or NULL for fresh
 * randomness (hedged). Errors as uc_mldsa65_sign; sig zeroed on failure. */
int umbra__mldsa65_sign_pre(uint8_t sig[3309], const uint8_t *msg, size_t n, int pure,
                            const uint8_t *ctx, size_t ctxlen, const uint8_t *rnd,
                            const umbra__mldsa65_pre *pre);
/* External mu (FIPS 204 §6.2). */
int umbra__mldsa65_sign_mu_pre(uint8_t sig[3309], const uint8_t mu[64], const uint8_t *rnd,
                               const umbra__mldsa65_pre *pre);

/* ML-DSA-65 public key with what FIPS 204 Algorithm 8 computes from pk alone done once:
 * A-hat, NTT(t1 * 2^d), tr (mldsa.c). UC_MLDSA65_VPRE_LEN bytes, 16-byte alignment is
 * enough; public. Results equal those of uc_mldsa65_verify / _verify_internal /
 * _verify_mu on the same pk. init: 0 or UMBRA_EINVAL (NULL). */
typedef struct umbra__mldsa65_vpre umbra__mldsa65_vpre;
int umbra__mldsa65_vpre_init(umbra__mldsa65_vpre *vpre, const uint8_t pk[1952]);
/* pure as for umbra__mldsa65_sign_pre. 0, UMBRA_EBADSIG, or UMBRA_EINVAL (NULL, ctxlen
 * > 255, ctx on the internal interface). */
int umbra__mldsa65_verify_vpre(const uint8_t *sig, size_t siglen, const uint8_t *msg, size_t n,
                               int pure, const uint8_t *ctx, size_t ctxlen,
                               const umbra__mldsa65_vpre *vpre);
int umbra__mldsa65_verify_mu_vpre(const uint8_t *sig, size_t siglen, const uint8_t mu[64],
                                  const umbra__mldsa65_vpre *vpre);

#endif
