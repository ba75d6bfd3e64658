/*
 * session_internal.h — wire codec, key schedule and range sets shared by the session
 * sources, tests and fuzz targets (never installed; prefix us__). docs/PROTOCOL.md is the
 * specification of everything here.
 */
#ifndef UMBRA_SESSION_INTERNAL_H
#define UMBRA_SESSION_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "umbra/base.h"
#include "umbra/crypto.h"
#include "umbra/session.h"

/* ---- packet types (PROTOCOL.md §2) ---- */
#define US_PT_CLIENT_HELLO 0x01
#define US_PT_SERVER_HELLO 0x02
#define US_PT_HS_FRAGMENT 0x03 /* HandshakeFragment (§2.6) */
#define US_PT_RETRY 0x04
#define US_PT_VERSION_NEG 0x05
#define US_PT_DATA 0x10
#define US_PT_EARLY 0x11       /* 0-RTT data packet (§10), same header as DATA */
#define US_CH_CLIENT_AUTH 1    /* ClientHello flags */
#define US_CH_TICKET 2
#define US_SH_EARLY_ACCEPTED 2 /* ServerHello flags */

/* ---- frame types (PROTOCOL.md §3) ---- */
#define US_FT_PADDING 0x00
#define US_FT_PING 0x01
#define US_FT_ACK 0x02
#define US_FT_STREAM 0x03
#define US_FT_MAX_DATA 0x04
#define US_FT_MAX_STREAM_DATA 0x05
#define US_FT_PATH_CHALLENGE 0x06
#define US_FT_PATH_RESPONSE 0x07
#define US_FT_NEW_TICKET 0x08
#define US_FT_CLOSE 0x09
#define US_FT_RESET_STREAM 0x0a
#define US_FT_CLIENT_AUTH 0x0b
#define US_FT_CLIENT_AUTH_PART 0x0c  /* off:2 len:2 data: a piece of CLIENT_AUTH's body (§4.4) */
#define US_CLIENT_AUTH_BODY (US_SIG_PK_LEN + 3373) /* spk_c || sig_c */

#define US_SEQ_MAX ((1ull << 40) - 1)
#define US_MAX_REKEY_CATCHUP 16
#define US_ACK_MAX_RANGES 32
#define US_INITIAL_MAX_STREAM_DATA (1u << 20)   /* protocol constant, §6.4 */
#define US_INITIAL_MAX_DATA (16u << 20)         /* protocol constant, §6.4 */
#define US_TOKEN_MAX 512
#define US_CLOSE_REASON_MAX 256

/* ---- data packet header (§2.4) ---- */
typedef struct us__hdr {
    uint8_t type;
    uint8_t path;
    uint16_t epoch;
    uint8_t dcid[US_CID_LEN];
    uint32_t stream;
    uint64_t seq;  /* < 2^40 */
} us__hdr;

/* Writes the 21-byte header image. Returns UMBRA_ERANGE when seq >= 2^40. */
int us__hdr_encode(uint8_t out[US_HDR_LEN], const us__hdr *h);
/* Parses a data packet header; requires n >= US_HDR_LEN + 1 + US_TAG_LEN and type 0x10.
 * Returns 0 or UMBRA_EMALFORMED / UMBRA_ETRUNCATED. */
int us__hdr_decode(us__hdr *h, const uint8_t *p, size_t n);
/* nonce = iv XOR (epoch:2 || path:1 || stream:4 || seq:5). */
void us__nonce(uint8_t nonce[12], const uint8_t iv[12], const us__hdr *h);

/* ---- ClientHello / ServerHello (§2.1, §2.2) ---- */
typedef struct us__client_hello {
    uint32_t version;
    uint8_t cid[US_CID_LEN];
    uint8_t random[32];
    uint8_t key_id[32];
    const uint8_t *ct_s;      /* 1120, points into the parsed buffer */
    const uint8_t *epk;       /* 1216 */
    uint8_t aeads, flags;
    uint16_t token_len;
    const uint8_t *token;
} us__client_hello;
/* Parses; pointers refer into p. UMBRA_EVERSION is returned (with version and cid filled)
 * when the type is right and at least 13 bytes are present but the version is not 1. */
int us__client_hello_decode(us__client_hello *ch, const uint8_t *p, size_t n);

typedef struct us__server_hello {
    uint32_t version;
    uint8_t cid_c[US_CID_LEN], cid_s[US_CID_LEN];
    uint8_t random[32];
    const uint8_t *ct_e;      /* 1120 */
    uint8_t aead, flags;
    const uint8_t *sig;       /* 3373 */
} us__server_hello;
int us__server_hello_decode(us__server_hello *sh, const uint8_t *p, size_t n);

/* VersionNegotiation: writes it (returns length) or parses it (returns the count of
 * versions written to vers[0..max)). */
int us__version_neg_encode(uint8_t *out, size_t cap, const uint8_t cid[US_CID_LEN]);
int us__version_neg_decode(const uint8_t *p, size_t n, uint8_t cid[US_CID_LEN], uint32_t *vers,
                           size_t max);

/* ---- HandshakeFragment (§2.6) and reassembly (frag.c) ---- */
#define US_FRAG_HDR_LEN 20
#define US_FRAG_DGRAM_MAX 1200                                   /* every fragment datagram */
#define US_FRAG_DATA_MAX (US_FRAG_DGRAM_MAX - US_FRAG_HDR_LEN)   /* 1180 */
#define US_HELLO_MAX (US_CLIENT_HELLO_MIN + US_TOKEN_MAX)        /* largest ClientHello */
#define US_REASM_TIMEOUT_NS 3000000000ull                        /* half-open reassembly life */
#define US_REASM_DEFAULT_CAP 64                                  /* per server */

typedef struct us__frag {
    uint32_t version;
    uint8_t cid[US_CID_LEN];  /* cid_c of the handshake */
    uint8_t msg;              /* US_PT_CLIENT_HELLO or US_PT_SERVER_HELLO */
    uint16_t total, offset, len;
    const uint8_t *data;      /* points into the parsed datagram */
} us__frag;
/* Strict parse of one HandshakeFragment datagram (§2.6): limits on total/offset/len, zero
 * padding, ClientHello fragments exactly US_FRAG_DGRAM_MAX bytes. Returns 0,
 * UMBRA_EVERSION (version and cid filled) or UMBRA_EMALFORMED / UMBRA_ETRUNCATED. */
int us__frag_decode(us__frag *f, const uint8_t *p, size_t n);
/* Writes the fragment of `msg` (the whole hello, msg[0] is its type, cid_c at msg+5)
 * starting at `off`: min(US_FRAG_DATA_MAX, n - off) bytes of data, zero-padded to `pad_to`
 * bytes when pad_to is larger (ClientHello: US_FRAG_DGRAM_MAX). Returns the datagram
 * length, or UMBRA_ENOSPACE / UMBRA_EINVAL. */
int us__frag_encode(uint8_t *out, size_t cap, const uint8_t *msg, size_t n, size_t off, size_t pad_to);

/* One message being reassembled. Fixed size (no allocation); bytes are kept first-come
 * (an overlapping fragment never rewrites data already held). */
typedef struct us__reasm {
    uint8_t used, msg;
    uint16_t total;
    size_t have;                               /* distinct bytes held */
    uint8_t cid[US_CID_LEN];
    uint8_t addr[US_ADDR_MAX];
    size_t addr_len;
    uint64_t started;
    uint8_t bits[(US_SERVER_HELLO_LEN + 7) / 8];
    uint8_t buf[US_SERVER_HELLO_LEN];
} us__reasm;
/* Starts an empty reassembly for f's message. */
void us__reasm_start(us__reasm *r, const us__frag *f, uint64_t now);
/* Adds a fragment of the same message (same msg and total, else UMBRA_EMALFORMED).
 * Returns 1 when the message is complete (r->buf[0..total)), else 0. */
int us__reasm_add(us__reasm *r, const us__frag *f);

/* Server-side table of half-open ClientHello reassemblies, keyed by (cid_c, address): at
 * most `cap` entries (allocated once), each expiring US_REASM_TIMEOUT_NS after its first
 * fragment; a new attempt when full takes an expired entry, else the oldest. Memory is
 * therefore cap * sizeof(us__reasm) whatever arrives. */
typedef struct us__reasm_table {
    us__reasm *e;
    size_t cap;
    uint64_t evicted, completed;   /* counters for tests and logs */
} us__reasm_table;
/* cap 0 = US_REASM_DEFAULT_CAP. UMBRA_ENOMEM. */
int us__reasm_table_init(us__reasm_table *t, size_t cap);
void us__reasm_table_free(us__reasm_table *t);
/* Feeds one datagram that is a ClientHello fragment. Returns 1 with msg and len = the whole
 * ClientHello (valid until the next call; the entry is released), 0 when stored or a
 * duplicate, UMBRA_EVERSION (cid filled: answer VersionNegotiation), UMBRA_EMALFORMED. */
int us__reasm_table_input(us__reasm_table *t, const uint8_t *p, size_t n, const void *from,
                          size_t from_len, uint64_t now, const uint8_t **msg, size_t *len,
                          uint8_t cid[US_CID_LEN]);
/* Entries in use that have not expired at `now`. */
size_t us__reasm_table_live(const us__reasm_table *t, uint64_t now);

/* ---- key schedule (§4.2) ---- */
/* HKDF-Expand-Label with the "umbra1 " prefix. outlen <= 255. */
int us__expand_label(uint8_t *out, size_t outlen, const uint8_t secret[32], const char *label,
                     const uint8_t *ctx, size_t ctxlen);
/* HS = HKDF-Extract("umbra-session v1", ss_s || ss_e); secrets from HS and TH. */
void us__handshake_secret(uint8_t hs[32], const uint8_t ss_s[32], const uint8_t ss_e[32]);
int us__traffic_secrets(const uint8_t hs[32], const uint8_t th[32], uint8_t c_ap[32],
                        uint8_t s_ap[32], uint8_t res[32]);
int us__key_iv(const uint8_t secret[32], uint8_t key[32], uint8_t iv[12]);
int us__next_secret(uint8_t next[32], const uint8_t secret[32]);

/* One direction's protection state for one epoch. */
typedef struct us__keys {
    uc_aead aead;
    uint8_t secret[32];
    uint8_t iv[12];
    uint16_t epoch;
    uint8_t valid;
} us__keys;
/* Installs secret (copied) at `epoch`: derives key/iv, initialises the AEAD. */
int us__keys_init(us__keys *k, int alg, const uint8_t secret[32], uint16_t epoch);
void us__keys_clear(us__keys *k);
/* Seals header(21) || payload into out (room for US_HDR_LEN + n + 16); returns length. */
int us__seal(us__keys *k, const us__hdr *h, const uint8_t *payload, size_t n, uint8_t *out,
             size_t cap);
/* Opens a data packet with k (header already parsed into h): plaintext to out (cap >= the
 * ciphertext length - 16). Returns the plaintext length or UMBRA_EAUTH. */
int us__open(us__keys *k, const us__hdr *h, const uint8_t *pkt, size_t n, uint8_t *out,
             size_t cap);

/* ---- frames (§3) ---- */
typedef struct us__ack_range { uint64_t first, last; } us__ack_range;  /* inclusive */
typedef struct us__frame {
    uint8_t type;
    uint32_t stream;          /* STREAM, MAX_STREAM_DATA, RESET_STREAM, ACK (space) */
    uint64_t offset;          /* STREAM, CLIENT_AUTH_PART */
    uint64_t value;           /* MAX_DATA, MAX_STREAM_DATA, RESET final size */
    uint32_t code;            /* CLOSE, RESET_STREAM; ACK delay (us) */
    uint8_t fin;              /* STREAM */
    const uint8_t *data;      /* STREAM data, PATH_* 32 bytes, CLOSE reason, CLIENT_AUTH */
    size_t len;
    uint8_t nranges;          /* ACK */
    us__ack_range ranges[US_ACK_MAX_RANGES];
} us__frame;
/* Parses the frame at p (n bytes left): returns bytes consumed (> 0) or UMBRA_EMALFORMED.
 * Data pointers refer into p. */
int us__frame_decode(us__frame *f, const uint8_t *p, size_t n);
/* Frame sizes and writers (return the length written, or UMBRA_ENOSPACE). */
#define US_STREAM_FRAME_OVERHEAD 16
int us__frame_stream(uint8_t *out, size_t cap, uint32_t stream, uint64_t off, const uint8_t *d,
                     size_t n, int fin);
int us__frame_ack(uint8_t *out, size_t cap, uint32_t space, uint32_t delay_us,
                  const us__ack_range *r, size_t nr);
int us__frame_u64(uint8_t *out, size_t cap, uint8_t type, uint64_t v);               /* MAX_DATA */
int us__frame_stream_u64(uint8_t *out, size_t cap, uint8_t type, uint32_t s, uint64_t v); /* MSD */
int us__frame_path(uint8_t *out, size_t cap, uint8_t type, const uint8_t data[32]);
int us__frame_close(uint8_t *out, size_t cap, uint32_t code, const char *reason);
int us__frame_reset(uint8_t *out, size_t cap, uint32_t stream, uint32_t code, uint64_t final);
int us__frame_ticket(uint8_t *out, size_t cap, uint32_t max_early, const uint8_t ticket[US_TICKET_LEN]);

/* ---- range sets: sorted disjoint [lo, hi) ranges, bounded ---- */
typedef struct us__ranges {
    struct { uint64_t lo, hi; } *r;
    size_t n, cap, max;  /* max ranges kept (adding beyond drops per add()'s contract) */
} us__ranges;
void us__ranges_init(us__ranges *s, size_t max);
void us__ranges_free(us__ranges *s);
/* Adds [lo, hi). When the set would exceed max ranges: if drop_low, the lowest range is
 * discarded (ack bookkeeping), else the add is refused with UMBRA_ENOSPACE. */
int us__ranges_add(us__ranges *s, uint64_t lo, uint64_t hi, int drop_low);
/* Removes everything below `lo`. */
void us__ranges_trim_below(us__ranges *s, uint64_t lo);
/* Removes [lo, hi). */
int us__ranges_remove(us__ranges *s, uint64_t lo, uint64_t hi);
/* 1 if [lo, hi) is entirely contained. */
int us__ranges_contains(const us__ranges *s, uint64_t lo, uint64_t hi);
/* Within [lo, hi), the first sub-range NOT in the set: returns 1 and [*a, *b), or 0. */
int us__ranges_first_gap(const us__ranges *s, uint64_t lo, uint64_t hi, uint64_t *a, uint64_t *b);

/* For fuzzing and tests: processes `pt` as the authenticated plaintext of a data packet
 * in space `stream_id` that came from `from` (skips AEAD and the replay window). Same
 * return contract as us_conn_recv(). */
int us__conn_recv_plain(us_conn *c, uint32_t stream_id, const uint8_t *pt, size_t n, const void *from,
                        size_t from_len, uint64_t now);

/* For tests: a snapshot of the connection's congestion controller (cc.h). `out` points to
 * a us__cc_snapshot (declared as void * so this header need not include cc.h). */
void us__conn_cc_snapshot(const us_conn *c, void *out);

/* Big-endian helpers. */
static inline void us__put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void us__put32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
static inline void us__put40(uint8_t *p, uint64_t v) {
    for (int i = 4; i >= 0; i--) { p[i] = (uint8_t)v; v >>= 8; }
}
static inline void us__put64(uint8_t *p, uint64_t v) {
    for (int i = 7; i >= 0; i--) { p[i] = (uint8_t)v; v >>= 8; }
}
static inline uint16_t us__get16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static inline uint32_t us__get32(const uint8_t *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline uint64_t us__get40(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 0; i < 5; i++) v = (v << 8) | p[i];
    return v;
}
static inline uint64_t us__get64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = (v << 8) | p[i];
    return v;
}

#endif
