// PyTorch naming and sharing (model/Module.h, shape/Summary.h): summaryJson's
// state_dict of every example against what PyTorch's state_dict() gave for
// the same model (tests/fixtures/<model>/state_dict.json), and sharing the
// way PyTorch has it: one instance called twice, one instance registered
// under two names (same_as), Sequential(l, l), and two instances of one
// definition that share nothing.
#include "io/ModelJson.h"
#include "shape/Summary.h"
#include "shape/Analysis.h"

#include <QTest>

#include <fstream>

using ml::Json;

namespace {

const std::string kSourceDir = MODULELAB_SOURCE_DIR;

Json readJson(const std::string& path) {
    std::ifstream in(path);
    if (!in) qFatal("cannot open %s", path.c_str());
    return Json::parse(in);
}

ml::Analysis analyzeText(const std::string& text) { return ml::analyze(ml::io::parseModel(text)); }

QString names(const std::vector<ml::StateEntry>& entries) {
    QStringList s;
    for (const ml::StateEntry& e : entries) s << QString::fromStdString(e.name);
    return s.join(' ');
}

QString jsonList(const Json& array, const char* key = nullptr) {
    QStringList s;
    for (const Json& x : array) s << QString::fromStdString(key ? x[key].get<std::string>() : x.get<std::string>());
    return s.join("; ");
}

// A model "Net" of one block.
std::string net(const std::string& inputs, const std::string& children, const std::string& nodes,
                const std::string& output = "y", const std::string& more = "") {
    return R"({"format": "modulelab-model", "version": 1, "model": "Net", "definitions": {"Net": {"inputs": )" + inputs +
           R"(, "children": )" + children + R"(, "nodes": )" + nodes + R"(, "outputs": [{"name": "y", "from": ")" +
           output + R"("}]})" + more + "}}";
}

} // namespace

class TestNaming : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void matchesPyTorchStateDict_data();
    void matchesPyTorchStateDict();
    void blockCalledTwice();
    void sameAsRegistersOneInstanceTwice();
    void sequentialOfTheSameLayer();
    void twoInstancesOfOneDefinitionShareNothing();
    void sharedBlockInstance();
    void summaryTextShowsSharing();
    void isValidName_data();
    void isValidName();
};

void TestNaming::matchesPyTorchStateDict_data() {
    QTest::addColumn<QString>("example");
    QTest::addColumn<QString>("fixture");
    QTest::newRow("multitask") << "multitask" << "multitask";
    QTest::newRow("simple_cnn") << "simple_cnn" << "simple_cnn";
    QTest::newRow("resnet") << "resnet" << "resnet";
    QTest::newRow("siamese") << "siamese" << "siamese";
}

void TestNaming::matchesPyTorchStateDict() {
    QFETCH(QString, example);
    QFETCH(QString, fixture);
    const Json torch = readJson(kSourceDir + "/tests/fixtures/" + fixture.toStdString() + "/state_dict.json");
    const ml::ModelDocument doc =
        ml::io::readModelFile(kSourceDir + "/resources/examples/" + example.toStdString() + ".json");
    const ml::Analysis a = ml::analyze(doc);
    QVERIFY(a.ok());
    const Json ours = ml::summaryJson(doc, a);
    QVERIFY(ours["model"] == torch["model"]);
    const Json& expected = torch["state_dict"];
    const Json& actual = ours["state_dict"];
    QCOMPARE(actual.size(), expected.size());
    qlonglong parameterTensors = 0, buffers = 0;
    for (size_t i = 0; i < expected.size(); ++i) {
        const Json& e = expected[i];
        const Json& o = actual[i];
        const QByteArray at = QByteArray::number(qulonglong(i)) + " " + QByteArray::fromStdString(e["name"].get<std::string>());
        QVERIFY2(o["name"] == e["name"], at + " is " + QByteArray::fromStdString(o["name"].dump()));
        QVERIFY2(o["shape"] == e["shape"], at + " has shape " + QByteArray::fromStdString(o["shape"].dump()));
        QVERIFY2(o["kind"] == e["kind"], at + " is a " + QByteArray::fromStdString(o["kind"].dump()));
        QVERIFY2(o["dtype"] == e["dtype"], at + " is " + QByteArray::fromStdString(o["dtype"].dump()));
        QVERIFY2(o["numel"] == e["numel"], at);
        QVERIFY2(!o.contains("same_as"), at); // the examples register nothing twice
        (e["kind"] == "parameter" ? parameterTensors : buffers) += 1;
    }
    QCOMPARE(ours["parameters"]["unique"].get<qlonglong>(), torch["num_parameters"].get<qlonglong>());
    QCOMPARE(qlonglong(ours["named_parameters"].size()), torch["num_parameter_tensors"].get<qlonglong>());
    QCOMPARE(parameterTensors, torch["num_parameter_tensors"].get<qlonglong>());
    QCOMPARE(buffers, torch["num_buffers"].get<qlonglong>());
}

void TestNaming::blockCalledTwice() {
    // fc = Linear(4, 4); y = fc(relu(fc(x))): one weight, used twice.
    const ml::Analysis a = analyzeText(net(R"([{"name": "x", "shape": [4]}])",
                                           R"({"fc": {"type": "Linear", "args": {"out_features": 4}}})",
                                           R"([{"id": "h", "call": "fc", "in": ["x"]}, {"id": "r", "op": "relu", "in": ["h"]},
                                               {"id": "y", "call": "fc", "in": ["r"]}])"));
    QVERIFY(a.ok());
    QCOMPARE(names(a.tree.stateDict()), QString("fc.weight fc.bias"));
    QCOMPARE(names(a.tree.namedParameters()), QString("fc.weight fc.bias"));
    QCOMPARE(a.tree.uniqueParameterCount(), ml::Index(20));
    QCOMPARE(a.tree.naiveParameterCount(), ml::Index(40)); // counted at each of its two calls
    const ml::ModuleInstance& fc = a.tree.at(a.tree.root().children[0].id);
    QCOMPARE(fc.callCount, 2);
    QCOMPARE(QString::fromStdString(fc.callSites[0] + "; " + fc.callSites[1]), QString("Net node 'h'; Net node 'y'"));
    const std::vector<ml::SharedModule> shared = ml::sharedModules(a.tree);
    QCOMPARE(shared.size(), size_t(1));
    QCOMPARE(names(shared[0].parameters), QString("fc.weight fc.bias"));
    QCOMPARE(shared[0].names, std::vector<std::string>{"fc"});
}

void TestNaming::sameAsRegistersOneInstanceTwice() {
    // self.enc = Linear(4, 3); self.alias = self.enc (PyTorch: state_dict lists
    // both names, named_parameters the tensors once).
    const ml::ModelDocument doc = ml::io::parseModel(net(
        R"([{"name": "x", "shape": [4]}])",
        R"({"enc": {"type": "Linear", "args": {"out_features": 3}}, "alias": {"same_as": "enc"}})",
        R"([{"id": "a", "call": "enc", "in": ["x"]}, {"id": "b", "call": "alias", "in": ["x"]},
            {"id": "y", "op": "add", "in": ["a", "b"]}])"));
    const ml::Analysis a = ml::analyze(doc);
    QCOMPARE(a.diagnostics.size(), size_t(0));
    QCOMPARE(names(a.tree.stateDict()), QString("enc.weight enc.bias alias.weight alias.bias"));
    QCOMPARE(names(a.tree.namedParameters()), QString("enc.weight enc.bias"));
    QCOMPARE(a.tree.uniqueParameterCount(), ml::Index(15));
    QCOMPARE(a.tree.naiveParameterCount(), ml::Index(30));
    QCOMPARE(a.tree.instances.size(), size_t(2)); // the root and ONE Linear
    const std::vector<ml::StateEntry> state = a.tree.stateDict();
    QCOMPARE(QString::fromStdString(state[2].aliasOf), QString("enc.weight"));
    QCOMPARE(QString::fromStdString(state[3].aliasOf), QString("enc.bias"));
    QCOMPARE(state[2].owner, state[0].owner);

    const Json j = ml::summaryJson(doc, a);
    QCOMPARE(jsonList(j["state_dict"], "name"), QString("enc.weight; enc.bias; alias.weight; alias.bias"));
    QCOMPARE(QString::fromStdString(j["state_dict"][2]["same_as"].get<std::string>()), QString("enc.weight"));
    QVERIFY(!j["state_dict"][0].contains("same_as"));
    QCOMPARE(jsonList(j["named_parameters"]), QString("enc.weight; enc.bias"));
    QCOMPARE(j["parameters"]["unique"].get<int>(), 15);
    QCOMPARE(j["shared"].size(), size_t(1));
    QCOMPARE(jsonList(j["shared"][0]["names"]), QString("enc; alias"));
    QCOMPARE(jsonList(j["shared"][0]["used_at"]), QString("Net node 'a'; Net node 'b'"));
    QCOMPARE(j["shared"][0]["parameter_count"].get<int>(), 15);
    // The module list shows the second name as the same instance.
    QCOMPARE(QString::fromStdString(j["modules"][2].dump()),
             QString(R"({"path":"alias","type":"Linear","kind":"Layer","same_as":"enc"})"));
}

void TestNaming::sequentialOfTheSameLayer() {
    // l = Linear(4, 4); Sequential(l, l): PyTorch's own example of duplicates.
    const ml::ModelDocument doc = ml::io::parseModel(net(
        R"([{"name": "x", "shape": [4]}])",
        R"({"seq": {"type": "Sequential", "items": [{"type": "Linear", "args": {"out_features": 4}}, {"same_as": "0"}]}})",
        R"([{"id": "y", "call": "seq", "in": ["x"]}])"));
    const ml::Analysis a = ml::analyze(doc);
    QCOMPARE(a.diagnostics.size(), size_t(0));
    QCOMPARE(names(a.tree.stateDict()), QString("seq.0.weight seq.0.bias seq.1.weight seq.1.bias"));
    QCOMPARE(names(a.tree.namedParameters()), QString("seq.0.weight seq.0.bias"));
    QCOMPARE(a.tree.uniqueParameterCount(), ml::Index(20));
    QCOMPARE(a.tree.naiveParameterCount(), ml::Index(40));
    const ml::ModuleInstance& seq = a.tree.at(a.tree.root().children[0].id);
    QCOMPARE(seq.children.size(), size_t(2));
    QCOMPARE(seq.children[0].id, seq.children[1].id);
    QCOMPARE(a.tree.at(seq.children[0].id).callCount, 2);
    QCOMPARE(QString::fromStdString(ml::typeToString(a.outputTypes[0])), QString("[N, 4]"));
    const Json j = ml::summaryJson(doc, a);
    QCOMPARE(jsonList(j["shared"][0]["names"]), QString("seq.0; seq.1"));
    QCOMPARE(jsonList(j["shared"][0]["used_at"]), QString("seq item 0; seq item 1"));
    // A Sequential(l, l) whose l changes the width cannot be chained.
    const ml::Analysis bad = analyzeText(net(
        R"([{"name": "x", "shape": [4]}])",
        R"({"seq": {"type": "Sequential", "items": [{"type": "Linear", "args": {"out_features": 3}}, {"same_as": "0"}]}})",
        R"([{"id": "y", "call": "seq", "in": ["x"]}])"));
    QCOMPARE(bad.diagnostics.size(), size_t(1));
    QCOMPARE(QString::fromStdString(bad.diagnostics[0].toString()),
             QString("error: seq.0, input (from node 'y' of Net): Linear expects in_features = 4 but its input [N, 3] "
                     "has 3 features. Fix: set in_features to 3, or leave it out to infer it. [at "
                     "/definitions/Net/children/seq/items/0]"));
}

void TestNaming::twoInstancesOfOneDefinitionShareNothing() {
    const std::string text = net(R"([{"name": "x", "shape": [4]}])",
                                 R"({"a": {"type": "Enc"}, "b": {"type": "Enc"}})",
                                 R"([{"id": "p", "call": "a", "in": ["x"]}, {"id": "q", "call": "b", "in": ["x"]},
                                     {"id": "y", "op": "concat", "in": ["p", "q"]}])",
                                 "y",
                                 R"(, "Enc": {"inputs": [{"name": "x"}], "children": {"fc": {"type": "Linear", "args": {"out_features": 2}}},
                                     "nodes": [{"id": "h", "call": "fc", "in": ["x"]}], "outputs": [{"name": "h", "from": "h"}]})");
    const ml::Analysis a = analyzeText(text);
    QCOMPARE(a.diagnostics.size(), size_t(0));
    QCOMPARE(names(a.tree.namedParameters()), QString("a.fc.weight a.fc.bias b.fc.weight b.fc.bias"));
    QCOMPARE(a.tree.uniqueParameterCount(), ml::Index(20));
    QCOMPARE(a.tree.naiveParameterCount(), ml::Index(20));
    QCOMPARE(ml::sharedModules(a.tree).size(), size_t(0));
    QCOMPARE(QString::fromStdString(ml::typeToString(a.outputTypes[0])), QString("[N, 4]"));
}

void TestNaming::sharedBlockInstance() {
    // A whole block called twice: its subtree is listed once, as one shared module.
    const std::string text = net(R"([{"name": "a", "shape": [4]}, {"name": "b", "shape": [4]}])",
                                 R"({"enc": {"type": "Enc"}, "head": {"type": "Linear", "args": {"out_features": 1}}})",
                                 R"([{"id": "p", "call": "enc", "in": ["a"]}, {"id": "q", "call": "enc", "in": ["b"]},
                                     {"id": "s", "op": "add", "in": ["p", "q"]}, {"id": "y", "call": "head", "in": ["s"]}])",
                                 "y",
                                 R"(, "Enc": {"inputs": [{"name": "x"}], "children": {"fc": {"type": "Linear", "args": {"out_features": 3}}, "bn": {"type": "BatchNorm1d"}},
                                     "nodes": [{"id": "h", "call": "fc", "in": ["x"]}, {"id": "n", "call": "bn", "in": ["h"]}], "outputs": [{"name": "n", "from": "n"}]})");
    const ml::ModelDocument doc = ml::io::parseModel(text);
    const ml::Analysis a = ml::analyze(doc);
    QCOMPARE(a.diagnostics.size(), size_t(0));
    QCOMPARE(names(a.tree.stateDict()), QString("enc.fc.weight enc.fc.bias enc.bn.weight enc.bn.bias "
                                                "enc.bn.running_mean enc.bn.running_var enc.bn.num_batches_tracked "
                                                "head.weight head.bias"));
    QCOMPARE(a.tree.uniqueParameterCount(), ml::Index(15 + 6 + 4));
    QCOMPARE(a.tree.naiveParameterCount(), ml::Index(2 * (15 + 6) + 4));
    const Json j = ml::summaryJson(doc, a);
    QCOMPARE(j["shared"].size(), size_t(1)); // the block, not also its layers
    QCOMPARE(QString::fromStdString(j["shared"][0]["module"].get<std::string>()), QString("enc"));
    QCOMPARE(jsonList(j["shared"][0]["parameters"]), QString("enc.fc.weight; enc.fc.bias; enc.bn.weight; enc.bn.bias"));
    QCOMPARE(jsonList(j["shared"][0]["used_at"]), QString("Net node 'p'; Net node 'q'"));
    QCOMPARE(j["shared"][0]["parameter_count"].get<int>(), 21);
    QCOMPARE(QString::fromStdString(j["state_dict"][6]["dtype"].get<std::string>()), QString("int64"));
    QCOMPARE(QString::fromStdString(j["state_dict"][6]["shape"].dump()), QString("[]"));
}

void TestNaming::summaryTextShowsSharing() {
    const ml::ModelDocument doc =
        ml::io::readModelFile(kSourceDir + "/resources/examples/siamese.json");
    const std::string text = ml::summaryText(doc, ml::analyze(doc));
    const std::string expected = R"(Module                                                       Output   Parameters
SiameseNetwork(                                              [N, 1]   297
  (encoder): Sequential(                                     [N, 8]   280
    (0): Linear(in_features=8, out_features=16, bias=True)   [N, 16]  144
    (1): ReLU()                                              [N, 16]  0
    (2): Linear(in_features=16, out_features=8, bias=True)   [N, 8]   136
  )
  (head): Linear(in_features=16, out_features=1, bias=True)  [N, 1]   17
)

Inputs:  a [N, 8], b [N, 8]
Outputs: y [N, 1]

Parameters: 297 unique (what trains), 577 naive (counting a shared layer at every use)
Shared parameters (each trains once, with the gradients of every use summed):
  encoder (Sequential, 280 parameters)
    used at: SiameseNetwork node 'ea'; SiameseNetwork node 'eb'
    parameters: encoder.0.weight [16, 8] encoder.0.bias [16] encoder.2.weight [8, 16] encoder.2.bias [8]
)";
    QCOMPARE(QString::fromStdString(text), QString::fromStdString(expected));
}

void TestNaming::isValidName_data() {
    QTest::addColumn<QString>("name");
    QTest::addColumn<bool>("valid");
    QTest::newRow("plain") << "encoder" << true;
    QTest::newRow("underscore start") << "_hidden" << true;
    QTest::newRow("digits inside") << "block2" << true;
    QTest::newRow("empty") << "" << false;
    QTest::newRow("dot") << "a.b" << false;
    QTest::newRow("digit start") << "0" << false;
    QTest::newRow("space") << "my layer" << false;
    QTest::newRow("dash") << "my-layer" << false;
    QTest::newRow("non-ascii") << QString::fromUtf8("ä") << false;
}

void TestNaming::isValidName() {
    QFETCH(QString, name);
    QFETCH(bool, valid);
    QCOMPARE(ml::isValidName(name.toStdString()), valid);
}

QTEST_GUILESS_MAIN(TestNaming)
#include "tst_naming.moc"
