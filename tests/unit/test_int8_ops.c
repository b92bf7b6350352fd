/* test_int8_ops.c - bit-exactness harness for the integer ops.
 *
 * Every row of k_rows below is one op family: a generator draws a random
 * configuration (odd channel counts 1, 3, 7, 17, 33; padding, strides,
 * dilations, groups; per-tensor and per-channel parameters; uint8 and int8),
 * runs the op through its er_op_def (shape, prepare, run - the reference
 * kernel, or whatever kernel prepare() picks) and compares every output
 * element with a straightforward implementation written here from the op
 * definitions (docs/int8.md), using the independent requantization rules of
 * support/int8_ref.h. int8 results must be identical, not close.
 *
 * Optimized kernels reuse this file: once prepare() picks a variant (or a
 * variant can be forced), each row checks it against the same references.
 * A failure prints the op, the configuration, the seed and the first bad
 * element. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/tensor.h"
#include "ops/op.h"
#include "support/int8_ref.h"
#include "test.h"

/* ---- random numbers ------------------------------------------------------------ */

static uint64_t g_rng;
static uint64_t rnd(void) {
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return g_rng;
}
static int64_t rint_in(int64_t lo, int64_t hi) {
    return lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1));
}
static double runit(void) { return (double)(rnd() >> 11) / 9007199254740992.0; }
static float rscale(double lo, double hi) { return (float)(lo * pow(hi / lo, runit())); }
static int64_t pick(const int64_t *v, int n) { return v[rnd() % (uint64_t)n]; }
static const int64_t k_odd[] = {1, 3, 7, 17, 33};

/* ---- tensors and nodes ----------------------------------------------------------- */

#define MAX_T 96
typedef struct {
    er_tensor *t[MAX_T];
    void *mem[MAX_T];
    int n, n_mem;
} tpool;

static er_tensor *tnew(tpool *p, er_dtype dt, int rank, const int64_t *dims) {
    er_tensor *t = calloc(1, sizeof *t);
    er_tensor_set_shape(t, dt, rank, dims);
    size_t bytes = er_tensor_nbytes(t);
    t->data = calloc(1, bytes + 64);
    t->capacity_bytes = bytes;
    p->t[p->n++] = t;
    return t;
}

static void tpool_free(tpool *p) {
    for (int i = 0; i < p->n; i++) {
        free(p->t[i]->data);
        free(p->t[i]);
    }
    for (int i = 0; i < p->n_mem; i++) free(p->mem[i]);
    p->n = p->n_mem = 0;
}

static void qrange(er_dtype dt, int32_t *lo, int32_t *hi) {
    *lo = dt == ER_I8 ? -128 : dt == ER_U8 ? 0 : INT32_MIN;
    *hi = dt == ER_I8 ? 127 : dt == ER_U8 ? 255 : INT32_MAX;
}

static int32_t qget(const er_tensor *t, int64_t i) {
    switch (t->dtype) {
    case ER_I8: return ((const int8_t *)t->data)[i];
    case ER_U8: return ((const uint8_t *)t->data)[i];
    default: return ((const int32_t *)t->data)[i];
    }
}

static void qset(er_tensor *t, int64_t i, int32_t v) {
    switch (t->dtype) {
    case ER_I8: ((int8_t *)t->data)[i] = (int8_t)v; break;
    case ER_U8: ((uint8_t *)t->data)[i] = (uint8_t)v; break;
    default: ((int32_t *)t->data)[i] = v; break;
    }
}

static er_tensor *tq_random(tpool *p, er_dtype dt, int rank, const int64_t *dims) {
    er_tensor *t = tnew(p, dt, rank, dims);
    int32_t lo, hi;
    qrange(dt, &lo, &hi);
    size_t n = er_tensor_numel(t);
    for (size_t i = 0; i < n; i++) qset(t, (int64_t)i, (int32_t)rint_in(lo, hi));
    return t;
}

/* per-tensor ([] or [1]) or per-channel ([n]) scale / zero point tensors */
static er_tensor *tscales(tpool *p, int64_t n, bool vec, double lo, double hi, float *out) {
    int64_t d[1] = {n};
    er_tensor *t = tnew(p, ER_F32, vec ? 1 : 0, d);
    for (int64_t i = 0; i < (vec ? n : 1); i++) out[i] = ((float *)t->data)[i] = rscale(lo, hi);
    for (int64_t i = vec ? n : 1; i < n; i++) out[i] = out[0];
    return t;
}

static er_tensor *tzps(tpool *p, er_dtype dt, int64_t n, bool vec, bool zero, int32_t *out) {
    int64_t d[1] = {n};
    er_tensor *t = tnew(p, dt, vec ? 1 : 0, d);
    int32_t lo, hi;
    qrange(dt, &lo, &hi);
    for (int64_t i = 0; i < (vec ? n : 1); i++) {
        out[i] = zero ? 0 : (int32_t)rint_in(lo, hi);
        qset(t, i, out[i]);
    }
    for (int64_t i = vec ? n : 1; i < n; i++) out[i] = out[0];
    return t;
}

typedef struct {
    er_node n;
    er_attr a[16];
    int64_t ints[16][2 * ER_MAX_RANK];
} tnode;

static void tn_init(tnode *t, const char *op) {
    memset(t, 0, sizeof *t);
    t->n.name = "t";
    t->n.op_type = op;
    t->n.domain = "";
    t->n.attr = t->a;
}
static void tn_int(tnode *t, const char *name, int64_t v) {
    er_attr *a = &t->a[t->n.n_attr++];
    a->name = name;
    a->type = ER_ATTR_INT;
    a->i = v;
}
static void tn_float(tnode *t, const char *name, float v) {
    er_attr *a = &t->a[t->n.n_attr++];
    a->name = name;
    a->type = ER_ATTR_FLOAT;
    a->f = v;
}
static void tn_str(tnode *t, const char *name, const char *v) {
    er_attr *a = &t->a[t->n.n_attr++];
    a->name = name;
    a->type = ER_ATTR_STRING;
    a->s = v;
    a->s_len = strlen(v);
}
static void tn_ints(tnode *t, const char *name, int n, const int64_t *v) {
    int k = t->n.n_attr++;
    er_attr *a = &t->a[k];
    memcpy(t->ints[k], v, sizeof(int64_t) * (size_t)n);
    a->name = name;
    a->type = ER_ATTR_INTS;
    a->n = n;
    a->ints = t->ints[k];
}

/* Runs op (name, domain) like the session does: shape, prepare, scratch, run. */
static er_status run_op(tpool *p, const char *name, const char *domain, tnode *tn,
                        er_tensor **in, int n_in, er_tensor **out) {
    const er_op_def *op = er_op_find(name, domain);
    if (!op) return er_fail(ER_ERR_UNSUPPORTED, "op %s not registered", name);
    er_tensor *y = calloc(1, sizeof *y);
    p->t[p->n++] = y;
    er_tensor *outs[1] = {y};
    er_op_ctx c;
    memset(&c, 0, sizeof c);
    c.node = &tn->n;
    c.opset = domain[0] ? 1 : 13;
    c.n_in = n_in;
    c.n_out = 1;
    c.in = in;
    c.out = outs;
    ER_TRY(op->shape(&c));
    y->data = calloc(1, er_tensor_nbytes(y) + 64);
    y->capacity_bytes = er_tensor_nbytes(y);
    if (op->prepare) ER_TRY(op->prepare(&c));
    void *scratch = NULL;
    if (c.scratch_bytes) {
        scratch = aligned_alloc(64, (c.scratch_bytes + 64 + 63) & ~(size_t)63);
        p->mem[p->n_mem++] = scratch;
    }
    c.scratch = scratch;
    er_status st = c.kernel ? c.kernel(&c) : op->run(&c);
    if (c.state && op->release) op->release(c.state);
    *out = y;
    return st;
}

/* First element where got differs from want, or -1. */
static int64_t first_diff(const er_tensor *got, const int32_t *want, int64_t n) {
    for (int64_t i = 0; i < n; i++)
        if (qget(got, i) != want[i]) return i;
    return -1;
}

static char g_cfg[512]; /* the configuration of the case being run, for messages */

#define CHECK_SAME(op, got, want, n)                                                           \
    do {                                                                                       \
        int64_t bad_ = first_diff(got, want, n);                                               \
        CHECK_MSG(bad_ < 0, "%s %s seed %llu: y[%lld] = %d, reference %d", op, g_cfg,         \
                  (unsigned long long)seed, (long long)bad_, bad_ >= 0 ? qget(got, bad_) : 0,  \
                  bad_ >= 0 ? (want)[bad_] : 0);                                               \
    } while (0)

static er_dtype rdt(void) { return rnd() & 1 ? ER_I8 : ER_U8; }

/* ---- windows (Conv and pools) ------------------------------------------------- */

typedef struct {
    int n;
    int64_t in[3], k[3], s[3], d[3], pb[3], pe[3], out[3];
    const char *auto_pad;
    bool ceil_mode;
} win;

/* Random window over n spatial dims; false when the kernel does not fit. */
static bool win_random(win *w, int n, int64_t max_in, bool allow_ceil) {
    memset(w, 0, sizeof *w);
    w->n = n;
    w->auto_pad = "NOTSET";
    int ap = (int)(rnd() % 8);
    if (ap == 5) w->auto_pad = "SAME_UPPER";
    if (ap == 6) w->auto_pad = "SAME_LOWER";
    if (ap == 7) w->auto_pad = "VALID";
    w->ceil_mode = allow_ceil && rnd() % 3 == 0 && ap < 5;
    for (int i = 0; i < n; i++) {
        w->in[i] = rint_in(1, max_in);
        w->k[i] = rint_in(1, 3);
        w->s[i] = rint_in(1, 3);
        w->d[i] = rint_in(1, 2);
        int64_t span = (w->k[i] - 1) * w->d[i] + 1;
        if (ap < 5) {
            w->pb[i] = rint_in(0, 2);
            w->pe[i] = rint_in(0, 2);
            if (w->pb[i] >= span) w->pb[i] = span - 1; /* pools: a window starts on data */
            if (w->pe[i] >= span) w->pe[i] = span - 1;
        }
        if (ap == 5 || ap == 6) {
            w->out[i] = (w->in[i] + w->s[i] - 1) / w->s[i];
            int64_t total = (w->out[i] - 1) * w->s[i] + span - w->in[i];
            if (total < 0) total = 0;
            w->pb[i] = ap == 5 ? total / 2 : total - total / 2;
            w->pe[i] = total - w->pb[i];
            continue;
        }
        int64_t room = w->in[i] + w->pb[i] + w->pe[i] - span;
        if (room < 0) return false;
        w->out[i] = (w->ceil_mode ? (room + w->s[i] - 1) / w->s[i] : room / w->s[i]) + 1;
        if (w->ceil_mode && (w->out[i] - 1) * w->s[i] >= w->in[i] + w->pb[i]) w->out[i]--;
    }
    return true;
}

static void win_attrs(tnode *tn, const win *w, bool with_kernel) {
    if (with_kernel) tn_ints(tn, "kernel_shape", w->n, w->k);
    tn_ints(tn, "strides", w->n, w->s);
    tn_ints(tn, "dilations", w->n, w->d);
    if (strcmp(w->auto_pad, "NOTSET") == 0) {
        int64_t pads[6];
        for (int i = 0; i < w->n; i++) {
            pads[i] = w->pb[i];
            pads[w->n + i] = w->pe[i];
        }
        tn_ints(tn, "pads", 2 * w->n, pads);
    } else {
        tn_str(tn, "auto_pad", w->auto_pad);
    }
    if (w->ceil_mode) tn_int(tn, "ceil_mode", 1);
}

static int64_t prod(const int64_t *d, int n) {
    int64_t p = 1;
    for (int i = 0; i < n; i++) p *= d[i];
    return p;
}

static void win_sprint(const win *w, char *b, size_t cap) {
    size_t o = 0;
    for (int i = 0; i < w->n; i++)
        o += (size_t)snprintf(b + o, cap - o, "%sin%lld k%lld s%lld d%lld p%lld/%lld",
                              i ? " | " : "", (long long)w->in[i], (long long)w->k[i],
                              (long long)w->s[i], (long long)w->d[i], (long long)w->pb[i],
                              (long long)w->pe[i]);
    snprintf(b + o, cap - o, " %s%s", w->auto_pad, w->ceil_mode ? " ceil" : "");
}

/* ---- convolution family ---------------------------------------------------------- */

typedef enum { CV_INTEGER, CV_QLINEAR, CV_QCONV } conv_kind;

static void case_conv(uint64_t seed) {
    g_rng = seed;
    tpool p = {0};
    conv_kind kind = (conv_kind)(rnd() % 3);
    win w;
    int n = rnd() % 4 == 0 ? 1 : rnd() % 6 == 0 ? 3 : 2;
    while (!win_random(&w, n, n == 3 ? 5 : 9, false)) {}
    int64_t N = rint_in(1, 2), C = pick(k_odd, n == 3 ? 3 : 5), group = 1, M;
    int gsel = (int)(rnd() % 3);
    if (gsel == 1) group = C; /* depthwise */
    if (gsel == 2 && C % 3 == 0) group = 3;
    M = group * (group == 1 ? pick(k_odd, 5) : rint_in(1, 3));
    int64_t Cg = C / group;
    er_dtype xdt = rdt(), wdt = kind == CV_QCONV ? (rnd() % 4 ? ER_I8 : ER_U8) : rdt();
    int64_t xd[5] = {N, C}, wd[5] = {M, Cg};
    for (int i = 0; i < n; i++) {
        xd[2 + i] = w.in[i];
        wd[2 + i] = w.k[i];
    }
    er_tensor *x = tq_random(&p, xdt, n + 2, xd), *wt = tq_random(&p, wdt, n + 2, wd);
    bool w_pc = rnd() & 1, has_bias = kind != CV_INTEGER && rnd() % 3 != 0;
    float xs[1], ws[128], ys[1]; /* M <= 33 * 3 */
    int32_t xz[1], wz[128], yz[1];
    er_dtype ydt = kind == CV_INTEGER ? ER_I32 : rdt();
    er_tensor *in[9] = {0};
    int n_in;
    er_tensor *bias = NULL;
    int64_t K = Cg * prod(w.k, n);
    if (kind == CV_INTEGER) {
        /* x_zp scalar, w_zp scalar or [M]; both optional */
        in[0] = x;
        in[1] = wt;
        in[2] = rnd() % 4 ? tzps(&p, xdt, 1, false, false, xz) : NULL;
        if (!in[2]) xz[0] = 0;
        in[3] = rnd() % 4 ? tzps(&p, wdt, M, w_pc, false, wz) : NULL;
        if (!in[3])
            for (int64_t m = 0; m < M; m++) wz[m] = 0;
        n_in = in[3] ? 4 : in[2] ? 3 : 2;
    } else {
        in[0] = x;
        in[1] = tscales(&p, 1, false, 0.005, 0.1, xs);
        in[2] = tzps(&p, xdt, 1, false, false, xz);
        in[3] = wt;
        in[4] = tscales(&p, M, w_pc, 0.001, 0.05, ws);
        in[5] = tzps(&p, wdt, M, w_pc, kind == CV_QCONV && wdt == ER_I8 && rnd() % 2, wz);
        double typical = xs[0] * ws[0] * sqrt((double)K) * 60.0;
        in[6] = tscales(&p, 1, false, typical * 0.3, typical * 3, ys);
        in[7] = tzps(&p, ydt, 1, false, false, yz);
        n_in = 8;
        if (has_bias) {
            int64_t bd[1] = {M};
            bias = tnew(&p, ER_I32, 1, bd);
            for (int64_t m = 0; m < M; m++)
                ((int32_t *)bias->data)[m] = rnd() % 20 == 0 ? INT32_MAX - (int32_t)rint_in(0, 99)
                                                             : (int32_t)rint_in(-40000, 40000);
            in[8] = bias;
            n_in = 9;
        }
    }
    tnode tn;
    static const char *const names[] = {"ConvInteger", "QLinearConv", "QConv"};
    tn_init(&tn, names[kind]);
    win_attrs(&tn, &w, rnd() & 1);
    if (group > 1 || rnd() % 2) tn_int(&tn, "group", group);
    int32_t lo, hi;
    qrange(ydt, &lo, &hi);
    if (kind == CV_QCONV && rnd() % 2) {
        lo = (int32_t)rint_in(lo, lo + 100);
        hi = (int32_t)rint_in(lo, hi);
        tn_int(&tn, "activation_min", lo);
        tn_int(&tn, "activation_max", hi);
    }
    char ws_[200];
    win_sprint(&w, ws_, sizeof ws_);
    snprintf(g_cfg, sizeof g_cfg, "[N%lld C%lld M%lld group%lld %s x %s w %s%s%s]", (long long)N,
             (long long)C, (long long)M, (long long)group, ws_, er_dtype_name(xdt),
             er_dtype_name(wdt), w_pc ? " per-channel" : "", has_bias ? " bias" : "");
    er_tensor *y;
    CHECK_STATUS(run_op(&p, names[kind], kind == CV_QCONV ? "edgerun" : "", &tn, in, n_in, &y),
                 ER_OK);
    int64_t yn = N * M * prod(w.out, n);
    CHECK_MSG((int64_t)er_tensor_numel(y) == yn && y->dtype == ydt, "%s %s: output %s",
              names[kind], g_cfg, er_op_shape_str(y));
    int32_t *want = malloc(sizeof(int32_t) * (size_t)(yn ? yn : 1));
    int64_t e = 0;
    for (int64_t b = 0; b < N; b++)
        for (int64_t m = 0; m < M; m++) {
            int64_t g = m / (M / group);
            int64_t o[3] = {0};
            for (int64_t q = 0; q < prod(w.out, n); q++) {
                int64_t acc = bias ? ((int32_t *)bias->data)[m] : 0;
                for (int64_t ic = 0; ic < Cg; ic++) {
                    int64_t kk[3] = {0};
                    for (int64_t t = 0; t < prod(w.k, n); t++) {
                        int64_t xi = b * C + g * Cg + ic, wi = m * Cg + ic;
                        bool inside = true;
                        for (int i = 0; i < n; i++) {
                            int64_t pos = o[i] * w.s[i] - w.pb[i] + kk[i] * w.d[i];
                            if (pos < 0 || pos >= w.in[i]) inside = false;
                            xi = xi * w.in[i] + pos;
                            wi = wi * w.k[i] + kk[i];
                        }
                        if (inside) acc += (int64_t)(qget(x, xi) - xz[0]) * (qget(wt, wi) - wz[m]);
                        for (int i = n - 1; i >= 0; i--) {
                            if (++kk[i] < w.k[i]) break;
                            kk[i] = 0;
                        }
                    }
                }
                int32_t a32 = ref_wrap32(acc);
                if (kind == CV_INTEGER) want[e] = a32;
                else if (kind == CV_QLINEAR)
                    want[e] = ref_requant_float(a32, xs[0] * ws[m] / ys[0], yz[0], lo, hi);
                else
                    want[e] = ref_requant(a32, (double)xs[0] * (double)ws[m] / (double)ys[0],
                                          yz[0], lo, hi);
                e++;
                for (int i = n - 1; i >= 0; i--) {
                    if (++o[i] < w.out[i]) break;
                    o[i] = 0;
                }
            }
        }
    CHECK_SAME(names[kind], y, want, yn);
    free(want);
    tpool_free(&p);
}

/* ---- matrix-product family ---------------------------------------------------------- */

typedef enum { MM_INTEGER, MM_QLINEAR, MM_QMATMUL, MM_QGEMM } mm_kind;

static void case_matmul(uint64_t seed) {
    g_rng = seed;
    tpool p = {0};
    mm_kind kind = (mm_kind)(rnd() % 4);
    int64_t M = pick(k_odd, 5), K = pick(k_odd, 5), N = pick(k_odd, 5);
    int ra = kind == MM_QGEMM ? 2 : (int)rint_in(1, 3);
    int rb = kind == MM_QGEMM ? 2 : (int)rint_in(1, 3);
    if (ra == 1) M = 1;
    if (rb == 1) N = 1;
    int64_t batch = rint_in(1, 3);
    bool ta = kind == MM_QGEMM && rnd() % 2, tb = kind == MM_QGEMM && rnd() % 2;
    int64_t ad[3], bd[3];
    int64_t ab = ra == 3 ? (rnd() % 3 ? batch : 1) : 1, bb = rb == 3 ? (rnd() % 3 ? batch : 1) : 1;
    if (ra == 1) ad[0] = K;
    else if (ra == 2) { ad[0] = ta ? K : M; ad[1] = ta ? M : K; }
    else { ad[0] = ab; ad[1] = M; ad[2] = K; }
    if (rb == 1) bd[0] = K;
    else if (rb == 2) { bd[0] = tb ? N : K; bd[1] = tb ? K : N; }
    else { bd[0] = bb; bd[1] = K; bd[2] = N; }
    int64_t nb = (ra == 3 || rb == 3) ? (ab > bb ? ab : bb) : 1;
    er_dtype adt = rdt(), bdt = kind >= MM_QMATMUL ? (rnd() % 4 ? ER_I8 : ER_U8) : rdt();
    er_dtype ydt = kind == MM_INTEGER ? ER_I32 : rdt();
    er_tensor *a = tq_random(&p, adt, ra, ad), *b = tq_random(&p, bdt, rb, bd);
    /* per-row A parameters only where the op allows them (2-D A, the ONNX ops) */
    bool a_row = kind <= MM_QLINEAR && ra == 2 && rnd() % 2, b_col = rb >= 2 && rnd() % 2;
    float as[64], bs[64], ys[1];
    int32_t az[64], bz[64], yz[1];
    er_tensor *in[9] = {0};
    int n_in;
    er_tensor *bias = NULL;
    int bias_kind = 0; /* QGemm C: 1 [N], 2 [1,N], 3 [M,N], 4 [M,1], 5 scalar */
    if (kind == MM_INTEGER) {
        in[0] = a;
        in[1] = b;
        in[2] = tzps(&p, adt, M, a_row, false, az);
        in[3] = tzps(&p, bdt, N, b_col, false, bz);
        n_in = 4;
    } else {
        in[0] = a;
        in[1] = tscales(&p, M, a_row, 0.005, 0.1, as);
        in[2] = tzps(&p, adt, M, a_row, false, az);
        in[3] = b;
        in[4] = tscales(&p, N, b_col, 0.001, 0.05, bs);
        in[5] = tzps(&p, bdt, N, b_col, kind >= MM_QMATMUL && bdt == ER_I8 && rnd() % 2, bz);
        double typical = as[0] * bs[0] * sqrt((double)K) * 60.0;
        in[6] = tscales(&p, 1, false, typical * 0.3, typical * 3, ys);
        in[7] = tzps(&p, ydt, 1, false, false, yz);
        n_in = 8;
        if (kind >= MM_QMATMUL && rnd() % 3) {
            bias_kind = kind == MM_QMATMUL ? 1 : (int)rint_in(1, 5);
            int64_t cd[2] = {bias_kind == 3 || bias_kind == 4 ? M : 1, bias_kind == 4 ? 1 : N};
            if (bias_kind == 1) bias = tnew(&p, ER_I32, 1, cd + 1);
            else if (bias_kind == 5) bias = tnew(&p, ER_I32, 0, cd);
            else bias = tnew(&p, ER_I32, 2, cd);
            for (size_t i = 0; i < er_tensor_numel(bias); i++)
                ((int32_t *)bias->data)[i] = (int32_t)rint_in(-30000, 30000);
            in[8] = bias;
            n_in = 9;
        }
    }
    static const char *const names[] = {"MatMulInteger", "QLinearMatMul", "QMatMul", "QGemm"};
    tnode tn;
    tn_init(&tn, names[kind]);
    if (ta) tn_int(&tn, "transA", 1);
    if (tb) tn_int(&tn, "transB", 1);
    int32_t lo, hi;
    qrange(ydt, &lo, &hi);
    if (kind >= MM_QMATMUL && rnd() % 2) {
        lo = (int32_t)rint_in(lo, lo + 60);
        hi = (int32_t)rint_in(lo, hi);
        tn_int(&tn, "activation_min", lo);
        tn_int(&tn, "activation_max", hi);
    }
    snprintf(g_cfg, sizeof g_cfg, "[A %s %s B %s %s%s%s%s%s bias%d]", er_op_shape_str(a),
             er_dtype_name(adt), er_op_shape_str(b), er_dtype_name(bdt), a_row ? " a-per-row" : "",
             b_col ? " b-per-col" : "", ta ? " transA" : "", tb ? " transB" : "", bias_kind);
    er_tensor *y;
    CHECK_STATUS(run_op(&p, names[kind], kind >= MM_QMATMUL ? "edgerun" : "", &tn, in, n_in, &y),
                 ER_OK);
    int64_t yn = nb * M * N;
    CHECK_MSG((int64_t)er_tensor_numel(y) == yn, "%s %s: output %s", names[kind], g_cfg,
              er_op_shape_str(y));
    int32_t *want = malloc(sizeof(int32_t) * (size_t)yn);
    for (int64_t bi = 0; bi < nb; bi++)
        for (int64_t i = 0; i < M; i++)
            for (int64_t j = 0; j < N; j++) {
                int64_t abat = ab == 1 ? 0 : bi, bbat = bb == 1 ? 0 : bi;
                int64_t acc = 0;
                for (int64_t k = 0; k < K; k++) {
                    int64_t ai = ta ? k * M + i : (abat * M + i) * K + k;
                    int64_t bix = tb ? j * K + k : (bbat * K + k) * N + j;
                    acc += (int64_t)(qget(a, ai) - az[i]) * (qget(b, bix) - bz[j]);
                }
                if (bias) {
                    int64_t ci = bias_kind == 1 || bias_kind == 2 ? j : bias_kind == 3 ? i * N + j
                               : bias_kind == 4 ? i : 0;
                    acc += ((int32_t *)bias->data)[ci];
                }
                int32_t a32 = ref_wrap32(acc), v;
                if (kind == MM_INTEGER) v = a32;
                else if (kind == MM_QLINEAR)
                    v = ref_requant_float(a32, as[i] * bs[j] / ys[0], yz[0], lo, hi);
                else
                    v = ref_requant(a32, (double)as[0] * (double)bs[j] / (double)ys[0], yz[0], lo,
                                    hi);
                want[(bi * M + i) * N + j] = v;
            }
    CHECK_SAME(names[kind], y, want, yn);
    free(want);
    tpool_free(&p);
}

/* ---- QAdd / QMul ----------------------------------------------------------------- */

static void case_binary(uint64_t seed) {
    g_rng = seed;
    tpool p = {0};
    bool mul = rnd() & 1;
    int r = (int)rint_in(1, 4);
    int64_t od[4], ad[4], bd[4];
    int ra = (int)rint_in(1, r), rb = r;
    if (rnd() & 1) {
        rb = ra;
        ra = r;
    }
    for (int i = 0; i < r; i++) od[i] = pick(k_odd, 4);
    for (int i = 0; i < ra; i++) ad[i] = rnd() % 3 ? od[r - ra + i] : 1;
    for (int i = 0; i < rb; i++) bd[i] = rnd() % 3 ? od[r - rb + i] : 1;
    for (int i = 0; i < r; i++) { /* the real broadcast result */
        int64_t x = i >= r - ra ? ad[i - (r - ra)] : 1, z = i >= r - rb ? bd[i - (r - rb)] : 1;
        od[i] = x > z ? x : z;
    }
    er_dtype adt = rdt(), bdt = rdt(), ydt = rdt();
    er_tensor *a = tq_random(&p, adt, ra, ad), *b = tq_random(&p, bdt, rb, bd);
    float as[1], bs[1], ys[1];
    int32_t az[1], bz[1], yz[1];
    er_tensor *in[8] = {a,    tscales(&p, 1, false, 0.005, 0.2, as),
                        tzps(&p, adt, 1, false, false, az),
                        b,    tscales(&p, 1, false, 0.005, 0.2, bs),
                        tzps(&p, bdt, 1, false, false, bz),
                        NULL, NULL};
    double typ = mul ? as[0] * bs[0] * 3000.0 : (as[0] > bs[0] ? as[0] : bs[0]) * 1.5;
    in[6] = tscales(&p, 1, false, typ * 0.3, typ * 3, ys);
    in[7] = tzps(&p, ydt, 1, false, false, yz);
    tnode tn;
    tn_init(&tn, mul ? "QMul" : "QAdd");
    int32_t lo, hi;
    qrange(ydt, &lo, &hi);
    if (rnd() % 2) {
        lo = (int32_t)rint_in(lo, lo + 60);
        hi = (int32_t)rint_in(lo, hi);
        tn_int(&tn, "activation_min", lo);
        tn_int(&tn, "activation_max", hi);
    }
    snprintf(g_cfg, sizeof g_cfg, "[A %s %s B %s %s Y %s]", er_op_shape_str(a), er_dtype_name(adt),
             er_op_shape_str(b), er_dtype_name(bdt), er_dtype_name(ydt));
    er_tensor *y;
    CHECK_STATUS(run_op(&p, mul ? "QMul" : "QAdd", "edgerun", &tn, in, 8, &y), ER_OK);
    int64_t n = prod(od, r);
    CHECK((int64_t)er_tensor_numel(y) == n);
    int32_t *want = malloc(sizeof(int32_t) * (size_t)n);
    double twice = 2.0 * (double)(as[0] > bs[0] ? as[0] : bs[0]);
    for (int64_t e = 0; e < n; e++) {
        int64_t rem = e, ai = 0, bi = 0, sa = 1, sb = 1;
        for (int i = r - 1; i >= 0; i--) {
            int64_t c = rem % od[i];
            rem /= od[i];
            int ia = i - (r - ra), ib = i - (r - rb);
            if (ia >= 0) {
                ai += (ad[ia] == 1 ? 0 : c) * sa;
                sa *= ad[ia];
            }
            if (ib >= 0) {
                bi += (bd[ib] == 1 ? 0 : c) * sb;
                sb *= bd[ib];
            }
        }
        int32_t va = qget(a, ai) - az[0], vb = qget(b, bi) - bz[0];
        if (mul) {
            want[e] = ref_requant_pre(va * vb, 15, (double)as[0] * bs[0] / ys[0], yz[0], lo, hi);
        } else {
            int32_t sa2 = ref_mbqm(va * (1 << 20), ref_qm((double)as[0] / twice));
            int32_t sb2 = ref_mbqm(vb * (1 << 20), ref_qm((double)bs[0] / twice));
            want[e] = ref_requant(sa2 + sb2, twice / ((double)(1 << 20) * ys[0]), yz[0], lo, hi);
        }
    }
    CHECK_SAME(mul ? "QMul" : "QAdd", y, want, n);
    free(want);
    tpool_free(&p);
}

/* ---- pools --------------------------------------------------------------------------- */

static void case_pool(uint64_t seed) {
    g_rng = seed;
    tpool p = {0};
    int kind = (int)(rnd() % 3); /* 0 average, 1 max, 2 global average */
    win w;
    int n = rnd() % 4 == 0 ? 1 : rnd() % 6 == 0 ? 3 : 2;
    while (!win_random(&w, n, n == 3 ? 5 : 9, true)) {}
    if (kind == 2)
        for (int i = 0; i < n; i++) w.out[i] = 1;
    int64_t N = rint_in(1, 2), C = pick(k_odd, 4);
    int64_t xd[5] = {N, C};
    for (int i = 0; i < n; i++) xd[2 + i] = w.in[i];
    er_dtype xdt = rdt(), ydt = kind == 1 && rnd() % 2 ? xdt : rdt();
    er_tensor *x = tq_random(&p, xdt, n + 2, xd);
    float xs[1], ys[1];
    int32_t xz[1], yz[1];
    bool same = kind == 1 && rnd() % 2;
    er_tensor *in[5] = {x, tscales(&p, 1, false, 0.01, 0.1, xs), tzps(&p, xdt, 1, false, false, xz),
                        NULL, NULL};
    if (same && ydt == xdt) {
        in[3] = in[1];
        in[4] = in[2];
        ys[0] = xs[0];
        yz[0] = xz[0];
    } else {
        in[3] = tscales(&p, 1, false, 0.01, 0.1, ys);
        in[4] = tzps(&p, ydt, 1, false, false, yz);
    }
    bool cip = kind == 0 && rnd() % 2;
    static const char *const names[] = {"QAveragePool", "QMaxPool", "QGlobalAveragePool"};
    tnode tn;
    tn_init(&tn, names[kind]);
    if (kind != 2) win_attrs(&tn, &w, true);
    if (cip) tn_int(&tn, "count_include_pad", 1);
    char ws_[200];
    win_sprint(&w, ws_, sizeof ws_);
    snprintf(g_cfg, sizeof g_cfg, "[N%lld C%lld %s %s->%s%s]", (long long)N, (long long)C, ws_,
             er_dtype_name(xdt), er_dtype_name(ydt), cip ? " count_include_pad" : "");
    er_tensor *y;
    CHECK_STATUS(run_op(&p, names[kind], "edgerun", &tn, in, 5, &y), ER_OK);
    int64_t planes = N * C, on = kind == 2 ? 1 : prod(w.out, n), inn = prod(w.in, n);
    CHECK((int64_t)er_tensor_numel(y) == planes * on);
    int32_t *want = malloc(sizeof(int32_t) * (size_t)(planes * on));
    int32_t lo, hi, xlo, xhi;
    qrange(ydt, &lo, &hi);
    qrange(xdt, &xlo, &xhi);
    int64_t taps = kind == 2 ? inn : prod(w.k, n);
    int L = ref_prescale_shift(255 * taps);
    for (int64_t pl = 0; pl < planes; pl++) {
        int64_t o[3] = {0};
        for (int64_t q = 0; q < on; q++) {
            int64_t sum = 0, valid = 0, padded = 0;
            int32_t mx = xlo;
            if (kind == 2) {
                for (int64_t i = 0; i < inn; i++) sum += qget(x, pl * inn + i) - xz[0];
                valid = inn;
            } else {
                int64_t kk[3] = {0};
                for (int64_t t = 0; t < prod(w.k, n); t++) {
                    bool inside = true, in_pad = true;
                    int64_t xi = pl;
                    for (int i = 0; i < n; i++) {
                        int64_t pos = o[i] * w.s[i] - w.pb[i] + kk[i] * w.d[i];
                        if (pos < 0 || pos >= w.in[i]) inside = false;
                        if (pos >= w.in[i] + w.pe[i]) in_pad = false;
                        xi = xi * w.in[i] + pos;
                    }
                    padded += in_pad;
                    if (inside) {
                        int32_t v = qget(x, xi);
                        valid++;
                        sum += v - xz[0];
                        if (v > mx) mx = v;
                    }
                    for (int i = n - 1; i >= 0; i--) {
                        if (++kk[i] < w.k[i]) break;
                        kk[i] = 0;
                    }
                }
            }
            int32_t v;
            if (kind == 1) {
                v = ref_requant_pre(mx - xz[0], 23, (double)xs[0] / ys[0], yz[0], lo, hi);
            } else {
                int64_t cnt = cip ? padded : valid;
                int32_t s32 = ref_clamp(sum, INT32_MIN, INT32_MAX);
                double real = (double)xs[0] / ((double)ys[0] * (double)cnt);
                v = cnt <= 0 ? yz[0] : ref_requant_pre(s32, L, real, yz[0], lo, hi);
            }
            want[pl * on + q] = v;
            for (int i = n - 1; i >= 0; i--) {
                if (++o[i] < w.out[i]) break;
                o[i] = 0;
            }
        }
    }
    CHECK_SAME(names[kind], y, want, planes * on);
    free(want);
    tpool_free(&p);
}

/* ---- QConcat ------------------------------------------------------------------------ */

static void case_concat(uint64_t seed) {
    g_rng = seed;
    tpool p = {0};
    int r = (int)rint_in(1, 4), k = (int)rint_in(1, 4), axis = (int)rint_in(0, r - 1);
    int64_t base[4];
    for (int i = 0; i < r; i++) base[i] = pick(k_odd, 3);
    er_dtype ydt = rdt();
    float ys[1], xs[4];
    int32_t yz[1], xz[4];
    er_tensor *in[14];
    er_tensor *xt[4];
    in[0] = tscales(&p, 1, false, 0.01, 0.1, ys);
    in[1] = tzps(&p, ydt, 1, false, false, yz);
    int64_t total = 0;
    for (int j = 0; j < k; j++) {
        int64_t d[4];
        memcpy(d, base, sizeof d);
        d[axis] = pick(k_odd, 4);
        total += d[axis];
        er_dtype dt = rnd() % 2 ? ydt : rdt();
        xt[j] = tq_random(&p, dt, r, d);
        in[2 + 3 * j] = xt[j];
        if (rnd() % 2 && dt == ydt) { /* common scale: a plain copy */
            in[3 + 3 * j] = in[0];
            in[4 + 3 * j] = in[1];
            xs[j] = ys[0];
            xz[j] = yz[0];
        } else {
            in[3 + 3 * j] = tscales(&p, 1, false, 0.01, 0.1, &xs[j]);
            in[4 + 3 * j] = tzps(&p, dt, 1, false, false, &xz[j]);
        }
    }
    tnode tn;
    tn_init(&tn, "QConcat");
    tn_int(&tn, "axis", rnd() % 2 ? axis : axis - r);
    snprintf(g_cfg, sizeof g_cfg, "[rank %d, %d inputs, axis %d]", r, k, axis);
    er_tensor *y;
    CHECK_STATUS(run_op(&p, "QConcat", "edgerun", &tn, in, 2 + 3 * k, &y), ER_OK);
    int64_t outer = prod(base, axis), inner = prod(base + axis + 1, r - axis - 1);
    int64_t n = outer * total * inner;
    CHECK((int64_t)er_tensor_numel(y) == n);
    int32_t *want = malloc(sizeof(int32_t) * (size_t)n);
    int32_t lo, hi;
    qrange(ydt, &lo, &hi);
    int64_t e = 0;
    for (int64_t o = 0; o < outer; o++)
        for (int j = 0; j < k; j++) {
            int64_t blk = xt[j]->dims[axis] * inner;
            for (int64_t i = 0; i < blk; i++)
                want[e++] = ref_requant_pre(qget(xt[j], o * blk + i) - xz[j], 23,
                                            (double)xs[j] / ys[0], yz[0], lo, hi);
        }
    CHECK_SAME("QConcat", y, want, n);
    free(want);
    tpool_free(&p);
}

/* ---- QResize ------------------------------------------------------------------------ */

static void case_resize(uint64_t seed) {
    g_rng = seed;
    tpool p = {0};
    int r = (int)rint_in(3, 4);
    bool linear = rnd() & 1;
    static const char *const ctms[] = {"half_pixel", "pytorch_half_pixel", "align_corners",
                                       "asymmetric"};
    static const char *const nms[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};
    int ctm = (int)(rnd() % 4), nm = (int)(rnd() % 4);
    int64_t xd[4], yd[4];
    float sc[4];
    bool by_sizes = rnd() & 1;
    int n_resized = 0;
    for (int i = 0; i < r; i++) {
        xd[i] = i < r - 3 ? 1 : pick(k_odd, 3);
        sc[i] = 1.0f;
        if (i >= r - 3 + (rnd() % 4 == 0 ? 0 : 1)) { /* the spatial axes (sometimes 3) */
            static const float ss[] = {0.5f, 1.5f, 2.0f, 3.0f, 0.75f, 1.25f};
            sc[i] = ss[rnd() % 6];
            n_resized++;
        }
        yd[i] = (int64_t)floor((double)xd[i] * sc[i]);
        if (yd[i] < 1) {
            yd[i] = 1;
            by_sizes = true;
        }
    }
    er_dtype xdt = rdt(), ydt = rnd() % 2 ? xdt : rdt();
    er_tensor *x = tq_random(&p, xdt, r, xd);
    float xs[1], ys[1];
    int32_t xz[1], yz[1];
    er_tensor *in[7] = {x, tscales(&p, 1, false, 0.01, 0.1, xs), tzps(&p, xdt, 1, false, false, xz),
                        tscales(&p, 1, false, 0.01, 0.1, ys), tzps(&p, ydt, 1, false, false, yz),
                        NULL, NULL};
    int64_t rd[1] = {r};
    double scale[4];
    if (by_sizes) {
        in[6] = tnew(&p, ER_I64, 1, rd);
        for (int i = 0; i < r; i++) {
            ((int64_t *)in[6]->data)[i] = yd[i];
            scale[i] = (double)yd[i] / (double)xd[i];
        }
    } else {
        in[5] = tnew(&p, ER_F32, 1, rd);
        for (int i = 0; i < r; i++) {
            ((float *)in[5]->data)[i] = sc[i];
            scale[i] = sc[i];
        }
    }
    tnode tn;
    tn_init(&tn, "QResize");
    tn_str(&tn, "mode", linear ? "linear" : "nearest");
    tn_str(&tn, "coordinate_transformation_mode", ctms[ctm]);
    tn_str(&tn, "nearest_mode", nms[nm]);
    snprintf(g_cfg, sizeof g_cfg, "[X %s -> %lld.. %s %s %s %s]", er_op_shape_str(x),
             (long long)yd[r - 1], linear ? "linear" : "nearest", ctms[ctm], nms[nm],
             by_sizes ? "sizes" : "scales");
    er_tensor *y;
    CHECK_STATUS(run_op(&p, "QResize", "edgerun", &tn, in, 7, &y), ER_OK);
    int64_t n = prod(yd, r);
    CHECK((int64_t)er_tensor_numel(y) == n);
    /* per axis and output coordinate: two (index, weight) taps */
    int nl = 0;
    bool changed[4];
    for (int i = 0; i < r; i++) {
        changed[i] = scale[i] != 1.0 || yd[i] != xd[i];
        nl += linear && changed[i];
    }
    (void)n_resized;
    int bits = nl <= 2 ? 11 : nl == 3 ? 7 : 5;
    int32_t ti0[4][128], ti1[4][128], tw0[4][128], tw1[4][128];
    for (int i = 0; i < r; i++)
        for (int64_t o = 0; o < yd[i]; o++) {
            if (!changed[i]) {
                ti0[i][o] = ti1[i][o] = (int32_t)o;
                tw0[i][o] = 1;
                tw1[i][o] = 0;
                continue;
            }
            double s = scale[i], c;
            if (ctm == 1) c = yd[i] > 1 ? (o + 0.5) / s - 0.5 : 0;
            else if (ctm == 2) c = yd[i] == 1 ? 0 : o * (double)(xd[i] - 1) / (double)(yd[i] - 1);
            else if (ctm == 3) c = o / s;
            else c = (o + 0.5) / s - 0.5;
            double lim = (double)(xd[i] - 1);
            if (linear) {
                double f = floor(c);
                int32_t w1 = (int32_t)lrint((c - f) * (1 << bits));
                ti0[i][o] = (int32_t)(f < 0 ? 0 : f > lim ? lim : f);
                ti1[i][o] = (int32_t)(f + 1 < 0 ? 0 : f + 1 > lim ? lim : f + 1);
                tw0[i][o] = (1 << bits) - w1;
                tw1[i][o] = w1;
            } else {
                double fl = floor(c), rr;
                bool half = c - fl == 0.5;
                if (nm == 0) rr = half ? fl : floor(c + 0.5);
                else if (nm == 1) rr = half ? fl + 1 : floor(c + 0.5);
                else if (nm == 2) rr = fl;
                else rr = ceil(c);
                ti0[i][o] = ti1[i][o] = (int32_t)(rr < 0 ? 0 : rr > lim ? lim : rr);
                tw0[i][o] = 1;
                tw1[i][o] = 0;
            }
        }
    int wb = bits * nl, L = ref_prescale_shift((int64_t)255 << wb);
    double real = (double)xs[0] / ((double)ys[0] * ldexp(1.0, wb));
    int32_t *want = malloc(sizeof(int32_t) * (size_t)n);
    int32_t lo, hi;
    qrange(ydt, &lo, &hi);
    int64_t o[4] = {0};
    for (int64_t e = 0; e < n; e++) {
        int64_t acc = 0;
        for (int mask = 0; mask < (1 << r); mask++) {
            int64_t wgt = 1, xi = 0;
            bool skip = false;
            for (int i = 0; i < r; i++) {
                bool second = (mask >> i) & 1;
                if (second && !(linear && changed[i])) skip = true;
                wgt *= second ? tw1[i][o[i]] : tw0[i][o[i]];
                xi = xi * xd[i] + (second ? ti1[i][o[i]] : ti0[i][o[i]]);
            }
            if (!skip) acc += wgt * (qget(x, xi) - xz[0]);
        }
        want[e] = ref_requant_pre((int32_t)acc, L, real, yz[0], lo, hi);
        for (int i = r - 1; i >= 0; i--) {
            if (++o[i] < yd[i]) break;
            o[i] = 0;
        }
    }
    CHECK_SAME("QResize", y, want, n);
    free(want);
    tpool_free(&p);
}

/* ---- lookup-table activations and QSoftmax ---------------------------------------------- */

static void case_unary(uint64_t seed) {
    g_rng = seed;
    tpool p = {0};
    static const char *const names[] = {"QSigmoid", "QTanh", "QHardSwish", "QLeakyRelu",
                                        "QSoftmax"};
    int kind = (int)(rnd() % 5);
    int r = (int)rint_in(1, 4);
    int64_t d[4];
    for (int i = 0; i < r; i++) d[i] = pick(k_odd, 4);
    er_dtype xdt = rdt(), ydt = rdt();
    er_tensor *x = tq_random(&p, xdt, r, d);
    float xs[1], ys[1];
    int32_t xz[1], yz[1];
    er_tensor *in[5] = {x, tscales(&p, 1, false, 0.01, 0.1, xs), tzps(&p, xdt, 1, false, false, xz),
                        tscales(&p, 1, false, 0.002, 0.05, ys), tzps(&p, ydt, 1, false, false, yz)};
    tnode tn;
    tn_init(&tn, names[kind]);
    float alpha = 0.01f;
    int axis = (int)rint_in(0, r - 1);
    if (kind == 3 && rnd() % 2) {
        alpha = (float)(runit() - 0.5);
        tn_float(&tn, "alpha", alpha);
    }
    if (kind == 4 && (rnd() % 2 || axis != r - 1)) tn_int(&tn, "axis", axis);
    snprintf(g_cfg, sizeof g_cfg, "[X %s %s -> %s alpha %g axis %d]", er_op_shape_str(x),
             er_dtype_name(xdt), er_dtype_name(ydt), (double)alpha, axis);
    er_tensor *y;
    CHECK_STATUS(run_op(&p, names[kind], "edgerun", &tn, in, 5, &y), ER_OK);
    int64_t n = prod(d, r);
    int32_t *want = malloc(sizeof(int32_t) * (size_t)n);
    int32_t lo, hi;
    qrange(ydt, &lo, &hi);
    if (kind < 4) {
        for (int64_t e = 0; e < n; e++) {
            double v = (double)(qget(x, e) - xz[0]) * (double)xs[0], f;
            if (kind == 0) f = 1.0 / (1.0 + exp(-v));
            else if (kind == 1) f = tanh(v);
            else if (kind == 2) f = v * fmin(fmax(v / 6.0 + 0.5, 0.0), 1.0);
            else f = v >= 0 ? v : (double)alpha * v;
            want[e] = ref_clamp((int64_t)(rint(f / (double)ys[0]) + yz[0]), lo, hi);
        }
    } else {
        int64_t outer = prod(d, axis), len = d[axis], inner = prod(d + axis + 1, r - axis - 1);
        for (int64_t o = 0; o < outer; o++)
            for (int64_t i = 0; i < inner; i++) {
                int32_t mx = -1000;
                for (int64_t k = 0; k < len; k++) {
                    int32_t v = qget(x, (o * len + k) * inner + i);
                    if (v > mx) mx = v;
                }
                uint64_t sum = 0;
                uint32_t tk[64];
                for (int64_t k = 0; k < len; k++) {
                    int32_t dd = mx - qget(x, (o * len + k) * inner + i);
                    tk[k] = (uint32_t)lrint(exp(-(double)dd * (double)xs[0]) * 8388608.0);
                    sum += tk[k];
                }
                double inv = 1.0 / ((double)sum * (double)ys[0]);
                for (int64_t k = 0; k < len; k++)
                    want[(o * len + k) * inner + i] =
                        ref_clamp((int64_t)(rint((double)tk[k] * inv) + yz[0]), lo, hi);
            }
    }
    CHECK_SAME(names[kind], y, want, n);
    free(want);
    tpool_free(&p);
}

/* ---- the table -------------------------------------------------------------------- */

typedef struct {
    const char *family;
    void (*run)(uint64_t seed);
    int cases;
} int8_row;

static const int8_row k_rows[] = {
    {"ConvInteger/QLinearConv/QConv", case_conv, 600},
    {"MatMulInteger/QLinearMatMul/QMatMul/QGemm", case_matmul, 800},
    {"QAdd/QMul", case_binary, 600},
    {"QAveragePool/QMaxPool/QGlobalAveragePool", case_pool, 600},
    {"QConcat", case_concat, 300},
    {"QResize", case_resize, 400},
    {"QSigmoid/QTanh/QHardSwish/QLeakyRelu/QSoftmax", case_unary, 500},
};

TEST(int8_ops_bit_exact) {
    for (size_t r = 0; r < sizeof k_rows / sizeof k_rows[0]; r++) {
        for (int k = 0; k < k_rows[r].cases; k++) {
            uint64_t seed = 0x9e3779b97f4a7c15ull * (uint64_t)(k + 1) + r;
            er_test_failed = 0;
            k_rows[r].run(seed);
            if (er_test_failed) {
                printf("  row %s, case %d failed\n", k_rows[r].family, k);
                return;
            }
        }
        printf("  %-48s %d cases bit-exact\n", k_rows[r].family, k_rows[r].cases);
    }
}

/* ---- errors -------------------------------------------------------------------------- */

TEST(int8_ops_errors) {
    tpool p = {0};
    int64_t xd[4] = {1, 3, 5, 5}, wd[4] = {4, 3, 3, 3};
    float f[8];
    int32_t z[8];
    er_tensor *x = tq_random(&p, ER_U8, 4, xd), *w = tq_random(&p, ER_I8, 4, wd);
    er_tensor *in[9] = {x, tscales(&p, 1, false, 0.01, 0.1, f), tzps(&p, ER_U8, 1, false, false, z),
                        w, tscales(&p, 4, true, 0.01, 0.1, f), tzps(&p, ER_I8, 4, true, true, z),
                        tscales(&p, 1, false, 0.01, 0.1, f), tzps(&p, ER_U8, 1, false, false, z),
                        NULL};
    tnode tn;
    tn_init(&tn, "QConv");
    er_tensor *y;
    CHECK_STATUS(run_op(&p, "QConv", "edgerun", &tn, in, 8, &y), ER_OK);
    /* a zero scale is refused at run time, with the value */
    ((float *)in[4]->data)[2] = 0.0f;
    CHECK_STATUS(run_op(&p, "QConv", "edgerun", &tn, in, 8, &y), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("w scale[2] = 0");
    ((float *)in[4]->data)[2] = NAN;
    CHECK_STATUS(run_op(&p, "QConv", "edgerun", &tn, in, 8, &y), ER_ERR_INVALID_MODEL);
    ((float *)in[4]->data)[2] = 0.5f;
    /* zero point dtype must match its tensor */
    er_tensor *bad_z = tzps(&p, ER_U8, 4, true, false, z);
    in[5] = bad_z;
    CHECK_STATUS(run_op(&p, "QConv", "edgerun", &tn, in, 8, &y), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("w zero point) has dtype uint8, expected int8");
    in[5] = tzps(&p, ER_I8, 4, true, true, z);
    /* per-channel scales must have M entries */
    in[4] = tscales(&p, 3, true, 0.01, 0.1, f);
    in[5] = tzps(&p, ER_I8, 3, true, true, z);
    CHECK_STATUS(run_op(&p, "QConv", "edgerun", &tn, in, 8, &y), ER_ERR_SHAPE);
    CHECK_ERROR_HAS("expected a scalar (per tensor) or [4] (per channel)");
    in[4] = tscales(&p, 4, true, 0.01, 0.1, f);
    in[5] = tzps(&p, ER_I8, 4, true, true, z);
    /* bias must be int32 [M] */
    int64_t bd[1] = {5};
    in[8] = tnew(&p, ER_I32, 1, bd);
    CHECK_STATUS(run_op(&p, "QConv", "edgerun", &tn, in, 9, &y), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("expected int32 [4]");
    /* the activation range must fit the output dtype */
    tn_int(&tn, "activation_min", -5);
    CHECK_STATUS(run_op(&p, "QConv", "edgerun", &tn, in, 8, &y), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("activation_min -5");
    /* float input: not a quantized op's input */
    er_tensor *xf = tnew(&p, ER_F32, 4, xd);
    in[0] = xf;
    tn_init(&tn, "QLinearConv");
    CHECK_STATUS(run_op(&p, "QLinearConv", "", &tn, in, 8, &y), ER_ERR_UNSUPPORTED);
    /* QResize: more than four linear axes */
    int64_t rd5[5] = {2, 2, 2, 2, 2}, r1[1] = {5};
    er_tensor *rin[7] = {tq_random(&p, ER_U8, 5, rd5), tscales(&p, 1, false, 0.1, 0.2, f),
                         tzps(&p, ER_U8, 1, false, false, z), tscales(&p, 1, false, 0.1, 0.2, f),
                         tzps(&p, ER_U8, 1, false, false, z), tnew(&p, ER_F32, 1, r1), NULL};
    for (int i = 0; i < 5; i++) ((float *)rin[5]->data)[i] = 2.0f;
    tn_init(&tn, "QResize");
    tn_str(&tn, "mode", "linear");
    CHECK_STATUS(run_op(&p, "QResize", "edgerun", &tn, rin, 7, &y), ER_ERR_UNSUPPORTED);
    CHECK_ERROR_HAS("at most 4");
    tn_init(&tn, "QResize");
    tn_str(&tn, "mode", "cubic");
    CHECK_STATUS(run_op(&p, "QResize", "edgerun", &tn, rin, 7, &y), ER_ERR_UNSUPPORTED);
    CHECK_ERROR_HAS("mode 'cubic'");
    /* QConcat needs whole triples */
    tn_init(&tn, "QConcat");
    tn_int(&tn, "axis", 0);
    CHECK_STATUS(run_op(&p, "QConcat", "edgerun", &tn, rin, 4, &y), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("(X, X_scale, X_zp) triples");
    tpool_free(&p);
}
