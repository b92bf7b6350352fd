/* qbinary.c - quantized elementwise QAdd and QMul (domain "edgerun"), with
 * numpy broadcasting and TFLite's int8 reference arithmetic, bit for bit.
 *
 * Inputs (the com.microsoft QLinearAdd layout): A, A_scale, A_zp, B,
 * B_scale, B_zp, Y_scale, Y_zp; all per tensor; A, B and Y uint8 or int8
 * (independently). Attributes activation_min / activation_max clamp in Y's
 * quantized domain (a fused Relu/Clip).
 *
 * QAdd (TFLite PrepareGeneralSubOp / AddElementwise, left_shift = 20):
 *   twice_max = 2 * max(a_scale, b_scale)
 *   ma = QM(a_scale / twice_max), mb = QM(b_scale / twice_max),
 *   my = QM(twice_max / (2^20 * y_scale))                 (QM: double in)
 *   sa = mbqm((a - a_zp) * 2^20, ma), sb = mbqm((b - b_zp) * 2^20, mb)
 *   y  = clamp(mbqm(sa + sb, my) + y_zp, min, max)
 * QMul (TFLite MulElementwise, with the product pre-shifted for a single
 * rounding, see er_requant_pre; |product| <= 255^2 so L = 15):
 *   y  = clamp(mbqm((a - a_zp) * (b - b_zp) * 2^15,
 *                   er_prescale_multiplier(a_scale * b_scale / y_scale, 15))
 *              + y_zp, min, max)
 * |a - a_zp| <= 255, so (a - a_zp) * 2^20 < 2^28 and sa + sb cannot overflow.
 * Operands of the output's shape take the vectorized kernels of
 * cpu/qconv/qvbinary.h (same arithmetic, same bytes). */
#include <string.h>

#include "broadcast.h"
#include "core/threadpool.h"
#include "cpu/qconv/qvbinary.h"
#include "op.h"
#include "quant_util.h"

typedef enum { Q_ADD, Q_MUL } qbin_kind;

static const er_dtype k_q8[] = {ER_U8, ER_I8, ER_UNDEF};

static er_status shape_qbin(er_op_ctx *c) {
    ER_TRY(er_op_check_inputs(c, 8, 8));
    ER_TRY(er_op_check_dtype(c, 0, k_q8));
    ER_TRY(er_op_check_dtype(c, 3, k_q8));
    bool pc;
    er_dtype ydt;
    ER_TRY(er_qparams_check(c, "A", 1, 2, c->in[0]->dtype, false, 0, &pc));
    ER_TRY(er_qparams_check(c, "B", 4, 5, c->in[3]->dtype, false, 0, &pc));
    ER_TRY(er_qparam_dtype(c, "Y", 7, &ydt));
    ER_TRY(er_qparams_check(c, "Y", 6, 7, ydt, false, 0, &pc));
    int32_t lo, hi;
    ER_TRY(er_qactivation(c, ydt, &lo, &hi));
    const er_tensor *ab[2] = {c->in[0], c->in[3]};
    int rank;
    int64_t dims[ER_MAX_RANK];
    ER_TRY(er_broadcast_shapes(2, ab, &rank, dims));
    er_op_set_output(c, 0, ydt, rank, dims);
    return ER_OK;
}

typedef struct {
    qbin_kind kind;
    er_dtype a_dt, b_dt, y_dt;
    int32_t a_zp, b_zp, y_zp, lo, hi;
    er_qmul ma, mb, my;
} qbin_params;

#define QADD_LEFT_SHIFT 20
#define QMUL_PRE_SHIFT 15 /* er_prescale_shift(255 * 255) */

static void row_qbin(void *y, const void *const *x, const int64_t *stride, int64_t n, void *arg) {
    const qbin_params *p = arg;
    for (int64_t i = 0; i < n; i++) {
        int32_t a = er_qload(x[0], p->a_dt, i * stride[0]) - p->a_zp;
        int32_t b = er_qload(x[1], p->b_dt, i * stride[1]) - p->b_zp;
        int32_t v;
        if (p->kind == Q_ADD) {
            int32_t sa = er_mbqm(a * (1 << QADD_LEFT_SHIFT), p->ma);
            int32_t sb = er_mbqm(b * (1 << QADD_LEFT_SHIFT), p->mb);
            v = er_requant(sa + sb, p->my, p->y_zp, p->lo, p->hi);
        } else {
            v = er_requant_pre(a * b, QMUL_PRE_SHIFT, p->my, p->y_zp, p->lo, p->hi);
        }
        er_qstore(y, p->y_dt, i, v);
    }
}

/* Same-shape operands: the vectorized kernels of cpu/qconv/qvbinary.h (the
 * same arithmetic on the uint8 views of the operands), split over threads. */
typedef struct {
    const er_qvbin_ukernel *u;
    er_qvbin_params q;
    const uint8_t *a, *b;
    uint8_t *y;
    int64_t n;
} qbin_fast;

#define QBIN_CHUNK 4096

static void fast_task(void *arg, int64_t begin, int64_t end, int tid) {
    (void)tid;
    const qbin_fast *f = arg;
    int64_t lo = begin * QBIN_CHUNK, hi = end * QBIN_CHUNK < f->n ? end * QBIN_CHUNK : f->n;
    f->u->fn((size_t)(hi - lo), f->a + lo, f->b + lo, f->y + lo, &f->q);
}

static void run_fast(er_op_ctx *c, const qbin_params *p) {
    qbin_fast f;
    memset(&f, 0, sizeof f);
    f.u = er_qvbin_pick((er_isa)c->isa, p->kind == Q_MUL);
    f.q.a_xor = p->a_dt == ER_I8 ? 0x80u : 0u;
    f.q.b_xor = p->b_dt == ER_I8 ? 0x80u : 0u;
    f.q.a_zu = p->a_zp + (p->a_dt == ER_I8 ? 128 : 0);
    f.q.b_zu = p->b_zp + (p->b_dt == ER_I8 ? 128 : 0);
    f.q.ma = er_qcol_make(p->ma.mult, p->ma.shift);
    f.q.mb = er_qcol_make(p->mb.mult, p->mb.shift);
    f.q.my = er_qcol_make(p->my.mult, p->my.shift);
    f.q.zp = p->y_zp;
    f.q.lo = p->lo - p->y_zp;
    f.q.hi = p->hi - p->y_zp;
    f.a = c->in[0]->data;
    f.b = c->in[3]->data;
    f.y = c->out[0]->data;
    f.n = (int64_t)er_tensor_numel(c->out[0]);
    er_parallel_for(c->pool, (f.n + QBIN_CHUNK - 1) / QBIN_CHUNK, 4, fast_task, &f);
}

static er_status run_qbin(er_op_ctx *c, qbin_kind kind) {
    qbin_params p = {kind, c->in[0]->dtype, c->in[3]->dtype, c->out[0]->dtype, 0, 0, 0, 0, 0,
                     {0, 0}, {0, 0}, {0, 0}};
    float as, bs, ys;
    ER_TRY(er_qparam_read1(c, "A", 1, 2, &as, &p.a_zp));
    ER_TRY(er_qparam_read1(c, "B", 4, 5, &bs, &p.b_zp));
    ER_TRY(er_qparam_read1(c, "Y", 6, 7, &ys, &p.y_zp));
    ER_TRY(er_qactivation(c, p.y_dt, &p.lo, &p.hi));
    if (kind == Q_ADD) {
        double twice_max = 2.0 * (double)(as > bs ? as : bs);
        p.ma = er_quantize_multiplier((double)as / twice_max);
        p.mb = er_quantize_multiplier((double)bs / twice_max);
        p.my = er_quantize_multiplier(twice_max /
                                      ((double)(1 << QADD_LEFT_SHIFT) * (double)ys));
    } else {
        p.my = er_prescale_multiplier((double)as * (double)bs / (double)ys, QMUL_PRE_SHIFT);
    }
    const er_tensor *ab[2] = {c->in[0], c->in[3]};
    const er_tensor *y = c->out[0];
    if (er_shape_equal(ab[0]->rank, ab[0]->dims, y->rank, y->dims) &&
        er_shape_equal(ab[1]->rank, ab[1]->dims, y->rank, y->dims)) {
        run_fast(c, &p);
        return ER_OK;
    }
    er_broadcast_rows(c->out[0], 2, ab, row_qbin, &p);
    return ER_OK;
}

static er_status run_qadd(er_op_ctx *c) { return run_qbin(c, Q_ADD); }
static er_status run_qmul(er_op_ctx *c) { return run_qbin(c, Q_MUL); }

const er_op_def er_op_qadd = {.name = "QAdd", .domain = "edgerun", .min_opset = 1,
                              .shape = shape_qbin, .run = run_qadd};
const er_op_def er_op_qmul = {.name = "QMul", .domain = "edgerun", .min_opset = 1,
                              .shape = shape_qbin, .run = run_qmul};
