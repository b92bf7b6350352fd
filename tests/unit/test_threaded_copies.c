/* test_threaded_copies.c - big Transpose and Concat copies are split over
 * the pool's threads: 2 threads must give exactly the 1-thread bytes (the
 * NCHW -> NHWC input transpose, permutations whose first output axes are 1
 * or short; NHWC channel concats with odd sizes, a concat on an outer axis). */
#include <string.h>

#include "core/tensor.h"
#include "support/builder.h"
#include "test.h"

static int check_perm(const int64_t *xd, const int64_t *perm) {
    mb b;
    mb_init(&b);
    mb_input(&b, "x", ER_F32, 4, xd);
    pbw a = {0};
    onnx_attr_ints(&a, "perm", 4, perm);
    mb_node(&b, "Transpose", "t", MB_IO("x"), MB_IO("y"), &a);
    pbw_free(&a);
    mb_output(&b, "y");
    er_model *m = mb_load(&b, 13);
    if (!m) return 0;
    int ok = 0;
    er_tensor *x = NULL;
    er_session *s1 = NULL, *s2 = NULL;
    er_options o;
    er_options_init(&o);
    if (er_tensor_create(ER_F32, 4, xd, &x) != ER_OK) goto done;
    float *xv = er_tensor_data(x);
    size_t n = (size_t)(xd[0] * xd[1] * xd[2] * xd[3]);
    for (size_t i = 0; i < n; i++) xv[i] = (float)i;
    o.threads = 1;
    if (er_session_create(m, &o, &s1) != ER_OK) goto done;
    o.threads = 2;
    if (er_session_create(m, &o, &s2) != ER_OK) goto done;
    er_tensor *y1, *y2;
    if (er_session_run(s1, (const er_tensor *const *)&x, &y1) != ER_OK ||
        er_session_run(s2, (const er_tensor *const *)&x, &y2) != ER_OK)
        goto done;
    ok = memcmp(er_tensor_data(y1), er_tensor_data(y2), n * sizeof(float)) == 0;
    /* and every value is the transpose's: y[i0,i1,i2,i3] = x[..] with
     * x's axis perm[k] at index i_k (x holds its own linear index) */
    const float *yv = er_tensor_data(y2);
    int64_t yd[4], xs[4] = {xd[1] * xd[2] * xd[3], xd[2] * xd[3], xd[3], 1};
    for (int k = 0; k < 4; k++) yd[k] = xd[perm[k]];
    size_t at = 0;
    for (int64_t a = 0; ok && a < yd[0]; a++)
        for (int64_t b2 = 0; ok && b2 < yd[1]; b2++)
            for (int64_t c2 = 0; ok && c2 < yd[2]; c2++)
                for (int64_t d = 0; ok && d < yd[3]; d++)
                    ok = yv[at++] == (float)(a * xs[perm[0]] + b2 * xs[perm[1]] +
                                             c2 * xs[perm[2]] + d * xs[perm[3]]);
done:
    er_session_free(s1);
    er_session_free(s2);
    er_tensor_free(x);
    er_model_free(m);
    return ok;
}

TEST(transpose_split_over_threads_matches_one_thread) {
    const int64_t nhwc[4] = {0, 2, 3, 1}, odd[4] = {3, 1, 0, 2};
    const int64_t a[4] = {1, 3, 224, 224}, b[4] = {2, 5, 97, 71}, c[4] = {1, 1, 300, 301};
    CHECK(check_perm(a, nhwc));
    CHECK(check_perm(b, nhwc));
    CHECK(check_perm(b, odd));
    CHECK(check_perm(c, odd));
}

/* Concat of inputs with channel counts cs[0..n) along `axis` of [N,H,W,C]
 * shapes, 1 vs 2 threads, and every output element checked. */
static int check_concat(int n, const int64_t *cs, int axis, int64_t N, int64_t H, int64_t W) {
    mb b;
    mb_init(&b);
    const char *names[3] = {"a", "b", "c"};
    int64_t total = 0;
    for (int i = 0; i < n; i++) {
        int64_t d[4] = {N, H, W, W};
        d[axis] = cs[i];
        if (axis != 3) d[3] = 5;
        mb_input(&b, names[i], ER_F32, 4, d);
        total += cs[i];
    }
    pbw a = {0};
    onnx_attr_int(&a, "axis", axis);
    if (n == 2) mb_node(&b, "Concat", "cat", MB_IO("a", "b"), MB_IO("y"), &a);
    else mb_node(&b, "Concat", "cat", MB_IO("a", "b", "c"), MB_IO("y"), &a);
    pbw_free(&a);
    mb_output(&b, "y");
    er_model *m = mb_load(&b, 13);
    if (!m) return 0;
    int ok = 0;
    er_tensor *x[3] = {NULL, NULL, NULL};
    er_session *s1 = NULL, *s2 = NULL;
    er_options o;
    er_options_init(&o);
    for (int i = 0; i < n; i++) {
        int64_t d[4] = {N, H, W, W};
        d[axis] = cs[i];
        if (axis != 3) d[3] = 5;
        if (er_tensor_create(ER_F32, 4, d, &x[i]) != ER_OK) goto done;
        float *v = er_tensor_data(x[i]);
        size_t k = er_tensor_numel(x[i]);
        for (size_t e = 0; e < k; e++) v[e] = (float)(i * 1000000 + (int64_t)e);
    }
    o.threads = 1;
    if (er_session_create(m, &o, &s1) != ER_OK) goto done;
    o.threads = 2;
    if (er_session_create(m, &o, &s2) != ER_OK) goto done;
    er_tensor *y1, *y2;
    if (er_session_run(s1, (const er_tensor *const *)x, &y1) != ER_OK ||
        er_session_run(s2, (const er_tensor *const *)x, &y2) != ER_OK)
        goto done;
    size_t ny = er_tensor_numel(y1);
    ok = ny == er_tensor_numel(y2) &&
         memcmp(er_tensor_data(y1), er_tensor_data(y2), ny * sizeof(float)) == 0;
    /* element by element: outer index o, then each input's block in turn */
    int64_t dims[4] = {N, H, W, axis == 3 ? total : 5};
    dims[axis] = total;
    int64_t outer = 1, inner = 1;
    for (int k = 0; k < axis; k++) outer *= dims[k];
    for (int k = axis + 1; k < 4; k++) inner *= dims[k];
    const float *yv = er_tensor_data(y2);
    size_t at = 0;
    for (int64_t oi = 0; ok && oi < outer; oi++)
        for (int i = 0; ok && i < n; i++)
            for (int64_t e = 0; ok && e < cs[i] * inner; e++)
                ok = yv[at++] == (float)(i * 1000000 + oi * cs[i] * inner + e);
done:
    er_session_free(s1);
    er_session_free(s2);
    for (int i = 0; i < 3; i++) er_tensor_free(x[i]);
    er_model_free(m);
    return ok;
}

TEST(concat_split_over_threads_matches_one_thread) {
    const int64_t sq[2] = {64, 64}, odd[3] = {17, 1, 33}, outer[2] = {3, 40};
    CHECK(check_concat(2, sq, 3, 1, 55, 55));  /* squeezenet's fire module */
    CHECK(check_concat(3, odd, 3, 2, 41, 39)); /* odd channel counts, batch 2 */
    CHECK(check_concat(2, outer, 1, 2, 0, 97)); /* axis 1 of [2,C,97,5] */
}
