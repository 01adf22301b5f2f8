#pragma once
// The kinds of step a plan runs: one per op file's forward/backward pair.
// kStepKindCount and the names table make every kind visible at compile
// time: stepKindName() is checked below, and tests/engine/tst_step_kinds.cpp
// checks each kind has a gradient test (adding a kind fails both until done).
// kLayerSteps gives each catalog layer its kind (checked against LayerId).
#include "model/LayerCatalog.h"

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

// A kind that runs one layer's op is named as that layer.
inline constexpr std::array<std::string_view, kStepKindCount> kStepKindNames{
    layerName(LayerId::Linear),    layerName(LayerId::Conv2d),     "BatchNorm",
    layerName(LayerId::LayerNorm), layerName(LayerId::ReLU),       layerName(LayerId::LeakyReLU),
    layerName(LayerId::GELU),      layerName(LayerId::Tanh),       layerName(LayerId::Sigmoid),
    layerName(LayerId::Softmax),   layerName(LayerId::LogSoftmax), layerName(LayerId::MaxPool2d),
    layerName(LayerId::AvgPool2d), layerName(LayerId::AdaptiveAvgPool2d), "Copy",
    layerName(LayerId::Dropout),   "Add",                          "Concat"};

constexpr bool everyStepKindNamed() {
    for (std::string_view n : kStepKindNames)
        if (n.empty()) return false;
    return true;
}
static_assert(everyStepKindNamed(), "every StepKind needs a name in kStepKindNames");

constexpr std::string_view stepKindName(StepKind k) { return kStepKindNames[static_cast<std::size_t>(k)]; }

// The step each layer of the catalog compiles to, in LayerId order.
struct LayerStep {
    LayerId layer;
    StepKind kind;
};
inline constexpr LayerStep kLayerSteps[] = {
    {LayerId::Linear, StepKind::Linear},
    {LayerId::Conv2d, StepKind::Conv2d},
    {LayerId::BatchNorm1d, StepKind::BatchNorm},
    {LayerId::BatchNorm2d, StepKind::BatchNorm},
    {LayerId::LayerNorm, StepKind::LayerNorm},
    {LayerId::ReLU, StepKind::ReLU},
    {LayerId::LeakyReLU, StepKind::LeakyReLU},
    {LayerId::GELU, StepKind::GELU},
    {LayerId::Tanh, StepKind::Tanh},
    {LayerId::Sigmoid, StepKind::Sigmoid},
    {LayerId::Softmax, StepKind::Softmax},
    {LayerId::LogSoftmax, StepKind::LogSoftmax},
    {LayerId::MaxPool2d, StepKind::MaxPool2d},
    {LayerId::AvgPool2d, StepKind::AvgPool2d},
    {LayerId::AdaptiveAvgPool2d, StepKind::AdaptiveAvgPool2d},
    {LayerId::Flatten, StepKind::Copy},
    {LayerId::Dropout, StepKind::Dropout},
    {LayerId::Identity, StepKind::Copy},
};
static_assert(coversEveryLayer(kLayerSteps), "every catalog layer needs a step kind in kLayerSteps, in LayerId order");

constexpr StepKind stepKindOf(LayerId id) { return kLayerSteps[static_cast<std::size_t>(id)].kind; }

} // namespace ml
