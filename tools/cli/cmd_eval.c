/* cmd_eval.c - `edgerun eval MODEL --images DATA [--labels F]`: accuracy on a
 * labelled set (IDX files as distributed, gzipped or not; .npy samples with
 * IDX labels; a folder of class-named image folders), with the latency of
 * every batch and the process's peak memory.
 *
 * Samples come from tools/common/dataset.c, the loader `edgerun quantize`
 * uses, so both see the same pixels. Models with a symbolic batch dimension
 * run --batch rows at a time. A model with a quantized (uint8/int8) input
 * gets its samples quantized with the scale and zero point of the
 * DequantizeLinear that reads the input (as `edgerun quantize --int8-io`
 * writes it); a quantized output is ranked as it is (dequantizing with a
 * positive scale keeps the order). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/tensor.h"
#include "dataset.h"
#include "measure.h"
#include "runtime/model.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: edgerun eval MODEL --images DATA [--labels FILE] [--limit N] [--batch N]\n"
            "                    [--threads N] [--mean M] [--std S] [--json]\n\n"
            "Classifies every sample and reports top-1/top-5 accuracy, per-batch latency\n"
            "percentiles and peak memory. DATA is an IDX image file (e.g. Fashion-MNIST's\n"
            "t10k-images-idx3-ubyte.gz) or a .npy batch, with --labels an IDX label file; or a\n"
            "folder of class-named folders of images (labels from the folder names, sorted).\n"
            "Byte pixels become floats in [0,1], then (x - mean) / std when --mean/--std are\n"
            "given (one value, or one per channel). The model's first input holds one sample\n"
            "per batch row (e.g. [N,1,28,28], [N,28,28,1] or [N,784]); its first output holds\n"
            "class scores [N, classes]. Quantized (uint8/int8) inputs are fed quantized.\n\n"
            "  --limit N    use the first N samples\n"
            "  --batch N    samples per inference (default 1; needs a symbolic batch dim or a\n"
            "               fixed one of N)\n"
            "  --json       one JSON object: top1, top5 (fractions), count, median_ms,\n"
            "               p90_ms, p99_ms, images_per_s, peak_rss_bytes\n");
}

/* The (scale, zero point) of quantized graph input 0: its er_value.quant
 * (`edgerun quantize --int8-io` records it; .erm keeps it), else those of
 * the DequantizeLinear reading it, or of an edgerun int8 op reading it
 * (inputs 1 and 2 are x_scale, x_zero_point, docs/int8.md). */
static int input_qparams(const er_model *m, float *scale, int32_t *zp) {
    const er_graph *g = m->graph;
    int in = g->inputs[0];
    const er_quant *q = g->values[in].quant;
    if (q && q->n == 1) {
        *scale = q->scale[0];
        *zp = q->zero_point[0];
        return *scale > 0;
    }
    for (int i = 0; i < g->n_nodes; i++) {
        const er_node *n = &g->nodes[i];
        bool dq = strcmp(n->op_type, "DequantizeLinear") == 0 && n->domain[0] == '\0';
        bool qop = strcmp(n->domain, "edgerun") == 0 && n->op_type[0] == 'Q' &&
                   strcmp(n->op_type, "QConcat") != 0 && n->n_in >= 3;
        if ((!dq && !qop) || n->n_in < 2 || n->in[0] != in) continue;
        const er_value *s = &g->values[n->in[1]];
        if (!s->data || s->dtype != ER_F32 || er_shape_count(s->rank, s->dims) != 1) return 0;
        *scale = *(const float *)s->data;
        *zp = 0;
        if (n->n_in > 2 && n->in[2] >= 0) {
            const er_value *z = &g->values[n->in[2]];
            if (!z->data || er_shape_count(z->rank, z->dims) != 1) return 0;
            *zp = (int32_t)er_load_i64(z->data, z->dtype, 0);
        }
        return *scale > 0;
    }
    return 0;
}

int cmd_eval(int argc, char **argv) {
    const char *path = NULL, *images = NULL, *labels = NULL;
    long limit = -1, batch = 1, threads = 1;
    er_data_opts dop;
    memset(&dop, 0, sizeof dop);
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
            int m = a[2] == 'm';
            double *dst = m ? dop.mean : dop.std;
            int *n = m ? &dop.n_mean : &dop.n_std;
            int ok = er_data_parse_values(argv[++i], dst, n);
            for (int k = 0; ok && !m && k < *n; k++) ok = dst[k] != 0;
            if (!ok) {
                fprintf(stderr, "edgerun eval: bad value for %s\n", a);
                return 2;
            }
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
    if (!path || !images) {
        usage(stderr);
        return 2;
    }
    int rc = 1;
    er_model *m = NULL;
    er_data *data = NULL;
    er_session *s = NULL;
    er_tensor *x = NULL;
    float *row = NULL;
    double *lat = NULL;
    if (er_model_load(path, &m) != ER_OK || er_data_opts_for_model(m, &dop) != ER_OK) {
        cli_fail("eval");
        goto done;
    }
    dop.limit = limit > 0 ? (size_t)limit : 0;
    dop.labels = labels;
    if (er_data_load(images, &dop, &data) != ER_OK) {
        cli_fail("eval");
        goto done;
    }
    const er_dataset *ds = er_data_view(data);
    if (!ds->labels) {
        fprintf(stderr, "edgerun eval: %s has no labels: give --labels FILE (IDX) or a folder "
                "of class folders\n", images);
        goto done;
    }
    er_dtype dt;
    int rank;
    int64_t dims[ER_MAX_RANK];
    er_model_input_info(m, 0, &dt, &rank, dims);
    float qs = 1;
    int32_t qz = 0;
    if (dt != ER_F32 && !((dt == ER_U8 || dt == ER_I8) && input_qparams(m, &qs, &qz))) {
        fprintf(stderr, "edgerun eval: input '%s' is %s; eval feeds float32 inputs, or 8-bit "
                "inputs read by a DequantizeLinear\n", er_model_input_name(m, 0),
                er_dtype_name(dt));
        goto done;
    }
    bool batched = rank >= 2 || (rank >= 1 && dims[0] < 0);
    if (batched && dims[0] >= 0 && dims[0] != batch) {
        fprintf(stderr, "edgerun eval: the model's batch dimension is fixed at %lld; use "
                "--batch %lld\n", (long long)dims[0], (long long)dims[0]);
        goto done;
    }
    if (!batched && batch != 1) {
        fprintf(stderr, "edgerun eval: the model input has no batch dimension; use --batch 1\n");
        goto done;
    }
    size_t per = ds->sample_floats, n_img = ds->n_samples;
    er_options o;
    er_options_init(&o);
    o.threads = (int)threads;
    int64_t bdims[ER_MAX_RANK];
    memcpy(bdims, dims, sizeof bdims);
    if (batched) bdims[0] = batch;
    const int64_t *dp[1] = {bdims};
    o.n_input_shapes = 1;
    o.input_ranks = &rank;
    o.input_dims = dp;
    if (er_session_create(m, &o, &s) != ER_OK || er_tensor_create(dt, rank, bdims, &x) != ER_OK) {
        cli_fail("eval");
        goto done;
    }
    size_t n_batches = (n_img + (size_t)batch - 1) / (size_t)batch;
    lat = malloc(sizeof(double) * (n_batches ? n_batches : 1));
    row = malloc(sizeof(float) * (per ? per : 1));
    if (!lat || !row) goto done;
    size_t top1 = 0, top5 = 0, done_n = 0;
    double total = 0;
    int32_t qlo = dt == ER_I8 ? -128 : 0, qhi = dt == ER_I8 ? 127 : 255;
    for (size_t b = 0; b < n_batches; b++) {
        size_t rows = n_img - done_n < (size_t)batch ? n_img - done_n : (size_t)batch;
        if ((long)rows != batch) { /* last partial batch: a smaller tensor */
            er_tensor_free(x);
            bdims[0] = (int64_t)rows;
            if (er_tensor_create(dt, rank, bdims, &x) != ER_OK) {
                cli_fail("eval");
                goto done;
            }
        }
        void *xd = er_tensor_data(x);
        for (size_t r = 0; r < rows; r++) {
            float *dst = dt == ER_F32 ? (float *)xd + r * per : row;
            if (ds->read(ds->ctx, done_n + r, dst) != ER_OK) {
                cli_fail("eval");
                goto done;
            }
            if (dt == ER_F32) continue;
            for (size_t k = 0; k < per; k++) { /* QuantizeLinear, half to even */
                float q = rintf(row[k] / qs) + (float)qz;
                int32_t iq = q <= (float)qlo ? qlo : q >= (float)qhi ? qhi : (int32_t)q;
                er_store_i64(xd, dt, r * per + k, iq);
            }
        }
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
            int32_t label = ds->labels[done_n + r];
            if (label < 0 || (size_t)label >= classes) continue; /* counts as wrong */
            double sl = er_load_f64(er_tensor_data(y), er_tensor_dtype(y), r * classes + (size_t)label);
            size_t better = 0; /* classes scoring above the true one: rank of the label */
            for (size_t c = 0; c < classes; c++) {
                double v = er_load_f64(er_tensor_data(y), er_tensor_dtype(y), r * classes + c);
                if (v > sl || (v == sl && c < (size_t)label)) better++;
            }
            if (better == 0) top1++;
            if (better < 5) top5++;
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
        printf("images       %s\n", er_data_desc(data));
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
    free(row);
    er_tensor_free(x);
    er_session_free(s);
    er_data_free(data);
    er_model_free(m);
    return rc;
}
