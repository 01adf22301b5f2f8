#pragma once
// What the training GUI tests share: a window with an example open, its
// panel's fields by name, and training driven through the panel's actions.
#include "app/MainWindow.h"
#include "editor/Editor.h"
#include "editor/GraphModel.h"
#include "training/LivePlot.h"
#include "training/QCustomPlotInclude.h"
#include "training/TrainingDock.h"

#include <QAction>
#include <QTest>
#include <cmath>
#include <functional>
#include <optional>

namespace ml::gui::test {

inline QString example(const QString& name) { return QStringLiteral(MODULELAB_SOURCE_DIR "/resources/examples/") + name; }

template <class T> T* field(TrainingDock* d, const char* name) {
    T* w = d->findChild<T*>(QString::fromLatin1(name));
    if (!w) qFatal("no panel field %s", name);
    return w;
}

// Every raw value a chart holds is finite.
inline bool allFinite(LivePlot* p) {
    for (int g = 0; g < p->plot()->graphCount(); ++g) {
        const auto data = p->plot()->graph(g)->data();
        for (auto it = data->constBegin(); it != data->constEnd(); ++it)
            if (!std::isfinite(it->value)) return false;
    }
    return true;
}

class TrainingWindow {
public:
    MainWindow w;
    TrainingDock* d = w.training();

    TrainingWindow() { w.setPromptsEnabled(false); }
    bool open(const QString& file) { return w.openFile(example(file)); }
    // F5; true when the run started.
    bool train() {
        d->trainAction()->trigger();
        return d->isActive();
    }
    bool waitFor(const std::function<bool()>& done, int ms = 60000) { return QTest::qWaitFor(done, ms); }
    bool waitIdle(int ms = 120000) {
        return QTest::qWaitFor([&] { return !d->isActive(); }, ms);
    }
    // Shift+F5 and wait for the run to end.
    bool stop() {
        d->stopAction()->trigger();
        return waitIdle();
    }
    // F6 and wait until the training thread holds.
    bool pause() {
        d->pauseAction()->trigger();
        return waitFor([&] { return lastEvent() == RunEvent::Kind::Paused; }, 30000);
    }
    std::optional<RunEvent::Kind> lastEvent() const {
        const Run* r = d->currentRun();
        if (!r || r->events.empty()) return std::nullopt;
        return r->events.back().kind;
    }
    // Sets a key of the model's own training section (what the file would say).
    void setTrainingKey(const char* key, const Json& value) {
        ModelDocument doc = w.editor()->model()->document();
        if (!doc.training.is_object()) doc.training = Json::object();
        doc.training[key] = value;
        w.editor()->model()->setDocument(doc);
    }
};

} // namespace ml::gui::test
