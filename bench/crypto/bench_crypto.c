/* bench_crypto.c — crypto throughput and operation rates (run by bench/crypto/run.sh).
 *
 *   bench_crypto_crypto aead <aes-256-gcm|chacha20-poly1305> <bytes> [seconds]
 *       seals <bytes>-long messages in place through one uc_aead context (fresh nonce per
 *       message, 13 bytes of AAD as in a record header) for ~seconds of CPU time; prints
 *       MB/s (10^6 bytes per CPU second) on one line.
 *   bench_crypto_crypto ops [seconds]
 *       prints "<name> <ops/s>" lines for X-Wing, composite signatures, ML-KEM-768,
 *       ML-DSA-65 (each measured for ~seconds of CPU time). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "umbra/crypto.h"
#include "umbra/identity.h"

/* CPU time of this process, not wall time: `openssl speed` divides by user CPU time by
 * default, and on a shared machine wall time would charge us for other processes. */
static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int bench_aead(const char *name, size_t n, double secs) {
    int alg = !strcmp(name, "aes-256-gcm") ? UC_AEAD_AES256GCM
              : !strcmp(name, "chacha20-poly1305") ? UC_AEAD_CHACHA20POLY1305 : 0;
    if (!alg) return 2;
    uint8_t key[32], nonce[12] = {0}, aad[13] = {0};
    uint8_t *buf = calloc(1, n + 16);
    if (!buf) return 1;
    uc_random(key, sizeof key);
    uc_aead a;
    if (uc_aead_init(&a, alg, key) != 0) {
        free(buf);
        return 1;
    }
    uint64_t count = 0, bytes = 0;
    double t0 = now_s(), t;
    do {
        for (int i = 0; i < 64; i++) {
            memcpy(nonce + 4, &count, sizeof count);
            if (uc_aead_seal(&a, buf, nonce, aad, sizeof aad, buf, n) != 0) {
                uc_aead_clear(&a);
                free(buf);
                return 1;
            }
            count++;
            bytes += n;
        }
        t = now_s() - t0;
    } while (t < secs);
    uc_aead_clear(&a);
    free(buf);
    printf("%.1f\n", (double)bytes / t / 1e6);
    return 0;
}

/* Runs fn until secs elapsed; returns ops/s. */
#define RATE(label, secs, body)                                          \
    do {                                                                 \
        uint64_t ops_ = 0;                                               \
        double t0_ = now_s(), t_;                                        \
        do {                                                             \
            body;                                                        \
            ops_++;                                                      \
            t_ = now_s() - t0_;                                          \
        } while (t_ < (secs));                                           \
        printf("%-26s %10.0f\n", label, (double)ops_ / t_);              \
        fflush(stdout);                                                  \
    } while (0)

#define CHECK(x)                                                         \
    do {                                                                 \
        if ((x) != 0) {                                                  \
            fprintf(stderr, "bench: %s failed\n", #x);                   \
            exit(1);                                                     \
        }                                                                \
    } while (0)

static int bench_ops(double s) {
    static uint8_t xpk[UC_XWING_PK_LEN], xsk[32], xct[UC_XWING_CT_LEN], ss[32];
    static uint8_t cpk[UC_COMPSIG_PK_LEN], csk[64], csig[UC_COMPSIG_SIG_LEN];
    static uint8_t kpk[UC_MLKEM768_PK_LEN], ksk[UC_MLKEM768_SK_LEN], kct[UC_MLKEM768_CT_LEN];
    static uint8_t dpk[UC_MLDSA65_PK_LEN], dsk[UC_MLDSA65_SK_LEN], dsig[UC_MLDSA65_SIG_LEN];
    static uc_xwing_dk xdk;
    static const uint8_t msg[64] = "a 64-byte handshake transcript hash would be signed like this..";

    CHECK(uc_xwing_keypair(xpk, xsk));
    CHECK(uc_xwing_encaps(xct, ss, xpk));
    CHECK(uc_xwing_dk_expand(&xdk, NULL, xsk));
    RATE("xwing_keygen", s, CHECK(uc_xwing_keypair(xpk, xsk)));
    RATE("xwing_encaps", s, CHECK(uc_xwing_encaps(xct, ss, xpk)));
    RATE("xwing_decaps", s, CHECK(uc_xwing_decaps(ss, xct, xsk)));
    RATE("xwing_decaps_expanded_dk", s, CHECK(uc_xwing_decaps_dk(ss, xct, &xdk)));
    uc_xwing_dk_wipe(&xdk);

    CHECK(uc_compsig_keypair(cpk, csk));
    CHECK(uc_compsig_sign(csig, msg, sizeof msg, NULL, 0, csk));
    RATE("compsig_sign", s, CHECK(uc_compsig_sign(csig, msg, sizeof msg, NULL, 0, csk)));
    static uc_compsig_xsk cx;
    CHECK(uc_compsig_expand(&cx, NULL, csk));
    RATE("compsig_sign_expanded_sk", s, CHECK(uc_compsig_sign_xsk(csig, msg, sizeof msg, NULL, 0, &cx)));
    uc_compsig_xsk_wipe(&cx);
    RATE("compsig_verify", s, CHECK(uc_compsig_verify(csig, msg, sizeof msg, NULL, 0, cpk)));
    static uc_compsig_xpk cxp;
    CHECK(uc_compsig_pk_expand(&cxp, cpk));
    RATE("compsig_verify_expanded_pk", s, CHECK(uc_compsig_verify_xpk(csig, msg, sizeof msg, NULL, 0, &cxp)));

    /* The node identity keeps its keys expanded: what a server pays per handshake. */
    umbra_identity *id;
    CHECK(umbra_identity_generate(&id));
    CHECK(uc_xwing_encaps(xct, ss, umbra_identity_xwing_pk(id)));
    RATE("identity_sign", s, CHECK(umbra_identity_sign(id, csig, msg, sizeof msg, NULL, 0)));
    RATE("identity_decaps", s, CHECK(umbra_identity_decaps(id, ss, xct)));
    umbra_identity_free(id);

    RATE("mlkem768_keygen", s, CHECK(uc_mlkem768_keypair(kpk, ksk)));
    RATE("mlkem768_encaps", s, CHECK(uc_mlkem768_encaps(kct, ss, kpk)));
    RATE("mlkem768_decaps", s, CHECK(uc_mlkem768_decaps(ss, kct, ksk)));

    RATE("mldsa65_keygen", s, CHECK(uc_mldsa65_keypair(dpk, dsk)));
    CHECK(uc_mldsa65_sign(dsig, msg, sizeof msg, NULL, 0, NULL, dsk));
    RATE("mldsa65_sign", s, CHECK(uc_mldsa65_sign(dsig, msg, sizeof msg, NULL, 0, NULL, dsk)));
    RATE("mldsa65_verify", s, CHECK(uc_mldsa65_verify(dsig, sizeof dsig, msg, sizeof msg, NULL, 0, dpk)));

    uint8_t xs[32], xp[32], edseed[32], edpk[32], edsig[64];
    uc_x25519_keypair(xp, xs);
    uc_random(edseed, 32);
    uc_ed25519_pk(edpk, edseed);
    uc_ed25519_sign(edsig, msg, sizeof msg, edseed);
    RATE("x25519", s, CHECK(uc_x25519(ss, xs, xp)));
    RATE("ed25519_sign", s, uc_ed25519_sign(edsig, msg, sizeof msg, edseed));
    RATE("ed25519_verify", s, CHECK(uc_ed25519_verify(edsig, msg, sizeof msg, edpk)));
    return 0;
}

int main(int argc, char **argv) {
    if (uc_init() != 0) {
        fprintf(stderr, "bench: uc_init failed\n");
        return 1;
    }
    if (argc >= 4 && !strcmp(argv[1], "aead"))
        return bench_aead(argv[2], (size_t)strtoul(argv[3], NULL, 10), argc > 4 ? atof(argv[4]) : 1.0);
    if (argc >= 2 && !strcmp(argv[1], "ops")) return bench_ops(argc > 2 ? atof(argv[2]) : 1.0);
    fprintf(stderr, "usage: %s aead <aes-256-gcm|chacha20-poly1305> <bytes> [secs] | ops [secs]\n", argv[0]);
    return 2;
}
