/* frame.c — length-prefixed framing for the TCP / WASI legs (see frame.h). */
#include "frame.h"

#include <string.h>

static uint32_t clamp_max(size_t max) {
    if (max == 0) return US_FRAME_MAX_HANDSHAKE;
    return max > UINT32_MAX ? UINT32_MAX : (uint32_t)max;
}

void us__frame_reader_init(us__frame_reader *r, size_t max) {
    memset(r, 0, sizeof *r);
    r->max = clamp_max(max);
}

static void release_buf(us__frame_reader *r) {
    if (r->buf) {
        umbra_wipe(r->buf, r->cap);
        umbra_free(r->buf);
    }
    r->buf = NULL;
    r->cap = 0;
}

static int fail(us__frame_reader *r, int err) {
    r->err = err;
    return err;
}

int us__frame_reader_set_max(us__frame_reader *r, size_t max) {
    if (r->err) return r->err;
    r->max = clamp_max(max);
    if (r->hdr_have == 4 && !r->delivered && r->len > r->max) return fail(r, UMBRA_ETOOBIG);
    return 0;
}

/* The previous call returned a frame: forget it, and give back a big buffer (frame.h,
 * SHRINK) so one 4 MiB frame does not pin 4 MiB for the life of the connection. */
static void drop_delivered(us__frame_reader *r) {
    r->delivered = 0;
    r->hdr_have = 0;
    r->len = 0;
    r->have = 0;
    if (r->cap > US_FRAME_KEEP) release_buf(r);
}

int us__frame_reader_feed(us__frame_reader *r, const uint8_t *data, size_t n, size_t *used,
                          const uint8_t **frame, size_t *frame_len) {
    *used = 0;
    *frame = NULL;
    *frame_len = 0;
    if (r->err) return r->err;
    if (r->delivered) drop_delivered(r);
    if (n == 0) return 0;

    size_t i = 0;
    if (r->hdr_have < 4) {
        while (r->hdr_have < 4 && i < n) r->hdr[r->hdr_have++] = data[i++];
        if (r->hdr_have < 4) {
            *used = i;
            return 0;
        }
        r->len = (uint32_t)r->hdr[0] << 24 | (uint32_t)r->hdr[1] << 16 | (uint32_t)r->hdr[2] << 8 |
                 (uint32_t)r->hdr[3];
        r->have = 0;
        /* Checked before a single payload byte is buffered. */
        if (r->len == 0) return fail(r, UMBRA_EPROTO);
        if (r->len > r->max) return fail(r, UMBRA_ETOOBIG);
    }

    size_t avail = n - i;
    if (avail == 0) {
        *used = i;
        return 0;
    }
    if (r->have == 0 && avail >= r->len) {
        /* Whole frame inside the caller's chunk: hand it out without copying. */
        *frame = data + i;
        *frame_len = r->len;
        *used = i + r->len;
        r->delivered = 1;
        r->frames++;
        return 1;
    }

    size_t want = r->len - r->have;
    size_t take = avail < want ? avail : want;
    size_t need = (size_t)r->have + take;
    if (need > r->cap) {
        /* Grow only to what actually arrived, rounded up to the growth step, never past the
         * declared length (frame.h, MEMORY FOLLOWS ARRIVAL). */
        size_t ncap = (need + US_FRAME_GROW - 1) / US_FRAME_GROW * US_FRAME_GROW;
        if (ncap > r->len) ncap = r->len;
        uint8_t *nb = umbra_realloc(r->buf, ncap);
        if (!nb) return fail(r, UMBRA_ENOMEM);
        r->buf = nb;
        r->cap = ncap;
    }
    memcpy(r->buf + r->have, data + i, take);
    r->have += (uint32_t)take;
    i += take;
    *used = i;
    if (r->have < r->len) return 0;
    *frame = r->buf;
    *frame_len = r->len;
    r->delivered = 1;
    r->frames++;
    return 1;
}

int us__frame_reader_error(const us__frame_reader *r) { return r->err; }

size_t us__frame_reader_pending(const us__frame_reader *r) {
    if (r->delivered) return 0;
    return (size_t)r->hdr_have + (r->hdr_have == 4 ? r->have : 0);
}

size_t us__frame_reader_capacity(const us__frame_reader *r) { return r->cap; }

void us__frame_reader_reset(us__frame_reader *r) {
    uint32_t max = r->max;
    uint64_t frames = r->frames;
    release_buf(r);
    memset(r, 0, sizeof *r);
    r->max = max;
    r->frames = frames;
}

void us__frame_reader_free(us__frame_reader *r) {
    if (!r) return;
    release_buf(r);
    uint32_t max = r->max;
    memset(r, 0, sizeof *r);
    r->max = max;
}

int us__frame_encode_header(uint8_t out[4], size_t len, size_t max) {
    if (max == 0) max = US_FRAME_MAX;
    if (len == 0) return UMBRA_EPROTO;
    if (len > max || len > UINT32_MAX) return UMBRA_ETOOBIG;
    out[0] = (uint8_t)(len >> 24);
    out[1] = (uint8_t)(len >> 16);
    out[2] = (uint8_t)(len >> 8);
    out[3] = (uint8_t)len;
    return 0;
}

int us__frame_encode(uint8_t *out, size_t out_cap, const uint8_t *payload, size_t n, size_t max) {
    uint8_t hdr[4];
    int rc = us__frame_encode_header(hdr, n, max);
    if (rc != 0) return rc;
    if (n > INT32_MAX - US_FRAME_HDR_LEN) return UMBRA_ETOOBIG;
    if (out_cap < n + US_FRAME_HDR_LEN) return UMBRA_ENOSPACE;
    /* Payload first, prefix second: also correct when payload == out (in-place framing). */
    memmove(out + US_FRAME_HDR_LEN, payload, n);
    memcpy(out, hdr, US_FRAME_HDR_LEN);
    return (int)(n + US_FRAME_HDR_LEN);
}
