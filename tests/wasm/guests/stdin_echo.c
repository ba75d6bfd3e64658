/* stdin_echo.c — guest: copies standard input to standard output (upper-cased), counting
 * bytes, then reports the count; exercises fd_read on stdio. */
#include <ctype.h>
#include <stdio.h>

int main(void) {
    int c;
    long n = 0;
    while ((c = getchar()) != EOF) {
        putchar(toupper(c));
        n++;
    }
    printf("\n%ld bytes\n", n);
    return 0;
}
