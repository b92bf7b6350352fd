/* test_qops.c - the NHWC int8 ops the layout pass produces against the NCHW
 * reference ops they replace, through the op interface (shape, prepare,
 * scratch, run, release), bit for bit: edgerun::QConvNhwc vs QConv,
 * Q{Max,Average,GlobalAverage}PoolNhwc vs Q*Pool (pads, strides, dilations,
 * ceil_mode, count_include_pad, equal and different parameters). The NHWC ops
 * run at every ISA level this CPU has, with and without a 3-thread pool; the
 * reference ops at the portable level. Also: QGemm / QMatMul with constant
 * weights (the int8 GEMM fast path) give the same bytes at every level as the
 * portable kernel, which tests/unit/test_int8_ops.c holds to its definition. */
#include <string.h>

#include "core/tensor.h"
#include "core/threadpool.h"
#include "ops/op.h"
#include "qkernel_util.h"
#include "test.h"

/* ---- a tiny op harness ---------------------------------------------------------- */

#define QO_MAX_T 32
typedef struct {
    er_tensor *t[QO_MAX_T];
    int n;
} qo_pool;

static er_tensor *qo_new(qo_pool *p, er_dtype dt, int rank, const int64_t *dims) {
    er_tensor *t = calloc(1, sizeof *t);
    er_tensor_set_shape(t, dt, rank, dims);
    t->data = calloc(1, er_tensor_nbytes(t) + 64);
    t->capacity_bytes = er_tensor_nbytes(t);
    p->t[p->n++] = t;
    return t;
}

static void qo_free(qo_pool *p) {
    for (int i = 0; i < p->n; i++) {
        free(p->t[i]->data);
        free(p->t[i]);
    }
    p->n = 0;
}

typedef struct {
    er_node n;
    er_attr a[12];
    int64_t ints[12][8];
} qo_node;

static void qo_init(qo_node *q, const char *op) {
    memset(q, 0, sizeof *q);
    q->n.name = "t";
    q->n.op_type = op;
    q->n.domain = "edgerun";
    q->n.attr = q->a;
}
static void qo_int(qo_node *q, const char *name, int64_t v) {
    er_attr *a = &q->a[q->n.n_attr++];
    a->name = name;
    a->type = ER_ATTR_INT;
    a->i = v;
}
static void qo_ints(qo_node *q, const char *name, int n, const int64_t *v) {
    int k = q->n.n_attr++;
    memcpy(q->ints[k], v, sizeof(int64_t) * (size_t)n);
    q->a[k].name = name;
    q->a[k].type = ER_ATTR_INTS;
    q->a[k].n = n;
    q->a[k].ints = q->ints[k];
}

/* shape, prepare, scratch, run, release of op `name`; *out is a new tensor */
static er_status qo_run(qo_pool *p, const char *name, qo_node *q, er_tensor **in, int n_in,
                        int isa, er_threadpool *pool, er_tensor **out) {
    const er_op_def *op = er_op_find(name, "edgerun");
    if (!op) return er_fail(ER_ERR_UNSUPPORTED, "op %s not registered", name);
    q->n.op_type = name;
    er_tensor *y = calloc(1, sizeof *y);
    p->t[p->n++] = y;
    er_tensor *outs[1] = {y};
    er_op_ctx c;
    memset(&c, 0, sizeof c);
    c.node = &q->n;
    c.opset = 1;
    c.n_in = n_in;
    c.n_out = 1;
    c.in = in;
    c.out = outs;
    c.pool = pool;
    c.isa = isa;
    ER_TRY(op->shape(&c));
    y->data = calloc(1, er_tensor_nbytes(y) + 64);
    y->capacity_bytes = er_tensor_nbytes(y);
    if (op->prepare) ER_TRY(op->prepare(&c));
    void *scratch = c.scratch_bytes ? aligned_alloc(64, (c.scratch_bytes + 127) & ~(size_t)63) : NULL;
    c.scratch = scratch;
    er_status st = c.kernel ? c.kernel(&c) : op->run(&c);
    if (c.state && op->release) op->release(c.state);
    free(scratch);
    *out = y;
    return st;
}

static er_tensor *qo_scalar_f(qo_pool *p, float v) {
    er_tensor *t = qo_new(p, ER_F32, 0, NULL);
    *(float *)t->data = v;
    return t;
}
static er_tensor *qo_scalar_q(qo_pool *p, er_dtype dt, int32_t v) {
    er_tensor *t = qo_new(p, dt, 0, NULL);
    if (dt == ER_I8) *(int8_t *)t->data = (int8_t)v;
    else *(uint8_t *)t->data = (uint8_t)v;
    return t;
}

/* NCHW <-> NHWC copies of 8-bit tensors */
static er_tensor *to_nhwc(qo_pool *p, const er_tensor *x) {
    int64_t N = x->dims[0], C = x->dims[1], H = x->dims[2], W = x->dims[3];
    int64_t d[4] = {N, H, W, C};
    er_tensor *y = qo_new(p, x->dtype, 4, d);
    const uint8_t *s = x->data;
    uint8_t *o = y->data;
    for (int64_t n = 0; n < N; n++)
        for (int64_t c = 0; c < C; c++)
            for (int64_t h = 0; h < H; h++)
                for (int64_t w = 0; w < W; w++)
                    o[((n * H + h) * W + w) * C + c] = s[((n * C + c) * H + h) * W + w];
    return y;
}

/* first index where NHWC y differs from NCHW ref, or -1 */
static long diff_nhwc(const er_tensor *y, const er_tensor *ref) {
    int64_t N = ref->dims[0], C = ref->dims[1], H = ref->dims[2], W = ref->dims[3];
    if (y->rank != 4 || y->dims[0] != N || y->dims[1] != H || y->dims[2] != W || y->dims[3] != C)
        return 0;
    const uint8_t *a = y->data, *b = ref->data;
    for (int64_t n = 0; n < N; n++)
        for (int64_t c = 0; c < C; c++)
            for (int64_t h = 0; h < H; h++)
                for (int64_t w = 0; w < W; w++) {
                    int64_t i = ((n * C + c) * H + h) * W + w;
                    if (a[((n * H + h) * W + w) * C + c] != b[i]) return (long)i;
                }
    return -1;
}

static er_tensor *rand_q(qo_pool *p, qt_rng *r, er_dtype dt, int rank, const int64_t *dims) {
    er_tensor *t = qo_new(p, dt, rank, dims);
    uint8_t *d = t->data;
    for (size_t i = 0; i < er_tensor_nbytes(t); i++) d[i] = (uint8_t)qt_next(r);
    return t;
}

static int levels(int *out) {
    int n = 0;
    static const er_isa l[] = {ER_ISA_SCALAR, ER_ISA_AVX2, ER_ISA_AVX512};
    for (int i = 0; i < 3; i++)
        if (qt_can_run(l[i], 0)) out[n++] = (int)l[i];
    return n;
}

static const int64_t k_odd[] = {1, 3, 7, 17, 33};

TEST(qops_conv_nhwc_matches_qconv) {
    uint64_t seed = qt_seed(0x1234u);
    qt_rng r = {seed};
    er_threadpool *pool = NULL;
    CHECK_STATUS(er_threadpool_create(3, &pool), ER_OK);
    int lv[3], nl = levels(lv), ran = 0, fused = 0;
    for (int it = 0; it < qt_scale(120); it++) {
        qo_pool p = {0};
        int64_t N = qt_int(&r, 1, 2), C = qt_pick(&r, k_odd, 5), H = qt_int(&r, 1, 10),
                W = qt_int(&r, 1, 10);
        int gsel = (int)qt_int(&r, 0, 2);
        int64_t group = gsel == 1 ? C : 1, M = gsel == 1 ? C : qt_pick(&r, k_odd, 5);
        int64_t kh = qt_int(&r, 1, 3), kw = qt_int(&r, 1, 3);
        int64_t s[2] = {qt_int(&r, 1, 2), qt_int(&r, 1, 2)}, dl[2] = {qt_int(&r, 1, 2), 1};
        int64_t pads[4] = {qt_int(&r, 0, 2), qt_int(&r, 0, 2), qt_int(&r, 0, 2), qt_int(&r, 0, 2)};
        if (gsel == 1 && qt_int(&r, 0, 2) == 0) { /* dwconv3x3 over several channel groups */
            C = M = group = qt_int(&r, 65, 160);
            kh = kw = 3;
            s[0] = s[1] = dl[0] = 1;
            pads[0] = pads[1] = pads[2] = pads[3] = 1;
        }
        if (H + pads[0] + pads[2] < (kh - 1) * dl[0] + 1 || W + pads[1] + pads[3] < kw) {
            qo_free(&p);
            continue;
        }
        er_dtype xdt = qt_int(&r, 0, 1) ? ER_I8 : ER_U8, ydt = qt_int(&r, 0, 1) ? ER_I8 : ER_U8;
        int64_t xd[4] = {N, C, H, W}, wd[4] = {M, C / group, kh, kw}, md[1] = {M};
        er_tensor *x = rand_q(&p, &r, xdt, 4, xd), *w = rand_q(&p, &r, ER_I8, 4, wd);
        bool pc = qt_int(&r, 0, 1);
        er_tensor *ws = qo_new(&p, ER_F32, pc ? 1 : 0, md), *wz = qo_new(&p, ER_I8, pc ? 1 : 0, md);
        for (int64_t m = 0; m < (pc ? M : 1); m++)
            ((float *)ws->data)[m] = (float)ldexp(1 + qt_unit(&r), -(int)qt_int(&r, 6, 9));
        float xs = (float)ldexp(1 + qt_unit(&r), -6);
        float ys = (float)(xs * 0.01 * sqrt((double)(C / group * kh * kw)) * (0.5 + qt_unit(&r)));
        int32_t xlo = xdt == ER_I8 ? -128 : 0, ylo = ydt == ER_I8 ? -128 : 0;
        er_tensor *bias = qo_new(&p, ER_I32, 1, md);
        for (int64_t m = 0; m < M; m++) ((int32_t *)bias->data)[m] = (int32_t)qt_int(&r, -5000, 5000);
        er_tensor *in[9] = {x, qo_scalar_f(&p, xs), qo_scalar_q(&p, xdt, (int32_t)qt_int(&r, xlo, xlo + 255)),
                            w, ws, wz, qo_scalar_f(&p, ys),
                            qo_scalar_q(&p, ydt, (int32_t)qt_int(&r, ylo, ylo + 255)), bias};
        qo_node q;
        qo_init(&q, "QConv");
        qo_ints(&q, "strides", 2, s);
        qo_ints(&q, "dilations", 2, dl);
        qo_ints(&q, "pads", 4, pads);
        qo_int(&q, "group", group);
        if (qt_int(&r, 0, 1)) {
            qo_int(&q, "activation_min", ylo + 3);
            qo_int(&q, "activation_max", ylo + 200);
        }
        er_tensor *ref, *y;
        CHECK_STATUS(qo_run(&p, "QConv", &q, in, 9, ER_ISA_SCALAR, NULL, &ref), ER_OK);
        /* half the cases fuse a residual QAdd: reference = QAdd(QConv(x), r) */
        er_tensor *in14[14];
        memcpy(in14, in, sizeof in);
        int n_in = 9;
        if (qt_int(&r, 0, 1)) {
            er_dtype rdt = qt_int(&r, 0, 1) ? ER_I8 : ER_U8, zdt = qt_int(&r, 0, 1) ? ER_I8 : ER_U8;
            int32_t rlo = rdt == ER_I8 ? -128 : 0, zlo = zdt == ER_I8 ? -128 : 0;
            er_tensor *rt = rand_q(&p, &r, rdt, 4, ref->dims);
            er_tensor *ain[8] = {ref, in[6], in[7], rt,
                                 qo_scalar_f(&p, (float)(ys * (0.3 + 2 * qt_unit(&r)))),
                                 qo_scalar_q(&p, rdt, (int32_t)qt_int(&r, rlo, rlo + 255)),
                                 qo_scalar_f(&p, (float)(ys * (0.5 + 2 * qt_unit(&r)))),
                                 qo_scalar_q(&p, zdt, (int32_t)qt_int(&r, zlo, zlo + 255))};
            qo_node qa;
            qo_init(&qa, "QAdd");
            int32_t amin = zlo, amax = zlo + 255;
            if (qt_int(&r, 0, 1)) {
                amin = zlo + (int32_t)qt_int(&r, 0, 100);
                amax = (int32_t)qt_int(&r, amin, zlo + 255);
                qo_int(&qa, "activation_min", amin);
                qo_int(&qa, "activation_max", amax);
                qo_int(&q, "add_activation_min", amin);
                qo_int(&q, "add_activation_max", amax);
            }
            CHECK_STATUS(qo_run(&p, "QAdd", &qa, ain, 8, ER_ISA_SCALAR, NULL, &ref), ER_OK);
            in14[9] = to_nhwc(&p, rt);
            in14[10] = ain[4];
            in14[11] = ain[5];
            in14[12] = ain[6];
            in14[13] = ain[7];
            n_in = 14;
            fused++;
        }
        in14[0] = to_nhwc(&p, x);
        ran++;
        for (int l = 0; l < nl; l++)
            for (int t = 0; t < 2; t++) {
                CHECK_STATUS(qo_run(&p, "QConvNhwc", &q, in14, n_in, lv[l], t ? pool : NULL, &y),
                             ER_OK);
                long bad = diff_nhwc(y, ref);
                CHECK_MSG(bad < 0, "seed %llu case %d (N%lld C%lld %lldx%lld M%lld g%lld k%lldx%lld) "
                          "isa %d threads %d: element %ld differs from QConv",
                          (unsigned long long)seed, it, (long long)N, (long long)C, (long long)H,
                          (long long)W, (long long)M, (long long)group, (long long)kh,
                          (long long)kw, lv[l], t ? 3 : 1, bad);
            }
        qo_free(&p);
    }
    er_threadpool_free(pool);
    printf("  QConvNhwc: %d cases (%d with a fused residual QAdd) x %d levels x 1/3 threads\n",
           ran, fused, nl);
    CHECK(ran > 60 && fused > 20);
}

TEST(qops_pools_nhwc_match_reference) {
    uint64_t seed = qt_seed(0x5678u);
    qt_rng r = {seed};
    er_threadpool *pool = NULL;
    CHECK_STATUS(er_threadpool_create(3, &pool), ER_OK);
    static const char *const ref_ops[] = {"QMaxPool", "QAveragePool", "QGlobalAveragePool"};
    static const char *const nhwc_ops[] = {"QMaxPoolNhwc", "QAveragePoolNhwc",
                                           "QGlobalAveragePoolNhwc"};
    int lv[3], nl = levels(lv), ran[3] = {0, 0, 0};
    for (int it = 0; it < qt_scale(300); it++) {
        qo_pool p = {0};
        int kind = it % 3;
        int64_t N = qt_int(&r, 1, 2), C = qt_pick(&r, k_odd, 5), H = qt_int(&r, 1, 9),
                W = qt_int(&r, 1, 9);
        int64_t k[2] = {qt_int(&r, 1, 3), qt_int(&r, 1, 3)}, s[2] = {qt_int(&r, 1, 3), qt_int(&r, 1, 3)};
        int64_t dl[2] = {qt_int(&r, 1, 2), qt_int(&r, 1, 2)};
        int64_t pads[4];
        for (int i = 0; i < 4; i++) pads[i] = qt_int(&r, 0, 1);
        if (kind != 2 && (H + pads[0] + pads[2] < (k[0] - 1) * dl[0] + 1 ||
                          W + pads[1] + pads[3] < (k[1] - 1) * dl[1] + 1)) {
            qo_free(&p);
            continue;
        }
        if (kind == 1) dl[0] = dl[1] = 1; /* AveragePool dilations need opset 19 */
        er_dtype xdt = qt_int(&r, 0, 1) ? ER_I8 : ER_U8;
        bool same = qt_int(&r, 0, 1);
        er_dtype ydt = same ? xdt : (qt_int(&r, 0, 1) ? ER_I8 : ER_U8);
        int64_t xd[4] = {N, C, H, W};
        er_tensor *x = rand_q(&p, &r, xdt, 4, xd);
        int32_t xlo = xdt == ER_I8 ? -128 : 0, ylo = ydt == ER_I8 ? -128 : 0;
        float xs = (float)ldexp(1 + qt_unit(&r), -5);
        int32_t xz = (int32_t)qt_int(&r, xlo, xlo + 255);
        float ys = same ? xs : (float)(xs * (0.3 + 2 * qt_unit(&r)));
        int32_t yz = same ? xz : (int32_t)qt_int(&r, ylo, ylo + 255);
        er_tensor *in[5] = {x, qo_scalar_f(&p, xs), qo_scalar_q(&p, xdt, xz), qo_scalar_f(&p, ys),
                            qo_scalar_q(&p, ydt, yz)};
        qo_node q;
        qo_init(&q, ref_ops[kind]);
        if (kind != 2) {
            qo_ints(&q, "kernel_shape", 2, k);
            qo_ints(&q, "strides", 2, s);
            qo_ints(&q, "pads", 4, pads);
            if (kind == 0) qo_ints(&q, "dilations", 2, dl);
            if (qt_int(&r, 0, 2) == 0) qo_int(&q, "ceil_mode", 1);
            if (kind == 1 && qt_int(&r, 0, 1)) qo_int(&q, "count_include_pad", 1);
        }
        er_tensor *ref, *y;
        er_status st = qo_run(&p, ref_ops[kind], &q, in, 5, ER_ISA_SCALAR, NULL, &ref);
        if (st != ER_OK) { /* e.g. a ceil_mode window entirely in the padding */
            qo_free(&p);
            continue;
        }
        in[0] = to_nhwc(&p, x);
        ran[kind]++;
        for (int l = 0; l < nl; l++)
            for (int t = 0; t < 2; t++) {
                CHECK_STATUS(qo_run(&p, nhwc_ops[kind], &q, in, 5, lv[l], t ? pool : NULL, &y),
                             ER_OK);
                long bad = diff_nhwc(y, ref);
                CHECK_MSG(bad < 0, "%s seed %llu case %d (N%lld C%lld %lldx%lld k%lldx%lld s%lld,%lld "
                          "d%lld,%lld %s) isa %d: element %ld differs from %s", nhwc_ops[kind],
                          (unsigned long long)seed, it, (long long)N, (long long)C, (long long)H,
                          (long long)W, (long long)k[0], (long long)k[1], (long long)s[0],
                          (long long)s[1], (long long)dl[0], (long long)dl[1],
                          same ? "same params" : "rescaled", lv[l], bad, ref_ops[kind]);
            }
        qo_free(&p);
    }
    er_threadpool_free(pool);
    printf("  pools: %d max, %d average, %d global cases x %d levels x 1/3 threads\n", ran[0],
           ran[1], ran[2], nl);
    CHECK(ran[0] > 20 && ran[1] > 20 && ran[2] > 20);
}

TEST(qops_gemm_fast_path_same_at_every_level) {
    uint64_t seed = qt_seed(0x9abcu);
    qt_rng r = {seed};
    int lv[3], nl = levels(lv);
    for (int it = 0; it < qt_scale(150); it++) {
        qo_pool p = {0};
        bool gemm = it % 2;
        int64_t M = qt_int(&r, 1, 20), K = qt_pick(&r, k_odd, 5) + qt_int(&r, 0, 40),
                N = qt_pick(&r, k_odd, 5) + qt_int(&r, 0, 40);
        bool tb = gemm && qt_int(&r, 0, 1);
        er_dtype adt = qt_int(&r, 0, 1) ? ER_I8 : ER_U8, ydt = qt_int(&r, 0, 1) ? ER_I8 : ER_U8;
        int64_t ad[3] = {gemm ? M : 2, gemm ? K : M, K}, bd[2] = {tb ? N : K, tb ? K : N};
        int64_t nd[1] = {N};
        er_tensor *a = rand_q(&p, &r, adt, gemm ? 2 : 3, gemm ? ad : ad);
        if (gemm) a->dims[1] = K;
        er_tensor *b = rand_q(&p, &r, ER_I8, 2, bd);
        er_tensor *bs = qo_new(&p, ER_F32, 1, nd), *bz = qo_new(&p, ER_I8, 1, nd);
        for (int64_t j = 0; j < N; j++) ((float *)bs->data)[j] = (float)ldexp(1 + qt_unit(&r), -7);
        er_tensor *bias = qo_new(&p, ER_I32, 1, nd);
        for (int64_t j = 0; j < N; j++) ((int32_t *)bias->data)[j] = (int32_t)qt_int(&r, -9000, 9000);
        int32_t alo = adt == ER_I8 ? -128 : 0, ylo = ydt == ER_I8 ? -128 : 0;
        float as = 0.02f, ys = (float)(0.02 * ldexp(1, -7) * sqrt((double)K) * 8 * (0.5 + qt_unit(&r)));
        er_tensor *in[9] = {a, qo_scalar_f(&p, as), qo_scalar_q(&p, adt, (int32_t)qt_int(&r, alo, alo + 255)),
                            b, bs, bz, qo_scalar_f(&p, ys),
                            qo_scalar_q(&p, ydt, (int32_t)qt_int(&r, ylo, ylo + 255)), bias};
        qo_node q;
        qo_init(&q, gemm ? "QGemm" : "QMatMul");
        if (tb) qo_int(&q, "transB", 1);
        er_tensor *y0, *y;
        CHECK_STATUS(qo_run(&p, gemm ? "QGemm" : "QMatMul", &q, in, 9, ER_ISA_SCALAR, NULL, &y0), ER_OK);
        for (int l = 0; l < nl; l++) {
            CHECK_STATUS(qo_run(&p, gemm ? "QGemm" : "QMatMul", &q, in, 9, lv[l], NULL, &y), ER_OK);
            CHECK_MSG(memcmp(y->data, y0->data, er_tensor_nbytes(y0)) == 0,
                      "%s seed %llu case %d (M%lld K%lld N%lld) differs at isa %d",
                      gemm ? "QGemm" : "QMatMul", (unsigned long long)seed, it, (long long)M,
                      (long long)K, (long long)N, lv[l]);
        }
        qo_free(&p);
    }
}
