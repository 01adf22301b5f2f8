#pragma once
// What an item on the canvas shows, computed from the GraphModel for one
// key: derived display data (titles, rows, port places, size), refreshed
// whenever the model changes. Never a source of truth.
#include "editor/GraphModel.h"

#include <QPointF>
#include <QSizeF>
#include <QString>
#include <QStringList>
#include <vector>

namespace ml::gui {

enum class LookKind { Input, Output, Layer, Op, Sequential, ModuleList, Block, Unknown };

struct PortLook {
    QString name;
    PortKind kind = PortKind::Tensor;
    QPointF pos; // local coordinates of the port centre
};

struct RowLook {
    QString label; // "0", "[1]"
    QString text;  // "Linear(8 → 16)"
    QString shape; // output shape of the item, "" when unknown
    bool active = false;
};

struct NodeLook {
    LookKind kind = LookKind::Unknown;
    QString title;     // node id, child name or port name
    QString subtitle;  // type
    QStringList lines; // body text
    std::vector<RowLook> rows; // container items
    QString footer;    // "no forward: called as list[i]"
    QString params;    // "1,290 params"
    std::vector<PortLook> ins, outs;
    QSizeF size;
    bool error = false, warning = false;
    QString tooltip;
    // The upstream items (keys) whose problems leave this item's sizes unknown:
    // the "?" badge names them; empty when its sizes are known or the problem is its own.
    QStringList waitsFor;
    int sharedUses = 1; // >1: the instance it calls is called at several places
};

inline constexpr double kHeader = 24.0;
inline constexpr double kPortRow = 20.0;
inline constexpr double kGrid = 20.0;

NodeLook lookOf(const GraphModel& model, const QString& definition, const QString& instancePath, const QString& key);
// "Conv2d(3 → 64, k3, p1)": the hyperparameters that matter, short.
QString shortRepr(const std::string& type, const Json& args);
QString withThousands(long long n);

} // namespace ml::gui
