/* hello.c — guest: formatted output through stdio (fd_write, buffering, printf of
 * integers, floats and strings). Built natively and to wasm32-wasi; stdout must match. */
#include <stdio.h>
#include <string.h>

int main(void) {
    printf("hello, world\n");
    printf("int %d %u %ld %lld %x %o\n", -42, 4000000000u, 123456L, -9000000000LL, 0xbeefu, 8u);
    printf("float %.3f %g %e\n", 3.14159, 1.0 / 3.0, 6.02214076e23);
    printf("str [%10s] [%-6s] [%.3s] %c\n", "right", "left", "truncate", 'z');
    fputs("puts line", stdout);
    putchar('\n');
    char big[3000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    printf("%s\n", big); /* longer than the stdio buffer: several fd_write calls */
    fprintf(stderr, "this goes to stderr\n");
    return 0;
}
