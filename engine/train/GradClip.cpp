#include "train/GradClip.h"

#include "core/Error.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace ml {

double gradNorm(std::span<const ParamRef> params, double normType) {
    ML_ASSERT(normType > 0.0);
    if (std::isinf(normType)) {
        double m = 0.0;
        for (const ParamRef& p : params)
            for (Index i = 0; i < p.size; ++i) {
                const double a = std::abs(double(p.grad[i]));
                if (std::isnan(a)) return a;
                m = std::max(m, a);
            }
        return m;
    }
    double sum = 0.0;
    for (const ParamRef& p : params) {
        if (normType == 2.0) {
            for (Index i = 0; i < p.size; ++i)
                sum += double(p.grad[i]) * double(p.grad[i]);
        } else {
            for (Index i = 0; i < p.size; ++i)
                sum += std::pow(std::abs(double(p.grad[i])), normType);
        }
    }
    return normType == 2.0 ? std::sqrt(sum) : std::pow(sum, 1.0 / normType);
}

double clipGradNorm(std::span<const ParamRef> params, double maxNorm, double normType) {
    const double total = gradNorm(params, normType);
    const double coef = maxNorm / (total + 1e-6);
    // torch multiplies by min(coef, 1); multiplying by 1 changes nothing, so
    // skip it, but keep NaN flowing through like torch's clamp does.
    if (!(coef >= 1.0)) {
        const auto c = static_cast<float>(coef);
        for (const ParamRef& p : params)
            for (Index i = 0; i < p.size; ++i)
                p.grad[i] *= c;
    }
    return total;
}

} // namespace ml
