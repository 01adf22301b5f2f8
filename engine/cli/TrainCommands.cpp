// train, predict and bench: the engine's training side from the shell.
#include "cli/Cli.h"
#include "core/Error.h"
#include "exec/Threads.h"
#include "io/ModelJson.h"
#include "io/PyTorchExport.h"
#include "train/TrainScriptExport.h"
#include "io/Weights.h"
#include "kernels/Gemm.h"
#include "kernels/KernelTable.h"
#include "train/Trainer.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <pthread.h>
#include <sched.h>
#include <thread>
#include <unistd.h>

namespace ml::cli {

namespace {

std::string percent(double x) {
    if (!std::isfinite(x)) return "-";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f%%", 100.0 * x);
    return buf;
}

std::string fixed(double x, int digits = 4) {
    if (!std::isfinite(x)) return "-";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.*f", digits, x);
    return buf;
}

double peakRssMb() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
        if (line.starts_with("VmHWM:")) return std::stod(line.substr(6)) / 1024.0;
    return 0.0;
}

TrainingConfig configFrom(const ModelDocument& doc, const Args& args) {
    TrainingConfig c = readTrainingConfig(doc.training);
    c.dataset = args.value("dataset", c.dataset.empty() ? defaultDatasetFor(doc) : c.dataset);
    c.epochs = args.integer("epochs", c.epochs, 1, 1'000'000);
    c.batchSize = args.integer("batch", c.batchSize, 1, 1 << 20);
    c.maxSteps = args.integer("max-steps", c.maxSteps, 0, Index(1) << 40);
    c.seed = static_cast<std::uint64_t>(args.integer("seed", static_cast<long long>(c.seed), 0, Index(1) << 62));
    c.threads = static_cast<int>(args.integer("threads", c.threads, 0, 256));
    c.validationFraction = args.number("validation", c.validationFraction, 0.0, 0.9);
    c.diagnosticsEvery = args.integer("diagnostics-every", c.diagnosticsEvery, 1, 1'000'000);
    c.clipGradNorm = args.number("clip", c.clipGradNorm, 0.0, 1e12);
    if (const auto o = args.value("optimizer")) {
        if (*o != "sgd" && *o != "adam" && *o != "adamw")
            throw UsageError("--optimizer must be sgd, adam or adamw, got '" + *o + "'");
        if (*o != c.optimizer.type) {
            c.optimizer = OptimizerConfig{};
            c.optimizer.type = *o;
            c.optimizer.lr = *o == "sgd" ? 0.01 : 1e-3;
            if (*o == "adamw") c.optimizer.weightDecay = 1e-2;
        }
    }
    c.optimizer.lr = args.number("lr", c.optimizer.lr, 0.0, 1e6);
    c.optimizer.momentum = args.number("momentum", c.optimizer.momentum, 0.0, 1.0);
    c.optimizer.weightDecay = args.number("weight-decay", c.optimizer.weightDecay, 0.0, 1e6);
    if (const auto s = args.value("schedule")) {
        if (*s != "joint" && *s != "round_robin") throw UsageError("--schedule must be joint or round_robin");
        c.roundRobin = *s == "round_robin";
    }
    if (const auto t = args.value("target")) c.csvTargets = {*t};
    if (const auto s = args.value("lr-schedule")) {
        if (*s != "step" && *s != "cosine" && *s != "none")
            throw UsageError("--lr-schedule must be step, cosine or none, got '" + *s + "'");
        c.lrSchedule.type = *s == "none" ? "" : *s;
    }
    // Losses name dataset targets; a different dataset brings its own.
    if (args.value("dataset") && doc.training.contains("dataset") && doc.training["dataset"] != *args.value("dataset"))
        c.objectives.clear();
    return c;
}

void printProgress(bool tty, const StepReport& r, Index epochs, Index stepsPerEpoch) {
    if (tty) {
        const int width = 24;
        const int filled = static_cast<int>(r.epochFraction * width);
        std::string bar(static_cast<size_t>(filled), '#');
        bar.resize(width, '.');
        std::cout << "\repoch " << r.epoch + 1 << "/" << epochs << " [" << bar << "] " << percent(r.epochFraction)
                  << "  loss " << fixed(r.loss) << "  " << fixed(r.stepsPerSecond, 0) << " steps/s   " << std::flush;
        return;
    }
    const Index every = std::max<Index>(1, stepsPerEpoch / 5);
    if (r.step % every == 0)
        std::cout << "epoch " << r.epoch + 1 << "/" << epochs << " step " << r.step << " (" << percent(r.epochFraction)
                  << ")  loss " << fixed(r.loss) << "  lr " << r.lr << "  " << fixed(r.stepsPerSecond, 0)
                  << " steps/s\n";
}

} // namespace

int runTrain(const std::vector<std::string>& argv) {
    const Args args(argv,
                    {"dataset", "epochs", "batch", "optimizer", "lr", "momentum", "weight-decay", "seed", "threads",
                     "log", "save", "checkpoint", "resume", "schedule", "target", "max-steps", "validation",
                     "diagnostics-every", "clip", "lr-schedule"},
                    {"quiet"});
    if (args.positionals().size() != 1) throw UsageError("train needs exactly one model file");
    const ModelDocument doc = io::readModelFile(args.positionals().front());
    const TrainingConfig config = configFrom(doc, args);
    const bool quiet = args.flag("quiet");
    TrainingData data = loadTrainingData(config);
    if (!quiet) std::cout << "dataset: " << data.description << "\n";
    Trainer trainer(doc, config, std::move(data));
    if (const auto resume = args.value("resume")) trainer.loadCheckpoint(*resume);
    const std::vector<Objective>& objectives = trainer.objectives();
    if (!quiet) {
        if (!trainer.adaptation().empty()) std::cout << "note: " << trainer.adaptation() << "\n";
        std::cout << "model: " << doc.model << ", " << trainer.analysis().tree.uniqueParameterCount()
                  << " parameters; optimizer " << config.optimizer.type << " lr " << config.optimizer.lr
                  << "; batch " << trainer.plan().maxBatch() << "; " << config.epochs << " epoch(s)"
                  << (config.roundRobin ? "; round robin" : "") << "\n";
        for (const Objective& o : objectives) std::cout << "objective: " << o.label() << " (weight " << o.weight << ")\n";
    }
    std::ofstream log;
    if (const auto path = args.value("log")) {
        log.open(*path, std::ios::trunc);
        if (!log) throw Error(*path + ": cannot write the log");
    }
    const bool tty = ::isatty(STDOUT_FILENO) && !quiet;
    const Index stepsPerEpoch = std::max<Index>(1, trainer.data().train.count() / trainer.plan().maxBatch());
    FinishedReport finished;
    trainer.setReportCallback([&](const Report& r) {
        if (log.is_open()) log << reportToJson(r).dump() << "\n";
        if (const auto* s = std::get_if<StepReport>(&r)) {
            if (!quiet) printProgress(tty, *s, config.epochs, stepsPerEpoch);
        } else if (const auto* e = std::get_if<EpochReport>(&r)) {
            if (tty) std::cout << "\n";
            std::cout << "epoch " << e->epoch + 1 << ": train loss " << fixed(e->trainLoss) << " | validation";
            for (size_t k = 0; k < objectives.size(); ++k) {
                std::cout << (objectives.size() > 1 ? "  [" + objectives[k].label() + "]" : "") << " loss "
                          << fixed(e->validationLoss[k]);
                if (std::isfinite(e->validationAccuracy[k])) std::cout << " accuracy " << percent(e->validationAccuracy[k]);
            }
            std::cout << "  (" << fixed(e->seconds, 1) << " s)\n" << std::flush;
        } else if (const auto* f = std::get_if<FinishedReport>(&r)) {
            finished = *f;
        }
    });
    trainer.start();
    trainer.wait();
    if (finished.reason == FinishedReport::Reason::NonFinite || finished.reason == FinishedReport::Reason::Failed) {
        std::cerr << "training stopped: " << finished.message << "\n";
        return kFailed;
    }
    if (const auto path = args.value("save")) {
        io::saveWeights(trainer.parameters(), *path, {{"model", doc.model}, {"steps", std::to_string(finished.steps)}});
        if (!quiet) std::cout << "weights saved to " << *path << "\n";
    }
    if (const auto path = args.value("checkpoint")) trainer.saveCheckpoint(*path);
    return kOk;
}

int runPredict(const std::vector<std::string>& argv) {
    const Args args(argv, {"weights", "input", "output", "o", "batch", "threads"}, {});
    if (args.positionals().size() != 1) throw UsageError("predict needs exactly one model file");
    const auto weights = args.value("weights");
    const auto input = args.value("input");
    const auto output = args.value("output") ? args.value("output") : args.value("o");
    if (!weights || !input || !output) throw UsageError("predict needs --weights, --input and -o");
    setComputeThreads(static_cast<int>(args.integer("threads", 0, 0, 256)));
    const ModelDocument doc = io::readModelFile(args.positionals().front());
    const Analysis analysis = analyze(doc);
    if (!analysis.ok()) throw Error(args.positionals().front() + ": the model has errors (run validate)");
    ParameterStore store(analysis.tree);
    io::loadWeights(store, *weights);
    const io::SafetensorsFile in = io::readSafetensors(*input);
    const Index chunk = args.integer("batch", 256, 1, 1 << 20);
    // Every float input must hold the same number of samples, shaped as the model says.
    Index n = -1;
    const BlockDef& top = *doc.findDefinition(doc.model);
    for (size_t i = 0; i < top.inputs.size(); ++i) {
        const io::NamedTensor* t = in.find(top.inputs[i].name);
        if (!t) throw Error(*input + ": no tensor named '" + top.inputs[i].name + "' (the model's input " + std::to_string(i) + ")");
        if (top.inputs[i].dtype == DType::Int64) {
            if (t->isFloat() || t->numel() != 1)
                throw Error(*input + ": '" + t->name + "' must be one int64 value (the index), not " +
                            shapeToString(t->shape) + " " + io::dtypeName(t->dtype));
            continue;
        }
        const std::vector<Index> want = analysis.inputTypes[i].dims;
        if (!t->isFloat() || t->shape.size() != want.size() ||
            !std::equal(want.begin() + 1, want.end(), t->shape.begin() + 1))
            throw Error(*input + ": '" + t->name + "' is " + shapeToString(t->shape) + " " + io::dtypeName(t->dtype) +
                        ", the model expects [n" + dimsToString(want).substr(2) + " float32");
        if (n >= 0 && t->shape[0] != n) throw Error(*input + ": the inputs hold different numbers of samples");
        n = t->shape[0];
    }
    if (n < 1) throw Error(*input + ": no samples");
    Plan plan(doc, analysis, store, std::min(n, chunk));
    plan.setTraining(false);
    for (int i = 0; i < plan.inputCount(); ++i)
        if (plan.inputIsIndex(i)) plan.setIndexInput(i, in.find(plan.inputName(i))->i64[0]);
    std::vector<io::NamedTensor> outs(static_cast<size_t>(plan.outputCount()));
    for (Index start = 0; start < n; start += plan.maxBatch()) {
        const Index rows = std::min(plan.maxBatch(), n - start);
        for (int i = 0; i < plan.inputCount(); ++i) {
            if (plan.inputIsIndex(i)) continue;
            const io::NamedTensor* t = in.find(plan.inputName(i));
            plan.setInput(i, t->f32.data() + start * Tensor::numel(plan.inputShape(i)), rows);
        }
        plan.forward(rows);
        for (int o = 0; o < plan.outputCount(); ++o) {
            io::NamedTensor& t = outs[static_cast<size_t>(o)];
            const std::vector<Index> shape = plan.outputShape(o);
            const Index width = Tensor::numel(shape);
            t.name = plan.outputName(o);
            t.shape = {n};
            t.shape.insert(t.shape.end(), shape.begin(), shape.end());
            t.f32.insert(t.f32.end(), plan.output(o), plan.output(o) + rows * width);
        }
    }
    io::writeSafetensors(*output, outs, {{"model", doc.model}});
    std::cout << "wrote " << outs.size() << " output(s) for " << n << " samples to " << *output << "\n";
    return kOk;
}

namespace {

// bench --kernels ISA runs another built-in copy of the kernels than the
// widest the CPU runs (to measure what the wider one gains).
void selectBenchKernels(const Args& args) {
    const auto isa = args.value("kernels");
    if (!isa || kernels::selectKernels(*isa)) return;
    std::string runnable;
    for (const kernels::KernelSet& k : kernels::builtKernelSets())
        if (k.cpuRuns) runnable += (runnable.empty() ? "" : ", ") + k.isa;
    throw UsageError("--kernels " + *isa + ": this program and CPU run only " + runnable);
}

// The machine's reference speed: C = A B for square float matrices, through
// the engine's GEMM, as the README's benchmark table quotes it.
int benchSgemm(const Args& args, Index size) {
    const Index steps = args.integer("steps", 20, 1, 100000);
    std::vector<float> a(static_cast<size_t>(size * size)), b(a.size()), c(a.size());
    Random rng(1);
    rng.fillNormal(a.data(), size * size, 0.0f, 1.0f);
    rng.fillNormal(b.data(), size * size, 0.0f, 1.0f);
    std::vector<double> ms;
    for (Index s = 0; s < steps + 3; ++s) {
        const auto t0 = std::chrono::steady_clock::now();
        kernels::gemm(kernels::Trans::No, kernels::Trans::No, size, size, size, a.data(), size, b.data(), size,
                      c.data(), size, false);
        const auto t1 = std::chrono::steady_clock::now();
        if (s >= 3) ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    }
    std::sort(ms.begin(), ms.end());
    const double median = ms[ms.size() / 2];
    Json j = {{"sgemm", size}, {"threads", computeThreads()}, {"ms", median},
              {"gflops", 2.0 * double(size) * double(size) * double(size) / (median * 1e6)},
              {"kernels", kernels::activeKernels().isa}};
    std::cout << (args.flag("json") ? j.dump()
                                    : "SGEMM " + std::to_string(size) + ": " + fixed(j["gflops"].get<double>(), 1) +
                                          " GFLOP/s with " + std::to_string(computeThreads()) + " thread(s), kernels " +
                                          kernels::kernelsDescription())
              << "\n";
    return kOk;
}

// How far apart the first two CPUs the process may run on are: the round
// trip of a cache line between two threads pinned to them. On a virtual
// machine the host may place two vCPUs on one die (tens of ns) or far apart
// (hundreds), and every 2-thread number depends on which.
int benchCoreLatency(const Args& args) {
    cpu_set_t allowed;
    CPU_ZERO(&allowed);
    if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) throw Error("bench --core-latency: cannot read the CPU affinity");
    std::vector<int> cpus;
    for (int c = 0; c < CPU_SETSIZE && cpus.size() < 2; ++c)
        if (CPU_ISSET(c, &allowed)) cpus.push_back(c);
    if (cpus.size() < 2) throw Error("bench --core-latency needs two CPUs; this process may use one");
    auto pin = [](int cpu) {
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(cpu, &one);
        return pthread_setaffinity_np(pthread_self(), sizeof one, &one) == 0;
    };
    const long rounds = static_cast<long>(args.integer("steps", 200000, 1000, 100'000'000));
    // Unpinned, both threads could share a CPU and each round trip would wait a time slice.
    if (!pin(cpus[0])) throw Error("bench --core-latency: cannot pin a thread to CPU " + std::to_string(cpus[0]));
    alignas(64) std::atomic<int> turn{0};
    std::atomic<bool> echoPinned{false}, echoFailed{false};
    std::thread echo([&] {
        if (!pin(cpus[1])) {
            echoFailed = true;
            return;
        }
        echoPinned = true;
        for (long i = 0; i < rounds; ++i) {
            while (turn.load(std::memory_order_acquire) != 1) {}
            turn.store(0, std::memory_order_release);
        }
    });
    while (!echoPinned && !echoFailed) std::this_thread::yield();
    if (echoFailed) {
        echo.join();
        throw Error("bench --core-latency: cannot pin a thread to CPU " + std::to_string(cpus[1]));
    }
    const auto t0 = std::chrono::steady_clock::now();
    for (long i = 0; i < rounds; ++i) {
        turn.store(1, std::memory_order_release);
        while (turn.load(std::memory_order_acquire) != 0) {}
    }
    const auto t1 = std::chrono::steady_clock::now();
    echo.join();
    const double ns = std::chrono::duration<double, std::nano>(t1 - t0).count() / double(rounds);
    const Json j = {{"core_latency_ns", ns}, {"cpus", cpus}};
    std::cout << (args.flag("json") ? j.dump()
                                    : "cache-line round trip between CPU " + std::to_string(cpus[0]) + " and CPU " +
                                          std::to_string(cpus[1]) + ": " + fixed(ns, 0) + " ns")
              << "\n";
    return kOk;
}

} // namespace

int runBench(const std::vector<std::string>& argv) {
    const Args args(argv, {"batch", "steps", "threads", "warmup", "optimizer", "lr", "sgemm", "kernels"},
                    {"json", "profile", "core-latency"});
    selectBenchKernels(args);
    if (const auto size = args.value("sgemm")) {
        setComputeThreads(static_cast<int>(args.integer("threads", 1, 0, 256)));
        return benchSgemm(args, args.integer("sgemm", 1024, 1, 16384));
    }
    if (args.flag("core-latency")) return benchCoreLatency(args);
    if (args.positionals().size() != 1) throw UsageError("bench needs exactly one model file (or --sgemm N)");
    const ModelDocument doc = io::readModelFile(args.positionals().front());
    TrainingConfig config = readTrainingConfig(doc.training);
    config.batchSize = args.integer("batch", 64, 1, 1 << 20);
    config.threads = static_cast<int>(args.integer("threads", 1, 0, 256));
    config.optimizer = OptimizerConfig{};
    config.optimizer.type = args.value("optimizer", "sgd");
    config.optimizer.lr = args.number("lr", 0.01, 0.0, 1e6);
    config.optimizer.momentum = config.optimizer.type == "sgd" ? 0.9 : 0.0;
    const Index steps = args.integer("steps", 50, 1, 1'000'000);
    const Index warmup = args.integer("warmup", 5, 0, 1'000'000);
    setComputeThreads(config.threads);

    // Random data shaped as the model's inputs, with a target for every objective.
    const Analysis analysis = analyze(doc);
    if (!analysis.ok()) throw Error(args.positionals().front() + ": the model has errors (run validate)");
    TrainingData data;
    const Index count = 4 * config.batchSize;
    // One float input keeps its shape; several share one flat sample, cut in order.
    std::vector<Index> sample;
    Index sampleSize = 0, floatInputs = 0;
    for (const TensorType& t : analysis.inputTypes)
        if (t.dtype == DType::Float32) {
            sample.assign(t.dims.begin() + 1, t.dims.end());
            sampleSize += Tensor::numel(sample);
            ++floatInputs;
        }
    if (floatInputs != 1) sample = {sampleSize};
    std::vector<Index> shape{count};
    shape.insert(shape.end(), sample.begin(), sample.end());
    data.train.features = Tensor(shape);
    Random rng(1);
    rng.fillNormal(data.train.features.ptr(), data.train.features.numel(), 0.0f, 1.0f);
    if (config.objectives.empty())
        for (size_t o = 0; o < analysis.outputTypes.size(); ++o)
            config.objectives.push_back({doc.findDefinition(doc.model)->outputs[o].name, {}, LossKind::CrossEntropy, "label", 1.0f});
    for (const Objective& o : config.objectives) {
        if (std::any_of(data.train.targets.begin(), data.train.targets.end(), [&](const data::Target& t) { return t.name == o.target; }))
            continue;
        data::Target t;
        t.name = o.target;
        // The objective's output, for its index value, decides the target's size.
        const BlockDef& top = *doc.findDefinition(doc.model);
        const auto output = std::find_if(top.outputs.begin(), top.outputs.end(),
                                         [&](const BlockOutput& b) { return b.name == o.output; });
        if (output == top.outputs.end()) throw Error(o.label() + ": the model has no output '" + o.output + "'");
        const TensorType& type = analysis.outputTypes[static_cast<size_t>(output - top.outputs.begin())];
        std::vector<Index> out = type.dims;
        if (!type.variesWith.empty()) {
            const auto index = std::find_if(o.indexValues.begin(), o.indexValues.end(),
                                            [&](const auto& iv) { return iv.first == type.variesWith; });
            if (index == o.indexValues.end() || index->second < 0 ||
                index->second >= static_cast<Index>(type.choices.size()))
                throw Error(o.label() + ": '" + type.variesWith + "' must be given, between 0 and " +
                            std::to_string(type.choices.size() - 1));
            out = type.choices[static_cast<size_t>(index->second)];
        }
        const Index width = Tensor::numel(std::vector<Index>(out.begin() + 1, out.end()));
        if (o.loss == LossKind::CrossEntropy) {
            t.kind = data::TargetKind::Classes;
            t.classCount = width;
            for (Index i = 0; i < count; ++i) t.classes.push_back(rng.uniformInt(width));
        } else {
            t.kind = data::TargetKind::Values;
            t.values = Tensor({count, width});
            for (float& v : t.values.data) v = rng.uniform() < 0.5f ? 0.0f : 1.0f;
        }
        data.train.targets.push_back(std::move(t));
    }
    config.dataset = "random";
    Trainer trainer(doc, config, std::move(data));
    trainer.useComputeThreads();
    std::vector<Index> rows(static_cast<size_t>(config.batchSize));
    std::vector<double> ms;
    const bool profile = args.flag("profile");
    for (Index s = 0; s < warmup + steps; ++s) {
        for (Index i = 0; i < config.batchSize; ++i)
            rows[static_cast<size_t>(i)] = (s * config.batchSize + i) % count;
        const auto t0 = std::chrono::steady_clock::now();
        trainer.trainStep(rows);
        const auto t1 = std::chrono::steady_clock::now();
        if (s >= warmup) ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
        if (profile && s + 1 == warmup) trainer.plan().setProfiling(true);
    }
    if (profile)
        std::cerr << "time per op kind over " << steps << " steps (kernels " << kernels::kernelsDescription()
                  << (trainer.plan().shardCount() > 1
                          ? "; data parallel, " + std::to_string(trainer.plan().shardCount()) +
                                " shards: the first shard's time"
                          : std::string())
                  << "):\n"
                  << trainer.plan().profileReport();
    std::sort(ms.begin(), ms.end());
    const double median = ms[ms.size() / 2];
    const auto groups = trainer.plan().runsAllBranches() ? 1 : objectiveGroups(trainer.objectives()).size();
    // Training FLOPs: 6 x the forward multiply-adds (forward 2, backward 4).
    const double flops = 6.0 * trainer.plan().forwardMultiplyAdds(config.batchSize);
    Json j = Json::object();
    j["model"] = doc.model;
    j["batch"] = config.batchSize;
    j["threads"] = computeThreads();
    j["threads_requested"] = config.threads;
    j["steps"] = steps;
    j["forward_passes_per_step"] = groups;
    j["ms_per_step"] = median;
    j["ms_p10"] = ms[ms.size() / 10];
    j["ms_p90"] = ms[ms.size() * 9 / 10];
    j["steps_per_sec"] = 1000.0 / median;
    j["gflops"] = flops / (median * 1e6);
    j["peak_rss_mb"] = peakRssMb();
    j["parameters"] = trainer.analysis().tree.uniqueParameterCount();
    j["kernels"] = kernels::activeKernels().isa;
    j["shards"] = trainer.plan().shardCount(); // > 1: data parallel
    if (args.flag("json")) {
        std::cout << j.dump() << "\n";
    } else {
        std::cout << doc.model << ": " << fixed(j["steps_per_sec"].get<double>(), 1) << " steps/s (median "
                  << fixed(median, 3) << " ms/step), " << fixed(j["gflops"].get<double>(), 1) << " GFLOP/s, peak RSS "
                  << fixed(j["peak_rss_mb"].get<double>(), 1) << " MB, batch " << config.batchSize << ", "
                  << computeThreads() << " thread(s)"
                  << (trainer.plan().shardCount() > 1 ? " (data parallel)" : "") << ", kernels "
                  << kernels::activeKernels().isa << "\n";
    }
    return kOk;
}

} // namespace ml::cli

namespace ml::cli {

// export train-script: train.py, the model's module and the dataset, side by side.
int runExportTrainScript(const std::vector<std::string>& argv) {
    const Args args(argv,
                    {"o", "output", "model-module", "dataset", "epochs", "batch", "optimizer", "lr", "momentum",
                     "weight-decay", "seed", "schedule", "target", "validation", "diagnostics-every", "clip",
                     "lr-schedule", "max-steps", "threads"},
                    {"force"});
    if (args.positionals().size() != 1) throw UsageError("export train-script needs exactly one model file");
    const std::string& path = args.positionals().front();
    const auto out = args.value("o") ? args.value("o") : args.value("output");
    if (!out) throw UsageError("export train-script needs -o train.py");
    const std::string module = args.value("model-module", "model");
    if (!isValidName(module)) throw UsageError("--model-module must be a Python module name, got '" + module + "'");
    const ModelDocument doc = io::readModelFile(path);
    const TrainingConfig config = configFrom(doc, args);
    TrainingData data = loadTrainingData(config);
    const Trainer trainer(doc, config, std::move(data));
    if (!trainer.adaptation().empty())
        throw Error(path + ": the dataset does not fit the model as written (" + trainer.adaptation() +
                    "); save the adapted model and export that");
    const std::filesystem::path dir = std::filesystem::path(*out).parent_path();
    const std::string source = std::filesystem::path(path).filename().string();
    const std::string stem = std::filesystem::path(*out).stem().string();
    const std::string dataFile = stem + "_data.safetensors";
    const Analysis analysis = analyze(doc);
    const io::PyTorchCode model = io::exportPyTorch(doc, analysis, source);
    io::TrainScriptInput in{&doc, &config, &trainer.objectives(), &trainer.data(), source, module, dataFile};
    const std::string script = io::exportTrainScript(in);
    const std::string modelPath = (dir / (module + ".py")).string();
    if (std::filesystem::weakly_canonical(modelPath) == std::filesystem::weakly_canonical(*out))
        throw UsageError("-o " + *out + " is where the model module goes; name the script otherwise or pass --model-module");
    // model.py is written beside the script without being named: a file there
    // that ModuleLab did not export (the user's own model.py) is not replaced.
    bool replaced = false;
    if (std::filesystem::exists(modelPath)) {
        std::ifstream existing(modelPath);
        std::string first;
        std::getline(existing, first);
        const bool ours = first.starts_with("\"\"\"") && first.find(" in PyTorch, exported ") != std::string::npos &&
                          first.find(" by ModuleLab ") != std::string::npos;
        if (!ours && !args.flag("force"))
            throw Error(modelPath + " exists and is not a ModuleLab export; the script would import its model from "
                        "there. --force replaces it; --model-module NAME writes NAME.py instead");
        replaced = true;
    }
    io::writeFileAtomically(modelPath, model.text);
    io::writeTrainData(trainer.data(), (dir / dataFile).string());
    io::writeFileAtomically(*out, script);
    std::cout << "wrote " << *out << " (the script), " << modelPath << " (" << doc.model << (replaced ? ", replaced" : "")
              << ", imported by it) and "
              << (dir / dataFile).string() << " (" << trainer.data().train.count() << " train, "
              << trainer.data().validation.count() << " validation samples)\n";
    return kOk;
}

} // namespace ml::cli
