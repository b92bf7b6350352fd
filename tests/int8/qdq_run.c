/* qdq_run.c - test driver for QDQ models: runs a model as imported
 * ("plain": QuantizeLinear/DequantizeLinear and float ops) and after
 * er_pass_fold_qdq ("folded": edgerun int8 ops), writing the outputs as .npy.
 *
 *   qdq_run MODEL OUTDIR IN0.npy [IN1.npy ...]      both runs
 *   qdq_run --plain MODEL OUTDIR IN0.npy ...        the plain run only
 *   qdq_run --time N MODEL OUTDIR IN0.npy ...       also prints the median
 *                                                   of N timed runs of each
 *
 * Writes OUTDIR/plain_<k>.npy (and OUTDIR/folded_<k>.npy) for output k and
 * prints "folded N" and, after folding, the op types left in the graph as
 * "ops: A B C" (used by tests/int8/qdq_check.py to see that a pattern was
 * really replaced). Exit status 0 on success, 1 with a message otherwise. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "npy.h"
#include "passes/fold_qdq.h"
#include "runtime/model.h"
#include "runtime/session.h"

#define MAX_IO 16

static int g_repeat;

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int run(er_model *m, const char *outdir, const char *tag, er_tensor **in) {
    er_session *s;
    /* passes off: "plain" must run the graph as imported (the session's own
     * pipeline would fold QDQ too); the folded graph is folded explicitly */
    er_options o;
    er_options_init(&o);
    o.optimize = 0;
    if (er_session_create(m, &o, &s) != ER_OK) {
        fprintf(stderr, "qdq_run: %s session: %s\n", tag, er_last_error());
        return 1;
    }
    er_tensor *out[MAX_IO];
    int n_out = er_model_output_count(m);
    if (n_out > MAX_IO || er_session_run(s, (const er_tensor *const *)in, out) != ER_OK) {
        fprintf(stderr, "qdq_run: %s run: %s\n", tag, er_last_error());
        er_session_free(s);
        return 1;
    }
    if (g_repeat > 0) {
        double *t = malloc(sizeof(double) * (size_t)g_repeat);
        for (int r = 0; t && r < g_repeat; r++) {
            double t0 = now_ms();
            if (er_session_run(s, (const er_tensor *const *)in, out) != ER_OK) break;
            t[r] = now_ms() - t0;
        }
        if (t) {
            qsort(t, (size_t)g_repeat, sizeof(double), cmp_double);
            printf("%s: median %.3f ms of %d runs\n", tag, t[g_repeat / 2], g_repeat);
        }
        free(t);
    }
    for (int k = 0; k < n_out; k++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s_%d.npy", outdir, tag, k);
        if (er_npy_write(path, out[k]) != ER_OK) {
            fprintf(stderr, "qdq_run: %s\n", er_last_error());
            er_session_free(s);
            return 1;
        }
    }
    er_session_free(s);
    return 0;
}

int main(int argc, char **argv) {
    int a = 1;
    int plain_only = argc > 1 && strcmp(argv[1], "--plain") == 0;
    a += plain_only;
    if (argc > a + 1 && strcmp(argv[a], "--time") == 0) {
        g_repeat = atoi(argv[a + 1]);
        a += 2;
    }
    if (argc - a < 2 || argc - a - 2 > MAX_IO) {
        fprintf(stderr, "usage: qdq_run [--plain] [--time N] MODEL OUTDIR IN0.npy [...]\n");
        return 2;
    }
    const char *model = argv[a], *outdir = argv[a + 1];
    er_tensor *in[MAX_IO] = {0};
    int n_in = argc - a - 2, rc = 1;
    er_model *m = NULL;
    for (int k = 0; k < n_in; k++)
        if (er_npy_read(argv[a + 2 + k], &in[k]) != ER_OK) {
            fprintf(stderr, "qdq_run: %s\n", er_last_error());
            goto done;
        }
    if (er_model_load(model, &m) != ER_OK) {
        fprintf(stderr, "qdq_run: %s\n", er_last_error());
        goto done;
    }
    if (er_model_input_count(m) != n_in) {
        fprintf(stderr, "qdq_run: the model has %d inputs, %d given\n", er_model_input_count(m),
                n_in);
        goto done;
    }
    if (run(m, outdir, "plain", in)) goto done;
    if (!plain_only) {
        int folded = 0;
        if (er_pass_fold_qdq_count(m->graph, &folded) != ER_OK) {
            fprintf(stderr, "qdq_run: fold: %s\n", er_last_error());
            goto done;
        }
        printf("folded %d\nops:", folded);
        for (int i = 0; i < m->graph->n_nodes; i++) printf(" %s", m->graph->nodes[i].op_type);
        printf("\n");
        if (run(m, outdir, "folded", in)) goto done;
    }
    rc = 0;
done:
    er_model_free(m);
    for (int k = 0; k < n_in; k++) er_tensor_free(in[k]);
    return rc;
}
