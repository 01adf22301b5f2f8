// modulelab-cli train, predict and bench, run as a user would (QProcess).
#include "io/Safetensors.h"

#include <QFile>

#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

namespace {

struct Run {
    int exitCode = -1;
    QString out, err;
};

Run cli(const QStringList& args, int timeoutMs = 300000) {
    QProcess p;
    p.setWorkingDirectory(MODULELAB_SOURCE_DIR);
    p.start(MODULELAB_CLI, args);
    Run r;
    if (!p.waitForFinished(timeoutMs) || p.exitStatus() != QProcess::NormalExit) {
        p.kill();
        return r;
    }
    r.exitCode = p.exitCode();
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

QString example(const char* name) { return QString(MODULELAB_SOURCE_DIR) + "/resources/examples/" + name; }

const char* kMlp = R"({"format": "modulelab-model", "version": 1, "model": "MLP",
 "definitions": {"MLP": {"inputs": [{"name": "x", "shape": [2]}],
   "children": {"net": {"type": "Sequential", "items": [
      {"type": "Linear", "args": {"out_features": 64}}, {"type": "ReLU"},
      {"type": "Linear", "args": {"out_features": 64}}, {"type": "ReLU"},
      {"type": "Linear", "args": {"out_features": 2}}]}},
   "nodes": [{"id": "y", "call": "net", "in": ["x"]}],
   "outputs": [{"name": "y", "from": "y"}]}}})";

} // namespace

class TestCliTrain : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void spiralsReach97Percent() {
        QTemporaryDir dir;
        const QString model = dir.filePath("mlp.json");
        std::ofstream(model.toStdString()) << kMlp;
        const QString log = dir.filePath("log.jsonl"), weights = dir.filePath("w.safetensors");
        const Run r = cli({"train", model, "--dataset", "spirals", "--epochs", "30", "--optimizer", "adam", "--lr",
                           "0.01", "--batch", "32", "--threads", "1", "--log", log, "--save", weights});
        QVERIFY2(r.exitCode == 0, qPrintable(r.out + r.err));
        const auto last = QRegularExpression("epoch 30: .* accuracy ([0-9.]+)%").match(r.out);
        QVERIFY2(last.hasMatch(), qPrintable(r.out));
        QVERIFY2(last.captured(1).toDouble() >= 97.0, qPrintable(r.out));
        // The log holds every report: one line per step, per epoch, diagnostics, and the end.
        std::ifstream in(log.toStdString());
        std::string line;
        int steps = 0, epochs = 0, diagnostics = 0, finished = 0;
        while (std::getline(in, line)) {
            const auto j = nlohmann::json::parse(line);
            const std::string type = j["type"];
            steps += type == "step";
            epochs += type == "epoch";
            diagnostics += type == "diagnostics";
            finished += type == "finished";
        }
        QCOMPARE(epochs, 30);
        QCOMPARE(finished, 1);
        QCOMPARE(steps, 30 * (2400 / 32)); // 3000 samples, 20% held out, full batches
        QCOMPARE(diagnostics, (steps + 9) / 10);
        const ml::io::SafetensorsFile w = ml::io::readSafetensors(weights.toStdString());
        QCOMPARE(w.tensors.size(), size_t(6));
        QCOMPARE(w.tensors[0].name, std::string("net.0.weight"));
        QCOMPARE(w.tensors[0].shape, (std::vector<ml::Index>{64, 2}));
    }

    void predictMatchesPyTorch() {
        // The multi-task example with PyTorch's initial weights, head 1, in eval mode.
        QTemporaryDir dir;
        const std::string fixtures = std::string(MODULELAB_SOURCE_DIR) + "/tests/fixtures/multitask/";
        const ml::io::SafetensorsFile inputs = ml::io::readSafetensors(fixtures + "inputs.safetensors");
        ml::io::NamedTensor x = *inputs.find("x");
        ml::io::NamedTensor task;
        task.name = "task_index";
        task.dtype = ml::io::DType::I64;
        task.i64 = {1};
        const QString in = dir.filePath("in.safetensors"), out = dir.filePath("out.safetensors");
        ml::io::writeSafetensors(in.toStdString(), {x, task});
        const Run r = cli({"predict", example("multitask.json"), "--weights",
                           QString::fromStdString(fixtures + "init.safetensors"), "--input", in, "-o", out});
        QVERIFY2(r.exitCode == 0, qPrintable(r.out + r.err));
        const ml::io::SafetensorsFile y = ml::io::readSafetensors(out.toStdString());
        const ml::io::SafetensorsFile expected = ml::io::readSafetensors(fixtures + "forward.safetensors");
        QCOMPARE(y.tensors.size(), size_t(1));
        QCOMPARE(y.tensors[0].name, std::string("y"));
        QCOMPARE(y.tensors[0].shape, (std::vector<ml::Index>{8, 3}));
        const auto& want = expected.find("eval.y1")->f32;
        for (size_t i = 0; i < want.size(); ++i) QVERIFY(std::abs(y.tensors[0].f32[i] - want[i]) < 1e-5f);
    }

    void predictRefusesBadInput() {
        QTemporaryDir dir;
        ml::io::NamedTensor x;
        x.name = "x";
        x.shape = {4, 7};
        x.f32.assign(28, 0.0f);
        const QString in = dir.filePath("in.safetensors");
        ml::io::writeSafetensors(in.toStdString(), {x});
        const std::string fixtures = std::string(MODULELAB_SOURCE_DIR) + "/tests/fixtures/multitask/";
        const Run r = cli({"predict", example("multitask.json"), "--weights",
                           QString::fromStdString(fixtures + "init.safetensors"), "--input", in, "-o",
                           dir.filePath("out.safetensors")});
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("'x' is [4, 7] F32, the model expects [n, 10] float32"), qPrintable(r.err));
        const Run wrongWeights = cli({"predict", example("siamese.json"), "--weights",
                                      QString::fromStdString(fixtures + "init.safetensors"), "--input", in, "-o",
                                      dir.filePath("out.safetensors")});
        QCOMPARE(wrongWeights.exitCode, 1);
        QVERIFY2(wrongWeights.err.contains("the weights do not fit the model") &&
                     wrongWeights.err.contains("unexpected key 'shared_layer.weight'") &&
                     wrongWeights.err.contains("missing key 'encoder.0.weight'"),
                 qPrintable(wrongWeights.err));
    }

    void benchPrintsOneJsonObject() {
        const Run r = cli({"bench", example("multitask.json"), "--batch", "64", "--steps", "20", "--threads", "1", "--json"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const auto j = nlohmann::json::parse(r.out.toStdString());
        for (const char* key : {"steps_per_sec", "ms_per_step", "peak_rss_mb", "gflops"}) QVERIFY2(j.contains(key), key);
        QVERIFY(j["steps_per_sec"].get<double>() > 0);
        QCOMPARE(j["forward_passes_per_step"].get<int>(), 1); // the three heads jointly: the trunk runs once
        QCOMPARE(j["parameters"].get<int>(), 91);
    }

    void benchMeasuresCoreLatency() {
        if (QThread::idealThreadCount() < 2) QSKIP("needs two CPUs");
        const Run r = cli({"bench", "--core-latency", "--steps", "2000", "--json"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const auto j = nlohmann::json::parse(r.out.toStdString());
        QVERIFY(j["core_latency_ns"].get<double>() > 0);
        QCOMPARE(j["cpus"].size(), size_t(2));
        QVERIFY(j["cpus"][0] != j["cpus"][1]);
    }

    void trainRefusesBadOptions() {
        const Run r = cli({"train", example("multitask.json"), "--epochs", "zero"});
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("--epochs must be an integer, got 'zero'"), qPrintable(r.err));
        const Run missing = cli({"train", example("simple_cnn.json"), "--dataset", "/nonexistent/folder"});
        QCOMPARE(missing.exitCode, 1);
        QVERIFY2(missing.err.contains("unknown dataset '/nonexistent/folder'"), qPrintable(missing.err));
    }

    void importWeightsWritesACheckpointTrainResumesFrom() {
        // All-zero weights: every logit is 0, so the first step's loss is ln 2 exactly.
        QTemporaryDir dir;
        const QString model = dir.filePath("mlp.json");
        std::ofstream(model.toStdString()) << kMlp;
        std::vector<ml::io::NamedTensor> zeros;
        for (const auto& [name, shape] : std::vector<std::pair<std::string, std::vector<ml::Index>>>{
                 {"net.0.weight", {64, 2}}, {"net.0.bias", {64}}, {"net.2.weight", {64, 64}},
                 {"net.2.bias", {64}}, {"net.4.weight", {2, 64}}, {"net.4.bias", {2}}})
            zeros.push_back({name, ml::io::DType::F32, shape, std::vector<float>(size_t(ml::Tensor::numel(shape))), {}});
        const QString weights = dir.filePath("zeros.safetensors"), checkpoint = dir.filePath("imported.ckpt");
        ml::io::writeSafetensors(weights.toStdString(), zeros);
        const Run imported = cli({"import-weights", model, weights, "-o", checkpoint});
        QVERIFY2(imported.exitCode == 0, qPrintable(imported.out + imported.err));
        QVERIFY2(imported.out.contains("a checkpoint at step 0"), qPrintable(imported.out));
        const ml::io::SafetensorsFile ckpt = ml::io::readSafetensors(checkpoint.toStdString());
        QCOMPARE(ckpt.metadata, (ml::io::Metadata{{"format", "modulelab-checkpoint"}, {"model", "MLP"},
                                                  {"step", "0"}, {"epoch", "0"}}));
        QCOMPARE(ckpt.tensors.size(), size_t(6));

        auto firstLoss = [&](const QStringList& extra) {
            const QString log = dir.filePath("log.jsonl");
            const Run r = cli(QStringList{"train", model, "--dataset", "spirals", "--max-steps", "1", "--log", log} + extra);
            if (r.exitCode != 0) qWarning("%s", qPrintable(r.out + r.err));
            std::ifstream in(log.toStdString());
            for (std::string line; std::getline(in, line);) {
                const auto j = nlohmann::json::parse(line);
                if (j["type"] == "step") return j["loss"].get<double>();
            }
            return -1.0;
        };
        QVERIFY(std::abs(firstLoss({"--resume", checkpoint}) - std::log(2.0)) < 1e-6);
        QVERIFY(std::abs(firstLoss({}) - std::log(2.0)) > 1e-3); // the seed's initialization is not zero

        // A file that does not fit: every bad name in one message, and no checkpoint written.
        zeros[1].name = "net.1.bias";   // unexpected, and net.0.bias missing
        zeros[4].shape = {3, 64};       // mis-shaped
        zeros[4].f32.resize(3 * 64);
        ml::io::writeSafetensors(weights.toStdString(), zeros);
        const QString refused = dir.filePath("refused.ckpt");
        const Run bad = cli({"import-weights", model, weights, "-o", refused});
        QCOMPARE(bad.exitCode, 1);
        QVERIFY2(bad.err.contains("unexpected key 'net.1.bias'") && bad.err.contains("missing key 'net.0.bias'") &&
                     bad.err.contains("size mismatch for net.4.weight: the file has [3, 64], the model [2, 64]"),
                 qPrintable(bad.err));
        QVERIFY(!QFile::exists(refused));
    }

    void exportTrainScriptKeepsAForeignModelPy() {
        QTemporaryDir dir;
        const QString script = dir.filePath("train.py"), modelPy = dir.filePath("model.py");
        std::ofstream(modelPy.toStdString()) << "# my own model\n";
        const Run refused = cli({"export", "train-script", example("multitask.json"), "-o", script});
        QCOMPARE(refused.exitCode, 1);
        QVERIFY2(refused.err.contains(modelPy + " exists and is not a ModuleLab export") &&
                     refused.err.contains("--force replaces it; --model-module NAME writes NAME.py instead"),
                 qPrintable(refused.err));
        QVERIFY(!QFile::exists(script));
        QFile mine(modelPy);
        QVERIFY(mine.open(QIODevice::ReadOnly));
        QCOMPARE(mine.readAll(), QByteArray("# my own model\n"));
        mine.close();
        // Another module name leaves it alone; --force replaces it; an earlier export is replaced and named.
        const Run other = cli({"export", "train-script", example("multitask.json"), "-o", script, "--model-module", "net"});
        QVERIFY2(other.exitCode == 0 && other.out.contains(dir.filePath("net.py") + " (MultiTaskNetwork, imported by it)"),
                 qPrintable(other.out + other.err));
        const Run forced = cli({"export", "train-script", example("multitask.json"), "-o", script, "--force"});
        QVERIFY2(forced.exitCode == 0 && forced.out.contains("model.py (MultiTaskNetwork, replaced, imported by it)"),
                 qPrintable(forced.out + forced.err));
        const Run again = cli({"export", "train-script", example("siamese.json"), "-o", script});
        QVERIFY2(again.exitCode == 0 && again.out.contains("model.py (SiameseNetwork, replaced, imported by it)"),
                 qPrintable(again.out + again.err));
    }

    void trainScriptLooksForUnusedParametersOnlyWhenAStepLeavesSome_data() {
        QTest::addColumn<QString>("model");
        QTest::addColumn<QStringList>("options");
        QTest::addColumn<QString>("expected");
        const QString none = "# Every step reaches every parameter.\nFIND_UNUSED = False\n";
        // Joint: every step runs each task's head.
        QTest::newRow("multitask joint") << example("multitask.json") << QStringList{} << none;
        QTest::newRow("multitask round robin")
            << example("multitask.json") << QStringList{"--schedule", "round_robin"}
            << "# A step of task_index=0 leaves task_layers.1.weight\n# without gradient: DDP must look for "
               "parameters it did not reach.\nFIND_UNUSED = True\n";
        QTest::newRow("siamese") << example("siamese.json") << QStringList{} << none;
        QTest::newRow("resnet") << example("resnet.json") << QStringList{"--dataset", "images"} << none;
        QTest::newRow("shared task joint")
            << QString(MODULELAB_SOURCE_DIR "/tests/export/shared_task.json") << QStringList{} << none;
        // Only heads 0 and 1 have a loss (the third is dropped below): head 2 never gets a gradient.
        QTest::newRow("a head without a loss")
            << "drop the last loss" << QStringList{}
            << "# A step leaves task_layers.2.weight\n# without gradient: DDP must look for "
               "parameters it did not reach.\nFIND_UNUSED = True\n";
    }

    void trainScriptLooksForUnusedParametersOnlyWhenAStepLeavesSome() {
        QFETCH(QString, model);
        QFETCH(QStringList, options);
        QFETCH(QString, expected);
        QTemporaryDir dir;
        if (model == "drop the last loss") {
            std::ifstream in(example("multitask.json").toStdString());
            auto j = nlohmann::json::parse(in);
            j["training"]["losses"]["y"].erase(2);
            model = dir.filePath("two_losses.json");
            std::ofstream(model.toStdString()) << j.dump();
        }
        const Run r = cli(QStringList{"export", "train-script", model, "-o", dir.filePath("train.py")} + options);
        QVERIFY2(r.exitCode == 0, qPrintable(r.out + r.err));
        QFile f(dir.filePath("train.py"));
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QString text = QString::fromUtf8(f.readAll());
        QVERIFY2(text.contains("]\n" + expected), qPrintable(text.section("FIND_UNUSED", 0, 0).right(300)));
    }

    void trainScriptListsEachCallOfASharedModule() {
        QTemporaryDir dir;
        const Run r = cli({"export", "train-script", example("siamese.json"), "-o", dir.filePath("train.py")});
        QVERIFY2(r.exitCode == 0, qPrintable(r.out + r.err));
        QFile f(dir.filePath("train.py"));
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QString text = QString::fromUtf8(f.readAll());
        const QString table = text.section("SHARED_USES = [\n", 1).section("]\n", 0, 0);
        // One entry per parameter per call, in the plan's order; weight and bias of a call share its number.
        QCOMPARE(table, QString(R"(    ('encoder.0.weight', 'ea', 'encoder.0', 0, None, None),
    ('encoder.0.bias', 'ea', 'encoder.0', 0, None, None),
    ('encoder.2.weight', 'ea', 'encoder.2', 1, None, None),
    ('encoder.2.bias', 'ea', 'encoder.2', 1, None, None),
    ('encoder.0.weight', 'eb', 'encoder.0', 2, None, None),
    ('encoder.0.bias', 'eb', 'encoder.0', 2, None, None),
    ('encoder.2.weight', 'eb', 'encoder.2', 3, None, None),
    ('encoder.2.bias', 'eb', 'encoder.2', 3, None, None),
)"));
    }
};

QTEST_GUILESS_MAIN(TestCliTrain)
#include "tst_cli_train.moc"
