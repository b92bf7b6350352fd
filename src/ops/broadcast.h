/* broadcast.h - numpy-style broadcasting iteration for elementwise kernels.
 *
 * er_broadcast_rows() walks the output in rows along its last dimension and
 * calls fn once per row with a pointer into each input and each input's
 * element stride along that row (0 when the input is broadcast there, 1
 * otherwise). Rows are merged when the inputs allow it, so same-shape inputs
 * produce a single row covering the whole tensor. */
#ifndef ER_OPS_BROADCAST_H
#define ER_OPS_BROADCAST_H

#include "op.h"

#define ER_BCAST_MAX_IN 4

typedef void (*er_row_fn)(void *y, const void *const *x, const int64_t *stride, int64_t n,
                          void *arg);

/* y must already have the broadcast shape of all inputs; n_in <= 4. */
void er_broadcast_rows(er_tensor *y, int n_in, const er_tensor *const *x, er_row_fn fn, void *arg);

/* Output shape of broadcasting n tensors; fails with a message naming the
 * shapes. Absent (NULL) inputs are skipped. */
er_status er_broadcast_shapes(int n, const er_tensor *const *x, int *rank, int64_t *dims);

#endif
