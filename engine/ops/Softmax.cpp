#include "ops/Softmax.h"

#include "core/Error.h"

#include <Eigen/Core>
#include <algorithm>
#include <cmath>

namespace ml::ops {

namespace {

using ConstArray = Eigen::Map<const Eigen::ArrayXf>;
using Array = Eigen::Map<Eigen::ArrayXf>;

// When inner > 1 the axis is strided; we sweep it for a block of up to
// kChunk adjacent inner positions at a time so the loops run along
// contiguous memory, with per-position reductions in stack arrays (no heap).
constexpr Index kChunk = 256;

enum class Kind { Softmax, LogSoftmax };

// The sums below are simd reductions, not Eigen's sum(): Eigen's lanes
// follow where the row starts, and so would the last bit of the result.
float rowSum(const float* v, Index dim) {
    float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
    for (Index k = 0; k < dim; ++k) sum += v[k];
    return sum;
}

float rowDot(const float* a, const float* b, Index dim) {
    float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
    for (Index k = 0; k < dim; ++k) sum += a[k] * b[k];
    return sum;
}

template <Kind kind> void forwardRow(const float* x, float* y, Index dim) {
    const ConstArray xs(x, dim);
    Array ys(y, dim);
    const float m = xs.maxCoeff();
    ys = (xs - m).exp();
    if constexpr (kind == Kind::Softmax) {
        ys *= 1.0f / rowSum(y, dim);
    } else {
        const float logSum = std::log(rowSum(y, dim));
        ys = xs - m - logSum;
    }
}

template <Kind kind> void forwardChunk(const float* x, float* y, Index dim, Index inner, Index width) {
    float m[kChunk];
    float s[kChunk];
    std::copy(x, x + width, m);
    for (Index d = 1; d < dim; ++d) {
        const float* row = x + d * inner;
        for (Index j = 0; j < width; ++j)
            m[j] = std::max(m[j], row[j]);
    }
    std::fill(s, s + width, 0.0f);
    for (Index d = 0; d < dim; ++d) {
        const float* row = x + d * inner;
        float* out = y + d * inner;
        for (Index j = 0; j < width; ++j) {
            out[j] = std::exp(row[j] - m[j]);
            s[j] += out[j];
        }
    }
    if constexpr (kind == Kind::Softmax) {
        for (Index j = 0; j < width; ++j)
            s[j] = 1.0f / s[j];
        for (Index d = 0; d < dim; ++d) {
            float* out = y + d * inner;
            for (Index j = 0; j < width; ++j)
                out[j] *= s[j];
        }
    } else {
        for (Index j = 0; j < width; ++j)
            s[j] = m[j] + std::log(s[j]);
        for (Index d = 0; d < dim; ++d) {
            const float* row = x + d * inner;
            float* out = y + d * inner;
            for (Index j = 0; j < width; ++j)
                out[j] = row[j] - s[j];
        }
    }
}

template <Kind kind> void backwardRow(const float* y, const float* dy, float* dx, Index dim) {
    const ConstArray ys(y, dim);
    const ConstArray gs(dy, dim);
    Array out(dx, dim);
    if constexpr (kind == Kind::Softmax) {
        const float dot = rowDot(dy, y, dim);
        out += ys * (gs - dot);
    } else {
        const float sum = rowSum(dy, dim);
        out += gs - ys.exp() * sum;
    }
}

template <Kind kind>
void backwardChunk(const float* y, const float* dy, float* dx, Index dim, Index inner, Index width) {
    float s[kChunk];
    std::fill(s, s + width, 0.0f);
    for (Index d = 0; d < dim; ++d) {
        const float* g = dy + d * inner;
        const float* yr = y + d * inner;
        for (Index j = 0; j < width; ++j) {
            if constexpr (kind == Kind::Softmax)
                s[j] += g[j] * yr[j];
            else
                s[j] += g[j];
        }
    }
    for (Index d = 0; d < dim; ++d) {
        const float* g = dy + d * inner;
        const float* yr = y + d * inner;
        float* out = dx + d * inner;
        for (Index j = 0; j < width; ++j) {
            if constexpr (kind == Kind::Softmax)
                out[j] += yr[j] * (g[j] - s[j]);
            else
                out[j] += g[j] - std::exp(yr[j]) * s[j];
        }
    }
}

template <Kind kind> void forward(const float* x, float* y, const SoftmaxGeometry& g) {
    ML_ASSERT(g.dim >= 1 && g.outer >= 0 && g.inner >= 1);
    const Index block = g.dim * g.inner;
    for (Index o = 0; o < g.outer; ++o) {
        const float* xo = x + o * block;
        float* yo = y + o * block;
        if (g.inner == 1) {
            forwardRow<kind>(xo, yo, g.dim);
            continue;
        }
        for (Index j0 = 0; j0 < g.inner; j0 += kChunk)
            forwardChunk<kind>(xo + j0, yo + j0, g.dim, g.inner, std::min(kChunk, g.inner - j0));
    }
}

template <Kind kind> void backward(const float* y, const float* dy, float* dx, const SoftmaxGeometry& g) {
    if (!dx) return;
    ML_ASSERT(g.dim >= 1 && g.outer >= 0 && g.inner >= 1);
    const Index block = g.dim * g.inner;
    for (Index o = 0; o < g.outer; ++o) {
        const Index off = o * block;
        if (g.inner == 1) {
            backwardRow<kind>(y + off, dy + off, dx + off, g.dim);
            continue;
        }
        for (Index j0 = 0; j0 < g.inner; j0 += kChunk)
            backwardChunk<kind>(y + off + j0, dy + off + j0, dx + off + j0, g.dim, g.inner,
                                std::min(kChunk, g.inner - j0));
    }
}

} // namespace

void softmaxForward(const float* x, float* y, const SoftmaxGeometry& g) {
    forward<Kind::Softmax>(x, y, g);
}

void softmaxBackward(const float* y, const float* dy, float* dx, const SoftmaxGeometry& g) {
    backward<Kind::Softmax>(y, dy, dx, g);
}

void logSoftmaxForward(const float* x, float* y, const SoftmaxGeometry& g) {
    forward<Kind::LogSoftmax>(x, y, g);
}

void logSoftmaxBackward(const float* y, const float* dy, float* dx, const SoftmaxGeometry& g) {
    backward<Kind::LogSoftmax>(y, dy, dx, g);
}

} // namespace ml::ops
