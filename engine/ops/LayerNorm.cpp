#include "ops/LayerNorm.h"

#include "core/Error.h"

#include <algorithm>
#include <cmath>

namespace ml::ops {

namespace {
constexpr Index kParallelElements = Index(1) << 16;
}

void layerNormForward(const LayerNormGeometry& g, const LayerNormParams& p, const float* x, const float* weight,
                      const float* bias, float* y, float* saved) {
    ML_ASSERT(g.rows >= 0 && g.d >= 1);
    float* mean = saved;
    float* invstd = saved + g.rows;
#pragma omp parallel for schedule(static) if (g.rows * g.d >= kParallelElements)
    for (Index r = 0; r < g.rows; ++r) {
        const float* xr = x + r * g.d;
        float* yr = y + r * g.d;
        // Shifted by the first value so a large mean does not cancel the variance.
        const float shift = xr[0];
        double sum = 0.0, sumSq = 0.0;
        for (Index k = 0; k < g.d; ++k) {
            const double v = double(xr[k] - shift);
            sum += v;
            sumSq += v * v;
        }
        const double mu = double(shift) + sum / double(g.d);
        const double var = std::max(0.0, (sumSq - sum * sum / double(g.d)) / double(g.d));
        const float m = float(mu);
        const float is = float(1.0 / std::sqrt(var + double(p.eps)));
        mean[r] = m;
        invstd[r] = is;
        for (Index k = 0; k < g.d; ++k) {
            float v = (xr[k] - m) * is;
            if (weight) v *= weight[k];
            if (bias) v += bias[k];
            yr[k] = v;
        }
    }
}

void layerNormBackward(const LayerNormGeometry& g, const float* x, const float* weight, const float* saved,
                       const float* dy, float* dx, float* dweight, float* dbias) {
    const float* mean = saved;
    const float* invstd = saved + g.rows;
    if (dx) {
#pragma omp parallel for schedule(static) if (g.rows * g.d >= kParallelElements)
        for (Index r = 0; r < g.rows; ++r) {
            const float* xr = x + r * g.d;
            const float* dyr = dy + r * g.d;
            float* dxr = dx + r * g.d;
            const float m = mean[r], is = invstd[r];
            double sumG = 0.0, sumGX = 0.0; // sum(dy*w), sum(dy*w*xhat)
            for (Index k = 0; k < g.d; ++k) {
                const float gk = weight ? dyr[k] * weight[k] : dyr[k];
                sumG += gk;
                sumGX += double(gk) * double((xr[k] - m) * is);
            }
            const float meanG = float(sumG / double(g.d));
            const float meanGX = float(sumGX / double(g.d));
            for (Index k = 0; k < g.d; ++k) {
                const float gk = weight ? dyr[k] * weight[k] : dyr[k];
                dxr[k] += is * (gk - meanG - (xr[k] - m) * is * meanGX);
            }
        }
    }
    // Parameter gradients sum over rows; rows go in order so the sum is repeatable.
    if (dweight || dbias) {
        for (Index r = 0; r < g.rows; ++r) {
            const float* xr = x + r * g.d;
            const float* dyr = dy + r * g.d;
            const float m = mean[r], is = invstd[r];
            if (dweight)
                for (Index k = 0; k < g.d; ++k) dweight[k] += dyr[k] * (xr[k] - m) * is;
            if (dbias)
                for (Index k = 0; k < g.d; ++k) dbias[k] += dyr[k];
        }
    }
}

} // namespace ml::ops
