#pragma once
// One chart of a run's series: a curve per series (the raw values faint, a
// debiased exponential average on top, as TensorBoard smooths), appended as
// points arrive and drawn from a thinned copy that keeps each bucket's
// minimum and maximum (Thinned), so 100,000 points draw like 4,000; the raw
// values are kept for export. Legend clicks hide a curve, a click on a curve
// reports it (curveClicked), drag pans, the wheel zooms, double-click fits;
// x by step, epoch or wall time; export as PNG, PDF or CSV (the raw values).
#include "training/Run.h"
#include "training/Thinned.h"

#include <QString>
#include <QStringList>
#include <QWidget>
#include <functional>
#include <map>

class QCustomPlot;
class QCPGraph;
class QCPItemStraightLine;

namespace ml::gui {

class LivePlot : public QWidget {
    Q_OBJECT

public:
    LivePlot(const QString& title, const QString& yLabel, bool logY, QWidget* parent = nullptr);

    // Which series of the run this chart shows (called on every update).
    void setFilter(std::function<QStringList(const Run&)> filter) { m_filter = std::move(filter); }
    void setGuide(double y); // a dashed horizontal line (the update ratio's 1e-3)
    void applyTheme();       // the window's theme changed
    void setSmoothing(double weight);
    double smoothing() const { return m_smoothing; }
    void setXAxis(XAxis axis); // clears: the owner syncs again
    XAxis xAxis() const { return m_xAxis; }
    // Appends what is new in `run` since the last call; `prefix` names the run
    // in the legend when several are shown.
    void sync(const Run& run, const QString& prefix = {}, bool faint = false);
    void clear();
    // Drawn thick, the others faded; empty: all drawn alike.
    void setHighlighted(const QStringList& keys);
    QStringList highlighted() const { return m_highlighted; }

    QCustomPlot* plot() const { return m_plot; }
    QStringList seriesNames() const;             // as shown (with a run prefix for earlier runs)
    int pointCount(const QString& series) const; // raw points received
    int drawnCount(const QString& series) const; // points of the drawn (thinned) raw curve
    QCPGraph* graphOf(const QString& series) const;            // the smoothed curve
    bool exportTo(const QString& path); // .png, .pdf or .csv by extension

Q_SIGNALS:
    void curveClicked(const QString& series);

protected:
    void showEvent(QShowEvent* event) override;

private:
    struct Curve {
        QCPGraph* raw = nullptr;
        QCPGraph* smooth = nullptr;
        QColor color;
        size_t added = 0;
        double ema = 0;
        int n = 0;
        std::vector<double> steps, values; // raw, for export
        std::vector<double> xs;            // the x of each raw point on the current axis
        Thinned rawThin, smoothThin;
    };
    QCustomPlot* m_plot;
    QString m_title;
    std::function<QStringList(const Run&)> m_filter;
    std::map<QString, Curve> m_curves; // key: prefix + series
    QStringList m_highlighted;
    QCPItemStraightLine* m_guide = nullptr;
    double m_smoothing = 0.6;
    XAxis m_xAxis = XAxis::Step;
    bool m_logY;
    bool m_follow = true;
    bool m_dirty = false;

    void push(Curve& c, double x, double y); // one raw point into the smoothed curve
    void rebuildSmooth(Curve& c);
    void draw(Curve& c);
    void applyPens(const QString& key, Curve& c);
    void fit(); // the axes to the visible curves
    void redraw();
    void showMenu(const QPoint& pos);
};

} // namespace ml::gui
