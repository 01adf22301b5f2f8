#include "train/Adam.h"

#include "core/Parallel.h"

#include <cmath>

namespace ml {

namespace {

const AdamOptions& validated(const char* kind, const AdamOptions& o) {
    checkHyperparameter(kind, "learning rate", o.lr, o.lr >= 0.0 && std::isfinite(o.lr));
    checkHyperparameter(kind, "epsilon value", o.eps, o.eps >= 0.0);
    checkHyperparameter(kind, "beta parameter at index 0", o.beta1, o.beta1 >= 0.0 && o.beta1 < 1.0);
    checkHyperparameter(kind, "beta parameter at index 1", o.beta2, o.beta2 >= 0.0 && o.beta2 < 1.0);
    checkHyperparameter(kind, "weight_decay value", o.weightDecay, o.weightDecay >= 0.0);
    return o;
}

} // namespace

Adam::Adam(std::vector<ParamRef> params, const AdamOptions& options)
    : Adam("Adam", std::move(params), options, false) {}

Adam::Adam(std::string kind, std::vector<ParamRef> params, const AdamOptions& options, bool decoupled)
    : Optimizer(kind, std::move(params), validated(kind.c_str(), options).lr, {"exp_avg", "exp_avg_sq"}),
      m_options(options), m_decoupled(decoupled) {}

AdamW::AdamW(std::vector<ParamRef> params, const AdamOptions& options)
    : Adam("AdamW", std::move(params), options, true) {}

void Adam::step() {
    const double lr = this->lr();
    const float beta1 = static_cast<float>(m_options.beta1);
    const float beta2 = static_cast<float>(m_options.beta2);
    const float oneMinusBeta1 = static_cast<float>(1.0 - m_options.beta1);
    const float oneMinusBeta2 = static_cast<float>(1.0 - m_options.beta2);
    const float eps = static_cast<float>(m_options.eps);
    const float wd = static_cast<float>(m_options.weightDecay);
    const float decay = static_cast<float>(1.0 - lr * m_options.weightDecay);
    for (Index k = 0; k < paramCount(); ++k) {
        const ParamRef& p = params()[std::size_t(k)];
        Slot& ms = slot(k, 0);
        Slot& vs = slot(k, 1);
        if (!ms.present) ms = {true, std::vector<float>(std::size_t(p.size), 0.0f)};
        if (!vs.present) vs = {true, std::vector<float>(std::size_t(p.size), 0.0f)};
        float* m = ms.data.data();
        float* v = vs.data.data();
        const Index t = ++steps(k);
        // Bias corrections in double, as torch computes them in Python floats.
        const double bc1 = 1.0 - std::pow(m_options.beta1, double(t));
        const double bc2Sqrt = std::sqrt(1.0 - std::pow(m_options.beta2, double(t)));
        const float negStepSize = static_cast<float>(-(lr / bc1));
        const float bc2SqrtF = static_cast<float>(bc2Sqrt);
        // Plain pointers and scalars, `omp simd` for what GCC cannot prove
        // itself (the parameter, its gradient and the state never overlap), and
        // one loop per kind of weight decay: each vectorizes.
        auto update = [=, value = p.value, grad = p.grad]<bool Decoupled, bool Coupled>(Index begin, Index end) {
#pragma omp simd
            for (Index i = begin; i < end; ++i) {
                const float x = Decoupled ? value[i] * decay : value[i];
                const float g = Coupled ? grad[i] + wd * value[i] : grad[i];
                m[i] = m[i] * beta1 + oneMinusBeta1 * g;
                v[i] = v[i] * beta2 + oneMinusBeta2 * g * g;
                const float denom = std::sqrt(v[i]) / bc2SqrtF + eps;
                value[i] = x + negStepSize * m[i] / denom;
            }
        };
        parallel::forChunks(p.size, kParallelUpdate, [&](Index begin, Index end) {
            if (m_decoupled)
                update.template operator()<true, false>(begin, end);
            else if (wd != 0.0f)
                update.template operator()<false, true>(begin, end);
            else
                update.template operator()<false, false>(begin, end);
        });
    }
}

} // namespace ml
