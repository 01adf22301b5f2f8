#pragma once
// The canvas: pan (middle drag, or Space/Alt + drag), zoom at the cursor,
// rubber-band selection, node drags (one MoveCommand per drag), wire drags
// from ports (compatible ports light up; a refused wire says why), palette
// drops (onto a container frame: into it), Tab/double-click search, F/Home,
// a grid with snapping and a minimap. It turns gestures into Editor calls.
#include "editor/GraphModel.h"

#include <QGraphicsView>

#include <map>
#include <optional>

class QGraphicsPathItem;
class QMenu;
class QTimer;

namespace ml::gui {

class Editor;
class Minimap;
class NodeItem;
class WireItem;

class EditorView : public QGraphicsView {
    Q_OBJECT

public:
    explicit EditorView(Editor* editor, QWidget* parent = nullptr);

    void frameAll();
    void frameSelection();
    void zoomBy(double factor);
    void showSearchPopup(QPoint viewPos);
    // The add menu for a wire released on empty canvas: only what fits the
    // dragged port; the chosen node is added there and wired (one step).
    void showSearchPopupFor(QPoint viewPos, const PortRef& port, bool portIsOutput);
    // The add menu for a wire (its menu's Insert): what can go into it; the chosen node goes there.
    void showInsertPopup(QPoint viewPos, const Wire& wire);
    // The right-click menu for what is under viewPos (a port, a container item,
    // a node, a wire or the canvas), popped up there; returned for tests.
    QMenu* showContextMenu(QPoint viewPos);
    // In-place rename of `key`'s title (F2, a double-click on it, or Rename in a menu).
    void startTitleEdit(const QString& key);
    // A top-left for new node `key` near `wanted`: inside the visible area and
    // off every other node (the nearest such grid place).
    QPointF freeSpot(const QString& key, QPointF wanted) const;
    NodeItem* nodeAt(QPointF scenePos) const;
    WireItem* wireAt(QPointF scenePos) const;
    // The View menu's toggle; while shown, the minimap sits in a corner with no
    // node under it (bottom right first) and steps aside when every corner has one.
    void setMinimapVisible(bool on);
    Minimap* minimap() const { return m_minimap; }
    void setSnapToGrid(bool on) { m_snap = on; }
    QPointF snapped(QPointF p) const;
    QStringList recentEntries() const { return m_recent; }
    void noteUsed(const QString& entry);
    // Why the port under a dragged wire refuses it ("" if it fits or none is hovered).
    QString hoverProblem() const { return m_hoverProblem; }

protected:
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void mouseDoubleClickEvent(QMouseEvent* event) override;
    void wheelEvent(QWheelEvent* event) override;
    void keyPressEvent(QKeyEvent* event) override;
    void keyReleaseEvent(QKeyEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dragMoveEvent(QDragMoveEvent* event) override;
    void dragLeaveEvent(QDragLeaveEvent* event) override;
    void dropEvent(QDropEvent* event) override;
    void drawBackground(QPainter* painter, const QRectF& rect) override;
    void resizeEvent(QResizeEvent* event) override;
    void scrollContentsBy(int dx, int dy) override;
    void contextMenuEvent(QContextMenuEvent* event) override;
    bool focusNextPrevChild(bool) override { return false; } // Tab opens the search popup

private:
    void endWireDrag(QPointF scenePos);
    void markPorts(bool on);
    NodeItem* containerAt(QPointF scenePos) const;
    void endCut();
    // A tensor wire under scenePos a node could go into, or null.
    WireItem* insertWireAt(QPointF scenePos, const QString& nodeId) const;
    void setInsertTarget(WireItem* w);

    Editor* m_editor;
    Minimap* m_minimap;
    bool m_minimapWanted = true;
    QTimer* m_minimapTimer;
    void placeMinimap();
    void scheduleMinimap();
    bool m_snap = true;
    // Until the user zooms, pans or clicks, the shown level stays fitted to the
    // viewport (the window's first layout resizes it after a file is loaded).
    bool m_fitUntilTouched = true;
    void firstFrame();
    void fitAll();
    // Panning.
    bool m_panning = false;
    bool m_spaceHeld = false;
    QPoint m_panLast;
    // Node drag.
    bool m_moving = false;
    QPointF m_moveStart;
    std::map<QString, QPointF> m_moveBefore;
    int m_moveSerial = 0;
    // Sequential row drag (reorder).
    QString m_rowNode;
    int m_rowFrom = -1;
    // Wire drag: from an output, or pulled off an input.
    std::optional<PortRef> m_wireFrom;     // output end
    std::optional<PortRef> m_wireTo;       // input end when dragging backwards from a free input
    std::optional<PortRef> m_pulledFrom;   // input the wire was pulled off
    QGraphicsPathItem* m_preview = nullptr;
    NodeItem* m_hoverTarget = nullptr;
    QStringList m_marked; // nodes whose ports are marked during a wire drag
    QString m_hoverProblem;
    NodeItem* m_dropTarget = nullptr;
    QStringList m_recent;
    // Cut stroke (Ctrl + right drag).
    QPolygonF m_cutStroke;
    QGraphicsPathItem* m_cutPreview = nullptr;
    // Node (or palette entry) dropped onto a wire.
    WireItem* m_insertTarget = nullptr;
};

} // namespace ml::gui
