// Dense layers: Linear, Conv2d, BatchNorm, LayerNorm, MaxPool2d, AvgPool2d,
// AdaptiveAvgPool2d. Each has a hand-computed forward case and a
// central-difference check of every gradient; every check also verifies that
// backward accumulates (two calls onto pre-filled buffers) and that each
// gradient can be asked for alone (the others null).
#include "ConvMethodTag.h"
#include "GradCheck.h"

#include "core/Error.h"
#include "kernels/OutputSize.h"
#include "ops/AdaptiveAvgPool2d.h"
#include "ops/AvgPool2d.h"
#include "ops/BatchNorm.h"
#include "ops/Conv2d.h"
#include "ops/LayerNorm.h"
#include "ops/Linear.h"
#include "ops/MaxPool2d.h"

#include <QTest>
#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>
#include <random>
#ifdef _OPENMP
#include <omp.h>
#endif

using ml::Index;
using namespace ml::ops;

namespace {

using Floats = std::vector<float>;

bool near(double a, double b, double rtol = 1e-5, double atol = 1e-5) {
    return std::abs(a - b) <= atol + rtol * std::abs(b);
}

// Compares element by element; fails the current test naming the first bad one.
bool expectAll(const char* what, const Floats& got, const Floats& want, double rtol = 1e-5, double atol = 1e-5) {
    if (got.size() != want.size()) {
        QTest::qFail(qPrintable(QStringLiteral("%1: %2 values, expected %3").arg(what).arg(got.size()).arg(want.size())),
                     __FILE__, __LINE__);
        return false;
    }
    for (size_t i = 0; i < got.size(); ++i) {
        if (!near(got[i], want[i], rtol, atol)) {
            QTest::qFail(qPrintable(QStringLiteral("%1[%2]: got %3, expected %4")
                                        .arg(what).arg(i).arg(got[i], 0, 'g', 9).arg(want[i], 0, 'g', 9)),
                         __FILE__, __LINE__);
            return false;
        }
    }
    return true;
}
#define EXPECT_ALL(...) do { if (!expectAll(__VA_ARGS__)) return; } while (0)

// One differentiable input or parameter of an op.
struct Operand {
    const char* name;
    Floats* value;
};

using ForwardFn = std::function<Floats()>;
// backward(dy, grads): grads[i] belongs to operands[i]; null means "not needed".
using BackwardFn = std::function<void(const Floats& dy, const std::vector<float*>& grads)>;

// The whole gradient protocol of an op:
// 1. each gradient alone (others null) gives g_i;
// 2. all together, twice, onto buffers pre-filled with 0.25 gives 0.25 + 2 g_i
//    (so backward accumulates and skipping one changes no other);
// 3. g_i matches central differences of sum(y * r).
bool checkGradients(const std::vector<Operand>& operands, const ForwardFn& forward, const BackwardFn& backward,
                    double eps = 1e-2, double rtol = 2e-2, double atol = 2e-3) {
    const Floats y0 = forward(); // also refreshes whatever forward saves for backward
    const Floats r = gradcheck::randomVector(Index(y0.size()), 1234);
    std::vector<Floats> alone;
    for (size_t i = 0; i < operands.size(); ++i) {
        Floats g(operands[i].value->size(), 0.0f);
        std::vector<float*> ptrs(operands.size(), nullptr);
        ptrs[i] = g.data();
        backward(r, ptrs);
        alone.push_back(std::move(g));
    }
    std::vector<Floats> together;
    std::vector<float*> ptrs;
    for (const Operand& o : operands) together.emplace_back(o.value->size(), 0.25f);
    for (Floats& t : together) ptrs.push_back(t.data());
    backward(r, ptrs);
    backward(r, ptrs);
    for (size_t i = 0; i < operands.size(); ++i) {
        Floats want(alone[i].size());
        for (size_t k = 0; k < want.size(); ++k) want[k] = 0.25f + 2.0f * alone[i][k];
        const QByteArray what = QByteArray("accumulated d") + operands[i].name;
        if (!expectAll(what.constData(), together[i], want, 1e-4, 1e-5)) return false;
    }
    auto loss = [&] { return gradcheck::project(forward(), r); };
    for (size_t i = 0; i < operands.size(); ++i) {
        const QByteArray what = QByteArray("d") + operands[i].name;
        if (!gradcheck::check(what.constData(), *operands[i].value, alone[i], loss, eps, rtol, atol)) return false;
    }
    return true;
}
#define CHECK_GRADIENTS(...) do { if (!checkGradients(__VA_ARGS__)) return; } while (0)

// Values spaced at least `gap` apart in random order: max pooling stays
// differentiable under a +-eps perturbation when gap > 2 eps.
Floats distinctValues(Index n, unsigned seed, float gap = 0.05f) {
    Floats v(static_cast<size_t>(n));
    for (Index i = 0; i < n; ++i) v[size_t(i)] = float(i) * gap - float(n) * gap / 2;
    std::mt19937 rng(seed);
    std::shuffle(v.begin(), v.end(), rng);
    return v;
}

Floats iota(Index n, float start = 0.0f) {
    Floats v(static_cast<size_t>(n));
    std::iota(v.begin(), v.end(), start);
    return v;
}

// Direct definition of a grouped, strided, padded, dilated convolution (the
// test's reference, independent of im2col).
Floats referenceConv(const Conv2dGeometry& g, const Floats& x, const Floats& w, const float* b) {
    const Index oh = g.outH(), ow = g.outW(), cinG = g.cin / g.groups, coutG = g.cout / g.groups;
    Floats y(static_cast<size_t>(g.n * g.cout * oh * ow));
    for (Index n = 0; n < g.n; ++n)
        for (Index co = 0; co < g.cout; ++co)
            for (Index i = 0; i < oh; ++i)
                for (Index j = 0; j < ow; ++j) {
                    double acc = b ? b[co] : 0.0;
                    const Index grp = co / coutG;
                    for (Index ci = 0; ci < cinG; ++ci)
                        for (Index ki = 0; ki < g.kh; ++ki)
                            for (Index kj = 0; kj < g.kw; ++kj) {
                                const Index ih = i * g.strideH - g.padH + ki * g.dilH;
                                const Index iw = j * g.strideW - g.padW + kj * g.dilW;
                                if (ih < 0 || ih >= g.h || iw < 0 || iw >= g.w) continue;
                                acc += double(x[size_t(((n * g.cin + grp * cinG + ci) * g.h + ih) * g.w + iw)]) *
                                       double(w[size_t(((co * cinG + ci) * g.kh + ki) * g.kw + kj)]);
                            }
                    y[size_t(((n * g.cout + co) * oh + i) * ow + j)] = float(acc);
                }
    return y;
}

// The adjoint of referenceConv, by the same loops.
void referenceConvBackward(const Conv2dGeometry& g, const Floats& x, const Floats& w, const Floats& dy, Floats& dx,
                           Floats& dw, Floats& db) {
    const Index oh = g.outH(), ow = g.outW(), cinG = g.cin / g.groups, coutG = g.cout / g.groups;
    dx.assign(x.size(), 0.0f);
    dw.assign(w.size(), 0.0f);
    db.assign(size_t(g.cout), 0.0f);
    for (Index n = 0; n < g.n; ++n)
        for (Index co = 0; co < g.cout; ++co)
            for (Index i = 0; i < oh; ++i)
                for (Index j = 0; j < ow; ++j) {
                    const float d = dy[size_t(((n * g.cout + co) * oh + i) * ow + j)];
                    db[size_t(co)] += d;
                    const Index grp = co / coutG;
                    for (Index ci = 0; ci < cinG; ++ci)
                        for (Index ki = 0; ki < g.kh; ++ki)
                            for (Index kj = 0; kj < g.kw; ++kj) {
                                const Index ih = i * g.strideH - g.padH + ki * g.dilH;
                                const Index iw = j * g.strideW - g.padW + kj * g.dilW;
                                if (ih < 0 || ih >= g.h || iw < 0 || iw >= g.w) continue;
                                const size_t xi = size_t(((n * g.cin + grp * cinG + ci) * g.h + ih) * g.w + iw);
                                const size_t wi = size_t(((co * cinG + ci) * g.kh + ki) * g.kw + kj);
                                dx[xi] += w[wi] * d;
                                dw[wi] += x[xi] * d;
                            }
                }
}

} // namespace

class TestOpsDense : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void outputSizes_data();
    void outputSizes();
    void geometryProblems();

    void linearForward();
    void linearGradients_data();
    void linearGradients();

    void conv2dForward_data();
    void conv2dForward();
    void conv2dScratchSize();
    void conv2dGradients_data();
    void conv2dGradients();
    void conv2dThreadedMatchesReference_data();
    void conv2dThreadedMatchesReference();

    void batchNormTrainForward();
    void batchNorm1dTrainForward();
    void batchNormEvalForward();
    void batchNormUntrackedUsesBatchStats();
    void batchNormRefusesSingleValue();
    void batchNormGradients_data();
    void batchNormGradients();

    void layerNormForward();
    void layerNormGradients_data();
    void layerNormGradients();

    void maxPoolForward_data();
    void maxPoolForward();
    void maxPoolNanPropagates();
    void maxPoolMasksReluGradient();
    void maxPoolGradients_data();
    void maxPoolGradients();

    void avgPoolForward_data();
    void avgPoolForward();
    void avgPoolGradients_data();
    void avgPoolGradients();

    void adaptiveAvgPoolForward_data();
    void adaptiveAvgPoolForward();
    void adaptiveAvgPoolGradients_data();
    void adaptiveAvgPoolGradients();
};

// ---------------------------------------------------------------- sizes

void TestOpsDense::outputSizes_data() {
    QTest::addColumn<bool>("pool");
    QTest::addColumn<int>("in");
    QTest::addColumn<int>("kernel");
    QTest::addColumn<int>("stride");
    QTest::addColumn<int>("pad");
    QTest::addColumn<int>("dilation");
    QTest::addColumn<bool>("ceil");
    QTest::addColumn<int>("expected");
    // conv: floor((in + 2p - d(k-1) - 1) / s) + 1
    QTest::newRow("conv 3x3 same") << false << 32 << 3 << 1 << 1 << 1 << false << 32;
    QTest::newRow("conv stride 2") << false << 32 << 3 << 2 << 1 << 1 << false << 16;
    QTest::newRow("conv dilation 2") << false << 7 << 3 << 1 << 0 << 2 << false << 3;
    QTest::newRow("conv kernel > input") << false << 2 << 3 << 1 << 0 << 1 << false << -1;
    QTest::newRow("conv kernel > input, padded") << false << 2 << 3 << 1 << 1 << 1 << false << 2;
    QTest::newRow("conv dilated kernel > input") << false << 4 << 3 << 1 << 0 << 2 << false << -1;
    // pool: same rule, ceil_mode rounds up unless the last window would start in the right padding
    QTest::newRow("pool floor") << true << 4 << 3 << 2 << 0 << 1 << false << 1;
    QTest::newRow("pool ceil") << true << 4 << 3 << 2 << 0 << 1 << true << 2;
    QTest::newRow("pool ceil no-op") << true << 5 << 2 << 2 << 0 << 1 << true << 3;
    QTest::newRow("pool ceil, last window dropped") << true << 5 << 2 << 2 << 1 << 1 << true << 3;
    QTest::newRow("pool ceil, last window kept") << true << 6 << 2 << 2 << 1 << 1 << true << 4;
    QTest::newRow("pool floor padded") << true << 5 << 2 << 2 << 1 << 1 << false << 3;
    QTest::newRow("pool empty") << true << 2 << 3 << 1 << 0 << 1 << false << -1;
    QTest::newRow("pool ceil, padded tiny") << true << 2 << 3 << 2 << 1 << 1 << true << 2;
}

void TestOpsDense::outputSizes() {
    QFETCH(bool, pool);
    QFETCH(int, in);
    QFETCH(int, kernel);
    QFETCH(int, stride);
    QFETCH(int, pad);
    QFETCH(int, dilation);
    QFETCH(bool, ceil);
    QFETCH(int, expected);
    const Index got = pool ? ml::kernels::poolOutputSize(in, kernel, stride, pad, dilation, ceil)
                           : ml::kernels::convOutputSize(in, kernel, stride, pad, dilation);
    QCOMPARE(got, Index(expected));
}

void TestOpsDense::geometryProblems() {
    Conv2dGeometry c{.n = 1, .cin = 4, .h = 8, .w = 8, .cout = 6, .kh = 3, .kw = 3};
    QVERIFY(c.problem().empty());
    c.groups = 4;
    QVERIFY(c.problem().find("out_channels 6 is not divisible by groups 4") != std::string::npos);
    c.groups = 1;
    c.h = 2;
    QCOMPARE(c.outH(), Index(-1));
    QVERIFY(c.problem().find("empty") != std::string::npos);

    MaxPool2dGeometry m{.n = 1, .c = 1, .h = 5, .w = 5, .kh = 3, .kw = 3, .padH = 2, .padW = 1};
    QVERIFY(m.problem().find("at most half of kernel size") != std::string::npos);
    m.padH = 1;
    QVERIFY(m.problem().empty());
    QCOMPARE(m.sH(), Index(3)); // stride defaults to the kernel

    AvgPool2dGeometry a{.n = 1, .c = 1, .h = 2, .w = 2, .kh = 3, .kw = 3};
    QVERIFY(a.problem().find("empty") != std::string::npos);

    AdaptiveAvgPool2dGeometry ad{.n = 1, .c = 1, .h = 4, .w = 4, .outH = 0, .outW = 2};
    QVERIFY(!ad.problem().empty());
}

// ---------------------------------------------------------------- Linear

void TestOpsDense::linearForward() {
    const LinearGeometry g{2, 3, 2};
    const Floats x{1, 2, 3, 4, 5, 6};
    const Floats w{1, 0, -1, 0.5f, 1, 2};
    const Floats b{0.1f, -0.2f};
    Floats y(4, 99.0f);
    ml::ops::linearForward(g, x.data(), w.data(), b.data(), y.data());
    // y[i][o] = sum_k x[i][k] w[o][k] + b[o]
    EXPECT_ALL("y", y, {1 - 3 + 0.1f, 0.5f + 2 + 6 - 0.2f, 4 - 6 + 0.1f, 2 + 5 + 12 - 0.2f});
    ml::ops::linearForward(g, x.data(), w.data(), nullptr, y.data());
    EXPECT_ALL("y without bias", y, {-2, 8.5f, -2, 19});
}

void TestOpsDense::linearGradients_data() {
    QTest::addColumn<int>("n");
    QTest::addColumn<int>("in");
    QTest::addColumn<int>("out");
    QTest::addColumn<bool>("hasBias");
    QTest::newRow("3x5->4 bias") << 3 << 5 << 4 << true;
    QTest::newRow("1x7->2 no bias") << 1 << 7 << 2 << false;
    QTest::newRow("17x33->9 bias") << 17 << 33 << 9 << true;
}

void TestOpsDense::linearGradients() {
    QFETCH(int, n);
    QFETCH(int, in);
    QFETCH(int, out);
    QFETCH(bool, hasBias);
    const LinearGeometry g{n, in, out};
    Floats x = gradcheck::randomVector(n * in, 1);
    Floats w = gradcheck::randomVector(out * in, 2);
    Floats b = gradcheck::randomVector(out, 3);
    std::vector<Operand> ops{{"x", &x}, {"weight", &w}};
    if (hasBias) ops.push_back({"bias", &b});
    auto fwd = [&] {
        Floats y(static_cast<size_t>(n * out));
        ml::ops::linearForward(g, x.data(), w.data(), hasBias ? b.data() : nullptr, y.data());
        return y;
    };
    auto bwd = [&](const Floats& dy, const std::vector<float*>& gr) {
        ml::ops::linearBackward(g, x.data(), w.data(), dy.data(), gr[0], gr[1], hasBias ? gr[2] : nullptr);
    };
    CHECK_GRADIENTS(ops, fwd, bwd);
}

// ---------------------------------------------------------------- Conv2d

void TestOpsDense::conv2dForward_data() {
    QTest::addColumn<int>("cin");
    QTest::addColumn<int>("h");
    QTest::addColumn<int>("w");
    QTest::addColumn<int>("cout");
    QTest::addColumn<int>("k");
    QTest::addColumn<int>("stride");
    QTest::addColumn<int>("pad");
    QTest::addColumn<int>("dil");
    QTest::addColumn<int>("groups");
    QTest::addColumn<Floats>("x");
    QTest::addColumn<Floats>("weight");
    QTest::addColumn<Floats>("bias");
    QTest::addColumn<Floats>("expected");
    // x = 1..9 as a 3x3 image; y[i][j] = 1 x[i][j] + 2 x[i][j+1] + 3 x[i+1][j] + 4 x[i+1][j+1] + 0.5
    QTest::newRow("2x2 kernel, bias") << 1 << 3 << 3 << 1 << 2 << 1 << 0 << 1 << 1 << iota(9, 1)
                                      << Floats{1, 2, 3, 4} << Floats{0.5f} << Floats{37.5f, 47.5f, 67.5f, 77.5f};
    // all-ones 3x3, padding 1, stride 2: sums of the 2x2 corners of the padded neighbourhoods
    QTest::newRow("pad 1 stride 2") << 1 << 3 << 3 << 1 << 3 << 2 << 1 << 1 << 1 << iota(9, 1) << Floats(9, 1.0f)
                                    << Floats{} << Floats{12, 16, 24, 28};
    // x = 0..15 as 4x4, 2x2 ones dilated by 2: x[i][j] + x[i][j+2] + x[i+2][j] + x[i+2][j+2]
    QTest::newRow("dilation 2") << 1 << 4 << 4 << 1 << 2 << 1 << 0 << 2 << 1 << iota(16) << Floats(4, 1.0f)
                                << Floats{} << Floats{20, 24, 36, 40};
    // two groups of 1x1: channel 0 scaled by 2 (+1), channel 1 by 3 (-1)
    QTest::newRow("groups 2, 1x1") << 2 << 1 << 2 << 2 << 1 << 1 << 0 << 1 << 2 << Floats{1, 2, 3, 4}
                                   << Floats{2, 3} << Floats{1, -1} << Floats{3, 5, 8, 11};
    // two input channels summed by one 1x1 output channel (weights 1 and -1)
    QTest::newRow("1x1 channel mix") << 2 << 1 << 2 << 1 << 1 << 1 << 0 << 1 << 1 << Floats{1, 2, 3, 5}
                                     << Floats{1, -1} << Floats{} << Floats{-2, -3};
}

void TestOpsDense::conv2dForward() {
    QFETCH(int, cin);
    QFETCH(int, h);
    QFETCH(int, w);
    QFETCH(int, cout);
    QFETCH(int, k);
    QFETCH(int, stride);
    QFETCH(int, pad);
    QFETCH(int, dil);
    QFETCH(int, groups);
    QFETCH(Floats, x);
    QFETCH(Floats, weight);
    QFETCH(Floats, bias);
    QFETCH(Floats, expected);
    const Conv2dGeometry g{1, cin, h, w, cout, k, k, stride, stride, pad, pad, dil, dil, groups};
    QVERIFY(g.problem().empty());
    Floats scratch(static_cast<size_t>(ml::ops::conv2dScratchSize(g)) + 1);
    Floats y(static_cast<size_t>(cout * g.outH() * g.outW()), 99.0f);
    ml::ops::conv2dForward(g, x.data(), weight.data(), bias.empty() ? nullptr : bias.data(), y.data(),
                           scratch.data(), Index(scratch.size()));
    EXPECT_ALL("y", y, expected);
}

void TestOpsDense::conv2dScratchSize() {
    // im2col (rows of 6 are too short for the direct convolution): a column matrix per thread.
    const Conv2dGeometry g{2, 3, 6, 6, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1};
    QCOMPARE(ml::ops::conv2dMethod(g), ml::ops::Conv2dMethod::Im2col);
    QCOMPARE(ml::ops::conv2dScratchSize(g), Index(3 * 9 * 36));
    QCOMPARE(ml::ops::conv2dScratchSize(g, 2), Index(2 * (3 * 9 * 36 + 4 * 3 * 9 + 4)));
    // Direct: the padded input (3 channels of 10 rows by 32 + 2 columns), the
    // padded output gradient (4 x 8 rows of 32) and the partial sums (4 x 27
    // taps x 16 lanes), which outgrow the 27 x 64 column matrix.
    const Conv2dGeometry direct{2, 3, 8, 8, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1};
    QCOMPARE(ml::ops::conv2dMethod(direct), ml::ops::Conv2dMethod::Direct);
    QCOMPARE(ml::ops::conv2dScratchSize(direct), Index(3 * 10 * 34 + 4 * 8 * 32 + 4 * 27 * 16));
    const Conv2dGeometry pointwise{2, 3, 8, 8, 4, 1, 1, 1, 1, 0, 0, 1, 1, 1};
    QCOMPARE(ml::ops::conv2dScratchSize(pointwise), Index(0)); // the input is its own column matrix
}

void TestOpsDense::conv2dGradients_data() {
    QTest::addColumn<Conv2dGeometry>("geometry");
    QTest::addColumn<bool>("hasBias");
    // n, cin, h, w, cout, kh, kw, strideH, strideW, padH, padW, dilH, dilW, groups
    QTest::newRow("3x3") << Conv2dGeometry{2, 3, 5, 5, 4, 3, 3, 1, 1, 0, 0, 1, 1, 1} << true;
    QTest::newRow("3x3 pad 1") << Conv2dGeometry{2, 3, 5, 5, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1} << true;
    QTest::newRow("stride 2 pad 1") << Conv2dGeometry{2, 2, 7, 6, 3, 3, 3, 2, 2, 1, 1, 1, 1, 1} << true;
    QTest::newRow("asymmetric") << Conv2dGeometry{1, 2, 6, 7, 2, 3, 2, 2, 1, 1, 0, 1, 1, 1} << false;
    QTest::newRow("dilation 2 pad 2") << Conv2dGeometry{2, 2, 7, 7, 3, 3, 3, 1, 1, 2, 2, 2, 2, 1} << true;
    QTest::newRow("dilation (2,1) stride (1,2)") << Conv2dGeometry{1, 2, 8, 7, 2, 2, 3, 1, 2, 0, 1, 2, 1, 1}
                                                 << false;
    QTest::newRow("groups 2") << Conv2dGeometry{2, 4, 5, 5, 6, 3, 3, 1, 1, 1, 1, 1, 1, 2} << true;
    QTest::newRow("depthwise") << Conv2dGeometry{2, 3, 5, 5, 3, 3, 3, 1, 1, 1, 1, 1, 1, 3} << false;
    QTest::newRow("1x1") << Conv2dGeometry{2, 3, 4, 4, 5, 1, 1, 1, 1, 0, 0, 1, 1, 1} << true;
    QTest::newRow("1x1 groups 3") << Conv2dGeometry{2, 6, 3, 3, 3, 1, 1, 1, 1, 0, 0, 1, 1, 3} << false;
    QTest::newRow("1x1 stride 2") << Conv2dGeometry{2, 3, 5, 5, 2, 1, 1, 2, 2, 0, 0, 1, 1, 1} << true;
    QTest::newRow("kernel larger than input, padded") << Conv2dGeometry{1, 1, 2, 2, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1}
                                                      << true;
    // 3x3 stride 1 with 8+ channels in and out runs Winograd F(2x2, 3x3):
    // odd and even sizes (cut tiles at the edge), no/one/two padding.
    QTest::newRow("winograd pad 1") << Conv2dGeometry{2, 8, 6, 6, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1} << true;
    QTest::newRow("winograd odd sizes") << Conv2dGeometry{2, 8, 7, 9, 9, 3, 3, 1, 1, 1, 1, 1, 1, 1} << true;
    QTest::newRow("winograd no padding") << Conv2dGeometry{1, 9, 6, 5, 8, 3, 3, 1, 1, 0, 0, 1, 1, 1} << false;
    QTest::newRow("winograd pad (2, 0)") << Conv2dGeometry{1, 8, 3, 4, 8, 3, 3, 1, 1, 2, 0, 1, 1, 1} << true;
    QTest::newRow("winograd 2x2 input") << Conv2dGeometry{2, 8, 2, 2, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1} << true;
    QTest::newRow("1x1 output, 8 channels") << Conv2dGeometry{2, 8, 1, 1, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1} << true;
    // Few taps, rows of 8+ outputs: the direct convolution. A partial block
    // of columns and of channels, two blocks of columns, stride and dilation
    // along the height, a kernel wider than tall, no padding.
    QTest::newRow("direct 3x3 pad 1") << Conv2dGeometry{2, 3, 5, 11, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1} << true;
    QTest::newRow("direct 40 wide, 17 channels") << Conv2dGeometry{2, 1, 4, 40, 17, 3, 3, 1, 1, 1, 1, 1, 1, 1}
                                                 << true;
    QTest::newRow("direct stride (2, 1)") << Conv2dGeometry{1, 2, 9, 12, 3, 3, 3, 2, 1, 1, 1, 1, 1, 1} << false;
    QTest::newRow("direct dilation 2 pad 2") << Conv2dGeometry{1, 2, 7, 10, 9, 3, 3, 1, 1, 2, 2, 2, 2, 1}
                                             << true;
    QTest::newRow("direct 2x5 no padding") << Conv2dGeometry{2, 3, 4, 13, 4, 2, 5, 1, 1, 0, 0, 1, 1, 1} << true;
}

void TestOpsDense::conv2dGradients() {
    QFETCH(Conv2dGeometry, geometry);
    QFETCH(bool, hasBias);
    const Conv2dGeometry& g = geometry;
    QVERIFY2(g.problem().empty(), g.problem().c_str());
    // The rows named so take the Winograd path; the others im2col.
    QCOMPARE(ml::ops::conv2dMethod(g), conv2dMethodNamedBy(QTest::currentDataTag()));
    Floats x = gradcheck::randomVector(g.n * g.cin * g.h * g.w, 11);
    Floats w = gradcheck::randomVector(g.weightSize(), 12);
    Floats b = gradcheck::randomVector(g.cout, 13);
    Floats scratch(static_cast<size_t>(ml::ops::conv2dScratchSize(g)));
    auto fwd = [&] {
        Floats y(static_cast<size_t>(g.n * g.cout * g.outH() * g.outW()));
        ml::ops::conv2dForward(g, x.data(), w.data(), hasBias ? b.data() : nullptr, y.data(), scratch.data(),
                               Index(scratch.size()));
        return y;
    };
    // Forward against the direct definition first.
    EXPECT_ALL("y", fwd(), referenceConv(g, x, w, hasBias ? b.data() : nullptr), 1e-5, 1e-5);
    std::vector<Operand> ops{{"x", &x}, {"weight", &w}};
    if (hasBias) ops.push_back({"bias", &b});
    auto bwd = [&](const Floats& dy, const std::vector<float*>& gr) {
        ml::ops::conv2dBackward(g, x.data(), w.data(), dy.data(), gr[0], gr[1], hasBias ? gr[2] : nullptr,
                                scratch.data(), Index(scratch.size()));
    };
    CHECK_GRADIENTS(ops, fwd, bwd);
}

void TestOpsDense::conv2dThreadedMatchesReference_data() {
    QTest::addColumn<Conv2dGeometry>("geometry");
    QTest::addColumn<bool>("nested");
    const Conv2dGeometry winograd{5, 16, 17, 15, 24, 3, 3, 1, 1, 1, 1, 1, 1, 1};
    const Conv2dGeometry im2col{5, 16, 33, 31, 16, 3, 3, 2, 2, 1, 1, 1, 1, 1};
    const Conv2dGeometry direct{5, 3, 40, 36, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1};
    QTest::newRow("winograd") << winograd << false;
    QTest::newRow("im2col, stride 2") << im2col << false;
    QTest::newRow("direct") << direct << false;
    // Called from inside a parallel region, OpenMP gives the convolution's
    // own region one thread although two were asked for.
    QTest::newRow("winograd, nested region") << winograd << true;
    QTest::newRow("im2col, nested region") << im2col << true;
    QTest::newRow("direct, nested region") << direct << true;
}

void TestOpsDense::conv2dThreadedMatchesReference() {
    // Large enough for the batch to be split over threads, with scratch for two.
    QFETCH(Conv2dGeometry, geometry);
    QFETCH(bool, nested);
    const Conv2dGeometry& g = geometry;
    QCOMPARE(ml::ops::conv2dMethod(g), conv2dMethodNamedBy(QTest::currentDataTag()));
#ifdef _OPENMP
    const int savedThreads = omp_get_max_threads();
    const int savedLevels = omp_get_max_active_levels();
    omp_set_num_threads(2);
    omp_set_max_active_levels(1);
#else
    if (nested) QSKIP("needs OpenMP");
#endif
    const Floats x = gradcheck::randomVector(g.n * g.cin * g.h * g.w, 21);
    const Floats w = gradcheck::randomVector(g.weightSize(), 22);
    const Floats b = gradcheck::randomVector(g.cout, 23);
    const Index outSize = g.n * g.cout * g.outH() * g.outW();
    const Floats dy = gradcheck::randomVector(outSize, 24);
    // Scratch for two threads, its partial sums left non-zero by an earlier call.
    Floats scratch(static_cast<size_t>(ml::ops::conv2dScratchSize(g, 2)), 7.0f);
    Floats y(static_cast<size_t>(outSize), std::nanf(""));
    Floats dx(x.size(), 0.0f), dw(w.size(), 0.0f), db(b.size(), 0.0f);
    auto run = [&] {
        ml::ops::conv2dForward(g, x.data(), w.data(), b.data(), y.data(), scratch.data(), Index(scratch.size()));
        ml::ops::conv2dBackward(g, x.data(), w.data(), dy.data(), dx.data(), dw.data(), db.data(), scratch.data(),
                                Index(scratch.size()));
    };
    if (nested) {
#pragma omp parallel num_threads(2)
        {
#pragma omp single
            run();
        }
    } else {
        run();
    }
#ifdef _OPENMP
    omp_set_num_threads(savedThreads);
    omp_set_max_active_levels(savedLevels);
#endif
    EXPECT_ALL("y", y, referenceConv(g, x, w, b.data()), 1e-4, 1e-4);
    Floats rdx, rdw, rdb;
    referenceConvBackward(g, x, w, dy, rdx, rdw, rdb);
    EXPECT_ALL("dx", dx, rdx, 1e-4, 1e-4);
    EXPECT_ALL("dweight", dw, rdw, 1e-4, 1e-3);
    EXPECT_ALL("dbias", db, rdb, 1e-4, 1e-3);
}

// ---------------------------------------------------------------- BatchNorm

void TestOpsDense::batchNormTrainForward() {
    // [N=2, C=2, S=2]: channel 0 holds {1, 2, 3, 4}, channel 1 {10, 20, 30, 40}.
    const BatchNormGeometry g{2, 2, 2};
    const Floats x{1, 2, 10, 20, 3, 4, 30, 40};
    const Floats w{2, 0.5f}, b{1, -1};
    Floats rm{0, 0}, rv{1, 1}, y(8), saved(size_t(batchNormSavedSize(g)));
    const BatchNormParams p; // eps 1e-5, momentum 0.1, training
    ml::ops::batchNormForward(g, p, x.data(), w.data(), b.data(), rm.data(), rv.data(), y.data(), saved.data());
    // means 2.5 and 25; biased variances 1.25 and 125; unbiased 5/3 and 500/3
    const double is0 = 1.0 / std::sqrt(1.25 + 1e-5), is1 = 1.0 / std::sqrt(125 + 1e-5);
    auto y0 = [&](double v) { return float((v - 2.5) * is0 * 2 + 1); };
    auto y1 = [&](double v) { return float((v - 25) * is1 * 0.5 - 1); };
    EXPECT_ALL("y", y, {y0(1), y0(2), y1(10), y1(20), y0(3), y0(4), y1(30), y1(40)});
    EXPECT_ALL("saved", saved, {2.5f, 25.0f, float(is0), float(is1)});
    EXPECT_ALL("running_mean", rm, {0.25f, 2.5f});
    EXPECT_ALL("running_var (unbiased)", rv, {float(0.9 + 0.1 * 5.0 / 3.0), float(0.9 + 0.1 * 500.0 / 3.0)});

    // A second step folds in again with the momentum.
    BatchNormParams p2;
    p2.momentum = 0.5f;
    ml::ops::batchNormForward(g, p2, x.data(), w.data(), b.data(), rm.data(), rv.data(), y.data(), saved.data());
    EXPECT_ALL("running_mean, step 2", rm, {0.5f * 0.25f + 0.5f * 2.5f, 0.5f * 2.5f + 0.5f * 25.0f});
}

void TestOpsDense::batchNorm1dTrainForward() {
    // BatchNorm1d on [N=3, C=2]: channel 0 {1, 4, 7} (mean 4, var 6, unbiased 9),
    // channel 1 {2, 2, 5} (mean 3, var 2, unbiased 3). No affine.
    const BatchNormGeometry g{3, 2, 1};
    const Floats x{1, 2, 4, 2, 7, 5};
    Floats rm{1, 1}, rv{1, 1}, y(6), saved(4);
    ml::ops::batchNormForward(g, BatchNormParams{}, x.data(), nullptr, nullptr, rm.data(), rv.data(), y.data(),
                              saved.data());
    const double is0 = 1.0 / std::sqrt(6 + 1e-5), is1 = 1.0 / std::sqrt(2 + 1e-5);
    EXPECT_ALL("y", y, {float(-3 * is0), float(-1 * is1), 0.0f, float(-1 * is1), float(3 * is0), float(2 * is1)});
    EXPECT_ALL("running_mean", rm, {0.9f + 0.4f, 0.9f + 0.3f});
    EXPECT_ALL("running_var (unbiased)", rv, {0.9f + 0.9f, 0.9f + 0.3f});
}

void TestOpsDense::batchNormEvalForward() {
    const BatchNormGeometry g{2, 2, 1};
    const Floats x{1, 2, 3, 4};
    const Floats w{2, 3}, b{0.5f, -0.5f};
    Floats rm{1, 3}, rv{4, 0.25f}, y(4), saved(4);
    BatchNormParams p;
    p.training = false;
    p.eps = 1e-3f;
    ml::ops::batchNormForward(g, p, x.data(), w.data(), b.data(), rm.data(), rv.data(), y.data(), saved.data());
    const double is0 = 1.0 / std::sqrt(4 + 1e-3), is1 = 1.0 / std::sqrt(0.25 + 1e-3);
    EXPECT_ALL("y", y, {float(0 * is0 * 2 + 0.5), float(-1 * is1 * 3 - 0.5), float(2 * is0 * 2 + 0.5),
                        float(1 * is1 * 3 - 0.5)});
    EXPECT_ALL("running stats unchanged", Floats{rm[0], rm[1], rv[0], rv[1]}, {1, 3, 4, 0.25f});
}

void TestOpsDense::batchNormUntrackedUsesBatchStats() {
    // track_running_stats=False: eval still normalizes with the batch.
    const BatchNormGeometry g{2, 1, 1};
    const Floats x{1, 3};
    Floats y(2), saved(2);
    BatchNormParams p;
    p.training = false;
    p.trackRunningStats = false;
    ml::ops::batchNormForward(g, p, x.data(), nullptr, nullptr, nullptr, nullptr, y.data(), saved.data());
    const float is = float(1.0 / std::sqrt(1 + 1e-5));
    EXPECT_ALL("y", y, {-is, is});
}

void TestOpsDense::batchNormRefusesSingleValue() {
    const BatchNormGeometry g{1, 3, 1};
    const Floats x{1, 2, 3};
    Floats rm(3, 0.0f), rv(3, 1.0f), y(3), saved(6);
    QVERIFY_THROWS_EXCEPTION(ml::Error, ml::ops::batchNormForward(g, BatchNormParams{}, x.data(), nullptr, nullptr,
                                                                  rm.data(), rv.data(), y.data(), saved.data()));
    BatchNormParams eval;
    eval.training = false; // eval with running stats is fine with one sample
    ml::ops::batchNormForward(g, eval, x.data(), nullptr, nullptr, rm.data(), rv.data(), y.data(), saved.data());
    QVERIFY(near(y[2], 3.0 / std::sqrt(1 + 1e-5)));
}

void TestOpsDense::batchNormGradients_data() {
    QTest::addColumn<int>("n");
    QTest::addColumn<int>("c");
    QTest::addColumn<int>("s");
    QTest::addColumn<bool>("training");
    QTest::addColumn<bool>("track");
    QTest::addColumn<bool>("affine");
    QTest::newRow("2d train") << 3 << 2 << 6 << true << true << true;
    QTest::newRow("2d eval") << 3 << 2 << 6 << false << true << true;
    QTest::newRow("1d [N,C] train") << 5 << 3 << 1 << true << true << true;
    QTest::newRow("1d [N,C] eval") << 5 << 3 << 1 << false << true << true;
    QTest::newRow("1d [N,C,L] train, no affine") << 2 << 3 << 4 << true << true << false;
    QTest::newRow("untracked eval (batch stats)") << 4 << 2 << 3 << false << false << true;
}

void TestOpsDense::batchNormGradients() {
    QFETCH(int, n);
    QFETCH(int, c);
    QFETCH(int, s);
    QFETCH(bool, training);
    QFETCH(bool, track);
    QFETCH(bool, affine);
    const BatchNormGeometry g{n, c, s};
    BatchNormParams p;
    p.training = training;
    p.trackRunningStats = track;
    Floats x = gradcheck::randomVector(n * c * s, 31, -2.0f, 2.0f);
    Floats w = gradcheck::randomVector(c, 32, 0.5f, 1.5f);
    Floats b = gradcheck::randomVector(c, 33);
    const Floats rm0 = gradcheck::randomVector(c, 34), rv0 = gradcheck::randomVector(c, 35, 0.5f, 2.0f);
    Floats saved(static_cast<size_t>(batchNormSavedSize(g)));
    auto fwd = [&] {
        Floats rm = rm0, rv = rv0, y(x.size());
        ml::ops::batchNormForward(g, p, x.data(), affine ? w.data() : nullptr, affine ? b.data() : nullptr,
                                  track ? rm.data() : nullptr, track ? rv.data() : nullptr, y.data(), saved.data());
        return y;
    };
    std::vector<Operand> ops{{"x", &x}};
    if (affine) {
        ops.push_back({"weight", &w});
        ops.push_back({"bias", &b});
    }
    auto bwd = [&](const Floats& dy, const std::vector<float*>& gr) {
        ml::ops::batchNormBackward(g, p, x.data(), affine ? w.data() : nullptr, saved.data(), dy.data(), gr[0],
                                   affine ? gr[1] : nullptr, affine ? gr[2] : nullptr);
    };
    CHECK_GRADIENTS(ops, fwd, bwd, 1e-2, 2e-2, 3e-3);
}

// ---------------------------------------------------------------- LayerNorm

void TestOpsDense::layerNormForward() {
    // Rows {1, 2, 3, 4} (mean 2.5, var 1.25) and {2, 2, 2, 6} (mean 3, var 3).
    const LayerNormGeometry g{2, 4};
    const Floats x{1, 2, 3, 4, 2, 2, 2, 6};
    const Floats w{1, 2, -1, 0.5f}, b{0, 1, 0, -1};
    Floats y(8), saved(size_t(layerNormSavedSize(g)));
    ml::ops::layerNormForward(g, LayerNormParams{}, x.data(), w.data(), b.data(), y.data(), saved.data());
    const double a = 1.0 / std::sqrt(1.25 + 1e-5), c = 1.0 / std::sqrt(3 + 1e-5);
    EXPECT_ALL("y", y, {float(-1.5 * a), float(-0.5 * a * 2 + 1), float(-0.5 * a), float(1.5 * a * 0.5 - 1),
                        float(-c), float(-c * 2 + 1), float(c), float(3 * c * 0.5 - 1)});
    EXPECT_ALL("saved", saved, {2.5f, 3.0f, float(a), float(c)});
    ml::ops::layerNormForward(g, LayerNormParams{}, x.data(), nullptr, nullptr, y.data(), saved.data());
    EXPECT_ALL("y without affine", y,
               {float(-1.5 * a), float(-0.5 * a), float(0.5 * a), float(1.5 * a), float(-c), float(-c), float(-c),
                float(3 * c)});
}

void TestOpsDense::layerNormGradients_data() {
    QTest::addColumn<int>("rows");
    QTest::addColumn<int>("d");
    QTest::addColumn<bool>("affine");
    QTest::newRow("3x5 affine") << 3 << 5 << true;
    QTest::newRow("4x8 no affine") << 4 << 8 << false;
    QTest::newRow("1x2 affine") << 1 << 2 << true;
}

void TestOpsDense::layerNormGradients() {
    QFETCH(int, rows);
    QFETCH(int, d);
    QFETCH(bool, affine);
    const LayerNormGeometry g{rows, d};
    Floats x = gradcheck::randomVector(rows * d, 41, -2.0f, 2.0f);
    Floats w = gradcheck::randomVector(d, 42, 0.5f, 1.5f);
    Floats b = gradcheck::randomVector(d, 43);
    Floats saved(static_cast<size_t>(layerNormSavedSize(g)));
    auto fwd = [&] {
        Floats y(x.size());
        ml::ops::layerNormForward(g, LayerNormParams{}, x.data(), affine ? w.data() : nullptr,
                                  affine ? b.data() : nullptr, y.data(), saved.data());
        return y;
    };
    std::vector<Operand> ops{{"x", &x}};
    if (affine) {
        ops.push_back({"weight", &w});
        ops.push_back({"bias", &b});
    }
    auto bwd = [&](const Floats& dy, const std::vector<float*>& gr) {
        ml::ops::layerNormBackward(g, x.data(), affine ? w.data() : nullptr, saved.data(), dy.data(), gr[0],
                                   affine ? gr[1] : nullptr, affine ? gr[2] : nullptr);
    };
    CHECK_GRADIENTS(ops, fwd, bwd, 1e-2, 2e-2, 3e-3);
}

// ---------------------------------------------------------------- MaxPool2d

void TestOpsDense::maxPoolForward_data() {
    QTest::addColumn<MaxPool2dGeometry>("geometry");
    QTest::addColumn<Floats>("expected");
    QTest::addColumn<QList<int>>("argmax");
    // x = 0..(h*w-1) row-major, so every window's max is its bottom-right valid element.
    // n, c, h, w, kh, kw, strideH, strideW, padH, padW, dilH, dilW, ceil
    QTest::newRow("2x2 default stride") << MaxPool2dGeometry{1, 1, 4, 4, 2, 2, 0, 0, 0, 0, 1, 1, false}
                                        << Floats{5, 7, 13, 15} << QList<int>{5, 7, 13, 15};
    QTest::newRow("ceil mode 5x5") << MaxPool2dGeometry{1, 1, 5, 5, 2, 2, 2, 2, 0, 0, 1, 1, true}
                                   << Floats{6, 8, 9, 16, 18, 19, 21, 23, 24}
                                   << QList<int>{6, 8, 9, 16, 18, 19, 21, 23, 24};
    QTest::newRow("3x3 stride 2 pad 1") << MaxPool2dGeometry{1, 1, 4, 4, 3, 3, 2, 2, 1, 1, 1, 1, false}
                                        << Floats{5, 7, 13, 15} << QList<int>{5, 7, 13, 15};
    QTest::newRow("dilation 2") << MaxPool2dGeometry{1, 1, 4, 4, 2, 2, 1, 1, 0, 0, 2, 2, false}
                                << Floats{10, 11, 14, 15} << QList<int>{10, 11, 14, 15};
}

void TestOpsDense::maxPoolForward() {
    QFETCH(MaxPool2dGeometry, geometry);
    QFETCH(Floats, expected);
    QFETCH(QList<int>, argmax);
    const MaxPool2dGeometry& g = geometry;
    QVERIFY(g.problem().empty());
    const Floats x = iota(g.h * g.w);
    Floats y(static_cast<size_t>(g.outH() * g.outW()), 99.0f);
    std::vector<std::int32_t> idx(static_cast<size_t>(maxPool2dSavedSize(g)), -7);
    ml::ops::maxPool2dForward(g, x.data(), y.data(), idx.data());
    EXPECT_ALL("y", y, expected);
    QCOMPARE(QList<int>(idx.begin(), idx.end()), argmax);
}

void TestOpsDense::maxPoolNanPropagates() {
    const MaxPool2dGeometry g{1, 1, 2, 2, 2, 2, 0, 0, 0, 0, 1, 1, false};
    const Floats x{1, NAN, 3, -1};
    Floats y(1);
    std::int32_t idx = -7;
    ml::ops::maxPool2dForward(g, x.data(), y.data(), &idx);
    QVERIFY(std::isnan(y[0]));
    QCOMPARE(idx, 1);
    Floats dx(4, 0.0f);
    const Floats dy{2.0f};
    ml::ops::maxPool2dBackward(g, &idx, dy.data(), dx.data());
    EXPECT_ALL("dx", dx, {0, 2, 0, 0});
}

// The pool after a ReLU applies the ReLU's mask at each window's max: the
// same dx as the plain scatter followed by the mask over the whole input.
void TestOpsDense::maxPoolMasksReluGradient() {
    const MaxPool2dGeometry g{2, 3, 6, 10, 2, 2, 0, 0, 0, 0, 1, 1, false};
    Floats x = distinctValues(g.n * g.c * g.h * g.w, 53);
    for (float& v : x) v = std::max(v, 0.0f); // a ReLU's output: many windows' max is 0
    std::fill(x.begin(), x.begin() + 2 * g.w, 0.0f); // a plane's first row of windows all zero
    x[2 * g.w + 3] = NAN;                           // a NaN max: the ReLU's mask (y > 0) stops it
    Floats y(static_cast<size_t>(g.n * g.c * g.outH() * g.outW()));
    std::vector<std::int32_t> idx(y.size());
    ml::ops::maxPool2dForward(g, x.data(), y.data(), idx.data());
    const Floats dy = distinctValues(static_cast<Index>(y.size()), 54);
    Floats masked(x.size(), 0.0f), expected(x.size(), 0.0f);
    ml::ops::maxPool2dBackward(g, idx.data(), dy.data(), masked.data(), y.data());
    ml::ops::maxPool2dBackward(g, idx.data(), dy.data(), expected.data());
    for (size_t i = 0; i < x.size(); ++i)
        if (!(x[i] > 0.0f)) expected[i] = 0.0f;
    EXPECT_ALL("dx", masked, expected);
    QVERIFY(std::count(y.begin(), y.end(), 0.0f) >= 5); // the zero windows were there
}

void TestOpsDense::maxPoolGradients_data() {
    QTest::addColumn<MaxPool2dGeometry>("geometry");
    QTest::newRow("2x2") << MaxPool2dGeometry{2, 3, 6, 6, 2, 2, 0, 0, 0, 0, 1, 1, false};
    QTest::newRow("3x3 s2 p1 ceil") << MaxPool2dGeometry{2, 2, 7, 6, 3, 3, 2, 2, 1, 1, 1, 1, true};
    QTest::newRow("overlapping 3x3 s1") << MaxPool2dGeometry{1, 2, 5, 5, 3, 3, 1, 1, 0, 0, 1, 1, false};
    QTest::newRow("dilation 2 pad 1") << MaxPool2dGeometry{1, 2, 7, 7, 3, 2, 2, 1, 1, 1, 2, 2, false};
    QTest::newRow("ceil, last window dropped") << MaxPool2dGeometry{1, 1, 5, 5, 2, 2, 2, 2, 1, 1, 1, 1, true};
}

void TestOpsDense::maxPoolGradients() {
    QFETCH(MaxPool2dGeometry, geometry);
    const MaxPool2dGeometry& g = geometry;
    QVERIFY2(g.problem().empty(), g.problem().c_str());
    Floats x = distinctValues(g.n * g.c * g.h * g.w, 51);
    std::vector<std::int32_t> idx(static_cast<size_t>(maxPool2dSavedSize(g)));
    auto fwd = [&] {
        Floats y(static_cast<size_t>(g.n * g.c * g.outH() * g.outW()));
        ml::ops::maxPool2dForward(g, x.data(), y.data(), idx.data());
        return y;
    };
    auto bwd = [&](const Floats& dy, const std::vector<float*>& gr) {
        ml::ops::maxPool2dBackward(g, idx.data(), dy.data(), gr[0]);
    };
    CHECK_GRADIENTS({{"x", &x}}, fwd, bwd);
}

// ---------------------------------------------------------------- AvgPool2d

void TestOpsDense::avgPoolForward_data() {
    QTest::addColumn<AvgPool2dGeometry>("geometry");
    QTest::addColumn<Floats>("expected");
    // x = 0..(h*w-1) row-major.
    // n, c, h, w, kh, kw, strideH, strideW, padH, padW, ceil, countIncludePad, divisorOverride
    QTest::newRow("2x2") << AvgPool2dGeometry{1, 1, 4, 4, 2, 2, 0, 0, 0, 0, false, true, 0}
                         << Floats{2.5f, 4.5f, 10.5f, 12.5f};
    // corner window (0,0): real elements 0+1+4+5 = 10 of a 3x3 padded window
    QTest::newRow("pad, count_include_pad") << AvgPool2dGeometry{1, 1, 4, 4, 3, 3, 2, 2, 1, 1, false, true, 0}
                                            << Floats{10.0f / 9, 24.0f / 9, 51.0f / 9, 90.0f / 9};
    QTest::newRow("pad, exclude pad") << AvgPool2dGeometry{1, 1, 4, 4, 3, 3, 2, 2, 1, 1, false, false, 0}
                                      << Floats{10.0f / 4, 24.0f / 6, 51.0f / 6, 90.0f / 9};
    // ceil mode: the last column/row windows hold only 2 or 1 elements
    QTest::newRow("ceil 5x5") << AvgPool2dGeometry{1, 1, 5, 5, 2, 2, 2, 2, 0, 0, true, true, 0}
                              << Floats{3, 5, 6.5f, 13, 15, 16.5f, 20.5f, 22.5f, 24};
    QTest::newRow("divisor override") << AvgPool2dGeometry{1, 1, 2, 2, 2, 2, 0, 0, 0, 0, false, true, 3}
                                      << Floats{2};
}

void TestOpsDense::avgPoolForward() {
    QFETCH(AvgPool2dGeometry, geometry);
    QFETCH(Floats, expected);
    const AvgPool2dGeometry& g = geometry;
    QVERIFY(g.problem().empty());
    const Floats x = iota(g.h * g.w);
    Floats y(static_cast<size_t>(g.outH() * g.outW()), 99.0f);
    ml::ops::avgPool2dForward(g, x.data(), y.data());
    EXPECT_ALL("y", y, expected);
}

void TestOpsDense::avgPoolGradients_data() {
    QTest::addColumn<AvgPool2dGeometry>("geometry");
    QTest::addColumn<int>("row");
    QTest::addColumn<int>("col");
    QTest::addColumn<float>("expected"); // y[row][col] for x = 0..(h*w-1)
    // 6x6, k3 s2 p1, ceil: the last window starts at 5 and is clipped at 7
    // (input + padding), so the divisor is 2x2 with padding and 1 without.
    QTest::newRow("ceil pad, count_include_pad")
        << AvgPool2dGeometry{1, 1, 6, 6, 3, 3, 2, 2, 1, 1, true, true, 0} << 3 << 3 << 35.0f / 4;
    QTest::newRow("ceil pad, exclude pad")
        << AvgPool2dGeometry{1, 1, 6, 6, 3, 3, 2, 2, 1, 1, true, false, 0} << 3 << 3 << 35.0f;
    QTest::newRow("overlap s1 divisor 5") << AvgPool2dGeometry{1, 1, 5, 4, 3, 2, 1, 1, 1, 0, false, true, 5} << 0
                                          << 0 << (0 + 1 + 4 + 5) / 5.0f;
    QTest::newRow("asymmetric, batch") << AvgPool2dGeometry{2, 3, 7, 5, 3, 2, 2, 1, 1, 1, false, true, 0} << 0 << 0
                                       << 5.0f / 6; // (x[0][0] + x[1][0]) / (3 x 2 padded window)
}

void TestOpsDense::avgPoolGradients() {
    QFETCH(AvgPool2dGeometry, geometry);
    QFETCH(int, row);
    QFETCH(int, col);
    QFETCH(float, expected);
    const AvgPool2dGeometry& g = geometry;
    QVERIFY2(g.problem().empty(), g.problem().c_str());
    {
        const Floats x = iota(g.n * g.c * g.h * g.w);
        Floats y(static_cast<size_t>(g.n * g.c * g.outH() * g.outW()));
        ml::ops::avgPool2dForward(g, x.data(), y.data());
        QVERIFY(near(y[size_t(row * g.outW() + col)], expected));
    }
    Floats x = gradcheck::randomVector(g.n * g.c * g.h * g.w, 61);
    auto fwd = [&] {
        Floats y(static_cast<size_t>(g.n * g.c * g.outH() * g.outW()));
        ml::ops::avgPool2dForward(g, x.data(), y.data());
        return y;
    };
    auto bwd = [&](const Floats& dy, const std::vector<float*>& gr) { ml::ops::avgPool2dBackward(g, dy.data(), gr[0]); };
    CHECK_GRADIENTS({{"x", &x}}, fwd, bwd);
}

// ---------------------------------------------------------------- AdaptiveAvgPool2d

void TestOpsDense::adaptiveAvgPoolForward_data() {
    QTest::addColumn<AdaptiveAvgPool2dGeometry>("geometry");
    QTest::addColumn<Floats>("expected");
    // x = 0..(h*w-1). 5 -> 3: windows [0,2), [1,4), [3,5) on both axes.
    QTest::newRow("5x5 -> 3x3") << AdaptiveAvgPool2dGeometry{1, 1, 5, 5, 3, 3}
                                << Floats{3, 4.5f, 6, 10.5f, 12, 13.5f, 18, 19.5f, 21};
    // 2 -> 3: windows [0,1), [0,2), [1,2)
    QTest::newRow("2x2 -> 3x3 (upsampling)") << AdaptiveAvgPool2dGeometry{1, 1, 2, 2, 3, 3}
                                             << Floats{0, 0.5f, 1, 1, 1.5f, 2, 2, 2.5f, 3};
    QTest::newRow("global 3x4 -> 1x1") << AdaptiveAvgPool2dGeometry{1, 1, 3, 4, 1, 1} << Floats{5.5f};
    // 4 -> 2 rows [0,2) [2,4); 3 -> 2 cols [0,2) [1,3)
    QTest::newRow("4x3 -> 2x2") << AdaptiveAvgPool2dGeometry{1, 1, 4, 3, 2, 2}
                                << Floats{2, 3, 8, 9};
}

void TestOpsDense::adaptiveAvgPoolForward() {
    QFETCH(AdaptiveAvgPool2dGeometry, geometry);
    QFETCH(Floats, expected);
    const AdaptiveAvgPool2dGeometry& g = geometry;
    const Floats x = iota(g.h * g.w);
    Floats y(static_cast<size_t>(g.outH * g.outW), 99.0f);
    ml::ops::adaptiveAvgPool2dForward(g, x.data(), y.data());
    EXPECT_ALL("y", y, expected);
}

void TestOpsDense::adaptiveAvgPoolGradients_data() {
    QTest::addColumn<AdaptiveAvgPool2dGeometry>("geometry");
    QTest::newRow("7x5 -> 3x2") << AdaptiveAvgPool2dGeometry{2, 2, 7, 5, 3, 2};
    QTest::newRow("3x3 -> 4x5") << AdaptiveAvgPool2dGeometry{1, 2, 3, 3, 4, 5};
    QTest::newRow("global") << AdaptiveAvgPool2dGeometry{2, 3, 4, 4, 1, 1};
}

void TestOpsDense::adaptiveAvgPoolGradients() {
    QFETCH(AdaptiveAvgPool2dGeometry, geometry);
    const AdaptiveAvgPool2dGeometry& g = geometry;
    Floats x = gradcheck::randomVector(g.n * g.c * g.h * g.w, 71);
    auto fwd = [&] {
        Floats y(static_cast<size_t>(g.n * g.c * g.outH * g.outW));
        ml::ops::adaptiveAvgPool2dForward(g, x.data(), y.data());
        return y;
    };
    auto bwd = [&](const Floats& dy, const std::vector<float*>& gr) {
        ml::ops::adaptiveAvgPool2dBackward(g, dy.data(), gr[0]);
    };
    CHECK_GRADIENTS({{"x", &x}}, fwd, bwd);
}

QTEST_GUILESS_MAIN(TestOpsDense)
#include "tst_ops_dense.moc"
