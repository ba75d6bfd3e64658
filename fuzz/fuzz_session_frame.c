/* fuzz_session_frame.c — the TCP leg frame reader against a one-shot reference parser.
 * Input: byte 0 picks the cap, byte 1 seeds the chunking, the rest is the byte stream. The
 * reader must yield exactly the frames (and the error) the reference finds, whatever the
 * chunk boundaries, and must never hold more than what arrived plus one growth step. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"

static size_t pick_max(uint8_t b) {
    switch (b & 3) {
    case 0: return 0; /* handshake default */
    case 1: return 64;
    case 2: return 70000;
    default: return US_FRAME_MAX;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2) return 0;
    size_t max = pick_max(data[0]);
    size_t eff_max = max ? max : US_FRAME_MAX_HANDSHAKE;
    uint32_t seed = data[1] | 1u;
    const uint8_t *s = data + 2;
    size_t n = size - 2;

    /* Reference: walk the whole stream at once. */
    size_t ref_off[4096], ref_len[4096];
    size_t nref = 0, pos = 0;
    int ref_err = 0;
    while (n - pos >= 4 && nref < 4096) {
        uint32_t len = (uint32_t)s[pos] << 24 | (uint32_t)s[pos + 1] << 16 | (uint32_t)s[pos + 2] << 8 | s[pos + 3];
        if (len == 0) { ref_err = UMBRA_EPROTO; break; }
        if (len > eff_max) { ref_err = UMBRA_ETOOBIG; break; }
        if (n - pos - 4 < len) break;
        ref_off[nref] = pos + 4;
        ref_len[nref] = len;
        nref++;
        pos += 4 + len;
    }
    if (nref == 4096) return 0;

    us__frame_reader r;
    us__frame_reader_init(&r, max);
    size_t off = 0, got = 0, received = 0;
    int err = 0;
    while (off < n) {
        seed = seed * 1103515245u + 12345u;
        size_t chunk = 1 + (seed >> 16) % 97;
        if ((seed & 0x300) == 0) chunk = n - off;
        if (chunk > n - off) chunk = n - off;
        const uint8_t *p = s + off;
        size_t left = chunk;
        while (left > 0) {
            size_t used;
            const uint8_t *f;
            size_t flen;
            int rc = us__frame_reader_feed(&r, p, left, &used, &f, &flen);
            if (rc < 0) { err = rc; break; }
            if (used > left) abort();
            p += used;
            left -= used;
            received += used;
            if (rc == 1) {
                if (got >= nref || flen != ref_len[got] || memcmp(f, s + ref_off[got], flen) != 0) abort();
                got++;
            } else if (left != 0) {
                abort();
            }
            if (us__frame_reader_capacity(&r) > received + US_FRAME_GROW) abort();
        }
        if (err) break;
        off += chunk;
    }
    if (got != nref || err != ref_err) abort();
    if (err && us__frame_reader_feed(&r, s, n, &(size_t){0}, &(const uint8_t *){0}, &(size_t){0}) != err) abort();
    us__frame_reader_free(&r);
    return 0;
}
