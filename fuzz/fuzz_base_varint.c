/* libFuzzer target: multiformats unsigned-varint decoder. A decoded value must re-encode
 * to exactly the bytes consumed (minimality), in at most 9 bytes. */
#include "umbra/base.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    size_t off = 0;
    /* Decode a sequence of varints, as a multiaddr or multihash parser would. */
    while (off < size) {
        uint64_t v;
        int d = umbra_uvarint_decode(data + off, size - off, &v);
        if (d < 0) {
            if (d != UMBRA_ETRUNCATED && d != UMBRA_EMALFORMED) abort();
            if (d == UMBRA_ETRUNCATED && size - off >= UMBRA_UVARINT_MAX) abort();
            break;
        }
        if (d < 1 || d > UMBRA_UVARINT_MAX || (v >> 63)) abort();
        uint8_t enc[UMBRA_UVARINT_MAX];
        int e = umbra_uvarint_encode(enc, sizeof enc, v);
        if (e != d || memcmp(enc, data + off, (size_t)d)) abort();
        off += (size_t)d;
    }
    return 0;
}
