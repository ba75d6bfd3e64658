/* libFuzzer target: umbra_json_loadb. Whatever parses must serialize, and the serialization
 * must parse back to an equal value (compact and indented forms). Input is capped by the
 * fuzzer's -max_len. */
#include "umbra/base.h"

#include <jansson.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    json_t *j = NULL, *back = NULL;
    char err[UMBRA_JSON_ERR_LEN];
    int rc = umbra_json_loadb(data, size, &j, err, sizeof err);
    if (rc) {
        if (rc != UMBRA_EJSON || j || !err[0]) abort();
        return 0;
    }
    for (int pass = 0; pass < 2; pass++) {
        umbra_buf b;
        umbra_buf_init(&b, 0);
        size_t flags = pass ? (JSON_INDENT(2) | JSON_SORT_KEYS) : 0;
        if (umbra_json_dumps(j, flags, &b) != 0) abort();
        if (umbra_json_loadb(b.data, b.len, &back, err, sizeof err) != 0) abort();
        if (!json_equal(j, back)) abort();
        json_decref(back);
        umbra_buf_free(&b);
    }
    json_decref(j);
    return 0;
}
