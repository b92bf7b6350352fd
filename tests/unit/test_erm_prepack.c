/* test_erm_prepack.c - .erm files with pre-packed weights (`edgerun convert
 * --prepack`, er_model_save_prepacked): sessions on the same ISA use the
 * packed bytes in place and compute exactly what a session on the plain
 * model computes; a session that picks other kernels ignores them; a weight
 * shared by two convolutions is not pre-packed. The same for int8
 * convolutions (QConvNhwc), whose blobs are also checked against the model's
 * requantization constants. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/mapfile.h"
#include "core/packed.h"
#include "core/status.h"
#include "cpu/conv/conv_internal.h"
#include "cpu/qconv/qconv.h"
#include "runtime/model.h"
#include "runtime/session.h"
#include "support/builder.h"
#include "support/erm_util.h"
#include "test.h"

static void conv(mb *b, const char *name, const char *x, const char *w, const char *y, int64_t M,
                 int64_t C, int64_t k, int64_t stride, int64_t group, unsigned seed) {
    int64_t wd[4] = {M, C / group, k, k}, bd[1] = {M};
    char bias[64];
    snprintf(bias, sizeof bias, "%s_b", name);
    if (seed) mb_const_rand(b, w, 4, wd, seed, -0.5f, 0.5f);
    mb_const_rand(b, bias, 1, bd, seed + 100, -0.5f, 0.5f);
    pbw a = {0};
    int64_t p = k / 2, pads[4] = {p, p, p, p}, st[2] = {stride, stride};
    onnx_attr_ints(&a, "pads", 4, pads);
    onnx_attr_ints(&a, "strides", 2, st);
    if (group > 1) onnx_attr_int(&a, "group", group);
    mb_node(b, "Conv", name, MB_IO(x, w, bias), MB_IO(y), &a);
    pbw_free(&a);
}

/* stem 3->16 3x3 s2 (row taps), 1x1 16->32 (gemm), 3x3 32->32 (Winograd),
 * depthwise 3x3 (dw), and two 1x1 convolutions sharing one weight */
static er_model *model(void) {
    mb b;
    mb_init(&b);
    int64_t xd[4] = {1, 3, 40, 40};
    mb_input(&b, "x", ER_F32, 4, xd);
    conv(&b, "stem", "x", "w_stem", "a", 16, 3, 3, 2, 1, 1);
    conv(&b, "pw", "a", "w_pw", "c", 32, 16, 1, 1, 1, 2);
    conv(&b, "wg", "c", "w_wg", "d", 32, 32, 3, 1, 1, 3);
    conv(&b, "dw", "d", "w_dw", "e", 32, 32, 3, 1, 32, 4);
    conv(&b, "s1", "e", "w_shared", "f", 32, 32, 1, 1, 1, 5);
    conv(&b, "s2", "f", "w_shared", "y", 32, 32, 1, 1, 1, 0);
    mb_output(&b, "y");
    return mb_load(&b, 13);
}

/* Runs s on an input of shape xd filled with ((i * 37) % 101) / div - off and
 * copies the n output floats to out; frees s. */
static int feed(er_session *s, const int64_t xd[4], float div, float off, float *out, size_t n) {
    er_tensor *x = NULL, *y = NULL;
    int ok = er_tensor_create(ER_F32, 4, xd, &x) == ER_OK;
    if (ok) {
        float *xv = er_tensor_data(x);
        for (size_t i = 0; i < er_tensor_count(x); i++) xv[i] = (float)((i * 37) % 101) / div - off;
        ok = er_session_run(s, (const er_tensor *const *)&x, &y) == ER_OK &&
             er_tensor_count(y) == n;
        if (ok) memcpy(out, er_tensor_data(y), n * sizeof(float));
    }
    er_tensor_free(x);
    er_session_free(s);
    return ok;
}

static int run(const er_model *m, er_isa isa, float *out, size_t n, int *borrowed) {
    er_options o;
    er_options_init(&o);
    o.force_isa = isa;
    er_session *s = NULL;
    if (er_session_create(m, &o, &s) != ER_OK) {
        printf("  create: %s\n", er_last_error());
        return 0;
    }
    *borrowed = 0;
    for (int i = 0; i < s->n_steps; i++)
        if (strcmp(s->g->nodes[s->steps[i].node].op_type, "ConvNhwc") == 0 &&
            ((const er_conv_plan *)s->steps[i].ctx.state)->w_borrowed)
            (*borrowed)++;
    static const int64_t xd[4] = {1, 3, 40, 40};
    return feed(s, xd, 50.0f, 1.0f, out, n);
}

/* m saved with pre-packed weights to a new file (path: a mkstemp template,
 * the name on return) and loaded back into *out. */
static er_status reload_prepacked(er_model *m, char *path, er_model **out) {
    int fd = mkstemp(path);
    if (fd < 0) return er_fail(ER_ERR_IO, "cannot create %s", path);
    close(fd);
    er_status st = er_model_save_prepacked(m, NULL, path);
    return st != ER_OK ? st : er_model_load(path, out);
}

TEST(erm_prepacked_weights_used_in_place_same_outputs) {
    er_model *m = model();
    CHECK(m);
    char path[] = "/tmp/er_prepack_XXXXXX";
    er_model *p = NULL;
    CHECK_STATUS(reload_prepacked(m, path, &p), ER_OK);
    /* stem, pw, wg, dw: 4 blobs; the shared weight has none */
    CHECK_EQ_INT(p->graph->n_packed, 4);
    int shared = er_graph_find(p->graph, "w_shared");
    for (int k = 0; k < p->graph->n_packed; k++) CHECK(p->graph->packed[k].value != shared);
    enum { N = 20 * 20 * 32 };
    static float a[N], b[N], c[N];
    int ba = 0, bb = 0, bc = 0;
    er_isa isa = er_isa_detected();
    CHECK(run(m, isa, a, N, &ba));
    CHECK(run(p, isa, b, N, &bb));
    CHECK_EQ_INT(ba, 0);
    CHECK_EQ_INT(bb, 4); /* every pre-packed blob was used in place */
    CHECK(memcmp(a, b, sizeof a) == 0);
    /* another ISA level picks other layouts (or none): packed blobs ignored */
    if (isa != ER_ISA_SCALAR) {
        static float d[N];
        int bd = 0;
        CHECK(run(m, ER_ISA_SCALAR, c, N, &bc));
        CHECK(run(p, ER_ISA_SCALAR, d, N, &bd));
        CHECK(memcmp(c, d, sizeof c) == 0);
        CHECK(bd < 4); /* at least the GEMM layouts differ by panel width */
    }
    er_model_free(p);
    er_model_free(m);
    unlink(path);
}

TEST(erm_prepack_refuses_onnx_path) {
    er_model *m = model();
    CHECK(m);
    CHECK_STATUS(er_model_save_prepacked(m, NULL, "/tmp/never.onnx"), ER_ERR_INVALID_ARG);
    CHECK(strstr(er_last_error(), ".erm") != NULL);
    er_model_free(m);
}

/* ---- int8: QDQ convolutions folded into QConvNhwc ------------------------- */

/* Q/DQ pair on an activation: name -> name_q (uint8) -> name_dq. */
static void qdq(mb *b, const char *x, const char *s, const char *z, const char *out) {
    char q[64];
    snprintf(q, sizeof q, "%s_q", x);
    mb_node(b, "QuantizeLinear", q, MB_IO(x, s, z), MB_IO(q), NULL);
    mb_node(b, "DequantizeLinear", out, MB_IO(q, s, z), MB_IO(out), NULL);
}

/* conv with per-channel symmetric int8 weights behind a DequantizeLinear */
static void qconv(mb *b, const char *name, const char *x, const char *y, int64_t M, int64_t C,
                  int64_t k, int64_t group, unsigned seed) {
    int64_t wd[4] = {M, C / group, k, k}, md[1] = {M};
    size_t n = (size_t)(M * (C / group) * k * k);
    int8_t *w = malloc(n);
    float *ws = malloc(sizeof(float) * (size_t)M);
    int8_t *wz = calloc((size_t)M, 1);
    for (size_t i = 0; i < n; i++) w[i] = (int8_t)((int)((i * 2654435761u + seed) >> 7) % 255 - 127);
    for (int64_t m = 0; m < M; m++) ws[m] = 0.002f + 0.0001f * (float)((m * 7 + seed) % 13);
    char wq[64], wsn[64], wzn[64], wdq[64], yf[64];
    snprintf(wq, sizeof wq, "%s_wq", name);
    snprintf(wsn, sizeof wsn, "%s_ws", name);
    snprintf(wzn, sizeof wzn, "%s_wz", name);
    snprintf(wdq, sizeof wdq, "%s_w", name);
    snprintf(yf, sizeof yf, "%s_f", name);
    mb_const(b, wq, ER_I8, 4, wd, w);
    mb_const(b, wsn, ER_F32, 1, md, ws);
    mb_const(b, wzn, ER_I8, 1, md, wz);
    pbw ax = {0};
    onnx_attr_int(&ax, "axis", 0);
    mb_node(b, "DequantizeLinear", wdq, MB_IO(wq, wsn, wzn), MB_IO(wdq), &ax);
    pbw_free(&ax);
    pbw a = {0};
    int64_t p = k / 2, pads[4] = {p, p, p, p};
    onnx_attr_ints(&a, "pads", 4, pads);
    if (group > 1) onnx_attr_int(&a, "group", group);
    mb_node(b, "Conv", name, MB_IO(x, wdq), MB_IO(yf), &a);
    pbw_free(&a);
    qdq(b, yf, "s_act", "z_act", y);
    free(w);
    free(ws);
    free(wz);
}

static er_model *qmodel(void) {
    mb b;
    mb_init(&b);
    int64_t xd[4] = {1, 16, 12, 12};
    mb_input(&b, "x", ER_F32, 4, xd);
    float s = 0.05f;
    uint8_t z = 128;
    mb_const(&b, "s_act", ER_F32, 0, NULL, &s);
    mb_const(&b, "z_act", ER_U8, 0, NULL, &z);
    qdq(&b, "x", "s_act", "z_act", "x_dq");
    qconv(&b, "c1", "x_dq", "a", 64, 16, 3, 1, 1);  /* rows */
    qconv(&b, "c2", "a", "c", 96, 64, 1, 1, 2);     /* gemm */
    qconv(&b, "c3", "c", "d", 96, 96, 3, 96, 3);    /* depthwise: not pre-packed */
    qconv(&b, "c4", "d", "y", 32, 96, 1, 1, 4);     /* gemm */
    mb_output(&b, "y");
    return mb_load(&b, 13);
}

static int qrun(const er_model *m, float *out, size_t n, int *borrowed, int *qconvs) {
    er_session *s = NULL;
    if (er_session_create(m, NULL, &s) != ER_OK) {
        printf("  create: %s\n", er_last_error());
        return 0;
    }
    *borrowed = *qconvs = 0;
    for (int i = 0; i < s->n_steps; i++) {
        if (strcmp(s->g->nodes[s->steps[i].node].op_type, "QConvNhwc") != 0) continue;
        (*qconvs)++;
        const void *data;
        size_t bytes;
        const er_qconv_plan *p = s->steps[i].ctx.state;
        if (er_qconv_plan_packed(p, &data, &bytes) != ER_OK) continue;
        for (int k = 0; k < m->graph->n_packed; k++) *borrowed += m->graph->packed[k].data == data;
    }
    static const int64_t xd[4] = {1, 16, 12, 12};
    return feed(s, xd, 20.0f, 2.5f, out, n);
}

/* The int8 GEMM-family convolutions' packed panels are stored and used in
 * place, with the same outputs; a blob whose requantization constants differ
 * from what the model's scales give is not used (the session packs anew). */
TEST(erm_prepacked_int8_weights_used_in_place_same_outputs) {
    er_model *m = qmodel();
    CHECK(m);
    char path[] = "/tmp/er_prepack_q_XXXXXX";
    er_model *p = NULL;
    CHECK_STATUS(reload_prepacked(m, path, &p), ER_OK);
    CHECK_EQ_INT(p->graph->n_packed, 3); /* c1, c2, c4; not the depthwise c3 */
    for (int k = 0; k < p->graph->n_packed; k++)
        CHECK(strncmp(p->graph->packed[k].layout, "q8-gemm-v1/", 11) == 0);
    enum { N = 32 * 144 };
    static float a[N], b[N], c[N];
    int ba, bb, bc, qa, qb, qc;
    CHECK(qrun(m, a, N, &ba, &qa));
    CHECK(qrun(p, b, N, &bb, &qb));
    CHECK_EQ_INT(qa, 4);
    CHECK_EQ_INT(qb, 4);
    CHECK_EQ_INT(bb, 3); /* every blob used in place */
    CHECK(memcmp(a, b, sizeof a) == 0);
    /* one byte of c2's requantization constants changed in the file (the
     * checksum fixed): that blob is refused, the other two still used */
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc((size_t)len);
    CHECK(fread(buf, 1, (size_t)len, f) == (size_t)len);
    fclose(f);
    int c2 = er_graph_find(p->graph, "c2_wq");
    const er_packed_blob *blob = NULL;
    for (int k = 0; k < p->graph->n_packed; k++)
        if (p->graph->packed[k].value == c2) blob = &p->graph->packed[k];
    CHECK(blob != NULL);
    /* the last set byte of the blob: its last panel ends with the shifts
     * (31 for padding columns) and left shifts of its columns */
    size_t start = (size_t)((const unsigned char *)blob->data - p->graph->mappings[0]->data);
    size_t k0 = start + blob->bytes - 1;
    er_model_free(p);
    p = NULL;
    while (k0 > start && buf[k0] == 0) k0--;
    CHECK(k0 > start);
    buf[k0] ^= 0x01;
    erm_fix_checksum(buf, (size_t)len);
    CHECK_STATUS(er_model_load_memory(buf, (size_t)len, NULL, &p), ER_OK);
    CHECK(qrun(p, c, N, &bc, &qc));
    CHECK_EQ_INT(bc, 2);
    CHECK(memcmp(a, c, sizeof a) == 0);
    er_model_free(p);
    free(buf);
    er_model_free(m);
    unlink(path);
}
