#include "train/Metrics.h"

#include "core/Error.h"

#include <cmath>

namespace ml {

Index argmax(const float* values, Index n) {
    ML_ASSERT(n >= 1);
    Index best = 0;
    if (std::isnan(values[0])) return 0;
    for (Index i = 1; i < n; ++i) {
        if (std::isnan(values[i])) return i;
        if (values[i] > values[best]) best = i;
    }
    return best;
}

Index correctCount(const float* logits, const std::int64_t* targets, Index batch, Index classes) {
    Index correct = 0;
    for (Index b = 0; b < batch; ++b)
        if (argmax(logits + b * classes, classes) == targets[b]) ++correct;
    return correct;
}

double accuracy(const float* logits, const std::int64_t* targets, Index batch, Index classes) {
    ML_ASSERT(batch >= 1);
    return double(correctCount(logits, targets, batch, classes)) / double(batch);
}

void RunningMean::add(double value, double weight) {
    ML_ASSERT(weight >= 0.0);
    m_sum += value * weight;
    m_weight += weight;
}

void RunningMean::reset() {
    m_sum = 0.0;
    m_weight = 0.0;
}

} // namespace ml
