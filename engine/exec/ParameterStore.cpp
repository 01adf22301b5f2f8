#include "exec/ParameterStore.h"

#include "exec/Init.h"
#include "core/Random.h"

#include <algorithm>

namespace ml {

ParameterStore::ParameterStore(const ModuleTree& tree) {
    for (const StateEntry& e : tree.stateDict()) {
        if (!e.aliasOf.empty()) {
            const int i = m_byName.at(e.aliasOf);
            m_tensors[static_cast<size_t>(i)].aliases.push_back(e.name);
            m_byName[e.name] = i;
            continue;
        }
        StoredTensor t;
        t.name = e.name;
        t.shape = e.shape;
        t.isBuffer = e.isBuffer;
        t.dtype = e.dtype;
        t.owner = e.owner;
        t.tensorIndex = e.tensorIndex;
        t.value.assign(static_cast<size_t>(Tensor::numel(e.shape)), 0.0f);
        if (!e.isBuffer) t.grad.assign(t.value.size(), 0.0f);
        const int index = static_cast<int>(m_tensors.size());
        m_byOwner[{e.owner, e.tensorIndex}] = index;
        m_byName[e.name] = index;
        m_tensors.push_back(std::move(t));
    }
}

int ParameterStore::indexOf(InstanceId owner, int tensorIndex) const {
    auto it = m_byOwner.find({owner, tensorIndex});
    return it == m_byOwner.end() ? -1 : it->second;
}

int ParameterStore::indexOf(const std::string& name) const {
    auto it = m_byName.find(name);
    return it == m_byName.end() ? -1 : it->second;
}

void ParameterStore::zeroGrad() {
    for (StoredTensor& t : m_tensors) std::fill(t.grad.begin(), t.grad.end(), 0.0f);
}

void ParameterStore::initialize(const ModuleTree& tree, std::uint64_t seed) {
    Random rng(seed);
    // Layers in state_dict order, each once, as PyTorch constructs them; a
    // layer's tensors in registration order (weight before bias), each as
    // its catalog entry says.
    std::vector<InstanceId> done;
    for (const StoredTensor& t : m_tensors) {
        if (std::find(done.begin(), done.end(), t.owner) != done.end()) continue;
        done.push_back(t.owner);
        const ModuleInstance& m = tree.at(t.owner);
        for (size_t i = 0; i < m.tensors.size(); ++i) {
            const int index = indexOf(t.owner, static_cast<int>(i));
            if (index < 0) continue;
            std::vector<float>& v = at(index).value;
            initTensor(m.tensors[i], v.data(), static_cast<Index>(v.size()), rng);
        }
    }
}

} // namespace ml
