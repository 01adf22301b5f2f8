#pragma once
// The decision regions of a classifier with 2-D input: a grid over the
// data's range evaluated between steps (GridReport), the training points on
// top, a toggle for hard regions (the class) against soft ones (confidence).
#include "train/Reports.h"

#include <QWidget>
#include <vector>

class QCustomPlot;
class QCPColorMap;
class QCPGraph;
class QCheckBox;

namespace ml {
struct TrainingData;
}

namespace ml::gui {

class DecisionRegions : public QWidget {
    Q_OBJECT

public:
    static constexpr int kResolution = 60;

    explicit DecisionRegions(QWidget* parent = nullptr);
    // The grid the trainer evaluates (kResolution^2 points over the data's range
    // with a margin), and the training points drawn on top.
    std::vector<float> setData(const TrainingData& data);
    void show(const GridReport& grid);
    void clear();
    void applyTheme(); // the window's theme changed

    QCustomPlot* plot() const { return m_plot; }
    QCPColorMap* map() const { return m_map; }
    const std::vector<int>& classes() const { return m_classes; } // last grid shown
    Index gridStep() const { return m_step; }

private:
    QCustomPlot* m_plot;
    QCPColorMap* m_map;
    std::vector<QCPGraph*> m_points;
    QCheckBox* m_hard;
    std::vector<int> m_classes;
    GridReport m_last;
    Index m_step = -1;
    double m_x0 = -1, m_x1 = 1, m_y0 = -1, m_y1 = 1;
};

} // namespace ml::gui
