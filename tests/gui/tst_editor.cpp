// The node editor driven through real events (palette drop, mouse wiring,
// keys) or through the Editor entry points those events call; every case
// checks the resulting ModelDocument and its analysis.
#include "app/MainWindow.h"
#include "editor/DiagnosticsView.h"
#include "editor/Editor.h"
#include "editor/EditorScene.h"
#include "editor/EditorView.h"
#include "editor/NodeItem.h"
#include "editor/PaletteEntries.h"
#include "editor/SearchPopup.h"
#include "editor/WireItem.h"
#include "io/ModelJson.h"

#include <QLineEdit>
#include <QListWidget>
#include <QToolButton>

#include <cmath>
#include <set>
#include <QMimeData>
#include <QTemporaryDir>
#include <QtTest>

using namespace ml;
using namespace ml::gui;

namespace {
const QString kExamples = QStringLiteral(MODULELAB_SOURCE_DIR "/resources/examples/");

const BlockDef& def(const Editor& e, const char* name) {
    const BlockDef* d = e.model()->document().findDefinition(name);
    if (!d) qFatal("no definition %s", name);
    return *d;
}
const Node* node(const Editor& e, const char* defName, const QString& id) {
    return def(e, defName).findNode(id.toStdString());
}
std::string text(const Editor& e) { return io::modelToString(e.model()->document()); }
int errors(const Editor& e) {
    int n = 0;
    for (const Diagnostic& d : e.model()->analysis().diagnostics) n += d.isError();
    return n;
}
// Real mouse events on the view: press at `from`, one move per step, release at `to`.
void drag(EditorView* v, QPoint from, QPoint to, Qt::MouseButton button = Qt::LeftButton,
          Qt::KeyboardModifiers mods = Qt::NoModifier, int steps = 4) {
    QWidget* vp = v->viewport();
    QMouseEvent press(QEvent::MouseButtonPress, QPointF(from), vp->mapToGlobal(QPointF(from)), button, button, mods);
    QApplication::sendEvent(vp, &press);
    for (int i = 1; i <= steps; ++i) {
        const QPoint p = from + (to - from) * i / steps;
        QMouseEvent move(QEvent::MouseMove, QPointF(p), vp->mapToGlobal(QPointF(p)), Qt::NoButton, button, mods);
        QApplication::sendEvent(vp, &move);
    }
    QMouseEvent release(QEvent::MouseButtonRelease, QPointF(to), vp->mapToGlobal(QPointF(to)), button, Qt::NoButton,
                        mods);
    QApplication::sendEvent(vp, &release);
}

// Real mouse events along a polyline of view points.
void stroke(EditorView* v, const QList<QPoint>& pts, Qt::MouseButton button, Qt::KeyboardModifiers mods) {
    QWidget* vp = v->viewport();
    QMouseEvent press(QEvent::MouseButtonPress, QPointF(pts.front()), vp->mapToGlobal(QPointF(pts.front())), button,
                      button, mods);
    QApplication::sendEvent(vp, &press);
    for (int i = 1; i < pts.size(); ++i)
        for (int k = 1; k <= 4; ++k) {
            const QPoint p = pts[i - 1] + (pts[i] - pts[i - 1]) * k / 4;
            QMouseEvent move(QEvent::MouseMove, QPointF(p), vp->mapToGlobal(QPointF(p)), Qt::NoButton, button, mods);
            QApplication::sendEvent(vp, &move);
        }
    QMouseEvent release(QEvent::MouseButtonRelease, QPointF(pts.back()), vp->mapToGlobal(QPointF(pts.back())), button,
                        Qt::NoButton, mods);
    QApplication::sendEvent(vp, &release);
}

WireItem* wireInto(Editor* e, const QString& key, int port = 0) { return e->scene()->wireInto({key, port}); }

// A view point with no node and no wire under it.
QPoint emptySpot(EditorView* v) {
    const QRect r = v->viewport()->rect();
    for (int y = r.bottom() - 40; y > 40; y -= 20)
        for (int x = r.right() - 40; x > 40; x -= 20) {
            const QPointF sp = v->mapToScene(QPoint(x, y));
            if (v->scene()->items(QRectF(sp - QPointF(15, 15), QSizeF(30, 30))).isEmpty()) return {x, y};
        }
    qFatal("no empty spot");
    return {};
}

SearchPopup* openPopup(EditorView* v) {
    QApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
    SearchPopup* found = nullptr;
    for (SearchPopup* p : v->findChildren<SearchPopup*>())
        if (p->isVisible()) found = p;
    return found;
}

QStringList popupIds(SearchPopup* p) {
    QStringList ids;
    for (int i = 0; i < p->list()->count(); ++i) ids << p->list()->item(i)->data(Qt::UserRole).toString();
    return ids;
}

void choose(SearchPopup* p, const QString& text) {
    auto* edit = p->findChild<QLineEdit*>();
    QTest::keyClicks(edit, text);
    QTest::keyClick(edit, Qt::Key_Return);
}

// On screen at 1200x800 without modal prompts, as the view tests need it
// (the caller waits for it to be exposed).
void showWindow(MainWindow& w) {
    w.setPromptsEnabled(false);
    w.resize(1600, 1000); // the default layout: canvas between the docks and the training dock below
    w.show();
}
} // namespace

class TestEditor : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName(QStringLiteral("ModuleLabTest"));
    }

    void examplesOpen_data() {
        QTest::addColumn<QString>("file");
        QTest::addColumn<int>("errorCount");
        QTest::newRow("multitask") << "multitask.json" << 0;
        QTest::newRow("resnet") << "resnet.json" << 0;
        QTest::newRow("siamese") << "siamese.json" << 0;
        QTest::newRow("simple_cnn") << "simple_cnn.json" << 0;
        QTest::newRow("resnet_tutorial") << "resnet_tutorial.json" << 1;
    }
    void examplesOpen() {
        QFETCH(QString, file);
        QFETCH(int, errorCount);
        MainWindow w;
        w.setPromptsEnabled(false);
        QVERIFY(w.openFile(kExamples + file));
        QCOMPARE(errors(*w.editor()), errorCount);
        // Every item of the top graph is on the canvas, laid out (no two at one place).
        const auto& items = w.editor()->scene()->nodeItems();
        QCOMPARE(static_cast<int>(items.size()), w.editor()->model()->itemKeys(w.editor()->definitionName()).size());
        std::set<std::pair<int, int>> places;
        for (const auto& [k, item] : items) places.insert({int(item->pos().x()), int(item->pos().y())});
        QCOMPARE(places.size(), items.size());
        QVERIFY(w.windowTitle().startsWith(file));
    }

    void tutorialErrorIsOnBlock1() {
        MainWindow w;
        w.setPromptsEnabled(false);
        QVERIFY(w.openFile(kExamples + "resnet_tutorial.json"));
        Editor* e = w.editor();
        NodeItem* h1 = e->scene()->nodeItem("h1");
        QVERIFY(h1->look().error);
        QVERIFY(h1->toolTip().contains("cannot add 'x' [N, 3, 32, 32]"));
        QVERIFY(!e->scene()->nodeItem("h2")->look().error);
        // Clicking the diagnostic opens block1 and selects the add node.
        w.diagnostics()->activate(0);
        QCOMPARE(e->definitionName(), QString("ResidualBlock"));
        QCOMPARE(e->levels().back().instancePath, QString("block1"));
        QCOMPARE(e->scene()->selectedKeys(), QStringList{"sum"});
        QVERIFY(e->scene()->nodeItem("sum")->look().error);
        // The one-click fix inserts the projection; the model becomes valid; undo restores the error.
        const Diagnostic d = e->model()->analysis().diagnostics.front();
        QVERIFY(e->hasFix(d));
        QVERIFY(e->applyFix(d));
        QCOMPARE(errors(*e), 0);
        const Node* sum = node(*e, "ResidualBlock", "sum");
        QCOMPARE(sum->inputs[1], std::string("proj1"));
        const NamedSpec* shortcut = def(*e, "ResidualBlock").findChild("shortcut1");
        QVERIFY(shortcut);
        QCOMPARE(shortcut->spec.type, std::string("Sequential"));
        QCOMPARE(shortcut->spec.items[0].args["out_channels"], Json("$out_channels"));
        QCOMPARE(e->model()->analysis().tree.uniqueParameterCount(), Index(260928 + (3 * 64 + 64 * 2) + (64 * 128 + 128 * 2)));
        e->undoStack()->undo();
        QCOMPARE(errors(*e), 1);
    }

    void dropLayerFromPalette() {
        MainWindow w;
        showWindow(w);
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        Editor* e = w.editor();
        const size_t before = def(*e, "Model").nodes.size();
        // A real drop event on the viewport, with the palette's MIME data.
        QMimeData mime;
        mime.setData(kPaletteMime, "layer:Linear");
        const QPoint at = w.view()->viewport()->rect().center();
        QDragEnterEvent enter(at, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(w.view()->viewport(), &enter);
        QDropEvent drop(QPointF(at), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(w.view()->viewport(), &drop);
        QCOMPARE(def(*e, "Model").nodes.size(), before + 1);
        const Node& n = def(*e, "Model").nodes.back();
        QCOMPARE(n.call, std::string("linear1"));
        QCOMPARE(def(*e, "Model").findChild("linear1")->spec.type, std::string("Linear"));
        QCOMPARE(def(*e, "Model").findChild("linear1")->spec.args["out_features"], Json(16));
        // Dropped where the mouse was (snapped to the grid), or the nearest free place in sight.
        const QPointF p = *e->model()->position("Model", "linear1");
        const QPointF expected = w.view()->snapped(w.view()->mapToScene(at));
        QVERIFY2(QLineF(p, expected).length() <= 3 * kGrid, qPrintable(QString("%1,%2").arg(p.x()).arg(p.y())));
        QVERIFY(w.view()->viewport()->rect().contains(
            w.view()->mapFromScene(QRectF(p, e->scene()->sizeOf("linear1"))).boundingRect()));
        QVERIFY(w.isWindowModified());
        e->undoStack()->undo();
        QCOMPARE(def(*e, "Model").nodes.size(), before);
        QVERIFY(!def(*e, "Model").findChild("linear1"));
        e->undoStack()->redo();
        QCOMPARE(def(*e, "Model").nodes.size(), before + 1);
    }

    void wireTwoPortsWithTheMouse() {
        MainWindow w;
        showWindow(w);
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        Editor* e = w.editor();
        const QString id = e->addFromPalette("layer:Linear", QPointF(300, 0));
        QVERIFY(!id.isEmpty());
        w.view()->frameAll();
        QApplication::processEvents();
        // Drag from input x's output port to the Linear's input port.
        NodeItem* x = e->scene()->nodeItem("input:x");
        NodeItem* lin = e->scene()->nodeItem(id);
        const QPoint from = w.view()->mapFromScene(x->outPortScenePos(0));
        const QPoint to = w.view()->mapFromScene(lin->inPortScenePos(0));
        QTest::mousePress(w.view()->viewport(), Qt::LeftButton, {}, from);
        QMouseEvent move(QEvent::MouseMove, QPointF(to), w.view()->viewport()->mapToGlobal(QPointF(to)), Qt::NoButton,
                         Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(w.view()->viewport(), &move);
        QTest::mouseRelease(w.view()->viewport(), Qt::LeftButton, {}, to);
        QCOMPARE(node(*e, "Model", id)->inputs, std::vector<std::string>{"x"});
        // The wire carries the inferred shape, and the Linear inferred in_features.
        const TensorType* t = e->model()->outputType("", "Model", {id, 0});
        QVERIFY(t && t->known);
        QCOMPARE(shapeText(*t), QString("[N, 16]"));
        QCOMPARE(e->model()->childInstance("", "linear1")->args["in_features"], Json(10));
        // Pull the wire off the input and drop it on empty canvas: unwired, no add menu.
        const QPoint empty = w.view()->mapFromScene(lin->sceneBoundingRect().bottomRight() + QPointF(200, 200));
        QTest::mousePress(w.view()->viewport(), Qt::LeftButton, {}, to);
        QTest::mouseRelease(w.view()->viewport(), Qt::LeftButton, {}, empty);
        QCOMPARE(node(*e, "Model", id)->inputs, std::vector<std::string>{""});
        QVERIFY(!openPopup(w.view())); // pulled off: deleted, no add menu
        e->undoStack()->undo();
        QCOMPARE(node(*e, "Model", id)->inputs, std::vector<std::string>{"x"});
        e->undoStack()->undo();
        QCOMPARE(node(*e, "Model", id)->inputs, std::vector<std::string>{""});
    }

    void wireToEmptyCanvasAddsAFittingNode() {
        MainWindow w;
        showWindow(w);
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY(w.openFile(kExamples + "multitask.json"));
        Editor* e = w.editor();
        EditorView* v = w.view();
        const size_t nodes = def(*e, "MultiTaskNetwork").nodes.size();
        const int steps = e->undoStack()->count();
        // From the tensor input x: layers and ops taking a tensor.
        const QPoint x = v->mapFromScene(e->scene()->nodeItem("input:x")->outPortScenePos(0));
        const QPoint empty = emptySpot(v);
        drag(v, x, empty);
        SearchPopup* p = openPopup(v);
        QVERIFY(p);
        QStringList ids = popupIds(p);
        QVERIFY(ids.contains("layer:Linear"));
        QVERIFY(ids.contains("op:add"));
        QVERIFY(ids.contains("container:Sequential"));
        choose(p, "Linear");
        QCOMPARE(def(*e, "MultiTaskNetwork").nodes.size(), nodes + 1);
        const Node& added = def(*e, "MultiTaskNetwork").nodes.back();
        QCOMPARE(def(*e, "MultiTaskNetwork").findChild(added.call)->spec.type, std::string("Linear"));
        QCOMPARE(added.inputs, std::vector<std::string>{"x"});
        // At the release point, or (the node would stick out of the view there) the nearest free place in sight.
        const QString addedKey = QString::fromStdString(added.id);
        const QPointF placed = *e->model()->position("MultiTaskNetwork", addedKey);
        QVERIFY(QLineF(placed, v->snapped(v->mapToScene(empty))).length() < 400);
        QVERIFY(v->viewport()->rect().contains(v->mapFromScene(QRectF(placed, e->scene()->sizeOf(addedKey))).boundingRect()));
        QCOMPARE(shapeText(*e->model()->outputType("", "MultiTaskNetwork", {QString::fromStdString(added.id), 0})),
                 QString("[N, 16]"));
        QCOMPARE(e->undoStack()->count(), steps + 1); // added and wired: one step
        e->undoStack()->undo();
        QCOMPARE(def(*e, "MultiTaskNetwork").nodes.size(), nodes);

        // From the int64 task_index: nothing tensor-only; a ModuleList takes it on its index port.
        const QPoint ti = v->mapFromScene(e->scene()->nodeItem("input:task_index")->outPortScenePos(0));
        drag(v, ti, emptySpot(v));
        p = openPopup(v);
        QVERIFY(p);
        ids = popupIds(p);
        QVERIFY(!ids.isEmpty());
        QVERIFY(!ids.contains("layer:Linear"));
        QVERIFY(!ids.contains("op:add"));
        QVERIFY(!ids.contains("container:Sequential"));
        QVERIFY(ids.contains("container:ModuleList"));
        choose(p, "ModuleList");
        const Node& list = def(*e, "MultiTaskNetwork").nodes.back();
        QCOMPARE(def(*e, "MultiTaskNetwork").findChild(list.call)->spec.type, std::string("ModuleList"));
        QCOMPARE(list.indexInput, std::string("task_index"));
        QCOMPARE(list.listUse, ListUse::Index);
        QCOMPARE(e->undoStack()->count(), steps + 1);

        // From a free input, backwards: the new node's output feeds it.
        const QString lin = e->addFromPalette("layer:Linear", v->mapToScene(emptySpot(v)));
        const QPoint in = v->mapFromScene(e->scene()->nodeItem(lin)->inPortScenePos(0));
        drag(v, in, emptySpot(v));
        p = openPopup(v);
        QVERIFY(p);
        choose(p, "ReLU");
        const Node& relu = def(*e, "MultiTaskNetwork").nodes.back();
        QCOMPARE(def(*e, "MultiTaskNetwork").findChild(relu.call)->spec.type, std::string("ReLU"));
        QCOMPARE(node(*e, "MultiTaskNetwork", lin)->inputs, std::vector<std::string>{relu.id});
        // Closing the menu without a choice adds nothing.
        const int before = e->undoStack()->count();
        // (The view may have followed a node placed beside a full view: x's port is looked up again.)
        drag(v, v->mapFromScene(e->scene()->nodeItem("input:x")->outPortScenePos(0)), emptySpot(v));
        p = openPopup(v);
        QVERIFY(p);
        QTest::keyClick(p->findChild<QLineEdit*>(), Qt::Key_Escape);
        QCOMPARE(e->undoStack()->count(), before);
    }

    void cutWiresWithAStroke() {
        MainWindow w;
        showWindow(w);
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        Editor* e = w.editor();
        EditorView* v = w.view();
        const QString l1 = e->addFromPalette("layer:Linear", {300, 0});
        const QString l2 = e->addFromPalette("layer:Linear", {600, 0});
        QVERIFY(e->connectPorts({"input:x", 0}, {l1, 0}));
        QVERIFY(e->connectPorts({l1, 0}, {l2, 0}));
        QVERIFY(e->connectPorts({l2, 0}, {"output:y", 0}));
        e->moveItems({{"input:x", *e->model()->position("Model", "input:x")},
                      {"output:y", *e->model()->position("Model", "output:y")}},
                     {{"input:x", QPointF(0, 0)}, {"output:y", QPointF(900, 0)}}, e->nextDragSerial());
        v->frameAll();
        QApplication::processEvents();
        const int steps = e->undoStack()->count();
        // Down through the wire into l1, along below the wires, up through the wire into l2.
        const QPoint a = v->mapFromScene(wireInto(e, l1)->path().pointAtPercent(0.5));
        const QPoint b = v->mapFromScene(wireInto(e, l2)->path().pointAtPercent(0.5));
        const int below = std::max(a.y(), b.y()) + 25;
        stroke(v, {a - QPoint(0, 25), QPoint(a.x(), below), QPoint(b.x(), below), b - QPoint(0, 25)}, Qt::RightButton,
               Qt::ControlModifier);
        QCOMPARE(node(*e, "Model", l1)->inputs, std::vector<std::string>{""});
        QCOMPARE(node(*e, "Model", l2)->inputs, std::vector<std::string>{""});
        QCOMPARE(def(*e, "Model").outputs[0].from, l2.toStdString()); // not crossed: kept
        QCOMPARE(e->undoStack()->count(), steps + 1); // both cuts: one step
        e->undoStack()->undo();
        QCOMPARE(node(*e, "Model", l1)->inputs, std::vector<std::string>{"x"});
        QCOMPARE(node(*e, "Model", l2)->inputs, std::vector<std::string>{l1.toStdString()});
        // Without Ctrl a right drag cuts nothing.
        stroke(v, {a - QPoint(0, 25), a + QPoint(0, 25)}, Qt::RightButton, Qt::NoModifier);
        QCOMPARE(node(*e, "Model", l1)->inputs, std::vector<std::string>{"x"});
        QCOMPARE(e->undoStack()->count(), steps + 1);
    }

    void dropNodeOntoWireInsertsIt() {
        MainWindow w;
        showWindow(w);
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        Editor* e = w.editor();
        EditorView* v = w.view();
        const QString l1 = e->addFromPalette("layer:Linear", {300, 0});
        const QString relu = e->addFromPalette("layer:ReLU", {300, 300});
        const QPointF reluAt = *e->model()->position("Model", relu); // (300, 300) or the nearest free place in sight
        QVERIFY(e->connectPorts({"input:x", 0}, {l1, 0}));
        QVERIFY(e->connectPorts({l1, 0}, {"output:y", 0}));
        e->moveItems({{"input:x", *e->model()->position("Model", "input:x")},
                      {"output:y", *e->model()->position("Model", "output:y")}},
                     {{"input:x", QPointF(0, 0)}, {"output:y", QPointF(900, 0)}}, e->nextDragSerial());
        v->frameAll();
        QApplication::processEvents();
        const int steps = e->undoStack()->count();
        NodeItem* r = e->scene()->nodeItem(relu);
        const QPoint grab = v->mapFromScene(r->mapToScene(QRectF(QPointF(), r->look().size).center()));
        const QPoint onWire = v->mapFromScene(wireInto(e, "output:y")->path().pointAtPercent(0.5));
        QWidget* vp = v->viewport();
        // Press, move onto the wire: it lights up before the drop.
        QTest::mousePress(vp, Qt::LeftButton, {}, grab);
        for (int i = 1; i <= 4; ++i) {
            const QPoint p = grab + (onWire - grab) * i / 4;
            QMouseEvent move(QEvent::MouseMove, QPointF(p), vp->mapToGlobal(QPointF(p)), Qt::NoButton, Qt::LeftButton,
                             Qt::NoModifier);
            QApplication::sendEvent(vp, &move);
        }
        QVERIFY(wireInto(e, "output:y")->isInsertTarget());
        QVERIFY(!wireInto(e, l1)->isInsertTarget());
        QTest::mouseRelease(vp, Qt::LeftButton, {}, onWire);
        QCOMPARE(node(*e, "Model", relu)->inputs, std::vector<std::string>{l1.toStdString()});
        QCOMPARE(def(*e, "Model").outputs[0].from, relu.toStdString());
        QCOMPARE(e->undoStack()->count(), steps + 1); // the drag and the insertion: one step
        QCOMPARE(errors(*e), 0);
        e->undoStack()->undo();
        QCOMPARE(node(*e, "Model", relu)->inputs, std::vector<std::string>{""});
        QCOMPARE(def(*e, "Model").outputs[0].from, l1.toStdString());
        QCOMPARE(*e->model()->position("Model", relu), reluAt); // back where it was
        e->undoStack()->redo();
        QCOMPARE(def(*e, "Model").outputs[0].from, relu.toStdString());
        e->undoStack()->undo();

        // Holding Alt while dragging: the node only moves.
        v->frameAll();
        QApplication::processEvents();
        const QPoint grab2 = v->mapFromScene(r->mapToScene(QRectF(QPointF(), r->look().size).center()));
        const QPoint onWire2 = v->mapFromScene(wireInto(e, "output:y")->path().pointAtPercent(0.5));
        QTest::mousePress(vp, Qt::LeftButton, {}, grab2);
        for (int i = 1; i <= 4; ++i) {
            const QPoint p = grab2 + (onWire2 - grab2) * i / 4;
            QMouseEvent move(QEvent::MouseMove, QPointF(p), vp->mapToGlobal(QPointF(p)), Qt::NoButton, Qt::LeftButton,
                             Qt::AltModifier);
            QApplication::sendEvent(vp, &move);
        }
        QVERIFY(!wireInto(e, "output:y")->isInsertTarget());
        QTest::mouseRelease(vp, Qt::LeftButton, Qt::AltModifier, onWire2);
        QCOMPARE(node(*e, "Model", relu)->inputs, std::vector<std::string>{""});
        QCOMPARE(def(*e, "Model").outputs[0].from, l1.toStdString());
        QVERIFY(*e->model()->position("Model", relu) != QPointF(300, 300));
        e->undoStack()->undo();

        // From the palette: a drop onto the wire x -> l1 adds the node inside it, in one step.
        const int before = e->undoStack()->index();
        QPoint at;
        for (double t = 0.5; t > 0.05 && at.isNull(); t -= 0.05) // a point of the wire with no node over it
            for (double u : {t, 1 - t})
                if (const QPointF sp = wireInto(e, l1)->path().pointAtPercent(u); at.isNull() && !v->nodeAt(sp))
                    at = v->mapFromScene(sp);
        QMimeData mime;
        mime.setData(kPaletteMime, "layer:Dropout");
        QDragEnterEvent enter(at, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(vp, &enter);
        QDragMoveEvent over(at, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(vp, &over);
        QVERIFY(wireInto(e, l1)->isInsertTarget());
        QDropEvent drop(QPointF(at), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(vp, &drop);
        const Node& dropout = def(*e, "Model").nodes.back();
        QCOMPARE(def(*e, "Model").findChild(dropout.call)->spec.type, std::string("Dropout"));
        QCOMPARE(dropout.inputs, std::vector<std::string>{"x"});
        QCOMPARE(node(*e, "Model", l1)->inputs, std::vector<std::string>{dropout.id});
        QCOMPARE(e->undoStack()->index(), before + 1);
        // A wired node is not inserted anywhere (no accidental rewiring).
        QVERIFY(!e->insertIntoWire(l1, {{"input:x", 0}, {dropout.id.c_str(), 0}}));
        QVERIFY(!e->insertProblem(l1, {{"input:x", 0}, {"output:y", 0}}).isEmpty());
    }

    void deleteAndReconnect() {
        MainWindow w;
        showWindow(w);
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        Editor* e = w.editor();
        const QString l1 = e->addFromPalette("layer:Linear", {200, 0});
        const QString r = e->addFromPalette("layer:ReLU", {400, 0});
        const QString l2 = e->addFromPalette("layer:Linear", {600, 0});
        QVERIFY(e->connectPorts({"input:x", 0}, {l1, 0}));
        QVERIFY(e->connectPorts({l1, 0}, {r, 0}));
        QVERIFY(e->connectPorts({r, 0}, {l2, 0}));
        QVERIFY(e->connectPorts({l2, 0}, {"output:y", 0}));
        QVERIFY(e->addPort(false, "z"));
        QVERIFY(e->connectPorts({r, 0}, {"output:z", 0}));
        const int steps = e->undoStack()->count();
        e->scene()->selectKeys({r});
        w.view()->setFocus();
        QTest::keyClick(w.view(), Qt::Key_Delete, Qt::ControlModifier);
        QVERIFY(!node(*e, "Model", r));
        QVERIFY(!def(*e, "Model").findChild("relu1"));
        QCOMPARE(node(*e, "Model", l2)->inputs, std::vector<std::string>{l1.toStdString()});
        QCOMPARE(def(*e, "Model").outputs[1].from, l1.toStdString());
        QCOMPARE(e->undoStack()->count(), steps + 1);
        QCOMPARE(errors(*e), 0);
        e->undoStack()->undo();
        QCOMPARE(node(*e, "Model", l2)->inputs, std::vector<std::string>{r.toStdString()});
        QCOMPARE(def(*e, "Model").outputs[1].from, r.toStdString());
        // Two in a row at once: x feeds l2 directly.
        QVERIFY(e->deleteAndReconnect({l1, r}));
        QCOMPARE(node(*e, "Model", l2)->inputs, std::vector<std::string>{"x"});
        QCOMPARE(def(*e, "Model").outputs[1].from, std::string("x"));
        QCOMPARE(e->undoStack()->count(), steps + 1);
        // Plain Delete still just deletes.
        e->scene()->selectKeys({l2});
        QTest::keyClick(w.view(), Qt::Key_Delete);
        QVERIFY(!node(*e, "Model", l2));
        QCOMPARE(def(*e, "Model").outputs[0].from, std::string());
    }

    void compatiblePortsLightUp() {
        MainWindow w;
        showWindow(w);
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QVERIFY(w.openFile(kExamples + "multitask.json"));
        Editor* e = w.editor();
        EditorView* v = w.view();
        QWidget* vp = v->viewport();
        auto item = [&](const char* k) { return e->scene()->nodeItem(k); };
        auto moveTo = [&](QPoint p) {
            QMouseEvent move(QEvent::MouseMove, QPointF(p), vp->mapToGlobal(QPointF(p)), Qt::NoButton, Qt::LeftButton,
                             Qt::NoModifier);
            QApplication::sendEvent(vp, &move);
        };
        // Dragging from the tensor x: every node's tensor inputs fit, the list's index port does not.
        const QPoint x = v->mapFromScene(item("input:x")->outPortScenePos(0));
        QTest::mousePress(vp, Qt::LeftButton, {}, x);
        moveTo(x + QPoint(30, 30));
        QCOMPARE(item("h")->portMark(false, 0), 1);
        QCOMPARE(item("a")->portMark(false, 0), 1);
        QCOMPARE(item("y")->portMark(false, 0), 1);
        QCOMPARE(item("y")->portMark(false, 1), 2); // the int64 index port
        QCOMPARE(item("output:y")->portMark(false, 0), 1);
        QCOMPARE(item("input:task_index")->portMark(true, 0), 0); // outputs are not marked
        // Hovering the refused port says why.
        const QPoint index = v->mapFromScene(item("y")->inPortScenePos(1));
        moveTo(index);
        QVERIFY(v->hoverProblem().contains("int64 input"));
        const std::string before = text(*e);
        QTest::mouseRelease(vp, Qt::LeftButton, {}, index);
        QCOMPARE(text(*e), before);
        QCOMPARE(item("h")->portMark(false, 0), 0); // cleared after the drag
        // From a's output: h feeds a, so its input would close a cycle.
        const QPoint a = v->mapFromScene(item("a")->outPortScenePos(0));
        QTest::mousePress(vp, Qt::LeftButton, {}, a);
        moveTo(a + QPoint(30, 30));
        QCOMPARE(item("h")->portMark(false, 0), 2);
        QCOMPARE(item("y")->portMark(false, 0), 1);
        QTest::mouseRelease(vp, Qt::LeftButton, {}, a);
        // From the int64 task_index: only the index port fits.
        const QPoint t = v->mapFromScene(item("input:task_index")->outPortScenePos(0));
        QTest::mousePress(vp, Qt::LeftButton, {}, t);
        moveTo(t + QPoint(30, 30));
        QCOMPARE(item("y")->portMark(false, 1), 1);
        QCOMPARE(item("y")->portMark(false, 0), 2);
        QCOMPARE(item("h")->portMark(false, 0), 2);
        QTest::mouseRelease(vp, Qt::LeftButton, {}, t);
    }

    void portsLightUpOnLargeGraphs() {
        // 600 nodes, beyond the old cap of 400: the last one lights up too.
        Json nodes = Json::array();
        std::string prev = "x";
        for (int i = 0; i < 600; ++i) {
            const std::string id = "r" + std::to_string(i);
            nodes.push_back(Json{{"id", id}, {"op", "relu"}, {"in", Json::array({prev})}});
            prev = id;
        }
        Json m = {{"kind", "block"},
                  {"inputs", Json::array({Json{{"name", "x"}, {"shape", {4}}}, Json{{"name", "i"}, {"dtype", "int64"}}})},
                  {"nodes", nodes},
                  {"outputs", Json::array({Json{{"name", "y"}, {"from", prev}}})}};
        const std::string json =
            Json{{"format", "modulelab-model"}, {"version", 1}, {"model", "M"}, {"definitions", {{"M", m}}}}.dump();
        MainWindow w;
        showWindow(w);
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        w.editor()->setDocument(io::parseModel(json, "test"));
        EditorView* v = w.view();
        v->frameAll();
        QApplication::processEvents();
        QWidget* vp = v->viewport();
        const QPoint from = v->mapFromScene(w.editor()->scene()->nodeItem("r300")->outPortScenePos(0));
        QTest::mousePress(vp, Qt::LeftButton, {}, from);
        QMouseEvent move(QEvent::MouseMove, QPointF(from + QPoint(5, 5)), vp->mapToGlobal(QPointF(from + QPoint(5, 5))),
                         Qt::NoButton, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(vp, &move);
        QCOMPARE(w.editor()->scene()->nodeItem("r599")->portMark(false, 0), 1);
        QCOMPARE(w.editor()->scene()->nodeItem("r301")->portMark(false, 0), 1);
        QCOMPARE(w.editor()->scene()->nodeItem("r0")->portMark(false, 0), 2); // upstream: a cycle
        QCOMPARE(w.editor()->scene()->nodeItem("r300")->portMark(false, 0), 2); // itself
        QTest::mouseRelease(vp, Qt::LeftButton, {}, from);
        QCOMPARE(w.editor()->scene()->nodeItem("r599")->portMark(false, 0), 0);
    }

    void duplicateKeepsInnerWiresOnly() {
        MainWindow w;
        showWindow(w);
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        Editor* e = w.editor();
        const QString l1 = e->addFromPalette("layer:Linear", {200, 0});
        const QString l2 = e->addFromPalette("layer:Linear", {400, 0});
        QVERIFY(e->connectPorts({"input:x", 0}, {l1, 0}));
        QVERIFY(e->connectPorts({l1, 0}, {l2, 0}));
        const int steps = e->undoStack()->count();
        e->scene()->selectKeys({l1, l2});
        w.view()->setFocus();
        QTest::keyClick(w.view(), Qt::Key_D, Qt::ControlModifier);
        const BlockDef& d = def(*e, "Model");
        QCOMPARE(d.nodes.size(), size_t(4));
        const Node& c1 = d.nodes[2];
        const Node& c2 = d.nodes[3];
        QVERIFY(c1.call != d.nodes[0].call); // own instances, not shared
        QCOMPARE(c1.inputs, std::vector<std::string>{""}); // not wired to x outside the selection
        QCOMPARE(c2.inputs, std::vector<std::string>{c1.id}); // the wire among the copies stays
        QCOMPARE(e->scene()->selectedKeys().size(), 2);
        QVERIFY(e->scene()->selectedKeys().contains(QString::fromStdString(c2.id)));
        QCOMPARE(e->undoStack()->count(), steps + 1);
        e->undoStack()->undo();
        QCOMPARE(def(*e, "Model").nodes.size(), size_t(2));
    }

    void refuseBadWires() {
        Editor e;
        QVERIFY(e.loadFile(kExamples + "multitask.json", nullptr));
        QString status;
        connect(&e, &Editor::message, this, [&](const QString& m) { status = m; });
        const std::string before = text(e);
        // A cycle: y (the list call) back into h (shared_layer), which feeds it.
        QVERIFY(!e.connectPorts({"y", 0}, {"h", 0}));
        QVERIFY(status.contains("cycle"));
        // The int64 task index into a tensor input.
        QVERIFY(!e.connectPorts({"input:task_index", 0}, {"a", 0}));
        QVERIFY(status.contains("int64 index"));
        // A tensor into the ModuleList's index port (the port after its data input).
        QVERIFY(e.model()->isIndexPort("MultiTaskNetwork", "y", 1));
        QVERIFY(!e.connectPorts({"h", 0}, {"y", 1}));
        QVERIFY(status.contains("int64 input"));
        QVERIFY(!e.connectPorts({"a", 0}, {"a", 0}));
        QCOMPARE(text(e), before);
        QCOMPARE(e.undoStack()->count(), 0);
    }

    void buildSequentialModuleListAndBlock() {
        Editor e;
        // x -> l1 -> relu -> l2 -> y, grouped into a Sequential.
        const QString l1 = e.addFromPalette("layer:Linear", {200, 0});
        const QString r = e.addFromPalette("layer:ReLU", {400, 0});
        const QString l2 = e.addFromPalette("layer:Linear", {600, 0});
        QVERIFY(e.connectPorts({"input:x", 0}, {l1, 0}));
        QVERIFY(e.connectPorts({l1, 0}, {r, 0}));
        QVERIFY(e.connectPorts({r, 0}, {l2, 0}));
        QVERIFY(e.connectPorts({l2, 0}, {"output:y", 0}));
        QCOMPARE(errors(e), 0);
        const int steps = e.undoStack()->count();
        const QString seq = e.group("Sequential", {l1, r, l2});
        QVERIFY(!seq.isEmpty());
        const BlockDef& d = def(e, "Model");
        QCOMPARE(d.nodes.size(), size_t(1));
        const NamedSpec* s = d.findChild(d.nodes[0].call);
        QCOMPARE(s->spec.type, std::string("Sequential"));
        QCOMPARE(s->spec.items.size(), size_t(3));
        QCOMPARE(s->spec.items[1].type, std::string("ReLU"));
        QCOMPARE(d.outputs[0].from, seq.toStdString());
        QCOMPARE(errors(e), 0);
        QCOMPARE(shapeText(e.model()->analysis().outputTypes[0]), QString("[N, 16]"));
        QCOMPARE(e.scene()->nodeItem(seq)->look().kind, LookKind::Sequential);
        QCOMPARE(e.scene()->nodeItem(seq)->look().rows.size(), size_t(3));
        // Reorder its items (ReLU first), then undo.
        QVERIFY(e.moveContainerItem(seq, 1, 0));
        QCOMPARE(def(e, "Model").findChild(def(e, "Model").nodes[0].call)->spec.items[0].type, std::string("ReLU"));
        e.undoStack()->undo();
        QCOMPARE(def(e, "Model").findChild(def(e, "Model").nodes[0].call)->spec.items[0].type, std::string("Linear"));
        // Ungroup back to three nodes, and undo that.
        QVERIFY(e.ungroup(seq));
        QCOMPARE(def(e, "Model").nodes.size(), size_t(3));
        QCOMPARE(errors(e), 0);
        e.undoStack()->undo();
        e.undoStack()->undo(); // the grouping
        QCOMPARE(e.undoStack()->index(), steps);
        QCOMPARE(def(e, "Model").nodes.size(), size_t(3));

        // Two heads on one input grouped into a ModuleList: nodes become list[0], list[1].
        const QString h1 = e.addFromPalette("layer:Linear", {200, 200});
        const QString h2 = e.addFromPalette("layer:Linear", {200, 400});
        QVERIFY(e.connectPorts({"input:x", 0}, {h1, 0}));
        QVERIFY(e.connectPorts({"input:x", 0}, {h2, 0}));
        const QString first = e.group("ModuleList", {h1, h2});
        QCOMPARE(first, h1);
        const Node* n1 = node(e, "Model", h1);
        const Node* n2 = node(e, "Model", h2);
        QCOMPARE(n1->call, n2->call);
        QCOMPARE(n1->listUse, ListUse::Index);
        QCOMPARE(*n1->constIndex, Index(0));
        QCOMPARE(*n2->constIndex, Index(1));
        QCOMPARE(def(e, "Model").findChild(n1->call)->spec.type, std::string("ModuleList"));
        QCOMPARE(e.scene()->nodeItem(h1)->look().kind, LookKind::ModuleList);
        QVERIFY(e.scene()->nodeItem(h1)->look().footer.contains("no forward"));
        // Not shared: different items of the list.
        QCOMPARE(e.scene()->nodeItem(h1)->look().sharedUses, 1);

        // The original chain grouped into a block: wires crossing the boundary become its ports.
        const BlockDef& m = def(e, "Model");
        QStringList chain;
        for (const Node& n : m.nodes)
            if (n.listUse == ListUse::None) chain << QString::fromStdString(n.id);
        QCOMPARE(chain.size(), 3);
        const QString blk = e.group("block", chain);
        QVERIFY(!blk.isEmpty());
        const BlockDef* b = e.model()->document().findDefinition("Block1");
        QVERIFY(b);
        QCOMPARE(b->inputs.size(), size_t(1));
        QCOMPARE(b->inputs[0].name, std::string("x"));
        QCOMPARE(b->outputs.size(), size_t(1));
        QCOMPARE(b->nodes.size(), size_t(3));
        QCOMPARE(b->children.size(), size_t(3));
        QCOMPARE(node(e, "Model", blk)->inputs, std::vector<std::string>{"x"});
        QCOMPARE(def(e, "Model").outputs[0].from, blk.toStdString());
        QCOMPARE(errors(e), 0);
        QCOMPARE(e.scene()->nodeItem(blk)->look().kind, LookKind::Block);
        // Parameters did not change by grouping: 10*16+16 + 16*16+16, plus the heads 2*(10*16+16).
        QCOMPARE(e.model()->analysis().tree.uniqueParameterCount(), Index(176 + 272 + 352));
        e.undoStack()->undo();
        QVERIFY(!e.model()->document().findDefinition("Block1"));
        QCOMPARE(def(e, "Model").nodes.size(), size_t(5));
        e.undoStack()->redo();
        QVERIFY(e.model()->document().findDefinition("Block1"));
    }

    void openBlockAndComeBack() {
        MainWindow w;
        w.setPromptsEnabled(false);
        QVERIFY(w.openFile(kExamples + "resnet.json"));
        Editor* e = w.editor();
        NodeItem* h2 = e->scene()->nodeItem("h2");
        QCOMPARE(h2->look().kind, LookKind::Block);
        // A real double-click on the block node.
        w.resize(1200, 800);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        w.view()->frameAll();
        const QPoint at = w.view()->mapFromScene(h2->sceneBoundingRect().center());
        QTest::mouseDClick(w.view()->viewport(), Qt::LeftButton, {}, at);
        QCOMPARE(e->definitionName(), QString("ResidualBlock"));
        QCOMPARE(e->levels().back().instancePath, QString("block2"));
        // Shapes inside are block2's: 64 -> 128 channels.
        const TensorType* c1 = e->model()->outputType("block2", "ResidualBlock", {"c1", 0});
        QVERIFY(c1);
        QCOMPARE(shapeText(*c1), QString("[N, 128, 32, 32]"));
        QVERIFY(e->scene()->nodeItem("input:x"));
        QVERIFY(e->scene()->nodeItem("s"));
        QCOMPARE(e->scene()->nodeItem("s")->look().kind, LookKind::Sequential);
        // The breadcrumb's first button goes back out; the block just left is marked.
        auto* crumb = w.findChild<QToolButton*>("crumb0");
        QVERIFY(crumb);
        crumb->click();
        QCOMPARE(e->definitionName(), QString("ResNet"));
        QCOMPARE(static_cast<int>(e->levels().size()), 1);
        QVERIFY(e->scene()->nodeItem("h2"));
        // The block just left is selected and glows in its own colour for a moment.
        QCOMPARE(e->scene()->selectedKeys(), QStringList{"h2"});
        QVERIFY(e->scene()->nodeItem("h2")->isRecentlyLeft());
        QVERIFY(!e->scene()->nodeItem("h1")->isRecentlyLeft());
        QTRY_VERIFY_WITH_TIMEOUT(!e->scene()->nodeItem("h2")->isRecentlyLeft(), EditorScene::kRecentlyLeftMs + 1000);
        QCOMPARE(e->scene()->selectedKeys(), QStringList{"h2"}); // the selection stays
        // Ctrl+Tab (back out) marks it the same way.
        QVERIFY(e->enterNode("h1"));
        QTest::keyClick(&w, Qt::Key_Tab, Qt::ControlModifier);
        QCOMPARE(e->definitionName(), QString("ResNet"));
        QVERIFY(e->scene()->nodeItem("h1")->isRecentlyLeft());
        QCOMPARE(e->scene()->selectedKeys(), QStringList{"h1"});
    }

    void reuseAnInstanceAndSeeSharing() {
        Editor e;
        const QString l = e.addFromPalette("layer:Linear", {200, 0});
        QVERIFY(e.connectPorts({"input:x", 0}, {l, 0}));
        QVERIFY(e.connectPorts({l, 0}, {"output:y", 0}));
        const Index unique = e.model()->analysis().tree.uniqueParameterCount();
        QCOMPARE(unique, Index(176));
        const QString again = e.callAgain(l);
        QVERIFY(!again.isEmpty());
        QCOMPARE(node(e, "Model", again)->call, node(e, "Model", l)->call);
        // Linear(10 -> 16) called on its own output does not fit; feed it x like the first use.
        QVERIFY(e.connectPorts({"input:x", 0}, {again, 0}));
        QVERIFY(e.addPort(false, "z"));
        QVERIFY(e.connectPorts({again, 0}, {"output:z", 0}));
        QCOMPARE(errors(e), 0);
        const ModuleInstance* inst = e.model()->childInstance("", "linear1");
        QCOMPARE(inst->callCount, 2);
        QCOMPARE(e.model()->analysis().tree.uniqueParameterCount(), unique);
        QCOMPARE(e.model()->analysis().tree.naiveParameterCount(), 2 * unique);
        // Both uses are marked; selecting one highlights the other.
        QCOMPARE(e.scene()->nodeItem(l)->look().sharedUses, 2);
        QCOMPARE(e.scene()->nodeItem(again)->look().sharedUses, 2);
        e.scene()->selectKeys({l});
        QCOMPARE(e.model()->nodesSharingWith("Model", l), (QStringList{l, again}));
        // Undo all three edits: one call again.
        e.undoStack()->undo();
        e.undoStack()->undo();
        e.undoStack()->undo();
        e.undoStack()->undo();
        QCOMPARE(e.model()->childInstance("", "linear1")->callCount, 1);
    }

    void moveUndoesInOneStep() {
        MainWindow w;
        showWindow(w);
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        Editor* e = w.editor();
        w.view()->frameAll();
        NodeItem* x = e->scene()->nodeItem("input:x");
        const QPointF start = *e->model()->position("Model", "input:x");
        const QPoint p0 = w.view()->mapFromScene(x->sceneBoundingRect().center());
        const int count = e->undoStack()->count();
        QTest::mousePress(w.view()->viewport(), Qt::LeftButton, {}, p0);
        for (int i = 1; i <= 5; ++i) {
            const QPoint p = p0 + QPoint(20 * i, 10 * i);
            QMouseEvent move(QEvent::MouseMove, QPointF(p), w.view()->viewport()->mapToGlobal(QPointF(p)), Qt::NoButton,
                             Qt::LeftButton, Qt::NoModifier);
            QApplication::sendEvent(w.view()->viewport(), &move);
        }
        QTest::mouseRelease(w.view()->viewport(), Qt::LeftButton, {}, p0 + QPoint(100, 50));
        const QPointF end = *e->model()->position("Model", "input:x");
        QVERIFY(end != start);
        QCOMPARE(std::fmod(end.x(), kGrid), 0.0); // snapped
        QCOMPARE(e->undoStack()->count(), count + 1);
        QCOMPARE(x->pos(), end); // the item follows the model
        e->undoStack()->undo();
        QCOMPARE(*e->model()->position("Model", "input:x"), start);
        QCOMPARE(x->pos(), start);
    }

    void propertyEditUndoRedo() {
        Editor e;
        const QString l = e.addFromPalette("layer:Linear", {200, 0});
        QVERIFY(e.connectPorts({"input:x", 0}, {l, 0}));
        QVERIFY(e.setChildArgs(l, Json{{"out_features", 7}, {"bias", false}}));
        QCOMPARE(e.model()->analysis().tree.uniqueParameterCount(), Index(70));
        QCOMPARE(shapeText(*e.model()->outputType("", "Model", {l, 0})), QString("[N, 7]"));
        e.undoStack()->undo();
        QCOMPARE(e.model()->analysis().tree.uniqueParameterCount(), Index(176));
        e.undoStack()->redo();
        QCOMPARE(e.model()->analysis().tree.uniqueParameterCount(), Index(70));
        // Deleting the node also unregisters its child; undo brings both back.
        QVERIFY(e.deleteItems({l}));
        QVERIFY(!def(e, "Model").findChild("linear1"));
        e.undoStack()->undo();
        QVERIFY(def(e, "Model").findChild("linear1"));
        QCOMPARE(node(e, "Model", l)->inputs, std::vector<std::string>{"x"});
    }

    void blockPorts() {
        Editor e;
        QVERIFY(e.loadFile(kExamples + "resnet.json", nullptr));
        QVERIFY(e.enterNode("h1"));
        QVERIFY(e.renamePort("output:out", "features"));
        // The callers' references follow (single output: the parent uses the node id).
        QCOMPARE(def(e, "ResidualBlock").outputs[0].name, std::string("features"));
        QCOMPARE(errors(e), 0);
        QVERIFY(e.addPort(true, "mask"));
        QCOMPARE(def(e, "ResidualBlock").inputs.size(), size_t(2));
        QVERIFY(!e.addPort(true, "mask")); // refused: the name is taken
        QVERIFY(!e.addPort(true, "bad name"));
        QVERIFY(e.deleteItems({"input:mask"}));
        QCOMPARE(def(e, "ResidualBlock").inputs.size(), size_t(1));
        QVERIFY(e.renamePort("input:x", "inp"));
        QCOMPARE(node(e, "ResidualBlock", "c1")->inputs[0], std::string("inp"));
        QCOMPARE(node(e, "ResidualBlock", "s")->inputs[0], std::string("inp"));
        QCOMPARE(errors(e), 0);
    }

    void copyPasteAsJson() {
        Editor a;
        QVERIFY(a.loadFile(kExamples + "siamese.json", nullptr));
        const QString json = a.copy({"ea", "pair"});
        QVERIFY(json.contains("\"modulelab-model\""));
        Editor b;
        const QStringList ids = b.paste(json, {400, 400});
        QCOMPARE(ids.size(), 2);
        const BlockDef& d = def(b, "Model");
        QCOMPARE(d.nodes.size(), size_t(2));
        QVERIFY(d.findChild("encoder"));
        QCOMPARE(d.findChild("encoder")->spec.items.size(), size_t(3));
        // The wire between the copied nodes stays; the ones to outside nodes are cut.
        const Node* pair = d.findNode(ids[1].toStdString());
        QCOMPARE(pair->inputs[0], ids[0].toStdString());
        QCOMPARE(pair->inputs[1], std::string());
        b.undoStack()->undo();
        QCOMPARE(def(b, "Model").nodes.size(), size_t(0));
        // Not a model: refused, nothing changes.
        QVERIFY(b.paste("not json", {0, 0}).isEmpty());
        QCOMPARE(b.undoStack()->count(), 1);
    }

    void saveAndReload_data() {
        QTest::addColumn<QString>("file");
        for (const char* f : {"multitask.json", "resnet.json", "siamese.json", "simple_cnn.json", "resnet_tutorial.json"})
            QTest::newRow(f) << QString(f);
    }
    void saveAndReload() {
        QFETCH(QString, file);
        QTemporaryDir dir;
        MainWindow w;
        w.setPromptsEnabled(false);
        QVERIFY(w.openFile(kExamples + file));
        // An edit, so that what is saved is the editor's model, layout included.
        w.editor()->moveItems({{"input:x", *w.editor()->model()->position(w.editor()->definitionName(), "input:x")}},
                              {{"input:x", QPointF(-400, -200)}}, 99);
        QVERIFY(w.isWindowModified());
        const QString path = dir.filePath("saved.json");
        QVERIFY(w.saveTo(path));
        QVERIFY(!w.isWindowModified());
        const std::string saved = text(*w.editor());
        MainWindow w2;
        w2.setPromptsEnabled(false);
        QVERIFY(w2.openFile(path));
        QCOMPARE(text(*w2.editor()), saved);
        QCOMPARE(*w2.editor()->model()->position(w2.editor()->definitionName(), "input:x"), QPointF(-400, -200));
        // The model part equals the example's (only the layout was added).
        ModelDocument original = io::readModelFile((kExamples + file).toStdString());
        ModelDocument reloaded = io::readModelFile(path.toStdString());
        original.layout = Json::object();
        reloaded.layout = Json::object();
        QCOMPARE(io::modelToString(reloaded), io::modelToString(original));
    }

    void loadBadFiles_data() {
        QTest::addColumn<QByteArray>("contents");
        QTest::addColumn<QString>("message");
        QTest::newRow("not json") << QByteArray("{ nope") << "syntax error";
        QTest::newRow("wrong format") << QByteArray(R"({"format": "other", "version": 1})") << "format";
        QTest::newRow("missing model")
            << QByteArray(R"({"format": "modulelab-model", "version": 1, "definitions": {}})") << "model";
        QTest::newRow("empty") << QByteArray("") << "";
    }
    void loadBadFiles() {
        QFETCH(QByteArray, contents);
        QFETCH(QString, message);
        QTemporaryDir dir;
        const QString path = dir.filePath("bad.json");
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(contents);
        f.close();
        MainWindow w;
        w.setPromptsEnabled(false);
        QVERIFY(w.openFile(kExamples + "siamese.json"));
        const std::string before = text(*w.editor());
        QVERIFY(!w.openFile(path));
        // The engine's message is shown; nothing changed.
        std::string engine;
        try {
            io::readModelFile(path.toStdString());
        } catch (const std::exception& e) {
            engine = e.what();
        }
        QVERIFY(!engine.empty());
        QCOMPARE(w.lastError(), QString::fromStdString(engine));
        QVERIFY(w.lastError().contains(message, Qt::CaseInsensitive));
        QCOMPARE(text(*w.editor()), before);
        QVERIFY(w.currentFile().endsWith("siamese.json"));
        QVERIFY(!w.openFile(dir.filePath("missing.json")));
    }

    void searchRanking() {
        const auto all = paletteEntries(ModelDocument{});
        auto first = [&](const QString& q) { return searchEntries(all, q).front().label; };
        QCOMPARE(first("relu"), QString("ReLU"));   // exact before prefix (the relu op also matches exactly)
        QCOMPARE(first("Conv"), QString("Conv2d"));  // prefix
        QCOMPARE(first("norm").left(9), QString("BatchNorm")); // word start
        QCOMPARE(searchEntries(all, "relu", {"op:relu"}).front().id, QString("op:relu")); // recent first
        QVERIFY(searchEntries(all, "zzzz").empty());
    }

    void exportCanvas() {
        QTemporaryDir dir;
        MainWindow w;
        w.setPromptsEnabled(false);
        QVERIFY(w.openFile(kExamples + "simple_cnn.json"));
        w.exportImage(dir.filePath("c.png"));
        w.exportImage(dir.filePath("c.svg"));
        QImage img(dir.filePath("c.png"));
        QVERIFY(img.width() > 400 && img.height() > 100);
        QFile svg(dir.filePath("c.svg"));
        QVERIFY(svg.open(QIODevice::ReadOnly));
        const QByteArray s = svg.readAll();
        QVERIFY(s.contains("<svg"));
        QVERIFY(s.contains("features")); // node titles are text in the SVG
    }
};

QTEST_MAIN(TestEditor)
#include "tst_editor.moc"
