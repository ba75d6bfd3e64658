/* argsenv.c — guest: echoes its arguments (argv[1..]) and the values of the environment
 * variables named by arguments of the form "$NAME" (so the comparison with the native run
 * does not depend on the whole host environment). */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    printf("argc %d\n", argc);
    for (int i = 1; i < argc; i++) {
        printf("argv[%d] = [%s]\n", i, argv[i]);
        if (argv[i][0] == '$') {
            const char *v = getenv(argv[i] + 1);
            printf("  env %s = %s%s%s\n", argv[i] + 1, v ? "[" : "", v ? v : "(unset)", v ? "]" : "");
        }
    }
    return 0;
}
