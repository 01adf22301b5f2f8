#include "ops/Activations.h"

#include "core/Parallel.h"


#include <Eigen/Core>
#include <cmath>
#include <numbers>

namespace ml::ops {

namespace {

using ConstArray = Eigen::Map<const Eigen::ArrayXf>;
using Array = Eigen::Map<Eigen::ArrayXf>;

} // namespace

using parallel::forLargePass;

void reluForward(const float* x, float* y, Index n) {
    forLargePass(n, [&](Index b, Index e) { Array(y + b, e - b) = ConstArray(x + b, e - b).max(0.0f); });
}

void reluBackward(const float* y, const float* dy, float* dx, Index n) {
    if (!dx) return;
    forLargePass(n, [&](Index b, Index e) {
        Array(dx + b, e - b) += (ConstArray(y + b, e - b) > 0.0f).select(ConstArray(dy + b, e - b), 0.0f);
    });
}

void reluMaskGradient(const float* y, float* dy, Index n) {
    forLargePass(n, [&](Index b, Index e) {
        Array g(dy + b, e - b);
        g = (ConstArray(y + b, e - b) > 0.0f).select(g, 0.0f);
    });
}

void leakyReluForward(const float* x, float* y, Index n, LeakyReluParams params) {
    const ConstArray xs(x, n);
    Array(y, n) = (xs > 0.0f).select(xs, xs * params.negativeSlope);
}

void leakyReluBackward(const float* x, const float* dy, float* dx, Index n, LeakyReluParams params) {
    if (!dx) return;
    const ConstArray g(dy, n);
    Array(dx, n) += (ConstArray(x, n) > 0.0f).select(g, g * params.negativeSlope);
}

// GELU: scalar loops on std::erf/std::tanh (Eigen's float erf clamps its
// argument, and these ops are memory bound at our sizes anyway). The
// constants and derivative formulas are those of PyTorch's GeluKernel.
namespace {

constexpr float kSqrt1_2 = static_cast<float>(1.0 / std::numbers::sqrt2);
constexpr float kInvSqrt2Pi =
    static_cast<float>(std::numbers::inv_sqrtpi / std::numbers::sqrt2); // 1/sqrt(2 pi)
constexpr float kTanhBeta = static_cast<float>(std::numbers::sqrt2 * std::numbers::inv_sqrtpi); // sqrt(2/pi)
constexpr float kTanhKappa = 0.044715f;

} // namespace

void geluForward(const float* x, float* y, Index n, GeluParams params) {
    if (params.approximate == GeluApproximate::Tanh) {
        for (Index i = 0; i < n; ++i) {
            const float v = x[i];
            const float inner = kTanhBeta * (v + kTanhKappa * v * v * v);
            y[i] = 0.5f * v * (1.0f + std::tanh(inner));
        }
    } else {
        for (Index i = 0; i < n; ++i)
            y[i] = x[i] * 0.5f * (1.0f + std::erf(x[i] * kSqrt1_2));
    }
}

void geluBackward(const float* x, const float* dy, float* dx, Index n, GeluParams params) {
    if (!dx) return;
    if (params.approximate == GeluApproximate::Tanh) {
        for (Index i = 0; i < n; ++i) {
            const float v = x[i];
            const float v2 = v * v;
            const float t = std::tanh(kTanhBeta * (v + kTanhKappa * v2 * v));
            const float left = 0.5f * v;
            const float leftDerivative = 0.5f * (1.0f + t);
            const float rightDerivative = left * (1.0f - t * t) * kTanhBeta * (1.0f + 3.0f * kTanhKappa * v2);
            dx[i] += dy[i] * (leftDerivative + rightDerivative);
        }
    } else {
        for (Index i = 0; i < n; ++i) {
            const float v = x[i];
            const float cdf = 0.5f * (1.0f + std::erf(v * kSqrt1_2));
            const float pdf = std::exp(-0.5f * v * v) * kInvSqrt2Pi;
            dx[i] += dy[i] * (cdf + v * pdf);
        }
    }
}

void tanhForward(const float* x, float* y, Index n) {
    for (Index i = 0; i < n; ++i)
        y[i] = std::tanh(x[i]);
}

void tanhBackward(const float* y, const float* dy, float* dx, Index n) {
    if (!dx) return;
    const ConstArray ys(y, n);
    Array(dx, n) += ConstArray(dy, n) * (1.0f - ys * ys);
}

void sigmoidForward(const float* x, float* y, Index n) {
    // exp(-x) overflows to inf for x < -88 and 1/inf = 0: no NaN either way.
    Array(y, n) = 1.0f / (1.0f + (-ConstArray(x, n)).exp());
}

void sigmoidBackward(const float* y, const float* dy, float* dx, Index n) {
    if (!dx) return;
    const ConstArray ys(y, n);
    Array(dx, n) += ConstArray(dy, n) * ys * (1.0f - ys);
}

} // namespace ml::ops
