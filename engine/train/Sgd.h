#pragma once
// torch.optim.SGD (1.13), one parameter group:
//   d = grad + weight_decay * p
//   if momentum != 0:
//       buf = d                                   at a parameter's first step
//       buf = momentum * buf + (1 - dampening) d  afterwards
//       d = nesterov ? d + momentum * buf : buf
//   p -= lr * d
// State: "momentum_buffer" (only when momentum != 0).
#include "train/Optimizer.h"

#include <limits>

namespace ml {

struct SgdOptions {
    double lr = std::numeric_limits<double>::quiet_NaN(); // required, as in torch
    double momentum = 0.0;
    double dampening = 0.0;
    bool nesterov = false;
    double weightDecay = 0.0;
};

class Sgd final : public Optimizer {
  public:
    // throws ml::Error on a missing/negative lr, negative momentum or weight
    // decay, or nesterov without momentum > 0 and dampening == 0 (torch's checks).
    Sgd(std::vector<ParamRef> params, const SgdOptions& options);
    void step() override;
    const SgdOptions& options() const { return m_options; }

  private:
    SgdOptions m_options;
};

} // namespace ml
