/* mlkem.c — ML-KEM-768 (FIPS 203) over PQClean's clean implementation, plus the input
 * checks FIPS 203 requires and PQClean leaves out (§7.2 encapsulation-key modulus check,
 * §7.3 decapsulation-key hash check). */
#include <sodium.h>
#include <string.h>

#include "crypto_kem/ml-kem-768/clean/kem.h"
#include "umbra/crypto.h"

_Static_assert(KYBER_PUBLICKEYBYTES == UC_MLKEM768_PK_LEN, "ek size");
_Static_assert(KYBER_SECRETKEYBYTES == UC_MLKEM768_SK_LEN, "dk size");
_Static_assert(KYBER_CIPHERTEXTBYTES == UC_MLKEM768_CT_LEN, "ct size");

/* k = 3: t-hat occupies 384k = 1152 bytes of ek; ek = t-hat || rho. */
#define EK_T_BYTES (384 * 3)

int uc_mlkem768_check_pk(const uint8_t pk[1184]) {
    /* FIPS 203 §7.2 (modulus check): ByteEncode12(ByteDecode12(ek[0:384k])) == ek[0:384k],
     * i.e. every packed 12-bit coefficient is already reduced, < q = 3329. Public data,
     * so early exit is fine. */
    if (!pk) return UMBRA_EINVAL;
    for (size_t i = 0; i < EK_T_BYTES; i += 3) {
        unsigned a = pk[i] | (unsigned)(pk[i + 1] & 0x0f) << 8;
        unsigned b = pk[i + 1] >> 4 | (unsigned)pk[i + 2] << 4;
        if (a >= KYBER_Q || b >= KYBER_Q) return UMBRA_EBADKEY;
    }
    return 0;
}

int uc_mlkem768_check_sk(const uint8_t sk[2400]) {
    /* FIPS 203 §7.3 (hash check): dk = dk_PKE(384k) || ek(384k+32) || H(ek)(32) || z(32);
     * H(ek) must match. */
    if (!sk) return UMBRA_EINVAL;
    uint8_t h[32];
    uc_sha3_256(h, sk + KYBER_INDCPA_SECRETKEYBYTES, KYBER_PUBLICKEYBYTES);
    int eq = umbra_ct_equal(h, sk + KYBER_INDCPA_SECRETKEYBYTES + KYBER_PUBLICKEYBYTES, 32) == 0;
    return eq ? 0 : UMBRA_EBADKEY;
}

int uc_mlkem768_keypair_derand(uint8_t pk[1184], uint8_t sk[2400], const uint8_t dz[64]) {
    /* FIPS 203 Algorithm 16, ML-KEM.KeyGen_internal(d, z) with coins = d || z. */
    if (!pk || !sk || !dz) return UMBRA_EINVAL;
    PQCLEAN_MLKEM768_CLEAN_crypto_kem_keypair_derand(pk, sk, dz);
    return 0;
}

int uc_mlkem768_keypair(uint8_t pk[1184], uint8_t sk[2400]) {
    uint8_t dz[64];
    uc_random(dz, sizeof dz);
    int rc = uc_mlkem768_keypair_derand(pk, sk, dz);
    sodium_memzero(dz, sizeof dz);
    return rc;
}

int uc_mlkem768_encaps_derand(uint8_t ct[1088], uint8_t ss[32], const uint8_t pk[1184],
                              const uint8_t m[32]) {
    /* FIPS 203 Algorithm 17, ML-KEM.Encaps_internal(ek, m), after the §7.2 input check. */
    if (!ct || !ss || !m) return UMBRA_EINVAL;
    int rc = uc_mlkem768_check_pk(pk);
    if (rc) {
        memset(ct, 0, UC_MLKEM768_CT_LEN);
        memset(ss, 0, UC_MLKEM_SS_LEN);
        return rc;
    }
    PQCLEAN_MLKEM768_CLEAN_crypto_kem_enc_derand(ct, ss, pk, m);
    return 0;
}

int uc_mlkem768_encaps(uint8_t ct[1088], uint8_t ss[32], const uint8_t pk[1184]) {
    uint8_t m[32];
    uc_random(m, sizeof m);
    int rc = uc_mlkem768_encaps_derand(ct, ss, pk, m);
    sodium_memzero(m, sizeof m);
    return rc;
}

int uc_mlkem768_decaps(uint8_t ss[32], const uint8_t ct[1088], const uint8_t sk[2400]) {
    /* FIPS 203 Algorithm 18 (with implicit rejection) after the §7.3 input check; the
     * ciphertext type check is the fixed parameter size. */
    if (!ss || !ct) return UMBRA_EINVAL;
    int rc = uc_mlkem768_check_sk(sk);
    if (rc) {
        memset(ss, 0, UC_MLKEM_SS_LEN);
        return rc;
    }
    PQCLEAN_MLKEM768_CLEAN_crypto_kem_dec(ss, ct, sk);
    return 0;
}
