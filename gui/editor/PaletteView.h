#pragma once
// The palette dock: layers grouped by category, containers, ops and the
// file's blocks; a search field filters; items drag onto the canvas.
#include <QWidget>

class QLineEdit;
class QTreeWidget;

namespace ml::gui {

class Editor;

class PaletteView : public QWidget {
    Q_OBJECT

public:
    explicit PaletteView(Editor* editor, QWidget* parent = nullptr);
    void rebuild();
    QLineEdit* searchField() const { return m_search; }
    QTreeWidget* tree() const { return m_tree; }

Q_SIGNALS:
    void activated(const QString& entry); // double-click: add at the view's centre

private:
    Editor* m_editor;
    QLineEdit* m_search;
    QTreeWidget* m_tree;
};

} // namespace ml::gui
