/* onnx_export.c - graph IR -> ONNX ModelProto, written with our own protobuf
 * encoder (no libprotobuf).
 *
 * Protobuf needs every nested message's length before its bytes. Small
 * messages (nodes, value infos, tensor headers) are encoded into scratch
 * buffers and copied in behind their length. Weights are never copied: the
 * writer keeps an ordered list of chunks, either runs of encoded bytes or
 * pointers to initializer data, and an initializer's length is known from
 * its header plus its raw_data size. The file is then streamed: model
 * fields, the graph's tag and length (the sum of all chunks), the chunks.
 *
 * Field numbers follow onnx.proto (ONNX 1.12+), as in onnx_import.c.
 * Repeated scalars (dims, ints, floats) are written packed, which every
 * protobuf parser accepts for proto2 repeated scalar fields. */
#include "onnx_export.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/checked_math.h"
#include "core/status.h"
#include "core/tensor.h"

enum { W_VARINT = 0, W_I64 = 1, W_LEN = 2, W_I32 = 5 };
/* ModelProto */
enum { M_IR_VERSION = 1, M_PRODUCER_NAME = 2, M_PRODUCER_VERSION = 3, M_GRAPH = 7,
       M_OPSET_IMPORT = 8 };
enum { OS_DOMAIN = 1, OS_VERSION = 2 };
/* GraphProto */
enum { G_NODE = 1, G_NAME = 2, G_INITIALIZER = 5, G_INPUT = 11, G_OUTPUT = 12 };
/* NodeProto */
enum { N_INPUT = 1, N_OUTPUT = 2, N_NAME = 3, N_OP_TYPE = 4, N_ATTRIBUTE = 5, N_DOMAIN = 7 };
/* AttributeProto */
enum { A_NAME = 1, A_F = 2, A_I = 3, A_S = 4, A_T = 5, A_FLOATS = 7, A_INTS = 8, A_STRINGS = 9,
       A_TYPE = 20 };
/* TensorProto */
enum { T_DIMS = 1, T_DATA_TYPE = 2, T_NAME = 8, T_RAW_DATA = 9 };
/* ValueInfoProto, TypeProto, TypeProto.Tensor, TensorShapeProto, Dimension */
enum { VI_NAME = 1, VI_TYPE = 2, TP_TENSOR = 1, TT_ELEM_TYPE = 1, TT_SHAPE = 2, SH_DIM = 1,
       D_VALUE = 1, D_PARAM = 2 };

/* ---- byte buffer --------------------------------------------------------- */

typedef struct pbuf {
    uint8_t *d;
    size_t n, cap;
    int oom;
} pbuf;

static void put(pbuf *b, const void *p, size_t n) {
    if (b->oom || n == 0) return;
    size_t need;
    if (!er_add_size(&need, b->n, n)) {
        b->oom = 1;
        return;
    }
    if (need > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < need)
            if (!er_mul_size(&cap, cap, 2)) {
                b->oom = 1;
                return;
            }
        uint8_t *d = er_realloc(b->d, cap);
        if (!d) {
            b->oom = 1;
            return;
        }
        b->d = d;
        b->cap = cap;
    }
    memcpy(b->d + b->n, p, n);
    b->n = need;
}

static size_t varint_len(uint64_t v) {
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static void put_varint(pbuf *b, uint64_t v) {
    uint8_t t[10];
    size_t n = 0;
    while (v >= 0x80) {
        t[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    t[n++] = (uint8_t)v;
    put(b, t, n);
}

static void put_tag(pbuf *b, unsigned field, int wire) {
    put_varint(b, (uint64_t)field << 3 | (unsigned)wire);
}

/* Negative int64 values are encoded as 10-byte varints (two's complement),
 * as protobuf does for int64 fields. */
static void put_int(pbuf *b, unsigned field, int64_t v) {
    put_tag(b, field, W_VARINT);
    put_varint(b, (uint64_t)v);
}

static void put_bytes(pbuf *b, unsigned field, const void *p, size_t n) {
    put_tag(b, field, W_LEN);
    put_varint(b, n);
    put(b, p, n);
}

static void put_str(pbuf *b, unsigned field, const char *s) { put_bytes(b, field, s, strlen(s)); }

static void put_f32(pbuf *b, unsigned field, float v) {
    uint32_t u;
    memcpy(&u, &v, 4);
    uint8_t t[4] = {(uint8_t)u, (uint8_t)(u >> 8), (uint8_t)(u >> 16), (uint8_t)(u >> 24)};
    put_tag(b, field, W_I32);
    put(b, t, 4);
}

static void put_msg(pbuf *b, unsigned field, const pbuf *sub) {
    if (sub->oom) b->oom = 1;
    put_bytes(b, field, sub->d, sub->n);
}

static void put_packed_ints(pbuf *b, unsigned field, const int64_t *v, int n) {
    size_t len = 0;
    for (int i = 0; i < n; i++) len += varint_len((uint64_t)v[i]);
    put_tag(b, field, W_LEN);
    put_varint(b, len);
    for (int i = 0; i < n; i++) put_varint(b, (uint64_t)v[i]);
}

static void put_packed_floats(pbuf *b, unsigned field, const float *v, int n) {
    put_tag(b, field, W_LEN);
    put_varint(b, (uint64_t)n * 4);
    for (int i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &v[i], 4);
        uint8_t t[4] = {(uint8_t)u, (uint8_t)(u >> 8), (uint8_t)(u >> 16), (uint8_t)(u >> 24)};
        put(b, t, 4);
    }
}

static void pbuf_reset(pbuf *b) {
    b->n = 0;
    b->oom = 0;
}

/* ---- chunk list ----------------------------------------------------------- */

typedef struct chunk {
    const uint8_t *ext; /* weight data, or NULL: bytes [off, off + len) of meta */
    size_t off, len;
} chunk;

typedef struct writer {
    const er_graph *g;
    pbuf meta;
    size_t run_start; /* start of the meta bytes not yet listed as a chunk */
    chunk *chunks;
    int n_chunks, cap_chunks;
    pbuf tmp, tmp2, tmp3; /* scratch for nested messages */
    int oom;
} writer;

static void add_chunk(writer *w, const uint8_t *ext, size_t off, size_t len) {
    if (w->oom || len == 0) return;
    if (w->n_chunks == w->cap_chunks) {
        int cap = w->cap_chunks ? w->cap_chunks * 2 : 64;
        chunk *c = er_realloc(w->chunks, sizeof(chunk) * (size_t)cap);
        if (!c) {
            w->oom = 1;
            return;
        }
        w->chunks = c;
        w->cap_chunks = cap;
    }
    w->chunks[w->n_chunks++] = (chunk){ext, off, len};
}

/* Ends the current run of meta bytes, then lists `len` bytes at p in place. */
static void add_external(writer *w, const void *p, size_t len) {
    add_chunk(w, NULL, w->run_start, w->meta.n - w->run_start);
    w->run_start = w->meta.n;
    add_chunk(w, p, 0, len);
}

/* ---- messages --------------------------------------------------------------- */

static er_status unsupported_dtype(const char *what, const char *name, er_dtype dt) {
    return er_fail(ER_ERR_UNSUPPORTED, "%s '%s': dtype %s cannot be written to ONNX", what, name,
                   er_dtype_name(dt));
}

/* TensorProto header (dims, data_type, optional name) into b; the caller
 * appends raw_data. */
static void tensor_header(pbuf *b, er_dtype dt, int rank, const int64_t *dims, const char *name) {
    if (rank > 0) put_packed_ints(b, T_DIMS, dims, rank);
    put_int(b, T_DATA_TYPE, (int64_t)dt);
    if (name) put_str(b, T_NAME, name);
}

static void value_info(pbuf *out, pbuf *tt, pbuf *shape, const er_value *v) {
    pbuf_reset(tt);
    pbuf_reset(shape);
    if (v->dtype != ER_UNDEF) put_int(tt, TT_ELEM_TYPE, (int64_t)v->dtype);
    if (v->rank >= 0) {
        pbuf dim = {0};
        for (int i = 0; i < v->rank; i++) {
            pbuf_reset(&dim);
            if (v->dim_param[i]) put_str(&dim, D_PARAM, v->dim_param[i]);
            else if (v->dims[i] >= 0) put_int(&dim, D_VALUE, v->dims[i]);
            put_msg(shape, SH_DIM, &dim); /* empty Dimension: unknown */
        }
        if (dim.oom) shape->oom = 1;
        er_free(dim.d);
        put_msg(tt, TT_SHAPE, shape);
    }
    /* TypeProto { tensor_type = tt }, then ValueInfoProto { name, type } */
    size_t type_len = 1 + varint_len(tt->n) + tt->n;
    put_str(out, VI_NAME, v->name);
    if (v->dtype != ER_UNDEF || v->rank >= 0) {
        put_tag(out, VI_TYPE, W_LEN);
        put_varint(out, type_len);
        put_msg(out, TP_TENSOR, tt);
    }
}

static er_status attribute(writer *w, pbuf *b, const er_node *n, const er_attr *a) {
    put_str(b, A_NAME, a->name);
    switch (a->type) {
    case ER_ATTR_FLOAT: put_f32(b, A_F, a->f); break;
    case ER_ATTR_INT: put_int(b, A_I, a->i); break;
    case ER_ATTR_STRING: put_bytes(b, A_S, a->s ? a->s : "", a->s ? a->s_len : 0); break;
    case ER_ATTR_FLOATS:
        if (a->n > 0) put_packed_floats(b, A_FLOATS, a->floats, a->n);
        break;
    case ER_ATTR_INTS:
        if (a->n > 0) put_packed_ints(b, A_INTS, a->ints, a->n);
        break;
    case ER_ATTR_STRINGS:
        for (int i = 0; i < a->n; i++) put_str(b, A_STRINGS, a->strings[i] ? a->strings[i] : "");
        break;
    case ER_ATTR_TENSOR: {
        const er_tensor *t = a->t;
        if (!t) return er_fail(ER_ERR_INVALID_ARG, "node '%s': tensor attribute '%s' is empty",
                               n->name, a->name);
        if (!er_dtype_supported(t->dtype))
            return unsupported_dtype("tensor attribute", a->name, t->dtype);
        pbuf *tb = &w->tmp3;
        pbuf_reset(tb);
        tensor_header(tb, t->dtype, t->rank, t->dims, NULL);
        put_bytes(tb, T_RAW_DATA, t->data, er_tensor_nbytes(t));
        put_msg(b, A_T, tb);
        break;
    }
    default:
        return er_fail(ER_ERR_UNSUPPORTED, "node '%s' (%s): attribute '%s' of type %d (graph, "
                       "sparse tensor or type proto) cannot be written: the importer does not "
                       "keep its contents", n->name, n->op_type, a->name, (int)a->type);
    }
    put_int(b, A_TYPE, (int64_t)a->type);
    return ER_OK;
}

static er_status node(writer *w, const er_node *n) {
    const er_graph *g = w->g;
    pbuf *b = &w->tmp;
    pbuf_reset(b);
    for (int k = 0; k < n->n_in; k++)
        put_str(b, N_INPUT, n->in[k] >= 0 ? g->values[n->in[k]].name : "");
    for (int k = 0; k < n->n_out; k++)
        put_str(b, N_OUTPUT, n->out[k] >= 0 ? g->values[n->out[k]].name : "");
    if (n->name && n->name[0]) put_str(b, N_NAME, n->name);
    put_str(b, N_OP_TYPE, n->op_type);
    if (n->domain && n->domain[0]) put_str(b, N_DOMAIN, n->domain);
    for (int i = 0; i < n->n_attr; i++) {
        pbuf *ab = &w->tmp2;
        pbuf_reset(ab);
        ER_TRY(attribute(w, ab, n, &n->attr[i]));
        put_msg(b, N_ATTRIBUTE, ab);
    }
    put_msg(&w->meta, G_NODE, b);
    return ER_OK;
}

static er_status initializer(writer *w, const er_value *v) {
    if (!er_dtype_supported(v->dtype)) return unsupported_dtype("initializer", v->name, v->dtype);
    size_t bytes;
    if (v->rank < 0 || !er_shape_count_checked(v->rank, v->dims, v->dtype, NULL, &bytes))
        return er_fail(ER_ERR_INVALID_ARG, "initializer '%s' has no valid shape", v->name);
    if (bytes > v->data_bytes)
        return er_fail(ER_ERR_INTERNAL, "initializer '%s': %zu data bytes, shape needs %zu",
                       v->name, v->data_bytes, bytes);
    pbuf *h = &w->tmp;
    pbuf_reset(h);
    tensor_header(h, v->dtype, v->rank, v->dims, v->name);
    if (h->oom) return er_fail(ER_ERR_NOMEM, "out of memory writing ONNX");
    size_t raw_len = 1 + varint_len(bytes) + bytes, total;
    if (!er_add_size(&total, h->n, raw_len))
        return er_fail(ER_ERR_INVALID_ARG, "initializer '%s' is too large", v->name);
    put_tag(&w->meta, G_INITIALIZER, W_LEN);
    put_varint(&w->meta, total);
    put(&w->meta, h->d, h->n);
    put_tag(&w->meta, T_RAW_DATA, W_LEN);
    put_varint(&w->meta, bytes);
    /* raw_data is little-endian, as is every target edgerun builds for */
    add_external(w, v->data, bytes);
    return ER_OK;
}

/* Values any node reads (or that are graph outputs) and that hold data. */
static er_status mark_used(const er_graph *g, unsigned char **out) {
    unsigned char *used = er_calloc((size_t)(g->n_values ? g->n_values : 1), 1);
    if (!used) return er_fail(ER_ERR_NOMEM, "out of memory writing ONNX");
    for (int i = 0; i < g->n_nodes; i++)
        for (int k = 0; k < g->nodes[i].n_in; k++)
            if (g->nodes[i].in[k] >= 0) used[g->nodes[i].in[k]] = 1;
    for (int i = 0; i < g->n_outputs; i++) used[g->outputs[i]] = 1;
    *out = used;
    return ER_OK;
}

static er_status graph_body(writer *w) {
    const er_graph *g = w->g;
    for (int i = 0; i < g->n_nodes; i++) {
        if (!g->nodes[i].op_type) continue; /* removed by a pass, not compacted */
        ER_TRY(node(w, &g->nodes[i]));
    }
    put_str(&w->meta, G_NAME, "edgerun");
    unsigned char *used = NULL;
    ER_TRY(mark_used(g, &used));
    er_status st = ER_OK;
    for (int v = 0; v < g->n_values && st == ER_OK; v++)
        if (used[v] && g->values[v].data) st = initializer(w, &g->values[v]);
    er_free(used);
    ER_TRY(st);
    pbuf *vi = &w->tmp;
    for (int i = 0; i < g->n_inputs; i++) {
        pbuf_reset(vi);
        value_info(vi, &w->tmp2, &w->tmp3, &g->values[g->inputs[i]]);
        put_msg(&w->meta, G_INPUT, vi);
    }
    for (int i = 0; i < g->n_outputs; i++) {
        pbuf_reset(vi);
        value_info(vi, &w->tmp2, &w->tmp3, &g->values[g->outputs[i]]);
        put_msg(&w->meta, G_OUTPUT, vi);
    }
    add_chunk(w, NULL, w->run_start, w->meta.n - w->run_start);
    w->run_start = w->meta.n;
    if (w->meta.oom || w->tmp.oom || w->tmp2.oom || w->tmp3.oom || w->oom)
        return er_fail(ER_ERR_NOMEM, "out of memory writing ONNX");
    return ER_OK;
}

/* ONNX's IR version for an opset of the default domain (onnx/helper.py
 * VERSION_TABLE), so older readers accept what we write. */
static int64_t ir_version_for(int64_t opset) {
    if (opset <= 8) return 3;
    if (opset == 9) return 4;
    if (opset == 10) return 5;
    if (opset == 11) return 6;
    if (opset <= 14) return 7;
    if (opset <= 18) return 8;
    if (opset <= 20) return 9;
    if (opset <= 22) return 10;
    return 11;
}

static const char *norm_domain(const char *d) {
    return !d || strcmp(d, "ai.onnx") == 0 ? "" : d;
}

/* Model fields before the graph: ir_version, producer, opset imports. */
static er_status model_header(writer *w, pbuf *h) {
    const er_graph *g = w->g;
    int64_t opset = g->opset > 0 ? g->opset : 1;
    put_int(h, M_IR_VERSION, ir_version_for(opset));
    put_str(h, M_PRODUCER_NAME, "edgerun");
    put_str(h, M_PRODUCER_VERSION, er_version());
    pbuf os = {0};
    put_int(&os, OS_VERSION, opset); /* default domain: domain field absent = "" */
    put_msg(h, M_OPSET_IMPORT, &os);
    for (int i = 0; i < g->n_nodes; i++) {
        const er_node *n = &g->nodes[i];
        const char *d = norm_domain(n->op_type ? n->domain : "");
        if (!d[0]) continue;
        int seen = 0, best = n->opset > 0 ? n->opset : 1;
        for (int j = 0; j < g->n_nodes && !seen; j++) {
            const er_node *m = &g->nodes[j];
            if (!m->op_type || strcmp(norm_domain(m->domain), d) != 0) continue;
            if (j < i) seen = 1; /* listed when its first node was reached */
            else if (m->opset > best) best = m->opset;
        }
        if (seen) continue;
        pbuf_reset(&os);
        put_str(&os, OS_DOMAIN, d);
        put_int(&os, OS_VERSION, best);
        put_msg(h, M_OPSET_IMPORT, &os);
    }
    int oom = os.oom || h->oom;
    er_free(os.d);
    return oom ? er_fail(ER_ERR_NOMEM, "out of memory writing ONNX") : ER_OK;
}

static void writer_free(writer *w) {
    er_free(w->meta.d);
    er_free(w->tmp.d);
    er_free(w->tmp2.d);
    er_free(w->tmp3.d);
    er_free(w->chunks);
}

/* Encodes everything; *head receives the model fields and the graph's tag
 * and length, after which the chunks follow. */
static er_status encode(const er_graph *g, writer *w, pbuf *head) {
    memset(w, 0, sizeof *w);
    memset(head, 0, sizeof *head);
    w->g = g;
    if (!g) return er_fail(ER_ERR_INVALID_ARG, "ONNX export: graph is NULL");
    ER_TRY(graph_body(w));
    ER_TRY(model_header(w, head));
    size_t graph_len = 0;
    for (int i = 0; i < w->n_chunks; i++)
        if (!er_add_size(&graph_len, graph_len, w->chunks[i].len))
            return er_fail(ER_ERR_INVALID_ARG, "ONNX export: the model is too large");
    put_tag(head, M_GRAPH, W_LEN);
    put_varint(head, graph_len);
    if (head->oom) return er_fail(ER_ERR_NOMEM, "out of memory writing ONNX");
    return ER_OK;
}

static const uint8_t *chunk_ptr(const writer *w, const chunk *c) {
    return c->ext ? c->ext : w->meta.d + c->off;
}

er_status er_onnx_export_memory(const er_graph *g, void **out, size_t *size) {
    if (!out || !size) return er_fail(ER_ERR_INVALID_ARG, "ONNX export: out is NULL");
    *out = NULL;
    *size = 0;
    writer w;
    pbuf head;
    er_status st = encode(g, &w, &head);
    if (st == ER_OK) {
        size_t total = head.n;
        for (int i = 0; i < w.n_chunks; i++) total += w.chunks[i].len; /* checked in encode */
        uint8_t *buf = er_malloc(total ? total : 1);
        if (!buf) {
            st = er_fail(ER_ERR_NOMEM, "out of memory writing ONNX (%zu bytes)", total);
        } else {
            memcpy(buf, head.d, head.n);
            size_t at = head.n;
            for (int i = 0; i < w.n_chunks; i++) {
                memcpy(buf + at, chunk_ptr(&w, &w.chunks[i]), w.chunks[i].len);
                at += w.chunks[i].len;
            }
            *out = buf;
            *size = total;
        }
    }
    er_free(head.d);
    writer_free(&w);
    return st;
}

er_status er_onnx_export_file(const er_graph *g, const char *path) {
    if (!path) return er_fail(ER_ERR_INVALID_ARG, "ONNX export: path is NULL");
    writer w;
    pbuf head;
    er_status st = encode(g, &w, &head);
    char *tmp = NULL;
    FILE *f = NULL;
    if (st != ER_OK) goto done;
    size_t plen = strlen(path);
    tmp = er_malloc(plen + 16);
    if (!tmp) {
        st = er_fail(ER_ERR_NOMEM, "out of memory");
        goto done;
    }
    snprintf(tmp, plen + 16, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        st = er_fail(ER_ERR_IO, "%s: cannot create a temporary file next to it: %s", path,
                     strerror(errno));
        er_free(tmp);
        tmp = NULL;
        goto done;
    }
    /* mkstemp makes the file private (0600); a model is an ordinary file */
    mode_t mask = umask(0);
    umask(mask);
    fchmod(fd, 0666 & ~mask);
    f = fdopen(fd, "wb");
    if (!f) {
        close(fd);
        st = er_fail(ER_ERR_IO, "%s: cannot open for writing: %s", tmp, strerror(errno));
        goto done;
    }
    int ok = fwrite(head.d, 1, head.n, f) == head.n;
    for (int i = 0; ok && i < w.n_chunks; i++)
        ok = fwrite(chunk_ptr(&w, &w.chunks[i]), 1, w.chunks[i].len, f) == w.chunks[i].len;
    if (!ok) st = er_fail(ER_ERR_IO, "%s: write failed: %s", tmp, strerror(errno));
    if (fclose(f) != 0 && st == ER_OK)
        st = er_fail(ER_ERR_IO, "%s: write failed: %s", tmp, strerror(errno));
    f = NULL;
    if (st == ER_OK && rename(tmp, path) != 0)
        st = er_fail(ER_ERR_IO, "%s: cannot rename the temporary file into place: %s", path,
                     strerror(errno));
done:
    if (tmp && st != ER_OK) remove(tmp);
    er_free(tmp);
    er_free(head.d);
    writer_free(&w);
    return st;
}
