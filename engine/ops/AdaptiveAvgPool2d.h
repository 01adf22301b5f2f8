#pragma once
// nn.AdaptiveAvgPool2d (NCHW), as PyTorch 1.13: output (outH, outW) fixed;
// output row i averages input rows [floor(i*h/outH), ceil((i+1)*h/outH)),
// likewise for columns. Windows may overlap (or repeat when outH > h).
#include "core/Tensor.h"

#include <string>

namespace ml::ops {

struct AdaptiveAvgPool2dGeometry {
    Index n = 0, c = 0, h = 0, w = 0; // input [n, c, h, w]
    Index outH = 1, outW = 1;

    // Empty when valid, else a sentence saying what is wrong (for diagnostics).
    std::string problem() const;
};

// Window [start, end) of output index i along an axis of size in -> out.
inline Index adaptiveStart(Index i, Index in, Index out) { return (i * in) / out; }
inline Index adaptiveEnd(Index i, Index in, Index out) { return ((i + 1) * in + out - 1) / out; }

// requires: g.problem() empty; x [n, c, h, w]; y [n, c, outH, outW].
// ensures:  y assigned with each window's mean.
void adaptiveAvgPool2dForward(const AdaptiveAvgPool2dGeometry& g, const float* x, float* y);

// requires: dy [n, c, outH, outW]; dx [n, c, h, w] or null.
// ensures:  dx += dy / window size over each output's window.
void adaptiveAvgPool2dBackward(const AdaptiveAvgPool2dGeometry& g, const float* dy, float* dx);

} // namespace ml::ops
