/* fuzz_session_cc.c — drives the congestion controller and pacer with arbitrary event
 * sequences (sends, ACKs, losses, timeouts, app-limited marks, time jumps — also backwards)
 * and checks the bookkeeping invariants after every step: inflight equals the bytes of
 * packets neither acked nor lost, cwnd >= the minimum, the pacing rate is positive, and
 * can_send's answer is consistent. UBSan catches arithmetic overflow. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cc.h"

#define SLOTS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    us__cc cc;
    us__cc_pkt pk[SLOTS];
    uint8_t out[SLOTS] = {0};
    uint64_t now = 1000;
    us__cc_init(&cc, NULL, now);
    size_t i = 0;
    while (i + 2 <= size) {
        uint8_t op = data[i], a = data[i + 1];
        i += 2;
        unsigned k = a % SLOTS;
        switch (op % 9) {
        case 0:
            if (!out[k]) {
                us__cc_on_sent(&cc, &pk[k], (size_t)a * 16 + 1, now);
                out[k] = 1;
            }
            break;
        case 1:
            if (out[k]) {
                us__cc_on_ack(&cc, &pk[k], now);
                out[k] = 0;
            }
            break;
        case 2:
            if (out[k]) {
                us__cc_on_lost(&cc, &pk[k], now);
                out[k] = 0;
            }
            break;
        case 3: now += (uint64_t)a << (op / 9 % 40); break;
        case 4: us__cc_on_timeout(&cc, now); break;
        case 5: us__cc_on_app_limited(&cc); break;
        case 6: {
            uint64_t when;
            int rc = us__cc_can_send(&cc, (size_t)a * 16 + 1, now, &when);
            if (rc == 0 && when != now) abort();
            if (rc != 0 && (rc != UMBRA_EAGAIN || when <= now)) abort();
            break;
        }
        case 7: now -= now > a ? a : 0; break; /* a caller's clock going backwards */
        case 8:
            if (out[k]) {
                us__cc_on_ack_rtt(&cc, &pk[k], now, (uint64_t)a * 1000);
                us__cc_on_ack(&cc, &pk[k], now); /* duplicate report: ignored */
                out[k] = 0;
            }
            break;
        }
        uint64_t sum = 0;
        for (unsigned s = 0; s < SLOTS; s++)
            if (out[s]) sum += pk[s].size;
        us__cc_snapshot sn;
        us__cc_snapshot_get(&cc, &sn);
        if (sn.inflight != sum) abort();
        if (sn.cwnd < (uint64_t)cc.cfg.min_cwnd_pkts * cc.cfg.mss) abort();
        if (sn.pacing_rate == 0) abort();
        if (sn.phase < US_CC_STARTUP || sn.phase > US_CC_PROBE_RTT) abort();
        if (sn.congested_rounds > sn.rounds) abort();
        /* a loss bound is set only with a model to bound, and never to zero */
        if (sn.bw_lo == 0) abort();
    }
    return 0;
}
