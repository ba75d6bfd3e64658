/* path.c — path registry, validation (RFC 9000 §8.2), anti-amplification (§8.1), per-path
 * RTT (RFC 9002 §5) and the path scheduler (see path.h). */
#include "path.h"

#include <string.h>

#include "umbra/crypto.h"

#define MS 1000000ull

void us__path_config_default(us__path_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    cfg->initial_rtt_ns = 333 * MS;                /* RFC 9002 §6.2.2 kInitialRtt */
    cfg->challenge_timeout_ns = 3 * cfg->initial_rtt_ns + MS;
    cfg->max_retries = 3;
    cfg->dead_losses = 6;
    cfg->idle_timeout_ns = 10000 * MS;
    cfg->amplification_factor = 3;                 /* RFC 9000 §8.1 */
    cfg->prefer_primary = 0;
}

void us__paths_init(us__paths *r, const us__path_config *cfg) {
    memset(r, 0, sizeof *r);
    if (cfg) r->cfg = *cfg;
    else us__path_config_default(&r->cfg);
    if (r->cfg.amplification_factor == 0) r->cfg.amplification_factor = 3;
    if (r->cfg.initial_rtt_ns == 0) r->cfg.initial_rtt_ns = 333 * MS;
    if (r->cfg.challenge_timeout_ns == 0) r->cfg.challenge_timeout_ns = 3 * r->cfg.initial_rtt_ns;
    r->primary = -1;
    r->active = -1;
    r->failover_prev = -1;
}

static us__path *slot(us__paths *r, int id) {
    if (id < 0 || id >= US_PATH_MAX || r->p[id].state == US_PATH_FREE) return NULL;
    return &r->p[id];
}

const us__path *us__paths_get(const us__paths *r, int id) {
    if (id < 0 || id >= US_PATH_MAX || r->p[id].state == US_PATH_FREE) return NULL;
    return &r->p[id];
}

static int same_addr(const us__path *p, const uint8_t *local, size_t local_len, const uint8_t *peer,
                     size_t peer_len) {
    return p->local_len == local_len && p->peer_len == peer_len &&
           memcmp(p->local, local, local_len) == 0 && memcmp(p->peer, peer, peer_len) == 0;
}

int us__paths_find(const us__paths *r, const uint8_t *local, size_t local_len,
                   const uint8_t *peer, size_t peer_len) {
    for (int i = 0; i < US_PATH_MAX; i++) {
        const us__path *p = &r->p[i];
        if (p->state != US_PATH_FREE && same_addr(p, local, local_len, peer, peer_len)) return i;
    }
    return UMBRA_ENOENT;
}

static void forget_challenges(us__path *p) {
    umbra_wipe(p->challenge, sizeof p->challenge);
    memset(p->challenge_valid, 0, sizeof p->challenge_valid);
    memset(p->challenge_sent_ns, 0, sizeof p->challenge_sent_ns);
    p->challenge_next = 0;
}

static void clear_slot(us__path *p) {
    forget_challenges(p);
    memset(p, 0, sizeof *p);
}

/* The active path is gone: poll() will announce the successor (path.h, Scheduler). */
static void lose_active(us__paths *r, int id) {
    if (r->active != id) return;
    if (!r->failover_pending) r->failover_prev = id;
    r->failover_pending = 1;
    r->active = -1;
}

static void path_kill(us__paths *r, int id, uint64_t now) {
    us__path *p = &r->p[id];
    p->state = US_PATH_FAILED;
    p->probing = 0;
    p->failed_ns = now;
    p->fail_pending = 1;
    p->outstanding = 0;
    forget_challenges(p);
    lose_active(r, id);
}

int us__paths_add(us__paths *r, const uint8_t *local, size_t local_len, const uint8_t *peer,
                  size_t peer_len, uint64_t now) {
    if (!local || !peer || local_len == 0 || peer_len == 0 || local_len > US_PATH_ADDR_MAX ||
        peer_len > US_PATH_ADDR_MAX)
        return UMBRA_EINVAL;
    int id = us__paths_find(r, local, local_len, peer, peer_len);
    if (id >= 0) return id;
    for (int i = 0; i < US_PATH_MAX && id < 0; i++)
        if (r->p[i].state == US_PATH_FREE) id = i;
    if (id < 0) {
        /* Full: recycle the FAILED path that failed longest ago (its FAILED event, if not yet
         * polled, is dropped with it). */
        for (int i = 0; i < US_PATH_MAX; i++)
            if (r->p[i].state == US_PATH_FAILED && (id < 0 || r->p[i].failed_ns < r->p[id].failed_ns))
                id = i;
        if (id < 0) return UMBRA_ENOSPACE;
        if (r->primary == id) r->primary = -1;
    }
    us__path *p = &r->p[id];
    clear_slot(p);
    p->state = US_PATH_UNVALIDATED;
    memcpy(p->local, local, local_len);
    memcpy(p->peer, peer, peer_len);
    p->local_len = (uint8_t)local_len;
    p->peer_len = (uint8_t)peer_len;
    p->created_ns = now;
    p->last_recv_ns = now;
    return id;
}

int us__paths_remove(us__paths *r, int id) {
    us__path *p = slot(r, id);
    if (!p) return UMBRA_EINVAL;
    clear_slot(p);
    if (r->primary == id) r->primary = -1;
    lose_active(r, id);
    return 0;
}

int us__paths_set_validated(us__paths *r, int id, uint64_t now) {
    us__path *p = slot(r, id);
    if (!p) return UMBRA_EINVAL;
    forget_challenges(p);
    p->state = US_PATH_VALIDATED;
    p->probing = 0;
    p->validated_ns = now;
    p->last_recv_ns = now;
    p->consecutive_losses = 0;
    p->outstanding = 0;
    p->fail_pending = 0;
    p->retries = 0;
    return 0;
}

int us__paths_set_primary(us__paths *r, int id) {
    if (!slot(r, id)) return UMBRA_EINVAL;
    r->primary = id;
    return 0;
}

/* A path with a challenge outstanding: being validated, or a validated path being probed. */
static int awaiting(const us__path *p) {
    return p->state == US_PATH_VALIDATING || (p->state == US_PATH_VALIDATED && p->probing);
}

static uint64_t retry_timeout(const us__paths *r, unsigned retries) {
    uint64_t t = r->cfg.challenge_timeout_ns;
    for (unsigned i = 0; i < retries && t < UINT64_MAX / 2; i++) t *= 2;
    return t;
}

static uint64_t add_sat(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }

/* Draws a fresh challenge into the path's ring (RFC 9000 §8.2.1: unpredictable data; every
 * retransmission uses new data, §8.2.4 allows answering any of them). */
static void new_challenge(us__path *p, uint64_t now, uint8_t out[US_PATH_CHALLENGE_LEN]) {
    unsigned k = p->challenge_next % US_PATH_CHALLENGES_KEPT;
    uc_random(p->challenge[k], US_PATH_CHALLENGE_LEN);
    p->challenge_sent_ns[k] = now;
    p->challenge_valid[k] = 1;
    p->challenge_next = (k + 1) % US_PATH_CHALLENGES_KEPT;
    memcpy(out, p->challenge[k], US_PATH_CHALLENGE_LEN);
}

int us__paths_challenge(us__paths *r, int id, uint64_t now, uint8_t out[US_PATH_CHALLENGE_LEN]) {
    us__path *p = slot(r, id);
    if (!p || !out) return UMBRA_EINVAL;
    if (!awaiting(p)) forget_challenges(p);
    if (p->state == US_PATH_VALIDATED) {
        p->probing = 1; /* liveness probe: stays usable while it runs */
    } else {
        p->state = US_PATH_VALIDATING;
        p->fail_pending = 0;
    }
    p->retries = 0;
    new_challenge(p, now, out);
    p->deadline_ns = add_sat(now, retry_timeout(r, 0));
    return 0;
}

/* RFC 9002 §5.3 (ack_delay is not known here; callers subtract it before on_rtt). */
static void rtt_sample(us__path *p, uint64_t rtt) {
    if (rtt == 0) rtt = 1;
    p->latest_rtt_ns = rtt;
    if (!p->has_rtt) {
        p->has_rtt = 1;
        p->min_rtt_ns = rtt;
        p->smoothed_rtt_ns = rtt;
        p->rttvar_ns = rtt / 2;
        return;
    }
    if (rtt < p->min_rtt_ns) p->min_rtt_ns = rtt;
    uint64_t diff = p->smoothed_rtt_ns > rtt ? p->smoothed_rtt_ns - rtt : rtt - p->smoothed_rtt_ns;
    p->rttvar_ns = (3 * p->rttvar_ns + diff) / 4;
    p->smoothed_rtt_ns = (7 * p->smoothed_rtt_ns + rtt) / 8;
}

int us__paths_on_response(us__paths *r, const uint8_t resp[US_PATH_CHALLENGE_LEN], uint64_t now) {
    if (!resp) return UMBRA_EINVAL;
    int hit = -1;
    unsigned hit_k = 0;
    /* Compare against every kept challenge of every validating path, without stopping at a
     * match, so the time taken says nothing about which stored value is close. */
    for (int i = 0; i < US_PATH_MAX; i++) {
        us__path *p = &r->p[i];
        int live = awaiting(p);
        for (unsigned k = 0; k < US_PATH_CHALLENGES_KEPT; k++) {
            int eq = umbra_ct_equal(p->challenge[k], resp, US_PATH_CHALLENGE_LEN) == 0;
            if (eq & live & p->challenge_valid[k]) {
                hit = i;
                hit_k = k;
            }
        }
    }
    if (hit < 0) return UMBRA_EAUTH;
    us__path *p = &r->p[hit];
    uint64_t sent = p->challenge_sent_ns[hit_k];
    if (now > sent) rtt_sample(p, now - sent);
    us__paths_set_validated(r, hit, now);
    return hit;
}

int us__paths_on_recv(us__paths *r, int id, size_t bytes, uint64_t now) {
    us__path *p = slot(r, id);
    if (!p) return UMBRA_EINVAL;
    p->bytes_recv = add_sat(p->bytes_recv, bytes);
    p->last_recv_ns = now;
    p->outstanding = 0;
    p->consecutive_losses = 0;
    return 0;
}

int us__paths_on_sent(us__paths *r, int id, size_t bytes, uint64_t now) {
    us__path *p = slot(r, id);
    if (!p) return UMBRA_EINVAL;
    p->bytes_sent = add_sat(p->bytes_sent, bytes);
    p->last_sent_ns = now;
    if (!p->outstanding) {
        p->outstanding = 1;
        p->outstanding_since_ns = now;
    }
    return 0;
}

uint64_t us__paths_send_allowance(const us__paths *r, int id) {
    const us__path *p = us__paths_get(r, id);
    if (!p || p->state == US_PATH_FAILED) return 0;
    if (p->state == US_PATH_VALIDATED) return UINT64_MAX;
    /* RFC 9000 §8.1: at most three times the bytes received. */
    uint64_t f = r->cfg.amplification_factor;
    uint64_t limit = p->bytes_recv > UINT64_MAX / f ? UINT64_MAX : p->bytes_recv * f;
    return limit > p->bytes_sent ? limit - p->bytes_sent : 0;
}

int us__paths_on_rtt(us__paths *r, int id, uint64_t rtt_ns) {
    us__path *p = slot(r, id);
    if (!p || rtt_ns == 0) return UMBRA_EINVAL;
    rtt_sample(p, rtt_ns);
    return 0;
}

int us__paths_on_loss(us__paths *r, int id, uint64_t now) {
    us__path *p = slot(r, id);
    if (!p) return UMBRA_EINVAL;
    p->consecutive_losses++;
    if (p->state == US_PATH_VALIDATED && r->cfg.dead_losses &&
        p->consecutive_losses >= r->cfg.dead_losses)
        path_kill(r, id, now);
    return 0;
}

int us__paths_on_ack(us__paths *r, int id, uint64_t now) {
    us__path *p = slot(r, id);
    if (!p) return UMBRA_EINVAL;
    p->consecutive_losses = 0;
    p->outstanding = 0;
    p->last_recv_ns = now;
    return 0;
}

static int idle_dead_at(const us__paths *r, const us__path *p, uint64_t *at) {
    if (p->state != US_PATH_VALIDATED || !p->outstanding || r->cfg.idle_timeout_ns == 0) return 0;
    *at = add_sat(p->outstanding_since_ns, r->cfg.idle_timeout_ns);
    return 1;
}

int us__paths_poll(us__paths *r, uint64_t now, us__path_event *ev) {
    memset(ev, 0, sizeof *ev);
    ev->prev = -1;
    /* 1. Timers that end a path. */
    for (int i = 0; i < US_PATH_MAX; i++) {
        us__path *p = &r->p[i];
        uint64_t at;
        if (idle_dead_at(r, p, &at) && now >= at) path_kill(r, i, now);
        else if (awaiting(p) && now >= p->deadline_ns && p->retries >= r->cfg.max_retries)
            path_kill(r, i, now); /* RFC 9000 §8.2.4: abandon validation */
    }
    /* 2. Report failures, then the failover they caused. */
    for (int i = 0; i < US_PATH_MAX; i++) {
        if (r->p[i].state == US_PATH_FAILED && r->p[i].fail_pending) {
            r->p[i].fail_pending = 0;
            ev->kind = US_PATH_EV_FAILED;
            ev->id = i;
            return 1;
        }
    }
    if (r->failover_pending) {
        r->failover_pending = 0;
        int next = us__paths_select(r);
        ev->kind = US_PATH_EV_FAILOVER;
        ev->id = next >= 0 ? next : -1;
        ev->prev = r->failover_prev;
        r->failover_prev = -1;
        return 1;
    }
    /* 3. Challenge retransmissions, each with fresh data and a doubled timeout. */
    for (int i = 0; i < US_PATH_MAX; i++) {
        us__path *p = &r->p[i];
        if (awaiting(p) && now >= p->deadline_ns) {
            p->retries++;
            new_challenge(p, now, ev->challenge);
            p->deadline_ns = add_sat(now, retry_timeout(r, p->retries));
            ev->kind = US_PATH_EV_SEND_CHALLENGE;
            ev->id = i;
            return 1;
        }
    }
    return 0;
}

uint64_t us__paths_next_timeout(const us__paths *r) {
    if (r->failover_pending) return 0;
    uint64_t t = UINT64_MAX;
    for (int i = 0; i < US_PATH_MAX; i++) {
        const us__path *p = &r->p[i];
        uint64_t at;
        if (p->state == US_PATH_FAILED && p->fail_pending) return 0;
        if (awaiting(p) && p->deadline_ns < t) t = p->deadline_ns;
        if (idle_dead_at(r, p, &at) && at < t) t = at;
    }
    return t;
}

int us__paths_select(us__paths *r) {
    if (r->cfg.prefer_primary && r->primary >= 0 && r->p[r->primary].state == US_PATH_VALIDATED) {
        r->active = r->primary;
        return r->primary;
    }
    int best = -1;
    uint64_t best_rtt = UINT64_MAX;
    for (int i = 0; i < US_PATH_MAX; i++) {
        const us__path *p = &r->p[i];
        if (p->state != US_PATH_VALIDATED) continue;
        uint64_t rtt = p->has_rtt ? p->smoothed_rtt_ns : r->cfg.initial_rtt_ns;
        /* Ties keep the current path, then the primary, then the lowest id: no flapping. */
        int better = best < 0 || rtt < best_rtt ||
                     (rtt == best_rtt && (i == r->active || (best != r->active && i == r->primary)));
        if (better) {
            best = i;
            best_rtt = rtt;
        }
    }
    r->active = best;
    return best >= 0 ? best : UMBRA_ENOENT;
}
