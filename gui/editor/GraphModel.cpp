#include "editor/GraphModel.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace ml::gui {

QString qs(const std::string& s) { return QString::fromStdString(s); }
std::string ss(const QString& s) { return s.toStdString(); }

QString shapeText(const TensorType& t) {
    if (!t.known) return QStringLiteral("?");
    return qs(typeToString(t)).replace(QStringLiteral("-1"), QStringLiteral("N"));
}

namespace {
const QString kInput = QStringLiteral("input:");
const QString kOutput = QStringLiteral("output:");

bool isInputKey(const QString& k) { return k.startsWith(kInput); }
bool isOutputKey(const QString& k) { return k.startsWith(kOutput); }
} // namespace

GraphModel::GraphModel(QObject* parent) : QObject(parent) {}

void GraphModel::setDocument(ModelDocument doc) {
    m_doc = std::move(doc);
    reanalyze();
    Q_EMIT documentChanged();
}

void GraphModel::reanalyze() { m_analysis = analyze(m_doc); }

void GraphModel::setPositions(const QString& definition, const std::map<QString, QPointF>& positions) {
    if (!m_doc.layout.is_object()) m_doc.layout = Json::object();
    Json& all = m_doc.layout["positions"];
    if (!all.is_object()) all = Json::object();
    Json& mine = all[ss(definition)];
    if (!mine.is_object()) mine = Json::object();
    QStringList keys;
    for (const auto& [key, p] : positions) {
        mine[ss(key)] = Json::array({std::round(p.x()), std::round(p.y())});
        keys << key;
    }
    Q_EMIT positionsChanged(definition, keys);
}

std::optional<QPointF> GraphModel::position(const QString& definition, const QString& key) const {
    const Json& layout = m_doc.layout;
    if (!layout.is_object() || !layout.contains("positions")) return std::nullopt;
    const Json& all = layout["positions"];
    if (!all.is_object() || !all.contains(ss(definition))) return std::nullopt;
    const Json& mine = all[ss(definition)];
    if (!mine.is_object() || !mine.contains(ss(key))) return std::nullopt;
    const Json& p = mine[ss(key)];
    if (!p.is_array() || p.size() != 2 || !p[0].is_number() || !p[1].is_number()) return std::nullopt;
    return QPointF(p[0].get<double>(), p[1].get<double>());
}

const BlockDef* GraphModel::definition(const QString& name) const { return m_doc.findDefinition(ss(name)); }

QStringList GraphModel::itemKeys(const QString& definitionName) const {
    QStringList keys;
    const BlockDef* def = definition(definitionName);
    if (!def) return keys;
    for (const BlockInput& in : def->inputs) keys << kInput + qs(in.name);
    for (const Node& n : def->nodes) keys << qs(n.id);
    for (const BlockOutput& out : def->outputs) keys << kOutput + qs(out.name);
    return keys;
}

const ModuleSpec* GraphModel::calledSpec(const QString& definitionName, const QString& nodeId) const {
    const BlockDef* def = definition(definitionName);
    if (!def) return nullptr;
    const Node* n = def->findNode(ss(nodeId));
    if (!n || !n->isCall()) return nullptr;
    const NamedSpec* c = def->findChild(n->call);
    for (int hops = 0; c && !c->spec.sameAs.empty() && hops < 64; ++hops) c = def->findChild(c->spec.sameAs);
    return c ? &c->spec : nullptr;
}

QString GraphModel::calledChildName(const QString& definitionName, const QString& nodeId) const {
    const BlockDef* def = definition(definitionName);
    if (!def) return {};
    const Node* n = def->findNode(ss(nodeId));
    if (!n || !n->isCall()) return {};
    const NamedSpec* c = def->findChild(n->call);
    for (int hops = 0; c && !c->spec.sameAs.empty() && hops < 64; ++hops) c = def->findChild(c->spec.sameAs);
    return c ? qs(c->name) : qs(n->call);
}

namespace {
// Data inputs a call or op expects (without the ModuleList index port).
int expectedDataInputs(const ModelDocument& doc, const BlockDef& def, const Node& n, bool& variadic) {
    variadic = false;
    if (!n.isCall()) {
        const OpType* op = findOpType(n.op);
        if (!op) return 1;
        variadic = op->maxInputs < 0;
        return op->minInputs;
    }
    const NamedSpec* c = def.findChild(n.call);
    for (int hops = 0; c && !c->spec.sameAs.empty() && hops < 64; ++hops) c = def.findChild(c->spec.sameAs);
    if (c)
        if (const BlockDef* b = doc.findDefinition(c->spec.type)) return static_cast<int>(b->inputs.size());
    return 1;
}

const BlockDef* calleeBlock(const ModelDocument& doc, const BlockDef& def, const Node& n) {
    if (!n.isCall()) return nullptr;
    const NamedSpec* c = def.findChild(n.call);
    for (int hops = 0; c && !c->spec.sameAs.empty() && hops < 64; ++hops) c = def.findChild(c->spec.sameAs);
    return c ? doc.findDefinition(c->spec.type) : nullptr;
}

bool isListCall(const BlockDef& def, const Node& n) {
    if (!n.isCall()) return false;
    const NamedSpec* c = def.findChild(n.call);
    for (int hops = 0; c && !c->spec.sameAs.empty() && hops < 64; ++hops) c = def.findChild(c->spec.sameAs);
    return c && c->spec.type == "ModuleList";
}

int dataPortCount(const ModelDocument& doc, const BlockDef& def, const Node& n) {
    bool variadic = false;
    const int expected = expectedDataInputs(doc, def, n, variadic);
    const int given = static_cast<int>(n.inputs.size());
    if (variadic) return std::max(expected, given + 1); // one free port to grow the list
    return std::max(expected, given);
}

bool hasIndexPort(const BlockDef& def, const Node& n) { return isListCall(def, n) && n.listUse != ListUse::Chain; }
} // namespace

int GraphModel::inputPortCount(const QString& definitionName, const QString& key) const {
    const BlockDef* def = definition(definitionName);
    if (!def || isInputKey(key)) return 0;
    if (isOutputKey(key)) return 1;
    const Node* n = def->findNode(ss(key));
    if (!n) return 0;
    return dataPortCount(m_doc, *def, *n) + (hasIndexPort(*def, *n) ? 1 : 0);
}

int GraphModel::outputPortCount(const QString& definitionName, const QString& key) const {
    const BlockDef* def = definition(definitionName);
    if (!def || isOutputKey(key)) return 0;
    if (isInputKey(key)) return 1;
    const Node* n = def->findNode(ss(key));
    if (!n) return 0;
    if (const BlockDef* b = calleeBlock(m_doc, *def, *n)) return std::max<int>(1, static_cast<int>(b->outputs.size()));
    return 1;
}

bool GraphModel::isIndexPort(const QString& definitionName, const QString& key, int port) const {
    const BlockDef* def = definition(definitionName);
    if (!def || isInputKey(key) || isOutputKey(key)) return false;
    const Node* n = def->findNode(ss(key));
    return n && hasIndexPort(*def, *n) && port == dataPortCount(m_doc, *def, *n);
}

bool GraphModel::isVariadic(const QString& definitionName, const QString& key) const {
    const BlockDef* def = definition(definitionName);
    if (!def) return false;
    const Node* n = def->findNode(ss(key));
    if (!n || n->isCall()) return false;
    const OpType* op = findOpType(n->op);
    return op && op->maxInputs < 0;
}

QString GraphModel::outputPortName(const QString& definitionName, const QString& key, int port) const {
    if (isInputKey(key)) return key.mid(kInput.size());
    const BlockDef* def = definition(definitionName);
    if (!def) return {};
    const Node* n = def->findNode(ss(key));
    if (!n) return {};
    if (const BlockDef* b = calleeBlock(m_doc, *def, *n))
        if (port >= 0 && port < static_cast<int>(b->outputs.size())) return qs(b->outputs[static_cast<size_t>(port)].name);
    return QStringLiteral("out");
}

QString GraphModel::inputPortName(const QString& definitionName, const QString& key, int port) const {
    if (isOutputKey(key)) return key.mid(kOutput.size());
    const BlockDef* def = definition(definitionName);
    if (!def) return {};
    const Node* n = def->findNode(ss(key));
    if (!n) return {};
    if (isIndexPort(definitionName, key, port)) return QStringLiteral("index");
    if (const BlockDef* b = calleeBlock(m_doc, *def, *n))
        if (port >= 0 && port < static_cast<int>(b->inputs.size())) return qs(b->inputs[static_cast<size_t>(port)].name);
    if (!n->isCall() && dataPortCount(m_doc, *def, *n) > 1) return QStringLiteral("in %1").arg(port);
    return QStringLiteral("in");
}

PortKind GraphModel::outputPortKind(const QString& definitionName, const QString& key, int) const {
    if (!isInputKey(key)) return PortKind::Tensor;
    const BlockDef* def = definition(definitionName);
    if (!def) return PortKind::Tensor;
    const std::string name = ss(key.mid(kInput.size()));
    for (const BlockInput& in : def->inputs)
        if (in.name == name) return in.dtype == DType::Int64 ? PortKind::Index : PortKind::Tensor;
    return PortKind::Tensor;
}

PortKind GraphModel::inputPortKind(const QString& definitionName, const QString& key, int port) const {
    return isIndexPort(definitionName, key, port) ? PortKind::Index : PortKind::Tensor;
}

QString GraphModel::refOfOutput(const QString& definitionName, const PortRef& port) const {
    if (isInputKey(port.key)) return port.key.mid(kInput.size());
    const BlockDef* def = definition(definitionName);
    if (!def) return {};
    const Node* n = def->findNode(ss(port.key));
    if (!n) return {};
    if (const BlockDef* b = calleeBlock(m_doc, *def, *n); b && b->outputs.size() > 1)
        return port.key + QLatin1Char('.') + outputPortName(definitionName, port.key, port.port);
    return port.key;
}

std::optional<PortRef> GraphModel::portOfRef(const QString& definitionName, const QString& ref) const {
    const BlockDef* def = definition(definitionName);
    if (!def || ref.isEmpty()) return std::nullopt;
    for (const BlockInput& in : def->inputs)
        if (qs(in.name) == ref) return PortRef{kInput + ref, 0};
    const int dot = ref.indexOf(QLatin1Char('.'));
    const QString id = dot < 0 ? ref : ref.left(dot);
    const Node* n = def->findNode(ss(id));
    if (!n) return std::nullopt;
    if (dot < 0) return PortRef{id, 0};
    const QString portName = ref.mid(dot + 1);
    if (const BlockDef* b = calleeBlock(m_doc, *def, *n))
        for (size_t o = 0; o < b->outputs.size(); ++o)
            if (qs(b->outputs[o].name) == portName) return PortRef{id, static_cast<int>(o)};
    return std::nullopt;
}

std::vector<Wire> GraphModel::wires(const QString& definitionName) const {
    std::vector<Wire> out;
    const BlockDef* def = definition(definitionName);
    if (!def) return out;
    for (const Node& n : def->nodes) {
        const QString id = qs(n.id);
        for (size_t k = 0; k < n.inputs.size(); ++k)
            if (auto src = portOfRef(definitionName, qs(n.inputs[k])))
                out.push_back({*src, {id, static_cast<int>(k)}});
        if (hasIndexPort(*def, n) && n.listUse == ListUse::Index && !n.indexInput.empty())
            if (auto src = portOfRef(definitionName, qs(n.indexInput)))
                out.push_back({*src, {id, dataPortCount(m_doc, *def, n)}});
    }
    for (const BlockOutput& o : def->outputs)
        if (auto src = portOfRef(definitionName, qs(o.from))) out.push_back({*src, {kOutput + qs(o.name), 0}});
    return out;
}

const ModuleInstance* GraphModel::instanceAt(const QString& instancePath) const {
    const ModuleTree& tree = m_analysis.tree;
    if (tree.instances.empty()) return nullptr;
    const ModuleInstance* m = &tree.root();
    if (instancePath.isEmpty()) return m;
    for (const QString& part : instancePath.split(QLatin1Char('.'))) {
        const auto it = std::find_if(m->children.begin(), m->children.end(),
                                     [&](const ChildRef& c) { return qs(c.name) == part; });
        if (it == m->children.end()) return nullptr;
        m = &tree.at(it->id);
    }
    return m;
}

const ModuleInstance* GraphModel::childInstance(const QString& instancePath, const QString& childName) const {
    return instanceAt(instancePath.isEmpty() ? childName : instancePath + QLatin1Char('.') + childName);
}

const TensorType* GraphModel::outputType(const QString& instancePath, const QString& definitionName,
                                         const PortRef& port) const {
    const ModuleInstance* m = instanceAt(instancePath);
    const BlockDef* def = definition(definitionName);
    if (!m || !def || m->block != def) return nullptr;
    if (isInputKey(port.key)) {
        const std::string name = ss(port.key.mid(kInput.size()));
        for (size_t i = 0; i < def->inputs.size(); ++i)
            if (def->inputs[i].name == name && i < m->inputTypes.size()) return &m->inputTypes[i];
        return nullptr;
    }
    for (size_t i = 0; i < def->nodes.size(); ++i) {
        if (qs(def->nodes[i].id) != port.key) continue;
        if (i >= m->nodeOutputs.size()) return nullptr;
        const auto& outs = m->nodeOutputs[i];
        return port.port >= 0 && static_cast<size_t>(port.port) < outs.size() ? &outs[static_cast<size_t>(port.port)]
                                                                              : nullptr;
    }
    return nullptr;
}

std::vector<const Diagnostic*> GraphModel::diagnosticsFor(const QString& definitionName, const QString& instancePath,
                                                          const QString& key) const {
    std::vector<const Diagnostic*> out;
    const std::string defName = ss(definitionName);
    if (isInputKey(key) || isOutputKey(key)) {
        const std::string where = (isInputKey(key) ? "input '" + ss(key.mid(kInput.size()))
                                                   : "output '" + ss(key.mid(kOutput.size()))) + "'";
        for (const Diagnostic& d : m_analysis.diagnostics)
            if (d.definition == defName && d.node.empty() && d.where.rfind(where, 0) == 0) out.push_back(&d);
        return out;
    }
    const std::string id = ss(key);
    const QString child = calledChildName(definitionName, key);
    std::string childPath;
    if (!child.isEmpty()) childPath = ss(instancePath.isEmpty() ? child : instancePath + QLatin1Char('.') + child);
    for (const Diagnostic& d : m_analysis.diagnostics) {
        const bool here = d.definition == defName && d.node == id;
        const bool inside = !childPath.empty() && (d.path == childPath || d.path.rfind(childPath + ".", 0) == 0) &&
                            !(d.definition == defName && !d.node.empty() && d.node != id);
        if (here || inside) out.push_back(&d);
    }
    return out;
}

namespace {
std::string useKey(const BlockDef& def, const Node& n) {
    const NamedSpec* c = def.findChild(n.call);
    for (int hops = 0; c && !c->spec.sameAs.empty() && hops < 64; ++hops) c = def.findChild(c->spec.sameAs);
    std::string k = c ? c->name : n.call;
    if (n.listUse == ListUse::Chain) k += "[*]";
    else if (n.listUse == ListUse::Index) k += n.constIndex ? "[" + std::to_string(*n.constIndex) + "]" : "[" + n.indexInput + "]";
    return k;
}
} // namespace

QStringList GraphModel::nodesSharingWith(const QString& definitionName, const QString& nodeId) const {
    QStringList out;
    const BlockDef* def = definition(definitionName);
    if (!def) return out;
    const Node* n = def->findNode(ss(nodeId));
    if (!n || !n->isCall()) return out;
    const std::string k = useKey(*def, *n);
    for (const Node& o : def->nodes)
        if (o.isCall() && useKey(*def, o) == k) out << qs(o.id);
    return out;
}

int GraphModel::sharedUseCount(const QString& definitionName, const QString& nodeId) const {
    return static_cast<int>(nodesSharingWith(definitionName, nodeId).size());
}

} // namespace ml::gui
