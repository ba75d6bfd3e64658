/* aead.c — AES-GCM (NIST SP 800-38D, OpenSSL 3 EVP) and ChaCha20-Poly1305 (RFC 8439,
 * libsodium's IETF variant).
 *
 * Tag checks are constant time in both backends (OpenSSL's GCM final uses CRYPTO_memcmp,
 * libsodium verifies the Poly1305 tag with crypto_verify_16 before decrypting). OpenSSL
 * decrypts before it can check the tag, so on a bad AES-GCM tag the plaintext buffer is
 * wiped before returning: unauthenticated plaintext is never released. */
#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sodium.h>
#include <string.h>

#include "crypto_internal.h"
#include "umbra/crypto.h"

/* EVP lengths are int; feed large buffers in pieces well below INT_MAX. */
#define CHUNK ((size_t)1 << 30)

/* One GCM pass on a keyed ctx: (re)starts it with `nonce` in direction `enc`, absorbs aad,
 * transforms in -> out, and produces (enc) or checks (!enc) the tag. 0, or -1 (crypto
 * error or bad tag). */
static int gcm_pass(EVP_CIPHER_CTX *c, int enc, const uint8_t *nonce, const uint8_t *aad,
                    size_t aadlen, const uint8_t *in, size_t len, uint8_t *out, uint8_t *tag,
                    size_t taglen) {
    int outl;
    uint8_t fin[16]; /* GCM's final step writes no bytes */
    if (!EVP_CipherInit_ex2(c, NULL, NULL, nonce, enc, NULL)) return -1;
    if (!enc && !EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, (int)taglen, tag)) return -1;
    for (size_t off = 0; off < aadlen;) {
        size_t k = aadlen - off < CHUNK ? aadlen - off : CHUNK;
        if (!EVP_CipherUpdate(c, NULL, &outl, aad + off, (int)k)) return -1;
        off += k;
    }
    for (size_t off = 0; off < len;) {
        size_t k = len - off < CHUNK ? len - off : CHUNK;
        if (!EVP_CipherUpdate(c, out + off, &outl, in + off, (int)k) || (size_t)outl != k) return -1;
        off += k;
    }
    if (!EVP_CipherFinal_ex(c, fin, &outl)) return -1; /* GCM: checks the tag on decrypt */
    if (enc && !EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, (int)taglen, tag)) return -1;
    return 0;
}

int uc_aead_init(uc_aead *a, int alg, const uint8_t key[32]) {
    if (!a) return UMBRA_EINVAL;
    memset(a, 0, sizeof *a);
    if (!key || (alg != UC_AEAD_AES256GCM && alg != UC_AEAD_CHACHA20POLY1305)) return UMBRA_EINVAL;
    if (alg == UC_AEAD_AES256GCM) {
        const uc__ossl_algs *o = uc__ossl();
        if (!o) return UMBRA_ECRYPTO;
        EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
        if (!c) return UMBRA_ENOMEM;
        /* Keyed once: the AES key schedule and GHASH key live in the ctx; each seal/open
         * only sets a fresh 96-bit IV. */
        if (!EVP_CipherInit_ex2(c, o->aes256gcm, key, NULL, 1, NULL)) {
            EVP_CIPHER_CTX_free(c);
            return UMBRA_ECRYPTO;
        }
        a->evp = c;
    } else {
        memcpy(a->key, key, 32);
    }
    a->alg = alg;
    return 0;
}

void uc_aead_clear(uc_aead *a) {
    if (!a) return;
    EVP_CIPHER_CTX_free(a->evp); /* cleanses the key schedule */
    sodium_memzero(a, sizeof *a);
}

int uc_aead_seal(uc_aead *a, uint8_t *ct, const uint8_t nonce[12], const uint8_t *aad,
                 size_t aadlen, const uint8_t *pt, size_t ptlen) {
    if (!a || !ct || !nonce || (ptlen && !pt) || (aadlen && !aad)) return UMBRA_EINVAL;
    if (a->alg == UC_AEAD_CHACHA20POLY1305) {
        /* RFC 8439 limits one message to 2^38 - 64 bytes; libsodium checks it too. */
        if (ptlen > crypto_aead_chacha20poly1305_ietf_MESSAGEBYTES_MAX) return UMBRA_ETOOBIG;
        crypto_aead_chacha20poly1305_ietf_encrypt_detached(ct, ct + ptlen, NULL, pt, ptlen, aad,
                                                           aadlen, NULL, nonce, a->key);
        return 0;
    }
    if (a->alg != UC_AEAD_AES256GCM || !a->evp) return UMBRA_ESTATE;
    /* SP 800-38D §5.2.1.1: plaintext at most 2^39 - 256 bits. */
    if (ptlen > (((uint64_t)1 << 36) - 32)) return UMBRA_ETOOBIG;
    if (gcm_pass(a->evp, 1, nonce, aad, aadlen, pt, ptlen, ct, ct + ptlen, 16) != 0) {
        OPENSSL_cleanse(ct, ptlen + 16);
        return UMBRA_ECRYPTO;
    }
    return 0;
}

int uc_aead_open(uc_aead *a, uint8_t *pt, const uint8_t nonce[12], const uint8_t *aad,
                 size_t aadlen, const uint8_t *ct, size_t ctlen) {
    if (!a || !nonce || !ct || (aadlen && !aad)) return UMBRA_EINVAL;
    if (ctlen < 16) return UMBRA_EAUTH;
    size_t n = ctlen - 16;
    if (n && !pt) return UMBRA_EINVAL;
    if (a->alg == UC_AEAD_CHACHA20POLY1305) {
        if (crypto_aead_chacha20poly1305_ietf_decrypt_detached(pt, NULL, ct, n, ct + n, aad, aadlen,
                                                               nonce, a->key) != 0) {
            if (n) sodium_memzero(pt, n); /* libsodium zeroes too; make it our contract */
            return UMBRA_EAUTH;
        }
        return 0;
    }
    if (a->alg != UC_AEAD_AES256GCM || !a->evp) return UMBRA_ESTATE;
    uint8_t tag[16];
    memcpy(tag, ct + n, 16);
    if (gcm_pass(a->evp, 0, nonce, aad, aadlen, ct, n, pt, tag, 16) != 0) {
        if (n) OPENSSL_cleanse(pt, n);
        return UMBRA_EAUTH;
    }
    return 0;
}

/* Validates the _ex parameters; returns 0 or an error code. */
static int ex_check(int alg, size_t keylen, size_t noncelen, size_t taglen) {
    if (alg == UC_AEAD_CHACHA20POLY1305) {
        if (keylen != 32 || taglen != 16) return UMBRA_EINVAL;
        /* RFC 8439 §2.8: the nonce is exactly 96 bits. */
        return noncelen == 12 ? 0 : UMBRA_EINVAL;
    }
    if (alg != UC_AEAD_AES256GCM) return UMBRA_EINVAL;
    if (keylen != 16 && keylen != 24 && keylen != 32) return UMBRA_EINVAL;
    /* SP 800-38D §5.2.1.1: len(IV) >= 1 bit; OpenSSL's GCM keeps at most 128 bytes. */
    if (noncelen == 0) return UMBRA_EINVAL;
    if (noncelen > 128) return UMBRA_EUNSUPPORTED;
    /* SP 800-38D §5.2.1.2: t in {128, 120, 112, 104, 96} or 64/32 for special uses. */
    if (taglen < 4 || taglen > 16) return UMBRA_EINVAL;
    return 0;
}

static EVP_CIPHER_CTX *gcm_ctx(int enc, const uint8_t *key, size_t keylen, size_t noncelen) {
    const uc__ossl_algs *o = uc__ossl();
    if (!o) return NULL;
    const EVP_CIPHER *ci = keylen == 16 ? o->aes128gcm : keylen == 24 ? o->aes192gcm : o->aes256gcm;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    if (!c) return NULL;
    if (!EVP_CipherInit_ex2(c, ci, NULL, NULL, enc, NULL) ||
        !EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_IVLEN, (int)noncelen, NULL) ||
        !EVP_CipherInit_ex2(c, NULL, key, NULL, enc, NULL)) {
        EVP_CIPHER_CTX_free(c);
        return NULL;
    }
    return c;
}

int uc_aead_seal_ex(int alg, const uint8_t *key, size_t keylen, const uint8_t *nonce,
                    size_t noncelen, const uint8_t *aad, size_t aadlen, const uint8_t *pt,
                    size_t ptlen, uint8_t *ct, uint8_t *tag, size_t taglen) {
    int rc = ex_check(alg, keylen, noncelen, taglen);
    if (rc) return rc;
    if (!key || !nonce || !tag || (ptlen && (!pt || !ct)) || (aadlen && !aad)) return UMBRA_EINVAL;
    if (alg == UC_AEAD_CHACHA20POLY1305) {
        if (ptlen > crypto_aead_chacha20poly1305_ietf_MESSAGEBYTES_MAX) return UMBRA_ETOOBIG;
        crypto_aead_chacha20poly1305_ietf_encrypt_detached(ct, tag, NULL, pt, ptlen, aad, aadlen,
                                                           NULL, nonce, key);
        return 0;
    }
    if (ptlen > (((uint64_t)1 << 36) - 32)) return UMBRA_ETOOBIG;
    EVP_CIPHER_CTX *c = gcm_ctx(1, key, keylen, noncelen);
    if (!c) return UMBRA_ECRYPTO;
    rc = gcm_pass(c, 1, nonce, aad, aadlen, pt, ptlen, ct, tag, taglen) ? UMBRA_ECRYPTO : 0;
    EVP_CIPHER_CTX_free(c);
    if (rc) {
        if (ptlen) OPENSSL_cleanse(ct, ptlen);
        OPENSSL_cleanse(tag, taglen);
    }
    return rc;
}

int uc_aead_open_ex(int alg, const uint8_t *key, size_t keylen, const uint8_t *nonce,
                    size_t noncelen, const uint8_t *aad, size_t aadlen, const uint8_t *ct,
                    size_t ctlen, const uint8_t *tag, size_t taglen, uint8_t *pt) {
    int rc = ex_check(alg, keylen, noncelen, taglen);
    if (rc) return rc;
    if (!key || !nonce || !tag || (ctlen && (!pt || !ct)) || (aadlen && !aad)) return UMBRA_EINVAL;
    if (alg == UC_AEAD_CHACHA20POLY1305) {
        if (crypto_aead_chacha20poly1305_ietf_decrypt_detached(pt, NULL, ct, ctlen, tag, aad, aadlen,
                                                               nonce, key) != 0) {
            if (ctlen) sodium_memzero(pt, ctlen);
            return UMBRA_EAUTH;
        }
        return 0;
    }
    EVP_CIPHER_CTX *c = gcm_ctx(0, key, keylen, noncelen);
    if (!c) return UMBRA_ECRYPTO;
    uint8_t t[16];
    memcpy(t, tag, taglen);
    rc = gcm_pass(c, 0, nonce, aad, aadlen, ct, ctlen, pt, t, taglen) ? UMBRA_EAUTH : 0;
    EVP_CIPHER_CTX_free(c);
    if (rc && ctlen) OPENSSL_cleanse(pt, ctlen);
    return rc;
}
