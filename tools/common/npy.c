/* npy.c - .npy parsing and writing, strict about everything in the header. */
#include "npy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/status.h"
#include "core/tensor.h"

static const char MAGIC[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};

static er_dtype dtype_from_descr(const char *d, size_t n) {
    /* '<' little, '|' not applicable, '=' native (little on our targets) */
    if (n < 2 || (d[0] != '<' && d[0] != '|' && d[0] != '=')) return ER_UNDEF;
    const char *t = d + 1;
    size_t m = n - 1;
#define IS(s) (m == strlen(s) && memcmp(t, s, m) == 0)
    if (IS("f4")) return ER_F32;
    if (IS("f2")) return ER_F16;
    if (IS("f8")) return ER_F64;
    if (IS("i1")) return ER_I8;
    if (IS("u1")) return ER_U8;
    if (IS("i2")) return ER_I16;
    if (IS("u2")) return ER_U16;
    if (IS("i4")) return ER_I32;
    if (IS("u4")) return ER_U32;
    if (IS("i8")) return ER_I64;
    if (IS("u8")) return ER_U64;
    if (IS("b1")) return ER_BOOL;
#undef IS
    return ER_UNDEF;
}

static const char *descr_of(er_dtype dt) {
    switch (dt) {
    case ER_F32: return "<f4";
    case ER_F16: return "<f2";
    case ER_F64: return "<f8";
    case ER_I8: return "|i1";
    case ER_U8: return "|u1";
    case ER_I16: return "<i2";
    case ER_U16: return "<u2";
    case ER_I32: return "<i4";
    case ER_U32: return "<u4";
    case ER_I64: return "<i8";
    case ER_U64: return "<u8";
    case ER_BOOL: return "|b1";
    default: return NULL;
    }
}

/* Finds `'key':` in the header dict and returns a pointer just after it. */
static const char *find_key(const char *h, size_t n, const char *key) {
    size_t kl = strlen(key);
    for (size_t i = 0; i + kl + 2 <= n; i++) {
        if ((h[i] == '\'' || h[i] == '"') && memcmp(h + i + 1, key, kl) == 0 &&
            h[i + 1 + kl] == h[i]) {
            const char *p = h + i + kl + 2;
            const char *end = h + n;
            while (p < end && (*p == ' ')) p++;
            if (p < end && *p == ':') return p + 1;
        }
    }
    return NULL;
}

static const char *skip_ws(const char *p, const char *end) {
    while (p < end && (*p == ' ' || *p == '\t')) p++;
    return p;
}

er_status er_npy_parse(const void *data, size_t size, const char *what, er_tensor **out) {
    *out = NULL;
    const unsigned char *b = data;
    if (size < 10 || memcmp(b, MAGIC, 6) != 0)
        return er_fail(ER_ERR_INVALID_ARG, "%s: not a .npy file (bad magic)", what);
    int major = b[6];
    size_t hlen, hstart;
    if (major == 1) {
        hlen = (size_t)b[8] | (size_t)b[9] << 8;
        hstart = 10;
    } else if (major == 2 || major == 3) {
        if (size < 12) return er_fail(ER_ERR_INVALID_ARG, "%s: truncated .npy header", what);
        hlen = (size_t)b[8] | (size_t)b[9] << 8 | (size_t)b[10] << 16 | (size_t)b[11] << 24;
        hstart = 12;
    } else {
        return er_fail(ER_ERR_UNSUPPORTED, "%s: .npy format version %d is not supported", what,
                       major);
    }
    if (hlen > size - hstart)
        return er_fail(ER_ERR_INVALID_ARG, "%s: .npy header of %zu bytes runs past the file end",
                       what, hlen);
    const char *h = (const char *)b + hstart, *hend = h + hlen;
    const char *p = find_key(h, hlen, "descr");
    if (!p) return er_fail(ER_ERR_INVALID_ARG, "%s: .npy header has no 'descr'", what);
    p = skip_ws(p, hend);
    if (p >= hend || (*p != '\'' && *p != '"'))
        return er_fail(ER_ERR_UNSUPPORTED, "%s: structured .npy dtypes are not supported", what);
    char q = *p++;
    const char *ds = p;
    while (p < hend && *p != q) p++;
    if (p >= hend) return er_fail(ER_ERR_INVALID_ARG, "%s: unterminated 'descr'", what);
    er_dtype dt = dtype_from_descr(ds, (size_t)(p - ds));
    if (dt == ER_UNDEF)
        return er_fail(ER_ERR_UNSUPPORTED, "%s: .npy dtype '%.*s' is not supported (need "
                       "little-endian f4/f2/f8/i1/u1/i2/u2/i4/u4/i8/u8/b1)", what,
                       (int)(p - ds), ds);
    p = find_key(h, hlen, "fortran_order");
    if (!p) return er_fail(ER_ERR_INVALID_ARG, "%s: .npy header has no 'fortran_order'", what);
    p = skip_ws(p, hend);
    if ((size_t)(hend - p) >= 4 && memcmp(p, "True", 4) == 0)
        return er_fail(ER_ERR_UNSUPPORTED, "%s: Fortran-order .npy arrays are not supported; "
                       "save with np.ascontiguousarray", what);
    if (!((size_t)(hend - p) >= 5 && memcmp(p, "False", 5) == 0))
        return er_fail(ER_ERR_INVALID_ARG, "%s: bad 'fortran_order' value", what);
    p = find_key(h, hlen, "shape");
    if (!p) return er_fail(ER_ERR_INVALID_ARG, "%s: .npy header has no 'shape'", what);
    p = skip_ws(p, hend);
    if (p >= hend || *p != '(') return er_fail(ER_ERR_INVALID_ARG, "%s: bad 'shape'", what);
    p++;
    int rank = 0;
    int64_t dims[ER_MAX_RANK];
    for (;;) {
        p = skip_ws(p, hend);
        if (p >= hend) return er_fail(ER_ERR_INVALID_ARG, "%s: unterminated 'shape'", what);
        if (*p == ')') break;
        if (*p < '0' || *p > '9') return er_fail(ER_ERR_INVALID_ARG, "%s: bad 'shape'", what);
        int64_t v = 0;
        while (p < hend && *p >= '0' && *p <= '9') {
            if (v > (INT64_MAX - 9) / 10)
                return er_fail(ER_ERR_INVALID_ARG, "%s: dimension too large", what);
            v = v * 10 + (*p++ - '0');
        }
        if (rank == ER_MAX_RANK)
            return er_fail(ER_ERR_UNSUPPORTED, "%s: more than %d dimensions", what, ER_MAX_RANK);
        dims[rank++] = v;
        p = skip_ws(p, hend);
        if (p < hend && *p == ',') p++;
    }
    size_t bytes;
    if (!er_shape_count_checked(rank, dims, dt, NULL, &bytes))
        return er_fail(ER_ERR_INVALID_ARG, "%s: shape too large", what);
    size_t avail = size - hstart - hlen;
    if (avail < bytes)
        return er_fail(ER_ERR_INVALID_ARG, "%s: .npy data has %zu bytes, the shape needs %zu",
                       what, avail, bytes);
    ER_TRY(er_tensor_create(dt, rank, dims, out));
    if (bytes) memcpy(er_tensor_data(*out), b + hstart + hlen, bytes);
    return ER_OK;
}

er_status er_npy_read(const char *path, er_tensor **out) {
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return er_fail(ER_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    if (fseek(f, 0, SEEK_END) != 0) {
        fclose(f);
        return er_fail(ER_ERR_IO, "%s: cannot seek", path);
    }
    long sz = ftell(f);
    if (sz < 0) {
        fclose(f);
        return er_fail(ER_ERR_IO, "%s: cannot tell size", path);
    }
    rewind(f);
    void *buf = malloc((size_t)sz ? (size_t)sz : 1);
    if (!buf) {
        fclose(f);
        return er_fail(ER_ERR_NOMEM, "%s: out of memory", path);
    }
    size_t got = fread(buf, 1, (size_t)sz, f);
    fclose(f);
    er_status st = got == (size_t)sz ? er_npy_parse(buf, (size_t)sz, path, out)
                                     : er_fail(ER_ERR_IO, "%s: short read", path);
    free(buf);
    return st;
}

er_status er_npy_write(const char *path, const er_tensor *t) {
    const char *descr = descr_of(er_tensor_dtype(t));
    if (!descr)
        return er_fail(ER_ERR_UNSUPPORTED, "%s: dtype %s cannot be written as .npy", path,
                       er_dtype_name(er_tensor_dtype(t)));
    char shape[400];
    size_t pos = 0;
    int rank = er_tensor_rank(t);
    pos += (size_t)snprintf(shape, sizeof shape, "(");
    for (int i = 0; i < rank; i++)
        pos += (size_t)snprintf(shape + pos, sizeof shape - pos, "%lld%s",
                                (long long)er_tensor_dim(t, i), rank == 1 ? "," : (i + 1 < rank ? ", " : ""));
    snprintf(shape + pos, sizeof shape - pos, ")");
    char header[512];
    int hl = snprintf(header, sizeof header, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }",
                      descr, shape);
    /* pad so data starts at a multiple of 64, header ends with '\n' */
    size_t total = 10 + (size_t)hl + 1;
    size_t padded = (total + 63) / 64 * 64;
    size_t pad = padded - total;
    FILE *f = fopen(path, "wb");
    if (!f) return er_fail(ER_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
    unsigned char pre[10];
    memcpy(pre, MAGIC, 6);
    pre[6] = 1;
    pre[7] = 0;
    size_t hlen = (size_t)hl + pad + 1;
    pre[8] = (unsigned char)(hlen & 0xff);
    pre[9] = (unsigned char)(hlen >> 8);
    int ok = fwrite(pre, 1, 10, f) == 10 && fwrite(header, 1, (size_t)hl, f) == (size_t)hl;
    for (size_t i = 0; ok && i < pad; i++) ok = fputc(' ', f) != EOF;
    ok = ok && fputc('\n', f) != EOF;
    size_t n = er_tensor_size_bytes(t);
    ok = ok && (n == 0 || fwrite(er_tensor_data_const(t), 1, n, f) == n);
    ok = (fclose(f) == 0) && ok;
    if (!ok) return er_fail(ER_ERR_IO, "%s: write failed", path);
    return ER_OK;
}
