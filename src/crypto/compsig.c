/* compsig.c — composite signature id-MLDSA65-Ed25519-SHA512 (OID 1.3.6.1.5.5.7.6.48),
 * draft-ietf-lamps-pq-composite-sigs-19.
 *
 *   pk  = ML-DSA-65 pk (1952) || Ed25519 pk (32)
 *   sk  = ML-DSA-65 seed xi (32) || Ed25519 seed (32)
 *   sig = ML-DSA-65 sig (3309) || Ed25519 sig (64)
 *   M'  = Prefix || Label || len(ctx) (1 byte) || ctx || SHA-512(M)   ("Prefix, Label, CTX")
 *   Prefix = "CompositeAlgorithmSignatures2025" (32 bytes)
 *   Label  = "COMPSIG-MLDSA65-Ed25519-SHA512"   (30 bytes)
 *   mldsaSig = ML-DSA-65.Sign(sk_M, M', ctx = Label)   (hedged, FIPS 204 Algorithm 2)
 *   tradSig  = Ed25519.Sign(sk_E, M')                  (pure Ed25519, RFC 8032)
 * Verification requires both components to verify. */
#include <sodium.h>
#include <string.h>

#include "crypto_internal.h"
#include "umbra/crypto.h"

static const char PREFIX[] = "CompositeAlgorithmSignatures2025";
static const char LABEL[] = "COMPSIG-MLDSA65-Ed25519-SHA512";
#define PREFIX_LEN (sizeof PREFIX - 1)
#define LABEL_LEN (sizeof LABEL - 1)
_Static_assert(PREFIX_LEN == 32 && LABEL_LEN == 30, "composite prefix/label lengths");
#define MPRIME_MAX (PREFIX_LEN + LABEL_LEN + 1 + 255 + 64)

/* Builds M' into out (MPRIME_MAX bytes) and returns its length. */
static size_t build_mprime(uint8_t out[MPRIME_MAX], const uint8_t *msg, size_t n,
                           const uint8_t *ctx, size_t ctxlen) {
    size_t o = 0;
    memcpy(out, PREFIX, PREFIX_LEN);
    o += PREFIX_LEN;
    memcpy(out + o, LABEL, LABEL_LEN);
    o += LABEL_LEN;
    out[o++] = (uint8_t)ctxlen;
    if (ctxlen) memcpy(out + o, ctx, ctxlen);
    o += ctxlen;
    uc_sha512(out + o, msg, n);
    return o + 64;
}

/* Derives both component keys from the 64-byte composite sk: the ML-DSA key is re-derived
 * from its seed xi (FIPS 204 KeyGen_internal), the Ed25519 key from its RFC 8032 seed
 * (libsodium keeps seed || pk as its sk). pk is optional. */
static int derive(uint8_t *pk, uint8_t mldsa_sk[UC_MLDSA65_SK_LEN], uint8_t ed_sk[64],
                  const uint8_t sk[64]) {
    uint8_t pk_m[UC_MLDSA65_PK_LEN], pk_e[32];
    int rc = uc_mldsa65_keypair_derand(pk_m, mldsa_sk, sk);
    if (rc) return rc;
    crypto_sign_seed_keypair(pk_e, ed_sk, sk + 32);
    if (pk) {
        memcpy(pk, pk_m, sizeof pk_m);
        memcpy(pk + UC_MLDSA65_PK_LEN, pk_e, 32);
    }
    return 0;
}

int uc_compsig_keypair_derand(uint8_t pk[1984], const uint8_t sk[64]) {
    if (!pk || !sk) return UMBRA_EINVAL;
    /* no expanded key here: its ~52 KB cache is not needed for pk alone */
    uint8_t mldsa_sk[UC_MLDSA65_SK_LEN], ed_sk[64];
    int rc = derive(pk, mldsa_sk, ed_sk, sk);
    sodium_memzero(mldsa_sk, sizeof mldsa_sk);
    sodium_memzero(ed_sk, sizeof ed_sk);
    return rc;
}

int uc_compsig_keypair(uint8_t pk[1984], uint8_t sk[64]) {
    if (!pk || !sk) return UMBRA_EINVAL;
    uc_random(sk, 64);
    int rc = uc_compsig_keypair_derand(pk, sk);
    if (rc) sodium_memzero(sk, 64);
    return rc;
}

static umbra__mldsa65_pre *xsk_pre(uc_compsig_xsk *xsk) {
    return (umbra__mldsa65_pre *)(void *)xsk->mldsa_pre;
}

int uc_compsig_expand(uc_compsig_xsk *xsk, uint8_t pk[1984], const uint8_t sk[64]) {
    if (!xsk || !sk) return UMBRA_EINVAL;
    int rc = derive(pk, xsk->mldsa_sk, xsk->ed_sk, sk);
    /* FIPS 204 Algorithm 7 lines 1-5, once per key instead of once per signature */
    if (rc == 0) rc = umbra__mldsa65_pre_init(xsk_pre(xsk), xsk->mldsa_sk);
    if (rc) uc_compsig_xsk_wipe(xsk);
    return rc;
}

void uc_compsig_xsk_wipe(uc_compsig_xsk *xsk) {
    /* covers mldsa_sk, ed_sk and the cached NTT(s1), NTT(s2), NTT(t0) and K */
    if (xsk) sodium_memzero(xsk, sizeof *xsk);
}

int uc_compsig_sign_xsk(uint8_t sig[3373], const uint8_t *msg, size_t n, const uint8_t *ctx,
                        size_t ctxlen, const uc_compsig_xsk *xsk) {
    if (!sig) return UMBRA_EINVAL;
    int rc = UMBRA_EINVAL;
    if (xsk && (!n || msg) && (!ctxlen || ctx) && ctxlen <= 255) {
        uint8_t mp[MPRIME_MAX];
        size_t mplen = build_mprime(mp, msg, n, ctx, ctxlen);
        const umbra__mldsa65_pre *pre = (const umbra__mldsa65_pre *)(const void *)xsk->mldsa_pre;
        rc = umbra__mldsa65_sign_pre(sig, mp, mplen, 1, (const uint8_t *)LABEL, LABEL_LEN, NULL, pre);
        if (rc == 0) crypto_sign_detached(sig + UC_MLDSA65_SIG_LEN, NULL, mp, mplen, xsk->ed_sk);
    }
    if (rc) sodium_memzero(sig, UC_COMPSIG_SIG_LEN); /* never a half-made signature */
    return rc;
}

int uc_compsig_sign(uint8_t sig[3373], const uint8_t *msg, size_t n, const uint8_t *ctx,
                    size_t ctxlen, const uint8_t sk[64]) {
    if (!sig || !sk) return UMBRA_EINVAL;
    /* one-shot: no cache (it would cost as much as it saves, and ~52 KB of stack) */
    uint8_t mldsa_sk[UC_MLDSA65_SK_LEN], ed_sk[64];
    int rc = derive(NULL, mldsa_sk, ed_sk, sk);
    if (rc == 0 && ((n && !msg) || (ctxlen && !ctx) || ctxlen > 255)) rc = UMBRA_EINVAL;
    if (rc == 0) {
        uint8_t mp[MPRIME_MAX];
        size_t mplen = build_mprime(mp, msg, n, ctx, ctxlen);
        rc = uc_mldsa65_sign(sig, mp, mplen, (const uint8_t *)LABEL, LABEL_LEN, NULL, mldsa_sk);
        if (rc == 0) crypto_sign_detached(sig + UC_MLDSA65_SIG_LEN, NULL, mp, mplen, ed_sk);
    }
    sodium_memzero(mldsa_sk, sizeof mldsa_sk);
    sodium_memzero(ed_sk, sizeof ed_sk);
    if (rc) sodium_memzero(sig, UC_COMPSIG_SIG_LEN);
    return rc;
}

int uc_compsig_verify(const uint8_t sig[3373], const uint8_t *msg, size_t n, const uint8_t *ctx,
                      size_t ctxlen, const uint8_t pk[1984]) {
    if (!sig || !pk || (n && !msg) || (ctxlen && !ctx)) return UMBRA_EINVAL;
    if (ctxlen > 255) return UMBRA_EINVAL;
    uint8_t mp[MPRIME_MAX];
    size_t mplen = build_mprime(mp, msg, n, ctx, ctxlen);
    /* Both components are always checked; the result is the AND of the two. */
    int rc_m = uc_mldsa65_verify(sig, UC_MLDSA65_SIG_LEN, mp, mplen, (const uint8_t *)LABEL,
                                 LABEL_LEN, pk);
    int rc_e = uc_ed25519_verify(sig + UC_MLDSA65_SIG_LEN, mp, mplen, pk + UC_MLDSA65_PK_LEN);
    return (rc_m == 0 && rc_e == 0) ? 0 : UMBRA_EBADSIG;
}

int uc_compsig_pk_expand(uc_compsig_xpk *xpk, const uint8_t pk[1984]) {
    if (!xpk || !pk) return UMBRA_EINVAL;
    memcpy(xpk->pk, pk, UC_COMPSIG_PK_LEN);
    return umbra__mldsa65_vpre_init((umbra__mldsa65_vpre *)(void *)xpk->mldsa_vpre, pk);
}

int uc_compsig_verify_xpk(const uint8_t sig[3373], const uint8_t *msg, size_t n, const uint8_t *ctx,
                          size_t ctxlen, const uc_compsig_xpk *xpk) {
    if (!sig || !xpk || (n && !msg) || (ctxlen && !ctx)) return UMBRA_EINVAL;
    if (ctxlen > 255) return UMBRA_EINVAL;
    uint8_t mp[MPRIME_MAX];
    size_t mplen = build_mprime(mp, msg, n, ctx, ctxlen);
    const umbra__mldsa65_vpre *vp = (const umbra__mldsa65_vpre *)(const void *)xpk->mldsa_vpre;
    /* Both components are always checked; the result is the AND of the two. */
    int rc_m = umbra__mldsa65_verify_vpre(sig, UC_MLDSA65_SIG_LEN, mp, mplen, 1, (const uint8_t *)LABEL,
                                          LABEL_LEN, vp);
    int rc_e = uc_ed25519_verify(sig + UC_MLDSA65_SIG_LEN, mp, mplen, xpk->pk + UC_MLDSA65_PK_LEN);
    return (rc_m == 0 && rc_e == 0) ? 0 : UMBRA_EBADSIG;
}
