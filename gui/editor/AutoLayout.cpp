#include "editor/AutoLayout.h"

#include "editor/NodeLook.h"

#include <QRectF>

#include <algorithm>
#include <cmath>

namespace ml::gui {

namespace {
constexpr double kColumnGap = 90;
constexpr double kRowGap = 40;
constexpr double kBandGap = 120;    // between wrapped rows: room for the wire that turns back
constexpr double kWrapWidth = 1000; // wider than this in one row: wrap
constexpr double kAspect = 1.4;     // the shape wrapped rows aim for (a window's)

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
    std::vector<double> widths, heights;
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
        for (size_t i = 0; i < column.size(); ++i) {
            const QSizeF s = sizeOf(column[i]);
            width = std::max(width, s.width());
            height += s.height() + (i ? kRowGap : 0);
            row[column[i]] = static_cast<double>(i);
        }
        widths.push_back(width);
        heights.push_back(height);
    }
    // A long chain in one row is unreadable once fitted to a window: wrap the
    // columns into bands (rows of columns), as many as bring the whole close
    // to a window's shape. Short graphs stay in one row.
    double totalWidth = 0, tallest = 0;
    for (size_t c = 0; c < widths.size(); ++c) {
        totalWidth += widths[c] + (c ? kColumnGap : 0);
        tallest = std::max(tallest, heights[c]);
    }
    int bands = 1;
    if (totalWidth > kWrapWidth) {
        double best = 1e18;
        for (int k = 1; k <= static_cast<int>(widths.size()); ++k) {
            const double aspect = (totalWidth / k) / (k * tallest + (k - 1) * kBandGap);
            const double miss = std::abs(std::log(aspect / kAspect));
            if (miss < best) {
                best = miss;
                bands = k;
            }
        }
    }
    const double bandWidth = totalWidth / bands;
    // A row may only end where the graph is a chain: at most one wire (not
    // counting int64 index wires, which select rather than carry data)
    // crosses from one column to the next, so no skip connection runs across rows.
    std::vector<int> crossing(columns.size(), 0);
    for (const Wire& w : model.wires(definition)) {
        if (model.outputPortKind(definition, w.from.key, w.from.port) == PortKind::Index) continue;
        for (int c = layer[w.from.key]; c < layer[w.to.key]; ++c) ++crossing[static_cast<size_t>(c)];
    }
    std::vector<double> rest(columns.size() + 1, 0); // width of the columns from c on
    for (size_t c = columns.size(); c-- > 0;) rest[c] = rest[c + 1] + widths[c] + kColumnGap;
    // Columns go left to right; a band ends once it is as wide as its share.
    double x = 0, bandTop = 0, bandHeight = 0;
    for (size_t c = 0; c < columns.size(); ++c) {
        if (x > 0 && x + widths[c] / 2 > bandWidth && crossing[c - 1] <= 1 && rest[c] >= x / 2) {
            bandTop += bandHeight + kBandGap;
            bandHeight = 0;
            x = 0;
        }
        bandHeight = std::max(bandHeight, heights[c]);
        // One row: centred; wrapped rows: top-aligned, so the gap above each row stays clear for the wire coming back.
        double y = bands == 1 ? (tallest - heights[c]) / 2 : bandTop;
        for (const QString& k : columns[c]) {
            out[k] = QPointF(snap(x), snap(y));
            y += sizeOf(k).height() + kRowGap;
        }
        x += widths[c] + kColumnGap;
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
