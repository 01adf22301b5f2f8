#pragma once
// PyTorch source for a model: one nn.Module class per block definition,
// written as a person would write it by hand. Attribute names are the module
// tree's, containers stay nn.Sequential / nn.ModuleList in registration
// order, so the generated model's state_dict() keys equal ModuleLab's and a
// safetensors file saved by either side loads in the other. The file carries
// a small safetensors reader (standard library + torch: Debian 12 has no
// safetensors package).
//
//   ModelDocument doc = readModelFile("multitask.json");
//   Analysis a = analyze(doc);
//   PyTorchCode code = exportPyTorch(doc, a, "multitask.json");
//   // code.text: "class MultiTaskNetwork(nn.Module): ..."
#include "model/Definition.h"
#include "shape/Analysis.h"

#include <string>
#include <vector>

namespace ml::io {

// Where a child or a node of a definition appears in the text (lines from 1,
// inclusive): the child's line(s) in __init__, the node's line(s) in forward.
struct CodeSpan {
    std::string definition;
    std::string child; // set for an __init__ registration
    std::string node;  // set for a forward line
    int firstLine = 0;
    int lastLine = 0;
};

struct PyTorchCode {
    std::string text;
    std::vector<CodeSpan> spans;
};

// Throws ml::Error when the model has errors, or names a layer or op with no
// PyTorch form, a name Python cannot use as an attribute, or an inferred
// argument that differs between instances of one definition.
PyTorchCode exportPyTorch(const ModelDocument& doc, const Analysis& analysis, const std::string& sourceName);

// The PyTorch constructor of a layer type ("nn.Linear"), "" when it has none;
// the functional form of an op ("torch.cat"), "" when it has none.
std::string pytorchLayerClass(const std::string& layerType);
bool pytorchOpSupported(const std::string& op);

const char* moduleLabVersion();

} // namespace ml::io
