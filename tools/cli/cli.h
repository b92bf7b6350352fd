/* cli.h - commands of the edgerun CLI and their shared helpers. */
#ifndef ER_CLI_H
#define ER_CLI_H

#include "edgerun.h"

#include <stdint.h>

int cmd_info(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_profile(int argc, char **argv);
int cmd_convert(int argc, char **argv);

/* Seeded random inputs (splitmix64): floats uniform in [0,1), ints in [0,10). */
void cli_seed(uint64_t seed);
/* Creates a random tensor with session input i's planned dtype and shape;
 * returns 0 on failure (er_last_error says why). */
int cli_random_input(const er_session *s, int i, er_tensor **out);
/* Prints s as a JSON string literal to stdout. */
void cli_json_str(const char *s);
/* Parses a positive integer option value; returns 0 on error. */
int cli_int_arg(const char *cmd, const char *opt, const char *val, long lo, long hi, long *out);

/* Prints "edgerun <cmd>: <er_last_error()>" to stderr and returns 1. */
int cli_fail(const char *cmd);

#endif
