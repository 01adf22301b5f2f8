#pragma once
// What a training step optimizes: one or more objectives, each a loss on
// one model output against one dataset target, with a weight, and (for a
// model with a runtime index such as task_index) the index values to run
// the model with. Objectives that share index values share one forward.
//
// The multi-task example trains jointly with three objectives:
//   {output y, task_index 0, cross-entropy vs task0}, {y, 1, CE vs task1},
//   {y, 2, MSE vs task2}; a step runs the model three times and backpropagates
// each loss (the gradient of the sum is the sum of the gradients).
#include "exec/Plan.h"

#include <cstdint>
#include <functional>
#include <span>
#include <map>
#include <string>
#include <vector>

namespace ml {

enum class LossKind { CrossEntropy, Mse, BceWithLogits };
const char* lossKindName(LossKind kind);         // "cross_entropy", "mse", "bce_with_logits"
LossKind lossKindFromName(const std::string& name); // throws ml::Error listing the choices

struct Objective {
    std::string output;                                   // model output name
    std::vector<std::pair<std::string, Index>> indexValues; // index inputs for this objective
    LossKind loss = LossKind::CrossEntropy;
    std::string target;                                   // dataset target name
    float weight = 1.0f;

    std::string label() const; // "y[task_index=0] cross_entropy vs task0"
};

// One batch as the plan reads it: per plan input (null for index inputs) the
// [n, ...] floats, and per target name its classes or values.
struct BatchView {
    Index n = 0;
    std::vector<const float*> inputs;
    std::map<std::string, const std::int64_t*> classes;
    std::map<std::string, const float*> values;
};

struct ObjectiveResult {
    double loss = 0.0;   // mean over the batch, before weighting
    Index correct = 0;   // classification objectives: argmax == target
    Index count = 0;
};

// The forward passes a step needs: one per group of index values, or one
// for everything when the plan runs all branches at once.
std::vector<std::vector<int>> planGroups(const Plan& plan, const std::vector<Objective>& objectives);

// Runs forward (and backward when `backward`) for the objectives in `which`,
// one forward per group that has any (groups from planGroups). Fills
// results[k] for each k in `which` (resized to objectives.size()); parameter
// gradients accumulate in the plan's store. Allocates nothing once `results`
// has its size. Throws ml::Error for a target that does not fit its output.
void runObjectives(Plan& plan, const std::vector<Objective>& objectives, const std::vector<std::vector<int>>& groups,
                   const std::vector<int>& which, const BatchView& batch, bool backward,
                   std::vector<ObjectiveResult>& results);

// The same with one backward per objective group (`objectiveGroups`, from
// objectiveGroups()), for the groups listed in `which` in that order, calling
// afterGroup(g) after group g's backward: the gradients then hold the sum of
// the groups so far, so each group's own gradient is the difference to the
// previous call (per-task diagnostics). A plan group holding several objective
// groups (a plan that runs all branches) runs its forward once and each
// group's backward on it; other plan groups forward once per group, as
// runObjectives does. Allocates nothing once `results` has its size (nor does
// a std::function holding a pointer-sized capture).
void runObjectiveGroups(Plan& plan, const std::vector<Objective>& objectives,
                        const std::vector<std::vector<int>>& planGroups,
                        const std::vector<std::vector<int>>& objectiveGroups, std::span<const int> which,
                        const BatchView& batch, std::vector<ObjectiveResult>& results,
                        const std::function<void(int)>& afterGroup);

// Groups of objectives that share index values, in first-appearance order.
std::vector<std::vector<int>> objectiveGroups(const std::vector<Objective>& objectives);

} // namespace ml
