/* cmd_listen.c — `umbra listen`: accept secure sessions (pipe or TCP port forward). The
 * implementation is shared with `umbra connect` (cmd_connect.c). */
#include "cli.h"

int cli_session_main(const char *cmd, int argc, char **argv, int is_server);

int cmd_listen(int argc, char **argv) { return cli_session_main("listen", argc, argv, 1); }
