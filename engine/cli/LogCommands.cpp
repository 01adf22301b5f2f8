// import-weights and log: what comes back from PyTorch. Weights trained
// there are checked name by name against the model; a JSONL run log (from
// `train --log` or an exported train.py) is checked line by line.
#include "cli/Cli.h"
#include "core/Error.h"
#include "io/ModelJson.h"
#include "io/Weights.h"
#include "shape/Analysis.h"
#include "train/Trainer.h"

#include <fstream>
#include <iostream>
#include <map>

namespace ml::cli {

int runImportWeights(const std::vector<std::string>& argv) {
    const Args args(argv, {"o", "output"}, {});
    if (args.positionals().size() != 2) throw UsageError("import-weights needs MODEL.json WEIGHTS.safetensors");
    const auto out = args.value("o") ? args.value("o") : args.value("output");
    if (!out) throw UsageError("import-weights needs -o CHECKPOINT");
    const std::string& path = args.positionals()[0];
    const ModelDocument doc = io::readModelFile(path);
    const Analysis analysis = analyze(doc);
    if (!analysis.ok()) throw Error(path + ": the model has errors (run validate)");
    ParameterStore store(analysis.tree);
    // Every missing, unexpected and mis-shaped name at once (load_state_dict's rule).
    io::loadWeights(store, args.positionals()[1]);
    writeWeightsCheckpoint(store, doc.model, *out);
    std::cout << "imported " << analysis.tree.namedParameters().size() << " parameters of " << doc.model
              << " into " << *out << ", a checkpoint at step 0 (train --resume starts from it; predict --weights reads it)\n";
    return kOk;
}

namespace {

// The keys each report line carries (engine/train/Reports.cpp writes them).
const std::map<std::string, std::vector<std::string>>& reportKeys() {
    static const std::map<std::string, std::vector<std::string>> keys{
        {"step", {"step", "epoch", "epoch_fraction", "loss", "losses", "accuracy", "lr", "steps_per_sec"}},
        {"diagnostics", {"step", "modules", "parameters", "shared_uses", "task_cosines"}},
        {"epoch", {"epoch", "train_loss", "train_accuracy", "validation_loss", "validation_accuracy",
                   "validation_samples", "seconds"}},
        {"finished", {"reason", "message", "steps"}},
        // `train --log` and the window's exported runs also carry these.
        {"description", {"model", "modules", "parameters", "shared_uses", "objectives", "task_groups"}},
        {"event", {"event", "step"}},
        {"grid", {"step", "points", "classes"}},
    };
    return keys;
}

} // namespace

int runLog(const std::vector<std::string>& argv) {
    const Args args(argv, {}, {});
    if (args.positionals().size() != 1) throw UsageError("log needs exactly one FILE.jsonl");
    const std::string& path = args.positionals().front();
    std::ifstream in(path);
    if (!in) throw Error(path + ": cannot read");
    std::vector<std::string> problems;
    std::map<std::string, int> counts;
    Json lastEpoch, lastDiagnostics;
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
        if (line.empty()) continue;
        const Json j = Json::parse(line, nullptr, false);
        const std::string where = path + ":" + std::to_string(n);
        if (j.is_discarded() || !j.is_object() || !j.contains("type") || !j["type"].is_string()) {
            problems.push_back(where + ": not a JSON report object with a \"type\"");
            continue;
        }
        const std::string type = j["type"];
        const auto keys = reportKeys().find(type);
        if (keys == reportKeys().end()) {
            problems.push_back(where + ": unknown report type '" + type + "'");
            continue;
        }
        for (const std::string& k : keys->second)
            if (!j.contains(k)) problems.push_back(where + ": " + type + " line without \"" + k + "\"");
        ++counts[type];
        if (type == "epoch") lastEpoch = j;
        if (type == "diagnostics") lastDiagnostics = j;
    }
    for (const std::string& p : problems) std::cout << p << "\n";
    if (!problems.empty()) return kFailed;
    std::cout << path << ": a run with " << counts["step"] << " steps, " << counts["epoch"] << " epochs, "
              << counts["diagnostics"] << " diagnostics";
    if (!lastEpoch.is_null())
        std::cout << "; last epoch train loss " << lastEpoch["train_loss"].dump() << ", validation loss "
                  << lastEpoch["validation_loss"].dump();
    if (!lastDiagnostics.is_null())
        std::cout << "; " << lastDiagnostics["modules"].size() << " modules, "
                  << lastDiagnostics["task_cosines"].size() << " task cosines";
    std::cout << "\n";
    return counts["step"] > 0 ? kOk : kFailed;
}

} // namespace ml::cli
