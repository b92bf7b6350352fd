/* onnx_import.c - ONNX ModelProto -> graph IR.
 *
 * Walks the protobuf with pb_reader (bounds-checked, no allocation) and
 * builds er_graph values and nodes. Weights stay views into the mapped file
 * when they are naturally aligned; otherwise (raw_data at an odd offset, or
 * typed float_data/int64_data fields) they are converted into buffers the
 * graph owns. Every error names the message path and file offset, e.g.
 * "graph.node[12].attribute[3]: truncated varint at offset 48213".
 *
 * Field numbers follow onnx.proto (ONNX 1.12+). Unknown fields are skipped. */
#include "onnx_import.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/checked_math.h"
#include "core/status.h"
#include "ops/op.h"
#include "pb_reader.h"

/* ModelProto */
enum { MODEL_IR_VERSION = 1, MODEL_GRAPH = 7, MODEL_OPSET_IMPORT = 8 };
/* OperatorSetIdProto */
enum { OPSET_DOMAIN = 1, OPSET_VERSION = 2 };
/* GraphProto */
enum {
    GRAPH_NODE = 1, GRAPH_NAME = 2, GRAPH_INITIALIZER = 5, GRAPH_INPUT = 11, GRAPH_OUTPUT = 12,
    GRAPH_VALUE_INFO = 13, GRAPH_SPARSE_INITIALIZER = 15
};
/* NodeProto */
enum { NODE_INPUT = 1, NODE_OUTPUT = 2, NODE_NAME = 3, NODE_OP_TYPE = 4, NODE_ATTRIBUTE = 5,
       NODE_DOMAIN = 7 };
/* AttributeProto */
enum {
    ATTR_NAME = 1, ATTR_F = 2, ATTR_I = 3, ATTR_S = 4, ATTR_T = 5, ATTR_G = 6, ATTR_FLOATS = 7,
    ATTR_INTS = 8, ATTR_STRINGS = 9, ATTR_TENSORS = 10, ATTR_GRAPHS = 11, ATTR_TP = 14,
    ATTR_TYPE_PROTOS = 15, ATTR_TYPE = 20, ATTR_SPARSE_TENSOR = 22, ATTR_SPARSE_TENSORS = 23
};
/* TensorProto */
enum {
    TENSOR_DIMS = 1, TENSOR_DATA_TYPE = 2, TENSOR_SEGMENT = 3, TENSOR_FLOAT_DATA = 4,
    TENSOR_INT32_DATA = 5, TENSOR_STRING_DATA = 6, TENSOR_INT64_DATA = 7, TENSOR_NAME = 8,
    TENSOR_RAW_DATA = 9, TENSOR_DOUBLE_DATA = 10, TENSOR_UINT64_DATA = 11,
    TENSOR_EXTERNAL_DATA = 13, TENSOR_DATA_LOCATION = 14
};
/* ValueInfoProto / TypeProto / TensorShapeProto */
enum { VI_NAME = 1, VI_TYPE = 2 };
enum { TYPE_TENSOR = 1, TYPE_SEQUENCE = 4, TYPE_MAP = 5, TYPE_SPARSE = 8, TYPE_OPTIONAL = 9 };
enum { TT_ELEM_TYPE = 1, TT_SHAPE = 2 };
enum { SHAPE_DIM = 1 };
enum { DIM_VALUE = 1, DIM_PARAM = 2 };

#define MAX_OPSETS 32
#define MAX_EXT_FILES 64

typedef struct imp {
    er_graph *g;
    const er_mapping *file;
    const char *base_dir;
    char path[512];
    size_t plen;
    int n_opsets;
    const char *opset_domain[MAX_OPSETS];
    int64_t opset_version[MAX_OPSETS];
    int n_ext;
    const char *ext_name[MAX_EXT_FILES];
    er_mapping *ext_map[MAX_EXT_FILES];
} imp;

/* ---- message path ------------------------------------------------------- */

static size_t path_push(imp *im, const char *fmt, ...) ER_PRINTF(2, 3);
static size_t path_push(imp *im, const char *fmt, ...) {
    size_t save = im->plen;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(im->path + im->plen, sizeof im->path - im->plen, fmt, ap);
    va_end(ap);
    if (n > 0) {
        im->plen += (size_t)n;
        if (im->plen >= sizeof im->path) im->plen = sizeof im->path - 1;
    }
    return save;
}

static void path_pop(imp *im, size_t save) {
    im->plen = save;
    im->path[save] = '\0';
}

/* Prefixes the current path to a message set by a lower layer. */
static er_status wrap(imp *im, er_status st) {
    if (st != ER_OK && st != ER_ERR_NOMEM) er_error_prefix("%s: ", im->path);
    return st;
}

static er_status fail(imp *im, er_status st, const char *fmt, ...) ER_PRINTF(3, 4);
static er_status fail(imp *im, er_status st, const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return er_fail(st, "%s: %s", im->path, msg);
}

#define PB(expr)                                                                               \
    do {                                                                                       \
        er_status pb_st_ = (expr);                                                             \
        if (pb_st_ != ER_OK) return wrap(im, pb_st_);                                          \
    } while (0)

static er_status nomem(void) { return er_fail(ER_ERR_NOMEM, "out of memory importing the model"); }

static size_t file_off(const imp *im, const uint8_t *p) {
    return (size_t)(p - im->file->data);
}

static char *pool_str(imp *im, const er_pb_field *f) {
    return er_pool_strndup(im->g->pool, (const char *)f->data, f->len);
}

static er_status expect_wire(imp *im, const er_pb_field *f, int wire, const char *what) {
    if (f->wire != wire)
        return fail(im, ER_ERR_INVALID_MODEL, "%s (field %u) has wire type %d at offset %zu, "
                    "expected %d", what, f->num, f->wire, f->offset, wire);
    return ER_OK;
}

/* ---- tensors ------------------------------------------------------------ */

/* Refuses locations that leave the model's folder. */
static int location_is_safe(const char *loc) {
    if (!loc[0] || loc[0] == '/' || strchr(loc, '\\') || strchr(loc, ':')) return 0;
    const char *p = loc;
    while (*p) {
        const char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n == 2 && p[0] == '.' && p[1] == '.') return 0;
        if (!e) break;
        p = e + 1;
    }
    return 1;
}

static er_status external_file(imp *im, const char *loc, er_mapping **out) {
    for (int i = 0; i < im->n_ext; i++)
        if (strcmp(im->ext_name[i], loc) == 0) {
            *out = im->ext_map[i];
            return ER_OK;
        }
    if (!im->base_dir)
        return fail(im, ER_ERR_INVALID_MODEL,
                    "external data '%s' cannot be resolved for a model loaded from memory", loc);
    if (!location_is_safe(loc))
        return fail(im, ER_ERR_INVALID_MODEL, "external data location '%s' is refused: it must "
                    "be a relative path inside the model's folder (no '..', no absolute path)",
                    loc);
    if (im->n_ext == MAX_EXT_FILES)
        return fail(im, ER_ERR_UNSUPPORTED, "more than %d external data files", MAX_EXT_FILES);
    size_t n = strlen(im->base_dir) + strlen(loc) + 2;
    char *full = er_malloc(n);
    if (!full) return nomem();
    snprintf(full, n, "%s/%s", im->base_dir, loc);
    /* A symlink must not lead outside the folder either. */
    char *real_base = realpath(im->base_dir, NULL), *real_full = realpath(full, NULL);
    int inside = 0;
    if (real_base && real_full) {
        size_t bl = strlen(real_base);
        inside = strncmp(real_full, real_base, bl) == 0 &&
                 (real_full[bl] == '/' || (bl == 1 && real_base[0] == '/'));
    }
    free(real_base);
    free(real_full);
    if (!inside) {
        er_status st = fail(im, ER_ERR_IO, "external data file '%s' does not exist or lies "
                            "outside the model's folder", full);
        er_free(full);
        return st;
    }
    er_mapping *m;
    er_status st = er_map_file(full, &m);
    er_free(full);
    if (st != ER_OK) return wrap(im, st);
    if (im->g->n_mappings == im->g->cap_mappings) {
        int cap = im->g->cap_mappings ? im->g->cap_mappings * 2 : 8;
        er_mapping **a = er_realloc(im->g->mappings, sizeof(*a) * (size_t)cap);
        if (!a) {
            er_mapping_free(m);
            return nomem();
        }
        im->g->mappings = a;
        im->g->cap_mappings = cap;
    }
    im->g->mappings[im->g->n_mappings++] = m;
    im->ext_name[im->n_ext] = er_pool_strdup(im->g->pool, loc);
    if (!im->ext_name[im->n_ext]) return nomem();
    im->ext_map[im->n_ext++] = m;
    *out = m;
    return ER_OK;
}

/* Makes `bytes` at src usable as tensor data: a view when aligned to the
 * element size, otherwise an aligned copy owned by the graph. */
static er_status place_data(imp *im, const uint8_t *src, size_t bytes, size_t align,
                            const void **out) {
    static const uint64_t empty[1];
    if (bytes == 0) {
        *out = empty;
        return ER_OK;
    }
    if (((uintptr_t)src % align) == 0) {
        *out = src;
        return ER_OK;
    }
    void *buf = er_aligned_alloc(bytes);
    if (!buf) return nomem();
    memcpy(buf, src, bytes);
    ER_TRY(er_graph_own(im->g, buf));
    /* the file's copy of these bytes is not needed any more: keep it out of
     * the resident set (weights would otherwise count twice) */
    er_mapping_release(im->file, src, bytes);
    *out = buf;
    return ER_OK;
}

typedef struct tensor_fields {
    const er_pb_field *raw;
    int n_dims;
    int64_t dims[ER_MAX_RANK];
    int64_t data_type;
    const char *name;
    int external;
    const char *ext_location;
    int64_t ext_offset, ext_length;
    size_t typed_count; /* elements found in typed fields */
    int typed_field;    /* which typed field holds data (0 = none) */
} tensor_fields;

static er_status read_external_entry(imp *im, const er_pb *r, const er_pb_field *f,
                                     tensor_fields *tf) {
    er_pb s = er_pb_sub(r, f);
    const char *key = NULL, *value = NULL;
    while (!er_pb_done(&s)) {
        er_pb_field e;
        PB(er_pb_next(&s, &e));
        if ((e.num == 1 || e.num == 2) && e.wire == ER_PB_LEN) {
            char *str = pool_str(im, &e);
            if (!str) return nomem();
            if (e.num == 1) key = str;
            else value = str;
        }
    }
    if (!key || !value) return ER_OK;
    if (strcmp(key, "location") == 0) {
        tf->ext_location = value;
    } else if (strcmp(key, "offset") == 0 || strcmp(key, "length") == 0) {
        char *end;
        long long v = strtoll(value, &end, 10);
        if (*value == '\0' || *end != '\0' || v < 0)
            return fail(im, ER_ERR_INVALID_MODEL, "external data %s '%s' is not a non-negative "
                        "integer", key, value);
        if (key[0] == 'o') tf->ext_offset = v;
        else tf->ext_length = v;
    }
    return ER_OK;
}

/* Reads a TensorProto into t (a view). */
static er_status read_tensor(imp *im, const er_pb *parent, const er_pb_field *tf_field,
                             er_tensor *t, const char **name_out) {
    er_pb r = er_pb_sub(parent, tf_field);
    tensor_fields tf;
    memset(&tf, 0, sizeof tf);
    tf.ext_length = -1;
    er_pb_field typed = {0};
    /* pass 1: scalars, dims, find data */
    while (!er_pb_done(&r)) {
        er_pb_field f;
        PB(er_pb_next(&r, &f));
        switch (f.num) {
        case TENSOR_DIMS: {
            size_t n;
            PB(er_pb_packed_count(&r, &f, ER_PB_VARINT, &n));
            if ((size_t)tf.n_dims + n > ER_MAX_RANK)
                return fail(im, ER_ERR_UNSUPPORTED, "tensor has more than %d dims (offset %zu)",
                            ER_MAX_RANK, f.offset);
            uint64_t v[ER_MAX_RANK];
            PB(er_pb_packed_read(&r, &f, ER_PB_VARINT, v, n));
            for (size_t i = 0; i < n; i++) tf.dims[tf.n_dims++] = (int64_t)v[i];
            break;
        }
        case TENSOR_DATA_TYPE:
            ER_TRY(expect_wire(im, &f, ER_PB_VARINT, "data_type"));
            tf.data_type = (int64_t)f.u;
            break;
        case TENSOR_NAME:
            ER_TRY(expect_wire(im, &f, ER_PB_LEN, "name"));
            if (!(tf.name = pool_str(im, &f))) return nomem();
            break;
        case TENSOR_RAW_DATA:
            ER_TRY(expect_wire(im, &f, ER_PB_LEN, "raw_data"));
            typed = f;
            tf.raw = &typed;
            tf.typed_field = 0;
            break;
        case TENSOR_SEGMENT:
            return fail(im, ER_ERR_UNSUPPORTED, "segmented tensors are not supported (offset %zu)",
                        f.offset);
        case TENSOR_STRING_DATA:
            tf.typed_field = TENSOR_STRING_DATA;
            break;
        case TENSOR_FLOAT_DATA:
        case TENSOR_INT32_DATA:
        case TENSOR_INT64_DATA:
        case TENSOR_DOUBLE_DATA:
        case TENSOR_UINT64_DATA: {
            int ew = f.num == TENSOR_FLOAT_DATA ? ER_PB_I32
                   : f.num == TENSOR_DOUBLE_DATA ? ER_PB_I64 : ER_PB_VARINT;
            size_t n;
            PB(er_pb_packed_count(&r, &f, ew, &n));
            if (tf.typed_field && tf.typed_field != (int)f.num)
                return fail(im, ER_ERR_INVALID_MODEL, "tensor has data in two typed fields");
            tf.typed_field = (int)f.num;
            tf.typed_count += n;
            break;
        }
        case TENSOR_EXTERNAL_DATA:
            ER_TRY(expect_wire(im, &f, ER_PB_LEN, "external_data"));
            ER_TRY(read_external_entry(im, &r, &f, &tf));
            break;
        case TENSOR_DATA_LOCATION:
            tf.external = f.u == 1;
            break;
        default:
            break;
        }
    }
    if (name_out) *name_out = tf.name ? tf.name : "";
    er_dtype dt = (er_dtype)tf.data_type;
    if (tf.data_type == ER_STRING || tf.typed_field == TENSOR_STRING_DATA)
        return fail(im, ER_ERR_UNSUPPORTED, "tensor '%s': string tensors are not supported",
                    tf.name ? tf.name : "");
    if (tf.data_type <= 0 || tf.data_type > 16 || !er_dtype_supported(dt))
        return fail(im, ER_ERR_UNSUPPORTED, "tensor '%s': data_type %lld is not supported",
                    tf.name ? tf.name : "", (long long)tf.data_type);
    size_t count, bytes;
    if (!er_shape_count_checked(tf.n_dims, tf.dims, dt, &count, &bytes)) {
        char sb[ER_SHAPE_STR_MAX];
        return fail(im, ER_ERR_INVALID_MODEL, "tensor '%s': dims %s are negative or too large",
                    tf.name ? tf.name : "", er_shape_str(sb, sizeof sb, tf.n_dims, tf.dims));
    }
    er_tensor_set_shape(t, dt, tf.n_dims, tf.dims);
    t->capacity_bytes = bytes;
    size_t esize = er_dtype_size(dt);
    const void *data = NULL;

    if (tf.external) {
        if (!tf.ext_location)
            return fail(im, ER_ERR_INVALID_MODEL, "tensor '%s': external data without a location",
                        tf.name ? tf.name : "");
        er_mapping *m = NULL;
        ER_TRY(external_file(im, tf.ext_location, &m));
        size_t off = (size_t)tf.ext_offset;
        size_t len = tf.ext_length >= 0 ? (size_t)tf.ext_length : bytes;
        if (off > m->size || len > m->size - off)
            return fail(im, ER_ERR_INVALID_MODEL, "tensor '%s': external data range offset %zu "
                        "length %zu lies outside '%s' (%zu bytes)", tf.name ? tf.name : "", off,
                        len, tf.ext_location, m->size);
        if (len != bytes)
            return fail(im, ER_ERR_INVALID_MODEL, "tensor '%s': external data length %zu does not "
                        "match the %zu bytes of shape and dtype", tf.name ? tf.name : "", len,
                        bytes);
        ER_TRY(place_data(im, m->data + off, bytes, esize, &data));
    } else if (tf.raw) {
        if (tf.raw->len != bytes)
            return fail(im, ER_ERR_INVALID_MODEL, "tensor '%s': raw_data has %zu bytes at offset "
                        "%zu, shape and dtype need %zu", tf.name ? tf.name : "", tf.raw->len,
                        file_off(im, tf.raw->data), bytes);
        /* raw_data is little-endian, as is every target we build for. */
        ER_TRY(place_data(im, tf.raw->data, bytes, esize, &data));
    } else if (tf.typed_field) {
        if (tf.typed_count != count)
            return fail(im, ER_ERR_INVALID_MODEL, "tensor '%s': %zu values in typed field %d, "
                        "shape needs %zu", tf.name ? tf.name : "", tf.typed_count,
                        tf.typed_field, count);
        /* Which typed field may hold which dtype (onnx.proto comments). */
        int want;
        switch (dt) {
        case ER_F32: want = TENSOR_FLOAT_DATA; break;
        case ER_F64: want = TENSOR_DOUBLE_DATA; break;
        case ER_I64: want = TENSOR_INT64_DATA; break;
        case ER_U32: case ER_U64: want = TENSOR_UINT64_DATA; break;
        default: want = TENSOR_INT32_DATA; break;
        }
        if (tf.typed_field != want)
            return fail(im, ER_ERR_INVALID_MODEL, "tensor '%s': %s data stored in typed field %d, "
                        "expected field %d", tf.name ? tf.name : "", er_dtype_name(dt),
                        tf.typed_field, want);
        void *buf = er_aligned_alloc(bytes);
        uint64_t *tmp = er_malloc(sizeof(uint64_t) * (count ? count : 1));
        if (!buf || !tmp) {
            er_aligned_free(buf);
            er_free(tmp);
            return nomem();
        }
        er_status st = er_graph_own(im->g, buf);
        if (st != ER_OK) {
            er_free(tmp);
            return st;
        }
        int ew = want == TENSOR_FLOAT_DATA ? ER_PB_I32
               : want == TENSOR_DOUBLE_DATA ? ER_PB_I64 : ER_PB_VARINT;
        /* pass 2: gather the (possibly several) occurrences of the field */
        er_pb r2 = er_pb_sub(parent, tf_field);
        size_t at = 0;
        while (st == ER_OK && !er_pb_done(&r2)) {
            er_pb_field f;
            st = er_pb_next(&r2, &f);
            if (st != ER_OK || (int)f.num != want) continue;
            size_t n;
            st = er_pb_packed_count(&r2, &f, ew, &n);
            if (st == ER_OK && n > count - at) st = er_fail(ER_ERR_INTERNAL, "typed data grew");
            if (st == ER_OK) st = er_pb_packed_read(&r2, &f, ew, tmp + at, n);
            at += n;
        }
        if (st != ER_OK) {
            er_free(tmp);
            return wrap(im, st);
        }
        for (size_t i = 0; i < count; i++) {
            uint64_t w = tmp[i];
            switch (dt) {
            case ER_F32: { uint32_t b = (uint32_t)w; memcpy((float *)buf + i, &b, 4); break; }
            case ER_F64: memcpy((double *)buf + i, &w, 8); break;
            case ER_I64: ((int64_t *)buf)[i] = (int64_t)w; break;
            case ER_U64: ((uint64_t *)buf)[i] = w; break;
            case ER_U32: ((uint32_t *)buf)[i] = (uint32_t)w; break;
            case ER_I32: ((int32_t *)buf)[i] = (int32_t)(uint32_t)w; break;
            case ER_I16: ((int16_t *)buf)[i] = (int16_t)(uint16_t)w; break;
            case ER_U16: case ER_F16: case ER_BF16: ((uint16_t *)buf)[i] = (uint16_t)w; break;
            case ER_I8: ((int8_t *)buf)[i] = (int8_t)(uint8_t)w; break;
            case ER_U8: ((uint8_t *)buf)[i] = (uint8_t)w; break;
            case ER_BOOL: ((uint8_t *)buf)[i] = w != 0; break;
            default: break;
            }
        }
        er_free(tmp);
        data = buf;
    } else {
        if (count != 0)
            return fail(im, ER_ERR_INVALID_MODEL, "tensor '%s': no data for %zu elements",
                        tf.name ? tf.name : "", count);
        ER_TRY(place_data(im, NULL, 0, 1, &data));
    }
    t->data = (void *)data;
    t->flags = 0;
    return ER_OK;
}

/* ---- value infos -------------------------------------------------------- */

static er_status read_shape(imp *im, const er_pb *parent, const er_pb_field *sf, er_value *v) {
    er_pb r = er_pb_sub(parent, sf);
    int rank = 0;
    while (!er_pb_done(&r)) {
        er_pb_field f;
        PB(er_pb_next(&r, &f));
        if (f.num != SHAPE_DIM) continue;
        ER_TRY(expect_wire(im, &f, ER_PB_LEN, "dim"));
        if (rank == ER_MAX_RANK)
            return fail(im, ER_ERR_UNSUPPORTED, "'%s' has more than %d dims", v->name, ER_MAX_RANK);
        int64_t d = -1;
        const char *param = NULL;
        er_pb dr = er_pb_sub(&r, &f);
        while (!er_pb_done(&dr)) {
            er_pb_field df;
            PB(er_pb_next(&dr, &df));
            if (df.num == DIM_VALUE && df.wire == ER_PB_VARINT) {
                d = (int64_t)df.u;
                if (d < 0)
                    return fail(im, ER_ERR_INVALID_MODEL, "'%s' dim %d is negative (%lld) at "
                                "offset %zu", v->name, rank, (long long)d, df.offset);
            } else if (df.num == DIM_PARAM && df.wire == ER_PB_LEN) {
                if (!(param = pool_str(im, &df))) return nomem();
            }
        }
        v->dims[rank] = d;
        v->dim_param[rank] = param;
        rank++;
    }
    v->rank = rank;
    return ER_OK;
}

static er_status read_value_info(imp *im, const er_pb *parent, const er_pb_field *vf,
                                 int *id_out) {
    er_pb r = er_pb_sub(parent, vf);
    const char *name = NULL;
    er_pb_field type = {0};
    int has_type = 0;
    while (!er_pb_done(&r)) {
        er_pb_field f;
        PB(er_pb_next(&r, &f));
        if (f.num == VI_NAME && f.wire == ER_PB_LEN) {
            if (!(name = pool_str(im, &f))) return nomem();
        } else if (f.num == VI_TYPE && f.wire == ER_PB_LEN) {
            type = f;
            has_type = 1;
        }
    }
    if (!name || !name[0]) return fail(im, ER_ERR_INVALID_MODEL, "value has no name");
    int id;
    ER_TRY(er_graph_value(im->g, name, &id));
    *id_out = id;
    if (!has_type) return ER_OK;
    er_pb tr = er_pb_sub(&r, &type);
    while (!er_pb_done(&tr)) {
        er_pb_field f;
        PB(er_pb_next(&tr, &f));
        if (f.num == TYPE_SEQUENCE || f.num == TYPE_MAP || f.num == TYPE_OPTIONAL ||
            f.num == TYPE_SPARSE)
            return fail(im, ER_ERR_UNSUPPORTED, "'%s' is a %s; only dense tensors are supported",
                        name, f.num == TYPE_SEQUENCE ? "sequence" : f.num == TYPE_MAP ? "map"
                        : f.num == TYPE_OPTIONAL ? "optional" : "sparse tensor");
        if (f.num != TYPE_TENSOR || f.wire != ER_PB_LEN) continue;
        er_pb tt = er_pb_sub(&tr, &f);
        while (!er_pb_done(&tt)) {
            er_pb_field e;
            PB(er_pb_next(&tt, &e));
            er_value *v = &im->g->values[id];
            if (e.num == TT_ELEM_TYPE && e.wire == ER_PB_VARINT) {
                if (v->data) continue; /* the initializer's dtype wins */
                if (e.u == ER_STRING)
                    return fail(im, ER_ERR_UNSUPPORTED, "'%s' is a string tensor", name);
                if (e.u > 16 || !er_dtype_supported((er_dtype)e.u))
                    return fail(im, ER_ERR_UNSUPPORTED, "'%s' has unsupported elem_type %llu",
                                name, (unsigned long long)e.u);
                v->dtype = (er_dtype)e.u;
            } else if (e.num == TT_SHAPE && e.wire == ER_PB_LEN && !v->data) {
                ER_TRY(read_shape(im, &tt, &e, v));
            }
        }
    }
    return ER_OK;
}

/* ---- nodes and attributes ----------------------------------------------- */

static er_status read_attribute(imp *im, const er_pb *parent, const er_pb_field *af, er_attr *a) {
    er_pb r = er_pb_sub(parent, af);
    size_t n_floats = 0, n_ints = 0, n_strings = 0;
    int has_f = 0, has_i = 0, has_s = 0, has_t = 0, has_g = 0, has_other = 0;
    int64_t type = 0;
    /* pass 1: scalars and list sizes */
    while (!er_pb_done(&r)) {
        er_pb_field f;
        PB(er_pb_next(&r, &f));
        size_t n;
        switch (f.num) {
        case ATTR_NAME:
            ER_TRY(expect_wire(im, &f, ER_PB_LEN, "name"));
            if (!(a->name = pool_str(im, &f))) return nomem();
            break;
        case ATTR_TYPE: type = (int64_t)f.u; break;
        case ATTR_F:
            ER_TRY(expect_wire(im, &f, ER_PB_I32, "f"));
            {
                uint32_t b = (uint32_t)f.u;
                memcpy(&a->f, &b, 4);
            }
            has_f = 1;
            break;
        case ATTR_I:
            ER_TRY(expect_wire(im, &f, ER_PB_VARINT, "i"));
            a->i = (int64_t)f.u;
            has_i = 1;
            break;
        case ATTR_S:
            ER_TRY(expect_wire(im, &f, ER_PB_LEN, "s"));
            if (!(a->s = pool_str(im, &f))) return nomem();
            a->s_len = f.len;
            has_s = 1;
            break;
        case ATTR_T: {
            ER_TRY(expect_wire(im, &f, ER_PB_LEN, "t"));
            er_tensor *t = er_pool_alloc(im->g->pool, sizeof *t);
            if (!t) return nomem();
            size_t save = path_push(im, ".t");
            ER_TRY(read_tensor(im, &r, &f, t, NULL));
            path_pop(im, save);
            a->t = t;
            has_t = 1;
            break;
        }
        case ATTR_G: has_g = 1; break;
        case ATTR_FLOATS:
            PB(er_pb_packed_count(&r, &f, ER_PB_I32, &n));
            n_floats += n;
            break;
        case ATTR_INTS:
            PB(er_pb_packed_count(&r, &f, ER_PB_VARINT, &n));
            n_ints += n;
            break;
        case ATTR_STRINGS:
            ER_TRY(expect_wire(im, &f, ER_PB_LEN, "strings"));
            n_strings++;
            break;
        case ATTR_TENSORS: case ATTR_GRAPHS: case ATTR_TP: case ATTR_TYPE_PROTOS:
        case ATTR_SPARSE_TENSOR: case ATTR_SPARSE_TENSORS:
            has_other = (int)f.num;
            break;
        default: break;
        }
    }
    if (!a->name) return fail(im, ER_ERR_INVALID_MODEL, "attribute has no name");
    if (n_floats > INT_MAX || n_ints > INT_MAX || n_strings > INT_MAX)
        return fail(im, ER_ERR_INVALID_MODEL, "attribute '%s' list too long", a->name);
    if (type == 0) { /* IR < 0.0.2 did not store the type: infer it */
        type = has_f ? ER_ATTR_FLOAT : has_i ? ER_ATTR_INT : has_s ? ER_ATTR_STRING
             : has_t ? ER_ATTR_TENSOR : has_g ? ER_ATTR_GRAPH : n_floats ? ER_ATTR_FLOATS
             : n_ints ? ER_ATTR_INTS : n_strings ? ER_ATTR_STRINGS : has_other ? ER_ATTR_TENSORS
             : ER_ATTR_UNDEF;
    }
    if (type < 0 || type > ER_ATTR_TYPE_PROTOS)
        return fail(im, ER_ERR_INVALID_MODEL, "attribute '%s' has unknown type %lld", a->name,
                    (long long)type);
    a->type = (er_attr_type)type;
    if (a->type == ER_ATTR_TENSOR && !a->t)
        return fail(im, ER_ERR_INVALID_MODEL, "attribute '%s' of type TENSOR has no tensor",
                    a->name);
    if (a->type == ER_ATTR_STRING && !a->s) {
        a->s = "";
        a->s_len = 0;
    }
    if (a->type == ER_ATTR_FLOATS) a->n = (int)n_floats;
    if (a->type == ER_ATTR_INTS) a->n = (int)n_ints;
    if (a->type == ER_ATTR_STRINGS) a->n = (int)n_strings;
    float *floats = NULL;
    int64_t *ints = NULL;
    const char **strings = NULL;
    if (a->type == ER_ATTR_FLOATS && !(floats = er_pool_array(im->g->pool, n_floats, 4)))
        return nomem();
    if (a->type == ER_ATTR_INTS && !(ints = er_pool_array(im->g->pool, n_ints, 8)))
        return nomem();
    if (a->type == ER_ATTR_STRINGS &&
        !(strings = er_pool_array(im->g->pool, n_strings, sizeof(char *))))
        return nomem();
    a->floats = floats;
    a->ints = ints;
    a->strings = strings;
    if (!floats && !ints && !strings) return ER_OK;
    /* pass 2: list values */
    er_pb r2 = er_pb_sub(parent, af);
    size_t fi = 0, ii = 0, si = 0;
    uint64_t tmp[64];
    while (!er_pb_done(&r2)) {
        er_pb_field f;
        PB(er_pb_next(&r2, &f));
        if ((f.num == ATTR_FLOATS && floats) || (f.num == ATTR_INTS && ints)) {
            int ew = f.num == ATTR_FLOATS ? ER_PB_I32 : ER_PB_VARINT;
            size_t n;
            PB(er_pb_packed_count(&r2, &f, ew, &n));
            /* decode in chunks through a small buffer */
            er_pb_field chunk = f;
            if (f.wire != ER_PB_LEN) {
                PB(er_pb_packed_read(&r2, &f, ew, tmp, 1));
                if (ew == ER_PB_I32) {
                    uint32_t b = (uint32_t)tmp[0];
                    memcpy(&floats[fi++], &b, 4);
                } else {
                    ints[ii++] = (int64_t)tmp[0];
                }
                continue;
            }
            er_pb s = er_pb_sub(&r2, &chunk);
            for (size_t k = 0; k < n; k++) {
                if (ew == ER_PB_I32) {
                    /* packed fixed32: 4 bytes each, count already validated */
                    uint32_t b = (uint32_t)s.p[0] | (uint32_t)s.p[1] << 8 |
                                 (uint32_t)s.p[2] << 16 | (uint32_t)s.p[3] << 24;
                    s.p += 4;
                    memcpy(&floats[fi++], &b, 4);
                } else {
                    uint64_t v;
                    PB(er_pb_varint(&s, &v));
                    ints[ii++] = (int64_t)v;
                }
            }
        } else if (f.num == ATTR_STRINGS && strings) {
            if (!(strings[si++] = pool_str(im, &f))) return nomem();
        }
    }
    return ER_OK;
}

static er_status read_node(imp *im, const er_pb *parent, const er_pb_field *nf) {
    er_pb r = er_pb_sub(parent, nf);
    int n_in = 0, n_out = 0, n_attr = 0;
    while (!er_pb_done(&r)) {
        er_pb_field f;
        PB(er_pb_next(&r, &f));
        if (f.num == NODE_INPUT) n_in++;
        else if (f.num == NODE_OUTPUT) n_out++;
        else if (f.num == NODE_ATTRIBUTE) n_attr++;
        if (n_in > 65536 || n_out > 65536 || n_attr > 65536)
            return fail(im, ER_ERR_INVALID_MODEL, "node has too many inputs/outputs/attributes");
    }
    er_node *n;
    ER_TRY(er_graph_add_node(im->g, n_in, n_out, n_attr, &n));
    int node_index = im->g->n_nodes - 1;
    int ii = 0, oi = 0, ai = 0;
    er_pb r2 = er_pb_sub(parent, nf);
    while (!er_pb_done(&r2)) {
        er_pb_field f;
        PB(er_pb_next(&r2, &f));
        n = &im->g->nodes[node_index]; /* er_graph_value never moves nodes, but be safe */
        switch (f.num) {
        case NODE_INPUT:
        case NODE_OUTPUT: {
            ER_TRY(expect_wire(im, &f, ER_PB_LEN, f.num == NODE_INPUT ? "input" : "output"));
            int id = -1;
            if (f.len) {
                char *name = pool_str(im, &f);
                if (!name) return nomem();
                ER_TRY(er_graph_value(im->g, name, &id));
            }
            if (f.num == NODE_INPUT) n->in[ii++] = id;
            else n->out[oi++] = id;
            break;
        }
        case NODE_NAME:
            ER_TRY(expect_wire(im, &f, ER_PB_LEN, "name"));
            if (!(n->name = pool_str(im, &f))) return nomem();
            break;
        case NODE_OP_TYPE:
            ER_TRY(expect_wire(im, &f, ER_PB_LEN, "op_type"));
            if (!(n->op_type = pool_str(im, &f))) return nomem();
            break;
        case NODE_DOMAIN:
            ER_TRY(expect_wire(im, &f, ER_PB_LEN, "domain"));
            if (!(n->domain = pool_str(im, &f))) return nomem();
            break;
        case NODE_ATTRIBUTE: {
            ER_TRY(expect_wire(im, &f, ER_PB_LEN, "attribute"));
            size_t save = path_push(im, ".attribute[%d]", ai);
            ER_TRY(read_attribute(im, &r2, &f, &n->attr[ai]));
            path_pop(im, save);
            ai++;
            break;
        }
        default: break;
        }
    }
    if (!n->op_type[0]) return fail(im, ER_ERR_INVALID_MODEL, "node '%s' has no op_type", n->name);
    if (!n->name[0]) { /* give anonymous nodes a stable name for messages */
        char buf[64];
        snprintf(buf, sizeof buf, "%s_%d", n->op_type, node_index);
        if (!(n->name = er_pool_strdup(im->g->pool, buf))) return nomem();
    }
    for (int k = 0; k < n->n_out; k++)
        if (n->out[k] >= 0)
            for (int j = 0; j < k; j++)
                if (n->out[j] == n->out[k])
                    return fail(im, ER_ERR_INVALID_MODEL, "node '%s' lists output '%s' twice",
                                n->name, im->g->values[n->out[k]].name);
    for (int k = 0; k < n->n_attr; k++)
        for (int j = 0; j < k; j++)
            if (strcmp(n->attr[j].name, n->attr[k].name) == 0)
                return fail(im, ER_ERR_INVALID_MODEL, "node '%s' has attribute '%s' twice",
                            n->name, n->attr[k].name);
    n->op = er_op_find(n->op_type, n->domain);
    return ER_OK;
}

/* ---- graph and model ---------------------------------------------------- */

static er_status add_to_list(er_graph *g, int **list, int *n, int id) {
    for (int i = 0; i < *n; i++)
        if ((*list)[i] == id) return ER_OK;
    int *a = er_pool_array(g->pool, (size_t)*n + 1, sizeof(int));
    if (!a) return nomem();
    if (*n) memcpy(a, *list, sizeof(int) * (size_t)*n);
    a[(*n)++] = id;
    *list = a;
    return ER_OK;
}

static er_status read_graph(imp *im, const er_pb *parent, const er_pb_field *gf) {
    er_graph *g = im->g;
    /* initializers first, so inputs that are initializers can be recognised */
    er_pb r = er_pb_sub(parent, gf);
    int idx = 0;
    while (!er_pb_done(&r)) {
        er_pb_field f;
        PB(er_pb_next(&r, &f));
        if (f.num == GRAPH_SPARSE_INITIALIZER)
            return fail(im, ER_ERR_UNSUPPORTED, "sparse_initializer is not supported (offset %zu)",
                        f.offset);
        if (f.num != GRAPH_INITIALIZER) continue;
        ER_TRY(expect_wire(im, &f, ER_PB_LEN, "initializer"));
        size_t save = path_push(im, ".initializer[%d]", idx);
        er_tensor t;
        memset(&t, 0, sizeof t);
        const char *name;
        ER_TRY(read_tensor(im, &r, &f, &t, &name));
        if (!name[0]) return fail(im, ER_ERR_INVALID_MODEL, "initializer has no name");
        int id;
        ER_TRY(er_graph_value(g, name, &id));
        er_value *v = &g->values[id];
        if (v->data)
            return fail(im, ER_ERR_INVALID_MODEL, "initializer '%s' is defined twice", name);
        v->dtype = t.dtype;
        v->rank = t.rank;
        for (int i = 0; i < t.rank; i++) v->dims[i] = t.dims[i];
        v->data = t.data;
        v->data_bytes = t.capacity_bytes;
        path_pop(im, save);
        idx++;
    }
    int ni = 0, no = 0, nn = 0;
    er_pb r2 = er_pb_sub(parent, gf);
    while (!er_pb_done(&r2)) {
        er_pb_field f;
        PB(er_pb_next(&r2, &f));
        size_t save;
        int id;
        switch (f.num) {
        case GRAPH_INPUT:
            ER_TRY(expect_wire(im, &f, ER_PB_LEN, "input"));
            save = path_push(im, ".input[%d]", ni++);
            ER_TRY(read_value_info(im, &r2, &f, &id));
            if (!g->values[id].data) {
                g->values[id].is_input = true;
                ER_TRY(add_to_list(g, &g->inputs, &g->n_inputs, id));
            }
            path_pop(im, save);
            break;
        case GRAPH_OUTPUT:
            ER_TRY(expect_wire(im, &f, ER_PB_LEN, "output"));
            save = path_push(im, ".output[%d]", no++);
            ER_TRY(read_value_info(im, &r2, &f, &id));
            g->values[id].is_output = true;
            ER_TRY(add_to_list(g, &g->outputs, &g->n_outputs, id));
            path_pop(im, save);
            break;
        case GRAPH_NODE:
            ER_TRY(expect_wire(im, &f, ER_PB_LEN, "node"));
            save = path_push(im, ".node[%d]", nn++);
            ER_TRY(read_node(im, &r2, &f));
            path_pop(im, save);
            break;
        default: break;
        }
    }
    return ER_OK;
}

static int64_t opset_for(const imp *im, const char *domain) {
    if (strcmp(domain, "ai.onnx") == 0) domain = "";
    for (int i = 0; i < im->n_opsets; i++) {
        const char *d = im->opset_domain[i];
        if (strcmp(d, "ai.onnx") == 0) d = "";
        if (strcmp(d, domain) == 0) return im->opset_version[i];
    }
    return -1;
}

int er_onnx_sniff(const unsigned char *data, size_t size) {
    if (size < 2) return 0;
    /* tag of field 1 (varint), 7 (len) or 8 (len) */
    return data[0] == 0x08 || data[0] == 0x3a || data[0] == 0x42;
}

er_status er_onnx_import(er_mapping *file, const char *base_dir, er_graph **out) {
    *out = NULL;
    er_graph *g;
    er_status st = er_graph_create(&g);
    if (st != ER_OK) {
        er_mapping_free(file);
        return st;
    }
    g->mappings = er_malloc(sizeof(er_mapping *) * 8);
    if (!g->mappings) {
        er_mapping_free(file);
        er_graph_free(g);
        return nomem();
    }
    g->cap_mappings = 8;
    g->mappings[g->n_mappings++] = file;

    imp im;
    memset(&im, 0, sizeof im);
    im.g = g;
    im.file = file;
    im.base_dir = base_dir;
    path_push(&im, "model");
    er_pb r = er_pb_init(file->data, file->data, file->size);
    er_pb_field graph_field = {0};
    int has_graph = 0;
    while (!er_pb_done(&r)) {
        er_pb_field f;
        st = er_pb_next(&r, &f);
        if (st != ER_OK) {
            wrap(&im, st);
            goto fail;
        }
        if (f.num == MODEL_GRAPH && f.wire == ER_PB_LEN) {
            graph_field = f;
            has_graph = 1;
        } else if (f.num == MODEL_OPSET_IMPORT && f.wire == ER_PB_LEN) {
            if (im.n_opsets == MAX_OPSETS) {
                st = fail(&im, ER_ERR_UNSUPPORTED, "more than %d opset imports", MAX_OPSETS);
                goto fail;
            }
            er_pb o = er_pb_sub(&r, &f);
            const char *domain = "";
            int64_t version = 1;
            while (!er_pb_done(&o)) {
                er_pb_field e;
                if ((st = er_pb_next(&o, &e)) != ER_OK) {
                    wrap(&im, st);
                    goto fail;
                }
                if (e.num == OPSET_DOMAIN && e.wire == ER_PB_LEN) {
                    char *d = pool_str(&im, &e);
                    if (!d) {
                        st = nomem();
                        goto fail;
                    }
                    domain = d;
                } else if (e.num == OPSET_VERSION && e.wire == ER_PB_VARINT) {
                    version = (int64_t)e.u;
                }
            }
            im.opset_domain[im.n_opsets] = domain;
            im.opset_version[im.n_opsets++] = version;
        }
    }
    if (!has_graph) {
        st = fail(&im, ER_ERR_INVALID_MODEL, "no graph (field 7) in the model");
        goto fail;
    }
    path_pop(&im, 0);
    path_push(&im, "graph");
    if ((st = read_graph(&im, &r, &graph_field)) != ER_OK) goto fail;
    path_pop(&im, 0);

    g->opset = opset_for(&im, "");
    if (g->opset < 0) g->opset = 1; /* no default-domain import: opset 1 semantics */
    for (int i = 0; i < g->n_nodes; i++) {
        int64_t v = opset_for(&im, g->nodes[i].domain);
        g->nodes[i].opset = (int)(v < 0 ? (g->nodes[i].domain[0] ? 1 : g->opset) :
                                  v > INT_MAX ? INT_MAX : v);
    }
    for (int i = 0; i < g->n_outputs; i++) {
        const er_value *v = &g->values[g->outputs[i]];
        int produced = v->data || v->is_input;
        for (int k = 0; k < g->n_nodes && !produced; k++)
            for (int j = 0; j < g->nodes[k].n_out; j++)
                if (g->nodes[k].out[j] == g->outputs[i]) produced = 1;
        if (!produced) {
            st = er_fail(ER_ERR_INVALID_MODEL, "graph output '%s' is not produced by any node",
                         v->name);
            goto fail;
        }
    }
    if ((st = er_graph_toposort(g)) != ER_OK) goto fail;
    *out = g;
    return ER_OK;
fail:
    er_graph_free(g);
    return st;
}

er_status er_onnx_read_tensor_proto(const void *data, size_t size, er_tensor **out,
                                    char *name, size_t name_cap) {
    *out = NULL;
    er_graph *g;
    ER_TRY(er_graph_create(&g));
    imp im;
    memset(&im, 0, sizeof im);
    im.g = g;
    er_mapping file = {data, size, 0};
    im.file = &file;
    path_push(&im, "tensor");
    er_pb r = er_pb_init(data, data, size);
    er_pb_field f = {0};
    f.wire = ER_PB_LEN;
    f.data = data;
    f.len = size;
    er_tensor view;
    memset(&view, 0, sizeof view);
    const char *nm = NULL;
    er_status st = read_tensor(&im, &r, &f, &view, &nm);
    if (st == ER_OK) st = er_tensor_create(view.dtype, view.rank, view.dims, out);
    if (st == ER_OK) {
        size_t n = er_tensor_nbytes(&view);
        if (n) memcpy((*out)->data, view.data, n);
        if (name && name_cap) snprintf(name, name_cap, "%s", nm ? nm : "");
    }
    er_graph_free(g);
    return st;
}
