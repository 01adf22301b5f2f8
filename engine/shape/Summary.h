#pragma once
// What `modulelab-cli summary` prints and the editor's module tree shows:
// the module tree like PyTorch's print(model), with each module's output
// shape and parameter count, totals (unique and naive), and which
// parameters are shared and where they are used.
#include "shape/Analysis.h"

#include <string>

namespace ml {

// PyTorch's repr of a module without children: "Linear(in_features=10, out_features=5, bias=True)".
std::string moduleRepr(const ModuleInstance& m);

// A shared module: one instance called at several places or registered
// under several names. Only the topmost shared module of a subtree is listed.
struct SharedModule {
    InstanceId id;
    std::vector<std::string> names;     // every registered dotted name
    std::vector<std::string> callSites; // every place its forward runs
    std::vector<StateEntry> parameters; // its unique parameters
};
std::vector<SharedModule> sharedModules(const ModuleTree& tree);

std::string summaryText(const ModelDocument& doc, const Analysis& analysis);
Json summaryJson(const ModelDocument& doc, const Analysis& analysis);

} // namespace ml
