/* fbw.h - a minimal FlatBuffers writer for tests and fuzz seeds (tests only:
 * the library never writes FlatBuffers).
 *
 * It builds back to front like FlatBuffers' own builder: children (vectors,
 * strings, tables) are created first and return a *ref* (their distance from
 * the end of the buffer); a parent table stores refs in offset fields. Tables
 * are written in one call from a field list, so there is no open-table state:
 *
 *   uint32_t shape = fbw_vec_i32(&b, 2, (int32_t[]){1, 4});
 *   fbw_field f[] = {FBW_REF(0, shape), FBW_U8(1, 0)};
 *   uint32_t tensor = fbw_table(&b, 2, f);
 *   ... fbw_finish(&b, root, "TFL3");   // b.d / b.n: the finished bytes
 *
 * The same ref may be stored in many parents (shared sub-objects), which the
 * hostile-input tests use. Aborts on OOM. */
#ifndef ER_TEST_FBW_H
#define ER_TEST_FBW_H

#include <stddef.h>
#include <stdint.h>

typedef struct fbw {
    uint8_t *buf; /* storage; the data occupies the last `size` bytes */
    size_t cap, size;
    size_t minalign;
    uint8_t *d; /* after fbw_finish: the finished buffer (points into buf) */
    size_t n;
} fbw;

enum { FBW_KIND_U8 = 1, FBW_KIND_U16, FBW_KIND_U32, FBW_KIND_U64, FBW_KIND_REF };

typedef struct fbw_field {
    int id;   /* field index (schema order; a union uses two) */
    int kind; /* FBW_KIND_* */
    uint64_t v;
} fbw_field;

#define FBW_U8(id, x) ((fbw_field){(id), FBW_KIND_U8, (uint64_t)(uint8_t)(x)})
#define FBW_BOOL(id, x) FBW_U8(id, (x) ? 1 : 0)
#define FBW_I32(id, x) ((fbw_field){(id), FBW_KIND_U32, (uint64_t)(uint32_t)(int32_t)(x)})
#define FBW_U32(id, x) ((fbw_field){(id), FBW_KIND_U32, (uint64_t)(uint32_t)(x)})
#define FBW_U64(id, x) ((fbw_field){(id), FBW_KIND_U64, (uint64_t)(x)})
#define FBW_F32(id, x) ((fbw_field){(id), FBW_KIND_U32, (uint64_t)fbw_f32_bits(x)})
#define FBW_REF(id, r) ((fbw_field){(id), FBW_KIND_REF, (uint64_t)(r)})

uint32_t fbw_f32_bits(float f);

void fbw_free(fbw *b);
/* Vectors: elements in order; align >= the element size (e.g. 16 for
 * TFLite Buffer.data). */
uint32_t fbw_vec_bytes(fbw *b, const void *data, size_t n, size_t align);
uint32_t fbw_vec_i32(fbw *b, size_t n, const int32_t *v);
uint32_t fbw_vec_i64(fbw *b, size_t n, const int64_t *v);
uint32_t fbw_vec_f32(fbw *b, size_t n, const float *v);
uint32_t fbw_vec_u16(fbw *b, size_t n, const uint16_t *v);
/* A vector of offsets to tables (refs in order). */
uint32_t fbw_vec_refs(fbw *b, size_t n, const uint32_t *refs);
uint32_t fbw_str(fbw *b, const char *s);
/* A table from n fields (any order; absent fields are simply not listed). */
uint32_t fbw_table(fbw *b, int n, const fbw_field *f);
/* Writes the root offset and a 4-byte file identifier (NULL: none); sets
 * b->d and b->n. */
void fbw_finish(fbw *b, uint32_t root, const char *ident);
/* File offset of a ref in the finished buffer. */
static inline size_t fbw_pos(const fbw *b, uint32_t ref) { return b->n - ref; }

#endif
