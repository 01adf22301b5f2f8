#include "editor/PaletteView.h"

#include "editor/Editor.h"
#include "editor/PaletteEntries.h"
#include "model/LayerCatalog.h"

#include <QDrag>
#include <QHeaderView>
#include <QLineEdit>
#include <QMimeData>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace ml::gui {

namespace {
// A tree that starts a drag with the palette MIME type.
class PaletteTree : public QTreeWidget {
public:
    using QTreeWidget::QTreeWidget;

protected:
    QMimeData* mimeData(const QList<QTreeWidgetItem*>& items) const override {
        if (items.isEmpty() || items.front()->data(0, Qt::UserRole).toString().isEmpty()) return nullptr;
        auto* m = new QMimeData;
        m->setData(kPaletteMime, items.front()->data(0, Qt::UserRole).toString().toUtf8());
        m->setText(items.front()->text(0));
        return m;
    }
    QStringList mimeTypes() const override { return {QString::fromLatin1(kPaletteMime)}; }
};
} // namespace

PaletteView::PaletteView(Editor* editor, QWidget* parent) : QWidget(parent), m_editor(editor) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    m_search = new QLineEdit(this);
    m_search->setPlaceholderText(tr("Search layers..."));
    m_search->setClearButtonEnabled(true);
    m_tree = new PaletteTree(this);
    m_tree->setHeaderHidden(true);
    m_tree->setDragEnabled(true);
    m_tree->setDragDropMode(QAbstractItemView::DragOnly);
    layout->addWidget(m_search);
    layout->addWidget(m_tree);
    connect(m_search, &QLineEdit::textChanged, this, &PaletteView::rebuild);
    connect(m_tree, &QTreeWidget::itemDoubleClicked, this, [this](QTreeWidgetItem* item) {
        const QString id = item->data(0, Qt::UserRole).toString();
        if (!id.isEmpty()) Q_EMIT activated(id);
    });
    connect(editor->model(), &GraphModel::documentChanged, this, &PaletteView::rebuild);
    rebuild();
}

void PaletteView::rebuild() {
    m_tree->clear();
    const auto all = paletteEntries(m_editor->model()->document());
    const auto shown = m_search->text().isEmpty() ? all : searchEntries(all, m_search->text());
    QStringList order{"Containers", "Blocks"};
    for (const std::string& c : layerCategories()) order << QString::fromStdString(c);
    order << "Ops";
    for (const PaletteEntry& e : shown)
        if (!order.contains(e.category)) order << e.category;
    for (const QString& cat : order) {
        QTreeWidgetItem* group = nullptr;
        for (const PaletteEntry& e : shown) {
            if (e.category != cat) continue;
            if (!group) {
                group = new QTreeWidgetItem(m_tree, {cat});
                group->setFlags(Qt::ItemIsEnabled);
                QFont f = group->font(0);
                f.setBold(true);
                group->setFont(0, f);
            }
            auto* item = new QTreeWidgetItem(group, {e.label});
            item->setData(0, Qt::UserRole, e.id);
            item->setToolTip(0, e.summary);
            item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable | Qt::ItemIsDragEnabled);
        }
    }
    m_tree->expandAll();
}

} // namespace ml::gui
