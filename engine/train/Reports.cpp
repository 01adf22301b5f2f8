#include "train/Reports.h"

#include <cmath>

namespace ml {

namespace {

// JSON has no NaN: not-applicable numbers are written as null.
Json num(double x) { return std::isfinite(x) ? Json(x) : Json(); }

Json nums(const std::vector<double>& xs) {
    Json a = Json::array();
    for (double x : xs) a.push_back(num(x));
    return a;
}

} // namespace

const char* finishReasonName(FinishedReport::Reason reason) {
    switch (reason) {
    case FinishedReport::Reason::Completed: return "completed";
    case FinishedReport::Reason::Stopped: return "stopped";
    case FinishedReport::Reason::NonFinite: return "non_finite";
    case FinishedReport::Reason::Failed: return "failed";
    }
    return "?";
}

const char* runEventName(RunEvent::Kind kind) {
    switch (kind) {
    case RunEvent::Kind::Started: return "started";
    case RunEvent::Kind::Paused: return "paused";
    case RunEvent::Kind::Resumed: return "resumed";
    case RunEvent::Kind::Stopped: return "stopped";
    }
    return "?";
}

Json reportToJson(const Report& report) {
    Json j = Json::object();
    if (const auto* s = std::get_if<StepReport>(&report)) {
        j["type"] = "step";
        j["step"] = s->step;
        j["epoch"] = s->epoch;
        j["epoch_fraction"] = s->epochFraction;
        j["loss"] = num(s->loss);
        j["losses"] = nums(s->objectiveLosses);
        j["accuracy"] = nums(s->runningAccuracy);
        j["lr"] = s->lr;
        j["steps_per_sec"] = s->stepsPerSecond;
    } else if (const auto* d = std::get_if<DiagnosticsReport>(&report)) {
        j["type"] = "diagnostics";
        j["step"] = d->step;
        Json modules = Json::array();
        for (const ModuleGradient& m : d->modules)
            modules.push_back({{"path", m.path}, {"type", m.type}, {"grad_norm", num(m.gradNorm)}, {"param_norm", num(m.paramNorm)}});
        j["modules"] = modules;
        Json params = Json::array();
        for (const ParameterStats& p : d->parameters)
            params.push_back({{"name", p.name}, {"grad_norm", num(p.gradNorm)}, {"param_norm", num(p.paramNorm)},
                              {"update_ratio", num(p.updateRatio)}});
        j["parameters"] = params;
        Json uses = Json::array();
        for (const UseGradient& u : d->uses)
            uses.push_back({{"parameter", u.parameter}, {"use", u.use}, {"grad_norm", num(u.gradNorm)}});
        j["shared_uses"] = uses;
        Json cos = Json::array();
        for (const TaskCosine& c : d->taskCosines)
            cos.push_back({{"a", c.taskA}, {"b", c.taskB}, {"cosine", num(c.cosine)}, {"shared_parameters", c.sharedParameters}});
        j["task_cosines"] = cos;
        Json norms = Json::array();
        for (const TaskGradient& t : d->taskGradients) norms.push_back({{"task", t.task}, {"grad_norm", num(t.gradNorm)}});
        j["task_grad_norms"] = norms;
    } else if (const auto* e = std::get_if<EpochReport>(&report)) {
        j["type"] = "epoch";
        j["epoch"] = e->epoch;
        j["train_loss"] = num(e->trainLoss);
        j["train_accuracy"] = nums(e->trainAccuracy);
        j["validation_loss"] = nums(e->validationLoss);
        j["validation_accuracy"] = nums(e->validationAccuracy);
        j["validation_samples"] = e->validationSamples;
        j["seconds"] = e->seconds;
    } else if (const auto* rd = std::get_if<RunDescription>(&report)) {
        j["type"] = "description";
        j["model"] = rd->model;
        Json modules = Json::array();
        for (const RunModule& m : rd->modules)
            modules.push_back({{"path", m.path}, {"type", m.type}, {"depth", m.depth}, {"canvas_nodes", m.canvasNodes},
                               {"parameters", m.parameters}});
        j["modules"] = modules;
        j["parameters"] = rd->parameters;
        Json uses = Json::array();
        for (const UseGradient& u : rd->sharedUses) uses.push_back({{"parameter", u.parameter}, {"use", u.use}});
        j["shared_uses"] = uses;
        j["objectives"] = rd->objectives;
        j["task_groups"] = rd->taskGroups;
        j["unique_parameters"] = rd->uniqueParameters;
        j["naive_parameters"] = rd->naiveParameters;
        j["steps_per_epoch"] = rd->stepsPerEpoch;
        j["epochs"] = rd->epochs;
        j["grid_inputs"] = rd->gridInputs;
    } else if (const auto* ev = std::get_if<RunEvent>(&report)) {
        j["type"] = "event";
        j["event"] = runEventName(ev->kind);
        j["step"] = ev->step;
    } else if (const auto* g = std::get_if<GridReport>(&report)) {
        j["type"] = "grid";
        j["step"] = g->step;
        j["points"] = g->points;
        j["classes"] = g->classes;
    } else if (const auto* f = std::get_if<FinishedReport>(&report)) {
        j["type"] = "finished";
        j["reason"] = finishReasonName(f->reason);
        j["message"] = f->message;
        j["steps"] = f->steps;
    }
    return j;
}

} // namespace ml
