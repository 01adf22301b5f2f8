// The canvas as a person uses it: clicks on container items (and on the
// module tree's rows), right-click menus, double-click renames, where new
// nodes land, the minimap, focus after a dock click, and the states a few
// once-broken gestures must leave. Real events on the real widgets only;
// every case checks the ModelDocument (or the widgets' state) after.
#include "app/MainWindow.h"
#include "editor/DiagnosticsView.h"
#include "editor/Editor.h"
#include "editor/EditorScene.h"
#include "editor/EditorView.h"
#include "editor/Inspector.h"
#include "editor/Minimap.h"
#include "editor/ModuleTreeView.h"
#include "editor/NodeItem.h"
#include "editor/PaletteEntries.h"
#include "editor/PaletteView.h"
#include "editor/SearchPopup.h"
#include "editor/WireItem.h"
#include "io/ModelJson.h"

#include <QClipboard>
#include <QComboBox>
#include <QFileDialog>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMenu>
#include <QMenuBar>
#include <QMimeData>
#include <QPushButton>
#include <QScrollBar>
#include <QStatusBar>
#include <QTemporaryDir>
#include <QToolButton>
#include <QTreeWidget>
#include <QtTest>

using namespace ml;
using namespace ml::gui;

// A gesture helper's failed check ends the test (not only the helper).
#define STEP(call)                                                                                           \
    do {                                                                                                     \
        call;                                                                                                \
        if (QTest::currentTestFailed()) return;                                                              \
    } while (0)

namespace {
const QString kExamples = QStringLiteral(MODULELAB_SOURCE_DIR "/resources/examples/");

void settle() {
    for (int i = 0; i < 3; ++i) {
        QApplication::processEvents();
        QApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
    }
}

void showWindow(MainWindow& w) {
    w.setPromptsEnabled(false);
    w.resize(1600, 1000);
    w.show();
    w.activateWindow();
}

// Shown, exposed and holding `file`, its events settled.
bool openShown(MainWindow& w, const QString& file) {
    showWindow(w);
    if (!QTest::qWaitForWindowExposed(&w) || !w.openFile(file)) return false;
    settle();
    return true;
}

const BlockDef& def(const Editor* e, const char* name = "Model") {
    const BlockDef* d = e->model()->document().findDefinition(name);
    if (!d) qFatal("no definition %s", name);
    return *d;
}

// A palette drag released at view point `at` (onto a container it adds an item).
void drop(EditorView* v, const QString& entry, QPoint at) {
    QMimeData mime;
    mime.setData(kPaletteMime, entry.toUtf8());
    QDragEnterEvent enter(at, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(v->viewport(), &enter);
    QDragMoveEvent move(at, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(v->viewport(), &move);
    QDropEvent dropEvent(QPointF(at), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(v->viewport(), &dropEvent);
    settle();
}

QPoint viewPoint(EditorView* v, QPointF scene) {
    return v->mapFromScene(scene);
}
NodeItem* item(MainWindow& w, const QString& key) {
    return w.editor()->scene()->nodeItem(key);
}
QPointF centerOf(MainWindow& w, const QString& key) {
    return item(w, key)->sceneBoundingRect().center();
}

// The middle of container row `row` of `key` (as NodeItem::rowAt reads it).
QPoint rowPoint(MainWindow& w, const QString& key, int row) {
    NodeItem* n = item(w, key);
    const QRectF r(n->pos(), n->look().size);
    for (double y = r.top(); y < r.bottom(); y += 2)
        if (n->rowAt(QPointF(r.center().x(), y)) == row)
            return viewPoint(w.view(), QPointF(r.center().x(), y + 8));
    qFatal("no row %d", row);
    return {};
}

// A view point with no node and no wire near it.
// Nothing near it, and no node in the room below and right of it for a new one.
QPoint emptySpot(EditorView* v) {
    const QRect r = v->viewport()->rect();
    for (int y = 40; y < r.bottom() - 130; y += 20)
        for (int x = 40; x < r.right() - 260; x += 20) {
            const QPointF sp = v->mapToScene(QPoint(x, y));
            if (!v->scene()
                     ->items(QRectF(sp - QPointF(20, 20), QSizeF(40, 40)), Qt::IntersectsItemShape)
                     .isEmpty())
                continue;
            bool nodes = false;
            for (QGraphicsItem* i :
                 v->scene()->items(v->mapToScene(QRect(x - 20, y - 20, 260, 140)).boundingRect()))
                nodes |= qgraphicsitem_cast<NodeItem*>(i) != nullptr;
            if (!nodes) return {x, y};
        }
    qFatal("no empty spot");
    return {};
}

// A point on the wire with no node over it.
QPoint wirePoint(EditorView* v, WireItem* wire) {
    for (double t = 0.5; t > 0.05; t -= 0.05)
        for (double u : {t, 1 - t})
            if (const QPointF p = wire->path().pointAtPercent(u); !v->nodeAt(p) && v->wireAt(p) == wire)
                return v->mapFromScene(p);
    qFatal("the wire is under nodes");
    return {};
}

// A click point on a tree row's name (rows are wider than the dock: it scrolls).
QPoint rowStart(QTreeWidget* tree, QTreeWidgetItem* row) {
    tree->scrollToItem(row);
    const QRect r = tree->visualItemRect(row);
    return QPoint(std::max(r.left(), 0) + 24, r.center().y());
}

QString plain(const QAction* a) {
    return a->text().section(QLatin1Char('\t'), 0, 0).remove(QLatin1Char('&'));
}

QStringList actionTexts(const QMenu* m) {
    QStringList out;
    for (const QAction* a : m->actions())
        if (!a->isSeparator() && !a->text().isEmpty() &&
            !(a->isEnabled() == false && a->menu() == nullptr && false))
            out << plain(a);
    return out;
}

// A right-click at `at`: the menu that pops up (the real QContextMenuEvent path).
// The platform's sequence for a right-click: press, the context menu event, release.
QMenu* rightClick(EditorView* v, QPoint at) {
    QWidget* vp = v->viewport();
    QTest::mousePress(vp, Qt::RightButton, {}, at);
    QContextMenuEvent menuEvent(QContextMenuEvent::Mouse, at, vp->mapToGlobal(at), Qt::NoModifier);
    QApplication::sendEvent(vp, &menuEvent);
    if (!QApplication::activePopupWidget()) QTest::mouseRelease(vp, Qt::RightButton, {}, at);
    settle();
    if (auto* m = qobject_cast<QMenu*>(QApplication::activePopupWidget())) return m;
    for (QMenu* m : v->findChildren<QMenu*>())
        if (m->isVisible()) return m;
    qWarning("no menu: popup %p, menus %d", (void*)QApplication::activePopupWidget(),
             int(v->findChildren<QMenu*>().size()));
    return nullptr;
}

QAction* actionNamed(QMenu* m, const QString& text) {
    for (QAction* a : m->actions())
        if (plain(a) == text) return a;
    return nullptr;
}

// Clicks the action `text` of the open menu `m` with the mouse.
void choose(QMenu* m, const QString& text) {
    QVERIFY2(m, "a menu is open");
    QAction* a = actionNamed(m, text);
    QVERIFY2(a, qPrintable(text + " in " + actionTexts(m).join(", ")));
    QVERIFY2(a->isEnabled(), qPrintable(text));
    const QPoint at = m->actionGeometry(a).center();
    QTest::mouseMove(m, at);
    QTest::mouseClick(m, Qt::LeftButton, {}, at);
    settle();
}

// Opens the submenu `text` of `m` (hover, then the submenu pops up).
QMenu* submenu(QMenu* m, const QString& text) {
    QAction* a = actionNamed(m, text);
    if (!a || !a->menu()) return nullptr;
    const QPoint at = m->actionGeometry(a).center();
    QTest::mouseMove(m, at);
    QTest::mousePress(m, Qt::LeftButton, {}, at);
    QTest::mouseRelease(m, Qt::LeftButton, {}, at);
    for (int i = 0; i < 40 && !a->menu()->isVisible(); ++i)
        QTest::qWait(50);
    return a->menu()->isVisible() ? a->menu() : nullptr;
}

void closeMenus() {
    while (QWidget* p = QApplication::activePopupWidget())
        p->close();
    settle();
}

SearchPopup* openPopup(EditorView* v) {
    for (SearchPopup* p : v->findChildren<SearchPopup*>())
        if (p->isVisible()) return p;
    return nullptr;
}

Inspector* inspector(MainWindow& w) {
    return w.inspector();
}

QStringList inspectorTexts(MainWindow& w) {
    QStringList out;
    for (QLabel* l : inspector(w)->findChildren<QLabel*>())
        out << l->text();
    return out;
}

// A double-click with the mouse (press, release, double-click, release).
void doubleClick(QWidget* vp, QPoint at) {
    for (QEvent::Type t : {QEvent::MouseButtonPress, QEvent::MouseButtonRelease, QEvent::MouseButtonDblClick,
                           QEvent::MouseButtonRelease}) {
        const bool down = t != QEvent::MouseButtonRelease;
        QMouseEvent ev(t, QPointF(at), vp->mapToGlobal(QPointF(at)), Qt::LeftButton,
                       down ? Qt::LeftButton : Qt::NoButton, Qt::NoModifier);
        QApplication::sendEvent(vp, &ev);
    }
    settle();
}

// The view rectangle (viewport coordinates) of a node.
QRect viewRect(MainWindow& w, const QString& key) {
    NodeItem* n = item(w, key);
    return w.view()->mapFromScene(QRectF(n->pos(), n->look().size)).boundingRect();
}

// A ModuleList `list1` with three Linears (out_features 2, 3, 1) dropped in.
void dropListOfThree(MainWindow& w) {
    EditorView* v = w.view();
    const QPointF x0 = centerOf(w, "input:x");
    drop(v, "container:ModuleList", viewPoint(v, x0 + QPointF(300, 200)));
    QVERIFY(item(w, "list1"));
    for (int i = 0; i < 3; ++i)
        drop(v, "layer:Linear", viewPoint(v, centerOf(w, "list1")));
    QCOMPARE(def(w.editor()).findChild("list1")->spec.items.size(), size_t(3));
}
} // namespace

class TestCanvas : public QObject {
    Q_OBJECT

  private Q_SLOTS:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("ModuleLabTest"));
    }

    // A click on a container's row selects that item: the inspector shows it,
    // the module tree's current row is it; a click on a tree row selects back.
    void itemSelectedOnCanvasAndInTree() {
        MainWindow w;
        showWindow(w);
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        Editor* e = w.editor();
        STEP(dropListOfThree(w));
        QTest::mouseClick(w.view()->viewport(), Qt::LeftButton, {}, rowPoint(w, "list1", 1));
        settle();
        QCOMPARE(e->scene()->selectedKeys(), QStringList{"list1"});
        QCOMPARE(e->scene()->selectedRow(), 1);
        QCOMPARE(item(w, "list1")->selectedRow(), 1);
        QVERIFY2(inspectorTexts(w).join("|").contains("Item list1.1: Linear"),
                 qPrintable(inspectorTexts(w).join("|")));
        QVERIFY(inspector(w)->findChild<QLineEdit*>("item1_arg_out_features"));
        QVERIFY(!inspector(w)->findChild<QLineEdit*>("item0_arg_out_features")); // that item alone
        QTreeWidget* tree = w.moduleTree()->tree();
        QVERIFY(tree->currentItem());
        QCOMPARE(tree->currentItem()->data(0, Qt::UserRole).toString(), QString("list1.1"));

        // The tree's row list1.2, clicked: the canvas selects that item.
        QTreeWidgetItem* row2 = w.moduleTree()->itemForPath("list1.2");
        QVERIFY(row2);
        tree->scrollToItem(row2);
        QTest::mouseClick(tree->viewport(), Qt::LeftButton, {}, rowStart(tree, row2));
        settle();
        QCOMPARE(e->scene()->selectedKeys(), QStringList{"list1"});
        QCOMPARE(e->scene()->selectedRow(), 2);
        QVERIFY(inspector(w)->findChild<QLineEdit*>("item2_arg_out_features"));
        // The container's row in the tree selects the node itself.
        QTest::mouseClick(tree->viewport(), Qt::LeftButton, {},
                          rowStart(tree, w.moduleTree()->itemForPath("list1")));
        settle();
        QCOMPARE(e->scene()->selectedRow(), -1);
        QCOMPARE(e->scene()->selectedKeys(), QStringList{"list1"});
        // A click on the canvas's empty space clears both.
        QTest::mouseClick(w.view()->viewport(), Qt::LeftButton, {}, emptySpot(w.view()));
        settle();
        QVERIFY(e->scene()->selectedKeys().isEmpty());
        QVERIFY(!tree->currentItem() || tree->currentItem()->data(0, Qt::UserRole).toString().isEmpty() ||
                tree->selectedItems().isEmpty());
    }

    // A module tree row inside a block opens that block and selects the node.
    void treeRowOpensTheBlock() {
        MainWindow w;
        QVERIFY(openShown(w, kExamples + "resnet.json"));
        Editor* e = w.editor();
        QTreeWidget* tree = w.moduleTree()->tree();
        QTreeWidgetItem* conv = w.moduleTree()->itemForPath("block1.conv1");
        QVERIFY(conv);
        tree->scrollToItem(conv);
        QTest::mouseClick(tree->viewport(), Qt::LeftButton, {}, rowStart(tree, conv));
        settle();
        QVERIFY2(tree->currentItem(), "a current row");
        QCOMPARE(tree->currentItem()->data(0, Qt::UserRole).toString(), QString("block1.conv1"));
        QCOMPARE(e->levels().size(), size_t(2));
        QCOMPARE(e->levels().back().instancePath, QString("block1"));
        QCOMPARE(e->scene()->selectedKeys(), QStringList{"c1"}); // the node that calls conv1
        QVERIFY(w.findChild<QToolButton*>("crumb1"));
    }

    // Replace an item from the inspector's Type field and from the item's menu.
    void replaceItemFromInspectorAndMenu() {
        MainWindow w;
        showWindow(w);
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        Editor* e = w.editor();
        STEP(dropListOfThree(w));
        QTest::mouseClick(w.view()->viewport(), Qt::LeftButton, {}, rowPoint(w, "list1", 2));
        settle();
        QCOMPARE(e->scene()->selectedRow(), 2);
        auto* type = inspector(w)->findChild<QComboBox*>("itemReplace");
        QVERIFY(type);
        QCOMPARE(type->currentText().section(' ', 0, 0), QString("Linear"));
        type->setFocus();
        QTest::keyClicks(type, "Tanh");
        settle();
        QCOMPARE(def(e).findChild("list1")->spec.items[2].type, std::string("Tanh"));
        QCOMPARE(e->scene()->selectedRow(), 2); // still that item
        QVERIFY(inspectorTexts(w).join("|").contains("Item list1.2: Tanh"));

        // Right-click on item 0: its menu; Replace With > Conv2d. A Linear's out_features is no Conv2d
        // argument.
        QMenu* menu = rightClick(w.view(), rowPoint(w, "list1", 0));
        QVERIFY(menu);
        QCOMPARE(menu->objectName(), QString("itemMenu"));
        QCOMPARE(actionTexts(menu),
                 (QStringList{"Rename list1…", "Replace With", "Move Down", "Remove Item"}));
        QMenu* with = submenu(menu, "Replace With");
        QVERIFY(with);
        STEP(choose(with, "Dropout"));
        closeMenus();
        const ModuleSpec& first = def(e).findChild("list1")->spec.items[0];
        QCOMPARE(first.type, std::string("Dropout"));
        // Undo puts the Linear back in one step.
        e->undoStack()->undo();
        QCOMPARE(def(e).findChild("list1")->spec.items[0].type, std::string("Linear"));
    }

    // The item menu's Move Up/Down and Remove; the selection follows the moved item.
    void itemMenuMovesAndRemoves() {
        MainWindow w;
        showWindow(w);
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        Editor* e = w.editor();
        STEP(dropListOfThree(w));
        QTest::mouseClick(w.view()->viewport(), Qt::LeftButton, {}, rowPoint(w, "list1", 0));
        settle();
        auto* out = inspector(w)->findChild<QLineEdit*>("item0_arg_out_features");
        QVERIFY(out);
        out->setFocus();
        out->selectAll();
        QTest::keyClicks(out, "7");
        QTest::keyClick(out, Qt::Key_Return);
        settle();
        QCOMPARE(def(e).findChild("list1")->spec.items[0].args["out_features"], Json(7));
        STEP(choose(rightClick(w.view(), rowPoint(w, "list1", 0)), "Move Down"));
        QCOMPARE(def(e).findChild("list1")->spec.items[1].args["out_features"], Json(7));
        QCOMPARE(e->scene()->selectedRow(), 1);
        QMenu* menu = rightClick(w.view(), rowPoint(w, "list1", 2));
        QCOMPARE(actionTexts(menu).contains("Move Down"), false); // the last item
        STEP(choose(menu, "Move Up"));
        STEP(choose(rightClick(w.view(), rowPoint(w, "list1", 0)), "Remove Item"));
        QCOMPARE(def(e).findChild("list1")->spec.items.size(), size_t(2));
        QCOMPARE(def(e).findChild("list1")->spec.items[0].args["out_features"], Json(16));
        QCOMPARE(def(e).findChild("list1")->spec.items[1].args["out_features"], Json(7));
    }

    // Each menu holds what applies where it opens, and its actions do it.
    void contextMenusHoldWhatApplies() {
        MainWindow w;
        showWindow(w);
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        Editor* e = w.editor();
        EditorView* v = w.view();
        QApplication::clipboard()->clear();
        // Canvas: add here (the search popup at the click point), frame all, tidy.
        const QPoint spot = emptySpot(v);
        QMenu* canvas = rightClick(v, spot);
        QVERIFY(canvas);
        QCOMPARE(canvas->objectName(), QString("canvasMenu"));
        QCOMPARE(actionTexts(canvas), (QStringList{"Add Node Here…", "Frame All", "Tidy Layout"}));
        STEP(choose(canvas, "Add Node Here…"));
        SearchPopup* popup = openPopup(v);
        QVERIFY(popup);
        QTest::keyClicks(popup->findChild<QLineEdit*>(), "Linear");
        QTest::keyClick(popup->findChild<QLineEdit*>(), Qt::Key_Return);
        settle();
        QVERIFY(item(w, "linear1"));
        QVERIFY2(viewRect(w, "linear1").contains(spot) ||
                     QLineF(viewRect(w, "linear1").topLeft(), spot).length() < 60,
                 "added where the menu was opened");

        // Node: rename, duplicate, call again, group (one call), delete (and reconnect).
        QMenu* node = rightClick(v, viewRect(w, "linear1").center());
        QCOMPARE(node->objectName(), QString("nodeMenu"));
        QCOMPARE(actionTexts(node), (QStringList{"Rename…", "Duplicate", "Call Again (share its parameters)",
                                                 "Group into Sequential", "Group into ModuleList",
                                                 "Group into Block", "Delete", "Delete and Reconnect"}));
        STEP(choose(node, "Duplicate"));
        QVERIFY(item(w, "linear2"));
        QVERIFY(!viewRect(w, "linear2").intersects(viewRect(w, "linear1")));
        // The input's node: no grouping, no duplicate; it is a port of the model.
        QMenu* input = rightClick(v, viewRect(w, "input:x").center() + QPoint(0, 6));
        QCOMPARE(actionTexts(input), (QStringList{"Rename…", "Remove Port"}));
        closeMenus();

        // Wire: delete it, or insert a node on it (only what takes one tensor and gives one).
        QVERIFY(e->connectPorts({"input:x", 0}, {"linear1", 0}));
        settle();
        WireItem* wire = e->scene()->wireInto({"linear1", 0});
        QVERIFY(wire);
        const QPoint mid = wirePoint(v, wire);
        QMenu* wm = rightClick(v, mid);
        QCOMPARE(wm->objectName(), QString("wireMenu"));
        QCOMPARE(actionTexts(wm), (QStringList{"Delete Wire", "Insert Node on Wire…"}));
        STEP(choose(wm, "Insert Node on Wire…"));
        popup = openPopup(v);
        QVERIFY(popup);
        QStringList offered;
        for (int i = 0; i < popup->list()->count(); ++i)
            offered << popup->list()->item(i)->data(Qt::UserRole).toString();
        QVERIFY(offered.contains("layer:ReLU"));
        QVERIFY(!offered.contains("op:add"));        // two inputs: not a wire's node
        QVERIFY(!offered.contains("layer:Conv2d"));  // x is [N, 10]
        QTest::keyClicks(popup->findChild<QLineEdit*>(), "ReLU");
        QTest::keyClick(popup->findChild<QLineEdit*>(), Qt::Key_Return);
        settle();
        const QString inserted = QString::fromStdString(def(e).findNode("linear1")->inputs[0]);
        const Node* relu = def(e).findNode(inserted.toStdString());
        QVERIFY2(relu && relu->isCall(), qPrintable(inserted));
        QCOMPARE(def(e).findChild(relu->call)->spec.type, std::string("ReLU"));
        QCOMPARE(relu->inputs[0], std::string("x"));
        wire = e->scene()->wireInto({"linear1", 0});
        STEP(choose(rightClick(v, wirePoint(v, wire)), "Delete Wire"));
        QCOMPARE(def(e).findNode("linear1")->inputs[0], std::string());

        // Port: an input port with a wire disconnects; the model's input port renames.
        QMenu* pm = rightClick(v, viewPoint(v, item(w, inserted)->inPortScenePos(0)));
        QCOMPARE(pm->objectName(), QString("portMenu"));
        QCOMPARE(actionTexts(pm), (QStringList{"Disconnect"}));
        STEP(choose(pm, "Disconnect"));
        QCOMPARE(def(e).findNode(inserted.toStdString())->inputs[0], std::string());
        // An unwired layer port has nothing of its own: the node's menu.
        QCOMPARE(rightClick(v, viewPoint(v, item(w, inserted)->inPortScenePos(0)))->objectName(),
                 QString("nodeMenu"));
        closeMenus();
        QMenu* xm = rightClick(v, viewPoint(v, item(w, "input:x")->outPortScenePos(0)));
        QCOMPARE(actionTexts(xm), (QStringList{"Rename Port…", "Disconnect"})); // x still feeds y
        STEP(choose(xm, "Rename Port…"));
        auto* edit = v->viewport()->findChild<QLineEdit*>("titleEditor");
        QVERIFY(edit);
        QCOMPARE(QApplication::focusWidget(), edit);
        QTest::keyClicks(edit, "features");
        QTest::keyClick(edit, Qt::Key_Return);
        settle();
        QCOMPARE(def(e).inputs[0].name, std::string("features"));

        // With something on the clipboard the canvas menu pastes at the click point.
        QApplication::clipboard()->setText(e->copy({"linear2"}));
        QMenu* again = rightClick(v, emptySpot(v));
        QCOMPARE(actionTexts(again),
                 (QStringList{"Add Node Here…", "Paste Here", "Frame All", "Tidy Layout"}));
        const size_t before = def(e).nodes.size();
        STEP(choose(again, "Paste Here"));
        QCOMPARE(def(e).nodes.size(), before + 1);
    }

    // The index port's menu offers the model's int64 inputs.
    void indexPortMenuOffersTheIndexInput() {
        MainWindow w;
        showWindow(w);
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        Editor* e = w.editor();
        QVERIFY(e->addPort(true, "task_index"));
        QVERIFY(e->setInputSpec("task_index", DType::Int64, ""));
        settle();
        STEP(dropListOfThree(w));
        const int indexPort = e->model()->inputPortCount("Model", "list1") - 1;
        QMenu* m = rightClick(w.view(), viewPoint(w.view(), item(w, "list1")->inPortScenePos(indexPort)));
        QVERIFY(m);
        QCOMPARE(m->objectName(), QString("portMenu"));
        STEP(choose(m, "Index by task_index"));
        QCOMPARE(def(e).findNode("list1")->indexInput, std::string("task_index"));
    }

    // A double-click on a title opens a name field over it: Return renames,
    // Escape keeps the old name; ops rename their node id.
    void doubleClickTitleRenamesInPlace() {
        MainWindow w;
        showWindow(w);
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        Editor* e = w.editor();
        EditorView* v = w.view();
        const QPointF x0 = centerOf(w, "input:x");
        drop(v, "layer:Linear", viewPoint(v, x0 + QPointF(300, 0)));
        drop(v, "op:relu", viewPoint(v, x0 + QPointF(300, 200)));
        auto title = [&](const QString& key) {
            return viewPoint(v, item(w, key)->pos() + QPointF(30, kHeader / 2));
        };
        doubleClick(v->viewport(), title("linear1"));
        auto* edit = v->viewport()->findChild<QLineEdit*>("titleEditor");
        QVERIFY(edit);
        QVERIFY(edit->isVisible());
        QCOMPARE(edit->text(), QString("linear1"));
        QCOMPARE(edit->selectedText(), QString("linear1"));
        QCOMPARE(QApplication::focusWidget(), edit);
        QVERIFY(viewRect(w, "linear1").intersects(edit->geometry())); // over the node's title
        QTest::keyClicks(edit, "encoder");
        QTest::keyClick(edit, Qt::Key_Return);
        settle();
        QVERIFY(def(e).findChild("encoder"));
        QVERIFY(def(e).findNode("encoder"));
        QCOMPARE(QApplication::focusWidget(), static_cast<QWidget*>(v)); // keys act on the canvas again
        // Escape keeps the name.
        doubleClick(v->viewport(), title("encoder"));
        edit = v->viewport()->findChild<QLineEdit*>("titleEditor");
        QVERIFY(edit);
        QTest::keyClicks(edit, "nope");
        QTest::keyClick(edit, Qt::Key_Escape);
        settle();
        QVERIFY(def(e).findChild("encoder"));
        QVERIFY(!def(e).findChild("nope"));
        // A clash is refused with the reason; nothing changes.
        QSignalSpy said(e, &Editor::message);
        doubleClick(v->viewport(), title("relu1"));
        edit = v->viewport()->findChild<QLineEdit*>("titleEditor");
        QVERIFY(edit);
        QTest::keyClicks(edit, "encoder");
        QTest::keyClick(edit, Qt::Key_Return);
        settle();
        QVERIFY(def(e).findNode("relu1"));
        QVERIFY(!said.isEmpty());
        QVERIFY2(said.back()[0].toString().contains("already used"), qPrintable(said.back()[0].toString()));
        doubleClick(v->viewport(), title("relu1"));
        edit = v->viewport()->findChild<QLineEdit*>("titleEditor");
        QTest::keyClicks(edit, "act");
        QTest::keyClick(edit, Qt::Key_Return);
        settle();
        QVERIFY(def(e).findNode("act"));
        QCOMPARE(def(e).findNode("act")->op, std::string("relu"));
    }

    // F2 on the canvas renames the selection in place, its name selected: a
    // click on a node, F2, type, Return; on a container's item, the container.
    void f2RenamesTheSelectionInPlace() {
        MainWindow w;
        QVERIFY(openShown(w, kExamples + "multitask.json"));
        Editor* e = w.editor();
        EditorView* v = w.view();
        QTest::mouseClick(v->viewport(), Qt::LeftButton, {}, viewPoint(v, centerOf(w, "h")));
        settle();
        QCOMPARE(e->scene()->selectedKeys(), QStringList{"h"});
        QTest::keyClick(v, Qt::Key_F2);
        settle();
        auto* edit = v->viewport()->findChild<QLineEdit*>("titleEditor");
        QVERIFY(edit && edit->isVisible());
        QCOMPARE(QApplication::focusWidget(), static_cast<QWidget*>(edit));
        QCOMPARE(edit->selectedText(), QString("shared_layer")); // what the title shows: the child, not node id h
        QVERIFY(viewRect(w, "h").intersects(edit->geometry()));
        QTest::keyClicks(edit, "trunk");
        QTest::keyClick(edit, Qt::Key_Return);
        settle();
        QVERIFY(def(e, "MultiTaskNetwork").findChild("trunk"));
        QVERIFY(!def(e, "MultiTaskNetwork").findChild("shared_layer"));
        QCOMPARE(QApplication::focusWidget(), static_cast<QWidget*>(v));
        QVERIFY(w.moduleTree()->itemForPath("trunk"));

        // An item of the ModuleList selected: F2 renames the list.
        QTest::mouseClick(v->viewport(), Qt::LeftButton, {}, rowPoint(w, "y", 1));
        settle();
        QCOMPARE(e->scene()->selectedRow(), 1);
        QTest::keyClick(v, Qt::Key_F2);
        settle();
        edit = v->viewport()->findChild<QLineEdit*>("titleEditor");
        QVERIFY(edit);
        QCOMPARE(edit->selectedText(), QString("task_layers"));
        QTest::keyClicks(edit, "heads");
        QTest::keyClick(edit, Qt::Key_Return);
        settle();
        QVERIFY(def(e, "MultiTaskNetwork").findChild("heads"));
        QVERIFY(w.moduleTree()->itemForPath("heads.1"));
    }

    // The module tree in a narrow window: every name whole and in view (the
    // name column first, the repr last and elided, whole in the tooltip),
    // also after a canvas click selects a deep row.
    void moduleTreeNamesStayReadable() {
        MainWindow w;
        w.setPromptsEnabled(false);
        w.resize(1200, 800);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY(w.openFile(kExamples + "multitask.json"));
        settle();
        QTreeWidget* tree = w.moduleTree()->tree();
        QCOMPARE(tree->headerItem()->text(0), QString("Name"));
        QTest::mouseClick(w.view()->viewport(), Qt::LeftButton, {}, rowPoint(w, "y", 2));
        settle();
        QCOMPARE(tree->currentItem()->data(0, Qt::UserRole).toString(), QString("task_layers.2"));
        int rows = 0;
        for (QTreeWidgetItemIterator it(tree); *it; ++it, ++rows) {
            QTreeWidgetItem* row = *it;
            const QRect r = tree->visualItemRect(row);
            QVERIFY2(r.left() >= 0, qPrintable(row->text(0))); // not scrolled out of view on the left
            int indent = tree->indentation();
            for (QTreeWidgetItem* p = row->parent(); p; p = p->parent()) indent += tree->indentation();
            const int need = tree->fontMetrics().horizontalAdvance(row->text(0)) + indent;
            QVERIFY2(tree->header()->sectionSize(0) >= need && need <= tree->viewport()->width() / 2,
                     qPrintable(row->text(0)));
            QVERIFY2(!row->text(0).contains(':') && !row->text(0).contains('('), qPrintable(row->text(0)));
            QVERIFY(row->toolTip(3).contains(": " + row->text(3)));
        }
        QCOMPARE(rows, 6); // the model, shared_layer, task_layers and its three items
        QTreeWidgetItem* head = w.moduleTree()->itemForPath("task_layers.2");
        QCOMPARE(head->text(0), QString("2"));
        QCOMPARE(head->text(2), QString("6"));
        QVERIFY(head->toolTip(0).contains("task_layers.2: Linear(in_features=5, out_features=1, bias=True)"));
        QCOMPARE(tree->horizontalScrollBar()->value(), 0);
        // The name column starts the row, in view.
        QCOMPARE(tree->header()->sectionViewportPosition(0), 0);
    }

    // Ctrl+Shift+S asks for a file name and saves there.
    void saveAsShortcut() {
        MainWindow w;
        showWindow(w);
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QTemporaryDir dir;
        const QString path = dir.filePath("saved_as.json");
        bool answered = false;
        QTimer poll;
        connect(&poll, &QTimer::timeout, [&] {
            for (QWidget* top : QApplication::topLevelWidgets())
                if (auto* dialog = qobject_cast<QFileDialog*>(top);
                    dialog && dialog->isVisible() && !answered) {
                    auto* name = dialog->findChild<QLineEdit*>("fileNameEdit");
                    if (!name) continue;
                    answered = true;
                    name->setFocus();
                    name->clear();
                    QTest::keyClicks(name, path); // typed as a person would, then Return
                    QTest::keyClick(name, Qt::Key_Return);
                }
        });
        poll.start(100);
        QTimer::singleShot(5000, [&] { // never hang: whatever is modal closes
            if (QWidget* m = QApplication::activeModalWidget()) m->close();
        });
        w.view()->setFocus();
        QTest::keyClick(w.view(), Qt::Key_S, Qt::ControlModifier | Qt::ShiftModifier);
        settle();
        QVERIFY(answered);
        QVERIFY2(QFile::exists(path), qPrintable(w.currentFile() + " " + w.lastError()));
        QCOMPARE(w.currentFile(), QFileInfo(path).absoluteFilePath());
        QVERIFY(io::readModelFile(path.toStdString()).findDefinition("Model"));
    }

    // After a palette drag or a click in a dock the keys act on the canvas.
    void keysActOnTheCanvasAfterADockClick() {
        MainWindow w;
        showWindow(w);
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY(QTest::qWaitForWindowActive(&w));
        Editor* e = w.editor();
        EditorView* v = w.view();
        // The drag starts with a press in the palette (which takes the keyboard) and ends on the canvas.
        QTreeWidget* palette = w.palette()->findChild<QTreeWidget*>();
        QVERIFY(palette);
        QTreeWidgetItem* linear =
            palette->findItems("Linear", Qt::MatchExactly | Qt::MatchRecursive).value(0);
        QVERIFY(linear);
        QTest::mouseClick(palette->viewport(), Qt::LeftButton, {}, palette->visualItemRect(linear).center());
        settle();
        drop(v, "layer:Linear", viewPoint(v, centerOf(w, "input:x") + QPointF(300, 0)));
        QCOMPARE(QApplication::focusWidget(), static_cast<QWidget*>(v));
        QCOMPARE(e->scene()->selectedKeys(), QStringList{"linear1"});
        QTest::keyClick(QApplication::focusWidget(), Qt::Key_Delete);
        settle();
        QVERIFY(!def(e).findNode("linear1"));
        QTest::keyClick(QApplication::focusWidget(), Qt::Key_Z, Qt::ControlModifier);
        settle();
        QVERIFY(def(e).findNode("linear1"));
        // A click on a module tree row: the keyboard comes back to the canvas.
        QTreeWidget* tree = w.moduleTree()->tree();
        QTreeWidgetItem* row = w.moduleTree()->itemForPath("linear1");
        QVERIFY(row);
        QTest::mouseClick(tree->viewport(), Qt::LeftButton, {}, rowStart(tree, row));
        settle();
        QCOMPARE(QApplication::focusWidget(), static_cast<QWidget*>(v));
        QCOMPARE(e->scene()->selectedKeys(), QStringList{"linear1"});
        const double before = v->transform().m11();
        QTest::keyClick(QApplication::focusWidget(), Qt::Key_F);
        settle();
        QVERIFY(v->transform().m11() != before || v->transform().m11() == 1.5);
        // A click on an inspector button: the same.
        QPushButton* callAgain = nullptr;
        for (QPushButton* b : inspector(w)->findChildren<QPushButton*>())
            if (b->text().startsWith("Call again")) callAgain = b;
        QVERIFY(callAgain);
        QTest::mouseClick(callAgain, Qt::LeftButton);
        settle();
        QCOMPARE(QApplication::focusWidget(), static_cast<QWidget*>(v));
        const QStringList sel = e->scene()->selectedKeys();
        QCOMPARE(sel.size(), 1);
        QTest::keyClick(QApplication::focusWidget(), Qt::Key_F2);
        settle();
        auto* titleEdit = v->viewport()->findChild<QLineEdit*>("titleEditor");
        QVERIFY(titleEdit);
        QCOMPARE(QApplication::focusWidget(), static_cast<QWidget*>(titleEdit));
        QTest::keyClick(titleEdit, Qt::Key_Escape);
        settle();
        // But a click in a text field keeps the keyboard there (Delete edits the text).
        auto* name = inspector(w)->findChild<QLineEdit*>("childName");
        QTest::mouseClick(name, Qt::LeftButton);
        settle();
        QCOMPARE(QApplication::focusWidget(), static_cast<QWidget*>(name));
        const size_t nodes = def(e).nodes.size();
        QTest::keyClick(name, Qt::Key_Delete);
        settle();
        QCOMPARE(def(e).nodes.size(), nodes);
    }

    // New nodes land in sight and on no other node, whichever way they are added.
    void newNodesLandInSightAndApart() {
        MainWindow w;
        showWindow(w);
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        Editor* e = w.editor();
        EditorView* v = w.view();
        // Each new node, as it comes: in sight and on no other node (the view follows
        // when the visible part is full).
        auto check = [&](int expected) {
            const QString k = e->scene()->selectedKeys().value(0);
            QVERIFY(!k.isEmpty());
            QCOMPARE(int(e->scene()->nodeItems().size()), expected);
            QVERIFY2(v->viewport()->rect().contains(viewRect(w, k)), qPrintable(k));
            const QRectF mine(item(w, k)->pos(), item(w, k)->look().size);
            for (const auto& [other, n] : e->scene()->nodeItems())
                QVERIFY2(other == k || !mine.intersects(QRectF(n->pos(), n->look().size)),
                         qPrintable(k + " on " + other));
        };
        int count = 2;
        const QPoint p = viewPoint(v, centerOf(w, "input:x") + QPointF(300, 0));
        for (int i = 0; i < 3; ++i) { // the same spot three times
            drop(v, "layer:Linear", viewPoint(v, centerOf(w, "input:x") + QPointF(300, 0)));
            STEP(check(++count));
        }
        Q_UNUSED(p);
        drop(v, "layer:Conv2d",
             QPoint(v->viewport()->width() - 5, v->viewport()->height() - 5)); // the corner
        STEP(check(++count));
        QTreeWidget* palette = w.palette()->findChild<QTreeWidget*>();
        for (int i = 0; i < 3; ++i) { // double-clicks in the palette: the middle of the view
            QTreeWidgetItem* relu =
                palette->findItems("ReLU", Qt::MatchExactly | Qt::MatchRecursive).value(0);
            QVERIFY(relu);
            palette->scrollToItem(relu);
            doubleClick(palette->viewport(), palette->visualItemRect(relu).center());
            STEP(check(++count));
        }
        // One undo removes the last node, placement and all; redo puts it back where it was placed.
        const QString last = e->scene()->selectedKeys().value(0);
        QVERIFY(!last.isEmpty());
        const QPointF at = item(w, last)->pos();
        e->undoStack()->undo();
        QVERIFY(!item(w, last));
        e->undoStack()->redo();
        QCOMPARE(item(w, last)->pos(), at);
    }

    // A container that grows as items drop in pushes the node below it down (one step with the drop).
    void growingContainerPushesNodesDown() {
        MainWindow w;
        showWindow(w);
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        Editor* e = w.editor();
        EditorView* v = w.view();
        drop(v, "container:ModuleList", viewPoint(v, centerOf(w, "input:x") + QPointF(0, 120)));
        QVERIFY(item(w, "list1"));
        const QRectF list(item(w, "list1")->pos(), item(w, "list1")->look().size);
        v->centerOn(list.center() + QPointF(0, 100)); // scrolled: room in sight below the list
        settle();
        drop(v, "layer:Linear", viewPoint(v, list.bottomLeft() + QPointF(0, 30)));
        QVERIFY(item(w, "linear1"));
        const QPointF before = item(w, "linear1")->pos();
        for (int i = 0; i < 3; ++i)
            drop(v, "layer:Linear", viewPoint(v, centerOf(w, "list1")));
        QCOMPARE(def(e).findChild("list1")->spec.items.size(), size_t(3));
        const QRectF grown(item(w, "list1")->pos(), item(w, "list1")->look().size);
        const QRectF below(item(w, "linear1")->pos(), item(w, "linear1")->look().size);
        QVERIFY2(!grown.intersects(below), "the grown list covers linear1");
        QVERIFY(below.top() > before.y());
        e->undoStack()->undo(); // the last item and the push, together
        QCOMPARE(def(e).findChild("list1")->spec.items.size(), size_t(2));
        QVERIFY(!QRectF(item(w, "list1")->pos(), item(w, "list1")->look().size)
                     .intersects(QRectF(item(w, "linear1")->pos(), item(w, "linear1")->look().size)));
    }

    // The minimap never covers a node: it moves to a free corner, or hides; View > Minimap toggles it.
    void minimapStaysOffNodes() {
        MainWindow w;
        QVERIFY(openShown(w, kExamples + "multitask.json"));
        EditorView* v = w.view();
        auto covers = [&] {
            if (!v->minimap()->isVisible()) return QString();
            const QRect map = v->minimap()->geometry().translated(-v->viewport()->geometry().topLeft());
            for (const auto& [k, n] : w.editor()->scene()->nodeItems())
                if (viewRect(w, k).intersects(map)) return k;
            return QString();
        };
        QVERIFY(v->minimap()->isVisible());
        QCOMPARE(covers(), QString());
        const QPoint corner =
            v->minimap()->geometry().translated(-v->viewport()->geometry().topLeft()).center();
        // Drag a node to where the minimap is: the minimap steps aside.
        const QString key = w.editor()->scene()->nodeItems().begin()->first;
        const QPoint from = viewRect(w, key).topLeft() + QPoint(30, 6);
        QWidget* vp = v->viewport();
        QTest::mousePress(vp, Qt::LeftButton, {}, from);
        for (int i = 1; i <= 6; ++i) {
            const QPoint p = from + (corner - from) * i / 6;
            QMouseEvent move(QEvent::MouseMove, QPointF(p), vp->mapToGlobal(QPointF(p)), Qt::NoButton,
                             Qt::LeftButton, Qt::NoModifier);
            QApplication::sendEvent(vp, &move);
        }
        QTest::mouseRelease(vp, Qt::LeftButton, {}, corner);
        settle();
        QVERIFY(viewRect(w, key).contains(corner));
        QCOMPARE(covers(), QString());
        QVERIFY(v->minimap()->isVisible()); // another corner was free
        QVERIFY(!v->minimap()->geometry().contains(corner + v->viewport()->geometry().topLeft()));
        // The View menu hides and shows it.
        QAction* toggle = nullptr;
        for (QAction* a : w.menuBar()->findChildren<QAction*>())
            if (plain(a) == "Minimap") toggle = a;
        QVERIFY(toggle);
        toggle->trigger();
        settle();
        QVERIFY(!v->minimap()->isVisible());
        toggle->trigger();
        settle();
        QVERIFY(v->minimap()->isVisible());
        QCOMPARE(covers(), QString());
    }

    // Labels are never cut: node texts fit their node, the module tree's columns
    // fit their names, the inspector's buttons fit their text, and the
    // ModuleList's output label stays between it and the next node.
    void labelsAreNotClipped() {
        MainWindow w;
        QVERIFY(openShown(w, kExamples + "multitask.json"));
        Editor* e = w.editor();
        QFont f;
        f.setPointSizeF(8.5);
        f.setItalic(true);
        for (const auto& [k, n] : e->scene()->nodeItems()) {
            const NodeLook& l = n->look();
            QVERIFY2(QFontMetricsF(f).horizontalAdvance(l.footer) + 20 <= l.size.width(),
                     qPrintable(k + ": " + l.footer));
            QFont b;
            b.setPointSizeF(9.5);
            b.setBold(true);
            QVERIFY2(QFontMetricsF(b).horizontalAdvance(l.title) + 50 <= l.size.width(), qPrintable(k));
        }
        // The module tree: the name column as wide as its widest name.
        QTreeWidget* tree = w.moduleTree()->tree();
        tree->expandAll();
        settle();
        for (int c = 0; c < tree->columnCount(); ++c)
            tree->resizeColumnToContents(c);
        for (QTreeWidgetItemIterator it(tree); *it; ++it) {
            const QRect r = tree->visualItemRect(*it);
            const int need = tree->fontMetrics().horizontalAdvance((*it)->text(0));
            int indent = 0;
            for (QTreeWidgetItem* p = (*it)->parent(); p; p = p->parent())
                indent += tree->indentation();
            QVERIFY2(tree->header()->sectionSize(0) >= need + indent, qPrintable((*it)->text(0)));
            Q_UNUSED(r);
        }
        // The wire out of the ModuleList: each label line fits between the two nodes.
        QString list;
        for (const auto& [k, n] : e->scene()->nodeItems())
            if (n->look().kind == LookKind::ModuleList) list = k;
        QVERIFY(!list.isEmpty());
        for (WireItem* wi : e->scene()->wireItems()) {
            if (wi->wire().from.key != list) continue;
            const QPointF a = item(w, list)->outPortScenePos(wi->wire().from.port);
            const QPointF b = item(w, wi->wire().to.key)->inPortScenePos(wi->wire().to.port);
            QFont lf;
            lf.setPointSizeF(7.5);
            for (const QString& line : wi->labelLines(QFontMetricsF(lf)))
                QVERIFY2(QFontMetricsF(lf).horizontalAdvance(line) + 8 <=
                             std::max(52.0, std::abs(b.x() - a.x()) - 8),
                         qPrintable(line));
        }
        // The inspector's buttons show their whole text, with the ModuleList and with a node that has a fix.
        e->scene()->selectKeys({list});
        settle();
        for (QPushButton* btn : inspector(w)->findChildren<QPushButton*>())
            if (btn->isVisible())
                QVERIFY2(btn->width() >= btn->fontMetrics().horizontalAdvance(btn->text()) + 6,
                         qPrintable(btn->text()));
        QVERIFY(w.openFile(kExamples + "resnet_tutorial.json"));
        w.diagnostics()->activate(0);
        settle();
        int fixes = 0;
        for (QPushButton* btn : inspector(w)->findChildren<QPushButton*>())
            if (btn->isVisible()) {
                fixes += btn->text().startsWith("Apply fix");
                QVERIFY2(btn->width() >= btn->fontMetrics().horizontalAdvance(btn->text()) + 6,
                         qPrintable(btn->text()));
            }
        QCOMPARE(fixes, 1);
    }

    // Ungrouping a ModuleList called as list[0] leaves every item on the canvas (no hidden children).
    void ungroupModuleListLeavesNoOrphans() {
        MainWindow w;
        showWindow(w);
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        Editor* e = w.editor();
        STEP(dropListOfThree(w));
        const Index params = e->model()->analysis().tree.uniqueParameterCount();
        STEP(choose(rightClick(w.view(), viewRect(w, "list1").topLeft() + QPoint(40, 6)), "Ungroup"));
        const BlockDef& d = def(e);
        QVERIFY(!d.findChild("list1"));
        QCOMPARE(d.children.size(), size_t(3));
        for (const NamedSpec& c : d.children) {
            bool called = false;
            for (const Node& n : d.nodes)
                called |= n.isCall() && n.call == c.name;
            QVERIFY2(called, qPrintable(QString::fromStdString(c.name) + " has no node"));
            QVERIFY(item(w, QString::fromStdString(c.name)) || called);
        }
        QCOMPARE(e->scene()->nodeItems().size(), size_t(2 + 3));
        QCOMPARE(e->model()->analysis().tree.uniqueParameterCount(), params);
    }

    // The one-click fix replaces the status bar's problem message with what it did.
    void applyingAFixClearsItsStatus() {
        MainWindow w;
        showWindow(w);
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY(w.openFile(kExamples + "resnet_tutorial.json"));
        QVERIFY2(w.statusBar()->currentMessage().contains("1 problem"),
                 qPrintable(w.statusBar()->currentMessage()));
        auto* list = w.diagnostics()->findChild<QListWidget*>();
        QVERIFY(list);
        QTest::mouseClick(list->viewport(), Qt::LeftButton, {}, list->visualItemRect(list->item(0)).center());
        settle();
        QPushButton* fix = nullptr;
        for (QPushButton* b : w.diagnostics()->findChildren<QPushButton*>())
            if (b->text() == "Apply suggested fix") fix = b;
        QVERIFY(fix && fix->isEnabled());
        QTest::mouseClick(fix, Qt::LeftButton);
        settle();
        QVERIFY(w.editor()->model()->analysis().ok());
        QVERIFY2(w.statusBar()->currentMessage().contains("no problems left"),
                 qPrintable(w.statusBar()->currentMessage()));
        QVERIFY(!w.statusBar()->currentMessage().contains("1 problem"));
    }

    // Undo of a block's creation while inside it: back at the model, breadcrumb and canvas agree, edits work.
    void undoBlockCreationFromInside() {
        MainWindow w;
        showWindow(w);
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        Editor* e = w.editor();
        EditorView* v = w.view();
        drop(v, "block:+", viewPoint(v, centerOf(w, "input:x") + QPointF(300, 0)));
        QCOMPARE(e->scene()->selectedKeys().size(), 1);
        const QString block = e->scene()->selectedKeys().front();
        QCOMPARE(item(w, block)->look().kind, LookKind::Block);
        doubleClick(v->viewport(), viewRect(w, block).center() + QPoint(0, 10));
        QCOMPARE(e->levels().size(), size_t(2));
        QVERIFY(w.findChild<QToolButton*>("crumb1"));
        v->setFocus();
        QTest::keyClick(QApplication::focusWidget(), Qt::Key_Z, Qt::ControlModifier);
        settle();
        QCOMPARE(e->model()->document().definitions.size(), size_t(1));
        QCOMPARE(e->levels().size(), size_t(1));
        QCOMPARE(e->definitionName(), QString("Model"));
        QCOMPARE(e->scene()->definitionName(), QString("Model"));
        QVERIFY(!w.findChild<QToolButton*>("crumb1"));
        QVERIFY(item(w, "input:x"));
        drop(v, "layer:Linear", viewPoint(v, centerOf(w, "input:x") + QPointF(300, 0)));
        QVERIFY(def(e).findNode("linear1"));
    }
};

QTEST_MAIN(TestCanvas)
#include "tst_canvas.moc"
