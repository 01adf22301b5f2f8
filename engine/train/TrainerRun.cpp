// Trainer: the training thread, its control (start, pause, step, stop) and events.
#include "train/Trainer.h"
#include "train/TrainerDetail.h"
#include "exec/Threads.h"

#include <chrono>
#include <cmath>

namespace ml {

using detail::kNaN;
using detail::NonFiniteError;

void Trainer::setReportCallback(std::function<void(const Report&)> callback) {
    ML_ASSERT(!m_running.load()); // the training thread reads it without a lock
    m_callback = std::move(callback);
}

void Trainer::emit(const Report& r) {
    if (m_callback) m_callback(r);
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
    if (m_paused && m_stepsAllowed == 0 && !m_stopRequested && !m_pauseReported) {
        // Reported before waiting, with the step count the pause holds at.
        m_pauseReported = true;
        lock.unlock();
        emit(RunEvent{RunEvent::Kind::Paused, m_step});
        lock.lock();
    }
    m_wake.wait(lock, [this] { return m_stopRequested || !m_paused || m_stepsAllowed > 0; });
    if (m_stopRequested) return false;
    if (m_paused) {
        --m_stepsAllowed;
    } else if (m_pauseReported) {
        m_pauseReported = false;
        lock.unlock();
        emit(RunEvent{RunEvent::Kind::Resumed, m_step});
    }
    return true;
}

void Trainer::setEvaluationPoints(std::vector<float> points, double everySeconds) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_gridPoints = std::move(points);
    m_gridEvery = everySeconds;
    m_gridChanged = true;
}

void Trainer::evaluateGridIfDue(std::chrono::steady_clock::time_point& last) {
    std::vector<float> points;
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        if (m_gridPoints.empty() || m_description.gridInputs == 0) return;
        const auto now = std::chrono::steady_clock::now();
        if (!m_gridChanged && std::chrono::duration<double>(now - last).count() < m_gridEvery) return;
        m_gridChanged = false;
        last = now;
        points = m_gridPoints; // a copy: the GUI may set new points meanwhile
    }
    emit(evaluatePoints(points));
}

void Trainer::run() {
    FinishedReport finished;
    bool userStopped = false;
    try {
        if (!m_described) {
            emit(m_description);
            m_described = true;
        }
        emit(RunEvent{RunEvent::Kind::Started, m_step});
        auto lastGrid = std::chrono::steady_clock::time_point{};
        useComputeThreads();
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
                evaluateGridIfDue(lastGrid);
                if (!waitForPermission()) {
                    stopped = userStopped = true;
                    break;
                }
                if (m_config.maxSteps > 0 && m_step >= m_config.maxSteps) {
                    stopped = true;
                    break;
                }
                // Diagnostics read this step's own gradients and update (no pass of their own).
                const bool diagnose = m_step % m_config.diagnosticsEvery == 0;
                StepReport r = trainStep(rows, diagnose);  // a copy: the callback may keep it
                const auto now = std::chrono::steady_clock::now();
                r.stepsPerSecond = 1.0 / std::max(1e-9, std::chrono::duration<double>(now - last).count());
                last = now;
                r.epochFraction = double(++steps) / double(std::max<Index>(1, perEpoch));
                lossSum += r.loss;
                emit(r);
                if (diagnose) emit(m_diag);
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
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            m_gridChanged = true; // the final weights' regions
        }
        evaluateGridIfDue(lastGrid);
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
    if (userStopped) {
        try {
            emit(RunEvent{RunEvent::Kind::Stopped, m_step});
        } catch (...) {
        }
    }
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

} // namespace ml
