#include "exec/Init.h"

#include "core/Error.h"
#include "core/Random.h"

#include <algorithm>
#include <cmath>

namespace ml {

void uniformFanIn(float* values, Index n, Index fanIn, Random& rng) {
    ML_ASSERT(fanIn >= 0 && n >= 0);
    if (fanIn == 0) {
        std::fill(values, values + n, 0.0f);
        return;
    }
    // kaiming_uniform_ with a = sqrt(5): gain sqrt(2 / (1 + 5)), std gain / sqrt(fan_in),
    // bound sqrt(3) * std = 1 / sqrt(fan_in).
    const auto bound = static_cast<float>(1.0 / std::sqrt(double(fanIn)));
    rng.fillUniform(values, n, -bound, bound);
}

void initTensor(const TensorSpec& spec, float* values, Index n, Random& rng) {
    switch (spec.init) {
    case TensorInit::UniformFanIn: uniformFanIn(values, n, spec.fanIn, rng); break;
    case TensorInit::Ones: std::fill(values, values + n, 1.0f); break;
    case TensorInit::Zeros: std::fill(values, values + n, 0.0f); break;
    }
}

} // namespace ml
