/* conn.c — the sans-I/O session state machine (docs/PROTOCOL.md §4–§8).
 *
 * Handshake, packet protection with the authenticated forward ratchet, per-stream
 * sequence spaces with replay windows consulted only after AEAD, reliable ordered streams
 * (ack + retransmission of frames), flow control, path validation / migration, idle
 * timeout and graceful close. No sockets, no clocks: every entry point takes `now`. */
#include <string.h>

#include "cc.h"
#include "path.h"
#include "replay.h"
#include "session_internal.h"

#define ACK_DELAY_NS 25000000ull          /* max_ack_delay, §6.3 */
#define HELLO_RTO_NS 500000000ull         /* first ClientHello retransmission */
#define GRANULARITY_NS 1000000ull         /* RFC 9002 kGranularity */
#define MAX_LOCAL_STREAMS 1024
#define MAX_RETIRED_ACKS 64
#define MAX_PATH_FRAMES 4
#define MAX_CLOSE_RESENDS 8
/* Caps of the adaptive reordering thresholds (note_spurious), chosen with
 * bench/session/bench_lossy: larger caps (64-256 packets, 2 × RTT) cut retransmissions
 * further but delay the detection of real losses enough to stall 5 %-loss transfers for
 * ~0.9 s at times. */
#define REO_PKT_MAX 24u                   /* packet threshold: 3 .. 24 */
#define REO_TIME8_MAX 12u                 /* time threshold, in 1/8 RTT: 9/8 .. 3/2 × RTT */
#define LOST_RING 64                      /* recent loss declarations kept to spot spurious ones */
#define KEY_MISMATCH_LEN 13
#define US_PT_KEY_MISMATCH 0x06

/* control flags recorded with a space-0 packet, re-queued when it is lost */
#define CTL_MAX_DATA 1u
#define CTL_MSD 2u
#define CTL_PING 4u
#define CTL_CLOSE 8u
#define CTL_TICKET 16u
#define CTL_AUTH 32u

#define TICKET_LIFETIME_NS 3600000000000ull
#define DEFAULT_MAX_EARLY 16384

static const char SIG_CTX[] = "umbra-session/v1";
static const char SERVER_SIG_PREFIX[] = "umbra-session v1 server signature";
static const char CLIENT_SIG_PREFIX[] = "umbra-session v1 client signature";

typedef struct sent_pkt {
    uint64_t seq, time;
    uint64_t off;          /* stream spaces: data range [off, off+len) */
    uint32_t len, size, ctl;
    uint8_t ack_eliciting, done, fin, reset, path, early;
    us__cc_pkt cc;
} sent_pkt;

typedef struct space {
    uint32_t id;
    uint64_t next_seq;
    sent_pkt *sent;        /* ordered by seq; [head, n) live */
    size_t head, n, cap;
    uint64_t largest_acked;
    uint8_t has_acked;
    us__replay replay;
    us__ranges rcvd;       /* received seqs not yet forgotten (for ACK frames) */
    unsigned ack_pending;
    uint64_t ack_deadline, largest_rcvd_time;
} space;

/* ring buffer helpers: offset o lives at buf[o & (cap-1)] */
typedef struct ring {
    uint8_t *buf;
    size_t cap;            /* power of two or 0 */
} ring;

typedef struct stream {
    uint32_t id;
    space sp;
    /* send side: bytes [sbase, swrite) are held */
    ring sr;
    uint64_t sbase, swrite, snext, peer_max;
    us__ranges lost, acked;
    uint8_t fin_written, fin_sent, fin_acked, fin_lost;
    uint8_t reset_local, reset_sent, reset_acked;
    uint32_t reset_code;
    /* receive side: bytes [rbase, rbase + window) may be held */
    ring rr;
    uint64_t rbase, rhigh, rfin, radv;
    us__ranges rrecv;
    uint8_t rfin_known, rfin_read, msd_pending, reset_recv, reset_reported;
    uint32_t reset_recv_code;
} stream;

struct us_conn {
    int is_server, state, err;
    us_config cfg;
    const umbra_identity *identity;
    umbra_peer_key peer;
    uint8_t cid_own[US_CID_LEN], cid_peer[US_CID_LEN], cid_hello[US_CID_LEN];
    /* handshake */
    uint8_t *hello;        /* client: ClientHello; server: ServerHello (for resending) */
    size_t hello_len;
    uc_xwing_dk edk;       /* client: the ephemeral X-Wing key, expanded once (§4.1) */
    uint8_t ss_s[32];
    uint8_t hello_pending, got_retry;
    size_t hello_off;      /* fragmented hellos (§2.6): next offset to send */
    us__reasm *sh_reasm;   /* client: ServerHello fragments received so far (on demand) */
    unsigned hello_tries;
    uint64_t hello_deadline, hs_deadline;
    int aead;
    us__keys tx, rx, rx_prev;
    uint8_t res[32];
    /* 0-RTT (§10): client tx / server rx early keys */
    us__keys early;
    uint64_t early_budget, early_used;
    us_ticket ticket_rx;          /* client: the latest ticket received */
    uint8_t has_ticket_rx, ticket_pending;
    uint8_t ticket_out[US_TICKET_LEN];
    uint8_t ticket_in[US_TICKET_LEN];   /* client: the ticket being used */
    uint8_t use_ticket;
    /* client authentication (§4.4) */
    uint8_t th[32];               /* transcript hash, kept for CLIENT_AUTH */
    uint8_t auth_pending;         /* client: CLIENT_AUTH to build and send */
    uint8_t *auth_msg;            /* client: spk_c || sig_c, signed once (§4.4) */
    uint32_t auth_parts;          /* client: CLIENT_AUTH_PART pieces to (re)send, bit i */
    uint16_t auth_part_len;
    uint8_t *auth_rx;             /* server: body being reassembled, then its byte bitmap */
    size_t auth_rx_have;
    uint8_t client_authed;        /* server: verified */
    uint8_t want_client_auth;     /* server: required; client: flag sent */
    uint8_t client_pk[US_SIG_PK_LEN];
    uint64_t tx_count, rekey_limit, auth_fail, integrity_limit;
    int hs_err;                   /* client: why the last ServerHello was refused */
    /* spaces and streams */
    space sp0;
    stream **streams;
    size_t nstreams, cap_streams;
    uint32_t next_local_id, max_peer_id, rr_cursor, read_cursor;
    struct { uint32_t space; uint64_t seq; } racks[MAX_RETIRED_ACKS];
    size_t nracks;
    /* flow control */
    uint64_t tx_max_data, tx_data, rx_max_adv, rx_data, rx_consumed;
    uint8_t md_pending, ping_pending, confirm_pending;
    /* paths */
    us__paths paths;
    int tx_path;
    uint8_t path_label;
    struct { uint8_t type; int path; uint8_t data[32]; } pframes[MAX_PATH_FRAMES];
    size_t npframes;
    /* congestion control */
    us__cc cc;
    uint64_t pacing_wake;
    uint32_t cur_max;             /* packet size limit of the us_conn_send call in progress */
    /* timers */
    uint64_t last_recv, last_ae_sent, ae_outstanding, last_send, loss_time;
    /* Adaptive reordering window (RFC 9002 §6.1.1-6.1.2 allow adapting both thresholds;
     * RFC 8985 §6.2 widens RACK's window when a loss proves spurious): the packet threshold
     * is 3 + reo_pkt_extra, the time threshold (9 + reo_time_extra) / 8 × RTT. Both only
     * grow, bounded by REO_PKT_MAX and REO_TIME8_MAX. */
    uint32_t reo_pkt_extra, reo_time_extra;
    struct { uint32_t space, len; uint64_t seq, dist, off; } lost_ring[LOST_RING]; /* threshold losses */
    unsigned lost_next, lost_n;
    unsigned pto_count;
    /* close */
    uint8_t close_requested, close_pending;
    unsigned close_resends;
    uint32_t close_code;
    uint64_t close_deadline;
    us_stats st;
    uint8_t pt[US_MAX_PACKET];   /* plaintext scratch */
};

/* ------------------------------------------------------------------------------------- */

const char *us_state_name(int s) {
    switch (s) {
    case US_STATE_HANDSHAKING: return "Handshaking";
    case US_STATE_CONNECTED: return "Connected";
    case US_STATE_MIGRATING: return "Migrating";
    case US_STATE_CLOSING: return "Closing";
    case US_STATE_CLOSED: return "Closed";
    default: return "?";
    }
}

void us_config_default(us_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    cfg->aeads = US_AEAD_AES256GCM | US_AEAD_CHACHA20POLY1305;
    cfg->idle_timeout_ns = 30000000000ull;
    cfg->handshake_timeout_ns = 10000000000ull;
    cfg->stream_window = US_INITIAL_MAX_STREAM_DATA;
    cfg->conn_window = US_INITIAL_MAX_DATA;
    cfg->send_buffer = 1u << 20;
    cfg->max_packet = 1350;
    cfg->max_streams = 128;
}

int us_peer_xpk_new(const umbra_peer_key *peer, uc_compsig_xpk **out) {
    if (!out) return UMBRA_EINVAL;
    *out = NULL;
    if (!peer) return UMBRA_EINVAL;
    int rc = uc_init();
    if (rc) return rc;
    uc_compsig_xpk *x = umbra_malloc(sizeof *x);
    if (!x) return UMBRA_ENOMEM;
    rc = uc_compsig_pk_expand(x, peer->compsig_pk);
    if (rc) {
        umbra_free(x);
        return rc;
    }
    *out = x;
    return 0;
}

void us_peer_xpk_free(uc_compsig_xpk *xpk) { umbra_free(xpk); } /* public data: no wipe */

void us_key_id(uint8_t out[32], const uint8_t xwing_pk[US_XWING_PK_LEN],
               const uint8_t sig_pk[US_SIG_PK_LEN]) {
    static const char label[] = "umbra-session v1 key id";
    uc_sha256_ctx h;
    uc_sha256_init(&h);
    uc_sha256_update(&h, label, strlen(label));
    uc_sha256_update(&h, xwing_pk, US_XWING_PK_LEN);
    uc_sha256_update(&h, sig_pk, US_SIG_PK_LEN);
    uc_sha256_final(&h, out);
}

static size_t pow2_at_least(size_t v) {
    size_t p = 1;
    while (p < v) p <<= 1;
    return p;
}

static void set_state(us_conn *c, int st) {
    if (c->state != st)
        umbra_debug("session %s: %s -> %s (err %d)", c->is_server ? "server" : "client",
                    us_state_name(c->state), us_state_name(st), c->err);
    c->state = st;
}

static void fail(us_conn *c, int err) {
    if (!c->err) c->err = err;
    set_state(c, US_STATE_CLOSED);
}

/* ---- ring buffers ---- */

static void ring_put(ring *r, uint64_t off, const uint8_t *src, size_t n) {
    while (n) {
        size_t pos = (size_t)(off & (r->cap - 1));
        size_t k = r->cap - pos < n ? r->cap - pos : n;
        memcpy(r->buf + pos, src, k);
        off += k, src += k, n -= k;
    }
}

static void ring_get(const ring *r, uint64_t off, uint8_t *dst, size_t n) {
    while (n) {
        size_t pos = (size_t)(off & (r->cap - 1));
        size_t k = r->cap - pos < n ? r->cap - pos : n;
        memcpy(dst, r->buf + pos, k);
        off += k, dst += k, n -= k;
    }
}

/* Makes room for offsets [base, base + need) keeping [base, base + live) intact. */
static int ring_reserve(ring *r, uint64_t base, size_t live, size_t need) {
    if (need <= r->cap) return 0;
    size_t nc = pow2_at_least(need < 16384 ? 16384 : need);
    ring nr = {umbra_malloc(nc), nc};
    if (!nr.buf) return UMBRA_ENOMEM;
    if (r->buf && live) {
        /* copy the live region piecewise (it wraps at most once in the old ring) */
        size_t done = 0;
        while (done < live) {
            size_t pos = (size_t)((base + done) & (r->cap - 1));
            size_t k = r->cap - pos < live - done ? r->cap - pos : live - done;
            ring_put(&nr, base + done, r->buf + pos, k);
            done += k;
        }
    }
    if (r->buf) {
        umbra_wipe(r->buf, r->cap);
        umbra_free(r->buf);
    }
    *r = nr;
    return 0;
}

static void ring_free(ring *r) {
    if (r->buf) {
        umbra_wipe(r->buf, r->cap);
        umbra_free(r->buf);
    }
    r->buf = NULL;
    r->cap = 0;
}

/* ---- spaces ---- */

static void space_init(space *s, uint32_t id) {
    memset(s, 0, sizeof *s);
    s->id = id;
    us__replay_init(&s->replay);
    us__ranges_init(&s->rcvd, US_ACK_MAX_RANGES);
}

static void space_free(space *s) {
    umbra_free(s->sent);
    us__ranges_free(&s->rcvd);
    memset(s, 0, sizeof *s);
}

static sent_pkt *space_push(space *s) {
    if (s->head > 0 && s->head >= s->n / 2) {
        memmove(s->sent, s->sent + s->head, (s->n - s->head) * sizeof *s->sent);
        s->n -= s->head;
        s->head = 0;
    }
    if (s->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 16;
        void *p = umbra_realloc(s->sent, nc * sizeof *s->sent);
        if (!p) return NULL;
        s->sent = p;
        s->cap = nc;
    }
    sent_pkt *p = &s->sent[s->n++];
    memset(p, 0, sizeof *p);
    return p;
}

static void space_pop_done(space *s) {
    while (s->head < s->n && s->sent[s->head].done) s->head++;
    if (s->head == s->n) s->head = s->n = 0;
}

static size_t space_live(const space *s) {
    size_t k = 0;
    for (size_t i = s->head; i < s->n; i++) k += !s->sent[i].done;
    return k;
}

/* ---- streams ---- */

static stream *stream_find(const us_conn *c, uint32_t id) {
    for (size_t i = 0; i < c->nstreams; i++)
        if (c->streams[i]->id == id) return c->streams[i];
    return NULL;
}

static int is_local_id(const us_conn *c, uint32_t id) {
    return c->is_server ? (id % 2 == 0) : (id % 2 == 1);
}

static stream *stream_new(us_conn *c, uint32_t id) {
    if (c->nstreams == c->cap_streams) {
        size_t nc = c->cap_streams ? c->cap_streams * 2 : 8;
        void *p = umbra_realloc(c->streams, nc * sizeof *c->streams);
        if (!p) return NULL;
        c->streams = p;
        c->cap_streams = nc;
    }
    stream *s = umbra_calloc(1, sizeof *s);
    if (!s) return NULL;
    s->id = id;
    space_init(&s->sp, id);
    us__ranges_init(&s->lost, 4096);
    us__ranges_init(&s->acked, 4096);
    us__ranges_init(&s->rrecv, 1024);
    s->peer_max = US_INITIAL_MAX_STREAM_DATA;
    s->radv = c->cfg.stream_window;
    if (s->radv != US_INITIAL_MAX_STREAM_DATA) s->msd_pending = 1;
    c->streams[c->nstreams++] = s;
    return s;
}

static void stream_free(stream *s) {
    space_free(&s->sp);
    ring_free(&s->sr);
    ring_free(&s->rr);
    us__ranges_free(&s->lost);
    us__ranges_free(&s->acked);
    us__ranges_free(&s->rrecv);
    umbra_free(s);
}

static int stream_send_done(const stream *s) {
    return s->fin_acked || s->reset_acked || s->reset_recv;
}

/* A stream is released when both directions are finished and nothing is in flight. */
static void streams_gc(us_conn *c) {
    for (size_t i = 0; i < c->nstreams;) {
        stream *s = c->streams[i];
        int recv_done = s->rfin_read || (s->reset_recv && s->reset_reported) ||
                        (s->reset_local && s->reset_acked);
        if (stream_send_done(s) && recv_done && space_live(&s->sp) == 0 && s->sp.ack_pending == 0) {
            stream_free(s);
            c->streams[i] = c->streams[--c->nstreams];
        } else {
            i++;
        }
    }
}

/* ---- construction ---- */

static int conn_alloc(const us_config *cfg, int is_server, uint64_t now, us_conn **out) {
    us_conn *c = umbra_calloc(1, sizeof *c);
    if (!c) return UMBRA_ENOMEM;
    c->cfg = *cfg;
    us_config d;
    us_config_default(&d);
    if (!c->cfg.aeads) c->cfg.aeads = d.aeads;
    if (!c->cfg.idle_timeout_ns) c->cfg.idle_timeout_ns = d.idle_timeout_ns;
    if (!c->cfg.handshake_timeout_ns) c->cfg.handshake_timeout_ns = d.handshake_timeout_ns;
    if (c->cfg.stream_window < US_INITIAL_MAX_STREAM_DATA) c->cfg.stream_window = US_INITIAL_MAX_STREAM_DATA;
    if (c->cfg.conn_window < US_INITIAL_MAX_DATA) c->cfg.conn_window = US_INITIAL_MAX_DATA;
    if (!c->cfg.send_buffer) c->cfg.send_buffer = d.send_buffer;
    if (c->cfg.max_packet < 64) c->cfg.max_packet = d.max_packet;
    if (c->cfg.max_packet > US_MAX_PACKET) c->cfg.max_packet = US_MAX_PACKET;
    if (!c->cfg.max_streams) c->cfg.max_streams = d.max_streams;
    c->is_server = is_server;
    c->state = US_STATE_HANDSHAKING;
    c->next_local_id = is_server ? 2 : 1;
    c->max_peer_id = 0;
    c->tx_max_data = US_INITIAL_MAX_DATA;
    c->rx_max_adv = c->cfg.conn_window;
    if (c->rx_max_adv != US_INITIAL_MAX_DATA) c->md_pending = 1;
    space_init(&c->sp0, 0);
    us__path_config pc;
    us__path_config_default(&pc);
    pc.dead_losses = 0;        /* liveness is the idle timeout's job */
    pc.idle_timeout_ns = 0;
    us__paths_init(&c->paths, &pc);
    us__cc_config ccc;
    us__cc_config_default(&ccc);
    ccc.mss = c->cfg.max_packet;
    us__cc_init(&c->cc, &ccc, now);
    c->last_recv = now;
    c->last_send = now;
    c->hs_deadline = now + c->cfg.handshake_timeout_ns;
    uc_random(c->cid_own, US_CID_LEN);
    *out = c;
    return 0;
}

void us_conn_free(us_conn *c) {
    if (!c) return;
    for (size_t i = 0; i < c->nstreams; i++) stream_free(c->streams[i]);
    umbra_free(c->streams);
    space_free(&c->sp0);
    us__keys_clear(&c->tx);
    us__keys_clear(&c->rx);
    us__keys_clear(&c->rx_prev);
    us__keys_clear(&c->early);
    umbra_free(c->hello);
    umbra_free(c->sh_reasm);
    umbra_free(c->auth_msg);
    umbra_free(c->auth_rx);
    uc_xwing_dk_wipe(&c->edk);
    umbra_wipe(c, sizeof *c);
    umbra_free(c);
}

static const uint8_t LOCAL0[1] = {0};

#define RETRY_TOKEN_LEN 24
#define RETRY_LIFETIME_NS 10000000000ull

/* token = expiry:8 || HMAC-SHA256(key, "umbra retry" || addr || cid_c || expiry)[0..16] */
static void retry_token(uint8_t out[RETRY_TOKEN_LEN], const uint8_t key[32], const void *addr,
                        size_t addr_len, const uint8_t cid[US_CID_LEN], uint64_t expiry) {
    uint8_t msg[11 + US_ADDR_MAX + US_CID_LEN + 8], mac[32];
    size_t k = 0;
    memcpy(msg, "umbra retry", 11);
    k = 11;
    memcpy(msg + k, addr, addr_len);
    k += addr_len;
    memcpy(msg + k, cid, US_CID_LEN);
    k += US_CID_LEN;
    us__put64(msg + k, expiry);
    k += 8;
    uc_hmac_sha256(mac, key, 32, msg, k);
    us__put64(out, expiry);
    memcpy(out + 8, mac, 16);
}

/* 0-RTT keys (§10): c_e = Expand-Label(psk, "c e", SHA-256(ClientHello), 32), AES-256-GCM. */
static int early_keys(us__keys *k, const uint8_t psk[32], const uint8_t *hello, size_t n) {
    uint8_t th[32], ce[32];
    uc_sha256(th, hello, n);
    int rc = us__expand_label(ce, 32, psk, "c e", th, 32);
    if (!rc) rc = us__keys_init(k, US_AEAD_AES256GCM, ce, 0);
    umbra_wipe(ce, 32);
    return rc;
}

/* psk of a ticket: Expand-Label(res, "resumption", ticket_id, 32). */
static int ticket_psk(uint8_t psk[32], const uint8_t res[32], const uint8_t tid[16]) {
    return us__expand_label(psk, 32, res, "resumption", tid, 16);
}

int us_conn_new_client(const us_config *cfg, const void *peer_addr, size_t addr_len, uint64_t now,
                       us_conn **out) {
    *out = NULL;
    if (!cfg || !cfg->peer || !peer_addr || addr_len == 0 || addr_len > US_ADDR_MAX) return UMBRA_EINVAL;
    /* an expanded key of another server would silently replace the pin: refuse it (the
     * xpk keeps the pk it was expanded from as its first field, umbra/crypto.h) */
    if (cfg->peer_xpk && memcmp(cfg->peer_xpk->pk, cfg->peer->compsig_pk, US_SIG_PK_LEN) != 0)
        return UMBRA_EINVAL;
    int rc = uc_init();
    if (rc) return rc;
    us_conn *c;
    rc = conn_alloc(cfg, 0, now, &c);
    if (rc) return rc;
    c->peer = *cfg->peer;
    int pid = us__paths_add(&c->paths, LOCAL0, 1, peer_addr, addr_len, now);
    if (pid < 0) { rc = pid; goto fail; }
    us__paths_set_validated(&c->paths, pid, now);   /* the client chose this address */
    us__paths_set_primary(&c->paths, pid);
    c->tx_path = pid;
    c->hello_len = US_CLIENT_HELLO_MIN;
    c->hello = umbra_malloc(c->hello_len);
    if (!c->hello) { rc = UMBRA_ENOMEM; goto fail; }
    uint8_t *h = c->hello;
    uint8_t epk[US_XWING_PK_LEN];
    h[0] = US_PT_CLIENT_HELLO;
    us__put32(h + 1, US_VERSION);
    memcpy(h + 5, c->cid_own, US_CID_LEN);
    memcpy(c->cid_hello, c->cid_own, US_CID_LEN);
    uc_random(h + 13, 32);
    us_key_id(h + 45, c->peer.xwing_pk, c->peer.compsig_pk);
    /* ct_s: implicit authentication of the pinned server (PROTOCOL.md §4.1) */
    rc = uc_xwing_encaps(h + 77, c->ss_s, c->peer.xwing_pk);
    if (rc) goto fail;
    /* the ephemeral key is expanded once: uc_xwing_keypair() followed by uc_xwing_decaps()
     * would derive the ML-KEM key pair from the seed twice */
    uint8_t eseed[32];
    uc_random(eseed, sizeof eseed);
    rc = uc_xwing_dk_expand(&c->edk, epk, eseed);
    umbra_wipe(eseed, sizeof eseed);
    if (rc) goto fail;
    memcpy(h + 1197, epk, sizeof epk);
    h[2413] = (uint8_t)(c->cfg.aeads & 3u);
    h[2414] = 0;
    us__put16(h + 2415, 0);
    if (cfg->identity) {
        c->identity = cfg->identity;
        c->want_client_auth = 1;
        h[2414] |= US_CH_CLIENT_AUTH;
    }
    if (cfg->ticket && (c->cfg.aeads & US_AEAD_AES256GCM)) {
        /* resumption: the ticket rides in the token field, 0-RTT keys follow (§10) */
        uint8_t kid[32];
        us_key_id(kid, c->peer.xwing_pk, c->peer.compsig_pk);
        if (memcmp(kid, cfg->ticket->key_id, 32) == 0) {
            h = umbra_realloc(c->hello, US_CLIENT_HELLO_MIN + US_TICKET_LEN);
            if (!h) { rc = UMBRA_ENOMEM; goto fail; }
            c->hello = h;
            c->hello_len = US_CLIENT_HELLO_MIN + US_TICKET_LEN;
            h[2414] |= US_CH_TICKET;
            us__put16(h + 2415, US_TICKET_LEN);
            memcpy(h + US_CLIENT_HELLO_MIN, cfg->ticket->ticket, US_TICKET_LEN);
            memcpy(c->ticket_in, cfg->ticket->ticket, US_TICKET_LEN);
            c->use_ticket = 1;
            rc = early_keys(&c->early, cfg->ticket->psk, c->hello, c->hello_len);
            if (rc) goto fail;
            c->early_budget = cfg->ticket->max_early;
            c->st.early = 1; /* tentatively; -1 if the server refuses */
        }
    }
    c->hello_pending = 1;
    c->hello_deadline = now + HELLO_RTO_NS;
    *out = c;
    return 0;
fail:
    us_conn_free(c);
    return rc;
}

int us_packet_route(const uint8_t *pkt, size_t n, uint8_t cid[US_CID_LEN]) {
    if (n < 13) return UMBRA_EMALFORMED;
    if (pkt[0] == US_PT_DATA || pkt[0] == US_PT_EARLY) {
        if (n < US_HDR_LEN) return UMBRA_EMALFORMED;
        memcpy(cid, pkt + 4, US_CID_LEN);
        return pkt[0];
    }
    if (pkt[0] == US_PT_CLIENT_HELLO || pkt[0] == US_PT_HS_FRAGMENT) {
        memcpy(cid, pkt + 5, US_CID_LEN);
        return pkt[0];
    }
    return UMBRA_EMALFORMED;
}

void us_conn_cids(const us_conn *c, uint8_t own[US_CID_LEN], uint8_t hello[US_CID_LEN]) {
    memcpy(own, c->cid_own, US_CID_LEN);
    memcpy(hello, c->cid_hello, US_CID_LEN);
}

static int install_keys(us_conn *c, const uint8_t th[32], const uint8_t ss_e[32]) {
    uint8_t hs[32], cap[32], sap[32];
    memcpy(c->th, th, 32);
    us__handshake_secret(hs, c->ss_s, ss_e);
    int rc = us__traffic_secrets(hs, th, cap, sap, c->res);
    if (!rc) rc = us__keys_init(&c->tx, c->aead, c->is_server ? sap : cap, 0);
    if (!rc) rc = us__keys_init(&c->rx, c->aead, c->is_server ? cap : sap, 0);
    umbra_wipe(hs, 32);
    umbra_wipe(cap, 32);
    umbra_wipe(sap, 32);
    umbra_wipe(c->ss_s, 32);
    uc_xwing_dk_wipe(&c->edk);
    if (rc) return rc;
    /* RFC 9001 §6.6 limits, with a margin (PROTOCOL.md §5.3) */
    if (c->aead == US_AEAD_AES256GCM) {
        c->rekey_limit = (1ull << 23) / 4 * 3;
        c->integrity_limit = 1ull << 52;
    } else {
        c->rekey_limit = 1ull << 32;
        c->integrity_limit = 1ull << 36;
    }
    if (c->cfg.rekey_after && c->cfg.rekey_after < c->rekey_limit) c->rekey_limit = c->cfg.rekey_after;
    c->st.aead = c->aead;
    return 0;
}

/* Server: checks a resumption ticket (AES-256-GCM under cfg->ticket_key, unexpired, first
 * use) and installs the 0-RTT receive keys. 0 = 0-RTT accepted. */
static int accept_ticket(us_conn *c, const us_config *cfg, const uint8_t *t, const uint8_t *hello,
                         size_t hello_len, uint64_t now) {
    uint8_t psk[32];
    if (!cfg->ticket_key || !cfg->ticket_seen) return UMBRA_EUNSUPPORTED;
    /* ticket = id:16 || expiry:8 || AES-256-GCM(ticket_key, nonce = id[0..12],
     *          aad = id || expiry, psk):32+16 */
    if (uc_aead_open_ex(UC_AEAD_AES256GCM, cfg->ticket_key, 32, t, 12, t, 24, t + 24, 32, t + 56, 16,
                        psk) != 0)
        return UMBRA_EAUTH;
    uint64_t expiry = us__get64(t + 16);
    int rc = UMBRA_EAUTH;
    if (expiry >= now && expiry <= now + TICKET_LIFETIME_NS && cfg->ticket_seen(cfg->ticket_ud, t, expiry) == 0) {
        rc = early_keys(&c->early, psk, hello, hello_len);
        c->early_budget = cfg->max_early_data ? cfg->max_early_data : DEFAULT_MAX_EARLY;
    }
    umbra_wipe(psk, 32);
    return rc;
}

/* Server: seals a fresh ticket for this session into c->ticket_out (§10). */
static int make_ticket(us_conn *c, uint64_t now) {
    uint8_t *t = c->ticket_out, psk[32];
    uc_random(t, 16);
    us__put64(t + 16, now + TICKET_LIFETIME_NS);
    int rc = ticket_psk(psk, c->res, t);
    if (!rc) rc = uc_aead_seal_ex(UC_AEAD_AES256GCM, c->cfg.ticket_key, 32, t, 12, t, 24, psk, 32, t + 24, t + 56, 16);
    umbra_wipe(psk, 32);
    return rc;
}

int us_conn_accept(const us_config *cfg, const uint8_t *pkt, size_t n, const void *from,
                   size_t from_len, uint64_t now, us_conn **out, uint8_t *reply, size_t reply_cap,
                   size_t *reply_len) {
    *out = NULL;
    if (reply_len) *reply_len = 0;
    if (!cfg || !cfg->identity || !pkt || !from || from_len == 0 || from_len > US_ADDR_MAX)
        return UMBRA_EINVAL;
    int rc = uc_init();
    if (rc) return rc;
    us__client_hello ch;
    rc = us__client_hello_decode(&ch, pkt, n);
    if (rc == UMBRA_EVERSION) {
        if (reply && reply_len) {
            int k = us__version_neg_encode(reply, reply_cap, ch.cid);
            if (k > 0) *reply_len = (size_t)k;
        }
        return rc;
    }
    if (rc) return UMBRA_EMALFORMED;
    /* token = [retry token] [ticket (72) when flags has US_CH_TICKET] (§9, §10) */
    size_t retry_len = ch.token_len - ((ch.flags & US_CH_TICKET) ? US_TICKET_LEN : 0);
    const uint8_t *ticket = (ch.flags & US_CH_TICKET) ? ch.token + retry_len : NULL;
    int addr_validated = 0;
    if (cfg->require_retry) {
        if (!cfg->retry_key) return UMBRA_EINVAL;
        if (retry_len == 0) {
            /* PROTOCOL.md §9: stateless Retry carrying an address-bound token */
            if (reply && reply_len && reply_cap >= 15 + RETRY_TOKEN_LEN) {
                reply[0] = US_PT_RETRY;
                us__put32(reply + 1, US_VERSION);
                memcpy(reply + 5, ch.cid, US_CID_LEN);
                us__put16(reply + 13, RETRY_TOKEN_LEN);
                retry_token(reply + 15, cfg->retry_key, from, from_len, ch.cid, now + RETRY_LIFETIME_NS);
                *reply_len = 15 + RETRY_TOKEN_LEN;
            }
            return UMBRA_EAGAIN;
        }
        uint8_t want[RETRY_TOKEN_LEN];
        if (retry_len != RETRY_TOKEN_LEN) return UMBRA_EAUTH;
        uint64_t expiry = us__get64(ch.token);
        retry_token(want, cfg->retry_key, from, from_len, ch.cid, expiry);
        if (umbra_ct_equal(want, ch.token, RETRY_TOKEN_LEN) != 0 || expiry < now ||
            expiry > now + RETRY_LIFETIME_NS)
            return UMBRA_EAUTH;
        addr_validated = 1;
    }
    uint8_t kid[32];
    us_key_id(kid, umbra_identity_xwing_pk(cfg->identity), umbra_identity_compsig_pk(cfg->identity));
    if (umbra_ct_equal(kid, ch.key_id, 32) != 0) {
        /* KeyMismatch (PROTOCOL.md §2.5): lets the client report a wrong pinned key. */
        if (reply && reply_len && reply_cap >= KEY_MISMATCH_LEN) {
            reply[0] = US_PT_KEY_MISMATCH;
            us__put32(reply + 1, US_VERSION);
            memcpy(reply + 5, ch.cid, US_CID_LEN);
            *reply_len = KEY_MISMATCH_LEN;
        }
        return UMBRA_EPEER_KEY;
    }
    unsigned common = ch.aeads & (cfg->aeads ? cfg->aeads : 3u);
    if (!common) return UMBRA_EHANDSHAKE;
    us_conn *c;
    rc = conn_alloc(cfg, 1, now, &c);
    if (rc) return rc;
    c->identity = cfg->identity;
    c->aead = (common & US_AEAD_AES256GCM) ? US_AEAD_AES256GCM : US_AEAD_CHACHA20POLY1305;
    memcpy(c->cid_peer, ch.cid, US_CID_LEN);
    memcpy(c->cid_hello, ch.cid, US_CID_LEN);
    int pid = us__paths_add(&c->paths, LOCAL0, 1, from, from_len, now);
    if (pid < 0) { rc = pid; goto fail; }
    us__paths_set_primary(&c->paths, pid);
    /* anti-amplification budget (§2.6, §7): a fragmented hello arrived as 1200-byte datagrams */
    size_t rx = cfg->fragment_hellos ? (n + US_FRAG_DATA_MAX - 1) / US_FRAG_DATA_MAX * US_FRAG_DGRAM_MAX : n;
    us__paths_on_recv(&c->paths, pid, rx, now);
    if (addr_validated) us__paths_set_validated(&c->paths, pid, now);
    c->tx_path = pid;
    uint8_t ss_e[32], th[32];
    rc = umbra_identity_decaps(c->identity, c->ss_s, ch.ct_s);
    if (rc) goto fail;
    c->hello_len = US_SERVER_HELLO_LEN;
    c->hello = umbra_malloc(c->hello_len);
    if (!c->hello) { rc = UMBRA_ENOMEM; goto fail; }
    uint8_t *h = c->hello;
    h[0] = US_PT_SERVER_HELLO;
    us__put32(h + 1, US_VERSION);
    memcpy(h + 5, ch.cid, US_CID_LEN);
    memcpy(h + 13, c->cid_own, US_CID_LEN);
    uc_random(h + 21, 32);
    rc = uc_xwing_encaps(h + 53, ss_e, ch.epk);
    if (rc) goto fail;
    h[1173] = (uint8_t)c->aead;
    h[1174] = 0;
    if (cfg->require_client_auth) {
        c->want_client_auth = 1;
        h[1174] |= 1; /* client authentication required */
    }
    if (ticket) {
        c->st.early = -1;
        if (accept_ticket(c, cfg, ticket, pkt, n, now) == 0) {
            h[1174] |= US_SH_EARLY_ACCEPTED;
            c->st.early = 1;
        }
    }
    uc_sha256_ctx hc;
    uc_sha256_init(&hc);
    uc_sha256_update(&hc, pkt, n);
    uc_sha256_update(&hc, h, 1175);
    uc_sha256_final(&hc, th);
    uint8_t m[sizeof SERVER_SIG_PREFIX + 32];
    memcpy(m, SERVER_SIG_PREFIX, sizeof SERVER_SIG_PREFIX); /* includes the 0x00 */
    memcpy(m + sizeof SERVER_SIG_PREFIX, th, 32);
    rc = umbra_identity_sign(c->identity, h + 1175, m, sizeof m, (const uint8_t *)SIG_CTX,
                             strlen(SIG_CTX));
    if (rc) goto fail;
    rc = install_keys(c, th, ss_e);
    umbra_wipe(ss_e, 32);
    if (rc) goto fail;
    c->hello_pending = 1;
    *out = c;
    return 0;
fail:
    us_conn_free(c);
    return rc;
}

/* ---- receiving ---- */

/* Stream bytes [off, off+len) reached the peer: no longer to be resent; the send buffer's
 * base advances over acknowledged bytes. */
static void stream_range_acked(stream *s, uint64_t off, uint64_t len) {
    if (off + len <= s->sbase) return;
    if (off < s->sbase) len -= s->sbase - off, off = s->sbase;
    us__ranges_add(&s->acked, off, off + len, 0);
    us__ranges_remove(&s->lost, off, off + len);
    while (s->acked.n && s->acked.r[0].lo <= s->sbase) {
        if (s->acked.r[0].hi > s->sbase) s->sbase = s->acked.r[0].hi;
        us__ranges_trim_below(&s->acked, s->sbase);
        if (s->acked.n && s->acked.r[0].lo > s->sbase) break;
    }
    us__ranges_trim_below(&s->lost, s->sbase);
}

/* ack_delay_ns: the ACK frame's ack delay, already capped at max_ack_delay. */
static void on_acked(us_conn *c, space *sp, stream *s, sent_pkt *p, uint64_t now, uint64_t ack_delay_ns) {
    p->done = 1;
    if (p->ack_eliciting) {
        if (!p->early) {
            /* RFC 9002 §5.3: the controller gets latest_rtt - ack_delay, unless that would
             * fall below min_rtt (then the raw sample: min_rtt itself never includes the
             * adjustment). The delay is reported for the frame's largest packet; every other
             * packet in the frame reached the peer earlier, so its host delay was at least as
             * long and the adjusted sample still bounds its network RTT from above. Without
             * this a delayed ACK looks like queueing to the controller's queue-evidence test
             * (cc.c) and inflates its smoothed RTT. */
            uint64_t rtt = now > p->cc.sent_ns ? now - p->cc.sent_ns : 0;
            if (rtt && c->cc.min_rtt_ns != UINT64_MAX && rtt >= c->cc.min_rtt_ns + ack_delay_ns)
                rtt -= ack_delay_ns;
            us__cc_on_ack_rtt(&c->cc, &p->cc, now, rtt);
        }
        if (c->ae_outstanding) c->ae_outstanding--;
    }
    c->pto_count = 0;
    if (s) {
        if (p->len) stream_range_acked(s, p->off, p->len);
        if (p->fin) s->fin_acked = 1, s->fin_lost = 0;
        if (p->reset) s->reset_acked = 1;
    }
}

static void on_lost(us_conn *c, space *sp, stream *s, sent_pkt *p, uint64_t now) {
    p->done = 1;
    if (p->ack_eliciting) {
        if (!p->early) us__cc_on_lost(&c->cc, &p->cc, now);
        if (c->ae_outstanding) c->ae_outstanding--;
    }
    c->st.lost_packets++;
    if (s) {
        if (p->len && p->off + p->len > s->sbase) {
            uint64_t lo = p->off < s->sbase ? s->sbase : p->off;
            us__ranges_add(&s->lost, lo, p->off + p->len, 1);
        }
        if (p->fin && !s->fin_acked) s->fin_lost = 1;
        if (p->reset && !s->reset_acked) s->reset_sent = 0;
    } else {
        if (p->ctl & CTL_MAX_DATA) c->md_pending = 1;
        if (p->ctl & CTL_MSD)
            for (size_t i = 0; i < c->nstreams; i++) c->streams[i]->msd_pending = 1;
        if ((p->ctl & CTL_CLOSE) && c->state == US_STATE_CLOSING) c->close_pending = 1;
        if (p->ctl & CTL_TICKET) c->ticket_pending = 1;
        if (p->ctl & CTL_AUTH) c->auth_parts |= 1u << p->off; /* that piece again */
    }
}

static void detect_lost(us_conn *c, space *sp, stream *s, uint64_t now) {
    if (!sp->has_acked) return;
    const us__path *pa = us__paths_get(&c->paths, c->tx_path);
    uint64_t rtt = pa && pa->has_rtt ? pa->smoothed_rtt_ns : 100000000ull;
    if (pa && pa->has_rtt && pa->latest_rtt_ns > rtt) rtt = pa->latest_rtt_ns;
    uint64_t delay = rtt * (9 + c->reo_time_extra) / 8;
    if (delay < GRANULARITY_NS) delay = GRANULARITY_NS;
    uint64_t pkt_thresh = 3 + (uint64_t)c->reo_pkt_extra;
    for (size_t i = sp->head; i < sp->n; i++) {
        sent_pkt *p = &sp->sent[i];
        if (p->done) continue;
        if (p->seq >= sp->largest_acked) break;
        /* RFC 9002 §6.1: packet threshold (3), time threshold (9/8 × rtt), both widened by
         * spurious losses (note_spurious) */
        if (sp->largest_acked - p->seq >= pkt_thresh || p->time + delay <= now) {
            unsigned k = c->lost_next;
            c->lost_ring[k].space = sp->id;
            c->lost_ring[k].seq = p->seq;
            c->lost_ring[k].dist = sp->largest_acked - p->seq;
            c->lost_ring[k].off = p->off;
            c->lost_ring[k].len = s ? p->len : 0;
            c->lost_next = (k + 1) % LOST_RING;
            if (c->lost_n < LOST_RING) c->lost_n++;
            on_lost(c, sp, s, p, now);
        } else if (!c->loss_time || p->time + delay < c->loss_time)
            c->loss_time = p->time + delay; /* RFC 9002 §6.1.2 loss timer */
    }
    space_pop_done(sp);
}

/* The loss timer fired: re-run detection in every space (RFC 9002 §6.2.1 order: the loss
 * timer before the PTO). */
static void on_loss_timer(us_conn *c, uint64_t now) {
    c->loss_time = 0;
    detect_lost(c, &c->sp0, NULL, now);
    for (size_t j = 0; j < c->nstreams; j++) detect_lost(c, &c->streams[j]->sp, c->streams[j], now);
}

/* A packet that detect_lost declared lost was acknowledged after all: it was reordered,
 * not lost (RFC 9002 §6.1, RFC 8985 §6.2). Widen the packet threshold past the distance at
 * which it was declared, and the time threshold by 1/8 RTT, so the same amount of
 * reordering no longer costs a retransmission. The ring entry is consumed. */
static void note_spurious(us_conn *c, const us__frame *f, uint32_t space_id) {
    for (unsigned i = 0; i < c->lost_n; i++) { /* [0, lost_n) are filled */
        if (c->lost_ring[i].space != space_id || c->lost_ring[i].seq == UINT64_MAX) continue;
        uint64_t seq = c->lost_ring[i].seq;
        for (unsigned r = 0; r < f->nranges; r++) {
            if (seq < f->ranges[r].first || seq > f->ranges[r].last) continue;
            uint64_t want = c->lost_ring[i].dist + 1 > 3 ? c->lost_ring[i].dist + 1 - 3 : 0;
            if (want > REO_PKT_MAX - 3) want = REO_PKT_MAX - 3;
            if (want > c->reo_pkt_extra) c->reo_pkt_extra = (uint32_t)want;
            if (9 + c->reo_time_extra < REO_TIME8_MAX) c->reo_time_extra++;
            /* its data did arrive: drop it from the resend queue if not resent yet */
            stream *st = c->lost_ring[i].len ? stream_find(c, space_id) : NULL;
            if (st) stream_range_acked(st, c->lost_ring[i].off, c->lost_ring[i].len);
            c->lost_ring[i].seq = UINT64_MAX;
            break;
        }
    }
}

static void handle_ack(us_conn *c, const us__frame *f, uint64_t now) {
    space *sp;
    stream *s = NULL;
    if (f->stream == 0) {
        sp = &c->sp0;
    } else {
        s = stream_find(c, f->stream);
        if (!s) return;
        sp = &s->sp;
    }
    uint64_t largest = f->ranges[0].last;
    if (largest >= sp->next_seq) return; /* acks something never sent: ignore the frame */
    /* RFC 9002 §5.3: the peer's ack delay counts at most up to max_ack_delay (a peer could
     * otherwise report any delay and shrink our RTT estimates at will). */
    uint64_t ad = (uint64_t)f->code * 1000;
    if (ad > ACK_DELAY_NS) ad = ACK_DELAY_NS;
    if (c->lost_n) note_spurious(c, f, sp->id);
    int newly_largest = 0;
    uint64_t largest_time = 0;
    uint8_t largest_path = 0;
    for (size_t i = sp->head; i < sp->n; i++) {
        sent_pkt *p = &sp->sent[i];
        if (p->done) continue;
        for (unsigned r = 0; r < f->nranges; r++) {
            if (p->seq >= f->ranges[r].first && p->seq <= f->ranges[r].last) {
                if (p->seq == largest && p->ack_eliciting) {
                    newly_largest = 1;
                    largest_time = p->time;
                    largest_path = p->path;
                }
                on_acked(c, sp, s, p, now, ad);
                break;
            }
        }
    }
    if (!sp->has_acked || largest > sp->largest_acked) {
        sp->largest_acked = largest;
        sp->has_acked = 1;
    }
    if (newly_largest && now > largest_time) {
        uint64_t rtt = now - largest_time;
        if (rtt > ad + GRANULARITY_NS) rtt -= ad;
        us__paths_on_rtt(&c->paths, largest_path, rtt);
    }
    detect_lost(c, sp, s, now);
}

/* Opens (creating implicitly, RFC 9000 §3.2 style) a peer-initiated stream. Returns the
 * stream, NULL for a retired one (*retired = 1) or a fatal error in *err. */
static stream *peer_stream(us_conn *c, uint32_t id, int *retired, int *err) {
    *retired = 0;
    *err = 0;
    stream *s = stream_find(c, id);
    if (s) return s;
    if (is_local_id(c, id)) {
        if (id < c->next_local_id) *retired = 1;
        else *err = UMBRA_EPROTO;
        return NULL;
    }
    if (id <= c->max_peer_id) {
        *retired = 1;
        return NULL;
    }
    size_t open = 0;
    for (size_t i = 0; i < c->nstreams; i++) open += !is_local_id(c, c->streams[i]->id);
    uint32_t first = c->max_peer_id ? c->max_peer_id + 2 : (c->is_server ? 1 : 2);
    if (open + (id - first) / 2 + 1 > c->cfg.max_streams) {
        *err = UMBRA_EPROTO;
        return NULL;
    }
    /* 64-bit counter: with id near UINT32_MAX a 32-bit k += 2 would wrap to a small id and
     * the loop would never end (allocating streams without bound) */
    for (uint64_t k = first; k <= id; k += 2) {
        s = stream_new(c, (uint32_t)k);
        if (!s) {
            *err = UMBRA_ENOMEM;
            return NULL;
        }
    }
    c->max_peer_id = id;
    return s;
}

/* k more received bytes are consumed (read, or dropped by a reset): the connection window
 * is re-advertised when half of it was consumed (§6.4). */
static void conn_credit(us_conn *c, uint64_t k) {
    c->rx_consumed += k;
    if (c->rx_consumed + c->cfg.conn_window - c->rx_max_adv >= c->cfg.conn_window / 2) {
        c->rx_max_adv = c->rx_consumed + c->cfg.conn_window;
        c->md_pending = 1;
    }
}

static int handle_stream_frame(us_conn *c, stream *s, const us__frame *f) {
    uint64_t end = f->offset + f->len;
    if (s->reset_recv) return 0;
    if (end > s->radv) return UMBRA_EFLOW;
    if (s->rfin_known && end > s->rfin) return UMBRA_EPROTO;
    if (f->fin) {
        if (s->rfin_known && s->rfin != end) return UMBRA_EPROTO;
        if (end < s->rhigh) return UMBRA_EPROTO;
        s->rfin = end;
        s->rfin_known = 1;
    }
    if (end > s->rhigh) {
        c->rx_data += end - s->rhigh;
        s->rhigh = end;
        if (c->rx_data > c->rx_max_adv) return UMBRA_EFLOW;
    }
    if (end <= s->rbase || f->len == 0) return 0;
    uint64_t lo = f->offset < s->rbase ? s->rbase : f->offset;
    const uint8_t *d = f->data + (lo - f->offset);
    size_t n = (size_t)(end - lo);
    if (us__ranges_contains(&s->rrecv, lo, end)) return 0;
    /* the whole old ring is live: it maps offsets [rbase, rbase + cap) */
    int rc = ring_reserve(&s->rr, s->rbase, s->rr.cap, (size_t)(end - s->rbase));
    if (rc) return rc;
    if (us__ranges_add(&s->rrecv, lo, end, 0) != 0) return 0; /* too fragmented: drop, resent later */
    ring_put(&s->rr, lo, d, n);
    return 0;
}

static void queue_path_frame(us_conn *c, uint8_t type, int path, const uint8_t data[32]) {
    if (c->npframes == MAX_PATH_FRAMES) return;
    c->pframes[c->npframes].type = type;
    c->pframes[c->npframes].path = path;
    memcpy(c->pframes[c->npframes].data, data, 32);
    c->npframes++;
}

/* Server: verifies a client's spk_c || sig_c (§4.4) and asks the application. */
static int client_auth_check(us_conn *c, const uint8_t *body) {
    uint8_t m[sizeof CLIENT_SIG_PREFIX + 32];
    memcpy(m, CLIENT_SIG_PREFIX, sizeof CLIENT_SIG_PREFIX); /* includes the 0x00 */
    memcpy(m + sizeof CLIENT_SIG_PREFIX, c->th, 32);
    if (uc_compsig_verify(body + US_SIG_PK_LEN, m, sizeof m, (const uint8_t *)SIG_CTX, strlen(SIG_CTX),
                          body) != 0)
        return UMBRA_EPEER_KEY;
    if (c->cfg.authorize && c->cfg.authorize(c->cfg.authorize_ud, body) != 0) return UMBRA_EPERM;
    memcpy(c->client_pk, body, US_SIG_PK_LEN);
    c->client_authed = 1;
    return 0;
}

static int process_frames(us_conn *c, stream *s, uint32_t space_id, const uint8_t *p, size_t n,
                          int path, int *ack_eliciting, uint64_t now) {
    *ack_eliciting = 0;
    while (n) {
        us__frame f;
        int k = us__frame_decode(&f, p, n);
        if (k < 0) return UMBRA_EPROTO;
        p += k;
        n -= (size_t)k;
        if (f.type != US_FT_PADDING && f.type != US_FT_ACK) *ack_eliciting = 1;
        int in0 = space_id == 0;
        switch (f.type) {
        case US_FT_PADDING:
            break;
        case US_FT_PING:
            if (!in0) return UMBRA_EPROTO;
            break;
        case US_FT_ACK:
            if (!in0) return UMBRA_EPROTO;
            handle_ack(c, &f, now);
            break;
        case US_FT_STREAM: {
            if (in0 || f.stream != space_id) return UMBRA_EPROTO;
            if (!s) break; /* retired stream: data already delivered */
            int rc = handle_stream_frame(c, s, &f);
            if (rc) return rc;
            break;
        }
        case US_FT_RESET_STREAM:
            if (in0 || f.stream != space_id) return UMBRA_EPROTO;
            if (s && !s->reset_recv) {
                if (f.value < s->rhigh || (s->rfin_known && f.value != s->rfin)) return UMBRA_EPROTO;
                /* RFC 9000 §4.5: a final size beyond the advertised stream or connection
                 * limit is a flow-control error, as for STREAM frames */
                if (f.value > s->radv) return UMBRA_EFLOW;
                if (f.value > s->rhigh) {
                    c->rx_data += f.value - s->rhigh;
                    s->rhigh = f.value;
                    if (c->rx_data > c->rx_max_adv) return UMBRA_EFLOW;
                }
                s->reset_recv = 1;
                s->reset_recv_code = f.code;
                /* the application never reads [rbase, final size): that connection credit
                 * is consumed now (RFC 9000 §4.5), else every reset stream would shrink the
                 * connection window for good; the buffered bytes are dropped */
                conn_credit(c, f.value - s->rbase);
                ring_free(&s->rr);
            }
            break;
        case US_FT_MAX_DATA:
            if (!in0) return UMBRA_EPROTO;
            if (f.value > c->tx_max_data) c->tx_max_data = f.value;
            break;
        case US_FT_MAX_STREAM_DATA: {
            if (!in0) return UMBRA_EPROTO;
            stream *t = stream_find(c, f.stream);
            if (t && f.value > t->peer_max) t->peer_max = f.value;
            break;
        }
        case US_FT_PATH_CHALLENGE:
            if (!in0) return UMBRA_EPROTO;
            queue_path_frame(c, US_FT_PATH_RESPONSE, path, f.data);
            break;
        case US_FT_PATH_RESPONSE: {
            if (!in0) return UMBRA_EPROTO;
            int id = us__paths_on_response(&c->paths, f.data, now);
            if (id >= 0 && id == c->tx_path) {
                us__paths_set_primary(&c->paths, id);
                if (c->state == US_STATE_MIGRATING) set_state(c, US_STATE_CONNECTED);
                /* the peer moved: forget its older addresses so the registry never fills
                 * up over many migrations */
                for (int i = 0; i < US_PATH_MAX; i++)
                    if (i != id && us__paths_get(&c->paths, i)) us__paths_remove(&c->paths, i);
            }
            break;
        }
        case US_FT_CLOSE:
            if (!in0) return UMBRA_EPROTO;
            if (!c->err && f.code) c->err = -(int)(f.code > 0x7fffffff ? 0x7fffffff : f.code);
            if (!c->err && f.code == 0 && c->state != US_STATE_CLOSING) c->err = 0;
            set_state(c, US_STATE_CLOSED);
            return 0;
        case US_FT_NEW_TICKET:
            if (!in0 || c->is_server) return UMBRA_EPROTO;
            memcpy(c->ticket_rx.ticket, f.data, US_TICKET_LEN);
            if (ticket_psk(c->ticket_rx.psk, c->res, f.data) != 0) return UMBRA_EINTERNAL;
            us_key_id(c->ticket_rx.key_id, c->peer.xwing_pk, c->peer.compsig_pk);
            c->ticket_rx.max_early = f.code;
            c->has_ticket_rx = 1;
            break;
        case US_FT_CLIENT_AUTH: {
            if (!in0 || !c->is_server || !c->want_client_auth) return UMBRA_EPROTO;
            if (c->client_authed) break; /* a retransmission */
            int rc = client_auth_check(c, f.data);
            if (rc) return rc;
            break;
        }
        case US_FT_CLIENT_AUTH_PART: {
            /* §4.4: pieces of spk_c || sig_c in a bounded buffer (5357 bytes + bitmap),
             * first-come bytes, any order; verified once complete */
            if (!in0 || !c->is_server || !c->want_client_auth) return UMBRA_EPROTO;
            if (c->client_authed) break;
            if (!c->auth_rx) {
                c->auth_rx = umbra_calloc(1, US_CLIENT_AUTH_BODY + (US_CLIENT_AUTH_BODY + 7) / 8);
                if (!c->auth_rx) break; /* as if lost: the client re-sends the piece */
            }
            uint8_t *bits = c->auth_rx + US_CLIENT_AUTH_BODY;
            for (size_t i = 0; i < f.len; i++) {
                size_t o = (size_t)f.offset + i;
                if (bits[o >> 3] & (1u << (o & 7))) continue;
                bits[o >> 3] |= (uint8_t)(1u << (o & 7));
                c->auth_rx[o] = f.data[i];
                c->auth_rx_have++;
            }
            if (c->auth_rx_have < US_CLIENT_AUTH_BODY) break;
            int rc = client_auth_check(c, c->auth_rx);
            umbra_free(c->auth_rx);
            c->auth_rx = NULL;
            if (rc) return rc;
            break;
        }
        default:
            return UMBRA_EPROTO;
        }
    }
    return 0;
}

static int try_open(us_conn *c, us__keys *k, const us__hdr *h, const uint8_t *pkt, size_t n) {
    return us__open(k, h, pkt, n, c->pt, sizeof c->pt);
}

static int open_packet(us_conn *c, const us__hdr *h, const uint8_t *pkt, size_t n) {
    if (h->epoch == c->rx.epoch) return try_open(c, &c->rx, h, pkt, n);
    if (c->rx_prev.valid && h->epoch == c->rx_prev.epoch) return try_open(c, &c->rx_prev, h, pkt, n);
    if (h->epoch < c->rx.epoch || h->epoch - c->rx.epoch > US_MAX_REKEY_CATCHUP) return UMBRA_EAUTH;
    /* PROTOCOL.md §5.2: derive the candidate epoch on a copy, trial-decrypt, commit only
     * on success. */
    uint8_t sec[32], nxt[32];
    memcpy(sec, c->rx.secret, 32);
    for (unsigned i = c->rx.epoch; i < h->epoch; i++) {
        if (us__next_secret(nxt, sec)) {
            umbra_wipe(sec, 32);
            umbra_wipe(nxt, 32);
            return UMBRA_EAUTH;
        }
        memcpy(sec, nxt, 32);
    }
    umbra_wipe(nxt, 32);
    us__keys cand;
    int rc = us__keys_init(&cand, c->aead, sec, h->epoch);
    umbra_wipe(sec, 32);
    if (rc) return UMBRA_EAUTH;
    rc = try_open(c, &cand, h, pkt, n);
    if (rc < 0) {
        us__keys_clear(&cand);
        return rc;
    }
    us__keys_clear(&c->rx_prev);
    c->rx_prev = c->rx;
    c->rx = cand;
    c->st.rx_epoch = h->epoch;
    return rc;
}

/* Client: the server refused (or never saw) our 0-RTT data: every early packet counts as
 * lost, so its stream data is re-sent under the 1-RTT keys. */
static void abandon_early(us_conn *c, uint64_t now) {
    c->st.early = -1;
    for (size_t j = 0; j < c->nstreams; j++) {
        stream *s = c->streams[j];
        for (size_t i = s->sp.head; i < s->sp.n; i++)
            if (!s->sp.sent[i].done && s->sp.sent[i].early) on_lost(c, &s->sp, s, &s->sp.sent[i], now);
        space_pop_done(&s->sp);
    }
    us__keys_clear(&c->early);
}

static int client_on_server_hello(us_conn *c, const uint8_t *pkt, size_t n, uint64_t now) {
    us__server_hello sh;
    if (us__server_hello_decode(&sh, pkt, n) != 0) return 0;
    if (memcmp(sh.cid_c, c->cid_own, US_CID_LEN) != 0) return 0;
    uint8_t th[32], ss_e[32];
    uc_sha256_ctx hc;
    uc_sha256_init(&hc);
    uc_sha256_update(&hc, c->hello, c->hello_len);
    uc_sha256_update(&hc, pkt, 1175);
    uc_sha256_final(&hc, th);
    uint8_t m[sizeof SERVER_SIG_PREFIX + 32];
    memcpy(m, SERVER_SIG_PREFIX, sizeof SERVER_SIG_PREFIX);
    memcpy(m + sizeof SERVER_SIG_PREFIX, th, 32);
    /* same check either way; the expanded pinned key skips ExpandA etc. (FIPS 204 Alg. 8) */
    int vrc = c->cfg.peer_xpk
                  ? uc_compsig_verify_xpk(sh.sig, m, sizeof m, (const uint8_t *)SIG_CTX, strlen(SIG_CTX),
                                          c->cfg.peer_xpk)
                  : uc_compsig_verify(sh.sig, m, sizeof m, (const uint8_t *)SIG_CTX, strlen(SIG_CTX),
                                      c->peer.compsig_pk);
    if (vrc != 0) {
        /* Unauthenticated: anyone who saw our ClientHello (its cid is in clear) could send
         * this. Dropped rather than fatal, so a forged ServerHello (or forged fragments)
         * cannot abort the handshake; the genuine one is still accepted. Reported when the
         * handshake times out (§4.1). */
        c->hs_err = UMBRA_EPEER_KEY;
        c->st.dropped_auth++;
        return 0;
    }
    if (!(sh.aead & c->cfg.aeads)) return UMBRA_EHANDSHAKE; /* signed: the server's choice */
    int rc = uc_xwing_decaps_dk(ss_e, sh.ct_e, &c->edk);
    if (rc) return UMBRA_EHANDSHAKE;
    c->aead = sh.aead;
    memcpy(c->cid_peer, sh.cid_s, US_CID_LEN);
    rc = install_keys(c, th, ss_e);
    umbra_wipe(ss_e, 32);
    if (rc) return rc;
    umbra_free(c->hello);
    c->hello = NULL;
    c->hello_pending = 0;
    if (c->want_client_auth) c->auth_pending = 1;
    else if (sh.flags & 1) return UMBRA_EPERM; /* the server requires an identity we lack */
    if (c->use_ticket) {
        if (sh.flags & US_SH_EARLY_ACCEPTED) c->st.early = 1;
        else abandon_early(c, now);
        umbra_debug("session client: 0-RTT %s (%llu bytes sent early)",
                    c->st.early == 1 ? "accepted" : "refused, re-sent as 1-RTT",
                    (unsigned long long)c->st.early_bytes);
    }
    us__keys_clear(&c->early);
    set_state(c, US_STATE_CONNECTED);
    c->confirm_pending = 1; /* key confirmation for the server (§4.1) */
    c->last_recv = now;
    return 0;
}

static uint64_t pto_ns(const us_conn *c) {
    const us__path *pa = us__paths_get(&c->paths, c->tx_path);
    uint64_t srtt = 333000000ull, var = srtt / 2;
    if (pa && pa->has_rtt) srtt = pa->smoothed_rtt_ns, var = pa->rttvar_ns;
    uint64_t v4 = 4 * var;
    if (v4 < GRANULARITY_NS) v4 = GRANULARITY_NS;
    return srtt + v4 + ACK_DELAY_NS;
}

/* Error close (§6.5): CLOSE(code = -err) is sent, then Closing for 3 PTO. */
static void abort_close(us_conn *c, int err, uint64_t now) {
    if (!c->err) c->err = err;
    c->close_code = (uint32_t)(-err);
    c->close_pending = 1;
    c->close_deadline = now + 3 * pto_ns(c);
    set_state(c, US_STATE_CLOSING);
}

static int recv_data(us_conn *c, const uint8_t *pkt, size_t n, const void *from, size_t from_len,
                     uint64_t now) {
    us__hdr h;
    if (us__hdr_decode(&h, pkt, n) != 0 || memcmp(h.dcid, c->cid_own, US_CID_LEN) != 0 ||
        !c->rx.valid) {
        c->st.dropped_malformed++;
        return 0;
    }
    int plen = open_packet(c, &h, pkt, n);
    if (plen < 0) {
        c->st.dropped_auth++;
        if (++c->auth_fail >= c->integrity_limit) return UMBRA_EAUTH; /* RFC 9001 §6.6 */
        return 0;
    }
    /* Authenticated. Find the sequence space. */
    stream *s = NULL;
    space *sp = &c->sp0;
    int retired = 0;
    if (h.stream != 0) {
        int err;
        s = peer_stream(c, h.stream, &retired, &err);
        if (err) {
            abort_close(c, err, now); /* authenticated: tell the peer */
            return err;
        }
        if (s) sp = &s->sp;
    }
    if (retired) {
        /* a finished stream's late packet: acknowledge, ignore (§6.2) */
        if (c->nracks < MAX_RETIRED_ACKS) {
            c->racks[c->nracks].space = h.stream;
            c->racks[c->nracks].seq = h.seq;
            c->nracks++;
        }
        c->last_recv = now;
        return 0;
    }
    /* the replay window, only after the AEAD verified (replay.h) */
    if (us__replay_check(&sp->replay, h.seq) != 0) {
        c->st.dropped_replay++;
        return 0;
    }
    /* path bookkeeping (migration, §7) */
    int pid = us__paths_find(&c->paths, LOCAL0, 1, from, from_len);
    if (pid < 0) {
        pid = us__paths_add(&c->paths, LOCAL0, 1, from, from_len, now);
        if (pid >= 0 && c->is_server) {
            uint8_t chal[32];
            us__paths_challenge(&c->paths, pid, now, chal);
            queue_path_frame(c, US_FT_PATH_CHALLENGE, pid, chal);
            c->tx_path = pid;
            if (c->state == US_STATE_CONNECTED || c->state == US_STATE_HANDSHAKING)
                set_state(c, US_STATE_MIGRATING);
            c->st.migrations++;
        }
    } else if (pid != c->tx_path && c->is_server) {
        const us__path *pp = us__paths_get(&c->paths, pid);
        if (pp && pp->state == US_PATH_VALIDATED) c->tx_path = pid;
    }
    if (pid >= 0) us__paths_on_recv(&c->paths, pid, n, now);
    int ae = 0;
    int rc = process_frames(c, s, h.stream, c->pt, (size_t)plen, pid, &ae, now);
    if (rc) {
        /* an authenticated peer broke the protocol (or was refused): tell it why */
        abort_close(c, rc, now);
        return rc;
    }
    us__replay_commit(&sp->replay, h.seq);
    if (!sp->rcvd.n || h.seq >= sp->rcvd.r[sp->rcvd.n - 1].hi) sp->largest_rcvd_time = now;
    us__ranges_add(&sp->rcvd, h.seq, h.seq + 1, 1);
    if (ae) {
        if (sp->ack_pending++ == 0) sp->ack_deadline = now + ACK_DELAY_NS;
    }
    c->last_recv = now;
    c->st.packets_recv++;
    c->st.bytes_recv += n;
    if (c->is_server && c->state == US_STATE_HANDSHAKING) {
        /* the client's first packet proves it derived the keys and owns the address */
        int p0 = us__paths_find(&c->paths, LOCAL0, 1, from, from_len);
        if (p0 >= 0) us__paths_set_validated(&c->paths, p0, now);
        umbra_free(c->hello);
        c->hello = NULL;
        c->hello_pending = 0;
        set_state(c, US_STATE_CONNECTED);
        if (c->cfg.ticket_key && make_ticket(c, now) == 0) c->ticket_pending = 1;
    }
    if (c->state == US_STATE_CLOSING && c->close_resends < MAX_CLOSE_RESENDS) c->close_pending = 1;
    return 0;
}

/* Server: a 0-RTT packet (§10). Only STREAM frames of client streams, within the ticket's
 * early-data budget; authenticated with the early keys; replay window as usual. */
static int recv_early(us_conn *c, const uint8_t *pkt, size_t n, uint64_t now) {
    us__hdr h;
    if (us__hdr_decode(&h, pkt, n) != 0 || memcmp(h.dcid, c->cid_hello, US_CID_LEN) != 0 ||
        !c->early.valid || h.epoch != 0 || h.stream == 0 || is_local_id(c, h.stream)) {
        c->st.dropped_malformed++;
        return 0;
    }
    int plen = us__open(&c->early, &h, pkt, n, c->pt, sizeof c->pt);
    if (plen < 0) {
        c->st.dropped_auth++;
        return 0;
    }
    int retired = 0, err = 0;
    stream *s = peer_stream(c, h.stream, &retired, &err);
    if (err) return err;
    if (!s) return 0;
    if (us__replay_check(&s->sp.replay, h.seq) != 0) {
        c->st.dropped_replay++;
        return 0;
    }
    /* check every frame and the budget before touching any state */
    size_t bytes = 0;
    for (size_t off = 0; off < (size_t)plen;) {
        us__frame f;
        int k = us__frame_decode(&f, c->pt + off, (size_t)plen - off);
        if (k < 0 || (f.type != US_FT_STREAM && f.type != US_FT_PADDING) ||
            (f.type == US_FT_STREAM && f.stream != h.stream))
            return UMBRA_EPROTO;
        bytes += f.len;
        off += (size_t)k;
    }
    if (c->early_used + bytes > c->early_budget) {
        c->st.dropped_malformed++; /* over budget: the client resends it as 1-RTT */
        return 0;
    }
    int ae = 0;
    int rc = process_frames(c, s, h.stream, c->pt, (size_t)plen, c->tx_path, &ae, now);
    if (rc) return rc;
    c->early_used += bytes;
    c->st.early_bytes += bytes;
    us__replay_commit(&s->sp.replay, h.seq);
    if (!s->sp.rcvd.n || h.seq >= s->sp.rcvd.r[s->sp.rcvd.n - 1].hi) s->sp.largest_rcvd_time = now;
    us__ranges_add(&s->sp.rcvd, h.seq, h.seq + 1, 1);
    if (ae && s->sp.ack_pending++ == 0) s->sp.ack_deadline = now + ACK_DELAY_NS;
    c->st.packets_recv++;
    c->st.bytes_recv += n;
    return 0;
}

int us__conn_recv_plain(us_conn *c, uint32_t stream_id, const uint8_t *pt, size_t n, const void *from,
                        size_t from_len, uint64_t now) {
    if (!c || !pt || n == 0 || n > US_MAX_PAYLOAD || !from || from_len == 0 || from_len > US_ADDR_MAX)
        return UMBRA_EINVAL;
    if (c->state == US_STATE_CLOSED) return c->err;
    stream *s = NULL;
    int retired = 0, err = 0, ae = 0;
    if (stream_id != 0) {
        s = peer_stream(c, stream_id, &retired, &err);
        if (err) {
            if (c->tx.valid) abort_close(c, err, now);
            else fail(c, err);
            return err;
        }
    }
    memcpy(c->pt, pt, n);
    int pid = us__paths_find(&c->paths, LOCAL0, 1, from, from_len);
    int rc = process_frames(c, s, stream_id, c->pt, n, pid, &ae, now);
    if (rc) {
        if (c->tx.valid) abort_close(c, rc, now);
        else fail(c, rc);
    }
    return rc;
}

/* HandshakeFragment (§2.6). Client: ServerHello fragments are reassembled in a fixed buffer
 * and the complete message takes the ServerHello path. Server: a ClientHello fragment for
 * this connection means the client is retransmitting (it has not seen our ServerHello):
 * the bytes raise the anti-amplification budget and the fragment at offset 0 (sent first in
 * every round) makes us resend the ServerHello once per round. */
static int recv_fragment(us_conn *c, const uint8_t *pkt, size_t n, const void *from, size_t from_len,
                         uint64_t now) {
    us__frag f;
    if (c->state != US_STATE_HANDSHAKING) return 0; /* a late duplicate */
    if (us__frag_decode(&f, pkt, n) != 0) {
        c->st.dropped_malformed++;
        return 0;
    }
    if (c->is_server) {
        if (f.msg != US_PT_CLIENT_HELLO || !c->hello || memcmp(f.cid, c->cid_peer, US_CID_LEN) != 0) return 0;
        int pid = us__paths_find(&c->paths, LOCAL0, 1, from, from_len);
        if (pid >= 0) us__paths_on_recv(&c->paths, pid, n, now);
        if (f.offset == 0) {
            c->hello_pending = 1;
            c->hello_off = 0;
        }
        return 0;
    }
    if (f.msg != US_PT_SERVER_HELLO || memcmp(f.cid, c->cid_own, US_CID_LEN) != 0) return 0;
    if (!c->sh_reasm) {
        c->sh_reasm = umbra_calloc(1, sizeof *c->sh_reasm);
        if (!c->sh_reasm) return 0; /* as if lost; the next round retries */
    }
    if (!c->sh_reasm->used) us__reasm_start(c->sh_reasm, &f, now);
    int done = us__reasm_add(c->sh_reasm, &f);
    if (done != 1) return 0;
    c->sh_reasm->used = 0;
    int rc = client_on_server_hello(c, c->sh_reasm->buf, c->sh_reasm->total, now);
    if (c->state != US_STATE_HANDSHAKING || rc) {
        umbra_free(c->sh_reasm);
        c->sh_reasm = NULL;
    }
    return rc;
}

int us_conn_recv(us_conn *c, const uint8_t *pkt, size_t n, const void *from, size_t from_len,
                 uint64_t now) {
    if (!c || !pkt || !from || from_len == 0 || from_len > US_ADDR_MAX) return UMBRA_EINVAL;
    if (c->state == US_STATE_CLOSED) return c->err;
    if (n < 1) return 0;
    int rc = 0;
    switch (pkt[0]) {
    case US_PT_DATA:
        rc = recv_data(c, pkt, n, from, from_len, now);
        break;
    case US_PT_EARLY:
        if (c->is_server) rc = recv_early(c, pkt, n, now);
        break;
    case US_PT_SERVER_HELLO:
        if (!c->is_server && c->state == US_STATE_HANDSHAKING) rc = client_on_server_hello(c, pkt, n, now);
        break;
    case US_PT_CLIENT_HELLO:
        if (c->is_server && c->state == US_STATE_HANDSHAKING && c->hello && n >= 13 &&
            memcmp(pkt + 5, c->cid_peer, US_CID_LEN) == 0) {
            int pid = us__paths_find(&c->paths, LOCAL0, 1, from, from_len);
            if (pid >= 0) us__paths_on_recv(&c->paths, pid, n, now);
            c->hello_pending = 1; /* the client lost our ServerHello: resend it */
            c->hello_off = 0;
        }
        break;
    case US_PT_HS_FRAGMENT:
        rc = recv_fragment(c, pkt, n, from, from_len, now);
        break;
    case US_PT_VERSION_NEG:
        if (!c->is_server && c->state == US_STATE_HANDSHAKING) {
            uint8_t cid[US_CID_LEN];
            uint32_t v[32];
            int k = us__version_neg_decode(pkt, n, cid, v, 32);
            if (k > 0 && memcmp(cid, c->cid_own, US_CID_LEN) == 0) {
                int ours = 0;
                for (int i = 0; i < k; i++) ours |= v[i] == US_VERSION;
                if (!ours) rc = UMBRA_EVERSION; /* a list with our version is a forgery */
            }
        }
        break;
    case US_PT_RETRY:
        /* one Retry per attempt: resend the hello with the token (PROTOCOL.md §9) */
        if (!c->is_server && c->state == US_STATE_HANDSHAKING && c->hello && !c->got_retry && n >= 15 &&
            us__get32(pkt + 1) == US_VERSION && memcmp(pkt + 5, c->cid_own, US_CID_LEN) == 0) {
            size_t tl = us__get16(pkt + 13);
            if (tl == 0 || tl > US_TOKEN_MAX || n != 15 + tl) break;
            uint8_t *h = umbra_realloc(c->hello, US_CLIENT_HELLO_MIN + tl);
            if (!h) break;
            if (c->use_ticket) { /* 0-RTT is not combined with Retry: resend it as 1-RTT */
                abandon_early(c, now);
                c->use_ticket = 0;
                h[2414] &= (uint8_t)~US_CH_TICKET;
            }
            us__put16(h + 2415, (uint16_t)tl);
            memcpy(h + US_CLIENT_HELLO_MIN, pkt + 15, tl);
            c->hello = h;
            c->hello_len = US_CLIENT_HELLO_MIN + tl;
            c->hello_pending = 1;
            c->hello_off = 0;
            c->got_retry = 1;
        }
        break;
    case US_PT_KEY_MISMATCH:
        if (!c->is_server && c->state == US_STATE_HANDSHAKING && n == KEY_MISMATCH_LEN &&
            us__get32(pkt + 1) == US_VERSION && memcmp(pkt + 5, c->cid_own, US_CID_LEN) == 0)
            rc = UMBRA_EPEER_KEY;
        break;
    default:
        c->st.dropped_malformed++;
        break;
    }
    if (rc && c->state != US_STATE_CLOSING) fail(c, rc);
    return rc;
}

/* ---- sending ---- */


static void maybe_rekey(us_conn *c) {
    if (c->tx_count < c->rekey_limit) return;
    if (c->tx.epoch == 0xffff) {
        fail(c, UMBRA_EREKEY);
        return;
    }
    uint8_t nxt[32];
    us__keys nk;
    if (us__next_secret(nxt, c->tx.secret) != 0 ||
        us__keys_init(&nk, c->aead, nxt, (uint16_t)(c->tx.epoch + 1)) != 0) {
        umbra_wipe(nxt, 32);
        fail(c, UMBRA_EREKEY);
        return;
    }
    umbra_wipe(nxt, 32);
    us__keys_clear(&c->tx);
    c->tx = nk;
    c->tx_count = 0;
    c->st.tx_epoch = nk.epoch;
}

/* Seals payload into buf for `space`, records a sent_pkt (when `rec`), returns length. */
static int emit_x(us_conn *c, space *sp, const uint8_t *payload, size_t plen, uint8_t *buf,
                  size_t cap, int path, int ack_eliciting, sent_pkt *tmpl, uint64_t now, int early) {
    if (sp->next_seq > US_SEQ_MAX) {
        fail(c, UMBRA_ERANGE);
        return UMBRA_ERANGE;
    }
    if (!early) maybe_rekey(c);
    if (c->state == US_STATE_CLOSED) return c->err;
    /* 0-RTT packets (§10) go to the server's hello cid with the early keys, epoch 0 */
    us__hdr h = {early ? US_PT_EARLY : US_PT_DATA, c->path_label, early ? 0 : c->tx.epoch, {0}, sp->id,
                 sp->next_seq};
    memcpy(h.dcid, early ? c->cid_own : c->cid_peer, US_CID_LEN);
    int len = us__seal(early ? &c->early : &c->tx, &h, payload, plen, buf, cap);
    if (len < 0) {
        fail(c, len);
        return len;
    }
    if (!early) c->tx_count++;
    if (ack_eliciting) {
        sent_pkt *p = space_push(sp);
        if (!p) {
            fail(c, UMBRA_ENOMEM);
            return UMBRA_ENOMEM;
        }
        if (tmpl) *p = *tmpl;
        p->seq = sp->next_seq;
        p->time = now;
        p->size = (uint32_t)len;
        p->ack_eliciting = 1;
        p->done = 0;
        p->path = (uint8_t)path;
        p->early = (uint8_t)early;
        if (!early) us__cc_on_sent(&c->cc, &p->cc, (size_t)len, now);
        c->ae_outstanding++;
        c->last_ae_sent = now;
    }
    sp->next_seq++;
    us__paths_on_sent(&c->paths, path, (size_t)len, now);
    c->st.packets_sent++;
    c->st.bytes_sent += (uint64_t)len;
    c->last_send = now;
    return len;
}

static int emit(us_conn *c, space *sp, const uint8_t *payload, size_t plen, uint8_t *buf, size_t cap,
                int path, int ack_eliciting, sent_pkt *tmpl, uint64_t now) {
    return emit_x(c, sp, payload, plen, buf, cap, path, ack_eliciting, tmpl, now, 0);
}

static int copy_addr(us_conn *c, int path, void *to, size_t *to_len) {
    const us__path *p = us__paths_get(&c->paths, path);
    if (!p) return UMBRA_EINVAL;
    memcpy(to, p->peer, p->peer_len);
    *to_len = p->peer_len;
    return 0;
}

static int ack_due(const space *sp, uint64_t now) {
    return sp->ack_pending >= 2 || (sp->ack_pending && now >= sp->ack_deadline);
}

/* Acks are due when two ack-eliciting packets arrived in ANY spaces together (one control
 * packet then acknowledges every space), or when a space's ack delay expired. Counting per
 * space would delay acks by the number of active streams. */
static int any_ack_due(const us_conn *c, uint64_t now) {
    unsigned total = c->sp0.ack_pending;
    if (ack_due(&c->sp0, now) || c->nracks) return 1;
    for (size_t i = 0; i < c->nstreams; i++) {
        if (ack_due(&c->streams[i]->sp, now)) return 1;
        total += c->streams[i]->sp.ack_pending;
    }
    return total >= 2;
}

/* The ACK's ack_delay_us (PROTOCOL.md §3, RFC 9000 §19.3): how long ago the largest
 * packet it acknowledges arrived, so the peer can take our deliberate delay out of its RTT
 * samples (RFC 9002 §5.3). */
static int put_ack(const space *sp, uint8_t *out, size_t cap, uint64_t now) {
    us__ack_range r[8];
    size_t nr = 0;
    for (size_t i = sp->rcvd.n; i > 0 && nr < 8; i--) {
        r[nr].first = sp->rcvd.r[i - 1].lo;
        r[nr].last = sp->rcvd.r[i - 1].hi - 1;
        nr++;
    }
    if (!nr) return 0;
    uint64_t d = now > sp->largest_rcvd_time ? (now - sp->largest_rcvd_time) / 1000 : 0;
    if (d > UINT32_MAX) d = UINT32_MAX;
    int k = us__frame_ack(out, cap, sp->id, (uint32_t)d, r, nr);
    return k < 0 ? 0 : k;
}

/* Builds a space-0 packet of acks and control frames. */
static int send_control(us_conn *c, uint8_t *buf, size_t cap, int force_ping, uint64_t now) {
    size_t room = c->cur_max - US_HDR_LEN - US_TAG_LEN;
    uint8_t *p = c->pt;
    size_t n = 0;
    uint32_t ctl = 0;
    int ae = 0;
    /* acks: every space with pending acks */
    for (size_t i = 0; i <= c->nstreams; i++) {
        space *sp = i == 0 ? &c->sp0 : &c->streams[i - 1]->sp;
        if (!sp->ack_pending) continue;
        if (room - n < 10 + 80) break;
        int k = put_ack(sp, p + n, room - n, now);
        if (k > 0) {
            n += (size_t)k;
            sp->ack_pending = 0;
            sp->ack_deadline = 0;
        }
    }
    while (c->nracks && room - n >= 20) {
        us__ack_range r = {c->racks[c->nracks - 1].seq, c->racks[c->nracks - 1].seq};
        int k = us__frame_ack(p + n, room - n, c->racks[c->nracks - 1].space, 0, &r, 1);
        if (k < 0) break;
        n += (size_t)k;
        c->nracks--;
    }
    if (c->md_pending && room - n >= 9) {
        n += (size_t)us__frame_u64(p + n, room - n, US_FT_MAX_DATA, c->rx_max_adv);
        c->md_pending = 0;
        ctl |= CTL_MAX_DATA;
        ae = 1;
    }
    for (size_t i = 0; i < c->nstreams && room - n >= 13; i++) {
        stream *s = c->streams[i];
        if (!s->msd_pending) continue;
        s->msd_pending = 0;
        if (s->rfin_known || s->reset_recv) continue; /* no more credit needed */
        n += (size_t)us__frame_stream_u64(p + n, room - n, US_FT_MAX_STREAM_DATA, s->id, s->radv);
        ctl |= CTL_MSD;
        ae = 1;
    }
    if (c->ticket_pending && room - n >= 7 + US_TICKET_LEN) {
        uint32_t me = c->cfg.max_early_data ? c->cfg.max_early_data : DEFAULT_MAX_EARLY;
        n += (size_t)us__frame_ticket(p + n, room - n, me, c->ticket_out);
        c->ticket_pending = 0;
        ctl |= CTL_TICKET;
        ae = 1;
    }
    if ((force_ping || c->ping_pending || c->confirm_pending) && room - n >= 1) {
        p[n++] = US_FT_PING;
        c->ping_pending = 0;
        c->confirm_pending = 0;
        ctl |= CTL_PING;
        ae = 1;
    }
    if (n == 0) return 0;
    sent_pkt t;
    memset(&t, 0, sizeof t);
    t.ctl = ctl;
    return emit(c, &c->sp0, p, n, buf, cap, c->tx_path, ae, &t, now);
}

static int stream_has_data(const us_conn *c, const stream *s) {
    if (s->reset_local) return !s->reset_sent;
    if (s->reset_recv) return 0;
    if (s->lost.n) return 1;
    if (s->snext < s->swrite && s->snext < s->peer_max && c->tx_data < c->tx_max_data) return 1;
    if (s->fin_written && ((!s->fin_sent && s->snext == s->swrite) || s->fin_lost)) return 1;
    return 0;
}

static int send_stream(us_conn *c, stream *s, uint8_t *buf, size_t cap, uint64_t now, int early) {
    size_t room = c->cur_max - US_HDR_LEN - US_TAG_LEN;
    sent_pkt t;
    memset(&t, 0, sizeof t);
    int k;
    if (s->reset_local) {
        k = us__frame_reset(c->pt, room, s->id, s->reset_code, s->swrite);
        s->reset_sent = 1;
        t.reset = 1;
        return emit(c, &s->sp, c->pt, (size_t)k, buf, cap, c->tx_path, 1, &t, now);
    }
    size_t maxd = room - US_STREAM_FRAME_OVERHEAD;
    if (early) {
        if (s->reset_local) return 0;
        uint64_t left = c->early_budget - c->early_used;
        if (left < maxd) maxd = (size_t)left;
    }
    uint64_t a = 0, b = 0;
    int have = 0;
    /* retransmissions first */
    while (!early && s->lost.n && !have) {
        uint64_t lo = s->lost.r[0].lo, hi = s->lost.r[0].hi;
        if (lo < s->sbase) lo = s->sbase;
        if (lo >= hi || !us__ranges_first_gap(&s->acked, lo, hi, &a, &b)) {
            us__ranges_remove(&s->lost, s->lost.r[0].lo, s->lost.r[0].hi);
            continue;
        }
        if (b - a > maxd) b = a + maxd;
        us__ranges_remove(&s->lost, a, b);
        have = 1;
        c->st.retransmitted_bytes += b - a;
    }
    if (!have && s->snext < s->swrite && s->snext < s->peer_max && c->tx_data < c->tx_max_data && maxd > 0) {
        a = s->snext;
        b = s->swrite;
        if (b > s->peer_max) b = s->peer_max;
        if (b - a > c->tx_max_data - c->tx_data) b = a + (c->tx_max_data - c->tx_data);
        if (b - a > maxd) b = a + maxd;
        c->tx_data += b - a;
        s->snext = b;
        have = 1;
    }
    int fin = 0;
    if (s->fin_written) {
        if (have && b == s->swrite) {
            fin = 1; /* data reaching the end carries the FIN (retransmissions too) */
        } else if (!have && s->snext == s->swrite && (!s->fin_sent || s->fin_lost)) {
            a = b = s->swrite; /* a FIN-only frame */
            fin = 1;
        }
        if (fin) {
            s->fin_sent = 1;
            s->fin_lost = 0;
        }
    }
    if (!have && !fin) return 0;
    uint8_t *d = c->pt + US_STREAM_FRAME_OVERHEAD;
    ring_get(&s->sr, a, d, (size_t)(b - a));
    c->pt[0] = US_FT_STREAM;
    us__put32(c->pt + 1, s->id);
    us__put64(c->pt + 5, a);
    us__put16(c->pt + 13, (uint16_t)(b - a));
    c->pt[15] = (uint8_t)fin;
    t.off = a;
    t.len = (uint32_t)(b - a);
    t.fin = (uint8_t)fin;
    if (early) {
        c->early_used += b - a;
        c->st.early_bytes += b - a;
    }
    return emit_x(c, &s->sp, c->pt, US_STREAM_FRAME_OVERHEAD + (size_t)(b - a), buf, cap, c->tx_path, 1,
                  &t, now, early);
}

static int all_sent_acked(const us_conn *c) {
    for (size_t i = 0; i < c->nstreams; i++) {
        const stream *s = c->streams[i];
        if (s->reset_local || s->reset_recv) continue;
        if (s->swrite > s->sbase) return 0;
        if (s->fin_written && !s->fin_acked) return 0;
    }
    return 1;
}

int us_conn_send(us_conn *c, uint8_t *buf, size_t cap, size_t *len, void *to, size_t *to_len,
                 uint64_t now) {
    *len = 0;
    *to_len = 0;
    if (!c || !buf || !to) return UMBRA_EINVAL;
    if (c->state == US_STATE_CLOSED) return 0;
    if (cap < c->cfg.max_packet || cap < US_SERVER_HELLO_LEN) return UMBRA_ENOSPACE;
    c->cur_max = c->cfg.max_packet;
    /* handshake messages */
    if (c->hello_pending && c->hello && c->cfg.fragment_hellos) {
        /* §2.6: one fragment per call; a client pads each to 1200 bytes */
        if (c->hello_off >= c->hello_len) c->hello_off = 0;
        int k = us__frag_encode(buf, cap, c->hello, c->hello_len, c->hello_off,
                                c->is_server ? 0 : US_FRAG_DGRAM_MAX);
        if (k < 0) return k;
        if (c->is_server && us__paths_send_allowance(&c->paths, c->tx_path) < (uint64_t)k) return 0;
        c->hello_off += US_FRAG_DATA_MAX;
        if (c->hello_off >= c->hello_len) {
            c->hello_off = 0;
            c->hello_pending = 0;
        }
        *len = (size_t)k;
        us__paths_on_sent(&c->paths, c->tx_path, (size_t)k, now);
        c->st.packets_sent++;
        c->st.bytes_sent += (size_t)k;
        return copy_addr(c, c->tx_path, to, to_len) ? 0 : 1;
    }
    if (c->hello_pending && c->hello) {
        if (c->is_server && us__paths_send_allowance(&c->paths, c->tx_path) < c->hello_len) return 0;
        memcpy(buf, c->hello, c->hello_len);
        *len = c->hello_len;
        c->hello_pending = 0;
        us__paths_on_sent(&c->paths, c->tx_path, c->hello_len, now);
        c->st.packets_sent++;
        c->st.bytes_sent += c->hello_len;
        return copy_addr(c, c->tx_path, to, to_len) ? 0 : 1;
    }
    /* client 0-RTT: stream data within the ticket's budget, after the hello (§10) */
    if (!c->is_server && c->state == US_STATE_HANDSHAKING && c->early.valid && !c->hello_pending &&
        c->early_used < c->early_budget) {
        for (size_t j = 0; j < c->nstreams; j++) {
            stream *s = c->streams[j];
            if (!stream_has_data(c, s)) continue;
            int k = send_stream(c, s, buf, cap, now, 1);
            if (k < 0) return k;
            if (k == 0) continue;
            *len = (size_t)k;
            return copy_addr(c, c->tx_path, to, to_len) ? 0 : 1;
        }
    }
    /* until the handshake completes nothing else is sent (the server's path is not yet
     * validated either: only the ServerHello fits its anti-amplification budget) */
    if (!c->tx.valid || c->state == US_STATE_HANDSHAKING) return 0;
    int k;
    if (c->state == US_STATE_CLOSING) {
        if (!c->close_pending) return 0;
        size_t room = c->cfg.max_packet - US_HDR_LEN - US_TAG_LEN;
        int fl = us__frame_close(c->pt, room, c->close_code, NULL);
        sent_pkt t;
        memset(&t, 0, sizeof t);
        t.ctl = CTL_CLOSE;
        k = emit(c, &c->sp0, c->pt, (size_t)fl, buf, cap, c->tx_path, 0, &t, now);
        c->close_pending = 0;
        c->close_resends++;
        if (k < 0) return k;
        *len = (size_t)k;
        return copy_addr(c, c->tx_path, to, to_len) ? 0 : 1;
    }
    /* graceful close once everything written has been acknowledged */
    if (c->close_requested && all_sent_acked(c)) {
        set_state(c, US_STATE_CLOSING);
        c->close_pending = 1;
        c->close_deadline = now + 3 * pto_ns(c);
        return us_conn_send(c, buf, cap, len, to, to_len, now);
    }
    if (c->auth_pending) {
        /* §4.4: sign once; the body (5357 bytes) goes out as CLIENT_AUTH_PART pieces that
         * fit max_packet (at most 16 pieces), each re-sent on its own if lost */
        c->auth_msg = umbra_malloc(US_CLIENT_AUTH_BODY);
        if (!c->auth_msg) {
            fail(c, UMBRA_ENOMEM);
            return UMBRA_ENOMEM;
        }
        memcpy(c->auth_msg, umbra_identity_compsig_pk(c->identity), US_SIG_PK_LEN);
        uint8_t m[sizeof CLIENT_SIG_PREFIX + 32];
        memcpy(m, CLIENT_SIG_PREFIX, sizeof CLIENT_SIG_PREFIX);
        memcpy(m + sizeof CLIENT_SIG_PREFIX, c->th, 32);
        int rc = umbra_identity_sign(c->identity, c->auth_msg + US_SIG_PK_LEN, m, sizeof m,
                                     (const uint8_t *)SIG_CTX, strlen(SIG_CTX));
        if (rc) {
            fail(c, rc);
            return rc;
        }
        size_t pl = c->cfg.max_packet > US_HDR_LEN + US_TAG_LEN + 5 + 335
                        ? c->cfg.max_packet - US_HDR_LEN - US_TAG_LEN - 5 : 335;
        if (pl > US_CLIENT_AUTH_BODY) pl = US_CLIENT_AUTH_BODY;
        c->auth_part_len = (uint16_t)pl;
        size_t np = (US_CLIENT_AUTH_BODY + pl - 1) / pl;
        c->auth_parts = np >= 32 ? 0xffffffffu : (1u << np) - 1;
        c->auth_pending = 0;
    }
    if (c->auth_parts && c->auth_msg && cap >= US_HDR_LEN + 5 + (size_t)c->auth_part_len + US_TAG_LEN) {
        unsigned i = 0;
        while (!(c->auth_parts & (1u << i))) i++;
        size_t off = (size_t)i * c->auth_part_len;
        size_t pl = US_CLIENT_AUTH_BODY - off < c->auth_part_len ? US_CLIENT_AUTH_BODY - off : c->auth_part_len;
        uint8_t *p = c->pt;
        p[0] = US_FT_CLIENT_AUTH_PART;
        us__put16(p + 1, (uint16_t)off);
        us__put16(p + 3, (uint16_t)pl);
        memcpy(p + 5, c->auth_msg + off, pl);
        sent_pkt t;
        memset(&t, 0, sizeof t);
        t.ctl = CTL_AUTH;
        t.off = i;
        c->auth_parts &= ~(1u << i);
        k = emit(c, &c->sp0, p, 5 + pl, buf, cap, c->tx_path, 1, &t, now);
        if (k < 0) return k;
        *len = (size_t)k;
        return copy_addr(c, c->tx_path, to, to_len) ? 0 : 1;
    }
    uint64_t allowance = us__paths_send_allowance(&c->paths, c->tx_path);
    /* path frames go on their own path */
    if (c->npframes) {
        int path = c->pframes[0].path;
        if (us__paths_send_allowance(&c->paths, path) >= US_HDR_LEN + 33 + US_TAG_LEN) {
            int fl = us__frame_path(c->pt, sizeof c->pt, c->pframes[0].type, c->pframes[0].data);
            memmove(&c->pframes[0], &c->pframes[1], (c->npframes - 1) * sizeof c->pframes[0]);
            c->npframes--;
            k = emit(c, &c->sp0, c->pt, (size_t)fl, buf, cap, path, 0, NULL, now);
            if (k < 0) return k;
            *len = (size_t)k;
            return copy_addr(c, path, to, to_len) ? 0 : 1;
        }
        c->npframes--; /* no allowance on that path: the path module retries later */
        memmove(&c->pframes[0], &c->pframes[1], c->npframes * sizeof c->pframes[0]);
    }
    /* an unvalidated path: packets no larger than the anti-amplification budget left */
    c->cur_max = c->cfg.max_packet;
    if (allowance < c->cur_max) c->cur_max = (uint32_t)allowance;
    if (c->cur_max < US_HDR_LEN + 64 + US_TAG_LEN) return 0;
    int ctl_due = any_ack_due(c, now) || c->md_pending || c->ping_pending || c->confirm_pending ||
                  c->ticket_pending;
    if (!ctl_due)
        for (size_t i = 0; i < c->nstreams && !ctl_due; i++) ctl_due = c->streams[i]->msd_pending;
    if (ctl_due) {
        k = send_control(c, buf, cap, 0, now);
        if (k < 0) return k;
        if (k > 0) {
            *len = (size_t)k;
            return copy_addr(c, c->tx_path, to, to_len) ? 0 : 1;
        }
    }
    /* stream data, round-robin, under congestion control and pacing */
    if (c->nstreams) {
        uint64_t when = 0;
        int can = us__cc_can_send(&c->cc, c->cfg.max_packet, now, &when);
        if (can != 0 && c->cfg.no_pacing && when != UINT64_MAX) can = 0;
        if (can != 0) {
            c->pacing_wake = when;
            return 0;
        }
        c->pacing_wake = 0;
        for (size_t j = 0; j < c->nstreams; j++) {
            stream *s = c->streams[(c->rr_cursor + j) % c->nstreams];
            if (!stream_has_data(c, s)) continue;
            k = send_stream(c, s, buf, cap, now, 0);
            if (k < 0) return k;
            if (k == 0) continue;
            c->rr_cursor = (uint32_t)((c->rr_cursor + j + 1) % c->nstreams);
            *len = (size_t)k;
            return copy_addr(c, c->tx_path, to, to_len) ? 0 : 1;
        }
        us__cc_on_app_limited(&c->cc);
    }
    return 0;
}

/* ---- timers ---- */

uint64_t us_conn_next_timeout(const us_conn *c) {
    if (!c || c->state == US_STATE_CLOSED) return UINT64_MAX;
    uint64_t t = UINT64_MAX;
#define MIN_T(x) do { uint64_t _v = (x); if (_v < t) t = _v; } while (0)
    if (c->state == US_STATE_HANDSHAKING) {
        if (!c->is_server) MIN_T(c->hello_deadline);
        MIN_T(c->hs_deadline);
    }
    if (c->state == US_STATE_CLOSING) return c->close_deadline < t ? c->close_deadline : t;
    MIN_T(c->last_recv + c->cfg.idle_timeout_ns);
    if (c->cfg.keepalive && c->state != US_STATE_HANDSHAKING) MIN_T(c->last_send + c->cfg.idle_timeout_ns / 3);
    if (c->loss_time) MIN_T(c->loss_time);
    else if (c->ae_outstanding) MIN_T(c->last_ae_sent + (pto_ns(c) << (c->pto_count < 16 ? c->pto_count : 16)));
    /* A path whose anti-amplification budget (§7) cannot carry even a small packet sends
     * nothing until the peer sends more: what waits for it (acks, paced data) is no timer,
     * else the deadline would stay in the past and the caller would spin. */
    int amp_blocked = c->state != US_STATE_HANDSHAKING &&
                      us__paths_send_allowance(&c->paths, c->tx_path) < US_HDR_LEN + 64 + US_TAG_LEN;
    if (!amp_blocked) {
        if (c->sp0.ack_pending) MIN_T(c->sp0.ack_deadline);
        for (size_t i = 0; i < c->nstreams; i++)
            if (c->streams[i]->sp.ack_pending) MIN_T(c->streams[i]->sp.ack_deadline);
        if (c->pacing_wake) MIN_T(c->pacing_wake);
    }
    MIN_T(us__paths_next_timeout(&c->paths));
#undef MIN_T
    return t;
}

static void on_pto(us_conn *c, uint64_t now) {
    /* RFC 9002 §6.2 probe timeout: everything in flight for a PTO is declared lost (its
     * frames are re-queued) and a PING goes out too, so the peer acknowledges at once even
     * when the lost packets carried nothing to re-send. */
    uint64_t pto = pto_ns(c);
    for (size_t i = c->sp0.head; i < c->sp0.n; i++) {
        sent_pkt *p = &c->sp0.sent[i];
        if (!p->done && p->time + pto <= now) on_lost(c, &c->sp0, NULL, p, now);
    }
    space_pop_done(&c->sp0);
    for (size_t j = 0; j < c->nstreams; j++) {
        stream *s = c->streams[j];
        for (size_t i = s->sp.head; i < s->sp.n; i++) {
            sent_pkt *p = &s->sp.sent[i];
            if (!p->done && p->time + pto <= now) on_lost(c, &s->sp, s, p, now);
        }
        space_pop_done(&s->sp);
    }
    /* a single PTO is a probe, not congestion (RFC 9002 §6.2); repeated ones are */
    if (c->pto_count >= 1) us__cc_on_timeout(&c->cc, now);
    if (c->pto_count < 16) c->pto_count++;
    c->ping_pending = 1;
    c->last_ae_sent = now;
}

void us_conn_on_timeout(us_conn *c, uint64_t now) {
    if (!c || c->state == US_STATE_CLOSED) return;
    if (c->state == US_STATE_HANDSHAKING) {
        if (now >= c->hs_deadline) {
            fail(c, c->is_server ? UMBRA_ETIMEDOUT : c->hs_err ? c->hs_err : UMBRA_EUNREACHABLE);
            return;
        }
        if (!c->is_server && now >= c->hello_deadline) {
            c->hello_tries++;
            c->hello_pending = 1;
            c->hello_off = 0;
            c->hello_deadline = now + (HELLO_RTO_NS << (c->hello_tries < 6 ? c->hello_tries : 6));
        }
        return;
    }
    if (c->state == US_STATE_CLOSING) {
        if (now >= c->close_deadline) set_state(c, US_STATE_CLOSED);
        return;
    }
    if (now >= c->last_recv + c->cfg.idle_timeout_ns) {
        fail(c, UMBRA_ETIMEDOUT);
        return;
    }
    if (c->cfg.keepalive && c->state != US_STATE_HANDSHAKING && now >= c->last_send + c->cfg.idle_timeout_ns / 3) {
        c->ping_pending = 1;
        c->last_send = now; /* one PING per interval even if it cannot leave yet */
    }
    if (c->loss_time && now >= c->loss_time)
        on_loss_timer(c, now);
    else if (!c->loss_time && c->ae_outstanding &&
             now >= c->last_ae_sent + (pto_ns(c) << (c->pto_count < 16 ? c->pto_count : 16)))
        on_pto(c, now);
    us__path_event ev;
    while (us__paths_poll(&c->paths, now, &ev) == 1) {
        if (ev.kind == US_PATH_EV_SEND_CHALLENGE) {
            queue_path_frame(c, US_FT_PATH_CHALLENGE, ev.id, ev.challenge);
        } else if (ev.kind == US_PATH_EV_FAILED && ev.id == c->tx_path) {
            /* validation of the new address failed: fall back to a validated path */
            int alt = us__paths_select(&c->paths);
            if (alt >= 0) c->tx_path = alt;
            if (c->state == US_STATE_MIGRATING) set_state(c, US_STATE_CONNECTED);
        }
    }
    if (c->pacing_wake && now >= c->pacing_wake) c->pacing_wake = 0;
    streams_gc(c);
}

/* ---- application API ---- */

int us_conn_state(const us_conn *c) { return c ? c->state : US_STATE_CLOSED; }
int us_conn_error(const us_conn *c) { return c ? c->err : UMBRA_EINVAL; }

int us_stream_open(us_conn *c, uint32_t *id) {
    if (!c || !id) return UMBRA_EINVAL;
    if (c->state == US_STATE_CLOSING || c->state == US_STATE_CLOSED || c->close_requested)
        return UMBRA_ESTATE;
    if (c->state == US_STATE_HANDSHAKING && c->is_server) return UMBRA_ESTATE;
    size_t mine = 0;
    for (size_t i = 0; i < c->nstreams; i++) mine += is_local_id(c, c->streams[i]->id);
    if (mine >= MAX_LOCAL_STREAMS || c->next_local_id > 0xfffffff0u) return UMBRA_EAGAIN;
    stream *s = stream_new(c, c->next_local_id);
    if (!s) return UMBRA_ENOMEM;
    c->next_local_id += 2;
    *id = s->id;
    return 0;
}

static stream *user_stream(us_conn *c, uint32_t id, int *err) {
    if (!c) { *err = UMBRA_EINVAL; return NULL; }
    stream *s = stream_find(c, id);
    *err = s ? 0 : UMBRA_ENOENT;
    return s;
}

long us_stream_writable(us_conn *c, uint32_t id) {
    int err;
    stream *s = user_stream(c, id, &err);
    if (!s) return err;
    if (s->fin_written || s->reset_local || s->reset_recv) return UMBRA_ESTATE;
    uint64_t held = s->swrite - s->sbase;
    return held >= c->cfg.send_buffer ? 0 : (long)(c->cfg.send_buffer - held);
}

int us_stream_write(us_conn *c, uint32_t id, const void *data, size_t n, int fin) {
    int err;
    stream *s = user_stream(c, id, &err);
    if (!s) return err;
    if (c->state == US_STATE_CLOSING || c->state == US_STATE_CLOSED) return UMBRA_ESTATE;
    if (s->fin_written || s->reset_local) return UMBRA_ESTATE;
    if (s->reset_recv) return UMBRA_ERESET;
    if (n && !data) return UMBRA_EINVAL;
    uint64_t held = s->swrite - s->sbase;
    size_t room = held >= c->cfg.send_buffer ? 0 : (size_t)(c->cfg.send_buffer - held);
    size_t k = n < room ? n : room;
    if (n && k == 0) return UMBRA_EAGAIN;
    if (k > 0x7fffffff) k = 0x7fffffff;
    if (k) {
        int rc = ring_reserve(&s->sr, s->sbase, (size_t)held, (size_t)held + k);
        if (rc) return rc;
        ring_put(&s->sr, s->swrite, data, k);
        s->swrite += k;
    }
    if (fin && k == n) s->fin_written = 1;
    return (int)k;
}

static int stream_readable(const stream *s) {
    if (s->reset_recv) return !s->reset_reported;
    if (s->rrecv.n && s->rrecv.r[0].lo == s->rbase) return 1;
    return s->rfin_known && s->rbase == s->rfin && !s->rfin_read;
}

int us_stream_read(us_conn *c, uint32_t id, void *buf, size_t cap, int *fin) {
    int err;
    if (fin) *fin = 0;
    if (c && c->is_server && c->want_client_auth && !c->client_authed) return UMBRA_EAGAIN; /* §4.4 */
    stream *s = user_stream(c, id, &err);
    if (!s) return err;
    if (s->reset_recv) {
        s->reset_reported = 1;
        return UMBRA_ERESET;
    }
    if (s->rrecv.n && s->rrecv.r[0].lo == s->rbase) {
        uint64_t avail = s->rrecv.r[0].hi - s->rbase;
        size_t k = avail < cap ? (size_t)avail : cap;
        if (k > 0x7fffffff) k = 0x7fffffff;
        ring_get(&s->rr, s->rbase, buf, k);
        s->rbase += k;
        us__ranges_trim_below(&s->rrecv, s->rbase);
        /* flow-control credit when half a window was consumed (§6.4) */
        if (s->rbase + c->cfg.stream_window - s->radv >= c->cfg.stream_window / 2) {
            s->radv = s->rbase + c->cfg.stream_window;
            s->msd_pending = 1;
        }
        conn_credit(c, k);
        return (int)k;
    }
    if (s->rfin_known && s->rbase == s->rfin) {
        s->rfin_read = 1;
        if (fin) *fin = 1;
        ring_free(&s->rr);
        return 0;
    }
    return UMBRA_EAGAIN;
}

int us_conn_next_readable(us_conn *c, uint32_t *id) {
    if (!c || !c->nstreams) return 0;
    if (c->is_server && c->want_client_auth && !c->client_authed) return 0; /* §4.4 */
    for (size_t j = 0; j < c->nstreams; j++) {
        size_t i = (c->read_cursor + j) % c->nstreams;
        if (stream_readable(c->streams[i])) {
            *id = c->streams[i]->id;
            c->read_cursor = (uint32_t)((i + 1) % c->nstreams);
            return 1;
        }
    }
    return 0;
}

int us_stream_reset(us_conn *c, uint32_t id, uint32_t code) {
    int err;
    stream *s = user_stream(c, id, &err);
    if (!s) return err;
    if (s->reset_local) return 0;
    s->reset_local = 1;
    s->reset_code = code;
    us__ranges_free(&s->lost);
    us__ranges_init(&s->lost, 4096);
    if (!s->rfin_read && !s->reset_recv) s->rfin_read = 1; /* we stop reading too */
    return 0;
}

int us_conn_close(us_conn *c, int code) {
    if (!c) return UMBRA_EINVAL;
    if (c->state == US_STATE_CLOSED || c->state == US_STATE_CLOSING) return UMBRA_ESTATE;
    if (!c->tx.valid || (c->state == US_STATE_HANDSHAKING && !c->is_server)) {
        c->err = code;
        set_state(c, US_STATE_CLOSED);
        return 0;
    }
    if (code == 0) {
        c->close_requested = 1;
        for (size_t i = 0; i < c->nstreams; i++)
            if (!c->streams[i]->reset_local && !c->streams[i]->reset_recv) c->streams[i]->fin_written = 1;
        return 0;
    }
    c->err = code;
    c->close_code = (uint32_t)(-code);
    set_state(c, US_STATE_CLOSING);
    c->close_pending = 1;
    c->close_deadline = c->last_send + 3 * pto_ns(c);
    if (c->close_deadline < c->last_recv) c->close_deadline = c->last_recv + 3 * pto_ns(c);
    return 0;
}

int us_conn_migrate(us_conn *c, uint64_t now) {
    if (!c || c->is_server) return UMBRA_EINVAL;
    if (c->state != US_STATE_CONNECTED && c->state != US_STATE_MIGRATING) return UMBRA_ESTATE;
    c->path_label++;
    c->ping_pending = 1; /* make the server see the new address promptly */
    (void)now;
    return 0;
}

int us_conn_peer_auth(const us_conn *c, uint8_t sig_pk[US_SIG_PK_LEN]) {
    if (!c || !c->client_authed) return 0;
    memcpy(sig_pk, c->client_pk, US_SIG_PK_LEN);
    return 1;
}

int us_conn_get_ticket(const us_conn *c, us_ticket *out) {
    if (!c || !out || !c->has_ticket_rx) return 0;
    *out = c->ticket_rx;
    return 1;
}

void us_conn_stats(const us_conn *c, us_stats *s) {
    memset(s, 0, sizeof *s);
    if (!c) return;
    *s = c->st;
    s->tx_epoch = c->tx.epoch;
    s->rx_epoch = c->rx.epoch;
    const us__path *pa = us__paths_get(&c->paths, c->tx_path);
    if (pa) s->srtt_ns = pa->smoothed_rtt_ns;
    s->cwnd = us__cc_cwnd(&c->cc);
    s->pacing_rate = us__cc_pacing_rate(&c->cc);
    int v = 0;
    for (int i = 0; i < US_PATH_MAX; i++) {
        const us__path *p = us__paths_get(&c->paths, i);
        if (p && p->state == US_PATH_VALIDATED) v++;
    }
    s->paths_validated = v;
}

void us__conn_cc_snapshot(const us_conn *c, void *out) { us__cc_snapshot_get(&c->cc, out); }
