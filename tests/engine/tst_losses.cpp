// Losses: cross-entropy with class indices, MSE, BCE-with-logits. Forward
// values computed by hand (and checked against torch 1.13 constants), the
// gradient of each against central differences, the weight/accumulate
// contract, numerical stability, and the bad-label error.
#include "GradCheck.h"
#include "core/Error.h"
#include "train/Loss.h"

#include <QTest>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

using ml::Index;
using Vec = std::vector<float>;
using Labels = std::vector<std::int64_t>;

class TestLosses : public QObject {
    Q_OBJECT

  private Q_SLOTS:
    void crossEntropyByHand();
    void crossEntropyGradientByHand();
    void crossEntropyIsStableForLargeLogits();
    void crossEntropyOverManyRows();
    void crossEntropyMatchesDoubleReference();
    void crossEntropyGradient();
    void crossEntropyRejectsBadTarget_data();
    void crossEntropyRejectsBadTarget();
    void mseByHand();
    void mseGradient();
    void bceWithLogitsByHand();
    void bceWithLogitsIsStable();
    void bceWithLogitsGradient();
    void weightScalesAndAccumulates();
};

void TestLosses::crossEntropyByHand() {
    // logits [2, 3], targets {1, 2}
    const Vec logits{1.0f, 2.0f, 0.5f, -1.0f, 0.0f, 3.0f};
    const Labels targets{1, 2};
    const double l0 = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(0.5)) - 2.0;
    const double l1 = std::log(std::exp(-1.0) + std::exp(0.0) + std::exp(3.0)) - 3.0;
    const double loss = ml::crossEntropyLoss(logits.data(), targets.data(), 2, 3);
    QVERIFY(std::abs(loss - (l0 + l1) / 2.0) < 1e-7);
    QVERIFY(std::abs(loss - 0.2651263475418091) < 1e-6); // torch 1.13 F.cross_entropy on the same input
}

void TestLosses::crossEntropyGradientByHand() {
    // One sample, two classes, target 0: d/dx = (softmax - onehot) / 1.
    const Vec logits{0.0f, std::log(3.0f)}; // softmax = {1/4, 3/4}
    const Labels targets{0};
    Vec grad{0.0f, 0.0f};
    const double loss = ml::crossEntropyLoss(logits.data(), targets.data(), 1, 2, grad.data());
    QVERIFY(std::abs(loss - std::log(4.0)) < 1e-6);
    QVERIFY(std::abs(grad[0] - -0.75f) < 1e-6f);
    QVERIFY(std::abs(grad[1] - 0.75f) < 1e-6f);
}

void TestLosses::crossEntropyIsStableForLargeLogits() {
    const Vec logits{1000.0f, 0.0f, -1000.0f, 500.0f, 500.0f, 500.0f};
    const Labels targets{1, 2};
    Vec grad(6, 0.0f);
    const double loss = ml::crossEntropyLoss(logits.data(), targets.data(), 2, 3, grad.data());
    QVERIFY(std::isfinite(loss));
    QVERIFY(std::abs(loss - (1000.0 + std::log(3.0)) / 2.0) < 1e-6);
    for (float g : grad)
        QVERIFY(std::isfinite(g));
    QVERIFY(std::abs(grad[0] - 0.5f) < 1e-6f);  // p = 1, not the target, / batch 2
    QVERIFY(std::abs(grad[1] - -0.5f) < 1e-6f); // p = 0, the target
    QVERIFY(std::abs(grad[5] - (1.0f / 3.0f - 1.0f) / 2.0f) < 1e-6f);
}

void TestLosses::crossEntropyOverManyRows() {
    // The rows' log-sum-exps are summed as the log of a product, flushed
    // before it could overflow: 1000 rows of 1000 equal logits multiply to
    // 1000^1000 = 2^9966, ten flushes. Each row's loss is log(1000); a row
    // whose target logit is 1 lower adds 1.
    const Index rows = 1000, classes = 1000;
    Vec logits(std::size_t(rows * classes), 2.5f);
    Labels targets(rows);
    for (Index r = 0; r < rows; ++r) targets[std::size_t(r)] = (r * 7) % classes;
    logits[std::size_t(3 * classes + targets[3])] = 1.5f; // row 3: its target 1 below the rest
    const double row3 = std::log(999.0 + std::exp(-1.0)) + 1.0;
    const double expected = (999.0 * std::log(1000.0) + row3) / double(rows);
    const double loss = ml::crossEntropyLoss(logits.data(), targets.data(), rows, classes);
    QVERIFY2(std::abs(loss - expected) < 1e-9, qPrintable(QString::number(loss - expected)));
}

void TestLosses::crossEntropyMatchesDoubleReference() {
    // The exponentials are a polynomial approximation, not libm's: over logit
    // gaps up to 60 (exp down to 1e-26) the loss and every softmax gradient
    // stay within 3 float ulps (exp's 2, the scaling's 1) of softmax computed
    // in double from the same float gaps, for class counts with an unrolled
    // row (2, 10) and without (37). The accuracy count too.
    for (const Index classes : {Index(2), Index(10), Index(37)}) {
        const Index rows = 300;
        Vec logits(std::size_t(rows * classes));
        Labels targets(rows);
        Index expectedCorrect = 0;
        double expectedLoss = 0.0;
        std::vector<double> expectedGrad(logits.size());
        for (Index r = 0; r < rows; ++r) {
            for (Index c = 0; c < classes; ++c)
                logits[std::size_t(r * classes + c)] = float(std::fmod(double(r * 31 + c * 17) * 0.613, 60.0) - 30.0);
            targets[std::size_t(r)] = (r * 5) % classes;
            const float* row = &logits[std::size_t(r * classes)];
            const Index arg = std::max_element(row, row + classes) - row;
            expectedCorrect += arg == targets[std::size_t(r)];
            // The shifted logit rounded to float, as every float32 softmax has it.
            auto shiftedExp = [&](Index c) { return std::exp(double(row[c] - row[arg])); };
            double sum = 0.0;
            for (Index c = 0; c < classes; ++c) sum += shiftedExp(c);
            expectedLoss += std::log(sum) + double(row[arg]) - double(row[targets[std::size_t(r)]]);
            for (Index c = 0; c < classes; ++c)
                expectedGrad[std::size_t(r * classes + c)] =
                    (shiftedExp(c) / sum - (c == targets[std::size_t(r)])) / double(rows);
        }
        expectedLoss /= double(rows);
        Vec grad(logits.size(), 0.0f);
        Index correct = -1;
        const double loss = ml::crossEntropyLoss(logits.data(), targets.data(), rows, classes, grad.data(), 1.0f, &correct);
        QCOMPARE(correct, expectedCorrect);
        QVERIFY2(std::abs(loss - expectedLoss) <= 2.5e-7 * std::abs(expectedLoss),
                 qPrintable(QString("%1 classes: %2 vs %3").arg(classes).arg(loss, 0, 'g', 12).arg(expectedLoss, 0, 'g', 12)));
        for (std::size_t i = 0; i < grad.size(); ++i) {
            // The target's gradient is p - 1, rounded in float: ulps of 1/rows.
            const bool target = Index(i) % classes == targets[std::size_t(Index(i) / classes)];
            const double tolerance = 3.6e-7 * (std::abs(expectedGrad[i]) + (target ? 1.0 / double(rows) : 0.0));
            QVERIFY2(std::abs(double(grad[i]) - expectedGrad[i]) <= tolerance,
                     qPrintable(QString("%1 classes, element %2: %3 vs %4").arg(classes).arg(i).arg(grad[i], 0, 'g', 9)
                                    .arg(expectedGrad[i], 0, 'g', 9)));
        }
    }
}

void TestLosses::crossEntropyGradient() {
    const Index batch = 4, classes = 5;
    Vec logits = gradcheck::randomVector(batch * classes, 61, -2.0f, 2.0f);
    const Labels targets{3, 0, 4, 1};
    Vec grad(logits.size(), 0.0f);
    ml::crossEntropyLoss(logits.data(), targets.data(), batch, classes, grad.data());
    GRADCHECK("cross-entropy logits", logits, grad,
              [&] { return ml::crossEntropyLoss(logits.data(), targets.data(), batch, classes); });
}

void TestLosses::crossEntropyRejectsBadTarget_data() {
    QTest::addColumn<qint64>("badValue");
    QTest::newRow("equal to class count") << qint64(3);
    QTest::newRow("far above") << qint64(70);
    QTest::newRow("negative (no ignore_index)") << qint64(-100);
}

void TestLosses::crossEntropyRejectsBadTarget() {
    QFETCH(qint64, badValue);
    const Vec logits(9, 0.5f);
    const Labels targets{0, 2, badValue};
    Vec grad(9, 0.0f);
    QString message;
    try {
        ml::crossEntropyLoss(logits.data(), targets.data(), 3, 3, grad.data());
    } catch (const ml::Error& e) {
        message = e.what();
    }
    QVERIFY2(message.contains("sample 2"), qPrintable(message));
    QVERIFY2(message.contains(QString("class index %1").arg(badValue)), qPrintable(message));
    QVERIFY2(message.contains("3 classes"), qPrintable(message));
    QCOMPARE(grad, Vec(9, 0.0f)); // nothing accumulated before the error
}

void TestLosses::mseByHand() {
    const Vec pred{0.5f, -1.5f, 2.0f, -30.0f};
    const Vec target{1.0f, 0.0f, 0.3f, 1.0f};
    // (0.25 + 2.25 + 2.89 + 961) / 4
    const double expected = (0.25 + 2.25 + 1.7 * 1.7 + 961.0) / 4.0;
    Vec grad(4, 0.0f);
    const double loss = ml::mseLoss(pred.data(), target.data(), 4, grad.data());
    QVERIFY(std::abs(loss - expected) < 1e-5);
    QVERIFY(std::abs(loss - 241.59750366210938) < 1e-4); // torch 1.13 F.mse_loss
    QVERIFY(std::abs(grad[3] - 2.0f * -31.0f / 4.0f) < 1e-5f);
    QVERIFY(std::abs(grad[0] - 2.0f * -0.5f / 4.0f) < 1e-7f);
}

void TestLosses::mseGradient() {
    Vec pred = gradcheck::randomVector(12, 71);
    const Vec target = gradcheck::randomVector(12, 72);
    Vec grad(12, 0.0f);
    ml::mseLoss(pred.data(), target.data(), 12, grad.data());
    GRADCHECK("mse prediction", pred, grad, [&] { return ml::mseLoss(pred.data(), target.data(), 12); });
}

void TestLosses::bceWithLogitsByHand() {
    const Vec x{0.5f, -1.5f, 2.0f, -30.0f};
    const Vec t{1.0f, 0.0f, 0.3f, 1.0f};
    // -[t log s(x) + (1 - t) log(1 - s(x))], with log s(x) = -log(1 + e^-x).
    double expected = 0.0;
    for (int i = 0; i < 4; ++i) {
        const double logS = -std::log1p(std::exp(-double(x[i])));
        const double log1mS = -std::log1p(std::exp(double(x[i])));
        expected += -(t[i] * logS + (1.0 - t[i]) * log1mS);
    }
    expected /= 4.0;
    Vec grad(4, 0.0f);
    const double loss = ml::bceWithLogitsLoss(x.data(), t.data(), 4, grad.data());
    QVERIFY(std::abs(loss - expected) < 1e-6);
    QVERIFY(std::abs(loss - 8.050604820251465) < 1e-5); // torch 1.13 F.binary_cross_entropy_with_logits
    const double s0 = 1.0 / (1.0 + std::exp(-0.5));
    QVERIFY(std::abs(grad[0] - (s0 - 1.0) / 4.0) < 1e-7);
}

void TestLosses::bceWithLogitsIsStable() {
    const Vec x{100.0f, -100.0f};
    const Vec t{0.0f, 1.0f};
    Vec grad(2, 0.0f);
    const double loss = ml::bceWithLogitsLoss(x.data(), t.data(), 2, grad.data());
    QVERIFY(std::abs(loss - 100.0) < 1e-9);
    QVERIFY(std::abs(grad[0] - 0.5f) < 1e-7f);
    QVERIFY(std::abs(grad[1] - -0.5f) < 1e-7f);
}

void TestLosses::bceWithLogitsGradient() {
    Vec x = gradcheck::randomVector(10, 81, -4.0f, 4.0f);
    const Vec t = gradcheck::randomVector(10, 82, 0.0f, 1.0f);
    Vec grad(10, 0.0f);
    ml::bceWithLogitsLoss(x.data(), t.data(), 10, grad.data());
    GRADCHECK("bce-with-logits logits", x, grad,
              [&] { return ml::bceWithLogitsLoss(x.data(), t.data(), 10); });
}

void TestLosses::weightScalesAndAccumulates() {
    // Each loss adds weight * gradient on top of what is already there.
    const Vec logits{1.0f, -1.0f, 0.5f, 2.0f};
    const Labels labels{0, 1};
    const Vec target{0.0f, 1.0f, 1.0f, 0.0f};
    Vec unit(4, 0.0f), weighted(4, 1.0f);
    ml::crossEntropyLoss(logits.data(), labels.data(), 2, 2, unit.data());
    ml::crossEntropyLoss(logits.data(), labels.data(), 2, 2, weighted.data(), 0.3f);
    for (int i = 0; i < 4; ++i)
        QVERIFY(std::abs(weighted[i] - (1.0f + 0.3f * unit[i])) < 1e-6f);

    unit.assign(4, 0.0f);
    weighted.assign(4, -2.0f);
    ml::mseLoss(logits.data(), target.data(), 4, unit.data());
    ml::mseLoss(logits.data(), target.data(), 4, weighted.data(), 2.5f);
    for (int i = 0; i < 4; ++i)
        QVERIFY(std::abs(weighted[i] - (-2.0f + 2.5f * unit[i])) < 1e-6f);

    unit.assign(4, 0.0f);
    weighted.assign(4, 0.5f);
    ml::bceWithLogitsLoss(logits.data(), target.data(), 4, unit.data());
    const double loss = ml::bceWithLogitsLoss(logits.data(), target.data(), 4, weighted.data(), 0.1f);
    for (int i = 0; i < 4; ++i)
        QVERIFY(std::abs(weighted[i] - (0.5f + 0.1f * unit[i])) < 1e-6f);
    // The returned loss is the plain mean, not weighted.
    QVERIFY(std::abs(loss - ml::bceWithLogitsLoss(logits.data(), target.data(), 4)) < 1e-12);
}

QTEST_GUILESS_MAIN(TestLosses)
#include "tst_losses.moc"
