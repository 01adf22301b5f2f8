#include "shape/Analysis.h"

#include "core/Format.h"

#include "shape/LayerShapes.h"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <set>

namespace ml {

namespace {

constexpr Index kMaxSize = 2147483647; // any single size argument or dimension

std::string str(Index v) { return std::to_string(v); }

size_t editDistance(const std::string& a, const std::string& b) {
    std::vector<size_t> row(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= b.size(); ++j) {
            const size_t up = row[j];
            const bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                              std::tolower(static_cast<unsigned char>(b[j - 1]));
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (same ? 0 : 1)});
            diag = up;
        }
    }
    return row[b.size()];
}

// " (did you mean 'Linear'?)" when a candidate is close, else "".
std::string didYouMean(const std::string& word, const std::vector<std::string>& candidates) {
    std::string best;
    // Within a third of the word (at least 2 edits), and never every letter ('h' is not a typo of 'x').
    size_t bestDistance = std::min(std::max<size_t>(2, word.size() / 3) + 1, word.size());
    for (const std::string& c : candidates) {
        const size_t d = editDistance(word, c);
        if (d < bestDistance) {
            bestDistance = d;
            best = c;
        }
    }
    return best.empty() ? "" : " (did you mean '" + best + "'?)";
}

std::string quoteList(const std::vector<std::string>& names) {
    std::string s;
    for (size_t i = 0; i < names.size(); ++i) s += (i ? ", " : "") + names[i];
    return s;
}

bool checkedMul(Index a, Index b, Index& out) { return !__builtin_mul_overflow(a, b, &out); }

using Source = GraphSource;

// A source that could not be resolved (not connected, or names nothing):
// what reads it is unknown, the rest of the graph still runs.
constexpr int kUnresolved = -2;

// Per-definition results of the graph checks, shared by all its instances;
// the well-formed ones are published as Analysis::graphs. A broken graph
// still runs for shapes: its broken nodes (and what depends on them) are
// unknown, so one problem does not blank the whole model.
struct GraphInfo : BlockGraph {
    bool usable = false;       // well formed: every node and reference resolved, acyclic
    std::vector<bool> broken;  // per node: its own structure is wrong, so it is not run
};

struct CallSite {
    std::string path;        // caller's display path
    std::string where;       // "node 'h'"
    std::string definition;  // caller's block definition
    std::string node;        // node id
};

class Analyzer {
public:
    Analyzer(const ModelDocument& doc, const AnalysisOptions& options, Analysis& out)
        : m_doc(doc), m_options(options), m_out(out) {}

    void run();

private:
    const ModelDocument& m_doc;
    const AnalysisOptions& m_options;
    Analysis& m_out;
    std::vector<std::string> m_definitionStack;
    std::map<const BlockDef*, GraphInfo> m_graphs;
    Index m_parameterTotal = 0;
    bool m_capReported = false;
    bool m_graphBroken = false; // some block's graph could not run: "never called" would mislead
    std::set<std::string> m_reported;  // diagnostics already listed (a shared instance reports once)
    bool m_lastListed = false;         // the last report was new (not a repeat)
    Index m_calls = 0;
    bool m_budgetReported = false;
    std::string m_runtimeIndex;        // set while inferring the items of a runtime-indexed call

    ModuleInstance& inst(InstanceId id) { return m_out.tree.at(id); }
    std::string displayPath(InstanceId id) {
        const std::string& p = inst(id).path;
        return p.empty() ? m_doc.model : p;
    }

    void report(Severity severity, std::string code, std::string path, std::string where, std::string message,
                std::string fix = {}, std::string definition = {}, std::string node = {}, std::string pointer = {}) {
        Diagnostic d{severity, std::move(code), std::move(path), std::move(where), std::move(message),
                     std::move(fix), std::move(definition), std::move(node), std::move(pointer), {}};
        m_lastListed = m_reported.insert(d.toString()).second;
        if (m_lastListed) m_out.diagnostics.push_back(std::move(d));
    }
    // The fix of the diagnostic just reported, in the editor's words (see Diagnostic::editorFix).
    void inEditor(std::string fix) {
        if (m_lastListed) m_out.diagnostics.back().editorFix = std::move(fix);
    }
    void error(std::string code, std::string path, std::string where, std::string message, std::string fix = {},
               std::string definition = {}, std::string node = {}, std::string pointer = {}) {
        report(Severity::Error, std::move(code), std::move(path), std::move(where), std::move(message),
               std::move(fix), std::move(definition), std::move(node), std::move(pointer));
    }

    // Nested blocks multiply instances, shared ones multiply calls: both are
    // capped so that no file can make analysis run out of time or memory.
    bool overBudget(const std::string& path, bool calls) {
        const bool over = calls ? m_calls > m_options.maxCalls
                                : static_cast<Index>(m_out.tree.instances.size()) >= m_options.maxInstances;
        if (over && !m_budgetReported) {
            m_budgetReported = true;
            error("too-large", path.empty() ? m_doc.model : path, "",
                  calls ? "the forward pass would call modules more than " + withThousands(m_options.maxCalls) +
                              " times (blocks that call shared blocks multiply their calls)."
                        : "the model would have more than " + withThousands(m_options.maxInstances) +
                              " module instances (nested blocks multiply them).",
                  "use fewer levels of nesting.");
        }
        return over;
    }

    // Values per sample of an inferred tensor, checked against the cap.
    bool checkSize(const TensorType& t, const std::string& path, const std::string& where) {
        if (!t.known) return true;
        Index elements = 1;
        bool overflow = false;
        for (Index d : t.dims)
            if (d != kBatch) overflow |= __builtin_mul_overflow(elements, d, &elements);
        if (!overflow && elements <= m_options.maxActivationElements) return true;
        error("too-large", path, where,
              "its output " + typeToString(t) + " would hold more than " +
                  withThousands(m_options.maxActivationElements) + " values per sample (the limit).",
              "use smaller sizes.");
        return false;
    }

    InstanceId newInstance(ModuleKind kind, std::string type, std::string path, const ModuleSpec* spec) {
        ModuleInstance m;
        m.id = static_cast<InstanceId>(m_out.tree.instances.size());
        m.kind = kind;
        m.type = std::move(type);
        m.path = std::move(path);
        m.spec = spec;
        m_out.tree.instances.push_back(std::move(m));
        return m_out.tree.instances.back().id;
    }

    // --- instantiation -----------------------------------------------------
    InstanceId instantiate(const ModuleSpec& spec, const std::string& path, const Json& blockArgs,
                           const std::string& enclosing, int depth);
    InstanceId instantiateBlock(const BlockDef& def, const Json& args, const std::string& path,
                                const ModuleSpec* spec, int depth);
    Json resolveLayerArgs(const LayerType& type, const ModuleSpec& spec, const Json& blockArgs,
                          const std::string& path, const std::string& enclosing, bool& complete);
    bool checkArgValue(const ArgSpec& a, Json& value, const std::string& path, const std::string& pointer,
                       const std::string& typeName);

    // --- graph checks ------------------------------------------------------
    const GraphInfo& graphOf(const BlockDef& def, const std::string& path);
    int outputCountOfChild(const BlockDef& def, const std::string& child);

    // --- inference ---------------------------------------------------------
    std::vector<TensorType> callInstance(InstanceId id, const std::vector<TensorType>& inputs, const CallSite& site);
    std::vector<TensorType> runBlock(InstanceId id, const std::vector<TensorType>& inputs);
    TensorType callLayer(InstanceId id, const TensorType& input, const CallSite& site);
    TensorType perChoice(const std::vector<TensorType>& inputs, const std::string& path, const std::string& where,
                         const std::function<TensorType(const std::vector<TensorType>&)>& fn);
    void setLayerTensors(InstanceId id);
    void finish();
};

bool isValidNameImpl(const std::string& name) {
    if (name.empty() || !(std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_')) return false;
    for (char c : name)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
    return true;
}

std::string nameProblem(const std::string& name) {
    if (name.empty()) return "the name is empty";
    if (name.find('.') != std::string::npos)
        return "the name '" + name + "' contains a dot; PyTorch rejects module names with dots, since state_dict "
               "keys use dots as separators";
    return "the name '" + name + "' is not an identifier (letters, digits and _, not starting with a digit)";
}

void Analyzer::run() {
    const BlockDef* top = m_doc.findDefinition(m_doc.model);
    std::vector<std::string> names;
    for (const BlockDef& d : m_doc.definitions) names.push_back(d.name);
    for (const BlockDef& d : m_doc.definitions) {
        if (!isValidNameImpl(d.name))
            error("bad-name", d.name, "definition", nameProblem(d.name) + ".", "rename the definition.", d.name, {},
                  d.pointer);
        else if (findLayerType(d.name) || isContainerType(d.name))
            error("bad-name", d.name, "definition", "'" + d.name + "' is a built-in layer type.",
                  "give the block another name.", d.name, {}, d.pointer);
    }
    if (!top) {
        error("unknown-model", m_doc.model, "", "the model '" + m_doc.model + "' is not among the definitions (" +
                                                    quoteList(names) + ")" + didYouMean(m_doc.model, names) + ".",
              "", {}, {}, "/model");
        return;
    }
    instantiateBlock(*top, Json::object(), "", nullptr, 0);
    const ModuleInstance& root = inst(0);
    std::vector<TensorType> inputs;
    for (const BlockInput& in : top->inputs) {
        if (in.dtype == DType::Int64) {
            inputs.push_back(TensorType::of({}, DType::Int64));
            continue;
        }
        if (!in.shape) {
            error("missing-shape", m_doc.model, "input '" + in.name + "'",
                  "the model's input '" + in.name + "' has no shape.", "fill in its per-sample shape (the input's Shape field in the editor, \"shape\" in the file), e.g. 10 or [3, 32, 32].",
                  top->name, {}, top->pointer + "/inputs");
            inEditor("select the input '" + in.name + "' and fill in its Shape in the inspector (per sample, e.g. 10 or "
                     "3, 32, 32).");
            inputs.push_back(TensorType::unknown());
            continue;
        }
        std::vector<Index> dims{kBatch};
        dims.insert(dims.end(), in.shape->begin(), in.shape->end());
        inputs.push_back(TensorType::of(dims));
    }
    if (root.kind == ModuleKind::Block) {
        CallSite site{m_doc.model, "forward", top->name, {}};
        m_out.inputTypes = inputs;
        m_out.outputTypes = callInstance(0, inputs, site);
    }
    for (const auto& [def, g] : m_graphs)
        if (g.usable) m_out.graphs.emplace(def, static_cast<const BlockGraph&>(g));
    finish();
}

// --- instantiation ---------------------------------------------------------

InstanceId Analyzer::instantiateBlock(const BlockDef& def, const Json& args, const std::string& path,
                                      const ModuleSpec* spec, int depth) {
    const InstanceId id = newInstance(ModuleKind::Block, def.name, path, spec);
    inst(id).block = &def;
    inst(id).args = args;
    inst(id).argsComplete = true;
    if (std::find(m_definitionStack.begin(), m_definitionStack.end(), def.name) != m_definitionStack.end()) {
        std::string chain;
        for (const std::string& s : m_definitionStack) chain += s + " -> ";
        error("recursion", path.empty() ? m_doc.model : path, "",
              "block '" + def.name + "' contains itself: " + chain + def.name + ".",
              "a block cannot contain an instance of itself; use another definition.", def.name, {},
              spec ? spec->pointer : def.pointer);
        inst(id).block = nullptr; // not run: it would never end
        return id;
    }
    m_definitionStack.push_back(def.name);
    for (const NamedSpec& c : def.children)
        if (!isValidNameImpl(c.name))
            error("bad-name", displayPath(id), "child '" + c.name + "'", nameProblem(c.name) + ".", "rename it.",
                  def.name, c.name, c.spec.pointer);
    std::vector<ChildRef> registered;
    for (const NamedSpec& c : def.children) {
        const std::string childPath = path.empty() ? c.name : path + "." + c.name;
        if (!c.spec.sameAs.empty()) {
            auto it = std::find_if(registered.begin(), registered.end(),
                                   [&](const ChildRef& r) { return r.name == c.spec.sameAs; });
            if (it == registered.end()) {
                error("unknown-child", displayPath(id), "child '" + c.name + "'",
                      "same_as refers to '" + c.spec.sameAs + "', which is not a child registered before it.",
                      "name an earlier child of " + def.name + ".", def.name, c.name, c.spec.pointer + "/same_as");
                continue;
            }
            registered.push_back({c.name, it->id});
            continue;
        }
        registered.push_back({c.name, instantiate(c.spec, childPath, args, def.name, depth + 1)});
    }
    inst(id).children = registered;
    m_definitionStack.pop_back();
    return id;
}

InstanceId Analyzer::instantiate(const ModuleSpec& spec, const std::string& path, const Json& blockArgs,
                                 const std::string& enclosing, int depth) {
    if (overBudget(path, false)) return newInstance(ModuleKind::Sequential, "Sequential", path, &spec);
    if (depth > m_options.maxNesting) {
        error("too-deep", path, "", "modules are nested more than " + str(m_options.maxNesting) + " levels deep.",
              "flatten the structure.", enclosing, {}, spec.pointer);
        return newInstance(ModuleKind::Sequential, "Sequential", path, &spec);
    }
    if (spec.isContainer()) {
        const ModuleKind kind = spec.type == "Sequential" ? ModuleKind::Sequential : ModuleKind::ModuleList;
        const InstanceId id = newInstance(kind, spec.type, path, &spec);
        inst(id).argsComplete = true;
        std::vector<ChildRef> items;
        for (size_t i = 0; i < spec.items.size(); ++i) {
            const ModuleSpec& item = spec.items[i];
            const std::string name = std::to_string(i);
            if (!item.sameAs.empty()) {
                auto it = std::find_if(items.begin(), items.end(),
                                       [&](const ChildRef& r) { return r.name == item.sameAs; });
                if (it == items.end()) {
                    error("unknown-child", path, "item " + name,
                          "same_as refers to '" + item.sameAs + "', which is not an earlier item of this " +
                              spec.type + ".",
                          "use the index of an earlier item, e.g. \"0\".", enclosing, {}, item.pointer + "/same_as");
                    continue;
                }
                items.push_back({name, it->id});
                continue;
            }
            items.push_back({name, instantiate(item, path + "." + name, blockArgs, enclosing, depth + 1)});
        }
        inst(id).children = items;
        return id;
    }
    if (const LayerType* type = findLayerType(spec.type)) {
        const InstanceId id = newInstance(ModuleKind::Layer, spec.type, path, &spec);
        bool complete = true;
        Json args = resolveLayerArgs(*type, spec, blockArgs, path, enclosing, complete);
        inst(id).args = std::move(args);
        inst(id).argsComplete = complete;
        if (complete) setLayerTensors(id);
        return id;
    }
    if (const BlockDef* def = m_doc.findDefinition(spec.type)) {
        // Block arguments: literals, or "$name" forwarding the enclosing block's.
        Json args = Json::object();
        for (auto it = spec.args.begin(); it != spec.args.end(); ++it) {
            const bool known = std::any_of(def->parameters.begin(), def->parameters.end(),
                                           [&](const BlockParameter& p) { return p.name == it.key(); });
            if (!known) {
                std::vector<std::string> names;
                for (const BlockParameter& p : def->parameters) names.push_back(p.name);
                error("unknown-argument", path, "argument '" + it.key() + "'",
                      def->name + " has no argument '" + it.key() + "'" + didYouMean(it.key(), names) +
                          "; its arguments are: " + (names.empty() ? "none" : quoteList(names)) + ".",
                      "", enclosing, {}, spec.pointer + "/args/" + it.key());
            }
        }
        for (const BlockParameter& p : def->parameters) {
            Json value = spec.args.contains(p.name) ? spec.args[p.name] : p.defaultValue;
            if (value.is_string() && value.get<std::string>().starts_with("$")) {
                const std::string ref = value.get<std::string>().substr(1);
                if (!blockArgs.contains(ref))
                    error("unknown-argument", path, "argument '" + p.name + "'",
                          "refers to '$" + ref + "', but " + enclosing + " has no argument '" + ref + "'.",
                          "declare it in " + enclosing + "'s parameters.", enclosing, {},
                          spec.pointer + "/args/" + p.name);
                value = blockArgs.contains(ref) ? blockArgs[ref] : Json();
            }
            args[p.name] = value;
        }
        return instantiateBlock(*def, args, path, &spec, depth);
    }
    std::vector<std::string> names{"Sequential", "ModuleList"};
    for (const LayerType& t : layerTypes()) names.push_back(t.name);
    for (const BlockDef& d : m_doc.definitions) names.push_back(d.name);
    error("unknown-type", path, "", "unknown layer type '" + spec.type + "'" + didYouMean(spec.type, names) + ".",
          "use a built-in layer (Linear, Conv2d, ...), Sequential, ModuleList or a block defined in this file.",
          enclosing, {}, spec.pointer + "/type");
    return newInstance(ModuleKind::Layer, spec.type, path, &spec);
}

bool Analyzer::checkArgValue(const ArgSpec& a, Json& v, const std::string& path, const std::string& pointer,
                             const std::string& typeName) {
    const std::string where = "argument '" + a.name + "'";
    auto bad = [&](const std::string& what) {
        error("bad-argument", path, where, typeName + " " + a.name + " " + what + ", got " + v.dump() + ".", "", {},
              {}, pointer);
        return false;
    };
    auto checkInt = [&](const Json& x) {
        if (!x.is_number_integer()) return false;
        if (x.is_number_unsigned() && x.get<std::uint64_t>() > std::uint64_t(kMaxSize)) return false; // no wrap to < 0
        const Index n = x.get<Index>();
        if (a.positive && n <= 0) return false;
        if (!a.positive && !a.allowNegative && n < 0) return false;
        return n <= kMaxSize && n >= -kMaxSize;
    };
    const std::string intWord = a.positive ? "a positive integer" : (a.allowNegative ? "an integer" : "a non-negative integer");
    switch (a.kind) {
    case ArgKind::Int:
        if (!checkInt(v)) return bad("must be " + intWord + " (at most " + str(kMaxSize) + ")");
        return true;
    case ArgKind::OptionalIntPair:
        if (v.is_null()) return true;
        [[fallthrough]];
    case ArgKind::IntPair:
        if (v.is_array()) {
            if (v.size() != 2 || !checkInt(v[0]) || !checkInt(v[1]))
                return bad("must be " + intWord + " or a pair [h, w] of them");
            return true;
        }
        if (!checkInt(v)) return bad("must be " + intWord + " or a pair [h, w] of them");
        return true;
    case ArgKind::Float: {
        if (!v.is_number()) return bad("must be a number");
        const double x = v.get<double>();
        if (a.name == "p" && !(x >= 0.0 && x <= 1.0)) return bad("must be a probability between 0 and 1");
        if (a.name == "eps" && !(x > 0.0)) return bad("must be positive");
        if (a.name == "momentum" && !(x >= 0.0 && x <= 1.0)) return bad("must be between 0 and 1");
        return true;
    }
    case ArgKind::Bool:
        if (!v.is_boolean()) return bad("must be true or false");
        return true;
    case ArgKind::String:
        if (!v.is_string() || std::find(a.choices.begin(), a.choices.end(), v.get<std::string>()) == a.choices.end())
            return bad("must be one of: " + quoteList(a.choices));
        return true;
    case ArgKind::Shape:
        if (checkInt(v)) {
            v = Json::array({v});
            return true;
        }
        if (!v.is_array() || v.empty()) return bad("must be a positive integer or a list of them");
        for (const Json& x : v)
            if (!checkInt(x)) return bad("must be a positive integer or a list of them");
        return true;
    }
    return true;
}

Json Analyzer::resolveLayerArgs(const LayerType& type, const ModuleSpec& spec, const Json& blockArgs,
                                const std::string& path, const std::string& enclosing, bool& complete) {
    Json args = Json::object();
    std::vector<std::string> known;
    for (const ArgSpec& a : type.args) known.push_back(a.name);
    for (auto it = spec.args.begin(); it != spec.args.end(); ++it) {
        if (!type.findArg(it.key()))
            error("unknown-argument", path, "argument '" + it.key() + "'",
                  type.name + " has no argument '" + it.key() + "'" + didYouMean(it.key(), known) +
                      "; its arguments are: " + (known.empty() ? "none" : quoteList(known)) + ".",
                  "", enclosing, {}, spec.pointer + "/args/" + it.key());
    }
    complete = true;
    for (const ArgSpec& a : type.args) {
        const std::string pointer = spec.pointer + "/args/" + a.name;
        Json value = spec.args.contains(a.name) ? spec.args[a.name] : Json();
        std::string forwardedFrom;
        if (value.is_string() && value.get<std::string>().starts_with("$")) {
            forwardedFrom = value.get<std::string>().substr(1);
            if (!blockArgs.contains(forwardedFrom)) {
                error("unknown-argument", path, "argument '" + a.name + "'",
                      "refers to '$" + forwardedFrom + "', but " + enclosing + " has no argument '" + forwardedFrom +
                          "'.",
                      "declare it in " + enclosing + "'s parameters.", enclosing, {}, pointer);
                complete = false;
                continue;
            }
            value = blockArgs[forwardedFrom];
        }
        if (value.is_null() && !spec.args.contains(a.name) && !a.defaultValue.is_null()) value = a.defaultValue;
        if (value.is_null()) {
            if (a.inferable) {
                complete = false; // found from the input by shape inference
                continue;
            }
            if (a.kind == ArgKind::OptionalIntPair) {
                args[a.name] = nullptr;
                continue;
            }
            error("missing-argument", path, "argument '" + a.name + "'",
                  type.name + " needs " + a.name +
                      (forwardedFrom.empty() ? "" : " (from " + enclosing + "'s argument '" + forwardedFrom +
                                                        "', which was not given)") + ".",
                  forwardedFrom.empty() ? "give " + a.name + "." : "give " + forwardedFrom + " where " + enclosing + " is used.",
                  enclosing, {}, spec.pointer);
            complete = false;
            continue;
        }
        if (!checkArgValue(a, value, path, pointer, type.name)) {
            complete = false;
            continue;
        }
        args[a.name] = value;
    }
    return args;
}

void Analyzer::setLayerTensors(InstanceId id) {
    ModuleInstance& m = inst(id);
    std::vector<TensorSpec> tensors = layerTensors(m.type, m.args);
    Index count = 0;
    bool overflow = false;
    for (const TensorSpec& t : tensors) {
        if (t.isBuffer) continue;
        Index n = 1;
        for (Index d : t.shape) overflow |= !checkedMul(n, d, n);
        overflow |= __builtin_add_overflow(count, n, &count);
    }
    if (overflow || count > m_options.maxParameters || m_parameterTotal + count > m_options.maxParameters) {
        if (!m_capReported)
            error("too-large", displayPath(id), "",
                  m.type + " would have " + (overflow ? "more than 9,223,372,036,854,775,807" : withThousands(count)) +
                      " parameters" +
                      (overflow || count > m_options.maxParameters
                           ? ""
                           : ", bringing the model past the cap") +
                      "; the cap is " + withThousands(m_options.maxParameters) +
                      " parameters (raise it with --max-parameters).",
                  "use smaller sizes.", {}, {}, m.spec ? m.spec->pointer : std::string());
        m_capReported = true;
        m.argsComplete = false;
        return;
    }
    m_parameterTotal += count;
    m.tensors = std::move(tensors);
}

// --- graph checks ----------------------------------------------------------

int Analyzer::outputCountOfChild(const BlockDef& def, const std::string& child) {
    const NamedSpec* c = def.findChild(child);
    for (int hops = 0; c && !c->spec.sameAs.empty() && hops < 64; ++hops) c = def.findChild(c->spec.sameAs);
    if (!c) return 1;
    if (const BlockDef* b = m_doc.findDefinition(c->spec.type)) return static_cast<int>(b->outputs.size());
    return 1;
}

const GraphInfo& Analyzer::graphOf(const BlockDef& def, const std::string& path) {
    auto found = m_graphs.find(&def);
    if (found != m_graphs.end()) return found->second;
    GraphInfo& g = m_graphs[&def];
    bool ok = true;
    auto fail = [&](std::string code, std::string where, std::string message, std::string fix, std::string node,
                    std::string pointer) {
        error(std::move(code), path, std::move(where), std::move(message), std::move(fix), def.name, std::move(node),
              std::move(pointer));
        ok = false;
    };
    // Names: inputs, nodes and outputs share one namespace for references.
    std::map<std::string, int> nodeIndex;
    std::set<std::string> inputNames, outputNames;
    for (size_t i = 0; i < def.inputs.size(); ++i) {
        const std::string& n = def.inputs[i].name;
        if (!isValidNameImpl(n))
            fail("bad-name", "input '" + n + "'", nameProblem(n) + ".", "rename the input.", {},
                 def.pointer + "/inputs/" + str(Index(i)));
        else if (!inputNames.insert(n).second)
            fail("duplicate-name", "input '" + n + "'", def.name + " has two inputs named '" + n + "'.",
                 "rename one of them.", {}, def.pointer + "/inputs/" + str(Index(i)));
    }
    for (size_t i = 0; i < def.nodes.size(); ++i) {
        const Node& n = def.nodes[i];
        if (!isValidNameImpl(n.id))
            fail("bad-name", "node '" + n.id + "'", nameProblem(n.id) + ".", "rename the node.", n.id, n.pointer);
        else if (nodeIndex.count(n.id) || inputNames.count(n.id))
            fail("duplicate-name", "node '" + n.id + "'",
                 "the id '" + n.id + "' is used twice in " + def.name + " (node ids and input names must differ).",
                 "rename the node.", n.id, n.pointer);
        else
            nodeIndex[n.id] = static_cast<int>(i);
    }
    for (size_t i = 0; i < def.outputs.size(); ++i)
        if (!outputNames.insert(def.outputs[i].name).second)
            fail("doubly-driven", "output '" + def.outputs[i].name + "'",
                 def.name + " declares the output '" + def.outputs[i].name + "' twice.", "remove one of them.", {},
                 def.pointer + "/outputs/" + str(Index(i)));
    if (def.outputs.empty())
        fail("no-output", "", def.name + " has no outputs.", "add an output that names a node.", {},
             def.pointer + "/outputs");

    auto resolve = [&](const std::string& ref, Source& src, std::string& problem) {
        if (ref.empty()) {
            problem = "is not connected";
            return false;
        }
        for (size_t i = 0; i < def.inputs.size(); ++i)
            if (def.inputs[i].name == ref) {
                src = {-1, static_cast<int>(i), 0};
                return true;
            }
        std::string nodeId = ref, port;
        const size_t dot = ref.find('.');
        if (dot != std::string::npos) {
            nodeId = ref.substr(0, dot);
            port = ref.substr(dot + 1);
        }
        auto it = nodeIndex.find(nodeId);
        if (it == nodeIndex.end()) {
            std::vector<std::string> names(inputNames.begin(), inputNames.end());
            for (const auto& [k, v] : nodeIndex) names.push_back(k);
            problem = "refers to '" + ref + "', which is not an input or node of " + def.name +
                      didYouMean(nodeId, names);
            return false;
        }
        const Node& n = def.nodes[static_cast<size_t>(it->second)];
        src = {it->second, -1, 0};
        const BlockDef* callee = nullptr;
        if (n.isCall()) {
            const NamedSpec* c = def.findChild(n.call);
            for (int hops = 0; c && !c->spec.sameAs.empty() && hops < 64; ++hops) c = def.findChild(c->spec.sameAs);
            if (c) callee = m_doc.findDefinition(c->spec.type);
        }
        const int outputs = n.isCall() ? outputCountOfChild(def, n.call) : 1;
        if (port.empty()) {
            if (outputs > 1) {
                problem = "refers to '" + ref + "', which has " + str(outputs) + " outputs; name one as '" + ref +
                          "." + (callee ? callee->outputs[0].name : std::string("out")) + "'";
                return false;
            }
            return true;
        }
        if (callee)
            for (size_t o = 0; o < callee->outputs.size(); ++o)
                if (callee->outputs[o].name == port) {
                    src.output = static_cast<int>(o);
                    return true;
                }
        problem = "refers to output '" + port + "' of node '" + nodeId + "', which has no such output";
        return false;
    };

    std::set<std::string> calledChildren;
    g.inputs.resize(def.nodes.size());
    g.broken.assign(def.nodes.size(), false);
    // Checks node i and resolves its inputs; false: the node is broken (reported).
    auto checkNode = [&](size_t i) -> bool {
        const Node& n = def.nodes[i];
        const std::string where = "node '" + n.id + "'";
        int minInputs = 1, maxInputs = 1;
        if (n.isCall()) {
            calledChildren.insert(n.call);
            const NamedSpec* c = def.findChild(n.call);
            for (int hops = 0; c && !c->spec.sameAs.empty() && hops < 64; ++hops) {
                calledChildren.insert(c->spec.sameAs);
                c = def.findChild(c->spec.sameAs);
            }
            if (!c && def.findChild(n.call)) {
                ok = false; // a child whose same_as names nothing: reported where it is registered
                return false;
            }
            if (!c) {
                std::vector<std::string> names;
                for (const NamedSpec& s : def.children) names.push_back(s.name);
                fail("unknown-child", where,
                     "calls '" + n.call + "', which is not a child of " + def.name + didYouMean(n.call, names) + ".",
                     "register it under children, or call an existing child.", n.id, n.pointer + "/call");
                inEditor("delete the node, or add a layer named '" + n.call + "'.");
                return false;
            }
            // A block takes as many inputs as it declares (a list's items: as its first item does).
            const ModuleSpec* callee = &c->spec;
            if (callee->type == "ModuleList" && !callee->items.empty()) callee = &callee->items.front();
            if (const BlockDef* b = m_doc.findDefinition(callee->type))
                minInputs = maxInputs = std::max(1, static_cast<int>(b->inputs.size()));
            const bool isList = c->spec.type == "ModuleList";
            if (isList && n.listUse == ListUse::None) {
                fail("modulelist-call", where,
                     "calls '" + n.call + "', a ModuleList: a ModuleList holds modules but has no forward of its own.",
                     "call one item with \"index\" (" + n.call + "[0], or a runtime index input), or apply every item "
                     "in turn with \"apply\": \"chain\"; use a Sequential if the items should always run in order.",
                     n.id, n.pointer);
                inEditor("choose in the node's inspector which item it calls (" + n.call + "[0], or a runtime index "
                         "input), or to apply every item in turn; use a Sequential if the items should always run in "
                         "order.");
                return false;
            }
            if (!isList && n.listUse != ListUse::None) {
                fail("not-a-list", where,
                     "indexes '" + n.call + "', which is a " + c->spec.type + ", not a ModuleList.",
                     "remove \"index\"/\"apply\", or make '" + n.call + "' a ModuleList.", n.id, n.pointer);
                inEditor("call '" + n.call + "' without an index, or make it a ModuleList.");
                return false;
            }
            if (isList) {
                const Index size = static_cast<Index>(c->spec.items.size());
                if (n.listUse == ListUse::Index && n.constIndex &&
                    (*n.constIndex >= size || *n.constIndex < -size)) {
                    fail("index-out-of-range", where,
                         "index " + str(*n.constIndex) + " is out of range for '" + n.call + "', which has " +
                             str(size) + " items (0.." + str(size - 1) + ").",
                         "use an index between 0 and " + str(size - 1) + ", or add items to the list.", n.id,
                         n.pointer + "/index");
                    return false;
                }
                if (size == 0) {
                    fail("index-out-of-range", where, "'" + n.call + "' is an empty ModuleList.",
                         "add items to the list.", n.id, n.pointer);
                    return false;
                }
                if (n.listUse == ListUse::Index && !n.constIndex) {
                    const auto in = std::find_if(def.inputs.begin(), def.inputs.end(),
                                                 [&](const BlockInput& b) { return b.name == n.indexInput; });
                    if (in == def.inputs.end() || in->dtype != DType::Int64) {
                        fail("bad-index", where,
                             "the index '" + n.indexInput + "' must be an int64 input of " + def.name + ".",
                             "declare an input {\"name\": \"" + n.indexInput + "\", \"dtype\": \"int64\"}.", n.id,
                             n.pointer + "/index");
                        inEditor("add an input '" + n.indexInput + "' to " + def.name +
                                 " and set its Kind to int64 index in the inspector, then wire it to the index port.");
                        return false;
                    }
                }
            }
        } else {
            const OpType* op = findOpType(n.op);
            if (!op) {
                std::vector<std::string> names;
                for (const OpType& o : opTypes()) names.push_back(o.name);
                fail("unknown-op", where, "unknown op '" + n.op + "'" + didYouMean(n.op, names) + "; the ops are " +
                                               quoteList(names) + ".",
                     "", n.id, n.pointer + "/op");
                return false;
            }
            minInputs = op->minInputs;
            maxInputs = op->maxInputs;
        }
        const Index count = static_cast<Index>(n.inputs.size());
        if (count < minInputs || (maxInputs >= 0 && count > maxInputs)) {
            const std::string expected = maxInputs < 0 ? "at least " + str(minInputs)
                                         : minInputs == maxInputs ? str(minInputs)
                                                                  : str(minInputs) + ".." + str(maxInputs);
            fail("input-count", where,
                 (n.isCall() ? "the call of '" + n.call + "'" : "op " + n.op) + " takes " + expected + " input" +
                     (expected == "1" ? "" : "s") + " but is given " + str(count) + ".",
                 maxInputs >= 0 && count > maxInputs ? "remove the extra wire." : "connect the missing input.", n.id,
                 n.pointer + "/in");
            return false;
        }
        for (Index k = 0; k < count; ++k) {
            Source src;
            std::string problem;
            if (!resolve(n.inputs[static_cast<size_t>(k)], src, problem)) {
                fail("dangling", where + " input " + str(k), "input " + str(k) + " of node '" + n.id + "' " + problem + ".",
                     "connect it to an input or a node of " + def.name + ".", n.id,
                     n.pointer + "/in/" + str(k));
                src = {kUnresolved, -1, 0};
            }
            g.inputs[i].push_back(src);
        }
            return true;
    };
    for (size_t i = 0; i < def.nodes.size(); ++i) g.broken[i] = !checkNode(i);
    for (size_t o = 0; o < def.outputs.size(); ++o) {
        Source src;
        std::string problem;
        if (!resolve(def.outputs[o].from, src, problem)) {
            fail("dangling", "output '" + def.outputs[o].name + "'", "the output '" + def.outputs[o].name + "' " + problem + ".",
                 "set \"from\" to a node of " + def.name + ".", {}, def.pointer + "/outputs/" + str(Index(o)));
            inEditor("drag a wire from a node's output port to the output '" + def.outputs[o].name + "'.");
            src = {kUnresolved, -1, 0};
        }
        g.outputs.push_back(src);
    }
    // Topological order (Kahn); what remains lies on or after a cycle. A
    // broken graph is ordered too: shape inference runs what it can.
    const size_t n = def.nodes.size();
    std::vector<int> indegree(n, 0);
    std::vector<std::vector<int>> users(n);
    for (size_t i = 0; i < n; ++i)
        for (const Source& s : g.inputs[i])
            if (s.node >= 0) {
                ++indegree[i];
                users[static_cast<size_t>(s.node)].push_back(static_cast<int>(i));
            }
    std::vector<int> ready;
    for (size_t i = 0; i < n; ++i)
        if (indegree[i] == 0) ready.push_back(static_cast<int>(i));
    while (!ready.empty()) {
        // Smallest index first keeps the order stable and close to file order.
        auto smallest = std::min_element(ready.begin(), ready.end());
        const int i = *smallest;
        ready.erase(smallest);
        g.order.push_back(i);
        for (int u : users[static_cast<size_t>(i)])
            if (--indegree[static_cast<size_t>(u)] == 0) ready.push_back(u);
    }
    if (g.order.size() != n) {
        // Walk back along unfinished inputs until a node repeats: that is a cycle.
        int start = -1;
        for (size_t i = 0; i < n; ++i)
            if (indegree[i] > 0) {
                start = static_cast<int>(i);
                break;
            }
        std::vector<int> walk{start};
        while (true) {
            int next = -1;
            for (const Source& s : g.inputs[static_cast<size_t>(walk.back())])
                if (s.node >= 0 && indegree[static_cast<size_t>(s.node)] > 0) {
                    next = s.node;
                    break;
                }
            auto seen = std::find(walk.begin(), walk.end(), next);
            if (seen != walk.end()) {
                walk.erase(walk.begin(), seen);
                break;
            }
            walk.push_back(next);
        }
        std::string chain;
        for (auto it = walk.rbegin(); it != walk.rend(); ++it) chain += def.nodes[static_cast<size_t>(*it)].id + " -> ";
        chain += def.nodes[static_cast<size_t>(walk.back())].id;
        const Node& first = def.nodes[static_cast<size_t>(walk.back())];
        fail("cycle", "node '" + first.id + "'", "the forward graph of " + def.name + " has a cycle: " + chain + ".",
             "remove one of these wires; a forward pass must not feed a node its own output.", first.id, first.pointer);
    }
    if (!ok) {
        m_graphBroken = true;
        return g;
    }

    // Nodes whose output nothing uses, and children never called: legal, but worth a word.
    std::vector<bool> used(n, false);
    for (size_t i = 0; i < n; ++i)
        for (const Source& s : g.inputs[i])
            if (s.node >= 0) used[static_cast<size_t>(s.node)] = true;
    for (const Source& s : g.outputs)
        if (s.node >= 0) used[static_cast<size_t>(s.node)] = true;
    for (size_t i = 0; i < n; ++i)
        if (!used[i])
            report(Severity::Warning, "unused-node", path, "node '" + def.nodes[i].id + "'",
                   "the output of node '" + def.nodes[i].id + "' is never used.",
                   "wire it to a node or an output, or delete it.", def.name, def.nodes[i].id, def.nodes[i].pointer);
    for (const NamedSpec& c : def.children)
        if (!calledChildren.count(c.name) && c.spec.sameAs.empty())
            report(Severity::Warning, "unused-child", path, "child '" + c.name + "'",
                   "'" + c.name + "' is registered but never called: its parameters are in state_dict but get no "
                   "gradient.",
                   "call it from a node, or remove it.", def.name, c.name, c.spec.pointer);
    g.usable = true;
    return g;
}

// --- inference -------------------------------------------------------------

TensorType Analyzer::perChoice(const std::vector<TensorType>& inputs, const std::string& path,
                               const std::string& where,
                               const std::function<TensorType(const std::vector<TensorType>&)>& fn) {
    for (const TensorType& t : inputs)
        if (!t.known) return TensorType::unknown();
    std::string variable;
    size_t choices = 0;
    for (const TensorType& t : inputs) {
        if (t.variesWith.empty()) continue;
        if (!variable.empty() && (t.variesWith != variable || t.choices.size() != choices)) {
            error("varying-shape", path, where,
                  "its inputs depend on two different runtime indexes ('" + variable + "' and '" + t.variesWith + "').",
                  "");
            return TensorType::unknown();
        }
        variable = t.variesWith;
        choices = t.choices.size();
    }
    if (variable.empty()) return fn(inputs);
    std::vector<std::vector<Index>> results;
    DType dtype = DType::Float32;
    for (size_t k = 0; k < choices; ++k) {
        std::vector<TensorType> fixed;
        for (const TensorType& t : inputs) {
            TensorType f = t;
            if (!t.variesWith.empty()) f = TensorType::of(t.choices[k], t.dtype);
            fixed.push_back(f);
        }
        const TensorType r = fn(fixed);
        if (!r.known) return TensorType::unknown();
        dtype = r.dtype;
        results.push_back(r.dims);
    }
    if (std::all_of(results.begin(), results.end(), [&](const auto& d) { return d == results.front(); }))
        return TensorType::of(results.front(), dtype);
    TensorType t = TensorType::of(results.front(), dtype);
    t.variesWith = variable;
    t.choices = results;
    return t;
}

TensorType Analyzer::callLayer(InstanceId id, const TensorType& input, const CallSite& site) {
    ModuleInstance& m = inst(id);
    if (!input.known) return TensorType::unknown();
    if (!findLayerType(m.type)) return TensorType::unknown(); // unknown type: reported at instantiation
    std::vector<ShapeProblem> problems;
    Json args = m.args;
    const bool wasComplete = m.argsComplete;
    // A layer whose own arguments are broken (reported already) is not run.
    if (!wasComplete) {
        const LayerType* type = findLayerType(m.type);
        for (const ArgSpec& a : type->args)
            if (!a.inferable && !args.contains(a.name)) return TensorType::unknown();
    }
    const TensorType out = inferLayerShape(m.type, args, input, problems);
    for (const ShapeProblem& p : problems)
        error(p.code, displayPath(id), "input" + (site.node.empty() ? std::string() : " (from node '" + site.node + "' of " + site.definition + ")"),
              p.message, p.fix, site.definition, site.node, m.spec ? m.spec->pointer : std::string());
    if (!problems.empty() || !checkSize(out, displayPath(id), "output")) return TensorType::unknown();
    if (!wasComplete) {
        m.args = args;
        m.argsComplete = true;
        setLayerTensors(id);
    }
    return out;
}

std::vector<TensorType> Analyzer::callInstance(InstanceId id, const std::vector<TensorType>& inputs,
                                               const CallSite& site) {
    ++m_calls;
    if (overBudget(displayPath(id), true)) return std::vector<TensorType>(1, TensorType::unknown());
    ModuleInstance& m = inst(id);
    ++m.callCount;
    m.callSites.push_back(site.path + " " + site.where);
    if (m.callCount == 1) m.inputTypes = inputs;
    std::vector<TensorType> outputs;
    const std::string path = displayPath(id);
    switch (m.kind) {
    case ModuleKind::Layer: {
        if (inputs.size() != 1) {
            error("input-count", path, site.where, m.type + " takes 1 input but is given " + str(Index(inputs.size())) + ".",
                  "", site.definition, site.node);
            outputs = {TensorType::unknown()};
            break;
        }
        outputs = {perChoice(inputs, path, "input", [&](const std::vector<TensorType>& in) {
            return callLayer(id, in[0], site);
        })};
        break;
    }
    case ModuleKind::Sequential: {
        if (inputs.size() != 1) {
            error("input-count", path, site.where, "a Sequential takes 1 input but is given " + str(Index(inputs.size())) + ".",
                  "", site.definition, site.node);
            outputs = {TensorType::unknown()};
            break;
        }
        TensorType x = inputs[0];
        const std::vector<ChildRef> children = m.children;
        for (const ChildRef& c : children) {
            const ModuleInstance& item = inst(c.id);
            if (item.kind == ModuleKind::ModuleList) {
                error("modulelist-call", item.path, "item " + c.name + " of " + path,
                      "a ModuleList inside a Sequential would be called, but a ModuleList has no forward of its own.",
                      "make it a Sequential, or call its items from a block's graph.", site.definition, site.node,
                      item.spec ? item.spec->pointer : std::string());
                x = TensorType::unknown();
                continue;
            }
            CallSite inner{path, "item " + c.name, site.definition, site.node};
            const std::vector<TensorType> out = callInstance(c.id, {x}, inner);
            if (out.size() != 1) {
                error("input-count", item.path, "item " + c.name + " of " + path,
                      "a Sequential item must have one output, but " + item.type + " has " + str(Index(out.size())) + ".",
                      "use a block's graph to wire several outputs.", site.definition, site.node);
                x = TensorType::unknown();
                continue;
            }
            x = out[0];
        }
        outputs = {x};
        break;
    }
    case ModuleKind::ModuleList:
        // A node's list[i] or chain is dispatched by runBlock: this is a ModuleList
        // run as an item of another list's chain or index, which has no forward.
        error("modulelist-call", path, site.where,
              "'" + path + "' is a ModuleList run as an item of another list: a ModuleList has no forward of its own.",
              "make the inner list a Sequential, or index it from a block's graph.", site.definition, site.node,
              m.spec ? m.spec->pointer : std::string());
        outputs = {TensorType::unknown()};
        break;
    case ModuleKind::Block: {
        if (!m.block) {
            outputs = {TensorType::unknown()};
            break;
        }
        if (inputs.size() != m.block->inputs.size()) {
            error("input-count", path, site.where,
                  m.type + " takes " + str(Index(m.block->inputs.size())) + " input(s) but is given " +
                      str(Index(inputs.size())) + ".",
                  "wire one tensor to each of its inputs.", site.definition, site.node);
            outputs.assign(m.block->outputs.size(), TensorType::unknown());
            break;
        }
        outputs = runBlock(id, inputs);
        break;
    }
    }
    ModuleInstance& after = inst(id); // instances may have grown; re-fetch
    if (after.callCount == 1) after.outputTypes = outputs;
    return outputs;
}

std::vector<TensorType> Analyzer::runBlock(InstanceId id, const std::vector<TensorType>& inputs) {
    const BlockDef& def = *inst(id).block;
    const std::string path = displayPath(id);
    const GraphInfo& g = graphOf(def, path);
    std::vector<std::vector<TensorType>> values(def.nodes.size());

    // Declared inner input shapes are checked against what arrives.
    for (size_t i = 0; i < def.inputs.size(); ++i) {
        const BlockInput& in = def.inputs[i];
        const TensorType& t = inputs[i];
        if (!t.isFixed()) continue;
        if (t.dtype != in.dtype) {
            error("dtype-mismatch", path, "input '" + in.name + "'",
                  "expects " + std::string(dtypeName(in.dtype)) + " but receives " + typeToString(t) + ".", "", def.name);
        } else if (in.shape && in.dtype == DType::Float32) {
            std::vector<Index> want{kBatch};
            want.insert(want.end(), in.shape->begin(), in.shape->end());
            if (want != t.dims)
                error("shape-mismatch", path, "input '" + in.name + "'",
                      "declares " + dimsToString(want) + " but receives " + typeToString(t) + ".",
                      "fix the declared shape, or remove it to accept any.", def.name);
        }
    }
    auto valueOf = [&](const Source& s) -> TensorType {
        if (s.node == kUnresolved) return TensorType::unknown();
        if (s.node < 0) return inputs[static_cast<size_t>(s.input)];
        const auto& v = values[static_cast<size_t>(s.node)];
        return static_cast<size_t>(s.output) < v.size() ? v[static_cast<size_t>(s.output)] : TensorType::unknown();
    };
    for (int ni : g.order) {
        const Node& n = def.nodes[static_cast<size_t>(ni)];
        if (g.broken[static_cast<size_t>(ni)]) {
            values[static_cast<size_t>(ni)] = std::vector<TensorType>(
                n.isCall() ? static_cast<size_t>(outputCountOfChild(def, n.call)) : 1, TensorType::unknown());
            continue;
        }
        std::vector<TensorType> in;
        std::vector<std::string> names;
        for (size_t k = 0; k < g.inputs[static_cast<size_t>(ni)].size(); ++k) {
            in.push_back(valueOf(g.inputs[static_cast<size_t>(ni)][k]));
            names.push_back(n.inputs[k]);
        }
        const CallSite site{path, "node '" + n.id + "'", def.name, n.id};
        std::vector<TensorType> out;
        if (!n.isCall()) {
            const OpType* op = findOpType(n.op);
            Json args = Json::object();
            for (const ArgSpec& a : op->args) args[a.name] = n.args.contains(a.name) ? n.args[a.name] : a.defaultValue;
            bool argsOk = true;
            for (auto it = n.args.begin(); it != n.args.end(); ++it) {
                if (!std::any_of(op->args.begin(), op->args.end(), [&](const ArgSpec& a) { return a.name == it.key(); })) {
                    error("unknown-argument", path, site.where, "op " + n.op + " has no argument '" + it.key() + "'.",
                          "", def.name, n.id, n.pointer + "/args/" + it.key());
                    argsOk = false;
                }
            }
            for (const ArgSpec& a : op->args)
                argsOk &= checkArgValue(a, args[a.name], path, n.pointer + "/args/" + a.name, n.op);
            if (!argsOk) {
                values[static_cast<size_t>(ni)] = {TensorType::unknown()};
                continue;
            }
            out = {perChoice(in, path, site.where, [&](const std::vector<TensorType>& fixed) {
                std::vector<ShapeProblem> problems;
                TensorType r = inferOpShape(n.op, args, fixed, names, problems);
                for (const ShapeProblem& p : problems)
                    error(p.code, path, site.where + " (" + n.op + ")", p.message, p.fix, def.name, n.id, n.pointer);
                return checkSize(r, path, site.where + " (" + n.op + ")") ? r : TensorType::unknown();
            })};
        } else {
            const auto child = std::find_if(inst(id).children.begin(), inst(id).children.end(),
                                            [&](const ChildRef& c) { return c.name == n.call; });
            if (child == inst(id).children.end()) {
                values[static_cast<size_t>(ni)] = {TensorType::unknown()};
                continue; // its instantiation failed and was reported
            }
            const InstanceId cid = child->id;
            if (n.listUse == ListUse::None) {
                out = callInstance(cid, in, site);
            } else {
                ModuleInstance& list = inst(cid);
                ++list.callCount;
                list.callSites.push_back(site.path + " " + site.where);
                if (list.callCount == 1) list.inputTypes = in;
                const std::vector<ChildRef> items = list.children;
                const Index size = static_cast<Index>(items.size());
                const Index k = n.constIndex ? (*n.constIndex < 0 ? *n.constIndex + size : *n.constIndex) : 0;
                if (n.listUse == ListUse::Chain) {
                    std::vector<TensorType> x = in;
                    for (const ChildRef& item : items) x = callInstance(item.id, x, site);
                    out = x;
                } else if (k < 0 || k >= size) {
                    // Fewer items were made than the file lists (a bad same_as, or
                    // nesting too deep): already reported; never index past the end.
                    out = {TensorType::unknown()};
                } else if (n.constIndex) {
                    out = callInstance(items[static_cast<size_t>(k)].id, in, site);
                } else {
                    // Runtime index: every item may run; the result lists each item's shape.
                    if (!m_runtimeIndex.empty()) {
                        error("nested-runtime-index", path, site.where,
                              "indexes '" + n.call + "' by '" + n.indexInput + "' inside a module already chosen by '" +
                                  m_runtimeIndex + "': a runtime index within another is not supported.",
                              "index one of them by a constant, or restructure so each runtime index is at one level.",
                              def.name, n.id, n.pointer);
                        values[static_cast<size_t>(ni)] = {TensorType::unknown()};
                        continue;
                    }
                    m_runtimeIndex = n.indexInput;
                    std::vector<std::vector<TensorType>> perItem;
                    for (const ChildRef& item : items) perItem.push_back(callInstance(item.id, in, site));
                    m_runtimeIndex.clear();
                    const size_t outputsPerItem = perItem.front().size();
                    for (size_t o = 0; o < outputsPerItem; ++o) {
                        std::vector<std::vector<Index>> choices;
                        bool known = true;
                        DType dtype = DType::Float32;
                        for (const auto& r : perItem) {
                            if (r.size() != outputsPerItem || !r[o].isFixed()) {
                                known = false;
                                break;
                            }
                            choices.push_back(r[o].dims);
                            dtype = r[o].dtype;
                        }
                        if (!known) {
                            out.push_back(TensorType::unknown());
                            continue;
                        }
                        TensorType t = TensorType::of(choices.front(), dtype);
                        if (!std::all_of(choices.begin(), choices.end(), [&](const auto& c) { return c == choices.front(); })) {
                            t.variesWith = n.indexInput;
                            t.choices = choices;
                        }
                        out.push_back(t);
                    }
                }
                if (inst(cid).callCount == 1) inst(cid).outputTypes = out;
            }
        }
        values[static_cast<size_t>(ni)] = out;
    }
    std::vector<TensorType> outputs;
    for (const Source& s : g.outputs) outputs.push_back(valueOf(s));
    if (inst(id).nodeOutputs.empty()) inst(id).nodeOutputs = values;
    return outputs;
}

void Analyzer::finish() {
    // Layers whose inferable arguments no call could settle.
    for (const ModuleInstance& m : m_out.tree.instances) {
        if (m_graphBroken) break;
        if (m.kind != ModuleKind::Layer || m.argsComplete || !findLayerType(m.type) || m.callCount > 0) continue;
        const LayerType* type = findLayerType(m.type);
        bool onlyInferableMissing = true;
        std::string missing;
        for (const ArgSpec& a : type->args) {
            if (m.args.contains(a.name)) continue;
            if (!a.inferable) onlyInferableMissing = false;
            else missing = a.name;
        }
        if (onlyInferableMissing && !missing.empty())
            error("cannot-infer", m.path, "argument '" + missing + "'",
                  "cannot infer " + missing + " of " + m.type + ": it is never called, so no input shows its size.",
                  "give " + missing + ", or call it from the forward graph.", {}, {},
                  m.spec ? m.spec->pointer : std::string());
    }
    // Errors first, then warnings; each group keeps discovery order.
    std::stable_sort(m_out.diagnostics.begin(), m_out.diagnostics.end(),
                     [](const Diagnostic& a, const Diagnostic& b) { return a.isError() && !b.isError(); });
}

} // namespace

bool isValidName(const std::string& name) { return isValidNameImpl(name); }

Analysis analyze(const ModelDocument& doc, const AnalysisOptions& options) {
    Analysis out;
    Analyzer(doc, options, out).run();
    return out;
}

} // namespace ml
