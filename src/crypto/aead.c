/* aead.c — AES-GCM (NIST SP 800-38D) and ChaCha20-Poly1305 (RFC 8439), both through
 * OpenSSL 3 EVP: one code path for the two ciphers, and OpenSSL's ChaCha20-Poly1305 is
 * 2-3x faster than libsodium 1.0.18's on this class of machine (bench/crypto/run.sh).
 *
 * Tag checks are constant time (OpenSSL compares tags with CRYPTO_memcmp). OpenSSL
 * decrypts while it authenticates, so on a bad tag the plaintext buffer is wiped before
 * returning: unauthenticated plaintext is never released. */
#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <string.h>

#include "crypto_internal.h"
#include "umbra/crypto.h"

/* EVP lengths are int; feed large buffers in pieces well below INT_MAX. */
#define CHUNK ((size_t)1 << 30)

/* Per-message limits: SP 800-38D §5.2.1.1 (GCM: 2^39 - 256 bits of plaintext) and
 * RFC 8439 §2.8 (ChaCha20-Poly1305: 2^32 - 1 blocks of 64 bytes, minus the Poly1305 key
 * block: 2^38 - 64 bytes). */
static uint64_t max_msg(int alg) {
    return alg == UC_AEAD_AES256GCM ? ((uint64_t)1 << 36) - 32 : ((uint64_t)1 << 38) - 64;
}

/* One AEAD pass on a keyed ctx: (re)starts it with `nonce` in direction `enc`, absorbs
 * aad, transforms in -> out, and produces (enc) or checks (!enc) the tag. 0, or -1
 * (crypto error or bad tag). */
static int aead_pass(EVP_CIPHER_CTX *c, int enc, const uint8_t *nonce, const uint8_t *aad,
                     size_t aadlen, const uint8_t *in, size_t len, uint8_t *out, uint8_t *tag,
                     size_t taglen) {
    int outl;
    uint8_t fin[16]; /* neither AEAD writes bytes in its final step */
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
    if (!EVP_CipherFinal_ex(c, fin, &outl)) return -1; /* checks the tag on decrypt */
    if (enc && !EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, (int)taglen, tag)) return -1;
    return 0;
}

/* A new EVP context for alg with key (keylen bytes) and an IV length of noncelen. */
static EVP_CIPHER_CTX *new_ctx(int alg, const uint8_t *key, size_t keylen, size_t noncelen) {
    const uc__ossl_algs *o = uc__ossl();
    if (!o) return NULL;
    const EVP_CIPHER *ci = alg == UC_AEAD_CHACHA20POLY1305 ? o->chacha20poly1305
                           : keylen == 16                  ? o->aes128gcm
                           : keylen == 24                  ? o->aes192gcm
                                                           : o->aes256gcm;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    if (!c) return NULL;
    if (!EVP_CipherInit_ex2(c, ci, NULL, NULL, 1, NULL) ||
        (noncelen != 12 && !EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_IVLEN, (int)noncelen, NULL)) ||
        !EVP_CipherInit_ex2(c, NULL, key, NULL, 1, NULL)) {
        EVP_CIPHER_CTX_free(c);
        return NULL;
    }
    return c;
}

int uc_aead_init(uc_aead *a, int alg, const uint8_t key[32]) {
    if (!a) return UMBRA_EINVAL;
    memset(a, 0, sizeof *a);
    if (!key || (alg != UC_AEAD_AES256GCM && alg != UC_AEAD_CHACHA20POLY1305)) return UMBRA_EINVAL;
    if (!uc__ossl()) return UMBRA_ECRYPTO;
    /* Keyed once: the key schedule (and GHASH key) live in the ctx; each seal/open only
     * sets a fresh 96-bit nonce. */
    a->evp = new_ctx(alg, key, 32, 12);
    if (!a->evp) return UMBRA_ENOMEM;
    a->alg = alg;
    return 0;
}

void uc_aead_clear(uc_aead *a) {
    if (!a) return;
    EVP_CIPHER_CTX_free(a->evp); /* cleanses the key schedule */
    OPENSSL_cleanse(a, sizeof *a);
}

int uc_aead_seal(uc_aead *a, uint8_t *ct, const uint8_t nonce[12], const uint8_t *aad,
                 size_t aadlen, const uint8_t *pt, size_t ptlen) {
    if (!a || !ct || !nonce || (ptlen && !pt) || (aadlen && !aad)) return UMBRA_EINVAL;
    if (!a->evp) return UMBRA_ESTATE;
    if (ptlen > max_msg(a->alg)) return UMBRA_ETOOBIG;
    if (aead_pass(a->evp, 1, nonce, aad, aadlen, pt, ptlen, ct, ct + ptlen, 16) != 0) {
        OPENSSL_cleanse(ct, ptlen + 16);
        return UMBRA_ECRYPTO;
    }
    return 0;
}

int uc_aead_open(uc_aead *a, uint8_t *pt, const uint8_t nonce[12], const uint8_t *aad,
                 size_t aadlen, const uint8_t *ct, size_t ctlen) {
    if (!a || !nonce || !ct || (aadlen && !aad)) return UMBRA_EINVAL;
    if (!a->evp) return UMBRA_ESTATE;
    if (ctlen < 16) return UMBRA_EAUTH;
    size_t n = ctlen - 16;
    if (n && !pt) return UMBRA_EINVAL;
    if (n > max_msg(a->alg)) return UMBRA_EAUTH;
    uint8_t tag[16];
    memcpy(tag, ct + n, 16); /* before an in-place decrypt can touch anything */
    if (aead_pass(a->evp, 0, nonce, aad, aadlen, ct, n, pt, tag, 16) != 0) {
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
    /* SP 800-38D §5.2.1.2 / Appendix C: tags of 4..16 bytes. */
    if (taglen < 4 || taglen > 16) return UMBRA_EINVAL;
    return 0;
}

int uc_aead_seal_ex(int alg, const uint8_t *key, size_t keylen, const uint8_t *nonce,
                    size_t noncelen, const uint8_t *aad, size_t aadlen, const uint8_t *pt,
                    size_t ptlen, uint8_t *ct, uint8_t *tag, size_t taglen) {
    int rc = ex_check(alg, keylen, noncelen, taglen);
    if (rc) return rc;
    if (!key || !nonce || !tag || (ptlen && (!pt || !ct)) || (aadlen && !aad)) return UMBRA_EINVAL;
    if (ptlen > max_msg(alg)) return UMBRA_ETOOBIG;
    EVP_CIPHER_CTX *c = new_ctx(alg, key, keylen, noncelen);
    if (!c) return UMBRA_ECRYPTO;
    rc = aead_pass(c, 1, nonce, aad, aadlen, pt, ptlen, ct, tag, taglen) ? UMBRA_ECRYPTO : 0;
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
    if (ctlen > max_msg(alg)) return UMBRA_EAUTH;
    EVP_CIPHER_CTX *c = new_ctx(alg, key, keylen, noncelen);
    if (!c) return UMBRA_ECRYPTO;
    uint8_t t[16];
    memcpy(t, tag, taglen);
    rc = aead_pass(c, 0, nonce, aad, aadlen, ct, ctlen, pt, t, taglen) ? UMBRA_EAUTH : 0;
    EVP_CIPHER_CTX_free(c);
    if (rc && ctlen) OPENSSL_cleanse(pt, ctlen);
    return rc;
}
