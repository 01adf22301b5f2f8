#include "app/MainWindow.h"
#include "app/MenuPath.h"
#include "app/RenderBenchmark.h"
#include "editor/Editor.h"
#include "editor/EditorScene.h"
#include "editor/EditorView.h"
#include "editor/NodeItem.h"

#include <QAction>
#include <QApplication>
#include <QCommandLineParser>
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
    parser.addOptions({screenshot, enter, select, light, bench, menu});
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
        QTimer::singleShot(800, &window, [&] {
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
