// One thread's row-major GEMM by Eigen's blocked kernels, in this copy's
// instruction set (Eigen picks its packet width from the compiler's flags).
#include "kernels/isa/IsaKernels.h"

// The threading is kernels::gemm's (slabs over OpenMP threads); Eigen never
// threads a product itself.
#define EIGEN_DONT_PARALLELIZE
#include <Eigen/Core>

namespace ml::kernels::ML_KERNEL_ISA {

namespace {

using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ConstMap = Eigen::Map<const RowMajor, Eigen::Unaligned, Eigen::OuterStride<>>;
using MutMap = Eigen::Map<RowMajor, Eigen::Unaligned, Eigen::OuterStride<>>;

template <typename L, typename R>
void store(MutMap& c, const L& lhs, const R& rhs, bool accumulate) {
    if (accumulate)
        c.noalias() += lhs * rhs;
    else
        c.noalias() = lhs * rhs;
}

} // namespace

void gemmSerial(Trans transA, Trans transB, Index m, Index n, Index k, const float* a, Index lda, const float* b,
                Index ldb, float* c, Index ldc, bool accumulate) {
    MutMap cm(c, m, n, Eigen::OuterStride<>(ldc));
    if (k == 0) {
        if (!accumulate) cm.setZero();
        return;
    }
    const bool ta = transA == Trans::Yes;
    const bool tb = transB == Trans::Yes;
    ConstMap am(a, ta ? k : m, ta ? m : k, Eigen::OuterStride<>(lda));
    ConstMap bm(b, tb ? n : k, tb ? k : n, Eigen::OuterStride<>(ldb));
    if (!ta && !tb)
        store(cm, am, bm, accumulate);
    else if (!ta && tb)
        store(cm, am, bm.transpose(), accumulate);
    else if (ta && !tb)
        store(cm, am.transpose(), bm, accumulate);
    else
        store(cm, am.transpose(), bm.transpose(), accumulate);
}

} // namespace ml::kernels::ML_KERNEL_ISA
