/* model_save.c - er_model_save: a loaded model written as .erm, edgerun's
 * native format (see src/import/erm/erm_format.h), or as ONNX when the path
 * ends in ".onnx" (src/import/onnx/onnx_export.c). */
#include <string.h>

#include "core/alloc.h"
#include "core/status.h"
#include "cpu/conv/conv.h"
#include "cpu/qconv/qconv.h"
#include "import/erm/erm_format.h"
#include "import/onnx/onnx_export.h"
#include "model.h"
#include "session.h"

static int ends_with(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

er_status er_model_save(const er_model *m, const char *path) {
    if (!m) return er_fail(ER_ERR_INVALID_ARG, "er_model_save: model is NULL");
    if (!path) return er_fail(ER_ERR_INVALID_ARG, "er_model_save: path is NULL");
    er_error_clear();
    if (ends_with(path, ".onnx")) return er_onnx_export_file(m->graph, path);
    return er_erm_write_file(m->graph, path);
}

/* The packed weights of a session's ConvNhwc and QConvNhwc steps whose
 * weight is one of the model's own constants, used by exactly one such step
 * (a weight shared by two convolutions may be packed with two different
 * biases). */
static er_status collect_packed(const er_session *s, er_packed_blob **out, int *n_out) {
    const er_graph *mg = s->model->graph;
    *out = NULL;
    *n_out = 0;
    er_packed_blob *b = er_calloc((size_t)(s->n_steps ? s->n_steps : 1), sizeof *b);
    if (!b) return er_fail(ER_ERR_NOMEM, "out of memory collecting packed weights");
    int n = 0;
    for (int i = 0; i < s->n_steps; i++) {
        const er_node *node = &s->g->nodes[s->steps[i].node];
        int q = strcmp(node->op_type, "QConvNhwc") == 0, wi = q ? 3 : 1;
        if ((!q && strcmp(node->op_type, "ConvNhwc") != 0) || !s->steps[i].ctx.state ||
            node->n_in <= wi)
            continue;
        int v = node->in[wi];
        if (v < 0 || v >= mg->n_values || !mg->values[v].data ||
            s->g->values[v].data != mg->values[v].data)
            continue; /* not the model's constant as stored (a pass made it) */
        const void *data;
        size_t bytes;
        const char *layout;
        if (q) {
            const er_qconv_plan *p = s->steps[i].ctx.state;
            if (er_qconv_plan_packed(p, &data, &bytes) != ER_OK) continue;
            layout = er_qconv_plan_layout(p);
        } else {
            const er_conv_plan *p = s->steps[i].ctx.state;
            if (er_conv_plan_packed(p, &data, &bytes) != ER_OK) continue;
            layout = er_conv_plan_layout(p);
        }
        int uses = 0;
        for (int k = 0; k < s->n_steps; k++) {
            const er_node *o = &s->g->nodes[s->steps[k].node];
            for (int j = 0; j < o->n_in; j++) uses += o->in[j] == v;
        }
        if (uses != 1) continue; /* shared weight: packed with two biases? keep none */
        b[n++] = (er_packed_blob){v, layout, data, bytes};
    }
    /* by value, so a reader finds one value's blobs side by side */
    for (int i = 1; i < n; i++)
        for (int k = i; k > 0 && b[k - 1].value > b[k].value; k--) {
            er_packed_blob t = b[k];
            b[k] = b[k - 1];
            b[k - 1] = t;
        }
    *out = b;
    *n_out = n;
    return ER_OK;
}

er_status er_model_save_prepacked(const er_model *m, const er_options *opts, const char *path) {
    if (!m) return er_fail(ER_ERR_INVALID_ARG, "er_model_save_prepacked: model is NULL");
    if (!path) return er_fail(ER_ERR_INVALID_ARG, "er_model_save_prepacked: path is NULL");
    if (ends_with(path, ".onnx"))
        return er_fail(ER_ERR_INVALID_ARG, "%s: pre-packed weights need the .erm format", path);
    er_error_clear();
    er_session *s;
    ER_TRY(er_session_create(m, opts, &s));
    er_packed_blob *b = NULL;
    int n = 0;
    er_status st = collect_packed(s, &b, &n);
    if (st == ER_OK) st = er_erm_write_file_packed(m->graph, b, n, path);
    er_free(b);
    er_session_free(s);
    return st;
}
