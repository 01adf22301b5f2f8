#include "train/datasets/Standardizer.h"

#include "core/Error.h"

#include <cmath>

namespace ml::data {

Standardizer Standardizer::fit(const Tensor& features) {
    ML_ASSERT(!features.shape.empty() && features.shape[0] > 0);
    const Index n = features.shape[0];
    const Index k = features.numel() / n;
    std::vector<double> sum(static_cast<size_t>(k), 0.0), sumSq(static_cast<size_t>(k), 0.0);
    for (Index i = 0; i < n; ++i)
        for (Index j = 0; j < k; ++j) {
            const double v = features.data[static_cast<size_t>(i * k + j)];
            sum[j] += v;
            sumSq[j] += v * v;
        }
    Standardizer s;
    s.mean.resize(static_cast<size_t>(k));
    s.std.resize(static_cast<size_t>(k));
    for (Index j = 0; j < k; ++j) {
        const double m = sum[j] / n;
        const double var = std::max(0.0, sumSq[j] / n - m * m);
        s.mean[j] = static_cast<float>(m);
        // A constant column would divide by zero; leaving it unscaled
        // (centred at 0) is what scikit-learn's StandardScaler does too.
        s.std[j] = var > 1e-24 ? static_cast<float>(std::sqrt(var)) : 1.0f;
    }
    return s;
}

void Standardizer::apply(Tensor& features) const {
    if (features.numel() == 0) return;
    const Index k = static_cast<Index>(mean.size());
    ML_ASSERT(k > 0 && features.numel() % k == 0);
    for (Index i = 0; i < features.numel(); ++i) {
        const Index j = i % k;
        features.data[static_cast<size_t>(i)] = (features.data[static_cast<size_t>(i)] - mean[j]) / std[j];
    }
}

} // namespace ml::data
