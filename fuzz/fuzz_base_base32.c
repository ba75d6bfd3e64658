/* libFuzzer target: base32 decoder (RFC 4648 §6, lower case, no padding). Whatever decodes
 * must re-encode to the same text modulo case; the output must fit umbra_base32_len. */
#include "umbra/base.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    size_t cap = size * 5 / 8 + 1;
    uint8_t *out = malloc(cap);
    char *txt = malloc(size + 1);
    if (!out || !txt) abort();
    int d = umbra_base32_decode(out, cap, (const char *)data, size);
    if (d >= 0) {
        if (umbra_base32_len((size_t)d) != size) abort();
        int e = umbra_base32_encode(txt, size + 1, out, (size_t)d);
        if (e != (int)size) abort();
        for (size_t i = 0; i < size; i++)
            if (txt[i] != tolower(data[i])) abort();
    } else if (d != UMBRA_EMALFORMED) {
        abort();
    }
    /* The encoder on arbitrary bytes must decode back. */
    size_t elen = umbra_base32_len(size);
    char *enc = malloc(elen + 1);
    uint8_t *back = malloc(size + 1);
    if (!enc || !back) abort();
    if (umbra_base32_encode(enc, elen + 1, data, size) != (int)elen) abort();
    if (umbra_base32_decode(back, size, enc, elen) != (int)size) abort();
    if (size && memcmp(back, data, size)) abort();
    free(enc);
    free(back);
    free(out);
    free(txt);
    return 0;
}
