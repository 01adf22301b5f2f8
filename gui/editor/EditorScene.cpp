#include "editor/EditorScene.h"

#include "editor/AutoLayout.h"
#include "editor/NodeItem.h"
#include "editor/WireItem.h"

#include <QTimer>

#include <set>

namespace ml::gui {

EditorScene::EditorScene(GraphModel* model, QObject* parent) : QGraphicsScene(parent), m_model(model) {
    setItemIndexMethod(QGraphicsScene::BspTreeIndex);
    connect(m_model, &GraphModel::documentChanged, this, &EditorScene::sync);
    connect(m_model, &GraphModel::positionsChanged, this, [this](const QString& def, const QStringList& keys) {
        if (def == m_definition) applyPositions(keys);
    });
    connect(this, &QGraphicsScene::selectionChanged, this, &EditorScene::refreshHighlights);
}

EditorScene::~EditorScene() {
    blockSignals(true); // items die below; nothing may look at them
    for (auto& [k, item] : m_items) delete item;
    m_items.clear();
    for (WireItem* w : m_wires) delete w;
    m_wires.clear();
}

void EditorScene::showDefinition(const QString& definition, const QString& instancePath) {
    {
        const QSignalBlocker block(this);
        for (auto& [k, item] : m_items) delete item;
        m_items.clear();
        for (WireItem* w : m_wires) delete w;
        m_wires.clear();
        m_wiresByKey.clear();
    }
    m_definition = definition;
    m_instancePath = instancePath;
    m_recentlyLeft.clear();
    sync();
    Q_EMIT definitionShown();
}

NodeItem* EditorScene::nodeItem(const QString& key) const {
    auto it = m_items.find(key);
    return it == m_items.end() ? nullptr : it->second;
}

WireItem* EditorScene::wireInto(const PortRef& to) const {
    for (WireItem* w : m_wires)
        if (w->wire().to == to) return w;
    return nullptr;
}

QStringList EditorScene::selectedKeys() const {
    QStringList keys;
    for (const auto& [k, item] : m_items)
        if (item->isSelected()) keys << k;
    return keys;
}

void EditorScene::selectKeys(const QStringList& keys) {
    const QSignalBlocker block(this);
    clearSelection();
    for (const QString& k : keys)
        if (NodeItem* item = nodeItem(k)) item->setSelected(true);
    blockSignals(false);
    Q_EMIT selectionChanged();
}

void EditorScene::selectItem(const QString& key, int row) {
    if (NodeItem* old = nodeItem(m_rowKey)) old->setSelectedRow(-1);
    m_rowKey = row >= 0 && nodeItem(key) ? key : QString();
    m_row = row;
    if (NodeItem* item = nodeItem(m_rowKey)) item->setSelectedRow(row);
    selectKeys(key.isEmpty() ? QStringList() : QStringList{key}); // keeps the row: the selection is that node
}

QSizeF EditorScene::sizeOf(const QString& key) const {
    if (NodeItem* item = nodeItem(key)) return item->look().size;
    return lookOf(*m_model, m_definition, m_instancePath, key).size;
}

void EditorScene::markRecentlyLeft(const QString& key) {
    if (!nodeItem(key)) return;
    selectKeys({key});
    m_recentlyLeft = key;
    nodeItem(key)->setRecentlyLeft(true);
    const int serial = ++m_recentlyLeftSerial;
    QTimer::singleShot(kRecentlyLeftMs, this, [this, serial] {
        if (serial != m_recentlyLeftSerial) return; // a later mark owns it
        if (NodeItem* item = nodeItem(m_recentlyLeft)) item->setRecentlyLeft(false);
        m_recentlyLeft.clear();
    });
}

void EditorScene::sync() {
    blockSignals(true); // deleting a selected item would report a selection with dead items
    if (!m_model->definition(m_definition)) {
        // The definition shown is gone (undo of a group, a new file): show the model.
        m_definition = QString::fromStdString(m_model->document().model);
        m_instancePath.clear();
        for (auto& [k, item] : m_items) delete item;
        m_items.clear();
    }
    const QStringList keys = m_model->itemKeys(m_definition);
    const std::set<QString> wanted(keys.begin(), keys.end());
    for (auto it = m_items.begin(); it != m_items.end();) {
        if (!wanted.count(it->first)) {
            delete it->second;
            it = m_items.erase(it);
        } else {
            ++it;
        }
    }
    for (WireItem* w : m_wires) delete w;
    m_wires.clear();
    m_wiresByKey.clear();
    for (const QString& k : keys) {
        NodeLook look = lookOf(*m_model, m_definition, m_instancePath, k);
        if (NodeItem* item = nodeItem(k)) {
            item->setLook(std::move(look));
        } else {
            auto* created = new NodeItem(k, std::move(look));
            m_items[k] = created;
            addItem(created);
        }
    }
    const auto missing = layoutMissing(*m_model, m_definition, [this](const QString& k) { return sizeOf(k); });
    if (!missing.empty()) {
        const QSignalBlocker block(m_model); // layout of what had none: not an edit
        m_model->setPositions(m_definition, missing);
    }
    for (auto& [k, item] : m_items) {
        const QSignalBlocker block(this);
        item->setPos(m_model->position(m_definition, k).value_or(QPointF()));
    }
    for (const Wire& w : m_model->wires(m_definition)) {
        const TensorType* t = m_model->outputType(m_instancePath, m_definition, w.from);
        auto* item = new WireItem(w, t ? shapeText(*t) : QString(),
                                  m_model->outputPortKind(m_definition, w.from.key, w.from.port));
        m_wires.push_back(item);
        m_wiresByKey.emplace(w.from.key, item);
        m_wiresByKey.emplace(w.to.key, item);
        addItem(item);
        updateWire(item);
    }
    blockSignals(false);
    refreshHighlights();
    Q_EMIT selectionChanged();
}

void EditorScene::applyPositions(const QStringList& keys) {
    for (const QString& k : keys)
        if (NodeItem* item = nodeItem(k))
            if (auto p = m_model->position(m_definition, k)) item->setPos(*p);
}

void EditorScene::updateWire(WireItem* w) {
    NodeItem* from = nodeItem(w->wire().from.key);
    NodeItem* to = nodeItem(w->wire().to.key);
    if (!from || !to) return;
    w->setEnds(from->outPortScenePos(w->wire().from.port), to->inPortScenePos(w->wire().to.port));
}

void EditorScene::itemMoved(const QString& key) {
    auto [a, b] = m_wiresByKey.equal_range(key);
    for (auto it = a; it != b; ++it) updateWire(it->second);
}

void EditorScene::refreshHighlights() {
    const QStringList selected = selectedKeys();
    if (!m_rowKey.isEmpty()) {
        // Another selection, or the item is gone (removed, undone): the node alone again.
        NodeItem* item = nodeItem(m_rowKey);
        if (selected != QStringList{m_rowKey} || !item || m_row >= static_cast<int>(item->look().rows.size())) {
            if (item) item->setSelectedRow(-1);
            m_rowKey.clear();
            m_row = -1;
        } else {
            item->setSelectedRow(m_row);
        }
    }
    std::set<QString> shared;
    for (const QString& k : selected)
        for (const QString& other : m_model->nodesSharingWith(m_definition, k))
            if (other != k) shared.insert(other);
    for (auto& [k, item] : m_items) {
        item->setSharedHighlight(shared.count(k) > 0);
    }
    const std::set<QString> sel(selected.begin(), selected.end());
    for (WireItem* w : m_wires) w->setHighlighted(sel.count(w->wire().from.key) || sel.count(w->wire().to.key));
}

} // namespace ml::gui
