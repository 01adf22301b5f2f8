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
    setToolTip(m_label);
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
    m_span = std::abs(to.x() - from.x());
    // The label (at most the span wide, stacked upwards when it wraps) stays inside.
    const double w = std::max(60.0, m_span);
    m_bounds = m_hit.boundingRect().united(QRectF(mid - QPointF(w / 2, 80), QSizeF(w, 84)));
}

QRectF WireItem::boundingRect() const { return m_bounds; }
QPainterPath WireItem::shape() const { return m_hit; }

QStringList WireItem::labelLines(const QFontMetricsF& fm) const {
    // Never wider than the gap between the two nodes (it would run under the next
    // one): a union type ("[N, 2] | [N, 3] (by t)") wraps at its parts, upwards.
    const double room = std::max(52.0, m_span - 16);
    QStringList lines{m_label};
    if (fm.horizontalAdvance(m_label) + 8 > room) {
        lines.clear();
        QString rest = m_label;
        const int by = rest.indexOf(QStringLiteral(" ("));
        const QString tail = by > 0 ? rest.mid(by + 1) : QString();
        if (by > 0) rest = rest.left(by);
        const QStringList parts = rest.split(QStringLiteral(" | "));
        for (int i = 0; i < parts.size(); ++i) lines << parts[i] + (i + 1 < parts.size() ? QStringLiteral(" |") : QString());
        if (!tail.isEmpty()) lines << tail;
    }
    for (QString& l : lines) l = fm.elidedText(l, Qt::ElideRight, room - 8);
    return lines;
}

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
    const QStringList lines = labelLines(fm);
    const QPointF mid = m_path.pointAtPercent(0.5);
    double y = mid.y() - 17 - 13.0 * static_cast<double>(lines.size() - 1);
    QColor bg = t.background;
    bg.setAlpha(210);
    for (const QString& line : lines) {
        const double lw = fm.horizontalAdvance(line);
        const QRectF box(mid.x() - lw / 2 - 4, y, lw + 8, 14);
        painter->setPen(Qt::NoPen);
        painter->setBrush(bg);
        painter->drawRoundedRect(box, 3, 3);
        painter->setPen(m_label == QLatin1String("?") ? t.error : (m_kind == PortKind::Index ? t.indexWire : t.mutedText));
        painter->drawText(box, Qt::AlignCenter, line);
        y += 13;
    }
}

} // namespace ml::gui
