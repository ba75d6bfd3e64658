/*
 * frame.h — TCP / WASI leg framing (internal to src/session/; prefix us__).
 *
 * Wire format: every frame is  len:u32 big-endian || payload[len].  (docs/PROTOCOL.md, "TCP
 * leg".) The reader is an incremental state machine fed arbitrary byte chunks; it performs
 * no OS calls (it is compiled into Wasm guests for the WASI leg too) and allocates only via
 * umbra_malloc/umbra_realloc.
 *
 * Decisions the protocol relies on:
 *   - ZERO-LENGTH FRAMES ARE REJECTED: len = 0 is a protocol violation (sticky
 *     UMBRA_EPROTO). Every session packet carries at least a header and an AEAD tag, so an
 *     empty frame is never valid; keepalives are ordinary (encrypted) packets.
 *   - CAPS: a reader starts with a small cap (US_FRAME_MAX_HANDSHAKE = 17 KiB unless told
 *     otherwise) and the session switches it to US_FRAME_MAX (4 MiB) once the handshake is
 *     complete. 17 KiB holds the hybrid handshake messages (X-Wing ciphertexts, composite
 *     ML-DSA-65 signature: under 5 KiB) AND the largest session packet (US_MAX_PACKET =
 *     21 + 16384 + 16 = 16421 bytes): a client that has its keys may send a full-size data
 *     packet right behind its key confirmation, before the server's leg has raised the cap,
 *     so a cap below US_MAX_PACKET would kill such sessions at random. len > cap is a sticky UMBRA_ETOOBIG error, detected as soon
 *     as the 4 length bytes are in — before any payload is buffered.
 *   - MEMORY FOLLOWS ARRIVAL: the payload buffer grows only as payload bytes actually arrive,
 *     in steps of at most US_FRAME_GROW (64 KiB): capacity <= min(len, received rounded up
 *     to 64 KiB). A peer that declares 4 MiB and then stalls makes us hold what it sent,
 *     plus less than 64 KiB.
 *   - SHRINK: when a frame larger than US_FRAME_KEEP (64 KiB) has been delivered, the next
 *     call releases the big buffer, so one large frame does not pin 4 MiB per connection.
 *   - ZERO COPY: when a whole frame lies inside the chunk being fed and nothing is buffered,
 *     the frame is returned as a pointer into the caller's chunk (no copy).
 *
 * Errors are sticky (style.md): after a negative return every further feed returns the
 * same code until us__frame_reader_reset() or _free(). Not thread-safe.
 */
#ifndef UMBRA_SESSION_FRAME_H
#define UMBRA_SESSION_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "umbra/base.h"

#define US_FRAME_HDR_LEN 4u
#ifndef US_FRAME_MAX_HANDSHAKE
#define US_FRAME_MAX_HANDSHAKE (17u * 1024u)       /* default cap before the handshake */
#endif
#define US_FRAME_MAX (4u * 1024u * 1024u)          /* cap after the handshake (WIRE cap) */
#define US_FRAME_GROW (64u * 1024u)                /* buffer growth step */
#define US_FRAME_KEEP (64u * 1024u)                /* capacity kept between frames */

/* Layout public so a leg can embed the reader; do not touch fields. */
typedef struct us__frame_reader {
    uint8_t hdr[4];        /* length prefix being assembled */
    uint8_t hdr_have;      /* 0..4 */
    uint32_t len;          /* declared length of the current frame (valid when hdr_have == 4) */
    uint32_t have;         /* payload bytes buffered for the current frame */
    uint32_t max;          /* current cap */
    uint8_t *buf;          /* payload buffer (umbra_malloc), NULL when none */
    size_t cap;            /* capacity of buf */
    int err;               /* sticky error, 0 = none */
    uint8_t delivered;     /* a frame was returned by the last feed; drop it on the next one */
    uint64_t frames;       /* frames delivered so far */
} us__frame_reader;

/* Initialises r with cap `max` (0 = US_FRAME_MAX_HANDSHAKE; values above UINT32_MAX are
 * clamped). Never allocates; cannot fail. */
void us__frame_reader_init(us__frame_reader *r, size_t max);

/* Changes the cap (0 = US_FRAME_MAX_HANDSHAKE), e.g. to US_FRAME_MAX when the handshake is
 * done. A frame whose length prefix is already in is checked against the new cap at once;
 * if it exceeds it the reader enters the sticky UMBRA_ETOOBIG state and that is returned,
 * else 0. */
int us__frame_reader_set_max(us__frame_reader *r, size_t max);

/* Feeds up to n bytes of `data` (data may be NULL when n == 0). Consumes bytes until one
 * frame is complete or the input is exhausted, and stores the number consumed in *used
 * (always set; 0 on error). Returns:
 *   1  a frame is ready: *frame / *frame_len point to its payload (frame_len >= 1). The
 *      pointer refers either to r's buffer or into `data`; it stays valid until the next
 *      call on r and, in the second case, while the caller keeps `data` unchanged. Bytes
 *      after *used have NOT been consumed: feed them again;
 *   0  all n bytes consumed, no complete frame yet;
 *  <0  sticky error: UMBRA_EPROTO (zero-length frame), UMBRA_ETOOBIG (len > cap),
 *      UMBRA_ENOMEM (buffer growth failed — no bytes of this call are consumed then and the
 *      error is sticky too, since the stream position is lost for the caller).
 * Typical loop:
 *     while (n > 0) {
 *         int rc = us__frame_reader_feed(&r, p, n, &used, &f, &flen);
 *         if (rc < 0) goto fail;
 *         p += used; n -= used;
 *         if (rc == 1) handle(f, flen);
 *     }
 */
int us__frame_reader_feed(us__frame_reader *r, const uint8_t *data, size_t n, size_t *used,
                          const uint8_t **frame, size_t *frame_len);

/* The sticky error (0 if none). */
int us__frame_reader_error(const us__frame_reader *r);
/* Bytes of the current partial frame held (prefix bytes included). */
size_t us__frame_reader_pending(const us__frame_reader *r);
/* Capacity of the payload buffer currently allocated (for memory accounting and tests). */
size_t us__frame_reader_capacity(const us__frame_reader *r);

/* Drops any partial frame and the sticky error; keeps the cap; frees the buffer. */
void us__frame_reader_reset(us__frame_reader *r);
/* Releases the buffer (wiping it: payloads may be sensitive ciphertext metadata). r may be
 * NULL. r can be re-initialised afterwards. */
void us__frame_reader_free(us__frame_reader *r);

/* Writes the 4-byte big-endian prefix for a payload of `len` bytes. Returns 0, or
 * UMBRA_EPROTO for len == 0, UMBRA_ETOOBIG for len > max (max 0 = US_FRAME_MAX). */
int us__frame_encode_header(uint8_t out[4], size_t len, size_t max);

/* Writes prefix || payload into (out, out_cap) and returns the number of bytes written
 * (n + 4), or UMBRA_EPROTO / UMBRA_ETOOBIG as above, or UMBRA_ENOSPACE when out_cap < n + 4.
 * payload may overlap out (payload == out frames in place). max 0 = US_FRAME_MAX. */
int us__frame_encode(uint8_t *out, size_t out_cap, const uint8_t *payload, size_t n, size_t max);

#endif
