#pragma once
// The kinds of step a plan runs: one per op file's forward/backward pair.
// kStepKindCount and the names table make every kind visible at compile
// time: stepKindName() is checked below, and tests/engine/tst_step_kinds.cpp
// checks each kind has a gradient test (adding a kind fails both until done).
#include <array>
#include <cstddef>
#include <string_view>

namespace ml {

enum class StepKind {
    Linear, Conv2d, BatchNorm, LayerNorm, ReLU, LeakyReLU, GELU, Tanh, Sigmoid, Softmax, LogSoftmax,
    MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, Copy /* Flatten, Identity, flatten op, select */, Dropout, Add, Concat,
    Count // not a kind: how many there are
};

inline constexpr std::size_t kStepKindCount = static_cast<std::size_t>(StepKind::Count);

inline constexpr std::array<std::string_view, kStepKindCount> kStepKindNames{
    "Linear",    "Conv2d",    "BatchNorm",         "LayerNorm", "ReLU",    "LeakyReLU", "GELU",
    "Tanh",      "Sigmoid",   "Softmax",           "LogSoftmax", "MaxPool2d", "AvgPool2d",
    "AdaptiveAvgPool2d", "Copy", "Dropout", "Add", "Concat"};

constexpr bool everyStepKindNamed() {
    for (std::string_view n : kStepKindNames)
        if (n.empty()) return false;
    return true;
}
static_assert(everyStepKindNamed(), "every StepKind needs a name in kStepKindNames");

constexpr std::string_view stepKindName(StepKind k) { return kStepKindNames[static_cast<std::size_t>(k)]; }

} // namespace ml
