// Row-major matrix products through the Fortran BLAS interface, as every BLAS exports it
// (LibTorch calls the same library). For ladder's CPU kernels, which call it one thread at a
// time: OpenBLAS's OpenMP build runs single-threaded inside a parallel region.
#pragma once

#include <cstdint>
#include <type_traits>

extern "C" {
void sgemm_(const char* transa, const char* transb, const int* m, const int* n, const int* k,
            const float* alpha, const float* a, const int* lda, const float* b, const int* ldb,
            const float* beta, float* c, const int* ldc);
void dgemm_(const char* transa, const char* transb, const int* m, const int* n, const int* k,
            const double* alpha, const double* a, const int* lda, const double* b, const int* ldb,
            const double* beta, double* c, const int* ldc);
}

namespace ladder::model {

enum class Op { Plain, Transposed };

// C = alpha op(A) op(B) + beta C on row-major matrices given by their first element and the
// elements between rows (ld); op(A) is m x k, op(B) k x n. BLAS being column-major, this asks
// it for C^T = op(B)^T op(A)^T of the same memory.
template <typename scalar_t>
void gemm(Op op_a, Op op_b, int64_t m, int64_t n, int64_t k, scalar_t alpha, const scalar_t* a,
          int64_t lda, const scalar_t* b, int64_t ldb, scalar_t beta, scalar_t* c, int64_t ldc) {
    const char trans_b = op_b == Op::Transposed ? 'T' : 'N';
    const char trans_a = op_a == Op::Transposed ? 'T' : 'N';
    const int M = int(n), N = int(m), K = int(k), LDB = int(ldb), LDA = int(lda), LDC = int(ldc);
    if constexpr (std::is_same_v<scalar_t, float>)
        sgemm_(&trans_b, &trans_a, &M, &N, &K, &alpha, b, &LDB, a, &LDA, &beta, c, &LDC);
    else
        dgemm_(&trans_b, &trans_a, &M, &N, &K, &alpha, b, &LDB, a, &LDA, &beta, c, &LDC);
}

}  // namespace ladder::model
