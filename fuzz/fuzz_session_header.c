/* fuzz_session_header.c — data packet header, routing and VersionNegotiation parsers
 * (PROTOCOL.md §2.3, §2.4): no crash, no over-read; a header that parses re-encodes to the
 * same 21 bytes. */
#include <stdint.h>
#include <string.h>

#include "session_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    us__hdr h;
    if (us__hdr_decode(&h, data, size) == 0) {
        uint8_t out[US_HDR_LEN];
        if (us__hdr_encode(out, &h) != 0 || memcmp(out, data, US_HDR_LEN) != 0) __builtin_trap();
        uint8_t iv[12] = {0}, nonce[12];
        us__nonce(nonce, iv, &h);
    }
    uint8_t cid[US_CID_LEN];
    (void)us_packet_route(data, size, cid);
    uint32_t v[32];
    int k = us__version_neg_decode(data, size, cid, v, 32);
    if (k > 32) __builtin_trap();
    return 0;
}
