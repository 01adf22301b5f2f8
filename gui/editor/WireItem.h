#pragma once
// A wire from an output port to an input port, by ids; its ends follow the
// node items, its label is the tensor type flowing through it (batch N).
#include "editor/GraphModel.h"

#include <QFontMetricsF>
#include <QGraphicsPathItem>

namespace ml::gui {

class EditorScene;

class WireItem : public QGraphicsItem {
public:
    enum { Type = UserType + 2 };
    WireItem(Wire wire, QString label, PortKind kind);

    int type() const override { return Type; }
    const Wire& wire() const { return m_wire; }
    PortKind kind() const { return m_kind; }
    void setLabel(QString label, PortKind kind);
    void setHighlighted(bool on);
    // Marked as the wire a dragged node would go into.
    void setInsertTarget(bool on);
    bool isInsertTarget() const { return m_insertTarget; }
    const QPainterPath& path() const { return m_path; }
    // Whether the polyline `stroke` (scene coordinates) crosses the drawn curve.
    bool crosses(const QPolygonF& stroke) const;
    // Recomputes the curve from the end points (scene coordinates).
    void setEnds(QPointF from, QPointF to);

    QRectF boundingRect() const override;
    QPainterPath shape() const override;
    void paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget* widget) override;

    static QPainterPath curve(QPointF from, QPointF to);
    // The label as drawn: one line, or a union type wrapped at its parts, each
    // at most the room between the ends (elided past that).
    QStringList labelLines(const QFontMetricsF& fm) const;

private:
    Wire m_wire;
    QString m_label;
    PortKind m_kind;
    QPainterPath m_path;
    QPainterPath m_hit;
    QRectF m_bounds;
    double m_span = 0; // horizontal room between the ends, for the label
    bool m_highlighted = false;
    bool m_insertTarget = false;
};

} // namespace ml::gui
