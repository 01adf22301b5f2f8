// A newcomer builds the tutorial's models from an empty window through the
// gestures the window offers: palette drops, wire drags between ports, the
// inspector's fields (shape, kind, names, item arguments). The saved file's
// state_dict() must be PyTorch's (tests/fixtures/<model>/state_dict.json).
#include "app/MainWindow.h"
#include "editor/Editor.h"
#include "editor/EditorScene.h"
#include "editor/EditorView.h"
#include "editor/Inspector.h"
#include "editor/NodeItem.h"
#include "editor/PaletteEntries.h"
#include "io/ModelJson.h"
#include "shape/Summary.h"
#include "shape/Analysis.h"

#include <QComboBox>
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

// A wire dragged with the mouse from output `outPort` of `from` to input `inPort` of `to`.
void wire(MainWindow& w, const QString& from, int outPort, const QString& to, int inPort) {
    EditorView* v = w.view();
    NodeItem* a = w.editor()->scene()->nodeItem(from);
    NodeItem* b = w.editor()->scene()->nodeItem(to);
    QVERIFY(a && b);
    const QPoint p = v->mapFromScene(a->outPortScenePos(outPort));
    const QPoint q = v->mapFromScene(b->inPortScenePos(inPort));
    QTest::mousePress(v->viewport(), Qt::LeftButton, {}, p);
    QMouseEvent move(QEvent::MouseMove, QPointF(q), v->viewport()->mapToGlobal(QPointF(q)), Qt::NoButton,
                     Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(v->viewport(), &move);
    QTest::mouseRelease(v->viewport(), Qt::LeftButton, {}, q);
    settle();
}

// A click on the node's header selects it (as a person would).
void select(MainWindow& w, const QString& key) {
    NodeItem* n = w.editor()->scene()->nodeItem(key);
    QVERIFY2(n, qPrintable(key));
    const QPoint at = w.view()->mapFromScene(n->sceneBoundingRect().topLeft() + QPointF(12, 8));
    QTest::mouseClick(w.view()->viewport(), Qt::LeftButton, {}, at);
    settle();
    QCOMPARE(w.editor()->scene()->selectedKeys(), QStringList{key});
}

Inspector* inspector(MainWindow& w) { return w.findChild<Inspector*>(); }

// Types `text` into the inspector field `name` and presses Return.
void type(MainWindow& w, const QString& name, const QString& text) {
    auto* edit = inspector(w)->findChild<QLineEdit*>(name);
    QVERIFY2(edit, qPrintable(name));
    edit->setFocus();
    edit->selectAll();
    QTest::keyClicks(edit, text);
    QTest::keyClick(edit, Qt::Key_Return);
    settle();
}

QPoint viewPointOf(MainWindow& w, QPointF scene) { return w.view()->mapFromScene(scene); }

// The saved file's state_dict() against PyTorch's, name by name.
void compareWithFixture(const QString& path, const std::string& fixture, qlonglong parameters) {
    const ModelDocument doc = io::readModelFile(path.toStdString());
    const Analysis a = analyze(doc);
    QVERIFY2(a.ok(), a.diagnostics.empty() ? "" : a.diagnostics.front().message.c_str());
    std::ifstream in(kSource + "/tests/fixtures/" + fixture + "/state_dict.json");
    const Json torch = Json::parse(in);
    const Json ours = summaryJson(doc, a);
    const Json& expected = torch["state_dict"];
    const Json& actual = ours["state_dict"];
    QCOMPARE(actual.size(), expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
        QCOMPARE(QString::fromStdString(actual[i]["name"].get<std::string>()),
                 QString::fromStdString(expected[i]["name"].get<std::string>()));
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
        MainWindow w;
        w.setPromptsEnabled(false);
        w.resize(1200, 800);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        Editor* e = w.editor();
        STEP(select(w, "input:x"));
        STEP(type(w, "inputShape", typed));
        const BlockInput& x = e->model()->document().findDefinition("Model")->inputs[0];
        QVERIFY(x.shape);
        QCOMPARE(QString::fromStdString(Json(*x.shape).dump()), shape);
        // A bad size is refused with a message naming it; nothing changes.
        QSignalSpy said(e, &Editor::message);
        type(w, "inputShape", "3, x");
        QCOMPARE(said.size(), 1);
        QVERIFY2(said[0][0].toString().contains("'x' in the shape"), qPrintable(said[0][0].toString()));
        QCOMPARE(QString::fromStdString(Json(*e->model()->document().findDefinition("Model")->inputs[0].shape).dump()), shape);
    }

    void newDocumentHasNoHintAsDoc() {
        Editor e;
        e.newDocument();
        QVERIFY(e.model()->document().findDefinition("Model")->doc.empty());
    }

    void buildMultiTaskNetwork() {
        MainWindow w;
        w.setPromptsEnabled(false);
        w.resize(1400, 900);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        Editor* e = w.editor();
        EditorView* v = w.view();
        const QPointF x0 = e->scene()->nodeItem("input:x")->sceneBoundingRect().center();
        auto at = [&](double dx, double dy) { return viewPointOf(w, x0 + QPointF(dx, dy)); };

        // forward(x, task_index): a second input made an int64 index in the inspector.
        e->scene()->clearSelection();
        settle();
        QLineEdit* newName = nullptr;
        for (QLineEdit* l : inspector(w)->findChildren<QLineEdit*>())
            if (l->placeholderText() == "new input name") newName = l;
        QVERIFY(newName);
        QTest::keyClicks(newName, "task_index");
        for (QPushButton* b : inspector(w)->findChildren<QPushButton*>())
            if (b->text() == "Add input") QTest::mouseClick(b, Qt::LeftButton);
        settle();
        const BlockDef* m = e->model()->document().findDefinition("Model");
        QCOMPARE(m->inputs.size(), size_t(2));
        QVERIFY(m->inputs[1].shape); // a new input starts with a shape (no error to chase)
        STEP(select(w, "input:task_index"));
        auto* kind = inspector(w)->findChild<QComboBox*>("inputKind");
        QVERIFY(kind);
        QTest::keyClick(kind, Qt::Key_Down);
        settle();
        QCOMPARE(e->model()->document().findDefinition("Model")->inputs[1].dtype, DType::Int64);

        // self.shared_layer = Linear(10, 5): dropped, renamed, out_features typed.
        STEP(drop(v, "layer:Linear", at(0, 260)));
        STEP(select(w, "linear1"));
        STEP(type(w, "childName", "shared_layer"));
        STEP(select(w, "shared_layer"));
        STEP(type(w, "arg_out_features", "5"));
        STEP(drop(v, "op:relu", at(260, 260)));
        // self.task_layers = ModuleList([Linear(5, 2), Linear(5, 3), Linear(5, 1)]).
        STEP(drop(v, "container:ModuleList", at(520, 260)));
        const QString list = "list1";
        QVERIFY(e->scene()->nodeItem(list));
        for (int i = 0; i < 3; ++i)
            STEP(drop(v, "layer:Linear", viewPointOf(w, e->scene()->nodeItem(list)->sceneBoundingRect().center())));
        STEP(select(w, list));
        STEP(type(w, "item0_arg_out_features", "2"));
        STEP(type(w, "item1_arg_out_features", "3"));
        STEP(type(w, "item2_arg_out_features", "1"));
        STEP(type(w, "childName", "task_layers"));

        // The wires, dragged port to port; task_index into the call's index port (its last input).
        STEP(wire(w, "input:x", 0, "shared_layer", 0));
        STEP(wire(w, "shared_layer", 0, "relu1", 0));
        STEP(wire(w, "relu1", 0, "task_layers", 0));
        STEP(wire(w, "input:task_index", 0, "task_layers", e->model()->inputPortCount("Model", "task_layers") - 1));
        STEP(wire(w, "task_layers", 0, "output:y", 0));

        const Node* call = e->model()->document().findDefinition("Model")->findNode("task_layers");
        QVERIFY(call);
        QCOMPARE(call->indexInput, std::string("task_index"));
        QCOMPARE(shapeText(*e->model()->outputType("", "Model", {"task_layers", 0})),
                 QString("[N, 2] | [N, 3] | [N, 1] (by task_index)"));
        QCOMPARE(e->model()->analysis().tree.uniqueParameterCount(), Index(91));

        QTemporaryDir dir;
        const QString path = dir.filePath("multitask.json");
        QString error;
        QVERIFY2(e->saveFile(path, &error), qPrintable(error));
        compareWithFixture(path, "multitask", 91);
        if (qEnvironmentVariableIsSet("MODULELAB_SHOT")) {
            v->frameAll();
            settle();
            w.grab().save(qEnvironmentVariable("MODULELAB_SHOT"));
        }
    }

    void buildSimpleCnn() {
        MainWindow w;
        w.setPromptsEnabled(false);
        w.resize(1400, 900);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        Editor* e = w.editor();
        EditorView* v = w.view();
        const QPointF x0 = e->scene()->nodeItem("input:x")->sceneBoundingRect().center();
        auto at = [&](double dx, double dy) { return viewPointOf(w, x0 + QPointF(dx, dy)); };
        STEP(select(w, "input:x"));
        STEP(type(w, "inputShape", "3, 32, 32"));

        // self.features = Sequential(Conv2d(3, 16, 3, padding=1), ReLU(), MaxPool2d(2, 2), Conv2d(16, 32, ...), ...)
        STEP(drop(v, "container:Sequential", at(0, 260)));
        auto into = [&](const QString& node, const QString& entry) {
            drop(v, entry, viewPointOf(w, e->scene()->nodeItem(node)->sceneBoundingRect().center()));
        };
        for (const char* entry : {"layer:Conv2d", "layer:ReLU", "layer:MaxPool2d", "layer:Conv2d", "layer:ReLU", "layer:MaxPool2d"})
            STEP(into("seq1", entry));
        STEP(select(w, "seq1"));
        STEP(type(w, "item0_arg_padding", "1"));
        STEP(type(w, "item2_arg_stride", "2"));
        STEP(type(w, "item3_arg_out_channels", "32"));
        STEP(type(w, "item3_arg_padding", "1"));
        STEP(type(w, "item5_arg_stride", "2"));
        STEP(type(w, "childName", "features"));
        // self.classifier = Sequential(Flatten(), Linear(2048, 128), ReLU(), Linear(128, 10))
        STEP(drop(v, "container:Sequential", at(420, 260)));
        for (const char* entry : {"layer:Flatten", "layer:Linear", "layer:ReLU", "layer:Linear"}) STEP(into("seq1", entry));
        STEP(select(w, "seq1"));
        STEP(type(w, "item1_arg_out_features", "128"));
        STEP(type(w, "item3_arg_out_features", "10"));
        STEP(type(w, "childName", "classifier"));

        STEP(wire(w, "input:x", 0, "features", 0));
        STEP(wire(w, "features", 0, "classifier", 0));
        STEP(wire(w, "classifier", 0, "output:y", 0));
        QCOMPARE(shapeText(*e->model()->outputType("", "Model", {"features", 0})), QString("[N, 32, 8, 8]"));
        QCOMPARE(e->model()->analysis().tree.uniqueParameterCount(), Index(268650));
        QTemporaryDir dir;
        const QString path = dir.filePath("simple_cnn.json");
        QString error;
        QVERIFY2(e->saveFile(path, &error), qPrintable(error));
        compareWithFixture(path, "simple_cnn", 268650);
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
        QVERIFY2(nodes.width() > seen.width() / 2, qPrintable(QString::number(nodes.width()))); // not a dot
        QVERIFY(w.editor()->enterNode("h1"));
        settle();
        QVERIFY2(v->transform().m11() >= 0.6, qPrintable(QString::number(v->transform().m11())));
        QVERIFY(v->transform().m11() <= 1.5);
        if (qEnvironmentVariableIsSet("MODULELAB_SHOT_BLOCK")) w.grab().save(qEnvironmentVariable("MODULELAB_SHOT_BLOCK"));
    }

    // F2 puts the keyboard in the inspector's Name field; a double-click on a title selects it for renaming.
    void renameWithF2AndTitleDoubleClick() {
        MainWindow w;
        w.setPromptsEnabled(false);
        w.resize(1400, 900);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        Editor* e = w.editor();
        const QPointF x0 = e->scene()->nodeItem("input:x")->sceneBoundingRect().center();
        STEP(drop(w.view(), "layer:Linear", viewPointOf(w, x0 + QPointF(0, 260))));
        STEP(select(w, "linear1"));
        QTest::keyClick(w.view()->viewport(), Qt::Key_F2);
        settle();
        auto* edit = inspector(w)->findChild<QLineEdit*>("childName");
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
