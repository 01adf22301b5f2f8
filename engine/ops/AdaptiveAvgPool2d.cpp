#include "ops/AdaptiveAvgPool2d.h"

#include "core/Error.h"

namespace ml::ops {

namespace {
constexpr Index kParallelElements = Index(1) << 15;
}

std::string AdaptiveAvgPool2dGeometry::problem() const {
    if (c < 1 || h < 1 || w < 1) return "input channels and size must be positive";
    if (outH < 1 || outW < 1)
        return "output_size must be positive, got (" + std::to_string(outH) + ", " + std::to_string(outW) + ")";
    return {};
}

void adaptiveAvgPool2dForward(const AdaptiveAvgPool2dGeometry& g, const float* x, float* y) {
    ML_ASSERT(g.outH >= 1 && g.outW >= 1);
    const Index planes = g.n * g.c;
#pragma omp parallel for schedule(static) if (planes * g.h * g.w >= kParallelElements)
    for (Index p = 0; p < planes; ++p) {
        const float* xp = x + p * g.h * g.w;
        float* yp = y + p * g.outH * g.outW;
        for (Index i = 0; i < g.outH; ++i) {
            const Index h0 = adaptiveStart(i, g.h, g.outH), h1 = adaptiveEnd(i, g.h, g.outH);
            for (Index j = 0; j < g.outW; ++j) {
                const Index w0 = adaptiveStart(j, g.w, g.outW), w1 = adaptiveEnd(j, g.w, g.outW);
                float sum = 0.0f;
                for (Index ih = h0; ih < h1; ++ih)
                    for (Index iw = w0; iw < w1; ++iw) sum += xp[ih * g.w + iw];
                yp[i * g.outW + j] = sum / float((h1 - h0) * (w1 - w0));
            }
        }
    }
}

void adaptiveAvgPool2dBackward(const AdaptiveAvgPool2dGeometry& g, const float* dy, float* dx) {
    if (!dx) return;
    const Index planes = g.n * g.c;
#pragma omp parallel for schedule(static) if (planes * g.h * g.w >= kParallelElements)
    for (Index p = 0; p < planes; ++p) {
        float* dxp = dx + p * g.h * g.w;
        const float* dyp = dy + p * g.outH * g.outW;
        for (Index i = 0; i < g.outH; ++i) {
            const Index h0 = adaptiveStart(i, g.h, g.outH), h1 = adaptiveEnd(i, g.h, g.outH);
            for (Index j = 0; j < g.outW; ++j) {
                const Index w0 = adaptiveStart(j, g.w, g.outW), w1 = adaptiveEnd(j, g.w, g.outW);
                const float delta = dyp[i * g.outW + j] / float((h1 - h0) * (w1 - w0));
                for (Index ih = h0; ih < h1; ++ih)
                    for (Index iw = w0; iw < w1; ++iw) dxp[ih * g.w + iw] += delta;
            }
        }
    }
}

} // namespace ml::ops
