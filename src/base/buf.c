/* buf.c — growable byte buffers (include/umbra/base.h umbra_buf_*).
 *
 * Invariants: len <= limit(b) and, whenever storage exists, cap > len and data[len] == 0,
 * so a buffer that holds text can be used as a C string. A secret buffer never lets its
 * bytes reach free() or realloc() unwiped: growth copies into new storage and wipes the
 * old one. */
#include "umbra/base.h"

#include <stdio.h>
#include <string.h>

static size_t limit(const umbra_buf *b) { return b->max ? b->max : SIZE_MAX / 2; }

void umbra_buf_init(umbra_buf *b, size_t max) {
    memset(b, 0, sizeof *b);
    b->max = max > SIZE_MAX / 2 ? SIZE_MAX / 2 : max;
}

/* Moves the contents into fresh storage of `ncap` bytes (ncap > len). */
static int regrow(umbra_buf *b, size_t ncap) {
    uint8_t *nd;
    if (b->secret || !b->data) {
        nd = umbra_malloc(ncap);
        if (!nd) return UMBRA_ENOMEM;
        if (b->data) {
            memcpy(nd, b->data, b->len);
            umbra_wipe(b->data, b->cap);
            umbra_free(b->data);
        }
    } else {
        nd = umbra_realloc(b->data, ncap);
        if (!nd) return UMBRA_ENOMEM;
    }
    b->data = nd;
    b->cap = ncap;
    b->data[b->len] = 0;
    return 0;
}

int umbra_buf_reserve(umbra_buf *b, size_t extra) {
    size_t lim = limit(b);
    if (extra > lim - b->len) return UMBRA_ETOOBIG;
    size_t need = b->len + extra + 1; /* + the NUL terminator */
    if (need <= b->cap) return 0;
    size_t ncap = b->cap ? b->cap : 64;
    while (ncap < need) ncap = ncap > (lim + 1) / 2 ? lim + 1 : ncap * 2;
    return regrow(b, ncap);
}

int umbra_buf_append(umbra_buf *b, const void *p, size_t n) {
    if (n == 0) return 0;
    if (!p) return UMBRA_EINVAL;
    /* p may point into the buffer's own data, which growth moves: remember the offset. */
    const uint8_t *src = p;
    int inside = b->data && src >= b->data && src < b->data + b->cap;
    size_t off = inside ? (size_t)(src - b->data) : 0;
    int rc = umbra_buf_reserve(b, n);
    if (rc) return rc;
    if (inside) p = b->data + off;
    memmove(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = 0;
    return 0;
}

int umbra_buf_append_byte(umbra_buf *b, uint8_t c) { return umbra_buf_append(b, &c, 1); }

int umbra_buf_printf(umbra_buf *b, const char *fmt, ...) {
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    int rc = n < 0 ? UMBRA_EINVAL : umbra_buf_reserve(b, (size_t)n);
    if (rc == 0) {
        vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap2);
        b->len += (size_t)n;
    }
    va_end(ap2);
    return rc;
}

void umbra_buf_consume(umbra_buf *b, size_t n) {
    if (n > b->len) n = b->len;
    if (n == 0) return;
    memmove(b->data, b->data + n, b->len - n);
    if (b->secret) umbra_wipe(b->data + b->len - n, n);
    b->len -= n;
    b->data[b->len] = 0;
}

void umbra_buf_shrink(umbra_buf *b, size_t keep) {
    if (!b->data || b->cap <= keep + 1 || keep > SIZE_MAX / 4) return;
    if (b->len == 0 && keep == 0) {
        if (b->secret) umbra_wipe(b->data, b->cap);
        umbra_free(b->data);
        b->data = NULL;
        b->cap = 0;
        return;
    }
    size_t ncap = (b->len > keep ? b->len : keep) + 1;
    if (ncap >= b->cap) return;
    if (b->secret) {
        (void)regrow(b, ncap); /* on failure the old (larger) storage is simply kept */
        return;
    }
    uint8_t *nd = umbra_realloc(b->data, ncap);
    if (nd) {
        b->data = nd;
        b->cap = ncap;
    }
}

void umbra_buf_reset(umbra_buf *b) {
    if (b->data) {
        if (b->secret) umbra_wipe(b->data, b->cap);
        b->data[0] = 0;
    }
    b->len = 0;
}

void umbra_buf_free(umbra_buf *b) {
    if (!b) return;
    if (b->data) {
        if (b->secret) umbra_wipe(b->data, b->cap);
        umbra_free(b->data);
    }
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

uint8_t *umbra_buf_detach(umbra_buf *b, size_t *n) {
    uint8_t *d = b->data;
    if (!d) d = umbra_calloc(1, 1);
    if (n) *n = d ? b->len : 0;
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    return d;
}
