/* test_tflite_reader.c - the FlatBuffers reader (fields, defaults, every
 * verification rule) and the TFLite importer's structure: format dispatch,
 * opcode fields, buffers after the flatbuffer (zero copy), densify at load,
 * fp16 folding, the fixed layout wrapping and node names, and the clear
 * errors for what is not supported. */
#include <math.h>
#include <stdlib.h>

#include "core/mapfile.h"
#include "core/status.h"
#include "import/tflite/fb_reader.h"
#include "runtime/model.h"
#include "support/tflite_models.h"
#include "test.h"

/* ---- fb_reader ------------------------------------------------------------------ */

TEST(tflite_fb_reader_fields_and_defaults) {
    fbw b = {0};
    uint32_t str = fbw_str(&b, "hello");
    uint32_t vec = fbw_vec_i32(&b, 3, (const int32_t[]){7, -8, 9});
    fbw_field cf[] = {FBW_I32(0, 42)};
    uint32_t child = fbw_table(&b, 1, cf);
    fbw_field f[] = {FBW_U8(0, 200), FBW_I32(1, -5), FBW_F32(2, 1.5f), FBW_U64(3, 1ull << 40),
                     FBW_REF(4, str), FBW_REF(5, vec), FBW_U8(6, 3), FBW_REF(7, child)};
    uint32_t root = fbw_table(&b, 8, f);
    fbw_finish(&b, root, "TEST");
    er_fb fb;
    er_fb_init(&fb, b.d, b.n);
    er_fb_table t, c;
    CHECK_STATUS(er_fb_root(&fb, "Root", &t), ER_OK);
    uint8_t u8;
    int32_t i32;
    float f32;
    uint64_t u64;
    CHECK_STATUS(er_fb_u8(&t, 0, "a", 0, &u8), ER_OK);
    CHECK_EQ_INT(u8, 200);
    CHECK_STATUS(er_fb_i32(&t, 1, "b", 0, &i32), ER_OK);
    CHECK_EQ_INT(i32, -5);
    CHECK_STATUS(er_fb_f32(&t, 2, "c", 0, &f32), ER_OK);
    CHECK(f32 == 1.5f);
    CHECK_STATUS(er_fb_u64(&t, 3, "d", 0, &u64), ER_OK);
    CHECK(u64 == 1ull << 40);
    /* absent fields (beyond the vtable) give the defaults */
    CHECK_STATUS(er_fb_i32(&t, 20, "absent", 77, &i32), ER_OK);
    CHECK_EQ_INT(i32, 77);
    CHECK(!er_fb_has(&t, 20) && er_fb_has(&t, 1));
    const char *s;
    uint32_t len;
    CHECK_STATUS(er_fb_str_field(&t, 4, "s", &s, &len), ER_OK);
    CHECK(len == 5 && strcmp(s, "hello") == 0);
    er_fb_vec v;
    bool present;
    CHECK_STATUS(er_fb_vec_field(&t, 5, "v", 4, &v, &present), ER_OK);
    CHECK(present && v.n == 3 && er_fb_vec_i32(&v, 1) == -8 && er_fb_vec_i32(&v, 2) == 9);
    uint8_t ut;
    CHECK_STATUS(er_fb_union_field(&t, 6, 7, "u", "Child", &ut, &c), ER_OK);
    CHECK_EQ_INT(ut, 3);
    CHECK_STATUS(er_fb_i32(&c, 0, "x", 0, &i32), ER_OK);
    CHECK_EQ_INT(i32, 42);
    /* an absent sub-table reads as all defaults */
    CHECK_STATUS(er_fb_table_field(&t, 9, "none", "Child", &c, &present), ER_OK);
    CHECK(!present);
    CHECK_STATUS(er_fb_i32(&c, 0, "x", -1, &i32), ER_OK);
    CHECK_EQ_INT(i32, -1);
    fbw_free(&b);
}

/* A root table with an i32 field 0, a vector field 1 and a string field 2. */
static void small_root(fbw *b) {
    uint32_t vec = fbw_vec_i32(b, 2, (const int32_t[]){1, 2});
    uint32_t str = fbw_str(b, "abc");
    fbw_field f[] = {FBW_I32(0, 1), FBW_REF(1, vec), FBW_REF(2, str)};
    fbw_finish(b, fbw_table(b, 3, f), NULL);
}

static er_status read_all(const uint8_t *d, size_t n) {
    er_fb fb;
    er_fb_init(&fb, d, n);
    er_fb_table t;
    ER_TRY(er_fb_root(&fb, "Root", &t));
    int32_t i;
    er_fb_vec v;
    bool p;
    const char *s;
    uint32_t len;
    ER_TRY(er_fb_i32(&t, 0, "a", 0, &i));
    ER_TRY(er_fb_vec_field(&t, 1, "v", 4, &v, &p));
    return er_fb_str_field(&t, 2, "s", &s, &len);
}

/* The file offset of root-table field `field` (its stored bytes). */
static size_t root_field(const uint8_t *d, int field) {
    uint32_t root = er_fb_le32(d);
    int32_t soff = (int32_t)er_fb_le32(d + root);
    size_t vt = (size_t)((int64_t)root - soff);
    return root + er_fb_le16(d + vt + 4 + 2 * field);
}

TEST(tflite_fb_reader_rejects_bad_offsets) {
    fbw b = {0};
    small_root(&b);
    CHECK_STATUS(read_all(b.d, b.n), ER_OK);
    uint8_t *d = malloc(b.n);
    /* root offset past the end / misaligned */
    memcpy(d, b.d, b.n);
    tflw_put_u32(d, (uint32_t)b.n + 8);
    CHECK_STATUS(read_all(d, b.n), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("Root table at offset");
    tflw_put_u32(d, er_fb_le32(b.d) + 2);
    CHECK_STATUS(read_all(d, b.n), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("not 4-byte aligned");
    /* vtable outside the buffer */
    memcpy(d, b.d, b.n);
    tflw_put_u32(d + er_fb_le32(d), 0x7fffff00u);
    CHECK_STATUS(read_all(d, b.n), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("vtable");
    /* a field offset beyond the table's inline size */
    memcpy(d, b.d, b.n);
    {
        uint32_t root = er_fb_le32(d);
        size_t vt = (size_t)((int64_t)root - (int32_t)er_fb_le32(d + root));
        d[vt + 4] = 0xf0;
        d[vt + 5] = 0x00;
    }
    CHECK_STATUS(read_all(d, b.n), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("Root.a (field 0)");
    /* a vector whose length runs past the end */
    memcpy(d, b.d, b.n);
    size_t vf = root_field(d, 1);
    size_t vpos = vf + er_fb_le32(d + vf);
    tflw_put_u32(d + vpos, 0x40000000u);
    CHECK_STATUS(read_all(d, b.n), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("Root.v (field 1)");
    CHECK_ERROR_HAS("runs past the end");
    /* a zero offset (pointing at itself) */
    memcpy(d, b.d, b.n);
    tflw_put_u32(d + vf, 0);
    CHECK_STATUS(read_all(d, b.n), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("points outside");
    /* a string without its NUL */
    memcpy(d, b.d, b.n);
    size_t sf = root_field(d, 2);
    size_t spos = sf + er_fb_le32(d + sf);
    d[spos + 4 + 3] = 'x';
    CHECK_STATUS(read_all(d, b.n), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("NUL");
    /* too short for a flatbuffer at all */
    CHECK_STATUS(read_all(b.d, 4), ER_ERR_INVALID_MODEL);
    free(d);
    fbw_free(&b);
}

TEST(tflite_fb_reader_depth_and_budget) {
    /* a chain of 70 nested tables: following it must stop at the depth limit */
    fbw b = {0};
    fbw_field leaf[] = {FBW_I32(1, 5)};
    uint32_t t = fbw_table(&b, 1, leaf);
    for (int i = 0; i < 70; i++) {
        fbw_field f[] = {FBW_REF(0, t)};
        t = fbw_table(&b, 1, f);
    }
    fbw_finish(&b, t, NULL);
    er_fb fb;
    er_fb_init(&fb, b.d, b.n);
    er_fb_table cur;
    CHECK_STATUS(er_fb_root(&fb, "Node", &cur), ER_OK);
    er_status st = ER_OK;
    int depth = 0;
    bool present = true;
    while (st == ER_OK && present && depth < 100) {
        er_fb_table next;
        st = er_fb_table_field(&cur, 0, "child", "Node", &next, &present);
        cur = next;
        depth++;
    }
    CHECK_STATUS(st, ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("nesting deeper than 64");
    /* the work budget: re-reading one table forever runs out */
    er_fb_init(&fb, b.d, b.n);
    CHECK_STATUS(er_fb_root(&fb, "Node", &cur), ER_OK);
    st = ER_OK;
    for (long i = 0; i < 100000000 && st != ER_ERR_INVALID_MODEL; i++) {
        st = er_fb_root(&fb, "Node", &cur);
        if (st != ER_OK) break;
    }
    CHECK_STATUS(st, ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("shared or cyclic");
    fbw_free(&b);
}

/* ---- importer structure ------------------------------------------------------------- */

static er_model *load(const tflw *w) {
    er_model *m = NULL;
    if (er_model_load_memory(w->d, w->n, NULL, &m) != ER_OK) return NULL;
    return m;
}

static int count_op(const er_graph *g, const char *op) {
    int n = 0;
    for (int i = 0; i < g->n_nodes; i++) n += strcmp(g->nodes[i].op_type, op) == 0;
    return n;
}

TEST(tflite_small_cnn_loads_with_layout_wrapping) {
    tflw w;
    tflm_small_cnn(&w);
    er_model *m = load(&w);
    CHECK_MSG(m, "%s", er_last_error());
    const er_graph *g = m->graph;
    CHECK_EQ_INT(er_model_input_count(m), 1);
    CHECK(strcmp(er_model_input_name(m, 0), "input") == 0);
    CHECK(strcmp(er_model_output_name(m, 0), "probs") == 0);
    /* every NCHW op reads a Transpose(0,3,1,2) and reaches a Transpose(0,2,3,1) */
    int wrapped = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        const er_node *n = &g->nodes[i];
        if (strcmp(n->op_type, "Conv") && strcmp(n->op_type, "MaxPool") &&
            strcmp(n->op_type, "Resize"))
            continue;
        int p = g->values[n->in[0]].producer;
        const int64_t *perm;
        CHECK(p >= 0 && strcmp(g->nodes[p].op_type, "Transpose") == 0);
        CHECK(er_attr_ints(&g->nodes[p], "perm", &perm) == 4 && perm[1] == 3 && perm[3] == 2);
        /* follow single consumers (activation) to the closing Transpose */
        int v = n->out[0], hops = 0;
        const er_node *closing = NULL;
        while (!closing && hops++ < 3) {
            for (int j = 0; j < g->n_nodes; j++)
                if (g->nodes[j].n_in && g->nodes[j].in[0] == v) {
                    if (strcmp(g->nodes[j].op_type, "Transpose") == 0) closing = &g->nodes[j];
                    else v = g->nodes[j].out[0];
                    break;
                }
        }
        CHECK_MSG(closing, "node '%s' has no closing Transpose", n->name);
        CHECK(er_attr_ints(closing, "perm", &perm) == 4 && perm[1] == 2 && perm[3] == 1);
        wrapped++;
    }
    CHECK_EQ_INT(wrapped, 4); /* conv, depthwise conv, max pool, resize */
    CHECK_EQ_INT(count_op(g, "Relu") + count_op(g, "Clip"), 2); /* RELU6 + FC's RELU */
    /* readable names: "<OP>_<index>:<onnx op>:<output tensor>" */
    bool named = false;
    for (int i = 0; i < g->n_nodes; i++)
        named |= strcmp(g->nodes[i].name, "CONV_2D_0:Conv:conv1") == 0;
    CHECK_MSG(named, "no node named CONV_2D_0:Conv:conv1 (first: %s)", g->nodes[0].name);
    /* conv weights were permuted once at import to OIHW */
    int wv = er_graph_find(g, "conv1/w:permuted");
    CHECK(wv >= 0 && g->values[wv].data && g->values[wv].dims[1] == 3 && g->values[wv].dims[2] == 3);
    er_model_free(m);
    float x[192], *y;
    size_t n;
    for (int i = 0; i < 192; i++) x[i] = (float)((i * 7) % 13) / 13.0f;
    CHECK_STATUS(tflm_run(w.d, w.n, 1, (const void *[]){x}, 0, &y, &n), ER_OK);
    CHECK_EQ_INT(n, 5);
    float sum = 0;
    for (size_t i = 0; i < n; i++) sum += y[i];
    CHECK_MSG(fabsf(sum - 1.0f) < 1e-5f, "softmax sums to %g", sum);
    free(y);
    tflw_free(&w);
}

TEST(tflite_external_buffers_are_views) {
    /* schema 3c: buffers after the flatbuffer, addressed by offset/size */
    for (int ext = 0; ext < 2; ext++) {
        tflw w;
        static const float bias[4] = {1, 2, 3, 4};
        tflw_init(&w);
        w.external = ext;
        int x = tflw_tensor(&w, "x", TFLW_F32, 2, (const int32_t[]){2, 4}, NULL, 0);
        int b = tflw_tensor(&w, "b", TFLW_F32, 1, (const int32_t[]){4}, bias, sizeof bias);
        int y = tflw_tensor(&w, "y", TFLW_F32, 2, (const int32_t[]){2, 4}, NULL, 0);
        fbw_field o[] = {FBW_U8(0, 0)};
        tflw_op(&w, 0, NULL, 2, (int[]){x, b}, 1, &y, 11, fbw_table(&w.b, 1, o));
        tflw_finish(&w, 1, &x, 1, &y);
        CHECK(!ext || w.n > w.b.n); /* data really sits after the flatbuffer */
        er_model *m = load(&w);
        CHECK_MSG(m, "%s", er_last_error());
        const er_graph *g = m->graph;
        const er_value *v = &g->values[er_graph_find(g, "b")];
        const uint8_t *base = g->mappings[0]->data;
        CHECK_MSG(v->data && (const uint8_t *)v->data >= base &&
                      (const uint8_t *)v->data + 16 <= base + g->mappings[0]->size,
                  "constant is not a view into the model (external=%d)", ext);
        CHECK(memcmp(v->data, bias, sizeof bias) == 0);
        er_model_free(m);
        float in[8] = {0, 1, 2, 3, 4, 5, 6, 7}, *out;
        size_t n;
        CHECK_STATUS(tflm_run(w.d, w.n, 1, (const void *[]){in}, 0, &out, &n), ER_OK);
        CHECK(n == 8 && out[0] == 1 && out[7] == 11);
        free(out);
        tflw_free(&w);
    }
}

TEST(tflite_opcode_builtin_code_is_the_larger_field) {
    /* GELU (150) only fits builtin_code; deprecated_builtin_code holds 127 */
    tflw w;
    tflw_init(&w);
    int x = tflw_tensor(&w, "x", TFLW_F32, 1, (const int32_t[]){3}, NULL, 0);
    int y = tflw_tensor(&w, "y", TFLW_F32, 1, (const int32_t[]){3}, NULL, 0);
    tflw_op(&w, 150, NULL, 1, &x, 1, &y, 0, 0);
    tflw_finish(&w, 1, &x, 1, &y);
    er_model *m = load(&w);
    CHECK_MSG(m, "%s", er_last_error());
    CHECK_EQ_INT(count_op(m->graph, "Gelu"), 1);
    er_model_free(m);
    /* an old writer: only the byte field (builtin_code absent, reads 0) */
    tflw_free(&w);
    tflw_init(&w);
    w.old_opcodes = 1;
    x = tflw_tensor(&w, "x", TFLW_F32, 1, (const int32_t[]){3}, NULL, 0);
    y = tflw_tensor(&w, "y", TFLW_F32, 1, (const int32_t[]){3}, NULL, 0);
    tflw_op(&w, 19, NULL, 1, &x, 1, &y, 0, 0);
    tflw_finish(&w, 1, &x, 1, &y);
    m = load(&w);
    CHECK_MSG(m, "%s", er_last_error());
    CHECK_EQ_INT(count_op(m->graph, "Relu"), 1);
    er_model_free(m);
    tflw_free(&w);
}

TEST(tflite_fp16_weights_fold_at_import) {
    tflw w;
    tflm_fp16_conv(&w);
    er_model *m = load(&w);
    CHECK_MSG(m, "%s", er_last_error());
    /* DEQUANTIZE of a constant leaves no node: the weights are f32 constants */
    CHECK_EQ_INT(count_op(m->graph, "Cast") + count_op(m->graph, "DequantizeLinear") +
                     count_op(m->graph, "Identity"), 0);
    int v = er_graph_find(m->graph, "conv/w");
    CHECK(v >= 0 && m->graph->values[v].dtype == ER_F32 && m->graph->values[v].data);
    er_model_free(m);
    float x[32], *y;
    size_t n;
    for (int i = 0; i < 32; i++) x[i] = (float)i / 32.0f;
    CHECK_STATUS(tflm_run(w.d, w.n, 1, (const void *[]){x}, 0, &y, &n), ER_OK);
    CHECK_EQ_INT(n, 8);
    free(y);
    tflw_free(&w);
}

TEST(tflite_sparse_weights_densify_at_load) {
    tflw w;
    tflm_sparse_fc(&w);
    float dense[4][8] = {{0}};
    static const int32_t seg[5] = {0, 2, 2, 5, 6}, idx[6] = {1, 6, 0, 3, 7, 4};
    static const float vals[6] = {0.5f, -1.0f, 2.0f, 0.25f, -0.75f, 1.5f};
    static const float bias[4] = {0.1f, 0.2f, -0.3f, 0.4f};
    for (int r = 0; r < 4; r++)
        for (int j = seg[r]; j < seg[r + 1]; j++) dense[r][idx[j]] = vals[j];
    float x[16], *y;
    size_t n;
    for (int i = 0; i < 16; i++) x[i] = (float)(i % 5) - 2.0f;
    CHECK_STATUS(tflm_run(w.d, w.n, 1, (const void *[]){x}, 0, &y, &n), ER_OK);
    CHECK_EQ_INT(n, 8);
    for (int b = 0; b < 2; b++)
        for (int o = 0; o < 4; o++) {
            float want = bias[o];
            for (int k = 0; k < 8; k++) want += x[b * 8 + k] * dense[o][k];
            CHECK_MSG(fabsf(y[b * 4 + o] - want) < 1e-5f, "y[%d][%d] = %g, want %g", b, o,
                      y[b * 4 + o], want);
        }
    free(y);
    er_model *m = load(&w);
    CHECK(m && count_op(m->graph, "Gemm") == 1 && m->graph->n_nodes <= 2);
    er_model_free(m);
    tflw_free(&w);
}

TEST(tflite_block_sparse_densify) {
    /* a [2, 8] tensor in 1x4 blocks: dims (d0, d1/4) then the block (4) */
    static const float vals[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    static const int32_t seg[3] = {0, 1, 2}, idx[2] = {1, 0};
    tflw w;
    tflw_init(&w);
    uint32_t vseg = fbw_vec_i32(&w.b, 3, seg), vidx = fbw_vec_i32(&w.b, 2, idx);
    fbw_field fs[] = {FBW_REF(0, vseg)}, fi[] = {FBW_REF(0, vidx)};
    uint32_t tseg = fbw_table(&w.b, 1, fs), tidx = fbw_table(&w.b, 1, fi);
    fbw_field d0[] = {FBW_U8(0, 0), FBW_I32(1, 2)};
    fbw_field d1[] = {FBW_U8(0, 1), FBW_U8(2, 1), FBW_REF(3, tseg), FBW_U8(4, 1), FBW_REF(5, tidx)};
    fbw_field d2[] = {FBW_U8(0, 0), FBW_I32(1, 4)};
    uint32_t dims[3] = {fbw_table(&w.b, 2, d0), fbw_table(&w.b, 5, d1), fbw_table(&w.b, 2, d2)};
    uint32_t vdims = fbw_vec_refs(&w.b, 3, dims);
    uint32_t vorder = fbw_vec_i32(&w.b, 3, (const int32_t[]){0, 1, 2});
    uint32_t vmap = fbw_vec_i32(&w.b, 1, (const int32_t[]){1});
    fbw_field sp[] = {FBW_REF(0, vorder), FBW_REF(1, vmap), FBW_REF(2, vdims)};
    uint32_t sparsity = fbw_table(&w.b, 3, sp);
    uint32_t shape = fbw_vec_i32(&w.b, 2, (const int32_t[]){2, 8}), name = fbw_str(&w.b, "s");
    int buf = tflw_buffer(&w, vals, sizeof vals);
    fbw_field tf[] = {FBW_REF(0, shape), FBW_U8(1, 0), FBW_U32(2, buf), FBW_REF(3, name),
                      FBW_REF(6, sparsity)};
    int s = tflw_tensor_raw(&w, fbw_table(&w.b, 5, tf));
    int d = tflw_tensor(&w, "dense", TFLW_F32, 2, (const int32_t[]){2, 8}, NULL, 0);
    int x = tflw_tensor(&w, "x", TFLW_F32, 2, (const int32_t[]){2, 8}, NULL, 0);
    int y = tflw_tensor(&w, "y", TFLW_F32, 2, (const int32_t[]){2, 8}, NULL, 0);
    tflw_op(&w, 124, NULL, 1, &s, 1, &d, 0, 0);
    fbw_field o[] = {FBW_U8(0, 0)};
    tflw_op(&w, 0, NULL, 2, (int[]){x, d}, 1, &y, 11, fbw_table(&w.b, 1, o));
    tflw_finish(&w, 1, &x, 1, &y);
    float zeros[16] = {0}, *out;
    size_t n;
    CHECK_STATUS(tflm_run(w.d, w.n, 1, (const void *[]){zeros}, 0, &out, &n), ER_OK);
    /* row 0: block 1 holds 1..4; row 1: block 0 holds 5..8 */
    static const float want[16] = {0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0};
    CHECK(n == 16);
    for (int i = 0; i < 16; i++) CHECK_MSG(out[i] == want[i], "dense[%d] = %g", i, out[i]);
    free(out);
    tflw_free(&w);
}

static er_status load_status(const tflw *w) {
    er_model *m = NULL;
    er_status st = er_model_load_memory(w->d, w->n, NULL, &m);
    er_model_free(m);
    return st;
}

TEST(tflite_unsupported_is_named) {
    tflw w;
    /* control flow */
    tflw_init(&w);
    int x = tflw_tensor(&w, "x", TFLW_F32, 1, (const int32_t[]){1}, NULL, 0);
    int y = tflw_tensor(&w, "y", TFLW_F32, 1, (const int32_t[]){1}, NULL, 0);
    tflw_op(&w, 119, NULL, 1, &x, 1, &y, 0, 0);
    tflw_finish(&w, 1, &x, 1, &y);
    CHECK_STATUS(load_status(&w), ER_ERR_UNSUPPORTED);
    CHECK_ERROR_HAS("operator 0 (builtin 119): control flow");
    tflw_free(&w);
    /* an unknown custom op */
    tflw_init(&w);
    x = tflw_tensor(&w, "x", TFLW_F32, 1, (const int32_t[]){1}, NULL, 0);
    y = tflw_tensor(&w, "y", TFLW_F32, 1, (const int32_t[]){1}, NULL, 0);
    tflw_op_custom(&w, "MaxPoolingWithArgmax2D", 1, &x, 1, &y, NULL, 0);
    tflw_finish(&w, 1, &x, 1, &y);
    CHECK_STATUS(load_status(&w), ER_ERR_UNSUPPORTED);
    CHECK_ERROR_HAS("custom operator 'MaxPoolingWithArgmax2D'");
    tflw_free(&w);
    /* a wrong union member: CONV_2D with Pool2DOptions */
    tflw_init(&w);
    x = tflw_tensor(&w, "x", TFLW_F32, 4, (const int32_t[]){1, 2, 2, 1}, NULL, 0);
    static const float k[1] = {1};
    int kw = tflw_tensor(&w, "k", TFLW_F32, 4, (const int32_t[]){1, 1, 1, 1}, k, sizeof k);
    y = tflw_tensor(&w, "y", TFLW_F32, 4, (const int32_t[]){1, 2, 2, 1}, NULL, 0);
    fbw_field o[] = {FBW_I32(1, 1), FBW_I32(2, 1)};
    tflw_op(&w, 3, NULL, 2, (int[]){x, kw}, 1, &y, 5, fbw_table(&w.b, 2, o));
    tflw_finish(&w, 1, &x, 1, &y);
    CHECK_STATUS(load_status(&w), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("operator 0 (CONV_2D): builtin_options has union type 5, expected 1");
    tflw_free(&w);
    /* schema version */
    tflw_init(&w);
    w.version = 2;
    x = tflw_tensor(&w, "x", TFLW_F32, 1, (const int32_t[]){1}, NULL, 0);
    tflw_finish(&w, 1, &x, 1, &x);
    CHECK_STATUS(load_status(&w), ER_ERR_UNSUPPORTED);
    CHECK_ERROR_HAS("version is 2");
    tflw_free(&w);
}
