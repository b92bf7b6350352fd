/* erm_read.c - .erm file -> graph IR (layout: erm_format.h).
 *
 * The file is untrusted. Loading is validation first, use second, in this
 * order: header (magic, version, flags, exact size), checksum, section table
 * (alignment, bounds, overlaps, duplicates, unknown types), then every record
 * section from the leaves up (strings, quant, tensors, values, graph lists,
 * nodes and attributes), each record checked before anything points into
 * it. Every offset, size and count is checked against the bytes that are
 * really there with checked arithmetic; errors name the section, the record
 * index and the file offset.
 *
 * Weights, attribute int/float lists and strings are used in place: the
 * graph keeps the mapping, and values point into it (WEIGHTS offsets are
 * 64-aligned in a page-aligned mapping, so kernels get aligned data without
 * a copy). Compressed record sections (format 2.0) are first decompressed
 * into the graph's pool, and then read exactly like plain ones. Only what the IR may modify or must own is copied: value names
 * (the name index), node input/output lists and quantization parameters. */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/checked_math.h"
#include "core/lz4.h"
#include "core/pool.h"
#include "core/status.h"
#include "erm_format.h"
#include "ops/op.h"

typedef struct sec {
    int present;
    uint32_t flags;
    uint64_t offset, size, count; /* size: after decompression */
    const unsigned char *p; /* base + offset, or the decompressed copy */
} sec;

typedef struct rd {
    const unsigned char *base;
    size_t size;
    unsigned major; /* format version: 1 or 2 */
    er_graph *g;
    sec s[ER_ERM_SEC_KNOWN_MAX + 1];
    /* string table */
    const unsigned char *str_ends;
    const char *str_chars;
    uint32_t n_strings;
    er_tensor *tensors; /* validated TENSORS records */
    er_quant *quants;   /* validated QUANT records */
} rd;

static const char *const k_sec_names[ER_ERM_SEC_KNOWN_MAX + 1] = {
    "?", "strings", "graph", "values", "nodes", "attrs", "tensors", "quant", "arrays",
    "weights", "packed_weights"};

static er_status nomem(void) { return er_fail(ER_ERR_NOMEM, "out of memory loading .erm"); }

/* "section 'nodes' record 12 at offset 4096: <message>" */
static er_status bad_rec(const rd *r, er_status st, int type, uint64_t rec, uint64_t rec_bytes,
                         const char *fmt, ...) ER_PRINTF(6, 7);
static er_status bad_rec(const rd *r, er_status st, int type, uint64_t rec, uint64_t rec_bytes,
                         const char *fmt, ...) {
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (r->s[type].flags & ER_ERM_SEC_LZ4)
        return er_fail(st, "section '%s' (compressed, at offset %llu) record %llu at byte %llu "
                       "of the decompressed section: %s", k_sec_names[type],
                       (unsigned long long)r->s[type].offset, (unsigned long long)rec,
                       (unsigned long long)(rec * rec_bytes), msg);
    return er_fail(st, "section '%s' record %llu at offset %llu: %s", k_sec_names[type],
                   (unsigned long long)rec,
                   (unsigned long long)(r->s[type].offset + rec * rec_bytes), msg);
}

static er_status bad(er_status st, const char *fmt, ...) ER_PRINTF(2, 3);
static er_status bad(er_status st, const char *fmt, ...) {
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return er_fail(st, "%s", msg);
}

#define INVALID ER_ERR_INVALID_MODEL

/* ---- references ---------------------------------------------------------- */

/* String i as a pointer into the mapping (NUL-terminated); NULL when out of
 * range. len (optional) excludes the NUL. */
static const char *str_get(const rd *r, uint32_t i, size_t *len) {
    if (i >= r->n_strings) return NULL;
    uint32_t end = er_erm_u32(r->str_ends + 4 * (size_t)i);
    uint32_t start = i ? er_erm_u32(r->str_ends + 4 * (size_t)(i - 1)) : 0;
    if (len) *len = end - start - 1; /* end > start: checked in read_strings */
    return r->str_chars + start;
}

/* Pointer to n elements of esize bytes at byte offset off of ARRAYS, or NULL
 * when misaligned or out of bounds. */
static const unsigned char *array_get(const rd *r, uint64_t off, size_t esize, uint64_t n) {
    const sec *a = &r->s[ER_ERM_SEC_ARRAYS];
    size_t bytes;
    if (off % esize || off > a->size || n > SIZE_MAX || !er_mul_size(&bytes, (size_t)n, esize) ||
        bytes > a->size - off)
        return NULL;
    return a->p + off;
}

/* The alignment rule of weight references (erm_format.h): 1.x: 64 for all;
 * 2.x: 64 from 64 bytes up, else 8 and inside one 64-byte line. */
static int weight_aligned(const rd *r, uint64_t off, uint64_t bytes) {
    if (r->major < 2 || bytes >= ER_ERM_ALIGN) return off % ER_ERM_ALIGN == 0;
    return off % 8 == 0 && off % ER_ERM_ALIGN + bytes <= ER_ERM_ALIGN;
}

static const void *weight_get(const rd *r, uint64_t off, uint64_t bytes) {
    static const uint64_t empty[1];
    const sec *w = &r->s[ER_ERM_SEC_WEIGHTS];
    if (!weight_aligned(r, off, bytes) || off > w->size || bytes > w->size - off) return NULL;
    return bytes ? (const void *)(w->p + off) : (const void *)empty;
}

/* dtype field: 0 (undeclared) allowed only where allow_undef. */
static er_status check_dtype(const rd *r, int type, uint64_t i, uint64_t rec_bytes, int32_t dt,
                             int allow_undef) {
    if (dt == 0 && allow_undef) return ER_OK;
    if (dt <= 0 || dt > 16)
        return bad_rec(r, INVALID, type, i, rec_bytes, "dtype %d is not an element type", (int)dt);
    if (!er_dtype_supported((er_dtype)dt))
        return bad_rec(r, ER_ERR_UNSUPPORTED, type, i, rec_bytes, "dtype %d (%s) is not supported",
                       (int)dt, er_dtype_name((er_dtype)dt));
    return ER_OK;
}

/* ---- header and section table -------------------------------------------- */

static er_status read_header(rd *r, unsigned flags, uint32_t *n_sec) {
    const unsigned char *h = r->base;
    if (r->size < ER_ERM_HEADER_BYTES)
        return bad(INVALID, "truncated .erm header: the file has %zu bytes, the header needs %d",
                   r->size, ER_ERM_HEADER_BYTES);
    if (memcmp(h, ER_ERM_MAGIC, ER_ERM_MAGIC_BYTES) != 0)
        return bad(INVALID, "header at offset 0: bad .erm magic (damaged by a text-mode "
                   "transfer?)");
    unsigned major = er_erm_u16(h + 8), minor = er_erm_u16(h + 10);
    if (major > ER_ERM_VERSION_MAJOR)
        return bad(ER_ERR_UNSUPPORTED, "header at offset 8: .erm format version %u.%u is newer "
                   "than this edgerun reads (%d.x); upgrade edgerun or convert the model again "
                   "with this version", major, minor, ER_ERM_VERSION_MAJOR);
    if (major < 1)
        return bad(INVALID, "header at offset 8: .erm format version %u.%u does not exist",
                   major, minor);
    r->major = major;
    uint32_t hflags = er_erm_u32(h + 12);
    if (hflags)
        return bad(ER_ERR_UNSUPPORTED, "header at offset 12: flags 0x%x name features this "
                   "edgerun does not know (file version %u.%u)", (unsigned)hflags, major, minor);
    uint64_t file_bytes = er_erm_u64(h + 16);
    if (file_bytes != r->size)
        return bad(INVALID, "header at offset 16: the header says the file has %llu bytes, "
                   "it has %zu (truncated or appended to)", (unsigned long long)file_bytes,
                   r->size);
    *n_sec = er_erm_u32(h + 32);
    if (*n_sec < 1 || *n_sec > ER_ERM_MAX_SECTIONS)
        return bad(INVALID, "header at offset 32: section count %u is outside 1..%d",
                   (unsigned)*n_sec, ER_ERM_MAX_SECTIONS);
    if (ER_ERM_HEADER_BYTES + (size_t)*n_sec * ER_ERM_SECTION_BYTES > r->size)
        return bad(INVALID, "header at offset 32: a table of %u sections runs past the file end "
                   "(%zu bytes)", (unsigned)*n_sec, r->size);
    if (!(flags & ER_ERM_SKIP_CHECKSUM)) {
        uint64_t want = er_erm_u64(h + 24);
        uint64_t got = er_xxh64(h + ER_ERM_HEADER_BYTES, r->size - ER_ERM_HEADER_BYTES);
        if (got != want)
            return bad(INVALID, "header at offset 24: checksum mismatch: the header says "
                       "0x%016llx, the contents hash to 0x%016llx (the file is corrupted)",
                       (unsigned long long)want, (unsigned long long)got);
    }
    return ER_OK;
}

typedef struct span { uint64_t off, size; uint32_t index; } span;

static int cmp_span(const void *a, const void *b) {
    const span *x = a, *y = b;
    if (x->off != y->off) return x->off < y->off ? -1 : 1;
    return x->size < y->size ? -1 : x->size > y->size;
}

/* Decompresses an LZ4 section (erm_format.h) into graph memory and points
 * the section at it: every later check reads the raw bytes. */
static er_status expand(rd *r, int type) {
    sec *s = &r->s[type];
    const unsigned char *p = s->p;
    if (s->size < ER_ERM_LZ4_PREFIX_BYTES)
        return bad(INVALID, "section '%s' at offset %llu: %llu bytes, too short for a compressed "
                   "section (%d-byte prefix)", k_sec_names[type], (unsigned long long)s->offset,
                   (unsigned long long)s->size, ER_ERM_LZ4_PREFIX_BYTES);
    uint64_t raw = er_erm_u64(p), stored = s->size - ER_ERM_LZ4_PREFIX_BYTES;
    uint32_t width = er_erm_u32(p + 8), reserved = er_erm_u32(p + 12);
    if (raw > ER_ERM_LZ4_MAX_RAW || raw > stored * ER_ERM_LZ4_MAX_RATIO + 64 || reserved)
        return bad(INVALID, "section '%s' at offset %llu: compressed section claims %llu raw "
                   "bytes from %llu (at most %dx and 1 GiB) with reserved field %u",
                   k_sec_names[type], (unsigned long long)s->offset, (unsigned long long)raw,
                   (unsigned long long)stored, ER_ERM_LZ4_MAX_RATIO, (unsigned)reserved);
    uint64_t shuffled = 0;
    if (width > 1 && (width > ER_ERM_MAX_SHUFFLE || s->count > raw / width ||
                      (shuffled = (uint64_t)width * s->count) > raw))
        return bad(INVALID, "section '%s' at offset %llu: shuffle width %u over %llu records "
                   "exceeds the %llu raw bytes", k_sec_names[type],
                   (unsigned long long)s->offset, (unsigned)width,
                   (unsigned long long)s->count, (unsigned long long)raw);
    unsigned char *out = er_pool_alloc(r->g->pool, raw ? (size_t)raw : 1);
    if (!out) return nomem();
    size_t err_at = 0;
    if (er_lz4_decompress(p + ER_ERM_LZ4_PREFIX_BYTES, (size_t)stored, out, (size_t)raw,
                          &err_at) != 0)
        return bad(INVALID, "section '%s' at offset %llu: the LZ4 data is malformed at file "
                   "offset %llu (it must decompress to exactly %llu bytes)", k_sec_names[type],
                   (unsigned long long)s->offset,
                   (unsigned long long)(s->offset + ER_ERM_LZ4_PREFIX_BYTES + err_at),
                   (unsigned long long)raw);
    if (shuffled) {
        unsigned char *tmp = er_malloc((size_t)shuffled);
        if (!tmp) return nomem();
        memcpy(tmp, out, (size_t)shuffled);
        er_erm_unshuffle(out, tmp, width, (size_t)s->count);
        er_free(tmp);
    }
    s->p = out;
    s->size = raw;
    return ER_OK;
}

static er_status read_table(rd *r, uint32_t n_sec) {
    span spans[ER_ERM_MAX_SECTIONS];
    uint64_t table_end = ER_ERM_HEADER_BYTES + (uint64_t)n_sec * ER_ERM_SECTION_BYTES;
    for (uint32_t i = 0; i < n_sec; i++) {
        uint64_t at = ER_ERM_HEADER_BYTES + (uint64_t)i * ER_ERM_SECTION_BYTES;
        const unsigned char *e = r->base + at;
        uint32_t type = er_erm_u32(e), flags = er_erm_u32(e + 4);
        uint64_t off = er_erm_u64(e + 8), size = er_erm_u64(e + 16), count = er_erm_u64(e + 24);
        if (off % ER_ERM_ALIGN || off < table_end || off > r->size || size > r->size - off)
            return bad(INVALID, "section table entry %u at offset %llu (type %u): range offset "
                       "%llu size %llu is misaligned, overlaps the table or runs past the file "
                       "end (%zu bytes)", (unsigned)i, (unsigned long long)at, (unsigned)type,
                       (unsigned long long)off, (unsigned long long)size, r->size);
        uint32_t known = ER_ERM_SEC_OPTIONAL | (r->major >= 2 ? ER_ERM_SEC_LZ4 : 0);
        if (flags & ~known)
            return bad(ER_ERR_UNSUPPORTED, "section table entry %u at offset %llu (type %u): "
                       "flags 0x%x name features this edgerun does not know (file version "
                       "%u)", (unsigned)i, (unsigned long long)at, (unsigned)type,
                       (unsigned)flags, r->major);
        spans[i] = (span){off, size, i};
        if (type == 0 || type > ER_ERM_SEC_KNOWN_MAX) {
            if (flags & ER_ERM_SEC_OPTIONAL) continue; /* a later version's extra */
            return bad(ER_ERR_UNSUPPORTED, "section table entry %u at offset %llu: section "
                       "type %u is unknown to this edgerun and not marked optional",
                       (unsigned)i, (unsigned long long)at, (unsigned)type);
        }
        if (type == ER_ERM_SEC_PACKED_WEIGHTS && !(flags & ER_ERM_SEC_OPTIONAL))
            return bad(INVALID, "section table entry %u at offset %llu: packed_weights must be "
                       "marked optional", (unsigned)i, (unsigned long long)at);
        if ((flags & ER_ERM_SEC_LZ4) &&
            (type == ER_ERM_SEC_WEIGHTS || type == ER_ERM_SEC_PACKED_WEIGHTS))
            return bad(INVALID, "section table entry %u at offset %llu: '%s' is used in place "
                       "and cannot be compressed", (unsigned)i, (unsigned long long)at,
                       k_sec_names[type]);
        sec *s = &r->s[type];
        if (s->present)
            return bad(INVALID, "section table entry %u at offset %llu: a second '%s' section",
                       (unsigned)i, (unsigned long long)at, k_sec_names[type]);
        *s = (sec){1, flags, off, size, count, r->base + off};
    }
    qsort(spans, n_sec, sizeof *spans, cmp_span);
    for (uint32_t i = 1; i < n_sec; i++)
        if (spans[i - 1].size && spans[i].size &&
            spans[i - 1].off + spans[i - 1].size > spans[i].off)
            return bad(INVALID, "section table: sections %u and %u overlap at offset %llu",
                       (unsigned)spans[i - 1].index, (unsigned)spans[i].index,
                       (unsigned long long)spans[i].off);
    for (int t = 1; t < ER_ERM_SEC_PACKED_WEIGHTS; t++)
        if (!r->s[t].present)
            return bad(INVALID, "section table: the required '%s' section is missing",
                       k_sec_names[t]);
    for (int t = 1; t <= ER_ERM_SEC_KNOWN_MAX; t++)
        if (r->s[t].present && (r->s[t].flags & ER_ERM_SEC_LZ4)) ER_TRY(expand(r, t));
    /* fixed-size record sections: size == count * record bytes */
    static const struct { int type; size_t bytes; } fixed[] = {
        {ER_ERM_SEC_VALUES, ER_ERM_VALUE_BYTES}, {ER_ERM_SEC_NODES, ER_ERM_NODE_BYTES},
        {ER_ERM_SEC_ATTRS, ER_ERM_ATTR_BYTES},   {ER_ERM_SEC_TENSORS, ER_ERM_TENSOR_BYTES},
        {ER_ERM_SEC_QUANT, ER_ERM_QUANT_BYTES}};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        const sec *s = &r->s[fixed[i].type];
        size_t need;
        if (s->count > SIZE_MAX || !er_mul_size(&need, (size_t)s->count, fixed[i].bytes) ||
            need != s->size)
            return bad(INVALID, "section '%s' at offset %llu: %llu records of %zu bytes do not "
                       "fill its %llu bytes", k_sec_names[fixed[i].type],
                       (unsigned long long)s->offset, (unsigned long long)s->count,
                       fixed[i].bytes, (unsigned long long)s->size);
    }
    const int blobs[] = {ER_ERM_SEC_ARRAYS, ER_ERM_SEC_WEIGHTS};
    for (size_t i = 0; i < 2; i++)
        if (r->s[blobs[i]].count != 0)
            return bad(INVALID, "section '%s' at offset %llu: count %llu, expected 0 for a blob",
                       k_sec_names[blobs[i]], (unsigned long long)r->s[blobs[i]].offset,
                       (unsigned long long)r->s[blobs[i]].count);
    if (r->s[ER_ERM_SEC_VALUES].count > (1 << 28) || r->s[ER_ERM_SEC_NODES].count > (1 << 26) ||
        r->s[ER_ERM_SEC_ATTRS].count > INT_MAX || r->s[ER_ERM_SEC_TENSORS].count > INT_MAX ||
        r->s[ER_ERM_SEC_QUANT].count > INT_MAX)
        return bad(INVALID, "section table: more values, nodes or attributes than edgerun "
                   "supports");
    return ER_OK;
}

/* ---- record sections ----------------------------------------------------- */

static er_status read_strings(rd *r) {
    const sec *s = &r->s[ER_ERM_SEC_STRINGS];
    if (s->count < 1 || s->count >= ER_ERM_NONE || s->count > s->size / 4)
        return bad(INVALID, "section 'strings' at offset %llu: %llu strings do not fit its %llu "
                   "bytes (at least one, the empty string, is required)",
                   (unsigned long long)s->offset, (unsigned long long)s->count,
                   (unsigned long long)s->size);
    r->n_strings = (uint32_t)s->count;
    r->str_ends = s->p;
    r->str_chars = (const char *)s->p + 4 * (size_t)r->n_strings;
    uint64_t chars = s->size - 4 * (uint64_t)r->n_strings;
    uint32_t prev = 0;
    for (uint32_t i = 0; i < r->n_strings; i++) {
        uint32_t end = er_erm_u32(r->str_ends + 4 * (size_t)i);
        if (end <= prev || end > chars)
            return bad_rec(r, INVALID, ER_ERM_SEC_STRINGS, i, 4, "string ends at %u, after the "
                           "previous end %u and within %llu bytes of characters expected",
                           (unsigned)end, (unsigned)prev, (unsigned long long)chars);
        if (r->str_chars[end - 1] != '\0')
            return bad_rec(r, INVALID, ER_ERM_SEC_STRINGS, i, 4, "string is not NUL-terminated");
        prev = end;
    }
    if (prev != chars)
        return bad(INVALID, "section 'strings' at offset %llu: %llu bytes of characters after "
                   "the last string", (unsigned long long)s->offset,
                   (unsigned long long)(chars - prev));
    if (er_erm_u32(r->str_ends) != 1)
        return bad_rec(r, INVALID, ER_ERM_SEC_STRINGS, 0, 4, "string 0 must be the empty string");
    return ER_OK;
}

static er_status read_dims(const rd *r, int type, uint64_t i, uint64_t rb, const unsigned char *p,
                           int rank, int64_t min_dim, int64_t *dims) {
    for (int k = 0; k < ER_MAX_RANK; k++) {
        int64_t d = (int64_t)er_erm_u64(p + 8 * k);
        if (k >= rank && d != 0)
            return bad_rec(r, INVALID, type, i, rb, "dim %d is %lld past rank %d (must be 0)", k,
                           (long long)d, rank);
        if (k < rank && d < min_dim)
            return bad_rec(r, INVALID, type, i, rb, "dim %d is %lld (must be >= %lld)", k,
                           (long long)d, (long long)min_dim);
        dims[k] = d;
    }
    return ER_OK;
}

/* Checks a constant's shape against its data and returns the data view. */
static er_status read_data(const rd *r, int type, uint64_t i, uint64_t rb, er_dtype dt, int rank,
                           const int64_t *dims, uint64_t off, uint64_t bytes, const void **out) {
    size_t count, need;
    if (!er_shape_count_checked(rank, dims, dt, &count, &need)) {
        char sb[ER_SHAPE_STR_MAX];
        return bad_rec(r, INVALID, type, i, rb, "shape %s is negative or too large",
                       er_shape_str(sb, sizeof sb, rank, dims));
    }
    if (bytes != need)
        return bad_rec(r, INVALID, type, i, rb, "data has %llu bytes, shape and dtype need %zu",
                       (unsigned long long)bytes, need);
    *out = weight_get(r, off, bytes);
    if (!*out)
        return bad_rec(r, INVALID, type, i, rb, "data at weights offset %llu (%llu bytes) is "
                       "misaligned (64 bytes; 8 within one 64-byte line for blobs under 64 "
                       "bytes since format 2.0) or runs past the weights section (%llu bytes)",
                       (unsigned long long)off, (unsigned long long)bytes,
                       (unsigned long long)r->s[ER_ERM_SEC_WEIGHTS].size);
    return ER_OK;
}

static er_status read_tensors(rd *r) {
    const sec *s = &r->s[ER_ERM_SEC_TENSORS];
    const uint64_t rb = ER_ERM_TENSOR_BYTES;
    r->tensors = er_pool_array(r->g->pool, (size_t)(s->count ? s->count : 1), sizeof(er_tensor));
    if (!r->tensors) return nomem();
    for (uint64_t i = 0; i < s->count; i++) {
        const unsigned char *p = s->p + i * rb;
        er_tensor *t = &r->tensors[i];
        int32_t dt = (int32_t)er_erm_u32(p), rank = (int32_t)er_erm_u32(p + 4);
        ER_TRY(check_dtype(r, ER_ERM_SEC_TENSORS, i, rb, dt, 0));
        if (rank < 0 || rank > ER_MAX_RANK)
            return bad_rec(r, INVALID, ER_ERM_SEC_TENSORS, i, rb, "rank %d is outside 0..%d",
                           (int)rank, ER_MAX_RANK);
        int64_t dims[ER_MAX_RANK];
        ER_TRY(read_dims(r, ER_ERM_SEC_TENSORS, i, rb, p + 8, rank, 0, dims));
        const void *data;
        ER_TRY(read_data(r, ER_ERM_SEC_TENSORS, i, rb, (er_dtype)dt, rank, dims,
                         er_erm_u64(p + 72), er_erm_u64(p + 80), &data));
        er_tensor_set_shape(t, (er_dtype)dt, rank, dims);
        t->data = (void *)data; /* read-only view: tensors of attributes are never written */
        t->capacity_bytes = (size_t)er_erm_u64(p + 80);
        t->flags = 0;
    }
    return ER_OK;
}

static er_status read_quant(rd *r) {
    const sec *s = &r->s[ER_ERM_SEC_QUANT];
    const uint64_t rb = ER_ERM_QUANT_BYTES;
    r->quants = er_pool_array(r->g->pool, (size_t)(s->count ? s->count : 1), sizeof(er_quant));
    if (!r->quants) return nomem();
    for (uint64_t i = 0; i < s->count; i++) {
        const unsigned char *p = s->p + i * rb;
        int32_t axis = (int32_t)er_erm_u32(p);
        uint32_t n = er_erm_u32(p + 4);
        if (axis < -1 || axis >= ER_MAX_RANK || n < 1 || n > INT_MAX || (axis == -1 && n != 1))
            return bad_rec(r, INVALID, ER_ERM_SEC_QUANT, i, rb, "axis %d with %u scales (per "
                           "tensor: axis -1 and 1 scale; per axis: axis 0..%d)", (int)axis,
                           (unsigned)n, ER_MAX_RANK - 1);
        const unsigned char *sc = array_get(r, er_erm_u64(p + 8), 4, n);
        const unsigned char *zp = array_get(r, er_erm_u64(p + 16), 4, n);
        if (!sc || !zp)
            return bad_rec(r, INVALID, ER_ERM_SEC_QUANT, i, rb, "%s array at arrays offset %llu "
                           "is misaligned or runs past the arrays section (%llu bytes)",
                           !sc ? "scale" : "zero point",
                           (unsigned long long)er_erm_u64(p + (!sc ? 8 : 16)),
                           (unsigned long long)r->s[ER_ERM_SEC_ARRAYS].size);
        er_quant *q = &r->quants[i];
        q->axis = axis;
        q->n = (int)n;
        q->scale = er_pool_array(r->g->pool, n, sizeof(float));
        q->zero_point = er_pool_array(r->g->pool, n, sizeof(int32_t));
        if (!q->scale || !q->zero_point) return nomem();
        memcpy(q->scale, sc, 4 * (size_t)n);
        memcpy(q->zero_point, zp, 4 * (size_t)n);
    }
    return ER_OK;
}

static er_status read_values(rd *r) {
    const sec *s = &r->s[ER_ERM_SEC_VALUES];
    const uint64_t rb = ER_ERM_VALUE_BYTES;
    er_graph *g = r->g;
    for (uint64_t i = 0; i < s->count; i++) {
        const unsigned char *p = s->p + i * rb;
        const char *name = str_get(r, er_erm_u32(p), NULL);
        if (!name || !name[0])
            return bad_rec(r, INVALID, ER_ERM_SEC_VALUES, i, rb, "name (string %u) is %s",
                           (unsigned)er_erm_u32(p), name ? "empty" : "out of range");
        int id;
        ER_TRY(er_graph_value(g, name, &id));
        if ((uint64_t)id != i)
            return bad_rec(r, INVALID, ER_ERM_SEC_VALUES, i, rb, "name '%s' is already used by "
                           "value %d", name, id);
        er_value *v = &g->values[id];
        int32_t dt = (int32_t)er_erm_u32(p + 4), rank = (int32_t)er_erm_u32(p + 8);
        uint32_t flags = er_erm_u32(p + 12);
        int is_const = (flags & ER_ERM_VALUE_CONSTANT) != 0;
        if (flags & ~(uint32_t)ER_ERM_VALUE_CONSTANT)
            return bad_rec(r, INVALID, ER_ERM_SEC_VALUES, i, rb, "'%s' has unknown flags 0x%x",
                           name, (unsigned)flags);
        ER_TRY(check_dtype(r, ER_ERM_SEC_VALUES, i, rb, dt, !is_const));
        if (rank < (is_const ? 0 : -1) || rank > ER_MAX_RANK)
            return bad_rec(r, INVALID, ER_ERM_SEC_VALUES, i, rb, "'%s' has rank %d (expected "
                           "%d..%d)", name, (int)rank, is_const ? 0 : -1, ER_MAX_RANK);
        ER_TRY(read_dims(r, ER_ERM_SEC_VALUES, i, rb, p + 16, rank, is_const ? 0 : -1, v->dims));
        v->dtype = (er_dtype)dt;
        v->rank = rank;
        for (int k = 0; k < ER_MAX_RANK; k++) {
            uint32_t ps = er_erm_u32(p + 80 + 4 * k);
            if (ps == ER_ERM_NONE) continue;
            if (k >= rank || !(v->dim_param[k] = str_get(r, ps, NULL)))
                return bad_rec(r, INVALID, ER_ERM_SEC_VALUES, i, rb, "'%s' dim_param %d (string "
                               "%u) is out of range or past rank %d", name, k, (unsigned)ps,
                               (int)rank);
        }
        uint64_t off = er_erm_u64(p + 112), bytes = er_erm_u64(p + 120);
        if (is_const) {
            ER_TRY(read_data(r, ER_ERM_SEC_VALUES, i, rb, v->dtype, rank, v->dims, off, bytes,
                             &v->data));
            v->data_bytes = (size_t)bytes;
        } else if (off || bytes) {
            return bad_rec(r, INVALID, ER_ERM_SEC_VALUES, i, rb, "'%s' is not a constant but has "
                           "data (offset %llu, %llu bytes)", name, (unsigned long long)off,
                           (unsigned long long)bytes);
        }
        uint32_t q = er_erm_u32(p + 128);
        if (q != ER_ERM_NONE) {
            if (q >= r->s[ER_ERM_SEC_QUANT].count)
                return bad_rec(r, INVALID, ER_ERM_SEC_VALUES, i, rb, "'%s' quant record %u is "
                               "out of range (%llu records)", name, (unsigned)q,
                               (unsigned long long)r->s[ER_ERM_SEC_QUANT].count);
            er_quant *eq = &r->quants[q];
            if (eq->axis >= 0 &&
                (eq->axis >= rank || (v->dims[eq->axis] >= 0 && v->dims[eq->axis] != eq->n)))
                return bad_rec(r, INVALID, ER_ERM_SEC_VALUES, i, rb, "'%s' quant axis %d with %d "
                               "scales does not fit rank %d", name, eq->axis, eq->n, (int)rank);
            v->quant = eq;
        }
    }
    return ER_OK;
}

/* Reads a value-index list (graph inputs or outputs) into a pool array. */
static er_status read_io_list(rd *r, const unsigned char *p, uint32_t n, int is_input, int **out) {
    er_graph *g = r->g;
    int *a = er_pool_array(g->pool, n ? n : 1, sizeof(int));
    if (!a) return nomem();
    for (uint32_t k = 0; k < n; k++) {
        int32_t v = (int32_t)er_erm_u32(p + 4 * (size_t)k);
        if (v < 0 || v >= g->n_values)
            return bad_rec(r, INVALID, ER_ERM_SEC_GRAPH, 0, 0, "graph %s %u refers to value %d "
                           "(the file has %d values)", is_input ? "input" : "output",
                           (unsigned)k, (int)v, g->n_values);
        er_value *val = &g->values[v];
        if (is_input ? val->is_input : val->is_output)
            return bad_rec(r, INVALID, ER_ERM_SEC_GRAPH, 0, 0, "'%s' is listed twice as a graph "
                           "%s", val->name, is_input ? "input" : "output");
        if (is_input && val->data)
            return bad_rec(r, INVALID, ER_ERM_SEC_GRAPH, 0, 0, "graph input '%s' is a constant",
                           val->name);
        if (is_input) val->is_input = true;
        else val->is_output = true;
        a[k] = v;
    }
    *out = a;
    return ER_OK;
}

static er_status read_graph(rd *r) {
    const sec *s = &r->s[ER_ERM_SEC_GRAPH];
    if (s->count != 1 || s->size < ER_ERM_GRAPH_BYTES)
        return bad(INVALID, "section 'graph' at offset %llu: count %llu and %llu bytes (expected "
                   "1 record of at least %d bytes)", (unsigned long long)s->offset,
                   (unsigned long long)s->count, (unsigned long long)s->size, ER_ERM_GRAPH_BYTES);
    int64_t opset = (int64_t)er_erm_u64(s->p);
    uint32_t ni = er_erm_u32(s->p + 8), no = er_erm_u32(s->p + 12);
    if (opset < 0)
        return bad_rec(r, INVALID, ER_ERM_SEC_GRAPH, 0, 0, "opset %lld is negative",
                       (long long)opset);
    if ((uint64_t)ER_ERM_GRAPH_BYTES + 4 * ((uint64_t)ni + no) != s->size)
        return bad_rec(r, INVALID, ER_ERM_SEC_GRAPH, 0, 0, "%u inputs and %u outputs do not fill "
                       "the section's %llu bytes", (unsigned)ni, (unsigned)no,
                       (unsigned long long)s->size);
    er_graph *g = r->g;
    g->opset = opset;
    ER_TRY(read_io_list(r, s->p + ER_ERM_GRAPH_BYTES, ni, 1, &g->inputs));
    g->n_inputs = (int)ni;
    ER_TRY(read_io_list(r, s->p + ER_ERM_GRAPH_BYTES + 4 * (size_t)ni, no, 0, &g->outputs));
    g->n_outputs = (int)no;
    return ER_OK;
}

static int cmp_cstr(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static er_status read_attr(rd *r, uint64_t ai, er_attr *a) {
    const sec *s = &r->s[ER_ERM_SEC_ATTRS];
    const uint64_t rb = ER_ERM_ATTR_BYTES;
    const unsigned char *p = s->p + ai * rb;
    uint32_t name = er_erm_u32(p), type = er_erm_u32(p + 4), n = er_erm_u32(p + 20);
    uint64_t ref = er_erm_u64(p + 24);
    a->name = str_get(r, name, NULL);
    if (!a->name || !a->name[0])
        return bad_rec(r, INVALID, ER_ERM_SEC_ATTRS, ai, rb, "name (string %u) is %s",
                       (unsigned)name, a->name ? "empty" : "out of range");
    if (type > ER_ATTR_TYPE_PROTOS)
        return bad_rec(r, INVALID, ER_ERM_SEC_ATTRS, ai, rb, "'%s' has unknown type %u", a->name,
                       (unsigned)type);
    a->type = (er_attr_type)type;
    a->i = (int64_t)er_erm_u64(p + 8);
    uint32_t fb = er_erm_u32(p + 16);
    memcpy(&a->f, &fb, 4);
    int is_list = type == ER_ATTR_INTS || type == ER_ATTR_FLOATS || type == ER_ATTR_STRINGS ||
                  type == ER_ATTR_TENSORS;
    if (!is_list && n != 0)
        return bad_rec(r, INVALID, ER_ERM_SEC_ATTRS, ai, rb, "'%s' is not a list but has %u "
                       "elements", a->name, (unsigned)n);
    if (n > INT_MAX)
        return bad_rec(r, INVALID, ER_ERM_SEC_ATTRS, ai, rb, "'%s' has %u elements", a->name,
                       (unsigned)n);
    const unsigned char *arr = NULL;
    switch (type) {
    case ER_ATTR_STRING:
        if (ref > UINT32_MAX || !(a->s = str_get(r, (uint32_t)ref, &a->s_len)))
            return bad_rec(r, INVALID, ER_ERM_SEC_ATTRS, ai, rb, "'%s' string %llu is out of "
                           "range (%u strings)", a->name, (unsigned long long)ref,
                           (unsigned)r->n_strings);
        return ER_OK;
    case ER_ATTR_TENSOR:
        if (ref >= r->s[ER_ERM_SEC_TENSORS].count)
            return bad_rec(r, INVALID, ER_ERM_SEC_ATTRS, ai, rb, "'%s' tensor %llu is out of "
                           "range (%llu tensors)", a->name, (unsigned long long)ref,
                           (unsigned long long)r->s[ER_ERM_SEC_TENSORS].count);
        a->t = &r->tensors[ref];
        return ER_OK;
    case ER_ATTR_INTS:
    case ER_ATTR_FLOATS:
    case ER_ATTR_STRINGS:
        arr = array_get(r, ref, type == ER_ATTR_INTS ? 8 : 4, n);
        if (!arr)
            return bad_rec(r, INVALID, ER_ERM_SEC_ATTRS, ai, rb, "'%s' list of %u at arrays "
                           "offset %llu is misaligned or runs past the arrays section (%llu "
                           "bytes)", a->name, (unsigned)n, (unsigned long long)ref,
                           (unsigned long long)r->s[ER_ERM_SEC_ARRAYS].size);
        a->n = (int)n;
        /* arrays are aligned in a 64-aligned section of an aligned mapping, and
         * the host is little-endian: the lists are used in place */
        if (type == ER_ATTR_INTS) a->ints = (const int64_t *)(const void *)arr;
        else if (type == ER_ATTR_FLOATS) a->floats = (const float *)(const void *)arr;
        else {
            const char **v = er_pool_array(r->g->pool, n ? n : 1, sizeof(char *));
            if (!v) return nomem();
            for (uint32_t k = 0; k < n; k++) {
                uint32_t si = er_erm_u32(arr + 4 * (size_t)k);
                if (!(v[k] = str_get(r, si, NULL)))
                    return bad_rec(r, INVALID, ER_ERM_SEC_ATTRS, ai, rb, "'%s' element %u: "
                                   "string %u is out of range", a->name, (unsigned)k,
                                   (unsigned)si);
            }
            a->strings = v;
        }
        return ER_OK;
    case ER_ATTR_TENSORS:
        if (n)
            return bad_rec(r, ER_ERR_UNSUPPORTED, ER_ERM_SEC_ATTRS, ai, rb, "'%s' holds a list of "
                           "%u tensors; edgerun does not support tensor-list attributes",
                           a->name, (unsigned)n);
        break;
    default:
        break;
    }
    if (ref != 0)
        return bad_rec(r, INVALID, ER_ERM_SEC_ATTRS, ai, rb, "'%s' of type %u has a payload "
                       "reference %llu (expected 0)", a->name, (unsigned)type,
                       (unsigned long long)ref);
    return ER_OK;
}

static er_status read_nodes(rd *r) {
    const sec *s = &r->s[ER_ERM_SEC_NODES];
    const uint64_t rb = ER_ERM_NODE_BYTES;
    er_graph *g = r->g;
    uint64_t next_attr = 0;
    /* stamp[v] = node index + 1 that lists v as an output: finds repeats in O(n) */
    int *stamp = er_calloc((size_t)(g->n_values ? g->n_values : 1), sizeof(int));
    const char **names = NULL;
    size_t names_cap = 0;
    er_status st = ER_OK;
    if (!stamp) return nomem();
#define FAIL(...)                                                                              \
    do {                                                                                       \
        st = bad_rec(r, INVALID, ER_ERM_SEC_NODES, i, rb, __VA_ARGS__);                        \
        goto done;                                                                             \
    } while (0)
    for (uint64_t i = 0; i < s->count; i++) {
        const unsigned char *p = s->p + i * rb;
        const char *name = str_get(r, er_erm_u32(p), NULL);
        const char *op_type = str_get(r, er_erm_u32(p + 4), NULL);
        const char *domain = str_get(r, er_erm_u32(p + 8), NULL);
        int32_t opset = (int32_t)er_erm_u32(p + 12);
        uint32_t n_in = er_erm_u32(p + 16), n_out = er_erm_u32(p + 20);
        uint32_t first_attr = er_erm_u32(p + 32), n_attr = er_erm_u32(p + 36);
        if (!name || !op_type || !domain)
            FAIL("%s string is out of range (%u strings)", !name ? "name" : !op_type ? "op_type"
                 : "domain", (unsigned)r->n_strings);
        if (!op_type[0]) FAIL("node '%s' has no op_type", name);
        if (opset < 0) FAIL("node '%s' has opset %d", name, (int)opset);
        if (n_in > 65536 || n_out > 65536 || n_attr > 65536)
            FAIL("node '%s' has %u inputs, %u outputs, %u attributes (at most 65536 each)", name,
                 (unsigned)n_in, (unsigned)n_out, (unsigned)n_attr);
        if (first_attr != next_attr)
            FAIL("node '%s' attributes start at record %u, expected %llu (they follow the "
                 "previous node's)", name, (unsigned)first_attr, (unsigned long long)next_attr);
        next_attr += n_attr;
        if (next_attr > r->s[ER_ERM_SEC_ATTRS].count)
            FAIL("node '%s' attributes %u..%llu run past the %llu attribute records", name,
                 (unsigned)first_attr, (unsigned long long)next_attr,
                 (unsigned long long)r->s[ER_ERM_SEC_ATTRS].count);
        const unsigned char *io = array_get(r, er_erm_u64(p + 24), 4, (uint64_t)n_in + n_out);
        if (!io)
            FAIL("node '%s' input/output list at arrays offset %llu is misaligned or runs past "
                 "the arrays section (%llu bytes)", name,
                 (unsigned long long)er_erm_u64(p + 24),
                 (unsigned long long)r->s[ER_ERM_SEC_ARRAYS].size);
        er_node *n;
        if ((st = er_graph_add_node(g, (int)n_in, (int)n_out, (int)n_attr, &n)) != ER_OK)
            goto done;
        n->name = name;
        n->op_type = op_type;
        n->domain = domain;
        n->opset = opset;
        for (uint32_t k = 0; k < n_in + n_out; k++) {
            int32_t v = (int32_t)er_erm_u32(io + 4 * (size_t)k);
            if (v < -1 || v >= g->n_values)
                FAIL("node '%s' %s %u refers to value %d (the file has %d values)", name,
                     k < n_in ? "input" : "output", (unsigned)(k < n_in ? k : k - n_in), (int)v,
                     g->n_values);
            if (k < n_in) {
                n->in[k] = v;
            } else {
                if (v >= 0 && stamp[v] == (int)i + 1)
                    FAIL("node '%s' lists output '%s' twice", name, g->values[v].name);
                if (v >= 0) stamp[v] = (int)i + 1;
                n->out[k - n_in] = v;
            }
        }
        for (uint32_t k = 0; k < n_attr; k++) {
            if ((st = read_attr(r, (uint64_t)first_attr + k, &n->attr[k])) != ER_OK) {
                er_error_prefix("section 'nodes' record %llu: node '%s': ", (unsigned long long)i,
                                name);
                goto done;
            }
        }
        if (n_attr > 1) { /* unique attribute names: sort a copy of the names */
            if (n_attr > names_cap) {
                const char **nn = er_realloc(names, sizeof *names * n_attr);
                if (!nn) {
                    st = nomem();
                    goto done;
                }
                names = nn;
                names_cap = n_attr;
            }
            for (uint32_t k = 0; k < n_attr; k++) names[k] = n->attr[k].name;
            qsort(names, n_attr, sizeof *names, cmp_cstr);
            for (uint32_t k = 1; k < n_attr; k++)
                if (strcmp(names[k - 1], names[k]) == 0)
                    FAIL("node '%s' has attribute '%s' twice", name, names[k]);
        }
        if (!name[0]) { /* as the ONNX importer: a stable name for messages */
            char buf[64];
            snprintf(buf, sizeof buf, "%s_%llu", op_type, (unsigned long long)i);
            if (!(n->name = er_pool_strdup(g->pool, buf))) {
                st = nomem();
                goto done;
            }
        }
        n->op = er_op_find(n->op_type, n->domain);
    }
    if (next_attr != r->s[ER_ERM_SEC_ATTRS].count) {
        st = bad(INVALID, "section 'attrs' at offset %llu: %llu records, the nodes use %llu",
                 (unsigned long long)r->s[ER_ERM_SEC_ATTRS].offset,
                 (unsigned long long)r->s[ER_ERM_SEC_ATTRS].count, (unsigned long long)next_attr);
    }
#undef FAIL
done:
    er_free(stamp);
    er_free(names);
    return st;
}

static er_status read_packed(rd *r) {
    const sec *s = &r->s[ER_ERM_SEC_PACKED_WEIGHTS];
    if (!s->present) return ER_OK;
    const uint64_t rb = ER_ERM_PACKED_BYTES;
    if (s->count > s->size / rb)
        return bad(INVALID, "section 'packed_weights' at offset %llu: %llu entries do not fit "
                   "its %llu bytes", (unsigned long long)s->offset, (unsigned long long)s->count,
                   (unsigned long long)s->size);
    uint64_t table = s->count * rb;
    er_packed_blob *blobs = s->count ? er_pool_array(r->g->pool, (size_t)s->count,
                                                     sizeof *blobs) : NULL;
    if (s->count && !blobs) return er_fail(ER_ERR_NOMEM, "out of memory reading packed weights");
    for (uint64_t i = 0; i < s->count; i++) {
        const unsigned char *p = s->p + i * rb;
        uint32_t v = er_erm_u32(p);
        uint64_t off = er_erm_u64(p + 16), size = er_erm_u64(p + 24);
        if (v >= (uint32_t)r->g->n_values || !r->g->values[v].data)
            return bad_rec(r, INVALID, ER_ERM_SEC_PACKED_WEIGHTS, i, rb, "value %u is not a "
                           "constant", (unsigned)v);
        if (!str_get(r, er_erm_u32(p + 4), NULL))
            return bad_rec(r, INVALID, ER_ERM_SEC_PACKED_WEIGHTS, i, rb, "kernel string %u is "
                           "out of range", (unsigned)er_erm_u32(p + 4));
        if (off % ER_ERM_ALIGN || off < table || off > s->size || size > s->size - off)
            return bad_rec(r, INVALID, ER_ERM_SEC_PACKED_WEIGHTS, i, rb, "blob at offset %llu "
                           "(%llu bytes) is misaligned, overlaps the entries or runs past the "
                           "section (%llu bytes)", (unsigned long long)off,
                           (unsigned long long)size, (unsigned long long)s->size);
        blobs[i].value = (int)v;
        blobs[i].layout = str_get(r, er_erm_u32(p + 4), NULL);
        blobs[i].data = s->p + off;
        blobs[i].bytes = (size_t)size;
    }
    /* kernels that find their layout here use the bytes in place
     * (er_conv_plan_create); the others ignore them */
    r->g->packed = blobs;
    r->g->n_packed = (int)s->count;
    return ER_OK;
}

unsigned er_erm_env_flags(void) {
    const char *e = getenv("EDGERUN_ERM_CHECKSUM");
    return e && strcmp(e, "skip") == 0 ? ER_ERM_SKIP_CHECKSUM : 0;
}

int er_erm_sniff(const unsigned char *data, size_t size) {
    return size >= 4 && memcmp(data, ER_ERM_MAGIC, 4) == 0;
}

er_status er_erm_import(er_mapping *file, unsigned flags, er_graph **out) {
    *out = NULL;
    er_graph *g;
    er_status st = er_graph_create(&g);
    if (st != ER_OK) {
        er_mapping_free(file);
        return st;
    }
    g->mappings = er_malloc(sizeof(er_mapping *));
    if (!g->mappings) {
        er_mapping_free(file);
        er_graph_free(g);
        return nomem();
    }
    g->cap_mappings = 1;
    g->mappings[g->n_mappings++] = file;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    er_graph_free(g);
    return er_fail(ER_ERR_UNSUPPORTED, ".erm files are little-endian and used in place; this "
                   "host is big-endian");
#endif
    rd r;
    memset(&r, 0, sizeof r);
    r.base = file->data;
    r.size = file->size;
    r.g = g;
    uint32_t n_sec = 0;
    if ((st = read_header(&r, flags, &n_sec)) != ER_OK || (st = read_table(&r, n_sec)) != ER_OK ||
        (st = read_strings(&r)) != ER_OK || (st = read_tensors(&r)) != ER_OK ||
        (st = read_quant(&r)) != ER_OK || (st = read_values(&r)) != ER_OK ||
        (st = read_graph(&r)) != ER_OK || (st = read_nodes(&r)) != ER_OK ||
        (st = read_packed(&r)) != ER_OK)
        goto fail;
    if ((st = er_graph_toposort(g)) != ER_OK) goto fail;
    for (int i = 0; i < g->n_outputs; i++) {
        const er_value *v = &g->values[g->outputs[i]];
        if (v->producer < 0 && !v->data && !v->is_input) {
            st = er_fail(INVALID, "graph output '%s' is not produced by any node", v->name);
            goto fail;
        }
    }
    *out = g;
    return ER_OK;
fail:
    er_graph_free(g);
    return st;
}
