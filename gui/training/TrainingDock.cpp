#include "training/TrainingDock.h"

#include "editor/DocumentCommand.h"
#include "editor/Editor.h"
#include "editor/EditorScene.h"
#include "editor/GraphModel.h"
#include "core/Error.h"
#include "io/Weights.h"
#include "train/TrainingData.h"
#include "training/CanvasOverlay.h"
#include "training/DecisionRegions.h"
#include "training/LivePlot.h"

#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QFileDialog>
#include <QMessageBox>
#include <QDoubleSpinBox>
#include <QFileInfo>
#include <QFormLayout>
#include <QFile>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QTableWidget>
#include <QLabel>
#include <QListWidget>
#include <QScrollArea>
#include <QSpinBox>
#include <QSplitter>
#include <QTabWidget>
#include <QToolButton>
#include <QUndoStack>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>
#include <optional>

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

// Plots side by side in a wide, low panel (the bottom strip), stacked in a tall one (a side dock).
class PlotSplitter : public QSplitter {
public:
    PlotSplitter() : QSplitter(Qt::Vertical) {}

protected:
    void resizeEvent(QResizeEvent* event) override {
        const Qt::Orientation o = width() > 2 * height() ? Qt::Horizontal : Qt::Vertical;
        if (o != orientation() && count() > 1) {
            setOrientation(o);
            QList<int> equal(count(), o == Qt::Horizontal ? width() : height());
            setSizes(equal);
        }
        QSplitter::resizeEvent(event);
    }
};

// A tab of plots (resizable), with an optional note above them.
QWidget* page(QLabel* note, std::initializer_list<QWidget*> plots) {
    auto* split = new PlotSplitter;
    for (QWidget* p : plots) split->addWidget(p);
    if (!note) return split;
    auto* w = new QWidget;
    auto* layout = new QVBoxLayout(w);
    layout->setContentsMargins(0, 0, 0, 0);
    note->setWordWrap(true);
    layout->addWidget(note);
    layout->addWidget(split, 1);
    return w;
}

// "a.b" is "a" or below it, or "a" is below "a.b"'s ancestors: the same branch of the tree.
bool sameBranch(const QString& a, const QString& b) {
    if (a == b) return true;
    if (a == QLatin1String("(model)") || b == QLatin1String("(model)")) return false;
    return a.startsWith(b + QLatin1Char('.')) || b.startsWith(a + QLatin1Char('.'));
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
        m_overlay->clear();
        setMessage(tr("Weights reset: the next run starts from the initialization of seed %1").arg(m_seed->value()), false);
        onState(TrainingSession::State::Idle);
    });
    m_exportRun = new QAction(tr("E&xport Run..."), this);
    m_exportRun->setToolTip(tr("The current run's reports as JSONL (opens again with Open Run) or its raw series as CSV"));
    m_saveWeights = new QAction(tr("Save &Weights..."), this);
    m_saveWeights->setToolTip(tr("The trained weights as safetensors, with PyTorch's state_dict names"));
    m_saveCheckpoint = new QAction(tr("Save &Checkpoint..."), this);
    m_saveCheckpoint->setToolTip(tr("Weights, optimizer state and step count: Resume From Checkpoint continues from it"));
    m_resume = new QAction(tr("Resume From C&heckpoint..."), this);
    const auto ask = [this](const QString& title, const QString& filter, bool save, auto fn) {
        return [this, title, filter, save, fn] {
            const QString path = save ? QFileDialog::getSaveFileName(this, title, QString(), filter)
                                      : QFileDialog::getOpenFileName(this, title, QString(), filter);
            QString error;
            if (!path.isEmpty() && !(this->*fn)(path, &error)) QMessageBox::warning(this, title, error);
        };
    };
    connect(m_exportRun, &QAction::triggered, this,
            ask(tr("Export Run"), tr("Run log (*.jsonl);;Raw series (*.csv)"), true, &TrainingDock::exportRun));
    connect(m_saveWeights, &QAction::triggered, this,
            ask(tr("Save Weights"), tr("safetensors (*.safetensors)"), true, &TrainingDock::saveWeights));
    connect(m_saveCheckpoint, &QAction::triggered, this,
            ask(tr("Save Checkpoint"), tr("Checkpoint (*.safetensors)"), true, &TrainingDock::saveCheckpoint));
    connect(m_resume, &QAction::triggered, this,
            ask(tr("Resume From Checkpoint"), tr("Checkpoint (*.safetensors)"), false, &TrainingDock::resumeFrom));
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
    m_smoothing->setToolTip(tr("Debiased exponential average of the curves (TensorBoard's); the raw values are drawn faint"));
    m_xAxis = new QComboBox;
    m_xAxis->addItems({tr("step"), tr("epoch"), tr("wall time")});
    m_tint = new QCheckBox(tr("Tint the canvas by gradient norm"));
    m_tint->setChecked(true);
    m_losses = new QLabel;
    m_losses->setWordWrap(true);
    m_lossTable = new QTableWidget(0, 5);
    m_lossTable->setObjectName(QStringLiteral("losses"));
    m_lossTable->setHorizontalHeaderLabels({tr("Output"), tr("Task"), tr("Loss"), tr("Target"), tr("Weight")});
    m_lossTable->verticalHeader()->hide();
    m_lossTable->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_lossTable->setToolTip(tr("The loss of each output against a dataset target, and its weight in the total"));
    connect(m_lossTable, &QTableWidget::itemChanged, this, [this](QTableWidgetItem* item) {
        if (m_loading || item->column() != 3) return;
        m_lossesListed = true; // an edit makes the table the file's losses
        commitSettings(tr("Change Loss Target"));
    });
    m_target = new QComboBox;
    m_target->setObjectName(QStringLiteral("csvTarget"));
    m_target->setToolTip(tr("The column of the CSV file the model learns to predict (class labels)"));

    // Named so tests (and style sheets) find them as a person does, by what they set.
    const std::pair<QWidget*, const char*> names[] = {
        {m_dataset, "dataset"}, {m_optimizer, "optimizer"}, {m_lr, "lr"}, {m_momentum, "momentum"},
        {m_weightDecay, "weightDecay"}, {m_schedule, "schedule"}, {m_lrSchedule, "lrSchedule"}, {m_batch, "batchSize"},
        {m_epochs, "epochs"}, {m_seed, "seed"}, {m_threads, "threads"}, {m_diagEvery, "diagnosticsEvery"},
        {m_depth, "curveDepth"}, {m_smoothing, "smoothing"}, {m_xAxis, "xAxis"}, {m_tint, "canvasTint"}};
    for (const auto& [w, name] : names) w->setObjectName(QString::fromLatin1(name));
    auto* form = m_form = new QFormLayout;
    form->addRow(tr("Dataset"), m_dataset);
    form->addRow(tr("Target column"), m_target);
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
    form->addRow(m_lossTable);
    form->addRow(tr("Curve depth"), m_depth);
    form->addRow(tr("Smoothing"), m_smoothing);
    form->addRow(tr("X axis"), m_xAxis);
    form->addRow(m_tint);

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
    auto* tasks = addPlot(tr("Tasks"), tr("cosine"), false,
                          [](const Run& r) { return withPrefix(r, QStringLiteral("cosine:")); });
    tasks->setGuide(0);
    auto* taskNorms = addPlot(tr("Task gradient norm"), tr("L2 norm, shared"), true,
                              [](const Run& r) { return withPrefix(r, QStringLiteral("task grad norm:")); });
    m_sharing = new QLabel;
    m_tasks = new QLabel;
    m_tabs->addTab(page(nullptr, {loss, acc}), tr("Loss"));
    m_tabs->addTab(page(nullptr, {grad, ratio}), tr("Gradients"));
    m_tabs->addTab(page(m_sharing, {sharing}), tr("Sharing"));
    m_tabs->addTab(page(m_tasks, {tasks, taskNorms}), tr("Tasks"));
    m_regions = new DecisionRegions;
    m_tabs->addTab(m_regions, tr("Regions"));
    for (LivePlot* p : m_plots) connect(p, &LivePlot::curveClicked, this, &TrainingDock::onCurveClicked);
    m_overlay = new CanvasOverlay(m_editor->scene(), this);
    connect(m_editor->scene(), &QGraphicsScene::selectionChanged, this, &TrainingDock::onCanvasSelection);

    auto* settings = new QWidget;
    auto* left = new QVBoxLayout(settings);
    left->addLayout(form);
    left->addLayout(buttons);
    left->addWidget(m_status);
    left->addWidget(m_message);
    left->addWidget(new QLabel(tr("Runs")));
    left->addWidget(m_runList);
    auto* runButtons = new QGridLayout;
    int slot = 0;
    for (QAction* a : {m_exportRun, m_saveWeights, m_saveCheckpoint, m_resume}) {
        auto* b = new QToolButton;
        b->setDefaultAction(a);
        b->setToolButtonStyle(Qt::ToolButtonTextOnly);
        b->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
        runButtons->addWidget(b, slot / 2, slot % 2);
        ++slot;
    }
    left->addLayout(runButtons);
    left->addStretch();
    auto* scroll = new QScrollArea;
    scroll->setWidget(settings);
    scroll->setWidgetResizable(true);
    scroll->setMinimumWidth(260);
    scroll->setMaximumWidth(400); // the plots get the rest
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
    connect(m_xAxis, &QComboBox::currentIndexChanged, this, [this, resync](int i) {
        for (LivePlot* p : m_plots) p->setXAxis(static_cast<XAxis>(i));
        resync();
    });
    connect(m_tint, &QCheckBox::toggled, m_overlay, &CanvasOverlay::setEnabled);
    connect(m_dataset, &QComboBox::currentTextChanged, this, [this] {
        refreshTargets();
        if (m_loading) return;
        // The file's losses name its dataset's targets; another dataset starts from the defaults.
        const ModelDocument& doc = m_editor->model()->document();
        const bool same = m_dataset->currentText().trimmed().toStdString() == defaultDatasetFor(doc);
        std::vector<Objective> file;
        try {
            if (same) file = readTrainingConfig(doc.training).objectives;
        } catch (const std::exception&) {
        }
        fillLossTable(file);
    });
    connect(m_target, &QComboBox::activated, this, [this] {
        if (!m_lossesListed) fillLossTable({}); // the defaults follow the chosen column
        commitSettings(tr("Change Target Column"));
    });
    connect(m_runList, &QListWidget::itemChanged, this, [this](QListWidgetItem* item) {
        setRunShown(m_runList->row(item), item->checkState() == Qt::Checked);
    });
    connect(m_editor->model(), &GraphModel::documentChanged, this, [this] {
        if (m_loading || isActive()) return;
        loadSettings();
        m_overlay->clear(); // the tint showed the model as it was trained
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
    m_loading = true;
    refreshTargets();
    if (!c.csvTargets.empty()) m_target->setCurrentText(qs(c.csvTargets.front()));
    fillLossTable(c.objectives);
    m_loading = false;
}

void TrainingDock::refreshTargets() {
    const QString path = m_dataset->currentText().trimmed();
    const bool csv = path.endsWith(QLatin1String(".csv"), Qt::CaseInsensitive);
    m_form->setRowVisible(m_target, csv);
    if (!csv) return;
    const QString keep = m_target->currentText();
    m_target->clear();
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) return; // the engine names the problem when training starts
    // The header row's names (quoted fields as the engine's reader takes them).
    const QString header = QString::fromUtf8(f.readLine()).trimmed();
    QStringList columns;
    QString cell;
    bool quoted = false;
    for (int i = 0; i < header.size(); ++i) {
        const QChar ch = header[i];
        if (ch == QLatin1Char('"')) {
            if (quoted && i + 1 < header.size() && header[i + 1] == QLatin1Char('"')) cell += header[++i];
            else quoted = !quoted;
        } else if (ch == QLatin1Char(',') && !quoted) {
            columns << cell.trimmed();
            cell.clear();
        } else {
            cell += ch;
        }
    }
    columns << cell.trimmed();
    m_target->addItems(columns);
    // The file's choice, else the last column (where a label usually is).
    const Json& t = m_editor->model()->document().training;
    QString chosen = keep;
    if (t.is_object() && t.contains("csv_targets") && t["csv_targets"].is_array() && !t["csv_targets"].empty() &&
        t["csv_targets"][0].is_string())
        chosen = qs(t["csv_targets"][0].get<std::string>());
    m_target->setCurrentIndex(columns.contains(chosen) ? int(columns.indexOf(chosen)) : int(columns.size()) - 1);
}

void TrainingDock::fillLossTable(const std::vector<Objective>& objectives) {
    // The file's losses, else one cross-entropy against "label" per output
    // (a runtime-indexed output's defaults depend on the data: listed once trained).
    std::vector<Objective> rows = objectives;
    m_lossesListed = !rows.empty();
    const ModelDocument& doc = m_editor->model()->document();
    bool indexed = false;
    if (const BlockDef* top = doc.findDefinition(doc.model)) {
        for (const BlockInput& in : top->inputs) indexed |= in.dtype == DType::Int64;
        if (rows.empty() && !indexed)
            for (const BlockOutput& out : top->outputs) {
                Objective o;
                o.output = out.name;
                // The data's first target: a .csv file's chosen column, else "label".
                if (m_form->isRowVisible(m_target)) o.target = m_target->currentText().toStdString();
                if (o.target.empty()) o.target = "label";
                rows.push_back(o);
            }
    }
    m_losses->setText(m_lossesListed ? tr("From the model file's training section")
                      : indexed      ? tr("Cross-entropy of each task's output against \"label\" (the default)")
                                     : tr("Cross-entropy against \"label\" (the default); edit to choose"));
    const QSignalBlocker block(m_lossTable);
    m_lossTable->setRowCount(0);
    for (const Objective& o : rows) {
        const int r = m_lossTable->rowCount();
        m_lossTable->insertRow(r);
        auto* output = new QTableWidgetItem(qs(o.output));
        output->setFlags(output->flags() & ~Qt::ItemIsEditable);
        Json index = Json::object();
        QStringList task;
        for (const auto& [name, value] : o.indexValues) {
            index[name] = value;
            task << QStringLiteral("%1=%2").arg(qs(name)).arg(value);
        }
        output->setData(Qt::UserRole, qs(index.dump()));
        m_lossTable->setItem(r, 0, output);
        auto* taskItem = new QTableWidgetItem(task.join(QStringLiteral(", ")));
        taskItem->setFlags(taskItem->flags() & ~Qt::ItemIsEditable);
        m_lossTable->setItem(r, 1, taskItem);
        auto* loss = new QComboBox;
        loss->addItems({QStringLiteral("cross_entropy"), QStringLiteral("mse"), QStringLiteral("bce_with_logits")});
        loss->setCurrentText(QString::fromLatin1(lossKindName(o.loss)));
        connect(loss, &QComboBox::activated, this, [this] {
            m_lossesListed = true;
            commitSettings(tr("Change Loss"));
        });
        m_lossTable->setCellWidget(r, 2, loss);
        m_lossTable->setItem(r, 3, new QTableWidgetItem(qs(o.target)));
        auto* weight = doubleBox(0, 1e6, 3, 0.1);
        weight->setValue(o.weight);
        weight->setKeyboardTracking(false); // one edit when typed, not one per key
        connect(weight, &QDoubleSpinBox::valueChanged, this, [this] {
            if (m_loading) return;
            m_lossesListed = true;
            commitSettings(tr("Change Loss Weight"));
        });
        m_lossTable->setCellWidget(r, 4, weight);
    }
    m_lossTable->setFixedHeight(m_lossTable->horizontalHeader()->height() + 4 +
                                m_lossTable->rowCount() * m_lossTable->verticalHeader()->defaultSectionSize());
}

Json TrainingDock::lossesFromTable() const {
    Json losses = Json::object();
    for (int r = 0; r < m_lossTable->rowCount(); ++r) {
        const std::string output = m_lossTable->item(r, 0)->text().toStdString();
        Json l = Json::parse(m_lossTable->item(r, 0)->data(Qt::UserRole).toString().toStdString());
        l["loss"] = static_cast<QComboBox*>(m_lossTable->cellWidget(r, 2))->currentText().toStdString();
        l["target"] = m_lossTable->item(r, 3)->text().trimmed().toStdString();
        l["weight"] = static_cast<QDoubleSpinBox*>(m_lossTable->cellWidget(r, 4))->value();
        if (!losses.contains(output)) losses[output] = Json::array();
        losses[output].push_back(l);
    }
    return losses;
}

void TrainingDock::commitSettings(const QString& text) {
    if (m_loading || isActive()) return;
    GraphModel* model = m_editor->model();
    const Json section = trainingSection();
    if (section == model->document().training) return;
    ModelDocument after = model->document();
    after.training = section;
    m_loading = true; // the panel already shows it
    m_editor->undoStack()->push(new DocumentCommand(model, text, model->document(), after));
    m_loading = false;
}

Json TrainingDock::trainingSection() const {
    const ModelDocument& doc = m_editor->model()->document();
    Json t = doc.training.is_object() ? doc.training : Json::object();
    const std::string dataset = m_dataset->currentText().trimmed().toStdString();
    // Losses name the targets of the file's dataset; another dataset brings its own (as the CLI does).
    const bool otherData = (t.contains("dataset") && t["dataset"] != dataset) ||
                           (!t.contains("dataset") && dataset != defaultDatasetFor(doc));
    if (otherData) t.erase("losses");
    else if (m_lossesListed && m_lossTable->rowCount() > 0) t["losses"] = lossesFromTable();
    t["dataset"] = dataset;
    if (QString::fromStdString(dataset).endsWith(QLatin1String(".csv"), Qt::CaseInsensitive) && m_target->count() > 0)
        t["csv_targets"] = Json::array({m_target->currentText().toStdString()});
    else
        t.erase("csv_targets");
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
    startRun(QString(), nullptr);
}

bool TrainingDock::resumeFrom(const QString& checkpoint, QString* error) { return startRun(checkpoint, error); }

bool TrainingDock::startRun(const QString& checkpoint, QString* errorOut) {
    if (isActive()) {
        if (errorOut) *errorOut = tr("A run is active: stop it first.");
        return false;
    }
    const auto fail = [&](const QString& text) {
        setMessage(tr("Cannot train: %1").arg(text), true);
        if (errorOut) *errorOut = text;
        return false;
    };
    GraphModel* model = m_editor->model();
    const Json section = trainingSection();
    TrainingConfig config;
    try {
        config = readTrainingConfig(section);
    } catch (const std::exception& e) {
        return fail(qs(e.what()));
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
    // Where the weights come from: a checkpoint (its step and epoch too), else
    // the last run's (a new run of more training), else the seed.
    std::optional<io::SafetensorsFile> last;
    if (checkpoint.isEmpty() && m_session->isPrepared()) last = m_session->trainer()->checkpoint();
    QString from = tr("from the initialization of seed %1").arg(m_seed->value());
    QString error;
    const QString imported = m_session->startWeightsSource();
    if (!imported.isEmpty()) from = tr("from the weights imported from %1").arg(QFileInfo(imported).fileName());
    const bool ok = m_session->prepare(model->document(), config, &error, [&](Trainer& t) {
        if (!checkpoint.isEmpty()) {
            t.loadCheckpoint(checkpoint.toStdString());
            from = tr("resumed from %1 at step %2").arg(QFileInfo(checkpoint).fileName()).arg(t.stepsDone());
        } else if (last && imported.isEmpty()) {
            try {
                t.restore(*last, "the last run", false);
                from = tr("from the last run's weights");
            } catch (const std::exception&) {
                from = tr("from the initialization of seed %1 (the last run's weights no longer fit the model)").arg(m_seed->value());
            }
        }
    });
    if (!ok) return fail(error);
    Trainer* t = m_session->trainer();
    auto run = std::make_unique<Run>();
    run->name = tr("Run %1: %2 on %3, %4").arg(m_runs.size() + 1).arg(qs(model->document().model), m_dataset->currentText(), from);
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
    setMessage(qs(t->data().description) + QStringLiteral("; ") + from +
                   (t->adaptation().empty() ? QString() : QStringLiteral("\n") + qs(t->adaptation())),
               false);
    m_overlay->show(m_runs.back().get());
    m_session->start();
    return true;
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
    if (!batch.diagnostics.empty()) m_overlay->show(&run);
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
    // The module the engine named (the longest path in the message).
    const Run& run = *m_runs.back();
    QString named;
    if (run.description)
        for (const RunModule& m : run.description->modules)
            if (!m.path.empty() && message.contains(qs(m.path)) && qs(m.path).size() > named.size()) named = qs(m.path);
    m_marked = named.isEmpty() ? QStringList() : revealModule(named);
    setMessage(tr("Stopped: %1%2").arg(message, m_marked.isEmpty() ? QString() : tr("\nMarked on the canvas: %1").arg(m_marked.join(QStringLiteral(", ")))), true);
}

QStringList TrainingDock::revealModule(const QString& path) {
    const Run* run = currentRun();
    if (!run || !run->description) return {};
    EditorScene* scene = m_editor->scene();
    // The module's own call nodes, else its nearest ancestor's, on the level shown;
    // else on the model's own level.
    for (int attempt = 0; attempt < 2; ++attempt) {
        for (std::string p = path.toStdString(); !p.empty();) {
            QStringList keys, nodes;
            for (const RunModule& m : run->description->modules)
                if (m.path == p)
                    for (const std::string& n : m.canvasNodes)
                        if (qs(n).section(QLatin1Char('/'), 0, 0) == scene->definitionName()) {
                            nodes << qs(n);
                            keys << qs(n).section(QLatin1Char('/'), 1);
                        }
            if (!keys.isEmpty()) {
                scene->selectKeys(keys);
                return nodes;
            }
            const size_t dot = p.rfind('.');
            p = dot == std::string::npos ? std::string() : p.substr(0, dot);
        }
        if (m_editor->levels().size() <= 1) break;
        m_editor->goToLevel(0);
    }
    return {};
}

QString TrainingDock::moduleOfSeries(const QString& series) const {
    QString s = series;
    if (s.startsWith(QLatin1String("run "))) s = s.section(QStringLiteral(": "), 1); // an earlier run's curve
    for (const char* prefix : {"grad norm: ", "update ratio: "})
        if (s.startsWith(QLatin1String(prefix))) return s.mid(int(qstrlen(prefix)));
    // A shared tensor's curves belong to the module that owns the tensor.
    QString param;
    if (s.startsWith(QLatin1String("use grad sum: "))) param = s.mid(14);
    else if (s.startsWith(QLatin1String("use grad: "))) param = s.mid(10).section(QStringLiteral(" @ "), 0, 0);
    const Run* run = currentRun();
    if (param.isEmpty() || !run || !run->description) return {};
    QString best;
    for (const RunModule& m : run->description->modules)
        for (const std::string& p : m.parameters)
            if (qs(p) == param && qs(m.path).size() >= best.size() && !m.path.empty()) best = qs(m.path);
    return best;
}

void TrainingDock::onCurveClicked(const QString& series) {
    const QString module = moduleOfSeries(series);
    if (module.isEmpty()) return;
    revealModule(module == QLatin1String("(model)") ? QString() : module);
    highlightModule(module);
}

QStringList TrainingDock::curvesRelatedTo(const QString& path, LivePlot* plot) const {
    QStringList out;
    if (path.isEmpty()) return out;
    for (const QString& key : plot->seriesNames()) {
        const QString m = moduleOfSeries(key);
        if (!m.isEmpty() && sameBranch(m, path)) out << key;
    }
    return out;
}

void TrainingDock::highlightModule(const QString& path) {
    for (LivePlot* p : m_plots) p->setHighlighted(curvesRelatedTo(path, p));
}

void TrainingDock::onCanvasSelection() {
    // The modules the selected call nodes run, in the instance shown.
    const Run* run = currentRun();
    if (!run || !run->description) return;
    EditorScene* scene = m_editor->scene();
    const std::string inst = scene->instancePath().toStdString();
    QStringList modules;
    for (const QString& key : scene->selectedKeys()) {
        const std::string node = (scene->definitionName() + QLatin1Char('/') + key).toStdString();
        for (const RunModule& m : run->description->modules) {
            const size_t dot = m.path.rfind('.');
            const std::string parent = dot == std::string::npos ? std::string() : m.path.substr(0, dot);
            if (parent == inst && std::find(m.canvasNodes.begin(), m.canvasNodes.end(), node) != m.canvasNodes.end())
                modules << qs(m.path);
        }
    }
    for (LivePlot* p : m_plots) {
        QStringList keys;
        for (const QString& m : modules) keys << curvesRelatedTo(m, p);
        p->setHighlighted(keys);
    }
}

void TrainingDock::onState(TrainingSession::State s) {
    const bool idle = s == TrainingSession::State::Idle;
    m_train->setEnabled(s != TrainingSession::State::Running);
    m_train->setText(s == TrainingSession::State::Paused ? tr("&Resume") : tr("&Train"));
    m_pause->setEnabled(s == TrainingSession::State::Running);
    m_step->setEnabled(s == TrainingSession::State::Paused);
    m_stop->setEnabled(!idle);
    m_reset->setEnabled(idle && (m_session->isPrepared() || !m_session->startWeightsSource().isEmpty()));
    updateFileActions();
    for (QWidget* w : std::initializer_list<QWidget*>{m_dataset, m_optimizer, m_lr, m_momentum, m_weightDecay, m_schedule,
                                                      m_lrSchedule, m_batch, m_epochs, m_seed, m_threads, m_diagEvery})
        w->setEnabled(idle);
    Q_EMIT activeChanged(!idle);
}

void TrainingDock::applyTheme() {
    for (LivePlot* p : m_plots) p->applyTheme();
    m_regions->applyTheme();
}

bool TrainingDock::importWeights(const QString& path, QString* error) {
    const auto fail = [&](const QString& text) { return refuse(text, error); };
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
        updateFileActions();
        return true;
    } catch (const std::exception& e) {
        return refuse(qs(e.what()), error);
    }
}

} // namespace ml::gui

namespace ml::gui {

void TrainingDock::updateFileActions() {
    const bool idle = m_session->state() == TrainingSession::State::Idle;
    m_exportRun->setEnabled(!m_runs.empty());
    m_saveWeights->setEnabled(idle && m_session->isPrepared());
    m_saveCheckpoint->setEnabled(idle && m_session->isPrepared());
    m_resume->setEnabled(idle);
}

bool TrainingDock::exportRun(const QString& path, QString* error) {
    try {
        if (m_runs.empty()) throw Error("there is no run to export");
        if (path.endsWith(QLatin1String(".csv"), Qt::CaseInsensitive)) m_runs.back()->saveCsv(path);
        else m_runs.back()->saveJsonl(path);
        setMessage(tr("Exported %1 to %2").arg(m_runs.back()->name, path), false);
        return true;
    } catch (const std::exception& e) {
        return refuse(qs(e.what()), error);
    }
}

bool TrainingDock::refuse(const QString& text, QString* error) {
    if (error) *error = text;
    setMessage(text, true);
    return false;
}

bool TrainingDock::saveWeights(const QString& path, QString* error) {
    try {
        if (isActive() || !m_session->isPrepared()) throw Error("no trained weights: train (and stop) a run first");
        Trainer* t = m_session->trainer();
        io::saveWeights(t->parameters(), path.toStdString(),
                        {{"model", t->model().model}, {"step", std::to_string(t->stepsDone())}});
        setMessage(tr("Saved the weights of step %1 to %2").arg(t->stepsDone()).arg(path), false);
        return true;
    } catch (const std::exception& e) {
        return refuse(qs(e.what()), error);
    }
}

bool TrainingDock::saveCheckpoint(const QString& path, QString* error) {
    try {
        if (isActive() || !m_session->isPrepared()) throw Error("no trained weights: train (and stop) a run first");
        m_session->trainer()->saveCheckpoint(path.toStdString());
        setMessage(tr("Saved a checkpoint at step %1 to %2").arg(m_session->trainer()->stepsDone()).arg(path), false);
        return true;
    } catch (const std::exception& e) {
        return refuse(qs(e.what()), error);
    }
}

void TrainingDock::setRunShown(int run, bool shown) {
    if (run < 0 || run + 1 >= static_cast<int>(m_runs.size())) return; // the current run is always drawn
    m_runShown[static_cast<size_t>(run)] = shown;
    if (QListWidgetItem* item = m_runList->item(run); item && (item->checkState() == Qt::Checked) != shown) {
        const QSignalBlocker block(m_runList);
        item->setCheckState(shown ? Qt::Checked : Qt::Unchecked);
    }
    for (LivePlot* p : m_plots) p->clear();
    syncPlots();
}

bool TrainingDock::isRunShown(int run) const {
    return run >= 0 && run < static_cast<int>(m_runShown.size()) && (run + 1 == runCount() || m_runShown[static_cast<size_t>(run)]);
}

} // namespace ml::gui
