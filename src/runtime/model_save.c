/* model_save.c - er_model_save: a loaded model written as .erm, edgerun's
 * native format (see src/import/erm/erm_format.h). */
#include "core/status.h"
#include "import/erm/erm_format.h"
#include "model.h"

er_status er_model_save(const er_model *m, const char *path) {
    if (!m) return er_fail(ER_ERR_INVALID_ARG, "er_model_save: model is NULL");
    if (!path) return er_fail(ER_ERR_INVALID_ARG, "er_model_save: path is NULL");
    er_error_clear();
    return er_erm_write_file(m->graph, path);
}
