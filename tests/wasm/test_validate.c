/* tests for src/wasm/decode.c + validate.c against the official spec test suite
 * ($UMBRA_SHARED/wasm-testsuite/json, wast2json output, Wasm 2.0 level; simd_* skipped):
 *   - every `module` (and the modules of assert_unlinkable / assert_uninstantiable, which
 *     are valid) decodes and validates;
 *   - every binary assert_malformed module is rejected as malformed;
 *   - every binary assert_invalid module is rejected as invalid.
 * Text-format assert_malformed modules (.wat) test the text parser and are skipped. */
#include "testutil.h"
#include "umbra/wasm.h"
#include "wasm_internal.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct counts {
    int ok, total;
} counts;

static uint64_t g_ns, g_bytes; /* time spent in decode+validate, bytes fed to it */

static int load_and_check(uw_engine *e, const char *path, uw_error *err) {
    uint8_t *data;
    size_t n;
    int rc = umbra_file_read(path, 64u << 20, &data, &n);
    if (rc) fail_msg("cannot read %s: %s", path, umbra_strerror(rc));
    uw_module *m = NULL;
    memset(err, 0, sizeof *err);
    uint64_t t0 = umbra_now_ns();
    rc = uw__decode(e, data, n, &m, err); /* takes ownership of data */
    if (!rc) rc = uw__validate(m, err);
    g_ns += umbra_now_ns() - t0;
    g_bytes += n;
    uw__module_destroy(m);
    return rc;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void spec_suite_decode_validate(void **state) {
    (void)state;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/wasm-testsuite/json", tu_shared());
    DIR *d = opendir(dir);
    if (!d) fail_msg("cannot open %s", dir);
    char *names[512];
    int nnames = 0;
    struct dirent *de;
    while ((de = readdir(d)) && nnames < 512) {
        size_t l = strlen(de->d_name);
        if (l > 5 && !strcmp(de->d_name + l - 5, ".json") && strncmp(de->d_name, "simd_", 5) != 0)
            names[nnames++] = strdup(de->d_name);
    }
    closedir(d);
    qsort(names, (size_t)nnames, sizeof *names, cmp_str);
    assert_true(nnames >= 90);

    uw_engine *e;
    assert_int_equal(uw_engine_new(NULL, &e), 0);
    counts valid = {0, 0}, malformed = {0, 0}, invalid = {0, 0};
    int shown = 0, text_ok = 0, text_total = 0;
    for (int i = 0; i < nnames; i++) {
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        json_error_t jerr;
        json_t *root = json_load_file(path, JSON_ALLOW_NUL, &jerr);
        if (!root) fail_msg("cannot load %s: %s", path, jerr.text);
        json_t *cmds = json_object_get(root, "commands"), *cmd;
        size_t k;
        json_array_foreach(cmds, k, cmd) {
            const char *type = json_string_value(json_object_get(cmd, "type"));
            const char *file = json_string_value(json_object_get(cmd, "filename"));
            const char *mtype = json_string_value(json_object_get(cmd, "module_type"));
            if (!type || !file) continue;
            if (mtype && strcmp(mtype, "binary") != 0) continue;
            int want;
            counts *c;
            if (!strcmp(type, "module") || !strcmp(type, "assert_unlinkable") ||
                !strcmp(type, "assert_uninstantiable")) {
                want = 0, c = &valid;
            } else if (!strcmp(type, "assert_malformed")) {
                want = UMBRA_EWASM_MALFORMED, c = &malformed;
            } else if (!strcmp(type, "assert_invalid")) {
                want = UMBRA_EWASM_INVALID, c = &invalid;
            } else {
                continue;
            }
            snprintf(path, sizeof path, "%s/%s", dir, file);
            uw_error err;
            int rc = load_and_check(e, path, &err);
            c->total++;
            const char *text = json_string_value(json_object_get(cmd, "text"));
            if (rc && rc == want && text) {
                text_total++;
                if (strstr(err.message, text)) text_ok++;
                else if (getenv("UW_SHOW_TEXT")) printf("TEXT %s:%d want \"%s\" got \"%s\"\n", names[i], (int)json_integer_value(json_object_get(cmd, "line")), text, err.message);
            }
            if (rc == want) {
                c->ok++;
            } else if (shown++ < 40) {
                printf("FAIL %s:%d %s (%s): want %s, got %s: %s @%u\n", names[i],
                       (int)json_integer_value(json_object_get(cmd, "line")), type,
                       json_string_value(json_object_get(cmd, "text")) ? json_string_value(json_object_get(cmd, "text")) : "",
                       want ? umbra_errname(want) : "ok", rc ? umbra_errname(rc) : "ok", rc ? err.message : "", err.offset);
            }
        }
        json_decref(root);
        free(names[i]);
    }
    uw_engine_free(e);
    printf("spec suite: %d scripts; decode+validate of %llu bytes took %.1f ms\n", nnames,
           (unsigned long long)g_bytes, g_ns / 1e6);
    int ok = valid.ok + malformed.ok + invalid.ok, total = valid.total + malformed.total + invalid.total;
    printf("vectors: wasm valid modules: %d/%d\n", valid.ok, valid.total);
    printf("vectors: wasm binary assert_malformed: %d/%d\n", malformed.ok, malformed.total);
    printf("vectors: wasm binary assert_invalid: %d/%d\n", invalid.ok, invalid.total);
    /* Informational: how often our message contains the suite's expected wording. */
    printf("messages matching the suite's wording: %d/%d\n", text_ok, text_total);
    assert_true(valid.total > 1000 && malformed.total > 700 && invalid.total > 1400);
    tu_report("wasm spec suite decode+validate", ok, total);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(spec_suite_decode_validate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
