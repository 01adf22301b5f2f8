#pragma once
// What a running trainer reports, and what the GUI plots: per step the
// losses and metrics; every few steps the diagnostics of every sub-model;
// per epoch the validation metrics; once, how the run ended.
#include "model/Definition.h"

#include <string>
#include <variant>
#include <vector>

namespace ml {

struct StepReport {
    Index step = 0;                        // 1-based count of optimizer steps
    Index epoch = 0;                       // 0-based
    double epochFraction = 0.0;            // progress within the epoch, 0..1
    double loss = 0.0;                     // weighted sum of the objectives run this step
    std::vector<double> objectiveLosses;   // per objective; NaN when not run this step (round robin)
    std::vector<double> runningAccuracy;   // per objective over the epoch so far; NaN for regression
    double lr = 0.0;
    double stepsPerSecond = 0.0;
};

struct ModuleGradient {
    std::string path;     // "" for the whole model
    std::string type;
    double gradNorm = 0;  // L2 over the module's unique parameters
    double paramNorm = 0;
};

struct ParameterStats {
    std::string name;
    double gradNorm = 0;
    double paramNorm = 0;
    double updateRatio = 0; // ||update|| / ||weight|| of this step
};

struct UseGradient {
    std::string parameter;  // a shared parameter
    std::string use;        // the call chain of this use, e.g. "ea > encoder.0"
    double gradNorm = 0;
};

struct TaskCosine {
    std::string taskA, taskB; // objective group labels, e.g. "task_index=0"
    double cosine = 0;        // of their gradients on the parameters both reach
    Index sharedParameters = 0;
};

// One task group's gradient on the shared parameters (those that more than
// one task group reaches): GradNorm's G_i, PCGrad's |g_i|.
struct TaskGradient {
    std::string task;   // objective group label, e.g. "task_index=0"
    double gradNorm = 0;
};

struct DiagnosticsReport {
    Index step = 0;
    std::vector<ModuleGradient> modules;
    std::vector<ParameterStats> parameters;
    std::vector<UseGradient> uses;
    std::vector<TaskCosine> taskCosines;
    std::vector<TaskGradient> taskGradients; // empty with fewer than two task groups
};

struct EpochReport {
    Index epoch = 0;
    double trainLoss = 0;
    std::vector<double> trainAccuracy;      // per objective; NaN for regression
    std::vector<double> validationLoss;     // per objective
    std::vector<double> validationAccuracy; // per objective; NaN for regression
    Index validationSamples = 0;
    double seconds = 0;
};

// Sent once, before the first step, so later reports can be read by position:
// DiagnosticsReport.modules[i] is modules[i] here, parameters likewise.
struct RunModule {
    std::string path;   // "" for the whole model
    std::string type;
    int depth = 0;      // 0 for the root, 1 for its children, ...
    std::vector<std::string> canvasNodes; // "Block/nodeId" of every call node that runs it
    std::vector<std::string> parameters;  // its unique parameters' names
};

struct RunDescription {
    std::string model;
    std::vector<RunModule> modules;         // each instance once, under its first path
    std::vector<std::string> parameters;    // trained tensors, store order
    std::vector<UseGradient> sharedUses;    // (parameter, use) of every shared parameter's call sites; gradNorm 0
    std::vector<std::string> objectives;    // labels, the order of StepReport.objectiveLosses
    std::vector<std::string> taskGroups;    // objective groups ("task_index=0"), the order of task cosines
    Index uniqueParameters = 0, naiveParameters = 0;
    Index stepsPerEpoch = 0, epochs = 0;
    int gridInputs = 0;                     // features per sample when decision regions can be drawn (2), else 0
};

// The run's control changes, in the order the training thread saw them.
struct RunEvent {
    enum class Kind { Started, Paused, Resumed, Stopped };
    Kind kind = Kind::Started;
    Index step = 0; // steps done when it happened
};

// The first output evaluated on requested points (eval mode, between steps).
struct GridReport {
    Index step = 0;
    Index points = 0;
    Index width = 0;            // scores per point
    std::vector<int> classes;   // argmax per point
    std::vector<float> scores;  // points x width, the raw output
};

struct FinishedReport {
    enum class Reason { Completed, Stopped, NonFinite, Failed };
    Reason reason = Reason::Completed;
    std::string message;
    Index steps = 0;
};

using Report = std::variant<StepReport, DiagnosticsReport, EpochReport, FinishedReport, RunDescription, RunEvent,
                            GridReport>;

Json reportToJson(const Report& report); // one line of a JSONL log
const char* finishReasonName(FinishedReport::Reason reason);
const char* runEventName(RunEvent::Kind kind);

} // namespace ml
