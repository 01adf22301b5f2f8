#include "shape/LayerShapes.h"

#include "kernels/OutputSize.h"
#include "model/LayerCatalog.h"

namespace ml {

namespace {

std::string str(Index v) { return std::to_string(v); }

// Normalizes a possibly negative dimension index; -1 when out of range.
Index normalizeDim(Index dim, Index rank) {
    const Index d = dim < 0 ? dim + rank : dim;
    return d >= 0 && d < rank ? d : -1;
}

bool expectRank(const TensorType& in, std::initializer_list<Index> ranks, const std::string& layer,
                const std::string& layout, std::vector<ShapeProblem>& problems) {
    for (Index r : ranks)
        if (in.rank() == r) return true;
    problems.push_back({"rank-mismatch",
                        layer + " expects " + layout + " but its input is " + typeToString(in) + ".",
                        in.rank() == 2 && layout.find("H, W") != std::string::npos
                            ? "the input is flat; remove the Flatten before it or use a Linear layer."
                            : (in.rank() == 4 && layout.find("[N, in_features]") != std::string::npos
                                   ? "insert a Flatten before it."
                                   : "")});
    return false;
}

// Resolves an inferable size argument from the input, or checks it.
bool resolveSize(Json& args, const std::string& name, Index actual, const std::string& layer,
                 const TensorType& in, const std::string& dimWord, std::vector<ShapeProblem>& problems) {
    if (!args.contains(name) || args[name].is_null()) {
        args[name] = actual;
        return true;
    }
    const Index declared = args[name].get<Index>();
    if (declared == actual) return true;
    problems.push_back({"shape-mismatch",
                        layer + " expects " + name + " = " + str(declared) + " but its input " + typeToString(in) +
                            " has " + str(actual) + " " + dimWord + ".",
                        "set " + name + " to " + str(actual) + ", or leave it out to infer it."});
    return false;
}

TensorType withDims(const TensorType& in, std::vector<Index> dims) {
    TensorType t = in;
    t.dims = std::move(dims);
    return t;
}

// The shape rules, one per layer: `type` is the layer's name (for
// messages), the input a fixed float32 type.
using ShapeRule = TensorType (*)(const std::string& type, Json& args, const TensorType& in,
                                 std::vector<ShapeProblem>& problems);

TensorType keepShape(const std::string&, Json&, const TensorType& in, std::vector<ShapeProblem>&) { return in; }

TensorType inferLinear(const std::string& type, Json& args, const TensorType& in, std::vector<ShapeProblem>& problems) {
    if (in.rank() < 2) {
        expectRank(in, {2}, type, "[N, in_features]", problems);
        return TensorType::unknown();
    }
    if (in.rank() == 4) {
        problems.push_back({"rank-mismatch",
                            type + " expects [N, in_features] but its input is " + typeToString(in) +
                                "; it would act on the last dimension only (" + str(in.dims.back()) + ").",
                            "insert a Flatten before it (in_features is then " +
                                str(in.dims[1] * in.dims[2] * in.dims[3]) + ")."});
        return TensorType::unknown();
    }
    if (!resolveSize(args, "in_features", in.dims.back(), type, in, "features", problems))
        return TensorType::unknown();
    std::vector<Index> dims = in.dims;
    dims.back() = argInt(args, "out_features");
    return withDims(in, dims);
}

TensorType inferConv2d(const std::string& type, Json& args, const TensorType& in, std::vector<ShapeProblem>& problems) {
    if (!expectRank(in, {4}, type, "[N, C, H, W]", problems)) return TensorType::unknown();
    if (!resolveSize(args, "in_channels", in.dims[1], type, in, "channels", problems)) return TensorType::unknown();
    const Index groups = argInt(args, "groups");
    const Index cin = argInt(args, "in_channels"), cout = argInt(args, "out_channels");
    if (cin % groups != 0 || cout % groups != 0) {
        problems.push_back({"bad-argument",
                            type + " groups = " + str(groups) + " must divide in_channels (" + str(cin) +
                                ") and out_channels (" + str(cout) + ").",
                            "choose groups that divides both."});
        return TensorType::unknown();
    }
    const auto [kh, kw] = argPair(args, "kernel_size");
    const auto [sh, sw] = argPair(args, "stride");
    const auto [ph, pw] = argPair(args, "padding");
    const auto [dh, dw] = argPair(args, "dilation");
    const Index oh = kernels::convOutputSize(in.dims[2], kh, sh, ph, dh);
    const Index ow = kernels::convOutputSize(in.dims[3], kw, sw, pw, dw);
    if (oh <= 0 || ow <= 0) {
        problems.push_back({"empty-output",
                            type + " output would be empty: input " + typeToString(in) + " is smaller than the " +
                                str(kh) + "x" + str(kw) + " kernel (dilation " + str(dh) + ") with padding " +
                                str(ph) + ".",
                            "add padding, or use a smaller kernel_size."});
        return TensorType::unknown();
    }
    return withDims(in, {in.dims[0], cout, oh, ow});
}

TensorType inferBatchNorm(const std::string& type, Json& args, const TensorType& in, bool is2d,
                          std::vector<ShapeProblem>& problems) {
    if (!(is2d ? expectRank(in, {4}, type, "[N, C, H, W]", problems)
               : expectRank(in, {2, 3}, type, "[N, C] or [N, C, L]", problems)))
        return TensorType::unknown();
    if (!resolveSize(args, "num_features", in.dims[1], type, in, is2d ? "channels" : "features", problems))
        return TensorType::unknown();
    return in;
}
TensorType inferBatchNorm1d(const std::string& type, Json& args, const TensorType& in,
                            std::vector<ShapeProblem>& problems) {
    return inferBatchNorm(type, args, in, false, problems);
}
TensorType inferBatchNorm2d(const std::string& type, Json& args, const TensorType& in,
                            std::vector<ShapeProblem>& problems) {
    return inferBatchNorm(type, args, in, true, problems);
}

TensorType inferLayerNorm(const std::string& type, Json& args, const TensorType& in,
                          std::vector<ShapeProblem>& problems) {
    if (in.rank() < 2) {
        expectRank(in, {2}, type, "[N, ..., D]", problems);
        return TensorType::unknown();
    }
    if (!args.contains("normalized_shape") || args["normalized_shape"].is_null())
        args["normalized_shape"] = Json::array({in.dims.back()});
    const auto shape = args["normalized_shape"].get<std::vector<Index>>();
    const bool fits = static_cast<Index>(shape.size()) < in.rank() &&
                      std::equal(shape.rbegin(), shape.rend(), in.dims.rbegin());
    if (!fits) {
        problems.push_back({"shape-mismatch",
                            type + " normalized_shape " + dimsToString(shape) +
                                " does not match the last dimensions of its input " + typeToString(in) + ".",
                            "set normalized_shape to [" + str(in.dims.back()) + "], or leave it out."});
        return TensorType::unknown();
    }
    return in;
}

TensorType inferSoftmax(const std::string& type, Json& args, const TensorType& in, std::vector<ShapeProblem>& problems) {
    if (normalizeDim(argInt(args, "dim"), in.rank()) < 0) {
        problems.push_back({"bad-argument",
                            type + " dim = " + str(argInt(args, "dim")) + " is out of range for " + typeToString(in) +
                                ".",
                            "use dim = -1 (the last dimension)."});
        return TensorType::unknown();
    }
    return in;
}

TensorType inferPool(const std::string& type, Json& mutableArgs, const TensorType& in,
                     std::vector<ShapeProblem>& problems) {
    const Json& args = mutableArgs; // reads only
    if (!expectRank(in, {4}, type, "[N, C, H, W]", problems)) return TensorType::unknown();
    const auto [kh, kw] = argPair(args, "kernel_size");
    const auto [sh, sw] = args["stride"].is_null() ? std::make_pair(kh, kw) : argPair(args, "stride");
    const auto [ph, pw] = argPair(args, "padding");
    const auto [dh, dw] = args.contains("dilation") ? argPair(args, "dilation") : std::make_pair(Index(1), Index(1));
    if (ph * 2 > kh || pw * 2 > kw) {
        problems.push_back({"bad-argument",
                            type + " padding (" + str(ph) + ", " + str(pw) + ") must be at most half the kernel (" +
                                str(kh) + ", " + str(kw) + ").",
                            "reduce padding to at most " + str(kh / 2) + "."});
        return TensorType::unknown();
    }
    const bool ceil = argBool(args, "ceil_mode");
    const Index oh = kernels::poolOutputSize(in.dims[2], kh, sh, ph, dh, ceil);
    const Index ow = kernels::poolOutputSize(in.dims[3], kw, sw, pw, dw, ceil);
    if (oh <= 0 || ow <= 0) {
        problems.push_back({"empty-output",
                            type + " output would be empty: input " + typeToString(in) + " is smaller than the " +
                                str(kh) + "x" + str(kw) + " window.",
                            "use a smaller kernel_size, add padding, or remove a pooling layer before it."});
        return TensorType::unknown();
    }
    return withDims(in, {in.dims[0], in.dims[1], oh, ow});
}

TensorType inferAdaptivePool(const std::string& type, Json& args, const TensorType& in,
                             std::vector<ShapeProblem>& problems) {
    if (!expectRank(in, {4}, type, "[N, C, H, W]", problems)) return TensorType::unknown();
    const auto [oh, ow] = argPair(args, "output_size");
    return withDims(in, {in.dims[0], in.dims[1], oh, ow});
}

TensorType inferFlatten(const std::string&, Json& args, const TensorType& in, std::vector<ShapeProblem>& problems) {
    std::vector<std::string> names{"x"};
    return inferOpShape("flatten", args, {in}, names, problems);
}

// One rule per catalog layer, in LayerId order.
struct LayerShapeRule {
    LayerId layer;
    ShapeRule infer;
};
constexpr LayerShapeRule kShapeRules[] = {
    {LayerId::Linear, inferLinear},
    {LayerId::Conv2d, inferConv2d},
    {LayerId::BatchNorm1d, inferBatchNorm1d},
    {LayerId::BatchNorm2d, inferBatchNorm2d},
    {LayerId::LayerNorm, inferLayerNorm},
    {LayerId::ReLU, keepShape},
    {LayerId::LeakyReLU, keepShape},
    {LayerId::GELU, keepShape},
    {LayerId::Tanh, keepShape},
    {LayerId::Sigmoid, keepShape},
    {LayerId::Softmax, inferSoftmax},
    {LayerId::LogSoftmax, inferSoftmax},
    {LayerId::MaxPool2d, inferPool},
    {LayerId::AvgPool2d, inferPool},
    {LayerId::AdaptiveAvgPool2d, inferAdaptivePool},
    {LayerId::Flatten, inferFlatten},
    {LayerId::Dropout, keepShape},
    {LayerId::Identity, keepShape},
};
static_assert(coversEveryLayer(kShapeRules), "every catalog layer needs a shape rule in kShapeRules, in LayerId order");

} // namespace

TensorType inferLayerShape(const std::string& type, Json& args, const TensorType& in,
                           std::vector<ShapeProblem>& problems) {
    if (in.dtype != DType::Float32) {
        problems.push_back({"dtype-mismatch", type + " expects a float32 tensor but its input is " + typeToString(in) + ".",
                            "connect a tensor, not an index, to this port."});
        return TensorType::unknown();
    }
    const LayerType* layer = findLayerType(type);
    if (!layer) return in; // unknown types are reported where they are instantiated
    return kShapeRules[static_cast<size_t>(layer->id)].infer(type, args, in, problems);
}

TensorType inferOpShape(const std::string& op, const Json& args, const std::vector<TensorType>& inputs,
                        const std::vector<std::string>& names, std::vector<ShapeProblem>& problems) {
    for (size_t i = 0; i < inputs.size(); ++i) {
        if (inputs[i].dtype != DType::Float32) {
            problems.push_back({"dtype-mismatch",
                                op + " expects float32 tensors but input '" + names[i] + "' is " +
                                    typeToString(inputs[i]) + ".",
                                "connect a tensor, not an index, to this port."});
            return TensorType::unknown();
        }
    }
    const TensorType& first = inputs.front();
    if (op == "relu") return first;
    if (op == "flatten") {
        const Index start = normalizeDim(argInt(args, "start_dim"), first.rank());
        const Index end = normalizeDim(argInt(args, "end_dim"), first.rank());
        if (start < 0 || end < 0 || start > end) {
            problems.push_back({"bad-argument",
                                "flatten start_dim " + str(argInt(args, "start_dim")) + " / end_dim " +
                                    str(argInt(args, "end_dim")) + " do not fit " + typeToString(first) + ".",
                                "use start_dim = 1, end_dim = -1."});
            return TensorType::unknown();
        }
        if (start == 0 && first.dims[0] == kBatch && end > 0) {
            problems.push_back({"bad-argument", "flatten would merge the batch dimension into the features.",
                                "use start_dim = 1."});
            return TensorType::unknown();
        }
        std::vector<Index> dims(first.dims.begin(), first.dims.begin() + start);
        Index merged = 1;
        for (Index d = start; d <= end; ++d)
            if (__builtin_mul_overflow(merged, first.dims[d], &merged)) {
                problems.push_back({"too-large", "flatten of " + typeToString(first) + " overflows the size of a tensor.",
                                    "use smaller sizes."});
                return TensorType::unknown();
            }
        dims.push_back(start == end ? first.dims[start] : merged);
        dims.insert(dims.end(), first.dims.begin() + end + 1, first.dims.end());
        return withDims(first, dims);
    }
    if (op == "add") {
        for (size_t i = 1; i < inputs.size(); ++i) {
            if (inputs[i].dims == first.dims) continue;
            const TensorType& other = inputs[i];
            std::string what = "cannot add '" + names[i] + "' " + typeToString(other) + " to '" + names[0] + "' " +
                               typeToString(first);
            std::string fix;
            if (first.rank() == 4 && other.rank() == 4) {
                const bool channels = first.dims[1] != other.dims[1];
                const bool spatial = first.dims[2] != other.dims[2] || first.dims[3] != other.dims[3];
                what += channels ? ": channel mismatch (" + str(other.dims[1]) + " vs " + str(first.dims[1]) + ")" : "";
                what += spatial ? std::string(channels ? " and" : ":") + " spatial size mismatch (" +
                                      str(other.dims[2]) + "x" + str(other.dims[3]) + " vs " + str(first.dims[2]) +
                                      "x" + str(first.dims[3]) + ")"
                                : "";
                // Project the smaller-channel side (the shortcut) onto the other.
                const bool projectOther = other.dims[1] <= first.dims[1];
                const TensorType& from = projectOther ? other : first;
                const TensorType& to = projectOther ? first : other;
                const std::string& fromName = projectOther ? names[i] : names[0];
                const Index stride = to.dims[2] > 0 ? std::max<Index>(1, from.dims[2] / to.dims[2]) : 1;
                fix = "add a 1x1 Conv2d(" + str(from.dims[1]) + ", " + str(to.dims[1]) + ", kernel_size=1" +
                      (stride > 1 ? ", stride=" + str(stride) : std::string()) + ") + BatchNorm2d(" +
                      str(to.dims[1]) + ") projection on the shortcut '" + fromName + "'.";
            } else if (first.rank() == other.rank() && first.rank() >= 2) {
                fix = "add a Linear(" + str(other.dims.back()) + ", " + str(first.dims.back()) +
                      ") projection on '" + names[i] + "'.";
            }
            problems.push_back({"shape-mismatch", what + ".", fix});
            return TensorType::unknown();
        }
        return first;
    }
    if (op == "concat") {
        const Index dim = normalizeDim(argInt(args, "dim"), first.rank());
        if (dim < 0 || (dim == 0 && first.dims[0] == kBatch)) {
            problems.push_back({"bad-argument",
                                "concat dim " + str(argInt(args, "dim")) + " does not fit " + typeToString(first) +
                                    (dim == 0 ? " (it is the batch dimension)" : "") + ".",
                                "use dim = 1 to join features or channels."});
            return TensorType::unknown();
        }
        std::vector<Index> dims = first.dims;
        for (size_t i = 1; i < inputs.size(); ++i) {
            const TensorType& other = inputs[i];
            bool fits = other.rank() == first.rank();
            for (Index d = 0; fits && d < first.rank(); ++d)
                if (d != dim && other.dims[d] != first.dims[d]) fits = false;
            if (!fits) {
                problems.push_back({"shape-mismatch",
                                    "cannot concatenate '" + names[i] + "' " + typeToString(other) + " with '" +
                                        names[0] + "' " + typeToString(first) + " along dim " + str(dim) +
                                        ": the other dimensions differ.",
                                    ""});
                return TensorType::unknown();
            }
            dims[dim] += other.dims[dim];
        }
        return withDims(first, dims);
    }
    problems.push_back({"unknown-op", "unknown op '" + op + "'.", ""});
    return TensorType::unknown();
}

} // namespace ml
