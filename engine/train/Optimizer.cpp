#include "train/Optimizer.h"

#include "core/Error.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace ml {

void checkHyperparameter(std::string_view optimizer, std::string_view what, double value, bool ok) {
    if (ok) return;
    std::ostringstream s;
    s << optimizer << ": invalid " << what << " " << value;
    throw Error(s.str());
}

Optimizer::Optimizer(std::string kind, std::vector<ParamRef> params, double lr,
                     std::vector<std::string> stateNames)
    : m_kind(std::move(kind)), m_params(std::move(params)), m_lr(0.0), m_stateNames(std::move(stateNames)) {
    setLr(lr);
    // The caller deduplicates shared parameters; a duplicate here would be
    // updated twice per step, the classic weight-tying bug.
    std::vector<const float*> values;
    for (const ParamRef& p : m_params) {
        ML_ASSERT(p.size >= 0);
        if (p.size == 0) continue;
        ML_ASSERT(p.value != nullptr && p.grad != nullptr);
        values.push_back(p.value);
    }
    std::sort(values.begin(), values.end());
    ML_ASSERT(std::adjacent_find(values.begin(), values.end()) == values.end());
    m_state.assign(m_params.size(), std::vector<Slot>(m_stateNames.size()));
    m_steps.assign(m_params.size(), 0);
}

Optimizer::~Optimizer() = default;

void Optimizer::zeroGrad() {
    for (const ParamRef& p : m_params)
        std::fill(p.grad, p.grad + p.size, 0.0f);
}

void Optimizer::setLr(double lr) {
    checkHyperparameter(m_kind, "learning rate", lr, lr >= 0.0 && std::isfinite(lr));
    m_lr = lr;
}

const ParamRef& Optimizer::param(Index i) const {
    checkParam(i);
    return m_params[std::size_t(i)];
}

void Optimizer::checkParam(Index param) const {
    if (param < 0 || param >= paramCount())
        throw Error(std::string(kind()) + ": parameter " + std::to_string(param) + " does not exist (" +
                    std::to_string(paramCount()) + " parameters)");
}

std::size_t Optimizer::slotIndex(std::string_view name) const {
    const auto it = std::find(m_stateNames.begin(), m_stateNames.end(), name);
    if (it == m_stateNames.end()) {
        std::string known;
        for (const std::string& n : m_stateNames)
            known += (known.empty() ? "" : ", ") + n;
        throw Error(std::string(kind()) + ": no optimizer state named \"" + std::string(name) +
                    "\" (known: " + (known.empty() ? "none" : known) + ")");
    }
    return std::size_t(it - m_stateNames.begin());
}

bool Optimizer::hasState(Index param, std::string_view name) const {
    checkParam(param);
    return m_state[std::size_t(param)][slotIndex(name)].present;
}

std::span<const float> Optimizer::state(Index param, std::string_view name) const {
    checkParam(param);
    const Slot& s = m_state[std::size_t(param)][slotIndex(name)];
    if (!s.present)
        throw Error(std::string(kind()) + ": parameter " + std::to_string(param) + " has no \"" +
                    std::string(name) + "\" yet (it has not taken a step)");
    return s.data;
}

void Optimizer::setState(Index param, std::string_view name, std::span<const float> values) {
    checkParam(param);
    Slot& s = m_state[std::size_t(param)][slotIndex(name)];
    const Index expected = m_params[std::size_t(param)].size;
    if (static_cast<Index>(values.size()) != expected)
        throw Error(std::string(kind()) + ": state \"" + std::string(name) + "\" of parameter " +
                    std::to_string(param) + " has " + std::to_string(values.size()) +
                    " values, the parameter has " + std::to_string(expected));
    s.data.assign(values.begin(), values.end());
    s.present = true;
}

Index Optimizer::stepCount(Index param) const {
    checkParam(param);
    return m_steps[std::size_t(param)];
}

void Optimizer::setStepCount(Index param, Index steps) {
    checkParam(param);
    if (steps < 0)
        throw Error(std::string(kind()) + ": step count " + std::to_string(steps) + " of parameter " +
                    std::to_string(param) + " is negative");
    m_steps[std::size_t(param)] = steps;
}

} // namespace ml
