/* test_conn.c — the sans-I/O session state machine, two endpoints in one process over a
 * simulated link (virtual time) that drops, duplicates, reorders and corrupts packets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cc.h"
#include "session_internal.h"
#include "testutil.h"
#include "umbra/identity.h"
#include "umbra/session.h"

#define MS 1000000ull

/* ---- simulated link ---- */
typedef struct pkt {
    uint64_t at;
    int dst;                 /* 0 = client, 1 = server */
    uint8_t from[8];
    size_t from_len;
    size_t n;
    uint8_t *data;
} pkt;

typedef struct sim {
    umbra_identity *id;
    umbra_peer_key pk;
    us_config ccfg, scfg;
    us_conn *cli, *srv;
    pkt *q;
    size_t nq, capq;
    uint64_t now, rng;
    unsigned drop_pct, dup_pct, reorder_pct, corrupt_pct;
    uint64_t delay;
    uint8_t caddr[8];
    size_t caddr_len;
    int srv_accept_rc;
    int tap_server;          /* keep a copy of the last data packet to the server */
    uint8_t tap[US_MAX_PACKET];
    size_t tap_n;
    int drop_to_client_hello; /* drop the first ServerHello */
    int corrupt_server_hello;
    int bad_version;
    int tamper_token;
    int retries_sent;
    /* fragmented hellos (PROTOCOL.md §2.6) */
    int frag;                 /* both sides fragment; the server reassembles in `reasm` */
    us__reasm_table reasm;
    size_t max_dgram;         /* when set, no datagram on the link may be larger */
    uint64_t srv_rx_hs, srv_tx_hs; /* bytes to / from the server before it is Connected */
    unsigned hs_dgrams;       /* fragment datagrams put on the link */
    /* transfer */
    uint64_t to_send, sent, recvd;
    uint32_t sid;
    uint64_t gen_state, chk_state;
    uc_sha256_ctx hs, hr;
    int fin_seen;
} sim;

static uint64_t rnd(sim *s) {
    s->rng ^= s->rng << 13;
    s->rng ^= s->rng >> 7;
    s->rng ^= s->rng << 17;
    return s->rng;
}

static void enqueue(sim *s, int dst, const uint8_t *d, size_t n, const uint8_t *from, size_t from_len,
                    uint64_t delay) {
    if (s->nq == s->capq) {
        s->capq = s->capq ? s->capq * 2 : 256;
        s->q = realloc(s->q, s->capq * sizeof *s->q);
        assert_non_null(s->q);
    }
    pkt *p = &s->q[s->nq++];
    p->at = s->now + delay;
    p->dst = dst;
    memcpy(p->from, from, from_len);
    p->from_len = from_len;
    p->n = n;
    p->data = malloc(n);
    assert_non_null(p->data);
    memcpy(p->data, d, n);
}

static void link_send(sim *s, int dst, const uint8_t *d, size_t n, const uint8_t *from, size_t from_len) {
    /* what goes on the wire: never a hello larger than a fragment datagram in frag mode */
    if (s->max_dgram) assert_true(n <= s->max_dgram);
    if (s->frag) assert_true(d[0] != US_PT_CLIENT_HELLO && d[0] != US_PT_SERVER_HELLO);
    if (d[0] == US_PT_HS_FRAGMENT) {
        assert_true(n <= US_FRAG_DGRAM_MAX);
        s->hs_dgrams++;
    }
    if (s->drop_pct && rnd(s) % 100 < s->drop_pct) return;
    uint64_t delay = s->delay;
    if (s->reorder_pct && rnd(s) % 100 < s->reorder_pct) delay += rnd(s) % (2 * s->delay + 1);
    enqueue(s, dst, d, n, from, from_len, delay);
    if (s->corrupt_pct && rnd(s) % 100 < s->corrupt_pct) {
        pkt *p = &s->q[s->nq - 1];
        p->data[rnd(s) % n] ^= (uint8_t)(1 + rnd(s) % 255);
    }
    if (s->dup_pct && rnd(s) % 100 < s->dup_pct) enqueue(s, dst, d, n, from, from_len, delay + rnd(s) % (s->delay + 1));
}

static void pump_out(sim *s) {
    uint8_t buf[US_MAX_PACKET], to[US_ADDR_MAX];
    size_t len, to_len;
    static const uint8_t saddr[1] = {'S'};
    if (s->cli) {
        while (us_conn_send(s->cli, buf, sizeof buf, &len, to, &to_len, s->now) == 1) {
            if (s->bad_version && buf[0] == US_PT_CLIENT_HELLO) buf[4] = 9;
            link_send(s, 1, buf, len, s->caddr, s->caddr_len);
        }
    }
    if (s->srv) {
        while (us_conn_send(s->srv, buf, sizeof buf, &len, to, &to_len, s->now) == 1) {
            assert_true(to_len == s->caddr_len || to_len == 2);
            if (buf[0] == US_PT_SERVER_HELLO && s->drop_to_client_hello) {
                s->drop_to_client_hello--;
                continue;
            }
            if (buf[0] == US_PT_SERVER_HELLO && s->corrupt_server_hello) buf[2000] ^= 1;
            if (us_conn_state(s->srv) == US_STATE_HANDSHAKING && !s->scfg.require_retry) {
                /* RFC 9000 §8.1 anti-amplification: at most 3x what the client sent */
                s->srv_tx_hs += len;
                assert_true(s->srv_tx_hs <= 3 * s->srv_rx_hs);
            }
            link_send(s, 0, buf, len, saddr, 1);
        }
    }
}

static void deliver(sim *s, pkt *p) {
    if (p->dst == 0) {
        if (s->cli) us_conn_recv(s->cli, p->data, p->n, p->from, p->from_len, s->now);
        return;
    }
    if (s->tap_server && p->data[0] == US_PT_DATA) {
        memcpy(s->tap, p->data, p->n);
        s->tap_n = p->n;
    }
    if (!s->srv || us_conn_state(s->srv) == US_STATE_HANDSHAKING) s->srv_rx_hs += p->n;
    if (!s->srv) {
        uint8_t reply[64];
        size_t rl = 0;
        us_conn *c = NULL;
        const uint8_t *hello = p->data;
        size_t hello_len = p->n;
        if (s->frag && p->data[0] == US_PT_HS_FRAGMENT) {
            int frc = us__reasm_table_input(&s->reasm, p->data, p->n, p->from, p->from_len, s->now, &hello,
                                            &hello_len, NULL);
            if (frc != 1) return;
        }
        int rc = us_conn_accept(&s->scfg, hello, hello_len, p->from, p->from_len, s->now, &c, reply,
                                sizeof reply, &rl);
        s->srv_accept_rc = rc;
        if (rc == 0) s->srv = c;
        static const uint8_t saddr[1] = {'S'};
        /* the simulated server speaks only version 2 (the client's hello was bent to 9) */
        if (rl && s->bad_version && reply[0] == US_PT_VERSION_NEG) us__put32(reply + 14, 2);
        if (rl && reply[0] == US_PT_RETRY) {
            s->retries_sent++;
            if (s->tamper_token) reply[rl - 1] ^= 1;
        }
        if (rl) link_send(s, 0, reply, rl, saddr, 1);
        return;
    }
    us_conn_recv(s->srv, p->data, p->n, p->from, p->from_len, s->now);
}

/* Advances virtual time to the next event and processes it. Returns 0 when idle forever. */
static int step(sim *s) {
    pump_out(s);
    uint64_t t = UINT64_MAX;
    for (size_t i = 0; i < s->nq; i++)
        if (s->q[i].at < t) t = s->q[i].at;
    uint64_t tc = s->cli ? us_conn_next_timeout(s->cli) : UINT64_MAX;
    uint64_t ts = s->srv ? us_conn_next_timeout(s->srv) : UINT64_MAX;
    if (tc < t) t = tc;
    if (ts < t) t = ts;
    if (t == UINT64_MAX) return 0;
    if (t > s->now) s->now = t;
    for (size_t i = 0; i < s->nq;) {
        if (s->q[i].at <= s->now) {
            pkt p = s->q[i];
            /* keep the order of packets due at the same time (a FIFO link) */
            memmove(&s->q[i], &s->q[i + 1], (s->nq - i - 1) * sizeof *s->q);
            s->nq--;
            deliver(s, &p);
            free(p.data);
        } else {
            i++;
        }
    }
    if (s->cli && us_conn_next_timeout(s->cli) <= s->now) us_conn_on_timeout(s->cli, s->now);
    if (s->srv && us_conn_next_timeout(s->srv) <= s->now) us_conn_on_timeout(s->srv, s->now);
    return 1;
}

static void sim_init(sim *s, uint64_t seed) {
    memset(s, 0, sizeof *s);
    assert_int_equal(uc_init(), 0);
    assert_int_equal(umbra_identity_generate(&s->id), 0);
    umbra_identity_public(s->id, &s->pk);
    us_config_default(&s->ccfg);
    us_config_default(&s->scfg);
    s->ccfg.peer = &s->pk;
    s->scfg.identity = s->id;
    s->rng = seed | 1;
    s->delay = 10 * MS;
    s->caddr[0] = 'C';
    s->caddr[1] = '1';
    s->caddr_len = 2;
    s->gen_state = seed * 2654435761u + 7;
    s->chk_state = s->gen_state;
}

/* Fragmented hellos on both sides (the UDP leg's mode, §2.6), all datagrams <= 1200 bytes. */
static void sim_frag(sim *s) {
    s->frag = 1;
    s->ccfg.fragment_hellos = s->scfg.fragment_hellos = 1;
    s->ccfg.max_packet = s->scfg.max_packet = US_FRAG_DGRAM_MAX;
    s->max_dgram = US_FRAG_DGRAM_MAX;
    assert_int_equal(us__reasm_table_init(&s->reasm, 8), 0);
}

static void sim_free(sim *s) {
    us__reasm_table_free(&s->reasm);
    us_conn_free(s->cli);
    us_conn_free(s->srv);
    for (size_t i = 0; i < s->nq; i++) free(s->q[i].data);
    free(s->q);
    umbra_identity_free(s->id);
}

static void sim_connect(sim *s) {
    assert_int_equal(us_conn_new_client(&s->ccfg, "S", 1, s->now, &s->cli), 0);
}

static int run_until(sim *s, int (*done)(sim *), uint64_t limit_ns) {
    uint64_t end = s->now + limit_ns;
    while (!done(s) && s->now < end)
        if (!step(s)) break;
    return done(s);
}

static int both_connected(sim *s) {
    return s->cli && s->srv && us_conn_state(s->cli) == US_STATE_CONNECTED &&
           us_conn_state(s->srv) == US_STATE_CONNECTED;
}

/* deterministic payload generator */
static void gen(uint64_t *st, uint8_t *out, size_t n) {
    for (size_t i = 0; i < n; i++) {
        *st = *st * 6364136223846793005ull + 1442695040888963407ull;
        out[i] = (uint8_t)(*st >> 56);
    }
}

/* Client pushes to_send bytes on one stream then FIN; server reads and hashes. */
static void transfer_io(sim *s) {
    uint8_t buf[65536];
    if (s->cli && s->sent < s->to_send && us_conn_state(s->cli) <= US_STATE_MIGRATING) {
        for (;;) {
            long room = us_stream_writable(s->cli, s->sid);
            if (room <= 0 || s->sent >= s->to_send) break;
            size_t k = sizeof buf;
            if ((uint64_t)k > s->to_send - s->sent) k = (size_t)(s->to_send - s->sent);
            if ((long)k > room) k = (size_t)room;
            uint64_t st = s->gen_state;
            gen(&st, buf, k);
            int w = us_stream_write(s->cli, s->sid, buf, k, s->sent + k == s->to_send);
            assert_true(w > 0);
            /* regenerate exactly the accepted bytes */
            gen(&s->gen_state, buf, (size_t)w);
            uc_sha256_update(&s->hs, buf, (size_t)w);
            s->sent += (uint64_t)w;
        }
    }
    if (s->srv) {
        uint32_t id;
        while (us_conn_next_readable(s->srv, &id)) {
            int fin = 0;
            int k = us_stream_read(s->srv, id, buf, sizeof buf, &fin);
            if (k > 0) {
                uc_sha256_update(&s->hr, buf, (size_t)k);
                s->recvd += (uint64_t)k;
            } else if (fin) {
                s->fin_seen = 1;
            } else {
                break;
            }
        }
    }
}

static int transfer_done(sim *s) {
    transfer_io(s);
    return s->fin_seen;
}

static void do_transfer(sim *s, uint64_t bytes, uint64_t limit_ns) {
    s->to_send = bytes;
    uc_sha256_init(&s->hs);
    uc_sha256_init(&s->hr);
    assert_int_equal(us_stream_open(s->cli, &s->sid), 0);
    assert_true(run_until(s, transfer_done, limit_ns));
    uint8_t a[32], b[32];
    uc_sha256_final(&s->hs, a);
    uc_sha256_final(&s->hr, b);
    assert_int_equal(s->recvd, bytes);
    assert_memory_equal(a, b, 32);
}

static uint64_t big_size(uint64_t normal, uint64_t asan) {
    const char *e = getenv("UMBRA_SESSION_TEST_MB");
    if (e && *e) return strtoull(e, NULL, 10) << 20;
#ifdef UMBRA_SANITIZE
    (void)normal;
    return asan;
#else
    (void)asan;
    return normal;
#endif
}

/* ---- tests ---- */

static void test_handshake_and_echo(void **st) {
    (void)st;
    sim s;
    sim_init(&s, 1);
    sim_connect(&s);
    assert_int_equal(us_conn_state(s.cli), US_STATE_HANDSHAKING);
    assert_true(run_until(&s, both_connected, 5000 * MS));
    /* both directions */
    uint32_t id;
    assert_int_equal(us_stream_open(s.cli, &id), 0);
    assert_int_equal(id, 1);
    assert_int_equal(us_stream_write(s.cli, id, "hello", 5, 1), 5);
    uint8_t buf[64];
    int fin = 0, got = 0;
    for (int i = 0; i < 1000 && !got; i++) {
        step(&s);
        uint32_t rid;
        if (us_conn_next_readable(s.srv, &rid)) {
            assert_int_equal(rid, 1);
            assert_int_equal(us_stream_read(s.srv, rid, buf, sizeof buf, &fin), 5);
            assert_memory_equal(buf, "hello", 5);
            assert_int_equal(us_stream_write(s.srv, rid, "world!", 6, 0), 6);
            got = 1;
        }
    }
    assert_true(got);
    got = 0;
    for (int i = 0; i < 1000 && !got; i++) {
        step(&s);
        uint32_t rid;
        if (us_conn_next_readable(s.cli, &rid)) {
            assert_int_equal(us_stream_read(s.cli, rid, buf, sizeof buf, &fin), 6);
            assert_memory_equal(buf, "world!", 6);
            got = 1;
        }
    }
    assert_true(got);
    /* a FIN written after its data went out travels alone */
    for (int i = 0; i < 50 && s.nq; i++) step(&s);
    assert_int_equal(us_conn_state(s.srv), US_STATE_CONNECTED);
    assert_int_equal(us_stream_write(s.srv, 1, NULL, 0, 1), 0);
    got = 0;
    for (int i = 0; i < 1000 && !got; i++) {
        step(&s);
        uint32_t rid;
        if (us_conn_next_readable(s.cli, &rid)) {
            assert_int_equal(us_stream_read(s.cli, rid, buf, sizeof buf, &fin), 0);
            assert_int_equal(fin, 1);
            got = 1;
        }
    }
    assert_true(got);
    us_stats cs;
    us_conn_stats(s.cli, &cs);
    assert_true(cs.aead == US_AEAD_AES256GCM);
    /* graceful close from the client */
    assert_int_equal(us_conn_close(s.cli, 0), 0);
    for (int i = 0; i < 10000 && (us_conn_state(s.cli) != US_STATE_CLOSED || us_conn_state(s.srv) != US_STATE_CLOSED); i++)
        if (!step(&s)) break;
    assert_int_equal(us_conn_state(s.cli), US_STATE_CLOSED);
    assert_int_equal(us_conn_state(s.srv), US_STATE_CLOSED);
    assert_int_equal(us_conn_error(s.cli), 0);
    assert_int_equal(us_conn_error(s.srv), 0);
    sim_free(&s);
}

static void test_clean_transfer(void **st) {
    (void)st;
    sim s;
    sim_init(&s, 21);
    sim_connect(&s);
    assert_true(run_until(&s, both_connected, 5000 * MS));
    do_transfer(&s, 8u << 20, 600000 * MS);
    us_stats cs;
    us_conn_stats(s.cli, &cs);
    printf("clean transfer: 8 MiB in %.2f virtual s, %llu pkts, lost %llu, cwnd %llu\n", s.now / 1e9,
           (unsigned long long)cs.packets_sent, (unsigned long long)cs.lost_packets, (unsigned long long)cs.cwnd);
    sim_free(&s);
}

/* the TCP leg's settings: largest packets, no pacing */
static void test_big_packets(void **st) {
    (void)st;
    sim s;
    sim_init(&s, 22);
    s.ccfg.max_packet = s.scfg.max_packet = US_MAX_PACKET;
    s.ccfg.no_pacing = s.scfg.no_pacing = 1;
    sim_connect(&s);
    assert_true(run_until(&s, both_connected, 5000 * MS));
    do_transfer(&s, 8u << 20, 600000 * MS);
    sim_free(&s);
}

static void test_chacha(void **st) {
    (void)st;
    sim s;
    sim_init(&s, 2);
    s.ccfg.aeads = US_AEAD_CHACHA20POLY1305;
    sim_connect(&s);
    assert_true(run_until(&s, both_connected, 5000 * MS));
    do_transfer(&s, 200000, 60000 * MS);
    us_stats cs;
    us_conn_stats(s.srv, &cs);
    assert_int_equal(cs.aead, US_AEAD_CHACHA20POLY1305);
    sim_free(&s);
}

/* Runs the simulation for exactly `ns` of virtual time (step() alone would jump straight to
 * the next timer, however far away). */
static void run_for(sim *s, uint64_t ns) {
    uint64_t end = s->now + ns;
    for (;;) {
        pump_out(s);
        uint64_t t = UINT64_MAX;
        for (size_t i = 0; i < s->nq; i++)
            if (s->q[i].at < t) t = s->q[i].at;
        uint64_t tc = us_conn_next_timeout(s->cli), ts = us_conn_next_timeout(s->srv);
        if (tc < t) t = tc;
        if (ts < t) t = ts;
        if (t > end) break;
        step(s);
    }
    s->now = end;
}

/* RFC 9002 §5.3: the congestion controller's RTT samples exclude the peer's ack delay. A
 * bulk transfer sets min_rtt (acks every second packet, no delay); then lone small writes
 * 100 ms apart are each acked only when the server's 25 ms ack timer fires. Raw samples
 * are then RTT + 25 ms = 45 ms and the controller's smoothed RTT drifts there; with the
 * delay taken off it stays near the link's 20 ms. */
static void test_cc_rtt_excludes_ack_delay(void **st) {
    (void)st;
    sim s;
    sim_init(&s, 21);
    sim_connect(&s);
    assert_true(run_until(&s, both_connected, 5000 * MS));
    do_transfer(&s, 256 << 10, 20000 * MS);
    uint32_t sid;
    assert_int_equal(us_stream_open(s.cli, &sid), 0);
    uint8_t msg[100] = {0};
    for (int i = 0; i < 30; i++) {
        assert_int_equal(us_stream_write(s.cli, sid, msg, sizeof msg, 0), (int)sizeof msg);
        run_for(&s, 100 * MS);
        uint32_t id;
        uint8_t buf[256];
        int fin;
        while (us_conn_next_readable(s.srv, &id)) if (us_stream_read(s.srv, id, buf, sizeof buf, &fin) <= 0) break;
    }
    us__cc_snapshot sn;
    us__conn_cc_snapshot(s.cli, &sn);
    print_message("cc srtt after delayed acks: %llu us (min_rtt %llu us)\n",
                  (unsigned long long)(sn.srtt_ns / 1000), (unsigned long long)(sn.min_rtt_ns / 1000));
    assert_true(sn.min_rtt_ns >= 20 * MS && sn.min_rtt_ns < 25 * MS);
    assert_true(sn.srtt_ns < 30 * MS);
    sim_free(&s);
}

static void test_lossy_transfer(void **st) {
    (void)st;
    sim s;
    sim_init(&s, 3);
    s.drop_pct = 5;
    s.dup_pct = 3;
    s.reorder_pct = 10;
    s.corrupt_pct = 2;
    s.ccfg.max_packet = s.scfg.max_packet = 1350;
    sim_connect(&s);
    assert_true(run_until(&s, both_connected, 30000 * MS));
    uint64_t bytes = big_size(64ull << 20, 8ull << 20);
    do_transfer(&s, bytes, 3600000 * MS);
    us_stats ss, cs;
    us_conn_stats(s.srv, &ss);
    us_conn_stats(s.cli, &cs);
    printf("lossy transfer: %llu bytes, client sent %llu pkts, retransmitted %llu bytes, lost %llu; "
           "server dropped auth=%llu replay=%llu; virtual time %.1f s\n",
           (unsigned long long)bytes, (unsigned long long)cs.packets_sent,
           (unsigned long long)cs.retransmitted_bytes, (unsigned long long)cs.lost_packets,
           (unsigned long long)ss.dropped_auth, (unsigned long long)ss.dropped_replay, s.now / 1e9);
    printf("cwnd %llu pacing %llu B/s srtt %llu us\n", (unsigned long long)cs.cwnd, (unsigned long long)cs.pacing_rate, (unsigned long long)cs.srtt_ns / 1000);
    assert_true(ss.dropped_auth > 0);    /* corruption was detected by the AEAD */
    assert_true(ss.dropped_replay > 0);  /* duplicates were caught by the replay window */
    assert_true(cs.retransmitted_bytes > 0);
    sim_free(&s);
}

/* volume: hundreds of MiB through a link that drops, duplicates, reorders and corrupts
 * 1 % each (light enough for the congestion controller to keep its rate) */
static void test_bulk_transfer(void **st) {
    (void)st;
    sim s;
    sim_init(&s, 70);
    s.drop_pct = 1;
    s.dup_pct = 1;
    s.reorder_pct = 5;
    s.corrupt_pct = 1;
    sim_connect(&s);
    assert_true(run_until(&s, both_connected, 30000 * MS));
    uint64_t bytes = big_size(256ull << 20, 16ull << 20);
    do_transfer(&s, bytes, 36000000 * MS);
    us_stats ss, cs;
    us_conn_stats(s.srv, &ss);
    us_conn_stats(s.cli, &cs);
    printf("bulk transfer: %llu MiB intact (sha256 equal), %llu pkts, lost %llu, auth drops %llu, "
           "replay drops %llu, virtual %.1f s\n",
           (unsigned long long)(bytes >> 20), (unsigned long long)cs.packets_sent,
           (unsigned long long)cs.lost_packets, (unsigned long long)ss.dropped_auth,
           (unsigned long long)ss.dropped_replay, s.now / 1e9);
    sim_free(&s);
}

/* Fragmented hellos on a clean link: ClientHello = 3 padded datagrams of 1200 bytes,
 * ServerHello = 4 datagrams, every datagram of the session <= 1200 bytes (asserted in
 * link_send), anti-amplification respected (asserted in pump_out). */
static void test_frag_handshake(void **st) {
    (void)st;
    sim s;
    sim_init(&s, 80);
    sim_frag(&s);
    sim_connect(&s);
    assert_true(run_until(&s, both_connected, 5000 * MS));
    assert_int_equal(s.hs_dgrams, 3 + 4);
    assert_true(s.srv_tx_hs > 4 * US_FRAG_HDR_LEN + US_SERVER_HELLO_LEN - 1);
    do_transfer(&s, 1u << 20, 60000 * MS);
    sim_free(&s);
}

/* Many handshakes over a link that drops, duplicates and reorders 15/15/30 % of datagrams:
 * lost fragments are re-sent by the handshake timer (client) and on the client's
 * retransmission (server); every handshake completes, none exceeds 3x before validation. */
static void test_frag_lossy_handshakes(void **st) {
    (void)st;
    unsigned done = 0, dgrams = 0;
    for (uint64_t seed = 0; seed < 24; seed++) {
        sim s;
        sim_init(&s, 900 + seed);
        sim_frag(&s);
        s.drop_pct = 15;
        s.dup_pct = 15;
        s.reorder_pct = 30;
        s.ccfg.handshake_timeout_ns = s.scfg.handshake_timeout_ns = 120000 * MS;
        sim_connect(&s);
        assert_true(run_until(&s, both_connected, 120000 * MS));
        do_transfer(&s, 20000, 120000 * MS);
        done++;
        dgrams += s.hs_dgrams;
        sim_free(&s);
    }
    printf("fragmented handshakes under loss: %u/24 completed, %u fragment datagrams (7 without loss)\n",
           done, dgrams);
}

static void test_lost_server_hello(void **st) {
    (void)st;
    sim s;
    sim_init(&s, 4);
    s.drop_to_client_hello = 2;
    sim_connect(&s);
    assert_true(run_until(&s, both_connected, 10000 * MS));
    sim_free(&s);
}

static int cli_closed(sim *s) { return us_conn_state(s->cli) == US_STATE_CLOSED; }

static void test_wrong_key(void **st) {
    (void)st;
    sim s;
    sim_init(&s, 5);
    umbra_identity *other;
    assert_int_equal(umbra_identity_generate(&other), 0);
    umbra_identity_public(other, &s.pk); /* the client pins somebody else */
    sim_connect(&s);
    assert_true(run_until(&s, cli_closed, 20000 * MS));
    assert_int_equal(us_conn_error(s.cli), UMBRA_EPEER_KEY);
    assert_int_equal(s.srv_accept_rc, UMBRA_EPEER_KEY);
    assert_null(s.srv);
    umbra_identity_free(other);
    sim_free(&s);
}

static void test_bad_server_signature(void **st) {
    (void)st;
    sim s;
    sim_init(&s, 6);
    s.corrupt_server_hello = 1;
    sim_connect(&s);
    assert_true(run_until(&s, cli_closed, 20000 * MS));
    assert_int_equal(us_conn_error(s.cli), UMBRA_EPEER_KEY);
    sim_free(&s);
}

/* A forged ServerHello (unauthenticated: anyone who saw the ClientHello's cid can send one)
 * arriving before the genuine one is dropped, not fatal: the handshake still completes. */
static void test_forged_server_hello(void **st) {
    (void)st;
    sim s;
    sim_init(&s, 7);
    s.ccfg.aeads = US_AEAD_AES256GCM;
    sim_connect(&s);
    uint8_t own[US_CID_LEN], hello[US_CID_LEN];
    us_conn_cids(s.cli, own, hello);
    static uint8_t sh[US_SERVER_HELLO_LEN];
    memset(sh, 0x5a, sizeof sh);
    sh[0] = US_PT_SERVER_HELLO;
    us__put32(sh + 1, US_VERSION);
    memcpy(sh + 5, own, US_CID_LEN);
    sh[1173] = US_AEAD_AES256GCM;
    sh[1174] = 0;
    assert_int_equal(us_conn_recv(s.cli, sh, sizeof sh, "S", 1, s.now), 0);
    assert_int_equal(us_conn_state(s.cli), US_STATE_HANDSHAKING);
    sh[1173] = US_AEAD_CHACHA20POLY1305; /* an AEAD we did not offer, unsigned: also dropped */
    assert_int_equal(us_conn_recv(s.cli, sh, sizeof sh, "S", 1, s.now), 0);
    assert_true(run_until(&s, both_connected, 20000 * MS));
    sim_free(&s);
}

/* The same over fragmented hellos (§2.6): a forged fragment fills the reassembly buffer
 * first (first-come bytes); the poisoned ServerHello is dropped and the next round of the
 * genuine fragments completes the handshake. */
static void test_frag_forged_server_hello(void **st) {
    (void)st;
    sim s;
    sim_init(&s, 8);
    sim_frag(&s);
    sim_connect(&s);
    uint8_t own[US_CID_LEN], hello[US_CID_LEN];
    us_conn_cids(s.cli, own, hello);
    static uint8_t sh[US_SERVER_HELLO_LEN];
    memset(sh, 0x5a, sizeof sh);
    sh[0] = US_PT_SERVER_HELLO;
    us__put32(sh + 1, US_VERSION);
    memcpy(sh + 5, own, US_CID_LEN);
    sh[1173] = US_AEAD_AES256GCM; /* aead and flags lie in the first fragment too */
    sh[1174] = 0;
    uint8_t fr[US_FRAG_DGRAM_MAX];
    int k = us__frag_encode(fr, sizeof fr, sh, sizeof sh, 0, 0);
    assert_true(k > 0);
    assert_int_equal(us_conn_recv(s.cli, fr, (size_t)k, "S", 1, s.now), 0);
    assert_true(run_until(&s, both_connected, 20000 * MS));
    us_stats cs;
    us_conn_stats(s.cli, &cs);
    assert_true(cs.dropped_auth >= 1); /* the poisoned ServerHello was verified and dropped */
    sim_free(&s);
}

/* us_config.peer_xpk: the client verifies with the expanded pinned key — a handshake
 * completes, a corrupted ServerHello signature is still refused, and an xpk of another key
 * than the pin is rejected up front. */
static void test_pinned_xpk(void **st) {
    (void)st;
    uc_compsig_xpk *x = NULL;
    assert_int_equal(us_peer_xpk_new(NULL, &x), UMBRA_EINVAL);
    assert_null(x);
    sim s;
    sim_init(&s, 61);
    assert_int_equal(us_peer_xpk_new(&s.pk, &x), 0);
    s.ccfg.peer_xpk = x;
    sim_connect(&s);
    assert_true(run_until(&s, both_connected, 10000 * MS));
    do_transfer(&s, 5000, 10000 * MS);
    sim_free(&s);
    us_peer_xpk_free(x);

    sim_init(&s, 62);
    assert_int_equal(us_peer_xpk_new(&s.pk, &x), 0);
    s.ccfg.peer_xpk = x;
    s.corrupt_server_hello = 1;
    sim_connect(&s);
    assert_true(run_until(&s, cli_closed, 20000 * MS));
    assert_int_equal(us_conn_error(s.cli), UMBRA_EPEER_KEY);
    sim_free(&s);
    us_peer_xpk_free(x);

    sim_init(&s, 63);
    umbra_identity *other;
    umbra_peer_key opk;
    assert_int_equal(umbra_identity_generate(&other), 0);
    umbra_identity_public(other, &opk);
    assert_int_equal(us_peer_xpk_new(&opk, &x), 0);
    s.ccfg.peer_xpk = x; /* expanded from a key that is not the pin */
    assert_int_equal(us_conn_new_client(&s.ccfg, "S", 1, s.now, &s.cli), UMBRA_EINVAL);
    assert_null(s.cli);
    sim_free(&s);
    us_peer_xpk_free(x);
    umbra_identity_free(other);
    us_peer_xpk_free(NULL);
}

static void test_version_mismatch(void **st) {
    (void)st;
    sim s;
    sim_init(&s, 7);
    s.bad_version = 1;
    sim_connect(&s);
    assert_true(run_until(&s, cli_closed, 20000 * MS));
    assert_int_equal(s.srv_accept_rc, UMBRA_EVERSION);
    assert_int_equal(us_conn_error(s.cli), UMBRA_EVERSION);
    sim_free(&s);
}

static void test_unreachable(void **st) {
    (void)st;
    sim s;
    sim_init(&s, 8);
    s.drop_pct = 100;
    sim_connect(&s);
    assert_true(run_until(&s, cli_closed, 60000 * MS));
    assert_int_equal(us_conn_error(s.cli), UMBRA_EUNREACHABLE);
    sim_free(&s);
}

/* replay, forgery, truncation and forged epochs against an established server */
static void test_replay_forgery(void **st) {
    (void)st;
    sim s;
    sim_init(&s, 9);
    s.tap_server = 1;
    sim_connect(&s);
    assert_true(run_until(&s, both_connected, 5000 * MS));
    do_transfer(&s, 100000, 60000 * MS);
    assert_true(s.tap_n > 0);
    us_stats a, b;
    us_conn_stats(s.srv, &a);
    uint8_t p[US_MAX_PACKET];
    /* exact replay */
    assert_int_equal(us_conn_recv(s.srv, s.tap, s.tap_n, s.caddr, s.caddr_len, s.now), 0);
    us_conn_stats(s.srv, &b);
    assert_int_equal(b.dropped_replay + b.dropped_auth, a.dropped_replay + a.dropped_auth + 1);
    /* flipped ciphertext bit, flipped header bit (AAD), truncated, forged epoch */
    for (int k = 0; k < 5; k++) {
        memcpy(p, s.tap, s.tap_n);
        size_t n = s.tap_n;
        if (k == 0) p[n - 1] ^= 1;
        if (k == 1) p[20] ^= 1;                       /* seq: another nonce, AAD differs */
        if (k == 2) n -= 1;
        if (k == 3) us__put16(p + 2, (uint16_t)(us__get16(p + 2) + 1)); /* epoch + 1: trial fails */
        if (k == 4) us__put16(p + 2, (uint16_t)(us__get16(p + 2) + 40)); /* beyond catch-up */
        us_conn_stats(s.srv, &a);
        assert_int_equal(us_conn_recv(s.srv, p, n, s.caddr, s.caddr_len, s.now), 0);
        us_conn_stats(s.srv, &b);
        assert_int_equal(b.dropped_auth, a.dropped_auth + 1);
        assert_int_equal(b.rx_epoch, a.rx_epoch); /* nothing committed */
    }
    /* garbage and a short packet */
    memset(p, 0x10, 30);
    assert_int_equal(us_conn_recv(s.srv, p, 30, s.caddr, s.caddr_len, s.now), 0);
    assert_int_equal(us_conn_recv(s.srv, p, 3, s.caddr, s.caddr_len, s.now), 0);
    /* the session still works */
    assert_int_equal(us_conn_state(s.srv), US_STATE_CONNECTED);
    s.fin_seen = 0;
    s.sent = s.recvd = 0;
    do_transfer(&s, 50000, 60000 * MS);
    sim_free(&s);
}

static void test_rekey(void **st) {
    (void)st;
    sim s;
    sim_init(&s, 10);
    s.ccfg.rekey_after = 40;
    s.scfg.rekey_after = 40;
    s.drop_pct = 3;
    s.reorder_pct = 20;
    sim_connect(&s);
    assert_true(run_until(&s, both_connected, 10000 * MS));
    do_transfer(&s, 2u << 20, 600000 * MS);
    us_stats cs, ss;
    us_conn_stats(s.cli, &cs);
    us_conn_stats(s.srv, &ss);
    assert_true(cs.tx_epoch >= 10);
    assert_true(ss.rx_epoch + 2 >= cs.tx_epoch);
    assert_true(ss.tx_epoch >= 1);
    sim_free(&s);
}

static int cli_idle_closed(sim *s) { return us_conn_state(s->cli) == US_STATE_CLOSED; }

static void test_idle_timeout(void **st) {
    (void)st;
    sim s;
    sim_init(&s, 11);
    s.ccfg.idle_timeout_ns = 2000 * MS;
    sim_connect(&s);
    assert_true(run_until(&s, both_connected, 5000 * MS));
    us_conn_free(s.srv); /* the server vanishes */
    s.srv = NULL;
    s.drop_pct = 100;
    uint64_t t0 = s.now;
    assert_true(run_until(&s, cli_idle_closed, 10000 * MS));
    assert_int_equal(us_conn_error(s.cli), UMBRA_ETIMEDOUT);
    assert_true(s.now - t0 <= 2100 * MS);
    sim_free(&s);
}

static uint64_t g_mark;
static int past_mark(sim *s) {
    transfer_io(s);
    return s->recvd >= g_mark;
}

static uint64_t g_want_migrations;
static int server_migrated(sim *s) {
    transfer_io(s);
    us_stats st;
    us_conn_stats(s->srv, &st);
    return st.migrations >= g_want_migrations && us_conn_state(s->srv) == US_STATE_CONNECTED;
}

/* the client's address changes 10 times during a transfer (each time the old one dies):
 * the server validates every new address and the transfer completes intact */
static void test_migration(void **st) {
    (void)st;
    sim s;
    sim_init(&s, 12);
    s.drop_pct = 2;
    sim_connect(&s);
    assert_true(run_until(&s, both_connected, 5000 * MS));
    s.to_send = 4u << 20;
    uc_sha256_init(&s.hs);
    uc_sha256_init(&s.hr);
    assert_int_equal(us_stream_open(s.cli, &s.sid), 0);
    for (int i = 1; i <= 10; i++) {
        g_mark = s.to_send * (uint64_t)i / 11;
        assert_true(run_until(&s, past_mark, 600000 * MS));
        s.caddr[1] = (uint8_t)('1' + i); /* rebound socket: new source address */
        assert_int_equal(us_conn_migrate(s.cli, s.now), 0);
        g_want_migrations = (uint64_t)i; /* the server validated the new address */
        assert_true(run_until(&s, server_migrated, 600000 * MS));
    }
    assert_true(run_until(&s, transfer_done, 600000 * MS));
    uint8_t a[32], b[32];
    uc_sha256_final(&s.hs, a);
    uc_sha256_final(&s.hr, b);
    assert_memory_equal(a, b, 32);
    us_stats ss;
    us_conn_stats(s.srv, &ss);
    assert_int_equal(ss.migrations, 10);
    assert_int_equal(ss.paths_validated, 1); /* old addresses were released */
    assert_int_equal(us_conn_state(s.srv), US_STATE_CONNECTED);
    sim_free(&s);
}

static void retry_case(int frag) {
    for (int tamper = 0; tamper < 2; tamper++) {
        sim s;
        sim_init(&s, 30 + (uint64_t)tamper);
        if (frag) sim_frag(&s);
        uint8_t key[32];
        uc_random(key, sizeof key);
        s.scfg.require_retry = 1;
        s.scfg.retry_key = key;
        s.tamper_token = tamper;
        s.ccfg.handshake_timeout_ns = 3000 * MS;
        sim_connect(&s);
        if (!tamper) {
            assert_true(run_until(&s, both_connected, 5000 * MS));
            assert_int_equal(s.retries_sent, 1);
            do_transfer(&s, 100000, 60000 * MS);
        } else {
            assert_true(run_until(&s, cli_closed, 10000 * MS));
            assert_int_equal(s.srv_accept_rc, UMBRA_EAUTH); /* the forged token was refused */
            assert_null(s.srv);
        }
        sim_free(&s);
    }
}

static void test_retry(void **st) {
    (void)st;
    retry_case(0);
}

/* Retry with fragmented hellos: the server answers only the reassembled hello, the client
 * re-sends all fragments with the token (a new total), the server reassembles anew. */
static void test_frag_retry(void **st) {
    (void)st;
    retry_case(1);
}

/* single-use store for the server */
static uint8_t g_seen[16][16];
static int g_nseen;
static int ticket_seen(void *ud, const uint8_t id[16], uint64_t expiry) {
    (void)ud;
    (void)expiry;
    for (int i = 0; i < g_nseen; i++)
        if (!memcmp(g_seen[i], id, 16)) return 1;
    if (g_nseen == 16) return 1;
    memcpy(g_seen[g_nseen++], id, 16);
    return 0;
}

static int has_ticket(sim *s) {
    us_ticket t;
    return us_conn_get_ticket(s->cli, &t);
}

static void reset_conns(sim *s) {
    us_conn_free(s->cli);
    us_conn_free(s->srv);
    s->cli = s->srv = NULL;
    for (size_t i = 0; i < s->nq; i++) free(s->q[i].data);
    s->nq = 0;
    s->sent = s->recvd = 0;
    s->fin_seen = 0;
    s->srv_rx_hs = s->srv_tx_hs = 0;
}

/* resume with a ticket: 0-RTT data is accepted once, refused on replay and when forged,
 * and delivered in every case */
static void resumption_case(int frag) {
    sim s;
    sim_init(&s, 40);
    if (frag) sim_frag(&s);
    uint8_t tkey[32];
    uc_random(tkey, sizeof tkey);
    g_nseen = 0;
    s.scfg.ticket_key = tkey;
    s.scfg.ticket_seen = ticket_seen;
    s.scfg.max_early_data = 8000;
    sim_connect(&s);
    assert_true(run_until(&s, has_ticket, 5000 * MS));
    us_ticket t;
    assert_int_equal(us_conn_get_ticket(s.cli, &t), 1);
    assert_int_equal(t.max_early, 8000);
    for (int round = 0; round < 3; round++) {
        us_ticket use = t;
        if (round == 2) use.ticket[30] ^= 1; /* forged */
        reset_conns(&s);
        s.ccfg.ticket = &use;
        sim_connect(&s);
        /* early data: written before the handshake; 5000 bytes fit the budget */
        s.to_send = 20000;
        uc_sha256_init(&s.hs);
        uc_sha256_init(&s.hr);
        assert_int_equal(us_stream_open(s.cli, &s.sid), 0);
        transfer_io(&s);
        assert_true(run_until(&s, transfer_done, 60000 * MS));
        uint8_t a[32], b[32];
        uc_sha256_final(&s.hs, a);
        uc_sha256_final(&s.hr, b);
        assert_memory_equal(a, b, 32);
        us_stats cs, ss;
        us_conn_stats(s.cli, &cs);
        us_conn_stats(s.srv, &ss);
        if (round == 0) {
            assert_int_equal(cs.early, 1);
            assert_int_equal(ss.early, 1);
            printf("early: client %llu server %llu\n", (unsigned long long)cs.early_bytes, (unsigned long long)ss.early_bytes);
            assert_true(ss.early_bytes > 0 && ss.early_bytes <= 8000);
            assert_int_equal(cs.early_bytes, ss.early_bytes);
        } else {
            assert_int_equal(cs.early, -1); /* replayed (round 1) or forged (round 2) */
            assert_int_equal(ss.early, -1);
            assert_int_equal(ss.early_bytes, 0);
        }
    }
    s.ccfg.ticket = NULL;
    sim_free(&s);
}

static void test_resumption(void **st) {
    (void)st;
    resumption_case(0);
}

/* 0-RTT behind a fragmented ClientHello: early packets follow the last fragment. */
static void test_frag_resumption(void **st) {
    (void)st;
    resumption_case(1);
}

static uint8_t g_allowed[US_SIG_PK_LEN];
static int authorize(void *ud, const uint8_t pk[US_SIG_PK_LEN]) {
    (void)ud;
    return memcmp(pk, g_allowed, US_SIG_PK_LEN) == 0 ? 0 : -1;
}

/* optional client authentication (PROTOCOL.md §4.4) */
static void client_auth_case(int frag) {
    umbra_identity *alice, *mallory;
    assert_int_equal(umbra_identity_generate(&alice), 0);
    assert_int_equal(umbra_identity_generate(&mallory), 0);
    memcpy(g_allowed, umbra_identity_compsig_pk(alice), US_SIG_PK_LEN);
    for (int k = 0; k < 3; k++) {
        sim s;
        sim_init(&s, 50 + (uint64_t)k);
        if (frag) sim_frag(&s); /* every datagram, CLIENT_AUTH pieces included, <= 1200 */
        s.scfg.require_client_auth = 1;
        s.scfg.authorize = authorize;
        s.ccfg.identity = k == 0 ? alice : k == 1 ? mallory : NULL;
        s.drop_pct = 10; /* the auth packet may be lost and re-sent */
        sim_connect(&s);
        if (k == 0) {
            do_transfer(&s, 100000, 600000 * MS);
            uint8_t pk[US_SIG_PK_LEN];
            assert_int_equal(us_conn_peer_auth(s.srv, pk), 1);
            assert_memory_equal(pk, g_allowed, US_SIG_PK_LEN);
        } else {
            assert_true(run_until(&s, cli_closed, 600000 * MS));
            assert_int_equal(us_conn_error(s.cli), UMBRA_EPERM);
            if (s.srv) assert_int_equal(s.recvd, 0);
        }
        sim_free(&s);
    }
    umbra_identity_free(alice);
    umbra_identity_free(mallory);
}

static void test_client_auth(void **st) {
    (void)st;
    client_auth_case(0);
}

/* Client authentication on the fragmenting (UDP) configuration: CLIENT_AUTH_PART pieces fit
 * 1200-byte datagrams (asserted in link_send), lost pieces are re-sent one by one. */
static void test_frag_client_auth(void **st) {
    (void)st;
    client_auth_case(1);
}

/* an authenticated peer that breaks the rules is closed with the reason (§3, §6.4) */
static void test_violations(void **st) {
    (void)st;
    for (int k = 0; k < 3; k++) {
        sim s;
        sim_init(&s, 60 + (uint64_t)k);
        sim_connect(&s);
        assert_true(run_until(&s, both_connected, 5000 * MS));
        uint8_t f[64];
        int n, want;
        if (k == 0) { /* beyond the stream window */
            n = us__frame_stream(f, sizeof f, 1, US_INITIAL_MAX_STREAM_DATA, (const uint8_t *)"x", 1, 0);
            want = UMBRA_EFLOW;
            assert_int_equal(us__conn_recv_plain(s.srv, 1, f, (size_t)n, s.caddr, s.caddr_len, s.now), want);
        } else if (k == 1) { /* STREAM in the control space */
            n = us__frame_stream(f, sizeof f, 1, 0, (const uint8_t *)"x", 1, 0);
            want = UMBRA_EPROTO;
            assert_int_equal(us__conn_recv_plain(s.srv, 0, f, (size_t)n, s.caddr, s.caddr_len, s.now), want);
        } else { /* a server-initiated stream id from the client */
            n = us__frame_stream(f, sizeof f, 2, 0, (const uint8_t *)"x", 1, 0);
            want = UMBRA_EPROTO;
            assert_int_equal(us__conn_recv_plain(s.srv, 2, f, (size_t)n, s.caddr, s.caddr_len, s.now), want);
        }
        assert_int_equal(us_conn_error(s.srv), want);
        /* the CLOSE carries the reason to the client */
        assert_true(run_until(&s, cli_closed, 5000 * MS));
        assert_int_equal(us_conn_error(s.cli), want);
        sim_free(&s);
    }
}

/* RESET_STREAM final sizes count against flow control (RFC 9000 §4.5): beyond the stream
 * window is UMBRA_EFLOW; within it the reset bytes, never read, give their connection credit
 * back, so resets totalling more than the connection window do not stall the connection. */
static void test_reset_flow_control(void **st) {
    (void)st;
    for (int k = 0; k < 2; k++) {
        sim s;
        sim_init(&s, 90 + (uint64_t)k);
        sim_connect(&s);
        assert_true(run_until(&s, both_connected, 5000 * MS));
        uint8_t f[64];
        int n;
        if (k == 0) { /* final size one byte past the stream window */
            n = us__frame_reset(f, sizeof f, 1, 7, US_INITIAL_MAX_STREAM_DATA + 1);
            assert_int_equal(us__conn_recv_plain(s.srv, 1, f, (size_t)n, s.caddr, s.caddr_len, s.now),
                             UMBRA_EFLOW);
            assert_int_equal(us_conn_error(s.srv), UMBRA_EFLOW);
        } else { /* 20 streams reset at a full window each: 20 MiB > the 16 MiB window */
            uint32_t id = 1;
            for (int i = 0; i < 20; i++, id += 2) {
                n = us__frame_reset(f, sizeof f, id, 7, US_INITIAL_MAX_STREAM_DATA);
                assert_int_equal(us__conn_recv_plain(s.srv, id, f, (size_t)n, s.caddr, s.caddr_len, s.now), 0);
            }
            n = us__frame_stream(f, sizeof f, id, 0, (const uint8_t *)"x", 1, 0);
            assert_int_equal(us__conn_recv_plain(s.srv, id, f, (size_t)n, s.caddr, s.caddr_len, s.now), 0);
            assert_int_equal(us_conn_state(s.srv), US_STATE_CONNECTED);
        }
        sim_free(&s);
    }
}

/* RESET_STREAM: the reader sees UMBRA_ERESET, other streams are unaffected */
static void test_stream_reset(void **st) {
    (void)st;
    sim s;
    sim_init(&s, 80);
    s.drop_pct = 5;
    sim_connect(&s);
    assert_true(run_until(&s, both_connected, 5000 * MS));
    uint32_t a, b;
    assert_int_equal(us_stream_open(s.cli, &a), 0);
    assert_int_equal(us_stream_open(s.cli, &b), 0);
    uint8_t buf[4096];
    memset(buf, 'x', sizeof buf);
    assert_int_equal(us_stream_write(s.cli, a, buf, sizeof buf, 0), (int)sizeof buf);
    assert_int_equal(us_stream_reset(s.cli, a, 7), 0);
    assert_int_equal(us_stream_write(s.cli, a, buf, 1, 0), UMBRA_ESTATE);
    assert_int_equal(us_stream_write(s.cli, b, "ok", 2, 1), 2);
    int saw_reset = 0, saw_b = 0;
    for (int i = 0; i < 5000 && !(saw_reset && saw_b); i++) {
        step(&s);
        uint32_t id;
        while (us_conn_next_readable(s.srv, &id)) {
            int fin = 0;
            int n = us_stream_read(s.srv, id, buf, sizeof buf, &fin);
            if (id == a && n == UMBRA_ERESET) saw_reset = 1;
            if (id == b && n == 2) saw_b = 1;
            if (n < 0 || (n == 0 && fin)) break;
        }
    }
    assert_true(saw_reset);
    assert_true(saw_b);
    assert_int_equal(us_conn_state(s.srv), US_STATE_CONNECTED);
    sim_free(&s);
}

/* many concurrent streams share the connection (flow control, acks per space, fairness) */
static void test_many_streams(void **st) {
    (void)st;
    enum { NS = 16 };
    const size_t per = (size_t)big_size(2u << 20, 256u << 10);
    sim s;
    sim_init(&s, 90);
    s.drop_pct = 1;
    s.reorder_pct = 5;
    sim_connect(&s);
    assert_true(run_until(&s, both_connected, 5000 * MS));
    uint32_t ids[NS];
    size_t sent[NS] = {0}, got[NS] = {0};
    int fins = 0;
    for (int i = 0; i < NS; i++) assert_int_equal(us_stream_open(s.cli, &ids[i]), 0);
    uint8_t buf[16384];
    for (int it = 0; it < 2000000 && fins < NS; it++) {
        for (int i = 0; i < NS; i++) {
            while (sent[i] < per) {
                size_t k = per - sent[i] < sizeof buf ? per - sent[i] : sizeof buf;
                for (size_t j = 0; j < k; j++) buf[j] = (uint8_t)(ids[i] * 31 + sent[i] + j);
                int w = us_stream_write(s.cli, ids[i], buf, k, sent[i] + k == per);
                if (w <= 0) break;
                sent[i] += (size_t)w;
            }
        }
        uint32_t id;
        while (us_conn_next_readable(s.srv, &id)) {
            int fin = 0;
            int n = us_stream_read(s.srv, id, buf, sizeof buf, &fin);
            int i = (int)(id - 1) / 2;
            assert_true(i >= 0 && i < NS);
            if (n > 0) {
                for (int j = 0; j < n; j++) assert_int_equal(buf[j], (uint8_t)(id * 31 + got[i] + (size_t)j));
                got[i] += (size_t)n;
            } else if (fin) {
                fins++;
            } else {
                break;
            }
        }
        if (!step(&s)) break;
    }
    for (int i = 0; i < NS; i++) assert_int_equal(got[i], per);
    assert_int_equal(fins, NS);
    us_stats cs;
    us_conn_stats(s.cli, &cs);
    printf("many streams: %d x %zu bytes, virtual %.2f s; client pkts %llu lost %llu retx %llu cwnd %llu "
           "pacing %llu srtt %llu us\n",
           NS, per, s.now / 1e9, (unsigned long long)cs.packets_sent, (unsigned long long)cs.lost_packets,
           (unsigned long long)cs.retransmitted_bytes, (unsigned long long)cs.cwnd,
           (unsigned long long)cs.pacing_rate, (unsigned long long)cs.srtt_ns / 1000);
    sim_free(&s);
}

static void test_abort_close(void **st) {
    (void)st;
    sim s;
    sim_init(&s, 13);
    sim_connect(&s);
    assert_true(run_until(&s, both_connected, 5000 * MS));
    assert_int_equal(us_conn_close(s.srv, UMBRA_EPROTO), 0);
    assert_true(run_until(&s, cli_closed, 5000 * MS));
    assert_int_equal(us_conn_error(s.cli), UMBRA_EPROTO);
    sim_free(&s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_handshake_and_echo),
        cmocka_unit_test(test_chacha),
        cmocka_unit_test(test_clean_transfer),
        cmocka_unit_test(test_big_packets),
        cmocka_unit_test(test_lost_server_hello),
        cmocka_unit_test(test_frag_handshake),
        cmocka_unit_test(test_frag_lossy_handshakes),
        cmocka_unit_test(test_frag_retry),
        cmocka_unit_test(test_frag_resumption),
        cmocka_unit_test(test_frag_client_auth),
        cmocka_unit_test(test_wrong_key),
        cmocka_unit_test(test_bad_server_signature),
        cmocka_unit_test(test_forged_server_hello),
        cmocka_unit_test(test_frag_forged_server_hello),
        cmocka_unit_test(test_pinned_xpk),
        cmocka_unit_test(test_version_mismatch),
        cmocka_unit_test(test_unreachable),
        cmocka_unit_test(test_replay_forgery),
        cmocka_unit_test(test_rekey),
        cmocka_unit_test(test_idle_timeout),
        cmocka_unit_test(test_migration),
        cmocka_unit_test(test_abort_close),
        cmocka_unit_test(test_retry),
        cmocka_unit_test(test_resumption),
        cmocka_unit_test(test_client_auth),
        cmocka_unit_test(test_violations),
        cmocka_unit_test(test_stream_reset),
        cmocka_unit_test(test_reset_flow_control),
        cmocka_unit_test(test_many_streams),
        cmocka_unit_test(test_lossy_transfer), cmocka_unit_test(test_cc_rtt_excludes_ack_delay),
        cmocka_unit_test(test_bulk_transfer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
