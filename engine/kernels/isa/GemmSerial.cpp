// One thread's row-major GEMM: the AVX-512 copy's own packed kernel
// (kernels/isa/PackedGemm.cpp) where it is faster, else Eigen's blocked
// kernels in this copy's instruction set (Eigen picks its packet width from
// the compiler's flags).
#include "kernels/isa/IsaKernels.h"
#include "kernels/isa/PackedGemm.h"

// The threading is kernels::gemm's (slabs over OpenMP threads); Eigen never
// threads a product itself.
#define EIGEN_DONT_PARALLELIZE
#include <Eigen/Core>

#include <algorithm>
#include <type_traits>
#include <utility>

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

// Up to this many multiply-adds plain loops beat the blocked GEMM, whose
// packing and blocking dominated the multi-task example's 64x10x5 products
// (Eigen's coefficient-based lazyProduct was slower still).
constexpr double kSmallMultiplyAdds = 8192.0;

// B^T's rows copied as B's up to this many floats (a stack buffer).
constexpr Index kTransposedFloats = 1024;

// C (+)= op(A) op(B) one row of C at a time, the row in registers: n is a
// compile-time constant, so the loop over it unrolls into n independent
// multiply-adds per term of the sum.

template <bool transA, bool transB, int n>
void narrowGemm(Index m, Index k, const float* a, Index lda, const float* b, Index ldb, float* c, Index ldc,
                bool accumulate) {
    if constexpr (transB) {
        // B^T (n x k) read column by column is n strided loads per term, which
        // GCC assembles lane by lane; copied once as B (k x n), each term is
        // one contiguous row (a linear layer's forward: x W^T).
        if (m > 1 && k * n <= kTransposedFloats) {
            float bt[kTransposedFloats];
            for (Index p = 0; p < k; ++p)
                for (int j = 0; j < n; ++j) bt[p * n + j] = b[j * ldb + p];
            narrowGemm<transA, false, n>(m, k, a, lda, bt, n, c, ldc, accumulate);
            return;
        }
    }
    for (Index i = 0; i < m; ++i) {
        float* ci = c + i * ldc;
        float acc[n];
        for (int j = 0; j < n; ++j) acc[j] = accumulate ? ci[j] : 0.0f;
        for (Index p = 0; p < k; ++p) {
            const float av = transA ? a[p * lda + i] : a[i * lda + p];
            for (int j = 0; j < n; ++j) acc[j] += av * (transB ? b[j * ldb + p] : b[p * ldb + j]);
        }
        for (int j = 0; j < n; ++j) ci[j] = acc[j];
    }
}

// The same for any n: saxpy rows of B into the row of C.
template <bool transA, bool transB>
void smallGemmAnyWidth(Index m, Index n, Index k, const float* a, Index lda, const float* b, Index ldb, float* c,
                       Index ldc, bool accumulate) {
    for (Index i = 0; i < m; ++i) {
        float* ci = c + i * ldc;
        if (!accumulate) std::fill(ci, ci + n, 0.0f);
        for (Index p = 0; p < k; ++p) {
            const float av = transA ? a[p * lda + i] : a[i * lda + p];
            if constexpr (transB) {
                for (Index j = 0; j < n; ++j) ci[j] += av * b[j * ldb + p];
            } else {
                const float* bp = b + p * ldb;
#pragma omp simd
                for (Index j = 0; j < n; ++j) ci[j] += av * bp[j];
            }
        }
    }
}

// Rows of C up to this wide are kept in registers (one AVX-512 vector).
constexpr int kNarrowWidth = 16;

// narrowGemm for n = 1 .. kNarrowWidth, smallGemmAnyWidth past that.
template <bool transA, bool transB, int... widthsBelow>
void smallGemm(std::integer_sequence<int, widthsBelow...>, Index m, Index n, Index k, const float* a, Index lda,
               const float* b, Index ldb, float* c, Index ldc, bool accumulate) {
    const bool narrow = ((n == widthsBelow + 1 &&
                          (narrowGemm<transA, transB, widthsBelow + 1>(m, k, a, lda, b, ldb, c, ldc, accumulate),
                           true)) ||
                         ...);
    if (!narrow) smallGemmAnyWidth<transA, transB>(m, n, k, a, lda, b, ldb, c, ldc, accumulate);
}

#if defined(__AVX512F__)
// The packed kernel's panels are 32 columns wide. From 20 columns on it beat
// Eigen's on every shape measured (1.05-2.1x: the Winograd products
// 64x256x64 NN/TN and 64x64x256 NT 1.10/1.27/1.16, 1024^3 1.18, 64x31x64
// 2.1, 64x24x64 NT 1.45, 32x20x64 1.2); at 16 or 17 columns (one AVX-512
// vector, Eigen's own width) and below, a mostly empty panel lost (0.7-0.95x).
constexpr Index kPackedMinWidth = 20;
#endif

} // namespace

#if defined(__AVX512F__)
const char kGemmKernels[] = "own packed 14x32 for 20+ columns, Eigen below, loops up to 8192 multiply-adds";
#else
const char kGemmKernels[] = "Eigen, loops up to 8192 multiply-adds";
#endif

void gemmSerial(Trans transA, Trans transB, Index m, Index n, Index k, const float* a, Index lda, const float* b,
                Index ldb, float* c, Index ldc, bool accumulate) {
    MutMap cm(c, m, n, Eigen::OuterStride<>(ldc));
    if (k == 0) {
        if (!accumulate) cm.setZero();
        return;
    }
    const bool small = double(m) * double(n) * double(k) <= kSmallMultiplyAdds;
    // The four transpose cases as compile-time flags.
    const auto run = [&](auto transposeA, auto transposeB) {
        constexpr bool ta = decltype(transposeA)::value, tb = decltype(transposeB)::value;
        if (small) {
            smallGemm<ta, tb>(std::make_integer_sequence<int, kNarrowWidth>{}, m, n, k, a, lda, b, ldb, c, ldc,
                              accumulate);
            return;
        }
#if defined(__AVX512F__)
        if (n >= kPackedMinWidth) {
            packedGemm(ta, tb, m, n, k, a, lda, b, ldb, c, ldc, accumulate);
            return;
        }
#endif
        const ConstMap am(a, ta ? k : m, ta ? m : k, Eigen::OuterStride<>(lda));
        const ConstMap bm(b, tb ? n : k, tb ? k : n, Eigen::OuterStride<>(ldb));
        const auto lhs = [&] {
            if constexpr (ta) return am.transpose(); else return am;
        }();
        const auto rhs = [&] {
            if constexpr (tb) return bm.transpose(); else return bm;
        }();
        store(cm, lhs, rhs, accumulate);
    };
    using No = std::false_type;
    using Yes = std::true_type;
    if (transA == Trans::No)
        transB == Trans::No ? run(No{}, No{}) : run(No{}, Yes{});
    else
        transB == Trans::No ? run(Yes{}, No{}) : run(Yes{}, Yes{});
}

} // namespace ml::kernels::ML_KERNEL_ISA
