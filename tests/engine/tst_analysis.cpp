// Shape inference and model diagnostics (shape/Analysis.h): every port's
// shape for the examples and for hand-made models, inferred arguments, and a
// table of broken models, each with the exact diagnostics analyze() gives
// (module path, where, message, fix and JSON pointer).
#include "io/ModelJson.h"
#include "shape/Summary.h"
#include "shape/Analysis.h"

#include <QElapsedTimer>
#include <QTest>

using ml::Json;

namespace {

const std::string kSourceDir = MODULELAB_SOURCE_DIR;

std::string examplePath(const std::string& name) { return kSourceDir + "/resources/examples/" + name + ".json"; }

// A model of one block "Net" with the given inputs, children, nodes and outputs.
std::string net(const std::string& inputs, const std::string& children, const std::string& nodes,
                const std::string& outputs = R"([{"name": "y", "from": "y"}])", const std::string& more = "") {
    return R"({"format": "modulelab-model", "version": 1, "model": "Net", "definitions": {"Net": {"inputs": )" +
           inputs + R"(, "children": )" + children + R"(, "nodes": )" + nodes + R"(, "outputs": )" + outputs + "}" +
           more + "}}";
}

std::string replaced(std::string text, const std::string& from, const std::string& to) {
    const size_t at = text.find(from);
    if (at == std::string::npos) qFatal("pattern not found: %s", from.c_str());
    return text.replace(at, from.size(), to);
}

QString diagnosticsOf(const ml::Analysis& a) {
    QStringList lines;
    for (const ml::Diagnostic& d : a.diagnostics) lines << QString::fromStdString(d.toString());
    return lines.join('\n');
}

ml::Analysis analyzeText(const std::string& text, const ml::AnalysisOptions& options = {}) {
    return ml::analyze(ml::io::parseModel(text), options);
}

const ml::ModuleInstance* findModule(const ml::Analysis& a, const std::string& path) {
    for (const ml::ModuleInstance& m : a.tree.instances)
        if (m.path == path) return &m;
    return nullptr;
}

QString outputOf(const ml::Analysis& a, const std::string& path) {
    const ml::ModuleInstance* m = findModule(a, path);
    if (!m) return "<no module " + QString::fromStdString(path) + ">";
    QStringList s;
    for (const ml::TensorType& t : m->outputTypes) s << QString::fromStdString(ml::typeToString(t));
    return s.join(", ");
}

} // namespace

class TestAnalysis : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void examples_data();
    void examples();
    void exampleModuleShapes_data();
    void exampleModuleShapes();
    void tutorialResNetFailsAtBlock1();
    void inferredArguments();
    void inferredArgumentsInBlocks();
    void shapes_data();
    void shapes();
    void badModel_data();
    void badModel();
    void diagnosticFields();
    void parameterCap();
    void deepModuleNesting();
    void warningsDoNotInvalidate();
    void errorsStayLocal();
    void nameRules_data();
    void nameRules();
};

void TestAnalysis::examples_data() {
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("inputs");
    QTest::addColumn<QString>("outputs");
    QTest::addColumn<qlonglong>("unique");
    QTest::addColumn<qlonglong>("naive");
    QTest::newRow("multitask") << "multitask" << "[N, 10]; int64" << "[N, 2] | [N, 3] | [N, 1] (by task_index)"
                               << 91LL << 91LL;
    QTest::newRow("simple_cnn") << "simple_cnn" << "[N, 3, 32, 32]" << "[N, 10]" << 268650LL << 268650LL;
    QTest::newRow("resnet") << "resnet" << "[N, 3, 32, 32]" << "[N, 10]" << 270986LL << 270986LL;
    // The encoder (8*16+16 + 16*8+8 = 280) runs twice; the head (17) once.
    QTest::newRow("siamese") << "siamese" << "[N, 8]; [N, 8]" << "[N, 1]" << 297LL << 577LL;
}

void TestAnalysis::examples() {
    QFETCH(QString, name);
    QFETCH(QString, inputs);
    QFETCH(QString, outputs);
    QFETCH(qlonglong, unique);
    QFETCH(qlonglong, naive);
    const ml::Analysis a = ml::analyze(ml::io::readModelFile(examplePath(name.toStdString())));
    QCOMPARE(diagnosticsOf(a), QString());
    QVERIFY(a.ok());
    QStringList in, out;
    for (const ml::TensorType& t : a.inputTypes) in << QString::fromStdString(ml::typeToString(t));
    for (const ml::TensorType& t : a.outputTypes) out << QString::fromStdString(ml::typeToString(t));
    QCOMPARE(in.join("; "), inputs);
    QCOMPARE(out.join("; "), outputs);
    QCOMPARE(qlonglong(a.tree.uniqueParameterCount()), unique);
    QCOMPARE(qlonglong(a.tree.naiveParameterCount()), naive);
}

void TestAnalysis::exampleModuleShapes_data() {
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("output");
    QTest::addColumn<int>("calls");
    QTest::newRow("simple_cnn conv1") << "simple_cnn" << "features.0" << "[N, 16, 32, 32]" << 1;
    QTest::newRow("simple_cnn pool1") << "simple_cnn" << "features.2" << "[N, 16, 16, 16]" << 1;
    QTest::newRow("simple_cnn features") << "simple_cnn" << "features" << "[N, 32, 8, 8]" << 1;
    QTest::newRow("simple_cnn flatten") << "simple_cnn" << "classifier.0" << "[N, 2048]" << 1;
    QTest::newRow("simple_cnn classifier") << "simple_cnn" << "classifier" << "[N, 10]" << 1;
    QTest::newRow("multitask shared") << "multitask" << "shared_layer" << "[N, 5]" << 1;
    QTest::newRow("multitask head 1") << "multitask" << "task_layers.1" << "[N, 3]" << 1;
    QTest::newRow("multitask list") << "multitask" << "task_layers" << "[N, 2] | [N, 3] | [N, 1] (by task_index)" << 1;
    QTest::newRow("resnet block1") << "resnet" << "block1" << "[N, 64, 32, 32]" << 1;
    QTest::newRow("resnet block2 shortcut") << "resnet" << "block2.shortcut" << "[N, 128, 32, 32]" << 1;
    QTest::newRow("resnet pool") << "resnet" << "pool" << "[N, 128, 1, 1]" << 1;
    QTest::newRow("siamese encoder") << "siamese" << "encoder" << "[N, 8]" << 2;
    QTest::newRow("siamese encoder.0") << "siamese" << "encoder.0" << "[N, 16]" << 2;
    QTest::newRow("siamese head") << "siamese" << "head" << "[N, 1]" << 1;
}

void TestAnalysis::exampleModuleShapes() {
    QFETCH(QString, name);
    QFETCH(QString, path);
    QFETCH(QString, output);
    QFETCH(int, calls);
    const ml::Analysis a = ml::analyze(ml::io::readModelFile(examplePath(name.toStdString())));
    QCOMPARE(outputOf(a, path.toStdString()), output);
    QCOMPARE(findModule(a, path.toStdString())->callCount, calls);
}

void TestAnalysis::tutorialResNetFailsAtBlock1() {
    const ml::Analysis a = ml::analyze(ml::io::readModelFile(examplePath("resnet_tutorial")));
    QVERIFY(!a.ok());
    // block1 adds the 3-channel input to its 64-channel output; block2 (64 ->
    // 128) fails the same way, since inference carries on past block1 with
    // the shape its convolutions would give.
    QCOMPARE(diagnosticsOf(a),
             QString("error: block1, node 'sum' (add): cannot add 'x' [N, 3, 32, 32] to 'b2' [N, 64, 32, 32]: "
                     "channel mismatch (3 vs 64). Fix: add a 1x1 Conv2d(3, 64, kernel_size=1) + BatchNorm2d(64) "
                     "projection on the shortcut 'x'. [at /definitions/ResidualBlock/nodes/5]"));
    const ml::Diagnostic& d = a.diagnostics.front();
    QCOMPARE(QString::fromStdString(d.code), QString("shape-mismatch"));
    QCOMPARE(QString::fromStdString(d.path), QString("block1"));
    QCOMPARE(QString::fromStdString(d.definition), QString("ResidualBlock"));
    QCOMPARE(QString::fromStdString(d.node), QString("sum"));
}

void TestAnalysis::inferredArguments() {
    // in_features, in_channels, num_features and normalized_shape left out.
    const ml::Analysis a = analyzeText(net(
        R"([{"name": "x", "shape": [3, 8, 8]}])",
        R"({"conv": {"type": "Conv2d", "args": {"out_channels": 4, "kernel_size": 3, "stride": 2}},
            "bn": {"type": "BatchNorm2d"},
            "fc": {"type": "Linear", "args": {"out_features": 5}},
            "ln": {"type": "LayerNorm"}})",
        R"([{"id": "c", "call": "conv", "in": ["x"]}, {"id": "b", "call": "bn", "in": ["c"]},
            {"id": "f", "op": "flatten", "in": ["b"]}, {"id": "h", "call": "fc", "in": ["f"]},
            {"id": "y", "call": "ln", "in": ["h"]}])"));
    QCOMPARE(diagnosticsOf(a), QString());
    QCOMPARE(findModule(a, "conv")->args["in_channels"].get<ml::Index>(), ml::Index(3));
    QCOMPARE(QString::fromStdString(ml::moduleRepr(*findModule(a, "conv"))),
             QString("Conv2d(3, 4, kernel_size=(3, 3), stride=(2, 2))"));
    QCOMPARE(findModule(a, "bn")->args["num_features"].get<ml::Index>(), ml::Index(4));
    QCOMPARE(findModule(a, "fc")->args["in_features"].get<ml::Index>(), ml::Index(36));
    QCOMPARE(QString::fromStdString(findModule(a, "ln")->args["normalized_shape"].dump()), QString("[5]"));
    QCOMPARE(outputOf(a, "conv"), QString("[N, 4, 3, 3]"));
    QStringList state;
    for (const ml::StateEntry& e : a.tree.stateDict())
        state << QString::fromStdString(e.name + " " + ml::dimsToString(e.shape));
    QCOMPARE(state.join("; "),
             QString("conv.weight [4, 3, 3, 3]; conv.bias [4]; bn.weight [4]; bn.bias [4]; bn.running_mean [4]; "
                     "bn.running_var [4]; bn.num_batches_tracked []; fc.weight [5, 36]; fc.bias [5]; ln.weight [5]; "
                     "ln.bias [5]"));
    QCOMPARE(a.tree.uniqueParameterCount(), ml::Index(4 * 27 + 4 + 8 + 5 * 36 + 5 + 10));
}

void TestAnalysis::inferredArgumentsInBlocks() {
    // A block whose in_channels is left to inference (parameter default null),
    // instantiated twice with different inputs: each instance infers its own.
    const std::string text = R"({"format": "modulelab-model", "version": 1, "model": "Net", "definitions": {
      "Net": {"inputs": [{"name": "x", "shape": [3, 4, 4]}],
              "children": {"a": {"type": "Stage", "args": {"width": 8}}, "b": {"type": "Stage", "args": {"width": 2}}},
              "nodes": [{"id": "h", "call": "a", "in": ["x"]}, {"id": "y", "call": "b", "in": ["h"]}],
              "outputs": [{"name": "y", "from": "y"}]},
      "Stage": {"parameters": {"in_channels": null, "width": 16},
                "inputs": [{"name": "x"}],
                "children": {"conv": {"type": "Conv2d", "args": {"in_channels": "$in_channels", "out_channels": "$width", "kernel_size": 1}}},
                "nodes": [{"id": "c", "call": "conv", "in": ["x"]}],
                "outputs": [{"name": "c", "from": "c"}]}}})";
    const ml::Analysis a = analyzeText(text);
    QCOMPARE(diagnosticsOf(a), QString());
    QCOMPARE(findModule(a, "a.conv")->args["in_channels"].get<ml::Index>(), ml::Index(3));
    QCOMPARE(findModule(a, "b.conv")->args["in_channels"].get<ml::Index>(), ml::Index(8));
    QCOMPARE(outputOf(a, "b"), QString("[N, 2, 4, 4]"));
    QCOMPARE(a.tree.uniqueParameterCount(), ml::Index(3 * 8 + 8 + 8 * 2 + 2));
}

void TestAnalysis::shapes_data() {
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QString>("output");
    auto row = [](const char* name, const std::string& text, const char* output) {
        QTest::newRow(name) << QByteArray::fromStdString(text) << QString(output);
    };
    auto one = [](const std::string& shape, const std::string& spec) {
        return net(R"([{"name": "x", "shape": )" + shape + "}]", R"({"m": )" + spec + "}",
                   R"([{"id": "y", "call": "m", "in": ["x"]}])");
    };
    // PyTorch's output-size formulas.
    row("conv stride pad dilation", one("[2, 11, 9]", R"({"type": "Conv2d", "args": {"out_channels": 5, "kernel_size": [3, 2], "stride": [2, 1], "padding": [1, 0], "dilation": [2, 3]}})"),
        "[N, 5, 5, 6]");
    row("maxpool default stride", one("[1, 7, 7]", R"({"type": "MaxPool2d", "args": {"kernel_size": 2}})"), "[N, 1, 3, 3]");
    row("maxpool ceil", one("[1, 7, 7]", R"({"type": "MaxPool2d", "args": {"kernel_size": 2, "ceil_mode": true}})"), "[N, 1, 4, 4]");
    row("avgpool pad", one("[1, 5, 5]", R"({"type": "AvgPool2d", "args": {"kernel_size": 3, "stride": 2, "padding": 1}})"), "[N, 1, 3, 3]");
    row("adaptive", one("[6, 5, 7]", R"({"type": "AdaptiveAvgPool2d", "args": {"output_size": [2, 3]}})"), "[N, 6, 2, 3]");
    row("flatten", one("[2, 3, 4]", R"({"type": "Flatten", "args": {"start_dim": 2}})"), "[N, 2, 12]");
    row("linear on 3-D", one("[7, 4]", R"({"type": "Linear", "args": {"out_features": 2}})"), "[N, 7, 2]");
    row("batchnorm1d 3-D", one("[4, 9]", R"({"type": "BatchNorm1d"})"), "[N, 4, 9]");
    row("softmax", one("[4]", R"({"type": "Softmax", "args": {"dim": 1}})"), "[N, 4]");
    row("sequential", one("[3, 8, 8]", R"({"type": "Sequential", "items": [{"type": "Conv2d", "args": {"out_channels": 2, "kernel_size": 3}}, {"type": "ReLU"}, {"type": "Flatten"}, {"type": "Linear", "args": {"out_features": 4}}, {"type": "Dropout"}]})"),
        "[N, 4]");
    row("modulelist chain", net(R"([{"name": "x", "shape": [4]}])",
                                R"({"l": {"type": "ModuleList", "items": [{"type": "Linear", "args": {"out_features": 3}}, {"type": "Tanh"}, {"type": "Linear", "args": {"out_features": 6}}]}})",
                                R"([{"id": "y", "call": "l", "apply": "chain", "in": ["x"]}])"),
        "[N, 6]");
    row("modulelist negative index", net(R"([{"name": "x", "shape": [4]}])",
                                         R"({"l": {"type": "ModuleList", "items": [{"type": "Linear", "args": {"in_features": 4, "out_features": 3}}, {"type": "Linear", "args": {"out_features": 6}}]}})",
                                         R"([{"id": "y", "call": "l", "index": -1, "in": ["x"]}])"),
        "[N, 6]");
    row("runtime index, same shapes", net(R"([{"name": "x", "shape": [4]}, {"name": "k", "dtype": "int64"}])",
                                          R"({"l": {"type": "ModuleList", "items": [{"type": "Linear", "args": {"out_features": 3}}, {"type": "Linear", "args": {"out_features": 3}}]}})",
                                          R"([{"id": "y", "call": "l", "index": "k", "in": ["x"]}])"),
        "[N, 3]");
    row("runtime index flows through ops", net(R"([{"name": "x", "shape": [4]}, {"name": "k", "dtype": "int64"}])",
                                               R"({"l": {"type": "ModuleList", "items": [{"type": "Linear", "args": {"out_features": 3}}, {"type": "Linear", "args": {"out_features": 1}}]}})",
                                               R"([{"id": "h", "call": "l", "index": "k", "in": ["x"]}, {"id": "y", "op": "concat", "in": ["h", "x"]}])"),
        "[N, 7] | [N, 5] (by k)");
    row("concat", net(R"([{"name": "a", "shape": [2, 5]}, {"name": "b", "shape": [3, 5]}])", "{}",
                      R"([{"id": "y", "op": "concat", "args": {"dim": -2}, "in": ["a", "b", "a"]}])"),
        "[N, 7, 5]");
    row("output from an input", net(R"([{"name": "x", "shape": [4]}])", "{}", "[]", R"([{"name": "y", "from": "x"}])"),
        "[N, 4]");
}

void TestAnalysis::shapes() {
    QFETCH(QByteArray, text);
    QFETCH(QString, output);
    const ml::Analysis a = analyzeText(text.toStdString());
    QCOMPARE(diagnosticsOf(a), QString());
    QCOMPARE(a.outputTypes.size(), size_t(1));
    QCOMPARE(QString::fromStdString(ml::typeToString(a.outputTypes[0])), output);
}

void TestAnalysis::badModel_data() {
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QString>("expected"); // every diagnostic, errors first, one per line

    auto row = [](const char* name, const std::string& text, const char* expected) {
        QTest::newRow(name) << QByteArray::fromStdString(text) << QString::fromUtf8(expected);
    };
    const std::string x4 = R"([{"name": "x", "shape": [4]}])";
    const std::string callM = R"([{"id": "y", "call": "m", "in": ["x"]}])";
    auto one = [&](const std::string& spec, const std::string& inputs = R"([{"name": "x", "shape": [4]}])") {
        return net(inputs, R"({"m": )" + spec + "}", R"([{"id": "y", "call": "m", "in": ["x"]}])");
    };

    // Types and arguments.
    row("unknown layer type", one(R"({"type": "Linaer", "args": {"out_features": 2}})"),
        "error: m: unknown layer type 'Linaer' (did you mean 'Linear'?). Fix: use a built-in layer (Linear, Conv2d, "
        "...), Sequential, ModuleList or a block defined in this file. [at /definitions/Net/children/m/type]");
    row("unknown model", replaced(net(x4, "{}", "[]", R"([{"name": "y", "from": "x"}])"), R"("model": "Net")", R"("model": "Nte")"),
        "error: Nte: the model 'Nte' is not among the definitions (Net) (did you mean 'Net'?). [at /model]");
    row("missing argument", one(R"({"type": "Linear"})"),
        "error: m, argument 'out_features': Linear needs out_features. Fix: give out_features. [at "
        "/definitions/Net/children/m]");
    row("wrong-typed argument", one(R"({"type": "Linear", "args": {"out_features": "2"}})"),
        "error: m, argument 'out_features': Linear out_features must be a positive integer (at most 2147483647), got "
        "\"2\". [at /definitions/Net/children/m/args/out_features]");
    row("zero size", one(R"({"type": "Linear", "args": {"out_features": 0}})"),
        "error: m, argument 'out_features': Linear out_features must be a positive integer (at most 2147483647), got "
        "0. [at /definitions/Net/children/m/args/out_features]");
    row("negative size", one(R"({"type": "Conv2d", "args": {"out_channels": 2, "kernel_size": [3, -1]}})", R"([{"name": "x", "shape": [1, 5, 5]}])"),
        "error: m, argument 'kernel_size': Conv2d kernel_size must be a positive integer or a pair [h, w] of them, got "
        "[3,-1]. [at /definitions/Net/children/m/args/kernel_size]");
    row("negative padding", one(R"({"type": "Conv2d", "args": {"out_channels": 2, "kernel_size": 3, "padding": -1}})", R"([{"name": "x", "shape": [1, 5, 5]}])"),
        "error: m, argument 'padding': Conv2d padding must be a non-negative integer or a pair [h, w] of them, got -1. "
        "[at /definitions/Net/children/m/args/padding]");
    row("zero stride", one(R"({"type": "MaxPool2d", "args": {"kernel_size": 2, "stride": 0}})", R"([{"name": "x", "shape": [1, 5, 5]}])"),
        "error: m, argument 'stride': MaxPool2d stride must be a positive integer or a pair [h, w] of them, got 0. [at "
        "/definitions/Net/children/m/args/stride]");
    row("size too large", one(R"({"type": "Linear", "args": {"out_features": 2147483648}})"),
        "error: m, argument 'out_features': Linear out_features must be a positive integer (at most 2147483647), got "
        "2147483648. [at /definitions/Net/children/m/args/out_features]");
    row("dimension beyond int64", one(R"({"type": "Softmax", "args": {"dim": 18446744073709551615}})"),
        "error: m, argument 'dim': Softmax dim must be an integer (at most 2147483647), got 18446744073709551615. [at "
        "/definitions/Net/children/m/args/dim]");
    row("bool argument", one(R"({"type": "Linear", "args": {"out_features": 2, "bias": "yes"}})"),
        "error: m, argument 'bias': Linear bias must be true or false, got \"yes\". [at "
        "/definitions/Net/children/m/args/bias]");
    row("probability", one(R"({"type": "Dropout", "args": {"p": 1.5}})"),
        "error: m, argument 'p': Dropout p must be a probability between 0 and 1, got 1.5. [at "
        "/definitions/Net/children/m/args/p]");
    row("choice", one(R"({"type": "GELU", "args": {"approximate": "fast"}})"),
        "error: m, argument 'approximate': GELU approximate must be one of: none, tanh, got \"fast\". [at "
        "/definitions/Net/children/m/args/approximate]");
    row("unknown argument", one(R"({"type": "Linear", "args": {"out_feature": 2}})"),
        "error: m, argument 'out_feature': Linear has no argument 'out_feature' (did you mean 'out_features'?); its "
        "arguments are: in_features, out_features, bias. [at /definitions/Net/children/m/args/out_feature]\n"
        "error: m, argument 'out_features': Linear needs out_features. Fix: give out_features. [at "
        "/definitions/Net/children/m]");
    row("op argument", net(x4, "{}", R"([{"id": "y", "op": "flatten", "args": {"start": 1}, "in": ["x"]}])"),
        "error: Net, node 'y': op flatten has no argument 'start'. [at /definitions/Net/nodes/0/args/start]");

    // Graph structure.
    row("cycle", net(x4, R"({"m": {"type": "ReLU"}})",
                     R"([{"id": "a", "call": "m", "in": ["c"]}, {"id": "b", "op": "relu", "in": ["a"]},
                         {"id": "c", "op": "add", "in": ["b", "x"]}, {"id": "y", "op": "relu", "in": ["c"]}])"),
        "error: Net, node 'b': the forward graph of Net has a cycle: b -> c -> a -> b. Fix: remove one of these wires; "
        "a forward pass must not feed a node its own output. [at /definitions/Net/nodes/1]");
    row("self loop", net(x4, "{}", R"([{"id": "y", "op": "add", "in": ["x", "y"]}])"),
        "error: Net, node 'y': the forward graph of Net has a cycle: y -> y. Fix: remove one of these wires; a forward "
        "pass must not feed a node its own output. [at /definitions/Net/nodes/0]");
    row("recursion", net(x4, R"({"inner": {"type": "Net"}})", R"([{"id": "y", "call": "inner", "in": ["x"]}])"),
        "error: inner: block 'Net' contains itself: Net -> Net. Fix: a block cannot contain an instance of itself; use "
        "another definition. [at /definitions/Net/children/inner]");
    row("indirect recursion", R"({"format": "modulelab-model", "version": 1, "model": "A", "definitions": {
          "A": {"inputs": [{"name": "x", "shape": [4]}], "children": {"b": {"type": "B"}}, "nodes": [{"id": "y", "call": "b", "in": ["x"]}], "outputs": [{"name": "y", "from": "y"}]},
          "B": {"inputs": [{"name": "x"}], "children": {"a": {"type": "Sequential", "items": [{"type": "A"}]}}, "nodes": [{"id": "y", "call": "a", "in": ["x"]}], "outputs": [{"name": "y", "from": "y"}]}}})",
        "error: b.a.0: block 'A' contains itself: A -> B -> A. Fix: a block cannot contain an instance of itself; use "
        "another definition. [at /definitions/B/children/a/items/0]");
    row("duplicate node ids", net(x4, "{}", R"([{"id": "y", "op": "relu", "in": ["x"]}, {"id": "y", "op": "relu", "in": ["x"]}])"),
        "error: Net, node 'y': the id 'y' is used twice in Net (node ids and input names must differ). Fix: rename the "
        "node. [at /definitions/Net/nodes/1]");
    row("node id equal to an input", net(x4, "{}", R"([{"id": "x", "op": "relu", "in": ["x"]}])", R"([{"name": "y", "from": "x"}])"),
        "error: Net, node 'x': the id 'x' is used twice in Net (node ids and input names must differ). Fix: rename the "
        "node. [at /definitions/Net/nodes/0]");
    row("duplicate inputs", net(R"([{"name": "x", "shape": [4]}, {"name": "x", "shape": [4]}])", "{}", "[]",
                                R"([{"name": "y", "from": "x"}])"),
        "error: Net, input 'x': Net has two inputs named 'x'. Fix: rename one of them. [at /definitions/Net/inputs/1]");
    row("doubly-driven output", net(x4, "{}", R"([{"id": "y", "op": "relu", "in": ["x"]}])",
                                    R"([{"name": "y", "from": "y"}, {"name": "y", "from": "x"}])"),
        "error: Net, output 'y': Net declares the output 'y' twice. Fix: remove one of them. [at "
        "/definitions/Net/outputs/1]");
    row("no outputs", net(x4, "{}", "[]", "[]"),
        "error: Net: Net has no outputs. Fix: add an output that names a node. [at /definitions/Net/outputs]");
    row("dangling input", net(x4, "{}", R"([{"id": "y", "op": "relu", "in": ["h"]}])"),
        "error: Net, node 'y' input 0: input 0 of node 'y' refers to 'h', which is not an input or node of Net. Fix: "
        "connect it to an input or a node of Net. [at /definitions/Net/nodes/0/in/0]");
    row("dangling typo", net(x4, "{}", R"([{"id": "hidden", "op": "relu", "in": ["x"]}, {"id": "y", "op": "relu", "in": ["hiden"]}])"),
        "error: Net, node 'y' input 0: input 0 of node 'y' refers to 'hiden', which is not an input or node of Net "
        "(did you mean 'hidden'?). Fix: connect it to an input or a node of Net. [at /definitions/Net/nodes/1/in/0]");
    row("null input", net(x4, "{}", R"([{"id": "y", "op": "add", "in": ["x", null]}])"),
        "error: Net, node 'y' input 1: input 1 of node 'y' is not connected. Fix: connect it to an input or a node of "
        "Net. [at /definitions/Net/nodes/0/in/1]");
    row("dangling output", net(x4, "{}", R"([{"id": "y", "op": "relu", "in": ["x"]}])", R"([{"name": "out", "from": "z"}])"),
        "error: Net, output 'out': the output 'out' refers to 'z', which is not an input or node of Net. Fix: set "
        "\"from\" to a node of Net. [at /definitions/Net/outputs/0]");
    row("unknown child", net(x4, "{}", callM),
        "error: Net, node 'y': calls 'm', which is not a child of Net. Fix: register it under children, or call an "
        "existing child. [at /definitions/Net/nodes/0/call]");
    row("unknown op", net(x4, "{}", R"([{"id": "y", "op": "mul", "in": ["x", "x"]}])"),
        "error: Net, node 'y': unknown op 'mul'; the ops are add, concat, flatten, relu. [at /definitions/Net/nodes/0/op]");
    row("misspelt op", net(x4, "{}", R"([{"id": "y", "op": "reul", "in": ["x"]}])"),
        "error: Net, node 'y': unknown op 'reul' (did you mean 'relu'?); the ops are add, concat, flatten, relu. [at "
        "/definitions/Net/nodes/0/op]");
    row("op input count", net(x4, "{}", R"([{"id": "y", "op": "add", "in": ["x"]}])"),
        "error: Net, node 'y': op add takes at least 2 inputs but is given 1. Fix: connect the missing input. [at "
        "/definitions/Net/nodes/0/in]");
    row("call input count", net(x4, R"({"m": {"type": "ReLU"}})", R"([{"id": "y", "call": "m", "in": ["x", "x"]}])"),
        "error: Net, node 'y': the call of 'm' takes 1 input but is given 2. Fix: remove the extra wire. [at "
        "/definitions/Net/nodes/0/in]");

    // ModuleList.
    const std::string list = R"({"l": {"type": "ModuleList", "items": [{"type": "Linear", "args": {"out_features": 2}}, {"type": "Linear", "args": {"out_features": 3}}]}})";
    row("ModuleList called", net(x4, list, R"([{"id": "y", "call": "l", "in": ["x"]}])"),
        "error: Net, node 'y': calls 'l', a ModuleList: a ModuleList holds modules but has no forward of its own. Fix: "
        "call one item with \"index\" (l[0], or a runtime index input), or apply every item in turn with \"apply\": "
        "\"chain\"; use a Sequential if the items should always run in order. [at /definitions/Net/nodes/0]");
    row("ModuleList in a Sequential", one(R"({"type": "Sequential", "items": [{"type": "ModuleList", "items": [{"type": "ReLU"}]}]})"),
        "error: m.0, item 0 of m: a ModuleList inside a Sequential would be called, but a ModuleList has no forward of "
        "its own. Fix: make it a Sequential, or call its items from a block's graph. [at "
        "/definitions/Net/children/m/items/0]");
    row("index out of range", net(x4, list, R"([{"id": "y", "call": "l", "index": 2, "in": ["x"]}])"),
        "error: Net, node 'y': index 2 is out of range for 'l', which has 2 items (0..1). Fix: use an index between 0 "
        "and 1, or add items to the list. [at /definitions/Net/nodes/0/index]");
    row("negative index out of range", net(x4, list, R"([{"id": "y", "call": "l", "index": -3, "in": ["x"]}])"),
        "error: Net, node 'y': index -3 is out of range for 'l', which has 2 items (0..1). Fix: use an index between 0 "
        "and 1, or add items to the list. [at /definitions/Net/nodes/0/index]");
    row("empty ModuleList", net(x4, R"({"l": {"type": "ModuleList", "items": []}})", R"([{"id": "y", "call": "l", "apply": "chain", "in": ["x"]}])"),
        "error: Net, node 'y': 'l' is an empty ModuleList. Fix: add items to the list. [at /definitions/Net/nodes/0]");
    row("index input not int64", net(x4, list, R"([{"id": "y", "call": "l", "index": "x", "in": ["x"]}])"),
        "error: Net, node 'y': the index 'x' must be an int64 input of Net. Fix: declare an input {\"name\": \"x\", "
        "\"dtype\": \"int64\"}. [at /definitions/Net/nodes/0/index]");
    row("index on a Linear", net(x4, R"({"m": {"type": "Linear", "args": {"out_features": 2}}})", R"([{"id": "y", "call": "m", "index": 0, "in": ["x"]}])"),
        "error: Net, node 'y': indexes 'm', which is a Linear, not a ModuleList. Fix: remove \"index\"/\"apply\", or "
        "make 'm' a ModuleList. [at /definitions/Net/nodes/0]");
    row("items lost to a bad same_as, then indexed",
        net(R"([{"name": "x", "shape": [4]}, {"name": "k", "dtype": "int64"}])", R"({"l": {"type": "ModuleList", "items": [{"same_as": "5"}]}})",
            R"([{"id": "a", "call": "l", "index": 0, "in": ["x"]}, {"id": "y", "call": "l", "index": "k", "in": ["a"]}])"),
        "error: l, item 0: same_as refers to '5', which is not an earlier item of this ModuleList. Fix: use the index "
        "of an earlier item, e.g. \"0\". [at /definitions/Net/children/l/items/0/same_as]");

    // Sharing mistakes.
    row("same_as unknown", net(x4, R"({"m": {"same_as": "enc"}})", callM),
        "error: Net, child 'm': same_as refers to 'enc', which is not a child registered before it. Fix: name an "
        "earlier child of Net. [at /definitions/Net/children/m/same_as]");
    row("same_as a later sibling", net(x4, R"({"m": {"same_as": "enc"}, "enc": {"type": "ReLU"}})", callM),
        "error: Net, child 'm': same_as refers to 'enc', which is not a child registered before it. Fix: name an "
        "earlier child of Net. [at /definitions/Net/children/m/same_as]");

    // Shapes.
    row("Linear fed a 4-D tensor", one(R"({"type": "Linear", "args": {"out_features": 10}})", R"([{"name": "x", "shape": [3, 8, 8]}])"),
        "error: m, input (from node 'y' of Net): Linear expects [N, in_features] but its input is [N, 3, 8, 8]; it "
        "would act on the last dimension only (8). Fix: insert a Flatten before it (in_features is then 192). [at "
        "/definitions/Net/children/m]");
    row("in_features mismatch", one(R"({"type": "Linear", "args": {"in_features": 5, "out_features": 10}})"),
        "error: m, input (from node 'y' of Net): Linear expects in_features = 5 but its input [N, 4] has 4 features. "
        "Fix: set in_features to 4, or leave it out to infer it. [at /definitions/Net/children/m]");
    row("conv channel mismatch", one(R"({"type": "Conv2d", "args": {"in_channels": 3, "out_channels": 8, "kernel_size": 3}})", R"([{"name": "x", "shape": [1, 8, 8]}])"),
        "error: m, input (from node 'y' of Net): Conv2d expects in_channels = 3 but its input [N, 1, 8, 8] has 1 "
        "channels. Fix: set in_channels to 1, or leave it out to infer it. [at /definitions/Net/children/m]");
    row("conv on a flat tensor", one(R"({"type": "Conv2d", "args": {"out_channels": 8, "kernel_size": 3}})"),
        "error: m, input (from node 'y' of Net): Conv2d expects [N, C, H, W] but its input is [N, 4]. Fix: the input "
        "is flat; remove the Flatten before it or use a Linear layer. [at /definitions/Net/children/m]");
    row("empty pooling output", one(R"({"type": "MaxPool2d", "args": {"kernel_size": 2}})", R"([{"name": "x", "shape": [1, 1, 1]}])"),
        "error: m, input (from node 'y' of Net): MaxPool2d output would be empty: input [N, 1, 1, 1] is smaller than "
        "the 2x2 window. Fix: use a smaller kernel_size, add padding, or remove a pooling layer before it. [at "
        "/definitions/Net/children/m]");
    row("conv groups", one(R"({"type": "Conv2d", "args": {"out_channels": 4, "kernel_size": 1, "groups": 3}})", R"([{"name": "x", "shape": [3, 2, 2]}])"),
        "error: m, input (from node 'y' of Net): Conv2d groups = 3 must divide in_channels (3) and out_channels (4). "
        "Fix: choose groups that divides both. [at /definitions/Net/children/m]");
    row("index fed to a Linear", net(R"([{"name": "k", "dtype": "int64"}])", R"({"m": {"type": "Linear", "args": {"out_features": 2}}})",
                                     R"([{"id": "y", "call": "m", "in": ["k"]}])"),
        "error: m, input (from node 'y' of Net): Linear expects a float32 tensor but its input is int64. Fix: connect "
        "a tensor, not an index, to this port. [at /definitions/Net/children/m]");
    row("add feature mismatch", net(x4, R"({"m": {"type": "Linear", "args": {"out_features": 3}}})",
                                    R"([{"id": "h", "call": "m", "in": ["x"]}, {"id": "y", "op": "add", "in": ["h", "x"]}])"),
        "error: Net, node 'y' (add): cannot add 'x' [N, 4] to 'h' [N, 3]. Fix: add a Linear(4, 3) projection on 'x'. "
        "[at /definitions/Net/nodes/1]");
    row("concat mismatch", net(R"([{"name": "a", "shape": [2, 5]}, {"name": "b", "shape": [3, 4]}])", "{}",
                               R"([{"id": "y", "op": "concat", "args": {"dim": 1}, "in": ["a", "b"]}])"),
        "error: Net, node 'y' (concat): cannot concatenate 'b' [N, 3, 4] with 'a' [N, 2, 5] along dim 1: the other "
        "dimensions differ. [at /definitions/Net/nodes/0]");
    row("missing model input shape", net(R"([{"name": "x"}])", "{}", R"([{"id": "y", "op": "relu", "in": ["x"]}])"),
        "error: Net, input 'x': the model's input 'x' has no shape. Fix: fill in its per-sample shape (the input's Shape field in the editor, \"shape\" in the file), e.g. 10 or [3, 32, 32]. "
        "[at /definitions/Net/inputs]");

    // Block arguments.
    const std::string blockDefs = R"(, "Stage": {"parameters": {"width": null}, "inputs": [{"name": "x"}],
        "children": {"fc": {"type": "Linear", "args": {"out_features": "$width"}}},
        "nodes": [{"id": "h", "call": "fc", "in": ["x"]}], "outputs": [{"name": "h", "from": "h"}]})";
    row("block argument not given", net(x4, R"({"s": {"type": "Stage"}})", R"([{"id": "y", "call": "s", "in": ["x"]}])",
                                        R"([{"name": "y", "from": "y"}])", blockDefs),
        "error: s.fc, argument 'out_features': Linear needs out_features (from Stage's argument 'width', which was not "
        "given). Fix: give width where Stage is used. [at /definitions/Stage/children/fc]");
    row("unknown block argument", net(x4, R"({"s": {"type": "Stage", "args": {"widht": 3, "width": 3}}})",
                                      R"([{"id": "y", "call": "s", "in": ["x"]}])", R"([{"name": "y", "from": "y"}])", blockDefs),
        "error: s, argument 'widht': Stage has no argument 'widht' (did you mean 'width'?); its arguments are: width. "
        "[at /definitions/Net/children/s/args/widht]");
    row("reference to no argument", one(R"({"type": "Linear", "args": {"out_features": "$width"}})"),
        "error: m, argument 'out_features': refers to '$width', but Net has no argument 'width'. Fix: declare it in "
        "Net's parameters. [at /definitions/Net/children/m/args/out_features]");
    row("block argument refers to no argument", net(x4, R"({"s": {"type": "Stage", "args": {"width": "$size"}}})",
                                                     R"([{"id": "y", "call": "s", "in": ["x"]}])", R"([{"name": "y", "from": "y"}])", blockDefs),
        "error: s, argument 'width': refers to '$size', but Net has no argument 'size'. Fix: declare it in Net's "
        "parameters. [at /definitions/Net/children/s/args/width]\n"
        "error: s.fc, argument 'out_features': Linear needs out_features (from Stage's argument 'width', which was not "
        "given). Fix: give width where Stage is used. [at /definitions/Stage/children/fc]");
    row("block input count", net(x4, R"({"s": {"type": "Stage", "args": {"width": 2}}})", R"([{"id": "y", "call": "s", "in": ["x", "x"]}])",
                                 R"([{"name": "y", "from": "y"}])", blockDefs),
        "error: Net, node 'y': the call of 's' takes 1 input but is given 2. Fix: remove the extra wire. [at "
        "/definitions/Net/nodes/0/in]");

    // Inference that cannot happen.
    row("in_features never inferable", net(x4, R"({"m": {"type": "Linear", "args": {"out_features": 2}}})",
                                           R"([{"id": "y", "op": "relu", "in": ["x"]}])"),
        "error: m, argument 'in_features': cannot infer in_features of Linear: it is never called, so no input shows "
        "its size. Fix: give in_features, or call it from the forward graph. [at /definitions/Net/children/m]\n"
        "warning: Net, child 'm': 'm' is registered but never called: its parameters are in state_dict but get no "
        "gradient. Fix: call it from a node, or remove it. [at /definitions/Net/children/m]");
}

void TestAnalysis::badModel() {
    QFETCH(QByteArray, text);
    QFETCH(QString, expected);
    QElapsedTimer timer;
    timer.start();
    const ml::Analysis a = analyzeText(text.toStdString());
    QCOMPARE(diagnosticsOf(a), expected);
    QVERIFY(!a.ok());
    QVERIFY(timer.elapsed() < 2000);
    // The summary of a broken model is still produced (the editor shows it).
    const Json summary = ml::summaryJson(ml::io::parseModel(text.toStdString()), a);
    QCOMPARE(summary["valid"].get<bool>(), false);
    QCOMPARE(summary["diagnostics"].size(), a.diagnostics.size());
}

void TestAnalysis::diagnosticFields() {
    // The fields the editor uses to select the offending item.
    const ml::Analysis a = analyzeText(net(R"([{"name": "x", "shape": [4]}])", "{}",
                                           R"([{"id": "h", "op": "relu", "in": ["x"]}, {"id": "y", "op": "add", "in": ["h", "q"]}])"));
    QCOMPARE(a.diagnostics.size(), size_t(1));
    const ml::Diagnostic& d = a.diagnostics[0];
    QCOMPARE(QString::fromStdString(d.code), QString("dangling"));
    QCOMPARE(QString::fromStdString(d.path), QString("Net"));
    QCOMPARE(QString::fromStdString(d.where), QString("node 'y' input 1"));
    QCOMPARE(QString::fromStdString(d.definition), QString("Net"));
    QCOMPARE(QString::fromStdString(d.node), QString("y"));
    QCOMPARE(QString::fromStdString(d.pointer), QString("/definitions/Net/nodes/1/in/1"));
    QVERIFY(d.isError());
}

void TestAnalysis::parameterCap() {
    // Linear(100000 -> 100000): 10,000,100,000 parameters, over the default cap of 10^9.
    const std::string big = net(R"([{"name": "x", "shape": [100000]}])",
                                R"({"m": {"type": "Linear", "args": {"out_features": 100000}}})",
                                R"([{"id": "y", "call": "m", "in": ["x"]}])");
    ml::Analysis a = analyzeText(big);
    QCOMPARE(diagnosticsOf(a),
             QString("error: m: Linear would have 10,000,100,000 parameters; the cap is 1,000,000,000 parameters "
                     "(raise it with --max-parameters). Fix: use smaller sizes. [at /definitions/Net/children/m]"));
    QCOMPARE(a.tree.uniqueParameterCount(), ml::Index(0)); // nothing of it was made
    ml::AnalysisOptions raised;
    raised.maxParameters = 20'000'000'000;
    a = analyzeText(big, raised);
    QCOMPARE(diagnosticsOf(a), QString());
    QCOMPARE(a.tree.uniqueParameterCount(), ml::Index(10'000'100'000));

    // Each layer under the cap, the model over it: reported once, at the layer that crosses it.
    const std::string two = net(R"([{"name": "x", "shape": [30000]}])",
                                R"({"a": {"type": "Linear", "args": {"out_features": 20000}}, "b": {"type": "Linear", "args": {"out_features": 30000}}, "c": {"type": "Linear", "args": {"out_features": 30000}}})",
                                R"([{"id": "h", "call": "a", "in": ["x"]}, {"id": "g", "call": "b", "in": ["h"]}, {"id": "y", "call": "c", "in": ["g"]}])");
    a = analyzeText(two);
    QCOMPARE(diagnosticsOf(a),
             QString("error: b: Linear would have 600,030,000 parameters, bringing the model past the cap; the cap is "
                     "1,000,000,000 parameters (raise it with --max-parameters). Fix: use smaller sizes. [at "
                     "/definitions/Net/children/b]"));
    ml::AnalysisOptions small;
    small.maxParameters = 100;
    a = analyzeText(net(R"([{"name": "x", "shape": [10]}])", R"({"m": {"type": "Linear", "args": {"out_features": 10}}})",
                        R"([{"id": "y", "call": "m", "in": ["x"]}])"),
                    small);
    QCOMPARE(diagnosticsOf(a),
             QString("error: m: Linear would have 110 parameters; the cap is 100 parameters (raise it with "
                     "--max-parameters). Fix: use smaller sizes. [at /definitions/Net/children/m]"));
    // Sizes whose product overflows 64 bits.
    a = analyzeText(net(R"([{"name": "x", "shape": [1, 1, 1]}])",
                        R"({"m": {"type": "Conv2d", "args": {"in_channels": 2147483647, "out_channels": 2147483647, "kernel_size": [2147483647, 2147483647]}}})",
                        R"([{"id": "y", "op": "relu", "in": ["x"]}])"));
    QCOMPARE(diagnosticsOf(a).section('\n', 0, 0),
             QString("error: m: Conv2d would have more than 9,223,372,036,854,775,807 parameters; the cap is "
                     "1,000,000,000 parameters (raise it with --max-parameters). Fix: use smaller sizes. [at "
                     "/definitions/Net/children/m]"));
}

void TestAnalysis::deepModuleNesting() {
    // 70 nested Sequentials: past the nesting cap (64); one error, no stack trouble.
    std::string spec = R"({"type": "ReLU"})";
    for (int i = 0; i < 70; ++i) spec = R"({"type": "Sequential", "items": [)" + spec + "]}";
    QElapsedTimer timer;
    timer.start();
    const ml::Analysis a = analyzeText(net(R"([{"name": "x", "shape": [4]}])", R"({"m": )" + spec + "}",
                                           R"([{"id": "y", "call": "m", "in": ["x"]}])"));
    QVERIFY(timer.elapsed() < 2000);
    QString pointer = "/definitions/Net/children/m";
    QString path = "m";
    for (int i = 0; i < 64; ++i) {
        pointer += "/items/0";
        path += ".0";
    }
    QCOMPARE(diagnosticsOf(a), "error: " + path +
                                   ": modules are nested more than 64 levels deep. Fix: flatten the structure. [at " +
                                   pointer + "]");
}

void TestAnalysis::warningsDoNotInvalidate() {
    const ml::Analysis a = analyzeText(net(R"([{"name": "x", "shape": [4]}])", R"({"spare": {"type": "Linear", "args": {"in_features": 4, "out_features": 2}}})",
                                           R"([{"id": "unused", "op": "relu", "in": ["x"]}, {"id": "y", "op": "relu", "in": ["x"]}])"));
    QVERIFY(a.ok());
    QCOMPARE(diagnosticsOf(a),
             QString("warning: Net, node 'unused': the output of node 'unused' is never used. Fix: wire it to a node or "
                     "an output, or delete it. [at /definitions/Net/nodes/0]\n"
                     "warning: Net, child 'spare': 'spare' is registered but never called: its parameters are in "
                     "state_dict but get no gradient. Fix: call it from a node, or remove it. [at "
                     "/definitions/Net/children/spare]"));
    // Its parameters still count (they are in state_dict), once.
    QCOMPARE(a.tree.uniqueParameterCount(), ml::Index(10));
    QCOMPARE(a.tree.naiveParameterCount(), ml::Index(10));
}

// One unconnected output and one bad layer: everything not downstream of them
// keeps its shape and parameters, and each problem is reported where it is.
void TestAnalysis::errorsStayLocal() {
    const std::string text = net(R"([{"name": "x", "shape": [10]}])",
                                 R"({"trunk": {"type": "Linear", "args": {"out_features": 8}},
                                     "head": {"type": "Linear", "args": {"out_features": 3}},
                                     "bad": {"type": "Conv2d", "args": {"out_channels": 4, "kernel_size": 3}},
                                     "after_bad": {"type": "Linear", "args": {"out_features": 2}},
                                     "stage": {"type": "Stage"}})",
                                 R"([{"id": "h", "call": "trunk", "in": ["x"]}, {"id": "a", "call": "head", "in": ["h"]},
                                     {"id": "b", "call": "bad", "in": ["h"]}, {"id": "c", "call": "after_bad", "in": ["b"]},
                                     {"id": "r", "op": "relu", "in": ["a"]}, {"id": "s", "call": "stage", "in": ["h"]}])",
                                 R"([{"name": "ya", "from": "r"}, {"name": "yb", "from": "c"}, {"name": "yz", "from": ""},
                                     {"name": "ys", "from": "s.good"}])",
                                 // A block with one output wired and one not: its wired half still has its shape.
                                 R"(, "Stage": {"inputs": [{"name": "x"}],
                                       "children": {"fc": {"type": "Linear", "args": {"out_features": 6}}},
                                       "nodes": [{"id": "f", "call": "fc", "in": ["x"]}, {"id": "g", "op": "add", "in": ["f", null]}],
                                       "outputs": [{"name": "good", "from": "f"}, {"name": "open", "from": "g"}]})");
    const ml::Analysis a = analyzeText(text);
    QCOMPARE(diagnosticsOf(a),
             QString("error: Net, output 'yz': the output 'yz' is not connected. Fix: set \"from\" to a node of Net. "
                     "[at /definitions/Net/outputs/2]\n"
                     "error: bad, input (from node 'b' of Net): Conv2d expects [N, C, H, W] but its input is [N, 8]. "
                     "Fix: the input is flat; remove the Flatten before it or use a Linear layer. [at "
                     "/definitions/Net/children/bad]\n"
                     "error: stage, node 'g' input 1: input 1 of node 'g' is not connected. Fix: connect it to an input "
                     "or a node of Stage. [at /definitions/Stage/nodes/1/in/1]"));
    // The editor's words for the file's "from".
    QCOMPARE(QString::fromStdString(a.diagnostics[0].toEditorString()),
             QString("Error: Net, output 'yz': the output 'yz' is not connected. Fix: drag a wire from a node's output "
                     "port to the output 'yz'."));
    QCOMPARE(outputOf(a, "trunk"), QString("[N, 8]"));
    QCOMPARE(outputOf(a, "head"), QString("[N, 3]"));
    QCOMPARE(outputOf(a, "bad"), QString("?"));
    QCOMPARE(outputOf(a, "after_bad"), QString("?"));
    QCOMPARE(outputOf(a, "stage"), QString("[N, 6], ?"));
    QCOMPARE(outputOf(a, "stage.fc"), QString("[N, 6]"));
    QStringList outputs;
    for (const ml::TensorType& t : a.outputTypes) outputs << QString::fromStdString(ml::typeToString(t));
    QCOMPARE(outputs, QStringList({"[N, 3]", "?", "?", "[N, 6]"}));
    // trunk 10*8+8, head 8*3+3, stage.fc 8*6+6; bad and after_bad have no known sizes.
    QCOMPARE(a.tree.parameterCount(findModule(a, "trunk")->id), ml::Index(88));
    QCOMPARE(a.tree.parameterCount(findModule(a, "head")->id), ml::Index(27));
    QCOMPARE(a.tree.parameterCount(findModule(a, "stage")->id), ml::Index(54));
    QCOMPARE(a.tree.parameterCount(findModule(a, "after_bad")->id), ml::Index(0));
    QVERIFY(!findModule(a, "after_bad")->argsComplete);
    QCOMPARE(a.tree.uniqueParameterCount(), ml::Index(88 + 27 + 54));
    QVERIFY(!a.ok());
    QVERIFY(a.graphs.empty()); // only well-formed graphs are published for the plan
}

void TestAnalysis::nameRules_data() {
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QString>("expected");
    const std::string x4 = R"([{"name": "x", "shape": [4]}])";
    QTest::newRow("child with a dot")
        << QByteArray::fromStdString(net(x4, R"({"enc.fc": {"type": "ReLU"}})", R"([{"id": "y", "call": "enc.fc", "in": ["x"]}])"))
        << "error: Net, child 'enc.fc': the name 'enc.fc' contains a dot; PyTorch rejects module names with dots, since "
           "state_dict keys use dots as separators. Fix: rename it. [at /definitions/Net/children/enc.fc]";
    QTest::newRow("child not an identifier")
        << QByteArray::fromStdString(net(x4, R"({"2nd": {"type": "ReLU"}})", R"([{"id": "y", "call": "2nd", "in": ["x"]}])"))
        << "error: Net, child '2nd': the name '2nd' is not an identifier (letters, digits and _, not starting with a "
           "digit). Fix: rename it. [at /definitions/Net/children/2nd]";
    QTest::newRow("empty child name")
        << QByteArray::fromStdString(net(x4, R"({"": {"type": "ReLU"}})", R"([{"id": "y", "call": "", "in": ["x"]}])"))
        << "<parse error>";
    QTest::newRow("node id with a dot")
        << QByteArray::fromStdString(net(x4, "{}", R"([{"id": "a.b", "op": "relu", "in": ["x"]}])", R"([{"name": "y", "from": "x"}])"))
        << "error: Net, node 'a.b': the name 'a.b' contains a dot; PyTorch rejects module names with dots, since "
           "state_dict keys use dots as separators. Fix: rename the node. [at /definitions/Net/nodes/0]";
    QTest::newRow("definition with a dot")
        << QByteArray(R"({"format": "modulelab-model", "version": 1, "model": "My.Net", "definitions": {"My.Net": {"inputs": [{"name": "x", "shape": [4]}], "outputs": [{"name": "y", "from": "x"}]}}})")
        << "error: My.Net, definition: the name 'My.Net' contains a dot; PyTorch rejects module names with dots, since "
           "state_dict keys use dots as separators. Fix: rename the definition. [at /definitions/My.Net]";
    QTest::newRow("definition named like a layer")
        << QByteArray(R"({"format": "modulelab-model", "version": 1, "model": "Linear", "definitions": {"Linear": {"inputs": [{"name": "x", "shape": [4]}], "outputs": [{"name": "y", "from": "x"}]}}})")
        << "error: Linear, definition: 'Linear' is a built-in layer type. Fix: give the block another name. [at "
           "/definitions/Linear]";
}

void TestAnalysis::nameRules() {
    QFETCH(QByteArray, text);
    QFETCH(QString, expected);
    ml::ModelDocument doc;
    try {
        doc = ml::io::parseModel(text.toStdString());
    } catch (const ml::Error&) {
        QCOMPARE(QString("<parse error>"), expected);
        return;
    }
    QCOMPARE(diagnosticsOf(ml::analyze(doc)).section('\n', 0, 0), expected);
}

QTEST_GUILESS_MAIN(TestAnalysis)
#include "tst_analysis.moc"
