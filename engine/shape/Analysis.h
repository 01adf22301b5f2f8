#pragma once
// analyze(): from a ModelDocument to the module tree, every port's type and
// every problem, in one pass that never stops at the first problem.
//
//   ModelDocument doc = readModel(path);        // io/ModelJson.h
//   Analysis a = analyze(doc);
//   if (!a.ok()) for (auto& d : a.diagnostics) std::cerr << d.toString() << "\n";
//   a.tree.namedParameters();                   // PyTorch's names, shared ones once
#include "model/Module.h"
#include "shape/Diagnostic.h"

#include <map>
#include <vector>

namespace ml {

struct AnalysisOptions {
    Index maxParameters = 1'000'000'000; // refuse models larger than this (parameters, unique)
    int maxNesting = 64;                 // deepest module nesting accepted
    Index maxInstances = 100'000;        // module instances (nested blocks multiply them)
    Index maxCalls = 1'000'000;          // module calls in one forward (shared blocks calling shared blocks)
    Index maxActivationElements = Index(1) << 31; // values per sample of any tensor
};

// Where a node input or a block output comes from, resolved against its
// block definition.
struct GraphSource {
    int node = -1;   // index into def.nodes, or -1 for a block input
    int input = -1;  // index into def.inputs when node == -1
    int output = 0;  // which output of the node
};

// A block definition's forward graph as shape inference orders it; the plan
// and the editor read it instead of sorting again.
struct BlockGraph {
    std::vector<int> order;                       // node indices, inputs first (Kahn, smallest index first)
    std::vector<std::vector<GraphSource>> inputs; // per node (definition order), per input
    std::vector<GraphSource> outputs;             // per block output
};

struct Analysis {
    ModuleTree tree;
    // Every definition an instance reached whose graph is well formed
    // (acyclic, every reference resolved), keyed like ModuleInstance::block.
    std::map<const BlockDef*, BlockGraph> graphs;
    std::vector<Diagnostic> diagnostics;
    std::vector<TensorType> inputTypes;  // the model's inputs, in order
    std::vector<TensorType> outputTypes; // the model's outputs, in order

    bool ok() const { return !hasErrors(diagnostics); }
    // requires: def's graph is well formed (always so when ok()).
    const BlockGraph& graphOf(const BlockDef& def) const { return graphs.at(&def); }
};

Analysis analyze(const ModelDocument& doc, const AnalysisOptions& options = {});

// True for names PyTorch and Python export accept for a child or node:
// non-empty, no dot, an identifier ([A-Za-z_][A-Za-z0-9_]*).
bool isValidName(const std::string& name);

} // namespace ml
