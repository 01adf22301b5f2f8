#pragma once
// Collects a trainer's reports on its thread and hands them to a reader (the
// window's timer) in time buckets: the steps that arrive within one interval
// become one StepReport, so the reader gets at most 1/interval step points a
// second whether the model runs 50 or 100,000 steps a second.
//
//   ReportAggregator agg(1.0 / 30);
//   trainer.setReportCallback([&](const Report& r) { agg.push(r); });
//   ...on a 25 Hz timer:  ReportBatch b = agg.take();
#include "train/Reports.h"

#include <chrono>
#include <mutex>
#include <optional>

namespace ml {

struct ReportBatch {
    std::optional<RunDescription> description;
    std::vector<RunEvent> events;               // every one, in order
    std::vector<StepReport> steps;              // one per interval: mean losses, the last step's counters
    std::vector<DiagnosticsReport> diagnostics; // up to kDiagnosticsPerInterval per interval, the latest last
    std::vector<EpochReport> epochs;            // every one
    std::optional<GridReport> grid;             // the latest
    std::optional<FinishedReport> finished;
    Index stepsMerged = 0;                      // step reports behind `steps`
    bool empty() const;
};

class ReportAggregator {
public:
    // Diagnostics come every few steps: a short or slow run keeps its points,
    // a fast one keeps this many per interval (the latest replacing the last).
    static constexpr int kDiagnosticsPerInterval = 8;

    explicit ReportAggregator(double intervalSeconds = 1.0 / 30);

    void push(const Report& report);                 // timed by the steady clock
    void push(const Report& report, double seconds); // at a given time (tests)
    ReportBatch take();                              // everything since the last take()
    void clear();

private:
    struct OpenSteps {
        StepReport merged;
        std::vector<double> lossSums, lossCounts;
        double lossSum = 0, secondsPerStep = 0;
        Index count = 0;
        double start = 0;
    };
    double m_interval;
    std::chrono::steady_clock::time_point m_epoch = std::chrono::steady_clock::now();
    std::mutex m_mutex;
    ReportBatch m_pending;
    OpenSteps m_open;
    double m_diagnosticsStart = -1e300;
    int m_diagnosticsInInterval = 0;

    void closeSteps(); // under the lock
};

} // namespace ml
