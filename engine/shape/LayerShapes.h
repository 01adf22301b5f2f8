#pragma once
// Shape rules of the primitive layers and functional ops, with PyTorch's
// output-size formulas. Problems are returned as text (what is wrong, and a
// fix when one is known); the caller adds the module path and port.
#include "model/TensorType.h"

#include <optional>
#include <string>
#include <vector>

namespace ml {

struct ShapeProblem {
    std::string code;     // "shape-mismatch", "empty-output", ...
    std::string message;
    std::string fix;
};

// Requires: `args` holds every argument of the layer (defaults filled), with
// inferable ones possibly missing; ensures: inferable ones are set from the
// input when missing. The input is a fixed (non-varying) known type.
TensorType inferLayerShape(const std::string& layerType, Json& args, const TensorType& input,
                           std::vector<ShapeProblem>& problems);

// `inputNames` name where each input comes from, for messages and fixes.
TensorType inferOpShape(const std::string& op, const Json& args, const std::vector<TensorType>& inputs,
                        const std::vector<std::string>& inputNames, std::vector<ShapeProblem>& problems);

} // namespace ml
