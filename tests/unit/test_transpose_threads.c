/* test_transpose_threads.c - a big Transpose is split over the pool's
 * threads (first output axis longer than 1): 2 threads must give exactly
 * the 1-thread bytes, for the NCHW -> NHWC input transpose and for a
 * permutation whose first output axes are 1 or short. */
#include <string.h>

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
    /* and the values are the transpose: spot-check the last element */
    const float *yv = er_tensor_data(y2);
    ok = ok && yv[n - 1] == (float)(n - 1) && yv[0] == 0.0f;
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
