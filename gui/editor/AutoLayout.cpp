#include "editor/AutoLayout.h"

#include "editor/NodeLook.h"

#include <QRectF>

#include <algorithm>
#include <cmath>

namespace ml::gui {

namespace {
constexpr double kColumnGap = 90;
constexpr double kRowGap = 40;

double snap(double v) { return std::round(v / kGrid) * kGrid; }

// Layer of each key: inputs 0, every other item one more than its deepest source.
std::map<QString, int> layers(const GraphModel& model, const QString& definition, const QStringList& keys) {
    std::map<QString, std::vector<QString>> sources;
    for (const Wire& w : model.wires(definition)) sources[w.to.key].push_back(w.from.key);
    std::map<QString, int> layer;
    std::map<QString, int> state; // 1 visiting, 2 done: a cycle must not loop forever
    std::function<int(const QString&)> depth = [&](const QString& k) -> int {
        if (state[k] == 2) return layer[k];
        if (state[k] == 1) return 0;
        state[k] = 1;
        int d = k.startsWith(QLatin1String("input:")) ? 0 : 1;
        for (const QString& s : sources[k]) d = std::max(d, depth(s) + 1);
        state[k] = 2;
        layer[k] = d;
        return d;
    };
    int maxLayer = 0;
    for (const QString& k : keys) maxLayer = std::max(maxLayer, depth(k));
    for (const QString& k : keys)
        if (k.startsWith(QLatin1String("output:"))) layer[k] = std::max(layer[k], maxLayer);
    return layer;
}
} // namespace

std::map<QString, QPointF> layoutAll(const GraphModel& model, const QString& definition, const SizeOf& sizeOf) {
    std::map<QString, QPointF> out;
    const QStringList keys = model.itemKeys(definition);
    std::map<QString, int> layer = layers(model, definition, keys);
    int maxLayer = 0;
    for (const auto& [k, l] : layer) maxLayer = std::max(maxLayer, l);
    std::vector<std::vector<QString>> columns(static_cast<size_t>(maxLayer) + 1);
    for (const QString& k : keys) columns[static_cast<size_t>(layer[k])].push_back(k);
    // Order each column by the mean row of its sources (one barycentre sweep).
    std::map<QString, std::vector<QString>> sources;
    for (const Wire& w : model.wires(definition)) sources[w.to.key].push_back(w.from.key);
    std::map<QString, double> row;
    double x = 0;
    for (auto& column : columns) {
        for (size_t i = 0; i < column.size(); ++i) {
            double sum = 0;
            int n = 0;
            for (const QString& s : sources[column[i]])
                if (row.count(s)) {
                    sum += row[s];
                    ++n;
                }
            row[column[i]] = n ? sum / n + 1e-3 * static_cast<double>(i) : static_cast<double>(i);
        }
        std::stable_sort(column.begin(), column.end(), [&](const QString& a, const QString& b) { return row[a] < row[b]; });
        double width = 0, height = 0;
        for (const QString& k : column) {
            const QSizeF s = sizeOf(k);
            width = std::max(width, s.width());
            height += s.height() + kRowGap;
        }
        double y = -height / 2;
        for (size_t i = 0; i < column.size(); ++i) {
            const QSizeF s = sizeOf(column[i]);
            out[column[i]] = QPointF(snap(x), snap(y));
            row[column[i]] = static_cast<double>(i);
            y += s.height() + kRowGap;
        }
        x += width + kColumnGap;
    }
    return out;
}

std::map<QString, QPointF> layoutMissing(const GraphModel& model, const QString& definition, const SizeOf& sizeOf) {
    const QStringList keys = model.itemKeys(definition);
    std::map<QString, QPointF> placed;
    QStringList missing;
    for (const QString& k : keys) {
        if (auto p = model.position(definition, k)) placed[k] = *p;
        else missing << k;
    }
    if (missing.isEmpty()) return {};
    if (placed.empty()) return layoutAll(model, definition, sizeOf);
    // Place each missing item right of its placed sources, then below anything it would overlap.
    std::map<QString, std::vector<QString>> sources;
    for (const Wire& w : model.wires(definition)) sources[w.to.key].push_back(w.from.key);
    std::vector<QRectF> taken;
    for (const auto& [k, p] : placed) taken.emplace_back(p, sizeOf(k));
    std::map<QString, QPointF> out;
    const std::map<QString, int> layer = layers(model, definition, keys);
    std::stable_sort(missing.begin(), missing.end(),
                     [&](const QString& a, const QString& b) { return layer.at(a) < layer.at(b); });
    double right = -1e9, top = 1e9;
    for (const QRectF& r : taken) {
        right = std::max(right, r.right());
        top = std::min(top, r.top());
    }
    for (const QString& k : missing) {
        QPointF p(right + kColumnGap, top);
        double bestX = -1e9, y = 0;
        int n = 0;
        for (const QString& s : sources[k]) {
            auto it = placed.find(s);
            if (it == placed.end()) continue;
            bestX = std::max(bestX, it->second.x() + sizeOf(s).width() + kColumnGap);
            y += it->second.y();
            ++n;
        }
        if (n) p = QPointF(bestX, y / n);
        else if (k.startsWith(QLatin1String("input:"))) {
            double left = 1e9;
            for (const QRectF& r : taken) left = std::min(left, r.left());
            p = QPointF(left - 150 - kColumnGap, top);
        }
        p = QPointF(snap(p.x()), snap(p.y()));
        const QSizeF size = sizeOf(k);
        for (int guard = 0; guard < 1000; ++guard) {
            const QRectF r(p, size);
            const auto hit = std::find_if(taken.begin(), taken.end(), [&](const QRectF& t) {
                return t.adjusted(-10, -10, 10, 10).intersects(r);
            });
            if (hit == taken.end()) break;
            p.setY(snap(hit->bottom() + kRowGap));
        }
        taken.emplace_back(p, size);
        placed[k] = p;
        out[k] = p;
    }
    return out;
}

} // namespace ml::gui
