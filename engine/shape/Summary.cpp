#include "shape/Summary.h"

#include "core/Format.h"

#include <cstdio>
#include <functional>
#include <map>
#include <set>

namespace ml {

namespace {

Index numel(const std::vector<Index>& shape) {
    Index n = 1;
    for (Index d : shape) n *= d;
    return n;
}

std::string outputShape(const ModuleInstance& m) {
    if (m.kind == ModuleKind::ModuleList) return "(no forward)";
    if (m.callCount == 0) return "(not called)";
    if (m.outputTypes.empty()) return "?";
    std::string s;
    for (size_t i = 0; i < m.outputTypes.size(); ++i) s += (i ? ", " : "") + typeToString(m.outputTypes[i]);
    return s;
}

// Instances registered under more than one name, with those names.
std::map<InstanceId, std::vector<std::string>> registeredNames(const ModuleTree& tree) {
    std::map<InstanceId, std::vector<std::string>> names;
    if (tree.instances.empty()) return names; // no model (e.g. "model" names no definition)
    std::function<void(InstanceId, const std::string&)> walk = [&](InstanceId id, const std::string& path) {
        auto& list = names[id];
        list.push_back(path);
        if (list.size() > 1) return; // its subtree was walked under the first name
        for (const ChildRef& c : tree.at(id).children) walk(c.id, path.empty() ? c.name : path + "." + c.name);
    };
    walk(0, "");
    return names;
}

} // namespace

std::string moduleRepr(const ModuleInstance& m) {
    const std::string& t = m.type;
    if (m.kind != ModuleKind::Layer) return t;
    const LayerType* type = findLayerType(t);
    if (!type) return t + "()";
    // An argument that failed its check (diagnosed) is absent: show nothing rather than read it.
    for (const ArgSpec& spec : type->args)
        if (!spec.inferable && !m.args.contains(spec.name)) return t + "(invalid arguments)";
    return type->repr(m.args);
}

std::vector<SharedModule> sharedModules(const ModuleTree& tree) {
    std::vector<SharedModule> out;
    if (tree.instances.empty()) return out;
    const auto names = registeredNames(tree);
    std::set<InstanceId> visited;
    std::function<void(InstanceId)> walk = [&](InstanceId id) {
        if (!visited.insert(id).second) return;
        const ModuleInstance& m = tree.at(id);
        const bool shared = m.callCount > 1 || names.at(id).size() > 1;
        if (shared && id != 0) {
            std::vector<StateEntry> params = tree.namedParametersOf(id);
            if (!params.empty()) {
                for (StateEntry& p : params) p.name = names.at(id).front() + "." + p.name;
                out.push_back({id, names.at(id), m.callSites, params});
            }
            return;
        }
        for (const ChildRef& c : m.children) walk(c.id);
    };
    walk(0);
    return out;
}

std::string summaryText(const ModelDocument& doc, const Analysis& analysis) {
    const ModuleTree& tree = analysis.tree;
    struct Line {
        std::string text, shape, params;
    };
    std::vector<Line> lines;
    const auto names = registeredNames(tree);
    std::function<void(InstanceId, const std::string&, const std::string&, int)> print =
        [&](InstanceId id, const std::string& name, const std::string& path, int depth) {
            const ModuleInstance& m = tree.at(id);
            const std::string indent(static_cast<size_t>(depth) * 2, ' ');
            const std::string prefix = indent + (name.empty() ? "" : "(" + name + "): ");
            const auto& all = names.at(id);
            const bool alias = !all.empty() && all.front() != path;
            const std::string shape = alias ? "" : outputShape(m);
            const std::string params = alias ? "" : withThousands(tree.parameterCount(id));
            if (alias) {
                lines.push_back({prefix + "(same instance as " + all.front() + ")", "", ""});
                return;
            }
            if (m.children.empty() || m.kind == ModuleKind::Layer) {
                lines.push_back({prefix + (id == 0 ? doc.model + "()" : moduleRepr(m)), shape, params});
                return;
            }
            lines.push_back({prefix + (id == 0 ? doc.model : m.type) + "(", shape, params});
            for (const ChildRef& c : m.children)
                print(c.id, c.name, path.empty() ? c.name : path + "." + c.name, depth + 1);
            lines.push_back({indent + ")", "", ""});
        };
    if (!tree.instances.empty()) print(0, "", "", 0);
    size_t width = 0, shapeWidth = 5;
    for (const Line& l : lines) {
        width = std::max(width, l.text.size());
        shapeWidth = std::max(shapeWidth, l.shape.size());
    }
    std::string out;
    char header[256];
    std::snprintf(header, sizeof header, "%-*s  %-*s  %s\n", static_cast<int>(width), "Module",
                  static_cast<int>(shapeWidth), "Output", "Parameters");
    out += header;
    for (const Line& l : lines) {
        std::string row = l.text;
        if (!l.shape.empty() || !l.params.empty()) {
            row.resize(width, ' ');
            std::string shape = l.shape;
            shape.resize(shapeWidth, ' ');
            row += "  " + shape + "  " + l.params;
        }
        while (!row.empty() && row.back() == ' ') row.pop_back();
        out += row + "\n";
    }
    out += "\nInputs:  ";
    const BlockDef* top = doc.findDefinition(doc.model);
    for (size_t i = 0; top && i < top->inputs.size() && i < analysis.inputTypes.size(); ++i)
        out += (i ? ", " : "") + top->inputs[i].name + " " + typeToString(analysis.inputTypes[i]);
    out += "\nOutputs: ";
    for (size_t i = 0; top && i < top->outputs.size() && i < analysis.outputTypes.size(); ++i)
        out += (i ? ", " : "") + top->outputs[i].name + " " + typeToString(analysis.outputTypes[i]);
    out += "\n\nParameters: " + withThousands(tree.uniqueParameterCount()) + " unique (what trains), " +
           withThousands(tree.naiveParameterCount()) + " naive (counting a shared layer at every use)\n";
    Index buffers = 0;
    for (const StateEntry& e : tree.stateDict())
        if (e.isBuffer && e.aliasOf.empty()) buffers += numel(e.shape);
    if (buffers) out += "Buffers:    " + withThousands(buffers) + " (running statistics; not trained)\n";
    const std::vector<SharedModule> shared = sharedModules(tree);
    if (shared.empty()) {
        out += "Shared parameters: none\n";
    } else {
        out += "Shared parameters (each trains once, with the gradients of every use summed):\n";
        for (const SharedModule& s : shared) {
            const ModuleInstance& m = tree.at(s.id);
            out += "  " + s.names.front() + " (" + m.type + ", " + withThousands(tree.parameterCount(s.id)) +
                   " parameters)";
            if (s.names.size() > 1) {
                out += " registered as";
                for (size_t i = 0; i < s.names.size(); ++i) out += (i ? ", " : " ") + s.names[i];
            }
            out += "\n    used at: ";
            for (size_t i = 0; i < s.callSites.size(); ++i) out += (i ? "; " : "") + s.callSites[i];
            out += "\n    parameters:";
            for (const StateEntry& p : s.parameters) out += " " + p.name + " " + shapeToString(p.shape);
            out += "\n";
        }
    }
    if (!analysis.diagnostics.empty()) {
        out += "\nDiagnostics:\n";
        for (const Diagnostic& d : analysis.diagnostics) out += "  " + d.toString() + "\n";
    }
    return out;
}

Json summaryJson(const ModelDocument& doc, const Analysis& analysis) {
    const ModuleTree& tree = analysis.tree;
    Json j = Json::object();
    j["model"] = doc.model;
    j["valid"] = analysis.ok();
    const BlockDef* top = doc.findDefinition(doc.model);
    auto ports = [&](bool inputs) {
        Json list = Json::array();
        const auto& types = inputs ? analysis.inputTypes : analysis.outputTypes;
        for (size_t i = 0; top && i < types.size(); ++i) {
            const TensorType& t = types[i];
            Json p = Json::object();
            p["name"] = inputs ? top->inputs[i].name : top->outputs[i].name;
            p["dtype"] = dtypeName(t.dtype);
            p["shape"] = typeToString(t);
            list.push_back(p);
        }
        return list;
    };
    j["inputs"] = ports(true);
    j["outputs"] = ports(false);
    Json modules = Json::array();
    const auto names = registeredNames(tree);
    std::function<void(InstanceId, const std::string&)> walk = [&](InstanceId id, const std::string& path) {
        const ModuleInstance& m = tree.at(id);
        Json e = Json::object();
        e["path"] = path;
        e["type"] = m.type;
        e["kind"] = moduleKindName(m.kind);
        if (names.at(id).front() != path) {
            e["same_as"] = names.at(id).front();
            modules.push_back(e);
            return;
        }
        if (m.kind == ModuleKind::Layer) e["repr"] = moduleRepr(m);
        e["output_shape"] = outputShape(m);
        e["parameters"] = tree.parameterCount(id);
        e["calls"] = m.callCount;
        modules.push_back(e);
        for (const ChildRef& c : m.children) walk(c.id, path.empty() ? c.name : path + "." + c.name);
    };
    if (!tree.instances.empty()) walk(0, "");
    j["modules"] = modules;
    Json state = Json::array();
    for (const StateEntry& e : tree.stateDict()) {
        Json s = Json::object();
        s["name"] = e.name;
        s["kind"] = e.isBuffer ? "buffer" : "parameter";
        s["dtype"] = dtypeName(e.dtype);
        s["shape"] = e.shape;
        s["numel"] = numel(e.shape);
        if (!e.aliasOf.empty()) s["same_as"] = e.aliasOf;
        state.push_back(s);
    }
    j["state_dict"] = state;
    Json params = Json::array();
    for (const StateEntry& e : tree.namedParameters()) params.push_back(e.name);
    j["named_parameters"] = params;
    j["parameters"] = {{"unique", tree.uniqueParameterCount()}, {"naive", tree.naiveParameterCount()}};
    Json shared = Json::array();
    for (const SharedModule& s : sharedModules(tree)) {
        Json e = Json::object();
        e["module"] = s.names.front();
        e["names"] = s.names;
        e["used_at"] = s.callSites;
        Json p = Json::array();
        for (const StateEntry& x : s.parameters) p.push_back(x.name);
        e["parameters"] = p;
        e["parameter_count"] = tree.parameterCount(s.id);
        shared.push_back(e);
    }
    j["shared"] = shared;
    Json diags = Json::array();
    for (const Diagnostic& d : analysis.diagnostics) {
        Json e = Json::object();
        e["severity"] = d.isError() ? "error" : "warning";
        e["code"] = d.code;
        e["path"] = d.path;
        e["where"] = d.where;
        e["message"] = d.message;
        e["fix"] = d.fix;
        e["pointer"] = d.pointer;
        diags.push_back(e);
    }
    j["diagnostics"] = diags;
    return j;
}

} // namespace ml
