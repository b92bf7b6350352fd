/* quant_search.c - accuracy of quantized candidates, per-unit sensitivity
 * and mixed precision (see quant_search.h).
 *
 * All measurements use the same first n samples and compare output 0 (the
 * class scores of a classifier) with the float model's. Candidates are
 * built and run one at a time, so memory stays at one model and one
 * session beyond the reference outputs. */
#include "quant_search.h"

#include <math.h>
#include <string.h>

#include "core/alloc.h"
#include "core/checked_math.h"
#include "core/status.h"
#include "core/tensor.h"
#include "runtime/model.h"

static int32_t argmax(const float *y, size_t n) {
    size_t best = 0;
    for (size_t i = 1; i < n; i++)
        if (y[i] > y[best]) best = i;
    return (int32_t)best;
}

/* Runs m over the first e->n samples; sink(ctx, row, y, per) per sample. */
typedef er_status (*sink_fn)(void *ctx, size_t row, const float *y, size_t per);

static er_status run_all(const er_model *m, const er_dataset *d, size_t n, int batch, int threads,
                         sink_fn sink, void *ctx, er_progress_fn progress, void *pctx) {
    er_feed feed;
    ER_TRY(er_feed_plan(m, d, batch, &feed));
    er_options o;
    er_options_init(&o);
    o.threads = threads;
    const int64_t *dp[1] = {feed.dims};
    o.n_input_shapes = 1;
    o.input_ranks = &feed.rank;
    o.input_dims = dp;
    er_session *s = NULL;
    er_tensor *x = NULL, *part = NULL;
    ER_TRY(er_session_create(m, &o, &s));
    bool dynamic_batch = feed.batched && m->graph->values[m->graph->inputs[0]].dims[0] < 0;
    er_status st = er_tensor_create(ER_F32, feed.rank, feed.dims, &x);
    er_tensor **y = NULL;
    int n_out = er_model_output_count(m);
    if (st == ER_OK && !(y = er_calloc((size_t)(n_out ? n_out : 1), sizeof *y)))
        st = er_fail(ER_ERR_NOMEM, "out of memory");
    for (size_t at = 0; at < n && st == ER_OK;) {
        size_t rows = n - at < feed.rows ? n - at : feed.rows;
        float *xd = er_tensor_data(x);
        for (size_t r = 0; r < feed.rows && st == ER_OK; r++)
            st = d->read(d->ctx, at + (r < rows ? r : rows - 1), xd + r * d->sample_floats);
        er_tensor *run_x = x;
        if (st == ER_OK && rows < feed.rows && dynamic_batch) {
            int64_t pd[ER_MAX_RANK];
            memcpy(pd, feed.dims, sizeof pd);
            pd[0] = (int64_t)rows;
            st = er_tensor_wrap(ER_F32, feed.rank, pd, xd, rows * d->sample_floats * sizeof(float),
                                &part);
            run_x = part;
        }
        if (st == ER_OK) st = er_session_run(s, (const er_tensor *const *)&run_x, y);
        if (st == ER_OK && er_tensor_dtype(y[0]) != ER_F32)
            st = er_fail(ER_ERR_UNSUPPORTED, "output 0 is %s; measurements compare float32 "
                         "outputs", er_dtype_name(er_tensor_dtype(y[0])));
        if (st == ER_OK) {
            size_t total = er_tensor_count(y[0]);
            size_t run_rows = feed.batched ? (size_t)er_tensor_dim(run_x, 0) : 1;
            size_t per = total / (run_rows ? run_rows : 1);
            const float *yd = er_tensor_data_const(y[0]);
            for (size_t r = 0; r < rows && st == ER_OK; r++) st = sink(ctx, at + r, yd + r * per, per);
        }
        er_tensor_free(part);
        part = NULL;
        at += rows;
        if (st == ER_OK && progress) progress(pctx, 1, 1, at, n);
    }
    er_free(y);
    er_tensor_free(x);
    er_session_free(s);
    return st;
}

static er_status ref_sink(void *ctx, size_t row, const float *y, size_t per) {
    er_qeval *e = ctx;
    if (!e->ref) {
        e->per_sample = per;
        size_t bytes;
        if (!er_mul_size(&bytes, e->n, per) || !er_mul_size(&bytes, bytes, sizeof(float)) ||
            !(e->ref = er_malloc(bytes)))
            return er_fail(ER_ERR_NOMEM, "out of memory for reference outputs");
    }
    if (per != e->per_sample)
        return er_fail(ER_ERR_SHAPE, "output 0 has %zu values per sample, earlier %zu", per,
                       e->per_sample);
    memcpy(e->ref + row * per, y, per * sizeof(float));
    e->ref_top1[row] = argmax(y, per);
    return ER_OK;
}

er_status er_qeval_init(const er_model *float_model, const er_dataset *d, size_t n, int batch,
                        int threads, er_qeval *e, er_progress_fn progress, void *progress_ctx) {
    memset(e, 0, sizeof *e);
    if (n > d->n_samples) n = d->n_samples;
    if (n == 0) return er_fail(ER_ERR_INVALID_ARG, "no samples to measure on");
    e->d = d;
    e->n = n;
    e->batch = batch;
    e->threads = threads;
    e->ref_acc = -1;
    if (!(e->ref_top1 = er_malloc(sizeof(int32_t) * n)))
        return er_fail(ER_ERR_NOMEM, "out of memory");
    er_status st = run_all(float_model, d, n, batch, threads, ref_sink, e, progress, progress_ctx);
    if (st != ER_OK) {
        er_qeval_free(e);
        return st;
    }
    if (d->labels) {
        size_t ok = 0;
        for (size_t i = 0; i < n; i++) ok += e->ref_top1[i] == d->labels[i];
        e->ref_acc = (double)ok / (double)n;
    }
    return ER_OK;
}

void er_qeval_free(er_qeval *e) {
    if (!e) return;
    er_free(e->ref);
    er_free(e->ref_top1);
    e->ref = NULL;
    e->ref_top1 = NULL;
}

typedef struct cmp_ctx {
    const er_qeval *e;
    double err, energy;
    size_t agree, correct;
} cmp_ctx;

static er_status cmp_sink(void *ctx, size_t row, const float *y, size_t per) {
    cmp_ctx *c = ctx;
    const er_qeval *e = c->e;
    if (per != e->per_sample)
        return er_fail(ER_ERR_SHAPE, "output 0 has %zu values per sample, the float model's %zu",
                       per, e->per_sample);
    const float *r = e->ref + row * per;
    for (size_t i = 0; i < per; i++) {
        double dlt = (double)y[i] - (double)r[i];
        c->err += dlt * dlt;
        c->energy += (double)r[i] * (double)r[i];
    }
    int32_t t = argmax(y, per);
    c->agree += t == e->ref_top1[row];
    if (e->d->labels) c->correct += t == e->d->labels[row];
    return ER_OK;
}

er_status er_qeval_run(er_qeval *e, const er_model *m, er_qeval_result *r) {
    cmp_ctx c = {e, 0, 0, 0, 0};
    ER_TRY(run_all(m, e->d, e->n, e->batch, e->threads, cmp_sink, &c, NULL, NULL));
    r->nmse = c.energy > 0 ? c.err / c.energy : c.err;
    r->agree = (double)c.agree / (double)e->n;
    r->acc = e->d->labels ? (double)c.correct / (double)e->n : -1;
    r->drop = e->d->labels ? 100.0 * (e->ref_acc - r->acc) : 100.0 * (1.0 - r->agree);
    return ER_OK;
}

/* Builds the configuration with the given float units and measures it. */
static er_status measure(const er_qanalysis *a, const er_quant_config *base, const bool *unit_float,
                         er_qeval *e, er_qeval_result *r) {
    er_quant_config cfg = *base;
    cfg.unit_float = unit_float;
    cfg.int8_io = false;
    er_graph *g;
    ER_TRY(er_quantize_graph(a, &cfg, &g, NULL));
    er_model *m;
    ER_TRY(er_quant_model(g, a->model->path, &m));
    er_status st = er_qeval_run(e, m, r);
    er_model_free(m);
    return st;
}

er_status er_quant_sensitivity(const er_qanalysis *a, const er_quant_config *cfg, er_qeval *e,
                               er_qeval_result *res, er_progress_fn progress, void *progress_ctx) {
    bool *fl = er_malloc(sizeof(bool) * (size_t)(a->n_units ? a->n_units : 1));
    if (!fl) return er_fail(ER_ERR_NOMEM, "out of memory");
    er_status st = ER_OK;
    for (int u = 0; u < a->n_units && st == ER_OK; u++) {
        for (int k = 0; k < a->n_units; k++) fl[k] = k != u;
        st = measure(a, cfg, fl, e, &res[u]);
        if (st != ER_OK) er_error_prefix("sensitivity of %s: ", er_quant_unit_label(a, u));
        if (progress) progress(progress_ctx, 1, 1, (size_t)u + 1, (size_t)a->n_units);
    }
    er_free(fl);
    return st;
}

er_status er_quant_mixed(const er_qanalysis *a, const er_quant_config *cfg, er_qeval *e,
                         const er_qeval_result *sens, double max_drop, bool *unit_float,
                         er_qeval_result *final, er_progress_fn progress, void *progress_ctx) {
    int nu = a->n_units, n_free = 0;
    int *order = er_malloc(sizeof(int) * (size_t)(nu ? nu : 1));
    if (!order) return er_fail(ER_ERR_NOMEM, "out of memory");
    /* the units not forced to float, most sensitive first (insertion sort:
     * stable, a few hundred units at most) */
    for (int u = 0; u < nu; u++) {
        if (unit_float[u]) continue;
        int j = n_free++;
        while (j > 0 && sens[order[j - 1]].nmse < sens[u].nmse) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = u;
    }
    er_status st = measure(a, cfg, unit_float, e, final);
    size_t step = 0, steps = (size_t)n_free * 2 + 1;
    if (progress) progress(progress_ctx, 1, 1, ++step, steps);
    int k = 0;
    /* keep the most sensitive units in float until the drop is within bounds */
    while (st == ER_OK && final->drop > max_drop && k < n_free) {
        unit_float[order[k++]] = true;
        st = measure(a, cfg, unit_float, e, final);
        if (progress) progress(progress_ctx, 1, 1, ++step, steps);
    }
    /* then try each of them back in int8, least sensitive first */
    for (int j = k - 1; j >= 0 && st == ER_OK && final->drop <= max_drop; j--) {
        int u = order[j];
        unit_float[u] = false;
        er_qeval_result r;
        st = measure(a, cfg, unit_float, e, &r);
        if (st == ER_OK && r.drop <= max_drop) *final = r;
        else unit_float[u] = true;
        if (progress) progress(progress_ctx, 1, 1, ++step, steps);
    }
    if (progress && step < steps) progress(progress_ctx, 1, 1, steps, steps);
    er_free(order);
    return st;
}
