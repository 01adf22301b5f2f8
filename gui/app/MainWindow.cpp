#include "app/MainWindow.h"

#include "app/DataDir.h"
#include "editor/DiagnosticsView.h"
#include "editor/Editor.h"
#include "editor/EditorScene.h"
#include "editor/EditorView.h"
#include "editor/Inspector.h"
#include "editor/ModuleTreeView.h"
#include "editor/NodeItem.h"
#include "editor/PaletteView.h"
#include "editor/Theme.h"
#include "training/TrainingDock.h"

#include <QAction>
#include <algorithm>
#include <QApplication>
#include <QAbstractSpinBox>
#include <QClipboard>
#include <QComboBox>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QTextEdit>
#include <QTimer>
#include <QCloseEvent>
#include <QDir>
#include "code/CodePanel.h"

#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QPainter>
#include <QSettings>
#include <QSignalBlocker>
#include <QStatusBar>
#include <QStyle>
#include <QSvgGenerator>
#include <QToolBar>
#include <QTreeWidget>
#include <QToolButton>
#include <QUndoStack>
#include <QVBoxLayout>

namespace ml::gui {

namespace {
const char* const kGeometryKey = "mainWindow/geometry";
const char* const kStateKey = "mainWindow/state";
const char* const kLastDirKey = "mainWindow/lastDirectory";
const char* const kRecentKey = "mainWindow/recentFiles";
const char* const kThemeKey = "mainWindow/darkTheme";
// Raised whenever the default dock layout changes (2: Training, Diagnostics and Code tabbed at the bottom).
const int kStateVersion = 2;
} // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent), m_editor(new Editor(this)) {
    setAcceptDrops(true);
    auto* central = new QWidget(this);
    auto* layout = new QVBoxLayout(central);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    auto* crumbBar = new QWidget(central);
    crumbBar->setObjectName(QStringLiteral("breadcrumb"));
    m_crumbs = new QHBoxLayout(crumbBar);
    m_crumbs->setContentsMargins(6, 3, 6, 3);
    m_view = new EditorView(m_editor, central);
    layout->addWidget(crumbBar);
    m_lockBanner = new QLabel(tr("Training: the model cannot be edited while the run is active. Stop it (Shift+F5) to edit."), central);
    m_lockBanner->setObjectName(QStringLiteral("trainingLockBanner"));
    m_lockBanner->setStyleSheet(QStringLiteral("background: #8a6d00; color: white; padding: 3px 8px;"));
    m_lockBanner->hide();
    layout->addWidget(m_lockBanner);
    layout->addWidget(m_view, 1);
    setCentralWidget(central);

    createDocks();
    createMenus();
    connect(m_editor, &Editor::levelsChanged, this, &MainWindow::rebuildBreadcrumb);
    connect(m_editor, &Editor::message, this, [this](const QString& text) { statusBar()->showMessage(text, 8000); });
    connect(m_editor->undoStack(), &QUndoStack::cleanChanged, this, &MainWindow::updateTitle);
    connect(m_palette, &PaletteView::activated, this, [this](const QString& entry) {
        m_editor->addFromPalette(entry, m_view->snapped(m_view->mapToScene(m_view->viewport()->rect().center())));
        m_view->setFocus(Qt::OtherFocusReason);
    });
    qApp->installEventFilter(this);
    rebuildBreadcrumb();
    updateTitle();
    statusBar()->showMessage(tr("Drag layers from the palette, or press Tab on the canvas."));

    QSettings settings;
    if (!restoreGeometry(settings.value(kGeometryKey).toByteArray())) resize(1500, 900);
    // A state saved by an older layout is not restored: its docks would keep the old places.
    m_defaultSizesPending = !restoreState(settings.value(kStateKey).toByteArray(), kStateVersion);
    setDarkTheme(settings.value(kThemeKey, true).toBool());
}

void MainWindow::createDocks() {
    auto dock = [this](const QString& title, const QString& name, QWidget* w, Qt::DockWidgetArea area) {
        auto* d = new QDockWidget(title, this);
        d->setObjectName(name); // saveState() remembers docks by name
        d->setWidget(w);
        addDockWidget(area, d);
        return d;
    };
    m_palette = new PaletteView(m_editor, this);
    m_inspector = new Inspector(m_editor, this);
    m_tree = new ModuleTreeView(m_editor, this);
    m_diagnostics = new DiagnosticsView(m_editor, this);
    // The default layout: the canvas dominant; the palette left; the inspector
    // over the module tree right; Training, Diagnostics and Code as tabs of
    // one bottom strip (Training in front). Sizes follow the window once it is
    // shown (applyDefaultDockSizes). A dock can only be tabbed, not split,
    // beside a dock that is already a tab: so the bottom strip is one tab group.
    dock(tr("Palette"), QStringLiteral("paletteDock"), m_palette, Qt::LeftDockWidgetArea);
    QDockWidget* inspector = dock(tr("Inspector"), QStringLiteral("inspectorDock"), m_inspector, Qt::RightDockWidgetArea);
    QDockWidget* tree = dock(tr("Module tree"), QStringLiteral("moduleTreeDock"), m_tree, Qt::RightDockWidgetArea);
    splitDockWidget(inspector, tree, Qt::Vertical);
    m_training = new TrainingDock(m_editor, this);
    addDockWidget(Qt::BottomDockWidgetArea, m_training);
    QDockWidget* diag = dock(tr("Diagnostics"), QStringLiteral("diagnosticsDock"), m_diagnostics, Qt::BottomDockWidgetArea);
    QDockWidget* code = dock(tr("Code"), QStringLiteral("codeDock"), new CodePanel(m_editor, this), Qt::BottomDockWidgetArea);
    tabifyDockWidget(m_training, diag);
    tabifyDockWidget(diag, code);
    m_training->raise();
    connect(m_training, &TrainingDock::activeChanged, this, &MainWindow::setEditingLocked);
    // F5 from any tab: the run's plots come to the front.
    connect(m_training, &TrainingDock::activeChanged, this, [this](bool active) {
        if (!active) return;
        m_training->show();
        m_training->raise();
    });
    // A module chosen in the tree highlights its training curves.
    connect(m_tree->tree(), &QTreeWidget::itemSelectionChanged, this, [this] {
        const QList<QTreeWidgetItem*> items = m_tree->tree()->selectedItems();
        m_training->highlightModule(items.isEmpty() ? QString() : items.first()->data(0, Qt::UserRole).toString());
    });
}

void MainWindow::applyDefaultDockSizes() {
    const auto find = [this](const char* name) { return findChild<QDockWidget*>(QLatin1String(name)); };
    const auto clamp = [](double v, int lo, int hi) { return std::clamp(static_cast<int>(v), lo, hi); };
    // Palette about 14% of the width, inspector and tree 24%, the bottom strip
    // 30% of the height: at 1500 x 900 the canvas keeps about 900 x 500 px.
    resizeDocks({find("paletteDock")}, {clamp(width() * 0.14, 170, 240)}, Qt::Horizontal);
    resizeDocks({find("inspectorDock")}, {clamp(width() * 0.24, 300, 420)}, Qt::Horizontal);
    const int side = height() - menuBar()->height() - statusBar()->height();
    resizeDocks({find("inspectorDock"), find("moduleTreeDock")}, {side * 55 / 100, side * 45 / 100}, Qt::Vertical);
    resizeDocks({m_training}, {clamp(height() * 0.30, 230, 380)}, Qt::Vertical);
}

void MainWindow::showEvent(QShowEvent* event) {
    QMainWindow::showEvent(event);
    if (!m_defaultSizesPending) return;
    m_defaultSizesPending = false;
    applyDefaultDockSizes();
}

void MainWindow::createTrainingMenu() {
    QMenu* train = menuBar()->addMenu(tr("T&rain"));
    QToolBar* bar = addToolBar(tr("Training"));
    bar->setObjectName(QStringLiteral("trainingToolBar"));
    for (QAction* a : {m_training->trainAction(), m_training->pauseAction(), m_training->stepAction(),
                       m_training->stopAction(), m_training->resetAction()}) {
        train->addAction(a);
        bar->addAction(a);
    }
    train->addSeparator();
    for (QAction* a : {m_training->exportRunAction(), m_training->saveWeightsAction(), m_training->saveCheckpointAction(),
                       m_training->resumeAction()})
        train->addAction(a);
}

void MainWindow::setEditingLocked(bool locked) {
    m_view->setEnabled(!locked);
    m_palette->setEnabled(!locked);
    m_inspector->setEnabled(!locked);
    m_lockBanner->setVisible(locked);
    m_importWeights->setEnabled(!locked);
    QUndoStack* undo = m_editor->undoStack();
    for (QAction* a : m_editMenu->actions()) a->setEnabled(!locked);
    if (!locked)
        for (QAction* a : m_editMenu->actions()) {
            // The undo stack's own actions follow what it can do.
            if (a->text().startsWith(tr("&Undo"))) a->setEnabled(undo->canUndo());
            if (a->text().startsWith(tr("&Redo"))) a->setEnabled(undo->canRedo());
        }
    statusBar()->showMessage(locked ? tr("Training: editing is off until the run stops.") : tr("Run ended: editing is on."), 6000);
}

bool MainWindow::openRun(const QString& path) {
    QString error;
    if (m_training->openRun(path, &error)) return true;
    showError(tr("Cannot open the run %1").arg(QFileInfo(path).fileName()), error);
    return false;
}

bool MainWindow::importWeights(const QString& path) {
    QString error;
    if (!m_training->importWeights(path, &error)) {
        showError(tr("Cannot import weights from %1").arg(QFileInfo(path).fileName()), error);
        return false;
    }
    statusBar()->showMessage(tr("Imported weights from %1: the next run starts from them.").arg(QDir::toNativeSeparators(path)), 8000);
    return true;
}

void MainWindow::createMenus() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->addAction(tr("&New"), QKeySequence::New, this, [this] {
        if (!maybeSave()) return;
        m_editor->newDocument();
        m_currentFile.clear();
        updateTitle();
    });
    file->addAction(tr("&Open..."), QKeySequence::Open, this, &MainWindow::chooseFile);
    m_recentMenu = file->addMenu(tr("Open &Recent"));
    QMenu* examples = file->addMenu(tr("&Examples"));
    const QDir dir(dataPath(QStringLiteral("examples")));
    for (const QString& name : dir.entryList({QStringLiteral("*.json")}, QDir::Files, QDir::Name))
        examples->addAction(name, this, [this, path = dir.filePath(name)] {
            if (maybeSave()) openFile(path);
        });
    file->addSeparator();
    m_openRun = file->addAction(tr("Open &Run..."), this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Open a training log"), QString(),
                                                          tr("Training logs (*.jsonl);;All files (*)"));
        if (!path.isEmpty()) openRun(path);
    });
    file->addAction(tr("&Save"), QKeySequence::Save, this, &MainWindow::save);
    // Spelled out: the platform's SaveAs binding is empty on several Linux desktops.
    file->addAction(tr("Save &As..."), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_S), this, &MainWindow::saveAs);
    file->addSeparator();
    file->addAction(tr("Export Canvas as &PNG..."), this, [this] {
        const QString p = QFileDialog::getSaveFileName(this, tr("Export PNG"), QString(), tr("PNG (*.png)"));
        if (!p.isEmpty()) exportImage(p);
    });
    file->addAction(tr("Export Canvas as S&VG..."), this, [this] {
        const QString p = QFileDialog::getSaveFileName(this, tr("Export SVG"), QString(), tr("SVG (*.svg)"));
        if (!p.isEmpty()) exportImage(p);
    });
    QMenu* exportMenu = file->addMenu(tr("E&xport"));
    exportMenu->addAction(tr("&PyTorch..."), this, [this] {
        const QString path = CodePanel::exportWithPreview(m_editor, m_currentFile, this);
        if (!path.isEmpty()) statusBar()->showMessage(tr("Exported %1").arg(QDir::toNativeSeparators(path)), 5000);
    });
    m_importWeights = file->addAction(tr("Import &Weights..."), this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Import weights"), QFileInfo(m_currentFile).absolutePath(),
                                                          tr("safetensors weights (*.safetensors);;All files (*)"));
        if (!path.isEmpty()) importWeights(path);
    });
    m_importWeights->setObjectName(QStringLiteral("importWeightsAction"));
    m_importWeights->setToolTip(tr("Weights trained in PyTorch (save_safetensors) or by modulelab-cli: the next run starts from them"));
    file->addSeparator();
    QAction* quit = file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);
    quit->setMenuRole(QAction::QuitRole);
    rebuildRecent();

    QMenu* edit = menuBar()->addMenu(tr("&Edit"));
    m_editMenu = edit;
    QAction* undo = m_editor->undoStack()->createUndoAction(this, tr("&Undo"));
    undo->setShortcut(QKeySequence::Undo);
    QAction* redo = m_editor->undoStack()->createRedoAction(this, tr("&Redo"));
    redo->setShortcut(QKeySequence::Redo);
    edit->addAction(undo);
    edit->addAction(redo);
    edit->addSeparator();
    edit->addAction(tr("Cu&t"), QKeySequence::Cut, this, [this] { copySelection(true); });
    edit->addAction(tr("&Copy"), QKeySequence::Copy, this, [this] { copySelection(false); });
    edit->addAction(tr("&Paste"), QKeySequence::Paste, this, &MainWindow::pasteClipboard);
    edit->addAction(tr("&Delete"), QKeySequence::Delete, this,
                    [this] { m_editor->deleteItems(m_editor->scene()->selectedKeys()); });
    edit->addAction(tr("Delete and &Reconnect"), QKeySequence(Qt::CTRL | Qt::Key_Delete), this,
                    [this] { m_editor->deleteAndReconnect(m_editor->scene()->selectedKeys()); });
    edit->addAction(tr("D&uplicate"), QKeySequence(Qt::CTRL | Qt::Key_D), this,
                    [this] { m_editor->duplicate(m_editor->scene()->selectedKeys()); });
    edit->addAction(tr("Select &All"), QKeySequence::SelectAll, this, [this] {
        QStringList all;
        for (const auto& [k, item] : m_editor->scene()->nodeItems()) all << k;
        m_editor->scene()->selectKeys(all);
    });
    edit->addSeparator();
    edit->addAction(tr("Call &Again (share the instance)"), QKeySequence(Qt::CTRL | Qt::Key_R), this, [this] {
        const QStringList keys = m_editor->scene()->selectedKeys();
        if (keys.size() == 1) m_editor->callAgain(keys.front());
    });
    edit->addAction(tr("Group into &Sequential"), QKeySequence(Qt::CTRL | Qt::ALT | Qt::Key_S), this,
                    [this] { m_editor->group(QStringLiteral("Sequential"), m_editor->scene()->selectedKeys()); });
    edit->addAction(tr("Group into &ModuleList"), QKeySequence(Qt::CTRL | Qt::ALT | Qt::Key_L), this,
                    [this] { m_editor->group(QStringLiteral("ModuleList"), m_editor->scene()->selectedKeys()); });
    edit->addAction(tr("&Group into Block"), QKeySequence(Qt::CTRL | Qt::Key_G), this,
                    [this] { m_editor->group(QStringLiteral("block"), m_editor->scene()->selectedKeys()); });
    edit->addAction(tr("&Ungroup"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_G), this, [this] {
        const QStringList keys = m_editor->scene()->selectedKeys();
        if (keys.size() == 1) m_editor->ungroup(keys.front());
    });
    edit->addAction(tr("&Tidy Layout"), QKeySequence(Qt::CTRL | Qt::Key_L), m_editor, &Editor::tidyLayout);

    QMenu* view = menuBar()->addMenu(tr("&View"));
    view->addAction(tr("Zoom &In"), QKeySequence::ZoomIn, this, [this] { m_view->zoomBy(1.25); });
    view->addAction(tr("Zoom &Out"), QKeySequence::ZoomOut, this, [this] { m_view->zoomBy(0.8); });
    view->addAction(tr("Zoom to &Fit (Home)"), QKeySequence(Qt::CTRL | Qt::Key_0), m_view, &EditorView::frameAll);
    view->addAction(tr("Frame &Selection (F)"), m_view, &EditorView::frameSelection);
    view->addAction(tr("Back &Out of Block"), QKeySequence(Qt::CTRL | Qt::Key_Tab), m_editor, &Editor::goUp);
    view->addSeparator();
    QAction* minimap = view->addAction(tr("&Minimap"));
    minimap->setCheckable(true);
    minimap->setChecked(true);
    connect(minimap, &QAction::toggled, m_view, &EditorView::setMinimapVisible);
    QAction* snap = view->addAction(tr("Snap to &Grid"));
    snap->setCheckable(true);
    snap->setChecked(true);
    connect(snap, &QAction::toggled, m_view, &EditorView::setSnapToGrid);
    m_darkTheme = view->addAction(tr("&Dark Theme"));
    m_darkTheme->setCheckable(true);
    m_darkTheme->setChecked(Theme::current().dark);
    connect(m_darkTheme, &QAction::toggled, this, &MainWindow::setDarkTheme);
    view->addSeparator();
    for (QDockWidget* d : findChildren<QDockWidget*>()) view->addAction(d->toggleViewAction());

    createTrainingMenu();
    QMenu* help = menuBar()->addMenu(tr("&Help"));
    QAction* about = help->addAction(tr("&About ModuleLab"), this, &MainWindow::showAbout);
    about->setMenuRole(QAction::AboutRole);
}

void MainWindow::setDarkTheme(bool dark) {
    Theme::setCurrent(dark ? Theme::darkTheme() : Theme::lightTheme());
    if (m_darkTheme && m_darkTheme->isChecked() != dark) {
        // Called from the saved setting or the screenshot tool too: View > Dark Theme shows the truth.
        const QSignalBlocker quiet(m_darkTheme);
        m_darkTheme->setChecked(dark);
    }
    // The docks follow the canvas: Fusion with a dark palette, or the standard one.
    QApplication::setStyle(QStringLiteral("Fusion"));
    QPalette pal = QApplication::style()->standardPalette();
    if (dark) {
        const Theme& t = Theme::current();
        pal.setColor(QPalette::Window, QColor(0x2a, 0x2c, 0x31));
        pal.setColor(QPalette::WindowText, t.text);
        pal.setColor(QPalette::Base, QColor(0x22, 0x24, 0x28));
        pal.setColor(QPalette::AlternateBase, QColor(0x2a, 0x2c, 0x31));
        pal.setColor(QPalette::Text, t.text);
        pal.setColor(QPalette::Button, QColor(0x34, 0x37, 0x3d));
        pal.setColor(QPalette::ButtonText, t.text);
        pal.setColor(QPalette::ToolTipBase, QColor(0x34, 0x37, 0x3d));
        pal.setColor(QPalette::ToolTipText, t.text);
        pal.setColor(QPalette::Highlight, QColor(0x35, 0x5c, 0x8c));
        pal.setColor(QPalette::HighlightedText, Qt::white);
        pal.setColor(QPalette::PlaceholderText, t.mutedText);
        pal.setColor(QPalette::Mid, t.mutedText);
        pal.setColor(QPalette::Disabled, QPalette::Text, t.mutedText);
        pal.setColor(QPalette::Disabled, QPalette::ButtonText, t.mutedText);
        pal.setColor(QPalette::Disabled, QPalette::WindowText, t.mutedText);
    }
    QApplication::setPalette(pal);
    QSettings().setValue(kThemeKey, dark);
    m_view->resetCachedContent();
    for (const auto& [k, item] : m_editor->scene()->nodeItems()) item->update();
    m_view->viewport()->update();
    m_diagnostics->rebuild();
    m_training->applyTheme();
}

void MainWindow::rebuildBreadcrumb() {
    while (QLayoutItem* item = m_crumbs->takeAt(0)) {
        delete item->widget();
        delete item;
    }
    const auto& levels = m_editor->levels();
    for (size_t i = 0; i < levels.size(); ++i) {
        if (i) m_crumbs->addWidget(new QLabel(QStringLiteral("›")));
        auto* b = new QToolButton;
        const QString path = levels[i].instancePath.section(QLatin1Char('.'), -1);
        b->setText(i == 0 ? levels[i].definition : path + QStringLiteral(" (") + levels[i].definition + QLatin1Char(')'));
        b->setAutoRaise(true);
        b->setEnabled(i + 1 < levels.size());
        b->setObjectName(QStringLiteral("crumb%1").arg(i));
        connect(b, &QToolButton::clicked, this, [this, i] { m_editor->goToLevel(static_cast<int>(i)); });
        m_crumbs->addWidget(b);
    }
    auto* hint = new QLabel(levels.size() > 1 ? tr("   editing the definition %1: every instance of it changes")
                                                    .arg(levels.back().definition)
                                              : tr("   double-click a block to open it"));
    hint->setStyleSheet(QStringLiteral("color: gray;"));
    m_crumbs->addWidget(hint);
    m_crumbs->addStretch(1);
}

void MainWindow::rebuildRecent() {
    m_recentMenu->clear();
    const QStringList recent = QSettings().value(kRecentKey).toStringList();
    for (const QString& path : recent)
        m_recentMenu->addAction(QDir::toNativeSeparators(path), this, [this, path] {
            if (maybeSave()) openFile(path);
        });
    m_recentMenu->setEnabled(!recent.isEmpty());
}

void MainWindow::updateTitle() {
    const QString name = m_currentFile.isEmpty() ? tr("untitled.json") : QFileInfo(m_currentFile).fileName();
    setWindowTitle(name + QStringLiteral("[*] — ModuleLab"));
    setWindowModified(!m_editor->undoStack()->isClean());
}

void MainWindow::showError(const QString& title, const QString& text) {
    m_lastError = text;
    // The first line; a list under it ("the weights do not fit the model:") is counted, not cut off at the colon.
    const int more = static_cast<int>(text.trimmed().count(QLatin1Char('\n')));
    statusBar()->showMessage(title + QStringLiteral(": ") + text.section(QLatin1Char('\n'), 0, 0) +
                             (more == 1 ? tr(" (1 more line in the message)")
                              : more > 1  ? tr(" (%1 more lines in the message)").arg(more)
                                          : QString()));
    if (m_prompts) QMessageBox::warning(this, title, text);
}

bool MainWindow::openFile(const QString& path) {
    QString error;
    if (m_training->isActive()) m_training->session()->stopAndWait(); // the run knows the revision it trained
    if (!m_editor->loadFile(path, &error)) {
        showError(tr("Cannot open %1").arg(QFileInfo(path).fileName()), error);
        return false;
    }
    m_currentFile = QFileInfo(path).absoluteFilePath();
    QSettings settings;
    QStringList recent = settings.value(kRecentKey).toStringList();
    recent.removeAll(m_currentFile);
    recent.prepend(m_currentFile);
    while (recent.size() > 10) recent.removeLast();
    settings.setValue(kRecentKey, recent);
    rebuildRecent();
    updateTitle();
    const Analysis& a = m_editor->model()->analysis();
    // "see Diagnostics": the tab comes to the front of the bottom strip.
    if (!a.ok())
        if (auto* diag = findChild<QDockWidget*>(QStringLiteral("diagnosticsDock")); diag && !diag->isFloating()) diag->raise();
    statusBar()->showMessage(a.ok() ? tr("Opened %1: valid.").arg(QFileInfo(path).fileName())
                                    : tr("Opened %1: %2 problem(s), see Diagnostics.")
                                          .arg(QFileInfo(path).fileName())
                                          .arg(a.diagnostics.size()));
    return true;
}

bool MainWindow::saveTo(const QString& path) {
    QString error;
    if (!m_editor->saveFile(path, &error)) {
        showError(tr("Cannot save"), error);
        return false;
    }
    m_currentFile = QFileInfo(path).absoluteFilePath();
    updateTitle();
    statusBar()->showMessage(tr("Saved %1").arg(QDir::toNativeSeparators(path)), 5000);
    return true;
}

bool MainWindow::save() { return m_currentFile.isEmpty() ? saveAs() : saveTo(m_currentFile); }

bool MainWindow::saveAs() {
    const QString path = QFileDialog::getSaveFileName(this, tr("Save model"), m_currentFile,
                                                      tr("ModuleLab models (*.json)"));
    return !path.isEmpty() && saveTo(path);
}

bool MainWindow::maybeSave() {
    if (m_editor->undoStack()->isClean() || !m_prompts) return true;
    const auto answer = QMessageBox::warning(this, tr("Unsaved changes"),
                                             tr("The model has unsaved changes. Save them?"),
                                             QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel);
    if (answer == QMessageBox::Save) return save();
    return answer == QMessageBox::Discard;
}

void MainWindow::chooseFile() {
    if (!maybeSave()) return;
    QSettings settings;
    const QString startDir =
        settings.value(kLastDirKey, dataPath(QStringLiteral("examples"))).toString();
    const QString path = QFileDialog::getOpenFileName(this, tr("Open model"), startDir,
                                                      tr("ModuleLab models (*.json);;All files (*)"));
    if (path.isEmpty()) return;
    settings.setValue(kLastDirKey, QFileInfo(path).absolutePath());
    openFile(path);
}

void MainWindow::copySelection(bool cut) {
    const QStringList keys = m_editor->scene()->selectedKeys();
    const QString json = m_editor->copy(keys);
    if (json.isEmpty()) return;
    QApplication::clipboard()->setText(json); // plain JSON: pastes into another window or a text editor
    if (cut) m_editor->deleteItems(keys);
}

void MainWindow::pasteClipboard() {
    const QPoint cursor = m_view->mapFromGlobal(QCursor::pos());
    const QPointF at = m_view->rect().contains(cursor) ? m_view->mapToScene(cursor)
                                                       : m_view->mapToScene(m_view->viewport()->rect().center());
    m_editor->paste(QApplication::clipboard()->text(), m_view->snapped(at));
}

void MainWindow::exportImage(const QString& path) {
    QGraphicsScene* scene = m_editor->scene();
    QRectF r;
    for (const auto& [k, item] : m_editor->scene()->nodeItems()) r |= item->sceneBoundingRect();
    r.adjust(-40, -40, 40, 40);
    const QList<QGraphicsItem*> selected = scene->selectedItems();
    scene->clearSelection();
    // Cached items would paint pixmaps: an SVG must get vector text and shapes.
    for (const auto& [k, item] : m_editor->scene()->nodeItems()) item->setCacheMode(QGraphicsItem::NoCache);
    if (path.endsWith(QLatin1String(".svg"), Qt::CaseInsensitive)) {
        QSvgGenerator svg;
        svg.setFileName(path);
        svg.setSize(r.size().toSize());
        svg.setViewBox(QRectF(QPointF(0, 0), r.size()));
        svg.setTitle(windowTitle());
        QPainter p(&svg);
        p.fillRect(QRectF(QPointF(0, 0), r.size()), Theme::current().background);
        scene->render(&p, QRectF(QPointF(0, 0), r.size()), r);
    } else {
        QImage image((r.size() * 2).toSize(), QImage::Format_ARGB32_Premultiplied);
        image.fill(Theme::current().background);
        QPainter p(&image);
        p.setRenderHint(QPainter::Antialiasing);
        scene->render(&p, QRectF(QPointF(0, 0), r.size() * 2), r);
        p.end();
        image.save(path);
    }
    for (const auto& [k, item] : m_editor->scene()->nodeItems()) item->setCacheMode(QGraphicsItem::DeviceCoordinateCache);
    for (QGraphicsItem* item : selected) item->setSelected(true);
    statusBar()->showMessage(tr("Exported %1").arg(QDir::toNativeSeparators(path)), 5000);
}

void MainWindow::showAbout() {
    QMessageBox::about(this, tr("About ModuleLab"),
                       tr("<p><b>ModuleLab</b></p>"
                          "<p>Build neural networks from PyTorch-style sub-models "
                          "(Sequential, ModuleList, custom blocks) and watch them train.</p>"
                          "<p>License: GPL-3.0-or-later.</p>"));
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
    if (event->mimeData()->hasUrls()) event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event) {
    const auto urls = event->mimeData()->urls();
    if (!urls.isEmpty() && urls.front().isLocalFile() && maybeSave()) openFile(urls.front().toLocalFile());
}

bool MainWindow::eventFilter(QObject* watched, QEvent* event) {
    if (event->type() != QEvent::MouseButtonRelease || !watched->isWidgetType()) return false;
    auto* w = static_cast<QWidget*>(watched);
    if (w->window() != this || m_view->isAncestorOf(w)) return false;
    bool inDock = false;
    for (QWidget* p = w; p && !inDock; p = p->parentWidget()) {
        // Typing goes where it was aimed: text fields, spin boxes and combos keep the keyboard.
        if (qobject_cast<QLineEdit*>(p) || qobject_cast<QAbstractSpinBox*>(p) || qobject_cast<QComboBox*>(p) ||
            qobject_cast<QTextEdit*>(p) || qobject_cast<QPlainTextEdit*>(p))
            return false;
        inDock = qobject_cast<QDockWidget*>(p) != nullptr;
    }
    if (inDock)
        QTimer::singleShot(0, m_view, [view = m_view] {
            QWidget* f = QApplication::focusWidget();
            if (!f || !(qobject_cast<QLineEdit*>(f) || qobject_cast<QAbstractSpinBox*>(f) || qobject_cast<QComboBox*>(f) ||
                        qobject_cast<QTextEdit*>(f) || qobject_cast<QPlainTextEdit*>(f)))
                view->setFocus(Qt::OtherFocusReason);
        });
    return false;
}

void MainWindow::closeEvent(QCloseEvent* event) {
    if (!maybeSave()) {
        event->ignore();
        return;
    }
    QSettings settings;
    settings.setValue(kGeometryKey, saveGeometry());
    settings.setValue(kStateKey, saveState(kStateVersion));
    QMainWindow::closeEvent(event);
}

} // namespace ml::gui
