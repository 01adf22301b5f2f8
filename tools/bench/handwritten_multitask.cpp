// The multi-task example's training step written out by hand for its sizes:
// the limit `modulelab-cli bench resources/examples/multitask.json` is
// measured against (tools/bench/run.py compiles this with g++ -O3
// -march=native and runs it beside the engine).
//
// MultiTaskNetwork(10, 5, [2, 3, 1]) trained jointly, as the bench trains it:
// the trunk (Linear(10, 5), ReLU) once per step, the three heads on its
// output; cross-entropy, cross-entropy and MSE, each weight 1 and averaged
// over the batch; SGD with momentum 0.9, lr 0.01 (PyTorch's update rule);
// batch 64 gathered from 256 random samples in the bench's order. No
// allocation, no indirection, every size a compile-time constant.
//
//     handwritten_multitask [--seconds S]   prints {"steps_per_sec": ..., "ms_per_step": ...}
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

namespace {

constexpr int kIn = 10, kHidden = 5, kBatch = 64, kSamples = 4 * kBatch;
constexpr int kHeads = 3;
constexpr int kOut[kHeads] = {2, 3, 1};
constexpr float kLr = 0.01f, kMomentum = 0.9f;

struct Param {
    std::vector<float> value, grad, momentum;
    explicit Param(int n, std::mt19937& rng, float bound) : value(n), grad(n), momentum(n) {
        std::uniform_real_distribution<float> u(-bound, bound);
        for (float& v : value) v = u(rng);
    }
    void step(bool first) {
        for (size_t i = 0; i < value.size(); ++i) {
            momentum[i] = first ? grad[i] : kMomentum * momentum[i] + grad[i];
            value[i] -= kLr * momentum[i];
        }
    }
};

struct Net {
    std::mt19937 rng{1};
    Param w1{kHidden * kIn, rng, 1 / std::sqrt(float(kIn))}, b1{kHidden, rng, 1 / std::sqrt(float(kIn))};
    std::vector<Param> w, b;
    Net() {
        for (int h = 0; h < kHeads; ++h) {
            w.emplace_back(kOut[h] * kHidden, rng, 1 / std::sqrt(float(kHidden)));
            b.emplace_back(kOut[h], rng, 1 / std::sqrt(float(kHidden)));
        }
    }
};

struct Data {
    float x[kSamples][kIn];
    int class0[kSamples], class1[kSamples];
    float value2[kSamples];
};

// One step; returns the loss (so the work cannot be optimized away).
float trainStep(Net& net, const Data& data, long step, bool first) {
    static float x[kBatch][kIn], hidden[kBatch][kHidden], dhidden[kBatch][kHidden];
    static float out[kBatch][3];
    for (int i = 0; i < kBatch; ++i) std::memcpy(x[i], data.x[(step * kBatch + i) % kSamples], sizeof x[i]);
    for (int i = 0; i < kBatch; ++i)
        for (int j = 0; j < kHidden; ++j) {
            float s = net.b1.value[j];
            for (int k = 0; k < kIn; ++k) s += x[i][k] * net.w1.value[j * kIn + k];
            hidden[i][j] = s > 0 ? s : 0;
        }
    std::fill(&dhidden[0][0], &dhidden[0][0] + kBatch * kHidden, 0.0f);
    float loss = 0;
    for (int h = 0; h < kHeads; ++h) {
        const int n = kOut[h];
        std::vector<float>& W = net.w[h].value;
        std::vector<float>& dW = net.w[h].grad;
        std::vector<float>& db = net.b[h].grad;
        std::fill(dW.begin(), dW.end(), 0.0f);
        std::fill(db.begin(), db.end(), 0.0f);
        for (int i = 0; i < kBatch; ++i) {
            for (int o = 0; o < n; ++o) {
                float s = net.b[h].value[o];
                for (int k = 0; k < kHidden; ++k) s += hidden[i][k] * W[o * kHidden + k];
                out[i][o] = s;
            }
            // d loss / d out, already divided by the batch.
            float g[3];
            if (h < 2) {
                const int target = h == 0 ? data.class0[(step * kBatch + i) % kSamples]
                                          : data.class1[(step * kBatch + i) % kSamples];
                float m = out[i][0];
                for (int o = 1; o < n; ++o) m = std::max(m, out[i][o]);
                float sum = 0;
                for (int o = 0; o < n; ++o) sum += (g[o] = std::exp(out[i][o] - m));
                loss += (std::log(sum) + m - out[i][target]) / kBatch;
                for (int o = 0; o < n; ++o) g[o] = (g[o] / sum - (o == target)) / kBatch;
            } else {
                const float d = out[i][0] - data.value2[(step * kBatch + i) % kSamples];
                loss += d * d / kBatch;
                g[0] = 2 * d / kBatch;
            }
            for (int o = 0; o < n; ++o) {
                db[o] += g[o];
                for (int k = 0; k < kHidden; ++k) {
                    dW[o * kHidden + k] += g[o] * hidden[i][k];
                    dhidden[i][k] += g[o] * W[o * kHidden + k];
                }
            }
        }
    }
    std::fill(net.w1.grad.begin(), net.w1.grad.end(), 0.0f);
    std::fill(net.b1.grad.begin(), net.b1.grad.end(), 0.0f);
    for (int i = 0; i < kBatch; ++i)
        for (int j = 0; j < kHidden; ++j) {
            if (hidden[i][j] <= 0) continue;
            const float d = dhidden[i][j];
            net.b1.grad[j] += d;
            for (int k = 0; k < kIn; ++k) net.w1.grad[j * kIn + k] += d * x[i][k];
        }
    net.w1.step(first);
    net.b1.step(first);
    for (int h = 0; h < kHeads; ++h) {
        net.w[h].step(first);
        net.b[h].step(first);
    }
    return loss;
}

} // namespace

int main(int argc, char** argv) {
    double seconds = 3;
    for (int i = 1; i + 1 < argc; ++i)
        if (!std::strcmp(argv[i], "--seconds")) seconds = std::atof(argv[i + 1]);
    static Data data;
    std::mt19937 rng(7);
    std::normal_distribution<float> normal;
    for (int s = 0; s < kSamples; ++s) {
        for (float& v : data.x[s]) v = normal(rng);
        data.class0[s] = int(rng() % 2);
        data.class1[s] = int(rng() % 3);
        data.value2[s] = float(rng() % 2);
    }
    Net net;
    using Clock = std::chrono::steady_clock;
    float sink = 0;
    long step = 0;
    // Warm-up, then batches of steps timed one by one (as the engine's bench does).
    for (; step < 1000; ++step) sink += trainStep(net, data, step, step == 0);
    std::vector<double> ms;
    const auto end = Clock::now() + std::chrono::duration<double>(seconds);
    while (Clock::now() < end) {
        const auto t0 = Clock::now();
        sink += trainStep(net, data, step++, false);
        ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    }
    std::sort(ms.begin(), ms.end());
    const double median = ms[ms.size() / 2];
    std::printf("{\"steps_per_sec\": %.1f, \"ms_per_step\": %.6f, \"steps\": %zu, \"loss_sum\": %g}\n", 1000.0 / median,
                median, ms.size(), double(sink));
    return std::isfinite(sink) ? 0 : 1;
}
