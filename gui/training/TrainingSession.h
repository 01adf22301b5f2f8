#pragma once
// One training run's control on the GUI side. The engine's Trainer trains on
// its own thread and pushes reports into a ReportAggregator; a 25 Hz timer
// here takes what gathered and hands it out as one batch, so the window
// never sees more than ~30 updates a second and never waits on training.
#include "train/ReportAggregator.h"
#include "io/Safetensors.h"
#include "train/Trainer.h"

#include <QObject>
#include <QTimer>
#include <functional>
#include <memory>

namespace ml::gui {

class TrainingSession : public QObject {
    Q_OBJECT

public:
    enum class State { Idle, Running, Paused };

    explicit TrainingSession(QObject* parent = nullptr);
    ~TrainingSession() override;

    // Loads the data and builds the trainer, starts it from the imported
    // weights if some are waiting, then runs `setup` on it (weights from a
    // checkpoint or the last run); on failure returns false with the engine's message
    // and leaves any previous trainer (and its weights) alone.
    bool prepare(const ModelDocument& doc, const TrainingConfig& config, QString* error,
                 const std::function<void(Trainer&)>& setup = {});
    bool isPrepared() const { return m_trainer != nullptr; }
    void start();  // from the beginning or on from where the last run stopped
    void pause();
    void resume();
    void step();   // exactly one step while paused
    void stop();   // asks the run to end after its current step
    void stopAndWait();
    void discard(); // drops the trainer and imported weights: the next prepare() starts from fresh weights
    // Weights the next prepare() starts from instead of the seed's
    // initialization (File > Import Weights); prepare() fails, naming every
    // bad name, when they no longer fit the model it trains.
    void setStartWeights(io::SafetensorsFile weights, const QString& source);
    QString startWeightsSource() const { return m_startSource; } // "" when none are waiting

    State state() const { return m_state; }
    Index steps() const { return m_steps; }
    Trainer* trainer() const { return m_trainer.get(); }
    void setPollInterval(int ms) { m_timer.setInterval(ms); }
    void poll(); // takes what gathered now (the timer calls it)

Q_SIGNALS:
    void reports(const ml::ReportBatch& batch);
    void stateChanged(ml::gui::TrainingSession::State state);

private:
    void setState(State s);

    std::unique_ptr<Trainer> m_trainer;
    ReportAggregator m_aggregator;
    QTimer m_timer;
    State m_state = State::Idle;
    Index m_steps = 0;
    io::SafetensorsFile m_startWeights;
    QString m_startSource;
};

} // namespace ml::gui
