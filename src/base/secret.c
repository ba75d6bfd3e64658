/* secret.c — wiping and constant-time comparison (style.md: Monocypher WIPE_BUFFER). */
#include "umbra/base.h"

#include <string.h>

void umbra_wipe(void *p, size_t n) {
    volatile uint8_t *v = p;
    while (n--) *v++ = 0;
    __asm__ __volatile__("" : : "r"(p) : "memory");
}

int umbra_ct_equal(const void *a, const void *b, size_t n) {
    const volatile uint8_t *x = a, *y = b;
    uint8_t d = 0;
    for (size_t i = 0; i < n; i++) d |= (uint8_t)(x[i] ^ y[i]);
    /* (d - 1) >> 8 is 1 when d == 0, 0 otherwise, without a branch on d. */
    return (int)((((unsigned)d - 1u) >> 8) & 1u) - 1;
}
