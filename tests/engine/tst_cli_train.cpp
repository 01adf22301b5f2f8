// modulelab-cli train, predict and bench, run as a user would (QProcess).
#include "io/Safetensors.h"

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
};

QTEST_GUILESS_MAIN(TestCliTrain)
#include "tst_cli_train.moc"
