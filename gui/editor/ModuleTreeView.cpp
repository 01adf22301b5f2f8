#include "editor/ModuleTreeView.h"

#include "editor/GraphModel.h"
#include "editor/NodeLook.h"

#include <QHeaderView>
#include <QLabel>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <functional>

namespace ml::gui {

ModuleTreeView::ModuleTreeView(GraphModel* model, QWidget* parent) : QWidget(parent), m_model(model) {
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
    rebuild();
}

void ModuleTreeView::rebuild() {
    m_tree->clear();
    const Analysis& a = m_model->analysis();
    if (a.tree.instances.empty()) {
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
