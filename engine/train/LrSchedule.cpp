#include "train/LrSchedule.h"

#include "core/Error.h"

#include <cmath>
#include <numbers>
#include <string>

namespace ml {

StepLr::StepLr(double baseLr, Index stepSize, double gamma)
    : LrSchedule(baseLr), m_stepSize(stepSize), m_gamma(gamma) {
    if (stepSize < 1) throw Error("StepLR: step_size " + std::to_string(stepSize) + " must be at least 1");
}

double StepLr::lr(Index epoch) const {
    ML_ASSERT(epoch >= 0);
    return baseLr() * std::pow(m_gamma, double(epoch / m_stepSize));
}

CosineAnnealingLr::CosineAnnealingLr(double baseLr, Index tMax, double etaMin)
    : LrSchedule(baseLr), m_tMax(tMax), m_etaMin(etaMin) {
    if (tMax < 1) throw Error("CosineAnnealingLR: T_max " + std::to_string(tMax) + " must be at least 1");
}

double CosineAnnealingLr::lr(Index epoch) const {
    ML_ASSERT(epoch >= 0);
    return m_etaMin +
           (baseLr() - m_etaMin) * (1.0 + std::cos(std::numbers::pi * double(epoch) / double(m_tMax))) / 2.0;
}

} // namespace ml
