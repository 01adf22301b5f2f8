#include "ops/AvgPool2d.h"

#include "core/Error.h"

#include <algorithm>

namespace ml::ops {

namespace {

constexpr Index kParallelElements = Index(1) << 15;

// One output's window clipped to the input, and its divisor; empty() when
// the window holds no input element.
struct Window {
    Index h0, h1, w0, w1;
    float divisor;
    bool empty() const { return h0 >= h1 || w0 >= w1; }
};

Window window(const AvgPool2dGeometry& g, Index i, Index j) {
    Window win;
    win.h0 = i * g.sH() - g.padH;
    win.w0 = j * g.sW() - g.padW;
    win.h1 = std::min(win.h0 + g.kh, g.h + g.padH);
    win.w1 = std::min(win.w0 + g.kw, g.w + g.padW);
    const Index padded = (win.h1 - win.h0) * (win.w1 - win.w0);
    win.h0 = std::max<Index>(win.h0, 0);
    win.w0 = std::max<Index>(win.w0, 0);
    win.h1 = std::min(win.h1, g.h);
    win.w1 = std::min(win.w1, g.w);
    if (g.divisorOverride != 0)
        win.divisor = float(g.divisorOverride);
    else if (g.countIncludePad)
        win.divisor = float(padded);
    else
        win.divisor = float((win.h1 - win.h0) * (win.w1 - win.w0));
    return win;
}

} // namespace

std::string AvgPool2dGeometry::problem() const {
    auto s = [](Index v) { return std::to_string(v); };
    if (c < 1 || h < 1 || w < 1) return "input channels and size must be positive";
    if (kh < 1 || kw < 1) return "kernel_size must be positive, got (" + s(kh) + ", " + s(kw) + ")";
    if (strideH < 0 || strideW < 0) return "stride must be positive, got (" + s(strideH) + ", " + s(strideW) + ")";
    if (padH < 0 || padW < 0) return "padding must be non-negative, got (" + s(padH) + ", " + s(padW) + ")";
    if (padH > kh / 2 || padW > kw / 2)
        return "pad should be at most half of kernel size, but got pad=(" + s(padH) + ", " + s(padW) +
               ") and kernel_size=(" + s(kh) + ", " + s(kw) + ")";
    if (divisorOverride < 0) return "divisor_override must be positive, got " + s(divisorOverride);
    if (outH() < 1 || outW() < 1)
        return "input size (" + s(h) + " x " + s(w) + ") is too small for the pooling window: the output would be empty";
    return {};
}

void avgPool2dForward(const AvgPool2dGeometry& g, const float* x, float* y) {
    const Index oh = g.outH(), ow = g.outW();
    ML_ASSERT(oh >= 1 && ow >= 1);
    const Index planes = g.n * g.c;
#pragma omp parallel for schedule(static) if (planes * oh * ow * g.kh * g.kw >= kParallelElements)
    for (Index p = 0; p < planes; ++p) {
        const float* xp = x + p * g.h * g.w;
        float* yp = y + p * oh * ow;
        for (Index i = 0; i < oh; ++i) {
            for (Index j = 0; j < ow; ++j) {
                const Window win = window(g, i, j);
                if (win.empty()) {
                    yp[i * ow + j] = 0.0f;
                    continue;
                }
                float sum = 0.0f;
                for (Index ih = win.h0; ih < win.h1; ++ih)
                    for (Index iw = win.w0; iw < win.w1; ++iw) sum += xp[ih * g.w + iw];
                yp[i * ow + j] = sum / win.divisor;
            }
        }
    }
}

void avgPool2dBackward(const AvgPool2dGeometry& g, const float* dy, float* dx) {
    if (!dx) return;
    const Index oh = g.outH(), ow = g.outW();
    const Index planes = g.n * g.c;
#pragma omp parallel for schedule(static) if (planes * oh * ow * g.kh * g.kw >= kParallelElements)
    for (Index p = 0; p < planes; ++p) {
        float* dxp = dx + p * g.h * g.w;
        const float* dyp = dy + p * oh * ow;
        for (Index i = 0; i < oh; ++i) {
            for (Index j = 0; j < ow; ++j) {
                const Window win = window(g, i, j);
                if (win.empty()) continue;
                const float delta = dyp[i * ow + j] / win.divisor;
                for (Index ih = win.h0; ih < win.h1; ++ih)
                    for (Index iw = win.w0; iw < win.w1; ++iw) dxp[ih * g.w + iw] += delta;
            }
        }
    }
}

} // namespace ml::ops
