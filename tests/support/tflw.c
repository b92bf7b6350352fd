/* tflw.c - TFLite model writer for tests (see tflw.h). Field numbers follow
 * TFLite's schema.fbs (as src/import/tflite/tflite_schema.h). */
#include "tflw.h"

#include <stdlib.h>
#include <string.h>

void tflw_put_u32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

void tflw_init(tflw *w) {
    memset(w, 0, sizeof *w);
    w->version = 3;
    w->n_buffers = 1; /* buffer 0: the empty sentinel */
}

void tflw_free(tflw *w) {
    fbw_free(&w->b);
    free(w->d);
    w->d = NULL;
    w->n = 0;
}

int tflw_buffer(tflw *w, const void *data, size_t bytes) {
    if (!data || !bytes) return 0;
    if (w->n_buffers >= TFLW_MAX) abort();
    w->buf_data[w->n_buffers] = data;
    w->buf_len[w->n_buffers] = bytes;
    return w->n_buffers++;
}

int tflw_tensor_raw(tflw *w, uint32_t tensor_table) {
    if (w->n_tensors >= TFLW_MAX) abort();
    w->tensors[w->n_tensors] = tensor_table;
    return w->n_tensors++;
}

int tflw_tensor_q(tflw *w, const char *name, int type, int rank, const int32_t *shape,
                  const void *data, size_t bytes, const tflw_quant *q) {
    uint32_t shp = fbw_vec_i32(&w->b, (size_t)rank, shape);
    uint32_t nm = fbw_str(&w->b, name);
    uint32_t quant = 0;
    if (q && q->n) {
        uint32_t s = fbw_vec_f32(&w->b, (size_t)q->n, q->scale);
        uint32_t z = fbw_vec_i64(&w->b, (size_t)q->n, q->zero_point);
        fbw_field qf[] = {FBW_REF(2, s), FBW_REF(3, z), FBW_I32(6, q->axis)};
        quant = fbw_table(&w->b, 3, qf);
    }
    int buf = tflw_buffer(w, data, bytes);
    fbw_field f[5] = {FBW_REF(0, shp), FBW_U8(1, type), FBW_U32(2, buf), FBW_REF(3, nm)};
    int nf = 4;
    if (quant) f[nf++] = FBW_REF(4, quant);
    return tflw_tensor_raw(w, fbw_table(&w->b, nf, f));
}

int tflw_tensor(tflw *w, const char *name, int type, int rank, const int32_t *shape,
                const void *data, size_t bytes) {
    return tflw_tensor_q(w, name, type, rank, shape, data, bytes, NULL);
}

static int opcode_index(tflw *w, int code, const char *custom) {
    for (int i = 0; i < w->n_opcodes; i++)
        if (w->opcode[i] == code &&
            ((!custom && !w->custom[i]) || (custom && w->custom[i] && !strcmp(custom, w->custom[i]))))
            return i;
    if (w->n_opcodes >= TFLW_MAX) abort();
    w->opcode[w->n_opcodes] = code;
    w->custom[w->n_opcodes] = custom;
    return w->n_opcodes++;
}

static void add_op(tflw *w, int code, const char *custom, int n_in, const int *in, int n_out,
                   const int *out, int opt_type, uint32_t opt_table, const void *copts,
                   size_t copts_len) {
    int32_t iv[64], ov[64];
    for (int i = 0; i < n_in; i++) iv[i] = in[i];
    for (int i = 0; i < n_out; i++) ov[i] = out[i];
    uint32_t vi = fbw_vec_i32(&w->b, (size_t)n_in, iv);
    uint32_t vo = fbw_vec_i32(&w->b, (size_t)n_out, ov);
    uint32_t co = copts ? fbw_vec_bytes(&w->b, copts, copts_len, 4) : 0;
    fbw_field f[6] = {FBW_U32(0, opcode_index(w, code, custom)), FBW_REF(1, vi), FBW_REF(2, vo)};
    int nf = 3;
    if (opt_type) {
        f[nf++] = FBW_U8(3, opt_type);
        f[nf++] = FBW_REF(4, opt_table);
    }
    if (co) f[nf++] = FBW_REF(5, co);
    if (w->n_ops >= TFLW_MAX) abort();
    w->ops[w->n_ops++] = fbw_table(&w->b, nf, f);
}

void tflw_op(tflw *w, int code, const char *custom, int n_in, const int *in, int n_out,
             const int *out, int opt_type, uint32_t opt_table) {
    add_op(w, code, custom, n_in, in, n_out, out, opt_type, opt_table, NULL, 0);
}

void tflw_op_custom(tflw *w, const char *custom, int n_in, const int *in, int n_out,
                    const int *out, const void *opts, size_t opts_len) {
    add_op(w, 32, custom, n_in, in, n_out, out, 0, 0, opts, opts_len);
}

/* Position of field `field` of the table at `pos` in a finished buffer. */
size_t tflw_field_pos(const uint8_t *d, size_t pos, int field) {
    int32_t soff = (int32_t)((uint32_t)d[pos] | (uint32_t)d[pos + 1] << 8 |
                             (uint32_t)d[pos + 2] << 16 | (uint32_t)d[pos + 3] << 24);
    size_t vt = (size_t)((int64_t)pos - soff);
    size_t slot = vt + 4 + 2 * (size_t)field;
    return pos + (size_t)(d[slot] | d[slot + 1] << 8);
}

void tflw_finish(tflw *w, int n_in, const int *in, int n_out, const int *out) {
    fbw *b = &w->b;
    uint32_t bufs[TFLW_MAX];
    for (int i = 0; i < w->n_buffers; i++) {
        if (i == 0) {
            bufs[i] = fbw_table(b, 0, NULL);
        } else if (w->external) {
            fbw_field f[] = {FBW_U64(1, 0), FBW_U64(2, w->buf_len[i])};
            bufs[i] = fbw_table(b, 2, f);
        } else {
            uint32_t d = fbw_vec_bytes(b, w->buf_data[i], w->buf_len[i], 16);
            fbw_field f[] = {FBW_REF(0, d)};
            bufs[i] = fbw_table(b, 1, f);
        }
    }
    uint32_t vbufs = fbw_vec_refs(b, (size_t)w->n_buffers, bufs);
    uint32_t codes[TFLW_MAX];
    for (int i = 0; i < w->n_opcodes; i++) {
        int code = w->opcode[i];
        uint32_t cs = w->custom[i] ? fbw_str(b, w->custom[i]) : 0;
        fbw_field f[4] = {FBW_U8(0, code < 127 ? code : 127), FBW_I32(2, 1), FBW_I32(3, code)};
        int nf = w->old_opcodes ? 2 : 3;
        if (cs) f[nf++] = FBW_REF(1, cs);
        codes[i] = fbw_table(b, nf, f);
    }
    uint32_t vcodes = fbw_vec_refs(b, (size_t)w->n_opcodes, codes);
    int32_t iv[64], ov[64];
    for (int i = 0; i < n_in; i++) iv[i] = in[i];
    for (int i = 0; i < n_out; i++) ov[i] = out[i];
    uint32_t vt = fbw_vec_refs(b, (size_t)w->n_tensors, w->tensors);
    uint32_t vi = fbw_vec_i32(b, (size_t)n_in, iv);
    uint32_t vo = fbw_vec_i32(b, (size_t)n_out, ov);
    uint32_t vops = fbw_vec_refs(b, (size_t)w->n_ops, w->ops);
    uint32_t name = fbw_str(b, "main");
    fbw_field sg[] = {FBW_REF(0, vt), FBW_REF(1, vi), FBW_REF(2, vo), FBW_REF(3, vops),
                      FBW_REF(4, name)};
    uint32_t subgraph = fbw_table(b, 5, sg);
    uint32_t vsg = fbw_vec_refs(b, 1, &subgraph);
    fbw_field mf[] = {FBW_U32(0, w->version), FBW_REF(1, vcodes), FBW_REF(2, vsg),
                      FBW_REF(4, vbufs)};
    uint32_t model = fbw_table(b, 4, mf);
    fbw_finish(b, model, "TFL3");
    /* copy out, appending external buffers 16-aligned after the flatbuffer */
    size_t total = b->n;
    size_t offs[TFLW_MAX] = {0};
    for (int i = 1; w->external && i < w->n_buffers; i++) {
        total = (total + 15) & ~(size_t)15;
        offs[i] = total;
        total += w->buf_len[i];
    }
    free(w->d);
    w->d = calloc(1, total ? total : 1);
    if (!w->d) abort();
    memcpy(w->d, b->d, b->n);
    for (int i = 1; w->external && i < w->n_buffers; i++) {
        memcpy(w->d + offs[i], w->buf_data[i], w->buf_len[i]);
        size_t p = tflw_field_pos(w->d, fbw_pos(b, bufs[i]), 1);
        tflw_put_u32(w->d + p, (uint32_t)offs[i]);
        tflw_put_u32(w->d + p + 4, 0);
    }
    w->n = total;
}
