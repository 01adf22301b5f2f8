#include "app/RenderBenchmark.h"

#include "editor/Editor.h"
#include "editor/EditorScene.h"
#include "editor/EditorView.h"
#include "model/LayerCatalog.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QWindow>

#include <algorithm>

namespace ml::gui {

namespace {
// n nodes: rows of Linear layers with a residual add every fourth node, so
// the graph has wires that cross columns as real models do.
ModelDocument generated(int n) {
    ModelDocument doc;
    doc.model = "Generated";
    BlockDef b;
    b.name = "Generated";
    b.inputs.push_back({"x", DType::Float32, std::vector<Index>{32}});
    const int perRow = 40;
    std::string prev = "x";
    for (int i = 0; i < n; ++i) {
        Node node;
        node.id = "n" + std::to_string(i);
        if (i % 4 == 3) {
            node.op = "add";
            node.inputs = {prev, "n" + std::to_string(i - 2)};
        } else {
            const std::string child = "l" + std::to_string(i);
            ModuleSpec s;
            s.type = layerName(LayerId::Linear);
            s.args = {{"in_features", 32}, {"out_features", 32}};
            b.children.push_back({child, s});
            node.call = child;
            node.inputs = {prev};
        }
        prev = node.id;
        b.nodes.push_back(node);
        doc.layout["positions"]["Generated"][node.id] = Json::array({(i % perRow) * 260, (i / perRow) * 160});
    }
    b.outputs.push_back({"y", prev});
    doc.definitions.push_back(b);
    return doc;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}
} // namespace

int runRenderBenchmark(const std::vector<int>& sizes, std::FILE* out) {
    for (int n : sizes) {
        Editor editor;
        editor.setDocument(generated(n));
        EditorView view(&editor);
        view.setMinimapVisible(false);
        view.resize(1600, 1000);
        view.show();
        // A repaint of a window not yet exposed draws nothing: wait for the window system.
        QElapsedTimer wait;
        wait.start();
        while ((!view.windowHandle() || !view.windowHandle()->isExposed()) && wait.elapsed() < 5000)
            QApplication::processEvents(QEventLoop::AllEvents, 50);
        QApplication::processEvents();
        view.frameAll();
        const QTransform fitted = view.transform();
        std::vector<double> frames;
        QElapsedTimer timer;
        // Scripted: 40 pan steps across the fitted view, then 40 zoom steps in and back out.
        for (int frame = 0; frame < 240; ++frame) { // the script three times
            const int step = frame % 80;
            if (step < 40) {
                view.setTransform(fitted);
                view.centerOn(view.mapToScene(view.viewport()->rect().center()) + QPointF(step * 20.0, step * 8.0));
            } else {
                const double z = 1.0 + 0.05 * (step < 60 ? step - 40 : 80 - step);
                view.setTransform(fitted * QTransform::fromScale(z, z));
            }
            timer.start();
            view.viewport()->repaint(); // synchronous: the whole frame
            frames.push_back(static_cast<double>(timer.nsecsElapsed()) / 1e6);
        }
        std::fprintf(out, "render-bench: %d nodes, %zu wires, fit to 1600x1000: median frame %.2f ms (min %.2f, max %.2f) over %zu frames of pan and zoom\n",
                     n, editor.scene()->wireItems().size(), median(frames),
                     *std::min_element(frames.begin(), frames.end()), *std::max_element(frames.begin(), frames.end()),
                     frames.size());
        std::fflush(out);
    }
    return 0;
}

} // namespace ml::gui
