// File > Import Weights, through the menu and its file dialog
// (offscreen): a file that does not fit the model is refused with every
// missing, unexpected and mis-shaped name in one message and changes
// nothing; one that fits is what the next run starts from, once.
#include "app/MainWindow.h"
#include "io/Safetensors.h"
#include "training/TrainingDock.h"

#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QLineEdit>
#include <QSpinBox>
#include <QStatusBar>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTimer>
#include <QtTest>
#include <cmath>

using namespace ml;
using namespace ml::gui;

namespace {

const QString kExamples = QStringLiteral(MODULELAB_SOURCE_DIR "/resources/examples/");

// spirals_mlp.json's state_dict, every value zero: each logit is 0, so the
// cross-entropy is ln 2 whatever the batch.
std::vector<io::NamedTensor> zeroWeights() {
    std::vector<io::NamedTensor> t;
    for (const auto& [name, shape] : std::vector<std::pair<std::string, std::vector<Index>>>{
             {"hidden.0.weight", {32, 2}}, {"hidden.0.bias", {32}}, {"hidden.2.weight", {32, 32}},
             {"hidden.2.bias", {32}}, {"classifier.weight", {2, 32}}, {"classifier.bias", {2}}})
        t.push_back({name, io::DType::F32, shape, std::vector<float>(size_t(Tensor::numel(shape)), 0.0f), {}});
    return t;
}

// File > Import Weights as a person does it: the menu action opens the file
// dialog, the path goes into its File name field, Return.
// (QFileDialog::selectFile() does not do this: on a shown dialog whose name
// field has the focus it leaves the field alone, so accept() found no file and
// the dialog stayed open; that, not the product, was the hang after the merges.)
void importThroughTheMenu(MainWindow& w, const QString& path) {
    QVERIFY(w.importWeightsAction()->isEnabled());
    bool typed = false;
    QTimer pick;
    pick.setInterval(20);
    QObject::connect(&pick, &QTimer::timeout, [&] {
        auto* dialog = qobject_cast<QFileDialog*>(QApplication::activeModalWidget());
        if (!dialog || !dialog->isVisible()) return;
        pick.stop();
        auto* name = dialog->findChild<QLineEdit*>(QStringLiteral("fileNameEdit"));
        if (!name) {
            dialog->reject();
            return;
        }
        // Pasted, then Return (keys one by one would open the name's completer
        // list, which offscreen keeps the Return from the dialog).
        name->setFocus();
        name->setText(path);
        QTest::keyClick(name, Qt::Key_Return);
        typed = true;
    });
    pick.start();
    QTimer guard; // a dialog left open fails the test instead of hanging it
    guard.setSingleShot(true);
    QObject::connect(&guard, &QTimer::timeout, [&] {
        if (auto* dialog = qobject_cast<QFileDialog*>(QApplication::activeModalWidget())) dialog->reject();
    });
    guard.start(20000);
    w.importWeightsAction()->trigger();
    QVERIFY2(typed, "the file dialog has a File name field");
    QVERIFY2(guard.isActive(), "the file dialog closed on Return");
    QVERIFY(!QApplication::activeModalWidget());
}

// Trains one epoch with an SGD step too small to move the weights visibly,
// and returns the largest |weight| after it (the weights it started from).
double trainAndReadLargestWeight(TrainingDock* d) {
    d->findChild<QComboBox*>(QStringLiteral("optimizer"))->setCurrentText(QStringLiteral("sgd"));
    d->findChild<QDoubleSpinBox*>(QStringLiteral("lr"))->setValue(1e-6);
    d->findChild<QDoubleSpinBox*>(QStringLiteral("momentum"))->setValue(0);
    d->findChild<QSpinBox*>(QStringLiteral("epochs"))->setValue(1);
    d->trainAction()->trigger();
    if (!d->isActive() || !QTest::qWaitFor([&] { return !d->isActive(); }, 120000)) return -1;
    double largest = 0;
    for (const StoredTensor& t : d->session()->trainer()->parameters().tensors())
        for (float v : t.value) largest = std::max(largest, double(std::abs(v)));
    return largest;
}

} // namespace

class TestImportWeights : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("ModuleLabTest"));
    }

    void refusedWholeThenUsedOnce() {
        QTemporaryDir dir;
        MainWindow w;
        w.setPromptsEnabled(false);
        QVERIFY(w.openFile(kExamples + "spirals_mlp.json"));
        TrainingDock* d = w.training();

        // Three faults at once: a misspelt name (unexpected + missing) and a wrong shape.
        std::vector<io::NamedTensor> bad = zeroWeights();
        bad[1].name = "hidden.1.bias";
        bad[4].shape = {3, 32};
        bad[4].f32.resize(3 * 32);
        const QString badPath = dir.filePath(QStringLiteral("bad.safetensors"));
        io::writeSafetensors(badPath.toStdString(), bad);
        importThroughTheMenu(w, badPath);
        const QString error = w.lastError();
        QVERIFY2(error.contains(QStringLiteral("the weights do not fit the model")) &&
                     error.contains(QStringLiteral("unexpected key 'hidden.1.bias'")) &&
                     error.contains(QStringLiteral("missing key 'hidden.0.bias'")) &&
                     error.contains(QStringLiteral("size mismatch for classifier.weight: the file has [3, 32], the model [2, 32]")),
                 qPrintable(error));
        QCOMPARE(d->message(), error);
        QVERIFY2(w.statusBar()->currentMessage().endsWith("the weights do not fit the model: (4 more lines in the message)"),
                 qPrintable(w.statusBar()->currentMessage()));
        QVERIFY(d->session()->startWeightsSource().isEmpty());
        // Nothing changed: the run starts from the seed's initialization.
        const double initial = trainAndReadLargestWeight(d);
        QVERIFY2(initial > 0.1, qPrintable(d->message()));

        const QString goodPath = dir.filePath(QStringLiteral("zeros.safetensors"));
        io::writeSafetensors(goodPath.toStdString(), zeroWeights());
        importThroughTheMenu(w, goodPath);
        QVERIFY2(d->message().startsWith(QStringLiteral("Imported 6 tensors from zeros.safetensors: the next run starts from them")),
                 qPrintable(d->message()));
        QVERIFY(d->resetAction()->isEnabled());
        QVERIFY(trainAndReadLargestWeight(d) < 1e-3);
        QVERIFY2(d->message().contains(QStringLiteral("Started from the weights imported from zeros.safetensors")) ||
                     d->message().startsWith(QStringLiteral("Run ")),
                 qPrintable(d->message()));
        const Run* run = d->currentRun();
        QVERIFY(run && !run->series.at(QStringLiteral("loss")).y.empty());
        for (double loss : run->series.at(QStringLiteral("loss")).y) QVERIFY(std::abs(loss - std::log(2.0)) < 1e-4);
        // Used once: a run after it goes on from that run's weights, and after
        // Reset Weights the next starts from the initialization again.
        QVERIFY(trainAndReadLargestWeight(d) < 1e-3);
        d->resetAction()->trigger();
        QVERIFY(std::abs(trainAndReadLargestWeight(d) - initial) < 1e-3);

        // While a run is active the action is off.
        d->findChild<QSpinBox*>(QStringLiteral("epochs"))->setValue(100000);
        d->trainAction()->trigger();
        QVERIFY(d->isActive());
        QVERIFY(!w.importWeightsAction()->isEnabled());
        d->stopAction()->trigger();
        QVERIFY(QTest::qWaitFor([&] { return !d->isActive(); }, 60000));
        QVERIFY(w.importWeightsAction()->isEnabled());
    }
};

QTEST_MAIN(TestImportWeights)
#include "tst_import_weights.moc"
