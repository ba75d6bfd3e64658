/* hash.c — SHA-256 / SHA3-256 / SHAKE-256 (OpenSSL 3 EVP), SHA-512 and the incremental
 * contexts (libsodium, which needs no heap). FIPS 180-4 and FIPS 202.
 *
 * The one-shot functions are void in the public API, but an EVP_MD_CTX is heap memory
 * that OpenSSL can fail to get. On that (allocation-only) failure the same function is
 * computed by the non-EVP backend instead — libsodium for SHA-256, PQClean's FIPS 202 code
 * for SHA3/SHAKE — so the result is always right and never silently garbage. */
#include <openssl/evp.h>
#include <sodium.h>
#include <string.h>

#include "crypto_internal.h"
#include "fips202.h"
#include "umbra/crypto.h"

_Static_assert(sizeof(crypto_hash_sha256_state) <= sizeof(uc_sha256_ctx),
               "uc_sha256_ctx too small for libsodium's state");
_Static_assert(sizeof(crypto_hash_sha512_state) <= sizeof(uc_sha512_ctx),
               "uc_sha512_ctx too small for libsodium's state");

/* Runs md over msg into out (outlen bytes; XOF when xof). 0 or -1. */
static int evp_hash(const EVP_MD *md, int xof, uint8_t *out, size_t outlen, const void *msg,
                    size_t n) {
    if (!md) return -1;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    if (!c) return -1;
    int ok = EVP_DigestInit_ex2(c, md, NULL) && EVP_DigestUpdate(c, msg, n) &&
             (xof ? EVP_DigestFinalXOF(c, out, outlen) : EVP_DigestFinal_ex(c, out, NULL));
    EVP_MD_CTX_free(c); /* cleanses the state */
    return ok ? 0 : -1;
}

void uc_sha256(uint8_t out[32], const void *msg, size_t n) {
    const uc__ossl_algs *a = uc__ossl();
    if (a && evp_hash(a->sha256, 0, out, 32, msg, n) == 0) return;
    crypto_hash_sha256(out, msg, n);
}

void uc_sha512(uint8_t out[64], const void *msg, size_t n) { crypto_hash_sha512(out, msg, n); }

void uc_sha3_256(uint8_t out[32], const void *msg, size_t n) {
    const uc__ossl_algs *a = uc__ossl();
    if (a && evp_hash(a->sha3_256, 0, out, 32, msg, n) == 0) return;
    sha3_256(out, msg, n);
}

void uc_shake256(uint8_t *out, size_t outlen, const void *msg, size_t n) {
    if (outlen == 0) return;
    const uc__ossl_algs *a = uc__ossl();
    if (a && evp_hash(a->shake256, 1, out, outlen, msg, n) == 0) return;
    shake256(out, outlen, msg, n);
}

void uc_sha256_init(uc_sha256_ctx *c) { crypto_hash_sha256_init((crypto_hash_sha256_state *)(void *)c); }

void uc_sha256_update(uc_sha256_ctx *c, const void *p, size_t n) {
    crypto_hash_sha256_update((crypto_hash_sha256_state *)(void *)c, p, n);
}

void uc_sha256_final(uc_sha256_ctx *c, uint8_t out[32]) {
    crypto_hash_sha256_final((crypto_hash_sha256_state *)(void *)c, out);
    sodium_memzero(c, sizeof *c);
}

void uc_sha512_init(uc_sha512_ctx *c) { crypto_hash_sha512_init((crypto_hash_sha512_state *)(void *)c); }

void uc_sha512_update(uc_sha512_ctx *c, const void *p, size_t n) {
    crypto_hash_sha512_update((crypto_hash_sha512_state *)(void *)c, p, n);
}

void uc_sha512_final(uc_sha512_ctx *c, uint8_t out[64]) {
    crypto_hash_sha512_final((crypto_hash_sha512_state *)(void *)c, out);
    sodium_memzero(c, sizeof *c);
}
