/* main.c — the umbra binary: dispatch to commands listed in commands.def. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "umbra/base.h"

#ifndef UMBRA_VERSION
#define UMBRA_VERSION "0.0.0"
#endif

struct command {
    const char *name;
    const char *summary;
    int (*fn)(int, char **);
};

static const struct command commands[] = {
#define X(name, summary) {#name, summary, cmd_##name},
#include "commands.def"
#undef X
    {NULL, NULL, NULL},
};

static void usage(FILE *f) {
    fprintf(f,
            "umbra %s — secure edge runtime\n\n"
            "usage: umbra <command> [options]\n"
            "       umbra <command> --help   (or: umbra help <command>)\n"
            "       umbra --version\n\n"
            "commands:\n",
            UMBRA_VERSION);
    for (const struct command *c = commands; c->name; c++) fprintf(f, "  %-10s %s\n", c->name, c->summary);
    fprintf(f,
            "\nenvironment:\n"
            "  UMBRA_HOME   state directory (default ~/.local/share/umbra)\n"
            "  UMBRA_LOG    log level: debug, info, warn (default), error, off\n"
            "\nexit codes: 0 ok, 1 failure, 2 usage, 3 invalid input, 134 guest trap;\n"
            "`umbra run` exits with the guest's own exit code. See docs/CLI.md.\n");
}

int cli_error(const char *cmd, int code, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "umbra %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return code;
}

int cli_wants_help(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--")) break;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) return 1;
    }
    return 0;
}

int cli_home(char *buf, size_t cap, int create) {
    const char *h = getenv("UMBRA_HOME");
    int n;
    if (h && *h) {
        n = snprintf(buf, cap, "%s", h);
    } else {
        const char *home = getenv("HOME");
        if (!home || !*home) return UMBRA_ENOENT;
        n = snprintf(buf, cap, "%s/.local/share/umbra", home);
    }
    if (n < 0 || (size_t)n >= cap) return UMBRA_ENOSPACE;
    if (create) {
        int rc = umbra_mkdirs(buf, 0700);
        if (rc) return rc;
        /* The state directory holds secrets: make sure it is 0700 even if it existed. */
        if (chmod(buf, 0700) != 0) return UMBRA_EPERM;
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return UMBRA_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        if (argc > 2 && strcmp(argv[1], "help") == 0) {
            char *hv[] = {argv[2], "--help", NULL};
            for (const struct command *c = commands; c->name; c++)
                if (!strcmp(c->name, argv[2])) return c->fn(2, hv);
            fprintf(stderr, "umbra: unknown command '%s' (see umbra --help)\n", argv[2]);
            return UMBRA_EXIT_USAGE;
        }
        usage(stdout);
        return UMBRA_EXIT_OK;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V") || !strcmp(argv[1], "version")) {
        printf("umbra %s\n", UMBRA_VERSION);
        return UMBRA_EXIT_OK;
    }
    for (const struct command *c = commands; c->name; c++)
        if (!strcmp(c->name, argv[1])) return c->fn(argc - 1, argv + 1);
    fprintf(stderr, "umbra: unknown command '%s' (see umbra --help)\n", argv[1]);
    return UMBRA_EXIT_USAGE;
}
