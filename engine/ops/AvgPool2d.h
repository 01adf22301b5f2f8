#pragma once
// nn.AvgPool2d (NCHW), as PyTorch 1.13: kernel, stride (0 = same as the
// kernel), padding, ceil_mode, count_include_pad, divisor_override. The
// divisor is PyTorch's: the override if given; else with count_include_pad
// the window clipped to the padded input (so a ceil_mode window hanging past
// the padding counts only what lies inside it); else the number of real
// input elements in the window.
#include "core/Tensor.h"
#include "kernels/OutputSize.h"

#include <string>

namespace ml::ops {

struct AvgPool2dGeometry {
    Index n = 0, c = 0, h = 0, w = 0; // input [n, c, h, w]
    Index kh = 1, kw = 1;
    Index strideH = 0, strideW = 0; // 0: same as the kernel
    Index padH = 0, padW = 0;
    bool ceilMode = false;
    bool countIncludePad = true;
    Index divisorOverride = 0; // 0: none

    Index sH() const { return strideH > 0 ? strideH : kh; }
    Index sW() const { return strideW > 0 ? strideW : kw; }
    // -1 when the output would be empty.
    Index outH() const { return kernels::poolOutputSize(h, kh, sH(), padH, 1, ceilMode); }
    Index outW() const { return kernels::poolOutputSize(w, kw, sW(), padW, 1, ceilMode); }
    // Empty when valid, else a sentence saying what is wrong (for diagnostics).
    std::string problem() const;
};

// requires: g.problem() empty; x [n, c, h, w]; y [n, c, outH, outW].
// ensures:  y assigned with each window's sum / divisor (0 for a window that
//           holds no input element).
void avgPool2dForward(const AvgPool2dGeometry& g, const float* x, float* y);

// requires: dy [n, c, outH, outW]; dx [n, c, h, w] or null.
// ensures:  dx += dy / divisor over each output's window.
void avgPool2dBackward(const AvgPool2dGeometry& g, const float* dy, float* dx);

} // namespace ml::ops
