#include "train/datasets/Dataset.h"

#include "core/Error.h"
#include "core/Random.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace ml::data {

Index Target::count() const {
    if (kind == TargetKind::Classes) return static_cast<Index>(classes.size());
    return values.shape.empty() ? 0 : values.shape[0];
}

Index Target::width() const {
    if (kind == TargetKind::Classes) return 1;
    return values.shape.size() < 2 ? 1 : values.numel() / std::max<Index>(1, values.shape[0]);
}

std::vector<Index> Dataset::sampleShape() const {
    if (features.shape.empty()) return {};
    return {features.shape.begin() + 1, features.shape.end()};
}

Index Dataset::sampleSize() const {
    // Computed in place: batching calls this every step and must not allocate.
    Index n = 1;
    for (size_t i = 1; i < features.shape.size(); ++i) n *= features.shape[i];
    return features.shape.empty() ? 0 : n;
}

Index Dataset::targetIndex(const std::string& targetName) const {
    for (size_t i = 0; i < targets.size(); ++i)
        if (targets[i].name == targetName) return static_cast<Index>(i);
    std::string known;
    for (const Target& t : targets) known += (known.empty() ? "" : ", ") + t.name;
    throw Error("dataset '" + name + "': no target named '" + targetName + "' (targets: " + known + ")");
}

const Target& Dataset::target(const std::string& targetName) const { return targets[targetIndex(targetName)]; }

void Dataset::validate() const {
    const std::string where = "dataset '" + name + "'";
    if (features.shape.empty()) throw Error(where + ": features have no shape");
    if (features.numel() != Tensor::numel(features.shape))
        throw Error(where + ": features hold " + std::to_string(features.numel()) + " floats but shape " +
                    shapeToString(features.shape) + " needs " + std::to_string(Tensor::numel(features.shape)));
    for (const Target& t : targets) {
        const std::string tw = where + ", target '" + t.name + "'";
        if (t.kind == TargetKind::Classes) {
            if (t.classCount <= 0) throw Error(tw + ": class count must be positive");
            for (size_t i = 0; i < t.classes.size(); ++i)
                if (t.classes[i] < 0 || t.classes[i] >= t.classCount)
                    throw Error(tw + ": row " + std::to_string(i) + " has class " + std::to_string(t.classes[i]) +
                                ", outside [0, " + std::to_string(t.classCount) + ")");
            if (!t.classNames.empty() && static_cast<Index>(t.classNames.size()) != t.classCount)
                throw Error(tw + ": " + std::to_string(t.classNames.size()) + " class names for " +
                            std::to_string(t.classCount) + " classes");
        } else if (t.values.shape.size() != 2 || t.values.numel() != Tensor::numel(t.values.shape)) {
            throw Error(tw + ": values must be a [count, k] tensor, got " + shapeToString(t.values.shape));
        }
        if (t.count() != count())
            throw Error(tw + ": " + std::to_string(t.count()) + " rows but features have " +
                        std::to_string(count()));
    }
}

Dataset Dataset::subset(std::span<const Index> rows) const {
    ML_ASSERT(!features.shape.empty());
    Dataset out;
    out.name = name;
    out.source = source;
    std::vector<Index> shape = features.shape;
    shape[0] = static_cast<Index>(rows.size());
    out.features = Tensor(shape);
    copyFeatures(*this, rows, out.features.ptr());
    for (const Target& t : targets) {
        Target s;
        s.name = t.name;
        s.kind = t.kind;
        s.classCount = t.classCount;
        s.classNames = t.classNames;
        if (t.kind == TargetKind::Classes) {
            s.classes.resize(rows.size());
            copyClasses(t, rows, s.classes.data());
        } else {
            s.values = Tensor({static_cast<Index>(rows.size()), t.width()});
            copyValues(t, rows, s.values.ptr());
        }
        out.targets.push_back(std::move(s));
    }
    return out;
}

std::vector<Index> shuffledIndices(Index n, std::uint64_t seed) {
    std::vector<Index> order(static_cast<size_t>(n));
    for (Index i = 0; i < n; ++i) order[i] = i;
    Random(seed).shuffle(order);
    return order;
}

void shuffle(Dataset& dataset, std::uint64_t seed) {
    const std::vector<Index> order = shuffledIndices(dataset.count(), seed);
    dataset = dataset.subset(order);
}

std::pair<Dataset, Dataset> splitTrainValidation(const Dataset& dataset, double validationFraction,
                                                 std::uint64_t seed) {
    if (!(validationFraction >= 0.0 && validationFraction < 1.0))
        throw Error("dataset '" + dataset.name + "': validation fraction " + std::to_string(validationFraction) +
                    " must be in [0, 1)");
    const std::vector<Index> order = shuffledIndices(dataset.count(), seed);
    const Index nVal = static_cast<Index>(std::llround(static_cast<double>(dataset.count()) * validationFraction));
    const std::span<const Index> all(order);
    Dataset train = dataset.subset(all.subspan(static_cast<size_t>(nVal)));
    Dataset val = dataset.subset(all.first(static_cast<size_t>(nVal)));
    train.name += "/train";
    val.name += "/validation";
    return {std::move(train), std::move(val)};
}

BatchSampler::BatchSampler(Index count, Index batchSize, bool shuffle, std::uint64_t seed, bool dropLast)
    : m_count(count), m_batchSize(batchSize), m_shuffle(shuffle), m_dropLast(dropLast), m_seed(seed) {
    if (batchSize <= 0) throw Error("batch size must be positive, got " + std::to_string(batchSize));
    ML_ASSERT(count >= 0);
    m_order.resize(static_cast<size_t>(count));
}

Index BatchSampler::batchesPerEpoch() const {
    return m_dropLast ? m_count / m_batchSize : (m_count + m_batchSize - 1) / m_batchSize;
}

void BatchSampler::startEpoch() {
    if (m_shuffle) {
        // Seed per epoch: epoch k's order does not depend on how many
        // batches of earlier epochs were consumed.
        for (Index i = 0; i < m_count; ++i) m_order[i] = i;
        Random(m_seed ^ (0x9e3779b97f4a7c15ULL * static_cast<std::uint64_t>(m_epoch + 1)))
            .shuffle(m_order);
    } else {
        for (Index i = 0; i < m_count; ++i) m_order[i] = i;
    }
    m_position = 0;
    m_started = true;
}

std::span<const Index> BatchSampler::next() {
    if (!m_started) startEpoch();
    const Index remaining = m_count - m_position;
    if (remaining <= 0 || (m_dropLast && remaining < m_batchSize)) {
        ++m_epoch;
        m_started = false;
        return {};
    }
    const Index n = std::min(m_batchSize, remaining);
    std::span<const Index> rows(m_order.data() + m_position, static_cast<size_t>(n));
    m_position += n;
    return rows;
}

Batch::Batch(const Dataset& dataset, Index cap) : capacity(cap) {
    ML_ASSERT(cap > 0 && !dataset.features.shape.empty());
    featureShape = dataset.features.shape;
    featureShape[0] = 0;
    features.reserve(static_cast<size_t>(cap * dataset.sampleSize()));
    classes.resize(dataset.targets.size());
    values.resize(dataset.targets.size());
    for (size_t t = 0; t < dataset.targets.size(); ++t) {
        const Target& target = dataset.targets[t];
        if (target.kind == TargetKind::Classes) classes[t].reserve(static_cast<size_t>(cap));
        else values[t].reserve(static_cast<size_t>(cap * target.width()));
    }
}

void Batch::fill(const Dataset& dataset, std::span<const Index> rows) {
    ML_ASSERT(static_cast<Index>(rows.size()) <= capacity);
    ML_ASSERT(classes.size() == dataset.targets.size());
    size = static_cast<Index>(rows.size());
    featureShape[0] = size;
    // resize() within the reserved capacity never reallocates.
    features.resize(static_cast<size_t>(size * dataset.sampleSize()));
    copyFeatures(dataset, rows, features.data());
    for (size_t t = 0; t < dataset.targets.size(); ++t) {
        const Target& target = dataset.targets[t];
        if (target.kind == TargetKind::Classes) {
            classes[t].resize(rows.size());
            copyClasses(target, rows, classes[t].data());
        } else {
            values[t].resize(static_cast<size_t>(size * target.width()));
            copyValues(target, rows, values[t].data());
        }
    }
}

void copyFeatures(const Dataset& dataset, std::span<const Index> rows, float* out) {
    const Index s = dataset.sampleSize();
    const float* src = dataset.features.ptr();
    for (size_t i = 0; i < rows.size(); ++i) {
        ML_ASSERT(rows[i] >= 0 && rows[i] < dataset.count());
        std::memcpy(out + static_cast<Index>(i) * s, src + rows[i] * s, static_cast<size_t>(s) * sizeof(float));
    }
}

void copyClasses(const Target& target, std::span<const Index> rows, std::int64_t* out) {
    ML_ASSERT(target.kind == TargetKind::Classes);
    for (size_t i = 0; i < rows.size(); ++i) {
        ML_ASSERT(rows[i] >= 0 && rows[i] < target.count());
        out[i] = target.classes[static_cast<size_t>(rows[i])];
    }
}

void copyValues(const Target& target, std::span<const Index> rows, float* out) {
    ML_ASSERT(target.kind == TargetKind::Values);
    const Index k = target.width();
    for (size_t i = 0; i < rows.size(); ++i) {
        ML_ASSERT(rows[i] >= 0 && rows[i] < target.count());
        std::memcpy(out + static_cast<Index>(i) * k, target.values.ptr() + rows[i] * k,
                    static_cast<size_t>(k) * sizeof(float));
    }
}

} // namespace ml::data
