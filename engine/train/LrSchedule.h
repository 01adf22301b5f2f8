#pragma once
// Learning-rate schedules as closed forms of the epoch (or step) count,
// PyTorch's _get_closed_form_lr, so a resumed run needs only the count:
//   StepLR:            lr(e) = base * gamma^floor(e / step_size)
//   CosineAnnealingLR: lr(e) = eta_min + (base - eta_min) (1 + cos(pi e / T_max)) / 2
// (the cosine keeps its period past T_max, as torch's closed form does).
#include "core/Tensor.h"

namespace ml {

class LrSchedule {
  public:
    explicit LrSchedule(double baseLr) : m_baseLr(baseLr) {}
    virtual ~LrSchedule() = default;
    double baseLr() const { return m_baseLr; }
    // requires: epoch >= 0
    virtual double lr(Index epoch) const = 0;

  private:
    double m_baseLr;
};

class StepLr final : public LrSchedule {
  public:
    // throws ml::Error when stepSize < 1.
    StepLr(double baseLr, Index stepSize, double gamma = 0.1);
    double lr(Index epoch) const override;

  private:
    Index m_stepSize;
    double m_gamma;
};

class CosineAnnealingLr final : public LrSchedule {
  public:
    // throws ml::Error when tMax < 1.
    CosineAnnealingLr(double baseLr, Index tMax, double etaMin = 0.0);
    double lr(Index epoch) const override;

  private:
    Index m_tMax;
    double m_etaMin;
};

} // namespace ml
