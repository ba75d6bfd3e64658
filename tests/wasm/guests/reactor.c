/* reactor.c — guest built as a WASI reactor (-mexec-model=reactor): no main; a constructor
 * runs in _initialize, and the export square_sum is called with `umbra run --invoke`. It
 * prints through stdio (WASI fd_write) and returns an i64. */
#include <stdio.h>
#include <stdlib.h>

static int *table;

__attribute__((constructor)) static void init(void) {
    table = calloc(10, sizeof *table);
    for (int i = 0; table && i < 10; i++) table[i] = i * i;
}

/* k + 0^2 + 1^2 + ... + (n-1)^2 (n capped at 10); -1 if the constructor did not run. */
__attribute__((export_name("square_sum"))) long long square_sum(int n, long long k) {
    if (!table) return -1;
    long long s = k;
    for (int i = 0; i < n && i < 10; i++) s += table[i];
    printf("square_sum(%d)\n", n);
    fflush(stdout);
    return s;
}
