#include "app/MainWindow.h"

#include <QApplication>
#include <QCommandLineParser>

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
    parser.process(app);

    ml::gui::MainWindow window;
    if (const QStringList args = parser.positionalArguments(); !args.isEmpty()) window.openFile(args.first());
    window.show();
    return QApplication::exec();
}
