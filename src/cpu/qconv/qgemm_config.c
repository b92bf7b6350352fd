/* qgemm_config.c - the list of int8 GEMM microkernel variants (from
 * qgemm.inc), the per-ISA choice, and weight packing. */
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/checked_math.h"
#include "cpu/qconv/amx.h"
#include "cpu/qconv/qgemm.h"

static const er_qgemm_ukernel k_ukernels[] = {
#define ER_QGEMM_UKERNEL(isa, feature, fn, mr, nr) {#fn, isa, feature, mr, nr, fn},
#include "cpu/qconv/qgemm.inc"
#undef ER_QGEMM_UKERNEL
};

const er_qgemm_ukernel *er_qgemm_ukernels(size_t *count) {
    *count = sizeof k_ukernels / sizeof k_ukernels[0];
    return k_ukernels;
}

unsigned er_qfeatures_detected(void) {
    const er_cpu_features *f = er_cpu();
    unsigned m = 0;
    if (f->avx512_vnni) m |= ER_QF_VNNI512;
    if (f->avx_vnni) m |= ER_QF_AVXVNNI;
    if (f->amx_int8 && er_amx_request()) m |= ER_QF_AMX;
    return m;
}

unsigned er_qfeatures_for(er_isa isa) {
    unsigned m = er_qfeatures_detected();
    if (isa == ER_ISA_NEON || isa < ER_ISA_AVX512) m &= ~(unsigned)(ER_QF_VNNI512 | ER_QF_AMX);
    if (isa == ER_ISA_NEON || isa < ER_ISA_AVX2) m &= ~(unsigned)ER_QF_AVXVNNI;
    const char *env = getenv("EDGERUN_QFEATURES");
    if (env && *env) m &= (unsigned)strtoul(env, NULL, 0);
    return m;
}

const er_qgemm_ukernel *er_qgemm_pick(er_isa isa, unsigned features, int64_t n) {
    /* NEON has no int8 variant yet: it runs the portable one */
    if (isa == ER_ISA_NEON || isa < ER_ISA_SCALAR) isa = ER_ISA_SCALAR;
    size_t count = sizeof k_ukernels / sizeof k_ukernels[0];
    const char *force = getenv("EDGERUN_QGEMM_KERNEL");
    for (size_t i = 0; force && *force && i < count; i++)
        if (strcmp(k_ukernels[i].name, force) == 0 && k_ukernels[i].isa <= isa &&
            (k_ukernels[i].feature & ~features) == 0)
            return &k_ukernels[i];
    /* the first allowed row sets the level and extension; among the rows of
     * that kind, the one padding the fewest columns of n wins (ties: the
     * earlier row) */
    const er_qgemm_ukernel *first = NULL, *best = NULL;
    int64_t best_waste = 0;
    for (size_t i = 0; i < count; i++) {
        const er_qgemm_ukernel *u = &k_ukernels[i];
        if (u->isa > isa || (u->feature & ~features) != 0) continue;
        if (!first) first = u;
        if (u->isa != first->isa || u->feature != first->feature) continue;
        int64_t waste = (n + u->nr - 1) / u->nr * u->nr - n;
        if (!best || waste < best_waste) {
            best = u;
            best_waste = waste;
        }
    }
    return best ? best : &k_ukernels[count - 1];
}

size_t er_qgemm_panel_bytes(int nr, size_t ks, size_t kc4) {
    size_t w, t;
    if (!er_mul_size(&w, ks, kc4) || !er_mul_size(&w, w, (size_t)nr) ||
        !er_add_size(&t, er_qgemm_off_w(nr), w) || !er_add_size(&t, t, 63 + (size_t)nr * 36 + 63) ||
        t > ((size_t)1 << 40))
        return 0;
    return er_qgemm_panel_stride(nr, ks, kc4);
}

/* The requantization constants of one panel's columns (zeroed memory at q):
 * mult, cpos, dneg, rshift in er_qslot order, then left. */
static void put_cols(unsigned char *q, int64_t cnt, int nr, const er_qcol *cols) {
    int64_t *mult = (int64_t *)(void *)q, *cpos = mult + nr, *dneg = cpos + nr, *rsh = dneg + nr;
    int32_t *left = (int32_t *)(rsh + nr);
    for (int64_t j = 0; j < cnt; j++) {
        size_t sl = er_qslot((size_t)j, nr);
        mult[sl] = cols[j].mult;
        cpos[sl] = cols[j].cpos;
        dneg[sl] = cols[j].dneg;
        rsh[sl] = cols[j].rshift;
        left[j] = cols[j].left;
    }
    /* padded columns: mult 0 keeps their (never stored) values finite */
    for (int64_t j = cnt; j < nr; j++) rsh[er_qslot((size_t)j, nr)] = 31;
}

void er_qgemm_pack_dense(int64_t n, int64_t ks, int64_t kc, int nr, const int8_t *src,
                         size_t stride, size_t len, const int32_t *bias, int32_t zu,
                         const er_qcol *cols, void *out) {
    size_t kc4 = (size_t)(kc + 3) & ~(size_t)3;
    size_t panel = er_qgemm_panel_bytes(nr, (size_t)ks, kc4);
    size_t off_w = er_qgemm_off_w(nr), off_q = er_qgemm_off_q(nr, (size_t)ks, kc4);
    size_t used = (size_t)(ks * kc) < len ? (size_t)(ks * kc) : len; /* the rest is zero */
    for (int64_t j0 = 0, p = 0; j0 < n; j0 += nr, p++) {
        unsigned char *base = (unsigned char *)out + (size_t)p * panel;
        memset(base, 0, panel);
        int32_t *b = (int32_t *)base;
        int8_t *w = (int8_t *)(base + off_w);
        int64_t cnt = n - j0 < nr ? n - j0 : nr;
        for (int64_t j = 0; j < cnt; j++) {
            const int8_t *row = src + (size_t)(j0 + j) * stride;
            for (int64_t t = 0; t < ks; t++) {
                /* column j's rows k of tap t: groups of 4 bytes, nr * 4 apart */
                int8_t *wt = w + (size_t)t * kc4 * (size_t)nr + (size_t)j * 4;
                int64_t k = 0;
                for (; k + 4 <= kc && (size_t)(t * kc + k) + 4 <= used; k += 4)
                    memcpy(wt + (size_t)k * (size_t)nr, row + t * kc + k, 4);
                for (; k < kc && (size_t)(t * kc + k) < used; k++)
                    wt[(size_t)(k & ~(int64_t)3) * (size_t)nr + (size_t)(k & 3)] = row[t * kc + k];
            }
            uint32_t sum = 0; /* sum of w' over every tap and row, modulo 2^32 */
            for (size_t i = 0; i < used; i++) sum += (uint32_t)(int32_t)row[i];
            uint32_t bv = bias ? (uint32_t)bias[j0 + j] : 0;
            /* bias - zu * sum, wrapping modulo 2^32 like the accumulation */
            uint32_t adj = bv - (uint32_t)zu * sum;
            memcpy(&b[j], &adj, sizeof adj);
        }
        put_cols(base + off_q, cnt, nr, cols + j0);
    }
}

int er_qgemm_packed_cols_match(int64_t n, int64_t ks, int64_t kc, int nr, const er_qcol *cols,
                               const void *packed) {
    size_t kc4 = (size_t)(kc + 3) & ~(size_t)3;
    size_t panel = er_qgemm_panel_bytes(nr, (size_t)ks, kc4);
    size_t off_q = er_qgemm_off_q(nr, (size_t)ks, kc4), qbytes = panel - off_q;
    unsigned char *want = er_aligned_alloc(qbytes);
    if (!want) return 0;
    int ok = 1;
    for (int64_t j0 = 0, p = 0; ok && j0 < n; j0 += nr, p++) {
        memset(want, 0, qbytes);
        put_cols(want, n - j0 < nr ? n - j0 : nr, nr, cols + j0);
        ok = memcmp((const unsigned char *)packed + (size_t)p * panel + off_q, want, qbytes) == 0;
    }
    er_aligned_free(want);
    return ok;
}
