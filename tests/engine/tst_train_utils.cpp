// The seeded generator ml::Random, PyTorch's default initializations, and
// the training metrics (accuracy, running mean).
#include "core/Error.h"
#include "exec/Init.h"
#include "model/LayerCatalog.h"
#include "train/Metrics.h"
#include "core/Random.h"

#include <QTest>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <vector>

using ml::Index;
using Vec = std::vector<float>;

namespace {

struct Moments {
    double mean = 0.0, variance = 0.0, minimum = 0.0, maximum = 0.0;
};

Moments moments(const Vec& v) {
    Moments m;
    m.minimum = *std::min_element(v.begin(), v.end());
    m.maximum = *std::max_element(v.begin(), v.end());
    for (float x : v)
        m.mean += x;
    m.mean /= double(v.size());
    for (float x : v)
        m.variance += (x - m.mean) * (x - m.mean);
    m.variance /= double(v.size());
    return m;
}

} // namespace

class TestTrainUtils : public QObject {
    Q_OBJECT

  private Q_SLOTS:
    void randomIsRepeatable();
    void randomPinnedSequence();
    void randomUniformRangeAndMoments();
    void randomNormalMoments();
    void randomBernoulli();
    void randomUniformIntAndShuffle();
    void randomForkGivesIndependentStreams();
    void randomStateRoundTrip();

    void initLinear();
    void initConv2dFanIn();
    void initLinearDistribution();
    void initNormAndRunningStats();

    void argmaxRules();
    void accuracy();
    void runningMean();
};

void TestTrainUtils::randomIsRepeatable() {
    ml::Random a(123), b(123), c(124);
    bool differs = false;
    for (int i = 0; i < 100; ++i) {
        const std::uint32_t x = a.nextU32();
        QCOMPARE(b.nextU32(), x);
        differs = differs || c.nextU32() != x;
    }
    QVERIFY(differs);
}

void TestTrainUtils::randomPinnedSequence() {
    // The first outputs for seed 42, pinned when the generator was written:
    // a change here would silently change every seeded run's results.
    ml::Random r(42);
    QCOMPARE(r.nextU32(), 1798253477u);
    QCOMPARE(r.nextU32(), 14297942u);
    QCOMPARE(r.nextU32(), 3373649736u);
    QCOMPARE(r.nextU32(), 2842426186u);
    QCOMPARE(ml::Random(42, 7).nextU32(), 1774157590u); // another stream, another sequence
    ml::Random s(42);
    QCOMPARE(s.uniform(), float(1798253477u >> 8) * 0x1.0p-24f);
}

void TestTrainUtils::randomUniformRangeAndMoments() {
    ml::Random r(1);
    Vec v(50000);
    r.fillUniform(v.data(), Index(v.size()), -2.0f, 6.0f);
    const Moments m = moments(v);
    QVERIFY(m.minimum >= -2.0 && m.maximum < 6.0);
    QVERIFY(m.minimum < -1.99 && m.maximum > 5.99);
    // U(-2, 6): mean 2, variance 64/12; standard error of the mean ~0.01.
    QVERIFY2(std::abs(m.mean - 2.0) < 0.06, qPrintable(QString::number(m.mean)));
    QVERIFY2(std::abs(m.variance - 64.0 / 12.0) < 0.15, qPrintable(QString::number(m.variance)));
    for (int i = 0; i < 1000; ++i) {
        const float u = r.uniform();
        QVERIFY(u >= 0.0f && u < 1.0f);
    }
}

void TestTrainUtils::randomNormalMoments() {
    ml::Random r(2);
    Vec v(50000);
    r.fillNormal(v.data(), Index(v.size()), 1.5f, 0.5f);
    const Moments m = moments(v);
    QVERIFY2(std::abs(m.mean - 1.5) < 0.015, qPrintable(QString::number(m.mean)));
    QVERIFY2(std::abs(std::sqrt(m.variance) - 0.5) < 0.015, qPrintable(QString::number(m.variance)));
    const auto beyond = std::count_if(v.begin(), v.end(), [](float x) { return std::abs(x - 1.5f) > 1.0f; });
    // P(|z| > 2) = 4.55%: 2275 expected, standard deviation ~47.
    QVERIFY2(std::abs(double(beyond) - 2275.0) < 300.0, qPrintable(QString::number(beyond)));
}

void TestTrainUtils::randomBernoulli() {
    ml::Random r(3);
    int hits = 0;
    for (int i = 0; i < 20000; ++i)
        hits += r.bernoulli(0.3);
    QVERIFY2(std::abs(hits - 6000) < 400, qPrintable(QString::number(hits)));
    for (int i = 0; i < 100; ++i) {
        QVERIFY(!r.bernoulli(0.0));
        QVERIFY(r.bernoulli(1.0));
    }
}

void TestTrainUtils::randomUniformIntAndShuffle() {
    ml::Random r(4);
    std::vector<int> counts(7, 0);
    for (int i = 0; i < 7000; ++i) {
        const Index k = r.uniformInt(7);
        QVERIFY(k >= 0 && k < 7);
        ++counts[size_t(k)];
    }
    for (int c : counts)
        QVERIFY2(std::abs(c - 1000) < 150, qPrintable(QString::number(c)));

    std::vector<Index> a(50), b(50);
    std::iota(a.begin(), a.end(), 0);
    std::iota(b.begin(), b.end(), 0);
    ml::Random s1(9), s2(9);
    s1.shuffle(a);
    s2.shuffle(b);
    QCOMPARE(a, b);
    std::vector<Index> sorted = a;
    std::sort(sorted.begin(), sorted.end());
    std::vector<Index> identity(50);
    std::iota(identity.begin(), identity.end(), 0);
    QCOMPARE(sorted, identity); // a permutation
    QVERIFY(a != identity);
}

void TestTrainUtils::randomForkGivesIndependentStreams() {
    ml::Random parent(10), twin(10);
    ml::Random child = parent.fork();
    ml::Random childTwin = twin.fork();
    QVERIFY(parent.state() == twin.state());
    int sameAsParent = 0;
    for (int i = 0; i < 100; ++i) {
        const std::uint32_t c = child.nextU32();
        QCOMPARE(childTwin.nextU32(), c);
        sameAsParent += c == parent.nextU32();
    }
    QVERIFY(sameAsParent < 3);
    ml::Random second = twin.fork();
    QVERIFY(!(second.state() == child.state()));
}

void TestTrainUtils::randomStateRoundTrip() {
    ml::Random r(11);
    for (int i = 0; i < 5; ++i)
        r.nextU32();
    const ml::Random::State saved = r.state();
    const Vec first{r.uniform(), r.uniform(), r.normal()};
    ml::Random restored(999);
    restored.setState(saved);
    QCOMPARE((Vec{restored.uniform(), restored.uniform(), restored.normal()}), first);
    bool thrown = false;
    try {
        restored.setState({1, 2});
    } catch (const ml::Error& e) {
        thrown = QString(e.what()).contains("even");
    }
    QVERIFY(thrown);
}

namespace {
// A layer's parameters and buffers as its catalog entry describes them,
// initialized in registration order from one generator (as ParameterStore does).
std::vector<Vec> initLayer(const char* type, const ml::Json& args, ml::Random& r) {
    std::vector<Vec> out;
    for (const ml::TensorSpec& t : ml::layerTensors(type, args)) {
        Vec v(static_cast<size_t>(ml::Tensor::numel(t.shape)), 99.0f);
        ml::initTensor(t, v.data(), Index(v.size()), r);
        out.push_back(v);
    }
    return out;
}
} // namespace

void TestTrainUtils::initLinear() {
    // Linear(4, 3): weight and bias from U(-1/2, 1/2), weight drawn first.
    ml::Random r(5);
    const std::vector<Vec> t = initLayer("Linear", {{"in_features", 4}, {"out_features", 3}, {"bias", true}}, r);
    QCOMPARE(t.size(), size_t(2));
    const Vec &w = t[0], &bias = t[1];
    QCOMPARE(w.size(), size_t(12));
    for (float x : w)
        QVERIFY(x >= -0.5f && x < 0.5f);
    for (float x : bias)
        QVERIFY(x >= -0.5f && x < 0.5f);
    ml::Random again(5);
    Vec expected(15);
    again.fillUniform(expected.data(), 15, -0.5f, 0.5f);
    QCOMPARE(w, Vec(expected.begin(), expected.begin() + 12));
    QCOMPARE(bias, Vec(expected.begin() + 12, expected.end()));
    // No bias: only the weight is drawn.
    ml::Random r2(5);
    const std::vector<Vec> t2 = initLayer("Linear", {{"in_features", 4}, {"out_features", 3}, {"bias", false}}, r2);
    QCOMPARE(t2.size(), size_t(1));
    QCOMPARE(t2[0], w);
}

void TestTrainUtils::initConv2dFanIn() {
    // Conv2d(4, 5, kernel 3, groups 2): fan_in = 4/2 * 3 * 3 = 18.
    ml::Random r(6);
    const std::vector<Vec> t = initLayer(
        "Conv2d", {{"in_channels", 4}, {"out_channels", 5}, {"kernel_size", 3}, {"groups", 2}, {"bias", true}}, r);
    QCOMPARE(t.size(), size_t(2));
    const Vec &w = t[0], &bias = t[1];
    QCOMPARE(w.size(), size_t(5 * 2 * 3 * 3));
    ml::Random again(6);
    const float bound = float(1.0 / std::sqrt(18.0));
    Vec expected(w.size() + bias.size());
    again.fillUniform(expected.data(), Index(expected.size()), -bound, bound);
    QCOMPARE(w, Vec(expected.begin(), expected.begin() + Index(w.size())));
    QCOMPARE(bias, Vec(expected.begin() + Index(w.size()), expected.end()));
}

void TestTrainUtils::initLinearDistribution() {
    // Linear(256, 64): bound 1/16; U(-b, b) has variance b^2 / 3 (torch: kaiming_uniform_ a=sqrt(5)).
    ml::Random r(7);
    const Vec w = initLayer("Linear", {{"in_features", 256}, {"out_features", 64}, {"bias", false}}, r).at(0);
    const Moments m = moments(w);
    QVERIFY(m.maximum < 1.0 / 16.0 && m.minimum >= -1.0 / 16.0);
    QVERIFY(m.maximum > 0.99 / 16.0 && m.minimum < -0.99 / 16.0);
    QVERIFY2(std::abs(m.variance / (1.0 / 256.0 / 3.0) - 1.0) < 0.05,
             qPrintable(QString::number(m.variance)));
    // fan_in 0 (an empty input): bias bound 0, as torch.
    const std::vector<Vec> empty = initLayer("Linear", {{"in_features", 0}, {"out_features", 3}, {"bias", true}}, r);
    QCOMPARE(empty.at(0).size(), size_t(0));
    QCOMPARE(empty.at(1), Vec(3, 0.0f));
}

void TestTrainUtils::initNormAndRunningStats() {
    // BatchNorm2d(4): weight 1, bias 0, running_mean 0, running_var 1, num_batches_tracked 0.
    ml::Random r(8);
    const std::vector<Vec> t =
        initLayer("BatchNorm2d", {{"num_features", 4}, {"affine", true}, {"track_running_stats", true}}, r);
    QCOMPARE(t.size(), size_t(5));
    QCOMPARE(t[0], Vec(4, 1.0f));
    QCOMPARE(t[1], Vec(4, 0.0f));
    QCOMPARE(t[2], Vec(4, 0.0f));
    QCOMPARE(t[3], Vec(4, 1.0f));
    QCOMPARE(t[4], Vec(1, 0.0f));
    // LayerNorm([2, 3]): weight 1 and bias 0 over all 6 elements.
    const std::vector<Vec> ln =
        initLayer("LayerNorm", {{"normalized_shape", {2, 3}}, {"elementwise_affine", true}}, r);
    QCOMPARE(ln.size(), size_t(2));
    QCOMPARE(ln[0], Vec(6, 1.0f));
    QCOMPARE(ln[1], Vec(6, 0.0f));
}

void TestTrainUtils::argmaxRules() {
    const Vec ties{1.0f, 3.0f, 3.0f, 2.0f};
    QCOMPARE(ml::argmax(ties.data(), 4), Index(1)); // first of equal maxima
    const Vec withNan{1.0f, 5.0f, std::nanf(""), 9.0f};
    QCOMPARE(ml::argmax(withNan.data(), 4), Index(2)); // NaN counts as the maximum, as in torch
    const Vec single{-4.0f};
    QCOMPARE(ml::argmax(single.data(), 1), Index(0));
}

void TestTrainUtils::accuracy() {
    // 4 samples x 3 classes; predictions 2, 0, 1, 1.
    const Vec logits{0.1f, 0.2f, 0.9f, 2.0f, -1.0f, 0.0f, 0.0f, 5.0f, 1.0f, 0.3f, 0.31f, 0.2f};
    const std::vector<std::int64_t> targets{2, 0, 2, 7}; // the last is out of range: never correct
    QCOMPARE(ml::correctCount(logits.data(), targets.data(), 4, 3), Index(2));
    QCOMPARE(ml::accuracy(logits.data(), targets.data(), 4, 3), 0.5);
}

void TestTrainUtils::runningMean() {
    ml::RunningMean m;
    QCOMPARE(m.mean(), 0.0);
    m.add(2.0, 32); // batch of 32 with mean loss 2
    m.add(5.0, 16);
    QCOMPARE(m.totalWeight(), 48.0);
    QCOMPARE(m.mean(), (2.0 * 32 + 5.0 * 16) / 48.0);
    m.add(1.0);
    QCOMPARE(m.mean(), (2.0 * 32 + 5.0 * 16 + 1.0) / 49.0);
    m.reset();
    QCOMPARE(m.totalWeight(), 0.0);
    QCOMPARE(m.mean(), 0.0);
}

QTEST_GUILESS_MAIN(TestTrainUtils)
#include "tst_train_utils.moc"
