#pragma once
// A run is what the plots show: the settings it trained with, the model
// revision it trained, and its series by name. It is fed either live (the
// session's report batches) or from a `modulelab-cli train --log` JSONL
// file, through the same append(), so both are viewed the same way.
//
// Series names: "loss", "loss: <objective>", "validation loss: <objective>",
// "accuracy: <objective>", "validation accuracy: <objective>",
// "grad norm: <module path>", "update ratio: <module path>",
// "use grad: <parameter> @ <use>", "use grad sum: <parameter>",
// "cosine: <task> | <task>", "task grad norm: <task>"; the module path of
// the whole model is "(model)".
#include "train/ReportAggregator.h"

#include <QString>
#include <map>
#include <optional>
#include <vector>

namespace ml::gui {

struct Series {
    std::vector<double> x, y; // x: steps; y may hold NaN (not applicable)
};

// What a plot's x axis counts: optimizer steps, epochs (steps / steps per
// epoch), or wall-clock seconds since the run started (from the step rates
// the reports carry, so a log opened later has the same axis).
enum class XAxis { Step, Epoch, Time };

class Run {
public:
    QString name;
    Json settings = Json::object();
    QString revision;          // the model file and its undo position it trained
    std::optional<RunDescription> description;
    std::map<QString, Series> series;
    std::optional<GridReport> grid;
    std::optional<FinishedReport> finished;
    std::vector<RunEvent> events;
    std::vector<Report> log;   // every report as received (grids left out): what saveJsonl() writes
    Index steps = 0;
    double stepsPerSecond = 0;
    Index conflictSteps = 0, cosineSteps = 0; // diagnostics steps with some cosine < 0, and with any

    void append(const ReportBatch& batch);
    // Throws ml::Error naming the file and line for a log that is not one.
    static Run fromJsonl(const QString& path);

    // Both throw ml::Error naming the file when it cannot be written.
    void saveJsonl(const QString& path) const; // reads back with fromJsonl() and `modulelab-cli log`
    void saveCsv(const QString& path) const;   // series,step,value: every raw point

    double xOf(double step, XAxis axis) const;
    double secondsAt(double step) const; // wall time at a step (interpolated)

    static QString modulePath(const std::string& path); // "(model)" for ""
    // The modules drawn at a depth of the module tree: those at `depth`, a
    // ModuleList (no forward of its own) replaced by its items.
    std::vector<QString> modulesAtDepth(int depth) const;

private:
    void add(const QString& key, double x, double y);
    std::vector<double> m_timeSteps{0.0}, m_timeSeconds{0.0}; // step -> seconds, increasing
};

} // namespace ml::gui
