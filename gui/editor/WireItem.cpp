#include "editor/WireItem.h"

#include "editor/Theme.h"

#include <QFontMetricsF>
#include <QPainter>
#include <QPainterPathStroker>
#include <QStyleOptionGraphicsItem>

namespace ml::gui {

WireItem::WireItem(Wire wire, QString label, PortKind kind)
    : m_wire(std::move(wire)), m_label(std::move(label)), m_kind(kind) {
    setZValue(-1);
    setAcceptHoverEvents(true);
}

void WireItem::setLabel(QString label, PortKind kind) {
    m_label = std::move(label);
    m_kind = kind;
    update();
}

void WireItem::setHighlighted(bool on) {
    if (on == m_highlighted) return;
    m_highlighted = on;
    update();
}

void WireItem::setInsertTarget(bool on) {
    if (on == m_insertTarget) return;
    m_insertTarget = on;
    update();
}

bool WireItem::crosses(const QPolygonF& stroke) const {
    for (const QPolygonF& poly : m_path.toSubpathPolygons())
        for (int i = 1; i < poly.size(); ++i) {
            const QLineF a(poly[i - 1], poly[i]);
            for (int j = 1; j < stroke.size(); ++j)
                if (a.intersects(QLineF(stroke[j - 1], stroke[j])) == QLineF::BoundedIntersection) return true;
        }
    return false;
}

QPainterPath WireItem::curve(QPointF from, QPointF to) {
    QPainterPath p(from);
    if (to.x() < from.x() - 40) {
        // Turning back (e.g. into the next wrapped row): out to the right, back
        // along the gap between the two, and in from the left.
        const double r = 40;
        // Into a lower row: just above the target (auto-layout keeps that gap clear).
        double midY = to.y() > from.y() + 3 * r ? to.y() - 2.25 * r : (from.y() + to.y()) / 2;
        if (std::abs(to.y() - from.y()) < 2 * r) midY = std::max(from.y(), to.y()) + 2 * r;
        p.cubicTo(from + QPointF(1.5 * r, 0), QPointF(from.x() + 1.5 * r, midY), QPointF(from.x(), midY));
        p.lineTo(QPointF(to.x(), midY));
        p.cubicTo(QPointF(to.x() - 1.5 * r, midY), to - QPointF(1.5 * r, 0), to);
        return p;
    }
    const double dx = std::max(40.0, std::abs(to.x() - from.x()) * 0.5);
    p.cubicTo(from + QPointF(dx, 0), to - QPointF(dx, 0), to);
    return p;
}

void WireItem::setEnds(QPointF from, QPointF to) {
    prepareGeometryChange();
    m_path = curve(from, to);
    QPainterPathStroker stroker;
    stroker.setWidth(10); // easier to hit than the drawn line
    m_hit = stroker.createStroke(m_path);
    const QPointF mid = m_path.pointAtPercent(0.5);
    m_bounds = m_hit.boundingRect().united(QRectF(mid - QPointF(90, 20), QSizeF(180, 24)));
}

QRectF WireItem::boundingRect() const { return m_bounds; }
QPainterPath WireItem::shape() const { return m_hit; }

void WireItem::paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget*) {
    const Theme& t = Theme::current();
    const double lod = option->levelOfDetailFromTransform(painter->worldTransform());
    QColor c = m_kind == PortKind::Index ? t.indexWire : t.wire;
    if (m_highlighted) c = t.selection;
    if (m_insertTarget) c = t.compatible;
    painter->setRenderHint(QPainter::Antialiasing, lod > 0.4);
    painter->setPen(QPen(c, m_insertTarget ? 4 : m_highlighted ? 2.6 : 1.8));
    painter->setBrush(Qt::NoBrush);
    painter->drawPath(m_path);
    if (lod < 0.6 || m_label.isEmpty()) return;
    QFont f = painter->font();
    f.setPointSizeF(7.5);
    painter->setFont(f);
    const QFontMetricsF fm(f);
    const QPointF mid = m_path.pointAtPercent(0.5);
    const QRectF box(mid.x() - fm.horizontalAdvance(m_label) / 2 - 4, mid.y() - 17, fm.horizontalAdvance(m_label) + 8, 14);
    QColor bg = t.background;
    bg.setAlpha(210);
    painter->setPen(Qt::NoPen);
    painter->setBrush(bg);
    painter->drawRoundedRect(box, 3, 3);
    painter->setPen(m_label == QLatin1String("?") ? t.error : (m_kind == PortKind::Index ? t.indexWire : t.mutedText));
    painter->drawText(box, Qt::AlignCenter, m_label);
}

} // namespace ml::gui
