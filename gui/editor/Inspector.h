#pragma once
// The inspector dock: what the selection is and does. A container gets the
// sentence that says how its kind runs; a layer its arguments (edits are
// undoable); a shared instance where else it is called; a node with a
// problem its messages and, when the engine suggests one, a fix button.
#include <QWidget>

class QLayout;
class QVBoxLayout;

namespace ml::gui {

class Editor;

class Inspector : public QWidget {
    Q_OBJECT

public:
    explicit Inspector(Editor* editor, QWidget* parent = nullptr);
    void rebuild();

    static QString kindSentence(const QString& kind); // "Sequential", "ModuleList", "Block"

private:
    void showDefinition();
    void showNode(const QString& key);
    void showSelection(const QStringList& keys);
    // One item of a container, selected on the canvas or in the module tree.
    void showItem(const QString& key, int row);
    void addItemArgs(const QString& key, int row); // the item's argument fields
    void addItemButtons(const QString& key, int row, QLayout* into);
    void addHeading(const QString& text);
    void addText(const QString& text, bool muted = false);

    Editor* m_editor;
    QWidget* m_content = nullptr;
    QVBoxLayout* m_layout = nullptr;
    QVBoxLayout* m_outer;
};

} // namespace ml::gui
