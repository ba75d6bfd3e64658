/* libFuzzer target: base64 decoders (standard padded and URL-safe unpadded, both strict).
 * The first input byte picks the variant; whatever decodes must re-encode exactly. */
#include "umbra/base.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    int url = data[0] & 1;
    const char *in = (const char *)data + 1;
    size_t n = size - 1;
    size_t cap = n * 3 / 4 + 1;
    uint8_t *out = malloc(cap);
    char *txt = malloc(n + 1);
    if (!out || !txt) abort();
    int d = umbra_base64_decode(out, cap, in, n, url);
    if (d >= 0) {
        if (umbra_base64_len((size_t)d, url) != n) abort();
        int e = umbra_base64_encode(txt, n + 1, out, (size_t)d, url);
        if (e != (int)n || (n && memcmp(txt, in, n))) abort();
    } else if (d != UMBRA_EMALFORMED) {
        abort();
    }
    size_t elen = umbra_base64_len(n, url);
    char *enc = malloc(elen + 1);
    uint8_t *back = malloc(n + 1);
    if (!enc || !back) abort();
    if (umbra_base64_encode(enc, elen + 1, (const uint8_t *)in, n, url) != (int)elen) abort();
    if (umbra_base64_decode(back, n, enc, elen, url) != (int)n) abort();
    if (n && memcmp(back, in, n)) abort();
    free(enc);
    free(back);
    free(out);
    free(txt);
    return 0;
}
