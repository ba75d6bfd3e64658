/* ec25519.c — X25519 (RFC 7748) and Ed25519 (RFC 8032, pure) over libsodium. */
#include <sodium.h>
#include <string.h>

#include "umbra/crypto.h"

void uc_x25519_base(uint8_t pk[32], const uint8_t sk[32]) {
    /* Cannot fail: the base point has large order and the clamped scalar is non-zero. */
    crypto_scalarmult_curve25519_base(pk, sk);
}

int uc_x25519(uint8_t ss[32], const uint8_t sk[32], const uint8_t peer_pk[32]) {
    /* libsodium returns -1 exactly when the result is the all-zero value (RFC 7748 §6.1):
     * either it computed zero, or it refused a point on its small-order list without
     * computing — whose product with a clamped scalar (a multiple of the cofactor 8) is
     * the identity, i.e. zero. Either way the RFC 7748 value is 32 zero bytes. */
    if (crypto_scalarmult_curve25519(ss, sk, peer_pk) != 0) {
        sodium_memzero(ss, 32);
        return UMBRA_EWEAKKEY;
    }
    return 0;
}

void uc_x25519_keypair(uint8_t pk[32], uint8_t sk[32]) {
    uc_random(sk, 32);
    crypto_scalarmult_curve25519_base(pk, sk);
}

void uc_ed25519_pk(uint8_t pk[32], const uint8_t seed[32]) {
    uint8_t sk[64];
    crypto_sign_seed_keypair(pk, sk, seed);
    sodium_memzero(sk, sizeof sk);
}

void uc_ed25519_sign(uint8_t sig[64], const void *msg, size_t n, const uint8_t seed[32]) {
    uint8_t sk[64], pk[32];
    crypto_sign_seed_keypair(pk, sk, seed);
    crypto_sign_detached(sig, NULL, msg, n, sk);
    sodium_memzero(sk, sizeof sk);
}

int uc_ed25519_verify(const uint8_t sig[64], const void *msg, size_t n, const uint8_t pk[32]) {
    /* libsodium rejects non-canonical S (S >= L), small-order A and R, and non-canonical
     * point encodings, so signatures are not malleable. */
    return crypto_sign_verify_detached(sig, msg, n, pk) == 0 ? 0 : UMBRA_EBADSIG;
}
