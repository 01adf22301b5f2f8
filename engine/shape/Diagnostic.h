#pragma once
// A problem found in a model, named the way a user can find it: the module
// path ("block1.conv1"), where in it (a node and port, or a JSON pointer),
// what is wrong with both shapes, and a fix when one is known.
#include <string>
#include <vector>

namespace ml {

enum class Severity { Error, Warning };

struct Diagnostic {
    Severity severity = Severity::Error;
    std::string code;        // stable kind, e.g. "shape-mismatch", "cycle", "unknown-type"
    std::string path;        // module path; the model's name for the top level
    std::string where;       // "node 'sum' (add)", "input", "/definitions/Net/children/fc/args"
    std::string message;
    std::string fix;         // suggested fix; empty when none
    std::string definition;  // block definition holding the offending node/child, for the editor
    std::string node;        // node id or child name within that definition
    std::string pointer;     // JSON pointer into the model file, when known
    // The fix in the editor's words (its fields and gestures) where `fix`
    // speaks of the file's keys; empty when `fix` reads well in both.
    std::string editorFix;

    bool isError() const { return severity == Severity::Error; }
    std::string toString() const; // "error: block1, node 'sum' (add): ... Fix: ..."
    // What the editor shows: the same without the JSON pointer, with editorFix.
    std::string toEditorString() const;
    const std::string& fixForEditor() const { return editorFix.empty() ? fix : editorFix; }
};

bool hasErrors(const std::vector<Diagnostic>& diagnostics);

} // namespace ml
