/* calibrate.c - activation statistics and range methods for post-training
 * quantization (see calibrate.h for the methods and the histogram layout).
 *
 * Invariants: a value's histogram, once allocated, covers [h_lo, h_hi] with
 * h_lo <= 0 <= h_hi and zero on a bin edge; elements outside it (possible
 * only if the model were not deterministic between passes) go to the edge
 * bins. Every range a method returns lies inside the observed [min, max]. */
#include "calibrate.h"

#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "core/status.h"
#include "core/tensor.h"
#include "runtime/model.h"
#include "runtime/session.h"

static const char *const k_method_names[] = {"minmax", "percentile", "entropy", "mse"};

const char *er_calib_method_name(er_calib_method m) {
    return (unsigned)m < 4 ? k_method_names[m] : "unknown";
}

bool er_calib_method_parse(const char *s, er_calib_method *out) {
    for (int i = 0; i < 4; i++)
        if (strcmp(s, k_method_names[i]) == 0) {
            *out = (er_calib_method)i;
            return true;
        }
    return false;
}

er_status er_calib_create(int n_values, er_calib **out) {
    *out = NULL;
    er_calib *c = er_calloc(1, sizeof *c);
    if (!c) return er_fail(ER_ERR_NOMEM, "out of memory for calibration statistics");
    c->stats = er_calloc((size_t)(n_values > 0 ? n_values : 1), sizeof *c->stats);
    if (!c->stats) {
        er_free(c);
        return er_fail(ER_ERR_NOMEM, "out of memory for calibration statistics");
    }
    c->n_values = n_values;
    c->pass = 1;
    *out = c;
    return ER_OK;
}

void er_calib_free(er_calib *c) {
    if (!c) return;
    for (int v = 0; v < c->n_values; v++) {
        er_free(c->stats[v].hist);
        er_free(c->stats[v].ch_sum);
    }
    er_free(c->stats);
    er_free(c);
}

void er_calib_add(er_calib *c, int v, const float *x, size_t n) {
    if (v < 0 || v >= c->n_values) return;
    er_calib_stats *s = &c->stats[v];
    if (c->pass == 1) {
        double mn = s->seen ? s->min : INFINITY, mx = s->seen ? s->max : -INFINITY;
        uint64_t bad = 0;
        for (size_t i = 0; i < n; i++) {
            float f = x[i];
            if (!isfinite(f)) {
                bad++;
                continue;
            }
            if (f < mn) mn = f;
            if (f > mx) mx = f;
        }
        s->nonfinite += bad;
        s->count += n - bad;
        if (n > bad) {
            s->seen = true;
            s->min = mn;
            s->max = mx;
        }
        return;
    }
    if (!s->hist) return;
    double w = (s->h_hi - s->h_lo) / ER_CALIB_BINS;
    double inv = w > 0 ? 1.0 / w : 0;
    for (size_t i = 0; i < n; i++) {
        float f = x[i];
        if (!isfinite(f)) continue;
        if (f == 0) {
            s->zeros++;
            continue;
        }
        double pos = ((double)f - s->h_lo) * inv;
        int b = pos <= 0 ? 0 : pos >= ER_CALIB_BINS - 1 ? ER_CALIB_BINS - 1 : (int)pos;
        s->hist[b]++;
    }
}

void er_calib_add_channels(er_calib *c, int v, const float *x, int rank, const int64_t *dims) {
    if (v < 0 || v >= c->n_values || c->pass != 1 || rank < 2 || rank > 4) return;
    int axis = rank == 3 ? 2 : 1;
    int64_t n_ch = dims[axis], outer = 1, inner = 1;
    for (int k = 0; k < axis; k++) outer *= dims[k];
    for (int k = axis + 1; k < rank; k++) inner *= dims[k];
    er_calib_stats *s = &c->stats[v];
    if (n_ch < 1 || n_ch > (1 << 20)) return;
    if (s->ch_sum && s->n_ch != n_ch) return; /* a shape change: keep the first */
    if (!s->ch_sum) {
        if (!(s->ch_sum = er_calloc((size_t)n_ch, sizeof(double)))) return; /* optional */
        s->n_ch = n_ch;
    }
    for (int64_t o = 0; o < outer; o++)
        for (int64_t ch = 0; ch < n_ch; ch++) {
            const float *p = x + (o * n_ch + ch) * inner;
            double sum = 0;
            for (int64_t i = 0; i < inner; i++) sum += isfinite(p[i]) ? (double)p[i] : 0.0;
            s->ch_sum[ch] += sum;
        }
    s->ch_count += (uint64_t)(outer * inner);
}

double er_calib_channel_mean(const er_calib *c, int v, int64_t k) {
    if (!c || v < 0 || v >= c->n_values) return NAN;
    const er_calib_stats *s = &c->stats[v];
    if (!s->ch_sum || k < 0 || k >= s->n_ch || s->ch_count == 0) return NAN;
    return s->ch_sum[k] / (double)s->ch_count;
}

er_status er_calib_begin_histograms(er_calib *c) {
    for (int v = 0; v < c->n_values; v++) {
        er_calib_stats *s = &c->stats[v];
        if (!s->seen) continue;
        if (s->min >= 0) {
            s->h_lo = 0;
            s->h_hi = s->max;
        } else if (s->max <= 0) {
            s->h_lo = s->min;
            s->h_hi = 0;
        } else {
            double a = fmax(-s->min, s->max);
            s->h_lo = -a;
            s->h_hi = a;
        }
        s->hist = er_calloc(ER_CALIB_BINS, sizeof(uint64_t));
        if (!s->hist) return er_fail(ER_ERR_NOMEM, "out of memory for calibration histograms");
    }
    c->pass = 2;
    return ER_OK;
}

/* ---- percentile ------------------------------------------------------------ */

void er_hist_percentile(const uint64_t *hist, int n_bins, double h_lo, double h_hi,
                        uint64_t zeros, double min, double max, double percentile, double *lo,
                        double *hi) {
    *lo = min;
    *hi = max;
    double total = (double)zeros;
    for (int i = 0; i < n_bins; i++) total += (double)hist[i];
    if (total <= 0 || percentile >= 100) return;
    bool two_sided = min < 0 && max > 0;
    double drop = total * (100.0 - percentile) / 100.0;
    if (two_sided) drop /= 2;
    double w = (h_hi - h_lo) / n_bins;
    if (max > 0) { /* upper tail: the smallest edge with at most `drop` above it */
        double above = 0;
        int k = n_bins;
        while (k > 0 && above + (double)hist[k - 1] <= drop) above += (double)hist[--k];
        double edge = h_lo + k * w;
        if (edge < *hi) *hi = edge > 0 ? edge : 0;
    }
    if (min < 0) { /* lower tail */
        double below = 0;
        int k = 0;
        while (k < n_bins && below + (double)hist[k] <= drop) below += (double)hist[k++];
        double edge = h_lo + k * w;
        if (edge > *lo) *lo = edge < 0 ? edge : 0;
    }
}

/* ---- entropy (KL divergence) ------------------------------------------------ */

/* Replaces zeros by eps and takes the mass from the non-zero entries, so
 * log(p/q) is defined (as TensorRT and MXNet do). false when all are zero. */
static bool smooth(double *p, int n) {
    const double eps = 1e-4;
    int nz = 0;
    for (int i = 0; i < n; i++) nz += p[i] == 0;
    if (nz == n) return false;
    double take = eps * nz / (n - nz);
    for (int i = 0; i < n; i++) p[i] = p[i] == 0 ? eps : p[i] - take;
    return true;
}

/* TensorRT's threshold search on a one-sided histogram h[0..n) over [0, A]:
 * returns the number of leading bins i (threshold i * A / n) whose
 * quantization into nq levels diverges least from the clipped
 * distribution. */
static int kl_bins(const uint64_t *h, int n, int nq, double *p, double *q) {
    if (n <= nq) return n;
    double tail = 0;
    for (int j = nq; j < n; j++) tail += (double)h[j];
    int best = n;
    double best_kl = INFINITY;
    for (int i = nq; i <= n; i++) {
        /* P: the first i bins, outliers folded into the last one */
        double psum = 0;
        for (int j = 0; j < i; j++) {
            p[j] = (double)h[j];
            psum += p[j];
        }
        p[i - 1] += tail;
        psum += tail;
        if (i < n) tail -= (double)h[i];
        if (psum <= 0) continue;
        /* Q: the first i bins (without outliers) merged into nq levels, each
         * level spread evenly over the bins where P is non-zero */
        for (int g = 0; g < nq; g++) {
            int s = (int)((int64_t)g * i / nq), e = (int)((int64_t)(g + 1) * i / nq);
            double sum = 0;
            int nzb = 0;
            for (int j = s; j < e; j++) {
                sum += (double)h[j];
                nzb += p[j] != 0;
            }
            for (int j = s; j < e; j++) q[j] = p[j] != 0 && nzb ? sum / nzb : 0;
        }
        double qsum = 0;
        for (int j = 0; j < i; j++) qsum += q[j];
        if (qsum <= 0) continue;
        for (int j = 0; j < i; j++) {
            p[j] /= psum;
            q[j] /= qsum;
        }
        if (!smooth(p, i) || !smooth(q, i)) continue;
        double kl = 0;
        for (int j = 0; j < i; j++) kl += p[j] * log(p[j] / q[j]);
        if (kl < best_kl) {
            best_kl = kl;
            best = i;
        }
    }
    return best;
}

void er_hist_entropy(const uint64_t *hist, int n_bins, double h_lo, double h_hi, double min,
                     double max, double *lo, double *hi) {
    *lo = min;
    *hi = max;
    if (n_bins < 2 || h_hi <= h_lo) return;
    bool two_sided = h_lo < 0 && h_hi > 0;
    int n = two_sided ? n_bins / 2 : n_bins;
    uint64_t *h = er_malloc(sizeof(uint64_t) * (size_t)n);
    double *p = er_malloc(sizeof(double) * (size_t)n), *q = er_malloc(sizeof(double) * (size_t)n);
    if (!h || !p || !q) { /* no memory for the search: keep [min, max] */
        er_free(h);
        er_free(p);
        er_free(q);
        return;
    }
    if (two_sided) { /* fold onto |x|: bin n+j and bin n-1-j cover the same |x| */
        for (int j = 0; j < n; j++) h[j] = hist[n + j] + hist[n - 1 - j];
    } else if (h_hi > 0) {
        memcpy(h, hist, sizeof(uint64_t) * (size_t)n);
    } else { /* [min, 0]: mirror so bin 0 is nearest zero */
        for (int j = 0; j < n; j++) h[j] = hist[n - 1 - j];
    }
    /* 8 bits: 255 steps over [0, t] one-sided, 127 on each side of zero */
    int i = kl_bins(h, n, two_sided ? 127 : 255, p, q);
    double extent = two_sided ? h_hi : h_hi > 0 ? h_hi : -h_lo;
    double t = extent * i / n;
    if (two_sided || h_hi > 0) *hi = fmin(max, t);
    if (two_sided || h_hi <= 0) *lo = fmax(min, -t);
    er_free(h);
    er_free(p);
    er_free(q);
}

/* ---- mse ---------------------------------------------------------------------- */

/* Expected squared error of 8-bit quantization over [clo, chi]. */
static double mse_err(const uint64_t *hist, int n_bins, double h_lo, double w, double clo,
                      double chi) {
    double step = (chi - clo) / 255.0, inside = step * step / 12.0, err = 0;
    for (int b = 0; b < n_bins; b++) {
        if (!hist[b]) continue;
        double c = h_lo + (b + 0.5) * w, e;
        if (c < clo) e = (clo - c) * (clo - c);
        else if (c > chi) e = (c - chi) * (c - chi);
        else e = inside;
        err += (double)hist[b] * e;
    }
    return err;
}

void er_hist_mse(const uint64_t *hist, int n_bins, double h_lo, double h_hi, double min,
                 double max, double *lo, double *hi) {
    *lo = min;
    *hi = max;
    double rlo = fmin(min, 0), rhi = fmax(max, 0);
    if (n_bins < 1 || h_hi <= h_lo || rhi <= rlo) return;
    double w = (h_hi - h_lo) / n_bins;
    enum { K = 400 };
    /* coordinate descent: the upper end with the lower fixed, then the
     * lower with the upper fixed (twice; one end is 0 for one-sided data) */
    double clo = rlo, chi = rhi;
    for (int round = 0; round < 2; round++) {
        for (int end = 0; end < 2; end++) {
            double full = end == 0 ? rhi : rlo;
            if (full == 0) continue;
            double best = INFINITY, best_v = full;
            for (int k = K; k >= 1; k--) { /* strict <: ties keep the wider range */
                double v = full * k / K;
                double e = end == 0 ? mse_err(hist, n_bins, h_lo, w, clo, v)
                                    : mse_err(hist, n_bins, h_lo, w, v, chi);
                if (e < best) {
                    best = e;
                    best_v = v;
                }
            }
            if (end == 0) chi = best_v;
            else clo = best_v;
        }
    }
    *lo = min < 0 ? fmax(min, clo) : min;
    *hi = max > 0 ? fmin(max, chi) : max;
}

er_status er_calib_choose(const er_calib_stats *s, er_calib_method m, double percentile,
                          float *lo, float *hi) {
    if (!s->seen)
        return er_fail(ER_ERR_INVALID_ARG, "no finite value was observed during calibration");
    double l = s->min, h = s->max;
    if (s->hist && m != ER_CALIB_MINMAX) {
        switch (m) {
        case ER_CALIB_PERCENTILE:
            er_hist_percentile(s->hist, ER_CALIB_BINS, s->h_lo, s->h_hi, s->zeros, s->min, s->max,
                               percentile, &l, &h);
            break;
        case ER_CALIB_ENTROPY:
            er_hist_entropy(s->hist, ER_CALIB_BINS, s->h_lo, s->h_hi, s->min, s->max, &l, &h);
            break;
        case ER_CALIB_MSE:
            er_hist_mse(s->hist, ER_CALIB_BINS, s->h_lo, s->h_hi, s->min, s->max, &l, &h);
            break;
        default: break;
        }
    }
    *lo = (float)l;
    *hi = (float)h;
    return ER_OK;
}

/* ---- feeding samples ----------------------------------------------------------- */

er_status er_feed_plan(const er_model *m, const er_dataset *d, int batch, er_feed *out) {
    memset(out, 0, sizeof *out);
    if (er_model_input_count(m) != 1)
        return er_fail(ER_ERR_UNSUPPORTED, "the model has %d inputs; calibration and evaluation "
                       "feed models with exactly one input", er_model_input_count(m));
    er_dtype dt;
    int rank;
    int64_t dims[ER_MAX_RANK];
    ER_TRY(er_model_input_info(m, 0, &dt, &rank, dims));
    const char *name = er_model_input_name(m, 0);
    if (dt != ER_F32 && dt != ER_U8 && dt != ER_I8)
        return er_fail(ER_ERR_UNSUPPORTED, "input '%s' is %s; samples are fed as float32 (or "
                       "quantized to 8 bits)", name, er_dtype_name(dt));
    if (rank < 0)
        return er_fail(ER_ERR_UNSUPPORTED, "input '%s' has no declared shape", name);
    char sb[ER_SHAPE_STR_MAX];
    er_shape_str(sb, sizeof sb, rank, dims);
    size_t rest = 1;
    bool rest_fixed = true;
    for (int k = 1; k < rank; k++) {
        if (dims[k] < 0) rest_fixed = false;
        else rest *= (size_t)dims[k];
    }
    out->rank = rank;
    memcpy(out->dims, dims, sizeof(int64_t) * (size_t)rank);
    if (rank >= 1 && dims[0] < 0) {
        if (!rest_fixed)
            return er_fail(ER_ERR_UNSUPPORTED, "input '%s' %s: only the first (batch) dimension "
                           "may be symbolic", name, sb);
        if (rest != d->sample_floats)
            return er_fail(ER_ERR_SHAPE, "a sample has %zu values; input '%s' %s takes %zu per "
                           "batch row", d->sample_floats, name, sb, rest);
        out->batched = true;
        out->rows = (size_t)(batch > 0 ? batch : 1);
        out->dims[0] = (int64_t)out->rows;
        return ER_OK;
    }
    size_t all = rest * (rank >= 1 ? (size_t)dims[0] : 1);
    if (all == d->sample_floats) { /* one sample fills the input */
        out->rows = 1;
        return ER_OK;
    }
    if (rank >= 1 && rest == d->sample_floats && dims[0] > 0) { /* fixed batch */
        out->batched = true;
        out->rows = (size_t)dims[0];
        return ER_OK;
    }
    return er_fail(ER_ERR_SHAPE, "a sample has %zu values; input '%s' %s takes %zu (or %zu per "
                   "batch row)", d->sample_floats, name, sb, all, rest);
}

static void observe(void *ctx, int v, const er_tensor *t) {
    if (t->dtype != ER_F32) return;
    er_calib_add(ctx, v, t->data, er_tensor_numel(t));
    er_calib_add_channels(ctx, v, t->data, t->rank, t->dims);
}

er_status er_calibrate(const er_model *m, const er_dataset *d, size_t n, int batch, int threads,
                       bool histograms, er_calib *c, er_progress_fn progress,
                       void *progress_ctx) {
    if (n > d->n_samples) n = d->n_samples;
    if (n == 0) return er_fail(ER_ERR_INVALID_ARG, "calibration: no samples");
    er_feed feed;
    ER_TRY(er_feed_plan(m, d, batch, &feed));
    er_dtype dt;
    ER_TRY(er_model_input_info(m, 0, &dt, NULL, NULL));
    if (dt != ER_F32)
        return er_fail(ER_ERR_UNSUPPORTED, "calibration needs a float32 model input, not %s",
                       er_dtype_name(dt));
    er_options o;
    er_options_init(&o);
    o.optimize = 0; /* observe the model's own values */
    o.threads = threads;
    const int64_t *dp[1] = {feed.dims};
    o.n_input_shapes = 1;
    o.input_ranks = &feed.rank;
    o.input_dims = dp;
    er_session *s = NULL;
    er_tensor *x = NULL;
    ER_TRY(er_session_create(m, &o, &s));
    er_status st = er_tensor_create(ER_F32, feed.rank, feed.dims, &x);
    int in_value = m->graph->inputs[0];
    bool dynamic_batch = feed.batched && m->graph->values[in_value].dims[0] < 0;
    int n_passes = histograms ? 2 : 1;
    er_session_set_observer(s, observe, c);
    for (int pass = 1; pass <= n_passes && st == ER_OK; pass++) {
        if (pass == 2 && (st = er_calib_begin_histograms(c)) != ER_OK) break;
        for (size_t at = 0; at < n && st == ER_OK;) {
            size_t rows = n - at < feed.rows ? n - at : feed.rows;
            float *xd = er_tensor_data(x);
            for (size_t r = 0; r < feed.rows && st == ER_OK; r++) /* pad a fixed batch with
                                                                      its last sample */
                st = d->read(d->ctx, at + (r < rows ? r : rows - 1), xd + r * d->sample_floats);
            if (st != ER_OK) {
                er_error_prefix("calibration sample %zu: ", at);
                break;
            }
            er_tensor *run_x = x, *part = NULL;
            if (rows < feed.rows && dynamic_batch) {
                /* a dynamic batch: run the partial batch at its own size */
                int64_t pd[ER_MAX_RANK];
                memcpy(pd, feed.dims, sizeof pd);
                pd[0] = (int64_t)rows;
                st = er_tensor_wrap(ER_F32, feed.rank, pd, xd, rows * d->sample_floats *
                                    sizeof(float), &part);
                run_x = part;
            }
            if (st == ER_OK) {
                er_calib_add(c, in_value, er_tensor_data(run_x), er_tensor_numel(run_x));
                er_calib_add_channels(c, in_value, er_tensor_data(run_x), run_x->rank,
                                      run_x->dims);
                er_tensor *y[64];
                if (er_model_output_count(m) > 64)
                    st = er_fail(ER_ERR_UNSUPPORTED, "more than 64 model outputs");
                else
                    st = er_session_run(s, (const er_tensor *const *)&run_x, y);
            }
            er_tensor_free(part);
            at += rows;
            if (st == ER_OK && progress) progress(progress_ctx, pass, n_passes, at, n);
        }
    }
    er_tensor_free(x);
    er_session_free(s);
    return st;
}
