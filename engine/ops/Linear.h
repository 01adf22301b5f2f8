#pragma once
// nn.Linear: y = x W^T + b, as PyTorch 1.13. Leading dims of x are flattened
// by the caller into n.
#include "core/Tensor.h"

namespace ml::ops {

struct LinearGeometry {
    Index n = 0;   // rows of x (batch, flattened leading dims)
    Index in = 0;  // in_features
    Index out = 0; // out_features
};

// requires: x [n, in], weight [out, in], bias [out] or null, y [n, out]
//           (y aliases none of the inputs).
// ensures:  y = x weight^T (+ bias), assigned.
void linearForward(const LinearGeometry& g, const float* x, const float* weight, const float* bias, float* y);

// requires: the same x and weight as forward; dy [n, out].
// ensures:  dx [n, in] += dy weight; dweight [out, in] += dy^T x;
//           dbias [out] += column sums of dy. A null gradient is skipped.
void linearBackward(const LinearGeometry& g, const float* x, const float* weight, const float* dy, float* dx,
                    float* dweight, float* dbias);

} // namespace ml::ops
