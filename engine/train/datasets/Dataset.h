#pragma once
// A dataset in memory: features as one contiguous float tensor
// [count, ...sample shape] and one or more named targets, each either class
// indices [count] or float values [count, k]. Plus the small tools every
// loader and trainer needs: seeded shuffling, a seeded train/validation
// split, and batching into buffers allocated once.
//
//   ml::data::Dataset d = ml::data::makeSpirals(600, 3, 0.1f, 7);
//   auto [train, val] = ml::data::splitTrainValidation(d, 0.2, 42);
//   ml::data::BatchSampler sampler(train.count(), 32, true, 1);
//   ml::data::Batch batch(train, 32);
//   for (auto rows = sampler.next(); !rows.empty(); rows = sampler.next())
//       batch.fill(train, rows); // copies, never allocates
#include "core/Tensor.h"

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace ml::data {

enum class TargetKind { Classes, Values };

struct Target {
    std::string name;
    TargetKind kind = TargetKind::Classes;
    Index classCount = 0;                // Classes: labels lie in [0, classCount)
    std::vector<std::string> classNames; // Classes, optional: classNames[i] names class i
    std::vector<std::int64_t> classes;   // Classes: [count]
    Tensor values;                       // Values: [count, k]

    Index count() const;
    Index width() const; // 1 for Classes, k for Values
};

struct Dataset {
    std::string name;   // e.g. "spirals", "fashion-mnist/train"
    std::string source; // how it was made: generator call or file path
    Tensor features;    // [count, ...sample shape]
    std::vector<Target> targets;

    Index count() const { return features.shape.empty() ? 0 : features.shape[0]; }
    std::vector<Index> sampleShape() const; // features.shape without the first dim
    Index sampleSize() const;               // floats per sample

    // Throws ml::Error when the name is unknown, listing the known ones.
    const Target& target(const std::string& targetName) const;
    Index targetIndex(const std::string& targetName) const;

    // Throws ml::Error naming the dataset when sizes disagree or a class
    // label is out of range. Loaders call it before handing a dataset out.
    void validate() const;

    // The rows in the given order (rows may repeat). requires: 0 <= row < count.
    Dataset subset(std::span<const Index> rows) const;
};

// The permutation of [0, n) that shuffle() uses; same seed, same order.
std::vector<Index> shuffledIndices(Index n, std::uint64_t seed);

// Permutes the rows of every tensor of the dataset in place.
void shuffle(Dataset& dataset, std::uint64_t seed);

// Shuffles with the seed, then puts round(count * validationFraction) rows
// in the validation set (names get "/train" and "/validation" appended).
// Throws ml::Error unless 0 <= validationFraction < 1.
std::pair<Dataset, Dataset> splitTrainValidation(const Dataset& dataset, double validationFraction,
                                                 std::uint64_t seed);

// Hands out row indices batch by batch. Each epoch draws a fresh
// permutation from the sampler's own seeded stream, so epoch k is the same
// in every run with the same seed.
class BatchSampler {
public:
    // requires: batchSize > 0. Throws ml::Error otherwise.
    BatchSampler(Index count, Index batchSize, bool shuffle, std::uint64_t seed, bool dropLast = false);

    // Next batch's rows, valid until the next call; empty at the end of the
    // epoch (the following call starts the next epoch).
    std::span<const Index> next();
    Index batchesPerEpoch() const;
    Index epoch() const { return m_epoch; } // completed epochs
    Index batchSize() const { return m_batchSize; }

private:
    void startEpoch();

    Index m_count;
    Index m_batchSize;
    bool m_shuffle;
    bool m_dropLast;
    std::uint64_t m_seed;
    Index m_epoch = 0;
    Index m_position = 0;
    bool m_started = false;
    std::vector<Index> m_order;
};

// Buffers for one batch, sized for `capacity` rows once; fill() copies rows
// into them without allocating. Column t of classes/values corresponds to
// dataset.targets[t]; the unused one of the two stays empty.
struct Batch {
    Batch() = default;
    Batch(const Dataset& dataset, Index capacity);

    // requires: rows.size() <= capacity, rows in range.
    // ensures: size == rows.size(); features holds size * sampleSize floats.
    void fill(const Dataset& dataset, std::span<const Index> rows);

    Index capacity = 0;
    Index size = 0;
    std::vector<Index> featureShape;                // [size, ...sample shape]
    std::vector<float> features;                    // [size, ...sample shape]
    std::vector<std::vector<std::int64_t>> classes; // per target: [size]
    std::vector<std::vector<float>> values;         // per target: [size, k]
};

// Copies the given rows into caller buffers (the building block of Batch).
void copyFeatures(const Dataset& dataset, std::span<const Index> rows, float* out);
void copyClasses(const Target& target, std::span<const Index> rows, std::int64_t* out);
void copyValues(const Target& target, std::span<const Index> rows, float* out);

} // namespace ml::data
