/* matmul.c - MatMul (ONNX opset 1..13 semantics = numpy.matmul): a 1-D A
 * is a row vector [1, K] and a 1-D B a column vector [K, 1], the added dim
 * being removed from the result; leading (batch) dims broadcast.
 *
 * When B has no batch dims (the common x[..., K] @ W[K, N] of linear
 * layers), all of A's batch dims fold into M for one large GEMM. */
#include <string.h>

#include "gemm_kernel.h"
#include "op.h"

typedef struct {
    int64_t M, N, K;
    int batch_rank;              /* rank of the broadcast batch dims */
    int64_t batch[ER_MAX_RANK];  /* broadcast batch dims */
    int64_t sa[ER_MAX_RANK], sb[ER_MAX_RANK]; /* matrix-index strides per batch dim */
    int64_t n_batch;
    int rank;                    /* output rank */
    int64_t dims[ER_MAX_RANK];   /* output dims */
} mm_geom;

static er_status geometry(const er_op_ctx *c, mm_geom *g) {
    const er_tensor *a = c->in[0], *b = c->in[1];
    memset(g, 0, sizeof *g);
    if (a->rank < 1 || b->rank < 1)
        return er_fail(ER_ERR_SHAPE, "inputs %s and %s: MatMul needs rank >= 1",
                       er_op_shape_str(a), er_op_shape_str(b));
    int ra = a->rank, rb = b->rank;
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

static er_status shape_matmul(er_op_ctx *c) {
    ER_TRY(er_op_check_inputs(c, 2, 2));
    if (!er_gemm_dtype_ok(c->in[0]->dtype))
        return er_fail(ER_ERR_UNSUPPORTED, "input 0 has dtype %s, which MatMul does not support",
                       er_dtype_name(c->in[0]->dtype));
    ER_TRY(er_op_same_dtype(c, 0, 1));
    mm_geom g;
    ER_TRY(geometry(c, &g));
    er_op_set_output(c, 0, c->in[0]->dtype, g.rank, g.dims);
    return ER_OK;
}

static er_status run_matmul(er_op_ctx *c) {
    mm_geom g;
    ER_TRY(geometry(c, &g));
    const er_tensor *a = c->in[0], *b = c->in[1];
    er_dtype dt = a->dtype;
    size_t es = er_dtype_size(dt);
    const char *ad = a->data, *bd = b->data;
    char *yd = c->out[0]->data;
    int64_t K = g.K, N = g.N, M = g.M;
    if (b->rank <= 2) {
        /* every batch of A uses the same B: A's batch dims fold into M
         * (A is contiguous, so its matrices stack into one) */
        er_gemm_any(dt, M * g.n_batch, N, K, ad, K, 1, bd, N, 1, yd, N, false, c->pool);
        return ER_OK;
    }
    int64_t idx[ER_MAX_RANK] = {0};
    for (int64_t p = 0; p < g.n_batch; p++) {
        int64_t oa = 0, ob = 0;
        for (int i = 0; i < g.batch_rank; i++) {
            oa += idx[i] * g.sa[i];
            ob += idx[i] * g.sb[i];
        }
        er_gemm_any(dt, M, N, K, ad + (size_t)(oa * M * K) * es, K, 1,
                    bd + (size_t)(ob * K * N) * es, N, 1, yd + (size_t)(p * M * N) * es, N, false,
                    c->pool);
        for (int i = g.batch_rank - 1; i >= 0; i--) {
            if (++idx[i] < g.batch[i]) break;
            idx[i] = 0;
        }
    }
    return ER_OK;
}

static uint64_t macs_matmul(const er_op_ctx *c) {
    mm_geom g;
    if (geometry(c, &g) != ER_OK) return 0;
    return (uint64_t)g.n_batch * (uint64_t)g.M * (uint64_t)g.N * (uint64_t)g.K;
}

const er_op_def er_op_matmul = {.name = "MatMul", .min_opset = 1, .shape = shape_matmul,
                                 .run = run_matmul, .macs = macs_matmul};
