/* erm_write.c - graph IR -> .erm file (layout: erm_format.h).
 *
 * Two phases. First every record section (strings, values, nodes, ...) is
 * built in memory; they are small. Weights are not copied: only their
 * pointers and sizes are listed, then placed (identical blobs once, small
 * ones packed into shared 64-byte lines) and their offsets patched into the
 * records. Record sections are LZ4-compressed when that makes them smaller
 * (format 2.0, erm_format.h). Then the file is
 * emitted front to back: a zeroed header, the section table, the sections,
 * and the weights streamed straight from the model (usually the mmapped
 * source file), while XXH64 runs over everything after the header. Last the
 * real header, holding that checksum, overwrites the zeroed one.
 *
 * Files go through a temporary file in the destination folder that is
 * renamed into place: a failed write leaves nothing behind, and converting a
 * file onto itself never truncates the mapping we are still reading from. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/checked_math.h"
#include "core/lz4.h"
#include "core/status.h"
#include "erm_format.h"

/* ---- growable byte buffer ------------------------------------------------ */

typedef struct buf {
    unsigned char *d;
    size_t n, cap;
    int oom;
} buf;

/* Appends n zero bytes and returns them (NULL on OOM or when n is 0). */
static unsigned char *buf_grow(buf *b, size_t n) {
    if (b->oom || n == 0) return NULL;
    size_t need;
    if (!er_add_size(&need, b->n, n)) {
        b->oom = 1;
        return NULL;
    }
    if (need > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < need) {
            if (!er_mul_size(&cap, cap, 2)) {
                b->oom = 1;
                return NULL;
            }
        }
        unsigned char *d = er_realloc(b->d, cap);
        if (!d) {
            b->oom = 1;
            return NULL;
        }
        b->d = d;
        b->cap = cap;
    }
    unsigned char *p = b->d + b->n;
    memset(p, 0, n);
    b->n = need;
    return p;
}

static void buf_put(buf *b, const void *p, size_t n) {
    unsigned char *d = buf_grow(b, n);
    if (d && n) memcpy(d, p, n);
}

static void buf_align(buf *b, size_t a) {
    size_t pad = (a - b->n % a) % a;
    buf_grow(b, pad);
}

/* ---- writer state -------------------------------------------------------- */

typedef struct weight {
    const void *data;
    size_t bytes;
    uint64_t offset; /* in the WEIGHTS section, set by layout_weights */
    buf *patch;      /* the record buffer whose u64 at patch_at holds offset */
    size_t patch_at;
    uint64_t hash;   /* XXH64 of the bytes, for sharing identical blobs */
    size_t same_as;  /* index of the first identical blob (itself if unique) */
} weight;

typedef struct writer {
    const er_graph *g;
    /* string table: ends[] and characters, deduplicated through a hash */
    buf str_ends, str_chars;
    uint32_t n_strings;
    uint32_t *str_hash; /* string index + 1; 0 = empty slot */
    uint32_t str_hash_cap;
    buf graph, values, quant, nodes, attrs, tensors, arrays;
    uint32_t n_quant, n_attrs, n_tensors;
    weight *weights;
    size_t n_weights, cap_weights;
    size_t *order; /* unique blobs in file order */
    size_t n_order;
    uint64_t weights_bytes;
    unsigned flags; /* ER_ERM_WRITE_* */
    /* PACKED_WEIGHTS (optional): entries, their layout strings and offsets */
    const er_packed_blob *packed;
    int n_packed;
    uint32_t *packed_str;
    uint64_t *packed_off;
    uint64_t packed_bytes;
} writer;

static er_status nomem(void) { return er_fail(ER_ERR_NOMEM, "out of memory writing .erm"); }

static uint32_t hash_bytes(const char *s, size_t n) {
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static const char *str_at(const writer *w, uint32_t i, size_t *len) {
    uint32_t end = er_erm_u32(w->str_ends.d + 4 * (size_t)i);
    uint32_t start = i ? er_erm_u32(w->str_ends.d + 4 * (size_t)(i - 1)) : 0;
    *len = end - start - 1;
    return (const char *)w->str_chars.d + start;
}

static er_status str_rehash(writer *w) {
    uint32_t cap = w->str_hash_cap ? w->str_hash_cap * 2 : 256;
    if (cap < w->str_hash_cap) return er_fail(ER_ERR_UNSUPPORTED, "too many strings for .erm");
    uint32_t *h = er_calloc(cap, sizeof *h);
    if (!h) return nomem();
    for (uint32_t i = 0; i < w->n_strings; i++) {
        size_t len;
        const char *s = str_at(w, i, &len);
        uint32_t k = hash_bytes(s, len) & (cap - 1);
        while (h[k]) k = (k + 1) & (cap - 1);
        h[k] = i + 1;
    }
    er_free(w->str_hash);
    w->str_hash = h;
    w->str_hash_cap = cap;
    return ER_OK;
}

/* Index of the string (s, len) in the table, adding it when new. */
static er_status str_ref(writer *w, const char *s, size_t len, uint32_t *out) {
    if (!s) s = "", len = 0;
    if ((uint64_t)w->n_strings * 2 + 2 > w->str_hash_cap) ER_TRY(str_rehash(w));
    uint32_t mask = w->str_hash_cap - 1, k = hash_bytes(s, len) & mask;
    for (; w->str_hash[k]; k = (k + 1) & mask) {
        size_t l;
        const char *t = str_at(w, w->str_hash[k] - 1, &l);
        if (l == len && memcmp(t, s, len) == 0) {
            *out = w->str_hash[k] - 1;
            return ER_OK;
        }
    }
    size_t end;
    if (w->n_strings >= ER_ERM_NONE - 1 || !er_add_size(&end, w->str_chars.n, len + 1) ||
        end > UINT32_MAX)
        return er_fail(ER_ERR_UNSUPPORTED, "the model's strings exceed the 4 GiB .erm string "
                       "table");
    buf_put(&w->str_chars, s, len);
    buf_grow(&w->str_chars, 1); /* the NUL */
    unsigned char *e = buf_grow(&w->str_ends, 4);
    if (!e || w->str_chars.oom) return nomem();
    er_erm_put_u32(e, (uint32_t)end);
    w->str_hash[k] = w->n_strings + 1;
    *out = w->n_strings++;
    return ER_OK;
}

static er_status cstr_ref(writer *w, const char *s, uint32_t *out) {
    return str_ref(w, s, s ? strlen(s) : 0, out);
}

/* Byte offset in ARRAYS of a copy of n elements of esize bytes. */
static uint64_t array_ref(writer *w, const void *data, size_t esize, size_t n) {
    buf_align(&w->arrays, esize);
    uint64_t off = w->arrays.n;
    size_t bytes;
    if (!er_mul_size(&bytes, esize, n)) {
        w->arrays.oom = 1;
        return 0;
    }
    buf_put(&w->arrays, data, bytes);
    return off;
}

/* Lists a constant's bytes for WEIGHTS; its offset is decided by
 * layout_weights and written into patch at patch_at then. */
static er_status weight_ref(writer *w, const void *data, size_t bytes, buf *patch,
                            size_t patch_at) {
    if (w->n_weights == w->cap_weights) {
        size_t cap = w->cap_weights ? w->cap_weights * 2 : 64;
        weight *a = er_realloc(w->weights, cap * sizeof *a);
        if (!a) return nomem();
        w->weights = a;
        w->cap_weights = cap;
    }
    w->weights[w->n_weights++] = (weight){data, bytes, 0, patch, patch_at, 0, 0};
    return ER_OK;
}

/* Places the blobs (format 2.0 rules, erm_format.h): each distinct blob once
 * (identical constants - all-zero zero points, repeated scales - share
 * bytes); blobs of 64 bytes or more at multiples of 64, in graph order; then
 * the small ones, 8-aligned, packed into 64-byte lines without straddling. */
static er_status layout_weights(writer *w) {
    size_t n = w->n_weights, cap = 16;
    while (cap < 2 * n) cap *= 2;
    size_t *table = er_malloc(cap * sizeof *table); /* blob index + 1; 0 empty */
    w->order = er_malloc((n ? n : 1) * sizeof *w->order);
    if (!table || !w->order) {
        er_free(table);
        return nomem();
    }
    memset(table, 0, cap * sizeof *table);
    for (size_t i = 0; i < n; i++) {
        weight *b = &w->weights[i];
        b->hash = er_xxh64(b->data, b->bytes);
        b->same_as = i;
        size_t k = (size_t)b->hash & (cap - 1);
        for (; table[k]; k = (k + 1) & (cap - 1)) {
            const weight *o = &w->weights[table[k] - 1];
            if (o->hash == b->hash && o->bytes == b->bytes &&
                (b->bytes == 0 || memcmp(o->data, b->data, b->bytes) == 0)) {
                b->same_as = table[k] - 1;
                break;
            }
        }
        if (!table[k]) table[k] = i + 1;
    }
    er_free(table);
    uint64_t at = 0;
    w->n_order = 0;
    for (int small = 0; small < 2; small++) {
        for (size_t i = 0; i < n; i++) {
            weight *b = &w->weights[i];
            if (b->same_as != i || (b->bytes < ER_ERM_ALIGN) != small) continue;
            uint64_t off = (at + (small ? 7 : ER_ERM_ALIGN - 1)) &
                           ~(uint64_t)(small ? 7 : ER_ERM_ALIGN - 1);
            if (small && off % ER_ERM_ALIGN + b->bytes > ER_ERM_ALIGN)
                off = (off + ER_ERM_ALIGN - 1) & ~(uint64_t)(ER_ERM_ALIGN - 1);
            if (off + b->bytes < off || off + b->bytes > SIZE_MAX)
                return er_fail(ER_ERR_UNSUPPORTED, "the model's weights overflow the address "
                               "space");
            b->offset = off;
            at = off + b->bytes;
            w->order[w->n_order++] = i;
        }
    }
    w->weights_bytes = at;
    for (size_t i = 0; i < n; i++) {
        weight *b = &w->weights[i];
        b->offset = w->weights[b->same_as].offset;
        er_erm_put_u64(b->patch->d + b->patch_at, b->offset);
    }
    return ER_OK;
}

/* ---- records ------------------------------------------------------------- */

static void put_dims(unsigned char *p, int rank, const int64_t *dims) {
    for (int k = 0; k < ER_MAX_RANK; k++)
        er_erm_put_u64(p + 8 * k, k < rank ? (uint64_t)dims[k] : 0);
}

static er_status write_value(writer *w, int id) {
    const er_value *v = &w->g->values[id];
    if (v->rank < -1 || v->rank > ER_MAX_RANK)
        return er_fail(ER_ERR_INTERNAL, "value '%s' has rank %d", v->name, v->rank);
    unsigned char r[ER_ERM_VALUE_BYTES];
    memset(r, 0, sizeof r);
    uint32_t s;
    ER_TRY(cstr_ref(w, v->name, &s));
    er_erm_put_u32(r + 0, s);
    er_erm_put_u32(r + 4, (uint32_t)v->dtype);
    er_erm_put_u32(r + 8, (uint32_t)v->rank);
    er_erm_put_u32(r + 12, v->data ? ER_ERM_VALUE_CONSTANT : 0);
    put_dims(r + 16, v->rank, v->dims);
    for (int k = 0; k < ER_MAX_RANK; k++) {
        uint32_t p = ER_ERM_NONE;
        if (k < v->rank && v->dim_param[k]) ER_TRY(cstr_ref(w, v->dim_param[k], &p));
        er_erm_put_u32(r + 80 + 4 * k, p);
    }
    if (v->data) { /* the record lands at values.n: its offset field is patched there */
        ER_TRY(weight_ref(w, v->data, v->data_bytes, &w->values, w->values.n + 112));
        er_erm_put_u64(r + 120, v->data_bytes);
    }
    uint32_t q = ER_ERM_NONE;
    if (v->quant) {
        const er_quant *vq = v->quant;
        if (vq->n < 1)
            return er_fail(ER_ERR_INTERNAL, "value '%s' has %d quantization scales", v->name,
                           vq->n);
        unsigned char qr[ER_ERM_QUANT_BYTES];
        er_erm_put_u32(qr + 0, (uint32_t)vq->axis);
        er_erm_put_u32(qr + 4, (uint32_t)vq->n);
        er_erm_put_u64(qr + 8, array_ref(w, vq->scale, 4, (size_t)vq->n));
        er_erm_put_u64(qr + 16, array_ref(w, vq->zero_point, 4, (size_t)vq->n));
        buf_put(&w->quant, qr, sizeof qr);
        q = w->n_quant++;
    }
    er_erm_put_u32(r + 128, q);
    buf_put(&w->values, r, sizeof r);
    return ER_OK;
}

static er_status write_tensor(writer *w, const er_tensor *t, uint32_t *index) {
    unsigned char r[ER_ERM_TENSOR_BYTES];
    memset(r, 0, sizeof r);
    if (t->rank < 0 || t->rank > ER_MAX_RANK)
        return er_fail(ER_ERR_INTERNAL, "attribute tensor has rank %d", t->rank);
    er_erm_put_u32(r + 0, (uint32_t)t->dtype);
    er_erm_put_u32(r + 4, (uint32_t)t->rank);
    put_dims(r + 8, t->rank, t->dims);
    size_t bytes = er_tensor_nbytes(t);
    ER_TRY(weight_ref(w, t->data, bytes, &w->tensors, w->tensors.n + 72));
    er_erm_put_u64(r + 80, bytes);
    buf_put(&w->tensors, r, sizeof r);
    *index = w->n_tensors++;
    return ER_OK;
}

static er_status write_attr(writer *w, const er_node *n, const er_attr *a) {
    unsigned char r[ER_ERM_ATTR_BYTES];
    memset(r, 0, sizeof r);
    uint32_t s, f_bits;
    ER_TRY(cstr_ref(w, a->name, &s));
    er_erm_put_u32(r + 0, s);
    er_erm_put_u32(r + 4, (uint32_t)a->type);
    er_erm_put_u64(r + 8, (uint64_t)a->i);
    memcpy(&f_bits, &a->f, 4);
    er_erm_put_u32(r + 16, f_bits);
    uint32_t count = 0;
    uint64_t ref = 0;
    switch (a->type) {
    case ER_ATTR_STRING:
        ER_TRY(str_ref(w, a->s, a->s ? a->s_len : 0, &s));
        ref = s;
        break;
    case ER_ATTR_TENSOR:
        if (!a->t)
            return er_fail(ER_ERR_INTERNAL, "node '%s': attribute '%s' has no tensor", n->name,
                           a->name);
        ER_TRY(write_tensor(w, a->t, &s));
        ref = s;
        break;
    case ER_ATTR_INTS:
        count = (uint32_t)a->n;
        ref = array_ref(w, a->ints, 8, (size_t)a->n);
        break;
    case ER_ATTR_FLOATS:
        count = (uint32_t)a->n;
        ref = array_ref(w, a->floats, 4, (size_t)a->n);
        break;
    case ER_ATTR_STRINGS: {
        count = (uint32_t)a->n;
        uint32_t *idx = er_malloc(sizeof *idx * (size_t)(a->n ? a->n : 1));
        if (!idx) return nomem();
        er_status st = ER_OK;
        for (int k = 0; k < a->n && st == ER_OK; k++) st = cstr_ref(w, a->strings[k], &idx[k]);
        unsigned char *le = (unsigned char *)idx; /* to little-endian in place */
        for (int k = 0; k < a->n && st == ER_OK; k++) er_erm_put_u32(le + 4 * k, idx[k]);
        if (st == ER_OK) ref = array_ref(w, idx, 4, (size_t)a->n);
        er_free(idx);
        ER_TRY(st);
        break;
    }
    default: /* graphs, type protos: the IR keeps no payload */
        break;
    }
    if (a->n < 0) return er_fail(ER_ERR_INTERNAL, "attribute '%s' has %d elements", a->name, a->n);
    er_erm_put_u32(r + 20, count);
    er_erm_put_u64(r + 24, ref);
    buf_put(&w->attrs, r, sizeof r);
    w->n_attrs++;
    return ER_OK;
}

static er_status write_node(writer *w, const er_node *n) {
    unsigned char r[ER_ERM_NODE_BYTES];
    memset(r, 0, sizeof r);
    uint32_t s;
    ER_TRY(cstr_ref(w, n->name, &s));
    er_erm_put_u32(r + 0, s);
    ER_TRY(cstr_ref(w, n->op_type, &s));
    er_erm_put_u32(r + 4, s);
    ER_TRY(cstr_ref(w, n->domain, &s));
    er_erm_put_u32(r + 8, s);
    er_erm_put_u32(r + 12, (uint32_t)n->opset);
    er_erm_put_u32(r + 16, (uint32_t)n->n_in);
    er_erm_put_u32(r + 20, (uint32_t)n->n_out);
    size_t n_io = (size_t)n->n_in + (size_t)n->n_out;
    unsigned char *io = er_malloc(4 * (n_io ? n_io : 1));
    if (!io) return nomem();
    for (int k = 0; k < n->n_in; k++) er_erm_put_u32(io + 4 * k, (uint32_t)n->in[k]);
    for (int k = 0; k < n->n_out; k++)
        er_erm_put_u32(io + 4 * ((size_t)n->n_in + k), (uint32_t)n->out[k]);
    er_erm_put_u64(r + 24, array_ref(w, io, 4, n_io));
    er_free(io);
    er_erm_put_u32(r + 32, w->n_attrs);
    er_erm_put_u32(r + 36, (uint32_t)n->n_attr);
    for (int k = 0; k < n->n_attr; k++) ER_TRY(write_attr(w, n, &n->attr[k]));
    buf_put(&w->nodes, r, sizeof r);
    return ER_OK;
}

static er_status build(writer *w) {
    const er_graph *g = w->g;
    uint32_t empty;
    ER_TRY(cstr_ref(w, "", &empty)); /* string 0 is "" by the format's rule */
    unsigned char gh[ER_ERM_GRAPH_BYTES];
    er_erm_put_u64(gh + 0, (uint64_t)g->opset);
    er_erm_put_u32(gh + 8, (uint32_t)g->n_inputs);
    er_erm_put_u32(gh + 12, (uint32_t)g->n_outputs);
    buf_put(&w->graph, gh, sizeof gh);
    for (int i = 0; i < g->n_inputs; i++) {
        unsigned char *p = buf_grow(&w->graph, 4);
        if (p) er_erm_put_u32(p, (uint32_t)g->inputs[i]);
    }
    for (int i = 0; i < g->n_outputs; i++) {
        unsigned char *p = buf_grow(&w->graph, 4);
        if (p) er_erm_put_u32(p, (uint32_t)g->outputs[i]);
    }
    for (int i = 0; i < g->n_values; i++) ER_TRY(write_value(w, i));
    for (int i = 0; i < g->n_nodes; i++) ER_TRY(write_node(w, &g->nodes[i]));
    buf *all[] = {&w->str_ends, &w->str_chars, &w->graph, &w->values, &w->quant,
                  &w->nodes, &w->attrs, &w->tensors, &w->arrays};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (all[i]->oom) return nomem();
    return ER_OK;
}

static void writer_free(writer *w) {
    buf *all[] = {&w->str_ends, &w->str_chars, &w->graph, &w->values, &w->quant,
                  &w->nodes, &w->attrs, &w->tensors, &w->arrays};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) er_free(all[i]->d);
    er_free(w->str_hash);
    er_free(w->weights);
    er_free(w->order);
    er_free(w->packed_str);
    er_free(w->packed_off);
}

/* ---- emitting ------------------------------------------------------------ */

typedef struct sink {
    FILE *f;      /* file output, or */
    buf *mem;     /* memory output */
    er_xxh64_state hash;
    const char *path;
    er_status st;
} sink;

static void emit(sink *s, const void *p, size_t n) {
    if (s->st != ER_OK || n == 0) return;
    er_xxh64_update(&s->hash, p, n);
    if (s->f) {
        if (fwrite(p, 1, n, s->f) != n)
            s->st = er_fail(ER_ERR_IO, "%s: cannot write: %s", s->path, strerror(errno));
    } else {
        buf_put(s->mem, p, n);
        if (s->mem->oom) s->st = nomem();
    }
}

static void emit_zeros(sink *s, uint64_t n) {
    static const unsigned char zeros[ER_ERM_ALIGN];
    while (n && s->st == ER_OK) {
        size_t k = n < sizeof zeros ? (size_t)n : sizeof zeros;
        emit(s, zeros, k);
        n -= k;
    }
}

typedef struct section {
    uint32_t type;
    uint64_t size, count;
    uint64_t offset;
    uint32_t flags;
    buf stored; /* record sections: the bytes as written (maybe compressed) */
} section;

/* The stored form of a record section: LZ4 of the (partly shuffled) raw
 * bytes when that is smaller (erm_format.h), else the raw bytes. */
static er_status store_section(const writer *w, section *sec, const unsigned char *raw, size_t n,
                               size_t width) {
    if (!(w->flags & ER_ERM_WRITE_PLAIN) && n > 64 && n <= INT32_MAX) {
        size_t shuffled = width > 1 ? width * (size_t)sec->count : 0;
        unsigned char *tmp = er_malloc(n);
        size_t cap = er_lz4_bound(n);
        unsigned char *out = buf_grow(&sec->stored, ER_ERM_LZ4_PREFIX_BYTES + cap);
        if (!tmp || !out) {
            er_free(tmp);
            return nomem();
        }
        if (shuffled) er_erm_shuffle(tmp, raw, width, (size_t)sec->count);
        memcpy(tmp + shuffled, raw + shuffled, n - shuffled);
        size_t z = er_lz4_compress(tmp, n, out + ER_ERM_LZ4_PREFIX_BYTES, cap);
        er_free(tmp);
        if (z && ER_ERM_LZ4_PREFIX_BYTES + z < n) {
            er_erm_put_u64(out, n);
            er_erm_put_u32(out + 8, shuffled ? (uint32_t)width : 0);
            sec->stored.n = ER_ERM_LZ4_PREFIX_BYTES + z;
            sec->size = sec->stored.n;
            sec->flags |= ER_ERM_SEC_LZ4;
            return ER_OK;
        }
        sec->stored.n = 0;
    }
    buf_put(&sec->stored, raw, n);
    sec->size = n;
    return sec->stored.oom ? nomem() : ER_OK;
}

static er_status emit_all(writer *w, sink *s) {
    section sec[10] = {
        {ER_ERM_SEC_STRINGS, 0, w->n_strings, 0, 0, {0}},
        {ER_ERM_SEC_GRAPH, 0, 1, 0, 0, {0}},
        {ER_ERM_SEC_VALUES, 0, (uint64_t)w->g->n_values, 0, 0, {0}},
        {ER_ERM_SEC_QUANT, 0, w->n_quant, 0, 0, {0}},
        {ER_ERM_SEC_NODES, 0, (uint64_t)w->g->n_nodes, 0, 0, {0}},
        {ER_ERM_SEC_ATTRS, 0, w->n_attrs, 0, 0, {0}},
        {ER_ERM_SEC_TENSORS, 0, w->n_tensors, 0, 0, {0}},
        {ER_ERM_SEC_ARRAYS, 0, 0, 0, 0, {0}},
        {ER_ERM_SEC_WEIGHTS, w->weights_bytes, 0, 0, 0, {0}},
    };
    int N_SEC = 9;
    if (w->n_packed)
        sec[N_SEC++] = (section){ER_ERM_SEC_PACKED_WEIGHTS, w->packed_bytes,
                                 (uint64_t)w->n_packed, 0, ER_ERM_SEC_OPTIONAL, {0}};
    er_status st = ER_OK;
    {
        buf strings = {0};
        buf_put(&strings, w->str_ends.d, w->str_ends.n);
        buf_put(&strings, w->str_chars.d, w->str_chars.n);
        const struct { const buf *b; size_t width; } raw[8] = {
            {&strings, 4},           {&w->graph, 0}, {&w->values, ER_ERM_VALUE_BYTES},
            {&w->quant, ER_ERM_QUANT_BYTES}, {&w->nodes, ER_ERM_NODE_BYTES},
            {&w->attrs, ER_ERM_ATTR_BYTES}, {&w->tensors, ER_ERM_TENSOR_BYTES},
            {&w->arrays, 0}};
        st = strings.oom ? nomem() : ER_OK;
        for (int i = 0; i < 8 && st == ER_OK; i++)
            st = store_section(w, &sec[i], raw[i].b->d, raw[i].b->n, raw[i].width);
        er_free(strings.d);
    }
    uint64_t at = ER_ERM_HEADER_BYTES + (uint64_t)N_SEC * ER_ERM_SECTION_BYTES;
    for (int i = 0; i < N_SEC; i++) {
        at = (at + ER_ERM_ALIGN - 1) & ~(uint64_t)(ER_ERM_ALIGN - 1);
        sec[i].offset = at;
        at += sec[i].size;
    }
    uint64_t file_bytes = at;

    unsigned char header[ER_ERM_HEADER_BYTES];
    memset(header, 0, sizeof header);
    /* placeholder header (not hashed); rewritten at the end */
    if (st != ER_OK) {
    } else if (s->f) {
        if (fwrite(header, 1, sizeof header, s->f) != sizeof header)
            st = er_fail(ER_ERR_IO, "%s: cannot write: %s", s->path, strerror(errno));
    } else {
        buf_put(s->mem, header, sizeof header);
        if (s->mem->oom) st = nomem();
    }
    if (st != ER_OK) goto done;
    er_xxh64_init(&s->hash);
    for (int i = 0; i < N_SEC; i++) {
        unsigned char e[ER_ERM_SECTION_BYTES];
        memset(e, 0, sizeof e);
        er_erm_put_u32(e + 0, sec[i].type);
        er_erm_put_u32(e + 4, sec[i].flags);
        er_erm_put_u64(e + 8, sec[i].offset);
        er_erm_put_u64(e + 16, sec[i].size);
        er_erm_put_u64(e + 24, sec[i].count);
        emit(s, e, sizeof e);
    }
    uint64_t pos = ER_ERM_HEADER_BYTES + (uint64_t)N_SEC * ER_ERM_SECTION_BYTES;
    for (int i = 0; i < N_SEC; i++) {
        emit_zeros(s, sec[i].offset - pos);
        pos = sec[i].offset;
        switch (sec[i].type) {
        case ER_ERM_SEC_WEIGHTS: {
            uint64_t wpos = 0;
            for (size_t k = 0; k < w->n_order; k++) {
                const weight *b = &w->weights[w->order[k]];
                emit_zeros(s, b->offset - wpos);
                emit(s, b->data, b->bytes);
                wpos = b->offset + b->bytes;
            }
            break;
        }
        case ER_ERM_SEC_PACKED_WEIGHTS: {
            for (int k = 0; k < w->n_packed; k++) {
                unsigned char e[ER_ERM_PACKED_BYTES];
                memset(e, 0, sizeof e);
                er_erm_put_u32(e + 0, (uint32_t)w->packed[k].value);
                er_erm_put_u32(e + 4, w->packed_str[k]);
                er_erm_put_u64(e + 16, w->packed_off[k]);
                er_erm_put_u64(e + 24, (uint64_t)w->packed[k].bytes);
                emit(s, e, sizeof e);
            }
            uint64_t ppos = (uint64_t)w->n_packed * ER_ERM_PACKED_BYTES;
            for (int k = 0; k < w->n_packed; k++) {
                emit_zeros(s, w->packed_off[k] - ppos);
                emit(s, w->packed[k].data, w->packed[k].bytes);
                ppos = w->packed_off[k] + w->packed[k].bytes;
            }
            break;
        }
        default: emit(s, sec[i].stored.d, sec[i].stored.n); break;
        }
        pos += sec[i].size;
        if (s->st != ER_OK) break;
    }
    st = s->st;
    if (st != ER_OK) goto done;

    memcpy(header, ER_ERM_MAGIC, ER_ERM_MAGIC_BYTES);
    er_erm_put_u16(header + 8, ER_ERM_VERSION_MAJOR);
    er_erm_put_u16(header + 10, ER_ERM_VERSION_MINOR);
    er_erm_put_u32(header + 12, 0);
    er_erm_put_u64(header + 16, file_bytes);
    er_erm_put_u64(header + 24, er_xxh64_digest(&s->hash));
    er_erm_put_u32(header + 32, N_SEC);
    if (s->f) {
        if (fseek(s->f, 0, SEEK_SET) != 0 ||
            fwrite(header, 1, sizeof header, s->f) != sizeof header)
            st = er_fail(ER_ERR_IO, "%s: cannot write: %s", s->path, strerror(errno));
    } else {
        memcpy(s->mem->d, header, sizeof header);
    }
done:
    for (int i = 0; i < N_SEC; i++) er_free(sec[i].stored.d);
    return st;
}

/* Layout strings into the string table; blob offsets in the section (after
 * the entry table, each 64-byte aligned). */
static er_status plan_packed(writer *w) {
    if (!w->n_packed) return ER_OK;
    w->packed_str = er_calloc((size_t)w->n_packed, sizeof *w->packed_str);
    w->packed_off = er_calloc((size_t)w->n_packed, sizeof *w->packed_off);
    if (!w->packed_str || !w->packed_off) return nomem();
    uint64_t at = (uint64_t)w->n_packed * ER_ERM_PACKED_BYTES;
    for (int k = 0; k < w->n_packed; k++) {
        const er_packed_blob *b = &w->packed[k];
        if (b->value < 0 || b->value >= w->g->n_values || !w->g->values[b->value].data)
            return er_fail(ER_ERR_INVALID_ARG, "packed weights %d: value %d is not a constant",
                           k, b->value);
        ER_TRY(cstr_ref(w, b->layout, &w->packed_str[k]));
        at = (at + ER_ERM_ALIGN - 1) & ~(uint64_t)(ER_ERM_ALIGN - 1);
        w->packed_off[k] = at;
        at += b->bytes;
    }
    w->packed_bytes = at;
    return ER_OK;
}

static er_status prepare(const er_graph *g, const er_packed_blob *packed, int n_packed,
                         unsigned flags, writer *w) {
    memset(w, 0, sizeof *w);
    w->g = g;
    w->flags = flags;
    w->packed = packed;
    w->n_packed = packed ? n_packed : 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    /* weights and lists are copied in host order; the format is little-endian */
    return er_fail(ER_ERR_UNSUPPORTED, ".erm files are little-endian; this host is big-endian");
#endif
    er_status st = build(w);
    if (st == ER_OK) st = layout_weights(w);
    if (st == ER_OK) st = plan_packed(w);
    if (st == ER_OK && w->str_ends.oom) st = nomem();
    if (st != ER_OK) writer_free(w);
    return st;
}

er_status er_erm_write_memory(const er_graph *g, void **out, size_t *size) {
    return er_erm_write_memory_flags(g, 0, out, size);
}

er_status er_erm_write_memory_flags(const er_graph *g, unsigned flags, void **out, size_t *size) {
    *out = NULL;
    *size = 0;
    writer w;
    ER_TRY(prepare(g, NULL, 0, flags, &w));
    buf mem = {0};
    sink s = {.mem = &mem, .path = "<memory>", .st = ER_OK};
    er_status st = emit_all(&w, &s);
    writer_free(&w);
    if (st != ER_OK) {
        er_free(mem.d);
        return st;
    }
    /* hand out an aligned buffer so it can be loaded in place like a mapping */
    void *p = er_aligned_alloc(mem.n);
    if (!p) {
        er_free(mem.d);
        return nomem();
    }
    memcpy(p, mem.d, mem.n);
    er_free(mem.d);
    *out = p;
    *size = mem.n;
    return ER_OK;
}

er_status er_erm_write_file(const er_graph *g, const char *path) {
    return er_erm_write_file_packed(g, NULL, 0, path);
}

er_status er_erm_write_file_packed(const er_graph *g, const er_packed_blob *packed, int n_packed,
                                   const char *path) {
    writer w;
    ER_TRY(prepare(g, packed, n_packed, 0, &w));
    size_t n = strlen(path) + 16;
    char *tmp = er_malloc(n);
    if (!tmp) {
        writer_free(&w);
        return nomem();
    }
    snprintf(tmp, n, "%s.tmpXXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        er_status st = er_fail(ER_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
        er_free(tmp);
        writer_free(&w);
        return st;
    }
    /* mkstemp makes the file private (0600); a model is an ordinary file */
    (void)fchmod(fd, 0644);
    FILE *f = fdopen(fd, "wb");
    er_status st;
    if (!f) {
        st = er_fail(ER_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
        close(fd);
    } else {
        sink s = {.f = f, .path = path, .st = ER_OK};
        st = emit_all(&w, &s);
        if (fclose(f) != 0 && st == ER_OK)
            st = er_fail(ER_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
    }
    if (st == ER_OK && rename(tmp, path) != 0)
        st = er_fail(ER_ERR_IO, "%s: cannot rename the temporary file into place: %s", path,
                     strerror(errno));
    if (st != ER_OK) unlink(tmp);
    er_free(tmp);
    writer_free(&w);
    return st;
}
