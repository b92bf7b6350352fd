/* broadcast.c - row iteration over broadcast operands. */
#include "broadcast.h"

#include <stdio.h>
#include <string.h>

er_status er_broadcast_shapes(int n, const er_tensor *const *x, int *rank, int64_t *dims) {
    int r = 0;
    int64_t d[ER_MAX_RANK];
    for (int i = 0; i < n; i++) {
        if (!x[i]) continue;
        int64_t nd[ER_MAX_RANK];
        int nr;
        if (!er_broadcast_shape(r, d, x[i]->rank, x[i]->dims, &nr, nd)) {
            char a[ER_SHAPE_STR_MAX];
            return er_fail(ER_ERR_SHAPE, "input %d shape %s cannot be broadcast with %s", i,
                           er_op_shape_str(x[i]), er_shape_str(a, sizeof a, r, d));
        }
        r = nr;
        memcpy(d, nd, sizeof(int64_t) * (size_t)r);
    }
    *rank = r;
    memcpy(dims, d, sizeof(int64_t) * (size_t)r);
    return ER_OK;
}

void er_broadcast_rows(er_tensor *y, int n_in, const er_tensor *const *x, er_row_fn fn,
                       void *arg) {
    int r = y->rank;
    int64_t dims[ER_MAX_RANK];
    int64_t st[ER_BCAST_MAX_IN][ER_MAX_RANK];
    size_t es[ER_BCAST_MAX_IN];
    for (int i = 0; i < n_in; i++) {
        er_broadcast_strides(x[i]->rank, x[i]->dims, r, y->dims, st[i]);
        es[i] = er_dtype_size(x[i]->dtype);
    }
    memcpy(dims, y->dims, sizeof(int64_t) * (size_t)r);
    if (er_tensor_numel(y) == 0) return;
    /* Merge trailing dims while every input is contiguous across them or
     * broadcast across both: turns same-shape ops into one long row. */
    while (r >= 2) {
        int ok = 1;
        for (int i = 0; i < n_in && ok; i++) {
            int64_t s_in = st[i][r - 1], s_out = st[i][r - 2];
            int contiguous = s_in == 1 && s_out == dims[r - 1];
            int both_bcast = s_in == 0 && s_out == 0;
            ok = contiguous || both_bcast;
        }
        if (!ok) break;
        dims[r - 2] *= dims[r - 1];
        r--;
        /* strides of the merged dim are those of the inner one */
        for (int i = 0; i < n_in; i++) st[i][r - 1] = st[i][r];
    }
    int64_t n = r ? dims[r - 1] : 1;
    int64_t rows = 1;
    for (int k = 0; k + 1 < r; k++) rows *= dims[k];
    size_t ey = er_dtype_size(y->dtype);
    int64_t idx[ER_MAX_RANK] = {0};
    int64_t off[ER_BCAST_MAX_IN] = {0};
    int64_t inner[ER_BCAST_MAX_IN];
    for (int i = 0; i < n_in; i++) inner[i] = r ? st[i][r - 1] : 0;
    const void *px[ER_BCAST_MAX_IN];
    for (int64_t row = 0; row < rows; row++) {
        for (int i = 0; i < n_in; i++) px[i] = (const char *)x[i]->data + (size_t)off[i] * es[i];
        fn((char *)y->data + (size_t)(row * n) * ey, px, inner, n, arg);
        /* advance the multi-index over the outer dims */
        for (int k = r - 2; k >= 0; k--) {
            idx[k]++;
            for (int i = 0; i < n_in; i++) off[i] += st[i][k];
            if (idx[k] < dims[k]) break;
            for (int i = 0; i < n_in; i++) off[i] -= st[i][k] * dims[k];
            idx[k] = 0;
        }
    }
}
