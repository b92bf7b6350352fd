/* cmd_profile.c - `edgerun profile MODEL`: where the time goes, per node of
 * the planned graph (after fusion), averaged over timed runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ops/op.h"
#include "runtime/session.h"

static void usage(FILE *f) {
    fprintf(f, "usage: edgerun profile MODEL [--threads N] [--runs N] [--top N] [--no-optimize]\n\n"
               "Runs the model (seeded random inputs) and prints the time of every planned\n"
               "node, slowest first: op, output shape, MACs, GFLOP/s and share of the total.\n");
}

typedef struct { int step; double ms; } row;

static int by_time(const void *a, const void *b) {
    double x = ((const row *)a)->ms, y = ((const row *)b)->ms;
    return x < y ? 1 : x > y ? -1 : 0;
}

int cmd_profile(int argc, char **argv) {
    const char *path = NULL;
    long threads = 1, runs = 20, top = 30;
    int optimize = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
            if (!cli_int_arg("profile", "--threads", argv[++i], 0, 256, &threads)) return 2;
        } else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
            if (!cli_int_arg("profile", "--runs", argv[++i], 1, 1000000, &runs)) return 2;
        } else if (strcmp(argv[i], "--top") == 0 && i + 1 < argc) {
            if (!cli_int_arg("profile", "--top", argv[++i], 1, 1000000, &top)) return 2;
        } else if (strcmp(argv[i], "--no-optimize") == 0) {
            optimize = 0;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "edgerun profile: unknown or incomplete option '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        } else if (!path) {
            path = argv[i];
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (!path) {
        usage(stderr);
        return 2;
    }
    int rc = 1;
    er_model *m = NULL;
    er_session *s = NULL;
    er_tensor *in[256] = {0}, *out[256];
    row *rows = NULL;
    if (er_model_load(path, &m) != ER_OK) return cli_fail("profile");
    er_options o;
    er_options_init(&o);
    o.threads = (int)threads;
    o.optimize = optimize;
    if (er_session_create(m, &o, &s) != ER_OK) {
        cli_fail("profile");
        goto done;
    }
    if (er_session_is_dynamic(s)) {
        fprintf(stderr, "edgerun profile: dynamic graphs are not profiled per node\n");
        goto done;
    }
    int n_in = er_model_input_count(m);
    if (n_in > 256 || er_model_output_count(m) > 256) goto done;
    cli_seed(1);
    for (int i = 0; i < n_in; i++)
        if (!cli_random_input(s, i, &in[i])) {
            cli_fail("profile");
            goto done;
        }
    for (int w = 0; w < 3; w++) /* warm-up */
        if (er_session_run(s, (const er_tensor *const *)in, out) != ER_OK) {
            cli_fail("profile");
            goto done;
        }
    er_session_set_profiling(s, true);
    for (long r = 0; r < runs; r++)
        if (er_session_run(s, (const er_tensor *const *)in, out) != ER_OK) {
            cli_fail("profile");
            goto done;
        }
    rows = calloc((size_t)(s->n_steps ? s->n_steps : 1), sizeof *rows);
    if (!rows) goto done;
    double total = 0;
    for (int i = 0; i < s->n_steps; i++) {
        rows[i].step = i;
        rows[i].ms = s->steps[i].total_ns / 1e6 / (double)s->profiled_runs;
        total += rows[i].ms;
    }
    qsort(rows, (size_t)s->n_steps, sizeof *rows, by_time);
    printf("%s: %d nodes, %.3f ms per run (sum of nodes, %ld runs, %ld thread%s)\n", path,
           s->n_steps, total, runs, threads, threads == 1 ? "" : "s");
    printf("%9s %6s %8s  %-24s %-20s %s\n", "ms", "%", "GFLOP/s", "op", "output", "node");
    for (int k = 0; k < s->n_steps && k < top; k++) {
        const er_step *sp = &s->steps[rows[k].step];
        const er_node *n = &s->g->nodes[sp->node];
        uint64_t macs = n->op->macs ? n->op->macs(&sp->ctx) : 0;
        const er_tensor *y = sp->ctx.out[0];
        char shape[64] = "";
        size_t pos = 0;
        for (int d = 0; d < y->rank && pos < sizeof shape; d++)
            pos += (size_t)snprintf(shape + pos, sizeof shape - pos, "%s%lld", d ? "x" : "",
                                    (long long)y->dims[d]);
        const char *act = er_attr_str(n, "act", "none");
        char op[64];
        snprintf(op, sizeof op, "%s%s%s", n->op_type, strcmp(act, "none") ? "+" : "",
                 strcmp(act, "none") ? act : "");
        printf("%9.4f %6.2f %8.1f  %-24s %-20s %s\n", rows[k].ms, 100 * rows[k].ms / total,
               macs && rows[k].ms > 0 ? 2.0 * (double)macs / (rows[k].ms * 1e6) : 0.0, op, shape,
               n->name);
    }
    rc = 0;
done:
    free(rows);
    for (int i = 0; i < 256; i++) er_tensor_free(in[i]);
    er_session_free(s);
    er_model_free(m);
    return rc;
}
