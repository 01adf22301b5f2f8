#pragma once
// nn.Conv2d (NCHW), as PyTorch 1.13: stride, padding, dilation per axis,
// groups, optional bias; weight [cout, cin/groups, kh, kw]. Lowered per
// sample to im2col + GEMM, to Winograd F(2x2, 3x3) transforms and 16
// GEMMs, or (few taps) to a direct convolution. The transformed data lives in a scratch buffer the
// caller provides (conv2dScratchSize); with scratch for T threads the batch
// is split over up to T OpenMP threads, otherwise Eigen threads each GEMM.
#include "core/Tensor.h"
#include "kernels/OutputSize.h"

#include <string>

namespace ml::ops {

struct Conv2dGeometry {
    Index n = 0, cin = 0, h = 0, w = 0; // input [n, cin, h, w]
    Index cout = 0, kh = 1, kw = 1;     // weight [cout, cin/groups, kh, kw]
    Index strideH = 1, strideW = 1;
    Index padH = 0, padW = 0;
    Index dilH = 1, dilW = 1;
    Index groups = 1;

    // -1 when the output would be empty (input smaller than the dilated kernel).
    Index outH() const { return kernels::convOutputSize(h, kh, strideH, padH, dilH); }
    Index outW() const { return kernels::convOutputSize(w, kw, strideW, padW, dilW); }
    Index weightSize() const { return cout * (groups > 0 ? cin / groups : 0) * kh * kw; }
    // Empty when valid, else a sentence saying what is wrong (for diagnostics).
    std::string problem() const;
};

// How forward and backward compute a geometry: Winograd F(2x2, 3x3) (3x3,
// stride 1, undilated, ungrouped, 8+ channels in and out, outputs large
// enough for whole tiles to pay); direct (kernels/DirectConv.h: at most 32
// taps cin*kh*kw, stride 1 along the width, ungrouped, rows of 8+ outputs;
// the input gradient as im2col's); otherwise im2col + GEMM.
enum class Conv2dMethod { Im2col, Winograd, Direct };
Conv2dMethod conv2dMethod(const Conv2dGeometry& g);

// Floats of scratch that forward and backward need when they may use up to
// `threads` threads (im2col: a column matrix, plus dweight and dbias
// partial sums, each; Winograd: the transformed weights, plus per thread the
// transformed input and output, dweight and dbias partials and row buffers).
// Passing less than the 1-thread size is an internal error.
Index conv2dScratchSize(const Conv2dGeometry& g, int threads = 1);

// requires: g.problem() is empty; x [n, cin, h, w]; weight [cout, cin/groups,
//           kh, kw]; bias [cout] or null; y [n, cout, outH, outW];
//           scratch holds scratchSize >= conv2dScratchSize(g, 1) floats.
// ensures:  y assigned; deterministic for a given scratchSize and thread
//           count.
void conv2dForward(const Conv2dGeometry& g, const float* x, const float* weight, const float* bias, float* y,
                   float* scratch, Index scratchSize);

// requires: as forward, dy [n, cout, outH, outW].
// ensures:  dx += conv-transpose(dy); dweight += sum over samples dy * col^T;
//           dbias += sum of dy per output channel. A null gradient is
//           skipped.
void conv2dBackward(const Conv2dGeometry& g, const float* x, const float* weight, const float* dy, float* dx,
                    float* dweight, float* dbias, float* scratch, Index scratchSize);

} // namespace ml::ops
