/* pb_reader.c - protobuf wire format, checked at every byte. */
#include "pb_reader.h"

#include <string.h>

#include "core/status.h"

er_pb er_pb_init(const uint8_t *base, const uint8_t *data, size_t len) {
    er_pb r = {base, data, data + len};
    return r;
}

er_pb er_pb_sub(const er_pb *parent, const er_pb_field *f) {
    return er_pb_init(parent->base, f->data, f->len);
}

er_status er_pb_varint(er_pb *r, uint64_t *v) {
    uint64_t x = 0;
    size_t start = er_pb_offset(r);
    for (int shift = 0; shift < 70; shift += 7) {
        if (r->p >= r->end)
            return er_fail(ER_ERR_INVALID_MODEL, "truncated varint at offset %zu", start);
        uint8_t b = *r->p++;
        if (shift == 63 && (b & 0x7e))
            return er_fail(ER_ERR_INVALID_MODEL, "varint overflows 64 bits at offset %zu", start);
        x |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = x;
            return ER_OK;
        }
    }
    return er_fail(ER_ERR_INVALID_MODEL, "varint longer than 10 bytes at offset %zu", start);
}

static er_status fixed(er_pb *r, size_t n, uint64_t *v) {
    if ((size_t)(r->end - r->p) < n)
        return er_fail(ER_ERR_INVALID_MODEL, "truncated %zu-byte value at offset %zu", n,
                       er_pb_offset(r));
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++) x |= (uint64_t)r->p[i] << (8 * i);
    r->p += n;
    *v = x;
    return ER_OK;
}

er_status er_pb_next(er_pb *r, er_pb_field *f) {
    uint64_t tag;
    memset(f, 0, sizeof *f);
    f->offset = er_pb_offset(r);
    ER_TRY(er_pb_varint(r, &tag));
    if ((tag >> 3) == 0 || (tag >> 3) > 0x1fffffff)
        return er_fail(ER_ERR_INVALID_MODEL, "invalid field number %llu at offset %zu",
                       (unsigned long long)(tag >> 3), f->offset);
    f->num = (uint32_t)(tag >> 3);
    f->wire = (int)(tag & 7);
    switch (f->wire) {
    case ER_PB_VARINT: return er_pb_varint(r, &f->u);
    case ER_PB_I64: return fixed(r, 8, &f->u);
    case ER_PB_I32: return fixed(r, 4, &f->u);
    case ER_PB_LEN: {
        uint64_t len;
        size_t at = er_pb_offset(r);
        ER_TRY(er_pb_varint(r, &len));
        size_t left = (size_t)(r->end - r->p);
        if (len > left)
            return er_fail(ER_ERR_INVALID_MODEL,
                           "field %u: length %llu at offset %zu runs past the end of its "
                           "message (%zu bytes left)",
                           f->num, (unsigned long long)len, at, left);
        f->data = r->p;
        f->len = (size_t)len;
        r->p += len;
        return ER_OK;
    }
    default:
        return er_fail(ER_ERR_INVALID_MODEL,
                       "field %u: unsupported wire type %d at offset %zu (groups are obsolete)",
                       f->num, f->wire, f->offset);
    }
}

er_status er_pb_packed_count(const er_pb *r, const er_pb_field *f, int elem_wire, size_t *count) {
    if (f->wire == elem_wire) {
        *count = 1;
        return ER_OK;
    }
    if (f->wire != ER_PB_LEN)
        return er_fail(ER_ERR_INVALID_MODEL, "field %u: wire type %d at offset %zu, expected %d",
                       f->num, f->wire, f->offset, elem_wire);
    if (elem_wire == ER_PB_I32 || elem_wire == ER_PB_I64) {
        size_t w = elem_wire == ER_PB_I32 ? 4 : 8;
        if (f->len % w)
            return er_fail(ER_ERR_INVALID_MODEL,
                           "field %u: packed array of %zu bytes at offset %zu is not a multiple "
                           "of %zu",
                           f->num, f->len, f->offset, w);
        *count = f->len / w;
        return ER_OK;
    }
    er_pb s = er_pb_sub(r, f);
    size_t n = 0;
    while (!er_pb_done(&s)) {
        uint64_t v;
        ER_TRY(er_pb_varint(&s, &v));
        n++;
    }
    *count = n;
    return ER_OK;
}

er_status er_pb_packed_read(const er_pb *r, const er_pb_field *f, int elem_wire, uint64_t *out,
                            size_t count) {
    if (f->wire == elem_wire) {
        if (count >= 1) out[0] = f->u;
        return ER_OK;
    }
    er_pb s = er_pb_sub(r, f);
    for (size_t i = 0; i < count; i++) {
        if (elem_wire == ER_PB_VARINT) ER_TRY(er_pb_varint(&s, &out[i]));
        else ER_TRY(fixed(&s, elem_wire == ER_PB_I32 ? 4 : 8, &out[i]));
    }
    return ER_OK;
}
