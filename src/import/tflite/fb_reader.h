/* fb_reader.h - a bounds-checked FlatBuffers reader (no generated code).
 *
 * FlatBuffers lay a tree of tables out in one buffer: the file starts with a
 * 32-bit offset to the root table; a table starts with a signed 32-bit
 * distance back to its vtable; the vtable lists, per field, the field's byte
 * offset inside the table (0 = absent, use the default). Offset-typed fields
 * (tables, vectors, strings) hold an unsigned 32-bit distance forward from
 * the field itself; vectors and strings start with a 32-bit element count.
 *
 * Nothing here trusts the buffer. Like FlatBuffers' own verifier, every
 * table is checked before any of its fields is read: its alignment, its
 * vtable (inside the file, aligned, at least 4 bytes, even length), its
 * inline size, and the nesting depth (ER_FB_MAX_DEPTH). Every scalar read
 * checks that the field lies inside the table's inline bytes and is aligned;
 * every vector and string is checked to fit in the file (with overflow-checked
 * size math) and strings must be NUL-terminated. A *budget* bounds the total
 * work: each table visited and each vector element the caller decodes is
 * charged, so a hostile file whose many tables share one huge vector (or
 * whose offsets form a cycle that a caller follows repeatedly) runs out of
 * budget with an error instead of amplifying into huge work or memory.
 *
 * Errors are ER_ERR_INVALID_MODEL with a message naming the table type, the
 * field and the byte offset, e.g.
 *   "Tensor.shape (field 0) at offset 4412: vector of 1073741824 x 4 bytes
 *    runs past the end of the buffer (9000 bytes)".
 * Callers prefix their own path ("subgraphs[0].tensors[7]: ").
 *
 * Values are read little-endian one byte at a time, so unaligned
 * data can never be undefined behaviour even where alignment is not
 * enforced (vector elements). */
#ifndef ER_IMPORT_TFLITE_FB_READER_H
#define ER_IMPORT_TFLITE_FB_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edgerun.h"

/* Deepest table nesting accepted (FlatBuffers' verifier default is 64). */
#define ER_FB_MAX_DEPTH 64

typedef struct er_fb {
    const uint8_t *data;
    size_t size;
    uint64_t budget; /* tables + decoded vector elements still allowed */
} er_fb;

/* A verified table. A table with vt_size == 0 is the "absent" table: every
 * field reads as its default (used for missing optional sub-tables). */
typedef struct er_fb_table {
    er_fb *fb;
    const char *type; /* schema name, for messages */
    size_t pos;       /* file offset of the table */
    unsigned vt_size; /* vtable bytes */
    unsigned size;    /* inline table bytes */
    size_t vt;        /* file offset of the vtable */
    int depth;        /* root = 0 */
} er_fb_table;

/* A verified vector: n elements of elem_size bytes at pos. */
typedef struct er_fb_vec {
    er_fb *fb;
    size_t pos;       /* file offset of element 0 */
    uint32_t n;
    unsigned elem_size;
    int depth;        /* depth of the table that holds the vector */
    const char *what; /* "Type.field", for messages about elements */
} er_fb_vec;

/* Sets up a reader over [data, data + size). The budget allows visiting
 * 16 tables or elements per byte of buffer plus 2^20. */
void er_fb_init(er_fb *fb, const void *data, size_t size);

/* Verifies the root table (type names it in messages). Fails when the
 * buffer is shorter than 8 bytes or the root offset is bad. */
er_status er_fb_root(er_fb *fb, const char *type, er_fb_table *out);

/* An absent table of the given type (all fields default). */
er_fb_table er_fb_absent(er_fb *fb, const char *type, int depth);

/* True when the table stores `field` (vtable slot present and non-zero). */
bool er_fb_has(const er_fb_table *t, int field);

/* Scalars: field index (0-based, schema order; a union takes two slots),
 * field name for messages, default when absent. */
er_status er_fb_u8(const er_fb_table *t, int field, const char *name, uint8_t def, uint8_t *out);
er_status er_fb_i8(const er_fb_table *t, int field, const char *name, int8_t def, int8_t *out);
er_status er_fb_bool(const er_fb_table *t, int field, const char *name, bool def, bool *out);
er_status er_fb_i32(const er_fb_table *t, int field, const char *name, int32_t def,
                    int32_t *out);
er_status er_fb_u32(const er_fb_table *t, int field, const char *name, uint32_t def,
                    uint32_t *out);
er_status er_fb_u64(const er_fb_table *t, int field, const char *name, uint64_t def,
                    uint64_t *out);
er_status er_fb_f32(const er_fb_table *t, int field, const char *name, float def, float *out);

/* A sub-table. When absent, *present is false and *out is the absent
 * table (defaults). child_type names the sub-table's schema type. */
er_status er_fb_table_field(const er_fb_table *t, int field, const char *name,
                            const char *child_type, er_fb_table *out, bool *present);

/* A vector of scalars or offsets with elem_size-byte elements. Absent:
 * *present = false and an empty vector. */
er_status er_fb_vec_field(const er_fb_table *t, int field, const char *name, unsigned elem_size,
                          er_fb_vec *out, bool *present);

/* A string: *s points into the buffer (NUL-terminated there), *len its
 * length. Absent: *s = "" and *len = 0. */
er_status er_fb_str_field(const er_fb_table *t, int field, const char *name, const char **s,
                          uint32_t *len);

/* A union: type_field holds the type byte, value_field the table. *utype is
 * 0 (NONE) when absent; then *value is the absent table. value_type names
 * the union member's schema type for messages. A non-zero type with no
 * value gives the absent table too (FlatBuffers' verifier accepts it). */
er_status er_fb_union_field(const er_fb_table *t, int type_field, int value_field,
                            const char *name, const char *value_type, uint8_t *utype,
                            er_fb_table *value);

/* Element i of a vector of tables (i < v->n). */
er_status er_fb_vec_table(const er_fb_vec *v, uint32_t i, const char *type, er_fb_table *out);

/* Scalar elements (i < v->n, elem_size matching; checked by the vector). */
uint8_t er_fb_vec_u8(const er_fb_vec *v, uint32_t i);
uint16_t er_fb_vec_u16(const er_fb_vec *v, uint32_t i);
int32_t er_fb_vec_i32(const er_fb_vec *v, uint32_t i);
int64_t er_fb_vec_i64(const er_fb_vec *v, uint32_t i);
float er_fb_vec_f32(const er_fb_vec *v, uint32_t i);

/* Charges n units of work (decoded elements) against the budget; fails,
 * naming `what` and offset, when it runs out. */
er_status er_fb_charge(er_fb *fb, uint64_t n, const char *what, size_t offset);

/* Little-endian loads from the buffer (callers check bounds). */
static inline uint16_t er_fb_le16(const uint8_t *p) {
    return (uint16_t)(p[0] | (unsigned)p[1] << 8);
}
static inline uint32_t er_fb_le32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t er_fb_le64(const uint8_t *p) {
    return (uint64_t)er_fb_le32(p) | (uint64_t)er_fb_le32(p + 4) << 32;
}

#endif
