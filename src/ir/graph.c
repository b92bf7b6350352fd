/* graph.c - graph IR containers, name lookup, attributes, topological sort. */
#include "graph.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/mapfile.h"
#include "core/status.h"

er_status er_graph_create(er_graph **out) {
    *out = NULL;
    er_graph *g = er_calloc(1, sizeof *g);
    if (!g) return er_fail(ER_ERR_NOMEM, "out of memory creating a graph");
    g->pool = er_pool_create();
    if (!g->pool) {
        er_free(g);
        return er_fail(ER_ERR_NOMEM, "out of memory creating a graph");
    }
    *out = g;
    return ER_OK;
}

void er_graph_free(er_graph *g) {
    if (!g) return;
    for (int i = 0; i < g->n_owned; i++) er_aligned_free(g->owned[i]);
    for (int i = 0; i < g->n_mappings; i++) er_mapping_free(g->mappings[i]);
    er_free(g->owned);
    er_free(g->mappings);
    er_free(g->values);
    er_free(g->nodes);
    er_free(g->hash);
    er_pool_free(g->pool);
    er_free(g);
}

static uint32_t hash_str(const char *s) {
    uint32_t h = 2166136261u; /* FNV-1a */
    while (*s) h = (h ^ (unsigned char)*s++) * 16777619u;
    return h;
}

int er_graph_find(const er_graph *g, const char *name) {
    if (!g->hash_cap) return -1;
    uint32_t mask = (uint32_t)g->hash_cap - 1;
    for (uint32_t i = hash_str(name) & mask;; i = (i + 1) & mask) {
        int id = g->hash[i];
        if (id < 0) return -1;
        if (strcmp(g->values[id].name, name) == 0) return id;
    }
}

static er_status rehash(er_graph *g, int cap) {
    int *h = er_malloc(sizeof(int) * (size_t)cap);
    if (!h) return er_fail(ER_ERR_NOMEM, "out of memory growing the value table");
    for (int i = 0; i < cap; i++) h[i] = -1;
    uint32_t mask = (uint32_t)cap - 1;
    for (int id = 0; id < g->n_values; id++) {
        uint32_t i = hash_str(g->values[id].name) & mask;
        while (h[i] >= 0) i = (i + 1) & mask;
        h[i] = id;
    }
    er_free(g->hash);
    g->hash = h;
    g->hash_cap = cap;
    return ER_OK;
}

er_status er_graph_value(er_graph *g, const char *name, int *id) {
    int found = er_graph_find(g, name);
    if (found >= 0) {
        *id = found;
        return ER_OK;
    }
    if (g->n_values >= (1 << 28)) return er_fail(ER_ERR_INVALID_MODEL, "too many values");
    if (g->n_values == g->cap_values) {
        int cap = g->cap_values ? g->cap_values * 2 : 64;
        er_value *v = er_realloc(g->values, sizeof(er_value) * (size_t)cap);
        if (!v) return er_fail(ER_ERR_NOMEM, "out of memory growing the value list");
        g->values = v;
        g->cap_values = cap;
    }
    if ((g->n_values + 1) * 2 > g->hash_cap)
        ER_TRY(rehash(g, g->hash_cap ? g->hash_cap * 2 : 128));
    er_value *v = &g->values[g->n_values];
    memset(v, 0, sizeof *v);
    v->name = er_pool_strdup(g->pool, name);
    if (!v->name) return er_fail(ER_ERR_NOMEM, "out of memory");
    v->rank = -1;
    v->producer = -1;
    int nid = g->n_values++;
    uint32_t mask = (uint32_t)g->hash_cap - 1;
    uint32_t i = hash_str(name) & mask;
    while (g->hash[i] >= 0) i = (i + 1) & mask;
    g->hash[i] = nid;
    *id = nid;
    return ER_OK;
}

er_status er_graph_add_node(er_graph *g, int n_in, int n_out, int n_attr, er_node **out) {
    if (g->n_nodes >= (1 << 26)) return er_fail(ER_ERR_INVALID_MODEL, "too many nodes");
    if (g->n_nodes == g->cap_nodes) {
        int cap = g->cap_nodes ? g->cap_nodes * 2 : 64;
        er_node *n = er_realloc(g->nodes, sizeof(er_node) * (size_t)cap);
        if (!n) return er_fail(ER_ERR_NOMEM, "out of memory growing the node list");
        g->nodes = n;
        g->cap_nodes = cap;
    }
    er_node *n = &g->nodes[g->n_nodes];
    memset(n, 0, sizeof *n);
    n->in = er_pool_array(g->pool, (size_t)(n_in ? n_in : 1), sizeof(int));
    n->out = er_pool_array(g->pool, (size_t)(n_out ? n_out : 1), sizeof(int));
    n->attr = er_pool_array(g->pool, (size_t)(n_attr ? n_attr : 1), sizeof(er_attr));
    if (!n->in || !n->out || !n->attr) return er_fail(ER_ERR_NOMEM, "out of memory adding a node");
    n->n_in = n_in;
    n->n_out = n_out;
    n->n_attr = n_attr;
    n->name = "";
    n->op_type = "";
    n->domain = "";
    g->n_nodes++;
    *out = n;
    return ER_OK;
}

er_status er_graph_own(er_graph *g, void *p) {
    if (g->n_owned == g->cap_owned) {
        int cap = g->cap_owned ? g->cap_owned * 2 : 16;
        void **o = er_realloc(g->owned, sizeof(void *) * (size_t)cap);
        if (!o) {
            er_aligned_free(p);
            return er_fail(ER_ERR_NOMEM, "out of memory");
        }
        g->owned = o;
        g->cap_owned = cap;
    }
    g->owned[g->n_owned++] = p;
    return ER_OK;
}

bool er_graph_release_owned(er_graph *g, void *p) {
    for (int i = g->n_owned - 1; i >= 0; i--)
        if (g->owned[i] == p) {
            er_aligned_free(p);
            g->owned[i] = g->owned[--g->n_owned];
            return true;
        }
    return false;
}

void er_graph_release_view(const er_graph *g, const void *p, size_t n) {
    uintptr_t a = (uintptr_t)p;
    for (int i = 0; i < g->n_mappings; i++) {
        const er_mapping *m = g->mappings[i];
        uintptr_t b = (uintptr_t)m->data;
        if (a >= b && a - b <= m->size && n <= m->size - (a - b)) {
            er_mapping_release(m, p, n);
            return;
        }
    }
}

/* ---- attributes ---------------------------------------------------------- */

const er_attr *er_attr_find(const er_node *n, const char *name) {
    for (int i = 0; i < n->n_attr; i++)
        if (n->attr[i].name && strcmp(n->attr[i].name, name) == 0) return &n->attr[i];
    return NULL;
}

int64_t er_attr_int(const er_node *n, const char *name, int64_t def) {
    const er_attr *a = er_attr_find(n, name);
    return a && a->type == ER_ATTR_INT ? a->i : def;
}

float er_attr_float(const er_node *n, const char *name, float def) {
    const er_attr *a = er_attr_find(n, name);
    if (!a) return def;
    if (a->type == ER_ATTR_FLOAT) return a->f;
    if (a->type == ER_ATTR_INT) return (float)a->i;
    return def;
}

const char *er_attr_str(const er_node *n, const char *name, const char *def) {
    const er_attr *a = er_attr_find(n, name);
    return a && a->type == ER_ATTR_STRING ? a->s : def;
}

int er_attr_ints(const er_node *n, const char *name, const int64_t **v) {
    const er_attr *a = er_attr_find(n, name);
    if (!a || a->type != ER_ATTR_INTS) {
        *v = NULL;
        return -1;
    }
    *v = a->ints;
    return a->n;
}

int er_attr_floats(const er_node *n, const char *name, const float **v) {
    const er_attr *a = er_attr_find(n, name);
    if (!a || a->type != ER_ATTR_FLOATS) {
        *v = NULL;
        return -1;
    }
    *v = a->floats;
    return a->n;
}

const er_tensor *er_attr_tensor(const er_node *n, const char *name) {
    const er_attr *a = er_attr_find(n, name);
    return a && a->type == ER_ATTR_TENSOR ? a->t : NULL;
}

/* ---- topological sort ---------------------------------------------------- */

/* Kahn's algorithm with a min-heap of ready node indices, so a graph already
 * in order keeps its order and the result is deterministic. */
typedef struct { int *a; int n; } heap;

static void heap_push(heap *h, int v) {
    int i = h->n++;
    h->a[i] = v;
    while (i > 0 && h->a[(i - 1) / 2] > h->a[i]) {
        int p = (i - 1) / 2, t = h->a[p];
        h->a[p] = h->a[i];
        h->a[i] = t;
        i = p;
    }
}

static int heap_pop(heap *h) {
    int r = h->a[0];
    h->a[0] = h->a[--h->n];
    int i = 0;
    for (;;) {
        int l = 2 * i + 1, m = i;
        if (l < h->n && h->a[l] < h->a[m]) m = l;
        if (l + 1 < h->n && h->a[l + 1] < h->a[m]) m = l + 1;
        if (m == i) break;
        int t = h->a[m];
        h->a[m] = h->a[i];
        h->a[i] = t;
        i = m;
    }
    return r;
}

er_status er_graph_toposort(er_graph *g) {
    er_status st = ER_OK;
    int nn = g->n_nodes, nv = g->n_values;
    int *producer = er_malloc(sizeof(int) * (size_t)(nv ? nv : 1));
    int *pending = er_calloc((size_t)(nn ? nn : 1), sizeof(int));
    int *order = er_malloc(sizeof(int) * (size_t)(nn ? nn : 1));
    /* consumers as CSR: for each value, the nodes reading it */
    int *cstart = er_calloc((size_t)nv + 1, sizeof(int));
    int total = 0;
    for (int i = 0; i < nn; i++) total += g->nodes[i].n_in;
    int *clist = er_malloc(sizeof(int) * (size_t)(total ? total : 1));
    heap h = {er_malloc(sizeof(int) * (size_t)(nn ? nn : 1)), 0};
    er_node *sorted = NULL;
    if (!producer || !pending || !order || !cstart || !clist || !h.a) {
        st = er_fail(ER_ERR_NOMEM, "out of memory sorting the graph");
        goto done;
    }
    for (int v = 0; v < nv; v++) producer[v] = -1;
    for (int i = 0; i < nn; i++) {
        er_node *n = &g->nodes[i];
        for (int k = 0; k < n->n_out; k++) {
            int v = n->out[k];
            if (v < 0) continue;
            if (producer[v] >= 0 || g->values[v].data || g->values[v].is_input) {
                st = er_fail(ER_ERR_INVALID_MODEL,
                             "node '%s' (%s): output '%s' is already produced by %s", n->name,
                             n->op_type, g->values[v].name,
                             producer[v] >= 0 ? "another node" : "an input or initializer");
                goto done;
            }
            producer[v] = i;
        }
    }
    for (int i = 0; i < nn; i++) {
        er_node *n = &g->nodes[i];
        for (int k = 0; k < n->n_in; k++) {
            int v = n->in[k];
            if (v < 0) continue;
            const er_value *val = &g->values[v];
            if (producer[v] < 0 && !val->data && !val->is_input) {
                st = er_fail(ER_ERR_INVALID_MODEL,
                             "node '%s' (%s): input '%s' is not a graph input, an initializer "
                             "or any node's output (missing initializer?)",
                             n->name, n->op_type, val->name);
                goto done;
            }
            if (producer[v] >= 0) {
                pending[i]++;
                cstart[v + 1]++;
            }
        }
    }
    for (int v = 0; v < nv; v++) cstart[v + 1] += cstart[v];
    {
        int *fill = er_calloc((size_t)nv + 1, sizeof(int));
        if (!fill) {
            st = er_fail(ER_ERR_NOMEM, "out of memory sorting the graph");
            goto done;
        }
        for (int i = 0; i < nn; i++) {
            er_node *n = &g->nodes[i];
            for (int k = 0; k < n->n_in; k++) {
                int v = n->in[k];
                if (v >= 0 && producer[v] >= 0) clist[cstart[v] + fill[v]++] = i;
            }
        }
        er_free(fill);
    }
    for (int i = 0; i < nn; i++)
        if (pending[i] == 0) heap_push(&h, i);
    int done_n = 0;
    while (h.n) {
        int i = heap_pop(&h);
        order[done_n++] = i;
        er_node *n = &g->nodes[i];
        for (int k = 0; k < n->n_out; k++) {
            int v = n->out[k];
            if (v < 0) continue;
            for (int c = cstart[v]; c < cstart[v + 1]; c++)
                if (--pending[clist[c]] == 0) heap_push(&h, clist[c]);
        }
    }
    if (done_n != nn) {
        for (int i = 0; i < nn; i++)
            if (pending[i] > 0) {
                st = er_fail(ER_ERR_INVALID_MODEL,
                             "node '%s' (%s) is on a cycle: its inputs depend on its own outputs",
                             g->nodes[i].name, g->nodes[i].op_type);
                goto done;
            }
    }
    sorted = er_malloc(sizeof(er_node) * (size_t)(nn ? nn : 1));
    if (!sorted) {
        st = er_fail(ER_ERR_NOMEM, "out of memory sorting the graph");
        goto done;
    }
    /* element copies, not memcpy of sizeof * nn: GCC 13 cannot prove nn >= 0
     * there and rejects the call (-Werror=array-bounds) */
    for (int i = 0; i < nn; i++) sorted[i] = g->nodes[order[i]];
    for (int i = 0; i < nn; i++) g->nodes[i] = sorted[i];
    for (int i = 0; i < nn; i++)
        for (int k = 0; k < g->nodes[i].n_out; k++)
            if (g->nodes[i].out[k] >= 0) g->values[g->nodes[i].out[k]].producer = i;
done:
    er_free(sorted);
    er_free(producer);
    er_free(pending);
    er_free(order);
    er_free(cstart);
    er_free(clist);
    er_free(h.a);
    return st;
}

/* ---- rewriting ----------------------------------------------------------- */

er_status er_graph_clone(const er_graph *src, er_graph **out) {
    *out = NULL;
    er_graph *g;
    ER_TRY(er_graph_create(&g));
    er_status st = ER_OK;
    g->opset = src->opset;
    if (src->n_values) {
        g->values = er_malloc(sizeof(er_value) * (size_t)src->n_values);
        if (!g->values) goto nomem;
        memcpy(g->values, src->values, sizeof(er_value) * (size_t)src->n_values);
        g->n_values = g->cap_values = src->n_values;
    }
    if (src->n_nodes) {
        g->nodes = er_malloc(sizeof(er_node) * (size_t)src->n_nodes);
        if (!g->nodes) goto nomem;
        g->n_nodes = g->cap_nodes = src->n_nodes;
        for (int i = 0; i < src->n_nodes; i++) {
            const er_node *s = &src->nodes[i];
            er_node *d = &g->nodes[i];
            *d = *s;
            d->in = er_pool_array(g->pool, (size_t)(s->n_in ? s->n_in : 1), sizeof(int));
            d->out = er_pool_array(g->pool, (size_t)(s->n_out ? s->n_out : 1), sizeof(int));
            if (!d->in || !d->out) goto nomem;
            memcpy(d->in, s->in, sizeof(int) * (size_t)s->n_in);
            memcpy(d->out, s->out, sizeof(int) * (size_t)s->n_out);
        }
    }
    g->inputs = er_pool_array(g->pool, (size_t)(src->n_inputs + 1), sizeof(int));
    g->outputs = er_pool_array(g->pool, (size_t)(src->n_outputs + 1), sizeof(int));
    if (!g->inputs || !g->outputs) goto nomem;
    if (src->n_inputs) memcpy(g->inputs, src->inputs, sizeof(int) * (size_t)src->n_inputs);
    if (src->n_outputs) memcpy(g->outputs, src->outputs, sizeof(int) * (size_t)src->n_outputs);
    g->n_inputs = src->n_inputs;
    g->n_outputs = src->n_outputs;
    if (src->hash_cap) {
        g->hash = er_malloc(sizeof(int) * (size_t)src->hash_cap);
        if (!g->hash) goto nomem;
        memcpy(g->hash, src->hash, sizeof(int) * (size_t)src->hash_cap);
        g->hash_cap = src->hash_cap;
    }
    *out = g;
    return ER_OK;
nomem:
    st = er_fail(ER_ERR_NOMEM, "out of memory cloning the graph");
    er_graph_free(g);
    return st;
}

er_status er_graph_new_value(er_graph *g, const char *hint, int *id) {
    char name[256];
    /* the hint is cut so the "#k" suffix always fits: a name the loop can
     * never make unique would spin forever (TFLite names reach ~400 bytes) */
    for (unsigned k = (unsigned)g->n_values;; k++) {
        snprintf(name, sizeof name, "%.200s#%u", hint, k);
        if (er_graph_find(g, name) < 0) break;
    }
    return er_graph_value(g, name, id);
}

er_status er_graph_set_const(er_graph *g, int id, er_dtype dt, int rank, const int64_t *dims,
                             void **data) {
    size_t bytes;
    if (!er_shape_count_checked(rank, dims, dt, NULL, &bytes))
        return er_fail(ER_ERR_SHAPE, "constant '%s' is too large", g->values[id].name);
    void *buf = er_aligned_alloc(bytes ? bytes : 1);
    if (!buf) return er_fail(ER_ERR_NOMEM, "cannot allocate %zu bytes for '%s'", bytes,
                             g->values[id].name);
    memset(buf, 0, bytes ? bytes : 1);
    ER_TRY(er_graph_own(g, buf));
    er_value *v = &g->values[id];
    v->dtype = dt;
    v->rank = rank;
    for (int i = 0; i < rank; i++) {
        v->dims[i] = dims[i];
        v->dim_param[i] = NULL;
    }
    v->data = buf;
    v->data_bytes = bytes;
    v->producer = -1;
    if (data) *data = buf;
    return ER_OK;
}

void er_graph_replace_input(er_graph *g, int from, int to) {
    for (int i = 0; i < g->n_nodes; i++) {
        er_node *n = &g->nodes[i];
        if (!n->op_type) continue;
        for (int k = 0; k < n->n_in; k++)
            if (n->in[k] == from) n->in[k] = to;
    }
}

int er_graph_use_count(const er_graph *g, int v) {
    int uses = g->values[v].is_output ? 1 : 0;
    for (int i = 0; i < g->n_nodes; i++) {
        const er_node *n = &g->nodes[i];
        if (!n->op_type) continue;
        for (int k = 0; k < n->n_in; k++)
            if (n->in[k] == v) uses++;
    }
    return uses;
}

void er_graph_compact(er_graph *g) {
    int j = 0;
    for (int i = 0; i < g->n_nodes; i++)
        if (g->nodes[i].op_type) g->nodes[j++] = g->nodes[i];
    g->n_nodes = j;
    for (int v = 0; v < g->n_values; v++) g->values[v].producer = -1;
    for (int i = 0; i < g->n_nodes; i++)
        for (int k = 0; k < g->nodes[i].n_out; k++)
            if (g->nodes[i].out[k] >= 0) g->values[g->nodes[i].out[k]].producer = i;
}

/* Finds or appends the attribute slot `name` (copy-on-write of the array). */
static er_status attr_slot(er_graph *g, er_node *n, const char *name, er_attr **out) {
    for (int i = 0; i < n->n_attr; i++)
        if (strcmp(n->attr[i].name, name) == 0) {
            /* the array may be shared with the source graph: copy it once */
            er_attr *a = er_pool_array(g->pool, (size_t)n->n_attr, sizeof(er_attr));
            if (!a) return er_fail(ER_ERR_NOMEM, "out of memory");
            memcpy(a, n->attr, sizeof(er_attr) * (size_t)n->n_attr);
            n->attr = a;
            memset(&a[i], 0, sizeof a[i]);
            a[i].name = name;
            *out = &a[i];
            return ER_OK;
        }
    er_attr *a = er_pool_array(g->pool, (size_t)n->n_attr + 1, sizeof(er_attr));
    char *nm = er_pool_strdup(g->pool, name);
    if (!a || !nm) return er_fail(ER_ERR_NOMEM, "out of memory");
    if (n->n_attr) memcpy(a, n->attr, sizeof(er_attr) * (size_t)n->n_attr);
    n->attr = a;
    a[n->n_attr].name = nm;
    *out = &a[n->n_attr++];
    return ER_OK;
}

er_status er_node_set_attr_int(er_graph *g, er_node *n, const char *name, int64_t v) {
    er_attr *a;
    ER_TRY(attr_slot(g, n, name, &a));
    a->type = ER_ATTR_INT;
    a->i = v;
    return ER_OK;
}

er_status er_node_set_attr_float(er_graph *g, er_node *n, const char *name, float v) {
    er_attr *a;
    ER_TRY(attr_slot(g, n, name, &a));
    a->type = ER_ATTR_FLOAT;
    a->f = v;
    return ER_OK;
}

er_status er_node_set_attr_ints(er_graph *g, er_node *n, const char *name, int count,
                                const int64_t *v) {
    int64_t *copy = er_pool_array(g->pool, (size_t)(count ? count : 1), sizeof(int64_t));
    if (!copy) return er_fail(ER_ERR_NOMEM, "out of memory");
    if (count) memcpy(copy, v, sizeof(int64_t) * (size_t)count);
    er_attr *a;
    ER_TRY(attr_slot(g, n, name, &a));
    a->type = ER_ATTR_INTS;
    a->ints = copy;
    a->n = count;
    return ER_OK;
}

er_status er_node_set_attr_str(er_graph *g, er_node *n, const char *name, const char *v) {
    char *copy = er_pool_strdup(g->pool, v);
    if (!copy) return er_fail(ER_ERR_NOMEM, "out of memory");
    er_attr *a;
    ER_TRY(attr_slot(g, n, name, &a));
    a->type = ER_ATTR_STRING;
    a->s = copy;
    a->s_len = strlen(copy);
    return ER_OK;
}

er_status er_node_resize_inputs(er_graph *g, er_node *n, int n_in) {
    if (n_in <= n->n_in) {
        n->n_in = n_in;
        return ER_OK;
    }
    int *in = er_pool_array(g->pool, (size_t)n_in, sizeof(int));
    if (!in) return er_fail(ER_ERR_NOMEM, "out of memory");
    memcpy(in, n->in, sizeof(int) * (size_t)n->n_in);
    for (int k = n->n_in; k < n_in; k++) in[k] = -1;
    n->in = in;
    n->n_in = n_in;
    return ER_OK;
}
