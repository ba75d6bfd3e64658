/* leg_uv.c — libuv legs that run us_conn state machines: UDP (one packet per datagram)
 * and TCP (4-byte big-endian length framing via frame.h). PROTOCOL.md §1.
 *
 * The endpoint owns its sockets, one timer and its sessions. All times come from
 * umbra_now_ns(). Packets are pulled from a connection until it has nothing more to send
 * ("flush"); on TCP the pull stops while more than TCP_QUEUE_MAX bytes wait in the socket
 * (back-pressure) and resumes when writes complete. UDP datagrams of one flush leave in
 * sendmmsg(2) batches; received ones arrive in recvmmsg(2) batches and each session that got
 * some is flushed once per batch (one round of acks and callbacks instead of one per packet). */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>
#include <string.h>
#include <uv.h>

#include "frame.h"
#include "session_internal.h"

#define TCP_QUEUE_MAX (2u << 20)
#define SEEN_MAX 4096                 /* used 0-RTT ticket ids remembered per endpoint */
#define RECV_BUF 65536
/* UDP batching: up to UDP_BATCH datagrams per sendmmsg(2); recvmmsg(2) through libuv
 * (UV_UDP_RECVMMSG) takes one 64 KiB chunk per datagram, at most 20 chunks per call */
#define UDP_BATCH 32
#define UDP_SLOT (US_MAX_PACKET + 4)
#define UDP_MMSG_CHUNKS 20
#define UDP_MMSG_BUF (UDP_MMSG_CHUNKS * 65536)

struct us_session {
    us_endpoint *e;
    us_conn *c;
    uv_tcp_t *tcp;              /* TCP leg: this session's socket */
    us__frame_reader fr;
    uint8_t addr[US_ADDR_MAX];  /* peer sockaddr image */
    size_t addr_len;
    int reported, want_writable, dead, in_flush, paused;
    int rx_pending;             /* got datagrams of the current recvmmsg batch, not flushed */
    void *user;
    us_session *next;
};

struct us_endpoint {
    uv_loop_t *loop;
    us_config cfg;
    umbra_peer_key peer;
    int leg, is_server, udp_open, tcp_open, timer_open, freeing, handles;
    int rx_batch;                     /* on_packet: inside a recvmmsg batch, defer flushes */
    us_callbacks cb;
    void *ud;
    uv_udp_t *udp;
    uv_tcp_t tcp;
    uv_timer_t timer;
    us_session *sessions;
    struct sockaddr_storage server;   /* client: where to connect */
    int port;
    uint8_t retry_key[32];
    uint8_t ticket_key[32];
    size_t max_sessions, retry_above;
    us_ticket ticket;                 /* client: copy of cfg->ticket */
    struct { uint8_t id[16]; uint64_t expiry; } *seen;
    size_t nseen;
    us__reasm_table reasm;            /* UDP server: half-open ClientHello fragments (§2.6) */
    char *used_path;                  /* ticket_dir: persistent list of used ticket ids */
    size_t used_records;              /* records in that file (compacted at 2 * SEEN_MAX) */
    uint8_t rbuf[RECV_BUF];           /* UDP datagrams; stream data handed to on_data */
    uint8_t tcp_rbuf[RECV_BUF];       /* TCP reads of every session of this endpoint */
    uint8_t sbuf[US_MAX_PACKET + 4];
    uint8_t *mbuf;                    /* UDP: UDP_MMSG_BUF bytes for recvmmsg, or NULL */
    uint8_t *batch;                   /* UDP: UDP_BATCH slots of UDP_SLOT bytes, or NULL */
    size_t nbatch;                    /* datagrams waiting in batch */
    size_t blen[UDP_BATCH];
    uint8_t bto[UDP_BATCH][US_ADDR_MAX];
    socklen_t bto_len[UDP_BATCH];
};

static void session_flush(us_session *s);
static void endpoint_arm(us_endpoint *e);
static void on_shutdown(uv_shutdown_t *req, int status);
static void endpoint_release(us_endpoint *e);

static size_t sa_len(const struct sockaddr *sa) {
    return sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

static int uv_err(int e) {
    switch (e) {
    case UV_ECONNREFUSED:
    case UV_EHOSTUNREACH:
    case UV_ENETUNREACH:
    case UV_ETIMEDOUT:
        return UMBRA_EUNREACHABLE;
    case UV_EADDRINUSE:
        return UMBRA_EEXIST;
    case UV_EACCES:
        return UMBRA_EPERM;
    case UV_ENOMEM:
        return UMBRA_ENOMEM;
    default:
        return UMBRA_EIO;
    }
}

/* ---- session lifetime ---- */

static void on_handle_closed(uv_handle_t *h) {
    us_session *s = h->data;
    if (s) {
        us_endpoint *ep = s->e;
        umbra_free(h);
        us__frame_reader_free(&s->fr);
        umbra_free(s);
        if (ep && ep->freeing && --ep->handles == 0) endpoint_release(ep);
        return;
    }
    umbra_free(h);
}

static void session_destroy(us_session *s) {
    us_endpoint *e = s->e;
    us_session **pp = &e->sessions;
    while (*pp && *pp != s) pp = &(*pp)->next;
    if (*pp) *pp = s->next;
    us_conn_free(s->c);
    s->c = NULL;
    if (s->tcp) {
        s->tcp->data = s;
        if (e->freeing) e->handles++;
        uv_close((uv_handle_t *)s->tcp, on_handle_closed);
        s->tcp = NULL;
        return;
    }
    us__frame_reader_free(&s->fr);
    umbra_free(s);
}

/* Reports the end of a session (once) and destroys it. */
static void session_end(us_session *s, int err) {
    if (s->dead) return;
    s->dead = 1;
    if ((s->reported || !s->e->is_server) && s->e->cb.on_closed) s->e->cb.on_closed(s, err, s->e->ud);
    session_destroy(s);
}

static us_session *session_new(us_endpoint *e) {
    us_session *s = umbra_calloc(1, sizeof *s);
    if (!s) return NULL;
    s->e = e;
    us__frame_reader_init(&s->fr, US_FRAME_MAX_HANDSHAKE);
    s->next = e->sessions;
    e->sessions = s;
    return s;
}

/* ---- sending ---- */

typedef struct wreq {
    uv_write_t req;
    us_session *s;
    uv_buf_t buf;
} wreq;

static void on_tcp_written(uv_write_t *req, int status) {
    wreq *w = (wreq *)req;
    us_session *s = w->s;
    umbra_free(w);
    if (status < 0 || !s || s->dead) return;
    session_flush(s);
}

static int tcp_send(us_session *s, const uint8_t *p, size_t n) {
    wreq *w = umbra_malloc(sizeof *w + n + 4);
    if (!w) return UMBRA_ENOMEM;
    uint8_t *d = (uint8_t *)(w + 1);
    us__frame_encode_header(d, n, 0);
    memcpy(d + 4, p, n);
    w->s = s;
    w->buf = uv_buf_init((char *)d, (unsigned)(n + 4));
    int rc = uv_write(&w->req, (uv_stream_t *)s->tcp, &w->buf, 1, on_tcp_written);
    if (rc < 0) {
        umbra_free(w);
        return uv_err(rc);
    }
    return 0;
}

static void deliver(us_session *s) {
    us_endpoint *e = s->e;
    uint32_t id;
    while (!s->dead && !s->paused && s->c && us_conn_next_readable(s->c, &id)) {
        int fin = 0;
        int n = us_stream_read(s->c, id, e->rbuf, sizeof e->rbuf, &fin);
        if (n > 0) {
            if (e->cb.on_data) e->cb.on_data(s, id, e->rbuf, (size_t)n, 0, e->ud);
        } else if (n == 0 && fin) {
            if (e->cb.on_data) e->cb.on_data(s, id, NULL, 0, 1, e->ud);
        } else if (n == UMBRA_ERESET) {
            if (e->cb.on_data) e->cb.on_data(s, id, NULL, 0, 1, e->ud);
        } else {
            break;
        }
    }
}

/* Writes the batched UDP datagrams in order: as many as the kernel takes through
 * sendmmsg(2) (one syscall for the batch), the rest one by one through uv_udp_try_send.
 * Client sockets are connected (no address) so ICMP errors reach us. A datagram the kernel
 * refuses (full buffer, pending ICMP error) is a lost packet, retransmitted later. */
static void udp_send_batch(us_endpoint *e) {
    size_t n = e->nbatch, i = 0;
    e->nbatch = 0;
    if (!n || !e->udp) return;
    uv_os_fd_t fd;
    if (n > 1 && uv_fileno((const uv_handle_t *)e->udp, &fd) == 0) {
        struct mmsghdr mh[UDP_BATCH];
        struct iovec iov[UDP_BATCH];
        memset(mh, 0, n * sizeof mh[0]);
        for (size_t k = 0; k < n; k++) {
            iov[k].iov_base = e->batch + k * UDP_SLOT;
            iov[k].iov_len = e->blen[k];
            mh[k].msg_hdr.msg_iov = &iov[k];
            mh[k].msg_hdr.msg_iovlen = 1;
            if (e->is_server) {
                mh[k].msg_hdr.msg_name = e->bto[k];
                mh[k].msg_hdr.msg_namelen = e->bto_len[k];
            }
        }
        while (i < n) {
            int r = sendmmsg(fd, mh + i, (unsigned)(n - i), MSG_DONTWAIT);
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) break;
            i += (size_t)r;
        }
    }
    for (; i < n; i++) {
        uv_buf_t b = uv_buf_init((char *)e->batch + i * UDP_SLOT, (unsigned)e->blen[i]);
        uv_udp_try_send(e->udp, &b, 1, e->is_server ? (const struct sockaddr *)e->bto[i] : NULL);
    }
}

/* Pulls every packet the connection wants to send and writes it to the socket (UDP: in
 * batches of up to UDP_BATCH datagrams, all written before this returns). */
static void pull_packets(us_session *s) {
    us_endpoint *e = s->e;
    uint8_t to[US_ADDR_MAX];
    size_t len, to_len;
    uint64_t now = umbra_now_ns();
    if (!s->tcp && e->udp && !e->batch) e->batch = umbra_malloc((size_t)UDP_BATCH * UDP_SLOT);
    for (;;) {
        if (s->tcp && uv_stream_get_write_queue_size((uv_stream_t *)s->tcp) > TCP_QUEUE_MAX) break;
        if (!s->tcp && e->udp && e->batch) {
            size_t k = e->nbatch;
            int rc = us_conn_send(s->c, e->batch + k * UDP_SLOT, UDP_SLOT, &len, e->bto[k], &to_len, now);
            if (rc <= 0) break;
            e->blen[k] = len;
            e->bto_len[k] = (socklen_t)to_len;
            if (++e->nbatch == UDP_BATCH) udp_send_batch(e);
            continue;
        }
        int rc = us_conn_send(s->c, e->sbuf, sizeof e->sbuf, &len, to, &to_len, now);
        if (rc <= 0) break;
        if (s->tcp) {
            if (tcp_send(s, e->sbuf, len) != 0) break;
        } else if (e->udp) {
            uv_buf_t b = uv_buf_init((char *)e->sbuf, (unsigned)len);
            /* no batch memory: one datagram at a time, same rules as udp_send_batch */
            uv_udp_try_send(e->udp, &b, 1, e->is_server ? (const struct sockaddr *)to : NULL);
        }
    }
    udp_send_batch(e);
}

/* Sends, reports state changes and received data to the callbacks, ends a closed session.
 * Re-entrant calls (from inside a callback) only send; the outer call does the rest, so a
 * callback never sees its session freed under it. */
static void session_flush(us_session *s) {
    us_endpoint *e = s->e;
    if (s->dead || !s->c) return;
    pull_packets(s);
    if (s->in_flush) return;
    s->in_flush = 1;
    int st = us_conn_state(s->c);
    if (!s->reported && (st == US_STATE_CONNECTED || st == US_STATE_MIGRATING)) {
        s->reported = 1;
        if (s->tcp) us__frame_reader_set_max(&s->fr, US_FRAME_MAX);
        if (e->cb.on_session) e->cb.on_session(s, e->ud);
    }
    if (!s->dead) deliver(s);
    if (!s->dead && s->want_writable && e->cb.on_writable) {
        s->want_writable = 0;
        e->cb.on_writable(s, e->ud);
    }
    s->in_flush = 0;
    if (s->dead || !s->c) return;
    pull_packets(s); /* what the callbacks queued */
    if (us_conn_state(s->c) == US_STATE_CLOSED) session_end(s, us_conn_error(s->c));
}

/* ---- timer ---- */

static void on_timer(uv_timer_t *t) {
    us_endpoint *e = t->data;
    uint64_t now = umbra_now_ns();
    us_session *s = e->sessions;
    while (s) {
        us_session *next = s->next;
        if (s->c && us_conn_next_timeout(s->c) <= now) us_conn_on_timeout(s->c, now);
        if (s->c) session_flush(s);
        s = next;
    }
    endpoint_arm(e);
}

static void endpoint_arm(us_endpoint *e) {
    if (!e->timer_open || e->freeing) return;
    uint64_t now = umbra_now_ns(), t = UINT64_MAX;
    for (us_session *s = e->sessions; s; s = s->next) {
        if (!s->c) continue;
        uint64_t x = us_conn_next_timeout(s->c);
        if (x < t) t = x;
    }
    if (t == UINT64_MAX) {
        uv_timer_stop(&e->timer);
        return;
    }
    /* at least 1 ms: a 0 ms timer re-armed from its own callback would starve I/O */
    uint64_t ms = t > now ? (t - now + 999999) / 1000000 : 1;
    if (ms == 0) ms = 1;
    uv_timer_start(&e->timer, on_timer, ms, 0);
}

/* ---- receiving ---- */

static void on_packet(us_endpoint *e, us_session *s, const uint8_t *p, size_t n,
                      const struct sockaddr *from) {
    uint64_t now = umbra_now_ns();
    size_t fl = sa_len(from);
    if (!s && e->is_server) {
        uint8_t cid[US_CID_LEN];
        int type = us_packet_route(p, n, cid);
        if (type < 0) return;
        for (us_session *x = e->sessions; x; x = x->next) {
            uint8_t own[US_CID_LEN], hello[US_CID_LEN];
            if (!x->c) continue;
            us_conn_cids(x->c, own, hello);
            if ((type == US_PT_DATA && !memcmp(own, cid, US_CID_LEN)) ||
                ((type == US_PT_CLIENT_HELLO || type == US_PT_HS_FRAGMENT || type == US_PT_EARLY) && !memcmp(hello, cid, US_CID_LEN))) {
                s = x;
                break;
            }
        }
        if (!s) {
            if (type != US_PT_CLIENT_HELLO && type != US_PT_HS_FRAGMENT) return;
            int fragmented = type == US_PT_HS_FRAGMENT;
            if (fragmented) {
                /* reassemble in the endpoint's bounded table before any other work */
                if (!e->reasm.e && us__reasm_table_init(&e->reasm, 0) != 0) return;
                const uint8_t *whole;
                size_t wl;
                uint8_t fcid[US_CID_LEN];
                int frc = us__reasm_table_input(&e->reasm, p, n, from, fl, now, &whole, &wl, fcid);
                if (frc == UMBRA_EVERSION && e->udp) {
                    uint8_t vn[32];
                    int k = us__version_neg_encode(vn, sizeof vn, fcid);
                    uv_buf_t b = uv_buf_init((char *)vn, (unsigned)(k > 0 ? k : 0));
                    if (k > 0) uv_udp_try_send(e->udp, &b, 1, from);
                }
                if (frc != 1) return;
                p = whole;
                n = wl;
            }
            /* load limits: a full endpoint stays silent; many handshakes in progress make
             * new clients prove their address first (Retry, PROTOCOL.md §9) */
            size_t total = 0, hs = 0;
            for (us_session *x = e->sessions; x; x = x->next) {
                total++;
                hs += x->c && us_conn_state(x->c) == US_STATE_HANDSHAKING;
            }
            if (total >= e->max_sessions) {
                umbra_debug("session: %zu sessions, hello dropped", total);
                return;
            }
            us_config cfg = e->cfg;
            if (hs >= e->retry_above) cfg.require_retry = 1;
            cfg.fragment_hellos = fragmented; /* answer in the form the client used */
            uint8_t reply[64];
            size_t rl = 0;
            us_conn *c = NULL;
            int rc = us_conn_accept(&cfg, p, n, from, fl, now, &c, reply, sizeof reply, &rl);
            if (rc) {
                umbra_debug("session: hello refused: %s", umbra_strerror(rc));
                if (rl && e->udp) {
                    uv_buf_t b = uv_buf_init((char *)reply, (unsigned)rl);
                    uv_udp_try_send(e->udp, &b, 1, from);
                }
                return;
            }
            s = session_new(e);
            if (!s) {
                us_conn_free(c);
                return;
            }
            s->c = c;
            memcpy(s->addr, from, fl);
            s->addr_len = fl;
            session_flush(s);
            endpoint_arm(e);
            return;
        }
    }
    if (!s || !s->c) return;
    int rc = us_conn_recv(s->c, p, n, from, fl, now);
    if (rc < 0) umbra_debug("session: fatal: %s", umbra_strerror(rc));
    if (e->rx_batch) s->rx_pending = 1; /* one flush (acks, data, callbacks) per batch */
    else session_flush(s);
}

/* End of a recvmmsg batch: flushes every session that received in it. Restarts from the
 * list head after each flush, since callbacks may end any session. */
static void flush_rx_pending(us_endpoint *e) {
    for (;;) {
        us_session *s = e->sessions;
        while (s && !s->rx_pending) s = s->next;
        if (!s) return;
        s->rx_pending = 0;
        session_flush(s);
    }
}

/* With e->mbuf, libuv reads up to UDP_MMSG_CHUNKS datagrams per recvmmsg(2) into it and
 * hands each to on_udp_recv (UV_UDP_MMSG_CHUNK), then calls once more with
 * UV_UDP_MMSG_FREE; the buffer belongs to the endpoint, so nothing is freed then. */
static void udp_alloc(uv_handle_t *h, size_t sz, uv_buf_t *b) {
    us_endpoint *e = h->data;
    (void)sz;
    if (!e) {
        *b = uv_buf_init(NULL, 0); /* closing handle: libuv reports UV_ENOBUFS */
        return;
    }
    if (e->mbuf) *b = uv_buf_init((char *)e->mbuf, UDP_MMSG_BUF);
    else *b = uv_buf_init((char *)e->rbuf, sizeof e->rbuf);
}

/* A UDP socket that receives with recvmmsg(2) when libuv and the kernel support it. */
static void udp_handle_init(us_endpoint *e, uv_udp_t *u) {
    if (!e->mbuf) e->mbuf = umbra_malloc(UDP_MMSG_BUF);
    if (!e->mbuf || uv_udp_init_ex(e->loop, u, AF_UNSPEC | UV_UDP_RECVMMSG) != 0) uv_udp_init(e->loop, u);
}

static void on_udp_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf, const struct sockaddr *from,
                        unsigned flags) {
    us_endpoint *e = h->data;
    /* e is NULL for a replaced or closing socket: later chunks of its last recvmmsg */
    if (!e || e->freeing) return;
    if (flags & UV_UDP_MMSG_FREE) { /* the batch is complete */
        flush_rx_pending(e);
        endpoint_arm(e);
        return;
    }
    if (nread < 0) {
        /* connected client socket: ICMP port unreachable etc. */
        if (!e->is_server && e->sessions && e->sessions->c &&
            us_conn_state(e->sessions->c) == US_STATE_HANDSHAKING)
            session_end(e->sessions, uv_err((int)nread));
        return;
    }
    if (nread == 0 || !from) return;
    /* copy out: deliver() reuses rbuf */
    uint8_t pkt[RECV_BUF];
    memcpy(pkt, buf->base, (size_t)nread);
    e->rx_batch = (flags & UV_UDP_MMSG_CHUNK) != 0;
    on_packet(e, e->is_server ? NULL : e->sessions, pkt, (size_t)nread, from);
    e->rx_batch = 0;
    if (!(flags & UV_UDP_MMSG_CHUNK)) endpoint_arm(e); /* chunks: at UV_UDP_MMSG_FREE */
}

/* One receive buffer per endpoint, shared by its TCP sessions. That is safe because an
 * endpoint lives on one uv loop (one thread) and libuv calls alloc_cb and read_cb back to
 * back for a single read: on_tcp_read consumes the whole chunk before returning (the frame
 * reader copies a partial frame, and a whole frame handed out in place is processed at once),
 * so no other session of the endpoint can be handed the buffer while it still holds data.
 * It must not be e->rbuf: deliver() reads stream data into e->rbuf while a frame that points
 * into this buffer is still being processed. A process-wide static buffer is NOT safe:
 * endpoints on other threads (their own loops) would overwrite each other's frames. */
static void tcp_alloc(uv_handle_t *h, size_t sz, uv_buf_t *b) {
    us_session *s = h->data;
    (void)sz;
    *b = uv_buf_init((char *)s->e->tcp_rbuf, sizeof s->e->tcp_rbuf);
}

static void on_tcp_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf) {
    us_session *s = st->data;
    us_endpoint *e = s->e;
    if (nread < 0) {
        umbra_debug("session: tcp read: %s", uv_strerror((int)nread));
        int err = nread == UV_EOF ? (s->c && us_conn_state(s->c) >= US_STATE_CLOSING ? 0 : UMBRA_ERESET)
                                  : uv_err((int)nread);
        session_end(s, s->c && us_conn_error(s->c) ? us_conn_error(s->c) : err);
        endpoint_arm(e);
        return;
    }
    struct sockaddr_storage peer;
    memcpy(&peer, s->addr, s->addr_len);
    const uint8_t *p = (const uint8_t *)buf->base;
    size_t n = (size_t)nread;
    while (n > 0 && !s->dead) {
        size_t used;
        const uint8_t *f;
        size_t flen;
        int rc = us__frame_reader_feed(&s->fr, p, n, &used, &f, &flen);
        if (rc < 0) {
            umbra_debug("session: frame: %s", umbra_strerror(rc));
            session_end(s, rc);
            break;
        }
        p += used;
        n -= used;
        if (rc == 1) {
            if (!s->c && e->is_server) {
                /* first frame of an accepted TCP connection: must be a ClientHello */
                uint8_t reply[64];
                size_t rl = 0;
                int arc = us_conn_accept(&e->cfg, f, flen, s->addr, s->addr_len, umbra_now_ns(), &s->c,
                                         reply, sizeof reply, &rl);
                if (arc) {
                    umbra_debug("session: tcp hello refused: %s", umbra_strerror(arc));
                    /* send the VersionNegotiation / KeyMismatch reply, then close */
                    if (rl) tcp_send(s, reply, rl);
                    uv_shutdown_t *sh = umbra_malloc(sizeof *sh);
                    if (!sh || uv_shutdown(sh, (uv_stream_t *)s->tcp, on_shutdown) != 0) {
                        umbra_free(sh);
                        session_end(s, arc);
                    } else {
                        sh->data = s;
                        s->c = NULL;
                    }
                    break;
                }
                session_flush(s);
            } else {
                on_packet(e, s, f, flen, (const struct sockaddr *)&peer);
            }
        }
    }
    if (s->dead && !s->tcp) return;
    endpoint_arm(e);
}

static void on_shutdown(uv_shutdown_t *req, int status) {
    us_session *s = req->data;
    (void)status;
    umbra_free(req);
    if (s && !s->dead) session_end(s, 0);
}

static void on_tcp_conn(uv_stream_t *server, int status) {
    us_endpoint *e = server->data;
    if (status < 0 || e->freeing) return;
    us_session *s = session_new(e);
    if (!s) return;
    s->tcp = umbra_calloc(1, sizeof *s->tcp);
    if (!s->tcp || uv_tcp_init(e->loop, s->tcp) != 0) {
        umbra_free(s->tcp);
        s->tcp = NULL;
        session_destroy(s);
        return;
    }
    s->tcp->data = s;
    if (uv_accept(server, (uv_stream_t *)s->tcp) != 0) {
        session_destroy(s);
        return;
    }
    uv_tcp_nodelay(s->tcp, 1);
    struct sockaddr_storage peer;
    int len = sizeof peer;
    uv_tcp_getpeername(s->tcp, (struct sockaddr *)&peer, &len);
    s->addr_len = sa_len((struct sockaddr *)&peer);
    memcpy(s->addr, &peer, s->addr_len);
    uv_read_start((uv_stream_t *)s->tcp, tcp_alloc, on_tcp_read);
}

/* ---- public API ---- */

/* Single-use store for 0-RTT tickets: remembers ids until they expire; when full it
 * refuses 0-RTT rather than forgetting an id that could then be replayed. */
/* ---- persistent ticket state (cfg.ticket_dir, PROTOCOL.md §10) ----
 * used file = "UTU1" || records of (id:16 || expiry:8), expiry on umbra_now_ns()'s scale.
 * A record is appended and fdatasync()ed before 0-RTT is accepted for that id, so a ticket
 * is single-use across restarts as long as the file survives. */
#define TICKET_KEY_FILE "session-ticket.key"
#define TICKET_USED_FILE "session-tickets.used"
#define USED_MAGIC "UTU1"
#define USED_REC 24

static int used_rewrite(us_endpoint *e) {
    size_t n = 4 + e->nseen * USED_REC;
    uint8_t *b = umbra_malloc(n);
    if (!b) return UMBRA_ENOMEM;
    memcpy(b, USED_MAGIC, 4);
    for (size_t i = 0; i < e->nseen; i++) {
        memcpy(b + 4 + i * USED_REC, e->seen[i].id, 16);
        us__put64(b + 4 + i * USED_REC + 16, e->seen[i].expiry);
    }
    int rc = umbra_file_write_atomic(e->used_path, b, n, 0600);
    umbra_free(b);
    if (!rc) e->used_records = e->nseen;
    return rc;
}

static int used_append(us_endpoint *e, const uint8_t id[16], uint64_t expiry) {
    if (e->used_records >= 2 * SEEN_MAX) return used_rewrite(e); /* the list already has it */
    uint8_t r[USED_REC];
    memcpy(r, id, 16);
    us__put64(r + 16, expiry);
    int fd = open(e->used_path, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd < 0) return UMBRA_EIO;
    int ok = write(fd, r, sizeof r) == (ssize_t)sizeof r && fdatasync(fd) == 0;
    close(fd);
    if (!ok) return UMBRA_EIO;
    e->used_records++;
    return 0;
}

/* Loads (or creates) the ticket key and the used-id list under dir. */
static int ticket_state_open(us_endpoint *e, const char *dir) {
    size_t dl = strlen(dir), cap = dl + sizeof TICKET_USED_FILE + sizeof TICKET_KEY_FILE + 2;
    char *kp = umbra_malloc(cap);
    e->used_path = umbra_malloc(cap);
    if (!kp || !e->used_path) {
        umbra_free(kp);
        return UMBRA_ENOMEM;
    }
    snprintf(kp, cap, "%s/%s", dir, TICKET_KEY_FILE);
    snprintf(e->used_path, cap, "%s/%s", dir, TICKET_USED_FILE);
    uint8_t *d = NULL;
    size_t n = 0;
    int rc = umbra_file_read(kp, 64, &d, &n);
    if (rc == UMBRA_ENOENT) {
        uc_random(e->ticket_key, 32);
        rc = umbra_file_create_atomic(kp, e->ticket_key, 32, 0600);
        if (rc == UMBRA_EEXIST) rc = umbra_file_read(kp, 64, &d, &n); /* a racing creator won */
        else if (rc == 0) n = 32;
    }
    if (!rc && d) {
        if (n == 32) memcpy(e->ticket_key, d, 32);
        else rc = UMBRA_ECORRUPT;
    }
    if (d) {
        umbra_wipe(d, n);
        umbra_free(d);
    }
    umbra_free(kp);
    if (rc) return rc;
    e->seen = umbra_calloc(SEEN_MAX, sizeof *e->seen);
    if (!e->seen) return UMBRA_ENOMEM;
    d = NULL;
    rc = umbra_file_read(e->used_path, 4 + 2 * SEEN_MAX * USED_REC + USED_REC, &d, &n);
    if (rc == 0) {
        if (n < 4 || memcmp(d, USED_MAGIC, 4) != 0) rc = UMBRA_ECORRUPT;
        uint64_t now = umbra_now_ns();
        /* a torn last record (crash during append) is ignored: it was never acknowledged */
        for (size_t off = 4; !rc && off + USED_REC <= n && e->nseen < SEEN_MAX; off += USED_REC) {
            uint64_t x = us__get64(d + off + 16);
            if (x < now) continue;
            memcpy(e->seen[e->nseen].id, d + off, 16);
            e->seen[e->nseen].expiry = x;
            e->nseen++;
        }
        umbra_free(d);
        if (rc) return rc;
    } else if (rc != UMBRA_ENOENT) {
        return rc;
    }
    return used_rewrite(e); /* compacted: expired ids dropped, the file exists */
}

/* Single-use store for 0-RTT tickets: remembers ids until they expire; when full it
 * refuses 0-RTT rather than forgetting an id that could then be replayed. With a
 * ticket_dir the id is on disk before 0-RTT is accepted (a failed write refuses it). */
static int ticket_seen(void *ud, const uint8_t id[16], uint64_t expiry) {
    us_endpoint *e = ud;
    uint64_t now = umbra_now_ns();
    size_t k = 0;
    for (size_t i = 0; i < e->nseen; i++) {
        if (e->seen[i].expiry < now) continue; /* expired: the ticket is refused anyway */
        if (!memcmp(e->seen[i].id, id, 16)) return 1;
        e->seen[k++] = e->seen[i];
    }
    e->nseen = k;
    if (!e->seen) {
        e->seen = umbra_calloc(SEEN_MAX, sizeof *e->seen);
        if (!e->seen) return 1;
    }
    if (e->nseen == SEEN_MAX) return 1;
    memcpy(e->seen[e->nseen].id, id, 16);
    e->seen[e->nseen].expiry = expiry;
    e->nseen++;
    if (e->used_path && used_append(e, id, expiry) != 0) {
        umbra_warn("session: cannot record a used ticket in %s: 0-RTT refused", e->used_path);
        return 1; /* stays in memory: still refused in this process */
    }
    return 0;
}

int us_endpoint_new(void *loop, const us_config *cfg, int leg, const us_callbacks *cb, void *ud,
                    us_endpoint **out) {
    *out = NULL;
    if (!loop || !cfg || (leg != US_LEG_UDP && leg != US_LEG_TCP)) return UMBRA_EINVAL;
    us_endpoint *e = umbra_calloc(1, sizeof *e);
    if (!e) return UMBRA_ENOMEM;
    e->loop = loop;
    e->cfg = *cfg;
    if (cfg->peer) {
        e->peer = *cfg->peer;
        e->cfg.peer = &e->peer;
    }
    if (leg == US_LEG_TCP) {
        /* TCP already paces and never loses: big packets, no pacing (PROTOCOL.md §1) */
        e->cfg.max_packet = US_MAX_PACKET;
        e->cfg.no_pacing = 1;
    }
    if (leg == US_LEG_TCP) e->cfg.require_retry = 0; /* the TCP handshake validated the address */
    if (cfg->retry_key) memcpy(e->retry_key, cfg->retry_key, 32);
    else uc_random(e->retry_key, 32); /* also for Retry under load */
    e->cfg.retry_key = e->retry_key;
    e->max_sessions = cfg->max_sessions ? cfg->max_sessions : 1024;
    e->retry_above = cfg->retry_above ? cfg->retry_above : 64;
    if (leg == US_LEG_TCP) e->retry_above = SIZE_MAX;
    e->cfg.fragment_hellos = leg == US_LEG_UDP; /* §2.6: hellos in 1200-byte datagrams */
    if (!e->cfg.ticket_key && !cfg->peer) {
        /* servers issue resumption tickets sealed with a per-process key (§10), or with the
         * key kept in ticket_dir so that tickets survive a restart */
        if (cfg->ticket_dir && !cfg->ticket_seen) {
            int rc = ticket_state_open(e, cfg->ticket_dir);
            if (rc) {
                umbra_wipe(e->ticket_key, sizeof e->ticket_key);
                umbra_free(e->seen);
                umbra_free(e->used_path);
                umbra_free(e);
                return rc;
            }
        } else {
            uc_random(e->ticket_key, 32);
        }
        e->cfg.ticket_key = e->ticket_key;
    }
    e->cfg.ticket_dir = NULL;
    if (!e->cfg.ticket_seen) {
        e->cfg.ticket_seen = ticket_seen;
        e->cfg.ticket_ud = e;
    }
    if (cfg->ticket) {
        e->ticket = *cfg->ticket;
        e->cfg.ticket = &e->ticket;
    }
    e->leg = leg;
    if (cb) e->cb = *cb;
    e->ud = ud;
    uv_timer_init(loop, &e->timer);
    e->timer.data = e;
    e->timer_open = 1;
    *out = e;
    return 0;
}

static int resolve(const char *host, int port, struct sockaddr_storage *ss) {
    struct addrinfo hints, *res = NULL;
    char ps[16];
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    snprintf(ps, sizeof ps, "%d", port);
    if (getaddrinfo(host && *host ? host : "0.0.0.0", ps, &hints, &res) != 0 || !res) return UMBRA_EUNREACHABLE;
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    return 0;
}

int us_endpoint_listen(us_endpoint *e, const char *host, int port) {
    if (!e || !e->cfg.identity) return UMBRA_EINVAL;
    struct sockaddr_storage ss;
    int rc = resolve(host, port, &ss);
    if (rc) return rc;
    e->is_server = 1;
    if (e->leg == US_LEG_UDP) {
        e->udp = umbra_calloc(1, sizeof *e->udp);
        if (!e->udp) return UMBRA_ENOMEM;
        udp_handle_init(e, e->udp);
        e->udp->data = e;
        e->udp_open = 1;
        rc = uv_udp_bind(e->udp, (struct sockaddr *)&ss, 0);
        if (rc) return uv_err(rc);
        rc = uv_udp_recv_start(e->udp, udp_alloc, on_udp_recv);
        if (rc) return uv_err(rc);
        struct sockaddr_storage b;
        int bl = sizeof b;
        uv_udp_getsockname(e->udp, (struct sockaddr *)&b, &bl);
        e->port = ntohs(((struct sockaddr_in *)&b)->sin_port);
    } else {
        uv_tcp_init(e->loop, &e->tcp);
        e->tcp.data = e;
        e->tcp_open = 1;
        rc = uv_tcp_bind(&e->tcp, (struct sockaddr *)&ss, 0);
        if (!rc) rc = uv_listen((uv_stream_t *)&e->tcp, 64, on_tcp_conn);
        if (rc) return uv_err(rc);
        struct sockaddr_storage b;
        int bl = sizeof b;
        uv_tcp_getsockname(&e->tcp, (struct sockaddr *)&b, &bl);
        e->port = ntohs(((struct sockaddr_in *)&b)->sin_port);
    }
    return 0;
}

int us_endpoint_port(const us_endpoint *e) { return e ? e->port : UMBRA_EINVAL; }

static int client_start_conn(us_endpoint *e, us_session *s) {
    int rc = us_conn_new_client(&e->cfg, &e->server, sa_len((struct sockaddr *)&e->server), umbra_now_ns(), &s->c);
    if (rc) return rc;
    session_flush(s);
    endpoint_arm(e);
    return 0;
}

static void on_tcp_connected(uv_connect_t *req, int status) {
    us_session *s = req->data;
    umbra_free(req);
    if (!s || s->dead) return;
    us_endpoint *e = s->e;
    if (status < 0) {
        umbra_debug("session: tcp connect: %s", uv_strerror(status));
        session_end(s, uv_err(status));
        return;
    }
    uv_tcp_nodelay(s->tcp, 1);
    uv_read_start((uv_stream_t *)s->tcp, tcp_alloc, on_tcp_read);
    int rc = client_start_conn(e, s);
    if (rc) session_end(s, rc);
}

static int udp_client_socket(us_endpoint *e) {
    uv_udp_t *u = umbra_calloc(1, sizeof *u);
    if (!u) return UMBRA_ENOMEM;
    udp_handle_init(e, u);
    u->data = e;
    struct sockaddr_storage any;
    memset(&any, 0, sizeof any);
    any.ss_family = e->server.ss_family;
    int rc = uv_udp_bind(u, (struct sockaddr *)&any, 0);
    if (!rc) rc = uv_udp_connect(u, (struct sockaddr *)&e->server);
    if (!rc) rc = uv_udp_recv_start(u, udp_alloc, on_udp_recv);
    if (rc) {
        u->data = NULL;
        uv_close((uv_handle_t *)u, on_handle_closed);
        return uv_err(rc);
    }
    if (e->udp) {
        e->udp->data = NULL;
        uv_close((uv_handle_t *)e->udp, on_handle_closed);
    }
    e->udp = u;
    e->udp_open = 1;
    return 0;
}

int us_endpoint_connect(us_endpoint *e, const char *host, int port, us_session **out) {
    if (out) *out = NULL;
    if (!e || !e->cfg.peer || e->sessions) return UMBRA_EINVAL;
    int rc = resolve(host, port, &e->server);
    if (rc) return rc;
    us_session *s = session_new(e);
    if (!s) return UMBRA_ENOMEM;
    memcpy(s->addr, &e->server, sa_len((struct sockaddr *)&e->server));
    s->addr_len = sa_len((struct sockaddr *)&e->server);
    if (e->leg == US_LEG_UDP) {
        rc = udp_client_socket(e);
        if (!rc) rc = client_start_conn(e, s);
        if (rc) {
            session_destroy(s);
            return rc;
        }
    } else {
        s->tcp = umbra_calloc(1, sizeof *s->tcp);
        uv_connect_t *req = umbra_calloc(1, sizeof *req);
        if (!s->tcp || !req) {
            umbra_free(req);
            umbra_free(s->tcp);
            s->tcp = NULL;
            session_destroy(s);
            return UMBRA_ENOMEM;
        }
        uv_tcp_init(e->loop, s->tcp);
        s->tcp->data = s;
        req->data = s;
        rc = uv_tcp_connect(req, s->tcp, (struct sockaddr *)&e->server, on_tcp_connected);
        if (rc) {
            umbra_free(req);
            session_destroy(s);
            return uv_err(rc);
        }
    }
    if (out) *out = s;
    return 0;
}

int us_endpoint_rebind(us_endpoint *e) {
    if (!e || e->is_server || e->leg != US_LEG_UDP || !e->sessions || !e->sessions->c) return UMBRA_EINVAL;
    int rc = udp_client_socket(e);
    if (rc) return rc;
    rc = us_conn_migrate(e->sessions->c, umbra_now_ns());
    session_flush(e->sessions);
    endpoint_arm(e);
    return rc;
}

static void endpoint_release(us_endpoint *e) {
    umbra_free(e->mbuf);
    umbra_free(e->batch);
    umbra_free(e->seen);
    umbra_free(e->used_path);
    us__reasm_table_free(&e->reasm);
    umbra_wipe(e, sizeof *e);
    umbra_free(e);
}

static void on_endpoint_handle_closed(uv_handle_t *h) {
    us_endpoint *e = h->data;
    if (--e->handles == 0) endpoint_release(e);
}

void us_endpoint_free(us_endpoint *e) {
    if (!e) return;
    umbra_wipe(e->retry_key, sizeof e->retry_key);
    umbra_wipe(e->ticket_key, sizeof e->ticket_key);
    umbra_wipe(e->ticket.psk, sizeof e->ticket.psk);
    e->freeing = 1;
    e->handles = 1; /* the timer */
    while (e->sessions) {
        us_session *s = e->sessions;
        s->dead = 1;
        session_destroy(s);
    }
    if (e->udp) {
        e->udp->data = NULL;
        uv_close((uv_handle_t *)e->udp, on_handle_closed);
        e->udp = NULL;
    }
    if (e->tcp_open) {
        e->handles++;
        e->tcp.data = e;
        uv_close((uv_handle_t *)&e->tcp, on_endpoint_handle_closed);
    }
    e->timer.data = e;
    uv_close((uv_handle_t *)&e->timer, on_endpoint_handle_closed);
}

int us_session_open(us_session *s, uint32_t *id) {
    if (!s || s->dead) return UMBRA_ESTATE;
    return us_stream_open(s->c, id);
}

int us_session_write(us_session *s, uint32_t id, const void *data, size_t n, int fin) {
    if (!s || s->dead || !s->c) return UMBRA_ESTATE;
    int rc = us_stream_write(s->c, id, data, n, fin);
    if (rc == UMBRA_EAGAIN || (rc >= 0 && (size_t)rc < n)) s->want_writable = 1;
    session_flush(s);
    endpoint_arm(s->e);
    return rc;
}

long us_session_writable(us_session *s, uint32_t id) {
    if (!s || s->dead || !s->c) return UMBRA_ESTATE;
    long r = us_stream_writable(s->c, id);
    if (r == 0) s->want_writable = 1;
    return r;
}

int us_session_close(us_session *s, int code) {
    if (!s || s->dead || !s->c) return UMBRA_ESTATE;
    int rc = us_conn_close(s->c, code);
    us_endpoint *e = s->e;
    session_flush(s);
    endpoint_arm(e);
    return rc;
}

void us_session_pause(us_session *s, int paused) {
    if (!s || s->dead) return;
    s->paused = paused ? 1 : 0;
    if (!paused && !s->in_flush && s->c) {
        us_endpoint *e = s->e;
        session_flush(s);
        endpoint_arm(e);
    }
}

us_conn *us_session_conn(us_session *s) { return s ? s->c : NULL; }
void us_session_set_user(us_session *s, void *user) { if (s) s->user = user; }
void *us_session_user(const us_session *s) { return s ? s->user : NULL; }
