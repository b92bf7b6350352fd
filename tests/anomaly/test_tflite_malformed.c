/* test_tflite_malformed.c - hostile .tflite files: truncated at every byte,
 * flipped bytes, garbage behind the identifier, offsets and indices out of
 * range, oversized vectors, tables shared so often that reading them would
 * amplify (the reader's budget), wrong union types, broken sparsity, huge
 * shapes, and out-of-memory at every allocation. Each must end in a clean
 * er_status with a message: no crash, no leak, no out-of-bounds read (this
 * tier runs under ASan+UBSan in CI). */
#include <stdio.h>
#include <stdlib.h>

#include "core/alloc.h"
#include "support/tflite_models.h"
#include "test.h"

#define I32S(...) ((const int32_t[]){__VA_ARGS__})

static er_status try_all_uncapped(const void *data, size_t n);

/* Loads, plans and runs; returns the first failing status (-1: a failure
 * without a message, which is a bug). Single allocations are capped at
 * 256 MiB (as in the fuzzers): a flipped byte may declare a huge but
 * representable activation, which must end in ER_ERR_NOMEM, not in the
 * machine's OOM killer. */
static er_status try_all(const void *data, size_t n) {
    er_alloc_cap((size_t)256 << 20);
    er_status st = try_all_uncapped(data, n);
    er_alloc_cap(0);
    return st;
}

static er_status try_all_uncapped(const void *data, size_t n) {
    er_model *m = NULL;
    er_session *s = NULL;
    er_status st = er_model_load_memory(data, n, NULL, &m);
    if (st == ER_OK) st = er_session_create(m, NULL, &s);
    if (st == ER_OK) {
        er_tensor *in[16] = {0}, *out[16];
        int n_in = er_model_input_count(m);
        for (int i = 0; i < n_in && i < 16 && st == ER_OK; i++) {
            er_dtype dt;
            int rank;
            int64_t dims[ER_MAX_RANK];
            st = er_session_input_info(s, i, &dt, &rank, dims);
            if (st == ER_OK) st = er_tensor_create(dt, rank, dims, &in[i]);
        }
        if (st == ER_OK && n_in <= 16 && er_model_output_count(m) <= 16)
            st = er_session_run(s, (const er_tensor *const *)in, out);
        for (int i = 0; i < 16; i++) er_tensor_free(in[i]);
    }
    if (st != ER_OK && er_last_error()[0] == '\0') st = (er_status)-1;
    er_session_free(s);
    er_model_free(m);
    return st;
}

static void (*const models[])(tflw *) = {tflm_small_cnn, tflm_int8_cnn, tflm_sparse_fc,
                                         tflm_fp16_conv, tflm_small_cnn_external};

TEST(tflite_malformed_every_truncation) {
    for (size_t k = 0; k < sizeof models / sizeof models[0]; k++) {
        tflw w;
        models[k](&w);
        CHECK_STATUS(try_all(w.d, w.n), ER_OK);
        for (size_t n = 0; n < w.n; n++) {
            er_status st = try_all(w.d, n);
            /* the identifier survives from 8 bytes on: then it must be a TFLite error */
            CHECK_MSG(st > ER_OK && st < ER_ERR_INTERNAL, "model %zu truncated at %zu: status %d "
                      "(%s)", k, n, (int)st, er_last_error());
        }
        tflw_free(&w);
    }
}

TEST(tflite_malformed_flipped_bytes) {
    for (size_t k = 0; k < sizeof models / sizeof models[0]; k++) {
        tflw w;
        models[k](&w);
        unsigned char *copy = malloc(w.n);
        unsigned seed = 17 + (unsigned)k;
        for (size_t i = 0; i < w.n; i++) {
            /* all three variants on the first model, one random byte on the rest
             * (keeps the ASan tier short) */
            for (int variant = k ? 2 : 0; variant < 3; variant++) {
                memcpy(copy, w.d, w.n);
                copy[i] = variant == 0 ? (unsigned char)~copy[i]
                        : variant == 1 ? 0xff : (unsigned char)rand_r(&seed);
                er_status st = try_all(copy, w.n);
                CHECK_MSG(st >= ER_OK && st < ER_ERR_INTERNAL, "model %zu byte %zu variant %d: "
                          "status %d (%s)", k, i, variant, (int)st, er_last_error());
            }
        }
        free(copy);
        tflw_free(&w);
    }
}

TEST(tflite_malformed_garbage_behind_identifier) {
    unsigned char junk[4096];
    unsigned seed = 3;
    for (int trial = 0; trial < 300; trial++) {
        size_t n = 8 + (size_t)(rand_r(&seed) % (sizeof junk - 8));
        for (size_t i = 0; i < n; i++) junk[i] = (unsigned char)rand_r(&seed);
        memcpy(junk + 4, "TFL3", 4);
        if (trial % 2) junk[0] = (unsigned char)(rand_r(&seed) % 64), junk[1] = junk[2] = junk[3] = 0;
        er_status st = try_all(junk, n);
        CHECK_MSG(st > ER_OK && st < ER_ERR_INTERNAL, "trial %d: status %d", trial, (int)st);
    }
    CHECK_STATUS(try_all("\0\0\0\0TFL3", 8), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("Model table at offset 0");
}

/* A model with one ADD: x + c -> y, with a hook to corrupt pieces. */
static void add_model(tflw *w, int op_in0) {
    static const float c[4] = {1, 2, 3, 4};
    tflw_init(w);
    int x = tflw_tensor(w, "x", TFLW_F32, 1, I32S(4), NULL, 0);
    int k = tflw_tensor(w, "c", TFLW_F32, 1, I32S(4), c, sizeof c);
    int y = tflw_tensor(w, "y", TFLW_F32, 1, I32S(4), NULL, 0);
    fbw_field o[] = {FBW_U8(0, 0)};
    tflw_op(w, 0, NULL, 2, (int[]){op_in0 >= -1 ? op_in0 : x, k}, 1, &y, 11,
            fbw_table(&w->b, 1, o));
    tflw_finish(w, 1, &x, 1, &y);
}

TEST(tflite_malformed_indices_out_of_range) {
    tflw w;
    add_model(&w, 99); /* operator input 99 of 3 tensors */
    CHECK_STATUS(try_all(w.d, w.n), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("subgraphs[0].operators[0]: inputs[0] = 99 is not a tensor index");
    tflw_free(&w);
    add_model(&w, -1); /* a required input absent */
    CHECK_STATUS(try_all(w.d, w.n), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("required input 0 is absent");
    tflw_free(&w);
    /* buffer index out of range */
    tflw_init(&w);
    uint32_t shp = fbw_vec_i32(&w.b, 1, I32S(4)), nm = fbw_str(&w.b, "t");
    fbw_field tf[] = {FBW_REF(0, shp), FBW_U8(1, 0), FBW_U32(2, 1000), FBW_REF(3, nm)};
    int t = tflw_tensor_raw(&w, fbw_table(&w.b, 4, tf));
    tflw_finish(&w, 1, &t, 1, &t);
    CHECK_STATUS(try_all(w.d, w.n), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("tensors[0]: buffer index 1000 is out of range");
    tflw_free(&w);
    /* opcode_index out of range: patch the operator's opcode field */
    add_model(&w, -2);
    tflw_put_u32(w.d + tflw_field_pos(w.d, fbw_pos(&w.b, w.ops[0]), 0), 7);
    CHECK_STATUS(try_all(w.d, w.n), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("operators[0]: opcode_index 7 is out of range (1 operator codes)");
    tflw_free(&w);
    /* subgraph output that nothing produces */
    tflw_init(&w);
    int a = tflw_tensor(&w, "a", TFLW_F32, 1, I32S(2), NULL, 0);
    int b = tflw_tensor(&w, "b", TFLW_F32, 1, I32S(2), NULL, 0);
    tflw_finish(&w, 1, &a, 1, &b);
    CHECK_STATUS(try_all(w.d, w.n), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("tensor 'b' is not produced by any operator");
    tflw_free(&w);
}

TEST(tflite_malformed_shapes) {
    tflw w;
    /* negative dim */
    tflw_init(&w);
    int x = tflw_tensor(&w, "x", TFLW_F32, 2, I32S(2, -7), NULL, 0);
    tflw_finish(&w, 1, &x, 1, &x);
    CHECK_STATUS(try_all(w.d, w.n), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("tensors[0]: shape dim 1 is -7");
    tflw_free(&w);
    /* rank beyond ER_MAX_RANK */
    tflw_init(&w);
    x = tflw_tensor(&w, "x", TFLW_F32, 9, I32S(1, 1, 1, 1, 1, 1, 1, 1, 1), NULL, 0);
    tflw_finish(&w, 1, &x, 1, &x);
    CHECK_STATUS(try_all(w.d, w.n), ER_ERR_UNSUPPORTED);
    CHECK_ERROR_HAS("rank 9");
    tflw_free(&w);
    /* a constant whose shape needs far more than its buffer */
    static const float c[4] = {1, 2, 3, 4};
    tflw_init(&w);
    x = tflw_tensor(&w, "x", TFLW_F32, 1, I32S(4), NULL, 0);
    int k = tflw_tensor(&w, "c", TFLW_F32, 3, I32S(1 << 30, 1 << 30, 16), c, sizeof c);
    int y = tflw_tensor(&w, "y", TFLW_F32, 1, I32S(4), NULL, 0);
    fbw_field o[] = {FBW_U8(0, 0)};
    tflw_op(&w, 0, NULL, 2, (int[]){x, k}, 1, &y, 11, fbw_table(&w.b, 1, o));
    tflw_finish(&w, 1, &x, 1, &y);
    CHECK_STATUS(try_all(w.d, w.n), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("buffer 1 holds 16 bytes");
    tflw_free(&w);
    /* huge activations: planning refuses them with a shape error */
    tflw_init(&w);
    x = tflw_tensor(&w, "x", TFLW_F32, 4, I32S(65536, 65536, 65536, 4), NULL, 0);
    y = tflw_tensor(&w, "y", TFLW_F32, 4, I32S(65536, 65536, 65536, 4), NULL, 0);
    tflw_op(&w, 19, NULL, 1, &x, 1, &y, 0, 0);
    tflw_finish(&w, 1, &x, 1, &y);
    er_status st = try_all(w.d, w.n);
    CHECK_MSG(st == ER_ERR_SHAPE || st == ER_ERR_NOMEM || st == ER_ERR_INVALID_ARG,
              "status %d (%s)", (int)st, er_last_error());
    tflw_free(&w);
}

TEST(tflite_malformed_union_types) {
    tflw w;
    /* RESHAPE with Conv2DOptions */
    tflw_init(&w);
    int x = tflw_tensor(&w, "x", TFLW_F32, 1, I32S(4), NULL, 0);
    int y = tflw_tensor(&w, "y", TFLW_F32, 2, I32S(2, 2), NULL, 0);
    fbw_field o[] = {FBW_I32(1, 1)};
    tflw_op(&w, 22, NULL, 1, &x, 1, &y, 1, fbw_table(&w.b, 1, o));
    tflw_finish(&w, 1, &x, 1, &y);
    CHECK_STATUS(try_all(w.d, w.n), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("builtin_options has union type 1, expected 17");
    tflw_free(&w);
    /* a union type byte far outside the schema (255) */
    tflw_init(&w);
    x = tflw_tensor(&w, "x", TFLW_F32, 1, I32S(4), NULL, 0);
    y = tflw_tensor(&w, "y", TFLW_F32, 1, I32S(4), NULL, 0);
    tflw_op(&w, 0, NULL, 2, (int[]){x, x}, 1, &y, 255, fbw_table(&w.b, 1, o));
    tflw_finish(&w, 1, &x, 1, &y);
    CHECK_STATUS(try_all(w.d, w.n), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("union type 255");
    tflw_free(&w);
    /* sparse index vector of an undefined union member */
    tflw_init(&w);
    uint32_t vseg = fbw_vec_i32(&w.b, 2, I32S(0, 1)), vidx = fbw_vec_i32(&w.b, 1, I32S(0));
    fbw_field fs[] = {FBW_REF(0, vseg)}, fi[] = {FBW_REF(0, vidx)};
    uint32_t tseg = fbw_table(&w.b, 1, fs), tidx = fbw_table(&w.b, 1, fi);
    fbw_field d0[] = {FBW_U8(0, 1), FBW_U8(2, 9), FBW_REF(3, tseg), FBW_U8(4, 1), FBW_REF(5, tidx)};
    uint32_t dims[1] = {fbw_table(&w.b, 5, d0)};
    uint32_t vdims = fbw_vec_refs(&w.b, 1, dims), vorder = fbw_vec_i32(&w.b, 1, I32S(0));
    fbw_field sp[] = {FBW_REF(0, vorder), FBW_REF(2, vdims)};
    uint32_t sparsity = fbw_table(&w.b, 2, sp);
    static const float v1[1] = {1};
    uint32_t shape = fbw_vec_i32(&w.b, 1, I32S(4)), name = fbw_str(&w.b, "s");
    int buf = tflw_buffer(&w, v1, sizeof v1);
    fbw_field tf[] = {FBW_REF(0, shape), FBW_U8(1, 0), FBW_U32(2, buf), FBW_REF(3, name),
                      FBW_REF(6, sparsity)};
    int s = tflw_tensor_raw(&w, fbw_table(&w.b, 5, tf));
    tflw_finish(&w, 1, &s, 1, &s);
    CHECK_STATUS(try_all(w.d, w.n), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("array_segments has union type 9");
    tflw_free(&w);
}

/* A [4] sparse tensor: one CSR level with the given segments and indices. */
static er_status sparse_case(const int32_t *seg, int n_seg, const int32_t *idx, int n_idx,
                             int n_vals) {
    static const float vals[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    tflw w;
    tflw_init(&w);
    uint32_t vseg = fbw_vec_i32(&w.b, (size_t)n_seg, seg), vidx = fbw_vec_i32(&w.b, (size_t)n_idx, idx);
    fbw_field fs[] = {FBW_REF(0, vseg)}, fi[] = {FBW_REF(0, vidx)};
    uint32_t tseg = fbw_table(&w.b, 1, fs), tidx = fbw_table(&w.b, 1, fi);
    fbw_field d0[] = {FBW_U8(0, 1), FBW_U8(2, 1), FBW_REF(3, tseg), FBW_U8(4, 1), FBW_REF(5, tidx)};
    uint32_t dims[1] = {fbw_table(&w.b, 5, d0)};
    uint32_t vdims = fbw_vec_refs(&w.b, 1, dims), vorder = fbw_vec_i32(&w.b, 1, I32S(0));
    fbw_field sp[] = {FBW_REF(0, vorder), FBW_REF(2, vdims)};
    uint32_t sparsity = fbw_table(&w.b, 2, sp);
    uint32_t shape = fbw_vec_i32(&w.b, 1, I32S(4)), name = fbw_str(&w.b, "s");
    int buf = tflw_buffer(&w, vals, sizeof(float) * (size_t)n_vals);
    fbw_field tf[] = {FBW_REF(0, shape), FBW_U8(1, 0), FBW_U32(2, buf), FBW_REF(3, name),
                      FBW_REF(6, sparsity)};
    int s = tflw_tensor_raw(&w, fbw_table(&w.b, 5, tf));
    int d = tflw_tensor(&w, "d", TFLW_F32, 1, I32S(4), NULL, 0);
    int x = tflw_tensor(&w, "x", TFLW_F32, 1, I32S(4), NULL, 0);
    int y = tflw_tensor(&w, "y", TFLW_F32, 1, I32S(4), NULL, 0);
    tflw_op(&w, 124, NULL, 1, &s, 1, &d, 0, 0);
    fbw_field o[] = {FBW_U8(0, 0)};
    tflw_op(&w, 0, NULL, 2, (int[]){x, d}, 1, &y, 11, fbw_table(&w.b, 1, o));
    tflw_finish(&w, 1, &x, 1, &y);
    er_status st = try_all(w.d, w.n);
    tflw_free(&w);
    return st;
}

TEST(tflite_malformed_sparsity) {
    CHECK_STATUS(sparse_case(I32S(0, 2), 2, I32S(1, 3), 2, 2), ER_OK);
    CHECK_STATUS(sparse_case(I32S(0, 2), 2, I32S(1, 9), 2, 2), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("index 9 is outside its size 4");
    CHECK_STATUS(sparse_case(I32S(0, 5), 2, I32S(1, 3), 2, 2), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("segment [0, 5) is not inside its 2 indices");
    CHECK_STATUS(sparse_case(I32S(2, 0), 2, I32S(1, 3), 2, 2), ER_ERR_INVALID_MODEL);
    CHECK_STATUS(sparse_case(I32S(0), 1, I32S(1, 3), 2, 2), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("segments");
    CHECK_STATUS(sparse_case(I32S(0, 2), 2, I32S(1, 3), 2, 1), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("past the 1 stored values");
    CHECK_STATUS(sparse_case(I32S(0, -1), 2, I32S(1, 3), 2, 2), ER_ERR_INVALID_MODEL);
}

TEST(tflite_malformed_shared_tables_exhaust_the_budget) {
    /* 30000 entries of SubGraph.tensors point at one Tensor whose per-axis
     * quantization has 100000 scales: legal sharing, but decoding it for
     * every entry would be 6e9 steps. The reader's budget stops it. */
    enum { N = 100000, REFS = 30000 };
    float *scales = malloc(sizeof(float) * N);
    int64_t *zps = calloc(N, sizeof(int64_t));
    uint32_t *refs = malloc(sizeof(uint32_t) * REFS);
    for (int i = 0; i < N; i++) scales[i] = 0.5f;
    fbw b = {0};
    uint32_t vs = fbw_vec_f32(&b, N, scales), vz = fbw_vec_i64(&b, N, zps);
    fbw_field qf[] = {FBW_REF(2, vs), FBW_REF(3, vz), FBW_I32(6, 0)};
    uint32_t q = fbw_table(&b, 3, qf);
    uint32_t shp = fbw_vec_i32(&b, 1, I32S(N)), nm = fbw_str(&b, "t");
    fbw_field tf[] = {FBW_REF(0, shp), FBW_U8(1, 9), FBW_REF(3, nm), FBW_REF(4, q)};
    uint32_t tensor = fbw_table(&b, 4, tf);
    for (int i = 0; i < REFS; i++) refs[i] = tensor;
    uint32_t vt = fbw_vec_refs(&b, REFS, refs);
    fbw_field sg[] = {FBW_REF(0, vt)};
    uint32_t sub = fbw_table(&b, 1, sg);
    uint32_t vsg = fbw_vec_refs(&b, 1, &sub);
    uint32_t empty = fbw_table(&b, 0, NULL);
    uint32_t vb = fbw_vec_refs(&b, 1, &empty);
    fbw_field mf[] = {FBW_U32(0, 3), FBW_REF(2, vsg), FBW_REF(4, vb)};
    fbw_finish(&b, fbw_table(&b, 3, mf), "TFL3");
    CHECK_STATUS(try_all(b.d, b.n), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("shared or cyclic");
    fbw_free(&b);
    free(scales);
    free(zps);
    free(refs);
}

TEST(tflite_malformed_vectors_past_the_end) {
    tflw w;
    tflm_small_cnn(&w);
    /* every aligned u32 in turn set to a huge value: lengths, offsets and
     * indices all end in clean errors */
    unsigned char *copy = malloc(w.n);
    for (size_t p = 0; p + 4 <= w.n; p += 4) {
        memcpy(copy, w.d, w.n);
        tflw_put_u32(copy + p, 0x7ffffff0u);
        er_status st = try_all(copy, w.n);
        CHECK_MSG(st >= ER_OK && st < ER_ERR_INTERNAL, "u32 at %zu: status %d (%s)", p, (int)st,
                  er_last_error());
        tflw_put_u32(copy + p, 0xfffffffcu);
        st = try_all(copy, w.n);
        CHECK_MSG(st >= ER_OK && st < ER_ERR_INTERNAL, "u32 at %zu: status %d (%s)", p, (int)st,
                  er_last_error());
    }
    free(copy);
    tflw_free(&w);
}

TEST(tflite_out_of_memory_at_every_allocation) {
    for (size_t k = 0; k < sizeof models / sizeof models[0]; k++) {
        tflw w;
        models[k](&w);
        int succeeded = 0;
        for (long n = 0; n < 20000 && !succeeded; n++) {
            er_alloc_fail_after(n);
            er_status st = try_all(w.d, w.n);
            er_alloc_fail_after(-1);
            CHECK_MSG(st == ER_OK || st == ER_ERR_NOMEM, "model %zu: allocation %ld failing gave "
                      "status %d (%s)", k, n, (int)st, er_last_error());
            succeeded = st == ER_OK;
        }
        CHECK(succeeded);
        tflw_free(&w);
    }
}
