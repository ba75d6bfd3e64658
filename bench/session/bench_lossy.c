/* bench_lossy.c — bulk transfer between two us_conn endpoints (the sans-I/O API of
 * include/umbra/session.h) over an in-process simulated link, in virtual time:
 *
 *   each direction: a bottleneck of `rate` bytes/s with a drop-tail queue of one BDP, a
 *   one-way propagation delay of rtt/2, then random (non-congestive) loss of `loss` per
 *   mille of the packets that crossed the bottleneck, and reordering: `reorder` per mille
 *   of the surviving packets arrive up to rtt/2 late.
 *
 * One stream, client -> server, `-m` MiB of pseudo-random data with FIN. The receiver
 * compares every byte it reads with the generator's byte at that offset ("MiB verified")
 * and hashes the stream (SHA-256); a row passes when all bytes arrived, each one matched
 * and the hash equals the sender's. Per row it prints: bytes verified end to end, virtual
 * time from the first byte written to the last byte read, goodput in virtual time (and as
 * a fraction of the link rate), the longest virtual-time gap without new in-order bytes at
 * the receiver ("stall"), bytes retransmitted, and the wall-clock process CPU time per GB
 * (both endpoints plus the simulator — it is one thread).
 *
 * usage: bench_session_lossy [-m MIB] [-r RATE_BYTES_PER_S] [-d RTT_MS] [-l VIRTUAL_S_LIMIT]
 * defaults: 32 MiB, 12500000 B/s (100 Mbit/s), 40 ms, 120 virtual s per row. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "umbra/crypto.h"
#include "umbra/identity.h"
#include "umbra/session.h"

#define MS 1000000ull
#define SEC 1000000000ull

static void die(const char *what, int rc) {
    fprintf(stderr, "bench_lossy: %s: %s\n", what, rc < 0 ? umbra_strerror(rc) : "failed");
    exit(1);
}

static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- the simulated link ------------------------------------------------------------------- */

typedef struct lk_pkt {
    uint64_t at, seq;         /* arrival time; seq breaks ties (FIFO) */
    int dst;                  /* 0 = client, 1 = server */
    size_t n;
    uint8_t *data;
} lk_pkt;

typedef struct lk_dir {
    uint64_t link_free;       /* when the bottleneck finishes its backlog */
} lk_dir;

typedef struct lk {
    uint64_t rate, delay, qcap;
    uint32_t loss_pm, reorder_pm;
    uint64_t rng, seq;
    lk_dir dir[2];
    lk_pkt **heap;
    size_t n, cap;
    uint64_t queue_drops, random_drops, reordered;
} lk;

static uint64_t lk_rnd(lk *l) {
    l->rng ^= l->rng << 13;
    l->rng ^= l->rng >> 7;
    l->rng ^= l->rng << 17;
    return l->rng;
}

static int lk_less(const lk_pkt *a, const lk_pkt *b) { return a->at < b->at || (a->at == b->at && a->seq < b->seq); }

static void lk_push(lk *l, lk_pkt *p) {
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 1024;
        l->heap = realloc(l->heap, l->cap * sizeof *l->heap);
        if (!l->heap) die("realloc", 0);
    }
    size_t i = l->n++;
    while (i > 0 && lk_less(p, l->heap[(i - 1) / 2])) {
        l->heap[i] = l->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    l->heap[i] = p;
}

static lk_pkt *lk_pop(lk *l) {
    lk_pkt *top = l->heap[0], *last = l->heap[--l->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= l->n) break;
        if (c + 1 < l->n && lk_less(l->heap[c + 1], l->heap[c])) c++;
        if (!lk_less(l->heap[c], last)) break;
        l->heap[i] = l->heap[c];
        i = c;
    }
    if (l->n) l->heap[i] = last;
    return top;
}

/* A packet of n bytes enters the link towards `dst` at `now`. */
static void lk_send(lk *l, int dst, const uint8_t *d, size_t n, uint64_t now) {
    lk_dir *dir = &l->dir[dst];
    uint64_t start = dir->link_free > now ? dir->link_free : now;
    uint64_t backlog = (start - now) * l->rate / SEC;
    if (backlog + n > l->qcap) {
        l->queue_drops++;
        return;
    }
    dir->link_free = start + (uint64_t)n * SEC / l->rate;
    if (l->loss_pm && lk_rnd(l) % 1000 < l->loss_pm) {
        l->random_drops++;
        return;
    }
    uint64_t at = dir->link_free + l->delay;
    if (l->reorder_pm && lk_rnd(l) % 1000 < l->reorder_pm) {
        at += 1 + lk_rnd(l) % l->delay;
        l->reordered++;
    }
    lk_pkt *p = malloc(sizeof *p);
    if (!p) die("malloc", 0);
    p->data = malloc(n);
    if (!p->data) die("malloc", 0);
    memcpy(p->data, d, n);
    p->n = n;
    p->dst = dst;
    p->at = at;
    p->seq = l->seq++;
    lk_push(l, p);
}

/* ---- one transfer ---------------------------------------------------------------------------- */

typedef struct row {
    uint32_t loss_pm, reorder_pm;
    uint64_t bytes_ok;          /* received bytes equal to what the sender wrote there */
    int complete, hash_ok;
    double virt_s, goodput, util_pct, stall_ms, retx_mb, cpu_s_per_gb;
    uint64_t lost_pkts, queue_drops, random_drops;
} row;

typedef struct keys {
    umbra_identity *id;
    umbra_peer_key pk;
} keys;

/* Byte `off` of the test stream: SplitMix64 of the 8-byte block index, so any range can be
 * produced again (the client regenerates what a short write did not take). */
static void gen(uint64_t off, uint8_t *out, size_t n) {
    for (size_t i = 0; i < n;) {
        uint64_t z = ((off + i) >> 3) * 0x9e3779b97f4a7c15ull + 0x632be59bd9b4e019ull;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        z ^= z >> 31;
        for (unsigned b = (unsigned)((off + i) & 7); b < 8 && i < n; b++, i++) out[i] = (uint8_t)(z >> (8 * b));
    }
}

static void run_row(const keys *k, uint64_t rate, uint64_t rtt, uint64_t total, uint64_t limit, row *r) {
    static uint8_t buf[US_MAX_PACKET], chunk[65536];
    static const uint8_t caddr[1] = {'C'}, saddr[1] = {'S'};
    us_config ccfg, scfg;
    us_config_default(&ccfg);
    us_config_default(&scfg);
    ccfg.peer = &k->pk;
    scfg.identity = k->id;
    /* Windows and send buffer of 4 MiB (8 BDPs at the default link): with loss the
     * in-order point waits about two RTTs for each retransmission, and the 1 MiB
     * defaults would make the row measure the window, not the congestion controller. */
    ccfg.stream_window = scfg.stream_window = 4u << 20;
    ccfg.send_buffer = scfg.send_buffer = 4u << 20;
    lk l;
    memset(&l, 0, sizeof l);
    l.rate = rate;
    l.delay = rtt / 2;
    l.qcap = rate / 1000 * (rtt / MS); /* one BDP */
    l.loss_pm = r->loss_pm;
    l.reorder_pm = r->reorder_pm;
    l.rng = 0x9e3779b97f4a7c15ull ^ ((uint64_t)r->loss_pm << 20) ^ r->reorder_pm;

    uint64_t now = 0;
    us_conn *cli = NULL, *srv = NULL;
    int rc = us_conn_new_client(&ccfg, saddr, 1, now, &cli);
    if (rc) die("us_conn_new_client", rc);
    uint32_t sid;
    rc = us_stream_open(cli, &sid);
    if (rc) die("us_stream_open", rc);

    uint64_t matched = 0, sent = 0, recvd = 0, first_byte = UINT64_MAX, last_byte = 0, last_progress = 0;
    uint64_t max_gap = 0, stuck = 0, last_now = 0;
    int fin = 0;
    uc_sha256_ctx htx, hrx;
    uc_sha256_init(&htx);
    uc_sha256_init(&hrx);
    double c0 = cpu_now();
    while (!fin) {
        /* the application: the client writes while it has room, the server reads all */
        while (sent < total && us_conn_state(cli) == US_STATE_CONNECTED) {
            long room = us_stream_writable(cli, sid);
            if (room <= 0) break;
            size_t n = sizeof chunk;
            if ((uint64_t)n > total - sent) n = (size_t)(total - sent);
            if ((long)n > room) n = (size_t)room;
            gen(sent, chunk, n);
            int w = us_stream_write(cli, sid, chunk, n, sent + n == total);
            if (w == UMBRA_EAGAIN || w == 0) break;
            if (w < 0) die("us_stream_write", w);
            uc_sha256_update(&htx, chunk, (size_t)w);
            if (first_byte == UINT64_MAX) first_byte = last_progress = now;
            sent += (uint64_t)w;
            if ((size_t)w < n) break;
        }
        uint32_t id;
        while (srv && us_conn_next_readable(srv, &id)) {
            int f = 0;
            int n = us_stream_read(srv, id, chunk, sizeof chunk, &f);
            if (n > 0) {
                static uint8_t expect[65536];
                gen(recvd, expect, (size_t)n);
                if (memcmp(expect, chunk, (size_t)n) == 0) matched += (uint64_t)n;
                uc_sha256_update(&hrx, chunk, (size_t)n);
                recvd += (uint64_t)n;
                if (now - last_progress > max_gap) max_gap = now - last_progress;
                last_progress = now;
                last_byte = now;
            }
            if (f) fin = 1;
            if (n <= 0 && !f) break;
        }
        if (fin) break;
        /* everything the endpoints want to send goes onto the link */
        size_t len, tl;
        uint8_t to[US_ADDR_MAX];
        while ((rc = us_conn_send(cli, buf, sizeof buf, &len, to, &tl, now)) == 1) lk_send(&l, 1, buf, len, now);
        if (rc < 0) die("client send", rc);
        while (srv && (rc = us_conn_send(srv, buf, sizeof buf, &len, to, &tl, now)) == 1) lk_send(&l, 0, buf, len, now);
        if (rc < 0) die("server send", rc);
        /* next event */
        uint64_t t = l.n ? l.heap[0]->at : UINT64_MAX;
        uint64_t tc = us_conn_next_timeout(cli), ts = srv ? us_conn_next_timeout(srv) : UINT64_MAX;
        if (tc < t) t = tc;
        if (ts < t) t = ts;
        if (t == UINT64_MAX) break; /* nothing will ever happen again */
        if (t > now) now = t;
        if (now > limit) break;
        if (now == last_now) {
            if (++stuck > 1000000) {
                fprintf(stderr, "bench_lossy: virtual time does not advance (a timer stays due)\n");
                break;
            }
        } else {
            stuck = 0;
            last_now = now;
        }
        while (l.n && l.heap[0]->at <= now) {
            lk_pkt *p = lk_pop(&l);
            if (p->dst == 0) {
                us_conn_recv(cli, p->data, p->n, saddr, 1, now);
            } else if (!srv) {
                uint8_t reply[US_MAX_PACKET];
                size_t rl = 0;
                us_conn_accept(&scfg, p->data, p->n, caddr, 1, now, &srv, reply, sizeof reply, &rl);
            } else {
                us_conn_recv(srv, p->data, p->n, caddr, 1, now);
            }
            free(p->data);
            free(p);
        }
        if (us_conn_next_timeout(cli) <= now) us_conn_on_timeout(cli, now);
        if (srv && us_conn_next_timeout(srv) <= now) us_conn_on_timeout(srv, now);
        if (us_conn_state(cli) >= US_STATE_CLOSING) break;
    }
    double cpu = cpu_now() - c0;
    uint8_t a[32], b[32];
    uc_sha256_final(&htx, a);
    uc_sha256_final(&hrx, b);
    us_stats cs;
    us_conn_stats(cli, &cs);
    r->complete = fin && recvd == total;
    r->hash_ok = r->complete && memcmp(a, b, 32) == 0;
    r->bytes_ok = matched;
    uint64_t span = first_byte != UINT64_MAX && last_byte > first_byte ? last_byte - first_byte : 1;
    if (!r->complete) span = now - (first_byte == UINT64_MAX ? 0 : first_byte);
    if (!r->complete && now - last_progress > max_gap) max_gap = now - last_progress;
    r->virt_s = (double)span / 1e9;
    r->goodput = (double)recvd / r->virt_s;
    r->util_pct = 100.0 * r->goodput / (double)rate;
    r->stall_ms = (double)max_gap / 1e6;
    r->retx_mb = (double)cs.retransmitted_bytes / 1e6;
    r->cpu_s_per_gb = recvd ? cpu / ((double)recvd / 1e9) : 0;
    r->lost_pkts = cs.lost_packets;
    r->queue_drops = l.queue_drops;
    r->random_drops = l.random_drops;
    while (l.n) {
        lk_pkt *p = lk_pop(&l);
        free(p->data);
        free(p);
    }
    free(l.heap);
    us_conn_free(cli);
    us_conn_free(srv);
}

int main(int argc, char **argv) {
    uint64_t mib = 32, rate = 12500000, rtt_ms = 40, limit_s = 120;
    for (int i = 1; i + 1 < argc; i += 2) {
        uint64_t v = strtoull(argv[i + 1], NULL, 10);
        if (!strcmp(argv[i], "-m")) mib = v;
        else if (!strcmp(argv[i], "-r")) rate = v;
        else if (!strcmp(argv[i], "-d")) rtt_ms = v;
        else if (!strcmp(argv[i], "-l")) limit_s = v;
        else {
            fprintf(stderr, "usage: %s [-m MIB] [-r RATE_B_PER_S] [-d RTT_MS] [-l VIRTUAL_S_LIMIT]\n", argv[0]);
            return 2;
        }
    }
    if (mib == 0 || rate < 10000 || rtt_ms < 2) {
        fprintf(stderr, "bench_lossy: need -m >= 1, -r >= 10000, -d >= 2\n");
        return 2;
    }
    int rc = uc_init();
    if (rc) die("uc_init", rc);
    keys k;
    rc = umbra_identity_generate(&k.id);
    if (rc) die("identity", rc);
    umbra_identity_public(k.id, &k.pk);

    static const struct {
        uint32_t loss_pm, reorder_pm;
    } cases[] = {{0, 0}, {10, 20}, {50, 20}, {50, 100}};
    printf("  lossy link, in-process, virtual time: %.1f MB/s (%.0f Mbit/s) each way, RTT %llu ms, 1-BDP drop-tail\n"
           "  queue, random loss after the bottleneck in both directions, reordered packets up to RTT/2 late;\n"
           "  %llu MiB per row, one stream, SHA-256 of the received stream compared with the sender's\n",
           (double)rate / 1e6, (double)rate * 8 / 1e6, (unsigned long long)rtt_ms, (unsigned long long)mib);
    printf("  %-6s %-8s %13s %7s %9s %12s %7s %10s %8s %9s\n", "loss", "reorder", "MiB verified", "sha256",
           "virtual s", "goodput MB/s", "% link", "stall ms", "retx MB", "CPU s/GB");
    int bad = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        row r;
        memset(&r, 0, sizeof r);
        r.loss_pm = cases[i].loss_pm;
        r.reorder_pm = cases[i].reorder_pm;
        run_row(&k, rate, rtt_ms * MS, mib << 20, limit_s * SEC, &r);
        printf("  %3u.%u%% %5u.%u%% %13.1f %7s %9.2f %12.2f %6.0f%% %10.0f %8.2f %9.2f%s\n", r.loss_pm / 10,
               r.loss_pm % 10, r.reorder_pm / 10, r.reorder_pm % 10, (double)r.bytes_ok / 1048576.0,
               r.hash_ok ? "equal" : (r.complete ? "DIFFER" : "-"), r.virt_s, r.goodput / 1e6, r.util_pct,
               r.stall_ms, r.retx_mb, r.cpu_s_per_gb, r.complete ? "" : "  (incomplete at the time limit)");
        if (!r.hash_ok || r.bytes_ok != mib << 20) bad = 1;
    }
    umbra_identity_free(k.id);
    return bad;
}
