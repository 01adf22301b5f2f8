#pragma once
// Output-size rules of PyTorch 1.13 for convolution and pooling, shared by the
// ops and by shape inference. A result below 1 means "empty output": the
// functions return -1 then, so the caller can produce a diagnostic.
#include "core/Tensor.h"

namespace ml::kernels {

// floor(a / b) for b > 0 and any sign of a (C++ division truncates).
inline Index floorDiv(Index a, Index b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

// Conv2d (and Conv1d) along one axis: floor((in + 2p - d(k-1) - 1) / s) + 1.
// requires: kernel, stride, dilation >= 1, pad >= 0.
// ensures:  result >= 1, or -1 when the (padded) input is smaller than the
//           dilated kernel.
inline Index convOutputSize(Index in, Index kernel, Index stride, Index pad, Index dilation) {
    if (in < 1 || kernel < 1 || stride < 1 || dilation < 1 || pad < 0) return -1;
    const Index span = in + 2 * pad - dilation * (kernel - 1) - 1;
    if (span < 0) return -1;
    return span / stride + 1;
}

// Max/avg pooling along one axis, PyTorch's pooling_output_shape: with
// ceil_mode the size rounds up, but the last window must start inside the
// input or its left padding, else it is dropped.
// ensures: result >= 1, or -1 when the output would be empty.
inline Index poolOutputSize(Index in, Index kernel, Index stride, Index pad, Index dilation, bool ceilMode) {
    if (in < 1 || kernel < 1 || stride < 1 || dilation < 1 || pad < 0) return -1;
    const Index span = in + 2 * pad - dilation * (kernel - 1) - 1 + (ceilMode ? stride - 1 : 0);
    Index out = floorDiv(span, stride) + 1;
    if (ceilMode && (out - 1) * stride >= in + pad) --out;
    return out >= 1 ? out : -1;
}

} // namespace ml::kernels
