/* erm_hash.c - XXH64, the checksum of .erm files.
 *
 * Written from the public XXH64 specification (xxHash, Yann Collet): four
 * 64-bit lanes consume 32-byte stripes, then the lanes are merged, the tail
 * is folded in 8, 4 and 1 byte steps, and a final avalanche mixes the bits.
 * It runs at memory speed in portable C (no SIMD needed), which matters
 * because the checksum covers every weight byte of the file. Test vectors in
 * tests/unit/test_erm.c match the reference `xxhsum -H64`. */
#include <string.h>

#include "erm_format.h"

#define P1 0x9E3779B185EBCA87ull
#define P2 0xC2B2AE3D27D4EB4Full
#define P3 0x165667B19E3779F9ull
#define P4 0x85EBCA77C2B2AE63ull
#define P5 0x27D4EB2F165667C5ull

static inline uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

static inline uint64_t rd64(const unsigned char *p) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
#else
    return er_erm_u64(p);
#endif
}

static inline uint64_t round64(uint64_t acc, uint64_t in) {
    acc += in * P2;
    acc = rotl(acc, 31);
    return acc * P1;
}

static inline uint64_t merge(uint64_t acc, uint64_t v) {
    acc ^= round64(0, v);
    return acc * P1 + P4;
}

void er_xxh64_init(er_xxh64_state *h) {
    memset(h, 0, sizeof *h);
    h->v[0] = P1 + P2;
    h->v[1] = P2;
    h->v[2] = 0;
    h->v[3] = 0 - P1;
}

/* Consumes whole stripes; returns the bytes used (a multiple of 32). */
static size_t stripes(uint64_t v[4], const unsigned char *p, size_t n) {
    uint64_t a = v[0], b = v[1], c = v[2], d = v[3];
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        a = round64(a, rd64(p + i));
        b = round64(b, rd64(p + i + 8));
        c = round64(c, rd64(p + i + 16));
        d = round64(d, rd64(p + i + 24));
    }
    v[0] = a, v[1] = b, v[2] = c, v[3] = d;
    return i;
}

void er_xxh64_update(er_xxh64_state *h, const void *data, size_t n) {
    if (n == 0) return;
    const unsigned char *p = data;
    h->total += n;
    if (h->buf_n) {
        size_t take = 32 - h->buf_n < n ? 32 - h->buf_n : n;
        memcpy(h->buf + h->buf_n, p, take);
        h->buf_n += take;
        p += take;
        n -= take;
        if (h->buf_n < 32) return;
        stripes(h->v, h->buf, 32);
        h->buf_n = 0;
    }
    size_t used = stripes(h->v, p, n);
    if (n > used) {
        memcpy(h->buf, p + used, n - used);
        h->buf_n = n - used;
    }
}

uint64_t er_xxh64_digest(const er_xxh64_state *h) {
    uint64_t acc;
    if (h->total >= 32) {
        acc = rotl(h->v[0], 1) + rotl(h->v[1], 7) + rotl(h->v[2], 12) + rotl(h->v[3], 18);
        for (int i = 0; i < 4; i++) acc = merge(acc, h->v[i]);
    } else {
        acc = P5; /* seed 0 */
    }
    acc += h->total;
    const unsigned char *p = h->buf;
    size_t n = h->buf_n;
    for (; n >= 8; p += 8, n -= 8) {
        acc ^= round64(0, rd64(p));
        acc = rotl(acc, 27) * P1 + P4;
    }
    if (n >= 4) {
        acc ^= (uint64_t)er_erm_u32(p) * P1;
        acc = rotl(acc, 23) * P2 + P3;
        p += 4;
        n -= 4;
    }
    for (; n; p++, n--) {
        acc ^= (uint64_t)*p * P5;
        acc = rotl(acc, 11) * P1;
    }
    acc ^= acc >> 33;
    acc *= P2;
    acc ^= acc >> 29;
    acc *= P3;
    acc ^= acc >> 32;
    return acc;
}

uint64_t er_xxh64(const void *data, size_t n) {
    er_xxh64_state h;
    er_xxh64_init(&h);
    er_xxh64_update(&h, data, n);
    return er_xxh64_digest(&h);
}
