#pragma once
// A contiguous row-major float tensor: one buffer plus a shape. Used where
// tensors cross an API (datasets, weights, fixtures, predictions); the
// compiled plan works on raw buffers of an arena instead.
#include <cstdint>
#include <string>
#include <vector>

namespace ml {

using Index = std::int64_t;

struct Tensor {
    std::vector<Index> shape;
    std::vector<float> data;

    Tensor() = default;
    explicit Tensor(std::vector<Index> s, float fill = 0.0f) : shape(std::move(s)), data(numel(shape), fill) {}

    static Index numel(const std::vector<Index>& s) {
        Index n = 1;
        for (Index d : s) n *= d;
        return n;
    }
    Index numel() const { return static_cast<Index>(data.size()); }
    float* ptr() { return data.data(); }
    const float* ptr() const { return data.data(); }
};

std::string shapeToString(const std::vector<Index>& shape); // "[2, 3]"

} // namespace ml
