// Training in the window, driven through its own actions and panel widgets
// (offscreen): every example trains with one curve per sub-model and finite
// values; Pause holds the step count, Step adds exactly one, Resume goes on,
// Stop leaves the window editable; a NaN run marks the node; a CLI log opens
// as a run with the same series; the spirals MLP's decision grid changes.
#include "TrainingTestWindow.h"
#include "editor/Editor.h"
#include "editor/EditorScene.h"
#include "editor/EditorView.h"
#include "training/DecisionRegions.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QProcess>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>

using namespace ml;
using namespace ml::gui;
using namespace ml::gui::test;

class TestTraining : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("ModuleLabTest"));
    }

    void eachExampleTrainsFromF5_data() {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QStringList>("curves");
        QTest::newRow("multitask") << "multitask.json"
                                   << QStringList{"grad norm: shared_layer", "grad norm: task_layers.0",
                                                  "grad norm: task_layers.1", "grad norm: task_layers.2"};
        QTest::newRow("siamese") << "siamese.json" << QStringList{"grad norm: encoder", "grad norm: head"};
        QTest::newRow("simple_cnn") << "simple_cnn.json" << QStringList{"grad norm: classifier", "grad norm: features"};
        QTest::newRow("resnet") << "resnet.json" << QStringList{"grad norm: block1", "grad norm: block2", "grad norm: fc"};
        QTest::newRow("spirals_mlp") << "spirals_mlp.json" << QStringList{"grad norm: classifier", "grad norm: hidden"};
    }

    void eachExampleTrainsFromF5() {
        QFETCH(QString, file);
        QFETCH(QStringList, curves);
        TrainingWindow t;
        QVERIFY(t.open(file));
        auto& [w, d] = t;
        QCOMPARE(d->trainAction()->shortcut(), QKeySequence(Qt::Key_F5));
        QVERIFY(d->trainAction()->isEnabled());
        QVERIFY(!d->pauseAction()->isEnabled());
        field<QSpinBox>(d, "diagnosticsEvery")->setValue(2);
        QVERIFY2(t.train(), qPrintable(d->message()));
        QVERIFY(d->pauseAction()->isEnabled() && d->stopAction()->isEnabled() && !d->trainAction()->isEnabled());
        QVERIFY(!w.view()->isEnabled()); // editing refused while the run is active
        QVERIFY(t.waitFor([&] {
            for (const QString& c : curves)
                if (d->plot("Gradient norm")->pointCount(c) < 3) return !d->isActive();
            return true;
        }, 120000));
        QVERIFY(t.stop());
        QVERIFY2(d->session()->steps() >= 5, qPrintable(d->message()));
        QStringList names = d->plot("Gradient norm")->seriesNames();
        names.sort();
        QCOMPARE(names, curves);
        for (const QString& c : curves)
            QVERIFY2(d->plot("Gradient norm")->pointCount(c) >= 3,
                     qPrintable(c + QStringLiteral(": %1 points after %2 steps; ").arg(d->plot("Gradient norm")->pointCount(c)).arg(d->session()->steps()) + d->message()));
        QVERIFY(d->plot("Loss")->seriesNames().contains(QStringLiteral("loss")));
        for (const char* p : {"Loss", "Accuracy", "Gradient norm", "Update ratio", "Sharing", "Tasks"})
            QVERIFY2(allFinite(d->plot(QString::fromLatin1(p))), p);
        QVERIFY(!d->plot("Update ratio")->seriesNames().isEmpty());
        // The settings were stored in the model as one undoable edit only if they changed.
        QCOMPARE(w.editor()->model()->document().training["diagnostics_every"].get<int>(), 2);
        QVERIFY(w.view()->isEnabled());
        QVERIFY(d->trainAction()->isEnabled() && !d->stopAction()->isEnabled());
    }

    void sharingAndTasksHaveTheirCurves() {
        TrainingWindow t;
        QVERIFY(t.open("siamese.json"));
        auto& [w, d] = t;
        field<QSpinBox>(d, "diagnosticsEvery")->setValue(1);
        QVERIFY(t.train());
        QVERIFY(t.waitFor([&] { return d->plot("Sharing")->seriesNames().size() >= 12; }));
        QVERIFY(t.stop());
        const QStringList s = d->plot("Sharing")->seriesNames();
        QVERIFY2(s.contains(QStringLiteral("use grad sum: encoder.0.weight")), qPrintable(s.join(", ")));
        QVERIFY2(s.contains(QStringLiteral("use grad: encoder.0.weight @ eb")), qPrintable(s.join(", ")));
        QCOMPARE(s.size(), 12); // 4 shared tensors: 2 uses + their sum each

        QVERIFY(t.open("multitask.json"));
        field<QSpinBox>(d, "diagnosticsEvery")->setValue(1);
        QVERIFY(t.train());
        QVERIFY(t.waitFor([&] { return d->plot("Tasks")->seriesNames().size() == 3; }));
        QVERIFY(t.stop());
        QStringList tasks = d->plot("Tasks")->seriesNames();
        tasks.sort();
        QCOMPARE(tasks, (QStringList{"cosine: task_index=0 | task_index=1", "cosine: task_index=0 | task_index=2",
                                 "cosine: task_index=1 | task_index=2"}));
        QVERIFY(d->currentRun()->cosineSteps > 0);
    }

    void pauseStepResumeStop() {
        TrainingWindow t;
        QVERIFY(t.open("spirals_mlp.json"));
        auto& [w, d] = t;
        field<QSpinBox>(d, "epochs")->setValue(100000);
        QVERIFY(t.train());
        QVERIFY(t.waitFor([&] { return d->session()->steps() > 10; }, 30000));
        QVERIFY(t.pause());
        QVERIFY(d->stepAction()->isEnabled() && !d->pauseAction()->isEnabled());
        const Index held = d->session()->steps();
        QCOMPARE(held, d->currentRun()->events.back().step);
        QTest::qWait(300);
        QCOMPARE(d->session()->steps(), held); // Pause stops the count
        d->stepAction()->trigger();
        QVERIFY(t.waitFor([&] { return d->session()->steps() == held + 1; }, 30000));
        QTest::qWait(300);
        QCOMPARE(d->session()->steps(), held + 1); // exactly one
        QCOMPARE(d->trainAction()->text(), QStringLiteral("&Resume"));
        d->trainAction()->trigger();
        QVERIFY(t.waitFor([&] { return d->session()->steps() > held + 100; }, 30000));
        QCOMPARE(t.lastEvent(), RunEvent::Kind::Resumed);
        QVERIFY(!w.view()->isEnabled());
        QVERIFY(w.findChild<QLabel*>(QStringLiteral("trainingLockBanner"))->isVisible() ||
                !w.isVisible()); // shown with the window
        QVERIFY(t.stop());
        QCOMPARE(t.lastEvent(), RunEvent::Kind::Stopped);
        QCOMPARE(d->currentRun()->finished->reason, FinishedReport::Reason::Stopped);
        // Usable and editable again: an edit goes through the undo stack.
        QVERIFY(w.view()->isEnabled());
        const int before = w.editor()->undoStack()->count();
        QVERIFY(!w.editor()->addFromPalette(QStringLiteral("layer:ReLU"), QPointF(0, 300)).isEmpty());
        QCOMPARE(w.editor()->undoStack()->count(), before + 1);
    }

    void aNaNRunMarksTheNode() {
        TrainingWindow t;
        QVERIFY(t.open("multitask.json"));
        auto& [w, d] = t;
        field<QComboBox>(d, "optimizer")->setCurrentText(QStringLiteral("sgd"));
        field<QDoubleSpinBox>(d, "lr")->setValue(10);
        field<QDoubleSpinBox>(d, "momentum")->setValue(0.99);
        d->trainAction()->trigger();
        QVERIFY(t.waitIdle());
        QCOMPARE(d->currentRun()->finished->reason, FinishedReport::Reason::NonFinite);
        QVERIFY2(d->message().contains(QStringLiteral("the output of task_layers.2 (Linear) is not finite")), qPrintable(d->message()));
        QCOMPARE(d->markedNodes(), QStringList{QStringLiteral("MultiTaskNetwork/y")});
        QCOMPARE(w.editor()->scene()->selectedKeys(), QStringList{QStringLiteral("y")});
        QVERIFY(w.view()->isEnabled());
    }

    void aCliLogOpensAsARunWithTheSameSeries() {
        QTemporaryDir dir;
        const QString log = dir.filePath(QStringLiteral("run.jsonl"));
        QProcess cli;
        cli.start(QStringLiteral(MODULELAB_CLI), {QStringLiteral("train"), example(QStringLiteral("multitask.json")),
                                                  QStringLiteral("--epochs"), QStringLiteral("1"), QStringLiteral("--log"), log,
                                                  QStringLiteral("--quiet")});
        QVERIFY(cli.waitForFinished(120000));
        QCOMPARE(cli.exitCode(), 0);

        TrainingWindow t;
        QVERIFY(t.open("multitask.json"));
        auto& [w, d] = t;
        field<QSpinBox>(d, "epochs")->setValue(1);
        QVERIFY(t.train());
        QVERIFY(t.waitIdle());
        std::vector<QString> live;
        for (const auto& [name, s] : d->currentRun()->series) live.push_back(name);
        const int liveGrad = d->plot("Gradient norm")->pointCount(QStringLiteral("grad norm: shared_layer"));

        QVERIFY(w.openRun(log));
        QCOMPARE(d->runCount(), 2);
        std::vector<QString> loaded;
        for (const auto& [name, s] : d->currentRun()->series) loaded.push_back(name);
        QCOMPARE(loaded, live);
        QStringList grad = d->plot("Gradient norm")->seriesNames();
        grad.sort();
        QCOMPARE(grad, (QStringList{"grad norm: shared_layer", "grad norm: task_layers.0", "grad norm: task_layers.1",
                                    "grad norm: task_layers.2"}));
        // Every diagnostics line of the log is a point (the live run merged some by time).
        const Index steps = d->currentRun()->steps;
        QCOMPARE(d->plot("Gradient norm")->pointCount(QStringLiteral("grad norm: shared_layer")), int((steps + 9) / 10));
        QVERIFY(liveGrad > 0);
        // A broken log names the file and line.
        QFile bad(dir.filePath(QStringLiteral("bad.jsonl")));
        QVERIFY(bad.open(QIODevice::WriteOnly));
        bad.write("{\"type\": \"step\", \"step\": 1}\nnot json\n");
        bad.close();
        QString error;
        QVERIFY(!d->openRun(bad.fileName(), &error));
        QVERIFY2(error.contains(QStringLiteral("bad.jsonl:1")), qPrintable(error));
        QCOMPARE(d->runCount(), 2);
    }

    void theSpiralsDecisionGridChangesAsItLearns() {
        TrainingWindow t;
        QVERIFY(t.open("spirals_mlp.json"));
        auto& [w, d] = t;
        field<QSpinBox>(d, "epochs")->setValue(100000);
        QVERIFY(t.train());
        QVERIFY(t.pause()); // hold it near the start to see the untrained regions
        QVERIFY(t.waitFor([&] { return d->regions()->gridStep() >= 0; }, 30000));
        const Index firstStep = d->regions()->gridStep();
        QVERIFY2(firstStep < 50, qPrintable(QString::number(firstStep)));
        const std::vector<int> first = d->regions()->classes();
        QCOMPARE(first.size(), size_t(DecisionRegions::kResolution * DecisionRegions::kResolution));
        d->trainAction()->trigger(); // resume
        QVERIFY(t.waitFor([&] { return d->regions()->gridStep() > 5000; }));
        QVERIFY(t.stop());
        int changed = 0;
        for (size_t i = 0; i < first.size(); ++i) changed += d->regions()->classes()[i] != first[i];
        QVERIFY2(changed > int(first.size()) / 10, qPrintable(QString::number(changed)));
        QVERIFY(d->currentRun()->series.at(QStringLiteral("accuracy: y cross_entropy vs label")).y.back() > 0.9);
    }

    void theTutorialsUnfinishedResNetIsRefusedInThePanel() {
        TrainingWindow t;
        QVERIFY(t.open("resnet_tutorial.json")); // the tutorial's shortcut still lacks its projection
        auto& [w, d] = t;
        d->trainAction()->trigger();
        QVERIFY(!d->isActive());
        QVERIFY2(d->message().contains(QStringLiteral("block1, node 'sum' (add): cannot add 'x' [N, 3, 32, 32]")),
                 qPrintable(d->message()));
        QCOMPARE(d->runCount(), 0);
        QVERIFY(w.view()->isEnabled());
    }

    void aMissingDatasetIsNamedInThePanel() {
        TrainingWindow t;
        QVERIFY(t.open("spirals_mlp.json"));
        auto& [w, d] = t;
        field<QComboBox>(d, "dataset")->setCurrentText(QStringLiteral("/nonexistent/folder.csv"));
        d->trainAction()->trigger();
        QVERIFY(!d->isActive());
        QVERIFY2(d->message().startsWith(QStringLiteral("Cannot train: ")), qPrintable(d->message()));
        QVERIFY2(d->message().contains(QStringLiteral("/nonexistent/folder.csv")), qPrintable(d->message()));
        QCOMPARE(d->runCount(), 0);
    }
};

QTEST_MAIN(TestTraining)
#include "tst_training.moc"
