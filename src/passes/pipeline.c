/* pipeline.c - the order passes run in, and helpers they share. */
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
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
    {"fuse_pad", er_pass_fuse_pad},
    {"fuse_gemm", er_pass_fuse_gemm},
    {"fuse_activation", er_pass_fuse_activation},
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
