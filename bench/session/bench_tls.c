/* bench_tls.c — baselines for the session layer, measured on this machine:
 *   - OpenSSL TLS 1.3 (X25519 key exchange, ECDSA P-256 certificate verified by the client,
 *     no session tickets): handshake CPU per side and handshakes/s/core over an in-memory
 *     BIO pair, handshake latency over loopback TCP, bulk throughput of one TLS stream over
 *     loopback TCP (AES-256-GCM, the OpenSSL default suite);
 *   - raw TCP bulk throughput over loopback (what any transport over TCP is bounded by).
 * bench_session.c includes this file (BENCH_TLS_NO_MAIN) to print umbra's numbers beside
 * these, measured in the same run.
 *
 * usage: bench_session_tls [-t SECONDS_PER_MEASUREMENT]   (default 1.5) */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

/* ---- timing ---------------------------------------------------------------------------- */

static double bt_clock(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
static double bt_wall(void) { return bt_clock(CLOCK_MONOTONIC); }
static double bt_cpu(void) { return bt_clock(CLOCK_PROCESS_CPUTIME_ID); }
static double bt_tcpu(void) { return bt_clock(CLOCK_THREAD_CPUTIME_ID); }

static int bt_cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}
/* Percentile p (0..100) of n samples (sorts v). */
static double bt_pct(double *v, size_t n, double p) {
    if (n == 0) return 0;
    qsort(v, n, sizeof *v, bt_cmp_double);
    size_t i = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);
    return v[i < n ? i : n - 1];
}

static void bt_die(const char *what) {
    fprintf(stderr, "bench: %s failed", what);
    unsigned long e = ERR_get_error();
    if (e) fprintf(stderr, ": %s", ERR_error_string(e, NULL));
    if (errno) fprintf(stderr, " (%s)", strerror(errno));
    fputc('\n', stderr);
    exit(1);
}

/* ---- loopback sockets -------------------------------------------------------------------- */

/* Listening TCP socket on 127.0.0.1, ephemeral port written to *port. */
static int bt_listen(int *port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) bt_die("socket");
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 64) != 0) bt_die("bind/listen");
    socklen_t len = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &len);
    *port = ntohs(a.sin_port);
    return fd;
}

static int bt_connect(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) bt_die("socket");
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                            .sin_port = htons((uint16_t)port)};
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) bt_die("connect");
    return fd;
}

static int bt_write_all(int fd, const void *p, size_t n) {
    const char *c = p;
    while (n > 0) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

/* ---- OpenSSL contexts ----------------------------------------------------------------------- */

typedef struct bt_tls {
    SSL_CTX *server, *client;
} bt_tls;

static void bt_tls_init(bt_tls *t) {
    EVP_PKEY *key = EVP_EC_gen("P-256");
    if (!key) bt_die("EVP_EC_gen");
    X509 *x = X509_new();
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, key);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"bench.umbra", -1, -1, 0);
    X509_set_issuer_name(x, name);
    if (!X509_sign(x, key, EVP_sha256())) bt_die("X509_sign");

    t->server = SSL_CTX_new(TLS_server_method());
    t->client = SSL_CTX_new(TLS_client_method());
    if (!t->server || !t->client) bt_die("SSL_CTX_new");
    SSL_CTX *both[2] = {t->server, t->client};
    for (int i = 0; i < 2; i++) {
        SSL_CTX_set_min_proto_version(both[i], TLS1_3_VERSION);
        SSL_CTX_set_max_proto_version(both[i], TLS1_3_VERSION);
        if (SSL_CTX_set1_groups_list(both[i], "X25519") != 1) bt_die("groups X25519");
        SSL_CTX_set_session_cache_mode(both[i], SSL_SESS_CACHE_OFF);
    }
    SSL_CTX_set_num_tickets(t->server, 0); /* full handshakes only, nothing after them */
    if (SSL_CTX_use_certificate(t->server, x) != 1 || SSL_CTX_use_PrivateKey(t->server, key) != 1)
        bt_die("server cert");
    X509_STORE_add_cert(SSL_CTX_get_cert_store(t->client), x);
    SSL_CTX_set_verify(t->client, SSL_VERIFY_PEER, NULL);
    X509_free(x);
    EVP_PKEY_free(key);
}

static void bt_tls_free(bt_tls *t) {
    SSL_CTX_free(t->server);
    SSL_CTX_free(t->client);
}

/* ---- results ------------------------------------------------------------------------------- */

typedef struct bt_hs {
    double per_s_core;      /* full handshakes per second per core (server + client CPU) */
    double server_ms;       /* server CPU ms per handshake */
    double client_ms;       /* client CPU ms per handshake */
    double srv_per_s_core;  /* what one core of a server can accept */
    double lat_p50_ms, lat_p99_ms; /* loopback TCP: connect → handshake done, client side */
    int n;
} bt_hs;

typedef struct bt_bulk {
    double mb_s;            /* MB/s (1e6 bytes) of application data */
    double cpu_s_per_gb;    /* process CPU seconds (sender + receiver) per GB (1e9 bytes) */
} bt_bulk;

/* ---- TLS handshake over an in-memory BIO pair: CPU per side ------------------------------- */

static void bt_tls_handshakes_mem(bt_tls *t, double secs, bt_hs *r) {
    double cs = 0, ss = 0;
    int n = 0;
    double t0 = bt_wall();
    while (bt_wall() - t0 < secs || n < 10) {
        BIO *cb, *sb;
        if (!BIO_new_bio_pair(&cb, 0, &sb, 0)) bt_die("BIO_new_bio_pair");
        SSL *c = SSL_new(t->client), *s = SSL_new(t->server);
        SSL_set_bio(c, cb, cb);
        SSL_set_bio(s, sb, sb);
        SSL_set_connect_state(c);
        SSL_set_accept_state(s);
        int cdone = 0, sdone = 0;
        for (int it = 0; it < 100 && !(cdone && sdone); it++) {
            double a = bt_tcpu();
            if (!cdone) {
                int rc = SSL_do_handshake(c);
                if (rc == 1) cdone = 1;
                else if (SSL_get_error(c, rc) != SSL_ERROR_WANT_READ) bt_die("client handshake");
            }
            double b = bt_tcpu();
            if (!sdone) {
                int rc = SSL_do_handshake(s);
                if (rc == 1) sdone = 1;
                else if (SSL_get_error(s, rc) != SSL_ERROR_WANT_READ) bt_die("server handshake");
            }
            double d = bt_tcpu();
            cs += b - a;
            ss += d - b;
        }
        if (!(cdone && sdone)) bt_die("handshake did not finish");
        /* The client's Finished reaches the server within the loop; check the suite once. */
        if (n == 0 && strcmp(SSL_get_cipher_name(c), "TLS_AES_256_GCM_SHA384") != 0 &&
            strcmp(SSL_get_cipher_name(c), "TLS_AES_128_GCM_SHA256") != 0)
            fprintf(stderr, "bench: note: TLS suite %s\n", SSL_get_cipher_name(c));
        SSL_free(c);
        SSL_free(s);
        n++;
    }
    r->n = n;
    r->client_ms = cs / n * 1e3;
    r->server_ms = ss / n * 1e3;
    r->per_s_core = n / (cs + ss);
    r->srv_per_s_core = n / ss;
}

/* ---- TLS handshake latency over loopback TCP ------------------------------------------------ */

typedef struct bt_srv {
    int lfd;
    bt_tls *tls;
    int count;       /* handshakes to serve (hs server) */
    int raw;         /* bulk server: 1 = raw TCP, 0 = TLS */
    double secs;
    unsigned long long bytes;
} bt_srv;

static void *bt_hs_server(void *arg) {
    bt_srv *sv = arg;
    for (int i = 0; i < sv->count; i++) {
        int fd = accept(sv->lfd, NULL, NULL);
        if (fd < 0) bt_die("accept");
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        SSL *s = SSL_new(sv->tls->server);
        SSL_set_fd(s, fd);
        if (SSL_accept(s) != 1) bt_die("SSL_accept");
        char b;
        SSL_read(s, &b, 1); /* the client's close_notify / EOF ends the connection */
        SSL_free(s);
        close(fd);
    }
    return NULL;
}

static void bt_tls_handshake_latency(bt_tls *t, double secs, bt_hs *r) {
    /* Estimate the count from the in-memory rate so the run takes about `secs`. */
    int count = (int)(secs * r->per_s_core / 3);
    if (count < 20) count = 20;
    if (count > 2000) count = 2000;
    int port;
    bt_srv sv = {.lfd = bt_listen(&port), .tls = t, .count = count};
    pthread_t th;
    pthread_create(&th, NULL, bt_hs_server, &sv);
    double *lat = malloc(sizeof(double) * (size_t)count);
    for (int i = 0; i < count; i++) {
        double a = bt_wall();
        int fd = bt_connect(port);
        SSL *c = SSL_new(t->client);
        SSL_set_fd(c, fd);
        if (SSL_connect(c) != 1) bt_die("SSL_connect");
        lat[i] = (bt_wall() - a) * 1e3;
        SSL_shutdown(c);
        SSL_free(c);
        close(fd);
    }
    pthread_join(th, NULL);
    close(sv.lfd);
    r->lat_p50_ms = bt_pct(lat, (size_t)count, 50);
    r->lat_p99_ms = bt_pct(lat, (size_t)count, 99);
    free(lat);
}

/* ---- bulk throughput over loopback TCP (raw or TLS), one stream ------------------------------ */

#define BT_CHUNK (256 * 1024)

static void *bt_bulk_server(void *arg) {
    bt_srv *sv = arg;
    int fd = accept(sv->lfd, NULL, NULL);
    if (fd < 0) bt_die("accept");
    char *buf = malloc(BT_CHUNK);
    unsigned long long total = 0;
    SSL *s = NULL;
    if (!sv->raw) {
        s = SSL_new(sv->tls->server);
        SSL_set_fd(s, fd);
        if (SSL_accept(s) != 1) bt_die("SSL_accept");
    }
    for (;;) {
        long n = s ? SSL_read(s, buf, BT_CHUNK) : (long)read(fd, buf, BT_CHUNK);
        if (n < 0 && !s && errno == EINTR) continue;
        if (n <= 0) break;
        total += (unsigned long long)n;
    }
    sv->bytes = total;
    /* One byte back tells the sender everything arrived. */
    if (s) {
        SSL_write(s, "k", 1);
        SSL_free(s);
    } else {
        bt_write_all(fd, "k", 1);
    }
    close(fd);
    free(buf);
    return NULL;
}

static void bt_bulk_run(bt_tls *t, int raw, double secs, bt_bulk *r) {
    int port;
    bt_srv sv = {.lfd = bt_listen(&port), .tls = t, .raw = raw};
    pthread_t th;
    pthread_create(&th, NULL, bt_bulk_server, &sv);
    int fd = bt_connect(port);
    SSL *c = NULL;
    if (!raw) {
        c = SSL_new(t->client);
        SSL_set_fd(c, fd);
        if (SSL_connect(c) != 1) bt_die("SSL_connect");
    }
    char *buf = malloc(BT_CHUNK);
    memset(buf, 0x5a, BT_CHUNK);
    double w0 = bt_wall(), c0 = bt_cpu();
    unsigned long long sent = 0;
    while (bt_wall() - w0 < secs) {
        for (int k = 0; k < 16; k++) {
            if (c) {
                if (SSL_write(c, buf, BT_CHUNK) != BT_CHUNK) bt_die("SSL_write");
            } else if (bt_write_all(fd, buf, BT_CHUNK) != 0) {
                bt_die("write");
            }
            sent += BT_CHUNK;
        }
    }
    char k;
    if (c) {
        SSL_shutdown(c); /* close_notify → server's SSL_read returns 0 */
        shutdown(fd, SHUT_WR);
        if (SSL_read(c, &k, 1) != 1) bt_die("ack");
    } else {
        shutdown(fd, SHUT_WR);
        if (read(fd, &k, 1) != 1) bt_die("ack");
    }
    double wall = bt_wall() - w0, cpu = bt_cpu() - c0;
    pthread_join(th, NULL);
    if (sv.bytes != sent) {
        fprintf(stderr, "bench: bulk: sent %llu, received %llu\n", sent, sv.bytes);
        exit(1);
    }
    r->mb_s = (double)sent / wall / 1e6;
    r->cpu_s_per_gb = cpu / ((double)sent / 1e9);
    if (c) SSL_free(c);
    close(fd);
    close(sv.lfd);
    free(buf);
}

/* ---- the baseline as a whole ----------------------------------------------------------------- */

typedef struct bt_baseline {
    bt_hs tls_hs;
    bt_bulk tls_bulk, tcp_bulk;
} bt_baseline;

static void bt_run_baseline(double secs, bt_baseline *b) {
    bt_tls t;
    bt_tls_init(&t);
    bt_tls_handshakes_mem(&t, secs, &b->tls_hs);
    bt_tls_handshake_latency(&t, secs, &b->tls_hs);
    bt_bulk_run(&t, 0, secs, &b->tls_bulk);
    bt_bulk_run(&t, 1, secs, &b->tcp_bulk);
    bt_tls_free(&t);
}

static double bt_parse_secs(int argc, char **argv) {
    double secs = 1.5;
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], "-t") == 0) secs = atof(argv[i + 1]);
    if (!(secs > 0.05 && secs < 600)) secs = 1.5;
    return secs;
}

#ifndef BENCH_TLS_NO_MAIN
int main(int argc, char **argv) {
    double secs = bt_parse_secs(argc, argv);
    bt_baseline b;
    bt_run_baseline(secs, &b);
    printf("session baseline (OpenSSL %s; loopback; %.1f s per measurement)\n",
           OpenSSL_version(OPENSSL_VERSION_STRING), secs);
    printf("  %-44s %14s %14s\n", "metric", "TLS 1.3", "raw TCP");
    printf("  %-44s %14.0f %14s\n", "handshakes/s/core (client+server CPU)", b.tls_hs.per_s_core, "-");
    printf("  %-44s %14.0f %14s\n", "handshakes/s/core (server CPU only)", b.tls_hs.srv_per_s_core, "-");
    printf("  %-44s %14.3f %14s\n", "server CPU ms per handshake", b.tls_hs.server_ms, "-");
    printf("  %-44s %14.3f %14s\n", "client CPU ms per handshake", b.tls_hs.client_ms, "-");
    printf("  %-44s %14.3f %14s\n", "handshake latency p50, loopback TCP (ms)", b.tls_hs.lat_p50_ms, "-");
    printf("  %-44s %14.3f %14s\n", "handshake latency p99, loopback TCP (ms)", b.tls_hs.lat_p99_ms, "-");
    printf("  %-44s %14.0f %14.0f\n", "bulk 1 stream, loopback TCP (MB/s)", b.tls_bulk.mb_s, b.tcp_bulk.mb_s);
    printf("  %-44s %14.2f %14.2f\n", "CPU s per GB (sender+receiver)", b.tls_bulk.cpu_s_per_gb,
           b.tcp_bulk.cpu_s_per_gb);
    printf("  (umbra's own numbers: bench_session_session prints them beside these)\n");
    return 0;
}
#endif
