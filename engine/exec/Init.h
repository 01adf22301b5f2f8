#pragma once
// PyTorch 1.13's default parameter initializations, drawn from ml::Random
// (same distributions as torch, not the same numbers). Which tensor gets
// which is the layer catalog's (TensorSpec::init, model/LayerCatalog.cpp):
//   Linear / Conv2d weight: kaiming_uniform_(a = sqrt(5)), which works out to
//       U(-1/sqrt(fan_in), 1/sqrt(fan_in)); bias: the same bound
//       (0 when fan_in is 0). Weight is drawn before bias, as in
//       reset_parameters().
//   BatchNorm / LayerNorm: weight 1, bias 0; running_mean 0, running_var 1.
#include "core/Tensor.h"
#include "model/LayerCatalog.h"

namespace ml {

class Random;

// Fills n values from U(-1/sqrt(fanIn), 1/sqrt(fanIn)); zeros when fanIn is 0.
void uniformFanIn(float* values, Index n, Index fanIn, Random& rng);

// Fills the n values of one parameter or buffer as `spec.init` says.
void initTensor(const TensorSpec& spec, float* values, Index n, Random& rng);

} // namespace ml
