/* test_copy_strided.c - er_copy_strided (the loop behind Transpose, Slice,
 * Expand, Tile, ...) against a naive index computation, for random ranks,
 * shapes and permutations, every element size. */
#include <stdlib.h>

#include "ops/data_util.h"
#include "test.h"

TEST(copy_strided_random_transposes_match_naive) {
    unsigned seed = 2024;
    for (int trial = 0; trial < 2000; trial++) {
        int rank = 1 + (int)(rand_r(&seed) % 5);
        int64_t dims[5], perm[5], xs[5], ys_dims[5], src_strides[5];
        for (int k = 0; k < rank; k++) {
            dims[k] = 1 + rand_r(&seed) % (trial % 3 ? 5 : 40);
            perm[k] = k;
        }
        for (int k = rank - 1; k > 0; k--) { /* Fisher-Yates */
            int j = (int)(rand_r(&seed) % (unsigned)(k + 1));
            int64_t t = perm[k];
            perm[k] = perm[j];
            perm[j] = t;
        }
        er_dense_strides(rank, dims, xs);
        for (int k = 0; k < rank; k++) {
            ys_dims[k] = dims[perm[k]];
            src_strides[k] = xs[perm[k]];
        }
        size_t n = 1;
        for (int k = 0; k < rank; k++) n *= (size_t)dims[k];
        size_t es = (size_t)1 << (rand_r(&seed) % 4); /* 1, 2, 4, 8 bytes */
        unsigned char *x = malloc(n * es), *y = malloc(n * es), *want = malloc(n * es);
        for (size_t i = 0; i < n * es; i++) x[i] = (unsigned char)rand_r(&seed);
        er_copy_strided(y, x, es, rank, ys_dims, src_strides);
        /* naive: walk output coordinates */
        int64_t idx[5] = {0};
        for (size_t o = 0; o < n; o++) {
            int64_t off = 0;
            for (int k = 0; k < rank; k++) off += idx[k] * src_strides[k];
            memcpy(want + o * es, x + (size_t)off * es, es);
            for (int k = rank - 1; k >= 0; k--) {
                if (++idx[k] < ys_dims[k]) break;
                idx[k] = 0;
            }
        }
        int ok = memcmp(y, want, n * es) == 0;
        free(x);
        free(y);
        free(want);
        CHECK_MSG(ok, "trial %d rank %d es %zu", trial, rank, es);
    }
}
