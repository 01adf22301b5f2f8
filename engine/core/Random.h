#pragma once
// ml::Random: the engine's one source of randomness (initialization, dropout
// masks, data shuffling, the synthetic datasets). A PCG32 generator (O'Neill, XSH-RR 64/32): small
// state that a checkpoint can store, fast, and independent streams by
// choosing the increment. The same seed gives the same numbers on every run
// and machine; matching PyTorch's generator bit for bit is not a goal.
//
//   ml::Random rng(42);
//   ml::Random dropoutRng = rng.fork();   // independent stream
//   float u = rng.uniform(-0.5f, 0.5f);
#include "core/Tensor.h"

#include <cstdint>
#include <span>

namespace ml {

class Random {
  public:
    // The full generator state, for checkpoints: setState(state()) resumes
    // the exact sequence.
    struct State {
        std::uint64_t state = 0;
        std::uint64_t increment = 1; // always odd
        bool operator==(const State&) const = default;
    };

    explicit Random(std::uint64_t seed = 0, std::uint64_t stream = 0);

    std::uint32_t nextU32();
    std::uint64_t nextU64();

    // ensures: 0 <= result < 1, a multiple of 2^-24 (every float value exact).
    float uniform();
    // ensures: lo <= result <= hi (hi only through float rounding, as in torch).
    float uniform(float lo, float hi);
    // ensures: 0 <= result < 1, 53 random bits (for double-precision users:
    // the datasets' geometry, bernoulli's small p).
    double uniformDouble();
    double uniformDouble(double lo, double hi);
    // Standard normal by Box-Muller in double; uses two draws per call (no
    // cached spare, so the state is just State and the stream does not
    // depend on call parity).
    double standardNormal();
    // mean + stddev * standardNormal(), rounded to float.
    float normal(float mean = 0.0f, float stddev = 1.0f);
    // true with probability p; p <= 0 never, p >= 1 always.
    bool bernoulli(double p);
    // requires: n > 0. ensures: 0 <= result < n, unbiased (Lemire's method).
    Index uniformInt(Index n);

    void fillUniform(float* out, Index n, float lo, float hi);
    void fillNormal(float* out, Index n, float mean, float stddev);
    // Fisher-Yates, in place.
    void shuffle(std::span<Index> values);

    // A new generator on its own stream, seeded from this one (advances this
    // one by two draws). Forking the same parent state gives the same child.
    Random fork();

    State state() const { return m_state; }
    void setState(const State& state);

  private:
    State m_state;
};

} // namespace ml
