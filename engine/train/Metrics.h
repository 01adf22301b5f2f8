#pragma once
// Training metrics: classification accuracy from logits, and a running mean
// for averaging per-step losses and metrics over an epoch.
#include "core/Tensor.h"

#include <cstdint>

namespace ml {

// Index of the largest value, the first one on ties, the first NaN if any
// (torch.argmax's rules). requires: n >= 1.
Index argmax(const float* values, Index n);

// logits: [batch, classes]; targets: [batch]. Samples whose argmax equals
// their target; an out-of-range target simply never matches.
Index correctCount(const float* logits, const std::int64_t* targets, Index batch, Index classes);
// correctCount / batch, in [0, 1]. requires: batch >= 1.
double accuracy(const float* logits, const std::int64_t* targets, Index batch, Index classes);

// Weighted running mean: add(batchMean, batchSize) per step gives the
// per-sample mean over an epoch; mean() is 0 before anything is added.
class RunningMean {
  public:
    void add(double value, double weight = 1.0);
    double mean() const { return m_weight > 0.0 ? m_sum / m_weight : 0.0; }
    double totalWeight() const { return m_weight; }
    void reset();

  private:
    double m_sum = 0.0;
    double m_weight = 0.0;
};

} // namespace ml
