/*
 * replay.h — sliding anti-replay window over 64-bit packet sequence numbers (internal to
 * src/session/; prefix us__). One window per (session, stream, direction).
 *
 * The window remembers the highest sequence number accepted so far (`top`) and, in a ring
 * bitmap of US_REPLAY_WINDOW bits, which of the US_REPLAY_WINDOW numbers ending at `top` were
 * seen (the bitmap technique of RFC 6479, the rule of RFC 4303 §3.4.3 / RFC 9147 §4.5.1):
 *   - seq > top                        → new: accepted, the window slides forward;
 *   - top - seq <  US_REPLAY_WINDOW     → inside: accepted once, then a duplicate;
 *   - top - seq >= US_REPLAY_WINDOW     → too old: rejected (we cannot tell whether it was seen).
 * Any sequence number 0..UINT64_MAX is valid, including 0 as the first one; a jump of any
 * size is accepted (it just empties the bitmap). Wraparound of the 64-bit space is not
 * supported — the session rekeys long before (docs/PROTOCOL.md).
 *
 * ORDER OF USE (architecture.md, the "failed decrypt never desyncs" rule): consult the window
 * ONLY after the packet's AEAD tag verified, otherwise an attacker could poison it with
 * forged sequence numbers. check() and commit() are separate so the caller can verify →
 * check → process → commit (or drop without committing if processing fails):
 *
 *     if (uc_aead_open(...) != 0) drop;                  // unauthenticated: window untouched
 *     if ((rc = us__replay_check(&w, seq)) != 0) drop;   // counted as replay / too old
 *     ... handle the payload ...
 *     us__replay_commit(&w, seq);
 *
 * No allocation, no OS calls; the struct is plain data (copyable, zero-initialisable with
 * us__replay_init). Not thread-safe: one owner at a time.
 */
#ifndef UMBRA_SESSION_REPLAY_H
#define UMBRA_SESSION_REPLAY_H

#include <stdint.h>

#include "umbra/base.h"

/* Window size in packets: a power of two, >= 128. Override at compile time with
 * -DUS_REPLAY_WINDOW=N. 2048 costs 256 bytes per window and tolerates 2047 packets of
 * reordering (multi-path legs with different RTTs reorder a lot). */
#ifndef US_REPLAY_WINDOW
#define US_REPLAY_WINDOW 2048
#endif
#if (US_REPLAY_WINDOW < 128) || (US_REPLAY_WINDOW & (US_REPLAY_WINDOW - 1))
#error "US_REPLAY_WINDOW must be a power of two >= 128"
#endif

/* Layout public so the window can be embedded in a stream struct; do not touch fields. */
typedef struct us__replay {
    uint64_t top;                             /* highest committed sequence number */
    uint64_t bits[US_REPLAY_WINDOW / 64];     /* bit (s % W) set = s was committed */
    uint8_t any;                              /* 0 until the first commit */
    uint64_t n_accepted;                      /* commits */
    uint64_t n_replayed;                      /* check() rejections: duplicate inside window */
    uint64_t n_too_old;                       /* check() rejections: below the window */
} us__replay;

/* Resets w to "nothing seen" and zeroes the counters. */
void us__replay_init(us__replay *w);

/* Would `seq` be accepted? Returns 0 if yes; UMBRA_EREPLAY if it was already committed;
 * UMBRA_ERANGE if it is too old to tell (top - seq >= US_REPLAY_WINDOW). Does not mark seq
 * as seen, but a rejection increments n_replayed / n_too_old (each rejected check is one
 * dropped packet). Call only for packets whose AEAD tag verified. */
int us__replay_check(us__replay *w, uint64_t seq);

/* Marks `seq` as seen (sliding the window forward when seq > top). Returns 0, or the same
 * error check() would give if seq is not acceptable — then nothing changes and no counter
 * moves (the caller is expected to have called check() first). */
int us__replay_commit(us__replay *w, uint64_t seq);

/* check() then commit() in one step, for callers with nothing to do in between. */
int us__replay_accept(us__replay *w, uint64_t seq);

/* Highest committed sequence number; *any = 0 when nothing was committed yet (then 0). */
uint64_t us__replay_top(const us__replay *w, int *any);

#endif
