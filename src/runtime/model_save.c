/* model_save.c - er_model_save: a loaded model written as .erm, edgerun's
 * native format (see src/import/erm/erm_format.h), or as ONNX when the path
 * ends in ".onnx" (src/import/onnx/onnx_export.c). */
#include <string.h>

#include "core/status.h"
#include "import/erm/erm_format.h"
#include "import/onnx/onnx_export.h"
#include "model.h"

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
