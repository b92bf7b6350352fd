/* test_onnx_export.c - the ONNX writer (src/import/onnx/onnx_export.c):
 * load -> write -> load gives the same graph (nodes, domains, opsets, every
 * attribute kind the IR keeps, initializers of every dtype, declared
 * inputs/outputs with symbolic dims) and the same outputs; writing fails
 * cleanly (unsupported attributes, unwritable paths, out of memory). */
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/tensor.h"
#include "import/onnx/onnx_export.h"
#include "runtime/model.h"
#include "runtime/session.h"
#include "support/builder.h"
#include "support/pbw.h"
#include "test.h"

static er_model *load_pbw(const pbw *w) {
    er_model *m = NULL;
    if (er_model_load_memory(w->d, w->n, NULL, &m) != ER_OK) printf("  load: %s\n", er_last_error());
    return m;
}

/* Writes m's graph to memory and loads it back. */
static er_model *roundtrip(const er_model *m) {
    void *buf;
    size_t n;
    if (er_onnx_export_memory(m->graph, &buf, &n) != ER_OK) {
        printf("  export: %s\n", er_last_error());
        return NULL;
    }
    er_model *r = NULL;
    if (er_model_load_memory(buf, n, NULL, &r) != ER_OK) printf("  reload: %s\n", er_last_error());
    er_free(buf);
    return r;
}

static int attr_equal(const er_attr *a, const er_attr *b) {
    if (strcmp(a->name, b->name) != 0 || a->type != b->type) return 0;
    switch (a->type) {
    case ER_ATTR_FLOAT: return memcmp(&a->f, &b->f, 4) == 0;
    case ER_ATTR_INT: return a->i == b->i;
    case ER_ATTR_STRING: return a->s_len == b->s_len && memcmp(a->s, b->s, a->s_len) == 0;
    case ER_ATTR_FLOATS:
        return a->n == b->n && (a->n == 0 || memcmp(a->floats, b->floats, 4 * (size_t)a->n) == 0);
    case ER_ATTR_INTS:
        return a->n == b->n && (a->n == 0 || memcmp(a->ints, b->ints, 8 * (size_t)a->n) == 0);
    case ER_ATTR_STRINGS:
        if (a->n != b->n) return 0;
        for (int i = 0; i < a->n; i++)
            if (strcmp(a->strings[i], b->strings[i]) != 0) return 0;
        return 1;
    case ER_ATTR_TENSOR:
        return a->t->dtype == b->t->dtype && er_shape_equal(a->t->rank, a->t->dims, b->t->rank,
                                                            b->t->dims) &&
               memcmp(a->t->data, b->t->data, er_tensor_nbytes(a->t)) == 0;
    default: return 0;
    }
}

/* Structural equality; prints the first difference. */
static int graphs_equal(const er_graph *a, const er_graph *b) {
    if (a->n_nodes != b->n_nodes || a->n_inputs != b->n_inputs || a->n_outputs != b->n_outputs ||
        a->opset != b->opset) {
        printf("  counts differ: nodes %d/%d inputs %d/%d outputs %d/%d opset %lld/%lld\n",
               a->n_nodes, b->n_nodes, a->n_inputs, b->n_inputs, a->n_outputs, b->n_outputs,
               (long long)a->opset, (long long)b->opset);
        return 0;
    }
    for (int i = 0; i < a->n_nodes; i++) {
        const er_node *x = &a->nodes[i], *y = &b->nodes[i];
        if (strcmp(x->name, y->name) || strcmp(x->op_type, y->op_type) ||
            strcmp(x->domain, y->domain) || x->opset != y->opset || x->n_in != y->n_in ||
            x->n_out != y->n_out || x->n_attr != y->n_attr) {
            printf("  node %d differs: %s/%s %s/%s opset %d/%d\n", i, x->name, y->name,
                   x->op_type, y->op_type, x->opset, y->opset);
            return 0;
        }
        for (int k = 0; k < x->n_in; k++) {
            const char *p = x->in[k] >= 0 ? a->values[x->in[k]].name : "";
            const char *q = y->in[k] >= 0 ? b->values[y->in[k]].name : "";
            if (strcmp(p, q)) {
                printf("  node %s input %d: %s vs %s\n", x->name, k, p, q);
                return 0;
            }
        }
        for (int k = 0; k < x->n_out; k++)
            if (strcmp(a->values[x->out[k]].name, b->values[y->out[k]].name)) return 0;
        for (int k = 0; k < x->n_attr; k++)
            if (!attr_equal(&x->attr[k], &y->attr[k])) {
                printf("  node %s attribute %s differs\n", x->name, x->attr[k].name);
                return 0;
            }
    }
    for (int v = 0; v < a->n_values; v++) {
        const er_value *x = &a->values[v];
        int w = er_graph_find(b, x->name);
        if (w < 0) {
            if (x->data) { /* unused initializers are not written */
                bool used = x->is_output;
                for (int i = 0; i < a->n_nodes; i++)
                    for (int k = 0; k < a->nodes[i].n_in; k++) used |= a->nodes[i].in[k] == v;
                if (!used) continue;
            }
            printf("  value %s missing\n", x->name);
            return 0;
        }
        const er_value *y = &b->values[w];
        if ((x->data != NULL) != (y->data != NULL) || x->is_input != y->is_input ||
            x->is_output != y->is_output) {
            printf("  value %s kind differs\n", x->name);
            return 0;
        }
        if (!x->data && !x->is_input && !x->is_output) continue; /* undeclared intermediate */
        if (x->dtype != y->dtype || x->rank != y->rank) {
            printf("  value %s: dtype %d/%d rank %d/%d\n", x->name, x->dtype, y->dtype, x->rank,
                   y->rank);
            return 0;
        }
        for (int k = 0; k < x->rank; k++) {
            if (x->dims[k] != y->dims[k] || (x->dim_param[k] == NULL) != (y->dim_param[k] == NULL) ||
                (x->dim_param[k] && strcmp(x->dim_param[k], y->dim_param[k]))) {
                printf("  value %s dim %d differs\n", x->name, k);
                return 0;
            }
        }
        if (x->data && (x->data_bytes != y->data_bytes ||
                        memcmp(x->data, y->data, x->data_bytes) != 0)) {
            printf("  value %s data differs\n", x->name);
            return 0;
        }
    }
    return 1;
}

/* A node of a custom domain carrying every attribute kind, initializers of
 * many dtypes, a symbolic input dim and an optional (empty) input. */
static void model_all_kinds(pbw *out) {
    pbw g = {0}, attrs = {0}, a = {0}, t = {0}, node = {0};
    onnx_attr_int(&attrs, "i", -42);
    onnx_attr_float(&attrs, "f", -0.375f);
    int64_t ints[4] = {1, -2, 3000000000LL, 0};
    onnx_attr_ints(&attrs, "ints", 4, ints);
    pbw_str(&a, 1, "s");
    pbw_int(&a, 20, 3);
    pbw_bytes(&a, 4, "hello\0world", 11); /* strings are bytes: NUL kept */
    pbw_msg(&attrs, 5, &a);
    pbw_free(&a);
    pbw_str(&a, 1, "floats");
    pbw_int(&a, 20, 6);
    float fl[3] = {1.5f, -INFINITY, 1e-30f};
    for (int i = 0; i < 3; i++) pbw_f32(&a, 7, fl[i]); /* unpacked on input */
    pbw_msg(&attrs, 5, &a);
    pbw_free(&a);
    pbw_str(&a, 1, "strings");
    pbw_int(&a, 20, 8);
    pbw_str(&a, 9, "a");
    pbw_str(&a, 9, "");
    pbw_str(&a, 9, "ccc");
    pbw_msg(&attrs, 5, &a);
    pbw_free(&a);
    int64_t td[2] = {2, 3};
    int32_t tv[6] = {1, -2, 3, -4, 5, 2147483647};
    onnx_tensor(&t, "", 6, 2, td, tv, sizeof tv);
    pbw_str(&a, 1, "t");
    pbw_int(&a, 20, 4);
    pbw_msg(&a, 5, &t);
    pbw_msg(&attrs, 5, &a);
    pbw_free(&a);
    pbw_free(&t);
    pbw_str(&a, 1, "empty_ints");
    pbw_int(&a, 20, 7);
    pbw_msg(&attrs, 5, &a);
    pbw_free(&a);
    onnx_node(&node, "Everything", "n0", MB_IO("x", "", "w_f16", "w_i8", "w_u8", "w_i64", "w_b",
                                                "w_f64", "w_scalar"),
              MB_IO("y", "y2"), &attrs);
    pbw_str(&node, 7, "test.domain");
    pbw_msg(&g, 1, &node);
    pbw_free(&node);
    onnx_node(&node, "Relu", "r0", MB_IO("y"), MB_IO("z"), NULL);
    pbw_msg(&g, 1, &node);
    pbw_free(&node);
    pbw_free(&attrs);
    pbw_str(&g, 2, "g");
    int64_t d1[1] = {3}, d0[1] = {0};
    uint16_t h[3] = {0x3c00, 0xc000, 0x7bff};
    int8_t i8[3] = {-128, 0, 127};
    uint8_t u8[3] = {0, 128, 255};
    int64_t i64[3] = {INT64_MIN, 0, INT64_MAX};
    uint8_t bo[3] = {1, 0, 1};
    double f64[3] = {1e300, -0.0, 3.25};
    float sc = 2.5f;
    onnx_tensor(&t, "w_f16", 10, 1, d1, h, sizeof h);
    pbw_msg(&g, 5, &t);
    pbw_free(&t);
    onnx_tensor(&t, "w_i8", 3, 1, d1, i8, sizeof i8);
    pbw_msg(&g, 5, &t);
    pbw_free(&t);
    onnx_tensor(&t, "w_u8", 2, 1, d1, u8, sizeof u8);
    pbw_msg(&g, 5, &t);
    pbw_free(&t);
    onnx_tensor(&t, "w_i64", 7, 1, d1, i64, sizeof i64);
    pbw_msg(&g, 5, &t);
    pbw_free(&t);
    onnx_tensor(&t, "w_b", 9, 1, d1, bo, sizeof bo);
    pbw_msg(&g, 5, &t);
    pbw_free(&t);
    onnx_tensor(&t, "w_f64", 11, 1, d1, f64, sizeof f64);
    pbw_msg(&g, 5, &t);
    pbw_free(&t);
    onnx_tensor(&t, "w_scalar", 1, 0, NULL, &sc, sizeof sc);
    pbw_msg(&g, 5, &t);
    pbw_free(&t);
    onnx_tensor(&t, "w_empty", 1, 1, d0, NULL, 0); /* an initializer that is a graph output */
    pbw_msg(&g, 5, &t);
    pbw_free(&t);
    int64_t xd[3] = {-1, 4, 5};
    onnx_value_info(&t, "x", 1, 3, xd);
    pbw_msg(&g, 11, &t);
    pbw_free(&t);
    onnx_value_info(&t, "z", 1, 3, xd);
    pbw_msg(&g, 12, &t);
    pbw_free(&t);
    pbw_str(&t, 1, "y2"); /* output without a type */
    pbw_msg(&g, 12, &t);
    pbw_free(&t);
    onnx_value_info(&t, "w_empty", 1, 1, d0);
    pbw_msg(&g, 12, &t);
    pbw_free(&t);
    pbw op = {0}, op2 = {0};
    pbw_str(&op, 1, "");
    pbw_int(&op, 2, 17);
    pbw_str(&op2, 1, "test.domain");
    pbw_int(&op2, 2, 3);
    pbw_int(out, 1, 8);
    pbw_msg(out, 8, &op);
    pbw_msg(out, 8, &op2);
    pbw_msg(out, 7, &g);
    pbw_free(&op);
    pbw_free(&op2);
    pbw_free(&g);
}

TEST(onnx_export_roundtrip_all_kinds) {
    pbw w = {0};
    model_all_kinds(&w);
    er_model *m = load_pbw(&w);
    pbw_free(&w);
    CHECK(m);
    CHECK_EQ_INT(m->graph->nodes[0].n_attr, 8);
    er_model *r = roundtrip(m);
    CHECK(r);
    CHECK(graphs_equal(m->graph, r->graph));
    CHECK(strcmp(r->graph->nodes[0].domain, "test.domain") == 0);
    CHECK_EQ_INT(r->graph->nodes[0].opset, 3);
    CHECK(r->graph->nodes[0].in[1] == -1); /* the empty optional input */
    /* a second round trip gives the same bytes */
    void *b1, *b2;
    size_t n1, n2;
    CHECK_STATUS(er_onnx_export_memory(m->graph, &b1, &n1), ER_OK);
    CHECK_STATUS(er_onnx_export_memory(r->graph, &b2, &n2), ER_OK);
    CHECK(n1 == n2 && memcmp(b1, b2, n1) == 0);
    er_free(b1);
    er_free(b2);
    er_model_free(r);
    er_model_free(m);
}

/* Conv + Relu + Constant (tensor attribute) + Add + Resize (string
 * attributes) + Gemm: outputs before and after the round trip are equal. */
static er_model *runnable_model(void) {
    mb b;
    mb_init(&b);
    int64_t xd[4] = {-1, 3, 6, 6}, wd[4] = {4, 3, 3, 3}, bd[1] = {4};
    mb_input(&b, "x", ER_F32, 4, xd);
    mb_const_rand(&b, "w", 4, wd, 7, -0.5f, 0.5f);
    mb_const_rand(&b, "bias", 1, bd, 8, -0.1f, 0.1f);
    pbw at = {0};
    int64_t pads[4] = {1, 1, 1, 1};
    onnx_attr_ints(&at, "pads", 4, pads);
    mb_node(&b, "Conv", "conv", MB_IO("x", "w", "bias"), MB_IO("c"), &at);
    pbw_free(&at);
    mb_node(&b, "Relu", "relu", MB_IO("c"), MB_IO("r"), NULL);
    pbw t = {0}, a = {0};
    float cv[4] = {0.25f, -1, 2, 0.5f};
    int64_t cd[4] = {1, 4, 1, 1};
    onnx_tensor(&t, "cval", 1, 4, cd, cv, sizeof cv);
    pbw_str(&a, 1, "value");
    pbw_int(&a, 20, 4);
    pbw_msg(&a, 5, &t);
    pbw_msg(&at, 5, &a);
    mb_node(&b, "Constant", "const", NULL, MB_IO("k"), &at);
    pbw_free(&t);
    pbw_free(&a);
    pbw_free(&at);
    mb_node(&b, "Add", "add", MB_IO("r", "k"), MB_IO("s"), NULL);
    float scales[4] = {1, 1, 0.5f, 0.5f};
    int64_t sd[1] = {4};
    mb_const(&b, "scales", ER_F32, 1, sd, scales);
    pbw_str(&a, 1, "mode");
    pbw_int(&a, 20, 3);
    pbw_str(&a, 4, "linear");
    pbw_msg(&at, 5, &a);
    pbw_free(&a);
    pbw_str(&a, 1, "coordinate_transformation_mode");
    pbw_int(&a, 20, 3);
    pbw_str(&a, 4, "half_pixel");
    pbw_msg(&at, 5, &a);
    pbw_free(&a);
    mb_node(&b, "Resize", "resize", MB_IO("s", "", "scales"), MB_IO("z"), &at);
    pbw_free(&at);
    mb_node(&b, "Flatten", "flat", MB_IO("z"), MB_IO("f"), NULL);
    int64_t gd[2] = {36, 5};
    mb_const_rand(&b, "gw", 2, gd, 9, -0.3f, 0.3f);
    onnx_attr_float(&at, "alpha", 0.5f);
    mb_node(&b, "Gemm", "gemm", MB_IO("f", "gw"), MB_IO("y"), &at);
    pbw_free(&at);
    mb_output(&b, "y");
    return mb_load(&b, 13);
}

static int outputs_equal(const er_model *a, const er_model *b, int64_t batch) {
    int64_t xd[4] = {batch, 3, 6, 6};
    er_tensor *x;
    if (er_tensor_create(ER_F32, 4, xd, &x) != ER_OK) return 0;
    float *xv = er_tensor_data(x);
    unsigned seed = 3;
    for (size_t i = 0; i < er_tensor_count(x); i++) xv[i] = (float)rand_r(&seed) / (float)RAND_MAX - 0.5f;
    er_session *s[2] = {NULL, NULL};
    er_tensor *y[2];
    int ok = 1;
    const er_model *ms[2] = {a, b};
    for (int k = 0; k < 2 && ok; k++) {
        er_options o;
        er_options_init(&o);
        ok = er_session_create(ms[k], &o, &s[k]) == ER_OK &&
             er_session_run(s[k], (const er_tensor *const *)&x, &y[k]) == ER_OK;
        if (!ok) printf("  run: %s\n", er_last_error());
    }
    if (ok) {
        ok = er_tensor_count(y[0]) == er_tensor_count(y[1]) &&
             memcmp(er_tensor_data(y[0]), er_tensor_data(y[1]), er_tensor_size_bytes(y[0])) == 0;
        if (!ok) printf("  outputs differ\n");
    }
    er_session_free(s[0]);
    er_session_free(s[1]);
    er_tensor_free(x);
    return ok;
}

TEST(onnx_export_roundtrip_runs_the_same) {
    er_model *m = runnable_model();
    CHECK(m);
    er_model *r = roundtrip(m);
    CHECK(r);
    CHECK(graphs_equal(m->graph, r->graph));
    CHECK(outputs_equal(m, r, 1));
    CHECK(outputs_equal(m, r, 3)); /* the symbolic batch dim survived */
    er_model_free(r);
    er_model_free(m);
}

#ifdef ER_MODELS_DIR
TEST(onnx_export_bundled_cnn_file) {
    er_model *m = NULL, *r = NULL;
    CHECK_STATUS(er_model_load(ER_MODELS_DIR "/fashion_mnist_cnn.onnx", &m), ER_OK);
    char path[] = "/tmp/er_export_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    CHECK_STATUS(er_onnx_export_file(m->graph, path), ER_OK);
    er_status st = er_model_load(path, &r);
    remove(path);
    CHECK_STATUS(st, ER_OK);
    CHECK(graphs_equal(m->graph, r->graph));
    er_model_free(r);
    r = NULL;
    /* er_model_save writes ONNX for a .onnx path (.erm otherwise) */
    char opath[] = "/tmp/er_save_XXXXXX.onnx";
    fd = mkstemps(opath, 5);
    CHECK(fd >= 0);
    close(fd);
    CHECK_STATUS(er_model_save(m, opath), ER_OK);
    FILE *f = fopen(opath, "rb");
    CHECK(f);
    unsigned char head[2] = {0, 0};
    CHECK(fread(head, 1, 2, f) == 2);
    fclose(f);
    CHECK(head[0] == 0x08); /* ModelProto.ir_version, not the .erm magic */
    st = er_model_load(opath, &r);
    remove(opath);
    CHECK_STATUS(st, ER_OK);
    CHECK(graphs_equal(m->graph, r->graph));
    int64_t xd[4] = {2, 1, 28, 28};
    er_tensor *x;
    CHECK_STATUS(er_tensor_create(ER_F32, 4, xd, &x), ER_OK);
    float *xv = er_tensor_data(x);
    for (int i = 0; i < 2 * 784; i++) xv[i] = (float)((i * 37) % 256) / 255.0f;
    er_session *s1, *s2;
    er_tensor *y1, *y2;
    CHECK_STATUS(er_session_create(m, NULL, &s1), ER_OK);
    CHECK_STATUS(er_session_create(r, NULL, &s2), ER_OK);
    CHECK_STATUS(er_session_run(s1, (const er_tensor *const *)&x, &y1), ER_OK);
    CHECK_STATUS(er_session_run(s2, (const er_tensor *const *)&x, &y2), ER_OK);
    CHECK(memcmp(er_tensor_data(y1), er_tensor_data(y2), er_tensor_size_bytes(y1)) == 0);
    er_session_free(s1);
    er_session_free(s2);
    er_tensor_free(x);
    er_model_free(r);
    er_model_free(m);
}
#endif

TEST(onnx_export_errors) {
    er_model *m = runnable_model();
    CHECK(m);
    /* an unwritable place: a clear I/O error, nothing left behind */
    CHECK_STATUS(er_onnx_export_file(m->graph, "/nonexistent-dir/x.onnx"), ER_ERR_IO);
    CHECK_ERROR_HAS("/nonexistent-dir/x.onnx");
    CHECK_STATUS(er_onnx_export_file(m->graph, NULL), ER_ERR_INVALID_ARG);
    /* a graph attribute: the IR does not keep subgraphs */
    er_graph *g = m->graph;
    er_node *n = &g->nodes[0];
    er_attr *a = &n->attr[0];
    er_attr_type saved = a->type;
    a->type = ER_ATTR_GRAPH;
    void *buf = NULL;
    size_t size = 0;
    CHECK_STATUS(er_onnx_export_memory(g, &buf, &size), ER_ERR_UNSUPPORTED);
    CHECK_ERROR_HAS("cannot be written");
    CHECK(buf == NULL);
    a->type = saved;
    /* out of memory at every allocation: an error, never a crash or a leak */
    for (long k = 0;; k++) {
        er_alloc_fail_after(k);
        er_status st = er_onnx_export_memory(g, &buf, &size);
        er_alloc_fail_after(-1);
        if (st == ER_OK) {
            er_free(buf);
            break;
        }
        CHECK_STATUS(st, ER_ERR_NOMEM);
        CHECK(k < 10000);
    }
    er_model_free(m);
}
