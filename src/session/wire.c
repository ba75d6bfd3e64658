/* wire.c — encoding and strict parsing of session packets and frames (PROTOCOL.md §2, §3).
 * Parsers never read past n, never allocate, and reject trailing or inconsistent bytes. */
#include <string.h>

#include "session_internal.h"

/* ---- data packet header (§2.4) ---- */

int us__hdr_encode(uint8_t out[US_HDR_LEN], const us__hdr *h) {
    if (h->seq > US_SEQ_MAX) return UMBRA_ERANGE;
    out[0] = h->type == US_PT_EARLY ? US_PT_EARLY : US_PT_DATA;
    out[1] = h->path;
    us__put16(out + 2, h->epoch);
    memcpy(out + 4, h->dcid, US_CID_LEN);
    us__put32(out + 12, h->stream);
    us__put40(out + 16, h->seq);
    return 0;
}

int us__hdr_decode(us__hdr *h, const uint8_t *p, size_t n) {
    if (n < 1) return UMBRA_ETRUNCATED;
    if (p[0] != US_PT_DATA && p[0] != US_PT_EARLY) return UMBRA_EMALFORMED;
    /* header + at least one payload byte + tag */
    if (n < US_HDR_LEN + 1 + US_TAG_LEN) return UMBRA_ETRUNCATED;
    if (n > US_MAX_PACKET) return UMBRA_EMALFORMED;
    h->type = p[0];
    h->path = p[1];
    h->epoch = us__get16(p + 2);
    memcpy(h->dcid, p + 4, US_CID_LEN);
    h->stream = us__get32(p + 12);
    h->seq = us__get40(p + 16);
    return 0;
}

void us__nonce(uint8_t nonce[12], const uint8_t iv[12], const us__hdr *h) {
    uint8_t x[12];
    us__put16(x, h->epoch);
    x[2] = h->path;
    us__put32(x + 3, h->stream);
    us__put40(x + 7, h->seq);
    for (int i = 0; i < 12; i++) nonce[i] = iv[i] ^ x[i];
}

/* ---- hellos ---- */

int us__client_hello_decode(us__client_hello *ch, const uint8_t *p, size_t n) {
    memset(ch, 0, sizeof *ch);
    if (n < 13) return UMBRA_ETRUNCATED;
    if (p[0] != US_PT_CLIENT_HELLO) return UMBRA_EMALFORMED;
    ch->version = us__get32(p + 1);
    memcpy(ch->cid, p + 5, US_CID_LEN);
    if (ch->version != US_VERSION) return UMBRA_EVERSION;
    if (n < US_CLIENT_HELLO_MIN) return UMBRA_ETRUNCATED;
    memcpy(ch->random, p + 13, 32);
    memcpy(ch->key_id, p + 45, 32);
    ch->ct_s = p + 77;
    ch->epk = p + 1197;
    ch->aeads = p[2413];
    ch->flags = p[2414];
    ch->token_len = us__get16(p + 2415);
    if (ch->token_len > US_TOKEN_MAX) return UMBRA_EMALFORMED;
    if (n != (size_t)US_CLIENT_HELLO_MIN + ch->token_len) return UMBRA_EMALFORMED;
    ch->token = p + US_CLIENT_HELLO_MIN;
    if (ch->aeads == 0 || (ch->aeads & ~3u) || (ch->flags & ~3u)) return UMBRA_EMALFORMED;
    if ((ch->flags & US_CH_TICKET) && ch->token_len < US_TICKET_LEN) return UMBRA_EMALFORMED;
    return 0;
}

int us__server_hello_decode(us__server_hello *sh, const uint8_t *p, size_t n) {
    memset(sh, 0, sizeof *sh);
    if (n != US_SERVER_HELLO_LEN) return n < US_SERVER_HELLO_LEN ? UMBRA_ETRUNCATED : UMBRA_EMALFORMED;
    if (p[0] != US_PT_SERVER_HELLO) return UMBRA_EMALFORMED;
    sh->version = us__get32(p + 1);
    if (sh->version != US_VERSION) return UMBRA_EVERSION;
    memcpy(sh->cid_c, p + 5, US_CID_LEN);
    memcpy(sh->cid_s, p + 13, US_CID_LEN);
    memcpy(sh->random, p + 21, 32);
    sh->ct_e = p + 53;
    sh->aead = p[1173];
    sh->flags = p[1174];
    sh->sig = p + 1175;
    if ((sh->aead != US_AEAD_AES256GCM && sh->aead != US_AEAD_CHACHA20POLY1305) || (sh->flags & ~3u))
        return UMBRA_EMALFORMED;
    return 0;
}

int us__version_neg_encode(uint8_t *out, size_t cap, const uint8_t cid[US_CID_LEN]) {
    if (cap < 18) return UMBRA_ENOSPACE;
    out[0] = US_PT_VERSION_NEG;
    us__put32(out + 1, 0);
    memcpy(out + 5, cid, US_CID_LEN);
    out[13] = 1;
    us__put32(out + 14, US_VERSION);
    return 18;
}

int us__version_neg_decode(const uint8_t *p, size_t n, uint8_t cid[US_CID_LEN], uint32_t *vers,
                           size_t max) {
    if (n < 14 || p[0] != US_PT_VERSION_NEG || us__get32(p + 1) != 0) return UMBRA_EMALFORMED;
    size_t cnt = p[13];
    if (cnt == 0 || cnt > 32 || n != 14 + 4 * cnt) return UMBRA_EMALFORMED;
    memcpy(cid, p + 5, US_CID_LEN);
    size_t k = 0;
    for (size_t i = 0; i < cnt && k < max; i++) vers[k++] = us__get32(p + 14 + 4 * i);
    return (int)k;
}

/* ---- frames ---- */

int us__frame_decode(us__frame *f, const uint8_t *p, size_t n) {
    memset(f, 0, sizeof *f);
    if (n < 1) return UMBRA_EMALFORMED;
    f->type = p[0];
    switch (p[0]) {
    case US_FT_PADDING:
    case US_FT_PING:
        return 1;
    case US_FT_ACK: {
        if (n < 10) return UMBRA_EMALFORMED;
        f->stream = us__get32(p + 1);
        f->code = us__get32(p + 5);
        f->nranges = p[9];
        if (f->nranges == 0 || f->nranges > US_ACK_MAX_RANGES) return UMBRA_EMALFORMED;
        size_t need = 10 + (size_t)f->nranges * 10;
        if (n < need) return UMBRA_EMALFORMED;
        for (unsigned i = 0; i < f->nranges; i++) {
            f->ranges[i].first = us__get40(p + 10 + i * 10);
            f->ranges[i].last = us__get40(p + 15 + i * 10);
            if (f->ranges[i].first > f->ranges[i].last) return UMBRA_EMALFORMED;
            /* descending and disjoint (with a gap, else they would be one range) */
            if (i > 0 && f->ranges[i].last + 1 >= f->ranges[i - 1].first) return UMBRA_EMALFORMED;
        }
        return (int)need;
    }
    case US_FT_STREAM: {
        if (n < US_STREAM_FRAME_OVERHEAD) return UMBRA_EMALFORMED;
        f->stream = us__get32(p + 1);
        f->offset = us__get64(p + 5);
        f->len = us__get16(p + 13);
        f->fin = p[15];
        if (f->fin > 1) return UMBRA_EMALFORMED;
        if (n < US_STREAM_FRAME_OVERHEAD + f->len) return UMBRA_EMALFORMED;
        if (f->offset > (1ull << 62) || f->offset + f->len > (1ull << 62)) return UMBRA_EMALFORMED;
        f->data = p + US_STREAM_FRAME_OVERHEAD;
        return (int)(US_STREAM_FRAME_OVERHEAD + f->len);
    }
    case US_FT_MAX_DATA:
        if (n < 9) return UMBRA_EMALFORMED;
        f->value = us__get64(p + 1);
        return 9;
    case US_FT_MAX_STREAM_DATA:
        if (n < 13) return UMBRA_EMALFORMED;
        f->stream = us__get32(p + 1);
        f->value = us__get64(p + 5);
        return 13;
    case US_FT_PATH_CHALLENGE:
    case US_FT_PATH_RESPONSE:
        if (n < 33) return UMBRA_EMALFORMED;
        f->data = p + 1;
        f->len = 32;
        return 33;
    case US_FT_CLOSE:
        if (n < 7) return UMBRA_EMALFORMED;
        f->code = us__get32(p + 1);
        f->len = us__get16(p + 5);
        if (f->len > US_CLOSE_REASON_MAX || n < 7 + f->len) return UMBRA_EMALFORMED;
        f->data = p + 7;
        return (int)(7 + f->len);
    case US_FT_RESET_STREAM:
        if (n < 17) return UMBRA_EMALFORMED;
        f->stream = us__get32(p + 1);
        f->code = us__get32(p + 5);
        f->value = us__get64(p + 9);
        if (f->value > (1ull << 62)) return UMBRA_EMALFORMED;
        return 17;
    case US_FT_NEW_TICKET:
        if (n < 7) return UMBRA_EMALFORMED;
        f->code = us__get32(p + 1); /* max early data */
        f->len = us__get16(p + 5);
        if (f->len != US_TICKET_LEN || n < 7 + f->len) return UMBRA_EMALFORMED;
        f->data = p + 7;
        return (int)(7 + f->len);
    case US_FT_CLIENT_AUTH_PART:
        if (n < 5) return UMBRA_EMALFORMED;
        f->offset = us__get16(p + 1);
        f->len = us__get16(p + 3);
        if (f->len == 0 || f->offset + f->len > US_CLIENT_AUTH_BODY || n < 5 + f->len) return UMBRA_EMALFORMED;
        f->data = p + 5;
        return (int)(5 + f->len);
    case US_FT_CLIENT_AUTH:
        if (n < 1 + US_SIG_PK_LEN + 3373) return UMBRA_EMALFORMED;
        f->data = p + 1;
        f->len = US_SIG_PK_LEN + 3373;
        return (int)(1 + f->len);
    default:
        return UMBRA_EMALFORMED;
    }
}

int us__frame_stream(uint8_t *out, size_t cap, uint32_t stream, uint64_t off, const uint8_t *d,
                     size_t n, int fin) {
    if (n > 0xffff || cap < US_STREAM_FRAME_OVERHEAD + n) return UMBRA_ENOSPACE;
    out[0] = US_FT_STREAM;
    us__put32(out + 1, stream);
    us__put64(out + 5, off);
    us__put16(out + 13, (uint16_t)n);
    out[15] = fin ? 1 : 0;
    if (n) memcpy(out + US_STREAM_FRAME_OVERHEAD, d, n);
    return (int)(US_STREAM_FRAME_OVERHEAD + n);
}

int us__frame_ack(uint8_t *out, size_t cap, uint32_t space, uint32_t delay_us,
                  const us__ack_range *r, size_t nr) {
    if (nr == 0 || nr > US_ACK_MAX_RANGES || cap < 10 + nr * 10) return UMBRA_ENOSPACE;
    out[0] = US_FT_ACK;
    us__put32(out + 1, space);
    us__put32(out + 5, delay_us);
    out[9] = (uint8_t)nr;
    for (size_t i = 0; i < nr; i++) {
        us__put40(out + 10 + i * 10, r[i].first);
        us__put40(out + 15 + i * 10, r[i].last);
    }
    return (int)(10 + nr * 10);
}

int us__frame_u64(uint8_t *out, size_t cap, uint8_t type, uint64_t v) {
    if (cap < 9) return UMBRA_ENOSPACE;
    out[0] = type;
    us__put64(out + 1, v);
    return 9;
}

int us__frame_stream_u64(uint8_t *out, size_t cap, uint8_t type, uint32_t s, uint64_t v) {
    if (cap < 13) return UMBRA_ENOSPACE;
    out[0] = type;
    us__put32(out + 1, s);
    us__put64(out + 5, v);
    return 13;
}

int us__frame_path(uint8_t *out, size_t cap, uint8_t type, const uint8_t data[32]) {
    if (cap < 33) return UMBRA_ENOSPACE;
    out[0] = type;
    memcpy(out + 1, data, 32);
    return 33;
}

int us__frame_close(uint8_t *out, size_t cap, uint32_t code, const char *reason) {
    size_t rl = reason ? strlen(reason) : 0;
    if (rl > US_CLOSE_REASON_MAX) rl = US_CLOSE_REASON_MAX;
    if (cap < 7 + rl) return UMBRA_ENOSPACE;
    out[0] = US_FT_CLOSE;
    us__put32(out + 1, code);
    us__put16(out + 5, (uint16_t)rl);
    if (rl) memcpy(out + 7, reason, rl);
    return (int)(7 + rl);
}

int us__frame_ticket(uint8_t *out, size_t cap, uint32_t max_early, const uint8_t ticket[US_TICKET_LEN]) {
    if (cap < 7 + US_TICKET_LEN) return UMBRA_ENOSPACE;
    out[0] = US_FT_NEW_TICKET;
    us__put32(out + 1, max_early);
    us__put16(out + 5, US_TICKET_LEN);
    memcpy(out + 7, ticket, US_TICKET_LEN);
    return 7 + US_TICKET_LEN;
}

int us__frame_reset(uint8_t *out, size_t cap, uint32_t stream, uint32_t code, uint64_t final) {
    if (cap < 17) return UMBRA_ENOSPACE;
    out[0] = US_FT_RESET_STREAM;
    us__put32(out + 1, stream);
    us__put32(out + 5, code);
    us__put64(out + 9, final);
    return 17;
}

/* ---- range sets ---- */

void us__ranges_init(us__ranges *s, size_t max) {
    s->r = NULL;
    s->n = s->cap = 0;
    s->max = max ? max : 1024;
}

void us__ranges_free(us__ranges *s) {
    umbra_free(s->r);
    s->r = NULL;
    s->n = s->cap = 0;
}

static int ranges_insert_at(us__ranges *s, size_t i, uint64_t lo, uint64_t hi) {
    if (s->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 8;
        void *p = umbra_realloc(s->r, nc * sizeof *s->r);
        if (!p) return UMBRA_ENOMEM;
        s->r = p;
        s->cap = nc;
    }
    memmove(&s->r[i + 1], &s->r[i], (s->n - i) * sizeof *s->r);
    s->r[i].lo = lo;
    s->r[i].hi = hi;
    s->n++;
    return 0;
}

int us__ranges_add(us__ranges *s, uint64_t lo, uint64_t hi, int drop_low) {
    if (lo >= hi) return 0;
    size_t i = 0;
    while (i < s->n && s->r[i].hi < lo) i++;      /* first range that may touch [lo,hi) */
    if (i < s->n && s->r[i].lo <= hi) {
        /* merge with r[i] and any following ranges it reaches */
        if (lo < s->r[i].lo) s->r[i].lo = lo;
        if (hi > s->r[i].hi) s->r[i].hi = hi;
        size_t j = i + 1;
        while (j < s->n && s->r[j].lo <= s->r[i].hi) {
            if (s->r[j].hi > s->r[i].hi) s->r[i].hi = s->r[j].hi;
            j++;
        }
        memmove(&s->r[i + 1], &s->r[j], (s->n - j) * sizeof *s->r);
        s->n -= j - (i + 1);
        return 0;
    }
    if (s->n >= s->max) {
        if (!drop_low) return UMBRA_ENOSPACE;
        if (i == 0) return 0; /* the new range would be the lowest one: it is what we drop */
        memmove(&s->r[0], &s->r[1], (s->n - 1) * sizeof *s->r);
        s->n--;
        i--;
    }
    return ranges_insert_at(s, i, lo, hi);
}

void us__ranges_trim_below(us__ranges *s, uint64_t lo) {
    size_t i = 0;
    while (i < s->n && s->r[i].hi <= lo) i++;
    if (i) {
        memmove(&s->r[0], &s->r[i], (s->n - i) * sizeof *s->r);
        s->n -= i;
    }
    if (s->n && s->r[0].lo < lo) s->r[0].lo = lo;
}

int us__ranges_remove(us__ranges *s, uint64_t lo, uint64_t hi) {
    if (lo >= hi) return 0;
    for (size_t i = 0; i < s->n; i++) {
        if (s->r[i].hi <= lo) continue;
        if (s->r[i].lo >= hi) break;
        if (s->r[i].lo < lo && s->r[i].hi > hi) { /* split */
            uint64_t ohi = s->r[i].hi;
            s->r[i].hi = lo;
            return ranges_insert_at(s, i + 1, hi, ohi);
        }
        if (s->r[i].lo < lo) {
            s->r[i].hi = lo;
        } else if (s->r[i].hi > hi) {
            s->r[i].lo = hi;
        } else {
            memmove(&s->r[i], &s->r[i + 1], (s->n - i - 1) * sizeof *s->r);
            s->n--;
            i--;
        }
    }
    return 0;
}

int us__ranges_contains(const us__ranges *s, uint64_t lo, uint64_t hi) {
    if (lo >= hi) return 1;
    for (size_t i = 0; i < s->n; i++)
        if (s->r[i].lo <= lo && s->r[i].hi >= hi) return 1;
    return 0;
}

int us__ranges_first_gap(const us__ranges *s, uint64_t lo, uint64_t hi, uint64_t *a, uint64_t *b) {
    uint64_t cur = lo;
    for (size_t i = 0; i < s->n && cur < hi; i++) {
        if (s->r[i].hi <= cur) continue;
        if (s->r[i].lo > cur) {
            *a = cur;
            *b = s->r[i].lo < hi ? s->r[i].lo : hi;
            return 1;
        }
        cur = s->r[i].hi;
    }
    if (cur < hi) {
        *a = cur;
        *b = hi;
        return 1;
    }
    return 0;
}
