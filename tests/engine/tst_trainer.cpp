// The trainer and its diagnostics, checked against values computed here
// independently: per-use gradients of a shared layer sum to its gradient,
// a module's norm is the norm over its unique parameters, task cosines
// match separately computed task gradients; plus control from another
// thread, the NaN stop, checkpoints, determinism and bad data. A diagnosed
// step (trainStep(rows, true)) reports the gradient it applied and trains
// exactly as a step without diagnostics.
#include "io/ModelJson.h"
#include "io/Weights.h"
#include "train/Trainer.h"
#include "train/datasets/SyntheticDatasets.h"

#include <QTemporaryDir>
#include <QTest>
#include <cmath>
#include <map>
#include <numeric>

using namespace ml;

namespace {

ModelDocument example(const std::string& name) {
    return io::readModelFile(std::string(MODULELAB_SOURCE_DIR) + "/resources/examples/" + name);
}

TrainingConfig smallConfig(const std::string& dataset) {
    TrainingConfig c;
    c.dataset = dataset;
    c.batchSize = 16;
    c.epochs = 1;
    c.seed = 3;
    c.threads = 1;
    c.optimizer.type = "sgd";
    c.optimizer.lr = 0.05;
    c.optimizer.momentum = 0.9;
    return c;
}

std::vector<Index> firstRows(Index n) {
    std::vector<Index> rows(static_cast<size_t>(n));
    std::iota(rows.begin(), rows.end(), 0);
    return rows;
}

double norm(const std::vector<float>& v) {
    double s = 0;
    for (float x : v) s += double(x) * x;
    return std::sqrt(s);
}

const char* kMlp = R"({"format": "modulelab-model", "version": 1, "model": "MLP",
 "definitions": {"MLP": {"inputs": [{"name": "x", "shape": [2]}],
   "children": {"net": {"type": "Sequential", "items": [
      {"type": "Linear", "args": {"out_features": 16}}, {"type": "ReLU"},
      {"type": "Linear", "args": {"out_features": 16}}, {"type": "ReLU"},
      {"type": "Linear", "args": {"out_features": 2}}]}},
   "nodes": [{"id": "y", "call": "net", "in": ["x"]}],
   "outputs": [{"name": "y", "from": "y"}]}}})";

} // namespace

class TestTrainer : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void perUseGradientsSumToTheSharedGradient() {
        TrainingConfig c = smallConfig("pairs");
        Trainer t(example("siamese.json"), c, loadTrainingData(c));
        // encoder.0 and encoder.2 are each used twice (nodes ea and eb): 4 parameters x 2 uses.
        const auto& uses = t.plan().parameterUses();
        QCOMPARE(uses.size(), size_t(8));
        t.diagnose(firstRows(16)); // leaves gradients zeroed
        t.plan().zeroGrad();
        t.trainStep(firstRows(16), true); // gradients stay in the store until the next step
        // The diagnosed step's per-use norms are those of the uses' gradients of its own backward.
        const DiagnosticsReport& d = t.diagnostics();
        QCOMPARE(d.uses.size(), uses.size());
        for (size_t u = 0; u < uses.size(); ++u) {
            QCOMPARE(d.uses[u].use, uses[u].label);
            QCOMPARE(d.uses[u].gradNorm, norm(uses[u].grad));
            QVERIFY(d.uses[u].gradNorm > 0);
        }
        for (const StoredTensor& p : t.parameters().tensors()) {
            std::vector<double> sum(p.grad.size(), 0.0);
            int count = 0;
            for (const ParameterUse& u : uses)
                if (t.parameters().at(u.parameter).name == p.name) {
                    ++count;
                    for (size_t i = 0; i < sum.size(); ++i) sum[i] += u.grad[i];
                }
            QCOMPARE(count, p.name.starts_with("encoder.") ? 2 : 0);
            if (!count) continue;
            QVERIFY(norm(p.grad) > 0);
            for (size_t i = 0; i < sum.size(); ++i) QVERIFY(std::abs(sum[i] - p.grad[i]) <= 1e-6 * (1 + std::abs(p.grad[i])));
        }
        // The two uses of encoder.0.weight are the two calls, ea and eb.
        std::vector<std::string> labels;
        for (const ParameterUse& u : uses)
            if (t.parameters().at(u.parameter).name == "encoder.0.weight") labels.push_back(u.label);
        QCOMPARE(labels, (std::vector<std::string>{"ea", "eb"}));
    }

    void moduleNormIsTheNormOverItsUniqueParameters_data() {
        QTest::addColumn<bool>("step");
        QTest::newRow("diagnose()") << false;
        QTest::newRow("a diagnosed step") << true;
    }

    void moduleNormIsTheNormOverItsUniqueParameters() {
        QFETCH(bool, step);
        TrainingConfig c = smallConfig("pairs");
        Trainer t(example("siamese.json"), c, loadTrainingData(c));
        DiagnosticsReport d;
        if (step) {
            t.trainStep(firstRows(16), true); // the diagnostics of the step's own gradient
            d = t.diagnostics();
        } else {
            d = t.diagnose(firstRows(16));
        }
        // Recompute the gradient by hand on a fresh trainer: same seed, same
        // batch, same weights before the step, so the same gradient.
        Trainer fresh(example("siamese.json"), c, loadTrainingData(c));
        fresh.plan().zeroGrad();
        auto view = fresh.diagnose(firstRows(16));
        QCOMPARE(view.modules.size(), d.modules.size());
        // Now the gradient in the store of `fresh` is zero; run the batch once more and keep it.
        std::vector<Objective> objectives = fresh.objectives();
        std::vector<int> all{0};
        data::Batch batch(fresh.data().train, 16);
        const auto rows = firstRows(16);
        batch.fill(fresh.data().train, rows);
        BatchView bv;
        bv.n = 16;
        bv.inputs = {batch.features.data(), batch.features.data()};
        // The siamese input is split a | b: make the slices the trainer makes.
        std::vector<float> a(16 * 8), b(16 * 8);
        for (int r = 0; r < 16; ++r) {
            std::copy_n(batch.features.data() + r * 16, 8, a.data() + r * 8);
            std::copy_n(batch.features.data() + r * 16 + 8, 8, b.data() + r * 8);
        }
        bv.inputs = {a.data(), b.data()};
        bv.values["same"] = batch.values[0].data();
        std::vector<ObjectiveResult> results;
        runObjectives(fresh.plan(), objectives, planGroups(fresh.plan(), objectives), all, bv, true, results);
        auto gradOf = [&](const std::string& name) { return fresh.parameters().at(fresh.parameters().indexOf(name)).grad; };
        double encoder = 0;
        for (const char* n : {"encoder.0.weight", "encoder.0.bias", "encoder.2.weight", "encoder.2.bias"})
            encoder += std::pow(norm(gradOf(n)), 2);
        double whole = encoder + std::pow(norm(gradOf("head.weight")), 2) + std::pow(norm(gradOf("head.bias")), 2);
        auto module = [&](const std::string& path) {
            for (const ModuleGradient& m : d.modules)
                if (m.path == path) return m.gradNorm;
            return -1.0;
        };
        QVERIFY(std::abs(module("encoder") - std::sqrt(encoder)) <= 1e-5 * std::sqrt(encoder));
        QVERIFY(std::abs(module("") - std::sqrt(whole)) <= 1e-5 * std::sqrt(whole));
        QVERIFY(std::abs(module("encoder.0") - std::hypot(norm(gradOf("encoder.0.weight")), norm(gradOf("encoder.0.bias")))) <= 1e-5);
        // Per-use norms in the report: two per encoder parameter.
        QCOMPARE(d.uses.size(), size_t(8));
    }

    void taskCosinesMatchSeparateTaskGradients_data() {
        QTest::addColumn<bool>("step");
        QTest::addColumn<bool>("roundRobin");
        QTest::newRow("diagnose()") << false << false;
        QTest::newRow("a diagnosed joint step") << true << false;
        QTest::newRow("a diagnosed round robin step") << true << true;
    }

    void taskCosinesMatchSeparateTaskGradients() {
        QFETCH(bool, step);
        QFETCH(bool, roundRobin);
        TrainingConfig c = smallConfig("multitask");
        c.objectives = readTrainingConfig(example("multitask.json").training).objectives;
        c.roundRobin = roundRobin;
        Trainer t(example("multitask.json"), c, loadTrainingData(c));
        QCOMPARE(t.plan().runsAllBranches(), !roundRobin); // joint: one forward, a backward per task
        // Independently first (the weights before the step): each task's gradient on the shared layer alone.
        std::vector<std::vector<float>> g;
        for (int task = 0; task < 3; ++task) {
            t.plan().zeroGrad();
            data::Batch batch(t.data().train, 16);
            batch.fill(t.data().train, firstRows(16));
            BatchView bv;
            bv.n = 16;
            bv.inputs = {batch.features.data(), nullptr};
            bv.classes["task0"] = batch.classes[0].data();
            bv.classes["task1"] = batch.classes[1].data();
            bv.values["task2"] = batch.values[2].data();
            std::vector<ObjectiveResult> results;
            runObjectives(t.plan(), t.objectives(), planGroups(t.plan(), t.objectives()), {task}, bv, true, results);
            std::vector<float> v = t.parameters().at(t.parameters().indexOf("shared_layer.weight")).grad;
            const auto& bias = t.parameters().at(t.parameters().indexOf("shared_layer.bias")).grad;
            v.insert(v.end(), bias.begin(), bias.end());
            g.push_back(v);
        }
        t.plan().zeroGrad();
        DiagnosticsReport d;
        if (step) {
            t.trainStep(firstRows(16), true);
            d = t.diagnostics();
        } else {
            d = t.diagnose(firstRows(16));
        }
        QCOMPARE(d.taskCosines.size(), size_t(3)); // (0,1), (0,2), (1,2)
        QCOMPARE(d.taskCosines[0].taskA, std::string("task_index=0"));
        QCOMPARE(d.taskCosines[0].taskB, std::string("task_index=1"));
        QCOMPARE(d.taskCosines[0].sharedParameters, Index(2)); // shared_layer.weight and .bias
        QCOMPARE(d.taskGradients.size(), size_t(3));
        for (int task = 0; task < 3; ++task)
            QVERIFY(std::abs(d.taskGradients[static_cast<size_t>(task)].gradNorm - norm(g[static_cast<size_t>(task)])) <=
                    1e-5 * norm(g[static_cast<size_t>(task)]));
        auto cosine = [&](int a, int b) {
            double dot = 0;
            for (size_t i = 0; i < g[0].size(); ++i) dot += double(g[a][i]) * g[b][i];
            return dot / (norm(g[a]) * norm(g[b]));
        };
        QVERIFY(std::abs(d.taskCosines[0].cosine - cosine(0, 1)) < 1e-5);
        QVERIFY(std::abs(d.taskCosines[1].cosine - cosine(0, 2)) < 1e-5);
        QVERIFY(std::abs(d.taskCosines[2].cosine - cosine(1, 2)) < 1e-5);
    }

    void diagnoseChangesNothing() {
        TrainingConfig c = smallConfig("images");
        Trainer t(example("resnet.json"), c, loadTrainingData(c));
        std::vector<std::vector<float>> before;
        for (const StoredTensor& s : t.parameters().tensors()) before.push_back(s.value);
        t.diagnose(firstRows(4));
        for (size_t i = 0; i < before.size(); ++i) QVERIFY(t.parameters().tensors()[i].value == before[i]);
    }

    // SGD without momentum or weight decay: update = -lr * grad, so the
    // weights' change tells the gradient the step applied, independently of
    // the store and of the diagnostics code.
    void aDiagnosedStepReportsTheGradientItApplied_data() {
        QTest::addColumn<QString>("model");
        QTest::addColumn<QString>("dataset");
        QTest::addColumn<bool>("roundRobin");
        QTest::newRow("siamese, shared encoder") << "siamese.json" << "pairs" << false;
        QTest::newRow("ResNet, batch norm") << "resnet.json" << "images" << false;
        QTest::newRow("multitask, joint") << "multitask.json" << "multitask" << false;
        QTest::newRow("multitask, round robin") << "multitask.json" << "multitask" << true;
    }

    void aDiagnosedStepReportsTheGradientItApplied() {
        QFETCH(QString, model);
        QFETCH(QString, dataset);
        QFETCH(bool, roundRobin);
        const ModelDocument doc = example(model.toStdString());
        TrainingConfig c = smallConfig(dataset.toStdString());
        c.batchSize = 4;
        c.optimizer.momentum = 0;
        c.optimizer.lr = 0.5;
        c.roundRobin = roundRobin;
        if (model == "multitask.json") c.objectives = readTrainingConfig(doc.training).objectives;
        Trainer t(doc, c, loadTrainingData(c));
        std::vector<Index> rows{4, 5, 6, 7};
        t.trainStep(firstRows(4)); // not the first step (round robin: the second task's turn)
        std::vector<std::vector<float>> before;
        for (const StoredTensor& p : t.parameters().tensors()) before.push_back(p.value);
        t.trainStep(rows, true);
        const DiagnosticsReport& d = t.diagnostics();
        QCOMPARE(d.step, Index(1));
        const double lr = c.optimizer.lr;
        std::map<std::string, double> applied2; // squared norm of (before - after) / lr
        std::map<std::string, double> update2, weight2;
        const auto& tensors = t.parameters().tensors();
        for (size_t i = 0; i < tensors.size(); ++i) {
            if (tensors[i].isBuffer) continue;
            double a = 0, w = 0;
            for (size_t e = 0; e < before[i].size(); ++e) {
                const double delta = double(before[i][e]) - tensors[i].value[e];
                a += (delta / lr) * (delta / lr);
                w += double(before[i][e]) * before[i][e];
            }
            applied2[tensors[i].name] = a;
            update2[tensors[i].name] = a * lr * lr;
            weight2[tensors[i].name] = w;
        }
        auto close = [](double got, double want, double tol) { return std::abs(got - want) <= tol * (1e-6 + std::abs(want)); };
        const RunDescription& desc = t.description();
        QCOMPARE(d.modules.size(), desc.modules.size());
        int zero = 0;
        for (size_t m = 0; m < d.modules.size(); ++m) {
            double a = 0, w = 0;
            for (const std::string& name : desc.modules[m].parameters) {
                a += applied2.at(name);
                w += weight2.at(name);
            }
            QCOMPARE(d.modules[m].path, desc.modules[m].path);
            QVERIFY2(close(d.modules[m].gradNorm, std::sqrt(a), 1e-4),
                     (d.modules[m].path + ": " + std::to_string(d.modules[m].gradNorm) + " vs applied " +
                      std::to_string(std::sqrt(a))).c_str());
            QVERIFY(close(d.modules[m].paramNorm, std::sqrt(w), 1e-6));
            zero += d.modules[m].gradNorm == 0;
        }
        // Round robin trains one task: the other two heads get no gradient.
        QCOMPARE(zero, roundRobin ? 2 : 0);
        QCOMPARE(d.parameters.size(), applied2.size());
        for (const ParameterStats& p : d.parameters) {
            // (before - after) / lr carries the weights' rounding: |error| <= ulp(w) / lr per element
            // (it matters where the gradient is nearly zero, e.g. a convolution's bias before BatchNorm).
            const double rounding = 4 * 1.2e-7 * std::sqrt(weight2.at(p.name)) / lr;
            QVERIFY2(std::abs(p.gradNorm - std::sqrt(applied2.at(p.name))) <= 1e-4 * std::sqrt(applied2.at(p.name)) + rounding,
                     (p.name + ": " + std::to_string(p.gradNorm) + " vs applied " + std::to_string(std::sqrt(applied2.at(p.name)))).c_str());
            QVERIFY(close(p.updateRatio, std::sqrt(update2.at(p.name) / weight2.at(p.name)), 1e-6));
        }
        // Shared parameters: the uses' norms are those of the step's per-use gradients, which sum to the applied one.
        for (size_t u = 0; u < t.plan().parameterUses().size(); ++u)
            QCOMPARE(d.uses[u].gradNorm, norm(t.plan().parameterUses()[u].grad));
    }

    // Diagnostics read the step; they do not change it: the same weights and
    // running statistics with a diagnosed step every step as with none.
    void diagnosticsDoNotChangeTraining_data() {
        QTest::addColumn<QString>("model");
        QTest::addColumn<QString>("dataset");
        QTest::addColumn<bool>("roundRobin");
        QTest::addColumn<double>("tolerance");
        QTest::newRow("siamese, shared encoder") << "siamese.json" << "pairs" << false << 0.0;
        QTest::newRow("multitask, round robin") << "multitask.json" << "multitask" << true << 0.0;
        // Two ResNet trainers alive in one process differ by rounding after a
        // step even when neither diagnoses (seen in this test's binary, not
        // when the row runs alone: presumably a kernel whose summation order
        // depends on where its buffers sit).
        QTest::newRow("ResNet, batch norm") << "resnet.json" << "images" << false << 1e-5;
        // Joint: the step's gradient is the sum of the tasks' backward passes
        // instead of one backward of the summed loss, equal up to rounding.
        QTest::newRow("multitask, joint") << "multitask.json" << "multitask" << false << 1e-5;
    }

    void diagnosticsDoNotChangeTraining() {
        QFETCH(QString, model);
        QFETCH(QString, dataset);
        QFETCH(bool, roundRobin);
        QFETCH(double, tolerance);
        const ModelDocument doc = example(model.toStdString());
        TrainingConfig c = smallConfig(dataset.toStdString());
        c.batchSize = 4;
        c.roundRobin = roundRobin;
        if (model == "multitask.json") c.objectives = readTrainingConfig(doc.training).objectives;
        Trainer a(doc, c, loadTrainingData(c)), b(doc, c, loadTrainingData(c));
        for (Index s = 0; s < 4; ++s) {
            std::vector<Index> rows(4);
            std::iota(rows.begin(), rows.end(), 4 * s);
            const double la = a.trainStep(rows, true).loss, lb = b.trainStep(rows).loss;
            QVERIFY2(std::abs(la - lb) <= tolerance * (1 + std::abs(la)),
                     ("step " + std::to_string(s) + ": " + std::to_string(la) + " vs " + std::to_string(lb)).c_str());
        }
        for (size_t i = 0; i < a.parameters().tensors().size(); ++i) {
            const auto& x = a.parameters().tensors()[i].value;
            const auto& y = b.parameters().tensors()[i].value;
            if (tolerance == 0) {
                QVERIFY2(x == y, a.parameters().tensors()[i].name.c_str());
                continue;
            }
            for (size_t e = 0; e < x.size(); ++e) QVERIFY(std::abs(x[e] - y[e]) <= tolerance * (1 + std::abs(y[e])));
        }
    }

    void roundRobinRunsOneTaskPerStep() {
        TrainingConfig c = smallConfig("multitask");
        c.objectives = readTrainingConfig(example("multitask.json").training).objectives;
        c.roundRobin = true;
        Trainer t(example("multitask.json"), c, loadTrainingData(c));
        for (int s = 0; s < 4; ++s) {
            const StepReport r = t.trainStep(firstRows(16));
            for (int k = 0; k < 3; ++k) QCOMPARE(std::isnan(r.objectiveLosses[k]), k != s % 3);
        }
    }

    void sameSeedRepeatsExactly() {
        std::vector<double> losses[2];
        for (int run = 0; run < 2; ++run) {
            TrainingConfig c = smallConfig("spirals");
            Trainer t(io::parseModel(kMlp), c, loadTrainingData(c));
            for (int s = 0; s < 5; ++s) losses[run].push_back(t.trainStep(firstRows(16)).loss);
        }
        QVERIFY(losses[0] == losses[1]);
        TrainingConfig other = smallConfig("spirals");
        other.seed = 4;
        Trainer t(io::parseModel(kMlp), other, loadTrainingData(other));
        QVERIFY(t.trainStep(firstRows(16)).loss != losses[0][0]);
    }

    void controlFromAnotherThread() {
        TrainingConfig c = smallConfig("spirals");
        c.epochs = 1000;
        Trainer t(io::parseModel(kMlp), c, loadTrainingData(c));
        std::mutex m;
        std::vector<Index> steps;
        FinishedReport finished;
        bool done = false;
        t.setReportCallback([&](const Report& r) {
            std::lock_guard<std::mutex> lock(m);
            if (const auto* s = std::get_if<StepReport>(&r)) steps.push_back(s->step);
            if (const auto* f = std::get_if<FinishedReport>(&r)) {
                finished = *f;
                done = true;
            }
        });
        t.pause();
        t.start();
        QTest::qWait(100);
        { std::lock_guard<std::mutex> lock(m); QCOMPARE(steps.size(), size_t(0)); } // paused before the first step
        t.step();
        QTRY_VERIFY_WITH_TIMEOUT([&] { std::lock_guard<std::mutex> l(m); return steps.size() == 1; }(), 5000);
        QTest::qWait(100);
        { std::lock_guard<std::mutex> lock(m); QCOMPARE(steps.size(), size_t(1)); } // exactly one
        t.resume();
        QTRY_VERIFY_WITH_TIMEOUT([&] { std::lock_guard<std::mutex> l(m); return steps.size() > 20; }(), 5000);
        t.stop();
        t.wait();
        QVERIFY(done);
        QCOMPARE(finished.reason, FinishedReport::Reason::Stopped);
        QVERIFY(!t.isRunning());
        for (size_t i = 0; i < steps.size(); ++i) QCOMPARE(steps[i], Index(i + 1));
    }

    void nonFiniteStopsNamingTheOp() {
        TrainingConfig c = smallConfig("spirals");
        Trainer t(io::parseModel(kMlp), c, loadTrainingData(c));
        // Weights so large that the second Linear overflows float: the first stays finite.
        auto& w = t.parameters().at(t.parameters().indexOf("net.2.weight")).value;
        std::fill(w.begin(), w.end(), 1e38f);
        FinishedReport finished;
        t.setReportCallback([&](const Report& r) {
            if (const auto* f = std::get_if<FinishedReport>(&r)) finished = *f;
        });
        t.start();
        t.wait();
        QCOMPARE(finished.reason, FinishedReport::Reason::NonFinite);
        QVERIFY2(finished.message.find("the output of net.2 (Linear) is not finite") != std::string::npos, finished.message.c_str());
        QVERIFY2(finished.message.find("at step 1") != std::string::npos, finished.message.c_str());
    }

    void checkpointRoundTrip() {
        QTemporaryDir dir;
        const std::string path = dir.filePath("ck.safetensors").toStdString();
        TrainingConfig c = smallConfig("spirals");
        c.optimizer.type = "adam";
        c.optimizer.lr = 1e-2;
        Trainer a(io::parseModel(kMlp), c, loadTrainingData(c));
        for (int s = 0; s < 3; ++s) a.trainStep(firstRows(16));
        a.saveCheckpoint(path);
        TrainingConfig other = c;
        other.seed = 99; // different initial weights: the checkpoint must replace them all
        Trainer b(io::parseModel(kMlp), other, loadTrainingData(c));
        b.loadCheckpoint(path);
        QCOMPARE(b.stepsDone(), Index(3));
        for (size_t i = 0; i < a.parameters().tensors().size(); ++i)
            QVERIFY(a.parameters().tensors()[i].value == b.parameters().tensors()[i].value);
        // Same state, same next step (Adam's moments and step counts came along).
        QCOMPARE(a.trainStep(firstRows(16)).loss, b.trainStep(firstRows(16)).loss);
        for (size_t i = 0; i < a.parameters().tensors().size(); ++i)
            QVERIFY(a.parameters().tensors()[i].value == b.parameters().tensors()[i].value);
    }

    void badDataIsRefusedClearly_data() {
        QTest::addColumn<QString>("model");
        QTest::addColumn<QString>("dataset");
        QTest::addColumn<QString>("message");
        QTest::newRow("unknown name") << "siamese.json" << "spirlas"
                                      << "unknown dataset 'spirlas': not one of spirals, moons";
        QTest::newRow("missing folder") << "simple_cnn.json" << "/nonexistent/fashion"
                                        << "unknown dataset '/nonexistent/fashion'";
        QTest::newRow("sample does not fit two inputs") << "siamese.json" << "spirals"
                                                        << "the dataset's samples have 2 values, but the model's 2 inputs take 16 together";
        QTest::newRow("index input needs a value") << "multitask.json" << "spirals"
                                                   << "y cross_entropy vs label: the model's index input 'task_index' needs a value";
        QTest::newRow("rank differs") << "resnet.json" << "pairs"
                                      << "the dataset's samples are [16] but the model's input 'x' is [3, 32, 32]";
        QTest::newRow("ten features for two inputs of eight") << "siamese.json" << "multitask"
                                                                << "the dataset's samples have 10 values";
    }

    void badDataIsRefusedClearly() {
        QFETCH(QString, model);
        QFETCH(QString, dataset);
        QFETCH(QString, message);
        TrainingConfig c = smallConfig(dataset.toStdString());
        try {
            ModelDocument doc = example(model.toStdString());
            TrainingData data = loadTrainingData(c);
            Trainer t(doc, c, std::move(data));
            QFAIL("no error");
        } catch (const Error& e) {
            QVERIFY2(std::string(e.what()).find(message.toStdString()) != std::string::npos, e.what());
        }
    }

    void adaptsAnImageModelToTheData() {
        TrainingConfig c = smallConfig("images");
        ModelDocument doc = example("simple_cnn.json");
        doc.findDefinition("SimpleCNN")->inputs[0].shape = std::vector<Index>{1, 28, 28};
        // A model declared for 1x28x28 meets 3x32x32 images: sizes are inferred again.
        Trainer t(doc, c, loadTrainingData(c));
        QCOMPARE(t.adaptation(), std::string("input 'x' adapted from [1, 28, 28] to the data's [3, 32, 32]; "
                                             "in_features, in_channels and num_features are inferred again"));
        QCOMPARE(t.analysis().tree.uniqueParameterCount(), Index(268650));
    }
};

QTEST_GUILESS_MAIN(TestTrainer)
#include "tst_trainer.moc"
