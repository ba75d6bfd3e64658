/* json.c — helpers over jansson (include/umbra/base.h "JSON"). */
#include "umbra/base.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static pthread_once_t g_hooks_once = PTHREAD_ONCE_INIT;

/* jansson's json_malloc_t is void *(*)(size_t): umbra_malloc fits as is. */
static void install_hooks(void) { json_set_alloc_funcs(umbra_malloc, umbra_free); }
static void json_ready(void) { pthread_once(&g_hooks_once, install_hooks); }

/* Install the hooks before main() in every program that links this file, so that no jansson
 * value is ever allocated with one allocator and released with the other (e.g. a json_pack()
 * before the first umbra_json_* call, freed by json_decref() after it). */
__attribute__((constructor)) static void json_hooks_at_startup(void) { json_ready(); }

static void set_err(char *err, size_t errcap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errcap, const char *fmt, ...) {
    if (!err || !errcap) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errcap, fmt, ap);
    va_end(ap);
}

int umbra_json_loadb(const void *data, size_t n, json_t **out, char *err, size_t errcap) {
    json_error_t je;
    set_err(err, errcap, "%s", "");
    if (!out) return UMBRA_EINVAL;
    *out = NULL;
    if (!data && n) return UMBRA_EINVAL;
    if (n > SIZE_MAX / 2) {
        set_err(err, errcap, "input too large");
        return UMBRA_ETOOBIG;
    }
    json_ready();
    unsigned long failures = umbra_alloc_failures();
    json_t *j = json_loadb(data ? data : "", n, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
    if (!j) {
        /* jansson reports allocation failure as a parse error; tell them apart. */
        if (umbra_alloc_failures() != failures || json_error_code(&je) == json_error_out_of_memory) {
            set_err(err, errcap, "out of memory");
            return UMBRA_ENOMEM;
        }
        set_err(err, errcap, "line %d, column %d: %s", je.line, je.column, je.text);
        return UMBRA_EJSON;
    }
    *out = j;
    return 0;
}

int umbra_json_load_file(const char *path, size_t max, json_t **out, char *err, size_t errcap) {
    uint8_t *data = NULL;
    size_t n = 0;
    char inner[UMBRA_JSON_ERR_LEN];
    set_err(err, errcap, "%s", "");
    if (!out) return UMBRA_EINVAL;
    *out = NULL;
    if (!path) return UMBRA_EINVAL;
    if (max == 0) max = UMBRA_JSON_DEFAULT_MAX;
    int rc = umbra_file_read(path, max, &data, &n);
    if (rc == UMBRA_ETOOBIG) {
        set_err(err, errcap, "%s: larger than %zu bytes", path, max);
        return rc;
    }
    if (rc) {
        set_err(err, errcap, "%s: %s", path, umbra_strerror(rc));
        return rc;
    }
    rc = umbra_json_loadb(data, n, out, inner, sizeof inner);
    umbra_free(data);
    if (rc) set_err(err, errcap, "%s: %s", path, inner);
    return rc;
}

/* Where json_dump_callback() writes, and the first error the buffer reported. */
struct dump_ctx {
    umbra_buf *out;
    int rc;
};

static int dump_cb(const char *p, size_t n, void *ud) {
    struct dump_ctx *d = ud;
    int rc = umbra_buf_append(d->out, p, n);
    if (rc && !d->rc) d->rc = rc;
    return rc ? -1 : 0;
}

int umbra_json_dumps(const json_t *j, size_t flags, umbra_buf *out) {
    if (!j || !out) return UMBRA_EINVAL;
    json_ready();
    if (flags == 0) flags = JSON_COMPACT | JSON_SORT_KEYS;
    flags |= JSON_ENCODE_ANY; /* scalars too, as umbra_json_loadb accepts them */
    struct dump_ctx d = {out, 0};
    size_t start = out->len;
    unsigned long failures = umbra_alloc_failures();
    if (json_dump_callback(j, dump_cb, &d, flags) != 0) {
        out->len = start;
        if (out->data) out->data[start] = 0;
        if (d.rc) return d.rc; /* UMBRA_ETOOBIG (out->max) or UMBRA_ENOMEM from the buffer */
        /* jansson's own allocations (key sorting) fail as a bare -1 */
        return umbra_alloc_failures() != failures ? UMBRA_ENOMEM : UMBRA_EINVAL;
    }
    return 0;
}

int umbra_json_write_file(const char *path, const json_t *j, size_t flags, unsigned mode) {
    umbra_buf b;
    umbra_buf_init(&b, 0);
    int rc = umbra_json_dumps(j, flags, &b);
    if (!rc) rc = umbra_buf_append_byte(&b, '\n');
    if (!rc) rc = umbra_file_write_atomic(path, b.data, b.len, mode);
    umbra_buf_free(&b);
    return rc;
}

/* obj[key] when obj is an object holding key with the given type, else NULL with a message
 * naming the key ("missing member", "must be <what>"). */
static json_t *typed_member(const json_t *obj, const char *key, json_type type, const char *what, char *err,
                            size_t errcap) {
    set_err(err, errcap, "%s", "");
    if (!json_is_object(obj)) {
        set_err(err, errcap, "expected an object holding \"%s\"", key);
        return NULL;
    }
    json_t *v = json_object_get(obj, key);
    if (!v) {
        set_err(err, errcap, "missing member \"%s\"", key);
        return NULL;
    }
    if (json_typeof(v) != type) {
        set_err(err, errcap, "member \"%s\" must be %s", key, what);
        return NULL;
    }
    return v;
}

int umbra_json_get_string(const json_t *obj, const char *key, const char **out, char *err, size_t errcap) {
    *out = NULL;
    json_t *v = typed_member(obj, key, JSON_STRING, "a string", err, errcap);
    if (!v) return UMBRA_EJSON;
    *out = json_string_value(v);
    return 0;
}

int umbra_json_get_int(const json_t *obj, const char *key, int64_t *out, char *err, size_t errcap) {
    *out = 0;
    json_t *v = typed_member(obj, key, JSON_INTEGER, "an integer", err, errcap);
    if (!v) return UMBRA_EJSON;
    *out = (int64_t)json_integer_value(v);
    return 0;
}

int umbra_json_get_hex(const json_t *obj, const char *key, uint8_t *out, size_t len, char *err, size_t errcap) {
    const char *s;
    int rc = umbra_json_get_string(obj, key, &s, err, errcap);
    if (rc) {
        if (out && len) memset(out, 0, len);
        return rc;
    }
    size_t n = json_string_length(json_object_get(obj, key));
    if (n != umbra_hex_len(len) || umbra_hex_decode(out, len, s, n) != (int)len) {
        if (out && len) memset(out, 0, len);
        set_err(err, errcap, "member \"%s\" must be %zu bytes of hex", key, len);
        return UMBRA_EJSON;
    }
    return 0;
}
