/* tensor.c - shapes, broadcasting, generic element access, public tensor API. */
#include "tensor.h"

#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "checked_math.h"
#include "status.h"

size_t er_dtype_size(er_dtype dt) {
    switch (dt) {
    case ER_F32: case ER_I32: case ER_U32: return 4;
    case ER_U8: case ER_I8: case ER_BOOL: return 1;
    case ER_U16: case ER_I16: case ER_F16: case ER_BF16: return 2;
    case ER_I64: case ER_U64: case ER_F64: return 8;
    default: return 0;
    }
}

const char *er_dtype_name(er_dtype dt) {
    switch (dt) {
    case ER_F32: return "float32";
    case ER_U8: return "uint8";
    case ER_I8: return "int8";
    case ER_U16: return "uint16";
    case ER_I16: return "int16";
    case ER_I32: return "int32";
    case ER_I64: return "int64";
    case ER_STRING: return "string";
    case ER_BOOL: return "bool";
    case ER_F16: return "float16";
    case ER_F64: return "float64";
    case ER_U32: return "uint32";
    case ER_U64: return "uint64";
    case ER_BF16: return "bfloat16";
    default: return "undefined";
    }
}

bool er_dtype_is_float(er_dtype dt) {
    return dt == ER_F32 || dt == ER_F16 || dt == ER_F64 || dt == ER_BF16;
}
bool er_dtype_is_int(er_dtype dt) {
    switch (dt) {
    case ER_U8: case ER_I8: case ER_U16: case ER_I16: case ER_I32: case ER_I64:
    case ER_U32: case ER_U64: return true;
    default: return false;
    }
}
bool er_dtype_is_signed(er_dtype dt) {
    switch (dt) {
    case ER_I8: case ER_I16: case ER_I32: case ER_I64: return true;
    default: return er_dtype_is_float(dt);
    }
}
bool er_dtype_supported(er_dtype dt) { return er_dtype_size(dt) != 0; }

size_t er_shape_count(int rank, const int64_t *dims) {
    size_t n = 1;
    for (int i = 0; i < rank; i++) n *= (size_t)dims[i];
    return n;
}

bool er_shape_count_checked(int rank, const int64_t *dims, er_dtype dt, size_t *count,
                            size_t *bytes) {
    if (rank < 0 || rank > ER_MAX_RANK) return false;
    size_t n = 1;
    for (int i = 0; i < rank; i++) {
        if (dims[i] < 0) return false;
        if (!er_mul_size(&n, n, (size_t)dims[i])) return false;
    }
    size_t b;
    size_t es = er_dtype_size(dt);
    if (!er_mul_size(&b, n, es ? es : 1) || b > ER_MAX_TENSOR_BYTES) return false;
    if (count) *count = n;
    if (bytes) *bytes = b;
    return true;
}

char *er_shape_str(char *buf, size_t buf_size, int rank, const int64_t *dims) {
    size_t pos = 0;
    if (buf_size == 0) return buf;
    buf[0] = '\0';
    if (rank < 0) {
        snprintf(buf, buf_size, "[?]");
        return buf;
    }
    pos += (size_t)snprintf(buf + pos, buf_size - pos, "[");
    for (int i = 0; i < rank && pos < buf_size; i++)
        pos += (size_t)snprintf(buf + pos, buf_size - pos, i ? ",%lld" : "%lld", (long long)dims[i]);
    if (pos < buf_size) snprintf(buf + pos, buf_size - pos, "]");
    return buf;
}

void er_tensor_set_shape(er_tensor *t, er_dtype dt, int rank, const int64_t *dims) {
    t->dtype = dt;
    t->rank = rank;
    for (int i = 0; i < rank; i++) t->dims[i] = dims[i];
    for (int i = rank; i < ER_MAX_RANK; i++) t->dims[i] = 0;
}

bool er_shape_equal(int ra, const int64_t *a, int rb, const int64_t *b) {
    if (ra != rb) return false;
    for (int i = 0; i < ra; i++)
        if (a[i] != b[i]) return false;
    return true;
}

bool er_broadcast_shape(int ra, const int64_t *a, int rb, const int64_t *b, int *rout,
                        int64_t *out) {
    int r = ra > rb ? ra : rb;
    for (int i = 0; i < r; i++) {
        int ia = i - (r - ra), ib = i - (r - rb);
        int64_t da = ia >= 0 ? a[ia] : 1, db = ib >= 0 ? b[ib] : 1;
        if (da == db || db == 1) out[i] = da;
        else if (da == 1) out[i] = db;
        else return false;
    }
    *rout = r;
    return true;
}

void er_broadcast_strides(int rin, const int64_t *in, int rout, const int64_t *out,
                          int64_t *strides) {
    int64_t s = 1;
    for (int i = rout - 1; i >= 0; i--) {
        int ii = i - (rout - rin);
        int64_t d = ii >= 0 ? in[ii] : 1;
        strides[i] = d == 1 ? 0 : s;
        s *= d;
    }
}

double er_load_f64(const void *data, er_dtype dt, size_t i) {
    switch (dt) {
    case ER_F32: return ((const float *)data)[i];
    case ER_F64: return ((const double *)data)[i];
    case ER_F16: return er_f16_to_f32(((const uint16_t *)data)[i]);
    case ER_BF16: return er_bf16_to_f32(((const uint16_t *)data)[i]);
    case ER_I8: return ((const int8_t *)data)[i];
    case ER_U8: return ((const uint8_t *)data)[i];
    case ER_BOOL: return ((const uint8_t *)data)[i] != 0;
    case ER_I16: return ((const int16_t *)data)[i];
    case ER_U16: return ((const uint16_t *)data)[i];
    case ER_I32: return ((const int32_t *)data)[i];
    case ER_U32: return ((const uint32_t *)data)[i];
    case ER_I64: return (double)((const int64_t *)data)[i];
    case ER_U64: return (double)((const uint64_t *)data)[i];
    default: return 0;
    }
}

/* Float to int64 without UB: NaN -> 0, out of range saturates. */
static int64_t f64_to_i64(double v) {
    if (v != v) return 0;
    if (v >= 9.2233720368547758e18) return INT64_MAX;
    if (v <= -9.2233720368547758e18) return INT64_MIN;
    return (int64_t)v;
}

int64_t er_load_i64(const void *data, er_dtype dt, size_t i) {
    switch (dt) {
    case ER_I8: return ((const int8_t *)data)[i];
    case ER_U8: return ((const uint8_t *)data)[i];
    case ER_BOOL: return ((const uint8_t *)data)[i] != 0;
    case ER_I16: return ((const int16_t *)data)[i];
    case ER_U16: return ((const uint16_t *)data)[i];
    case ER_I32: return ((const int32_t *)data)[i];
    case ER_U32: return ((const uint32_t *)data)[i];
    case ER_I64: return ((const int64_t *)data)[i];
    case ER_U64: return (int64_t)((const uint64_t *)data)[i];
    default: return f64_to_i64(er_load_f64(data, dt, i));
    }
}

void er_store_f64(void *data, er_dtype dt, size_t i, double v) {
    switch (dt) {
    case ER_F32: ((float *)data)[i] = (float)v; break;
    case ER_F64: ((double *)data)[i] = v; break;
    case ER_F16: ((uint16_t *)data)[i] = er_f32_to_f16((float)v); break;
    case ER_BF16: ((uint16_t *)data)[i] = er_f32_to_bf16((float)v); break;
    case ER_BOOL: ((uint8_t *)data)[i] = v != 0; break;
    default: er_store_i64(data, dt, i, f64_to_i64(v)); break;
    }
}

void er_store_i64(void *data, er_dtype dt, size_t i, int64_t v) {
    switch (dt) {
    case ER_I8: ((int8_t *)data)[i] = (int8_t)v; break;
    case ER_U8: ((uint8_t *)data)[i] = (uint8_t)v; break;
    case ER_BOOL: ((uint8_t *)data)[i] = v != 0; break;
    case ER_I16: ((int16_t *)data)[i] = (int16_t)v; break;
    case ER_U16: ((uint16_t *)data)[i] = (uint16_t)v; break;
    case ER_I32: ((int32_t *)data)[i] = (int32_t)v; break;
    case ER_U32: ((uint32_t *)data)[i] = (uint32_t)v; break;
    case ER_I64: ((int64_t *)data)[i] = v; break;
    case ER_U64: ((uint64_t *)data)[i] = (uint64_t)v; break;
    default: er_store_f64(data, dt, i, (double)v); break;
    }
}

/* ---- half precision ---------------------------------------------------- */

float er_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1f, man = h & 0x3ffu, bits;
    if (exp == 0) {
        if (man == 0) {
            bits = sign;
        } else { /* subnormal: normalise */
            int e = -1;
            do { man <<= 1; e++; } while (!(man & 0x400u));
            bits = sign | ((uint32_t)(127 - 15 - e) << 23) | ((man & 0x3ffu) << 13);
        }
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | (man << 13);
    } else {
        bits = sign | ((exp + 112) << 23) | (man << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

uint16_t er_f32_to_f16(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000u;
    uint32_t ax = x & 0x7fffffffu;
    if (ax >= 0x7f800000u) /* inf or nan */
        return (uint16_t)(sign | 0x7c00u | (ax > 0x7f800000u ? 0x200u : 0));
    if (ax >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u); /* rounds to inf */
    if (ax < 0x38800000u) { /* subnormal half or zero */
        if (ax < 0x33000000u) return (uint16_t)sign;
        uint32_t e = ax >> 23, m = (ax & 0x7fffffu) | 0x800000u;
        uint32_t shift = 126 - e; /* value = m * 2^(e-150); half unit = 2^-24 */
        uint32_t r = m >> shift, rem = m & ((1u << shift) - 1), half = 1u << (shift - 1);
        if (rem > half || (rem == half && (r & 1))) r++;
        return (uint16_t)(sign | r);
    }
    uint32_t r = ((ax - 0x38000000u) >> 13);
    uint32_t rem = ax & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (r & 1))) r++;
    return (uint16_t)(sign | r);
}

float er_bf16_to_f32(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

uint16_t er_f32_to_bf16(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    if ((x & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((x >> 16) | 0x40u);
    uint32_t lsb = (x >> 16) & 1u;
    x += 0x7fffu + lsb;
    return (uint16_t)(x >> 16);
}

/* ---- public tensor API -------------------------------------------------- */

static er_status check_shape(er_dtype dtype, int rank, const int64_t *dims, size_t *bytes) {
    if (!er_dtype_supported(dtype))
        return er_fail(ER_ERR_INVALID_ARG, "tensor: dtype %d (%s) is not supported", (int)dtype,
                       er_dtype_name(dtype));
    if (rank < 0 || rank > ER_MAX_RANK)
        return er_fail(ER_ERR_INVALID_ARG, "tensor: rank %d outside [0,%d]", rank, ER_MAX_RANK);
    if (rank > 0 && !dims) return er_fail(ER_ERR_INVALID_ARG, "tensor: dims is NULL");
    if (!er_shape_count_checked(rank, dims, dtype, NULL, bytes)) {
        char sb[ER_SHAPE_STR_MAX];
        return er_fail(ER_ERR_INVALID_ARG, "tensor: shape %s is negative or too large",
                       er_shape_str(sb, sizeof sb, rank, dims));
    }
    return ER_OK;
}

er_status er_tensor_create(er_dtype dtype, int rank, const int64_t *dims, er_tensor **out) {
    size_t bytes;
    if (!out) return er_fail(ER_ERR_INVALID_ARG, "er_tensor_create: out is NULL");
    *out = NULL;
    ER_TRY(check_shape(dtype, rank, dims, &bytes));
    er_tensor *t = er_calloc(1, sizeof *t);
    void *data = er_aligned_alloc(bytes);
    if (!t || !data) {
        er_free(t);
        er_aligned_free(data);
        return er_fail(ER_ERR_NOMEM, "er_tensor_create: cannot allocate %zu bytes", bytes);
    }
    memset(data, 0, bytes);
    er_tensor_set_shape(t, dtype, rank, dims);
    t->data = data;
    t->capacity_bytes = bytes;
    t->flags = ER_TENSOR_OWNS_DATA;
    *out = t;
    return ER_OK;
}

er_status er_tensor_wrap(er_dtype dtype, int rank, const int64_t *dims, void *data,
                         size_t size_bytes, er_tensor **out) {
    size_t bytes;
    if (!out) return er_fail(ER_ERR_INVALID_ARG, "er_tensor_wrap: out is NULL");
    *out = NULL;
    ER_TRY(check_shape(dtype, rank, dims, &bytes));
    if (!data && bytes) return er_fail(ER_ERR_INVALID_ARG, "er_tensor_wrap: data is NULL");
    if (size_bytes < bytes)
        return er_fail(ER_ERR_INVALID_ARG, "er_tensor_wrap: buffer of %zu bytes is smaller than "
                       "the tensor's %zu bytes", size_bytes, bytes);
    er_tensor *t = er_calloc(1, sizeof *t);
    if (!t) return er_fail(ER_ERR_NOMEM, "er_tensor_wrap: out of memory");
    er_tensor_set_shape(t, dtype, rank, dims);
    t->data = data;
    t->capacity_bytes = size_bytes;
    *out = t;
    return ER_OK;
}

void er_tensor_free(er_tensor *t) {
    if (!t) return;
    if (t->flags & ER_TENSOR_OWNS_DATA) er_aligned_free(t->data);
    er_free(t);
}

er_dtype er_tensor_dtype(const er_tensor *t) { return t ? t->dtype : ER_UNDEF; }
int er_tensor_rank(const er_tensor *t) { return t ? t->rank : -1; }
int64_t er_tensor_dim(const er_tensor *t, int i) {
    return (t && i >= 0 && i < t->rank) ? t->dims[i] : -1;
}
size_t er_tensor_count(const er_tensor *t) { return t ? er_tensor_numel(t) : 0; }
size_t er_tensor_size_bytes(const er_tensor *t) { return t ? er_tensor_nbytes(t) : 0; }
void *er_tensor_data(er_tensor *t) { return t ? t->data : NULL; }
const void *er_tensor_data_const(const er_tensor *t) { return t ? t->data : NULL; }
