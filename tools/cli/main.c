/* main.c - the edgerun command line: dispatches to cmd_<verb>.c. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *help;
} k_commands[] = {
    {"info", cmd_info, "ops, params, MACs, weight bytes, arena size, inputs/outputs"},
    {"run", cmd_run, "one inference: .npy inputs in, .npy outputs out"},
    {"bench", cmd_bench, "load/session/first-run times, latency percentiles, peak memory"},
    {"profile", cmd_profile, "time of every node of the planned graph, slowest first"},
    {"eval", cmd_eval, "top-1/top-5 accuracy on a labelled image set (IDX files)"},
    {"convert", cmd_convert, "to .erm, the native format (mmapped, zero-copy weights)"},
};

static void usage(FILE *f) {
    fprintf(f, "usage: edgerun COMMAND [options]   (edgerun COMMAND --help for details)\n\n"
               "commands:\n");
    for (size_t i = 0; i < sizeof k_commands / sizeof k_commands[0]; i++)
        fprintf(f, "  %-10s %s\n", k_commands[i].name, k_commands[i].help);
    fprintf(f, "\nedgerun %s\n", er_version());
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("edgerun %s\n", er_version());
        return 0;
    }
    for (size_t i = 0; i < sizeof k_commands / sizeof k_commands[0]; i++)
        if (strcmp(argv[1], k_commands[i].name) == 0) return k_commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "edgerun: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
