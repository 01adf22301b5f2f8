#include "model/Module.h"

#include <algorithm>
#include <set>

namespace ml {

const char* moduleKindName(ModuleKind kind) {
    switch (kind) {
    case ModuleKind::Layer: return "Layer";
    case ModuleKind::Sequential: return "Sequential";
    case ModuleKind::ModuleList: return "ModuleList";
    case ModuleKind::Block: return "Block";
    }
    return "?";
}

namespace {

std::string join(const std::string& prefix, const std::string& name) {
    return prefix.empty() ? name : prefix + "." + name;
}

void collectState(const ModuleTree& tree, InstanceId id, const std::string& prefix, std::vector<StateEntry>& out) {
    const ModuleInstance& m = tree.at(id);
    // PyTorch saves parameters first, then buffers, of each module.
    for (int pass = 0; pass < 2; ++pass) {
        for (size_t i = 0; i < m.tensors.size(); ++i) {
            const TensorSpec& t = m.tensors[i];
            if (t.isBuffer != (pass == 1)) continue;
            out.push_back({join(prefix, t.name), id, static_cast<int>(i), t.isBuffer, t.shape, t.dtype, {}});
        }
    }
    for (const ChildRef& c : m.children) collectState(tree, c.id, join(prefix, c.name), out);
}

Index numel(const std::vector<Index>& shape) {
    Index n = 1;
    for (Index d : shape) n *= d;
    return n;
}

} // namespace

std::vector<StateEntry> ModuleTree::stateDict() const {
    std::vector<StateEntry> out;
    if (instances.empty()) return out;
    collectState(*this, 0, "", out);
    // Mark names that reach a tensor already listed (an instance registered twice).
    std::vector<std::pair<std::pair<InstanceId, int>, std::string>> seen;
    for (StateEntry& e : out) {
        for (const auto& [key, name] : seen)
            if (key == std::make_pair(e.owner, e.tensorIndex)) e.aliasOf = name;
        if (e.aliasOf.empty()) seen.push_back({{e.owner, e.tensorIndex}, e.name});
    }
    return out;
}

std::vector<StateEntry> ModuleTree::namedParametersOf(InstanceId id) const {
    std::vector<StateEntry> all;
    collectState(*this, id, "", all);
    std::vector<StateEntry> out;
    std::set<std::pair<InstanceId, int>> seen;
    for (StateEntry& e : all)
        if (!e.isBuffer && seen.insert({e.owner, e.tensorIndex}).second) out.push_back(std::move(e));
    return out;
}

std::vector<StateEntry> ModuleTree::namedParameters() const {
    return instances.empty() ? std::vector<StateEntry>{} : namedParametersOf(0);
}

Index ModuleTree::parameterCount(InstanceId id) const {
    Index n = 0;
    for (const StateEntry& e : namedParametersOf(id)) n += numel(e.shape);
    return n;
}

Index ModuleTree::uniqueParameterCount() const {
    return instances.empty() ? 0 : parameterCount(0);
}

Index ModuleTree::naiveParameterCount() const {
    Index n = 0;
    for (const ModuleInstance& m : instances)
        for (const TensorSpec& t : m.tensors)
            if (!t.isBuffer) n += numel(t.shape) * std::max(1, m.callCount);
    return n;
}

} // namespace ml
