/* pool.h - a bump allocator for objects that live and die together (a
 * model's names, attributes and small arrays). One er_pool_free releases
 * everything, which keeps importer error paths trivial. */
#ifndef ER_CORE_POOL_H
#define ER_CORE_POOL_H

#include <stddef.h>

typedef struct er_pool er_pool;

er_pool *er_pool_create(void);
void er_pool_free(er_pool *p);
/* 16-byte aligned, zero-filled; NULL on OOM or overflow. */
void *er_pool_alloc(er_pool *p, size_t n);
void *er_pool_array(er_pool *p, size_t count, size_t size);
/* Copies n bytes and adds a NUL terminator. */
char *er_pool_strndup(er_pool *p, const char *s, size_t n);
char *er_pool_strdup(er_pool *p, const char *s);
/* Bytes handed out so far. */
size_t er_pool_used(const er_pool *p);

#endif
