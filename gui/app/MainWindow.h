#pragma once

#include <QMainWindow>
#include <QString>

class QCloseEvent;

namespace ml::gui {

// The top-level window: menus, status bar, and (later) the editor and the
// training panel. Knows which model file is open; loading it is the editor's job.
class MainWindow : public QMainWindow {
    Q_OBJECT

public:
    explicit MainWindow(QWidget* parent = nullptr);

    // Makes path the current file and names it in the status bar.
    // requires: nothing; a missing file is reported in the status bar, not thrown.
    void openFile(const QString& path);
    QString currentFile() const { return m_currentFile; }

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    void createMenus();
    void chooseFile();
    void showAbout();

    QString m_currentFile;
};

} // namespace ml::gui
