#pragma once
// The canvas while a run trains (and after, until the model is edited or
// the weights reset): each node whose module has parameters is tinted by
// its latest gradient L2 norm on a log colour scale shared by the nodes in
// view, with a sparkline of its recent norms under it; a legend in the
// canvas corner gives the scale. The tint is a child item of the node
// (so it moves with it and dies with it) and takes no mouse input, so the
// editor's items need no knowledge of training.
#include "training/Run.h"

#include <QColor>
#include <QObject>
#include <QPointer>
#include <optional>
#include <vector>

class QWidget;

namespace ml::gui {

class EditorScene;
class GradientLegend;

class CanvasOverlay : public QObject {
    Q_OBJECT

public:
    static constexpr int kSparkPoints = 60;

    CanvasOverlay(EditorScene* scene, QObject* parent = nullptr);
    ~CanvasOverlay() override;

    void show(const Run* run); // the run's latest values (again after the canvas changes level)
    void clear();
    void setEnabled(bool on);
    bool isEnabled() const { return m_enabled; }

    struct NodeState {
        QString module;           // its module path
        double value = 0;         // latest gradient norm
        QColor color;
        std::vector<double> spark; // recent norms, oldest first
    };
    std::optional<NodeState> state(const QString& key) const; // a node of the shown level
    QWidget* legend() const;
    double scaleLow() const { return m_lo; } // log10 of the legend's ends
    double scaleHigh() const { return m_hi; }
    static QColor colorAt(double t); // t in [0, 1]: low (blue) to high (red)

private:
    void refresh();

    EditorScene* m_scene;
    const Run* m_run = nullptr;
    QPointer<GradientLegend> m_legend;
    bool m_enabled = true;
    double m_lo = 0, m_hi = 1;
};

} // namespace ml::gui
