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
    // Layers in state_dict order, each once, as PyTorch constructs them.
    std::vector<InstanceId> done;
    for (const StoredTensor& t : m_tensors) {
        if (std::find(done.begin(), done.end(), t.owner) != done.end()) continue;
        done.push_back(t.owner);
        const ModuleInstance& m = tree.at(t.owner);
        auto find = [&](const char* name) -> float* {
            for (size_t i = 0; i < m.tensors.size(); ++i)
                if (m.tensors[i].name == name) return at(indexOf(t.owner, static_cast<int>(i))).value.data();
            return nullptr;
        };
        if (m.type == "Linear") {
            initLinear(find("weight"), find("bias"), argInt(m.args, "out_features"), argInt(m.args, "in_features"), rng);
        } else if (m.type == "Conv2d") {
            const auto [kh, kw] = argPair(m.args, "kernel_size");
            initConv2d(find("weight"), find("bias"), argInt(m.args, "out_channels"),
                       argInt(m.args, "in_channels") / argInt(m.args, "groups"), kh, kw, rng);
        } else if (m.type == "BatchNorm1d" || m.type == "BatchNorm2d") {
            const Index c = argInt(m.args, "num_features");
            if (float* w = find("weight")) initNormAffine(w, find("bias"), c);
            if (float* mean = find("running_mean")) initRunningStats(mean, find("running_var"), c);
            if (float* count = find("num_batches_tracked")) *count = 0.0f;
        } else if (m.type == "LayerNorm") {
            if (float* w = find("weight")) {
                Index n = 1;
                for (Index d : m.args["normalized_shape"].get<std::vector<Index>>()) n *= d;
                initNormAffine(w, find("bias"), n);
            }
        }
    }
}

} // namespace ml
