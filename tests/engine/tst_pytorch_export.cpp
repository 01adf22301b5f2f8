// export pytorch: the exact text of the generated classes, the refusals,
// and that every layer and op the engine knows has a PyTorch form.
// (tests/export/check_export.py runs the generated files in PyTorch.)
#include "core/Error.h"
#include "io/ModelJson.h"
#include "io/PyTorchExport.h"
#include "model/LayerCatalog.h"
#include "shape/Analysis.h"

#include <QTest>

namespace {

const std::string kSourceDir = MODULELAB_SOURCE_DIR;

std::string exportFile(const std::string& path) {
    const ml::ModelDocument doc = ml::io::readModelFile(kSourceDir + "/" + path);
    return ml::io::exportPyTorch(doc, ml::analyze(doc), "x.json").text;
}

std::string classes(const std::string& text) {
    return text.substr(text.find("\n\nclass ") + 2);
}

std::string refusal(const std::string& json) {
    const ml::ModelDocument doc = ml::io::parseModel(json);
    try {
        ml::io::exportPyTorch(doc, ml::analyze(doc), "x.json");
    } catch (const ml::Error& e) {
        return e.what();
    }
    return "(exported)";
}

} // namespace

class TestPyTorchExport : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void multitaskText() {
        const std::string text = exportFile("resources/examples/multitask.json");
        QVERIFY(text.starts_with("\"\"\"MultiTaskNetwork in PyTorch, exported from x.json by ModuleLab " +
                                 std::string(ml::io::moduleLabVersion()) + ".\n"));
        QCOMPARE(classes(text), std::string(R"(class MultiTaskNetwork(nn.Module):
    """A shared trunk and one head per task; forward(x, task_index) runs the
    trunk and the chosen head."""

    def __init__(self):
        super().__init__()
        self.shared_layer = nn.Linear(10, 5)
        self.task_layers = nn.ModuleList([
            nn.Linear(5, 2),
            nn.Linear(5, 3),
            nn.Linear(5, 1),
        ])

    def forward(self, x, task_index):
        h = self.shared_layer(x)
        a = torch.relu(h)
        y = self.task_layers[task_index](a)
        return y
)"));
    }

    void sharedTaskText() {
        // same_as: one object under two names; inferred in_features written out.
        const std::string text = classes(exportFile("tests/export/shared_task.json"));
        QVERIFY(text.find("        self.trunk_again = self.trunk  # the same instance, a second name\n") !=
                std::string::npos);
        QVERIFY(text.find("            nn.Linear(10, 3),\n") != std::string::npos);
        QVERIFY(text.find("        skip = h1 + h2\n        y = self.task_layers[task_index](skip)\n") !=
                std::string::npos);
    }

    void resnetBlockClass() {
        const std::string text = classes(exportFile("resources/examples/resnet.json"));
        QVERIFY(text.starts_with("class ResidualBlock(nn.Module):"));
        QVERIFY(text.find("    def __init__(self, in_channels, out_channels):\n") != std::string::npos);
        QVERIFY(text.find("        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, padding=1)\n") !=
                std::string::npos);
        QVERIFY(text.find("            nn.Conv2d(in_channels, out_channels, 1, bias=False),\n") !=
                std::string::npos);
        QVERIFY(text.find("        sum_ = b2 + s\n        out = self.relu(sum_)\n") != std::string::npos);
        QVERIFY(text.find("        self.block2 = ResidualBlock(64, 128)\n") != std::string::npos);
        QVERIFY(text.find("        flat = torch.flatten(p, 1)\n") != std::string::npos);
    }

    void spansNameNodes() {
        const ml::ModelDocument doc = ml::io::readModelFile(kSourceDir + "/resources/examples/siamese.json");
        const ml::io::PyTorchCode code = ml::io::exportPyTorch(doc, ml::analyze(doc), "x.json");
        std::vector<std::string> lines;
        size_t at = 0;
        for (size_t nl; (nl = code.text.find('\n', at)) != std::string::npos; at = nl + 1)
            lines.push_back(code.text.substr(at, nl - at));
        int found = 0;
        for (const ml::io::CodeSpan& s : code.spans) {
            if (s.node == "eb") {
                QCOMPARE(lines.at(static_cast<size_t>(s.firstLine - 1)), std::string("        eb = self.encoder(b)"));
                ++found;
            }
            if (s.child == "encoder") {
                QCOMPARE(s.lastLine - s.firstLine, 4);
                QCOMPARE(lines.at(static_cast<size_t>(s.firstLine - 1)),
                         std::string("        self.encoder = nn.Sequential("));
                ++found;
            }
        }
        QCOMPARE(found, 2);
    }

    void everyLayerAndOpHasAForm() {
        for (const ml::LayerType& t : ml::layerTypes())
            QVERIFY2(!ml::io::pytorchLayerClass(t.name).empty(), t.name.c_str());
        for (const ml::OpType& t : ml::opTypes()) QVERIFY2(ml::io::pytorchOpSupported(t.name), t.name.c_str());
        QCOMPARE(ml::io::pytorchLayerClass("Conv3d"), std::string());
    }

    void refusals() {
        const std::string broken = refusal(R"({"format": "modulelab-model", "version": 1, "model": "M",
            "definitions": {"M": {"kind": "block", "inputs": [{"name": "x", "shape": [3]}],
            "children": {"fc": {"type": "Linear", "args": {"in_features": 4, "out_features": 2}}},
            "nodes": [{"id": "y", "call": "fc", "in": ["x"]}], "outputs": [{"name": "y", "from": "y"}]}}})");
        QVERIFY2(broken.starts_with("x.json: the model has errors and cannot be exported; first: error: fc"),
                 broken.c_str());
        const std::string keyword = refusal(R"({"format": "modulelab-model", "version": 1, "model": "M",
            "definitions": {"M": {"kind": "block", "inputs": [{"name": "x", "shape": [3]}],
            "children": {"training": {"type": "Linear", "args": {"out_features": 2}}},
            "nodes": [{"id": "y", "call": "training", "in": ["x"]}], "outputs": [{"name": "y", "from": "y"}]}}})");
        QCOMPARE(keyword, std::string("M.training: 'training' is an attribute every nn.Module has; rename the child"));
    }
};

QTEST_GUILESS_MAIN(TestPyTorchExport)
#include "tst_pytorch_export.moc"
