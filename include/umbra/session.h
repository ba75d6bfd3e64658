/*
 * umbra/session.h — post-quantum secure session transport (docs/PROTOCOL.md).
 * Prefix: us_ (public), us__ (cross-file internals).
 *
 * Two layers:
 *   1. us_conn — the protocol state machine, "sans-I/O" (like QUIC libraries): it never
 *      touches sockets or clocks. The caller feeds it received packets with
 *      us_conn_recv(), drains packets to send with us_conn_send(), and drives timers with
 *      us_conn_next_timeout() / us_conn_on_timeout(). Every call takes `now` (ns, any
 *      monotonic origin). Used by the libuv legs below, by tests over a simulated link,
 *      and usable inside Wasm guests.
 *   2. us_endpoint — libuv legs (UDP datagrams or TCP with 4-byte length framing) that run
 *      us_conn objects on a uv_loop_t and expose streams through callbacks.
 *
 * Addresses are opaque byte strings (1..64 bytes) chosen by the caller, e.g. a
 * struct sockaddr_storage image. Errors: negative UMBRA_E* codes (umbra/base.h). A fatal
 * error is sticky: us_conn_error() returns it and the connection refuses further I/O.
 * Not thread-safe: one owner per us_conn / us_endpoint.
 */
#ifndef UMBRA_SESSION_H
#define UMBRA_SESSION_H

#include "umbra/base.h"
#include "umbra/identity.h"

#ifdef __cplusplus
extern "C" {
#endif

#define US_VERSION 0x00000001u
#define US_XWING_PK_LEN 1216
#define US_XWING_SK_LEN 32
#define US_SIG_PK_LEN 1984
#define US_SIG_SK_LEN 64
#define US_CID_LEN 8
#define US_ADDR_MAX 64
#define US_MAX_PAYLOAD 16384        /* max plaintext per data packet */
#define US_HDR_LEN 21               /* data packet header */
#define US_TAG_LEN 16
#define US_MAX_PACKET (US_HDR_LEN + US_MAX_PAYLOAD + US_TAG_LEN)
#define US_CLIENT_HELLO_MIN 2417
#define US_SERVER_HELLO_LEN 4548

/* AEAD choice bits (ClientHello `aeads`). */
#define US_AEAD_AES256GCM 1u
#define US_AEAD_CHACHA20POLY1305 2u

/* A resumption ticket (PROTOCOL.md §10), given to a client by the server after the
 * handshake. Plain data: copy, store, pass back in us_config.ticket to resume with 0-RTT
 * early data. `psk` is secret: wipe it when discarding the ticket. Tickets are valid for
 * the life of the issuing server process (at most 1 hour) and are single-use for 0-RTT. */
#define US_TICKET_LEN 72
typedef struct us_ticket {
    uint8_t ticket[US_TICKET_LEN];   /* opaque to the client */
    uint8_t psk[32];                 /* resumption secret for this ticket */
    uint8_t key_id[32];              /* the server it belongs to (us_key_id) */
    uint32_t max_early;              /* 0-RTT bytes the server accepts with it */
} us_ticket;

/* Connection states (PROTOCOL.md §4.1, §6.5, §7). */
enum us_state {
    US_STATE_HANDSHAKING = 0,
    US_STATE_CONNECTED,
    US_STATE_MIGRATING,
    US_STATE_CLOSING,
    US_STATE_CLOSED,
};
/* "Handshaking", "Connected", ... */
UMBRA_API const char *us_state_name(int state);

/* Configuration. us_config_default() fills the bracketed defaults. The config itself is
 * copied by us_conn_new_client()/us_conn_accept() and the peer key too; the IDENTITY IS NOT
 * COPIED: it must outlive every connection made with it (its secret keys never leave it,
 * umbra/identity.h). */
typedef struct us_config {
    const umbra_identity *identity;    /* server: required. client: optional — when set, the
                                          client authenticates with it (§4.4) */
    const umbra_peer_key *peer;        /* client: the pinned server keys, required. */
    unsigned aeads;                    /* acceptable AEADs [AES | ChaCha] */
    uint64_t idle_timeout_ns;          /* [30 s] */
    uint64_t handshake_timeout_ns;     /* client gives up after [10 s] */
    uint32_t stream_window;            /* receive window per stream [1 MiB] (>= 1 MiB) */
    uint32_t conn_window;              /* receive window per connection [16 MiB] */
    uint32_t send_buffer;              /* bytes buffered per stream for sending [1 MiB] */
    uint32_t max_packet;               /* largest data packet we send [1350], 64..US_MAX_PACKET */
    uint32_t max_streams;              /* peer-opened streams open at once [128] */
    uint64_t rekey_after;              /* packets per key before rekey [0 = RFC 9001 §6.6] */
    int keepalive;                     /* send PING every idle/3 when quiet [0] */
    int require_retry;                 /* server: demand a Retry token first (§9) [0] */
    const uint8_t *retry_key;          /* server: 32-byte HMAC key for Retry tokens (not
                                          copied; required with require_retry) */
    const uint8_t *ticket_key;         /* server: 32-byte key sealing resumption tickets;
                                          NULL = no tickets (not copied) */
    uint32_t max_early_data;           /* server: 0-RTT bytes accepted per ticket [16 KiB] */
    /* server, 0-RTT single use: return 1 if ticket `id` was used before (0-RTT is then
     * refused), else remember it until `expiry` (the `now` scale) and return 0. A store
     * that is full must return 1. NULL = 0-RTT is never accepted. */
    int (*ticket_seen)(void *ud, const uint8_t id[16], uint64_t expiry);
    void *ticket_ud;
    const us_ticket *ticket;           /* client: resume with this ticket, send 0-RTT data
                                          (copied by us_conn_new_client) */
    /* server: require client authentication (§4.4). authorize() decides on the client's
     * composite public key (return 0 to accept); NULL = any key that proves possession. */
    int require_client_auth;
    int (*authorize)(void *ud, const uint8_t sig_pk[US_SIG_PK_LEN]);
    void *authorize_ud;
    /* us_endpoint (server) limits: sessions at once (further hellos are dropped) [1024];
     * UDP handshakes in progress from which on every new client must pass a Retry [64] */
    uint32_t max_sessions;
    uint32_t retry_above;
    int no_pacing;                     /* disable the pacer (tests, TCP leg) [0] */
    /* Send ClientHello / ServerHello as HandshakeFragment datagrams of at most 1200 bytes
     * (PROTOCOL.md §2.6) instead of one large packet [0]. The UDP leg of us_endpoint sets it
     * on clients, and on a server for hellos that arrived in fragments. A server fed a
     * reassembled ClientHello through us_conn_accept() should set it too. */
    int fragment_hellos;
    /* us_endpoint (server): directory for ticket state that survives restarts
     * (PROTOCOL.md §10): the ticket key "session-ticket.key" (32 bytes, created 0600 on
     * first use) and the list of used 0-RTT ticket ids "session-tickets.used" (0600),
     * appended and synced before 0-RTT is accepted. NULL = a random key per process and an
     * in-memory list. Read by us_endpoint_new() only (not kept); ignored when ticket_key
     * or ticket_seen is given. */
    const char *ticket_dir;
    /* client, optional: the pinned server key expanded once (us_peer_xpk_new(), or
     * uc_compsig_pk_expand(x, peer->compsig_pk)), so every handshake verifies the server's
     * signature with uc_compsig_verify_xpk() instead of re-deriving ML-DSA's matrix A
     * (about 2x faster). NOT COPIED, like the identity: the caller owns it and it must
     * outlive every connection made with this config (us_endpoint included). It must be the
     * expansion of peer->compsig_pk, else us_conn_new_client() fails with UMBRA_EINVAL.
     * NULL = the key is expanded inside every verification [NULL]. */
    const uc_compsig_xpk *peer_xpk;
} us_config;
UMBRA_API void us_config_default(us_config *cfg);
/* Expanded pinned server key for us_config.peer_xpk: *out is a heap copy of
 * uc_compsig_pk_expand(peer->compsig_pk) (about 39 KB, public data: no wipe needed), owned
 * by the caller, freed with us_peer_xpk_free() once no connection or endpoint using it
 * remains. Errors: UMBRA_EINVAL (NULL), UMBRA_ENOMEM; *out is NULL on error. */
UMBRA_API int us_peer_xpk_new(const umbra_peer_key *peer, uc_compsig_xpk **out);
/* Frees an expanded key from us_peer_xpk_new(); NULL is a no-op. */
UMBRA_API void us_peer_xpk_free(uc_compsig_xpk *xpk);

/* key_id = SHA-256("umbra-session v1 key id" || xwing_pk || sig_pk) (PROTOCOL.md §2.1). */
UMBRA_API void us_key_id(uint8_t out[32], const uint8_t xwing_pk[US_XWING_PK_LEN],
                         const uint8_t sig_pk[US_SIG_PK_LEN]);

typedef struct us_conn us_conn;

/* Creates a client connection (state Handshaking) whose ClientHello is ready to be taken
 * with us_conn_send(). cfg->peer is required. `peer_addr` is the server's address as the
 * caller will want it back from us_conn_send(). Returns 0 and *out, or UMBRA_EINVAL /
 * UMBRA_ENOMEM / a crypto error; *out = NULL on failure. Free with us_conn_free(). */
UMBRA_API int us_conn_new_client(const us_config *cfg, const void *peer_addr, size_t addr_len,
                                 uint64_t now, us_conn **out);

/* Server side: handles a packet that no existing connection claimed (see us_packet_route).
 * For a valid ClientHello addressed to cfg->identity, creates a connection (state
 * Handshaking, ServerHello queued) and returns 0 with *out. Otherwise *out = NULL and:
 *   UMBRA_EVERSION  — unsupported version; a VersionNegotiation packet was written to
 *                     (reply, reply_cap) and *reply_len set (send it to `from`);
 *   UMBRA_EPEER_KEY — the hello is for another server key; a KeyMismatch reply was
 *                     written (send it);
 *   UMBRA_EAGAIN    — cfg->require_retry and the hello had no token: a Retry packet was
 *                     written (send it); no state was kept;
 *   UMBRA_EAUTH     — the hello's Retry token is invalid or expired (drop);
 *   UMBRA_EMALFORMED / UMBRA_EPROTO — not a ClientHello (drop);
 *   UMBRA_ENOMEM, crypto errors. reply may be NULL (then no VN is produced). */
UMBRA_API int us_conn_accept(const us_config *cfg, const uint8_t *pkt, size_t n, const void *from,
                             size_t from_len, uint64_t now, us_conn **out, uint8_t *reply,
                             size_t reply_cap, size_t *reply_len);

/* Demultiplexing helper for servers: the connection id a packet is routed by (a data
 * packet's dcid, a ClientHello's or HandshakeFragment's cid_c). Returns the packet type (> 0) and writes cid, or
 * UMBRA_EMALFORMED. */
UMBRA_API int us_packet_route(const uint8_t *pkt, size_t n, uint8_t cid[US_CID_LEN]);
/* The connection ids by which a server routes packets to `c` (its own cid and the
 * client's hello cid). */
UMBRA_API void us_conn_cids(const us_conn *c, uint8_t own[US_CID_LEN], uint8_t hello[US_CID_LEN]);

/* Releases the connection, wiping all key material. NULL is a no-op. */
UMBRA_API void us_conn_free(us_conn *c);

/* Feeds one received packet (a UDP datagram or a TCP frame payload) that came from
 * `from`. Invalid, forged, replayed or undecryptable packets are dropped and return 0
 * (counted in us_conn_stats). Returns a negative code only for a fatal condition, which
 * is then sticky (e.g. UMBRA_EPEER_KEY for a bad server signature, UMBRA_EVERSION,
 * UMBRA_EPROTO for an authenticated but malformed packet, UMBRA_EFLOW, UMBRA_EPERM for a
 * refused client identity). When an authenticated packet caused it, the connection
 * enters Closing and sends CLOSE carrying the error first; otherwise it is Closed. */
UMBRA_API int us_conn_recv(us_conn *c, const uint8_t *pkt, size_t n, const void *from,
                           size_t from_len, uint64_t now);

/* Produces the next packet to send, if any: returns 1 with the packet in (buf, *len) and
 * its destination in (to, *to_len) (to must hold US_ADDR_MAX bytes), 0 when nothing is
 * to be sent now (check us_conn_next_timeout), or a negative sticky error. cap must be
 * >= the config's max_packet and >= US_SERVER_HELLO_LEN; give US_MAX_PACKET (a client
 * that authenticates sends one 5.4 KB packet). Call until it returns 0. */
UMBRA_API int us_conn_send(us_conn *c, uint8_t *buf, size_t cap, size_t *len, void *to,
                           size_t *to_len, uint64_t now);

/* Earliest time a timer fires (then call us_conn_on_timeout), UINT64_MAX when none. */
UMBRA_API uint64_t us_conn_next_timeout(const us_conn *c);
/* Runs due timers (retransmission, acks, idle, closing, path validation). */
UMBRA_API void us_conn_on_timeout(us_conn *c, uint64_t now);

/* State (enum us_state) and sticky error (0 = none; after a graceful close by either
 * side 0 stays; after the peer closed with an error, that error). */
UMBRA_API int us_conn_state(const us_conn *c);
UMBRA_API int us_conn_error(const us_conn *c);

/* Opens a new local stream; *id gets its id. UMBRA_ESTATE unless Connected/Migrating
 * (a client may also open during the handshake; data waits for the keys). */
UMBRA_API int us_stream_open(us_conn *c, uint32_t *id);
/* Queues up to n bytes of data for stream `id` and returns how many were accepted
 * (0..n; UMBRA_EAGAIN when the send buffer is full). fin = 1 ends the stream after these
 * bytes (applies only if all n bytes were accepted). UMBRA_ENOENT for an unknown stream,
 * UMBRA_ESTATE after fin or close. */
UMBRA_API int us_stream_write(us_conn *c, uint32_t id, const void *data, size_t n, int fin);
/* Reads in-order bytes of stream `id`: returns the count (> 0), 0 with *fin = 1 at the
 * end of the stream, or UMBRA_EAGAIN (nothing yet), UMBRA_ENOENT, UMBRA_ERESET. */
UMBRA_API int us_stream_read(us_conn *c, uint32_t id, void *buf, size_t cap, int *fin);
/* A stream with something to read (data, end, or reset): returns 1 and *id, else 0.
 * Streams are visited round-robin. */
UMBRA_API int us_conn_next_readable(us_conn *c, uint32_t *id);
/* Bytes stream `id` can accept now (send-buffer room), or a negative error. */
UMBRA_API long us_stream_writable(us_conn *c, uint32_t id);
/* Aborts a stream in both directions (RESET_STREAM with `code` >= 0). */
UMBRA_API int us_stream_reset(us_conn *c, uint32_t id, uint32_t code);

/* Closes the connection. code 0 = graceful: all streams are finished, everything written
 * so far is delivered and acknowledged, then CLOSE is sent. code < 0 = abort at once with
 * that umbra error (sent to the peer). Returns 0 or UMBRA_ESTATE when already closed. */
UMBRA_API int us_conn_close(us_conn *c, int code);

/* Client migration: subsequent packets use a new path label; call after rebinding the
 * local socket (the server validates the new address, PROTOCOL.md §7). */
UMBRA_API int us_conn_migrate(us_conn *c, uint64_t now);

/* Server: the authenticated client's composite public key: returns 1 and copies it, 0 when
 * the client did not (yet) authenticate. */
UMBRA_API int us_conn_peer_auth(const us_conn *c, uint8_t sig_pk[US_SIG_PK_LEN]);

/* Client: copies the latest ticket the server sent into *out and returns 1; 0 when none
 * arrived (yet). */
UMBRA_API int us_conn_get_ticket(const us_conn *c, us_ticket *out);

typedef struct us_stats {
    uint64_t packets_sent, packets_recv, bytes_sent, bytes_recv;
    uint64_t dropped_auth;            /* failed AEAD open */
    uint64_t dropped_replay;          /* replay window rejections */
    uint64_t dropped_malformed;       /* unparseable / unroutable */
    uint64_t retransmitted_bytes;
    uint64_t lost_packets;
    uint32_t tx_epoch, rx_epoch;
    uint64_t srtt_ns;
    uint64_t cwnd, pacing_rate;
    int aead;                         /* US_AEAD_* in use, 0 before the handshake */
    int paths_validated;
    uint64_t migrations;
    int early;                        /* 0-RTT: 0 not tried, 1 accepted, -1 rejected */
    uint64_t early_bytes;             /* 0-RTT stream bytes sent (client) / accepted (server) */
} us_stats;
UMBRA_API void us_conn_stats(const us_conn *c, us_stats *s);

/* ---- libuv legs -------------------------------------------------------------------------- */
#define US_LEG_UDP 1
#define US_LEG_TCP 2

typedef struct us_endpoint us_endpoint;
typedef struct us_session us_session;   /* one connection run by an endpoint */

/* Callbacks (any may be NULL). `ud` is the endpoint's user pointer.
 *   on_session: a session reached Connected (server: a new client; client: handshake done).
 *   on_data:    n bytes arrived on stream `id` (fin = 1: end of stream, n may be 0).
 *   on_writable: send buffers drained; writes that returned UMBRA_EAGAIN may be retried.
 *   on_closed:  the session ended with `err` (0 = graceful); the session is freed after
 *               the callback returns. */
typedef struct us_callbacks {
    void (*on_session)(us_session *s, void *ud);
    void (*on_data)(us_session *s, uint32_t id, const uint8_t *data, size_t n, int fin, void *ud);
    void (*on_writable)(us_session *s, void *ud);
    void (*on_closed)(us_session *s, int err, void *ud);
} us_callbacks;

/* Creates an endpoint on `loop` (a uv_loop_t *; typed void * to keep uv.h out of this
 * header). Server endpoints: us_endpoint_listen; client: us_endpoint_connect. With
 * cfg->ticket_dir, errors reading or creating the ticket state are returned here
 * (UMBRA_ECORRUPT for a key file of the wrong size, file errors of umbra_file_read /
 * umbra_file_create_atomic). */
UMBRA_API int us_endpoint_new(void *loop, const us_config *cfg, int leg, const us_callbacks *cb,
                              void *ud, us_endpoint **out);
/* Binds and listens on host:port (numeric IPv4/IPv6 or a name). */
UMBRA_API int us_endpoint_listen(us_endpoint *e, const char *host, int port);
/* Actual bound port (after listen with port 0). */
UMBRA_API int us_endpoint_port(const us_endpoint *e);
/* Starts a client session to host:port; the session is reported via on_session, or
 * on_closed with an error (UMBRA_EUNREACHABLE, UMBRA_ETIMEDOUT, UMBRA_EVERSION, ...). */
UMBRA_API int us_endpoint_connect(us_endpoint *e, const char *host, int port, us_session **out);
/* Closes sockets and every session (abruptly); frees e after the loop has processed the
 * handle closes (the caller keeps running the loop). NULL is a no-op. Must not be called
 * from inside one of e's callbacks (stop the loop, then free). */
UMBRA_API void us_endpoint_free(us_endpoint *e);

/* Stream operations on a running session; they flush packets immediately. Same contracts
 * as the us_stream_* functions. */
UMBRA_API int us_session_open(us_session *s, uint32_t *id);
UMBRA_API int us_session_write(us_session *s, uint32_t id, const void *data, size_t n, int fin);
UMBRA_API long us_session_writable(us_session *s, uint32_t id);
/* Graceful (code 0) or aborting close; on_closed follows. */
UMBRA_API int us_session_close(us_session *s, int code);
/* Back-pressure: while paused, received data stays in the session (the peer runs out of
 * flow-control credit and stops) and on_data is not called; unpausing delivers what is
 * buffered. */
UMBRA_API void us_session_pause(us_session *s, int paused);
/* The underlying connection (read-only use: stats, state). */
UMBRA_API us_conn *us_session_conn(us_session *s);
UMBRA_API void us_session_set_user(us_session *s, void *user);
UMBRA_API void *us_session_user(const us_session *s);
/* Client: rebind the UDP socket to a fresh local port and migrate (PROTOCOL.md §7). */
UMBRA_API int us_endpoint_rebind(us_endpoint *e);

#ifdef __cplusplus
}
#endif
#endif
