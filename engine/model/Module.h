#pragma once
// The module tree: instances made from a ModelDocument exactly as PyTorch
// builds objects from classes. Children are registered by name; an instance
// registered under two names (same_as), or called at two nodes, is ONE
// instance: its parameters are listed once (named_parameters() semantics)
// and counted once. The tree is derived data, rebuilt by analyze().
#include "model/LayerCatalog.h"
#include "model/TensorType.h"

#include <string>
#include <vector>

namespace ml {

using InstanceId = int;

enum class ModuleKind { Layer, Sequential, ModuleList, Block };
const char* moduleKindName(ModuleKind kind); // "Layer", "Sequential", "ModuleList", "Block"

struct ChildRef {
    std::string name;
    InstanceId id;
};

struct ModuleInstance {
    InstanceId id = -1;
    ModuleKind kind = ModuleKind::Layer;
    std::string type;                  // layer type, "Sequential", "ModuleList", or block name
    Json args = Json::object();        // resolved arguments (layers: every argument, inferred ones once known)
    std::vector<ChildRef> children;    // registration order
    std::vector<TensorSpec> tensors;   // own parameters and buffers (layers), once args are known
    bool argsComplete = false;         // false while an inferable argument is still unknown
    std::string path;                  // first registered dotted path; "" for the root
    const ModuleSpec* spec = nullptr;  // where it was declared (null for the root)
    const BlockDef* block = nullptr;   // for blocks

    // Filled by shape inference (from the first call when called several times):
    std::vector<TensorType> inputTypes;
    std::vector<TensorType> outputTypes;
    std::vector<std::vector<TensorType>> nodeOutputs; // blocks: per node (definition order), per output
    int callCount = 0;                                // call sites that reach this instance
    std::vector<std::string> callSites;               // "SiameseNetwork node 'ea'", one per call
};

// One entry of state_dict(): every registered name, shared ones included.
struct StateEntry {
    std::string name;        // "block1.bn1.running_mean"
    InstanceId owner;
    int tensorIndex;         // into owner's tensors
    bool isBuffer;
    std::vector<Index> shape;
    DType dtype;
    std::string aliasOf;     // non-empty: the same tensor as this earlier name (a shared instance)
};

class ModuleTree {
public:
    std::vector<ModuleInstance> instances; // instances[0] is the root
    const ModuleInstance& root() const { return instances.front(); }
    const ModuleInstance& at(InstanceId id) const { return instances.at(static_cast<size_t>(id)); }
    ModuleInstance& at(InstanceId id) { return instances.at(static_cast<size_t>(id)); }

    // state_dict() order: own parameters, own buffers, then children in order, recursively.
    std::vector<StateEntry> stateDict() const;
    // named_parameters(): parameters only, each tensor once under its first name.
    std::vector<StateEntry> namedParameters() const;
    // Distinct parameter elements (what trains), and the naive per-use count
    // that counts a layer at every call (as summary tools that ignore sharing
    // do; a layer never called counts once).
    Index uniqueParameterCount() const;
    Index naiveParameterCount() const;
    // Parameters of one module's subtree, each once (a module's "unique parameters").
    Index parameterCount(InstanceId id) const;
    std::vector<StateEntry> namedParametersOf(InstanceId id) const;
};

} // namespace ml
