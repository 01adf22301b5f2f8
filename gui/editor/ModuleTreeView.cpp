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

#include <algorithm>
#include <functional>

namespace ml::gui {

ModuleTreeView::ModuleTreeView(Editor* editor, QWidget* parent)
    : QWidget(parent), m_editor(editor), m_model(editor->model()) {
    GraphModel* model = m_model;
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    m_tree = new QTreeWidget(this);
    // The name first and never cut; the numbers beside it; the repr last,
    // filling what is left, elided (the row's tooltip has it whole).
    m_tree->setHeaderLabels({tr("Name"), tr("Output"), tr("Params"), tr("Module")});
    m_tree->header()->setStretchLastSection(true);
    m_tree->header()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
    m_tree->header()->setSectionResizeMode(1, QHeaderView::Interactive); // a runtime-indexed shape is long: capped
    m_tree->header()->setSectionResizeMode(2, QHeaderView::ResizeToContents);
    m_tree->setTextElideMode(Qt::ElideRight);
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
        const QString text = id == 0 ? qs(doc.model) : name;
        QString repr = id == 0 ? tr("the model") : qs(moduleRepr(m));
        if (m.callCount > 1) repr += tr("   [shared: called %1×]").arg(m.callCount);
        const QString shape = m.outputTypes.empty() ? QString() : shapeText(m.outputTypes.front());
        // A layer whose sizes wait for an upstream problem has no count yet (not 0).
        const QString params = m.kind == ModuleKind::Layer && !m.argsComplete ? QStringLiteral("?")
                                                                               : withThousands(a.tree.parameterCount(id));
        auto* item = parent ? new QTreeWidgetItem(parent, {text, shape, params, repr})
                            : new QTreeWidgetItem(m_tree, {text, shape, params, repr});
        item->setData(0, Qt::UserRole, qs(m.path));
        QString tip = qs(m.path.empty() ? doc.model : m.path) + QStringLiteral(": ") + repr;
        if (!shape.isEmpty()) tip += tr("\noutput %1").arg(shape);
        for (int c = 0; c < 4; ++c) item->setToolTip(c, tip);
        item->setTextAlignment(2, Qt::AlignRight | Qt::AlignVCenter);
        for (const ChildRef& c : m.children) add(c.id, qs(c.name), item);
    };
    add(0, QString(), nullptr);
    m_tree->expandToDepth(1);
    for (int c = 0; c < 3; ++c) m_tree->resizeColumnToContents(c);
    m_tree->setColumnWidth(1, std::min(m_tree->columnWidth(1), m_tree->fontMetrics().horizontalAdvance(QStringLiteral("[N, 64, 32, 32]")) + 12));
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
