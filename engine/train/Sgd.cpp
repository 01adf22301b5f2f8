#include "train/Sgd.h"

#include "core/Parallel.h"

#include <algorithm>
#include <cmath>

namespace ml {

namespace {

const SgdOptions& validated(const SgdOptions& o) {
    checkHyperparameter("SGD", "learning rate", o.lr, o.lr >= 0.0 && std::isfinite(o.lr));
    checkHyperparameter("SGD", "momentum", o.momentum, o.momentum >= 0.0);
    checkHyperparameter("SGD", "weight_decay", o.weightDecay, o.weightDecay >= 0.0);
    checkHyperparameter("SGD", "dampening for nesterov (needs momentum > 0 and dampening 0)", o.dampening,
                        !o.nesterov || (o.momentum > 0.0 && o.dampening == 0.0));
    return o;
}

} // namespace

Sgd::Sgd(std::vector<ParamRef> params, const SgdOptions& options)
    : Optimizer("SGD", std::move(params), validated(options).lr,
                options.momentum != 0.0 ? std::vector<std::string>{"momentum_buffer"}
                                        : std::vector<std::string>{}),
      m_options(options) {}

void Sgd::step() {
    // Scalars rounded to float as torch does when it applies them to float tensors.
    const float lr = static_cast<float>(this->lr());
    const float wd = static_cast<float>(m_options.weightDecay);
    const float momentum = static_cast<float>(m_options.momentum);
    const float oneMinusDampening = static_cast<float>(1.0 - m_options.dampening);
    const bool useMomentum = m_options.momentum != 0.0;
    for (Index k = 0; k < paramCount(); ++k) {
        const ParamRef& p = params()[std::size_t(k)];
        float* buf = nullptr;
        bool first = false;
        if (useMomentum) {
            Slot& s = slot(k, 0);
            if (!s.present) {
                s.data.assign(std::size_t(p.size), 0.0f);
                s.present = true;
                first = true;
            }
            buf = s.data.data();
        }
        const bool nesterov = m_options.nesterov, decays = wd != 0.0f;
        // Plain pointers and scalars, `omp simd` for what GCC cannot prove
        // itself (the parameter, its gradient and the buffer never overlap), and
        // selects instead of stores under a branch: the loops vectorize.
        parallel::forChunks(p.size, kParallelUpdate, [=, value = p.value, grad = p.grad](Index begin, Index end) {
            if (!buf) {
#pragma omp simd
                for (Index i = begin; i < end; ++i) {
                    const float x = value[i];
                    const float d = decays ? grad[i] + wd * x : grad[i];
                    value[i] = x + (-lr) * d;
                }
                return;
            }
#pragma omp simd
            for (Index i = begin; i < end; ++i) {
                const float x = value[i];
                const float d = decays ? grad[i] + wd * x : grad[i];
                const float b = first ? d : buf[i] * momentum + oneMinusDampening * d;
                buf[i] = b;
                value[i] = x + (-lr) * (nesterov ? d + momentum * b : b);
            }
        });
        ++steps(k);
    }
}

} // namespace ml
