// A training step in steady state allocates nothing, diagnosed or not: every
// buffer the plan, the losses, the optimizer and the diagnostics need exists
// after the first steps. Counted by
// replacing the global operator new in this test program. (Eigen's GEMM takes
// its blocking workspace from malloc directly; that is not counted here.)
#include "exec/Plan.h"
#include "exec/Threads.h"
#include "io/ModelJson.h"
#include "train/Trainer.h"

#include <QTest>
#include <atomic>
#include <cstdlib>
#include <new>
#include <numeric>

namespace {
std::atomic<long> g_allocations{0};
}

// AddressSanitizer brings its own operator new; counting needs the plain one.
#ifndef __SANITIZE_ADDRESS__
#define MODULELAB_COUNTS_ALLOCATIONS 1
void* operator new(std::size_t size) {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(size ? size : 1)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return operator new(size); }
void* operator new(std::size_t size, std::align_val_t align) {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    const std::size_t a = static_cast<std::size_t>(align);
    if (void* p = std::aligned_alloc(a, (size + a - 1) / a * a)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t size, std::align_val_t align) { return operator new(size, align); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
#endif

using namespace ml;

class TestSteadyState : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void noAllocationPerStep_data() {
        QTest::addColumn<QString>("example");
        QTest::addColumn<QString>("dataset");
        QTest::addColumn<int>("batch");
        QTest::addColumn<bool>("roundRobin");
        QTest::addColumn<int>("threads");
        QTest::newRow("multitask, joint") << "multitask.json" << "multitask" << 64 << false << 1;
        QTest::newRow("multitask, round robin") << "multitask.json" << "multitask" << 64 << true << 1;
        QTest::newRow("siamese, shared encoder") << "siamese.json" << "pairs" << 32 << false << 1;
        QTest::newRow("siamese, 2 threads: data parallel") << "siamese.json" << "pairs" << 32 << false << 2;
        QTest::newRow("simple CNN") << "simple_cnn.json" << "images" << 8 << false << 1;
        QTest::newRow("simple CNN, 2 threads: data parallel") << "simple_cnn.json" << "images" << 8 << false << 2;
        QTest::newRow("ResNet") << "resnet.json" << "images" << 2 << false << 1;
        QTest::newRow("ResNet, 2 threads: each op split") << "resnet.json" << "images" << 4 << false << 2;
    }

    void noAllocationPerStep() {
#ifndef MODULELAB_COUNTS_ALLOCATIONS
        QSKIP("allocations are counted in the build without AddressSanitizer");
#endif
        QFETCH(QString, example);
        QFETCH(QString, dataset);
        QFETCH(int, batch);
        QFETCH(bool, roundRobin);
        QFETCH(int, threads);
        const int savedThreads = computeThreads();
        setComputeThreads(threads);
        const ModelDocument doc =
            io::readModelFile(std::string(MODULELAB_SOURCE_DIR) + "/resources/examples/" + example.toStdString());
        TrainingConfig c = readTrainingConfig(doc.training);
        c.dataset = dataset.toStdString();
        c.batchSize = batch;
        c.threads = 1;
        c.optimizer.type = "adam";
        c.clipGradNorm = 1.0;
        c.roundRobin = roundRobin;
        Trainer t(doc, c, loadTrainingData(c));
        std::vector<Index> rows(static_cast<size_t>(batch));
        std::iota(rows.begin(), rows.end(), 0);
        // Warm up: optimizer state, first batch, and a diagnosed step of every
        // round robin turn (its first buffers for running statistics).
        for (int s = 0; s < 4; ++s) t.trainStep(rows, s > 0);
        const long before = g_allocations.load();
        // Steps with and without diagnostics (from the step's own gradients, per task where there are tasks).
        for (int s = 0; s < 6; ++s) {
            std::iota(rows.begin(), rows.end(), Index(s * batch));
            t.trainStep(rows, s % 2 == 0);
        }
        const long allocations = g_allocations.load() - before;
        QCOMPARE(t.plan().shardCount(), t.plan().runsDataParallel() ? threads : 1);
        setComputeThreads(savedThreads);
        QCOMPARE(allocations, 0L);
        QVERIFY(!t.diagnostics().modules.empty());
    }

    void gradientBuffersAreShared();
};

void TestSteadyState::gradientBuffersAreShared() {
    // The simple CNN at batch 8: activations are one chain, so at most a few
    // gradients are alive at once; without sharing they would equal the activations.
    const ModelDocument doc = io::readModelFile(std::string(MODULELAB_SOURCE_DIR) + "/resources/examples/simple_cnn.json");
    const Analysis a = analyze(doc);
    ParameterStore store(a.tree);
    const int savedThreads = computeThreads();
    setComputeThreads(1);
    Plan plan(doc, a, store, 8);
    // Chain: conv1+relu [16,32,32] (the ReLU folded into the convolution: one
    // buffer), pool [16,16,16], conv2+relu [32,16,16], pool [32,8,8], flatten,
    // fc1+relu [128], fc2 [10]. At most two neighbours are alive together, so the
    // two largest (conv1's output and pool1's, 16x32x32 and 16x16x16) bound the
    // gradient memory.
    QCOMPARE(plan.activationFloats(), Index(8 * (3 * 32 * 32 + 16 * 1024 + 4096 + 8192 + 2048 + 2048 + 128 + 10)));
    QCOMPARE(plan.shardCount(), 1);
    QCOMPARE(plan.gradientFloats(), Index(8 * (16 * 1024 + 4096)));
    // Two threads: two shards of 4 samples, each with that arena for its 4,
    // and the output's dL/dy collected for all 8 ([8, 10]) before backward
    // hands each shard its rows. The activations stay one arena.
    setComputeThreads(2);
    std::vector<float> x(8 * 3 * 32 * 32, 0.5f);
    plan.setInput(0, x.data(), 8);
    plan.forward(8);
    setComputeThreads(savedThreads);
    QCOMPARE(plan.shardCount(), 2);
    QCOMPARE(plan.activationFloats(), Index(8 * (3 * 32 * 32 + 16 * 1024 + 4096 + 8192 + 2048 + 2048 + 128 + 10)));
    QCOMPARE(plan.gradientFloats(), Index(2 * 4 * (16 * 1024 + 4096) + 8 * 10));
}

QTEST_GUILESS_MAIN(TestSteadyState)
#include "tst_steady_state.moc"
