/* erm_format.h - the on-disk layout of edgerun's native model format, .erm.
 *
 * An .erm file is the graph IR written out so that loading it is a handful of
 * bounds checks and no parsing of weights: every weight starts at a 64-byte
 * aligned offset, and a memory-mapped file is used in place (zero copy).
 *
 * All integers are little-endian; records are fixed-size and their fields are
 * naturally aligned inside them. Hosts that are big-endian are refused at
 * load time (weights are used in place, so they cannot be byte-swapped on the
 * fly). Offsets are from the start of the file unless a field says otherwise.
 *
 *   +------------------------------+ 0
 *   | header (64 bytes)            |
 *   +------------------------------+ 64
 *   | section table                |  section_count entries of 32 bytes
 *   +------------------------------+ (next multiple of 64)
 *   | sections, each at a multiple |  in any order, never overlapping,
 *   | of 64, padding bytes zero    |  all inside file_bytes
 *   +------------------------------+ file_bytes
 *
 * Header (ER_ERM_HEADER_BYTES = 64):
 *    0  u8[8]  magic "\x89ERM\r\n\x1a\n" (PNG-style: catches text-mode transfers)
 *    8  u16    version_major  a reader refuses a major it does not know
 *   10  u16    version_minor  newer minors only add optional sections or use
 *                             reserved fields; older readers load them
 *   12  u32    flags          no flag is defined in 1.x or 2.0; a reader refuses
 *                             set bits it does not know
 *   16  u64    file_bytes     the exact file size (catches truncation early)
 *   24  u64    checksum       XXH64 (seed 0) of bytes [64, file_bytes)
 *   32  u32    section_count  1..ER_ERM_MAX_SECTIONS
 *   36  u32    reserved       written 0, ignored
 *   40  u8[24] reserved       written 0, ignored
 *
 * Section table entry (ER_ERM_SECTION_BYTES = 32), at 64 + 32*i:
 *    0  u32 type      ER_ERM_SEC_*
 *    4  u32 flags     ER_ERM_SEC_OPTIONAL: a reader that does not know `type`
 *                     skips the section; an unknown type without it is an error
 *                     ER_ERM_SEC_LZ4 (2.0): the section is stored compressed
 *                     (below); not allowed on WEIGHTS and PACKED_WEIGHTS
 *    8  u64 offset    multiple of 64, at or after the end of the table
 *   16  u64 size      bytes; offset + size <= file_bytes
 *   24  u64 count     records in the section (meaning per type, 0 for blobs)
 * Each known type appears at most once; every section of 1.0 except
 * PACKED_WEIGHTS is required.
 *
 * Compressed sections (2.0, flag ER_ERM_SEC_LZ4). The record sections of a
 * small model weigh as much as its weights (a 100K-parameter int8 network
 * has ~200 values of 136 bytes, long names, per-node lists), so 2.0 writers
 * compress every section that is not used in place. The stored bytes are
 *    0  u64 raw_size      bytes after decompression (what the section's
 *                         description below calls its size)
 *    8  u32 shuffle_width 0 or 1: none; else the first shuffle_width x count
 *                         bytes of the raw data are stored byte-plane
 *                         shuffled: byte b of element i at b x count + i
 *                         (fixed-size records then compress 2-3x better:
 *                         equal fields line up into runs)
 *   12  u32 reserved      written 0, must be 0
 *   16  an LZ4 block (the LZ4 project's block format) of raw_size bytes
 * Writers use shuffle_width = the record size for VALUES, NODES, ATTRS,
 * TENSORS and QUANT, 4 for STRINGS (its end[] array), 0 for GRAPH and
 * ARRAYS; a reader undoes whatever width the file states (<= 4096). A reader
 * decompresses into memory the graph owns, then reads the raw section as if
 * it were stored plainly; raw_size is capped at 256x the stored size and
 * 1 GiB, so a hostile file cannot ask for a huge buffer.
 *
 * References: a string reference is an index into STRINGS, ER_ERM_NONE for
 * "absent"; an array reference is a byte offset into ARRAYS aligned to its
 * element size; a weight reference is a byte offset into WEIGHTS with a byte
 * size that must equal shape x dtype exactly. Alignment of a weight: 1.x: a
 * multiple of 64. 2.0: a blob of 64 bytes or more starts at a multiple of 64;
 * a smaller one (a scalar scale or zero point, a short bias) at a multiple of
 * 8 and inside one 64-byte line, so it is still one cache line, but small
 * blobs share lines instead of each padding to 64. Identical blobs may share
 * their bytes (writers store each distinct blob once).
 *
 * STRINGS (type 1), count = number of strings n >= 1:
 *   u32 end[n]   end of string i (exclusive, NUL included) in the character
 *                area; string i starts at end[i-1] (0 for i = 0)
 *   u8  chars[]  the character area, size - 4n bytes; every string ends with
 *                a NUL (it may hold other NULs: attribute strings are bytes)
 *   String 0 is "" so that "empty" needs no special case.
 *
 * GRAPH (type 2), count = 1:
 *    0  i64 opset       default-domain opset (>= 1)
 *    8  u32 n_inputs    graph inputs (not initializers)
 *   12  u32 n_outputs
 *   16  i32 inputs[n_inputs], outputs[n_outputs]: value indices
 *   size = 16 + 4 * (n_inputs + n_outputs)
 *
 * VALUES (type 3), count = n_values, records of ER_ERM_VALUE_BYTES = 136:
 *    0  u32 name        string; unique among values, not ""
 *    4  i32 dtype       er_dtype (ONNX numbering); 0 = not declared
 *    8  i32 rank        -1 (unknown) .. ER_MAX_RANK
 *   12  u32 flags       ER_ERM_VALUE_CONSTANT: data below holds the value
 *   16  i64 dims[8]     -1 = unknown/symbolic; dims past rank are 0
 *   80  u32 dim_param[8] string naming a symbolic dim, or NONE
 *  112  u64 data_offset weight reference (constants only, else 0)
 *  120  u64 data_bytes  exact byte size of the constant (else 0)
 *  128  u32 quant       index into QUANT, or NONE
 *  132  u32 reserved
 *
 * QUANT (type 7), count = n, records of ER_ERM_QUANT_BYTES = 24:
 *    0  i32 axis        -1 per-tensor, else the channel axis
 *    4  u32 n           number of scales (>= 1)
 *    8  u64 scale       array reference: n float32
 *   16  u64 zero_point  array reference: n int32
 *
 * NODES (type 4), count = n_nodes in topological order, records of
 * ER_ERM_NODE_BYTES = 40:
 *    0  u32 name, 4 u32 op_type (not ""), 8 u32 domain ("" = ai.onnx)
 *   12  i32 opset       opset version of the node's domain
 *   16  u32 n_in, 20 u32 n_out
 *   24  u64 io          array reference: n_in + n_out i32 value indices,
 *                       inputs first; -1 = an absent optional input/output
 *   32  u32 first_attr  index of the node's first record in ATTRS
 *   36  u32 n_attr      its attributes are ATTRS[first_attr, first_attr+n_attr)
 *
 * ATTRS (type 5), count = n, records of ER_ERM_ATTR_BYTES = 32:
 *    0  u32 name        string, not "", unique within its node
 *    4  u32 type        er_attr_type (ONNX AttributeProto numbering, 0..14)
 *    8  i64 i           INT
 *   16  f32 f           FLOAT
 *   20  u32 n           element count of FLOATS/INTS/STRINGS/TENSORS, else 0
 *   24  u64 ref         STRING: string index; TENSOR: index into TENSORS;
 *                       INTS: array ref of n i64; FLOATS: array ref of n f32;
 *                       STRINGS: array ref of n u32 string indices;
 *                       TENSORS: first of n consecutive TENSORS records;
 *                       other types (graphs, type protos) carry no payload: 0
 *
 * TENSORS (type 6), count = n, records of ER_ERM_TENSOR_BYTES = 96 (tensors
 * held by attributes):
 *    0  i32 dtype, 4 i32 rank (0..8), 8 i64 dims[8] (>= 0; 0 past rank)
 *   72  u64 data_offset weight reference, 80 u64 data_bytes, 88 u64 reserved
 *
 * ARRAYS (type 8): a blob of the variable-length lists above; count = 0.
 * WEIGHTS (type 9): a blob of constant data; count = 0.
 *
 * PACKED_WEIGHTS (type 10, must be flagged OPTIONAL): weights re-laid out for
 * one kernel, so a session can skip packing. count = n entries, then blobs:
 *    entry i at 32*i (ER_ERM_PACKED_BYTES = 32):
 *      0 u32 value (the constant it was packed from), 4 u32 kernel (string
 *      naming the kernel variant), 8 u32 layout (kernel-defined tag),
 *      12 u32 reserved, 16 u64 offset (in this section, multiple of 64),
 *      24 u64 size
 *   A reader that has no use for an entry ignores it (the plain weight is
 *   always present too). The kernel string names the layout exactly (e.g.
 *   "f32-winograd4x4/avx512/nr32"); a convolution whose plan would pack the
 *   same layout to the same size uses the blob in place (cpu/conv/conv.h).
 *   Written by er_model_save_prepacked (`edgerun convert --prepack`). */
#ifndef ER_IMPORT_ERM_FORMAT_H
#define ER_IMPORT_ERM_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "core/mapfile.h"
#include "ir/graph.h"

#define ER_ERM_MAGIC "\x89" "ERM\r\n\x1a\n"
#define ER_ERM_MAGIC_BYTES 8
#define ER_ERM_VERSION_MAJOR 2 /* written; 1.x is still read */
#define ER_ERM_VERSION_MINOR 0

#define ER_ERM_ALIGN 64
#define ER_ERM_HEADER_BYTES 64
#define ER_ERM_SECTION_BYTES 32
#define ER_ERM_MAX_SECTIONS 64
#define ER_ERM_NONE 0xffffffffu

enum {
    ER_ERM_SEC_STRINGS = 1,
    ER_ERM_SEC_GRAPH = 2,
    ER_ERM_SEC_VALUES = 3,
    ER_ERM_SEC_NODES = 4,
    ER_ERM_SEC_ATTRS = 5,
    ER_ERM_SEC_TENSORS = 6,
    ER_ERM_SEC_QUANT = 7,
    ER_ERM_SEC_ARRAYS = 8,
    ER_ERM_SEC_WEIGHTS = 9,
    ER_ERM_SEC_PACKED_WEIGHTS = 10,
    ER_ERM_SEC_KNOWN_MAX = 10
};

enum { ER_ERM_SEC_OPTIONAL = 1u << 0, ER_ERM_SEC_LZ4 = 1u << 1 };

/* The prefix of a compressed section, the cap on its raw size and on its
 * shuffle width. */
#define ER_ERM_LZ4_PREFIX_BYTES 16
#define ER_ERM_LZ4_MAX_RAW ((uint64_t)1 << 30)
#define ER_ERM_LZ4_MAX_RATIO 256
#define ER_ERM_MAX_SHUFFLE 4096
enum { ER_ERM_VALUE_CONSTANT = 1u << 0 };

enum {
    ER_ERM_GRAPH_BYTES = 16, /* fixed part, before the input/output lists */
    ER_ERM_VALUE_BYTES = 136,
    ER_ERM_QUANT_BYTES = 24,
    ER_ERM_NODE_BYTES = 40,
    ER_ERM_ATTR_BYTES = 32,
    ER_ERM_TENSOR_BYTES = 96,
    ER_ERM_PACKED_BYTES = 32
};

/* Load flags for er_erm_import. */
enum {
    /* Skip the XXH64 over the file (every structural check still runs). The
     * environment variable EDGERUN_ERM_CHECKSUM=skip sets it for
     * er_model_load. */
    ER_ERM_SKIP_CHECKSUM = 1u << 0
};

/* ER_ERM_SKIP_CHECKSUM when the environment says EDGERUN_ERM_CHECKSUM=skip,
 * else 0: the flags er_model_load passes to er_erm_import. */
unsigned er_erm_env_flags(void);

/* True when the bytes start like an .erm file (the first 4 magic bytes, so a
 * truncated header still gets an .erm error message). */
int er_erm_sniff(const unsigned char *data, size_t size);

/* Builds a graph from a mapped .erm file. The graph takes ownership of
 * `file` in all cases; constants are views into it. Errors name the section,
 * the record index and the file offset. */
er_status er_erm_import(er_mapping *file, unsigned flags, er_graph **out);

/* Writes g as .erm to path (through a temporary file in the same folder,
 * renamed into place, so a failed write never leaves a partial file). */
er_status er_erm_write_file(const er_graph *g, const char *path);
/* The same plus a PACKED_WEIGHTS section holding these blobs (each value
 * must be a constant of g). */
er_status er_erm_write_file_packed(const er_graph *g, const er_packed_blob *packed, int n_packed,
                                   const char *path);

/* Writes g as .erm into a new buffer (*out, er_aligned_alloc'd; the caller
 * frees it with er_aligned_free). For tests and fuzz seeds. */
er_status er_erm_write_memory(const er_graph *g, void **out, size_t *size);

/* Writer flags. */
enum {
    /* Store every section plainly (no LZ4): for tests that edit records in
     * place and for reading a file with a hex dump. */
    ER_ERM_WRITE_PLAIN = 1u << 0
};
er_status er_erm_write_memory_flags(const er_graph *g, unsigned flags, void **out, size_t *size);

/* Byte-plane shuffle of n elements of `width` bytes (dst[b*n + i] =
 * src[i*width + b]) and its inverse; src and dst must not overlap. */
void er_erm_shuffle(unsigned char *dst, const unsigned char *src, size_t width, size_t n);
void er_erm_unshuffle(unsigned char *dst, const unsigned char *src, size_t width, size_t n);

/* XXH64 (seed 0), streaming: the format's checksum. */
typedef struct er_xxh64_state {
    uint64_t v[4];
    uint64_t total;
    unsigned char buf[32];
    size_t buf_n;
} er_xxh64_state;
void er_xxh64_init(er_xxh64_state *h);
void er_xxh64_update(er_xxh64_state *h, const void *data, size_t n);
uint64_t er_xxh64_digest(const er_xxh64_state *h);
uint64_t er_xxh64(const void *data, size_t n);

/* Little-endian field access (no alignment assumptions). */
static inline uint16_t er_erm_u16(const unsigned char *p) {
    return (uint16_t)(p[0] | p[1] << 8);
}
static inline uint32_t er_erm_u32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t er_erm_u64(const unsigned char *p) {
    return (uint64_t)er_erm_u32(p) | (uint64_t)er_erm_u32(p + 4) << 32;
}
static inline void er_erm_put_u16(unsigned char *p, uint16_t v) {
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}
static inline void er_erm_put_u32(unsigned char *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static inline void er_erm_put_u64(unsigned char *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

#endif
