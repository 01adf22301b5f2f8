#include "core/Tensor.h"

namespace ml {

std::string shapeToString(const std::vector<Index>& shape) {
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i) {
        if (i) s += ", ";
        s += std::to_string(shape[i]);
    }
    return s + "]";
}

} // namespace ml
