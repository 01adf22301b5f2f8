// A newcomer builds the tutorial's models from an empty window through the
// gestures the window offers: palette drops, wire drags between ports, the
// inspector's fields (shape, kind, names, item arguments). The saved file's
// state_dict() must be PyTorch's (tests/fixtures/<model>/state_dict.json).
#include "app/MainWindow.h"
#include "editor/Editor.h"
#include "editor/EditorScene.h"
#include "editor/EditorView.h"
#include "editor/DiagnosticsView.h"
#include "editor/GraphModel.h"
#include "editor/Inspector.h"
#include "editor/ModuleTreeView.h"
#include "editor/NodeLook.h"
#include "editor/SearchPopup.h"
#include "editor/NodeItem.h"
#include "editor/PaletteEntries.h"
#include "io/ModelJson.h"
#include "shape/Summary.h"
#include "shape/Analysis.h"

#include <QAction>
#include <QClipboard>
#include <QComboBox>
#include <QLabel>
#include <QListWidget>
#include <QProcess>
#include <QStatusBar>
#include <QTreeWidget>
#include <QTreeWidgetItemIterator>
#include <QLineEdit>
#include <QMimeData>
#include <QPushButton>
#include <QTemporaryDir>
#include <QtTest>

#include <fstream>

using namespace ml;
using namespace ml::gui;

// A gesture helper's failed check ends the test (not only the helper).
#define STEP(call)                                                                                                     \
    do {                                                                                                               \
        call;                                                                                                          \
        if (QTest::currentTestFailed()) return;                                                                        \
    } while (0)

namespace {
const std::string kSource = MODULELAB_SOURCE_DIR;

void settle() {
    QApplication::processEvents();
    QApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
    QApplication::processEvents();
}

Inspector* inspector(MainWindow& w) { return w.findChild<Inspector*>(); }

// An empty window as a newcomer finds it, and the gestures a person makes in
// it: palette drops, clicks on headers, typing in the inspector's fields, wire
// drags between ports. Positions are relative to input x where it first shows.
// Every helper checks what it touched; a failed check ends the test (STEP).
class Window {
public:
    MainWindow w;
    Editor* e() { return w.editor(); }
    EditorView* v() { return w.view(); }
    const BlockDef* def() { return e()->model()->document().findDefinition(e()->model()->document().model); }

    void show() {
        w.setPromptsEnabled(false);
        w.resize(1400, 900);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        NodeItem* x = e()->scene()->nodeItem("input:x");
        QVERIFY(x);
        m_origin = x->sceneBoundingRect().center();
    }
    QPoint at(double dx, double dy) { return v()->mapFromScene(m_origin + QPointF(dx, dy)); }

    // A palette drag released at view point `to` (onto a container it adds an item).
    void dropAt(const QString& entry, QPoint to) {
        QMimeData mime;
        mime.setData(kPaletteMime, entry.toUtf8());
        QDragEnterEvent enter(to, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(v()->viewport(), &enter);
        QDragMoveEvent move(to, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(v()->viewport(), &move);
        QDropEvent dropEvent(QPointF(to), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(v()->viewport(), &dropEvent);
        settle();
    }
    // Drops `entry` on empty canvas; the new node must be `expectedKey`.
    // The view scrolls there first, as a person's would: a node dropped out of sight goes elsewhere.
    void drop(const QString& entry, double dx, double dy, const QString& expectedKey) {
        v()->centerOn(m_origin + QPointF(dx, dy));
        settle();
        dropAt(entry, at(dx, dy));
        QVERIFY2(e()->scene()->nodeItem(expectedKey), qPrintable(expectedKey));
    }
    // Drops each entry onto container node `node`, in order.
    void fill(const QString& node, const QStringList& entries) {
        for (const QString& entry : entries) {
            NodeItem* n = e()->scene()->nodeItem(node);
            QVERIFY2(n, qPrintable(node));
            dropAt(entry, v()->mapFromScene(n->sceneBoundingRect().center()));
        }
        QCOMPARE(e()->model()->calledSpec(e()->definitionName(), node)->items.size(), size_t(entries.size()));
    }

    // A click on the node's header selects it; Ctrl adds to the selection.
    void select(const QString& key, Qt::KeyboardModifiers modifiers = {}) {
        NodeItem* n = e()->scene()->nodeItem(key);
        QVERIFY2(n, qPrintable(key));
        const QPoint p = v()->mapFromScene(n->sceneBoundingRect().topLeft() + QPointF(12, 8));
        QTest::mouseClick(v()->viewport(), Qt::LeftButton, modifiers, p);
        settle();
        QVERIFY(e()->scene()->selectedKeys().contains(key));
    }
    // A click on empty canvas: the inspector shows the definition itself.
    void selectNothing() {
        e()->scene()->clearSelection();
        settle();
        QVERIFY(e()->scene()->selectedKeys().isEmpty());
    }

    // Types `text` into the inspector field `name` and presses Return.
    void type(const QString& name, const QString& text) {
        auto* edit = inspector(w)->findChild<QLineEdit*>(name);
        QVERIFY2(edit, qPrintable(name));
        edit->setFocus();
        edit->selectAll();
        QTest::keyClicks(edit, text);
        QTest::keyClick(edit, Qt::Key_Return);
        settle();
    }
    // Selects `key` and fills the inspector's fields in order ("childName" renames it).
    void set(const QString& key, const std::vector<std::pair<QString, QString>>& fields) {
        STEP(select(key));
        for (const auto& [field, text] : fields) STEP(type(field, text));
    }

    // A wire dragged with the mouse from output `outPort` of `from` to input `inPort` of `to`.
    void wire(const QString& from, int outPort, const QString& to, int inPort) {
        NodeItem* a = e()->scene()->nodeItem(from);
        NodeItem* b = e()->scene()->nodeItem(to);
        QVERIFY2(a && b, qPrintable(from + " -> " + to));
        const QPoint p = v()->mapFromScene(a->outPortScenePos(outPort));
        const QPoint q = v()->mapFromScene(b->inPortScenePos(inPort));
        QTest::mousePress(v()->viewport(), Qt::LeftButton, {}, p);
        QMouseEvent move(QEvent::MouseMove, QPointF(q), v()->viewport()->mapToGlobal(QPointF(q)), Qt::NoButton,
                         Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(v()->viewport(), &move);
        QTest::mouseRelease(v()->viewport(), Qt::LeftButton, {}, q);
        settle();
    }
    // A chain of single-port wires: a -> b -> c ...
    void chain(const QStringList& keys) {
        for (int i = 0; i + 1 < keys.size(); ++i) STEP(wire(keys[i], 0, keys[i + 1], 0));
    }

    // The background inspector's "new input name" field and its Add input button.
    void addInput(const QString& name) {
        STEP(selectNothing());
        QLineEdit* newName = nullptr;
        for (QLineEdit* l : inspector(w)->findChildren<QLineEdit*>())
            if (l->placeholderText() == "new input name") newName = l;
        QVERIFY(newName);
        QTest::keyClicks(newName, name);
        for (QPushButton* b : inspector(w)->findChildren<QPushButton*>())
            if (b->text() == "Add input") QTest::mouseClick(b, Qt::LeftButton);
        settle();
        QVERIFY(e()->scene()->nodeItem("input:" + name));
    }
    // The input's Kind box, one step down: int64 index.
    void makeIndex(const QString& input) {
        STEP(select("input:" + input));
        auto* kind = inspector(w)->findChild<QComboBox*>("inputKind");
        QVERIFY(kind);
        QTest::keyClick(kind, Qt::Key_Down);
        settle();
        const BlockDef* d = def();
        QVERIFY(std::any_of(d->inputs.begin(), d->inputs.end(), [&](const BlockInput& i) {
            return QString::fromStdString(i.name) == input && i.dtype == DType::Int64;
        }));
    }
    // The class name in the background inspector.
    void renameClass(const QString& name) {
        STEP(selectNothing());
        STEP(type("definitionName", name));
        QCOMPARE(QString::fromStdString(e()->model()->document().model), name);
        QCOMPARE(e()->definitionName(), name);
    }
    // A click on an inspector button of the selection.
    void press(const QString& text) {
        QPushButton* button = nullptr;
        for (QPushButton* b : inspector(w)->findChildren<QPushButton*>())
            if (b->text() == text) button = b;
        QVERIFY2(button, qPrintable(text));
        QTest::mouseClick(button, Qt::LeftButton);
        settle();
    }

    QString save(const QTemporaryDir& dir, const QString& name) {
        const QString path = dir.filePath(name);
        QString error;
        if (!e()->saveFile(path, &error)) qWarning("save failed: %s", qPrintable(error));
        return path;
    }

private:
    QPointF m_origin;
};

// modulelab-cli on the saved file: it validates, and `summary --json` lists
// exactly PyTorch's state_dict() (tests/fixtures/<model>/state_dict.json):
// class name, every name, kind and shape in order, and the parameter count.
void compareWithFixture(const QString& path, const std::string& fixture, qlonglong parameters) {
    QProcess validate;
    validate.start(MODULELAB_CLI, {"validate", path});
    QVERIFY(validate.waitForFinished(60000));
    QVERIFY2(validate.exitCode() == 0, validate.readAllStandardOutput() + validate.readAllStandardError());
    QProcess summary;
    summary.start(MODULELAB_CLI, {"summary", "--json", path});
    QVERIFY(summary.waitForFinished(60000));
    QCOMPARE(summary.exitCode(), 0);
    const Json ours = Json::parse(summary.readAllStandardOutput().toStdString());
    std::ifstream in(kSource + "/tests/fixtures/" + fixture + "/state_dict.json");
    const Json torch = Json::parse(in);
    QCOMPARE(QString::fromStdString(ours["model"].get<std::string>()),
             QString::fromStdString(torch["model"].get<std::string>()));
    const Json& expected = torch["state_dict"];
    const Json& actual = ours["state_dict"];
    QCOMPARE(actual.size(), expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
        QCOMPARE(QString::fromStdString(actual[i]["name"].get<std::string>()),
                 QString::fromStdString(expected[i]["name"].get<std::string>()));
        QCOMPARE(QString::fromStdString(actual[i]["kind"].get<std::string>()),
                 QString::fromStdString(expected[i]["kind"].get<std::string>()));
        QCOMPARE(QString::fromStdString(actual[i]["shape"].dump()), QString::fromStdString(expected[i]["shape"].dump()));
    }
    QCOMPARE(ours["parameters"]["unique"].get<qlonglong>(), parameters);
    QCOMPARE(torch["num_parameters"].get<qlonglong>(), parameters);
}
} // namespace

class TestBuildModels : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void inputShapeAndKind_data() {
        QTest::addColumn<QString>("typed");
        QTest::addColumn<QString>("shape");
        QTest::newRow("one size") << "10" << "[10]";
        QTest::newRow("commas") << "3, 32, 32" << "[3,32,32]";
        QTest::newRow("brackets") << "[3, 32, 32]" << "[3,32,32]";
    }
    void inputShapeAndKind() {
        QFETCH(QString, typed);
        QFETCH(QString, shape);
        Window s;
        STEP(s.show());
        STEP(s.set("input:x", {{"inputShape", typed}}));
        QVERIFY(s.def()->inputs[0].shape);
        QCOMPARE(QString::fromStdString(Json(*s.def()->inputs[0].shape).dump()), shape);
        // A bad size is refused with a message naming it; nothing changes.
        QSignalSpy said(s.e(), &Editor::message);
        s.type("inputShape", "3, x");
        QCOMPARE(said.size(), 1);
        QVERIFY2(said[0][0].toString().contains("'x' in the shape"), qPrintable(said[0][0].toString()));
        QCOMPARE(QString::fromStdString(Json(*s.def()->inputs[0].shape).dump()), shape);
    }

    void newDocumentHasNoHintAsDoc() {
        Editor e;
        e.newDocument();
        QVERIFY(e.model()->document().findDefinition("Model")->doc.empty());
    }

    // class MultiTaskNetwork: shared_layer = Linear(10, 5); task_layers = ModuleList([Linear(5, 2/3/1)]);
    // forward(x, task_index) = task_layers[task_index](relu(shared_layer(x))).
    void buildMultiTaskNetwork() {
        Window s;
        STEP(s.show());
        STEP(s.addInput("task_index"));
        QVERIFY(s.def()->inputs[1].shape); // a new input starts with a shape (no error to chase)
        STEP(s.makeIndex("task_index"));
        STEP(s.drop("layer:Linear", 0, 260, "linear1"));
        STEP(s.set("linear1", {{"childName", "shared_layer"}, {"arg_out_features", "5"}}));
        STEP(s.drop("op:relu", 260, 260, "relu1"));
        STEP(s.drop("container:ModuleList", 520, 260, "list1"));
        STEP(s.fill("list1", {"layer:Linear", "layer:Linear", "layer:Linear"}));
        STEP(s.set("list1", {{"item0_arg_out_features", "2"}, {"item1_arg_out_features", "3"},
                             {"item2_arg_out_features", "1"}, {"childName", "task_layers"}}));
        STEP(s.chain({"input:x", "shared_layer", "relu1", "task_layers", "output:y"}));
        // task_index into the call's index port (its last input).
        STEP(s.wire("input:task_index", 0, "task_layers", s.e()->model()->inputPortCount("Model", "task_layers") - 1));
        STEP(s.renameClass("MultiTaskNetwork"));

        const Node* call = s.def()->findNode("task_layers");
        QVERIFY(call);
        QCOMPARE(call->indexInput, std::string("task_index"));
        QCOMPARE(shapeText(*s.e()->model()->outputType("", "MultiTaskNetwork", {"task_layers", 0})),
                 QString("[N, 2] | [N, 3] | [N, 1] (by task_index)"));
        QCOMPARE(s.e()->model()->analysis().tree.uniqueParameterCount(), Index(91));
        QTemporaryDir dir;
        const QString path = s.save(dir, "multitask.json");
        compareWithFixture(path, "multitask", 91);
        if (qEnvironmentVariableIsSet("MODULELAB_SHOT")) {
            s.v()->frameAll();
            settle();
            s.w.grab().save(qEnvironmentVariable("MODULELAB_SHOT"));
        }
    }

    // class SimpleCNN: features = Sequential(Conv2d(3, 16, 3, padding=1), ReLU(), MaxPool2d(2, 2),
    // Conv2d(16, 32, 3, padding=1), ReLU(), MaxPool2d(2, 2)); classifier = Sequential(Flatten(),
    // Linear(2048, 128), ReLU(), Linear(128, 10)); forward(x) = classifier(features(x)).
    void buildSimpleCnn() {
        Window s;
        STEP(s.show());
        STEP(s.set("input:x", {{"inputShape", "3, 32, 32"}}));
        STEP(s.drop("container:Sequential", 0, 260, "seq1"));
        STEP(s.fill("seq1", {"layer:Conv2d", "layer:ReLU", "layer:MaxPool2d", "layer:Conv2d", "layer:ReLU",
                             "layer:MaxPool2d"}));
        STEP(s.set("seq1", {{"item0_arg_padding", "1"}, {"item2_arg_stride", "2"}, {"item3_arg_out_channels", "32"},
                            {"item3_arg_padding", "1"}, {"item5_arg_stride", "2"}, {"childName", "features"}}));
        STEP(s.drop("container:Sequential", 420, 260, "seq1"));
        STEP(s.fill("seq1", {"layer:Flatten", "layer:Linear", "layer:ReLU", "layer:Linear"}));
        STEP(s.set("seq1", {{"item1_arg_out_features", "128"}, {"item3_arg_out_features", "10"},
                            {"childName", "classifier"}}));
        STEP(s.chain({"input:x", "features", "classifier", "output:y"}));
        STEP(s.renameClass("SimpleCNN"));
        QCOMPARE(shapeText(*s.e()->model()->outputType("", "SimpleCNN", {"features", 0})), QString("[N, 32, 8, 8]"));
        QCOMPARE(s.e()->model()->analysis().tree.uniqueParameterCount(), Index(268650));
        QTemporaryDir dir;
        compareWithFixture(s.save(dir, "simple_cnn.json"), "simple_cnn", 268650);
    }

    // The tutorial's working ResidualBlock(3, 64): conv1-bn1-relu-conv2-bn2, a shortcut
    // Sequential(Conv2d(3, 64, 1, bias=False), BatchNorm2d(64)), out + shortcut(x), relu
    // (the same ReLU instance called twice). The shortcut is built as two nodes and grouped.
    void buildResidualBlock() {
        Window s;
        STEP(s.show());
        STEP(s.set("input:x", {{"inputShape", "3, 32, 32"}}));
        STEP(s.drop("layer:Conv2d", 0, 220, "conv2d1"));
        STEP(s.set("conv2d1", {{"childName", "conv1"}, {"arg_out_channels", "64"}, {"arg_padding", "1"}}));
        STEP(s.drop("layer:BatchNorm2d", 240, 220, "batchnorm2d1"));
        STEP(s.set("batchnorm2d1", {{"childName", "bn1"}}));
        STEP(s.drop("layer:ReLU", 480, 220, "relu1"));
        STEP(s.set("relu1", {{"childName", "relu"}}));
        STEP(s.drop("layer:Conv2d", 0, 440, "conv2d1"));
        STEP(s.set("conv2d1", {{"childName", "conv2"}, {"arg_out_channels", "64"}, {"arg_padding", "1"}}));
        STEP(s.drop("layer:BatchNorm2d", 240, 440, "batchnorm2d1"));
        STEP(s.set("batchnorm2d1", {{"childName", "bn2"}}));
        // The projection: two nodes, wired, then grouped into a Sequential named shortcut.
        STEP(s.drop("layer:Conv2d", 0, 660, "conv2d1"));
        STEP(s.set("conv2d1", {{"arg_out_channels", "64"}, {"arg_kernel_size", "1"}, {"arg_bias", "false"}}));
        STEP(s.drop("layer:BatchNorm2d", 240, 660, "batchnorm2d1"));
        STEP(s.wire("conv2d1", 0, "batchnorm2d1", 0));
        STEP(s.select("conv2d1"));
        STEP(s.select("batchnorm2d1", Qt::ControlModifier));
        QCOMPARE(s.e()->scene()->selectedKeys().size(), 2);
        STEP(s.press("Group into Sequential"));
        const QStringList selected = s.e()->scene()->selectedKeys();
        QCOMPARE(selected.size(), 1);
        STEP(s.set(selected.front(), {{"childName", "shortcut"}}));
        // out = relu(bn2(...) + shortcut(x)): an add node, and relu called again.
        STEP(s.drop("op:add", 720, 440, "add1"));
        STEP(s.select("relu"));
        STEP(s.press("Call again (share this instance)"));
        const QStringList again = s.e()->scene()->selectedKeys();
        QCOMPARE(again.size(), 1);
        s.v()->frameAll(); // everything in view for the wire drags
        settle();
        STEP(s.chain({"input:x", "conv1", "bn1", "relu", "conv2", "bn2", "add1"}));
        STEP(s.wire("input:x", 0, "shortcut", 0));
        STEP(s.wire("shortcut", 0, "add1", 1));
        STEP(s.chain({"add1", again.front(), "output:y"}));
        STEP(s.renameClass("ResidualBlock"));

        const Analysis& a = s.e()->model()->analysis();
        QVERIFY2(a.ok(), a.diagnostics.empty() ? "" : a.diagnostics.front().toString().c_str());
        QCOMPARE(shapeText(*s.e()->model()->outputType("", "ResidualBlock", {"add1", 0})), QString("[N, 64, 32, 32]"));
        QCOMPARE(s.e()->model()->sharedUseCount("ResidualBlock", "relu"), 2);
        QCOMPARE(a.tree.uniqueParameterCount(), Index(39296));
        QTemporaryDir dir;
        compareWithFixture(s.save(dir, "residual_block.json"), "residual_block", 39296);
    }

    // One unconnected output and one layer that cannot take its input: the rest of
    // the model keeps its shapes and counts on the canvas, in the inspector and the tree.
    void errorsStayLocal() {
        QTemporaryDir dir;
        const QString path = dir.filePath("broken.json");
        {
            std::ofstream out(path.toStdString());
            out << R"({"format": "modulelab-model", "version": 1, "model": "Net", "definitions": {"Net": {
                "inputs": [{"name": "x", "shape": [10]}],
                "children": {"trunk": {"type": "Linear", "args": {"out_features": 8}},
                             "head": {"type": "Linear", "args": {"out_features": 3}},
                             "bad": {"type": "Conv2d", "args": {"out_channels": 4, "kernel_size": 3}},
                             "after_bad": {"type": "Linear", "args": {"out_features": 2}}},
                "nodes": [{"id": "h", "call": "trunk", "in": ["x"]}, {"id": "a", "call": "head", "in": ["h"]},
                          {"id": "b", "call": "bad", "in": ["h"]}, {"id": "c", "call": "after_bad", "in": ["b"]}],
                "outputs": [{"name": "ya", "from": "a"}, {"name": "yb", "from": "c"}, {"name": "yz", "from": ""}]}}})";
        }
        Window s;
        STEP(s.show());
        QVERIFY(s.w.openFile(path));
        settle();
        GraphModel* m = s.e()->model();
        QCOMPARE(shapeText(*m->outputType("", "Net", {"h", 0})), QString("[N, 8]"));
        QCOMPARE(shapeText(*m->outputType("", "Net", {"a", 0})), QString("[N, 3]"));
        QCOMPARE(shapeText(*m->outputType("", "Net", {"b", 0})), QString("?"));
        QCOMPARE(shapeText(*m->outputType("", "Net", {"c", 0})), QString("?"));
        // The canvas labels: counts where sizes are known, the error only where it is.
        const NodeLook h = lookOf(*m, "Net", "", "h"), a = lookOf(*m, "Net", "", "a"), b = lookOf(*m, "Net", "", "b"),
                       c = lookOf(*m, "Net", "", "c"), yz = lookOf(*m, "Net", "", "output:yz");
        QCOMPARE(h.params, QString("88 params"));
        QCOMPARE(a.params, QString("27 params"));
        QCOMPARE(c.params, QString());
        QVERIFY(!h.error && !a.error && !c.error);
        QVERIFY(b.error && yz.error);
        QCOMPARE(yz.tooltip, QString("Error: Net, output 'yz': the output 'yz' is not connected. Fix: drag a wire "
                                     "from a node's output port to the output 'yz'."));
        QVERIFY2(b.tooltip.startsWith("Error: bad, input (from node 'b' of Net): Conv2d expects [N, C, H, W] but its "
                                      "input is [N, 8]."),
                 qPrintable(b.tooltip));
        // Downstream of the problem: a "?" that names it (the tooltip the canvas shows on hover).
        QCOMPARE(c.waitsFor, QStringList{"b"});
        QVERIFY(h.waitsFor.isEmpty() && a.waitsFor.isEmpty() && b.waitsFor.isEmpty());
        const QString waitTip = s.e()->scene()->nodeItem("c")->toolTip();
        QVERIFY2(waitTip.startsWith("Sizes unknown (?): they wait for bad (node b) upstream, Conv2d expects [N, C, H, W]"),
                 qPrintable(waitTip));
        QCOMPARE(lookOf(*m, "Net", "", "output:yb").waitsFor, QStringList{"b"});
        // The inspector of a node the problems do not touch shows its count.
        STEP(s.select("a"));
        QStringList texts;
        for (QLabel* l : inspector(s.w)->findChildren<QLabel*>()) texts << l->text();
        QVERIFY2(texts.contains("27 params"), qPrintable(texts.join(" | ")));
        QVERIFY(!texts.join(' ').contains("Error"));
        // The module tree: trunk and head counted, after_bad unknown (not 0), total 88 + 27.
        auto* tree = s.w.findChild<ModuleTreeView*>()->findChild<QTreeWidget*>();
        std::map<QString, QString> params;
        for (QTreeWidgetItemIterator it(tree); *it; ++it) params[(*it)->text(0).section(':', 0, 0)] = (*it)->text(2);
        QCOMPARE(params["trunk"], QString("88"));
        QCOMPARE(params["head"], QString("27"));
        QCOMPARE(params["after_bad"], QString("?"));
        QCOMPARE(params["Net"], QString("115"));
        QCOMPARE(m->analysis().tree.uniqueParameterCount(), Index(115));
    }

    // What the editor says is in its words: no JSON keys or pointers, no parser output.
    void messagesInUsersWords() {
        Window s;
        STEP(s.show());
        QAction* paste = nullptr;
        for (QAction* act : s.w.findChildren<QAction*>())
            if (act->text() == "&Paste") paste = act;
        QVERIFY(paste);
        const std::string before = io::modelToString(s.e()->model()->document());
        const int steps = s.e()->undoStack()->count();
        auto pasteText = [&](const QString& text) {
            QApplication::clipboard()->setText(text);
            paste->trigger();
            settle();
            return s.w.statusBar()->currentMessage();
        };
        const QString hint = " Select nodes and press Ctrl+C to copy them.";
        QCOMPARE(pasteText("conv1 = nn.Conv2d(3, 64, 3)"),
                 "Paste: nothing pasted; the clipboard holds text, not nodes copied from ModuleLab." + hint);
        QCOMPARE(pasteText(R"({"nodes": []})"), "Paste: nothing pasted; the clipboard holds data that is not from ModuleLab." + hint);
        QCOMPARE(pasteText(R"({"format": "modulelab-model", "version": 1, "model": "C", "definitions": {"C": {"outputs": 3}}})"),
                 "Paste: nothing pasted; the copied nodes cannot be read back (the text was changed after copying)." + hint);
        // Nothing lost: the document, the undo history and the clipboard are as they were.
        QCOMPARE(io::modelToString(s.e()->model()->document()), before);
        QCOMPARE(s.e()->undoStack()->count(), steps);
        QCOMPARE(QApplication::clipboard()->text(),
                 QString(R"({"format": "modulelab-model", "version": 1, "model": "C", "definitions": {"C": {"outputs": 3}}})"));

        // An output added in the inspector and not yet wired: the Diagnostics dock says how, in the window's terms.
        STEP(s.selectNothing());
        QLineEdit* newName = nullptr;
        for (QLineEdit* l : inspector(s.w)->findChildren<QLineEdit*>())
            if (l->placeholderText() == "new output name") newName = l;
        QVERIFY(newName);
        QTest::keyClicks(newName, "z");
        STEP(s.press("Add output"));
        auto* list = s.w.findChild<DiagnosticsView*>()->findChild<QListWidget*>();
        QCOMPARE(list->count(), 1);
        QCOMPARE(list->item(0)->text(), QString("Model, output 'z': the output 'z' is not connected.\nFix: drag a wire from "
                                                "a node's output port to the output 'z'."));
        QVERIFY(!list->item(0)->toolTip().contains("[at"));
        QVERIFY(!list->item(0)->toolTip().contains("\"from\""));
        // The file's words stay where a file is read: the CLI's fix names the key.
        QCOMPARE(QString::fromStdString(s.e()->model()->analysis().diagnostics[0].fix),
                 QString("set \"from\" to a node of Model."));
    }

    // A wire from [N, 5] released on empty canvas offers what takes [N, 5]: Linear, not Conv2d.
    void addMenuOnWireFitsShape() {
        Window s;
        STEP(s.show());
        STEP(s.set("input:x", {{"inputShape", "5"}}));
        NodeItem* x = s.e()->scene()->nodeItem("input:x");
        const QPoint from = s.v()->mapFromScene(x->outPortScenePos(0));
        const QPoint to = s.at(200, 300);
        QTest::mousePress(s.v()->viewport(), Qt::LeftButton, {}, from);
        QMouseEvent move(QEvent::MouseMove, QPointF(to), s.v()->viewport()->mapToGlobal(QPointF(to)), Qt::NoButton,
                         Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(s.v()->viewport(), &move);
        QTest::mouseRelease(s.v()->viewport(), Qt::LeftButton, {}, to);
        settle();
        auto* popup = s.v()->findChild<SearchPopup*>();
        QVERIFY(popup);
        QStringList offered;
        for (int i = 0; i < popup->list()->count(); ++i) offered << popup->list()->item(i)->data(Qt::UserRole).toString();
        for (const char* fits : {"layer:Linear", "layer:ReLU", "layer:BatchNorm1d", "layer:LayerNorm", "op:relu",
                                 "container:Sequential"})
            QVERIFY2(offered.contains(fits), fits);
        for (const char* not4d : {"layer:Conv2d", "layer:BatchNorm2d", "layer:MaxPool2d", "layer:AvgPool2d",
                                  "layer:AdaptiveAvgPool2d"})
            QVERIFY2(!offered.contains(not4d), not4d);
        popup->setFilter("Linear");
        QTest::keyClick(popup->findChild<QLineEdit*>(), Qt::Key_Return);
        settle();
        const ModuleInstance* linear = s.e()->model()->childInstance("", "linear1");
        QVERIFY(linear);
        QCOMPARE(linear->args["in_features"].get<Index>(), Index(5));
        // A Conv2d dropped from the palette onto the wire x -> linear1 is refused with the rule's reason.
        QSignalSpy said(s.e(), &Editor::message);
        const QPointF mid = (x->outPortScenePos(0) + s.e()->scene()->nodeItem("linear1")->inPortScenePos(0)) / 2;
        const int nodes = static_cast<int>(s.def()->nodes.size());
        s.dropAt("layer:Conv2d", s.v()->mapFromScene(mid));
        QCOMPARE(static_cast<int>(s.def()->nodes.size()), nodes);
        QVERIFY(!said.isEmpty());
        QCOMPARE(said.back()[0].toString(), QString("Insert refused: Conv2d does not fit the wire's [N, 5]: Conv2d expects "
                                                    "[N, C, H, W] but its input is [N, 5]."));
    }

    // The class name: edited in the background inspector, with Python's rules and no clashes.
    void renameDefinition() {
        Window s;
        STEP(s.show());
        STEP(s.drop("block:+", 0, 260, "block1"));
        const QString block = QString::fromStdString(s.e()->model()->calledSpec("Model", "block1")->type);
        QSignalSpy said(s.e(), &Editor::message);
        auto refused = [&](const QString& name, const QString& why) {
            STEP(s.selectNothing());
            STEP(s.type("definitionName", name));
            QCOMPARE(QString::fromStdString(s.e()->model()->document().model), QString("Model"));
            QVERIFY(!said.isEmpty());
            QVERIFY2(said.back()[0].toString().contains(why), qPrintable(said.back()[0].toString()));
            QCOMPARE(inspector(s.w)->findChild<QLineEdit*>("definitionName")->text(), QString("Model"));
        };
        STEP(refused("2Net", "not a valid class name"));
        STEP(refused("class", "Python keyword"));
        STEP(refused("Linear", "built-in PyTorch module"));
        STEP(refused("Sequential", "built-in PyTorch module"));
        STEP(refused(block, "already a definition named '" + block + "'"));
        STEP(s.renameClass("TwoStage"));
        QVERIFY(s.e()->model()->position("TwoStage", "input:x")); // the layout follows
        QVERIFY(!s.e()->model()->position("Model", "input:x"));
        QVERIFY(s.e()->scene()->nodeItem("block1"));
        // A block's class, renamed from inside it: its uses follow, and the breadcrumb.
        QVERIFY(s.e()->enterNode("block1"));
        settle();
        STEP(s.type("definitionName", "Stage"));
        QCOMPARE(s.e()->definitionName(), QString("Stage"));
        QCOMPARE(QString::fromStdString(s.e()->model()->calledSpec("TwoStage", "block1")->type), QString("Stage"));
        // Undo puts back the old names and the editor shows what exists.
        s.e()->undoStack()->undo();
        settle();
        QCOMPARE(s.e()->definitionName(), block);
        s.e()->undoStack()->undo();
        settle();
        QCOMPARE(s.e()->levels().front().definition, QString("Model"));
        QVERIFY(s.e()->scene()->nodeItems().size() > 0);
    }

    // A file opened before the window shows (argv) is fitted once the window has
    // its size; entering a block opens it where its labels are drawn (zoom >= 0.6).
    void firstFrameIsFittedAndReadable() {
        MainWindow w;
        w.setPromptsEnabled(false);
        QVERIFY(w.openFile(QString::fromStdString(kSource + "/resources/examples/resnet.json")));
        w.resize(1400, 900);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        settle();
        EditorView* v = w.view();
        const QRect seen = v->viewport()->rect();
        QRect nodes;
        for (const auto& [k, item] : w.editor()->scene()->nodeItems()) nodes |= v->mapFromScene(item->sceneBoundingRect()).boundingRect();
        QVERIFY2(seen.contains(nodes), "every node is in view");
        // Not a dot: the fit fills the view along the graph's longer side (which
        // side that is depends on the fonts' metrics, so either may be).
        QVERIFY2(nodes.width() > seen.width() / 2 || nodes.height() > seen.height() / 2,
                 qPrintable(QString("%1 x %2 in %3 x %4").arg(nodes.width()).arg(nodes.height()).arg(seen.width()).arg(seen.height())));
        QVERIFY(w.editor()->enterNode("h1"));
        settle();
        QVERIFY2(v->transform().m11() >= 0.6, qPrintable(QString::number(v->transform().m11())));
        QVERIFY(v->transform().m11() <= 1.5);
        if (qEnvironmentVariableIsSet("MODULELAB_SHOT_BLOCK")) w.grab().save(qEnvironmentVariable("MODULELAB_SHOT_BLOCK"));
    }

    // F2 opens the in-place name field on the node's title, its name selected; a double-click on a title selects it for renaming.
    void renameWithF2AndTitleDoubleClick() {
        Window s;
        STEP(s.show());
        MainWindow& w = s.w;
        Editor* e = s.e();
        STEP(s.drop("layer:Linear", 0, 260, "linear1"));
        STEP(s.select("linear1"));
        QTest::keyClick(w.view()->viewport(), Qt::Key_F2);
        settle();
        auto* edit = w.view()->viewport()->findChild<QLineEdit*>("titleEditor");
        QVERIFY(edit);
        QCOMPARE(QApplication::focusWidget(), edit);
        QCOMPARE(edit->selectedText(), QString("linear1"));
        QTest::keyClicks(edit, "encoder");
        QTest::keyClick(edit, Qt::Key_Return);
        settle();
        QVERIFY(e->model()->document().findDefinition("Model")->findChild("encoder"));
        // Double-click on input x's title: its Name field.
        NodeItem* x = e->scene()->nodeItem("input:x");
        const QPoint title = w.view()->mapFromScene(x->sceneBoundingRect().topLeft() + QPointF(20, 8));
        QWidget* vp = w.view()->viewport();
        for (QEvent::Type t : {QEvent::MouseButtonPress, QEvent::MouseButtonRelease, QEvent::MouseButtonDblClick,
                               QEvent::MouseButtonRelease}) {
            const bool down = t != QEvent::MouseButtonRelease;
            QMouseEvent ev(t, QPointF(title), vp->mapToGlobal(QPointF(title)), Qt::LeftButton,
                           down ? Qt::LeftButton : Qt::NoButton, Qt::NoModifier);
            QApplication::sendEvent(vp, &ev);
        }
        settle();
        auto* port = inspector(w)->findChild<QLineEdit*>("portName");
        QVERIFY(port);
        QCOMPARE(e->scene()->selectedKeys(), QStringList{"input:x"});
    }

    void renameRefusesClashesAndBadNames() {
        Editor e;
        const QString a = e.addFromPalette("layer:Linear", {200, 0});
        const QString b = e.addFromPalette("layer:Linear", {200, 200});
        QSignalSpy said(&e, &Editor::message);
        QVERIFY(!e.renameChild(b, a));
        QVERIFY(said.back()[0].toString().contains("already"));
        QVERIFY(!e.renameChild(b, "head.0"));
        QVERIFY(said.back()[0].toString().contains("dot"));
        QVERIFY(!e.renameChild(b, "2nd"));
        QVERIFY(e.renameChild(b, "head"));
        QVERIFY(e.model()->document().findDefinition("Model")->findChild("head"));
        QVERIFY(e.model()->document().findDefinition("Model")->findNode("head"));
    }
};

QTEST_MAIN(TestBuildModels)
#include "tst_build_models.moc"
