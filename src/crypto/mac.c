/* mac.c — HMAC-SHA256 (RFC 2104) and HKDF-SHA256 (RFC 5869) over OpenSSL 3.
 *
 * uc_hmac_sha256 / uc_hkdf_extract are void in the public API; OpenSSL's one-shot HMAC()
 * fails only when it cannot allocate its context, and then libsodium (heap-free) computes
 * the same HMAC, so the output is always the correct value. */
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <sodium.h>
#include <string.h>

#include "crypto_internal.h"
#include "umbra/crypto.h"

void uc_hmac_sha256(uint8_t out[32], const uint8_t *key, size_t keylen, const void *msg,
                    size_t n) {
    static const uint8_t empty[1];
    unsigned int len = 0;
    /* OpenSSL treats a NULL key specially (reuse of a previous key); an empty key is a
     * valid RFC 2104 key, so always pass a real pointer. */
    if (!key) key = empty;
    if (!msg) msg = empty;
    const uc__ossl_algs *a = uc__ossl();
    if (a && keylen <= INT32_MAX && HMAC(a->sha256, key, (int)keylen, msg, n, out, &len) && len == 32)
        return;
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, key, keylen);
    crypto_auth_hmacsha256_update(&st, msg, n);
    crypto_auth_hmacsha256_final(&st, out);
    sodium_memzero(&st, sizeof st);
}

int uc_hmac_sha256_verify(const uint8_t *tag, size_t taglen, const uint8_t *key, size_t keylen,
                          const void *msg, size_t n) {
    if (!tag || taglen < 1 || taglen > 32) return UMBRA_EINVAL;
    uint8_t mac[32];
    uc_hmac_sha256(mac, key, keylen, msg, n);
    int eq = CRYPTO_memcmp(mac, tag, taglen) == 0;
    sodium_memzero(mac, sizeof mac);
    return eq ? 0 : UMBRA_EAUTH;
}

void uc_hkdf_extract(uint8_t prk[32], const uint8_t *salt, size_t saltlen, const uint8_t *ikm,
                     size_t ikmlen) {
    /* RFC 5869 §2.2: PRK = HMAC-Hash(salt, IKM); a missing salt is HashLen zeros, which
     * HMAC's zero-padding of short keys makes identical to an empty key. */
    static const uint8_t zeros[32];
    if (!salt || saltlen == 0) {
        salt = zeros;
        saltlen = sizeof zeros;
    }
    uc_hmac_sha256(prk, salt, saltlen, ikm, ikmlen);
}

int uc_hkdf_expand(uint8_t *okm, size_t outlen, const uint8_t prk[32], const uint8_t *info,
                   size_t infolen) {
    /* RFC 5869 §2.3: L <= 255 * HashLen. */
    if (outlen > 255u * 32u) return UMBRA_ERANGE;
    if (outlen == 0) return 0;
    if (!okm || !prk || (infolen && !info)) return UMBRA_EINVAL;
    const uc__ossl_algs *a = uc__ossl();
    if (!a) return UMBRA_ECRYPTO;
    EVP_KDF_CTX *k = EVP_KDF_CTX_new(a->hkdf);
    if (!k) return UMBRA_ENOMEM;
    int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
    static const uint8_t empty[1];
    OSSL_PARAM p[] = {
        OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)prk, 32),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)(infolen ? info : empty),
                                          infolen),
        OSSL_PARAM_construct_end(),
    };
    int ok = EVP_KDF_derive(k, okm, outlen, p) > 0;
    EVP_KDF_CTX_free(k); /* cleanses the key copy */
    if (!ok) {
        OPENSSL_cleanse(okm, outlen);
        return UMBRA_ECRYPTO;
    }
    return 0;
}

int uc_hkdf(uint8_t *okm, size_t outlen, const uint8_t *salt, size_t saltlen, const uint8_t *ikm,
            size_t ikmlen, const uint8_t *info, size_t infolen) {
    if (outlen > 255u * 32u) return UMBRA_ERANGE;
    uint8_t prk[32];
    uc_hkdf_extract(prk, salt, saltlen, ikm, ikmlen);
    int rc = uc_hkdf_expand(okm, outlen, prk, info, infolen);
    sodium_memzero(prk, sizeof prk);
    return rc;
}
