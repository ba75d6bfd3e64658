/* cmd_connect.c — `umbra connect` and the machinery shared with `umbra listen`
 * (cmd_listen.c): a secure pipe between stdin/stdout and one session stream, or a TCP
 * port forward, over the session transport (docs/PROTOCOL.md, docs/CLI.md).
 *
 * Model: every stream is bridged to one local "end": stdin/stdout (pipe mode, one
 * stream) or a TCP socket (forward mode). A local end that reaches EOF sends FIN; a stream
 * whose FIN arrived half-closes the local end. Pipe mode exits when both directions ended.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "cli.h"
#include "umbra/identity.h"
#include "umbra/session.h"

/* shared with cmd_listen.c */
int cli_session_main(const char *cmd, int argc, char **argv, int is_server);

#define CHUNK 65536
#define OUT_HIGH (8u << 20)   /* pause the session above this much unwritten output */
#define OUT_LOW (2u << 20)    /* resume below this */

typedef struct bridge bridge;

typedef struct app {
    const char *cmd;
    int is_server, leg, forward;
    char fwd_host[256];
    int fwd_port;
    uv_loop_t *loop;
    us_endpoint *ep;
    us_session *sess;          /* pipe mode / client: the session */
    uv_tcp_t local_listener;   /* connect --forward: local listener */
    int listener_open;
    bridge *bridges;
    int exit_code, done, connected_once;
    size_t out_bytes;             /* bytes queued for local writers (stdout, sockets) */
    const char *ticket_file;
    umbra_peer_key *allowed;      /* listen --allow */
    int nallowed;
    char target[300];
    /* pipe mode */
    bridge *pipe_b;
} app;

/* One stream <-> one local end. */
struct bridge {
    app *a;
    us_session *s;
    uint32_t id;
    int has_id;
    /* local end: fd 0/1 (pipe) or a TCP socket */
    int is_pipe;
    uv_tcp_t *tcp;
    int tcp_connected;
    /* local -> stream */
    uint8_t *pend;             /* bytes read locally, not yet accepted by the stream */
    size_t pend_len, pend_off;
    int local_eof, fin_sent, reading;
    uv_fs_t rreq;
    uint8_t rbuf[CHUNK];
    /* stream -> local */
    int remote_fin, local_shut;
    size_t out_pending;
    bridge *next;
};

static void bridge_pump(bridge *b);
static void pipe_read_next(bridge *b);
static void tcp_read_start(bridge *b);

static void check_done(app *a) {
    if (a->done) return;
    if (a->pipe_b) {
        bridge *b = a->pipe_b;
        if (b->fin_sent && b->remote_fin && b->out_pending == 0) {
            a->done = 1;
            if (a->sess) us_session_close(a->sess, 0);
        }
    }
}

/* ---- local writes ---- */

typedef struct outw {
    uv_fs_t fs;
    uv_write_t w;
    bridge *b;
    size_t n, off;
    struct outw *next;
    uint8_t data[];
} outw;

/* Output back-pressure: the session stops delivering (and so stops granting flow-control
 * credit) while too much is waiting for stdout or a local socket. */
static void out_done(bridge *b, size_t n) {
    app *a = b->a;
    a->out_bytes -= n;
    if (a->out_bytes < OUT_LOW)
        for (bridge *x = a->bridges; x; x = x->next)
            if (x->s) us_session_pause(x->s, 0);
}

static void out_queued(bridge *b, size_t n) {
    b->a->out_bytes += n;
    if (b->a->out_bytes > OUT_HIGH && b->s) us_session_pause(b->s, 1);
}

/* stdout writes run on the threadpool: only one at a time, in order */
static outw *out_head, *out_tail;
static int out_busy;

static void on_stdout_written(uv_fs_t *req);

static void stdout_next(uv_loop_t *loop) {
    if (out_busy || !out_head) return;
    outw *o = out_head;
    o->fs.data = o;
    uv_buf_t buf = uv_buf_init((char *)o->data + o->off, (unsigned)(o->n - o->off));
    if (uv_fs_write(loop, &o->fs, 1, &buf, 1, -1, on_stdout_written) == 0) out_busy = 1;
}

static void on_stdout_written(uv_fs_t *req) {
    outw *o = req->data;
    bridge *b = o->b;
    uv_loop_t *loop = req->loop;
    ssize_t r = req->result;
    uv_fs_req_cleanup(req);
    out_busy = 0;
    if (r > 0 && o->off + (size_t)r < o->n) { /* short write: continue */
        o->off += (size_t)r;
        stdout_next(loop);
        return;
    }
    if (r < 0) b->a->exit_code = UMBRA_EXIT_FAIL;
    out_head = o->next;
    if (!out_head) out_tail = NULL;
    b->out_pending--;
    out_done(b, o->n);
    free(o);
    stdout_next(loop);
    check_done(b->a);
}

static void on_tcp_out_written(uv_write_t *req, int status) {
    outw *o = req->data;
    bridge *b = o->b;
    (void)status;
    b->out_pending--;
    out_done(b, o->n);
    free(o);
}

static void local_write(bridge *b, const uint8_t *d, size_t n) {
    outw *o = malloc(sizeof *o + n);
    if (!o) return;
    memcpy(o->data, d, n);
    o->b = b;
    o->n = n;
    o->off = 0;
    o->next = NULL;
    b->out_pending++;
    out_queued(b, n);
    if (b->is_pipe) {
        if (out_tail) out_tail->next = o;
        else out_head = o;
        out_tail = o;
        stdout_next(b->a->loop);
    } else if (b->tcp) {
        o->w.data = o;
        uv_buf_t buf = uv_buf_init((char *)o->data, (unsigned)n);
        if (uv_write(&o->w, (uv_stream_t *)b->tcp, &buf, 1, on_tcp_out_written) < 0) {
            b->out_pending--;
            out_done(b, n);
            free(o);
        }
    } else {
        b->out_pending--;
        out_done(b, n);
        free(o);
    }
}

/* ---- local reads -> stream ---- */

static void bridge_pump(bridge *b) {
    if (!b->has_id || !b->s) return;
    while (b->pend_off < b->pend_len) {
        int w = us_session_write(b->s, b->id, b->pend + b->pend_off, b->pend_len - b->pend_off, 0);
        if (w <= 0) return; /* EAGAIN: on_writable resumes */
        b->pend_off += (size_t)w;
    }
    b->pend_len = b->pend_off = 0;
    if (b->local_eof && !b->fin_sent) {
        if (us_session_write(b->s, b->id, NULL, 0, 1) >= 0) b->fin_sent = 1;
        check_done(b->a);
        return;
    }
    if (b->is_pipe) pipe_read_next(b);
    else if (b->tcp && !b->reading && !b->local_eof) tcp_read_start(b);
}

static void on_stdin_read(uv_fs_t *req) {
    bridge *b = req->data;
    ssize_t n = req->result;
    uv_fs_req_cleanup(req);
    b->reading = 0;
    if (n <= 0) {
        b->local_eof = 1;
    } else {
        b->pend = b->rbuf;
        b->pend_len = (size_t)n;
        b->pend_off = 0;
    }
    bridge_pump(b);
}

static void pipe_read_next(bridge *b) {
    if (b->reading || b->local_eof || b->pend_len) return;
    b->reading = 1;
    b->rreq.data = b;
    uv_buf_t buf = uv_buf_init((char *)b->rbuf, sizeof b->rbuf);
    if (uv_fs_read(b->a->loop, &b->rreq, 0, &buf, 1, -1, on_stdin_read) < 0) {
        b->reading = 0;
        b->local_eof = 1;
    }
}

static void tcp_alloc(uv_handle_t *h, size_t sz, uv_buf_t *buf) {
    bridge *b = h->data;
    (void)sz;
    *buf = uv_buf_init((char *)b->rbuf, sizeof b->rbuf);
}

static void on_local_tcp_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf) {
    bridge *b = st->data;
    (void)buf;
    if (n == 0) return;
    uv_read_stop(st);
    b->reading = 0;
    if (n < 0) {
        b->local_eof = 1;
    } else {
        b->pend = b->rbuf;
        b->pend_len = (size_t)n;
        b->pend_off = 0;
    }
    bridge_pump(b);
}

static void tcp_read_start(bridge *b) {
    if (b->reading || !b->tcp_connected) return;
    b->reading = 1;
    uv_read_start((uv_stream_t *)b->tcp, tcp_alloc, on_local_tcp_read);
}

static bridge *bridge_new(app *a, us_session *s, int is_pipe) {
    bridge *b = calloc(1, sizeof *b);
    if (!b) return NULL;
    b->a = a;
    b->s = s;
    b->is_pipe = is_pipe;
    b->next = a->bridges;
    a->bridges = b;
    return b;
}

static bridge *bridge_find(app *a, us_session *s, uint32_t id) {
    for (bridge *b = a->bridges; b; b = b->next)
        if (b->s == s && b->has_id && b->id == id) return b;
    return NULL;
}

static void on_target_connected(uv_connect_t *req, int status) {
    bridge *b = req->data;
    free(req);
    if (status < 0) {
        fprintf(stderr, "umbra %s: forward target %s: %s\n", b->a->cmd, b->a->target, uv_strerror(status));
        us_stream_reset(us_session_conn(b->s), b->id, 1);
        return;
    }
    b->tcp_connected = 1;
    tcp_read_start(b);
}

static void on_tcp_closed(uv_handle_t *h) { free(h); }

static void on_shutdown_done(uv_shutdown_t *req, int status) {
    (void)status;
    free(req);
}

/* A stream end: half-close the local side. */
static void local_fin(bridge *b) {
    if (b->local_shut) return;
    b->local_shut = 1;
    if (b->tcp && b->tcp_connected) {
        uv_shutdown_t *sh = malloc(sizeof *sh);
        if (sh && uv_shutdown(sh, (uv_stream_t *)b->tcp, on_shutdown_done) != 0) free(sh);
    }
}

/* ---- session callbacks ---- */

static void start_target(app *a, bridge *b) {
    b->tcp = calloc(1, sizeof *b->tcp);
    uv_connect_t *req = calloc(1, sizeof *req);
    struct sockaddr_storage ss;
    char port[16];
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    snprintf(port, sizeof port, "%d", a->fwd_port);
    if (!b->tcp || !req || getaddrinfo(a->fwd_host, port, &hints, &res) != 0 || !res) {
        free(req);
        free(b->tcp);
        b->tcp = NULL;
        if (res) freeaddrinfo(res);
        us_stream_reset(us_session_conn(b->s), b->id, 1);
        return;
    }
    memcpy(&ss, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    uv_tcp_init(a->loop, b->tcp);
    b->tcp->data = b;
    req->data = b;
    if (uv_tcp_connect(req, b->tcp, (struct sockaddr *)&ss, on_target_connected) != 0) {
        free(req);
        us_stream_reset(us_session_conn(b->s), b->id, 1);
    }
}

/* Client pipe mode: one stream for stdin/stdout. Started as soon as the session exists
 * (UDP: before the handshake, so the first bytes can ride as 0-RTT with --ticket). */
static void start_client_pipe(app *a, us_session *s) {
    a->sess = s;
    if (a->forward || a->pipe_b) return;
    bridge *b = bridge_new(a, s, 1);
    if (!b || us_session_open(s, &b->id) != 0) {
        a->exit_code = UMBRA_EXIT_FAIL;
        us_session_close(s, UMBRA_EINTERNAL);
        return;
    }
    b->has_id = 1;
    a->pipe_b = b;
    pipe_read_next(b);
}

static void on_session(us_session *s, void *ud) {
    app *a = ud;
    a->connected_once = 1;
    if (!a->is_server) {
        start_client_pipe(a, s);
        return;
    }
    if (!a->forward && a->sess) {
        us_session_close(s, UMBRA_ESTATE); /* pipe mode serves one peer */
        return;
    }
    if (!a->forward) a->sess = s;
    fprintf(stderr, "umbra %s: session from a peer established\n", a->cmd);
}

static void on_data(us_session *s, uint32_t id, const uint8_t *d, size_t n, int fin, void *ud) {
    app *a = ud;
    bridge *b = bridge_find(a, s, id);
    if (!b) {
        /* a stream the peer opened */
        if (a->is_server && !a->forward) {
            if (a->pipe_b) {
                us_stream_reset(us_session_conn(s), id, 1); /* pipe mode: one stream */
                return;
            }
            b = bridge_new(a, s, 1);
            if (!b) return;
            b->id = id;
            b->has_id = 1;
            a->pipe_b = b;
            pipe_read_next(b);
        } else if (a->is_server && a->forward) {
            b = bridge_new(a, s, 0);
            if (!b) return;
            b->id = id;
            b->has_id = 1;
            start_target(a, b);
        } else {
            us_stream_reset(us_session_conn(s), id, 1);
            return;
        }
    }
    if (n) local_write(b, d, n);
    if (fin) {
        b->remote_fin = 1;
        local_fin(b);
        check_done(a);
    }
}

static void on_writable(us_session *s, void *ud) {
    app *a = ud;
    for (bridge *b = a->bridges; b; b = b->next)
        if (b->s == s) bridge_pump(b);
}

static const char *explain(int err) {
    switch (err) {
    case UMBRA_EPEER_KEY: return "the peer does not hold the pinned key (wrong --peer-key?)";
    case UMBRA_EUNREACHABLE: return "peer unreachable (nothing listening, or no answer)";
    case UMBRA_EVERSION: return "version mismatch: the peer does not speak session protocol version 1";
    case UMBRA_ETIMEDOUT: return "the session timed out (peer went silent)";
    case UMBRA_ESTATE: return "the peer is busy (a pipe-mode `umbra listen` serves one client)";
    case UMBRA_EPERM:
        return "the server requires an authorized client identity (connect with --auth; the server "
               "must --allow this node's `umbra id --peer-key`)";
    default: return umbra_strerror(err);
    }
}

/* --ticket FILE: "UTK1" || ticket || psk || key_id || max_early:4 (big-endian), 0600 */
#define TICKET_FILE_LEN (4 + US_TICKET_LEN + 32 + 32 + 4)

static void save_ticket(const char *path, const us_ticket *t) {
    uint8_t b[TICKET_FILE_LEN];
    memcpy(b, "UTK1", 4);
    memcpy(b + 4, t->ticket, US_TICKET_LEN);
    memcpy(b + 4 + US_TICKET_LEN, t->psk, 32);
    memcpy(b + 4 + US_TICKET_LEN + 32, t->key_id, 32);
    uint8_t *m = b + 4 + US_TICKET_LEN + 64;
    m[0] = (uint8_t)(t->max_early >> 24), m[1] = (uint8_t)(t->max_early >> 16);
    m[2] = (uint8_t)(t->max_early >> 8), m[3] = (uint8_t)t->max_early;
    umbra_file_write_atomic(path, b, sizeof b, 0600);
    umbra_wipe(b, sizeof b);
}

static int load_ticket(const char *path, us_ticket *t) {
    uint8_t *d;
    size_t n;
    if (umbra_file_read(path, 4096, &d, &n) != 0) return -1;
    int ok = n == TICKET_FILE_LEN && !memcmp(d, "UTK1", 4);
    if (ok) {
        memcpy(t->ticket, d + 4, US_TICKET_LEN);
        memcpy(t->psk, d + 4 + US_TICKET_LEN, 32);
        memcpy(t->key_id, d + 4 + US_TICKET_LEN + 32, 32);
        const uint8_t *m = d + 4 + US_TICKET_LEN + 64;
        t->max_early = ((uint32_t)m[0] << 24) | ((uint32_t)m[1] << 16) | ((uint32_t)m[2] << 8) | m[3];
    }
    umbra_wipe(d, n);
    umbra_free(d);
    return ok ? 0 : -1;
}

static void on_closed(us_session *s, int err, void *ud) {
    app *a = ud;
    us_ticket t;
    if (a->ticket_file && us_session_conn(s) && us_conn_get_ticket(us_session_conn(s), &t)) {
        save_ticket(a->ticket_file, &t);
        umbra_wipe(&t, sizeof t);
    }
    for (bridge *b = a->bridges; b; b = b->next)
        if (b->s == s) {
            b->s = NULL;
            b->has_id = 0;
            if (b->tcp) {
                uv_close((uv_handle_t *)b->tcp, on_tcp_closed);
                b->tcp = NULL;
            }
        }
    if (err) {
        if (a->is_server && err == UMBRA_EPERM)
            fprintf(stderr, "umbra %s: refused a client whose key is not allowed (--allow)\n", a->cmd);
        else
            fprintf(stderr, "umbra %s: %s%s%s\n", a->cmd, explain(err), a->is_server ? "" : " — ",
                    a->is_server ? "" : a->target);
        if (!a->is_server || !a->forward) a->exit_code = err == UMBRA_EPEER_KEY ? UMBRA_EXIT_INPUT : UMBRA_EXIT_FAIL;
    }
    if (s == a->sess) a->sess = NULL;
    if (!a->is_server || !a->forward) {
        a->done = 1;
        uv_stop(a->loop);
    }
}

/* listen --allow: the client's composite key must be one of the allowed peer keys */
static int authorize_cb(void *ud, const uint8_t pk[US_SIG_PK_LEN]) {
    app *a = ud;
    for (int i = 0; i < a->nallowed; i++)
        if (!memcmp(a->allowed[i].compsig_pk, pk, US_SIG_PK_LEN)) return 0;
    return -1;
}

/* connect --forward: a local TCP connection becomes a new stream */
static void on_local_conn(uv_stream_t *server, int status) {
    app *a = server->data;
    if (status < 0 || !a->sess) return;
    bridge *b = bridge_new(a, a->sess, 0);
    if (!b) return;
    b->tcp = calloc(1, sizeof *b->tcp);
    uv_tcp_init(a->loop, b->tcp);
    b->tcp->data = b;
    if (uv_accept(server, (uv_stream_t *)b->tcp) != 0 || us_session_open(a->sess, &b->id) != 0) {
        uv_close((uv_handle_t *)b->tcp, on_tcp_closed);
        b->tcp = NULL;
        return;
    }
    b->has_id = 1;
    b->tcp_connected = 1;
    tcp_read_start(b);
}

/* ---- command line ---- */

static void usage(FILE *f, int is_server) {
    if (is_server)
        fprintf(f,
                "usage: umbra listen [HOST:]PORT [--udp | --tcp] [--forward HOST:PORT] [--retry]\n"
                "                    [--allow KEY|@FILE]... [--home DIR]\n\n"
                "Accepts post-quantum secure sessions (docs/PROTOCOL.md) with this node's identity\n"
                "(`umbra id`; clients pin its peer key). Without --forward, the first peer's stream\n"
                "is piped to stdout and stdin is sent back to it; the command exits when that\n"
                "session ends. With --forward, every stream of every peer is bridged to a new TCP\n"
                "connection to HOST:PORT, and the command runs until interrupted.\n\n");
    else
        fprintf(f,
                "usage: umbra connect HOST:PORT --peer-key KEY|@FILE [--udp | --tcp]\n"
                "                     [--forward [LHOST:]LPORT] [--ticket FILE] [--auth]\n"
                "                     [--home DIR]\n\n"
                "Opens a secure session to a `umbra listen` peer whose key is pinned with\n"
                "--peer-key (the string `umbra id --peer-key` prints there, or @FILE holding it,\n"
                "e.g. its identity.pub). Without --forward, stdin goes to the peer and the peer's\n"
                "data to stdout (a secure pipe); exits when both directions ended. With --forward,\n"
                "every TCP connection accepted on LHOST:LPORT becomes a stream to the peer.\n\n");
    fprintf(f,
            "options:\n"
            "  --udp            UDP datagrams (default)\n"
            "  --tcp            TCP with 4-byte length framing\n"
            "  --forward ADDR   TCP port forward (see above)\n"
            "  --ticket FILE    connect: resume with the ticket in FILE (0-RTT: the first\n"
            "                   16 KiB of stdin travel with the handshake) and store the\n"
            "                   server's next ticket there (0600)\n"
            "  --auth           connect: authenticate with this node's identity (`umbra id`)\n"
            "  --allow KEY|@F   listen: require client authentication and accept only this\n"
            "                   client peer key (repeatable, up to 64)\n"
            "  --retry          listen, UDP: make clients prove their address with a Retry\n"
            "                   token before any public-key work (DoS protection)\n"
            "  --home DIR       state directory (default $UMBRA_HOME, else ~/.local/share/umbra)\n"
            "  -h, --help       this help\n\n"
            "exit codes: 0 ok, 1 failure (unreachable peer, version mismatch, I/O),\n"
            "            2 usage, 3 wrong or malformed peer key\n");
}

static int split_hostport(const char *s, char *host, size_t hcap, int *port, const char *defhost) {
    const char *c = strrchr(s, ':');
    const char *ps = c ? c + 1 : s;
    char *end;
    long p = strtol(ps, &end, 10);
    if (!*ps || *end || p < 0 || p > 65535) return -1;
    *port = (int)p;
    if (c) {
        size_t hl = (size_t)(c - s);
        if (hl && s[0] == '[' && s[hl - 1] == ']') s++, hl -= 2;
        if (hl >= hcap) return -1;
        memcpy(host, s, hl);
        host[hl] = 0;
    }
    if (!c || !*host) snprintf(host, hcap, "%s", defhost);
    return 0;
}

static char *read_key_arg(const char *v) {
    if (v[0] != '@') return strdup(v);
    uint8_t *d;
    size_t n;
    if (umbra_file_read(v + 1, 65536, &d, &n) != 0) return NULL;
    char *s = strdup((char *)d);
    umbra_free(d);
    return s;
}

static void close_walk(uv_handle_t *h, void *arg) {
    (void)arg;
    if (!uv_is_closing(h)) uv_close(h, NULL);
}

int cli_session_main(const char *cmd, int argc, char **argv, int is_server) {
    if (cli_wants_help(argc, argv)) {
        usage(stdout, is_server);
        return UMBRA_EXIT_OK;
    }
    app a;
    memset(&a, 0, sizeof a);
    a.cmd = cmd;
    a.is_server = is_server;
    a.leg = US_LEG_UDP;
    const char *addr = NULL, *peer_key = NULL, *home_opt = NULL, *fwd = NULL;
    int retry = 0, auth = 0, nallow = 0;
    const char *allow[64];
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        if (!strcmp(o, "--udp")) a.leg = US_LEG_UDP;
        else if (!strcmp(o, "--tcp")) a.leg = US_LEG_TCP;
        else if (!strcmp(o, "--peer-key") && i + 1 < argc && !is_server) peer_key = argv[++i];
        else if (!strcmp(o, "--home") && i + 1 < argc) home_opt = argv[++i];
        else if (!strcmp(o, "--retry") && is_server) retry = 1;
        else if (!strcmp(o, "--ticket") && i + 1 < argc && !is_server) a.ticket_file = argv[++i];
        else if (!strcmp(o, "--auth") && !is_server) auth = 1;
        else if (!strcmp(o, "--allow") && i + 1 < argc && is_server) {
            if (nallow < 64) allow[nallow++] = argv[++i];
            else return cli_error(cmd, UMBRA_EXIT_USAGE, "at most 64 --allow keys");
        }
        else if (!strcmp(o, "--forward") && i + 1 < argc) fwd = argv[++i];
        else if (o[0] == '-' && o[1]) {
            usage(stderr, is_server);
            return cli_error(cmd, UMBRA_EXIT_USAGE, "unknown or incomplete option '%s'", o);
        } else if (!addr) addr = o;
        else return cli_error(cmd, UMBRA_EXIT_USAGE, "unexpected argument '%s'", o);
    }
    if (!addr) {
        usage(stderr, is_server);
        return cli_error(cmd, UMBRA_EXIT_USAGE, "missing address");
    }
    char host[256];
    int port;
    if (split_hostport(addr, host, sizeof host, &port, is_server ? "0.0.0.0" : "127.0.0.1") != 0)
        return cli_error(cmd, UMBRA_EXIT_USAGE, "bad address '%s' (want HOST:PORT)", addr);
    if (fwd) {
        a.forward = 1;
        if (split_hostport(fwd, a.fwd_host, sizeof a.fwd_host, &a.fwd_port, "127.0.0.1") != 0)
            return cli_error(cmd, UMBRA_EXIT_USAGE, "bad --forward address '%s'", fwd);
    }
    snprintf(a.target, sizeof a.target, "%s:%d", host, port);
    if (uc_init() != 0) return cli_error(cmd, UMBRA_EXIT_FAIL, "crypto initialisation failed");

    us_config cfg;
    us_config_default(&cfg);
    umbra_identity *id = NULL;
    umbra_peer_key pk;
    us_ticket ticket;
    char err[UMBRA_IDENTITY_ERR_LEN];
    char home[4096] = "";
    if (is_server || auth) {
        int rc = home_opt ? (snprintf(home, sizeof home, "%s", home_opt), 0) : cli_home(home, sizeof home, 1);
        if (rc) return cli_error(cmd, UMBRA_EXIT_FAIL, "no state directory: %s", umbra_strerror(rc));
        rc = umbra_identity_load_or_create(home, &id, NULL, err, sizeof err);
        if (rc) return cli_error(cmd, rc == UMBRA_ECORRUPT ? UMBRA_EXIT_INPUT : UMBRA_EXIT_FAIL, "identity: %s", err);
        cfg.identity = id;
    }
    if (is_server) {
        if (nallow) {
            a.allowed = calloc((size_t)nallow, sizeof *a.allowed);
            if (!a.allowed) return cli_error(cmd, UMBRA_EXIT_FAIL, "out of memory");
            for (int i = 0; i < nallow; i++) {
                char *ks = read_key_arg(allow[i]);
                int prc = ks ? umbra_identity_parse_peer_key(ks, &a.allowed[i], err, sizeof err) : UMBRA_EIO;
                free(ks);
                if (prc) {
                    free(a.allowed);
                    umbra_identity_free(id);
                    return cli_error(cmd, UMBRA_EXIT_INPUT, "bad --allow key '%.40s': %s", allow[i],
                                     ks ? err : "cannot read the file");
                }
            }
            a.nallowed = nallow;
            cfg.require_client_auth = 1;
            cfg.authorize = authorize_cb;
            cfg.authorize_ud = &a;
        }
    } else {
        if (!peer_key) return cli_error(cmd, UMBRA_EXIT_USAGE, "--peer-key is required (see `umbra id --peer-key` on the peer)");
        char *ks = read_key_arg(peer_key);
        if (!ks) return cli_error(cmd, UMBRA_EXIT_INPUT, "cannot read peer key file '%s'", peer_key + 1);
        int rc = umbra_identity_parse_peer_key(ks, &pk, err, sizeof err);
        free(ks);
        if (rc) return cli_error(cmd, UMBRA_EXIT_INPUT, "bad --peer-key: %s", err);
        cfg.peer = &pk;
        if (a.ticket_file && load_ticket(a.ticket_file, &ticket) == 0) cfg.ticket = &ticket;
    }
    cfg.keepalive = 1;
    cfg.require_retry = retry; /* the endpoint draws the token key */
    if (is_server) cfg.ticket_dir = home; /* tickets survive a restart (PROTOCOL.md §10) */
    uv_loop_t loop;
    uv_loop_init(&loop);
    a.loop = &loop;
    us_callbacks cb = {on_session, on_data, on_writable, on_closed};
    int rc = us_endpoint_new(&loop, &cfg, a.leg, &cb, &a, &a.ep);
    if (rc) {
        umbra_identity_free(id);
        return cli_error(cmd, UMBRA_EXIT_FAIL, "%s", umbra_strerror(rc));
    }
    if (is_server) {
        rc = us_endpoint_listen(a.ep, host, port);
        if (rc) {
            a.exit_code = cli_error(cmd, UMBRA_EXIT_FAIL, "cannot listen on %s: %s", a.target, umbra_strerror(rc));
            goto out;
        }
        fprintf(stderr, "umbra %s: listening on %s:%d (%s) as %s\n", cmd, host, us_endpoint_port(a.ep),
                a.leg == US_LEG_UDP ? "udp" : "tcp", umbra_identity_id(id));
    } else {
        us_session *cs = NULL;
        rc = us_endpoint_connect(a.ep, host, port, &cs);
        if (!rc && cs && us_session_conn(cs)) start_client_pipe(&a, cs);
        if (rc) {
            a.exit_code = cli_error(cmd, UMBRA_EXIT_FAIL, "cannot connect to %s: %s", a.target, explain(rc));
            goto out;
        }
        if (a.forward) {
            struct sockaddr_storage ss;
            char ps[16];
            struct addrinfo hints, *res = NULL;
            memset(&hints, 0, sizeof hints);
            hints.ai_socktype = SOCK_STREAM;
            snprintf(ps, sizeof ps, "%d", a.fwd_port);
            if (getaddrinfo(a.fwd_host, ps, &hints, &res) != 0 || !res) {
                a.exit_code = cli_error(cmd, UMBRA_EXIT_USAGE, "cannot resolve %s", a.fwd_host);
                goto out;
            }
            memcpy(&ss, res->ai_addr, res->ai_addrlen);
            freeaddrinfo(res);
            uv_tcp_init(&loop, &a.local_listener);
            a.local_listener.data = &a;
            a.listener_open = 1;
            if (uv_tcp_bind(&a.local_listener, (struct sockaddr *)&ss, 0) != 0 ||
                uv_listen((uv_stream_t *)&a.local_listener, 64, on_local_conn) != 0) {
                a.exit_code = cli_error(cmd, UMBRA_EXIT_FAIL, "cannot listen on %s:%d", a.fwd_host, a.fwd_port);
                goto out;
            }
        }
    }
    uv_run(&loop, UV_RUN_DEFAULT);
out:
    us_endpoint_free(a.ep);
    if (a.listener_open) uv_close((uv_handle_t *)&a.local_listener, NULL);
    for (bridge *b = a.bridges; b; b = b->next)
        if (b->tcp) uv_close((uv_handle_t *)b->tcp, on_tcp_closed), b->tcp = NULL;
    /* let stdout writes and handle closes finish; a stdin read blocked in the threadpool
     * (a terminal) is abandoned — the process is exiting */
    for (int i = 0; i < 100000 && out_head; i++) uv_run(&loop, UV_RUN_ONCE);
    uv_walk(&loop, close_walk, NULL);
    int stdin_stuck = a.pipe_b && a.pipe_b->reading && isatty(0);
    if (!stdin_stuck) {
        uv_run(&loop, UV_RUN_DEFAULT);
        uv_loop_close(&loop);
    }
    fflush(stdout);
    while (a.bridges) {
        bridge *n = a.bridges->next;
        free(a.bridges);
        a.bridges = n;
    }
    umbra_identity_free(id);
    umbra_wipe(&ticket, sizeof ticket);
    free(a.allowed);
    return a.exit_code;
}

int cmd_connect(int argc, char **argv) { return cli_session_main("connect", argc, argv, 0); }
