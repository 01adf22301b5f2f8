#include "editor/NodeItem.h"

#include "editor/EditorScene.h"
#include "editor/Theme.h"

#include <QFontMetricsF>
#include <QPainter>
#include <QStyleOptionGraphicsItem>

namespace ml::gui {

namespace {
constexpr double kPortRadius = 5.5;
constexpr double kPortHit = 10.0;

QColor headerColor(LookKind k, const Theme& t) {
    switch (k) {
    case LookKind::Input:
    case LookKind::Output: return t.ioHeader;
    case LookKind::Op: return t.opHeader;
    case LookKind::Block: return t.blockHeader;
    case LookKind::Sequential: return t.sequentialFrame;
    case LookKind::ModuleList: return t.listFrame;
    default: return t.layerHeader;
    }
}
} // namespace

NodeItem::NodeItem(QString key, NodeLook look) : m_key(std::move(key)), m_look(std::move(look)) {
    setFlags(ItemIsSelectable | ItemSendsGeometryChanges);
    setCacheMode(DeviceCoordinateCache);
    setAcceptHoverEvents(true);
    setToolTip(m_look.tooltip);
}

void NodeItem::setLook(NodeLook look) {
    if (look.size != m_look.size) prepareGeometryChange();
    m_look = std::move(look);
    setToolTip(m_look.tooltip);
    update();
}

QRectF NodeItem::boundingRect() const {
    // Room for ports sticking out, the badge, and the selection outline.
    return QRectF(QPointF(0, 0), m_look.size).adjusted(-kPortRadius - 5, -12, kPortRadius + 5, 8);
}

QPointF NodeItem::inPortScenePos(int port) const {
    if (port < 0 || static_cast<size_t>(port) >= m_look.ins.size()) return mapToScene(QPointF(0, kHeader));
    return mapToScene(m_look.ins[static_cast<size_t>(port)].pos);
}

QPointF NodeItem::outPortScenePos(int port) const {
    if (port < 0 || static_cast<size_t>(port) >= m_look.outs.size())
        return mapToScene(QPointF(m_look.size.width(), kHeader));
    return mapToScene(m_look.outs[static_cast<size_t>(port)].pos);
}

std::optional<PortHit> NodeItem::portAt(QPointF scenePos) const {
    const QPointF p = mapFromScene(scenePos);
    for (size_t i = 0; i < m_look.ins.size(); ++i)
        if (QLineF(p, m_look.ins[i].pos).length() <= kPortHit) return PortHit{false, static_cast<int>(i)};
    for (size_t i = 0; i < m_look.outs.size(); ++i)
        if (QLineF(p, m_look.outs[i].pos).length() <= kPortHit) return PortHit{true, static_cast<int>(i)};
    return std::nullopt;
}

double NodeItem::rowTop(int row) const {
    const double portsH = kPortRow * static_cast<double>(std::max(m_look.ins.size(), m_look.outs.size()));
    const double pitch = m_look.kind == LookKind::Sequential ? 36 : 26;
    return kHeader + 16 + portsH + 4 + pitch * row;
}

int NodeItem::rowAt(QPointF scenePos) const {
    if (m_look.kind != LookKind::Sequential && m_look.kind != LookKind::ModuleList) return -1;
    const QPointF p = mapFromScene(scenePos);
    for (int r = 0; r < static_cast<int>(m_look.rows.size()); ++r)
        if (p.y() >= rowTop(r) && p.y() < rowTop(r) + 24) return r;
    return -1;
}

void NodeItem::setSharedHighlight(bool on) {
    if (m_sharedHighlight == on) return;
    m_sharedHighlight = on;
    update();
}

void NodeItem::setPortHighlight(std::optional<PortHit> port, bool ok) {
    m_highlightPort = port;
    m_highlightOk = ok;
    update();
}

void NodeItem::setPortMarks(bool output, std::vector<signed char> marks) {
    (output ? m_outMarks : m_inMarks) = std::move(marks);
    (output ? m_inMarks : m_outMarks).clear();
    update();
}

void NodeItem::clearPortMarks() {
    if (m_inMarks.empty() && m_outMarks.empty()) return;
    m_inMarks.clear();
    m_outMarks.clear();
    update();
}

int NodeItem::portMark(bool output, int index) const {
    const auto& m = output ? m_outMarks : m_inMarks;
    return index >= 0 && static_cast<size_t>(index) < m.size() ? m[static_cast<size_t>(index)] : 0;
}

void NodeItem::setDropTarget(bool on) {
    if (m_dropTarget == on) return;
    m_dropTarget = on;
    update();
}

void NodeItem::setRecentlyLeft(bool on) {
    m_recentlyLeft = on;
    update();
}

void NodeItem::setSelectedRow(int row) {
    if (m_selectedRow == row) return;
    m_selectedRow = row;
    update();
}

QVariant NodeItem::itemChange(GraphicsItemChange change, const QVariant& value) {
    if (change == ItemPositionHasChanged)
        if (auto* s = dynamic_cast<EditorScene*>(scene())) s->itemMoved(m_key);
    return QGraphicsItem::itemChange(change, value);
}

void NodeItem::paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget*) {
    const Theme& t = Theme::current();
    const QRectF r(QPointF(0, 0), m_look.size);
    const double lod = option->levelOfDetailFromTransform(painter->worldTransform());
    const QColor header = headerColor(m_look.kind, t);
    const bool frame = m_look.kind == LookKind::Sequential || m_look.kind == LookKind::ModuleList;
    QColor border = m_look.error ? t.error : (m_look.sharedUses > 1 ? t.shared : t.nodeBorder);
    if (isSelected() || m_dropTarget) border = m_dropTarget ? t.compatible : t.selection;

    if (lod < 0.4) {
        // Zoomed out: text would be under 8 px; a plain box in the header colour.
        painter->setPen(m_look.error ? QPen(t.error, 3 / lod) : Qt::NoPen);
        painter->setBrush(isSelected() ? t.selection : header);
        painter->drawRect(r);
        return;
    }
    painter->setRenderHint(QPainter::Antialiasing, true);
    if (m_recentlyLeft) {
        // The block just left: a glow in its own colour, besides the selection.
        QColor glow = t.recentlyLeft;
        glow.setAlpha(90);
        painter->setPen(QPen(glow, 8));
        painter->setBrush(Qt::NoBrush);
        painter->drawRoundedRect(r.adjusted(-3, -3, 3, 3), 8, 8);
        border = t.recentlyLeft;
    }
    // Body: frames are translucent with a tinted border; ModuleList dashed.
    QColor body = frame ? header : t.nodeBody;
    if (frame) body.setAlpha(t.dark ? 40 : 50);
    QPen pen(border, m_recentlyLeft ? 3 : (isSelected() || m_look.error || m_sharedHighlight) ? 2.5 : 1.2);
    if (m_look.kind == LookKind::ModuleList) pen.setStyle(Qt::DashLine);
    if (m_sharedHighlight && !isSelected()) pen = QPen(t.shared, 3, Qt::DotLine);
    painter->setPen(pen);
    painter->setBrush(body);
    painter->drawRoundedRect(r, 6, 6);
    // Header.
    QPainterPath hp;
    hp.addRoundedRect(QRectF(r.left(), r.top(), r.width(), kHeader), 6, 6);
    QPainterPath square;
    square.addRect(QRectF(r.left(), r.top() + kHeader / 2, r.width(), kHeader / 2));
    painter->setPen(Qt::NoPen);
    painter->setBrush(frame ? header.darker(t.dark ? 130 : 100) : header);
    painter->drawPath(hp.united(square));

    QFont f = painter->font();
    f.setPointSizeF(9.5);
    f.setBold(true);
    painter->setFont(f);
    painter->setPen(t.dark ? QColor(Qt::white) : t.text);
    const QRectF titleRect(r.left() + 8, r.top(), r.width() - 16, kHeader);
    QString title = m_look.title;
    if (frame || m_look.kind == LookKind::Block) title += QStringLiteral("  ·  ") + m_look.subtitle.section(QStringLiteral("  ·  "), 0, 0);
    painter->drawText(titleRect, Qt::AlignVCenter | Qt::AlignLeft,
                      QFontMetricsF(f).elidedText(title, Qt::ElideRight, titleRect.width() - 34));
    // Badges: error and shared.
    double bx = r.right() - 6;
    if (m_look.error || m_look.warning) {
        const QRectF badge(bx - 16, r.top() + 4, 16, 16);
        painter->setBrush(m_look.error ? t.error : t.warning);
        painter->setPen(Qt::NoPen);
        painter->drawEllipse(badge);
        painter->setPen(Qt::white);
        painter->drawText(badge, Qt::AlignCenter, QStringLiteral("!"));
        bx -= 20;
    }
    if (!m_look.waitsFor.isEmpty()) {
        // Waiting on an upstream problem (the tooltip names it): a hollow "?".
        const QRectF badge(bx - 16, r.top() + 4, 16, 16);
        painter->setBrush(Qt::NoBrush);
        painter->setPen(QPen(t.warning, 1.5));
        painter->drawEllipse(badge);
        painter->setPen(t.warning);
        painter->drawText(badge, Qt::AlignCenter, QStringLiteral("?"));
        bx -= 20;
    }
    if (m_look.sharedUses > 1) {
        const QString text = QStringLiteral("shared ×%1").arg(m_look.sharedUses);
        QFont bf = f;
        bf.setPointSizeF(7.5);
        const double w = QFontMetricsF(bf).horizontalAdvance(text) + 10;
        const QRectF badge(r.right() - w - 4, r.top() - 10, w, 16);
        painter->setBrush(t.shared);
        painter->setPen(Qt::NoPen);
        painter->drawRoundedRect(badge, 8, 8);
        painter->setFont(bf);
        painter->setPen(Qt::black);
        painter->drawText(badge, Qt::AlignCenter, text);
    }
    // Subtitle.
    f.setBold(false);
    f.setPointSizeF(8);
    painter->setFont(f);
    painter->setPen(t.mutedText);
    const QString subtitle = (frame || m_look.kind == LookKind::Block) ? m_look.subtitle.section(QStringLiteral("  ·  "), 1)
                                                                      : m_look.subtitle;
    painter->drawText(QRectF(r.left() + 8, kHeader, r.width() - 16, 16), Qt::AlignVCenter | Qt::AlignLeft,
                      QFontMetricsF(f).elidedText(subtitle, Qt::ElideRight, r.width() - 16));
    // Ports with their names.
    const double portsH = kPortRow * static_cast<double>(std::max(m_look.ins.size(), m_look.outs.size()));
    auto drawPort = [&](const PortLook& p, bool output, int index) {
        const bool hl = m_highlightPort && m_highlightPort->output == output && m_highlightPort->index == index;
        const int mark = portMark(output, index);
        QPen pen(t.nodeBody.darker(150), 1.5);
        if (hl) pen = QPen(m_highlightOk ? t.compatible : t.error, 3.5);
        else if (mark == 1) pen = QPen(t.compatible, 2.5);
        else if (mark == 2) pen = QPen(t.error, 2);
        painter->setPen(pen);
        if (mark == 1 && !hl) {
            // A halo so fitting ports stand out at any zoom.
            QColor halo = t.compatible;
            halo.setAlpha(70);
            painter->setBrush(halo);
            painter->drawEllipse(p.pos, kPortRadius + 5, kPortRadius + 5);
        }
        painter->setBrush(p.kind == PortKind::Index ? t.indexPort : t.tensorPort);
        if (p.kind == PortKind::Index)
            painter->drawRect(QRectF(p.pos - QPointF(kPortRadius, kPortRadius), QSizeF(2 * kPortRadius, 2 * kPortRadius)));
        else
            painter->drawEllipse(p.pos, kPortRadius, kPortRadius);
        const bool named = m_look.kind == LookKind::Block || m_look.kind == LookKind::Op || p.kind == PortKind::Index ||
                           m_look.ins.size() > 1 || m_look.outs.size() > 1;
        if (!named || m_look.kind == LookKind::Input || m_look.kind == LookKind::Output) return;
        painter->setPen(t.mutedText);
        const double half = r.width() / 2 - 12; // NodeLook sizes the node so both names fit
        const QRectF tr = output ? QRectF(p.pos.x() - 10 - half, p.pos.y() - 8, half, 16)
                                 : QRectF(p.pos.x() + 10, p.pos.y() - 8, half, 16);
        painter->drawText(tr, Qt::AlignVCenter | (output ? Qt::AlignRight : Qt::AlignLeft), p.name);
    };
    for (size_t i = 0; i < m_look.ins.size(); ++i) drawPort(m_look.ins[i], false, static_cast<int>(i));
    for (size_t i = 0; i < m_look.outs.size(); ++i) drawPort(m_look.outs[i], true, static_cast<int>(i));

    double y = kHeader + 16 + portsH;
    painter->setPen(t.text);
    if (frame) {
        y += 4;
        const bool seq = m_look.kind == LookKind::Sequential;
        const double pitch = seq ? 36 : 26;
        for (size_t i = 0; i < m_look.rows.size(); ++i) {
            const RowLook& row = m_look.rows[i];
            const QRectF rr(r.left() + 10, y, r.width() - 20, 24);
            QColor fill = t.nodeBody;
            if (!seq && !row.active) fill.setAlpha(120);
            const bool picked = static_cast<int>(i) == m_selectedRow;
            painter->setPen(picked ? QPen(t.selection, 2.2) : QPen(seq ? t.sequentialFrame : t.listFrame, 1));
            painter->setBrush(fill);
            painter->drawRoundedRect(rr, 4, 4);
            painter->setPen(seq || row.active ? t.text : t.mutedText);
            QFont rf = f;
            rf.setPointSizeF(8.5);
            painter->setFont(rf);
            const QFontMetricsF fm(rf);
            const double shapeW = row.shape.isEmpty() ? 0 : fm.horizontalAdvance(row.shape) + 6;
            painter->drawText(rr.adjusted(6, 0, -shapeW - 4, 0), Qt::AlignVCenter | Qt::AlignLeft,
                              fm.elidedText(row.label + QStringLiteral("  ") + row.text, Qt::ElideRight,
                                            rr.width() - shapeW - 12));
            painter->setPen(t.mutedText);
            painter->drawText(rr.adjusted(0, 0, -6, 0), Qt::AlignVCenter | Qt::AlignRight, row.shape);
            if (seq && i + 1 < m_look.rows.size()) {
                // The implicit arrow of a Sequential: each item feeds the next.
                const double cx = rr.center().x();
                painter->setPen(QPen(t.sequentialFrame, 1.6));
                painter->drawLine(QPointF(cx, rr.bottom() + 1), QPointF(cx, rr.bottom() + pitch - 24 - 2));
                QPolygonF head;
                head << QPointF(cx - 4, rr.bottom() + pitch - 24 - 7) << QPointF(cx + 4, rr.bottom() + pitch - 24 - 7)
                     << QPointF(cx, rr.bottom() + pitch - 24 - 1);
                painter->setBrush(t.sequentialFrame);
                painter->setPen(Qt::NoPen);
                painter->drawPolygon(head);
            }
            y += pitch;
        }
        y += 4;
    }
    f.setPointSizeF(8.5);
    painter->setFont(f);
    for (const QString& line : m_look.lines) {
        painter->setPen(line == m_look.params ? t.mutedText : t.text);
        painter->drawText(QRectF(r.left() + 12, y, r.width() - 24, 16), Qt::AlignVCenter | Qt::AlignLeft,
                          QFontMetricsF(f).elidedText(line, Qt::ElideRight, r.width() - 24));
        y += 16;
    }
    if (!m_look.footer.isEmpty()) {
        QFont ff = f;
        ff.setItalic(true);
        painter->setFont(ff);
        painter->setPen(m_look.kind == LookKind::ModuleList ? t.listFrame.lighter(t.dark ? 120 : 80) : t.mutedText);
        painter->drawText(QRectF(r.left() + 10, r.bottom() - 20, r.width() - 20, 18), Qt::AlignVCenter | Qt::AlignLeft,
                          QFontMetricsF(ff).elidedText(m_look.footer, Qt::ElideRight, r.width() - 20));
    }
}

} // namespace ml::gui
