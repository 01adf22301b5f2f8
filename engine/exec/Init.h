#pragma once
// PyTorch 1.13's default parameter initializations, drawn from ml::Random
// (same distributions as torch, not the same numbers).
//   Linear / Conv2d weight: kaiming_uniform_(a = sqrt(5)), which works out to
//       U(-1/sqrt(fan_in), 1/sqrt(fan_in)); bias: the same bound
//       (0 when fan_in is 0). Weight is drawn before bias, as in
//       reset_parameters().
//   BatchNorm / LayerNorm: weight 1, bias 0; running_mean 0, running_var 1.
#include "core/Tensor.h"

namespace ml {

class Random;

// Fills n values from U(-1/sqrt(fanIn), 1/sqrt(fanIn)); zeros when fanIn is 0.
void uniformFanIn(float* values, Index n, Index fanIn, Random& rng);

// weight: [outFeatures, inFeatures]; bias: [outFeatures] or null.
void initLinear(float* weight, float* bias, Index outFeatures, Index inFeatures, Random& rng);

// weight: [outChannels, inChannelsPerGroup, kernelH, kernelW]; bias: [outChannels] or null.
// fan_in = inChannelsPerGroup * kernelH * kernelW.
void initConv2d(float* weight, float* bias, Index outChannels, Index inChannelsPerGroup, Index kernelH,
                Index kernelW, Random& rng);

// weight = 1, bias = 0 (either may be null: affine=False / bias=False).
void initNormAffine(float* weight, float* bias, Index n);
// running_mean = 0, running_var = 1 (either may be null).
void initRunningStats(float* runningMean, float* runningVar, Index n);

} // namespace ml
