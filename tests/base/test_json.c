/* tests for src/base/json.c */
#include "testutil.h"
#include "umbra/base.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void load_and_errors(void **state) {
    (void)state;
    json_t *j = (json_t *)1;
    char err[UMBRA_JSON_ERR_LEN];
    const char *ok = "{\"a\": [1, 2], \"b\": \"x\"}";
    assert_int_equal(umbra_json_loadb(ok, strlen(ok), &j, err, sizeof err), 0);
    assert_string_equal(err, "");
    assert_true(json_is_object(j));
    assert_int_equal(json_array_size(json_object_get(j, "a")), 2);
    json_decref(j);
    /* Scalars are accepted as documents. */
    assert_int_equal(umbra_json_loadb("42", 2, &j, err, sizeof err), 0);
    assert_int_equal(json_integer_value(j), 42);
    json_decref(j);
    /* Syntax error: position reported as line/column. */
    const char *bad = "{\n  \"a\": 1,\n  \"b\": ]\n}";
    assert_int_equal(umbra_json_loadb(bad, strlen(bad), &j, err, sizeof err), UMBRA_EJSON);
    assert_null(j);
    assert_non_null(strstr(err, "line 3, column"));
    /* Duplicate keys are refused (two readers could otherwise disagree). */
    assert_int_equal(umbra_json_loadb("{\"k\":1,\"k\":2}", 13, &j, err, sizeof err), UMBRA_EJSON);
    assert_non_null(strstr(err, "duplicate"));
    /* Trailing garbage, empty input, a NUL byte, invalid UTF-8. */
    assert_int_equal(umbra_json_loadb("{} x", 4, &j, err, sizeof err), UMBRA_EJSON);
    assert_int_equal(umbra_json_loadb("", 0, &j, err, sizeof err), UMBRA_EJSON);
    assert_int_equal(umbra_json_loadb("[1,\0 2]", 7, &j, err, sizeof err), UMBRA_EJSON);
    assert_int_equal(umbra_json_loadb("\"\xc3\x28\"", 4, &j, err, sizeof err), UMBRA_EJSON);
    assert_int_equal(umbra_json_loadb("\"\\u0000\"", 8, &j, NULL, 0), UMBRA_EJSON);
}

static void file_load_with_cap(void **state) {
    (void)state;
    char path[512], err[UMBRA_JSON_ERR_LEN];
    json_t *j;
    snprintf(path, sizeof path, "%s/x.json", tu_tmpdir());
    assert_int_equal(umbra_json_load_file(path, 0, &j, err, sizeof err), UMBRA_ENOENT);
    assert_non_null(strstr(err, path));
    const char *doc = "{\"name\": \"umbra\", \"n\": 7, \"key\": \"00ff10\"}";
    assert_int_equal(umbra_file_write_atomic(path, doc, strlen(doc), 0600), 0);
    assert_int_equal(umbra_json_load_file(path, 10, &j, err, sizeof err), UMBRA_ETOOBIG);
    assert_non_null(strstr(err, "larger than 10 bytes"));
    assert_int_equal(umbra_json_load_file(path, strlen(doc), &j, err, sizeof err), 0);
    const char *s;
    int64_t n;
    uint8_t key[4];
    assert_int_equal(umbra_json_get_string(j, "name", &s, err, sizeof err), 0);
    assert_string_equal(s, "umbra");
    assert_int_equal(umbra_json_get_int(j, "n", &n, err, sizeof err), 0);
    assert_int_equal(n, 7);
    assert_int_equal(umbra_json_get_hex(j, "key", key, 3, err, sizeof err), 0);
    assert_memory_equal(key, "\x00\xff\x10", 3);
    assert_int_equal(umbra_json_get_hex(j, "key", key, 4, err, sizeof err), UMBRA_EJSON);
    assert_memory_equal(key, "\0\0\0\0", 4); /* output zeroed on failure */
    assert_int_equal(umbra_json_get_int(j, "name", &n, err, sizeof err), UMBRA_EJSON);
    assert_non_null(strstr(err, "\"name\" must be an integer"));
    assert_int_equal(umbra_json_get_string(j, "nope", &s, err, sizeof err), UMBRA_EJSON);
    assert_non_null(strstr(err, "missing member \"nope\""));
    json_decref(j);
    /* A broken file names itself in the error. */
    assert_int_equal(umbra_file_write_atomic(path, "[1,", 3, 0600), 0);
    assert_int_equal(umbra_json_load_file(path, 0, &j, err, sizeof err), UMBRA_EJSON);
    assert_true(strncmp(err, path, strlen(path)) == 0);
    assert_non_null(strstr(err, "line 1"));
}

static void dumps_round_trip(void **state) {
    (void)state;
    json_t *j = json_pack("{s:i, s:s, s:[b, n]}", "z", 1, "a", "t\"x", "m", 1);
    assert_non_null(j);
    umbra_buf b;
    umbra_buf_init(&b, 0);
    assert_int_equal(umbra_buf_append(&b, "pre:", 4), 0);
    assert_int_equal(umbra_json_dumps(j, 0, &b), 0);
    assert_string_equal((char *)b.data, "pre:{\"a\":\"t\\\"x\",\"m\":[true,null],\"z\":1}");
    json_t *back;
    assert_int_equal(umbra_json_loadb(b.data + 4, b.len - 4, &back, NULL, 0), 0);
    assert_true(json_equal(j, back));
    json_decref(back);
    /* A cap that is too small fails and leaves the buffer as it was. */
    umbra_buf small;
    umbra_buf_init(&small, 8);
    assert_int_equal(umbra_buf_append(&small, "ab", 2), 0);
    assert_int_equal(umbra_json_dumps(j, 0, &small), UMBRA_ETOOBIG);
    assert_int_equal(small.len, 2);
    assert_string_equal((char *)small.data, "ab");
    umbra_buf_free(&small);
    /* ... also when the piece that overflows is long and the cap is far from the current
     * length (jansson hands a whole unescaped string run to the callback at once). */
    static char longtxt[301];
    memset(longtxt, 'x', 300);
    json_t *big = json_pack("[s]", longtxt);
    assert_non_null(big);
    umbra_buf_init(&small, 200);
    assert_int_equal(umbra_json_dumps(big, 0, &small), UMBRA_ETOOBIG);
    assert_int_equal(small.len, 0);
    umbra_buf_free(&small);
    umbra_buf_init(&small, 400);
    assert_int_equal(umbra_json_dumps(big, 0, &small), 0);
    assert_int_equal(small.len, 304);
    umbra_buf_free(&small);
    json_decref(big);
    /* write_file + load_file round trip. */
    char path[512];
    snprintf(path, sizeof path, "%s/w.json", tu_tmpdir());
    assert_int_equal(umbra_json_write_file(path, j, JSON_INDENT(2) | JSON_SORT_KEYS, 0644), 0);
    assert_int_equal(umbra_json_load_file(path, 0, &back, NULL, 0), 0);
    assert_true(json_equal(j, back));
    json_decref(back);
    assert_int_equal(umbra_json_dumps(NULL, 0, &b), UMBRA_EINVAL);
    /* Scalars serialize too (found by fuzz_base_json). */
    json_t *num = json_integer(0);
    umbra_buf_reset(&b);
    assert_int_equal(umbra_json_dumps(num, 0, &b), 0);
    assert_string_equal((char *)b.data, "0");
    json_decref(num);
    umbra_buf_free(&b);
    json_decref(j);
}

/* jansson's allocations go through umbra_malloc: every failure point gives UMBRA_ENOMEM
 * (never a crash, never a misreported syntax error), and a later attempt succeeds. */
static void allocation_failures(void **state) {
    (void)state;
    const char *doc = "{\"a\": [1, 2, {\"b\": \"long enough string to allocate\"}], \"c\": {\"d\": null}}";
    int nomem = 0;
    for (unsigned long k = 1; k < 60; k++) {
        json_t *j = NULL;
        char err[UMBRA_JSON_ERR_LEN];
        umbra_alloc_fail_after(k, 1);
        int rc = umbra_json_loadb(doc, strlen(doc), &j, err, sizeof err);
        umbra_alloc_fail_after(0, 0);
        if (rc == 0) {
            json_decref(j);
            continue;
        }
        assert_int_equal(rc, UMBRA_ENOMEM);
        assert_string_equal(err, "out of memory");
        nomem++;
    }
    assert_true(nomem > 5);
    json_t *j;
    assert_int_equal(umbra_json_loadb(doc, strlen(doc), &j, NULL, 0), 0);
    umbra_buf b;
    umbra_buf_init(&b, 0);
    umbra_alloc_fail_after(1, 1);
    assert_int_equal(umbra_json_dumps(j, 0, &b), UMBRA_ENOMEM);
    umbra_alloc_fail_after(0, 0);
    assert_int_equal(b.len, 0);
    umbra_buf_free(&b);
    /* Files: a write that cannot allocate leaves nothing behind; a load reports ENOMEM
     * (naming the file) at every failure point, including the read buffer's. */
    char path[512];
    snprintf(path, sizeof path, "%s/nomem.json", tu_tmpdir());
    umbra_alloc_fail_after(1, 1);
    assert_int_equal(umbra_json_write_file(path, j, 0, 0600), UMBRA_ENOMEM);
    umbra_alloc_fail_after(0, 0);
    assert_int_not_equal(access(path, F_OK), 0);
    assert_int_equal(umbra_json_write_file(path, j, 0, 0600), 0);
    int file_nomem = 0;
    for (unsigned long k = 1; k < 40; k++) {
        json_t *back = (json_t *)1;
        char err[UMBRA_JSON_ERR_LEN];
        umbra_alloc_fail_after(k, 1);
        int rc = umbra_json_load_file(path, 0, &back, err, sizeof err);
        umbra_alloc_fail_after(0, 0);
        if (rc == 0) {
            assert_true(json_equal(back, j));
            json_decref(back);
            break;
        }
        assert_int_equal(rc, UMBRA_ENOMEM);
        assert_null(back);
        assert_non_null(strstr(err, path));
        file_nomem++;
    }
    assert_true(file_nomem > 2);
    json_decref(j);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(load_and_errors),
        cmocka_unit_test(file_load_with_cap),
        cmocka_unit_test(dumps_round_trip),
        cmocka_unit_test(allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
