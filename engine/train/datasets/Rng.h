#pragma once
// A small seeded random source for datasets. The standard library's
// distributions and std::shuffle are implementation-defined, so a dataset
// made from them could differ between compilers; everything here is defined
// bit for bit (SplitMix64 seeding, xoshiro256** generator, Box-Muller).
#include <cmath>
#include <cstdint>

namespace ml::data {

class Rng {
public:
    explicit Rng(std::uint64_t seed) {
        std::uint64_t x = seed;
        for (std::uint64_t& s : m_state) s = splitMix(x);
    }

    std::uint64_t nextU64() {
        const std::uint64_t result = rotl(m_state[1] * 5, 7) * 9;
        const std::uint64_t t = m_state[1] << 17;
        m_state[2] ^= m_state[0];
        m_state[3] ^= m_state[1];
        m_state[1] ^= m_state[2];
        m_state[0] ^= m_state[3];
        m_state[2] ^= t;
        m_state[3] = rotl(m_state[3], 45);
        return result;
    }

    // ensures: 0 <= result < 1, 53 random bits.
    double uniform() { return static_cast<double>(nextU64() >> 11) * 0x1.0p-53; }
    double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }

    // requires: n > 0; ensures: 0 <= result < n, unbiased (rejection).
    std::uint64_t below(std::uint64_t n) {
        const std::uint64_t limit = UINT64_MAX - UINT64_MAX % n;
        std::uint64_t r;
        do r = nextU64();
        while (r >= limit);
        return r % n;
    }

    // Standard normal; Box-Muller, one value per call (the pair's twin is
    // dropped so that the stream does not depend on call parity).
    double normal() {
        const double u1 = 1.0 - uniform(); // (0, 1]: log stays finite
        const double u2 = uniform();
        return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
    }

private:
    static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    static std::uint64_t splitMix(std::uint64_t& x) {
        std::uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    std::uint64_t m_state[4];
};

} // namespace ml::data
