/* memplan.c - greedy-by-size first-fit arena planning. O(n^2 log n), fine
 * for graphs of thousands of tensors. */
#include "memplan.h"

#include <stdlib.h>

#include "core/alloc.h"
#include "core/checked_math.h"
#include "core/status.h"

typedef struct { size_t off, end; } span;

static int cmp_span(const void *a, const void *b) {
    const span *x = a, *y = b;
    return x->off < y->off ? -1 : x->off > y->off;
}

static size_t padded(size_t n) {
    size_t t;
    if (!er_add_size(&t, n, ER_SIMD_PAD) || !er_align_size(&t, t, ER_ALIGN)) return (size_t)-1;
    return t;
}

typedef struct { size_t size; int index; } by_size;

/* Largest first; equal sizes keep input order, so the plan is deterministic. */
static int cmp_by_size(const void *a, const void *b) {
    const by_size *x = a, *y = b;
    if (x->size != y->size) return x->size > y->size ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

er_status er_memplan(er_buf_req *reqs, int n, size_t *arena_bytes) {
    *arena_bytes = 0;
    if (n == 0) return ER_OK;
    by_size *order = er_malloc(sizeof(by_size) * (size_t)n);
    int *placed = er_malloc(sizeof(int) * (size_t)n);
    span *live = er_malloc(sizeof(span) * (size_t)n);
    if (!order || !placed || !live) {
        er_free(order);
        er_free(placed);
        er_free(live);
        return er_fail(ER_ERR_NOMEM, "out of memory planning the arena");
    }
    for (int i = 0; i < n; i++) {
        order[i].size = reqs[i].size;
        order[i].index = i;
        if (padded(reqs[i].size) == (size_t)-1) {
            er_free(order);
            er_free(placed);
            er_free(live);
            return er_fail(ER_ERR_NOMEM, "activation of %zu bytes is too large", reqs[i].size);
        }
    }
    qsort(order, (size_t)n, sizeof(by_size), cmp_by_size);
    size_t total = 0;
    int n_placed = 0;
    for (int k = 0; k < n; k++) {
        er_buf_req *r = &reqs[order[k].index];
        size_t need = padded(r->size);
        int n_live = 0;
        for (int j = 0; j < n_placed; j++) {
            const er_buf_req *p = &reqs[placed[j]];
            if (p->first <= r->last && r->first <= p->last) {
                live[n_live].off = p->offset;
                live[n_live].end = p->offset + padded(p->size);
                n_live++;
            }
        }
        qsort(live, (size_t)n_live, sizeof(span), cmp_span);
        size_t off = 0;
        for (int j = 0; j < n_live; j++) {
            if (live[j].off >= off && live[j].off - off >= need) break;
            if (live[j].end > off) off = live[j].end;
        }
        r->offset = off;
        if (off + need > total) total = off + need;
        placed[n_placed++] = order[k].index;
    }
    er_free(order);
    er_free(placed);
    er_free(live);
    *arena_bytes = total;
    return ER_OK;
}

bool er_memplan_valid(const er_buf_req *reqs, int n, size_t arena_bytes) {
    for (int i = 0; i < n; i++) {
        if (reqs[i].offset % ER_ALIGN) return false;
        if (reqs[i].offset + reqs[i].size > arena_bytes) return false;
        for (int j = i + 1; j < n; j++) {
            const er_buf_req *a = &reqs[i], *b = &reqs[j];
            if (a->first > b->last || b->first > a->last) continue;
            if (a->size == 0 || b->size == 0) continue;
            if (a->offset < b->offset + b->size && b->offset < a->offset + a->size) return false;
        }
    }
    return true;
}
