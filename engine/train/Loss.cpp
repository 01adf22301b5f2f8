#include "train/Loss.h"

#include "core/Error.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ml {

namespace {

// exp(x) for x <= 0 (a logit minus its row's maximum), written so that a loop
// of it vectorizes: Cephes' expf (n = round(x log2 e), exp(r) by a degree-5
// polynomial on |r| <= ln2/2, times 2^n), relative error under 2.5e-7, as
// PyTorch's own vectorized exp is not exact either. Below float's smallest
// normal exponent the result is 0, as libm's underflows to; NaN stays NaN.
[[gnu::always_inline]] inline float expOfNonPositive(float x) {
    constexpr float kLowest = -87.33654f; // ln(2^-126)
    const float n = std::nearbyint(x * 1.44269504088896341f);
    const float r = (x - n * 0.693359375f) - n * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    const float er = p * (r * r) + r + 1.0f;
    // n >= -126 where it is used; NaN takes 2^0 (no float-to-int of NaN).
    const std::uint32_t exponent = std::uint32_t((x >= kLowest ? std::int32_t(n) : 0) + 127);
    const float scale = std::bit_cast<float>(exponent << 23);
    return x < kLowest ? 0.0f : er * scale;
}

// The exponentials and row maxima of one call, per thread, grown to the
// largest batch seen (one pair for every row width).
struct SoftmaxScratch {
    std::vector<float> exps, rowMax;
};
SoftmaxScratch& softmaxScratch(Index count, Index batch) {
    thread_local SoftmaxScratch s;
    if (Index(s.exps.size()) < count) s.exps.resize(std::size_t(count));
    if (Index(s.rowMax.size()) < batch) s.rowMax.resize(std::size_t(batch));
    return s;
}

// x[i] = exp(x[i]) for x[i] <= 0, vectorized (one copy for every row width).
void expOfNonPositiveInPlace(float* x, Index n) {
#pragma omp simd
    for (Index i = 0; i < n; ++i) x[i] = expOfNonPositive(x[i]);
}

// The rows of crossEntropyLoss, Width > 0 their class count fixed at compile
// time (every per-row loop unrolled: a runtime loop over 2 or 3 classes cost
// more than its arithmetic), 0 for any count. Every logit minus its row's
// maximum, then their exponentials in one vectorized pass (libm's expf per
// element was a third of the multi-task example's step); the sums in double.
// Each row's sum of exponentials lies in [1, classes]: their logs are summed
// as the log of their product, one log call per 2^900 of product.
template <int Width>
double crossEntropyRows(const float* logits, const std::int64_t* targets, Index batch, Index anyClasses,
                        float* dlogits, double gradScale, Index* correct) {
    const Index classes = Width > 0 ? Width : anyClasses;
    constexpr double kFlushProduct = 0x1p900; // times any sum (< 2^63): still below double's 2^1024
    const Index count = batch * classes;
    SoftmaxScratch& scratch = softmaxScratch(count, batch);
    float* ex = scratch.exps.data();
    float* rowMax = scratch.rowMax.data();
    Index hits = 0;
    for (Index b = 0; b < batch; ++b) {
        const float* row = logits + b * classes;
        // std::max_element's rule: the first of the largest (NaN never is).
        float m = row[0];
        Index arg = 0;
        for (Index c = 1; c < classes; ++c) {
            if (m < row[c]) {
                m = row[c];
                arg = c;
            }
        }
        rowMax[b] = m;
        hits += arg == targets[b];
        for (Index c = 0; c < classes; ++c) ex[b * classes + c] = row[c] - m;
    }
    if (correct) *correct = hits;
    expOfNonPositiveInPlace(ex, count);
    double total = 0.0, sumProduct = 1.0;
    const float hit = float(gradScale);
    for (Index b = 0; b < batch; ++b) {
        const float* eb = ex + b * classes;
        double sum = 0.0;
        for (Index c = 0; c < classes; ++c) sum += eb[c];
        const Index t = static_cast<Index>(targets[b]);
        total += double(rowMax[b]) - double(logits[b * classes + t]);
        sumProduct *= sum;
        if (sumProduct > kFlushProduct) {
            total += std::log(sumProduct);
            sumProduct = 1.0;
        }
        if (dlogits) {
            float* out = dlogits + b * classes;
            const float scale = float(gradScale / sum);
            for (Index c = 0; c < classes; ++c) out[c] += eb[c] * scale - (c == t ? hit : 0.0f);
        }
    }
    return (total + std::log(sumProduct)) / double(batch);
}

// Compile-time widths for the class counts up to this (a classifier head's).
constexpr int kFixedWidths = 16;

template <int... widthsBelow>
double crossEntropyAnyWidth(std::integer_sequence<int, widthsBelow...>, const float* logits,
                            const std::int64_t* targets, Index batch, Index classes, float* dlogits, double gradScale,
                            Index* correct) {
    double loss = 0.0;
    const bool fixed = ((classes == widthsBelow + 1 &&
                         (loss = crossEntropyRows<widthsBelow + 1>(logits, targets, batch, classes, dlogits,
                                                                   gradScale, correct),
                          true)) ||
                        ...);
    return fixed ? loss : crossEntropyRows<0>(logits, targets, batch, classes, dlogits, gradScale, correct);
}

} // namespace

double crossEntropyLoss(const float* logits, const std::int64_t* targets, Index batch, Index classes,
                        float* dlogits, float weight, Index* correct) {
    ML_ASSERT(batch >= 1 && classes >= 1);
    // Check every target before touching dlogits, so a bad label leaves no
    // half-accumulated gradient behind.
    for (Index b = 0; b < batch; ++b) {
        if (targets[b] < 0 || targets[b] >= classes)
            throw Error("cross-entropy loss: sample " + std::to_string(b) + " has class index " +
                        std::to_string(targets[b]) + ", but the logits have " + std::to_string(classes) +
                        " classes (valid indices 0.." + std::to_string(classes - 1) + ")");
    }
    return crossEntropyAnyWidth(std::make_integer_sequence<int, kFixedWidths>{}, logits, targets, batch, classes,
                                dlogits, double(weight) / double(batch), correct);
}

double mseLoss(const float* prediction, const float* target, Index n, float* dprediction, float weight) {
    ML_ASSERT(n >= 1);
    const double gradScale = 2.0 * double(weight) / double(n);
    double total = 0.0;
    for (Index i = 0; i < n; ++i) {
        const double d = double(prediction[i]) - double(target[i]);
        total += d * d;
        if (dprediction) dprediction[i] += static_cast<float>(gradScale * d);
    }
    return total / double(n);
}

double bceWithLogitsLoss(const float* logits, const float* target, Index n, float* dlogits, float weight) {
    ML_ASSERT(n >= 1);
    const double gradScale = double(weight) / double(n);
    double total = 0.0;
    for (Index i = 0; i < n; ++i) {
        const double x = logits[i];
        const double t = target[i];
        total += std::max(x, 0.0) - x * t + std::log1p(std::exp(-std::abs(x)));
        if (dlogits) {
            // sigmoid without overflow for either sign of x
            const double e = std::exp(-std::abs(x));
            const double s = x >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
            dlogits[i] += static_cast<float>(gradScale * (s - t));
        }
    }
    return total / double(n);
}

} // namespace ml
