#pragma once
// Weights in safetensors files under PyTorch's state_dict() names, so a file
// written here loads in PyTorch (safetensors.torch.load_file + load_state_dict)
// and the other way round.
#include "exec/ParameterStore.h"
#include "io/Safetensors.h"

#include <string>

namespace ml::io {

// Every entry of the store under its first name (int64 buffers as I64).
std::vector<NamedTensor> storeToTensors(const ParameterStore& store);
void saveWeights(const ParameterStore& store, const std::string& path, const Metadata& metadata = {});

// Like load_state_dict(strict=True): reports every missing, unexpected and
// mis-shaped key together in one ml::Error, and changes nothing then.
// Alias names of a shared tensor are accepted and must agree.
void loadWeights(ParameterStore& store, const SafetensorsFile& file, const std::string& source);
void loadWeights(ParameterStore& store, const std::string& path);

} // namespace ml::io
