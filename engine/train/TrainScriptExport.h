#pragma once
// A PyTorch training script for an exported model (io/PyTorchExport.h): the
// model's dataset (written beside it as safetensors, so both frameworks see
// the same samples), its objectives with their weights, optimizer, learning
// rate schedule and seed. It runs with `python3 train.py` and with
// `torchrun --nproc_per_node=N train.py` (DistributedDataParallel), and
// writes the JSONL report lines `modulelab-cli train --log` writes.
#include "model/Definition.h"
#include "train/Objective.h"
#include "train/TrainingConfig.h"
#include "train/TrainingData.h"

#include <string>
#include <vector>

namespace ml::io {

struct TrainScriptInput {
    const ModelDocument* doc = nullptr;
    const TrainingConfig* config = nullptr;
    const std::vector<Objective>* objectives = nullptr;
    const TrainingData* data = nullptr;
    std::string sourceName;  // "multitask.json", for the header
    std::string modelModule; // the exported model's module name ("model" for model.py)
    std::string dataFile;    // the dataset file's name, beside the script
};

std::string exportTrainScript(const TrainScriptInput& in);

// "train.features", "train.<target>", "validation.features", ... (classes I64, values F32).
void writeTrainData(const TrainingData& data, const std::string& path);

} // namespace ml::io
