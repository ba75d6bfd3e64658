/* test_leg.c — the libuv legs: a server and a client endpoint in one process over
 * loopback UDP and TCP, a bidirectional transfer with checksums, wrong key, unreachable,
 * (UDP) rebinding the client socket mid-transfer, the session limit, resumption
 * tickets that survive a server restart (ticket_dir) while staying single-use, and two
 * TCP pairs and two UDP pairs transferring at once on two threads (per-endpoint receive
 * buffers, and the UDP recvmmsg/sendmmsg batch buffers). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/stat.h>
#include <uv.h>

#include "testutil.h"
#include "umbra/identity.h"
#include "umbra/session.h"

typedef struct ctx {
    uv_loop_t loop;
    us_endpoint *srv, *cli;
    us_session *cs;
    uint32_t sid;
    size_t to_send, sent, srv_recv, cli_recv;
    uint64_t gen, chk_srv;
    uc_sha256_ctx h_sent, h_srv;
    int srv_fin, cli_fin, closed, close_err, rebind_at_half, rebound;
    uv_timer_t guard;
} ctx;

static void gen(uint64_t *st, uint8_t *out, size_t n) {
    for (size_t i = 0; i < n; i++) {
        *st = *st * 6364136223846793005ull + 1442695040888963407ull;
        out[i] = (uint8_t)(*st >> 56);
    }
}

static void pump(ctx *c) {
    uint8_t buf[32768];
    while (c->cs && c->sent < c->to_send) {
        long room = us_session_writable(c->cs, c->sid);
        if (room <= 0) return;
        size_t k = sizeof buf;
        if (k > c->to_send - c->sent) k = c->to_send - c->sent;
        if ((long)k > room) k = (size_t)room;
        uint64_t st = c->gen;
        gen(&st, buf, k);
        int w = us_session_write(c->cs, c->sid, buf, k, c->sent + k == c->to_send);
        if (w <= 0) return;
        gen(&c->gen, buf, (size_t)w);
        uc_sha256_update(&c->h_sent, buf, (size_t)w);
        c->sent += (size_t)w;
    }
}

static void cli_session(us_session *s, void *ud) {
    ctx *c = ud;
    c->cs = s;
    assert_int_equal(us_session_open(s, &c->sid), 0);
    pump(c);
}

static void cli_writable(us_session *s, void *ud) {
    (void)s;
    pump(ud);
}

static void cli_data(us_session *s, uint32_t id, const uint8_t *d, size_t n, int fin, void *ud) {
    ctx *c = ud;
    (void)s;
    (void)id;
    (void)d;
    c->cli_recv += n;
    if (fin) {
        c->cli_fin = 1;
        us_session_close(s, 0);
    }
}

static void cli_closed(us_session *s, int err, void *ud) {
    ctx *c = ud;
    (void)s;
    c->closed = 1;
    c->close_err = err;
    c->cs = NULL;
    uv_stop(&c->loop);
}

static void srv_data(us_session *s, uint32_t id, const uint8_t *d, size_t n, int fin, void *ud) {
    ctx *c = ud;
    if (n) uc_sha256_update(&c->h_srv, d, n);
    c->srv_recv += n;
    if (c->rebind_at_half && !c->rebound && c->srv_recv > c->to_send / 2) {
        c->rebound = 1;
        assert_int_equal(us_endpoint_rebind(c->cli), 0);
    }
    if (fin) {
        c->srv_fin = 1;
        /* answer with a short message and end the stream */
        assert_true(us_session_write(s, id, "done", 4, 1) == 4);
    }
}

static void on_guard(uv_timer_t *t) {
    ctx *c = t->data;
    uv_stop(&c->loop);
}

static void run_case(int leg, int wrong_key, int unreachable, size_t bytes, int rebind, int expect_err) {
    ctx c;
    memset(&c, 0, sizeof c);
    assert_int_equal(uc_init(), 0);
    assert_int_equal(uv_loop_init(&c.loop), 0);
    umbra_identity *id, *other;
    assert_int_equal(umbra_identity_generate(&id), 0);
    assert_int_equal(umbra_identity_generate(&other), 0);
    umbra_peer_key pk;
    umbra_identity_public(wrong_key ? other : id, &pk);
    us_config scfg, ccfg;
    us_config_default(&scfg);
    us_config_default(&ccfg);
    scfg.identity = id;
    ccfg.peer = &pk;
    ccfg.handshake_timeout_ns = 3000000000ull;
    us_callbacks scb = {NULL, srv_data, NULL, NULL};
    us_callbacks ccb = {cli_session, cli_data, cli_writable, cli_closed};
    int port = 9; /* discard: nothing listens there on UDP/TCP loopback in CI */
    if (!unreachable) {
        assert_int_equal(us_endpoint_new(&c.loop, &scfg, leg, &scb, &c, &c.srv), 0);
        assert_int_equal(us_endpoint_listen(c.srv, "127.0.0.1", 0), 0);
        port = us_endpoint_port(c.srv);
        assert_true(port > 0);
    }
    c.to_send = bytes;
    c.rebind_at_half = rebind;
    uc_sha256_init(&c.h_sent);
    uc_sha256_init(&c.h_srv);
    assert_int_equal(us_endpoint_new(&c.loop, &ccfg, leg, &ccb, &c, &c.cli), 0);
    assert_int_equal(us_endpoint_connect(c.cli, "127.0.0.1", port, NULL), 0);
    uv_timer_init(&c.loop, &c.guard);
    c.guard.data = &c;
    uv_timer_start(&c.guard, on_guard, 30000, 0);
    uv_run(&c.loop, UV_RUN_DEFAULT);
    assert_true(c.closed);
    assert_int_equal(c.close_err, expect_err);
    if (!expect_err) {
        uint8_t a[32], b[32];
        uc_sha256_final(&c.h_sent, a);
        uc_sha256_final(&c.h_srv, b);
        assert_int_equal(c.srv_recv, bytes);
        assert_memory_equal(a, b, 32);
        assert_int_equal(c.cli_recv, 4);
    }
    us_endpoint_free(c.cli);
    us_endpoint_free(c.srv);
    uv_close((uv_handle_t *)&c.guard, NULL);
    uv_run(&c.loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&c.loop), 0);
    umbra_identity_free(id);
    umbra_identity_free(other);
}

static size_t leg_bytes(void) {
#ifdef UMBRA_SANITIZE
    return 2u << 20;
#else
    return 16u << 20;
#endif
}

static void test_udp_transfer(void **st) { (void)st; run_case(US_LEG_UDP, 0, 0, leg_bytes(), 0, 0); }
static void test_tcp_transfer(void **st) { (void)st; run_case(US_LEG_TCP, 0, 0, leg_bytes(), 0, 0); }
static void test_udp_wrong_key(void **st) { (void)st; run_case(US_LEG_UDP, 1, 0, 1000, 0, UMBRA_EPEER_KEY); }
static void test_tcp_wrong_key(void **st) { (void)st; run_case(US_LEG_TCP, 1, 0, 1000, 0, UMBRA_EPEER_KEY); }
static void test_udp_unreachable(void **st) { (void)st; run_case(US_LEG_UDP, 0, 1, 1000, 0, UMBRA_EUNREACHABLE); }
static void test_tcp_unreachable(void **st) { (void)st; run_case(US_LEG_TCP, 0, 1, 1000, 0, UMBRA_EUNREACHABLE); }
static void test_udp_rebind(void **st) { (void)st; run_case(US_LEG_UDP, 0, 0, leg_bytes() / 2, 1, 0); }

/* Two server/client pairs (TCP, or UDP), each on its own thread with its own uv loop, transfer
 * at the same time. The legs once read TCP into one process-wide buffer, so concurrent
 * endpoints corrupted each other's frames (AEAD failures, closed sessions). The thread body
 * does not call cmocka asserts itself (cmocka's failure longjmp is per thread); it records
 * a result that the main thread checks. The callbacks only assert on calls that succeed in
 * a healthy run. */
typedef struct pair_run {
    ctx c;
    size_t bytes;
    int leg;                /* US_LEG_TCP or US_LEG_UDP */
    int rc;                 /* 0 ok, else the step that failed */
} pair_run;

static void *pair_thread(void *arg) {
    pair_run *r = arg;
    ctx *c = &r->c;
    umbra_identity *id = NULL;
    umbra_peer_key pk;
    us_config scfg, ccfg;
    r->rc = 1;
    if (uv_loop_init(&c->loop) != 0) return NULL;
    if (umbra_identity_generate(&id) != 0) goto out_loop;
    umbra_identity_public(id, &pk);
    us_config_default(&scfg);
    us_config_default(&ccfg);
    scfg.identity = id;
    ccfg.peer = &pk;
    ccfg.handshake_timeout_ns = 3000000000ull;
    us_callbacks scb = {NULL, srv_data, NULL, NULL};
    us_callbacks ccb = {cli_session, cli_data, cli_writable, cli_closed};
    c->to_send = r->bytes;
    uc_sha256_init(&c->h_sent);
    uc_sha256_init(&c->h_srv);
    r->rc = 2;
    if (us_endpoint_new(&c->loop, &scfg, r->leg, &scb, c, &c->srv) != 0) goto out_id;
    if (us_endpoint_listen(c->srv, "127.0.0.1", 0) != 0) goto out_srv;
    if (us_endpoint_new(&c->loop, &ccfg, r->leg, &ccb, c, &c->cli) != 0) goto out_srv;
    if (us_endpoint_connect(c->cli, "127.0.0.1", us_endpoint_port(c->srv), NULL) != 0) goto out_cli;
    uv_timer_init(&c->loop, &c->guard);
    c->guard.data = c;
    uv_timer_start(&c->guard, on_guard, 60000, 0);
    uv_run(&c->loop, UV_RUN_DEFAULT);
    uv_close((uv_handle_t *)&c->guard, NULL);
    uint8_t a[32], b[32];
    uc_sha256_final(&c->h_sent, a);
    uc_sha256_final(&c->h_srv, b);
    if (!c->closed) r->rc = 3;
    else if (c->close_err != 0) r->rc = 4;
    else if (c->srv_recv != r->bytes || memcmp(a, b, 32) != 0) r->rc = 5;
    else if (c->cli_recv != 4) r->rc = 6;
    else r->rc = 0;
out_cli:
    us_endpoint_free(c->cli);
out_srv:
    us_endpoint_free(c->srv);
out_id:
    uv_run(&c->loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&c->loop) != 0 && r->rc == 0) r->rc = 7;
    umbra_identity_free(id);
    return NULL;
out_loop:
    uv_loop_close(&c->loop);
    return NULL;
}

static void two_threads(int leg) {
    assert_int_equal(uc_init(), 0);
    pair_run *r = calloc(2, sizeof *r);
    assert_non_null(r);
    pthread_t t[2];
    for (int i = 0; i < 2; i++) {
        r[i].bytes = leg_bytes() / 2;
        r[i].leg = leg;
        assert_int_equal(pthread_create(&t[i], NULL, pair_thread, &r[i]), 0);
    }
    for (int i = 0; i < 2; i++) assert_int_equal(pthread_join(t[i], NULL), 0);
    for (int i = 0; i < 2; i++) {
        if (r[i].rc) print_message("pair %d: step %d, close_err %d, srv_recv %zu\n", i, r[i].rc,
                                   r[i].c.close_err, r[i].c.srv_recv);
        assert_int_equal(r[i].rc, 0);
    }
    free(r);
}

static void test_tcp_two_threads(void **st) { (void)st; two_threads(US_LEG_TCP); }
static void test_udp_two_threads(void **st) { (void)st; two_threads(US_LEG_UDP); }

/* endpoint limits: with max_sessions = 1 a second client gets no answer while the first
 * session lives */
typedef struct lim {
    uv_loop_t loop;
    int a_up, b_closed, b_err;
    us_session *a;
} lim;

static void lim_a_session(us_session *s, void *ud) {
    lim *l = ud;
    l->a_up = 1;
    l->a = s;
}
static void lim_b_closed(us_session *s, int err, void *ud) {
    lim *l = ud;
    (void)s;
    l->b_closed = 1;
    l->b_err = err;
}
static void lim_timer(uv_timer_t *t) { uv_stop(t->loop); }

static void test_udp_max_sessions(void **st) {
    (void)st;
    lim l;
    memset(&l, 0, sizeof l);
    assert_int_equal(uv_loop_init(&l.loop), 0);
    umbra_identity *id;
    assert_int_equal(umbra_identity_generate(&id), 0);
    umbra_peer_key pk;
    umbra_identity_public(id, &pk);
    us_config scfg, ccfg;
    us_config_default(&scfg);
    us_config_default(&ccfg);
    scfg.identity = id;
    scfg.max_sessions = 1;
    ccfg.peer = &pk;
    ccfg.handshake_timeout_ns = 1000000000ull;
    us_endpoint *srv, *ca, *cb;
    us_callbacks none = {0};
    us_callbacks acb = {lim_a_session, NULL, NULL, NULL};
    us_callbacks bcb = {NULL, NULL, NULL, lim_b_closed};
    assert_int_equal(us_endpoint_new(&l.loop, &scfg, US_LEG_UDP, &none, &l, &srv), 0);
    assert_int_equal(us_endpoint_listen(srv, "127.0.0.1", 0), 0);
    assert_int_equal(us_endpoint_new(&l.loop, &ccfg, US_LEG_UDP, &acb, &l, &ca), 0);
    assert_int_equal(us_endpoint_new(&l.loop, &ccfg, US_LEG_UDP, &bcb, &l, &cb), 0);
    assert_int_equal(us_endpoint_connect(ca, "127.0.0.1", us_endpoint_port(srv), NULL), 0);
    uv_timer_t t;
    uv_timer_init(&l.loop, &t);
    for (int i = 0; i < 100 && !l.a_up; i++) {
        uv_timer_start(&t, lim_timer, 20, 0);
        uv_run(&l.loop, UV_RUN_DEFAULT);
    }
    assert_true(l.a_up);
    assert_int_equal(us_endpoint_connect(cb, "127.0.0.1", us_endpoint_port(srv), NULL), 0);
    for (int i = 0; i < 300 && !l.b_closed; i++) {
        uv_timer_start(&t, lim_timer, 20, 0);
        uv_run(&l.loop, UV_RUN_DEFAULT);
    }
    assert_true(l.b_closed);
    assert_int_equal(l.b_err, UMBRA_EUNREACHABLE);
    us_endpoint_free(ca);
    us_endpoint_free(cb);
    us_endpoint_free(srv);
    uv_close((uv_handle_t *)&t, NULL);
    uv_run(&l.loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&l.loop), 0);
    umbra_identity_free(id);
}

/* ---- tickets across a server restart (us_config.ticket_dir, PROTOCOL.md §10) ---- */

typedef struct rs {
    uv_loop_t loop;
    us_session *cs;
    int up, closed, close_err, early;
    us_ticket t;
    int have_ticket;
} rs;

static void rs_session(us_session *s, void *ud) {
    rs *r = ud;
    r->cs = s;
    r->up = 1;
}
static void rs_closed(us_session *s, int err, void *ud) {
    rs *r = ud;
    (void)s;
    r->closed = 1;
    r->close_err = err;
    r->cs = NULL;
}

/* One client connection to a freshly started server on `dir`: returns the client's 0-RTT
 * outcome (us_stats.early: 1 accepted, -1 refused, 0 no ticket) and leaves the server's
 * next ticket in r->t. */
static int rs_round(rs *r, const umbra_identity *id, const umbra_peer_key *pk, const char *dir,
                    const us_ticket *use) {
    us_config scfg, ccfg;
    us_config_default(&scfg);
    us_config_default(&ccfg);
    scfg.identity = id;
    scfg.ticket_dir = dir;
    ccfg.peer = pk;
    ccfg.ticket = use;
    ccfg.handshake_timeout_ns = 20000000000ull; /* generous: ASan on a loaded machine */
    us_endpoint *srv, *cli;
    us_callbacks none = {0};
    us_callbacks ccb = {rs_session, NULL, NULL, rs_closed};
    assert_int_equal(us_endpoint_new(&r->loop, &scfg, US_LEG_UDP, &none, r, &srv), 0);
    assert_int_equal(us_endpoint_listen(srv, "127.0.0.1", 0), 0);
    assert_int_equal(us_endpoint_new(&r->loop, &ccfg, US_LEG_UDP, &ccb, r, &cli), 0);
    r->up = r->closed = r->have_ticket = 0;
    r->cs = NULL; /* the previous round's session died with its endpoint */
    assert_int_equal(us_endpoint_connect(cli, "127.0.0.1", us_endpoint_port(srv), NULL), 0);
    uv_timer_t t;
    uv_timer_init(&r->loop, &t);
    int early = 0;
    for (int i = 0; i < 2000 && !r->closed && !r->have_ticket; i++) {
        uv_timer_start(&t, lim_timer, 10, 0);
        uv_run(&r->loop, UV_RUN_DEFAULT);
        if (r->cs && us_conn_get_ticket(us_session_conn(r->cs), &r->t)) r->have_ticket = 1;
    }
    assert_true(r->up);
    assert_true(r->have_ticket);
    us_stats st;
    us_conn_stats(us_session_conn(r->cs), &st);
    early = st.early;
    r->cs = NULL;
    us_endpoint_free(cli);
    us_endpoint_free(srv);
    uv_close((uv_handle_t *)&t, NULL);
    uv_run(&r->loop, UV_RUN_DEFAULT);
    return early;
}

static void test_udp_ticket_restart(void **st) {
    (void)st;
    rs r;
    memset(&r, 0, sizeof r);
    assert_int_equal(uv_loop_init(&r.loop), 0);
    umbra_identity *id;
    assert_int_equal(umbra_identity_generate(&id), 0);
    umbra_peer_key pk;
    umbra_identity_public(id, &pk);
    char dir[1024], kp[1100], up[1100];
    snprintf(dir, sizeof dir, "%s/leg-tickets", tu_tmpdir());
    snprintf(kp, sizeof kp, "%s/session-ticket.key", dir);
    snprintf(up, sizeof up, "%s/session-tickets.used", dir);
    mkdir(dir, 0700);
    unlink(kp);
    unlink(up);
    /* server #1 issues a ticket */
    assert_int_equal(rs_round(&r, id, &pk, dir, NULL), 0);
    us_ticket first = r.t;
    struct stat sb;
    assert_int_equal(stat(kp, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(sb.st_size, 32);
    /* server #2 (restarted, same directory) accepts it for 0-RTT once ... */
    assert_int_equal(rs_round(&r, id, &pk, dir, &first), 1);
    us_ticket second = r.t;
    assert_int_equal(stat(up, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_int_equal(sb.st_size, 4 + 24);
    /* ... and server #3 refuses the replay of the same ticket, but takes the fresh one */
    assert_int_equal(rs_round(&r, id, &pk, dir, &first), -1);
    assert_int_equal(rs_round(&r, id, &pk, dir, &second), 1);
    /* a server without the directory does not know the key: 0-RTT refused, session fine */
    us_ticket third = r.t;
    assert_int_equal(rs_round(&r, id, &pk, NULL, &third), -1);
    /* a key file of the wrong size is an error, not a silent new key */
    assert_int_equal(umbra_file_write_atomic(kp, "short", 5, 0600), 0);
    us_config scfg;
    us_config_default(&scfg);
    scfg.identity = id;
    scfg.ticket_dir = dir;
    us_endpoint *e = NULL;
    assert_int_equal(us_endpoint_new(&r.loop, &scfg, US_LEG_UDP, NULL, NULL, &e), UMBRA_ECORRUPT);
    assert_null(e);
    assert_int_equal(uv_loop_close(&r.loop), 0);
    umbra_identity_free(id);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_udp_transfer),   cmocka_unit_test(test_tcp_transfer),
        cmocka_unit_test(test_udp_wrong_key),  cmocka_unit_test(test_tcp_wrong_key),
        cmocka_unit_test(test_udp_unreachable), cmocka_unit_test(test_tcp_unreachable),
        cmocka_unit_test(test_udp_rebind),     cmocka_unit_test(test_udp_max_sessions),
        cmocka_unit_test(test_udp_ticket_restart), cmocka_unit_test(test_tcp_two_threads),
        cmocka_unit_test(test_udp_two_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
