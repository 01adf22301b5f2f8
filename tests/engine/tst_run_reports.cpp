// What the window is fed: reports merged by time (whatever the step rate),
// the run description sent once, control events in order, and the decision
// grid evaluated between steps.
#include "io/ModelJson.h"
#include "train/ReportAggregator.h"
#include "train/Trainer.h"

#include <QTest>
#include <cmath>
#include <map>
#include <condition_variable>
#include <mutex>
#include <thread>

using namespace ml;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

ModelDocument example(const std::string& name) {
    return io::readModelFile(std::string(MODULELAB_SOURCE_DIR) + "/resources/examples/" + name);
}

// The file's own training section, made small and single-threaded.
TrainingConfig config(const ModelDocument& doc) {
    TrainingConfig c = readTrainingConfig(doc.training);
    c.batchSize = 16;
    c.seed = 3;
    c.threads = 1;
    c.optimizer.lr = 0.05;
    c.optimizer.momentum = 0.9;
    return c;
}

StepReport step(Index n, double loss, std::vector<double> losses, double rate) {
    StepReport s;
    s.step = n;
    s.loss = loss;
    s.objectiveLosses = std::move(losses);
    s.runningAccuracy = {0.1 * double(n)};
    s.stepsPerSecond = rate;
    return s;
}

const char* kMlp = R"({"format": "modulelab-model", "version": 1, "model": "MLP",
 "definitions": {"MLP": {"inputs": [{"name": "x", "shape": [2]}],
   "children": {"net": {"type": "Sequential", "items": [
      {"type": "Linear", "args": {"out_features": 16}}, {"type": "ReLU"},
      {"type": "Linear", "args": {"out_features": 2}}]}},
   "nodes": [{"id": "y", "call": "net", "in": ["x"]}],
   "outputs": [{"name": "y", "from": "y"}]}}})";

// Collects a run's reports from the training thread.
struct Recorder {
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<Report> reports;
    Index lastStep = 0;
    void push(const Report& r) {
        std::lock_guard<std::mutex> lock(mutex);
        reports.push_back(r);
        if (const auto* s = std::get_if<StepReport>(&r)) lastStep = s->step;
        changed.notify_all();
    }
    template <class Pred> bool waitFor(Pred pred) {
        std::unique_lock<std::mutex> lock(mutex);
        return changed.wait_for(lock, std::chrono::seconds(20), [&] { return pred(); });
    }
    std::vector<RunEvent> events() {
        std::lock_guard<std::mutex> lock(mutex);
        std::vector<RunEvent> out;
        for (const Report& r : reports)
            if (const auto* e = std::get_if<RunEvent>(&r)) out.push_back(*e);
        return out;
    }
};

} // namespace

class TestRunReports : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void stepsWithinAnIntervalBecomeOne() {
        ReportAggregator agg(0.1);
        agg.push(step(1, 1.0, {1.0, kNaN}, 100), 0.0);
        agg.push(step(2, 3.0, {3.0, 2.0}, 50), 0.05);
        agg.push(step(3, 5.0, {kNaN, kNaN}, 10), 0.12); // a new interval
        const ReportBatch b = agg.take();
        QCOMPARE(b.steps.size(), size_t(2));
        QCOMPARE(b.stepsMerged, Index(3));
        QCOMPARE(b.steps[0].step, Index(2));                // the last step's counters
        QCOMPARE(b.steps[0].loss, 2.0);                     // the mean
        QCOMPARE(b.steps[0].objectiveLosses[0], 2.0);
        QCOMPARE(b.steps[0].objectiveLosses[1], 2.0);       // only the step that ran it
        QCOMPARE(b.steps[0].runningAccuracy[0], 0.2);
        QVERIFY(std::abs(b.steps[0].stepsPerSecond - 2.0 / 0.03) < 1e-9); // 2 steps in 10 ms + 20 ms
        QCOMPARE(b.steps[1].step, Index(3));
        QVERIFY(std::isnan(b.steps[1].objectiveLosses[0]));
        QVERIFY(agg.take().empty());
    }

    void aHundredThousandStepsASecondGiveThirtyPoints() {
        ReportAggregator agg(1.0 / 30);
        for (Index i = 0; i < 100000; ++i) agg.push(step(i + 1, 1.0, {1.0}, 1e5), double(i) * 1e-5);
        const ReportBatch b = agg.take();
        QCOMPARE(b.stepsMerged, Index(100000));
        QCOMPARE(b.steps.size(), size_t(30));
        QCOMPARE(b.steps.back().step, Index(100000));
        QVERIFY(std::abs(b.steps.front().stepsPerSecond - 1e5) < 1e-3);
    }

    void diagnosticsKeepEightPerIntervalAndEventsCloseSteps() {
        ReportAggregator agg(0.1);
        DiagnosticsReport d;
        for (Index s = 10; s <= 100; s += 10) { // 10 within one interval
            d.step = s;
            agg.push(d, 0.001 * double(s) / 10);
        }
        d.step = 110;
        agg.push(d, 0.2);
        agg.push(step(1, 1.0, {1.0}, 10), 0.0);
        agg.push(RunEvent{RunEvent::Kind::Paused, 1}, 0.01);
        agg.push(step(2, 3.0, {3.0}, 10), 0.02); // same interval, but after the pause
        EpochReport e;
        e.epoch = 0;
        agg.push(e, 0.03);
        FinishedReport f;
        f.steps = 2;
        agg.push(f, 0.04);
        const ReportBatch b = agg.take();
        QCOMPARE(b.diagnostics.size(), size_t(ReportAggregator::kDiagnosticsPerInterval + 1));
        QCOMPARE(b.diagnostics[6].step, Index(70));
        QCOMPARE(b.diagnostics[7].step, Index(100)); // the latest replaced steps 80 and 90
        QCOMPARE(b.diagnostics[8].step, Index(110));
        QCOMPARE(b.steps.size(), size_t(2));
        QCOMPARE(b.steps[0].loss, 1.0);
        QCOMPARE(b.steps[1].loss, 3.0);
        QCOMPARE(b.events.size(), size_t(1));
        QCOMPARE(b.epochs.size(), size_t(1));
        QVERIFY(b.finished.has_value());
        QCOMPARE(b.finished->steps, Index(2));
    }

    void theDescriptionNamesModulesCanvasNodesAndTasks() {
        const ModelDocument doc = example("multitask.json");
        TrainingConfig c = config(doc);
        Trainer t(doc, c, loadTrainingData(c));
        const RunDescription& d = t.description();
        QCOMPARE(d.model, std::string("MultiTaskNetwork"));
        std::vector<std::string> paths;
        for (const RunModule& m : d.modules) paths.push_back(m.path);
        QCOMPARE(paths, (std::vector<std::string>{"", "shared_layer", "task_layers", "task_layers.0", "task_layers.1",
                                                   "task_layers.2"}));
        QCOMPARE(d.modules[1].canvasNodes, std::vector<std::string>{"MultiTaskNetwork/h"});
        QCOMPARE(d.modules[2].canvasNodes, std::vector<std::string>{"MultiTaskNetwork/y"});
        QCOMPARE(d.modules[3].depth, 2);
        QCOMPARE(d.modules[1].parameters, (std::vector<std::string>{"shared_layer.weight", "shared_layer.bias"}));
        QCOMPARE(d.taskGroups, (std::vector<std::string>{"task_index=0", "task_index=1", "task_index=2"}));
        QCOMPARE(d.parameters.size(), size_t(8));
        QCOMPARE(d.uniqueParameters, Index(10 * 5 + 5 + 5 * 2 + 2 + 5 * 3 + 3 + 5 + 1));
        QCOMPARE(d.stepsPerEpoch, t.data().train.count() / 16);
        QCOMPARE(d.gridInputs, 0); // 10 features
        // Report positions match: diagnostics modules are the description's.
        std::vector<Index> rows(16);
        for (Index i = 0; i < 16; ++i) rows[static_cast<size_t>(i)] = i;
        const DiagnosticsReport diag = t.diagnose(rows);
        QCOMPARE(diag.modules.size(), d.modules.size());
        for (size_t i = 0; i < diag.modules.size(); ++i) QCOMPARE(diag.modules[i].path, d.modules[i].path);

        const ModelDocument siamese = example("siamese.json");
        TrainingConfig p = config(siamese);
        Trainer s(siamese, p, loadTrainingData(p));
        QCOMPARE(s.description().sharedUses.size(), size_t(8)); // encoder.0 and .2: 2 tensors x 2 uses each
        QCOMPARE(s.description().sharedUses[0].use.substr(0, 2), std::string("ea"));
        QVERIFY(s.description().naiveParameters > s.description().uniqueParameters);
        const Json j = reportToJson(s.description());
        QCOMPARE(j["type"].get<std::string>(), std::string("description"));
        QCOMPARE(j["shared_uses"].size(), size_t(8));
    }

    void eachTaskHasItsGradientNormOnTheSharedTrunk() {
        // Three tasks share only shared_layer, so its gradient is the sum of the
        // tasks' gradients there: |sum g|^2 = sum |g_i|^2 + 2 sum_{i<j} |g_i||g_j| cos_ij,
        // a check that ties three separately computed numbers together.
        const ModelDocument doc = example("multitask.json");
        TrainingConfig c = config(doc);
        Trainer t(doc, c, loadTrainingData(c));
        std::vector<Index> rows(16);
        for (Index i = 0; i < 16; ++i) rows[static_cast<size_t>(i)] = i;
        const DiagnosticsReport d = t.diagnose(rows);
        QCOMPARE(d.taskGradients.size(), size_t(3));
        QCOMPARE(d.taskGradients[2].task, std::string("task_index=2"));
        std::map<std::string, double> n;
        for (const TaskGradient& g : d.taskGradients) {
            QVERIFY(g.gradNorm > 0);
            n[g.task] = g.gradNorm;
        }
        QCOMPARE(d.taskCosines.size(), size_t(3));
        double sum = 0;
        for (const auto& [task, norm] : n) sum += norm * norm;
        for (const TaskCosine& p : d.taskCosines) {
            QCOMPARE(p.sharedParameters, Index(2)); // shared_layer.weight and .bias
            sum += 2 * n[p.taskA] * n[p.taskB] * p.cosine;
        }
        QCOMPARE(d.modules[1].path, std::string("shared_layer"));
        QVERIFY2(std::abs(std::sqrt(sum) - d.modules[1].gradNorm) < 1e-5 * d.modules[1].gradNorm,
                 (std::to_string(std::sqrt(sum)) + " vs " + std::to_string(d.modules[1].gradNorm)).c_str());
        const Json j = reportToJson(d);
        QCOMPARE(j["task_grad_norms"].size(), size_t(3));
        QCOMPARE(j["task_grad_norms"][0]["task"].get<std::string>(), std::string("task_index=0"));
        QCOMPARE(j["task_grad_norms"][0]["grad_norm"].get<double>(), d.taskGradients[0].gradNorm);
        // One task: nothing is shared between tasks.
        const ModelDocument mlp = example("spirals_mlp.json");
        TrainingConfig m = config(mlp);
        Trainer single(mlp, m, loadTrainingData(m));
        QVERIFY(single.diagnose(rows).taskGradients.empty());
    }

    void aRunStartsFromAnotherRunsWeightsWithItsOwnCounters() {
        const ModelDocument mlp = example("spirals_mlp.json");
        TrainingConfig c = config(mlp);
        c.maxSteps = 3;
        Trainer a(mlp, c, loadTrainingData(c));
        a.start();
        a.wait();
        QCOMPARE(a.stepsDone(), Index(3));
        Trainer b(mlp, c, loadTrainingData(c));
        b.restore(a.checkpoint(), "run a", false);
        QCOMPARE(b.stepsDone(), Index(0)); // counters stay
        for (size_t i = 0; i < a.parameters().tensors().size(); ++i)
            QCOMPARE(b.parameters().tensors()[i].value, a.parameters().tensors()[i].value);
        Trainer r(mlp, c, loadTrainingData(c));
        r.restore(a.checkpoint(), "run a", true);
        QCOMPARE(r.stepsDone(), Index(3)); // a resumed run goes on from step 3
        // Weights of another model do not fit: the error names the source.
        const ModelDocument other = example("multitask.json");
        TrainingConfig o = config(other);
        Trainer x(other, o, loadTrainingData(o));
        try {
            x.restore(a.checkpoint(), "run a", false);
            QFAIL("restored weights of another model");
        } catch (const Error& e) {
            QVERIFY2(std::string(e.what()).find("run a") != std::string::npos, e.what());
        }
    }

    void controlEventsComeInOrderAndStepIsExactlyOne() {
        const ModelDocument mlp = io::parseModel(kMlp);
        TrainingConfig c = config(mlp);
        c.dataset = "spirals";
        c.epochs = 1000;
        Trainer t(mlp, c, loadTrainingData(c));
        Recorder rec;
        t.setReportCallback([&](const Report& r) { rec.push(r); });
        t.pause();
        t.start();
        QVERIFY(rec.waitFor([&] {
            for (const Report& r : rec.reports)
                if (std::holds_alternative<RunEvent>(r) && std::get<RunEvent>(r).kind == RunEvent::Kind::Paused) return true;
            return false;
        }));
        QCOMPARE(rec.lastStep, Index(0));
        t.step();
        QVERIFY(rec.waitFor([&] { return rec.lastStep == 1; }));
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        QCOMPARE(rec.lastStep, Index(1)); // exactly one
        t.resume();
        QVERIFY(rec.waitFor([&] { return rec.lastStep >= 20; }));
        t.stop();
        t.wait();
        const std::vector<RunEvent> ev = rec.events();
        QCOMPARE(ev.size(), size_t(4));
        QCOMPARE(ev[0].kind, RunEvent::Kind::Started);
        QCOMPARE(ev[1].kind, RunEvent::Kind::Paused);
        QCOMPARE(ev[1].step, Index(0));
        QCOMPARE(ev[2].kind, RunEvent::Kind::Resumed);
        QCOMPARE(ev[2].step, Index(1));
        QCOMPARE(ev[3].kind, RunEvent::Kind::Stopped);
        QCOMPARE(ev[3].step, t.stepsDone());
        QVERIFY(std::holds_alternative<RunDescription>(rec.reports.front())); // sent first, once
        int descriptions = 0;
        for (const Report& r : rec.reports) descriptions += std::holds_alternative<RunDescription>(r);
        QCOMPARE(descriptions, 1);
        QVERIFY(std::holds_alternative<FinishedReport>(rec.reports.back()));
    }

    void theDecisionGridIsTheArgmaxAndChangesAsItLearns() {
        const ModelDocument mlp = io::parseModel(kMlp);
        TrainingConfig c = config(mlp);
        c.dataset = "spirals";
        c.epochs = 30;
        Trainer t(mlp, c, loadTrainingData(c));
        QCOMPARE(t.description().gridInputs, 2);
        std::vector<float> grid;
        for (int i = 0; i < 20; ++i)
            for (int j = 0; j < 20; ++j) {
                grid.push_back(-1.0f + 0.1f * float(j));
                grid.push_back(-1.0f + 0.1f * float(i));
            }
        const GridReport before = t.evaluatePoints(grid);
        QCOMPARE(before.points, Index(400));
        QCOMPARE(before.width, Index(2));
        for (Index p = 0; p < before.points; ++p) {
            const float a = before.scores[size_t(2 * p)], b = before.scores[size_t(2 * p + 1)];
            QCOMPARE(before.classes[size_t(p)], b > a ? 1 : 0);
        }
        Recorder rec;
        t.setReportCallback([&](const Report& r) { rec.push(r); });
        t.setEvaluationPoints(grid, 0.0);
        t.start();
        t.wait();
        GridReport last;
        int grids = 0;
        for (const Report& r : rec.reports)
            if (const auto* g = std::get_if<GridReport>(&r)) {
                last = *g;
                ++grids;
            }
        QVERIFY(grids > 10);
        QCOMPARE(last.step, t.stepsDone());
        int changed = 0;
        for (size_t p = 0; p < 400; ++p) changed += last.classes[p] != before.classes[p];
        QVERIFY2(changed > 20, std::to_string(changed).c_str());

        const ModelDocument multitask = example("multitask.json");
        TrainingConfig m = config(multitask);
        Trainer mt(multitask, m, loadTrainingData(m));
        QVERIFY_THROWS_EXCEPTION(Error, mt.evaluatePoints(grid));
    }
};

QTEST_GUILESS_MAIN(TestRunReports)
#include "tst_run_reports.moc"
