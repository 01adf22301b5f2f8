#pragma once
// The training settings: read from a model file's "training" section, then
// overridden by the command line or the GUI. Every field has a default, so
// a model file without a training section still trains.
//
//   "training": {
//     "dataset": "multitask",                       // a name, an IDX folder or a .csv file
//     "losses": {"y": [{"task_index": 0, "loss": "cross_entropy", "target": "task0", "weight": 1}]},
//     "schedule": "joint",                          // or "round_robin": one objective group per step
//     "optimizer": {"type": "sgd", "lr": 0.05, "momentum": 0.9},
//     "batch_size": 64, "epochs": 5, "seed": 0, "validation_fraction": 0.2,
//     "clip_grad_norm": 1.0, "lr_schedule": {"type": "cosine"}, "diagnostics_every": 10
//   }
#include "model/Definition.h"
#include "train/Objective.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ml {

struct OptimizerConfig {
    std::string type = "sgd"; // sgd, adam, adamw
    double lr = 0.01;
    double momentum = 0.0;
    double dampening = 0.0;
    bool nesterov = false;
    double weightDecay = 0.0;
    double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
};

struct LrScheduleConfig {
    std::string type;   // "", "step", "cosine"
    Index stepSize = 1; // step: epochs between decays
    double gamma = 0.1;
    Index tMax = 0;     // cosine: epochs of one half period; 0 = the run's epochs
    double etaMin = 0.0;
};

struct TrainingConfig {
    std::string dataset;                 // empty: chosen from the model's inputs
    std::vector<std::string> csvTargets; // for a .csv dataset: target columns
    std::vector<Objective> objectives;   // empty: derived from the model's outputs
    bool roundRobin = false;
    OptimizerConfig optimizer;
    LrScheduleConfig lrSchedule;
    Index batchSize = 64;
    Index epochs = 1;
    Index maxSteps = 0;                  // 0: no limit besides epochs
    std::uint64_t seed = 0;
    int threads = 0;                     // 0: all cores
    double validationFraction = 0.2;     // used when the dataset has no test split
    double clipGradNorm = 0.0;           // 0: off
    Index diagnosticsEvery = 10;         // steps between diagnostics reports
};

// Reads doc.training (if any) over the defaults; throws ml::Error naming the
// key ("training/optimizer/lr: must be a positive number") for bad values.
TrainingConfig readTrainingConfig(const Json& training);
Json trainingConfigToJson(const TrainingConfig& config);

} // namespace ml
