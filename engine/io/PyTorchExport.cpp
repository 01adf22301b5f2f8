#include "io/PyTorchExport.h"

#include "core/Error.h"
#include "model/LayerCatalog.h"

#include <algorithm>
#include <charconv>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#ifndef MODULELAB_VERSION
#define MODULELAB_VERSION "0.1.0"
#endif

namespace ml::io {

const char* moduleLabVersion() { return MODULELAB_VERSION; }

namespace {

constexpr size_t kMaxLine = 79; // PEP 8

const std::set<std::string>& pythonReserved() {
    static const std::set<std::string> words{
        "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def",
        "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is",
        "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while", "with", "yield",
        // names the generated file itself uses
        "self", "torch", "nn", "json", "os", "struct", "read_safetensors", "load_safetensors", "write_safetensors",
        "save_safetensors"};
    return words;
}

// Attributes nn.Module has already: registering a child under one fails or
// breaks the module.
bool isModuleAttribute(const std::string& name) {
    static const std::set<std::string> names{
        "training", "forward", "parameters", "buffers", "children", "modules", "state_dict", "load_state_dict",
        "train", "eval", "to", "cuda", "cpu", "apply", "zero_grad", "named_parameters", "named_buffers",
        "named_children", "named_modules", "register_buffer", "register_parameter", "register_module",
        "add_module", "get_submodule", "type", "float", "double", "half", "bfloat16", "requires_grad_",
        "extra_repr", "dump_patches", "share_memory", "call_super_init"};
    return names.count(name) > 0;
}

std::string pyFloat(double x) {
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, x);
    std::string s(buf, r.ptr);
    if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
    // Python writes exponents with at least two digits: 1e-05.
    const size_t e = s.find('e');
    if (e != std::string::npos) {
        size_t digits = e + 1;
        if (digits < s.size() && (s[digits] == '-' || s[digits] == '+')) ++digits;
        if (s.size() - digits == 1) s.insert(digits, "0");
        if (s[e + 1] == '+') s.erase(e + 1, 1);
    }
    return s;
}

// A JSON argument as a Python literal; "$name" is the block argument `name`.
std::string pyValue(const Json& v) {
    if (v.is_null()) return "None";
    if (v.is_boolean()) return v.get<bool>() ? "True" : "False";
    if (v.is_number_integer() || v.is_number_unsigned()) return v.dump();
    if (v.is_number_float()) return pyFloat(v.get<double>());
    if (v.is_string()) {
        const std::string s = v.get<std::string>();
        if (s.starts_with("$")) return s.substr(1);
        std::string out = "'";
        for (char c : s) {
            if (c == '\'' || c == '\\') out += '\\';
            out += c;
        }
        return out + "'";
    }
    if (v.is_array()) {
        std::string out = "(";
        for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + pyValue(v[i]);
        return out + (v.size() == 1 ? ",)" : ")");
    }
    throw Error("cannot write " + v.dump() + " as a Python value");
}

// Words of `text` in lines of at most `width` characters after `indent`.
std::vector<std::string> wrap(const std::string& text, const std::string& indent, size_t width = kMaxLine) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    std::string word, line;
    while (in >> word) {
        if (!line.empty() && indent.size() + line.size() + 1 + word.size() > width) {
            lines.push_back(indent + line);
            line.clear();
        }
        line += (line.empty() ? "" : " ") + word;
    }
    if (!line.empty()) lines.push_back(indent + line);
    return lines;
}

// `callee(args)` on one line when it fits, else one argument per line.
std::vector<std::string> callLines(const std::string& lead, const std::string& callee,
                                   const std::vector<std::string>& args, const std::string& indent,
                                   const std::string& tail) {
    std::string one = indent + lead + callee + "(";
    for (size_t i = 0; i < args.size(); ++i) one += (i ? ", " : "") + args[i];
    one += ")" + tail;
    if (one.size() <= kMaxLine) return {one};
    std::vector<std::string> lines{indent + lead + callee + "("};
    for (const std::string& a : args) lines.push_back(indent + "    " + a + ",");
    lines.push_back(indent + ")" + tail);
    return lines;
}

class Exporter {
public:
    Exporter(const ModelDocument& doc, const Analysis& a) : m_doc(doc), m_analysis(a) {
        for (const ModuleInstance& m : a.tree.instances)
            if (m.spec) m_instancesOf[m.spec].push_back(&m);
        for (const ModuleInstance& m : a.tree.instances)
            if (m.kind == ModuleKind::Block && m.block) m_blockInstances[m.block].push_back(&m);
    }

    PyTorchCode run(const std::string& sourceName);

private:
    void emit(std::string line) { m_lines.push_back(std::move(line)); }
    int lineNo() const { return static_cast<int>(m_lines.size()); }
    void span(const std::string& def, const std::string& child, const std::string& node, int first) {
        m_spans.push_back({def, child, node, first, lineNo()});
    }

    void order(const BlockDef& def, std::vector<const BlockDef*>& out, std::set<std::string>& seen);
    void collectTypes(const ModuleSpec& spec, std::vector<std::string>& types) const;
    void writeClass(const BlockDef& def);
    void writeInit(const BlockDef& def);
    void writeForward(const BlockDef& def);
    // The constructor expression of a module spec; `locals` names items other
    // items register again (same_as inside a container).
    std::vector<std::string> moduleExpr(const ModuleSpec& spec, const std::string& where, const std::string& lead,
                                        const std::string& indent, const std::string& tail,
                                        std::vector<std::string>& before, const std::string& localStem);
    std::vector<std::string> layerArgs(const ModuleSpec& spec, const std::string& where);
    std::vector<std::string> blockArgs(const ModuleSpec& spec, const BlockDef& def, const std::string& where);
    Json inferredValue(const ModuleSpec& spec, const std::string& arg, const std::string& where,
                       const std::function<Json(const ModuleInstance&)>& valueOf);
    const NamedSpec* resolveChild(const BlockDef& def, const std::string& name) const;
    size_t outputCount(const BlockDef& def, const Node& node) const;
    std::string checkName(const std::string& name, const std::string& what) const;

    const ModelDocument& m_doc;
    const Analysis& m_analysis;
    std::map<const ModuleSpec*, std::vector<const ModuleInstance*>> m_instancesOf;
    std::map<const BlockDef*, std::vector<const ModuleInstance*>> m_blockInstances;
    std::vector<std::string> m_lines;
    std::vector<CodeSpan> m_spans;
};

std::string Exporter::checkName(const std::string& name, const std::string& what) const {
    if (pythonReserved().count(name))
        throw Error(what + " '" + name + "' is a Python keyword or a name the exported file uses; rename it");
    return name;
}

const NamedSpec* Exporter::resolveChild(const BlockDef& def, const std::string& name) const {
    const NamedSpec* c = def.findChild(name);
    for (int hops = 0; c && !c->spec.sameAs.empty() && hops < 64; ++hops) c = def.findChild(c->spec.sameAs);
    return c;
}

size_t Exporter::outputCount(const BlockDef& def, const Node& node) const {
    if (!node.isCall()) return 1;
    const NamedSpec* c = resolveChild(def, node.call);
    if (!c) return 1;
    const ModuleSpec* s = &c->spec;
    if (s->type == "ModuleList" && !s->items.empty() && node.listUse == ListUse::Index) s = &s->items.front();
    if (const BlockDef* b = m_doc.findDefinition(s->type)) return std::max<size_t>(1, b->outputs.size());
    return 1;
}

void Exporter::collectTypes(const ModuleSpec& spec, std::vector<std::string>& types) const {
    if (spec.isContainer())
        for (const ModuleSpec& item : spec.items) collectTypes(item, types);
    else if (spec.sameAs.empty())
        types.push_back(spec.type);
}

void Exporter::order(const BlockDef& def, std::vector<const BlockDef*>& out, std::set<std::string>& seen) {
    if (!seen.insert(def.name).second) return;
    std::vector<std::string> types;
    for (const NamedSpec& c : def.children) collectTypes(c.spec, types);
    for (const std::string& t : types)
        if (const BlockDef* d = m_doc.findDefinition(t)) order(*d, out, seen);
    out.push_back(&def);
}

// One value every instance of `spec` agrees on, for an argument left to
// shape inference (the class must name it; PyTorch infers nothing).
Json Exporter::inferredValue(const ModuleSpec& spec, const std::string& arg, const std::string& where,
                             const std::function<Json(const ModuleInstance&)>& valueOf) {
    Json value;
    for (const ModuleInstance* m : m_instancesOf[&spec]) {
        const Json v = valueOf(*m);
        if (v.is_null()) continue;
        if (!value.is_null() && v != value)
            throw Error(where + ": argument '" + arg + "' is inferred as " + value.dump() + " in one instance and " +
                        v.dump() + " in another; PyTorch needs it written: make it a block argument");
        value = v;
    }
    if (value.is_null())
        throw Error(where + ": argument '" + arg + "' is left to shape inference and could not be found; give it");
    return value;
}

std::vector<std::string> Exporter::layerArgs(const ModuleSpec& spec, const std::string& where) {
    // Required arguments are positional; optional ones are written, by
    // keyword, only when they differ from the default (the catalog's
    // pyPositional and pyKeyword say where PyTorch differs).
    const LayerType* type = findLayerType(spec.type);
    if (!type) throw Error(where + ": layer '" + spec.type + "' has no PyTorch form; it cannot be exported");
    std::vector<std::string> out;
    bool positional = true;
    for (const ArgSpec& a : type->args) {
        const bool required = a.defaultValue.is_null() && a.kind != ArgKind::OptionalIntPair;
        Json v;
        if (spec.args.contains(a.name)) {
            v = spec.args[a.name];
        } else if (required) {
            v = inferredValue(spec, a.name, where, [&](const ModuleInstance& m) {
                return m.args.contains(a.name) ? m.args[a.name] : Json();
            });
        } else if (std::count(type->pyKeyword.begin(), type->pyKeyword.end(), a.name)) {
            v = a.defaultValue;
        } else {
            positional = false;
            continue;
        }
        const bool isRef = v.is_string() && v.get<std::string>().starts_with("$");
        const bool keyword = std::count(type->pyKeyword.begin(), type->pyKeyword.end(), a.name) > 0;
        if (!required && !isRef && !keyword && v == a.defaultValue) {
            positional = false;
            continue;
        }
        const bool pos = positional && !keyword &&
                         (required || std::count(type->pyPositional.begin(), type->pyPositional.end(), a.name));
        if (!pos) positional = false;
        out.push_back(pos ? pyValue(v) : a.name + "=" + pyValue(v));
    }
    return out;
}

std::vector<std::string> Exporter::blockArgs(const ModuleSpec& spec, const BlockDef& def, const std::string& where) {
    std::vector<std::string> out;
    bool positional = true;
    for (const BlockParameter& p : def.parameters) {
        Json v;
        if (spec.args.contains(p.name)) {
            v = spec.args[p.name];
        } else if (p.defaultValue.is_null()) {
            // Left to inference: the value a child layer that forwards
            // "$p" got in this instance.
            const std::string ref = "$" + p.name;
            v = inferredValue(spec, p.name, where, [&](const ModuleInstance& block) {
                std::function<Json(const ModuleInstance&)> search = [&](const ModuleInstance& m) -> Json {
                    for (const ChildRef& c : m.children) {
                        const ModuleInstance& child = m_analysis.tree.at(c.id);
                        if (child.kind == ModuleKind::Block) continue;
                        if (child.kind == ModuleKind::Layer && child.spec)
                            for (auto it = child.spec->args.begin(); it != child.spec->args.end(); ++it)
                                if (it.value() == ref && child.args.contains(it.key())) return child.args[it.key()];
                        if (child.kind != ModuleKind::Layer)
                            if (Json r = search(child); !r.is_null()) return r;
                    }
                    return Json();
                };
                return search(block);
            });
        } else {
            positional = false;
            continue;
        }
        if (!p.defaultValue.is_null() && v == p.defaultValue) {
            positional = false;
            continue;
        }
        out.push_back(positional && p.defaultValue.is_null() ? pyValue(v) : p.name + "=" + pyValue(v));
        if (!p.defaultValue.is_null()) positional = false;
    }
    return out;
}

std::vector<std::string> Exporter::moduleExpr(const ModuleSpec& spec, const std::string& where,
                                              const std::string& lead, const std::string& indent,
                                              const std::string& tail, std::vector<std::string>& before,
                                              const std::string& localStem) {
    if (spec.isContainer()) {
        const std::string cls = spec.type == "Sequential" ? "nn.Sequential" : "nn.ModuleList";
        const std::string open = spec.type == "Sequential" ? "(" : "([";
        const std::string close = spec.type == "Sequential" ? ")" : "])";
        if (spec.items.empty()) return {indent + lead + cls + "()" + tail};
        // Items registered again by a later item live in a local first.
        std::set<std::string> reused;
        for (const ModuleSpec& item : spec.items)
            if (!item.sameAs.empty()) reused.insert(item.sameAs);
        std::vector<std::string> lines{indent + lead + cls + open};
        for (size_t i = 0; i < spec.items.size(); ++i) {
            const ModuleSpec& item = spec.items[i];
            const std::string name = std::to_string(i);
            const std::string itemWhere = where + "." + name;
            const std::string local = localStem + "_" + name;
            if (!item.sameAs.empty()) {
                lines.push_back(indent + "    " + localStem + "_" + item.sameAs + ",");
                continue;
            }
            if (reused.count(name)) {
                std::vector<std::string> pre = moduleExpr(item, itemWhere, local + " = ", "        ", "", before, local);
                before.insert(before.end(), pre.begin(), pre.end());
                lines.push_back(indent + "    " + local + ",");
                continue;
            }
            std::vector<std::string> sub = moduleExpr(item, itemWhere, "", indent + "    ", ",", before, local);
            lines.insert(lines.end(), sub.begin(), sub.end());
        }
        lines.push_back(indent + close + tail);
        return lines;
    }
    if (const BlockDef* def = m_doc.findDefinition(spec.type))
        return callLines(lead, def->name, blockArgs(spec, *def, where), indent, tail);
    const LayerType* type = findLayerType(spec.type);
    if (!type) throw Error(where + ": layer '" + spec.type + "' has no PyTorch form; it cannot be exported");
    return callLines(lead, type->pyClass, layerArgs(spec, where), indent, tail);
}

void Exporter::writeInit(const BlockDef& def) {
    std::string params = "self";
    for (const BlockParameter& p : def.parameters) {
        checkName(p.name, def.name + ": argument");
        params += ", " + p.name + (p.defaultValue.is_null() ? "" : "=" + pyValue(p.defaultValue));
    }
    for (const std::string& l : callLines("def ", "__init__", {params}, "    ", ":")) emit(l);
    emit("        super().__init__()");
    for (const NamedSpec& c : def.children) {
        const std::string where = def.name + "." + c.name;
        checkName(c.name, def.name + ": child");
        if (isModuleAttribute(c.name))
            throw Error(where + ": '" + c.name + "' is an attribute every nn.Module has; rename the child");
        const int first = lineNo() + 1;
        if (!c.spec.sameAs.empty()) {
            emit("        self." + c.name + " = self." + c.spec.sameAs + "  # the same instance, a second name");
            if (m_lines.back().size() > kMaxLine) m_lines.back() = "        self." + c.name + " = self." + c.spec.sameAs;
        } else {
            std::vector<std::string> before;
            std::vector<std::string> lines =
                moduleExpr(c.spec, where, "self." + c.name + " = ", "        ", "", before, c.name);
            for (std::string& l : before) emit(std::move(l));
            for (std::string& l : lines) emit(std::move(l));
        }
        span(def.name, c.name, "", first);
    }
}

void Exporter::writeForward(const BlockDef& def) {
    std::set<std::string> used;
    std::map<std::string, std::string> var; // "x", "node", "node.output" -> Python name
    // Builtins stay usable: a node called "sum" becomes sum_.
    static const std::set<std::string> builtins{"sum", "max", "min", "abs", "input", "id", "list", "dict", "len",
                                                "range", "type", "map", "filter", "print", "iter", "next", "all",
                                                "any", "round", "pow", "object", "super", "slice", "set"};
    auto fresh = [&](std::string name) {
        if (pythonReserved().count(name) || builtins.count(name)) name += "_";
        while (used.count(name)) name += "_";
        used.insert(name);
        return name;
    };
    std::vector<std::string> params{"self"};
    for (const BlockInput& in : def.inputs) {
        checkName(in.name, def.name + ": input");
        var[in.name] = fresh(in.name);
        params.push_back(var[in.name]);
    }
    // Node ids first, so an output name never takes one.
    for (const Node& n : def.nodes) var[n.id] = fresh(n.id);
    std::string joined;
    for (size_t i = 0; i < params.size(); ++i) joined += (i ? ", " : "") + params[i];
    emit("");
    for (const std::string& l : callLines("def ", "forward", {joined}, "    ", ":")) emit(l);
    auto ref = [&](const std::string& r) {
        auto it = var.find(r);
        if (it == var.end()) throw Error(def.name + ": cannot resolve '" + r + "'");
        return it->second;
    };
    // The analysis's order (the plan's too): a file may list a node before its inputs.
    for (const int index : m_analysis.graphOf(def).order) {
        const Node& n = def.nodes[static_cast<size_t>(index)];
        const int first = lineNo() + 1;
        const std::string where = def.name + " node '" + n.id + "'";
        std::vector<std::string> args;
        for (const std::string& i : n.inputs) args.push_back(ref(i));
        // Targets: one name, or one per output of a block with several.
        std::string target = var[n.id];
        const size_t outs = outputCount(def, n);
        if (outs > 1) {
            const NamedSpec* c = resolveChild(def, n.call);
            const ModuleSpec* s = &c->spec;
            if (s->type == "ModuleList") s = &s->items.front();
            const BlockDef* b = m_doc.findDefinition(s->type);
            target.clear();
            for (size_t o = 0; o < b->outputs.size(); ++o) {
                const std::string name = fresh(n.id + "_" + b->outputs[o].name);
                var[n.id + "." + b->outputs[o].name] = name;
                target += (o ? ", " : "") + name;
            }
        } else if (n.isCall()) {
            const NamedSpec* c = resolveChild(def, n.call);
            if (c && m_doc.findDefinition(c->spec.type))
                for (const BlockOutput& o : m_doc.findDefinition(c->spec.type)->outputs) var[n.id + "." + o.name] = target;
        }
        if (n.isCall()) {
            std::string callee = "self." + n.call;
            if (n.listUse == ListUse::Index)
                callee += "[" + (n.constIndex ? std::to_string(*n.constIndex) : ref(n.indexInput)) + "]";
            if (n.listUse == ListUse::Chain) {
                const std::string item = fresh("layer");
                emit("        " + target + " = " + args.at(0));
                emit("        for " + item + " in " + callee + ":");
                for (const std::string& l : callLines(target + " = ", item, {target}, "            ", "")) emit(l);
            } else {
                for (const std::string& l : callLines(target + " = ", callee, args, "        ", "")) emit(l);
            }
        } else if (n.op == "add") {
            std::string sum;
            for (size_t i = 0; i < args.size(); ++i) sum += (i ? " + " : "") + args[i];
            std::string line = "        " + target + " = " + sum;
            if (line.size() <= kMaxLine) {
                emit(line);
            } else {
                emit("        " + target + " = (");
                for (size_t i = 0; i < args.size(); ++i) emit("            " + std::string(i ? "+ " : "") + args[i]);
                emit("        )");
            }
        } else if (n.op == "concat") {
            const Index dim = n.args.contains("dim") ? n.args["dim"].get<Index>() : 1;
            std::string list = "[";
            for (size_t i = 0; i < args.size(); ++i) list += (i ? ", " : "") + args[i];
            list += "]";
            for (const std::string& l : callLines(target + " = ", "torch.cat", {list, "dim=" + std::to_string(dim)},
                                                  "        ", ""))
                emit(l);
        } else if (n.op == "flatten") {
            const Index start = n.args.contains("start_dim") ? n.args["start_dim"].get<Index>() : 1;
            const Index end = n.args.contains("end_dim") ? n.args["end_dim"].get<Index>() : -1;
            std::vector<std::string> a{args.at(0), std::to_string(start)};
            if (end != -1) a.push_back(std::to_string(end));
            for (const std::string& l : callLines(target + " = ", "torch.flatten", a, "        ", "")) emit(l);
        } else if (n.op == "relu") {
            for (const std::string& l : callLines(target + " = ", "torch.relu", args, "        ", "")) emit(l);
        } else {
            throw Error(where + ": op '" + n.op + "' has no PyTorch form; it cannot be exported");
        }
        span(def.name, "", n.id, first);
    }
    std::vector<std::string> results;
    for (const BlockOutput& o : def.outputs) results.push_back(ref(o.from));
    std::string ret = "        return ";
    for (size_t i = 0; i < results.size(); ++i) ret += (i ? ", " : "") + results[i];
    if (results.empty()) ret += "None";
    emit(ret);
}

void Exporter::writeClass(const BlockDef& def) {
    checkName(def.name, "block");
    if (isModuleAttribute(def.name) || def.name == "nn" || def.name == "torch")
        throw Error("block '" + def.name + "': the name clashes with PyTorch's; rename it");
    emit("");
    emit("");
    emit("class " + def.name + "(nn.Module):");
    if (!def.doc.empty()) {
        std::vector<std::string> lines = wrap("\"\"\"" + def.doc + "\"\"\"", "    ");
        for (std::string& l : lines) emit(std::move(l));
        emit("");
    }
    writeInit(def);
    writeForward(def);
}

// The reader the generated file carries: standard library and torch only.
const char* kReader = R"PY(_DTYPES = {
    'F64': torch.float64, 'F32': torch.float32, 'F16': torch.float16,
    'BF16': torch.bfloat16, 'I64': torch.int64, 'I32': torch.int32,
    'I16': torch.int16, 'I8': torch.int8, 'U8': torch.uint8,
    'BOOL': torch.bool,
}


def read_safetensors(path):
    """Return the tensors of a safetensors file as {name: tensor}."""
    with open(path, 'rb') as f:
        data = bytearray(f.read())
    (header_size,) = struct.unpack('<Q', data[:8])
    header = json.loads(data[8:8 + header_size])
    header.pop('__metadata__', None)
    start = 8 + header_size
    tensors = {}
    for name, entry in header.items():
        begin, end = entry['data_offsets']
        dtype = _DTYPES[entry['dtype']]
        shape = entry['shape']
        if begin == end:
            tensors[name] = torch.empty(shape, dtype=dtype)
            continue
        size = torch.empty(0, dtype=dtype).element_size()  # 1.13: no itemsize
        flat = torch.frombuffer(data, dtype=dtype, offset=start + begin,
                                count=(end - begin) // size)
        tensors[name] = flat.reshape(shape).clone()
    return tensors


def load_safetensors(model, path):
    """Load a safetensors file into model, as load_state_dict(strict=True).

    Every missing, unexpected and mis-shaped name is reported together.
    A module registered under two names needs its tensors under one.
    """
    tensors = read_safetensors(path)
    expected = model.state_dict(keep_vars=True)
    # Names of one tensor (a shared module) count as one.
    groups = {}
    for name, tensor in expected.items():
        groups.setdefault(id(tensor), []).append(name)
    state, missing, mis_shaped = {}, [], []
    for names in groups.values():
        present = [n for n in names if n in tensors]
        if not present:
            missing.append(names[0])
            continue
        want = list(expected[names[0]].shape)
        for n in present:
            if list(tensors[n].shape) != want:
                got = list(tensors[n].shape)
                mis_shaped.append(f'{n}: {got} in the file, {want} here')
        for n in names:
            state[n] = tensors[present[0]]
    unexpected = [n for n in tensors if n not in expected]
    problems = []
    if missing:
        problems.append('missing: ' + ', '.join(missing))
    if unexpected:
        problems.append('unexpected: ' + ', '.join(unexpected))
    if mis_shaped:
        problems.append('mis-shaped: ' + '; '.join(mis_shaped))
    if problems:
        raise ValueError(f'{path}: ' + '. '.join(problems))
    model.load_state_dict(state)


def write_safetensors(path, tensors):
    """Write {name: tensor} as a safetensors file (replaced at once)."""
    names = {dtype: name for name, dtype in _DTYPES.items()}
    header, chunks, offset = {}, [], 0
    for name, tensor in tensors.items():
        tensor = tensor.detach().cpu().contiguous()
        data = tensor.numpy().tobytes()
        header[name] = {'dtype': names[tensor.dtype],
                        'shape': list(tensor.shape),
                        'data_offsets': [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b' ' * (-len(text) % 8)  # the data stays 8-byte aligned
    with open(path + '.tmp', 'wb') as f:
        f.write(struct.pack('<Q', len(text)) + text + b''.join(chunks))
    os.replace(path + '.tmp', path)


def save_safetensors(model, path):
    """Save model's weights for ModuleLab: each tensor once, under its
    first name (a module registered twice is stored once)."""
    tensors, seen = {}, set()
    for name, tensor in model.state_dict(keep_vars=True).items():
        if id(tensor) not in seen:
            seen.add(id(tensor))
            tensors[name] = tensor
    write_safetensors(path, tensors)
)PY";

PyTorchCode Exporter::run(const std::string& sourceName) {
    const BlockDef* top = m_doc.findDefinition(m_doc.model);
    if (!top) throw Error("the model names no block definition '" + m_doc.model + "'");
    std::vector<const BlockDef*> defs;
    std::set<std::string> seen;
    order(*top, defs, seen);
    emit("\"\"\"" + m_doc.model + " in PyTorch, exported from " + sourceName + " by ModuleLab " +
         moduleLabVersion() + ".");
    if (m_lines.back().size() > kMaxLine) {
        m_lines.back() = "\"\"\"" + m_doc.model + " in PyTorch, exported by ModuleLab " + moduleLabVersion() + ".";
        emit("");
        emit("Source: " + sourceName);
    }
    emit("");
    emit("state_dict() keys equal ModuleLab's; load_safetensors(model, path) loads");
    emit("weights ModuleLab saved, save_safetensors(model, path) writes them for it.");
    emit("\"\"\"");
    emit("");
    emit("import json");
    emit("import os");
    emit("import struct");
    emit("");
    emit("import torch");
    emit("from torch import nn");
    emit("");
    std::istringstream reader(kReader);
    for (std::string l; std::getline(reader, l);) emit(l);
    for (const BlockDef* d : defs) writeClass(*d);
    std::string text;
    for (const std::string& l : m_lines) text += l + "\n";
    return {text, m_spans};
}

} // namespace

std::string pytorchLayerClass(const std::string& layerType) {
    const LayerType* l = findLayerType(layerType);
    return l ? l->pyClass : "";
}

bool pytorchOpSupported(const std::string& op) {
    return op == "add" || op == "concat" || op == "flatten" || op == "relu";
}

PyTorchCode exportPyTorch(const ModelDocument& doc, const Analysis& analysis, const std::string& sourceName) {
    if (!analysis.ok()) {
        std::string first;
        for (const Diagnostic& d : analysis.diagnostics)
            if (d.isError()) {
                first = d.toString();
                break;
            }
        throw Error(sourceName + ": the model has errors and cannot be exported; first: " + first);
    }
    return Exporter(doc, analysis).run(sourceName);
}

} // namespace ml::io
