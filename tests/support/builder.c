/* builder.c - test model builder (see builder.h). */
#include "builder.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/tensor.h"

void mb_init(mb *b) { memset(b, 0, sizeof *b); }

void mb_input(mb *b, const char *name, er_dtype dt, int rank, const int64_t *dims) {
    pbw vi = {0};
    onnx_value_info(&vi, name, (int)dt, rank, dims);
    pbw_msg(&b->inputs, 11, &vi);
    pbw_free(&vi);
}

void mb_output(mb *b, const char *name) {
    pbw vi = {0};
    pbw_str(&vi, 1, name);
    pbw_msg(&b->outputs, 12, &vi);
    pbw_free(&vi);
}

void mb_const(mb *b, const char *name, er_dtype dt, int rank, const int64_t *dims, const void *data) {
    pbw t = {0};
    onnx_tensor(&t, name, (int)dt, rank, dims, data,
                er_shape_count(rank, dims) * er_dtype_size(dt));
    pbw_msg(&b->inits, 5, &t);
    pbw_free(&t);
}

void mb_const_rand(mb *b, const char *name, int rank, const int64_t *dims, unsigned seed, float lo,
                   float hi) {
    size_t n = er_shape_count(rank, dims);
    float *v = malloc(sizeof(float) * (n ? n : 1));
    for (size_t i = 0; i < n; i++) v[i] = lo + (hi - lo) * (float)rand_r(&seed) / (float)RAND_MAX;
    mb_const(b, name, ER_F32, rank, dims, v);
    free(v);
}

void mb_node(mb *b, const char *op, const char *name, const char *const *in,
             const char *const *out, const pbw *attrs) {
    pbw n = {0};
    onnx_node(&n, op, name, in, out, attrs);
    pbw_msg(&b->nodes, 1, &n);
    pbw_free(&n);
}

er_model *mb_load(mb *b, int64_t opset) {
    pbw g = {0}, model = {0};
    pbw_raw(&g, b->nodes.d, b->nodes.n);
    pbw_str(&g, 2, "test");
    pbw_raw(&g, b->inits.d, b->inits.n);
    pbw_raw(&g, b->inputs.d, b->inputs.n);
    pbw_raw(&g, b->outputs.d, b->outputs.n);
    onnx_model(&model, &g, opset);
    er_model *m = NULL;
    if (er_model_load_memory(model.d, model.n, NULL, &m) != ER_OK)
        printf("  mb_load: %s\n", er_last_error());
    pbw_free(&g);
    pbw_free(&model);
    pbw_free(&b->nodes);
    pbw_free(&b->inits);
    pbw_free(&b->inputs);
    pbw_free(&b->outputs);
    return m;
}

double mb_compare_optimized(const er_model *m, unsigned seed) {
    enum { MAXIO = 8 };
    er_session *s[2] = {NULL, NULL};
    er_tensor *in[MAXIO] = {0}, *out[2][MAXIO];
    double worst = -1;
    int n_in = er_model_input_count(m), n_out = er_model_output_count(m);
    if (n_in > MAXIO || n_out > MAXIO) return -1;
    for (int k = 0; k < 2; k++) {
        er_options o;
        er_options_init(&o);
        o.optimize = k == 0;
        if (er_session_create(m, &o, &s[k]) != ER_OK) {
            printf("  session (optimize=%d): %s\n", k == 0, er_last_error());
            goto done;
        }
    }
    for (int i = 0; i < n_in; i++) {
        er_dtype dt;
        int rank;
        int64_t dims[ER_MAX_RANK];
        er_session_input_info(s[1], i, &dt, &rank, dims);
        if (er_tensor_create(dt, rank, dims, &in[i]) != ER_OK) goto done;
        for (size_t e = 0; e < er_tensor_count(in[i]); e++)
            er_store_f64(er_tensor_data(in[i]), dt, e, (double)rand_r(&seed) / RAND_MAX * 2 - 1);
    }
    for (int k = 0; k < 2; k++)
        if (er_session_run(s[k], (const er_tensor *const *)in, out[k]) != ER_OK) {
            printf("  run (optimize=%d): %s\n", k == 0, er_last_error());
            goto done;
        }
    worst = 0;
    for (int j = 0; j < n_out; j++) {
        const er_tensor *a = out[0][j], *r = out[1][j];
        if (er_tensor_dtype(a) != er_tensor_dtype(r) || er_tensor_count(a) != er_tensor_count(r) ||
            er_tensor_rank(a) != er_tensor_rank(r)) {
            printf("  output %d: dtype/shape differ\n", j);
            worst = -1;
            goto done;
        }
        for (int d = 0; d < er_tensor_rank(a); d++)
            if (er_tensor_dim(a, d) != er_tensor_dim(r, d)) {
                printf("  output %d: dim %d differs\n", j, d);
                worst = -1;
                goto done;
            }
        double mx = 1;
        for (size_t e = 0; e < er_tensor_count(r); e++)
            mx = fmax(mx, fabs(er_load_f64(er_tensor_data_const(r), er_tensor_dtype(r), e)));
        for (size_t e = 0; e < er_tensor_count(r); e++) {
            double d = fabs(er_load_f64(er_tensor_data_const(a), er_tensor_dtype(a), e) -
                            er_load_f64(er_tensor_data_const(r), er_tensor_dtype(r), e)) / mx;
            if (d > worst || d != d) worst = d != d ? 1e30 : d;
        }
    }
done:
    for (int i = 0; i < MAXIO; i++) er_tensor_free(in[i]);
    er_session_free(s[0]);
    er_session_free(s[1]);
    return worst;
}
