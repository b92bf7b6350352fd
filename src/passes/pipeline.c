/* pipeline.c - the order passes run in, and helpers they share. */
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "core/tensor.h"
#include "fold_qdq.h"
#include "passes.h"

typedef struct {
    const char *name;
    er_status (*run)(er_graph *g);
} pass_entry;

/* Order matters: identities go first so patterns are adjacent; QDQ
 * patterns fold into int8 ops before anything rewrites their float ops;
 * batchnorm folding needs the Conv -> BN pair; dead nodes last. */
static const pass_entry k_passes[] = {
    {"eliminate_identity", er_pass_eliminate_identity},
    {"fold_qdq", er_pass_fold_qdq},
    {"fuse_batchnorm", er_pass_fuse_batchnorm},
    {"layout_nhwc", er_pass_layout_nhwc},
    {"drop_noop_views", er_pass_drop_noop_views},
    {"fuse_pad", er_pass_fuse_pad},
    {"qretype_u8", er_pass_qretype_u8},
    {"fuse_qresidual", er_pass_fuse_qresidual},
    {"fuse_gemm", er_pass_fuse_gemm},
    {"fuse_activation", er_pass_fuse_activation},
    {"fuse_blocks", er_pass_fuse_blocks},
    {"cancel_reshapes", er_pass_cancel_reshapes},
    {"dead_nodes", er_pass_dead_nodes},
};

static bool disabled(const char *name) {
    const char *env = getenv("EDGERUN_DISABLE_PASSES");
    if (!env) return false;
    size_t n = strlen(name);
    for (const char *p = env; (p = strstr(p, name)); p += n)
        if ((p == env || p[-1] == ',') && (p[n] == '\0' || p[n] == ',')) return true;
    return strcmp(env, "all") == 0;
}

/* Constant nodes (ONNX Constant with a tensor, float(s) or int(s) value)
 * become constant values, so passes that run before constant folding see
 * them as constants (e.g. the bounds of a Clip after a quantized Conv). */
static er_status promote_constants(er_graph *g) {
    for (int i = 0; i < g->n_nodes; i++) {
        er_node *n = &g->nodes[i];
        if (!n->op_type || n->domain[0] || strcmp(n->op_type, "Constant") != 0 || n->n_out != 1 ||
            n->out[0] < 0 || n->n_attr != 1 || g->values[n->out[0]].is_output)
            continue;
        const er_attr *a = &n->attr[0];
        er_dtype dt;
        int rank = 0;
        int64_t dims[ER_MAX_RANK] = {0};
        const void *src;
        size_t count = 0, bytes = 0;
        if (strcmp(a->name, "value") == 0 && a->type == ER_ATTR_TENSOR && a->t &&
            er_dtype_supported(a->t->dtype) && a->t->data && a->t->rank <= ER_MAX_RANK &&
            er_shape_count_checked(a->t->rank, a->t->dims, a->t->dtype, &count, &bytes) &&
            bytes > 0) {
            dt = a->t->dtype;
            rank = a->t->rank;
            memcpy(dims, a->t->dims, sizeof(int64_t) * (size_t)rank);
            src = a->t->data;
        } else if (strcmp(a->name, "value_float") == 0 && a->type == ER_ATTR_FLOAT) {
            dt = ER_F32;
            src = &a->f;
        } else if (strcmp(a->name, "value_int") == 0 && a->type == ER_ATTR_INT) {
            dt = ER_I64;
            src = &a->i;
        } else {
            continue;
        }
        int v = n->out[0];
        void *dst;
        ER_TRY(er_graph_set_const(g, v, dt, rank, dims, &dst));
        memcpy(dst, src, er_shape_count(rank, dims) * er_dtype_size(dt));
        (void)count;
        g->values[v].producer = -1;
        n->op_type = NULL;
    }
    return ER_OK;
}

/* Passes that must see the graph as imported, before constant folding:
 * QDQ folding needs the DequantizeLinear of constant int8 weights, which
 * constant folding would turn into float constants. */
static const pass_entry k_pre_fold_passes[] = {
    {"promote_constants", promote_constants},
    {"fold_qdq", er_pass_fold_qdq},
};

er_status er_optimize_pre_fold(er_graph *g, const er_options *opts) {
    (void)opts;
    for (size_t i = 0; i < sizeof k_pre_fold_passes / sizeof k_pre_fold_passes[0]; i++) {
        if (disabled(k_pre_fold_passes[i].name)) continue;
        er_status st = k_pre_fold_passes[i].run(g);
        if (st != ER_OK) {
            if (st != ER_ERR_NOMEM) er_error_prefix("pass %s: ", k_pre_fold_passes[i].name);
            return st;
        }
        er_graph_compact(g);
    }
    return ER_OK;
}

er_status er_optimize(er_graph *g, const er_options *opts) {
    (void)opts;
    for (size_t i = 0; i < sizeof k_passes / sizeof k_passes[0]; i++) {
        if (disabled(k_passes[i].name)) continue;
        er_status st = k_passes[i].run(g);
        if (st != ER_OK) {
            if (st != ER_ERR_NOMEM) er_error_prefix("pass %s: ", k_passes[i].name);
            return st;
        }
        er_graph_compact(g);
    }
    return ER_OK;
}

er_node *er_pass_producer(er_graph *g, int v) {
    if (v < 0) return NULL;
    int p = g->values[v].producer;
    return p >= 0 && g->nodes[p].op_type ? &g->nodes[p] : NULL;
}

er_node *er_pass_sole_consumer(er_graph *g, int v) {
    if (v < 0 || g->values[v].is_output) return NULL;
    er_node *found = NULL;
    for (int i = 0; i < g->n_nodes; i++) {
        er_node *n = &g->nodes[i];
        if (!n->op_type) continue;
        for (int k = 0; k < n->n_in; k++)
            if (n->in[k] == v) {
                if (found && found != n) return NULL;
                if (found == n) return NULL; /* read twice by one node */
                found = n;
            }
    }
    return found;
}
