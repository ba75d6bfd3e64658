/* bench_session.c — umbra's session transport beside the OpenSSL TLS 1.3 / raw TCP baseline
 * of bench_tls.c, all measured in the same run on this machine:
 *   - hybrid handshake (X-Wing + composite ML-DSA-65/Ed25519 signature): CPU ms per side
 *     and handshakes/s/core, driving two us_conn objects in memory (sans-I/O API);
 *     handshake latency over loopback UDP;
 *   - bulk throughput of 1 and 16 streams over loopback TCP (4-byte framing, frame.h) and
 *     loopback UDP, with CPU seconds per GB (sender + receiver, whole process).
 * The I/O loop here is the bench's own (poll() + the us_conn sans-I/O API + frame.h), one
 * thread per side, so the numbers are the protocol's cost, not a particular event loop's.
 *
 * usage: bench_session_session [-t SECONDS_PER_MEASUREMENT]   (default 1.5) */
#define BENCH_TLS_NO_MAIN
#include "bench_tls.c"

#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <uv.h>

#include "frame.h"
#include "session_internal.h"
#include "umbra/identity.h"
#include "umbra/session.h"

static void bs_check(int rc, const char *what) {
    if (rc < 0) {
        fprintf(stderr, "bench: %s: %s\n", what, umbra_strerror(rc));
        exit(1);
    }
}

typedef struct bs_keys {
    umbra_identity *id;
    umbra_peer_key pk;
    uc_compsig_xpk *xpk; /* the pinned key expanded once, as a long-lived client config has it */
    us_config scfg, ccfg;
} bs_keys;

static void bs_keys_init(bs_keys *k) {
    bs_check(uc_init(), "uc_init");
    bs_check(umbra_identity_generate(&k->id), "identity");
    umbra_identity_public(k->id, &k->pk);
    us_config_default(&k->scfg);
    k->scfg.identity = k->id;
    us_config_default(&k->ccfg);
    k->ccfg.peer = &k->pk;
    bs_check(us_peer_xpk_new(&k->pk, &k->xpk), "xpk");
    k->ccfg.peer_xpk = k->xpk;
}

/* ---- handshakes in memory: CPU per side ---------------------------------------------------- */

typedef struct bs_msg {
    uint8_t d[US_MAX_PACKET];
    size_t n;
} bs_msg;

/* Moves every packet `from` wants to send into q (up to 8). CPU goes to *acc. */
static int bs_drain(us_conn *c, bs_msg *q, uint64_t now) {
    int k = 0;
    uint8_t to[US_ADDR_MAX];
    size_t tl;
    while (k < 8 && us_conn_send(c, q[k].d, sizeof q[k].d, &q[k].n, to, &tl, now) == 1) k++;
    return k;
}

static void bs_handshakes_mem(bs_keys *k, double secs, bt_hs *r) {
    static bs_msg q[8];
    static const uint8_t caddr[1] = {'C'}, saddr[1] = {'S'};
    double cs = 0, ss = 0;
    int n = 0;
    double w0 = bt_wall();
    while (bt_wall() - w0 < secs || n < 5) {
        uint64_t now = umbra_now_ns();
        us_conn *cli = NULL, *srv = NULL;
        double a = bt_tcpu();
        bs_check(us_conn_new_client(&k->ccfg, saddr, 1, now, &cli), "client");
        int m = bs_drain(cli, q, now);
        double b = bt_tcpu();
        cs += b - a;
        if (m < 1) bs_check(UMBRA_EINTERNAL, "no ClientHello");
        size_t rl;
        bs_check(us_conn_accept(&k->scfg, q[0].d, q[0].n, caddr, 1, now, &srv, NULL, 0, &rl), "accept");
        for (int i = 1; i < m; i++) us_conn_recv(srv, q[i].d, q[i].n, caddr, 1, now);
        ss += bt_tcpu() - b;
        /* Alternate until both sides are Connected; each side's CPU counted separately. */
        for (int round = 0; round < 10; round++) {
            if (us_conn_state(cli) == US_STATE_CONNECTED && us_conn_state(srv) == US_STATE_CONNECTED) break;
            a = bt_tcpu();
            m = bs_drain(srv, q, now);
            b = bt_tcpu();
            ss += b - a;
            for (int i = 0; i < m; i++) bs_check(us_conn_recv(cli, q[i].d, q[i].n, saddr, 1, now), "client recv");
            m = bs_drain(cli, q, now);
            double c2 = bt_tcpu();
            cs += c2 - b;
            for (int i = 0; i < m; i++) bs_check(us_conn_recv(srv, q[i].d, q[i].n, caddr, 1, now), "server recv");
            ss += bt_tcpu() - c2;
        }
        if (us_conn_state(cli) != US_STATE_CONNECTED || us_conn_state(srv) != US_STATE_CONNECTED)
            bs_check(UMBRA_EHANDSHAKE, "in-memory handshake did not complete");
        a = bt_tcpu();
        us_conn_free(cli);
        b = bt_tcpu();
        us_conn_free(srv);
        cs += b - a;
        ss += bt_tcpu() - b;
        n++;
    }
    r->n = n;
    r->client_ms = cs / n * 1e3;
    r->server_ms = ss / n * 1e3;
    r->per_s_core = n / (cs + ss);
    r->srv_per_s_core = n / ss;
}

/* ---- one side of a loopback connection, driven by poll() -------------------------------------- */

enum { BS_UDP = 0, BS_TCP = 1 };

typedef struct bs_side {
    int fd, leg, is_server;
    bs_keys *keys;
    us_config cfg;
    us_conn *c;
    struct sockaddr_in peer;        /* UDP: where the other side is */
    int have_peer;
    us__frame_reader fr;            /* TCP: incoming frames */
    uint8_t *out;                   /* TCP: framed bytes not yet written */
    size_t out_len, out_off, out_cap;
    uint8_t hello_cid[US_CID_LEN];  /* UDP server: the connection being served */
} bs_side;

static void bs_nonblock(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

static void bs_side_init(bs_side *s, int fd, int leg, int is_server, bs_keys *k) {
    memset(s, 0, sizeof *s);
    s->fd = fd;
    s->leg = leg;
    s->is_server = is_server;
    s->keys = k;
    s->cfg = is_server ? k->scfg : k->ccfg;
    if (leg == BS_TCP) {
        s->cfg.max_packet = US_MAX_PACKET; /* TCP segments for us: largest packets */
        s->cfg.no_pacing = 1;
        us__frame_reader_init(&s->fr, 0);
        s->out_cap = 1 << 20;
        s->out = malloc(s->out_cap);
    }
    int big = 8 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
    bs_nonblock(fd);
}

static void bs_side_free(bs_side *s) {
    us_conn_free(s->c);
    s->c = NULL;
    if (s->leg == BS_TCP) {
        us__frame_reader_free(&s->fr);
        free(s->out);
    }
    close(s->fd);
}

/* One received packet. UDP servers accept new ClientHellos (one connection at a time). */
static void bs_on_packet(bs_side *s, const uint8_t *p, size_t n, const struct sockaddr_in *from, uint64_t now) {
    if (s->is_server) {
        uint8_t cid[US_CID_LEN];
        int type = us_packet_route(p, n, cid);
        if (type == US_PT_CLIENT_HELLO && (!s->c || memcmp(cid, s->hello_cid, US_CID_LEN) != 0)) {
            us_conn *c = NULL;
            size_t rl;
            if (us_conn_accept(&s->cfg, p, n, from, sizeof *from, now, &c, NULL, 0, &rl) == 0) {
                us_conn_free(s->c);
                s->c = c;
                memcpy(s->hello_cid, cid, US_CID_LEN);
                s->peer = *from;
                s->have_peer = 1;
            }
            return;
        }
    }
    if (s->c) us_conn_recv(s->c, p, n, from, sizeof *from, now);
}

/* Reads whatever is available. Returns -1 when a TCP peer closed. */
static int bs_read(bs_side *s, uint64_t now) {
    static _Thread_local uint8_t buf[256 * 1024];
    for (int iter = 0; iter < 64; iter++) {
        struct sockaddr_in from;
        socklen_t fl = sizeof from;
        ssize_t n = s->leg == BS_UDP ? recvfrom(s->fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl)
                                     : read(s->fd, buf, sizeof buf);
        if (n < 0) return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -1;
        if (n == 0) return s->leg == BS_TCP ? -1 : 0;
        if (s->leg == BS_UDP) {
            bs_on_packet(s, buf, (size_t)n, &from, now);
            continue;
        }
        const uint8_t *p = buf;
        size_t left = (size_t)n;
        while (left > 0) {
            size_t used, flen;
            const uint8_t *f;
            int rc = us__frame_reader_feed(&s->fr, p, left, &used, &f, &flen);
            bs_check(rc, "frame reader");
            p += used;
            left -= used;
            if (rc == 1) bs_on_packet(s, f, flen, &s->peer, now);
        }
        /* A client that has its keys may send full-size packets before the server counts
         * as Connected; the cap is raised once a connection exists (frame.h, CAPS). */
        if (s->c && s->fr.max < US_FRAME_MAX) us__frame_reader_set_max(&s->fr, US_FRAME_MAX);
    }
    return 0;
}

/* Flushes TCP output; returns 1 while bytes remain queued. */
static int bs_flush(bs_side *s) {
    while (s->out_off < s->out_len) {
        ssize_t w = write(s->fd, s->out + s->out_off, s->out_len - s->out_off);
        if (w < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return 1;
            return -1;
        }
        s->out_off += (size_t)w;
    }
    s->out_off = s->out_len = 0;
    return 0;
}

/* Sends every packet the connection has now (TCP: as long as the output buffer has room). */
static void bs_write(bs_side *s, uint64_t now) {
    if (!s->c) return;
    static _Thread_local uint8_t pkt[US_MAX_PACKET + 4];
    uint8_t to[US_ADDR_MAX];
    size_t len, tl;
    for (;;) {
        if (s->leg == BS_TCP) {
            if (s->out_cap - s->out_len < sizeof pkt && bs_flush(s) != 0) return;
            if (us_conn_send(s->c, s->out + s->out_len + 4, s->out_cap - s->out_len - 4, &len, to, &tl, now) != 1) break;
            bs_check(us__frame_encode_header(s->out + s->out_len, len, 0), "frame");
            s->out_len += len + 4;
        } else {
            if (us_conn_send(s->c, pkt, sizeof pkt, &len, to, &tl, now) != 1) break;
            const struct sockaddr_in *dst = (tl == sizeof(struct sockaddr_in)) ? (const void *)to : &s->peer;
            ssize_t w = sendto(s->fd, pkt, len, 0, (const struct sockaddr *)dst, sizeof *dst);
            if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS) bs_check(UMBRA_EIO, "sendto");
        }
    }
    if (s->leg == BS_TCP) bs_flush(s);
}

/* Waits for input (or output room) until the connection's next timer, at most max_ns. */
static void bs_wait(bs_side *s, uint64_t now, uint64_t max_ns) {
    uint64_t t = s->c ? us_conn_next_timeout(s->c) : UINT64_MAX;
    uint64_t wait = t <= now ? 0 : t - now;
    if (wait > max_ns) wait = max_ns;
    struct pollfd pf = {.fd = s->fd, .events = POLLIN};
    if (s->leg == BS_TCP && s->out_len > s->out_off) pf.events |= POLLOUT;
    struct timespec ts = {.tv_sec = (time_t)(wait / 1000000000ull), .tv_nsec = (long)(wait % 1000000000ull)};
    ppoll(&pf, 1, &ts, NULL);
}

/* One turn of the loop: input, timers, output. */
static int bs_turn(bs_side *s) {
    uint64_t now = umbra_now_ns();
    if (bs_read(s, now) < 0) return -1;
    if (s->c && us_conn_next_timeout(s->c) <= now) us_conn_on_timeout(s->c, now);
    bs_write(s, now);
    return 0;
}

/* ---- bulk: client writes N streams for `secs`, the server reads and counts ---------------------- */

typedef struct bs_bulk_job {
    int leg, streams;
    double secs;
    bs_keys *keys;
    int port;                        /* server's port */
    int lfd;                         /* TCP listener */
    atomic_int server_ready, done;
    unsigned long long received, sent;
    double first_ns, last_ns;        /* server: first data / last fin */
    int fins;
    int err;
} bs_bulk_job;

static void *bs_bulk_server(void *arg) {
    bs_bulk_job *j = arg;
    bs_side s;
    int fd;
    if (j->leg == BS_TCP) {
        fd = accept(j->lfd, NULL, NULL);
        if (fd < 0) bt_die("accept");
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    } else {
        fd = j->lfd;
    }
    bs_side_init(&s, fd, j->leg, 1, j->keys);
    static _Thread_local uint8_t buf[256 * 1024];
    uint32_t fin_ids[64];
    int nfin = 0;
    double t0 = bt_wall();
    while (!atomic_load(&j->done)) {
        if (bs_turn(&s) < 0) break;
        uint32_t id;
        while (s.c && us_conn_next_readable(s.c, &id) == 1) {
            int fin = 0;
            int n = us_stream_read(s.c, id, buf, sizeof buf, &fin);
            if (n > 0) {
                if (j->received == 0) j->first_ns = bt_wall();
                j->received += (unsigned long long)n;
            }
            if (fin) { /* may come with the last bytes (n > 0) or alone (n == 0) */
                int seen = 0;
                for (int f = 0; f < nfin; f++) seen |= fin_ids[f] == id;
                if (!seen && nfin < 64) {
                    fin_ids[nfin++] = id;
                    j->fins++;
                    j->last_ns = bt_wall();
                }
            }
            if (n < 0 && n != UMBRA_EAGAIN) break;
        }
        /* Reading may have raised flow-control windows: send those updates now. */
        bs_write(&s, umbra_now_ns());
        if (j->fins >= j->streams) {
            atomic_store(&j->done, 1);
            break;
        }
        if (bt_wall() - t0 > j->secs * 2 + 5) {
            j->err = UMBRA_ETIMEDOUT;
            atomic_store(&j->done, 1);
            break;
        }
        bs_wait(&s, umbra_now_ns(), 2000000);
    }
    bs_side_free(&s);
    return NULL;
}

static void bs_bulk(bs_keys *k, int leg, int streams, double secs, bt_bulk *r) {
    bs_bulk_job j = {.leg = leg, .streams = streams, .secs = secs, .keys = k};
    int fd;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (leg == BS_TCP) {
        j.lfd = bt_listen(&j.port);
    } else {
        j.lfd = socket(AF_INET, SOCK_DGRAM, 0);
        if (bind(j.lfd, (struct sockaddr *)&sa, sizeof sa) != 0) bt_die("bind udp");
        socklen_t sl = sizeof sa;
        getsockname(j.lfd, (struct sockaddr *)&sa, &sl);
        j.port = ntohs(sa.sin_port);
    }
    sa.sin_port = htons((uint16_t)j.port);
    pthread_t th;
    pthread_create(&th, NULL, bs_bulk_server, &j);
    if (leg == BS_TCP) {
        fd = bt_connect(j.port);
    } else {
        fd = socket(AF_INET, SOCK_DGRAM, 0);
        struct sockaddr_in ca = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        if (bind(fd, (struct sockaddr *)&ca, sizeof ca) != 0) bt_die("bind udp client");
    }
    bs_side c;
    bs_side_init(&c, fd, leg, 0, k);
    c.peer = sa;
    c.have_peer = 1;
    double c0 = bt_cpu(), w0 = bt_wall();
    bs_check(us_conn_new_client(&c.cfg, &sa, sizeof sa, umbra_now_ns(), &c.c), "client");
    static uint8_t data[64 * 1024];
    memset(data, 0xa5, sizeof data);
    uint32_t ids[16];
    int finned[16] = {0};
    int opened = 0, finished = 0;
    double wstart = 0;
    while (!atomic_load(&j.done)) {
        if (bs_turn(&c) < 0) break;
        int st = us_conn_state(c.c);
        if (st == US_STATE_CLOSED) break;
        if (st == US_STATE_CONNECTED && !opened) {
            for (int i = 0; i < streams; i++) bs_check(us_stream_open(c.c, &ids[i]), "stream open");
            opened = 1;
            wstart = bt_wall();
        }
        if (opened && !finished) {
            if (bt_wall() - wstart < secs) {
                for (int i = 0; i < streams; i++) {
                    int w;
                    while ((w = us_stream_write(c.c, ids[i], data, sizeof data, 0)) > 0) j.sent += (unsigned long long)w;
                }
            } else {
                /* Time is up: a zero-length write with fin ends each stream (retried while
                 * the send buffer is full). */
                finished = 1;
                for (int i = 0; i < streams; i++) {
                    if (finned[i]) continue;
                    if (us_stream_write(c.c, ids[i], data, 0, 1) == 0) finned[i] = 1;
                    else finished = 0;
                }
            }
            bs_write(&c, umbra_now_ns());
        }
        bs_wait(&c, umbra_now_ns(), 2000000);
        if (bt_wall() - w0 > secs * 2 + 5) break;
    }
    atomic_store(&j.done, 1);
    pthread_join(th, NULL);
    double cpu = bt_cpu() - c0;
    if (getenv("BENCH_VERBOSE")) {
        us_stats st;
        us_conn_stats(c.c, &st);
        fprintf(stderr,
                "bench: %s %d streams client: pkts sent %llu recv %llu, lost %llu, retx bytes %llu, "
                "srtt %llu us, cwnd %llu, pacing %llu B/s, dropped auth/replay/malformed %llu/%llu/%llu\n",
                leg == BS_TCP ? "TCP" : "UDP", streams, (unsigned long long)st.packets_sent,
                (unsigned long long)st.packets_recv, (unsigned long long)st.lost_packets,
                (unsigned long long)st.retransmitted_bytes, (unsigned long long)(st.srtt_ns / 1000),
                (unsigned long long)st.cwnd, (unsigned long long)st.pacing_rate,
                (unsigned long long)st.dropped_auth, (unsigned long long)st.dropped_replay,
                (unsigned long long)st.dropped_malformed);
    }
    if (j.err || j.fins < streams || j.received != j.sent) {
        fprintf(stderr, "bench: %s %d streams: sent %llu, received %llu, fins %d/%d (%s)\n",
                leg == BS_TCP ? "TCP" : "UDP", streams, j.sent, j.received, j.fins, streams,
                j.err ? umbra_strerror(j.err) : "incomplete");
        r->mb_s = 0;
        r->cpu_s_per_gb = 0;
    } else {
        double wall = j.last_ns - j.first_ns;
        r->mb_s = (double)j.received / wall / 1e6;
        r->cpu_s_per_gb = cpu / ((double)j.received / 1e9);
    }
    bs_side_free(&c);
    if (leg == BS_TCP) close(j.lfd);
}

/* ---- bulk through the product's libuv legs (us_endpoint) ---------------------------------- */

typedef struct bx_job {
    bs_keys *keys;
    int leg, streams;
    double secs;
    atomic_int done, abort;
    /* server side */
    unsigned long long received;
    double first, last;
    int fins;
    uint32_t fin_ids[64];
    /* client side */
    us_session *cs;
    uint32_t ids[16];
    int opened, stop, finned[16], nfinned;
    unsigned long long sent;
    double w0;
    int err;
} bx_job;

static void bx_srv_data(us_session *s, uint32_t id, const uint8_t *d, size_t n, int fin, void *ud) {
    (void)s;
    (void)d;
    bx_job *j = ud;
    if (n) {
        if (j->received == 0) j->first = bt_wall();
        j->received += n;
    }
    if (fin) {
        for (int i = 0; i < j->fins; i++)
            if (j->fin_ids[i] == id) return;
        if (j->fins < 64) j->fin_ids[j->fins++] = id;
        j->last = bt_wall();
        if (j->fins >= j->streams) atomic_store(&j->done, 1);
    }
}

static uint8_t bx_data[64 * 1024];

/* Writes until the legs push back (on_writable resumes), then, after `secs`, ends every
 * stream with a zero-length write carrying fin. */
static void bx_pump(bx_job *j) {
    us_session *s = j->cs;
    if (!s || !j->opened) return;
    if (!j->stop && bt_wall() - j->w0 >= j->secs) j->stop = 1;
    if (!j->stop) {
        for (int i = 0; i < j->streams; i++) {
            int w;
            while ((w = us_session_write(s, j->ids[i], bx_data, sizeof bx_data, 0)) > 0) {
                j->sent += (unsigned long long)w;
                if (w < (int)sizeof bx_data) break;
            }
        }
        return;
    }
    for (int i = 0; i < j->streams; i++) {
        if (j->finned[i]) continue;
        if (us_session_write(s, j->ids[i], bx_data, 0, 1) == 0) {
            j->finned[i] = 1;
            j->nfinned++;
        }
    }
}

static void bx_cli_session(us_session *s, void *ud) {
    bx_job *j = ud;
    j->cs = s;
    for (int i = 0; i < j->streams; i++)
        if (us_session_open(s, &j->ids[i]) != 0) atomic_store(&j->abort, 1);
    j->opened = 1;
    j->w0 = bt_wall();
    bx_pump(j);
}

static void bx_cli_writable(us_session *s, void *ud) {
    (void)s;
    bx_pump(ud);
}

static void bx_cli_closed(us_session *s, int err, void *ud) {
    (void)s;
    bx_job *j = ud;
    if (!atomic_load(&j->done)) {
        j->err = err ? err : UMBRA_ECLOSED;
        atomic_store(&j->abort, 1);
    }
    j->cs = NULL;
}

static void bx_cli_tick(uv_timer_t *t) {
    bx_job *j = t->data;
    if (atomic_load(&j->done) || atomic_load(&j->abort) || bt_wall() - j->w0 > j->secs * 2 + 5) {
        if (!atomic_load(&j->done)) atomic_store(&j->abort, 1);
        uv_stop(t->loop);
        return;
    }
    bx_pump(j); /* the time limit passes without a callback when nothing pushes back */
}

/* Both endpoints run on ONE libuv loop in this thread: leg_uv.c's read buffer is a
 * process-wide static (at 00:40 UTC), so two endpoints on two threads would share it. The
 * numbers are therefore for one core doing both ends (the TLS baseline uses two threads). */
static void bx_bulk(bs_keys *k, int leg, int streams, double secs, bt_bulk *r) {
    bx_job j;
    memset(&j, 0, sizeof j);
    j.keys = k;
    j.leg = leg;
    j.streams = streams;
    j.secs = secs;
    j.w0 = bt_wall();
    memset(bx_data, 0x3c, sizeof bx_data);
    r->mb_s = r->cpu_s_per_gb = 0;
    double c0 = bt_cpu();
    uv_loop_t loop;
    uv_loop_init(&loop);
    us_callbacks scb = {.on_data = bx_srv_data};
    us_callbacks ccb = {.on_session = bx_cli_session, .on_writable = bx_cli_writable, .on_closed = bx_cli_closed};
    us_endpoint *se = NULL, *ce = NULL;
    us_session *sess = NULL;
    int rc = us_endpoint_new(&loop, &k->scfg, leg, &scb, &j, &se);
    if (rc == 0) rc = us_endpoint_listen(se, "127.0.0.1", 0);
    if (rc == 0) rc = us_endpoint_new(&loop, &k->ccfg, leg, &ccb, &j, &ce);
    if (rc == 0) rc = us_endpoint_connect(ce, "127.0.0.1", us_endpoint_port(se), &sess);
    if (rc != 0) {
        j.err = rc;
    } else {
        uv_timer_t t;
        uv_timer_init(&loop, &t);
        t.data = &j;
        uv_timer_start(&t, bx_cli_tick, 1, 1);
        uv_run(&loop, UV_RUN_DEFAULT);
        uv_close((uv_handle_t *)&t, NULL);
    }
    us_endpoint_free(ce);
    us_endpoint_free(se);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    double cpu = bt_cpu() - c0;
    if (!atomic_load(&j.done) || j.received != j.sent) {
        fprintf(stderr, "bench: endpoint %s %d streams: sent %llu, received %llu, fins %d/%d (%s)\n",
                leg == US_LEG_TCP ? "TCP" : "UDP", streams, j.sent, j.received, j.fins, streams,
                j.err ? umbra_strerror(j.err) : "incomplete");
        return;
    }
    r->mb_s = (double)j.received / (j.last - j.first) / 1e6;
    r->cpu_s_per_gb = cpu / ((double)j.received / 1e9);
}

/* ---- handshake latency over loopback UDP ---------------------------------------------------- */

typedef struct bs_hs_job {
    bs_keys *keys;
    int fd;
    atomic_int done;
} bs_hs_job;

static void *bs_hs_server(void *arg) {
    bs_hs_job *j = arg;
    bs_side s;
    bs_side_init(&s, j->fd, BS_UDP, 1, j->keys);
    while (!atomic_load(&j->done)) {
        bs_turn(&s);
        bs_wait(&s, umbra_now_ns(), 2000000);
    }
    bs_side_free(&s);
    return NULL;
}

static void bs_handshake_latency(bs_keys *k, double secs, bt_hs *r) {
    int count = (int)(secs * r->per_s_core / 3);
    if (count < 10) count = 10;
    if (count > 1000) count = 1000;
    bs_hs_job j = {.keys = k};
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    j.fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (bind(j.fd, (struct sockaddr *)&sa, sizeof sa) != 0) bt_die("bind");
    socklen_t sl = sizeof sa;
    getsockname(j.fd, (struct sockaddr *)&sa, &sl);
    pthread_t th;
    pthread_create(&th, NULL, bs_hs_server, &j);
    double *lat = malloc(sizeof(double) * (size_t)count);
    int got = 0;
    for (int i = 0; i < count; i++) {
        int fd = socket(AF_INET, SOCK_DGRAM, 0);
        struct sockaddr_in ca = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        if (bind(fd, (struct sockaddr *)&ca, sizeof ca) != 0) bt_die("bind");
        bs_side c;
        bs_side_init(&c, fd, BS_UDP, 0, k);
        c.peer = sa;
        double a = bt_wall();
        bs_check(us_conn_new_client(&c.cfg, &sa, sizeof sa, umbra_now_ns(), &c.c), "client");
        while (us_conn_state(c.c) == US_STATE_HANDSHAKING && bt_wall() - a < 5) {
            bs_turn(&c);
            if (us_conn_state(c.c) != US_STATE_HANDSHAKING) break;
            bs_wait(&c, umbra_now_ns(), 1000000);
        }
        if (us_conn_state(c.c) == US_STATE_CONNECTED) {
            /* The client's key confirmation goes out with this flush; count until here. */
            bs_write(&c, umbra_now_ns());
            lat[got++] = (bt_wall() - a) * 1e3;
        }
        bs_side_free(&c);
    }
    atomic_store(&j.done, 1);
    pthread_join(th, NULL);
    r->lat_p50_ms = bt_pct(lat, (size_t)got, 50);
    r->lat_p99_ms = bt_pct(lat, (size_t)got, 99);
    if (got < count) fprintf(stderr, "bench: %d of %d UDP handshakes completed\n", got, count);
    free(lat);
}

/* ---- table ------------------------------------------------------------------------------------ */

static void row(const char *name, const char *fmt, double umbra, double tls, double tcp, int higher_better) {
    char u[32], t[32], c[32], ratio[32];
    snprintf(u, sizeof u, fmt, umbra);
    if (tls >= 0) snprintf(t, sizeof t, fmt, tls);
    else snprintf(t, sizeof t, "-");
    if (tcp >= 0) snprintf(c, sizeof c, fmt, tcp);
    else snprintf(c, sizeof c, "-");
    double base = tls >= 0 ? tls : tcp;
    if (base > 0 && umbra > 0) snprintf(ratio, sizeof ratio, "%.2fx", umbra / base);
    else snprintf(ratio, sizeof ratio, "-");
    printf("  %-50s %12s %12s %12s %10s%s\n", name, u, t, c, ratio, higher_better ? "" : " (lower=better)");
}

int main(int argc, char **argv) {
    double secs = bt_parse_secs(argc, argv);
    bs_keys k;
    bs_keys_init(&k);
    bt_baseline b;
    memset(&b, 0, sizeof b);
    if (!getenv("BENCH_SKIP_BASELINE")) bt_run_baseline(secs, &b); /* for quick iterations */
    bt_hs hs;
    memset(&hs, 0, sizeof hs);
    bs_handshakes_mem(&k, secs, &hs);
    bs_handshake_latency(&k, secs, &hs);
    bt_bulk t1, t16, u1, u16;
    bs_bulk(&k, BS_TCP, 1, secs, &t1);
    bs_bulk(&k, BS_TCP, 16, secs, &t16);
    bs_bulk(&k, BS_UDP, 1, secs, &u1);
    bs_bulk(&k, BS_UDP, 16, secs, &u16);
    bt_bulk et1, et16, eu1, eu16;
    bx_bulk(&k, US_LEG_TCP, 1, secs, &et1);
    bx_bulk(&k, US_LEG_TCP, 16, secs, &et16);
    bx_bulk(&k, US_LEG_UDP, 1, secs, &eu1);
    bx_bulk(&k, US_LEG_UDP, 16, secs, &eu16);

    printf("session transport: umbra vs OpenSSL %s TLS 1.3 (X25519, P-256 cert) and raw TCP\n",
           OpenSSL_version(OPENSSL_VERSION_STRING));
    printf("loopback, %.1f s per measurement, both ends in this process; ratio = umbra / TLS "
           "(or / raw TCP where there is no TLS figure)\n", secs);
    printf("  %-50s %12s %12s %12s %10s\n", "metric", "umbra", "TLS 1.3", "raw TCP", "ratio");
    row("handshakes/s/core (client+server CPU)", "%.0f", hs.per_s_core, b.tls_hs.per_s_core, -1, 1);
    row("handshakes/s/core (server CPU only)", "%.0f", hs.srv_per_s_core, b.tls_hs.srv_per_s_core, -1, 1);
    row("server CPU ms per handshake", "%.3f", hs.server_ms, b.tls_hs.server_ms, -1, 0);
    row("client CPU ms per handshake", "%.3f", hs.client_ms, b.tls_hs.client_ms, -1, 0);
    row("handshake latency p50 ms (umbra UDP, TLS TCP)", "%.3f", hs.lat_p50_ms, b.tls_hs.lat_p50_ms, -1, 0);
    row("handshake latency p99 ms (umbra UDP, TLS TCP)", "%.3f", hs.lat_p99_ms, b.tls_hs.lat_p99_ms, -1, 0);
    row("bulk MB/s, 1 stream, TCP leg", "%.0f", t1.mb_s, b.tls_bulk.mb_s, b.tcp_bulk.mb_s, 1);
    row("bulk MB/s, 16 streams, TCP leg", "%.0f", t16.mb_s, b.tls_bulk.mb_s, b.tcp_bulk.mb_s, 1);
    row("bulk MB/s, 1 stream, UDP leg", "%.0f", u1.mb_s, b.tls_bulk.mb_s, b.tcp_bulk.mb_s, 1);
    row("bulk MB/s, 16 streams, UDP leg", "%.0f", u16.mb_s, b.tls_bulk.mb_s, b.tcp_bulk.mb_s, 1);
    row("CPU s/GB, 1 stream, TCP leg", "%.2f", t1.cpu_s_per_gb, b.tls_bulk.cpu_s_per_gb, b.tcp_bulk.cpu_s_per_gb, 0);
    row("CPU s/GB, 16 streams, TCP leg", "%.2f", t16.cpu_s_per_gb, b.tls_bulk.cpu_s_per_gb, b.tcp_bulk.cpu_s_per_gb, 0);
    row("CPU s/GB, 1 stream, UDP leg", "%.2f", u1.cpu_s_per_gb, b.tls_bulk.cpu_s_per_gb, b.tcp_bulk.cpu_s_per_gb, 0);
    row("CPU s/GB, 16 streams, UDP leg", "%.2f", u16.cpu_s_per_gb, b.tls_bulk.cpu_s_per_gb, b.tcp_bulk.cpu_s_per_gb, 0);
    row("libuv legs (1 thread): MB/s, 1 stream, TCP", "%.0f", et1.mb_s, b.tls_bulk.mb_s, b.tcp_bulk.mb_s, 1);
    row("libuv legs (1 thread): MB/s, 16 streams, TCP", "%.0f", et16.mb_s, b.tls_bulk.mb_s, b.tcp_bulk.mb_s, 1);
    row("libuv legs (1 thread): MB/s, 1 stream, UDP", "%.0f", eu1.mb_s, b.tls_bulk.mb_s, b.tcp_bulk.mb_s, 1);
    row("libuv legs (1 thread): MB/s, 16 streams, UDP", "%.0f", eu16.mb_s, b.tls_bulk.mb_s, b.tcp_bulk.mb_s, 1);
    row("libuv legs (1 thread): CPU s/GB, 1 stream, TCP", "%.2f", et1.cpu_s_per_gb, b.tls_bulk.cpu_s_per_gb, b.tcp_bulk.cpu_s_per_gb, 0);
    row("libuv legs (1 thread): CPU s/GB, 16 streams, TCP", "%.2f", et16.cpu_s_per_gb, b.tls_bulk.cpu_s_per_gb, b.tcp_bulk.cpu_s_per_gb, 0);
    row("libuv legs (1 thread): CPU s/GB, 1 stream, UDP", "%.2f", eu1.cpu_s_per_gb, b.tls_bulk.cpu_s_per_gb, b.tcp_bulk.cpu_s_per_gb, 0);
    row("libuv legs (1 thread): CPU s/GB, 16 streams, UDP", "%.2f", eu16.cpu_s_per_gb, b.tls_bulk.cpu_s_per_gb, b.tcp_bulk.cpu_s_per_gb, 0);
    printf("  (rows without \"libuv legs\": the bench's own poll() loop over the sans-I/O us_conn API;\n"
           "   \"libuv legs\": us_endpoint, what `umbra listen/connect` use, both ends on one loop and\n"
           "   one core (see bx_bulk). TLS/raw TCP bulk is 1 stream"
           " over 1 TCP connection, 2 threads.\n"
           "   A 0 means the run failed, see stderr.)\n");
    us_peer_xpk_free(k.xpk);
    umbra_identity_free(k.id);
    return 0;
}
