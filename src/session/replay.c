/* replay.c — sliding anti-replay window (see replay.h). Ring bitmap per RFC 6479: bit
 * (seq mod W) stands for seq while seq lies in (top - W, top]; moving `top` forward clears
 * the bits of the numbers that enter the window, word by word when the jump is large. */
#include "replay.h"

#include <string.h>

#define W ((uint64_t)US_REPLAY_WINDOW)
#define WORDS (US_REPLAY_WINDOW / 64)

void us__replay_init(us__replay *w) { memset(w, 0, sizeof *w); }

static int bit_get(const us__replay *w, uint64_t seq) {
    uint64_t i = seq & (W - 1);
    return (int)((w->bits[i >> 6] >> (i & 63)) & 1u);
}

static void bit_set(us__replay *w, uint64_t seq) {
    uint64_t i = seq & (W - 1);
    w->bits[i >> 6] |= (uint64_t)1 << (i & 63);
}

/* 0, UMBRA_EREPLAY or UMBRA_ERANGE, without side effects. */
static int classify(const us__replay *w, uint64_t seq) {
    if (!w->any || seq > w->top) return 0;
    if (w->top - seq >= W) return UMBRA_ERANGE;
    return bit_get(w, seq) ? UMBRA_EREPLAY : 0;
}

int us__replay_check(us__replay *w, uint64_t seq) {
    int rc = classify(w, seq);
    if (rc == UMBRA_EREPLAY) w->n_replayed++;
    else if (rc == UMBRA_ERANGE) w->n_too_old++;
    return rc;
}

/* Slides the window so that `seq` (> top, or the first number) becomes the top: every
 * number in (top, seq] enters the window and must start unseen. */
static void advance(us__replay *w, uint64_t seq) {
    uint64_t gap = w->any ? seq - w->top : W;
    if (gap >= W) {
        memset(w->bits, 0, sizeof w->bits);
    } else {
        /* Clear bits top+1 .. seq (mod W): single bits up to a word boundary, then whole
         * words — at most W/64 word writes however large the gap. */
        uint64_t s = w->top + 1, left = gap; /* numbers still to clear; s wraps harmlessly */
        while (left > 0) {
            uint64_t i = s & (W - 1);
            if ((i & 63) == 0 && left >= 64) {
                w->bits[i >> 6] = 0;
                s += 64;
                left -= 64;
            } else {
                w->bits[i >> 6] &= ~((uint64_t)1 << (i & 63));
                s++;
                left--;
            }
        }
    }
    w->top = seq;
    w->any = 1;
}

int us__replay_commit(us__replay *w, uint64_t seq) {
    int rc = classify(w, seq);
    if (rc != 0) return rc;
    if (!w->any || seq > w->top) advance(w, seq);
    bit_set(w, seq);
    w->n_accepted++;
    return 0;
}

int us__replay_accept(us__replay *w, uint64_t seq) {
    int rc = us__replay_check(w, seq);
    return rc != 0 ? rc : us__replay_commit(w, seq);
}

uint64_t us__replay_top(const us__replay *w, int *any) {
    if (any) *any = w->any;
    return w->any ? w->top : 0;
}
