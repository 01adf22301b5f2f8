// validate and summary: read a model, analyze it, report.
#include "cli/Cli.h"
#include "io/ModelJson.h"
#include "shape/Summary.h"
#include "io/PyTorchExport.h"

#include <filesystem>

#include <iostream>

namespace ml::cli {

namespace {

AnalysisOptions analysisOptions(const Args& args) {
    AnalysisOptions o;
    o.maxParameters = args.integer("max-parameters", o.maxParameters, 1, Index(1) << 62);
    return o;
}

} // namespace

int runValidate(const std::vector<std::string>& argv) {
    const Args args(argv, {"max-parameters"}, {"quiet"});
    if (args.positionals().empty()) throw UsageError("validate needs at least one model file");
    int status = kOk;
    for (const std::string& path : args.positionals()) {
        try {
            const ModelDocument doc = io::readModelFile(path);
            const Analysis a = analyze(doc, analysisOptions(args));
            int errors = 0, warnings = 0;
            for (const Diagnostic& d : a.diagnostics) {
                (d.isError() ? errors : warnings)++;
                std::cout << path << ": " << d.toString() << "\n";
            }
            if (errors) status = kFailed;
            std::cout << path << ": " << (errors ? "invalid" : "valid") << " (" << errors << " error"
                      << (errors == 1 ? "" : "s") << ", " << warnings << " warning" << (warnings == 1 ? "" : "s")
                      << "; " << a.tree.uniqueParameterCount() << " parameters)\n";
        } catch (const io::ModelFileError& e) {
            std::cout << e.what() << "\n" << path << ": invalid (the file could not be read)\n";
            status = kFailed;
        }
    }
    return status;
}

int runSummary(const std::vector<std::string>& argv) {
    const Args args(argv, {"max-parameters"}, {"json"});
    if (args.positionals().size() != 1) throw UsageError("summary needs exactly one model file");
    const std::string& path = args.positionals().front();
    const ModelDocument doc = io::readModelFile(path);
    const Analysis a = analyze(doc, analysisOptions(args));
    if (args.flag("json")) std::cout << summaryJson(doc, a).dump(2) << "\n";
    else std::cout << summaryText(doc, a);
    return a.ok() ? kOk : kFailed;
}

} // namespace ml::cli

namespace ml::cli {

namespace {

int runExportPyTorch(const std::vector<std::string>& argv) {
    const Args args(argv, {"o", "output"}, {});
    if (args.positionals().size() != 1) throw UsageError("export pytorch needs exactly one model file");
    const std::string& path = args.positionals().front();
    const ModelDocument doc = io::readModelFile(path);
    const Analysis a = analyze(doc);
    const io::PyTorchCode code =
        io::exportPyTorch(doc, a, std::filesystem::path(path).filename().string());
    const auto out = args.value("o") ? args.value("o") : args.value("output");
    if (!out) {
        std::cout << code.text;
        return kOk;
    }
    io::writeFileAtomically(*out, code.text);
    std::cout << "wrote " << doc.model << " as PyTorch to " << *out << "\n";
    return kOk;
}

} // namespace

int runExport(const std::vector<std::string>& argv) {
    if (argv.empty()) throw UsageError("export needs a target: pytorch");
    const std::vector<std::string> rest(argv.begin() + 1, argv.end());
    if (argv.front() == "pytorch") return runExportPyTorch(rest);
    if (argv.front() == "train-script") return runExportTrainScript(rest);
    throw UsageError("unknown export target '" + argv.front() + "' (known: pytorch, train-script)");
}

} // namespace ml::cli
