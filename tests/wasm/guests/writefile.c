/* writefile.c — guest: creates DIR/out.txt (needs a writable preopen), writes lines,
 * appends, reads it back, and prints what it read; also reports clock and random sanity
 * (monotonic clock does not go backwards, random bytes are not all zero). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    char p[512];
    snprintf(p, sizeof p, "%s/out.txt", argv[1]);
    FILE *f = fopen(p, "w");
    if (!f) {
        printf("create failed\n");
        return 1;
    }
    for (int i = 0; i < 3; i++) fprintf(f, "line %d\n", i);
    fclose(f);
    f = fopen(p, "a");
    if (!f) return 1;
    fputs("appended\n", f);
    fclose(f);
    f = fopen(p, "r");
    if (!f) return 1;
    char line[128];
    while (fgets(line, sizeof line, f)) printf("read: %s", line);
    fclose(f);
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    clock_gettime(CLOCK_MONOTONIC, &b);
    int mono_ok = (b.tv_sec > a.tv_sec) || (b.tv_sec == a.tv_sec && b.tv_nsec >= a.tv_nsec);
    unsigned char r[32] = {0};
    arc4random_buf(r, sizeof r);
    int nz = 0;
    for (size_t i = 0; i < sizeof r; i++) nz |= r[i];
    printf("clock %s random %s\n", mono_ok ? "ok" : "bad", nz ? "ok" : "bad");
    return 0;
}
