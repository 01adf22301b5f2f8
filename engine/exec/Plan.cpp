#include "exec/Plan.h"

#include "core/Error.h"
#include "core/Parallel.h"
#include "ops/Activations.h"
#include "ops/AdaptiveAvgPool2d.h"
#include "ops/AvgPool2d.h"
#include "ops/BatchNorm.h"
#include "ops/Concat.h"
#include "ops/Conv2d.h"
#include "ops/Dropout.h"
#include "ops/Elementwise.h"
#include "ops/LayerNorm.h"
#include "ops/Linear.h"
#include "ops/MaxPool2d.h"
#include "ops/Softmax.h"
#include "shape/LayerShapes.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cmath>
#include <cstring>
#include <exception>
#include <map>
#include <type_traits>

namespace ml {

namespace {

constexpr Index kMaxArenaFloats = Index(1) << 32; // 16 GiB of activations: a bound no file can push past

Index product(const std::vector<Index>& dims, size_t from, size_t to, Index batch) {
    Index p = 1;
    for (size_t i = from; i < to && i < dims.size(); ++i) p *= dims[i] == kBatch ? batch : dims[i];
    return p;
}

Index normalizeDim(Index dim, Index rank) { return dim < 0 ? dim + rank : dim; }

// Zeroes a gradient buffer; a large one on every thread (it is a memory pass).
void zeroFill(float* p, Index n) {
    parallel::forLargePass(n, [p](Index begin, Index end) { std::fill(p + begin, p + end, 0.0f); });
}

// Runs perShard(k) for every shard k, shard k on thread k (fewer threads
// than shards, if OpenMP gives fewer, take several each), each thread's ops
// on that thread alone; then, after all have finished, afterAll(part,
// parts) on each thread. An exception leaves the region and is rethrown.
template <typename PerShard, typename AfterAll>
void forEachShard(int shards, PerShard perShard, AfterAll afterAll) {
    std::exception_ptr error;
    auto guarded = [&](auto&& work) {
        try {
            work();
        } catch (...) {
#pragma omp critical(ml_plan_shard_error)
            if (!error) error = std::current_exception();
        }
    };
#pragma omp parallel num_threads(shards)
    {
        parallel::setMaxThreads(1); // this region's task only: the caller's setting is back after it
        const int t = parallel::threadNum(), team = parallel::teamSize();
        guarded([&] {
            for (int k = t; k < shards; k += team) perShard(k);
        });
#pragma omp barrier
        guarded([&] { afterAll(t, team); });
    }
    if (error) std::rethrow_exception(error);
}

template <typename PerShard>
void forEachShard(int shards, PerShard perShard) {
    forEachShard(shards, perShard, [](int, int) {});
}

// Every argument an op needs, read once from the module's JSON when the
// plan is compiled, so a step touches no JSON (and allocates nothing).
StepArgs parseStepArgs(const Json& a, Index rank) {
    StepArgs r;
    auto pair = [&](const char* name, Index& h, Index& w) {
        if (a.contains(name) && !a[name].is_null()) std::tie(h, w) = argPair(a, name);
    };
    if (a.contains("out_features")) r.out = argInt(a, "out_features");
    if (a.contains("out_channels")) r.out = argInt(a, "out_channels");
    pair("kernel_size", r.kh, r.kw);
    r.sh = r.kh;
    r.sw = r.kw; // pooling's default stride; Conv2d always has one
    pair("stride", r.sh, r.sw);
    pair("padding", r.ph, r.pw);
    pair("dilation", r.dh, r.dw);
    pair("output_size", r.outH, r.outW);
    if (a.contains("groups")) r.groups = argInt(a, "groups");
    if (a.contains("ceil_mode")) r.ceilMode = argBool(a, "ceil_mode");
    if (a.contains("count_include_pad")) r.countIncludePad = argBool(a, "count_include_pad");
    if (a.contains("eps")) r.eps = static_cast<float>(argFloat(a, "eps"));
    if (a.contains("momentum")) r.momentum = static_cast<float>(argFloat(a, "momentum"));
    if (a.contains("track_running_stats")) r.trackRunningStats = argBool(a, "track_running_stats");
    if (a.contains("negative_slope")) r.slope = static_cast<float>(argFloat(a, "negative_slope"));
    if (a.contains("p")) r.p = static_cast<float>(argFloat(a, "p"));
    if (a.contains("approximate") && a["approximate"] == "tanh") r.geluTanh = true;
    if (a.contains("dim")) r.dim = normalizeDim(argInt(a, "dim"), rank);
    if (a.contains("normalized_shape")) r.normalizedRank = static_cast<Index>(a["normalized_shape"].size());
    return r;
}

// The sliding window that convolution and pooling geometries share.
template <typename Geometry>
void setWindow(Geometry& g, const StepArgs& a) {
    g.kh = a.kh;
    g.kw = a.kw;
    g.strideH = a.sh;
    g.strideW = a.sw;
    g.padH = a.ph;
    g.padW = a.pw;
}

ops::Conv2dGeometry convGeometry(const StepArgs& a, const std::vector<Index>& in, Index n) {
    ops::Conv2dGeometry g;
    g.n = n;
    g.cin = in[1];
    g.h = in[2];
    g.w = in[3];
    g.cout = a.out;
    setWindow(g, a);
    g.dilH = a.dh;
    g.dilW = a.dw;
    g.groups = a.groups;
    return g;
}

// The fields every pooling geometry shares: input [n, c, h, w] and the window.
template <typename Geometry>
Geometry poolGeometry(const StepArgs& a, const std::vector<Index>& in, Index n) {
    Geometry g;
    g.n = n;
    g.c = in[1];
    g.h = in[2];
    g.w = in[3];
    if constexpr (!std::is_same_v<Geometry, ops::AdaptiveAvgPool2dGeometry>) {
        setWindow(g, a);
        g.ceilMode = a.ceilMode;
    }
    return g;
}

ops::MaxPool2dGeometry maxPoolGeometry(const StepArgs& a, const std::vector<Index>& in, Index n) {
    auto g = poolGeometry<ops::MaxPool2dGeometry>(a, in, n);
    g.dilH = a.dh;
    g.dilW = a.dw;
    return g;
}

ops::AvgPool2dGeometry avgPoolGeometry(const StepArgs& a, const std::vector<Index>& in, Index n) {
    auto g = poolGeometry<ops::AvgPool2dGeometry>(a, in, n);
    g.countIncludePad = a.countIncludePad;
    return g;
}

ops::AdaptiveAvgPool2dGeometry adaptiveGeometry(const StepArgs& a, const std::vector<Index>& in, Index n) {
    auto g = poolGeometry<ops::AdaptiveAvgPool2dGeometry>(a, in, n);
    g.outH = a.outH;
    g.outW = a.outW;
    return g;
}

ops::BatchNormParams batchNormParams(const StepArgs& a, bool training) {
    ops::BatchNormParams p;
    p.eps = a.eps;
    p.momentum = a.momentum;
    p.training = training;
    p.trackRunningStats = a.trackRunningStats;
    return p;
}

ops::SoftmaxGeometry softmaxGeometry(const StepArgs& a, const std::vector<Index>& dims, Index n) {
    const size_t d = static_cast<size_t>(a.dim);
    return {product(dims, 0, d, n), product(dims, d, d + 1, n), product(dims, d + 1, dims.size(), n)};
}

ops::LayerNormGeometry layerNormGeometry(const StepArgs& a, const std::vector<Index>& dims, Index n) {
    const size_t k = static_cast<size_t>(a.normalizedRank);
    return {product(dims, 0, dims.size() - k, n), product(dims, dims.size() - k, dims.size(), n)};
}

} // namespace

Plan::Plan(const ModelDocument& doc, const Analysis& analysis, ParameterStore& store, Index maxBatch,
           std::uint64_t seed, bool allBranches)
    : m_doc(doc), m_analysis(analysis), m_store(store), m_maxBatch(maxBatch), m_allBranches(allBranches),
      m_rng(seed, 7) {
    if (!analysis.ok()) throw Error("cannot compile " + doc.model + ": the model has errors (run validate)");
    if (maxBatch < 1) throw Error("batch size must be at least 1");
    const ModuleInstance& root = analysis.tree.root();
    ML_ASSERT(root.kind == ModuleKind::Block && root.block);
    std::vector<Ref> inputs;
    for (size_t i = 0; i < root.block->inputs.size(); ++i) {
        const BlockInput& in = root.block->inputs[i];
        Port port{in.name, -1, 0};
        Ref ref;
        if (in.dtype == DType::Int64) {
            ref.indexInput = static_cast<int>(i);
        } else {
            ref.value = port.value = newValue(analysis.inputTypes[i]);
            m_values[static_cast<size_t>(ref.value)].needsGrad = false;
        }
        m_inputs.push_back(port);
        inputs.push_back(ref);
    }
    m_indexValues.assign(m_inputs.size(), 0);
    const std::vector<Ref> outs = compileBlock(0, inputs, "", -1, 0);
    for (size_t o = 0; o < outs.size(); ++o) {
        OutputPort port;
        port.name = root.block->outputs[o].name;
        if (outs[o].isIndex()) throw Error(doc.model + ": output '" + port.name + "' is an index, not a tensor");
        port.value = outs[o].value;
        port.indexInput = outs[o].indexInput;
        port.choices = outs[o].choices;
        m_outputs.push_back(port);
    }
    finishCompile();
}

int Plan::newValue(const TensorType& type) {
    ML_ASSERT(type.isFixed());
    Value v;
    v.dims = type.dims;
    v.perSample = product(type.dims, !type.dims.empty() && type.dims[0] == kBatch ? 1 : 0, type.dims.size(), 1);
    v.offset = 0; // assigned in finishCompile
    m_values.push_back(v);
    return static_cast<int>(m_values.size()) - 1;
}

TensorType Plan::typeOf(int value) const {
    return TensorType::of(m_values[static_cast<size_t>(value)].dims);
}

int Plan::fixedValue(const Ref& r, const std::string& where) const {
    if (r.isVarying())
        throw Error(where + ": its input depends on the runtime index" +
                    std::string(m_allBranches ? " and all branches run at once" : " and changes shape") +
                    "; ModuleLab runs such a tensor only as a model output");
    if (r.value < 0) throw Error(where + ": an index input cannot feed a tensor op");
    return r.value;
}

int Plan::addStep(Step step, const TensorType& outType) {
    step.out = newValue(outType);
    m_steps.push_back(std::move(step));
    return m_steps.back().out;
}

std::vector<Plan::Ref> Plan::compileCall(InstanceId id, const std::vector<Ref>& inputs, const std::string& chain,
                                         int guardInput, Index guardValue) {
    const ModuleInstance& m = m_analysis.tree.at(id);
    switch (m.kind) {
    case ModuleKind::Layer:
        return {compileLayer(id, inputs.at(0), chain, guardInput, guardValue)};
    case ModuleKind::Sequential: {
        std::vector<Ref> x = inputs;
        for (const ChildRef& c : m.children) x = compileCall(c.id, x, chain, guardInput, guardValue);
        return x;
    }
    case ModuleKind::Block:
        return compileBlock(id, inputs, chain, guardInput, guardValue);
    case ModuleKind::ModuleList:
        break;
    }
    throw Error(m.path + ": a ModuleList has no forward");
}

Plan::Ref Plan::compileLayer(InstanceId id, const Ref& input, const std::string& chain, int guardInput,
                             Index guardValue) {
    const ModuleInstance& m = m_analysis.tree.at(id);
    const int x = fixedValue(input, m.path);
    std::vector<ShapeProblem> problems;
    Json args = m.args;
    const TensorType outType = inferLayerShape(m.type, args, typeOf(x), problems);
    if (!problems.empty()) throw Error(m.path + ": " + problems.front().message);
    Step s;
    const LayerType* type = findLayerType(m.type);
    ML_ASSERT(type); // the analysis refused unknown types
    s.kind = stepKindOf(type->id);
    s.label = m.path + " (" + m.type + ")";
    s.chain = chain;
    s.in = {x};
    s.guardInput = guardInput;
    s.guardValue = guardValue;
    auto tensor = [&](const char* name) {
        for (size_t i = 0; i < m.tensors.size(); ++i)
            if (m.tensors[i].name == name) return m_store.indexOf(id, static_cast<int>(i));
        return -1;
    };
    s.weight = tensor("weight");
    s.bias = tensor("bias");
    s.runningMean = tensor("running_mean");
    s.runningVar = tensor("running_var");
    s.batchesTracked = tensor("num_batches_tracked");
    const std::vector<Index>& inDims = m_values[static_cast<size_t>(x)].dims;
    s.args = parseStepArgs(args, static_cast<Index>(inDims.size()));
    Ref r;
    r.value = addStep(std::move(s), outType);
    return r;
}

std::vector<Plan::Ref> Plan::compileBlock(InstanceId id, const std::vector<Ref>& inputs, const std::string& chain,
                                          int guardInput, Index guardValue) {
    const ModuleInstance& m = m_analysis.tree.at(id);
    const BlockDef& def = *m.block;
    // Shape inference ordered the graph and resolved every reference.
    const BlockGraph& graph = m_analysis.graphOf(def);
    std::vector<std::vector<Ref>> nodeOutputs(def.nodes.size());
    auto refOf = [&](const GraphSource& src) -> const Ref& {
        return src.node < 0 ? inputs.at(static_cast<size_t>(src.input))
                            : nodeOutputs[static_cast<size_t>(src.node)].at(static_cast<size_t>(src.output));
    };
    const std::string prefix = chain.empty() ? "" : chain + " > ";
    for (const int nodeIndex : graph.order) {
        const size_t ni = static_cast<size_t>(nodeIndex);
        const Node& n = def.nodes[ni];
        std::vector<Ref> in;
        for (const GraphSource& src : graph.inputs[ni]) in.push_back(refOf(src));
        const std::string here = (m.path.empty() ? m_doc.model : m.path) + " node '" + n.id + "'";
        std::vector<Ref> out;
        if (!n.isCall()) {
            const OpType* op = findOpType(n.op);
            Json args = Json::object();
            for (const ArgSpec& a : op->args) args[a.name] = n.args.contains(a.name) ? n.args[a.name] : a.defaultValue;
            std::vector<TensorType> types;
            Step s;
            s.label = here + " (" + n.op + ")";
            s.chain = prefix + n.id;
            s.guardInput = guardInput;
            s.guardValue = guardValue;
            for (const Ref& r : in) {
                s.in.push_back(fixedValue(r, here));
                types.push_back(typeOf(s.in.back()));
            }
            std::vector<ShapeProblem> problems;
            const TensorType t = inferOpShape(n.op, args, types, n.inputs, problems);
            if (!problems.empty()) throw Error(here + ": " + problems.front().message);
            s.args = parseStepArgs(args, static_cast<Index>(types.front().dims.size()));
            if (n.op == "concat")
                for (int v : s.in) s.concatSizes.push_back(m_values[static_cast<size_t>(v)].dims[static_cast<size_t>(s.args.dim)]);
            s.kind = n.op == "add" ? StepKind::Add : n.op == "concat" ? StepKind::Concat
                     : n.op == "relu" ? StepKind::ReLU : StepKind::Copy;
            Ref r;
            r.value = addStep(std::move(s), t);
            out = {r};
        } else {
            const auto child = std::find_if(m.children.begin(), m.children.end(),
                                            [&](const ChildRef& c) { return c.name == n.call; });
            ML_ASSERT(child != m.children.end());
            const ModuleInstance& callee = m_analysis.tree.at(child->id);
            const std::string nodeChain = prefix + n.id;
            if (n.listUse == ListUse::None) {
                out = compileCall(child->id, in, nodeChain, guardInput, guardValue);
            } else if (n.listUse == ListUse::Chain) {
                out = in;
                for (const ChildRef& item : callee.children)
                    out = compileCall(item.id, out, nodeChain, guardInput, guardValue);
            } else if (n.constIndex) {
                const Index size = static_cast<Index>(callee.children.size());
                const Index k = *n.constIndex < 0 ? *n.constIndex + size : *n.constIndex;
                out = compileCall(callee.children[static_cast<size_t>(k)].id, in, nodeChain, guardInput, guardValue);
            } else {
                // list[index] with a runtime index: every item compiled, each guarded by its index value.
                // The analysis checked the index is an input of this block.
                const auto indexPort = std::find_if(def.inputs.begin(), def.inputs.end(),
                                                    [&](const BlockInput& b) { return b.name == n.indexInput; });
                const Ref& index = inputs.at(static_cast<size_t>(indexPort - def.inputs.begin()));
                if (guardInput >= 0)
                    throw Error(here + ": a runtime index inside a branch chosen by another runtime index is not "
                                       "supported yet");
                const int slot = index.indexInput;
                Port& port = m_inputs[static_cast<size_t>(slot)];
                port.listSize = port.listSize ? std::min<Index>(port.listSize, callee.children.size())
                                              : static_cast<Index>(callee.children.size());
                std::vector<std::vector<Ref>> perItem;
                for (size_t k = 0; k < callee.children.size(); ++k)
                    perItem.push_back(compileCall(callee.children[k].id, in, nodeChain + "[" + std::to_string(k) + "]",
                                                  m_allBranches ? -1 : slot, static_cast<Index>(k)));
                for (size_t o = 0; o < perItem.front().size(); ++o) {
                    std::vector<int> choices;
                    for (const auto& r : perItem) choices.push_back(fixedValue(r.at(o), here));
                    // With all branches run, the result is chosen when an output is read.
                    const bool sameShape = !m_allBranches && std::all_of(choices.begin(), choices.end(), [&](int v) {
                        return m_values[static_cast<size_t>(v)].dims == m_values[static_cast<size_t>(choices[0])].dims;
                    });
                    Ref r;
                    if (sameShape) {
                        // One value downstream ops can read: each item copies into it when chosen.
                        r.value = newValue(typeOf(choices[0]));
                        for (size_t k = 0; k < choices.size(); ++k) {
                            Step s;
                            s.kind = StepKind::Copy;
                            s.label = here + " (select " + std::to_string(k) + ")";
                            s.in = {choices[k]};
                            s.out = r.value;
                            s.guardInput = slot;
                            s.guardValue = static_cast<Index>(k);
                            m_steps.push_back(s);
                        }
                    } else {
                        r.indexInput = slot;
                        r.choices = choices;
                    }
                    out.push_back(r);
                }
            }
        }
        nodeOutputs[ni] = std::move(out);
    }
    std::vector<Ref> outputs;
    for (const GraphSource& src : graph.outputs) outputs.push_back(refOf(src));
    return outputs;
}

// A ReLU whose input only it reads, made by a Linear, Conv2d, BatchNorm or
// Add under the same guard, becomes part of that step: BatchNorm and Add
// write max(0, y) in their own pass (BatchNorm masks the gradient inside its
// backward passes); Linear and Conv2d apply it in place. That saves the
// ReLU's memory passes and its input's buffer (PyTorch's fused conv-bn-relu
// does the same; a residual block's relu(bn2(...) + x) is the Add's).
// Per value: the steps that read it, and the model outputs it is.
std::vector<int> Plan::readerCounts() const {
    std::vector<int> readers(m_values.size(), 0);
    for (const Step& s : m_steps)
        for (int v : s.in) ++readers[static_cast<size_t>(v)];
    for (const OutputPort& o : m_outputs) {
        if (o.value >= 0) ++readers[static_cast<size_t>(o.value)];
        for (int v : o.choices) ++readers[static_cast<size_t>(v)];
    }
    return readers;
}

void Plan::foldReLUs() {
    const std::vector<int> readers = readerCounts();
    std::vector<int> producer(m_values.size(), -1);
    std::vector<bool> folded(m_steps.size(), false);
    for (size_t i = 0; i < m_steps.size(); ++i) {
        Step& relu = m_steps[i];
        const int x = relu.in.front();
        const int p = producer[static_cast<size_t>(x)];
        producer[static_cast<size_t>(relu.out)] = static_cast<int>(i);
        if (relu.kind != StepKind::ReLU || p < 0 || readers[static_cast<size_t>(x)] != 1) continue;
        Step& op = m_steps[static_cast<size_t>(p)];
        const bool foldable = op.kind == StepKind::Linear || op.kind == StepKind::Conv2d ||
                              op.kind == StepKind::BatchNorm || op.kind == StepKind::Add;
        if (!foldable || op.reluAfter || op.guardInput != relu.guardInput || op.guardValue != relu.guardValue) continue;
        op.reluAfter = true;
        op.out = relu.out;
        producer[static_cast<size_t>(relu.out)] = p;
        m_values[static_cast<size_t>(x)].foldedAway = true;
        m_values[static_cast<size_t>(x)].needsGrad = false;
        folded[i] = true;
    }
    std::vector<Step> kept;
    kept.reserve(m_steps.size());
    for (size_t i = 0; i < m_steps.size(); ++i)
        if (!folded[i]) kept.push_back(std::move(m_steps[i]));
    m_steps = std::move(kept);
}

// A folded ReLU whose output only a max pool reads: the pool's backward
// sends dy only to each window's max, so it can apply the ReLU's mask there
// (the max is > 0, or the ReLU passed nothing) and the full pass of the
// mask over the producer's gradient goes.
void Plan::foldReLUMasksIntoPools() {
    const std::vector<int> readers = readerCounts();
    std::vector<int> producer(m_values.size(), -1);
    for (size_t i = 0; i < m_steps.size(); ++i) producer[static_cast<size_t>(m_steps[i].out)] = static_cast<int>(i);
    for (Step& pool : m_steps) {
        if (pool.kind != StepKind::MaxPool2d) continue;
        const int x = pool.in.front();
        const int p = producer[static_cast<size_t>(x)];
        if (p < 0 || readers[static_cast<size_t>(x)] != 1) continue;
        Step& op = m_steps[static_cast<size_t>(p)];
        if (!op.reluAfter || op.kind == StepKind::BatchNorm || op.guardInput != pool.guardInput ||
            op.guardValue != pool.guardValue)
            continue;
        op.reluMaskedByReader = true;
        pool.masksReluGradient = true;
    }
}

void Plan::finishCompile() {
    foldReLUs();
    foldReLUMasksIntoPools();
    Index offset = 0;
    for (Value& v : m_values) {
        v.offset = offset;
        if (v.foldedAway) continue;
        if (__builtin_add_overflow(offset, capacity(v, m_maxBatch), &offset) || offset > kMaxArenaFloats)
            throw Error(m_doc.model + ": a batch of " + std::to_string(m_maxBatch) + " needs more than " +
                        std::to_string(kMaxArenaFloats / (Index(1) << 28)) + " GiB of activations; use a smaller batch");
    }
    m_data.assign(static_cast<size_t>(offset), 0.0f);
    // Parameters used by several steps keep a gradient per use.
    std::map<int, int> useCount;
    for (const Step& s : m_steps) {
        if (s.weight >= 0) ++useCount[s.weight];
        if (s.bias >= 0) ++useCount[s.bias];
    }
    for (size_t i = 0; i < m_steps.size(); ++i) {
        for (int p : {m_steps[i].weight, m_steps[i].bias})
            if (p >= 0 && useCount[p] > 1)
                m_uses.push_back({p, static_cast<int>(i), m_steps[i].chain,
                                  std::vector<float>(static_cast<size_t>(m_store.at(p).numel()), 0.0f),
                                  std::vector<float>(static_cast<size_t>(m_store.at(p).numel()), 0.0f),
                                  m_steps[i].guardInput, m_steps[i].guardValue});
    }
    // Where each step adds its parameter gradients: one target per distinct buffer.
    std::map<const float*, int> targetOf;
    for (size_t i = 0; i < m_steps.size(); ++i) {
        Step& s = m_steps[i];
        auto targetFor = [&](int p) -> int {
            if (p < 0) return -1;
            std::vector<float>* buffer = &m_store.at(p).grad;
            for (ParameterUse& u : m_uses)
                if (u.parameter == p && u.step == static_cast<int>(i)) buffer = &u.scratch;
            const auto [it, added] = targetOf.emplace(buffer->data(), static_cast<int>(m_gradTargets.size()));
            if (added) {
                m_gradTargets.push_back({buffer->data(), static_cast<Index>(buffer->size()), m_gradTargetFloats});
                m_gradTargetFloats += static_cast<Index>(buffer->size());
            }
            return it->second;
        };
        s.weightTarget = targetFor(s.weight);
        s.biasTarget = targetFor(s.bias);
    }
    m_dataParallel = treatsSamplesApart();
    ensureLayout();
}

bool Plan::treatsSamplesApart() const {
    if (!std::all_of(m_values.begin(), m_values.end(), [](const Value& v) { return v.foldedAway || isBatched(v); }))
        return false;
    return std::all_of(m_steps.begin(), m_steps.end(), [&](const Step& s) {
        switch (s.kind) {
        case StepKind::BatchNorm: // statistics over the batch
        case StepKind::Dropout:   // one random stream through the batch: a split would change the masks
            return false;
        case StepKind::Softmax:
        case StepKind::LogSoftmax:
        case StepKind::Concat:
            return s.args.dim > 0; // not along the batch
        case StepKind::LayerNorm:
            return s.args.normalizedRank < static_cast<Index>(m_values[static_cast<size_t>(s.in.front())].dims.size());
        default:
            return true;
        }
    });
}

// Saved values, scratch and activation gradients for shards of m_shardRows
// samples; outputs of a sharded plan get a stage for the whole batch's dL/dy.
void Plan::layOut(int shards, int threadsPerShard) {
    m_shardRows = (m_maxBatch + shards - 1) / shards;
    m_shardThreads = threadsPerShard;
    Index savedFloats = 0, argmaxInts = 0, scratchFloats = 0;
    size_t widestConcat = 0;
    for (Step& s : m_steps) {
        const std::vector<Index>& inDims = m_values[static_cast<size_t>(s.in.front())].dims;
        widestConcat = std::max(widestConcat, s.concatSizes.size());
        switch (s.kind) {
        case StepKind::BatchNorm:
            s.savedOffset = savedFloats;
            savedFloats += 2 * inDims[1];
            break;
        case StepKind::LayerNorm:
            s.savedOffset = savedFloats;
            savedFloats += 2 * layerNormGeometry(s.args, inDims, m_shardRows).rows;
            break;
        case StepKind::Dropout:
            s.savedOffset = savedFloats;
            savedFloats += m_shardRows * m_values[static_cast<size_t>(s.in.front())].perSample;
            break;
        case StepKind::MaxPool2d:
            s.savedOffset = argmaxInts;
            argmaxInts += ops::maxPool2dSavedSize(maxPoolGeometry(s.args, inDims, m_shardRows));
            break;
        case StepKind::Conv2d: {
            const ops::Conv2dGeometry g = convGeometry(s.args, inDims, m_shardRows);
            scratchFloats = std::max(scratchFloats, ops::conv2dScratchSize(g, threadsPerShard));
            break;
        }
        default:
            break;
        }
    }
    const Index gradFloats = assignGradientBuffers();
    m_shards.assign(static_cast<size_t>(shards), Shard{});
    for (size_t k = 0; k < m_shards.size(); ++k) {
        Shard& sh = m_shards[k];
        sh.grad.assign(static_cast<size_t>(gradFloats), 0.0f);
        sh.saved.assign(static_cast<size_t>(savedFloats), 0.0f);
        sh.argmax.assign(static_cast<size_t>(argmaxInts), 0);
        sh.scratch.assign(static_cast<size_t>(scratchFloats), 0.0f);
        if (k > 0) sh.paramGrad.assign(static_cast<size_t>(m_gradTargetFloats), 0.0f);
        sh.concatGeometry.sizes.reserve(widestConcat);
        sh.concatInputs.reserve(widestConcat);
        sh.concatGrads.reserve(widestConcat);
    }
    Index stage = 0;
    for (Value& v : m_values) v.stageOffset = -1;
    if (shards > 1) {
        for (const OutputPort& o : m_outputs) {
            std::vector<int> values = o.choices;
            if (o.value >= 0) values.push_back(o.value);
            for (int value : values) {
                Value& v = m_values[static_cast<size_t>(value)];
                if (v.gradOffset < 0 || v.stageOffset >= 0) continue;
                v.stageOffset = stage;
                stage += capacity(v, m_maxBatch);
            }
        }
    }
    m_stage.assign(static_cast<size_t>(stage), 0.0f);
}

Index Plan::gradientFloats() const {
    Index floats = static_cast<Index>(m_stage.size());
    for (const Shard& sh : m_shards) floats += static_cast<Index>(sh.grad.size());
    return floats;
}

void Plan::ensureLayout() {
    const int threads = parallel::inParallel() ? 1 : std::max(1, parallel::maxThreads());
    const int shards = m_dataParallel ? static_cast<int>(std::min<Index>(threads, m_maxBatch)) : 1;
    const int perShard = shards > 1 ? 1 : threads;
    if (static_cast<int>(m_shards.size()) != shards || m_shardThreads != perShard) layOut(shards, perShard);
}

void Plan::splitRows(Index n) {
    const Index count = static_cast<Index>(m_shards.size());
    for (Index k = 0; k < count; ++k) {
        Shard& sh = m_shards[static_cast<size_t>(k)];
        sh.row0 = n * k / count;
        sh.n = n * (k + 1) / count - sh.row0;
    }
}

float* Plan::paramGrad(int target, Shard& sh) {
    if (target < 0) return nullptr;
    const GradTarget& t = m_gradTargets[static_cast<size_t>(target)];
    return &sh == &m_shards.front() ? t.data : sh.paramGrad.data() + t.offset;
}

std::vector<Index> Plan::inputShape(int i) const {
    const Port& p = m_inputs.at(static_cast<size_t>(i));
    if (p.value < 0) return {};
    const auto& dims = m_values[static_cast<size_t>(p.value)].dims;
    return std::vector<Index>(dims.begin() + 1, dims.end());
}

void Plan::setInput(int i, const float* values, Index n) {
    const Port& p = m_inputs.at(static_cast<size_t>(i));
    if (p.value < 0) throw Error("input '" + p.name + "' is an index; use setIndexInput");
    if (n < 1 || n > m_maxBatch)
        throw Error("batch of " + std::to_string(n) + " for input '" + p.name + "' is outside 1.." +
                    std::to_string(m_maxBatch));
    std::memcpy(m_data.data() + m_values[static_cast<size_t>(p.value)].offset, values,
                sizeof(float) * static_cast<size_t>(n * m_values[static_cast<size_t>(p.value)].perSample));
}

void Plan::setIndexInput(int i, Index value) {
    const Port& p = m_inputs.at(static_cast<size_t>(i));
    if (p.value >= 0) throw Error("input '" + p.name + "' is a tensor, not an index");
    if (p.listSize > 0 && (value < 0 || value >= p.listSize))
        throw Error("index input '" + p.name + "' = " + std::to_string(value) + " is out of range 0.." +
                    std::to_string(p.listSize - 1));
    m_indexValues[static_cast<size_t>(i)] = value;
}

bool Plan::hasIndexInputs() const {
    return std::any_of(m_inputs.begin(), m_inputs.end(), [](const Port& p) { return p.value < 0; });
}

int Plan::outputValue(int o) const {
    const OutputPort& p = m_outputs.at(static_cast<size_t>(o));
    if (p.choices.empty()) return p.value;
    return p.choices.at(static_cast<size_t>(m_indexValues[static_cast<size_t>(p.indexInput)]));
}

std::vector<Index> Plan::outputShape(int o) const {
    const auto& dims = m_values[static_cast<size_t>(outputValue(o))].dims;
    return std::vector<Index>(dims.begin() + 1, dims.end());
}

Index Plan::outputWidth(int o) const { return m_values[static_cast<size_t>(outputValue(o))].perSample; }

const float* Plan::output(int o) const {
    return m_data.data() + m_values[static_cast<size_t>(outputValue(o))].offset;
}

float* Plan::outputGrad(int o) {
    const int v = outputValue(o);
    const Value& value = m_values[static_cast<size_t>(v)];
    if (value.stageOffset >= 0) return m_stage.data() + value.stageOffset; // shared out to the shards by backward()
    if (value.gradOffset >= 0) return grad(v, m_shards.front());
    // An output that is a model input: nothing reads its gradient.
    m_sink.assign(static_cast<size_t>(capacity(value, m_maxBatch)), 0.0f);
    return m_sink.data();
}

Index Plan::capacity(const Value& v, Index samples) const {
    Index floats = 0;
    if (__builtin_mul_overflow(isBatched(v) ? samples : 1, v.perSample, &floats)) return kMaxArenaFloats + 1;
    return floats;
}

// Activation gradients live only during backward, from the first step that
// adds into one (a consumer, or the loss for an output) to the step that
// reads it (its producer). Buffers whose lives do not overlap share memory;
// each is zeroed when its life ends, so all are zero between backward passes.
Index Plan::assignGradientBuffers() {
    const int none = -1, outputStart = static_cast<int>(m_steps.size());
    std::vector<int> firstWriter(m_values.size(), none), lastReader(m_values.size(), outputStart + 1);
    for (size_t i = 0; i < m_steps.size(); ++i) {
        const int step = static_cast<int>(i);
        for (int v : m_steps[i].in) firstWriter[static_cast<size_t>(v)] = std::max(firstWriter[static_cast<size_t>(v)], step);
        int& reader = lastReader[static_cast<size_t>(m_steps[i].out)];
        reader = std::min(reader, step);
    }
    for (const OutputPort& o : m_outputs) {
        std::vector<int> values = o.choices;
        if (o.value >= 0) values.push_back(o.value);
        for (int v : values) firstWriter[static_cast<size_t>(v)] = outputStart;
    }
    // Place the largest first, each at the lowest offset that no value
    // alive at the same time occupies (lives are step ranges [reader, writer]).
    std::vector<int> order;
    for (size_t v = 0; v < m_values.size(); ++v) {
        m_values[v].gradOffset = -1;
        if (m_values[v].needsGrad && firstWriter[v] != none && lastReader[v] <= outputStart)
            order.push_back(static_cast<int>(v));
    }
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
        return capacity(m_values[static_cast<size_t>(a)], m_shardRows) > capacity(m_values[static_cast<size_t>(b)], m_shardRows);
    });
    struct Placed {
        Index offset, size;
        int from, to; // life: steps from..to
    };
    std::vector<Placed> placed;
    std::vector<Index> candidates;
    Index total = 0;
    for (int v : order) {
        const Index size = capacity(m_values[static_cast<size_t>(v)], m_shardRows);
        const int from = lastReader[static_cast<size_t>(v)], to = firstWriter[static_cast<size_t>(v)];
        candidates.assign(1, 0);
        for (const Placed& p : placed)
            if (p.from <= to && from <= p.to) candidates.push_back(p.offset + p.size);
        std::sort(candidates.begin(), candidates.end());
        Index offset = candidates.back();
        for (Index c : candidates) {
            const bool clash = std::any_of(placed.begin(), placed.end(), [&](const Placed& p) {
                return p.from <= to && from <= p.to && c < p.offset + p.size && p.offset < c + size;
            });
            if (!clash) {
                offset = c;
                break;
            }
        }
        placed.push_back({offset, size, from, to});
        m_values[static_cast<size_t>(v)].gradOffset = offset;
        total = std::max(total, offset + size);
    }
    return total;
}

void Plan::forward(Index n) {
    if (n < 1 || n > m_maxBatch)
        throw Error("batch of " + std::to_string(n) + " is outside 1.." + std::to_string(m_maxBatch));
    ensureLayout();
    splitRows(n);
    if (m_shards.size() == 1) forwardShard(m_shards.front());
    else forEachShard(static_cast<int>(m_shards.size()), [&](int k) { forwardShard(m_shards[static_cast<size_t>(k)]); });
}

void Plan::forwardShard(Shard& sh) {
    if (sh.n == 0) return;
    const bool timed = m_profiling && &sh == &m_shards.front();
    for (size_t i = 0; i < m_steps.size(); ++i) {
        if (!active(m_steps[i])) continue;
        const auto t0 = timed ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
        runForward(m_steps[i], sh);
        if (timed) m_forwardSeconds[i] += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }
}

void Plan::setProfiling(bool on) {
    m_profiling = on;
    m_forwardSeconds.assign(m_steps.size(), 0.0);
    m_backwardSeconds.assign(m_steps.size(), 0.0);
}

std::string Plan::profileReport() const {
    std::map<std::string, std::pair<double, double>> byKind;
    for (size_t i = 0; i < m_steps.size() && i < m_forwardSeconds.size(); ++i) {
        std::string kind(stepKindName(m_steps[i].kind));
        if (m_steps[i].reluAfter) (kind += '+') += stepKindName(StepKind::ReLU); // appended: GCC 12 -Wrestrict
        auto& k = byKind[kind];
        k.first += m_forwardSeconds[i];
        k.second += m_backwardSeconds[i];
    }
    std::string out = "op kind            forward ms  backward ms\n";
    for (const auto& [name, t] : byKind) {
        char line[96];
        std::snprintf(line, sizeof line, "%-18s %10.1f  %11.1f\n", name.c_str(), 1e3 * t.first, 1e3 * t.second);
        out += line;
    }
    return out;
}

void Plan::clearGradients() {
    for (Shard& sh : m_shards) {
        std::fill(sh.grad.begin(), sh.grad.end(), 0.0f);
        std::fill(sh.paramGrad.begin(), sh.paramGrad.end(), 0.0f);
    }
    std::fill(m_stage.begin(), m_stage.end(), 0.0f);
}

void Plan::backward() {
    for (ParameterUse& u : m_uses) std::fill(u.scratch.begin(), u.scratch.end(), 0.0f);
    if (m_shards.size() == 1) {
        backwardShard(m_shards.front());
    } else {
        const int shards = static_cast<int>(m_shards.size());
        forEachShard(
            shards,
            [&](int k) {
                Shard& sh = m_shards[static_cast<size_t>(k)];
                // This shard's rows of dL/doutput, out of the stage (left zero there).
                for (const Value& v : m_values) {
                    if (v.stageOffset < 0) continue;
                    float* stage = m_stage.data() + v.stageOffset + sh.row0 * v.perSample;
                    float* dy = sh.grad.data() + v.gradOffset;
                    const Index count = sh.n * v.perSample;
                    for (Index i = 0; i < count; ++i) dy[i] += stage[i];
                    std::fill_n(stage, count, 0.0f);
                }
                backwardShard(sh);
            },
            [&](int part, int parts) { sumShardGradients(part, parts); });
    }
    for (ParameterUse& u : m_uses) {
        std::vector<float>& g = m_store.at(u.parameter).grad;
        for (size_t i = 0; i < g.size(); ++i) {
            g[i] += u.scratch[i];
            u.grad[i] += u.scratch[i];
        }
    }
}

void Plan::backwardShard(Shard& sh) {
    if (sh.n == 0) return;
    const bool timed = m_profiling && &sh == &m_shards.front();
    for (auto it = m_steps.rbegin(); it != m_steps.rend(); ++it) {
        // A step whose output nothing reads (an unused node) has no gradient to pass on.
        if (!active(*it) || m_values[static_cast<size_t>(it->out)].gradOffset < 0) continue;
        float* dy = grad(it->out, sh);
        const Index count = elementCount(it->out, sh.n);
        if (m_skipZeroGradients && std::all_of(dy, dy + count, [](float v) { return v == 0.0f; })) continue;
        const auto t0 = timed ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
        runBackward(*it, sh);
        if (timed)
            m_backwardSeconds[static_cast<size_t>(&*it - m_steps.data())] +=
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        // Its output's gradient is used up: leave the buffer zero for its next life.
        zeroFill(dy, count);
    }
}

// Part `part` of `parts` of every parameter gradient: the first shard's
// (in the targets themselves) plus the other shards', whose copies are left zero.
void Plan::sumShardGradients(int part, int parts) {
    const Index begin = m_gradTargetFloats * part / parts, end = m_gradTargetFloats * (part + 1) / parts;
    for (const GradTarget& t : m_gradTargets) {
        const Index from = std::max(begin, t.offset), to = std::min(end, t.offset + t.size);
        for (size_t k = 1; k < m_shards.size(); ++k) {
            float* copy = m_shards[k].paramGrad.data();
            for (Index i = from; i < to; ++i) {
                t.data[i - t.offset] += copy[i];
                copy[i] = 0.0f;
            }
        }
    }
}

void Plan::zeroGrad() {
    m_store.zeroGrad();
    for (ParameterUse& u : m_uses) std::fill(u.grad.begin(), u.grad.end(), 0.0f);
}

void Plan::runForward(const Step& s, Shard& sh) {
    const int x = s.in.front();
    const std::vector<Index>& dims = m_values[static_cast<size_t>(x)].dims;
    const Index elements = elementCount(x, sh.n);
    float* y = data(s.out, sh);
    auto param = [&](int p) -> float* { return p >= 0 ? m_store.at(p).value.data() : nullptr; };
    const StepArgs& a = s.args;
    switch (s.kind) {
    case StepKind::Linear:
        ops::linearForward({product(dims, 0, dims.size() - 1, sh.n), dims.back(), a.out}, data(x, sh),
                           param(s.weight), param(s.bias), y);
        if (s.reluAfter) ops::reluForward(y, y, elementCount(s.out, sh.n));
        break;
    case StepKind::Conv2d:
        ops::conv2dForward(convGeometry(a, dims, sh.n), data(x, sh), param(s.weight), param(s.bias), y, sh.scratch.data(),
                           static_cast<Index>(sh.scratch.size()));
        if (s.reluAfter) ops::reluForward(y, y, elementCount(s.out, sh.n));
        break;
    case StepKind::BatchNorm: {
        ops::BatchNormParams p = batchNormParams(a, m_training);
        p.reluAfter = s.reluAfter;
        ops::batchNormForward({sh.n, dims[1], product(dims, 2, dims.size(), sh.n)}, p, data(x, sh), param(s.weight),
                              param(s.bias), param(s.runningMean), param(s.runningVar), y,
                              sh.saved.data() + s.savedOffset);
        if (m_training && s.batchesTracked >= 0) m_store.at(s.batchesTracked).value[0] += 1.0f;
        break;
    }
    case StepKind::LayerNorm:
        ops::layerNormForward(layerNormGeometry(a, dims, sh.n), {a.eps}, data(x, sh),
                              param(s.weight), param(s.bias), y, sh.saved.data() + s.savedOffset);
        break;
    case StepKind::ReLU: ops::reluForward(data(x, sh), y, elements); break;
    case StepKind::LeakyReLU:
        ops::leakyReluForward(data(x, sh), y, elements, {a.slope});
        break;
    case StepKind::GELU:
        ops::geluForward(data(x, sh), y, elements, {a.geluTanh ? ops::GeluApproximate::Tanh : ops::GeluApproximate::None});
        break;
    case StepKind::Tanh: ops::tanhForward(data(x, sh), y, elements); break;
    case StepKind::Sigmoid: ops::sigmoidForward(data(x, sh), y, elements); break;
    case StepKind::Softmax: ops::softmaxForward(data(x, sh), y, softmaxGeometry(a, dims, sh.n)); break;
    case StepKind::LogSoftmax: ops::logSoftmaxForward(data(x, sh), y, softmaxGeometry(a, dims, sh.n)); break;
    case StepKind::MaxPool2d:
        ops::maxPool2dForward(maxPoolGeometry(a, dims, sh.n), data(x, sh), y, sh.argmax.data() + s.savedOffset);
        break;
    case StepKind::AvgPool2d: ops::avgPool2dForward(avgPoolGeometry(a, dims, sh.n), data(x, sh), y); break;
    case StepKind::AdaptiveAvgPool2d: ops::adaptiveAvgPool2dForward(adaptiveGeometry(a, dims, sh.n), data(x, sh), y); break;
    case StepKind::Copy: ops::identityForward(data(x, sh), y, elements); break;
    case StepKind::Dropout: {
        const ops::DropoutParams p{a.p, m_training};
        ops::dropoutForward(data(x, sh), y, sh.saved.data() + s.savedOffset, elements, p, m_rng);
        break;
    }
    case StepKind::Add:
        // A folded ReLU in the last sum's pass.
        ops::addForward(data(s.in[0], sh), data(s.in[1], sh), y, elements, s.reluAfter && s.in.size() == 2);
        for (size_t i = 2; i < s.in.size(); ++i)
            ops::addForward(y, data(s.in[i], sh), y, elements, s.reluAfter && i + 1 == s.in.size());
        break;
    case StepKind::Concat: {
        const size_t d = static_cast<size_t>(a.dim);
        sh.concatGeometry.outer = product(dims, 0, d, sh.n);
        sh.concatGeometry.inner = product(dims, d + 1, dims.size(), sh.n);
        sh.concatGeometry.sizes.assign(s.concatSizes.begin(), s.concatSizes.end()); // within reserved capacity
        sh.concatInputs.clear();
        for (int v : s.in) sh.concatInputs.push_back(data(v, sh));
        ops::concatForward(sh.concatInputs, y, sh.concatGeometry);
        break;
    }
    case StepKind::Count: ML_ASSERT(false); // not a kind
    }
}

void Plan::runBackward(const Step& s, Shard& sh) {
    const int x = s.in.front();
    const std::vector<Index>& dims = m_values[static_cast<size_t>(x)].dims;
    const Index elements = elementCount(x, sh.n);
    float* dy = grad(s.out, sh);
    // A ReLU folded into a Linear or Conv2d: its backward, in place on the gradient.
    if (s.reluAfter && s.kind != StepKind::BatchNorm && !s.reluMaskedByReader)
        ops::reluMaskGradient(data(s.out, sh), dy, elementCount(s.out, sh.n));
    auto gradIn = [&](int v) -> float* { return m_values[static_cast<size_t>(v)].gradOffset >= 0 ? grad(v, sh) : nullptr; };
    float* dx = gradIn(x);
    auto param = [&](int p) -> float* { return p >= 0 ? m_store.at(p).value.data() : nullptr; };
    const StepArgs& a = s.args;
    switch (s.kind) {
    case StepKind::Linear:
        ops::linearBackward({product(dims, 0, dims.size() - 1, sh.n), dims.back(), a.out}, data(x, sh),
                            param(s.weight), dy, dx, paramGrad(s.weightTarget, sh), paramGrad(s.biasTarget, sh));
        break;
    case StepKind::Conv2d:
        ops::conv2dBackward(convGeometry(a, dims, sh.n), data(x, sh), param(s.weight), dy, dx, paramGrad(s.weightTarget, sh), paramGrad(s.biasTarget, sh),
                            sh.scratch.data(), static_cast<Index>(sh.scratch.size()));
        break;
    case StepKind::BatchNorm: {
        ops::BatchNormParams p = batchNormParams(a, m_training);
        p.reluAfter = s.reluAfter;
        ops::batchNormBackward({sh.n, dims[1], product(dims, 2, dims.size(), sh.n)}, p, data(x, sh), param(s.weight),
                               sh.saved.data() + s.savedOffset, dy, dx, paramGrad(s.weightTarget, sh), paramGrad(s.biasTarget, sh), data(s.out, sh));
        break;
    }
    case StepKind::LayerNorm:
        ops::layerNormBackward(layerNormGeometry(a, dims, sh.n), data(x, sh), param(s.weight),
                               sh.saved.data() + s.savedOffset, dy, dx, paramGrad(s.weightTarget, sh), paramGrad(s.biasTarget, sh));
        break;
    case StepKind::ReLU: if (dx) ops::reluBackward(data(s.out, sh), dy, dx, elements); break;
    case StepKind::LeakyReLU:
        if (dx) ops::leakyReluBackward(data(x, sh), dy, dx, elements, {a.slope});
        break;
    case StepKind::GELU:
        if (dx)
            ops::geluBackward(data(x, sh), dy, dx, elements,
                              {a.geluTanh ? ops::GeluApproximate::Tanh : ops::GeluApproximate::None});
        break;
    case StepKind::Tanh: if (dx) ops::tanhBackward(data(s.out, sh), dy, dx, elements); break;
    case StepKind::Sigmoid: if (dx) ops::sigmoidBackward(data(s.out, sh), dy, dx, elements); break;
    case StepKind::Softmax: if (dx) ops::softmaxBackward(data(s.out, sh), dy, dx, softmaxGeometry(a, dims, sh.n)); break;
    case StepKind::LogSoftmax:
        if (dx) ops::logSoftmaxBackward(data(s.out, sh), dy, dx, softmaxGeometry(a, dims, sh.n));
        break;
    case StepKind::MaxPool2d:
        if (dx)
            ops::maxPool2dBackward(maxPoolGeometry(a, dims, sh.n), sh.argmax.data() + s.savedOffset, dy, dx,
                                   s.masksReluGradient ? data(s.out, sh) : nullptr);
        break;
    case StepKind::AvgPool2d: if (dx) ops::avgPool2dBackward(avgPoolGeometry(a, dims, sh.n), dy, dx); break;
    case StepKind::AdaptiveAvgPool2d:
        if (dx) ops::adaptiveAvgPool2dBackward(adaptiveGeometry(a, dims, sh.n), dy, dx);
        break;
    case StepKind::Copy: if (dx) ops::identityBackward(dy, dx, elements); break;
    case StepKind::Dropout:
        if (dx)
            ops::dropoutBackward(dy, sh.saved.data() + s.savedOffset, dx, elements,
                                 {a.p, m_training});
        break;
    case StepKind::Add:
        for (int v : s.in)
            if (float* d = gradIn(v)) ops::identityBackward(dy, d, elements);
        break;
    case StepKind::Concat: {
        const size_t d = static_cast<size_t>(a.dim);
        sh.concatGeometry.outer = product(dims, 0, d, sh.n);
        sh.concatGeometry.inner = product(dims, d + 1, dims.size(), sh.n);
        sh.concatGeometry.sizes.assign(s.concatSizes.begin(), s.concatSizes.end());
        sh.concatGrads.clear();
        for (int v : s.in) sh.concatGrads.push_back(gradIn(v));
        ops::concatBackward(dy, sh.concatGrads, sh.concatGeometry);
        break;
    }
    case StepKind::Count: ML_ASSERT(false); // not a kind
    }
}

double Plan::forwardMultiplyAdds(Index n) const {
    double total = 0;
    for (const Step& s : m_steps) {
        const std::vector<Index>& in = m_values[static_cast<size_t>(s.in.front())].dims;
        const std::vector<Index>& out = m_values[static_cast<size_t>(s.out)].dims;
        if (s.kind == StepKind::Linear) {
            total += double(product(in, 0, in.size() - 1, n)) * double(in.back()) * double(out.back());
        } else if (s.kind == StepKind::Conv2d) {
            total += double(n) * double(out[1]) * double(out[2]) * double(out[3]) *
                     double(in[1] / s.args.groups) * double(s.args.kh * s.args.kw);
        }
    }
    return total;
}

std::string Plan::firstNonFinite(Index n) {
    if (n < 1 || n > m_maxBatch)
        throw Error("batch of " + std::to_string(n) + " is outside 1.." + std::to_string(m_maxBatch));
    for (const StoredTensor& t : m_store.tensors())
        for (float v : t.value)
            if (!std::isfinite(v)) return "parameter " + t.name + " is not finite";
    for (const Port& p : m_inputs) {
        if (p.value < 0) continue;
        const float* d = m_data.data() + m_values[static_cast<size_t>(p.value)].offset;
        for (Index i = 0; i < n * m_values[static_cast<size_t>(p.value)].perSample; ++i)
            if (!std::isfinite(d[i])) return "input '" + p.name + "' is not finite";
    }
    splitRows(n);
    // Step by step, every shard's rows of it (on this thread), then the whole batch's output checked.
    for (const Step& s : m_steps) {
        if (!active(s)) continue;
        for (Shard& sh : m_shards)
            if (sh.n > 0) runForward(s, sh);
        const float* y = data(s.out, m_shards.front());
        const Index count = elementCount(s.out, n);
        for (Index i = 0; i < count; ++i)
            if (!std::isfinite(y[i])) return "the output of " + s.label + " is not finite";
    }
    return "every op's output is finite; the loss itself overflowed";
}

} // namespace ml
