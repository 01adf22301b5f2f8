#pragma once
// Global-norm gradient clipping, torch.nn.utils.clip_grad_norm_ (1.13).
#include "train/ParamRef.h"

#include <span>

namespace ml {

// The norm of all gradients together, as if concatenated into one vector:
// (sum over params of |g|^p)^(1/p); p = infinity gives max |g|.
// requires: normType > 0.
double gradNorm(std::span<const ParamRef> params, double normType = 2.0);

// Scales every gradient by maxNorm / (total + 1e-6) when that is below 1
// (a NaN total propagates into the gradients, as in torch with
// error_if_nonfinite=False). Returns the total norm from before clipping.
double clipGradNorm(std::span<const ParamRef> params, double maxNorm, double normType = 2.0);

} // namespace ml
