#include "ops/MaxPool2d.h"

#include "core/Error.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace ml::ops {

namespace {
constexpr Index kParallelElements = Index(1) << 15;

// Outputs j0 .. j0+W-1 of one row of the 2x2 / stride 2 pooling, written out
// as selects so they vectorize (same tie and NaN rules as the general loop).
template <int W>
inline void pool2x2Chunk(const float* r0, const float* r1, std::int32_t base, std::int32_t below, Index j0, float* yr,
                         std::int32_t* ar) {
#pragma omp simd
    for (Index j = j0; j < j0 + W; ++j) {
        const float a = r0[2 * j], b = r0[2 * j + 1], c = r1[2 * j], d = r1[2 * j + 1];
        const std::int32_t at = base + std::int32_t(2 * j);
        const bool takeB = b > a || b != b;
        float best = takeB ? b : a;
        std::int32_t where = takeB ? at + 1 : at;
        const bool takeC = c > best || c != c;
        best = takeC ? c : best;
        where = takeC ? at + below : where;
        const bool takeD = d > best || d != d;
        yr[j] = takeD ? d : best;
        ar[j] = takeD ? at + below + 1 : where;
    }
}

// A row of ow outputs in chunks of W, the last chunk overlapping the one
// before when W does not divide ow (its outputs are computed twice, to the
// same values): rows of 7 or 14 outputs (Fashion-MNIST's 28 and 14) left a
// vectorized loop over the row mostly in its scalar remainder.
template <int W>
inline void pool2x2Row(const float* r0, const float* r1, std::int32_t base, std::int32_t below, Index ow, float* yr,
                       std::int32_t* ar) {
    Index j0 = 0;
    for (; j0 + W <= ow; j0 += W) pool2x2Chunk<W>(r0, r1, base, below, j0, yr, ar);
    if (j0 < ow) pool2x2Chunk<W>(r0, r1, base, below, ow - W, yr, ar);
}
} // namespace

std::string MaxPool2dGeometry::problem() const {
    auto s = [](Index v) { return std::to_string(v); };
    if (c < 1 || h < 1 || w < 1) return "input channels and size must be positive";
    if (kh < 1 || kw < 1) return "kernel_size must be positive, got (" + s(kh) + ", " + s(kw) + ")";
    if (strideH < 0 || strideW < 0) return "stride must be positive, got (" + s(strideH) + ", " + s(strideW) + ")";
    if (dilH < 1 || dilW < 1) return "dilation must be positive, got (" + s(dilH) + ", " + s(dilW) + ")";
    if (padH < 0 || padW < 0) return "padding must be non-negative, got (" + s(padH) + ", " + s(padW) + ")";
    if (padH > kh / 2 || padW > kw / 2)
        return "pad should be at most half of kernel size, but got pad=(" + s(padH) + ", " + s(padW) +
               ") and kernel_size=(" + s(kh) + ", " + s(kw) + ")";
    if (outH() < 1 || outW() < 1)
        return "input size (" + s(h) + " x " + s(w) + ") is too small for the pooling window: the output would be empty";
    return {};
}

void maxPool2dForward(const MaxPool2dGeometry& g, const float* x, float* y, std::int32_t* argmax) {
    const Index oh = g.outH(), ow = g.outW();
    ML_ASSERT(oh >= 1 && ow >= 1);
    const Index sH = g.sH(), sW = g.sW();
    const Index planes = g.n * g.c;
    constexpr float kNegInf = -std::numeric_limits<float>::infinity();
    if (g.kh == 2 && g.kw == 2 && sH == 2 && sW == 2 && g.padH == 0 && g.padW == 0 && g.dilH == 1 && g.dilW == 1 &&
        2 * oh <= g.h && 2 * ow <= g.w) {
        // The common 2x2 / stride 2 pooling: every window lies inside the input,
        // so compare the four values branch-free.
#pragma omp parallel for schedule(static) if (planes * oh * ow * 4 >= kParallelElements)
        for (Index p = 0; p < planes; ++p) {
            const float* xp = x + p * g.h * g.w;
            float* yp = y + p * oh * ow;
            std::int32_t* ap = argmax + p * oh * ow;
            for (Index i = 0; i < oh; ++i) {
                const float* r0 = xp + 2 * i * g.w;
                const float* r1 = r0 + g.w;
                const std::int32_t base = std::int32_t(2 * i * g.w), below = std::int32_t(g.w);
                float* yr = yp + i * ow;
                std::int32_t* ar = ap + i * ow;
                if (ow >= 8) {
                    pool2x2Row<8>(r0, r1, base, below, ow, yr, ar);
                } else if (ow >= 4) {
                    pool2x2Row<4>(r0, r1, base, below, ow, yr, ar);
                } else {
                    for (Index j = 0; j < ow; ++j) pool2x2Chunk<1>(r0, r1, base, below, j, yr, ar);
                }
            }
        }
        return;
    }
#pragma omp parallel for schedule(static) if (planes * oh * ow * g.kh * g.kw >= kParallelElements)
    for (Index p = 0; p < planes; ++p) {
        const float* xp = x + p * g.h * g.w;
        float* yp = y + p * oh * ow;
        std::int32_t* ap = argmax + p * oh * ow;
        for (Index i = 0; i < oh; ++i) {
            Index h0 = i * sH - g.padH;
            const Index h1 = std::min(h0 + (g.kh - 1) * g.dilH + 1, g.h);
            while (h0 < 0) h0 += g.dilH;
            for (Index j = 0; j < ow; ++j) {
                Index w0 = j * sW - g.padW;
                const Index w1 = std::min(w0 + (g.kw - 1) * g.dilW + 1, g.w);
                while (w0 < 0) w0 += g.dilW;
                float best = kNegInf;
                Index bestIndex = -1;
                for (Index ih = h0; ih < h1; ih += g.dilH) {
                    for (Index iw = w0; iw < w1; iw += g.dilW) {
                        const Index idx = ih * g.w + iw;
                        const float v = xp[idx];
                        // As PyTorch: the first maximum wins ties, the last NaN
                        // wins over everything, an all -inf window points at
                        // its first element.
                        if (bestIndex < 0 || v > best || std::isnan(v)) {
                            best = v;
                            bestIndex = idx;
                        }
                    }
                }
                yp[i * ow + j] = best;
                ap[i * ow + j] = std::int32_t(bestIndex);
            }
        }
    }
}

void maxPool2dBackward(const MaxPool2dGeometry& g, const std::int32_t* argmax, const float* dy, float* dx,
                       const float* pooledRelu) {
    if (!dx) return;
    const Index outPlane = g.outH() * g.outW();
    const Index planes = g.n * g.c;
#pragma omp parallel for schedule(static) if (planes * outPlane >= kParallelElements)
    for (Index p = 0; p < planes; ++p) {
        float* dxp = dx + p * g.h * g.w;
        const float* dyp = dy + p * outPlane;
        const std::int32_t* ap = argmax + p * outPlane;
        if (pooledRelu) {
            const float* yp = pooledRelu + p * outPlane;
            for (Index k = 0; k < outPlane; ++k)
                if (ap[k] >= 0 && yp[k] > 0.0f) dxp[ap[k]] += dyp[k];
        } else {
            for (Index k = 0; k < outPlane; ++k)
                if (ap[k] >= 0) dxp[ap[k]] += dyp[k];
        }
    }
}

} // namespace ml::ops
