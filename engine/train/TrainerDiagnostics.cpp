// Trainer: gradient diagnostics of every sub-model, shared use and task group.
#include "train/Trainer.h"
#include "train/TrainerDetail.h"

#include <cmath>

namespace ml {

using detail::groupLabel;
using detail::kNaN;
using detail::norm2;

DiagnosticsReport Trainer::diagnose(std::span<const Index> rows) {
    fillBatch(m_data.train, rows);
    DiagnosticsReport d;
    d.step = m_step;
    // Keep what a diagnostic pass changes (BatchNorm's running statistics).
    std::vector<std::vector<float>> buffers;
    for (const StoredTensor& t : m_store->tensors())
        if (t.isBuffer) buffers.push_back(t.value);
    // Per objective group: its own gradient, for the task cosines.
    std::vector<std::vector<std::vector<float>>> perGroup;
    m_plan->zeroGrad();
    for (const std::vector<int>& g : m_groups) {
        std::vector<std::vector<float>> before;
        for (const StoredTensor& t : m_store->tensors()) before.push_back(t.grad);
        forwardBackward(g, true);
        std::vector<std::vector<float>> diff;
        for (size_t i = 0; i < m_store->tensors().size(); ++i) {
            const std::vector<float>& now = m_store->tensors()[i].grad;
            std::vector<float> delta(now.size());
            for (size_t k = 0; k < now.size(); ++k) delta[k] = now[k] - before[i][k];
            diff.push_back(std::move(delta));
        }
        perGroup.push_back(std::move(diff));
    }
    // The gradient of everything the step trains on (all groups, weighted as in training).
    for (size_t m = 0; m < m_modules.size(); ++m) {
        double g = 0, p = 0;
        for (int t : m_modules[m].tensors) {
            g += norm2(m_store->at(t).grad);
            p += norm2(m_store->at(t).value);
        }
        d.modules.push_back({m_modules[m].path, m_modules[m].type, std::sqrt(g), std::sqrt(p)});
    }
    for (const ParameterUse& u : m_plan->parameterUses())
        d.uses.push_back({m_store->at(u.parameter).name, u.label, std::sqrt(norm2(u.grad))});
    // The update/weight ratio is filled in by run() once the step has been taken.
    for (const StoredTensor& t : m_store->tensors())
        if (!t.isBuffer) d.parameters.push_back({t.name, std::sqrt(norm2(t.grad)), std::sqrt(norm2(t.value)), kNaN});
    for (size_t a = 0; a < m_groups.size(); ++a)
        for (size_t b = a + 1; b < m_groups.size(); ++b) {
            double dot = 0, na = 0, nb = 0;
            Index shared = 0;
            for (size_t i = 0; i < m_store->tensors().size(); ++i) {
                const auto& ga = perGroup[a][i];
                const auto& gb = perGroup[b][i];
                if (ga.empty() || norm2(ga) == 0 || norm2(gb) == 0) continue;
                ++shared;
                for (size_t k = 0; k < ga.size(); ++k) {
                    dot += double(ga[k]) * gb[k];
                    na += double(ga[k]) * ga[k];
                    nb += double(gb[k]) * gb[k];
                }
            }
            if (shared == 0) continue;
            d.taskCosines.push_back({groupLabel(m_objectives[static_cast<size_t>(m_groups[a].front())]),
                                     groupLabel(m_objectives[static_cast<size_t>(m_groups[b].front())]),
                                     dot / std::sqrt(na * nb), shared});
        }
    // Each task's gradient on what more than one task reaches (the shared trunk).
    if (m_groups.size() > 1) {
        std::vector<int> reach(m_store->tensors().size(), 0);
        for (const auto& g : perGroup)
            for (size_t i = 0; i < g.size(); ++i) reach[i] += !g[i].empty() && norm2(g[i]) > 0;
        for (size_t a = 0; a < m_groups.size(); ++a) {
            double n = 0;
            for (size_t i = 0; i < reach.size(); ++i)
                if (reach[i] > 1) n += norm2(perGroup[a][i]);
            d.taskGradients.push_back({groupLabel(m_objectives[static_cast<size_t>(m_groups[a].front())]), std::sqrt(n)});
        }
    }
    size_t k = 0;
    for (StoredTensor& t : m_store->tensors())
        if (t.isBuffer) t.value = buffers[k++];
    m_plan->zeroGrad();
    return d;
}

} // namespace ml
