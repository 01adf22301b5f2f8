#pragma once
// One chart of a run's series: a curve per series (the raw values faint, a
// debiased exponential average on top), appended as points arrive
// (addData(..., sorted) and a queued replot), legend clicks hide a curve,
// drag pans, the wheel zooms, double-click fits; export as PNG, PDF or CSV
// (the raw values). QCustomPlot's adaptive sampling draws a long curve
// thinned per pixel column with its minimum and maximum kept.
#include <QString>
#include <QStringList>
#include <QWidget>
#include <functional>
#include <map>

class QCustomPlot;
class QCPGraph;
class QCPItemStraightLine;

namespace ml::gui {

class Run;

class LivePlot : public QWidget {
    Q_OBJECT

public:
    LivePlot(const QString& title, const QString& yLabel, bool logY, QWidget* parent = nullptr);

    // Which series of the run this chart shows (called on every update).
    void setFilter(std::function<QStringList(const Run&)> filter) { m_filter = std::move(filter); }
    void setGuide(double y); // a dashed horizontal line (the update ratio's 1e-3)
    void setSmoothing(double weight);
    // Appends what is new in `run` since the last call; `prefix` names the run
    // in the legend when several are shown.
    void sync(const Run& run, const QString& prefix = {}, bool faint = false);
    void clear();

    QCustomPlot* plot() const { return m_plot; }
    QStringList seriesNames() const;           // as shown, without a run prefix
    int pointCount(const QString& series) const; // raw points drawn
    bool exportTo(const QString& path);        // .png, .pdf or .csv by extension

protected:
    void showEvent(QShowEvent* event) override;

private:
    struct Curve {
        QCPGraph* raw = nullptr;
        QCPGraph* smooth = nullptr;
        size_t added = 0;
        double ema = 0;
        int n = 0;
        const void* run = nullptr;
    };
    QCustomPlot* m_plot;
    QString m_title;
    std::function<QStringList(const Run&)> m_filter;
    std::map<QString, Curve> m_curves; // key: prefix + series
    QCPItemStraightLine* m_guide = nullptr;
    double m_smoothing = 0.6;
    bool m_logY;
    bool m_follow = true;
    bool m_dirty = false;

    void rebuildSmooth(Curve& c);
    void showMenu(const QPoint& pos);
};

} // namespace ml::gui
