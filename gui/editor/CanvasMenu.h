#pragma once
// The canvas's right-click menus, one per thing under the cursor, each holding
// only the edits that apply there:
//   port            rename (block inputs/outputs), disconnect, index by an int64 input
//   container item  rename the container, replace, move up/down, remove
//   node            rename, open block, duplicate, call again, group, ungroup, delete
//   wire            delete, insert a node on it
//   empty canvas    add a node here, paste here, frame all, tidy, back out of a block
// Every action calls an Editor entry point (one undo step) or a view gesture.
#include <QPoint>

class QMenu;

namespace ml::gui {

class Editor;
class EditorView;

// A new menu (deleted when closed) for what is under `viewPos`; not shown yet.
QMenu* buildCanvasMenu(EditorView* view, Editor* editor, QPoint viewPos);

} // namespace ml::gui
