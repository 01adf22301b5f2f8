#include "training/DecisionRegions.h"
#include "training/PlotTheme.h"

#include "training/QCustomPlotInclude.h"
#include "train/TrainingData.h"

#include <QCheckBox>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>

namespace ml::gui {

namespace {
const QColor kClassColors[] = {QColor(245, 146, 35), QColor(8, 119, 189), QColor(44, 160, 44), QColor(214, 39, 40),
                               QColor(148, 103, 189)};
}

void DecisionRegions::applyTheme() { applyPlotTheme(m_plot); }

DecisionRegions::DecisionRegions(QWidget* parent)
    : QWidget(parent), m_plot(new QCustomPlot(this)), m_hard(new QCheckBox(tr("Hard regions (class only)"), this)) {
    setObjectName(QStringLiteral("Decision regions"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_plot);
    layout->addWidget(m_hard);
    m_plot->xAxis->setLabel(tr("feature 0"));
    m_plot->yAxis->setLabel(tr("feature 1"));
    m_plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
    m_map = new QCPColorMap(m_plot->xAxis, m_plot->yAxis);
    m_map->data()->setSize(kResolution, kResolution);
    m_map->setInterpolate(false);
    applyPlotTheme(m_plot);
    // Equal scales on both axes, whatever the panel's shape (in the wide, low
    // bottom strip the spirals were drawn as flat ellipses): the axis with the
    // fewer units per pixel widens; a drag or zoom keeps the ratio.
    connect(m_plot, &QCustomPlot::afterLayout, this, [this] {
        const QRect r = m_plot->axisRect()->rect();
        if (r.width() < 10 || r.height() < 10) return;
        const QCPRange x = m_plot->xAxis->range(), y = m_plot->yAxis->range();
        const double perPixel = std::max(x.size() / r.width(), y.size() / r.height());
        const double halfW = perPixel * r.width() / 2, halfH = perPixel * r.height() / 2;
        m_plot->xAxis->setRange(x.center() - halfW, x.center() + halfW);
        m_plot->yAxis->setRange(y.center() - halfH, y.center() + halfH);
    });
    connect(m_hard, &QCheckBox::toggled, this, [this] {
        if (m_step >= 0) show(m_last);
    });
}

std::vector<float> DecisionRegions::setData(const TrainingData& data) {
    clear();
    const data::Dataset& set = data.train;
    std::vector<float> grid;
    if (set.sampleSize() != 2) return grid;
    float x0 = 1e30f, x1 = -1e30f, y0 = 1e30f, y1 = -1e30f;
    const float* f = set.features.ptr();
    for (Index r = 0; r < set.count(); ++r) {
        const float px = f[2 * r], py = f[2 * r + 1];
        x0 = std::min(x0, px), x1 = std::max(x1, px), y0 = std::min(y0, py), y1 = std::max(y1, py);
    }
    const float mx = 0.1f * (x1 - x0), my = 0.1f * (y1 - y0);
    m_x0 = x0 - mx, m_x1 = x1 + mx, m_y0 = y0 - my, m_y1 = y1 + my;
    m_map->data()->setRange(QCPRange(m_x0, m_x1), QCPRange(m_y0, m_y1));
    for (int j = 0; j < kResolution; ++j)
        for (int i = 0; i < kResolution; ++i) {
            double gx, gy;
            m_map->data()->cellToCoord(i, j, &gx, &gy);
            grid.push_back(static_cast<float>(gx));
            grid.push_back(static_cast<float>(gy));
        }
    // Training points by class, on top (at most 600 of them so the regions stay visible).
    const data::Target* labels = nullptr;
    for (const data::Target& t : set.targets)
        if (t.kind == data::TargetKind::Classes) labels = &t;
    const Index stride = std::max<Index>(1, set.count() / 600);
    for (Index r = 0; r < set.count(); r += stride) {
        const int c = labels ? static_cast<int>(labels->classes[static_cast<size_t>(r)]) : 0;
        while (static_cast<int>(m_points.size()) <= c) {
            QCPGraph* g = m_plot->addGraph();
            g->setLineStyle(QCPGraph::lsNone);
            const QColor color = kClassColors[m_points.size() % 5];
            g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, Qt::white, color, 5));
            m_points.push_back(g);
        }
        m_points[static_cast<size_t>(c)]->addData(f[2 * r], f[2 * r + 1]);
    }
    m_plot->xAxis->setRange(m_x0, m_x1);
    m_plot->yAxis->setRange(m_y0, m_y1);
    m_plot->replot(QCustomPlot::rpQueuedReplot);
    return grid;
}

void DecisionRegions::show(const GridReport& g) {
    if (g.points != Index(kResolution) * kResolution || g.width < 1) return;
    m_last = g;
    m_step = g.step;
    m_classes = g.classes;
    const int classes = static_cast<int>(std::max<Index>(2, g.width));
    // Soft: the winning class's softmax probability fades it towards white.
    for (int j = 0; j < kResolution; ++j)
        for (int i = 0; i < kResolution; ++i) {
            const size_t p = static_cast<size_t>(j * kResolution + i);
            const int c = g.classes[p];
            double conf = 1;
            if (!m_hard->isChecked()) {
                const float* s = g.scores.data() + p * static_cast<size_t>(g.width);
                const float top = s[c];
                double sum = 0;
                for (Index k = 0; k < g.width; ++k) sum += std::exp(double(s[k] - top));
                conf = (1.0 / sum - 1.0 / classes) / (1.0 - 1.0 / classes); // 0 at chance, 1 when certain
            }
            m_map->data()->setCell(i, j, c + 0.5 * std::clamp(conf, 0.0, 1.0));
        }
    // Each class c spans [c, c+0.5): white at chance, the class color when certain.
    QCPColorGradient gradient;
    gradient.setLevelCount(350);
    gradient.clearColorStops();
    for (int c = 0; c < classes; ++c) {
        const double a = double(c) / classes, b = (double(c) + 0.5) / classes;
        gradient.setColorStopAt(a, Qt::white);
        gradient.setColorStopAt(std::min(1.0, b), kClassColors[c % 5].lighter(130));
        if (c + 1 < classes) gradient.setColorStopAt((double(c) + 0.999) / classes, kClassColors[c % 5].lighter(130));
    }
    m_map->setGradient(gradient);
    m_map->setDataRange(QCPRange(0, classes));
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void DecisionRegions::clear() {
    for (QCPGraph* g : m_points) m_plot->removeGraph(g);
    m_points.clear();
    m_classes.clear();
    m_step = -1;
    m_map->data()->fill(0);
}

} // namespace ml::gui
