/* cmd_eval.c - `edgerun eval MODEL --images F --labels F`: accuracy on a
 * labelled image set (IDX files as distributed, gzipped or not), with the
 * latency of every batch and the process's peak memory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/tensor.h"
#include "idx.h"
#include "measure.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: edgerun eval MODEL --images FILE --labels FILE [--limit N] [--batch N]\n"
            "                    [--threads N] [--mean M] [--std S] [--json]\n\n"
            "Classifies every image and reports top-1/top-5 accuracy, per-batch latency\n"
            "percentiles and peak memory. Images are IDX unsigned-byte files (e.g.\n"
            "Fashion-MNIST's t10k-images-idx3-ubyte.gz); pixels become floats in [0,1],\n"
            "then (x - mean) / std when --mean/--std are given. The model's first input\n"
            "must hold one image per batch row (e.g. [N,1,28,28], [N,28,28,1] or [N,784]);\n"
            "its first output holds class scores [N, classes].\n\n"
            "  --limit N    use the first N images\n"
            "  --batch N    images per inference (default 1; needs a dynamic batch dim)\n"
            "  --json       one JSON object: top1, top5 (fractions), count, median_ms,\n"
            "               p90_ms, p99_ms, images_per_s, peak_rss_bytes\n");
}

int cmd_eval(int argc, char **argv) {
    const char *path = NULL, *images = NULL, *labels = NULL;
    long limit = -1, batch = 1, threads = 1;
    double mean = 0, stdv = 1;
    int json = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--images") == 0 && i + 1 < argc) {
            images = argv[++i];
        } else if (strcmp(a, "--labels") == 0 && i + 1 < argc) {
            labels = argv[++i];
        } else if (strcmp(a, "--limit") == 0 && i + 1 < argc) {
            if (!cli_int_arg("eval", a, argv[++i], 1, 1L << 40, &limit)) return 2;
        } else if (strcmp(a, "--batch") == 0 && i + 1 < argc) {
            if (!cli_int_arg("eval", a, argv[++i], 1, 1 << 20, &batch)) return 2;
        } else if (strcmp(a, "--threads") == 0 && i + 1 < argc) {
            if (!cli_int_arg("eval", a, argv[++i], 0, 256, &threads)) return 2;
        } else if ((strcmp(a, "--mean") == 0 || strcmp(a, "--std") == 0) && i + 1 < argc) {
            char *end;
            double v = strtod(argv[++i], &end);
            if (*end || (a[2] == 's' && v == 0)) {
                fprintf(stderr, "edgerun eval: bad value for %s\n", a);
                return 2;
            }
            if (a[2] == 'm') mean = v;
            else stdv = v;
        } else if (strcmp(a, "--json") == 0) {
            json = 1;
        } else if (a[0] == '-') {
            fprintf(stderr, "edgerun eval: unknown or incomplete option '%s'\n", a);
            usage(stderr);
            return 2;
        } else if (!path) {
            path = a;
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (!path || !images || !labels) {
        usage(stderr);
        return 2;
    }
    int rc = 1;
    er_idx img = {0}, lab = {0};
    er_model *m = NULL;
    er_session *s = NULL;
    er_tensor *x = NULL;
    double *lat = NULL;
    if (er_idx_read(images, &img) != ER_OK || er_idx_read(labels, &lab) != ER_OK) {
        cli_fail("eval");
        goto done;
    }
    if (img.rank < 2 || lab.rank != 1 || img.dims[0] != lab.dims[0]) {
        fprintf(stderr, "edgerun eval: %s holds %lld images, %s holds %lld labels\n", images,
                (long long)img.dims[0], labels, (long long)lab.dims[0]);
        goto done;
    }
    size_t n_img = (size_t)img.dims[0], per = img.count / (n_img ? n_img : 1);
    if (limit > 0 && (size_t)limit < n_img) n_img = (size_t)limit;
    if (er_model_load(path, &m) != ER_OK) {
        cli_fail("eval");
        goto done;
    }
    if (er_model_input_count(m) != 1) {
        fprintf(stderr, "edgerun eval: the model has %d inputs; eval needs exactly one\n",
                er_model_input_count(m));
        goto done;
    }
    er_dtype dt;
    int rank;
    int64_t dims[ER_MAX_RANK];
    er_model_input_info(m, 0, &dt, &rank, dims);
    if (dt != ER_F32 || rank < 2) {
        fprintf(stderr, "edgerun eval: input must be float32 with a batch dimension\n");
        goto done;
    }
    if (dims[0] >= 0 && dims[0] != batch) {
        if (batch != 1 || dims[0] != 1) {
            fprintf(stderr, "edgerun eval: the model's batch dimension is fixed at %lld; use "
                    "--batch %lld\n", (long long)dims[0], (long long)dims[0]);
            goto done;
        }
    }
    size_t per_model = 1;
    for (int k = 1; k < rank; k++) {
        if (dims[k] < 0) {
            fprintf(stderr, "edgerun eval: input dim %d is not fixed\n", k);
            goto done;
        }
        per_model *= (size_t)dims[k];
    }
    if (per_model != per) {
        fprintf(stderr, "edgerun eval: an image has %zu pixels, the model input row holds %zu\n",
                per, per_model);
        goto done;
    }
    er_options o;
    er_options_init(&o);
    o.threads = (int)threads;
    int64_t bdims[ER_MAX_RANK];
    memcpy(bdims, dims, sizeof bdims);
    bdims[0] = batch;
    const int64_t *dp[1] = {bdims};
    o.n_input_shapes = 1;
    o.input_ranks = &rank;
    o.input_dims = dp;
    if (er_session_create(m, &o, &s) != ER_OK || er_tensor_create(ER_F32, rank, bdims, &x) != ER_OK) {
        cli_fail("eval");
        goto done;
    }
    size_t n_batches = (n_img + (size_t)batch - 1) / (size_t)batch;
    lat = malloc(sizeof(double) * (n_batches ? n_batches : 1));
    if (!lat) goto done;
    size_t top1 = 0, top5 = 0, done_n = 0;
    double total = 0;
    for (size_t b = 0; b < n_batches; b++) {
        size_t rows = n_img - done_n < (size_t)batch ? n_img - done_n : (size_t)batch;
        if ((long)rows != batch) { /* last partial batch: a smaller tensor */
            er_tensor_free(x);
            bdims[0] = (int64_t)rows;
            if (er_tensor_create(ER_F32, rank, bdims, &x) != ER_OK) {
                cli_fail("eval");
                goto done;
            }
        }
        float *xd = er_tensor_data(x);
        const uint8_t *src = img.data + done_n * per;
        for (size_t k = 0; k < rows * per; k++)
            xd[k] = (float)(((double)src[k] / 255.0 - mean) / stdv);
        er_tensor *y;
        double t0 = er_now_ms();
        if (er_session_run(s, (const er_tensor *const *)&x, &y) != ER_OK) {
            cli_fail("eval");
            goto done;
        }
        lat[b] = er_now_ms() - t0;
        total += lat[b];
        int yr = er_tensor_rank(y);
        size_t classes = yr >= 1 ? (size_t)er_tensor_dim(y, yr - 1) : 0;
        if (er_tensor_count(y) != rows * classes || classes == 0) {
            fprintf(stderr, "edgerun eval: output 0 has %zu values for %zu images\n",
                    er_tensor_count(y), rows);
            goto done;
        }
        for (size_t r = 0; r < rows; r++) {
            unsigned label = lab.data[done_n + r];
            double sl = er_load_f64(er_tensor_data(y), er_tensor_dtype(y), r * classes + label);
            size_t better = 0; /* classes scoring above the true one: rank of the label */
            for (size_t c = 0; c < classes; c++) {
                double v = er_load_f64(er_tensor_data(y), er_tensor_dtype(y), r * classes + c);
                if (v > sl || (v == sl && c < label)) better++;
            }
            if (label < classes && better == 0) top1++;
            if (label < classes && better < 5) top5++;
        }
        done_n += rows;
    }
    double p50 = er_percentile(lat, n_batches, 50), p90 = er_percentile(lat, n_batches, 90);
    double p99 = er_percentile(lat, n_batches, 99);
    double ips = total > 0 ? 1000.0 * (double)done_n / total : 0;
    size_t rss = er_peak_rss_bytes();
    if (json) {
        printf("{\"model\": ");
        cli_json_str(path);
        printf(", \"count\": %zu, \"top1\": %.6f, \"top5\": %.6f, \"batch\": %ld, "
               "\"median_ms\": %.4f, \"p90_ms\": %.4f, \"p99_ms\": %.4f, \"images_per_s\": %.1f, "
               "\"peak_rss_bytes\": %zu, \"arena_bytes\": %zu}\n",
               done_n, (double)top1 / (double)done_n, (double)top5 / (double)done_n, batch, p50,
               p90, p99, ips, rss, er_session_arena_bytes(s));
    } else {
        printf("model        %s\n", path);
        printf("images       %zu (%s)\n", done_n, images);
        printf("top-1        %.2f %%  (%zu / %zu)\n", 100.0 * (double)top1 / (double)done_n,
               top1, done_n);
        printf("top-5        %.2f %%\n", 100.0 * (double)top5 / (double)done_n);
        printf("latency      per batch of %ld: median %.3f ms, p90 %.3f ms, p99 %.3f ms\n",
               batch, p50, p90, p99);
        printf("throughput   %.0f images/s (%ld thread%s)\n", ips, threads,
               threads == 1 ? "" : "s");
        printf("memory       peak RSS %.1f MiB, activation arena %.1f KiB\n",
               (double)rss / 1048576.0, (double)er_session_arena_bytes(s) / 1024.0);
    }
    rc = done_n ? 0 : 1;
done:
    free(lat);
    er_tensor_free(x);
    er_session_free(s);
    er_model_free(m);
    er_idx_free(&img);
    er_idx_free(&lab);
    return rc;
}
