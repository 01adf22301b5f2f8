// Optimizers (SGD, Adam, AdamW), their named state for checkpoints,
// global-norm gradient clipping and the LR schedules. Expected values are
// worked out step by step in each test (in double) and, where noted, were
// also checked against torch 1.13 on this machine: those constants are
// pasted with the torch call that produced them.
#include "core/Error.h"
#include "train/Adam.h"
#include "train/GradClip.h"
#include "train/LrSchedule.h"
#include "train/Sgd.h"

#include <QTest>
#include <cmath>
#include <functional>
#include <limits>
#include <vector>

using ml::Index;
using Vec = std::vector<float>;

namespace {

bool close(double a, double b, double tol = 1e-6) {
    return std::abs(a - b) <= tol * (1.0 + std::abs(b));
}

#define COMPARE_VEC(actual, expected, tol)                                                                   \
    do {                                                                                                     \
        const auto& a_ = (actual);                                                                           \
        const auto& e_ = (expected);                                                                         \
        QCOMPARE(a_.size(), e_.size());                                                                      \
        for (size_t i_ = 0; i_ < a_.size(); ++i_)                                                            \
            QVERIFY2(close(a_[i_], e_[i_], tol), qPrintable(QString("[%1]: %2 vs expected %3")               \
                                                                .arg(i_)                                     \
                                                                .arg(a_[i_], 0, 'g', 9)                      \
                                                                .arg(e_[i_], 0, 'g', 9)));                   \
    } while (0)

bool throwsError(const std::function<void()>& f, const QString& mention) {
    try {
        f();
    } catch (const ml::Error& e) {
        return QString(e.what()).contains(mention);
    }
    return false;
}

const std::vector<Vec> kSgdGrads{{0.5f, -1.0f}, {0.25f, 0.5f}, {-1.0f, 2.0f}};

} // namespace

class TestOptimizers : public QObject {
    Q_OBJECT

  private Q_SLOTS:
    void sgdPlain();
    void sgdNesterovThreeSteps();
    void sgdDampeningFirstStepCopiesGradient();
    void sgdRejectsBadOptions();
    void adamTwoSteps();
    void adamWTwoSteps();
    void adamStateRoundTrip();
    void stateErrors();
    void zeroGrad();
    void clipGradNorm();
    void clipGradNormLeavesSmallGradients();
    void clipGradNormInfinity();
    void stepLr_data();
    void stepLr();
    void cosineAnnealingLr_data();
    void cosineAnnealingLr();
    void schedulesRejectBadSizes();
};

void TestOptimizers::sgdPlain() {
    Vec p{1.0f, -2.0f}, g{0.5f, 0.25f};
    ml::Sgd opt({{p.data(), g.data(), 2}}, {.lr = 0.1});
    QCOMPARE(opt.kind(), std::string_view("SGD"));
    QVERIFY(opt.stateNames().empty()); // no momentum: torch keeps no buffer
    opt.step();
    QCOMPARE(p, (Vec{1.0f - 0.1f * 0.5f, -2.0f - 0.1f * 0.25f}));
}

void TestOptimizers::sgdNesterovThreeSteps() {
    // lr 0.1, momentum 0.9, nesterov, weight decay 0.01 on [1, 2].
    Vec p{1.0f, 2.0f}, g(2);
    ml::Sgd opt({{p.data(), g.data(), 2}},
                {.lr = 0.1, .momentum = 0.9, .dampening = 0.0, .nesterov = true, .weightDecay = 0.01});
    double ep[2] = {1.0, 2.0}, buf[2] = {0.0, 0.0};
    for (int step = 0; step < 3; ++step) {
        g = kSgdGrads[size_t(step)];
        opt.step();
        for (int i = 0; i < 2; ++i) {
            const double d = g[i] + 0.01 * ep[i];            // weight decay into the gradient
            buf[i] = step == 0 ? d : 0.9 * buf[i] + 1.0 * d; // first step: buffer = d
            ep[i] -= 0.1 * (d + 0.9 * buf[i]);               // nesterov look-ahead
        }
        QVERIFY(opt.hasState(0, "momentum_buffer"));
        COMPARE_VEC(p, (std::vector<double>{ep[0], ep[1]}), 1e-6);
        COMPARE_VEC(std::vector<float>(opt.state(0, "momentum_buffer").begin(),
                                       opt.state(0, "momentum_buffer").end()),
                    (std::vector<double>{buf[0], buf[1]}), 1e-6);
    }
    // torch.optim.SGD([p], lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01), same grads:
    COMPARE_VEC(p, (Vec{0.9428697228431702f, 1.811481237411499f}), 1e-6);
    const auto b = opt.state(0, "momentum_buffer");
    COMPARE_VEC(Vec(b.begin(), b.end()), (Vec{-0.34564638137817383f, 1.6975399255752563f}), 1e-6);
}

void TestOptimizers::sgdDampeningFirstStepCopiesGradient() {
    // torch 1.13 starts the buffer at the gradient itself, not (1 - dampening) * gradient.
    Vec p{1.0f, 2.0f}, g(2);
    ml::Sgd opt({{p.data(), g.data(), 2}}, {.lr = 0.1, .momentum = 0.9, .dampening = 0.5});
    QVERIFY(!opt.hasState(0, "momentum_buffer"));
    g = kSgdGrads[0];
    opt.step();
    const auto b = opt.state(0, "momentum_buffer");
    QCOMPARE(Vec(b.begin(), b.end()), kSgdGrads[0]);
    g = kSgdGrads[1];
    opt.step();
    g = kSgdGrads[2];
    opt.step();
    // buf: g1; 0.9 g1 + 0.5 g2; 0.9 (0.9 g1 + 0.5 g2) + 0.5 g3; p -= 0.1 * buf each step.
    double expected[2];
    for (int i = 0; i < 2; ++i) {
        const double b1 = kSgdGrads[0][i];
        const double b2 = 0.9 * b1 + 0.5 * kSgdGrads[1][i];
        const double b3 = 0.9 * b2 + 0.5 * kSgdGrads[2][i];
        expected[i] = (i == 0 ? 1.0 : 2.0) - 0.1 * (b1 + b2 + b3);
    }
    COMPARE_VEC(p, (std::vector<double>{expected[0], expected[1]}), 1e-6);
    // torch.optim.SGD([p], lr=0.1, momentum=0.9, dampening=0.5), same grads:
    COMPARE_VEC(p, (Vec{0.890749990940094f, 2.123499870300293f}), 1e-6);
}

void TestOptimizers::sgdRejectsBadOptions() {
    Vec p{1.0f}, g{1.0f};
    const std::vector<ml::ParamRef> params{{p.data(), g.data(), 1}};
    QVERIFY(throwsError([&] { ml::Sgd(params, {}); }, "learning rate")); // lr is required
    QVERIFY(throwsError([&] { ml::Sgd(params, {.lr = -0.1}); }, "learning rate"));
    QVERIFY(throwsError([&] { ml::Sgd(params, {.lr = 0.1, .momentum = -1.0}); }, "momentum"));
    QVERIFY(throwsError([&] { ml::Sgd(params, {.lr = 0.1, .nesterov = true}); }, "nesterov"));
    QVERIFY(throwsError(
        [&] { ml::Sgd(params, {.lr = 0.1, .momentum = 0.9, .dampening = 0.1, .nesterov = true}); },
        "nesterov"));
    QVERIFY(throwsError([&] { ml::Sgd(params, {.lr = 0.1, .weightDecay = -1.0}); }, "weight_decay"));
    ml::Sgd ok(params, {.lr = 0.1});
    QVERIFY(throwsError([&] { ok.setLr(std::numeric_limits<double>::infinity()); },
                        "SGD: invalid learning rate"));
}

void TestOptimizers::adamTwoSteps() {
    // Adam(lr 0.01, betas (0.9, 0.999), eps 1e-8, weight decay 0.1) on [1, -2, 0.5].
    Vec p{1.0f, -2.0f, 0.5f}, g(3);
    const std::vector<Vec> grads{{0.1f, -0.2f, 0.3f}, {-0.4f, 0.5f, 0.6f}};
    ml::Adam opt({{p.data(), g.data(), 3}}, {.lr = 0.01, .weightDecay = 0.1});
    QCOMPARE(opt.kind(), std::string_view("Adam"));
    QVERIFY(opt.tracksSteps());
    double ep[3] = {1.0, -2.0, 0.5}, m[3] = {}, v[3] = {};
    for (int t = 1; t <= 2; ++t) {
        g = grads[size_t(t - 1)];
        opt.step();
        for (int i = 0; i < 3; ++i) {
            const double gi = g[i] + 0.1 * ep[i]; // L2 in the gradient
            m[i] = 0.9 * m[i] + 0.1 * gi;
            v[i] = 0.999 * v[i] + 0.001 * gi * gi;
            const double mHat = m[i] / (1.0 - std::pow(0.9, t));
            const double denom = std::sqrt(v[i]) / std::sqrt(1.0 - std::pow(0.999, t)) + 1e-8;
            ep[i] -= 0.01 * mHat / denom;
        }
        QCOMPARE(opt.stepCount(0), Index(t));
        COMPARE_VEC(p, (std::vector<double>{ep[0], ep[1], ep[2]}), 1e-6);
    }
    // torch.optim.Adam([p], lr=0.01, weight_decay=0.1), same grads:
    COMPARE_VEC(p, (Vec{0.9924919009208679f, -1.989122748374939f, 0.4802703261375427f}), 1e-6);
    const auto m1 = opt.state(0, "exp_avg");
    const auto v1 = opt.state(0, "exp_avg_sq");
    COMPARE_VEC(Vec(m1.begin(), m1.end()),
                (Vec{-0.012099999003112316f, -0.005900001619011164f, 0.09640000760555267f}), 1e-5);
    COMPARE_VEC(Vec(v1.begin(), v1.end()),
                (Vec{0.00013056100578978658f, 0.0002504410222172737f, 0.000543578586075455f}), 1e-5);
}

void TestOptimizers::adamWTwoSteps() {
    Vec p{1.0f, -2.0f, 0.5f}, g(3);
    const std::vector<Vec> grads{{0.1f, -0.2f, 0.3f}, {-0.4f, 0.5f, 0.6f}};
    ml::AdamW opt({{p.data(), g.data(), 3}}, {.lr = 0.01, .weightDecay = 0.1});
    QCOMPARE(opt.kind(), std::string_view("AdamW"));
    QCOMPARE(ml::AdamW::defaults().weightDecay, 1e-2);
    double ep[3] = {1.0, -2.0, 0.5}, m[3] = {}, v[3] = {};
    for (int t = 1; t <= 2; ++t) {
        g = grads[size_t(t - 1)];
        opt.step();
        for (int i = 0; i < 3; ++i) {
            ep[i] *= 1.0 - 0.01 * 0.1; // decoupled decay, the gradient is left alone
            m[i] = 0.9 * m[i] + 0.1 * g[i];
            v[i] = 0.999 * v[i] + 0.001 * g[i] * g[i];
            const double denom = std::sqrt(v[i]) / std::sqrt(1.0 - std::pow(0.999, t)) + 1e-8;
            ep[i] -= 0.01 / (1.0 - std::pow(0.9, t)) * m[i] / denom;
        }
        COMPARE_VEC(p, (std::vector<double>{ep[0], ep[1], ep[2]}), 1e-6);
    }
    // torch.optim.AdamW([p], lr=0.01, weight_decay=0.1), same grads:
    COMPARE_VEC(p, (Vec{0.9936060905456543f, -1.9904342889785767f, 0.4793587028980255f}), 1e-6);
}

void TestOptimizers::adamStateRoundTrip() {
    // Train A for two steps; copy its parameters and state into a fresh B;
    // one more identical step must leave both in the same place.
    Vec pa{0.3f, -0.7f}, ga(2), qa{2.0f}, gqa(1);
    ml::Adam a({{pa.data(), ga.data(), 2}, {qa.data(), gqa.data(), 1}}, {.lr = 0.05});
    for (int s = 0; s < 2; ++s) {
        ga = {0.2f * float(s + 1), -0.1f};
        gqa = {1.0f - float(s)};
        a.step();
    }
    Vec pb = pa, gb(2), qb = qa, gqb(1);
    ml::Adam b({{pb.data(), gb.data(), 2}, {qb.data(), gqb.data(), 1}}, {.lr = 0.05});
    QCOMPARE(b.stateNames(), (std::vector<std::string>{"exp_avg", "exp_avg_sq"}));
    for (Index i = 0; i < 2; ++i) {
        for (const std::string& name : a.stateNames())
            b.setState(i, name, a.state(i, name));
        b.setStepCount(i, a.stepCount(i));
    }
    ga = gb = {0.5f, 0.5f};
    gqa = gqb = {-0.25f};
    a.step();
    b.step();
    QCOMPARE(pb, pa);
    QCOMPARE(qb, qa);
    // Without the restored step count, bias correction differs and so does the result.
    Vec pc = pb, gc{0.5f, 0.5f};
    ml::Adam c({{pc.data(), gc.data(), 2}}, {.lr = 0.05});
    c.setState(0, "exp_avg", b.state(0, "exp_avg"));
    c.setState(0, "exp_avg_sq", b.state(0, "exp_avg_sq"));
    Vec pd = pb, gd{0.5f, 0.5f};
    ml::Adam d({{pd.data(), gd.data(), 2}}, {.lr = 0.05});
    d.setState(0, "exp_avg", b.state(0, "exp_avg"));
    d.setState(0, "exp_avg_sq", b.state(0, "exp_avg_sq"));
    d.setStepCount(0, 3);
    c.step();
    d.step();
    QVERIFY(pc != pd);
}

void TestOptimizers::stateErrors() {
    Vec p{1.0f, 2.0f}, g{0.0f, 0.0f};
    ml::Adam opt({{p.data(), g.data(), 2}});
    QVERIFY(throwsError([&] { opt.state(0, "exp_avg"); }, "has not taken a step"));
    QVERIFY(throwsError([&] { opt.hasState(0, "momentum_buffer"); }, "known: exp_avg, exp_avg_sq"));
    QVERIFY(throwsError([&] { opt.setState(0, "exp_avg", Vec{1.0f}); }, "has 1 values, the parameter has 2"));
    QVERIFY(throwsError([&] { opt.state(3, "exp_avg"); }, "parameter 3 does not exist"));
    QVERIFY(throwsError([&] { opt.setStepCount(0, -1); }, "negative"));
    QVERIFY(throwsError(
        [&] {
            ml::Adam({{p.data(), g.data(), 2}}, {.beta2 = 1.0});
        },
        "beta parameter at index 1"));
}

void TestOptimizers::zeroGrad() {
    Vec p{1.0f, 2.0f}, g{3.0f, 4.0f};
    ml::Sgd opt({{p.data(), g.data(), 2}}, {.lr = 1.0});
    opt.zeroGrad();
    QCOMPARE(g, (Vec{0.0f, 0.0f}));
}

void TestOptimizers::clipGradNorm() {
    // Gradients [3, 4] and [12]: total norm 13; clip to 6.5 -> coef 6.5 / (13 + 1e-6).
    Vec a(2), ga{3.0f, 4.0f}, b(1), gb{12.0f};
    const std::vector<ml::ParamRef> params{{a.data(), ga.data(), 2}, {b.data(), gb.data(), 1}};
    QVERIFY(close(ml::gradNorm(params), 13.0, 1e-9));
    const double total = ml::clipGradNorm(params, 6.5);
    QCOMPARE(total, 13.0);
    const double coef = 6.5 / (13.0 + 1e-6);
    COMPARE_VEC(ga, (std::vector<double>{3.0 * coef, 4.0 * coef}), 1e-7);
    COMPARE_VEC(gb, (std::vector<double>{12.0 * coef}), 1e-7);
    // torch.nn.utils.clip_grad_norm_([a, b], 6.5) -> 13.0, a.grad [1.4999999, 1.9999999], b.grad [5.9999995]
    COMPARE_VEC(ga, (Vec{1.4999998807907104f, 1.9999998807907104f}), 1e-7);
    COMPARE_VEC(gb, (Vec{5.999999523162842f}), 1e-7);
}

void TestOptimizers::clipGradNormLeavesSmallGradients() {
    Vec a(2), ga{3.0f, 4.0f};
    const std::vector<ml::ParamRef> params{{a.data(), ga.data(), 2}};
    QCOMPARE(ml::clipGradNorm(params, 5.0), 5.0); // coef 5 / (5 + 1e-6) < 1: clipped by a hair
    QVERIFY(ga[0] < 3.0f && ga[0] > 2.9999f);
    ga = {3.0f, 4.0f};
    QCOMPARE(ml::clipGradNorm(params, 10.0), 5.0); // coef ~2: untouched
    QCOMPARE(ga, (Vec{3.0f, 4.0f}));
}

void TestOptimizers::clipGradNormInfinity() {
    Vec a(3), ga{-7.0f, 2.0f, 1.0f};
    const std::vector<ml::ParamRef> params{{a.data(), ga.data(), 3}};
    const double inf = std::numeric_limits<double>::infinity();
    QCOMPARE(ml::clipGradNorm(params, 3.5, inf), 7.0);
    COMPARE_VEC(
        ga, (std::vector<double>{-7.0 * 3.5 / (7.0 + 1e-6), 2.0 * 3.5 / (7.0 + 1e-6), 3.5 / (7.0 + 1e-6)}),
        1e-7);
    ga = {1.0f, 2.0f, 2.0f};
    QVERIFY(close(ml::gradNorm(params, 1.0), 5.0, 1e-12));
}

void TestOptimizers::stepLr_data() {
    QTest::addColumn<Index>("epoch");
    QTest::addColumn<double>("expected");
    // torch StepLR(SGD(lr=0.1), step_size=3, gamma=0.5): [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025]
    QTest::newRow("0") << Index(0) << 0.1;
    QTest::newRow("2") << Index(2) << 0.1;
    QTest::newRow("3") << Index(3) << 0.05;
    QTest::newRow("5") << Index(5) << 0.05;
    QTest::newRow("6") << Index(6) << 0.025;
    QTest::newRow("30") << Index(30) << 0.1 * std::pow(0.5, 10);
}

void TestOptimizers::stepLr() {
    QFETCH(Index, epoch);
    QFETCH(double, expected);
    const ml::StepLr schedule(0.1, 3, 0.5);
    QVERIFY2(close(schedule.lr(epoch), expected, 1e-12), qPrintable(QString::number(schedule.lr(epoch))));
}

void TestOptimizers::cosineAnnealingLr_data() {
    QTest::addColumn<Index>("epoch");
    QTest::addColumn<double>("expected");
    // torch CosineAnnealingLR(SGD(lr=0.1), T_max=10, eta_min=0.001), lr before each scheduler.step():
    QTest::newRow("0") << Index(0) << 0.1;
    QTest::newRow("1") << Index(1) << 0.09757729755661011;
    QTest::newRow("5 (half way)") << Index(5) << 0.0505;
    QTest::newRow("7") << Index(7) << 0.02140463001152259;
    QTest::newRow("10 (T_max)") << Index(10) << 0.001;
    QTest::newRow("11 (past T_max, rises again)") << Index(11) << 0.0034227024433899004;
}

void TestOptimizers::cosineAnnealingLr() {
    QFETCH(Index, epoch);
    QFETCH(double, expected);
    const ml::CosineAnnealingLr schedule(0.1, 10, 0.001);
    QVERIFY2(close(schedule.lr(epoch), expected, 1e-12),
             qPrintable(QString::number(schedule.lr(epoch), 'g', 17)));
    // Closed form by hand.
    QVERIFY(close(schedule.lr(epoch), 0.001 + 0.099 * (1.0 + std::cos(M_PI * double(epoch) / 10.0)) / 2.0,
                  1e-15));
}

void TestOptimizers::schedulesRejectBadSizes() {
    QVERIFY(throwsError([] { ml::StepLr(0.1, 0); }, "step_size 0"));
    QVERIFY(throwsError([] { ml::CosineAnnealingLr(0.1, 0); }, "T_max 0"));
}

QTEST_GUILESS_MAIN(TestOptimizers)
#include "tst_optimizers.moc"
