#include "train/Loss.h"

#include "core/Error.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace ml {

double crossEntropyLoss(const float* logits, const std::int64_t* targets, Index batch, Index classes,
                        float* dlogits, float weight) {
    ML_ASSERT(batch >= 1 && classes >= 1);
    // Check every target before touching dlogits, so a bad label leaves no
    // half-accumulated gradient behind.
    for (Index b = 0; b < batch; ++b) {
        if (targets[b] < 0 || targets[b] >= classes)
            throw Error("cross-entropy loss: sample " + std::to_string(b) + " has class index " +
                        std::to_string(targets[b]) + ", but the logits have " + std::to_string(classes) +
                        " classes (valid indices 0.." + std::to_string(classes - 1) + ")");
    }
    const double gradScale = double(weight) / double(batch);
    // exp in float, as PyTorch's float32 log_softmax computes it (double's
    // libm calls were 40% of the multi-task example's step), the sums in
    // double. The exponentials are kept for the gradient when a row fits the
    // buffer, and recomputed when it does not. Each row's sum of exponentials
    // lies in [1, classes]: their logs are summed as the log of their product,
    // one log call per 2^900 of product instead of one per row (a call per
    // row was a fifth of that step).
    constexpr Index kKept = 256;
    constexpr double kFlushProduct = 0x1p900; // times any sum (< 2^63): still below double's 2^1024
    float e[kKept];
    double total = 0.0, sumProduct = 1.0;
    for (Index b = 0; b < batch; ++b) {
        const float* row = logits + b * classes;
        const float m = *std::max_element(row, row + classes);
        double sum = 0.0;
        for (Index c = 0; c < classes; ++c) {
            const float v = std::exp(row[c] - m);
            if (c < kKept) e[c] = v;
            sum += v;
        }
        const Index t = static_cast<Index>(targets[b]);
        total += double(m) - double(row[t]);
        sumProduct *= sum;
        if (sumProduct > kFlushProduct) {
            total += std::log(sumProduct);
            sumProduct = 1.0;
        }
        if (dlogits) {
            float* out = dlogits + b * classes;
            const float scale = float(gradScale / sum);
            const float hit = float(gradScale);
            for (Index c = 0; c < classes; ++c) {
                const float v = c < kKept ? e[c] : std::exp(row[c] - m);
                out[c] += v * scale - (c == t ? hit : 0.0f);
            }
        }
    }
    total += std::log(sumProduct);
    return total / double(batch);
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
