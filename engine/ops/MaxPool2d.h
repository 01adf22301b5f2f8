#pragma once
// nn.MaxPool2d (NCHW), as PyTorch 1.13: kernel, stride (0 = same as the
// kernel, PyTorch's stride=None), padding (implicit -inf), dilation,
// ceil_mode. Forward saves, per output, the argmax as an index into its
// input plane (ih * w + iw, as return_indices gives); backward scatters dy
// there. NaN wins the max, as in PyTorch.
#include "core/Tensor.h"
#include "kernels/OutputSize.h"

#include <cstdint>
#include <string>

namespace ml::ops {

struct MaxPool2dGeometry {
    Index n = 0, c = 0, h = 0, w = 0; // input [n, c, h, w]
    Index kh = 1, kw = 1;
    Index strideH = 0, strideW = 0; // 0: same as the kernel
    Index padH = 0, padW = 0;
    Index dilH = 1, dilW = 1;
    bool ceilMode = false;

    Index sH() const { return strideH > 0 ? strideH : kh; }
    Index sW() const { return strideW > 0 ? strideW : kw; }
    // -1 when the output would be empty.
    Index outH() const { return kernels::poolOutputSize(h, kh, sH(), padH, dilH, ceilMode); }
    Index outW() const { return kernels::poolOutputSize(w, kw, sW(), padW, dilW, ceilMode); }
    // Empty when valid, else a sentence saying what is wrong (for diagnostics).
    std::string problem() const;
};

// int32 argmax entries forward saves: one per output element.
inline Index maxPool2dSavedSize(const MaxPool2dGeometry& g) { return g.n * g.c * g.outH() * g.outW(); }

// requires: g.problem() empty; x [n, c, h, w]; y [n, c, outH, outW];
//           argmax holds maxPool2dSavedSize(g) ints.
// ensures:  y assigned with each window's max; argmax its plane index. A
//           window with no input element (possible only with dilation > 1
//           and padding) gives -inf and argmax -1 (PyTorch leaves the index
//           pointing outside the plane there).
void maxPool2dForward(const MaxPool2dGeometry& g, const float* x, float* y, std::int32_t* argmax);

// requires: argmax from forward; dy [n, c, outH, outW]; dx [n, c, h, w] or
//           null; pooledRelu null or forward's y when its input is a
//           ReLU's output (y is then that output at each max).
// ensures:  dx[plane][argmax] += dy for every output; with pooledRelu, only
//           where y > 0 (the ReLU's backward at the max, done here).
void maxPool2dBackward(const MaxPool2dGeometry& g, const std::int32_t* argmax, const float* dy, float* dx,
                       const float* pooledRelu = nullptr);

} // namespace ml::ops
