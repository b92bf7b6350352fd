/* fuse_blocks.c - inverted-residual blocks become one edgerun::ConvBlockNhwc
 * (ops/conv_block_nhwc.c), which runs them row by row so the expanded
 * tensor stays in L2 (cpu/conv/conv_block.h):
 *
 *   ConvNhwc 1x1 (expand) -> ConvNhwc depthwise KxK -> ConvNhwc 1x1 (project [+ z])
 *   ConvNhwc 1x1 (expand) -> ConvNhwc depthwise        (the depthwise output
 *                                                       has other readers: SE)
 *                            ConvNhwc depthwise -> ConvNhwc 1x1 (project [+ z])
 *
 * and, for squeeze-and-excitation blocks (EfficientNet, MobileNetV3):
 *
 *   GlobalAveragePoolNhwc(d), d from a block without project stage or a
 *   depthwise ConvNhwc     -> the block's second output (channel means
 *                             summed while each output row is in cache)
 *   ConvNhwc 1x1(Mul(d, s)), s [N,1,1,E]
 *                          -> ConvBlockNhwc project * scale (no Mul pass)
 *
 * Conditions: each 1x1 stage has stride 1, no padding and group 1, and the
 * expand stage no residual; the depthwise stage has group = channels,
 * dilation 1, more than one tap, at most 16 rows and no residual; an
 * intermediate value has exactly one reader (the next stage, as its input
 * 0) and is not a graph output. The fused node takes the place of the
 * chain's last node, so every input it reads (x, and a residual z or scale
 * s that the last node already read) is computed before it; a pooled
 * output moves earlier, to the producer of what was pooled, which its
 * readers follow.
 *
 * Where it pays (docs/fusion.md): the fusion saves the round trip of the
 * intermediates through L3/DRAM, and costs the halo rows a thread
 * re-expands at its first output row plus weights of two stages competing
 * for L2. A stage joins only when the intermediate it removes is big enough
 * for the saving to show: at least half of L2 (min_bytes), and the
 * depthwise output has at least FUSE_MIN_ROWS rows to share. The scaled
 * project joins at any size: it has no halo and replaces a whole Mul pass
 * (read and write H*W*E floats, one more op) by E*M weight products, which
 * only needs H*W >= 4*M. Pooling joins whenever it can (it only adds sums
 * of rows that are in cache). */
#include <stdlib.h>
#include <string.h>

#include "core/cpu_features.h"
#include "core/status.h"
#include "ops/op.h"
#include "passes.h"

/* Smallest intermediate worth fusing when the L2 size is unknown; else
 * half of L2 (docs/fusion.md: an intermediate that fits L2 comes back from
 * L2 anyway, and fusing it gains nothing measurable while the halo rows
 * cost threads). */
#define FUSE_MIN_BYTES_DEFAULT (1024 * 1024)
/* Fewest depthwise output rows for which expand/project stages fuse: the
 * rows are split over the threads, and each thread re-expands the halo
 * rows above its first one; with 2 threads, 14 and 7-row outputs lost 4 to
 * 13% per block that way (docs/fusion.md), 28 rows and more did not. */
#define FUSE_MIN_ROWS 28
/* The depthwise row kernels take at most this many window rows
 * (ER_DW_ROWS_MAX in cpu/conv/dwconv.h). */
#define FUSE_MAX_KH 16

static bool is_conv(const er_node *n) {
    return n && n->op_type && strcmp(n->domain, "edgerun") == 0 &&
           strcmp(n->op_type, "ConvNhwc") == 0;
}

static bool has_residual(const er_node *n) { return n->n_in > 3 && n->in[3] >= 0; }

/* The constant rank-4 weights of conv n, or NULL. */
static const er_value *weights(const er_graph *g, const er_node *n) {
    if (n->n_in < 2 || !er_pass_is_const(g, n->in[1])) return NULL;
    const er_value *w = &g->values[n->in[1]];
    return w->rank == 4 && w->dtype == ER_F32 ? w : NULL;
}

/* Every entry of the ints attribute `name` equals v (an absent one counts). */
static bool ints_all(const er_node *n, const char *name, int64_t v) {
    const int64_t *a;
    int k = er_attr_ints(n, name, &a);
    for (int i = 0; i < k; i++)
        if (a[i] != v) return false;
    return true;
}

static bool input_4d(const er_graph *g, const er_node *n) {
    const er_value *x = &g->values[n->in[0]];
    return x->rank == 4 && x->dtype == ER_F32;
}

/* 1x1, stride 1, no padding, group 1 (any auto_pad gives no padding). */
static bool pointwise(const er_graph *g, const er_node *n) {
    if (!is_conv(n)) return false;
    const er_value *w = weights(g, n);
    return w && w->dims[2] == 1 && w->dims[3] == 1 && input_4d(g, n) &&
           er_attr_int(n, "group", 1) == 1 && ints_all(n, "strides", 1) && ints_all(n, "pads", 0);
}

static bool depthwise(const er_graph *g, const er_node *n) {
    if (!is_conv(n)) return false;
    const er_value *w = weights(g, n);
    if (!w || !input_4d(g, n) || has_residual(n)) return false;
    int64_t C = g->values[n->in[0]].dims[3];
    /* a 1x1 "depthwise" conv is a per-channel scale, not a block's middle */
    return w->dims[0] == C && w->dims[1] == 1 && er_attr_int(n, "group", 1) == C &&
           w->dims[2] <= FUSE_MAX_KH && w->dims[2] * w->dims[3] > 1 &&
           ints_all(n, "dilations", 1);
}

static size_t value_bytes(const er_graph *g, int v) {
    const er_value *x = &g->values[v];
    return er_shape_count(x->rank, x->dims) * sizeof(float);
}

/* Copies the activation attributes of stage node s as <prefix>_act... */
static er_status copy_act(er_graph *g, er_node *dst, const er_node *s, const char *prefix) {
    static const char *const keys[] = {"act", "act_alpha", "act_beta", "act_min", "act_max"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const er_attr *a = er_attr_find(s, keys[i]);
        if (!a) continue;
        char name[32];
        strcpy(name, prefix);
        strcat(name, "_");
        strcat(name, keys[i]);
        if (i == 0 && a->type == ER_ATTR_STRING)
            ER_TRY(er_node_set_attr_str(g, dst, name, a->s));
        else if (i > 0 && a->type == ER_ATTR_FLOAT)
            ER_TRY(er_node_set_attr_float(g, dst, name, a->f));
    }
    return ER_OK;
}

/* Turns node n into a ConvBlockNhwc with inputs `in` (IN_COUNT of
 * conv_block_nhwc.c) and attributes `attr`. */
static er_status become_block(er_graph *g, er_node *n, int *in, er_attr *attr, int n_attr) {
    n->op_type = "ConvBlockNhwc";
    n->domain = "edgerun";
    n->op = er_op_find(n->op_type, n->domain);
    if (!n->op) return er_fail(ER_ERR_INTERNAL, "no op edgerun::ConvBlockNhwc");
    n->in = in;
    n->n_in = 9;
    n->attr = attr;
    n->n_attr = n_attr;
    return ER_OK;
}

static int *block_inputs(er_graph *g) {
    int *in = er_pool_array(g->pool, 9, sizeof(int));
    if (in)
        for (int i = 0; i < 9; i++) in[i] = -1;
    return in;
}

/* Rewrites `last` (the project conv, or the depthwise one without a project
 * stage) into the fused node; e and p may be NULL. */
static er_status fuse(er_graph *g, er_node *e, er_node *d, er_node *p) {
    er_node *last = p ? p : d;
    /* read everything from the stage nodes before `last` changes */
    er_node de = e ? *e : (er_node){0}, dd = *d, dp = p ? *p : (er_node){0};
    int *in = block_inputs(g);
    if (!in) return er_fail(ER_ERR_NOMEM, "out of memory");
    in[0] = e ? de.in[0] : dd.in[0];
    in[1] = e ? de.in[1] : -1;
    in[2] = e && de.n_in > 2 ? de.in[2] : -1;
    in[3] = dd.in[1];
    in[4] = dd.n_in > 2 ? dd.in[2] : -1;
    in[5] = p ? dp.in[1] : -1;
    in[6] = p && dp.n_in > 2 ? dp.in[2] : -1;
    in[7] = p && has_residual(&dp) ? dp.in[3] : -1;
    /* the depthwise window attributes, as the ONNX Conv reads them */
    static const char *const window[] = {"kernel_shape", "strides", "pads", "dilations",
                                         "auto_pad"};
    er_attr *attr = er_pool_array(g->pool, sizeof window / sizeof window[0], sizeof(er_attr));
    if (!attr) return er_fail(ER_ERR_NOMEM, "out of memory");
    int n_attr = 0;
    for (size_t i = 0; i < sizeof window / sizeof window[0]; i++) {
        const er_attr *a = er_attr_find(&dd, window[i]);
        if (a) attr[n_attr++] = *a;
    }
    ER_TRY(become_block(g, last, in, attr, n_attr));
    if (e) ER_TRY(copy_act(g, last, &de, "expand"));
    ER_TRY(copy_act(g, last, &dd, "dw"));
    if (p) ER_TRY(copy_act(g, last, &dp, "project"));
    if (e) e->op_type = NULL;
    if (p) d->op_type = NULL;
    return ER_OK;
}

static bool is_node(const er_node *n, const char *domain, const char *op) {
    return n && n->op_type && strcmp(n->domain, domain) == 0 && strcmp(n->op_type, op) == 0;
}

/* GlobalAveragePoolNhwc `pool` of a depthwise output: the block (or the
 * depthwise conv, made a one-stage block) computes the means as its second
 * output. */
static er_status fuse_pool(er_graph *g, er_node *pool) {
    if (pool->n_in != 1 || pool->n_out != 1 || pool->out[0] < 0) return ER_OK;
    er_node *x = er_pass_producer(g, pool->in[0]);
    bool block = is_node(x, "edgerun", "ConvBlockNhwc") && x->n_in > 5 && x->in[3] >= 0 &&
                 x->in[5] < 0 && x->n_out == 1;
    if (!block) {
        if (!depthwise(g, x)) return ER_OK;
        ER_TRY(fuse(g, NULL, x, NULL));
    }
    int *out = er_pool_array(g->pool, 2, sizeof(int));
    if (!out) return er_fail(ER_ERR_NOMEM, "out of memory");
    out[0] = x->out[0];
    out[1] = pool->out[0];
    x->out = out;
    x->n_out = 2;
    pool->op_type = NULL;
    return ER_OK;
}

/* ConvNhwc 1x1 `p` reading Mul(d, s) with s [N,1,1,E] per image and channel:
 * p becomes the scaled-project block reading d and s. */
static er_status fuse_scale(er_graph *g, er_node *p, size_t threshold) {
    if (!pointwise(g, p)) return ER_OK;
    int m = p->in[0];
    er_node *mul = er_pass_producer(g, m);
    (void)threshold;
    if (!is_node(mul, "", "Mul") || mul->n_in != 2 || er_pass_sole_consumer(g, m) != p)
        return ER_OK;
    const er_value *mv = &g->values[m];
    /* the weights are scaled per image (E*M products) instead of the input
     * (H*W*E): worth it only when that is much less work */
    if (4 * weights(g, p)->dims[0] > mv->dims[1] * mv->dims[2]) return ER_OK;
    for (int k = 0; k < 2; k++) {
        int d = mul->in[k], s = mul->in[1 - k];
        if (d < 0 || s < 0 || d == s) continue;
        const er_value *dv = &g->values[d], *sv = &g->values[s];
        int64_t want[4] = {mv->dims[0], 1, 1, mv->dims[3]};
        if (dv->dtype != ER_F32 || sv->dtype != ER_F32 ||
            !er_shape_equal(dv->rank, dv->dims, mv->rank, mv->dims) ||
            !er_shape_equal(sv->rank, sv->dims, 4, want))
            continue;
        er_node dp = *p;
        int *in = block_inputs(g);
        if (!in) return er_fail(ER_ERR_NOMEM, "out of memory");
        in[0] = d;
        in[5] = dp.in[1];
        in[6] = dp.n_in > 2 ? dp.in[2] : -1;
        in[7] = has_residual(&dp) ? dp.in[3] : -1;
        in[8] = s;
        ER_TRY(become_block(g, p, in, NULL, 0));
        ER_TRY(copy_act(g, p, &dp, "project"));
        mul->op_type = NULL;
        return ER_OK;
    }
    return ER_OK;
}

/* EDGERUN_FUSE_MIN_BYTES and EDGERUN_FUSE_MIN_ROWS override the
 * thresholds (tests set 0 so that tiny blocks fuse; also for measuring,
 * docs/fusion.md). */
static int64_t env_or(const char *name, int64_t dflt) {
    const char *s = getenv(name);
    return s && *s ? (int64_t)strtoll(s, NULL, 0) : dflt;
}

static size_t min_bytes(void) {
    int l2 = er_cpu()->l2_bytes;
    int64_t v = env_or("EDGERUN_FUSE_MIN_BYTES", l2 > 0 ? l2 / 2 : FUSE_MIN_BYTES_DEFAULT);
    return v > 0 ? (size_t)v : 0;
}

er_status er_pass_fuse_blocks(er_graph *g) {
    const size_t threshold = min_bytes();
    const int64_t min_rows = env_or("EDGERUN_FUSE_MIN_ROWS", FUSE_MIN_ROWS);
    for (int i = 0; i < g->n_nodes; i++) {
        er_node *d = &g->nodes[i];
        if (!depthwise(g, d) || g->values[d->out[0]].dims[1] < min_rows) continue;
        er_node *e = er_pass_producer(g, d->in[0]);
        if (!pointwise(g, e) || has_residual(e) || er_pass_sole_consumer(g, e->out[0]) != d ||
            value_bytes(g, e->out[0]) < threshold)
            e = NULL;
        er_node *p = er_pass_sole_consumer(g, d->out[0]);
        if (!pointwise(g, p) || p->in[0] != d->out[0] || value_bytes(g, d->out[0]) < threshold)
            p = NULL;
        if (!e && !p) continue;
        ER_TRY(fuse(g, e, d, p));
    }
    for (int i = 0; i < g->n_nodes; i++) {
        er_node *n = &g->nodes[i];
        if (is_node(n, "edgerun", "GlobalAveragePoolNhwc")) ER_TRY(fuse_pool(g, n));
        else if (is_conv(n)) ER_TRY(fuse_scale(g, n, threshold));
    }
    return ER_OK;
}
