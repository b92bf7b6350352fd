/* test_session.c - load from memory, plan, run; shape binding, re-planning,
 * errors that name the node/op/shape; the arena against the naive sum. */
#include <pthread.h>
#include <stdlib.h>

#include "core/tensor.h"
#include "runtime/session.h"
#include "support/models.h"
#include "test.h"

static er_model *load(const pbw *w) {
    er_model *m = NULL;
    if (er_model_load_memory(w->d, w->n, NULL, &m) != ER_OK) printf("  load: %s\n", er_last_error());
    return m;
}

TEST(session_runs_add_mul) {
    pbw w = {0};
    model_add_mul(&w, 2);
    er_model *m = load(&w);
    CHECK(m);
    CHECK_EQ_INT(er_model_input_count(m), 1);
    CHECK(strcmp(er_model_input_name(m, 0), "x") == 0);
    er_session *s;
    CHECK_STATUS(er_session_create(m, NULL, &s), ER_OK);
    float xv[8] = {0, 1, 2, 3, -1, -2, -3, -4};
    int64_t dims[2] = {2, 4};
    er_tensor *x, *y;
    CHECK_STATUS(er_tensor_wrap(ER_F32, 2, dims, xv, sizeof xv, &x), ER_OK);
    CHECK_STATUS(er_session_run(s, (const er_tensor *const *)&x, &y), ER_OK);
    const float *yv = er_tensor_data(y);
    float want[8] = {1, 9, 25, 49, 0, 0, 0, 0};
    for (int i = 0; i < 8; i++) CHECK_MSG(yv[i] == want[i], "y[%d] = %g, want %g", i, yv[i], want[i]);
    CHECK(er_session_arena_bytes(s) > 0);
    er_tensor_free(x);
    er_session_free(s);
    er_model_free(m);
    pbw_free(&w);
}

TEST(session_symbolic_batch_replans) {
    pbw w = {0};
    model_add_mul(&w, -1);
    er_model *m = load(&w);
    CHECK(m);
    int rank;
    int64_t d[ER_MAX_RANK];
    CHECK_STATUS(er_model_input_info(m, 0, NULL, &rank, d), ER_OK);
    CHECK(rank == 2 && d[0] == -1 && d[1] == 4);
    er_session *s;
    CHECK_STATUS(er_session_create(m, NULL, &s), ER_OK);
    CHECK_STATUS(er_session_input_info(s, 0, NULL, &rank, d), ER_OK);
    CHECK(d[0] == 1); /* symbolic dims default to 1 */
    for (int64_t n = 1; n <= 5; n += 2) {
        int64_t dims[2] = {n, 4};
        er_tensor *x, *y;
        CHECK_STATUS(er_tensor_create(ER_F32, 2, dims, &x), ER_OK);
        CHECK_STATUS(er_session_run(s, (const er_tensor *const *)&x, &y), ER_OK);
        CHECK(er_tensor_dim(y, 0) == n);
        CHECK(((float *)er_tensor_data(y))[4 * n - 1] == 16.0f);
        er_tensor_free(x);
    }
    er_session_free(s);
    er_model_free(m);
    pbw_free(&w);
}

TEST(session_rejects_wrong_input_shape_and_dtype) {
    pbw w = {0};
    model_add_mul(&w, 2);
    er_model *m = load(&w);
    er_session *s;
    CHECK_STATUS(er_session_create(m, NULL, &s), ER_OK);
    int64_t bad[2] = {2, 5};
    er_tensor *x, *y;
    CHECK_STATUS(er_tensor_create(ER_F32, 2, bad, &x), ER_OK);
    CHECK_STATUS(er_session_run(s, (const er_tensor *const *)&x, &y), ER_ERR_INVALID_ARG);
    CHECK_ERROR_HAS("input 'x' has shape [2,5], the model expects [2,4]");
    er_tensor_free(x);
    int64_t good[2] = {2, 4};
    CHECK_STATUS(er_tensor_create(ER_I64, 2, good, &x), ER_OK);
    CHECK_STATUS(er_session_run(s, (const er_tensor *const *)&x, &y), ER_ERR_INVALID_ARG);
    CHECK_ERROR_HAS("dtype int64, the model expects float32");
    er_tensor_free(x);
    CHECK_STATUS(er_session_run(s, NULL, &y), ER_ERR_INVALID_ARG);
    er_session_free(s);
    er_model_free(m);
    pbw_free(&w);
}

TEST(session_shape_error_names_node_op_and_shapes) {
    /* Add of [2,4] and [3]: not broadcastable */
    pbw g = {0}, n = {0}, t = {0}, vi = {0}, model = {0};
    float wv[3] = {1, 2, 3};
    int64_t wd[1] = {3}, xd[2] = {2, 4};
    const char *in[] = {"x", "w", NULL}, *out[] = {"y", NULL};
    onnx_node(&n, "Add", "bad_add", in, out, NULL);
    pbw_msg(&g, 1, &n);
    onnx_tensor(&t, "w", 1, 1, wd, wv, sizeof wv);
    pbw_msg(&g, 5, &t);
    onnx_value_info(&vi, "x", 1, 2, xd);
    pbw_msg(&g, 11, &vi);
    pbw_free(&vi);
    onnx_value_info(&vi, "y", 1, 2, xd);
    pbw_msg(&g, 12, &vi);
    onnx_model(&model, &g, 13);
    er_model *m = load(&model);
    CHECK(m);
    er_session *s = (er_session *)1;
    CHECK_STATUS(er_session_create(m, NULL, &s), ER_ERR_SHAPE);
    CHECK(s == NULL);
    CHECK_ERROR_HAS("node 'bad_add' (Add)");
    CHECK_ERROR_HAS("[3]");
    CHECK_ERROR_HAS("[2,4]");
    er_model_free(m);
    pbw_free(&g);
    pbw_free(&n);
    pbw_free(&t);
    pbw_free(&vi);
    pbw_free(&model);
}

TEST(session_unsupported_op_is_named) {
    pbw g = {0}, n = {0}, vi = {0}, model = {0};
    int64_t xd[1] = {4};
    const char *in[] = {"x", NULL}, *out[] = {"y", NULL};
    onnx_node(&n, "FrobnicateV7", "frob", in, out, NULL);
    pbw_msg(&g, 1, &n);
    onnx_value_info(&vi, "x", 1, 1, xd);
    pbw_msg(&g, 11, &vi);
    pbw_free(&vi);
    onnx_value_info(&vi, "y", 1, 1, xd);
    pbw_msg(&g, 12, &vi);
    onnx_model(&model, &g, 13);
    er_model *m = load(&model);
    CHECK(m);
    er_session *s;
    CHECK_STATUS(er_session_create(m, NULL, &s), ER_ERR_UNSUPPORTED);
    CHECK_ERROR_HAS("op 'FrobnicateV7' is not supported");
    CHECK_ERROR_HAS("node 'frob'");
    er_model_free(m);
    pbw_free(&g);
    pbw_free(&n);
    pbw_free(&vi);
    pbw_free(&model);
}

TEST(session_api_misuse) {
    er_session *s = (er_session *)1;
    CHECK_STATUS(er_session_create(NULL, NULL, &s), ER_ERR_INVALID_ARG);
    CHECK(s == NULL);
    CHECK_STATUS(er_session_create(NULL, NULL, NULL), ER_ERR_INVALID_ARG);
    er_model *m = (er_model *)1;
    CHECK_STATUS(er_model_load(NULL, &m), ER_ERR_INVALID_ARG);
    CHECK(m == NULL);
    CHECK_STATUS(er_model_load("/nonexistent/model.onnx", &m), ER_ERR_IO);
    CHECK_ERROR_HAS("/nonexistent/model.onnx");
    er_session_free(NULL);
    er_model_free(NULL);
    er_tensor_free(NULL);
    CHECK_STATUS(er_session_run(NULL, NULL, NULL), ER_ERR_INVALID_ARG);
    er_tensor *t;
    int64_t neg[1] = {-3};
    CHECK_STATUS(er_tensor_create(ER_F32, 1, neg, &t), ER_ERR_INVALID_ARG);
    CHECK_STATUS(er_tensor_create(ER_STRING, 0, NULL, &t), ER_ERR_INVALID_ARG);
    CHECK(strcmp(er_status_str(ER_ERR_SHAPE), "shape error") == 0);
}

TEST(session_shape_chain_on_input_stays_static) {
    /* y = Reshape(x, Shape(x)): Shape folds from the bound input shape, so
     * Reshape's target is known at plan time and no dynamic mode is needed */
    pbw g = {0}, n = {0}, vi = {0}, model = {0};
    int64_t xd[3] = {2, 3, 4};
    const char *in1[] = {"x", NULL}, *out1[] = {"s", NULL};
    const char *in2[] = {"x", "s", NULL}, *out2[] = {"y", NULL};
    onnx_node(&n, "Shape", "shape0", in1, out1, NULL);
    pbw_msg(&g, 1, &n);
    pbw_free(&n);
    onnx_node(&n, "Reshape", "reshape0", in2, out2, NULL);
    pbw_msg(&g, 1, &n);
    onnx_value_info(&vi, "x", 1, 3, xd);
    pbw_msg(&g, 11, &vi);
    pbw_free(&vi);
    onnx_value_info(&vi, "y", 1, 3, xd);
    pbw_msg(&g, 12, &vi);
    onnx_model(&model, &g, 13);
    er_model *m = load(&model);
    CHECK(m);
    er_session *s;
    CHECK_STATUS(er_session_create(m, NULL, &s), ER_OK);
    CHECK(!er_session_is_dynamic(s));
    er_tensor *x, *y;
    CHECK_STATUS(er_tensor_create(ER_F32, 3, xd, &x), ER_OK);
    ((float *)er_tensor_data(x))[23] = 7;
    CHECK_STATUS(er_session_run(s, (const er_tensor *const *)&x, &y), ER_OK);
    CHECK(er_tensor_rank(y) == 3 && ((float *)er_tensor_data(y))[23] == 7);
    er_tensor_free(x);
    er_session_free(s);
    er_model_free(m);
    pbw_free(&g);
    pbw_free(&n);
    pbw_free(&vi);
    pbw_free(&model);
}

/* One model shared read-only by sessions on several threads. */
typedef struct { const er_model *m; int ok; } share_arg;

static void *share_worker(void *p) {
    share_arg *a = p;
    er_session *s;
    a->ok = 0;
    if (er_session_create(a->m, NULL, &s) != ER_OK) return NULL;
    int64_t dims[2] = {2, 4};
    er_tensor *x, *y;
    if (er_tensor_create(ER_F32, 2, dims, &x) != ER_OK) return NULL;
    int good = 1;
    for (int it = 0; it < 200 && good; it++) {
        float *xv = er_tensor_data(x);
        for (int i = 0; i < 8; i++) xv[i] = (float)(it + i);
        good = er_session_run(s, (const er_tensor *const *)&x, &y) == ER_OK;
        const float *yv = er_tensor_data(y);
        for (int i = 0; good && i < 8; i++) {
            float t = (float)(it + i) + (float)(i % 4 + 1);
            good = yv[i] == t * t;
        }
    }
    er_tensor_free(x);
    er_session_free(s);
    a->ok = good;
    return NULL;
}

TEST(session_model_shared_across_threads) {
    pbw w = {0};
    model_add_mul(&w, 2);
    er_model *m = load(&w);
    CHECK(m);
    pthread_t th[4];
    share_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (share_arg){m, 0};
        CHECK(pthread_create(&th[i], NULL, share_worker, &args[i]) == 0);
    }
    for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < 4; i++) CHECK_MSG(args[i].ok, "thread %d got wrong results", i);
    er_model_free(m);
    pbw_free(&w);
}
