/* lz4.c - LZ4 block format encoder and strict decoder (see lz4.h). */
#include "lz4.h"

#include <stdint.h>
#include <string.h>

#include "alloc.h"

enum {
    MIN_MATCH = 4,      /* the format's shortest match */
    LAST_LITERALS = 5,  /* the last 5 bytes of a block are always literals */
    MF_LIMIT = 12,      /* no match starts in the last 12 bytes */
    MAX_OFFSET = 65535, /* 16-bit match offsets */
    HASH_BITS = 15,
    WINDOW = 1 << 16,   /* chain ring: every position inside the offset range */
    MAX_CHAIN = 256     /* candidates tried per position */
};

size_t er_lz4_bound(size_t n) {
    if (n > SIZE_MAX / 2) return 0;
    return n + n / 255 + 16;
}

static uint32_t read32(const unsigned char *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static uint32_t hash4(const unsigned char *p) {
    return (read32(p) * 2654435761u) >> (32 - HASH_BITS);
}

typedef struct enc {
    const unsigned char *src;
    size_t n;
    int32_t *head;  /* [1 << HASH_BITS] last position with that hash, -1 none */
    int32_t *chain; /* [WINDOW] previous position with the same hash */
    unsigned char *op, *oend;
    int overflow;
} enc;

static void insert(enc *e, size_t pos) {
    if (pos + MIN_MATCH > e->n) return;
    uint32_t h = hash4(e->src + pos);
    e->chain[pos & (WINDOW - 1)] = e->head[h];
    e->head[h] = (int32_t)pos;
}

/* Longest earlier match at pos that ends before limit (exclusive). */
static size_t find(const enc *e, size_t pos, size_t limit, size_t *offset) {
    size_t best = 0;
    int32_t j = e->head[hash4(e->src + pos)];
    for (int tries = 0; j >= 0 && tries < MAX_CHAIN; tries++) {
        size_t cand = (size_t)j;
        if (cand >= pos || pos - cand > MAX_OFFSET) break;
        size_t len = 0;
        while (pos + len < limit && e->src[cand + len] == e->src[pos + len]) len++;
        if (len > best) {
            best = len;
            *offset = pos - cand;
        }
        int32_t next = e->chain[cand & (WINDOW - 1)];
        if (next >= j) break; /* ring slot reused: older than the window */
        j = next;
    }
    return best;
}

static void put(enc *e, unsigned char b) {
    if (e->op < e->oend) *e->op++ = b;
    else e->overflow = 1;
}

static void put_len(enc *e, size_t len) { /* a length's extension bytes */
    for (; len >= 255; len -= 255) put(e, 255);
    put(e, (unsigned char)len);
}

/* One sequence: literals src[lit, lit + n_lit), then a match of mlen bytes
 * at offset back (mlen 0: the block's last sequence, literals only). */
static void emit(enc *e, size_t lit, size_t n_lit, size_t offset, size_t mlen) {
    size_t ml = mlen ? mlen - MIN_MATCH : 0;
    put(e, (unsigned char)((n_lit >= 15 ? 15 : n_lit) << 4 | (ml >= 15 ? 15 : ml)));
    if (n_lit >= 15) put_len(e, n_lit - 15);
    if ((size_t)(e->oend - e->op) < n_lit) {
        e->overflow = 1;
        return;
    }
    memcpy(e->op, e->src + lit, n_lit);
    e->op += n_lit;
    if (!mlen) return;
    put(e, (unsigned char)(offset & 255));
    put(e, (unsigned char)(offset >> 8));
    if (ml >= 15) put_len(e, ml - 15);
}

size_t er_lz4_compress(const void *src, size_t n, void *dst, size_t cap) {
    if (n > INT32_MAX) return 0;
    enc e = {.src = src, .n = n, .op = dst, .oend = (unsigned char *)dst + cap};
    e.head = er_malloc(sizeof(int32_t) << HASH_BITS);
    e.chain = er_malloc(sizeof(int32_t) * WINDOW);
    if (!e.head || !e.chain) {
        er_free(e.head);
        er_free(e.chain);
        return 0;
    }
    memset(e.head, 0xff, sizeof(int32_t) << HASH_BITS); /* all -1 */
    size_t anchor = 0;
    if (n > MF_LIMIT) {
        const size_t start_limit = n - MF_LIMIT;   /* matches start before this */
        const size_t end_limit = n - LAST_LITERALS; /* and end at or before this */
        size_t i = 0;
        while (i < start_limit && !e.overflow) {
            size_t off = 0, len = find(&e, i, end_limit, &off);
            insert(&e, i);
            if (len < MIN_MATCH) {
                i++;
                continue;
            }
            /* lazy: a longer match one byte on is worth a literal */
            size_t off2 = 0;
            if (i + 1 < start_limit && find(&e, i + 1, end_limit, &off2) > len) {
                i++;
                continue;
            }
            emit(&e, anchor, i - anchor, off, len);
            for (size_t k = i + 1; k < i + len; k++) insert(&e, k);
            i += len;
            anchor = i;
        }
    }
    emit(&e, anchor, n - anchor, 0, 0);
    er_free(e.head);
    er_free(e.chain);
    return e.overflow ? 0 : (size_t)(e.op - (unsigned char *)dst);
}

/* Reads a length's extension bytes (each 255 means "more follows"). */
static int read_len(const unsigned char **ip, const unsigned char *iend, size_t *len) {
    unsigned b;
    do {
        if (*ip >= iend) return -1;
        b = *(*ip)++;
        if (*len > SIZE_MAX - 255) return -1;
        *len += b;
    } while (b == 255);
    return 0;
}

int er_lz4_decompress(const void *src, size_t n, void *dst, size_t raw, size_t *err_at) {
    const unsigned char *const s = src, *ip = s, *const iend = s + n;
    unsigned char *const d = dst, *op = d, *const oend = d + raw;
    for (;;) {
        if (ip >= iend) goto fail; /* a block ends with a literal-only sequence */
        unsigned token = *ip++;
        size_t lit = token >> 4;
        if (lit == 15 && read_len(&ip, iend, &lit)) goto fail;
        if (lit > (size_t)(iend - ip) || lit > (size_t)(oend - op)) goto fail;
        if (lit) memcpy(op, ip, lit);
        op += lit;
        ip += lit;
        if (ip == iend) break;
        if (iend - ip < 2) goto fail;
        size_t offset = (size_t)ip[0] | (size_t)ip[1] << 8;
        if (offset == 0 || offset > (size_t)(op - d)) goto fail;
        ip += 2;
        size_t mlen = token & 15;
        if (mlen == 15 && read_len(&ip, iend, &mlen)) goto fail;
        mlen += MIN_MATCH;
        if (mlen > (size_t)(oend - op)) goto fail;
        const unsigned char *m = op - offset;
        if (offset >= mlen) {
            memcpy(op, m, mlen);
        } else { /* overlapping: a repeated pattern, byte by byte */
            for (size_t k = 0; k < mlen; k++) op[k] = m[k];
        }
        op += mlen;
    }
    if (op != oend) goto fail;
    return 0;
fail:
    if (err_at) *err_at = (size_t)(ip - s);
    return -1;
}
