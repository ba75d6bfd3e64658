/* keys.c — key schedule (PROTOCOL.md §4.2) and packet protection (§2.4, §5). */
#include <string.h>

#include "session_internal.h"

#define LABEL_PREFIX "umbra1 "

/* RFC 5869 §2.3 HKDF-Expand with a TLS 1.3-style (RFC 8446 §7.1) HkdfLabel info:
 * L:2 || len:1 || "umbra1 " + label || clen:1 || ctx. */
int us__expand_label(uint8_t *out, size_t outlen, const uint8_t secret[32], const char *label,
                     const uint8_t *ctx, size_t ctxlen) {
    uint8_t info[2 + 1 + 255 + 1 + 255];
    size_t ll = strlen(LABEL_PREFIX) + strlen(label);
    if (outlen > 255 || ll > 255 || ctxlen > 255) return UMBRA_ERANGE;
    size_t k = 0;
    us__put16(info, (uint16_t)outlen);
    k = 2;
    info[k++] = (uint8_t)ll;
    memcpy(info + k, LABEL_PREFIX, strlen(LABEL_PREFIX));
    k += strlen(LABEL_PREFIX);
    memcpy(info + k, label, strlen(label));
    k += strlen(label);
    info[k++] = (uint8_t)ctxlen;
    if (ctxlen) memcpy(info + k, ctx, ctxlen);
    k += ctxlen;
    return uc_hkdf_expand(out, outlen, secret, info, k);
}

void us__handshake_secret(uint8_t hs[32], const uint8_t ss_s[32], const uint8_t ss_e[32]) {
    static const char salt[] = "umbra-session v1";
    uint8_t ikm[64];
    memcpy(ikm, ss_s, 32);
    memcpy(ikm + 32, ss_e, 32);
    uc_hkdf_extract(hs, (const uint8_t *)salt, strlen(salt), ikm, sizeof ikm);
    umbra_wipe(ikm, sizeof ikm);
}

int us__traffic_secrets(const uint8_t hs[32], const uint8_t th[32], uint8_t c_ap[32],
                        uint8_t s_ap[32], uint8_t res[32]) {
    int rc = us__expand_label(c_ap, 32, hs, "c ap", th, 32);
    if (!rc) rc = us__expand_label(s_ap, 32, hs, "s ap", th, 32);
    if (!rc && res) rc = us__expand_label(res, 32, hs, "res", th, 32);
    return rc;
}

int us__key_iv(const uint8_t secret[32], uint8_t key[32], uint8_t iv[12]) {
    int rc = us__expand_label(key, 32, secret, "key", NULL, 0);
    if (!rc) rc = us__expand_label(iv, 12, secret, "iv", NULL, 0);
    return rc;
}

int us__next_secret(uint8_t next[32], const uint8_t secret[32]) {
    return us__expand_label(next, 32, secret, "ku", NULL, 0);
}

int us__keys_init(us__keys *k, int alg, const uint8_t secret[32], uint16_t epoch) {
    uint8_t key[32];
    memset(k, 0, sizeof *k);
    int rc = us__key_iv(secret, key, k->iv);
    if (!rc) rc = uc_aead_init(&k->aead, alg, key);
    umbra_wipe(key, sizeof key);
    if (rc) {
        umbra_wipe(k, sizeof *k);
        return rc;
    }
    memcpy(k->secret, secret, 32);
    k->epoch = epoch;
    k->valid = 1;
    return 0;
}

void us__keys_clear(us__keys *k) {
    if (k->valid) uc_aead_clear(&k->aead);
    umbra_wipe(k, sizeof *k);
}

int us__seal(us__keys *k, const us__hdr *h, const uint8_t *payload, size_t n, uint8_t *out,
             size_t cap) {
    uint8_t nonce[12];
    if (n == 0 || n > US_MAX_PAYLOAD) return UMBRA_EINVAL;
    if (cap < US_HDR_LEN + n + US_TAG_LEN) return UMBRA_ENOSPACE;
    int rc = us__hdr_encode(out, h);
    if (rc) return rc;
    us__nonce(nonce, k->iv, h);
    rc = uc_aead_seal(&k->aead, out + US_HDR_LEN, nonce, out, US_HDR_LEN, payload, n);
    if (rc) return rc;
    return (int)(US_HDR_LEN + n + US_TAG_LEN);
}

int us__open(us__keys *k, const us__hdr *h, const uint8_t *pkt, size_t n, uint8_t *out,
             size_t cap) {
    uint8_t nonce[12];
    if (n < US_HDR_LEN + 1 + US_TAG_LEN) return UMBRA_EAUTH;
    size_t ctlen = n - US_HDR_LEN;
    if (cap < ctlen - US_TAG_LEN) return UMBRA_ENOSPACE;
    us__nonce(nonce, k->iv, h);
    int rc = uc_aead_open(&k->aead, out, nonce, pkt, US_HDR_LEN, pkt + US_HDR_LEN, ctlen);
    if (rc) return UMBRA_EAUTH;
    return (int)(ctlen - US_TAG_LEN);
}
