// The window's default dock layout (no saved state), at the sizes people
// open it at: the canvas dominant, the palette left, the inspector over the
// module tree right, Training / Diagnostics / Code as one bottom tab strip of
// a sensible height with Training in front; F5 from another tab brings the
// Training tab (its plots) forward, a file opened with problems Diagnostics.
#include "app/MainWindow.h"
#include "editor/EditorView.h"
#include "training/LivePlot.h"
#include "training/QCustomPlotInclude.h"
#include "training/TrainingDock.h"

#include <QDockWidget>
#include <QMenuBar>
#include <QSpinBox>
#include <QStandardPaths>
#include <QtTest>

using namespace ml::gui;

namespace {
const QString kExamples = QStringLiteral(MODULELAB_SOURCE_DIR "/resources/examples/");

// Where a dock sits in the window, and whether it is the tab in front.
QRect placeOf(MainWindow& w, const char* name) {
    auto* d = w.findChild<QDockWidget*>(QLatin1String(name));
    if (!d || d->visibleRegion().isEmpty()) return {};
    return QRect(d->mapTo(&w, QPoint(0, 0)), d->size());
}
} // namespace

class TestLayout : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true); // no layout a person's earlier session saved
        QCoreApplication::setOrganizationName(QStringLiteral("ModuleLabTest"));
    }

    void defaultLayout_data() {
        QTest::addColumn<QSize>("size");
        QTest::newRow("1600x1000") << QSize(1600, 1000);
        QTest::newRow("1200x800") << QSize(1200, 800);
    }

    void defaultLayout() {
        QFETCH(QSize, size);
        MainWindow w;
        w.setPromptsEnabled(false);
        QVERIFY(w.openFile(kExamples + "multitask.json"));
        w.resize(size);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QTest::qWait(50);

        const QRect canvas(w.view()->mapTo(&w, QPoint(0, 0)), w.view()->size());
        const QRect palette = placeOf(w, "paletteDock");
        const QRect inspector = placeOf(w, "inspectorDock");
        const QRect tree = placeOf(w, "moduleTreeDock");
        const QRect training = placeOf(w, "TrainingDock");
        const QString where = QStringLiteral("canvas %1x%2, palette %3, inspector %4x%5, tree %6, bottom %7")
                                  .arg(canvas.width())
                                  .arg(canvas.height())
                                  .arg(palette.width())
                                  .arg(inspector.width())
                                  .arg(inspector.height())
                                  .arg(tree.height())
                                  .arg(training.height());
        // The canvas has most of the window both ways.
        QVERIFY2(canvas.width() >= size.width() * 55 / 100 && canvas.height() >= size.height() * 50 / 100, qPrintable(where));
        // Palette left of it; inspector above the module tree right of it, both tall enough to use.
        QVERIFY2(!palette.isEmpty() && palette.right() < canvas.left() && palette.width() >= 160, qPrintable(where));
        QVERIFY2(!inspector.isEmpty() && !tree.isEmpty() && inspector.left() > canvas.right() && tree.left() > canvas.right() &&
                     inspector.bottom() < tree.top() && inspector.height() >= 200 && tree.height() >= 150 &&
                     inspector.width() >= 300,
                 qPrintable(where));
        // Training in front of one bottom strip with Diagnostics and Code: below the canvas, 25-35% of the height.
        QVERIFY2(!training.isEmpty() && training.top() > canvas.bottom() && training.height() >= size.height() / 4 &&
                     training.height() <= size.height() * 35 / 100,
                 qPrintable(where));
        auto* diag = w.findChild<QDockWidget*>(QStringLiteral("diagnosticsDock"));
        auto* code = w.findChild<QDockWidget*>(QStringLiteral("codeDock"));
        const QList<QDockWidget*> tabs = w.tabifiedDockWidgets(w.training());
        QVERIFY(tabs.contains(diag) && tabs.contains(code));
        QVERIFY(placeOf(w, "diagnosticsDock").isEmpty() && placeOf(w, "codeDock").isEmpty());

        // F5 on the canvas with the Code tab in front: the run's plots come forward.
        code->raise();
        QTest::qWait(20);
        QVERIFY(placeOf(w, "TrainingDock").isEmpty());
        w.training()->findChild<QSpinBox*>(QStringLiteral("epochs"))->setValue(1);
        w.activateWindow();
        w.view()->setFocus();
        QTest::keyClick(w.view(), Qt::Key_F5);
        QVERIFY(QTest::qWaitFor([&] { return !placeOf(w, "TrainingDock").isEmpty(); }, 5000));
        QVERIFY(QTest::qWaitFor([&] { return !w.training()->isActive(); }, 60000));
    }

    // A file opened with problems says "see Diagnostics": that tab is in front.
    void problemsBringDiagnosticsForward() {
        MainWindow w;
        w.setPromptsEnabled(false);
        w.resize(1600, 1000);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY(w.openFile(kExamples + "multitask.json"));
        QTest::qWait(20);
        QVERIFY(!placeOf(w, "TrainingDock").isEmpty());
        QVERIFY(w.openFile(kExamples + "resnet_tutorial.json"));
        QTest::qWait(20);
        QVERIFY(!placeOf(w, "diagnosticsDock").isEmpty());
        QVERIFY(placeOf(w, "TrainingDock").isEmpty());
    }

    // The plots follow the window's theme: dark plots in the dark window, and View > Dark Theme switches both.
    void plotsFollowTheTheme() {
        MainWindow w;
        w.setPromptsEnabled(false);
        w.setDarkTheme(true);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QCustomPlot* loss = w.training()->plot(QStringLiteral("Loss"))->findChild<QCustomPlot*>();
        QVERIFY(loss);
        QVERIFY2(loss->grab().toImage().pixelColor(3, 3).lightness() < 80, "a dark plot");
        QCOMPARE(loss->xAxis->tickLabelColor().lightness() > 150, true);
        QAction* dark = nullptr;
        for (QAction* a : w.menuBar()->actions())
            if (a->menu())
                for (QAction* b : a->menu()->actions())
                    if (b->text().remove('&') == QLatin1String("Dark Theme")) dark = b;
        QVERIFY(dark && dark->isChecked());
        dark->trigger();
        QVERIFY(!dark->isChecked());
        QVERIFY2(loss->grab().toImage().pixelColor(3, 3).lightness() > 200, "a light plot");
        QCOMPARE(loss->xAxis->tickLabelColor(), QColor(Qt::black));
        dark->trigger(); // the saved setting back to the default
    }
};

QTEST_MAIN(TestLayout)
#include "tst_layout.moc"
