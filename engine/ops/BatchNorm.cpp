#include "ops/BatchNorm.h"

#include "core/Error.h"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace ml::ops {

namespace {

// Below this many elements a parallel region costs more than it saves.
constexpr Index kParallelElements = Index(1) << 16;

// Per-channel accumulators for the [N, C] (S = 1) path, where a channel is a
// column: rows are summed into C accumulators at once, which keeps the reads
// contiguous. Thread-local, only grows.
std::vector<double>& columnScratch(Index size) {
    thread_local std::vector<double> buffer;
    if (Index(buffer.size()) < size) buffer.resize(size_t(size));
    return buffer;
}

// mean and biased variance of the values of channel c, shifted by their first
// value so that a large mean does not cancel the variance's digits.
void channelMoments(const BatchNormGeometry& g, const float* x, Index c, double& mean, double& var) {
    const float shift = x[c * g.s];
    double sum = 0.0, sumSq = 0.0;
    for (Index i = 0; i < g.n; ++i) {
        // A simd reduction in double (a plain loop does not vectorize: no
        // reassociation; float sums lost the ResNet parity case's digits).
        // Not Eigen's sum(): its lanes follow the alignment of x, and so
        // would the last bit of the result.
        const float* xr = x + (i * g.c + c) * g.s;
        double rowSum = 0.0, rowSq = 0.0;
#pragma omp simd reduction(+ : rowSum, rowSq)
        for (Index k = 0; k < g.s; ++k) {
            const double d = double(xr[k] - shift);
            rowSum += d;
            rowSq += d * d;
        }
        sum += rowSum;
        sumSq += rowSq;
    }
    const double m = double(g.n * g.s);
    mean = shift + sum / m;
    var = std::max(0.0, (sumSq - sum * sum / m) / m);
}

void columnMoments(const BatchNormGeometry& g, const float* x, double* mean, double* var) {
    std::vector<double>& acc = columnScratch(2 * g.c);
    double* sum = acc.data();
    double* sumSq = acc.data() + g.c;
    std::fill(sum, sum + 2 * g.c, 0.0);
    for (Index i = 0; i < g.n; ++i) {
        const float* row = x + i * g.c;
        for (Index c = 0; c < g.c; ++c) {
            const double d = double(row[c]) - double(x[c]);
            sum[c] += d;
            sumSq[c] += d * d;
        }
    }
    const double m = double(g.n);
    for (Index c = 0; c < g.c; ++c) {
        mean[c] = double(x[c]) + sum[c] / m;
        var[c] = std::max(0.0, (sumSq[c] - sum[c] * sum[c] / m) / m);
    }
}

// y = x * alpha + beta over sample i's values of channel c, with alpha =
// invstd * w, beta = b - mean * alpha, as PyTorch's CPU kernel.
void normalize(const BatchNormGeometry& g, const BatchNormParams& p, const float* x, const float* weight,
               const float* bias, const float* saved, Index i, Index c, float* y) {
    const float alpha = saved[g.c + c] * (weight ? weight[c] : 1.0f);
    const float beta = (bias ? bias[c] : 0.0f) - saved[c] * alpha;
    const float* xr = x + (i * g.c + c) * g.s;
    float* yr = y + (i * g.c + c) * g.s;
    if (p.reluAfter)
        for (Index k = 0; k < g.s; ++k) yr[k] = std::max(xr[k] * alpha + beta, 0.0f);
    else
        for (Index k = 0; k < g.s; ++k) yr[k] = xr[k] * alpha + beta;
}

} // namespace

void batchNormForward(const BatchNormGeometry& g, const BatchNormParams& p, const float* x, const float* weight,
                      const float* bias, float* runningMean, float* runningVar, float* y, float* saved) {
    ML_ASSERT(g.n >= 0 && g.c >= 1 && g.s >= 1);
    ML_ASSERT(!p.trackRunningStats || (runningMean && runningVar));
    float* savedMean = saved;
    float* savedInvstd = saved + g.c;
    const Index m = g.n * g.s;

    if (p.usesBatchStats()) {
        if (m <= 1)
            throw Error("BatchNorm: expected more than 1 value per channel when training, got " +
                        std::to_string(m) + " (batch " + std::to_string(g.n) + " x spatial " +
                        std::to_string(g.s) + ")");
        const bool update = p.training && p.trackRunningStats;
        const double unbias = double(m) / double(m - 1);
        auto finish = [&](Index c, double mean, double var) {
            savedMean[c] = float(mean);
            savedInvstd[c] = float(1.0 / std::sqrt(var + double(p.eps)));
            if (update) {
                runningMean[c] = (1.0f - p.momentum) * runningMean[c] + p.momentum * float(mean);
                runningVar[c] = (1.0f - p.momentum) * runningVar[c] + p.momentum * float(var * unbias);
            }
        };
        if (g.s == 1) {
            std::vector<double>& moments = columnScratch(4 * g.c);
            // columnMoments uses the first 2c entries itself; results go after them.
            double* mean = moments.data() + 2 * g.c;
            double* var = mean + g.c;
            columnMoments(g, x, mean, var);
            for (Index c = 0; c < g.c; ++c) finish(c, mean[c], var[c]);
        } else {
            // A channel's moments and then its normalization, while its
            // values are still in cache (a ResNet channel at batch 32 is
            // 128 KB): one pass over x from memory instead of two.
#pragma omp parallel for schedule(static) if (m * g.c >= kParallelElements)
            for (Index c = 0; c < g.c; ++c) {
                double mean, var;
                channelMoments(g, x, c, mean, var);
                finish(c, mean, var);
                for (Index i = 0; i < g.n; ++i) normalize(g, p, x, weight, bias, saved, i, c, y);
            }
            return;
        }
    } else {
        for (Index c = 0; c < g.c; ++c) {
            savedMean[c] = runningMean[c];
            savedInvstd[c] = float(1.0 / std::sqrt(double(runningVar[c]) + double(p.eps)));
        }
    }
#pragma omp parallel for schedule(static) if (m * g.c >= kParallelElements)
    for (Index i = 0; i < g.n; ++i)
        for (Index c = 0; c < g.c; ++c) normalize(g, p, x, weight, bias, saved, i, c, y);
}

namespace {

// The gradient reaching the normalization: dy itself, or with a folded ReLU
// dy where its output was positive.
struct MaskedGradient {
    const float* dy;
    const float* y; // forward's output
    // Both loads unconditional, so the compiler can blend instead of branch.
    float operator[](Index k) const {
        const float g = dy[k];
        return y[k] > 0.0f ? g : 0.0f;
    }
    MaskedGradient operator+(Index offset) const { return {dy + offset, y + offset}; }
};

// dx += dL/dx over sample i's values of channel c; sums holds sum(dy) for
// every channel, then sum(dy * xhat) (read only with batch statistics).
template <typename Grad>
void inputGradient(const BatchNormGeometry& g, const float* x, const float* weight, const float* saved,
                   const Grad& dy, const std::vector<double>& sums, bool batchStats, Index i, Index c, float* dx) {
    const float* mean = saved;
    const float* invstd = saved + g.c;
    const float scale = invstd[c] * (weight ? weight[c] : 1.0f);
    const Index offset = (i * g.c + c) * g.s;
    const auto dyr = dy + offset;
    float* dxr = dx + offset;
    if (batchStats) {
        // dx = w*invstd * (dy - mean(dy) - xhat * mean(dy*xhat))
        const double m = double(g.n * g.s);
        const float meanDy = float(sums[size_t(c)] / m);
        const float k = float(sums[size_t(g.c + c)] / m) * invstd[c];
        const float* xr = x + offset;
        const float mc = mean[c];
#pragma omp simd
        for (Index s = 0; s < g.s; ++s) dxr[s] += scale * (dyr[s] - meanDy - (xr[s] - mc) * k);
    } else {
#pragma omp simd
        for (Index s = 0; s < g.s; ++s) dxr[s] += scale * dyr[s];
    }
}

// Grad is const float* or MaskedGradient: dy[k] reads the incoming gradient.
template <typename Grad>
void batchNormBackwardImpl(const BatchNormGeometry& g, const BatchNormParams& p, const float* x, const float* weight,
                           const float* saved, const Grad& dy, float* dx, float* dweight, float* dbias) {
    const float* mean = saved;
    const float* invstd = saved + g.c;
    const Index m = g.n * g.s;
    const bool batchStats = p.usesBatchStats();
    // dx needs sum(dy) and sum(dy * xhat) only with batch statistics.
    const bool needSums = dweight || dbias || (dx && batchStats);
    std::vector<double>& sums = columnScratch(2 * g.c);
    double* sumDy = sums.data();
    double* sumDyXhat = sums.data() + g.c;

    if (needSums) {
        if (g.s == 1) {
            std::fill(sumDy, sumDy + 2 * g.c, 0.0);
            for (Index i = 0; i < g.n; ++i) {
                const float* xr = x + i * g.c;
                const auto dyr = dy + i * g.c;
                for (Index c = 0; c < g.c; ++c) {
                    sumDy[c] += dyr[c];
                    sumDyXhat[c] += double(dyr[c]) * double((xr[c] - mean[c]) * invstd[c]);
                }
            }
        } else {
            // A channel's sums and then its dx, while its dy and x are still
            // in cache: one pass over them from memory instead of two.
#pragma omp parallel for schedule(static) if (m * g.c >= kParallelElements)
            for (Index c = 0; c < g.c; ++c) {
                double sd = 0.0, sdx = 0.0;
                for (Index i = 0; i < g.n; ++i) {
                    const Index offset = (i * g.c + c) * g.s;
                    const float* xr = x + offset;
                    const auto dyr = dy + offset;
                    const float mc = mean[c];
                    float rowDy = 0.0f, rowDyX = 0.0f;
                    // simd reduction: vectorized (reassociated) sums, the mask a blend.
#pragma omp simd reduction(+ : rowDy, rowDyX)
                    for (Index k = 0; k < g.s; ++k) {
                        const float d = dyr[k];
                        rowDy += d;
                        rowDyX += d * (xr[k] - mc);
                    }
                    sd += rowDy;
                    sdx += rowDyX;
                }
                sumDy[c] = sd;
                sumDyXhat[c] = sdx * invstd[c];
                if (dx)
                    for (Index i = 0; i < g.n; ++i) inputGradient(g, x, weight, saved, dy, sums, batchStats, i, c, dx);
            }
        }
        for (Index c = 0; c < g.c; ++c) {
            if (dweight) dweight[c] += float(sumDyXhat[c]);
            if (dbias) dbias[c] += float(sumDy[c]);
        }
        if (g.s > 1) return;
    }
    if (!dx) return;

#pragma omp parallel for schedule(static) if (m * g.c >= kParallelElements)
    for (Index i = 0; i < g.n; ++i)
        for (Index c = 0; c < g.c; ++c) inputGradient(g, x, weight, saved, dy, sums, batchStats, i, c, dx);
}

} // namespace

void batchNormBackward(const BatchNormGeometry& g, const BatchNormParams& p, const float* x, const float* weight,
                       const float* saved, const float* dy, float* dx, float* dweight, float* dbias,
                       const float* y) {
    ML_ASSERT(!p.reluAfter || y);
    // Two instantiations: the plain one keeps its loops free of the mask.
    if (p.reluAfter)
        batchNormBackwardImpl(g, p, x, weight, saved, MaskedGradient{dy, y}, dx, dweight, dbias);
    else
        batchNormBackwardImpl(g, p, x, weight, saved, dy, dx, dweight, dbias);
}

} // namespace ml::ops
