#pragma once
// The training panel: the model's `training` settings (edited as one undo
// step), Train / Pause / Step / Stop / Reset weights as actions whose
// enabled state follows the run, the runs (live and opened from JSONL logs,
// earlier ones toggled per run) and their plots. While a run is active the
// canvas refuses edits and says so; a NaN stop marks the node it came from.
// Curves and the canvas know each other: a click on a module's curve selects
// its node, and selecting a node (or a module in the tree) highlights its
// curves; the canvas tints each node by its gradient norm (CanvasOverlay).
//
// Weights: Train after a run starts from that run's weights and optimizer
// state (the step count starts again); Reset Weights drops them, so the next
// run starts from the seed's initialization exactly as the first did;
// Resume From Checkpoint continues a saved run at its step and epoch.
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
class QFormLayout;
class QSpinBox;
class QTabWidget;
class QTableWidget;

namespace ml::gui {

class CanvasOverlay;
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
    QAction* exportRunAction() const { return m_exportRun; }
    QAction* saveWeightsAction() const { return m_saveWeights; }
    QAction* saveCheckpointAction() const { return m_saveCheckpoint; }
    QAction* resumeAction() const { return m_resume; }

    TrainingSession* session() const { return m_session; }
    const Run* currentRun() const { return m_runs.empty() ? nullptr : m_runs.back().get(); }
    int runCount() const { return static_cast<int>(m_runs.size()); }
    // "Loss", "Accuracy", "Gradient norm", "Update ratio", "Sharing", "Tasks", "Task gradient norm"
    LivePlot* plot(const QString& name) const;
    CanvasOverlay* overlay() const { return m_overlay; }
    DecisionRegions* regions() const { return m_regions; }
    QString message() const;                   // what the panel shows (errors included)
    QStringList markedNodes() const { return m_marked; }

    // The settings as the model file would hold them after the panel's edits.
    Json trainingSection() const;
    bool openRun(const QString& path, QString* error); // a `train --log` JSONL file
    // The current run's reports (.jsonl) or raw series (.csv), by extension.
    bool exportRun(const QString& path, QString* error);
    // The last run's trained weights (safetensors, PyTorch's state_dict names),
    // or a checkpoint with the optimizer state and counters.
    bool saveWeights(const QString& path, QString* error);
    bool saveCheckpoint(const QString& path, QString* error);
    bool resumeFrom(const QString& checkpoint, QString* error); // starts a run that continues it
    void setRunShown(int run, bool shown); // an earlier run drawn beside the current one
    bool isRunShown(int run) const;
    // Highlights the curves of a module (and of its sub-modules and ancestors); "" for none.
    void highlightModule(const QString& path);
    // Selects the canvas node of a module, or of its nearest drawn ancestor.
    QStringList revealModule(const QString& path);
    // File > Import Weights: a safetensors file (from PyTorch's
    // save_safetensors or `train --save`) checked against the open model;
    // every missing, unexpected and mis-shaped name goes into one *error and
    // nothing changes. On success the next run starts from these weights.
    bool importWeights(const QString& path, QString* error);
    bool isActive() const { return m_session->state() != TrainingSession::State::Idle; }
    void applyTheme(); // the plots follow the window's dark or light theme

Q_SIGNALS:
    void activeChanged(bool active);

private:
    // Shows `text` as the panel's error and hands it to *error: what every refused action returns.
    bool refuse(const QString& text, QString* error);
    void loadSettings(); // from the document's training section
    void startTraining();
    bool startRun(const QString& checkpoint, QString* error);
    void onCurveClicked(const QString& series);
    void onCanvasSelection();
    void commitSettings(const QString& text); // the panel's section into the model: one undo step
    void fillLossTable(const std::vector<Objective>& objectives);
    Json lossesFromTable() const;
    void refreshTargets(); // the .csv dataset's columns
    void updateFileActions();
    QStringList curvesRelatedTo(const QString& path, LivePlot* plot) const;
    QString moduleOfSeries(const QString& series) const;
    void onReports(const ml::ReportBatch& batch);
    void onState(TrainingSession::State state);
    void syncPlots();
    void setMessage(const QString& text, bool error);
    void markNonFinite(const QString& message);

    Editor* m_editor;
    TrainingSession* m_session;
    QAction *m_train, *m_pause, *m_step, *m_stop, *m_reset;
    QAction *m_exportRun, *m_saveWeights, *m_saveCheckpoint, *m_resume;
    QComboBox *m_dataset, *m_optimizer, *m_schedule, *m_lrSchedule, *m_xAxis;
    QCheckBox* m_tint;
    QDoubleSpinBox *m_lr, *m_momentum, *m_weightDecay, *m_smoothing;
    QSpinBox *m_batch, *m_epochs, *m_seed, *m_threads, *m_diagEvery, *m_depth;
    QLabel* m_losses;          // what the default losses are, when the file names none
    QTableWidget* m_lossTable; // output, task, loss, target, weight per objective
    bool m_lossesListed = false; // the table holds losses the section must keep
    QComboBox* m_target;       // the target column of a .csv dataset
    QFormLayout* m_form;
    QLabel* m_message;
    QLabel* m_status;
    QLabel* m_sharing;
    QLabel* m_tasks;
    QListWidget* m_runList;
    QTabWidget* m_tabs;
    std::vector<LivePlot*> m_plots;
    DecisionRegions* m_regions;
    CanvasOverlay* m_overlay;
    std::vector<std::unique_ptr<Run>> m_runs;
    std::vector<bool> m_runShown;
    QStringList m_marked;
    bool m_loading = false;
};

} // namespace ml::gui
