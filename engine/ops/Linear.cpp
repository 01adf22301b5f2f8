#include "ops/Linear.h"

#include "core/Error.h"
#include "kernels/Gemm.h"

#include <Eigen/Core>

#include <algorithm>

namespace ml::ops {

using kernels::Trans;

namespace {
using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowVec = Eigen::Matrix<float, 1, Eigen::Dynamic>;
} // namespace

void linearForward(const LinearGeometry& g, const float* x, const float* weight, const float* bias, float* y) {
    ML_ASSERT(g.n >= 0 && g.in >= 0 && g.out >= 0);
    if (bias) {
        // Start from the bias and let the GEMM accumulate onto it.
        Eigen::Map<RowMajor> ym(y, g.n, g.out);
        ym.rowwise() = Eigen::Map<const RowVec>(bias, g.out);
    }
    kernels::gemm(Trans::No, Trans::Yes, g.n, g.out, g.in, x, g.in, weight, g.in, y, g.out, bias != nullptr);
}

void linearBackward(const LinearGeometry& g, const float* x, const float* weight, const float* dy, float* dx,
                    float* dweight, float* dbias) {
    if (dx) kernels::gemm(Trans::No, Trans::No, g.n, g.in, g.out, dy, g.out, weight, g.in, dx, g.in, true);
    if (dweight) kernels::gemm(Trans::Yes, Trans::No, g.out, g.in, g.n, dy, g.out, x, g.in, dweight, g.in, true);
    if (dbias) {
        // Rows summed in order, each column on its own: the same sum wherever
        // the buffers start (Eigen's colwise().sum() groups rows differently
        // in the elements it peels off for alignment, so the last bit
        // followed the heap). Blocks of columns keep the sums in registers.
        constexpr Index kBlock = 64;
        for (Index j0 = 0; j0 < g.out; j0 += kBlock) {
            const Index width = std::min(kBlock, g.out - j0);
            float sum[kBlock] = {};
            for (Index i = 0; i < g.n; ++i) {
                const float* row = dy + i * g.out + j0;
#pragma omp simd
                for (Index j = 0; j < width; ++j) sum[j] += row[j];
            }
            for (Index j = 0; j < width; ++j) dbias[j0 + j] += sum[j];
        }
    }
}

} // namespace ml::ops
