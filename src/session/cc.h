/*
 * cc.h — congestion control (a BBR-style model) and a token-bucket pacer (internal to
 * src/session/; prefix us__).
 *
 * MODEL. Delivery-rate samples follow draft-cheng-iccrg-delivery-rate-estimation-02:
 * when a packet is sent the estimator stamps it with the connection's (delivered,
 * delivered_time, first_sent_time, app_limited) state (§3.2); when it is acknowledged a rate
 * sample is delivered_delta / max(send_elapsed, ack_elapsed) (§3.3). The model keeps
 *   btlbw   — windowed MAX of the samples over the last US_CC_BW_ROUNDS round trips
 *             (app-limited samples only count when they raise the max, §3.4);
 *   min_rtt — windowed MIN of RTT samples over min_rtt_window_ns (10 s);
 *   BDP     = btlbw × min_rtt.
 * and derives   pacing_rate = pacing_gain × btlbw   and   cwnd = cwnd_gain × BDP
 * (with floors), as BBR does (draft-cardwell-iccrg-bbr-congestion-control).
 *
 * PHASES (a documented simplification of BBR v1 with the v2 loss response):
 *   STARTUP   pacing_gain = cwnd_gain = 2.89 (2/ln2). Leaves when btlbw did not grow by
 *             25 % for 3 rounds ("full pipe"), or after a congested round (LOSS below).
 *   DRAIN     pacing_gain = 1/2.89 until inflight <= BDP.
 *   PROBE_BW  gain cycle [1.25, 0.75, 1, 1, 1, 1, 1, 1], one phase per min_rtt, cwnd_gain 2.
 *   PROBE_RTT entered when min_rtt was not refreshed for min_rtt_window_ns: cwnd = 4 packets
 *             for max(200 ms, one round), then back to PROBE_BW (or STARTUP if the pipe was
 *             never filled).
 * LOSS. BBR's premise (draft-cardwell-iccrg-bbr-congestion-control-00 §1) is that packet
 * loss alone is not congestion: paths drop packets at random (radio, noisy links) at any
 * rate. A round counts as CONGESTED only when its loss exceeds loss_thresh_pct (2 %, the
 * v2 draft's BBRLossThresh) AND it shows evidence of a full queue: its smallest RTT sample
 * is > 1.125 × min_rtt (a standing queue delayed every packet), or over its delivery-rate
 * samples the ACKs took on average > 1.25 × as long as the sends (the network delivered
 * less than 4/5 of what we put in). A congested round sets the v2 lower bounds
 *   bw_lo = max(bw of that round, 0.7 × current), inflight_lo = max(inflight, 0.7 × current),
 * never below half the unbounded model (0.5 × btlbw, 0.5 × btlbw × min_rtt), and the model
 * then uses min(btlbw, bw_lo) and min(cwnd, inflight_lo): loss caused by a lower link rate
 * pulls the pacing rate down within a few rounds instead of waiting for the
 * US_CC_BW_ROUNDS max filter to forget, while random loss on an uncongested path leaves
 * the model alone (the rate sample already excludes lost bytes). A retransmission timeout
 * applies the bounds at once (without the floor). The bounds are lifted after
 * US_CC_LO_CLEAR_ROUNDS rounds not judged congested. STARTUP also ends on a congested
 * round, not on random loss.
 * There is no separate recovery state; retransmission is the caller's business.
 *
 * UNITS: time in nanoseconds (explicit `now`, any monotonic origin), sizes in bytes, rates
 * in BYTES per second. Integer-only arithmetic (gains in 1/256 units) so it runs the same in
 * Wasm guests. No allocation, no OS calls. Not thread-safe.
 *
 * USE:
 *     us__cc_init(&cc, NULL, now);
 *     // before sending a packet of n bytes:
 *     if (us__cc_can_send(&cc, n, now, &when) != 0) wait until `when` (or an ACK) ...
 *     us__cc_on_sent(&cc, &pkt_state, n, now);   // keep pkt_state with the packet
 *     // when the packet is acknowledged / declared lost:
 *     us__cc_on_ack(&cc, &pkt_state, now);  /  us__cc_on_lost(&cc, &pkt_state, now);
 */
#ifndef UMBRA_SESSION_CC_H
#define UMBRA_SESSION_CC_H

#include <stddef.h>
#include <stdint.h>

#include "umbra/base.h"

#define US_CC_UNIT 256u               /* gains are fixed point: 256 = 1.0 */
#define US_CC_BW_ROUNDS 10            /* btlbw max-filter window, in round trips */
#define US_CC_LO_CLEAR_ROUNDS 8       /* uncongested rounds that lift bw_lo / inflight_lo */

/* ---- Token-bucket pacer ------------------------------------------------------------------
 * Tokens (bytes) accrue at `rate` bytes/s up to `burst` bytes; a packet of n bytes may go
 * when the bucket holds n tokens (a packet larger than burst may go when the bucket is
 * full). rate 0 = unlimited (pacing off). */
typedef struct us__pacer {
    uint64_t rate;                    /* bytes per second, 0 = unlimited */
    uint64_t burst;                   /* bucket size in bytes */
    int64_t tokens_nb;                /* tokens × 1e9 (byte·ns/s), avoids rounding drift;
                                         negative = debt */
    uint64_t last_ns;
    uint8_t started;
} us__pacer; /* do not touch fields */

/* rate in bytes/s (0 = unlimited), burst in bytes (0 = 2 × 1500). Starts with a full bucket. */
void us__pacer_init(us__pacer *p, uint64_t rate, uint64_t burst);
/* Changes rate (and burst if non-zero) keeping the tokens accrued so far. */
void us__pacer_set_rate(us__pacer *p, uint64_t rate, uint64_t burst);
/* Earliest time (>= now) a packet of n bytes may be sent. */
uint64_t us__pacer_next_send(const us__pacer *p, size_t n, uint64_t now);
/* Takes n bytes of tokens at `now` (the bucket may go into debt if the caller sends
 * early; that debt delays the following packets). */
void us__pacer_on_sent(us__pacer *p, size_t n, uint64_t now);

/* ---- Congestion controller ---------------------------------------------------------------- */
enum us__cc_phase { US_CC_STARTUP = 0, US_CC_DRAIN, US_CC_PROBE_BW, US_CC_PROBE_RTT };

typedef struct us__cc_config {
    uint32_t mss;                     /* max packet size [1350] */
    uint32_t initial_cwnd_pkts;       /* [10] (RFC 9002 §7.2 uses 10 × mss) */
    uint32_t min_cwnd_pkts;           /* [4] */
    uint64_t initial_rtt_ns;          /* before any sample [100 ms] */
    uint64_t min_rtt_window_ns;       /* [10 s] */
    uint64_t probe_rtt_ns;            /* [200 ms] */
    uint64_t max_rate;                /* cap on pacing rate, bytes/s, 0 = none [0] */
    uint32_t loss_thresh_pct;         /* loss rate per round that, with queue evidence,
                                         counts as congestion [2] */
} us__cc_config;

/* Per-packet state the caller stores with each sent packet (draft-cheng §3.2 "P."). */
typedef struct us__cc_pkt {
    uint64_t sent_ns;
    uint64_t delivered;               /* C.delivered when sent */
    uint64_t delivered_ns;            /* C.delivered_time when sent */
    uint64_t first_sent_ns;           /* C.first_sent_time when sent */
    uint32_t size;
    uint8_t app_limited;
    uint8_t acked_or_lost;            /* set by on_ack/on_lost; a second report is ignored */
} us__cc_pkt;

/* A read-only view of the model (what the session's stats/CLI print). */
typedef struct us__cc_snapshot {
    uint64_t btlbw;                   /* bytes/s, windowed max delivery rate (0 = no sample) */
    uint64_t bw_lo;                   /* bytes/s loss bound, UINT64_MAX = none */
    uint64_t min_rtt_ns;              /* UINT64_MAX = no sample */
    uint64_t srtt_ns;                 /* smoothed RTT (RFC 9002 §5.3), 0 = no sample */
    uint64_t pacing_rate;             /* bytes/s */
    uint64_t cwnd;                    /* bytes */
    uint64_t inflight;                /* bytes */
    uint64_t delivered;               /* bytes acknowledged, total */
    uint64_t lost;                    /* bytes declared lost, total */
    uint64_t rounds;                  /* round trips counted */
    uint64_t congested_rounds;        /* rounds judged congested (loss + queue evidence) */
    int phase;                        /* enum us__cc_phase */
} us__cc_snapshot;

/* Max/min filter over a window (Kathleen Nichols' 3-sample algorithm, as in BBR). */
typedef struct us__cc_filter {
    uint64_t t[3], v[3];
} us__cc_filter;

typedef struct us__cc {
    us__cc_config cfg;
    us__pacer pacer;
    int phase;
    /* delivery-rate estimation (draft-cheng §3.1 "C.") */
    uint64_t delivered, delivered_ns, first_sent_ns, app_limited_until, lost;
    uint64_t inflight;
    /* rounds */
    uint64_t next_round_delivered, rounds;
    uint8_t round_start;
    /* model */
    us__cc_filter bw;                 /* max filter keyed by round */
    uint64_t min_rtt_ns, min_rtt_stamp_ns, srtt_ns, rttvar_ns;
    uint64_t bw_lo, inflight_lo;
    uint64_t round_lost, round_delivered_start, round_lost_start, round_bw_max;
    uint64_t clean_rounds;            /* rounds since the last one judged congested */
    uint64_t round_min_rtt_ns;        /* smallest RTT sample of the current round */
    uint64_t round_ratio_sum, round_ratio_n; /* ack_elapsed/send_elapsed (×256) this round */
    uint64_t congested_rounds;        /* rounds judged congested, total */
    uint64_t last_prior_delivered;    /* newest packet a rate sample was taken from */
    uint64_t latest_bw;               /* last valid delivery-rate sample */
    /* startup */
    uint64_t full_bw;
    unsigned full_bw_count;
    uint8_t filled_pipe;
    /* probe_bw */
    unsigned cycle_idx;
    uint64_t cycle_stamp_ns;
    /* probe_rtt */
    uint64_t probe_rtt_done_ns;
    uint8_t probe_rtt_round_done;
    uint64_t probe_rtt_round;
    int prior_phase;
    /* outputs */
    uint32_t pacing_gain, cwnd_gain;
    uint64_t pacing_rate, cwnd;
} us__cc; /* do not touch fields */

void us__cc_config_default(us__cc_config *cfg);
/* Initialises the controller in STARTUP (cfg NULL = defaults; copied). The initial pacing
 * rate is 2.89 × initial_cwnd / initial_rtt. No allocation. */
void us__cc_init(us__cc *cc, const us__cc_config *cfg, uint64_t now);

/* May a packet of n bytes be sent at `now`? Returns 0 (yes), or UMBRA_EAGAIN with *when =
 * the earliest pacing time (> now), or UMBRA_EAGAIN with *when = UINT64_MAX when the cwnd
 * is full (wait for an ACK or loss). `when` may be NULL. */
int us__cc_can_send(const us__cc *cc, size_t n, uint64_t now, uint64_t *when);

/* A packet of n bytes was sent at `now`: stamps *pkt (the caller keeps it with the packet),
 * adds n to inflight and charges the pacer. */
void us__cc_on_sent(us__cc *cc, us__cc_pkt *pkt, size_t n, uint64_t now);

/* The caller has nothing to send although cwnd and pacer would allow it: samples taken
 * while this lasts are marked app-limited (draft-cheng §3.4). */
void us__cc_on_app_limited(us__cc *cc);

/* Packet acknowledged at `now`: removes it from inflight, takes a delivery-rate sample and
 * an RTT sample (now - sent_ns), updates the model and the pacer. A packet already
 * reported (acked or lost) is ignored. */
void us__cc_on_ack(us__cc *cc, us__cc_pkt *pkt, uint64_t now);
/* Same with an explicit RTT sample (e.g. ack delay already subtracted); rtt_ns 0 = none. */
void us__cc_on_ack_rtt(us__cc *cc, us__cc_pkt *pkt, uint64_t now, uint64_t rtt_ns);
/* Packet declared lost at `now`: removes it from inflight and feeds the loss response. */
void us__cc_on_lost(us__cc *cc, us__cc_pkt *pkt, uint64_t now);
/* Retransmission timeout / persistent congestion: applies the loss bounds at once. */
void us__cc_on_timeout(us__cc *cc, uint64_t now);

/* Current outputs. */
uint64_t us__cc_pacing_rate(const us__cc *cc);
uint64_t us__cc_cwnd(const us__cc *cc);
void us__cc_snapshot_get(const us__cc *cc, us__cc_snapshot *s);
/* "STARTUP", "DRAIN", "PROBE_BW", "PROBE_RTT". */
const char *us__cc_phase_name(int phase);

#endif
