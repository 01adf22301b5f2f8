#pragma once
// The type of a port: dtype and shape with a symbolic batch dimension.
// A runtime index (list[task_index]) can make a shape differ per item; then
// `choices` lists the shape of each item and `variesWith` names the input.
#include "model/Definition.h"

#include <string>
#include <vector>

namespace ml {

inline constexpr Index kBatch = -1; // the symbolic batch dimension N

struct TensorType {
    DType dtype = DType::Float32;
    std::vector<Index> dims;                  // dims[0] == kBatch for batched tensors
    bool known = false;                       // false: not inferred (an upstream problem)
    std::string variesWith;                   // non-empty: shape depends on this runtime index
    std::vector<std::vector<Index>> choices;  // one shape per index value, when variesWith is set

    static TensorType unknown() { return {}; }
    static TensorType of(std::vector<Index> d, DType t = DType::Float32) { return {t, std::move(d), true, {}, {}}; }

    bool isFixed() const { return known && variesWith.empty(); }
    Index rank() const { return static_cast<Index>(dims.size()); }
    bool operator==(const TensorType& o) const {
        return dtype == o.dtype && dims == o.dims && known == o.known && variesWith == o.variesWith &&
               choices == o.choices;
    }
};

std::string dimsToString(const std::vector<Index>& dims); // "[N, 3, 32, 32]"
std::string typeToString(const TensorType& t);          // adds "int64" or the per-index choices

} // namespace ml
