#pragma once
// Softmax(dim) and LogSoftmax(dim) over one axis of a row-major tensor,
// described as (outer, dim, inner): the axis has `dim` entries, `outer` is
// the product of the sizes before it and `inner` of those after it. E.g.
// softmax over channels of [N, C, H, W] is (N, C, H*W); over the last axis
// of [N, K] it is (N, K, 1). Both use the max-shifted form, so large logits
// do not overflow. No scratch: backward needs only the saved output y.
#include "core/Tensor.h"

namespace ml::ops {

struct SoftmaxGeometry {
    Index outer = 1;
    Index dim = 1;
    Index inner = 1;
    Index size() const { return outer * dim * inner; }
};

// requires: g.dim >= 1. ensures: y sums to 1 along the axis.
void softmaxForward(const float* x, float* y, const SoftmaxGeometry& g);
// dx += y * (dy - sum_axis(dy * y))
void softmaxBackward(const float* y, const float* dy, float* dx, const SoftmaxGeometry& g);

// y = x - max - log(sum exp(x - max))
void logSoftmaxForward(const float* x, float* y, const SoftmaxGeometry& g);
// dx += dy - exp(y) * sum_axis(dy)
void logSoftmaxBackward(const float* y, const float* dy, float* dx, const SoftmaxGeometry& g);

} // namespace ml::ops
