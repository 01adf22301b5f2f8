#pragma once
// im2col / col2im for one image (one sample) in CHW layout: turns a 2-D
// convolution into a matrix product. Row r = (c*kh + i)*kw + j of the column
// matrix holds, for every output position (oh, ow), the input element that
// kernel tap (i, j) of channel c sees there, or 0 in the padding.
#include "core/Tensor.h"

namespace ml::kernels {

struct Im2colShape {
    Index c, h, w;              // input [c, h, w]
    Index kh, kw;               // kernel
    Index strideH, strideW, padH, padW, dilH, dilW;
    Index outH, outW;           // output positions (from convOutputSize)

    Index rows() const { return c * kh * kw; }
    Index cols() const { return outH * outW; }
};

// requires: x holds [c, h, w]; col holds rows()*cols() floats.
// ensures:  col[r, oh*outW + ow] = x[c, oh*sH - pH + i*dH, ow*sW - pW + j*dW]
//           or 0 outside the input (every element of col is written).
void im2col(const Im2colShape& s, const float* x, float* col);

// The adjoint of im2col: dx[c, ih, iw] += every col entry that im2col read
// from there.
// requires: col holds rows()*cols() floats; dx holds [c, h, w].
void col2imAccumulate(const Im2colShape& s, const float* col, float* dx);

} // namespace ml::kernels
