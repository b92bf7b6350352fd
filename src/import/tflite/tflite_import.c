/* tflite_import.c - TFLite model (schema v3) -> graph IR.
 *
 * Reads the flatbuffer with fb_reader (every table, vector and string
 * verified before use) and builds the same IR the ONNX importer builds:
 *   - subgraph 0 only; control-flow operators (WHILE, IF, CALL_ONCE, CALL)
 *     that would need the other subgraphs are refused with a clear error;
 *   - each TFLite tensor becomes one IR value (names made unique); constant
 *     buffers are views into the mapped file when aligned for their element
 *     type, else graph-owned copies; buffers stored after the flatbuffer
 *     (Buffer.offset/size, schema 3c) are found the same way;
 *   - quantization parameters become er_value.quant (per tensor or per axis);
 *   - sparse constant tensors (TFLite's TACO-style sparsity) are densified
 *     once here, so DENSIFY reduces to a constant;
 *   - each operator is handed to its row in tflite_ops.c, which emits IR
 *     nodes with the helpers below (QDQ for quantized tensors, the fixed
 *     Transpose wrapping for layout-sensitive ops).
 * Errors are ER_ERR_INVALID_MODEL (malformed file) or ER_ERR_UNSUPPORTED
 * and name the path ("subgraphs[0].tensors[7]"), the operator and the byte
 * offset where one applies. */
#include "tflite_import.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/checked_math.h"
#include "core/status.h"
#include "core/tensor.h"
#include "ops/op.h"
#include "tflite_internal.h"
#include "tflite_schema.h"

#define MAX_NAME 256
/* IR value names are kept well under 256 bytes: TFLite's converter writes
 * tensor names of several hundred characters, and passes derive new names
 * as "<name>#<k>" in 256-byte buffers. Longer names are cut (and made
 * unique with "#k"). */
#define TENSOR_NAME_MAX 192
#define DERIVED_NAME_MAX 224

typedef struct opcode_info {
    int code;
    const char *custom; /* NUL-terminated, in the file */
    int version;
} opcode_info;

typedef struct tfl_model {
    tfl_ctx c;
    er_fb_table model;
    er_fb_vec buffers;
    opcode_info *opcodes;
    uint32_t n_opcodes;
} tfl_model;

static er_status nomem(void) { return er_fail(ER_ERR_NOMEM, "out of memory importing the model"); }

int er_tflite_sniff(const unsigned char *data, size_t size) {
    return size >= 8 && memcmp(data + 4, "TFL3", 4) == 0;
}

/* Prefixes a lower layer's message with a path, keeping NOMEM as is. */
static er_status at(er_status st, const char *fmt, ...) ER_PRINTF(2, 3);
static er_status at(er_status st, const char *fmt, ...) {
    if (st == ER_OK || st == ER_ERR_NOMEM) return st;
    char buf[MAX_NAME];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    er_error_prefix("%s: ", buf);
    return st;
}

static er_dtype map_type(int type) {
    switch (type) {
    case TFL_FLOAT32: return ER_F32;
    case TFL_FLOAT16: return ER_F16;
    case TFL_INT32: return ER_I32;
    case TFL_UINT8: return ER_U8;
    case TFL_INT64: return ER_I64;
    case TFL_BOOL: return ER_BOOL;
    case TFL_INT16: return ER_I16;
    case TFL_INT8: return ER_I8;
    case TFL_FLOAT64: return ER_F64;
    case TFL_UINT64: return ER_U64;
    case TFL_UINT32: return ER_U32;
    case TFL_UINT16: return ER_U16;
    case TFL_BFLOAT16: return ER_BF16;
    default: return ER_UNDEF;
    }
}

static const char *type_name(int type) {
    static const char *names[] = {"FLOAT32", "FLOAT16", "INT32", "UINT8", "INT64", "STRING",
                                  "BOOL", "INT16", "COMPLEX64", "INT8", "FLOAT64",
                                  "COMPLEX128", "UINT64", "RESOURCE", "VARIANT", "UINT32",
                                  "UINT16", "INT4", "BFLOAT16"};
    return type >= 0 && type < (int)(sizeof names / sizeof names[0]) ? names[type] : "unknown";
}

/* ---- buffers ---------------------------------------------------------------- */

/* Bytes of model buffer `index`: the Buffer.data vector, or [offset, offset +
 * size) of the file when offset > 1 (large models keep data after the
 * flatbuffer). *len = 0 for an empty buffer. */
static er_status buffer_bytes(tfl_model *m, uint32_t index, const uint8_t **p, size_t *len) {
    *p = NULL;
    *len = 0;
    if (index >= m->buffers.n)
        return er_fail(ER_ERR_INVALID_MODEL, "buffer index %u is out of range (the model has %u "
                       "buffers)", index, m->buffers.n);
    er_fb_table b;
    ER_TRY(at(er_fb_vec_table(&m->buffers, index, "Buffer", &b), "buffers[%u]", index));
    uint64_t off, size;
    ER_TRY(at(er_fb_u64(&b, BUFFER_OFFSET, "offset", 0, &off), "buffers[%u]", index));
    ER_TRY(at(er_fb_u64(&b, BUFFER_SIZE, "size", 0, &size), "buffers[%u]", index));
    if (off > 1) {
        const size_t fsize = m->c.file->size;
        if (off > fsize || size > fsize - off)
            return er_fail(ER_ERR_INVALID_MODEL, "buffers[%u]: data at offset %llu + %llu bytes "
                           "runs past the end of the file (%zu bytes)", index,
                           (unsigned long long)off, (unsigned long long)size, fsize);
        *p = m->c.file->data + off;
        *len = (size_t)size;
        return ER_OK;
    }
    er_fb_vec v;
    bool present;
    ER_TRY(at(er_fb_vec_field(&b, BUFFER_DATA, "data", 1, &v, &present), "buffers[%u]", index));
    if (present && v.n) {
        *p = m->c.file->data + v.pos;
        *len = v.n;
    }
    return ER_OK;
}

/* A view when aligned for the element size, else a graph-owned copy. */
static er_status place(tfl_ctx *c, const uint8_t *src, size_t bytes, size_t align,
                       const void **out) {
    static const uint64_t empty[1];
    if (bytes == 0) {
        *out = empty;
        return ER_OK;
    }
    if (align < 1) align = 1;
    if ((uintptr_t)src % align == 0) {
        *out = src;
        return ER_OK;
    }
    void *buf = er_aligned_alloc(bytes);
    if (!buf) return nomem();
    memcpy(buf, src, bytes);
    ER_TRY(er_graph_own(c->g, buf));
    *out = buf;
    return ER_OK;
}

/* ---- quantization ------------------------------------------------------------- */

static er_status read_quant(tfl_ctx *c, tfl_tensor *t, const er_fb_table *q) {
    er_fb_vec scale, zp;
    bool has_scale, has_zp;
    ER_TRY(er_fb_vec_field(q, QUANT_SCALE, "scale", 4, &scale, &has_scale));
    ER_TRY(er_fb_vec_field(q, QUANT_ZERO_POINT, "zero_point", 8, &zp, &has_zp));
    uint8_t details;
    ER_TRY(er_fb_u8(q, QUANT_DETAILS_TYPE, "details_type", 0, &details));
    int32_t qdim;
    ER_TRY(er_fb_i32(q, QUANT_DIMENSION, "quantized_dimension", 0, &qdim));
    if (details != 0)
        return er_fail(ER_ERR_UNSUPPORTED, "custom quantization details (type %u) are not "
                       "supported", details);
    if (scale.n == 0) return ER_OK; /* min/max only: not quantized for inference */
    if (zp.n != 0 && zp.n != scale.n)
        return er_fail(ER_ERR_INVALID_MODEL, "quantization has %u scales but %u zero points",
                       scale.n, zp.n);
    if (scale.n > 1) {
        if (qdim < 0 || qdim >= t->rank)
            return er_fail(ER_ERR_INVALID_MODEL, "quantized_dimension %d is outside the "
                           "tensor's rank %d", qdim, t->rank);
        if (t->dims[qdim] >= 0 && t->dims[qdim] != (int64_t)scale.n)
            return er_fail(ER_ERR_INVALID_MODEL, "%u per-axis scales for dimension %d of size "
                           "%lld", scale.n, qdim, (long long)t->dims[qdim]);
    }
    ER_TRY(er_fb_charge(&c->fb, 2 * (uint64_t)scale.n, "QuantizationParameters.scale",
                        scale.pos));
    er_quant *qp = er_pool_alloc(c->g->pool, sizeof *qp);
    float *s = er_pool_array(c->g->pool, scale.n, sizeof(float));
    int32_t *z = er_pool_array(c->g->pool, scale.n, sizeof(int32_t));
    if (!qp || !s || !z) return nomem();
    for (uint32_t i = 0; i < scale.n; i++) {
        s[i] = er_fb_vec_f32(&scale, i);
        int64_t zv = zp.n ? er_fb_vec_i64(&zp, i) : 0;
        if (zv < INT32_MIN || zv > INT32_MAX)
            return er_fail(ER_ERR_INVALID_MODEL, "zero point %lld is out of range",
                           (long long)zv);
        z[i] = (int32_t)zv;
    }
    qp->axis = scale.n > 1 ? qdim : -1;
    qp->n = (int)scale.n;
    qp->scale = s;
    qp->zero_point = z;
    t->quant = qp;
    return ER_OK;
}

/* ---- sparsity ------------------------------------------------------------------- */

typedef struct sp_level {
    int format;
    int dim;           /* traversal_order entry: < rank a dense dim, else a block dim */
    int64_t size;      /* coordinates in this level */
    er_fb_vec seg, idx;
    uint8_t seg_type, idx_type;
} sp_level;

typedef struct sp_walk {
    tfl_ctx *c;
    const tfl_tensor *t;
    int n_levels, rank;
    sp_level lv[2 * ER_MAX_RANK];
    int64_t block[ER_MAX_RANK]; /* block size per dense dim (1 = not blocked) */
    int block_dim[ER_MAX_RANK]; /* dense dim of each block dim */
    int64_t coord[2 * ER_MAX_RANK];
    const uint8_t *values;
    size_t n_values, esize;
    uint8_t *dense;
} sp_walk;

static uint64_t sp_get(const er_fb_vec *v, uint8_t type, uint32_t i) {
    switch (type) {
    case SPARSE_INDEX_I32: return (uint64_t)(int64_t)er_fb_vec_i32(v, i);
    case SPARSE_INDEX_U16: return er_fb_vec_u16(v, i);
    default: return er_fb_vec_u8(v, i);
    }
}

static er_status sp_recurse(sp_walk *w, int l, uint64_t pos) {
    if (l == w->n_levels) {
        if (pos >= w->n_values)
            return er_fail(ER_ERR_INVALID_MODEL, "sparsity: value %llu is past the %zu stored "
                           "values", (unsigned long long)pos, w->n_values);
        size_t lin = 0;
        for (int d = 0; d < w->rank; d++) {
            int64_t x = w->coord[d] * w->block[d];
            for (int b = 0; b < w->n_levels - w->rank; b++)
                if (w->block_dim[b] == d) x += w->coord[w->rank + b];
            lin = lin * (size_t)w->t->dims[d] + (size_t)x;
        }
        memcpy(w->dense + lin * w->esize, w->values + pos * w->esize, w->esize);
        return ER_OK;
    }
    const sp_level *L = &w->lv[l];
    if (L->format == DIM_DENSE) {
        for (int64_t i = 0; i < L->size; i++) {
            w->coord[L->dim] = i;
            ER_TRY(sp_recurse(w, l + 1, pos * (uint64_t)L->size + (uint64_t)i));
        }
        return ER_OK;
    }
    if (pos + 1 >= L->seg.n)
        return er_fail(ER_ERR_INVALID_MODEL, "sparsity: level %d has %u segments, position %llu "
                       "needs more", l, L->seg.n, (unsigned long long)pos);
    uint64_t lo = sp_get(&L->seg, L->seg_type, (uint32_t)pos);
    uint64_t hi = sp_get(&L->seg, L->seg_type, (uint32_t)pos + 1);
    if (lo > hi || hi > L->idx.n)
        return er_fail(ER_ERR_INVALID_MODEL, "sparsity: level %d segment [%llu, %llu) is not "
                       "inside its %u indices", l, (unsigned long long)lo,
                       (unsigned long long)hi, L->idx.n);
    for (uint64_t j = lo; j < hi; j++) {
        uint64_t x = sp_get(&L->idx, L->idx_type, (uint32_t)j);
        if (x >= (uint64_t)L->size)
            return er_fail(ER_ERR_INVALID_MODEL, "sparsity: level %d index %llu is outside its "
                           "size %lld", l, (unsigned long long)x, (long long)L->size);
        w->coord[L->dim] = (int64_t)x;
        ER_TRY(sp_recurse(w, l + 1, j));
    }
    return ER_OK;
}

static er_status sparse_vec(tfl_ctx *c, const er_fb_table *dm, int type_field, int field,
                            const char *name, uint8_t *type, er_fb_vec *out) {
    er_fb_table v;
    ER_TRY(er_fb_union_field(dm, type_field, field, name, "SparseIndexVector", type, &v));
    if (*type < SPARSE_INDEX_I32 || *type > SPARSE_INDEX_U8)
        return er_fail(ER_ERR_INVALID_MODEL, "DimensionMetadata.%s has union type %u, expected "
                       "Int32Vector (1), Uint16Vector (2) or Uint8Vector (3)", name, *type);
    static const unsigned width[] = {0, 4, 2, 1};
    bool present;
    ER_TRY(er_fb_vec_field(&v, SPARSE_VECTOR_VALUES, "values", width[*type], out, &present));
    /* segments and indices are walked at most once per element */
    return er_fb_charge(&c->fb, out->n, name, out->pos);
}

/* Densifies t's values (the sparse storage) into a graph-owned buffer. */
static er_status densify(tfl_ctx *c, tfl_tensor *t, const er_fb_table *sp, const uint8_t *vals,
                         size_t vals_bytes) {
    sp_walk *w = er_calloc(1, sizeof *w);
    if (!w) return nomem();
    er_status st = ER_OK;
    uint8_t *dense = NULL;
    w->c = c;
    w->t = t;
    w->rank = t->rank;
    w->values = vals;
    w->esize = er_dtype_size(t->dtype);
    er_fb_vec order, bmap, meta;
    bool p1, p2, p3;
    if ((st = er_fb_vec_field(sp, SPARSITY_TRAVERSAL_ORDER, "traversal_order", 4, &order, &p1)) ||
        (st = er_fb_vec_field(sp, SPARSITY_BLOCK_MAP, "block_map", 4, &bmap, &p2)) ||
        (st = er_fb_vec_field(sp, SPARSITY_DIM_METADATA, "dim_metadata", 4, &meta, &p3)))
        goto done;
    int rank = t->rank;
    if (w->esize == 0 || rank < 1) {
        st = er_fail(ER_ERR_UNSUPPORTED, "sparse tensor of type %s and rank %d", type_name(t->type),
                     rank);
        goto done;
    }
    for (int d = 0; d < rank; d++)
        if (t->dims[d] < 0) {
            st = er_fail(ER_ERR_INVALID_MODEL, "sparse tensor with a dynamic dimension %d", d);
            goto done;
        }
    if (order.n < (uint32_t)rank || order.n > 2u * (uint32_t)rank || meta.n != order.n ||
        bmap.n != order.n - (uint32_t)rank) {
        st = er_fail(ER_ERR_INVALID_MODEL, "sparsity: traversal_order has %u entries, "
                     "dim_metadata %u and block_map %u for a rank-%d tensor", order.n, meta.n,
                     bmap.n, rank);
        goto done;
    }
    w->n_levels = (int)order.n;
    int nb = w->n_levels - rank;
    bool seen[2 * ER_MAX_RANK] = {false};
    for (int l = 0; l < w->n_levels; l++) {
        int32_t d = er_fb_vec_i32(&order, (uint32_t)l);
        bool ok = l < rank ? (d >= 0 && d < rank) : (d >= rank && d < w->n_levels);
        if (!ok || seen[d]) {
            st = er_fail(ER_ERR_INVALID_MODEL, "sparsity: traversal_order[%d] = %d is not a "
                         "valid permutation entry", l, d);
            goto done;
        }
        seen[d] = true;
        w->lv[l].dim = d;
    }
    for (int d = 0; d < rank; d++) w->block[d] = 1;
    for (int b = 0; b < nb; b++) {
        int32_t d = er_fb_vec_i32(&bmap, (uint32_t)b);
        if (d < 0 || d >= rank || w->block[d] != 1) {
            st = er_fail(ER_ERR_INVALID_MODEL, "sparsity: block_map[%d] = %d is invalid", b, d);
            goto done;
        }
        w->block_dim[b] = d;
        w->block[d] = 0; /* set from the block level's dense_size below */
    }
    for (int l = 0; l < w->n_levels; l++) {
        er_fb_table dm;
        sp_level *L = &w->lv[l];
        uint8_t fmt;
        int32_t dsize;
        if ((st = er_fb_vec_table(&meta, (uint32_t)l, "DimensionMetadata", &dm)) ||
            (st = er_fb_u8(&dm, DIMMETA_FORMAT, "format", 0, &fmt)) ||
            (st = er_fb_i32(&dm, DIMMETA_DENSE_SIZE, "dense_size", 0, &dsize)))
            goto done;
        L->format = fmt;
        if (fmt != DIM_DENSE && fmt != DIM_SPARSE_CSR) {
            st = er_fail(ER_ERR_INVALID_MODEL, "sparsity: dim_metadata[%d] has format %u", l, fmt);
            goto done;
        }
        if (L->dim >= rank) {
            int b = L->dim - rank;
            if (fmt != DIM_DENSE || dsize < 1 || t->dims[w->block_dim[b]] % dsize != 0) {
                st = er_fail(ER_ERR_INVALID_MODEL, "sparsity: block dimension %d must be dense "
                             "with a size dividing dim %d (dense_size %d)", b, w->block_dim[b],
                             dsize);
                goto done;
            }
            w->block[w->block_dim[b]] = dsize;
        }
        if (fmt == DIM_SPARSE_CSR &&
            ((st = sparse_vec(c, &dm, DIMMETA_SEGMENTS_TYPE, DIMMETA_SEGMENTS, "array_segments",
                              &L->seg_type, &L->seg)) ||
             (st = sparse_vec(c, &dm, DIMMETA_INDICES_TYPE, DIMMETA_INDICES, "array_indices",
                              &L->idx_type, &L->idx))))
            goto done;
        L->size = dsize; /* checked against the shape below */
    }
    for (int l = 0; l < w->n_levels; l++) {
        sp_level *L = &w->lv[l];
        int64_t want = L->dim < rank ? t->dims[L->dim] / w->block[L->dim]
                                     : w->block[w->block_dim[L->dim - rank]];
        if (L->format == DIM_DENSE && L->size != want) {
            st = er_fail(ER_ERR_INVALID_MODEL, "sparsity: dim_metadata[%d].dense_size %lld, "
                         "expected %lld", l, (long long)L->size, (long long)want);
            goto done;
        }
        L->size = want;
    }
    size_t count, bytes;
    if (!er_shape_count_checked(rank, t->dims, t->dtype, &count, &bytes)) {
        st = er_fail(ER_ERR_SHAPE, "sparse tensor's dense shape is too large");
        goto done;
    }
    /* a hostile header could ask for any dense size: cap it relative to the
     * file (a 99.9%-sparse tensor is 1000x its stored size) */
    size_t cap = c->file->size > ((size_t)1 << 30) ? (size_t)1 << 40 : c->file->size * 1024;
    if (cap < ((size_t)256 << 20)) cap = (size_t)256 << 20;
    if (bytes > cap) {
        st = er_fail(ER_ERR_INVALID_MODEL, "sparse tensor densifies to %zu bytes, more than "
                     "1024x the file size allows", bytes);
        goto done;
    }
    w->n_values = vals_bytes / w->esize;
    dense = er_aligned_alloc(bytes ? bytes : 1);
    if (!dense) {
        st = er_fail(ER_ERR_NOMEM, "cannot allocate %zu bytes to densify a sparse tensor", bytes);
        goto done;
    }
    memset(dense, 0, bytes ? bytes : 1);
    w->dense = dense;
    if ((st = sp_recurse(w, 0, 0)) != ER_OK) goto done;
    st = er_graph_own(c->g, dense);
    dense = NULL; /* owned (or freed by er_graph_own on failure) */
    if (st == ER_OK) {
        t->data = w->dense;
        t->bytes = bytes;
    }
done:
    er_aligned_free(dense);
    er_free(w);
    return st;
}

/* ---- tensors ------------------------------------------------------------------ */

static er_status unique_name(er_graph *g, const char *base, char *out, size_t cap) {
    snprintf(out, cap, "%s", base);
    for (int k = 2; er_graph_find(g, out) >= 0; k++) {
        if (k > 1000000) return er_fail(ER_ERR_INVALID_MODEL, "too many values named '%s'", base);
        snprintf(out, cap, "%s#%d", base, k);
    }
    return ER_OK;
}

static er_status read_tensor(tfl_model *m, const er_fb_vec *tensors, int i) {
    tfl_ctx *c = &m->c;
    tfl_tensor *t = &c->t[i];
    er_fb_table tt;
    ER_TRY(er_fb_vec_table(tensors, (uint32_t)i, "Tensor", &tt));
    er_fb_vec shape, sig;
    bool has_shape, has_sig;
    int8_t type;
    uint32_t buffer;
    const char *name;
    uint32_t name_len;
    ER_TRY(er_fb_vec_field(&tt, TENSOR_SHAPE, "shape", 4, &shape, &has_shape));
    ER_TRY(er_fb_vec_field(&tt, TENSOR_SHAPE_SIGNATURE, "shape_signature", 4, &sig, &has_sig));
    ER_TRY(er_fb_i8(&tt, TENSOR_TYPE, "type", 0, &type));
    ER_TRY(er_fb_u32(&tt, TENSOR_BUFFER, "buffer", 0, &buffer));
    ER_TRY(er_fb_str_field(&tt, TENSOR_NAME, "name", &name, &name_len));
    ER_TRY(er_fb_bool(&tt, TENSOR_IS_VARIABLE, "is_variable", false, &t->is_variable));
    if (shape.n > ER_MAX_RANK)
        return er_fail(ER_ERR_UNSUPPORTED, "shape has rank %u (at most %d is supported)", shape.n,
                       ER_MAX_RANK);
    if (has_sig && sig.n != shape.n)
        return er_fail(ER_ERR_INVALID_MODEL, "shape_signature has %u dims, shape has %u", sig.n,
                       shape.n);
    t->type = type;
    t->dtype = map_type(type);
    t->rank = (int)shape.n;
    t->float_value = t->nchw_value = -1;
    for (uint32_t k = 0; k < shape.n; k++) {
        int32_t d = er_fb_vec_i32(&shape, k);
        if (has_sig && er_fb_vec_i32(&sig, k) == -1) d = -1;
        if (d < -1)
            return er_fail(ER_ERR_INVALID_MODEL, "shape dim %u is %d", k, (int)d);
        t->dims[k] = d;
    }
    char base[MAX_NAME], uniq[MAX_NAME + 16];
    if (name_len) snprintf(base, TENSOR_NAME_MAX, "%s", name);
    else snprintf(base, sizeof base, "tensor_%d", i);
    ER_TRY(unique_name(c->g, base, uniq, sizeof uniq));
    ER_TRY(er_graph_value(c->g, uniq, &t->value));
    t->name = c->g->values[t->value].name;

    er_fb_table q, sp;
    bool has_q, has_sp;
    ER_TRY(er_fb_table_field(&tt, TENSOR_QUANTIZATION, "quantization", "QuantizationParameters",
                             &q, &has_q));
    if (has_q) ER_TRY(at(read_quant(c, t, &q), "quantization"));
    ER_TRY(er_fb_table_field(&tt, TENSOR_SPARSITY, "sparsity", "SparsityParameters", &sp,
                             &has_sp));
    const uint8_t *p;
    size_t len;
    ER_TRY(buffer_bytes(m, buffer, &p, &len));
    if (!len) {
        if (has_sp) return er_fail(ER_ERR_INVALID_MODEL, "sparse tensor without data");
        return ER_OK;
    }
    if (t->dtype == ER_UNDEF) return ER_OK; /* refused if an operator uses it */
    t->has_sparsity = has_sp;
    if (has_sp) return at(densify(c, t, &sp, p, len), "sparsity");
    size_t count, bytes;
    for (int k = 0; k < t->rank; k++)
        if (t->dims[k] < 0)
            return er_fail(ER_ERR_INVALID_MODEL, "constant tensor has a dynamic dim %d", k);
    if (!er_shape_count_checked(t->rank, t->dims, t->dtype, &count, &bytes) || bytes != len)
        return er_fail(ER_ERR_INVALID_MODEL, "buffer %u holds %zu bytes, the %s shape needs %s",
                       buffer, len, type_name(type),
                       er_shape_count_checked(t->rank, t->dims, t->dtype, &count, &bytes)
                           ? "a different size" : "more than the runtime allows");
    ER_TRY(place(c, p, len, er_dtype_size(t->dtype), &t->data));
    t->bytes = len;
    return ER_OK;
}

/* Publishes constant tensors and graph-input shapes into the IR values. */
static void sync_value(tfl_ctx *c, tfl_tensor *t) {
    er_value *v = &c->g->values[t->value];
    v->quant = t->quant;
    if (!t->data && !v->is_input) return;
    v->dtype = t->dtype;
    v->rank = t->rank;
    for (int k = 0; k < t->rank; k++) {
        v->dims[k] = t->dims[k];
        v->dim_param[k] = t->dims[k] < 0 ? (k == 0 ? "batch" : "dynamic") : NULL;
    }
    v->data = t->data;
    v->data_bytes = t->bytes;
}

/* ---- helpers shared with tflite_ops.c ------------------------------------------- */

er_status tfl_fail(const tfl_ctx *c, er_status st, const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return er_fail(st, "operator %d (%s): %s", c->op_index, c->op_name, msg);
}

tfl_tensor *tfl_in(const tfl_ctx *c, int k) {
    return k >= 0 && k < c->n_in && c->in[k] >= 0 ? &c->t[c->in[k]] : NULL;
}

tfl_tensor *tfl_out(const tfl_ctx *c, int k) {
    return k >= 0 && k < c->n_out && c->out[k] >= 0 ? &c->t[c->out[k]] : NULL;
}

int tfl_raw(const tfl_ctx *c, int k) {
    const tfl_tensor *t = tfl_in(c, k);
    return t ? t->value : -1;
}

int tfl_raw_out(const tfl_ctx *c, int k) {
    const tfl_tensor *t = tfl_out(c, k);
    return t ? t->value : -1;
}

er_status tfl_check_io(const tfl_ctx *c, int lo, int hi, int outs) {
    if (c->n_in < lo || c->n_in > hi)
        return tfl_fail(c, ER_ERR_INVALID_MODEL, "has %d inputs, expected %d%s%d", c->n_in, lo,
                        lo == hi ? "" : " to ", lo == hi ? lo : hi);
    for (int k = 0; k < lo; k++)
        if (c->in[k] < 0)
            return tfl_fail(c, ER_ERR_INVALID_MODEL, "required input %d is absent (-1)", k);
    if (c->n_out != outs)
        return tfl_fail(c, ER_ERR_INVALID_MODEL, "has %d outputs, expected %d", c->n_out, outs);
    for (int k = 0; k < outs; k++)
        if (c->out[k] < 0)
            return tfl_fail(c, ER_ERR_INVALID_MODEL, "output %d is absent (-1)", k);
    return ER_OK;
}

bool tfl_is_quantized(const tfl_tensor *t) {
    if (!t->quant) return false;
    return t->dtype == ER_I8 || t->dtype == ER_U8 || t->dtype == ER_I16 ||
           (t->dtype == ER_I32 && t->data);
}

static er_status named_value(tfl_ctx *c, const char *base, const char *suffix, int *id) {
    char nm[DERIVED_NAME_MAX], uniq[MAX_NAME + 16];
    snprintf(nm, sizeof nm, "%s:%s", base, suffix);
    ER_TRY(unique_name(c->g, nm, uniq, sizeof uniq));
    return er_graph_value(c->g, uniq, id);
}

static const char *op_base(const tfl_ctx *c) {
    const tfl_tensor *t = tfl_out(c, 0);
    return t ? t->name : c->op_name;
}

er_status tfl_value(tfl_ctx *c, const char *suffix, int *id) {
    return named_value(c, op_base(c), suffix, id);
}

static er_status const_named(tfl_ctx *c, const char *base, const char *suffix, er_dtype dt,
                             int rank, const int64_t *dims, const void *data, int *id) {
    size_t bytes;
    if (!er_shape_count_checked(rank, dims, dt, NULL, &bytes))
        return tfl_fail(c, ER_ERR_SHAPE, "constant '%s' would be too large", suffix);
    void *buf = er_aligned_alloc(bytes ? bytes : 1);
    if (!buf) return nomem();
    if (bytes) memcpy(buf, data, bytes);
    ER_TRY(er_graph_own(c->g, buf));
    ER_TRY(named_value(c, base, suffix, id));
    er_value *v = &c->g->values[*id];
    v->dtype = dt;
    v->rank = rank;
    for (int k = 0; k < rank; k++) v->dims[k] = dims[k];
    v->data = buf;
    v->data_bytes = bytes;
    return ER_OK;
}

er_status tfl_const(tfl_ctx *c, const char *suffix, er_dtype dt, int rank, const int64_t *dims,
                    const void *data, int *id) {
    return const_named(c, op_base(c), suffix, dt, rank, dims, data, id);
}

er_status tfl_const_i64(tfl_ctx *c, const char *suffix, int n, const int64_t *v, int *id) {
    int64_t d = n;
    return tfl_const(c, suffix, ER_I64, 1, &d, v, id);
}

er_status tfl_const_f32_scalar(tfl_ctx *c, const char *suffix, float v, int *id) {
    return tfl_const(c, suffix, ER_F32, 0, NULL, &v, id);
}

er_attr tfl_attr_int(const char *name, int64_t v) {
    er_attr a = {0};
    a.name = name;
    a.type = ER_ATTR_INT;
    a.i = v;
    return a;
}

er_attr tfl_attr_float(const char *name, float v) {
    er_attr a = {0};
    a.name = name;
    a.type = ER_ATTR_FLOAT;
    a.f = v;
    return a;
}

er_attr tfl_attr_str(const char *name, const char *s) {
    er_attr a = {0};
    a.name = name;
    a.type = ER_ATTR_STRING;
    a.s = s;
    a.s_len = strlen(s);
    return a;
}

er_attr tfl_attr_ints(const char *name, int n, const int64_t *v) {
    er_attr a = {0};
    a.name = name;
    a.type = ER_ATTR_INTS;
    a.n = n;
    a.ints = v;
    return a;
}

er_status tfl_emit(tfl_ctx *c, const char *op_type, int n_in, const int *in, int n_out,
                   const int *out, int n_attr, const er_attr *attrs) {
    er_node *n;
    ER_TRY(er_graph_add_node(c->g, n_in, n_out, n_attr, &n));
    /* "<OP>_<index>:<onnx op>[#k]:<output tensor>", k counting repeats of
     * the same ONNX op within this operator */
    int same = 0;
    for (int i = c->first_node; i < c->g->n_nodes - 1; i++)
        same += strcmp(c->g->nodes[i].op_type, op_type) == 0;
    char nm[MAX_NAME * 2];
    if (same == 0)
        snprintf(nm, sizeof nm, "%s_%d:%s:%s", c->op_name, c->op_index, op_type, op_base(c));
    else
        snprintf(nm, sizeof nm, "%s_%d:%s#%d:%s", c->op_name, c->op_index, op_type, same + 1,
                 op_base(c));
    er_pool *pool = c->g->pool;
    if (!(n->name = er_pool_strdup(pool, nm)) || !(n->op_type = er_pool_strdup(pool, op_type)))
        return nomem();
    n->domain = "";
    n->opset = TFL_OPSET;
    for (int k = 0; k < n_in; k++) n->in[k] = in[k];
    for (int k = 0; k < n_out; k++) n->out[k] = out[k];
    for (int k = 0; k < n_attr; k++) {
        er_attr *a = &n->attr[k];
        *a = attrs[k];
        if (!(a->name = er_pool_strdup(pool, attrs[k].name))) return nomem();
        if (a->type == ER_ATTR_STRING && !(a->s = er_pool_strdup(pool, attrs[k].s)))
            return nomem();
        if (a->type == ER_ATTR_INTS) {
            int64_t *v = er_pool_array(pool, (size_t)(a->n ? a->n : 1), sizeof(int64_t));
            if (!v) return nomem();
            if (a->n) memcpy(v, attrs[k].ints, sizeof(int64_t) * (size_t)a->n);
            a->ints = v;
        }
    }
    n->op = er_op_find(n->op_type, "");
    if (!n->op)
        return tfl_fail(c, ER_ERR_INTERNAL, "emitted op '%s' is not registered", op_type);
    return ER_OK;
}

er_status tfl_const_ints(tfl_ctx *c, int k, const char *what, int64_t *out, int max, int *n) {
    const tfl_tensor *t = tfl_in(c, k);
    if (!t) return tfl_fail(c, ER_ERR_INVALID_MODEL, "%s (input %d) is absent", what, k);
    if (!t->data)
        return tfl_fail(c, ER_ERR_UNSUPPORTED, "%s (input %d, '%s') must be a constant tensor",
                        what, k, t->name);
    if (!er_dtype_is_int(t->dtype))
        return tfl_fail(c, ER_ERR_INVALID_MODEL, "%s (input %d, '%s') has type %s, expected an "
                        "integer type", what, k, t->name, type_name(t->type));
    size_t count = er_shape_count(t->rank, t->dims);
    if (count > (size_t)max)
        return tfl_fail(c, ER_ERR_UNSUPPORTED, "%s (input %d, '%s') has %zu values (at most %d)",
                        what, k, t->name, count, max);
    for (size_t i = 0; i < count; i++) out[i] = er_load_i64(t->data, t->dtype, i);
    *n = (int)count;
    return ER_OK;
}

/* Scale / zero-point constants of a quantized tensor. */
static er_status quant_consts(tfl_ctx *c, const char *base, const er_quant *q, er_dtype qdt,
                              int *scale, int *zp) {
    int64_t n = q->n;
    int rank = q->axis >= 0 ? 1 : 0;
    ER_TRY(const_named(c, base, "scale", ER_F32, rank, &n, q->scale, scale));
    /* the zero point carries the quantized dtype (QuantizeLinear's output) */
    size_t es = er_dtype_size(qdt);
    uint8_t *z = er_pool_alloc(c->g->pool, (size_t)q->n * es);
    if (!z) return nomem();
    for (int i = 0; i < q->n; i++) er_store_i64(z, qdt, (size_t)i, q->zero_point[i]);
    return const_named(c, base, "zero_point", qdt, rank, &n, z, zp);
}

/* DequantizeLinear(x) -> new float value "<base>:<suffix>". */
static er_status emit_dq(tfl_ctx *c, const char *base, const char *suffix, int x,
                         const er_quant *q, er_dtype qdt, int *id) {
    int s, z;
    ER_TRY(quant_consts(c, base, q, qdt, &s, &z));
    ER_TRY(named_value(c, base, suffix, id));
    int in[3] = {x, s, z};
    er_attr a = tfl_attr_int("axis", q->axis);
    return tfl_emit(c, "DequantizeLinear", 3, in, 1, id, q->axis >= 0 ? 1 : 0, &a);
}

static er_status emit_q(tfl_ctx *c, const tfl_tensor *t, int x, int y) {
    int s, z;
    if (t->quant->axis >= 0)
        return tfl_fail(c, ER_ERR_UNSUPPORTED, "output '%s' is quantized per axis", t->name);
    ER_TRY(quant_consts(c, t->name, t->quant, t->dtype, &s, &z));
    int in[3] = {x, s, z};
    return tfl_emit(c, "QuantizeLinear", 3, in, 1, &y, 0, NULL);
}

/* f16 constant -> graph-owned f32 constant */
static er_status f16_const_to_f32(tfl_ctx *c, const tfl_tensor *t, const char *suffix, int *id) {
    size_t n = er_shape_count(t->rank, t->dims);
    float *f = er_aligned_alloc(n * 4 + 4);
    if (!f) return nomem();
    for (size_t i = 0; i < n; i++) {
        const uint8_t *p = (const uint8_t *)t->data + 2 * i;
        f[i] = er_f16_to_f32((uint16_t)(p[0] | p[1] << 8));
    }
    er_status st = const_named(c, t->name, suffix, ER_F32, t->rank, t->dims, f, id);
    er_aligned_free(f);
    return st;
}

static er_status float_of(tfl_ctx *c, tfl_tensor *t, int *id) {
    if (t->float_value >= 0) {
        *id = t->float_value;
        return ER_OK;
    }
    if (tfl_is_quantized(t)) {
        ER_TRY(emit_dq(c, t->name, "dq", t->value, t->quant, t->dtype, id));
    } else if (t->dtype == ER_F16 && t->data) {
        ER_TRY(f16_const_to_f32(c, t, "f32", id));
    } else if (t->dtype == ER_F16) {
        ER_TRY(named_value(c, t->name, "f32", id));
        er_attr a = tfl_attr_int("to", ER_F32);
        ER_TRY(tfl_emit(c, "Cast", 1, &t->value, 1, id, 1, &a));
    } else {
        *id = t->value;
    }
    t->float_value = *id;
    return ER_OK;
}

er_status tfl_float_in(tfl_ctx *c, int k, int *id) {
    tfl_tensor *t = tfl_in(c, k);
    if (!t) return tfl_fail(c, ER_ERR_INVALID_MODEL, "input %d is absent", k);
    return float_of(c, t, id);
}

static er_status emit_act(tfl_ctx *c, int act, int x, int y) {
    switch (act) {
    case ACT_RELU: return tfl_emit(c, "Relu", 1, &x, 1, &y, 0, NULL);
    case ACT_TANH: return tfl_emit(c, "Tanh", 1, &x, 1, &y, 0, NULL);
    case ACT_RELU6:
    case ACT_RELU_N1_TO_1: {
        int lo, hi;
        ER_TRY(tfl_const_f32_scalar(c, act == ACT_RELU6 ? "relu6_min" : "relu1_min",
                                    act == ACT_RELU6 ? 0.0f : -1.0f, &lo));
        ER_TRY(tfl_const_f32_scalar(c, act == ACT_RELU6 ? "relu6_max" : "relu1_max",
                                    act == ACT_RELU6 ? 6.0f : 1.0f, &hi));
        int in[3] = {x, lo, hi};
        return tfl_emit(c, "Clip", 3, in, 1, &y, 0, NULL);
    }
    default:
        return tfl_fail(c, ER_ERR_UNSUPPORTED, "fused activation %d is not supported", act);
    }
}

er_status tfl_act_field(tfl_ctx *c, int field, int *act) {
    int8_t a;
    ER_TRY(at(er_fb_i8(&c->opts, field, "fused_activation_function", 0, &a), "operator %d (%s)",
              c->op_index, c->op_name));
    if (a < ACT_NONE || a > ACT_TANH)
        return tfl_fail(c, a == ACT_SIGN_BIT ? ER_ERR_UNSUPPORTED : ER_ERR_INVALID_MODEL,
                        "fused activation %d is not supported", a);
    *act = a;
    return ER_OK;
}

/* Output k: the chain float op -> [act] -> [Q] -> dst. Returns the value the
 * float op writes. */
static er_status float_chain(tfl_ctx *c, tfl_tensor *t, int dst, int act, int *id) {
    if (tfl_is_quantized(t)) {
        int f;
        ER_TRY(named_value(c, t->name, "f", &f));
        ER_TRY(emit_q(c, t, f, dst));
        dst = f;
    } else if (t->dtype == ER_F16) {
        int f;
        ER_TRY(named_value(c, t->name, "f32", &f));
        er_attr a = tfl_attr_int("to", ER_F16);
        ER_TRY(tfl_emit(c, "Cast", 1, &f, 1, &dst, 1, &a));
        dst = f;
    }
    if (act != ACT_NONE) {
        int pre;
        ER_TRY(named_value(c, t->name, "pre_act", &pre));
        ER_TRY(emit_act(c, act, pre, dst));
        dst = pre;
    }
    *id = dst;
    return ER_OK;
}

er_status tfl_float_out(tfl_ctx *c, int k, int act, int *id) {
    tfl_tensor *t = tfl_out(c, k);
    if (!t) return tfl_fail(c, ER_ERR_INVALID_MODEL, "output %d is absent", k);
    return float_chain(c, t, t->value, act, id);
}

static const int64_t to_nchw[4] = {0, 3, 1, 2}, to_nhwc[4] = {0, 2, 3, 1};

static er_status need_rank4(tfl_ctx *c, const tfl_tensor *t, const char *what) {
    if (t->rank != 4)
        return tfl_fail(c, ER_ERR_UNSUPPORTED, "%s '%s' has rank %d; this operator needs a "
                        "rank-4 NHWC tensor", what, t->name, t->rank);
    return ER_OK;
}

er_status tfl_nchw_in(tfl_ctx *c, int k, int *id) {
    tfl_tensor *t = tfl_in(c, k);
    if (!t) return tfl_fail(c, ER_ERR_INVALID_MODEL, "input %d is absent", k);
    ER_TRY(need_rank4(c, t, "input"));
    if (t->nchw_value >= 0) {
        *id = t->nchw_value;
        return ER_OK;
    }
    er_attr perm = tfl_attr_ints("perm", 4, to_nchw);
    int tr;
    if (tfl_is_quantized(t)) {
        /* transpose the quantized data, then dequantize: DQ stays next to the op */
        ER_TRY(named_value(c, t->name, "nchw_q", &tr));
        ER_TRY(tfl_emit(c, "Transpose", 1, &t->value, 1, &tr, 1, &perm));
        ER_TRY(emit_dq(c, t->name, "nchw", tr, t->quant, t->dtype, id));
    } else {
        int f;
        ER_TRY(float_of(c, t, &f));
        ER_TRY(named_value(c, t->name, "nchw", id));
        ER_TRY(tfl_emit(c, "Transpose", 1, &f, 1, id, 1, &perm));
    }
    t->nchw_value = *id;
    return ER_OK;
}

er_status tfl_nchw_out(tfl_ctx *c, int k, int act, int *id) {
    tfl_tensor *t = tfl_out(c, k);
    if (!t) return tfl_fail(c, ER_ERR_INVALID_MODEL, "output %d is absent", k);
    ER_TRY(need_rank4(c, t, "output"));
    int tr;
    ER_TRY(named_value(c, t->name, "nchw", &tr));
    er_attr perm = tfl_attr_ints("perm", 4, to_nhwc);
    ER_TRY(tfl_emit(c, "Transpose", 1, &tr, 1, &t->value, 1, &perm));
    return float_chain(c, t, tr, act, id);
}

/* Permutes a constant's elements: out dims[j] = dims[perm[j]]. */
static void permute(const uint8_t *src, uint8_t *dst, int rank, const int64_t *dims,
                    const int *perm, size_t es) {
    int64_t stride[ER_MAX_RANK], odims[ER_MAX_RANK], idx[ER_MAX_RANK] = {0};
    int64_t s = 1;
    for (int k = rank - 1; k >= 0; k--) {
        stride[k] = s;
        s *= dims[k];
    }
    size_t n = er_shape_count(rank, dims);
    for (int j = 0; j < rank; j++) odims[j] = dims[perm[j]];
    for (size_t o = 0; o < n; o++) {
        int64_t off = 0;
        for (int j = 0; j < rank; j++) off += idx[j] * stride[perm[j]];
        memcpy(dst + o * es, src + (size_t)off * es, es);
        for (int j = rank - 1; j >= 0; j--) {
            if (++idx[j] < odims[j]) break;
            idx[j] = 0;
        }
    }
}

er_status tfl_weights(tfl_ctx *c, int k, int rank, const int *perm, int *id) {
    tfl_tensor *t = tfl_in(c, k);
    if (!t) return tfl_fail(c, ER_ERR_INVALID_MODEL, "weights (input %d) are absent", k);
    if (t->rank != rank)
        return tfl_fail(c, ER_ERR_INVALID_MODEL, "weights '%s' have rank %d, expected %d", t->name,
                        t->rank, rank);
    int64_t pd[ER_MAX_RANK];
    for (int j = 0; j < rank; j++) pd[j] = t->dims[perm[j]];
    if (!t->data) { /* run-time weights: float, then a Transpose node */
        int f;
        ER_TRY(float_of(c, t, &f));
        int64_t p64[ER_MAX_RANK];
        for (int j = 0; j < rank; j++) p64[j] = perm[j];
        er_attr a = tfl_attr_ints("perm", rank, p64);
        ER_TRY(named_value(c, t->name, "permuted", id));
        return tfl_emit(c, "Transpose", 1, &f, 1, id, 1, &a);
    }
    size_t es = er_dtype_size(t->dtype), n, bytes;
    if (!er_shape_count_checked(t->rank, t->dims, t->dtype, &n, &bytes) || bytes != t->bytes)
        return tfl_fail(c, ER_ERR_INVALID_MODEL, "weights '%s' hold %zu bytes, not what their "
                        "shape needs", t->name, t->bytes);
    uint8_t *buf = er_aligned_alloc(n * es + 1);
    if (!buf) return nomem();
    permute(t->data, buf, rank, t->dims, perm, es);
    int v;
    er_status st = const_named(c, t->name, "permuted", t->dtype, rank, pd, buf, &v);
    er_aligned_free(buf);
    ER_TRY(st);
    if (tfl_is_quantized(t)) {
        er_quant q = *t->quant;
        for (int j = 0; j < rank && q.axis >= 0; j++)
            if (perm[j] == t->quant->axis) {
                q.axis = j;
                break;
            }
        er_quant *qp = er_pool_alloc(c->g->pool, sizeof *qp);
        if (!qp) return nomem();
        *qp = q;
        c->g->values[v].quant = qp;
        return emit_dq(c, t->name, "permuted_dq", v, qp, t->dtype, id);
    }
    if (t->dtype == ER_F16) {
        tfl_tensor tmp = *t;
        tmp.data = c->g->values[v].data;
        tmp.rank = rank;
        for (int j = 0; j < rank; j++) tmp.dims[j] = pd[j];
        return f16_const_to_f32(c, &tmp, "permuted_f32", id);
    }
    *id = v;
    return ER_OK;
}

/* ---- model --------------------------------------------------------------------- */

static er_status read_opcodes(tfl_model *m) {
    er_fb_vec v;
    bool present;
    ER_TRY(er_fb_vec_field(&m->model, MODEL_OPERATOR_CODES, "operator_codes", 4, &v, &present));
    m->n_opcodes = v.n;
    m->opcodes = er_pool_array(m->c.g->pool, v.n ? v.n : 1, sizeof(opcode_info));
    if (!m->opcodes) return nomem();
    for (uint32_t i = 0; i < v.n; i++) {
        er_fb_table oc;
        int8_t dep;
        int32_t code, version;
        uint32_t len;
        opcode_info *o = &m->opcodes[i];
        ER_TRY(at(er_fb_vec_table(&v, i, "OperatorCode", &oc), "operator_codes[%u]", i));
        ER_TRY(at(er_fb_i8(&oc, OPCODE_DEPRECATED_BUILTIN, "deprecated_builtin_code", 0, &dep),
                  "operator_codes[%u]", i));
        ER_TRY(at(er_fb_i32(&oc, OPCODE_BUILTIN, "builtin_code", 0, &code), "operator_codes[%u]",
                  i));
        ER_TRY(at(er_fb_i32(&oc, OPCODE_VERSION, "version", 1, &version), "operator_codes[%u]",
                  i));
        ER_TRY(at(er_fb_str_field(&oc, OPCODE_CUSTOM, "custom_code", &o->custom, &len),
                  "operator_codes[%u]", i));
        /* Old writers set only the byte field, new ones both (the int field
         * may be 0 = ADD by default): the real code is the larger one. */
        o->code = code > dep ? code : dep;
        o->version = version;
        if (o->code < 0)
            return er_fail(ER_ERR_INVALID_MODEL, "operator_codes[%u]: builtin code %d is "
                           "negative", i, o->code);
    }
    return ER_OK;
}

static er_status read_index_list(tfl_model *m, const er_fb_table *t, int field, const char *name,
                                 int *out, int max, int *n) {
    er_fb_vec v;
    bool present;
    ER_TRY(er_fb_vec_field(t, field, name, 4, &v, &present));
    if (v.n > (uint32_t)max)
        return er_fail(ER_ERR_UNSUPPORTED, "%s lists %u tensors (at most %d)", name, v.n, max);
    for (uint32_t i = 0; i < v.n; i++) {
        int32_t x = er_fb_vec_i32(&v, i);
        if (x < -1 || x >= m->c.n_tensors)
            return er_fail(ER_ERR_INVALID_MODEL, "%s[%u] = %d is not a tensor index (the "
                           "subgraph has %d tensors)", name, i, (int)x, m->c.n_tensors);
        out[i] = x;
    }
    *n = (int)v.n;
    return ER_OK;
}

static er_status check_tensor_types(tfl_ctx *c) {
    for (int k = 0; k < c->n_in + c->n_out; k++) {
        int ti = k < c->n_in ? c->in[k] : c->out[k - c->n_in];
        if (ti < 0) continue;
        const tfl_tensor *t = &c->t[ti];
        if (t->dtype == ER_UNDEF)
            return tfl_fail(c, ER_ERR_UNSUPPORTED, "%s %d '%s' has type %s (%d), which edgerun "
                            "does not support", k < c->n_in ? "input" : "output",
                            k < c->n_in ? k : k - c->n_in, t->name, type_name(t->type), t->type);
        if (t->is_variable)
            return tfl_fail(c, ER_ERR_UNSUPPORTED, "tensor '%s' is a variable (stateful "
                            "models are not supported)", t->name);
    }
    return ER_OK;
}

static er_status read_operator(tfl_model *m, const er_fb_vec *ops, int i) {
    tfl_ctx *c = &m->c;
    er_fb_table o;
    ER_TRY(er_fb_vec_table(ops, (uint32_t)i, "Operator", &o));
    uint32_t opcode;
    ER_TRY(er_fb_u32(&o, OPERATOR_OPCODE_INDEX, "opcode_index", 0, &opcode));
    if (opcode >= m->n_opcodes)
        return er_fail(ER_ERR_INVALID_MODEL, "opcode_index %u is out of range (%u operator "
                       "codes)", opcode, m->n_opcodes);
    const opcode_info *oc = &m->opcodes[opcode];
    c->op_index = i;
    c->code = oc->code;
    c->opcode_version = oc->version;
    c->op_name = oc->code == OP_CUSTOM ? oc->custom : tfl_builtin_name(oc->code, c->name_buf,
                                                                         sizeof c->name_buf);
    c->first_node = c->g->n_nodes;
    ER_TRY(read_index_list(m, &o, OPERATOR_INPUTS, "inputs", c->in, TFL_MAX_OP_IO, &c->n_in));
    ER_TRY(read_index_list(m, &o, OPERATOR_OUTPUTS, "outputs", c->out, TFL_MAX_OP_IO, &c->n_out));
    ER_TRY(er_fb_union_field(&o, OPERATOR_OPTIONS_TYPE, OPERATOR_OPTIONS, "builtin_options",
                             "BuiltinOptions", &c->opts_type, &c->opts));
    er_fb_vec cv;
    bool present;
    ER_TRY(er_fb_vec_field(&o, OPERATOR_CUSTOM_OPTIONS, "custom_options", 1, &cv, &present));
    c->custom = c->fb.data + cv.pos;
    c->custom_len = cv.n;
    uint64_t loff, lsize;
    ER_TRY(er_fb_u64(&o, OPERATOR_LARGE_CUSTOM_OFFSET, "large_custom_options_offset", 0, &loff));
    ER_TRY(er_fb_u64(&o, OPERATOR_LARGE_CUSTOM_SIZE, "large_custom_options_size", 0, &lsize));
    if (loff > 1) {
        if (loff > c->file->size || lsize > c->file->size - loff)
            return er_fail(ER_ERR_INVALID_MODEL, "large custom options at offset %llu + %llu "
                           "bytes run past the end of the file", (unsigned long long)loff,
                           (unsigned long long)lsize);
        c->custom = c->file->data + loff;
        c->custom_len = (size_t)lsize;
    }
    if (oc->code == OP_WHILE || oc->code == OP_IF || oc->code == OP_CALL_ONCE ||
        oc->code == OP_CALL)
        return tfl_fail(c, ER_ERR_UNSUPPORTED, "control flow across subgraphs is not supported "
                        "yet (only subgraph 0 is imported)");
    const tfl_op_row *row = tfl_find_op(oc->code, oc->code == OP_CUSTOM ? oc->custom : NULL);
    if (!row) {
        if (oc->code == OP_CUSTOM)
            return tfl_fail(c, ER_ERR_UNSUPPORTED, "custom operator '%s' is not supported",
                            oc->custom);
        return tfl_fail(c, ER_ERR_UNSUPPORTED, "builtin operator code %d is not supported by the "
                        "TFLite importer", oc->code);
    }
    if (row->opts_type >= 0 && c->opts_type != 0 && c->opts_type != row->opts_type)
        return tfl_fail(c, ER_ERR_INVALID_MODEL, "builtin_options has union type %u, expected %d "
                        "for this operator (offset %zu)", c->opts_type, row->opts_type, o.pos);
    ER_TRY(check_tensor_types(c));
    return row->fn(c);
}

static er_status read_subgraph(tfl_model *m, const er_fb_table *sg) {
    tfl_ctx *c = &m->c;
    er_graph *g = c->g;
    er_fb_vec tensors, ops;
    bool present;
    ER_TRY(er_fb_vec_field(sg, SUBGRAPH_TENSORS, "tensors", 4, &tensors, &present));
    ER_TRY(er_fb_vec_field(sg, SUBGRAPH_OPERATORS, "operators", 4, &ops, &present));
    if (tensors.n > (1u << 24))
        return er_fail(ER_ERR_UNSUPPORTED, "%u tensors is too many", tensors.n);
    c->n_tensors = (int)tensors.n;
    c->t = er_pool_array(g->pool, tensors.n ? tensors.n : 1, sizeof(tfl_tensor));
    if (!c->t) return nomem();
    for (int i = 0; i < c->n_tensors; i++)
        ER_TRY(at(read_tensor(m, &tensors, i), "subgraphs[0].tensors[%d]", i));
    /* graph inputs: non-constant subgraph inputs */
    er_fb_vec io;
    ER_TRY(er_fb_vec_field(sg, SUBGRAPH_INPUTS, "inputs", 4, &io, &present));
    ER_TRY(er_fb_charge(&c->fb, (uint64_t)io.n * 4, "SubGraph.inputs", io.pos));
    g->inputs = er_pool_array(g->pool, io.n ? io.n : 1, sizeof(int));
    if (!g->inputs) return nomem();
    for (uint32_t i = 0; i < io.n; i++) {
        int32_t x = er_fb_vec_i32(&io, i);
        if (x < 0 || x >= c->n_tensors)
            return er_fail(ER_ERR_INVALID_MODEL, "subgraphs[0].inputs[%u] = %d is not a tensor "
                           "index", i, (int)x);
        tfl_tensor *t = &c->t[x];
        er_value *v = &g->values[t->value];
        if (t->data || v->is_input) continue;
        if (t->dtype == ER_UNDEF)
            return er_fail(ER_ERR_UNSUPPORTED, "input '%s' has type %s, which edgerun does not "
                           "support", t->name, type_name(t->type));
        v->is_input = true;
        g->inputs[g->n_inputs++] = t->value;
    }
    for (int i = 0; i < c->n_tensors; i++) sync_value(c, &c->t[i]);
    for (int i = 0; i < (int)ops.n; i++) {
        er_status st = read_operator(m, &ops, i);
        if (st != ER_OK) return at(st, "subgraphs[0].operators[%d]", i);
    }
    /* DENSIFY / DEQUANTIZE may have turned outputs into constants */
    for (int i = 0; i < c->n_tensors; i++) sync_value(c, &c->t[i]);
    ER_TRY(er_fb_vec_field(sg, SUBGRAPH_OUTPUTS, "outputs", 4, &io, &present));
    ER_TRY(er_fb_charge(&c->fb, (uint64_t)io.n * 4, "SubGraph.outputs", io.pos));
    g->outputs = er_pool_array(g->pool, io.n ? io.n : 1, sizeof(int));
    if (!g->outputs) return nomem();
    for (uint32_t i = 0; i < io.n; i++) {
        int32_t x = er_fb_vec_i32(&io, i);
        if (x < 0 || x >= c->n_tensors)
            return er_fail(ER_ERR_INVALID_MODEL, "subgraphs[0].outputs[%u] = %d is not a tensor "
                           "index", i, (int)x);
        er_value *v = &g->values[c->t[x].value];
        if (v->is_output) continue;
        bool produced = v->data || v->is_input;
        for (int k = 0; k < g->n_nodes && !produced; k++)
            for (int j = 0; j < g->nodes[k].n_out; j++)
                if (g->nodes[k].out[j] == c->t[x].value) produced = true;
        if (!produced)
            return er_fail(ER_ERR_INVALID_MODEL, "subgraphs[0].outputs[%u]: tensor '%s' is not "
                           "produced by any operator", i, v->name);
        v->is_output = true;
        g->outputs[g->n_outputs++] = c->t[x].value;
    }
    return ER_OK;
}

er_status er_tflite_import(er_mapping *file, er_graph **out) {
    *out = NULL;
    er_graph *g;
    er_status st = er_graph_create(&g);
    if (st != ER_OK) {
        er_mapping_free(file);
        return st;
    }
    g->mappings = er_malloc(sizeof(er_mapping *) * 4);
    if (!g->mappings) {
        er_mapping_free(file);
        er_graph_free(g);
        return nomem();
    }
    g->cap_mappings = 4;
    g->mappings[g->n_mappings++] = file;
    g->opset = TFL_OPSET;

    tfl_model *m = er_calloc(1, sizeof *m);
    if (!m) {
        er_graph_free(g);
        return nomem();
    }
    tfl_ctx *c = &m->c;
    c->g = g;
    c->file = file;
    er_fb_init(&c->fb, file->data, file->size);
    uint32_t version;
    er_fb_vec subgraphs;
    bool present;
    er_fb_table sg;
    if ((st = er_fb_root(&c->fb, "Model", &m->model)) != ER_OK) goto fail;
    if ((st = er_fb_u32(&m->model, MODEL_VERSION, "version", 0, &version)) != ER_OK) goto fail;
    if (version != 3) {
        st = er_fail(ER_ERR_UNSUPPORTED, "Model.version is %u; edgerun reads TFLite schema "
                     "version 3", version);
        goto fail;
    }
    if ((st = read_opcodes(m)) != ER_OK) goto fail;
    if ((st = er_fb_vec_field(&m->model, MODEL_BUFFERS, "buffers", 4, &m->buffers, &present)) !=
            ER_OK ||
        (st = er_fb_vec_field(&m->model, MODEL_SUBGRAPHS, "subgraphs", 4, &subgraphs,
                              &present)) != ER_OK)
        goto fail;
    if (subgraphs.n == 0) {
        st = er_fail(ER_ERR_INVALID_MODEL, "Model has no subgraphs");
        goto fail;
    }
    if ((st = at(er_fb_vec_table(&subgraphs, 0, "SubGraph", &sg), "subgraphs[0]")) != ER_OK ||
        (st = read_subgraph(m, &sg)) != ER_OK)
        goto fail;
    if ((st = er_graph_toposort(g)) != ER_OK) goto fail;
    er_free(m);
    *out = g;
    return ER_OK;
fail:
    er_free(m);
    er_graph_free(g);
    return st;
}
