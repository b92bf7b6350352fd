/* session.c - planning and executing a graph.
 *
 * Planning walks the nodes in topological order once:
 *   1. shape(): infer every output's dtype and shape (errors name the node);
 *   2. a node whose inputs are all known values (initializers or earlier
 *      folded nodes) is evaluated right away with its reference kernel: this
 *      is constant folding, and it also resolves shape subgraphs
 *      (Shape -> Gather -> Concat -> Reshape) so Reshape knows its target;
 *   3. every other node becomes a step; its outputs get arena offsets from
 *      memplan (lifetimes in steps), prepare() runs once.
 * Run is then: point graph inputs at the caller's buffers, call each step's
 * kernel. No allocation.
 *
 * A graph whose shapes depend on run-time values (an op's shape() asks for
 * the value of a non-constant input) makes the session *dynamic*: each run
 * repeats the walk with the real inputs, so every node is evaluated as it is
 * reached and intermediate buffers are allocated and freed at last use.
 * Correct for any graph, slower; `edgerun info` reports it. */
#include "session.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/checked_math.h"
#include "core/cpu_features.h"
#include "core/status.h"
#include "core/threadpool.h"
#include "passes/passes.h"
#include "plan/memplan.h"

enum { V_UNKNOWN = 0, V_CONST, V_FOLDED, V_INPUT, V_ARENA, V_ALIAS };

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static er_status node_fail_prefix(const er_session *s, const er_node *n, er_status st) {
    if (st != ER_ERR_NOMEM)
        er_error_prefix("%s: node '%s' (%s): ", s->model->path, n->name, n->op_type);
    return st;
}

/* Frees everything a plan made (keeps bindings and options). */
static void plan_reset(er_session *s) {
    for (int i = 0; i < s->n_steps; i++) {
        er_step *st = &s->steps[i];
        const er_node *n = &s->g->nodes[st->node];
        if (st->ctx.state && n->op->release) n->op->release(st->ctx.state);
    }
    s->n_steps = 0;
    for (int v = 0; v < s->g->n_values; v++) {
        if (s->kind[v] == V_FOLDED && s->t[v].data && (s->t[v].flags & ER_TENSOR_OWNS_DATA))
            er_aligned_free(s->t[v].data);
        memset(&s->t[v], 0, sizeof s->t[v]);
        s->kind[v] = V_UNKNOWN;
        if (s->alias_of) s->alias_of[v] = 0;
    }
    er_aligned_free(s->arena);
    s->arena = NULL;
    s->arena_bytes = 0;
    s->naive_bytes = 0;
    s->dynamic = false;
    s->planned = false;
}

static er_status alloc_value(er_session *s, int v) {
    er_tensor *t = &s->t[v];
    size_t bytes;
    if (!er_shape_count_checked(t->rank, t->dims, t->dtype, NULL, &bytes))
        return er_fail(ER_ERR_SHAPE, "'%s' would be too large", s->g->values[v].name);
    size_t alloc;
    if (!er_add_size(&alloc, bytes, ER_SIMD_PAD))
        return er_fail(ER_ERR_NOMEM, "'%s' would be too large", s->g->values[v].name);
    t->data = er_aligned_alloc(alloc);
    if (!t->data)
        return er_fail(ER_ERR_NOMEM, "cannot allocate %zu bytes for '%s'", bytes,
                       s->g->values[v].name);
    memset(t->data, 0, alloc);
    t->capacity_bytes = bytes;
    t->flags = ER_TENSOR_OWNS_DATA;
    s->kind[v] = V_FOLDED;
    return ER_OK;
}

static void build_ctx(er_session *s, const er_node *n, er_op_ctx *c, er_tensor **io) {
    memset(c, 0, sizeof *c);
    c->node = n;
    c->opset = n->opset;
    c->n_in = n->n_in;
    c->n_out = n->n_out;
    for (int k = 0; k < n->n_in; k++) io[k] = n->in[k] >= 0 ? &s->t[n->in[k]] : NULL;
    for (int k = 0; k < n->n_out; k++) io[n->n_in + k] = n->out[k] >= 0 ? &s->t[n->out[k]] : NULL;
    c->in = io;
    c->out = io + n->n_in;
    c->pool = s->pool;
    c->isa = (int)er_isa_effective(s->opts.force_isa);
    /* the model's pre-packed weights; value indices of the session's graph
     * are the model's (er_graph_clone keeps them, passes only append) */
    c->packed = s->model->graph->packed;
    c->n_packed = s->model->graph->n_packed;
}

/* Validates what shape() produced. */
static er_status check_outputs(er_session *s, const er_node *n) {
    for (int k = 0; k < n->n_out; k++) {
        if (n->out[k] < 0) continue;
        const er_tensor *t = &s->t[n->out[k]];
        if (!er_dtype_supported(t->dtype))
            return er_fail(ER_ERR_INTERNAL, "output %d has no dtype after shape inference", k);
        if (!er_shape_count_checked(t->rank, t->dims, t->dtype, NULL, NULL)) {
            char sb[ER_SHAPE_STR_MAX];
            return er_fail(ER_ERR_SHAPE, "output %d shape %s is negative or too large", k,
                           er_shape_str(sb, sizeof sb, t->rank, t->dims));
        }
    }
    return ER_OK;
}

/* A node whose outputs are all empty has nothing to compute. Skipping it
 * also keeps kernels from looping over the other dims of an empty tensor,
 * which may be huge: fuzz_erm_load found pooling and softmax spinning for
 * minutes on shapes like [1, 5497558138881, 0, 5]. */
static bool outputs_empty(const er_op_ctx *c) {
    for (int k = 0; k < c->n_out; k++)
        if (c->out[k] && er_tensor_numel(c->out[k]) != 0) return false;
    return true;
}

static er_status run_node_now(er_session *s, const er_node *n, er_op_ctx *c) {
    for (int k = 0; k < n->n_out; k++)
        if (n->out[k] >= 0) ER_TRY(alloc_value(s, n->out[k]));
    er_status st = ER_OK;
    void *scratch = NULL;
    if (n->op->prepare) st = n->op->prepare(c);
    if (st == ER_OK && c->scratch_bytes) {
        scratch = er_aligned_alloc(c->scratch_bytes + ER_SIMD_PAD);
        if (!scratch) st = er_fail(ER_ERR_NOMEM, "cannot allocate %zu scratch bytes",
                                   c->scratch_bytes);
        c->scratch = scratch;
    }
    if (st == ER_OK && !outputs_empty(c)) st = c->kernel ? c->kernel(c) : n->op->run(c);
    if (c->state && n->op->release) n->op->release(c->state);
    c->state = NULL;
    er_aligned_free(scratch);
    return st;
}

/* Binds graph inputs: shapes from s->in_rank/in_dims; data when given. */
static void bind_inputs(er_session *s, const er_tensor *const *data) {
    for (int i = 0; i < s->g->n_inputs; i++) {
        int v = s->g->inputs[i];
        er_tensor *t = &s->t[v];
        er_tensor_set_shape(t, s->in_dtype[i], s->in_rank[i], s->in_dims[i]);
        t->data = data ? data[i]->data : NULL;
        t->capacity_bytes = data ? er_tensor_nbytes(t) : 0;
        t->flags = 0;
        s->kind[v] = V_INPUT;
    }
}

static void bind_constants(er_session *s) {
    for (int v = 0; v < s->g->n_values; v++) {
        const er_value *val = &s->g->values[v];
        if (!val->data) continue;
        er_tensor_set_shape(&s->t[v], val->dtype, val->rank, val->dims);
        s->t[v].data = (void *)val->data;
        s->t[v].capacity_bytes = val->data_bytes;
        s->kind[v] = V_CONST;
    }
}

static bool value_known(const er_session *s, int v) {
    return s->kind[v] == V_CONST || s->kind[v] == V_FOLDED ||
           (s->kind[v] == V_INPUT && s->t[v].data);
}

/* The walk shared by planning and dynamic runs. With input data bound, every
 * node is evaluated (dynamic run); otherwise constant nodes are folded and
 * the rest become steps. Sets s->dynamic when a shape needs a run-time value. */
static er_status walk(er_session *s, bool evaluate_all) {
    const er_graph *g = s->g;
    for (int i = 0; i < g->n_nodes; i++) {
        const er_node *n = &g->nodes[i];
        if (!n->op)
            return er_fail(ER_ERR_UNSUPPORTED, "%s: node '%s': op '%s'%s%s%s is not supported",
                           s->model->path, n->name, n->op_type, n->domain[0] ? " (domain '" : "",
                           n->domain, n->domain[0] ? "')" : "");
        /* ops may rely on output 0 existing: every ONNX op has one */
        if (n->n_out < 1 || n->out[0] < 0)
            return node_fail_prefix(s, n, er_fail(ER_ERR_INVALID_MODEL, "has no output 0"));
        er_tensor **ptrs = s->io + s->io_off[i];
        er_op_ctx c;
        build_ctx(s, n, &c, ptrs);
        /* shape-only ops (Shape, Size) fold as soon as shapes are known,
         * which keeps Shape->Gather->Concat->Reshape chains static */
        bool all_known = true;
        if (!(n->op->flags & ER_OP_SHAPE_ONLY))
            for (int k = 0; k < n->n_in; k++)
                if (n->in[k] >= 0 && !value_known(s, n->in[k])) all_known = false;
        er_status st = n->op->shape(&c);
        if (st == ER_PENDING) {
            if (evaluate_all)
                return node_fail_prefix(s, n, er_fail(ER_ERR_INTERNAL, "shape still pending with "
                                                      "all inputs known"));
            s->dynamic = true;
            return ER_OK;
        }
        if (st != ER_OK) return node_fail_prefix(s, n, st);
        if ((st = check_outputs(s, n)) != ER_OK) return node_fail_prefix(s, n, st);
        bool fold = all_known && (evaluate_all || !(n->op->flags & ER_OP_NO_FOLD));
        if (fold) {
            if ((st = run_node_now(s, n, &c)) != ER_OK) return node_fail_prefix(s, n, st);
            if (evaluate_all) {
                /* free values whose last reader was this node */
                for (int k = 0; k < n->n_in; k++) {
                    int v = n->in[k];
                    if (v >= 0 && s->last_use[v] == i && s->kind[v] == V_FOLDED &&
                        !g->values[v].is_output) {
                        er_aligned_free(s->t[v].data);
                        s->t[v].data = NULL;
                        s->t[v].flags = 0;
                        s->kind[v] = V_UNKNOWN;
                    }
                }
            }
            continue;
        }
        if ((n->op->flags & ER_OP_ALIAS) && !evaluate_all) {
            /* shares its input's buffer: no step, no arena slot */
            int src = n->in[0];
            int root = s->alias_of[src] ? s->alias_of[src] - 1 : src;
            s->alias_of[n->out[0]] = root + 1;
            s->kind[n->out[0]] = V_ALIAS;
            continue;
        }
        er_step *sp = &s->steps[s->n_steps++];
        sp->node = i;
        sp->ctx = c;
        for (int k = 0; k < n->n_out; k++)
            if (n->out[k] >= 0) s->kind[n->out[k]] = V_ARENA;
    }
    return ER_OK;
}

/* Points every alias at its root's buffer (after planning and whenever the
 * graph inputs are rebound). */
static void resolve_aliases(er_session *s) {
    for (int v = 0; v < s->g->n_values; v++)
        if (s->kind[v] == V_ALIAS) {
            const er_tensor *r = &s->t[s->alias_of[v] - 1];
            s->t[v].data = r->data;
            s->t[v].capacity_bytes = r->capacity_bytes;
            s->t[v].flags = 0;
        }
}

static er_status plan_arena(er_session *s) {
    const er_graph *g = s->g;
    int n_req = 0;
    for (int v = 0; v < g->n_values; v++)
        if (s->kind[v] == V_ARENA) n_req++;
    for (int i = 0; i < s->n_steps; i++)
        if (s->steps[i].ctx.scratch_bytes) n_req++;
    er_buf_req *req = er_calloc((size_t)(n_req ? n_req : 1), sizeof *req);
    int *req_of = er_malloc(sizeof(int) * (size_t)(g->n_values ? g->n_values : 1));
    int *step_of_node = er_malloc(sizeof(int) * (size_t)(g->n_nodes ? g->n_nodes : 1));
    if (!req || !req_of || !step_of_node) {
        er_free(req);
        er_free(req_of);
        er_free(step_of_node);
        return er_fail(ER_ERR_NOMEM, "out of memory planning the arena");
    }
    for (int i = 0; i < g->n_nodes; i++) step_of_node[i] = -1;
    for (int i = 0; i < s->n_steps; i++) step_of_node[s->steps[i].node] = i;
    int r = 0;
    size_t naive = 0;
    for (int v = 0; v < g->n_values; v++) {
        req_of[v] = -1;
        if (s->kind[v] != V_ARENA) continue;
        req_of[v] = r;
        req[r].size = er_tensor_nbytes(&s->t[v]);
        naive += req[r].size;
        req[r].first = step_of_node[g->values[v].producer];
        req[r].last = g->values[v].is_output ? s->n_steps : req[r].first;
        r++;
    }
    for (int i = 0; i < s->n_steps; i++) {
        const er_node *n = &g->nodes[s->steps[i].node];
        for (int k = 0; k < n->n_in; k++) {
            int v = n->in[k];
            if (v < 0) continue;
            if (s->kind[v] == V_ALIAS) v = s->alias_of[v] - 1; /* reading an alias reads its root */
            if (req_of[v] >= 0 && req[req_of[v]].last < i) req[req_of[v]].last = i;
        }
    }
    for (int v = 0; v < g->n_values; v++) /* an aliased graph output keeps its root alive */
        if (s->kind[v] == V_ALIAS && g->values[v].is_output && req_of[s->alias_of[v] - 1] >= 0)
            req[req_of[s->alias_of[v] - 1]].last = s->n_steps;
    int *scratch_req = er_malloc(sizeof(int) * (size_t)(s->n_steps ? s->n_steps : 1));
    if (!scratch_req) {
        er_free(req);
        er_free(req_of);
        er_free(step_of_node);
        return er_fail(ER_ERR_NOMEM, "out of memory planning the arena");
    }
    for (int i = 0; i < s->n_steps; i++) {
        scratch_req[i] = -1;
        if (!s->steps[i].ctx.scratch_bytes) continue;
        scratch_req[i] = r;
        req[r].size = s->steps[i].ctx.scratch_bytes;
        req[r].first = req[r].last = i;
        r++;
    }
    size_t total;
    er_status st = er_memplan(req, r, &total);
    if (st == ER_OK) {
        s->arena = er_aligned_alloc(total ? total : ER_ALIGN);
        if (!s->arena) st = er_fail(ER_ERR_NOMEM, "cannot allocate the %zu-byte arena", total);
    }
    if (st == ER_OK) {
        memset(s->arena, 0, total ? total : ER_ALIGN);
        s->arena_bytes = total;
        s->naive_bytes = naive;
        for (int v = 0; v < g->n_values; v++) {
            if (req_of[v] < 0) continue;
            s->t[v].data = (char *)s->arena + req[req_of[v]].offset;
            s->t[v].capacity_bytes = req[req_of[v]].size;
            s->t[v].flags = 0;
        }
        for (int i = 0; i < s->n_steps; i++)
            if (scratch_req[i] >= 0)
                s->steps[i].ctx.scratch = (char *)s->arena + req[scratch_req[i]].offset;
        resolve_aliases(s);
    }
    er_free(scratch_req);
    er_free(req);
    er_free(req_of);
    er_free(step_of_node);
    return st;
}

/* Every step that reads constant v has packed its own copy (er_op_ctx
 * consumed): the session's own buffer is freed, and the pages of a view into
 * the model file go back to the OS. Heap copies the model owns stay (other
 * sessions may be created from it). A re-plan rebuilds the graph from the
 * model, so nothing released here is needed again. */
static void release_constant(er_session *s, int v) {
    er_tensor *t = &s->t[v];
    if (!t->data) return;
    for (int u = 0; u < s->g->n_values; u++)
        if (u != v && s->t[u].data == t->data) return; /* shared buffer: keep it */
    if (s->own_graph && er_graph_release_owned(s->own_graph, t->data)) {
        s->own_graph->values[v].data = NULL;
        s->own_graph->values[v].data_bytes = 0;
        t->data = NULL;
        t->capacity_bytes = 0;
        return;
    }
    er_graph_release_view(s->model->graph, t->data, er_tensor_nbytes(t));
}

static er_status plan(er_session *s) {
    plan_reset(s);
    bind_constants(s);
    bind_inputs(s, NULL);
    ER_TRY(walk(s, false));
    if (s->dynamic) {
        /* drop the partial plan; runs will evaluate the whole graph */
        plan_reset(s);
        s->dynamic = true;
        s->planned = true;
        return ER_OK;
    }
    /* readers[v]: steps still to prepare that read constant v; -1 once a
     * step keeps reading it while running (or it is a graph output) */
    int *readers = er_calloc((size_t)(s->g->n_values ? s->g->n_values : 1), sizeof(int));
    if (!readers) return er_fail(ER_ERR_NOMEM, "out of memory planning the session");
    for (int i = 0; i < s->g->n_outputs; i++) readers[s->g->outputs[i]] = -1;
    for (int i = 0; i < s->n_steps; i++) {
        const er_node *n = &s->g->nodes[s->steps[i].node];
        for (int k = 0; k < n->n_in; k++)
            if (n->in[k] >= 0 && s->kind[n->in[k]] == V_CONST && readers[n->in[k]] >= 0)
                readers[n->in[k]]++;
    }
    for (int i = 0; i < s->n_steps; i++) {
        er_step *sp = &s->steps[i];
        const er_node *n = &s->g->nodes[sp->node];
        if (n->op->prepare) {
            sp->ctx.consumed = 0;
            er_status st = n->op->prepare(&sp->ctx);
            if (st != ER_OK) {
                er_free(readers);
                return node_fail_prefix(s, n, st);
            }
        }
        for (int k = 0; k < n->n_in; k++) {
            int v = n->in[k];
            if (v < 0 || s->kind[v] != V_CONST || readers[v] < 0) continue;
            if (!n->op->prepare || k >= 32 || !(sp->ctx.consumed & (1u << k))) readers[v] = -1;
            else if (--readers[v] == 0) release_constant(s, v);
        }
    }
    er_free(readers);
    ER_TRY(plan_arena(s));
    s->planned = true;
    return ER_OK;
}

/* Per-graph arrays (sized by the graph the session runs). */
static void free_graph_state(er_session *s) {
    if (s->t && s->kind) plan_reset(s);
    er_free(s->t);
    er_free(s->kind);
    er_free(s->steps);
    er_free(s->io);
    er_free(s->io_off);
    er_free(s->last_use);
    er_free(s->alias_of);
    s->t = NULL;
    s->kind = NULL;
    s->steps = NULL;
    s->io = NULL;
    s->io_off = NULL;
    s->last_use = NULL;
    s->alias_of = NULL;
    er_graph_free(s->own_graph);
    s->own_graph = NULL;
    s->g = s->model->graph;
}

static er_status alloc_graph_state(er_session *s) {
    const er_graph *g = s->g;
    size_t nv = (size_t)(g->n_values ? g->n_values : 1), nn = (size_t)(g->n_nodes ? g->n_nodes : 1);
    size_t n_io = 0;
    for (int i = 0; i < g->n_nodes; i++) n_io += (size_t)g->nodes[i].n_in + (size_t)g->nodes[i].n_out;
    s->t = er_calloc(nv, sizeof *s->t);
    s->kind = er_calloc(nv, 1);
    s->steps = er_calloc(nn, sizeof *s->steps);
    s->io = er_calloc(n_io ? n_io : 1, sizeof *s->io);
    s->io_off = er_calloc(nn, sizeof *s->io_off);
    s->last_use = er_calloc(nv, sizeof *s->last_use);
    s->alias_of = er_calloc(nv, sizeof *s->alias_of);
    if (!s->t || !s->kind || !s->steps || !s->io || !s->io_off || !s->last_use || !s->alias_of)
        return er_fail(ER_ERR_NOMEM, "out of memory creating a session");
    size_t off = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        s->io_off[i] = off;
        off += (size_t)g->nodes[i].n_in + (size_t)g->nodes[i].n_out;
    }
    for (int v = 0; v < g->n_values; v++) s->last_use[v] = -1;
    for (int i = 0; i < g->n_nodes; i++)
        for (int k = 0; k < g->nodes[i].n_in; k++)
            if (g->nodes[i].in[k] >= 0) s->last_use[g->nodes[i].in[k]] = i;
    return ER_OK;
}

/* Shape inference + constant folding on a private clone of the model graph,
 * then the optimization passes. Afterwards every value of the clone has its
 * concrete dtype and shape, folded values are constants owned by the clone
 * and the folded nodes are gone. A graph that needs run-time values for its
 * shapes (dynamic) is left unoptimized. */
static er_status build_graph(er_session *s) {
    free_graph_state(s);
    if (!s->opts.optimize) return alloc_graph_state(s);
    er_graph *g;
    ER_TRY(er_graph_clone(s->model->graph, &g));
    s->own_graph = g;
    s->g = g;
    ER_TRY(er_optimize_pre_fold(g, &s->opts));
    ER_TRY(alloc_graph_state(s));
    bind_constants(s);
    bind_inputs(s, NULL);
    ER_TRY(walk(s, false));
    if (s->dynamic) { /* run the model graph as it is */
        free_graph_state(s);
        s->dynamic = false;
        return alloc_graph_state(s);
    }
    /* materialize: shapes into the graph, folded values become constants */
    bool *stepped = er_calloc((size_t)(g->n_nodes ? g->n_nodes : 1), sizeof(bool));
    if (!stepped) return er_fail(ER_ERR_NOMEM, "out of memory optimizing the graph");
    for (int i = 0; i < s->n_steps; i++) stepped[s->steps[i].node] = true;
    for (int i = 0; i < g->n_nodes; i++) /* alias nodes are kept, not folded */
        if (g->nodes[i].n_out > 0 && g->nodes[i].out[0] >= 0 &&
            s->kind[g->nodes[i].out[0]] == V_ALIAS)
            stepped[i] = true;
    er_status st = ER_OK;
    for (int v = 0; v < g->n_values && st == ER_OK; v++) {
        er_value *val = &g->values[v];
        er_tensor *t = &s->t[v];
        if (s->kind[v] == V_UNKNOWN) continue;
        val->dtype = t->dtype;
        val->rank = t->rank;
        for (int k = 0; k < t->rank; k++) {
            val->dims[k] = t->dims[k];
            val->dim_param[k] = NULL;
        }
        if (s->kind[v] == V_FOLDED && (t->flags & ER_TENSOR_OWNS_DATA)) {
            st = er_graph_own(g, t->data); /* frees the buffer itself on failure */
            val->data = t->data;
            val->data_bytes = er_tensor_nbytes(t);
            val->producer = -1;
            t->flags &= ~ER_TENSOR_OWNS_DATA;
            if (st != ER_OK) t->data = NULL;
        }
    }
    for (int i = 0; i < g->n_nodes; i++)
        if (!stepped[i]) g->nodes[i].op_type = NULL; /* folded away */
    er_free(stepped);
    /* after a failed er_graph_own, later folded values still own their data */
    if (st != ER_OK) plan_reset(s);
    /* the plan state of this walk is discarded; the arrays are rebuilt below */
    er_free(s->t); er_free(s->kind); er_free(s->steps); er_free(s->io); er_free(s->io_off);
    er_free(s->last_use); er_free(s->alias_of);
    s->t = NULL; s->kind = NULL; s->steps = NULL; s->io = NULL; s->io_off = NULL;
    s->last_use = NULL; s->alias_of = NULL;
    s->n_steps = 0;
    ER_TRY(st);
    er_graph_compact(g);
    ER_TRY(er_optimize(g, &s->opts));
    return alloc_graph_state(s);
}

static er_status build_and_plan(er_session *s) {
    ER_TRY(build_graph(s));
    return plan(s);
}

/* ---- public API ----------------------------------------------------------- */

void er_options_init(er_options *o) {
    if (!o) return;
    memset(o, 0, sizeof *o);
    o->struct_size = sizeof *o;
    o->threads = 1;
    o->symbolic_dim_default = 1;
    o->optimize = 1;
}

void er_session_free(er_session *s) {
    if (!s) return;
    free_graph_state(s);
    er_threadpool_free(s->pool);
    er_free(s->in_dtype);
    er_free(s->in_rank);
    er_free(s->in_dims);
    er_free(s);
}

/* Every bound input shape is checked once here, so shape() functions may
 * multiply input dims without overflow (a tensor holds at most
 * ER_MAX_TENSOR_BYTES). Found by fuzz_erm_load: a declared input of
 * [2^59, 80, 5, 5] overflowed MaxPool's N*C. */
static er_status check_bound_size(const er_session *s, int i, const char *name) {
    if (er_shape_count_checked(s->in_rank[i], s->in_dims[i], s->in_dtype[i], NULL, NULL))
        return ER_OK;
    char sb[ER_SHAPE_STR_MAX];
    er_shape_str(sb, sizeof sb, s->in_rank[i], s->in_dims[i]);
    return er_fail(ER_ERR_SHAPE, "%s: input '%s' shape %s is negative or too large",
                   s->model->path, name, sb);
}

static er_status bind_declared_shapes(er_session *s, const er_options *o) {
    const er_graph *g = s->g;
    for (int i = 0; i < g->n_inputs; i++) {
        const er_value *v = &s->model->graph->values[g->inputs[i]]; /* as declared */
        if (!er_dtype_supported(v->dtype))
            return er_fail(ER_ERR_UNSUPPORTED, "%s: input '%s' has no supported dtype (%s)",
                           s->model->path, v->name, er_dtype_name(v->dtype));
        s->in_dtype[i] = v->dtype;
        if (o && i < o->n_input_shapes && o->input_ranks && o->input_dims &&
            o->input_ranks[i] >= 0) {
            int r = o->input_ranks[i];
            if (r > ER_MAX_RANK || (r > 0 && !o->input_dims[i]))
                return er_fail(ER_ERR_INVALID_ARG, "input '%s': bad shape in options", v->name);
            if (v->rank >= 0 && v->rank != r)
                return er_fail(ER_ERR_INVALID_ARG, "input '%s': options give rank %d, the model "
                               "declares rank %d", v->name, r, v->rank);
            for (int k = 0; k < r; k++) {
                int64_t d = o->input_dims[i][k];
                if (d < 0 || (v->rank >= 0 && v->dims[k] >= 0 && v->dims[k] != d))
                    return er_fail(ER_ERR_INVALID_ARG, "input '%s': options give dim %d = %lld, "
                                   "the model declares %lld", v->name, k, (long long)d,
                                   (long long)v->dims[k]);
                s->in_dims[i][k] = d;
            }
            s->in_rank[i] = r;
            ER_TRY(check_bound_size(s, i, v->name));
            continue;
        }
        if (v->rank < 0)
            return er_fail(ER_ERR_SHAPE, "%s: input '%s' has no declared shape; give one in "
                           "er_options", s->model->path, v->name);
        s->in_rank[i] = v->rank;
        for (int k = 0; k < v->rank; k++)
            s->in_dims[i][k] = v->dims[k] >= 0 ? v->dims[k]
                             : (o ? o->symbolic_dim_default : 1);
        ER_TRY(check_bound_size(s, i, v->name));
    }
    return ER_OK;
}

er_status er_session_create(const er_model *m, const er_options *opts, er_session **out) {
    if (!out) return er_fail(ER_ERR_INVALID_ARG, "er_session_create: out is NULL");
    *out = NULL;
    if (!m) return er_fail(ER_ERR_INVALID_ARG, "er_session_create: model is NULL");
    er_error_clear();
    er_options o;
    er_options_init(&o);
    if (opts) {
        if (opts->struct_size == 0 || opts->struct_size > sizeof o)
            return er_fail(ER_ERR_INVALID_ARG, "er_session_create: options.struct_size %zu is "
                           "not valid (call er_options_init)", opts->struct_size);
        memcpy(&o, opts, opts->struct_size);
    }
    if (o.symbolic_dim_default < 0)
        return er_fail(ER_ERR_INVALID_ARG, "symbolic_dim_default %lld is negative",
                       (long long)o.symbolic_dim_default);
    er_session *s = er_calloc(1, sizeof *s);
    if (!s) return er_fail(ER_ERR_NOMEM, "out of memory creating a session");
    s->model = m;
    s->g = m->graph;
    s->opts = o;
    size_t ni = (size_t)(m->graph->n_inputs ? m->graph->n_inputs : 1);
    s->in_dtype = er_calloc(ni, sizeof *s->in_dtype);
    s->in_rank = er_calloc(ni, sizeof *s->in_rank);
    s->in_dims = er_calloc(ni, sizeof *s->in_dims);
    er_status st = ER_OK;
    if (!s->in_dtype || !s->in_rank || !s->in_dims) {
        st = er_fail(ER_ERR_NOMEM, "out of memory creating a session");
        goto fail;
    }
    if (o.threads <= 0) o.threads = er_cpu_count();
    s->opts.threads = o.threads;
    if (o.threads > 1 && (st = er_threadpool_create(o.threads, &s->pool)) != ER_OK) goto fail;
    if ((st = bind_declared_shapes(s, &o)) != ER_OK) goto fail;
    if ((st = build_and_plan(s)) != ER_OK) goto fail;
    *out = s;
    return ER_OK;
fail:
    er_session_free(s);
    return st;
}

static er_status run_dynamic(er_session *s, const er_tensor *const *inputs) {
    plan_reset(s);
    s->dynamic = true;
    bind_constants(s);
    bind_inputs(s, inputs);
    er_status st = walk(s, true);
    s->dynamic = true;
    s->planned = true;
    return st;
}

er_status er_session_run(er_session *s, const er_tensor *const *inputs, er_tensor **outputs) {
    if (!s) return er_fail(ER_ERR_INVALID_ARG, "er_session_run: session is NULL");
    const er_graph *g = s->g;
    if (g->n_inputs && !inputs) return er_fail(ER_ERR_INVALID_ARG, "er_session_run: inputs is NULL");
    if (g->n_outputs && !outputs)
        return er_fail(ER_ERR_INVALID_ARG, "er_session_run: outputs is NULL");
    er_error_clear();
    bool replan = false;
    for (int i = 0; i < g->n_inputs; i++) {
        const er_tensor *x = inputs[i];
        const er_value *v = &s->model->graph->values[g->inputs[i]]; /* as declared */
        if (!x) return er_fail(ER_ERR_INVALID_ARG, "input %d ('%s') is NULL", i, v->name);
        if (x->dtype != s->in_dtype[i])
            return er_fail(ER_ERR_INVALID_ARG, "input '%s' has dtype %s, the model expects %s",
                           v->name, er_dtype_name(x->dtype), er_dtype_name(s->in_dtype[i]));
        if (!x->data && er_tensor_numel(x))
            return er_fail(ER_ERR_INVALID_ARG, "input '%s' has no data", v->name);
        if (er_shape_equal(x->rank, x->dims, s->in_rank[i], s->in_dims[i])) continue;
        /* a different shape is fine where the model leaves the dim open */
        bool ok = v->rank < 0 || v->rank == x->rank;
        for (int k = 0; ok && v->rank >= 0 && k < x->rank; k++)
            if (v->dims[k] >= 0 && v->dims[k] != x->dims[k]) ok = false;
        if (!ok) {
            char a[ER_SHAPE_STR_MAX], b[ER_SHAPE_STR_MAX];
            return er_fail(ER_ERR_INVALID_ARG, "input '%s' has shape %s, the model expects %s",
                           v->name, er_shape_str(a, sizeof a, x->rank, x->dims),
                           er_shape_str(b, sizeof b, v->rank, v->dims));
        }
        s->in_rank[i] = x->rank;
        for (int k = 0; k < x->rank; k++) s->in_dims[i][k] = x->dims[k];
        replan = true;
    }
    if (replan && !s->dynamic) {
        ER_TRY(build_and_plan(s));
        g = s->g; /* the previous plan's graph is gone */
    }
    if (s->dynamic) {
        ER_TRY(run_dynamic(s, inputs));
    } else {
        for (int i = 0; i < g->n_inputs; i++) {
            er_tensor *t = &s->t[g->inputs[i]];
            t->data = inputs[i]->data;
            t->capacity_bytes = er_tensor_nbytes(inputs[i]);
        }
        if (g->n_inputs) resolve_aliases(s);
        for (int i = 0; i < s->n_steps; i++) {
            er_step *sp = &s->steps[i];
            const er_node *n = &g->nodes[sp->node];
            if (outputs_empty(&sp->ctx)) continue;
            double t0 = s->profile ? now_ns() : 0;
            er_status st = sp->ctx.kernel ? sp->ctx.kernel(&sp->ctx) : n->op->run(&sp->ctx);
            if (s->profile) sp->total_ns += now_ns() - t0;
            if (st != ER_OK) return node_fail_prefix(s, n, st);
            if (s->observer)
                for (int k = 0; k < n->n_out; k++)
                    if (n->out[k] >= 0) s->observer(s->observer_ctx, n->out[k], &s->t[n->out[k]]);
        }
        if (s->profile) s->profiled_runs++;
    }
    for (int i = 0; i < g->n_outputs; i++) outputs[i] = &s->t[g->outputs[i]];
    s->ran = true;
    return ER_OK;
}

size_t er_session_arena_bytes(const er_session *s) { return s ? s->arena_bytes : 0; }
size_t er_session_naive_activation_bytes(const er_session *s) { return s ? s->naive_bytes : 0; }

er_status er_session_input_info(const er_session *s, int i, er_dtype *dtype, int *rank,
                                int64_t *dims) {
    if (!s || i < 0 || i >= s->g->n_inputs)
        return er_fail(ER_ERR_INVALID_ARG, "er_session_input_info: no input %d", i);
    if (dtype) *dtype = s->in_dtype[i];
    if (rank) *rank = s->in_rank[i];
    if (dims)
        for (int k = 0; k < s->in_rank[i]; k++) dims[k] = s->in_dims[i][k];
    return ER_OK;
}

er_status er_session_output_info(const er_session *s, int i, er_dtype *dtype, int *rank,
                                 int64_t *dims) {
    if (!s || i < 0 || i >= s->g->n_outputs)
        return er_fail(ER_ERR_INVALID_ARG, "er_session_output_info: no output %d", i);
    const er_tensor *t = &s->t[s->g->outputs[i]];
    if (s->dynamic && !s->ran)
        return er_fail(ER_ERR_STATE, "output shapes of this dynamic model are known after a run");
    if (dtype) *dtype = t->dtype;
    if (rank) *rank = t->rank;
    if (dims)
        for (int k = 0; k < t->rank; k++) dims[k] = t->dims[k];
    return ER_OK;
}

bool er_session_is_dynamic(const er_session *s) { return s->dynamic; }

void er_session_set_profiling(er_session *s, bool on) {
    s->profile = on;
    s->profiled_runs = 0;
    for (int i = 0; i < s->n_steps; i++) s->steps[i].total_ns = 0;
}

void er_session_set_observer(er_session *s, er_observer_fn fn, void *ctx) {
    s->observer = fn;
    s->observer_ctx = ctx;
}
