#include "training/LivePlot.h"
#include "training/PlotTheme.h"

#include "training/QCustomPlotInclude.h"

#include <QFile>
#include <QFileDialog>
#include <QMenu>
#include <QMessageBox>
#include <QTextStream>
#include <QVBoxLayout>
#include <cmath>

namespace ml::gui {

namespace {

QColor colorFor(int i) {
    static const QColor palette[] = {QColor(31, 119, 180), QColor(255, 127, 14), QColor(44, 160, 44),
                                     QColor(214, 39, 40),  QColor(148, 103, 189), QColor(140, 86, 75),
                                     QColor(227, 119, 194), QColor(127, 127, 127), QColor(188, 189, 34),
                                     QColor(23, 190, 207)};
    return palette[i % 10];
}

QString axisLabel(XAxis axis) {
    switch (axis) {
    case XAxis::Step: return QObject::tr("step");
    case XAxis::Epoch: return QObject::tr("epoch");
    case XAxis::Time: return QObject::tr("wall time (s)");
    }
    return {};
}

} // namespace

void LivePlot::applyTheme() { applyPlotTheme(m_plot); }

LivePlot::LivePlot(const QString& title, const QString& yLabel, bool logY, QWidget* parent)
    : QWidget(parent), m_plot(new QCustomPlot(this)), m_title(title), m_logY(logY) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_plot);
    setObjectName(title);
    m_plot->setObjectName(title);
    m_plot->plotLayout()->insertRow(0);
    m_plot->plotLayout()->addElement(0, 0, new QCPTextElement(m_plot, title, QFont(font().family(), 9, QFont::Bold)));
    m_plot->xAxis->setLabel(axisLabel(m_xAxis));
    m_plot->yAxis->setLabel(yLabel);
    if (logY) {
        m_plot->yAxis->setScaleType(QCPAxis::stLogarithmic);
        m_plot->yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
    }
    m_plot->legend->setVisible(true);
    m_plot->legend->setFont(QFont(font().family(), 7));
    // Compact and see-through: in the bottom strip a plot is ~170 px tall and
    // seven opaque legend rows hid most of the curves.
    m_plot->legend->setIconSize(14, 6);
    m_plot->legend->setRowSpacing(0);
    m_plot->legend->setMargins(QMargins(4, 1, 4, 1));
    applyPlotTheme(m_plot); // see-through, in the window's colours
    // Antialiasing thousands of line segments costs more than it shows at this size.
    m_plot->setNotAntialiasedElements(QCP::aePlottables);
    // Segment by segment, without joins: stroking a 1.6 px polyline of
    // thousands of noisy points as one path took up to 20 ms a replot once
    // a fast run's Tasks tab held 30,000 diagnostics (the GUI thread's p99
    // latency went past 16 ms).
    m_plot->setPlottingHint(QCP::phFastPolylines, true);
    m_plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom | QCP::iSelectLegend);
    m_plot->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(m_plot, &QCustomPlot::legendClick, this, [this](QCPLegend*, QCPAbstractLegendItem* item, QMouseEvent*) {
        auto* pi = qobject_cast<QCPPlottableLegendItem*>(item);
        if (!pi) return;
        // The legend shows the smoothed curve; its raw twin hides with it.
        for (auto& [key, c] : m_curves)
            if (c.smooth == pi->plottable()) {
                const bool on = !c.smooth->visible();
                c.smooth->setVisible(on);
                c.raw->setVisible(on);
                pi->setTextColor(on ? plotText() : plotMuted());
            }
        m_plot->replot(QCustomPlot::rpQueuedReplot);
    });
    connect(m_plot, &QCustomPlot::plottableClick, this, [this](QCPAbstractPlottable* p, int, QMouseEvent*) {
        for (const auto& [key, c] : m_curves)
            if (c.raw == p || c.smooth == p) {
                Q_EMIT curveClicked(key);
                return;
            }
    });
    // A drag or the wheel takes the view over; a plain click (selecting a curve) does not.
    connect(m_plot, &QCustomPlot::mouseMove, this, [this](QMouseEvent* e) {
        if (e->buttons() != Qt::NoButton) m_follow = false;
    });
    connect(m_plot, &QCustomPlot::mouseWheel, this, [this](QWheelEvent*) { m_follow = false; });
    connect(m_plot, &QCustomPlot::mouseDoubleClick, this, [this](QMouseEvent*) {
        m_follow = true;
        fit();
        m_plot->replot(QCustomPlot::rpQueuedReplot);
    });
    connect(m_plot, &QWidget::customContextMenuRequested, this, &LivePlot::showMenu);
}

void LivePlot::setGuide(double y) {
    if (!m_guide) {
        m_guide = new QCPItemStraightLine(m_plot);
        m_guide->setPen(QPen(Qt::gray, 1, Qt::DashLine));
    }
    m_guide->point1->setCoords(0, y);
    m_guide->point2->setCoords(1, y);
}

void LivePlot::setSmoothing(double weight) {
    m_smoothing = std::clamp(weight, 0.0, 0.999);
    for (auto& [key, c] : m_curves) {
        rebuildSmooth(c);
        draw(c);
    }
    redraw();
}

void LivePlot::setXAxis(XAxis axis) {
    m_xAxis = axis;
    m_plot->xAxis->setLabel(axisLabel(axis));
    clear();
}

void LivePlot::push(Curve& c, double x, double y) {
    if (!std::isfinite(y) || (m_logY && y <= 0)) return; // passed through, as TensorBoard does
    c.ema = c.ema * m_smoothing + (1 - m_smoothing) * y;
    ++c.n;
    c.smoothThin.add(x, c.ema / (1 - std::pow(m_smoothing, c.n))); // debiased
}

void LivePlot::rebuildSmooth(Curve& c) {
    c.smoothThin.clear();
    c.ema = 0;
    c.n = 0;
    for (size_t i = 0; i < c.values.size(); ++i) push(c, c.xs[i], c.values[i]);
}

void LivePlot::draw(Curve& c) {
    c.raw->data()->set(c.rawThin.points(), true);
    c.smooth->data()->set(c.smoothThin.points(), true);
}

void LivePlot::applyPens(const QString& key, Curve& c) {
    const bool some = !m_highlighted.isEmpty();
    const bool on = m_highlighted.contains(key);
    QColor color = c.color;
    QColor light = c.color;
    light.setAlphaF(c.color.alphaF() * 0.3);
    if (some && !on) {
        color.setAlphaF(c.color.alphaF() * 0.25);
        light.setAlphaF(c.color.alphaF() * 0.08);
    }
    c.raw->setPen(QPen(light));
    c.smooth->setPen(QPen(color, on ? 3.2 : 1.6));
}

void LivePlot::setHighlighted(const QStringList& keys) {
    if (keys == m_highlighted) return;
    m_highlighted = keys;
    for (auto& [key, c] : m_curves) applyPens(key, c);
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void LivePlot::sync(const Run& run, const QString& prefix, bool faint) {
    if (!m_filter) return;
    bool added = false;
    for (const QString& name : m_filter(run)) {
        auto sit = run.series.find(name);
        if (sit == run.series.end()) continue;
        const Series& s = sit->second;
        const QString key = prefix + name;
        auto [it, fresh] = m_curves.try_emplace(key);
        Curve& c = it->second;
        if (fresh) {
            c.color = colorFor(static_cast<int>(m_curves.size()) - 1);
            if (faint) c.color.setAlphaF(0.45);
            c.raw = m_plot->addGraph();
            c.raw->removeFromLegend();
            c.smooth = m_plot->addGraph();
            c.smooth->setName(key);
            applyPens(key, c);
        }
        if (s.x.size() <= c.added) continue;
        for (size_t i = c.added; i < s.x.size(); ++i) {
            const double x = run.xOf(s.x[i], m_xAxis);
            c.steps.push_back(s.x[i]);
            c.values.push_back(s.y[i]);
            c.xs.push_back(x);
            if (!m_logY || s.y[i] > 0) c.rawThin.add(x, s.y[i]);
            push(c, x, s.y[i]);
        }
        c.added = s.x.size();
        draw(c);
        added = true;
    }
    if (added) redraw();
}

void LivePlot::redraw() {
    if (!isVisible()) {
        m_dirty = true; // a hidden tab draws when shown, not at every update
        return;
    }
    if (m_follow) fit(); // until the user zooms or drags; double-click follows again
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void LivePlot::fit() {
    // From the thinned copies' bounds: O(buckets), where rescaleAxes walks every point.
    bool any = false;
    double x0 = 0, x1 = 1, y0 = 0, y1 = 1;
    for (const auto& [key, c] : m_curves) {
        if (!c.smooth->visible()) continue;
        for (const Thinned* t : {&c.rawThin, &c.smoothThin}) {
            double a, b, lo, hi;
            if (!t->bounds(a, b, lo, hi)) continue;
            if (!any) x0 = a, x1 = b, y0 = lo, y1 = hi;
            x0 = std::min(x0, a), x1 = std::max(x1, b), y0 = std::min(y0, lo), y1 = std::max(y1, hi);
            any = true;
        }
    }
    if (!any) return;
    if (x1 <= x0) x1 = x0 + 1;
    if (m_logY) {
        if (y1 <= y0) y0 /= 2, y1 *= 2;
        m_plot->yAxis->setRange(y0 / 1.2, y1 * 1.2);
    } else {
        const double pad = y1 > y0 ? 0.05 * (y1 - y0) : std::max(1e-9, std::abs(y0) * 0.1);
        m_plot->yAxis->setRange(y0 - pad, y1 + pad);
    }
    m_plot->xAxis->setRange(x0, x1);
}

void LivePlot::showEvent(QShowEvent* event) {
    QWidget::showEvent(event);
    if (!m_dirty) return;
    m_dirty = false;
    redraw();
}

void LivePlot::clear() {
    m_plot->clearGraphs();
    m_curves.clear();
    m_follow = true;
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

QStringList LivePlot::seriesNames() const {
    QStringList out;
    for (const auto& [key, c] : m_curves) out << key;
    return out;
}

int LivePlot::pointCount(const QString& series) const {
    auto it = m_curves.find(series);
    return it == m_curves.end() ? 0 : static_cast<int>(it->second.values.size());
}

int LivePlot::drawnCount(const QString& series) const {
    auto it = m_curves.find(series);
    return it == m_curves.end() ? 0 : it->second.raw->dataCount();
}

QCPGraph* LivePlot::graphOf(const QString& series) const {
    auto it = m_curves.find(series);
    return it == m_curves.end() ? nullptr : it->second.smooth;
}

bool LivePlot::exportTo(const QString& path) {
    if (path.endsWith(QLatin1String(".png"), Qt::CaseInsensitive)) return m_plot->savePng(path);
    if (path.endsWith(QLatin1String(".pdf"), Qt::CaseInsensitive)) return m_plot->savePdf(path);
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate)) return false;
    QTextStream out(&f);
    // Every raw point (not the thinned drawing), by step and on the shown axis.
    const bool extra = m_xAxis != XAxis::Step;
    out << "series,step," << (m_xAxis == XAxis::Epoch ? "epoch," : extra ? "seconds," : "") << "value\n";
    for (const auto& [key, c] : m_curves) {
        const QString quoted = QLatin1Char('"') + QString(key).replace(QLatin1Char('"'), QLatin1String("\"\"")) + QLatin1Char('"');
        for (size_t i = 0; i < c.values.size(); ++i) {
            out << quoted << ',' << QString::number(c.steps[i], 'g', 12) << ',';
            if (extra) out << QString::number(c.xs[i], 'g', 9) << ',';
            out << (std::isfinite(c.values[i]) ? QString::number(c.values[i], 'g', 9) : QString()) << '\n';
        }
    }
    out.flush();
    return f.error() == QFile::NoError;
}

void LivePlot::showMenu(const QPoint& pos) {
    QMenu menu(this);
    for (const QString& ext : {QStringLiteral("png"), QStringLiteral("pdf"), QStringLiteral("csv")})
        menu.addAction(tr("Export as %1...").arg(ext.toUpper()), this, [this, ext] {
            const QString path = QFileDialog::getSaveFileName(this, tr("Export %1").arg(m_title),
                                                              m_title + QLatin1Char('.') + ext);
            if (!path.isEmpty() && !exportTo(path))
                QMessageBox::warning(this, tr("Export"), tr("Cannot write %1").arg(path));
        });
    menu.addAction(tr("Fit"), this, [this] {
        m_follow = true;
        fit();
        m_plot->replot(QCustomPlot::rpQueuedReplot);
    });
    menu.exec(m_plot->mapToGlobal(pos));
}

} // namespace ml::gui
