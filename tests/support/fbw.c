/* fbw.c - back-to-front FlatBuffers writing for tests (see fbw.h).
 *
 * Invariant: the bytes written so far are buf[cap - size, cap); a ref is the
 * value of `size` right after an object's first byte was written, so its
 * final file offset is n - ref. */
#include "fbw.h"

#include <stdlib.h>
#include <string.h>

uint32_t fbw_f32_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

void fbw_free(fbw *b) {
    free(b->buf);
    memset(b, 0, sizeof *b);
}

static void grow(fbw *b, size_t need) {
    if (b->size + need <= b->cap) return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->size + need) cap *= 2;
    uint8_t *nb = malloc(cap);
    if (!nb) abort();
    /* keep the data at the end */
    if (b->size) memcpy(nb + cap - b->size, b->buf + b->cap - b->size, b->size);
    free(b->buf);
    b->buf = nb;
    b->cap = cap;
}

static void push(fbw *b, const void *p, size_t n) {
    grow(b, n);
    b->size += n;
    memcpy(b->buf + b->cap - b->size, p, n);
}

static void pad(fbw *b, size_t n) {
    static const uint8_t zeros[32];
    while (n) {
        size_t k = n < sizeof zeros ? n : sizeof zeros;
        push(b, zeros, k);
        n -= k;
    }
}

/* Pads so that after writing `additional` bytes the size is a multiple of
 * align (FlatBuffers' prep()). */
static void prep(fbw *b, size_t align, size_t additional) {
    if (align > b->minalign) b->minalign = align;
    size_t rem = (b->size + additional) % align;
    if (rem) pad(b, align - rem);
}

static void push_u32(fbw *b, uint32_t v) {
    uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    push(b, x, 4);
}

static void push_u16(fbw *b, uint16_t v) {
    uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    push(b, x, 2);
}

static void push_le(fbw *b, uint64_t v, size_t width) {
    uint8_t x[8];
    for (size_t i = 0; i < width; i++) x[i] = (uint8_t)(v >> (8 * i));
    push(b, x, width);
}

uint32_t fbw_vec_bytes(fbw *b, const void *data, size_t n, size_t align) {
    if (align < 4) align = 4;
    prep(b, 4, n);          /* the length word */
    prep(b, align, n);      /* the elements */
    push(b, data, n);
    push_u32(b, (uint32_t)n);
    return (uint32_t)b->size;
}

static uint32_t vec_le(fbw *b, size_t n, const void *v, size_t width) {
    prep(b, 4, n * width);
    prep(b, width > 4 ? width : 4, n * width);
    const uint8_t *p = v;
    for (size_t i = n; i-- > 0;) {
        uint64_t x = 0;
        for (size_t k = 0; k < width; k++) x |= (uint64_t)p[i * width + k] << (8 * k);
        push_le(b, x, width);
    }
    push_u32(b, (uint32_t)n);
    return (uint32_t)b->size;
}

/* host is little-endian on every target the tests run on; vec_le re-packs
 * bytes explicitly anyway */
uint32_t fbw_vec_i32(fbw *b, size_t n, const int32_t *v) { return vec_le(b, n, v, 4); }
uint32_t fbw_vec_i64(fbw *b, size_t n, const int64_t *v) { return vec_le(b, n, v, 8); }
uint32_t fbw_vec_f32(fbw *b, size_t n, const float *v) { return vec_le(b, n, v, 4); }
uint32_t fbw_vec_u16(fbw *b, size_t n, const uint16_t *v) { return vec_le(b, n, v, 2); }

uint32_t fbw_vec_refs(fbw *b, size_t n, const uint32_t *refs) {
    prep(b, 4, n * 4);
    for (size_t i = n; i-- > 0;) {
        /* the element's own position is size + 4 once written */
        push_u32(b, (uint32_t)(b->size + 4 - refs[i]));
    }
    push_u32(b, (uint32_t)n);
    return (uint32_t)b->size;
}

uint32_t fbw_str(fbw *b, const char *s) {
    size_t n = strlen(s);
    prep(b, 4, n + 1);
    push(b, "", 1);
    push(b, s, n);
    push_u32(b, (uint32_t)n);
    return (uint32_t)b->size;
}

static size_t width_of(int kind) {
    switch (kind) {
    case FBW_KIND_U8: return 1;
    case FBW_KIND_U16: return 2;
    case FBW_KIND_U64: return 8;
    default: return 4;
    }
}

uint32_t fbw_table(fbw *b, int n, const fbw_field *f) {
    /* write the fields largest first so each is naturally aligned */
    int order[64];
    int max_id = -1;
    for (int i = 0; i < n && i < 64; i++) {
        order[i] = i;
        if (f[i].id > max_id) max_id = f[i].id;
    }
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && width_of(f[order[j]].kind) > width_of(f[order[j - 1]].kind); j--) {
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    size_t field_ref[64];
    prep(b, 4, 0);
    size_t table_end = b->size;
    for (int k = 0; k < n; k++) { /* largest first: least padding */
        const fbw_field *x = &f[order[k]];
        size_t w = width_of(x->kind);
        prep(b, w, w);
        if (x->kind == FBW_KIND_REF) push_u32(b, (uint32_t)(b->size + 4 - x->v));
        else push_le(b, x->v, w);
        field_ref[order[k]] = b->size;
    }
    prep(b, 4, 4);
    push_u32(b, 0); /* soffset to the vtable, patched below */
    size_t table_ref = b->size;
    size_t table_size = table_ref - table_end;
    /* vtable: [vt_size, table_size, slot...] written just before the table */
    int n_slots = max_id + 1;
    size_t vt_size = 4 + 2 * (size_t)n_slots;
    uint16_t slots[64];
    memset(slots, 0, sizeof slots);
    for (int i = 0; i < n; i++) slots[f[i].id] = (uint16_t)(table_ref - field_ref[i]);
    for (int s = n_slots; s-- > 0;) push_u16(b, slots[s]);
    push_u16(b, (uint16_t)table_size);
    push_u16(b, (uint16_t)vt_size);
    size_t vt_ref = b->size;
    /* soffset = table_pos - vtable_pos = (n - table_ref) - (n - vt_ref) */
    int32_t soff = (int32_t)(vt_ref - table_ref);
    uint8_t *tp = b->buf + b->cap - table_ref;
    uint32_t u = (uint32_t)soff;
    tp[0] = (uint8_t)u;
    tp[1] = (uint8_t)(u >> 8);
    tp[2] = (uint8_t)(u >> 16);
    tp[3] = (uint8_t)(u >> 24);
    return (uint32_t)table_ref;
}

void fbw_finish(fbw *b, uint32_t root, const char *ident) {
    size_t minalign = b->minalign > 16 ? b->minalign : 16;
    prep(b, minalign, 4 + (ident ? 4 : 0));
    if (ident) push(b, ident, 4);
    push_u32(b, (uint32_t)(b->size + 4 - root));
    b->d = b->buf + b->cap - b->size;
    b->n = b->size;
}
