/* test_memplan.c - the arena planner: no live overlaps, reuse, determinism. */
#include <stdlib.h>

#include "core/alloc.h"
#include "plan/memplan.h"
#include "test.h"

TEST(memplan_chain_reuses_memory) {
    /* a -> b -> c -> d, each read only by the next step: two buffers suffice */
    er_buf_req r[4];
    for (int i = 0; i < 4; i++) r[i] = (er_buf_req){1000, i, i + 1, 0};
    size_t total;
    CHECK_STATUS(er_memplan(r, 4, &total), ER_OK);
    CHECK(er_memplan_valid(r, 4, total));
    CHECK_MSG(total <= 2 * (1024 + 64), "arena %zu too big for a chain", total);
}

TEST(memplan_random_lifetimes_never_overlap) {
    unsigned seed = 7767517;
    for (int trial = 0; trial < 200; trial++) {
        int n = 1 + (int)(rand_r(&seed) % 60);
        er_buf_req r[60];
        size_t biggest = 0;
        for (int i = 0; i < n; i++) {
            int a = (int)(rand_r(&seed) % 40), b = a + (int)(rand_r(&seed) % 10);
            r[i] = (er_buf_req){(size_t)(rand_r(&seed) % 5000), a, b, 0};
            if (r[i].size > biggest) biggest = r[i].size;
        }
        size_t total;
        CHECK_STATUS(er_memplan(r, n, &total), ER_OK);
        CHECK_MSG(er_memplan_valid(r, n, total), "trial %d seed 7767517: overlap", trial);
        CHECK(total >= biggest);
        /* determinism */
        er_buf_req r2[60];
        memcpy(r2, r, sizeof(er_buf_req) * (size_t)n);
        size_t total2;
        CHECK_STATUS(er_memplan(r2, n, &total2), ER_OK);
        CHECK(total2 == total);
        for (int i = 0; i < n; i++) CHECK(r2[i].offset == r[i].offset);
    }
}

TEST(memplan_offsets_are_aligned) {
    er_buf_req r[3] = {{3, 0, 5, 0}, {5, 0, 5, 0}, {7, 0, 5, 0}};
    size_t total;
    CHECK_STATUS(er_memplan(r, 3, &total), ER_OK);
    for (int i = 0; i < 3; i++) CHECK(r[i].offset % ER_ALIGN == 0);
    CHECK(er_memplan_valid(r, 3, total));
}

TEST(memplan_empty_and_oom) {
    size_t total = 123;
    CHECK_STATUS(er_memplan(NULL, 0, &total), ER_OK);
    CHECK(total == 0);
    er_buf_req r[2] = {{10, 0, 1, 0}, {10, 1, 2, 0}};
    er_alloc_fail_after(0);
    er_status st = er_memplan(r, 2, &total);
    er_alloc_fail_after(-1);
    CHECK_STATUS(st, ER_ERR_NOMEM);
}
