/* exitcode.c — guest: leaves with the status asked for on the command line, by the route
 * asked for: "ret N" returns N from main, "exit N" calls exit() from a nested call after
 * registering an atexit handler (which must run and flush), "buffered N" leaves unflushed
 * stdout behind exit() (stdio must still flush). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void bye(void) { printf("atexit ran\n"); }

/* Through a volatile pointer so the compiler keeps the nested frames. */
static void (*volatile leave)(int) = exit;

static void deep(int depth, int code) {
    if (depth > 0) deep(depth - 1, code);
    leave(code);
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: exitcode ret|exit|buffered N\n");
        return 2;
    }
    int code = atoi(argv[2]);
    printf("mode %s code %d\n", argv[1], code);
    if (!strcmp(argv[1], "ret")) return code;
    if (!strcmp(argv[1], "exit")) {
        atexit(bye);
        deep(10, code);
    }
    if (!strcmp(argv[1], "buffered")) {
        printf("unflushed text");
        exit(code);
    }
    return 2;
}
