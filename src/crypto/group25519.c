/* group25519.c — the prime-order group ristretto255 (RFC 9496) and the Ed25519 curve
 * group (RFC 8032 §5.1) with their shared scalar field, over libsodium: the building
 * blocks PAKEs need (CPace over ristretto255, SPAKE2 over Ed25519 as magic-wormhole's
 * python-spake2 uses it). Every element input is checked; an identity result (from a
 * zero scalar or a low-order input) is reported, never silently returned. */
#include <sodium.h>
#include <string.h>

#include "umbra/crypto.h"

/* Zeroes the 32-byte output of a refused operation and returns rc (style: outputs are 0 on
 * failure, so a caller that ignores the code never uses a stale element). */
static int refuse(uint8_t out[32], int rc) {
    memset(out, 0, 32);
    return rc;
}

/* ---- scalars mod L -------------------------------------------------------------------- */

void uc_sc25519_random(uint8_t s[32]) {
    crypto_core_ed25519_scalar_random(s); /* uniform in [1, L), libsodium's RNG */
}

void uc_sc25519_reduce(uint8_t s[32], const uint8_t wide[64]) {
    uint8_t t[64];
    memcpy(t, wide, 64); /* libsodium's reduce reads all 64 bytes before writing 32 */
    crypto_core_ed25519_scalar_reduce(s, t);
    sodium_memzero(t, sizeof t);
}

void uc_sc25519_add(uint8_t z[32], const uint8_t x[32], const uint8_t y[32]) {
    crypto_core_ed25519_scalar_add(z, x, y);
}

void uc_sc25519_sub(uint8_t z[32], const uint8_t x[32], const uint8_t y[32]) {
    crypto_core_ed25519_scalar_sub(z, x, y);
}

void uc_sc25519_mul(uint8_t z[32], const uint8_t x[32], const uint8_t y[32]) {
    crypto_core_ed25519_scalar_mul(z, x, y);
}

void uc_sc25519_negate(uint8_t n[32], const uint8_t s[32]) { crypto_core_ed25519_scalar_negate(n, s); }

int uc_sc25519_invert(uint8_t r[32], const uint8_t s[32]) {
    if (crypto_core_ed25519_scalar_invert(r, s) != 0) return UMBRA_EINVAL; /* s = 0 */
    return 0;
}

/* ---- ristretto255 --------------------------------------------------------------------- */

int uc_ristretto255_check(const uint8_t p[32]) {
    return crypto_core_ristretto255_is_valid_point(p) ? 0 : UMBRA_EBADKEY;
}

void uc_ristretto255_from_hash(uint8_t p[32], const uint8_t h[64]) {
    crypto_core_ristretto255_from_hash(p, h); /* RFC 9496 §4.3.4 one-way map */
}

int uc_ristretto255_scalarmult(uint8_t q[32], const uint8_t s[32], const uint8_t p[32]) {
    if (!crypto_core_ristretto255_is_valid_point(p)) return refuse(q, UMBRA_EBADKEY);
    /* libsodium fails exactly when the product is the identity. */
    if (crypto_scalarmult_ristretto255(q, s, p) != 0) return refuse(q, UMBRA_EWEAKKEY);
    return 0;
}

int uc_ristretto255_scalarmult_base(uint8_t q[32], const uint8_t s[32]) {
    if (crypto_scalarmult_ristretto255_base(q, s) != 0) return refuse(q, UMBRA_EWEAKKEY);
    return 0;
}

int uc_ristretto255_add(uint8_t r[32], const uint8_t p[32], const uint8_t q[32]) {
    return crypto_core_ristretto255_add(r, p, q) == 0 ? 0 : refuse(r, UMBRA_EBADKEY);
}

int uc_ristretto255_sub(uint8_t r[32], const uint8_t p[32], const uint8_t q[32]) {
    return crypto_core_ristretto255_sub(r, p, q) == 0 ? 0 : refuse(r, UMBRA_EBADKEY);
}

/* ---- Ed25519 group -------------------------------------------------------------------- */

int uc_ed25519_point_check(const uint8_t p[32]) {
    return crypto_core_ed25519_is_valid_point(p) ? 0 : UMBRA_EBADKEY;
}

int uc_ed25519_point_scalarmult(uint8_t q[32], const uint8_t s[32], const uint8_t p[32]) {
    if (!crypto_core_ed25519_is_valid_point(p)) return refuse(q, UMBRA_EBADKEY);
    if (crypto_scalarmult_ed25519_noclamp(q, s, p) != 0) return refuse(q, UMBRA_EWEAKKEY);
    return 0;
}

int uc_ed25519_point_scalarmult_base(uint8_t q[32], const uint8_t s[32]) {
    if (crypto_scalarmult_ed25519_base_noclamp(q, s) != 0) return refuse(q, UMBRA_EWEAKKEY);
    return 0;
}

int uc_ed25519_point_add(uint8_t r[32], const uint8_t p[32], const uint8_t q[32]) {
    if (!crypto_core_ed25519_is_valid_point(p) || !crypto_core_ed25519_is_valid_point(q))
        return refuse(r, UMBRA_EBADKEY);
    return crypto_core_ed25519_add(r, p, q) == 0 ? 0 : refuse(r, UMBRA_EBADKEY);
}

int uc_ed25519_point_sub(uint8_t r[32], const uint8_t p[32], const uint8_t q[32]) {
    if (!crypto_core_ed25519_is_valid_point(p) || !crypto_core_ed25519_is_valid_point(q))
        return refuse(r, UMBRA_EBADKEY);
    return crypto_core_ed25519_sub(r, p, q) == 0 ? 0 : refuse(r, UMBRA_EBADKEY);
}
