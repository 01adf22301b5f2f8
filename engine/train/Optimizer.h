#pragma once
// Base class of the optimizers (ml::Sgd, ml::Adam, ml::AdamW): one parameter
// group over a list of UNIQUE parameters (listing parameters removes shared
// ones by identity first; a parameter passed twice would be updated twice,
// so the constructor asserts against it). The optimizer owns its state,
// which is exposed by PyTorch's names per parameter so a checkpoint can
// store and restore it:
//
//   for (Index i = 0; i < opt.paramCount(); ++i)
//       for (const std::string& name : opt.stateNames())   // "exp_avg", ...
//           if (opt.hasState(i, name)) save(i, name, opt.state(i, name));
//   if (opt.tracksSteps()) save(i, "step", opt.stepCount(i));
//
// State is created lazily at a parameter's first step, as in torch (SGD's
// momentum_buffer is None until then).
#include "train/ParamRef.h"

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ml {

class Optimizer {
  public:
    virtual ~Optimizer();
    Optimizer(const Optimizer&) = delete;
    Optimizer& operator=(const Optimizer&) = delete;

    // torch's class name: "SGD", "Adam", "AdamW".
    std::string_view kind() const { return m_kind; }
    // One update of every parameter from its current gradient.
    virtual void step() = 0;
    // Sets every gradient to zero (torch 1.13's zero_grad(set_to_none=False)).
    void zeroGrad();

    double lr() const { return m_lr; }
    // For LR schedules. throws ml::Error if lr is negative or not finite.
    void setLr(double lr);

    Index paramCount() const { return static_cast<Index>(m_params.size()); }
    const ParamRef& param(Index i) const;

    // Names of the per-parameter state buffers this optimizer keeps.
    const std::vector<std::string>& stateNames() const { return m_stateNames; }
    // Whether the optimizer keeps torch's per-parameter "step" count (Adam).
    virtual bool tracksSteps() const { return false; }

    // throws ml::Error for an unknown name.
    bool hasState(Index param, std::string_view name) const;
    // throws ml::Error for an unknown name or state not yet created.
    std::span<const float> state(Index param, std::string_view name) const;
    // Restores a buffer; throws ml::Error naming the parameter and buffer on an
    // unknown name or a size that differs from the parameter's.
    void setState(Index param, std::string_view name, std::span<const float> values);
    Index stepCount(Index param) const;
    void setStepCount(Index param, Index steps);

  protected:
    // throws ml::Error for a negative or non-finite lr.
    Optimizer(std::string kind, std::vector<ParamRef> params, double lr, std::vector<std::string> stateNames);

    struct Slot {
        bool present = false;
        std::vector<float> data;
    };
    Slot& slot(Index param, std::size_t index) { return m_state[std::size_t(param)][index]; }
    const std::vector<ParamRef>& params() const { return m_params; }
    Index& steps(Index param) { return m_steps[std::size_t(param)]; }
    // Parameters of at least this many floats are updated on every compute
    // thread (parallel::forChunks): each element's update is its own, so the
    // result is the same; smaller ones stay on one.
    static constexpr Index kParallelUpdate = Index(1) << 15;

  private:
    std::size_t slotIndex(std::string_view name) const;
    void checkParam(Index param) const;

    std::string m_kind;
    std::vector<ParamRef> m_params;
    double m_lr;
    std::vector<std::string> m_stateNames;
    std::vector<std::vector<Slot>> m_state; // [param][state name]
    std::vector<Index> m_steps;
};

// Shared validation of hyperparameters; throws ml::Error "<optimizer>: invalid <what> <value>".
void checkHyperparameter(std::string_view optimizer, std::string_view what, double value, bool ok);

} // namespace ml
