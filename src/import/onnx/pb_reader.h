/* pb_reader.h - a bounds-checked protobuf wire-format reader.
 *
 * No schema, no allocation: er_pb_next() walks the fields of one message and
 * hands back each field's number, wire type and value (a varint, a fixed
 * 32/64-bit word, or a byte slice for length-delimited fields, which may be a
 * nested message, a string or a packed array). Every read checks the bounds
 * of the enclosing message, so a hostile file can only produce an error,
 * which names the absolute file offset. */
#ifndef ER_IMPORT_PB_READER_H
#define ER_IMPORT_PB_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edgerun.h"

enum { ER_PB_VARINT = 0, ER_PB_I64 = 1, ER_PB_LEN = 2, ER_PB_I32 = 5 };

typedef struct er_pb {
    const uint8_t *base; /* start of the file: offsets in messages are p - base */
    const uint8_t *p;    /* next unread byte */
    const uint8_t *end;  /* end of this message */
} er_pb;

typedef struct er_pb_field {
    uint32_t num;
    int wire;
    uint64_t u;          /* VARINT, I64, I32 values */
    const uint8_t *data; /* LEN: the slice */
    size_t len;
    size_t offset;       /* file offset of the field's tag */
} er_pb_field;

/* A reader over [data, data + len); base is the file start used for offsets. */
er_pb er_pb_init(const uint8_t *base, const uint8_t *data, size_t len);
/* A reader over a LEN field's slice. */
er_pb er_pb_sub(const er_pb *parent, const er_pb_field *f);
static inline bool er_pb_done(const er_pb *r) { return r->p >= r->end; }
static inline size_t er_pb_offset(const er_pb *r) { return (size_t)(r->p - r->base); }

/* Reads the next field. Fails on a truncated/overlong varint, a length past
 * the message end, field number 0, or a group/unknown wire type. */
er_status er_pb_next(er_pb *r, er_pb_field *f);

/* Reads one varint from r (for packed arrays). */
er_status er_pb_varint(er_pb *r, uint64_t *v);

/* Counts the elements of a repeated scalar field stored either packed (LEN)
 * or as one element (VARINT/I32/I64). elem_wire is the field's scalar wire
 * type. Fails on a malformed packed slice. */
er_status er_pb_packed_count(const er_pb *r, const er_pb_field *f, int elem_wire, size_t *count);

/* Decodes element values of such a field into out (count from
 * er_pb_packed_count) as raw 64-bit words: varints zero-extended, fixed32
 * as the 32-bit pattern, fixed64 as the 64-bit pattern. */
er_status er_pb_packed_read(const er_pb *r, const er_pb_field *f, int elem_wire, uint64_t *out,
                            size_t count);

#endif
