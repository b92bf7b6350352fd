/* matmul_integer.c - the integer matrix-product family, one int32 core
 * (er_imatmul) with three epilogues:
 *
 *   MatMulInteger (ONNX opset 10): A, B, [a_zero_point], [b_zero_point] ->
 *       int32 numpy.matmul of (a - a_zp) and (b - b_zp).
 *   QLinearMatMul (ONNX opset 10/21): a, a_scale, a_zp, b, b_scale, b_zp,
 *       y_scale, y_zp -> saturate(rint(acc * a_scale * b_scale / y_scale) +
 *       y_zp), the float epilogue (float32, half to even, as ONNX Runtime).
 *   QMatMul (domain "edgerun"): QLinearMatMul's inputs plus an optional int32
 *       bias [N] (input 8) and activation_min / activation_max, with the
 *       fixed-point epilogue clamp(er_mbqm(acc, QuantizeMultiplier(a_scale *
 *       b_scale[n] / y_scale)) + y_zp, min, max).
 *   QGemm (domain "edgerun"): the same for 2-D A and B with transA / transB
 *       and an optional int32 C (input 8) that broadcasts to [M, N].
 *
 * Shapes follow numpy.matmul (MatMul's rules: 1-D operands are promoted,
 * batch dims broadcast). Zero points and scales of A are per tensor or per
 * row ([M], or [..., M, 1] broadcasting over batch dims), those of B per
 * tensor or per column ([N] or [..., 1, N]), as the ONNX spec allows; y is
 * per tensor. The edgerun ops take A per tensor and B per tensor or per
 * column [N] (the TFLite scheme: per-channel weights). With constant weights
 * and parameters QMatMul and QGemm take the int8 GEMM kernels of cpu/qconv
 * (prepare_fast below), with identical results. */
#include <string.h>

#include "core/alloc.h"
#include "core/checked_math.h"
#include "cpu/qconv/qconv.h"
#include "cpu/qconv/qgemm.h"
#include "int_accum.h"
#include "op.h"
#include "quant_util.h"

typedef enum { K_INTEGER, K_QLINEAR, K_QMATMUL, K_QGEMM } mm_kind;

/* Where a per-row (A side) or per-column (B side) parameter tensor's value
 * for batch index b and row/column r lives: sum(bidx[d] * bstride[d]) +
 * r * rstride; all strides 0 per tensor. */
typedef struct {
    const er_tensor *t;
    int64_t bstride[ER_MAX_RANK];
    int64_t rstride;
} side_param;

typedef struct {
    int64_t M, N, K;
    int batch_rank;
    int64_t batch[ER_MAX_RANK];
    int64_t sa[ER_MAX_RANK], sb[ER_MAX_RANK]; /* matrix-index strides per batch dim */
    int64_t n_batch;
    int rank;
    int64_t dims[ER_MAX_RANK];
    bool trans_a, trans_b;
    bool fold_batch; /* B has no batch dims and A's params are per tensor: one big M */
    side_param a_zp, a_s, b_zp, b_s;
} mm_geom;

typedef struct {
    int a, b, as, az, bs, bz, ys, yz, bias;
} mm_inputs;

static mm_inputs inputs_of(mm_kind k) {
    if (k == K_INTEGER) return (mm_inputs){0, 1, -1, 2, -1, 3, -1, -1, -1};
    return (mm_inputs){0, 3, 1, 2, 4, 5, 6, 7, 8};
}

static const er_dtype k_q8[] = {ER_U8, ER_I8, ER_UNDEF};

static er_status shape_dims(const er_op_ctx *c, mm_kind k, mm_geom *g) {
    mm_inputs in = inputs_of(k);
    const er_tensor *a = c->in[in.a], *b = c->in[in.b];
    int ra = a->rank, rb = b->rank;
    if (k == K_QGEMM) {
        int64_t ta = er_attr_int(c->node, "transA", 0), tb = er_attr_int(c->node, "transB", 0);
        if ((ta != 0 && ta != 1) || (tb != 0 && tb != 1))
            return er_fail(ER_ERR_INVALID_MODEL, "transA %lld / transB %lld must be 0 or 1",
                           (long long)ta, (long long)tb);
        if (ra != 2 || rb != 2)
            return er_fail(ER_ERR_SHAPE, "A %s and B %s: QGemm needs 2-D inputs",
                           er_op_shape_str(a), er_op_shape_str(b));
        g->trans_a = ta;
        g->trans_b = tb;
        g->M = a->dims[ta ? 1 : 0];
        g->K = a->dims[ta ? 0 : 1];
        int64_t kb = b->dims[tb ? 1 : 0];
        g->N = b->dims[tb ? 0 : 1];
        if (kb != g->K)
            return er_fail(ER_ERR_SHAPE, "A %s and B %s (transA %d, transB %d): inner dims %lld "
                           "and %lld differ", er_op_shape_str(a), er_op_shape_str(b), (int)ta,
                           (int)tb, (long long)g->K, (long long)kb);
        g->n_batch = 1;
        g->rank = 2;
        g->dims[0] = g->M;
        g->dims[1] = g->N;
        return ER_OK;
    }
    if (ra < 1 || rb < 1)
        return er_fail(ER_ERR_SHAPE, "inputs %s and %s: a matrix product needs rank >= 1",
                       er_op_shape_str(a), er_op_shape_str(b));
    g->M = ra == 1 ? 1 : a->dims[ra - 2];
    g->K = a->dims[ra - 1];
    int64_t kb = rb == 1 ? b->dims[0] : b->dims[rb - 2];
    g->N = rb == 1 ? 1 : b->dims[rb - 1];
    if (kb != g->K)
        return er_fail(ER_ERR_SHAPE, "A %s and B %s: inner dims %lld and %lld differ",
                       er_op_shape_str(a), er_op_shape_str(b), (long long)g->K, (long long)kb);
    int ba = ra > 2 ? ra - 2 : 0, bb = rb > 2 ? rb - 2 : 0;
    if (!er_broadcast_shape(ba, a->dims, bb, b->dims, &g->batch_rank, g->batch))
        return er_fail(ER_ERR_SHAPE, "A %s and B %s: batch dims cannot be broadcast",
                       er_op_shape_str(a), er_op_shape_str(b));
    er_broadcast_strides(ba, a->dims, g->batch_rank, g->batch, g->sa);
    er_broadcast_strides(bb, b->dims, g->batch_rank, g->batch, g->sb);
    g->n_batch = 1;
    for (int i = 0; i < g->batch_rank; i++) g->n_batch *= g->batch[i];
    memcpy(g->dims, g->batch, sizeof(int64_t) * (size_t)g->batch_rank);
    g->rank = g->batch_rank;
    if (ra > 1) g->dims[g->rank++] = g->M;
    if (rb > 1) g->dims[g->rank++] = g->N;
    return ER_OK;
}

/* Sets up a side parameter (zero point or scale, input idx) of A (row side)
 * or B (column side); operand_rank is the rank of A or B. */
static er_status side_setup(const er_op_ctx *c, const mm_geom *g, int idx, bool row_side,
                            bool allow_per_axis, int operand_rank, const char *what,
                            side_param *p) {
    memset(p, 0, sizeof *p);
    p->t = idx >= 0 && idx < c->n_in ? c->in[idx] : NULL;
    if (!p->t || er_tensor_numel(p->t) == 1) return ER_OK;
    const er_tensor *t = p->t;
    int64_t len = row_side ? g->M : g->N;
    if (allow_per_axis && t->rank == 1 && t->dims[0] == len) {
        p->rstride = 1;
        return ER_OK;
    }
    /* [..., M, 1] / [..., 1, N]: the operand's rank, batch dims broadcasting */
    if (allow_per_axis && t->rank >= 2 && t->rank == operand_rank) {
        int r = t->rank;
        bool ok = row_side ? (t->dims[r - 2] == len && t->dims[r - 1] == 1)
                           : (t->dims[r - 2] == 1 && t->dims[r - 1] == len);
        int64_t bdims[ER_MAX_RANK];
        int rr;
        if (ok && er_broadcast_shape(r - 2, t->dims, g->batch_rank, g->batch, &rr, bdims) &&
            er_shape_equal(rr, bdims, g->batch_rank, g->batch)) {
            er_broadcast_strides(r - 2, t->dims, g->batch_rank, g->batch, p->bstride);
            for (int d = 0; d < g->batch_rank; d++) p->bstride[d] *= len;
            p->rstride = 1;
            return ER_OK;
        }
    }
    return er_fail(ER_ERR_SHAPE, "%s shape %s: expected a scalar%s", what, er_op_shape_str(t),
                   !allow_per_axis ? " (per tensor)"
                   : row_side      ? ", [M] or [..., M, 1] (per row)"
                                   : ", [N] or [..., 1, N] (per column)");
}

static int64_t side_index(const side_param *p, const int64_t *bidx, int brank, int64_t r) {
    int64_t i = r * p->rstride;
    for (int d = 0; d < brank; d++) i += bidx[d] * p->bstride[d];
    return i;
}

static er_status geometry(const er_op_ctx *c, mm_kind k, mm_geom *g) {
    memset(g, 0, sizeof *g);
    ER_TRY(shape_dims(c, k, g));
    mm_inputs in = inputs_of(k);
    bool a_axis = k == K_INTEGER || k == K_QLINEAR;
    int ra = c->in[in.a]->rank, rb = c->in[in.b]->rank;
    ER_TRY(side_setup(c, g, in.az, true, a_axis, ra, "a zero point", &g->a_zp));
    ER_TRY(side_setup(c, g, in.bz, false, true, rb, "b zero point", &g->b_zp));
    if (k != K_INTEGER) {
        ER_TRY(side_setup(c, g, in.as, true, a_axis, ra, "a scale", &g->a_s));
        ER_TRY(side_setup(c, g, in.bs, false, true, rb, "b scale", &g->b_s));
        if (k != K_QLINEAR && (g->b_s.bstride[0] || g->b_zp.bstride[0] ||
                               (g->b_s.t && g->b_s.t->rank > 1)))
            return er_fail(ER_ERR_SHAPE, "b scale %s: %s takes per-tensor or [N] parameters",
                           er_op_shape_str(g->b_s.t), c->node->op_type);
    }
    const er_tensor *b = c->in[in.b];
    g->fold_batch = k != K_QGEMM && b->rank <= 2 && c->in[in.a]->rank > 2 && !g->a_zp.rstride &&
                    !g->a_s.rstride;
    return ER_OK;
}

/* Validates every scale value of a side parameter. */
static er_status check_scales(const er_tensor *t, const char *what) {
    size_t n = er_tensor_numel(t);
    for (size_t i = 0; i < n; i++) {
        double v = er_load_f64(t->data, t->dtype, i);
        if (!(v > 0) || !(v < 3.4e38))
            return er_fail(ER_ERR_INVALID_MODEL, "%s scale[%zu] = %g: a scale must be finite and "
                           "> 0", what, i, v);
    }
    return ER_OK;
}

static er_status shape_family(er_op_ctx *c, mm_kind k) {
    mm_inputs in = inputs_of(k);
    if (k == K_INTEGER) ER_TRY(er_op_check_inputs(c, 2, 4));
    else if (k == K_QLINEAR) ER_TRY(er_op_check_inputs(c, 8, 8));
    else ER_TRY(er_op_check_inputs(c, 8, 9));
    ER_TRY(er_op_check_dtype(c, in.a, k_q8));
    ER_TRY(er_op_check_dtype(c, in.b, k_q8));
    er_dtype adt = c->in[in.a]->dtype, bdt = c->in[in.b]->dtype, ydt = ER_I32;
    mm_geom g;
    ER_TRY(geometry(c, k, &g));
    if (k == K_INTEGER) {
        if (c->n_in > 2 && c->in[2] && c->in[2]->dtype != adt)
            return er_fail(ER_ERR_INVALID_MODEL, "a_zero_point has dtype %s, A has %s",
                           er_dtype_name(c->in[2]->dtype), er_dtype_name(adt));
        if (c->n_in > 3 && c->in[3] && c->in[3]->dtype != bdt)
            return er_fail(ER_ERR_INVALID_MODEL, "b_zero_point has dtype %s, B has %s",
                           er_dtype_name(c->in[3]->dtype), er_dtype_name(bdt));
    } else {
        const er_tensor *as = c->in[in.as], *az = c->in[in.az], *bs = c->in[in.bs],
                        *bz = c->in[in.bz];
        if (!as || !az || !bs || !bz)
            return er_fail(ER_ERR_INVALID_MODEL, "scales and zero points of a and b are required");
        if (as->dtype != ER_F32 || bs->dtype != ER_F32)
            return er_fail(ER_ERR_UNSUPPORTED, "a/b scales have dtypes %s/%s; float32 is "
                           "supported", er_dtype_name(as->dtype), er_dtype_name(bs->dtype));
        if (az->dtype != adt || bz->dtype != bdt)
            return er_fail(ER_ERR_INVALID_MODEL, "zero points have dtypes %s/%s, a/b have %s/%s",
                           er_dtype_name(az->dtype), er_dtype_name(bz->dtype), er_dtype_name(adt),
                           er_dtype_name(bdt));
        if (!er_shape_equal(as->rank, as->dims, az->rank, az->dims) ||
            !er_shape_equal(bs->rank, bs->dims, bz->rank, bz->dims))
            return er_fail(ER_ERR_SHAPE, "scale and zero point shapes differ (a: %s vs %s, b: %s "
                           "vs %s)", er_op_shape_str(as), er_op_shape_str(az),
                           er_op_shape_str(bs), er_op_shape_str(bz));
        if (as->data) ER_TRY(check_scales(as, "a")); /* constants: fail at planning */
        if (bs->data) ER_TRY(check_scales(bs, "b"));
        bool pc;
        ER_TRY(er_qparam_dtype(c, "y", in.yz, &ydt));
        ER_TRY(er_qparams_check(c, "y", in.ys, in.yz, ydt, false, 0, &pc));
        if (k != K_QLINEAR) {
            int32_t lo, hi;
            ER_TRY(er_qactivation(c, ydt, &lo, &hi));
        }
        if (k == K_QMATMUL && c->n_in > 8 && c->in[8]) {
            const er_tensor *bias = c->in[8];
            if (bias->dtype != ER_I32 || bias->rank != 1 || bias->dims[0] != g.N)
                return er_fail(ER_ERR_INVALID_MODEL, "bias %s %s: expected int32 [%lld]",
                               er_dtype_name(bias->dtype), er_op_shape_str(bias), (long long)g.N);
        }
        if (k == K_QGEMM && c->n_in > 8 && c->in[8]) {
            const er_tensor *cc = c->in[8];
            int64_t mn[2] = {g.M, g.N}, out[ER_MAX_RANK];
            int ro;
            if (cc->dtype != ER_I32 || cc->rank > 2 ||
                !er_broadcast_shape(cc->rank, cc->dims, 2, mn, &ro, out) ||
                !er_shape_equal(ro, out, 2, mn))
                return er_fail(ER_ERR_INVALID_MODEL, "C %s %s: expected int32 broadcastable to "
                               "[%lld,%lld]", er_dtype_name(cc->dtype), er_op_shape_str(cc),
                               (long long)g.M, (long long)g.N);
        }
    }
    er_op_set_output(c, 0, ydt, g.rank, g.dims);
    return ER_OK;
}

/* Scratch: a16 [Mr*K], b16 [K*N], acc [Mr*N] (Mr = rows per product) and
 * er_qmul [N]. */
typedef struct {
    size_t a16, b16, acc, mul, total;
    int64_t rows;
} mm_scratch;

static size_t align64(size_t n) { return (n + 63) & ~(size_t)63; }

static er_status scratch_layout(const mm_geom *g, mm_scratch *s) {
    s->rows = g->fold_batch ? g->M * g->n_batch : g->M;
    size_t a, b, acc, mul, t;
    if (!er_mul_size(&a, (size_t)s->rows, (size_t)g->K) || !er_mul_size(&a, a, 2) ||
        !er_mul_size(&b, (size_t)g->K, (size_t)g->N) || !er_mul_size(&b, b, 2) ||
        !er_mul_size(&acc, (size_t)s->rows, (size_t)g->N) || !er_mul_size(&acc, acc, 4) ||
        !er_mul_size(&mul, (size_t)g->N, sizeof(er_qmul)) || a > ((size_t)1 << 40) ||
        b > ((size_t)1 << 40) || acc > ((size_t)1 << 40))
        return er_fail(ER_ERR_SHAPE, "scratch for a %lld x %lld x %lld product is too large",
                       (long long)s->rows, (long long)g->K, (long long)g->N);
    s->a16 = 0;
    s->b16 = align64(a);
    s->acc = s->b16 + align64(b);
    s->mul = s->acc + align64(acc);
    t = s->mul + align64(mul);
    s->total = t;
    return ER_OK;
}

static int32_t side_i32(const side_param *p, const int64_t *bidx, int brank, int64_t r) {
    return p->t ? (int32_t)er_load_i64(p->t->data, p->t->dtype,
                                       (size_t)side_index(p, bidx, brank, r)) : 0;
}

static float side_f32(const side_param *p, const int64_t *bidx, int brank, int64_t r) {
    return (float)er_load_f64(p->t->data, p->t->dtype, (size_t)side_index(p, bidx, brank, r));
}

/* ---- fast path: constant weights ---------------------------------------------- *
 * QMatMul / QGemm with a constant 2-D B, constant parameters, A untransposed and
 * a bias that is per column ([N] or [1, N]) run as a 1x1 int8 convolution on
 * the rows of A (cpu/qconv: packed weights, the int8 GEMM microkernels), which
 * computes the same sums and the same fixed-point epilogue, so the same bytes. */

static bool is_const(const er_op_ctx *c, int i) {
    return i >= c->n_in || !c->in[i] || c->in[i]->data != NULL;
}

static er_status run_fast(er_op_ctx *c) {
    er_qconv_run(c->state, c->in[0]->data, c->out[0]->data, c->scratch, c->pool);
    return ER_OK;
}

static void release_fast(void *state) { er_qconv_plan_free(state); }

/* Sets c->state / c->kernel when the fast path applies; leaves them unset
 * otherwise (the reference runs). */
static er_status prepare_fast(er_op_ctx *c, mm_kind k, const mm_geom *g) {
    const er_tensor *a = c->in[0], *b = c->in[3];
    for (int i = 1; i < c->n_in; i++)
        if (!is_const(c, i)) return ER_OK;
    if (b->rank != 2 || g->trans_a || g->a_zp.rstride || g->a_s.rstride ||
        (k == K_QMATMUL && g->batch_rank > 0 && !g->fold_batch))
        return ER_OK;
    const er_tensor *bias = c->n_in > 8 ? c->in[8] : NULL;
    if (bias && k == K_QGEMM && !(bias->rank == 1 || (bias->rank == 2 && bias->dims[0] == 1)))
        return ER_OK;
    if (bias && (int64_t)er_tensor_numel(bias) != g->N) return ER_OK;
    int64_t rows = g->fold_batch ? g->M * g->n_batch : g->M, N = g->N, K = g->K;
    if (rows <= 0 || N <= 0 || K <= 0) return ER_OK;
    er_qconv_desc d;
    memset(&d, 0, sizeof d);
    d.N = 1;
    d.H = d.OH = rows;
    d.W = d.OW = 1;
    d.C = K;
    d.M = N;
    d.KH = d.KW = d.stride_h = d.stride_w = d.dil_h = d.dil_w = d.group = 1;
    d.x_dtype = a->dtype;
    d.w_dtype = b->dtype;
    d.y_dtype = c->out[0]->dtype;
    float a_s, y_s;
    ER_TRY(er_qparam_read1(c, "a", 1, 2, &a_s, &d.x_zp));
    ER_TRY(er_qparam_read1(c, "y", 6, 7, &y_s, &d.y_zp));
    ER_TRY(er_qactivation(c, d.y_dtype, &d.y_min, &d.y_max));
    size_t bytes = (size_t)N * (size_t)K;
    uint8_t *w = er_malloc(bytes);
    int32_t *zp = er_malloc(sizeof(int32_t) * (size_t)N);
    er_qmul *mul = er_malloc(sizeof(er_qmul) * (size_t)N);
    er_status st = ER_OK;
    if (!w || !zp || !mul) st = er_fail(ER_ERR_NOMEM, "out of memory preparing an int8 product");
    for (int64_t j = 0; st == ER_OK && j < N; j++) {
        /* the weights as [N][K] (a 1x1 convolution's [M][C]) */
        for (int64_t kk = 0; kk < K; kk++)
            w[j * K + kk] = ((const uint8_t *)b->data)[g->trans_b ? j * K + kk : kk * N + j];
        zp[j] = side_i32(&g->b_zp, NULL, 0, j);
        mul[j] = er_quantize_multiplier((double)a_s * (double)side_f32(&g->b_s, NULL, 0, j) /
                                        (double)y_s);
    }
    er_qconv_plan *plan = NULL;
    if (st == ER_OK)
        st = er_qconv_plan_create(&d, w, zp, bias ? bias->data : NULL, mul, (er_isa)c->isa,
                                  er_qfeatures_for((er_isa)c->isa), er_threadpool_size(c->pool),
                                  &plan);
    er_free(w);
    er_free(zp);
    er_free(mul);
    ER_TRY(st);
    c->state = plan;
    c->kernel = run_fast;
    c->scratch_bytes = er_qconv_scratch_bytes(plan);
    return ER_OK;
}

static er_status prepare_family(er_op_ctx *c, mm_kind k) {
    mm_geom g;
    ER_TRY(geometry(c, k, &g));
    mm_scratch s = {0};
    ER_TRY(scratch_layout(&g, &s));
    c->scratch_bytes = s.total;
    if (k == K_QMATMUL || k == K_QGEMM) ER_TRY(prepare_fast(c, k, &g));
    return ER_OK;
}


static er_status run_family(er_op_ctx *c, mm_kind k) {
    mm_inputs in = inputs_of(k);
    mm_geom g;
    ER_TRY(geometry(c, k, &g));
    mm_scratch s = {0};
    ER_TRY(scratch_layout(&g, &s));
    if (c->scratch_bytes < s.total)
        return er_fail(ER_ERR_INTERNAL, "ran with %zu scratch bytes, needs %zu", c->scratch_bytes,
                       s.total);
    char *base = c->scratch;
    int16_t *a16 = (int16_t *)(base + s.a16), *b16 = (int16_t *)(base + s.b16);
    uint32_t *acc = (uint32_t *)(base + s.acc);
    er_qmul *mul = (er_qmul *)(base + s.mul);
    const er_tensor *a = c->in[in.a], *b = c->in[in.b];
    er_tensor *y = c->out[0];
    float y_s = 1;
    int32_t y_zp = 0, lo = 0, hi = 0;
    if (k != K_INTEGER) {
        ER_TRY(check_scales(g.a_s.t, "a"));
        ER_TRY(check_scales(g.b_s.t, "b"));
        ER_TRY(er_qparam_read1(c, "y", in.ys, in.yz, &y_s, &y_zp));
        er_qdtype_range(y->dtype, &lo, &hi);
        if (k != K_QLINEAR) {
            ER_TRY(er_qactivation(c, y->dtype, &lo, &hi));
            double as = er_load_f64(g.a_s.t->data, g.a_s.t->dtype, 0);
            for (int64_t j = 0; j < g.N; j++)
                mul[j] = er_quantize_multiplier(as * (double)side_f32(&g.b_s, NULL, 0, j) /
                                                (double)y_s);
        }
    }
    const int32_t *bias = k == K_QMATMUL && c->n_in > 8 && c->in[8] ? c->in[8]->data : NULL;
    const er_tensor *cm = k == K_QGEMM && c->n_in > 8 ? c->in[8] : NULL;
    int64_t c_str[2] = {0, 0};
    if (cm) {
        int64_t mn[2] = {g.M, g.N};
        er_broadcast_strides(cm->rank, cm->dims, 2, mn, c_str);
    }
    int64_t n_products = g.fold_batch ? 1 : g.n_batch;
    int64_t rows = s.rows;
    int64_t bidx[ER_MAX_RANK] = {0};
    for (int64_t p = 0; p < n_products; p++) {
        /* matrix offsets of this batch entry */
        int64_t ai = 0, bi = 0;
        for (int d = 0; d < g.batch_rank; d++) {
            ai += bidx[d] * g.sa[d];
            bi += bidx[d] * g.sb[d];
        }
        const int64_t *bx = g.fold_batch ? NULL : bidx;
        int br = g.fold_batch ? 0 : g.batch_rank;
        /* A rows minus their zero points */
        for (int64_t i = 0; i < rows; i++) {
            int32_t z = side_i32(&g.a_zp, bx, br, g.fold_batch ? 0 : i);
            for (int64_t kk = 0; kk < g.K; kk++) {
                int64_t src = g.trans_a ? kk * g.M + i : (ai * g.M + i) * g.K + kk;
                a16[i * g.K + kk] = (int16_t)(er_qload(a->data, a->dtype, src) - z);
            }
        }
        for (int64_t kk = 0; kk < g.K; kk++)
            for (int64_t j = 0; j < g.N; j++) {
                int64_t src = g.trans_b ? j * g.K + kk : (bi * g.K + kk) * g.N + j;
                b16[kk * g.N + j] =
                    (int16_t)(er_qload(b->data, b->dtype, src) - side_i32(&g.b_zp, bx, br, j));
            }
        for (int64_t i = 0; i < rows; i++)
            for (int64_t j = 0; j < g.N; j++)
                acc[i * g.N + j] = bias ? (uint32_t)bias[j]
                                 : cm ? (uint32_t)((const int32_t *)cm->data)[i * c_str[0] +
                                                                               j * c_str[1]]
                                      : 0;
        er_imatmul(rows, g.N, g.K, a16, b16, acc);
        /* epilogue into the output block of this product */
        int64_t yoff = p * g.M * g.N;
        const int32_t *sums = (const int32_t *)acc; /* two's complement view (C11 6.5p7) */
        if (k == K_INTEGER) {
            memcpy((int32_t *)y->data + yoff, sums, sizeof(int32_t) * (size_t)(rows * g.N));
        } else if (k == K_QLINEAR) {
            for (int64_t i = 0; i < rows; i++) {
                float as = side_f32(&g.a_s, bx, br, g.fold_batch ? 0 : i);
                for (int64_t j = 0; j < g.N; j++) {
                    float sc = as * side_f32(&g.b_s, bx, br, j) / y_s;
                    er_qstore(y->data, y->dtype, yoff + i * g.N + j,
                              er_requant_float(sums[i * g.N + j], sc, y_zp, lo, hi));
                }
            }
        } else {
            for (int64_t i = 0; i < rows; i++)
                for (int64_t j = 0; j < g.N; j++)
                    er_qstore(y->data, y->dtype, yoff + i * g.N + j,
                              er_requant(sums[i * g.N + j], mul[j], y_zp, lo, hi));
        }
        for (int d = g.batch_rank - 1; d >= 0; d--) {
            if (++bidx[d] < g.batch[d]) break;
            bidx[d] = 0;
        }
    }
    return ER_OK;
}

static uint64_t macs_family(const er_op_ctx *c, mm_kind k) {
    mm_geom g;
    if (geometry(c, k, &g) != ER_OK) return 0;
    return (uint64_t)g.n_batch * (uint64_t)g.M * (uint64_t)g.N * (uint64_t)g.K;
}

#define MM_OP(sym, kind)                                                                       \
    static er_status shape_##sym(er_op_ctx *c) { return shape_family(c, kind); }               \
    static er_status prepare_##sym(er_op_ctx *c) { return prepare_family(c, kind); }           \
    static er_status run_##sym(er_op_ctx *c) { return run_family(c, kind); }                   \
    static uint64_t macs_##sym(const er_op_ctx *c) { return macs_family(c, kind); }
MM_OP(mi, K_INTEGER)
MM_OP(ql, K_QLINEAR)
MM_OP(qm, K_QMATMUL)
MM_OP(qg, K_QGEMM)

const er_op_def er_op_matmul_integer = {.name = "MatMulInteger", .min_opset = 10,
                                        .shape = shape_mi, .prepare = prepare_mi, .run = run_mi,
                                        .macs = macs_mi};
const er_op_def er_op_qlinear_matmul = {.name = "QLinearMatMul", .min_opset = 10,
                                        .shape = shape_ql, .prepare = prepare_ql, .run = run_ql,
                                        .macs = macs_ql};
const er_op_def er_op_qmatmul = {.name = "QMatMul", .domain = "edgerun", .min_opset = 1,
                                 .shape = shape_qm, .prepare = prepare_qm, .run = run_qm,
                                 .release = release_fast, .macs = macs_qm};
const er_op_def er_op_qgemm = {.name = "QGemm", .domain = "edgerun", .min_opset = 1,
                               .shape = shape_qg, .prepare = prepare_qg, .run = run_qg,
                               .release = release_fast, .macs = macs_qg};
