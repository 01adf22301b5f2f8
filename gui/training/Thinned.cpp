#include "training/Thinned.h"

#include <algorithm>
#include <cmath>

namespace ml::gui {

void Thinned::add(double x, double y) {
    if (!std::isfinite(x) || !std::isfinite(y)) return;
    ++m_count;
    if (m_buckets.empty() || m_buckets.back().n >= m_size) m_buckets.push_back({x, y, x, y, 0});
    Bucket& b = m_buckets.back();
    if (y < b.yMin) b.yMin = y, b.xMin = x;
    if (y > b.yMax) b.yMax = y, b.xMax = x;
    ++b.n;
    if (m_buckets.size() <= static_cast<std::size_t>(m_max)) return;
    // Merge neighbours: the bucket size doubles, extremes are kept.
    std::vector<Bucket> merged;
    merged.reserve(m_buckets.size() / 2 + 1);
    for (std::size_t i = 0; i < m_buckets.size(); i += 2) {
        Bucket m = m_buckets[i];
        if (i + 1 < m_buckets.size()) {
            const Bucket& o = m_buckets[i + 1];
            if (o.yMin < m.yMin) m.yMin = o.yMin, m.xMin = o.xMin;
            if (o.yMax > m.yMax) m.yMax = o.yMax, m.xMax = o.xMax;
            m.n += o.n;
        }
        merged.push_back(m);
    }
    m_buckets = std::move(merged);
    m_size *= 2;
}

void Thinned::clear() {
    m_buckets.clear();
    m_size = 1;
    m_count = 0;
}

QVector<QCPGraphData> Thinned::points() const {
    QVector<QCPGraphData> out;
    out.reserve(static_cast<int>(2 * m_buckets.size()));
    for (const Bucket& b : m_buckets) {
        if (b.xMin == b.xMax) {
            out.push_back(QCPGraphData(b.xMin, b.yMin));
        } else if (b.xMin < b.xMax) {
            out.push_back(QCPGraphData(b.xMin, b.yMin));
            out.push_back(QCPGraphData(b.xMax, b.yMax));
        } else {
            out.push_back(QCPGraphData(b.xMax, b.yMax));
            out.push_back(QCPGraphData(b.xMin, b.yMin));
        }
    }
    return out;
}

bool Thinned::bounds(double& xLo, double& xHi, double& yLo, double& yHi) const {
    if (m_buckets.empty()) return false;
    xLo = std::min(m_buckets.front().xMin, m_buckets.front().xMax);
    xHi = std::max(m_buckets.back().xMin, m_buckets.back().xMax);
    yLo = m_buckets.front().yMin;
    yHi = m_buckets.front().yMax;
    for (const Bucket& b : m_buckets) {
        yLo = std::min(yLo, b.yMin);
        yHi = std::max(yHi, b.yMax);
    }
    return true;
}

} // namespace ml::gui
