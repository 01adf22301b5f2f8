#include "app/MainWindow.h"
#include "app/MenuPath.h"
#include "app/RenderBenchmark.h"
#include "training/TrainingBenchmark.h"
#include "training/TrainingDock.h"
#include "editor/Editor.h"
#include "editor/EditorScene.h"
#include "editor/EditorView.h"
#include "editor/NodeItem.h"

#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QSpinBox>
#include <QCommandLineParser>
#include <QTabWidget>
#include <QTimer>

#include <cstdio>

int main(int argc, char* argv[]) {
    QApplication app(argc, argv);
    // QSettings reads these: ~/.config/ModuleLab/ModuleLab.conf on Linux.
    QApplication::setOrganizationName(QStringLiteral("ModuleLab"));
    QApplication::setApplicationName(QStringLiteral("ModuleLab"));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Build PyTorch-style models and watch them train."));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("file"), QStringLiteral("Model file to open (.json)."),
                                 QStringLiteral("[file]"));
    const QCommandLineOption screenshot(QStringLiteral("screenshot"),
                                        QStringLiteral("Write a PNG of the window to <png> and quit."),
                                        QStringLiteral("png"));
    const QCommandLineOption enter(QStringLiteral("enter"), QStringLiteral("Open the block that node <id> calls."),
                                   QStringLiteral("id"));
    const QCommandLineOption select(QStringLiteral("select"), QStringLiteral("Select item <key>."),
                                    QStringLiteral("key"));
    const QCommandLineOption light(QStringLiteral("light"), QStringLiteral("Use the light theme."));
    const QCommandLineOption bench(QStringLiteral("render-bench"),
                                   QStringLiteral("Measure frame times on generated graphs and quit."));
    const QCommandLineOption menu(QStringLiteral("menu"),
                                  QStringLiteral("Choose the menu item at <path> (e.g. File/Examples/simple_cnn.json) "
                                                 "once the window is up, and print the file then open."),
                                  QStringLiteral("path"));
    const QCommandLineOption trainBench(QStringLiteral("train-bench"),
                                        QStringLiteral("Train the file headless, then in the window with the plots shown; "
                                                       "print both step rates and the GUI event latency, and quit."));
    const QCommandLineOption maxSteps(QStringLiteral("max-steps"), QStringLiteral("Cap training at <n> steps."),
                                      QStringLiteral("n"), QStringLiteral("0"));
    const QCommandLineOption tab(QStringLiteral("tab"), QStringLiteral("Training plot tab to show (0 Loss ... 4 Regions)."),
                                 QStringLiteral("index"), QStringLiteral("0"));
    const QCommandLineOption trainFor(QStringLiteral("train-for"),
                                      QStringLiteral("With --screenshot: train for <ms> first (the plots mid-run)."),
                                      QStringLiteral("ms"));
    const QCommandLineOption repeats(QStringLiteral("repeats"), QStringLiteral("With --train-bench: pairs of runs (median)."),
                                     QStringLiteral("n"), QStringLiteral("1"));
    const QCommandLineOption dataset(QStringLiteral("dataset"), QStringLiteral("Train on <name> (the panel's Dataset field)."),
                                     QStringLiteral("name"));
    const QCommandLineOption epochs(QStringLiteral("epochs"), QStringLiteral("Train for <n> epochs (the panel's Epochs field)."),
                                    QStringLiteral("n"));
    parser.addOptions({screenshot, enter, select, light, bench, menu, trainBench, maxSteps, tab, trainFor, repeats, dataset, epochs});
    parser.process(app);

    if (parser.isSet(bench)) return ml::gui::runRenderBenchmark({1000, 3000}, stdout);

    ml::gui::MainWindow window;
    const bool shot = parser.isSet(screenshot);
    if (shot) {
        window.setPromptsEnabled(false);
        window.setDarkTheme(!parser.isSet(light));
        window.resize(1600, 1000);
    }
    if (const QStringList args = parser.positionalArguments(); !args.isEmpty()) window.openFile(args.first());
    window.show();
    if (parser.isSet(dataset))
        if (auto* field = window.training()->findChild<QComboBox*>(QStringLiteral("dataset")))
            field->setCurrentText(parser.value(dataset));
    if (parser.isSet(epochs))
        if (auto* field = window.training()->findChild<QSpinBox*>(QStringLiteral("epochs"))) field->setValue(parser.value(epochs).toInt());
    if (parser.isSet(trainBench)) {
        window.setPromptsEnabled(false);
        return ml::gui::runTrainingBenchmark(window, parser.value(maxSteps).toLongLong(), parser.value(tab).toInt(),
                                             parser.value(repeats).toInt(), stdout);
    }
    if (auto* tabs = window.training()->findChild<QTabWidget*>()) tabs->setCurrentIndex(parser.value(tab).toInt());
    if (shot && parser.isSet(trainFor)) {
        // Mid-run: train for the given time, pause, then take the picture.
        QTimer::singleShot(300, &window, [&] { window.training()->trainAction()->trigger(); });
        QTimer::singleShot(300 + parser.value(trainFor).toInt(), &window, [&] { window.training()->pauseAction()->trigger(); });
    }
    if (parser.isSet(enter)) window.editor()->enterNode(parser.value(enter));
    if (parser.isSet(select)) window.editor()->scene()->selectKeys({parser.value(select)});
    if (parser.isSet(menu)) {
        QString error;
        QAction* action = ml::gui::findMenuAction(window.menuBar(), parser.value(menu), &error);
        if (!action) {
            std::fprintf(stderr, "error: %s\n", qPrintable(error));
            return 1;
        }
        action->trigger();
        std::printf("menu %s: open file %s\n", qPrintable(parser.value(menu)),
                    window.currentFile().isEmpty() ? "(none)" : qPrintable(window.currentFile()));
        std::fflush(stdout);
    }
    if (shot) {
        QTimer::singleShot(800 + (parser.isSet(trainFor) ? parser.value(trainFor).toInt() + 400 : 0), &window, [&] {
            window.view()->frameAll();
            if (parser.isSet(select)) {
                // Readable: natural size, centred on the selected item.
                if (auto* item = window.editor()->scene()->nodeItem(parser.value(select))) {
                    window.view()->setTransform(QTransform());
                    window.view()->centerOn(item);
                }
            }
            QApplication::processEvents();
            const bool ok = window.grab().save(parser.value(screenshot));
            std::fprintf(ok ? stdout : stderr, "%s %s\n", ok ? "wrote" : "could not write",
                         qPrintable(parser.value(screenshot)));
            QApplication::exit(ok ? 0 : 1);
        });
    }
    return QApplication::exec();
}
