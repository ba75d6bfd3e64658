/* libFuzzer target: base58btc decoder. Decoding is exact, so whatever decodes must
 * re-encode to exactly the input. */
#include "umbra/base.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint8_t out[2048];
    static char txt[4096];
    int d = umbra_base58_decode(out, sizeof out, (const char *)data, size);
    if (d >= 0) {
        if ((size_t)d > size) abort();
        if ((size_t)d <= 1024) { /* the encoder's input limit */
            int e = umbra_base58_encode(txt, sizeof txt, out, (size_t)d);
            if (e != (int)size || memcmp(txt, data, size)) abort();
        }
    } else if (d != UMBRA_EMALFORMED && d != UMBRA_ETOOBIG && d != UMBRA_ENOSPACE) {
        abort();
    }
    /* Encoder on arbitrary bytes round-trips. */
    if (size <= 1024) {
        int e = umbra_base58_encode(txt, sizeof txt, data, size);
        if (e < 0) abort();
        if (umbra_base58_decode(out, sizeof out, txt, (size_t)e) != (int)size) abort();
        if (size && memcmp(out, data, size)) abort();
    }
    return 0;
}
