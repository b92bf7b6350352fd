/* alloc.c - allocation with OOM injection for tests. */
#include "alloc.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

static atomic_long g_fail_after = -1; /* -1: never fail */
static atomic_long g_count = 0;
static atomic_size_t g_max_single = 0; /* 0: no cap */

void er_alloc_cap(size_t max_bytes) { atomic_store(&g_max_single, max_bytes); }

static int too_big(size_t n) {
    size_t cap = atomic_load(&g_max_single);
    return cap && n > cap;
}

static int should_fail(void) {
    atomic_fetch_add(&g_count, 1);
    long f = atomic_load(&g_fail_after);
    if (f < 0) return 0;
    if (f == 0) return 1;
    atomic_fetch_sub(&g_fail_after, 1);
    return 0;
}

void er_alloc_fail_after(long n) { atomic_store(&g_fail_after, n); }
long er_alloc_count(void) { return atomic_load(&g_count); }

void *er_malloc(size_t n) {
    if (too_big(n) || should_fail()) return NULL;
    return malloc(n ? n : 1);
}

void *er_calloc(size_t count, size_t size) {
    if (size && count > (size_t)-1 / size) return NULL;
    if (too_big(count * size) || should_fail()) return NULL;
    return calloc(count ? count : 1, size ? size : 1);
}

void *er_realloc(void *p, size_t n) {
    if (too_big(n) || should_fail()) return NULL;
    return realloc(p, n ? n : 1);
}

void er_free(void *p) { free(p); }

/* Buffers from this size on (packed weights of big layers, arenas) are
 * 2 MiB aligned and offered to transparent huge pages: one page fault and
 * one TLB entry per 2 MiB instead of 512 of each. Measured on resnet18
 * (docs/memory.md): session creation spent a quarter of its time in page
 * faults on freshly packed weights. */
#define HUGE_FROM ((size_t)4 << 20)
#define HUGE_PAGE ((size_t)2 << 20)

void *er_aligned_alloc(size_t n) {
    if (too_big(n) || should_fail()) return NULL;
    void *p = NULL;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (n >= HUGE_FROM) {
        if (posix_memalign(&p, HUGE_PAGE, n) != 0) return NULL;
        /* whole huge pages only: the tail stays in small pages, so resident
         * memory does not grow by the rounding (a hint: failure is fine) */
        (void)madvise(p, n & ~(HUGE_PAGE - 1), MADV_HUGEPAGE);
        return p;
    }
#endif
    if (posix_memalign(&p, ER_ALIGN, n ? n : ER_ALIGN) != 0) return NULL;
    return p;
}

void er_aligned_free(void *p) { free(p); }

char *er_strdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *d = er_malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}
