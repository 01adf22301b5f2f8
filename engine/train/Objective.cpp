#include "train/Objective.h"

#include "core/Error.h"
#include "train/Loss.h"

#include <algorithm>
#include <functional>
#include <span>

namespace ml {

const char* lossKindName(LossKind kind) {
    switch (kind) {
    case LossKind::CrossEntropy: return "cross_entropy";
    case LossKind::Mse: return "mse";
    case LossKind::BceWithLogits: return "bce_with_logits";
    }
    return "?";
}

LossKind lossKindFromName(const std::string& name) {
    for (LossKind k : {LossKind::CrossEntropy, LossKind::Mse, LossKind::BceWithLogits})
        if (name == lossKindName(k)) return k;
    throw Error("unknown loss '" + name + "'; the losses are cross_entropy, mse and bce_with_logits");
}

std::string Objective::label() const {
    std::string s = output;
    if (!indexValues.empty()) {
        s += "[";
        for (size_t i = 0; i < indexValues.size(); ++i)
            s += (i ? ", " : "") + indexValues[i].first + "=" + std::to_string(indexValues[i].second);
        s += "]";
    }
    return s + " " + lossKindName(loss) + " vs " + target;
}

std::vector<std::vector<int>> objectiveGroups(const std::vector<Objective>& objectives) {
    std::vector<std::vector<int>> groups;
    for (size_t i = 0; i < objectives.size(); ++i) {
        auto same = std::find_if(groups.begin(), groups.end(), [&](const std::vector<int>& g) {
            return objectives[static_cast<size_t>(g.front())].indexValues == objectives[i].indexValues;
        });
        if (same == groups.end()) groups.push_back({static_cast<int>(i)});
        else same->push_back(static_cast<int>(i));
    }
    return groups;
}

namespace {

int findOutput(const Plan& plan, const std::string& name) {
    for (int o = 0; o < plan.outputCount(); ++o)
        if (plan.outputName(o) == name) return o;
    throw Error("the model has no output '" + name + "'");
}

int findInput(const Plan& plan, const std::string& name) {
    for (int i = 0; i < plan.inputCount(); ++i)
        if (plan.inputName(i) == name) return i;
    throw Error("the model has no input '" + name + "'");
}

} // namespace

std::vector<std::vector<int>> planGroups(const Plan& plan, const std::vector<Objective>& objectives) {
    if (!plan.runsAllBranches()) return objectiveGroups(objectives);
    std::vector<std::vector<int>> one(1);
    for (size_t k = 0; k < objectives.size(); ++k) one[0].push_back(static_cast<int>(k));
    return one;
}

namespace {

// One objective's loss on the plan's current output (dy written when `backward`).
void lossOf(Plan& plan, const Objective& obj, const BatchView& batch, bool backward, ObjectiveResult& r) {
    for (const auto& [name, value] : obj.indexValues) plan.setIndexInput(findInput(plan, name), value);
    const int o = findOutput(plan, obj.output);
    const Index width = plan.outputWidth(o);
    const float* y = plan.output(o);
    float* dy = backward ? plan.outputGrad(o) : nullptr;
    r = ObjectiveResult{};
    if (obj.loss == LossKind::CrossEntropy) {
        const auto t = batch.classes.find(obj.target);
        if (t == batch.classes.end())
            throw Error(obj.label() + ": cross-entropy needs class labels, and the dataset has no class target '" +
                        obj.target + "'");
        r.loss = crossEntropyLoss(y, t->second, batch.n, width, dy, obj.weight, &r.correct);
        r.count = batch.n;
    } else {
        const auto t = batch.values.find(obj.target);
        if (t == batch.values.end())
            throw Error(obj.label() + ": " + lossKindName(obj.loss) + " needs real-valued targets, and the dataset has "
                        "no value target '" + obj.target + "'");
        const Index n = batch.n * width;
        r.loss = obj.loss == LossKind::Mse ? mseLoss(y, t->second, n, dy, obj.weight)
                                           : bceWithLogitsLoss(y, t->second, n, dy, obj.weight);
        if (obj.loss == LossKind::BceWithLogits) {
            for (Index i = 0; i < n; ++i) r.correct += (y[i] > 0.0f) == (t->second[i] > 0.5f);
            r.count = n;
        }
    }
}

void setFloatInputs(Plan& plan, const BatchView& batch) {
    for (int i = 0; i < plan.inputCount(); ++i)
        if (!plan.inputIsIndex(i)) plan.setInput(i, batch.inputs.at(static_cast<size_t>(i)), batch.n);
}

void forwardFor(Plan& plan, const Objective& first, const BatchView& batch) {
    for (const auto& [name, value] : first.indexValues) plan.setIndexInput(findInput(plan, name), value);
    plan.forward(batch.n);
}

void runObjectivesUnguarded(Plan& plan, const std::vector<Objective>& objectives,
                            const std::vector<std::vector<int>>& groups, const std::vector<int>& which,
                            const BatchView& batch, bool backward, std::vector<ObjectiveResult>& results) {
    results.resize(objectives.size());
    auto wanted = [&](int k) { return std::find(which.begin(), which.end(), k) != which.end(); };
    setFloatInputs(plan, batch);
    for (const std::vector<int>& group : groups) {
        if (std::none_of(group.begin(), group.end(), wanted)) continue;
        forwardFor(plan, objectives[static_cast<size_t>(group.front())], batch);
        for (int k : group)
            if (wanted(k)) lossOf(plan, objectives[static_cast<size_t>(k)], batch, backward, results[static_cast<size_t>(k)]);
        if (backward) plan.backward();
    }
}

void runObjectiveGroupsUnguarded(Plan& plan, const std::vector<Objective>& objectives,
                                 const std::vector<std::vector<int>>& planGroups,
                                 const std::vector<std::vector<int>>& objectiveGroups, std::span<const int> which,
                                 const BatchView& batch, std::vector<ObjectiveResult>& results,
                                 const std::function<void(int)>& afterGroup) {
    results.resize(objectives.size());
    setFloatInputs(plan, batch);
    // Each group's backward reaches only its own heads: the other heads' steps have no gradient.
    struct SkipZero {
        Plan& plan;
        explicit SkipZero(Plan& p) : plan(p) { plan.setSkipZeroGradients(true); }
        ~SkipZero() { plan.setSkipZeroGradients(false); }
        SkipZero(const SkipZero&) = delete;
        SkipZero& operator=(const SkipZero&) = delete;
    } skipping{plan};
    const std::vector<int>* forwarded = nullptr; // the plan group whose forward the plan holds
    for (int g : which) {
        const std::vector<int>& members = objectiveGroups.at(static_cast<size_t>(g));
        const auto holds = [&](const std::vector<int>& pg) {
            return std::find(pg.begin(), pg.end(), members.front()) != pg.end();
        };
        const auto pg = std::find_if(planGroups.begin(), planGroups.end(), holds);
        ML_ASSERT(pg != planGroups.end());
        if (forwarded != &*pg) {
            forwardFor(plan, objectives[static_cast<size_t>(members.front())], batch);
            forwarded = &*pg;
        }
        for (int k : members) lossOf(plan, objectives[static_cast<size_t>(k)], batch, true, results[static_cast<size_t>(k)]);
        plan.backward();
        if (afterGroup) afterGroup(g);
    }
}

} // namespace

void runObjectives(Plan& plan, const std::vector<Objective>& objectives, const std::vector<std::vector<int>>& groups,
                   const std::vector<int>& which, const BatchView& batch, bool backward,
                   std::vector<ObjectiveResult>& results) {
    try {
        runObjectivesUnguarded(plan, objectives, groups, which, batch, backward, results);
    } catch (...) {
        plan.clearGradients(); // a loss may have written into an output's gradient
        throw;
    }
}

void runObjectiveGroups(Plan& plan, const std::vector<Objective>& objectives,
                        const std::vector<std::vector<int>>& planGroups,
                        const std::vector<std::vector<int>>& objectiveGroups, std::span<const int> which,
                        const BatchView& batch, std::vector<ObjectiveResult>& results,
                        const std::function<void(int)>& afterGroup) {
    try {
        runObjectiveGroupsUnguarded(plan, objectives, planGroups, objectiveGroups, which, batch, results, afterGroup);
    } catch (...) {
        plan.clearGradients();
        throw;
    }
}

} // namespace ml
