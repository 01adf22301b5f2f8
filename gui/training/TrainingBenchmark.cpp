#include "training/TrainingBenchmark.h"

#include "app/MainWindow.h"
#include "editor/Editor.h"
#include "editor/GraphModel.h"
#include "io/ModelJson.h"
#include "training/LivePlot.h"
#include "training/QCustomPlotInclude.h"
#include "training/TrainingDock.h"

#include <QAction>
#include <QApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QProcess>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTimer>
#include <algorithm>
#include <ctime>
#include <vector>

namespace ml::gui {

namespace {

QString cliPath() {
    const QString dir = QCoreApplication::applicationDirPath();
    for (const QString& p : {dir + QStringLiteral("/modulelab-cli"), dir + QStringLiteral("/../engine/modulelab-cli")})
        if (QFileInfo(p).isExecutable()) return QDir::cleanPath(p);
    return QStringLiteral("modulelab-cli");
}

// Wall seconds of `modulelab-cli train FILE --max-steps N --quiet`; < 0 on failure.
double timeCli(const QString& model, long long steps) {
    QProcess p;
    p.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    QElapsedTimer clock;
    clock.start();
    p.start(cliPath(), {QStringLiteral("train"), model, QStringLiteral("--max-steps"), QString::number(steps),
                        QStringLiteral("--quiet")});
    if (!p.waitForFinished(-1) || p.exitCode() != 0) return -1;
    return double(clock.nsecsElapsed()) / 1e9;
}

double threadCpuSeconds() {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return double(t.tv_sec) + double(t.tv_nsec) / 1e9;
}

double median(std::vector<double> v) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

} // namespace

int runTrainingBenchmark(MainWindow& window, long long maxSteps, int tab, int repeats, std::FILE* out) {
    TrainingDock* dock = window.training();
    Json section = dock->trainingSection();
    if (maxSteps > 0) {
        section["max_steps"] = maxSteps;
        section["epochs"] = 1'000'000; // the step cap ends both runs, not the epochs
    }
    ModelDocument doc = window.editor()->model()->document();
    doc.training = section;
    QTemporaryDir dir;
    const QString model = dir.filePath(QStringLiteral("bench.json"));
    try {
        io::writeModelFile(doc, model.toStdString());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "cannot write %s: %s\n", qPrintable(model), e.what());
        return 1;
    }
    // The same settings in the window: the step cap goes in as the model's own setting.
    window.editor()->model()->setDocument(doc);
    if (auto* tabs = dock->findChild<QTabWidget*>()) tabs->setCurrentIndex(tab);

    std::vector<double> cliRates, guiRates, lateness, cpuShares, replots;
    long long guiSteps = 0;
    for (int r = 0; r < std::max(1, repeats); ++r) {
        // The CLI: N steps less 1 step (data loading and compiling cancel out).
        const double one = timeCli(model, 1);
        const long long n = maxSteps > 0 ? maxSteps : 0;
        const double all = n > 0 ? timeCli(model, n) : -1;
        if (one < 0 || (n > 0 && all < 0)) {
            std::fprintf(stderr, "%s train %s failed\n", qPrintable(cliPath()), qPrintable(model));
            return 1;
        }
        if (n > 1) cliRates.push_back(double(n - 1) / std::max(1e-9, all - one));

        // The window: F5 with the plots on screen, a heartbeat measuring the event loop.
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
        // Replot cost of the plots shown.
        std::vector<double> costs;
        std::vector<QMetaObject::Connection> watch;
        for (LivePlot* p : dock->findChildren<LivePlot*>())
            watch.push_back(QObject::connect(p->plot(), &QCustomPlot::afterReplot, [&costs, p] {
                costs.push_back(p->plot()->replotTime());
            }));
        // The window's stepping rate measured as the CLI's is (N - 1 steps over
        // t_N - t_1): from the first report batch with a step done to the last
        // that added steps, so neither start-up nor the validation pass after
        // the last step counts (with them a 300-step CNN run read 77% where
        // its steps ran at the CLI's rate).
        double firstAt = -1, lastAt = -1;
        long long firstSteps = 0, lastSteps = 0;
        const auto onReports = QObject::connect(dock->session(), &TrainingSession::reports, [&](const ReportBatch&) {
            const long long s = dock->session()->steps();
            const double t = double(clock.nsecsElapsed()) / 1e9;
            if (s <= 0) return;
            if (firstAt < 0) {
                firstAt = t;
                firstSteps = s;
            }
            if (s > lastSteps) {
                lastAt = t;
                lastSteps = s;
            }
        });
        QElapsedTimer run;
        double cpuStart = 0, gui = 0, cpu = 0;
        const auto onState = QObject::connect(dock->session(), &TrainingSession::stateChanged, [&](TrainingSession::State s) {
            if (s == TrainingSession::State::Running && !run.isValid()) {
                run.start();
                cpuStart = threadCpuSeconds();
            }
            if (s == TrainingSession::State::Idle && run.isValid()) {
                gui = double(run.nsecsElapsed()) / 1e9;
                cpu = threadCpuSeconds() - cpuStart;
                heartbeat.stop();
                QApplication::quit();
            }
        });
        QTimer::singleShot(300, [&] {
            clock.start();
            heartbeat.start();
            dock->trainAction()->trigger();
            if (!dock->isActive()) {
                std::fprintf(stderr, "the window did not train: %s\n", qPrintable(dock->message()));
                QApplication::exit(1);
            }
        });
        if (QApplication::exec() != 0) return 1;
        QObject::disconnect(onState);
        QObject::disconnect(onReports);
        for (const auto& c : watch) QObject::disconnect(c);
        guiSteps = dock->session()->steps();
        guiRates.push_back(lastAt > firstAt ? double(lastSteps - firstSteps) / (lastAt - firstAt)
                                            : double(guiSteps) / std::max(1e-9, gui));
        cpuShares.push_back(100.0 * cpu / std::max(1e-9, gui));
        replots.push_back(costs.empty() ? 0 : median(costs));
        dock->resetAction()->trigger(); // each run from the same initialization, as the CLI's
        std::fprintf(out, "  pair %d: modulelab-cli %.1f steps/s, window %.1f steps/s (%lld steps in %.2f s), GUI thread CPU %.1f%%\n",
                     r + 1, cliRates.empty() ? 0.0 : cliRates.back(), guiRates.back(), guiSteps, gui, cpuShares.back());
    }
    std::sort(lateness.begin(), lateness.end());
    const auto pct = [&](double p) {
        return lateness.empty() ? 0.0 : lateness[std::min(lateness.size() - 1, size_t(p * double(lateness.size())))];
    };
    const double cliRate = median(cliRates), guiRate = median(guiRates);
    std::fprintf(out, "model %s: modulelab-cli %.1f steps/s; window %.1f steps/s = %.0f%% (median of %d)\n", doc.model.c_str(),
                 cliRate, guiRate, cliRate > 0 ? 100.0 * guiRate / cliRate : 0.0, std::max(1, repeats));
    std::fprintf(out, "GUI event latency over %zu heartbeats: p50 %.2f ms, p99 %.2f ms, max %.2f ms; GUI thread CPU %.1f%%; replot %.2f ms\n",
                 lateness.size(), pct(0.5), pct(0.99), lateness.empty() ? 0.0 : lateness.back(), median(cpuShares),
                 median(replots));
    return 0;
}

} // namespace ml::gui
