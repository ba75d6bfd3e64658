/* xwing.c — X-Wing hybrid KEM, draft-connolly-cfrg-xwing-kem-10 (ML-KEM-768 + X25519).
 *
 *   expandDecapsulationKey(sk):  expanded = SHAKE-256(sk, 96)
 *       (pk_M, sk_M) = ML-KEM-768.KeyGen_internal(expanded[0:32], expanded[32:64])
 *       sk_X = expanded[64:96];  pk_X = X25519(sk_X, X25519_BASE)
 *   pk = pk_M (1184) || pk_X (32);  ct = ct_M (1088) || ct_X (32)
 *   Combiner(ss_M, ss_X, ct_X, pk_X) = SHA3-256(ss_M || ss_X || ct_X || pk_X || XWingLabel)
 *   XWingLabel = "\./" "/^\" = 5c 2e 2f 2f 5e 5c — LAST in draft -05..-10 (first in <= -04).
 *   EncapsulateDerand(pk, eseed): m = eseed[0:32] for ML-KEM, ek_X = eseed[32:64]. */
#include <sodium.h>
#include <string.h>

#include "umbra/crypto.h"

static const uint8_t XWING_LABEL[6] = {0x5c, 0x2e, 0x2f, 0x2f, 0x5e, 0x5c};

static void combiner(uint8_t ss[32], const uint8_t ss_m[32], const uint8_t ss_x[32],
                     const uint8_t ct_x[32], const uint8_t pk_x[32]) {
    uint8_t in[32 * 4 + sizeof XWING_LABEL];
    memcpy(in, ss_m, 32);
    memcpy(in + 32, ss_x, 32);
    memcpy(in + 64, ct_x, 32);
    memcpy(in + 96, pk_x, 32);
    memcpy(in + 128, XWING_LABEL, sizeof XWING_LABEL);
    uc_sha3_256(ss, in, sizeof in);
    sodium_memzero(in, sizeof in);
}

int uc_xwing_dk_expand(uc_xwing_dk *dk, uint8_t pk[1216], const uint8_t sk[32]) {
    if (!dk || !sk) return UMBRA_EINVAL;
    uint8_t expanded[96], pk_m[UC_MLKEM768_PK_LEN];
    uc_shake256(expanded, sizeof expanded, sk, 32);
    int rc = uc_mlkem768_keypair_derand(pk_m, dk->mlkem_sk, expanded);
    memcpy(dk->x_sk, expanded + 64, 32);
    uc_x25519_base(dk->x_pk, dk->x_sk);
    sodium_memzero(expanded, sizeof expanded);
    if (rc) {
        uc_xwing_dk_wipe(dk);
        return rc;
    }
    if (pk) {
        memcpy(pk, pk_m, UC_MLKEM768_PK_LEN);
        memcpy(pk + UC_MLKEM768_PK_LEN, dk->x_pk, 32);
    }
    return 0;
}

void uc_xwing_dk_wipe(uc_xwing_dk *dk) {
    if (dk) sodium_memzero(dk, sizeof *dk);
}

int uc_xwing_keypair_derand(uint8_t pk[1216], const uint8_t sk[32]) {
    if (!pk) return UMBRA_EINVAL;
    uc_xwing_dk dk;
    int rc = uc_xwing_dk_expand(&dk, pk, sk);
    uc_xwing_dk_wipe(&dk);
    return rc;
}

int uc_xwing_keypair(uint8_t pk[1216], uint8_t sk[32]) {
    if (!pk || !sk) return UMBRA_EINVAL;
    uc_random(sk, 32);
    int rc = uc_xwing_keypair_derand(pk, sk);
    if (rc) sodium_memzero(sk, 32);
    return rc;
}

int uc_xwing_encaps_derand(uint8_t ct[1120], uint8_t ss[32], const uint8_t pk[1216],
                           const uint8_t eseed[64]) {
    if (!ct || !ss || !pk || !eseed) return UMBRA_EINVAL;
    const uint8_t *pk_x = pk + UC_MLKEM768_PK_LEN;
    uint8_t *ct_x = ct + UC_MLKEM768_CT_LEN;
    uint8_t ss_m[32], ss_x[32];
    /* ML-KEM.Encaps checks pk_M (FIPS 203 §7.2) and fails with UMBRA_EBADKEY. */
    int rc = uc_mlkem768_encaps_derand(ct, ss_m, pk, eseed);
    if (rc) goto out;
    uc_x25519_base(ct_x, eseed + 32);
    /* A low-order pk_X makes ss_X zero and the X25519 half worthless: such a pk cannot
     * come from expandDecapsulationKey, so refuse it instead of silently relying on
     * ML-KEM alone. (Decapsulation stays total, as the draft specifies.) */
    rc = uc_x25519(ss_x, eseed + 32, pk_x);
    if (rc) goto out;
    combiner(ss, ss_m, ss_x, ct_x, pk_x);
out:
    sodium_memzero(ss_m, sizeof ss_m);
    sodium_memzero(ss_x, sizeof ss_x);
    if (rc) {
        sodium_memzero(ct, UC_XWING_CT_LEN);
        sodium_memzero(ss, 32);
    }
    return rc;
}

int uc_xwing_encaps(uint8_t ct[1120], uint8_t ss[32], const uint8_t pk[1216]) {
    uint8_t eseed[64];
    uc_random(eseed, sizeof eseed);
    int rc = uc_xwing_encaps_derand(ct, ss, pk, eseed);
    sodium_memzero(eseed, sizeof eseed);
    return rc;
}

int uc_xwing_decaps_dk(uint8_t ss[32], const uint8_t ct[1120], const uc_xwing_dk *dk) {
    if (!ss || !ct || !dk) return UMBRA_EINVAL;
    uint8_t ss_m[32], ss_x[32];
    const uint8_t *ct_x = ct + UC_MLKEM768_CT_LEN;
    /* ML-KEM decapsulation rejects implicitly (pseudo-random ss_M for a bad ct_M); the
     * only error is a corrupt dk, which the FIPS 203 §7.3 hash check catches. */
    int rc = uc_mlkem768_decaps(ss_m, ct, dk->mlkem_sk);
    if (rc == 0) {
        /* A low-order ct_X gives ss_X = 0; the draft's Decapsulate has no failure case,
         * and the combined secret still depends on ss_M, so it is used as is. */
        (void)uc_x25519(ss_x, dk->x_sk, ct_x);
        combiner(ss, ss_m, ss_x, ct_x, dk->x_pk);
    } else {
        sodium_memzero(ss, 32);
    }
    sodium_memzero(ss_m, sizeof ss_m);
    sodium_memzero(ss_x, sizeof ss_x);
    return rc;
}

int uc_xwing_decaps(uint8_t ss[32], const uint8_t ct[1120], const uint8_t sk[32]) {
    if (!ss || !ct || !sk) return UMBRA_EINVAL;
    uc_xwing_dk dk;
    int rc = uc_xwing_dk_expand(&dk, NULL, sk);
    if (rc == 0) rc = uc_xwing_decaps_dk(ss, ct, &dk);
    uc_xwing_dk_wipe(&dk);
    return rc;
}
