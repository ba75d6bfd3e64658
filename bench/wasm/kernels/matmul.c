/* matmul.c — bench kernel: dense matrix multiply (f64, i-k-j loop order) plus an integer
 * matrix multiply with wrapping u32 arithmetic. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define N 240

int main(void) {
    double *a = malloc(sizeof(double) * N * N), *b = malloc(sizeof(double) * N * N);
    double *c = malloc(sizeof(double) * N * N);
    uint32_t *ia = malloc(sizeof(uint32_t) * N * N), *ib = malloc(sizeof(uint32_t) * N * N);
    uint32_t *ic = malloc(sizeof(uint32_t) * N * N);
    if (!a || !b || !c || !ia || !ib || !ic) return 1;
    for (int i = 0; i < N * N; i++) {
        a[i] = (double)((i * 7) % 13) / 8.0 - 0.5;
        b[i] = (double)((i * 11) % 17) / 16.0 - 0.25;
        ia[i] = (uint32_t)i * 2654435761u;
        ib[i] = (uint32_t)i ^ 0x5bd1e995u;
    }
    double dsum = 0;
    uint32_t isum = 0;
    for (int rep = 0; rep < 24; rep++) {
        for (int i = 0; i < N * N; i++) c[i] = 0, ic[i] = 0;
        for (int i = 0; i < N; i++)
            for (int k = 0; k < N; k++) {
                double av = a[i * N + k];
                uint32_t iav = ia[i * N + k];
                for (int j = 0; j < N; j++) {
                    c[i * N + j] += av * b[k * N + j];
                    ic[i * N + j] += iav * ib[k * N + j];
                }
            }
        for (int i = 0; i < N * N; i++) dsum += c[i], isum = isum * 31 + ic[i];
        a[rep] += 1.0; /* make each repetition different */
        ia[rep] += 1;
    }
    printf("matmul checksum %.6f %u\n", dsum, isum);
    free(a), free(b), free(c), free(ia), free(ib), free(ic);
    return 0;
}
