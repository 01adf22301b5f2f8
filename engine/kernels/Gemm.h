#pragma once
// Row-major single-precision GEMM on raw buffers, through Eigen's blocked
// kernels in the widest instruction set the CPU runs (kernels/KernelTable.h).
// Every dense op that multiplies matrices goes through here, so one place
// decides how.
#include "core/Tensor.h"

namespace ml::kernels {

enum class Trans { No, Yes };

// C[m,n] = op(A)[m,k] * op(B)[k,n]   (accumulate == false)
// C[m,n] += op(A)[m,k] * op(B)[k,n]  (accumulate == true)
// requires: A is stored [m,k] (Trans::No) or [k,m] (Trans::Yes) with row
//           stride lda, likewise B [k,n] or [n,k] with ldb; C [m,n] with ldc;
//           C does not alias A or B.
// ensures:  outside a parallel region, a large product is split into
//           independent slabs over the OpenMP threads; inside one, or when
//           small, it runs on the calling thread.
void gemm(Trans transA, Trans transB, Index m, Index n, Index k, const float* a, Index lda, const float* b,
          Index ldb, float* c, Index ldc, bool accumulate);

// The same product on the calling thread, whatever its size.
void gemmSerial(Trans transA, Trans transB, Index m, Index n, Index k, const float* a, Index lda, const float* b,
                Index ldb, float* c, Index ldc, bool accumulate);

} // namespace ml::kernels
