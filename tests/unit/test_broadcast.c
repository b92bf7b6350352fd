/* test_broadcast.c - shape broadcasting and the row iterator against a
 * naive index computation. */
#include <stdlib.h>

#include "core/tensor.h"
#include "ops/broadcast.h"
#include "test.h"

TEST(broadcast_shapes) {
    int64_t a[] = {8, 1, 6, 1}, b[] = {7, 1, 5}, out[ER_MAX_RANK];
    int r;
    CHECK(er_broadcast_shape(4, a, 3, b, &r, out));
    CHECK(r == 4 && out[0] == 8 && out[1] == 7 && out[2] == 6 && out[3] == 5);
    int64_t c[] = {3}, d[] = {4};
    CHECK(!er_broadcast_shape(1, c, 1, d, &r, out));
    int64_t e[] = {0, 3}, f[] = {1, 3};
    CHECK(er_broadcast_shape(2, e, 2, f, &r, out) && out[0] == 0);
    CHECK(er_broadcast_shape(0, NULL, 2, f, &r, out) && r == 2);
}

typedef struct { float *y; } sum_arg;
static void add_row(void *y, const void *const *x, const int64_t *s, int64_t n, void *arg) {
    (void)arg;
    const float *a = x[0], *b = x[1];
    float *o = y;
    for (int64_t i = 0; i < n; i++) o[i] = a[i * s[0]] + 100.0f * b[i * s[1]];
}

static size_t naive_index(const int64_t *idx, int r, const er_tensor *t) {
    size_t off = 0;
    int lead = r - t->rank;
    for (int k = 0; k < t->rank; k++) off = off * (size_t)t->dims[k] + (size_t)(t->dims[k] == 1 ? 0 : idx[k + lead]);
    return off;
}

TEST(broadcast_rows_match_naive) {
    unsigned seed = 1234;
    for (int trial = 0; trial < 300; trial++) {
        int ra = (int)(rand_r(&seed) % 5), rb = (int)(rand_r(&seed) % 5);
        int64_t da[4], db[4];
        int rout = ra > rb ? ra : rb;
        int64_t full[4];
        for (int k = 0; k < rout; k++) full[k] = 1 + (int64_t)(rand_r(&seed) % 4);
        for (int k = 0; k < ra; k++) da[k] = rand_r(&seed) % 3 ? full[k + rout - ra] : 1;
        for (int k = 0; k < rb; k++) db[k] = rand_r(&seed) % 3 ? full[k + rout - rb] : 1;
        er_tensor *a, *b, *y;
        CHECK_STATUS(er_tensor_create(ER_F32, ra, da, &a), ER_OK);
        CHECK_STATUS(er_tensor_create(ER_F32, rb, db, &b), ER_OK);
        int64_t dy[ER_MAX_RANK];
        int ry;
        CHECK(er_broadcast_shape(ra, da, rb, db, &ry, dy));
        CHECK_STATUS(er_tensor_create(ER_F32, ry, dy, &y), ER_OK);
        for (size_t i = 0; i < er_tensor_count(a); i++) ((float *)er_tensor_data(a))[i] = (float)i;
        for (size_t i = 0; i < er_tensor_count(b); i++) ((float *)er_tensor_data(b))[i] = (float)i;
        const er_tensor *x[2] = {a, b};
        er_broadcast_rows(y, 2, x, add_row, NULL);
        int64_t idx[4] = {0};
        for (size_t i = 0; i < er_tensor_count(y); i++) {
            size_t rem = i;
            for (int k = ry - 1; k >= 0; k--) {
                idx[k] = (int64_t)(rem % (size_t)dy[k]);
                rem /= (size_t)dy[k];
            }
            float want = (float)naive_index(idx, ry, a) + 100.0f * (float)naive_index(idx, ry, b);
            CHECK_MSG(((float *)er_tensor_data(y))[i] == want, "trial %d element %zu", trial, i);
        }
        er_tensor_free(a);
        er_tensor_free(b);
        er_tensor_free(y);
    }
}

TEST(f16_conversions_roundtrip) {
    /* every finite half converts to float and back exactly */
    for (uint32_t h = 0; h < 0x10000; h++) {
        if ((h & 0x7c00) == 0x7c00) continue;
        float f = er_f16_to_f32((uint16_t)h);
        CHECK_MSG(er_f32_to_f16(f) == h, "half 0x%04x -> %g -> 0x%04x", h, f, er_f32_to_f16(f));
    }
    CHECK(er_f32_to_f16(65520.0f) == 0x7c00);   /* rounds to inf */
    CHECK(er_f32_to_f16(1.0f) == 0x3c00);
    CHECK(er_f32_to_f16(5.96046448e-08f) == 0x0001);
    CHECK(er_bf16_to_f32(er_f32_to_bf16(1.5f)) == 1.5f);
}
