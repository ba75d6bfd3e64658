/*
 * path.h — path registry, path validation, anti-amplification, per-path RTT and the path
 * scheduler (internal to src/session/; prefix us__).
 *
 * A "path" is a (local address, peer address) pair of one leg, both kept as opaque bytes
 * (the leg decides what they are: a sockaddr, a guest socket handle, ...). Lifecycle:
 *
 *     UNVALIDATED --challenge()--> VALIDATING --matching response--> VALIDATED
 *          ^                          |  timeout: retry with a fresh challenge,
 *          |                          |  after max_retries → FAILED
 *          +-------- revalidate ------+                      VALIDATED --dead--> FAILED
 *
 * Path validation follows RFC 9000 §8.2: a PATH_CHALLENGE carries US_PATH_CHALLENGE_LEN
 * (here 32, not 8) unpredictable bytes from uc_random(); the peer echoes them in a
 * PATH_RESPONSE; a response received on ANY path validates the path the challenge was sent
 * on (§8.2.3). Every retry uses a fresh challenge and responses to the last
 * US_PATH_CHALLENGES_KEPT challenges of a path are honoured. Responses are compared in
 * constant time against every outstanding challenge of every path.
 *
 * Anti-amplification (RFC 9000 §8.1): until a path is validated we send at most
 * amplification_factor (3) × the bytes received on it.
 *
 * RTT per path follows RFC 9002 §5.3 (smoothed_rtt, rttvar, min_rtt); the time between
 * sending a challenge and receiving its response is also an RTT sample.
 *
 * Liveness: a validated path is declared dead (→ FAILED) after `dead_losses` consecutive
 * losses reported with on_loss(), or when nothing was received on it for `idle_timeout_ns`
 * while packets were outstanding (`on_sent` since the last `on_recv`).
 *
 * Scheduler: select() returns the active path: the primary path if it is validated and
 * `prefer_primary` is set, otherwise the validated path with the lowest smoothed RTT
 * (paths without an RTT sample count as initial_rtt_ns). When the active path dies,
 * poll() reports a FAILOVER event naming the new active path (or -1 when none is left).
 *
 * All timing comes from an explicit `now` (nanoseconds, any monotonic origin): no clocks,
 * no OS calls, no allocation. Not thread-safe.
 */
#ifndef UMBRA_SESSION_PATH_H
#define UMBRA_SESSION_PATH_H

#include <stddef.h>
#include <stdint.h>

#include "umbra/base.h"

#ifndef US_PATH_MAX
#define US_PATH_MAX 8                /* paths per session */
#endif
#define US_PATH_ADDR_MAX 64           /* opaque address bytes (a sockaddr_in6 is 28) */
#define US_PATH_CHALLENGE_LEN 32
#define US_PATH_CHALLENGES_KEPT 3

enum us__path_state {
    US_PATH_FREE = 0,                 /* slot unused */
    US_PATH_UNVALIDATED,
    US_PATH_VALIDATING,
    US_PATH_VALIDATED,
    US_PATH_FAILED,
};

/* Tunables. us__path_config_default() fills the values in brackets. */
typedef struct us__path_config {
    uint64_t challenge_timeout_ns;    /* first retry after this [3 × initial_rtt, 1 s] */
    unsigned max_retries;             /* retransmissions before FAILED [3] (timeout doubles) */
    uint64_t initial_rtt_ns;          /* RTT assumed before a sample, RFC 9002 §6.2.2 [333 ms] */
    unsigned dead_losses;             /* consecutive losses → dead [6] (0 = never) */
    uint64_t idle_timeout_ns;         /* silence with data outstanding → dead [10 s] (0 = never) */
    uint32_t amplification_factor;    /* RFC 9000 §8.1 [3] */
    int prefer_primary;               /* scheduler keeps the primary while validated [0] */
} us__path_config;

/* One path. Layout public for reading (us__paths_get); do not write fields. */
typedef struct us__path {
    int state;                        /* enum us__path_state */
    uint8_t local[US_PATH_ADDR_MAX], peer[US_PATH_ADDR_MAX];
    uint8_t local_len, peer_len;
    /* validation */
    uint8_t challenge[US_PATH_CHALLENGES_KEPT][US_PATH_CHALLENGE_LEN];
    uint64_t challenge_sent_ns[US_PATH_CHALLENGES_KEPT];
    uint8_t challenge_valid[US_PATH_CHALLENGES_KEPT];
    unsigned challenge_next;          /* ring index of the next slot to overwrite */
    unsigned retries;                 /* retransmissions done in the current attempt */
    uint64_t deadline_ns;             /* next retransmission / failure time (VALIDATING) */
    /* anti-amplification */
    uint64_t bytes_recv, bytes_sent;
    /* RTT (RFC 9002 §5) */
    uint64_t latest_rtt_ns, smoothed_rtt_ns, rttvar_ns, min_rtt_ns;
    uint8_t has_rtt;
    /* liveness */
    uint64_t last_recv_ns, last_sent_ns;
    unsigned consecutive_losses;
    uint8_t outstanding;              /* sent since the last receive */
    uint64_t outstanding_since_ns;    /* first send after the last receive */
    uint64_t created_ns, validated_ns, failed_ns;
    uint8_t fail_pending;             /* poll() still has to report FAILED */
    uint8_t probing;                  /* VALIDATED path with a liveness challenge out */
} us__path;

/* Events reported by us__paths_poll(). */
enum us__path_event_kind {
    US_PATH_EV_SEND_CHALLENGE = 1,    /* (re)send `challenge` on path `id` (fresh bytes) */
    US_PATH_EV_FAILED,                /* validation of `id` gave up, or `id` was declared dead */
    US_PATH_EV_FAILOVER,              /* the active path changed from `prev` to `id` (-1 = none) */
};
typedef struct us__path_event {
    int kind;
    int id;
    int prev;
    uint8_t challenge[US_PATH_CHALLENGE_LEN];
} us__path_event;

/* The registry. Layout public so it can be embedded; do not touch fields. */
typedef struct us__paths {
    us__path_config cfg;
    us__path p[US_PATH_MAX];
    int primary;                      /* -1 = none */
    int active;                       /* last path select() returned / poll() announced; -1 */
    int failover_pending;             /* the active path died: poll() announces the new one */
    int failover_prev;
} us__paths;

void us__path_config_default(us__path_config *cfg);

/* Initialises the registry (cfg NULL = defaults; cfg is copied). No allocation. */
void us__paths_init(us__paths *r, const us__path_config *cfg);

/* Adds the path (local, peer) in state UNVALIDATED and returns its id (0..US_PATH_MAX-1),
 * or the id of the existing path with the same addresses (its state unchanged). Lengths
 * must be 1..US_PATH_ADDR_MAX (else UMBRA_EINVAL). When all slots are in use, the oldest
 * FAILED path is recycled; if none is FAILED, UMBRA_ENOSPACE. */
int us__paths_add(us__paths *r, const uint8_t *local, size_t local_len, const uint8_t *peer,
                  size_t peer_len, uint64_t now);
/* Id of the path with these addresses, or UMBRA_ENOENT. */
int us__paths_find(const us__paths *r, const uint8_t *local, size_t local_len,
                   const uint8_t *peer, size_t peer_len);
/* Frees slot `id` (UMBRA_EINVAL if not in use). Removing the active path behaves like its
 * death (a FAILOVER event follows). */
int us__paths_remove(us__paths *r, int id);
/* Read access to a path, or NULL for a bad/free id. */
const us__path *us__paths_get(const us__paths *r, int id);

/* Marks `id` validated without a challenge — e.g. the path the authenticated handshake ran
 * on, which is validated by the handshake itself. */
int us__paths_set_validated(us__paths *r, int id, uint64_t now);
/* Makes `id` the primary path (it must be in use). */
int us__paths_set_primary(us__paths *r, int id);

/* Starts (or restarts) validation of `id`: draws a fresh challenge with uc_random(), writes
 * it to `out` (the caller sends it in a PATH_CHALLENGE on that path) and arms the
 * retransmission timer. UNVALIDATED / FAILED / VALIDATING paths move to VALIDATING. On a
 * VALIDATED path it is a liveness probe: the path stays VALIDATED (and usable); if no
 * response arrives after max_retries retransmissions it is declared dead (FAILED).
 * Returns 0 or UMBRA_EINVAL. */
int us__paths_challenge(us__paths *r, int id, uint64_t now, uint8_t out[US_PATH_CHALLENGE_LEN]);

/* A PATH_RESPONSE arrived (on any path). Compares `resp` in constant time with every kept
 * challenge of every path awaiting one; on a match the owning path becomes VALIDATED, an RTT
 * sample (now - time the matching challenge was sent) is taken, all of its challenges are
 * forgotten (a response is good once), and its id is returned (>= 0). Responses to a
 * liveness probe of a VALIDATED path match the same way. Otherwise UMBRA_EAUTH and nothing
 * changes (e.g. a late response for a path that already FAILED). */
int us__paths_on_response(us__paths *r, const uint8_t resp[US_PATH_CHALLENGE_LEN], uint64_t now);

/* Traffic accounting. on_recv: an authenticated datagram/frame of `bytes` arrived on `id`
 * (raises the amplification allowance, clears loss/idle state). on_sent: `bytes` were sent
 * on `id`. Both return 0 or UMBRA_EINVAL. */
int us__paths_on_recv(us__paths *r, int id, size_t bytes, uint64_t now);
int us__paths_on_sent(us__paths *r, int id, size_t bytes, uint64_t now);
/* How many more bytes may be sent on `id` now: UINT64_MAX once validated, 0 for a FAILED
 * or free slot, else factor × recv − sent (RFC 9000 §8.1). */
uint64_t us__paths_send_allowance(const us__paths *r, int id);

/* An RTT sample (ns) for `id` — e.g. from an ACK. RFC 9002 §5.3 update. Returns 0 or
 * UMBRA_EINVAL (also for rtt_ns == 0, which is no sample). */
int us__paths_on_rtt(us__paths *r, int id, uint64_t rtt_ns);
/* A packet sent on `id` was declared lost / acknowledged. on_loss may declare the path dead
 * (then poll() reports FAILED and, if it was active, FAILOVER). */
int us__paths_on_loss(us__paths *r, int id, uint64_t now);
int us__paths_on_ack(us__paths *r, int id, uint64_t now);

/* Drives timers and reports one event per call: returns 1 and fills *ev, or 0 when nothing
 * is due. Call in a loop until 0 after every timer expiry (see next_timeout) and after
 * on_loss / remove. Handles: challenge retransmission (fresh challenge, timeout doubles),
 * validation failure after max_retries, idle death of validated paths, failover. */
int us__paths_poll(us__paths *r, uint64_t now, us__path_event *ev);

/* Earliest time poll() has something to do, UINT64_MAX when no timer is armed. */
uint64_t us__paths_next_timeout(const us__paths *r);

/* The scheduler: the id of the path to send on (see the header comment), or UMBRA_ENOENT
 * when no path is validated. Records the choice as the active path. */
int us__paths_select(us__paths *r);

#endif
