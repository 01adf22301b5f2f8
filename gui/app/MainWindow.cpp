#include "app/MainWindow.h"

#include <QAction>
#include <QCloseEvent>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QSettings>
#include <QStatusBar>

namespace ml::gui {

namespace {
const char* const kGeometryKey = "mainWindow/geometry";
const char* const kStateKey = "mainWindow/state";
const char* const kLastDirKey = "mainWindow/lastDirectory";
} // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
    setWindowTitle(tr("ModuleLab"));
    createMenus();

    // Placeholder until the editor takes the central area.
    auto* placeholder = new QLabel(tr("Open a model with File > Open."), this);
    placeholder->setAlignment(Qt::AlignCenter);
    setCentralWidget(placeholder);

    statusBar()->showMessage(tr("No file"));

    QSettings settings;
    if (!restoreGeometry(settings.value(kGeometryKey).toByteArray())) resize(1280, 800);
    restoreState(settings.value(kStateKey).toByteArray());
}

void MainWindow::createMenus() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    QAction* open = file->addAction(tr("&Open..."), this, &MainWindow::chooseFile);
    open->setShortcut(QKeySequence::Open);
    file->addSeparator();
    QAction* quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);
    quit->setMenuRole(QAction::QuitRole);

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    QAction* about = help->addAction(tr("&About ModuleLab"), this, &MainWindow::showAbout);
    about->setMenuRole(QAction::AboutRole);
}

void MainWindow::openFile(const QString& path) {
    const QFileInfo info(path);
    if (!info.isFile()) {
        statusBar()->showMessage(tr("Cannot open %1: no such file").arg(QDir::toNativeSeparators(path)));
        return;
    }
    m_currentFile = info.absoluteFilePath();
    statusBar()->showMessage(info.fileName());
}

void MainWindow::chooseFile() {
    QSettings settings;
    const QString startDir =
        settings.value(kLastDirKey, QStringLiteral(MODULELAB_RESOURCES_DIR "/examples")).toString();
    const QString path = QFileDialog::getOpenFileName(this, tr("Open model"), startDir,
                                                      tr("ModuleLab models (*.json);;All files (*)"));
    if (path.isEmpty()) return;
    settings.setValue(kLastDirKey, QFileInfo(path).absolutePath());
    openFile(path);
}

void MainWindow::showAbout() {
    QMessageBox::about(this, tr("About ModuleLab"),
                       tr("<p><b>ModuleLab</b></p>"
                          "<p>Build neural networks from PyTorch-style sub-models "
                          "(Sequential, ModuleList, custom blocks) and watch them train.</p>"
                          "<p>License: GPL-3.0-or-later.</p>"));
}

void MainWindow::closeEvent(QCloseEvent* event) {
    QSettings settings;
    settings.setValue(kGeometryKey, saveGeometry());
    settings.setValue(kStateKey, saveState());
    QMainWindow::closeEvent(event);
}

} // namespace ml::gui
