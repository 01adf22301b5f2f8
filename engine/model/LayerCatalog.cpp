#include "model/LayerCatalog.h"

#include "core/Error.h"

#include <algorithm>
#include <cstdio>
#include <limits>

namespace ml {

namespace {

ArgSpec required(std::string name, ArgKind kind, bool inferable = false) {
    return ArgSpec{std::move(name), kind, Json(), inferable, true, false, {}};
}
ArgSpec optional(std::string name, ArgKind kind, Json def, bool positive = false) {
    return ArgSpec{std::move(name), kind, std::move(def), false, positive, false, {}};
}
ArgSpec dimension(std::string name, Index def) {
    return ArgSpec{std::move(name), ArgKind::Int, def, false, false, true, {}};
}

// PyTorch's repr pieces.
std::string pyBool(const Json& v) { return v.get<bool>() ? "True" : "False"; }

std::string pyFloat(double x) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", x);
    std::string s = buf;
    if (s.find_first_of(".e") == std::string::npos) s += ".0";
    return s;
}

// "(a, b)". Appended piecewise: GCC 12 warns falsely (-Wrestrict) on "(" + string.
std::string pyPair(const Json& a, const Json& b) {
    std::string s(1, '(');
    s += a.dump();
    s += ", ";
    s += b.dump();
    s += ')';
    return s;
}

// An int or [h, w] as PyTorch prints a size tuple: "(3, 3)".
std::string pyTuple(const Json& v) { return v.is_array() ? pyPair(v[0], v[1]) : pyPair(v, v); }

std::string pyScalarOrTuple(const Json& v) { return v.is_array() ? pyPair(v[0], v[1]) : v.dump(); }

// An inferable argument may still be unknown when a repr is asked for.
std::string dumpOr(const Json& a, const char* name) { return a.contains(name) ? a[name].dump() : std::string("?"); }

// The canvas label's pieces: [3, 3] shows as 3, a missing argument as the fallback.
std::string labelText(const Json& v) {
    if (v.is_null()) return "?";
    if (v.is_string()) return v.get<std::string>();
    if (v.is_array() && v.size() == 2 && v[0] == v[1]) return v[0].dump();
    return v.dump();
}
std::string labelArg(const Json& a, const char* name, const char* fallback = "?") {
    return a.contains(name) ? labelText(a[name]) : std::string(fallback);
}
const char* const kArrow = " \u2192 ";

// Per layer: parameters and buffers (with their initialization), repr and label.

std::vector<TensorSpec> linearTensors(const Json& a) {
    const Index in = argInt(a, "in_features"), out = argInt(a, "out_features");
    std::vector<TensorSpec> t{{"weight", {out, in}, false, DType::Float32, TensorInit::UniformFanIn, in}};
    if (argBool(a, "bias")) t.push_back({"bias", {out}, false, DType::Float32, TensorInit::UniformFanIn, in});
    return t;
}
std::string linearRepr(const Json& a) {
    return "in_features=" + dumpOr(a, "in_features") + ", out_features=" + dumpOr(a, "out_features") +
           ", bias=" + pyBool(a["bias"]);
}
std::string linearLabel(const Json& a) { return labelArg(a, "in_features") + kArrow + labelArg(a, "out_features"); }

std::vector<TensorSpec> conv2dTensors(const Json& a) {
    const auto [kh, kw] = argPair(a, "kernel_size");
    const Index cout = argInt(a, "out_channels");
    const Index perGroup = argInt(a, "in_channels") / argInt(a, "groups");
    // Saturated: a size past Index is refused by the analysis's parameter cap before anything is drawn.
    Index fanIn = 0;
    if (__builtin_mul_overflow(perGroup, kh, &fanIn) || __builtin_mul_overflow(fanIn, kw, &fanIn))
        fanIn = std::numeric_limits<Index>::max();
    std::vector<TensorSpec> t{{"weight", {cout, perGroup, kh, kw}, false, DType::Float32, TensorInit::UniformFanIn, fanIn}};
    if (argBool(a, "bias")) t.push_back({"bias", {cout}, false, DType::Float32, TensorInit::UniformFanIn, fanIn});
    return t;
}
std::string conv2dRepr(const Json& a) {
    std::string s = dumpOr(a, "in_channels") + ", " + dumpOr(a, "out_channels") +
                    ", kernel_size=" + pyTuple(a["kernel_size"]) + ", stride=" + pyTuple(a["stride"]);
    if (pyTuple(a["padding"]) != "(0, 0)") s += ", padding=" + pyTuple(a["padding"]);
    if (pyTuple(a["dilation"]) != "(1, 1)") s += ", dilation=" + pyTuple(a["dilation"]);
    if (a["groups"].get<Index>() != 1) s += ", groups=" + a["groups"].dump();
    if (!a["bias"].get<bool>()) s += ", bias=False";
    return s;
}
std::string conv2dLabel(const Json& a) {
    std::string s = labelArg(a, "in_channels") + kArrow + labelArg(a, "out_channels") + ", k" +
                    labelArg(a, "kernel_size");
    if (a.contains("stride") && labelText(a["stride"]) != "1") s += ", s" + labelText(a["stride"]);
    if (a.contains("padding") && labelText(a["padding"]) != "0") s += ", p" + labelText(a["padding"]);
    return s;
}

std::vector<TensorSpec> batchNormTensors(const Json& a) {
    const Index c = argInt(a, "num_features");
    std::vector<TensorSpec> t;
    if (argBool(a, "affine")) {
        t.push_back({"weight", {c}, false, DType::Float32, TensorInit::Ones});
        t.push_back({"bias", {c}, false, DType::Float32, TensorInit::Zeros});
    }
    if (argBool(a, "track_running_stats")) {
        t.push_back({"running_mean", {c}, true, DType::Float32, TensorInit::Zeros});
        t.push_back({"running_var", {c}, true, DType::Float32, TensorInit::Ones});
        t.push_back({"num_batches_tracked", {}, true, DType::Int64, TensorInit::Zeros});
    }
    return t;
}
std::string batchNormRepr(const Json& a) {
    return dumpOr(a, "num_features") + ", eps=" + pyFloat(a["eps"].get<double>()) +
           ", momentum=" + pyFloat(a["momentum"].get<double>()) + ", affine=" + pyBool(a["affine"]) +
           ", track_running_stats=" + pyBool(a["track_running_stats"]);
}
std::string batchNormLabel(const Json& a) { return labelArg(a, "num_features"); }

std::vector<TensorSpec> layerNormTensors(const Json& a) {
    if (!argBool(a, "elementwise_affine")) return {};
    const std::vector<Index> shape = a.at("normalized_shape").get<std::vector<Index>>();
    return {{"weight", shape, false, DType::Float32, TensorInit::Ones},
            {"bias", shape, false, DType::Float32, TensorInit::Zeros}};
}
std::string layerNormRepr(const Json& a) {
    std::string shape = "(";
    if (a.contains("normalized_shape"))
        for (const Json& d : a["normalized_shape"]) shape += d.dump() + ",";
    if (shape.size() > 2 && a["normalized_shape"].size() > 1) shape.pop_back();
    return shape + "), eps=" + pyFloat(a["eps"].get<double>()) +
           ", elementwise_affine=" + pyBool(a["elementwise_affine"]);
}
std::string layerNormLabel(const Json& a) { return labelArg(a, "normalized_shape"); }

std::string leakyReluRepr(const Json& a) { return "negative_slope=" + pyFloat(a["negative_slope"].get<double>()); }
std::string geluRepr(const Json& a) { return "approximate='" + a["approximate"].get<std::string>() + "'"; }
std::string softmaxRepr(const Json& a) { return "dim=" + a["dim"].dump(); }
std::string softmaxLabel(const Json& a) { return "dim=" + labelArg(a, "dim", "-1"); }

std::string poolRepr(const Json& a) {
    const Json& stride = a["stride"].is_null() ? a["kernel_size"] : a["stride"];
    return "kernel_size=" + pyScalarOrTuple(a["kernel_size"]) + ", stride=" + pyScalarOrTuple(stride) +
           ", padding=" + pyScalarOrTuple(a["padding"]);
}
std::string maxPoolRepr(const Json& a) {
    return poolRepr(a) + ", dilation=" + pyScalarOrTuple(a["dilation"]) + ", ceil_mode=" + pyBool(a["ceil_mode"]);
}
std::string poolLabel(const Json& a) {
    std::string s = "k" + labelArg(a, "kernel_size");
    if (a.contains("stride") && !a["stride"].is_null()) s += ", s" + labelText(a["stride"]);
    return s;
}
std::string adaptiveRepr(const Json& a) { return "output_size=" + pyScalarOrTuple(a["output_size"]); }
std::string adaptiveLabel(const Json& a) { return labelArg(a, "output_size"); }
std::string flattenRepr(const Json& a) { return "start_dim=" + a["start_dim"].dump() + ", end_dim=" + a["end_dim"].dump(); }
std::string dropoutRepr(const Json& a) { return "p=" + pyFloat(a["p"].get<double>()) + ", inplace=False"; }
std::string dropoutLabel(const Json& a) { return "p=" + labelArg(a, "p", "0.5"); }

// One entry per layer, in LayerId order (makeLayerTypes checks it).
std::vector<LayerType> makeLayerTypes() {
    const ArgKind I = ArgKind::Int, P = ArgKind::IntPair, F = ArgKind::Float, B = ArgKind::Bool;
    ArgSpec approximate = optional("approximate", ArgKind::String, "none");
    approximate.choices = {"none", "tanh"};
    const std::vector<ArgSpec> batchNormArgs{required("num_features", I, true), optional("eps", F, 1e-5),
                                             optional("momentum", F, 0.1), optional("affine", B, true),
                                             optional("track_running_stats", B, true)};
    std::vector<LayerType> t{
        {.id = LayerId::Linear, .category = "Linear", .summary = "y = x W^T + b over the last dimension.",
         .args = {required("in_features", I, true), required("out_features", I), optional("bias", B, true)},
         .tensors = linearTensors, .extraRepr = linearRepr, .labelArgs = linearLabel},
        {.id = LayerId::Conv2d, .category = "Convolution", .summary = "2-D convolution over [N, C, H, W].",
         .args = {required("in_channels", I, true), required("out_channels", I), required("kernel_size", P),
                  optional("stride", P, 1, true), optional("padding", P, 0), optional("dilation", P, 1, true),
                  optional("groups", I, 1, true), optional("bias", B, true)},
         .tensors = conv2dTensors, .extraRepr = conv2dRepr, .labelArgs = conv2dLabel},
        {.id = LayerId::BatchNorm1d, .category = "Normalization",
         .summary = "Normalizes each feature of [N, C] or [N, C, L] over the batch; keeps running statistics.",
         .args = batchNormArgs, .tensors = batchNormTensors, .extraRepr = batchNormRepr, .labelArgs = batchNormLabel},
        {.id = LayerId::BatchNorm2d, .category = "Normalization",
         .summary = "Normalizes each channel of [N, C, H, W] over the batch; keeps running statistics.",
         .args = batchNormArgs, .tensors = batchNormTensors, .extraRepr = batchNormRepr, .labelArgs = batchNormLabel},
        {.id = LayerId::LayerNorm, .category = "Normalization", .summary = "Normalizes each sample over its last dimensions.",
         .args = {required("normalized_shape", ArgKind::Shape, true), optional("eps", F, 1e-5),
                  optional("elementwise_affine", B, true)},
         .tensors = layerNormTensors, .extraRepr = layerNormRepr, .labelArgs = layerNormLabel},
        {.id = LayerId::ReLU, .category = "Activation", .summary = "max(x, 0)."},
        {.id = LayerId::LeakyReLU, .category = "Activation", .summary = "x if x > 0 else negative_slope * x.",
         .args = {optional("negative_slope", F, 0.01)}, .extraRepr = leakyReluRepr, .pyPositional = {"negative_slope"}},
        {.id = LayerId::GELU, .category = "Activation", .summary = "x * Phi(x), the Gaussian error linear unit.",
         .args = {approximate}, .extraRepr = geluRepr},
        {.id = LayerId::Tanh, .category = "Activation", .summary = "Hyperbolic tangent."},
        {.id = LayerId::Sigmoid, .category = "Activation", .summary = "1 / (1 + exp(-x))."},
        {.id = LayerId::Softmax, .category = "Activation", .summary = "exp(x) / sum(exp(x)) along dim.",
         .args = {dimension("dim", -1)}, .extraRepr = softmaxRepr, .labelArgs = softmaxLabel, .pyKeyword = {"dim"}},
        {.id = LayerId::LogSoftmax, .category = "Activation", .summary = "log(softmax(x)) along dim.",
         .args = {dimension("dim", -1)}, .extraRepr = softmaxRepr, .labelArgs = softmaxLabel, .pyKeyword = {"dim"}},
        {.id = LayerId::MaxPool2d, .category = "Pooling", .summary = "Maximum over sliding windows of [N, C, H, W].",
         .args = {required("kernel_size", P), optional("stride", ArgKind::OptionalIntPair, Json(), true),
                  optional("padding", P, 0), optional("dilation", P, 1, true), optional("ceil_mode", B, false)},
         .extraRepr = maxPoolRepr, .labelArgs = poolLabel, .pyPositional = {"stride"}},
        {.id = LayerId::AvgPool2d, .category = "Pooling", .summary = "Mean over sliding windows of [N, C, H, W].",
         .args = {required("kernel_size", P), optional("stride", ArgKind::OptionalIntPair, Json(), true),
                  optional("padding", P, 0), optional("ceil_mode", B, false), optional("count_include_pad", B, true)},
         .extraRepr = poolRepr, .labelArgs = poolLabel, .pyPositional = {"stride"}},
        {.id = LayerId::AdaptiveAvgPool2d, .category = "Pooling",
         .summary = "Mean over windows that give a fixed output size.", .args = {required("output_size", P)},
         .extraRepr = adaptiveRepr, .labelArgs = adaptiveLabel},
        {.id = LayerId::Flatten, .category = "Reshape", .summary = "Flattens dimensions start_dim..end_dim into one.",
         .args = {dimension("start_dim", 1), dimension("end_dim", -1)}, .extraRepr = flattenRepr},
        {.id = LayerId::Dropout, .category = "Regularization",
         .summary = "Zeroes elements with probability p while training.", .args = {optional("p", F, 0.5)},
         .extraRepr = dropoutRepr, .labelArgs = dropoutLabel, .pyPositional = {"p"}},
        {.id = LayerId::Identity, .category = "Reshape", .summary = "Returns its input unchanged."},
    };
    ML_ASSERT(t.size() == kLayerCount);
    for (size_t i = 0; i < t.size(); ++i) {
        ML_ASSERT(static_cast<size_t>(t[i].id) == i);
        t[i].name = layerName(t[i].id);
        t[i].pyClass = "nn." + t[i].name;
        ML_ASSERT(std::find(layerCategories().begin(), layerCategories().end(), t[i].category) !=
                  layerCategories().end());
    }
    return t;
}

std::vector<OpType> makeOpTypes() {
    return {
        {"add", 2, -1, {}, "Elementwise sum of same-shaped tensors (a residual connection)."},
        {"concat", 2, -1, {dimension("dim", 1)}, "Concatenates tensors along dim (torch.cat)."},
        {"flatten", 1, 1, {dimension("start_dim", 1), dimension("end_dim", -1)},
         "torch.flatten(x, start_dim, end_dim).", LayerId::Flatten},
        {"relu", 1, 1, {}, "torch.relu(x): max(x, 0), with no module.", LayerId::ReLU},
    };
}

} // namespace

const ArgSpec* LayerType::findArg(const std::string& argName) const {
    for (const ArgSpec& a : args)
        if (a.name == argName) return &a;
    return nullptr;
}

std::string LayerType::repr(const Json& a) const {
    return name + "(" + (extraRepr ? extraRepr(a) : std::string()) + ")";
}

std::string LayerType::label(const Json& a) const {
    return labelArgs ? name + "(" + labelArgs(a) + ")" : name;
}

const std::vector<std::string>& layerCategories() {
    static const std::vector<std::string> categories{"Linear",  "Convolution", "Normalization", "Activation",
                                                     "Pooling", "Reshape",     "Regularization"};
    return categories;
}

const std::vector<LayerType>& layerTypes() {
    static const std::vector<LayerType> types = makeLayerTypes();
    return types;
}

const LayerType& layerType(LayerId id) {
    ML_ASSERT(id != LayerId::Count);
    return layerTypes()[static_cast<size_t>(id)];
}

const LayerType* findLayerType(const std::string& name) {
    for (const LayerType& t : layerTypes())
        if (t.name == name) return &t;
    return nullptr;
}

bool isContainerType(const std::string& name) {
    return name == "Sequential" || name == "ModuleList";
}

const std::vector<OpType>& opTypes() {
    static const std::vector<OpType> types = makeOpTypes();
    return types;
}

const OpType* findOpType(const std::string& name) {
    for (const OpType& t : opTypes())
        if (t.name == name) return &t;
    return nullptr;
}

Index argInt(const Json& args, const std::string& name) {
    return args.at(name).get<Index>();
}

std::pair<Index, Index> argPair(const Json& args, const std::string& name) {
    const Json& v = args.at(name);
    if (v.is_array()) return {v.at(0).get<Index>(), v.at(1).get<Index>()};
    return {v.get<Index>(), v.get<Index>()};
}

double argFloat(const Json& args, const std::string& name) {
    return args.at(name).get<double>();
}

bool argBool(const Json& args, const std::string& name) {
    return args.at(name).get<bool>();
}

std::vector<TensorSpec> layerTensors(const std::string& type, const Json& args) {
    const LayerType* t = findLayerType(type);
    return t && t->tensors ? t->tensors(args) : std::vector<TensorSpec>{};
}

} // namespace ml
