#include "model/TensorType.h"

namespace ml {

std::string dimsToString(const std::vector<Index>& dims) {
    std::string s = "[";
    for (size_t i = 0; i < dims.size(); ++i) {
        if (i) s += ", ";
        s += dims[i] == kBatch ? std::string("N") : std::to_string(dims[i]);
    }
    return s + "]";
}

std::string typeToString(const TensorType& t) {
    if (!t.known) return "?";
    if (t.dtype == DType::Int64 && t.dims.empty()) return "int64";
    std::string s;
    if (!t.variesWith.empty()) {
        for (size_t i = 0; i < t.choices.size(); ++i) {
            if (i) s += " | ";
            s += dimsToString(t.choices[i]);
        }
        return s + " (by " + t.variesWith + ")";
    }
    s = dimsToString(t.dims);
    if (t.dtype == DType::Int64) s += " int64";
    return s;
}

} // namespace ml
