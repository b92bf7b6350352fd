/* fb_reader.c - bounds-checked FlatBuffers access; see fb_reader.h.
 *
 * Invariant: an er_fb_table handed out has passed verify_table, so its
 * vtable [vt, vt + vt_size) and inline bytes [pos, pos + size) lie inside
 * the buffer; field reads then only check the field against `size`. An
 * er_fb_vec handed out has [pos, pos + n * elem_size) inside the buffer. */
#include "fb_reader.h"

#include <string.h>

#include "core/checked_math.h"
#include "core/status.h"

void er_fb_init(er_fb *fb, const void *data, size_t size) {
    fb->data = data;
    fb->size = size;
    uint64_t b = (uint64_t)size * 16u;
    fb->budget = b + (1u << 20);
}

er_status er_fb_charge(er_fb *fb, uint64_t n, const char *what, size_t offset) {
    if (n > fb->budget)
        return er_fail(ER_ERR_INVALID_MODEL, "%s at offset %zu: the file makes the reader visit "
                       "more tables and elements than its size allows (shared or cyclic "
                       "offsets?)", what, offset);
    fb->budget -= n;
    return ER_OK;
}

er_fb_table er_fb_absent(er_fb *fb, const char *type, int depth) {
    er_fb_table t;
    memset(&t, 0, sizeof t);
    t.fb = fb;
    t.type = type;
    t.depth = depth;
    return t;
}

/* Verifies the table at pos (reached from `from`, the offset of the field or
 * element that points to it). */
static er_status verify_table(er_fb *fb, size_t pos, const char *type, int depth,
                              er_fb_table *out) {
    if (depth > ER_FB_MAX_DEPTH)
        return er_fail(ER_ERR_INVALID_MODEL, "%s table at offset %zu: nesting deeper than %d "
                       "tables", type, pos, ER_FB_MAX_DEPTH);
    ER_TRY(er_fb_charge(fb, 1, type, pos));
    if (pos % 4 != 0)
        return er_fail(ER_ERR_INVALID_MODEL, "%s table at offset %zu: not 4-byte aligned", type,
                       pos);
    if (pos > fb->size || fb->size - pos < 4)
        return er_fail(ER_ERR_INVALID_MODEL, "%s table at offset %zu: runs past the end of the "
                       "buffer (%zu bytes)", type, pos, fb->size);
    int32_t soff = (int32_t)er_fb_le32(fb->data + pos);
    /* vtable = pos - soff, computed in 64 bits so no wrap is possible */
    int64_t vt = (int64_t)pos - (int64_t)soff;
    if (vt < 0 || (uint64_t)vt > fb->size || fb->size - (size_t)vt < 4)
        return er_fail(ER_ERR_INVALID_MODEL, "%s table at offset %zu: vtable offset %lld is "
                       "outside the buffer (%zu bytes)", type, pos, (long long)vt, fb->size);
    if (vt % 2 != 0)
        return er_fail(ER_ERR_INVALID_MODEL, "%s table at offset %zu: vtable at %lld is not "
                       "2-byte aligned", type, pos, (long long)vt);
    unsigned vt_size = er_fb_le16(fb->data + vt), size = er_fb_le16(fb->data + vt + 2);
    if (vt_size < 4 || vt_size % 2 != 0 || vt_size > fb->size - (size_t)vt)
        return er_fail(ER_ERR_INVALID_MODEL, "%s table at offset %zu: vtable at %lld has bad "
                       "length %u (buffer %zu bytes)", type, pos, (long long)vt, vt_size,
                       fb->size);
    if (size < 4 || size > fb->size - pos)
        return er_fail(ER_ERR_INVALID_MODEL, "%s table at offset %zu: inline size %u runs past "
                       "the end of the buffer (%zu bytes)", type, pos, size, fb->size);
    out->fb = fb;
    out->type = type;
    out->pos = pos;
    out->vt = (size_t)vt;
    out->vt_size = vt_size;
    out->size = size;
    out->depth = depth;
    return ER_OK;
}

er_status er_fb_root(er_fb *fb, const char *type, er_fb_table *out) {
    if (fb->size < 8)
        return er_fail(ER_ERR_INVALID_MODEL, "%s: buffer of %zu bytes is too short for a "
                       "FlatBuffer (at least 8)", type, fb->size);
    uint32_t off = er_fb_le32(fb->data);
    return verify_table(fb, off, type, 0, out);
}

/* Byte offset of a field inside the table, 0 when absent. */
static unsigned field_off(const er_fb_table *t, int field) {
    if (field < 0 || t->vt_size == 0) return 0;
    size_t slot = 4 + 2 * (size_t)field;
    if (slot + 2 > t->vt_size) return 0;
    return er_fb_le16(t->fb->data + t->vt + slot);
}

bool er_fb_has(const er_fb_table *t, int field) { return field_off(t, field) != 0; }

/* Locates a scalar of `width` bytes; *p = NULL when absent. */
static er_status scalar_at(const er_fb_table *t, int field, const char *name, unsigned width,
                           const uint8_t **p) {
    *p = NULL;
    unsigned off = field_off(t, field);
    if (!off) return ER_OK;
    if (off < 4 || off > t->size || t->size - off < width)
        return er_fail(ER_ERR_INVALID_MODEL, "%s.%s (field %d) of the table at offset %zu: "
                       "field offset %u + %u bytes is outside the table's %u bytes", t->type,
                       name, field, t->pos, off, width, t->size);
    if ((t->pos + off) % width != 0)
        return er_fail(ER_ERR_INVALID_MODEL, "%s.%s (field %d) at offset %zu: not %u-byte "
                       "aligned", t->type, name, field, t->pos + off, width);
    *p = t->fb->data + t->pos + off;
    return ER_OK;
}

er_status er_fb_u8(const er_fb_table *t, int field, const char *name, uint8_t def, uint8_t *out) {
    const uint8_t *p;
    ER_TRY(scalar_at(t, field, name, 1, &p));
    *out = p ? p[0] : def;
    return ER_OK;
}

er_status er_fb_i8(const er_fb_table *t, int field, const char *name, int8_t def, int8_t *out) {
    uint8_t u;
    ER_TRY(er_fb_u8(t, field, name, (uint8_t)def, &u));
    *out = (int8_t)u;
    return ER_OK;
}

er_status er_fb_bool(const er_fb_table *t, int field, const char *name, bool def, bool *out) {
    uint8_t u;
    ER_TRY(er_fb_u8(t, field, name, def ? 1 : 0, &u));
    *out = u != 0;
    return ER_OK;
}

er_status er_fb_u32(const er_fb_table *t, int field, const char *name, uint32_t def,
                    uint32_t *out) {
    const uint8_t *p;
    ER_TRY(scalar_at(t, field, name, 4, &p));
    *out = p ? er_fb_le32(p) : def;
    return ER_OK;
}

er_status er_fb_i32(const er_fb_table *t, int field, const char *name, int32_t def,
                    int32_t *out) {
    uint32_t u;
    ER_TRY(er_fb_u32(t, field, name, (uint32_t)def, &u));
    *out = (int32_t)u;
    return ER_OK;
}

er_status er_fb_u64(const er_fb_table *t, int field, const char *name, uint64_t def,
                    uint64_t *out) {
    const uint8_t *p;
    ER_TRY(scalar_at(t, field, name, 8, &p));
    *out = p ? er_fb_le64(p) : def;
    return ER_OK;
}

er_status er_fb_f32(const er_fb_table *t, int field, const char *name, float def, float *out) {
    uint32_t u, d;
    memcpy(&d, &def, 4);
    ER_TRY(er_fb_u32(t, field, name, d, &u));
    memcpy(out, &u, 4);
    return ER_OK;
}

/* Follows an offset-typed field: *target = absolute offset, or 0 (and
 * *present false) when absent. */
static er_status follow(const er_fb_table *t, int field, const char *name, size_t *target,
                        bool *present) {
    const uint8_t *p;
    *present = false;
    *target = 0;
    ER_TRY(scalar_at(t, field, name, 4, &p));
    if (!p) return ER_OK;
    size_t at = (size_t)(p - t->fb->data);
    uint32_t rel = er_fb_le32(p);
    /* offsets point forward; 0 would point at the field itself */
    if (rel == 0 || rel > t->fb->size - at)
        return er_fail(ER_ERR_INVALID_MODEL, "%s.%s (field %d) at offset %zu: offset %u points "
                       "outside the buffer (%zu bytes)", t->type, name, field, at, rel,
                       t->fb->size);
    *target = at + rel;
    *present = true;
    return ER_OK;
}

er_status er_fb_table_field(const er_fb_table *t, int field, const char *name,
                            const char *child_type, er_fb_table *out, bool *present) {
    size_t target;
    ER_TRY(follow(t, field, name, &target, present));
    if (!*present) {
        *out = er_fb_absent(t->fb, child_type, t->depth + 1);
        return ER_OK;
    }
    er_status st = verify_table(t->fb, target, child_type, t->depth + 1, out);
    if (st != ER_OK) er_error_prefix("%s.%s: ", t->type, name);
    return st;
}

/* Verifies a length-prefixed vector/string at target. */
static er_status verify_vec(const er_fb_table *t, int field, const char *name, size_t target,
                            unsigned elem_size, er_fb_vec *out) {
    er_fb *fb = t->fb;
    if (target % 4 != 0)
        return er_fail(ER_ERR_INVALID_MODEL, "%s.%s (field %d): vector at offset %zu is not "
                       "4-byte aligned", t->type, name, field, target);
    if (fb->size - target < 4)
        return er_fail(ER_ERR_INVALID_MODEL, "%s.%s (field %d): vector length at offset %zu "
                       "runs past the end of the buffer (%zu bytes)", t->type, name, field,
                       target, fb->size);
    uint32_t n = er_fb_le32(fb->data + target);
    size_t bytes;
    if (!er_mul_size(&bytes, n, elem_size) || bytes > fb->size - target - 4)
        return er_fail(ER_ERR_INVALID_MODEL, "%s.%s (field %d) at offset %zu: vector of %u x "
                       "%u bytes runs past the end of the buffer (%zu bytes)", t->type, name,
                       field, target, n, elem_size, fb->size);
    out->fb = fb;
    out->pos = target + 4;
    out->n = n;
    out->elem_size = elem_size;
    out->depth = t->depth;
    out->what = t->type;
    return ER_OK;
}

er_status er_fb_vec_field(const er_fb_table *t, int field, const char *name, unsigned elem_size,
                          er_fb_vec *out, bool *present) {
    memset(out, 0, sizeof *out);
    out->fb = t->fb;
    out->elem_size = elem_size;
    out->depth = t->depth;
    out->what = t->type;
    size_t target;
    ER_TRY(follow(t, field, name, &target, present));
    if (!*present) return ER_OK;
    return verify_vec(t, field, name, target, elem_size, out);
}

er_status er_fb_str_field(const er_fb_table *t, int field, const char *name, const char **s,
                          uint32_t *len) {
    *s = "";
    *len = 0;
    size_t target;
    bool present;
    ER_TRY(follow(t, field, name, &target, &present));
    if (!present) return ER_OK;
    er_fb_vec v;
    ER_TRY(verify_vec(t, field, name, target, 1, &v));
    /* the terminating NUL must be inside the buffer too */
    if (v.pos + v.n >= t->fb->size || t->fb->data[v.pos + v.n] != 0)
        return er_fail(ER_ERR_INVALID_MODEL, "%s.%s (field %d): string at offset %zu of length "
                       "%u is not NUL-terminated inside the buffer", t->type, name, field,
                       target, v.n);
    *s = (const char *)t->fb->data + v.pos;
    *len = v.n;
    return ER_OK;
}

er_status er_fb_union_field(const er_fb_table *t, int type_field, int value_field,
                            const char *name, const char *value_type, uint8_t *utype,
                            er_fb_table *value) {
    ER_TRY(er_fb_u8(t, type_field, name, 0, utype));
    if (*utype == 0) {
        *value = er_fb_absent(t->fb, value_type, t->depth + 1);
        return ER_OK;
    }
    bool present;
    return er_fb_table_field(t, value_field, name, value_type, value, &present);
}

er_status er_fb_vec_table(const er_fb_vec *v, uint32_t i, const char *type, er_fb_table *out) {
    if (i >= v->n || v->elem_size != 4)
        return er_fail(ER_ERR_INTERNAL, "%s: table element %u of %u read wrongly", v->what, i,
                       v->n);
    size_t at = v->pos + 4 * (size_t)i;
    uint32_t rel = er_fb_le32(v->fb->data + at);
    if (rel == 0 || rel > v->fb->size - at)
        return er_fail(ER_ERR_INVALID_MODEL, "%s: element %u at offset %zu: offset %u points "
                       "outside the buffer (%zu bytes)", v->what, i, at, rel, v->fb->size);
    return verify_table(v->fb, at + rel, type, v->depth + 1, out);
}

/* Scalar element loads; the vector was verified to hold n elements. An
 * index out of range reads 0 (a caller bug, never a buffer over-read). */
static const uint8_t *elem(const er_fb_vec *v, uint32_t i, unsigned width) {
    if (i >= v->n || v->elem_size != width) return NULL;
    return v->fb->data + v->pos + (size_t)i * width;
}

uint8_t er_fb_vec_u8(const er_fb_vec *v, uint32_t i) {
    const uint8_t *p = elem(v, i, 1);
    return p ? p[0] : 0;
}

uint16_t er_fb_vec_u16(const er_fb_vec *v, uint32_t i) {
    const uint8_t *p = elem(v, i, 2);
    return p ? er_fb_le16(p) : 0;
}

int32_t er_fb_vec_i32(const er_fb_vec *v, uint32_t i) {
    const uint8_t *p = elem(v, i, 4);
    return p ? (int32_t)er_fb_le32(p) : 0;
}

int64_t er_fb_vec_i64(const er_fb_vec *v, uint32_t i) {
    const uint8_t *p = elem(v, i, 8);
    return p ? (int64_t)er_fb_le64(p) : 0;
}

float er_fb_vec_f32(const er_fb_vec *v, uint32_t i) {
    const uint8_t *p = elem(v, i, 4);
    uint32_t u = p ? er_fb_le32(p) : 0;
    float f;
    memcpy(&f, &u, 4);
    return f;
}
