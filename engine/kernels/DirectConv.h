#pragma once
// A direct convolution for kernels with few taps (cin*kh*kw <= 32: a stem
// from 1 or 3 channels), stride 1 along the width, ungrouped. im2col turns
// such a layer into products with an inner size of 9 or 27, which spend
// more time copying and packing the column matrix than multiplying; here
// each output row is computed from a zero-padded copy of the input, a
// register block of output channels by output columns at a time, and the
// weight gradient keeps one vector of partial sums per (channel, tap)
// across all samples, summed across lanes once at the end.
#include "core/Tensor.h"
#include "kernels/Im2col.h"

namespace ml::kernels {

// Output columns the widest copy computes at once, and the floats of its vectors.
inline constexpr Index kDirectConvBlock = 32;
inline constexpr Index kDirectConvLanes = 16;
// The most taps (cin*kh*kw) the direct convolution is used for.
inline constexpr Index kDirectConvMaxTaps = 32;

struct DirectConvShape {
    Im2colShape in; // requires strideW == 1
    Index cout;

    Index taps() const { return in.c * in.kh * in.kw; }
    // Output columns rounded up to whole blocks: the padded rows' width.
    Index rowWidth() const { return (in.outW + kDirectConvBlock - 1) / kDirectConvBlock * kDirectConvBlock; }
    // The zero-padded input copy: every row and column a block reads.
    Index paddedH() const { return (in.outH - 1) * in.strideH + (in.kh - 1) * in.dilH + 1; }
    Index paddedW() const { return rowWidth() + (in.kw - 1) * in.dilW; }
    // Floats of scratch either function below needs: the padded input, the
    // padded output gradient and the weight gradient's partial sums.
    Index scratchSize() const {
        return in.c * paddedH() * paddedW() + cout * in.outH * rowWidth() + cout * taps() * kDirectConvLanes;
    }
};

// y[s] = conv(x[s], weight) (+ bias) for n samples: x [n, c, h, w],
// weight [cout, c, kh, kw], y [n, cout, outH, outW] (every element written).
void directConvForward(const DirectConvShape& s, Index n, const float* x, const float* weight, const float* bias,
                       float* y, float* scratch);

// dweight [cout, c, kh, kw] += the weight gradient of n samples' dy.
void directConvWeightGradient(const DirectConvShape& s, Index n, const float* x, const float* dy, float* dweight,
                              float* scratch);

} // namespace ml::kernels
