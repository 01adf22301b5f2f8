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

void initLinear(float* weight, float* bias, Index outFeatures, Index inFeatures, Random& rng) {
    uniformFanIn(weight, outFeatures * inFeatures, inFeatures, rng);
    if (bias) uniformFanIn(bias, outFeatures, inFeatures, rng);
}

void initConv2d(float* weight, float* bias, Index outChannels, Index inChannelsPerGroup, Index kernelH,
                Index kernelW, Random& rng) {
    const Index fanIn = inChannelsPerGroup * kernelH * kernelW;
    uniformFanIn(weight, outChannels * fanIn, fanIn, rng);
    if (bias) uniformFanIn(bias, outChannels, fanIn, rng);
}

void initNormAffine(float* weight, float* bias, Index n) {
    if (weight) std::fill(weight, weight + n, 1.0f);
    if (bias) std::fill(bias, bias + n, 0.0f);
}

void initRunningStats(float* runningMean, float* runningVar, Index n) {
    if (runningMean) std::fill(runningMean, runningMean + n, 0.0f);
    if (runningVar) std::fill(runningVar, runningVar + n, 1.0f);
}

} // namespace ml
