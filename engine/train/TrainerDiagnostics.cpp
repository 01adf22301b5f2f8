// Trainer: gradient diagnostics of every sub-model, shared use and task group,
// read from the diagnosed step's own gradients.
//
// One objective group: the step's backward leaves the gradient of everything
// it trains on in the store and each shared parameter's per-use gradients in
// the plan (Plan::backward keeps them on every step), so a diagnosed step
// costs only the norms. Several groups (tasks): each group gets its own
// backward (runObjectiveGroups), the store accumulating them as the step's
// gradient, and a snapshot of the store after each one gives every group's own
// gradient by difference, into buffers kept from step to step.
#include "train/Trainer.h"
#include "train/TrainerDetail.h"

#include <algorithm>
#include <cmath>

namespace ml {

using detail::groupLabel;
using detail::kNaN;
using detail::norm2;

void Trainer::prepareDiagnostics() {
    const std::vector<StoredTensor>& tensors = m_store->tensors();
    m_flatOffset.assign(tensors.size(), 0);
    for (size_t i = 0; i < tensors.size(); ++i) {
        m_flatOffset[i] = m_flatSize;
        if (!tensors[i].isBuffer) m_flatSize += tensors[i].value.size();
    }
    m_gradNorm2.assign(tensors.size(), 0.0);
    m_valueNorm2.assign(tensors.size(), 0.0);
    m_reach.assign(tensors.size(), 0);
    m_valuesBefore.assign(m_flatSize, 0.0f);
    for (const ModuleParams& m : m_modules) m_diag.modules.push_back({m.path, m.type, 0, 0});
    for (const StoredTensor& t : tensors)
        if (!t.isBuffer) m_diag.parameters.push_back({t.name, 0, 0, kNaN});
    for (const ParameterUse& u : m_plan->parameterUses()) m_diag.uses.push_back({m_store->at(u.parameter).name, u.label, 0});
    const size_t groups = m_groups.size();
    if (groups > 1) {
        m_groupGrads.assign(groups * m_flatSize, 0.0f);
        m_groupPrev.assign(groups, -1);
        m_groupNorm2.assign(groups * tensors.size(), 0.0);
        m_groupOrder.reserve(groups);
        m_diag.taskCosines.reserve(groups * (groups - 1) / 2);
        for (const std::vector<int>& g : m_groups)
            m_diag.taskGradients.push_back({groupLabel(m_objectives[static_cast<size_t>(g.front())]), 0});
        // After group g's backward the store holds the sum since the last zeroGrad: keep it.
        m_afterGroup = [this](int g) {
            float* snapshot = m_groupGrads.data() + static_cast<size_t>(g) * m_flatSize;
            const std::vector<StoredTensor>& all = m_store->tensors();
            for (size_t i = 0; i < all.size(); ++i)
                if (!all[i].isBuffer) std::copy(all[i].grad.begin(), all[i].grad.end(), snapshot + m_flatOffset[i]);
            m_groupPrev[static_cast<size_t>(g)] = m_lastGroup;
            m_lastGroup = g;
        };
    }
}

void Trainer::backwardPerGroup(int stepGroup) {
    const int groups = static_cast<int>(m_groups.size());
    m_groupOrder.clear();
    for (int g = 0; g < groups; ++g)
        if (g != stepGroup) m_groupOrder.push_back(g);
    m_lastGroup = -1;
    if (stepGroup < 0) {
        // Joint training: the groups' backward passes accumulate into the step's gradient.
        runObjectiveGroups(*m_plan, m_objectives, m_planGroups, m_groups, m_groupOrder, m_view, m_results, m_afterGroup);
    } else {
        // Round robin trains one group: the others first (their running
        // statistics undone), then the step's own from zero, as a step without diagnostics runs it.
        size_t k = 0;
        for (const StoredTensor& t : m_store->tensors())
            if (t.isBuffer) k += t.value.size();
        m_bufferSave.resize(k); // allocates at the first diagnosed step only
        float* save = m_bufferSave.data();
        for (const StoredTensor& t : m_store->tensors())
            if (t.isBuffer) save = std::copy(t.value.begin(), t.value.end(), save);
        runObjectiveGroups(*m_plan, m_objectives, m_planGroups, m_groups, m_groupOrder, m_view, m_results, m_afterGroup);
        const float* saved = m_bufferSave.data();
        for (StoredTensor& t : m_store->tensors())
            if (t.isBuffer) {
                std::copy_n(saved, t.value.size(), t.value.begin());
                saved += t.value.size();
            }
        m_plan->zeroGrad();
        m_lastGroup = -1;
        m_groupOrder.push_back(stepGroup);
        runObjectiveGroups(*m_plan, m_objectives, m_planGroups, m_groups, std::span<const int>(&m_groupOrder.back(), 1),
                           m_view, m_results, m_afterGroup);
    }
    // Snapshots to each group's own gradient: minus the snapshot before it,
    // latest first so that the one subtracted is still a sum.
    for (auto it = m_groupOrder.rbegin(); it != m_groupOrder.rend(); ++it) {
        const int prev = m_groupPrev[static_cast<size_t>(*it)];
        if (prev < 0) continue;
        float* own = m_groupGrads.data() + static_cast<size_t>(*it) * m_flatSize;
        const float* before = m_groupGrads.data() + static_cast<size_t>(prev) * m_flatSize;
        for (size_t e = 0; e < m_flatSize; ++e) own[e] -= before[e];
    }
}

void Trainer::fillDiagnostics() {
    DiagnosticsReport& d = m_diag;
    d.step = m_step;
    const std::vector<StoredTensor>& tensors = m_store->tensors();
    for (size_t i = 0; i < tensors.size(); ++i) {
        if (tensors[i].isBuffer) continue;
        m_gradNorm2[i] = norm2(tensors[i].grad);
        m_valueNorm2[i] = norm2(tensors[i].value);
    }
    // The gradient of everything the step trains on (all its groups, weighted as in training).
    for (size_t m = 0; m < m_modules.size(); ++m) {
        double g = 0, p = 0;
        for (int t : m_modules[m].tensors) {
            g += m_gradNorm2[static_cast<size_t>(t)];
            p += m_valueNorm2[static_cast<size_t>(t)];
        }
        d.modules[m].gradNorm = std::sqrt(g);
        d.modules[m].paramNorm = std::sqrt(p);
    }
    const std::vector<ParameterUse>& uses = m_plan->parameterUses();
    for (size_t u = 0; u < uses.size(); ++u) d.uses[u].gradNorm = std::sqrt(norm2(uses[u].grad));
    // The update/weight ratio is filled in once the step has been taken.
    size_t k = 0;
    for (size_t i = 0; i < tensors.size(); ++i)
        if (!tensors[i].isBuffer) {
            ParameterStats& p = d.parameters[k++];
            p.gradNorm = std::sqrt(m_gradNorm2[i]);
            p.paramNorm = std::sqrt(m_valueNorm2[i]);
            p.updateRatio = kNaN;
        }
    if (m_groups.size() < 2) return;

    // Per task group: its own squared norm per tensor, then the cosines of
    // pairs on what both reach and each one's norm on the shared trunk.
    const size_t groups = m_groups.size(), count = tensors.size();
    auto own = [&](size_t g, size_t i) { return m_groupGrads.data() + g * m_flatSize + m_flatOffset[i]; };
    auto dot = [](const float* a, const float* b, size_t n) {
        double s = 0;
        for (size_t e = 0; e < n; ++e) s += double(a[e]) * b[e];
        return s;
    };
    std::fill(m_reach.begin(), m_reach.end(), 0);
    for (size_t g = 0; g < groups; ++g)
        for (size_t i = 0; i < count; ++i) {
            double& n2 = m_groupNorm2[g * count + i];
            n2 = tensors[i].isBuffer ? 0.0 : dot(own(g, i), own(g, i), tensors[i].value.size());
            m_reach[i] += n2 > 0;
        }
    size_t pairs = 0;
    for (size_t a = 0; a < groups; ++a)
        for (size_t b = a + 1; b < groups; ++b) {
            double ab = 0, na = 0, nb = 0;
            Index shared = 0;
            for (size_t i = 0; i < count; ++i) {
                const double aa = m_groupNorm2[a * count + i], bb = m_groupNorm2[b * count + i];
                if (aa == 0 || bb == 0) continue;
                ++shared;
                ab += dot(own(a, i), own(b, i), tensors[i].value.size());
                na += aa;
                nb += bb;
            }
            if (shared == 0) continue;
            // In place: the labels' strings keep their memory from step to step.
            if (pairs == d.taskCosines.size()) d.taskCosines.emplace_back();
            TaskCosine& c = d.taskCosines[pairs++];
            c.taskA = d.taskGradients[a].task;
            c.taskB = d.taskGradients[b].task;
            c.cosine = ab / std::sqrt(na * nb);
            c.sharedParameters = shared;
        }
    d.taskCosines.resize(pairs);
    for (size_t g = 0; g < groups; ++g) {
        double n2 = 0;
        for (size_t i = 0; i < count; ++i)
            if (m_reach[i] > 1) n2 += m_groupNorm2[g * count + i];
        d.taskGradients[g].gradNorm = std::sqrt(n2);
    }
}

void Trainer::fillUpdateRatios() {
    size_t k = 0;
    for (size_t i = 0; i < m_store->tensors().size(); ++i) {
        const StoredTensor& t = m_store->tensors()[i];
        if (t.isBuffer) continue;
        const float* before = m_valuesBefore.data() + m_flatOffset[i];
        double update = 0;
        for (size_t e = 0; e < t.value.size(); ++e)
            update += (double(t.value[e]) - before[e]) * (double(t.value[e]) - before[e]);
        ParameterStats& p = m_diag.parameters[k++];
        p.updateRatio = p.paramNorm > 0 ? std::sqrt(update) / p.paramNorm : kNaN;
    }
}

DiagnosticsReport Trainer::diagnose(std::span<const Index> rows) {
    fillBatch(m_data.train, rows);
    // Keep what a diagnostic pass changes (BatchNorm's running statistics).
    std::vector<std::vector<float>> buffers;
    for (const StoredTensor& t : m_store->tensors())
        if (t.isBuffer) buffers.push_back(t.value);
    m_plan->zeroGrad();
    if (m_groups.size() > 1) backwardPerGroup(-1);
    else forwardBackward(m_all, true);
    fillDiagnostics();
    size_t k = 0;
    for (StoredTensor& t : m_store->tensors())
        if (t.isBuffer) t.value = buffers[k++];
    m_plan->zeroGrad();
    return m_diag;
}

} // namespace ml
