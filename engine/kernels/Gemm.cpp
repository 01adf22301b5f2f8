#include "kernels/Gemm.h"

#include "core/Error.h"
#include "core/Parallel.h"

#include <Eigen/Core>

#include <algorithm>

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

// One thread's product, by Eigen's blocked kernels (never threaded by Eigen).
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

// Below this many multiply-adds (about 0.2 ms on one core) a product stays
// on one thread. Measured on this project's 2-vCPU machine: the hypervisor
// at times places the two vCPUs far apart (a cache line's round trip between
// them 330-360 ns instead of 55-70), and then two threads on the widened
// multi-task model's 8M-multiply-add products ran at 0.7x one thread's speed
// (1.2x when close).
constexpr double kParallelMultiplyAdds = double(1 << 24);

int gemmThreads(Index m, Index n, Index k) {
    if (parallel::inParallel() || double(m) * double(n) * double(k) < kParallelMultiplyAdds) return 1;
    return std::max(1, std::min(parallel::maxThreads(), int(std::max(m, n) / 16)));
}

} // namespace

// Several threads each compute an independent slab of C (rows, or columns
// when there are few rows), so they never wait on each other inside a
// product as Eigen's own threaded GEMM makes them, per block.
void gemm(Trans transA, Trans transB, Index m, Index n, Index k, const float* a, Index lda, const float* b,
          Index ldb, float* c, Index ldc, bool accumulate) {
    ML_ASSERT(m >= 0 && n >= 0 && k >= 0);
    if (m == 0 || n == 0) return;
    // Eigen must never thread a product itself (see above), whoever set its thread count.
    [[maybe_unused]] static const bool eigenSingleThreaded = (Eigen::setNbThreads(1), true);
    const int threads = gemmThreads(m, n, k);
    if (threads <= 1) {
        gemmSerial(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, accumulate);
        return;
    }
    // Rows first: a Linear's rows are its batch, which the other ops split
    // the same way, so each thread keeps working on the samples it produced.
    const bool splitColumns = m < 32 * threads;
    const Index extent = splitColumns ? n : m;
#pragma omp parallel num_threads(threads)
    {
        const Index t = parallel::threadNum(), count = parallel::teamSize();
        // Slab edges on multiples of 8 keep every slab's vectors aligned alike.
        const Index begin = std::min(extent, (extent * t / count + 7) / 8 * 8);
        const Index end = t + 1 == count ? extent : std::min(extent, (extent * (t + 1) / count + 7) / 8 * 8);
        if (end > begin) {
            if (splitColumns) {
                const float* bs = transB == Trans::Yes ? b + begin * ldb : b + begin;
                gemmSerial(transA, transB, m, end - begin, k, a, lda, bs, ldb, c + begin, ldc, accumulate);
            } else {
                const float* as = transA == Trans::Yes ? a + begin : a + begin * lda;
                gemmSerial(transA, transB, end - begin, n, k, as, lda, b, ldb, c + begin * ldc, ldc, accumulate);
            }
        }
    }
}

} // namespace ml::kernels
