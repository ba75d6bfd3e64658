/* frag.c — HandshakeFragment datagrams and bounded reassembly of handshake messages
 * (PROTOCOL.md §2.6). ClientHello (2417..2929 bytes) and ServerHello (4548 bytes) are larger
 * than a safe UDP payload; on the UDP leg each travels as fragments of at most 1200-byte
 * datagrams (the QUIC minimum datagram size, RFC 9000 §14), in the manner of QUIC CRYPTO
 * frames (RFC 9000 §19.6) and DTLS 1.3 handshake fragments (RFC 9147 §5.5). Parsing never
 * allocates; reassembly state has a fixed size per message and a fixed count per server. */
#include <string.h>

#include "session_internal.h"

/* Length limit of the whole message named by a fragment: ClientHello 2417..2929 (its token
 * field is at most US_TOKEN_MAX), ServerHello exactly 4548. */
static int total_ok(uint8_t msg, size_t total) {
    if (msg == US_PT_CLIENT_HELLO) return total >= US_CLIENT_HELLO_MIN && total <= US_HELLO_MAX;
    if (msg == US_PT_SERVER_HELLO) return total == US_SERVER_HELLO_LEN;
    return 0;
}

int us__frag_decode(us__frag *f, const uint8_t *p, size_t n) {
    memset(f, 0, sizeof *f);
    if (n < 13) return UMBRA_ETRUNCATED;
    if (p[0] != US_PT_HS_FRAGMENT) return UMBRA_EMALFORMED;
    f->version = us__get32(p + 1);
    memcpy(f->cid, p + 5, US_CID_LEN);
    if (f->version != US_VERSION) return UMBRA_EVERSION;
    if (n < US_FRAG_HDR_LEN + 1) return UMBRA_ETRUNCATED;
    if (n > US_FRAG_DGRAM_MAX) return UMBRA_EMALFORMED;
    f->msg = p[13];
    f->total = us__get16(p + 14);
    f->offset = us__get16(p + 16);
    f->len = us__get16(p + 18);
    if (!total_ok(f->msg, f->total)) return UMBRA_EMALFORMED;
    if (f->len == 0 || f->len > US_FRAG_DATA_MAX || (size_t)f->offset + f->len > f->total)
        return UMBRA_EMALFORMED;
    if (US_FRAG_HDR_LEN + (size_t)f->len > n) return UMBRA_ETRUNCATED;
    /* ClientHello fragments are padded to the full 1200 bytes: the server's
     * anti-amplification budget is counted from them (§2.6, RFC 9000 §8.1, §14.1) */
    if (f->msg == US_PT_CLIENT_HELLO && n != US_FRAG_DGRAM_MAX) return UMBRA_EMALFORMED;
    for (size_t i = US_FRAG_HDR_LEN + f->len; i < n; i++)
        if (p[i]) return UMBRA_EMALFORMED;
    f->data = p + US_FRAG_HDR_LEN;
    return 0;
}

int us__frag_encode(uint8_t *out, size_t cap, const uint8_t *msg, size_t n, size_t off, size_t pad_to) {
    if (!msg || n < 13 || !total_ok(msg[0], n) || off >= n) return UMBRA_EINVAL;
    size_t len = n - off < US_FRAG_DATA_MAX ? n - off : US_FRAG_DATA_MAX;
    size_t dl = US_FRAG_HDR_LEN + len;
    if (pad_to > US_FRAG_DGRAM_MAX) pad_to = US_FRAG_DGRAM_MAX;
    if (pad_to > dl) dl = pad_to;
    if (cap < dl) return UMBRA_ENOSPACE;
    out[0] = US_PT_HS_FRAGMENT;
    us__put32(out + 1, US_VERSION);
    memcpy(out + 5, msg + 5, US_CID_LEN); /* cid_c sits at offset 5 of both hellos */
    out[13] = msg[0];
    us__put16(out + 14, (uint16_t)n);
    us__put16(out + 16, (uint16_t)off);
    us__put16(out + 18, (uint16_t)len);
    memcpy(out + US_FRAG_HDR_LEN, msg + off, len);
    memset(out + US_FRAG_HDR_LEN + len, 0, dl - US_FRAG_HDR_LEN - len);
    return (int)dl;
}

void us__reasm_start(us__reasm *r, const us__frag *f, uint64_t now) {
    memset(r->bits, 0, sizeof r->bits);
    r->used = 1;
    r->msg = f->msg;
    r->total = f->total;
    r->have = 0;
    memcpy(r->cid, f->cid, US_CID_LEN);
    r->addr_len = 0;
    r->started = now;
}

int us__reasm_add(us__reasm *r, const us__frag *f) {
    if (!r->used || f->msg != r->msg || f->total != r->total || memcmp(f->cid, r->cid, US_CID_LEN) != 0)
        return UMBRA_EMALFORMED;
    /* first-come bytes: duplicates and overlaps only fill holes */
    for (size_t i = 0; i < f->len; i++) {
        size_t o = (size_t)f->offset + i;
        uint8_t m = (uint8_t)(1u << (o & 7));
        if (r->bits[o >> 3] & m) continue;
        r->bits[o >> 3] |= m;
        r->buf[o] = f->data[i];
        r->have++;
    }
    return r->have == r->total;
}

int us__reasm_table_init(us__reasm_table *t, size_t cap) {
    memset(t, 0, sizeof *t);
    t->cap = cap ? cap : US_REASM_DEFAULT_CAP;
    t->e = umbra_calloc(t->cap, sizeof *t->e);
    if (!t->e) {
        t->cap = 0;
        return UMBRA_ENOMEM;
    }
    return 0;
}

void us__reasm_table_free(us__reasm_table *t) {
    if (!t->e) return;
    umbra_wipe(t->e, t->cap * sizeof *t->e);
    umbra_free(t->e);
    t->e = NULL;
    t->cap = 0;
}

static int expired(const us__reasm *r, uint64_t now) {
    return now >= r->started + US_REASM_TIMEOUT_NS;
}

int us__reasm_table_input(us__reasm_table *t, const uint8_t *p, size_t n, const void *from,
                          size_t from_len, uint64_t now, const uint8_t **msg, size_t *len,
                          uint8_t cid[US_CID_LEN]) {
    *msg = NULL;
    *len = 0;
    if (!t->e || !from || from_len == 0 || from_len > US_ADDR_MAX) return UMBRA_EINVAL;
    us__frag f;
    int rc = us__frag_decode(&f, p, n);
    if (cid) memcpy(cid, f.cid, US_CID_LEN);
    if (rc == UMBRA_EVERSION) return rc;
    if (rc || f.msg != US_PT_CLIENT_HELLO) return UMBRA_EMALFORMED;
    us__reasm *r = NULL, *victim = NULL;
    for (size_t i = 0; i < t->cap; i++) {
        us__reasm *x = &t->e[i];
        if (x->used && expired(x, now)) x->used = 0;
        if (x->used && x->addr_len == from_len && !memcmp(x->cid, f.cid, US_CID_LEN) &&
            !memcmp(x->addr, from, from_len)) {
            r = x;
            break;
        }
        if (!x->used) {
            if (!victim || victim->used) victim = x;
        } else if (!victim || (victim->used && x->started < victim->started)) {
            victim = x;
        }
    }
    if (r && r->total != f.total) r->used = 0;      /* a new hello (e.g. with a Retry token) */
    if (!r || !r->used) {
        if (!r) {
            r = victim;
            if (r->used) t->evicted++;
        }
        us__reasm_start(r, &f, now);
        memcpy(r->addr, from, from_len);
        r->addr_len = from_len;
    }
    rc = us__reasm_add(r, &f);
    if (rc != 1) return rc;
    r->used = 0;   /* released; the bytes stay readable until the next call */
    t->completed++;
    *msg = r->buf;
    *len = r->total;
    return 1;
}

size_t us__reasm_table_live(const us__reasm_table *t, uint64_t now) {
    size_t k = 0;
    for (size_t i = 0; i < t->cap; i++) k += t->e[i].used && !expired(&t->e[i], now);
    return k;
}
