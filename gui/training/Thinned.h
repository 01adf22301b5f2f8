#pragma once
// A long curve's drawn copy: consecutive points go into buckets and each
// bucket is drawn as its minimum and its maximum (in x order), so a spike
// of one step survives any amount of thinning (random or stride sampling
// would drop it). When there are more than maxBuckets buckets, neighbours
// merge and the bucket size doubles, so appending costs O(1) amortized and
// the drawn copy stays under 2 * maxBuckets points for any length.
//
//   Thinned t(2048);
//   for (...) t.add(step, value);     // non-finite values are not drawn
//   graph->data()->set(t.points(), true);
#include "training/QCustomPlotInclude.h"

#include <cstddef>
#include <vector>

namespace ml::gui {

class Thinned {
public:
    explicit Thinned(int maxBuckets = 2048) : m_max(maxBuckets) {}

    void add(double x, double y);
    void clear();
    QVector<QCPGraphData> points() const;       // what is drawn, sorted by x
    std::size_t bucketSize() const { return m_size; } // raw points per bucket
    std::size_t count() const { return m_count; }     // finite points added
    bool bounds(double& xLo, double& xHi, double& yLo, double& yHi) const; // false when empty

private:
    struct Bucket {
        double xMin, yMin, xMax, yMax; // where the minimum and the maximum are
        std::size_t n = 0;
    };
    int m_max;
    std::size_t m_size = 1;
    std::size_t m_count = 0;
    std::vector<Bucket> m_buckets;
};

} // namespace ml::gui
