/* test_cc.c — pacer arithmetic, and the BBR-style controller against a simulated bottleneck
 * (FIFO link with a rate, a propagation delay and a drop-tail buffer): the bandwidth and
 * min-RTT estimates converge to the link's, sends are spread by pacing, and loss pulls the
 * rate down faster than the max filter alone would; with random (non-congestive) loss and
 * reordering the link stays busy while a real rate drop is still answered. Deterministic:
 * virtual clock, seeded xorshift PRNG. */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "cc.h"

#define MS 1000000ull
#define SEC 1000000000ull

/* ---- Pacer ---- */

static void test_pacer_spacing(void **state) {
    (void)state;
    us__pacer p;
    us__pacer_init(&p, 1000000, 3000); /* 1 MB/s, 3000-byte bucket */
    uint64_t t = 0;
    for (int k = 0; k < 50; k++) {
        uint64_t at = us__pacer_next_send(&p, 1000, t);
        /* Three packets from the full bucket, then one per millisecond. */
        uint64_t expect = k < 3 ? 0 : (uint64_t)(k - 2) * MS;
        assert_int_equal(at, expect);
        t = at;
        us__pacer_on_sent(&p, 1000, t);
    }
    /* Idle refills the bucket, but never beyond its size. */
    t += 100 * MS;
    for (int k = 0; k < 3; k++) {
        assert_int_equal(us__pacer_next_send(&p, 1000, t), t);
        us__pacer_on_sent(&p, 1000, t);
    }
    assert_int_equal(us__pacer_next_send(&p, 1000, t), t + MS);
    /* A packet bigger than the bucket waits for a full bucket, not forever. */
    assert_int_equal(us__pacer_next_send(&p, 10000, t), t + 3 * MS);
    /* Sending early creates debt that delays what follows. */
    us__pacer_on_sent(&p, 5000, t);
    assert_int_equal(us__pacer_next_send(&p, 1000, t), t + 6 * MS);
    /* Rate 0 = unlimited. */
    us__pacer_set_rate(&p, 0, 0);
    assert_int_equal(us__pacer_next_send(&p, 1000000, t), t);
    /* Rate change keeps the accrued tokens; new rate applies from now on. */
    us__pacer_init(&p, 2000000, 2000);
    us__pacer_on_sent(&p, 2000, 0);
    assert_int_equal(us__pacer_next_send(&p, 1000, 0), 500000); /* 1000 B at 2 MB/s */
    us__pacer_set_rate(&p, 4000000, 0);
    assert_int_equal(us__pacer_next_send(&p, 1000, 0), 250000);
}

/* ---- Simulated bottleneck ---- */

/* One report to the controller: packet `idx` acknowledged (kind 0) or declared lost
 * (kind 1) at time t. Kept in a binary min-heap ordered by (t, idx), so reordered ACKs and
 * late loss reports come out in time order. */
typedef struct {
    uint64_t t;
    uint32_t idx;
    uint8_t lost;
} sim_ev;

typedef struct {
    us__cc cc;
    uint64_t rate;          /* link bytes/s */
    uint64_t delay;         /* one-way propagation, ns */
    uint64_t qcap;          /* drop-tail buffer, bytes */
    uint64_t link_free;     /* time the link finishes its backlog */
    us__cc_pkt *pkts;
    uint64_t *sent_at;
    sim_ev *ev;             /* heap */
    size_t npk, cap, nev;
    uint64_t t;
    uint64_t delivered_bytes, lost_pkts;
    uint32_t mss;
    uint64_t app_rate;      /* 0 = always has data; else the application produces this B/s */
    uint64_t app_next;      /* time the application has its next packet */
    /* random (non-congestive) loss and reordering, from a seeded xorshift64 */
    uint64_t rng;
    uint32_t loss_pm;       /* per mille of packets lost on the wire after the bottleneck */
    uint32_t reorder_pm;    /* per mille of packets delayed by up to half an RTT */
    uint64_t random_lost, spurious_lost, queue_drops;
} sim;

static uint64_t sim_rnd(sim *s) {
    s->rng ^= s->rng << 13;
    s->rng ^= s->rng >> 7;
    s->rng ^= s->rng << 17;
    return s->rng;
}

static int ev_less(const sim_ev *a, const sim_ev *b) { return a->t < b->t || (a->t == b->t && a->idx < b->idx); }

static void ev_push(sim *s, uint64_t t, uint32_t idx, uint8_t lost) {
    assert_true(s->nev < 2 * s->cap);
    size_t i = s->nev++;
    sim_ev e = {t, idx, lost};
    while (i > 0 && ev_less(&e, &s->ev[(i - 1) / 2])) {
        s->ev[i] = s->ev[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    s->ev[i] = e;
}

static sim_ev ev_pop(sim *s) {
    sim_ev top = s->ev[0], last = s->ev[--s->nev];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= s->nev) break;
        if (c + 1 < s->nev && ev_less(&s->ev[c + 1], &s->ev[c])) c++;
        if (!ev_less(&s->ev[c], &last)) break;
        s->ev[i] = s->ev[c];
        i = c;
    }
    if (s->nev) s->ev[i] = last;
    return top;
}

static void sim_init(sim *s, uint64_t rate, uint64_t rtt, uint64_t qcap, uint32_t loss_pct) {
    memset(s, 0, sizeof *s);
    us__cc_config c;
    us__cc_config_default(&c);
    c.loss_thresh_pct = loss_pct;
    us__cc_init(&s->cc, &c, 0);
    s->mss = c.mss;
    s->rate = rate;
    s->delay = rtt / 2;
    s->qcap = qcap;
    s->cap = 400000;
    s->rng = 0x9e3779b97f4a7c15ull;
    s->pkts = calloc(s->cap, sizeof *s->pkts);
    s->sent_at = calloc(s->cap, sizeof *s->sent_at);
    s->ev = calloc(2 * s->cap, sizeof *s->ev);
    assert_non_null(s->pkts);
    assert_non_null(s->sent_at);
    assert_non_null(s->ev);
}

static void sim_free(sim *s) {
    free(s->pkts);
    free(s->sent_at);
    free(s->ev);
}

static void sim_send(sim *s) {
    assert_true(s->npk < s->cap);
    uint32_t i = (uint32_t)s->npk++;
    us__cc_on_sent(&s->cc, &s->pkts[i], s->mss, s->t);
    s->sent_at[i] = s->t;
    uint64_t start = s->link_free > s->t ? s->link_free : s->t;
    uint64_t backlog = (start - s->t) * s->rate / SEC;
    if (backlog + s->mss > s->qcap) {
        /* Dropped at the queue: the sender learns it about one RTT later. */
        s->queue_drops++;
        ev_push(s, start + 2 * s->delay, i, 1);
        return;
    }
    s->link_free = start + (uint64_t)s->mss * SEC / s->rate;
    uint64_t ack_at = s->link_free + 2 * s->delay;
    /* A sender declares a packet lost 1/8 RTT after a later one was acknowledged (RFC 9002
     * §6.1.2 time threshold 9/8), here approximated from the packet's own ACK time. */
    uint64_t loss_at = ack_at + s->delay / 4;
    if (s->loss_pm && sim_rnd(s) % 1000 < s->loss_pm) {
        /* Lost on the wire after the bottleneck: it used link capacity, nobody receives it. */
        s->random_lost++;
        ev_push(s, loss_at, i, 1);
        return;
    }
    if (s->reorder_pm && sim_rnd(s) % 1000 < s->reorder_pm) {
        /* Reordered: arrives up to half an RTT late. Beyond the reordering threshold the
         * sender has declared it lost already (a spurious loss) and ignores its late ACK. */
        uint64_t extra = 1 + sim_rnd(s) % s->delay;
        if (ack_at + extra > loss_at) {
            s->spurious_lost++;
            ev_push(s, loss_at, i, 1);
        }
        ev_push(s, ack_at + extra, i, 0);
        return;
    }
    ev_push(s, ack_at, i, 0);
}

/* Runs until `until`: the application always has data (or produces app_rate B/s). */
static void sim_run(sim *s, uint64_t until) {
    while (s->t < until) {
        while (s->nev && s->ev[0].t <= s->t) {
            sim_ev e = ev_pop(s);
            us__cc_pkt *p = &s->pkts[e.idx];
            if (e.lost) {
                if (!p->acked_or_lost) s->lost_pkts++;
                us__cc_on_lost(&s->cc, p, e.t);
            } else {
                if (!p->acked_or_lost) s->delivered_bytes += s->mss;
                us__cc_on_ack(&s->cc, p, e.t);
            }
        }
        uint64_t when;
        if (s->app_rate && s->app_next > s->t) {
            /* Nothing to send although the controller might allow it (draft-cheng §3.4). */
            us__cc_on_app_limited(&s->cc);
            when = s->app_next;
        } else if (us__cc_can_send(&s->cc, s->mss, s->t, &when) == 0) {
            sim_send(s);
            if (s->app_rate) s->app_next = s->t + (uint64_t)s->mss * SEC / s->app_rate;
            continue;
        }
        uint64_t next = when;
        if (s->nev && s->ev[0].t < next) next = s->ev[0].t;
        assert_true(next != UINT64_MAX); /* something must always be pending */
        assert_true(next > s->t);
        s->t = next > until ? until : next;
    }
}

static void test_converges_to_link(void **state) {
    (void)state;
    sim *s = malloc(sizeof *s);
    /* 10 MB/s (80 Mbit/s), 40 ms RTT, one BDP of buffer. */
    sim_init(s, 10000000, 40 * MS, 400000, 2);
    us__cc_snapshot sn;
    us__cc_snapshot_get(&s->cc, &sn);
    assert_int_equal(sn.phase, US_CC_STARTUP);
    assert_true(sn.pacing_rate > 0);
    sim_run(s, 3 * SEC);
    uint64_t d0 = s->delivered_bytes;
    sim_run(s, 8 * SEC);
    us__cc_snapshot_get(&s->cc, &sn);
    print_message("cc: btlbw=%llu B/s min_rtt=%llu us srtt=%llu us pacing=%llu cwnd=%llu phase=%s "
                  "lost=%llu pkts rounds=%llu\n",
                  (unsigned long long)sn.btlbw, (unsigned long long)(sn.min_rtt_ns / 1000),
                  (unsigned long long)(sn.srtt_ns / 1000), (unsigned long long)sn.pacing_rate,
                  (unsigned long long)sn.cwnd, us__cc_phase_name(sn.phase),
                  (unsigned long long)s->lost_pkts, (unsigned long long)sn.rounds);
    /* Bottleneck bandwidth within 10 % of the link rate. */
    assert_true(sn.btlbw >= 9000000 && sn.btlbw <= 11000000);
    /* min RTT = propagation + one packet's serialisation (135 us), within 5 %. */
    assert_true(sn.min_rtt_ns >= 40 * MS && sn.min_rtt_ns <= 42 * MS);
    assert_int_equal(sn.phase, US_CC_PROBE_BW);
    /* Pacing rate = gain × btlbw with gain in the cycle [0.75, 1.25]. */
    assert_true(sn.pacing_rate >= sn.btlbw * 3 / 4 - 1 && sn.pacing_rate <= sn.btlbw * 5 / 4 + 1);
    /* cwnd ≈ 2 × BDP (+3 packets). */
    uint64_t bdp = sn.btlbw / 1000 * (sn.min_rtt_ns / MS);
    assert_true(sn.cwnd >= bdp && sn.cwnd <= 3 * bdp);
    /* The link was kept busy (>= 90 %) without a standing queue. */
    uint64_t got = s->delivered_bytes - d0;
    assert_true(got >= 5 * 10000000ull * 90 / 100);
    assert_true(sn.srtt_ns < 70 * MS);
    assert_int_equal(sn.inflight, s->nev * s->mss); /* one report pending per packet in flight */
    sim_free(s);
    free(s);
}

/* Other links: the estimate tracks the link rate across two decades of rate and RTT and
 * buffer sizes from a fifth of a BDP to two BDPs. */
static void test_converges_various_links(void **state) {
    (void)state;
    static const struct {
        uint64_t rate, rtt, qcap;
    } links[] = {
        {1000000, 100 * MS, 100000},     /* 8 Mbit/s, 100 ms, 1 BDP */
        {50000000, 10 * MS, 100000},     /* 400 Mbit/s, 10 ms, 0.2 BDP */
        {3000000, 200 * MS, 1200000},    /* 24 Mbit/s, 200 ms, 2 BDP */
        {20000000, 2 * MS, 40000},       /* 160 Mbit/s, 2 ms, 1 BDP */
    };
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
        sim *s = malloc(sizeof *s);
        sim_init(s, links[i].rate, links[i].rtt, links[i].qcap, 2);
        uint64_t warm = 40 * links[i].rtt;
        sim_run(s, warm);
        uint64_t d0 = s->delivered_bytes;
        sim_run(s, warm + 60 * links[i].rtt);
        us__cc_snapshot sn;
        us__cc_snapshot_get(&s->cc, &sn);
        uint64_t got = s->delivered_bytes - d0;
        uint64_t cap = links[i].rate / 1000 * (60 * links[i].rtt / MS);
        print_message("cc: link %llu B/s rtt %llu ms: btlbw=%llu min_rtt=%llu us util=%llu%% phase=%s\n",
                      (unsigned long long)links[i].rate, (unsigned long long)(links[i].rtt / MS),
                      (unsigned long long)sn.btlbw, (unsigned long long)(sn.min_rtt_ns / 1000),
                      (unsigned long long)(got * 100 / cap), us__cc_phase_name(sn.phase));
        assert_true(sn.btlbw >= links[i].rate * 9 / 10 && sn.btlbw <= links[i].rate * 11 / 10);
        assert_true(sn.min_rtt_ns >= links[i].rtt && sn.min_rtt_ns <= links[i].rtt * 105 / 100);
        assert_true(got >= cap * 85 / 100);
        sim_free(s);
        free(s);
    }
}

/* An application sending at a quarter of the link rate for 50 round trips (far longer than
 * the 10-round max filter) must not make the model forget the link's bandwidth: its samples
 * are app-limited and may only raise the estimate (draft-cheng §3.4). */
static void test_app_limited_keeps_estimate(void **state) {
    (void)state;
    sim *s = malloc(sizeof *s);
    sim_init(s, 10000000, 40 * MS, 400000, 2);
    sim_run(s, 4 * SEC);
    us__cc_snapshot sn;
    us__cc_snapshot_get(&s->cc, &sn);
    assert_true(sn.btlbw >= 9000000);
    s->app_rate = 2500000;
    s->app_next = s->t;
    uint64_t d0 = s->delivered_bytes;
    sim_run(s, 6 * SEC);
    us__cc_snapshot_get(&s->cc, &sn);
    print_message("cc: app-limited at 2.5 MB/s for 2 s: btlbw=%llu pacing=%llu delivered=%llu B/s\n",
                  (unsigned long long)sn.btlbw, (unsigned long long)sn.pacing_rate,
                  (unsigned long long)((s->delivered_bytes - d0) / 2));
    /* the app really was the limit (plus the window in flight at the switch) */
    assert_true((s->delivered_bytes - d0) / 2 <= 3100000);
    assert_true(sn.btlbw >= 9000000 && sn.btlbw <= 11000000);
    /* Back to full demand: the link is used again at once (no new startup needed). */
    s->app_rate = 0;
    d0 = s->delivered_bytes;
    sim_run(s, 7 * SEC);
    assert_true(s->delivered_bytes - d0 >= 10000000ull * 85 / 100);
    sim_free(s);
    free(s);
}

static void test_pacing_spreads_sends(void **state) {
    (void)state;
    sim *s = malloc(sizeof *s);
    sim_init(s, 10000000, 40 * MS, 400000, 2);
    /* The initial window is paced, not sent as one burst: initial rate = 2.89 × 10 × 1350
     * bytes per 100 ms ≈ 390 KB/s, bucket 2 packets → one packet per ~3.5 ms after two. */
    sim_run(s, 20 * MS);
    assert_true(s->npk >= 6 && s->npk <= 8);
    assert_int_equal(s->sent_at[0], 0);
    assert_int_equal(s->sent_at[1], 0);
    for (int k = 3; k < 6; k++) {
        uint64_t gap = s->sent_at[k] - s->sent_at[k - 1];
        assert_true(gap >= 3 * MS && gap <= 4 * MS);
    }
    /* In steady state no millisecond carries much more than the link drains in one
     * (7.4 packets) plus the 1-ms bucket, and sends occupy almost every millisecond. */
    size_t first = s->npk;
    sim_run(s, 5 * SEC);
    first = 0;
    while (s->sent_at[first] < 4 * SEC) first++;
    unsigned counts[1000] = {0};
    for (size_t i = first; i < s->npk && s->sent_at[i] < 5 * SEC; i++)
        counts[(s->sent_at[i] - 4 * SEC) / MS]++;
    unsigned busy = 0, maxc = 0;
    for (int b = 0; b < 1000; b++) {
        if (counts[b]) busy++;
        if (counts[b] > maxc) maxc = counts[b];
    }
    print_message("cc: steady state: %u/1000 ms with sends, max %u packets in one ms\n", busy, maxc);
    assert_true(busy >= 900);
    assert_true(maxc <= 20);
    sim_free(s);
    free(s);
}

static void test_loss_reduces_rate(void **state) {
    (void)state;
    sim *a = malloc(sizeof *a), *b = malloc(sizeof *b);
    /* Same scenario twice: with the loss response (2 %) and with it disabled (100 %). */
    sim_init(a, 10000000, 40 * MS, 100000, 2);
    sim_init(b, 10000000, 40 * MS, 100000, 100);
    sim_run(a, 6 * SEC);
    sim_run(b, 6 * SEC);
    us__cc_snapshot sa, sb;
    us__cc_snapshot_get(&a->cc, &sa);
    assert_true(sa.btlbw >= 9000000);
    /* The link halves. */
    a->rate = b->rate = 5000000;
    sim_run(a, 6 * SEC + 250 * MS);
    sim_run(b, 6 * SEC + 250 * MS);
    us__cc_snapshot_get(&a->cc, &sa);
    us__cc_snapshot_get(&b->cc, &sb);
    print_message("cc: 250 ms after the drop: with loss response pacing=%llu bw_lo=%llu lost=%llu; "
                  "without pacing=%llu lost=%llu\n",
                  (unsigned long long)sa.pacing_rate, (unsigned long long)sa.bw_lo,
                  (unsigned long long)a->lost_pkts, (unsigned long long)sb.pacing_rate,
                  (unsigned long long)b->lost_pkts);
    assert_true(sa.bw_lo != UINT64_MAX);          /* the loss bound engaged */
    assert_true(sa.pacing_rate <= 8000000);       /* well below the old 10 MB/s */
    assert_true(sb.pacing_rate >= sa.pacing_rate * 6 / 5); /* the max filter alone is slower */
    /* After a while both settle on the new link rate. */
    sim_run(a, 10 * SEC);
    us__cc_snapshot_get(&a->cc, &sa);
    assert_true(sa.btlbw >= 4500000 && sa.btlbw <= 5750000);
    sim_free(a);
    sim_free(b);
    free(a);
    free(b);
}

/* ---- Random (non-congestive) loss and reordering ---- */

/* Goodput over [from, to) as a percentage of the link rate. */
static uint64_t sim_util(sim *s, uint64_t from, uint64_t to) {
    sim_run(s, from);
    uint64_t d0 = s->delivered_bytes;
    sim_run(s, to);
    return (s->delivered_bytes - d0) * 100 / (s->rate / 1000 * ((to - from) / MS));
}

/* BBR's premise (draft-cardwell-iccrg-bbr-congestion-control-00 §1): packets lost at random
 * on the wire, at any sending rate, are not congestion. Over links with 1 %, 5 % and 10 %
 * random loss plus 2 % reordering (up to half an RTT, most of it beyond the 9/8-RTT loss
 * threshold, so it also produces spurious losses) the controller must keep the link busy.
 * Goodput can at best be (1 - loss) of the link rate, and the model's bandwidth estimate
 * is itself a delivery rate (lost bytes excluded), so cruising sends at about
 * (1 - loss) × rate: the ceiling is roughly (1 - loss)^2. Measured utilisation at 1/5/10 %
 * loss: 95/88/77 % (10 MB/s), 95/88/78 % (50 MB/s), 97/92/85 % (1 MB/s); with the loss
 * response of commit 6d66552 (any round above 2 % loss = congestion) it was 3/1/0 %,
 * 14/0/0 % and 58/24/12 %. Ten other seeds gave the same within 3 points. */
static void test_random_loss_keeps_rate(void **state) {
    (void)state;
    static const struct {
        uint64_t rate, rtt, qcap;
    } links[] = {
        {10000000, 40 * MS, 400000},     /* 80 Mbit/s, 40 ms, 1 BDP */
        {50000000, 10 * MS, 100000},     /* 400 Mbit/s, 10 ms, 0.2 BDP */
        {1000000, 20 * MS, 40000},       /* 8 Mbit/s, 20 ms, 2 BDP, a BDP of 15 packets */
    };
    static const uint32_t loss_pm[] = {10, 50, 100};
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
        for (size_t j = 0; j < sizeof loss_pm / sizeof loss_pm[0]; j++) {
            sim *s = malloc(sizeof *s);
            sim_init(s, links[i].rate, links[i].rtt, links[i].qcap, 2);
            s->rng ^= (uint64_t)(i * 3 + j + 1) * 0x2545f4914f6cdd1dull;
            s->loss_pm = loss_pm[j];
            s->reorder_pm = 20;
            uint64_t util = sim_util(s, 75 * links[i].rtt, 325 * links[i].rtt);
            us__cc_snapshot sn;
            us__cc_snapshot_get(&s->cc, &sn);
            print_message("cc: %llu B/s %llu ms q %llu, loss %u.%u %%: util %llu %%, btlbw %llu, congested rounds "
                          "%llu/%llu, lost random %llu spurious %llu queue %llu\n",
                          (unsigned long long)links[i].rate, (unsigned long long)(links[i].rtt / MS),
                          (unsigned long long)links[i].qcap, loss_pm[j] / 10, loss_pm[j] % 10,
                          (unsigned long long)util, (unsigned long long)sn.btlbw,
                          (unsigned long long)sn.congested_rounds, (unsigned long long)sn.rounds,
                          (unsigned long long)s->random_lost, (unsigned long long)s->spurious_lost,
                          (unsigned long long)s->queue_drops);
            /* thresholds: measured values (1 %, 5 %, 10 %) minus about 10 points; the
             * same holds for other seeds (checked with 10) */
            static const uint64_t min_util[] = {85, 75, 65};
            assert_true(util >= min_util[j]);
            assert_true(sn.btlbw >= links[i].rate * 8 / 10);
            /* random loss is rarely taken for congestion (measured <= 6 % of rounds) */
            assert_true(sn.congested_rounds * 10 <= sn.rounds);
            sim_free(s);
            free(s);
        }
    }
}

/* The other half of the bargain: with the same 5 % random loss and reordering, a real
 * rate drop (the link halves) still fills the queue, the rounds show it (RTT inflation or
 * ACKs slower than sends) and the loss bounds cut the rate within a few round trips —
 * with a deep (1 BDP) and a shallow (1/4 BDP) buffer. Then the model settles on the new
 * rate and keeps that link busy. */
static void test_rate_drop_under_random_loss(void **state) {
    (void)state;
    static const uint64_t qcaps[] = {400000, 100000};
    for (size_t i = 0; i < 2; i++) {
        sim *s = malloc(sizeof *s);
        sim_init(s, 10000000, 40 * MS, qcaps[i], 2);
        s->loss_pm = 50;
        s->reorder_pm = 20;
        sim_run(s, 6 * SEC);
        us__cc_snapshot sn;
        us__cc_snapshot_get(&s->cc, &sn);
        uint64_t cong0 = sn.congested_rounds, q0 = s->queue_drops;
        assert_true(sn.btlbw >= 8500000);
        s->rate = 5000000;
        sim_run(s, 6 * SEC + 400 * MS);
        us__cc_snapshot_get(&s->cc, &sn);
        print_message("cc: q %llu, 5 %% loss, link 10 -> 5 MB/s: 400 ms later pacing=%llu bw_lo=%llu btlbw=%llu "
                      "congested rounds +%llu, queue drops +%llu\n",
                      (unsigned long long)qcaps[i], (unsigned long long)sn.pacing_rate,
                      (unsigned long long)sn.bw_lo, (unsigned long long)sn.btlbw,
                      (unsigned long long)(sn.congested_rounds - cong0),
                      (unsigned long long)(s->queue_drops - q0));
        assert_true(sn.congested_rounds > cong0);     /* the drop was seen as congestion */
        assert_true(sn.pacing_rate <= 7000000);        /* and cut the rate well below 10 MB/s */
        uint64_t util = sim_util(s, 9 * SEC, 13 * SEC);
        us__cc_snapshot_get(&s->cc, &sn);
        print_message("cc: ... 3-7 s later: btlbw=%llu util of the new link %llu %%, srtt %llu us\n",
                      (unsigned long long)sn.btlbw, (unsigned long long)util,
                      (unsigned long long)(sn.srtt_ns / 1000));
        assert_true(sn.btlbw >= 4000000 && sn.btlbw <= 5500000);
        assert_true(util >= 75);                        /* measured 89 % */
        assert_true(sn.srtt_ns <= 60 * MS);             /* no standing queue left behind */
        sim_free(s);
        free(s);
    }
}

static void test_timeout_and_bookkeeping(void **state) {
    (void)state;
    us__cc cc;
    us__cc_init(&cc, NULL, 0);
    assert_string_equal(us__cc_phase_name(US_CC_PROBE_RTT), "PROBE_RTT");
    assert_string_equal(us__cc_phase_name(42), "?");
    us__cc_pkt p[40];
    uint64_t t = 0;
    /* cwnd-limited: 10 packets fit the initial window, the 11th must wait for an ACK. */
    int sent = 0;
    while (sent < 40) {
        uint64_t when;
        int rc = us__cc_can_send(&cc, 1350, t, &when);
        if (rc == UMBRA_EAGAIN && when == UINT64_MAX) break;
        if (rc == UMBRA_EAGAIN) {
            assert_true(when > t);
            t = when;
            continue;
        }
        us__cc_on_sent(&cc, &p[sent++], 1350, t);
    }
    assert_int_equal(sent, 10);
    assert_int_equal(cc.inflight, 13500);
    /* ACKs grow cwnd (startup), a double report is ignored, loss leaves inflight. */
    us__cc_on_ack(&cc, &p[0], t + 50 * MS);
    us__cc_on_ack(&cc, &p[0], t + 50 * MS);
    assert_int_equal(cc.inflight, 9 * 1350);
    assert_true(us__cc_cwnd(&cc) >= 11 * 1350);
    us__cc_on_lost(&cc, &p[1], t + 60 * MS);
    us__cc_on_ack(&cc, &p[1], t + 61 * MS); /* late ACK for a packet declared lost: ignored */
    assert_int_equal(cc.inflight, 8 * 1350);
    us__cc_snapshot sn;
    us__cc_snapshot_get(&cc, &sn);
    assert_int_equal(sn.lost, 1350);
    assert_int_equal(sn.delivered, 1350);
    /* A retransmission timeout cuts the rate by the 0.7 factor at once. */
    for (int k = 2; k < 10; k++) us__cc_on_ack(&cc, &p[k], t + (uint64_t)(60 + k) * MS);
    uint64_t before = us__cc_pacing_rate(&cc);
    us__cc_on_timeout(&cc, t + 100 * MS);
    uint64_t after = us__cc_pacing_rate(&cc);
    assert_true(after < before);
    us__cc_snapshot_get(&cc, &sn);
    assert_true(sn.bw_lo != UINT64_MAX);
    assert_int_equal(sn.inflight, 0);
    /* App-limited: marks following packets. */
    us__cc_on_app_limited(&cc);
    us__cc_pkt q;
    us__cc_on_sent(&cc, &q, 100, t + 200 * MS);
    assert_int_equal(q.app_limited, 1);
}

static void test_probe_rtt(void **state) {
    (void)state;
    sim *s = malloc(sizeof *s);
    sim_init(s, 10000000, 40 * MS, 400000, 2);
    /* Every 10 s the model re-measures min_rtt with a small window for ~200 ms. */
    int seen = 0;
    for (uint64_t t = 9 * SEC; t < 12 * SEC && !seen; t += 5 * MS) {
        sim_run(s, t);
        if (s->cc.phase == US_CC_PROBE_RTT) {
            seen = 1;
            assert_true(us__cc_cwnd(&s->cc) == 4ull * 1350);
        }
    }
    assert_true(seen);
    sim_run(s, 13 * SEC);
    assert_int_equal(s->cc.phase, US_CC_PROBE_BW);
    assert_true(s->cc.min_rtt_ns >= 40 * MS && s->cc.min_rtt_ns <= 42 * MS);
    sim_free(s);
    free(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pacer_spacing),          cmocka_unit_test(test_converges_to_link),
        cmocka_unit_test(test_converges_various_links), cmocka_unit_test(test_app_limited_keeps_estimate),
        cmocka_unit_test(test_pacing_spreads_sends),   cmocka_unit_test(test_loss_reduces_rate),
        cmocka_unit_test(test_timeout_and_bookkeeping), cmocka_unit_test(test_probe_rtt),
        cmocka_unit_test(test_random_loss_keeps_rate), cmocka_unit_test(test_rate_drop_under_random_loss),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
