/* test_lz4.c - the LZ4 block codec of the .erm metadata sections
 * (core/lz4.h): round trips over sizes and data kinds, the format's
 * end-of-block rules on what the encoder writes, a hand-made block, and a
 * strict decoder (every truncation, bad offsets, wrong sizes). Hostile .erm
 * files as a whole: tests/anomaly/test_erm_malformed.c. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/lz4.h"
#include "import/erm/erm_format.h"
#include "test.h"

static void fill(unsigned char *p, size_t n, int kind, unsigned *seed) {
    for (size_t i = 0; i < n; i++) {
        switch (kind) {
        case 0: p[i] = 0; break;                                     /* one long run */
        case 1: p[i] = (unsigned char)rand_r(seed); break;            /* incompressible */
        case 2: p[i] = (unsigned char)("abcdefg"[i % (1 + *seed % 7)]); break; /* short period */
        case 3: p[i] = (unsigned char)(i % 136 < 8 ? i / 136 : i % 136 < 40 ? 0 : 0xff); break;
        default: p[i] = (unsigned char)(rand_r(seed) % 4 ? 'x' : 'a' + rand_r(seed) % 3); break;
        }
    }
}

/* Walks the sequences of a block and checks the format's end rules: the
 * block ends with literals, the last 5 bytes are literals, and no match
 * starts within the last 12 bytes of the output. */
static int end_rules_hold(const unsigned char *z, size_t zn, size_t raw) {
    size_t ip = 0, op = 0;
    for (;;) {
        unsigned t = z[ip++];
        size_t lit = t >> 4, ml = t & 15;
        if (lit == 15) do lit += z[ip]; while (z[ip++] == 255);
        ip += lit;
        op += lit;
        if (ip == zn) return raw < 13 || op >= 5; /* literals close the block */
        ip += 2;
        if (ml == 15) do ml += z[ip]; while (z[ip++] == 255);
        ml += 4;
        if (op + 12 > raw || op + ml + 5 > raw) return 0;
        op += ml;
    }
}

TEST(lz4_round_trips_every_kind_and_size) {
    static const size_t sizes[] = {0, 1, 4, 5, 11, 12, 13, 14, 15, 16, 17, 19, 20, 31, 64,
                                   255, 256, 270, 271, 1000, 4096, 65535, 65536, 70000, 300000};
    unsigned seed = 7;
    int checked = 0;
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        for (int kind = 0; kind < 5; kind++) {
            size_t n = sizes[s], cap = er_lz4_bound(n);
            unsigned char *src = malloc(n + 1), *z = malloc(cap), *back = malloc(n + 1);
            fill(src, n, kind, &seed);
            size_t zn = er_lz4_compress(src, n, z, cap);
            CHECK_MSG(zn > 0 && zn <= cap, "size %zu kind %d: compressed to %zu", n, kind, zn);
            CHECK_MSG(end_rules_hold(z, zn, n), "size %zu kind %d: end-of-block rules", n, kind);
            size_t at = 0;
            CHECK_MSG(er_lz4_decompress(z, zn, back, n, &at) == 0, "size %zu kind %d: decode "
                      "failed at %zu", n, kind, at);
            CHECK_MSG(memcmp(src, back, n) == 0, "size %zu kind %d: round trip differs", n, kind);
            if (kind == 0 && n >= 1000) CHECK(zn * 50 < n);  /* a run is a few matches */
            if (kind == 1) CHECK(zn <= n + n / 255 + 16);    /* incompressible: bounded */
            /* too small an output buffer is not a valid answer */
            if (n) CHECK(er_lz4_decompress(z, zn, back, n - 1, &at) != 0);
            /* a destination too small for the encoder: it says so */
            if (zn > 1) CHECK(er_lz4_compress(src, n, z, zn - 1) == 0);
            free(src);
            free(z);
            free(back);
            checked++;
        }
    }
    CHECK_EQ_INT(checked, 125);
}

TEST(lz4_decodes_a_hand_made_block) {
    /* "a", then a 4-byte match at offset 1 (overlapping: a run), then "b" */
    static const unsigned char z[] = {0x10, 'a', 0x01, 0x00, 0x10, 'b'};
    unsigned char out[6];
    CHECK(er_lz4_decompress(z, sizeof z, out, 6, NULL) == 0);
    CHECK(memcmp(out, "aaaaab", 6) == 0);
    /* literal-only block with a length extension: 15 + 3 = 18 literals */
    unsigned char z2[2 + 18], out2[18];
    z2[0] = 0xf0;
    z2[1] = 3;
    memcpy(z2 + 2, "0123456789abcdefgh", 18);
    CHECK(er_lz4_decompress(z2, sizeof z2, out2, 18, NULL) == 0);
    CHECK(memcmp(out2, "0123456789abcdefgh", 18) == 0);
    /* the empty block is one zero token */
    static const unsigned char z0[] = {0};
    CHECK(er_lz4_decompress(z0, 1, out, 0, NULL) == 0);
    CHECK(er_lz4_decompress(z0, 0, out, 0, NULL) != 0);
}

TEST(lz4_decoder_is_strict) {
    size_t at;
    unsigned char out[64];
    /* offset 0, offset before the output's start */
    static const unsigned char off0[] = {0x10, 'a', 0x00, 0x00, 0x10, 'b'};
    CHECK(er_lz4_decompress(off0, sizeof off0, out, 6, &at) != 0);
    CHECK_EQ_INT((int)at, 2);
    static const unsigned char off2[] = {0x10, 'a', 0x02, 0x00, 0x10, 'b'};
    CHECK(er_lz4_decompress(off2, sizeof off2, out, 6, &at) != 0);
    /* a block that ends right after a match (no closing literals) */
    static const unsigned char nolit[] = {0x10, 'a', 0x01, 0x00};
    CHECK(er_lz4_decompress(nolit, sizeof nolit, out, 5, &at) != 0);
    /* literals running past the input; a match past the output */
    static const unsigned char longlit[] = {0x50, 'a', 'b'};
    CHECK(er_lz4_decompress(longlit, sizeof longlit, out, 5, &at) != 0);
    static const unsigned char longmatch[] = {0x1f, 'a', 0x01, 0x00, 0x20, 0x10, 'b'};
    CHECK(er_lz4_decompress(longmatch, sizeof longmatch, out, 53, &at) == 0); /* 1+51+1 */
    CHECK(er_lz4_decompress(longmatch, sizeof longmatch, out, 20, &at) != 0); /* 52 > 20 */
    /* a length extension that never ends */
    unsigned char ext[40];
    memset(ext, 255, sizeof ext);
    ext[0] = 0xf0;
    CHECK(er_lz4_decompress(ext, sizeof ext, out, sizeof out, &at) != 0);
    /* every truncation of a real block fails cleanly (ASan watches reads) */
    unsigned seed = 3;
    size_t n = 5000, cap = er_lz4_bound(n);
    unsigned char *src = malloc(n), *z = malloc(cap), *back = malloc(n);
    fill(src, n, 4, &seed);
    size_t zn = er_lz4_compress(src, n, z, cap);
    CHECK(zn > 0);
    for (size_t k = 0; k < zn; k++) {
        unsigned char *cut = malloc(k ? k : 1); /* exact size: reads past it are caught */
        memcpy(cut, z, k);
        CHECK_MSG(er_lz4_decompress(cut, k, back, n, &at) != 0, "truncated at %zu decoded", k);
        CHECK(at <= k);
        free(cut);
    }
    free(src);
    free(z);
    free(back);
}

TEST(erm_shuffle_round_trips) {
    unsigned char a[136 * 5], s[sizeof a], b[sizeof a];
    for (size_t i = 0; i < sizeof a; i++) a[i] = (unsigned char)(i * 7 + 3);
    er_erm_shuffle(s, a, 136, 5);
    CHECK_EQ_INT(s[1], a[136]); /* byte 0 of record 1 follows byte 0 of record 0 */
    er_erm_unshuffle(b, s, 136, 5);
    CHECK(memcmp(a, b, sizeof a) == 0);
}
