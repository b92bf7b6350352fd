/* model.c - model loading: format detection and the public model accessors. */
#include "model.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/mapfile.h"
#include "core/status.h"
#include "import/erm/erm_format.h"
#include "import/onnx/onnx_import.h"
#include "import/tflite/tflite_import.h"

static er_status load_mapping(er_mapping *map, const char *path, const char *base_dir,
                              er_model **out) {
    er_graph *g = NULL;
    er_status st;
    if (er_erm_sniff(map->data, map->size)) {
        st = er_erm_import(map, er_erm_env_flags(), &g); /* takes the mapping */
    } else if (er_tflite_sniff(map->data, map->size)) { /* "TFL3" at bytes 4..7 */
        st = er_tflite_import(map, &g);            /* takes the mapping */
    } else if (er_onnx_sniff(map->data, map->size)) {
        st = er_onnx_import(map, base_dir, &g); /* takes the mapping */
    } else {
        er_mapping_free(map);
        st = er_fail(ER_ERR_INVALID_MODEL, "unrecognised model format (expected ONNX or .erm, "
                     "or a TFLite flatbuffer)");
    }
    if (st != ER_OK) {
        if (st != ER_ERR_NOMEM) er_error_prefix("%s: ", path);
        return st;
    }
    er_model *m = er_calloc(1, sizeof *m);
    char *p = er_strdup(path);
    if (!m || !p) {
        er_free(m);
        er_free(p);
        er_graph_free(g);
        return er_fail(ER_ERR_NOMEM, "%s: out of memory", path);
    }
    m->graph = g;
    m->path = p;
    *out = m;
    return ER_OK;
}

er_status er_model_load(const char *path, er_model **out) {
    if (!out) return er_fail(ER_ERR_INVALID_ARG, "er_model_load: out is NULL");
    *out = NULL;
    if (!path) return er_fail(ER_ERR_INVALID_ARG, "er_model_load: path is NULL");
    er_error_clear();
    er_mapping *map;
    ER_TRY(er_map_file(path, &map));
    /* external data resolves relative to the model's folder */
    char *dir = er_strdup(path);
    if (!dir) {
        er_mapping_free(map);
        return er_fail(ER_ERR_NOMEM, "out of memory");
    }
    char *slash = strrchr(dir, '/');
    if (slash) {
        if (slash == dir) slash[1] = '\0';
        else *slash = '\0';
    } else {
        strcpy(dir, ".");
    }
    er_status st = load_mapping(map, path, dir, out);
    er_free(dir);
    return st;
}

er_status er_model_load_memory(const void *data, size_t size, const char *base_dir,
                               er_model **out) {
    if (!out) return er_fail(ER_ERR_INVALID_ARG, "er_model_load_memory: out is NULL");
    *out = NULL;
    if (!data && size) return er_fail(ER_ERR_INVALID_ARG, "er_model_load_memory: data is NULL");
    er_error_clear();
    er_mapping *map;
    ER_TRY(er_map_copy(data, size, &map));
    return load_mapping(map, "<memory>", base_dir, out);
}

void er_model_free(er_model *m) {
    if (!m) return;
    er_graph_free(m->graph);
    er_free(m->path);
    er_free(m);
}

int er_model_input_count(const er_model *m) { return m ? m->graph->n_inputs : 0; }
int er_model_output_count(const er_model *m) { return m ? m->graph->n_outputs : 0; }

const char *er_model_input_name(const er_model *m, int i) {
    if (!m || i < 0 || i >= m->graph->n_inputs) return NULL;
    return m->graph->values[m->graph->inputs[i]].name;
}

const char *er_model_output_name(const er_model *m, int i) {
    if (!m || i < 0 || i >= m->graph->n_outputs) return NULL;
    return m->graph->values[m->graph->outputs[i]].name;
}

static er_status value_info(const er_model *m, int id, er_dtype *dtype, int *rank,
                            int64_t *dims) {
    const er_value *v = &m->graph->values[id];
    if (dtype) *dtype = v->dtype;
    if (rank) *rank = v->rank;
    if (dims)
        for (int k = 0; k < v->rank && k < ER_MAX_RANK; k++) dims[k] = v->dims[k];
    return ER_OK;
}

er_status er_model_input_info(const er_model *m, int i, er_dtype *dtype, int *rank,
                              int64_t *dims) {
    if (!m || i < 0 || i >= m->graph->n_inputs)
        return er_fail(ER_ERR_INVALID_ARG, "er_model_input_info: no input %d", i);
    return value_info(m, m->graph->inputs[i], dtype, rank, dims);
}

er_status er_model_output_info(const er_model *m, int i, er_dtype *dtype, int *rank,
                               int64_t *dims) {
    if (!m || i < 0 || i >= m->graph->n_outputs)
        return er_fail(ER_ERR_INVALID_ARG, "er_model_output_info: no output %d", i);
    return value_info(m, m->graph->outputs[i], dtype, rank, dims);
}
