#pragma once
// Draws one definition's graph (as seen in one instance, for its shapes).
// It only listens to the GraphModel: on every change it reconciles its items
// by key, so selection survives edits and undo; it never edits the model.
#include "editor/GraphModel.h"

#include <QGraphicsScene>

#include <map>

namespace ml::gui {

class NodeItem;
class WireItem;

class EditorScene : public QGraphicsScene {
    Q_OBJECT

public:
    explicit EditorScene(GraphModel* model, QObject* parent = nullptr);
    ~EditorScene() override;

    GraphModel* model() const { return m_model; }
    // Shows `definition`; `instancePath` picks the instance whose shapes are drawn.
    void showDefinition(const QString& definition, const QString& instancePath);
    const QString& definitionName() const { return m_definition; }
    const QString& instancePath() const { return m_instancePath; }

    NodeItem* nodeItem(const QString& key) const;
    const std::map<QString, NodeItem*>& nodeItems() const { return m_items; }
    const std::vector<WireItem*>& wireItems() const { return m_wires; }
    WireItem* wireInto(const PortRef& to) const;
    QStringList selectedKeys() const;
    void selectKeys(const QStringList& keys);
    // Selects node `key` alone and, when row >= 0, item `row` of its container
    // (clicked on the canvas or in the module tree); -1 selects the node itself.
    void selectItem(const QString& key, int row);
    // The selected container item of the one selected node, or -1.
    int selectedRow() const { return m_rowKey.isEmpty() ? -1 : m_row; }
    QSizeF sizeOf(const QString& key) const;
    // Selects the block just left and marks it in its own colour for a moment.
    void markRecentlyLeft(const QString& key);
    static constexpr int kRecentlyLeftMs = 1500;

    void itemMoved(const QString& key); // from NodeItem::itemChange

Q_SIGNALS:
    void definitionShown();

private:
    void sync();
    void applyPositions(const QStringList& keys);
    void refreshHighlights();
    void updateWire(WireItem* w);

    GraphModel* m_model;
    QString m_definition;
    QString m_instancePath;
    std::map<QString, NodeItem*> m_items;
    std::vector<WireItem*> m_wires;
    std::multimap<QString, WireItem*> m_wiresByKey;
    QString m_rowKey;
    int m_row = -1;
    QString m_recentlyLeft;
    int m_recentlyLeftSerial = 0;
};

} // namespace ml::gui
