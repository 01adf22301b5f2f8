#include "cli/Cli.h"

#include <algorithm>
#include <cctype>
#include <cmath>

namespace ml::cli {

Args::Args(std::vector<std::string> argv, std::vector<std::string> valueOptions, std::vector<std::string> flags) {
    auto has = [](const std::vector<std::string>& list, const std::string& s) {
        return std::find(list.begin(), list.end(), s) != list.end();
    };
    for (size_t i = 0; i < argv.size(); ++i) {
        const std::string& a = argv[i];
        // "--name" options, and one-letter "-o" style ones.
        const bool longOption = a.size() >= 3 && a.starts_with("--");
        const bool shortOption = a.size() == 2 && a[0] == '-' && std::isalpha(static_cast<unsigned char>(a[1]));
        if (!longOption && !shortOption) {
            m_positionals.push_back(a);
            continue;
        }
        std::string name = a.substr(longOption ? 2 : 1), value;
        const size_t eq = name.find('=');
        const bool inlineValue = eq != std::string::npos;
        if (inlineValue) {
            value = name.substr(eq + 1);
            name = name.substr(0, eq);
        }
        if (has(flags, name) && !inlineValue) {
            m_flags.push_back(name);
        } else if (has(valueOptions, name)) {
            if (!inlineValue) {
                if (i + 1 >= argv.size()) throw UsageError("--" + name + " needs a value");
                value = argv[++i];
            }
            m_values[name] = value;
        } else {
            throw UsageError("unknown option " + a);
        }
    }
}

bool Args::flag(const std::string& name) const {
    return std::find(m_flags.begin(), m_flags.end(), name) != m_flags.end();
}

std::optional<std::string> Args::value(const std::string& name) const {
    auto it = m_values.find(name);
    if (it == m_values.end()) return std::nullopt;
    return it->second;
}

std::string Args::value(const std::string& name, const std::string& fallback) const {
    return value(name).value_or(fallback);
}

long long Args::integer(const std::string& name, long long fallback, long long min, long long max) const {
    const auto v = value(name);
    if (!v) return fallback;
    size_t used = 0;
    long long n = 0;
    try {
        n = std::stoll(*v, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used == 0 || used != v->size())
        throw UsageError("--" + name + " must be an integer, got '" + *v + "'");
    if (n < min || n > max)
        throw UsageError("--" + name + " must be between " + std::to_string(min) + " and " + std::to_string(max) +
                         ", got " + *v);
    return n;
}

double Args::number(const std::string& name, double fallback, double min, double max) const {
    const auto v = value(name);
    if (!v) return fallback;
    size_t used = 0;
    double x = 0;
    try {
        x = std::stod(*v, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used == 0 || used != v->size() || !std::isfinite(x))
        throw UsageError("--" + name + " must be a number, got '" + *v + "'");
    if (x < min || x > max)
        throw UsageError("--" + name + " must be between " + std::to_string(min) + " and " + std::to_string(max) +
                         ", got " + *v);
    return x;
}

} // namespace ml::cli
