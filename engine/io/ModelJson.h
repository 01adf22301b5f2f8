#pragma once
// The ModuleLab model format, version 1 (documented in README.md, schema in
// resources/schema/modulelab-model-1.schema.json).
//
//   ModelDocument doc = readModelFile("resources/examples/multitask.json");
//   writeModelFile(doc, "copy.json");   // atomic; stable key order
//
// Reading never trusts the file: size and nesting are capped before parsing,
// duplicate keys are refused, and every problem found is reported at once
// with its JSON pointer (or line and column for syntax errors).
#include "core/Error.h"
#include "model/Definition.h"

#include <string>
#include <vector>

namespace ml::io {

inline constexpr const char* kModelFormatName = "modulelab-model";
inline constexpr int kModelFormatVersion = 1;

struct ModelReadLimits {
    size_t maxBytes = 64u << 20; // 64 MiB
    int maxDepth = 256;          // JSON nesting
    Index maxInputElements = Index(1) << 31; // per-sample elements of a declared input shape
};

// All problems of one file; what() lists them, one per line, prefixed by the source.
class ModelFileError : public Error {
public:
    ModelFileError(std::string source, std::vector<std::string> problems);
    const std::vector<std::string>& problems() const { return m_problems; }

private:
    std::vector<std::string> m_problems;
};

ModelDocument parseModel(const std::string& text, const std::string& source = "<text>",
                         const ModelReadLimits& limits = {});
ModelDocument readModelFile(const std::string& path, const ModelReadLimits& limits = {});

Json modelToJson(const ModelDocument& doc);
std::string modelToString(const ModelDocument& doc); // 2-space indent, trailing newline
// Writes to a temporary file beside `path`, then renames it over `path`.
void writeModelFile(const ModelDocument& doc, const std::string& path);

// Atomically replaces `path` with `contents` (also used for weights and logs).
void writeFileAtomically(const std::string& path, const std::string& contents);

} // namespace ml::io
