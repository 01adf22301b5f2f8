// The engine against PyTorch: for each example model, with PyTorch's initial
// weights (tests/fixtures, made by make_fixtures.py), the outputs, the loss
// and every parameter's gradient, then every parameter and buffer after 10
// steps of SGD with momentum. Errors are Euclidean and relative to each
// tensor's norm. The reference is PyTorch's same run in float64 (stored as
// float32): PyTorch's own float32 gradients of the ResNet's convolutions
// before BatchNorm are 4e-3 away from it (tests/fixtures/README.md), and a
// float32 engine can only be measured against the exact answer.
#include "exec/Plan.h"
#include "io/ModelJson.h"
#include "io/Weights.h"
#include "train/Objective.h"
#include "train/Sgd.h"

#include <QTest>
#include <cmath>
#include <memory>

using namespace ml;

namespace {

std::string fixture(const std::string& model, const std::string& file) {
    return std::string(MODULELAB_SOURCE_DIR) + "/tests/fixtures/" + model + "/" + file;
}

// ||a - b|| / ||b|| (Euclidean): the error relative to the tensor's size.
double relativeError(const float* a, const std::vector<float>& b) {
    double diff = 0, scale = 0;
    for (size_t i = 0; i < b.size(); ++i) {
        diff += (double(a[i]) - double(b[i])) * (double(a[i]) - double(b[i]));
        scale += double(b[i]) * double(b[i]);
    }
    return scale > 0 ? std::sqrt(diff / scale) : std::sqrt(diff);
}

struct Case {
    std::string folder;
    std::string example;
    std::vector<Objective> objectives;
    std::vector<std::string> outputs; // fixture output names, per objective group
    bool allBranches = false;         // joint plan: the trunk runs once for all heads
};

struct Fixture {
    ModelDocument doc;
    Analysis analysis;
    std::unique_ptr<ParameterStore> store;
    std::unique_ptr<Plan> plan;
    io::SafetensorsFile inputs;
    BatchView batch;
};

std::unique_ptr<Fixture> load(const Case& c) {
    auto f = std::make_unique<Fixture>();
    f->doc = io::readModelFile(std::string(MODULELAB_SOURCE_DIR) + "/resources/examples/" + c.example);
    f->analysis = analyze(f->doc);
    f->store = std::make_unique<ParameterStore>(f->analysis.tree);
    io::loadWeights(*f->store, fixture(c.folder, "init.safetensors"));
    f->inputs = io::readSafetensors(fixture(c.folder, "inputs.safetensors"));
    Index n = 0;
    for (const io::NamedTensor& t : f->inputs.tensors) n = std::max(n, t.shape.empty() ? 0 : t.shape[0]);
    f->plan = std::make_unique<Plan>(f->doc, f->analysis, *f->store, n, 0, c.allBranches);
    f->batch.n = n;
    for (int i = 0; i < f->plan->inputCount(); ++i) {
        const io::NamedTensor* t = f->plan->inputIsIndex(i) ? nullptr : f->inputs.find(f->plan->inputName(i));
        f->batch.inputs.push_back(t ? t->f32.data() : nullptr);
    }
    for (const io::NamedTensor& t : f->inputs.tensors) {
        if (t.isFloat()) f->batch.values[t.name] = t.f32.data();
        else f->batch.classes[t.name] = t.i64.data();
    }
    return f;
}

std::vector<int> all(const std::vector<Objective>& objectives) {
    std::vector<int> w;
    for (size_t i = 0; i < objectives.size(); ++i) w.push_back(static_cast<int>(i));
    return w;
}

std::vector<Case> cases() {
    const auto obj = [](std::vector<std::pair<std::string, Index>> index, LossKind loss, std::string target) {
        return Objective{"y", std::move(index), loss, std::move(target), 1.0f};
    };
    return {
        {"multitask", "multitask.json",
         {obj({{"task_index", 0}}, LossKind::CrossEntropy, "task0"),
          obj({{"task_index", 1}}, LossKind::CrossEntropy, "task1"), obj({{"task_index", 2}}, LossKind::Mse, "task2")},
         {"y0", "y1", "y2"}},
        {"multitask", "multitask.json",
         {obj({{"task_index", 0}}, LossKind::CrossEntropy, "task0"),
          obj({{"task_index", 1}}, LossKind::CrossEntropy, "task1"), obj({{"task_index", 2}}, LossKind::Mse, "task2")},
         {"y0", "y1", "y2"}, true},
        {"simple_cnn", "simple_cnn.json", {obj({}, LossKind::CrossEntropy, "target")}, {"y"}},
        {"resnet", "resnet.json", {obj({}, LossKind::CrossEntropy, "target")}, {"y"}},
        {"siamese", "siamese.json", {obj({}, LossKind::BceWithLogits, "target")}, {"y"}},
    };
}

} // namespace

class TestParity : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void forwardAndGradients_data() {
        QTest::addColumn<int>("which");
        QTest::addColumn<double>("tolerance");
        const auto c = cases();
        for (size_t i = 0; i < c.size(); ++i)
            QTest::newRow((c[i].folder + (c[i].allBranches ? " (all branches)" : "")).c_str()) << int(i) << 1e-4;
    }

    void forwardAndGradients() {
        QFETCH(int, which);
        QFETCH(double, tolerance);
        const Case c = cases()[static_cast<size_t>(which)];
        auto f = load(c);
        const io::SafetensorsFile expected = io::readSafetensors(fixture(c.folder, "forward64.safetensors"));
        f->store->zeroGrad();
        f->plan->setTraining(true);
        // Outputs: one forward per objective group, compared before its backward.
        double totalLoss = 0;
        const auto groups = objectiveGroups(c.objectives);
        for (size_t g = 0; g < groups.size(); ++g) {
            std::vector<ObjectiveResult> results;
            runObjectives(*f->plan, c.objectives, planGroups(*f->plan, c.objectives), groups[g], f->batch, true, results);
            for (int k : groups[g]) totalLoss += results[static_cast<size_t>(k)].loss;
            const io::NamedTensor* y = expected.find(c.outputs[g]);
            QVERIFY(y);
            const double err = relativeError(f->plan->output(0), y->f32);
            if (err > tolerance) QFAIL(qPrintable(QString("output %1: relative error %2").arg(c.outputs[g].c_str()).arg(err)));
        }
        const double torchLoss = expected.find("loss")->f32[0];
        QVERIFY2(std::abs(totalLoss - torchLoss) <= tolerance * std::abs(torchLoss),
                 qPrintable(QString("loss %1 vs PyTorch %2").arg(totalLoss, 0, 'g', 9).arg(torchLoss, 0, 'g', 9)));
        int checked = 0;
        for (const StoredTensor& t : f->store->tensors()) {
            if (t.isBuffer) continue;
            const io::NamedTensor* g = expected.find("grad." + t.name);
            QVERIFY2(g, t.name.c_str());
            double err = relativeError(t.grad.data(), g->f32);
            // Biases feeding BatchNorm have a true gradient of exactly 0: compare absolutely.
            double scale = 0;
            for (float v : g->f32) scale = std::max(scale, double(std::abs(v)));
            if (scale < 1e-6) err = scale;
            if (qEnvironmentVariableIsSet("MODULELAB_PARITY_VERBOSE")) qInfo("%s grad %s: %g", c.folder.c_str(), t.name.c_str(), err);
            if (err > tolerance) QFAIL(qPrintable(QString("grad of %1: relative error %2").arg(t.name.c_str()).arg(err)));
            ++checked;
        }
        QVERIFY(checked > 0);
    }

    void evalOutputs() {
        for (const Case& c : cases()) {
            auto f = load(c);
            const io::SafetensorsFile expected = io::readSafetensors(fixture(c.folder, "forward.safetensors"));
            f->plan->setTraining(false);
            const auto groups = objectiveGroups(c.objectives);
            for (size_t g = 0; g < groups.size(); ++g) {
                std::vector<ObjectiveResult> results;
                runObjectives(*f->plan, c.objectives, planGroups(*f->plan, c.objectives), groups[g], f->batch, false, results);
                const io::NamedTensor* y = expected.find("eval." + c.outputs[g]);
                QVERIFY2(y, c.outputs[g].c_str());
                const double err = relativeError(f->plan->output(0), y->f32);
                QVERIFY2(err < 1e-4, qPrintable(QString("%1 eval.%2: %3").arg(c.folder.c_str(), c.outputs[g].c_str()).arg(err)));
            }
        }
    }

    void tenSgdSteps_data() { forwardAndGradients_data(); }

    void tenSgdSteps() {
        QFETCH(int, which);
        QFETCH(double, tolerance);
        const Case c = cases()[static_cast<size_t>(which)];
        auto f = load(c);
        const io::SafetensorsFile expected = io::readSafetensors(fixture(c.folder, "sgd10_64.safetensors"));
        std::vector<ParamRef> params;
        for (StoredTensor& t : f->store->tensors())
            if (!t.isBuffer) params.push_back({t.value.data(), t.grad.data(), t.numel()});
        Sgd sgd(params, SgdOptions{0.05, 0.9, 0.0, false, 0.0});
        f->plan->setTraining(true);
        for (int step = 0; step < 10; ++step) {
            sgd.zeroGrad();
            std::vector<ObjectiveResult> results;
            runObjectives(*f->plan, c.objectives, planGroups(*f->plan, c.objectives), all(c.objectives), f->batch, true, results);
            double loss = 0;
            for (const ObjectiveResult& r : results) loss += r.loss;
            const double torchLoss = expected.find("loss." + std::to_string(step))->f32[0];
            // Step losses drift with float32 rounding as training proceeds (the simple CNN's spikes to 9.5).
            QVERIFY2(std::abs(loss - torchLoss) <= 10 * tolerance * std::max(1.0, std::abs(torchLoss)),
                     qPrintable(QString("step %1 loss %2 vs PyTorch %3").arg(step).arg(loss, 0, 'g', 9).arg(torchLoss, 0, 'g', 9)));
            sgd.step();
        }
        // Ten steps amplify rounding: PyTorch's own float32 run ends up to 8e-3
        // from the float64 one in the ResNet's BatchNorm biases (README of the
        // fixtures), so that model gets 5e-3 per tensor; all get 1e-3 overall.
        const double after = c.folder == "resnet" ? 5e-3 : 1e-3;
        double diff = 0, scale = 0;
        for (const StoredTensor& t : f->store->tensors()) {
            const io::NamedTensor* e = expected.find(t.name);
            if (!e || !e->isFloat()) continue;
            for (size_t i = 0; i < e->f32.size(); ++i) {
                diff += (double(t.value[i]) - e->f32[i]) * (double(t.value[i]) - e->f32[i]);
                scale += double(e->f32[i]) * e->f32[i];
            }
        }
        QVERIFY2(std::sqrt(diff / scale) < 1e-3, qPrintable(QString("whole state: %1").arg(std::sqrt(diff / scale))));
        for (const StoredTensor& t : f->store->tensors()) {
            const io::NamedTensor* e = expected.find(t.name);
            QVERIFY2(e, t.name.c_str());
            std::vector<float> want = e->f32;
            if (!e->isFloat()) want.assign(e->i64.begin(), e->i64.end());
            const double err = relativeError(t.value.data(), want);
            if (qEnvironmentVariableIsSet("MODULELAB_PARITY_VERBOSE")) qInfo("%s after10 %s: %g", c.folder.c_str(), t.name.c_str(), err);
            if (err > after) QFAIL(qPrintable(QString("%1 after 10 steps: relative error %2").arg(t.name.c_str()).arg(err)));
        }
    }
};

QTEST_GUILESS_MAIN(TestParity)
#include "tst_parity.moc"
