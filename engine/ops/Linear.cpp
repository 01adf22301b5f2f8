#include "ops/Linear.h"

#include "core/Error.h"
#include "kernels/Gemm.h"

#include <Eigen/Core>

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
        Eigen::Map<RowVec> db(dbias, g.out);
        db += Eigen::Map<const RowMajor>(dy, g.n, g.out).colwise().sum();
    }
}

} // namespace ml::ops
