#pragma once
// Concatenation of k inputs along one axis (torch.cat). Input i is described
// as (outer, sizes[i], inner) and the output as (outer, sum(sizes), inner):
// e.g. cat of [N, C1, H, W] and [N, C2, H, W] on dim 1 is outer = N,
// sizes = {C1, C2}, inner = H*W. No scratch.
#include "core/Tensor.h"

#include <span>
#include <vector>

namespace ml::ops {

struct ConcatGeometry {
    Index outer = 1;
    std::vector<Index> sizes; // per input, along the axis
    Index inner = 1;
    Index axisSize() const;   // sum(sizes)
    Index outputSize() const; // outer * axisSize() * inner
};

// requires: inputs.size() == g.sizes.size(), input i has outer*sizes[i]*inner floats.
void concatForward(std::span<const float* const> inputs, float* y, const ConcatGeometry& g);
// dx_i += the slice of dy that came from input i; null dx_i are skipped.
void concatBackward(const float* dy, std::span<float* const> dxs, const ConcatGeometry& g);

} // namespace ml::ops
