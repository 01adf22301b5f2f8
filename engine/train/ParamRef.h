#pragma once
// One trainable parameter as the optimizers and gradient clipping see it:
// its value and gradient buffers (owned by the plan's arena) and their size.
#include "core/Tensor.h"

namespace ml {

struct ParamRef {
    float* value = nullptr; // [size]
    float* grad = nullptr;  // [size]
    Index size = 0;
};

} // namespace ml
