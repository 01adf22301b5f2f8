#include "core/Random.h"

#include "core/Error.h"

#include <cmath>
#include <numbers>
#include <utility>

namespace ml {

namespace {

constexpr std::uint64_t kPcgMultiplier = 6364136223846793005ULL;

// SplitMix64: spreads nearby seeds (0, 1, 2, ...) over the whole state space.
std::uint64_t splitMix64(std::uint64_t& x) {
    std::uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

} // namespace

Random::Random(std::uint64_t seed, std::uint64_t stream) {
    std::uint64_t s = seed;
    std::uint64_t t = stream;
    const std::uint64_t initState = splitMix64(s);
    m_state.increment = (splitMix64(t) << 1u) | 1u;
    // pcg32_srandom_r
    m_state.state = 0;
    nextU32();
    m_state.state += initState;
    nextU32();
}

std::uint32_t Random::nextU32() {
    const std::uint64_t old = m_state.state;
    m_state.state = old * kPcgMultiplier + m_state.increment;
    const auto xorShifted = static_cast<std::uint32_t>(((old >> 18u) ^ old) >> 27u);
    const auto rot = static_cast<std::uint32_t>(old >> 59u);
    return (xorShifted >> rot) | (xorShifted << ((32u - rot) & 31u));
}

std::uint64_t Random::nextU64() {
    const std::uint64_t hi = nextU32();
    return (hi << 32u) | nextU32();
}

float Random::uniform() {
    return static_cast<float>(nextU32() >> 8u) * 0x1.0p-24f;
}

float Random::uniform(float lo, float hi) {
    return lo + (hi - lo) * uniform();
}

double Random::uniformDouble() {
    return static_cast<double>(nextU64() >> 11u) * 0x1.0p-53;
}

double Random::uniformDouble(double lo, double hi) {
    return lo + (hi - lo) * uniformDouble();
}

double Random::standardNormal() {
    // u1 in (0, 1] so log(u1) is finite.
    const double u1 = (static_cast<double>(nextU32()) + 1.0) * 0x1.0p-32;
    const double u2 = static_cast<double>(nextU32()) * 0x1.0p-32;
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

float Random::normal(float mean, float stddev) {
    return static_cast<float>(mean + stddev * standardNormal());
}

bool Random::bernoulli(double p) {
    // 53 bits so p is honoured well below float resolution.
    return uniformDouble() < p;
}

Index Random::uniformInt(Index n) {
    ML_ASSERT(n > 0);
    const auto range = static_cast<std::uint64_t>(n);
    // Lemire's nearly divisionless method on 64x64 -> 128 bit products.
    std::uint64_t x = nextU64();
    unsigned __int128 m = static_cast<unsigned __int128>(x) * range;
    auto low = static_cast<std::uint64_t>(m);
    if (low < range) {
        const std::uint64_t threshold = (0 - range) % range;
        while (low < threshold) {
            x = nextU64();
            m = static_cast<unsigned __int128>(x) * range;
            low = static_cast<std::uint64_t>(m);
        }
    }
    return static_cast<Index>(m >> 64u);
}

void Random::fillUniform(float* out, Index n, float lo, float hi) {
    for (Index i = 0; i < n; ++i)
        out[i] = uniform(lo, hi);
}

void Random::fillNormal(float* out, Index n, float mean, float stddev) {
    for (Index i = 0; i < n; ++i)
        out[i] = normal(mean, stddev);
}

void Random::shuffle(std::span<Index> values) {
    for (std::size_t i = values.size(); i > 1; --i) {
        const auto j = static_cast<std::size_t>(uniformInt(static_cast<Index>(i)));
        std::swap(values[i - 1], values[j]);
    }
}

Random Random::fork() {
    const std::uint64_t seed = nextU64();
    const std::uint64_t stream = nextU64();
    return Random(seed, stream);
}

void Random::setState(const State& state) {
    if ((state.increment & 1u) == 0)
        throw Error("random generator state: increment " + std::to_string(state.increment) +
                    " is even (a saved PCG32 increment is always odd)");
    m_state = state;
}

} // namespace ml
