#include "editor/PaletteEntries.h"

#include "model/LayerCatalog.h"

#include <QRegularExpression>

#include <algorithm>

namespace ml::gui {

std::vector<PaletteEntry> paletteEntries(const ModelDocument& doc) {
    std::vector<PaletteEntry> out;
    out.push_back({"container:Sequential", "Sequential", "Containers",
                   "Runs its items in order, the output of one feeding the next; each item owns its parameters."});
    out.push_back({"container:ModuleList", "ModuleList", "Containers",
                   "Holds modules (each owns its parameters) but has no forward: the parent calls list[i]."});
    out.push_back({"block:+", "New block", "Containers",
                   "A custom module with its own forward graph (double-click to open it)."});
    for (const LayerType& t : layerTypes())
        out.push_back({"layer:" + QString::fromStdString(t.name), QString::fromStdString(t.name),
                       QString::fromStdString(t.category), QString::fromStdString(t.summary)});
    for (const OpType& o : opTypes())
        out.push_back({"op:" + QString::fromStdString(o.name), QString::fromStdString(o.name), "Ops",
                       QString::fromStdString(o.summary)});
    for (const BlockDef& b : doc.definitions)
        if (b.name != doc.model)
            out.push_back({"block:" + QString::fromStdString(b.name), QString::fromStdString(b.name), "Blocks",
                           QString::fromStdString(b.doc.empty() ? "A block defined in this file." : b.doc)});
    return out;
}

std::vector<PaletteEntry> searchEntries(const std::vector<PaletteEntry>& all, const QString& text,
                                        const QStringList& recent) {
    const QString q = text.trimmed().toLower();
    auto rank = [&](const PaletteEntry& e) {
        const QString l = e.label.toLower();
        if (q.isEmpty()) return 3;
        if (l == q) return 0;
        if (l.startsWith(q)) return 1;
        for (const QString& w : (e.label + QLatin1Char(' ') + e.category).split(QRegularExpression(QStringLiteral("[ _]|(?=[A-Z])")), Qt::SkipEmptyParts))
            if (w.toLower().startsWith(q)) return 2;
        if (l.contains(q) || e.summary.toLower().contains(q)) return 3;
        return -1;
    };
    std::vector<std::pair<std::pair<int, int>, PaletteEntry>> scored;
    for (const PaletteEntry& e : all) {
        const int r = rank(e);
        if (r < 0) continue;
        const int rec = recent.indexOf(e.id);
        scored.push_back({{r, rec < 0 ? 1000 : rec}, e});
    }
    std::stable_sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<PaletteEntry> out;
    for (auto& s : scored) out.push_back(s.second);
    return out;
}

} // namespace ml::gui
