/* cmd_run.c - `edgerun run MODEL [-i NAME=FILE.npy ...] [-o OUTDIR]`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "npy.h"
#include "runtime/session.h"

static void usage(FILE *f) {
    fprintf(f, "usage: edgerun run MODEL [-i [NAME=]FILE.npy ...] [-o OUTDIR] [--seed N]\n"
               "                   [--no-optimize]\n\n"
               "Runs one inference. Inputs are .npy files, given by input name or in model\n"
               "order; inputs not given get a seeded random tensor of the planned shape\n"
               "(floats uniform in [0,1), integers in [0,10)). Each output is written as\n"
               "OUTDIR/<output name>.npy (characters outside [A-Za-z0-9._-] become '_');\n"
               "OUTDIR defaults to '.'. A summary of each output is printed.\n");
}



static void sanitize(char *dst, size_t cap, const char *src) {
    size_t i = 0;
    for (; src[i] && i + 1 < cap; i++) {
        char ch = src[i];
        int ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
                 ch == '.' || ch == '_' || ch == '-';
        dst[i] = ok ? ch : '_';
    }
    dst[i] = '\0';
    if (strcmp(dst, ".") == 0 || strcmp(dst, "..") == 0 || !dst[0]) snprintf(dst, cap, "output");
}

static void summarize(const char *name, er_tensor *t) {
    printf("%s: %s [", name, er_dtype_name(er_tensor_dtype(t)));
    for (int k = 0; k < er_tensor_rank(t); k++)
        printf("%s%lld", k ? "," : "", (long long)er_tensor_dim(t, k));
    printf("]");
    size_t n = er_tensor_count(t);
    if (n) {
        double mn = 0, mx = 0, sum = 0;
        for (size_t k = 0; k < n; k++) {
            double v = er_load_f64(er_tensor_data(t), er_tensor_dtype(t), k);
            if (k == 0 || v < mn) mn = v;
            if (k == 0 || v > mx) mx = v;
            sum += v;
        }
        printf(" min %.6g max %.6g mean %.6g", mn, mx, sum / (double)n);
        if (n <= 10) {
            printf(" values");
            for (size_t k = 0; k < n; k++)
                printf(" %.6g", er_load_f64(er_tensor_data(t), er_tensor_dtype(t), k));
        }
    }
    printf("\n");
}

int cmd_run(int argc, char **argv) {
    const char *path = NULL, *outdir = ".";
    const char *in_spec[64];
    int n_spec = 0;
    uint64_t seed = 0;
    int optimize = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "-i") == 0 && i + 1 < argc) {
            if (n_spec == 64) {
                fprintf(stderr, "edgerun run: too many -i\n");
                return 2;
            }
            in_spec[n_spec++] = argv[++i];
        } else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
            outdir = argv[++i];
        } else if (strcmp(argv[i], "--no-optimize") == 0) {
            optimize = 0;
        } else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
            seed = strtoull(argv[++i], NULL, 10);
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "edgerun run: unknown or incomplete option '%s'\n", argv[i]);
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
    cli_seed(seed);
    int rc = 1;
    er_model *m = NULL;
    er_session *s = NULL;
    er_tensor *in[256] = {0};
    er_tensor *out[256] = {0};
    if (er_model_load(path, &m) != ER_OK) return cli_fail("run");
    int n_in = er_model_input_count(m), n_out = er_model_output_count(m);
    if (n_in > 256 || n_out > 256) {
        fprintf(stderr, "edgerun run: too many inputs/outputs\n");
        goto done;
    }
    /* read given inputs; their shapes are what we plan for */
    int next_pos = 0;
    for (int k = 0; k < n_spec; k++) {
        const char *eq = strchr(in_spec[k], '=');
        const char *file = eq ? eq + 1 : in_spec[k];
        int idx = -1;
        if (eq) {
            for (int i = 0; i < n_in; i++)
                if (strlen(er_model_input_name(m, i)) == (size_t)(eq - in_spec[k]) &&
                    strncmp(er_model_input_name(m, i), in_spec[k], (size_t)(eq - in_spec[k])) == 0)
                    idx = i;
            if (idx < 0) {
                fprintf(stderr, "edgerun run: the model has no input named '%.*s'\n",
                        (int)(eq - in_spec[k]), in_spec[k]);
                goto done;
            }
        } else {
            while (next_pos < n_in && in[next_pos]) next_pos++;
            idx = next_pos;
            if (idx >= n_in) {
                fprintf(stderr, "edgerun run: more -i files than the model's %d inputs\n", n_in);
                goto done;
            }
        }
        if (in[idx]) {
            fprintf(stderr, "edgerun run: input '%s' given twice\n", er_model_input_name(m, idx));
            goto done;
        }
        if (er_npy_read(file, &in[idx]) != ER_OK) {
            cli_fail("run");
            goto done;
        }
    }
    er_options o;
    er_options_init(&o);
    int ranks[256];
    const int64_t *dims[256];
    int64_t dimbuf[256][ER_MAX_RANK];
    for (int i = 0; i < n_in; i++) {
        ranks[i] = -1;
        dims[i] = dimbuf[i];
        if (in[i]) {
            ranks[i] = er_tensor_rank(in[i]);
            for (int k = 0; k < ranks[i]; k++) dimbuf[i][k] = er_tensor_dim(in[i], k);
        }
    }
    o.optimize = optimize;
    o.n_input_shapes = n_in;
    o.input_ranks = ranks;
    o.input_dims = dims;
    if (er_session_create(m, &o, &s) != ER_OK) {
        cli_fail("run");
        goto done;
    }
    for (int i = 0; i < n_in; i++)
        if (!in[i] && !cli_random_input(s, i, &in[i])) {
            cli_fail("run");
            goto done;
        }
    if (er_session_run(s, (const er_tensor *const *)in, out) != ER_OK) {
        cli_fail("run");
        goto done;
    }
    if (mkdir(outdir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "edgerun run: cannot create %s: %s\n", outdir, strerror(errno));
        goto done;
    }
    for (int i = 0; i < n_out; i++) {
        char fname[256], full[4096];
        sanitize(fname, sizeof fname, er_model_output_name(m, i));
        snprintf(full, sizeof full, "%s/%s.npy", outdir, fname);
        if (er_npy_write(full, out[i]) != ER_OK) {
            cli_fail("run");
            goto done;
        }
        summarize(er_model_output_name(m, i), out[i]);
    }
    rc = 0;
done:
    for (int i = 0; i < 256; i++) er_tensor_free(in[i]);
    er_session_free(s);
    er_model_free(m);
    return rc;
}
