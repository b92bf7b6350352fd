/* gemm_kernel.c - matrix multiply kernels (see gemm_kernel.h).
 *
 * float32: for each column block of NR and each depth block of KC, the B
 * panel is packed (zero-padded to NR columns) into a stack buffer, then every
 * row block of MR computes an MR x NR tile with the accumulators held in
 * local arrays that the compiler keeps in vector registers (4 x 16 with
 * KC 512 measured best for baseline x86-64 SSE2: ~30 GFLOP/s on one Zen 4
 * core, vs ~7 for 4 x 8). Work is split over column blocks (or row blocks
 * when N is narrow) across the thread pool: every task writes a disjoint
 * part of C and the summation order does not depend on the split, so results
 * do not depend on the thread count. */
#include "gemm_kernel.h"

#include <string.h>

#include "core/tensor.h"

#define MR 4
#define NR 16
#define KC 512

typedef struct {
    int64_t M, N, K;
    const float *A, *B;
    int64_t rsa, csa, rsb, csb, ldc;
    float *C;
    bool acc;
    bool split_rows; /* tasks index row blocks instead of column blocks */
} gemm_args;

/* MR x nr tile over kc depth; rows >= mr repeat the last valid row (their
 * results are dropped), so the inner loop has no branches. */
static void tile_f32(int64_t kc, const float *a, int64_t rsa, int64_t csa, int mr,
                     const float *bp, float *c, int64_t ldc, int nr, bool add) {
    const float *a0 = a;
    const float *a1 = a + (mr > 1 ? rsa : 0);
    const float *a2 = a + (mr > 2 ? 2 * rsa : 0);
    const float *a3 = a + (mr > 3 ? 3 * rsa : 0);
    float c0[NR] = {0}, c1[NR] = {0}, c2[NR] = {0}, c3[NR] = {0};
    for (int64_t k = 0; k < kc; k++) {
        const float *b = bp + k * NR;
        float x0 = a0[k * csa], x1 = a1[k * csa], x2 = a2[k * csa], x3 = a3[k * csa];
        for (int j = 0; j < NR; j++) {
            c0[j] += x0 * b[j];
            c1[j] += x1 * b[j];
            c2[j] += x2 * b[j];
            c3[j] += x3 * b[j];
        }
    }
    const float *rows[MR] = {c0, c1, c2, c3};
    for (int r = 0; r < mr; r++) {
        float *cr = c + r * ldc;
        if (add)
            for (int j = 0; j < nr; j++) cr[j] += rows[r][j];
        else
            for (int j = 0; j < nr; j++) cr[j] = rows[r][j];
    }
}

static void pack_b(const gemm_args *g, int64_t k0, int64_t kc, int64_t j0, int nr, float *bp) {
    for (int64_t k = 0; k < kc; k++) {
        const float *src = g->B + (k0 + k) * g->rsb + j0 * g->csb;
        float *dst = bp + k * NR;
        if (g->csb == 1 && nr == NR) {
            for (int j = 0; j < NR; j++) dst[j] = src[j]; /* a fixed-size copy beats memcpy */
            continue;
        }
        if (g->csb == 1) {
            memcpy(dst, src, sizeof(float) * (size_t)nr);
        } else {
            for (int j = 0; j < nr; j++) dst[j] = src[j * g->csb];
        }
        for (int j = nr; j < NR; j++) dst[j] = 0.0f;
    }
}

/* C[i0:i1, j0:j1] */
static void gemm_block(const gemm_args *g, int64_t i0, int64_t i1, int64_t j0, int64_t j1) {
    float bp[KC * NR];
    if (g->K == 0) {
        if (!g->acc)
            for (int64_t i = i0; i < i1; i++)
                memset(g->C + i * g->ldc + j0, 0, sizeof(float) * (size_t)(j1 - j0));
        return;
    }
    for (int64_t j = j0; j < j1; j += NR) {
        int nr = (int)(j1 - j < NR ? j1 - j : NR);
        for (int64_t k0 = 0; k0 < g->K; k0 += KC) {
            int64_t kc = g->K - k0 < KC ? g->K - k0 : KC;
            pack_b(g, k0, kc, j, nr, bp);
            bool add = g->acc || k0 > 0;
            for (int64_t i = i0; i < i1; i += MR) {
                int mr = (int)(i1 - i < MR ? i1 - i : MR);
                tile_f32(kc, g->A + i * g->rsa + k0 * g->csa, g->rsa, g->csa, mr, bp,
                         g->C + i * g->ldc + j, g->ldc, nr, add);
            }
        }
    }
}

static void gemm_task(void *arg, int64_t begin, int64_t end, int tid) {
    (void)tid;
    const gemm_args *g = arg;
    if (g->split_rows) {
        int64_t i1 = end * MR < g->M ? end * MR : g->M;
        gemm_block(g, begin * MR, i1, 0, g->N);
    } else {
        int64_t j1 = end * NR < g->N ? end * NR : g->N;
        gemm_block(g, 0, g->M, begin * NR, j1);
    }
}

void er_gemm_f32(int64_t M, int64_t N, int64_t K, const float *A, int64_t rsa, int64_t csa,
                 const float *B, int64_t rsb, int64_t csb, float *C, int64_t ldc, bool accumulate,
                 er_threadpool *pool) {
    if (M <= 0 || N <= 0) return;
    gemm_args g = {M, N, K, A, B, rsa, csa, rsb, csb, ldc, C, accumulate, false};
    int threads = er_threadpool_size(pool);
    /* below ~64k multiply-adds a task costs more than it saves */
    if (threads <= 1 || M * N * (K ? K : 1) < (1 << 16)) {
        gemm_block(&g, 0, M, 0, N);
        return;
    }
    int64_t col_blocks = (N + NR - 1) / NR, row_blocks = (M + MR - 1) / MR;
    g.split_rows = col_blocks < 2 * threads && row_blocks > col_blocks;
    int64_t n = g.split_rows ? row_blocks : col_blocks;
    er_parallel_for(pool, n, 1, gemm_task, &g);
}

/* ---- other dtypes --------------------------------------------------------- */

/* i-k-j with a contiguous inner loop when csb == 1. Integer types compute in
 * their unsigned counterpart U so overflow wraps instead of being UB. */
#define GEMM_TYPED(NAME, T, U)                                                                 \
    static void NAME(int64_t M, int64_t N, int64_t K, const T *A, int64_t rsa, int64_t csa,    \
                     const T *B, int64_t rsb, int64_t csb, T *C, int64_t ldc, bool acc) {      \
        for (int64_t i = 0; i < M; i++) {                                                      \
            T *c = C + i * ldc;                                                                \
            if (!acc)                                                                          \
                for (int64_t j = 0; j < N; j++) c[j] = 0;                                      \
            for (int64_t k = 0; k < K; k++) {                                                  \
                U a = (U)A[i * rsa + k * csa];                                                 \
                const T *b = B + k * rsb;                                                      \
                for (int64_t j = 0; j < N; j++) c[j] = (T)((U)c[j] + a * (U)b[j * csb]);       \
            }                                                                                  \
        }                                                                                      \
    }
GEMM_TYPED(gemm_f64, double, double)
GEMM_TYPED(gemm_i32, int32_t, uint32_t)
GEMM_TYPED(gemm_u32, uint32_t, uint32_t)
GEMM_TYPED(gemm_i64, int64_t, uint64_t)
GEMM_TYPED(gemm_u64, uint64_t, uint64_t)

/* f16 / bf16: accumulate each element in double, round once. */
static void gemm_half(er_dtype dt, int64_t M, int64_t N, int64_t K, const void *A, int64_t rsa,
                      int64_t csa, const void *B, int64_t rsb, int64_t csb, void *C, int64_t ldc,
                      bool acc) {
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) {
            size_t ci = (size_t)(i * ldc + j);
            double s = acc ? er_load_f64(C, dt, ci) : 0.0;
            for (int64_t k = 0; k < K; k++)
                s += er_load_f64(A, dt, (size_t)(i * rsa + k * csa)) *
                     er_load_f64(B, dt, (size_t)(k * rsb + j * csb));
            er_store_f64(C, dt, ci, s);
        }
}

bool er_gemm_dtype_ok(er_dtype dt) {
    switch (dt) {
    case ER_F32: case ER_F64: case ER_F16: case ER_BF16:
    case ER_I32: case ER_U32: case ER_I64: case ER_U64: return true;
    default: return false;
    }
}

void er_gemm_any(er_dtype dt, int64_t M, int64_t N, int64_t K, const void *A, int64_t rsa,
                 int64_t csa, const void *B, int64_t rsb, int64_t csb, void *C, int64_t ldc,
                 bool acc, er_threadpool *pool) {
    switch (dt) {
    case ER_F32: er_gemm_f32(M, N, K, A, rsa, csa, B, rsb, csb, C, ldc, acc, pool); break;
    case ER_F64: gemm_f64(M, N, K, A, rsa, csa, B, rsb, csb, C, ldc, acc); break;
    case ER_I32: gemm_i32(M, N, K, A, rsa, csa, B, rsb, csb, C, ldc, acc); break;
    case ER_U32: gemm_u32(M, N, K, A, rsa, csa, B, rsb, csb, C, ldc, acc); break;
    case ER_I64: gemm_i64(M, N, K, A, rsa, csa, B, rsb, csb, C, ldc, acc); break;
    case ER_U64: gemm_u64(M, N, K, A, rsa, csa, B, rsb, csb, C, ldc, acc); break;
    default: gemm_half(dt, M, N, K, A, rsa, csa, B, rsb, csb, C, ldc, acc); break;
    }
}
