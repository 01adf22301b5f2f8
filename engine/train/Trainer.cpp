#include "train/Trainer.h"

#include "core/Error.h"
#include "exec/Threads.h"
#include "io/Weights.h"
#include "train/Adam.h"
#include "train/GradClip.h"
#include "train/LrSchedule.h"
#include "train/Sgd.h"

#include <charconv>
#include <chrono>
#include <cmath>
#include <functional>
#include <limits>
#include <set>

namespace ml {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Optimizer state in a checkpoint; '/' cannot appear in a module name, so no parameter clashes.
const std::string kOptimizerPrefix = "optimizer/";

class NonFiniteError : public Error {
public:
    using Error::Error;
};

double norm2(const std::vector<float>& v) {
    double s = 0;
    for (float x : v) s += double(x) * x;
    return s;
}

std::string groupLabel(const Objective& o) {
    std::string s;
    for (const auto& [name, value] : o.indexValues) s += (s.empty() ? "" : ", ") + name + "=" + std::to_string(value);
    return s.empty() ? o.output : s;
}

} // namespace

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
        ModuleParams m{path, tree.at(id).type, {}};
        for (const StateEntry& e : tree.namedParametersOf(id)) m.tensors.push_back(m_store->indexOf(e.owner, e.tensorIndex));
        if (!m.tensors.empty()) m_modules.push_back(m);
        for (const ChildRef& c : tree.at(id).children) walk(c.id, path.empty() ? c.name : path + "." + c.name);
    };
    walk(0, "");

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
}

Trainer::~Trainer() {
    stop();
    if (m_thread.joinable()) m_thread.join();
}

void Trainer::setReportCallback(std::function<void(const Report&)> callback) {
    ML_ASSERT(!m_running.load()); // the training thread reads it without a lock
    m_callback = std::move(callback);
}

void Trainer::emit(const Report& r) {
    if (m_callback) m_callback(r);
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

const StepReport& Trainer::trainStep(std::span<const Index> rows) {
    fillBatch(m_data.train, rows);
    const std::vector<int>& which =
        m_config.roundRobin ? m_groups[static_cast<size_t>(m_step % static_cast<Index>(m_groups.size()))] : m_all;
    m_optimizer->setLr(currentLr());
    m_plan->zeroGrad();
    const std::vector<ObjectiveResult>& results = forwardBackward(which, true);
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
    if (m_config.clipGradNorm > 0) clipGradNorm(m_paramRefs, m_config.clipGradNorm);
    m_optimizer->step();
    ++m_step;
    r.step = m_step;
    r.epoch = m_epoch;
    r.lr = m_optimizer->lr();
    return r;
}

DiagnosticsReport Trainer::diagnose(std::span<const Index> rows) {
    fillBatch(m_data.train, rows);
    DiagnosticsReport d;
    d.step = m_step;
    // Keep what a diagnostic pass changes (BatchNorm's running statistics).
    std::vector<std::vector<float>> buffers;
    for (const StoredTensor& t : m_store->tensors())
        if (t.isBuffer) buffers.push_back(t.value);
    // Per objective group: its own gradient, for the task cosines.
    std::vector<std::vector<std::vector<float>>> perGroup;
    m_plan->zeroGrad();
    for (const std::vector<int>& g : m_groups) {
        std::vector<std::vector<float>> before;
        for (const StoredTensor& t : m_store->tensors()) before.push_back(t.grad);
        forwardBackward(g, true);
        std::vector<std::vector<float>> diff;
        for (size_t i = 0; i < m_store->tensors().size(); ++i) {
            const std::vector<float>& now = m_store->tensors()[i].grad;
            std::vector<float> delta(now.size());
            for (size_t k = 0; k < now.size(); ++k) delta[k] = now[k] - before[i][k];
            diff.push_back(std::move(delta));
        }
        perGroup.push_back(std::move(diff));
    }
    // The gradient of everything the step trains on (all groups, weighted as in training).
    for (size_t m = 0; m < m_modules.size(); ++m) {
        double g = 0, p = 0;
        for (int t : m_modules[m].tensors) {
            g += norm2(m_store->at(t).grad);
            p += norm2(m_store->at(t).value);
        }
        d.modules.push_back({m_modules[m].path, m_modules[m].type, std::sqrt(g), std::sqrt(p)});
    }
    for (const ParameterUse& u : m_plan->parameterUses())
        d.uses.push_back({m_store->at(u.parameter).name, u.label, std::sqrt(norm2(u.grad))});
    // The update/weight ratio is filled in by run() once the step has been taken.
    for (const StoredTensor& t : m_store->tensors())
        if (!t.isBuffer) d.parameters.push_back({t.name, std::sqrt(norm2(t.grad)), std::sqrt(norm2(t.value)), kNaN});
    for (size_t a = 0; a < m_groups.size(); ++a)
        for (size_t b = a + 1; b < m_groups.size(); ++b) {
            double dot = 0, na = 0, nb = 0;
            Index shared = 0;
            for (size_t i = 0; i < m_store->tensors().size(); ++i) {
                const auto& ga = perGroup[a][i];
                const auto& gb = perGroup[b][i];
                if (ga.empty() || norm2(ga) == 0 || norm2(gb) == 0) continue;
                ++shared;
                for (size_t k = 0; k < ga.size(); ++k) {
                    dot += double(ga[k]) * gb[k];
                    na += double(ga[k]) * ga[k];
                    nb += double(gb[k]) * gb[k];
                }
            }
            if (shared == 0) continue;
            d.taskCosines.push_back({groupLabel(m_objectives[static_cast<size_t>(m_groups[a].front())]),
                                     groupLabel(m_objectives[static_cast<size_t>(m_groups[b].front())]),
                                     dot / std::sqrt(na * nb), shared});
        }
    size_t k = 0;
    for (StoredTensor& t : m_store->tensors())
        if (t.isBuffer) t.value = buffers[k++];
    m_plan->zeroGrad();
    return d;
}

EpochReport Trainer::evaluate() {
    EpochReport e;
    e.epoch = m_epoch;
    const data::Dataset& set = m_data.validation;
    e.validationLoss.assign(m_objectives.size(), kNaN);
    e.validationAccuracy.assign(m_objectives.size(), kNaN);
    if (set.count() == 0) return e;
    std::vector<double> loss(m_objectives.size(), 0), correct(m_objectives.size(), 0), counted(m_objectives.size(), 0);
    m_plan->setTraining(false);
    struct BackToTraining {
        Plan& plan;
        ~BackToTraining() { plan.setTraining(true); }
    } restore{*m_plan};
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

void Trainer::start() {
    std::lock_guard<std::mutex> lock(m_mutex);
    if (m_running.load()) {
        m_paused = false;
        m_wake.notify_all();
        return;
    }
    if (m_thread.joinable()) m_thread.join();
    m_stopRequested = false; // a pause() before start() holds the run before its first step
    m_running = true;
    m_thread = std::thread([this] { run(); });
}

void Trainer::pause() {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_paused = true;
}

void Trainer::resume() {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_paused = false;
    m_stepsAllowed = 0;
    m_wake.notify_all();
}

void Trainer::step() {
    std::lock_guard<std::mutex> lock(m_mutex);
    if (!m_paused) return; // running already: a step request would only pile up
    ++m_stepsAllowed;
    m_wake.notify_all();
}

void Trainer::stop() {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_stopRequested = true;
    m_wake.notify_all();
}

void Trainer::wait() {
    if (m_thread.joinable()) m_thread.join();
}

bool Trainer::isPaused() const {
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_paused;
}

bool Trainer::waitForPermission() {
    std::unique_lock<std::mutex> lock(m_mutex);
    m_wake.wait(lock, [this] { return m_stopRequested || !m_paused || m_stepsAllowed > 0; });
    if (m_stopRequested) return false;
    if (m_paused) --m_stepsAllowed;
    return true;
}

void Trainer::run() {
    FinishedReport finished;
    try {
        setComputeThreads(m_config.threads);
        data::BatchSampler sampler(m_data.train.count(), m_plan->maxBatch(), true, m_config.seed + 5,
                                   /*dropLast*/ m_data.train.count() > m_plan->maxBatch());
        bool stopped = false;
        // m_epoch counts completed epochs, so a checkpoint taken mid-epoch resumes in it.
        while (m_epoch < m_config.epochs && !stopped) {
            const auto epochStart = std::chrono::steady_clock::now();
            std::fill(m_correct.begin(), m_correct.end(), 0);
            std::fill(m_seen.begin(), m_seen.end(), 0);
            double lossSum = 0;
            Index steps = 0;
            const Index perEpoch = sampler.batchesPerEpoch();
            auto last = std::chrono::steady_clock::now();
            for (std::span<const Index> rows = sampler.next(); !rows.empty(); rows = sampler.next()) {
                if (!waitForPermission() || (m_config.maxSteps > 0 && m_step >= m_config.maxSteps)) {
                    stopped = true;
                    break;
                }
                const bool diagnose = m_step % m_config.diagnosticsEvery == 0;
                DiagnosticsReport diag;
                std::vector<std::vector<float>> before;
                if (diagnose) {
                    diag = this->diagnose(rows);
                    for (const StoredTensor& t : m_store->tensors())
                        if (!t.isBuffer) before.push_back(t.value);
                }
                StepReport r = trainStep(rows);  // a copy: the callback may keep it
                if (diagnose) {
                    size_t k = 0;
                    for (const StoredTensor& t : m_store->tensors()) {
                        if (t.isBuffer) continue;
                        double update = 0;
                        for (size_t e = 0; e < t.value.size(); ++e)
                            update += (double(t.value[e]) - before[k][e]) * (double(t.value[e]) - before[k][e]);
                        ParameterStats& p = diag.parameters[k++];
                        p.updateRatio = p.paramNorm > 0 ? std::sqrt(update) / p.paramNorm : kNaN;
                    }
                }
                const auto now = std::chrono::steady_clock::now();
                r.stepsPerSecond = 1.0 / std::max(1e-9, std::chrono::duration<double>(now - last).count());
                last = now;
                r.epochFraction = double(++steps) / double(std::max<Index>(1, perEpoch));
                lossSum += r.loss;
                emit(r);
                if (diagnose) emit(diag);
            }
            if (stopped && steps == 0) break;
            EpochReport e = evaluate();
            e.trainLoss = steps ? lossSum / double(steps) : kNaN;
            e.trainAccuracy.assign(m_objectives.size(), kNaN);
            for (size_t k = 0; k < m_objectives.size(); ++k)
                if (m_seen[k] > 0) e.trainAccuracy[k] = m_correct[k] / m_seen[k];
            e.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - epochStart).count();
            emit(e);
            if (!stopped) ++m_epoch;
        }
        finished.reason = stopped ? FinishedReport::Reason::Stopped : FinishedReport::Reason::Completed;
        finished.message = stopped ? "stopped after step " + std::to_string(m_step) : "completed";
    } catch (const NonFiniteError& e) {
        finished.reason = FinishedReport::Reason::NonFinite;
        finished.message = e.what();
    } catch (const std::exception& e) {
        finished.reason = FinishedReport::Reason::Failed;
        finished.message = e.what();
    } catch (...) {
        finished.reason = FinishedReport::Reason::Failed;
        finished.message = "an unknown error stopped training";
    }
    finished.steps = m_step;
    {
        // Not running from here on: a start() prompted by the report joins this thread and begins anew.
        std::lock_guard<std::mutex> lock(m_mutex);
        m_running = false;
    }
    try {
        emit(finished);
    } catch (...) {
        // A callback that throws must not take the program down with this thread.
    }
}

void Trainer::saveCheckpoint(const std::string& path) const {
    std::vector<io::NamedTensor> tensors = io::storeToTensors(*m_store);
    for (Index i = 0; i < m_optimizer->paramCount(); ++i) {
        // Parameters are the store's non-buffer entries, in order.
        const std::string name = [&] {
            Index k = 0;
            for (const StoredTensor& t : m_store->tensors())
                if (!t.isBuffer && k++ == i) return t.name;
            return std::string();
        }();
        for (const std::string& s : m_optimizer->stateNames()) {
            if (!m_optimizer->hasState(i, s)) continue;
            const auto v = m_optimizer->state(i, s);
            io::NamedTensor n;
            n.name = kOptimizerPrefix + name + "." + s;
            n.shape = m_store->at(m_store->indexOf(name)).shape;
            n.f32.assign(v.begin(), v.end());
            tensors.push_back(std::move(n));
        }
        if (m_optimizer->tracksSteps()) {
            io::NamedTensor n;
            n.name = kOptimizerPrefix + name + ".step";
            n.dtype = io::DType::I64;
            n.i64 = {m_optimizer->stepCount(i)};
            tensors.push_back(std::move(n));
        }
    }
    io::writeSafetensors(path, tensors,
                         {{"format", "modulelab-checkpoint"}, {"model", m_doc.model},
                          {"optimizer", std::string(m_optimizer->kind())}, {"step", std::to_string(m_step)},
                          {"epoch", std::to_string(m_epoch)}});
}

void Trainer::loadCheckpoint(const std::string& path) {
    const io::SafetensorsFile file = io::readSafetensors(path);
    io::SafetensorsFile weights;
    for (const io::NamedTensor& t : file.tensors)
        if (!t.name.starts_with(kOptimizerPrefix)) weights.tensors.push_back(t);
    io::loadWeights(*m_store, weights, path);
    Index i = 0;
    for (const StoredTensor& t : m_store->tensors()) {
        if (t.isBuffer) continue;
        for (const std::string& s : m_optimizer->stateNames())
            if (const io::NamedTensor* n = file.find(kOptimizerPrefix + t.name + "." + s)) m_optimizer->setState(i, s, n->f32);
        if (const io::NamedTensor* n = file.find(kOptimizerPrefix + t.name + ".step"); n && !n->i64.empty())
            m_optimizer->setStepCount(i, n->i64[0]);
        ++i;
    }
    for (const auto& [key, value] : file.metadata) {
        if (key != "step" && key != "epoch") continue;
        Index number = -1;
        const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), number);
        if (error != std::errc() || end != value.data() + value.size() || number < 0)
            throw Error(path + ": metadata '" + key + "' is \"" + value + "\", not a count");
        (key == "step" ? m_step : m_epoch) = number;
    }
}

} // namespace ml
