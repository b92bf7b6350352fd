/* pool.c - chunked bump allocation; large requests get their own chunk. */
#include "pool.h"

#include <string.h>

#include "alloc.h"
#include "checked_math.h"

#define CHUNK 65536

typedef struct chunk {
    struct chunk *next;
    size_t size, used;
    _Alignas(16) unsigned char data[];
} chunk;

struct er_pool {
    chunk *head;
    size_t used;
};

er_pool *er_pool_create(void) { return er_calloc(1, sizeof(er_pool)); }

void er_pool_free(er_pool *p) {
    if (!p) return;
    chunk *c = p->head;
    while (c) {
        chunk *n = c->next;
        er_free(c);
        c = n;
    }
    er_free(p);
}

void *er_pool_alloc(er_pool *p, size_t n) {
    size_t need;
    if (!er_align_size(&need, n ? n : 1, 16)) return NULL;
    chunk *c = p->head;
    if (!c || c->size - c->used < need) {
        size_t sz = need > CHUNK ? need : CHUNK, total;
        if (!er_add_size(&total, sizeof(chunk), sz)) return NULL;
        chunk *nc = er_malloc(total);
        if (!nc) return NULL;
        nc->size = sz;
        nc->used = 0;
        if (c && need > CHUNK) { /* keep the partly used chunk current */
            nc->next = c->next;
            c->next = nc;
        } else {
            nc->next = c;
            p->head = nc;
        }
        c = nc;
    }
    void *r = c->data + c->used;
    c->used += need;
    p->used += need;
    memset(r, 0, need);
    return r;
}

void *er_pool_array(er_pool *p, size_t count, size_t size) {
    size_t n;
    if (!er_mul_size(&n, count, size)) return NULL;
    return er_pool_alloc(p, n);
}

char *er_pool_strndup(er_pool *p, const char *s, size_t n) {
    size_t t;
    if (!er_add_size(&t, n, 1)) return NULL;
    char *d = er_pool_alloc(p, t);
    if (!d) return NULL;
    if (n) memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *er_pool_strdup(er_pool *p, const char *s) { return er_pool_strndup(p, s, strlen(s)); }

size_t er_pool_used(const er_pool *p) { return p->used; }
