#include "ops/Dropout.h"

#include "core/Error.h"
#include "core/Random.h"

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <string>

namespace ml::ops {

namespace {

using ConstArray = Eigen::Map<const Eigen::ArrayXf>;
using Array = Eigen::Map<Eigen::ArrayXf>;

} // namespace

Index dropoutMaskSize(Index n, const DropoutParams& params) {
    return params.training ? n : 0;
}

void dropoutForward(const float* x, float* y, float* mask, Index n, const DropoutParams& params,
                    Random& rng) {
    if (!(params.p >= 0.0f && params.p <= 1.0f))
        throw Error("Dropout: probability p = " + std::to_string(params.p) + " is outside [0, 1]");
    if (!params.training) {
        std::copy(x, x + n, y);
        return;
    }
    ML_ASSERT(mask != nullptr || n == 0);
    if (params.p == 0.0f) {
        std::fill(mask, mask + n, 1.0f);
    } else if (params.p == 1.0f) {
        std::fill(mask, mask + n, 0.0f);
    } else {
        const double keep = 1.0 - double(params.p);
        const float scale = static_cast<float>(1.0 / keep);
        for (Index i = 0; i < n; ++i)
            mask[i] = rng.bernoulli(keep) ? scale : 0.0f;
    }
    Array(y, n) = ConstArray(x, n) * ConstArray(mask, n);
}

void dropoutBackward(const float* dy, const float* mask, float* dx, Index n, const DropoutParams& params) {
    if (!dx) return;
    if (!params.training) {
        Array(dx, n) += ConstArray(dy, n);
        return;
    }
    Array(dx, n) += ConstArray(dy, n) * ConstArray(mask, n);
}

} // namespace ml::ops
