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

#endif
