#pragma once
// What Trainer's files (Trainer, TrainerRun, TrainerDiagnostics,
// TrainerCheckpoint) share; not for use outside the trainer.
#include "core/Error.h"
#include "train/Objective.h"

#include <limits>
#include <string>
#include <vector>

namespace ml::detail {

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Thrown by a step whose loss is not finite; run() ends the run with Reason::NonFinite.
class NonFiniteError : public Error {
public:
    using Error::Error;
};

inline double norm2(const std::vector<float>& v) {
    double s = 0;
    for (float x : v) s += double(x) * x;
    return s;
}

// An objective group's name in reports: its index values, else its output.
inline std::string groupLabel(const Objective& o) {
    std::string s;
    for (const auto& [name, value] : o.indexValues) s += (s.empty() ? "" : ", ") + name + "=" + std::to_string(value);
    return s.empty() ? o.output : s;
}

} // namespace ml::detail
