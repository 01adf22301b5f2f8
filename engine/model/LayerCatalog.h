#pragma once
// The primitive layers ModuleLab knows: one entry per layer type holds
// everything the program knows about it (PyTorch's argument names and
// defaults, palette category and text, the parameters and buffers it
// registers with their initialization, its repr, the canvas label and its
// PyTorch constructor). Higher layers attach what the model may not know
// (the shape rule in shape/LayerShapes.cpp, the step kind in
// exec/StepKind.h) in tables indexed by LayerId whose coverage is checked at
// compile time (coversEveryLayer). ctest engine.layer_strings checks that no
// other engine or GUI source spells a layer type as a string.
#include "model/Definition.h"

#include <cstddef>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

namespace ml {

// The layer types, in palette order. Adding a layer adds X(Name) here (the
// id's spelling is the type name the files use), its entry in
// LayerCatalog.cpp, a shape rule and a step kind.
#define ML_LAYER_TYPES(X)                                                                                   \
    X(Linear) X(Conv2d) X(BatchNorm1d) X(BatchNorm2d) X(LayerNorm) X(ReLU) X(LeakyReLU) X(GELU) X(Tanh)   \
    X(Sigmoid) X(Softmax) X(LogSoftmax) X(MaxPool2d) X(AvgPool2d) X(AdaptiveAvgPool2d) X(Flatten)          \
    X(Dropout) X(Identity)

enum class LayerId {
#define ML_LAYER_ID(name) name,
    ML_LAYER_TYPES(ML_LAYER_ID)
#undef ML_LAYER_ID
    Count // not a layer: how many there are
};

inline constexpr std::size_t kLayerCount = static_cast<std::size_t>(LayerId::Count);

inline constexpr std::string_view kLayerNames[] = {
#define ML_LAYER_NAME(name) #name,
    ML_LAYER_TYPES(ML_LAYER_NAME)
#undef ML_LAYER_NAME
};
static_assert(std::size(kLayerNames) == kLayerCount);

// The type name of a layer ("Conv2d"), as the model format spells it.
constexpr std::string_view layerName(LayerId id) { return kLayerNames[static_cast<std::size_t>(id)]; }

// True when `table` has one entry per layer, in LayerId order (entry i has
// `.layer == LayerId(i)`): what a higher layer's per-layer table asserts.
template <typename Entry, std::size_t N>
constexpr bool coversEveryLayer(const Entry (&table)[N]) {
    if (N != kLayerCount) return false;
    for (std::size_t i = 0; i < N; ++i)
        if (static_cast<std::size_t>(table[i].layer) != i) return false;
    return true;
}

enum class ArgKind {
    Int,       // an integer
    IntPair,   // an integer or [h, w]
    Float,
    Bool,
    String,    // one of `choices`
    Shape,     // an integer or a list of integers (LayerNorm's normalized_shape)
    OptionalIntPair, // like IntPair, or null (MaxPool2d's stride defaults to kernel_size)
};

struct ArgSpec {
    std::string name;
    ArgKind kind;
    Json defaultValue;          // null: required, unless inferable
    bool inferable = false;     // may be left out and found by shape inference
    bool positive = false;      // must be > 0 (sizes); otherwise >= 0 where integer
    bool allowNegative = false; // a dimension index, counted from the end when negative
    std::vector<std::string> choices; // for String
};

// How a parameter or buffer starts, as PyTorch 1.13's reset_parameters()
// does (exec/Init.h draws the numbers).
enum class TensorInit {
    UniformFanIn, // U(-1/sqrt(fanIn), 1/sqrt(fanIn)); zeros when fanIn is 0
    Ones,
    Zeros,
};

// A parameter or buffer a layer registers, in registration order (which is
// also the order initialization draws random numbers in).
struct TensorSpec {
    std::string name;       // "weight", "running_mean"
    std::vector<Index> shape;
    bool isBuffer = false;
    DType dtype = DType::Float32;
    TensorInit init = TensorInit::Zeros;
    Index fanIn = 0;        // for UniformFanIn
};

struct LayerType {
    LayerId id = LayerId::Count;
    std::string name{};    // layerName(id)
    std::string category{}; // palette group, one of layerCategories()
    std::string summary{};  // one sentence for the palette and inspector
    std::vector<ArgSpec> args{};
    int inputCount = 1;
    // Requires resolved args (every inferable argument known). Null: none.
    std::vector<TensorSpec> (*tensors)(const Json& args) = nullptr;
    // What PyTorch's repr shows inside the parentheses (extra_repr()), from
    // resolved args. Null: nothing.
    std::string (*extraRepr)(const Json& args) = nullptr;
    // The arguments the canvas's short label shows ("3 → 64, k3, p1"); args
    // may lack inferable ones ("?"). Null: the label is the name alone.
    std::string (*labelArgs)(const Json& args) = nullptr;
    // PyTorch constructor: pyClass(required args positionally, then optional
    // ones that differ from the default by keyword). pyPositional: optional
    // ones still written positionally; pyKeyword: always written, by keyword
    // (Softmax's dim: PyTorch's default is None, ours -1).
    std::string pyClass{}; // "nn.Conv2d"
    std::vector<std::string> pyPositional{};
    std::vector<std::string> pyKeyword{};

    const ArgSpec* findArg(const std::string& argName) const;
    std::string repr(const Json& args) const;  // "Linear(in_features=10, out_features=5, bias=True)"
    std::string label(const Json& args) const; // "Linear(10 → 5)"
};

const std::vector<LayerType>& layerTypes(); // in LayerId order
const LayerType& layerType(LayerId id);
const LayerType* findLayerType(const std::string& name);
// The palette's layer groups, in the order it shows them.
const std::vector<std::string>& layerCategories();
bool isContainerType(const std::string& name); // Sequential, ModuleList

// The functional ops a block's graph can use besides calls.
struct OpType {
    std::string name;       // "add"
    int minInputs;
    int maxInputs;          // -1: any number
    std::vector<ArgSpec> args;
    std::string summary;
    // The layer that does the same as a module (a Sequential item), if any.
    LayerId moduleForm = LayerId::Count;
};
const std::vector<OpType>& opTypes();
const OpType* findOpType(const std::string& name);

// Requires: `args` complete (every inferable argument resolved) and valid.
// An unknown type registers nothing.
std::vector<TensorSpec> layerTensors(const std::string& layerType, const Json& args);

// Argument helpers for resolved args (defaults filled in by the reader).
Index argInt(const Json& args, const std::string& name);
std::pair<Index, Index> argPair(const Json& args, const std::string& name);
double argFloat(const Json& args, const std::string& name);
bool argBool(const Json& args, const std::string& name);

} // namespace ml
