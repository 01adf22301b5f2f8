#pragma once
// The module tree dock, like PyTorch's print(model): each module with its
// output shape and parameter count; totals unique (what trains) and naive
// (counting a shared module at every use). A click selects that module on
// the canvas (a container's item as that item, opening blocks on the way);
// the canvas selection is shown as the tree's current row.
#include <QWidget>

class QLabel;
class QTreeWidget;
class QTreeWidgetItem;

namespace ml::gui {

class Editor;
class GraphModel;

class ModuleTreeView : public QWidget {
    Q_OBJECT

public:
    explicit ModuleTreeView(Editor* editor, QWidget* parent = nullptr);
    void rebuild();
    // The row of the module at state_dict() path `path` ("" is the model), or null.
    QTreeWidgetItem* itemForPath(const QString& path) const;
    QTreeWidget* tree() const { return m_tree; }
    QLabel* totals() const { return m_totals; }

private:
    void showCanvasSelection();
    Editor* m_editor;
    GraphModel* m_model;
    bool m_syncing = false;
    QTreeWidget* m_tree;
    QLabel* m_totals;
};

} // namespace ml::gui
