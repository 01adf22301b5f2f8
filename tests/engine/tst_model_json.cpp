// The JSON model format v1 (io/ModelJson.h): a table of bad files, each with
// the exact problems the reader reports (JSON pointer included); nesting and
// size caps that fail fast; save -> load -> save giving the same text for
// every example and for a model built in code; a pinned key order; and the
// JSON Schema, checked by a small validator of the keywords it uses.
#include "io/ModelJson.h"
#include "model/LayerCatalog.h"

#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QTest>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

using ml::Json;

namespace {

const std::string kSourceDir = MODULELAB_SOURCE_DIR;
const std::vector<std::string> kExamples{"multitask", "simple_cnn", "resnet", "siamese", "resnet_tutorial"};

std::string readText(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string examplePath(const std::string& name) { return kSourceDir + "/resources/examples/" + name + ".json"; }

// A one-definition model "Net" around the given definition body.
std::string net(const std::string& body) {
    return R"({"format": "modulelab-model", "version": 1, "model": "Net", "definitions": {"Net": )" + body + "}}";
}
// A valid definition body; rows below break one thing of it at a time.
const std::string kGoodBody =
    R"({"inputs": [{"name": "x", "shape": [4]}], "children": {"fc": {"type": "Linear", "args": {"out_features": 2}}},)"
    R"( "nodes": [{"id": "y", "call": "fc", "in": ["x"]}], "outputs": [{"name": "y", "from": "y"}]})";

// The reader's problems, one per line ("<no error>" when it accepts the text).
QString problemsOf(const std::string& text, const ml::io::ModelReadLimits& limits = {}) {
    try {
        ml::io::parseModel(text, "t.json", limits);
    } catch (const ml::io::ModelFileError& e) {
        QStringList lines;
        for (const std::string& p : e.problems()) lines << QString::fromStdString(p);
        return lines.join('\n');
    } catch (const std::exception& e) {
        return QStringLiteral("<wrong exception type> ") + e.what();
    }
    return QStringLiteral("<no error>");
}

// --- a validator for the JSON Schema keywords the model schema uses -------
// Unknown keywords fail loudly, so the schema cannot silently use one this
// check ignores.
class MiniSchema {
public:
    explicit MiniSchema(Json root) : m_root(std::move(root)) {}
    std::vector<std::string> unknownKeywords;

    bool valid(const Json& instance) { return check(m_root, instance); }

private:
    Json m_root;

    const Json& resolve(const std::string& ref) {
        if (!ref.starts_with("#/")) throw std::runtime_error("only local $ref supported: " + ref);
        return m_root.at(Json::json_pointer(ref.substr(1)));
    }

    static bool hasType(const Json& v, const std::string& t) {
        if (t == "object") return v.is_object();
        if (t == "array") return v.is_array();
        if (t == "string") return v.is_string();
        if (t == "integer") return v.is_number_integer() || (v.is_number_float() && v.get<double>() == std::floor(v.get<double>()));
        if (t == "number") return v.is_number();
        if (t == "boolean") return v.is_boolean();
        if (t == "null") return v.is_null();
        throw std::runtime_error("unknown type " + t);
    }

    bool check(const Json& s, const Json& v) {
        if (s.is_boolean()) return s.get<bool>();
        bool ok = true;
        for (auto it = s.begin(); it != s.end(); ++it) {
            const std::string& k = it.key();
            const Json& a = it.value();
            if (k == "$schema" || k == "$id" || k == "title" || k == "description" || k == "$defs" ||
                k == "then" || k == "else") {
                continue;
            } else if (k == "$ref") {
                ok &= check(resolve(a.get<std::string>()), v);
            } else if (k == "type") {
                bool any = false;
                if (a.is_string()) any = hasType(v, a.get<std::string>());
                else
                    for (const Json& t : a) any |= hasType(v, t.get<std::string>());
                ok &= any;
            } else if (k == "const") {
                ok &= v == a;
            } else if (k == "enum") {
                ok &= std::find(a.begin(), a.end(), v) != a.end();
            } else if (k == "required") {
                if (v.is_object())
                    for (const Json& r : a) ok &= v.contains(r.get<std::string>());
            } else if (k == "properties") {
                if (v.is_object())
                    for (auto p = a.begin(); p != a.end(); ++p)
                        if (v.contains(p.key())) ok &= check(p.value(), v[p.key()]);
            } else if (k == "additionalProperties") {
                if (v.is_object())
                    for (auto p = v.begin(); p != v.end(); ++p)
                        if (!s.contains("properties") || !s["properties"].contains(p.key())) ok &= check(a, p.value());
            } else if (k == "propertyNames") {
                if (v.is_object())
                    for (auto p = v.begin(); p != v.end(); ++p) ok &= check(a, Json(p.key()));
            } else if (k == "minProperties") {
                if (v.is_object()) ok &= v.size() >= a.get<size_t>();
            } else if (k == "items") {
                if (v.is_array())
                    for (const Json& x : v) ok &= check(a, x);
            } else if (k == "minItems") {
                if (v.is_array()) ok &= v.size() >= a.get<size_t>();
            } else if (k == "maxItems") {
                if (v.is_array()) ok &= v.size() <= a.get<size_t>();
            } else if (k == "minimum") {
                if (v.is_number()) ok &= v.get<double>() >= a.get<double>();
            } else if (k == "maximum") {
                if (v.is_number()) ok &= v.get<double>() <= a.get<double>();
            } else if (k == "exclusiveMinimum") {
                if (v.is_number()) ok &= v.get<double>() > a.get<double>();
            } else if (k == "pattern") {
                if (v.is_string()) ok &= std::regex_search(v.get<std::string>(), std::regex(a.get<std::string>()));
            } else if (k == "allOf") {
                for (const Json& x : a) ok &= check(x, v);
            } else if (k == "anyOf") {
                bool any = false;
                for (const Json& x : a) any |= check(x, v);
                ok &= any;
            } else if (k == "oneOf") {
                int n = 0;
                for (const Json& x : a) n += check(x, v) ? 1 : 0;
                ok &= n == 1;
            } else if (k == "not") {
                ok &= !check(a, v);
            } else if (k == "if") {
                if (check(a, v)) {
                    if (s.contains("then")) ok &= check(s["then"], v);
                } else if (s.contains("else")) {
                    ok &= check(s["else"], v);
                }
            } else {
                unknownKeywords.push_back(k);
                ok = false;
            }
        }
        return ok;
    }
};

Json loadSchema() {
    return Json::parse(readText(kSourceDir + "/resources/schema/modulelab-model-1.schema.json"));
}

// A small model built in code, with every kind of module spec and node.
ml::ModelDocument builtInCode() {
    using namespace ml;
    ModelDocument doc;
    doc.model = "Net";
    BlockDef enc;
    enc.name = "Encoder";
    enc.parameters = {{"width", Json(8)}};
    enc.inputs = {{"x", DType::Float32, std::nullopt}};
    ModuleSpec fc{"Linear", Json{{"out_features", "$width"}, {"bias", false}}, {}, {}, {}};
    enc.children = {{"fc", fc}};
    enc.nodes.push_back(Node{"h", "fc", {}, Json::object(), ListUse::None, std::nullopt, {}, {"x"}, {}});
    enc.outputs = {{"h", "h"}};

    BlockDef top;
    top.name = "Net";
    top.doc = "built in code";
    top.inputs = {{"x", DType::Float32, std::vector<Index>{4}}, {"k", DType::Int64, std::nullopt}};
    ModuleSpec encoder{"Encoder", Json{{"width", 6}}, {}, {}, {}};
    ModuleSpec heads{"ModuleList", Json::object(),
                     {ModuleSpec{"Linear", Json{{"out_features", 2}}, {}, {}, {}},
                      ModuleSpec{"Linear", Json{{"out_features", 2}}, {}, {}, {}}},
                     {}, {}};
    ModuleSpec alias{"", Json::object(), {}, "encoder", {}};
    ModuleSpec seq{"Sequential", Json::object(),
                   {ModuleSpec{"ReLU", Json::object(), {}, {}, {}}, ModuleSpec{"", Json::object(), {}, "0", {}}}, {}, {}};
    top.children = {{"encoder", encoder}, {"alias", alias}, {"heads", heads}, {"act", seq}};
    top.nodes.push_back(Node{"e", "encoder", {}, Json::object(), ListUse::None, std::nullopt, {}, {"x"}, {}});
    top.nodes.push_back(Node{"f", "alias", {}, Json::object(), ListUse::None, std::nullopt, {}, {"x"}, {}});
    top.nodes.push_back(Node{"s", {}, "add", Json::object(), ListUse::None, std::nullopt, {}, {"e", "f"}, {}});
    top.nodes.push_back(Node{"a", "act", {}, Json::object(), ListUse::None, std::nullopt, {}, {"s"}, {}});
    top.nodes.push_back(Node{"y0", "heads", {}, Json::object(), ListUse::Index, Index(0), {}, {"a"}, {}});
    top.nodes.push_back(Node{"y", "heads", {}, Json::object(), ListUse::Index, std::nullopt, "k", {"a"}, {}});
    top.nodes.push_back(Node{"z", {}, "concat", Json{{"dim", 1}}, ListUse::None, std::nullopt, {}, {"y0", "y"}, {}});
    top.outputs = {{"z", "z"}};
    doc.definitions = {top, enc};
    doc.layout = Json{{"nodes", {{"e", {10, 20}}}}};
    doc.training = Json{{"epochs", 1}};
    return doc;
}

} // namespace

class TestModelJson : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void badInput_data();
    void badInput();
    void badInputIsFast_data();
    void badInputIsFast();
    void sizeCap();
    void fileErrors();
    void readsExamples_data();
    void readsExamples();
    void roundTripExamples_data();
    void roundTripExamples();
    void roundTripBuiltInCode();
    void stableKeyOrder();
    void writeFileIsAtomicAndReadable();
    void schemaIsDraft202012AndUsesKnownKeywords();
    void schemaAcceptsExamples_data();
    void schemaAcceptsExamples();
    void schemaRejectsBadInput_data();
    void schemaRejectsBadInput();
    void schemaMatchesReaderKeys();
    void schemaMatchesLayerCatalog();
    void catalogEntriesDescribeEachLayer();
    void documentedExampleIsValid();
};

void TestModelJson::badInput_data() {
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QString>("expected"); // every problem, one per line, exactly
    QTest::addColumn<bool>("schemaSees");  // the JSON Schema rejects it too

    auto row = [](const char* name, const std::string& text, const char* expected, bool schemaSees = true) {
        QTest::newRow(name) << QByteArray::fromStdString(text) << QString::fromUtf8(expected) << schemaSees;
    };
    auto body = [](const std::string& from, const std::string& to) {
        std::string b = kGoodBody;
        const size_t at = b.find(from);
        if (at == std::string::npos) qFatal("row pattern not found: %s", from.c_str());
        return net(b.replace(at, from.size(), to));
    };

    // Not JSON at all.
    row("empty", "", "not valid JSON at line 1, column 1: syntax error while parsing value - unexpected end of input; "
                     "expected '[', '{', or a literal", false);
    row("truncated", "{\"format\": \"modulelab-model\",\n \"version\": ",
        "not valid JSON at line 2, column 13: syntax error while parsing value - unexpected end of input; expected "
        "'[', '{', or a literal", false);
    row("trailing comma", "{\"a\": 1,}",
        "not valid JSON at line 1, column 9: syntax error while parsing object key - unexpected '}'; expected string "
        "literal", false);
    row("number overflow", R"({"format": "modulelab-model", "version": 1e400})",
        "not valid JSON at line 1, column 46: number overflow parsing '1e400'", false);
    row("not an object", "[1, 2]", "/: the file must hold a JSON object, not an array");
    row("duplicate key", net(R"({"inputs": [], "outputs": [], "inputs": []})"),
        "/definitions/Net: duplicate key 'inputs' (each name may appear once)", false);
    row("duplicate child name",
        net(R"({"inputs": [], "children": {"fc": {"type": "ReLU"}, "fc": {"type": "Tanh"}}, "outputs": []})"),
        "/definitions/Net/children: duplicate key 'fc' (each name may appear once)", false);

    // Top level.
    row("missing format", R"({"version": 1, "model": "Net", "definitions": {"Net": )" + kGoodBody + "}}",
        "/format: missing; a ModuleLab model starts with \"format\": \"modulelab-model\"");
    row("wrong format", R"({"format": "onnx", "version": 1})",
        "/format: is \"onnx\", not \"modulelab-model\": this is not a ModuleLab model");
    row("wrong version", R"({"format": "modulelab-model", "version": 2, "model": "Net", "definitions": {}})",
        "/version: unsupported version 2; this ModuleLab reads version 1");
    row("version as string", R"({"format": "modulelab-model", "version": "1"})",
        "/version: unsupported version \"1\"; this ModuleLab reads version 1");
    row("missing version", R"({"format": "modulelab-model", "model": "Net", "definitions": {"Net": )" + kGoodBody + "}}",
        "/version: missing; this ModuleLab reads version 1");
    row("missing model and definitions", R"({"format": "modulelab-model", "version": 1})",
        "/model: missing (a string is required)\n/definitions: missing (an object is required)");
    row("model not a string",
        R"({"format": "modulelab-model", "version": 1, "model": 3, "definitions": {"Net": )" + kGoodBody + "}}",
        "/model: must be a string, not an integer");
    row("definitions an array", R"({"format": "modulelab-model", "version": 1, "model": "Net", "definitions": []})",
        "/definitions: must be an object, not an array");
    row("definitions empty", R"({"format": "modulelab-model", "version": 1, "model": "Net", "definitions": {}})",
        "/definitions: is empty; define at least the model's block");
    row("unknown top-level key and layout not an object",
        R"({"format": "modulelab-model", "version": 1, "model": "Net", "definitions": {"Net": )" + kGoodBody +
            R"(}, "weights": [], "layout": 5})",
        "/weights: unknown key 'weights'; allowed here: format, version, model, definitions, layout, training, "
        "$schema, doc\n/layout: must be an object, not an integer");

    // Definitions.
    row("definition not an object", net("[]"), "/definitions/Net: a definition must be an object, not an array");
    row("definition kind", body(R"("inputs")", R"("kind": "Sequential", "inputs")"),
        "/definitions/Net/kind: must be \"block\" (Sequential and ModuleList are written as children with \"type\")");
    row("unknown definition key", body(R"("inputs")", R"("forward": "x", "inputs")"),
        "/definitions/Net/forward: unknown key 'forward'; allowed here: kind, doc, parameters, inputs, children, "
        "nodes, outputs");
    row("missing inputs and outputs", net(R"({"nodes": []})"),
        "/definitions/Net/inputs: missing (an array is required)\n/definitions/Net/outputs: missing (an array is "
        "required)");
    row("parameter default an array", body(R"("inputs")", R"("parameters": {"sizes": [1, 2]}, "inputs")"),
        "/definitions/Net/parameters/sizes: a block argument's default must be a number, string, boolean or null");

    // Inputs.
    row("input not an object", body(R"({"name": "x", "shape": [4]})", R"("x")"),
        "/definitions/Net/inputs/0: an input must be an object {\"name\", \"shape\" or \"dtype\"}, not a string");
    row("input without name", body(R"({"name": "x", "shape": [4]})", R"({"shape": [4]})"),
        "/definitions/Net/inputs/0/name: missing (a string is required)");
    row("input dtype", body(R"("shape": [4])", R"("shape": [4], "dtype": "float16")"),
        "/definitions/Net/inputs/0/dtype: must be \"float32\" or \"int64\", not \"float16\"");
    row("negative input size", body("[4]", "[3, -2]"), "/definitions/Net/inputs/0/shape/1: must be a positive integer, got -2");
    row("zero input size", body("[4]", "[0]"), "/definitions/Net/inputs/0/shape/0: must be a positive integer, got 0");
    row("fractional input size", body("[4]", "[2.5]"), "/definitions/Net/inputs/0/shape/0: must be a positive integer, got 2.5");
    row("input too large", body("[4]", "[65536, 65536]"),
        "/definitions/Net/inputs/0/shape: has more than 2147483648 elements per sample, the limit", false);
    row("int64 input with a shape", body(R"("shape": [4])", R"("dtype": "int64", "shape": [4])"),
        "/definitions/Net/inputs/0/shape: an int64 index input is a single integer per call and has no shape");

    // Children.
    row("children an array", body(R"("children": {"fc": {"type": "Linear", "args": {"out_features": 2}}})", R"("children": [])"),
        "/definitions/Net/children: must be an object, not an array");
    row("child not an object", body(R"({"type": "Linear", "args": {"out_features": 2}})", R"("Linear")"),
        "/definitions/Net/children/fc: a module must be an object with \"type\" (or \"same_as\"), not a string");
    row("child without type", body(R"("type": "Linear", )", ""),
        "/definitions/Net/children/fc/type: missing (a string is required)");
    row("type not a string", body(R"("type": "Linear")", R"("type": 7)"),
        "/definitions/Net/children/fc/type: must be a string, not an integer");
    row("args not an object", body(R"({"out_features": 2})", "[2]"),
        "/definitions/Net/children/fc/args: must be an object, not an array");
    row("unknown module key", body(R"("type": "Linear")", R"("type": "Linear", "name": "fc")"),
        "/definitions/Net/children/fc/name: unknown key 'name'; allowed here: type, args");
    row("Sequential with args, without items", body(R"("type": "Linear")", R"("type": "Sequential")"),
        "/definitions/Net/children/fc/args: unknown key 'args'; allowed here: type, items\n"
        "/definitions/Net/children/fc/items: missing (an array is required)");
    row("ModuleList items not an array",
        body(R"({"type": "Linear", "args": {"out_features": 2}})", R"({"type": "ModuleList", "items": {}})"),
        "/definitions/Net/children/fc/items: must be an array, not an object");
    row("bad item",
        body(R"({"type": "Linear", "args": {"out_features": 2}})", R"({"type": "Sequential", "items": [{"type": "ReLU"}, 5]})"),
        "/definitions/Net/children/fc/items/1: a module must be an object with \"type\" (or \"same_as\"), not an "
        "integer");
    row("same_as with other keys", body(R"("type": "Linear")", R"("same_as": "x", "type": "Linear")"),
        "/definitions/Net/children/fc/type: unknown key 'type'; allowed here: same_as\n"
        "/definitions/Net/children/fc/args: unknown key 'args'; allowed here: same_as");
    row("same_as not a string", body(R"({"type": "Linear", "args": {"out_features": 2}})", R"({"same_as": 0})"),
        "/definitions/Net/children/fc/same_as: must be a string, not an integer");

    // Nodes.
    row("nodes an object", body(R"("nodes": [{"id": "y", "call": "fc", "in": ["x"]}])", R"("nodes": {})"),
        "/definitions/Net/nodes: must be an array, not an object");
    row("node not an object", body(R"({"id": "y", "call": "fc", "in": ["x"]})", R"("fc")"),
        "/definitions/Net/nodes/0: a node must be an object with \"id\" and \"call\" or \"op\", not a string");
    row("node without id and in", body(R"({"id": "y", "call": "fc", "in": ["x"]})", R"({"call": "fc"})"),
        "/definitions/Net/nodes/0/id: missing (a string is required)\n/definitions/Net/nodes/0/in: missing (an array "
        "is required)");
    row("node with call and op", body(R"("call": "fc")", R"("call": "fc", "op": "relu")"),
        "/definitions/Net/nodes/0: a node needs exactly one of \"call\" (a child) and \"op\" (add, concat, flatten, "
        "relu)");
    row("node with neither call nor op", body(R"("call": "fc", )", ""),
        "/definitions/Net/nodes/0: a node needs exactly one of \"call\" (a child) and \"op\" (add, concat, flatten, "
        "relu)");
    row("call with args", body(R"("call": "fc")", R"("call": "fc", "args": {"dim": 1})"),
        "/definitions/Net/nodes/0/args: a call takes no args (they belong to the child)");
    row("input reference a number", body(R"("in": ["x"])", R"("in": [0])"),
        "/definitions/Net/nodes/0/in/0: must name an input or node, not an integer");
    row("unknown node key", body(R"("in": ["x"])", R"("in": ["x"], "inputs": ["x"])"),
        "/definitions/Net/nodes/0/inputs: unknown key 'inputs'; allowed here: id, call, op, in, args, index, apply");
    row("index a boolean", body(R"("call": "fc")", R"("call": "fc", "index": true)"),
        "/definitions/Net/nodes/0/index: must be an integer or the name of an int64 input, not a boolean");
    row("index beyond int64", body(R"("call": "fc")", R"("call": "fc", "index": 18446744073709551615)"),
        "/definitions/Net/nodes/0/index: is out of range, got 18446744073709551615", false);
    row("apply not chain", body(R"("call": "fc")", R"("call": "fc", "apply": "all")"),
        "/definitions/Net/nodes/0/apply: must be \"chain\" (apply every item in turn)");
    row("index and apply", body(R"("call": "fc")", R"("call": "fc", "index": 0, "apply": "chain")"),
        "/definitions/Net/nodes/0: use either \"index\" or \"apply\", not both");
    row("index on an op", body(R"("call": "fc")", R"("op": "relu", "index": 0)"),
        "/definitions/Net/nodes/0: \"index\" and \"apply\" belong to calls of a ModuleList");

    // Outputs.
    row("output not an object", body(R"({"name": "y", "from": "y"})", R"("y")"),
        "/definitions/Net/outputs/0: an output must be an object {\"name\", \"from\"}, not a string");
    row("output without from", body(R"(, "from": "y")", ""), "/definitions/Net/outputs/0/from: missing (a string is required)");
    row("output from null", body(R"("from": "y")", R"("from": null)"), "/definitions/Net/outputs/0/from: must be a string, not null");

    // Every problem of a file at once, in file order.
    row("several problems, all reported in file order",
        net(R"({"inputs": [{"name": "x", "shape": [0, -1]}], "children": {"fc": {"type": 1}}, "nodes": [{"id": "y"}],)"
            R"( "outputs": [{"name": "y"}], "extra": true})"),
        "/definitions/Net/extra: unknown key 'extra'; allowed here: kind, doc, parameters, inputs, children, nodes, "
        "outputs\n"
        "/definitions/Net/inputs/0/shape/0: must be a positive integer, got 0\n"
        "/definitions/Net/inputs/0/shape/1: must be a positive integer, got -1\n"
        "/definitions/Net/children/fc/type: must be a string, not an integer\n"
        "/definitions/Net/nodes/0: a node needs exactly one of \"call\" (a child) and \"op\" (add, concat, flatten, "
        "relu)\n"
        "/definitions/Net/nodes/0/in: missing (an array is required)\n"
        "/definitions/Net/outputs/0/from: missing (a string is required)");
}

void TestModelJson::badInput() {
    QFETCH(QByteArray, text);
    QFETCH(QString, expected);
    QCOMPARE(problemsOf(text.toStdString()), expected);
    // what() prefixes each problem with the source.
    try {
        ml::io::parseModel(text.toStdString(), "t.json");
    } catch (const ml::Error& e) {
        QVERIFY2(QString(e.what()).startsWith("t.json: "), e.what());
        QCOMPARE(QString(e.what()).count("t.json: "), expected.count('\n') + 1);
    }
}

void TestModelJson::badInputIsFast_data() {
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QString>("expectedStart");
    QTest::addColumn<QString>("expectedEnd");
    const int n = 100000;
    QTest::newRow("100000 nested arrays") << QByteArray(n, '[') + QByteArray(n, ']') << "/0/0/0/0/"
                                          << "/0: nested more than 256 levels deep";
    QTest::newRow("100000 unclosed arrays") << QByteArray(n, '[') << "/0/0/0/0/"
                                            << "/0: nested more than 256 levels deep";
    QByteArray objects;
    for (int i = 0; i < n; ++i) objects += "{\"a\":";
    QTest::newRow("100000 nested objects") << objects << "/a/a/a/a/" << "/a: nested more than 256 levels deep";
    QByteArray inModel = "{\"format\": \"modulelab-model\", \"version\": 1, \"model\": \"Net\", \"layout\": ";
    inModel += QByteArray(n, '[') + QByteArray(n, ']') + "}";
    QTest::newRow("deep layout") << inModel << "/layout/0/0/" << "/0: nested more than 256 levels deep";
}

void TestModelJson::badInputIsFast() {
    QFETCH(QByteArray, text);
    QFETCH(QString, expectedStart);
    QFETCH(QString, expectedEnd);
    QElapsedTimer timer;
    timer.start();
    const QString problems = problemsOf(text.toStdString());
    QVERIFY2(timer.elapsed() < 2000, qPrintable(QString::number(timer.elapsed()) + " ms"));
    QVERIFY2(problems.startsWith(expectedStart), qPrintable(problems.left(200)));
    QVERIFY2(problems.endsWith(expectedEnd), qPrintable(problems.right(200)));
    QCOMPARE(problems.count('\n'), 0);
    // The pointer names the level where the cap was hit: 256 steps down.
    const QString pointer = problems.left(problems.indexOf(':'));
    QCOMPARE(pointer.count('/'), 256);
}

void TestModelJson::sizeCap() {
    ml::io::ModelReadLimits limits;
    limits.maxBytes = 100;
    QCOMPARE(problemsOf(net(kGoodBody), limits),
             QString("the file is %1 bytes, more than the limit of 100").arg(net(kGoodBody).size()));
    limits = {};
    limits.maxDepth = 3;
    QCOMPARE(problemsOf(net(kGoodBody), limits), QString("/definitions/Net/inputs: nested more than 3 levels deep"));
    limits = {};
    limits.maxInputElements = 12;
    QCOMPARE(problemsOf(net(kGoodBody), limits), QString("<no error>"));
    std::string b = kGoodBody;
    b.replace(b.find("[4]"), 3, "[4, 4]");
    QCOMPARE(problemsOf(net(b), limits),
             QString("/definitions/Net/inputs/0/shape: has more than 12 elements per sample, the limit"));
}

void TestModelJson::fileErrors() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const std::string missing = dir.filePath("missing.json").toStdString();
    try {
        ml::io::readModelFile(missing);
        QFAIL("no error");
    } catch (const ml::io::ModelFileError& e) {
        QCOMPARE(QString(e.what()), QString::fromStdString(missing + ": no such file"));
    }
    try {
        ml::io::readModelFile(dir.path().toStdString());
        QFAIL("no error");
    } catch (const ml::io::ModelFileError& e) {
        QCOMPARE(QString(e.what()), dir.path() + ": not a regular file");
    }
    const std::string bad = dir.filePath("bad.json").toStdString();
    std::ofstream(bad) << "{\n  \"format\": \"modulelab-model\",\n  \"version\": 1,\n  oops\n}\n";
    try {
        ml::io::readModelFile(bad);
        QFAIL("no error");
    } catch (const ml::io::ModelFileError& e) {
        QCOMPARE(QString(e.what()),
                 QString::fromStdString(bad + ": not valid JSON at line 4, column 3: syntax error while parsing "
                                              "object key - invalid literal; last read: '1,<U+000A>  o'; expected string "
                                              "literal"));
    }
}

void TestModelJson::readsExamples_data() {
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("model");
    QTest::addColumn<int>("definitions");
    QTest::addColumn<QString>("children"); // of the model's block, in file order
    QTest::newRow("multitask") << "multitask" << "MultiTaskNetwork" << 1 << "shared_layer task_layers";
    QTest::newRow("simple_cnn") << "simple_cnn" << "SimpleCNN" << 1 << "features classifier";
    QTest::newRow("resnet") << "resnet" << "ResNet" << 2 << "block1 block2 pool fc";
    QTest::newRow("siamese") << "siamese" << "SiameseNetwork" << 1 << "encoder head";
    QTest::newRow("resnet_tutorial") << "resnet_tutorial" << "ResNet" << 2 << "block1 block2";
}

void TestModelJson::readsExamples() {
    QFETCH(QString, name);
    QFETCH(QString, model);
    QFETCH(int, definitions);
    QFETCH(QString, children);
    const ml::ModelDocument doc = ml::io::readModelFile(examplePath(name.toStdString()));
    QCOMPARE(QString::fromStdString(doc.model), model);
    QCOMPARE(int(doc.definitions.size()), definitions);
    QStringList names;
    for (const ml::NamedSpec& c : doc.findDefinition(doc.model)->children) names << QString::fromStdString(c.name);
    QCOMPARE(names.join(' '), children);
}

void TestModelJson::roundTripExamples_data() {
    QTest::addColumn<QString>("name");
    for (const std::string& e : kExamples) QTest::newRow(e.c_str()) << QString::fromStdString(e);
}

void TestModelJson::roundTripExamples() {
    QFETCH(QString, name);
    const std::string path = examplePath(name.toStdString());
    const ml::ModelDocument doc = ml::io::readModelFile(path);
    const std::string once = ml::io::modelToString(doc);
    const std::string twice = ml::io::modelToString(ml::io::parseModel(once));
    QCOMPARE(QString::fromStdString(twice), QString::fromStdString(once));
    // Writing loses nothing the file said: same JSON value as the file, up to
    // the "kind" the writer always spells out.
    Json original = Json::parse(readText(path));
    Json written = Json::parse(once);
    for (auto& [defName, def] : original["definitions"].items()) def["kind"] = "block";
    for (auto& [defName, def] : written["definitions"].items()) {
        QVERIFY(original["definitions"].contains(defName));
        for (const char* key : {"children", "nodes"})
            if (def[key].empty() && !original["definitions"][defName].contains(key)) def.erase(key);
    }
    QCOMPARE(QString::fromStdString(written.dump()), QString::fromStdString(original.dump()));
}

void TestModelJson::roundTripBuiltInCode() {
    const ml::ModelDocument doc = builtInCode();
    const std::string once = ml::io::modelToString(doc);
    const ml::ModelDocument back = ml::io::parseModel(once);
    QCOMPARE(QString::fromStdString(ml::io::modelToString(back)), QString::fromStdString(once));
    // Field by field: the reader rebuilt what the code built.
    QCOMPARE(back.definitions.size(), size_t(2));
    const ml::BlockDef& top = back.definitions[0];
    QCOMPARE(QString::fromStdString(top.doc), QString("built in code"));
    QCOMPARE(top.inputs[1].dtype, ml::DType::Int64);
    QVERIFY(!top.inputs[1].shape);
    QCOMPARE(*top.inputs[0].shape, std::vector<ml::Index>{4});
    QCOMPARE(QString::fromStdString(top.children[1].spec.sameAs), QString("encoder"));
    QCOMPARE(QString::fromStdString(top.children[3].spec.items[1].sameAs), QString("0"));
    QCOMPARE(top.nodes[4].listUse, ml::ListUse::Index);
    QCOMPARE(*top.nodes[4].constIndex, ml::Index(0));
    QCOMPARE(QString::fromStdString(top.nodes[5].indexInput), QString("k"));
    QCOMPARE(QString::fromStdString(top.nodes[6].args.dump()), QString(R"({"dim":1})"));
    QCOMPARE(QString::fromStdString(back.definitions[1].parameters[0].name), QString("width"));
    QCOMPARE(QString::fromStdString(back.layout.dump()), QString(R"({"nodes":{"e":[10,20]}})"));
    QCOMPARE(QString::fromStdString(back.training.dump()), QString(R"({"epochs":1})"));
    // Pointers are filled by the reader, for diagnostics.
    QCOMPARE(QString::fromStdString(top.nodes[5].pointer), QString("/definitions/Net/nodes/5"));
    QCOMPARE(QString::fromStdString(top.children[3].spec.items[1].pointer),
             QString("/definitions/Net/children/act/items/1"));
}

void TestModelJson::stableKeyOrder() {
    // Keys in any order in, one order out: top level, definitions in file
    // order, layer args in PyTorch's signature order, unknown ones after.
    const std::string scrambled = R"({"training": {"b": 1, "a": 2}, "definitions": {"Net": {"outputs": [{"from": "y",
        "name": "y"}], "nodes": [{"in": [null, "x"], "op": "add", "id": "s"}, {"in": ["s"], "call": "c", "id": "y"}],
        "children": {"c": {"args": {"padding": [1, 0], "kernel_size": 3, "out_channels": 4, "bias": false},
        "type": "Conv2d"}}, "inputs": [{"shape": [1, 2, 2], "name": "x"}], "doc": "d", "kind": "block"}},
        "model": "Net", "version": 1, "format": "modulelab-model"})";
    const std::string expected = R"({
  "format": "modulelab-model",
  "version": 1,
  "model": "Net",
  "definitions": {
    "Net": {
      "kind": "block",
      "doc": "d",
      "inputs": [
        {
          "name": "x",
          "shape": [
            1,
            2,
            2
          ]
        }
      ],
      "children": {
        "c": {
          "type": "Conv2d",
          "args": {
            "out_channels": 4,
            "kernel_size": 3,
            "padding": [
              1,
              0
            ],
            "bias": false
          }
        }
      },
      "nodes": [
        {
          "id": "s",
          "op": "add",
          "in": [
            null,
            "x"
          ]
        },
        {
          "id": "y",
          "call": "c",
          "in": [
            "s"
          ]
        }
      ],
      "outputs": [
        {
          "name": "y",
          "from": "y"
        }
      ]
    }
  },
  "training": {
    "b": 1,
    "a": 2
  }
}
)";
    QCOMPARE(QString::fromStdString(ml::io::modelToString(ml::io::parseModel(scrambled))), QString::fromStdString(expected));
}

void TestModelJson::writeFileIsAtomicAndReadable() {
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const std::string path = dir.filePath("m.json").toStdString();
    std::ofstream(path) << "old contents";
    const ml::ModelDocument doc = builtInCode();
    ml::io::writeModelFile(doc, path);
    QCOMPARE(QString::fromStdString(readText(path)), QString::fromStdString(ml::io::modelToString(doc)));
    QCOMPARE(QDir(dir.path()).entryList(QDir::Files | QDir::Hidden), QStringList{"m.json"}); // no temporary left
    QCOMPARE(QString::fromStdString(ml::io::modelToString(ml::io::readModelFile(path))),
             QString::fromStdString(ml::io::modelToString(doc)));
    try {
        ml::io::writeModelFile(doc, dir.filePath("no/such/dir/m.json").toStdString());
        QFAIL("no error");
    } catch (const ml::Error& e) {
        QVERIFY2(QString(e.what()).contains("cannot write"), e.what());
    }
}

void TestModelJson::schemaIsDraft202012AndUsesKnownKeywords() {
    const Json schema = loadSchema();
    QCOMPARE(QString::fromStdString(schema["$schema"].get<std::string>()),
             QString("https://json-schema.org/draft/2020-12/schema"));
    MiniSchema v(schema);
    QVERIFY(v.valid(Json::parse(readText(examplePath("multitask")))));
    QVERIFY2(v.unknownKeywords.empty(), v.unknownKeywords.empty() ? "" : v.unknownKeywords.front().c_str());
    // Every $ref resolves.
    std::function<void(const Json&)> walk = [&](const Json& j) {
        if (j.is_object()) {
            if (j.contains("$ref")) {
                const std::string ref = j["$ref"].get<std::string>();
                QVERIFY2(ref.starts_with("#/") && schema.contains(Json::json_pointer(ref.substr(1))), ref.c_str());
            }
            for (const auto& [k, x] : j.items()) walk(x);
        } else if (j.is_array()) {
            for (const Json& x : j) walk(x);
        }
    };
    walk(schema);
}

void TestModelJson::schemaAcceptsExamples_data() {
    QTest::addColumn<QString>("name");
    for (const std::string& e : kExamples) QTest::newRow(e.c_str()) << QString::fromStdString(e);
}

void TestModelJson::schemaAcceptsExamples() {
    QFETCH(QString, name);
    MiniSchema v(loadSchema());
    const Json file = Json::parse(readText(examplePath(name.toStdString())));
    QVERIFY(v.valid(file));
    // What the writer produces is valid too.
    QVERIFY(v.valid(ml::io::modelToJson(ml::io::parseModel(file.dump()))));
    QVERIFY(v.valid(ml::io::modelToJson(builtInCode())));
    QVERIFY(v.unknownKeywords.empty());
    // Spot checks that the validator can say no.
    Json broken = file;
    broken["version"] = 2;
    QVERIFY(!v.valid(broken));
    broken = file;
    broken.erase("definitions");
    QVERIFY(!v.valid(broken));
}

void TestModelJson::schemaRejectsBadInput_data() { badInput_data(); }

void TestModelJson::schemaRejectsBadInput() {
    QFETCH(QByteArray, text);
    QFETCH(bool, schemaSees);
    if (!schemaSees) QSKIP("not JSON, or a duplicate key (the parsed value cannot show it)");
    MiniSchema v(loadSchema());
    QVERIFY(!v.valid(Json::parse(text.toStdString())));
    QVERIFY(v.unknownKeywords.empty());
}

void TestModelJson::schemaMatchesReaderKeys() {
    const Json schema = loadSchema();
    const Json& defs = schema["$defs"];
    auto keys = [](const Json& object) {
        QStringList k;
        for (const auto& [name, x] : object["properties"].items()) k << QString::fromStdString(name);
        return k.join(' ');
    };
    // The same keys, in the same order, that the reader's allowKeys() lists
    // (the order of the "allowed here" messages in badInput).
    QCOMPARE(keys(schema), QString("$schema doc format version model definitions layout training"));
    QCOMPARE(QString::fromStdString(schema["required"].dump()), QString(R"(["format","version","model","definitions"])"));
    QCOMPARE(keys(defs["block"]), QString("kind doc parameters inputs children nodes outputs"));
    QCOMPARE(QString::fromStdString(defs["block"]["required"].dump()), QString(R"(["inputs","outputs"])"));
    QCOMPARE(keys(defs["input"]), QString("name dtype shape"));
    QCOMPARE(keys(defs["output"]), QString("name from"));
    QCOMPARE(keys(defs["node"]), QString("id call op in args index apply"));
    QCOMPARE(keys(defs["sameAs"]), QString("same_as"));
    QCOMPARE(keys(defs["container"]), QString("type items"));
    QCOMPARE(keys(defs["layerOrBlock"]), QString("type args"));
    for (const char* d : {"block", "input", "output", "node", "sameAs", "container", "layerOrBlock"})
        QVERIFY2(defs[d]["additionalProperties"] == false, d);
    QVERIFY(schema["additionalProperties"] == false);
    // Every example's top-level keys are allowed and the required ones present.
    for (const std::string& e : kExamples) {
        const Json file = Json::parse(readText(examplePath(e)));
        for (const auto& [k, x] : file.items()) QVERIFY2(schema["properties"].contains(k), k.c_str());
        for (const Json& r : schema["required"]) QVERIFY2(file.contains(r.get<std::string>()), e.c_str());
    }
}

void TestModelJson::catalogEntriesDescribeEachLayer() {
    // One entry per LayerId, in order, named as the id.
    QCOMPARE(ml::layerTypes().size(), ml::kLayerCount);
    for (size_t i = 0; i < ml::kLayerCount; ++i) {
        const ml::LayerType& t = ml::layerTypes()[i];
        QCOMPARE(static_cast<size_t>(t.id), i);
        QCOMPARE(t.name, std::string(ml::layerName(t.id)));
        QCOMPARE(&ml::layerType(t.id), &t);
        QCOMPARE(t.pyClass, "nn." + t.name);
        QVERIFY2(std::count(ml::layerCategories().begin(), ml::layerCategories().end(), t.category) == 1,
                 t.name.c_str());
    }
    QCOMPARE(std::string(ml::layerName(ml::LayerId::AdaptiveAvgPool2d)), std::string("AdaptiveAvgPool2d"));
    // Tensors with their PyTorch names and initialization.
    const ml::Json conv{{"in_channels", 4}, {"out_channels", 6}, {"kernel_size", {3, 5}}, {"stride", 1},
                        {"padding", {1, 2}}, {"dilation", 1}, {"groups", 2}, {"bias", true}};
    const std::vector<ml::TensorSpec> c = ml::layerType(ml::LayerId::Conv2d).tensors(conv);
    QCOMPARE(c.size(), size_t(2));
    QCOMPARE(c[0].name, std::string("weight"));
    QCOMPARE(c[0].shape, (std::vector<ml::Index>{6, 2, 3, 5}));
    QVERIFY(c[0].init == ml::TensorInit::UniformFanIn && c[1].init == ml::TensorInit::UniformFanIn);
    QCOMPARE(c[0].fanIn, ml::Index(30));
    QCOMPARE(c[1].fanIn, ml::Index(30));
    const std::vector<ml::TensorSpec> bn = ml::layerTensors(
        "BatchNorm1d", {{"num_features", 3}, {"affine", false}, {"track_running_stats", true}});
    QCOMPARE(bn.size(), size_t(3));
    QCOMPARE(bn[1].name, std::string("running_var"));
    QVERIFY(bn[1].isBuffer && bn[1].init == ml::TensorInit::Ones);
    QVERIFY(bn[2].dtype == ml::DType::Int64 && bn[2].init == ml::TensorInit::Zeros);
    QVERIFY(ml::layerTensors("ReLU", ml::Json::object()).empty());
    // Repr (PyTorch's print) and the canvas label, which shows "?" for an argument left to inference.
    QCOMPARE(ml::layerType(ml::LayerId::Conv2d).repr(conv),
             std::string("Conv2d(4, 6, kernel_size=(3, 5), stride=(1, 1), padding=(1, 2), groups=2)"));
    QCOMPARE(ml::layerType(ml::LayerId::Conv2d).label(conv), std::string("Conv2d(4 \u2192 6, k[3,5], p[1,2])"));
    QCOMPARE(ml::layerType(ml::LayerId::Linear).label({{"out_features", 5}}), std::string("Linear(? \u2192 5)"));
    QCOMPARE(ml::layerType(ml::LayerId::Tanh).repr(ml::Json::object()), std::string("Tanh()"));
    QCOMPARE(ml::layerType(ml::LayerId::Tanh).label(ml::Json::object()), std::string("Tanh"));
    QCOMPARE(ml::layerType(ml::LayerId::Dropout).label(ml::Json::object()), std::string("Dropout(p=0.5)"));
    // PyTorch constructor details, and the ops' module forms.
    QCOMPARE(ml::layerType(ml::LayerId::Softmax).pyKeyword, std::vector<std::string>{"dim"});
    QCOMPARE(ml::layerType(ml::LayerId::MaxPool2d).pyPositional, std::vector<std::string>{"stride"});
    QVERIFY(ml::findOpType("relu")->moduleForm == ml::LayerId::ReLU);
    QVERIFY(ml::findOpType("flatten")->moduleForm == ml::LayerId::Flatten);
    QVERIFY(ml::findOpType("add")->moduleForm == ml::LayerId::Count);
}

void TestModelJson::schemaMatchesLayerCatalog() {
    const Json schema = loadSchema();
    const Json& layerArgs = schema["$defs"]["layerArgs"]["$defs"];
    QStringList catalogTypes, schemaTypes;
    for (const ml::LayerType& t : ml::layerTypes()) catalogTypes << QString::fromStdString(t.name);
    for (const auto& [name, x] : layerArgs.items()) schemaTypes << QString::fromStdString(name);
    QCOMPARE(schemaTypes, catalogTypes);
    for (const ml::LayerType& t : ml::layerTypes()) {
        const Json& s = layerArgs[t.name];
        QStringList catalogArgs, schemaArgs, catalogRequired, schemaRequired;
        for (const ml::ArgSpec& a : t.args) {
            catalogArgs << QString::fromStdString(a.name);
            if (a.defaultValue.is_null() && !a.inferable && a.kind != ml::ArgKind::OptionalIntPair)
                catalogRequired << QString::fromStdString(a.name);
        }
        for (const auto& [name, x] : s["properties"].items()) schemaArgs << QString::fromStdString(name);
        if (s.contains("required"))
            for (const Json& r : s["required"]) schemaRequired << QString::fromStdString(r.get<std::string>());
        QCOMPARE(schemaArgs, catalogArgs);
        QCOMPARE(schemaRequired, catalogRequired);
        QVERIFY(s["additionalProperties"] == false);
        // A layer with a required argument needs "args" itself.
        bool needsArgs = false;
        for (const Json& rule : schema["$defs"]["layerOrBlock"]["allOf"])
            if (rule["if"]["properties"]["type"]["const"] == t.name)
                needsArgs = rule["then"].contains("required");
        QCOMPARE(needsArgs, !catalogRequired.isEmpty());
    }
    QStringList catalogOps, schemaOps;
    for (const ml::OpType& o : ml::opTypes()) catalogOps << QString::fromStdString(o.name);
    for (const auto& [name, x] : schema["$defs"]["opArgs"]["$defs"].items()) schemaOps << QString::fromStdString(name);
    QCOMPARE(schemaOps, catalogOps);
    QCOMPARE(QString::fromStdString(schema["$defs"]["node"]["properties"]["op"]["enum"].dump()),
             QString(R"(["add","concat","flatten","relu"])"));
}

void TestModelJson::documentedExampleIsValid() {
    // docs/file-format.md's full example reads, passes the schema and has
    // the parameters it claims.
    const std::string doc = readText(kSourceDir + "/docs/file-format.md");
    const size_t begin = doc.find("```json\n{\n  \"format\"");
    QVERIFY(begin != std::string::npos);
    const size_t end = doc.find("```", begin + 7);
    const std::string text = doc.substr(begin + 8, end - begin - 8);
    const ml::ModelDocument model = ml::io::parseModel(text, "docs/file-format.md");
    QCOMPARE(QString::fromStdString(model.model), QString("MultiTaskNetwork"));
    QVERIFY(MiniSchema(loadSchema()).valid(Json::parse(text)));
    // Same model as the example file, only the training settings differ.
    ml::ModelDocument example = ml::io::readModelFile(examplePath("multitask"));
    example.training = model.training;
    QCOMPARE(QString::fromStdString(ml::io::modelToString(model)), QString::fromStdString(ml::io::modelToString(example)));
}

QTEST_GUILESS_MAIN(TestModelJson)
#include "tst_model_json.moc"
