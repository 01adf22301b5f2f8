#pragma once
// Central-difference gradient checks for the engine's ops, in the spirit of
// ggml's test-backend-ops: perturb each input element by +-eps, evaluate a
// scalar loss L = sum(y * r) with fixed random weights r, and compare
// (L(x+e) - L(x-e)) / 2e with the analytic gradient from the op's backward.
#include "core/Tensor.h"

#include <QTest>
#include <cmath>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace gradcheck {

inline std::vector<float> randomVector(ml::Index n, unsigned seed, float lo = -1.0f, float hi = 1.0f) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> dist(lo, hi);
    std::vector<float> v(static_cast<size_t>(n));
    for (float& x : v) x = dist(rng);
    return v;
}

// Scalar projection of an output: sum(y * r), in double for a stable difference.
inline double project(const std::vector<float>& y, const std::vector<float>& r) {
    double s = 0.0;
    for (size_t i = 0; i < y.size(); ++i) s += double(y[i]) * double(r[i]);
    return s;
}

// forward(): recompute the output from the current inputs and return sum(y*r).
// analytic: the gradient of that same sum with respect to `x`, from backward().
// Checks every element (or `maxElements` evenly spread) and fails the current
// Qt test with the worst element named when any differs by more than
// atol + rtol * |numeric|.
inline bool check(const char* what, std::vector<float>& x, const std::vector<float>& analytic,
                  const std::function<double()>& forward, double eps = 1e-2, double rtol = 2e-2,
                  double atol = 2e-3, size_t maxElements = 400) {
    if (x.size() != analytic.size()) {
        QTest::qFail(qPrintable(QStringLiteral("%1: gradient has %2 elements, input %3")
                                    .arg(what).arg(analytic.size()).arg(x.size())),
                     __FILE__, __LINE__);
        return false;
    }
    const size_t stride = x.size() > maxElements ? x.size() / maxElements : 1;
    for (size_t i = 0; i < x.size(); i += stride) {
        const float saved = x[i];
        x[i] = saved + float(eps);
        const double plus = forward();
        x[i] = saved - float(eps);
        const double minus = forward();
        x[i] = saved;
        const double numeric = (plus - minus) / (2.0 * eps);
        const double diff = std::abs(numeric - double(analytic[i]));
        if (!(diff <= atol + rtol * std::abs(numeric))) {
            QTest::qFail(qPrintable(QStringLiteral("%1[%2]: analytic %3, central difference %4")
                                        .arg(what).arg(i).arg(analytic[i], 0, 'g', 8).arg(numeric, 0, 'g', 8)),
                         __FILE__, __LINE__);
            return false;
        }
    }
    return true;
}

} // namespace gradcheck

// Use inside a Qt test function: returns from it when the check fails.
#define GRADCHECK(...) do { if (!gradcheck::check(__VA_ARGS__)) return; } while (0)
