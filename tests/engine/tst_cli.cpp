// modulelab-cli validate and summary, run as a user would (QProcess): exit
// codes (0 valid, 1 invalid or unreadable, 2 usage), what they print, and
// summary --json against PyTorch's state_dict fixtures.
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <nlohmann/json.hpp>

#include <fstream>

using Json = nlohmann::ordered_json;

namespace {

const QString kSourceDir = MODULELAB_SOURCE_DIR;
const QString kCli = MODULELAB_CLI;

QString example(const QString& name) { return kSourceDir + "/resources/examples/" + name + ".json"; }

struct Run {
    int exitCode = -1;
    QString out, err;
};

Run run(const QStringList& args) {
    QProcess p;
    p.start(kCli, args);
    Run r;
    if (!p.waitForFinished(60000) || p.exitStatus() != QProcess::NormalExit) {
        p.kill();
        r.err = "<crashed or timed out>";
        return r;
    }
    r.exitCode = p.exitCode();
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

} // namespace

class TestCli : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void validate_data();
    void validate();
    void summaryJsonMatchesPyTorch_data();
    void summaryJsonMatchesPyTorch();
    void summaryOfBrokenModel();
    void summaryText();

private:
    QTemporaryDir m_dir;
    QString m_bad, m_notJson, m_tooBig;
};

void TestCli::initTestCase() {
    QVERIFY2(QFileInfo(kCli).isExecutable(), qPrintable(kCli));
    QVERIFY(m_dir.isValid());
    m_bad = m_dir.filePath("bad.json");
    std::ofstream(m_bad.toStdString())
        << R"({"format": "modulelab-model", "version": 1, "model": "Net", "definitions": {"Net": {"inputs": [{"name": "x", "shape": [4]}], "children": {"l": {"type": "ModuleList", "items": [{"type": "Linear", "args": {"in_features": 4, "out_features": 2}}]}}, "nodes": [{"id": "y", "call": "l", "in": ["x"]}], "outputs": [{"name": "y", "from": "y"}]}}})";
    m_notJson = m_dir.filePath("not.json");
    std::ofstream(m_notJson.toStdString()) << "{\"format\": \"modulelab-model\", \"version\": 2, }";
    m_tooBig = m_dir.filePath("big.json");
    std::ofstream(m_tooBig.toStdString())
        << R"({"format": "modulelab-model", "version": 1, "model": "Net", "definitions": {"Net": {"inputs": [{"name": "x", "shape": [100000]}], "children": {"fc": {"type": "Linear", "args": {"out_features": 100000}}}, "nodes": [{"id": "y", "call": "fc", "in": ["x"]}], "outputs": [{"name": "y", "from": "y"}]}}})";
}

void TestCli::validate_data() {
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<int>("exitCode");
    QTest::addColumn<QStringList>("stdoutHas");
    QTest::addColumn<QString>("stderrHas");
    // Paths are filled in validate(): "@name" is an example, "@bad"/"@not"/"@big" the files above.
    QTest::newRow("multitask") << QStringList{"validate", "@multitask"} << 0
                               << QStringList{"multitask.json: valid (0 errors, 0 warnings; 91 parameters)"} << "";
    QTest::newRow("simple_cnn") << QStringList{"validate", "@simple_cnn"} << 0
                                << QStringList{"simple_cnn.json: valid (0 errors, 0 warnings; 268650 parameters)"} << "";
    QTest::newRow("resnet") << QStringList{"validate", "@resnet"} << 0
                            << QStringList{"resnet.json: valid (0 errors, 0 warnings; 270986 parameters)"} << "";
    QTest::newRow("siamese") << QStringList{"validate", "@siamese"} << 0
                             << QStringList{"siamese.json: valid (0 errors, 0 warnings; 297 parameters)"} << "";
    QTest::newRow("all four, quiet flag") << QStringList{"validate", "--quiet", "@multitask", "@simple_cnn", "@resnet", "@siamese"}
                                          << 0 << QStringList{"siamese.json: valid"} << "";
    QTest::newRow("resnet_tutorial")
        << QStringList{"validate", "@resnet_tutorial"} << 1
        << QStringList{"resnet_tutorial.json: error: block1, node 'sum' (add): cannot add 'x' [N, 3, 32, 32] to 'b2' "
                       "[N, 64, 32, 32]: channel mismatch (3 vs 64).",
                       "block1", "channel mismatch", "resnet_tutorial.json: invalid (1 error, 0 warnings;"}
        << "";
    QTest::newRow("one bad among good") << QStringList{"validate", "@multitask", "@resnet_tutorial", "@siamese"} << 1
                                        << QStringList{"multitask.json: valid", "resnet_tutorial.json: invalid",
                                                       "siamese.json: valid"}
                                        << "";
    QTest::newRow("ModuleList called")
        << QStringList{"validate", "@bad"} << 1
        << QStringList{"bad.json: error: Net, node 'y': calls 'l', a ModuleList: a ModuleList holds modules but has no "
                       "forward of its own.",
                       "[at /definitions/Net/nodes/0]", "bad.json: invalid (1 error, 0 warnings; 10 parameters)"}
        << "";
    QTest::newRow("not JSON") << QStringList{"validate", "@not"} << 1
                              << QStringList{"not.json: not valid JSON at line 1, column 45: syntax error while "
                                             "parsing object key - unexpected '}'; expected string literal",
                                             "not.json: invalid (the file could not be read)"}
                              << "";
    QTest::newRow("missing file") << QStringList{"validate", "@missing"} << 1
                                  << QStringList{"missing.json: no such file", "missing.json: invalid (the file could not be read)"}
                                  << "";
    QTest::newRow("over the parameter cap")
        << QStringList{"validate", "@big"} << 1
        << QStringList{"big.json: error: fc: Linear would have 10,000,100,000 parameters; the cap is 1,000,000,000 "
                       "parameters (raise it with --max-parameters)."}
        << "";
    QTest::newRow("cap raised") << QStringList{"validate", "--max-parameters", "20000000000", "@big"} << 0
                                << QStringList{"big.json: valid (0 errors, 0 warnings; 10000100000 parameters)"} << "";
    QTest::newRow("cap lowered") << QStringList{"validate", "--max-parameters=90", "@multitask"} << 1
                                 << QStringList{"the cap is 90 parameters"} << "";
    // Usage errors: exit 2, message on stderr.
    QTest::newRow("no file") << QStringList{"validate"} << 2 << QStringList{}
                             << "modulelab-cli validate: validate needs at least one model file";
    QTest::newRow("unknown option") << QStringList{"validate", "--bogus", "@multitask"} << 2 << QStringList{}
                                    << "modulelab-cli validate: unknown option --bogus";
    QTest::newRow("bad cap value") << QStringList{"validate", "--max-parameters", "lots", "@multitask"} << 2
                                   << QStringList{} << "modulelab-cli validate: --max-parameters must be an integer, got 'lots'";
    QTest::newRow("cap without value") << QStringList{"validate", "@multitask", "--max-parameters"} << 2 << QStringList{}
                                       << "modulelab-cli validate: --max-parameters needs a value";
    QTest::newRow("summary of two files") << QStringList{"summary", "@multitask", "@siamese"} << 2 << QStringList{}
                                          << "modulelab-cli summary: summary needs exactly one model file";
    QTest::newRow("unknown command") << QStringList{"frobnicate"} << 2 << QStringList{}
                                     << "modulelab-cli: unknown command 'frobnicate'";
    QTest::newRow("no command") << QStringList{} << 2 << QStringList{"usage: modulelab-cli COMMAND"} << "";
}

void TestCli::validate() {
    QFETCH(QStringList, args);
    QFETCH(int, exitCode);
    QFETCH(QStringList, stdoutHas);
    QFETCH(QString, stderrHas);
    for (QString& a : args) {
        if (a == "@bad") a = m_bad;
        else if (a == "@not") a = m_notJson;
        else if (a == "@big") a = m_tooBig;
        else if (a == "@missing") a = m_dir.filePath("missing.json");
        else if (a.startsWith('@')) a = example(a.mid(1));
    }
    const Run r = run(args);
    QVERIFY2(r.exitCode == exitCode, qPrintable(QString("exit %1\nstdout: %2\nstderr: %3").arg(r.exitCode).arg(r.out, r.err)));
    for (const QString& s : stdoutHas) QVERIFY2(r.out.contains(s), qPrintable("stdout lacks: " + s + "\nstdout: " + r.out));
    if (!stderrHas.isEmpty()) QVERIFY2(r.err.contains(stderrHas), qPrintable("stderr: " + r.err));
    if (exitCode != 2) QCOMPARE(r.err, QString());
    // One verdict line per file for validate.
    if (args.value(0) == "validate" && exitCode != 2) {
        int files = 0;
        for (const QString& a : args) files += a.endsWith(".json") ? 1 : 0;
        QCOMPARE(r.out.count(QRegularExpression(": (valid|invalid) \\(")), files);
    }
}

void TestCli::summaryJsonMatchesPyTorch_data() {
    QTest::addColumn<QString>("name");
    QTest::newRow("multitask") << "multitask";
    QTest::newRow("simple_cnn") << "simple_cnn";
    QTest::newRow("resnet") << "resnet";
    QTest::newRow("siamese") << "siamese";
}

void TestCli::summaryJsonMatchesPyTorch() {
    QFETCH(QString, name);
    const Run r = run({"summary", "--json", example(name)});
    QCOMPARE(r.exitCode, 0);
    QCOMPARE(r.err, QString());
    const Json ours = Json::parse(r.out.toStdString());
    std::ifstream in((kSourceDir + "/tests/fixtures/" + name + "/state_dict.json").toStdString());
    const Json torch = Json::parse(in);
    QCOMPARE(ours["valid"].get<bool>(), true);
    QCOMPARE(ours["parameters"]["unique"].get<qlonglong>(), torch["num_parameters"].get<qlonglong>());
    QCOMPARE(ours["state_dict"].size(), torch["state_dict"].size());
    for (size_t i = 0; i < torch["state_dict"].size(); ++i) {
        const Json& t = torch["state_dict"][i];
        const Json& o = ours["state_dict"][i];
        QVERIFY2(o["name"] == t["name"] && o["shape"] == t["shape"] && o["kind"] == t["kind"],
                 (o.dump() + " vs " + t.dump()).c_str());
    }
}

void TestCli::summaryOfBrokenModel() {
    // Exit 1, but the JSON is still printed (the diagnostics are in it).
    const Run r = run({"summary", "--json", example("resnet_tutorial")});
    QCOMPARE(r.exitCode, 1);
    const Json j = Json::parse(r.out.toStdString());
    QCOMPARE(j["valid"].get<bool>(), false);
    QCOMPARE(j["diagnostics"].size(), size_t(1));
    QCOMPARE(QString::fromStdString(j["diagnostics"][0]["path"].get<std::string>()), QString("block1"));
    QCOMPARE(QString::fromStdString(j["diagnostics"][0]["code"].get<std::string>()), QString("shape-mismatch"));
    QCOMPARE(QString::fromStdString(j["diagnostics"][0]["pointer"].get<std::string>()),
             QString("/definitions/ResidualBlock/nodes/5"));
    // A file that cannot be read: exit 1, the problem on stderr, nothing on stdout.
    const Run missing = run({"summary", "--json", m_notJson});
    QCOMPARE(missing.exitCode, 1);
    QCOMPARE(missing.out, QString());
    QVERIFY2(missing.err.contains("not.json: not valid JSON at line 1, column 45"), qPrintable(missing.err));
}

void TestCli::summaryText() {
    const Run r = run({"summary", example("multitask")});
    QCOMPARE(r.exitCode, 0);
    QVERIFY2(r.out.contains(QRegularExpression("\n  \\(task_layers\\): ModuleList\\( +\\(no forward\\) +36\n")),
             qPrintable(r.out));
    QVERIFY(r.out.contains(QRegularExpression("\n    \\(1\\): Linear\\(in_features=5, out_features=3, bias=True\\) +\\[N, 3\\] +18\n")));
    QVERIFY(r.out.contains("Parameters: 91 unique (what trains), 91 naive (counting a shared layer at every use)\n"));
    QVERIFY(r.out.contains("Shared parameters: none\n"));
}

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
