/* alloc.h - every heap allocation of the library goes through here, so tests
 * can make the Nth allocation fail (OOM injection, as SQLite and Lua do) and
 * so an embedder may later plug in its own allocator. */
#ifndef ER_CORE_ALLOC_H
#define ER_CORE_ALLOC_H

#include <stddef.h>

/* Alignment of er_aligned_alloc buffers: one cache line / AVX-512 vector. */
#define ER_ALIGN 64

void *er_malloc(size_t n);
void *er_calloc(size_t count, size_t size); /* checks count*size overflow */
void *er_realloc(void *p, size_t n);
void er_free(void *p);
void *er_aligned_alloc(size_t n); /* ER_ALIGN-aligned; free with er_aligned_free */
void er_aligned_free(void *p);
char *er_strdup(const char *s);

/* Test hook: after `n` more successful allocations, every allocation fails
 * (n < 0 disables). Returns the number of allocations made so far. */
void er_alloc_fail_after(long n);
/* Test hook: any single allocation above max_bytes fails (0 = no cap). The
 * fuzzers use it so hostile shapes end in ER_ERR_NOMEM, not in the OS. */
void er_alloc_cap(size_t max_bytes);
long er_alloc_count(void);

#endif
