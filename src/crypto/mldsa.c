/* mldsa.c — ML-DSA-65 (FIPS 204). Key generation is PQClean's (driven from a 32-byte seed
 * through the randombytes script); signing and verification are written here on top of
 * PQClean's polynomial arithmetic so that every FIPS 204 interface is available: pure
 * ML-DSA with a context (Algorithms 2/3), the internal interface on M' (Algorithms 7/8),
 * and external mu (§6.2 / §6.3: mu = H(tr || M', 64) computed elsewhere). */
#include <sodium.h>
#include <string.h>

#include "crypto_internal.h"
#include "umbra/crypto.h"

/* PQClean's headers define short macros (K, L, N, Q, D ...): include them last. */
#include "crypto_sign/ml-dsa-65/clean/packing.h"
#include "crypto_sign/ml-dsa-65/clean/params.h"
#include "crypto_sign/ml-dsa-65/clean/poly.h"
#include "crypto_sign/ml-dsa-65/clean/polyvec.h"
#include "crypto_sign/ml-dsa-65/clean/sign.h"
#include "fips202.h"

#define PKB PQCLEAN_MLDSA65_CLEAN_CRYPTO_PUBLICKEYBYTES
#define SKB PQCLEAN_MLDSA65_CLEAN_CRYPTO_SECRETKEYBYTES
#define SIGB PQCLEAN_MLDSA65_CLEAN_CRYPTO_BYTES
_Static_assert(PKB == UC_MLDSA65_PK_LEN, "pk size");
_Static_assert(SKB == UC_MLDSA65_SK_LEN, "sk size");
_Static_assert(SIGB == UC_MLDSA65_SIG_LEN, "sig size");
_Static_assert(ETA == 4 && POLYETA_PACKEDBYTES == 128, "ML-DSA-65 packs eta=4 in nibbles");

/* FIPS 204 §6.2 leaves the rejection loop unbounded but allows a bound; with ML-DSA-65's
 * expected ~5 iterations a thousand never fail in practice (the failure probability is
 * far below 2^-256) and keep a corrupt key from spinning forever. */
#define MAX_ATTEMPTS 1000

/* sk = rho(32) || K(32) || tr(64) || s1 (L polys) || s2 (K polys) || t0 (K polys). */
#define SK_TR_OFF (2 * SEEDBYTES)
#define SK_S1_OFF (2 * SEEDBYTES + TRBYTES)
#define SK_S_BYTES ((L + K) * POLYETA_PACKEDBYTES)

int uc_mldsa65_keypair_derand(uint8_t pk[1952], uint8_t sk[4032], const uint8_t seed[32]) {
    /* FIPS 204 Algorithm 6, ML-DSA.KeyGen_internal(xi): PQClean's keygen draws exactly
     * the 32-byte xi from randombytes(), which the script answers. */
    if (!pk || !sk || !seed) return UMBRA_EINVAL;
    umbra__pq_rng_script(seed, 32);
    PQCLEAN_MLDSA65_CLEAN_crypto_sign_keypair(pk, sk);
    int exact = umbra__pq_rng_script_exact();
    umbra__pq_rng_script(NULL, 0);
    if (!exact) {
        sodium_memzero(sk, SKB);
        memset(pk, 0, PKB);
        return UMBRA_EINTERNAL;
    }
    return 0;
}

int uc_mldsa65_keypair(uint8_t pk[1952], uint8_t sk[4032]) {
    uint8_t seed[32];
    uc_random(seed, sizeof seed);
    int rc = uc_mldsa65_keypair_derand(pk, sk, seed);
    sodium_memzero(seed, sizeof seed);
    return rc;
}

/* Checks that s1 and s2 decode into [-eta, eta] (FIPS 204 Algorithm 25 skDecode yields
 * an out-of-range value otherwise, which would leak through signatures). Each nibble
 * holds eta - coefficient, so valid nibbles are 0..2*eta = 8. */
static int sk_ok(const uint8_t *sk) {
    uint8_t bad = 0;
    for (size_t i = 0; i < SK_S_BYTES; i++) {
        uint8_t b = sk[SK_S1_OFF + i];
        /* (8 - x) underflows (bit 7 set) exactly when x > 8; branch-free on secret bytes. */
        bad |= (uint8_t)((uint8_t)(8 - (b & 0x0f)) | (uint8_t)(8 - (b >> 4)));
    }
    return (bad & 0x80) == 0;
}

/* mu = H(tr || pre || M, 64) where pre is the 0/ctxlen/ctx prefix of FIPS 204 Algorithm
 * 2 (pure) or empty (internal interface). */
static void compute_mu(uint8_t mu[CRHBYTES], const uint8_t tr[TRBYTES], int with_ctx,
                       const uint8_t *ctx, size_t ctxlen, const uint8_t *m, size_t mlen) {
    shake256incctx st;
    shake256_inc_init(&st);
    shake256_inc_absorb(&st, tr, TRBYTES);
    if (with_ctx) {
        uint8_t pre[2] = {0, (uint8_t)ctxlen};
        shake256_inc_absorb(&st, pre, 2);
        if (ctxlen) shake256_inc_absorb(&st, ctx, ctxlen);
    }
    if (mlen) shake256_inc_absorb(&st, m, mlen);
    shake256_inc_finalize(&st);
    shake256_inc_squeeze(mu, CRHBYTES, &st);
    shake256_inc_ctx_release(&st);
}

/* w1Encode and the challenge hash: c~ = H(mu || w1Encode(w1), lambda/4). */
static void challenge_hash(uint8_t ctilde[CTILDEBYTES], const uint8_t mu[CRHBYTES], const polyveck *w1) {
    uint8_t buf[K * POLYW1_PACKEDBYTES];
    shake256incctx st;
    PQCLEAN_MLDSA65_CLEAN_polyveck_pack_w1(buf, w1);
    shake256_inc_init(&st);
    shake256_inc_absorb(&st, mu, CRHBYTES);
    shake256_inc_absorb(&st, buf, sizeof buf);
    shake256_inc_finalize(&st);
    shake256_inc_squeeze(ctilde, CTILDEBYTES, &st);
    /* In the signer, w1 of a rejected attempt is never published (FIPS 204 §3.6.3:
     * intermediate values of rejected iterations must not leak), so neither the packed w1
     * nor the Keccak state that absorbed it outlives this call. PQClean keeps the state
     * on the heap and frees it unwiped: wipe it first. */
    sodium_memzero(buf, sizeof buf);
    sodium_memzero(st.ctx, PQC_SHAKEINCCTX_BYTES);
    shake256_inc_ctx_release(&st);
}

/* What FIPS 204 Algorithm 7 (ML-DSA.Sign_internal) lines 1-5 compute from sk before the
 * rejection loop: A-hat = ExpandA(rho) (NTT domain), s1-hat, s2-hat, t0-hat (NTT of the
 * decoded s1, s2, t0), plus tr and K as stored in sk. Everything but A-hat and tr is
 * secret. Kept whole inside uc_compsig_xsk (UC_MLDSA65_PRE_LEN bytes). */
struct umbra__mldsa65_pre {
    polyvecl mat[K], s1;
    polyveck s2, t0;
    uint8_t tr[TRBYTES], key[SEEDBYTES];
};
_Static_assert(sizeof(struct umbra__mldsa65_pre) == UC_MLDSA65_PRE_LEN, "UC_MLDSA65_PRE_LEN");
_Static_assert(_Alignof(struct umbra__mldsa65_pre) <= 16, "uc_compsig_xsk aligns the cache to 16");

/* Algorithm 7 lines 1-5 (sk already checked by sk_ok). */
static void pre_fill(struct umbra__mldsa65_pre *p, const uint8_t sk[SKB]) {
    uint8_t rho[SEEDBYTES];
    PQCLEAN_MLDSA65_CLEAN_unpack_sk(rho, p->tr, p->key, &p->t0, &p->s1, &p->s2, sk);
    PQCLEAN_MLDSA65_CLEAN_polyvec_matrix_expand(p->mat, rho);
    PQCLEAN_MLDSA65_CLEAN_polyvecl_ntt(&p->s1);
    PQCLEAN_MLDSA65_CLEAN_polyveck_ntt(&p->s2);
    PQCLEAN_MLDSA65_CLEAN_polyveck_ntt(&p->t0);
}

/* The signer's per-signature secrets, kept together so one wipe clears them. */
struct sign_state {
    uint8_t krm[SEEDBYTES + RNDBYTES + CRHBYTES]; /* K || rnd || mu */
    uint8_t rhopp[CRHBYTES];
    polyvecl y, z;
    polyveck w1, w0, h;
    poly cp;
};

/* FIPS 204 Algorithm 7, ML-DSA.Sign_internal, from line 7 on (mu given, lines 1-5 in p). */
static int sign_loop(uint8_t sig[SIGB], const uint8_t mu[CRHBYTES], const uint8_t rnd[RNDBYTES],
                     const struct umbra__mldsa65_pre *p) {
    struct sign_state s;
    int rc = UMBRA_ECRYPTO;
    /* line 7: rho'' = H(K || rnd || mu, 64) */
    memcpy(s.krm, p->key, SEEDBYTES);
    memcpy(s.krm + SEEDBYTES, rnd, RNDBYTES);
    memcpy(s.krm + SEEDBYTES + RNDBYTES, mu, CRHBYTES);
    /* uc_shake256 (OpenSSL) cleanses its Keccak state; PQClean's shake256() would free a
     * heap state that absorbed K unwiped. */
    uc_shake256(s.rhopp, CRHBYTES, s.krm, sizeof s.krm);

    for (uint16_t kappa = 0; kappa < MAX_ATTEMPTS; kappa++) {
        /* line 11: y = ExpandMask(rho'', kappa * l) (PQClean multiplies by l inside) */
        PQCLEAN_MLDSA65_CLEAN_polyvecl_uniform_gamma1(&s.y, s.rhopp, kappa);
        /* lines 12-13: w = NTT^-1(A-hat * NTT(y)); w1 = HighBits(w) */
        s.z = s.y;
        PQCLEAN_MLDSA65_CLEAN_polyvecl_ntt(&s.z);
        PQCLEAN_MLDSA65_CLEAN_polyvec_matrix_pointwise_montgomery(&s.w1, p->mat, &s.z);
        PQCLEAN_MLDSA65_CLEAN_polyveck_reduce(&s.w1);
        PQCLEAN_MLDSA65_CLEAN_polyveck_invntt_tomont(&s.w1);
        PQCLEAN_MLDSA65_CLEAN_polyveck_caddq(&s.w1);
        PQCLEAN_MLDSA65_CLEAN_polyveck_decompose(&s.w1, &s.w0, &s.w1);
        /* lines 15-16: c~ = H(mu || w1Encode(w1)); c = SampleInBall(c~) */
        challenge_hash(sig, mu, &s.w1);
        PQCLEAN_MLDSA65_CLEAN_poly_challenge(&s.cp, sig);
        PQCLEAN_MLDSA65_CLEAN_poly_ntt(&s.cp);
        /* lines 18-20: z = y + c*s1; reject when ||z|| >= gamma1 - beta */
        PQCLEAN_MLDSA65_CLEAN_polyvecl_pointwise_poly_montgomery(&s.z, &s.cp, &p->s1);
        PQCLEAN_MLDSA65_CLEAN_polyvecl_invntt_tomont(&s.z);
        PQCLEAN_MLDSA65_CLEAN_polyvecl_add(&s.z, &s.z, &s.y);
        PQCLEAN_MLDSA65_CLEAN_polyvecl_reduce(&s.z);
        if (PQCLEAN_MLDSA65_CLEAN_polyvecl_chknorm(&s.z, GAMMA1 - BETA)) continue;
        /* lines 19, 23: r0 = LowBits(w - c*s2); reject when ||r0|| >= gamma2 - beta */
        PQCLEAN_MLDSA65_CLEAN_polyveck_pointwise_poly_montgomery(&s.h, &s.cp, &p->s2);
        PQCLEAN_MLDSA65_CLEAN_polyveck_invntt_tomont(&s.h);
        PQCLEAN_MLDSA65_CLEAN_polyveck_sub(&s.w0, &s.w0, &s.h);
        PQCLEAN_MLDSA65_CLEAN_polyveck_reduce(&s.w0);
        if (PQCLEAN_MLDSA65_CLEAN_polyveck_chknorm(&s.w0, GAMMA2 - BETA)) continue;
        /* lines 25-28: h = MakeHint(-c*t0, w - c*s2 + c*t0); reject on ||c*t0|| >= gamma2
         * or more than omega hints */
        PQCLEAN_MLDSA65_CLEAN_polyveck_pointwise_poly_montgomery(&s.h, &s.cp, &p->t0);
        PQCLEAN_MLDSA65_CLEAN_polyveck_invntt_tomont(&s.h);
        PQCLEAN_MLDSA65_CLEAN_polyveck_reduce(&s.h);
        if (PQCLEAN_MLDSA65_CLEAN_polyveck_chknorm(&s.h, GAMMA2)) continue;
        PQCLEAN_MLDSA65_CLEAN_polyveck_add(&s.w0, &s.w0, &s.h);
        if (PQCLEAN_MLDSA65_CLEAN_polyveck_make_hint(&s.h, &s.w0, &s.w1) > OMEGA) continue;
        /* line 33: sigma = sigEncode(c~, z mod± q, h) */
        PQCLEAN_MLDSA65_CLEAN_pack_sig(sig, sig, &s.z, &s.h);
        rc = 0;
        break;
    }
    sodium_memzero(&s, sizeof s);
    if (rc) sodium_memzero(sig, SIGB);
    return rc;
}

/* FIPS 204 Algorithm 7, ML-DSA.Sign_internal, from line 6 on (mu given), from sk. */
static int sign_mu(uint8_t sig[SIGB], const uint8_t mu[CRHBYTES], const uint8_t rnd[RNDBYTES],
                   const uint8_t sk[SKB]) {
    struct umbra__mldsa65_pre p;
    pre_fill(&p, sk);
    int rc = sign_loop(sig, mu, rnd, &p);
    sodium_memzero(&p, sizeof p);
    return rc;
}

/* What FIPS 204 Algorithm 8 (ML-DSA.Verify_internal) computes from pk alone: A-hat =
 * ExpandA(rho) (line 5), NTT(t1 * 2^d) (line 9's right operand) and tr = H(pk, 64)
 * (line 6). Public. Kept whole inside uc_compsig_xpk (UC_MLDSA65_VPRE_LEN bytes). */
struct umbra__mldsa65_vpre {
    polyvecl mat[K];
    polyveck t1;
    uint8_t tr[TRBYTES];
};
_Static_assert(sizeof(struct umbra__mldsa65_vpre) == UC_MLDSA65_VPRE_LEN, "UC_MLDSA65_VPRE_LEN");
_Static_assert(_Alignof(struct umbra__mldsa65_vpre) <= 16, "uc_compsig_xpk aligns the cache to 16");

static void vpre_fill(struct umbra__mldsa65_vpre *p, const uint8_t pk[PKB]) {
    uint8_t rho[SEEDBYTES];
    PQCLEAN_MLDSA65_CLEAN_unpack_pk(rho, &p->t1, pk);
    PQCLEAN_MLDSA65_CLEAN_polyvec_matrix_expand(p->mat, rho);
    PQCLEAN_MLDSA65_CLEAN_polyveck_shiftl(&p->t1);
    PQCLEAN_MLDSA65_CLEAN_polyveck_ntt(&p->t1);
    shake256(p->tr, TRBYTES, pk, PKB);
}

/* FIPS 204 Algorithm 8, ML-DSA.Verify_internal, from line 7 on (mu given, pk-only values
 * in p). */
static int verify_loop(const uint8_t *sig, size_t siglen, const uint8_t mu[CRHBYTES],
                       const struct umbra__mldsa65_vpre *p) {
    uint8_t c[CTILDEBYTES], c2[CTILDEBYTES];
    polyvecl z;
    polyveck ct1, w1, h;
    poly cp;
    if (siglen != SIGB) return UMBRA_EBADSIG;
    /* sigDecode (Algorithm 27) returns failure for a malformed hint encoding */
    if (PQCLEAN_MLDSA65_CLEAN_unpack_sig(c, &z, &h, sig)) return UMBRA_EBADSIG;
    /* line 13: ||z|| < gamma1 - beta */
    if (PQCLEAN_MLDSA65_CLEAN_polyvecl_chknorm(&z, GAMMA1 - BETA)) return UMBRA_EBADSIG;
    /* lines 8-10: w'approx = NTT^-1(A-hat * NTT(z) - NTT(c) * NTT(t1 * 2^d)) */
    PQCLEAN_MLDSA65_CLEAN_poly_challenge(&cp, c);
    PQCLEAN_MLDSA65_CLEAN_polyvecl_ntt(&z);
    PQCLEAN_MLDSA65_CLEAN_polyvec_matrix_pointwise_montgomery(&w1, p->mat, &z);
    PQCLEAN_MLDSA65_CLEAN_poly_ntt(&cp);
    PQCLEAN_MLDSA65_CLEAN_polyveck_pointwise_poly_montgomery(&ct1, &cp, &p->t1);
    PQCLEAN_MLDSA65_CLEAN_polyveck_sub(&w1, &w1, &ct1);
    PQCLEAN_MLDSA65_CLEAN_polyveck_reduce(&w1);
    PQCLEAN_MLDSA65_CLEAN_polyveck_invntt_tomont(&w1);
    /* line 11: w1' = UseHint(h, w'approx) */
    PQCLEAN_MLDSA65_CLEAN_polyveck_caddq(&w1);
    PQCLEAN_MLDSA65_CLEAN_polyveck_use_hint(&w1, &w1, &h);
    /* line 12-13: c~' = H(mu || w1Encode(w1')); c~ == c~' (all bytes, never strcmp-like) */
    challenge_hash(c2, mu, &w1);
    return sodium_memcmp(c, c2, CTILDEBYTES) == 0 ? 0 : UMBRA_EBADSIG;
}

/* FIPS 204 Algorithm 8 from line 7 on, from pk. */
static int verify_mu(const uint8_t *sig, size_t siglen, const uint8_t mu[CRHBYTES],
                     const uint8_t pk[PKB]) {
    if (siglen != SIGB) return UMBRA_EBADSIG;
    struct umbra__mldsa65_vpre p;
    vpre_fill(&p, pk);
    return verify_loop(sig, siglen, mu, &p);
}

int uc_mldsa65_mu(uint8_t mu[64], const uint8_t pk[1952], const uint8_t *msg, size_t n,
                  const uint8_t *ctx, size_t ctxlen) {
    /* FIPS 204 §6.2 / Algorithm 2 lines 10 & 7: tr = H(pk, 64); M' = 0 || |ctx| || ctx || M;
     * mu = H(tr || M', 64). */
    if (!mu || !pk || (n && !msg) || (ctxlen && !ctx)) return UMBRA_EINVAL;
    if (ctxlen > 255) return UMBRA_EINVAL;
    uint8_t tr[TRBYTES];
    shake256(tr, TRBYTES, pk, PKB);
    compute_mu(mu, tr, 1, ctx, ctxlen, msg, n);
    return 0;
}

int uc_mldsa65_sign_mu(uint8_t sig[3309], const uint8_t mu[64], const uint8_t *rnd,
                       const uint8_t sk[4032]) {
    if (!sig) return UMBRA_EINVAL;
    if (!mu || !sk) {
        sodium_memzero(sig, SIGB);
        return UMBRA_EINVAL;
    }
    if (!sk_ok(sk)) {
        sodium_memzero(sig, SIGB);
        return UMBRA_EBADKEY;
    }
    uint8_t r[RNDBYTES];
    if (rnd)
        memcpy(r, rnd, RNDBYTES);
    else
        uc_random(r, RNDBYTES); /* FIPS 204 Algorithm 2 line 5: hedged variant */
    int rc = sign_mu(sig, mu, r, sk);
    sodium_memzero(r, sizeof r);
    return rc;
}

int uc_mldsa65_sign_internal(uint8_t sig[3309], const uint8_t *mprime, size_t n,
                             const uint8_t *rnd, const uint8_t sk[4032]) {
    if (!sig) return UMBRA_EINVAL;
    if (!sk || (n && !mprime)) {
        sodium_memzero(sig, SIGB);
        return UMBRA_EINVAL;
    }
    uint8_t mu[CRHBYTES];
    /* Algorithm 7 line 6: mu = H(BytesToBits(tr) || M', 64), tr taken from sk */
    compute_mu(mu, sk + SK_TR_OFF, 0, NULL, 0, mprime, n);
    int rc = uc_mldsa65_sign_mu(sig, mu, rnd, sk);
    sodium_memzero(mu, sizeof mu);
    return rc;
}

int uc_mldsa65_sign(uint8_t sig[3309], const uint8_t *msg, size_t n, const uint8_t *ctx,
                    size_t ctxlen, const uint8_t *rnd, const uint8_t sk[4032]) {
    if (!sig) return UMBRA_EINVAL;
    /* FIPS 204 Algorithm 2 lines 1-3: |ctx| <= 255 */
    if (!sk || (n && !msg) || (ctxlen && !ctx) || ctxlen > 255) {
        sodium_memzero(sig, SIGB);
        return UMBRA_EINVAL;
    }
    uint8_t mu[CRHBYTES];
    compute_mu(mu, sk + SK_TR_OFF, 1, ctx, ctxlen, msg, n);
    int rc = uc_mldsa65_sign_mu(sig, mu, rnd, sk);
    sodium_memzero(mu, sizeof mu);
    return rc;
}

int uc_mldsa65_verify_mu(const uint8_t *sig, size_t siglen, const uint8_t mu[64],
                         const uint8_t pk[1952]) {
    if (!sig || !mu || !pk) return UMBRA_EINVAL;
    return verify_mu(sig, siglen, mu, pk);
}

int uc_mldsa65_verify_internal(const uint8_t *sig, size_t siglen, const uint8_t *mprime,
                               size_t n, const uint8_t pk[1952]) {
    if (!sig || !pk || (n && !mprime)) return UMBRA_EINVAL;
    uint8_t tr[TRBYTES], mu[CRHBYTES];
    shake256(tr, TRBYTES, pk, PKB);
    compute_mu(mu, tr, 0, NULL, 0, mprime, n);
    return verify_mu(sig, siglen, mu, pk);
}

int uc_mldsa65_verify(const uint8_t *sig, size_t siglen, const uint8_t *msg, size_t n,
                      const uint8_t *ctx, size_t ctxlen, const uint8_t pk[1952]) {
    uint8_t mu[CRHBYTES];
    if (!sig) return UMBRA_EINVAL;
    int rc = uc_mldsa65_mu(mu, pk, msg, n, ctx, ctxlen);
    if (rc) return rc;
    return verify_mu(sig, siglen, mu, pk);
}

/* ---- Precomputed signing key (crypto_internal.h) ---------------------------------------- */

int umbra__mldsa65_pre_init(umbra__mldsa65_pre *pre, const uint8_t sk[4032]) {
    if (!pre) return UMBRA_EINVAL;
    if (!sk) {
        sodium_memzero(pre, sizeof *pre);
        return UMBRA_EINVAL;
    }
    if (!sk_ok(sk)) {
        sodium_memzero(pre, sizeof *pre);
        return UMBRA_EBADKEY;
    }
    pre_fill(pre, sk);
    return 0;
}

void umbra__mldsa65_pre_wipe(umbra__mldsa65_pre *pre) {
    if (pre) sodium_memzero(pre, sizeof *pre);
}

int umbra__mldsa65_sign_mu_pre(uint8_t sig[3309], const uint8_t mu[64], const uint8_t *rnd,
                               const umbra__mldsa65_pre *pre) {
    if (!sig) return UMBRA_EINVAL;
    if (!mu || !pre) {
        sodium_memzero(sig, SIGB);
        return UMBRA_EINVAL;
    }
    uint8_t r[RNDBYTES];
    if (rnd)
        memcpy(r, rnd, RNDBYTES);
    else
        uc_random(r, RNDBYTES); /* FIPS 204 Algorithm 2 line 5: hedged variant */
    int rc = sign_loop(sig, mu, r, pre);
    sodium_memzero(r, sizeof r);
    return rc;
}

int umbra__mldsa65_sign_pre(uint8_t sig[3309], const uint8_t *msg, size_t n, int pure,
                            const uint8_t *ctx, size_t ctxlen, const uint8_t *rnd,
                            const umbra__mldsa65_pre *pre) {
    if (!sig) return UMBRA_EINVAL;
    if (!pre || (n && !msg) || (ctxlen && !ctx) || ctxlen > 255 || (!pure && ctxlen)) {
        sodium_memzero(sig, SIGB);
        return UMBRA_EINVAL;
    }
    uint8_t mu[CRHBYTES];
    /* Algorithm 2 line 10 / Algorithm 7 line 6: mu = H(tr || M', 64) */
    compute_mu(mu, pre->tr, pure, ctx, ctxlen, msg, n);
    int rc = umbra__mldsa65_sign_mu_pre(sig, mu, rnd, pre);
    sodium_memzero(mu, sizeof mu);
    return rc;
}

/* ---- Precomputed public key (crypto_internal.h) ----------------------------------------- */

int umbra__mldsa65_vpre_init(umbra__mldsa65_vpre *vpre, const uint8_t pk[1952]) {
    if (!vpre || !pk) return UMBRA_EINVAL;
    vpre_fill(vpre, pk);
    return 0;
}

int umbra__mldsa65_verify_mu_vpre(const uint8_t *sig, size_t siglen, const uint8_t mu[64],
                                  const umbra__mldsa65_vpre *vpre) {
    if (!sig || !mu || !vpre) return UMBRA_EINVAL;
    return verify_loop(sig, siglen, mu, vpre);
}

int umbra__mldsa65_verify_vpre(const uint8_t *sig, size_t siglen, const uint8_t *msg, size_t n,
                               int pure, const uint8_t *ctx, size_t ctxlen,
                               const umbra__mldsa65_vpre *vpre) {
    if (!sig || !vpre || (n && !msg) || (ctxlen && !ctx) || ctxlen > 255 || (!pure && ctxlen))
        return UMBRA_EINVAL;
    uint8_t mu[CRHBYTES];
    /* Algorithm 3 line 5 / Algorithm 8 line 7: mu = H(tr || M', 64), tr cached */
    compute_mu(mu, vpre->tr, pure, ctx, ctxlen, msg, n);
    return verify_loop(sig, siglen, mu, vpre);
}
