#include "kernels/Gemm.h"

#include "core/Error.h"
#include "core/Parallel.h"

#include <algorithm>

namespace ml::kernels {

namespace {

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
