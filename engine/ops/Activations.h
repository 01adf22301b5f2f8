#pragma once
// Pointwise activations over n contiguous floats (any shape, flattened by the
// caller): ReLU, LeakyReLU, GELU (erf or tanh form), Tanh, Sigmoid, with
// PyTorch's definitions. Forward assigns y; backward accumulates into dx.
// Each backward takes whichever of x or y PyTorch's own backward uses, so the
// plan can drop the other: ReLU, Tanh and Sigmoid need only y; LeakyReLU and
// GELU need x. No scratch is saved.
#include "core/Tensor.h"

namespace ml::ops {

// y = max(x, 0)
void reluForward(const float* x, float* y, Index n);
// dx += (y > 0) ? dy : 0   (PyTorch's threshold_backward on the output)
void reluBackward(const float* y, const float* dy, float* dx, Index n);
// dy = (y > 0) ? dy : 0 in place: the backward of a ReLU folded into the op
// before it, whose output y it overwrote (y may alias x in reluForward).
void reluMaskGradient(const float* y, float* dy, Index n);

struct LeakyReluParams {
    float negativeSlope = 0.01f;
};
// y = x > 0 ? x : negativeSlope * x
void leakyReluForward(const float* x, float* y, Index n, LeakyReluParams params = {});
// dx += x > 0 ? dy : negativeSlope * dy
void leakyReluBackward(const float* x, const float* dy, float* dx, Index n, LeakyReluParams params = {});

enum class GeluApproximate { None, Tanh }; // torch's approximate="none" | "tanh"
struct GeluParams {
    GeluApproximate approximate = GeluApproximate::None;
};
// None: y = x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2))
// Tanh: y = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
void geluForward(const float* x, float* y, Index n, GeluParams params = {});
void geluBackward(const float* x, const float* dy, float* dx, Index n, GeluParams params = {});

// y = tanh(x); dx += dy (1 - y^2)
void tanhForward(const float* x, float* y, Index n);
void tanhBackward(const float* y, const float* dy, float* dx, Index n);

// y = 1 / (1 + exp(-x)); dx += dy y (1 - y)
void sigmoidForward(const float* x, float* y, Index n);
void sigmoidBackward(const float* y, const float* dy, float* dx, Index n);

} // namespace ml::ops
