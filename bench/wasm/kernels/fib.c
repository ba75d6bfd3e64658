/* fib.c — bench kernel: naive doubly-recursive Fibonacci (call-heavy). */
#include <stdint.h>
#include <stdio.h>

static uint32_t fib(uint32_t n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

int main(void) {
    uint32_t sum = 0;
    for (uint32_t n = 32; n <= 37; n++) sum += fib(n);
    printf("fib checksum %u\n", sum);
    return 0;
}
