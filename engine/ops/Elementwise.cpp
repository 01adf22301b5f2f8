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

void addForward(const float* a, const float* b, float* y, Index n) {
    parallel::forLargePass(n, [&](Index begin, Index end) {
        Array(y + begin, end - begin) = ConstArray(a + begin, end - begin) + ConstArray(b + begin, end - begin);
    });
}

void addBackward(const float* dy, float* da, float* db, Index n) {
    identityBackward(dy, da, n);
    identityBackward(dy, db, n);
}

} // namespace ml::ops
