/* spatial.c - sliding-window attribute parsing and output geometry (see
 * spatial.h for the formulas). All arithmetic is checked: attribute values
 * come from the model file. */
#include "spatial.h"

#include <string.h>

#include "core/checked_math.h"

/* Attribute values and input dims beyond these are rejected early so that
 * (kernel-1)*dilation and the sums below cannot overflow int64. */
#define WIN_MAX_VALUE (((int64_t)1 << 31) - 1)
#define WIN_MAX_DIM ((int64_t)1 << 40)

er_status er_window_auto_pad(const er_op_ctx *c, er_auto_pad *out) {
    const char *s = er_attr_str(c->node, "auto_pad", "NOTSET");
    if (strcmp(s, "NOTSET") == 0 || s[0] == '\0') *out = ER_PAD_NOTSET;
    else if (strcmp(s, "SAME_UPPER") == 0) *out = ER_PAD_SAME_UPPER;
    else if (strcmp(s, "SAME_LOWER") == 0) *out = ER_PAD_SAME_LOWER;
    else if (strcmp(s, "VALID") == 0) *out = ER_PAD_VALID;
    else
        return er_fail(ER_ERR_INVALID_MODEL, "auto_pad '%s' is not one of NOTSET, SAME_UPPER, "
                       "SAME_LOWER, VALID", s);
    return ER_OK;
}

/* Reads an optional ints attribute of exactly `want` values into out. */
static er_status read_list(const er_op_ctx *c, const char *name, int want, int64_t lo,
                           int64_t *out, bool *present) {
    const int64_t *v;
    int cnt = er_attr_ints(c->node, name, &v);
    *present = cnt >= 0;
    if (cnt < 0) return ER_OK;
    if (cnt != want)
        return er_fail(ER_ERR_INVALID_MODEL, "attribute %s has %d values, expected %d", name, cnt,
                       want);
    for (int i = 0; i < cnt; i++) {
        if (v[i] < lo || v[i] > WIN_MAX_VALUE)
            return er_fail(ER_ERR_INVALID_MODEL, "attribute %s[%d] = %lld is outside [%lld, 2^31)",
                           name, i, (long long)v[i], (long long)lo);
        out[i] = v[i];
    }
    return ER_OK;
}

er_status er_window_read(const er_op_ctx *c, int n, const int64_t *kernel, er_window *w) {
    memset(w, 0, sizeof *w);
    if (n < 1 || n > ER_WIN_MAX_DIMS)
        return er_fail(ER_ERR_UNSUPPORTED, "%d spatial dims; 1 to %d are supported", n,
                       ER_WIN_MAX_DIMS);
    w->n = n;
    bool present;
    for (int i = 0; i < n; i++) w->stride[i] = w->dilation[i] = 1;
    int64_t ks[ER_WIN_MAX_DIMS];
    ER_TRY(read_list(c, "kernel_shape", n, 1, ks, &present));
    if (kernel) {
        for (int i = 0; i < n; i++) {
            if (kernel[i] < 1 || kernel[i] > WIN_MAX_VALUE)
                return er_fail(ER_ERR_SHAPE, "kernel dim %d is %lld, must be >= 1", i,
                               (long long)kernel[i]);
            if (present && ks[i] != kernel[i])
                return er_fail(ER_ERR_SHAPE, "kernel_shape[%d] = %lld does not match the weight's "
                               "%lld", i, (long long)ks[i], (long long)kernel[i]);
            w->kernel[i] = kernel[i];
        }
    } else {
        if (!present) return er_fail(ER_ERR_INVALID_MODEL, "attribute kernel_shape is required");
        memcpy(w->kernel, ks, sizeof(int64_t) * (size_t)n);
    }
    ER_TRY(read_list(c, "strides", n, 1, w->stride, &present));
    ER_TRY(read_list(c, "dilations", n, 1, w->dilation, &present));
    int64_t pads[2 * ER_WIN_MAX_DIMS];
    ER_TRY(read_list(c, "pads", 2 * n, 0, pads, &present));
    if (present) {
        memcpy(w->pad_begin, pads, sizeof(int64_t) * (size_t)n);
        memcpy(w->pad_end, pads + n, sizeof(int64_t) * (size_t)n);
    }
    return ER_OK;
}

static int64_t ceil_div(int64_t a, int64_t b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); }
static int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

er_status er_window_init(const er_op_ctx *c, int n, const int64_t *in, const int64_t *kernel,
                         bool ceil_mode, er_window *w) {
    ER_TRY(er_window_read(c, n, kernel, w));
    er_auto_pad ap;
    ER_TRY(er_window_auto_pad(c, &ap));
    for (int i = 0; i < n; i++) {
        if (in[i] < 0 || in[i] > WIN_MAX_DIM)
            return er_fail(ER_ERR_SHAPE, "spatial input dim %d is %lld", i, (long long)in[i]);
        w->in[i] = in[i];
        /* |span| < 2^62; (out-1)*stride never exceeds in + pads + stride */
        int64_t span = (w->kernel[i] - 1) * w->dilation[i] + 1;
        if (ap == ER_PAD_SAME_UPPER || ap == ER_PAD_SAME_LOWER) {
            w->out[i] = ceil_div(in[i], w->stride[i]);
            int64_t total = (w->out[i] - 1) * w->stride[i] + span - in[i];
            if (total < 0) total = 0;
            w->pad_begin[i] = ap == ER_PAD_SAME_UPPER ? total / 2 : total - total / 2;
            w->pad_end[i] = total - w->pad_begin[i];
            continue;
        }
        if (ap == ER_PAD_VALID) w->pad_begin[i] = w->pad_end[i] = 0;
        int64_t room = in[i] + w->pad_begin[i] + w->pad_end[i] - span;
        if (room < 0) {
            if (in[i] == 0) { /* empty input: empty output */
                w->out[i] = 0;
                continue;
            }
            return er_fail(ER_ERR_SHAPE, "spatial dim %d: input %lld with pads %lld+%lld is smaller "
                           "than the dilated kernel %lld", i, (long long)in[i],
                           (long long)w->pad_begin[i], (long long)w->pad_end[i], (long long)span);
        }
        w->out[i] = (ceil_mode ? ceil_div(room, w->stride[i]) : floor_div(room, w->stride[i])) + 1;
        if (ceil_mode && (w->out[i] - 1) * w->stride[i] >= in[i] + w->pad_begin[i]) w->out[i]--;
    }
    return ER_OK;
}

/* Products saturate at INT64_MAX: ConvTranspose output dims may each be near
 * 2^32 before the session refuses the output as too large (fuzz_erm_load). */
int64_t er_window_out_size(const er_window *w) {
    int64_t s = 1;
    for (int i = 0; i < w->n; i++)
        if (__builtin_mul_overflow(s, w->out[i], &s)) return INT64_MAX;
    return s;
}

int64_t er_window_in_size(const er_window *w) {
    int64_t s = 1;
    for (int i = 0; i < w->n; i++)
        if (__builtin_mul_overflow(s, w->in[i], &s)) return INT64_MAX;
    return s;
}

void er_window_taps(const er_window *w, int i, int64_t o, int64_t *k_lo, int64_t *k_hi) {
    int64_t start = o * w->stride[i] - w->pad_begin[i], d = w->dilation[i];
    int64_t lo = start >= 0 ? 0 : ceil_div(-start, d);
    int64_t hi = w->in[i] - start <= 0 ? 0 : ceil_div(w->in[i] - start, d);
    if (hi > w->kernel[i]) hi = w->kernel[i];
    *k_lo = lo;
    *k_hi = hi;
}
