#include "editor/Inspector.h"

#include "editor/Editor.h"
#include "editor/EditorScene.h"
#include "editor/NodeLook.h"
#include "editor/PaletteEntries.h"
#include "model/LayerCatalog.h"

#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QTimer>
#include <QVBoxLayout>

namespace ml::gui {

namespace {
// An argument as the user typed it: strings bare ("$in_channels", "tanh"), the rest as JSON.
std::string argText(const Json& v) { return v.is_string() ? v.get<std::string>() : v.dump(); }
Json withArg(Json args, const std::string& name, const std::string& text) {
    if (text.empty()) args.erase(name);
    else {
        Json v = Json::parse(text, nullptr, false);
        args[name] = v.is_discarded() ? Json(text) : v;
    }
    return args;
}
} // namespace

QString Inspector::kindSentence(const QString& kind) {
    if (kind == QLatin1String("Sequential"))
        return tr("Sequential: runs its items in order, the output of one feeding the next. Each item owns its "
                  "own parameters; the forward is implied, so there is nothing to wire inside.");
    if (kind == QLatin1String("ModuleList"))
        return tr("ModuleList: holds modules and registers their parameters, but has no forward of its own. "
                  "The parent's forward calls list[i] (a constant or a runtime index such as a task id), or "
                  "applies every item in turn.");
    return tr("Custom block (an nn.Module subclass): its forward is a graph you wire, with branches, skips and "
              "reuse; it owns its children's parameters. Double-click it to open its graph.");
}

Inspector::Inspector(Editor* editor, QWidget* parent) : QWidget(parent), m_editor(editor) {
    m_outer = new QVBoxLayout(this);
    m_outer->setContentsMargins(0, 0, 0, 0);
    // Rebuild after the event that changed things has finished (a widget may be deleting itself).
    auto later = [this] { QTimer::singleShot(0, this, &Inspector::rebuild); };
    connect(editor->scene(), &QGraphicsScene::selectionChanged, this, later);
    connect(editor->model(), &GraphModel::documentChanged, this, later);
    connect(editor, &Editor::levelsChanged, this, later);
    // After the rebuild the selection change queued: focus the Name field with its text selected.
    connect(editor, &Editor::renameRequested, this, [this] {
        QTimer::singleShot(0, this, [this] {
            for (const char* name : {"childName", "portName"})
                if (auto* edit = m_content->findChild<QLineEdit*>(QLatin1String(name))) { // not the one being deleted
                    edit->setFocus(Qt::ShortcutFocusReason);
                    edit->selectAll();
                    return;
                }
        });
    });
    rebuild();
}

void Inspector::addHeading(const QString& text) {
    auto* l = new QLabel(QStringLiteral("<b>%1</b>").arg(text.toHtmlEscaped()), m_content);
    l->setWordWrap(true);
    m_layout->addWidget(l);
}

void Inspector::addText(const QString& text, bool muted) {
    auto* l = new QLabel(text, m_content);
    l->setWordWrap(true);
    l->setTextFormat(Qt::PlainText);
    if (muted) l->setStyleSheet(QStringLiteral("color: palette(mid);"));
    m_layout->addWidget(l);
}

void Inspector::rebuild() {
    if (m_content) m_content->deleteLater();
    auto* scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    m_content = scroll;
    auto* inner = new QWidget(scroll);
    m_layout = new QVBoxLayout(inner);
    scroll->setWidget(inner);
    m_outer->addWidget(scroll);
    // m_content is the scroll area; labels parented to inner through the layout.
    const QStringList keys = m_editor->scene()->selectedKeys();
    if (keys.isEmpty()) showDefinition();
    else if (keys.size() == 1) showNode(keys.front());
    else showSelection(keys);
    m_layout->addStretch(1);
}

void Inspector::showDefinition() {
    const QString defName = m_editor->definitionName();
    const BlockDef* def = m_editor->model()->definition(defName);
    if (!def) return;
    const bool isModel = qs(m_editor->model()->document().model) == defName;
    addHeading(defName + (isModel ? tr(" (the model)") : tr(" (block)")));
    if (!def->doc.empty()) addText(qs(def->doc));
    // The class name: what PyTorch export writes as `class <name>(nn.Module)` and the file calls the model.
    auto* nameForm = new QFormLayout;
    auto* className = new QLineEdit(defName, m_content);
    className->setObjectName(QStringLiteral("definitionName"));
    className->setToolTip(isModel ? tr("The model's class name (class %1(nn.Module) in PyTorch).").arg(defName)
                                  : tr("The block's class name; every instance of it follows."));
    nameForm->addRow(tr("Class name"), className);
    m_layout->addLayout(nameForm);
    connect(className, &QLineEdit::editingFinished, this, [this, className, defName] {
        if (className->text().trimmed() != defName && !m_editor->renameDefinition(defName, className->text()))
            className->setText(defName); // refused: the message says why
    });
    addText(kindSentence(QStringLiteral("Block")), true);
    auto addPortRow = [&](bool input) {
        auto* row = new QHBoxLayout;
        auto* name = new QLineEdit(m_content);
        name->setPlaceholderText(input ? tr("new input name") : tr("new output name"));
        auto* add = new QPushButton(input ? tr("Add input") : tr("Add output"), m_content);
        row->addWidget(name);
        row->addWidget(add);
        m_layout->addLayout(row);
        connect(add, &QPushButton::clicked, this, [this, name, input] { m_editor->addPort(input, name->text()); });
    };
    addText(tr("Inputs: %1").arg(def->inputs.size()));
    addPortRow(true);
    addText(tr("Outputs: %1").arg(def->outputs.size()));
    addPortRow(false);
    addText(tr("Select a node to see what it does. Tab or double-click on the canvas adds one; drag from an output "
               "port to an input port to wire."), true);
}

void Inspector::showSelection(const QStringList& keys) {
    addHeading(tr("%1 items selected").arg(keys.size()));
    addText(tr("Group them into a container (wires crossing the boundary become the block's ports):"), true);
    for (const QString& kind : {QStringLiteral("Sequential"), QStringLiteral("ModuleList"), QStringLiteral("block")}) {
        auto* b = new QPushButton(tr("Group into %1").arg(kind), m_content);
        m_layout->addWidget(b);
        connect(b, &QPushButton::clicked, this, [this, kind, keys] { m_editor->group(kind, keys); });
    }
    auto* del = new QPushButton(tr("Delete"), m_content);
    m_layout->addWidget(del);
    connect(del, &QPushButton::clicked, this, [this, keys] { m_editor->deleteItems(keys); });
}

void Inspector::addItemButtons(const QString& key, int at, QLayout* into) {
    const ModuleSpec* spec = m_editor->model()->calledSpec(m_editor->definitionName(), key);
    if (!spec) return;
    const size_t i = static_cast<size_t>(at);
    auto* up = new QPushButton(QStringLiteral("↑"), m_content);
    auto* down = new QPushButton(QStringLiteral("↓"), m_content);
    auto* remove = new QPushButton(tr("Remove"), m_content);
    up->setObjectName(QStringLiteral("item%1_up").arg(at));
    down->setObjectName(QStringLiteral("item%1_down").arg(at));
    remove->setObjectName(QStringLiteral("item%1_remove").arg(at));
    up->setToolTip(tr("Move up"));
    down->setToolTip(tr("Move down"));
    up->setEnabled(i > 0);
    down->setEnabled(i + 1 < spec->items.size());
    remove->setEnabled(spec->items.size() > 1);
    for (QPushButton* b : {up, down, remove}) {
        b->setMinimumWidth(b->fontMetrics().horizontalAdvance(b->text()) + 24); // never clipped
        into->addWidget(b);
    }
    connect(up, &QPushButton::clicked, this, [this, key, at] { m_editor->moveContainerItem(key, at, at - 1); });
    connect(down, &QPushButton::clicked, this, [this, key, at] { m_editor->moveContainerItem(key, at, at + 1); });
    connect(remove, &QPushButton::clicked, this, [this, key, at] { m_editor->removeContainerItem(key, at); });
}

void Inspector::addItemArgs(const QString& key, int at) {
    const ModuleSpec* spec = m_editor->model()->calledSpec(m_editor->definitionName(), key);
    if (!spec || at < 0 || at >= static_cast<int>(spec->items.size())) return;
    const ModuleSpec& item = spec->items[static_cast<size_t>(at)];
    const LayerType* itemType = findLayerType(item.type);
    if (!itemType || !item.sameAs.empty()) return;
    auto* form = new QFormLayout;
    for (const ArgSpec& a : itemType->args) {
        auto* edit = new QLineEdit(m_content);
        edit->setObjectName(QStringLiteral("item%1_arg_%2").arg(at).arg(qs(a.name)));
        const std::string before = item.args.contains(a.name) ? argText(item.args[a.name]) : std::string();
        edit->setText(qs(before));
        edit->setPlaceholderText(a.defaultValue.is_null() ? tr("inferred") : qs(a.defaultValue.dump()));
        form->addRow(QStringLiteral("    ") + qs(a.name), edit);
        const Json args = item.args;
        const std::string argName = a.name;
        connect(edit, &QLineEdit::editingFinished, this, [this, edit, key, at, args, argName, before] {
            const std::string text = ss(edit->text().trimmed());
            if (text != before) m_editor->setItemArgs(key, at, withArg(args, argName, text));
        });
    }
    m_layout->addLayout(form);
}

void Inspector::showItem(const QString& key, int row) {
    const QString defName = m_editor->definitionName();
    const ModuleSpec* spec = m_editor->model()->calledSpec(defName, key);
    if (!spec || row >= static_cast<int>(spec->items.size())) return;
    const QString child = m_editor->model()->calledChildName(defName, key);
    const ModuleSpec& item = spec->items[static_cast<size_t>(row)];
    addHeading(tr("Item %1.%2: %3").arg(child).arg(row).arg(qs(item.type)));
    addText(tr("Item %1 of the %2 %3: its parameters are %3.%1.* in state_dict(). Click the container's title "
               "for all its items.")
                .arg(row)
                .arg(qs(spec->type), child),
            true);
    if (!item.sameAs.empty()) {
        addText(tr("The same module as item %1, registered again (shared parameters).").arg(qs(item.sameAs)));
    } else {
        auto* form = new QFormLayout;
        auto* replace = new QComboBox(m_content);
        replace->setObjectName(QStringLiteral("itemReplace"));
        replace->setToolTip(tr("Replace this item with another module; arguments both take are kept."));
        for (const PaletteEntry& e : m_editor->itemEntries()) {
            replace->addItem(e.label + QStringLiteral("   (") + e.category + QLatin1Char(')'), e.id);
            if (e.label == qs(item.type)) replace->setCurrentIndex(replace->count() - 1);
        }
        form->addRow(tr("Type"), replace);
        m_layout->addLayout(form);
        const QString current = qs(item.type);
        connect(replace, &QComboBox::activated, this, [this, replace, key, row, current](int i) {
            const QString id = replace->itemData(i).toString();
            if (id.section(QLatin1Char(':'), 1) != current) m_editor->replaceContainerItem(key, row, id);
        });
        if (const LayerType* t = findLayerType(item.type)) addText(qs(t->summary), true);
        addItemArgs(key, row);
    }
    auto* buttons = new QHBoxLayout;
    addItemButtons(key, row, buttons);
    m_layout->addLayout(buttons);
}

void Inspector::showNode(const QString& key) {
    GraphModel* model = m_editor->model();
    const QString defName = m_editor->definitionName();
    const BlockDef* def = model->definition(defName);
    if (!def) return;
    auto button = [&](const QString& text, std::function<void()> fn) {
        auto* b = new QPushButton(text, m_content);
        m_layout->addWidget(b);
        connect(b, &QPushButton::clicked, this, fn);
    };
    if (key.startsWith(QLatin1String("input:")) || key.startsWith(QLatin1String("output:"))) {
        const bool input = key.startsWith(QLatin1String("input:"));
        const QString name = key.mid(key.indexOf(QLatin1Char(':')) + 1);
        addHeading((input ? tr("Input ") : tr("Output ")) + name);
        auto* form = new QFormLayout;
        auto* edit = new QLineEdit(name, m_content);
        edit->setObjectName(QStringLiteral("portName"));
        form->addRow(tr("Name"), edit);
        connect(edit, &QLineEdit::editingFinished, this, [this, edit, key, name] {
            if (edit->text() != name) m_editor->renamePort(key, edit->text());
        });
        const BlockInput* in = nullptr;
        for (const BlockInput& i : def->inputs)
            if (input && qs(i.name) == name) in = &i;
        if (in) {
            auto* kindBox = new QComboBox(m_content);
            kindBox->setObjectName(QStringLiteral("inputKind"));
            kindBox->addItem(tr("float tensor"));
            kindBox->addItem(tr("int64 index (e.g. a task id)"));
            kindBox->setCurrentIndex(in->dtype == DType::Int64 ? 1 : 0);
            form->addRow(tr("Kind"), kindBox);
            auto* shape = new QLineEdit(m_content);
            shape->setObjectName(QStringLiteral("inputShape"));
            QStringList dims;
            for (Index v : in->shape.value_or(std::vector<Index>{})) dims << QString::number(v);
            shape->setText(dims.join(QStringLiteral(", ")));
            shape->setPlaceholderText(tr("per sample, e.g. 10 or 3, 32, 32"));
            shape->setEnabled(in->dtype != DType::Int64);
            shape->setToolTip(tr("The size of one sample, without the batch dimension N."));
            form->addRow(tr("Shape"), shape);
            const QString before = shape->text();
            connect(shape, &QLineEdit::editingFinished, this, [this, shape, name, before] {
                if (shape->text().trimmed() != before) m_editor->setInputSpec(name, DType::Float32, shape->text());
            });
            connect(kindBox, &QComboBox::activated, this, [this, name, shape](int i) {
                m_editor->setInputSpec(name, i == 1 ? DType::Int64 : DType::Float32,
                                       shape->text().trimmed().isEmpty() ? QStringLiteral("10") : shape->text());
            });
            if (in->dtype == DType::Int64)
                addText(tr("An int64 index picks one item of a ModuleList at run time: wire it to a ModuleList "
                           "call's index port (the last input), or choose it in that call's menu."),
                        true);
        }
        m_layout->addLayout(form);
        button(tr("Remove this port"), [this, key] { m_editor->deleteItems({key}); });
        return;
    }
    const Node* n = def->findNode(ss(key));
    if (!n) return;
    const NodeLook look = lookOf(*model, defName, m_editor->levels().back().instancePath, key);
    if (const int row = m_editor->scene()->selectedRow(); row >= 0 && row < static_cast<int>(look.rows.size()))
        return showItem(key, row);
    QString kind;
    switch (look.kind) {
    case LookKind::Sequential: kind = QStringLiteral("Sequential"); break;
    case LookKind::ModuleList: kind = QStringLiteral("ModuleList"); break;
    case LookKind::Block: kind = QStringLiteral("Block"); break;
    default: break;
    }
    addHeading(n->isCall() ? tr("Node %1 calls %2 (%3)").arg(key, qs(n->call), look.subtitle.section(QStringLiteral("  ·  "), 0, 0))
                           : tr("Node %1: op %2").arg(key, qs(n->op)));
    if (!kind.isEmpty()) addText(kindSentence(kind));

    // Arguments: the child's (layer or block) or the op's.
    const ModuleSpec* spec = model->calledSpec(defName, key);
    const LayerType* layer = spec ? findLayerType(spec->type) : nullptr;
    const OpType* op = n->isCall() ? nullptr : findOpType(n->op);
    if (n->isCall()) {
        auto* nameForm = new QFormLayout;
        const QString child = model->calledChildName(defName, key);
        auto* nameEdit = new QLineEdit(child, m_content);
        nameEdit->setObjectName(QStringLiteral("childName"));
        nameEdit->setToolTip(tr("The attribute name (self.%1): the prefix of its parameters in state_dict().").arg(child));
        nameForm->addRow(tr("Name"), nameEdit);
        m_layout->addLayout(nameForm);
        connect(nameEdit, &QLineEdit::editingFinished, this, [this, nameEdit, key, child] {
            if (nameEdit->text().trimmed() != child) m_editor->renameChild(key, nameEdit->text().trimmed());
        });
    }
    if (layer) addText(qs(layer->summary), true);
    if (op) addText(qs(op->summary), true);
    std::vector<std::pair<std::string, Json>> argList; // name, default/inferred shown as placeholder
    const ModuleInstance* inst = n->isCall() ? model->childInstance(m_editor->levels().back().instancePath,
                                                                    model->calledChildName(defName, key))
                                             : nullptr;
    if (layer)
        for (const ArgSpec& a : layer->args)
            argList.push_back({a.name, inst && inst->args.contains(a.name) ? inst->args[a.name] : a.defaultValue});
    if (op)
        for (const ArgSpec& a : op->args) argList.push_back({a.name, a.defaultValue});
    if (spec)
        if (const BlockDef* b = model->definition(qs(spec->type)))
            for (const BlockParameter& p : b->parameters) argList.push_back({p.name, p.defaultValue});
    if (!argList.empty()) {
        auto* form = new QFormLayout;
        const Json current = op ? n->args : (spec ? spec->args : Json::object());
        for (const auto& [name, shown] : argList) {
            auto* edit = new QLineEdit(m_content);
            edit->setObjectName(QStringLiteral("arg_") + qs(name));
            if (current.contains(name)) edit->setText(qs(argText(current[name])));
            edit->setPlaceholderText(shown.is_null() ? tr("inferred") : qs(shown.dump()));
            form->addRow(qs(name), edit);
            const std::string argName = name;
            const bool isOp = op != nullptr;
            connect(edit, &QLineEdit::editingFinished, this, [this, edit, argName, key, current, isOp] {
                const std::string text = ss(edit->text().trimmed());
                const std::string before = current.contains(argName) ? argText(current[argName]) : "";
                if (text == before) return;
                const Json args = withArg(current, argName, text);
                if (isOp) m_editor->setOpArgs(key, args);
                else m_editor->setChildArgs(key, args);
            });
        }
        m_layout->addLayout(form);
    }
    if (!look.params.isEmpty()) addText(look.params);

    if (look.kind == LookKind::ModuleList) {
        auto* combo = new QComboBox(m_content);
        combo->setObjectName(QStringLiteral("listUse"));
        const ModuleSpec* list = spec;
        for (size_t i = 0; list && i < list->items.size(); ++i) combo->addItem(tr("call %1[%2]").arg(qs(n->call)).arg(i), static_cast<int>(i));
        for (const BlockInput& in : def->inputs)
            if (in.dtype == DType::Int64) combo->addItem(tr("call %1[%2] (runtime index)").arg(qs(n->call), qs(in.name)), -2);
        combo->addItem(tr("apply every item in turn"), -1);
        if (n->listUse == ListUse::Chain) combo->setCurrentIndex(combo->count() - 1);
        else if (n->constIndex) combo->setCurrentIndex(static_cast<int>(*n->constIndex));
        else
            for (int i = 0; i < combo->count(); ++i)
                if (combo->itemText(i).contains(QLatin1Char('[') + qs(n->indexInput) + QLatin1Char(']'))) combo->setCurrentIndex(i);
        m_layout->addWidget(combo);
        connect(combo, &QComboBox::activated, this, [this, combo, key](int i) {
            const int v = combo->itemData(i).toInt();
            if (v >= 0) m_editor->setListIndex(key, ListUse::Index, v);
            else if (v == -1) m_editor->setListIndex(key, ListUse::Chain, std::nullopt);
            else {
                const QString in = combo->itemText(i).section(QLatin1Char('['), 1).section(QLatin1Char(']'), 0, 0);
                const QString def = m_editor->definitionName();
                const int port = m_editor->model()->inputPortCount(def, key) - 1; // the index port is last
                m_editor->connectPorts({QStringLiteral("input:") + in, 0}, {key, port});
            }
        });
    }
    if ((look.kind == LookKind::Sequential || look.kind == LookKind::ModuleList) && spec) {
        addText(tr("Items (select one on the canvas, or edit it here; empty fields are inferred):"), true);
        for (size_t i = 0; i < spec->items.size(); ++i) {
            const ModuleSpec& item = spec->items[i];
            const int at = static_cast<int>(i);
            auto* row = new QHBoxLayout;
            // The item's title selects it on its own (its type can be replaced there).
            auto* title = new QPushButton(QStringLiteral("%1  %2").arg(i).arg(qs(item.type)), m_content);
            title->setObjectName(QStringLiteral("item%1").arg(i));
            title->setFlat(true);
            title->setStyleSheet(QStringLiteral("text-align: left; font-weight: bold;"));
            title->setToolTip(tr("Select this item (replace its type, see its parameters)"));
            connect(title, &QPushButton::clicked, this, [this, key, at] { m_editor->scene()->selectItem(key, at); });
            row->addWidget(title, 1);
            addItemButtons(key, at, row);
            m_layout->addLayout(row);
            addItemArgs(key, at);
        }
        if (look.kind == LookKind::ModuleList)
            addText(tr("Add an item: drop a layer from the palette onto this node."), true);
    }
    if (look.sharedUses > 1) {
        const QStringList others = model->nodesSharingWith(defName, key);
        addText(tr("Shared: this instance runs at %1 places (%2). Every use trains the same parameters; its "
                   "gradient is the sum over the uses.")
                    .arg(look.sharedUses)
                    .arg(others.join(QStringLiteral(", "))));
    }
    // Problems and fixes.
    for (const Diagnostic* d : model->diagnosticsFor(defName, m_editor->levels().back().instancePath, key)) {
        auto* l = new QLabel((d->isError() ? tr("Error: ") : tr("Warning: ")) + qs(d->message) +
                                 (d->fixForEditor().empty() ? QString() : tr("\nFix: ") + qs(d->fixForEditor())),
                             m_content);
        l->setWordWrap(true);
        l->setStyleSheet(d->isError() ? QStringLiteral("color: #f05050;") : QStringLiteral("color: #e8b030;"));
        m_layout->addWidget(l);
        if (m_editor->hasFix(*d)) {
            const Diagnostic copy = *d;
            button(tr("Apply fix: add the projection"), [this, copy] { m_editor->applyFix(copy); });
        }
    }
    if (look.kind == LookKind::Block) button(tr("Open block"), [this, key] { m_editor->enterNode(key); });
    if (n->isCall()) button(tr("Call again (share this instance)"), [this, key] { m_editor->callAgain(key); });
    if (look.kind == LookKind::Sequential || look.kind == LookKind::ModuleList || look.kind == LookKind::Block)
        button(tr("Ungroup"), [this, key] { m_editor->ungroup(key); });
    button(tr("Delete"), [this, key] { m_editor->deleteItems({key}); });
}

} // namespace ml::gui
