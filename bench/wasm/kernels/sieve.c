/* sieve.c — bench kernel: sieve of Eratosthenes over a byte array, repeated (tight loops,
 * byte loads/stores, strided writes). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
    enum { N = 4000000, ROUNDS = 12 };
    uint8_t *comp = malloc(N + 1);
    if (!comp) return 1;
    uint64_t check = 0;
    for (int r = 0; r < ROUNDS; r++) {
        uint32_t lim = N - (uint32_t)r * 1000;
        memset(comp, 0, lim + 1);
        uint32_t count = 0;
        uint64_t sum = 0;
        for (uint32_t i = 2; i <= lim; i++) {
            if (comp[i]) continue;
            count++;
            sum += i;
            for (uint64_t j = (uint64_t)i * i; j <= lim; j += i) comp[j] = 1;
        }
        check = check * 31 + count + sum;
    }
    free(comp);
    printf("sieve checksum %llu\n", (unsigned long long)check);
    return 0;
}
