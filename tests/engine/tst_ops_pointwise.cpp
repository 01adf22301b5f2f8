// Pointwise and structural ops: ReLU, LeakyReLU, GELU (erf and tanh),
// Tanh, Sigmoid, Softmax, LogSoftmax, Dropout, identity, add, concat.
// Hand-computed forward values plus central-difference gradient checks.
#include "GradCheck.h"
#include "core/Error.h"
#include "ops/Activations.h"
#include "ops/Concat.h"
#include "ops/Dropout.h"
#include "ops/Elementwise.h"
#include "ops/Softmax.h"
#include "core/Random.h"

#include <QTest>
#include <cmath>
#include <functional>
#include <numbers>
#include <vector>

using ml::Index;
using Vec = std::vector<float>;

namespace {

Vec zeros(Index n) {
    return Vec(size_t(n), 0.0f);
}

// A pointwise op as the tests drive it: forward(x, y, n), backward(x, y, dy, dx, n).
struct Pointwise {
    std::function<void(const float*, float*, Index)> forward;
    std::function<void(const float*, const float*, const float*, float*, Index)> backward;
};

Pointwise pointwiseOp(const QString& name) {
    using namespace ml::ops;
    if (name == "relu")
        return {reluForward, [](const float*, const float* y, const float* dy, float* dx, Index n) {
                    reluBackward(y, dy, dx, n);
                }};
    if (name == "leaky_relu" || name == "leaky_relu_0.2") {
        const LeakyReluParams p{name == "leaky_relu" ? 0.01f : 0.2f};
        return {[p](const float* x, float* y, Index n) { leakyReluForward(x, y, n, p); },
                [p](const float* x, const float*, const float* dy, float* dx, Index n) {
                    leakyReluBackward(x, dy, dx, n, p);
                }};
    }
    if (name == "gelu" || name == "gelu_tanh") {
        const GeluParams p{name == "gelu" ? GeluApproximate::None : GeluApproximate::Tanh};
        return {[p](const float* x, float* y, Index n) { geluForward(x, y, n, p); },
                [p](const float* x, const float*, const float* dy, float* dx, Index n) {
                    geluBackward(x, dy, dx, n, p);
                }};
    }
    if (name == "tanh")
        return {tanhForward, [](const float*, const float* y, const float* dy, float* dx, Index n) {
                    tanhBackward(y, dy, dx, n);
                }};
    if (name == "sigmoid")
        return {sigmoidForward, [](const float*, const float* y, const float* dy, float* dx, Index n) {
                    sigmoidBackward(y, dy, dx, n);
                }};
    qFatal("unknown op %s", qPrintable(name));
}

// Reference values in double, from the definitions.
double reference(const QString& name, double x) {
    if (name == "relu") return x > 0 ? x : 0.0;
    if (name == "leaky_relu") return x > 0 ? x : 0.01 * x;
    if (name == "leaky_relu_0.2") return x > 0 ? x : 0.2 * x;
    if (name == "gelu") return 0.5 * x * (1.0 + std::erf(x / std::numbers::sqrt2));
    if (name == "gelu_tanh")
        return 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / std::numbers::pi) * (x + 0.044715 * x * x * x)));
    if (name == "tanh") return std::tanh(x);
    if (name == "sigmoid") return 1.0 / (1.0 + std::exp(-x));
    qFatal("unknown op %s", qPrintable(name));
}

// dx after backward minus dx before: the accumulated gradient.
Vec accumulatedGradient(const std::function<void(float*)>& backward, Index n, float prefill = 0.25f) {
    Vec dx(size_t(n), prefill);
    backward(dx.data());
    for (float& v : dx)
        v -= prefill;
    return dx;
}

} // namespace

class TestOpsPointwise : public QObject {
    Q_OBJECT

  private Q_SLOTS:
    void pointwiseForward_data();
    void pointwiseForward();
    void pointwiseGradient_data();
    void pointwiseGradient();
    void pointwiseBackwardSkipsNullGradient();
    void geluMatchesTorch();
    void sigmoidExtremes();

    void softmaxOfOneTwoThree();
    void softmaxLargeLogitsDoNotOverflow();
    void softmaxStridedAxis_data();
    void softmaxStridedAxis();
    void softmaxGradient_data();
    void softmaxGradient();

    void dropoutTrainMask();
    void dropoutIsRepeatableForASeed();
    void dropoutEvalIsIdentity();
    void dropoutExtremes();
    void dropoutRejectsBadProbability();
    void dropoutGradient();

    void identityCopiesAndAccumulates();
    void addForwardBackward();
    void addSameInputTwice();
    void concatForward();
    void concatGradient();
};

void TestOpsPointwise::pointwiseForward_data() {
    QTest::addColumn<QString>("op");
    for (const char* op : {"relu", "leaky_relu", "leaky_relu_0.2", "gelu", "gelu_tanh", "tanh", "sigmoid"})
        QTest::newRow(op) << QString(op);
}

void TestOpsPointwise::pointwiseForward() {
    QFETCH(QString, op);
    const Vec x{-3.0f, -1.0f, -0.5f, 0.0f, 0.25f, 0.7f, 2.0f, 5.0f};
    Vec y(x.size(), -99.0f);
    pointwiseOp(op).forward(x.data(), y.data(), Index(x.size()));
    for (size_t i = 0; i < x.size(); ++i) {
        const double expected = reference(op, x[i]);
        if (std::abs(y[i] - expected) > 1e-6 + 1e-6 * std::abs(expected))
            QFAIL(qPrintable(QString("%1(%2) = %3, expected %4").arg(op).arg(x[i]).arg(y[i]).arg(expected)));
    }
    // A few values written out, so a wrong reference formula cannot hide a wrong op.
    if (op == "relu") QCOMPARE(y, (Vec{0, 0, 0, 0, 0.25f, 0.7f, 2, 5}));
    if (op == "leaky_relu") QCOMPARE(y[1], -0.01f);
    if (op == "tanh") QVERIFY(std::abs(y[6] - 0.96402758f) < 1e-6f);
    if (op == "sigmoid") QCOMPARE(y[3], 0.5f);
}

void TestOpsPointwise::pointwiseGradient_data() {
    pointwiseForward_data();
}

void TestOpsPointwise::pointwiseGradient() {
    QFETCH(QString, op);
    const Index n = 64;
    Vec x = gradcheck::randomVector(n, 11, -3.0f, 3.0f);
    // Keep away from the kinks of ReLU/LeakyReLU, where central differences straddle both sides.
    for (float& v : x)
        if (std::abs(v) < 0.05f) v = v < 0 ? -0.3f : 0.3f;
    const Vec r = gradcheck::randomVector(n, 12);
    const Pointwise f = pointwiseOp(op);
    Vec y = zeros(n);
    f.forward(x.data(), y.data(), n);
    const Vec analytic =
        accumulatedGradient([&](float* dx) { f.backward(x.data(), y.data(), r.data(), dx, n); }, n);
    GRADCHECK(qPrintable(op), x, analytic, [&] {
        Vec yy = zeros(n);
        f.forward(x.data(), yy.data(), n);
        return gradcheck::project(yy, r);
    });
}

void TestOpsPointwise::pointwiseBackwardSkipsNullGradient() {
    const Vec x{1.0f, -1.0f}, y{1.0f, 0.0f}, dy{1.0f, 1.0f};
    ml::ops::reluBackward(y.data(), dy.data(), nullptr, 2);
    ml::ops::geluBackward(x.data(), dy.data(), nullptr, 2);
    ml::ops::sigmoidBackward(y.data(), dy.data(), nullptr, 2);
    // ReLU's backward reads the saved output: y = 0 passes no gradient.
    Vec dx{10.0f, 10.0f};
    ml::ops::reluBackward(y.data(), dy.data(), dx.data(), 2);
    QCOMPARE(dx, (Vec{11.0f, 10.0f}));
}

void TestOpsPointwise::geluMatchesTorch() {
    // torch 1.13: F.gelu(x) and F.gelu(x, approximate='tanh') for these x.
    const Vec x{-2.0f, -0.5f, 0.0f, 0.7f, 3.0f};
    const Vec exact{-0.045500099658966064f, -0.1542687863111496f, 0.0f, 0.5306254625320435f,
                    2.995950222015381f};
    const Vec tanhForm{-0.04540228843688965f, -0.1542859971523285f, 0.0f, 0.5305701494216919f,
                       2.9963626861572266f};
    Vec y(5);
    ml::ops::geluForward(x.data(), y.data(), 5);
    for (int i = 0; i < 5; ++i)
        QVERIFY2(std::abs(y[i] - exact[i]) < 1e-6f, qPrintable(QString::number(i)));
    ml::ops::geluForward(x.data(), y.data(), 5, {ml::ops::GeluApproximate::Tanh});
    for (int i = 0; i < 5; ++i)
        QVERIFY2(std::abs(y[i] - tanhForm[i]) < 1e-6f, qPrintable(QString::number(i)));
}

void TestOpsPointwise::sigmoidExtremes() {
    const Vec x{-200.0f, 200.0f};
    Vec y(2);
    ml::ops::sigmoidForward(x.data(), y.data(), 2);
    QCOMPARE(y, (Vec{0.0f, 1.0f}));
}

void TestOpsPointwise::softmaxOfOneTwoThree() {
    const Vec x{1.0f, 2.0f, 3.0f};
    const double z = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
    Vec y(3);
    ml::ops::softmaxForward(x.data(), y.data(), {1, 3, 1});
    for (int i = 0; i < 3; ++i)
        QVERIFY(std::abs(y[i] - std::exp(double(i + 1)) / z) < 1e-7);
    QVERIFY(std::abs(y[2] - 0.6652409434318542f) < 1e-7f); // torch.softmax([1,2,3])
    ml::ops::logSoftmaxForward(x.data(), y.data(), {1, 3, 1});
    for (int i = 0; i < 3; ++i)
        QVERIFY(std::abs(y[i] - (double(i + 1) - std::log(z))) < 1e-6);
    QVERIFY(std::abs(y[0] - -2.4076058864593506f) < 1e-6f); // torch.log_softmax([1,2,3])
}

void TestOpsPointwise::softmaxLargeLogitsDoNotOverflow() {
    const Vec x{1000.0f, 1001.0f, -1000.0f};
    Vec y(3);
    ml::ops::softmaxForward(x.data(), y.data(), {1, 3, 1});
    QVERIFY(std::abs(y[0] - 1.0 / (1.0 + std::exp(1.0))) < 1e-6);
    QCOMPARE(y[2], 0.0f);
    ml::ops::logSoftmaxForward(x.data(), y.data(), {1, 3, 1});
    QVERIFY(std::abs(y[1] - -std::log1p(std::exp(-1.0))) < 1e-5);
    QVERIFY(std::abs(y[2] - (-2001.0 - std::log1p(std::exp(-1.0)))) < 1e-2);
}

void TestOpsPointwise::softmaxStridedAxis_data() {
    QTest::addColumn<Index>("outer");
    QTest::addColumn<Index>("dim");
    QTest::addColumn<Index>("inner");
    QTest::newRow("rows [4, 5]") << Index(4) << Index(5) << Index(1);
    QTest::newRow("channels [2, 3, 4]") << Index(2) << Index(3) << Index(4);
    QTest::newRow("inner past one chunk [2, 3, 300]") << Index(2) << Index(3) << Index(300);
    QTest::newRow("single entry axis") << Index(3) << Index(1) << Index(2);
}

void TestOpsPointwise::softmaxStridedAxis() {
    QFETCH(Index, outer);
    QFETCH(Index, dim);
    QFETCH(Index, inner);
    const ml::ops::SoftmaxGeometry g{outer, dim, inner};
    const Vec x = gradcheck::randomVector(g.size(), 5, -4.0f, 4.0f);
    Vec y = zeros(g.size()), ly = zeros(g.size());
    ml::ops::softmaxForward(x.data(), y.data(), g);
    ml::ops::logSoftmaxForward(x.data(), ly.data(), g);
    // Naive reference: element (o, d, i) sits at (o * dim + d) * inner + i.
    for (Index o = 0; o < outer; ++o)
        for (Index i = 0; i < inner; ++i) {
            double z = 0.0;
            for (Index d = 0; d < dim; ++d)
                z += std::exp(double(x[size_t((o * dim + d) * inner + i)]));
            for (Index d = 0; d < dim; ++d) {
                const size_t k = size_t((o * dim + d) * inner + i);
                QVERIFY(std::abs(y[k] - std::exp(double(x[k])) / z) < 1e-6);
                QVERIFY(std::abs(ly[k] - (double(x[k]) - std::log(z))) < 1e-5);
            }
        }
}

void TestOpsPointwise::softmaxGradient_data() {
    QTest::addColumn<bool>("log");
    QTest::addColumn<Index>("outer");
    QTest::addColumn<Index>("dim");
    QTest::addColumn<Index>("inner");
    for (bool log : {false, true}) {
        const char* name = log ? "log_softmax" : "softmax";
        QTest::newRow(qPrintable(QString("%1 [3, 5]").arg(name))) << log << Index(3) << Index(5) << Index(1);
        QTest::newRow(qPrintable(QString("%1 [2, 4, 3]").arg(name)))
            << log << Index(2) << Index(4) << Index(3);
        QTest::newRow(qPrintable(QString("%1 [1, 3, 260]").arg(name)))
            << log << Index(1) << Index(3) << Index(260);
    }
}

void TestOpsPointwise::softmaxGradient() {
    QFETCH(bool, log);
    QFETCH(Index, outer);
    QFETCH(Index, dim);
    QFETCH(Index, inner);
    const ml::ops::SoftmaxGeometry g{outer, dim, inner};
    const Index n = g.size();
    auto forward = log ? ml::ops::logSoftmaxForward : ml::ops::softmaxForward;
    auto backward = log ? ml::ops::logSoftmaxBackward : ml::ops::softmaxBackward;
    Vec x = gradcheck::randomVector(n, 21, -2.0f, 2.0f);
    const Vec r = gradcheck::randomVector(n, 22);
    Vec y = zeros(n);
    forward(x.data(), y.data(), g);
    const Vec analytic = accumulatedGradient([&](float* dx) { backward(y.data(), r.data(), dx, g); }, n);
    GRADCHECK(log ? "log_softmax" : "softmax", x, analytic, [&] {
        Vec yy = zeros(n);
        forward(x.data(), yy.data(), g);
        return gradcheck::project(yy, r);
    });
}

void TestOpsPointwise::dropoutTrainMask() {
    const Index n = 20000;
    const Vec x = gradcheck::randomVector(n, 3, 0.5f, 1.5f);
    Vec y = zeros(n), mask = zeros(ml::ops::dropoutMaskSize(n, {0.25f, true}));
    QCOMPARE(Index(mask.size()), n);
    ml::Random rng(7);
    ml::ops::dropoutForward(x.data(), y.data(), mask.data(), n, {0.25f, true}, rng);
    Index kept = 0;
    const float scale = 1.0f / 0.75f;
    for (Index i = 0; i < n; ++i) {
        QVERIFY(mask[size_t(i)] == 0.0f || mask[size_t(i)] == scale);
        QCOMPARE(y[size_t(i)], x[size_t(i)] * mask[size_t(i)]);
        kept += mask[size_t(i)] != 0.0f;
    }
    // Binomial(20000, 0.75): standard deviation ~61, so +-400 cannot fail by chance.
    QVERIFY2(std::abs(kept - 15000) < 400, qPrintable(QString::number(kept)));
}

void TestOpsPointwise::dropoutIsRepeatableForASeed() {
    const Index n = 100;
    const Vec x(size_t(n), 1.0f);
    Vec y1 = zeros(n), y2 = zeros(n), y3 = zeros(n), mask = zeros(n);
    ml::Random a(99), b(99), c(100);
    ml::ops::dropoutForward(x.data(), y1.data(), mask.data(), n, {0.5f, true}, a);
    ml::ops::dropoutForward(x.data(), y2.data(), mask.data(), n, {0.5f, true}, b);
    ml::ops::dropoutForward(x.data(), y3.data(), mask.data(), n, {0.5f, true}, c);
    QCOMPARE(y1, y2);
    QVERIFY(y1 != y3);
}

void TestOpsPointwise::dropoutEvalIsIdentity() {
    const Vec x{1.0f, -2.0f, 3.0f};
    Vec y(3);
    ml::Random rng(1);
    const auto before = rng.state();
    const ml::ops::DropoutParams eval{0.9f, false};
    QCOMPARE(ml::ops::dropoutMaskSize(3, eval), Index(0));
    ml::ops::dropoutForward(x.data(), y.data(), nullptr, 3, eval, rng);
    QCOMPARE(y, x);
    QVERIFY(rng.state() == before); // eval draws nothing
    Vec dx{1.0f, 1.0f, 1.0f};
    ml::ops::dropoutBackward(x.data(), nullptr, dx.data(), 3, eval);
    QCOMPARE(dx, (Vec{2.0f, -1.0f, 4.0f}));
}

void TestOpsPointwise::dropoutExtremes() {
    const Vec x{1.0f, -2.0f, 3.0f};
    Vec y(3), mask(3);
    ml::Random rng(1);
    ml::ops::dropoutForward(x.data(), y.data(), mask.data(), 3, {1.0f, true}, rng);
    QCOMPARE(y, (Vec{0.0f, -0.0f, 0.0f}));
    ml::ops::dropoutForward(x.data(), y.data(), mask.data(), 3, {0.0f, true}, rng);
    QCOMPARE(y, x);
    QCOMPARE(mask, (Vec{1.0f, 1.0f, 1.0f}));
}

void TestOpsPointwise::dropoutRejectsBadProbability() {
    const Vec x{1.0f};
    Vec y(1), mask(1);
    ml::Random rng(1);
    for (float p : {-0.1f, 1.5f, std::nanf("")}) {
        bool thrown = false;
        try {
            ml::ops::dropoutForward(x.data(), y.data(), mask.data(), 1, {p, true}, rng);
        } catch (const ml::Error& e) {
            thrown = QString(e.what()).contains("Dropout");
        }
        QVERIFY2(thrown, qPrintable(QString::number(p)));
    }
}

void TestOpsPointwise::dropoutGradient() {
    const Index n = 50;
    const ml::ops::DropoutParams params{0.4f, true};
    Vec x = gradcheck::randomVector(n, 31);
    const Vec r = gradcheck::randomVector(n, 32);
    Vec y = zeros(n), mask = zeros(n);
    // Reseeding before every forward keeps the mask fixed while x is perturbed.
    auto forward = [&](Vec& out) {
        ml::Random rng(5);
        ml::ops::dropoutForward(x.data(), out.data(), mask.data(), n, params, rng);
    };
    forward(y);
    const Vec analytic = accumulatedGradient(
        [&](float* dx) { ml::ops::dropoutBackward(r.data(), mask.data(), dx, n, params); }, n);
    for (Index i = 0; i < n; ++i)
        QCOMPARE(analytic[size_t(i)], r[size_t(i)] * mask[size_t(i)]);
    GRADCHECK("dropout", x, analytic, [&] {
        Vec yy = zeros(n);
        forward(yy);
        return gradcheck::project(yy, r);
    });
}

void TestOpsPointwise::identityCopiesAndAccumulates() {
    const Vec x{1.0f, 2.0f, 3.0f};
    Vec y(3);
    ml::ops::identityForward(x.data(), y.data(), 3);
    QCOMPARE(y, x);
    Vec dx{0.5f, 0.5f, 0.5f};
    ml::ops::identityBackward(x.data(), dx.data(), 3);
    QCOMPARE(dx, (Vec{1.5f, 2.5f, 3.5f}));
    ml::ops::identityBackward(x.data(), nullptr, 3); // skipped
}

void TestOpsPointwise::addForwardBackward() {
    const Vec a{1.0f, 2.0f}, b{10.0f, -20.0f}, dy{0.5f, -1.0f};
    Vec y(2);
    ml::ops::addForward(a.data(), b.data(), y.data(), 2);
    QCOMPARE(y, (Vec{11.0f, -18.0f}));
    Vec da{1.0f, 1.0f}, db{0.0f, 0.0f};
    ml::ops::addBackward(dy.data(), da.data(), db.data(), 2);
    QCOMPARE(da, (Vec{1.5f, 0.0f}));
    QCOMPARE(db, (Vec{0.5f, -1.0f}));
    ml::ops::addBackward(dy.data(), nullptr, db.data(), 2);
    QCOMPARE(db, (Vec{1.0f, -2.0f}));
}

void TestOpsPointwise::addSameInputTwice() {
    // y = x + x: both gradients land in the same buffer, d y / d x = 2.
    const Vec x{3.0f}, dy{1.5f};
    Vec y(1), dx{0.0f};
    ml::ops::addForward(x.data(), x.data(), y.data(), 1);
    QCOMPARE(y[0], 6.0f);
    ml::ops::addBackward(dy.data(), dx.data(), dx.data(), 1);
    QCOMPARE(dx[0], 3.0f);
}

void TestOpsPointwise::concatForward() {
    // cat([2,1,2], [2,2,2], [2,3,2]) on dim 1 -> [2,6,2]
    const ml::ops::ConcatGeometry g{2, {1, 2, 3}, 2};
    QCOMPARE(g.axisSize(), Index(6));
    QCOMPARE(g.outputSize(), Index(24));
    const Vec a{1, 2, /**/ 3, 4};
    const Vec b{10, 11, 12, 13, /**/ 14, 15, 16, 17};
    const Vec c{20, 21, 22, 23, 24, 25, /**/ 26, 27, 28, 29, 30, 31};
    const float* inputs[] = {a.data(), b.data(), c.data()};
    Vec y(24, -1.0f);
    ml::ops::concatForward(inputs, y.data(), g);
    QCOMPARE(y, (Vec{1, 2, 10, 11, 12, 13, 20, 21, 22, 23, 24, 25, //
                     3, 4, 14, 15, 16, 17, 26, 27, 28, 29, 30, 31}));
}

void TestOpsPointwise::concatGradient() {
    const ml::ops::ConcatGeometry g{3, {2, 1, 4}, 5};
    std::vector<Vec> xs;
    for (size_t i = 0; i < g.sizes.size(); ++i)
        xs.push_back(gradcheck::randomVector(g.outer * g.sizes[i] * g.inner, unsigned(40 + i)));
    const Vec r = gradcheck::randomVector(g.outputSize(), 49);
    auto forward = [&] {
        std::vector<const float*> inputs;
        for (const Vec& x : xs)
            inputs.push_back(x.data());
        Vec y = zeros(g.outputSize());
        ml::ops::concatForward(inputs, y.data(), g);
        return gradcheck::project(y, r);
    };
    std::vector<Vec> grads;
    for (const Vec& x : xs)
        grads.emplace_back(x.size(), 1.0f);
    std::vector<float*> dxs;
    for (Vec& d : grads)
        dxs.push_back(d.data());
    dxs[1] = nullptr; // not needed: skipped, left untouched
    ml::ops::concatBackward(r.data(), dxs, g);
    QCOMPARE(grads[1], Vec(grads[1].size(), 1.0f));
    for (size_t i : {size_t(0), size_t(2)}) {
        Vec analytic = grads[i];
        for (float& v : analytic)
            v -= 1.0f;
        GRADCHECK(qPrintable(QString("concat input %1").arg(i)), xs[i], analytic, forward);
    }
}

QTEST_GUILESS_MAIN(TestOpsPointwise)
#include "tst_ops_pointwise.moc"
