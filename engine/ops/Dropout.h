#pragma once
// Dropout(p), PyTorch's inverted form: in training each element is kept with
// probability 1 - p and scaled by 1 / (1 - p); in eval it is the identity.
// Forward saves the mask (0 or the scale, as floats) for backward, so
// backward is one multiply. The mask comes from the engine's seeded
// ml::Random, so a run repeats exactly for a seed.
#include "core/Tensor.h"

namespace ml {
class Random;
}

namespace ml::ops {

struct DropoutParams {
    float p = 0.5f;       // probability of zeroing an element, in [0, 1]
    bool training = true; // false: identity, no mask, no random draws
};

// Floats of saved mask that forward writes (n in training, 0 in eval).
Index dropoutMaskSize(Index n, const DropoutParams& params);

// requires: mask has dropoutMaskSize(n) floats (may be null in eval).
// throws ml::Error when p is outside [0, 1].
// ensures: y = x * mask; p == 1 gives all zeros (as torch), p == 0 keeps all;
// neither extreme draws from rng.
void dropoutForward(const float* x, float* y, float* mask, Index n, const DropoutParams& params, Random& rng);
// dx += dy * mask (training) or dx += dy (eval).
void dropoutBackward(const float* dy, const float* mask, float* dx, Index n, const DropoutParams& params);

} // namespace ml::ops
