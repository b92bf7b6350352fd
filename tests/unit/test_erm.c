/* test_erm.c - the native .erm format: checksum vectors, ONNX -> .erm -> load
 * round trips (identical graphs, identical outputs) over the whole ONNX node
 * suite and the test models, every attribute kind, zero-copy weights,
 * external data, quantization parameters, deterministic rewriting, optional
 * sections and the checksum-skip flag. Malformed files: tests/anomaly. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/mapfile.h"
#include "core/pool.h"
#include "import/erm/erm_format.h"
#include "import/onnx/onnx_import.h"
#include "runtime/model.h"
#include "support/erm_util.h"
#include "support/models.h"
#include "test.h"

#ifndef ER_NODE_TESTS_DIR
#define ER_NODE_TESTS_DIR "../shared/onnx-node-tests"
#endif

static const char *node_tests_dir(void) {
    const char *d = getenv("EDGERUN_ONNX_NODE_TESTS");
    return d && d[0] ? d : ER_NODE_TESTS_DIR;
}

/* ONNX bytes -> model -> .erm bytes -> model. */
static er_status via_erm(er_model *src, void **buf, size_t *size, er_model **out) {
    er_status st = er_erm_write_memory(src->graph, buf, size);
    if (st != ER_OK) return st;
    return er_model_load_memory(*buf, *size, NULL, out);
}

static unsigned char *read_all(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    unsigned char *b = malloc(n > 0 ? (size_t)n : 1);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    *size = (size_t)n;
    return b;
}

/* Runs m on `in` with one thread; *out receives copies of the outputs. */
static er_status run_copy(const er_model *m, int n_in, er_tensor **in, er_tensor **out,
                          int max_out) {
    er_options o;
    er_options_init(&o);
    o.threads = 1;
    int ranks[64];
    const int64_t *dims[64];
    if (in) {
        for (int i = 0; i < n_in; i++) {
            ranks[i] = in[i]->rank;
            dims[i] = in[i]->dims;
        }
        o.n_input_shapes = n_in;
        o.input_ranks = ranks;
        o.input_dims = dims;
    }
    er_session *s = NULL;
    er_tensor *own[64] = {0}, *y[64];
    er_status st = er_session_create(m, &o, &s);
    int n_out = er_model_output_count(m);
    if (st == ER_OK && (n_in > 64 || n_out > max_out)) st = ER_ERR_UNSUPPORTED;
    if (st == ER_OK && !in) { /* zero inputs of the planned shapes */
        for (int i = 0; i < n_in && st == ER_OK; i++) {
            er_dtype dt;
            int rank;
            int64_t d[ER_MAX_RANK];
            st = er_session_input_info(s, i, &dt, &rank, d);
            if (st == ER_OK) st = er_tensor_create(dt, rank, d, &own[i]);
            if (st == ER_OK && dt == ER_F32)
                for (size_t k = 0; k < er_tensor_count(own[i]); k++)
                    ((float *)own[i]->data)[k] = (float)(k % 13) * 0.25f - 1.0f;
        }
        in = own;
    }
    if (st == ER_OK) st = er_session_run(s, (const er_tensor *const *)in, y);
    for (int k = 0; st == ER_OK && k < n_out; k++) {
        st = er_tensor_create(y[k]->dtype, y[k]->rank, y[k]->dims, &out[k]);
        if (st == ER_OK && er_tensor_nbytes(y[k]))
            memcpy(out[k]->data, y[k]->data, er_tensor_nbytes(y[k]));
    }
    for (int i = 0; i < 64; i++) er_tensor_free(own[i]);
    er_session_free(s);
    return st;
}

static int outputs_identical(int n, er_tensor **a, er_tensor **b, char *msg, size_t cap) {
    for (int k = 0; k < n; k++) {
        if (a[k]->dtype != b[k]->dtype ||
            !er_shape_equal(a[k]->rank, a[k]->dims, b[k]->rank, b[k]->dims)) {
            snprintf(msg, cap, "output %d dtype/shape differ", k);
            return 0;
        }
        size_t nb = er_tensor_nbytes(a[k]);
        if (nb && memcmp(a[k]->data, b[k]->data, nb) != 0) {
            snprintf(msg, cap, "output %d bytes differ", k);
            return 0;
        }
    }
    return 1;
}

/* erm_model_runnable() loaded from its ONNX bytes. */
static er_status load_runnable(er_model **out) {
    pbw w = {0};
    erm_model_runnable(&w);
    er_status st = er_model_load_memory(w.d, w.n, NULL, out);
    pbw_free(&w);
    return st;
}

TEST(erm_xxh64_matches_reference_vectors) {
    /* expected values from `xxhsum -H64` (xxHash 0.8.1) */
    CHECK(er_xxh64("", 0) == 0xef46db3751d8e999ull);
    CHECK(er_xxh64("abc", 3) == 0x44bc2cf5ad770999ull);
    CHECK(er_xxh64("Nobody inspects the spammish repetition", 39) == 0xfbcea83c8a378bf1ull);
    unsigned char p[1000];
    for (int i = 0; i < 1000; i++) p[i] = (unsigned char)((i * 7 + 3) & 255);
    CHECK(er_xxh64(p, 37) == 0xe32ef63802f5a3fdull);
    CHECK(er_xxh64(p, 64) == 0x0eb64b3ef6eeb01full);
    CHECK(er_xxh64(p, 1000) == 0x5f235fa033f1a3fbull);
    /* streaming in uneven pieces gives the one-shot value */
    for (size_t step = 1; step < 70; step += 3) {
        er_xxh64_state h;
        er_xxh64_init(&h);
        for (size_t at = 0; at < 1000; at += step)
            er_xxh64_update(&h, p + at, at + step <= 1000 ? step : 1000 - at);
        CHECK_MSG(er_xxh64_digest(&h) == 0x5f235fa033f1a3fbull, "step %zu", step);
    }
}

/* Every node-test model that loads from ONNX survives the round trip with an
 * identical graph, and gives bit-identical outputs on its own test data. */
TEST(erm_round_trip_every_node_test_model) {
    const char *dir = node_tests_dir();
    DIR *d = opendir(dir);
    CHECK_MSG(d != NULL, "cannot open %s (set EDGERUN_ONNX_NODE_TESTS)", dir);
    struct dirent *e;
    int converted = 0, compared = 0;
    char path[4096], msg[512];
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, "test_", 5) != 0) continue;
        snprintf(path, sizeof path, "%s/%s/model.onnx", dir, e->d_name);
        er_model *a = NULL, *b = NULL;
        if (er_model_load(path, &a) != ER_OK) continue;
        void *buf = NULL;
        size_t size = 0;
        er_status st = via_erm(a, &buf, &size, &b);
        if (st != ER_OK) closedir(d);
        CHECK_MSG(st == ER_OK, "%s: %s", e->d_name, er_last_error());
        int eq = erm_graph_equal(a->graph, b->graph, msg, sizeof msg);
        if (!eq) closedir(d);
        CHECK_MSG(eq, "%s: %s", e->d_name, msg);
        converted++;
        /* outputs on test_data_set_0 */
        er_tensor *in[64] = {0}, *ya[64] = {0}, *yb[64] = {0};
        int n_in = er_model_input_count(a), ok = n_in <= 64;
        for (int i = 0; ok && i < n_in; i++) {
            snprintf(path, sizeof path, "%s/%s/test_data_set_0/input_%d.pb", dir, e->d_name, i);
            size_t n;
            unsigned char *pb = read_all(path, &n);
            ok = pb && er_onnx_read_tensor_proto(pb, n, &in[i], NULL, 0) == ER_OK;
            free(pb);
            er_dtype want;
            if (ok && er_model_input_info(a, i, &want, NULL, NULL) == ER_OK && want == ER_BF16 &&
                in[i]->dtype == ER_U16)
                in[i]->dtype = ER_BF16;
        }
        if (ok) {
            er_status sa = run_copy(a, n_in, in, ya, 64), sb = run_copy(b, n_in, in, yb, 64);
            int same = sa == sb && (sa != ER_OK ||
                                    outputs_identical(er_model_output_count(a), ya, yb, msg,
                                                      sizeof msg));
            if (sa != sb) snprintf(msg, sizeof msg, "status %d from ONNX, %d from .erm", sa, sb);
            if (sa == ER_OK) compared++;
            for (int k = 0; k < 64; k++) {
                er_tensor_free(ya[k]);
                er_tensor_free(yb[k]);
            }
            if (!same) closedir(d);
            CHECK_MSG(same, "%s: %s", e->d_name, msg);
        }
        for (int i = 0; i < 64; i++) er_tensor_free(in[i]);
        er_model_free(a);
        er_model_free(b);
        er_aligned_free(buf);
    }
    closedir(d);
    printf("  %d node-test models round-tripped, %d with identical outputs\n", converted,
           compared);
    CHECK_MSG(converted >= 800, "only %d models converted", converted);
    CHECK_MSG(compared >= 700, "only %d models compared", compared);
}

/* The test-support model (symbolic batch) through a real file. */
TEST(erm_round_trip_support_model_through_file) {
    pbw w = {0};
    model_add_mul(&w, -1);
    er_model *a = NULL, *b = NULL;
    CHECK_STATUS(er_model_load_memory(w.d, w.n, NULL, &a), ER_OK);
    pbw_free(&w);
    char path[] = "/tmp/er_erm_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    CHECK_STATUS(er_model_save(a, path), ER_OK);
    CHECK_STATUS(er_model_load(path, &b), ER_OK);
    unlink(path);
    char msg[512];
    CHECK_MSG(erm_graph_equal(a->graph, b->graph, msg, sizeof msg), "%s", msg);
    const er_value *x = &b->graph->values[b->graph->inputs[0]];
    CHECK(x->rank == 2 && x->dims[0] == -1 && x->dim_param[0] && strcmp(x->dim_param[0], "N") == 0);
    er_tensor *ya[4] = {0}, *yb[4] = {0};
    CHECK_STATUS(run_copy(a, 1, NULL, ya, 4), ER_OK);
    CHECK_STATUS(run_copy(b, 1, NULL, yb, 4), ER_OK);
    int same = outputs_identical(1, ya, yb, msg, sizeof msg);
    er_tensor_free(ya[0]);
    er_tensor_free(yb[0]);
    er_model_free(a);
    er_model_free(b);
    CHECK_MSG(same, "%s", msg);
}

TEST(erm_runnable_model_identical_outputs) {
    er_model *a = NULL, *b = NULL;
    CHECK_STATUS(load_runnable(&a), ER_OK);
    void *buf;
    size_t size;
    CHECK_STATUS(via_erm(a, &buf, &size, &b), ER_OK);
    char msg[512];
    CHECK_MSG(erm_graph_equal(a->graph, b->graph, msg, sizeof msg), "%s", msg);
    er_tensor *ya[4] = {0}, *yb[4] = {0};
    CHECK_STATUS(run_copy(a, 1, NULL, ya, 4), ER_OK);
    CHECK_STATUS(run_copy(b, 1, NULL, yb, 4), ER_OK);
    CHECK(ya[0]->rank == 4 && ya[0]->dims[1] == 2 && ya[0]->dims[3] == 3);
    int same = outputs_identical(1, ya, yb, msg, sizeof msg);
    /* not a trivial output: some values are non-zero */
    int nonzero = 0;
    for (size_t k = 0; k < er_tensor_count(ya[0]); k++) nonzero += ((float *)ya[0]->data)[k] != 0;
    er_tensor_free(ya[0]);
    er_tensor_free(yb[0]);
    er_model_free(a);
    er_model_free(b);
    er_aligned_free(buf);
    CHECK_MSG(same, "%s", msg);
    CHECK(nonzero > 5);
}

TEST(erm_all_attribute_kinds) {
    pbw w = {0};
    erm_model_all_attrs(&w);
    er_model *a = NULL, *b = NULL;
    CHECK_STATUS(er_model_load_memory(w.d, w.n, NULL, &a), ER_OK);
    pbw_free(&w);
    void *buf;
    size_t size;
    CHECK_STATUS(via_erm(a, &buf, &size, &b), ER_OK);
    char msg[512];
    int eq = erm_graph_equal(a->graph, b->graph, msg, sizeof msg);
    const er_node *n = &b->graph->nodes[0];
    int ok = n->n_attr == 9 && strcmp(n->domain, "com.example") == 0;
    const er_attr *s = er_attr_find(n, "s"), *t = er_attr_find(n, "t");
    const er_attr *fl = er_attr_find(n, "floats"), *st = er_attr_find(n, "strings");
    const er_attr *g = er_attr_find(n, "g"), *ts = er_attr_find(n, "tensors");
    ok = ok && s && s->type == ER_ATTR_STRING && s->s_len == 3 && memcmp(s->s, "a\0b", 3) == 0;
    ok = ok && t && t->type == ER_ATTR_TENSOR && t->t->dtype == ER_I64 &&
         ((const int64_t *)t->t->data)[1] == -6;
    ok = ok && fl && fl->n == 3 && fl->floats[2] == 1e30f;
    ok = ok && st && st->n == 3 && strcmp(st->strings[2], "gamma") == 0 && !st->strings[1][0];
    ok = ok && g && g->type == ER_ATTR_GRAPH && ts && ts->type == ER_ATTR_TENSORS;
    ok = ok && er_attr_int(n, "i", 0) == -7 && er_attr_float(n, "f", 0) == 1.5f;
    const int64_t *iv;
    ok = ok && er_attr_ints(n, "ints", &iv) == 3 && iv[2] == (int64_t)1 << 40;
    er_model_free(a);
    er_model_free(b);
    er_aligned_free(buf);
    CHECK_MSG(eq, "%s", msg);
    CHECK(ok);
}

static int inside(const void *p, const er_mapping *m) {
    const unsigned char *c = p;
    return c >= m->data && c < m->data + m->size;
}

TEST(erm_weights_are_used_in_place_and_aligned) {
    er_model *a = NULL, *b = NULL;
    CHECK_STATUS(load_runnable(&a), ER_OK);
    char path[] = "/tmp/er_erm_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    CHECK_STATUS(er_model_save(a, path), ER_OK);
    CHECK_STATUS(er_model_load(path, &b), ER_OK);
    unlink(path);
    const er_graph *g = b->graph;
    int ok = g->n_mappings == 1 && g->n_owned == 0, n_const = 0;
    for (int v = 0; ok && v < g->n_values; v++) {
        if (!g->values[v].data) continue;
        n_const++;
        /* format 2.0: 64-aligned from 64 bytes up, else 8-aligned in one line */
        uintptr_t at = (uintptr_t)g->values[v].data;
        size_t bytes = g->values[v].data_bytes;
        ok = inside(g->values[v].data, g->mappings[0]) &&
             (bytes >= ER_ERM_ALIGN ? at % ER_ERM_ALIGN == 0
                                    : at % 8 == 0 && at % ER_ERM_ALIGN + bytes <= ER_ERM_ALIGN);
    }
    const er_tensor *kt = er_attr_tensor(&g->nodes[1], "value");
    ok = ok && kt && inside(kt->data, g->mappings[0]) && (uintptr_t)kt->data % 8 == 0;
    /* attribute lists come from the (compressed) arrays section, decompressed
     * into the graph's memory */
    const int64_t *ks;
    ok = ok && er_attr_ints(&g->nodes[0], "kernel_shape", &ks) == 2 && ks[0] > 0;
    er_model_free(a);
    er_model_free(b);
    CHECK(ok);
    CHECK_EQ_INT(n_const, 2);
}

TEST(erm_external_data_model_converts_self_contained) {
    char dir[] = "/tmp/er_ermext_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char wpath[256], mpath[256], epath[256];
    snprintf(wpath, sizeof wpath, "%s/weights.bin", dir);
    snprintf(mpath, sizeof mpath, "%s/model.onnx", dir);
    snprintf(epath, sizeof epath, "%s/model.erm", dir);
    float wv[6] = {9, 1, 2, 3, 4, 9}; /* payload at offset 4: misaligned for a copy */
    FILE *f = fopen(wpath, "wb");
    fwrite(wv, 1, sizeof wv, f);
    fclose(f);
    pbw g = {0}, n = {0}, t = {0}, vi = {0}, kv = {0}, model = {0};
    int64_t xd[1] = {4};
    const char *in[] = {"x", "w", NULL}, *out[] = {"y", NULL};
    onnx_node(&n, "Add", "add0", in, out, NULL);
    pbw_msg(&g, 1, &n);
    pbw_int(&t, 1, 4);
    pbw_int(&t, 2, 1);
    pbw_str(&t, 8, "w");
    const char *keys[3] = {"location", "offset", "length"}, *vals[3] = {"weights.bin", "4", "16"};
    for (int i = 0; i < 3; i++) {
        pbw_str(&kv, 1, keys[i]);
        pbw_str(&kv, 2, vals[i]);
        pbw_msg(&t, 13, &kv);
        pbw_free(&kv);
    }
    pbw_int(&t, 14, 1);
    pbw_msg(&g, 5, &t);
    onnx_value_info(&vi, "x", 1, 1, xd);
    pbw_msg(&g, 11, &vi);
    pbw_free(&vi);
    onnx_value_info(&vi, "y", 1, 1, xd);
    pbw_msg(&g, 12, &vi);
    onnx_model(&model, &g, 13);
    f = fopen(mpath, "wb");
    fwrite(model.d, 1, model.n, f);
    fclose(f);
    pbw_free(&g);
    pbw_free(&n);
    pbw_free(&t);
    pbw_free(&vi);
    pbw_free(&model);

    er_model *a = NULL, *b = NULL;
    CHECK_STATUS(er_model_load(mpath, &a), ER_OK);
    CHECK_STATUS(er_model_save(a, epath), ER_OK);
    er_model_free(a);
    unlink(wpath); /* the .erm must not need the external file */
    unlink(mpath);
    er_status st = er_model_load(epath, &b);
    unlink(epath);
    rmdir(dir);
    CHECK_STATUS(st, ER_OK);
    int w_id = er_graph_find(b->graph, "w");
    int ok = w_id >= 0 && b->graph->values[w_id].data_bytes == 16 &&
             memcmp(b->graph->values[w_id].data, wv + 1, 16) == 0;
    er_tensor *y[2] = {0};
    st = run_copy(b, 1, NULL, y, 2);
    /* zero-input run: x is (k%13)*0.25-1 = -1, -0.75, -0.5, -0.25 */
    ok = ok && st == ER_OK && ((float *)y[0]->data)[3] == 3.75f;
    er_tensor_free(y[0]);
    er_model_free(b);
    CHECK(ok);
}

TEST(erm_quantization_parameters_round_trip) {
    er_model *a = NULL, *b = NULL;
    CHECK_STATUS(load_runnable(&a), ER_OK);
    /* the ONNX importer does not set quant yet; the quantizer will */
    er_graph *g = a->graph;
    int wid = er_graph_find(g, "W"), xid = er_graph_find(g, "x");
    er_quant *qw = er_pool_alloc(g->pool, sizeof *qw), *qx = er_pool_alloc(g->pool, sizeof *qx);
    float sw[2] = {0.5f, 0.25f}, sx[1] = {0.01f};
    int32_t zw[2] = {0, 0}, zx[1] = {-3};
    *qw = (er_quant){0, 2, sw, zw};
    *qx = (er_quant){-1, 1, sx, zx};
    g->values[wid].quant = qw;
    g->values[xid].quant = qx;
    void *buf;
    size_t size;
    er_status st = via_erm(a, &buf, &size, &b);
    g->values[wid].quant = NULL;
    g->values[xid].quant = NULL;
    CHECK_STATUS(st, ER_OK);
    const er_quant *rq = b->graph->values[wid].quant, *rx = b->graph->values[xid].quant;
    int ok = rq && rq->axis == 0 && rq->n == 2 && rq->scale[1] == 0.25f && rx && rx->axis == -1 &&
             rx->zero_point[0] == -3 && rx->scale[0] == 0.01f;
    er_model_free(a);
    er_model_free(b);
    er_aligned_free(buf);
    CHECK(ok);
}

TEST(erm_rewriting_is_byte_identical) {
    er_model *a = NULL, *b = NULL;
    CHECK_STATUS(load_runnable(&a), ER_OK);
    void *b1, *b2;
    size_t n1, n2;
    CHECK_STATUS(via_erm(a, &b1, &n1, &b), ER_OK);
    CHECK_STATUS(er_erm_write_memory(b->graph, &b2, &n2), ER_OK);
    int same = n1 == n2 && memcmp(b1, b2, n1) == 0;
    er_model_free(a);
    er_model_free(b);
    er_aligned_free(b1);
    er_aligned_free(b2);
    CHECK(same);
}

TEST(erm_save_over_its_own_source) {
    er_model *a = NULL, *b = NULL, *c = NULL;
    CHECK_STATUS(load_runnable(&a), ER_OK);
    char path[] = "/tmp/er_erm_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    CHECK_STATUS(er_model_save(a, path), ER_OK);
    CHECK_STATUS(er_model_load(path, &b), ER_OK);
    /* b's weights are views into the file being replaced */
    CHECK_STATUS(er_model_save(b, path), ER_OK);
    CHECK_STATUS(er_model_load(path, &c), ER_OK);
    unlink(path);
    char msg[512];
    int eq = erm_graph_equal(a->graph, c->graph, msg, sizeof msg);
    er_model_free(a);
    er_model_free(b);
    er_model_free(c);
    CHECK_MSG(eq, "%s", msg);
}

TEST(erm_save_errors) {
    pbw w = {0};
    model_add_mul(&w, 2);
    er_model *a = NULL;
    CHECK_STATUS(er_model_load_memory(w.d, w.n, NULL, &a), ER_OK);
    pbw_free(&w);
    CHECK_STATUS(er_model_save(NULL, "/tmp/x.erm"), ER_ERR_INVALID_ARG);
    CHECK_STATUS(er_model_save(a, NULL), ER_ERR_INVALID_ARG);
    er_status st = er_model_save(a, "/nonexistent-dir/sub/model.erm");
    er_model_free(a);
    CHECK_STATUS(st, ER_ERR_IO);
    CHECK_ERROR_HAS("/nonexistent-dir/sub/model.erm");
    CHECK_STATUS(er_model_load_memory("", 0, NULL, &a), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("expected ONNX or .erm");
}

TEST(erm_out_of_memory_while_saving) {
    er_model *a = NULL;
    CHECK_STATUS(load_runnable(&a), ER_OK);
    int ok = 0;
    for (long n = 0; n < 10000 && !ok; n++) {
        void *buf = NULL;
        size_t size;
        er_alloc_fail_after(n);
        er_status st = er_erm_write_memory(a->graph, &buf, &size);
        er_alloc_fail_after(-1);
        if (st != ER_OK && st != ER_ERR_NOMEM) {
            er_model_free(a);
            CHECK_MSG(0, "allocation %ld failing gave %d (%s)", n, (int)st, er_last_error());
        }
        ok = st == ER_OK;
        er_aligned_free(buf);
    }
    er_model_free(a);
    CHECK(ok);
}

TEST(erm_checksum_skip_flag) {
    er_model *a = NULL, *b = NULL;
    CHECK_STATUS(load_runnable(&a), ER_OK);
    void *buf;
    size_t size;
    CHECK_STATUS(er_erm_write_memory(a->graph, &buf, &size), ER_OK);
    int wid = er_graph_find(a->graph, "W");
    er_model_free(a);
    /* flip the low byte of the first weight (WEIGHTS holds W first) */
    unsigned char *f = buf;
    size_t e = erm_find_entry(f, size, ER_ERM_SEC_WEIGHTS);
    CHECK(e > 0);
    size_t woff = (size_t)er_erm_u64(f + e + 8);
    f[woff] ^= 1;
    unsetenv("EDGERUN_ERM_CHECKSUM");
    er_status st = er_model_load_memory(buf, size, NULL, &b);
    CHECK_STATUS(st, ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("checksum mismatch");
    setenv("EDGERUN_ERM_CHECKSUM", "skip", 1);
    st = er_model_load_memory(buf, size, NULL, &b);
    unsetenv("EDGERUN_ERM_CHECKSUM");
    er_aligned_free(buf);
    CHECK_STATUS(st, ER_OK);
    float w0 = ((const float *)b->graph->values[wid].data)[0], orig = -0.375f;
    uint32_t bits;
    memcpy(&bits, &orig, 4);
    bits ^= 1;
    memcpy(&orig, &bits, 4);
    er_model_free(b);
    CHECK(w0 == orig); /* the flipped weight, loaded without verification */
}

TEST(erm_optional_and_unknown_sections) {
    er_model *a = NULL, *b = NULL;
    CHECK_STATUS(load_runnable(&a), ER_OK);
    void *buf;
    size_t size, n2;
    CHECK_STATUS(er_erm_write_memory(a->graph, &buf, &size), ER_OK);
    int wid = er_graph_find(a->graph, "W");
    er_model_free(a);
    /* a pre-packed copy of W for a made-up kernel: validated, then ignored */
    unsigned char packed[64 + 72];
    memset(packed, 0, sizeof packed);
    er_erm_put_u32(packed + 0, (uint32_t)wid);
    er_erm_put_u32(packed + 4, 0); /* kernel name: string 0 */
    er_erm_put_u32(packed + 8, 7);
    er_erm_put_u64(packed + 16, 64);
    er_erm_put_u64(packed + 24, 72);
    unsigned char *f2 = erm_add_section(buf, size, ER_ERM_SEC_PACKED_WEIGHTS, ER_ERM_SEC_OPTIONAL,
                                        packed, sizeof packed, 1, &n2);
    er_status st = er_model_load_memory(f2, n2, NULL, &b);
    er_model_free(b);
    b = NULL;
    free(f2);
    CHECK_STATUS(st, ER_OK);
    /* packed weights must be optional */
    f2 = erm_add_section(buf, size, ER_ERM_SEC_PACKED_WEIGHTS, 0, packed, sizeof packed, 1, &n2);
    st = er_model_load_memory(f2, n2, NULL, &b);
    free(f2);
    CHECK_STATUS(st, ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("packed_weights must be marked optional");
    /* a packed entry for a value that is not a constant */
    er_erm_put_u32(packed, 0xffff);
    f2 = erm_add_section(buf, size, ER_ERM_SEC_PACKED_WEIGHTS, ER_ERM_SEC_OPTIONAL, packed,
                         sizeof packed, 1, &n2);
    st = er_model_load_memory(f2, n2, NULL, &b);
    free(f2);
    CHECK_STATUS(st, ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("section 'packed_weights' record 0");
    /* a later version's optional section is skipped */
    f2 = erm_add_section(buf, size, 77, ER_ERM_SEC_OPTIONAL, "future", 6, 0, &n2);
    st = er_model_load_memory(f2, n2, NULL, &b);
    er_model_free(b);
    b = NULL;
    free(f2);
    CHECK_STATUS(st, ER_OK);
    /* ... but a required one it does not know is refused */
    f2 = erm_add_section(buf, size, 77, 0, "future", 6, 0, &n2);
    st = er_model_load_memory(f2, n2, NULL, &b);
    free(f2);
    er_aligned_free(buf);
    CHECK_STATUS(st, ER_ERR_UNSUPPORTED);
    CHECK_ERROR_HAS("section type 77 is unknown");
}

#ifndef ER_TEST_DATA_DIR
#define ER_TEST_DATA_DIR "tests/data"
#endif

/* A file written by the format 1.0 writer (edgerun before 2026-11-26; every
 * section plain, every weight at a multiple of 64) still loads and gives the
 * ONNX model's outputs bit for bit; written again it becomes 2.0 and
 * smaller. */
TEST(erm_reads_format_1_0_files) {
    er_model *v1 = NULL, *onnx = NULL, *v2 = NULL;
    CHECK_STATUS(er_model_load(ER_TEST_DATA_DIR "/tiny_conv_qdq.v1_0.erm", &v1), ER_OK);
    CHECK_STATUS(er_model_load(ER_TEST_DATA_DIR "/tiny_conv_qdq.onnx", &onnx), ER_OK);
    er_tensor *ya[1] = {0}, *yb[1] = {0}, *yc[1] = {0};
    CHECK_STATUS(run_copy(v1, 1, NULL, ya, 1), ER_OK);
    CHECK_STATUS(run_copy(onnx, 1, NULL, yb, 1), ER_OK);
    char msg[512];
    CHECK_MSG(outputs_identical(1, ya, yb, msg, sizeof msg), "%s", msg);
    void *buf;
    size_t size;
    CHECK_STATUS(via_erm(v1, &buf, &size, &v2), ER_OK);
    CHECK_EQ_INT(er_erm_u16((const unsigned char *)buf + 8), 2);
    CHECK(size < 2881); /* the 1.0 file's size */
    CHECK_STATUS(run_copy(v2, 1, NULL, yc, 1), ER_OK);
    CHECK_MSG(outputs_identical(1, ya, yc, msg, sizeof msg), "%s", msg);
    er_tensor_free(ya[0]);
    er_tensor_free(yb[0]);
    er_tensor_free(yc[0]);
    er_aligned_free(buf);
    er_model_free(v1);
    er_model_free(onnx);
    er_model_free(v2);
}

/* The 2.0 writer: record sections compressed where that helps, identical
 * constants stored once, and a plain (ER_ERM_WRITE_PLAIN) file that loads to
 * the same graph. */
TEST(erm_compressed_and_plain_files_hold_the_same_graph) {
    er_model *a = NULL, *b = NULL, *c = NULL;
    CHECK_STATUS(er_model_load(ER_MODELS_DIR "/fashion_mnist_cnn.onnx", &a), ER_OK);
    void *z, *p;
    size_t zn, pn;
    CHECK_STATUS(er_erm_write_memory(a->graph, &z, &zn), ER_OK);
    CHECK_STATUS(er_erm_write_memory_flags(a->graph, ER_ERM_WRITE_PLAIN, &p, &pn), ER_OK);
    CHECK(zn < pn);
    size_t ev = erm_find_entry(z, zn, ER_ERM_SEC_VALUES);
    CHECK(ev && (er_erm_u32((const unsigned char *)z + ev + 4) & ER_ERM_SEC_LZ4));
    ev = erm_find_entry(p, pn, ER_ERM_SEC_VALUES);
    CHECK(ev && er_erm_u32((const unsigned char *)p + ev + 4) == 0);
    CHECK_STATUS(er_model_load_memory(z, zn, NULL, &b), ER_OK);
    CHECK_STATUS(er_model_load_memory(p, pn, NULL, &c), ER_OK);
    char msg[512];
    CHECK_MSG(erm_graph_equal(a->graph, b->graph, msg, sizeof msg), "%s", msg);
    CHECK_MSG(erm_graph_equal(a->graph, c->graph, msg, sizeof msg), "%s", msg);
    er_model_free(a);
    er_model_free(b);
    er_model_free(c);
    er_aligned_free(z);
    er_aligned_free(p);
}

TEST(erm_identical_constants_are_stored_once) {
    er_model *a = NULL, *b = NULL;
    CHECK_STATUS(load_runnable(&a), ER_OK);
    /* two more constants with the bytes of W */
    er_graph *g = a->graph;
    int vw = er_graph_find(g, "W"), ids[2];
    CHECK(vw >= 0);
    for (int k = 0; k < 2; k++) {
        CHECK_STATUS(er_graph_value(g, k ? "W_copy2" : "W_copy1", &ids[k]), ER_OK);
        er_value *src = &g->values[vw], *dst = &g->values[ids[k]];
        dst->dtype = src->dtype;
        dst->rank = src->rank;
        memcpy(dst->dims, src->dims, sizeof dst->dims);
        dst->data = src->data;
        dst->data_bytes = src->data_bytes;
    }
    void *z, *z0;
    size_t zn, zn0;
    CHECK_STATUS(er_erm_write_memory(g, &z, &zn), ER_OK);
    CHECK_STATUS(er_model_load_memory(z, zn, NULL, &b), ER_OK);
    const er_graph *h = b->graph;
    int bw = er_graph_find(h, "W"), b1 = er_graph_find(h, "W_copy1"), b2 = er_graph_find(h, "W_copy2");
    CHECK(bw >= 0 && b1 >= 0 && b2 >= 0);
    CHECK(h->values[bw].data == h->values[b1].data && h->values[b1].data == h->values[b2].data);
    /* and the file did not grow by the copies' bytes */
    er_model_free(b);
    er_value *v1 = &g->values[ids[0]], *v2 = &g->values[ids[1]];
    v1->data = v2->data = NULL; /* back to the original graph */
    v1->data_bytes = v2->data_bytes = 0;
    CHECK_STATUS(er_erm_write_memory(g, &z0, &zn0), ER_OK);
    CHECK(zn < zn0 + g->values[vw].data_bytes);
    er_aligned_free(z);
    er_aligned_free(z0);
    er_model_free(a);
}
