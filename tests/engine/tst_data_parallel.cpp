// With two compute threads a plan whose ops treat samples apart runs data
// parallel (Plan's shards: each thread a share of the batch through every
// step, parameter gradients summed once). It must compute what one pass on
// one thread does: the same outputs, and the same parameter and per-use
// gradients up to the order of the sums, for full, short and one-sample
// batches, across accumulating backward passes, with every index value of a
// plan that runs all branches, and with zero-gradient skipping. Plans with
// BatchNorm or Dropout (statistics, or one random stream, over the batch)
// keep one pass and split each op instead.
#include "GradCheck.h"
#include "exec/Plan.h"
#include "exec/Threads.h"
#include "io/ModelJson.h"

#include <QTest>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

using namespace ml;

namespace {

using gradcheck::randomVector;

// A plan and its store, compiled while `threads` compute threads are set.
struct Compiled {
    ModelDocument doc;
    Analysis analysis;
    std::unique_ptr<ParameterStore> store;
    std::unique_ptr<Plan> plan;
};

Compiled compile(const std::string& file, Index maxBatch, bool allBranches) {
    Compiled c;
    c.doc = io::readModelFile(std::string(MODULELAB_SOURCE_DIR) + "/resources/examples/" + file);
    c.analysis = analyze(c.doc);
    if (!c.analysis.ok()) qFatal("example does not analyze");
    c.store = std::make_unique<ParameterStore>(c.analysis.tree);
    c.store->initialize(c.analysis.tree, 11);
    c.plan = std::make_unique<Plan>(c.doc, c.analysis, *c.store, maxBatch, 5, allBranches);
    return c;
}

// Everything one round of passes leaves: every output (per index value), and
// every parameter's and per-use gradient.
struct Result {
    std::vector<std::vector<float>> outputs;
    std::vector<std::vector<float>> grads;
    int shards = 0;
};

// Two accumulating forward/backward rounds on batches of n; with
// `indexValues` > 1 the index input takes each value in turn (its own dL/dy each).
Result run(Plan& plan, ParameterStore& store, Index n, int threads, int indexValues, bool skipZeros) {
    const int saved = computeThreads();
    setComputeThreads(threads);
    plan.setSkipZeroGradients(skipZeros);
    Result r;
    plan.zeroGrad();
    for (int round = 0; round < 2; ++round) {
        for (int i = 0; i < plan.inputCount(); ++i) {
            if (plan.inputIsIndex(i)) continue;
            Index width = 1;
            for (Index d : plan.inputShape(i)) width *= d;
            plan.setInput(i, randomVector(n * width, unsigned(17 * round + i)).data(), n);
        }
        for (int value = 0; value < indexValues; ++value) {
            for (int i = 0; i < plan.inputCount(); ++i)
                if (plan.inputIsIndex(i)) plan.setIndexInput(i, value);
            plan.forward(n);
            r.shards = plan.shardCount();
            for (int o = 0; o < plan.outputCount(); ++o) {
                const Index size = n * plan.outputWidth(o);
                r.outputs.emplace_back(plan.output(o), plan.output(o) + size);
                const std::vector<float> dy = randomVector(size, unsigned(100 + 10 * round + value + o));
                float* g = plan.outputGrad(o);
                std::copy(dy.begin(), dy.end(), g);
                if (skipZeros) std::fill(g, g + size / 2, 0.0f); // the first samples' rows stay zero
            }
            plan.backward();
        }
    }
    for (const StoredTensor& t : store.tensors())
        if (!t.isBuffer) r.grads.push_back(t.grad);
    for (const ParameterUse& u : plan.parameterUses()) r.grads.push_back(u.grad);
    setComputeThreads(saved);
    return r;
}

// Shards sum a batch's terms in another order (each shard's, then across
// them): a gradient that nearly cancels moves by a few hundred ulps, while a
// lost or doubled shard moves every gradient by a large fraction.
void expectClose(const char* what, const std::vector<std::vector<float>>& actual,
                 const std::vector<std::vector<float>>& expected) {
    QCOMPARE(actual.size(), expected.size());
    for (size_t k = 0; k < actual.size(); ++k) {
        QCOMPARE(actual[k].size(), expected[k].size());
        float scale = 0;
        for (float v : expected[k]) scale = std::max(scale, std::abs(v));
        for (size_t i = 0; i < actual[k].size(); ++i)
            if (!(std::abs(actual[k][i] - expected[k][i]) <= 1e-4f * scale + 1e-6f))
                QFAIL(qPrintable(QString("%1 %2[%3]: %4, expected %5 (largest %6)")
                                     .arg(what).arg(k).arg(i).arg(actual[k][i]).arg(expected[k][i]).arg(scale)));
    }
}

} // namespace

class TestDataParallel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void shardsMatchOnePass_data() {
        QTest::addColumn<QString>("file");
        QTest::addColumn<int>("maxBatch");
        QTest::addColumn<int>("n");
        QTest::addColumn<bool>("allBranches");
        QTest::addColumn<int>("indexValues");
        QTest::addColumn<bool>("skipZeros");
        QTest::addColumn<bool>("dataParallel");
        QTest::newRow("simple CNN, full batch") << "simple_cnn.json" << 8 << 8 << false << 1 << false << true;
        QTest::newRow("simple CNN, odd short batch") << "simple_cnn.json" << 8 << 5 << false << 1 << false << true;
        QTest::newRow("simple CNN, one sample: one shard idle") << "simple_cnn.json" << 8 << 1 << false << 1 << false << true;
        QTest::newRow("MLP, zero rows skipped") << "spirals_mlp.json" << 64 << 37 << false << 1 << true << true;
        // One encoder called on both inputs: gradients per use, summed across shards.
        QTest::newRow("siamese, shared encoder") << "siamese.json" << 16 << 16 << false << 1 << false << true;
        // The trunk runs once for every head; each index value reads its head.
        QTest::newRow("multi-task, all branches") << "multitask.json" << 32 << 31 << true << 3 << true << true;
        QTest::newRow("multi-task, one branch per forward") << "multitask.json" << 32 << 32 << false << 3 << false << true;
        QTest::newRow("ResNet (BatchNorm): each op split") << "resnet.json" << 4 << 4 << false << 1 << false << false;
    }

    void shardsMatchOnePass() {
        QFETCH(QString, file);
        QFETCH(int, maxBatch);
        QFETCH(int, n);
        QFETCH(bool, allBranches);
        QFETCH(int, indexValues);
        QFETCH(bool, skipZeros);
        QFETCH(bool, dataParallel);
        Compiled one = compile(file.toStdString(), maxBatch, allBranches);
        Compiled two = compile(file.toStdString(), maxBatch, allBranches);
        QCOMPARE(two.plan->runsDataParallel(), dataParallel);
        const Result expected = run(*one.plan, *one.store, n, 1, indexValues, skipZeros);
        const Result actual = run(*two.plan, *two.store, n, 2, indexValues, skipZeros);
        QCOMPARE(expected.shards, 1);
        QCOMPARE(actual.shards, dataParallel ? 2 : 1);
        expectClose("output", actual.outputs, expected.outputs);
        expectClose("gradient", actual.grads, expected.grads);
        // Shards summed into the first leave their copies zero: a fresh round
        // after zeroGrad gives the same gradients again.
        const Result again = run(*two.plan, *two.store, n, 2, indexValues, skipZeros);
        expectClose("gradient, second run", again.grads, actual.grads);
    }

    void threadSettingSurvivesTheShards() {
        Compiled c = compile("simple_cnn.json", 4, false);
        const int saved = computeThreads();
        setComputeThreads(2);
        std::vector<float> x(4 * 3 * 32 * 32, 0.25f);
        c.plan->setInput(0, x.data(), 4);
        c.plan->forward(4);
        std::fill_n(c.plan->outputGrad(0), 4 * 10, 1.0f);
        c.plan->backward();
        const int after = computeThreads();
        setComputeThreads(saved);
        QCOMPARE(c.plan->shardCount(), 2);
        QCOMPARE(after, 2);
    }

    // The op that first overflows, found the same way with shards as in one pass.
    void nonFiniteIsFoundAcrossShards() {
        std::vector<float> x(6 * 3 * 32 * 32, 0.25f);
        std::fill(x.begin() + 5 * 3 * 32 * 32, x.end(), std::numeric_limits<float>::max()); // the second shard's last sample
        std::string where[2];
        int shards[2] = {0, 0};
        const int saved = computeThreads();
        for (int threads : {1, 2}) {
            Compiled c = compile("simple_cnn.json", 6, false);
            setComputeThreads(threads);
            c.plan->setInput(0, x.data(), 6);
            c.plan->forward(6);
            where[threads - 1] = c.plan->firstNonFinite(6);
            shards[threads - 1] = c.plan->shardCount();
        }
        setComputeThreads(saved);
        QCOMPARE(shards[1], 2);
        QVERIFY2(where[0].rfind("the output of ", 0) == 0, where[0].c_str());
        QCOMPARE(QString::fromStdString(where[1]), QString::fromStdString(where[0]));
    }
};

QTEST_GUILESS_MAIN(TestDataParallel)
#include "tst_data_parallel.moc"
