#pragma once
// The AVX-512 copy's own blocked SGEMM (kernels/isa/PackedGemm.cpp), which
// gemmSerial takes instead of Eigen's for the products it is faster on.
#include "kernels/isa/IsaKernels.h"

namespace ml::kernels::ML_KERNEL_ISA {

#if defined(__AVX512F__)
// The contract of gemmSerial (kernels/Gemm.h), for k > 0; single-threaded,
// reentrant (its packing buffers are per thread).
void packedGemm(bool transA, bool transB, Index m, Index n, Index k, const float* a, Index lda, const float* b,
                Index ldb, float* c, Index ldc, bool accumulate);
#endif

} // namespace ml::kernels::ML_KERNEL_ISA
