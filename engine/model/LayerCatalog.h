#pragma once
// The primitive layers ModuleLab knows, with PyTorch's argument names and
// defaults, and the parameters and buffers each registers. One table: the
// JSON reader, shape inference, the summary and the editor's palette all
// read it, so a layer is described in exactly one place.
#include "model/Definition.h"

#include <string>
#include <vector>

namespace ml {

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

struct LayerType {
    std::string name;      // "Conv2d"
    std::string category;  // palette group: "Linear", "Convolution", "Normalization", ...
    std::string summary;   // one sentence for the palette and inspector
    std::vector<ArgSpec> args;
    int inputCount = 1;

    const ArgSpec* findArg(const std::string& argName) const;
};

const std::vector<LayerType>& layerTypes();
const LayerType* findLayerType(const std::string& name);
bool isContainerType(const std::string& name); // Sequential, ModuleList

// The functional ops a block's graph can use besides calls.
struct OpType {
    std::string name;       // "add"
    int minInputs;
    int maxInputs;          // -1: any number
    std::vector<ArgSpec> args;
    std::string summary;
};
const std::vector<OpType>& opTypes();
const OpType* findOpType(const std::string& name);

// A parameter or buffer a layer registers, in registration order.
struct TensorSpec {
    std::string name;       // "weight", "running_mean"
    std::vector<Index> shape;
    bool isBuffer = false;
    DType dtype = DType::Float32;
};

// Requires: `args` complete (every inferable argument resolved) and valid.
std::vector<TensorSpec> layerTensors(const std::string& layerType, const Json& args);

// Argument helpers for resolved args (defaults filled in by the reader).
Index argInt(const Json& args, const std::string& name);
std::pair<Index, Index> argPair(const Json& args, const std::string& name);
double argFloat(const Json& args, const std::string& name);
bool argBool(const Json& args, const std::string& name);

} // namespace ml
