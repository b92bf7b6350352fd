/* erm_util.c - helpers for the .erm tests (see erm_util.h). */
#include "erm_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/tensor.h"
#include "import/erm/erm_format.h"

/* ---- models -------------------------------------------------------------- */

static void attr_begin(pbw *a, const char *name, int type) {
    pbw_str(a, 1, name);
    pbw_int(a, 20, type);
}

void erm_model_runnable(pbw *out) {
    pbw g = {0}, n = {0}, attrs = {0}, a = {0}, t = {0}, vi = {0};
    float w[18], b[2] = {0.25f, -0.5f}, k[1] = {1.5f};
    for (int i = 0; i < 18; i++) w[i] = (float)(i % 7) * 0.125f - 0.375f;
    int64_t wd[4] = {2, 1, 3, 3}, bd[1] = {2}, kd[1] = {1};
    int64_t xd[4] = {1, 1, 5, 5}, yd[4] = {1, 2, 3, 3};
    int64_t ks[2] = {3, 3}, st[2] = {2, 2}, pads[4] = {1, 1, 1, 1};

    const char *conv_in[] = {"x", "W", "B", NULL}, *conv_out[] = {"c", NULL};
    onnx_attr_ints(&attrs, "kernel_shape", 2, ks);
    onnx_attr_ints(&attrs, "strides", 2, st);
    onnx_attr_ints(&attrs, "pads", 4, pads);
    onnx_attr_int(&attrs, "group", 1);
    onnx_node(&n, "Conv", "conv0", conv_in, conv_out, &attrs);
    pbw_msg(&g, 1, &n);
    pbw_free(&n);
    pbw_free(&attrs);

    const char *k_out[] = {"k", NULL};
    attr_begin(&a, "value", 4);
    onnx_tensor(&t, "kval", 1, 1, kd, k, sizeof k);
    pbw_msg(&a, 5, &t);
    pbw_msg(&attrs, 5, &a);
    onnx_node(&n, "Constant", "const0", NULL, k_out, &attrs);
    pbw_msg(&g, 1, &n);
    pbw_free(&n);
    pbw_free(&attrs);
    pbw_free(&a);
    pbw_free(&t);

    const char *mul_in[] = {"c", "k", NULL}, *mul_out[] = {"m", NULL};
    onnx_node(&n, "Mul", "mul0", mul_in, mul_out, NULL);
    pbw_msg(&g, 1, &n);
    pbw_free(&n);

    const char *lr_in[] = {"m", NULL}, *lr_out[] = {"y", NULL};
    onnx_attr_float(&attrs, "alpha", 0.125f);
    onnx_node(&n, "LeakyRelu", "lrelu0", lr_in, lr_out, &attrs);
    pbw_msg(&g, 1, &n);
    pbw_free(&n);
    pbw_free(&attrs);

    pbw_str(&g, 2, "runnable");
    onnx_tensor(&t, "W", 1, 4, wd, w, sizeof w);
    pbw_msg(&g, 5, &t);
    pbw_free(&t);
    onnx_tensor(&t, "B", 1, 1, bd, b, sizeof b);
    pbw_msg(&g, 5, &t);
    pbw_free(&t);
    onnx_value_info(&vi, "x", 1, 4, xd);
    pbw_msg(&g, 11, &vi);
    pbw_free(&vi);
    onnx_value_info(&vi, "y", 1, 4, yd);
    pbw_msg(&g, 12, &vi);
    pbw_free(&vi);
    onnx_model(out, &g, 13);
    pbw_free(&g);
}

void erm_model_all_attrs(pbw *out) {
    pbw g = {0}, n = {0}, attrs = {0}, a = {0}, t = {0}, vi = {0}, sub = {0};
    int64_t xd[1] = {2};
    /* FLOAT, INT, STRING (bytes with a NUL inside) */
    onnx_attr_float(&attrs, "f", 1.5f);
    onnx_attr_int(&attrs, "i", -7);
    attr_begin(&a, "s", 3);
    pbw_bytes(&a, 4, "a\0b", 3);
    pbw_msg(&attrs, 5, &a);
    pbw_free(&a);
    /* TENSOR: int64 [2] */
    int64_t tv[2] = {5, -6}, td[1] = {2};
    attr_begin(&a, "t", 4);
    onnx_tensor(&t, "tv", 7, 1, td, tv, sizeof tv);
    pbw_msg(&a, 5, &t);
    pbw_msg(&attrs, 5, &a);
    pbw_free(&a);
    /* GRAPH (the IR keeps only the type) */
    attr_begin(&a, "g", 5);
    pbw_str(&sub, 2, "body");
    pbw_msg(&a, 6, &sub);
    pbw_msg(&attrs, 5, &a);
    pbw_free(&a);
    pbw_free(&sub);
    /* FLOATS, INTS, STRINGS */
    attr_begin(&a, "floats", 6);
    pbw_f32(&a, 7, 0.5f);
    pbw_f32(&a, 7, -2.25f);
    pbw_f32(&a, 7, 1e30f);
    pbw_msg(&attrs, 5, &a);
    pbw_free(&a);
    int64_t iv[3] = {1, -2, (int64_t)1 << 40};
    onnx_attr_ints(&attrs, "ints", 3, iv);
    attr_begin(&a, "strings", 8);
    pbw_str(&a, 9, "alpha");
    pbw_str(&a, 9, "");
    pbw_str(&a, 9, "gamma");
    pbw_msg(&attrs, 5, &a);
    pbw_free(&a);
    /* TENSORS (type only in the IR) */
    attr_begin(&a, "tensors", 9);
    pbw_msg(&a, 10, &t);
    pbw_msg(&attrs, 5, &a);
    pbw_free(&a);
    pbw_free(&t);

    const char *in[] = {"x", NULL}, *o[] = {"y", NULL};
    onnx_node(&n, "CustomOp", "custom0", in, o, &attrs);
    pbw_str(&n, 7, "com.example");
    pbw_msg(&g, 1, &n);
    pbw_free(&n);
    pbw_free(&attrs);
    pbw_str(&g, 2, "all_attrs");
    onnx_value_info(&vi, "x", 1, 1, xd);
    pbw_msg(&g, 11, &vi);
    pbw_free(&vi);
    onnx_value_info(&vi, "y", 1, 1, xd);
    pbw_msg(&g, 12, &vi);
    pbw_free(&vi);
    onnx_model(out, &g, 13);
    pbw_free(&g);
}

/* ---- comparison ---------------------------------------------------------- */

#define DIFF(...)                                                                              \
    do {                                                                                       \
        snprintf(msg, msg_size, __VA_ARGS__);                                                  \
        return 0;                                                                              \
    } while (0)

static int str_eq(const char *a, const char *b) {
    if (!a || !b) return a == b;
    return strcmp(a, b) == 0;
}

static int tensor_eq(const er_tensor *a, const er_tensor *b) {
    if (!a || !b) return a == b;
    if (a->dtype != b->dtype || !er_shape_equal(a->rank, a->dims, b->rank, b->dims)) return 0;
    size_t n = er_tensor_nbytes(a);
    return n == 0 || memcmp(a->data, b->data, n) == 0;
}

static int attr_eq(const er_attr *a, const er_attr *b, char *msg, size_t msg_size) {
    if (!str_eq(a->name, b->name)) DIFF("attribute name '%s' vs '%s'", a->name, b->name);
    if (a->type != b->type) DIFF("attribute '%s' type %d vs %d", a->name, a->type, b->type);
    if (a->i != b->i || memcmp(&a->f, &b->f, 4) != 0)
        DIFF("attribute '%s' scalar differs", a->name);
    switch (a->type) {
    case ER_ATTR_STRING:
        if (a->s_len != b->s_len || memcmp(a->s, b->s, a->s_len) != 0 || b->s[b->s_len] != '\0')
            DIFF("attribute '%s' string differs", a->name);
        break;
    case ER_ATTR_TENSOR:
        if (!tensor_eq(a->t, b->t)) DIFF("attribute '%s' tensor differs", a->name);
        break;
    case ER_ATTR_INTS:
        if (a->n != b->n || (a->n && memcmp(a->ints, b->ints, 8 * (size_t)a->n) != 0))
            DIFF("attribute '%s' ints differ", a->name);
        break;
    case ER_ATTR_FLOATS:
        if (a->n != b->n || (a->n && memcmp(a->floats, b->floats, 4 * (size_t)a->n) != 0))
            DIFF("attribute '%s' floats differ", a->name);
        break;
    case ER_ATTR_STRINGS:
        if (a->n != b->n) DIFF("attribute '%s' has %d vs %d strings", a->name, a->n, b->n);
        for (int k = 0; k < a->n; k++)
            if (!str_eq(a->strings[k], b->strings[k]))
                DIFF("attribute '%s' string %d differs", a->name, k);
        break;
    default:
        if (a->n != b->n) DIFF("attribute '%s' count %d vs %d", a->name, a->n, b->n);
        break;
    }
    return 1;
}

int erm_graph_equal(const er_graph *a, const er_graph *b, char *msg, size_t msg_size) {
    if (a->n_values != b->n_values) DIFF("%d vs %d values", a->n_values, b->n_values);
    if (a->n_nodes != b->n_nodes) DIFF("%d vs %d nodes", a->n_nodes, b->n_nodes);
    if (a->opset != b->opset) DIFF("opset %lld vs %lld", (long long)a->opset, (long long)b->opset);
    if (a->n_inputs != b->n_inputs || a->n_outputs != b->n_outputs) DIFF("graph i/o counts");
    for (int i = 0; i < a->n_inputs; i++)
        if (a->inputs[i] != b->inputs[i]) DIFF("graph input %d", i);
    for (int i = 0; i < a->n_outputs; i++)
        if (a->outputs[i] != b->outputs[i]) DIFF("graph output %d", i);
    for (int i = 0; i < a->n_values; i++) {
        const er_value *x = &a->values[i], *y = &b->values[i];
        if (!str_eq(x->name, y->name)) DIFF("value %d name '%s' vs '%s'", i, x->name, y->name);
        if (x->dtype != y->dtype || x->rank != y->rank)
            DIFF("value '%s' dtype/rank %d/%d vs %d/%d", x->name, x->dtype, x->rank, y->dtype,
                 y->rank);
        for (int k = 0; k < x->rank; k++) {
            if (x->dims[k] != y->dims[k]) DIFF("value '%s' dim %d", x->name, k);
            if (!str_eq(x->dim_param[k], y->dim_param[k]))
                DIFF("value '%s' dim_param %d '%s' vs '%s'", x->name, k,
                     x->dim_param[k] ? x->dim_param[k] : "(null)",
                     y->dim_param[k] ? y->dim_param[k] : "(null)");
        }
        if (!x->data != !y->data || x->data_bytes != y->data_bytes ||
            (x->data_bytes && memcmp(x->data, y->data, x->data_bytes) != 0))
            DIFF("value '%s' data differs", x->name);
        if (x->producer != y->producer || x->is_input != y->is_input ||
            x->is_output != y->is_output)
            DIFF("value '%s' producer/input/output flags differ", x->name);
        if (!x->quant != !y->quant) DIFF("value '%s' quant presence differs", x->name);
        if (x->quant) {
            const er_quant *p = x->quant, *q = y->quant;
            if (p->axis != q->axis || p->n != q->n ||
                memcmp(p->scale, q->scale, 4 * (size_t)p->n) != 0 ||
                memcmp(p->zero_point, q->zero_point, 4 * (size_t)p->n) != 0)
                DIFF("value '%s' quant differs", x->name);
        }
    }
    for (int i = 0; i < a->n_nodes; i++) {
        const er_node *x = &a->nodes[i], *y = &b->nodes[i];
        if (!str_eq(x->name, y->name) || !str_eq(x->op_type, y->op_type) ||
            !str_eq(x->domain, y->domain) || x->opset != y->opset || x->op != y->op)
            DIFF("node %d ('%s' %s) header differs from '%s' %s", i, x->name, x->op_type, y->name,
                 y->op_type);
        if (x->n_in != y->n_in || x->n_out != y->n_out || x->n_attr != y->n_attr)
            DIFF("node '%s' counts differ", x->name);
        for (int k = 0; k < x->n_in; k++)
            if (x->in[k] != y->in[k]) DIFF("node '%s' input %d", x->name, k);
        for (int k = 0; k < x->n_out; k++)
            if (x->out[k] != y->out[k]) DIFF("node '%s' output %d", x->name, k);
        for (int k = 0; k < x->n_attr; k++)
            if (!attr_eq(&x->attr[k], &y->attr[k], msg, msg_size)) return 0;
    }
    return 1;
}

/* ---- editing .erm bytes -------------------------------------------------- */

size_t erm_find_entry(const unsigned char *file, size_t size, uint32_t type) {
    if (size < ER_ERM_HEADER_BYTES) return 0;
    uint32_t n = er_erm_u32(file + 32);
    for (uint32_t i = 0; i < n; i++) {
        size_t at = ER_ERM_HEADER_BYTES + (size_t)i * ER_ERM_SECTION_BYTES;
        if (at + ER_ERM_SECTION_BYTES > size) return 0;
        if (er_erm_u32(file + at) == type) return at;
    }
    return 0;
}

void erm_fix_checksum(unsigned char *file, size_t size) {
    if (size < ER_ERM_HEADER_BYTES) return;
    er_erm_put_u64(file + 24, er_xxh64(file + ER_ERM_HEADER_BYTES, size - ER_ERM_HEADER_BYTES));
}

unsigned char *erm_add_section(const unsigned char *file, size_t size, uint32_t type,
                               uint32_t flags, const void *data, size_t data_size,
                               uint64_t count, size_t *out_size) {
    uint32_t n = er_erm_u32(file + 32);
    size_t body = size + 64;            /* every old section moves by 64 */
    size_t at = (body + 63) & ~(size_t)63;
    size_t total = at + data_size;
    unsigned char *o = calloc(1, total ? total : 1);
    memcpy(o, file, ER_ERM_HEADER_BYTES);
    size_t old_table_end = ER_ERM_HEADER_BYTES + (size_t)n * ER_ERM_SECTION_BYTES;
    memcpy(o + ER_ERM_HEADER_BYTES, file + ER_ERM_HEADER_BYTES,
           old_table_end - ER_ERM_HEADER_BYTES);
    memcpy(o + old_table_end + 64, file + old_table_end, size - old_table_end);
    for (uint32_t i = 0; i < n; i++) {
        unsigned char *e = o + ER_ERM_HEADER_BYTES + (size_t)i * ER_ERM_SECTION_BYTES;
        er_erm_put_u64(e + 8, er_erm_u64(e + 8) + 64);
    }
    unsigned char *e = o + old_table_end;
    er_erm_put_u32(e, type);
    er_erm_put_u32(e + 4, flags);
    er_erm_put_u64(e + 8, at);
    er_erm_put_u64(e + 16, data_size);
    er_erm_put_u64(e + 24, count);
    if (data_size) memcpy(o + at, data, data_size);
    er_erm_put_u32(o + 32, n + 1);
    er_erm_put_u64(o + 16, total);
    erm_fix_checksum(o, total);
    *out_size = total;
    return o;
}
