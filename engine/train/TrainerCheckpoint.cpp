// Trainer: weights, optimizer state and counters in one safetensors file.
#include "train/Trainer.h"
#include "train/TrainerDetail.h"
#include "io/Safetensors.h"
#include "io/Weights.h"

#include <charconv>

namespace ml {

namespace {
// Optimizer state in a checkpoint; '/' cannot appear in a module name, so no parameter clashes.
const std::string kOptimizerPrefix = "optimizer/";

// One description of the format: weights, then optimizer state, and the counters.
io::Metadata checkpointMetadata(const std::string& model, const std::string& optimizer, Index step, Index epoch) {
    io::Metadata metadata{{"format", "modulelab-checkpoint"}, {"model", model}};
    if (!optimizer.empty()) metadata.emplace_back("optimizer", optimizer); // none: the run starts it fresh
    metadata.emplace_back("step", std::to_string(step));
    metadata.emplace_back("epoch", std::to_string(epoch));
    return metadata;
}
} // namespace

void writeWeightsCheckpoint(const ParameterStore& store, const std::string& model, const std::string& path) {
    io::writeSafetensors(path, io::storeToTensors(store), checkpointMetadata(model, "", 0, 0));
}

void Trainer::saveCheckpoint(const std::string& path) const {
    const io::SafetensorsFile c = checkpoint();
    io::writeSafetensors(path, c.tensors, c.metadata);
}

void Trainer::loadCheckpoint(const std::string& path) { restore(io::readSafetensors(path), path, true); }

io::SafetensorsFile Trainer::checkpoint() const {
    std::vector<io::NamedTensor> tensors = io::storeToTensors(*m_store);
    for (Index i = 0; i < m_optimizer->paramCount(); ++i) {
        // Parameters are the store's non-buffer entries, in order.
        const std::string name = [&] {
            Index k = 0;
            for (const StoredTensor& t : m_store->tensors())
                if (!t.isBuffer && k++ == i) return t.name;
            return std::string();
        }();
        for (const std::string& s : m_optimizer->stateNames()) {
            if (!m_optimizer->hasState(i, s)) continue;
            const auto v = m_optimizer->state(i, s);
            io::NamedTensor n;
            n.name = kOptimizerPrefix + name + "." + s;
            n.shape = m_store->at(m_store->indexOf(name)).shape;
            n.f32.assign(v.begin(), v.end());
            tensors.push_back(std::move(n));
        }
        if (m_optimizer->tracksSteps()) {
            io::NamedTensor n;
            n.name = kOptimizerPrefix + name + ".step";
            n.dtype = io::DType::I64;
            n.i64 = {m_optimizer->stepCount(i)};
            tensors.push_back(std::move(n));
        }
    }
    return {std::move(tensors), checkpointMetadata(m_doc.model, std::string(m_optimizer->kind()), m_step, m_epoch)};
}

void Trainer::restore(const io::SafetensorsFile& file, const std::string& path, bool counters) {
    ML_ASSERT(!m_running.load());
    io::SafetensorsFile weights;
    for (const io::NamedTensor& t : file.tensors)
        if (!t.name.starts_with(kOptimizerPrefix)) weights.tensors.push_back(t);
    io::loadWeights(*m_store, weights, path);
    Index i = 0;
    for (const StoredTensor& t : m_store->tensors()) {
        if (t.isBuffer) continue;
        for (const std::string& s : m_optimizer->stateNames())
            if (const io::NamedTensor* n = file.find(kOptimizerPrefix + t.name + "." + s)) m_optimizer->setState(i, s, n->f32);
        if (const io::NamedTensor* n = file.find(kOptimizerPrefix + t.name + ".step"); n && !n->i64.empty())
            m_optimizer->setStepCount(i, n->i64[0]);
        ++i;
    }
    for (const auto& [key, value] : file.metadata) {
        if (!counters || (key != "step" && key != "epoch")) continue;
        Index number = -1;
        const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), number);
        if (error != std::errc() || end != value.data() + value.size() || number < 0)
            throw Error(path + ": metadata '" + key + "' is \"" + value + "\", not a count");
        (key == "step" ? m_step : m_epoch) = number;
    }
}

} // namespace ml
