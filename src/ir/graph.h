/* graph.h - the graph IR: the only model representation importers produce
 * and passes, the planner and backends consume.
 *
 * A graph is a list of named values (tensors) and a list of nodes. Values are
 * referred to by index everywhere; a node input of -1 is an absent optional
 * input. A value with `data` is a constant (an initializer): `data` is a view
 * into the model file (mmapped) or into memory the graph owns. Shapes are
 * declared shapes: dims of -1 are unknown or symbolic (`dim_param` names the
 * symbol); the session binds and infers the real ones.
 *
 * Strings and arrays live in the graph's pool and die with the graph. */
#ifndef ER_IR_GRAPH_H
#define ER_IR_GRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/packed.h"
#include "core/pool.h"
#include "core/tensor.h"
#include "edgerun.h"

/* Quantization parameters: per-tensor (axis = -1, n = 1) or per-axis. */
typedef struct er_quant {
    int axis;
    int n;
    float *scale;
    int32_t *zero_point;
} er_quant;

typedef struct er_value {
    const char *name;
    er_dtype dtype;             /* ER_UNDEF when not declared */
    int rank;                   /* -1 when unknown */
    int64_t dims[ER_MAX_RANK];  /* -1 for unknown/symbolic dims */
    const char *dim_param[ER_MAX_RANK];
    const void *data;           /* constant data, or NULL for activations */
    size_t data_bytes;
    er_quant *quant;            /* NULL unless quantized */
    int producer;               /* node index, or -1 */
    bool is_input, is_output;
} er_value;

/* Attribute types use ONNX's AttributeProto numbering. */
typedef enum er_attr_type {
    ER_ATTR_UNDEF = 0,
    ER_ATTR_FLOAT = 1,
    ER_ATTR_INT = 2,
    ER_ATTR_STRING = 3,
    ER_ATTR_TENSOR = 4,
    ER_ATTR_GRAPH = 5,
    ER_ATTR_FLOATS = 6,
    ER_ATTR_INTS = 7,
    ER_ATTR_STRINGS = 8,
    ER_ATTR_TENSORS = 9,
    ER_ATTR_GRAPHS = 10,
    ER_ATTR_SPARSE_TENSOR = 11,
    ER_ATTR_SPARSE_TENSORS = 12,
    ER_ATTR_TYPE_PROTO = 13,
    ER_ATTR_TYPE_PROTOS = 14
} er_attr_type;

typedef struct er_attr {
    const char *name;
    er_attr_type type;
    float f;
    int64_t i;
    const char *s; /* NUL-terminated copy; s_len excludes the NUL */
    size_t s_len;
    int n; /* element count of the list forms */
    const float *floats;
    const int64_t *ints;
    const char **strings;
    er_tensor *t; /* ER_ATTR_TENSOR: a view (data owned by the graph/file) */
} er_attr;

struct er_op_def;

typedef struct er_node {
    const char *name;
    const char *op_type;
    const char *domain; /* "" for the default ONNX domain */
    int n_in, n_out, n_attr;
    int *in, *out;      /* value indices; -1 = absent optional input */
    er_attr *attr;
    const struct er_op_def *op; /* resolved at import; NULL = unsupported */
    int opset;                  /* opset version of the node's domain */
} er_node;

typedef struct er_graph {
    er_pool *pool;
    er_value *values;
    int n_values, cap_values;
    er_node *nodes;
    int n_nodes, cap_nodes;
    int *inputs, n_inputs;   /* graph inputs that are not initializers */
    int *outputs, n_outputs;
    int64_t opset;           /* default-domain opset */
    /* name -> value index, open addressing */
    int *hash;
    int hash_cap;
    /* memory the graph owns: copied weights, external data mappings */
    void **owned;
    int n_owned, cap_owned;
    struct er_mapping **mappings;
    int n_mappings, cap_mappings;
    er_packed_blob *packed; /* pre-packed weights (pool memory); NULL: none */
    int n_packed;
} er_graph;

er_status er_graph_create(er_graph **out);
void er_graph_free(er_graph *g);

/* Finds a value by name; -1 when absent. */
int er_graph_find(const er_graph *g, const char *name);
/* Finds or adds a value named `name` (copied). Returns its index in *id. */
er_status er_graph_value(er_graph *g, const char *name, int *id);
/* Adds a node; its arrays are allocated from the pool, zeroed. *out points
 * into g->nodes and is valid until the next er_graph_add_node. */
er_status er_graph_add_node(er_graph *g, int n_in, int n_out, int n_attr, er_node **out);
/* Takes ownership of an er_aligned_alloc buffer (freed with the graph). */
er_status er_graph_own(er_graph *g, void *p);
/* Frees p now if the graph owns it (an er_graph_own buffer); false if not. */
bool er_graph_release_owned(er_graph *g, void *p);
/* If [p, p+n) lies in one of the graph's file mappings, hands its whole
 * pages back to the OS (er_mapping_release: a later read faults them in
 * again from the file). */
void er_graph_release_view(const er_graph *g, const void *p, size_t n);

/* Attribute lookup for ops. Absent or wrongly typed attributes give the
 * default; shape() functions validate values they depend on. */
const er_attr *er_attr_find(const er_node *n, const char *name);
int64_t er_attr_int(const er_node *n, const char *name, int64_t def);
float er_attr_float(const er_node *n, const char *name, float def);
const char *er_attr_str(const er_node *n, const char *name, const char *def);
/* List attributes: returns the count and sets *v, or -1 when absent. */
int er_attr_ints(const er_node *n, const char *name, const int64_t **v);
int er_attr_floats(const er_node *n, const char *name, const float **v);
const er_tensor *er_attr_tensor(const er_node *n, const char *name);

/* Orders g->nodes topologically (stable: keeps file order where possible).
 * Fails with ER_ERR_INVALID_MODEL naming a node on a cycle, or a value used
 * but never produced. */
er_status er_graph_toposort(er_graph *g);

/* ---- rewriting (graph passes) --------------------------------------------
 * A pass works on a session-private clone: er_graph_clone shares the
 * source's strings, attributes and constant data (the source must outlive
 * the clone) and copies the containers the pass may change. */

er_status er_graph_clone(const er_graph *src, er_graph **out);
/* Adds a value with a fresh unique name derived from `hint`. */
er_status er_graph_new_value(er_graph *g, const char *hint, int *id);
/* Makes value `id` a constant owning `bytes` of new aligned storage (zeroed)
 * with the given dtype/shape; *data receives the buffer. */
er_status er_graph_set_const(er_graph *g, int id, er_dtype dt, int rank, const int64_t *dims,
                             void **data);
/* Replaces every node input that reads `from` with `to` (graph outputs are
 * left alone: a pass that removes an output's producer must keep the name). */
void er_graph_replace_input(er_graph *g, int from, int to);
/* Number of node inputs reading value v (+1 when v is a graph output). */
int er_graph_use_count(const er_graph *g, int v);
/* Drops nodes whose op_type was set to NULL by a pass, keeping order. */
void er_graph_compact(er_graph *g);
/* Adds/overrides an attribute on node n (arrays from the graph pool). */
er_status er_node_set_attr_int(er_graph *g, er_node *n, const char *name, int64_t v);
er_status er_node_set_attr_float(er_graph *g, er_node *n, const char *name, float v);
er_status er_node_set_attr_ints(er_graph *g, er_node *n, const char *name, int count,
                                const int64_t *v);
er_status er_node_set_attr_str(er_graph *g, er_node *n, const char *name, const char *v);
/* Gives node n room for n_in inputs (new slots are -1). */
er_status er_node_resize_inputs(er_graph *g, er_node *n, int n_in);

#endif
