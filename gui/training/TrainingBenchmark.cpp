#include "training/TrainingBenchmark.h"

#include "app/MainWindow.h"
#include "editor/Editor.h"
#include "editor/GraphModel.h"
#include "train/Trainer.h"
#include "training/TrainingDock.h"

#include <QAction>
#include <QApplication>
#include <QElapsedTimer>
#include <QTabWidget>
#include <QTimer>
#include <algorithm>
#include <chrono>
#include <vector>

namespace ml::gui {

int runTrainingBenchmark(MainWindow& window, long long maxSteps, int tab, std::FILE* out) {
    TrainingDock* dock = window.training();
    Json section = dock->trainingSection();
    if (maxSteps > 0) section["max_steps"] = maxSteps;
    const ModelDocument doc = window.editor()->model()->document();
    double headless = 0;
    Index headlessSteps = 0;
    try {
        const TrainingConfig config = readTrainingConfig(section);
        Trainer t(doc, config, loadTrainingData(config));
        const auto start = std::chrono::steady_clock::now();
        t.start();
        t.wait();
        headless = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        headlessSteps = t.stepsDone();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "cannot train: %s\n", e.what());
        return 1;
    }
    // The same settings from the window: the step cap goes in as the model's own setting.
    if (maxSteps > 0) {
        ModelDocument withCap = doc;
        withCap.training = section;
        window.editor()->model()->setDocument(withCap);
    }
    if (auto* tabs = dock->findChild<QTabWidget*>()) tabs->setCurrentIndex(tab);
    std::vector<double> lateness; // ms
    QElapsedTimer clock;
    QTimer heartbeat;
    heartbeat.setTimerType(Qt::PreciseTimer);
    heartbeat.setInterval(10);
    qint64 last = 0;
    QObject::connect(&heartbeat, &QTimer::timeout, [&] {
        const qint64 now = clock.nsecsElapsed();
        if (last > 0) lateness.push_back(std::max(0.0, double(now - last) / 1e6 - 10.0));
        last = now;
    });
    QElapsedTimer run;
    double gui = 0;
    QObject::connect(dock->session(), &TrainingSession::stateChanged, [&](TrainingSession::State s) {
        if (s == TrainingSession::State::Running && !run.isValid()) run.start();
        if (s == TrainingSession::State::Idle && run.isValid()) {
            gui = double(run.nsecsElapsed()) / 1e9;
            heartbeat.stop();
            QApplication::quit();
        }
    });
    QTimer::singleShot(500, [&] {
        clock.start();
        heartbeat.start();
        dock->trainAction()->trigger();
        if (!dock->isActive()) {
            std::fprintf(stderr, "the window did not train: %s\n", qPrintable(dock->message()));
            QApplication::exit(1);
        }
    });
    if (QApplication::exec() != 0) return 1;
    const Index guiSteps = dock->session()->steps();
    std::sort(lateness.begin(), lateness.end());
    const auto pct = [&](double p) {
        return lateness.empty() ? 0.0 : lateness[std::min(lateness.size() - 1, size_t(p * double(lateness.size())))];
    };
    const double headlessRate = double(headlessSteps) / std::max(1e-9, headless);
    const double guiRate = double(guiSteps) / std::max(1e-9, gui);
    std::fprintf(out, "model %s: headless %lld steps in %.2f s (%.0f steps/s); window %lld steps in %.2f s (%.0f steps/s) = %.0f%%\n",
                 doc.model.c_str(), (long long)headlessSteps, headless, headlessRate, (long long)guiSteps, gui, guiRate,
                 100.0 * guiRate / std::max(1e-9, headlessRate));
    std::fprintf(out, "GUI event latency over %zu heartbeats: p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", lateness.size(),
                 pct(0.5), pct(0.99), lateness.empty() ? 0.0 : lateness.back());
    return 0;
}

} // namespace ml::gui
