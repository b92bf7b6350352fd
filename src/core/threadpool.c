/* threadpool.c - pthreads pool: fixed chunks that any thread may claim.
 *
 * Why several chunks per thread (ER_CHUNKS_PER_THREAD): with one chunk
 * each, the caller of a 2-thread session waited for the worker's chunk 11-22%
 * of the time it spent in parallel loops (mnasnet1_0, mobilenet_v2,
 * squeezenet1_1, 200 runs, clock around the final wait); with 4 per thread
 * the wait fell 3-5x. The worker starts a little later and often reads
 * data the caller's core wrote, so equal halves do not finish together.
 *
 * A job [0, n) is cut into `chunks` contiguous ranges, always the same for a
 * given n and thread count, so results never depend on timing. Which thread
 * runs a chunk is not fixed: the caller and the workers claim chunks from a
 * counter. When the OS has not scheduled a worker (more runnable threads
 * than cores), the caller simply runs that worker's chunk itself instead of
 * spinning until the worker gets a core.
 *
 * The claim word holds (job generation << 32 | chunk count << 16 | next
 * chunk). A worker loads it (acquire: the job's fields, written before it,
 * are then visible), reads the fields, and claims with a compare-and-swap
 * that expects the same generation and an unclaimed chunk. If that succeeds
 * the job is still open, and since the caller rewrites the fields only after
 * every chunk of a job has finished, the fields it read were that job's. A
 * late worker holding another job's fields fails the swap. (The fields are
 * relaxed atomics: read while possibly being rewritten, used only when the
 * swap proves they were current.) Workers spin briefly after a job, then sleep on a condition
 * variable. */
#include "threadpool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "alloc.h"
#include "status.h"

#define SPIN_ITERS 20000

/* Tells the core we are spinning (frees resources for the sibling
 * hyperthread and saves power); a no-op where there is no such hint. */
static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield");
#endif
}

struct er_threadpool {
    int n;                 /* threads including the caller */
    pthread_t *threads;
    pthread_mutex_t mu;
    pthread_cond_t wake;
    atomic_uint generation;   /* bumped once per job */
    atomic_ullong claim;      /* generation << 32 | chunks << 16 | next unclaimed chunk */
    atomic_int done;          /* chunks finished in the current job */
    atomic_int stop;
    /* current job: written by the caller before the claim word */
    _Atomic(er_task_fn) fn;
    _Atomic(void *) arg;
    atomic_llong n_items;
};

#define MAX_CHUNKS 0xffff

typedef struct { er_threadpool *p; int tid; } worker_arg;

static void chunk_range(int64_t n, int chunks, int c, int64_t *b, int64_t *e) {
    int64_t base = n / chunks, rem = n % chunks;
    *b = c * base + (c < rem ? c : rem);
    *e = *b + base + (c < rem ? 1 : 0);
}

/* Claims and runs chunks of job `gen` until none is left. */
static void run_chunks(er_threadpool *p, unsigned gen, int tid) {
    for (;;) {
        unsigned long long v = atomic_load_explicit(&p->claim, memory_order_acquire);
        unsigned chunks = (unsigned)(v >> 16) & MAX_CHUNKS, next = (unsigned)v & MAX_CHUNKS;
        if ((unsigned)(v >> 32) != gen || next >= chunks) return;
        er_task_fn fn = atomic_load_explicit(&p->fn, memory_order_relaxed);
        void *arg = atomic_load_explicit(&p->arg, memory_order_relaxed);
        int64_t n = atomic_load_explicit(&p->n_items, memory_order_relaxed);
        if (!atomic_compare_exchange_weak_explicit(&p->claim, &v, v + 1, memory_order_acq_rel,
                                                   memory_order_acquire))
            continue;
        int64_t b, e;
        chunk_range(n, (int)chunks, (int)next, &b, &e);
        if (b < e) fn(arg, b, e, tid);
        atomic_fetch_add_explicit(&p->done, 1, memory_order_release);
    }
}

static void *worker(void *a) {
    worker_arg wa = *(worker_arg *)a;
    er_free(a);
    er_threadpool *p = wa.p;
    /* Jobs are counted from generation 0 (the pool is calloc'd and no job can
     * be posted before er_threadpool_create returns). Reading the counter
     * here instead would race with a job posted before this thread starts. */
    unsigned seen = 0;
    for (;;) {
        int spins = 0;
        while (atomic_load_explicit(&p->generation, memory_order_acquire) == seen &&
               !atomic_load(&p->stop) && spins < SPIN_ITERS) {
            cpu_relax();
            spins++;
        }
        if (atomic_load_explicit(&p->generation, memory_order_acquire) == seen &&
            !atomic_load(&p->stop)) {
            pthread_mutex_lock(&p->mu);
            while (atomic_load(&p->generation) == seen && !atomic_load(&p->stop))
                pthread_cond_wait(&p->wake, &p->mu);
            pthread_mutex_unlock(&p->mu);
        }
        if (atomic_load(&p->stop)) return NULL;
        seen = atomic_load_explicit(&p->generation, memory_order_acquire);
        run_chunks(p, seen, wa.tid);
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

static void parallel_chunks(er_threadpool *p, int64_t n, int64_t grain, int per_thread,
                            er_task_fn fn, void *arg) {
    if (n <= 0) return;
    if (grain < 1) grain = 1;
    int chunks = p ? p->n * per_thread : 1;
    if (n / grain < chunks) chunks = (int)(n / grain > 0 ? n / grain : 1);
    if (chunks > MAX_CHUNKS) chunks = MAX_CHUNKS;
    if (!p || chunks <= 1) {
        fn(arg, 0, n, 0);
        return;
    }
    /* the previous job is complete (we waited for it), so no worker can be
     * running a chunk: publish the new job, then its claim counter, then
     * wake everyone */
    unsigned gen = atomic_load_explicit(&p->generation, memory_order_relaxed) + 1;
    atomic_store_explicit(&p->fn, fn, memory_order_relaxed);
    atomic_store_explicit(&p->arg, arg, memory_order_relaxed);
    atomic_store_explicit(&p->n_items, n, memory_order_relaxed);
    atomic_store_explicit(&p->done, 0, memory_order_relaxed);
    atomic_store_explicit(&p->claim, (unsigned long long)gen << 32 | (unsigned long long)chunks << 16,
                          memory_order_release);
    pthread_mutex_lock(&p->mu);
    atomic_store_explicit(&p->generation, gen, memory_order_release);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    run_chunks(p, gen, 0);
    /* chunks claimed by workers may still be running */
    while (atomic_load_explicit(&p->done, memory_order_acquire) < chunks) cpu_relax();
}

void er_parallel_for(er_threadpool *p, int64_t n, int64_t grain, er_task_fn fn, void *arg) {
    parallel_chunks(p, n, grain, ER_CHUNKS_PER_THREAD, fn, arg);
}

void er_parallel_for_even(er_threadpool *p, int64_t n, int64_t grain, er_task_fn fn, void *arg) {
    parallel_chunks(p, n, grain, 1, fn, arg);
}

int er_cpu_count(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (int)n;
}
