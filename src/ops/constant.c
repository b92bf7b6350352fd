/* constant.c - Constant: a tensor stored in the node (ONNX Constant-1/9/11/12/13).
 *
 * Exactly one attribute holds the value: `value` (a tensor), or since
 * opset 12 `value_float`, `value_floats` (float32 scalar / 1-D),
 * `value_int`, `value_ints` (int64 scalar / 1-D). `sparse_value` and the
 * string forms are valid ONNX that edgerun does not implement. The node has
 * no inputs, so the planner folds it once at session creation. */
#include "data_util.h"
#include "op.h"

typedef struct {
    er_dtype dtype;
    int rank;
    int64_t dims[ER_MAX_RANK];
    const void *data;
} const_value;

static er_status find_value(const er_op_ctx *c, const_value *v) {
    static const char *const k_names[] = {"value", "value_float", "value_floats", "value_int",
                                          "value_ints", "sparse_value", "value_string",
                                          "value_strings"};
    const er_attr *found = NULL;
    for (size_t i = 0; i < sizeof k_names / sizeof k_names[0]; i++) {
        const er_attr *a = er_attr_find(c->node, k_names[i]);
        if (!a) continue;
        if (found)
            return er_fail(ER_ERR_INVALID_MODEL, "has both '%s' and '%s'; exactly one value "
                           "attribute is allowed", found->name, a->name);
        found = a;
    }
    if (!found) return er_fail(ER_ERR_INVALID_MODEL, "has no value attribute");
    const er_attr *a = found;
    memset(v, 0, sizeof *v);
    const char *name = a->name;
    if (strcmp(name, "value") == 0 && a->type == ER_ATTR_TENSOR) {
        const er_tensor *t = a->t;
        if (!er_dtype_supported(t->dtype))
            return er_fail(ER_ERR_UNSUPPORTED, "value has dtype %s", er_dtype_name(t->dtype));
        v->dtype = t->dtype;
        v->rank = t->rank;
        for (int k = 0; k < t->rank; k++) v->dims[k] = t->dims[k];
        v->data = t->data;
        if (er_tensor_nbytes(t) && !t->data)
            return er_fail(ER_ERR_INVALID_MODEL, "value tensor %s has no data",
                           er_op_shape_str(t));
    } else if (strcmp(name, "value_float") == 0 && a->type == ER_ATTR_FLOAT) {
        v->dtype = ER_F32;
        v->data = &a->f;
    } else if (strcmp(name, "value_floats") == 0 && a->type == ER_ATTR_FLOATS) {
        v->dtype = ER_F32;
        v->rank = 1;
        v->dims[0] = a->n;
        v->data = a->floats;
    } else if (strcmp(name, "value_int") == 0 && a->type == ER_ATTR_INT) {
        v->dtype = ER_I64;
        v->data = &a->i;
    } else if (strcmp(name, "value_ints") == 0 && a->type == ER_ATTR_INTS) {
        v->dtype = ER_I64;
        v->rank = 1;
        v->dims[0] = a->n;
        v->data = a->ints;
    } else if (strcmp(name, "sparse_value") == 0 || strncmp(name, "value_string", 12) == 0) {
        return er_fail(ER_ERR_UNSUPPORTED, "attribute '%s' is not supported", name);
    } else {
        return er_fail(ER_ERR_INVALID_MODEL, "attribute '%s' has the wrong type %d", name,
                       (int)a->type);
    }
    return ER_OK;
}

static er_status shape_constant(er_op_ctx *c) {
    ER_TRY(er_check_outputs(c, 1, 1));
    ER_TRY(er_op_check_inputs(c, 0, 0));
    const_value v;
    ER_TRY(find_value(c, &v));
    er_op_set_output(c, 0, v.dtype, v.rank, v.dims);
    return ER_OK;
}

static er_status run_constant(er_op_ctx *c) {
    const_value v;
    ER_TRY(find_value(c, &v));
    er_copy_bytes(c->out[0]->data, v.data, er_tensor_nbytes(c->out[0]));
    return ER_OK;
}

const er_op_def er_op_constant = {
    .name = "Constant", .min_opset = 1, .shape = shape_constant, .run = run_constant};
