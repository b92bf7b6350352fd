/* alloc.c - allocation with OOM injection for tests. */
#include "alloc.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

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

void *er_aligned_alloc(size_t n) {
    if (too_big(n) || should_fail()) return NULL;
    void *p = NULL;
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
