/* init.c — library initialization, randomness, and the cache of fetched OpenSSL
 * algorithms. */
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <pthread.h>
#include <sodium.h>

#include "crypto_internal.h"
#include "umbra/crypto.h"

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static int g_sodium_ok;
static uc__ossl_algs g_algs;
static int g_algs_ok;

static void init_once(void) {
    /* sodium_init() is itself thread-safe; doing it here makes uc_random() usable even
     * when a caller forgot uc_init(). */
    g_sodium_ok = sodium_init() >= 0;
    g_algs.sha256 = EVP_MD_fetch(NULL, "SHA2-256", NULL);
    g_algs.sha3_256 = EVP_MD_fetch(NULL, "SHA3-256", NULL);
    g_algs.shake256 = EVP_MD_fetch(NULL, "SHAKE-256", NULL);
    g_algs.aes128gcm = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL);
    g_algs.aes192gcm = EVP_CIPHER_fetch(NULL, "AES-192-GCM", NULL);
    g_algs.aes256gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
    g_algs.chacha20poly1305 = EVP_CIPHER_fetch(NULL, "ChaCha20-Poly1305", NULL);
    g_algs.hkdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    g_algs_ok = g_algs.sha256 && g_algs.sha3_256 && g_algs.shake256 && g_algs.aes128gcm &&
                g_algs.aes192gcm && g_algs.aes256gcm && g_algs.chacha20poly1305 && g_algs.hkdf;
}

const uc__ossl_algs *uc__ossl(void) {
    pthread_once(&g_once, init_once);
    return g_algs_ok ? &g_algs : NULL;
}

int uc_init(void) {
    pthread_once(&g_once, init_once);
    if (!g_sodium_ok) return UMBRA_ERANDOM;
    if (!g_algs_ok) {
        umbra_log(UMBRA_LOG_ERROR, "crypto: OpenSSL lacks SHA-256/SHA-3/AES-GCM/ChaCha20-Poly1305/HKDF");
        return UMBRA_ECRYPTO;
    }
    /* A working RNG gives 32 bytes that are not all equal; a stuck one is caught here
     * rather than in a key. */
    uint8_t probe[32];
    randombytes_buf(probe, sizeof probe);
    uint8_t acc = 0;
    for (size_t i = 1; i < sizeof probe; i++) acc |= (uint8_t)(probe[i] ^ probe[0]);
    sodium_memzero(probe, sizeof probe);
    return acc ? 0 : UMBRA_ERANDOM;
}

void uc_random(void *buf, size_t n) {
    if (n == 0) return; /* libsodium declares buf non-NULL even for n = 0 */
    pthread_once(&g_once, init_once);
    randombytes_buf(buf, n);
}
