/* cid.c — CIDv1 with the sha2-256 multihash (multiformats CID spec):
 *   binary = <version 0x01> <codec varint> <multihash: 0x12 (sha2-256), 0x20 (32), digest>
 *   string = multibase 'b' + RFC 4648 base32, lower case, no padding.
 * For 36-byte binaries (single-byte codec) the string is always 1 + 58 characters. */
#include <string.h>

#include "umbra/crypto.h"

#define CID_B32_CHARS 58 /* ceil(36 * 8 / 5) */

static const char B32[] = "abcdefghijklmnopqrstuvwxyz234567";

/* RFC 4648 §6 base32 of exactly 36 bytes, lower case, unpadded, into out[58]. */
static void b32_encode36(char out[CID_B32_CHARS], const uint8_t in[36]) {
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < 36; i++) {
        acc = (acc << 8) | in[i];
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            out[o++] = B32[(acc >> bits) & 31];
        }
    }
    if (bits) out[o++] = B32[(acc << (5 - bits)) & 31];
}

/* Decodes 58 lower-case base32 characters into 36 bytes; rejects characters outside the
 * alphabet and non-zero trailing bits (so every CID has one string form). */
static int b32_decode36(uint8_t out[36], const char *in) {
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < CID_B32_CHARS; i++) {
        char ch = in[i];
        int v;
        if (ch >= 'a' && ch <= 'z')
            v = ch - 'a';
        else if (ch >= '2' && ch <= '7')
            v = ch - '2' + 26;
        else
            return UMBRA_EMALFORMED;
        acc = (acc << 5) | (uint32_t)v;
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
        }
    }
    if (o != 36 || (acc & ((1u << bits) - 1)) != 0) return UMBRA_EMALFORMED;
    return 0;
}

void uc_cid_raw(uint8_t cid[36], const void *data, size_t n) {
    cid[0] = 0x01; /* CIDv1 */
    cid[1] = 0x55; /* multicodec "raw" */
    cid[2] = 0x12; /* multihash sha2-256 */
    cid[3] = 0x20; /* digest length 32 */
    uc_sha256(cid + 4, data, n);
}

int uc_cid_raw_string(char out[60], const void *data, size_t n) {
    if (!out || (n && !data)) return UMBRA_EINVAL;
    uint8_t cid[36];
    uc_cid_raw(cid, data, n);
    out[0] = 'b';
    b32_encode36(out + 1, cid);
    out[1 + CID_B32_CHARS] = '\0';
    return 0;
}

int uc_cid_parse(uint8_t cid[36], const char *s) {
    if (!cid || !s) return UMBRA_EINVAL;
    memset(cid, 0, 36);
    size_t len = strnlen(s, UC_CID_STR_LEN + 1);
    if (len == 0 || s[0] != 'b') return UMBRA_EUNSUPPORTED; /* other multibases, CIDv0 */
    if (len != 1 + CID_B32_CHARS) return UMBRA_EMALFORMED;
    uint8_t bin[36];
    int rc = b32_decode36(bin, s + 1);
    if (rc) return rc;
    if (bin[0] != 0x01) return UMBRA_EUNSUPPORTED;  /* CID version */
    if (bin[1] & 0x80) return UMBRA_EUNSUPPORTED;   /* multi-byte codec varint */
    if (bin[2] != 0x12 || bin[3] != 0x20) return UMBRA_EUNSUPPORTED; /* not sha2-256/32 */
    memcpy(cid, bin, 36);
    return 0;
}
