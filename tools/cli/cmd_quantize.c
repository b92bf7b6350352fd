/* cmd_quantize.c - `edgerun quantize MODEL --calib DATA -o OUT`: post-training
 * quantization (full int8 with calibration, dynamic int8, fp16 weights),
 * with a per-layer sensitivity report and mixed precision under an
 * accuracy-drop bound. The library does the work (src/passes/calibrate.c,
 * quantize.c, quant_search.c); this file parses options, loads data and
 * prints. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "core/status.h"
#include "dataset.h"
#include "measure.h"
#include "passes/calibrate.h"
#include "passes/quant_search.h"
#include "passes/quantize.h"
#include "runtime/model.h"

/* The default calibration method: the most accurate one measured on the
 * bundled Fashion-MNIST models (models/README.md, bench/RESULTS.md). */
#define DEFAULT_METHOD ER_CALIB_PERCENTILE
#define DEFAULT_PERCENTILE 99.99
#define MAX_OVERRIDES 256

static void usage(FILE *f) {
    fprintf(f,
            "usage: edgerun quantize MODEL --calib DATA -o OUT [options]\n\n"
            "Post-training quantization. OUT is .onnx (a standard QDQ model that ONNX Runtime\n"
            "runs and edgerun folds into its int8 ops) or .erm (edgerun's native format).\n\n"
            "  --mode M            full-int8 (default): int8 weights and activations, calibrated;\n"
            "                      dynamic: int8 weights, activations quantized at run time;\n"
            "                      fp16: float16 weight storage (float32 compute)\n"
            "  --calib DATA        calibration samples: a .npy batch, a folder of .npy files, a\n"
            "                      folder of images, or an IDX image file (.gz or not)\n"
            "  --calib-limit N     use the first N samples (default 1000; 0 = all)\n"
            "  --mean M[,M,M] --std S[,S,S]\n"
            "                      byte data (IDX, uint8 .npy, images) becomes (x/255 - mean)/std\n"
            "  --method M          range of every activation: minmax, percentile, entropy, mse\n"
            "                      (default %s)\n"
            "  --method TENSOR=M   the method for one tensor (repeatable)\n"
            "  --percentile P      share of values the percentile method keeps (default %g)\n"
            "  --activation-type T uint8 (default) or int8 activations\n"
            "  --int8-io           int8 model input and output (TFLite's inference_input_type)\n"
            "  --no-bias-correction  keep the float biases as they are (default: each Conv/Gemm/\n"
            "                      MatMul bias absorbs the mean error its rounded weights make on\n"
            "                      the calibration data)\n"
            "  --keep-float LAYER  keep the layer whose node is named LAYER in float (repeatable;\n"
            "                      names as --report prints them)\n"
            "  --report            per-layer sensitivity: output error of each layer quantized alone\n"
            "  --max-drop X        keep the most sensitive layers in float until the top-1 drop on\n"
            "                      the validation data is at most X points (mixed precision)\n"
            "  --val-images DATA   validation samples for --report/--max-drop (default: the\n"
            "                      calibration samples); --val-labels IDX gives their labels\n"
            "                      (without labels the drop is the share of top-1 changes)\n"
            "  --val-limit N       validation samples used (default 500)\n"
            "  --batch N           samples per inference when the batch dim is free (default 32)\n"
            "  --threads N         intra-op threads (default 1; 0 = one per core)\n"
            "  -q                  no progress bar\n",
            er_calib_method_name(DEFAULT_METHOD), DEFAULT_PERCENTILE);
}

typedef struct prog {
    int on;
    const char *what;
} prog;

static void progress(void *ctx, int pass, int n_passes, size_t done, size_t total) {
    prog *p = ctx;
    if (!p->on) return;
    enum { W = 30 };
    int fill = total ? (int)((double)done * W / (double)total) : W;
    char bar[W + 1];
    for (int i = 0; i < W; i++) bar[i] = i < fill ? '#' : '.';
    bar[W] = '\0';
    char label[64];
    if (n_passes > 1) snprintf(label, sizeof label, "%s %d/%d", p->what, pass, n_passes);
    else snprintf(label, sizeof label, "%s", p->what);
    fprintf(stderr, "\r%-16s [%s] %zu/%zu", label, bar, done, total);
    if (done >= total) fputs("\n", stderr);
    fflush(stderr);
}

static long file_size(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0 ? (long)sb.st_size : -1;
}

static int ends_with(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* .onnx: standard QDQ ONNX; .erm: edgerun's native format holding the
 * folded int8 graph (er_model_save dispatches on the extension). */
static er_status save(er_graph **g, const char *path) {
    if (!ends_with(path, ".onnx") && !ends_with(path, ".erm"))
        return er_fail(ER_ERR_INVALID_ARG, "%s: the output must end in .onnx or .erm", path);
    if (ends_with(path, ".erm")) { /* folded: smaller, nothing to fold at load */
        er_graph *f;
        ER_TRY(er_quant_fold_native(*g, &f));
        er_graph_free(*g);
        *g = f;
    }
    er_model *m;
    er_status st = er_quant_model(*g, path, &m); /* takes the graph */
    *g = NULL;
    if (st == ER_OK) st = er_model_save(m, path);
    er_model_free(m);
    return st;
}

typedef struct opts {
    const char *model, *out, *calib, *val, *val_labels;
    er_qmode mode;
    long calib_limit, val_limit, batch, threads;
    er_data_opts dopts;
    er_calib_method method;
    double percentile;
    const char *ov_name[MAX_OVERRIDES];
    er_calib_method ov_method[MAX_OVERRIDES];
    int n_ov;
    const char *keep[MAX_OVERRIDES];
    int n_keep;
    er_dtype act;
    int int8_io, report, quiet, bias_correction;
    double max_drop;
} opts;

static int parse(int argc, char **argv, opts *o) {
    memset(o, 0, sizeof *o);
    o->mode = ER_QMODE_INT8;
    o->calib_limit = 1000;
    o->val_limit = 500;
    o->batch = 32;
    o->threads = 1;
    o->method = DEFAULT_METHOD;
    o->percentile = DEFAULT_PERCENTILE;
    o->act = ER_U8;
    o->max_drop = -1;
    o->bias_correction = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "-q") == 0) {
            o->quiet = 1;
        } else if (strcmp(a, "--int8-io") == 0) {
            o->int8_io = 1;
        } else if (strcmp(a, "--report") == 0) {
            o->report = 1;
        } else if (strcmp(a, "--bias-correction") == 0) {
            o->bias_correction = 1;
        } else if (strcmp(a, "--no-bias-correction") == 0) {
            o->bias_correction = 0;
        } else if (a[0] == '-' && !v) {
            fprintf(stderr, "edgerun quantize: %s needs a value\n", a);
            return 2;
        } else if (strcmp(a, "-o") == 0) {
            o->out = argv[++i];
        } else if (strcmp(a, "--mode") == 0) {
            i++;
            if (strcmp(v, "full-int8") == 0 || strcmp(v, "int8") == 0) o->mode = ER_QMODE_INT8;
            else if (strcmp(v, "dynamic") == 0) o->mode = ER_QMODE_DYNAMIC;
            else if (strcmp(v, "fp16") == 0) o->mode = ER_QMODE_FP16;
            else {
                fprintf(stderr, "edgerun quantize: --mode is full-int8, dynamic or fp16, not "
                        "'%s'\n", v);
                return 2;
            }
        } else if (strcmp(a, "--calib") == 0) {
            o->calib = argv[++i];
        } else if (strcmp(a, "--val-images") == 0) {
            o->val = argv[++i];
        } else if (strcmp(a, "--val-labels") == 0) {
            o->val_labels = argv[++i];
        } else if (strcmp(a, "--calib-limit") == 0) {
            if (!cli_int_arg("quantize", a, argv[++i], 0, 1L << 40, &o->calib_limit)) return 2;
        } else if (strcmp(a, "--val-limit") == 0) {
            if (!cli_int_arg("quantize", a, argv[++i], 1, 1L << 40, &o->val_limit)) return 2;
        } else if (strcmp(a, "--batch") == 0) {
            if (!cli_int_arg("quantize", a, argv[++i], 1, 1 << 16, &o->batch)) return 2;
        } else if (strcmp(a, "--threads") == 0) {
            if (!cli_int_arg("quantize", a, argv[++i], 0, 256, &o->threads)) return 2;
        } else if (strcmp(a, "--mean") == 0 || strcmp(a, "--std") == 0) {
            int m = a[2] == 'm';
            double *dst = m ? o->dopts.mean : o->dopts.std;
            int *n = m ? &o->dopts.n_mean : &o->dopts.n_std;
            i++;
            int ok = er_data_parse_values(v, dst, n);
            for (int k = 0; ok && !m && k < *n; k++) ok = dst[k] != 0;
            if (!ok) {
                fprintf(stderr, "edgerun quantize: %s takes 1 or 3 comma-separated numbers%s, "
                        "not '%s'\n", a, m ? "" : " (non-zero)", v);
                return 2;
            }
        } else if (strcmp(a, "--method") == 0) {
            i++;
            const char *eq = strrchr(v, '=');
            er_calib_method mt;
            if (!er_calib_method_parse(eq ? eq + 1 : v, &mt)) {
                fprintf(stderr, "edgerun quantize: unknown method '%s' (minmax, percentile, "
                        "entropy, mse)\n", eq ? eq + 1 : v);
                return 2;
            }
            if (!eq) {
                o->method = mt;
            } else if (o->n_ov == MAX_OVERRIDES) {
                fprintf(stderr, "edgerun quantize: more than %d --method overrides\n",
                        MAX_OVERRIDES);
                return 2;
            } else {
                /* the tensor name is the part before the last '=' */
                char *name = strndup(v, (size_t)(eq - v));
                if (!name) return 1;
                o->ov_name[o->n_ov] = name;
                o->ov_method[o->n_ov++] = mt;
            }
        } else if (strcmp(a, "--keep-float") == 0) {
            if (o->n_keep == MAX_OVERRIDES) {
                fprintf(stderr, "edgerun quantize: more than %d --keep-float layers\n",
                        MAX_OVERRIDES);
                return 2;
            }
            o->keep[o->n_keep++] = argv[++i];
        } else if (strcmp(a, "--percentile") == 0) {
            char *end;
            o->percentile = strtod(argv[++i], &end);
            if (*end || !(o->percentile > 50 && o->percentile <= 100)) {
                fprintf(stderr, "edgerun quantize: --percentile takes a number in (50, 100]\n");
                return 2;
            }
        } else if (strcmp(a, "--activation-type") == 0) {
            i++;
            if (strcmp(v, "uint8") == 0) o->act = ER_U8;
            else if (strcmp(v, "int8") == 0) o->act = ER_I8;
            else {
                fprintf(stderr, "edgerun quantize: --activation-type is uint8 or int8\n");
                return 2;
            }
        } else if (strcmp(a, "--max-drop") == 0) {
            char *end;
            o->max_drop = strtod(argv[++i], &end);
            if (*end || !(o->max_drop >= 0 && o->max_drop <= 100)) {
                fprintf(stderr, "edgerun quantize: --max-drop takes points of top-1 accuracy in "
                        "[0, 100]\n");
                return 2;
            }
        } else if (a[0] == '-') {
            fprintf(stderr, "edgerun quantize: unknown option '%s'\n", a);
            usage(stderr);
            return 2;
        } else if (!o->model) {
            o->model = a;
        } else {
            fprintf(stderr, "edgerun quantize: more than one model given ('%s')\n", a);
            return 2;
        }
    }
    if (!o->model || !o->out) {
        usage(stderr);
        return 2;
    }
    if (o->val_labels && !o->val) o->val = o->calib; /* labels for the calibration samples */
    if (o->mode == ER_QMODE_INT8 && !o->calib) {
        fprintf(stderr, "edgerun quantize: full-int8 needs calibration data (--calib DATA)\n");
        return 2;
    }
    if ((o->report || o->max_drop >= 0) && !o->calib && !o->val) {
        fprintf(stderr, "edgerun quantize: --report and --max-drop need data (--calib or "
                "--val-images)\n");
        return 2;
    }
    if (o->mode == ER_QMODE_FP16 && o->n_keep) {
        fprintf(stderr, "edgerun quantize: --keep-float applies to the int8 modes\n");
        return 2;
    }
    if (o->mode != ER_QMODE_INT8 && (o->int8_io || o->max_drop >= 0)) {
        fprintf(stderr, "edgerun quantize: --int8-io and --max-drop apply to --mode full-int8\n");
        return 2;
    }
    return -1;
}

static void print_report(const er_qanalysis *a, const er_qeval_result *res, const er_qeval *e) {
    int nu = a->n_units;
    int *order = malloc(sizeof(int) * (size_t)(nu ? nu : 1));
    if (!order) return;
    for (int u = 0; u < nu; u++) {
        int j = u;
        while (j > 0 && res[order[j - 1]].nmse < res[u].nmse) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = u;
    }
    printf("sensitivity  output error of each layer quantized alone (%zu samples), worst first\n",
           e->n);
    printf("  %-4s %-52s %9s %11s %8s\n", "rank", "layer", "SQNR dB", "NMSE", "top-1 =");
    for (int k = 0; k < nu; k++) {
        const er_qeval_result *r = &res[order[k]];
        double sqnr = r->nmse > 0 ? -10.0 * log10(r->nmse) : INFINITY;
        printf("  %-4d %-52s %9.1f %11.3e %7.2f%%\n", k + 1, er_quant_unit_label(a, order[k]),
               sqnr, r->nmse, 100.0 * r->agree);
    }
    free(order);
}

static const char *mode_text(const opts *o, bool per_channel) {
    static char buf[256];
    if (o->mode == ER_QMODE_FP16) return "fp16: float16 weights, float32 compute";
    if (o->mode == ER_QMODE_DYNAMIC)
        return "dynamic: int8 weights per channel, activations quantized per tensor at run time";
    snprintf(buf, sizeof buf, "full-int8: int8 weights per %s (symmetric), %s activations per "
             "tensor (asymmetric), int32 biases%s%s", per_channel ? "channel" : "tensor",
             o->act == ER_I8 ? "int8" : "uint8", o->bias_correction ? " (bias-corrected)" : "",
             o->int8_io ? ", int8 input/output" : "");
    return buf;
}

int cmd_quantize(int argc, char **argv) {
    opts o;
    int rc = parse(argc, argv, &o);
    if (rc >= 0) return rc;
    rc = 1;
    prog pg = {!o.quiet && isatty(2), ""};
    er_model *m = NULL;
    er_data *calib = NULL, *val = NULL;
    er_qanalysis *a = NULL;
    er_calib *cal = NULL;
    er_graph *qg = NULL;
    float *lo = NULL, *hi = NULL;
    bool *unit_float = NULL;
    er_qeval_result *sens = NULL;
    er_qeval ev;
    memset(&ev, 0, sizeof ev);
    double t0 = er_now_ms();
    if (er_model_load(o.model, &m) != ER_OK || er_quant_analyze(m, &a) != ER_OK) {
        cli_fail("quantize");
        goto done;
    }
    const er_graph *g = m->graph;
    er_data_opts dop = o.dopts;
    dop.limit = (size_t)o.calib_limit;
    if ((o.calib || o.val) && er_data_opts_for_model(m, &dop) != ER_OK) {
        cli_fail("quantize");
        goto done;
    }
    if (o.calib && er_data_load(o.calib, &dop, &calib) != ER_OK) {
        fprintf(stderr, "edgerun quantize: calibration data: %s\n", er_last_error());
        goto done;
    }
    printf("model        %s (opset %lld, %d layers that can be quantized)\n", o.model,
           (long long)g->opset, a->n_units);
    unit_float = calloc((size_t)(a->n_units ? a->n_units : 1), sizeof *unit_float);
    if (!unit_float) goto done;
    for (int k = 0; k < o.n_keep; k++) {
        int found = 0;
        for (int u = 0; u < a->n_units; u++)
            if (strcmp(g->nodes[a->units[u].node].name, o.keep[k]) == 0) {
                unit_float[u] = true;
                found = 1;
            }
        if (!found) {
            fprintf(stderr, "edgerun quantize: --keep-float %s: no layer that can be quantized "
                    "has that node name\n", o.keep[k]);
            goto done;
        }
    }
    printf("mode         %s\n", mode_text(&o, g->opset >= 13));
    er_quant_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.unit_float = unit_float;
    cfg.mode = o.mode;
    cfg.act_dtype = o.act;
    cfg.int8_io = o.int8_io;
    if (o.mode == ER_QMODE_INT8) {
        if (er_calib_create(g->n_values, &cal) != ER_OK) {
            cli_fail("quantize");
            goto done;
        }
        bool hist = o.method != ER_CALIB_MINMAX;
        for (int k = 0; k < o.n_ov; k++) hist |= o.ov_method[k] != ER_CALIB_MINMAX;
        pg.what = "calibrating";
        double tc = er_now_ms();
        if (er_calibrate(m, er_data_view(calib), (size_t)-1, (int)o.batch, (int)o.threads, hist,
                         cal, progress, &pg) != ER_OK) {
            fprintf(stderr, "edgerun quantize: calibration: %s\n", er_last_error());
            goto done;
        }
        lo = malloc(sizeof(float) * (size_t)(g->n_values ? g->n_values : 1));
        hi = malloc(sizeof(float) * (size_t)(g->n_values ? g->n_values : 1));
        if (!lo || !hi) goto done;
        for (int v = 0; v < g->n_values; v++) {
            lo[v] = hi[v] = NAN;
            er_calib_method mt = o.method;
            for (int k = 0; k < o.n_ov; k++)
                if (strcmp(o.ov_name[k], g->values[v].name) == 0) mt = o.ov_method[k];
            if (cal->stats[v].seen) er_calib_choose(&cal->stats[v], mt, o.percentile, &lo[v], &hi[v]);
        }
        for (int k = 0; k < o.n_ov; k++) {
            int v = er_graph_find(g, o.ov_name[k]);
            if (v < 0 || !cal->stats[v].seen) {
                fprintf(stderr, "edgerun quantize: --method %s=%s: the model has no float tensor "
                        "named '%s' computed from its input\n", o.ov_name[k],
                        er_calib_method_name(o.ov_method[k]), o.ov_name[k]);
                goto done;
            }
        }
        printf("calibration  %s; method %s", er_data_desc(calib), er_calib_method_name(o.method));
        if (o.method == ER_CALIB_PERCENTILE) printf(" %g", o.percentile);
        printf("%s; %.1f s\n", o.n_ov ? " (+ per-tensor overrides)" : "",
               (er_now_ms() - tc) / 1000.0);
        cfg.lo = lo;
        cfg.hi = hi;
        cfg.calib = cal;
        cfg.bias_correction = o.bias_correction;
    }
    if (o.report || o.max_drop >= 0) {
        const er_data *vd = calib;
        if (o.val) {
            er_data_opts vo = dop;
            vo.limit = (size_t)o.val_limit;
            vo.labels = o.val_labels;
            if (er_data_load(o.val, &vo, &val) != ER_OK) {
                fprintf(stderr, "edgerun quantize: validation data: %s\n", er_last_error());
                goto done;
            }
            vd = val;
        }
        pg.what = "float reference";
        if (er_qeval_init(m, er_data_view(vd), (size_t)o.val_limit, (int)o.batch, (int)o.threads,
                          &ev, progress, &pg) != ER_OK) {
            cli_fail("quantize");
            goto done;
        }
        sens = calloc((size_t)(a->n_units ? a->n_units : 1), sizeof *sens);
        if (!sens) goto done;
        pg.what = "sensitivity";
        if (er_quant_sensitivity(a, &cfg, &ev, sens, progress, &pg) != ER_OK) {
            cli_fail("quantize");
            goto done;
        }
        if (o.report) print_report(a, sens, &ev);
        if (o.max_drop >= 0) {
            er_qeval_result fin;
            pg.what = "mixed precision";
            if (er_quant_mixed(a, &cfg, &ev, sens, o.max_drop, unit_float, &fin, progress,
                               &pg) != ER_OK) {
                cli_fail("quantize");
                goto done;
            }
            int n_float = 0;
            for (int u = 0; u < a->n_units; u++) n_float += unit_float[u];
            printf("mixed        --max-drop %g on %zu %s samples: drop %.2f points", o.max_drop,
                   ev.n, er_data_view(vd)->labels ? "labelled" : "unlabelled (drop = top-1 "
                   "changes)", fin.drop);
            if (fin.acc >= 0)
                printf(" (top-1 %.2f%%, float %.2f%%)", 100.0 * fin.acc, 100.0 * ev.ref_acc);
            printf("; %d layer%s kept in float%s\n", n_float, n_float == 1 ? "" : "s",
                   n_float ? ":" : "");
            for (int u = 0; u < a->n_units; u++)
                if (unit_float[u]) printf("               %s\n", er_quant_unit_label(a, u));
            if (fin.drop > o.max_drop)
                printf("               (even all-float misses the bound on these samples)\n");
            cfg.unit_float = unit_float;
        }
    }
    int nq = 0;
    if (er_quantize_graph(a, &cfg, &qg, &nq) != ER_OK) {
        cli_fail("quantize");
        goto done;
    }
    if (o.mode == ER_QMODE_FP16)
        printf("converted    %d float32 weight tensors to float16\n", nq);
    else
        printf("quantized    %d of %d layers\n", nq, a->n_units);
    if (save(&qg, o.out) != ER_OK) {
        cli_fail("quantize");
        goto done;
    }
    long in_size = file_size(o.model), out_size = file_size(o.out);
    printf("wrote        %s: %ld bytes (%.2fx the %ld bytes of %s); %.1f s in all\n", o.out,
           out_size, in_size > 0 ? (double)out_size / (double)in_size : 0.0, in_size, o.model,
           (er_now_ms() - t0) / 1000.0);
    rc = 0;
done:
    for (int k = 0; k < o.n_ov; k++) free((void *)o.ov_name[k]);
    er_qeval_free(&ev);
    free(sens);
    free(unit_float);
    free(lo);
    free(hi);
    er_graph_free(qg);
    er_calib_free(cal);
    er_quant_analysis_free(a);
    er_data_free(calib);
    er_data_free(val);
    er_model_free(m);
    return rc;
}
