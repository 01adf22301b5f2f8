#include "editor/EditorView.h"

#include "editor/CanvasMenu.h"
#include "editor/Editor.h"
#include "editor/EditorScene.h"
#include "editor/Minimap.h"
#include "editor/NodeItem.h"
#include "editor/PaletteEntries.h"
#include "editor/SearchPopup.h"
#include "editor/Theme.h"
#include "editor/TitleEdit.h"
#include "editor/WireItem.h"

#include <QGraphicsPathItem>
#include <QKeyEvent>
#include <QMimeData>
#include <QMouseEvent>
#include <QMenu>
#include <QScrollBar>
#include <QTimer>
#include <QToolTip>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>
#include <set>

namespace ml::gui {

EditorView::EditorView(Editor* editor, QWidget* parent)
    : QGraphicsView(editor->scene(), parent), m_editor(editor), m_minimap(new Minimap(this)),
      m_minimapTimer(new QTimer(this)) {
    m_minimapTimer->setSingleShot(true);
    connect(m_minimapTimer, &QTimer::timeout, this, &EditorView::placeMinimap);
    setRenderHint(QPainter::Antialiasing, true);
    setRenderHint(QPainter::TextAntialiasing, true);
    setDragMode(QGraphicsView::RubberBandDrag);
    setRubberBandSelectionMode(Qt::IntersectsItemShape);
    setTransformationAnchor(QGraphicsView::AnchorUnderMouse);
    setViewportUpdateMode(QGraphicsView::SmartViewportUpdate);
    setOptimizationFlags(QGraphicsView::DontSavePainterState | QGraphicsView::DontAdjustForAntialiasing);
    setCacheMode(QGraphicsView::CacheBackground);
    setAcceptDrops(true);
    setFocusPolicy(Qt::StrongFocus);
    setSceneRect(-1e5, -1e5, 2e5, 2e5);
    setMouseTracking(true);
    connect(editor->scene(), &EditorScene::definitionShown, this, [this] {
        resetCachedContent();
        m_fitUntilTouched = true;
        firstFrame();
    });
    connect(editor->model(), &GraphModel::documentChanged, m_minimap, qOverload<>(&QWidget::update));
    connect(editor->model(), &GraphModel::positionsChanged, m_minimap, qOverload<>(&QWidget::update));
    connect(editor->model(), &GraphModel::documentChanged, this, &EditorView::scheduleMinimap);
    connect(editor->model(), &GraphModel::positionsChanged, this, &EditorView::scheduleMinimap);
    connect(editor, &Editor::revealRequested, this, [this](const QString& key) {
        if (NodeItem* n = m_editor->scene()->nodeItem(key)) ensureVisible(n, 40, 40);
    });
    editor->setPlacer([this](const QString& key, QPointF wanted) { return freeSpot(key, wanted); });
}

void EditorView::setMinimapVisible(bool on) {
    m_minimapWanted = on;
    placeMinimap();
}

void EditorView::scheduleMinimap() { m_minimapTimer->start(0); }

void EditorView::placeMinimap() {
    if (!m_minimapWanted) return m_minimap->hide();
    const QSize vs = viewport()->size();
    const QSize ms = m_minimap->size();
    const int m = 10;
    const QPoint corners[] = {{vs.width() - ms.width() - m, vs.height() - ms.height() - m},
                              {m, vs.height() - ms.height() - m},
                              {vs.width() - ms.width() - m, m},
                              {m, m}};
    if (vs.width() > 2 * ms.width() && vs.height() > 2 * ms.height())
        for (const QPoint& c : corners) {
            const QRectF area = mapToScene(QRect(c, ms).adjusted(-6, -6, 6, 6)).boundingRect();
            bool covered = false;
            for (QGraphicsItem* item : scene()->items(area, Qt::IntersectsItemBoundingRect))
                if (qgraphicsitem_cast<NodeItem*>(item)) covered = true;
            if (covered) continue;
            m_minimap->move(viewport()->geometry().topLeft() + c);
            m_minimap->show();
            m_minimap->update();
            return;
        }
    m_minimap->hide(); // every corner has a node under it (or no room): the nodes come first
}

QPointF EditorView::freeSpot(const QString& key, QPointF wanted) const {
    const QSizeF size = m_editor->scene()->sizeOf(key);
    const QRectF seen = mapToScene(viewport()->rect()).boundingRect().adjusted(20, 20, -20, -20);
    auto fits = [&](QPointF p) {
        const QRectF r = QRectF(p, size).adjusted(-kGrid, -kGrid, kGrid, kGrid);
        for (QGraphicsItem* item : scene()->items(r, Qt::IntersectsItemBoundingRect))
            if (auto* n = qgraphicsitem_cast<NodeItem*>(item))
                if (n->key() != key && QRectF(n->pos(), n->look().size).intersects(r)) return false;
        return true;
    };
    auto inside = [&](QPointF p) {
        if (seen.width() < size.width() || seen.height() < size.height()) return seen.contains(p);
        return seen.contains(QRectF(p, size));
    };
    if (fits(wanted) && inside(wanted)) return wanted;
    // Rings of grid steps around `wanted`, nearest first.
    std::optional<QPointF> outside;
    for (int ring = 1; ring <= 40; ++ring) {
        std::optional<QPointF> best;
        int bestD = 0;
        for (int dx = -ring; dx <= ring; ++dx)
            for (int dy = -ring; dy <= ring; ++dy) {
                if (std::max(std::abs(dx), std::abs(dy)) != ring) continue;
                const QPointF p = wanted + QPointF(dx * kGrid, dy * kGrid);
                if (!fits(p)) continue;
                if (!inside(p)) {
                    if (!outside) outside = p;
                    continue;
                }
                if (!best || dx * dx + dy * dy < bestD) {
                    best = p;
                    bestD = dx * dx + dy * dy;
                }
            }
        if (best) return *best;
    }
    return outside.value_or(wanted);
}

WireItem* EditorView::wireAt(QPointF scenePos) const {
    const QRectF near(scenePos - QPointF(6, 6), QSizeF(12, 12));
    for (QGraphicsItem* item : scene()->items(near, Qt::IntersectsItemShape, Qt::DescendingOrder))
        if (auto* w = qgraphicsitem_cast<WireItem*>(item)) return w;
    return nullptr;
}

void EditorView::showInsertPopup(QPoint viewPos, const Wire& wire) {
    const QPointF at = snapped(mapToScene(viewPos));
    auto* popup = new SearchPopup(m_editor->entriesForWire(wire), m_recent, this);
    popup->setObjectName(QStringLiteral("insertPopup"));
    popup->move(viewport()->mapToGlobal(viewPos));
    connect(popup, &SearchPopup::chosen, this, [this, at, wire](const QString& entry) {
        noteUsed(entry);
        m_editor->addIntoWire(entry, at, wire);
    });
    popup->show();
}

QMenu* EditorView::showContextMenu(QPoint viewPos) {
    QMenu* menu = buildCanvasMenu(this, m_editor, viewPos);
    menu->popup(viewport()->mapToGlobal(viewPos));
    return menu;
}

void EditorView::startTitleEdit(const QString& key) {
    NodeItem* n = m_editor->scene()->nodeItem(key);
    if (!n) return;
    for (TitleEdit* open : viewport()->findChildren<TitleEdit*>()) open->finish(true);
    if (m_editor->scene()->selectedKeys() != QStringList{key}) m_editor->scene()->selectKeys({key});
    ensureVisible(n, 40, 40);
    auto* edit = new TitleEdit(m_editor->itemName(key), [this, key](const QString& text) {
        if (!text.isEmpty()) m_editor->renameItem(key, text);
    }, viewport());
    const QRect title = mapFromScene(QRectF(n->pos(), QSizeF(n->look().size.width(), kHeader))).boundingRect();
    QFont f = edit->font();
    f.setPointSizeF(std::clamp(9.5 * transform().m11(), 9.0, 16.0));
    f.setBold(true);
    edit->setFont(f);
    edit->setGeometry(title.left() + 2, title.top(), std::max(title.width() - 4, 140),
                      std::max(title.height(), QFontMetrics(f).height() + 6));
    edit->show();
    edit->setFocus(Qt::MouseFocusReason);
    edit->selectAll();
}

QPointF EditorView::snapped(QPointF p) const {
    if (!m_snap) return p;
    return QPointF(std::round(p.x() / kGrid) * kGrid, std::round(p.y() / kGrid) * kGrid);
}

void EditorView::noteUsed(const QString& entry) {
    m_recent.removeAll(entry);
    m_recent.prepend(entry);
    while (m_recent.size() > 8) m_recent.removeLast();
}

// Home or a caller's explicit framing is the user's chosen view: a later
// resize keeps it instead of refitting to the first frame.
void EditorView::frameAll() {
    m_fitUntilTouched = false;
    fitAll();
}

void EditorView::fitAll() {
    QRectF r;
    for (const auto& [k, item] : m_editor->scene()->nodeItems()) r |= item->sceneBoundingRect();
    if (r.isEmpty()) return;
    fitInView(r.adjusted(-60, -60, 60, 60), Qt::KeepAspectRatio);
    if (m_minimap->isVisible()) {
        // Keep the bottom row clear of the minimap in the corner: leave a strip for it.
        const double strip = (m_minimap->height() + 20) / transform().m11();
        fitInView(r.adjusted(-60, -60, 60, 60 + strip), Qt::KeepAspectRatio);
    }
    if (transform().m11() > 1.5) {
        const QPointF c = r.center();
        setTransform(QTransform::fromScale(1.5, 1.5));
        centerOn(c);
    }
    scheduleMinimap();
}

// Fitted, but never below the zoom where node labels are drawn: a large level
// opens at that zoom on its left side, where its inputs are.
void EditorView::firstFrame() {
    fitAll();
    constexpr double kReadable = 0.6;
    if (transform().m11() >= kReadable) return;
    QRectF r;
    for (const auto& [k, item] : m_editor->scene()->nodeItems()) r |= item->sceneBoundingRect();
    setTransform(QTransform::fromScale(kReadable, kReadable));
    const QSizeF seen = QSizeF(viewport()->size()) / kReadable;
    centerOn(QPointF(r.left() - 40 + seen.width() / 2, r.center().y()));
}

void EditorView::frameSelection() {
    m_fitUntilTouched = false;
    QRectF r;
    for (const auto& [k, item] : m_editor->scene()->nodeItems())
        if (item->isSelected()) r |= item->sceneBoundingRect();
    if (r.isEmpty()) return frameAll();
    fitInView(r.adjusted(-80, -80, 80, 80), Qt::KeepAspectRatio);
    // Framed at a size where labels read (0.6 to 1.5), centred on the selection.
    const double s = std::clamp(transform().m11(), 0.6, 1.5);
    if (s != transform().m11()) {
        setTransform(QTransform::fromScale(s, s));
        centerOn(r.center());
    }
}

void EditorView::zoomBy(double factor) {
    const double s = transform().m11() * factor;
    if (s < 0.03 || s > 4) return;
    scale(factor, factor);
    scheduleMinimap();
}

void EditorView::showSearchPopup(QPoint viewPos) {
    const QPointF at = snapped(mapToScene(viewPos));
    auto* popup = new SearchPopup(paletteEntries(m_editor->model()->document()), m_recent, this);
    popup->move(viewport()->mapToGlobal(viewPos));
    connect(popup, &SearchPopup::chosen, this, [this, at](const QString& entry) {
        noteUsed(entry);
        m_editor->addFromPalette(entry, at);
    });
    popup->show();
}

void EditorView::showSearchPopupFor(QPoint viewPos, const PortRef& port, bool portIsOutput) {
    const QPointF at = snapped(mapToScene(viewPos));
    auto* popup = new SearchPopup(m_editor->entriesFitting(port, portIsOutput), m_recent, this);
    popup->move(viewport()->mapToGlobal(viewPos));
    connect(popup, &SearchPopup::chosen, this, [this, at, port, portIsOutput](const QString& entry) {
        noteUsed(entry);
        m_editor->addWired(entry, at, port, portIsOutput);
    });
    popup->show();
}

NodeItem* EditorView::nodeAt(QPointF scenePos) const {
    if (!scene()) return nullptr;
    for (QGraphicsItem* item : scene()->items(scenePos, Qt::IntersectsItemBoundingRect, Qt::DescendingOrder))
        if (auto* n = qgraphicsitem_cast<NodeItem*>(item)) {
            if (n->portAt(scenePos) || QRectF(QPointF(), n->look().size).contains(n->mapFromScene(scenePos))) return n;
        }
    return nullptr;
}

NodeItem* EditorView::containerAt(QPointF scenePos) const {
    NodeItem* n = nodeAt(scenePos);
    if (n && (n->look().kind == LookKind::Sequential || n->look().kind == LookKind::ModuleList)) return n;
    return nullptr;
}

void EditorView::markPorts(bool on) {
    auto* s = m_editor->scene();
    for (const QString& k : m_marked)
        if (NodeItem* item = s->nodeItem(k)) item->clearPortMarks();
    m_marked.clear();
    if (!on || (!m_wireFrom && !m_wireTo)) return;
    // One pass over the visible items: a port fits when its kind matches and
    // the wire would make no cycle. Nodes upstream of a dragged output (or
    // downstream of a dragged input) would close one: found by one walk.
    const QString def = m_editor->definitionName();
    GraphModel* model = m_editor->model();
    const bool fromOutput = m_wireFrom.has_value();
    const PortRef end = fromOutput ? *m_wireFrom : *m_wireTo;
    const PortKind kind = fromOutput ? model->outputPortKind(def, end.key, end.port)
                                     : model->inputPortKind(def, end.key, end.port);
    std::map<QString, std::vector<QString>> next;
    for (const Wire& w : model->wires(def)) {
        if (fromOutput) next[w.to.key].push_back(w.from.key);
        else next[w.from.key].push_back(w.to.key);
    }
    std::set<QString> closing{end.key};
    std::vector<QString> stack{end.key};
    while (!stack.empty()) {
        const QString k = stack.back();
        stack.pop_back();
        for (const QString& n : next[k])
            if (closing.insert(n).second) stack.push_back(n);
    }
    const QRectF visible = mapToScene(viewport()->rect()).boundingRect();
    for (QGraphicsItem* item : scene()->items(visible, Qt::IntersectsItemBoundingRect)) {
        auto* n = qgraphicsitem_cast<NodeItem*>(item);
        if (!n) continue;
        const std::vector<PortLook>& ports = fromOutput ? n->look().ins : n->look().outs;
        if (ports.empty()) continue;
        const bool cycle = closing.count(n->key()) > 0;
        std::vector<signed char> marks(ports.size());
        for (size_t p = 0; p < ports.size(); ++p) marks[p] = (!cycle && ports[p].kind == kind) ? 1 : 2;
        n->setPortMarks(!fromOutput, std::move(marks));
        m_marked << n->key();
    }
}

void EditorView::mousePressEvent(QMouseEvent* event) {
    m_fitUntilTouched = false;
    const QPointF sp = mapToScene(event->position().toPoint());
    if (event->button() == Qt::MiddleButton ||
        (event->button() == Qt::LeftButton && (m_spaceHeld || event->modifiers() & Qt::AltModifier))) {
        m_panning = true;
        m_panLast = event->position().toPoint();
        setCursor(Qt::ClosedHandCursor);
        return;
    }
    if (event->button() == Qt::RightButton && (event->modifiers() & Qt::ControlModifier)) {
        // Cut stroke: every wire it crosses is cut on release.
        m_cutStroke = QPolygonF{sp};
        m_cutPreview = new QGraphicsPathItem;
        m_cutPreview->setPen(QPen(Theme::current().error, 0, Qt::DashLine));
        m_cutPreview->setZValue(11);
        scene()->addItem(m_cutPreview);
        return;
    }
    if (event->button() != Qt::LeftButton) return QGraphicsView::mousePressEvent(event);
    NodeItem* node = nodeAt(sp);
    if (!node) return QGraphicsView::mousePressEvent(event); // rubber band
    const QString def = m_editor->definitionName();
    if (auto port = node->portAt(sp)) {
        if (port->output) {
            m_wireFrom = PortRef{node->key(), port->index};
        } else if (WireItem* w = m_editor->scene()->wireInto({node->key(), port->index})) {
            // Pull the wire off this input; dropped on nothing it is deleted.
            m_wireFrom = w->wire().from;
            m_pulledFrom = PortRef{node->key(), port->index};
            w->setVisible(false);
        } else {
            m_wireTo = PortRef{node->key(), port->index};
        }
        m_preview = new QGraphicsPathItem;
        m_preview->setPen(QPen(Theme::current().selection, 2, Qt::DashLine));
        m_preview->setZValue(10);
        scene()->addItem(m_preview);
        markPorts(true);
        return;
    }
    // Selection: Shift adds, Ctrl toggles, plain click selects only this (unless already selected).
    if (event->modifiers() & Qt::ControlModifier) node->setSelected(!node->isSelected());
    else if (event->modifiers() & Qt::ShiftModifier) node->setSelected(true);
    else if (!node->isSelected()) {
        scene()->clearSelection();
        node->setSelected(true);
    }
    const int row = node->rowAt(sp);
    // A plain click on a container's item selects that item (inspector and module tree follow).
    if (!(event->modifiers() & (Qt::ControlModifier | Qt::ShiftModifier)) &&
        m_editor->scene()->selectedKeys() == QStringList{node->key()} && row != m_editor->scene()->selectedRow())
        m_editor->scene()->selectItem(node->key(), row);
    if (row >= 0 && node->look().kind == LookKind::Sequential && node->look().rows.size() > 1) {
        m_rowNode = node->key();
        m_rowFrom = row;
        return;
    }
    m_moving = true;
    m_moveStart = sp;
    m_moveBefore.clear();
    for (const QString& k : m_editor->scene()->selectedKeys())
        m_moveBefore[k] = m_editor->model()->position(def, k).value_or(QPointF());
    m_moveSerial = m_editor->nextDragSerial();
}

void EditorView::mouseMoveEvent(QMouseEvent* event) {
    const QPointF sp = mapToScene(event->position().toPoint());
    if (m_panning) {
        const QPoint d = event->position().toPoint() - m_panLast;
        m_panLast = event->position().toPoint();
        horizontalScrollBar()->setValue(horizontalScrollBar()->value() - d.x());
        verticalScrollBar()->setValue(verticalScrollBar()->value() - d.y());
        return;
    }
    if (m_cutPreview) {
        m_cutStroke << sp;
        QPainterPath p;
        p.addPolygon(m_cutStroke);
        m_cutPreview->setPath(p);
        return;
    }
    if (m_preview) {
        auto* s = m_editor->scene();
        QPointF fixedEnd;
        if (m_wireFrom) fixedEnd = s->nodeItem(m_wireFrom->key)->outPortScenePos(m_wireFrom->port);
        else fixedEnd = s->nodeItem(m_wireTo->key)->inPortScenePos(m_wireTo->port);
        m_preview->setPath(m_wireFrom ? WireItem::curve(fixedEnd, sp) : WireItem::curve(sp, fixedEnd));
        NodeItem* target = nodeAt(sp);
        if (m_hoverTarget && m_hoverTarget != target) m_hoverTarget->setPortHighlight(std::nullopt, true);
        m_hoverTarget = target;
        if (target)
            if (auto port = target->portAt(sp); port && port->output == !m_wireFrom) {
                const PortRef here{target->key(), port->index};
                const QString problem = m_wireFrom ? m_editor->wireProblem(*m_wireFrom, here)
                                                   : m_editor->wireProblem(here, *m_wireTo);
                target->setPortHighlight(port, problem.isEmpty());
                if (!problem.isEmpty() && problem != m_hoverProblem) {
                    // The reason, at the port.
                    QToolTip::showText(event->globalPosition().toPoint(), tr("Cannot wire: %1.").arg(problem), viewport());
                    Q_EMIT m_editor->message(tr("Cannot wire: %1.").arg(problem));
                }
                m_hoverProblem = problem;
                return;
            }
        if (target) target->setPortHighlight(std::nullopt, true);
        if (!m_hoverProblem.isEmpty()) QToolTip::hideText();
        m_hoverProblem.clear();
        return;
    }
    if (!m_rowNode.isEmpty()) return;
    if (m_moving && (event->buttons() & Qt::LeftButton)) {
        const QPointF delta = sp - m_moveStart;
        if (delta.manhattanLength() < 3) return;
        std::map<QString, QPointF> after;
        for (const auto& [k, p] : m_moveBefore) after[k] = snapped(p + delta);
        m_editor->moveItems(m_moveBefore, after, m_moveSerial);
        // One unwired node over a wire: that wire lights up; Alt suppresses the insertion.
        WireItem* target = nullptr;
        if (m_moveBefore.size() == 1 && !(event->modifiers() & Qt::AltModifier))
            target = insertWireAt(sp, m_moveBefore.begin()->first);
        setInsertTarget(target);
        return;
    }
    QGraphicsView::mouseMoveEvent(event);
}

void EditorView::endWireDrag(QPointF sp) {
    delete m_preview;
    m_preview = nullptr;
    m_hoverProblem.clear();
    markPorts(false);
    if (m_hoverTarget) m_hoverTarget->setPortHighlight(std::nullopt, true);
    m_hoverTarget = nullptr;
    NodeItem* target = nodeAt(sp);
    std::optional<PortHit> port = target ? target->portAt(sp) : std::nullopt;
    if (m_wireFrom && port && !port->output) {
        const PortRef to{target->key(), port->index};
        if (m_pulledFrom) {
            if (!m_editor->rewire(*m_pulledFrom, *m_wireFrom, to)) m_editor->scene()->showDefinition(
                m_editor->definitionName(), m_editor->levels().back().instancePath);
        } else {
            m_editor->connectPorts(*m_wireFrom, to);
        }
    } else if (m_wireTo && port && port->output) {
        m_editor->connectPorts({target->key(), port->index}, *m_wireTo);
    } else if (m_pulledFrom) {
        m_editor->disconnectPort(*m_pulledFrom); // pulled off and dropped on nothing: no add menu
    } else if (!target) {
        // A new wire released on empty canvas: offer what fits its port.
        const QPoint viewPos = mapFromScene(sp);
        if (m_wireFrom) showSearchPopupFor(viewPos, *m_wireFrom, true);
        else if (m_wireTo) showSearchPopupFor(viewPos, *m_wireTo, false);
    }
    m_wireFrom.reset();
    m_wireTo.reset();
    m_pulledFrom.reset();
}

void EditorView::endCut() {
    delete m_cutPreview;
    m_cutPreview = nullptr;
    const QPolygonF stroke = m_cutStroke;
    m_cutStroke.clear();
    if (stroke.size() < 2) return;
    std::vector<PortRef> cut;
    for (QGraphicsItem* item : scene()->items(stroke.boundingRect().adjusted(-2, -2, 2, 2), Qt::IntersectsItemBoundingRect))
        if (auto* w = qgraphicsitem_cast<WireItem*>(item); w && w->crosses(stroke)) cut.push_back(w->wire().to);
    m_editor->cutWires(cut); // after this the wire items are gone (the scene re-syncs)
}

WireItem* EditorView::insertWireAt(QPointF scenePos, const QString& nodeId) const {
    const QRectF near(scenePos - QPointF(6, 6), QSizeF(12, 12));
    for (QGraphicsItem* item : scene()->items(near, Qt::IntersectsItemShape, Qt::DescendingOrder))
        if (auto* w = qgraphicsitem_cast<WireItem*>(item))
            if (m_editor->insertProblem(nodeId, w->wire()).isEmpty()) return w;
    return nullptr;
}

void EditorView::setInsertTarget(WireItem* w) {
    if (m_insertTarget == w) return;
    if (m_insertTarget) m_insertTarget->setInsertTarget(false);
    m_insertTarget = w;
    if (w) w->setInsertTarget(true);
}

void EditorView::contextMenuEvent(QContextMenuEvent* event) {
    event->accept();
    if (m_cutPreview || (event->modifiers() & Qt::ControlModifier)) return; // a cut, not a menu
    m_fitUntilTouched = false;
    showContextMenu(event->pos());
}

void EditorView::mouseReleaseEvent(QMouseEvent* event) {
    const QPointF sp = mapToScene(event->position().toPoint());
    if (m_panning) {
        m_panning = false;
        setCursor(Qt::ArrowCursor);
        return;
    }
    if (m_cutPreview) {
        m_cutStroke << sp;
        return endCut();
    }
    if (m_preview) return endWireDrag(sp);
    if (!m_rowNode.isEmpty()) {
        NodeItem* n = m_editor->scene()->nodeItem(m_rowNode);
        const int to = n ? n->rowAt(sp) : -1;
        if (to >= 0 && to != m_rowFrom) m_editor->moveContainerItem(m_rowNode, m_rowFrom, to);
        m_rowNode.clear();
        m_rowFrom = -1;
        return;
    }
    if (m_moving) {
        m_moving = false;
        if (m_insertTarget) {
            const Wire wire = m_insertTarget->wire();
            setInsertTarget(nullptr);
            if (!(event->modifiers() & Qt::AltModifier) && m_moveBefore.size() == 1)
                m_editor->insertIntoWire(m_moveBefore.begin()->first, wire, m_moveSerial);
        }
        return;
    }
    QGraphicsView::mouseReleaseEvent(event);
}

void EditorView::mouseDoubleClickEvent(QMouseEvent* event) {
    const QPointF sp = mapToScene(event->position().toPoint());
    if (NodeItem* n = nodeAt(sp)) {
        // The title renames in place (its name is a state_dict() key); a block's
        // body opens it; an item selects it; elsewhere the inspector's Name field.
        const QPointF local = n->mapFromScene(sp);
        if (local.y() < kHeader && !n->portAt(sp)) startTitleEdit(n->key());
        else if (n->look().kind == LookKind::Block) m_editor->enterNode(n->key());
        else if (const int row = n->rowAt(sp); row >= 0) m_editor->scene()->selectItem(n->key(), row);
        else {
            m_editor->scene()->selectKeys({n->key()});
            Q_EMIT m_editor->renameRequested(n->key());
        }
        return;
    }
    showSearchPopup(event->position().toPoint());
}

void EditorView::wheelEvent(QWheelEvent* event) {
    m_fitUntilTouched = false;
    zoomBy(std::pow(1.0015, event->angleDelta().y()));
}

void EditorView::keyPressEvent(QKeyEvent* event) {
    m_fitUntilTouched = false;
    auto* s = m_editor->scene();
    switch (event->key()) {
    case Qt::Key_Tab:
        showSearchPopup(mapFromGlobal(QCursor::pos()));
        return;
    case Qt::Key_F:
        frameSelection();
        return;
    case Qt::Key_F2:
        // In place, on the title, the name selected (a container item renames its container).
        if (s->selectedKeys().size() == 1) startTitleEdit(s->selectedKeys().front());
        return;
    case Qt::Key_Home:
        frameAll();
        return;
    case Qt::Key_Space:
        m_spaceHeld = true;
        return;
    case Qt::Key_Delete:
    case Qt::Key_Backspace:
        if (event->modifiers() & Qt::ControlModifier) m_editor->deleteAndReconnect(s->selectedKeys());
        else m_editor->deleteItems(s->selectedKeys());
        return;
    case Qt::Key_D:
        if (event->modifiers() & Qt::ControlModifier) {
            m_editor->duplicate(s->selectedKeys());
            return;
        }
        QGraphicsView::keyPressEvent(event);
        return;
    case Qt::Key_Left:
    case Qt::Key_Right:
    case Qt::Key_Up:
    case Qt::Key_Down: {
        const QPointF d(event->key() == Qt::Key_Left ? -kGrid : event->key() == Qt::Key_Right ? kGrid : 0,
                        event->key() == Qt::Key_Up ? -kGrid : event->key() == Qt::Key_Down ? kGrid : 0);
        std::map<QString, QPointF> before, after;
        for (const QString& k : s->selectedKeys()) {
            before[k] = m_editor->model()->position(m_editor->definitionName(), k).value_or(QPointF());
            after[k] = before[k] + d;
        }
        if (!before.empty()) m_editor->moveItems(before, after, m_editor->nextDragSerial());
        return;
    }
    default:
        QGraphicsView::keyPressEvent(event);
    }
}

void EditorView::keyReleaseEvent(QKeyEvent* event) {
    if (event->key() == Qt::Key_Space && !event->isAutoRepeat()) m_spaceHeld = false;
    QGraphicsView::keyReleaseEvent(event);
}

void EditorView::dragEnterEvent(QDragEnterEvent* event) {
    if (event->mimeData()->hasFormat(kPaletteMime)) event->acceptProposedAction();
    else event->ignore();
}

void EditorView::dragMoveEvent(QDragMoveEvent* event) {
    if (!event->mimeData()->hasFormat(kPaletteMime)) return event->ignore();
    const QPointF sp = mapToScene(event->position().toPoint());
    NodeItem* c = containerAt(sp);
    if (m_dropTarget != c) {
        if (m_dropTarget) m_dropTarget->setDropTarget(false);
        m_dropTarget = c;
        if (c) c->setDropTarget(true);
    }
    // Over a tensor wire (and not a container): the wire lights up; Alt suppresses.
    WireItem* wire = nullptr;
    if (!c && !(event->modifiers() & Qt::AltModifier) && !nodeAt(sp)) {
        const QRectF near(sp - QPointF(6, 6), QSizeF(12, 12));
        for (QGraphicsItem* item : scene()->items(near, Qt::IntersectsItemShape, Qt::DescendingOrder))
            if (auto* w = qgraphicsitem_cast<WireItem*>(item);
                w && w->kind() == PortKind::Tensor && w->wire().from.key != QString()) {
                wire = w;
                break;
            }
    }
    setInsertTarget(wire);
    event->acceptProposedAction();
}

void EditorView::dragLeaveEvent(QDragLeaveEvent*) {
    setInsertTarget(nullptr);
    if (m_dropTarget) m_dropTarget->setDropTarget(false);
    m_dropTarget = nullptr;
}

void EditorView::dropEvent(QDropEvent* event) {
    m_fitUntilTouched = false;
    if (!event->mimeData()->hasFormat(kPaletteMime)) return event->ignore();
    const QString entry = QString::fromUtf8(event->mimeData()->data(kPaletteMime));
    const QPointF sp = mapToScene(event->position().toPoint());
    if (m_dropTarget) m_dropTarget->setDropTarget(false);
    m_dropTarget = nullptr;
    noteUsed(entry);
    if (m_insertTarget) {
        const Wire wire = m_insertTarget->wire();
        setInsertTarget(nullptr);
        if (!(event->modifiers() & Qt::AltModifier)) {
            m_editor->addIntoWire(entry, snapped(sp), wire);
            setFocus(Qt::OtherFocusReason);
            return event->acceptProposedAction();
        }
    }
    if (NodeItem* c = containerAt(sp); c && !entry.startsWith(QLatin1String("op:")) && entry != QLatin1String("block:+"))
        m_editor->addIntoContainer(entry, c->key());
    else
        m_editor->addFromPalette(entry, snapped(sp));
    event->acceptProposedAction();
    setFocus(Qt::OtherFocusReason); // keys (Delete, F2, F, Ctrl+Z) act on what was just dropped
}

void EditorView::drawBackground(QPainter* painter, const QRectF& rect) {
    const Theme& t = Theme::current();
    painter->fillRect(rect, t.background);
    const double zoom = transform().m11();
    auto lines = [&](double step, const QColor& c) {
        QVector<QLineF> ls;
        for (double x = std::floor(rect.left() / step) * step; x < rect.right(); x += step)
            ls.append(QLineF(x, rect.top(), x, rect.bottom()));
        for (double y = std::floor(rect.top() / step) * step; y < rect.bottom(); y += step)
            ls.append(QLineF(rect.left(), y, rect.right(), y));
        painter->setPen(QPen(c, 0));
        painter->drawLines(ls);
    };
    if (zoom > 0.45) lines(kGrid, t.gridFine); // the fine grid thins out when zoomed out
    if (zoom > 0.09) lines(kGrid * 5, t.gridCoarse);
}

void EditorView::resizeEvent(QResizeEvent* event) {
    QGraphicsView::resizeEvent(event);
    if (m_fitUntilTouched) firstFrame();
    placeMinimap();
}

void EditorView::scrollContentsBy(int dx, int dy) {
    QGraphicsView::scrollContentsBy(dx, dy);
    m_minimap->update();
    scheduleMinimap();
    // A rename field over a title would be left behind: it commits.
    for (TitleEdit* open : viewport()->findChildren<TitleEdit*>()) open->finish(true);
}

} // namespace ml::gui
