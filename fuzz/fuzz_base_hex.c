/* libFuzzer target: hex decoder. Whatever decodes must re-encode to the same text (modulo
 * letter case, which the decoder accepts both ways). */
#include "umbra/base.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    size_t cap = size / 2 + 1;
    uint8_t *out = malloc(cap);
    char *txt = malloc(size + 1);
    if (!out || !txt) abort();
    int d = umbra_hex_decode(out, cap, (const char *)data, size);
    if (d >= 0) {
        if ((size_t)d * 2 != size) abort();
        int e = umbra_hex_encode(txt, size + 1, out, (size_t)d);
        if (e != (int)size) abort();
        for (size_t i = 0; i < size; i++)
            if (txt[i] != tolower(data[i])) abort();
    } else if (d != UMBRA_EMALFORMED) {
        abort();
    }
    free(out);
    free(txt);
    return 0;
}
