#include "editor/NodeLook.h"

#include "model/LayerCatalog.h"
#include "shape/Summary.h"

#include <QFontMetricsF>

namespace ml::gui {

QString withThousands(long long n) {
    QString s = QString::number(n);
    for (int i = s.size() - 3; i > (n < 0 ? 1 : 0); i -= 3) s.insert(i, QLatin1Char(','));
    return s;
}

namespace {
QString argText(const Json& v) {
    if (v.is_null()) return QStringLiteral("?");
    if (v.is_string()) return qs(v.get<std::string>());
    if (v.is_array() && v.size() == 2 && v[0] == v[1]) return qs(v[0].dump());
    return qs(v.dump());
}
} // namespace

QString shortRepr(const std::string& type, const Json& args) {
    const LayerType* layer = findLayerType(type);
    return qs(layer ? layer->label(args) : type);
}

namespace {
// The spec of a container item for display: args resolved where the analysis knows them.
QString itemText(const ModuleSpec& spec, const ModuleInstance* inst) {
    if (!spec.sameAs.empty()) return QStringLiteral("same as [%1] (shared)").arg(qs(spec.sameAs));
    if (spec.type == "Sequential" || spec.type == "ModuleList")
        return qs(spec.type) + QStringLiteral(" (%1 items)").arg(spec.items.size());
    return shortRepr(spec.type, inst && inst->kind == ModuleKind::Layer ? inst->args : spec.args);
}

// Wide enough that nothing NodeItem::paint draws is cut short (its fonts and
// margins), up to a cap past which long text is elided.
double fittedWidth(const NodeLook& l) {
    const bool framed = l.kind == LookKind::Sequential || l.kind == LookKind::ModuleList || l.kind == LookKind::Block;
    const QString sep = QStringLiteral("  ·  ");
    QFont f;
    f.setPointSizeF(9.5);
    f.setBold(true);
    const QString title = framed ? l.title + sep + l.subtitle.section(sep, 0, 0) : l.title;
    double w = QFontMetricsF(f).horizontalAdvance(title) + 52;
    f.setBold(false);
    f.setPointSizeF(8);
    w = std::max(w, QFontMetricsF(f).horizontalAdvance(framed ? l.subtitle.section(sep, 1) : l.subtitle) + 18);
    f.setPointSizeF(8.5);
    const QFontMetricsF fm(f);
    for (const QString& line : l.lines) w = std::max(w, fm.horizontalAdvance(line) + 26);
    for (const RowLook& r : l.rows)
        w = std::max(w, fm.horizontalAdvance(r.label + QStringLiteral("  ") + r.text) +
                            (r.shape.isEmpty() ? 0 : fm.horizontalAdvance(r.shape) + 6) + 36);
    for (size_t i = 0; i < std::max(l.ins.size(), l.outs.size()); ++i)
        w = std::max(w, 2 * std::max(i < l.ins.size() ? fm.horizontalAdvance(l.ins[i].name) : 0.0,
                                     i < l.outs.size() ? fm.horizontalAdvance(l.outs[i].name) : 0.0) + 28);
    f.setItalic(true);
    w = std::max(w, QFontMetricsF(f).horizontalAdvance(l.footer) + 24);
    return std::min(std::ceil(w / 10) * 10, 520.0);
}

// The items upstream of `key` whose own problems leave its inputs unknown:
// walks back along wires that carry an unknown type, stopping at the first
// item on each path that has a diagnostic (or at a block input).
QStringList problemsUpstream(const GraphModel& model, const QString& definition, const QString& instancePath,
                             const QString& key) {
    const std::vector<Wire> wires = model.wires(definition);
    QStringList found, stack{key}, seen;
    while (!stack.isEmpty()) {
        const QString k = stack.takeLast();
        if (seen.contains(k)) continue;
        seen << k;
        if (k != key && (!model.diagnosticsFor(definition, instancePath, k).empty() || k.startsWith(QLatin1String("input:")))) {
            if (!found.contains(k)) found << k;
            continue;
        }
        for (const Wire& w : wires) {
            if (w.to.key != k) continue;
            const TensorType* t = model.outputType(instancePath, definition, w.from);
            if (!t || !t->known) stack << w.from.key;
        }
    }
    return found;
}

// How the canvas names an item in a sentence: "bad (node b)", "input x".
QString itemName(const GraphModel& model, const QString& definition, const QString& key) {
    if (key.startsWith(QLatin1String("input:"))) return QObject::tr("input %1").arg(key.mid(6));
    const QString child = model.calledChildName(definition, key);
    return child.isEmpty() || child == key ? key : QObject::tr("%1 (node %2)").arg(child, key);
}

void placePorts(NodeLook& l, double top) {
    const double w = l.size.width();
    for (size_t i = 0; i < l.ins.size(); ++i) l.ins[i].pos = QPointF(0, top + kPortRow * (static_cast<double>(i) + 0.5));
    for (size_t i = 0; i < l.outs.size(); ++i) l.outs[i].pos = QPointF(w, top + kPortRow * (static_cast<double>(i) + 0.5));
}
} // namespace

NodeLook lookOf(const GraphModel& model, const QString& definition, const QString& instancePath, const QString& key) {
    NodeLook l;
    const BlockDef* def = model.definition(definition);
    if (!def) return l;
    for (int i = 0; i < model.inputPortCount(definition, key); ++i)
        l.ins.push_back({model.inputPortName(definition, key, i), model.inputPortKind(definition, key, i), {}});
    for (int i = 0; i < model.outputPortCount(definition, key); ++i)
        l.outs.push_back({model.outputPortName(definition, key, i), model.outputPortKind(definition, key, i), {}});
    QStringList tips;
    for (const Diagnostic* d : model.diagnosticsFor(definition, instancePath, key)) {
        (d->isError() ? l.error : l.warning) = true;
        tips << qs(d->toEditorString());
    }
    if (tips.isEmpty() && !key.startsWith(QLatin1String("input:"))) {
        // A "?" here is someone else's problem: say whose.
        l.waitsFor = problemsUpstream(model, definition, instancePath, key);
        for (const QString& k : l.waitsFor) {
            const auto upstream = model.diagnosticsFor(definition, instancePath, k);
            const QString why = upstream.empty() ? QObject::tr("its shape is not known")
                                                 : qs(upstream.front()->message).section(QLatin1Char('\n'), 0, 0);
            tips << QObject::tr("Sizes unknown (?): they wait for %1 upstream, %2.").arg(itemName(model, definition, k), why);
        }
    }
    double width = 190;
    if (key.startsWith(QLatin1String("input:")) || key.startsWith(QLatin1String("output:"))) {
        const bool isIn = key.startsWith(QLatin1String("input:"));
        l.kind = isIn ? LookKind::Input : LookKind::Output;
        l.title = key.mid(key.indexOf(QLatin1Char(':')) + 1);
        l.subtitle = isIn ? QObject::tr("input") : QObject::tr("output");
        if (isIn) {
            if (const TensorType* t = model.outputType(instancePath, definition, {key, 0}))
                l.lines << shapeText(*t);
            else
                for (const BlockInput& in : def->inputs)
                    if (qs(in.name) == l.title)
                        l.lines << (in.dtype == DType::Int64 ? QStringLiteral("int64 index") : QStringLiteral("any shape"));
        }
        width = std::max(150.0, fittedWidth(l));
        l.size = QSizeF(width, kHeader + std::max<double>(kPortRow, 16.0 * l.lines.size()) + 8);
        placePorts(l, kHeader);
        l.tooltip = tips.join(QLatin1Char('\n'));
        return l;
    }
    const Node* n = def->findNode(ss(key));
    if (!n) return l;
    l.title = key;
    const ModuleInstance* inst = nullptr;
    if (n->isCall()) {
        const QString child = model.calledChildName(definition, key);
        inst = model.childInstance(instancePath, child);
        const ModuleSpec* spec = model.calledSpec(definition, key);
        l.sharedUses = model.sharedUseCount(definition, key);
        if (inst && n->listUse == ListUse::None && inst->callCount > l.sharedUses) l.sharedUses = inst->callCount;
        const QString callName = qs(n->call);
        if (!spec) {
            l.kind = LookKind::Unknown;
            l.subtitle = QObject::tr("calls '%1' (missing)").arg(callName);
        } else if (spec->type == "Sequential") {
            l.kind = LookKind::Sequential;
            l.title = callName;
            l.subtitle = QStringLiteral("Sequential");
            for (size_t i = 0; i < spec->items.size(); ++i) {
                const ModuleInstance* itemInst = nullptr;
                if (inst && i < inst->children.size()) itemInst = &model.analysis().tree.at(inst->children[i].id);
                RowLook r{QString::number(i), itemText(spec->items[i], itemInst), {}, false};
                if (itemInst && !itemInst->outputTypes.empty()) r.shape = shapeText(itemInst->outputTypes.front());
                l.rows.push_back(r);
            }
            l.footer = spec->items.empty() ? QObject::tr("empty: drop layers here") : QObject::tr("runs items in order");
            width = 240;
        } else if (spec->type == "ModuleList") {
            l.kind = LookKind::ModuleList;
            l.title = callName;
            l.subtitle = QStringLiteral("ModuleList");
            for (size_t i = 0; i < spec->items.size(); ++i) {
                const ModuleInstance* itemInst = nullptr;
                if (inst && i < inst->children.size()) itemInst = &model.analysis().tree.at(inst->children[i].id);
                RowLook r{QStringLiteral("[%1]").arg(i), itemText(spec->items[i], itemInst), {}, false};
                if (itemInst && !itemInst->outputTypes.empty()) r.shape = shapeText(itemInst->outputTypes.front());
                r.active = n->listUse == ListUse::Chain || !n->constIndex ||
                           *n->constIndex == static_cast<Index>(i) ||
                           *n->constIndex + static_cast<Index>(spec->items.size()) == static_cast<Index>(i);
                l.rows.push_back(r);
            }
            QString use;
            if (n->listUse == ListUse::Chain) use = callName + QStringLiteral(": each item in turn");
            else if (n->constIndex) use = callName + QStringLiteral("[%1]").arg(*n->constIndex);
            else if (!n->indexInput.empty()) use = callName + "[" + qs(n->indexInput) + "]";
            else use = callName + QStringLiteral("[?]");
            l.footer = QObject::tr("no forward · parent calls %1").arg(use);
            width = 250;
        } else if (model.definition(qs(spec->type))) {
            l.kind = LookKind::Block;
            l.title = callName;
            l.subtitle = qs(spec->type);
            QStringList a;
            for (auto it = spec->args.begin(); it != spec->args.end(); ++it) a << qs(it.key()) + "=" + argText(*it);
            if (!a.isEmpty()) l.lines << a.join(QStringLiteral(", "));
            l.lines << QObject::tr("double-click to open");
            width = 260;
        } else {
            l.kind = LookKind::Layer;
            l.title = callName == key ? key : callName;
            l.subtitle = qs(spec->type);
            l.lines << shortRepr(spec->type, inst && inst->kind == ModuleKind::Layer ? inst->args : spec->args);
            if (n->listUse != ListUse::None) l.lines << QObject::tr("indexed, but not a ModuleList");
        }
        if (callName != key && l.kind != LookKind::Layer) l.subtitle += QStringLiteral("  ·  node ") + key;
        else if (callName != key) l.subtitle += QStringLiteral("  ·  node ") + key;
        if (inst) {
            const Index p = model.analysis().tree.parameterCount(inst->id);
            if (p > 0) l.params = QObject::tr("%1 params").arg(withThousands(p));
        }
    } else {
        l.kind = LookKind::Op;
        l.subtitle = QObject::tr("op: %1").arg(qs(n->op));
        QStringList a;
        for (auto it = n->args.begin(); it != n->args.end(); ++it) a << qs(it.key()) + "=" + argText(*it);
        if (!a.isEmpty()) l.lines << a.join(QStringLiteral(", "));
        width = 150;
    }
    if (!l.params.isEmpty()) l.lines << l.params;
    width = std::max(width, fittedWidth(l));
    // Geometry: header, subtitle line, ports (or frame rows), body lines, footer.
    const double subtitleH = 16;
    const double portsH = kPortRow * static_cast<double>(std::max(l.ins.size(), l.outs.size()));
    double h = kHeader + subtitleH;
    const double portsTop = h;
    if (l.kind == LookKind::Sequential || l.kind == LookKind::ModuleList) {
        h += std::max(portsH, 0.0) + 4;
        const double pitch = l.kind == LookKind::Sequential ? 36 : 26;
        h += pitch * static_cast<double>(l.rows.size()) + 4;
        h += 18 * static_cast<double>(l.lines.size()) + 22; // footer
    } else {
        h += std::max(portsH, 16.0 * static_cast<double>(l.lines.size())) + 8;
        if (portsH > 0 && !l.lines.isEmpty()) h += 16.0 * static_cast<double>(l.lines.size());
    }
    l.size = QSizeF(width, std::ceil(h / 2) * 2);
    placePorts(l, portsTop);
    l.tooltip = tips.join(QLatin1Char('\n'));
    return l;
}

} // namespace ml::gui
