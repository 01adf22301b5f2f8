#include "editor/Editor.h"

#include "editor/AutoLayout.h"
#include "editor/DocumentCommand.h"
#include "editor/EditorScene.h"
#include "editor/GraphEdits.h"
#include "editor/MoveCommand.h"
#include "editor/NodeItem.h"
#include "editor/NodeLook.h"
#include "model/LayerCatalog.h"

#include <QRegularExpression>

#include <cmath>

#include <algorithm>
#include <set>

namespace ml::gui {

Editor::Editor(QObject* parent)
    : QObject(parent), m_model(new GraphModel(this)), m_undo(new QUndoStack(this)),
      m_scene(new EditorScene(m_model, this)) {
    connect(m_model, &GraphModel::documentChanged, this, &Editor::followLevels);
    newDocument();
}

void Editor::followLevels() {
    if (m_levels.empty()) return;
    std::vector<ViewLevel> levels = m_levels;
    levels.front().definition = qs(m_model->document().model);
    for (size_t i = 1; i < levels.size(); ++i) {
        const ModuleInstance* m = m_model->instanceAt(levels[i].instancePath);
        if (!m || m->kind != ModuleKind::Block || !m->block) {
            levels.resize(i); // that instance is gone: show its parent
            break;
        }
        levels[i].definition = qs(m->block->name);
    }
    const bool changed = levels.size() != m_levels.size() ||
                         !std::equal(levels.begin(), levels.end(), m_levels.begin(), [](const ViewLevel& a, const ViewLevel& b) {
                             return a.definition == b.definition;
                         });
    if (!changed) return;
    m_levels = levels;
    showLevel();
}

QString Editor::definitionName() const { return m_levels.empty() ? QString() : m_levels.back().definition; }

// --- files -------------------------------------------------------------------

void Editor::setDocument(ModelDocument doc) {
    m_undo->clear();
    m_levels.clear(); // set below; nothing to follow
    m_model->setDocument(std::move(doc));
    m_levels = {{qs(m_model->document().model), QString(), QString()}};
    showLevel();
    m_undo->setClean();
}

void Editor::newDocument() {
    ModelDocument doc;
    doc.model = "Model";
    BlockDef b;
    b.name = "Model";
    b.inputs.push_back({"x", DType::Float32, std::vector<Index>{10}});
    b.outputs.push_back({"y", "x"});
    doc.definitions.push_back(b);
    setDocument(std::move(doc));
}

bool Editor::loadFile(const QString& path, QString* error) {
    try {
        ModelDocument doc = io::readModelFile(ss(path));
        setDocument(std::move(doc));
        return true;
    } catch (const std::exception& e) {
        if (error) *error = qs(e.what());
        return false;
    }
}

bool Editor::saveFile(const QString& path, QString* error) {
    try {
        io::writeModelFile(m_model->document(), ss(path));
        m_undo->setClean();
        return true;
    } catch (const std::exception& e) {
        if (error) *error = qs(e.what());
        return false;
    }
}

// --- navigation --------------------------------------------------------------

void Editor::showLevel() {
    const ViewLevel& l = m_levels.back();
    m_scene->showDefinition(l.definition, l.instancePath);
    Q_EMIT levelsChanged();
}

bool Editor::enterNode(const QString& nodeId) {
    const ModuleSpec* spec = m_model->calledSpec(definitionName(), nodeId);
    if (!spec || !m_model->definition(qs(spec->type))) return false;
    const QString child = m_model->calledChildName(definitionName(), nodeId);
    const QString parentPath = m_levels.back().instancePath;
    m_levels.push_back({qs(spec->type), parentPath.isEmpty() ? child : parentPath + QLatin1Char('.') + child, nodeId});
    showLevel();
    return true;
}

void Editor::goToLevel(int level) {
    if (level < 0 || level >= static_cast<int>(m_levels.size()) - 1) return;
    const QString left = m_levels[static_cast<size_t>(level) + 1].enteredFrom;
    m_levels.resize(static_cast<size_t>(level) + 1);
    showLevel();
    m_scene->markRecentlyLeft(left);
}

void Editor::goUp() { goToLevel(static_cast<int>(m_levels.size()) - 2); }

void Editor::revealDiagnostic(const Diagnostic& d) {
    const std::string model = m_model->document().model;
    std::vector<ViewLevel> levels{{qs(model), QString(), QString()}};
    QString select = qs(d.node);
    if (d.definition != model) {
        const QStringList parts = (d.path == model || d.path.empty()) ? QStringList() : qs(d.path).split(QLatin1Char('.'));
        // Walk into every block instance on the path, stopping at the diagnostic's definition.
        QString path;
        for (int i = 0; i < parts.size(); ++i) {
            const QString next = path.isEmpty() ? parts[i] : path + QLatin1Char('.') + parts[i];
            const ModuleInstance* m = m_model->instanceAt(next);
            if (!m || m->kind != ModuleKind::Block || !m->block) {
                if (select.isEmpty() || d.definition != ss(levels.back().definition)) {
                    // Select the node in this level that calls parts[i].
                    select.clear();
                    if (const BlockDef* def = m_model->definition(levels.back().definition))
                        for (const Node& n : def->nodes)
                            if (n.isCall() && m_model->calledChildName(levels.back().definition, qs(n.id)) == parts[i]) {
                                select = qs(n.id);
                                break;
                            }
                }
                break;
            }
            QString caller;
            if (const BlockDef* def = m_model->definition(levels.back().definition))
                for (const Node& n : def->nodes)
                    if (n.isCall() && m_model->calledChildName(levels.back().definition, qs(n.id)) == parts[i]) {
                        caller = qs(n.id);
                        break;
                    }
            if (d.definition != m->block->name && i + 1 == parts.size()) {
                select = caller; // the problem is the call itself
                break;
            }
            levels.push_back({qs(m->block->name), next, caller});
            path = next;
            if (m->block->name == d.definition) break;
        }
    }
    m_levels = levels;
    showLevel();
    if (!select.isEmpty()) m_scene->selectKeys({select});
}

// --- edits -------------------------------------------------------------------

bool Editor::edit(const QString& text, const std::function<void(ModelDocument&)>& fn) {
    ModelDocument after = m_model->document();
    try {
        fn(after);
    } catch (const std::exception& e) {
        Q_EMIT message(tr("%1 refused: %2").arg(text, qs(e.what())));
        return false;
    }
    std::map<QString, QSizeF> sizes;
    for (const auto& [k, item] : m_scene->nodeItems()) sizes[k] = item->look().size;
    m_undo->push(new DocumentCommand(m_model, text, m_model->document(), std::move(after)));
    // A node the edit made bigger (an item dropped in, a params line, a longer name)
    // pushes what it now covers down.
    QStringList grown;
    for (const auto& [k, item] : m_scene->nodeItems())
        if (auto it = sizes.find(k); it != sizes.end() && (item->look().size.height() > it->second.height() ||
                                                           item->look().size.width() > it->second.width()))
            grown << k;
    for (const QString& k : grown) makeRoomAround(k);
    return true;
}

QString Editor::addFromPalette(const QString& entry, QPointF pos) {
    const std::string def = ss(definitionName());
    std::string id;
    if (!edit(tr("Add %1").arg(entry.section(QLatin1Char(':'), 1)),
              [&](ModelDocument& doc) { id = edits::addEntry(doc, def, ss(entry), pos); }))
        return {};
    placeNew(qs(id));
    m_scene->selectKeys({qs(id)});
    return qs(id);
}

bool Editor::amendLastEdit(const std::map<QString, QPointF>& positions) {
    if (positions.empty() || m_undo->index() == 0) return false;
    auto* cmd = dynamic_cast<const DocumentCommand*>(m_undo->command(m_undo->index() - 1));
    if (!cmd) return false;
    m_model->setPositions(definitionName(), positions);
    // Part of the same step: redo restores these positions too.
    const_cast<DocumentCommand*>(cmd)->setAfter(m_model->document());
    return true;
}

void Editor::placeNew(const QString& id) {
    if (!m_placer || id.isEmpty()) return;
    const QPointF at = m_model->position(definitionName(), id).value_or(QPointF());
    const QPointF p = m_placer(id, at);
    if (p != at && amendLastEdit({{id, p}}))
        Q_EMIT revealRequested(id); // no free place in sight: it went beside, and the view follows
}

void Editor::makeRoomAround(const QString& key) {
    // A container that grew (an item dropped in) pushes what it now covers down,
    // and what those cover in turn, so no node ends up on top of another.
    const QString def = definitionName();
    std::map<QString, QRectF> rects;
    for (const QString& k : m_model->itemKeys(def))
        rects[k] = QRectF(m_model->position(def, k).value_or(QPointF()), m_scene->sizeOf(k));
    std::map<QString, QPointF> moved;
    std::vector<QString> pushers{key};
    for (size_t i = 0; i < pushers.size() && i < 200; ++i) {
        const QRectF r = rects[pushers[i]].adjusted(-kGrid / 2, -kGrid / 2, kGrid / 2, kGrid / 2);
        for (auto& [k, other] : rects) {
            if (k == pushers[i] || k == key || !other.intersects(r) || other.top() < rects[pushers[i]].top()) continue;
            other.moveTop(std::ceil((r.bottom() + kGrid / 2) / kGrid) * kGrid);
            moved[k] = other.topLeft();
            pushers.push_back(k);
        }
    }
    amendLastEdit(moved);
}

std::vector<PaletteEntry> Editor::entriesFitting(const PortRef& port, bool portIsOutput) const {
    const QString def = definitionName();
    const bool index = portIsOutput ? m_model->outputPortKind(def, port.key, port.port) == PortKind::Index
                                    : m_model->inputPortKind(def, port.key, port.port) == PortKind::Index;
    // From an output of known shape, only what accepts that shape (no Conv2d for [N, 5]).
    const TensorType* type = portIsOutput ? m_model->outputType(m_levels.back().instancePath, def, port) : nullptr;
    std::vector<PaletteEntry> out;
    for (PaletteEntry& e : paletteEntries(m_model->document()))
        if (edits::entryFits(m_model->document(), ss(e.id), index, portIsOutput) &&
            (!type || edits::entryFitsShape(m_model->document(), ss(e.id), *type)))
            out.push_back(std::move(e));
    return out;
}

QString Editor::shapeProblem(const QString& entry, const PortRef& output) const {
    const TensorType* type = m_model->outputType(m_levels.back().instancePath, definitionName(), output);
    std::string why;
    if (!type || edits::entryFitsShape(m_model->document(), ss(entry), *type, &why)) return {};
    return tr("%1 does not fit the wire's %2: %3").arg(entry.section(QLatin1Char(':'), 1), shapeText(*type), qs(why));
}

QString Editor::addWired(const QString& entry, QPointF pos, const PortRef& port, bool portIsOutput) {
    const QString def = definitionName();
    const bool index = portIsOutput ? m_model->outputPortKind(def, port.key, port.port) == PortKind::Index
                                    : m_model->inputPortKind(def, port.key, port.port) == PortKind::Index;
    if (!edits::entryFits(m_model->document(), ss(entry), index, portIsOutput)) {
        Q_EMIT message(tr("%1 does not fit that port.").arg(entry.section(QLatin1Char(':'), 1)));
        return {};
    }
    if (const QString problem = portIsOutput ? shapeProblem(entry, port) : QString(); !problem.isEmpty()) {
        Q_EMIT message(problem);
        return {};
    }
    const std::string ref = portIsOutput ? ss(m_model->refOfOutput(def, port)) : std::string();
    const bool indexPort = !portIsOutput && m_model->isIndexPort(def, port.key, port.port);
    std::string id;
    if (!edit(tr("Add %1").arg(entry.section(QLatin1Char(':'), 1)), [&](ModelDocument& doc) {
            id = edits::addEntry(doc, ss(def), ss(entry), pos);
            if (portIsOutput) edits::feedFirstFitting(doc, ss(def), id, ref, index);
            else edits::connect(doc, ss(def), edits::firstOutputRef(doc, ss(def), id), port.key, port.port, indexPort);
        }))
        return {};
    placeNew(qs(id));
    m_scene->selectKeys({qs(id)});
    return qs(id);
}

QString Editor::insertProblem(const QString& nodeId, const Wire& wire) const {
    const QString def = definitionName();
    if (wire.from.key == nodeId || wire.to.key == nodeId) return tr("it is this node's own wire");
    if (m_model->outputPortKind(def, wire.from.key, wire.from.port) == PortKind::Index)
        return tr("an int64 index wire cannot go through a node");
    if (m_model->outputPortCount(def, nodeId) == 0 || m_model->inputPortCount(def, nodeId) == 0)
        return tr("'%1' has no input and output to put in a wire").arg(nodeId);
    for (const Wire& w : m_model->wires(def))
        if (w.from.key == nodeId || w.to.key == nodeId) return tr("'%1' is already wired").arg(nodeId);
    return {};
}

bool Editor::insertIntoWire(const QString& nodeId, const Wire& wire, int dragSerial) {
    const QString problem = insertProblem(nodeId, wire);
    if (!problem.isEmpty()) {
        Q_EMIT message(tr("Insert refused: %1.").arg(problem));
        return false;
    }
    const QString def = definitionName();
    // The drag that brought the node here becomes part of this step: undo its
    // move, then redo the positions inside the insertion.
    std::map<QString, QPointF> moved;
    if (dragSerial && m_undo->index() > 0)
        if (const auto* mc = dynamic_cast<const MoveCommand*>(m_undo->command(m_undo->index() - 1));
            mc && mc->serial() == dragSerial && mc->definition() == def) {
            moved = mc->after();
            m_undo->undo();
        }
    const std::string ref = ss(m_model->refOfOutput(def, wire.from));
    const bool ok = edit(tr("Insert %1").arg(nodeId), [&](ModelDocument& doc) {
        for (const auto& [k, p] : moved) edits::setPosition(doc, ss(def), ss(k), p);
        edits::insertIntoWire(doc, ss(def), ss(nodeId), ref, wire.to.key, wire.to.port);
    });
    if (!ok && !moved.empty()) m_undo->redo(); // keep the move when the insertion is refused
    return ok;
}

QString Editor::addIntoWire(const QString& entry, QPointF pos, const Wire& wire) {
    const QString def = definitionName();
    if (m_model->outputPortKind(def, wire.from.key, wire.from.port) == PortKind::Index) {
        Q_EMIT message(tr("Insert refused: an int64 index wire cannot go through a node."));
        return {};
    }
    if (const QString problem = shapeProblem(entry, wire.from); !problem.isEmpty()) {
        Q_EMIT message(tr("Insert refused: %1").arg(problem));
        return {};
    }
    const std::string ref = ss(m_model->refOfOutput(def, wire.from));
    std::string id;
    if (!edit(tr("Insert %1").arg(entry.section(QLatin1Char(':'), 1)), [&](ModelDocument& doc) {
            id = edits::addEntry(doc, ss(def), ss(entry), pos);
            edits::insertIntoWire(doc, ss(def), id, ref, wire.to.key, wire.to.port);
        }))
        return {};
    placeNew(qs(id));
    m_scene->selectKeys({qs(id)});
    return qs(id);
}

bool Editor::deleteAndReconnect(const QStringList& nodeIds) {
    const std::string def = ss(definitionName());
    QStringList nodes;
    for (const QString& k : nodeIds)
        if (!k.startsWith(QLatin1String("input:")) && !k.startsWith(QLatin1String("output:"))) nodes << k;
    if (nodes.isEmpty()) return false;
    return edit(nodes.size() == 1 ? tr("Delete %1 and reconnect").arg(nodes.front())
                                  : tr("Delete %1 nodes and reconnect").arg(nodes.size()),
                [&](ModelDocument& doc) { edits::removeAndReconnect(doc, def, nodes); });
}

bool Editor::cutWires(const std::vector<PortRef>& inputs) {
    if (inputs.empty()) return false;
    const QString def = definitionName();
    struct Cut {
        PortRef to;
        bool index, variadic;
    };
    std::vector<Cut> cuts;
    for (const PortRef& p : inputs)
        cuts.push_back({p, m_model->isIndexPort(def, p.key, p.port), m_model->isVariadic(def, p.key)});
    // Highest port first: cutting a variadic input shifts the ones after it.
    std::sort(cuts.begin(), cuts.end(), [](const Cut& a, const Cut& b) {
        return a.to.key != b.to.key ? a.to.key < b.to.key : a.to.port > b.to.port;
    });
    return edit(cuts.size() == 1 ? tr("Cut wire") : tr("Cut %1 wires").arg(cuts.size()), [&](ModelDocument& doc) {
        for (const Cut& c : cuts) edits::disconnect(doc, ss(def), c.to.key, c.to.port, c.index, c.variadic);
    });
}

QStringList Editor::duplicate(const QStringList& nodeIds) {
    QStringList nodes;
    for (const QString& k : nodeIds)
        if (!k.startsWith(QLatin1String("input:")) && !k.startsWith(QLatin1String("output:"))) nodes << k;
    if (nodes.isEmpty()) return {};
    const std::string def = ss(definitionName());
    QStringList ids;
    const bool ok = edit(tr("Duplicate"), [&](ModelDocument& doc) {
        const ModelDocument clip = edits::copyItems(doc, def, nodes);
        ids = edits::paste(doc, def, clip, QPointF(2 * kGrid, 3 * kGrid));
    });
    if (!ok) return {};
    for (const QString& id : ids) placeNew(id); // beside the originals, on none of them
    m_scene->selectKeys(ids);
    return ids;
}

namespace {
// The module a palette entry stands for as a container item.
ModuleSpec itemSpecFor(const ModelDocument& doc, const QString& entry) {
    const QString kind = entry.section(QLatin1Char(':'), 0, 0);
    const std::string name = ss(entry.section(QLatin1Char(':'), 1));
    ModuleSpec item;
    if (kind == QLatin1String("layer")) item = edits::defaultLayerSpec(name);
    else if (kind == QLatin1String("container")) item.type = name;
    else if (kind == QLatin1String("block") && doc.findDefinition(name)) item.type = name;
    else throw Error("only layers, containers and blocks can be items of a container.");
    return item;
}
} // namespace

bool Editor::addIntoContainer(const QString& entry, const QString& containerNode) {
    const std::string def = ss(definitionName());
    const bool ok = edit(tr("Add %1 to %2").arg(entry.section(QLatin1Char(':'), 1), containerNode), [&](ModelDocument& doc) {
        edits::appendItem(doc, def, ss(containerNode), itemSpecFor(doc, entry));
    });
    return ok;
}

std::vector<PaletteEntry> Editor::itemEntries() const {
    std::vector<PaletteEntry> out;
    for (PaletteEntry& e : paletteEntries(m_model->document()))
        if (!e.id.startsWith(QLatin1String("op:")) && e.id != QLatin1String("block:+") &&
            e.id != QLatin1String("block:") + definitionName())
            out.push_back(std::move(e));
    return out;
}

bool Editor::replaceContainerItem(const QString& nodeId, int item, const QString& entry) {
    const QString def = definitionName();
    const QString child = m_model->calledChildName(def, nodeId);
    if (child.isEmpty()) return false;
    const int row = m_scene->selectedRow();
    const bool ok = edit(tr("Replace %1.%2 with %3").arg(child).arg(item).arg(entry.section(QLatin1Char(':'), 1)),
                         [&](ModelDocument& doc) {
                             edits::replaceItem(doc, ss(def), ss(child), item, itemSpecFor(doc, entry));
                         });
    if (ok && row == item) m_scene->selectItem(nodeId, item);
    return ok;
}

std::vector<PaletteEntry> Editor::entriesForWire(const Wire& wire) const {
    std::vector<PaletteEntry> out;
    if (m_model->outputPortKind(definitionName(), wire.from.key, wire.from.port) == PortKind::Index) return out;
    const ModelDocument& doc = m_model->document();
    // What takes the wire's shape, as the add menu from an output offers.
    const TensorType* type = m_model->outputType(m_levels.back().instancePath, definitionName(), wire.from);
    for (PaletteEntry& e : paletteEntries(doc))
        if (edits::entryFits(doc, ss(e.id), false, true) && edits::entryFits(doc, ss(e.id), false, false) &&
            (!type || edits::entryFitsShape(doc, ss(e.id), *type))) {
            // A wire fills one input: an op needing two (add, concat) would be left half wired.
            const OpType* op = e.id.startsWith(QLatin1String("op:")) ? findOpType(ss(e.id.mid(3))) : nullptr;
            if (!op || op->minInputs <= 1) out.push_back(std::move(e));
        }
    return out;
}

QString Editor::itemName(const QString& key) const {
    if (key.startsWith(QLatin1String("input:")) || key.startsWith(QLatin1String("output:")))
        return key.section(QLatin1Char(':'), 1);
    const QString child = m_model->calledChildName(definitionName(), key);
    return child.isEmpty() ? key : child;
}

bool Editor::renameItem(const QString& key, const QString& newName) {
    if (newName == itemName(key)) return true;
    if (key.startsWith(QLatin1String("input:")) || key.startsWith(QLatin1String("output:")))
        return renamePort(key, newName);
    if (!m_model->calledChildName(definitionName(), key).isEmpty()) return renameChild(key, newName);
    const std::string def = ss(definitionName());
    const bool ok = edit(tr("Rename %1 to %2").arg(key, newName),
                         [&](ModelDocument& doc) { edits::renameNode(doc, def, ss(key), ss(newName)); });
    if (ok) m_scene->selectKeys({newName});
    return ok;
}

bool Editor::selectModulePath(const QString& path) {
    const QStringList parts = path.isEmpty() ? QStringList() : path.split(QLatin1Char('.'));
    std::vector<ViewLevel> levels{m_levels.front()};
    QString select;
    int row = -1;
    for (int i = 0; i < parts.size(); ++i) {
        const QString def = levels.back().definition;
        const BlockDef* d = m_model->definition(def);
        if (!d) return false;
        QString node;
        for (const Node& n : d->nodes)
            if (n.isCall() && (qs(n.call) == parts[i] || m_model->calledChildName(def, qs(n.id)) == parts[i])) {
                node = qs(n.id);
                break;
            }
        if (node.isEmpty()) return false;
        const ModuleSpec* spec = m_model->calledSpec(def, node);
        select = node;
        if (i + 1 == parts.size() || !spec) break;
        if (spec->isContainer()) {
            bool number = false;
            row = parts[i + 1].toInt(&number);
            if (!number) row = -1;
            break; // deeper than an item: the item shows it
        }
        if (!m_model->definition(qs(spec->type))) break;
        const QString prefix = levels.back().instancePath;
        levels.push_back({qs(spec->type), prefix.isEmpty() ? parts[i] : prefix + QLatin1Char('.') + parts[i], node});
    }
    const bool sameLevels = levels.size() == m_levels.size() &&
                            std::equal(levels.begin(), levels.end(), m_levels.begin(), [](const ViewLevel& a, const ViewLevel& b) {
                                return a.definition == b.definition && a.instancePath == b.instancePath;
                            });
    if (!sameLevels) {
        m_levels = levels;
        showLevel();
    }
    if (select.isEmpty()) m_scene->selectKeys({});
    else m_scene->selectItem(select, row);
    if (!select.isEmpty()) Q_EMIT revealRequested(select);
    return true;
}

QString Editor::selectedModulePath() const {
    const QStringList keys = m_scene->selectedKeys();
    if (keys.size() != 1) return {};
    const QString child = m_model->calledChildName(definitionName(), keys.front());
    if (child.isEmpty()) return {};
    const QString prefix = m_levels.back().instancePath;
    QString path = prefix.isEmpty() ? child : prefix + QLatin1Char('.') + child;
    if (m_scene->selectedRow() >= 0) path += QLatin1Char('.') + QString::number(m_scene->selectedRow());
    return path;
}

QString Editor::wireProblem(const PortRef& from, const PortRef& to) const {
    const QString def = definitionName();
    if (from.port < 0 || from.port >= m_model->outputPortCount(def, from.key)) return tr("that is not an output port");
    if (to.port < 0 || to.port >= m_model->inputPortCount(def, to.key)) return tr("that is not an input port");
    if (from.key == to.key) return tr("a node cannot feed itself");
    // A cycle: `to` already feeds `from`.
    std::map<QString, std::vector<QString>> sources;
    for (const Wire& w : m_model->wires(def)) sources[w.to.key].push_back(w.from.key);
    std::set<QString> seen;
    std::vector<QString> stack{from.key};
    while (!stack.empty()) {
        const QString k = stack.back();
        stack.pop_back();
        if (k == to.key) return tr("it would make a cycle: '%1' already depends on '%2'").arg(from.key, to.key);
        if (!seen.insert(k).second) continue;
        for (const QString& s : sources[k]) stack.push_back(s);
    }
    const PortKind fk = m_model->outputPortKind(def, from.key, from.port);
    const PortKind tk = m_model->inputPortKind(def, to.key, to.port);
    const QString name = m_model->refOfOutput(def, from);
    if (fk == PortKind::Index && tk == PortKind::Tensor)
        return tr("'%1' is an int64 index; it can only choose a ModuleList item (a square index port)").arg(name);
    if (fk == PortKind::Tensor && tk == PortKind::Index)
        return tr("a ModuleList index must be an int64 input of %1, not the tensor '%2'").arg(def, name);
    return {};
}

bool Editor::connectPorts(const PortRef& from, const PortRef& to) {
    const QString problem = wireProblem(from, to);
    if (!problem.isEmpty()) {
        Q_EMIT message(tr("Wire refused: %1.").arg(problem));
        return false;
    }
    const QString def = definitionName();
    const std::string ref = ss(m_model->refOfOutput(def, from));
    const bool index = m_model->isIndexPort(def, to.key, to.port);
    return edit(tr("Wire %1 → %2").arg(qs(ref), to.key),
                [&](ModelDocument& doc) { edits::connect(doc, ss(def), ref, to.key, to.port, index); });
}

bool Editor::disconnectPort(const PortRef& to) {
    const QString def = definitionName();
    const bool index = m_model->isIndexPort(def, to.key, to.port);
    const bool variadic = m_model->isVariadic(def, to.key);
    return edit(tr("Unwire %1").arg(to.key),
                [&](ModelDocument& doc) { edits::disconnect(doc, ss(def), to.key, to.port, index, variadic); });
}

bool Editor::rewire(const PortRef& oldTo, const PortRef& from, const PortRef& newTo) {
    if (oldTo == newTo) return true;
    const QString problem = wireProblem(from, newTo);
    if (!problem.isEmpty()) {
        Q_EMIT message(tr("Wire refused: %1.").arg(problem));
        return false;
    }
    const QString def = definitionName();
    const std::string ref = ss(m_model->refOfOutput(def, from));
    const bool oldIndex = m_model->isIndexPort(def, oldTo.key, oldTo.port);
    const bool newIndex = m_model->isIndexPort(def, newTo.key, newTo.port);
    const bool variadic = m_model->isVariadic(def, oldTo.key);
    return edit(tr("Move wire"), [&](ModelDocument& doc) {
        edits::connect(doc, ss(def), ref, newTo.key, newTo.port, newIndex);
        edits::disconnect(doc, ss(def), oldTo.key, oldTo.port, oldIndex, variadic && oldTo.key != newTo.key);
    });
}

bool Editor::deleteItems(const QStringList& keys) {
    if (keys.isEmpty()) return false;
    const std::string def = ss(definitionName());
    return edit(keys.size() == 1 ? tr("Delete %1").arg(keys.front()) : tr("Delete %1 items").arg(keys.size()),
                [&](ModelDocument& doc) { edits::removeItems(doc, def, keys); });
}

void Editor::moveItems(const std::map<QString, QPointF>& before, const std::map<QString, QPointF>& after, int serial) {
    m_undo->push(new MoveCommand(m_model, definitionName(), before, after, serial));
}

bool Editor::setChildArgs(const QString& nodeId, const Json& args) {
    const QString def = definitionName();
    const QString child = m_model->calledChildName(def, nodeId);
    if (child.isEmpty()) return false;
    return edit(tr("Change %1").arg(child), [&](ModelDocument& doc) {
        edits::setChildArgs(doc, ss(def), ss(child), args);
    });
}

bool Editor::setOpArgs(const QString& nodeId, const Json& args) {
    const std::string def = ss(definitionName());
    return edit(tr("Change %1").arg(nodeId), [&](ModelDocument& doc) { edits::setOpArgs(doc, def, ss(nodeId), args); });
}

bool Editor::setListIndex(const QString& nodeId, ListUse use, std::optional<Index> constIndex) {
    const std::string def = ss(definitionName());
    return edit(tr("Change index of %1").arg(nodeId),
                [&](ModelDocument& doc) { edits::setListIndex(doc, def, ss(nodeId), use, constIndex); });
}

QString Editor::callAgain(const QString& nodeId) {
    const std::string def = ss(definitionName());
    const QPointF at = m_model->position(definitionName(), nodeId).value_or(QPointF()) +
                       QPointF(0, m_scene->sizeOf(nodeId).height() + 60);
    std::string id;
    if (!edit(tr("Call %1 again").arg(nodeId),
              [&](ModelDocument& doc) { id = edits::callAgain(doc, def, ss(nodeId), at); }))
        return {};
    placeNew(qs(id)); // below the first call, or the nearest free place
    m_scene->selectKeys({qs(id)});
    return qs(id);
}

QString Editor::group(const QString& kind, const QStringList& nodeIds) {
    const std::string def = ss(definitionName());
    std::string id;
    const bool ok = edit(tr("Group into %1").arg(kind), [&](ModelDocument& doc) {
        if (kind == QLatin1String("Sequential")) id = edits::groupSequential(doc, def, nodeIds);
        else if (kind == QLatin1String("ModuleList")) id = edits::groupModuleList(doc, def, nodeIds);
        else id = edits::groupBlock(doc, def, nodeIds);
    });
    if (!ok) return {};
    m_scene->selectKeys({qs(id)});
    return qs(id);
}

bool Editor::ungroup(const QString& nodeId) {
    const std::string def = ss(definitionName());
    return edit(tr("Ungroup %1").arg(nodeId), [&](ModelDocument& doc) { edits::ungroup(doc, def, ss(nodeId)); });
}

bool Editor::moveContainerItem(const QString& nodeId, int from, int to) {
    const QString def = definitionName();
    const QString child = m_model->calledChildName(def, nodeId);
    const int row = m_scene->selectedRow();
    const bool ok = edit(tr("Reorder %1").arg(child),
                         [&](ModelDocument& doc) { edits::moveItem(doc, ss(def), ss(child), from, to); });
    if (ok && row == from) m_scene->selectItem(nodeId, to); // the selected item moves with it
    return ok;
}

bool Editor::addPort(bool input, const QString& name) {
    const std::string def = ss(definitionName());
    return edit(input ? tr("Add input %1").arg(name) : tr("Add output %1").arg(name), [&](ModelDocument& doc) {
        if (input) edits::addBlockInput(doc, def, ss(name));
        else edits::addBlockOutput(doc, def, ss(name), "");
    });
}

bool Editor::renamePort(const QString& key, const QString& newName) {
    const std::string def = ss(definitionName());
    return edit(tr("Rename %1").arg(key), [&](ModelDocument& doc) { edits::renamePort(doc, def, key, ss(newName)); });
}

bool Editor::setInputSpec(const QString& name, DType dtype, const QString& shapeText) {
    const std::string def = ss(definitionName());
    return edit(tr("Change input %1").arg(name), [&](ModelDocument& doc) {
        std::optional<std::vector<Index>> shape;
        if (dtype != DType::Int64) shape = edits::parseShape(ss(shapeText));
        edits::setInputSpec(doc, def, ss(name), dtype, shape);
    });
}

bool Editor::renameChild(const QString& nodeId, const QString& newName) {
    const QString def = definitionName();
    const QString child = m_model->calledChildName(def, nodeId);
    if (child.isEmpty()) return false;
    QString newId = nodeId;
    const bool ok = edit(tr("Rename %1 to %2").arg(child, newName), [&](ModelDocument& doc) {
        edits::renameChild(doc, ss(def), ss(child), ss(newName));
        // A node named after its child keeps following it (when the name is free).
        if (nodeId == child) {
            const BlockDef& d = edits::definitionOf(doc, ss(def));
            const bool taken = d.findNode(ss(newName)) ||
                               std::any_of(d.inputs.begin(), d.inputs.end(), [&](const BlockInput& i) { return i.name == ss(newName); });
            if (!taken) {
                edits::renameNode(doc, ss(def), ss(nodeId), ss(newName));
                newId = newName;
            }
        }
    });
    if (ok) m_scene->selectKeys({newId});
    return ok;
}

bool Editor::renameDefinition(const QString& definition, const QString& newName) {
    const QString name = newName.trimmed();
    return edit(tr("Rename %1 to %2").arg(definition, name),
                [&](ModelDocument& doc) { edits::renameDefinition(doc, ss(definition), ss(name)); });
}

bool Editor::setItemArgs(const QString& nodeId, int item, const Json& args) {
    const QString def = definitionName();
    const QString child = m_model->calledChildName(def, nodeId);
    if (child.isEmpty()) return false;
    return edit(tr("Change %1.%2").arg(child).arg(item),
                [&](ModelDocument& doc) { edits::setItemArgs(doc, ss(def), ss(child), item, args); });
}

bool Editor::removeContainerItem(const QString& nodeId, int item) {
    const QString def = definitionName();
    const QString child = m_model->calledChildName(def, nodeId);
    if (child.isEmpty()) return false;
    const bool ok = edit(tr("Remove %1.%2").arg(child).arg(item),
                         [&](ModelDocument& doc) { edits::removeItem(doc, ss(def), ss(child), item); });
    if (ok && m_scene->selectedRow() >= 0) m_scene->selectItem(nodeId, -1);
    return ok;
}

namespace {
struct ProjectionFix {
    QString shortcut;
    Index channels = 0;
    Index stride = 1;
};
std::optional<ProjectionFix> projectionFix(const Diagnostic& d) {
    const QString fix = qs(d.fix);
    static const QRegularExpression shortcut(QStringLiteral("projection on the shortcut '([^']+)'"));
    static const QRegularExpression conv(QStringLiteral("Conv2d\\((\\d+), (\\d+)"));
    static const QRegularExpression stride(QStringLiteral("stride=(\\d+)"));
    const auto s = shortcut.match(fix);
    const auto c = conv.match(fix);
    if (!s.hasMatch() || !c.hasMatch() || d.node.empty()) return std::nullopt;
    ProjectionFix f{s.captured(1), c.captured(2).toLongLong(), 1};
    if (const auto st = stride.match(fix); st.hasMatch()) f.stride = st.captured(1).toLongLong();
    return f;
}
} // namespace

bool Editor::hasFix(const Diagnostic& d) const { return projectionFix(d).has_value(); }

bool Editor::applyFix(const Diagnostic& d) {
    const auto f = projectionFix(d);
    if (!f) {
        Q_EMIT message(tr("No automatic fix for this problem."));
        return false;
    }
    const bool ok = edit(tr("Add projection shortcut"), [&](ModelDocument& doc) {
        edits::insertProjection(doc, d.definition, d.node, ss(f->shortcut), f->channels, f->stride);
    });
    if (ok) {
        // The status bar said what was wrong; now it says what was done and what is left.
        const size_t left = m_model->analysis().diagnostics.size();
        Q_EMIT message(left == 0 ? tr("Fixed: added the projection on '%1'; no problems left.").arg(f->shortcut)
                                 : tr("Fixed: added the projection on '%1'; %2 problem(s) left, see Diagnostics.")
                                       .arg(f->shortcut)
                                       .arg(left));
    }
    return ok;
}

QString Editor::copy(const QStringList& nodeIds) const {
    try {
        return qs(io::modelToString(edits::copyItems(m_model->document(), ss(definitionName()), nodeIds)));
    } catch (const std::exception&) {
        return {};
    }
}

QStringList Editor::paste(const QString& json, QPointF at) {
    // The reader's messages name places in a file; the clipboard is not one the
    // user sees, so say what it holds instead. Nothing changes on a refusal.
    const std::string text = ss(json);
    ModelDocument clip;
    try {
        clip = io::parseModel(text, "clipboard");
    } catch (const std::exception& e) {
        const Json j = Json::parse(text, nullptr, false);
        QString what;
        if (json.trimmed().isEmpty()) what = tr("the clipboard is empty");
        else if (j.is_discarded()) what = tr("the clipboard holds text, not nodes copied from ModuleLab");
        else if (!j.is_object() || !j.contains("format") || j["format"] != io::kModelFormatName)
            what = tr("the clipboard holds data that is not from ModuleLab");
        else
            what = tr("the copied nodes cannot be read back (the text was changed after copying)");
        Q_EMIT message(tr("Paste: nothing pasted; %1. Select nodes and press Ctrl+C to copy them.").arg(what));
        return {};
    }
    QPointF corner(1e18, 1e18);
    bool any = false;
    if (const BlockDef* b = clip.findDefinition(clip.model))
        for (const Node& n : b->nodes)
            if (clip.layout.contains("positions") && clip.layout["positions"].contains(clip.model) &&
                clip.layout["positions"][clip.model].contains(n.id)) {
                const Json& p = clip.layout["positions"][clip.model][n.id];
                corner.setX(std::min(corner.x(), p[0].get<double>()));
                corner.setY(std::min(corner.y(), p[1].get<double>()));
                any = true;
            }
    const QPointF offset = any ? at - corner : at;
    QStringList ids;
    const std::string def = ss(definitionName());
    if (!edit(tr("Paste"), [&](ModelDocument& doc) { ids = edits::paste(doc, def, clip, offset); })) return {};
    for (const QString& id : ids) placeNew(id);
    m_scene->selectKeys(ids);
    return ids;
}

void Editor::tidyLayout() {
    const QString def = definitionName();
    const auto after = layoutAll(*m_model, def, [this](const QString& k) { return m_scene->sizeOf(k); });
    std::map<QString, QPointF> before;
    for (const auto& [k, p] : after) before[k] = m_model->position(def, k).value_or(p);
    auto* cmd = new MoveCommand(m_model, def, before, after, nextDragSerial());
    cmd->setText(tr("Tidy layout"));
    m_undo->push(cmd);
}

} // namespace ml::gui
