/* registry.c - op lookup from op_table.h, plus helpers shared by op files. */
#include <stdio.h>
#include <string.h>

#include "op.h"

#define ER_OP(name) extern const er_op_def er_op_##name;
#include "op_table.h"
#undef ER_OP

static const er_op_def *const g_ops[] = {
#define ER_OP(name) &er_op_##name,
#include "op_table.h"
#undef ER_OP
};

int er_op_count(void) { return (int)(sizeof g_ops / sizeof g_ops[0]); }
const er_op_def *er_op_at(int i) { return i >= 0 && i < er_op_count() ? g_ops[i] : NULL; }

const er_op_def *er_op_find(const char *op_type, const char *domain) {
    if (!domain || strcmp(domain, "ai.onnx") == 0) domain = "";
    for (int i = 0; i < er_op_count(); i++)
        if (strcmp(g_ops[i]->name, op_type) == 0 &&
            strcmp(g_ops[i]->domain ? g_ops[i]->domain : "", domain) == 0)
            return g_ops[i];
    return NULL;
}

const er_dtype er_dt_float[] = {ER_F32, ER_F64, ER_F16, ER_UNDEF};
const er_dtype er_dt_numeric[] = {ER_F32, ER_F64, ER_F16, ER_I8, ER_U8, ER_I16, ER_U16,
                                  ER_I32, ER_U32, ER_I64, ER_U64, ER_UNDEF};
const er_dtype er_dt_all[] = {ER_F32, ER_F64, ER_F16, ER_I8, ER_U8, ER_I16, ER_U16, ER_I32,
                              ER_U32, ER_I64, ER_U64, ER_BOOL, ER_BF16, ER_UNDEF};

er_status er_op_check_inputs(const er_op_ctx *c, int lo, int hi) {
    if (c->n_in < lo || c->n_in > hi) {
        if (lo == hi)
            return er_fail(ER_ERR_INVALID_MODEL, "has %d inputs, expected %d", c->n_in, lo);
        return er_fail(ER_ERR_INVALID_MODEL, "has %d inputs, expected %d to %d", c->n_in, lo, hi);
    }
    for (int i = 0; i < lo; i++)
        if (!c->in[i]) return er_fail(ER_ERR_INVALID_MODEL, "required input %d is missing", i);
    return ER_OK;
}

er_status er_op_check_dtype(const er_op_ctx *c, int i, const er_dtype *allowed) {
    if (i >= c->n_in || !c->in[i]) return ER_OK;
    er_dtype dt = c->in[i]->dtype;
    for (const er_dtype *a = allowed; *a != ER_UNDEF; a++)
        if (*a == dt) return ER_OK;
    return er_fail(ER_ERR_UNSUPPORTED, "input %d has dtype %s, which this op does not support", i,
                   er_dtype_name(dt));
}

er_status er_op_same_dtype(const er_op_ctx *c, int i, int j) {
    if (i >= c->n_in || j >= c->n_in || !c->in[i] || !c->in[j]) return ER_OK;
    if (c->in[i]->dtype != c->in[j]->dtype)
        return er_fail(ER_ERR_INVALID_MODEL, "inputs %d and %d have different dtypes (%s, %s)", i,
                       j, er_dtype_name(c->in[i]->dtype), er_dtype_name(c->in[j]->dtype));
    return ER_OK;
}

void er_op_set_output(er_op_ctx *c, int i, er_dtype dt, int rank, const int64_t *dims) {
    if (i < c->n_out && c->out[i]) er_tensor_set_shape(c->out[i], dt, rank, dims);
}

er_status er_op_axis(const er_op_ctx *c, int64_t axis, int rank, int *out) {
    (void)c;
    if (axis < -rank || axis >= (rank ? rank : 1))
        return er_fail(ER_ERR_INVALID_MODEL, "axis %lld is outside [%d, %d) for rank %d",
                       (long long)axis, -rank, rank, rank);
    *out = (int)(axis < 0 ? axis + rank : axis);
    return ER_OK;
}

er_status er_op_read_ints(const er_op_ctx *c, int i, int64_t *out, int max, int *n) {
    const er_tensor *t = c->in[i];
    if (!t) {
        *n = 0;
        return ER_OK;
    }
    if (t->dtype != ER_I64 && t->dtype != ER_I32)
        return er_fail(ER_ERR_INVALID_MODEL, "input %d must be int32/int64, not %s", i,
                       er_dtype_name(t->dtype));
    if (t->rank > 1)
        return er_fail(ER_ERR_INVALID_MODEL, "input %d must be a 1-D list, has shape %s", i,
                       er_op_shape_str(t));
    size_t cnt = er_tensor_numel(t);
    if (cnt > (size_t)max)
        return er_fail(ER_ERR_INVALID_MODEL, "input %d has %zu values, at most %d allowed", i, cnt,
                       max);
    for (size_t k = 0; k < cnt; k++) out[k] = er_load_i64(t->data, t->dtype, k);
    *n = (int)cnt;
    return ER_OK;
}

const char *er_op_shape_str(const er_tensor *t) {
    static _Thread_local char bufs[4][ER_SHAPE_STR_MAX];
    static _Thread_local int next;
    char *b = bufs[next++ & 3];
    if (!t) return "(absent)";
    return er_shape_str(b, ER_SHAPE_STR_MAX, t->rank, t->dims);
}
