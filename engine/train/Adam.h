#pragma once
// torch.optim.Adam and torch.optim.AdamW (1.13, amsgrad=False), one group.
// Per parameter, with t its step count after increment:
//   Adam:  g = grad + weight_decay * p          (L2 in the gradient)
//   AdamW: p = p * (1 - lr * weight_decay)      (decoupled decay), g = grad
//   m = beta1 m + (1 - beta1) g
//   v = beta2 v + (1 - beta2) g^2
//   p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
// State: "exp_avg", "exp_avg_sq" and the step count ("step").
#include "train/Optimizer.h"

namespace ml {

struct AdamOptions {
    double lr = 1e-3;
    double beta1 = 0.9;
    double beta2 = 0.999;
    double eps = 1e-8;
    double weightDecay = 0.0; // AdamW's default is 1e-2: use AdamW::defaults()
};

class Adam : public Optimizer {
  public:
    // throws ml::Error on lr < 0, eps < 0, betas outside [0, 1), weight decay < 0.
    Adam(std::vector<ParamRef> params, const AdamOptions& options = {});
    void step() override;
    bool tracksSteps() const override { return true; }
    const AdamOptions& options() const { return m_options; }

  protected:
    Adam(std::string kind, std::vector<ParamRef> params, const AdamOptions& options, bool decoupled);

  private:
    AdamOptions m_options;
    bool m_decoupled;
};

class AdamW final : public Adam {
  public:
    static AdamOptions defaults() {
        AdamOptions o;
        o.weightDecay = 1e-2;
        return o;
    }
    AdamW(std::vector<ParamRef> params, const AdamOptions& options = defaults());
};

} // namespace ml
