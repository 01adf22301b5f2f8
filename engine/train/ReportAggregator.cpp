#include "train/ReportAggregator.h"

#include <cmath>
#include <limits>

namespace ml {

bool ReportBatch::empty() const {
    return !description && events.empty() && steps.empty() && diagnostics.empty() && epochs.empty() && !grid &&
           !finished;
}

ReportAggregator::ReportAggregator(double intervalSeconds) : m_interval(intervalSeconds) {}

void ReportAggregator::push(const Report& report) {
    push(report, std::chrono::duration<double>(std::chrono::steady_clock::now() - m_epoch).count());
}

void ReportAggregator::closeSteps() {
    OpenSteps& o = m_open;
    if (o.count == 0) return;
    StepReport r = o.merged; // the last step's counters, lr and accuracy
    r.loss = o.lossSum / double(o.count);
    for (size_t k = 0; k < r.objectiveLosses.size(); ++k)
        r.objectiveLosses[k] = o.lossCounts[k] > 0 ? o.lossSums[k] / o.lossCounts[k]
                                                   : std::numeric_limits<double>::quiet_NaN();
    // The rate over the bucket: steps over the time they took (not a mean of rates).
    r.stepsPerSecond = o.secondsPerStep > 0 ? double(o.count) / o.secondsPerStep : r.stepsPerSecond;
    m_pending.steps.push_back(std::move(r));
    m_pending.stepsMerged += o.count;
    o.count = 0;
}

void ReportAggregator::push(const Report& report, double seconds) {
    std::lock_guard<std::mutex> lock(m_mutex);
    if (const auto* s = std::get_if<StepReport>(&report)) {
        OpenSteps& o = m_open;
        if (o.count > 0 && seconds >= o.start + m_interval) closeSteps();
        if (o.count == 0) {
            o.start = seconds;
            o.lossSum = o.secondsPerStep = 0;
            o.lossSums.assign(s->objectiveLosses.size(), 0);
            o.lossCounts.assign(s->objectiveLosses.size(), 0);
        }
        o.merged = *s;
        o.lossSum += s->loss;
        if (s->stepsPerSecond > 0) o.secondsPerStep += 1.0 / s->stepsPerSecond;
        for (size_t k = 0; k < s->objectiveLosses.size() && k < o.lossSums.size(); ++k)
            if (!std::isnan(s->objectiveLosses[k])) {
                o.lossSums[k] += s->objectiveLosses[k];
                o.lossCounts[k] += 1;
            }
        ++o.count;
    } else if (const auto* d = std::get_if<DiagnosticsReport>(&report)) {
        if (seconds >= m_diagnosticsStart + m_interval) {
            m_diagnosticsStart = seconds;
            m_diagnosticsInInterval = 0;
        }
        if (m_diagnosticsInInterval < kDiagnosticsPerInterval || m_pending.diagnostics.empty()) {
            m_pending.diagnostics.push_back(*d);
            ++m_diagnosticsInInterval;
        } else {
            m_pending.diagnostics.back() = *d;
        }
    } else if (const auto* e = std::get_if<EpochReport>(&report)) {
        closeSteps(); // the epoch's point comes after its steps
        m_pending.epochs.push_back(*e);
    } else if (const auto* f = std::get_if<FinishedReport>(&report)) {
        closeSteps();
        m_pending.finished = *f;
    } else if (const auto* rd = std::get_if<RunDescription>(&report)) {
        m_pending.description = *rd;
    } else if (const auto* ev = std::get_if<RunEvent>(&report)) {
        closeSteps(); // a pause shows the exact step it stopped at
        m_pending.events.push_back(*ev);
    } else if (const auto* g = std::get_if<GridReport>(&report)) {
        m_pending.grid = *g;
    }
}

ReportBatch ReportAggregator::take() {
    std::lock_guard<std::mutex> lock(m_mutex);
    closeSteps(); // the reader sees the latest step, not one interval behind
    ReportBatch out = std::move(m_pending);
    m_pending = ReportBatch();
    return out;
}

void ReportAggregator::clear() {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_pending = ReportBatch();
    m_open.count = 0;
    m_diagnosticsStart = -1e300;
    m_diagnosticsInInterval = 0;
}

} // namespace ml
