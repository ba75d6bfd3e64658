/* cli.h — shared by the umbra command implementations (src/cli/cmd_*.c). Only src/cli/
 * talks to the terminal. */
#ifndef UMBRA_CLI_H
#define UMBRA_CLI_H

#include <stdio.h>

/* Process exit codes (documented in docs/CLI.md; keep the two in sync). */
enum {
    UMBRA_EXIT_OK = 0,       /* success */
    UMBRA_EXIT_FAIL = 1,     /* the operation failed (I/O, network, peer, ...) */
    UMBRA_EXIT_USAGE = 2,    /* bad command line */
    UMBRA_EXIT_INPUT = 3,    /* invalid input: malformed module, corrupt file, bad key */
    UMBRA_EXIT_TRAP = 134,   /* umbra run: the guest trapped (incl. fuel / deadline) */
};

/* Each command: int cmd_NAME(int argc, char **argv), argv[0] = command name. A command
 * prints its own --help (exit 0) and its errors ("umbra NAME: message" on stderr). */
#define X(name, summary) int cmd_##name(int argc, char **argv);
#include "commands.def"
#undef X

/* Prints "umbra CMD: <formatted message>\n" to stderr; returns `code` for tail calls. */
int cli_error(const char *cmd, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Returns 1 if argv contains -h or --help before any "--". */
int cli_wants_help(int argc, char **argv);
/* Resolves $UMBRA_HOME (default ~/.local/share/umbra) into buf; creates it 0700 when
 * `create`. Returns 0 or a negative UMBRA_E* code. */
int cli_home(char *buf, size_t cap, int create);

#endif
