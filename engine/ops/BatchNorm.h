#pragma once
// nn.BatchNorm1d / nn.BatchNorm2d, as PyTorch 1.13, on an (N, C, S) layout:
// BatchNorm1d on [N, C] is S = 1, on [N, C, L] S = L; BatchNorm2d on
// [N, C, H, W] is S = H*W. Statistics are per channel over N*S values.
//
// Training (or no running stats): normalize with the batch mean and biased
// variance; running stats (if tracked) become
//   running = (1 - momentum) * running + momentum * batch_stat
// with the UNBIASED variance var * m/(m-1), m = N*S. Evaluation: normalize
// with the running stats. momentum=None in PyTorch (cumulative average) is
// the caller passing 1/num_batches_tracked; num_batches_tracked is the
// caller's. Forward saves per-channel mean and 1/sqrt(var+eps) for backward.
#include "core/Tensor.h"

namespace ml::ops {

struct BatchNormGeometry {
    Index n = 0, c = 0, s = 1; // x [n, c, s]
};

struct BatchNormParams {
    float eps = 1e-5f;
    float momentum = 0.1f;
    bool training = true;
    bool trackRunningStats = true; // false: no running buffers, batch stats always
    bool reluAfter = false;        // a following ReLU folded in: y = max(0, batchnorm(x))

    bool usesBatchStats() const { return training || !trackRunningStats; }
};

// Floats forward saves for backward: mean[c] then invstd[c].
inline Index batchNormSavedSize(const BatchNormGeometry& g) { return 2 * g.c; }

// requires: x, y [n, c, s]; weight, bias [c] or null (affine=False);
//           runningMean, runningVar [c], non-null iff p.trackRunningStats;
//           saved holds batchNormSavedSize(g) floats. When p.usesBatchStats(),
//           n*s must be > 1 (else ml::Error, as PyTorch refuses it).
// ensures:  y assigned; saved = {mean, invstd} actually used; running stats
//           updated when training and tracked.
void batchNormForward(const BatchNormGeometry& g, const BatchNormParams& p, const float* x, const float* weight,
                      const float* bias, float* runningMean, float* runningVar, float* y, float* saved);

// requires: the same g, p, x, weight and the saved buffer of forward; dy [n, c, s];
//           with p.reluAfter, y is forward's output (dy is then the ReLU's
//           output gradient, masked where y <= 0 as the ReLU's backward would).
// ensures:  dx += (batch-stat or affine-only) input gradient; dweight +=
//           sum(dy * xhat); dbias += sum(dy) per channel. Nulls are skipped.
void batchNormBackward(const BatchNormGeometry& g, const BatchNormParams& p, const float* x, const float* weight,
                       const float* saved, const float* dy, float* dx, float* dweight, float* dbias,
                       const float* y = nullptr);

} // namespace ml::ops
