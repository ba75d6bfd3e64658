/* cc.c — BBR-style congestion control and token-bucket pacer (see cc.h for the model,
 * the phases and their simplifications). References:
 *   [DRE]  draft-cheng-iccrg-delivery-rate-estimation-02
 *   [BBR]  draft-cardwell-iccrg-bbr-congestion-control-00 (BBR v1: the state machine, the
 *          gain cycle, and the premise that random loss is not a congestion signal, §1)
 *   [BBR2] draft-cardwell-iccrg-bbr-congestion-control-02 (BBR v2): the loss response
 *          through lower bounds (BBRAdaptLowerBoundsFromCongestion / BBRLossLowerBounds:
 *          bw_lo, inflight_lo, BBRBeta = 0.7, BBRLossThresh = 2 %), here gated on
 *          evidence of a full queue (see queue_evidence()). */
#include "cc.h"

#include <string.h>

#define NS 1000000000ull
#define MS 1000000ull

/* Gains in 1/256 (US_CC_UNIT). */
#define GAIN_HIGH 739u                  /* 2/ln(2) = 2.885: doubles the rate every round */
#define GAIN_DRAIN 89u                  /* 1/2.885 */
#define GAIN_CWND 512u                  /* 2.0 in PROBE_BW */
#define BETA 179u                       /* 0.7 */
#define LO_FLOOR 128u                   /* loss bounds never below 0.5 × the model (LOSS, cc.h) */
#define RTT_INFLATION 32u               /* queue evidence: round's min RTT > 1.125 × min_rtt */
#define RTT_INFLATION_MIN_NS 100000ull  /* ... and by at least 100 us (timer/scheduling noise) */
#define ACK_RATIO_CONGESTED 320u        /* queue evidence: ack_elapsed > 1.25 × send_elapsed */
static const uint32_t k_cycle[8] = {320, 192, 256, 256, 256, 256, 256, 256}; /* [BBR] 4.3.4 */

/* a * b / c without intermediate overflow; saturates at UINT64_MAX. c != 0. */
static uint64_t muldiv(uint64_t a, uint64_t b, uint64_t c) {
#if defined(__SIZEOF_INT128__)
    unsigned __int128 r = (unsigned __int128)a * b / c;
    return r > UINT64_MAX ? UINT64_MAX : (uint64_t)r;
#else
    if (b == 0 || a <= UINT64_MAX / b) return a * b / c;
    long double r = (long double)a * (long double)b / (long double)c;
    return r >= 18446744073709551615.0L ? UINT64_MAX : (uint64_t)r;
#endif
}

static uint64_t min64(uint64_t a, uint64_t b) { return a < b ? a : b; }
/* now - t, or 0 if a caller's clock went backwards: time differences never wrap. */
static uint64_t since(uint64_t now, uint64_t t) { return now > t ? now - t : 0; }
static uint64_t max64(uint64_t a, uint64_t b) { return a > b ? a : b; }

/* ---- Pacer ------------------------------------------------------------------------------ */

/* Clamps that keep the nanosecond token arithmetic inside int64: 1 GiB bucket / packet,
 * 1 TB/s rate — far beyond anything a session sends. */
#define PACER_MAX_BYTES ((uint64_t)1 << 30)
#define PACER_MAX_RATE ((uint64_t)1 << 40)

static int64_t bucket_nb(const us__pacer *p) {
    uint64_t b = p->burst;
    return b > (uint64_t)INT64_MAX / NS ? INT64_MAX : (int64_t)(b * NS);
}

/* Tokens at `now` (refilled, not stored). */
static int64_t tokens_at(const us__pacer *p, uint64_t now) {
    int64_t full = bucket_nb(p);
    if (!p->started) return full;
    if (now <= p->last_ns) return p->tokens_nb;
    uint64_t dt = now - p->last_ns;
    /* tokens + rate·dt, capped at the bucket; computed so nothing overflows. */
    uint64_t room = (uint64_t)(full - (p->tokens_nb < full ? p->tokens_nb : full));
    if (p->tokens_nb >= full || dt >= room / p->rate + 1) return full;
    return p->tokens_nb + (int64_t)(p->rate * dt);
}

void us__pacer_init(us__pacer *p, uint64_t rate, uint64_t burst) {
    memset(p, 0, sizeof *p);
    p->rate = min64(rate, PACER_MAX_RATE);
    p->burst = burst ? min64(burst, PACER_MAX_BYTES) : 3000;
    p->tokens_nb = bucket_nb(p);
}

void us__pacer_set_rate(us__pacer *p, uint64_t rate, uint64_t burst) {
    p->rate = min64(rate, PACER_MAX_RATE);
    if (burst) p->burst = min64(burst, PACER_MAX_BYTES);
    if (p->tokens_nb > bucket_nb(p)) p->tokens_nb = bucket_nb(p);
}

uint64_t us__pacer_next_send(const us__pacer *p, size_t n, uint64_t now) {
    if (p->rate == 0) return now;
    uint64_t want = min64(min64(n, PACER_MAX_BYTES), p->burst); /* a packet larger than the bucket waits for a full one */
    int64_t need = (int64_t)(want * NS);
    int64_t have = tokens_at(p, now);
    if (have >= need) return now;
    uint64_t deficit = (uint64_t)(need - have);
    uint64_t wait = deficit / p->rate + (deficit % p->rate != 0);
    return now + wait;
}

void us__pacer_on_sent(us__pacer *p, size_t n, uint64_t now) {
    if (p->rate == 0) return;
    int64_t t = tokens_at(p, now);
    p->started = 1;
    if (now > p->last_ns) p->last_ns = now;
    uint64_t cost = min64(n, PACER_MAX_BYTES) * NS;
    /* Debt is bounded to one bucket below zero plus the packet: a caller that ignores
     * next_send cannot bank unbounded debt (nor overflow). */
    int64_t floor = -2 * bucket_nb(p) - (int64_t)cost;
    t -= (int64_t)cost;
    p->tokens_nb = t < floor ? floor : t;
}

/* ---- Windowed max filter (K. Nichols' 3-sample scheme, as used by BBR) ------------------- */

static void filt_reset(us__cc_filter *f, uint64_t t, uint64_t v) {
    for (int i = 0; i < 3; i++) {
        f->t[i] = t;
        f->v[i] = v;
    }
}

/* Keeps the best (max), second and third best samples of sub-windows so the max over the
 * last `win` time units is known in O(1) memory. */
static uint64_t filt_max(us__cc_filter *f, uint64_t win, uint64_t t, uint64_t v) {
    if (v >= f->v[0] || t - f->t[0] > win) {
        filt_reset(f, t, v);
        return v;
    }
    if (v >= f->v[1]) {
        f->t[1] = f->t[2] = t;
        f->v[1] = f->v[2] = v;
    } else if (v >= f->v[2]) {
        f->t[2] = t;
        f->v[2] = v;
    }
    uint64_t dt = t - f->t[0];
    if (dt > win) {
        f->t[0] = f->t[1], f->v[0] = f->v[1];
        f->t[1] = f->t[2], f->v[1] = f->v[2];
        f->t[2] = t, f->v[2] = v;
        if (t - f->t[0] > win) {
            f->t[0] = f->t[1], f->v[0] = f->v[1];
            f->t[1] = f->t[2], f->v[1] = f->v[2];
        }
    } else if (f->t[1] == f->t[0] && dt > win / 4) {
        f->t[1] = f->t[2] = t;
        f->v[1] = f->v[2] = v;
    } else if (f->t[2] == f->t[1] && dt > win / 2) {
        f->t[2] = t;
        f->v[2] = v;
    }
    return f->v[0];
}

/* ---- Controller ---------------------------------------------------------------------------- */

void us__cc_config_default(us__cc_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    cfg->mss = 1350;
    cfg->initial_cwnd_pkts = 10;
    cfg->min_cwnd_pkts = 4;
    cfg->initial_rtt_ns = 100 * MS;
    cfg->min_rtt_window_ns = 10 * NS;
    cfg->probe_rtt_ns = 200 * MS;
    cfg->max_rate = 0;
    cfg->loss_thresh_pct = 2;
}

static uint64_t min_cwnd(const us__cc *cc) { return (uint64_t)cc->cfg.min_cwnd_pkts * cc->cfg.mss; }

static uint64_t btlbw(const us__cc *cc) { return cc->bw.v[0]; }

/* Bandwidth the model acts on: the max filter, bounded by the loss bound. */
static uint64_t eff_bw(const us__cc *cc) { return min64(btlbw(cc), cc->bw_lo); }

static uint64_t rtt_for_bdp(const us__cc *cc) {
    return cc->min_rtt_ns != UINT64_MAX ? cc->min_rtt_ns : cc->cfg.initial_rtt_ns;
}

static uint64_t bdp(const us__cc *cc, uint32_t gain) {
    return muldiv(muldiv(eff_bw(cc), rtt_for_bdp(cc), NS), gain, US_CC_UNIT);
}

static void set_phase(us__cc *cc, int phase, uint64_t now) {
    cc->phase = phase;
    switch (phase) {
    case US_CC_STARTUP:
        cc->pacing_gain = GAIN_HIGH;
        cc->cwnd_gain = GAIN_HIGH;
        break;
    case US_CC_DRAIN:
        cc->pacing_gain = GAIN_DRAIN;
        cc->cwnd_gain = GAIN_HIGH;
        break;
    case US_CC_PROBE_BW:
        /* [BBR] 4.3.4.4: start anywhere but the 0.75 phase; we derive it from the round
         * count instead of a random draw so runs are reproducible. */
        cc->cycle_idx = (unsigned)(2 + cc->rounds % 6);
        cc->cycle_stamp_ns = now;
        cc->pacing_gain = k_cycle[cc->cycle_idx];
        cc->cwnd_gain = GAIN_CWND;
        break;
    case US_CC_PROBE_RTT:
        cc->pacing_gain = US_CC_UNIT;
        cc->cwnd_gain = US_CC_UNIT;
        break;
    }
}

static void update_pacer(us__cc *cc) {
    /* Bucket: two packets, or 1 ms worth of sending at the current rate when that is larger
     * (so high rates do not need sub-microsecond timers), at most 64 KiB. */
    uint64_t burst = max64(2ull * cc->cfg.mss, min64(cc->pacing_rate / 1000, 65536));
    us__pacer_set_rate(&cc->pacer, cc->pacing_rate, burst);
}

static void update_outputs(us__cc *cc, uint64_t acked) {
    uint64_t floor_rate = muldiv(cc->cfg.mss, NS, cc->cfg.initial_rtt_ns);
    if (btlbw(cc) > 0) {
        uint64_t rate = muldiv(eff_bw(cc), cc->pacing_gain, US_CC_UNIT);
        /* [BBR] 4.6.2: in STARTUP the rate never goes down before the pipe is full. */
        if (cc->filled_pipe || rate > cc->pacing_rate || cc->bw_lo != UINT64_MAX) cc->pacing_rate = rate;
    }
    if (cc->pacing_rate < floor_rate) cc->pacing_rate = floor_rate;
    if (cc->cfg.max_rate && cc->pacing_rate > cc->cfg.max_rate) cc->pacing_rate = cc->cfg.max_rate;

    /* [BBR] 4.6.4: target = gain × BDP + 3 packets of quantization budget; grow towards it
     * by what was acked (startup grows unboundedly, like slow start). */
    if (btlbw(cc) > 0) {
        uint64_t target = bdp(cc, cc->cwnd_gain) + 3ull * cc->cfg.mss;
        if (cc->filled_pipe) cc->cwnd = min64(cc->cwnd + acked, target);
        else if (cc->cwnd < target || cc->delivered < (uint64_t)cc->cfg.initial_cwnd_pkts * cc->cfg.mss)
            cc->cwnd += acked;
    }
    if (cc->cwnd > cc->inflight_lo) cc->cwnd = cc->inflight_lo;
    if (cc->phase == US_CC_PROBE_RTT && cc->cwnd > min_cwnd(cc)) cc->cwnd = min_cwnd(cc);
    if (cc->cwnd < min_cwnd(cc)) cc->cwnd = min_cwnd(cc);
    update_pacer(cc);
}

void us__cc_init(us__cc *cc, const us__cc_config *cfg, uint64_t now) {
    memset(cc, 0, sizeof *cc);
    if (cfg) cc->cfg = *cfg;
    else us__cc_config_default(&cc->cfg);
    us__cc_config def;
    us__cc_config_default(&def);
    if (cc->cfg.mss == 0) cc->cfg.mss = def.mss;
    if (cc->cfg.initial_cwnd_pkts == 0) cc->cfg.initial_cwnd_pkts = def.initial_cwnd_pkts;
    if (cc->cfg.min_cwnd_pkts == 0) cc->cfg.min_cwnd_pkts = def.min_cwnd_pkts;
    if (cc->cfg.initial_rtt_ns == 0) cc->cfg.initial_rtt_ns = def.initial_rtt_ns;
    if (cc->cfg.min_rtt_window_ns == 0) cc->cfg.min_rtt_window_ns = def.min_rtt_window_ns;
    if (cc->cfg.probe_rtt_ns == 0) cc->cfg.probe_rtt_ns = def.probe_rtt_ns;
    if (cc->cfg.loss_thresh_pct == 0) cc->cfg.loss_thresh_pct = def.loss_thresh_pct;
    cc->min_rtt_ns = UINT64_MAX;
    cc->min_rtt_stamp_ns = now;
    cc->bw_lo = UINT64_MAX;
    cc->inflight_lo = UINT64_MAX;
    cc->round_min_rtt_ns = UINT64_MAX;
    cc->delivered_ns = now;
    cc->first_sent_ns = now;
    cc->prior_phase = US_CC_STARTUP;
    set_phase(cc, US_CC_STARTUP, now);
    cc->cwnd = (uint64_t)cc->cfg.initial_cwnd_pkts * cc->cfg.mss;
    /* [BBR] 4.6.2: initial rate = high_gain × initial cwnd / initial RTT. */
    cc->pacing_rate = muldiv(muldiv(cc->cwnd, NS, cc->cfg.initial_rtt_ns), GAIN_HIGH, US_CC_UNIT);
    if (cc->cfg.max_rate && cc->pacing_rate > cc->cfg.max_rate) cc->pacing_rate = cc->cfg.max_rate;
    us__pacer_init(&cc->pacer, cc->pacing_rate, 0);
    update_pacer(cc);
}

int us__cc_can_send(const us__cc *cc, size_t n, uint64_t now, uint64_t *when) {
    if (when) *when = now;
    /* One packet may always be in flight, whatever the window. */
    if (cc->inflight > 0 && cc->inflight + n > cc->cwnd) {
        if (when) *when = UINT64_MAX;
        return UMBRA_EAGAIN;
    }
    uint64_t t = us__pacer_next_send(&cc->pacer, n, now);
    if (t > now) {
        if (when) *when = t;
        return UMBRA_EAGAIN;
    }
    return 0;
}

void us__cc_on_sent(us__cc *cc, us__cc_pkt *pkt, size_t n, uint64_t now) {
    /* [DRE] 3.2: a send that starts a flight resets the interval origins. */
    if (cc->inflight == 0) {
        cc->first_sent_ns = now;
        cc->delivered_ns = now;
    }
    memset(pkt, 0, sizeof *pkt);
    pkt->sent_ns = now;
    pkt->delivered = cc->delivered;
    pkt->delivered_ns = cc->delivered_ns;
    pkt->first_sent_ns = cc->first_sent_ns;
    pkt->size = (uint32_t)(n > UINT32_MAX ? UINT32_MAX : n);
    pkt->app_limited = cc->app_limited_until != 0;
    cc->inflight += pkt->size;
    us__pacer_on_sent(&cc->pacer, n, now);
}

void us__cc_on_app_limited(us__cc *cc) {
    /* [DRE] 3.4: C.app_limited = (C.delivered + C.pipe) ?: 1 */
    uint64_t v = cc->delivered + cc->inflight;
    cc->app_limited_until = v ? v : 1;
}

static uint64_t lo_or(uint64_t lo, uint64_t dflt) { return lo == UINT64_MAX ? dflt : lo; }

/* The loss response (cc.h, LOSS): lower bounds from what the network delivered lately
 * ([BBR2] BBRLossLowerBounds: x_lo = max(x_latest, BBRBeta × x_lo)). `floored` keeps them
 * at or above LO_FLOOR × the unbounded model (bandwidth estimate and its BDP), so a round
 * misjudged as congested costs at most half the rate, and repeated rounds cannot ratchet
 * the rate down to the minimum window. */
static void apply_lower_bounds(us__cc *cc, uint64_t bw_latest, uint64_t inflight_latest, int floored) {
    uint64_t cur_bw = lo_or(cc->bw_lo, btlbw(cc));
    cc->bw_lo = max64(bw_latest, muldiv(cur_bw, BETA, US_CC_UNIT));
    uint64_t cur_in = lo_or(cc->inflight_lo, cc->cwnd);
    cc->inflight_lo = max64(inflight_latest, muldiv(cur_in, BETA, US_CC_UNIT));
    if (floored) {
        uint64_t model_bdp = muldiv(btlbw(cc), rtt_for_bdp(cc), NS);
        cc->bw_lo = max64(cc->bw_lo, muldiv(btlbw(cc), LO_FLOOR, US_CC_UNIT));
        cc->inflight_lo = max64(cc->inflight_lo, muldiv(model_bdp, LO_FLOOR, US_CC_UNIT));
    }
    if (cc->bw_lo == 0) cc->bw_lo = UINT64_MAX; /* no model yet: nothing to bound */
    cc->inflight_lo = max64(cc->inflight_lo, min_cwnd(cc));
    cc->clean_rounds = 0;
}

/* Did the round that just ended see a full queue? BBR's premise ([BBR] §1) is that loss
 * alone does not mean congestion: on a lossy radio or a noisy path packets vanish at any
 * sending rate. A bottleneck that drops because we overfill it shows itself in one of two
 * ways, and either is taken as evidence:
 *   - RTT inflation: even the round's SMALLEST RTT sample exceeds min_rtt by 1/8 (and by
 *     100 us), i.e. every packet waited in a standing queue (a few reordered or
 *     ack-delayed packets only inflate some samples, never the minimum; the queue of the
 *     1.25 probing phase drains within the round, so its minimum stays low);
 *   - delivery not keeping up with sending: on average over the round's rate samples the
 *     ACKs took > 1.25 × as long as the sends ([DRE] 3.3 ack_elapsed vs send_elapsed),
 *     i.e. the network delivered less than 4/5 of the rate we put into it — more inflight
 *     did not buy more delivery, a queue was growing (this catches queues too shallow for
 *     the RTT test). Random loss thins both intervals' data alike and leaves the ratio
 *     near 1; the 1.25 probing gain reaches 1.25 only for the probe's own samples.
 * Either signal needs a sample from this round; a round without samples shows nothing. */
static int queue_evidence(const us__cc *cc) {
    if (cc->round_min_rtt_ns != UINT64_MAX && cc->min_rtt_ns != UINT64_MAX &&
        cc->round_min_rtt_ns > cc->min_rtt_ns + max64(muldiv(cc->min_rtt_ns, RTT_INFLATION, US_CC_UNIT),
                                                       RTT_INFLATION_MIN_NS))
        return 1;
    return cc->round_ratio_n > 0 && cc->round_ratio_sum > ACK_RATIO_CONGESTED * cc->round_ratio_n;
}

/* Round boundary ([DRE] 3.3 / [BBR] 4.5.1): judge the round that just ended. It counts as
 * congested when its loss rate exceeds loss_thresh_pct ([BBR2] BBRLossThresh) AND it
 * shows queue evidence; only then are the lower bounds (and STARTUP's exit on loss)
 * applied. Bounds are lifted after US_CC_LO_CLEAR_ROUNDS rounds not judged congested —
 * rounds with random loss count, so a lossy path gets its full model back. */
static void end_round(us__cc *cc) {
    uint64_t round_delivered = cc->delivered - cc->round_delivered_start;
    uint64_t total = round_delivered + cc->round_lost;
    int lossy = cc->round_lost > 0 && total > 0 &&
                cc->round_lost * 100 > (uint64_t)cc->cfg.loss_thresh_pct * total;
    if (lossy && queue_evidence(cc)) {
        apply_lower_bounds(cc, cc->round_bw_max, round_delivered, 1);
        cc->congested_rounds++;
        if (!cc->filled_pipe) cc->filled_pipe = 1; /* STARTUP exits on congestive loss too */
    } else if (++cc->clean_rounds >= US_CC_LO_CLEAR_ROUNDS) {
        cc->bw_lo = UINT64_MAX;
        cc->inflight_lo = UINT64_MAX;
    }
    cc->round_delivered_start = cc->delivered;
    cc->round_lost = 0;
    cc->round_bw_max = 0;
    cc->round_min_rtt_ns = UINT64_MAX;
    cc->round_ratio_sum = 0;
    cc->round_ratio_n = 0;
}

static void check_full_pipe(us__cc *cc, int sample_app_limited) {
    /* [BBR] 4.3.2.2: full when 3 rounds in a row did not raise btlbw by 25 %. */
    if (cc->filled_pipe || !cc->round_start || sample_app_limited) return;
    if (btlbw(cc) >= muldiv(cc->full_bw, 5, 4)) {
        cc->full_bw = btlbw(cc);
        cc->full_bw_count = 0;
        return;
    }
    if (++cc->full_bw_count >= 3) cc->filled_pipe = 1;
}

static void advance_cycle(us__cc *cc, uint64_t now, int lost_now) {
    uint64_t min_rtt = rtt_for_bdp(cc);
    int full_length = since(now, cc->cycle_stamp_ns) > min_rtt;
    uint32_t g = cc->pacing_gain;
    int next;
    if (g > US_CC_UNIT)       /* probing up: until a min_rtt passed and the pipe is fuller */
        next = (full_length && (lost_now || cc->inflight >= bdp(cc, g))) ||
               since(now, cc->cycle_stamp_ns) > 2 * min_rtt;
    else if (g < US_CC_UNIT)  /* draining the probe's queue: until empty or a min_rtt */
        next = full_length || cc->inflight <= bdp(cc, US_CC_UNIT);
    else
        next = full_length;
    if (!next) return;
    cc->cycle_idx = (cc->cycle_idx + 1) % 8;
    cc->cycle_stamp_ns = now;
    cc->pacing_gain = k_cycle[cc->cycle_idx];
}

static void update_state(us__cc *cc, uint64_t now, int min_rtt_expired, int lost_now) {
    if (cc->phase == US_CC_STARTUP && cc->filled_pipe) set_phase(cc, US_CC_DRAIN, now);
    if (cc->phase == US_CC_DRAIN && cc->inflight <= bdp(cc, US_CC_UNIT)) set_phase(cc, US_CC_PROBE_BW, now);
    if (cc->phase == US_CC_PROBE_BW) advance_cycle(cc, now, lost_now);

    /* [BBR] 4.3.5: PROBE_RTT when the min_rtt estimate went stale. */
    if (cc->phase != US_CC_PROBE_RTT && min_rtt_expired) {
        cc->prior_phase = cc->filled_pipe ? US_CC_PROBE_BW : US_CC_STARTUP;
        set_phase(cc, US_CC_PROBE_RTT, now);
        cc->probe_rtt_done_ns = 0;
        cc->probe_rtt_round_done = 0;
    }
    if (cc->phase == US_CC_PROBE_RTT) {
        if (cc->probe_rtt_done_ns == 0 && cc->inflight <= min_cwnd(cc)) {
            cc->probe_rtt_done_ns = now + cc->cfg.probe_rtt_ns;
            cc->probe_rtt_round = cc->rounds;
        } else if (cc->probe_rtt_done_ns != 0) {
            if (cc->rounds > cc->probe_rtt_round) cc->probe_rtt_round_done = 1;
            if (cc->probe_rtt_round_done && now >= cc->probe_rtt_done_ns) {
                cc->min_rtt_stamp_ns = now;
                set_phase(cc, cc->prior_phase, now);
            }
        }
    }
}

static void rtt_update(us__cc *cc, uint64_t rtt, uint64_t now, int *expired) {
    *expired = since(now, cc->min_rtt_stamp_ns) > cc->cfg.min_rtt_window_ns;
    if (rtt == 0) return;
    if (rtt <= cc->min_rtt_ns || *expired) {
        cc->min_rtt_ns = rtt;
        cc->min_rtt_stamp_ns = now;
    }
    /* RFC 9002 §5.3 smoothed RTT, for the snapshot. */
    if (cc->srtt_ns == 0) {
        cc->srtt_ns = rtt;
        cc->rttvar_ns = rtt / 2;
    } else {
        uint64_t d = cc->srtt_ns > rtt ? cc->srtt_ns - rtt : rtt - cc->srtt_ns;
        cc->rttvar_ns = (3 * cc->rttvar_ns + d) / 4;
        cc->srtt_ns = (7 * cc->srtt_ns + rtt) / 8;
    }
}

void us__cc_on_ack_rtt(us__cc *cc, us__cc_pkt *pkt, uint64_t now, uint64_t rtt_ns) {
    if (pkt->acked_or_lost) return;
    pkt->acked_or_lost = 1;
    cc->inflight = cc->inflight > pkt->size ? cc->inflight - pkt->size : 0;
    cc->delivered += pkt->size;
    cc->delivered_ns = now;
    if (cc->app_limited_until && cc->delivered > cc->app_limited_until) cc->app_limited_until = 0;

    int expired;
    if (rtt_ns == 0 && now > pkt->sent_ns) rtt_ns = now - pkt->sent_ns;
    rtt_update(cc, rtt_ns, now, &expired);

    /* Round counting ([BBR] 4.5.1). */
    cc->round_start = 0;
    if (pkt->delivered >= cc->next_round_delivered) {
        cc->next_round_delivered = cc->delivered;
        cc->rounds++;
        cc->round_start = 1;
        end_round(cc);
    }
    if (rtt_ns != 0 && rtt_ns < cc->round_min_rtt_ns) cc->round_min_rtt_ns = rtt_ns;

    /* Delivery-rate sample ([DRE] 3.3), from the newest packet acked so far. */
    if (pkt->delivered >= cc->last_prior_delivered) {
        cc->last_prior_delivered = pkt->delivered;
        cc->first_sent_ns = pkt->sent_ns;
        uint64_t send_elapsed = since(pkt->sent_ns, pkt->first_sent_ns);
        uint64_t ack_elapsed = since(now, pkt->delivered_ns);
        uint64_t interval = max64(send_elapsed, ack_elapsed);
        uint64_t delta = since(cc->delivered, pkt->delivered);
        /* [DRE] 3.3: an interval shorter than min_rtt would overestimate (ACK
         * compression), so such samples are dropped. */
        if (interval > 0 && delta > 0 && (cc->min_rtt_ns == UINT64_MAX || interval >= cc->min_rtt_ns)) {
            uint64_t bw = muldiv(delta, NS, interval);
            cc->latest_bw = bw;
            /* Only packets sent after an ACK of their flight: before the first one both
             * origins are the flight's start and ack_elapsed includes a whole RTT. */
            if (send_elapsed > 0 && pkt->delivered_ns != pkt->first_sent_ns) {
                /* capped so a sample after an idle gap cannot dominate the mean */
                cc->round_ratio_sum += min64(muldiv(ack_elapsed, US_CC_UNIT, send_elapsed), 4 * US_CC_UNIT);
                cc->round_ratio_n++;
            }
            if (bw > cc->round_bw_max) cc->round_bw_max = bw;
            /* [DRE] 3.4: app-limited samples may only raise the estimate. */
            if (!pkt->app_limited || bw >= btlbw(cc)) filt_max(&cc->bw, US_CC_BW_ROUNDS, cc->rounds, bw);
        }
    }
    check_full_pipe(cc, pkt->app_limited);
    update_state(cc, now, expired, 0);
    update_outputs(cc, pkt->size);
}

void us__cc_on_ack(us__cc *cc, us__cc_pkt *pkt, uint64_t now) { us__cc_on_ack_rtt(cc, pkt, now, 0); }

void us__cc_on_lost(us__cc *cc, us__cc_pkt *pkt, uint64_t now) {
    if (pkt->acked_or_lost) return;
    pkt->acked_or_lost = 1;
    cc->inflight = cc->inflight > pkt->size ? cc->inflight - pkt->size : 0;
    cc->lost += pkt->size;
    cc->round_lost += pkt->size;
    if (cc->phase == US_CC_PROBE_BW) advance_cycle(cc, now, 1);
    update_outputs(cc, 0);
}

void us__cc_on_timeout(us__cc *cc, uint64_t now) {
    (void)now;
    apply_lower_bounds(cc, 0, 0, 0); /* a timeout is not random loss: no floor */
    if (!cc->filled_pipe) cc->filled_pipe = 1;
    update_outputs(cc, 0);
}

uint64_t us__cc_pacing_rate(const us__cc *cc) { return cc->pacing_rate; }
uint64_t us__cc_cwnd(const us__cc *cc) { return cc->cwnd; }

void us__cc_snapshot_get(const us__cc *cc, us__cc_snapshot *s) {
    memset(s, 0, sizeof *s);
    s->btlbw = btlbw(cc);
    s->bw_lo = cc->bw_lo;
    s->min_rtt_ns = cc->min_rtt_ns;
    s->srtt_ns = cc->srtt_ns;
    s->pacing_rate = cc->pacing_rate;
    s->cwnd = cc->cwnd;
    s->inflight = cc->inflight;
    s->delivered = cc->delivered;
    s->lost = cc->lost;
    s->rounds = cc->rounds;
    s->congested_rounds = cc->congested_rounds;
    s->phase = cc->phase;
}

const char *us__cc_phase_name(int phase) {
    switch (phase) {
    case US_CC_STARTUP: return "STARTUP";
    case US_CC_DRAIN: return "DRAIN";
    case US_CC_PROBE_BW: return "PROBE_BW";
    case US_CC_PROBE_RTT: return "PROBE_RTT";
    default: return "?";
    }
}
