#pragma once
// The training panel: the model's `training` settings (edited as one undo
// step), Train / Pause / Step / Stop / Reset weights as actions whose
// enabled state follows the run, the runs (live and opened from JSONL logs,
// earlier ones toggled per run) and their plots. While a run is active the
// canvas refuses edits and says so; a NaN stop marks the node it came from.
#include "model/Definition.h"
#include "train/TrainingConfig.h"
#include "training/Run.h"
#include "training/TrainingSession.h"

#include <QDockWidget>
#include <memory>
#include <vector>

class QAction;
class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QListWidget;
class QSpinBox;
class QTabWidget;

namespace ml::gui {

class DecisionRegions;
class Editor;
class LivePlot;

class TrainingDock : public QDockWidget {
    Q_OBJECT

public:
    TrainingDock(Editor* editor, QWidget* parent = nullptr);
    ~TrainingDock() override;

    QAction* trainAction() const { return m_train; }
    QAction* pauseAction() const { return m_pause; }
    QAction* stepAction() const { return m_step; }
    QAction* stopAction() const { return m_stop; }
    QAction* resetAction() const { return m_reset; }

    TrainingSession* session() const { return m_session; }
    const Run* currentRun() const { return m_runs.empty() ? nullptr : m_runs.back().get(); }
    int runCount() const { return static_cast<int>(m_runs.size()); }
    LivePlot* plot(const QString& name) const; // "Loss", "Accuracy", "Gradient norm", "Update ratio", "Sharing", "Tasks"
    DecisionRegions* regions() const { return m_regions; }
    QString message() const;                   // what the panel shows (errors included)
    QStringList markedNodes() const { return m_marked; }

    // The settings as the model file would hold them after the panel's edits.
    Json trainingSection() const;
    bool openRun(const QString& path, QString* error); // a `train --log` JSONL file
    // File > Import Weights: a safetensors file (from PyTorch's
    // save_safetensors or `train --save`) checked against the open model;
    // every missing, unexpected and mis-shaped name goes into one *error and
    // nothing changes. On success the next run starts from these weights.
    bool importWeights(const QString& path, QString* error);
    bool isActive() const { return m_session->state() != TrainingSession::State::Idle; }

Q_SIGNALS:
    void activeChanged(bool active);

private:
    void loadSettings(); // from the document's training section
    void startTraining();
    void onReports(const ml::ReportBatch& batch);
    void onState(TrainingSession::State state);
    void syncPlots();
    void setMessage(const QString& text, bool error);
    void markNonFinite(const QString& message);

    Editor* m_editor;
    TrainingSession* m_session;
    QAction *m_train, *m_pause, *m_step, *m_stop, *m_reset;
    QComboBox *m_dataset, *m_optimizer, *m_schedule, *m_lrSchedule;
    QDoubleSpinBox *m_lr, *m_momentum, *m_weightDecay, *m_smoothing;
    QSpinBox *m_batch, *m_epochs, *m_seed, *m_threads, *m_diagEvery, *m_depth;
    QLabel* m_losses;
    QLabel* m_message;
    QLabel* m_status;
    QLabel* m_sharing;
    QLabel* m_tasks;
    QListWidget* m_runList;
    QTabWidget* m_tabs;
    std::vector<LivePlot*> m_plots;
    DecisionRegions* m_regions;
    std::vector<std::unique_ptr<Run>> m_runs;
    std::vector<bool> m_runShown;
    QStringList m_marked;
    bool m_loading = false;
};

} // namespace ml::gui
