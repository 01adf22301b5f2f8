#include "training/TrainingSession.h"

#include "io/Weights.h"

namespace ml::gui {

TrainingSession::TrainingSession(QObject* parent) : QObject(parent) {
    m_timer.setInterval(40);
    connect(&m_timer, &QTimer::timeout, this, &TrainingSession::poll);
}

TrainingSession::~TrainingSession() { stopAndWait(); }

bool TrainingSession::prepare(const ModelDocument& doc, const TrainingConfig& config, QString* error,
                              const std::function<void(Trainer&)>& setup) {
    if (m_state != State::Idle) {
        if (error) *error = tr("a run is active: stop it first");
        return false;
    }
    try {
        auto trainer = std::make_unique<Trainer>(doc, config, loadTrainingData(config));
        if (!m_startSource.isEmpty()) io::loadWeights(trainer->parameters(), m_startWeights, m_startSource.toStdString());
        if (setup) setup(*trainer);
        trainer->setReportCallback([this](const Report& r) { m_aggregator.push(r); });
        if (m_trainer) m_trainer->wait();
        m_trainer = std::move(trainer);
        m_aggregator.clear();
        m_steps = 0;
        m_startWeights = {};
        m_startSource.clear();
        return true;
    } catch (const std::exception& e) {
        if (error) *error = QString::fromStdString(e.what());
        return false;
    }
}

void TrainingSession::start() {
    if (!m_trainer || m_state != State::Idle) return;
    m_trainer->wait(); // a finished run's thread
    m_trainer->start();
    m_timer.start();
    setState(State::Running);
}

void TrainingSession::pause() {
    if (m_state != State::Running) return;
    m_trainer->pause();
    setState(State::Paused);
}

void TrainingSession::resume() {
    if (m_state != State::Paused) return;
    m_trainer->resume();
    setState(State::Running);
}

void TrainingSession::step() {
    if (m_state == State::Paused) m_trainer->step();
}

void TrainingSession::stop() {
    if (m_trainer && m_state != State::Idle) m_trainer->stop();
}

void TrainingSession::stopAndWait() {
    if (!m_trainer) return;
    m_trainer->stop();
    m_trainer->wait();
    poll();
}

void TrainingSession::discard() {
    stopAndWait();
    m_trainer.reset();
    m_aggregator.clear();
    m_startWeights = {};
    m_startSource.clear();
}

void TrainingSession::setStartWeights(io::SafetensorsFile weights, const QString& source) {
    m_startWeights = std::move(weights);
    m_startSource = source;
}

void TrainingSession::poll() {
    ReportBatch b = m_aggregator.take();
    if (b.empty()) return;
    if (!b.steps.empty()) m_steps = b.steps.back().step;
    for (const RunEvent& e : b.events) m_steps = std::max(m_steps, e.step);
    const bool finished = b.finished.has_value();
    if (finished) m_steps = b.finished->steps;
    Q_EMIT reports(b);
    if (finished) {
        m_timer.stop();
        setState(State::Idle);
    }
}

void TrainingSession::setState(State s) {
    if (s == m_state) return;
    m_state = s;
    Q_EMIT stateChanged(s);
}

} // namespace ml::gui
