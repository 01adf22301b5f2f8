#include "training/TrainingDock.h"

#include "editor/DocumentCommand.h"
#include "editor/Editor.h"
#include "editor/EditorScene.h"
#include "editor/GraphModel.h"
#include "io/Weights.h"
#include "train/TrainingData.h"
#include "training/DecisionRegions.h"
#include "training/LivePlot.h"

#include <QAction>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QScrollArea>
#include <QSpinBox>
#include <QSplitter>
#include <QTabWidget>
#include <QToolButton>
#include <QUndoStack>
#include <QVBoxLayout>
#include <cmath>

namespace ml::gui {

namespace {

QStringList withPrefix(const Run& run, const QString& prefix) {
    QStringList out;
    for (const auto& [name, s] : run.series)
        if (name.startsWith(prefix)) out << name;
    return out;
}

QDoubleSpinBox* doubleBox(double lo, double hi, int decimals, double step) {
    auto* b = new QDoubleSpinBox;
    b->setRange(lo, hi);
    b->setDecimals(decimals);
    b->setSingleStep(step);
    return b;
}

QSpinBox* intBox(int lo, int hi) {
    auto* b = new QSpinBox;
    b->setRange(lo, hi);
    return b;
}

} // namespace

TrainingDock::TrainingDock(Editor* editor, QWidget* parent)
    : QDockWidget(tr("Training"), parent), m_editor(editor), m_session(new TrainingSession(this)) {
    setObjectName(QStringLiteral("TrainingDock"));
    m_train = new QAction(tr("&Train"), this);
    m_train->setShortcut(Qt::Key_F5);
    m_train->setToolTip(tr("Train the model with these settings (F5); resumes a paused run"));
    m_pause = new QAction(tr("&Pause"), this);
    m_pause->setShortcut(Qt::Key_F6);
    m_step = new QAction(tr("S&tep"), this);
    m_step->setShortcut(Qt::Key_F7);
    m_step->setToolTip(tr("One training step while paused"));
    m_stop = new QAction(tr("St&op"), this);
    m_stop->setShortcut(Qt::SHIFT | Qt::Key_F5);
    m_reset = new QAction(tr("&Reset Weights"), this);
    m_reset->setToolTip(tr("Forget the trained weights: the next run starts from the seed's initialization"));
    connect(m_train, &QAction::triggered, this, &TrainingDock::startTraining);
    connect(m_pause, &QAction::triggered, m_session, &TrainingSession::pause);
    connect(m_step, &QAction::triggered, m_session, &TrainingSession::step);
    connect(m_stop, &QAction::triggered, m_session, &TrainingSession::stop);
    connect(m_reset, &QAction::triggered, this, [this] {
        m_session->discard();
        m_regions->clear();
        setMessage(tr("Weights reset: the next run starts from the initialization of seed %1").arg(m_seed->value()), false);
        onState(TrainingSession::State::Idle);
    });
    connect(m_session, &TrainingSession::reports, this, &TrainingDock::onReports);
    connect(m_session, &TrainingSession::stateChanged, this, &TrainingDock::onState);

    // Settings.
    m_dataset = new QComboBox;
    m_dataset->setEditable(true); // a name, an IDX folder or a .csv path
    for (const std::string& n : datasetNames()) m_dataset->addItem(qs(n));
    m_dataset->setToolTip(tr("A synthetic set, fashion-mnist / mnist (Debian packages), an IDX folder or a .csv file"));
    m_optimizer = new QComboBox;
    m_optimizer->addItems({QStringLiteral("sgd"), QStringLiteral("adam"), QStringLiteral("adamw")});
    m_lr = doubleBox(1e-6, 10, 6, 0.001);
    m_momentum = doubleBox(0, 0.999, 3, 0.1);
    m_weightDecay = doubleBox(0, 1, 5, 0.0001);
    m_schedule = new QComboBox;
    m_schedule->addItems({QStringLiteral("joint"), QStringLiteral("round_robin")});
    m_lrSchedule = new QComboBox;
    m_lrSchedule->addItems({QStringLiteral("none"), QStringLiteral("step"), QStringLiteral("cosine")});
    m_batch = intBox(1, 65536);
    m_epochs = intBox(1, 100000);
    m_seed = intBox(0, 1 << 30);
    m_threads = intBox(0, 64);
    m_threads->setSpecialValueText(tr("all cores"));
    m_diagEvery = intBox(1, 100000);
    m_depth = intBox(1, 8);
    m_depth->setValue(1);
    m_depth->setToolTip(tr("Module-tree depth of the gradient curves (a ModuleList shows its items)"));
    m_smoothing = doubleBox(0, 0.99, 2, 0.05);
    m_smoothing->setValue(0.6);
    m_losses = new QLabel;
    m_losses->setWordWrap(true);

    // Named so tests (and style sheets) find them as a person does, by what they set.
    const std::pair<QWidget*, const char*> names[] = {
        {m_dataset, "dataset"}, {m_optimizer, "optimizer"}, {m_lr, "lr"}, {m_momentum, "momentum"},
        {m_weightDecay, "weightDecay"}, {m_schedule, "schedule"}, {m_lrSchedule, "lrSchedule"}, {m_batch, "batchSize"},
        {m_epochs, "epochs"}, {m_seed, "seed"}, {m_threads, "threads"}, {m_diagEvery, "diagnosticsEvery"},
        {m_depth, "curveDepth"}, {m_smoothing, "smoothing"}};
    for (const auto& [w, name] : names) w->setObjectName(QString::fromLatin1(name));
    auto* form = new QFormLayout;
    form->addRow(tr("Dataset"), m_dataset);
    form->addRow(tr("Optimizer"), m_optimizer);
    form->addRow(tr("Learning rate"), m_lr);
    form->addRow(tr("Momentum"), m_momentum);
    form->addRow(tr("Weight decay"), m_weightDecay);
    form->addRow(tr("LR schedule"), m_lrSchedule);
    form->addRow(tr("Task schedule"), m_schedule);
    form->addRow(tr("Batch size"), m_batch);
    form->addRow(tr("Epochs"), m_epochs);
    form->addRow(tr("Seed"), m_seed);
    form->addRow(tr("Threads"), m_threads);
    form->addRow(tr("Diagnostics every"), m_diagEvery);
    form->addRow(tr("Losses"), m_losses);
    form->addRow(tr("Curve depth"), m_depth);
    form->addRow(tr("Smoothing"), m_smoothing);

    auto* buttons = new QHBoxLayout;
    for (QAction* a : {m_train, m_pause, m_step, m_stop, m_reset}) {
        auto* b = new QToolButton;
        b->setDefaultAction(a);
        buttons->addWidget(b);
    }
    m_message = new QLabel;
    m_message->setObjectName(QStringLiteral("trainingMessage"));
    m_message->setWordWrap(true);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_status = new QLabel(tr("Not trained yet"));
    m_runList = new QListWidget;
    m_runList->setMaximumHeight(80);
    m_runList->setToolTip(tr("Runs: tick an earlier run to draw it beside the current one"));

    // Plots.
    m_tabs = new QTabWidget;
    const auto addPlot = [&](const QString& title, const QString& y, bool logY, auto filter) {
        auto* p = new LivePlot(title, y, logY);
        p->setFilter(filter);
        m_plots.push_back(p);
        return p;
    };
    auto* loss = addPlot(tr("Loss"), tr("loss"), false, [](const Run& r) {
        return withPrefix(r, QStringLiteral("loss")) + withPrefix(r, QStringLiteral("validation loss"));
    });
    auto* acc = addPlot(tr("Accuracy"), tr("accuracy"), false, [](const Run& r) {
        return withPrefix(r, QStringLiteral("accuracy")) + withPrefix(r, QStringLiteral("validation accuracy"));
    });
    auto* grad = addPlot(tr("Gradient norm"), tr("gradient L2 norm"), true, [this](const Run& r) {
        QStringList out;
        for (const QString& m : r.modulesAtDepth(m_depth->value())) out << QStringLiteral("grad norm: ") + m;
        return out;
    });
    auto* ratio = addPlot(tr("Update ratio"), tr("||update|| / ||weight||"), true, [this](const Run& r) {
        QStringList out;
        for (const QString& m : r.modulesAtDepth(m_depth->value())) out << QStringLiteral("update ratio: ") + m;
        return out;
    });
    ratio->setGuide(1e-3);
    auto* sharing = addPlot(tr("Sharing"), tr("gradient L2 norm"), true,
                            [](const Run& r) { return withPrefix(r, QStringLiteral("use grad")); });
    auto* tasks = addPlot(tr("Tasks"), tr("cosine between task gradients"), false,
                          [](const Run& r) { return withPrefix(r, QStringLiteral("cosine:")); });
    tasks->setGuide(0);
    auto* lossPage = new QSplitter(Qt::Vertical);
    lossPage->addWidget(loss);
    lossPage->addWidget(acc);
    m_tabs->addTab(lossPage, tr("Loss"));
    auto* gradPage = new QSplitter(Qt::Vertical);
    gradPage->addWidget(grad);
    gradPage->addWidget(ratio);
    m_tabs->addTab(gradPage, tr("Gradients"));
    auto* sharePage = new QWidget;
    auto* shareLayout = new QVBoxLayout(sharePage);
    m_sharing = new QLabel;
    m_sharing->setWordWrap(true);
    shareLayout->addWidget(m_sharing);
    shareLayout->addWidget(sharing, 1);
    m_tabs->addTab(sharePage, tr("Sharing"));
    auto* taskPage = new QWidget;
    auto* taskLayout = new QVBoxLayout(taskPage);
    m_tasks = new QLabel;
    m_tasks->setWordWrap(true);
    taskLayout->addWidget(m_tasks);
    taskLayout->addWidget(tasks, 1);
    m_tabs->addTab(taskPage, tr("Tasks"));
    m_regions = new DecisionRegions;
    m_tabs->addTab(m_regions, tr("Regions"));

    auto* settings = new QWidget;
    auto* left = new QVBoxLayout(settings);
    left->addLayout(form);
    left->addLayout(buttons);
    left->addWidget(m_status);
    left->addWidget(m_message);
    left->addWidget(new QLabel(tr("Runs")));
    left->addWidget(m_runList);
    left->addStretch();
    auto* scroll = new QScrollArea;
    scroll->setWidget(settings);
    scroll->setWidgetResizable(true);
    scroll->setMinimumWidth(260);
    auto* split = new QSplitter(Qt::Horizontal);
    split->addWidget(scroll);
    split->addWidget(m_tabs);
    split->setStretchFactor(1, 1);
    setWidget(split);

    const auto resync = [this] {
        for (LivePlot* p : m_plots) p->clear();
        syncPlots();
    };
    connect(m_depth, &QSpinBox::valueChanged, this, resync);
    connect(m_smoothing, &QDoubleSpinBox::valueChanged, this, [this](double w) {
        for (LivePlot* p : m_plots) p->setSmoothing(w);
    });
    connect(m_runList, &QListWidget::itemChanged, this, [this, resync](QListWidgetItem* item) {
        const int row = m_runList->row(item);
        if (row >= 0 && row < static_cast<int>(m_runShown.size())) m_runShown[static_cast<size_t>(row)] = item->checkState() == Qt::Checked;
        resync();
    });
    connect(m_editor->model(), &GraphModel::documentChanged, this, [this] {
        if (!m_loading && !isActive()) loadSettings();
    });
    loadSettings();
    onState(TrainingSession::State::Idle);
}

TrainingDock::~TrainingDock() {
    // End the run while the plots still exist; its last reports go nowhere.
    m_session->blockSignals(true);
    m_session->stopAndWait();
}

LivePlot* TrainingDock::plot(const QString& name) const {
    for (LivePlot* p : m_plots)
        if (p->objectName() == name) return p;
    return nullptr;
}

QString TrainingDock::message() const { return m_message->text(); }

void TrainingDock::setMessage(const QString& text, bool error) {
    m_message->setText(text);
    m_message->setStyleSheet(error ? QStringLiteral("color: #b00020;") : QString());
}

void TrainingDock::loadSettings() {
    const ModelDocument& doc = m_editor->model()->document();
    TrainingConfig c;
    try {
        c = readTrainingConfig(doc.training);
    } catch (const std::exception& e) {
        setMessage(tr("The model's training section: %1").arg(qs(e.what())), true);
    }
    m_dataset->setCurrentText(qs(c.dataset.empty() ? defaultDatasetFor(doc) : c.dataset));
    m_optimizer->setCurrentText(qs(c.optimizer.type));
    m_lr->setValue(c.optimizer.lr);
    m_momentum->setValue(c.optimizer.momentum);
    m_weightDecay->setValue(c.optimizer.weightDecay);
    m_schedule->setCurrentIndex(c.roundRobin ? 1 : 0);
    m_lrSchedule->setCurrentText(c.lrSchedule.type.empty() ? QStringLiteral("none") : qs(c.lrSchedule.type));
    m_batch->setValue(static_cast<int>(c.batchSize));
    m_epochs->setValue(static_cast<int>(c.epochs));
    m_seed->setValue(static_cast<int>(c.seed));
    m_threads->setValue(c.threads);
    m_diagEvery->setValue(static_cast<int>(c.diagnosticsEvery));
    QStringList losses;
    for (const Objective& o : c.objectives) losses << qs(o.label()) + (o.weight != 1 ? QStringLiteral(" x%1").arg(o.weight) : QString());
    m_losses->setText(losses.isEmpty() ? tr("cross-entropy of each output against \"label\" (the default)")
                                       : losses.join(QLatin1Char('\n')));
}

Json TrainingDock::trainingSection() const {
    const ModelDocument& doc = m_editor->model()->document();
    Json t = doc.training.is_object() ? doc.training : Json::object();
    const std::string dataset = m_dataset->currentText().trimmed().toStdString();
    // Losses name the targets of the file's dataset; another dataset brings its own (as the CLI does).
    if (t.contains("dataset") && t["dataset"] != dataset) t.erase("losses");
    if (!t.contains("dataset") && dataset != defaultDatasetFor(doc)) t.erase("losses");
    t["dataset"] = dataset;
    Json opt = t.contains("optimizer") && t["optimizer"].is_object() ? t["optimizer"] : Json::object();
    opt["type"] = m_optimizer->currentText().toStdString();
    opt["lr"] = m_lr->value();
    if (m_optimizer->currentText() == QLatin1String("sgd")) opt["momentum"] = m_momentum->value();
    else opt.erase("momentum");
    opt["weight_decay"] = m_weightDecay->value();
    t["optimizer"] = opt;
    t["schedule"] = m_schedule->currentText().toStdString();
    if (m_lrSchedule->currentText() == QLatin1String("none")) t.erase("lr_schedule");
    else if (!t.contains("lr_schedule") || t["lr_schedule"].value("type", "") != m_lrSchedule->currentText().toStdString())
        t["lr_schedule"] = {{"type", m_lrSchedule->currentText().toStdString()}};
    t["batch_size"] = m_batch->value();
    t["epochs"] = m_epochs->value();
    t["seed"] = m_seed->value();
    if (m_threads->value() > 0) t["threads"] = m_threads->value();
    else t.erase("threads");
    t["diagnostics_every"] = m_diagEvery->value();
    return t;
}

void TrainingDock::startTraining() {
    if (m_session->state() == TrainingSession::State::Paused) {
        m_session->resume();
        return;
    }
    if (isActive()) return;
    GraphModel* model = m_editor->model();
    const Json section = trainingSection();
    TrainingConfig config;
    try {
        config = readTrainingConfig(section);
    } catch (const std::exception& e) {
        setMessage(tr("Cannot train: %1").arg(qs(e.what())), true);
        return;
    }
    if (section != model->document().training) {
        // The settings are the model file's: one undo step, saved with the model.
        ModelDocument after = model->document();
        after.training = section;
        m_loading = true;
        m_editor->undoStack()->push(new DocumentCommand(model, tr("Change Training Settings"), model->document(), after));
        m_loading = false;
    }
    setMessage(tr("Loading %1...").arg(m_dataset->currentText()), false);
    QString error;
    const QString imported = m_session->startWeightsSource();
    if (!m_session->prepare(model->document(), config, &error)) {
        setMessage(tr("Cannot train: %1").arg(error), true);
        return;
    }
    Trainer* t = m_session->trainer();
    auto run = std::make_unique<Run>();
    run->name = tr("Run %1: %2 on %3").arg(m_runs.size() + 1).arg(qs(model->document().model), m_dataset->currentText());
    run->settings = section;
    run->revision = tr("%1 at edit %2").arg(QFileInfo(model->property("file").toString()).fileName()).arg(m_editor->undoStack()->index());
    run->description = t->description();
    m_runs.push_back(std::move(run));
    m_runShown.push_back(false); // the current run is always drawn
    for (int i = 0; i < m_runList->count(); ++i) m_runList->item(i)->setFlags(m_runList->item(i)->flags() | Qt::ItemIsUserCheckable);
    auto* item = new QListWidgetItem(m_runs.back()->name);
    item->setFlags(item->flags() & ~Qt::ItemIsUserCheckable);
    m_runList->blockSignals(true);
    m_runList->addItem(item);
    for (int i = 0; i + 1 < m_runList->count(); ++i)
        if (m_runList->item(i)->data(Qt::CheckStateRole).isNull()) m_runList->item(i)->setCheckState(Qt::Unchecked);
    m_runList->blockSignals(false);
    m_marked.clear();
    for (LivePlot* p : m_plots) p->clear();
    syncPlots();

    const RunDescription& d = t->description();
    QStringList share;
    share << tr("%1 unique parameters; %2 when a shared module is counted at every call").arg(d.uniqueParameters).arg(d.naiveParameters);
    std::map<std::string, QStringList> usesOf;
    for (const UseGradient& u : d.sharedUses) usesOf[u.parameter] << qs(u.use);
    for (const auto& [param, uses] : usesOf) share << tr("%1 is shared by %2").arg(qs(param), uses.join(QStringLiteral(", ")));
    if (usesOf.empty()) share << tr("No module is called twice: nothing is shared.");
    m_sharing->setText(share.join(QLatin1Char('\n')));
    m_tasks->setText(d.taskGroups.size() > 1 ? tr("%1 task groups; cosine < 0 means two tasks pull the shared parameters apart")
                                                   .arg(d.taskGroups.size())
                                             : tr("One task: no task conflict to show."));
    m_regions->clear();
    if (d.gridInputs == 2) t->setEvaluationPoints(m_regions->setData(t->data()), 0.2);
    setMessage(qs(t->data().description) + (t->adaptation().empty() ? QString() : QStringLiteral("\n") + qs(t->adaptation())) +
                   (imported.isEmpty() ? QString() : tr("\nStarted from the weights imported from %1").arg(QFileInfo(imported).fileName())),
               false);
    m_session->start();
}

void TrainingDock::syncPlots() {
    if (m_runs.empty()) return;
    const Run& current = *m_runs.back();
    for (LivePlot* p : m_plots) {
        for (size_t i = 0; i + 1 < m_runs.size(); ++i)
            if (m_runShown[i]) p->sync(*m_runs[i], QStringLiteral("run %1: ").arg(i + 1), true);
        p->sync(current);
    }
}

void TrainingDock::onReports(const ReportBatch& batch) {
    if (m_runs.empty()) return;
    Run& run = *m_runs.back();
    run.append(batch);
    syncPlots();
    if (batch.grid) m_regions->show(*batch.grid);
    const Index perEpoch = run.description ? std::max<Index>(1, run.description->stepsPerEpoch) : 1;
    m_status->setText(tr("Step %1 (epoch %2)  %3 steps/s")
                          .arg(run.steps)
                          .arg(run.steps / perEpoch + 1)
                          .arg(run.stepsPerSecond, 0, 'f', 0));
    if (run.cosineSteps > 0)
        m_tasks->setText(tr("Conflict (some task pair with cosine < 0) in %1% of %2 diagnosed steps")
                             .arg(100.0 * double(run.conflictSteps) / double(run.cosineSteps), 0, 'f', 1)
                             .arg(run.cosineSteps));
    if (batch.finished) {
        const FinishedReport& f = *batch.finished;
        if (f.reason == FinishedReport::Reason::NonFinite) markNonFinite(qs(f.message));
        else if (f.reason == FinishedReport::Reason::Failed) setMessage(tr("Training failed: %1").arg(qs(f.message)), true);
        else setMessage(tr("Run %1 %2 after %3 steps").arg(m_runs.size()).arg(qs(finishReasonName(f.reason))).arg(f.steps), false);
    }
}

void TrainingDock::markNonFinite(const QString& message) {
    // The module the engine named (the longest path in the message), else its nearest ancestor on the canvas.
    const Run& run = *m_runs.back();
    m_marked.clear();
    if (run.description) {
        const RunModule* best = nullptr;
        for (const RunModule& m : run.description->modules)
            if (!m.path.empty() && message.contains(qs(m.path)) && (!best || m.path.size() > best->path.size())) best = &m;
        for (std::string path = best ? best->path : std::string(); best && !path.empty();) {
            for (const RunModule& m : run.description->modules)
                if (m.path == path)
                    for (const std::string& n : m.canvasNodes) m_marked << qs(n);
            if (!m_marked.isEmpty()) break;
            const size_t dot = path.rfind('.');
            path = dot == std::string::npos ? std::string() : path.substr(0, dot);
        }
    }
    QStringList ids;
    for (const QString& n : m_marked) ids << n.section(QLatin1Char('/'), 1);
    if (!ids.isEmpty()) m_editor->scene()->selectKeys(ids);
    setMessage(tr("Stopped: %1%2").arg(message, m_marked.isEmpty() ? QString() : tr("\nMarked on the canvas: %1").arg(m_marked.join(QStringLiteral(", ")))), true);
}

void TrainingDock::onState(TrainingSession::State s) {
    const bool idle = s == TrainingSession::State::Idle;
    m_train->setEnabled(s != TrainingSession::State::Running);
    m_train->setText(s == TrainingSession::State::Paused ? tr("&Resume") : tr("&Train"));
    m_pause->setEnabled(s == TrainingSession::State::Running);
    m_step->setEnabled(s == TrainingSession::State::Paused);
    m_stop->setEnabled(!idle);
    m_reset->setEnabled(idle && (m_session->isPrepared() || !m_session->startWeightsSource().isEmpty()));
    for (QWidget* w : std::initializer_list<QWidget*>{m_dataset, m_optimizer, m_lr, m_momentum, m_weightDecay, m_schedule,
                                                      m_lrSchedule, m_batch, m_epochs, m_seed, m_threads, m_diagEvery})
        w->setEnabled(idle);
    Q_EMIT activeChanged(!idle);
}

bool TrainingDock::importWeights(const QString& path, QString* error) {
    auto fail = [&](const QString& text) {
        if (error) *error = text;
        setMessage(text, true);
        return false;
    };
    if (isActive()) return fail(tr("A run is active: stop it before importing weights."));
    const GraphModel* model = m_editor->model();
    if (!model->analysis().ok()) return fail(tr("The model has errors (see Diagnostics): weights cannot be checked against it."));
    try {
        io::SafetensorsFile file = io::readSafetensors(path.toStdString());
        ParameterStore store(model->analysis().tree);
        io::loadWeights(store, file, path.toStdString()); // throws naming every bad name; changes nothing then
        const size_t count = file.tensors.size();
        m_session->setStartWeights(std::move(file), path);
        setMessage(tr("Imported %1 tensors from %2: the next run starts from them (Reset Weights forgets them).")
                       .arg(count)
                       .arg(QFileInfo(path).fileName()),
                   false);
        onState(m_session->state());
        return true;
    } catch (const std::exception& e) {
        return fail(qs(e.what()));
    }
}

bool TrainingDock::openRun(const QString& path, QString* error) {
    try {
        auto run = std::make_unique<Run>(Run::fromJsonl(path));
        if (isActive()) {
            // Beside the live run, not in its place.
            m_runs.insert(m_runs.end() - 1, std::move(run));
            m_runShown.insert(m_runShown.end() - 1, true);
            auto* item = new QListWidgetItem(m_runs[m_runs.size() - 2]->name);
            item->setCheckState(Qt::Checked);
            m_runList->insertItem(m_runList->count() - 1, item);
        } else {
            for (int i = 0; i < m_runList->count(); ++i)
                if (m_runList->item(i)->data(Qt::CheckStateRole).isNull()) {
                    m_runList->blockSignals(true);
                    m_runList->item(i)->setCheckState(Qt::Unchecked);
                    m_runList->blockSignals(false);
                }
            m_runs.push_back(std::move(run));
            m_runShown.push_back(false);
            m_runList->addItem(m_runs.back()->name);
        }
        for (LivePlot* p : m_plots) p->clear();
        syncPlots();
        const Run& r = *m_runs.back();
        setMessage(tr("Opened %1: %2 steps").arg(r.name).arg(r.steps), false);
        return true;
    } catch (const std::exception& e) {
        if (error) *error = qs(e.what());
        setMessage(qs(e.what()), true);
        return false;
    }
}

} // namespace ml::gui
