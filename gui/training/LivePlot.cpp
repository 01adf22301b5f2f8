#include "training/LivePlot.h"

#include "training/QCustomPlotInclude.h"
#include "training/Run.h"

#include <QFile>
#include <QFileDialog>
#include <QMenu>
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

} // namespace

LivePlot::LivePlot(const QString& title, const QString& yLabel, bool logY, QWidget* parent)
    : QWidget(parent), m_plot(new QCustomPlot(this)), m_title(title), m_logY(logY) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_plot);
    setObjectName(title);
    m_plot->setObjectName(title);
    m_plot->plotLayout()->insertRow(0);
    m_plot->plotLayout()->addElement(0, 0, new QCPTextElement(m_plot, title, QFont(font().family(), 9, QFont::Bold)));
    m_plot->xAxis->setLabel(tr("step"));
    m_plot->yAxis->setLabel(yLabel);
    if (logY) {
        m_plot->yAxis->setScaleType(QCPAxis::stLogarithmic);
        m_plot->yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
    }
    m_plot->legend->setVisible(true);
    m_plot->legend->setFont(QFont(font().family(), 7));
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
                pi->setTextColor(on ? Qt::black : Qt::gray);
            }
        m_plot->replot(QCustomPlot::rpQueuedReplot);
    });
    connect(m_plot, &QCustomPlot::mousePress, this, [this](QMouseEvent*) { m_follow = false; });
    connect(m_plot, &QCustomPlot::mouseWheel, this, [this](QWheelEvent*) { m_follow = false; });
    connect(m_plot, &QCustomPlot::mouseDoubleClick, this, [this](QMouseEvent*) {
        m_follow = true;
        m_plot->rescaleAxes(true);
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
    for (auto& [key, c] : m_curves) rebuildSmooth(c);
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void LivePlot::rebuildSmooth(Curve& c) {
    c.smooth->data()->clear();
    c.ema = 0;
    c.n = 0;
    QVector<double> xs, ys;
    for (auto it = c.raw->data()->constBegin(); it != c.raw->data()->constEnd(); ++it) {
        if (!std::isfinite(it->value)) continue;
        c.ema = c.ema * m_smoothing + (1 - m_smoothing) * it->value;
        ++c.n;
        xs.push_back(it->key);
        ys.push_back(c.ema / (1 - std::pow(m_smoothing, c.n)));
    }
    c.smooth->addData(xs, ys, true);
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
            QColor color = colorFor(static_cast<int>(m_curves.size()) - 1);
            if (faint) color.setAlphaF(0.45);
            c.raw = m_plot->addGraph();
            QColor light = color;
            light.setAlphaF(faint ? 0.12 : 0.25);
            c.raw->setPen(QPen(light));
            c.raw->removeFromLegend();
            c.smooth = m_plot->addGraph();
            c.smooth->setPen(QPen(color, 1.6));
            c.smooth->setName(key);
            c.run = &run;
        }
        if (s.x.size() <= c.added) continue;
        QVector<double> xs, ys, sx, sy;
        for (size_t i = c.added; i < s.x.size(); ++i) {
            const double y = s.y[i];
            xs.push_back(s.x[i]);
            ys.push_back(y);
            if (!std::isfinite(y) || (m_logY && y <= 0)) continue; // passed through, as TensorBoard does
            c.ema = c.ema * m_smoothing + (1 - m_smoothing) * y;
            ++c.n;
            sx.push_back(s.x[i]);
            sy.push_back(c.ema / (1 - std::pow(m_smoothing, c.n))); // debiased
        }
        c.raw->addData(xs, ys, true);
        c.smooth->addData(sx, sy, true);
        c.added = s.x.size();
        added = true;
    }
    if (!added) return;
    if (!isVisible()) {
        m_dirty = true; // a hidden tab draws when shown, not at every update
        return;
    }
    if (m_follow) m_plot->rescaleAxes(true); // until the user zooms or drags; double-click follows again
    m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void LivePlot::showEvent(QShowEvent* event) {
    QWidget::showEvent(event);
    if (!m_dirty) return;
    m_dirty = false;
    if (m_follow) m_plot->rescaleAxes(true);
    m_plot->replot(QCustomPlot::rpQueuedReplot);
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
    return it == m_curves.end() ? 0 : it->second.raw->dataCount();
}

bool LivePlot::exportTo(const QString& path) {
    if (path.endsWith(QLatin1String(".png"), Qt::CaseInsensitive)) return m_plot->savePng(path);
    if (path.endsWith(QLatin1String(".pdf"), Qt::CaseInsensitive)) return m_plot->savePdf(path);
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate)) return false;
    QTextStream out(&f);
    out << "series,step,value\n";
    for (const auto& [key, c] : m_curves)
        for (auto it = c.raw->data()->constBegin(); it != c.raw->data()->constEnd(); ++it)
            out << '"' << QString(key).replace(QLatin1Char('"'), QLatin1String("\"\"")) << "\"," << it->key << ','
                << QString::number(it->value, 'g', 9) << '\n';
    return true;
}

void LivePlot::showMenu(const QPoint& pos) {
    QMenu menu(this);
    for (const QString& ext : {QStringLiteral("png"), QStringLiteral("pdf"), QStringLiteral("csv")})
        menu.addAction(tr("Export as %1...").arg(ext.toUpper()), this, [this, ext] {
            const QString path = QFileDialog::getSaveFileName(this, tr("Export %1").arg(m_title),
                                                              m_title + QLatin1Char('.') + ext);
            if (!path.isEmpty()) exportTo(path);
        });
    menu.addAction(tr("Fit"), this, [this] {
        m_plot->rescaleAxes(true);
        m_plot->replot(QCustomPlot::rpQueuedReplot);
    });
    menu.exec(m_plot->mapToGlobal(pos));
}

} // namespace ml::gui
