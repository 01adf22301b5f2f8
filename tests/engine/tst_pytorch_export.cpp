// export pytorch: the exact text of the generated classes, the refusals,
// and that every layer and op the engine knows has a PyTorch form.
// (tests/export/check_export.py runs the generated files in PyTorch.)
#include "core/Error.h"
#include "io/ModelJson.h"
#include "io/PyTorchExport.h"
#include "model/LayerCatalog.h"
#include "shape/Analysis.h"

#include <QTest>
#include <set>

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
    try {
        const ml::ModelDocument doc = ml::io::parseModel(json);
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

    void everyCatalogEntryIsInTheCheckedModel() {
        // tests/export/every_layer.json is what check_export.py runs in PyTorch
        // for the layers; each catalog entry must be in it, so a new layer
        // cannot go unchecked. Its constructor text is asserted in everyLayerText.
        const ml::ModelDocument doc = ml::io::readModelFile(kSourceDir + "/tests/export/every_layer.json");
        const ml::Analysis a = ml::analyze(doc);
        QVERIFY(a.ok());
        std::set<std::string> layers, ops;
        for (const ml::ModuleInstance& m : a.tree.instances) layers.insert(m.type);
        for (const ml::Node& n : doc.findDefinition(doc.model)->nodes)
            if (!n.isCall()) ops.insert(n.op);
        const std::string text = ml::io::exportPyTorch(doc, a, "every_layer.json").text;
        for (const ml::LayerType& t : ml::layerTypes()) {
            QVERIFY2(layers.count(t.name), ("every_layer.json does not use " + t.name).c_str());
            QVERIFY2(text.find(ml::io::pytorchLayerClass(t.name) + "(") != std::string::npos, t.name.c_str());
        }
        for (const ml::OpType& t : ml::opTypes())
            QVERIFY2(ops.count(t.name), ("every_layer.json does not use the op " + t.name).c_str());
    }

    void everyLayerText() {
        // Each argument away from its default, in PyTorch's spelling.
        QCOMPARE(classes(exportFile("tests/export/every_layer.json")), std::string(R"(class EveryLayer(nn.Module):
    """Every layer and op of the catalog once, with arguments away from their
    defaults, so the export of each is checked against PyTorch
    (tests/export/check_export.py); tst_pytorch_export checks that none is
    missing."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=2, dilation=2, bias=False)
        self.bn2 = nn.BatchNorm2d(8, eps=0.001, momentum=0.2)
        self.act = nn.LeakyReLU(0.2)
        self.conv2 = nn.Conv2d(
            8,
            8,
            (3, 1),
            stride=(2, 1),
            padding=(1, 0),
            groups=2,
        )
        self.pools = nn.Sequential(
            nn.MaxPool2d(2, 1, padding=1, ceil_mode=True),
            nn.AvgPool2d(
                3,
                2,
                padding=1,
                ceil_mode=True,
                count_include_pad=False,
            ),
            nn.AdaptiveAvgPool2d((3, 5)),
        )
        self.gelu = nn.GELU(approximate='tanh')
        self.flat = nn.Flatten(start_dim=2)
        self.norm = nn.LayerNorm((8, 15), eps=1e-04)
        self.soft = nn.Softmax(dim=1)
        self.fc = nn.Linear(120, 16, bias=False)
        self.bn1 = nn.BatchNorm1d(16, momentum=0.3, affine=False)
        self.heads = nn.ModuleList([
            nn.Tanh(),
            nn.Sigmoid(),
            nn.ReLU(),
            nn.Identity(),
        ])
        self.drop = nn.Dropout(0.3)
        self.out = nn.Linear(48, 10)
        self.logp = nn.LogSoftmax(dim=1)

    def forward(self, x):
        c1 = self.conv1(x)
        b2 = self.bn2(c1)
        a = self.act(b2)
        c2 = self.conv2(a)
        p = self.pools(c2)
        g = self.gelu(p)
        f = self.flat(g)
        n = self.norm(f)
        s = self.soft(n)
        v = torch.flatten(s, 1, 2)
        h = self.fc(v)
        hb = self.bn1(h)
        t = self.heads[0](hb)
        sg = self.heads[1](hb)
        i = self.heads[-1](hb)
        chain = hb
        for layer in self.heads:
            chain = layer(chain)
        r = torch.relu(hb)
        total = t + sg + i
        cat = torch.cat([total, r, chain], dim=-1)
        d = self.drop(cat)
        o = self.out(d)
        y = self.logp(o)
        return y
)"));
    }

    void aLayerWithNoPyTorchFormIsRefusedByName() {
        const std::string conv3d = refusal(R"({"format": "modulelab-model", "version": 1, "model": "M",
            "definitions": {"M": {"kind": "block", "inputs": [{"name": "x", "shape": [3]}],
            "children": {"c": {"type": "Conv3d", "args": {"out_channels": 2}}},
            "nodes": [{"id": "y", "call": "c", "in": ["x"]}], "outputs": [{"name": "y", "from": "y"}]}}})");
        QVERIFY2(conv3d.find("Conv3d") != std::string::npos, conv3d.c_str());
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
