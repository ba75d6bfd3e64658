/* cid.c — CIDv1 with the sha2-256 multihash (multiformats CID spec):
 *   binary = <version 0x01> <codec varint> <multihash: 0x12 (sha2-256), 0x20 (32), digest>
 *   string = multibase 'b' + RFC 4648 base32, lower case, no padding.
 * For 36-byte binaries (single-byte codec) the string is always 1 + 58 characters. */
#include <string.h>

#include "umbra/base.h"
#include "umbra/crypto.h"

#define CID_B32_CHARS 58 /* ceil(36 * 8 / 5) */

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
    /* 58 characters + NUL always fit the remaining 59 bytes */
    int rc = umbra_base32_encode(out + 1, UC_CID_STR_LEN - 1, cid, sizeof cid);
    return rc == CID_B32_CHARS ? 0 : UMBRA_EINTERNAL;
}

int uc_cid_parse(uint8_t cid[36], const char *s) {
    if (!cid || !s) return UMBRA_EINVAL;
    memset(cid, 0, 36);
    /* Longest string looked at: 'b' + base32 of a CID with a 2-byte codec (37 bytes). */
    size_t len = strnlen(s, 1 + 60 + 1);
    if (len == 0 || s[0] != 'b') return UMBRA_EUNSUPPORTED; /* other multibases, CIDv0 */
    for (size_t i = 1; i < len; i++) /* 'b' is the lower-case alphabet only ('B' is upper) */
        if (s[i] >= 'A' && s[i] <= 'Z') return UMBRA_EMALFORMED;
    uint8_t bin[40];
    int n = umbra_base32_decode(bin, sizeof bin, s + 1, len - 1);
    if (n < 0) return n == UMBRA_ENOSPACE ? UMBRA_EMALFORMED : n;
    if (n < 4) return UMBRA_EMALFORMED;
    if (bin[0] != 0x01) return UMBRA_EUNSUPPORTED;  /* CID version 1 only */
    if (bin[1] & 0x80) return UMBRA_EUNSUPPORTED;   /* multi-byte codec varint: > 36 bytes */
    if (bin[2] != 0x12 || bin[3] != 0x20) return UMBRA_EUNSUPPORTED; /* not sha2-256/32 */
    if (n != 36) return UMBRA_EMALFORMED;           /* digest truncated or trailing bytes */
    memcpy(cid, bin, 36);
    return 0;
}
