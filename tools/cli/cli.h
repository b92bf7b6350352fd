/* cli.h - commands of the edgerun CLI and their shared helpers. */
#ifndef ER_CLI_H
#define ER_CLI_H

#include "edgerun.h"

int cmd_info(int argc, char **argv);
int cmd_run(int argc, char **argv);

/* Prints "edgerun <cmd>: <er_last_error()>" to stderr and returns 1. */
int cli_fail(const char *cmd);

#endif
