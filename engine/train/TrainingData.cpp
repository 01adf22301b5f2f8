#include "train/TrainingData.h"

#include "core/Error.h"
#include "model/LayerCatalog.h"
#include "train/datasets/CsvLoader.h"
#include "train/datasets/IdxReader.h"
#include "train/datasets/SyntheticDatasets.h"

#include <filesystem>
#include <functional>

namespace ml {

namespace {

constexpr const char* kFashionMnist = "/usr/share/datasets/fashion-mnist";
constexpr const char* kMnist = "/usr/share/datasets/mnist";

// Pairs of 8-D blob points; target "same" is 1 when both come from one blob.
data::Dataset makePairs(Index count, std::uint64_t seed) {
    const data::Dataset points = data::makeBlobs(2 * count, 4, 8, 1.5f, seed);
    const std::vector<Index> order = data::shuffledIndices(2 * count, seed + 1);
    data::Dataset d;
    d.name = "pairs";
    d.source = "pairs of 8-D points from 4 blobs (seed " + std::to_string(seed) + ")";
    d.features = Tensor({count, 16});
    data::Target same;
    same.name = "same";
    same.kind = data::TargetKind::Values;
    same.values = Tensor({count, 1});
    const auto& labels = points.targets.front().classes;
    for (Index i = 0; i < count; ++i) {
        const Index a = order[static_cast<size_t>(2 * i)];
        Index b = order[static_cast<size_t>(2 * i + 1)];
        // Every other pair is drawn from one blob, so "same" and "different" balance.
        if (i % 2 == 0)
            while (labels[static_cast<size_t>(b)] != labels[static_cast<size_t>(a)]) b = (b + 1) % (2 * count);
        std::copy_n(points.features.ptr() + a * 8, 8, d.features.ptr() + i * 16);
        std::copy_n(points.features.ptr() + b * 8, 8, d.features.ptr() + i * 16 + 8);
        same.values.data[static_cast<size_t>(i)] = labels[static_cast<size_t>(a)] == labels[static_cast<size_t>(b)] ? 1.0f : 0.0f;
    }
    d.targets.push_back(std::move(same));
    return d;
}

TrainingData split(data::Dataset all, const TrainingConfig& c, const std::string& what) {
    TrainingData t;
    auto [train, validation] = data::splitTrainValidation(all, c.validationFraction, c.seed + 17);
    t.train = std::move(train);
    t.validation = std::move(validation);
    t.description = what + ": " + std::to_string(t.train.count()) + " train, " +
                    std::to_string(t.validation.count()) + " validation";
    return t;
}

} // namespace

std::vector<std::string> datasetNames() {
    return {"spirals", "moons", "circles", "xor", "blobs", "multitask", "images", "pairs", "fashion-mnist", "mnist"};
}

TrainingData loadTrainingData(const TrainingConfig& c) {
    const std::string& name = c.dataset;
    const std::uint64_t seed = c.seed + 1;
    if (name == "spirals") return split(data::makeSpirals(3000, 2, 0.02f, seed), c, "spirals (2 arms)");
    if (name == "moons") return split(data::makeMoons(2000, 0.1f, seed), c, "moons");
    if (name == "circles") return split(data::makeCircles(2000, 0.05f, 0.5f, seed), c, "circles");
    if (name == "xor") return split(data::makeXor(2000, 0.05f, seed), c, "xor");
    if (name == "blobs") return split(data::makeBlobs(2000, 4, 2, 1.0f, seed), c, "blobs (4 classes)");
    if (name == "multitask") return split(data::makeMultiTask(6000, 0.1f, seed), c, "multitask (10 features, 3 tasks)");
    if (name == "images") return split(data::makeShapeImages(6000, 0.1f, seed), c, "images (3x32x32 shapes, 10 classes)");
    if (name == "pairs") return split(makePairs(4000, seed), c, "pairs (8-D points, same blob or not)");
    std::string folder = name;
    if (name == "fashion-mnist") folder = kFashionMnist;
    if (name == "mnist") folder = kMnist;
    std::error_code ec;
    if (std::filesystem::is_directory(folder, ec)) {
        data::IdxFolder idx = data::loadIdxFolder(folder);
        TrainingData t;
        t.train = std::move(idx.train);
        t.validation = std::move(idx.test);
        t.description = name + " (" + folder + "): " + std::to_string(t.train.count()) + " train, " +
                        std::to_string(t.validation.count()) + " test";
        return t;
    }
    if (name.ends_with(".csv")) {
        data::CsvOptions o;
        for (const std::string& col : c.csvTargets) o.targets.push_back({col, data::TargetKind::Classes});
        if (o.targets.empty()) throw Error(name + ": say which column is the target (--target COLUMN)");
        o.validationFraction = c.validationFraction;
        o.splitSeed = c.seed + 17;
        o.standardize = true;
        data::CsvData csv = data::loadCsv(name, o);
        TrainingData t;
        t.train = std::move(csv.train);
        t.validation = std::move(csv.validation);
        t.description = name + ": " + std::to_string(t.train.count()) + " train, " +
                        std::to_string(t.validation.count()) + " validation";
        return t;
    }
    if (name == "fashion-mnist" || name == "mnist")
        throw Error(name + ": no such folder " + folder + " (install Debian's dataset-" + name + " package)");
    std::string list;
    for (const std::string& n : datasetNames()) list += (list.empty() ? "" : ", ") + n;
    throw Error("unknown dataset '" + name + "': not one of " + list + ", nor an IDX folder or a .csv file");
}

std::string defaultDatasetFor(const ModelDocument& doc) {
    if (doc.training.contains("dataset") && doc.training["dataset"].is_string())
        return doc.training["dataset"].get<std::string>();
    const BlockDef* top = doc.findDefinition(doc.model);
    if (top && !top->inputs.empty() && top->inputs[0].shape) {
        const auto& s = *top->inputs[0].shape;
        if (s == std::vector<Index>{3, 32, 32}) return "images";
        if (s == std::vector<Index>{1, 28, 28}) return "fashion-mnist";
        if (s == std::vector<Index>{10}) return "multitask";
    }
    return "spirals";
}

std::string adaptModelToData(ModelDocument& doc, const std::vector<Index>& sample) {
    BlockDef* top = doc.findDefinition(doc.model);
    if (!top) return {};
    std::vector<BlockInput*> floats;
    for (BlockInput& in : top->inputs)
        if (in.dtype == DType::Float32) floats.push_back(&in);
    Index want = 1, have = 0;
    for (Index d : sample) want *= d;
    for (BlockInput* in : floats) have += in->shape ? Tensor::numel(*in->shape) : 0;
    if (floats.size() > 1) {
        if (have != want)
            throw Error("the dataset's samples have " + std::to_string(want) + " values, but the model's " +
                        std::to_string(floats.size()) + " inputs take " + std::to_string(have) + " together");
        return {};
    }
    if (floats.empty()) throw Error("the model has no float input to feed the dataset to");
    BlockInput& in = *floats.front();
    if (in.shape && *in.shape == sample) return {};
    if (in.shape && in.shape->size() != sample.size())
        throw Error("the dataset's samples are " + shapeToString(sample) + " but the model's input '" + in.name +
                    "' is " + shapeToString(*in.shape) + "; only sizes can be adapted, not the number of dimensions");
    const std::string was = in.shape ? shapeToString(*in.shape) : "no shape";
    in.shape = sample;
    // Literal sizes that inference can find would pin the old shape: drop them.
    std::function<void(ModuleSpec&)> forget = [&](ModuleSpec& s) {
        for (ModuleSpec& item : s.items) forget(item);
        const LayerType* t = findLayerType(s.type);
        if (!t) return;
        for (const ArgSpec& a : t->args)
            if (a.inferable && s.args.contains(a.name) && s.args[a.name].is_number()) s.args.erase(a.name);
    };
    for (BlockDef& d : doc.definitions)
        for (NamedSpec& c : d.children) forget(c.spec);
    return "input '" + in.name + "' adapted from " + was + " to the data's " + shapeToString(sample) +
           "; in_features, in_channels and num_features are inferred again";
}

std::vector<Objective> defaultObjectives(const ModelDocument& doc, const data::Dataset& data) {
    std::vector<Objective> out;
    const BlockDef* top = doc.findDefinition(doc.model);
    if (!top || data.targets.empty()) return out;
    const data::Target& target = data.targets.front();
    for (const BlockOutput& o : top->outputs) {
        Objective obj;
        obj.output = o.name;
        obj.target = target.name;
        obj.loss = target.kind == data::TargetKind::Classes ? LossKind::CrossEntropy : LossKind::Mse;
        out.push_back(obj);
    }
    return out;
}

} // namespace ml
