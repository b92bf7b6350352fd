/* cmd_run.c - `edgerun run MODEL [-i NAME=FILE.npy ...] [--image [NAME=]FILE ...]
 * [-o OUTDIR]`: one inference; images are decoded and preprocessed into the
 * model's input layout (tools/common/image.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "image.h"
#include "npy.h"
#include "runtime/session.h"

static void usage(FILE *f) {
    fprintf(f, "usage: edgerun run MODEL [-i [NAME=]FILE.npy ...] [--image [NAME=]FILE ...]\n"
               "                 [-o OUTDIR] [--seed N] [--save-inputs] [--no-optimize]\n"
               "                 [--resize WxH] [--resize-mode bilinear|nearest]\n"
               "                 [--scale 0,1|-1,1|0,255|MEAN/STD] [--layout nhwc|nchw] [--bgr]\n\n"
               "Runs one inference. Inputs are .npy files or images, given by input name or\n"
               "in model order; inputs not given get a seeded random tensor of the planned\n"
               "shape (floats uniform in [0,1), integers in [0,10)). Each output is written\n"
               "as OUTDIR/<output name>.npy (characters outside [A-Za-z0-9._-] become '_');\n"
               "OUTDIR defaults to '.'. A summary of each output is printed.\n\n"
               "Images (PNG, JPEG, binary PPM/PGM) become float32 [1,H,W,C] (NHWC) or\n"
               "[1,C,H,W] (NCHW), C = 3 (RGB) or 1 (luma), guessed from the model's input\n"
               "shape unless --layout says. They are resized to the input's H and W (or\n"
               "--resize WxH) with bilinear (half-pixel centres) or nearest sampling, then\n"
               "scaled from 0..255: 0,1 -> x/255 (default); -1,1 -> x/127.5-1; 0,255 -> x;\n"
               "MEAN/STD -> (x-MEAN)/STD with one or three comma-separated values each,\n"
               "e.g. --scale 123.675,116.28,103.53/58.395,57.12,57.375. --bgr swaps the\n"
               "channel order. --save-inputs also writes OUTDIR/input_<i>.npy, the exact\n"
               "tensors fed to the model.\n");
}

/* Fills p's size, channels and layout from the model's input i and the
 * options; returns 0 (after printing why) when they cannot be decided. */
static int image_geometry(const er_model *m, int i, const er_image *img, int layout,
                          int rw, int rh, er_image_prep *p) {
    er_dtype dt;
    int rank;
    int64_t d[ER_MAX_RANK];
    if (er_model_input_info(m, i, &dt, &rank, d) != ER_OK) return 0;
    if (dt != ER_F32 || rank != 4) {
        fprintf(stderr, "edgerun run: input '%s' (%s, rank %d) is not a float32 image tensor\n",
                er_model_input_name(m, i), er_dtype_name(dt), rank);
        return 0;
    }
    int nchw = layout;
    if (nchw < 0) {
        if (d[3] == 3 || d[3] == 1) nchw = 0;
        else if (d[1] == 3 || d[1] == 1) nchw = 1;
        else {
            fprintf(stderr, "edgerun run: cannot tell the layout of input '%s'; give --layout\n",
                    er_model_input_name(m, i));
            return 0;
        }
    }
    int64_t h = nchw ? d[2] : d[1], w = nchw ? d[3] : d[2], c = nchw ? d[1] : d[3];
    p->nchw = nchw;
    p->channels = c == 1 ? 1 : 3;
    if (c >= 0 && c != 1 && c != 3) {
        fprintf(stderr, "edgerun run: input '%s' has %lld channels; images give 1 or 3\n",
                er_model_input_name(m, i), (long long)c);
        return 0;
    }
    p->height = rh > 0 ? rh : h > 0 ? (int)h : img->height;
    p->width = rw > 0 ? rw : w > 0 ? (int)w : img->width;
    return 1;
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
    const char *in_spec[64], *img_spec[64];
    int n_spec = 0, n_img = 0, layout = -1, save_inputs = 0, rw = 0, rh = 0;
    uint64_t seed = 0;
    er_image_prep prep;
    memset(&prep, 0, sizeof prep);
    prep.scale = ER_SCALE_UNIT;
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
        } else if (strcmp(argv[i], "--image") == 0 && i + 1 < argc) {
            if (n_img == 64) {
                fprintf(stderr, "edgerun run: too many --image\n");
                return 2;
            }
            img_spec[n_img++] = argv[++i];
        } else if (strcmp(argv[i], "--resize") == 0 && i + 1 < argc) {
            char *x;
            long a = strtol(argv[++i], &x, 10), b = *x == 'x' ? strtol(x + 1, &x, 10) : 0;
            if (*x || a < 1 || b < 1 || a > 65536 || b > 65536) {
                fprintf(stderr, "edgerun run: --resize expects WxH, got '%s'\n", argv[i]);
                return 2;
            }
            rw = (int)a;
            rh = (int)b;
        } else if (strcmp(argv[i], "--resize-mode") == 0 && i + 1 < argc) {
            i++;
            if (strcmp(argv[i], "nearest") && strcmp(argv[i], "bilinear")) {
                fprintf(stderr, "edgerun run: --resize-mode is bilinear or nearest\n");
                return 2;
            }
            prep.nearest = strcmp(argv[i], "nearest") == 0;
        } else if (strcmp(argv[i], "--scale") == 0 && i + 1 < argc) {
            if (!er_image_parse_scale(argv[++i], &prep)) {
                fprintf(stderr, "edgerun run: --scale expects 0,1 | -1,1 | 0,255 | MEAN/STD, got "
                                "'%s'\n", argv[i]);
                return 2;
            }
        } else if (strcmp(argv[i], "--layout") == 0 && i + 1 < argc) {
            i++;
            if (strcmp(argv[i], "nhwc") && strcmp(argv[i], "nchw")) {
                fprintf(stderr, "edgerun run: --layout is nhwc or nchw\n");
                return 2;
            }
            layout = strcmp(argv[i], "nchw") == 0;
        } else if (strcmp(argv[i], "--bgr") == 0) {
            prep.bgr = 1;
        } else if (strcmp(argv[i], "--save-inputs") == 0) {
            save_inputs = 1;
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
    /* read given inputs (.npy, then images); their shapes are what we plan for */
    int next_pos = 0;
    for (int k = 0; k < n_spec + n_img; k++) {
        const char *spec = k < n_spec ? in_spec[k] : img_spec[k - n_spec];
        const char *eq = strchr(spec, '=');
        const char *file = eq ? eq + 1 : spec;
        int idx = -1;
        if (eq) {
            for (int i = 0; i < n_in; i++)
                if (strlen(er_model_input_name(m, i)) == (size_t)(eq - spec) &&
                    strncmp(er_model_input_name(m, i), spec, (size_t)(eq - spec)) == 0)
                    idx = i;
            if (idx < 0) {
                fprintf(stderr, "edgerun run: the model has no input named '%.*s'\n",
                        (int)(eq - spec), spec);
                goto done;
            }
        } else {
            while (next_pos < n_in && in[next_pos]) next_pos++;
            idx = next_pos;
            if (idx >= n_in) {
                fprintf(stderr, "edgerun run: more inputs given than the model's %d\n", n_in);
                goto done;
            }
        }
        if (in[idx]) {
            fprintf(stderr, "edgerun run: input '%s' given twice\n", er_model_input_name(m, idx));
            goto done;
        }
        if (k < n_spec) {
            if (er_npy_read(file, &in[idx]) != ER_OK) {
                cli_fail("run");
                goto done;
            }
            continue;
        }
        er_image img;
        if (er_image_load(file, &img) != ER_OK) {
            cli_fail("run");
            goto done;
        }
        er_image_prep p = prep;
        int ok = image_geometry(m, idx, &img, layout, rw, rh, &p);
        er_status st = ok ? er_image_to_tensor(&img, &p, &in[idx]) : ER_ERR_INVALID_ARG;
        er_image_free(&img);
        if (!ok) goto done;
        if (st != ER_OK) {
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
    for (int i = 0; save_inputs && i < n_in; i++) {
        char full[4096];
        snprintf(full, sizeof full, "%s/input_%d.npy", outdir, i);
        if (er_npy_write(full, in[i]) != ER_OK) {
            cli_fail("run");
            goto done;
        }
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
