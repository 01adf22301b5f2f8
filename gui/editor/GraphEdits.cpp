#include "editor/GraphEdits.h"

#include "core/Error.h"
#include "model/LayerCatalog.h"
#include "shape/Analysis.h"
#include "shape/LayerShapes.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <functional>
#include <map>
#include <set>

namespace ml::gui::edits {

namespace {

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

std::string refNode(const std::string& ref) {
    const size_t dot = ref.find('.');
    return dot == std::string::npos ? ref : ref.substr(0, dot);
}

bool isInputName(const BlockDef& d, const std::string& name) {
    return std::any_of(d.inputs.begin(), d.inputs.end(), [&](const BlockInput& i) { return i.name == name; });
}

// Every reference in a block's graph, for renaming and cutting.
void forEachRef(BlockDef& d, const std::function<void(std::string&)>& fn) {
    for (Node& n : d.nodes) {
        for (std::string& r : n.inputs) fn(r);
        if (!n.indexInput.empty()) fn(n.indexInput);
    }
    for (BlockOutput& o : d.outputs) fn(o.from);
}

const NamedSpec* baseChild(const BlockDef& d, const std::string& name) {
    const NamedSpec* c = d.findChild(name);
    for (int hops = 0; c && !c->spec.sameAs.empty() && hops < 64; ++hops) c = d.findChild(c->spec.sameAs);
    return c;
}

std::string baseName(const BlockDef& d, const std::string& name) {
    const NamedSpec* c = baseChild(d, name);
    return c ? c->name : name;
}

bool childIsUsed(const BlockDef& d, const std::string& child) {
    for (const Node& n : d.nodes)
        if (n.isCall() && n.call == child) return true;
    for (const NamedSpec& c : d.children)
        if (c.spec.sameAs == child) return true;
    return false;
}

void removeUnusedChildren(BlockDef& d, const std::set<std::string>& candidates) {
    // Repeat: removing a same_as alias can free the child it names.
    bool changed = true;
    while (changed) {
        changed = false;
        for (auto it = d.children.begin(); it != d.children.end(); ++it)
            if (candidates.count(it->name) && !childIsUsed(d, it->name)) {
                d.children.erase(it);
                changed = true;
                break;
            }
    }
}

Json& positionsOf(ModelDocument& doc, const std::string& def) {
    if (!doc.layout.is_object()) doc.layout = Json::object();
    Json& all = doc.layout["positions"];
    if (!all.is_object()) all = Json::object();
    Json& mine = all[def];
    if (!mine.is_object()) mine = Json::object();
    return mine;
}

std::optional<QPointF> positionOf(const ModelDocument& doc, const std::string& def, const std::string& key) {
    if (!doc.layout.is_object() || !doc.layout.contains("positions")) return std::nullopt;
    const Json& all = doc.layout["positions"];
    if (!all.is_object() || !all.contains(def) || !all[def].contains(key)) return std::nullopt;
    const Json& p = all[def][key];
    if (!p.is_array() || p.size() != 2 || !p[0].is_number() || !p[1].is_number()) return std::nullopt;
    return QPointF(p[0].get<double>(), p[1].get<double>());
}

Node& nodeOf(BlockDef& d, const std::string& id) {
    for (Node& n : d.nodes)
        if (n.id == id) return n;
    throw Error("there is no node '" + id + "' in " + d.name + ".");
}

// "$name" references to block arguments anywhere in a spec.
void collectArgRefs(const ModuleSpec& s, std::set<std::string>& out) {
    for (auto it = s.args.begin(); it != s.args.end(); ++it)
        if (it->is_string() && it->get<std::string>().starts_with("$")) out.insert(it->get<std::string>().substr(1));
    for (const ModuleSpec& i : s.items) collectArgRefs(i, out);
}

void substituteArgs(ModuleSpec& s, const Json& values) {
    for (auto it = s.args.begin(); it != s.args.end(); ++it)
        if (it->is_string() && it->get<std::string>().starts_with("$")) {
            const std::string p = it->get<std::string>().substr(1);
            if (values.contains(p)) *it = values[p];
        }
    for (ModuleSpec& i : s.items) substituteArgs(i, values);
}

std::string sanitize(const std::string& s) {
    std::string out;
    for (char c : s) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '_') ? c : '_';
    if (out.empty() || std::isdigit(static_cast<unsigned char>(out[0]))) out = "_" + out;
    return out;
}

std::string fresh(const std::function<bool(const std::string&)>& taken, const std::string& base) {
    std::string b = sanitize(base);
    while (!b.empty() && std::isdigit(static_cast<unsigned char>(b.back()))) b.pop_back();
    if (b.empty()) b = "n";
    for (int i = 1;; ++i) {
        const std::string name = b + std::to_string(i);
        if (!taken(name)) return name;
    }
}

} // namespace

BlockDef& definitionOf(ModelDocument& doc, const std::string& def) {
    BlockDef* d = doc.findDefinition(def);
    if (!d) throw Error("there is no definition '" + def + "'.");
    return *d;
}

void setPosition(ModelDocument& doc, const std::string& def, const std::string& key, QPointF p) {
    positionsOf(doc, def)[key] = Json::array({std::round(p.x()), std::round(p.y())});
}

void removePosition(ModelDocument& doc, const std::string& def, const std::string& key) {
    positionsOf(doc, def).erase(key);
}

std::string freshChildName(const BlockDef& def, const std::string& base) {
    return fresh([&](const std::string& n) { return def.findChild(n) != nullptr; }, lower(base));
}

std::string freshNodeId(const BlockDef& def, const std::string& base) {
    return fresh([&](const std::string& n) { return def.findNode(n) || isInputName(def, n); }, lower(base));
}

std::string freshDefinitionName(const ModelDocument& doc, const std::string& base) {
    return fresh([&](const std::string& n) { return doc.findDefinition(n) || findLayerType(n) || isContainerType(n); },
                 base);
}

ModuleSpec defaultLayerSpec(const std::string& type) {
    const LayerType* t = findLayerType(type);
    if (!t) throw Error("unknown layer type '" + type + "'.");
    ModuleSpec s;
    s.type = type;
    for (const ArgSpec& a : t->args) {
        if (!a.defaultValue.is_null() || a.inferable) continue;
        if (a.kind == ArgKind::OptionalIntPair) continue;
        if (a.name == "out_features" || a.name == "out_channels") s.args[a.name] = 16;
        else if (a.name == "kernel_size") s.args[a.name] = t->category == "Pooling" ? 2 : 3;
        else s.args[a.name] = 1;
    }
    return s;
}

namespace {
std::string addCall(ModelDocument& doc, const std::string& def, const std::string& base, ModuleSpec spec,
                    int inputCount, QPointF pos) {
    BlockDef& d = definitionOf(doc, def);
    const std::string child = freshChildName(d, base);
    d.children.push_back({child, std::move(spec)});
    Node n;
    n.id = d.findNode(child) || isInputName(d, child) ? freshNodeId(d, base) : child;
    n.call = child;
    n.inputs.assign(static_cast<size_t>(std::max(1, inputCount)), "");
    if (d.children.back().spec.type == "ModuleList") {
        n.listUse = ListUse::Index;
        n.constIndex = 0;
    }
    d.nodes.push_back(n);
    setPosition(doc, def, n.id, pos);
    return n.id;
}
} // namespace

std::string addLayer(ModelDocument& doc, const std::string& def, const std::string& type, QPointF pos) {
    return addCall(doc, def, type, defaultLayerSpec(type), 1, pos);
}

std::string addOp(ModelDocument& doc, const std::string& def, const std::string& op, QPointF pos) {
    const OpType* t = findOpType(op);
    if (!t) throw Error("unknown op '" + op + "'.");
    BlockDef& d = definitionOf(doc, def);
    Node n;
    n.id = freshNodeId(d, op);
    n.op = op;
    n.inputs.assign(static_cast<size_t>(t->minInputs), "");
    d.nodes.push_back(n);
    setPosition(doc, def, n.id, pos);
    return n.id;
}

std::string addContainer(ModelDocument& doc, const std::string& def, const std::string& kind, QPointF pos) {
    if (!isContainerType(kind)) throw Error("'" + kind + "' is not a container.");
    ModuleSpec s;
    s.type = kind;
    return addCall(doc, def, kind == "Sequential" ? "seq" : "list", s, 1, pos);
}

std::string addBlockCall(ModelDocument& doc, const std::string& def, const std::string& block, QPointF pos) {
    const BlockDef* b = doc.findDefinition(block);
    if (!b) throw Error("there is no block definition '" + block + "'.");
    if (block == doc.model) throw Error("the model '" + block + "' cannot contain itself.");
    if (block == def) throw Error("a block cannot contain an instance of itself.");
    ModuleSpec s;
    s.type = block;
    return addCall(doc, def, block, s, static_cast<int>(b->inputs.size()), pos);
}

std::string addBlockDefinition(ModelDocument& doc, const std::string& base) {
    BlockDef b;
    b.name = freshDefinitionName(doc, base);
    b.doc = "A custom block: its forward is the graph inside.";
    b.inputs.push_back({"x", DType::Float32, std::nullopt});
    b.outputs.push_back({"y", "x"});
    doc.definitions.push_back(b);
    return b.name;
}

std::string addEntry(ModelDocument& doc, const std::string& def, const std::string& entry, QPointF pos) {
    const size_t colon = entry.find(':');
    const std::string kind = entry.substr(0, colon);
    const std::string name = colon == std::string::npos ? std::string() : entry.substr(colon + 1);
    if (kind == "layer") return addLayer(doc, def, name, pos);
    if (kind == "op") return addOp(doc, def, name, pos);
    if (kind == "container") return addContainer(doc, def, name, pos);
    if (kind == "block" && name == "+") return addBlockCall(doc, def, addBlockDefinition(doc), pos);
    if (kind == "block") return addBlockCall(doc, def, name, pos);
    throw Error("unknown palette entry '" + entry + "'.");
}

bool entryFits(const ModelDocument& doc, const std::string& entry, bool index, bool fromOutput) {
    const size_t colon = entry.find(':');
    const std::string kind = entry.substr(0, colon);
    const std::string name = colon == std::string::npos ? std::string() : entry.substr(colon + 1);
    if (!fromOutput) return !index; // everything added produces a tensor; nothing produces an int64 index
    if (kind == "container") return !index || name == "ModuleList"; // a list's index port
    if (kind == "block" && name != "+") {
        const BlockDef* b = doc.findDefinition(name);
        if (!b || name == doc.model) return false;
        return std::any_of(b->inputs.begin(), b->inputs.end(),
                           [&](const BlockInput& i) { return (i.dtype == DType::Int64) == index; });
    }
    return !index; // layers, ops and a new block take tensors
}

bool entryFitsShape(const ModelDocument& doc, const std::string& entry, const TensorType& t, std::string* why) {
    if (!t.known || t.dtype != DType::Float32) return true; // an index wire: entryFits decides
    const size_t colon = entry.find(':');
    const std::string kind = entry.substr(0, colon);
    const std::string name = colon == std::string::npos ? std::string() : entry.substr(colon + 1);
    std::vector<std::vector<Index>> choices = t.variesWith.empty() ? std::vector<std::vector<Index>>{t.dims} : t.choices;
    for (const std::vector<Index>& dims : choices) {
        const TensorType in = TensorType::of(dims, t.dtype);
        std::vector<ShapeProblem> problems;
        if (kind == "layer") {
            const LayerType* type = findLayerType(name);
            if (!type) return false;
            // The arguments as analysis resolves them: given, else default; inferable ones left to the input.
            Json args = defaultLayerSpec(name).args;
            for (const ArgSpec& a : type->args)
                if (!args.contains(a.name) && (!a.defaultValue.is_null() || a.kind == ArgKind::OptionalIntPair))
                    args[a.name] = a.defaultValue;
            inferLayerShape(name, args, in, problems);
        } else if (kind == "op") {
            const OpType* op = findOpType(name);
            if (!op) return false;
            Json args = Json::object();
            for (const ArgSpec& a : op->args) args[a.name] = a.defaultValue;
            inferOpShape(name, args, {in}, {"in"}, problems);
        } else if (kind == "block" && name != "+") {
            const BlockDef* b = doc.findDefinition(name);
            if (!b) return false;
            const auto first = std::find_if(b->inputs.begin(), b->inputs.end(),
                                            [](const BlockInput& i) { return i.dtype == DType::Float32; });
            if (first != b->inputs.end() && first->shape) {
                std::vector<Index> want{kBatch};
                want.insert(want.end(), first->shape->begin(), first->shape->end());
                if (want != dims)
                    problems.push_back({"shape-mismatch", name + " takes " + dimsToString(want) + ", not " +
                                                              typeToString(in) + ".", ""});
            }
        }
        if (!problems.empty()) {
            if (why) *why = problems.front().message;
            return false;
        }
    }
    return true;
}

namespace {
const BlockDef* calledBlock(const ModelDocument& doc, const BlockDef& d, const Node& n) {
    if (!n.isCall()) return nullptr;
    const NamedSpec* c = baseChild(d, n.call);
    return c ? doc.findDefinition(c->spec.type) : nullptr;
}
bool callsList(const BlockDef& d, const Node& n) {
    const NamedSpec* c = n.isCall() ? baseChild(d, n.call) : nullptr;
    return c && c->spec.type == "ModuleList";
}
} // namespace

void feedFirstFitting(ModelDocument& doc, const std::string& def, const std::string& nodeId, const std::string& srcRef,
                      bool index) {
    BlockDef& d = definitionOf(doc, def);
    Node& n = nodeOf(d, nodeId);
    if (const BlockDef* b = calledBlock(doc, d, n)) {
        for (size_t i = 0; i < b->inputs.size(); ++i)
            if ((b->inputs[i].dtype == DType::Int64) == index) {
                if (n.inputs.size() <= i) n.inputs.resize(i + 1);
                n.inputs[i] = srcRef;
                return;
            }
        throw Error("block '" + b->name + "' has no " + (index ? "int64" : "tensor") + " input.");
    }
    if (index) {
        if (!callsList(d, n) || n.listUse == ListUse::Chain) throw Error("'" + nodeId + "' takes no int64 index.");
        n.listUse = ListUse::Index;
        n.indexInput = srcRef;
        n.constIndex.reset();
        return;
    }
    if (n.inputs.empty()) n.inputs.resize(1);
    n.inputs[0] = srcRef;
}

std::string firstOutputRef(const ModelDocument& doc, const std::string& def, const std::string& nodeId) {
    const BlockDef* d = doc.findDefinition(def);
    const Node* n = d ? d->findNode(nodeId) : nullptr;
    if (!n) throw Error("there is no node '" + nodeId + "' in " + def + ".");
    if (const BlockDef* b = calledBlock(doc, *d, *n); b && b->outputs.size() > 1) return nodeId + "." + b->outputs[0].name;
    return nodeId;
}

void insertIntoWire(ModelDocument& doc, const std::string& def, const std::string& nodeId, const std::string& srcRef,
                    const QString& dstKey, int port) {
    BlockDef& d = definitionOf(doc, def);
    const Node& n = nodeOf(d, nodeId);
    if (std::any_of(n.inputs.begin(), n.inputs.end(), [](const std::string& r) { return !r.empty(); }) ||
        !n.indexInput.empty())
        throw Error("'" + nodeId + "' is already wired.");
    if (refNode(srcRef) == nodeId || dstKey.toStdString() == nodeId) throw Error("a node cannot go into its own wire.");
    feedFirstFitting(doc, def, nodeId, srcRef, false);
    connect(doc, def, firstOutputRef(doc, def, nodeId), dstKey, port, false);
}

void removeAndReconnect(ModelDocument& doc, const std::string& def, const QStringList& nodeIds) {
    BlockDef& d = definitionOf(doc, def);
    for (const QString& qid : nodeIds) {
        const std::string id = qid.toStdString();
        const Node& n = nodeOf(d, id);
        // The first tensor input's source (a block's int64 inputs are skipped).
        std::string source;
        const BlockDef* b = calledBlock(doc, d, n);
        for (size_t i = 0; i < n.inputs.size() && source.empty(); ++i)
            if (!b || i >= b->inputs.size() || b->inputs[i].dtype != DType::Int64) source = n.inputs[i];
        // Data inputs and block outputs only: a node's output is a tensor, never an index.
        for (Node& other : d.nodes)
            if (other.id != id)
                for (std::string& r : other.inputs)
                    if (!r.empty() && refNode(r) == id) r = source;
        for (BlockOutput& o : d.outputs)
            if (!o.from.empty() && refNode(o.from) == id) o.from = source;
        removeItems(doc, def, {qid});
    }
}

void appendItem(ModelDocument& doc, const std::string& def, const std::string& nodeId, const ModuleSpec& item) {
    BlockDef& d = definitionOf(doc, def);
    const Node& n = nodeOf(d, nodeId);
    if (!n.isCall()) throw Error("'" + nodeId + "' is an op, not a container.");
    NamedSpec* c = const_cast<NamedSpec*>(baseChild(d, n.call));
    if (!c || !c->spec.isContainer()) throw Error("'" + n.call + "' is not a Sequential or ModuleList.");
    c->spec.items.push_back(item);
}

void moveItem(ModelDocument& doc, const std::string& def, const std::string& child, int from, int to) {
    BlockDef& d = definitionOf(doc, def);
    NamedSpec* c = const_cast<NamedSpec*>(baseChild(d, child));
    if (!c || !c->spec.isContainer()) throw Error("'" + child + "' is not a Sequential or ModuleList.");
    auto& items = c->spec.items;
    const int size = static_cast<int>(items.size());
    if (from < 0 || from >= size || to < 0 || to >= size) throw Error("item index out of range.");
    for (const ModuleSpec& s : items)
        if (!s.sameAs.empty())
            throw Error("'" + child + "' has items that name other items (same_as); reordering would change them.");
    ModuleSpec moved = items[static_cast<size_t>(from)];
    items.erase(items.begin() + from);
    items.insert(items.begin() + to, moved);
}

void removeItems(ModelDocument& doc, const std::string& def, const QStringList& keys) {
    BlockDef& d = definitionOf(doc, def);
    std::set<std::string> nodes, inputs, outputs, calls;
    for (const QString& k : keys) {
        const std::string key = k.toStdString();
        if (key.rfind("input:", 0) == 0) inputs.insert(key.substr(6));
        else if (key.rfind("output:", 0) == 0) outputs.insert(key.substr(7));
        else if (d.findNode(key)) nodes.insert(key);
    }
    for (const Node& n : d.nodes)
        if (nodes.count(n.id) && n.isCall()) calls.insert(n.call);
    auto dead = [&](const std::string& r) { return nodes.count(refNode(r)) || inputs.count(r); };
    for (Node& n : d.nodes) {
        if (nodes.count(n.id)) continue;
        for (std::string& r : n.inputs)
            if (dead(r)) r.clear();
        if (!n.indexInput.empty() && dead(n.indexInput)) {
            n.indexInput.clear();
            n.constIndex = 0;
        }
        if (!n.isCall())
            if (const OpType* op = findOpType(n.op); op && op->maxInputs < 0)
                while (static_cast<int>(n.inputs.size()) > op->minInputs) {
                    auto e = std::find(n.inputs.begin(), n.inputs.end(), std::string());
                    if (e == n.inputs.end()) break;
                    n.inputs.erase(e);
                }
    }
    for (BlockOutput& o : d.outputs)
        if (dead(o.from)) o.from.clear();
    std::erase_if(d.nodes, [&](const Node& n) { return nodes.count(n.id) > 0; });
    std::erase_if(d.inputs, [&](const BlockInput& i) { return inputs.count(i.name) > 0; });
    std::erase_if(d.outputs, [&](const BlockOutput& o) { return outputs.count(o.name) > 0; });
    removeUnusedChildren(d, calls);
    for (const QString& k : keys) removePosition(doc, def, k.toStdString());
}

void connect(ModelDocument& doc, const std::string& def, const std::string& srcRef, const QString& dstKey, int port,
             bool indexPort) {
    BlockDef& d = definitionOf(doc, def);
    const std::string key = dstKey.toStdString();
    if (key.rfind("output:", 0) == 0) {
        for (BlockOutput& o : d.outputs)
            if (o.name == key.substr(7)) {
                o.from = srcRef;
                return;
            }
        throw Error("there is no output '" + key.substr(7) + "'.");
    }
    Node& n = nodeOf(d, key);
    if (indexPort) {
        n.listUse = ListUse::Index;
        n.indexInput = srcRef;
        n.constIndex.reset();
        return;
    }
    if (port < 0) throw Error("bad port.");
    if (static_cast<size_t>(port) >= n.inputs.size()) n.inputs.resize(static_cast<size_t>(port) + 1);
    n.inputs[static_cast<size_t>(port)] = srcRef;
}

void disconnect(ModelDocument& doc, const std::string& def, const QString& dstKey, int port, bool indexPort,
                bool variadic) {
    BlockDef& d = definitionOf(doc, def);
    const std::string key = dstKey.toStdString();
    if (key.rfind("output:", 0) == 0) {
        for (BlockOutput& o : d.outputs)
            if (o.name == key.substr(7)) o.from.clear();
        return;
    }
    Node& n = nodeOf(d, key);
    if (indexPort) {
        n.indexInput.clear();
        n.constIndex = 0;
        return;
    }
    if (port < 0 || static_cast<size_t>(port) >= n.inputs.size()) return;
    const OpType* op = n.isCall() ? nullptr : findOpType(n.op);
    if (variadic && op && static_cast<int>(n.inputs.size()) > op->minInputs)
        n.inputs.erase(n.inputs.begin() + port);
    else
        n.inputs[static_cast<size_t>(port)].clear();
}

void setChildArgs(ModelDocument& doc, const std::string& def, const std::string& child, const Json& args) {
    BlockDef& d = definitionOf(doc, def);
    NamedSpec* c = const_cast<NamedSpec*>(baseChild(d, child));
    if (!c) throw Error("there is no child '" + child + "' in " + def + ".");
    c->spec.args = args;
}

void setOpArgs(ModelDocument& doc, const std::string& def, const std::string& nodeId, const Json& args) {
    nodeOf(definitionOf(doc, def), nodeId).args = args;
}

void setListIndex(ModelDocument& doc, const std::string& def, const std::string& nodeId, ListUse use,
                  std::optional<Index> constIndex) {
    Node& n = nodeOf(definitionOf(doc, def), nodeId);
    n.listUse = use;
    n.constIndex = constIndex;
    if (use != ListUse::Index || constIndex) n.indexInput.clear();
}

std::string callAgain(ModelDocument& doc, const std::string& def, const std::string& nodeId, QPointF pos) {
    BlockDef& d = definitionOf(doc, def);
    const Node& src = nodeOf(d, nodeId);
    if (!src.isCall()) throw Error("'" + nodeId + "' is an op: it has no instance to call again.");
    Node n = src;
    n.id = freshNodeId(d, src.call);
    for (std::string& r : n.inputs) r.clear();
    n.pointer.clear();
    d.nodes.push_back(n);
    setPosition(doc, def, n.id, pos);
    return n.id;
}

namespace {
// Nodes in `ids`, in definition order; refuses ops and unknown ids.
std::vector<Node*> selectedCalls(BlockDef& d, const QStringList& ids, bool allowOps) {
    std::vector<Node*> out;
    for (Node& n : d.nodes)
        if (ids.contains(QString::fromStdString(n.id))) {
            if (!allowOps && !n.isCall()) throw Error("'" + n.id + "' is an op (" + n.op + "), not a module call.");
            out.push_back(&n);
        }
    if (out.empty()) throw Error("select one or more nodes first.");
    return out;
}

// Refuses when a child the selection calls is also called from outside it.
void checkChildrenOwned(const BlockDef& d, const std::set<std::string>& sel, const std::string& what) {
    std::set<std::string> inside, outside;
    for (const Node& n : d.nodes)
        if (n.isCall()) (sel.count(n.id) ? inside : outside).insert(baseName(d, n.call));
    for (const std::string& c : inside)
        if (outside.count(c))
            throw Error("'" + c + "' is also called outside the selection; " + what +
                        " would own it and end the sharing. Select every node that calls it.");
}

// Spec a node stands for inside a Sequential (ops become their module form).
ModuleSpec itemOf(const BlockDef& d, const Node& n) {
    if (n.isCall()) {
        if (n.listUse != ListUse::None) throw Error("'" + n.id + "' indexes a ModuleList; it cannot be an item.");
        return baseChild(d, n.call)->spec;
    }
    const OpType* op = findOpType(n.op);
    if (!op || op->moduleForm == LayerId::Count)
        throw Error("op '" + n.op + "' (node '" + n.id + "') has several inputs; a Sequential item takes one.");
    ModuleSpec s;
    s.type = layerName(op->moduleForm);
    s.args = n.args;
    return s;
}

size_t childIndex(const BlockDef& d, const std::string& name) {
    for (size_t i = 0; i < d.children.size(); ++i)
        if (d.children[i].name == name) return i;
    return d.children.size();
}
} // namespace

std::string groupSequential(ModelDocument& doc, const std::string& def, const QStringList& nodeIds) {
    BlockDef& d = definitionOf(doc, def);
    std::vector<Node*> sel = selectedCalls(d, nodeIds, true);
    std::set<std::string> ids;
    for (Node* n : sel) ids.insert(n->id);
    checkChildrenOwned(d, ids, "a Sequential");
    // The chain: one head fed from outside, each next fed by the previous only.
    std::map<std::string, Node*> byInput;
    Node* head = nullptr;
    for (Node* n : sel) {
        if (n->inputs.size() != 1)
            throw Error("'" + n->id + "' takes " + std::to_string(n->inputs.size()) +
                        " inputs; every item of a Sequential takes one.");
        const std::string src = refNode(n->inputs[0]);
        if (ids.count(src)) {
            if (byInput.count(src)) throw Error("'" + src + "' feeds two selected nodes; a Sequential is a chain.");
            byInput[src] = n;
        } else {
            if (head) throw Error("'" + head->id + "' and '" + n->id + "' both take inputs from outside the "
                                  "selection; a Sequential has one input.");
            head = n;
        }
    }
    if (!head) throw Error("the selection is a cycle.");
    std::vector<Node*> chain{head};
    while (byInput.count(chain.back()->id)) chain.push_back(byInput[chain.back()->id]);
    if (chain.size() != sel.size()) throw Error("the selected nodes do not form one chain.");
    // Only the last node's output may be used outside.
    for (size_t i = 0; i + 1 < chain.size(); ++i) {
        int uses = 0;
        for (const Node& n : d.nodes)
            for (const std::string& r : n.inputs) uses += refNode(r) == chain[i]->id;
        for (const BlockOutput& o : d.outputs) uses += refNode(o.from) == chain[i]->id;
        if (uses > 1)
            throw Error("the output of '" + chain[i]->id + "' is also used outside the chain; a Sequential only "
                        "gives out its last output.");
    }
    ModuleSpec seq;
    seq.type = "Sequential";
    std::map<std::string, int> firstItem; // child -> item index, for Sequential(l, l)
    size_t insertAt = d.children.size();
    std::set<std::string> oldChildren;
    for (Node* n : chain) {
        if (n->isCall()) {
            const std::string base = baseName(d, n->call);
            oldChildren.insert(n->call);
            insertAt = std::min(insertAt, childIndex(d, base));
            if (firstItem.count(base)) {
                ModuleSpec alias;
                alias.sameAs = std::to_string(firstItem[base]);
                seq.items.push_back(alias);
                continue;
            }
            firstItem[base] = static_cast<int>(seq.items.size());
        }
        seq.items.push_back(itemOf(d, *n));
    }
    const std::string child = freshChildName(d, "seq");
    const std::string headInput = head->inputs[0];
    const std::string last = chain.back()->id;
    const QPointF pos = positionOf(doc, def, head->id).value_or(QPointF());
    size_t nodeAt = 0;
    while (nodeAt < d.nodes.size() && d.nodes[nodeAt].id != head->id) ++nodeAt;
    std::erase_if(d.nodes, [&](const Node& n) { return ids.count(n.id) > 0; });
    Node node;
    node.id = freshNodeId(d, "seq");
    node.call = child;
    node.inputs = {headInput};
    d.nodes.insert(d.nodes.begin() + static_cast<long>(std::min(nodeAt, d.nodes.size())), node);
    forEachRef(d, [&](std::string& r) {
        if (r == last) r = node.id;
    });
    removeUnusedChildren(d, oldChildren);
    d.children.insert(d.children.begin() + static_cast<long>(std::min(insertAt, d.children.size())), {child, seq});
    for (const std::string& id : ids) removePosition(doc, def, id);
    setPosition(doc, def, node.id, pos);
    return node.id;
}

std::string groupModuleList(ModelDocument& doc, const std::string& def, const QStringList& nodeIds) {
    BlockDef& d = definitionOf(doc, def);
    std::vector<Node*> sel = selectedCalls(d, nodeIds, false);
    std::set<std::string> ids;
    for (Node* n : sel) ids.insert(n->id);
    checkChildrenOwned(d, ids, "a ModuleList");
    ModuleSpec list;
    list.type = "ModuleList";
    std::map<std::string, int> index;
    std::set<std::string> oldChildren;
    size_t insertAt = d.children.size();
    for (Node* n : sel) {
        if (n->listUse != ListUse::None) throw Error("'" + n->id + "' already indexes a ModuleList.");
        const std::string base = baseName(d, n->call);
        oldChildren.insert(n->call);
        insertAt = std::min(insertAt, childIndex(d, base));
        if (!index.count(base)) {
            index[base] = static_cast<int>(list.items.size());
            list.items.push_back(baseChild(d, base)->spec);
        }
    }
    const std::string child = freshChildName(d, "list");
    for (Node* n : sel) {
        const int i = index[baseName(d, n->call)];
        n->call = child;
        n->listUse = ListUse::Index;
        n->constIndex = i;
    }
    removeUnusedChildren(d, oldChildren);
    d.children.insert(d.children.begin() + static_cast<long>(std::min(insertAt, d.children.size())), {child, list});
    return sel.front()->id;
}

std::string groupBlock(ModelDocument& doc, const std::string& def, const QStringList& nodeIds) {
    BlockDef* dp = &definitionOf(doc, def);
    std::vector<Node*> sel = selectedCalls(*dp, nodeIds, true);
    std::set<std::string> ids;
    for (Node* n : sel) ids.insert(n->id);
    checkChildrenOwned(*dp, ids, "the block");
    BlockDef b;
    b.name = freshDefinitionName(doc, def == doc.model ? "Block" : def + "Part");
    b.doc = "Grouped from " + def + ".";
    // Inputs: every distinct reference from outside the selection.
    std::vector<std::string> outerInputs;
    std::map<std::string, std::string> inputName;
    auto innerName = [&](const std::string& ref) {
        if (auto it = inputName.find(ref); it != inputName.end()) return it->second;
        std::string name = sanitize(ref);
        while (ids.count(name) || std::any_of(b.inputs.begin(), b.inputs.end(),
                                              [&](const BlockInput& i) { return i.name == name; }))
            name += "_";
        BlockInput in{name, DType::Float32, std::nullopt};
        for (const BlockInput& o : dp->inputs)
            if (o.name == ref) in.dtype = o.dtype;
        b.inputs.push_back(in);
        outerInputs.push_back(ref);
        inputName[ref] = name;
        return name;
    };
    std::set<std::string> calls, argRefs;
    for (Node* n : sel) {
        Node copy = *n;
        copy.pointer.clear();
        for (std::string& r : copy.inputs)
            if (!r.empty() && !ids.count(refNode(r))) r = innerName(r);
        if (!copy.indexInput.empty() && !ids.count(refNode(copy.indexInput))) copy.indexInput = innerName(copy.indexInput);
        b.nodes.push_back(copy);
        if (n->isCall()) calls.insert(n->call);
    }
    // Children, in registration order, with the aliases they need.
    std::set<std::string> needed;
    for (const std::string& c : calls) {
        needed.insert(c);
        needed.insert(baseName(*dp, c));
    }
    for (const NamedSpec& c : dp->children)
        if (needed.count(c.name)) {
            b.children.push_back(c);
            collectArgRefs(c.spec, argRefs);
        }
    for (const std::string& p : argRefs) b.parameters.push_back({p, Json()});
    // Outputs: selected nodes' ports used outside.
    std::vector<std::string> outerRefs;
    auto noteUse = [&](const std::string& r) {
        if (!r.empty() && ids.count(refNode(r)) && std::find(outerRefs.begin(), outerRefs.end(), r) == outerRefs.end())
            outerRefs.push_back(r);
    };
    for (const Node& n : dp->nodes)
        if (!ids.count(n.id)) {
            for (const std::string& r : n.inputs) noteUse(r);
            noteUse(n.indexInput);
        }
    for (const BlockOutput& o : dp->outputs) noteUse(o.from);
    if (outerRefs.empty()) outerRefs.push_back(sel.back()->id); // a block needs an output
    for (const std::string& r : outerRefs) b.outputs.push_back({sanitize(r), r});

    // Positions inside: as they were, relative to the selection's corner.
    QPointF corner(1e9, 1e9), sum;
    for (Node* n : sel) {
        const QPointF p = positionOf(doc, def, n->id).value_or(QPointF());
        corner.setX(std::min(corner.x(), p.x()));
        corner.setY(std::min(corner.y(), p.y()));
        sum += p;
    }
    std::map<std::string, QPointF> inner;
    for (Node* n : sel) inner[n->id] = positionOf(doc, def, n->id).value_or(QPointF()) - corner + QPointF(260, 0);
    const QPointF centre = sum / static_cast<double>(sel.size());

    // The parent: one child and one node in place of the selection.
    const std::string child = freshChildName(*dp, lower(b.name));
    ModuleSpec spec;
    spec.type = b.name;
    for (const std::string& p : argRefs) spec.args[p] = "$" + p;
    Node node;
    node.id = freshNodeId(*dp, lower(b.name));
    node.call = child;
    node.inputs = outerInputs;
    size_t nodeAt = 0;
    while (nodeAt < dp->nodes.size() && !ids.count(dp->nodes[nodeAt].id)) ++nodeAt;
    size_t childAt = dp->children.size();
    for (const std::string& c : needed) childAt = std::min(childAt, childIndex(*dp, c));
    std::erase_if(dp->nodes, [&](const Node& n) { return ids.count(n.id) > 0; });
    std::erase_if(dp->children, [&](const NamedSpec& c) { return needed.count(c.name) > 0; });
    dp->nodes.insert(dp->nodes.begin() + static_cast<long>(std::min(nodeAt, dp->nodes.size())), node);
    dp->children.insert(dp->children.begin() + static_cast<long>(std::min(childAt, dp->children.size())), {child, spec});
    const bool several = b.outputs.size() > 1;
    std::map<std::string, std::string> outerOf;
    for (const BlockOutput& o : b.outputs) outerOf[o.from] = several ? node.id + "." + o.name : node.id;
    forEachRef(*dp, [&](std::string& r) {
        if (auto it = outerOf.find(r); it != outerOf.end()) r = it->second;
    });
    for (const std::string& id : ids) removePosition(doc, def, id);
    setPosition(doc, def, node.id, centre);
    const std::string newName = b.name;
    // Insert after the definition edited (pointers into definitions die here).
    size_t at = 0;
    while (at < doc.definitions.size() && doc.definitions[at].name != def) ++at;
    doc.definitions.insert(doc.definitions.begin() + static_cast<long>(std::min(at + 1, doc.definitions.size())), b);
    for (const auto& [id, p] : inner) setPosition(doc, newName, id, p);
    return node.id;
}

void ungroup(ModelDocument& doc, const std::string& def, const std::string& nodeId) {
    BlockDef& d = definitionOf(doc, def);
    const Node self = nodeOf(d, nodeId);
    if (!self.isCall()) throw Error("'" + nodeId + "' is an op; there is nothing to ungroup.");
    const NamedSpec* cp = baseChild(d, self.call);
    if (!cp) throw Error("'" + self.call + "' is not a child of " + def + ".");
    const NamedSpec c = *cp;
    const QPointF pos = positionOf(doc, def, nodeId).value_or(QPointF());
    int callers = 0;
    for (const Node& n : d.nodes)
        if (n.isCall() && baseName(d, n.call) == c.name) ++callers;

    if (c.spec.type == "ModuleList") {
        // Every list[i] call becomes a call of item i, registered on its own.
        std::map<Index, std::string> names;
        for (const Node& n : d.nodes)
            if (n.isCall() && baseName(d, n.call) == c.name && !(n.listUse == ListUse::Index && n.constIndex))
                throw Error("'" + n.id + "' indexes '" + c.name +
                            "' at run time (or applies every item); only constant indexes can be ungrouped.");
        size_t at = childIndex(d, c.name);
        for (size_t i = 0; i < c.spec.items.size(); ++i) {
            const std::string name = freshChildName(d, c.name + "_");
            d.children.insert(d.children.begin() + static_cast<long>(++at), {name, c.spec.items[i]});
            names[static_cast<Index>(i)] = name;
        }
        std::set<Index> called;
        for (Node& n : d.nodes)
            if (n.isCall() && baseName(d, n.call) == c.name) {
                const Index size = static_cast<Index>(c.spec.items.size());
                const Index k = *n.constIndex < 0 ? *n.constIndex + size : *n.constIndex;
                if (!names.count(k)) throw Error("'" + n.id + "' uses an index out of range.");
                n.call = names[k];
                n.listUse = ListUse::None;
                n.constIndex.reset();
                called.insert(k);
            }
        // An item no call used gets its own unwired node below the list: registered
        // but invisible, it would hold parameters no one can see or delete.
        double below = 0;
        for (const auto& [i, name] : names) {
            if (called.count(i)) continue;
            Node n;
            n.id = d.findNode(name) || isInputName(d, name) ? freshNodeId(d, name) : name;
            n.call = name;
            const ModuleSpec& item = c.spec.items[static_cast<size_t>(i)];
            const BlockDef* block = doc.findDefinition(item.type);
            n.inputs.assign(block ? std::max<size_t>(1, block->inputs.size()) : 1, "");
            if (item.type == "ModuleList") {
                n.listUse = ListUse::Index;
                n.constIndex = 0;
            }
            d.nodes.push_back(n);
            below += 140;
            setPosition(doc, def, n.id, pos + QPointF(0, below));
        }
        removeUnusedChildren(d, {c.name, self.call});
        return;
    }
    if (callers > 1)
        throw Error("'" + c.name + "' is called at " + std::to_string(callers) +
                    " places; ungrouping one would end the sharing. Delete the other calls first.");
    if (self.listUse != ListUse::None) throw Error("'" + nodeId + "' indexes a list.");

    size_t nodeAt = 0;
    while (nodeAt < d.nodes.size() && d.nodes[nodeAt].id != nodeId) ++nodeAt;
    std::vector<Node> added;
    std::vector<NamedSpec> addedChildren;
    std::map<std::string, std::string> outerOf; // old ref to the node -> new ref
    BlockDef scratch = d; // for fresh names that see what is being added
    auto freshChild = [&](const std::string& base) {
        const std::string n = freshChildName(scratch, base);
        scratch.children.push_back({n, {}});
        return n;
    };
    auto freshNode = [&](const std::string& base) {
        const std::string n = freshNodeId(scratch, base);
        Node x;
        x.id = n;
        scratch.nodes.push_back(x);
        return n;
    };
    if (c.spec.type == "Sequential") {
        std::string prev = self.inputs.empty() ? std::string() : self.inputs[0];
        std::vector<std::string> itemChild;
        for (size_t i = 0; i < c.spec.items.size(); ++i) {
            const ModuleSpec& item = c.spec.items[i];
            std::string name;
            if (!item.sameAs.empty()) {
                const size_t j = static_cast<size_t>(std::stoul(item.sameAs));
                name = j < itemChild.size() ? itemChild[j] : std::string();
            } else {
                name = freshChild(c.name + "_");
                addedChildren.push_back({name, item});
            }
            itemChild.push_back(name);
            Node n;
            n.id = freshNode(nodeId + "_");
            n.call = name;
            n.inputs = {prev};
            prev = n.id;
            added.push_back(n);
        }
        outerOf[nodeId] = prev;
    } else if (const BlockDef* bp = doc.findDefinition(c.spec.type)) {
        const BlockDef b = *bp;
        Json values = Json::object();
        for (const BlockParameter& p : b.parameters) values[p.name] = c.spec.args.contains(p.name) ? c.spec.args[p.name] : p.defaultValue;
        std::map<std::string, std::string> childMap, nodeMap, inputMap;
        for (size_t i = 0; i < b.inputs.size(); ++i) inputMap[b.inputs[i].name] = i < self.inputs.size() ? self.inputs[i] : "";
        for (const NamedSpec& ic : b.children) {
            const std::string name = freshChild(c.name + "_" + ic.name);
            childMap[ic.name] = name;
            NamedSpec copy{name, ic.spec};
            substituteArgs(copy.spec, values);
            copy.spec.pointer.clear();
            addedChildren.push_back(copy);
        }
        for (NamedSpec& ic : addedChildren)
            if (!ic.spec.sameAs.empty()) ic.spec.sameAs = childMap[ic.spec.sameAs];
        for (const Node& in : b.nodes) nodeMap[in.id] = freshNode(nodeId + "_" + in.id);
        auto mapRef = [&](const std::string& r) -> std::string {
            if (r.empty()) return r;
            if (inputMap.count(r)) return inputMap[r];
            const std::string id = refNode(r);
            if (!nodeMap.count(id)) return "";
            return nodeMap[id] + r.substr(id.size());
        };
        for (const Node& in : b.nodes) {
            Node n = in;
            n.id = nodeMap[in.id];
            n.pointer.clear();
            if (n.isCall()) n.call = childMap[n.call];
            for (std::string& r : n.inputs) r = mapRef(r);
            if (!n.indexInput.empty()) n.indexInput = mapRef(n.indexInput);
            added.push_back(n);
        }
        for (const BlockOutput& o : b.outputs)
            outerOf[b.outputs.size() > 1 ? nodeId + "." + o.name : nodeId] = mapRef(o.from);
    } else {
        throw Error("'" + c.name + "' is a " + c.spec.type + " layer; only containers and blocks can be ungrouped.");
    }
    std::erase_if(d.nodes, [&](const Node& n) { return n.id == nodeId; });
    d.nodes.insert(d.nodes.begin() + static_cast<long>(std::min(nodeAt, d.nodes.size())), added.begin(), added.end());
    forEachRef(d, [&](std::string& r) {
        if (auto it = outerOf.find(r); it != outerOf.end()) r = it->second;
    });
    size_t childAt = childIndex(d, c.name);
    d.children.insert(d.children.begin() + static_cast<long>(std::min(childAt + 1, d.children.size())),
                      addedChildren.begin(), addedChildren.end());
    removeUnusedChildren(d, {c.name, self.call});
    removePosition(doc, def, nodeId);
    for (size_t i = 0; i < added.size(); ++i)
        setPosition(doc, def, added[i].id, pos + QPointF(240.0 * static_cast<double>(i), 0));
}

void addBlockInput(ModelDocument& doc, const std::string& def, const std::string& name, DType dtype) {
    BlockDef& d = definitionOf(doc, def);
    if (!isValidName(name)) throw Error("'" + name + "' is not a valid name (letters, digits and _).");
    if (isInputName(d, name) || d.findNode(name)) throw Error("'" + name + "' is already used in " + def + ".");
    // A model's float input starts with the shape of its first float input (or [10]) so the model keeps
    // analysing; the inspector's Shape field changes it. A block's inputs take their callers' shapes.
    std::optional<std::vector<Index>> shape;
    if (dtype != DType::Int64 && def == doc.model) {
        shape = std::vector<Index>{10};
        for (const BlockInput& i : d.inputs)
            if (i.dtype != DType::Int64 && i.shape) {
                shape = i.shape;
                break;
            }
    }
    d.inputs.push_back({name, dtype, shape});
}

void addBlockOutput(ModelDocument& doc, const std::string& def, const std::string& name, const std::string& from) {
    BlockDef& d = definitionOf(doc, def);
    if (!isValidName(name)) throw Error("'" + name + "' is not a valid name (letters, digits and _).");
    for (const BlockOutput& o : d.outputs)
        if (o.name == name) throw Error(def + " already has an output '" + name + "'.");
    d.outputs.push_back({name, from});
}

void renamePort(ModelDocument& doc, const std::string& def, const QString& key, const std::string& newName) {
    BlockDef& d = definitionOf(doc, def);
    const std::string k = key.toStdString();
    if (!isValidName(newName)) throw Error("'" + newName + "' is not a valid name (letters, digits and _).");
    auto movePosition = [&](const std::string& from, const std::string& to) {
        if (auto p = positionOf(doc, def, from)) {
            removePosition(doc, def, from);
            setPosition(doc, def, to, *p);
        }
    };
    if (k.rfind("input:", 0) == 0) {
        const std::string old = k.substr(6);
        if (isInputName(d, newName) || d.findNode(newName)) throw Error("'" + newName + "' is already used in " + def + ".");
        for (BlockInput& i : d.inputs)
            if (i.name == old) i.name = newName;
        forEachRef(d, [&](std::string& r) {
            if (r == old) r = newName;
        });
        movePosition(k, "input:" + newName);
        return;
    }
    if (k.rfind("output:", 0) == 0) {
        const std::string old = k.substr(7);
        for (const BlockOutput& o : d.outputs)
            if (o.name == newName) throw Error(def + " already has an output '" + newName + "'.");
        for (BlockOutput& o : d.outputs)
            if (o.name == old) o.name = newName;
        // Callers that name this output ("node.old") follow the rename.
        for (BlockDef& other : doc.definitions) {
            std::set<std::string> callers;
            for (const Node& n : other.nodes)
                if (n.isCall())
                    if (const NamedSpec* c = baseChild(other, n.call); c && c->spec.type == def) callers.insert(n.id);
            forEachRef(other, [&](std::string& r) {
                if (callers.count(refNode(r)) && r == refNode(r) + "." + old) r = refNode(r) + "." + newName;
            });
        }
        movePosition(k, "output:" + newName);
        return;
    }
    throw Error("only block inputs and outputs can be renamed here.");
}

void setInputSpec(ModelDocument& doc, const std::string& def, const std::string& name, DType dtype,
                  std::optional<std::vector<Index>> shape) {
    BlockDef& d = definitionOf(doc, def);
    for (BlockInput& i : d.inputs)
        if (i.name == name) {
            i.dtype = dtype;
            i.shape = dtype == DType::Int64 ? std::nullopt : std::move(shape);
            return;
        }
    throw Error(def + " has no input '" + name + "'.");
}

std::vector<Index> parseShape(const std::string& text) {
    std::string t = text;
    std::erase_if(t, [](char c) { return c == '[' || c == ']' || c == '(' || c == ')'; });
    std::vector<Index> dims;
    size_t at = 0;
    while (at <= t.size()) {
        const size_t comma = std::min(t.find(',', at), t.size());
        std::string part = t.substr(at, comma - at);
        std::erase_if(part, [](char c) { return std::isspace(static_cast<unsigned char>(c)); });
        if (!part.empty() || comma < t.size()) {
            const bool digits = !part.empty() && std::all_of(part.begin(), part.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
            if (!digits || part.size() > 9 || std::stoll(part) == 0)
                throw Error("'" + part + "' in the shape '" + text + "' is not a positive size; write e.g. 10 or 3, 32, 32.");
            dims.push_back(static_cast<Index>(std::stoll(part)));
        }
        at = comma + 1;
    }
    if (dims.empty()) throw Error("the shape is empty; write the per-sample size, e.g. 10 or 3, 32, 32.");
    return dims;
}

namespace {
// PyTorch's register_module rules (non-empty, no dot) within the format's names.
void checkChildName(const BlockDef& d, const std::string& name) {
    if (name.empty()) throw Error("a name cannot be empty.");
    if (name.find('.') != std::string::npos)
        throw Error("'" + name + "' contains a dot; PyTorch uses dots to join names in state_dict().");
    if (!isValidName(name)) throw Error("'" + name + "' is not a valid name (letters, digits and _, not starting with a digit).");
    if (d.findChild(name)) throw Error("'" + name + "' is already a child of " + d.name + ".");
}
ModuleSpec& containerItem(BlockDef& d, const std::string& child, int item) {
    NamedSpec* c = const_cast<NamedSpec*>(baseChild(d, child));
    if (!c || !c->spec.isContainer()) throw Error("'" + child + "' is not a Sequential or ModuleList.");
    if (item < 0 || item >= static_cast<int>(c->spec.items.size()))
        throw Error("'" + child + "' has no item " + std::to_string(item) + ".");
    return c->spec.items[static_cast<size_t>(item)];
}
} // namespace

void renameChild(ModelDocument& doc, const std::string& def, const std::string& child, const std::string& newName) {
    BlockDef& d = definitionOf(doc, def);
    if (newName == child) return;
    if (!d.findChild(child)) throw Error("there is no child '" + child + "' in " + def + ".");
    checkChildName(d, newName);
    for (NamedSpec& c : d.children) {
        if (c.name == child) c.name = newName;
        if (c.spec.sameAs == child) c.spec.sameAs = newName;
    }
    for (Node& n : d.nodes)
        if (n.call == child) n.call = newName;
}

void renameDefinition(ModelDocument& doc, const std::string& def, const std::string& newName) {
    definitionOf(doc, def);
    if (newName == def) return;
    // A class name: the exported PyTorch file says `class <name>(nn.Module)`.
    static const std::set<std::string> keywords{
        "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def",
        "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is",
        "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while", "with", "yield"};
    if (newName.empty()) throw Error("a class name cannot be empty.");
    if (!isValidName(newName))
        throw Error("'" + newName + "' is not a valid class name (letters, digits and _, not starting with a digit).");
    if (keywords.count(newName)) throw Error("'" + newName + "' is a Python keyword.");
    if (findLayerType(newName) || isContainerType(newName) || newName == "Module")
        throw Error("'" + newName + "' is a built-in PyTorch module; choose another class name.");
    if (doc.findDefinition(newName)) throw Error("there is already a definition named '" + newName + "'.");
    std::function<void(ModuleSpec&)> follow = [&](ModuleSpec& s) {
        if (s.type == def) s.type = newName;
        for (ModuleSpec& item : s.items) follow(item);
    };
    for (BlockDef& d : doc.definitions) {
        if (d.name == def) d.name = newName;
        for (NamedSpec& c : d.children) follow(c.spec);
    }
    if (doc.model == def) doc.model = newName;
    if (doc.layout.is_object() && doc.layout.contains("positions") && doc.layout["positions"].is_object()) {
        Json& all = doc.layout["positions"];
        if (all.contains(def)) {
            Json mine = all[def];
            all.erase(def);
            all[newName] = std::move(mine);
        }
    }
}

void renameNode(ModelDocument& doc, const std::string& def, const std::string& nodeId, const std::string& newId) {
    BlockDef& d = definitionOf(doc, def);
    if (newId == nodeId) return;
    if (!isValidName(newId)) throw Error("'" + newId + "' is not a valid name (letters, digits and _, not starting with a digit).");
    if (d.findNode(newId) || isInputName(d, newId)) throw Error("'" + newId + "' is already used in " + def + ".");
    nodeOf(d, nodeId).id = newId;
    forEachRef(d, [&](std::string& r) {
        if (refNode(r) == nodeId) r = newId + r.substr(nodeId.size());
    });
    if (auto p = positionOf(doc, def, nodeId)) {
        removePosition(doc, def, nodeId);
        setPosition(doc, def, newId, *p);
    }
}

void setItemArgs(ModelDocument& doc, const std::string& def, const std::string& child, int item, const Json& args) {
    containerItem(definitionOf(doc, def), child, item).args = args;
}

void removeItem(ModelDocument& doc, const std::string& def, const std::string& child, int item) {
    BlockDef& d = definitionOf(doc, def);
    containerItem(d, child, item);
    auto& items = const_cast<NamedSpec*>(baseChild(d, child))->spec.items;
    if (items.size() == 1) throw Error("'" + child + "' needs at least one item; delete the node to remove it.");
    for (const ModuleSpec& s : items)
        if (!s.sameAs.empty()) throw Error("'" + child + "' has items that name other items (same_as); removing one would change them.");
    items.erase(items.begin() + item);
}

void insertProjection(ModelDocument& doc, const std::string& def, const std::string& nodeId,
                      const std::string& shortcutRef, Index channels, Index stride) {
    BlockDef& d = definitionOf(doc, def);
    Node& add = nodeOf(d, nodeId);
    if (std::find(add.inputs.begin(), add.inputs.end(), shortcutRef) == add.inputs.end())
        throw Error("'" + shortcutRef + "' is not an input of '" + nodeId + "'.");
    const bool hasOut = std::any_of(d.parameters.begin(), d.parameters.end(),
                                    [](const BlockParameter& p) { return p.name == "out_channels"; });
    const bool hasIn = std::any_of(d.parameters.begin(), d.parameters.end(),
                                   [](const BlockParameter& p) { return p.name == "in_channels"; });
    const Json c = hasOut ? Json("$out_channels") : Json(channels);
    ModuleSpec conv;
    conv.type = layerName(LayerId::Conv2d);
    if (hasIn) conv.args["in_channels"] = "$in_channels";
    conv.args["out_channels"] = c;
    conv.args["kernel_size"] = 1;
    if (stride != 1) conv.args["stride"] = stride;
    conv.args["bias"] = false;
    ModuleSpec bn;
    bn.type = layerName(LayerId::BatchNorm2d);
    bn.args["num_features"] = c;
    ModuleSpec seq;
    seq.type = "Sequential";
    seq.items = {conv, bn};
    const std::string child = freshChildName(d, "shortcut");
    d.children.push_back({child, seq});
    Node n;
    n.id = freshNodeId(d, "proj");
    n.call = child;
    n.inputs = {shortcutRef};
    for (std::string& r : add.inputs)
        if (r == shortcutRef) r = n.id;
    const QPointF at = positionOf(doc, def, nodeId).value_or(QPointF()) + QPointF(-260, 160);
    size_t where = 0;
    while (where < d.nodes.size() && d.nodes[where].id != nodeId) ++where;
    d.nodes.insert(d.nodes.begin() + static_cast<long>(where), n);
    setPosition(doc, def, n.id, at);
}

ModelDocument copyItems(const ModelDocument& doc, const std::string& def, const QStringList& nodeIds) {
    const BlockDef* d = doc.findDefinition(def);
    if (!d) throw Error("there is no definition '" + def + "'.");
    ModelDocument clip;
    clip.model = "Clipboard";
    BlockDef b;
    b.name = "Clipboard";
    std::set<std::string> ids, calls;
    for (const Node& n : d->nodes)
        if (nodeIds.contains(QString::fromStdString(n.id))) ids.insert(n.id);
    if (ids.empty()) throw Error("nothing selected to copy.");
    for (const Node& n : d->nodes) {
        if (!ids.count(n.id)) continue;
        Node copy = n;
        copy.pointer.clear();
        for (std::string& r : copy.inputs)
            if (!ids.count(refNode(r))) r.clear(); // no wires to outside nodes
        if (!ids.count(refNode(copy.indexInput))) copy.indexInput.clear();
        b.nodes.push_back(copy);
        if (n.isCall()) {
            calls.insert(n.call);
            calls.insert(baseName(*d, n.call));
        }
        if (auto p = positionOf(doc, def, n.id)) setPosition(clip, "Clipboard", n.id, *p);
    }
    std::set<std::string> blocks;
    std::function<void(const ModuleSpec&)> needBlocks = [&](const ModuleSpec& s) {
        if (const BlockDef* bd = doc.findDefinition(s.type); bd && blocks.insert(bd->name).second)
            for (const NamedSpec& c : bd->children) needBlocks(c.spec);
        for (const ModuleSpec& i : s.items) needBlocks(i);
    };
    for (const NamedSpec& c : d->children)
        if (calls.count(c.name)) {
            b.children.push_back(c);
            needBlocks(c.spec);
        }
    b.outputs.push_back({"out", ""});
    clip.definitions.push_back(b);
    for (const BlockDef& other : doc.definitions)
        if (blocks.count(other.name)) clip.definitions.push_back(other);
    return clip;
}

QStringList paste(ModelDocument& doc, const std::string& def, const ModelDocument& clip, QPointF offset) {
    const BlockDef* src = clip.findDefinition(clip.model);
    if (!src) throw Error("the clipboard holds no model.");
    for (const BlockDef& b : clip.definitions)
        if (b.name != clip.model && !doc.findDefinition(b.name)) doc.definitions.push_back(b);
    BlockDef& d = definitionOf(doc, def);
    std::map<std::string, std::string> childMap, nodeMap;
    for (const NamedSpec& c : src->children) {
        if (c.spec.type == def || c.spec.type == doc.model)
            throw Error("a block cannot contain an instance of itself ('" + c.spec.type + "').");
        const std::string name = d.findChild(c.name) ? freshChildName(d, c.name) : c.name;
        childMap[c.name] = name;
        d.children.push_back({name, c.spec});
    }
    for (const NamedSpec& c : src->children)
        if (!c.spec.sameAs.empty())
            for (NamedSpec& mine : d.children)
                if (mine.name == childMap[c.name]) mine.spec.sameAs = childMap[c.spec.sameAs];
    std::vector<Node> added;
    for (const Node& n : src->nodes) {
        Node copy = n;
        copy.id = d.findNode(n.id) || isInputName(d, n.id) ? freshNodeId(d, n.id) : n.id;
        nodeMap[n.id] = copy.id;
        Node placeholder;
        placeholder.id = copy.id;
        d.nodes.push_back(placeholder); // reserve the id
        added.push_back(copy);
    }
    d.nodes.resize(d.nodes.size() - added.size());
    QStringList ids;
    for (Node& n : added) {
        if (n.isCall()) n.call = childMap.count(n.call) ? childMap[n.call] : n.call;
        for (std::string& r : n.inputs)
            if (!r.empty()) r = nodeMap.count(refNode(r)) ? nodeMap[refNode(r)] + r.substr(refNode(r).size()) : "";
        if (!n.indexInput.empty()) n.indexInput.clear();
        d.nodes.push_back(n);
        ids << QString::fromStdString(n.id);
    }
    for (const auto& [from, to] : nodeMap)
        setPosition(doc, def, to, positionOf(clip, clip.model, from).value_or(QPointF()) + offset);
    return ids;
}

void replaceItem(ModelDocument& doc, const std::string& def, const std::string& child, int item, ModuleSpec spec) {
    BlockDef& d = definitionOf(doc, def);
    ModuleSpec& old = containerItem(d, child, item);
    if (!old.sameAs.empty())
        throw Error("item " + std::to_string(item) + " of '" + child + "' is item " + old.sameAs +
                    " registered again (same_as); replace item " + old.sameAs + " instead.");
    for (const ModuleSpec& s : baseChild(d, child)->spec.items)
        if (s.sameAs == std::to_string(item))
            throw Error("item " + std::to_string(item) + " of '" + child +
                        "' is shared by a later item (same_as); replacing it would change both.");
    if (const LayerType* t = findLayerType(spec.type))
        for (const ArgSpec& a : t->args)
            if (old.args.contains(a.name)) spec.args[a.name] = old.args[a.name];
    old = std::move(spec);
}

} // namespace ml::gui::edits
