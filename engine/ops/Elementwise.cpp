#include "ops/Elementwise.h"

#include "core/Parallel.h"

#include <Eigen/Core>
#include <algorithm>

namespace ml::ops {

namespace {

using ConstArray = Eigen::Map<const Eigen::ArrayXf>;
using Array = Eigen::Map<Eigen::ArrayXf>;

} // namespace

void identityForward(const float* x, float* y, Index n) {
    if (x == y) return;
    parallel::forLargePass(n, [&](Index b, Index e) { std::copy(x + b, x + e, y + b); });
}

void identityBackward(const float* dy, float* dx, Index n) {
    if (!dx) return;
    parallel::forLargePass(n, [&](Index b, Index e) { Array(dx + b, e - b) += ConstArray(dy + b, e - b); });
}

void addForward(const float* a, const float* b, float* y, Index n, bool reluAfter) {
    parallel::forLargePass(n, [&](Index begin, Index end) {
        const auto sum = ConstArray(a + begin, end - begin) + ConstArray(b + begin, end - begin);
        if (reluAfter)
            Array(y + begin, end - begin) = sum.max(0.0f);
        else
            Array(y + begin, end - begin) = sum;
    });
}

void addBackward(const float* dy, float* da, float* db, Index n) {
    identityBackward(dy, da, n);
    identityBackward(dy, db, n);
}

} // namespace ml::ops
