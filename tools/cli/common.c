/* common.c - helpers shared by the CLI commands. */
#include <stdio.h>

#include "cli.h"

int cli_fail(const char *cmd) {
    fprintf(stderr, "edgerun %s: %s\n", cmd, er_last_error());
    return 1;
}
