#pragma once
// Structural elementwise ops of a block graph, over n contiguous floats:
// identity/flatten (a copy: the layout of a row-major buffer does not change
// when it is flattened) and add of two same-shape inputs (residual
// connections). No scratch.
#include "core/Tensor.h"

namespace ml::ops {

// y = x
void identityForward(const float* x, float* y, Index n);
// dx += dy
void identityBackward(const float* dy, float* dx, Index n);

// y = a + b, or max(0, a + b) with reluAfter  (a, b, y: n floats each; y
// may alias a or b)
void addForward(const float* a, const float* b, float* y, Index n, bool reluAfter = false);
// da += dy; db += dy. da == db (x + x) correctly accumulates twice.
void addBackward(const float* dy, float* da, float* db, Index n);

} // namespace ml::ops
