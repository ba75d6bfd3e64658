/* fuzz_session_path.c — arbitrary operation sequences on the path registry (add, remove,
 * challenge, genuine / forged / replayed responses, traffic, losses, RTT samples, time
 * jumps, poll, select) with invariants checked after every step: select() only returns a
 * validated path, the amplification allowance never exceeds 3 × received − sent on an
 * unvalidated path, poll() drains in a bounded number of calls, and a forged response never
 * validates anything. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "path.h"
#include "umbra/crypto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static int inited;
    if (!inited) {
        if (uc_init() != 0) abort();
        inited = 1;
    }
    us__path_config cfg;
    us__path_config_default(&cfg);
    cfg.challenge_timeout_ns = 1000;
    cfg.idle_timeout_ns = 5000;
    cfg.dead_losses = 3;
    us__paths r;
    us__paths_init(&r, &cfg);
    uint8_t last[4][US_PATH_CHALLENGE_LEN];
    int nlast = 0;
    uint64_t now = 0;
    size_t i = 0;
    while (i + 2 <= size) {
        uint8_t op = data[i], a = data[i + 1];
        i += 2;
        int id = a % (US_PATH_MAX + 1) - (a & 0x80 ? 1 : 0); /* includes -1 and US_PATH_MAX */
        uint8_t addr[3] = {(uint8_t)(a & 7), 1, 2};
        switch (op % 13) {
        case 0: us__paths_add(&r, addr, 1 + a % 3, addr, 3, now); break;
        case 1: us__paths_remove(&r, id); break;
        case 2:
            if (us__paths_challenge(&r, id, now, last[nlast % 4]) == 0) nlast++;
            break;
        case 3:
            if (nlast > 0) {
                int got = us__paths_on_response(&r, last[a % 4], now);
                if (got >= 0 && us__paths_get(&r, got)->state != US_PATH_VALIDATED) abort();
            }
            break;
        case 4: {
            uint8_t forged[US_PATH_CHALLENGE_LEN];
            memset(forged, a, sizeof forged);
            if (us__paths_on_response(&r, forged, now) >= 0) abort();
            break;
        }
        case 5: us__paths_on_recv(&r, id, (size_t)a * 10, now); break;
        case 6: us__paths_on_sent(&r, id, (size_t)a * 30, now); break;
        case 7: us__paths_on_loss(&r, id, now); break;
        case 8: us__paths_on_ack(&r, id, now); break;
        case 9: us__paths_on_rtt(&r, id, (uint64_t)a * 1000); break;
        case 10: now += (uint64_t)a << (op / 13 % 20); break;
        case 11: {
            us__path_event ev;
            int n = 0;
            while (us__paths_poll(&r, now, &ev) == 1)
                if (++n > 4 * US_PATH_MAX + 4) abort();
            if (us__paths_next_timeout(&r) <= now && us__paths_next_timeout(&r) != 0) {
                /* everything due was handled: a due timer may only remain for a path that
                 * just got a fresh deadline in the future */
                abort();
            }
            break;
        }
        case 12: us__paths_set_validated(&r, id, now); break;
        }
        int s = us__paths_select(&r);
        if (s >= 0 && us__paths_get(&r, s)->state != US_PATH_VALIDATED) abort();
        for (int p = 0; p < US_PATH_MAX; p++) {
            const us__path *ph = us__paths_get(&r, p);
            if (!ph || ph->state == US_PATH_VALIDATED || ph->state == US_PATH_FAILED) continue;
            uint64_t allow = us__paths_send_allowance(&r, p);
            if (allow > ph->bytes_recv * 3) abort();
        }
    }
    return 0;
}
