#include "train/Trainer.h"
#include "train/TrainerDetail.h"

#include "core/Error.h"
#include "core/Parallel.h"
#include "exec/Threads.h"
#include "train/Adam.h"
#include "train/GradClip.h"
#include "train/LrSchedule.h"
#include "train/Sgd.h"

#include <cmath>
#include <functional>
#include <algorithm>
#include <map>
#include <set>

namespace ml {

namespace {
// The plan in eval mode for one scope (dropout off, running statistics read),
// back in train mode however the scope is left.
struct EvaluationMode {
    Plan& plan;
    explicit EvaluationMode(Plan& p) : plan(p) { plan.setTraining(false); }
    ~EvaluationMode() { plan.setTraining(true); }
    EvaluationMode(const EvaluationMode&) = delete;
    EvaluationMode& operator=(const EvaluationMode&) = delete;
};
} // namespace

using detail::groupLabel;
using detail::kNaN;
using detail::NonFiniteError;

Trainer::Trainer(ModelDocument doc, TrainingConfig config, TrainingData data)
    : m_doc(std::move(doc)), m_config(std::move(config)), m_data(std::move(data)) {
    if (m_data.train.count() < 2) throw Error("the dataset has fewer than 2 training samples");
    m_adaptation = adaptModelToData(m_doc, m_data.train.sampleShape());
    m_analysis = analyze(m_doc);
    if (!m_analysis.ok()) {
        std::string message = m_doc.model + " cannot train: the model has errors";
        for (const Diagnostic& d : m_analysis.diagnostics)
            if (d.isError()) message += "\n  " + d.toString();
        throw Error(message);
    }
    m_store = std::make_unique<ParameterStore>(m_analysis.tree);
    m_store->initialize(m_analysis.tree, m_config.seed);
    const Index batch = std::min(m_config.batchSize, m_data.train.count());
    m_plan = std::make_unique<Plan>(m_doc, m_analysis, *m_store, batch, m_config.seed + 3);
    if (!m_config.roundRobin && m_plan->hasIndexInputs()) {
        // Joint training: run the shared trunk once for all heads when the model allows it.
        try {
            m_plan = std::make_unique<Plan>(m_doc, m_analysis, *m_store, batch, m_config.seed + 3, true);
        } catch (const Error&) {
            // An indexed result feeds further ops: keep one forward per index value.
        }
    }

    // Objectives, checked against the model and the data before any step.
    m_objectives = m_config.objectives.empty() ? defaultObjectives(m_doc, m_data.train) : m_config.objectives;
    if (m_objectives.empty()) throw Error("nothing to train: the dataset has no targets");
    for (const Objective& o : m_objectives) {
        int output = -1;
        for (int i = 0; i < m_plan->outputCount(); ++i)
            if (m_plan->outputName(i) == o.output) output = i;
        if (output < 0) throw Error(o.label() + ": the model has no output '" + o.output + "'");
        for (const auto& [name, value] : o.indexValues) {
            int input = -1;
            for (int i = 0; i < m_plan->inputCount(); ++i)
                if (m_plan->inputName(i) == name && m_plan->inputIsIndex(i)) input = i;
            if (input < 0) throw Error(o.label() + ": the model has no index input '" + name + "'");
            m_plan->setIndexInput(input, value);
        }
        for (int i = 0; i < m_plan->inputCount(); ++i) {
            if (!m_plan->inputIsIndex(i)) continue;
            bool given = false;
            for (const auto& iv : o.indexValues) given |= iv.first == m_plan->inputName(i);
            if (!given)
                throw Error(o.label() + ": the model's index input '" + m_plan->inputName(i) +
                            "' needs a value for this loss (e.g. \"" + m_plan->inputName(i) + "\": 0)");
        }
        const data::Target* target = nullptr;
        for (const data::Target& t : m_data.train.targets)
            if (t.name == o.target) target = &t;
        if (!target) {
            std::string names;
            for (const data::Target& t : m_data.train.targets) names += (names.empty() ? "" : ", ") + t.name;
            throw Error(o.label() + ": the dataset has no target '" + o.target + "' (it has " + names + ")");
        }
        const Index width = m_plan->outputWidth(output);
        if (o.loss == LossKind::CrossEntropy) {
            if (m_plan->outputShape(output).size() != 1)
                throw Error(o.label() + ": cross-entropy needs an output of [N, classes], not " +
                            dimsToString(std::vector<Index>{kBatch}) + " with " +
                            std::to_string(m_plan->outputShape(output).size()) + " more dimensions");
            if (target->kind != data::TargetKind::Classes)
                throw Error(o.label() + ": cross-entropy needs class labels, but '" + o.target + "' holds real values");
            if (target->classCount > width)
                throw Error(o.label() + ": the target '" + o.target + "' has " + std::to_string(target->classCount) +
                            " classes but output '" + o.output + "' gives " + std::to_string(width) + " scores");
        } else {
            if (target->kind != data::TargetKind::Values)
                throw Error(o.label() + ": " + lossKindName(o.loss) + " needs real-valued targets, but '" + o.target +
                            "' holds class labels");
            if (target->width() != width)
                throw Error(o.label() + ": the target '" + o.target + "' has " + std::to_string(target->width()) +
                            " values per sample but output '" + o.output + "' has " + std::to_string(width));
        }
    }
    m_groups = objectiveGroups(m_objectives);
    m_planGroups = planGroups(*m_plan, m_objectives);
    for (size_t k = 0; k < m_objectives.size(); ++k) m_all.push_back(static_cast<int>(k));

    for (StoredTensor& t : m_store->tensors())
        if (!t.isBuffer) m_paramRefs.push_back({t.value.data(), t.grad.data(), t.numel()});
    const std::vector<ParamRef>& params = m_paramRefs;
    const OptimizerConfig& oc = m_config.optimizer;
    if (oc.type == "sgd")
        m_optimizer = std::make_unique<Sgd>(params, SgdOptions{oc.lr, oc.momentum, oc.dampening, oc.nesterov, oc.weightDecay});
    else if (oc.type == "adam")
        m_optimizer = std::make_unique<Adam>(params, AdamOptions{oc.lr, oc.beta1, oc.beta2, oc.eps, oc.weightDecay});
    else
        m_optimizer = std::make_unique<AdamW>(params, AdamOptions{oc.lr, oc.beta1, oc.beta2, oc.eps, oc.weightDecay});

    // Each module once, under its first name, with its unique parameters.
    const ModuleTree& tree = m_analysis.tree;
    std::set<InstanceId> seen;
    std::function<void(InstanceId, const std::string&)> walk = [&](InstanceId id, const std::string& path) {
        if (!seen.insert(id).second) return;
        ModuleParams m{path, tree.at(id).type, id, {}};
        for (const StateEntry& e : tree.namedParametersOf(id)) m.tensors.push_back(m_store->indexOf(e.owner, e.tensorIndex));
        if (!m.tensors.empty()) m_modules.push_back(m);
        for (const ChildRef& c : tree.at(id).children) walk(c.id, path.empty() ? c.name : path + "." + c.name);
    };
    walk(0, "");
    prepareDiagnostics();

    m_batch = data::Batch(m_data.train, batch);
    int floatInputs = 0;
    for (int i = 0; i < m_plan->inputCount(); ++i) {
        floatInputs += !m_plan->inputIsIndex(i);
        m_inputWidths.push_back(m_plan->inputIsIndex(i) ? 0 : Tensor::numel(m_plan->inputShape(i)));
    }
    if (floatInputs > 1)
        for (int i = 0; i < m_plan->inputCount(); ++i)
            m_inputSlices.emplace_back(m_plan->inputIsIndex(i) ? 0 : static_cast<size_t>(batch * Tensor::numel(m_plan->inputShape(i))));
    m_correct.assign(m_objectives.size(), 0);
    m_seen.assign(m_objectives.size(), 0);
    describe();
}

void Trainer::describe() {
    RunDescription& d = m_description;
    const ModuleTree& tree = m_analysis.tree;
    d.model = m_doc.model;
    // The canvas shows a module as the call nodes of its parent block's graph.
    std::map<InstanceId, std::vector<std::string>> canvas;
    for (const ModuleInstance& inst : tree.instances) {
        if (!inst.block) continue;
        for (const Node& n : inst.block->nodes) {
            if (!n.isCall()) continue;
            for (const ChildRef& c : inst.children)
                if (c.name == n.call) canvas[c.id].push_back(inst.block->name + "/" + n.id);
        }
    }
    for (const ModuleParams& m : m_modules) {
        RunModule r;
        r.path = m.path;
        r.type = m.type;
        r.depth = m.path.empty() ? 0 : 1 + static_cast<int>(std::count(m.path.begin(), m.path.end(), '.'));
        if (auto it = canvas.find(m.id); it != canvas.end()) r.canvasNodes = it->second;
        for (int t : m.tensors) r.parameters.push_back(m_store->at(t).name);
        d.modules.push_back(std::move(r));
    }
    for (const StoredTensor& t : m_store->tensors())
        if (!t.isBuffer) d.parameters.push_back(t.name);
    for (const ParameterUse& u : m_plan->parameterUses()) d.sharedUses.push_back({m_store->at(u.parameter).name, u.label, 0});
    for (const Objective& o : m_objectives) d.objectives.push_back(o.label());
    for (const std::vector<int>& g : m_groups) d.taskGroups.push_back(groupLabel(m_objectives[static_cast<size_t>(g.front())]));
    d.uniqueParameters = tree.uniqueParameterCount();
    d.naiveParameters = tree.naiveParameterCount();
    const Index count = m_data.train.count(), batch = m_plan->maxBatch();
    d.stepsPerEpoch = count > batch ? count / batch : 1; // the sampler drops a short last batch
    d.epochs = m_config.epochs;
    int floats = 0;
    for (Index w : m_inputWidths) floats += w > 0;
    if (floats == 1 && m_inputSlices.empty() && m_objectives.front().loss == LossKind::CrossEntropy)
        for (Index w : m_inputWidths)
            if (w == 2) d.gridInputs = 2;
}

GridReport Trainer::evaluatePoints(std::span<const float> points) {
    const Index features = m_description.gridInputs;
    if (features == 0) throw Error(m_doc.model + ": decision regions need one input of 2 features and a classifier");
    if (points.size() % static_cast<size_t>(features) != 0)
        throw Error("evaluation points: " + std::to_string(points.size()) + " values are not pairs");
    const Objective& first = m_objectives.front();
    int output = 0, input = 0;
    for (int i = 0; i < m_plan->outputCount(); ++i)
        if (m_plan->outputName(i) == first.output) output = i;
    for (int i = 0; i < m_plan->inputCount(); ++i) {
        if (!m_plan->inputIsIndex(i)) input = i;
        for (const auto& [name, value] : first.indexValues)
            if (m_plan->inputIsIndex(i) && m_plan->inputName(i) == name) m_plan->setIndexInput(i, value);
    }
    GridReport g;
    g.step = m_step;
    g.points = static_cast<Index>(points.size()) / features;
    g.width = m_plan->outputWidth(output);
    g.scores.resize(static_cast<size_t>(g.points * g.width));
    g.classes.resize(static_cast<size_t>(g.points));
    const EvaluationMode evaluating{*m_plan};
    const Index batch = m_plan->maxBatch();
    for (Index start = 0; start < g.points; start += batch) {
        const Index n = std::min(batch, g.points - start);
        m_plan->setInput(input, points.data() + start * features, n);
        m_plan->forward(n);
        const float* out = m_plan->output(output);
        std::copy_n(out, n * g.width, g.scores.data() + start * g.width);
        for (Index r = 0; r < n; ++r)
            g.classes[static_cast<size_t>(start + r)] =
                static_cast<int>(std::max_element(out + r * g.width, out + (r + 1) * g.width) - (out + r * g.width));
    }
    return g;
}

Trainer::~Trainer() {
    stop();
    if (m_thread.joinable()) m_thread.join();
}

void Trainer::fillBatch(const data::Dataset& set, std::span<const Index> rows) {
    m_batch.fill(set, rows);
    m_view.n = static_cast<Index>(rows.size());
    m_view.inputs.assign(static_cast<size_t>(m_plan->inputCount()), nullptr);
    if (m_inputSlices.empty()) {
        for (int i = 0; i < m_plan->inputCount(); ++i)
            if (!m_plan->inputIsIndex(i)) m_view.inputs[static_cast<size_t>(i)] = m_batch.features.data();
    } else {
        // The sample feeds several inputs: cut each row into consecutive pieces.
        const Index sample = set.sampleSize();
        Index offset = 0;
        for (int i = 0; i < m_plan->inputCount(); ++i) {
            if (m_plan->inputIsIndex(i)) continue;
            const Index width = m_inputWidths[static_cast<size_t>(i)];
            float* out = m_inputSlices[static_cast<size_t>(i)].data();
            for (Index r = 0; r < m_view.n; ++r)
                std::copy_n(m_batch.features.data() + r * sample + offset, width, out + r * width);
            m_view.inputs[static_cast<size_t>(i)] = out;
            offset += width;
        }
    }
    // Assigning existing keys: no allocation after the first batch.
    for (size_t t = 0; t < set.targets.size(); ++t) {
        if (set.targets[t].kind == data::TargetKind::Classes) m_view.classes[set.targets[t].name] = m_batch.classes[t].data();
        else m_view.values[set.targets[t].name] = m_batch.values[t].data();
    }
}

const std::vector<ObjectiveResult>& Trainer::forwardBackward(const std::vector<int>& which, bool backward) {
    runObjectives(*m_plan, m_objectives, m_planGroups, which, m_view, backward, m_results);
    return m_results;
}

void Trainer::checkFinite(double loss, const std::vector<int>& which) {
    if (std::isfinite(loss)) return;
    // Find the op: run each objective group again, checking every output.
    std::string where;
    for (int k : which) {
        for (const auto& [name, value] : m_objectives[static_cast<size_t>(k)].indexValues)
            for (int i = 0; i < m_plan->inputCount(); ++i)
                if (m_plan->inputName(i) == name) m_plan->setIndexInput(i, value);
        where = m_plan->firstNonFinite(m_view.n);
        if (where.find("every op") == std::string::npos) break;
    }
    throw NonFiniteError("the loss became " + std::string(std::isnan(loss) ? "NaN" : "infinite") + " at step " +
                         std::to_string(m_step + 1) + ": " + where);
}

double Trainer::currentLr() const {
    const LrScheduleConfig& s = m_config.lrSchedule;
    const double base = m_config.optimizer.lr;
    if (s.type == "step") return StepLr(base, s.stepSize, s.gamma).lr(m_epoch);
    if (s.type == "cosine") return CosineAnnealingLr(base, s.tMax > 0 ? s.tMax : m_config.epochs, s.etaMin).lr(m_epoch);
    return base;
}

int Trainer::stepThreads() const {
    const int requested = m_config.threads > 0 ? m_config.threads : parallel::processors();
    const double work = m_plan->forwardMultiplyAdds(m_plan->maxBatch());
    return std::max(1, std::min(requested, int(1 + work / kMinMultiplyAddsPerThread)));
}

void Trainer::useComputeThreads() const { setComputeThreads(stepThreads()); }

const StepReport& Trainer::trainStep(std::span<const Index> rows, bool withDiagnostics) {
    fillBatch(m_data.train, rows);
    const int group = m_config.roundRobin ? static_cast<int>(m_step % static_cast<Index>(m_groups.size())) : -1;
    const std::vector<int>& which = group >= 0 ? m_groups[static_cast<size_t>(group)] : m_all;
    m_optimizer->setLr(currentLr());
    m_plan->zeroGrad();
    // Diagnostics with tasks need each group's own gradient: a backward per group.
    if (withDiagnostics && m_groups.size() > 1) backwardPerGroup(group);
    else forwardBackward(which, true);
    const std::vector<ObjectiveResult>& results = m_results;
    StepReport& r = m_stepReport;
    r.loss = 0;
    r.objectiveLosses.assign(m_objectives.size(), kNaN);
    r.runningAccuracy.assign(m_objectives.size(), kNaN);
    for (int k : which) {
        const ObjectiveResult& o = results[static_cast<size_t>(k)];
        r.loss += m_objectives[static_cast<size_t>(k)].weight * o.loss;
        r.objectiveLosses[static_cast<size_t>(k)] = o.loss;
        m_correct[static_cast<size_t>(k)] += static_cast<double>(o.correct);
        m_seen[static_cast<size_t>(k)] += static_cast<double>(o.count);
    }
    for (size_t k = 0; k < m_objectives.size(); ++k)
        if (m_seen[k] > 0) r.runningAccuracy[k] = m_correct[k] / m_seen[k];
    checkFinite(r.loss, which);
    if (withDiagnostics) {
        fillDiagnostics(); // the gradient as backward left it, before clipping
        for (size_t i = 0; i < m_store->tensors().size(); ++i) {
            const StoredTensor& t = m_store->tensors()[i];
            if (!t.isBuffer) std::copy(t.value.begin(), t.value.end(), m_valuesBefore.begin() + static_cast<std::ptrdiff_t>(m_flatOffset[i]));
        }
    }
    if (m_config.clipGradNorm > 0) clipGradNorm(m_paramRefs, m_config.clipGradNorm);
    m_optimizer->step();
    if (withDiagnostics) fillUpdateRatios();
    ++m_step;
    r.step = m_step;
    r.epoch = m_epoch;
    r.lr = m_optimizer->lr();
    return r;
}

EpochReport Trainer::evaluate() {
    EpochReport e;
    e.epoch = m_epoch;
    const data::Dataset& set = m_data.validation;
    e.validationLoss.assign(m_objectives.size(), kNaN);
    e.validationAccuracy.assign(m_objectives.size(), kNaN);
    if (set.count() == 0) return e;
    std::vector<double> loss(m_objectives.size(), 0), correct(m_objectives.size(), 0), counted(m_objectives.size(), 0);
    const EvaluationMode evaluating{*m_plan};
    const Index batch = m_plan->maxBatch();
    std::vector<Index> rows;
    for (Index start = 0; start < set.count(); start += batch) {
        rows.clear();
        for (Index r = start; r < std::min(set.count(), start + batch); ++r) rows.push_back(r);
        fillBatch(set, rows);
        const auto& results = forwardBackward(m_all, false);
        for (size_t k = 0; k < results.size(); ++k) {
            loss[k] += results[k].loss * static_cast<double>(rows.size());
            correct[k] += static_cast<double>(results[k].correct);
            counted[k] += static_cast<double>(results[k].count);
        }
    }
    for (size_t k = 0; k < m_objectives.size(); ++k) {
        e.validationLoss[k] = loss[k] / static_cast<double>(set.count());
        if (counted[k] > 0) e.validationAccuracy[k] = correct[k] / counted[k];
    }
    e.validationSamples = set.count();
    return e;
}

} // namespace ml
