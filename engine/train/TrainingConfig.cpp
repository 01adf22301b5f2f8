#include "train/TrainingConfig.h"

#include "core/Error.h"

#include <cmath>

namespace ml {

namespace {

[[noreturn]] void bad(const std::string& key, const std::string& what) {
    throw Error("training/" + key + ": " + what);
}

double number(const Json& j, const std::string& key, double fallback, double min, double max) {
    if (!j.contains(key)) return fallback;
    const Json& v = j[key];
    if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() < min || v.get<double>() > max)
        bad(key, "must be a number between " + std::to_string(min) + " and " + std::to_string(max) + ", got " +
                     v.dump());
    return v.get<double>();
}

Index integer(const Json& j, const std::string& key, Index fallback, Index min, Index max) {
    if (!j.contains(key)) return fallback;
    const Json& v = j[key];
    if (!v.is_number_integer() || v.get<Index>() < min || v.get<Index>() > max)
        bad(key, "must be an integer between " + std::to_string(min) + " and " + std::to_string(max) + ", got " +
                     v.dump());
    return v.get<Index>();
}

std::string text(const Json& j, const std::string& key, const std::string& fallback) {
    if (!j.contains(key)) return fallback;
    if (!j[key].is_string()) bad(key, "must be a string, got " + j[key].dump());
    return j[key].get<std::string>();
}

} // namespace

TrainingConfig readTrainingConfig(const Json& t) {
    TrainingConfig c;
    if (t.is_null()) return c;
    if (!t.is_object()) throw Error("training: must be an object");
    c.dataset = text(t, "dataset", "");
    c.batchSize = integer(t, "batch_size", c.batchSize, 1, 1 << 20);
    c.epochs = integer(t, "epochs", c.epochs, 1, 1'000'000);
    c.maxSteps = integer(t, "max_steps", 0, 0, Index(1) << 40);
    c.seed = static_cast<std::uint64_t>(integer(t, "seed", 0, 0, Index(1) << 62));
    c.threads = static_cast<int>(integer(t, "threads", 0, 0, 256));
    c.validationFraction = number(t, "validation_fraction", c.validationFraction, 0.0, 0.9);
    c.clipGradNorm = number(t, "clip_grad_norm", 0.0, 0.0, 1e12);
    c.diagnosticsEvery = integer(t, "diagnostics_every", c.diagnosticsEvery, 1, 1'000'000);
    const std::string schedule = text(t, "schedule", "joint");
    if (schedule != "joint" && schedule != "round_robin") bad("schedule", "must be \"joint\" or \"round_robin\"");
    c.roundRobin = schedule == "round_robin";
    if (t.contains("csv_targets")) {
        if (!t["csv_targets"].is_array()) bad("csv_targets", "must be a list of column names");
        for (const Json& v : t["csv_targets"]) c.csvTargets.push_back(v.get<std::string>());
    }
    if (t.contains("optimizer")) {
        const Json& o = t["optimizer"];
        if (!o.is_object()) bad("optimizer", "must be an object");
        c.optimizer.type = text(o, "type", "sgd");
        if (c.optimizer.type != "sgd" && c.optimizer.type != "adam" && c.optimizer.type != "adamw")
            bad("optimizer/type", "must be sgd, adam or adamw, got \"" + c.optimizer.type + "\"");
        if (c.optimizer.type == "adamw") c.optimizer.weightDecay = 1e-2;
        if (c.optimizer.type != "sgd") c.optimizer.lr = 1e-3;
        c.optimizer.lr = number(o, "lr", c.optimizer.lr, 0.0, 1e6);
        c.optimizer.momentum = number(o, "momentum", 0.0, 0.0, 1.0);
        c.optimizer.dampening = number(o, "dampening", 0.0, 0.0, 1.0);
        if (o.contains("nesterov") && !o["nesterov"].is_boolean()) bad("optimizer/nesterov", "must be true or false");
        c.optimizer.nesterov = o.value("nesterov", false);
        c.optimizer.weightDecay = number(o, "weight_decay", c.optimizer.weightDecay, 0.0, 1e6);
        if (o.contains("betas")) {
            const Json& b = o["betas"];
            if (!b.is_array() || b.size() != 2 || !b[0].is_number() || !b[1].is_number())
                bad("optimizer/betas", "must be [beta1, beta2]");
            c.optimizer.beta1 = b[0].get<double>();
            c.optimizer.beta2 = b[1].get<double>();
        }
        c.optimizer.eps = number(o, "eps", c.optimizer.eps, 0.0, 1.0);
    }
    if (t.contains("lr_schedule")) {
        const Json& s = t["lr_schedule"];
        if (!s.is_object()) bad("lr_schedule", "must be an object");
        c.lrSchedule.type = text(s, "type", "");
        if (c.lrSchedule.type != "step" && c.lrSchedule.type != "cosine" && !c.lrSchedule.type.empty())
            bad("lr_schedule/type", "must be \"step\" or \"cosine\"");
        c.lrSchedule.stepSize = integer(s, "step_size", 1, 1, 1'000'000);
        c.lrSchedule.gamma = number(s, "gamma", 0.1, 0.0, 1.0);
        c.lrSchedule.tMax = integer(s, "t_max", 0, 0, 1'000'000);
        c.lrSchedule.etaMin = number(s, "eta_min", 0.0, 0.0, 1e6);
    }
    if (t.contains("losses")) {
        const Json& losses = t["losses"];
        if (!losses.is_object()) bad("losses", "must map output names to lists of losses");
        for (auto it = losses.begin(); it != losses.end(); ++it) {
            const Json& list = it.value().is_array() ? it.value() : Json::array({it.value()});
            for (size_t i = 0; i < list.size(); ++i) {
                const Json& l = list[i];
                const std::string key = "losses/" + it.key() + "/" + std::to_string(i);
                if (!l.is_object()) bad(key, "must be an object {\"loss\", \"target\"}");
                Objective o;
                o.output = it.key();
                try {
                    o.loss = lossKindFromName(text(l, "loss", "cross_entropy"));
                } catch (const Error& e) {
                    bad(key + "/loss", e.what());
                }
                o.target = text(l, "target", "label");
                o.weight = static_cast<float>(number(l, "weight", 1.0, 0.0, 1e6));
                for (auto f = l.begin(); f != l.end(); ++f) {
                    if (f.key() == "loss" || f.key() == "target" || f.key() == "weight") continue;
                    if (!f.value().is_number_integer())
                        bad(key + "/" + f.key(), "an index input's value must be an integer");
                    o.indexValues.push_back({f.key(), f.value().get<Index>()});
                }
                c.objectives.push_back(o);
            }
        }
    }
    return c;
}

Json trainingConfigToJson(const TrainingConfig& c) {
    Json t = Json::object();
    if (!c.dataset.empty()) t["dataset"] = c.dataset;
    Json losses = Json::object();
    for (const Objective& o : c.objectives) {
        Json l = Json::object();
        for (const auto& [name, value] : o.indexValues) l[name] = value;
        l["loss"] = lossKindName(o.loss);
        l["target"] = o.target;
        l["weight"] = o.weight;
        if (!losses.contains(o.output)) losses[o.output] = Json::array();
        losses[o.output].push_back(l);
    }
    if (!losses.empty()) t["losses"] = losses;
    t["schedule"] = c.roundRobin ? "round_robin" : "joint";
    Json opt = {{"type", c.optimizer.type}, {"lr", c.optimizer.lr}};
    if (c.optimizer.type == "sgd") {
        opt["momentum"] = c.optimizer.momentum;
        if (c.optimizer.nesterov) opt["nesterov"] = true;
    } else {
        opt["betas"] = {c.optimizer.beta1, c.optimizer.beta2};
    }
    if (c.optimizer.weightDecay) opt["weight_decay"] = c.optimizer.weightDecay;
    t["optimizer"] = opt;
    t["batch_size"] = c.batchSize;
    t["epochs"] = c.epochs;
    t["seed"] = c.seed;
    return t;
}

} // namespace ml
