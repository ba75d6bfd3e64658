#include "helper_crypto.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "umbra/crypto.h"

uint8_t *th_hex_opt(json_t *obj, const char *key, size_t *n) {
    json_t *v = json_object_get(obj, key);
    *n = 0;
    if (!v || json_is_null(v)) return NULL;
    return tu_hex_member(obj, key, n);
}

uint8_t *th_b64(const char *s, size_t *n) {
    size_t len = strlen(s);
    if (len % 4) fail_msg("base64 length %zu", len);
    uint8_t *out = malloc(len / 4 * 3 + 1);
    assert_non_null(out);
    int r = EVP_DecodeBlock(out, (const unsigned char *)s, (int)len);
    if (r < 0) fail_msg("bad base64");
    size_t k = (size_t)r;
    if (len && s[len - 1] == '=') k--;
    if (len > 1 && s[len - 2] == '=') k--;
    *n = k;
    return out;
}

const char *th_str(json_t *obj, const char *key) {
    json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? json_string_value(v) : "";
}

int th_same(const uint8_t *a, size_t an, const uint8_t *b, size_t bn) {
    return an == bn && (an == 0 || memcmp(a, b, an) == 0);
}

int th_result(json_t *test) {
    const char *r = th_str(test, "result");
    if (!strcmp(r, "valid")) return 1;
    if (!strcmp(r, "acceptable")) return 2;
    return 0;
}

void th_fail(const char *set, long id, const char *why) {
    printf("  FAIL %s tcId %ld: %s\n", set, id, why);
    fflush(stdout);
}

void th_init(void) { assert_int_equal(uc_init(), 0); }
