#pragma once
// Per-feature standardization (x - mean) / std. Fitted on the training
// split only and kept, so that validation data, and later any new input,
// is transformed with the training statistics.
#include "core/Tensor.h"

#include <vector>

namespace ml::data {

struct Standardizer {
    std::vector<float> mean; // one per feature (sample element)
    std::vector<float> std;  // population std; a constant feature gets 1

    bool isEmpty() const { return mean.empty(); }

    // requires: features is [count >= 1, ...]; statistics per element of a sample.
    static Standardizer fit(const Tensor& features);

    // requires: features' sample size == mean.size(). Transforms in place.
    void apply(Tensor& features) const;
};

} // namespace ml::data
