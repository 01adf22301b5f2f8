// Every StepKind has a name and a gradient test: the table below lists, per
// kind in enum order, the test that checks its backward against central
// differences. A new kind fails to compile here until it has one.
#include "exec/StepKind.h"

#include <QTest>

#include <string_view>

using namespace ml;

namespace {

struct GradientTest {
    StepKind kind;
    std::string_view test; // "executable::function"
};

constexpr std::array<GradientTest, kStepKindCount> kGradientTests{{
    {StepKind::Linear, "tst_ops_dense::linearGradients"},
    {StepKind::Conv2d, "tst_ops_dense::conv2dGradients"},
    {StepKind::BatchNorm, "tst_ops_dense::batchNormGradients"},
    {StepKind::LayerNorm, "tst_ops_dense::layerNormGradients"},
    {StepKind::ReLU, "tst_ops_pointwise::pointwiseGradient(relu)"},
    {StepKind::LeakyReLU, "tst_ops_pointwise::pointwiseGradient(leaky_relu)"},
    {StepKind::GELU, "tst_ops_pointwise::pointwiseGradient(gelu)"},
    {StepKind::Tanh, "tst_ops_pointwise::pointwiseGradient(tanh)"},
    {StepKind::Sigmoid, "tst_ops_pointwise::pointwiseGradient(sigmoid)"},
    {StepKind::Softmax, "tst_ops_pointwise::softmaxGradient(softmax)"},
    {StepKind::LogSoftmax, "tst_ops_pointwise::softmaxGradient(log_softmax)"},
    {StepKind::MaxPool2d, "tst_ops_dense::maxPoolGradients"},
    {StepKind::AvgPool2d, "tst_ops_dense::avgPoolGradients"},
    {StepKind::AdaptiveAvgPool2d, "tst_ops_dense::adaptiveAvgPoolGradients"},
    {StepKind::Copy, "tst_ops_pointwise::identityCopiesAndAccumulates"},
    {StepKind::Dropout, "tst_ops_pointwise::dropoutGradient"},
    {StepKind::Add, "tst_ops_pointwise::addForwardBackward"},
    {StepKind::Concat, "tst_ops_pointwise::concatGradient"},
}};

constexpr bool inEnumOrderWithTests() {
    for (std::size_t i = 0; i < kGradientTests.size(); ++i)
        if (static_cast<std::size_t>(kGradientTests[i].kind) != i || kGradientTests[i].test.empty()) return false;
    return true;
}
static_assert(inEnumOrderWithTests(), "kGradientTests: one entry per StepKind, in enum order, each naming its test");

} // namespace

class TestStepKinds : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void namesAreDistinct() {
        for (std::size_t i = 0; i < kStepKindCount; ++i)
            for (std::size_t j = i + 1; j < kStepKindCount; ++j) QVERIFY(kStepKindNames[i] != kStepKindNames[j]);
        QCOMPARE(kStepKindCount, std::size_t(18));
        QCOMPARE(stepKindName(StepKind::AdaptiveAvgPool2d), std::string_view("AdaptiveAvgPool2d"));
    }
};

QTEST_APPLESS_MAIN(TestStepKinds)
#include "tst_step_kinds.moc"
