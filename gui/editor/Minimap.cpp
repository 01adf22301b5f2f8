#include "editor/Minimap.h"

#include "editor/EditorScene.h"
#include "editor/EditorView.h"
#include "editor/NodeItem.h"
#include "editor/Theme.h"

#include <QMouseEvent>
#include <QPainter>

namespace ml::gui {

Minimap::Minimap(EditorView* view) : QWidget(view), m_view(view) {
    setFixedSize(200, 130);
    setCursor(Qt::PointingHandCursor);
    setToolTip(tr("Minimap: click or drag to move the view"));
}

QRectF Minimap::sceneArea() const {
    auto* s = static_cast<EditorScene*>(m_view->scene());
    QRectF r;
    for (const auto& [k, item] : s->nodeItems()) r |= item->sceneBoundingRect();
    return r.isEmpty() ? QRectF(0, 0, 100, 100) : r.adjusted(-40, -40, 40, 40);
}

QTransform Minimap::toMap() const {
    const QRectF a = sceneArea();
    const double s = std::min((width() - 8) / a.width(), (height() - 8) / a.height());
    QTransform t;
    t.translate(4 + (width() - 8 - a.width() * s) / 2, 4 + (height() - 8 - a.height() * s) / 2);
    t.scale(s, s);
    t.translate(-a.left(), -a.top());
    return t;
}

void Minimap::paintEvent(QPaintEvent*) {
    const Theme& t = Theme::current();
    QPainter p(this);
    QColor bg = t.background.darker(t.dark ? 130 : 105);
    bg.setAlpha(230);
    p.fillRect(rect(), bg);
    p.setPen(t.nodeBorder);
    p.drawRect(rect().adjusted(0, 0, -1, -1));
    const QTransform m = toMap();
    auto* s = static_cast<EditorScene*>(m_view->scene());
    for (const auto& [k, item] : s->nodeItems()) {
        const QRectF r = m.mapRect(item->sceneBoundingRect());
        p.fillRect(r, item->look().error ? t.error : (item->isSelected() ? t.selection : t.layerHeader));
    }
    const QRectF visible = m_view->mapToScene(m_view->viewport()->rect()).boundingRect();
    p.setPen(QPen(t.text, 1));
    p.setBrush(Qt::NoBrush);
    p.drawRect(m.mapRect(visible).intersected(QRectF(rect()).adjusted(1, 1, -2, -2)));
}

void Minimap::mousePressEvent(QMouseEvent* e) { m_view->centerOn(toMap().inverted().map(e->position())); }
void Minimap::mouseMoveEvent(QMouseEvent* e) {
    if (e->buttons() & Qt::LeftButton) m_view->centerOn(toMap().inverted().map(e->position()));
}

} // namespace ml::gui
