#pragma once
// modulelab-cli's commands share this small toolkit: argument parsing with
// clear usage errors, and the exit codes every command uses.
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace ml::cli {

enum ExitCode { kOk = 0, kFailed = 1, kUsage = 2 };

class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Parses "--name value", "--name=value" and "--flag"; the rest are positionals.
class Args {
public:
    Args(std::vector<std::string> argv, std::vector<std::string> valueOptions, std::vector<std::string> flags);
    const std::vector<std::string>& positionals() const { return m_positionals; }
    bool flag(const std::string& name) const;
    std::optional<std::string> value(const std::string& name) const;
    std::string value(const std::string& name, const std::string& fallback) const;
    long long integer(const std::string& name, long long fallback, long long min, long long max) const;
    double number(const std::string& name, double fallback, double min, double max) const;

private:
    std::vector<std::string> m_positionals;
    std::map<std::string, std::string> m_values;
    std::vector<std::string> m_flags;
};

int runValidate(const std::vector<std::string>& argv);
int runSummary(const std::vector<std::string>& argv);
int runTrain(const std::vector<std::string>& argv);
int runPredict(const std::vector<std::string>& argv);
int runBench(const std::vector<std::string>& argv);
int runExport(const std::vector<std::string>& argv);
int runExportTrainScript(const std::vector<std::string>& argv);
int runImportWeights(const std::vector<std::string>& argv);
int runLog(const std::vector<std::string>& argv);

} // namespace ml::cli
