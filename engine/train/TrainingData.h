#pragma once
// Where training data comes from: a synthetic set by name, an IDX folder
// (MNIST, Fashion-MNIST), or a CSV file; and how it meets the model: the
// sample is split among the model's float inputs in order, and a model with
// one input is adapted to the data's sample shape (inferable sizes re-inferred).
#include "model/Definition.h"
#include "train/TrainingConfig.h"
#include "train/datasets/Dataset.h"

#include <string>
#include <vector>

namespace ml {

struct TrainingData {
    data::Dataset train;
    data::Dataset validation; // a test split when the source has one, else held out from train
    std::string description;  // "fashion-mnist (/usr/share/datasets/fashion-mnist): 60000 train, 10000 test"
};

// Names: spirals, moons, circles, xor, blobs, multitask, images, pairs,
// fashion-mnist, mnist; or a path to an IDX folder or a .csv file.
TrainingData loadTrainingData(const TrainingConfig& config);
std::vector<std::string> datasetNames();

// The dataset a model trains on when none is given (from its training section,
// else "spirals" for a 2-feature input, "images" for [3,32,32], ...).
std::string defaultDatasetFor(const ModelDocument& doc);

// Makes the model's float inputs fit the data's sample: with one float input
// whose shape differs, sets the input to the data's sample shape and drops
// the literal inferable sizes (in_features, in_channels, num_features) so
// shape inference finds them again. Returns what it changed (empty if nothing);
// throws ml::Error when the sample cannot feed the inputs.
std::string adaptModelToData(ModelDocument& doc, const std::vector<Index>& sampleShape);

// Objectives for a model without a "losses" section: cross-entropy of each
// output against "label" (one per index value for a runtime-indexed output).
std::vector<Objective> defaultObjectives(const ModelDocument& doc, const data::Dataset& data);

} // namespace ml
