/* test_erm_malformed.c - hostile and damaged .erm files: each must end in a
 * clean er_status with a message naming what is wrong and where, never a
 * crash, a leak or an out-of-bounds read (this tier runs under ASan+UBSan).
 *
 * The base file is erm_model_runnable() converted to .erm. Most edits below
 * fix the checksum afterwards, so that the structural checks behind it are
 * what is being tested. */
#include <stdio.h>
#include <stdlib.h>

#include "core/alloc.h"
#include "import/erm/erm_format.h"
#include "runtime/model.h"
#include "support/erm_util.h"
#include "test.h"

/* Loads, plans and runs; returns the first failing status ((er_status)-1
 * when a failure has no message). Single allocations are capped at 64 MiB
 * (as in the fuzzers): a flipped dim of a graph input may ask for gigabytes,
 * which must end in ER_ERR_NOMEM here, not in the OS's OOM killer. */
static er_status try_erm(const void *data, size_t n) {
    er_alloc_cap((size_t)64 << 20);
    er_model *m = NULL;
    er_session *s = NULL;
    er_status st = er_model_load_memory(data, n, NULL, &m);
    if (st == ER_OK) st = er_session_create(m, NULL, &s);
    if (st == ER_OK) {
        er_tensor *in[16] = {0}, *out[16];
        int n_in = er_model_input_count(m);
        for (int i = 0; i < n_in && i < 16 && st == ER_OK; i++) {
            er_dtype dt;
            int rank;
            int64_t dims[ER_MAX_RANK];
            st = er_session_input_info(s, i, &dt, &rank, dims);
            if (st == ER_OK) st = er_tensor_create(dt, rank, dims, &in[i]);
        }
        if (st == ER_OK && n_in <= 16 && er_model_output_count(m) <= 16)
            st = er_session_run(s, (const er_tensor *const *)in, out);
        for (int i = 0; i < 16; i++) er_tensor_free(in[i]);
    }
    if (st != ER_OK && er_last_error()[0] == '\0') st = (er_status)-1;
    er_session_free(s);
    er_model_free(m);
    er_alloc_cap(0);
    return st;
}

static int clean_error(er_status st) { return st > ER_OK && st < ER_ERR_INTERNAL; }

typedef struct base {
    unsigned char *d;
    size_t n;
    int v_W, v_x, v_c, v_y; /* value indices */
} base;

/* The base file: plain sections (ER_ERM_WRITE_PLAIN) so that records can be
 * edited in place, or as written by default (compressed record sections). */
static int make_base_flags(base *b, unsigned flags) {
    pbw w = {0};
    erm_model_runnable(&w);
    er_model *m = NULL;
    if (er_model_load_memory(w.d, w.n, NULL, &m) != ER_OK) return 0;
    pbw_free(&w);
    void *buf;
    if (er_erm_write_memory_flags(m->graph, flags, &buf, &b->n) != ER_OK) return 0;
    b->d = malloc(b->n);
    memcpy(b->d, buf, b->n);
    er_aligned_free(buf);
    b->v_W = er_graph_find(m->graph, "W");
    b->v_x = er_graph_find(m->graph, "x");
    b->v_c = er_graph_find(m->graph, "c");
    b->v_y = er_graph_find(m->graph, "y");
    er_model_free(m);
    return 1;
}

static int make_base(base *b) { return make_base_flags(b, ER_ERM_WRITE_PLAIN); }

/* A copy of the base file to edit. */
static unsigned char *copy_of(const base *b) {
    unsigned char *c = malloc(b->n);
    memcpy(c, b->d, b->n);
    return c;
}

static size_t entry(const unsigned char *f, size_t n, uint32_t type) {
    return erm_find_entry(f, n, type);
}
/* File offset of record i of a fixed-size record section. */
static size_t record(const unsigned char *f, size_t n, uint32_t type, size_t i, size_t rb) {
    return (size_t)er_erm_u64(f + entry(f, n, type) + 8) + i * rb;
}

/* Fixes the checksum, loads, and returns the status. */
static er_status load_fixed(unsigned char *f, size_t n) {
    erm_fix_checksum(f, n);
    er_model *m = NULL;
    er_status st = er_model_load_memory(f, n, NULL, &m);
    if (st != ER_OK && er_last_error()[0] == '\0') st = (er_status)-1;
    er_model_free(m);
    return st;
}

TEST(erm_malformed_base_file_is_valid) {
    for (int plain = 0; plain < 2; plain++) {
        base b;
        CHECK(make_base_flags(&b, plain ? ER_ERM_WRITE_PLAIN : 0));
        CHECK_STATUS(try_erm(b.d, b.n), ER_OK);
        free(b.d);
    }
}

static void every_truncation(unsigned flags) {
    base b;
    CHECK(make_base_flags(&b, flags));
    unsigned char *c = malloc(b.n);
    for (size_t n = 0; n < b.n; n++) {
        /* as cut: the header's size no longer matches */
        er_status st = try_erm(b.d, n);
        CHECK_MSG(clean_error(st), "truncated at %zu: status %d (%s)", n, (int)st,
                  er_last_error());
        /* cut, with size and checksum patched: the section bounds must catch it */
        memcpy(c, b.d, n);
        if (n >= ER_ERM_HEADER_BYTES) er_erm_put_u64(c + 16, n);
        erm_fix_checksum(c, n);
        st = try_erm(c, n);
        CHECK_MSG(clean_error(st), "truncated at %zu (patched): status %d (%s)", n, (int)st,
                  er_last_error());
    }
    free(c);
    free(b.d);
}

TEST(erm_malformed_every_truncation) {
    every_truncation(ER_ERM_WRITE_PLAIN);
    every_truncation(0);
}

static void flipped_bytes(unsigned flags) {
    base b;
    CHECK(make_base_flags(&b, flags));
    unsigned char *c = malloc(b.n);
    unsigned seed = 1234;
    int loaded = 0;
    for (size_t i = 0; i < b.n; i++) {
        for (int variant = 0; variant < 4; variant++) {
            memcpy(c, b.d, b.n);
            c[i] = variant == 0 ? (unsigned char)~c[i] : variant == 1 ? 0xff
                 : variant == 2 ? (unsigned char)(c[i] + 1) : (unsigned char)rand_r(&seed);
            if (c[i] == b.d[i]) continue;
            /* unpatched: the checksum catches every change after the header;
             * in the header, any minor version loads and the reserved bytes
             * 36..63 are ignored */
            er_status st = try_erm(c, b.n);
            if (i == 10 || i == 11 || (i >= 36 && i < ER_ERM_HEADER_BYTES))
                CHECK_MSG(st == ER_OK, "reserved byte %zu: status %d (%s)", i, (int)st,
                          er_last_error());
            else
                CHECK_MSG(clean_error(st), "byte %zu variant %d: status %d (%s)", i, variant,
                          (int)st, er_last_error());
            /* checksum patched: structure validation, then planning and running */
            erm_fix_checksum(c, b.n);
            st = try_erm(c, b.n);
            CHECK_MSG(st == ER_OK || clean_error(st), "byte %zu variant %d (patched): status %d "
                      "(%s)", i, variant, (int)st, er_last_error());
            loaded += st == ER_OK;
        }
    }
    printf("  %s: %zu bytes x 4 flips: %d patched files still loaded and ran (weights, "
           "padding)\n", flags & ER_ERM_WRITE_PLAIN ? "plain" : "compressed", b.n, loaded);
    free(c);
    free(b.d);
}

TEST(erm_malformed_flipped_bytes) {
    flipped_bytes(ER_ERM_WRITE_PLAIN);
    flipped_bytes(0);
}

TEST(erm_malformed_header) {
    base b;
    CHECK(make_base(&b));
    unsigned char *c = copy_of(&b);
    c[4] = '\n'; /* "\r\n" -> "\n\n": a text-mode transfer */
    CHECK_STATUS(try_erm(c, b.n), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("bad .erm magic");
    memcpy(c, b.d, b.n);
    er_erm_put_u16(c + 8, 3);
    er_erm_put_u16(c + 10, 3);
    CHECK_STATUS(try_erm(c, b.n), ER_ERR_UNSUPPORTED);
    CHECK_ERROR_HAS(".erm format version 3.3 is newer than this edgerun reads (2.x)");
    er_erm_put_u16(c + 8, 0);
    CHECK_STATUS(try_erm(c, b.n), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("version 0.3 does not exist");
    memcpy(c, b.d, b.n);
    er_erm_put_u16(c + 10, 9); /* a newer minor of the same major loads */
    CHECK_STATUS(try_erm(c, b.n), ER_OK);
    memcpy(c, b.d, b.n);
    er_erm_put_u32(c + 12, 4);
    CHECK_STATUS(try_erm(c, b.n), ER_ERR_UNSUPPORTED);
    CHECK_ERROR_HAS("flags 0x4");
    memcpy(c, b.d, b.n);
    c[24] ^= 0x80;
    CHECK_STATUS(try_erm(c, b.n), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("checksum mismatch");
    memcpy(c, b.d, b.n);
    er_erm_put_u32(c + 32, 0);
    CHECK_STATUS(try_erm(c, b.n), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("section count 0");
    er_erm_put_u32(c + 32, 0x7fffffff);
    CHECK_STATUS(try_erm(c, b.n), ER_ERR_INVALID_MODEL);
    /* one byte appended */
    unsigned char *longer = calloc(1, b.n + 1);
    memcpy(longer, b.d, b.n);
    CHECK_STATUS(try_erm(longer, b.n + 1), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("truncated or appended to");
    free(longer);
    CHECK_STATUS(try_erm(b.d, 10), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("truncated .erm header");
    free(c);
    free(b.d);
}

TEST(erm_malformed_section_table) {
    base b;
    CHECK(make_base(&b));
    unsigned char *c = copy_of(&b);
    size_t ev = entry(c, b.n, ER_ERM_SEC_VALUES), en = entry(c, b.n, ER_ERM_SEC_NODES);
    CHECK(ev && en);
    const uint64_t bad_offsets[] = {0, 64, er_erm_u64(c + ev + 8) + 1, b.n + 64,
                                    (uint64_t)1 << 63, UINT64_MAX - 63};
    for (size_t i = 0; i < sizeof bad_offsets / sizeof bad_offsets[0]; i++) {
        memcpy(c, b.d, b.n);
        er_erm_put_u64(c + ev + 8, bad_offsets[i]);
        CHECK_MSG(load_fixed(c, b.n) == ER_ERR_INVALID_MODEL, "offset %llu: %s",
                  (unsigned long long)bad_offsets[i], er_last_error());
        CHECK_ERROR_HAS("section table entry 2 at offset 128");
    }
    memcpy(c, b.d, b.n);
    er_erm_put_u64(c + ev + 16, UINT64_MAX); /* huge size */
    CHECK_STATUS(load_fixed(c, b.n), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("runs past the file end");
    /* overlapping sections: nodes moved onto values */
    memcpy(c, b.d, b.n);
    memcpy(c + en + 8, c + ev + 8, 8);
    CHECK_STATUS(load_fixed(c, b.n), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("overlap");
    /* duplicate, missing and unknown section types */
    memcpy(c, b.d, b.n);
    er_erm_put_u32(c + en, ER_ERM_SEC_VALUES);
    CHECK_STATUS(load_fixed(c, b.n), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("a second 'values' section");
    memcpy(c, b.d, b.n);
    er_erm_put_u32(c + entry(c, b.n, ER_ERM_SEC_QUANT), 99);
    er_erm_put_u32(c + entry(c, b.n, 99) + 4, ER_ERM_SEC_OPTIONAL);
    CHECK_STATUS(load_fixed(c, b.n), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("the required 'quant' section is missing");
    memcpy(c, b.d, b.n);
    er_erm_put_u32(c + en + 4, 4); /* unknown section flag */
    CHECK_STATUS(load_fixed(c, b.n), ER_ERR_UNSUPPORTED);
    CHECK_ERROR_HAS("flags 0x4 name features");
    /* huge counts */
    const size_t huge_in[] = {ER_ERM_SEC_VALUES, ER_ERM_SEC_NODES, ER_ERM_SEC_ATTRS,
                              ER_ERM_SEC_TENSORS, ER_ERM_SEC_QUANT, ER_ERM_SEC_STRINGS,
                              ER_ERM_SEC_GRAPH, ER_ERM_SEC_ARRAYS, ER_ERM_SEC_WEIGHTS};
    const uint64_t huge[] = {(uint64_t)1 << 40, UINT64_MAX, 0x7fffffff, (uint64_t)1 << 61};
    for (size_t s = 0; s < sizeof huge_in / sizeof huge_in[0]; s++)
        for (size_t h = 0; h < sizeof huge / sizeof huge[0]; h++) {
            memcpy(c, b.d, b.n);
            er_erm_put_u64(c + entry(c, b.n, (uint32_t)huge_in[s]) + 24, huge[h]);
            er_status st = load_fixed(c, b.n);
            CHECK_MSG(st == ER_ERR_INVALID_MODEL, "section %zu count %llu: status %d (%s)",
                      huge_in[s], (unsigned long long)huge[h], (int)st, er_last_error());
        }
    free(c);
    free(b.d);
}

TEST(erm_malformed_records) {
    base b;
    CHECK(make_base(&b));
    unsigned char *c = copy_of(&b);
    size_t v = record(c, b.n, ER_ERM_SEC_VALUES, 0, ER_ERM_VALUE_BYTES);
    size_t vW = v + (size_t)b.v_W * ER_ERM_VALUE_BYTES, vx = v + (size_t)b.v_x * ER_ERM_VALUE_BYTES;
    char where[64];
    /* value name out of range, empty, duplicate */
    er_erm_put_u32(c + vW, 0x7ffffff0);
    CHECK_STATUS(load_fixed(c, b.n), ER_ERR_INVALID_MODEL);
    snprintf(where, sizeof where, "section 'values' record %d at offset %zu", b.v_W, vW);
    CHECK_ERROR_HAS(where);
    CHECK_ERROR_HAS("out of range");
    er_erm_put_u32(c + vW, 0);
    CHECK_STATUS(load_fixed(c, b.n), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("is empty");
    memcpy(c, b.d, b.n);
    memcpy(c + vx, c + vW, 4);
    CHECK_STATUS(load_fixed(c, b.n), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("is already used by value");
    /* constant with a negative dim, a shape that overflows, a wrong byte size */
    memcpy(c, b.d, b.n);
    er_erm_put_u64(c + vW + 16, (uint64_t)-1);
    CHECK_STATUS(load_fixed(c, b.n), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("dim 0 is -1");
    memcpy(c, b.d, b.n);
    for (int k = 0; k < 4; k++) er_erm_put_u64(c + vW + 16 + 8 * k, (uint64_t)1 << 40);
    CHECK_STATUS(load_fixed(c, b.n), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("negative or too large");
    memcpy(c, b.d, b.n);
    er_erm_put_u64(c + vW + 120, 71);
    CHECK_STATUS(load_fixed(c, b.n), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("data has 71 bytes, shape and dtype need 72");
    /* misaligned and out-of-range weight offsets */
    memcpy(c, b.d, b.n);
    er_erm_put_u64(c + vW + 112, 4);
    CHECK_STATUS(load_fixed(c, b.n), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("is misaligned");
    er_erm_put_u64(c + vW + 112, (uint64_t)1 << 62);
    CHECK_STATUS(load_fixed(c, b.n), ER_ERR_INVALID_MODEL);
    /* bad dtype, rank, dims past rank, flags, data on an activation */
    memcpy(c, b.d, b.n);
    er_erm_put_u32(c + vW + 4, 99);
    CHECK_STATUS(load_fixed(c, b.n), ER_ERR_INVALID_MODEL);
    er_erm_put_u32(c + vW + 4, ER_STRING);
    CHECK_STATUS(load_fixed(c, b.n), ER_ERR_UNSUPPORTED);
    memcpy(c, b.d, b.n);
    er_erm_put_u32(c + vx + 8, 9);
    CHECK_STATUS(load_fixed(c, b.n), ER_ERR_INVALID_MODEL);
    memcpy(c, b.d, b.n);
    er_erm_put_u64(c + vx + 16 + 8 * 6, 3);
    CHECK_STATUS(load_fixed(c, b.n), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("past rank 4");
    memcpy(c, b.d, b.n);
    er_erm_put_u32(c + vx + 12, 6);
    CHECK_STATUS(load_fixed(c, b.n), ER_ERR_INVALID_MODEL);
    memcpy(c, b.d, b.n);
    er_erm_put_u64(c + vx + 120, 64);
    CHECK_STATUS(load_fixed(c, b.n), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("is not a constant but has data");
    memcpy(c, b.d, b.n);
    er_erm_put_u32(c + vx + 128, 0); /* quant record 0 of 0 */
    CHECK_STATUS(load_fixed(c, b.n), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("quant record 0 is out of range");
    memcpy(c, b.d, b.n);
    er_erm_put_u32(c + vx + 80, 0x12345);
    CHECK_STATUS(load_fixed(c, b.n), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("dim_param 0");

    /* graph lists: out of range, constant input, duplicate output */
    size_t gs = record(c, b.n, ER_ERM_SEC_GRAPH, 0, 0);
    memcpy(c, b.d, b.n);
    er_erm_put_u32(c + gs + 16, 1000);
    CHECK_STATUS(load_fixed(c, b.n), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("graph input 0 refers to value 1000");
    er_erm_put_u32(c + gs + 16, (uint32_t)b.v_W);
    CHECK_STATUS(load_fixed(c, b.n), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("graph input 'W' is a constant");
    memcpy(c, b.d, b.n);
    er_erm_put_u32(c + gs + 12, 2); /* two outputs: the list no longer fits */
    CHECK_STATUS(load_fixed(c, b.n), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("do not fill");
    memcpy(c, b.d, b.n);
    er_erm_put_u64(c + gs, (uint64_t)-5);
    CHECK_STATUS(load_fixed(c, b.n), ER_ERR_INVALID_MODEL);
    free(c);
    free(b.d);
}

TEST(erm_malformed_nodes_attrs_strings) {
    base b;
    CHECK(make_base(&b));
    unsigned char *c = copy_of(&b);
    size_t n0 = record(c, b.n, ER_ERM_SEC_NODES, 0, ER_ERM_NODE_BYTES);
    size_t n2 = n0 + 2 * ER_ERM_NODE_BYTES; /* mul0: inputs c, k */
    size_t arrays = record(c, b.n, ER_ERM_SEC_ARRAYS, 0, 0);
    size_t io2 = arrays + (size_t)er_erm_u64(c + n2 + 24);
    char where[64];
    /* input refers to a value that does not exist */
    er_erm_put_u32(c + io2, 9999);
    CHECK_STATUS(load_fixed(c, b.n), ER_ERR_INVALID_MODEL);
    snprintf(where, sizeof where, "section 'nodes' record 2 at offset %zu", n2);
    CHECK_ERROR_HAS(where);
    CHECK_ERROR_HAS("input 0 refers to value 9999");
    /* a cycle: mul0 reads the graph output y, which depends on mul0 */
    er_erm_put_u32(c + io2, (uint32_t)b.v_y);
    CHECK_STATUS(load_fixed(c, b.n), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("cycle");
    /* an input nobody produces: drop conv0's output slot */
    memcpy(c, b.d, b.n);
    size_t io0 = arrays + (size_t)er_erm_u64(c + n0 + 24);
    er_erm_put_u32(c + io0 + 12, 0xffffffff);
    CHECK_STATUS(load_fixed(c, b.n), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("not a graph input, an initializer or any node's output");
    /* the same output twice on one node; two producers of one value */
    memcpy(c, b.d, b.n);
    er_erm_put_u32(c + io2 + 8, (uint32_t)b.v_c);
    CHECK_STATUS(load_fixed(c, b.n), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("already produced");
    /* io list misaligned, past the arrays section; huge input count */
    memcpy(c, b.d, b.n);
    er_erm_put_u64(c + n2 + 24, 2);
    CHECK_STATUS(load_fixed(c, b.n), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("input/output list at arrays offset 2");
    er_erm_put_u64(c + n2 + 24, (uint64_t)1 << 62);
    CHECK_STATUS(load_fixed(c, b.n), ER_ERR_INVALID_MODEL);
    memcpy(c, b.d, b.n);
    er_erm_put_u32(c + n2 + 16, 0xffffffff);
    CHECK_STATUS(load_fixed(c, b.n), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("at most 65536 each");
    er_erm_put_u32(c + n2 + 16, 60000);
    CHECK_STATUS(load_fixed(c, b.n), ER_ERR_INVALID_MODEL);
    /* no op_type; negative opset */
    memcpy(c, b.d, b.n);
    er_erm_put_u32(c + n2 + 4, 0);
    CHECK_STATUS(load_fixed(c, b.n), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("has no op_type");
    memcpy(c, b.d, b.n);
    er_erm_put_u32(c + n2 + 12, 0x80000000u);
    CHECK_STATUS(load_fixed(c, b.n), ER_ERR_INVALID_MODEL);
    /* attribute ranges: out of order, past the end */
    memcpy(c, b.d, b.n);
    er_erm_put_u32(c + n2 + 32, 0);
    CHECK_STATUS(load_fixed(c, b.n), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("attributes start at record 0");
    memcpy(c, b.d, b.n);
    er_erm_put_u32(c + n0 + 36, 0x10000);
    CHECK_STATUS(load_fixed(c, b.n), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("run past the");

    /* attributes: conv0 has kernel_shape, strides, pads, group (records 0..3) */
    size_t a0 = record(c, b.n, ER_ERM_SEC_ATTRS, 0, ER_ERM_ATTR_BYTES);
    memcpy(c, b.d, b.n);
    er_erm_put_u32(c + a0 + 4, 99);
    CHECK_STATUS(load_fixed(c, b.n), ER_ERR_INVALID_MODEL);
    snprintf(where, sizeof where, "section 'attrs' record 0 at offset %zu", a0);
    CHECK_ERROR_HAS(where);
    CHECK_ERROR_HAS("node 'conv0'");
    CHECK_ERROR_HAS("unknown type 99");
    memcpy(c, b.d, b.n);
    memcpy(c + a0 + ER_ERM_ATTR_BYTES, c + a0, 4); /* strides renamed kernel_shape */
    CHECK_STATUS(load_fixed(c, b.n), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("attribute 'kernel_shape' twice");
    memcpy(c, b.d, b.n);
    er_erm_put_u32(c + a0 + 20, 0x40000000); /* ints count huge */
    CHECK_STATUS(load_fixed(c, b.n), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("runs past the arrays section");
    memcpy(c, b.d, b.n);
    er_erm_put_u64(c + a0 + 24, er_erm_u64(c + a0 + 24) + 4); /* ints misaligned */
    CHECK_STATUS(load_fixed(c, b.n), ER_ERR_INVALID_MODEL);
    memcpy(c, b.d, b.n);
    size_t a3 = a0 + 3 * ER_ERM_ATTR_BYTES; /* group: INT */
    er_erm_put_u32(c + a3 + 20, 2);
    CHECK_STATUS(load_fixed(c, b.n), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("is not a list");
    memcpy(c, b.d, b.n);
    er_erm_put_u64(c + a3 + 24, 8);
    CHECK_STATUS(load_fixed(c, b.n), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("payload reference 8");
    memcpy(c, b.d, b.n);
    er_erm_put_u32(c + a3 + 4, ER_ATTR_STRING);
    er_erm_put_u64(c + a3 + 24, 0x100000);
    CHECK_STATUS(load_fixed(c, b.n), ER_ERR_INVALID_MODEL);
    memcpy(c, b.d, b.n);
    er_erm_put_u32(c + a3 + 4, ER_ATTR_TENSOR);
    er_erm_put_u64(c + a3 + 24, 1);
    CHECK_STATUS(load_fixed(c, b.n), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("tensor 1 is out of range");
    memcpy(c, b.d, b.n);
    er_erm_put_u32(c + a3 + 4, ER_ATTR_TENSORS);
    er_erm_put_u32(c + a3 + 20, 1);
    CHECK_STATUS(load_fixed(c, b.n), ER_ERR_UNSUPPORTED);

    /* the attribute tensor (Constant's value) */
    size_t t0 = record(c, b.n, ER_ERM_SEC_TENSORS, 0, ER_ERM_TENSOR_BYTES);
    memcpy(c, b.d, b.n);
    er_erm_put_u32(c + t0 + 4, 12);
    CHECK_STATUS(load_fixed(c, b.n), ER_ERR_INVALID_MODEL);
    snprintf(where, sizeof where, "section 'tensors' record 0 at offset %zu", t0);
    CHECK_ERROR_HAS(where);
    memcpy(c, b.d, b.n);
    er_erm_put_u64(c + t0 + 80, 8);
    CHECK_STATUS(load_fixed(c, b.n), ER_ERR_INVALID_MODEL);
    memcpy(c, b.d, b.n);
    er_erm_put_u64(c + t0 + 72, 65);
    CHECK_STATUS(load_fixed(c, b.n), ER_ERR_INVALID_MODEL);

    /* strings: not terminated, not increasing, string 0 not empty, bad count */
    size_t es = entry(c, b.n, ER_ERM_SEC_STRINGS);
    size_t s0 = record(c, b.n, ER_ERM_SEC_STRINGS, 0, 0);
    uint32_t ns = (uint32_t)er_erm_u64(c + es + 24);
    memcpy(c, b.d, b.n);
    c[s0 + er_erm_u64(c + es + 16) - 1] = 'x';
    CHECK_STATUS(load_fixed(c, b.n), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("is not NUL-terminated");
    memcpy(c, b.d, b.n);
    er_erm_put_u32(c + s0 + 4, 1);
    CHECK_STATUS(load_fixed(c, b.n), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("section 'strings' record 1");
    memcpy(c, b.d, b.n);
    er_erm_put_u32(c + s0 + 4 * (size_t)(ns - 1), 0xfffffff0);
    CHECK_STATUS(load_fixed(c, b.n), ER_ERR_INVALID_MODEL);
    memcpy(c, b.d, b.n);
    c[s0 + 4 * (size_t)ns] = 'z';
    CHECK_STATUS(load_fixed(c, b.n), ER_ERR_INVALID_MODEL);
    memcpy(c, b.d, b.n);
    er_erm_put_u64(c + es + 24, 0);
    CHECK_STATUS(load_fixed(c, b.n), ER_ERR_INVALID_MODEL);
    er_erm_put_u64(c + es + 24, ns - 1);
    CHECK_STATUS(load_fixed(c, b.n), ER_ERR_INVALID_MODEL);
    free(c);
    free(b.d);
}

/* A graph input declared far too large must be refused before any op's
 * shape function multiplies its dims (fuzz_erm_load found MaxPool's N*C
 * overflowing; tests/fuzz/regressions/erm-huge-input-maxpool.erm). */
TEST(erm_malformed_huge_declared_input) {
    base b;
    CHECK(make_base(&b));
    unsigned char *c = copy_of(&b);
    size_t vx = record(c, b.n, ER_ERM_SEC_VALUES, (size_t)b.v_x, ER_ERM_VALUE_BYTES);
    er_erm_put_u64(c + vx + 16, (uint64_t)1 << 59);
    erm_fix_checksum(c, b.n);
    CHECK_STATUS(try_erm(c, b.n), ER_ERR_SHAPE);
    CHECK_ERROR_HAS("input 'x' shape [576460752303423488,1,5,5] is negative or too large");
    free(c);
    free(b.d);
}

/* An empty input whose other dims are huge: no kernel may loop over them
 * (the session skips nodes whose outputs are all empty; before, pooling and
 * softmax spun for minutes: tests/fuzz/regressions/erm-empty-*.erm). */
TEST(erm_malformed_empty_input_with_huge_dims) {
    base b;
    CHECK(make_base(&b));
    unsigned char *c = copy_of(&b);
    size_t vx = record(c, b.n, ER_ERM_SEC_VALUES, (size_t)b.v_x, ER_ERM_VALUE_BYTES);
    er_erm_put_u64(c + vx + 16, (uint64_t)1 << 42); /* N */
    er_erm_put_u64(c + vx + 32, 0);                 /* H */
    size_t vy = record(c, b.n, ER_ERM_SEC_VALUES, (size_t)b.v_y, ER_ERM_VALUE_BYTES);
    er_erm_put_u64(c + vy + 16, (uint64_t)1 << 42);
    er_erm_put_u64(c + vy + 32, 0);
    erm_fix_checksum(c, b.n);
    er_status st = try_erm(c, b.n);
    CHECK_MSG(st == ER_OK || clean_error(st), "status %d (%s)", (int)st, er_last_error());
    free(c);
    free(b.d);
}

TEST(erm_malformed_out_of_memory_at_every_allocation) {
    base b;
    CHECK(make_base(&b));
    int succeeded = 0;
    for (long n = 0; n < 10000 && !succeeded; n++) {
        er_alloc_fail_after(n);
        er_status st = try_erm(b.d, b.n);
        er_alloc_fail_after(-1);
        CHECK_MSG(st == ER_OK || st == ER_ERR_NOMEM, "allocation %ld failing gave status %d (%s)",
                  n, (int)st, er_last_error());
        succeeded = st == ER_OK;
    }
    CHECK(succeeded);
    free(b.d);
}

/* Compressed record sections (format 2.0): the prefix, the LZ4 stream and
 * the shuffle are checked before anything reads the raw bytes. */
TEST(erm_malformed_compressed_sections) {
    base b;
    CHECK(make_base_flags(&b, 0));
    unsigned char *c = copy_of(&b);
    size_t ev = entry(c, b.n, ER_ERM_SEC_VALUES);
    CHECK(ev && (er_erm_u32(c + ev + 4) & ER_ERM_SEC_LZ4));
    size_t v = (size_t)er_erm_u64(c + ev + 8), vsize = (size_t)er_erm_u64(c + ev + 16);
    uint64_t raw = er_erm_u64(c + v);
    CHECK(raw > vsize);
    /* raw size: one byte off either way, beyond the ratio cap, beyond 1 GiB */
    const uint64_t bad_raw[] = {raw - 1, raw + 1, (uint64_t)vsize * 256 + 65, (uint64_t)1 << 31,
                                UINT64_MAX};
    for (size_t i = 0; i < sizeof bad_raw / sizeof bad_raw[0]; i++) {
        memcpy(c, b.d, b.n);
        er_erm_put_u64(c + v, bad_raw[i]);
        CHECK_MSG(load_fixed(c, b.n) == ER_ERR_INVALID_MODEL, "raw %llu: %s",
                  (unsigned long long)bad_raw[i], er_last_error());
        CHECK_ERROR_HAS("section 'values' at offset");
    }
    /* shuffle width too large for the records, over the cap; reserved set */
    const uint32_t bad_width[] = {ER_ERM_VALUE_BYTES + 1, ER_ERM_MAX_SHUFFLE + 1, UINT32_MAX};
    for (size_t i = 0; i < sizeof bad_width / sizeof bad_width[0]; i++) {
        memcpy(c, b.d, b.n);
        er_erm_put_u32(c + v + 8, bad_width[i]);
        CHECK_STATUS(load_fixed(c, b.n), ER_ERR_INVALID_MODEL);
        CHECK_ERROR_HAS("shuffle width");
    }
    memcpy(c, b.d, b.n);
    er_erm_put_u32(c + v + 12, 1);
    CHECK_STATUS(load_fixed(c, b.n), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("reserved field 1");
    /* a section shorter than its prefix */
    memcpy(c, b.d, b.n);
    er_erm_put_u64(c + ev + 16, 15);
    CHECK_STATUS(load_fixed(c, b.n), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("too short for a compressed section");
    /* the stream cut short (section size shrunk): the decoder stops at its end */
    for (size_t cut = 1; cut < vsize - ER_ERM_LZ4_PREFIX_BYTES; cut++) {
        memcpy(c, b.d, b.n);
        er_erm_put_u64(c + ev + 16, vsize - cut);
        er_status st = load_fixed(c, b.n);
        CHECK_MSG(st == ER_ERR_INVALID_MODEL, "cut %zu: status %d (%s)", cut, (int)st,
                  er_last_error());
    }
    /* the compressed flag on the weights, or on a plain section */
    memcpy(c, b.d, b.n);
    size_t ew = entry(c, b.n, ER_ERM_SEC_WEIGHTS);
    er_erm_put_u32(c + ew + 4, ER_ERM_SEC_LZ4);
    CHECK_STATUS(load_fixed(c, b.n), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("'weights' is used in place and cannot be compressed");
    /* a 1.x file knows no compression: the flag is an unknown feature there */
    memcpy(c, b.d, b.n);
    er_erm_put_u16(c + 8, 1);
    CHECK_STATUS(load_fixed(c, b.n), ER_ERR_UNSUPPORTED);
    CHECK_ERROR_HAS("flags 0x2 name features this edgerun does not know (file version 1)");
    free(c);
    free(b.d);
}

/* Weight alignment: 64 for every blob in 1.x; in 2.0 small blobs are 8-aligned
 * inside one 64-byte line. */
TEST(erm_malformed_weight_alignment) {
    base b;
    CHECK(make_base(&b));
    unsigned char *c = copy_of(&b);
    /* a constant under 64 bytes */
    size_t vw = 0;
    uint64_t bytes = 0, n_values = er_erm_u64(c + entry(c, b.n, ER_ERM_SEC_VALUES) + 24);
    for (uint64_t i = 0; i < n_values && !vw; i++) {
        size_t r = record(c, b.n, ER_ERM_SEC_VALUES, (size_t)i, ER_ERM_VALUE_BYTES);
        bytes = er_erm_u64(c + r + 120);
        if ((er_erm_u32(c + r + 12) & ER_ERM_VALUE_CONSTANT) && bytes > 0 && bytes < 64) vw = r;
    }
    CHECK(vw != 0);
    er_erm_put_u64(c + vw + 112, er_erm_u64(c + vw + 112) + 4); /* 4-aligned */
    CHECK_STATUS(load_fixed(c, b.n), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("misaligned");
    memcpy(c, b.d, b.n);
    er_erm_put_u64(c + vw + 112, 64 - 8); /* 8-aligned but straddles a line */
    if (bytes > 8) {
        CHECK_STATUS(load_fixed(c, b.n), ER_ERR_INVALID_MODEL);
        CHECK_ERROR_HAS("misaligned");
    }
    /* the same file as 1.0: small blobs packed in shared lines are refused
     * unless they sit at multiples of 64 */
    memcpy(c, b.d, b.n);
    er_erm_put_u16(c + 8, 1);
    int any_unaligned = 0;
    for (uint64_t i = 0; i < n_values; i++) {
        size_t r = record(c, b.n, ER_ERM_SEC_VALUES, (size_t)i, ER_ERM_VALUE_BYTES);
        any_unaligned |= (er_erm_u32(c + r + 12) & ER_ERM_VALUE_CONSTANT) &&
                         er_erm_u64(c + r + 112) % 64 != 0;
    }
    CHECK(any_unaligned);
    CHECK_STATUS(load_fixed(c, b.n), ER_ERR_INVALID_MODEL);
    CHECK_ERROR_HAS("misaligned");
    free(c);
    free(b.d);
}
