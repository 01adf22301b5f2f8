#pragma once
// Number formatting shared by diagnostics and summaries.
#include "core/Tensor.h"

#include <string>

namespace ml {

std::string withThousands(Index value); // 268650 -> "268,650"

} // namespace ml
