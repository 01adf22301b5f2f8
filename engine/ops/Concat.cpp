#include "ops/Concat.h"

#include "core/Error.h"

#include <Eigen/Core>
#include <algorithm>
#include <numeric>

namespace ml::ops {

Index ConcatGeometry::axisSize() const {
    return std::accumulate(sizes.begin(), sizes.end(), Index(0));
}

Index ConcatGeometry::outputSize() const {
    return outer * axisSize() * inner;
}

void concatForward(std::span<const float* const> inputs, float* y, const ConcatGeometry& g) {
    ML_ASSERT(inputs.size() == g.sizes.size());
    const Index outBlock = g.axisSize() * g.inner;
    Index offset = 0;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        const Index block = g.sizes[i] * g.inner;
        for (Index o = 0; o < g.outer; ++o) {
            const float* src = inputs[i] + o * block;
            std::copy(src, src + block, y + o * outBlock + offset);
        }
        offset += block;
    }
}

void concatBackward(const float* dy, std::span<float* const> dxs, const ConcatGeometry& g) {
    ML_ASSERT(dxs.size() == g.sizes.size());
    const Index outBlock = g.axisSize() * g.inner;
    Index offset = 0;
    for (std::size_t i = 0; i < dxs.size(); ++i) {
        const Index block = g.sizes[i] * g.inner;
        if (dxs[i]) {
            for (Index o = 0; o < g.outer; ++o)
                Eigen::Map<Eigen::ArrayXf>(dxs[i] + o * block, block) +=
                    Eigen::Map<const Eigen::ArrayXf>(dy + o * outBlock + offset, block);
        }
        offset += block;
    }
}

} // namespace ml::ops
