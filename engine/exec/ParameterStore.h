#pragma once
// The values of a model's parameters and buffers, one entry per distinct
// tensor (a shared instance's tensors appear once), in state_dict() order.
// Names are PyTorch's; an alias name (an instance registered twice) finds
// the same entry, so weights move to and from PyTorch unchanged.
#include "model/Module.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ml {

struct StoredTensor {
    std::string name;                 // first state_dict name
    std::vector<std::string> aliases; // further state_dict names of the same tensor
    std::vector<Index> shape;
    bool isBuffer = false;
    DType dtype = DType::Float32;     // int64 buffers (num_batches_tracked) hold exact integers in `value`
    std::vector<float> value;
    std::vector<float> grad;          // parameters only
    InstanceId owner = -1;
    int tensorIndex = -1;             // into the owner's TensorSpec list

    Index numel() const { return static_cast<Index>(value.size()); }
};

class ParameterStore {
public:
    ParameterStore() = default;
    explicit ParameterStore(const ModuleTree& tree);

    // PyTorch 1.13's default initialization of every layer, from `seed`.
    void initialize(const ModuleTree& tree, std::uint64_t seed);

    std::vector<StoredTensor>& tensors() { return m_tensors; }
    const std::vector<StoredTensor>& tensors() const { return m_tensors; }
    int indexOf(InstanceId owner, int tensorIndex) const; // -1 if none
    int indexOf(const std::string& name) const;          // any state_dict name; -1 if none
    StoredTensor& at(int index) { return m_tensors.at(static_cast<size_t>(index)); }
    const StoredTensor& at(int index) const { return m_tensors.at(static_cast<size_t>(index)); }

    void zeroGrad();

private:
    std::vector<StoredTensor> m_tensors;
    std::map<std::pair<InstanceId, int>, int> m_byOwner;
    std::map<std::string, int> m_byName;
};

} // namespace ml
