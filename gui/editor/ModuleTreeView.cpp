#include "editor/ModuleTreeView.h"

#include "editor/Editor.h"
#include "editor/EditorScene.h"
#include "editor/GraphModel.h"
#include "editor/NodeLook.h"

#include <QHeaderView>
#include <QLabel>
#include <QTimer>
#include <QTreeWidget>
#include <QTreeWidgetItemIterator>
#include <QVBoxLayout>

#include <functional>

namespace ml::gui {

ModuleTreeView::ModuleTreeView(Editor* editor, QWidget* parent)
    : QWidget(parent), m_editor(editor), m_model(editor->model()) {
    GraphModel* model = m_model;
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    m_tree = new QTreeWidget(this);
    m_tree->setHeaderLabels({tr("Module"), tr("Output"), tr("Params")});
    m_tree->header()->setStretchLastSection(false);
    m_tree->header()->setSectionResizeMode(0, QHeaderView::ResizeToContents); // names readable; the dock scrolls
    m_tree->header()->setSectionResizeMode(1, QHeaderView::ResizeToContents);
    m_tree->header()->setSectionResizeMode(2, QHeaderView::ResizeToContents);
    m_totals = new QLabel(this);
    m_totals->setWordWrap(true);
    layout->addWidget(m_tree);
    layout->addWidget(m_totals);
    connect(model, &GraphModel::documentChanged, this, &ModuleTreeView::rebuild);
    connect(m_tree, &QTreeWidget::currentItemChanged, this, [this](QTreeWidgetItem* item) {
        if (m_syncing || !item) return;
        m_syncing = true;
        m_editor->selectModulePath(item->data(0, Qt::UserRole).toString());
        m_syncing = false;
    });
    // Queued: the selection is read once the change that made it has finished.
    auto later = [this] { QTimer::singleShot(0, this, &ModuleTreeView::showCanvasSelection); };
    connect(editor->scene(), &QGraphicsScene::selectionChanged, this, later);
    connect(editor, &Editor::levelsChanged, this, later);
    rebuild();
}

QTreeWidgetItem* ModuleTreeView::itemForPath(const QString& path) const {
    for (QTreeWidgetItemIterator it(m_tree); *it; ++it)
        if ((*it)->data(0, Qt::UserRole).toString() == path) return *it;
    return nullptr;
}

void ModuleTreeView::showCanvasSelection() {
    if (m_syncing) return;
    const QString path = m_editor->selectedModulePath();
    QTreeWidgetItem* item = path.isEmpty() ? nullptr : itemForPath(path);
    m_syncing = true;
    if (item) {
        m_tree->setCurrentItem(item);
        m_tree->scrollToItem(item);
    } else {
        m_tree->setCurrentItem(nullptr);
        m_tree->clearSelection();
    }
    m_syncing = false;
}

void ModuleTreeView::rebuild() {
    m_syncing = true; // rows made or dropped here are no user's choice
    m_tree->clear();
    const Analysis& a = m_model->analysis();
    if (a.tree.instances.empty()) {
        m_syncing = false;
        m_totals->setText(tr("No model."));
        return;
    }
    const ModelDocument& doc = m_model->document();
    std::function<void(InstanceId, const QString&, QTreeWidgetItem*)> add = [&](InstanceId id, const QString& name,
                                                                               QTreeWidgetItem* parent) {
        const ModuleInstance& m = a.tree.at(id);
        QString text = id == 0 ? qs(doc.model) : name + QStringLiteral(": ") + qs(moduleRepr(m));
        if (m.callCount > 1) text += tr("   [shared: called %1×]").arg(m.callCount);
        const QString shape = m.outputTypes.empty() ? QString() : shapeText(m.outputTypes.front());
        // A layer whose sizes wait for an upstream problem has no count yet (not 0).
        const QString params = m.kind == ModuleKind::Layer && !m.argsComplete ? QStringLiteral("?")
                                                                               : withThousands(a.tree.parameterCount(id));
        auto* item = parent ? new QTreeWidgetItem(parent, {text, shape, params})
                            : new QTreeWidgetItem(m_tree, {text, shape, params});
        item->setData(0, Qt::UserRole, qs(m.path));
        item->setToolTip(0, qs(m.path.empty() ? doc.model : m.path) + QStringLiteral(" (") + qs(moduleKindName(m.kind)) +
                                QStringLiteral(")"));
        item->setTextAlignment(2, Qt::AlignRight | Qt::AlignVCenter);
        for (const ChildRef& c : m.children) add(c.id, qs(c.name), item);
    };
    add(0, QString(), nullptr);
    m_tree->expandToDepth(1);
    // Names readable: every column as wide as its longest text (the dock scrolls sideways).
    for (int c = 0; c < m_tree->columnCount(); ++c) m_tree->resizeColumnToContents(c);
    m_syncing = false;
    showCanvasSelection();
    const Index unique = a.tree.uniqueParameterCount();
    const Index naive = a.tree.naiveParameterCount();
    QString t = tr("Parameters: <b>%1</b> unique (what trains)").arg(withThousands(unique));
    if (naive != unique)
        t += tr("; %1 if every use counted separately (shared modules inflate naive counts by %2×)")
                 .arg(withThousands(naive))
                 .arg(unique ? QString::number(static_cast<double>(naive) / static_cast<double>(unique), 'f', 2) : "-");
    else
        t += tr("; naive count the same (nothing shared holds parameters).");
    m_totals->setText(t);
}

} // namespace ml::gui
