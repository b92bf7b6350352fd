/* test_malformed.c - hostile and broken models: every one must give a clean
 * er_status and a message, never a crash, a leak or an out-of-bounds read
 * (this tier runs under ASan+UBSan in CI). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "support/models.h"
#include "test.h"

/* Loads, plans and runs; returns the first failing status. */
static er_status try_all(const void *data, size_t n, const char *base_dir) {
    er_model *m = NULL;
    er_session *s = NULL;
    er_status st = er_model_load_memory(data, n, base_dir, &m);
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
    if (st != ER_OK && er_last_error()[0] == '\0') st = (er_status)-1; /* no message: a bug */
    er_session_free(s);
    er_model_free(m);
    return st;
}

TEST(malformed_every_truncation) {
    pbw w = {0};
    model_add_mul(&w, 2);
    CHECK_STATUS(try_all(w.d, w.n, NULL), ER_OK);
    for (size_t n = 0; n < w.n; n++) {
        er_status st = try_all(w.d, n, NULL);
        CHECK_MSG(st >= ER_OK && st <= ER_ERR_INTERNAL && st != ER_ERR_INTERNAL,
                  "truncated at %zu: status %d (%s)", n, (int)st, er_last_error());
    }
    pbw_free(&w);
}

TEST(malformed_flipped_bytes) {
    pbw w = {0};
    model_add_mul(&w, 2);
    unsigned char *copy = malloc(w.n);
    unsigned seed = 99;
    for (size_t i = 0; i < w.n; i++) {
        for (int variant = 0; variant < 4; variant++) {
            memcpy(copy, w.d, w.n);
            copy[i] = variant == 0 ? (unsigned char)~copy[i]
                    : variant == 1 ? 0xff : (unsigned char)rand_r(&seed);
            er_status st = try_all(copy, w.n, NULL);
            CHECK_MSG(st >= ER_OK && st < ER_ERR_INTERNAL, "byte %zu variant %d: status %d (%s)",
                      i, variant, (int)st, er_last_error());
        }
    }
    free(copy);
    pbw_free(&w);
}

TEST(malformed_garbage_and_empty) {
    unsigned char junk[4096];
    unsigned seed = 5;
    for (int trial = 0; trial < 200; trial++) {
        size_t n = (size_t)(rand_r(&seed) % sizeof junk);
        for (size_t i = 0; i < n; i++) junk[i] = (unsigned char)rand_r(&seed);
        junk[0] = 0x3a; /* looks like a ModelProto.graph field */
        er_status st = try_all(junk, n, NULL);
        CHECK_MSG(st > ER_OK && st < ER_ERR_INTERNAL, "trial %d: status %d", trial, (int)st);
    }
    CHECK_STATUS(try_all("", 0, NULL), ER_ERR_INVALID_MODEL);
    er_model *m;
    CHECK_STATUS(er_model_load("/tmp", &m), ER_ERR_IO);
    CHECK_ERROR_HAS("not a regular file");
}

TEST(malformed_varint_that_never_ends) {
    pbw w = {0};
    model_add_mul(&w, 2);
    unsigned char *bad = malloc(w.n + 16);
    memcpy(bad, w.d, w.n);
    bad[w.n] = 0x08; /* ir_version field ... */
    for (int i = 1; i < 16; i++) bad[w.n + i] = 0x80; /* ... whose varint never ends */
    CHECK_STATUS(try_all(bad, w.n + 16, NULL), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("varint");
    CHECK_ERROR_HAS("offset");
    free(bad);
    pbw_free(&w);
}

/* Graph with one Add(x, w) node and the given initializer bytes. */
static void one_add(pbw *model, int rank, const int64_t *wdims, const void *raw, size_t raw_n,
                    const char *second_input) {
    pbw g = {0}, n = {0}, t = {0}, vi = {0};
    int64_t xd[1] = {4};
    const char *in[] = {"x", second_input, NULL}, *out[] = {"y", NULL};
    onnx_node(&n, "Add", "add0", in, out, NULL);
    pbw_msg(&g, 1, &n);
    if (raw) {
        onnx_tensor(&t, "w", 1, rank, wdims, raw, raw_n);
        pbw_msg(&g, 5, &t);
    }
    onnx_value_info(&vi, "x", 1, 1, xd);
    pbw_msg(&g, 11, &vi);
    pbw_free(&vi);
    onnx_value_info(&vi, "y", 1, 1, xd);
    pbw_msg(&g, 12, &vi);
    onnx_model(model, &g, 13);
    pbw_free(&g);
    pbw_free(&n);
    pbw_free(&t);
    pbw_free(&vi);
}

TEST(malformed_negative_and_huge_dims) {
    float w[4] = {0};
    pbw m = {0};
    int64_t neg[1] = {-4};
    one_add(&m, 1, neg, w, sizeof w, "w");
    CHECK_STATUS(try_all(m.d, m.n, NULL), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("tensor 'w'");
    pbw_free(&m);
    int64_t huge[3] = {1ll << 40, 1ll << 40, 1ll << 40};
    one_add(&m, 3, huge, w, sizeof w, "w");
    CHECK_STATUS(try_all(m.d, m.n, NULL), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("too large");
    pbw_free(&m);
    int64_t wrong[1] = {5}; /* 5 floats declared, 4 present */
    one_add(&m, 1, wrong, w, sizeof w, "w");
    CHECK_STATUS(try_all(m.d, m.n, NULL), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("raw_data has 16 bytes");
    pbw_free(&m);
}

TEST(malformed_huge_input_shape) {
    pbw g = {0}, n = {0}, vi = {0}, model = {0};
    int64_t xd[4] = {1ll << 20, 1ll << 20, 1ll << 20, 1ll << 20};
    const char *in[] = {"x", "x", NULL}, *out[] = {"y", NULL};
    onnx_node(&n, "Add", "add0", in, out, NULL);
    pbw_msg(&g, 1, &n);
    onnx_value_info(&vi, "x", 1, 4, xd);
    pbw_msg(&g, 11, &vi);
    pbw_free(&vi);
    onnx_value_info(&vi, "y", 1, 4, xd);
    pbw_msg(&g, 12, &vi);
    onnx_model(&model, &g, 13);
    er_status st = try_all(model.d, model.n, NULL);
    CHECK_MSG(st == ER_ERR_SHAPE || st == ER_ERR_NOMEM, "status %d: %s", (int)st, er_last_error());
    pbw_free(&g);
    pbw_free(&n);
    pbw_free(&vi);
    pbw_free(&model);
}

TEST(malformed_missing_initializer) {
    pbw m = {0};
    one_add(&m, 0, NULL, NULL, 0, "w_missing");
    CHECK_STATUS(try_all(m.d, m.n, NULL), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("'w_missing'");
    CHECK_ERROR_HAS("missing initializer");
    pbw_free(&m);
}

TEST(malformed_node_cycle) {
    /* a = Add(x, b); b = Add(a, x): a cycle */
    pbw g = {0}, n = {0}, vi = {0}, model = {0};
    int64_t xd[1] = {4};
    const char *in1[] = {"x", "b", NULL}, *out1[] = {"a", NULL};
    const char *in2[] = {"a", "x", NULL}, *out2[] = {"b", NULL};
    onnx_node(&n, "Add", "first", in1, out1, NULL);
    pbw_msg(&g, 1, &n);
    pbw_free(&n);
    onnx_node(&n, "Add", "second", in2, out2, NULL);
    pbw_msg(&g, 1, &n);
    onnx_value_info(&vi, "x", 1, 1, xd);
    pbw_msg(&g, 11, &vi);
    pbw_free(&vi);
    onnx_value_info(&vi, "b", 1, 1, xd);
    pbw_msg(&g, 12, &vi);
    onnx_model(&model, &g, 13);
    CHECK_STATUS(try_all(model.d, model.n, NULL), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("cycle");
    pbw_free(&g);
    pbw_free(&n);
    pbw_free(&vi);
    pbw_free(&model);
}

/* Initializer "w" stored externally with the given location/offset/length. */
static void external_model(pbw *model, const char *location, const char *offset,
                           const char *length) {
    pbw g = {0}, n = {0}, t = {0}, vi = {0}, kv = {0};
    int64_t xd[1] = {4};
    const char *in[] = {"x", "w", NULL}, *out[] = {"y", NULL};
    onnx_node(&n, "Add", "add0", in, out, NULL);
    pbw_msg(&g, 1, &n);
    pbw_int(&t, 1, 4);
    pbw_int(&t, 2, 1);
    pbw_str(&t, 8, "w");
    const char *keys[3] = {"location", "offset", "length"};
    const char *vals[3] = {location, offset, length};
    for (int i = 0; i < 3; i++) {
        if (!vals[i]) continue;
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
    onnx_model(model, &g, 13);
    pbw_free(&g);
    pbw_free(&n);
    pbw_free(&t);
    pbw_free(&vi);
}

TEST(external_data_loads_and_escapes_are_refused) {
    char dir[] = "/tmp/er_ext_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[256];
    snprintf(path, sizeof path, "%s/weights.bin", dir);
    FILE *f = fopen(path, "wb");
    float w[6] = {9, 1, 2, 3, 4, 9}; /* payload at offset 4 */
    fwrite(w, 1, sizeof w, f);
    fclose(f);
    pbw m = {0};
    external_model(&m, "weights.bin", "4", "16");
    CHECK_STATUS(try_all(m.d, m.n, dir), ER_OK);
    /* written as a file next to the weights, loaded by path */
    char mpath[256];
    snprintf(mpath, sizeof mpath, "%s/model.onnx", dir);
    f = fopen(mpath, "wb");
    fwrite(m.d, 1, m.n, f);
    fclose(f);
    er_model *model;
    CHECK_STATUS(er_model_load(mpath, &model), ER_OK);
    er_model_free(model);
    pbw_free(&m);
    external_model(&m, "../weights.bin", "0", "16");
    CHECK_STATUS(try_all(m.d, m.n, dir), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("refused");
    pbw_free(&m);
    external_model(&m, "/etc/passwd", "0", "16");
    CHECK_STATUS(try_all(m.d, m.n, dir), ER_ERR_INVALID_MODEL);
    pbw_free(&m);
    external_model(&m, "a/../../weights.bin", "0", "16");
    CHECK_STATUS(try_all(m.d, m.n, dir), ER_ERR_INVALID_MODEL);
    pbw_free(&m);
    external_model(&m, "weights.bin", "16", "16"); /* runs past the 24-byte file */
    CHECK_STATUS(try_all(m.d, m.n, dir), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("outside");
    pbw_free(&m);
    external_model(&m, "weights.bin", "0", "12"); /* length != 4 floats */
    CHECK_STATUS(try_all(m.d, m.n, dir), ER_ERR_INVALID_MODEL);
    pbw_free(&m);
    external_model(&m, "weights.bin", "-1", "16");
    CHECK_STATUS(try_all(m.d, m.n, dir), ER_ERR_INVALID_MODEL);
    pbw_free(&m);
    external_model(&m, "nothere.bin", "0", "16");
    CHECK_STATUS(try_all(m.d, m.n, dir), ER_ERR_IO);
    pbw_free(&m);
    external_model(&m, "weights.bin", "0", "16");
    CHECK_STATUS(try_all(m.d, m.n, NULL), ER_ERR_INVALID_MODEL); /* from memory: no folder */
    pbw_free(&m);
    snprintf(path, sizeof path, "%s/link.bin", dir);
    CHECK(symlink("/etc/hostname", path) == 0);
    external_model(&m, "link.bin", "0", "4");
    CHECK_STATUS(try_all(m.d, m.n, dir), ER_ERR_IO); /* symlink leaves the folder */
    pbw_free(&m);
    remove(path);
    snprintf(path, sizeof path, "%s/weights.bin", dir);
    remove(path);
    remove(mpath);
    rmdir(dir);
}

TEST(out_of_memory_at_every_allocation) {
    pbw w = {0};
    model_add_mul(&w, 2);
    int succeeded = 0;
    for (long n = 0; n < 10000 && !succeeded; n++) {
        er_alloc_fail_after(n);
        er_status st = try_all(w.d, w.n, NULL);
        er_alloc_fail_after(-1);
        CHECK_MSG(st == ER_OK || st == ER_ERR_NOMEM, "allocation %ld failing gave status %d (%s)",
                  n, (int)st, er_last_error());
        succeeded = st == ER_OK;
    }
    CHECK(succeeded);
    pbw_free(&w);
}
