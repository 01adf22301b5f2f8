// The training views and the canvas, driven offscreen through the window's
// widgets: a click on a curve selects its node; a node clicked on the canvas
// or a module chosen in the tree highlights its curves; the canvas is tinted
// by gradient norm with a legend; per-task gradient norms; x by epoch and
// wall time; the debiased average; 100,000 points drawn thinned with their
// extremes; export of plots and runs; weights, checkpoints, Reset Weights
// and earlier runs beside the current one.
#include "TrainingTestWindow.h"
#include "editor/Editor.h"
#include "editor/EditorScene.h"
#include "editor/EditorView.h"
#include "editor/ModuleTreeView.h"
#include "editor/NodeItem.h"
#include "io/Safetensors.h"
#include "training/CanvasOverlay.h"

#include <QCheckBox>
#include <QComboBox>
#include <QElapsedTimer>
#include <QImage>
#include <QSignalSpy>
#include <QListWidget>
#include <QProcess>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTableWidget>
#include <QTreeWidget>
#include <QUndoStack>
#include <QDoubleSpinBox>

using namespace ml;
using namespace ml::gui;
using namespace ml::gui::test;

namespace {

// A pixel on `series`'s drawn curve at least 10 px from every other curve
// and outside the legend, or (-1, -1).
QPoint pixelOnlyOn(LivePlot* p, const QString& series) {
    QCPGraph* g = p->graphOf(series);
    if (!g) return {-1, -1};
    const QRectF legend = p->plot()->legend->outerRect();
    for (auto it = g->data()->constBegin(); it != g->data()->constEnd(); ++it) {
        const QPointF px(g->keyAxis()->coordToPixel(it->key), g->valueAxis()->coordToPixel(it->value));
        if (!p->plot()->axisRect()->rect().adjusted(4, 4, -4, -4).contains(px.toPoint()) || legend.contains(px)) continue;
        bool alone = true;
        for (int i = 0; i < p->plot()->graphCount() && alone; ++i) {
            QCPGraph* other = p->plot()->graph(i);
            // Its own raw values (added just before it) belong to the same curve.
            if (other == g || (i + 1 < p->plot()->graphCount() && p->plot()->graph(i + 1) == g) || !other->visible()) continue;
            const double dist = other->selectTest(px, false);
            alone = dist < 0 || dist > 9; // beyond the click tolerance (8 px)
        }
        if (alone) return px.toPoint();
    }
    return {-1, -1};
}

Run syntheticRun(const std::vector<double>& ys) {
    Run r;
    Series& s = r.series[QStringLiteral("s")];
    for (size_t i = 0; i < ys.size(); ++i) {
        s.x.push_back(double(i + 1));
        s.y.push_back(ys[i]);
    }
    return r;
}

std::vector<double> keysOf(QCPGraph* g) {
    std::vector<double> out;
    for (auto it = g->data()->constBegin(); it != g->data()->constEnd(); ++it) out.push_back(it->key);
    return out;
}

std::vector<double> valuesOf(QCPGraph* g) {
    std::vector<double> out;
    for (auto it = g->data()->constBegin(); it != g->data()->constEnd(); ++it) out.push_back(it->value);
    return out;
}

QTabWidget* tabs(TrainingDock* d) { return d->findChild<QTabWidget*>(); }

} // namespace

class TestTrainingViews : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("ModuleLabTest"));
    }

    void clickingACurveSelectsItsNode() {
        TrainingWindow t;
        QVERIFY(t.open("multitask.json"));
        auto& [w, d] = t;
        w.resize(1600, 1000);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        d->setFloating(true); // room for the curves to part, whatever layout the settings restored
        d->resize(1500, 950);
        QTest::qWait(50);
        field<QSpinBox>(d, "diagnosticsEvery")->setValue(1);
        field<QSpinBox>(d, "epochs")->setValue(100000); // longer than the test: it pauses the run itself
        tabs(d)->setCurrentIndex(1); // Gradients
        QVERIFY(t.train());
        LivePlot* grad = d->plot("Gradient norm");
        QVERIFY(t.waitFor([&] { return grad->pointCount(QStringLiteral("grad norm: task_layers.2")) > 400; }));
        QVERIFY(t.pause());
        grad->plot()->replot();
        for (const auto& [series, key] : {std::pair{QStringLiteral("grad norm: shared_layer"), QStringLiteral("h")},
                                          std::pair{QStringLiteral("grad norm: task_layers.2"), QStringLiteral("y")}}) {
            const QPoint px = pixelOnlyOn(grad, series);
            QVERIFY2(px.x() >= 0, qPrintable(series + QStringLiteral(" in a %1x%2 plot, %3 points, axis rect %4x%5")
                                                      .arg(grad->plot()->width()).arg(grad->plot()->height())
                                                      .arg(grad->graphOf(series) ? grad->graphOf(series)->dataCount() : -1)
                                                      .arg(grad->plot()->axisRect()->width()).arg(grad->plot()->axisRect()->height())));
            QSignalSpy clicked(grad, &LivePlot::curveClicked);
            QTest::mouseClick(grad->plot(), Qt::LeftButton, {}, px);
            QCOMPARE(clicked.count(), 1);
            QCOMPARE(clicked.first().first().toString(), series);
            // Its node is selected (task_layers.2 runs inside the ModuleList node y) and its curve stands out.
            QCOMPARE(w.editor()->scene()->selectedKeys(), QStringList{key});
            QCOMPARE(grad->highlighted(), QStringList{series});
        }
        QVERIFY(t.stop());
    }

    void selectingANodeOrATreeModuleHighlightsItsCurves() {
        TrainingWindow t;
        QVERIFY(t.open("multitask.json"));
        auto& [w, d] = t;
        w.resize(1600, 1000);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        field<QSpinBox>(d, "diagnosticsEvery")->setValue(2);
        QVERIFY(t.train());
        QVERIFY(t.waitFor([&] { return d->plot("Gradient norm")->pointCount(QStringLiteral("grad norm: shared_layer")) > 3; }));
        QVERIFY(t.stop());
        // A click on the node that calls shared_layer.
        EditorView* view = w.view();
        NodeItem* h = w.editor()->scene()->nodeItem(QStringLiteral("h"));
        QVERIFY(h);
        const QPoint at = view->mapFromScene(h->mapToScene(QPointF(h->look().size.width() / 2, 12)));
        QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, at);
        QCOMPARE(w.editor()->scene()->selectedKeys(), QStringList{QStringLiteral("h")});
        QCOMPARE(d->plot("Gradient norm")->highlighted(), QStringList{QStringLiteral("grad norm: shared_layer")});
        QCOMPARE(d->plot("Update ratio")->highlighted(), QStringList{QStringLiteral("update ratio: shared_layer")});
        QCOMPARE(d->plot("Loss")->highlighted(), QStringList{}); // no module there
        // The ModuleList node: its items' curves.
        w.editor()->scene()->selectKeys({QStringLiteral("y")});
        QCOMPARE(d->plot("Gradient norm")->highlighted(),
                 (QStringList{"grad norm: task_layers.0", "grad norm: task_layers.1", "grad norm: task_layers.2"}));
        // The module tree: a click on task_layers.1.
        QTreeWidget* tree = w.moduleTree()->tree();
        tree->expandAll();
        QTest::qWait(20);
        QTreeWidgetItem* item = nullptr;
        for (QTreeWidgetItemIterator it(tree); *it; ++it)
            if ((*it)->data(0, Qt::UserRole).toString() == QLatin1String("task_layers.1")) item = *it;
        QVERIFY(item);
        tree->scrollToItem(item);
        QTest::qWait(20);
        const QPoint onName = tree->visualItemRect(item).topLeft() + QPoint(30, 6);
        QVERIFY(tree->viewport()->rect().contains(onName));
        QTest::mouseClick(tree->viewport(), Qt::LeftButton, {}, onName);
        QCOMPARE(tree->currentItem(), item);
        QCOMPARE(d->plot("Gradient norm")->highlighted(), QStringList{QStringLiteral("grad norm: task_layers.1")});
        // An empty click clears the canvas selection and the highlight.
        w.editor()->scene()->selectKeys({});
        QCOMPARE(d->plot("Gradient norm")->highlighted(), QStringList{});
    }

    void theCanvasIsTintedByGradientNorm() {
        TrainingWindow t;
        QVERIFY(t.open("multitask.json"));
        auto& [w, d] = t;
        w.resize(1600, 1000);
        w.show();
        field<QSpinBox>(d, "diagnosticsEvery")->setValue(1);
        field<QSpinBox>(d, "epochs")->setValue(100000); // longer than the test: it pauses the run itself
        QVERIFY(t.train());
        CanvasOverlay* o = d->overlay();
        QVERIFY(t.waitFor([&] { return o->state(QStringLiteral("h")) && o->state(QStringLiteral("h"))->spark.size() >= 20; }));
        QVERIFY(t.pause());
        QTest::qWait(100); // the last batch has arrived
        const Run& run = *d->currentRun();
        for (const auto& [key, module] : {std::pair{QStringLiteral("h"), QStringLiteral("shared_layer")},
                                          std::pair{QStringLiteral("y"), QStringLiteral("task_layers")}}) {
            const auto s = o->state(key);
            QVERIFY2(s, qPrintable(key));
            QCOMPARE(s->module, module);
            const std::vector<double>& ys = run.series.at(QStringLiteral("grad norm: ") + module).y;
            QCOMPARE(s->value, ys.back());
            QCOMPARE(s->spark.size(), std::min<size_t>(CanvasOverlay::kSparkPoints, ys.size()));
            QCOMPARE(s->spark.back(), ys.back());
            const double tpos = (std::log10(s->value) - o->scaleLow()) / (o->scaleHigh() - o->scaleLow());
            QCOMPARE(s->color, CanvasOverlay::colorAt(tpos));
        }
        QVERIFY(o->scaleHigh() - o->scaleLow() >= 1.0 - 1e-12);
        QVERIFY(!o->state(QStringLiteral("x")));        // an input has no gradient
        QVERIFY(!o->state(QStringLiteral("a")));        // nor has the ReLU op
        QVERIFY(o->legend() && o->legend()->isVisible()); // the scale in the canvas corner
        QVERIFY(w.view()->rect().contains(o->legend()->geometry()));
        if (qEnvironmentVariableIsSet("MODULELAB_SHOTS")) w.grab().save(qEnvironmentVariable("MODULELAB_SHOTS") + "/tint.png");
        QVERIFY(t.stop());
        QVERIFY(o->state(QStringLiteral("h"))); // stays to look at after the run
        field<QCheckBox>(d, "canvasTint")->setChecked(false);
        QVERIFY(!o->state(QStringLiteral("h")));
        QVERIFY(!o->legend()->isVisible());
        field<QCheckBox>(d, "canvasTint")->setChecked(true);
        QVERIFY(o->state(QStringLiteral("h")));
        // An edit: the tint showed the model as trained, so it goes.
        QVERIFY(!w.editor()->addFromPalette(QStringLiteral("layer:ReLU"), QPointF(0, 400)).isEmpty());
        QVERIFY(!o->state(QStringLiteral("h")));
    }

    void eachTaskHasItsGradientNormAndXAxesAreStepEpochOrTime() {
        TrainingWindow t;
        QVERIFY(t.open("multitask.json"));
        auto& [w, d] = t;
        field<QSpinBox>(d, "diagnosticsEvery")->setValue(1);
        field<QSpinBox>(d, "epochs")->setValue(3);
        QVERIFY(t.train());
        QVERIFY(t.waitIdle());
        LivePlot* norms = d->plot("Task gradient norm");
        QCOMPARE(norms->seriesNames(), (QStringList{"task grad norm: task_index=0", "task grad norm: task_index=1",
                                                     "task grad norm: task_index=2"}));
        const Run& run = *d->currentRun();
        const Series& n0 = run.series.at(QStringLiteral("task grad norm: task_index=0"));
        // One point per diagnostics report the window received (the aggregator
        // keeps the latest of each 1/30 s, so a fast run gives few of them).
        QVERIFY2(n0.y.size() >= 2, qPrintable(d->message()));
        QCOMPARE(n0.y.size(), run.series.at(QStringLiteral("grad norm: shared_layer")).y.size());
        for (double y : n0.y) QVERIFY(std::isfinite(y) && y > 0);
        const Series& loss = run.series.at(QStringLiteral("loss"));
        const double perEpoch = double(run.description->stepsPerEpoch);
        auto* axis = field<QComboBox>(d, "xAxis");
        axis->setCurrentIndex(1); // epoch
        QCOMPARE(d->plot("Loss")->plot()->xAxis->label(), QStringLiteral("epoch"));
        std::vector<double> keys = keysOf(d->plot("Loss")->graphOf(QStringLiteral("loss")));
        QCOMPARE(keys.size(), loss.x.size());
        QCOMPARE(keys.front(), loss.x.front() / perEpoch);
        QCOMPARE(keys.back(), loss.x.back() / perEpoch);
        QVERIFY(std::abs(keys.back() - 3.0) < 1.0 / perEpoch + 1e-9); // three epochs
        axis->setCurrentIndex(2); // wall time from the step rates
        QCOMPARE(d->plot("Loss")->plot()->xAxis->label(), QStringLiteral("wall time (s)"));
        keys = keysOf(d->plot("Loss")->graphOf(QStringLiteral("loss")));
        for (size_t i = 1; i < keys.size(); ++i) QVERIFY(keys[i] > keys[i - 1]);
        QCOMPARE(keys.back(), run.secondsAt(loss.x.back()));
        QVERIFY(keys.back() > 0 && keys.back() < 600);
        axis->setCurrentIndex(0);
        QCOMPARE(keysOf(d->plot("Loss")->graphOf(QStringLiteral("loss"))).back(), loss.x.back());
    }

    void smoothingIsADebiasedAverageWithRawValuesKept() {
        LivePlot p(QStringLiteral("t"), QStringLiteral("y"), false);
        p.setFilter([](const Run&) { return QStringList{QStringLiteral("s")}; });
        p.setSmoothing(0.5);
        const Run r = syntheticRun({1, 2, 3});
        p.sync(r);
        // ema_n = 0.5 ema_{n-1} + 0.5 y_n, shown as ema_n / (1 - 0.5^n)
        const std::vector<double> v = valuesOf(p.graphOf(QStringLiteral("s")));
        QCOMPARE(v.size(), size_t(3));
        QCOMPARE(v[0], 1.0);
        QVERIFY(std::abs(v[1] - 1.25 / 0.75) < 1e-12);
        QVERIFY(std::abs(v[2] - 2.125 / 0.875) < 1e-12);
        // A non-finite value is passed through: not averaged, kept raw.
        LivePlot q(QStringLiteral("t"), QStringLiteral("y"), false);
        q.setFilter([](const Run&) { return QStringList{QStringLiteral("s")}; });
        q.setSmoothing(0.5);
        q.sync(syntheticRun({1, std::nan(""), 3}));
        const std::vector<double> w = valuesOf(q.graphOf(QStringLiteral("s")));
        QCOMPARE(w.size(), size_t(2));
        QVERIFY(std::abs(w[1] - 1.75 / 0.75) < 1e-12);
        QCOMPARE(q.pointCount(QStringLiteral("s")), 3);
        q.setSmoothing(0); // no smoothing: the raw values
        QCOMPARE(valuesOf(q.graphOf(QStringLiteral("s"))), (std::vector<double>{1, 3}));
    }

    void aHundredThousandPointsDrawThinnedWithTheirExtremes() {
        std::vector<double> ys(100000);
        for (size_t i = 0; i < ys.size(); ++i) ys[i] = std::sin(double(i) * 0.001);
        ys[54321] = 100;  // a one-step spike
        ys[77777] = -100; // and a dip
        LivePlot p(QStringLiteral("Big"), QStringLiteral("y"), false);
        p.resize(800, 400);
        p.setFilter([](const Run&) { return QStringList{QStringLiteral("s")}; });
        Run r = syntheticRun({});
        Series& s = r.series[QStringLiteral("s")];
        // Appended in pieces as a live run does.
        for (size_t start = 0; start < ys.size(); start += 997) {
            for (size_t i = start; i < std::min(ys.size(), start + 997); ++i) {
                s.x.push_back(double(i));
                s.y.push_back(ys[i]);
            }
            p.sync(r);
        }
        QCOMPARE(p.pointCount(QStringLiteral("s")), 100000);
        const int drawn = p.drawnCount(QStringLiteral("s"));
        QVERIFY2(drawn <= 4096 && drawn >= 2048, qPrintable(QString::number(drawn)));
        QCPGraph* raw = nullptr;
        for (int g = 0; g < p.plot()->graphCount(); ++g)
            if (p.plot()->graph(g) != p.graphOf(QStringLiteral("s"))) raw = p.plot()->graph(g);
        QVERIFY(raw);
        const std::vector<double> keys = keysOf(raw), values = valuesOf(raw);
        QCOMPARE(keys.front(), 0.0);
        QCOMPARE(keys.back(), 99999.0);
        const auto top = std::max_element(values.begin(), values.end());
        const auto bottom = std::min_element(values.begin(), values.end());
        QCOMPARE(*top, 100.0);
        QCOMPARE(keys[size_t(top - values.begin())], 54321.0);
        QCOMPARE(*bottom, -100.0);
        QCOMPARE(keys[size_t(bottom - values.begin())], 77777.0);
        p.show();
        QElapsedTimer clock;
        clock.start();
        p.plot()->replot(QCustomPlot::rpImmediateRefresh);
        qInfo("100,000 points: %d drawn, replot %.1f ms (QCustomPlot says %.1f ms)", drawn,
              double(clock.nsecsElapsed()) / 1e6, p.plot()->replotTime());
        // Exports: the picture, and every raw value.
        QTemporaryDir dir;
        QVERIFY(p.exportTo(dir.filePath(QStringLiteral("big.png"))));
        QCOMPARE(QImage(dir.filePath(QStringLiteral("big.png"))).size(), p.plot()->size());
        QVERIFY(p.exportTo(dir.filePath(QStringLiteral("big.pdf"))));
        QFile pdf(dir.filePath(QStringLiteral("big.pdf")));
        QVERIFY(pdf.open(QIODevice::ReadOnly));
        QCOMPARE(pdf.read(5), QByteArray("%PDF-"));
        QVERIFY(p.exportTo(dir.filePath(QStringLiteral("big.csv"))));
        QFile csv(dir.filePath(QStringLiteral("big.csv")));
        QVERIFY(csv.open(QIODevice::ReadOnly));
        const QList<QByteArray> lines = csv.readAll().split('\n');
        QCOMPARE(lines.size(), 100000 + 2); // header, the points, the empty tail
        QCOMPARE(lines[0], QByteArray("series,step,value"));
        QCOMPARE(lines[1 + 54321], QByteArray("\"s\",54321,100"));
        QCOMPARE(lines[1 + 12], QByteArray("\"s\",12,") + QByteArray::number(std::sin(0.012), 'g', 9));
    }

    void runsExportWeightsSaveAndResetReinitializes() {
        TrainingWindow t;
        QVERIFY(t.open("spirals_mlp.json"));
        auto& [w, d] = t;
        QTemporaryDir dir;
        // One step a run, so each run's loss is one exact number.
        t.setTrainingKey("max_steps", 1);
        QVERIFY(!d->saveWeightsAction()->isEnabled() && !d->exportRunAction()->isEnabled());
        QVERIFY(t.train());
        QVERIFY(t.waitIdle());
        const Run& first = *d->currentRun();
        QCOMPARE(first.series.at(QStringLiteral("loss")).x, std::vector<double>{1});
        const double l1 = first.series.at(QStringLiteral("loss")).y.front();
        QVERIFY(d->saveWeightsAction()->isEnabled() && d->saveCheckpointAction()->isEnabled());
        const QString checkpoint = dir.filePath(QStringLiteral("run1.safetensors"));
        const QString weights = dir.filePath(QStringLiteral("weights.safetensors"));
        QString error;
        QVERIFY2(d->saveCheckpoint(checkpoint, &error), qPrintable(error));
        QVERIFY2(d->saveWeights(weights, &error), qPrintable(error));
        // The weights file: the state_dict names, the trained values.
        const io::SafetensorsFile wf = io::readSafetensors(weights.toStdString());
        std::vector<std::string> names;
        for (const io::NamedTensor& n : wf.tensors) names.push_back(n.name);
        QCOMPARE(names, first.description->parameters);
        QCOMPARE(wf.tensors[0].f32, d->session()->trainer()->parameters().tensors()[0].value);

        // Export: the JSONL reads back as the same run and passes `modulelab-cli log`; the CSV has every point.
        const QString jsonl = dir.filePath(QStringLiteral("run1.jsonl"));
        QVERIFY2(d->exportRun(jsonl, &error), qPrintable(error));
        const Run back = Run::fromJsonl(jsonl);
        QCOMPARE(back.series.size(), first.series.size());
        for (const auto& [name, s] : first.series) {
            QVERIFY2(back.series.count(name), qPrintable(name));
            QCOMPARE(back.series.at(name).x, s.x);
            for (size_t i = 0; i < s.y.size(); ++i)
                QVERIFY(back.series.at(name).y[i] == s.y[i] || (std::isnan(s.y[i]) && std::isnan(back.series.at(name).y[i])));
        }
        QProcess cli;
        cli.start(QStringLiteral(MODULELAB_CLI), {QStringLiteral("log"), jsonl});
        QVERIFY(cli.waitForFinished(60000));
        QVERIFY2(cli.exitCode() == 0, cli.readAllStandardOutput().constData());
        const QString csv = dir.filePath(QStringLiteral("run1.csv"));
        QVERIFY2(d->exportRun(csv, &error), qPrintable(error));
        QFile cf(csv);
        QVERIFY(cf.open(QIODevice::ReadOnly));
        size_t points = 0;
        for (const auto& [name, s] : first.series) points += s.x.size();
        QCOMPARE(size_t(cf.readAll().count('\n')), points + 1);

        // Train again: from the trained weights, so the same first batch gives another loss.
        QVERIFY(t.train());
        QVERIFY(t.waitIdle());
        QVERIFY2(d->currentRun()->name.contains(QStringLiteral("last run's weights")), qPrintable(d->currentRun()->name));
        const double l2 = d->currentRun()->series.at(QStringLiteral("loss")).y.front();
        QVERIFY(l2 != l1);
        // Reset Weights: the next run starts from the seed's initialization, exactly as the first.
        QVERIFY(d->resetAction()->isEnabled());
        d->resetAction()->trigger();
        QVERIFY(!d->saveWeightsAction()->isEnabled());
        QVERIFY(t.train());
        QVERIFY(t.waitIdle());
        QCOMPARE(d->currentRun()->series.at(QStringLiteral("loss")).y.front(), l1);
        // Resume From Checkpoint: run 1 goes on at step 2, as run 2 did from its weights.
        t.setTrainingKey("max_steps", 2);
        QVERIFY2(d->resumeFrom(checkpoint, &error), qPrintable(error));
        QVERIFY(t.waitIdle());
        QCOMPARE(d->currentRun()->series.at(QStringLiteral("loss")).x, std::vector<double>{2});
        QCOMPARE(d->currentRun()->series.at(QStringLiteral("loss")).y.front(), l2);
        // A checkpoint that does not fit is refused with the engine's words; nothing starts.
        QVERIFY(t.open("multitask.json"));
        const int runs = d->runCount();
        QVERIFY(!d->resumeFrom(checkpoint, &error));
        QVERIFY2(error.contains(QStringLiteral("run1.safetensors")), qPrintable(error));
        QCOMPARE(d->runCount(), runs);
        QVERIFY(!d->isActive());
    }

    void lossesPerOutputAndTheCsvTargetAreTheModelsSettings() {
        TrainingWindow t;
        QVERIFY(t.open("multitask.json"));
        auto& [w, d] = t;
        auto* table = field<QTableWidget>(d, "losses");
        QCOMPARE(table->rowCount(), 3); // the file's three objectives
        QCOMPARE(table->item(2, 1)->text(), QStringLiteral("task_index=2"));
        QCOMPARE(static_cast<QComboBox*>(table->cellWidget(2, 2))->currentText(), QStringLiteral("mse"));
        QCOMPARE(table->item(2, 3)->text(), QStringLiteral("task2"));
        // A weight typed in: one undo step, in the model's training section.
        QUndoStack* undo = w.editor()->undoStack();
        const int before = undo->count();
        auto* weight = static_cast<QDoubleSpinBox*>(table->cellWidget(1, 4));
        weight->setFocus();
        weight->selectAll();
        QTest::keyClicks(weight, QStringLiteral("2.5"));
        QTest::keyClick(weight, Qt::Key_Return);
        QCOMPARE(undo->count(), before + 1);
        const Json& losses = w.editor()->model()->document().training["losses"]["y"];
        QCOMPARE(losses[1]["weight"].get<double>(), 2.5);
        QCOMPARE(losses[1]["task_index"].get<int>(), 1);
        QCOMPARE(losses[2]["loss"].get<std::string>(), std::string("mse"));
        // The loss of task 2 chosen from its list (a key press, as on a closed combo box).
        auto* kind = static_cast<QComboBox*>(table->cellWidget(2, 2));
        kind->setFocus();
        QTest::keyClick(kind, Qt::Key_Down); // mse -> bce_with_logits
        QCOMPARE(w.editor()->model()->document().training["losses"]["y"][2]["loss"].get<std::string>(),
                 std::string("bce_with_logits"));
        QCOMPARE(undo->count(), before + 2);
        undo->undo();
        undo->undo();
        QCOMPARE(static_cast<QDoubleSpinBox*>(field<QTableWidget>(d, "losses")->cellWidget(1, 4))->value(), 1.0);
        undo->redo();
        // Saved with the model.
        QTemporaryDir dir;
        const QString saved = dir.filePath(QStringLiteral("m.json"));
        QVERIFY(w.saveTo(saved));
        TrainingWindow again;
        QVERIFY(again.w.openFile(saved));
        QCOMPARE(static_cast<QDoubleSpinBox*>(field<QTableWidget>(again.d, "losses")->cellWidget(1, 4))->value(), 2.5);

        // A CSV dataset: its columns in the target picker, the last one chosen; it trains.
        const QString csv = dir.filePath(QStringLiteral("points.csv"));
        QFile f(csv);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("x1,x2,\"kind\"\n");
        for (int i = 0; i < 200; ++i)
            f.write(QStringLiteral("%1,%2,%3\n").arg(std::sin(i * 0.7)).arg(std::cos(i * 1.3)).arg(i % 2 ? "odd" : "even").toUtf8());
        f.close();
        TrainingWindow c;
        QVERIFY(c.open("spirals_mlp.json"));
        auto* target = field<QComboBox>(c.d, "csvTarget");
        QVERIFY(!target->isVisibleTo(c.d));
        field<QComboBox>(c.d, "dataset")->setCurrentText(csv);
        QVERIFY(target->isVisibleTo(c.d));
        QCOMPARE(target->count(), 3);
        QCOMPARE(target->itemText(2), QStringLiteral("kind"));
        QCOMPARE(target->currentText(), QStringLiteral("kind"));
        auto* cTable = field<QTableWidget>(c.d, "losses");
        QCOMPARE(cTable->rowCount(), 1);
        QCOMPARE(cTable->item(0, 3)->text(), QStringLiteral("kind")); // the default loss names the chosen column
        c.setTrainingKey("max_steps", 5);
        field<QComboBox>(c.d, "dataset")->setCurrentText(csv);
        QVERIFY2(c.train(), qPrintable(c.d->message()));
        QVERIFY(c.waitIdle());
        QCOMPARE(c.d->currentRun()->finished->reason, FinishedReport::Reason::Stopped);
        QCOMPARE(c.w.editor()->model()->document().training["csv_targets"], Json::array({"kind"}));
        QVERIFY2(c.d->currentRun()->name.contains(QStringLiteral("points.csv")), qPrintable(c.d->currentRun()->name));
    }

    void earlierRunsAreDrawnBesideTheCurrentOne() {
        TrainingWindow t;
        QVERIFY(t.open("spirals_mlp.json"));
        auto& [w, d] = t;
        t.setTrainingKey("max_steps", 30);
        QVERIFY(t.train());
        QVERIFY(t.waitIdle());
        QVERIFY(t.train());
        QVERIFY(t.waitIdle());
        QCOMPARE(d->runCount(), 2);
        auto* list = d->findChild<QListWidget*>();
        QVERIFY(list);
        QCOMPARE(list->count(), 2);
        QVERIFY(!d->plot("Loss")->seriesNames().contains(QStringLiteral("run 1: loss")));
        list->item(0)->setCheckState(Qt::Checked); // as a click on its box does
        QVERIFY(d->isRunShown(0));
        QVERIFY(d->plot("Loss")->seriesNames().contains(QStringLiteral("run 1: loss")));
        QVERIFY(d->plot("Loss")->seriesNames().contains(QStringLiteral("loss")));
        QVERIFY(d->plot("Loss")->pointCount(QStringLiteral("run 1: loss")) > 0);
        list->item(0)->setCheckState(Qt::Unchecked);
        QVERIFY(!d->plot("Loss")->seriesNames().contains(QStringLiteral("run 1: loss")));
    }
};

QTEST_MAIN(TestTrainingViews)
#include "tst_training_views.moc"
