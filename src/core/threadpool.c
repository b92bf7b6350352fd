/* threadpool.c - pthreads pool: generation counter + spin-then-sleep. */
#include "threadpool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "alloc.h"
#include "status.h"

#define SPIN_ITERS 20000

struct er_threadpool {
    int n;                 /* threads including the caller */
    pthread_t *threads;
    pthread_mutex_t mu;
    pthread_cond_t wake;
    atomic_uint generation;
    atomic_int pending;    /* workers still busy with the current job */
    atomic_int stop;
    /* current job */
    er_task_fn fn;
    void *arg;
    int64_t n_items;
    int chunks;
};

typedef struct { er_threadpool *p; int tid; } worker_arg;

static void chunk_range(int64_t n, int chunks, int c, int64_t *b, int64_t *e) {
    int64_t base = n / chunks, rem = n % chunks;
    *b = c * base + (c < rem ? c : rem);
    *e = *b + base + (c < rem ? 1 : 0);
}

static void *worker(void *a) {
    worker_arg wa = *(worker_arg *)a;
    er_free(a);
    er_threadpool *p = wa.p;
    /* Jobs are counted from generation 0 (the pool is calloc'd and no job can
     * be posted before er_threadpool_create returns). Reading the counter
     * here instead would race with a job posted before this thread starts:
     * the worker would skip it and er_parallel_for would wait forever. */
    unsigned seen = 0;
    for (;;) {
        int spins = 0;
        while (atomic_load_explicit(&p->generation, memory_order_acquire) == seen &&
               !atomic_load(&p->stop) && spins < SPIN_ITERS)
            spins++;
        if (atomic_load_explicit(&p->generation, memory_order_acquire) == seen &&
            !atomic_load(&p->stop)) {
            pthread_mutex_lock(&p->mu);
            while (atomic_load(&p->generation) == seen && !atomic_load(&p->stop))
                pthread_cond_wait(&p->wake, &p->mu);
            pthread_mutex_unlock(&p->mu);
        }
        if (atomic_load(&p->stop)) return NULL;
        seen = atomic_load(&p->generation);
        if (wa.tid < p->chunks) {
            int64_t b, e;
            chunk_range(p->n_items, p->chunks, wa.tid, &b, &e);
            if (b < e) p->fn(p->arg, b, e, wa.tid);
        }
        atomic_fetch_sub_explicit(&p->pending, 1, memory_order_release);
    }
}

er_status er_threadpool_create(int threads, er_threadpool **out) {
    *out = NULL;
    if (threads < 1) threads = 1;
    if (threads > 256) threads = 256;
    er_threadpool *p = er_calloc(1, sizeof *p);
    if (!p) return er_fail(ER_ERR_NOMEM, "out of memory creating a thread pool");
    p->n = threads;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->wake, NULL);
    if (threads > 1) {
        p->threads = er_calloc((size_t)threads, sizeof(pthread_t));
        if (!p->threads) {
            er_threadpool_free(p);
            return er_fail(ER_ERR_NOMEM, "out of memory creating a thread pool");
        }
    }
    for (int i = 1; i < threads; i++) {
        worker_arg *wa = er_malloc(sizeof *wa);
        if (wa) {
            wa->p = p;
            wa->tid = i;
        }
        if (!wa || pthread_create(&p->threads[i], NULL, worker, wa) != 0) {
            er_free(wa);
            p->n = i; /* only join the ones that started */
            er_threadpool_free(p);
            return er_fail(ER_ERR_NOMEM, "cannot start worker thread %d", i);
        }
    }
    *out = p;
    return ER_OK;
}

void er_threadpool_free(er_threadpool *p) {
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    atomic_store(&p->stop, 1);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    for (int i = 1; i < p->n; i++) pthread_join(p->threads[i], NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->wake);
    er_free(p->threads);
    er_free(p);
}

int er_threadpool_size(const er_threadpool *p) { return p ? p->n : 1; }

void er_parallel_for(er_threadpool *p, int64_t n, int64_t grain, er_task_fn fn, void *arg) {
    if (n <= 0) return;
    if (grain < 1) grain = 1;
    int chunks = p ? p->n : 1;
    if (n / grain < chunks) chunks = (int)(n / grain > 0 ? n / grain : 1);
    if (!p || chunks <= 1) {
        fn(arg, 0, n, 0);
        return;
    }
    p->fn = fn;
    p->arg = arg;
    p->n_items = n;
    p->chunks = chunks;
    atomic_store(&p->pending, p->n - 1);
    pthread_mutex_lock(&p->mu);
    atomic_fetch_add_explicit(&p->generation, 1, memory_order_release);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    int64_t b, e;
    chunk_range(n, chunks, 0, &b, &e);
    fn(arg, b, e, 0);
    while (atomic_load_explicit(&p->pending, memory_order_acquire) > 0) {
    }
}

int er_cpu_count(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (int)n;
}
