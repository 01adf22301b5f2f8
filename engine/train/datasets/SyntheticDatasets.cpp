#include "train/datasets/SyntheticDatasets.h"

#include "core/Error.h"
#include "core/Random.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>

namespace ml::data {
namespace {

constexpr double kPi = 3.14159265358979323846;

std::string num(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

void checkCount(const char* generator, Index count, Index classes) {
    if (count < classes)
        throw Error(std::string(generator) + ": count " + std::to_string(count) + " must be at least " +
                    std::to_string(classes) + " (one sample per class)");
    if (count > 100'000'000) throw Error(std::string(generator) + ": count " + std::to_string(count) + " is too large");
}

void checkNoise(const char* generator, float noise) {
    if (!(noise >= 0.0f) || !std::isfinite(noise))
        throw Error(std::string(generator) + ": noise " + num(noise) + " must be finite and >= 0");
}

Target classTarget(std::string name, Index classCount, Index count) {
    Target t;
    t.name = std::move(name);
    t.kind = TargetKind::Classes;
    t.classCount = classCount;
    t.classes.resize(static_cast<size_t>(count));
    return t;
}

// A 2-D dataset whose sample i has class i % classes; `point` returns the
// noiseless coordinates for a class.
template <typename PointFn>
Dataset makePlanar(std::string name, std::string source, Index count, Index classes, float noise,
                   std::uint64_t seed, PointFn point) {
    Dataset d;
    d.name = std::move(name);
    d.source = std::move(source);
    d.features = Tensor({count, 2});
    d.targets.push_back(classTarget("label", classes, count));
    Random rng(seed);
    float* x = d.features.ptr();
    for (Index i = 0; i < count; ++i) {
        const Index c = i % classes;
        auto [px, py] = point(rng, c);
        x[2 * i] = static_cast<float>(px + noise * rng.standardNormal());
        x[2 * i + 1] = static_cast<float>(py + noise * rng.standardNormal());
        d.targets[0].classes[static_cast<size_t>(i)] = c;
    }
    return d;
}

} // namespace

Dataset makeSpirals(Index count, int arms, float noise, std::uint64_t seed) {
    if (arms < 2) throw Error("makeSpirals: arms " + std::to_string(arms) + " must be at least 2");
    checkCount("makeSpirals", count, arms);
    checkNoise("makeSpirals", noise);
    const std::string source = "makeSpirals(count=" + std::to_string(count) + ", arms=" + std::to_string(arms) +
                               ", noise=" + num(noise) + ", seed=" + std::to_string(seed) + ")";
    return makePlanar("spirals", source, count, arms, noise, seed, [arms](Random& rng, Index arm) {
        const double t = rng.uniformDouble();
        const double angle = 2.0 * kPi * static_cast<double>(arm) / arms + t * 1.5 * 2.0 * kPi;
        return std::pair{t * std::cos(angle), t * std::sin(angle)};
    });
}

Dataset makeMoons(Index count, float noise, std::uint64_t seed) {
    checkCount("makeMoons", count, 2);
    checkNoise("makeMoons", noise);
    const std::string source =
        "makeMoons(count=" + std::to_string(count) + ", noise=" + num(noise) + ", seed=" + std::to_string(seed) + ")";
    return makePlanar("moons", source, count, 2, noise, seed, [](Random& rng, Index c) {
        const double a = rng.uniformDouble(0.0, kPi);
        return c == 0 ? std::pair{std::cos(a), std::sin(a)} : std::pair{1.0 - std::cos(a), 0.5 - std::sin(a)};
    });
}

Dataset makeCircles(Index count, float noise, float factor, std::uint64_t seed) {
    checkCount("makeCircles", count, 2);
    checkNoise("makeCircles", noise);
    if (!(factor > 0.0f && factor < 1.0f)) throw Error("makeCircles: factor " + num(factor) + " must be in (0, 1)");
    const std::string source = "makeCircles(count=" + std::to_string(count) + ", noise=" + num(noise) +
                               ", factor=" + num(factor) + ", seed=" + std::to_string(seed) + ")";
    return makePlanar("circles", source, count, 2, noise, seed, [factor](Random& rng, Index c) {
        const double a = rng.uniformDouble(0.0, 2.0 * kPi);
        const double r = c == 0 ? 1.0 : factor;
        return std::pair{r * std::cos(a), r * std::sin(a)};
    });
}

Dataset makeXor(Index count, float noise, std::uint64_t seed) {
    checkCount("makeXor", count, 2);
    checkNoise("makeXor", noise);
    const std::string source =
        "makeXor(count=" + std::to_string(count) + ", noise=" + num(noise) + ", seed=" + std::to_string(seed) + ")";
    return makePlanar("xor", source, count, 2, noise, seed, [](Random& rng, Index c) {
        // Draw magnitudes and choose signs so that the class is exact and
        // balanced: class 1 has opposite signs.
        const double ax = rng.uniformDouble(), ay = rng.uniformDouble();
        const bool xPositive = rng.uniformDouble() < 0.5;
        const bool yPositive = c == 0 ? xPositive : !xPositive;
        return std::pair{xPositive ? ax : -ax, yPositive ? ay : -ay};
    });
}

Dataset makeBlobs(Index count, int classes, int dims, float spread, std::uint64_t seed) {
    if (classes < 2) throw Error("makeBlobs: classes " + std::to_string(classes) + " must be at least 2");
    if (dims < 1 || dims > 4096) throw Error("makeBlobs: dims " + std::to_string(dims) + " must be in [1, 4096]");
    checkCount("makeBlobs", count, classes);
    checkNoise("makeBlobs", spread);
    Dataset d;
    d.name = "blobs";
    d.source = "makeBlobs(count=" + std::to_string(count) + ", classes=" + std::to_string(classes) +
               ", dims=" + std::to_string(dims) + ", spread=" + num(spread) + ", seed=" + std::to_string(seed) + ")";
    d.features = Tensor({count, dims});
    d.targets.push_back(classTarget("label", classes, count));
    Random rng(seed);
    std::vector<double> centres(static_cast<size_t>(classes) * dims);
    for (double& c : centres) c = rng.uniformDouble(-5.0, 5.0);
    float* x = d.features.ptr();
    for (Index i = 0; i < count; ++i) {
        const Index c = i % classes;
        for (int j = 0; j < dims; ++j)
            x[i * dims + j] = static_cast<float>(centres[c * dims + j] + spread * rng.standardNormal());
        d.targets[0].classes[static_cast<size_t>(i)] = c;
    }
    return d;
}

Dataset makeMultiTask(Index count, float noise, std::uint64_t seed) {
    checkCount("makeMultiTask", count, 1);
    checkNoise("makeMultiTask", noise);
    Dataset d;
    d.name = "multitask";
    d.source =
        "makeMultiTask(count=" + std::to_string(count) + ", noise=" + num(noise) + ", seed=" + std::to_string(seed) + ")";
    d.features = Tensor({count, 10});
    d.targets.push_back(classTarget("task0", 2, count));
    d.targets.push_back(classTarget("task1", 3, count));
    Target reg;
    reg.name = "task2";
    reg.kind = TargetKind::Values;
    reg.values = Tensor({count, 1});
    d.targets.push_back(std::move(reg));
    Random rng(seed);
    for (Index i = 0; i < count; ++i) {
        float* x = d.features.ptr() + i * 10;
        for (int j = 0; j < 10; ++j) x[j] = static_cast<float>(rng.standardNormal());
        const double s0 = x[0] + x[1] - x[2] + noise * rng.standardNormal();
        const std::array<double, 3> s1 = {x[3] + x[4] + noise * rng.standardNormal(), x[5] - x[3] + noise * rng.standardNormal(),
                                          0.5 * x[6] - x[4] + noise * rng.standardNormal()};
        const double y = std::sin(x[7]) + 0.5 * x[8] * x[9] + 0.3 * x[0] + noise * rng.standardNormal();
        d.targets[0].classes[static_cast<size_t>(i)] = s0 > 0.0 ? 1 : 0;
        d.targets[1].classes[static_cast<size_t>(i)] = std::max_element(s1.begin(), s1.end()) - s1.begin();
        d.targets[2].values.data[static_cast<size_t>(i)] = static_cast<float>(y);
    }
    return d;
}

Dataset makeShapeImages(Index count, float noise, std::uint64_t seed) {
    constexpr int kClasses = 10, kSide = 32;
    checkCount("makeShapeImages", count, kClasses);
    checkNoise("makeShapeImages", noise);
    static const std::array<std::array<float, 3>, kClasses> colours = {{{1.0f, 0.2f, 0.2f},
                                                                        {0.2f, 1.0f, 0.2f},
                                                                        {0.3f, 0.4f, 1.0f},
                                                                        {1.0f, 1.0f, 0.2f},
                                                                        {0.2f, 1.0f, 1.0f},
                                                                        {1.0f, 0.2f, 1.0f},
                                                                        {0.95f, 0.95f, 0.95f},
                                                                        {1.0f, 0.6f, 0.1f},
                                                                        {0.6f, 0.3f, 0.9f},
                                                                        {1.0f, 0.6f, 0.7f}}};
    Dataset d;
    d.name = "shapes";
    d.source = "makeShapeImages(count=" + std::to_string(count) + ", noise=" + num(noise) +
               ", seed=" + std::to_string(seed) + ")";
    d.features = Tensor({count, 3, kSide, kSide});
    d.targets.push_back(classTarget("label", kClasses, count));
    d.targets[0].classNames = {"square", "disc",  "horizontal stripes", "vertical stripes", "diagonal stripes",
                               "ring",   "plus",  "checkerboard",       "triangle",         "hollow square"};
    Random rng(seed);
    const auto band = [](double v, double width) { return static_cast<long>(std::floor((v + 64.0) / width)) % 2 == 0; };
    for (Index i = 0; i < count; ++i) {
        const int c = static_cast<int>(i % kClasses);
        const double cx = 15.5 + rng.uniformDouble(-5.0, 5.0), cy = 15.5 + rng.uniformDouble(-5.0, 5.0);
        const double s = rng.uniformDouble(7.0, 10.5); // half size
        const double brightness = rng.uniformDouble(0.7, 1.0);
        const double background = rng.uniformDouble(0.0, 0.2);
        float* img = d.features.ptr() + i * 3 * kSide * kSide;
        for (int y = 0; y < kSide; ++y) {
            for (int x = 0; x < kSide; ++x) {
                const double dx = x - cx, dy = y - cy;
                const bool box = std::abs(dx) <= s && std::abs(dy) <= s;
                const double r2 = dx * dx + dy * dy;
                bool on = false;
                switch (c) {
                case 0: on = box; break;
                case 1: on = r2 <= s * s; break;
                case 2: on = box && band(dy, 2.0); break;
                case 3: on = box && band(dx, 2.0); break;
                case 4: on = box && band(dx + dy, 3.0); break;
                case 5: on = r2 <= s * s && r2 >= 0.36 * s * s; break;
                case 6: on = box && (std::abs(dx) <= s / 3 || std::abs(dy) <= s / 3); break;
                case 7: on = box && (band(dx, 3.0) == band(dy, 3.0)); break;
                case 8: on = std::abs(dy) <= s && std::abs(dx) <= (dy + s) / 2; break;
                case 9: on = box && !(std::abs(dx) <= s - 2.5 && std::abs(dy) <= s - 2.5); break;
                }
                for (int ch = 0; ch < 3; ++ch) {
                    const double v = on ? brightness * colours[c][ch] : background;
                    img[(ch * kSide + y) * kSide + x] =
                        static_cast<float>(std::clamp(v + noise * rng.standardNormal(), 0.0, 1.0));
                }
            }
        }
        d.targets[0].classes[static_cast<size_t>(i)] = c;
    }
    return d;
}

} // namespace ml::data
