#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *tu_shared(void) {
    const char *s = getenv("UMBRA_SHARED");
    return s && *s ? s : "../shared";
}

const char *tu_source_dir(void) {
    const char *s = getenv("UMBRA_SOURCE_DIR");
    return s && *s ? s : ".";
}

const char *tu_umbra_binary(void) {
    const char *s = getenv("UMBRA_BINARY");
    return s && *s ? s : "./umbra";
}

json_t *tu_load_shared_json(const char *rel) {
    char path[4096];
    json_error_t err;
    snprintf(path, sizeof path, "%s/%s", tu_shared(), rel);
    json_t *j = json_load_file(path, 0, &err);
    if (!j) fail_msg("cannot load %s: %s (line %d)", path, err.text, err.line);
    return j;
}

static int nib(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

uint8_t *tu_hex(const char *hex, size_t *n) {
    size_t len = strlen(hex);
    if (len % 2) fail_msg("odd-length hex: %.40s", hex);
    uint8_t *out = malloc(len / 2 + 1);
    assert_non_null(out);
    for (size_t i = 0; i < len / 2; i++) {
        int a = nib(hex[2 * i]), b = nib(hex[2 * i + 1]);
        if (a < 0 || b < 0) fail_msg("bad hex: %.40s", hex);
        out[i] = (uint8_t)(a << 4 | b);
    }
    *n = len / 2;
    return out;
}

uint8_t *tu_hex_member(json_t *obj, const char *key, size_t *n) {
    json_t *v = json_object_get(obj, key);
    if (!json_is_string(v)) fail_msg("missing hex member '%s'", key);
    return tu_hex(json_string_value(v), n);
}

void tu_report(const char *set, int passed, int total) {
    printf("vectors: %s: %d/%d cases passed\n", set, passed, total);
    fflush(stdout);
    if (passed != total) fail_msg("%s: %d of %d cases failed", set, total - passed, total);
}

const char *tu_tmpdir(void) {
    static char dirs[8][256];
    static int next;
    char *d = dirs[next++ % 8];
    const char *base = getenv("TMPDIR");
    snprintf(d, 256, "%s/umbra-test-XXXXXX", base && *base ? base : "/tmp");
    if (!mkdtemp(d)) fail_msg("mkdtemp failed");
    return d;
}
