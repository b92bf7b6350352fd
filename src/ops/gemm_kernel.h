/* gemm_kernel.h - the matrix-multiply kernels behind Gemm, MatMul, Conv and
 * ConvTranspose.
 *
 * C (M x N, row stride ldc) = [C +] A (M x K) * B (K x N), where A and B are
 * read through arbitrary element strides (so transposed operands need no
 * copy): A(i,k) = A[i*rsa + k*csa], B(k,j) = B[k*rsb + j*csb].
 *
 * The float32 kernel packs K x 16 panels of B into a stack buffer and
 * accumulates 4 x 16 tiles of C in registers (the GotoBLAS structure in plain
 * C, written so compilers vectorise it); other dtypes use a plain i-k-j loop
 * (integers wrap, computed in unsigned) or, for f16/bf16, a dot product in
 * double per element. Example:
 *
 *     // Y[M,N] = X[M,K] * W[N,K]^T  (a Linear layer)
 *     er_gemm_f32(M, N, K, x, K, 1, w, 1, K, y, N, false, pool);
 */
#ifndef ER_OPS_GEMM_KERNEL_H
#define ER_OPS_GEMM_KERNEL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/threadpool.h"
#include "edgerun.h"

void er_gemm_f32(int64_t M, int64_t N, int64_t K, const float *A, int64_t rsa, int64_t csa,
                 const float *B, int64_t rsb, int64_t csb, float *C, int64_t ldc, bool accumulate,
                 er_threadpool *pool);

/* Any dtype Gemm/MatMul accept (f32 goes to er_gemm_f32). A, B and C share
 * dtype dt. */
void er_gemm_any(er_dtype dt, int64_t M, int64_t N, int64_t K, const void *A, int64_t rsa,
                 int64_t csa, const void *B, int64_t rsb, int64_t csb, void *C, int64_t ldc,
                 bool accumulate, er_threadpool *pool);

/* True when er_gemm_any handles dt. */
bool er_gemm_dtype_ok(er_dtype dt);

#endif
