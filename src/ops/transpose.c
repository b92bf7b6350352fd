/* transpose.c - Transpose: y.dims[i] = x.dims[perm[i]] (ONNX Transpose-1/13;
 * perm defaults to the reversed axes).
 *
 * The kernel is one strided copy: output axis i walks input axis perm[i]
 * with that axis' input stride. Axes that stay adjacent and in order merge
 * inside er_copy_strided, so e.g. NCHW->NHWC becomes a 3-D copy. */
#include "core/threadpool.h"
#include "cpu/layout/interleave.h"
#include "data_util.h"
#include "op.h"

static er_status read_perm(const er_op_ctx *c, int rank, int *perm) {
    const int64_t *v;
    int n = er_attr_ints(c->node, "perm", &v);
    if (n < 0) {
        for (int i = 0; i < rank; i++) perm[i] = rank - 1 - i;
        return ER_OK;
    }
    if (n != rank)
        return er_fail(ER_ERR_INVALID_MODEL, "perm has %d entries for input 0 shape %s", n,
                       er_op_shape_str(c->in[0]));
    bool seen[ER_MAX_RANK] = {false};
    for (int i = 0; i < n; i++) {
        if (v[i] < 0 || v[i] >= rank || seen[v[i]])
            return er_fail(ER_ERR_INVALID_MODEL, "perm[%d] = %lld: perm must be a permutation "
                           "of 0..%d", i, (long long)v[i], rank - 1);
        seen[v[i]] = true;
        perm[i] = (int)v[i];
    }
    return ER_OK;
}

static er_status shape_transpose(er_op_ctx *c) {
    ER_TRY(er_check_outputs(c, 1, 1));
    ER_TRY(er_op_check_inputs(c, 1, 1));
    ER_TRY(er_op_check_dtype(c, 0, er_dt_all));
    const er_tensor *x = c->in[0];
    int perm[ER_MAX_RANK];
    ER_TRY(read_perm(c, x->rank, perm));
    int64_t d[ER_MAX_RANK];
    for (int i = 0; i < x->rank; i++) d[i] = x->dims[perm[i]];
    er_op_set_output(c, 0, x->dtype, x->rank, d);
    return ER_OK;
}

/* NCHW -> NHWC with 3 channels (image inputs): rows [begin, end) of the
 * N*H image rows, each three planar rows interleaved by a vector kernel */
typedef struct {
    void *y;
    const void *x;
    int64_t H, W;
    er_f32_interleave3_fn fn;   /* float32, or */
    er_u8_interleave3_fn fn8;   /* 1-byte elements (uint8/int8) */
} rgb_job;

static void rgb_task(void *arg, int64_t begin, int64_t end, int tid) {
    (void)tid;
    const rgb_job *j = arg;
    const int64_t plane = j->H * j->W;
    for (int64_t r = begin; r < end; r++) {
        const int64_t n = r / j->H, h = r % j->H, at = n * 3 * plane + h * j->W;
        if (j->fn8) {
            const unsigned char *x0 = (const unsigned char *)j->x + at;
            j->fn8((unsigned char *)j->y + r * j->W * 3, x0, x0 + plane, x0 + 2 * plane,
                   (size_t)j->W);
        } else {
            const float *x0 = (const float *)j->x + at;
            j->fn((float *)j->y + r * j->W * 3, x0, x0 + plane, x0 + 2 * plane, (size_t)j->W);
        }
    }
}

typedef struct {
    char *y;
    const char *x;
    size_t es;
    int rank, k;            /* output axis k is split */
    const int64_t *dims, *s; /* output dims, source strides (elements) */
    int64_t inner;           /* output elements per index of axis k */
} split_job;

static void split_task(void *arg, int64_t begin, int64_t end, int tid) {
    (void)tid;
    const split_job *j = arg;
    int64_t d[ER_MAX_RANK];
    for (int i = 0; i < j->rank; i++) d[i] = j->dims[i];
    d[j->k] = end - begin;
    er_copy_strided(j->y + (size_t)(begin * j->inner) * j->es,
                    j->x + (size_t)(begin * j->s[j->k]) * j->es, j->es, j->rank, d, j->s);
}

static er_status run_transpose(er_op_ctx *c) {
    const er_tensor *x = c->in[0];
    er_tensor *y = c->out[0];
    int perm[ER_MAX_RANK];
    ER_TRY(read_perm(c, x->rank, perm));
    int64_t xs[ER_MAX_RANK], s[ER_MAX_RANK];
    er_dense_strides(x->rank, x->dims, xs);
    for (int i = 0; i < x->rank; i++) s[i] = xs[perm[i]];
    size_t es = er_dtype_size(x->dtype);
    if (x->rank == 4 && x->dims[1] == 3 && perm[0] == 0 && perm[1] == 2 && perm[2] == 3 &&
        perm[3] == 1 && (x->dtype == ER_F32 || es == 1)) {
        rgb_job j = {y->data, x->data, x->dims[2], x->dims[3],
                     x->dtype == ER_F32 ? er_f32_interleave3_pick((er_isa)c->isa) : NULL,
                     es == 1 ? er_u8_interleave3_pick((er_isa)c->isa) : NULL};
        int64_t rows = x->dims[0] * x->dims[2];
        rgb_task(&j, 0, rows, 0);
        return ER_OK;
    }
    /* big tensors (a model's NCHW -> NHWC input) are split over the threads
     * along the first output axis longer than 1 */
    int k = 0;
    while (k < y->rank - 1 && y->dims[k] == 1) k++;
    if (er_threadpool_size(c->pool) > 1 && y->rank > 0 && y->dims[k] > 1 &&
        er_tensor_numel(y) >= ((size_t)1 << 16)) {
        split_job j = {y->data, x->data, es, y->rank, k, y->dims, s, 0};
        j.inner = (int64_t)(er_tensor_numel(y) / (size_t)y->dims[k]);
        er_parallel_for(c->pool, y->dims[k], 1, split_task, &j);
        return ER_OK;
    }
    er_copy_strided(y->data, x->data, es, y->rank, y->dims, s);
    return ER_OK;
}

const er_op_def er_op_transpose = {
    .name = "Transpose", .min_opset = 1, .shape = shape_transpose, .run = run_transpose};
