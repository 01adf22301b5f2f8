#include "kernels/Gemm.h"

#include "core/Error.h"

#include <Eigen/Core>

namespace ml::kernels {

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

void gemm(Trans transA, Trans transB, Index m, Index n, Index k, const float* a, Index lda, const float* b,
          Index ldb, float* c, Index ldc, bool accumulate) {
    ML_ASSERT(m >= 0 && n >= 0 && k >= 0);
    if (m == 0 || n == 0) return;
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

} // namespace ml::kernels
