/* alloc.c — guest: malloc-heavy workload (many small and large allocations, realloc
 * growth, frees in mixed order), so memory.grow and the allocator are exercised. Prints a
 * checksum that must match the native build. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t rng = 12345;
static uint32_t next(void) {
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

int main(void) {
    enum { SLOTS = 4096, ROUNDS = 200000 };
    uint8_t **slot = calloc(SLOTS, sizeof *slot);
    uint32_t *len = calloc(SLOTS, sizeof *len);
    if (!slot || !len) return 1;
    uint64_t sum = 0;
    size_t peak = 0, live = 0;
    for (int r = 0; r < ROUNDS; r++) {
        uint32_t i = next() % SLOTS;
        if (slot[i]) {
            for (uint32_t k = 0; k < len[i]; k += 61) sum += slot[i][k];
            live -= len[i];
            if (next() & 1) {
                free(slot[i]);
                slot[i] = NULL;
                continue;
            }
            uint32_t nl = len[i] * 2 + 1;
            if (nl > 200000) nl = 17;
            uint8_t *p = realloc(slot[i], nl);
            if (!p) return 1;
            memset(p + (nl > len[i] ? len[i] : nl), (int)(r & 0xff), nl > len[i] ? nl - len[i] : 0);
            slot[i] = p;
            len[i] = nl;
            live += nl;
        } else {
            uint32_t n = (next() % 16 == 0) ? 1000 + next() % 60000 : 1 + next() % 200;
            slot[i] = malloc(n);
            if (!slot[i]) return 1;
            memset(slot[i], (int)(next() & 0xff), n);
            len[i] = n;
            live += n;
        }
        if (live > peak) peak = live;
    }
    for (int i = 0; i < SLOTS; i++) free(slot[i]);
    free(slot);
    free(len);
    /* One big block: several MiB, touched end to end. */
    size_t bign = 8u << 20;
    uint8_t *big = malloc(bign);
    if (!big) return 1;
    for (size_t k = 0; k < bign; k++) big[k] = (uint8_t)(k * 7);
    for (size_t k = 0; k < bign; k += 4093) sum += big[k];
    free(big);
    printf("alloc checksum %llu peak %zu\n", (unsigned long long)sum, peak);
    return 0;
}
