#include "model/LayerCatalog.h"

#include "core/Error.h"

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

std::vector<LayerType> makeLayerTypes() {
    const ArgKind I = ArgKind::Int, P = ArgKind::IntPair, F = ArgKind::Float, B = ArgKind::Bool;
    std::vector<LayerType> t;
    t.push_back({"Linear", "Linear", "y = x W^T + b over the last dimension.",
                 {required("in_features", I, true), required("out_features", I), optional("bias", B, true)}});
    t.push_back({"Conv2d", "Convolution", "2-D convolution over [N, C, H, W].",
                 {required("in_channels", I, true), required("out_channels", I), required("kernel_size", P),
                  optional("stride", P, 1, true), optional("padding", P, 0), optional("dilation", P, 1, true),
                  optional("groups", I, 1, true), optional("bias", B, true)}});
    for (const char* bn : {"BatchNorm1d", "BatchNorm2d"}) {
        const bool is2d = std::string(bn) == "BatchNorm2d";
        t.push_back({bn, "Normalization",
                     is2d ? "Normalizes each channel of [N, C, H, W] over the batch; keeps running statistics."
                          : "Normalizes each feature of [N, C] or [N, C, L] over the batch; keeps running statistics.",
                     {required("num_features", I, true), optional("eps", F, 1e-5), optional("momentum", F, 0.1),
                      optional("affine", B, true), optional("track_running_stats", B, true)}});
    }
    t.push_back({"LayerNorm", "Normalization", "Normalizes each sample over its last dimensions.",
                 {required("normalized_shape", ArgKind::Shape, true), optional("eps", F, 1e-5),
                  optional("elementwise_affine", B, true)}});
    t.push_back({"ReLU", "Activation", "max(x, 0).", {}});
    t.push_back({"LeakyReLU", "Activation", "x if x > 0 else negative_slope * x.",
                 {optional("negative_slope", F, 0.01)}});
    ArgSpec approximate = optional("approximate", ArgKind::String, "none");
    approximate.choices = {"none", "tanh"};
    t.push_back({"GELU", "Activation", "x * Phi(x), the Gaussian error linear unit.", {approximate}});
    t.push_back({"Tanh", "Activation", "Hyperbolic tangent.", {}});
    t.push_back({"Sigmoid", "Activation", "1 / (1 + exp(-x)).", {}});
    t.push_back({"Softmax", "Activation", "exp(x) / sum(exp(x)) along dim.", {dimension("dim", -1)}});
    t.push_back({"LogSoftmax", "Activation", "log(softmax(x)) along dim.", {dimension("dim", -1)}});
    t.push_back({"MaxPool2d", "Pooling", "Maximum over sliding windows of [N, C, H, W].",
                 {required("kernel_size", P), optional("stride", ArgKind::OptionalIntPair, Json(), true),
                  optional("padding", P, 0), optional("dilation", P, 1, true), optional("ceil_mode", B, false)}});
    t.push_back({"AvgPool2d", "Pooling", "Mean over sliding windows of [N, C, H, W].",
                 {required("kernel_size", P), optional("stride", ArgKind::OptionalIntPair, Json(), true),
                  optional("padding", P, 0), optional("ceil_mode", B, false),
                  optional("count_include_pad", B, true)}});
    t.push_back({"AdaptiveAvgPool2d", "Pooling", "Mean over windows that give a fixed output size.",
                 {required("output_size", P)}});
    t.push_back({"Flatten", "Reshape", "Flattens dimensions start_dim..end_dim into one.",
                 {dimension("start_dim", 1), dimension("end_dim", -1)}});
    t.push_back({"Dropout", "Regularization", "Zeroes elements with probability p while training.",
                 {optional("p", F, 0.5)}});
    t.push_back({"Identity", "Reshape", "Returns its input unchanged.", {}});
    return t;
}

std::vector<OpType> makeOpTypes() {
    return {
        {"add", 2, -1, {}, "Elementwise sum of same-shaped tensors (a residual connection)."},
        {"concat", 2, -1, {dimension("dim", 1)}, "Concatenates tensors along dim (torch.cat)."},
        {"flatten", 1, 1, {dimension("start_dim", 1), dimension("end_dim", -1)},
         "torch.flatten(x, start_dim, end_dim)."},
        {"relu", 1, 1, {}, "torch.relu(x): max(x, 0), with no module."},
    };
}

} // namespace

const ArgSpec* LayerType::findArg(const std::string& argName) const {
    for (const ArgSpec& a : args)
        if (a.name == argName) return &a;
    return nullptr;
}

const std::vector<LayerType>& layerTypes() {
    static const std::vector<LayerType> types = makeLayerTypes();
    return types;
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
    std::vector<TensorSpec> out;
    auto param = [&](const char* name, std::vector<Index> shape) { out.push_back({name, std::move(shape), false}); };
    auto buffer = [&](const char* name, std::vector<Index> shape, DType dtype = DType::Float32) {
        out.push_back({name, std::move(shape), true, dtype});
    };
    if (type == "Linear") {
        param("weight", {argInt(args, "out_features"), argInt(args, "in_features")});
        if (argBool(args, "bias")) param("bias", {argInt(args, "out_features")});
    } else if (type == "Conv2d") {
        const auto [kh, kw] = argPair(args, "kernel_size");
        const Index cout = argInt(args, "out_channels");
        param("weight", {cout, argInt(args, "in_channels") / argInt(args, "groups"), kh, kw});
        if (argBool(args, "bias")) param("bias", {cout});
    } else if (type == "BatchNorm1d" || type == "BatchNorm2d") {
        const Index c = argInt(args, "num_features");
        if (argBool(args, "affine")) {
            param("weight", {c});
            param("bias", {c});
        }
        if (argBool(args, "track_running_stats")) {
            buffer("running_mean", {c});
            buffer("running_var", {c});
            buffer("num_batches_tracked", {}, DType::Int64);
        }
    } else if (type == "LayerNorm") {
        if (argBool(args, "elementwise_affine")) {
            std::vector<Index> shape = args.at("normalized_shape").get<std::vector<Index>>();
            param("weight", shape);
            param("bias", shape);
        }
    }
    return out;
}

} // namespace ml
