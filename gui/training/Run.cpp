#include "training/Run.h"

#include "core/Error.h"

#include <QFile>
#include <algorithm>
#include <cmath>
#include <limits>

namespace ml::gui {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

QString qs(const std::string& s) { return QString::fromStdString(s); }

double num(const Json& j) { return j.is_number() ? j.get<double>() : kNaN; }

std::vector<double> nums(const Json& j) {
    std::vector<double> out;
    if (j.is_array())
        for (const Json& x : j) out.push_back(num(x));
    return out;
}

} // namespace

QString Run::modulePath(const std::string& path) { return path.empty() ? QStringLiteral("(model)") : qs(path); }

void Run::add(const QString& key, double x, double y) {
    Series& s = series[key];
    s.x.push_back(x);
    s.y.push_back(y);
}

std::vector<QString> Run::modulesAtDepth(int depth) const {
    std::vector<QString> out;
    if (!description) return out;
    const auto& mods = description->modules;
    for (const RunModule& m : mods) {
        const bool listItem = [&] {
            // An item of a ModuleList one level up stands in for its list.
            for (const RunModule& p : mods)
                if (p.type == "ModuleList" && p.depth == depth && m.depth == depth + 1 &&
                    m.path.starts_with(p.path + "."))
                    return true;
            return false;
        }();
        if ((m.depth == depth && m.type != "ModuleList") || listItem) out.push_back(modulePath(m.path));
    }
    return out;
}

double Run::secondsAt(double step) const {
    const auto it = std::lower_bound(m_timeSteps.begin(), m_timeSteps.end(), step);
    if (it == m_timeSteps.end()) return m_timeSeconds.back();
    const size_t i = static_cast<size_t>(it - m_timeSteps.begin());
    if (i == 0 || *it == step) return m_timeSeconds[i];
    const double f = (step - m_timeSteps[i - 1]) / (m_timeSteps[i] - m_timeSteps[i - 1]);
    return m_timeSeconds[i - 1] + f * (m_timeSeconds[i] - m_timeSeconds[i - 1]);
}

double Run::xOf(double step, XAxis axis) const {
    switch (axis) {
    case XAxis::Step: return step;
    case XAxis::Epoch: return description && description->stepsPerEpoch > 0 ? step / double(description->stepsPerEpoch) : step;
    case XAxis::Time: return secondsAt(step);
    }
    return step;
}

void Run::saveJsonl(const QString& path) const {
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate)) throw Error(path.toStdString() + ": cannot write the run log");
    for (const Report& r : log) {
        const std::string line = reportToJson(r).dump() + "\n";
        f.write(line.data(), qint64(line.size()));
    }
    if (!f.flush()) throw Error(path.toStdString() + ": cannot write the run log");
}

void Run::saveCsv(const QString& path) const {
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate)) throw Error(path.toStdString() + ": cannot write the CSV");
    QByteArray out = "series,step,value\n";
    for (const auto& [name, s] : series) {
        const QByteArray quoted = '"' + name.toUtf8().replace('"', "\"\"") + "\",";
        for (size_t i = 0; i < s.x.size(); ++i)
            out += quoted + QByteArray::number(s.x[i], 'g', 12) + ',' +
                   (std::isfinite(s.y[i]) ? QByteArray::number(s.y[i], 'g', 9) : QByteArray()) + '\n';
    }
    if (f.write(out) != out.size()) throw Error(path.toStdString() + ": cannot write the CSV");
}

void Run::append(const ReportBatch& b) {
    if (b.description) {
        description = b.description;
        log.push_back(*b.description);
    }
    for (const RunEvent& e : b.events) log.push_back(e);
    for (const StepReport& s : b.steps) {
        log.push_back(s);
        // Wall time from the step rates: each report covers the steps since the previous one.
        const double dt = s.stepsPerSecond > 0 ? (double(s.step) - m_timeSteps.back()) / s.stepsPerSecond : 0;
        if (double(s.step) > m_timeSteps.back()) {
            m_timeSteps.push_back(double(s.step));
            m_timeSeconds.push_back(m_timeSeconds.back() + std::max(0.0, dt));
        }
    }
    for (const DiagnosticsReport& d : b.diagnostics) log.push_back(d);
    for (const EpochReport& e : b.epochs) log.push_back(e);
    if (b.finished) log.push_back(*b.finished);
    const auto objective = [&](size_t k) {
        return description && k < description->objectives.size() ? qs(description->objectives[k])
                                                                 : QString::number(k);
    };
    for (const StepReport& s : b.steps) {
        const double x = double(s.step);
        add(QStringLiteral("loss"), x, s.loss);
        for (size_t k = 0; k < s.objectiveLosses.size(); ++k)
            if (!std::isnan(s.objectiveLosses[k])) add(QStringLiteral("loss: ") + objective(k), x, s.objectiveLosses[k]);
        for (size_t k = 0; k < s.runningAccuracy.size(); ++k)
            if (!std::isnan(s.runningAccuracy[k])) add(QStringLiteral("accuracy: ") + objective(k), x, s.runningAccuracy[k]);
        steps = s.step;
        stepsPerSecond = s.stepsPerSecond;
    }
    for (const DiagnosticsReport& d : b.diagnostics) {
        const double x = double(d.step);
        std::map<std::string, const ParameterStats*> byName;
        for (const ParameterStats& p : d.parameters) byName[p.name] = &p;
        for (size_t i = 0; i < d.modules.size(); ++i) {
            const ModuleGradient& m = d.modules[i];
            add(QStringLiteral("grad norm: ") + modulePath(m.path), x, m.gradNorm);
            // The module's update ratio: ||update|| over its unique parameters / ||weights||.
            if (description && i < description->modules.size() && m.paramNorm > 0) {
                double update = 0;
                bool any = false;
                for (const std::string& name : description->modules[i].parameters)
                    if (auto it = byName.find(name); it != byName.end() && std::isfinite(it->second->updateRatio)) {
                        const double u = it->second->updateRatio * it->second->paramNorm;
                        update += u * u;
                        any = true;
                    }
                if (any) add(QStringLiteral("update ratio: ") + modulePath(m.path), x, std::sqrt(update) / m.paramNorm);
            }
        }
        std::map<std::string, double> sums;
        for (const UseGradient& u : d.uses) {
            add(QStringLiteral("use grad: %1 @ %2").arg(qs(u.parameter), qs(u.use)), x, u.gradNorm);
            sums[u.parameter];
        }
        for (auto& [param, sum] : sums)
            if (auto it = byName.find(param); it != byName.end()) add(QStringLiteral("use grad sum: ") + qs(param), x, it->second->gradNorm);
        for (const TaskGradient& t : d.taskGradients) add(QStringLiteral("task grad norm: ") + qs(t.task), x, t.gradNorm);
        bool conflict = false;
        for (const TaskCosine& c : d.taskCosines) {
            add(QStringLiteral("cosine: %1 | %2").arg(qs(c.taskA), qs(c.taskB)), x, c.cosine);
            conflict |= c.cosine < 0;
        }
        if (!d.taskCosines.empty()) {
            ++cosineSteps;
            conflictSteps += conflict;
        }
    }
    for (const EpochReport& e : b.epochs) {
        // Epoch reports carry no step: the epoch's end, or the last step of a stopped one.
        const Index end = description ? (e.epoch + 1) * description->stepsPerEpoch : steps;
        const double x = double(std::min(end, steps));
        for (size_t k = 0; k < e.validationLoss.size(); ++k)
            if (!std::isnan(e.validationLoss[k])) add(QStringLiteral("validation loss: ") + objective(k), x, e.validationLoss[k]);
        for (size_t k = 0; k < e.validationAccuracy.size(); ++k)
            if (!std::isnan(e.validationAccuracy[k]))
                add(QStringLiteral("validation accuracy: ") + objective(k), x, e.validationAccuracy[k]);
    }
    events.insert(events.end(), b.events.begin(), b.events.end());
    if (b.grid) grid = b.grid;
    if (b.finished) finished = b.finished;
}

Run Run::fromJsonl(const QString& path) {
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) throw Error(path.toStdString() + ": cannot read the run log");
    Run run;
    run.name = path.section(QLatin1Char('/'), -1);
    run.revision = path;
    ReportBatch b;
    int line = 0;
    while (!f.atEnd()) {
        const QByteArray text = f.readLine().trimmed();
        ++line;
        if (text.isEmpty()) continue;
        const std::string where = path.toStdString() + ":" + std::to_string(line);
        Json j;
        try {
            j = Json::parse(text.toStdString());
        } catch (const std::exception& e) {
            throw Error(where + ": not a JSON line of a training log (" + e.what() + ")");
        }
        if (!j.is_object() || !j.contains("type") || !j["type"].is_string())
            throw Error(where + ": a training log line needs a \"type\"");
        const std::string type = j["type"];
        try {
            if (type == "description") {
                RunDescription d;
                d.model = j.value("model", "");
                for (const Json& m : j.at("modules"))
                    d.modules.push_back({m.at("path"), m.at("type"), m.value("depth", 0),
                                         m.value("canvas_nodes", std::vector<std::string>{}),
                                         m.value("parameters", std::vector<std::string>{})});
                d.parameters = j.value("parameters", std::vector<std::string>{});
                for (const Json& u : j.at("shared_uses")) d.sharedUses.push_back({u.at("parameter"), u.at("use"), 0});
                d.objectives = j.value("objectives", std::vector<std::string>{});
                d.taskGroups = j.value("task_groups", std::vector<std::string>{});
                d.uniqueParameters = j.value("unique_parameters", Index(0));
                d.naiveParameters = j.value("naive_parameters", Index(0));
                d.stepsPerEpoch = j.value("steps_per_epoch", Index(0));
                d.epochs = j.value("epochs", Index(0));
                d.gridInputs = j.value("grid_inputs", 0);
                b.description = d;
            } else if (type == "step") {
                StepReport s;
                s.step = j.at("step");
                s.epoch = j.value("epoch", Index(0));
                s.loss = num(j.at("loss"));
                s.objectiveLosses = nums(j.at("losses"));
                s.runningAccuracy = nums(j.value("accuracy", Json::array()));
                s.lr = num(j.value("lr", Json()));
                s.stepsPerSecond = num(j.value("steps_per_sec", Json()));
                b.steps.push_back(std::move(s));
            } else if (type == "diagnostics") {
                DiagnosticsReport d;
                d.step = j.at("step");
                for (const Json& m : j.at("modules"))
                    d.modules.push_back({m.at("path"), m.at("type"), num(m.at("grad_norm")), num(m.at("param_norm"))});
                for (const Json& p : j.at("parameters"))
                    d.parameters.push_back({p.at("name"), num(p.at("grad_norm")), num(p.at("param_norm")), num(p.at("update_ratio"))});
                for (const Json& u : j.at("shared_uses")) d.uses.push_back({u.at("parameter"), u.at("use"), num(u.at("grad_norm"))});
                for (const Json& c : j.at("task_cosines"))
                    d.taskCosines.push_back({c.at("a"), c.at("b"), num(c.at("cosine")), c.value("shared_parameters", Index(0))});
                for (const Json& t : j.value("task_grad_norms", Json::array())) d.taskGradients.push_back({t.at("task"), num(t.at("grad_norm"))});
                b.diagnostics.push_back(std::move(d));
            } else if (type == "epoch") {
                EpochReport e;
                e.epoch = j.at("epoch");
                e.trainLoss = num(j.value("train_loss", Json()));
                e.validationLoss = nums(j.at("validation_loss"));
                e.validationAccuracy = nums(j.value("validation_accuracy", Json::array()));
                // An epoch's points go after the steps before it.
                run.append(b);
                b = ReportBatch();
                ReportBatch epoch;
                epoch.epochs.push_back(std::move(e));
                run.append(epoch);
            } else if (type == "finished") {
                FinishedReport fr;
                fr.message = j.value("message", "");
                fr.steps = j.value("steps", Index(0));
                const std::string reason = j.value("reason", "completed");
                fr.reason = reason == "stopped"      ? FinishedReport::Reason::Stopped
                            : reason == "non_finite" ? FinishedReport::Reason::NonFinite
                            : reason == "failed"     ? FinishedReport::Reason::Failed
                                                     : FinishedReport::Reason::Completed;
                b.finished = fr;
            } else if (type == "event") {
                const std::string e = j.at("event");
                RunEvent ev;
                ev.step = j.at("step");
                ev.kind = e == "paused" ? RunEvent::Kind::Paused
                          : e == "resumed" ? RunEvent::Kind::Resumed
                          : e == "stopped" ? RunEvent::Kind::Stopped
                                           : RunEvent::Kind::Started;
                b.events.push_back(ev);
            }
            // "grid" lines: nothing to plot from a log.
        } catch (const Error&) {
            throw;
        } catch (const std::exception& e) {
            throw Error(where + ": a \"" + type + "\" line is missing a field or has a wrong type (" + e.what() + ")");
        }
    }
    run.append(b);
    if (run.series.empty()) throw Error(path.toStdString() + ": no training reports in this file");
    return run;
}

} // namespace ml::gui
