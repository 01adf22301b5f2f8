#pragma once
// The model as the user wrote it: definitions of blocks, the children they
// register and the forward graph they wire. This is the source of truth that
// the JSON format stores and the editor edits; the instance tree, the shapes
// and the compiled plan are all derived from it (see Module.h, shape/).
//
// Example (the tutorial's multi-task network):
//   definitions["MultiTaskNetwork"] = block with inputs x [10] and task_index
//   (int64), children shared_layer = Linear(10, 5) and task_layers =
//   ModuleList([Linear(out 2), Linear(out 3), Linear(out 1)]), nodes
//   h = shared_layer(x); a = relu(h); y = task_layers[task_index](a).
#include "core/Tensor.h"

#include <nlohmann/json.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ml {

using Json = nlohmann::ordered_json;

enum class DType { Float32, Int64 };
const char* dtypeName(DType dtype); // "float32", "int64"

// A child registered in a block (or an item of a Sequential/ModuleList):
// a primitive layer, a container, an instance of a block definition, or a
// second name for a sibling instance (`same_as`, sharing its parameters).
struct ModuleSpec {
    std::string type;                // a layer type (model/LayerCatalog.h), Sequential, ModuleList, or a block name
    Json args = Json::object();      // layer or block arguments; a string "$name" refers to a block argument
    std::vector<ModuleSpec> items;   // children of a Sequential or ModuleList, named "0", "1", ...
    std::string sameAs;              // non-empty: this name registers the sibling `sameAs` again
    std::string pointer;             // JSON pointer where it was read, for diagnostics ("" if built in code)

    bool isContainer() const { return type == "Sequential" || type == "ModuleList"; }
};

struct NamedSpec {
    std::string name;
    ModuleSpec spec;
};

struct BlockInput {
    std::string name;
    DType dtype = DType::Float32;
    std::optional<std::vector<Index>> shape; // per-sample shape (batch excluded); none for an int64 index
};

// How a node's call uses a ModuleList.
enum class ListUse {
    None,   // the child is not a ModuleList (or the call is wrong: diagnosed)
    Index,  // list[i]: i a constant or the name of an int64 block input (the select op)
    Chain,  // for item in list: x = item(x)
};

// One step of a block's forward: a call of a child instance or a functional op.
// Inputs name a block input, a node (its only output) or "node.output" (a
// block with several outputs).
struct Node {
    std::string id;
    std::string call;              // child name, for a call
    std::string op;                // functional op (add, concat, flatten, relu), for an op
    Json args = Json::object();    // op arguments (concat: dim; flatten: start_dim, end_dim)
    ListUse listUse = ListUse::None;
    std::optional<Index> constIndex;   // list[constIndex]
    std::string indexInput;            // list[indexInput], a runtime int64 input
    std::vector<std::string> inputs;
    std::string pointer;

    bool isCall() const { return !call.empty(); }
};

struct BlockOutput {
    std::string name;
    std::string from; // a node id, "node.output", or a block input
};

struct BlockParameter {
    std::string name;
    Json defaultValue; // null: required (unless only inferable layer arguments use it)
};

struct BlockDef {
    std::string name;
    std::string doc;
    std::vector<BlockParameter> parameters; // constructor arguments, like a Python __init__'s
    std::vector<BlockInput> inputs;
    std::vector<NamedSpec> children;        // registration order = state_dict order
    std::vector<Node> nodes;
    std::vector<BlockOutput> outputs;
    std::string pointer;

    const NamedSpec* findChild(const std::string& childName) const;
    const Node* findNode(const std::string& nodeId) const;
};

// A whole model file: the definitions, which one is the model, and the
// editor's layout and the training settings kept beside (never inside) it.
struct ModelDocument {
    std::string model;                 // name of the top-level block
    std::vector<BlockDef> definitions; // file order
    Json layout = Json::object();
    Json training = Json::object();

    const BlockDef* findDefinition(const std::string& name) const;
    BlockDef* findDefinition(const std::string& name);
};

} // namespace ml
