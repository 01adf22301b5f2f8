#include "kernels/isa/IsaKernels.h"

#include "kernels/OutputSize.h"

#include <algorithm>
#include <cstring>

namespace ml::kernels::ML_KERNEL_ISA {

namespace {

// Output columns ow with 0 <= ow*stride + offset < size, as [lo, hi).
inline void validRange(Index offset, Index stride, Index size, Index outSize, Index& lo, Index& hi) {
    // ow*stride >= -offset  <=>  ow >= ceil(-offset / stride)
    lo = std::max<Index>(0, -floorDiv(offset, stride));
    // ow*stride <= size - 1 - offset
    hi = std::min<Index>(outSize, floorDiv(size - 1 - offset, stride) + 1);
    if (hi < lo) hi = lo;
}

} // namespace

void im2col(const Im2colShape& s, const float* x, float* col) {
    const Index ncols = s.cols();
    for (Index c = 0; c < s.c; ++c) {
        const float* plane = x + c * s.h * s.w;
        for (Index i = 0; i < s.kh; ++i) {
            const Index offH = i * s.dilH - s.padH;
            Index ohLo, ohHi;
            validRange(offH, s.strideH, s.h, s.outH, ohLo, ohHi);
            for (Index j = 0; j < s.kw; ++j) {
                float* row = col + ((c * s.kh + i) * s.kw + j) * ncols;
                const Index offW = j * s.dilW - s.padW;
                Index owLo, owHi;
                validRange(offW, s.strideW, s.w, s.outW, owLo, owHi);
                std::fill(row, row + ohLo * s.outW, 0.0f);
                for (Index oh = ohLo; oh < ohHi; ++oh) {
                    float* dst = row + oh * s.outW;
                    const float* src = plane + (oh * s.strideH + offH) * s.w + offW;
                    std::fill(dst, dst + owLo, 0.0f);
                    if (s.strideW == 1) {
                        if (owHi > owLo) std::memcpy(dst + owLo, src + owLo, sizeof(float) * (owHi - owLo));
                    } else {
                        for (Index ow = owLo; ow < owHi; ++ow) dst[ow] = src[ow * s.strideW];
                    }
                    std::fill(dst + owHi, dst + s.outW, 0.0f);
                }
                std::fill(row + ohHi * s.outW, row + ncols, 0.0f);
            }
        }
    }
}

void col2imAccumulate(const Im2colShape& s, const float* col, float* dx) {
    const Index ncols = s.cols();
    for (Index c = 0; c < s.c; ++c) {
        float* plane = dx + c * s.h * s.w;
        for (Index i = 0; i < s.kh; ++i) {
            const Index offH = i * s.dilH - s.padH;
            Index ohLo, ohHi;
            validRange(offH, s.strideH, s.h, s.outH, ohLo, ohHi);
            for (Index j = 0; j < s.kw; ++j) {
                const float* row = col + ((c * s.kh + i) * s.kw + j) * ncols;
                const Index offW = j * s.dilW - s.padW;
                Index owLo, owHi;
                validRange(offW, s.strideW, s.w, s.outW, owLo, owHi);
                for (Index oh = ohLo; oh < ohHi; ++oh) {
                    const float* src = row + oh * s.outW;
                    float* dst = plane + (oh * s.strideH + offH) * s.w + offW;
                    if (s.strideW == 1) {
                        for (Index ow = owLo; ow < owHi; ++ow) dst[ow] += src[ow];
                    } else {
                        for (Index ow = owLo; ow < owHi; ++ow) dst[ow * s.strideW] += src[ow];
                    }
                }
            }
        }
    }
}

} // namespace ml::kernels::ML_KERNEL_ISA
