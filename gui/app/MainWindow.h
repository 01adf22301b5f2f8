#pragma once
// The top-level window: the canvas with its breadcrumb, the docks (palette,
// inspector, module tree, diagnostics), menus and shortcuts, files (open,
// save, recent, examples, drop a file on the window) and the unsaved mark.
#include <QMainWindow>
#include <QString>

class QCloseEvent;
class QShowEvent;
class QHBoxLayout;
class QLabel;
class QMenu;

namespace ml::gui {

class DiagnosticsView;
class Editor;
class EditorView;
class Inspector;
class ModuleTreeView;
class PaletteView;
class TrainingDock;

class MainWindow : public QMainWindow {
    Q_OBJECT

public:
    explicit MainWindow(QWidget* parent = nullptr);

    // Opens a model; on failure shows the engine's message and keeps the current model.
    bool openFile(const QString& path);
    bool saveTo(const QString& path);
    QString currentFile() const { return m_currentFile; }
    QString lastError() const { return m_lastError; }
    // Tests and the screenshot tool turn off modal questions and message boxes.
    void setPromptsEnabled(bool on) { m_prompts = on; }

    Editor* editor() const { return m_editor; }
    EditorView* view() const { return m_view; }
    PaletteView* palette() const { return m_palette; }
    Inspector* inspector() const { return m_inspector; }
    ModuleTreeView* moduleTree() const { return m_tree; }
    DiagnosticsView* diagnostics() const { return m_diagnostics; }
    TrainingDock* training() const { return m_training; }
    QAction* openRunAction() const { return m_openRun; }
    bool openRun(const QString& path); // a `modulelab-cli train --log` JSONL file
    QAction* importWeightsAction() const { return m_importWeights; }
    // File > Import Weights without the file dialog; a refusal is shown with every bad name.
    bool importWeights(const QString& path);

    void exportImage(const QString& path); // .png or .svg, by extension
    void setDarkTheme(bool dark);

protected:
    void closeEvent(QCloseEvent* event) override;
    void showEvent(QShowEvent* event) override; // the default layout's dock sizes, from the shown window's size
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;
    // A click in a dock on anything but a text field hands the keyboard back
    // to the canvas, so Delete, F2, F, Home and Ctrl+Z act there.
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void createDocks();
    void applyDefaultDockSizes(); // dock sizes in proportion to the window (no saved layout)
    void createMenus();
    void rebuildBreadcrumb();
    void rebuildRecent();
    void updateTitle();
    bool maybeSave();
    void chooseFile();
    bool save();
    bool saveAs();
    void copySelection(bool cut);
    void pasteClipboard();
    void showError(const QString& title, const QString& text);
    void showAbout();
    void createTrainingMenu();
    void setEditingLocked(bool locked); // while a run trains: edits refused, shown in the status bar

    Editor* m_editor;
    EditorView* m_view;
    PaletteView* m_palette = nullptr;
    Inspector* m_inspector = nullptr;
    ModuleTreeView* m_tree = nullptr;
    DiagnosticsView* m_diagnostics = nullptr;
    TrainingDock* m_training = nullptr;
    QMenu* m_editMenu = nullptr;
    QAction* m_openRun = nullptr;
    QAction* m_importWeights = nullptr;
    QAction* m_darkTheme = nullptr;
    QLabel* m_lockBanner = nullptr;
    QHBoxLayout* m_crumbs = nullptr;
    QMenu* m_recentMenu = nullptr;
    QString m_currentFile;
    QString m_lastError;
    bool m_prompts = true;
    bool m_defaultSizesPending = true;
};

} // namespace ml::gui
