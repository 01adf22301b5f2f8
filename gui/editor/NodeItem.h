#pragma once
// One item of a definition's graph on the canvas: a block input or output,
// a call (layer, Sequential frame, ModuleList frame, block) or an op. Holds
// its key and a NodeLook the scene refreshes from the model; paints directly
// (no embedded widgets) with a simpler drawing when zoomed out.
#include "editor/NodeLook.h"

#include <QGraphicsItem>

#include <optional>

namespace ml::gui {

class EditorScene;

struct PortHit {
    bool output = false;
    int index = 0;
};

class NodeItem : public QGraphicsItem {
public:
    enum { Type = UserType + 1 };
    NodeItem(QString key, NodeLook look);

    int type() const override { return Type; }
    const QString& key() const { return m_key; }
    const NodeLook& look() const { return m_look; }
    void setLook(NodeLook look);

    QPointF inPortScenePos(int port) const;
    QPointF outPortScenePos(int port) const;
    std::optional<PortHit> portAt(QPointF scenePos) const;
    // Row of a container frame under scenePos, or -1.
    int rowAt(QPointF scenePos) const;

    // Visual states set by the scene/view (not model data).
    void setSharedHighlight(bool on);
    void setPortHighlight(std::optional<PortHit> port, bool ok);
    // While a wire is dragged: each port on one side marked 0 (none), 1 (fits) or 2 (refused).
    void setPortMarks(bool output, std::vector<signed char> marks);
    void clearPortMarks();
    int portMark(bool output, int index) const;
    void setDropTarget(bool on);
    void setRecentlyLeft(bool on);
    // The container item selected on its own (drawn outlined), or -1.
    void setSelectedRow(int row);
    int selectedRow() const { return m_selectedRow; }
    bool isRecentlyLeft() const { return m_recentlyLeft; }

    QRectF boundingRect() const override;
    void paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget* widget) override;

protected:
    QVariant itemChange(GraphicsItemChange change, const QVariant& value) override;

private:
    double rowTop(int row) const;

    QString m_key;
    NodeLook m_look;
    bool m_sharedHighlight = false;
    bool m_dropTarget = false;
    bool m_recentlyLeft = false;
    int m_selectedRow = -1;
    std::optional<PortHit> m_highlightPort;
    std::vector<signed char> m_inMarks, m_outMarks;
    bool m_highlightOk = true;
};

} // namespace ml::gui
