#include "model/Definition.h"

namespace ml {

const char* dtypeName(DType dtype) {
    return dtype == DType::Int64 ? "int64" : "float32";
}

const NamedSpec* BlockDef::findChild(const std::string& childName) const {
    for (const NamedSpec& c : children)
        if (c.name == childName) return &c;
    return nullptr;
}

const Node* BlockDef::findNode(const std::string& nodeId) const {
    for (const Node& n : nodes)
        if (n.id == nodeId) return &n;
    return nullptr;
}

const BlockDef* ModelDocument::findDefinition(const std::string& name) const {
    for (const BlockDef& d : definitions)
        if (d.name == name) return &d;
    return nullptr;
}

BlockDef* ModelDocument::findDefinition(const std::string& name) {
    for (BlockDef& d : definitions)
        if (d.name == name) return &d;
    return nullptr;
}

} // namespace ml
