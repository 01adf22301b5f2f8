// A ReLU that alone reads a Linear's, Conv2d's, BatchNorm's or Add's output is
// folded into that step (Plan::foldReLUs). The folded plan must compute what
// the unfolded one does: the same output, parameter gradients and running
// statistics. Unfolded here means the ReLU's input is also a model output,
// which keeps the two steps apart.
#include "exec/Plan.h"
#include "io/ModelJson.h"

#include <QTest>
#include <nlohmann/json.hpp>

#include <cmath>
#include <random>

using namespace ml; // ml::Json is nlohmann::ordered_json

namespace {

// A model of one block "Net" with input x of `shape` per sample.
std::string netModel(const Json& shape, const Json& children, const Json& nodes, const Json& outputs) {
    const Json doc = {{"format", "modulelab-model"},
                      {"version", 1},
                      {"model", "Net"},
                      {"definitions",
                       {{"Net",
                         {{"kind", "block"},
                          {"inputs", {{{"name", "x"}, {"shape", shape}}}},
                          {"children", children},
                          {"nodes", nodes},
                          {"outputs", outputs}}}}}};
    return doc.dump();
}

// One block: h = layer(x); r = relu(h) (a module call or the functional op);
// outputs r, and h too when keepApart.
std::string modelText(const Json& layer, const std::vector<Index>& shape, bool functional, bool keepApart) {
    Json children = {{"layer", layer}};
    Json relu = {{"id", "r"}, {"in", {"h"}}};
    if (functional) {
        relu["op"] = "relu";
    } else {
        children["act"] = {{"type", "ReLU"}};
        relu["call"] = "act";
    }
    Json outputs = Json::array({{{"name", "r"}, {"from", "r"}}});
    if (keepApart) outputs.push_back({{"name", "h"}, {"from", "h"}});
    return netModel(shape, children, {{{"id", "h"}, {"call", "layer"}, {"in", {"x"}}}, relu}, outputs);
}

std::vector<float> randomValues(Index n, unsigned seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal;
    std::vector<float> v(static_cast<size_t>(n));
    for (float& x : v) x = normal(rng);
    return v;
}

struct Run {
    int steps;
    std::vector<float> output;
    std::vector<StoredTensor> state; // values (running stats) and grads after one step
};

Run trainStep(const std::string& text, Index batch) {
    const ModelDocument doc = io::parseModel(text);
    const Analysis a = analyze(doc);
    if (!a.ok()) qFatal("test model does not analyze");
    ParameterStore store(a.tree);
    store.initialize(a.tree, 7);
    Plan plan(doc, a, store, batch);
    const Index width = [&] {
        Index w = 1;
        for (Index d : plan.inputShape(0)) w *= d;
        return w;
    }();
    plan.setInput(0, randomValues(batch * width, 1).data(), batch);
    plan.zeroGrad();
    plan.forward(batch);
    const Index outSize = batch * plan.outputWidth(0);
    const std::vector<float> dy = randomValues(outSize, 2);
    std::copy(dy.begin(), dy.end(), plan.outputGrad(0));
    plan.backward();
    return {plan.stepCount(), std::vector<float>(plan.output(0), plan.output(0) + outSize), store.tensors()};
}

void expectClose(const char* what, const std::vector<float>& actual, const std::vector<float>& expected) {
    QCOMPARE(actual.size(), expected.size());
    for (size_t i = 0; i < actual.size(); ++i) {
        if (std::abs(actual[i] - expected[i]) > 1e-5f * (1.0f + std::abs(expected[i])))
            QFAIL(qPrintable(QString("%1[%2]: %3, expected %4").arg(what).arg(i).arg(actual[i]).arg(expected[i])));
    }
}

} // namespace

class TestPlanFusion : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void foldedMatchesUnfolded_data() {
        QTest::addColumn<QString>("layer");
        QTest::addColumn<QList<qint64>>("shape");
        QTest::addColumn<bool>("functional");
        const QString linear = "{\"type\": \"Linear\", \"args\": {\"in_features\": 6, \"out_features\": 5}}";
        // 8 channels in and out: the Winograd path.
        const QString conv = "{\"type\": \"Conv2d\", \"args\": {\"in_channels\": 8, \"out_channels\": 8, "
                             "\"kernel_size\": 3, \"padding\": 1}}";
        const QString bn2d = "{\"type\": \"BatchNorm2d\", \"args\": {\"num_features\": 3}}";
        const QString bn1d = "{\"type\": \"BatchNorm1d\", \"args\": {\"num_features\": 5}}";
        QTest::newRow("Linear + ReLU module") << linear << QList<qint64>{6} << false;
        QTest::newRow("Linear + relu op") << linear << QList<qint64>{6} << true;
        QTest::newRow("Conv2d + ReLU") << conv << QList<qint64>{8, 5, 6} << false;
        QTest::newRow("BatchNorm2d + ReLU") << bn2d << QList<qint64>{3, 4, 5} << false;
        QTest::newRow("BatchNorm1d + relu op") << bn1d << QList<qint64>{5} << true;
    }

    void foldedMatchesUnfolded() {
        QFETCH(QString, layer);
        QFETCH(QList<qint64>, shape);
        QFETCH(bool, functional);
        const Json layerJson = Json::parse(layer.toStdString());
        const std::vector<Index> dims(shape.begin(), shape.end());
        const Run folded = trainStep(modelText(layerJson, dims, functional, false), 4);
        const Run apart = trainStep(modelText(layerJson, dims, functional, true), 4);
        QCOMPARE(folded.steps, 1);
        QCOMPARE(apart.steps, 2);
        expectClose("output", folded.output, apart.output);
        QCOMPARE(folded.state.size(), apart.state.size());
        for (size_t t = 0; t < folded.state.size(); ++t) {
            const std::string name = folded.state[t].name;
            expectClose((name + " value").c_str(), folded.state[t].value, apart.state[t].value);
            expectClose((name + " grad").c_str(), folded.state[t].grad, apart.state[t].grad);
        }
        // Some outputs are clipped, so the mask mattered.
        QVERIFY(std::count(folded.output.begin(), folded.output.end(), 0.0f) > 0);
    }

    // A residual block's relu(layer(x) + x ...): the ReLU folds into the Add,
    // which writes max(0, sum) in its one pass and masks the gradient that
    // reaches both summands. Unfolded when the sum is also an output.
    void reluFoldsIntoAdd_data() {
        QTest::addColumn<QStringList>("summands");
        QTest::newRow("two summands") << QStringList{"a", "x"};
        QTest::newRow("three summands") << QStringList{"a", "x", "a"};
    }

    void reluFoldsIntoAdd() {
        QFETCH(QStringList, summands);
        Json in = Json::array();
        for (const QString& v : summands) in.push_back(v.toStdString());
        auto text = [&](bool keepApart) {
            Json outputs = Json::array({{{"name", "r"}, {"from", "r"}}});
            if (keepApart) outputs.push_back({{"name", "s"}, {"from", "s"}});
            return netModel({6},
                            {{"layer", {{"type", "Linear"}, {"args", {{"in_features", 6}, {"out_features", 6}}}}}},
                            {{{"id", "a"}, {"call", "layer"}, {"in", {"x"}}},
                             {{"id", "s"}, {"op", "add"}, {"in", in}},
                             {{"id", "r"}, {"op", "relu"}, {"in", {"s"}}}},
                            outputs);
        };
        const Run folded = trainStep(text(false), 5);
        const Run apart = trainStep(text(true), 5);
        QCOMPARE(folded.steps, 2); // Linear, Add+ReLU
        QCOMPARE(apart.steps, 3);
        expectClose("output", folded.output, apart.output);
        QCOMPARE(folded.state.size(), apart.state.size());
        for (size_t t = 0; t < folded.state.size(); ++t)
            expectClose((folded.state[t].name + " grad").c_str(), folded.state[t].grad, apart.state[t].grad);
        QVERIFY(std::count(folded.output.begin(), folded.output.end(), 0.0f) > 0); // the mask mattered
    }

    // Conv2d + ReLU + MaxPool2d: with the ReLU's output read by the pool
    // alone, the pool applies the ReLU's mask (Plan::foldReLUMasksIntoPools);
    // with it also a model output, the producer's backward does. Same results.
    void poolAppliesReluMask_data() {
        QTest::addColumn<QString>("conv");
        // Winograd (8 channels) and direct (3 in: 27 taps) convolutions.
        QTest::newRow("Winograd conv") << "{\"in_channels\": 8, \"out_channels\": 8, \"kernel_size\": 3, \"padding\": 1}";
        QTest::newRow("direct conv") << "{\"in_channels\": 3, \"out_channels\": 8, \"kernel_size\": 3, \"padding\": 1}";
    }

    void poolAppliesReluMask() {
        QFETCH(QString, conv);
        const Json args = Json::parse(conv.toStdString());
        auto text = [&](bool reluAlsoOutput) {
            Json outputs = Json::array({{{"name", "p"}, {"from", "p"}}});
            if (reluAlsoOutput) outputs.push_back({{"name", "r"}, {"from", "r"}});
            return netModel({args["in_channels"], 10, 12},
                            {{"conv", {{"type", "Conv2d"}, {"args", args}}},
                             {"pool", {{"type", "MaxPool2d"}, {"args", {{"kernel_size", 2}}}}}},
                            {{{"id", "h"}, {"call", "conv"}, {"in", {"x"}}},
                             {{"id", "r"}, {"op", "relu"}, {"in", {"h"}}},
                             {{"id", "p"}, {"call", "pool"}, {"in", {"r"}}}},
                            outputs);
        };
        const Run fused = trainStep(text(false), 3);
        const Run apart = trainStep(text(true), 3);
        QCOMPARE(fused.steps, 2); // conv+relu, pool
        QCOMPARE(apart.steps, 2);
        expectClose("output", fused.output, apart.output);
        for (size_t t = 0; t < fused.state.size(); ++t)
            expectClose((fused.state[t].name + " grad").c_str(), fused.state[t].grad, apart.state[t].grad);
        QVERIFY(std::count(fused.output.begin(), fused.output.end(), 0.0f) > 0); // windows whose max the ReLU clipped
    }
};

QTEST_GUILESS_MAIN(TestPlanFusion)
#include "tst_plan_fusion.moc"
