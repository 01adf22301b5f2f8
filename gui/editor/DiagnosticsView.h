#pragma once
// The diagnostics dock: every problem shape inference found, with its fix;
// clicking one shows its place on the canvas and selects the node.
#include <QWidget>

class QListWidget;
class QPushButton;

namespace ml::gui {

class Editor;

class DiagnosticsView : public QWidget {
    Q_OBJECT

public:
    explicit DiagnosticsView(Editor* editor, QWidget* parent = nullptr);
    void rebuild();
    QListWidget* list() const { return m_list; }
    void activate(int row); // what a click does

private:
    Editor* m_editor;
    QListWidget* m_list;
    QPushButton* m_fix;
};

} // namespace ml::gui
