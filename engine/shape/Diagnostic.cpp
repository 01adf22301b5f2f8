#include "shape/Diagnostic.h"

namespace ml {

std::string Diagnostic::toString() const {
    std::string s = severity == Severity::Error ? "error: " : "warning: ";
    s += path;
    if (!where.empty()) s += (path.empty() ? "" : ", ") + where;
    s += ": " + message;
    if (!fix.empty()) s += " Fix: " + fix;
    if (!pointer.empty()) s += " [at " + pointer + "]";
    return s;
}

std::string Diagnostic::toEditorString() const {
    std::string s = severity == Severity::Error ? "Error: " : "Warning: ";
    s += path;
    if (!where.empty()) s += (path.empty() ? "" : ", ") + where;
    s += ": " + message;
    if (!fixForEditor().empty()) s += " Fix: " + fixForEditor();
    return s;
}

bool hasErrors(const std::vector<Diagnostic>& diagnostics) {
    for (const Diagnostic& d : diagnostics)
        if (d.isError()) return true;
    return false;
}

} // namespace ml
