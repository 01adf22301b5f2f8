#pragma once
// A compiled model: the forward graph flattened into a list of op calls in
// topological order over buffers allocated once (build, then compute, as
// ggml does). Backward walks the same list in reverse; every gradient is
// accumulated, so a module called at several places, or a value read by
// several ops, gets the sum.
//
//   Analysis a = analyze(doc);               // must be ok()
//   ParameterStore store(a.tree); store.initialize(a.tree, seed);
//   Plan plan(doc, a, store, /*maxBatch*/ 64);
//   plan.setInput(0, x); plan.setIndexInput(1, task);   // per call
//   plan.forward(n); ... write dL/dy into plan.outputGrad(0) ...; plan.backward();
#include "exec/ParameterStore.h"
#include "exec/StepKind.h"
#include "ops/Concat.h"
#include "model/Definition.h"
#include "shape/Analysis.h"
#include "core/Random.h"

#include <cstdint>
#include <string>
#include <vector>

namespace ml {

// The arguments of one op, read once when the plan is compiled.
struct StepArgs {
    Index out = 0;                       // Linear out_features, Conv2d out_channels
    Index kh = 1, kw = 1, sh = 1, sw = 1, ph = 0, pw = 0, dh = 1, dw = 1, groups = 1;
    Index outH = 1, outW = 1;            // AdaptiveAvgPool2d
    bool ceilMode = false, countIncludePad = true, trackRunningStats = true, geluTanh = false;
    float eps = 1e-5f, momentum = 0.1f, slope = 0.01f, p = 0.5f;
    Index dim = 0;                       // Softmax, LogSoftmax, concat (normalized)
    Index normalizedRank = 1;            // LayerNorm
};

// One place where a parameter is used: a step of the plan. Its gradient is
// kept apart (for the diagnostics) when the parameter is used more than once.
struct ParameterUse {
    int parameter;              // index into the ParameterStore
    int step;
    std::string label;          // the call chain that leads to the step, e.g. "ea > encoder.0"
    std::vector<float> grad;    // this use's gradient since the last zeroGrad()
    std::vector<float> scratch; // this use's gradient in the current backward()
    int guardInput = -1;        // the index input whose value guardValue runs it (-1: every forward)
    Index guardValue = 0;
};

class Plan {
public:
    // allBranches: a runtime-indexed ModuleList call runs every item in one
    // forward, and each output is read per index value (joint multi-task
    // training: the shared trunk runs once for all heads). Such a plan needs
    // every indexed result to be a model output; otherwise compiling throws.
    Plan(const ModelDocument& doc, const Analysis& analysis, ParameterStore& store, Index maxBatch,
         std::uint64_t seed = 0, bool allBranches = false);
    bool runsAllBranches() const { return m_allBranches; }
    bool hasIndexInputs() const;

    Index maxBatch() const { return m_maxBatch; }
    void setTraining(bool training) { m_training = training; }
    bool isTraining() const { return m_training; }

    // Model inputs, in the order of the top block's inputs.
    int inputCount() const { return static_cast<int>(m_inputs.size()); }
    const std::string& inputName(int i) const { return m_inputs.at(static_cast<size_t>(i)).name; }
    bool inputIsIndex(int i) const { return m_inputs.at(static_cast<size_t>(i)).value < 0; }
    std::vector<Index> inputShape(int i) const; // per sample, batch excluded
    // [n, ...] float data for input i; copied into the plan.
    void setInput(int i, const float* data, Index n);
    // A runtime index (task_index); throws ml::Error if out of range for its list.
    void setIndexInput(int i, Index value);
    Index indexInput(int i) const { return m_indexValues.at(static_cast<size_t>(i)); }

    int outputCount() const { return static_cast<int>(m_outputs.size()); }
    const std::string& outputName(int o) const { return m_outputs.at(static_cast<size_t>(o)).name; }
    // The output for the current index inputs: per-sample shape and data [n, ...].
    std::vector<Index> outputShape(int o) const;
    Index outputWidth(int o) const; // elements per sample of outputShape(o)
    const float* output(int o) const;
    float* outputGrad(int o); // dL/doutput, accumulate into it after forward()

    void forward(Index n);
    void backward();  // accumulates into the store's grads (and each shared parameter's per-use grads)
    void zeroGrad();  // zeroes the store's parameter grads and the per-use grads
    // With it on, backward() skips every step whose output gradient is all
    // zero (each op's backward is linear in it, so it would add nothing): a
    // backward per task on a plan that runs all branches, where only that
    // task's head has a gradient. Off by default (the scan is not free).
    void setSkipZeroGradients(bool on) { m_skipZeroGradients = on; }
    // Activation gradients are zero between backward passes; after an error
    // between a loss writing into outputGrad() and backward(), this restores that.
    void clearGradients();

    // Where each parameter is used; uses of one parameter sum to its gradient.
    const std::vector<ParameterUse>& parameterUses() const { return m_uses; }
    // After a non-finite loss: re-runs forward checking every op; names the first bad one.
    std::string firstNonFinite(Index n);
    // Floats held for activations and for their gradients (shared where lives
    // do not overlap; every shard's, and a sharded plan's stage for dL/doutput).
    Index activationFloats() const { return static_cast<Index>(m_data.size()); }
    Index gradientFloats() const;
    int stepCount() const { return static_cast<int>(m_steps.size()); }
    // Whether every op treats samples apart, so that shards may run the batch.
    bool runsDataParallel() const { return m_dataParallel; }
    // Shards the last forward() split the batch into (1: one pass, each op on every thread).
    int shardCount() const { return static_cast<int>(m_shards.size()); }
    // With profiling on, forward and backward time every op; the report lists
    // milliseconds per op kind, forward and backward, since it was turned on
    // (data parallel: the first shard's, which runs beside the others).
    void setProfiling(bool on);
    std::string profileReport() const;
    // Multiply-adds of one forward pass of `n` samples (Linear and Conv2d),
    // with every index value's branch counted once: what FLOP rates are quoted from.
    double forwardMultiplyAdds(Index n) const;

private:
    struct Value {
        std::vector<Index> dims; // dims[0] == kBatch when batched
        Index perSample = 0;     // elements per sample (or in all, when not batched)
        Index offset = 0;        // into m_data
        Index gradOffset = -1;   // into each shard's gradient arena; -1: no gradient (a model input)
        Index stageOffset = -1;  // outputs of a sharded plan: where outputGrad() collects dL/dy, rows of the whole batch
        bool needsGrad = true;
        bool foldedAway = false; // written by no step (its ReLU was folded into its producer): no memory
    };
    struct Step {
        StepKind kind;
        std::string label;       // module path or "Block node 'id' (op)"
        StepArgs args;
        std::vector<Index> concatSizes; // concat: each input's size along the axis
        std::vector<int> in;
        int out = -1;
        int weight = -1, bias = -1, runningMean = -1, runningVar = -1, batchesTracked = -1;
        int weightTarget = -1;       // into m_gradTargets: the store's grad, or a ParameterUse's when shared
        int biasTarget = -1;
        std::string chain;           // the call chain that reaches it, for ParameterUse labels
        Index savedOffset = 0;       // into each shard's saved (floats) / argmax (ints)
        int guardInput = -1;         // run only when m_indexValues[guardInput] == guardValue
        Index guardValue = 0;
        bool reluAfter = false;      // the ReLU that alone read our output is folded in: out is its output
        bool reluMaskedByReader = false; // that ReLU's backward is done by our output's one reader (a max pool)
        bool masksReluGradient = false;  // max pool after such a ReLU: passes dy only where the max is > 0
    };
    // What a compiled port holds: a value, an index input, or (after a
    // runtime select whose items differ in shape) one value per index.
    struct Ref {
        int value = -1;
        int indexInput = -1;
        std::vector<int> choices;
        bool isIndex() const { return value < 0 && choices.empty() && indexInput >= 0; }
        bool isVarying() const { return !choices.empty(); }
    };
    struct Port {
        std::string name;
        int value = -1;                  // float input; -1 for an index input
        Index listSize = 0;              // index inputs: the size of the list it selects from
    };
    struct OutputPort {
        std::string name;
        int value = -1;                  // fixed output
        int indexInput = -1;             // varying output: value chosen by this index input
        std::vector<int> choices;
    };

    const ModelDocument& m_doc;
    const Analysis& m_analysis;
    ParameterStore& m_store;
    Index m_maxBatch;
    bool m_allBranches;
    bool m_training = true;
    Random m_rng;
    std::vector<Value> m_values;
    std::vector<Step> m_steps;
    std::vector<Port> m_inputs;
    std::vector<OutputPort> m_outputs;
    std::vector<Index> m_indexValues;
    std::vector<ParameterUse> m_uses;
    // A parameter gradient that steps add into (shard 0 directly, shard k
    // its own copy at `offset` in its paramGrad).
    struct GradTarget {
        float* data;
        Index size, offset;
    };
    // A share of the batch: rows [row0, row0 + n) of every activation, run
    // through every step by one thread. Gradients of activations, saved
    // values and scratch are its own, sized for m_shardRows samples.
    struct Shard {
        Index row0 = 0, n = 0;
        std::vector<float> grad, saved, scratch;
        std::vector<std::int32_t> argmax;
        std::vector<float> paramGrad; // shards after the first: their parameter gradients, summed in backward()
        ops::ConcatGeometry concatGeometry; // reused by concat steps: no allocation per step
        std::vector<const float*> concatInputs;
        std::vector<float*> concatGrads;
    };

    std::vector<float> m_data, m_stage, m_sink;
    std::vector<GradTarget> m_gradTargets;
    Index m_gradTargetFloats = 0;
    bool m_dataParallel = false;
    std::vector<Shard> m_shards;
    Index m_shardRows = 0;         // samples each shard has room for
    int m_shardThreads = 0;        // threads each shard's ops may use (the layout was made for them)
    bool m_profiling = false;
    bool m_skipZeroGradients = false;
    std::vector<double> m_forwardSeconds, m_backwardSeconds; // per step

    // compile
    int newValue(const TensorType& type);
    std::vector<Ref> compileCall(InstanceId id, const std::vector<Ref>& inputs, const std::string& chain,
                                 int guardInput, Index guardValue);
    std::vector<Ref> compileBlock(InstanceId id, const std::vector<Ref>& inputs, const std::string& chain,
                                  int guardInput, Index guardValue);
    Ref compileLayer(InstanceId id, const Ref& input, const std::string& chain, int guardInput, Index guardValue);
    int fixedValue(const Ref& r, const std::string& where) const; // throws for index/varying refs
    int addStep(Step step, const TensorType& outType);
    std::vector<int> readerCounts() const;
    void foldReLUs();
    void foldReLUMasksIntoPools();
    void finishCompile();
    TensorType typeOf(int value) const;

    bool treatsSamplesApart() const;

    // layout: shards, and what each holds for m_shardRows samples
    void layOut(int shards, int threadsPerShard);
    Index assignGradientBuffers(); // offsets for m_shardRows samples; returns the floats a shard needs
    void splitRows(Index n); // each shard's rows of a batch of n
    void ensureLayout();     // the layout for this thread's compute threads

    // run (a shard's rows of each value)
    float* data(int value, const Shard& sh) {
        const Value& v = m_values[static_cast<size_t>(value)];
        return m_data.data() + v.offset + (isBatched(v) ? sh.row0 * v.perSample : 0);
    }
    float* grad(int value, Shard& sh) { return sh.grad.data() + m_values[static_cast<size_t>(value)].gradOffset; }
    float* paramGrad(int target, Shard& sh);
    static bool isBatched(const Value& v) { return !v.dims.empty() && v.dims[0] == kBatch; }
    Index capacity(const Value& v, Index samples) const; // floats for that many samples
    Index rows(int value, Index n) const { return isBatched(m_values[static_cast<size_t>(value)]) ? n : 1; }
    Index elementCount(int value, Index n) const { return rows(value, n) * m_values[static_cast<size_t>(value)].perSample; }
    bool active(const Step& s) const { return s.guardInput < 0 || m_indexValues[static_cast<size_t>(s.guardInput)] == s.guardValue; }
    void forwardShard(Shard& sh);
    void backwardShard(Shard& sh);
    void sumShardGradients(int part, int parts); // the shards' parameter gradients into the first's, one part of them
    void runForward(const Step& s, Shard& sh);
    void runBackward(const Step& s, Shard& sh);
    int outputValue(int o) const;
};

} // namespace ml
