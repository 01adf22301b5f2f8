#include "editor/CanvasMenu.h"

#include "editor/Editor.h"
#include "editor/EditorScene.h"
#include "editor/EditorView.h"
#include "editor/NodeItem.h"
#include "editor/WireItem.h"

#include <QApplication>
#include <QClipboard>
#include <QMenu>

namespace ml::gui {

namespace {

bool isPortKey(const QString& key) {
    return key.startsWith(QLatin1String("input:")) || key.startsWith(QLatin1String("output:"));
}

// Returns false when nothing applies to this port (the node's menu is shown instead).
bool addPortActions(QMenu* menu, EditorView* view, Editor* editor, const QString& key, PortHit port) {
    GraphModel* model = editor->model();
    const QString def = editor->definitionName();
    const PortRef ref{key, port.index};
    const QString name = port.output ? model->outputPortName(def, key, port.index)
                                     : model->inputPortName(def, key, port.index);
    menu->setObjectName(QStringLiteral("portMenu"));
    menu->addSection(QObject::tr("Port %1 of %2").arg(name, editor->itemName(key)));
    bool any = false;
    if (isPortKey(key)) { // the ports of the definition itself carry the names callers see
        menu->addAction(QObject::tr("Rename Port…"), view, [view, key] { view->startTitleEdit(key); });
        any = true;
    }
    if (!port.output) {
        if (editor->scene()->wireInto(ref)) {
            menu->addAction(QObject::tr("Disconnect"), editor,
                            [editor, ref] { editor->disconnectPort(ref); });
            any = true;
        }
        if (model->isIndexPort(def, key, port.index))
            if (const BlockDef* d = model->definition(def))
                for (const BlockInput& in : d->inputs)
                    if (in.dtype == DType::Int64) {
                        const QString from = QStringLiteral("input:") + qs(in.name);
                        menu->addAction(QObject::tr("Index by %1").arg(qs(in.name)), editor,
                                        [editor, from, ref] {
                                            editor->connectPorts({from, 0}, ref);
                                        });
                        any = true;
                    }
    } else {
        std::vector<PortRef> fed;
        for (const Wire& w : model->wires(def))
            if (w.from == ref) fed.push_back(w.to);
        if (!fed.empty()) {
            menu->addAction(fed.size() == 1 ? QObject::tr("Disconnect")
                                            : QObject::tr("Disconnect %1 Wires").arg(fed.size()),
                            editor, [editor, fed] { editor->cutWires(fed); });
            any = true;
        }
    }
    return any;
}

void addItemActions(QMenu* menu, EditorView* view, Editor* editor, const QString& key, int row) {
    GraphModel* model = editor->model();
    const QString def = editor->definitionName();
    const ModuleSpec* spec = model->calledSpec(def, key);
    if (!spec || row < 0 || row >= static_cast<int>(spec->items.size())) return;
    editor->scene()->selectItem(key, row);
    const QString child = model->calledChildName(def, key);
    const ModuleSpec& item = spec->items[static_cast<size_t>(row)];
    const int size = static_cast<int>(spec->items.size());
    bool aliases = false; // same_as items name others by position: no reordering
    for (const ModuleSpec& s : spec->items)
        aliases |= !s.sameAs.empty();
    menu->setObjectName(QStringLiteral("itemMenu"));
    menu->addSection(QStringLiteral("%1.%2: %3").arg(child).arg(row).arg(qs(item.type)));
    // Items are named by place (child.0, child.1); the container's name is the part that can change.
    menu->addAction(QObject::tr("Rename %1…").arg(child), view, [view, key] { view->startTitleEdit(key); });
    if (item.sameAs.empty()) {
        QMenu* replace = menu->addMenu(QObject::tr("Replace With"));
        replace->setObjectName(QStringLiteral("replaceMenu"));
        QString category;
        for (const PaletteEntry& e : editor->itemEntries()) {
            if (e.category != category) replace->addSection(category = e.category);
            QAction* a = replace->addAction(e.label, editor, [editor, key, row, id = e.id] {
                editor->replaceContainerItem(key, row, id);
            });
            a->setToolTip(e.summary);
            a->setEnabled(e.label != qs(item.type));
        }
    }
    if (!aliases && row > 0)
        menu->addAction(QObject::tr("Move Up"), editor,
                        [editor, key, row] { editor->moveContainerItem(key, row, row - 1); });
    if (!aliases && row + 1 < size)
        menu->addAction(QObject::tr("Move Down"), editor,
                        [editor, key, row] { editor->moveContainerItem(key, row, row + 1); });
    if (!aliases && size > 1)
        menu->addAction(QObject::tr("Remove Item"), editor,
                        [editor, key, row] { editor->removeContainerItem(key, row); });
}

void addNodeActions(QMenu* menu, EditorView* view, Editor* editor, const QString& key) {
    EditorScene* scene = editor->scene();
    GraphModel* model = editor->model();
    const QString def = editor->definitionName();
    QStringList sel = scene->selectedKeys();
    if (!sel.contains(key)) {
        scene->selectKeys({key});
        sel = {key};
    }
    menu->setObjectName(QStringLiteral("nodeMenu"));
    const BlockDef* d = model->definition(def);
    QStringList nodes; // not block ports
    bool calls = true, throughs = true;
    for (const QString& k : sel) {
        if (isPortKey(k)) continue;
        nodes << k;
        const Node* n = d ? d->findNode(ss(k)) : nullptr;
        calls &= n && n->isCall() && n->listUse == ListUse::None;
        throughs &= model->inputPortCount(def, k) > 0 && model->outputPortCount(def, k) > 0;
    }
    const bool onlyNodes = !nodes.isEmpty() && nodes.size() == sel.size();
    const LookKind kind = scene->nodeItem(key) ? scene->nodeItem(key)->look().kind : LookKind::Unknown;
    if (sel.size() == 1) {
        menu->addSection(editor->itemName(key));
        menu->addAction(QObject::tr("Rename…"), view, [view, key] { view->startTitleEdit(key); });
        if (kind == LookKind::Block)
            menu->addAction(QObject::tr("Open Block"), editor, [editor, key] { editor->enterNode(key); });
    } else {
        menu->addSection(QObject::tr("%1 selected").arg(sel.size()));
    }
    if (!nodes.isEmpty()) {
        menu->addAction(QObject::tr("Duplicate\tCtrl+D"), editor,
                        [editor, nodes] { editor->duplicate(nodes); });
        if (sel.size() == 1 && !model->calledChildName(def, key).isEmpty())
            menu->addAction(QObject::tr("Call Again (share its parameters)"), editor,
                            [editor, key] { editor->callAgain(key); });
    }
    if (onlyNodes) {
        menu->addSeparator();
        if (calls) {
            menu->addAction(QObject::tr("Group into Sequential"), editor,
                            [editor, nodes] { editor->group(QStringLiteral("Sequential"), nodes); });
            menu->addAction(QObject::tr("Group into ModuleList"), editor,
                            [editor, nodes] { editor->group(QStringLiteral("ModuleList"), nodes); });
        }
        menu->addAction(QObject::tr("Group into Block\tCtrl+G"), editor,
                        [editor, nodes] { editor->group(QStringLiteral("block"), nodes); });
    }
    if (sel.size() == 1 &&
        (kind == LookKind::Sequential || kind == LookKind::ModuleList || kind == LookKind::Block))
        menu->addAction(QObject::tr("Ungroup\tCtrl+Shift+G"), editor,
                        [editor, key] { editor->ungroup(key); });
    menu->addSeparator();
    menu->addAction(isPortKey(key) && sel.size() == 1 ? QObject::tr("Remove Port\tDel")
                                                      : QObject::tr("Delete\tDel"),
                    editor, [editor, sel] { editor->deleteItems(sel); });
    if (onlyNodes && throughs)
        menu->addAction(QObject::tr("Delete and Reconnect\tCtrl+Del"), editor,
                        [editor, nodes] { editor->deleteAndReconnect(nodes); });
}

void addWireActions(QMenu* menu, EditorView* view, Editor* editor, const Wire& wire, PortKind kind,
                    QPoint viewPos) {
    menu->setObjectName(QStringLiteral("wireMenu"));
    menu->addSection(QObject::tr("Wire %1 → %2")
                         .arg(editor->model()->refOfOutput(editor->definitionName(), wire.from),
                              editor->itemName(wire.to.key)));
    menu->addAction(QObject::tr("Delete Wire"), editor,
                    [editor, to = wire.to] { editor->disconnectPort(to); });
    if (kind == PortKind::Tensor) // an int64 index goes straight to its ModuleList call
        menu->addAction(QObject::tr("Insert Node on Wire…"), view,
                        [view, wire, viewPos] { view->showInsertPopup(viewPos, wire); });
}

void addCanvasActions(QMenu* menu, EditorView* view, Editor* editor, QPoint viewPos) {
    menu->setObjectName(QStringLiteral("canvasMenu"));
    const QPointF at = view->snapped(view->mapToScene(viewPos));
    menu->addAction(QObject::tr("Add Node Here…\tTab"), view,
                    [view, viewPos] { view->showSearchPopup(viewPos); });
    const QString clip = QApplication::clipboard()->text();
    if (!clip.trimmed().isEmpty())
        menu->addAction(QObject::tr("Paste Here\tCtrl+V"), editor,
                        [editor, clip, at] { editor->paste(clip, at); });
    menu->addSeparator();
    menu->addAction(QObject::tr("Frame All\tHome"), view, &EditorView::frameAll);
    if (!editor->scene()->nodeItems().empty())
        menu->addAction(QObject::tr("Tidy Layout\tCtrl+L"), editor, &Editor::tidyLayout);
    if (editor->levels().size() > 1)
        menu->addAction(QObject::tr("Back Out of %1\tCtrl+Tab").arg(editor->definitionName()), editor,
                        &Editor::goUp);
}

} // namespace

QMenu* buildCanvasMenu(EditorView* view, Editor* editor, QPoint viewPos) {
    auto* menu = new QMenu(view);
    menu->setAttribute(Qt::WA_DeleteOnClose);
    const QPointF sp = view->mapToScene(viewPos);
    if (NodeItem* node = view->nodeAt(sp)) {
        const QString key = node->key();
        if (auto port = node->portAt(sp)) {
            if (addPortActions(menu, view, editor, key, *port)) return menu;
            menu->clear();
        }
        if (const int row = node->rowAt(sp); row >= 0) {
            addItemActions(menu, view, editor, key, row);
            return menu;
        }
        addNodeActions(menu, view, editor, key);
        return menu;
    }
    if (WireItem* w = view->wireAt(sp)) {
        addWireActions(menu, view, editor, w->wire(), w->kind(), viewPos);
        return menu;
    }
    addCanvasActions(menu, view, editor, viewPos);
    return menu;
}

} // namespace ml::gui
