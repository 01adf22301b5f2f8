#pragma once
// Trains a model on its own thread and reports through a callback.
//
//   Trainer t(doc, config, loadTrainingData(config));
//   t.setReportCallback([](const Report& r) { ... });   // runs on the trainer's thread
//   t.start();  t.pause();  t.step();  t.resume();  t.stop();  t.wait();
//
// Control calls never block on training work: they set a request that the
// training thread picks up between steps.
#include "exec/Plan.h"
#include "io/Safetensors.h"
#include "train/Optimizer.h"
#include "train/Reports.h"
#include "train/TrainingData.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

namespace ml {

class Trainer {
public:
    // Adapts the model to the data, compiles it and initializes it (seeded).
    // Throws ml::Error when the model is invalid or the data does not fit it.
    Trainer(ModelDocument doc, TrainingConfig config, TrainingData data);
    ~Trainer();
    Trainer(const Trainer&) = delete;
    Trainer& operator=(const Trainer&) = delete;

    void setReportCallback(std::function<void(const Report&)> callback);

    void start();   // begins training (held before the first step if pause() came first)
    void pause();   // stops after the current step; resume() or step() go on
    void resume();
    void step();    // one step while paused
    void stop();    // ends the run after the current step
    void wait();    // blocks until the run has ended
    bool isRunning() const { return m_running.load(); }
    // Points (count x 2 features, row-major) that the run evaluates between
    // steps at most every `everySeconds`, sending a GridReport; empty: none.
    // Any thread, any time.
    void setEvaluationPoints(std::vector<float> points, double everySeconds = 0.25);
    bool isPaused() const;

    // Only while not running (before start() or after wait()):
    ParameterStore& parameters() { return *m_store; }
    Plan& plan() { return *m_plan; }
    Optimizer& optimizer() { return *m_optimizer; }
    const Analysis& analysis() const { return m_analysis; }
    const ModelDocument& model() const { return m_doc; }
    const TrainingConfig& config() const { return m_config; }
    const std::vector<Objective>& objectives() const { return m_objectives; }
    const TrainingData& data() const { return m_data; }
    const std::string& adaptation() const { return m_adaptation; }
    const RunDescription& description() const { return m_description; } // also the run's first report
    Index stepsDone() const { return m_step; }

    // The compute threads this model's steps run on: the configured count
    // (0: every core), except that a step under kMinMultiplyAddsPerThread
    // forward multiply-adds per extra thread runs on one: its ops are too
    // small to split, and every parallel region costs a cross-core round
    // trip (on this project's VMs up to 1 us when the host puts the two
    // vCPUs far apart), so the second core made such steps slower. Decided
    // from the model and batch alone, so a run's numbers never depend on
    // timing. useComputeThreads() applies it to the calling thread.
    static constexpr double kMinMultiplyAddsPerThread = 32.0e6;
    int stepThreads() const;
    void useComputeThreads() const;

    // Runs one training step on the given batch rows synchronously (tests, bench).
    // The report is the trainer's own, overwritten by the next step.
    // With `withDiagnostics`, the step also fills diagnostics() from its own
    // gradients (after backward, before clipping and the update) and the
    // update ratios of its update. With one objective group that costs no
    // extra pass; with several (tasks) each group gets its own backward (one
    // forward for all when the plan runs all branches, as the step's does),
    // and under round robin the other groups' passes are added and their
    // effect on running statistics undone. Allocates nothing in steady state.
    const StepReport& trainStep(std::span<const Index> rows, bool withDiagnostics = false);
    // The last diagnosed step's report (trainStep with withDiagnostics, or
    // diagnose()); step is the steps done before it. Under round robin the
    // modules, parameters and uses are the gradient the step applied (its one
    // group's); the task cosines and gradients compare every group.
    const DiagnosticsReport& diagnostics() const { return m_diag; }
    // Gradient diagnostics on a batch without changing the model (running
    // statistics restored, gradients zeroed after); every objective group
    // counts, as in joint training; update ratios left NaN.
    DiagnosticsReport diagnose(std::span<const Index> rows);
    EpochReport evaluate();                                   // validation metrics in eval mode
    // The first objective's output on points of description().gridInputs
    // features each, in eval mode; throws when the model cannot take them.
    GridReport evaluatePoints(std::span<const float> points);

    // Weights, optimizer state and step count in one safetensors file.
    void saveCheckpoint(const std::string& path) const;
    void loadCheckpoint(const std::string& path); // restore(file, path, true)
    // The same in memory. restore() throws ml::Error naming `path` (the
    // source) for weights that do not fit; with `counters` false the step and
    // epoch counts stay (a new run that starts from another run's weights).
    io::SafetensorsFile checkpoint() const;
    void restore(const io::SafetensorsFile& file, const std::string& path, bool counters);

private:
    struct ModuleParams {
        std::string path, type;
        InstanceId id = -1;
        std::vector<int> tensors; // store indices of its unique parameters
    };

    ModelDocument m_doc;
    TrainingConfig m_config;
    TrainingData m_data;
    std::string m_adaptation;
    Analysis m_analysis;
    std::unique_ptr<ParameterStore> m_store;
    std::unique_ptr<Plan> m_plan;
    std::unique_ptr<Optimizer> m_optimizer;
    std::vector<Objective> m_objectives;
    std::vector<std::vector<int>> m_groups;     // objectives sharing index values (round robin's unit)
    std::vector<std::vector<int>> m_planGroups; // the forwards a step needs with this plan
    std::vector<int> m_all;                     // every objective
    std::vector<ObjectiveResult> m_results;
    std::vector<ParamRef> m_paramRefs;
    StepReport m_stepReport;
    std::vector<ModuleParams> m_modules;
    // Diagnostics, kept between diagnosed steps so that they allocate nothing.
    DiagnosticsReport m_diag;
    std::vector<size_t> m_flatOffset;   // per store tensor: its parameter's offset in the flat buffers below
    size_t m_flatSize = 0;              // floats in all parameters
    std::vector<float> m_valuesBefore;  // flat parameters before the update (update ratios)
    std::vector<float> m_groupGrads;    // [group][flat]: each objective group's own gradient (tasks only)
    std::vector<int> m_groupOrder, m_groupPrev; // the groups' backward order; the group run before each (-1)
    int m_lastGroup = -1;
    std::function<void(int)> m_afterGroup; // snapshots the gradients after a group's backward
    std::vector<float> m_bufferSave;    // running statistics across round robin's extra passes
    std::vector<double> m_gradNorm2, m_valueNorm2; // per store tensor
    std::vector<double> m_groupNorm2;   // [group][store tensor]: the group's own squared gradient norm
    std::vector<int> m_reach;           // per store tensor: groups whose gradient reaches it
    RunDescription m_description;
    data::Batch m_batch;
    std::vector<std::vector<float>> m_inputSlices; // per float input, when the sample feeds several inputs
    std::vector<Index> m_inputWidths;              // elements per sample of each input (0 for an index)
    BatchView m_view;
    Index m_step = 0;
    Index m_epoch = 0;
    std::vector<double> m_correct, m_seen; // running accuracy over the epoch

    std::function<void(const Report&)> m_callback;
    std::thread m_thread;
    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    std::atomic<bool> m_running{false};
    bool m_paused = false, m_stopRequested = false;
    Index m_stepsAllowed = 0; // single steps granted while paused
    bool m_pauseReported = false;
    bool m_described = false; // the description goes out with the first run only
    std::vector<float> m_gridPoints; // under m_mutex
    double m_gridEvery = 0.25;
    bool m_gridChanged = false;

    void run();
    bool waitForPermission(); // false: stop
    void emit(const Report& r);
    void fillBatch(const data::Dataset& set, std::span<const Index> rows);
    const std::vector<ObjectiveResult>& forwardBackward(const std::vector<int>& which, bool backward);
    void prepareDiagnostics();                    // the report's names and the flat buffers
    void backwardPerGroup(int stepGroup);         // every group's own gradient; -1: the step trains all
    void fillDiagnostics();                       // from the gradients in the store (and per group)
    void fillUpdateRatios();                      // after the update, from m_valuesBefore
    double currentLr() const;
    void checkFinite(double loss, const std::vector<int>& which);
    void describe();
    void evaluateGridIfDue(std::chrono::steady_clock::time_point& last);
};

// A checkpoint holding only weights, at step 0 with no optimizer state: what
// `import-weights` writes so that `train --resume` starts from them.
void writeWeightsCheckpoint(const ParameterStore& store, const std::string& model, const std::string& path);

} // namespace ml
