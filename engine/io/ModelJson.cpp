#include "io/ModelJson.h"

#include "model/LayerCatalog.h"

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <unistd.h>

namespace ml::io {

namespace {

std::string escapePointer(const std::string& key) {
    std::string out;
    for (char c : key) {
        if (c == '~') out += "~0";
        else if (c == '/') out += "~1";
        else out += c;
    }
    return out;
}

// SAX pass before the real parse: caps nesting and refuses duplicate keys,
// tracking the JSON pointer of where it is for the message.
class PreflightHandler : public nlohmann::json_sax<Json> {
public:
    explicit PreflightHandler(int maxDepth) : m_maxDepth(maxDepth) {}
    std::string problem;

    bool null() override { return value(); }
    bool boolean(bool) override { return value(); }
    bool number_integer(number_integer_t) override { return value(); }
    bool number_unsigned(number_unsigned_t) override { return value(); }
    bool number_float(number_float_t, const string_t&) override { return value(); }
    bool string(string_t&) override { return value(); }
    bool binary(binary_t&) override { return value(); }
    bool start_object(std::size_t) override { return open(true); }
    bool end_object() override { return close(); }
    bool start_array(std::size_t) override { return open(false); }
    bool end_array() override { return close(); }
    bool key(string_t& k) override {
        Frame& f = m_stack.back();
        if (!f.keys.insert(k).second) {
            problem = pointer() + ": duplicate key '" + k + "' (each name may appear once)";
            return false;
        }
        f.current = escapePointer(k);
        return true;
    }
    bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception&) override {
        errorByte = position; // reported by the real parse, with line and column
        return false;
    }
    std::size_t errorByte = 0;

private:
    struct Frame {
        bool isObject;
        std::set<std::string> keys;
        std::string current;
        Index nextIndex = 0;
    };
    std::vector<Frame> m_stack;
    int m_maxDepth;

    std::string pointer() const {
        std::string p;
        for (size_t i = 0; i + 1 < m_stack.size(); ++i) p += "/" + m_stack[i].current;
        return p.empty() ? "/" : p;
    }
    void advance() {
        if (!m_stack.empty() && !m_stack.back().isObject)
            m_stack.back().current = std::to_string(m_stack.back().nextIndex++);
    }
    bool value() {
        advance();
        return true;
    }
    bool open(bool isObject) {
        advance();
        m_stack.push_back({isObject, {}, {}, 0});
        if (static_cast<int>(m_stack.size()) > m_maxDepth) {
            problem = pointer() + ": nested more than " + std::to_string(m_maxDepth) + " levels deep";
            return false;
        }
        return true;
    }
    bool close() {
        m_stack.pop_back();
        return true;
    }
};

std::string lineAndColumn(const std::string& text, size_t byte) {
    size_t line = 1, column = 1;
    for (size_t i = 0; i < byte && i < text.size(); ++i) {
        if (text[i] == '\n') {
            ++line;
            column = 1;
        } else {
            ++column;
        }
    }
    return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

// Reads the JSON tree into a ModelDocument, collecting every problem.
class Reader {
public:
    Reader(const ModelReadLimits& limits) : m_limits(limits) {}
    std::vector<std::string> problems;

    ModelDocument read(const Json& root) {
        ModelDocument doc;
        if (!root.is_object()) {
            fail("/", "the file must hold a JSON object, not " + typeName(root));
            return doc;
        }
        allowKeys(root, "", {"format", "version", "model", "definitions", "layout", "training", "$schema", "doc"});
        if (!root.contains("format")) {
            fail("/format", "missing; a ModuleLab model starts with \"format\": \"modulelab-model\"");
        } else if (root["format"] != kModelFormatName) {
            fail("/format", "is " + root["format"].dump() + ", not \"modulelab-model\": this is not a ModuleLab model");
            return doc; // nothing else would make sense
        }
        if (!root.contains("version")) {
            fail("/version", "missing; this ModuleLab reads version 1");
        } else if (!root["version"].is_number_integer() || root["version"].get<Index>() != kModelFormatVersion) {
            fail("/version", "unsupported version " + root["version"].dump() + "; this ModuleLab reads version 1");
            return doc;
        }
        doc.model = stringField(root, "", "model", true);
        if (const Json* defs = field(root, "", "definitions", Json::value_t::object, true)) {
            if (defs->empty()) fail("/definitions", "is empty; define at least the model's block");
            for (auto it = defs->begin(); it != defs->end(); ++it)
                doc.definitions.push_back(readBlock(it.key(), it.value(), "/definitions/" + escapePointer(it.key())));
        }
        if (const Json* layout = field(root, "", "layout", Json::value_t::object, false)) doc.layout = *layout;
        if (const Json* training = field(root, "", "training", Json::value_t::object, false)) doc.training = *training;
        return doc;
    }

private:
    const ModelReadLimits& m_limits;

    void fail(const std::string& pointer, const std::string& message) { problems.push_back(pointer + ": " + message); }

    static std::string typeName(const Json& v) {
        if (v.is_number_integer()) return "an integer";
        if (v.is_number()) return "a number";
        if (v.is_string()) return "a string";
        if (v.is_boolean()) return "a boolean";
        if (v.is_null()) return "null";
        if (v.is_array()) return "an array";
        return "an object";
    }
    static std::string expected(Json::value_t t) {
        switch (t) {
        case Json::value_t::object: return "an object";
        case Json::value_t::array: return "an array";
        case Json::value_t::string: return "a string";
        default: return "a value";
        }
    }

    void allowKeys(const Json& obj, const std::string& at, std::initializer_list<const char*> keys) {
        for (auto it = obj.begin(); it != obj.end(); ++it) {
            bool ok = false;
            for (const char* k : keys) ok |= it.key() == k;
            if (!ok) {
                std::string list;
                for (const char* k : keys) list += std::string(list.empty() ? "" : ", ") + k;
                fail(at + "/" + escapePointer(it.key()), "unknown key '" + it.key() + "'; allowed here: " + list);
            }
        }
    }

    const Json* field(const Json& obj, const std::string& at, const char* key, Json::value_t type, bool required) {
        if (!obj.contains(key)) {
            if (required) fail(at + "/" + key, "missing (" + expected(type) + " is required)");
            return nullptr;
        }
        const Json& v = obj[key];
        if (v.type() != type) {
            fail(at + "/" + key, "must be " + expected(type) + ", not " + typeName(v));
            return nullptr;
        }
        return &v;
    }

    std::string stringField(const Json& obj, const std::string& at, const char* key, bool required) {
        const Json* v = field(obj, at, key, Json::value_t::string, required);
        return v ? v->get<std::string>() : std::string();
    }

    BlockDef readBlock(const std::string& name, const Json& j, const std::string& at) {
        BlockDef b;
        b.name = name;
        b.pointer = at;
        if (!j.is_object()) {
            fail(at, "a definition must be an object, not " + typeName(j));
            return b;
        }
        allowKeys(j, at, {"kind", "doc", "parameters", "inputs", "children", "nodes", "outputs"});
        if (j.contains("kind") && j["kind"] != "block")
            fail(at + "/kind", "must be \"block\" (Sequential and ModuleList are written as children with \"type\")");
        b.doc = stringField(j, at, "doc", false);
        if (const Json* params = field(j, at, "parameters", Json::value_t::object, false))
            for (auto it = params->begin(); it != params->end(); ++it) {
                if (it.value().is_object() || it.value().is_array())
                    fail(at + "/parameters/" + escapePointer(it.key()),
                         "a block argument's default must be a number, string, boolean or null");
                b.parameters.push_back({it.key(), it.value()});
            }
        if (const Json* inputs = field(j, at, "inputs", Json::value_t::array, true)) {
            for (size_t i = 0; i < inputs->size(); ++i) b.inputs.push_back(readInput((*inputs)[i], at + "/inputs/" + std::to_string(i)));
        }
        if (const Json* children = field(j, at, "children", Json::value_t::object, false))
            for (auto it = children->begin(); it != children->end(); ++it)
                b.children.push_back({it.key(), readSpec(it.value(), at + "/children/" + escapePointer(it.key()), true)});
        if (const Json* nodes = field(j, at, "nodes", Json::value_t::array, false))
            for (size_t i = 0; i < nodes->size(); ++i) b.nodes.push_back(readNode((*nodes)[i], at + "/nodes/" + std::to_string(i)));
        if (const Json* outputs = field(j, at, "outputs", Json::value_t::array, true))
            for (size_t i = 0; i < outputs->size(); ++i) {
                const std::string o = at + "/outputs/" + std::to_string(i);
                const Json& v = (*outputs)[i];
                if (!v.is_object()) {
                    fail(o, "an output must be an object {\"name\", \"from\"}, not " + typeName(v));
                    continue;
                }
                allowKeys(v, o, {"name", "from"});
                b.outputs.push_back({stringField(v, o, "name", true), stringField(v, o, "from", true)});
            }
        return b;
    }

    BlockInput readInput(const Json& v, const std::string& at) {
        BlockInput in;
        if (!v.is_object()) {
            fail(at, "an input must be an object {\"name\", \"shape\" or \"dtype\"}, not " + typeName(v));
            return in;
        }
        allowKeys(v, at, {"name", "shape", "dtype"});
        in.name = stringField(v, at, "name", true);
        const std::string dtype = stringField(v, at, "dtype", false);
        if (dtype == "int64") in.dtype = DType::Int64;
        else if (!dtype.empty() && dtype != "float32")
            fail(at + "/dtype", "must be \"float32\" or \"int64\", not \"" + dtype + "\"");
        if (const Json* shape = field(v, at, "shape", Json::value_t::array, false)) {
            if (in.dtype == DType::Int64) fail(at + "/shape", "an int64 index input is a single integer per call and has no shape");
            std::vector<Index> dims;
            Index elements = 1;
            bool ok = true;
            for (size_t i = 0; i < shape->size(); ++i) {
                const Json& d = (*shape)[i];
                if (!d.is_number_integer() || d.get<Index>() <= 0) {
                    fail(at + "/shape/" + std::to_string(i), "must be a positive integer, got " + d.dump());
                    ok = false;
                    continue;
                }
                const Index n = d.get<Index>();
                if (n > m_limits.maxInputElements || __builtin_mul_overflow(elements, n, &elements) ||
                    elements > m_limits.maxInputElements) {
                    fail(at + "/shape", "has more than " + std::to_string(m_limits.maxInputElements) +
                                            " elements per sample, the limit");
                    ok = false;
                    break;
                }
                dims.push_back(n);
            }
            if (ok) in.shape = dims;
        }
        return in;
    }

    ModuleSpec readSpec(const Json& v, const std::string& at, bool allowSameAs) {
        ModuleSpec s;
        s.pointer = at;
        if (!v.is_object()) {
            fail(at, "a module must be an object with \"type\" (or \"same_as\"), not " + typeName(v));
            return s;
        }
        if (v.contains("same_as")) {
            allowKeys(v, at, {"same_as"});
            if (!allowSameAs) fail(at, "same_as is not allowed here");
            s.sameAs = stringField(v, at, "same_as", true);
            return s;
        }
        s.type = stringField(v, at, "type", true);
        if (s.isContainer()) {
            allowKeys(v, at, {"type", "items"});
            if (const Json* items = field(v, at, "items", Json::value_t::array, true))
                for (size_t i = 0; i < items->size(); ++i)
                    s.items.push_back(readSpec((*items)[i], at + "/items/" + std::to_string(i), true));
        } else {
            allowKeys(v, at, {"type", "args"});
            if (const Json* args = field(v, at, "args", Json::value_t::object, false)) s.args = *args;
        }
        return s;
    }

    Node readNode(const Json& v, const std::string& at) {
        Node n;
        n.pointer = at;
        if (!v.is_object()) {
            fail(at, "a node must be an object with \"id\" and \"call\" or \"op\", not " + typeName(v));
            return n;
        }
        allowKeys(v, at, {"id", "call", "op", "in", "args", "index", "apply"});
        n.id = stringField(v, at, "id", true);
        n.call = stringField(v, at, "call", false);
        n.op = stringField(v, at, "op", false);
        if (n.call.empty() == n.op.empty())
            fail(at, "a node needs exactly one of \"call\" (a child) and \"op\" (add, concat, flatten, relu)");
        if (const Json* args = field(v, at, "args", Json::value_t::object, false)) {
            if (!n.call.empty()) fail(at + "/args", "a call takes no args (they belong to the child)");
            n.args = *args;
        }
        if (const Json* in = field(v, at, "in", Json::value_t::array, true))
            for (size_t i = 0; i < in->size(); ++i) {
                const Json& r = (*in)[i];
                if (r.is_string()) n.inputs.push_back(r.get<std::string>());
                else if (r.is_null()) n.inputs.push_back(""); // a port with no wire
                else fail(at + "/in/" + std::to_string(i), "must name an input or node, not " + typeName(r));
            }
        if (v.contains("index")) {
            const Json& idx = v["index"];
            n.listUse = ListUse::Index;
            // An unsigned beyond int64 would wrap to a negative index (18446744073709551615 -> -1).
            if (idx.is_number_unsigned() && idx.get<std::uint64_t>() > std::uint64_t(INT64_MAX))
                fail(at + "/index", "is out of range, got " + idx.dump());
            else if (idx.is_number_integer()) n.constIndex = idx.get<Index>();
            else if (idx.is_string()) n.indexInput = idx.get<std::string>();
            else fail(at + "/index", "must be an integer or the name of an int64 input, not " + typeName(idx));
        }
        if (v.contains("apply")) {
            if (v["apply"] != "chain") fail(at + "/apply", "must be \"chain\" (apply every item in turn)");
            else if (n.listUse != ListUse::None) fail(at, "use either \"index\" or \"apply\", not both");
            else n.listUse = ListUse::Chain;
        }
        if (!n.op.empty() && n.listUse != ListUse::None) fail(at, "\"index\" and \"apply\" belong to calls of a ModuleList");
        return n;
    }
};

Json specToJson(const ModuleSpec& s) {
    Json j = Json::object();
    if (!s.sameAs.empty()) {
        j["same_as"] = s.sameAs;
        return j;
    }
    j["type"] = s.type;
    if (s.isContainer()) {
        j["items"] = Json::array();
        for (const ModuleSpec& item : s.items) j["items"].push_back(specToJson(item));
        return j;
    }
    if (!s.args.empty()) {
        // Layers: arguments in PyTorch's signature order, so files diff well.
        Json args = Json::object();
        if (const LayerType* t = findLayerType(s.type)) {
            for (const ArgSpec& a : t->args)
                if (s.args.contains(a.name)) args[a.name] = s.args[a.name];
            for (auto it = s.args.begin(); it != s.args.end(); ++it)
                if (!args.contains(it.key())) args[it.key()] = it.value();
        } else {
            args = s.args;
        }
        j["args"] = args;
    }
    return j;
}

} // namespace

ModelFileError::ModelFileError(std::string source, std::vector<std::string> problems)
    : Error([&] {
          std::string s;
          for (const std::string& p : problems) s += (s.empty() ? "" : "\n") + source + ": " + p;
          return s;
      }()),
      m_problems(std::move(problems)) {}

ModelDocument parseModel(const std::string& text, const std::string& source, const ModelReadLimits& limits) {
    if (text.size() > limits.maxBytes)
        throw ModelFileError(source, {"the file is " + std::to_string(text.size()) + " bytes, more than the limit of " +
                                      std::to_string(limits.maxBytes)});
    Json root;
    PreflightHandler preflight(limits.maxDepth);
    try {
        Json::sax_parse(text, &preflight, nlohmann::detail::input_format_t::json, false);
        if (!preflight.problem.empty()) throw ModelFileError(source, {preflight.problem});
        // Syntax errors are left to the DOM parser, which reports the byte position.
        root = Json::parse(text);
    } catch (const Json::parse_error& e) {
        std::string what = e.what();
        const size_t colon = what.find("syntax error");
        throw ModelFileError(source, {"not valid JSON at " + lineAndColumn(text, e.byte > 0 ? e.byte - 1 : 0) + ": " +
                                      (colon != std::string::npos ? what.substr(colon) : what)});
    } catch (const Json::exception& e) {
        // A number too large for a double (1e400) is an out_of_range, not a parse_error.
        std::string what = e.what();
        const size_t bracket = what.find("] ");
        throw ModelFileError(source, {"not valid JSON at " +
                                      lineAndColumn(text, preflight.errorByte > 0 ? preflight.errorByte - 1 : 0) +
                                      ": " + (bracket != std::string::npos ? what.substr(bracket + 2) : what)});
    }
    Reader reader(limits);
    ModelDocument doc = reader.read(root);
    if (!reader.problems.empty()) throw ModelFileError(source, reader.problems);
    return doc;
}

ModelDocument readModelFile(const std::string& path, const ModelReadLimits& limits) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
        throw ModelFileError(path, {std::filesystem::exists(path, ec) ? "not a regular file" : "no such file"});
    const auto size = std::filesystem::file_size(path, ec);
    if (ec) throw ModelFileError(path, {"cannot read: " + ec.message()});
    if (size > limits.maxBytes)
        throw ModelFileError(path, {"the file is " + std::to_string(size) + " bytes, more than the limit of " +
                                    std::to_string(limits.maxBytes)});
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ModelFileError(path, {"cannot open for reading"});
    std::ostringstream buffer;
    buffer << in.rdbuf();
    return parseModel(buffer.str(), path, limits);
}

Json modelToJson(const ModelDocument& doc) {
    Json root = Json::object();
    root["format"] = kModelFormatName;
    root["version"] = kModelFormatVersion;
    root["model"] = doc.model;
    Json defs = Json::object();
    for (const BlockDef& b : doc.definitions) {
        Json d = Json::object();
        d["kind"] = "block";
        if (!b.doc.empty()) d["doc"] = b.doc;
        if (!b.parameters.empty()) {
            Json params = Json::object();
            for (const BlockParameter& p : b.parameters) params[p.name] = p.defaultValue;
            d["parameters"] = params;
        }
        Json inputs = Json::array();
        for (const BlockInput& in : b.inputs) {
            Json i = Json::object();
            i["name"] = in.name;
            if (in.dtype != DType::Float32) i["dtype"] = dtypeName(in.dtype);
            if (in.shape) i["shape"] = *in.shape;
            inputs.push_back(i);
        }
        d["inputs"] = inputs;
        Json children = Json::object();
        for (const NamedSpec& c : b.children) children[c.name] = specToJson(c.spec);
        d["children"] = children;
        Json nodes = Json::array();
        for (const Node& n : b.nodes) {
            Json j = Json::object();
            j["id"] = n.id;
            if (n.isCall()) j["call"] = n.call;
            else j["op"] = n.op;
            if (n.listUse == ListUse::Index) {
                if (n.constIndex) j["index"] = *n.constIndex;
                else j["index"] = n.indexInput;
            } else if (n.listUse == ListUse::Chain) {
                j["apply"] = "chain";
            }
            if (!n.args.empty()) j["args"] = n.args;
            Json in = Json::array();
            for (const std::string& r : n.inputs) in.push_back(r.empty() ? Json() : Json(r));
            j["in"] = in;
            nodes.push_back(j);
        }
        d["nodes"] = nodes;
        Json outputs = Json::array();
        for (const BlockOutput& o : b.outputs) outputs.push_back(Json{{"name", o.name}, {"from", o.from}});
        d["outputs"] = outputs;
        defs[b.name] = d;
    }
    root["definitions"] = defs;
    if (!doc.layout.empty()) root["layout"] = doc.layout;
    if (!doc.training.empty()) root["training"] = doc.training;
    return root;
}

std::string modelToString(const ModelDocument& doc) {
    return modelToJson(doc).dump(2) + "\n";
}

void writeFileAtomically(const std::string& path, const std::string& contents) {
    const std::filesystem::path target(path);
    const std::filesystem::path temp =
        target.parent_path() / ("." + target.filename().string() + ".tmp-" + std::to_string(::getpid()));
    {
        std::ofstream out(temp, std::ios::binary | std::ios::trunc);
        if (!out) throw Error(path + ": cannot write (cannot create " + temp.string() + ")");
        out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
        out.flush();
        if (!out) {
            out.close();
            std::filesystem::remove(temp);
            throw Error(path + ": cannot write (disk full?)");
        }
    }
    // fsync so a crash after rename never leaves an empty file behind.
    if (FILE* f = std::fopen(temp.c_str(), "rb")) {
        ::fsync(fileno(f));
        std::fclose(f);
    }
    std::error_code ec;
    std::filesystem::rename(temp, target, ec);
    if (ec) {
        std::filesystem::remove(temp, ec);
        throw Error(path + ": cannot replace the file: " + ec.message());
    }
}

void writeModelFile(const ModelDocument& doc, const std::string& path) {
    writeFileAtomically(path, modelToString(doc));
}

} // namespace ml::io
