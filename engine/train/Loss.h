#pragma once
// Training losses, each with PyTorch's default reduction (mean). Each returns
// the mean loss and, when given a gradient buffer, ACCUMULATES
// weight * d(loss)/d(input) into it, so a multi-output model can sum its
// weighted losses into shared gradients. Sums are taken in double.
#include "core/Tensor.h"

#include <cstdint>

namespace ml {

// nn.CrossEntropyLoss with class indices: log-softmax over classes (max
// shifted), then the mean over the batch of -log p[target].
// logits: [batch, classes]; targets: [batch] class indices.
// requires: batch >= 1, classes >= 1.
// throws ml::Error naming the first sample whose target is outside
// [0, classes); nothing is written to dlogits then.
// ensures: dlogits += weight / batch * (softmax(logits) - onehot(targets));
// *correct (when given) = the rows whose first largest logit is the target's.
double crossEntropyLoss(const float* logits, const std::int64_t* targets, Index batch, Index classes,
                        float* dlogits = nullptr, float weight = 1.0f, Index* correct = nullptr);

// nn.MSELoss: mean over all n elements of (prediction - target)^2.
// ensures: dprediction += weight * 2 (prediction - target) / n.
double mseLoss(const float* prediction, const float* target, Index n, float* dprediction = nullptr,
               float weight = 1.0f);

// nn.BCEWithLogitsLoss: mean of max(x, 0) - x t + log(1 + exp(-|x|)), the
// stable form of -[t log sigmoid(x) + (1 - t) log(1 - sigmoid(x))].
// ensures: dlogits += weight * (sigmoid(x) - t) / n.
double bceWithLogitsLoss(const float* logits, const float* target, Index n, float* dlogits = nullptr,
                         float weight = 1.0f);

} // namespace ml
