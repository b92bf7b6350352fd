/* data_util.c - the strided copy and index helpers of data_util.h.
 *
 * er_copy_strided first simplifies the iteration space: dims of size 1 are
 * dropped and neighbouring dims whose strides chain (stride[k] ==
 * stride[k+1] * dims[k+1]) are merged, so a plain copy becomes one memcpy
 * and a transpose keeps only the axes it really permutes. The innermost dim
 * is then either one memcpy (stride 1) or an element loop specialised on
 * the element size; the outer dims are walked with an odometer. */
#include "data_util.h"

er_status er_index_fail(int64_t idx, size_t pos, int64_t dim) {
    return er_fail(ER_ERR_INVALID_ARG, "index %lld at position %zu is outside [-%lld, %lld)",
                   (long long)idx, pos, (long long)dim, (long long)dim);
}

er_status er_check_outputs(const er_op_ctx *c, int lo, int hi) {
    if (c->n_out < lo || c->n_out > hi)
        return er_fail(ER_ERR_INVALID_MODEL, "has %d outputs, expected %d to %d", c->n_out, lo,
                       hi);
    for (int i = 0; i < lo; i++)
        if (!c->out[i]) return er_fail(ER_ERR_INVALID_MODEL, "output %d is required", i);
    return ER_OK;
}

er_status er_check_index_dtype(const er_op_ctx *c, int i) {
    const er_tensor *t = c->in[i];
    if (!t) return er_fail(ER_ERR_INVALID_MODEL, "required input %d is missing", i);
    if (t->dtype != ER_I32 && t->dtype != ER_I64)
        return er_fail(ER_ERR_INVALID_MODEL, "input %d (indices) must be int32 or int64, not %s",
                       i, er_dtype_name(t->dtype));
    return ER_OK;
}

void er_dense_strides(int rank, const int64_t *dims, int64_t *strides) {
    int64_t s = 1;
    for (int i = rank - 1; i >= 0; i--) {
        strides[i] = s;
        s *= dims[i];
    }
}

/* Copies n elements of es bytes read at a stride of `stride` elements. The
 * fixed-size memcpy calls compile to single loads and stores, and keep
 * unaligned sources (weights in a mapped file) well defined. */
static void copy_elems(char *dst, const char *src, size_t es, int64_t n, int64_t stride) {
    switch (es) {
    case 1:
        for (int64_t i = 0; i < n; i++) dst[i] = src[i * stride];
        break;
    case 2:
        for (int64_t i = 0; i < n; i++) memcpy(dst + i * 2, src + i * stride * 2, 2);
        break;
    case 4:
        for (int64_t i = 0; i < n; i++) memcpy(dst + i * 4, src + i * stride * 4, 4);
        break;
    case 8:
        for (int64_t i = 0; i < n; i++) memcpy(dst + i * 8, src + i * stride * 8, 8);
        break;
    default:
        for (int64_t i = 0; i < n; i++)
            memcpy(dst + (size_t)i * es, src + i * stride * (int64_t)es, es);
        break;
    }
}

void er_copy_strided(void *dst, const void *src, size_t es, int rank, const int64_t *dims,
                     const int64_t *src_strides) {
    int64_t d[ER_COPY_MAX_RANK], s[ER_COPY_MAX_RANK];
    int r = 0;
    for (int k = 0; k < rank; k++) {
        if (dims[k] == 0) return;
        if (dims[k] == 1) continue;
        if (r > 0 && s[r - 1] == src_strides[k] * dims[k]) {
            d[r - 1] *= dims[k];
            s[r - 1] = src_strides[k];
            continue;
        }
        d[r] = dims[k];
        s[r] = src_strides[k];
        r++;
    }
    char *y = dst;
    const char *x = src;
    if (r == 0) {
        memcpy(y, x, es);
        return;
    }
    int64_t inner = d[r - 1], inner_stride = s[r - 1];
    /* A 4-byte transpose whose innermost output dim is short and whose next
     * dim is unit-stride in the source (NCHW->NHWC with 3 channels, the
     * ShuffleNet [.., 2, C] <-> [.., C, 2] shuffles): copy the last two dims
     * as one block so the loop runs over the long, contiguous source dim. */
    if (r >= 2 && es == 4 && inner <= 16 && inner_stride != 1 && s[r - 2] == 1) {
        int64_t A = d[r - 2], B = inner, sB = inner_stride;
        d[r - 2] = 1; /* the odometer below now walks whole blocks */
        int64_t idx2[ER_COPY_MAX_RANK] = {0}, off2 = 0;
        for (;;) {
            const uint32_t *xs = (const uint32_t *)(const void *)(x + off2 * 4);
            uint32_t *ys = (uint32_t *)(void *)y;
            if (B == 2) {
                const uint32_t *x0 = xs, *x1 = xs + sB;
                for (int64_t a = 0; a < A; a++) {
                    ys[2 * a] = x0[a];
                    ys[2 * a + 1] = x1[a];
                }
            } else {
                for (int64_t b = 0; b < B; b++)
                    for (int64_t a = 0; a < A; a++) ys[a * B + b] = xs[a + b * sB];
            }
            y += (size_t)(A * B) * 4;
            int k = r - 3;
            for (; k >= 0; k--) {
                off2 += s[k];
                if (++idx2[k] < d[k]) break;
                off2 -= s[k] * d[k];
                idx2[k] = 0;
            }
            if (k < 0) return;
        }
    }
    size_t row_bytes = (size_t)inner * es;
    int64_t idx[ER_COPY_MAX_RANK] = {0};
    int64_t off = 0; /* source offset in elements of the current row */
    for (;;) {
        if (inner_stride == 1)
            memcpy(y, x + off * (int64_t)es, row_bytes);
        else
            copy_elems(y, x + off * (int64_t)es, es, inner, inner_stride);
        y += row_bytes;
        int k = r - 2;
        for (; k >= 0; k--) {
            off += s[k];
            if (++idx[k] < d[k]) break;
            off -= s[k] * d[k];
            idx[k] = 0;
        }
        if (k < 0) return;
    }
}

er_status er_run_copy_input(er_op_ctx *c) {
    er_copy_bytes(c->out[0]->data, c->in[0]->data, er_tensor_nbytes(c->in[0]));
    return ER_OK;
}

er_status er_parse_reduction(const er_op_ctx *c, er_reduction *out) {
    const char *s = er_attr_str(c->node, "reduction", "none");
    if (strcmp(s, "none") == 0) *out = ER_RED_NONE;
    else if (strcmp(s, "add") == 0) *out = ER_RED_ADD;
    else if (strcmp(s, "mul") == 0) *out = ER_RED_MUL;
    else if (strcmp(s, "max") == 0) *out = ER_RED_MAX;
    else if (strcmp(s, "min") == 0) *out = ER_RED_MIN;
    else return er_fail(ER_ERR_INVALID_MODEL, "reduction '%s' is not one of none, add, mul, "
                        "max, min", s);
    return ER_OK;
}

#define REDUCE_FLOAT(T)                                                                        \
    do {                                                                                       \
        T a, b;                                                                                \
        memcpy(&a, dst, sizeof a);                                                             \
        memcpy(&b, src, sizeof b);                                                             \
        switch (red) {                                                                         \
        case ER_RED_ADD: a = a + b; break;                                                     \
        case ER_RED_MUL: a = a * b; break;                                                     \
        case ER_RED_MAX: a = (a != a || b != b) ? a + b : a > b ? a : b; break;                \
        case ER_RED_MIN: a = (a != a || b != b) ? a + b : a < b ? a : b; break;                \
        case ER_RED_NONE: a = b; break;                                                        \
        }                                                                                      \
        memcpy(dst, &a, sizeof a);                                                             \
    } while (0)

void er_reduce_elem(void *dst, const void *src, er_dtype dt, er_reduction red) {
    size_t es = er_dtype_size(dt);
    if (red == ER_RED_NONE) {
        memcpy(dst, src, es);
        return;
    }
    switch (dt) {
    case ER_F32: REDUCE_FLOAT(float); return;
    case ER_F64: REDUCE_FLOAT(double); return;
    case ER_F16: case ER_BF16: {
        double a = er_load_f64(dst, dt, 0), b = er_load_f64(src, dt, 0), r = a;
        switch (red) {
        case ER_RED_ADD: r = a + b; break;
        case ER_RED_MUL: r = a * b; break;
        case ER_RED_MAX: r = (a != a || b != b) ? a + b : a > b ? a : b; break;
        case ER_RED_MIN: r = (a != a || b != b) ? a + b : a < b ? a : b; break;
        case ER_RED_NONE: r = b; break;
        }
        er_store_f64(dst, dt, 0, r);
        return;
    }
    case ER_U64: {
        uint64_t a, b;
        memcpy(&a, dst, 8);
        memcpy(&b, src, 8);
        a = red == ER_RED_ADD ? a + b : red == ER_RED_MUL ? a * b
          : red == ER_RED_MAX ? (a > b ? a : b) : (a < b ? a : b);
        memcpy(dst, &a, 8);
        return;
    }
    default: { /* the other integers and bool fit int64 exactly */
        int64_t a = er_load_i64(dst, dt, 0), b = er_load_i64(src, dt, 0), r;
        switch (red) {
        case ER_RED_ADD: r = (int64_t)((uint64_t)a + (uint64_t)b); break;
        case ER_RED_MUL: r = (int64_t)((uint64_t)a * (uint64_t)b); break;
        case ER_RED_MAX: r = a > b ? a : b; break;
        default: r = a < b ? a : b; break;
        }
        er_store_i64(dst, dt, 0, r);
        return;
    }
    }
}
