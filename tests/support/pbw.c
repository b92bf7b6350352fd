/* pbw.c - protobuf writing for tests. Aborts on OOM (tests only). */
#include "pbw.h"

#include <stdlib.h>
#include <string.h>

void pbw_free(pbw *w) {
    free(w->d);
    w->d = NULL;
    w->n = w->cap = 0;
}

void pbw_raw(pbw *w, const void *p, size_t n) {
    if (w->n + n > w->cap) {
        size_t cap = w->cap ? w->cap : 64;
        while (cap < w->n + n) cap *= 2;
        w->d = realloc(w->d, cap);
        if (!w->d) abort();
        w->cap = cap;
    }
    if (n) memcpy(w->d + w->n, p, n);
    w->n += n;
}

void pbw_varint(pbw *w, uint64_t v) {
    uint8_t b[10];
    int n = 0;
    do {
        b[n] = (uint8_t)(v & 0x7f);
        v >>= 7;
        if (v) b[n] |= 0x80;
        n++;
    } while (v);
    pbw_raw(w, b, (size_t)n);
}

void pbw_tag(pbw *w, uint32_t field, int wire) { pbw_varint(w, (uint64_t)field << 3 | (unsigned)wire); }

void pbw_int(pbw *w, uint32_t field, int64_t v) {
    pbw_tag(w, field, 0);
    pbw_varint(w, (uint64_t)v);
}

void pbw_f32(pbw *w, uint32_t field, float v) {
    pbw_tag(w, field, 5);
    pbw_raw(w, &v, 4);
}

void pbw_bytes(pbw *w, uint32_t field, const void *p, size_t n) {
    pbw_tag(w, field, 2);
    pbw_varint(w, n);
    pbw_raw(w, p, n);
}

void pbw_str(pbw *w, uint32_t field, const char *s) { pbw_bytes(w, field, s, strlen(s)); }
void pbw_msg(pbw *w, uint32_t field, const pbw *sub) { pbw_bytes(w, field, sub->d, sub->n); }

void onnx_tensor(pbw *w, const char *name, int dtype, int rank, const int64_t *dims,
                 const void *raw, size_t raw_bytes) {
    for (int i = 0; i < rank; i++) pbw_int(w, 1, dims[i]);
    pbw_int(w, 2, dtype);
    pbw_str(w, 8, name);
    pbw_bytes(w, 9, raw, raw_bytes);
}

void onnx_value_info(pbw *w, const char *name, int dtype, int rank, const int64_t *dims) {
    pbw shape = {0}, tt = {0}, type = {0};
    for (int i = 0; i < rank; i++) {
        pbw dim = {0};
        if (dims[i] >= 0) pbw_int(&dim, 1, dims[i]);
        else pbw_str(&dim, 2, "N");
        pbw_msg(&shape, 1, &dim);
        pbw_free(&dim);
    }
    pbw_int(&tt, 1, dtype);
    pbw_msg(&tt, 2, &shape);
    pbw_msg(&type, 1, &tt);
    pbw_str(w, 1, name);
    pbw_msg(w, 2, &type);
    pbw_free(&shape);
    pbw_free(&tt);
    pbw_free(&type);
}

void onnx_node(pbw *w, const char *op, const char *name, const char *const *in,
               const char *const *out, const pbw *attrs) {
    for (; in && *in; in++) pbw_str(w, 1, *in);
    for (; out && *out; out++) pbw_str(w, 2, *out);
    pbw_str(w, 3, name);
    pbw_str(w, 4, op);
    if (attrs) pbw_raw(w, attrs->d, attrs->n);
}

void onnx_attr_int(pbw *w, const char *name, int64_t v) {
    pbw a = {0};
    pbw_str(&a, 1, name);
    pbw_int(&a, 20, 2);
    pbw_int(&a, 3, v);
    pbw_msg(w, 5, &a);
    pbw_free(&a);
}

void onnx_attr_ints(pbw *w, const char *name, int n, const int64_t *v) {
    pbw a = {0};
    pbw_str(&a, 1, name);
    pbw_int(&a, 20, 7);
    for (int i = 0; i < n; i++) pbw_int(&a, 8, v[i]);
    pbw_msg(w, 5, &a);
    pbw_free(&a);
}

void onnx_attr_float(pbw *w, const char *name, float v) {
    pbw a = {0};
    pbw_str(&a, 1, name);
    pbw_int(&a, 20, 1);
    pbw_f32(&a, 2, v);
    pbw_msg(w, 5, &a);
    pbw_free(&a);
}

void onnx_model(pbw *w, const pbw *graph, int64_t opset) {
    pbw op = {0};
    pbw_str(&op, 1, "");
    pbw_int(&op, 2, opset);
    pbw_int(w, 1, 8);
    pbw_msg(w, 8, &op);
    pbw_msg(w, 7, graph);
    pbw_free(&op);
}
