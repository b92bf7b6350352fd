/* test_tflite_shape_ops.c - TFLite data-movement operators (RESHAPE,
 * SQUEEZE, EXPAND_DIMS, TRANSPOSE, CONCATENATION, PACK, UNPACK, SPLIT,
 * SPLIT_V, SLICE, STRIDED_SLICE with every mask, GATHER, PAD, PADV2,
 * MIRROR_PAD both modes, TILE) on x = arange(n), against expected values
 * written out from TensorFlow's semantics. */
#include <math.h>
#include <stdlib.h>

#include "support/tflite_models.h"
#include "test.h"

#define I32S(...) ((const int32_t[]){__VA_ARGS__})

static float g_x[64];

static void init_x(void) {
    for (int i = 0; i < 64; i++) g_x[i] = (float)i;
}

/* Builds input x (float, shape xs) -> op(x, constant int32 inputs) -> y. */
typedef struct cin {
    int rank;
    int32_t dims[4];
    int32_t v[16];
} cin;

static int run_op(int code, int opt_type, int n_opt, const fbw_field *opt, int xrank,
                  const int32_t *xdims, int n_c, const cin *c, int x_at, int n_out, int yrank,
                  const int32_t *ydims, float **y, size_t *n, int which_out) {
    tflw w;
    tflw_init(&w);
    int x = tflw_tensor(&w, "x", TFLW_F32, xrank, xdims, NULL, 0);
    int in[8], k = 0;
    for (int i = 0; i < n_c; i++) {
        size_t cnt = 1;
        for (int d = 0; d < c[i].rank; d++) cnt *= (size_t)c[i].dims[d];
        if (k == x_at) in[k++] = x;
        in[k++] = tflw_tensor(&w, "c", TFLW_I32, c[i].rank, c[i].dims, c[i].v, 4 * cnt);
    }
    if (k == x_at) in[k++] = x;
    int outs[8];
    for (int o = 0; o < n_out; o++) outs[o] = tflw_tensor(&w, "y", TFLW_F32, yrank, ydims, NULL, 0);
    tflw_op(&w, code, NULL, k, in, n_out, outs, opt_type, n_opt ? fbw_table(&w.b, n_opt, opt) : 0);
    tflw_finish(&w, 1, &x, n_out, outs);
    er_status st = tflm_run(w.d, w.n, 1, (const void *[]){g_x}, which_out, y, n);
    if (st != ER_OK) printf("  op %d: %s\n", code, er_last_error());
    tflw_free(&w);
    return st == ER_OK;
}

#define CHECK_VALUES(y, n, ...)                                                                \
    do {                                                                                       \
        static const float want_[] = {__VA_ARGS__};                                            \
        size_t nw_ = sizeof want_ / sizeof want_[0];                                           \
        CHECK_MSG((y) && (n) == nw_, "%zu values, expected %zu", (size_t)(n), nw_);            \
        for (size_t i_ = 0; i_ < nw_; i_++)                                                    \
            CHECK_MSG((y)[i_] == want_[i_], "value %zu: %g, expected %g", i_,                  \
                      (double)(y)[i_], (double)want_[i_]);                                     \
        free(y);                                                                               \
        (y) = NULL;                                                                            \
    } while (0)

TEST(tflite_op_reshape_squeeze_expand_transpose) {
    init_x();
    float *y;
    size_t n;
    cin shape = {1, {3}, {3, -1, 2}};
    CHECK(run_op(22, 0, 0, NULL, 2, I32S(2, 6), 1, &shape, 0, 1, 3, I32S(3, 2, 2), &y, &n, 0));
    CHECK_VALUES(y, n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11);
    /* new_shape from the options (no shape input) */
    uint32_t dummy = 0;
    (void)dummy;
    {
        tflw w;
        tflw_init(&w);
        int x = tflw_tensor(&w, "x", TFLW_F32, 2, I32S(2, 3), NULL, 0);
        int yy = tflw_tensor(&w, "y", TFLW_F32, 1, I32S(6), NULL, 0);
        uint32_t ns = fbw_vec_i32(&w.b, 1, I32S(6));
        fbw_field f[] = {FBW_REF(0, ns)};
        tflw_op(&w, 22, NULL, 1, &x, 1, &yy, 17, fbw_table(&w.b, 1, f));
        tflw_finish(&w, 1, &x, 1, &yy);
        CHECK_STATUS(tflm_run(w.d, w.n, 1, (const void *[]){g_x}, 0, &y, &n), ER_OK);
        CHECK_VALUES(y, n, 0, 1, 2, 3, 4, 5);
        tflw_free(&w);
    }
    /* SQUEEZE dims {0, 2} of [1,3,1,2]; and all ones when empty */
    {
        tflw w;
        tflw_init(&w);
        int x = tflw_tensor(&w, "x", TFLW_F32, 4, I32S(1, 3, 1, 2), NULL, 0);
        int yy = tflw_tensor(&w, "y", TFLW_F32, 2, I32S(3, 2), NULL, 0);
        uint32_t sd = fbw_vec_i32(&w.b, 2, I32S(0, -2));
        fbw_field f[] = {FBW_REF(0, sd)};
        tflw_op(&w, 43, NULL, 1, &x, 1, &yy, 30, fbw_table(&w.b, 1, f));
        tflw_finish(&w, 1, &x, 1, &yy);
        er_model *m;
        er_session *s;
        CHECK_STATUS(er_model_load_memory(w.d, w.n, NULL, &m), ER_OK);
        CHECK_STATUS(er_session_create(m, NULL, &s), ER_OK);
        int rank;
        int64_t dims[ER_MAX_RANK];
        CHECK_STATUS(er_session_output_info(s, 0, NULL, &rank, dims), ER_OK);
        CHECK(rank == 2 && dims[0] == 3 && dims[1] == 2);
        er_session_free(s);
        er_model_free(m);
        tflw_free(&w);
    }
    cin axis = {0, {0}, {-1}};
    CHECK(run_op(70, 0, 0, NULL, 2, I32S(2, 2), 1, &axis, 0, 1, 3, I32S(2, 2, 1), &y, &n, 0));
    CHECK_VALUES(y, n, 0, 1, 2, 3);
    cin perm = {1, {3}, {2, 0, 1}};
    CHECK(run_op(39, 0, 0, NULL, 3, I32S(2, 3, 2), 1, &perm, 0, 1, 3, I32S(2, 2, 3), &y, &n, 0));
    /* y[k][i][j] = x[i][j][k] = 6i + 2j + k */
    CHECK_VALUES(y, n, 0, 2, 4, 6, 8, 10, 1, 3, 5, 7, 9, 11);
}

TEST(tflite_op_concat_pack_unpack_split) {
    init_x();
    float *y;
    size_t n;
    /* CONCATENATION of x [2,2] with itself on axis -1 */
    {
        tflw w;
        tflw_init(&w);
        int x = tflw_tensor(&w, "x", TFLW_F32, 2, I32S(2, 2), NULL, 0);
        int yy = tflw_tensor(&w, "y", TFLW_F32, 2, I32S(2, 4), NULL, 0);
        fbw_field f[] = {FBW_I32(0, -1), FBW_U8(1, 1)};
        tflw_op(&w, 2, NULL, 2, (int[]){x, x}, 1, &yy, 10, fbw_table(&w.b, 2, f));
        tflw_finish(&w, 1, &x, 1, &yy);
        CHECK_STATUS(tflm_run(w.d, w.n, 1, (const void *[]){g_x}, 0, &y, &n), ER_OK);
        CHECK_VALUES(y, n, 0, 1, 0, 1, 2, 3, 2, 3);
        tflw_free(&w);
    }
    /* PACK two [2] on axis 1 -> [2,2] */
    {
        tflw w;
        tflw_init(&w);
        int x = tflw_tensor(&w, "x", TFLW_F32, 1, I32S(2), NULL, 0);
        int yy = tflw_tensor(&w, "y", TFLW_F32, 2, I32S(2, 2), NULL, 0);
        fbw_field f[] = {FBW_I32(0, 2), FBW_I32(1, 1)};
        tflw_op(&w, 83, NULL, 2, (int[]){x, x}, 1, &yy, 59, fbw_table(&w.b, 2, f));
        tflw_finish(&w, 1, &x, 1, &yy);
        CHECK_STATUS(tflm_run(w.d, w.n, 1, (const void *[]){g_x}, 0, &y, &n), ER_OK);
        CHECK_VALUES(y, n, 0, 0, 1, 1);
        tflw_free(&w);
    }
    /* UNPACK [3,2] on axis 1 -> two [3]; output 1 */
    fbw_field uo[] = {FBW_I32(0, 2), FBW_I32(1, 1)};
    CHECK(run_op(88, 64, 2, uo, 2, I32S(3, 2), 0, NULL, 0, 2, 1, I32S(3), &y, &n, 1));
    CHECK_VALUES(y, n, 1, 3, 5);
    /* SPLIT: inputs (axis, x): [2,6] into 3 on axis 1; output 2 */
    cin ax = {0, {0}, {1}};
    fbw_field so[] = {FBW_I32(0, 3)};
    CHECK(run_op(49, 35, 1, so, 2, I32S(2, 6), 1, &ax, 1, 3, 2, I32S(2, 2), &y, &n, 2));
    CHECK_VALUES(y, n, 4, 5, 10, 11);
    /* SPLIT_V: inputs (x, sizes, axis): sizes {1, -1, 2} of 6 -> output 1 is [2,3] */
    {
        tflw w;
        tflw_init(&w);
        int x = tflw_tensor(&w, "x", TFLW_F32, 2, I32S(2, 6), NULL, 0);
        static const int32_t sizes[3] = {1, -1, 2}, axis[1] = {1};
        int ts = tflw_tensor(&w, "sizes", TFLW_I32, 1, I32S(3), sizes, sizeof sizes);
        int ta = tflw_tensor(&w, "axis", TFLW_I32, 0, NULL, axis, sizeof axis);
        int o0 = tflw_tensor(&w, "o0", TFLW_F32, 2, I32S(2, 1), NULL, 0);
        int o1 = tflw_tensor(&w, "o1", TFLW_F32, 2, I32S(2, 3), NULL, 0);
        int o2 = tflw_tensor(&w, "o2", TFLW_F32, 2, I32S(2, 2), NULL, 0);
        fbw_field f[] = {FBW_I32(0, 3)};
        tflw_op(&w, 102, NULL, 3, (int[]){x, ts, ta}, 3, (int[]){o0, o1, o2}, 79,
                fbw_table(&w.b, 1, f));
        tflw_finish(&w, 1, &x, 3, (int[]){o0, o1, o2});
        CHECK_STATUS(tflm_run(w.d, w.n, 1, (const void *[]){g_x}, 1, &y, &n), ER_OK);
        CHECK_VALUES(y, n, 1, 2, 3, 7, 8, 9);
        tflw_free(&w);
    }
}

TEST(tflite_op_slice_gather) {
    init_x();
    float *y;
    size_t n;
    cin sl[2] = {{1, {2}, {1, 1}}, {1, {2}, {-1, 2}}}; /* x[1:, 1:3] of [3,4] */
    CHECK(run_op(65, 0, 0, NULL, 2, I32S(3, 4), 2, sl, 0, 1, 2, I32S(2, 2), &y, &n, 0));
    CHECK_VALUES(y, n, 5, 6, 9, 10);
    cin idx = {1, {3}, {2, 0, 2}};
    fbw_field g0[] = {FBW_I32(0, 0)}, g1[] = {FBW_I32(0, -1)};
    CHECK(run_op(36, 23, 1, g0, 2, I32S(3, 2), 1, &idx, 0, 1, 2, I32S(3, 2), &y, &n, 0));
    CHECK_VALUES(y, n, 4, 5, 0, 1, 4, 5);
    CHECK(run_op(36, 23, 1, g1, 2, I32S(2, 3), 1, &idx, 0, 1, 2, I32S(2, 3), &y, &n, 0));
    CHECK_VALUES(y, n, 2, 0, 2, 5, 3, 5);
}

/* x = arange(24) as [2,3,4]: x[i][j][k] = 12i + 4j + k */
static int strided(int32_t bm, int32_t em, int32_t elm, int32_t nam, int32_t sam, int offset,
                   const int32_t *b, const int32_t *e, const int32_t *s, int ns, int yrank,
                   const int32_t *ydims, float **y, size_t *n) {
    cin c[3] = {{1, {0}, {0}}, {1, {0}, {0}}, {1, {0}, {0}}};
    for (int k = 0; k < 3; k++) c[k].dims[0] = ns;
    for (int i = 0; i < ns; i++) {
        c[0].v[i] = b[i];
        c[1].v[i] = e[i];
        c[2].v[i] = s[i];
    }
    fbw_field f[] = {FBW_I32(0, bm), FBW_I32(1, em), FBW_I32(2, elm), FBW_I32(3, nam),
                     FBW_I32(4, sam), FBW_BOOL(5, offset)};
    return run_op(45, 32, 6, f, 3, I32S(2, 3, 4), 3, c, 0, 1, yrank, ydims, y, n, 0);
}

TEST(tflite_op_strided_slice_masks) {
    init_x();
    float *y;
    size_t n;
    /* x[:, 1:3, ::2] */
    CHECK(strided(0, 0, 0, 0, 0, 0, I32S(0, 1, 0), I32S(2, 3, 4), I32S(1, 1, 2), 3, 3,
                  I32S(2, 2, 2), &y, &n));
    CHECK_VALUES(y, n, 4, 6, 8, 10, 16, 18, 20, 22);
    /* x[1, :, -1] via shrink_axis_mask 0b101 */
    CHECK(strided(2, 2, 0, 0, 5, 0, I32S(1, 0, -1), I32S(2, 0, 0), I32S(1, 1, 1), 3, 1, I32S(3),
                  &y, &n));
    CHECK_VALUES(y, n, 15, 19, 23);
    /* x[:, ::-1, :] with begin/end masks and a negative stride */
    CHECK(strided(7, 7, 0, 0, 0, 0, I32S(0, 0, 0), I32S(0, 0, 0), I32S(1, -1, 1), 3, 3,
                  I32S(2, 3, 4), &y, &n));
    CHECK_VALUES(y, n, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3, 20, 21, 22, 23, 16, 17, 18, 19, 12,
                 13, 14, 15);
    /* x[..., None, 1:3]: ellipsis bit 0, new axis bit 1 */
    CHECK(strided(0, 0, 1, 2, 0, 0, I32S(0, 0, 1), I32S(0, 0, 3), I32S(1, 1, 1), 3, 4,
                  I32S(2, 3, 1, 2), &y, &n));
    CHECK_VALUES(y, n, 1, 2, 5, 6, 9, 10, 13, 14, 17, 18, 21, 22);
    /* offset: end = begin + size: x[0:2, 1:3, 1:3] */
    CHECK(strided(0, 0, 0, 0, 0, 1, I32S(0, 1, 1), I32S(2, 2, 2), I32S(1, 1, 1), 3, 3,
                  I32S(2, 2, 2), &y, &n));
    CHECK_VALUES(y, n, 5, 6, 9, 10, 17, 18, 21, 22);
    /* negative begin and end: x[:, -2:, :-1]; fewer specs than dims: x[1] via shrink */
    CHECK(strided(0, 0, 0, 0, 0, 0, I32S(0, -2, 0), I32S(2, 3, -1), I32S(1, 1, 1), 3, 3,
                  I32S(2, 2, 3), &y, &n));
    CHECK_VALUES(y, n, 4, 5, 6, 8, 9, 10, 16, 17, 18, 20, 21, 22);
    CHECK(strided(0, 0, 0, 0, 1, 0, I32S(-1), I32S(0), I32S(1), 1, 2, I32S(3, 4), &y, &n));
    CHECK_VALUES(y, n, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23);
}

static int reflect(int i, int n, int symmetric) {
    if (i < 0) return symmetric ? -i - 1 : -i;
    if (i >= n) return symmetric ? 2 * n - 1 - i : 2 * n - 2 - i;
    return i;
}

TEST(tflite_op_pad_family) {
    init_x();
    float *y;
    size_t n;
    cin p = {2, {2, 2}, {1, 0, 0, 2}}; /* [[1,0],[0,2]] on [2,2] -> [3,4] */
    CHECK(run_op(34, 0, 0, NULL, 2, I32S(2, 2), 1, &p, 0, 1, 2, I32S(3, 4), &y, &n, 0));
    CHECK_VALUES(y, n, 0, 0, 0, 0, 0, 1, 0, 0, 2, 3, 0, 0);
    /* PADV2 with a constant value 7 */
    {
        tflw w;
        tflw_init(&w);
        static const int32_t pads[4] = {0, 1, 1, 0};
        static const float seven[1] = {7};
        int x = tflw_tensor(&w, "x", TFLW_F32, 2, I32S(2, 2), NULL, 0);
        int tp = tflw_tensor(&w, "p", TFLW_I32, 2, I32S(2, 2), pads, sizeof pads);
        int tv = tflw_tensor(&w, "v", TFLW_F32, 0, NULL, seven, sizeof seven);
        int yy = tflw_tensor(&w, "y", TFLW_F32, 2, I32S(3, 3), NULL, 0);
        tflw_op(&w, 60, NULL, 3, (int[]){x, tp, tv}, 1, &yy, 0, 0);
        tflw_finish(&w, 1, &x, 1, &yy);
        CHECK_STATUS(tflm_run(w.d, w.n, 1, (const void *[]){g_x}, 0, &y, &n), ER_OK);
        CHECK_VALUES(y, n, 7, 0, 1, 7, 2, 3, 7, 7, 7);
        tflw_free(&w);
    }
    /* MIRROR_PAD [[1,2],[2,1]] on [3,4], REFLECT then SYMMETRIC */
    for (int sym = 0; sym < 2; sym++) {
        cin mp = {2, {2, 2}, {1, 2, 2, 1}};
        fbw_field f[] = {FBW_U8(0, sym)};
        CHECK(run_op(100, 77, 1, f, 2, I32S(3, 4), 1, &mp, 0, 1, 2, I32S(6, 7), &y, &n, 0));
        CHECK(y && n == 42);
        for (int r = 0; r < 6; r++)
            for (int c = 0; c < 7; c++) {
                float want = g_x[reflect(r - 1, 3, sym) * 4 + reflect(c - 2, 4, sym)];
                CHECK_MSG(y[r * 7 + c] == want, "symmetric %d: y[%d][%d] = %g, want %g", sym, r,
                          c, y[r * 7 + c], want);
            }
        free(y);
    }
    cin reps = {1, {2}, {2, 1}};
    CHECK(run_op(69, 0, 0, NULL, 2, I32S(1, 3), 1, &reps, 0, 1, 2, I32S(2, 3), &y, &n, 0));
    CHECK_VALUES(y, n, 0, 1, 2, 0, 1, 2);
}
