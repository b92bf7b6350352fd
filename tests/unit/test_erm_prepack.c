/* test_erm_prepack.c - .erm files with pre-packed weights (`edgerun convert
 * --prepack`, er_model_save_prepacked): sessions on the same ISA use the
 * packed bytes in place and compute exactly what a session on the plain
 * model computes; a session that picks other kernels ignores them; a weight
 * shared by two convolutions is not pre-packed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpu/conv/conv_internal.h"
#include "runtime/model.h"
#include "runtime/session.h"
#include "support/builder.h"
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
    int64_t xd[4] = {1, 3, 40, 40};
    er_tensor *x = NULL, *y = NULL;
    int ok = er_tensor_create(ER_F32, 4, xd, &x) == ER_OK;
    if (ok) {
        float *xv = er_tensor_data(x);
        for (int i = 0; i < 4800; i++) xv[i] = (float)((i * 37) % 101) / 50.0f - 1.0f;
        ok = er_session_run(s, (const er_tensor *const *)&x, &y) == ER_OK &&
             er_tensor_count(y) == n;
        if (ok) memcpy(out, er_tensor_data(y), n * sizeof(float));
    }
    er_tensor_free(x);
    er_session_free(s);
    return ok;
}

TEST(erm_prepacked_weights_used_in_place_same_outputs) {
    er_model *m = model();
    CHECK(m);
    char path[] = "/tmp/er_prepack_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    CHECK_STATUS(er_model_save_prepacked(m, NULL, path), ER_OK);
    er_model *p = NULL;
    CHECK_STATUS(er_model_load(path, &p), ER_OK);
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
