#pragma once
// The module tree dock, like PyTorch's print(model): each module with its
// output shape and parameter count; totals unique (what trains) and naive
// (counting a shared module at every use).
#include <QWidget>

class QLabel;
class QTreeWidget;

namespace ml::gui {

class GraphModel;

class ModuleTreeView : public QWidget {
    Q_OBJECT

public:
    explicit ModuleTreeView(GraphModel* model, QWidget* parent = nullptr);
    void rebuild();
    QTreeWidget* tree() const { return m_tree; }
    QLabel* totals() const { return m_totals; }

private:
    GraphModel* m_model;
    QTreeWidget* m_tree;
    QLabel* m_totals;
};

} // namespace ml::gui
